"""What the book's notebooks share: profiles, the provenance banner, load-or-run, Colab.

Profiles set the scale of every notebook (its ``parameters`` cell holds ``profile`` and a
per-profile table of settings; papermill overrides them):

=========  ==========================================================================
``smoke``  seconds per notebook: digits or tiny subsets; what CI executes under nbval
``cpu``    minutes per notebook on 2 cores: Fashion-MNIST, the CIFAR-10 copy with a small net
``gpu``    CIFAR-10/100 with a reduced schedule, minutes per run on one H100 (lnl.estimates estimates them)
``paper``  the paper's exact protocol
``auto``   ``cpu`` on Colab and without CUDA, ``gpu`` on other CUDA machines (the default)
=========  ==========================================================================

On Colab ``auto`` means ``cpu``: one page's ``gpu`` plan is hours on the free T4 (each page says how
many, :func:`cost_line`), while its ``cpu`` plan, the whole page at a smaller scale, fits one
session; the page's GPU section shows the CIFAR runs that campaigns committed.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

import lnl
from lnl import engine, executor, records, runner
from lnl.executor import cores  # noqa: F401  (re-exported)
from lnl.report.protocol import settings_text  # noqa: F401  (re-exported: pages use it)
from lnl.profiles import HARDWARE, PROFILES  # noqa: F401  (the pages read lnl.book.HARDWARE)
from lnl.store import needs_training, protocol, provenance_line  # noqa: F401  (re-exported: pages use them)


def resolve_profile(profile: str = "auto") -> str:
    """``auto`` becomes ``cpu`` on Colab and without CUDA, ``gpu`` on other CUDA machines; other
    names are checked."""
    if profile == "auto":
        return "gpu" if torch.cuda.is_available() and not on_colab() else "cpu"
    if profile not in PROFILES:
        raise ValueError(f"Unknown profile '{profile}'; choose one of: auto, {', '.join(PROFILES)}.")
    return profile


def on_colab() -> bool:
    return "google.colab" in sys.modules


COLAB_SESSION_S = 3600          # what one free Colab session is planned for: about an hour (ours)


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


def plan_line(page: str, profile: str, runs: Any = None, S: dict[str, Any] | None = None) -> str:
    """What a page prints before it trains: whether a parameter moved it off its plan
    (:func:`lnl.plans.off_plan` of its settings ``S``), then :func:`cost_line`."""
    from lnl import plans

    return " ".join(x for x in (plans.off_plan(S or {}), cost_line(page, profile, runs)) if x)


def cost_line(page: str, profile: str, runs: Any = None) -> str:
    """One sentence, printed before a page trains: what its plan at ``profile`` (``runs``, else the
    whole plan) would cost on Colab's free T4, and what its ``gpu`` plan would. Estimates from FLOPs
    (:func:`lnl.estimates.estimate_s` on ``t4``), one run at a time; records already there cost nothing."""
    from lnl import estimates, plans

    def total(planned):
        return sum(estimates.estimate_s(p, "t4")[0] for p in plans.unique(list(planned)))

    mine = list(runs.values()) if isinstance(runs, dict) else list(runs or plans.plan(page, profile))
    here, gpu = total(mine), total(plans.plan(page, "gpu"))
    fits = "fits" if here <= COLAB_SESSION_S else "does not fit"
    line = (f"On a Colab T4 this {profile} plan ({len(plans.unique(mine))} runs) takes about {_duration(here)} "
            f"by a FLOP estimate: it {fits} one session of about an hour.")
    if profile != "gpu":
        line += (f" The page's gpu plan ({len(plans.unique(plans.plan(page, 'gpu')))} runs, CIFAR-10) would "
                 f"take about {_duration(gpu)} there; the GPU section shows what campaigns committed of it.")
    return line


def banner(profile: str) -> str:
    """One line saying which profile, hardware and code produced this page's outputs."""
    git = records.git_state()
    device = engine.resolve_device("auto")
    sha = (git["sha"] or "unknown")[:10] + (" (dirty)" if git["dirty"] else "")
    return (f"profile {profile} ({HARDWARE[profile]}) | device {records.device_name(device)} | "
            f"lnl {lnl.__version__} @ {sha} | torch {torch.__version__} | Python {platform.python_version()}")


