"""GPU campaigns: train the plans of several pages in one short GPU slot, keep what they computed.

A GPU slot is short (minutes) and bare, and only a few files come back from it. A campaign

1. takes the plans of some pages at a profile (:mod:`lnl.plans`, the same plans the pages read);
2. skips every run that has a *current* record under ``results/<part>/`` (same config, same library
   code: :func:`lnl.records.source_hash`);
3. starts a run only if its estimated time fits the budget left (:func:`estimate_s`), several at
   once where that raises the GPU's throughput (``jobs``; measured by ``benchmarks/throughput.py``);
4. computes what a page needs from a trained network at the end of each run (:func:`write_extras`:
   a feature sample, the corrected labels) and drops the weights: they never come back;
5. packs records and side files into at most 8 files (:func:`pack`).

Back in the repository, :func:`unpack` puts them into ``results/<part>/``, where they are
committed, and every page renders its GPU section from them at any profile (:func:`section`). A
record from older library code stays and is shown with a marker naming that code
(:func:`stale_marker`); it is never retrained on a CPU.

``scripts/gpu_campaign.py`` is the command line; the README gives the exact call on a bare GPU
machine. Everything here runs on a CPU as well (the ``smoke`` profile), which is how it is tested.
"""

from __future__ import annotations

import functools
import json
import math
import os
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from lnl import plans, records
from lnl.plans import Planned

ROOT = Path(__file__).resolve().parents[1]
MAX_FILES = 8                     # files a GPU machine may send back
MAX_FILE_BYTES = 15 * 2**20       # each at most 16 MiB; a margin for the zip's own headers
MANIFEST = "campaign.json"
CAMPAIGN_LOG = "campaigns.jsonl"  # in results/: every unpacked campaign's manifest, a line each
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
FEATURE_SAMPLE = 5000             # extras "features": this many training samples ...
FEATURE_DIMS = 64                 # ... projected on their first principal components (t-SNE input)


class CampaignError(Exception):
    """A failure reported as one sentence, without a traceback."""


# ----------------------------------------------------------------------------------------------
# Where results live, and whether a planned run has one
# ----------------------------------------------------------------------------------------------

def results_root() -> Path:
    """``$LNL_RESULTS`` or ``<checkout>/results``: committed records of campaign runs, by part."""
    env = os.environ.get("LNL_RESULTS")
    return Path(env).expanduser() if env else ROOT / "results"


def results_dir(part: str, root: str | Path | None = None) -> Path:
    return Path(root or results_root()) / part


def is_current(record: dict[str, Any]) -> bool:
    """Computed by the library code that is here now."""
    return record["provenance"].get("lnl_source_hash") == records.source_hash()


def stale_marker(record: dict[str, Any]) -> str:
    """The plain words shown beside a record of older library code (empty when it is current)."""
    if is_current(record):
        return ""
    prov = record["provenance"]
    git = prov.get("git") or {}
    sha = (git.get("sha") or "unknown")[:10] + (" (dirty)" if git.get("dirty") else "")
    return (f"older library: lnl {prov.get('lnl_version', '?')} @ {sha}, "
            f"library hash {prov.get('lnl_source_hash') or 'none'} (now {records.source_hash()})")


@dataclass
class Found:
    """A planned run and its record in a results folder: ``status`` is current, stale or missing."""

    planned: Planned
    path: Path | None = None
    record: dict[str, Any] | None = None

    @property
    def status(self) -> str:
        if self.record is None:
            return "missing"
        return "current" if is_current(self.record) else "stale"


def find(planned: Planned, root: str | Path | None = None) -> Found:
    """The record of ``planned`` under ``results/<part>/``, else under another part's folder (a run
    two parts plan is trained once) (``root`` overrides ``results/``)."""
    path = results_dir(planned.part, root) / f"{planned.run_id}.json"
    if not path.exists():
        path = next(iter(sorted(Path(root or results_root()).glob(f"*/{planned.run_id}.json"))), path)
    if not path.exists():
        return Found(planned)
    return Found(planned, path, records.read_record(path))


# ----------------------------------------------------------------------------------------------
# How long a run takes
# ----------------------------------------------------------------------------------------------

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


def measured_epoch_s(planned: Planned, root: str | Path | None = None, device: str = "cuda") -> float | None:
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


