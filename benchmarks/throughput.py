"""Training throughput per model, and the fast data path against a torchvision DataLoader.

    python benchmarks/throughput.py                      # every model that is practical on this device
    python benchmarks/throughput.py --models cnn resnet20 --precision fp32 bf16
    python benchmarks/throughput.py --data cifar10 --skip-models

Prints two tables headed by the device, torch version, thread count and commit:

1. CE training steps (forward, backward, SGD step) per model on random images of the model's input
   size: images/s at batch 128, after warm-up steps, per precision (fp32; bf16 autocast with
   channels-last). On CPU the large CIFAR models get a short time budget: a few steps are enough
   to measure them, and their epoch time follows from images/s.
2. One epoch of augmented training batches (pad-crop + flip + normalise) of a real data set through
   :class:`lnl.data.DeviceData` and through a ``torch.utils.data.DataLoader`` with torchvision
   transforms on PIL images; data only, no model.

No timing is asserted anywhere in the tests: this script is where speed is measured.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lnl import data as lnl_data  # noqa: E402
from lnl.engine import resolve_device  # noqa: E402
from lnl.models import build_model  # noqa: E402
from lnl.records import device_name, git_state  # noqa: E402

MODELS = {  # name -> (in_channels, image size)
    "mlp": (1, 8), "cnn": (1, 28), "resnet20": (3, 32),
    "preact-resnet18": (3, 32), "resnet34": (3, 32), "wrn-28-10": (3, 32),
}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def model_throughput(name: str, device: torch.device, precision: str, batch: int, budget_s: float) -> tuple[float, int]:
    """Images/s of CE training steps; returns (images/s, steps timed)."""
    c, s = MODELS[name]
    net = build_model(name, num_classes=10, in_channels=c, image_size=s).to(device)
    cl = precision == "bf16" and c == 3
    if cl:
        net = net.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    g = torch.Generator(device="cpu").manual_seed(0)
    x = torch.randn(batch, c, s, s, generator=g).to(device)
    if cl:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch,), generator=g).to(device)

    def step() -> None:
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = F.cross_entropy(net(x).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(2):  # warm-up: allocator, kernels, autotuning
        step()
    sync(device)
    steps, t0 = 0, time.perf_counter()
    while steps < 3 or (time.perf_counter() - t0 < budget_s and steps < 200):
        step()
        steps += 1
        if device.type == "cuda" and steps % 10 == 0:
            sync(device)
    sync(device)
    return steps * batch / (time.perf_counter() - t0), steps


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


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="*", default=None, help=f"default: all of {', '.join(MODELS)}")
    p.add_argument("--precision", nargs="*", default=["fp32", "bf16"])
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--budget", type=float, default=None, help="seconds per model (default 20 on CPU, 5 on GPU)")
    p.add_argument("--data", default=None, help="data set for the data-path table (default: cifar10 if found, "
                   "else fashion_mnist)")
    p.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    p.add_argument("--device", default="auto")
    p.add_argument("--skip-models", action="store_true")
    p.add_argument("--skip-data", action="store_true")
    args = p.parse_args()

    device = resolve_device(args.device)
    budget = args.budget if args.budget is not None else (5.0 if device.type == "cuda" else 20.0)
    git = git_state()
    print(f"# device: {device_name(device)} | torch {torch.__version__} | threads {torch.get_num_threads()} | "
          f"commit {(git['sha'] or 'unknown')[:10]}{' (dirty)' if git['dirty'] else ''}")

    if not args.skip_models:
        print("\n| model | input | precision | images/s | s per 50k images | steps timed |")
        print("|---|---|---|---:|---:|---:|")
        for name in args.models or list(MODELS):
            for prec in args.precision:
                ips, steps = model_throughput(name, device, prec, args.batch, budget)
                c, s = MODELS[name]
                print(f"| {name} | {c}x{s}x{s} | {prec} | {ips:,.0f} | {50000 / ips:,.1f} | {steps} |", flush=True)

    if not args.skip_data:
        name = args.data or ("cifar10" if lnl_data.locate("cifar10") else "fashion_mnist")
        ds = lnl_data.load(name, download=False)
        fast, slow = data_path_epoch(ds, device, args.batch, args.workers)
        n = len(ds.train)
        print(f"\n| data path ({name}, {n} images, batch {args.batch}, crop+flip+normalise) | s/epoch | images/s |")
        print("|---|---:|---:|")
        print(f"| lnl.data.DeviceData on {device.type} | {fast:.2f} | {n / fast:,.0f} |")
        print(f"| torchvision DataLoader, {args.workers} workers | {slow:.2f} | {n / slow:,.0f} |")
        print(f"| speed-up | {slow / fast:.1f}x | |")


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