@dataclass
class PageSetup:
    """What :func:`setup` gives a page: its resolved ``profile``, its settings ``S``, its planned
    ``runs`` (:func:`lnl.plans.plan`, in priority order) and its records folder ``rdir``."""

    page: str
    profile: str
    S: dict[str, Any]
    runs: list[Any]
    rdir: Path

    @property
    def by_key(self) -> dict[tuple, Any]:
        """The runs by the key the page indexes them with."""
        return {p.key: p for p in self.runs}


def setup(page: str, profile: str = "auto", records: str | Path = "records", **options: Any) -> PageSetup:
    """Everything a page does before its own content, in one call: resolve ``profile``; read its
    settings and plan with ``options``, the parameters that change its runs (seeds,
    :data:`lnl.plans.RUN_OVERRIDES`, ``noise_rates``; None keeps the plan's; a noise rate the page
    does not plan is refused); print :func:`plan_line` (before anything trains) and :func:`banner`;
    hide :data:`QUIET_WARNINGS`; set the plan's CPU threads (a tiny MLP runs fastest on one); apply
    the book's plot style; and find its records folder (:func:`records_dir`)."""
    from lnl import plans
    from lnl.plot.style import apply_style

    quiet_notebook_warnings()
    profile = resolve_profile(profile)
    S = plans.settings(page, profile, **options)
    if options.get("noise_rates") is not None:
        planned = {p.config.rate for p in plans.plan(page, profile)}
        missing = set(plans.rate_map(options["noise_rates"])) - planned
        if missing:
            raise ValueError(f"noise_rates maps {', '.join(f'{r:g}' for r in sorted(missing))}, a rate "
                             f"{page} does not plan at the {profile} profile.")
    runs = plans.plan(page, profile, **options)
    print(plan_line(page, profile, runs, S))
    if S.get("threads"):
        torch.set_num_threads(S["threads"])
    print(banner(profile))
    apply_style()
    return PageSetup(page, profile, S, runs, records_dir(records))


# Warnings a page's reader cannot act on: tqdm's in a kernel without ipywidgets (its bars fall back
# to text), and torch's own use of torch.jit.script in forward-mode AD (torch.func.jvp; IEG's look-ahead).
QUIET_WARNINGS = ("IProgress not found", "`torch.jit.script` is deprecated")


def quiet_notebook_warnings() -> None:
    """Hide :data:`QUIET_WARNINGS` in this process (a page's kernel); every other warning shows."""
    for message in QUIET_WARNINGS:
        warnings.filterwarnings("ignore", message=message)


def records_dir(default: str | Path) -> Path:
    """Where a notebook keeps run records and checkpoints: on Google Drive when on Colab (so a
    disconnected run resumes), else ``default``; ``$LNL_RECORDS`` overrides both."""
    if os.environ.get("LNL_RECORDS"):
        return Path(os.environ["LNL_RECORDS"])
    if on_colab():
        drive = Path("/content/drive")
        if not (drive / "MyDrive").exists():
            from google.colab import drive as gdrive  # type: ignore[import-not-found]

            gdrive.mount(str(drive))
        return drive / "MyDrive" / "lnl" / Path(default).name
    return Path(default)


def run_or_load(cfg: engine.RunConfig, out: str | Path, **kwargs: Any) -> dict[str, Any]:
    """The record of ``cfg`` in ``out`` if it is there and current, else train it.

    Parts of the book share runs: a run planned by two parts (the Baselines replication's CE and
    the ALR chapter's, on the same data and settings) is trained once, and its record, with what
    it keeps, is copied from the sibling folder (``records/<other part>``) that holds it, current.
    A record is reused only when its run id (the whole config) and its ``lnl_source_hash`` (the
    library code that computed it) match, so a change in ``lnl`` can never leave a stale number on
    a page. An interrupted run resumes from its checkpoint. ``kwargs`` go to
    :func:`lnl.runner.run`; with ``per_sample=True`` (``keep_state=True``) a record whose
    per-sample arrays ``<run-id>.npz`` (trained state ``<run-id>.state.pt``) are missing is trained
    again, so that arrays, state and record come from one run.
    """
    from lnl.store import adopt_from_sibling, has_current

    path = Path(out) / f"{engine.run_id(cfg)}.json"
    keeps = dict(per_sample=bool(kwargs.get("per_sample")), keep_state=bool(kwargs.get("keep_state")))
    if not path.exists():
        adopt_from_sibling(path, **keeps)
    if has_current(path, **keeps):
        return records.read_record(path)
    if path.exists():
        path.with_suffix(".ckpt").unlink(missing_ok=True)  # a stale checkpoint is no start either
    return runner.run(cfg, out=out, resume=True, **kwargs)


