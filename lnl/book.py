"""What the book's notebooks share: profiles, the provenance banner, load-or-run, Colab.

Profiles set the scale of every notebook (its ``parameters`` cell holds ``profile`` and a
per-profile table of settings; papermill overrides them):

=========  ==========================================================================
``smoke``  seconds per notebook: digits or tiny subsets; what CI executes under nbval
``cpu``    minutes per notebook on 2 cores: Fashion-MNIST, the CIFAR-10 copy with a small net
``gpu``    CIFAR-10/100 with a reduced schedule, minutes per run on one H100 (lnl.campaign estimates them)
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
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

import lnl
from lnl import engine, records, runner

from lnl.profiles import HARDWARE, PROFILES  # noqa: F401  (the pages read lnl.book.HARDWARE)


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
    (:func:`lnl.campaign.estimate_s` on ``t4``), one run at a time; records already there cost nothing."""
    from lnl import campaign, plans

    def total(planned):
        return sum(campaign.estimate_s(p, "t4")[0] for p in plans.unique(list(planned)))

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
    from lnl import plans, plot

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
    plot.apply_style()
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
    path = Path(out) / f"{engine.run_id(cfg)}.json"
    if not path.exists():
        _adopt_from_sibling(path, **kwargs)
    if path.exists():
        rec = records.read_record(path)
        current = rec["provenance"].get("lnl_source_hash") == records.source_hash()
        missing = ((kwargs.get("per_sample") and not path.with_suffix(".npz").exists())
                   or (kwargs.get("keep_state") and not path.with_suffix(".state.pt").exists()))
        if current and not missing:
            return rec
        path.with_suffix(".ckpt").unlink(missing_ok=True)  # a stale checkpoint is no start either
    return runner.run(cfg, out=out, resume=True, **kwargs)


def _adopt_from_sibling(path: Path, **kwargs: Any) -> bool:
    """Copy a current record of the same run id, and its per-sample arrays and trained state, from
    a sibling of ``path``'s folder (another part's records) into ``path``'s folder."""
    import shutil

    if not path.parent.parent.is_dir():
        return False
    for other in sorted(path.parent.parent.glob(f"*/{path.name}")):
        if other.parent == path.parent:
            continue
        rec = records.read_record(other)
        if rec["provenance"].get("lnl_source_hash") != records.source_hash():
            continue
        wanted = [other.with_suffix(s) for s, on in ((".npz", kwargs.get("per_sample")),
                                                       (".state.pt", kwargs.get("keep_state"))) if on]
        if not all(w.exists() for w in wanted):
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        for src in wanted + [other]:                    # the record last: it marks the copy complete
            with records.atomic_path(path.with_suffix(src.name[len(other.stem):])) as tmp:
                shutil.copyfile(src, tmp)
        return True
    return False


