"""Runs named by their config: the engine, handed the method that ``cfg.method`` names.

The methods (:mod:`lnl.methods`) build on the engine (:mod:`lnl.engine`), and the engine knows a
method only as the class it is handed: its entry points take the registry of methods by name.
This module, above both, hands them :data:`lnl.methods.METHODS`. ``lnl run``, the book's pages,
campaigns and sweeps train, check and restore runs through it::

    rec = lnl.runner.run(RunConfig(method="dividemix", dataset="digits", rate=0.4), out="runs")
    r = lnl.runner.restore(f"runs/{rec['run_id']}.json")      # a run kept with keep_state=True

A method added to :data:`~lnl.methods.METHODS` (a test's own, say) is found by name here at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lnl import data as lnl_data
from lnl import engine
from lnl.engine import Restored, RunConfig, Setup
from lnl.methods import METHODS


def validate(cfg: RunConfig) -> None:
    """``ValueError`` with one sentence for the first invalid setting of ``cfg``, its method's
    name and settings included (:func:`lnl.engine.validate`)."""
    engine.validate(cfg, METHODS)


def setup(cfg: RunConfig, dataset: lnl_data.Dataset | None = None) -> Setup:
    """``cfg``'s data on the device, its context and its configured method (:func:`lnl.engine.setup`)."""
    return engine.setup(cfg, METHODS, dataset)


def run(cfg: RunConfig, *, out: str | Path = "runs", resume: bool = False, stop_after: int | None = None,
        progress: bool | None = None, dataset: lnl_data.Dataset | None = None, per_sample: bool = False,
        keep_state: bool = False) -> dict[str, Any]:
    """Train ``cfg`` and write ``out/<run-id>.json``; return the record (:func:`lnl.engine.run`, whose
    keywords these are)."""
    return engine.run(cfg, METHODS, out=out, resume=resume, stop_after=stop_after, progress=progress,
                      dataset=dataset, per_sample=per_sample, keep_state=keep_state)


def restore(record_path: str | Path, dataset: lnl_data.Dataset | None = None) -> Restored:
    """The trained method of a run kept with ``keep_state=True`` (:func:`lnl.engine.restore`)."""
    return engine.restore(record_path, METHODS, dataset)


__all__ = ["validate", "setup", "run", "restore"]