def estimate_s(planned: Planned, device: str = "cuda", root: str | Path | None = None) -> tuple[float, str]:
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


# ----------------------------------------------------------------------------------------------
# One run: train, compute the extras, drop the weights
# ----------------------------------------------------------------------------------------------

def planned_run(pages: str, profile: str, run_id: str) -> Planned:
    """The run ``run_id`` of the ``profile`` plans of ``pages`` (comma-separated), with what any of
    them keeps of it."""
    hit = [p for page in pages.split(",") for p in plans.plan(page, profile) if p.run_id == run_id]
    if not hit:
        raise CampaignError(f"The {profile} plan of {pages} has no run {run_id}.")
    return plans.unique(hit)[0]


def execute(planned: Planned, work: str | Path) -> dict[str, Any]:
    """Train ``planned`` into ``work/<part>/`` (resuming a checkpoint there), write its extras and
    a float16 copy of its per-sample losses, and delete its trained state and checkpoint."""
    from lnl import runner

    out = Path(work) / planned.part
    keep = planned.keep_state or bool(planned.extras)
    rec = runner.run(planned.config, out=out, resume=True, per_sample=planned.per_sample, keep_state=keep,
                   progress=False)
    path = out / f"{rec['run_id']}.json"
    if planned.extras:
        write_extras(path, planned.extras)
    if planned.per_sample:
        shrink_per_sample(path.with_suffix(".npz"))
    if keep:
        path.with_suffix(".state.pt").unlink(missing_ok=True)
        rec.pop("state_file", None)
        records.write_json_atomic(path, rec)
    return rec


def write_extras(record_path: str | Path, extras: Iterable[str]) -> Path:
    """``<run-id>.extras.npz`` beside the record, from its trained state:

    - ``features``: a fixed sample of :data:`FEATURE_SAMPLE` training samples (``feature_idx``),
      their penultimate features projected on the first :data:`FEATURE_DIMS` principal components
      (``features``, float16), with their given and true labels;
    - ``soft_labels``: the method's soft labels ``t`` as their argmax and max (MixNN's eq. 14);
    - ``weights``: IEG's meta step, :func:`lnl.report.meta_weights` (ω*·B of every sample after each
      epoch, the last λ* and pseudo label);
    - ``scores``: the method's clean ``score`` of every training sample, its ``predicted`` class and
      ``p_clean`` where it has one (:func:`lnl.detect.method_scores`);
    - ``heldout_probs``: a cross-validation run's predicted probabilities of its held-out fold
      (:func:`lnl.detect.fold_probs`).
    """
    import torch

    from lnl import runner

    record_path = Path(record_path)
    r = runner.restore(record_path)
    arrays: dict[str, np.ndarray] = {"given": np.asarray(r.prep.labels), "true": np.asarray(r.prep.true)}
    extras = set(extras)
    if "features" in extras:
        _, emb = r.ctx.train_features(r.method.net)
        pick = np.sort(np.random.default_rng(0).permutation(len(emb))[:FEATURE_SAMPLE])
        x = emb[torch.as_tensor(pick, device=emb.device)].float()
        x = x - x.mean(0)
        q = min(FEATURE_DIMS, *x.shape)
        _, _, v = torch.linalg.svd(x, full_matrices=False)
        arrays["feature_idx"] = pick
        arrays["features"] = (x @ v[:q].T).cpu().numpy().astype(np.float16)
    if "soft_labels" in extras:
        t = getattr(r.method, "t", None)
        if t is None:
            raise CampaignError(f"{record_path.name}: the method keeps no soft labels t.")
        arrays["t_argmax"] = t.argmax(1).cpu().numpy().astype(np.int16)
        arrays["t_max"] = t.max(1).values.float().cpu().numpy().astype(np.float16)
    if "scores" in extras:                   # the method's clean score of every training sample (lnl detect)
        from lnl.detect import method_scores

        mine = method_scores(r)
        arrays["score"] = mine["score"].astype(np.float32)
        arrays["predicted"] = mine["probs"].argmax(1).astype(np.int16)
        if mine["p_clean"] is not None:
            arrays["p_clean"] = np.asarray(mine["p_clean"], dtype=np.float32)
    if "heldout_probs" in extras:            # a fold run's out-of-sample probabilities (cleanlab's input)
        from lnl.detect import fold_probs

        arrays["heldout_probs"] = fold_probs(r).astype(np.float32)
    if "weights" in extras:
        from lnl.report import meta_weights

        arrays.update({k: v for k, v in meta_weights(r).items() if k not in arrays})
    out = record_path.with_name(f"{record_path.stem}.extras.npz")
    with records.atomic_path(out) as tmp:
        np.savez_compressed(tmp, **arrays)
    return out