def run_plan(runs, out: str | Path, jobs: int | None = None, **kwargs: Any) -> dict[tuple, dict[str, Any]]:
    """``{planned.key: record}`` for the runs of a page's plan (:func:`lnl.plans.plan`), each through
    :func:`run_or_load` with what the plan keeps (per-sample losses, trained state).

    The ``gpu`` and ``paper`` plans are never trained without CUDA: on a CPU they come from the
    campaign records in ``results/`` (:mod:`lnl.store`), current or not, and a run without one is
    an error that names the command producing it. On a GPU a current campaign record is used where
    the page needs no trained state from it. At the ``cpu`` profile the runs still to train go
    first through :func:`train_parallel` (``jobs`` at a time; the ``smoke`` runs are shorter than
    a worker's start). A ``cpu`` run trains on one thread wherever it trains, in a worker or here
    (:func:`train_threads`), so that its record is the same whether the book's build or the page
    alone trained it. ``kwargs`` go to :func:`run_or_load`: ``dataset=`` is the data set the runs
    name, already loaded (workers load their own).
    """
    from lnl.store import find, results_dir

    runs = list(runs)
    if set(kwargs) <= {"dataset"} and not torch.cuda.is_available():
        train_parallel([p for p in runs if p.profile == "cpu"], out, jobs)
    recs = {}
    for p in runs:
        found = find(p) if p.profile in ("gpu", "paper") else None
        if found is not None and not torch.cuda.is_available():
            if found.record is None:
                raise RuntimeError(f"The {p.profile} run {p.run_id} ({p.label}) has no record in "
                                   f"{results_dir(p.part)} and needs a CUDA GPU: run "
                                   f"`python scripts/gpu_campaign.py --pages {p.page}` on one.")
            recs[p.key] = found.record                # current or not: never retrained on a CPU
        elif (found is not None and found.status == "current" and not p.keep_state
              and (not p.per_sample or found.path.with_suffix(".npz").exists())):
            recs[p.key] = found.record                # a campaign computed it with this very code
        else:
            with threads(train_threads(p)):
                recs[p.key] = run_or_load(p.config, out, per_sample=p.per_sample, keep_state=p.keep_state,
                                          **kwargs)
    return recs


def train_threads(p) -> int | None:
    """The CPU threads a planned run trains on: one at the ``cpu`` profile on a machine without a
    GPU, whether a worker of :func:`train_parallel` or the page's own process trains it, since a
    network's floating-point sums, and with them a noisy run's numbers, differ with the thread count;
    else None (as many as the process has)."""
    return 1 if p.profile == "cpu" and not torch.cuda.is_available() else None


@contextlib.contextmanager
def threads(n: int | None):
    """Run the body on ``n`` CPU threads (None: leave them), then restore the count."""
    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def parallel_jobs(jobs: int | None = None) -> int:
    """How many runs a CPU trains at once: ``jobs``, else ``$LNL_JOBS``, else one per core, each
    on one thread. Two single-threaded runs on two cores train about 1.3 times as many epochs per
    second as the same two runs one after the other on two threads each (small CNN,
    Fashion-MNIST): the small convolutions of the cpu profile do not keep two threads busy."""
    if jobs is None:
        jobs = int(os.environ.get("LNL_JOBS") or cores())
    return max(1, int(jobs))


