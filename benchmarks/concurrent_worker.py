"""One of the concurrent runs of ``benchmarks/throughput.py`` (its concurrency table).

    python benchmarks/concurrent_worker.py --model cnn --batch 128 --precision fp32 --device cpu \\
        --threads 1 --duration 5 --sync-dir DIR --index 0

Builds the model and a fixed random batch and takes warm-up steps; then writes ``DIR/ready-<index>``
and waits for ``DIR/start``, which holds the wall-clock (Unix) time every run starts timing at;
trains for ``--duration`` seconds from then and prints one JSON line:
``{"images_per_s", "steps", "seconds", "late_s"}`` (``late_s`` > 0: this run saw the start time only
after it had passed, and started at once).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import model_and_batch, resolve_device, sync, train_step  # noqa: E402


def wait_for_start(folder: Path, index: int, timeout_s: float) -> float:
    """Signal readiness, then return the start time the parent writes (it writes it atomically)."""
    (folder / f"ready-{index}").touch()
    deadline = time.time() + timeout_s
    while not (folder / "start").exists():
        if time.time() > deadline:
            raise TimeoutError(f"no start time in {folder} after {timeout_s:.0f} s")
        time.sleep(0.005)
    return float((folder / "start").read_text())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--precision", choices=["fp32", "bf16"], required=True)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--duration", type=float, required=True, help="seconds to time")
    p.add_argument("--sync-dir", type=Path, required=True, help="folder of the start barrier")
    p.add_argument("--index", type=int, required=True, help="this run's number in the barrier")
    p.add_argument("--warmup", type=int, default=3, help="steps before signalling readiness")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    device = resolve_device(args.device)
    net, opt, x, y = model_and_batch(args.model, device, args.batch, args.precision == "bf16")
    step = train_step(net, opt, device, args.precision == "bf16")
    for _ in range(args.warmup):
        step(x, y)
    sync(device)
    start = wait_for_start(args.sync_dir, args.index, timeout_s=600)
    late = time.time() - start
    if late < 0:
        time.sleep(-late)

    end = max(start, time.time()) + args.duration
    steps, t0 = 0, time.perf_counter()
    while steps < 1 or time.time() < end:
        step(x, y)
        steps += 1
        if device.type == "cuda" and steps % 5 == 0:  # keep the queue short: stop near the window's end
            sync(device)
    sync(device)
    seconds = time.perf_counter() - t0
    print(json.dumps({"images_per_s": steps * args.batch / seconds, "steps": steps, "seconds": seconds,
                      "late_s": max(0.0, late)}), flush=True)


if __name__ == "__main__":
    main()
