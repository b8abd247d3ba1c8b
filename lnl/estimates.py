"""How long a run takes: GPU-minute (and CPU-minute) estimates for campaigns, sweeps and pages.

A run is sized from earlier records of the same kind of run where there are any
(:func:`measured_epoch_s`), else from its FLOPs at an assumed effective rate (:data:`ASSUMED_TFLOPS`);
:func:`speedup` and :func:`best_jobs` read what ``benchmarks/throughput.py`` measured of running
several at once.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from lnl import records
from lnl.store import ROOT, results_root

TIMING_FILE = ROOT / "data" / "presets" / "gpu_timing.json"   # benchmarks/throughput.py --json, committed
# Until a GPU has measured this library, runs are sized from their FLOPs at this effective rate: the
# throughput that CE with PreAct ResNet-18 on CIFAR-10 needs to meet this book's goal of 3 s per epoch
# on one H100 (forward and backward, 3 × 1.11 GFLOP × 50,000 images / 3 s ≈ 55 TFLOP/s in bf16, a
# FLOP being a multiply or an add). An estimate, and every plan says so until records replace it.
ASSUMED_TFLOPS = {"cuda": 55.0, "cpu": 0.1,
                  # Colab's free T4 trains in fp32 (it has no native bf16; lnl.engine.resolve_precision):
                  # 55 % of its fp32 peak of 8.1 TFLOP/s (NVIDIA's T4 datasheet). Ours, until a T4 is timed.
                  "t4": 4.5}
RUN_OVERHEAD_S = {"cuda": 30.0, "cpu": 8.0, "t4": 30.0}   # process start, data decoding, kernel autotuning
# Seconds per optimiser step a GPU spends launching kernels whatever the model's size: what bounds a
# small network's epoch there (the H200's PreAct ResNet-18 at batch 128 ran as fast in fp32 as in
# bf16: launch-bound). Ours, assumed for a T4; the H100-class estimate folds it into its rate.
STEP_OVERHEAD_S = {"t4": 0.004}
DATA_SHAPES = {  # name -> (training images, test images, classes, input shape)
    "digits": (1347, 450, 10, (1, 8, 8)), "fashion_mnist": (60000, 10000, 10, (1, 28, 28)),
    "cifar10": (50000, 10000, 10, (3, 32, 32)), "cifar100": (50000, 10000, 100, (3, 32, 32)),
    "cifar10n": (50000, 10000, 10, (3, 32, 32)), "cifar100n": (50000, 10000, 100, (3, 32, 32)),
}


@functools.cache
def forward_flops(model: str, dataset: str) -> int:
    """FLOPs (multiplies and adds) of one forward pass of one image, counted by
    ``torch.utils.flop_counter`` on a CPU."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from lnl.engine import DEFAULT_MODEL
    from lnl.models import build_model

    _, _, classes, (c, h, _) = DATA_SHAPES[dataset]
    net = build_model(model or DEFAULT_MODEL.get(dataset, "resnet20"), num_classes=classes, in_channels=c,
                      image_size=h).eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        net(torch.zeros(2, c, h, h))
    return counter.get_total_flops() // 2


def load_timing(path: str | Path | None = None) -> dict[str, Any] | None:
    """The GPU figures ``benchmarks/throughput.py --json`` measured, if they were committed."""
    path = Path(path or TIMING_FILE)
    return json.loads(path.read_text()) if path.exists() else None


def _sizes(cfg) -> tuple[int, int]:
    n_train, n_test, classes, _ = DATA_SHAPES[cfg.dataset]
    if cfg.train_per_class:
        n_train = min(n_train, cfg.train_per_class * classes)
    if cfg.test_per_class:
        n_test = min(n_test, cfg.test_per_class * classes)
    return n_train, n_test


def measured_epoch_s(planned: Any, root: str | Path | None = None, device: str = "cuda") -> float | None:
    """Median seconds per epoch of records (any age) of runs like ``planned`` on ``device``: same
    data set, model, method, training size and batch size, in any results folder."""
    cfg = planned.config
    like = (device, cfg.dataset, cfg.model, cfg.method, cfg.batch_size, cfg.train_per_class)
    times = [t for kind, ts in _timings(Path(root or results_root())) if kind == like for t in ts]
    return float(np.median(times)) if times else None


def _timings(root: Path) -> list[tuple[tuple, list[float]]]:
    """``(device, data set, model, method, batch size, training size)`` and epoch times of every
    record under ``root``, read once for as long as no record there changes."""
    stamp = tuple((str(p), p.stat().st_mtime_ns) for p in sorted(root.glob("*/*.json")))
    return _read_timings(stamp)


@functools.lru_cache(maxsize=8)
def _read_timings(stamp: tuple) -> list[tuple[tuple, list[float]]]:
    out = []
    for path, _ in stamp:
        try:
            rec = records.read_record(path)
        except (ValueError, json.JSONDecodeError):
            continue
        c, t = rec["config"], rec.get("timing") or {}
        if t.get("epoch_s"):
            kind = (t.get("device_type"), c["dataset"], c["model"], c["method"], c["batch_size"],
                    c["train_per_class"])
            out.append((kind, t["epoch_s"][1:] or t["epoch_s"]))     # the first epoch includes autotuning
    return out


def method_cost(method: str) -> float:
    """Training FLOPs of ``method`` relative to CE: the ``cost`` its class declares, the source of the
    number beside it (the default :attr:`lnl.engine.Method.cost` for a class without one, or a name
    no method answers to)."""
    from lnl.engine import Method
    from lnl.methods import METHODS

    return METHODS[method].cost if method in METHODS else Method.cost


def estimate_s(planned: Any, device: str = "cuda", root: str | Path | None = None) -> tuple[float, str]:
    """Seconds ``planned`` takes alone on ``device``, and whether that is ``measured`` (from earlier
    records of the same kind of run) or a ``FLOP estimate`` (:data:`ASSUMED_TFLOPS`)."""
    cfg = planned.config
    per_epoch = measured_epoch_s(planned, root, device)
    if per_epoch is not None:
        return RUN_OVERHEAD_S[device] + cfg.epochs * per_epoch, "measured"
    n_train, n_test = _sizes(cfg)
    f = forward_flops(cfg.model, cfg.dataset)
    cost = method_cost(cfg.method)
    per_epoch_flops = f * (3 * n_train * cost                                  # forward + backward
                           + (n_train if cfg.diagnostics else 0) + n_test)     # evaluation passes
    steps = math.ceil(n_train / cfg.batch_size) * cost
    per_epoch = per_epoch_flops / (ASSUMED_TFLOPS[device] * 1e12) + steps * STEP_OVERHEAD_S.get(device, 0.0)
    return RUN_OVERHEAD_S[device] + cfg.epochs * per_epoch, "FLOP estimate"


def speedup(jobs: int, timing: dict[str, Any] | None) -> tuple[float, str]:
    """Total throughput of ``jobs`` concurrent runs relative to one, measured or assumed (1: none)."""
    if jobs == 1:
        return 1.0, "one run"
    rows = {int(r["n"]): float(r["speedup"]) for r in (timing or {}).get("concurrency", [])}
    if jobs in rows:
        return rows[jobs], "measured"
    return 1.0, "not measured: assumed none"


def best_jobs(timing: dict[str, Any] | None, most: int = 8) -> int:
    """The number of concurrent runs with the highest measured total throughput (1 if unmeasured)."""
    rows = {int(r["n"]): float(r["total_images_per_s"]) for r in (timing or {}).get("concurrency", [])
            if int(r["n"]) <= most}
    return max(rows, key=rows.get) if rows else 1