def train_parallel(runs, out: str | Path | Callable[[Any], str | Path], jobs: int | None = None,
                   progress: Callable[[int, int, float], None] | None = None) -> list[str]:
    """Train the planned ``runs`` that :func:`needs_training` in ``out``, ``jobs``
    (:func:`parallel_jobs`) at a time in worker processes (:func:`lnl.executor.run`), each on its
    share of the cores (one thread at the ``cpu`` profile, :func:`train_threads`; else at most its
    page's ``threads`` setting); return the run ids trained. ``out`` is one folder, or a function
    giving each planned run its folder (the book's build trains the runs of every page, each into
    its part's ``records/<part>``). Runs start in the given order (give the longest first:
    :func:`longest_first`), so that the workers finish together. A run already trained by another
    page of the same build is adopted, not trained again. A run that fails in a worker is left to
    :func:`run_or_load`, which trains it in this process and raises its error there. Nothing happens
    with one job or fewer than two runs to train: a worker's start would cost more than it saves.
    ``progress(done, total, elapsed_s)`` is called each time a run finishes, for a progress line."""
    from lnl import plans

    folder = out if callable(out) else (lambda p: out)
    todo = list({p.run_id: p for p in runs if needs_training(p, folder(p))}.values())
    jobs = min(parallel_jobs(jobs), len(todo))
    if jobs < 2:
        return []
    share = max(1, cores() // jobs)
    work = []
    for p in todo:
        Path(folder(p)).mkdir(parents=True, exist_ok=True)
        threads = train_threads(p) or min(share, plans.settings(p.page, p.profile).get("threads") or share)
        work.append(executor.Job(p.run_id, _train_planned, (p.config, str(folder(p)), p.per_sample, p.keep_state),
                                 threads=threads, log=os.devnull,
                                 current=lambda p=p: not needs_training(p, folder(p))))
    executor.run(work, jobs, progress=progress)
    return [p.run_id for p in todo if not needs_training(p, folder(p))]


def _train_planned(config: Any, out: str, per_sample: bool, keep_state: bool) -> str:
    """One planned run in a worker of :func:`train_parallel`: :func:`run_or_load`; its run id."""
    run_or_load(config, out, per_sample=per_sample, keep_state=keep_state)
    return engine.run_id(config)


def longest_first(runs, out: str | Path | Callable[[Any], str | Path]) -> list:
    """The planned ``runs`` ordered by what they are expected to cost, the longest first, so that
    the last runs of :func:`train_parallel` are short and its workers finish together. A run's
    expected cost is the training time its record in ``out`` (or a function of the run, as in
    :func:`train_parallel`) last took, current or not; a run with no record counts its epochs times
    its training images per class, scaled by the recorded runs' median seconds per such unit."""
    folder = out if callable(out) else (lambda p: out)
    known: dict[str, float] = {}
    rates = []
    for p in runs:
        path = Path(folder(p)) / f"{p.run_id}.json"
        if not path.exists():
            continue
        try:
            rec = records.read_record(path)
        except Exception:                               # an unreadable record is no estimate
            continue
        seconds = float(sum(rec.get("timing", {}).get("epoch_s") or []))
        known[p.run_id] = seconds
        if seconds > 0:
            rates.append(seconds / _size(p))
    rate = float(np.median(rates)) if rates else 1.0
    return sorted(runs, key=lambda p: known.get(p.run_id, rate * _size(p)), reverse=True)


def _size(p) -> float:
    """Epochs times training images per class (all of them: 6000) of a planned run."""
    return float(p.config.epochs * (p.config.train_per_class or 6000))


def source(obj):
    """The library's source of ``obj``, highlighted: a page shows the code it calls."""
    import inspect

    from IPython.display import Code

    return Code(inspect.getsource(obj), language="python")


def glued(notebook: str | Path | dict[str, Any]) -> dict[str, str]:
    """``{name: text}`` of every value an executed notebook glued (``myst_nb.glue``), as the page's
    prose shows it: the plain-text form of each glued output."""
    import json

    nb = notebook if isinstance(notebook, dict) else json.loads(Path(notebook).read_text())
    out = {}
    for cell in nb.get("cells", []):
        for o in cell.get("outputs", []):
            meta = (o.get("metadata") or {}).get("scrapbook")
            if meta:
                out[meta["name"]] = o["data"].get(meta["mime_prefix"] + "text/plain")
    return out