def run_plan(runs, out: str | Path, jobs: int | None = None, **kwargs: Any) -> dict[tuple, dict[str, Any]]:
    """``{planned.key: record}`` for the runs of a page's plan (:func:`lnl.plans.plan`), each through
    :func:`run_or_load` with what the plan keeps (per-sample losses, trained state).

    The ``gpu`` and ``paper`` plans are never trained without CUDA: on a CPU they come from the
    campaign records in ``results/`` (:mod:`lnl.campaign`), current or not, and a run without one is
    an error that names the command producing it. On a GPU a current campaign record is used where
    the page needs no trained state from it. At the ``cpu`` profile the runs still to train go
    first through :func:`train_parallel` (``jobs`` at a time; the ``smoke`` runs are shorter than
    a worker's start). A ``cpu`` run trains on one thread wherever it trains, in a worker or here
    (:func:`train_threads`), so that its record is the same whether the book's build or the page
    alone trained it. ``kwargs`` go to :func:`run_or_load`: ``dataset=`` is the data set the runs
    name, already loaded (workers load their own).
    """
    from lnl import campaign

    runs = list(runs)
    if set(kwargs) <= {"dataset"} and not torch.cuda.is_available():
        train_parallel([p for p in runs if p.profile == "cpu"], out, jobs)
    recs = {}
    for p in runs:
        found = campaign.find(p) if p.profile in ("gpu", "paper") else None
        if found is not None and not torch.cuda.is_available():
            if found.record is None:
                raise RuntimeError(f"The {p.profile} run {p.run_id} ({p.label}) has no record in "
                                   f"{campaign.results_dir(p.part)} and needs a CUDA GPU: run "
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


def needs_training(p, out: str | Path) -> bool:
    """Whether :func:`run_or_load` would train the planned run ``p`` in ``out`` (no current record
    with what the plan keeps, here or in a sibling part's folder)."""
    path = Path(out) / f"{p.run_id}.json"
    if not path.exists():
        _adopt_from_sibling(path, per_sample=p.per_sample, keep_state=p.keep_state)
    if not path.exists():
        return True
    rec = records.read_record(path)
    missing = ((p.per_sample and not path.with_suffix(".npz").exists())
               or (p.keep_state and not path.with_suffix(".state.pt").exists()))
    return rec["provenance"].get("lnl_source_hash") != records.source_hash() or missing


def cores() -> int:
    """The CPU cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


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
    (:func:`parallel_jobs`) at a time, each in a worker process (``python -m lnl.book --train``) on
    its share of the cores (one thread at the ``cpu`` profile, :func:`train_threads`; else at most
    its page's ``threads`` setting); return their run ids. ``out`` is one folder, or a function
    giving each planned run its folder (the book's build trains the runs of every page, each into
    its part's ``records/<part>``). Workers take the runs in the given order, each claiming a run
    before it trains it, so the cores stay busy whatever the runs cost (give the longest first:
    :func:`longest_first`). A run already trained by another page of the same build is adopted,
    not trained again. A run that fails in a worker is left to :func:`run_or_load`, which trains it
    in this process and raises its error there. Nothing happens with one job or fewer than two runs
    to train. ``progress(done, total, elapsed_s)`` is called each time runs finish (every few
    seconds at most), for a progress line."""
    import json
    import subprocess
    import tempfile

    from lnl import plans

    folder = out if callable(out) else (lambda p: out)
    todo = list({p.run_id: p for p in runs if needs_training(p, folder(p))}.values())
    jobs = min(parallel_jobs(jobs), len(todo))
    if jobs < 2:
        return []
    share = max(1, cores() // jobs)
    work = [dict(config=p.config.to_dict(), out=str(folder(p)), per_sample=p.per_sample, keep_state=p.keep_state,
                 threads=train_threads(p) or min(share, plans.settings(p.page, p.profile).get("threads") or share))
            for p in todo]
    for job in work:
        Path(job["out"]).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        jobfile = Path(tmp) / "runs.json"
        jobfile.write_text(json.dumps(work, default=str))
        root = str(Path(lnl.__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        procs = [subprocess.Popen([sys.executable, "-m", "lnl.book", "--train", str(jobfile)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(jobs)]
        started, since, reported = time.monotonic(), time.time(), 0
        written = [Path(folder(p), f"{p.run_id}.json") for p in todo]
        while reported < len(todo):
            running = any(proc.poll() is None for proc in procs)
            done = sum(r.exists() and r.stat().st_mtime >= since for r in written)
            if progress is not None and done > reported:
                progress(done, len(todo), time.monotonic() - started)
            reported = done
            if not running:
                break
            time.sleep(2)
    for p in todo:
        Path(folder(p), f"{p.run_id}.claim").unlink(missing_ok=True)
    return [p.run_id for p in todo if not needs_training(p, folder(p))]


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


def _train_worker(jobfile: str) -> int:
    """``python -m lnl.book --train JOBFILE``: train the runs of ``JOBFILE`` (a JSON list of
    :func:`train_parallel`'s jobs) that no other worker has claimed."""
    import json

    for job in json.loads(Path(jobfile).read_text()):
        cfg = engine.RunConfig.from_dict(job["config"])
        claim = Path(job["out"]) / f"{engine.run_id(cfg)}.claim"
        try:
            os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            continue                                    # another worker has it
        torch.set_num_threads(job["threads"])
        try:
            run_or_load(cfg, job["out"], per_sample=job["per_sample"], keep_state=job["keep_state"])
        except Exception:                               # the calling process trains it again and reports
            pass
    return 0


def protocol(config: dict[str, Any]) -> str:
    """A short hash of a run's config without its seed and device: runs that share it differ only
    by chance, so a table may average them (the leaderboard's rows)."""
    import hashlib
    import json

    rest = {k: v for k, v in config.items() if k not in ("seed", "device")}
    return hashlib.sha256(json.dumps(rest, sort_keys=True, default=str).encode()).hexdigest()[:8]


def provenance_line(recs: list[dict[str, Any]] | dict[str, Any]) -> str:
    """One line naming what produced a table: record ids, git SHA, library hash, versions, device,
    wall time.

    ``recs`` are run records (or one). Values shared by every record are written once; the wall
    time is the total of the records' ``summary.wall_time_s`` (training and per-epoch diagnostics).
    """
    recs = [recs] if isinstance(recs, dict) else list(recs)
    if not recs:
        return "No run records."

    def distinct(values) -> str:
        return ", ".join(dict.fromkeys(str(v) for v in values))

    prov = [r["provenance"] for r in recs]
    shas = []
    for p in prov:
        git = p.get("git") or {}
        sha = (git.get("sha") or "unknown")[:10]
        shas.append(sha + (" (dirty)" if git.get("dirty") else ""))
    wall = sum(float(r["summary"].get("wall_time_s") or 0.0) for r in recs)
    return (f"Records: {distinct(r['run_id'] for r in recs)} | git {distinct(shas)} | "
            f"library hash {distinct(p.get('lnl_source_hash') for p in prov)} | "
            f"lnl {distinct(p.get('lnl_version') for p in prov)}, "
            f"torch {distinct(p.get('torch_version') for p in prov)}, "
            f"Python {distinct(p.get('python_version') for p in prov)} | "
            f"device {distinct(p.get('device') for p in prov)} | "
            f"wall time {wall:.0f} s in {len(recs)} run{'s' if len(recs) != 1 else ''}")


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


def settings_text(d: dict[str, Any]) -> str:
    """A method's settings as a protocol table shows them: ``k = v, ...`` (``defaults`` when empty)."""
    return ", ".join(f"{k} = {v}" for k, v in d.items()) or "defaults"


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--train":
        sys.exit(_train_worker(sys.argv[2]))
    sys.exit("usage: python -m lnl.book --train JOBFILE (a worker of lnl.book.train_parallel)")
