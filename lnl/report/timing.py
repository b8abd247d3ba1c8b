"""What a run costs: wall time per epoch from its record, and per step or epoch timed here.

:func:`epoch_seconds` and :func:`epoch_ratio` read a record's timing (a method's epochs against CE's);
:func:`step_seconds` and :func:`train_epoch_seconds` train a few epochs of a run config on this
machine and time them, the first epoch (warm-up) not counted.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np


def epoch_seconds(record: Mapping[str, Any]) -> float:
    """A run's mean wall time per epoch (training, per-epoch evaluation and diagnostics)."""
    return float(np.mean(record["timing"]["epoch_s"]))


def epoch_ratio(records: Iterable[Mapping[str, Any]], baseline: Iterable[Mapping[str, Any]]) -> float:
    """Mean epoch time of ``records`` over that of ``baseline`` (e.g. a method's runs over CE's on
    the same data and machine)."""
    mine, base = [epoch_seconds(r) for r in records], [epoch_seconds(r) for r in baseline]
    if not mine or not base:
        raise ValueError("An epoch-time ratio needs at least one record on each side.")
    return float(np.mean(mine) / np.mean(base))


def step_seconds(cfg, epochs: int = 3) -> float:
    """Seconds per training step of the run ``cfg`` on this machine: the median over epochs 2 to
    ``epochs`` of an epoch's training time (no evaluation) divided by its steps. The first epoch
    pays for warm-up and allocation and is not counted. Nothing is written."""
    import statistics

    return statistics.median(seconds / steps for seconds, steps in _timed_epochs(cfg, epochs)[1:])


def train_epoch_seconds(cfg, epochs: int = 3) -> float:
    """Seconds per epoch of training (no evaluation, no diagnostics) of the run ``cfg`` on this
    machine: the median over epochs 2 to ``epochs``, as :func:`step_seconds`. For comparing a
    method whose epochs take different numbers of steps (DivideMix's passes) with a plug-in on it."""
    import statistics

    return statistics.median(seconds for seconds, _ in _timed_epochs(cfg, epochs)[1:])


def _timed_epochs(cfg, epochs: int) -> list[tuple[float, int]]:
    """(training seconds, steps) of each of the first ``epochs`` epochs of ``cfg``, trained here."""
    import time
    from dataclasses import replace

    from lnl.engine.loop import train_epoch
    from lnl.runner import setup

    if epochs < 2:
        raise ValueError(f"a timing needs at least 2 epochs (the first is not timed), got {epochs}.")
    su = setup(replace(cfg, epochs=max(cfg.epochs, epochs), diagnostics=False))
    out = []
    for e in range(epochs):
        t0 = time.perf_counter()
        train_epoch(su, e)
        out.append((time.perf_counter() - t0, max(1, su.ctx.steps_in_epoch)))
    return out
