"""Training throughput per model, the data share of an epoch, concurrent runs, and the fast data path.

    python benchmarks/throughput.py                      # every table, every model practical here
    python benchmarks/throughput.py --models cnn resnet20 --precision fp32 bf16 --batches 128
    python benchmarks/throughput.py --data cifar10 --skip-models --skip-concurrency
    python benchmarks/throughput.py --json runs/bench.json   # also write every figure as JSON

Goal: cross-entropy training of PreAct ResNet-18 on CIFAR-10 at <= 3 s per epoch on one H100
(anchor: an optimised A100 pipeline trains ResNet-18 on CIFAR-10 at about 2.1 s per epoch).
A GPU campaign sizes its runs from these figures.

Prints up to four tables headed by the device, torch version, thread count and commit:

1. **Models.** CE training steps (forward, backward, SGD step) per model on a fixed batch of
   random images of the model's input size, after warm-up steps, at each of ``--batches`` (128 and
   512) and each variant: ``fp32``; ``bf16`` (bf16 autocast, model and images channels-last, as
   the engine trains on CUDA); ``bf16+compile`` (the same under ``torch.compile``, mode default,
   static shapes; on by default on CUDA only, ``--compile``/``--no-compile``). A compiled row shows
   its speed-up against the uncompiled ``bf16`` row and its compile time (first steps, excluded
   from the timing). Each row: images/s, seconds per 50k images (= one CIFAR epoch) and the steps
   timed. On CPU each row gets a short time budget (a few steps measure a large model; its epoch
   time follows from images/s) and batch 512 is skipped for the large CIFAR models.
2. **Data path.** One epoch of augmented training batches (pad-crop + flip + normalise) of a real
   data set through :class:`lnl.data.DeviceData` and through a ``torch.utils.data.DataLoader``
   with torchvision transforms on PIL images; data only, no model.
3. **Data share.** For one model (``--data-share-model``; ``preact-resnet18`` on CUDA, ``cnn`` on
   CPU) on the same data set, in the engine's precision (bf16 + channels-last on CUDA, fp32 on
   CPU) at ``--batch``: seconds per step of (a) training on one fixed pre-made batch (model only)
   and (b) training on batches drawn through ``DeviceData.batches``/``DeviceData.batch`` as the
   engine does, both synchronised; share = 1 - (a)/(b). Times are scaled to one epoch of the data
   set's training split (``N / batch`` steps).
4. **Concurrent runs.** N = ``--concurrency`` (1 2 4 8 on CUDA, 1 2 on CPU) separate processes
   (``benchmarks/concurrent_worker.py``) on one device, each training ``--concurrency-model`` on
   a fixed batch (``preact-resnet18`` at batch 128 bf16 on CUDA, ``cnn`` fp32 on CPU) for a fixed
   wall time after a warm-up, all starting at one wall-clock time (set once every run has warmed
   up), each with ``max(1, cores // N)`` CPU threads. Total and per-run images/s, and the speed-up of
   the total against N = 1.

``--json PATH`` also writes every figure (rewritten atomically after each table), as::

    {"device": str, "torch": str, "git_sha": str | None, "git_dirty": bool | None, "date": ISO 8601 (UTC),
     "models": [{"model", "batch", "variant", "images_per_s", "s_per_50k", "steps",
                 "compile_s", "speedup"}],       # compile_s, speedup: bf16+compile rows, else None
     "data_share": [{"model", "dataset", "batch", "precision", "steps", "s_model_only", "s_with_data",
                     "share"}],                   # s_*: seconds per epoch of the data set's training split
     "concurrency": [{"n", "model", "batch", "precision", "runs_ok", "total_images_per_s",
                      "per_run_images_per_s", "speedup"}],   # speedup: total against n = 1 (None without it)
     "data_path": [{"dataset", "batch", "images", "s_device_data", "s_dataloader", "workers"}]}

A table that is skipped (or not reached) is an empty list. No timing is asserted anywhere in the
tests: this script is where speed is measured.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lnl import data as lnl_data  # noqa: E402
from lnl.engine import resolve_device  # noqa: E402
from lnl.models import build_model  # noqa: E402
from lnl.records import device_name, git_state, now, write_json_atomic  # noqa: E402

MODELS = {  # name -> (in_channels, image size)
    "mlp": (1, 8), "cnn": (1, 28), "resnet20": (3, 32),
    "preact-resnet18": (3, 32), "resnet34": (3, 32), "wrn-28-10": (3, 32),
}
LARGE = ("preact-resnet18", "resnet34", "wrn-28-10")  # no batch 512 on CPU
EPOCH = 50_000  # images in a CIFAR training epoch
WORKER = Path(__file__).resolve().with_name("concurrent_worker.py")
START_TIMEOUT_S = 300.0  # the longest the concurrent runs may take to start up (imports, device, warm-up)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def free_memory(device: torch.device) -> None:
    """Release what earlier rows left in the CUDA caching allocator (for OOMs and the worker processes)."""
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def short_error(e: BaseException) -> str:
    """``Type: first line`` of an exception, for one-line reports (two lines where the first ends in a
    colon, as torch._dynamo's ``backend='inductor' raised:`` does)."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    text = " ".join(lines[:2]) if len(lines) > 1 and lines[0].endswith(":") else (lines[0] if lines else "")
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def train_step(net: torch.nn.Module, opt: torch.optim.Optimizer, device: torch.device,
               bf16: bool) -> Callable[[torch.Tensor, torch.Tensor], None]:
    """One CE training step (forward, backward, SGD step) on a batch ``(x, y)``."""
    def step(x: torch.Tensor, y: torch.Tensor) -> None:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = F.cross_entropy(net(x).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def model_and_batch(name: str, device: torch.device, batch: int, bf16: bool, *, channels: int | None = None,
                    size: int | None = None, num_classes: int = 10
                    ) -> tuple[torch.nn.Module, torch.optim.Optimizer, torch.Tensor, torch.Tensor]:
    """A fresh model with its SGD optimiser and a fixed random batch; channels-last with bf16."""
    c, s = MODELS[name]
    c, s = channels or c, size or s
    net = build_model(name, num_classes=num_classes, in_channels=c, image_size=s).to(device)
    g = torch.Generator(device="cpu").manual_seed(0)
    x = torch.randn(batch, c, s, s, generator=g).to(device)
    y = torch.randint(0, num_classes, (batch,), generator=g).to(device)
    if bf16:
        net = net.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    return net, torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9), x, y


def time_steps(step: Callable[[], None], device: torch.device, budget_s: float, *, min_steps: int = 3,
               max_steps: int = 200) -> tuple[float, int]:
    """Seconds and number of steps: at least ``min_steps``, then until ``budget_s`` or ``max_steps``."""
    sync(device)
    steps, t0 = 0, time.perf_counter()
    while steps < min_steps or (time.perf_counter() - t0 < budget_s and steps < max_steps):
        step()
        steps += 1
        if device.type == "cuda" and steps % 10 == 0:
            sync(device)
    sync(device)
    return time.perf_counter() - t0, steps


def model_throughput(name: str, device: torch.device, variant: str, batch: int,
                     budget_s: float) -> dict[str, Any]:
    """One row of the models table; ``compile_s`` is the time of the first (compiling) steps.

    Raises what ``torch.compile`` raises when compilation fails (on the first steps)."""
    bf16 = variant != "fp32"
    net, opt, x, y = model_and_batch(name, device, batch, bf16)
    compile_s = None
    if variant == "bf16+compile":
        import torch._dynamo

        torch._dynamo.reset()  # fresh caches: no recompile limits, no dynamic shapes from earlier rows
        net = torch.compile(net, dynamic=False)
    step = train_step(net, opt, device, bf16)
    t0 = time.perf_counter()
    for _ in range(3 if variant == "bf16+compile" else 2):  # warm-up: compile, allocator, kernels
        step(x, y)
    sync(device)
    if variant == "bf16+compile":
        compile_s = time.perf_counter() - t0
    seconds, steps = time_steps(lambda: step(x, y), device, budget_s)
    ips = steps * batch / seconds
    return {"model": name, "batch": batch, "variant": variant, "images_per_s": ips,
            "s_per_50k": EPOCH / ips, "steps": steps, "compile_s": compile_s, "speedup": None}


def models_table(args: argparse.Namespace, device: torch.device, budget: float,
                 rows: list[dict[str, Any]], save: Callable[[], None]) -> None:
    use_compile = args.compile if args.compile is not None else device.type == "cuda"
    variants = list(args.precision)
    if use_compile:
        variants.append("bf16+compile")
    elif args.compile is None:
        print(f"compile: skipped on {device.type} (torch.compile is timed on CUDA by default; --compile to try it)")
    names = args.models or list(MODELS)
    if device.type == "cpu" and 512 in args.batches and any(n in LARGE for n in names):
        print(f"batch 512: skipped on CPU for {', '.join(n for n in names if n in LARGE)} (minutes per row)")
    print("\n| model | batch | variant | images/s | s per 50k images | steps timed | note |")
    print("|---|---:|---|---:|---:|---:|---|")
    for name in names:
        for batch in args.batches:
            if device.type == "cpu" and batch > 128 and name in LARGE:
                continue
            base: float | None = None
            for variant in variants:
                try:
                    row = model_throughput(name, device, variant, batch, budget)
                except torch.cuda.OutOfMemoryError as e:
                    free_memory(device)
                    print(f"{name} batch {batch} {variant}: skipped ({short_error(e)})", flush=True)
                    continue
                except Exception as e:  # noqa: BLE001 - torch.compile fails in many ways (no triton, ...)
                    if variant != "bf16+compile":
                        raise
                    free_memory(device)
                    print(f"compile: skipped ({short_error(e)})", flush=True)
                    continue
                note = ""
                if variant == "bf16":
                    base = row["images_per_s"]
                if variant == "bf16+compile":
                    row["speedup"] = row["images_per_s"] / base if base else None
                    vs = f"{row['speedup']:.2f}x vs bf16, " if base else ""
                    note = f"{vs}compile {row['compile_s']:.1f} s"
                rows.append(row)
                save()
                print(f"| {name} | {batch} | {variant} | {row['images_per_s']:,.0f} | {row['s_per_50k']:,.1f} | "
                      f"{row['steps']} | {note} |", flush=True)


def data_path_epoch(ds: lnl_data.Dataset, device: torch.device, batch: int, workers: int) -> tuple[float, float]:
    """Seconds for one epoch of augmented batches: (DeviceData, DataLoader)."""
    import torchvision.transforms as T
    from PIL import Image

    dd = lnl_data.DeviceData(ds.train.images, ds.mean, ds.std, device=device, augment=("crop", "flip"))
    g = torch.Generator(device=device).manual_seed(0)
    sync(device)
    t0 = time.perf_counter()
    for idx in dd.batches(batch, g):
        xb = dd.batch(idx, g)
    sync(device)
    fast = time.perf_counter() - t0

    h = ds.image_shape[1]
    tf = T.Compose([T.RandomCrop(h, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(ds.mean, ds.std)])
    images = ds.train.images.permute(0, 2, 3, 1).numpy()
    mode = "L" if images.shape[-1] == 1 else "RGB"

    class PilSet(torch.utils.data.Dataset):
        def __len__(self):
            return len(images)

        def __getitem__(self, i):
            img = Image.fromarray(images[i].squeeze(-1) if mode == "L" else images[i], mode=mode)
            return tf(img), int(ds.train.labels[i])

    loader = torch.utils.data.DataLoader(PilSet(), batch_size=batch, shuffle=True, num_workers=workers,
                                         pin_memory=device.type == "cuda")
    t0 = time.perf_counter()
    for xb, _ in loader:
        xb = xb.to(device, non_blocking=True)
    sync(device)
    return fast, time.perf_counter() - t0


def data_path_table(ds: lnl_data.Dataset, name: str, args: argparse.Namespace, device: torch.device,
                    rows: list[dict[str, Any]]) -> None:
    fast, slow = data_path_epoch(ds, device, args.batch, args.workers)
    n = len(ds.train)
    rows.append({"dataset": name, "batch": args.batch, "images": n, "s_device_data": fast,
                 "s_dataloader": slow, "workers": args.workers})
    print(f"\n| data path ({name}, {n} images, batch {args.batch}, crop+flip+normalise) | s/epoch | images/s |")
    print("|---|---:|---:|")
    print(f"| lnl.data.DeviceData on {device.type} | {fast:.2f} | {n / fast:,.0f} |")
    print(f"| torchvision DataLoader, {args.workers} workers | {slow:.2f} | {n / slow:,.0f} |")
    print(f"| speed-up | {slow / fast:.1f}x | |", flush=True)


def data_share(model: str, ds: lnl_data.Dataset, name: str, device: torch.device, batch: int,
               steps: int) -> dict[str, Any]:
    """Seconds per epoch of training steps on one fixed batch and on batches drawn through DeviceData."""
    bf16 = device.type == "cuda"  # the engine's defaults: bf16 autocast and channels-last on CUDA only
    c, h, _ = ds.image_shape
    net, opt, _, _ = model_and_batch(model, device, batch, bf16, channels=c, size=h, num_classes=ds.num_classes)
    dd = lnl_data.DeviceData(ds.train.images, ds.mean, ds.std, device=device, augment=("crop", "flip"),
                             channels_last=bf16)
    labels = ds.train.labels.to(device)
    g = torch.Generator(device=device).manual_seed(0)
    step = train_step(net, opt, device, bf16)

    def draws():
        while True:
            yield from dd.batches(batch, g, drop_last=True)

    order = draws()

    def with_data() -> None:
        idx = next(order)
        step(dd.batch(idx, g), labels[idx])

    idx = next(order)
    x, y = dd.batch(idx, g), labels[idx]
    for _ in range(3):  # warm-up
        with_data()
    a, na = time_steps(lambda: step(x, y), device, 0.0, min_steps=steps)
    b, nb = time_steps(with_data, device, 0.0, min_steps=steps)
    per_epoch = len(ds.train) / batch
    return {"model": model, "dataset": name, "batch": batch, "precision": "bf16" if bf16 else "fp32",
            "steps": steps, "s_model_only": a / na * per_epoch, "s_with_data": b / nb * per_epoch,
            "share": 1 - (a / na) / (b / nb)}


def data_share_table(ds: lnl_data.Dataset, name: str, args: argparse.Namespace, device: torch.device,
                     rows: list[dict[str, Any]]) -> None:
    model = args.data_share_model or ("preact-resnet18" if device.type == "cuda" else "cnn")
    steps = args.data_share_steps or (50 if device.type == "cuda" else 5)
    r = data_share(model, ds, name, device, args.batch, steps)
    rows.append(r)
    print(f"\n| model (data share: {r['precision']}, batch {args.batch}, {steps} steps each) | data set | "
          f"s/epoch model only | s/epoch with data | data share |")
    print("|---|---|---:|---:|---:|")
    print(f"| {model} | {name} | {r['s_model_only']:.2f} | {r['s_with_data']:.2f} | {100 * r['share']:.1f}% |",
          flush=True)


def run_concurrent(n: int, model: str, batch: int, precision: str, device: torch.device,
                   duration_s: float) -> tuple[list[float], list[str], int]:
    """Run ``n`` worker processes together; returns (images/s of each run that reported, the last
    stderr line of each that failed, how many started late).

    A file barrier in a temporary folder: each worker writes ``ready-<i>`` after its warm-up, then
    waits for ``start``, which holds the wall-clock time they all start timing at."""
    threads = max(1, (os.cpu_count() or 1) // n)
    with tempfile.TemporaryDirectory(prefix="lnl-bench-") as tmp:
        folder = Path(tmp)
        procs = []
        for i in range(n):
            cmd = [sys.executable, str(WORKER), "--model", model, "--batch", str(batch), "--precision", precision,
                   "--device", str(device), "--threads", str(threads), "--duration", str(duration_s),
                   "--sync-dir", str(folder), "--index", str(i)]
            with open(folder / f"out-{i}", "w") as out, open(folder / f"err-{i}", "w") as err:
                procs.append(subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL))
        deadline = time.time() + START_TIMEOUT_S
        while time.time() < deadline and not all((folder / f"ready-{i}").exists() or p.poll() is not None
                                                 for i, p in enumerate(procs)):
            time.sleep(0.05)
        (folder / "start.tmp").write_text(f"{time.time() + 0.5:.6f}")
        os.replace(folder / "start.tmp", folder / "start")
        results, failures, late = [], [], 0
        for i, p in enumerate(procs):
            try:
                p.wait(timeout=duration_s + 60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            lines = [ln for ln in (folder / f"out-{i}").read_text().splitlines() if ln.startswith("{")]
            if p.returncode != 0 or not lines:
                tail = [ln.strip() for ln in (folder / f"err-{i}").read_text().splitlines() if ln.strip()]
                failures.append(tail[-1] if tail else f"exit code {p.returncode}")
                continue
            r = json.loads(lines[-1])
            results.append(float(r["images_per_s"]))
            late += r["late_s"] > 0.1
    return results, failures, late


def concurrency_table(args: argparse.Namespace, device: torch.device, rows: list[dict[str, Any]],
                      save: Callable[[], None]) -> None:
    cuda = device.type == "cuda"
    model = args.concurrency_model or ("preact-resnet18" if cuda else "cnn")
    precision = args.concurrency_precision or ("bf16" if cuda else "fp32")
    duration = args.concurrency_seconds or (10.0 if cuda else 5.0)
    counts = args.concurrency or ([1, 2, 4, 8] if cuda else [1, 2])
    print(f"\n| concurrent runs N ({model}, batch {args.batch}, {precision}, {duration:g} s each) | total images/s | "
          f"per-run images/s | speed-up of total | note |")
    print("|---:|---:|---:|---:|---|")
    single: float | None = None
    for n in counts:
        ips, failures, late = run_concurrent(n, model, args.batch, precision, device, duration)
        for f in dict.fromkeys(failures):  # each distinct message once
            print(f"concurrency N={n}: {failures.count(f)} of {n} runs failed ({f})", flush=True)
        if not ips:
            continue
        total = sum(ips)
        if n == 1:
            single = total
        speedup = total / single if single else None
        notes = [f"{len(failures)} of {n} runs failed"] * bool(failures) + [f"{late} started late"] * bool(late)
        rows.append({"n": n, "model": model, "batch": args.batch, "precision": precision, "runs_ok": len(ips),
                     "total_images_per_s": total, "per_run_images_per_s": total / len(ips), "speedup": speedup})
        save()
        print(f"| {n} | {total:,.0f} | {total / len(ips):,.0f} | "
              f"{f'{speedup:.2f}x' if speedup else '-'} | {'; '.join(notes)} |", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="*", default=None, help=f"default: all of {', '.join(MODELS)}")
    p.add_argument("--precision", nargs="*", choices=["fp32", "bf16"], default=["fp32", "bf16"])
    p.add_argument("--batches", nargs="*", type=int, default=[128, 512], help="batches of the models table")
    p.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None,
                   help="add bf16+compile rows (default: on CUDA only)")
    p.add_argument("--batch", type=int, default=128, help="batch of the data-path, data-share and concurrency tables")
    p.add_argument("--budget", type=float, default=None, help="seconds per row (default 20 on CPU, 5 on GPU)")
    p.add_argument("--data", default=None, help="data set for the data-path and data-share tables (default: "
                   "cifar10 if found, else fashion_mnist)")
    p.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    p.add_argument("--data-share-model", default=None, help="default: preact-resnet18 on CUDA, cnn on CPU")
    p.add_argument("--data-share-steps", type=int, default=None, help="default: 50 on CUDA, 5 on CPU")
    p.add_argument("--concurrency", nargs="*", type=int, default=None, help="default: 1 2 4 8 on CUDA, 1 2 on CPU")
    p.add_argument("--concurrency-model", default=None, help="default: preact-resnet18 on CUDA, cnn on CPU")
    p.add_argument("--concurrency-precision", choices=["fp32", "bf16"], default=None,
                   help="default: bf16 on CUDA, fp32 on CPU")
    p.add_argument("--concurrency-seconds", type=float, default=None, help="timed seconds per run "
                   "(default 10 on CUDA, 5 on CPU)")
    p.add_argument("--device", default="auto")
    p.add_argument("--json", default=None, metavar="PATH", help="also write every figure to PATH as JSON")
    p.add_argument("--skip-models", action="store_true")
    p.add_argument("--skip-data", action="store_true")
    p.add_argument("--skip-data-share", action="store_true")
    p.add_argument("--skip-concurrency", action="store_true")
    args = p.parse_args()
    for name in (args.models or []) + [args.data_share_model, args.concurrency_model]:
        if name is not None and name not in MODELS:
            p.error(f"unknown model {name!r}; choose from {', '.join(MODELS)}")

    device = resolve_device(args.device)
    budget = args.budget if args.budget is not None else (5.0 if device.type == "cuda" else 20.0)
    git = git_state()
    print(f"# device: {device_name(device)} | torch {torch.__version__} | threads {torch.get_num_threads()} | "
          f"commit {(git['sha'] or 'unknown')[:10]}{' (dirty)' if git['dirty'] else ''}")
    report: dict[str, Any] = {"device": device_name(device), "torch": torch.__version__, "git_sha": git["sha"],
                              "git_dirty": git["dirty"], "date": now().isoformat(timespec="seconds"),
                              "models": [], "data_share": [], "concurrency": [], "data_path": []}

    def save() -> None:
        if args.json:
            write_json_atomic(args.json, report)

    if not args.skip_models:
        models_table(args, device, budget, report["models"], save)
    if not (args.skip_data and args.skip_data_share):
        name = args.data or ("cifar10" if lnl_data.locate("cifar10") else "fashion_mnist")
        ds = lnl_data.load(name, download=False)
        if not args.skip_data:
            data_path_table(ds, name, args, device, report["data_path"])
            save()
        if not args.skip_data_share:
            data_share_table(ds, name, args, device, report["data_share"])
            save()
        del ds
    if not args.skip_concurrency:
        free_memory(device)
        concurrency_table(args, device, report["concurrency"], save)
    save()
    if args.json:
        print(f"\n# wrote {args.json}")


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