def read_extras(record_path: str | Path) -> dict[str, np.ndarray] | None:
    path = Path(record_path)
    path = path.with_name(f"{path.stem}.extras.npz")
    if not path.exists():
        return None
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def shrink_per_sample(npz: Path) -> None:
    """Per-sample losses as float16: half the bytes, far below what a GMM fit can tell apart."""
    with np.load(npz) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["loss"] = arrays["loss"].astype(np.float16)
    with records.atomic_path(npz) as tmp:
        np.savez_compressed(tmp, **arrays)


# ----------------------------------------------------------------------------------------------
# The campaign
# ----------------------------------------------------------------------------------------------

@dataclass
class Item:
    planned: Planned
    pages: list[str]
    status: str                       # of its record before the campaign: missing or stale
    estimate_s: float
    source: str
    outcome: str = "not started"      # done, failed, killed at the budget, does not fit
    wall_s: float | None = None
    log: str = ""


@dataclass
class Campaign:
    """The runs of ``pages`` at ``profile`` that lack a current record, in priority order."""

    pages: list[str]
    profile: str
    device: str = "cuda"
    root: str | Path | None = None    # results folder (default results/)
    items: list[Item] = field(default_factory=list)
    have: list[Found] = field(default_factory=list)

    @classmethod
    def build(cls, pages: list[str], profile: str, device: str = "cuda",
              root: str | Path | None = None) -> "Campaign":
        c = cls(pages, profile, device, root)
        planned = [p for page in pages for p in plans.plan(page, profile)]
        by_page: dict[str, list[str]] = {}
        for p in planned:
            by_page.setdefault(p.run_id, []).append(p.page)
        for p in plans.unique(planned):
            found = find(p, root)
            if found.status == "current":
                c.have.append(found)
                continue
            est, source = estimate_s(p, device, root)
            c.items.append(Item(p, list(dict.fromkeys(by_page[p.run_id])), found.status, est, source))
        return c

    def plan_table(self) -> str:
        """The dry run: per page, its runs without a current record and their estimated minutes."""
        unit = "GPU-minutes" if self.device == "cuda" else "CPU-minutes"
        lines = [f"Campaign at profile '{self.profile}' on {self.device}: {len(self.items)} run(s) to train, "
                 f"{len(self.have)} with a current record skipped"]
        for page in self.pages:
            mine = [i for i in self.items if i.pages[0] == page]
            have = [f for f in self.have if f.planned.page == page]
            total = sum(i.estimate_s for i in mine) / 60
            lines.append(f"\n{page}: {len(mine)} to train ({total:.1f} {unit}), {len(have)} current")
            lines += [f"  tier {i.planned.tier} {plans.TIERS[i.planned.tier]:<10} {i.estimate_s / 60:6.1f} min "
                      f"({i.source}) {i.status:<7} {i.planned.run_id}  {i.planned.label}" for i in mine]
        total = sum(i.estimate_s for i in self.items) / 60
        lines.append(f"\nTotal: {total:.1f} {unit} for one run at a time")
        return "\n".join(lines)

    def run(self, budget_s: float, jobs: int, work: str | Path, timing: dict[str, Any] | None = None,
            poll_s: float = 1.0, echo=print) -> None:
        """Train the items in priority order, ``jobs`` at a time, each only if its estimate at that
        concurrency fits what is left of ``budget_s``; kill what still runs at the budget."""
        from lnl import data

        t0 = time.monotonic()
        work = Path(work)
        (work / "logs").mkdir(parents=True, exist_ok=True)
        missing: dict[str, str] = {}
        for name in dict.fromkeys(i.planned.config.dataset for i in self.items):
            try:
                data.load(name)    # found (or decoded into its cache) once, before runs start together
            except data.DataNotFound as err:      # its runs are reported; the other data sets' still train
                missing[name] = str(err)
                echo(f"not trained, data set missing: {err}")
        queue = []
        for i in self.items:
            if i.planned.config.dataset in missing:
                i.outcome, i.log = "data set missing", missing[i.planned.config.dataset]
            else:
                queue.append(i)
        factor = jobs / speedup(jobs, timing)[0]          # one run's wall time at this concurrency
        running: dict[int, tuple[Item, subprocess.Popen, float, Any]] = {}
        while queue or running:
            left = budget_s - (time.monotonic() - t0)
            while queue and len(running) < jobs:
                fits = next((i for i in queue if i.estimate_s * factor <= left), None)
                if fits is None:
                    for i in queue:
                        i.outcome = "does not fit the budget left"
                    queue.clear()
                    break
                queue.remove(fits)
                log = open(work / "logs" / f"{fits.planned.run_id}.log", "w")
                cmd = [sys.executable, "-m", "lnl.campaign", "--worker", ",".join(fits.pages), self.profile,
                       fits.planned.run_id, str(work)]
                env = {**os.environ, "PYTHONPATH": os.pathsep.join(
                    [str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
                if self.device == "cpu":                 # share the cores; oversubscribed threads crawl
                    env["LNL_THREADS"] = str(max(1, (os.cpu_count() or 1) // jobs))
                proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
                running[proc.pid] = (fits, proc, time.monotonic(), log)
                echo(f"[{time.monotonic() - t0:6.0f} s] start {fits.planned.run_id} ({fits.planned.label}; "
                     f"estimate {fits.estimate_s * factor / 60:.1f} min)")
            time.sleep(poll_s if running else 0)
            over = time.monotonic() - t0 > budget_s
            for pid, (item, proc, started, log) in list(running.items()):
                if proc.poll() is None and not over:
                    continue
                if proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                    item.outcome = "killed at the budget"
                else:
                    item.outcome = "done" if proc.returncode == 0 else "failed"
                log.close()
                item.wall_s = time.monotonic() - started
                text = (work / "logs" / f"{item.planned.run_id}.log").read_text(errors="replace")
                item.log = "\n".join(text.strip().splitlines()[-5:])
                del running[pid]
                echo(f"[{time.monotonic() - t0:6.0f} s] {item.outcome} {item.planned.run_id} "
                     f"after {item.wall_s / 60:.1f} min" + (f": {item.log.splitlines()[-1]}"
                                                             if item.outcome == "failed" and item.log else ""))

    def manifest(self, budget_s: float, jobs: int, timing: dict[str, Any] | None) -> dict[str, Any]:
        from lnl import engine

        import torch

        return {
            "pages": self.pages, "profile": self.profile, "budget_s": budget_s, "jobs": jobs,
            "speedup": speedup(jobs, timing), "device": records.device_name(engine.resolve_device("auto")),
            "torch_version": torch.__version__, "code": records.code_state(), "date": records.now().isoformat(),
            "skipped_current": [f.planned.run_id for f in self.have],
            "runs": [{"run_id": i.planned.run_id, "pages": i.pages, "label": i.planned.label,
                      "tier": i.planned.tier, "before": i.status, "estimate_s": round(i.estimate_s, 1),
                      "estimate_source": i.source, "outcome": i.outcome,
                      "wall_s": None if i.wall_s is None else round(i.wall_s, 1), "log_tail": i.log}
                     for i in self.items],
        }


def worker(pages: str, profile: str, run_id: str, work: str) -> int:
    """One run in its own process (``python -m lnl.campaign --worker PAGES PROFILE RUN_ID WORK``);
    ``$LNL_THREADS`` sets its CPU threads, and a page's own ``threads`` setting (a tiny MLP trains
    fastest on one) caps them, as on the page."""
    planned = planned_run(pages, profile, run_id)
    own = plans.settings(planned.page, profile).get("threads")
    caps = ([int(os.environ["LNL_THREADS"])] if os.environ.get("LNL_THREADS") else []) + ([own] if own else [])
    if caps:
        import torch

        torch.set_num_threads(min(caps))
    rec = execute(planned, work)
    s = rec["summary"]
    print(f"{run_id}: test accuracy best {s['test_acc_best']:.4f}, last {s['test_acc_last']:.4f}, "
          f"last 10 {s['test_acc_last10']:.4f}; {s['wall_time_s']:.0f} s")
    return 0


# ----------------------------------------------------------------------------------------------
# Packing for the trip back, and unpacking into results/
# ----------------------------------------------------------------------------------------------

def _priority(path: Path, order: dict[str, int]) -> tuple[int, int, str]:
    """Records first (small, and what every page needs), then side files in plan order."""
    rid = path.name.split(".")[0]
    return (0 if path.suffix == ".json" else 1, order.get(rid, len(order)), path.name)


def pack(work: str | Path, out: str | Path, manifest: dict[str, Any], *, max_files: int = MAX_FILES,
         max_bytes: int = MAX_FILE_BYTES, extra_files: dict[str, Any] | None = None) -> list[Path]:
    """Zip the records and side files under ``work/<part>/`` into ``out``: the manifest plus at most
    ``max_files - 1`` zips of at most ``max_bytes`` each. Records go first, side files in plan
    order; what does not fit is named in the manifest's ``left_out``. Trained state, checkpoints and
    logs are never packed. ``extra_files`` (name -> JSON object) travel in the first zip."""
    work, out = Path(work), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    order = {r["run_id"]: k for k, r in enumerate(manifest.get("runs", []))}
    files = sorted((p for p in work.glob("*/*") if p.is_file() and not p.name.startswith(".")
                    and p.parent.name != "logs" and not p.name.endswith((".state.pt", ".ckpt"))),
                   key=lambda p: _priority(p, order))
    shards: list[Path] = []
    zf, size, left_out = None, 0, []
    for name, obj in (extra_files or {}).items():
        files.insert(0, (name, json.dumps(obj, indent=1).encode()))
    for item in files:
        arcname, data = (item if isinstance(item, tuple)
                         else (f"{item.parent.name}/{item.name}", item.read_bytes()))
        if len(data) > max_bytes:
            left_out.append({"file": arcname, "bytes": len(data), "why": "larger than one file may be"})
            continue
        if zf is None or size + len(data) > max_bytes:
            if zf is not None:
                zf.close()
            if len(shards) >= max_files - 1:
                left_out.append({"file": arcname, "bytes": len(data), "why": f"over {max_files} files"})
                zf = None
                continue
            shards.append(out / f"campaign-{len(shards) + 1}.zip")
            zf, size = zipfile.ZipFile(shards[-1], "w", zipfile.ZIP_DEFLATED), 0
        zf.writestr(arcname, data)
        zf.fp.flush()
        size = shards[-1].stat().st_size
    if zf is not None:
        zf.close()
    manifest = {**manifest, "shards": [s.name for s in shards], "left_out": left_out}
    records.write_json_atomic(out / MANIFEST, manifest)
    return [out / MANIFEST] + shards


def unpack(folder: str | Path, root: str | Path | None = None,
           timing_file: str | Path | None = None) -> list[Path]:
    """Put what a campaign brought back into ``results/<part>/`` (``root`` overrides ``results/``).

    Every record is checked before anything is written; a file already there is replaced only by
    the campaign's newer one. ``gpu_timing.json``, when the campaign measured it, goes to
    :data:`TIMING_FILE`; the manifest is appended to ``results/campaigns.jsonl``. Returns the files
    written."""
    folder = Path(folder)
    if not (folder / MANIFEST).exists():
        raise CampaignError(f"{folder} holds no {MANIFEST}: it is not what a campaign wrote.")
    manifest = json.loads((folder / MANIFEST).read_text())
    root = Path(root or results_root())
    staged: list[tuple[Path, bytes]] = []
    for shard in manifest.get("shards", []):
        if not (folder / shard).exists():
            raise CampaignError(f"{folder / shard} is missing: the campaign wrote {len(manifest['shards'])} "
                                "zip file(s); bring all of them back.")
        with zipfile.ZipFile(folder / shard) as zf:
            for name in zf.namelist():
                data = zf.read(name)
                if name == "gpu_timing.json":
                    staged.append((Path(timing_file or TIMING_FILE), data))
                    continue
                part, _, fname = name.partition("/")
                if not part or "/" in fname or fname.startswith(".") or ".." in name:
                    raise CampaignError(f"{shard} holds an unexpected path {name}.")
                if fname.endswith(".json"):
                    rec = json.loads(data)
                    missing = [k for k in records.REQUIRED_KEYS if k not in rec]
                    if missing:
                        raise CampaignError(f"{shard}: {name} is not a run record (it lacks {', '.join(missing)}).")
                staged.append((root / part / fname, data))
    log = root / CAMPAIGN_LOG            # what each campaign ran, failed, left out: one JSON line each
    staged.append((log, (log.read_bytes() if log.exists() else b"")
                   + json.dumps(manifest, sort_keys=True).encode() + b"\n"))
    written = []
    for path, data in staged:
        with records.atomic_path(path) as tmp:
            tmp.write_bytes(data)
        written.append(path)
    return written


# ----------------------------------------------------------------------------------------------
# What a page shows
# ----------------------------------------------------------------------------------------------

@dataclass
class Section:
    """A page's campaign runs at ``profile``: those with records (current or stale) and those missing."""

    page: str
    profile: str
    found: list[Found]
    missing: list[Found]
    root: str | Path | None = None

    def minutes(self) -> tuple[float, float, str]:
        """GPU-minutes of the page's plan: measured wall time of what ran, estimate of what did not."""
        done = sum(float(f.record["summary"].get("wall_time_s") or 0) for f in self.found) / 60
        device = "cuda" if self.profile in ("gpu", "paper") else "cpu"
        est = [estimate_s(f.planned, device, self.root) for f in self.missing]
        sources = sorted({s for _, s in est})
        return done, sum(e for e, _ in est) / 60, ", ".join(sources) or "nothing missing"

    def table(self):
        """One row per run with a record: what it is, how it scored, and where it came from."""
        import pandas as pd

        rows = []
        for f in self.found:
            rec, s = f.record, f.record["summary"]
            rows.append({"run": f.planned.label, "tier": plans.TIERS[f.planned.tier],
                         "ρ": rec["noise"].get("rate_effective"), "best": 100 * s["test_acc_best"],
                         "last": 100 * s["test_acc_last"], "last 10": 100 * s["test_acc_last10"],
                         "device": rec["provenance"].get("device"),
                         "git": (rec["provenance"].get("git") or {}).get("sha", "")[:10] if
                         (rec["provenance"].get("git") or {}).get("sha") else "unknown",
                         "minutes": float(s.get("wall_time_s") or 0) / 60,
                         "library": "current" if f.status == "current" else stale_marker(rec)})
        cols = ["run", "tier", "ρ", "best", "last", "last 10", "device", "git", "minutes", "library"]
        return pd.DataFrame(rows, columns=cols).set_index("run")

    def markdown(self, command: str | None = None) -> str:
        """What the page says about its campaign runs: how many exist, their cost, what is missing."""
        from lnl.book import provenance_line

        n = len(self.found) + len(self.missing)
        done, est, source = self.minutes()
        stale = [f for f in self.found if f.status == "stale"]
        cmd = command or (f"python scripts/gpu_campaign.py --pages {self.page.split('/')[0]}"
                          + ("" if self.profile == "gpu" else f" --profile {self.profile}"))
        unit = "GPU-minutes" if self.profile in ("gpu", "paper") else "CPU-minutes"
        out = [f"**{len(self.found)} of {n}** runs of this page's `{self.profile}` plan have records "
               f"({done:.1f} {unit} measured); {len(self.missing)} missing ({est:.1f} {unit}, {source})."]
        if stale:
            out.append(f"{len(stale)} record(s) come from older library code; each is marked in the "
                       "table and kept until a GPU recomputes it, never retrained on a CPU.")
        if self.found:
            out.append(provenance_line([f.record for f in self.found]))
        if self.missing:
            out.append("Missing, in the order a campaign trains them: "
                       + "; ".join(f"{f.planned.label} (tier {f.planned.tier})" for f in self.missing[:12])
                       + (f"; and {len(self.missing) - 12} more" if len(self.missing) > 12 else "")
                       + f". On a GPU machine: `{cmd}`.")
        return "\n\n".join(out)


def section(page: str, profile: str = "gpu", root: str | Path | None = None, **overrides: Any) -> Section:
    """``page``'s runs at ``profile`` as found under ``results/`` (``root`` overrides it)."""
    found = [find(p, root) for p in plans.plan(page, profile, **overrides)]
    return Section(page, profile, [f for f in found if f.record is not None],
                   [f for f in found if f.record is None], root)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 5 and argv[0] == "--worker":
        return worker(*argv[1:])
    print("usage: python -m lnl.campaign --worker PAGES PROFILE RUN_ID WORK "
          "(scripts/gpu_campaign.py is the command line)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
