"""GPU campaigns: train the plans of several pages in one short GPU slot, keep what they computed.

A GPU slot is short (minutes) and bare, and only a few files come back from it. A campaign

1. takes the plans of some pages at a profile (:mod:`lnl.plans`, the same plans the pages read);
2. skips every run that has a *current* record under ``results/<part>/`` (same config, same library
   code: :mod:`lnl.store`);
3. starts a run only if its estimated time fits the budget left (:mod:`lnl.estimates`), several at
   once where that raises the GPU's throughput (``jobs``; measured by ``benchmarks/throughput.py``),
   in worker processes of the one scheduler (:mod:`lnl.executor`), stopping what runs past the budget;
4. computes what a page needs from a trained network at the end of each run (:mod:`lnl.extras`:
   a feature sample, the corrected labels) and drops the weights: they never come back;
5. packs records and side files into at most 8 files (:func:`pack`).

Back in the repository, :func:`unpack` puts them into ``results/<part>/``, where they are
committed (it takes an ``lnl sweep`` folder the same way, :func:`unpack_sweep`), and every page renders its GPU section from them at any profile (:func:`section`). A
record from older library code stays and is shown with a marker naming that code
(:func:`stale_marker`); it is never retrained on a CPU.

``scripts/gpu_campaign.py`` is the command line; the README gives the exact call on a bare GPU
machine. Everything here runs on a CPU as well (the ``smoke`` profile), which is how it is tested.
"""

from __future__ import annotations

import json
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from lnl import executor, plans, records
from lnl.estimates import (ASSUMED_TFLOPS, DATA_SHAPES, RUN_OVERHEAD_S, STEP_OVERHEAD_S, TIMING_FILE,  # noqa: F401
                           best_jobs, estimate_s, forward_flops, load_timing, measured_epoch_s, method_cost, speedup)
from lnl.extras import (FEATURE_DIMS, FEATURE_SAMPLE, execute, read_extras, shrink_per_sample,  # noqa: F401
                        write_extras)
from lnl.plans import Planned
from lnl.store import (ROOT, Found, find, is_current, provenance_line, results_dir, results_root,  # noqa: F401
                       stale_marker)

MAX_FILES = 8                     # files a GPU machine may send back
MAX_FILE_BYTES = 15 * 2**20       # each at most 16 MiB; a margin for the zip's own headers
MANIFEST = "campaign.json"
CAMPAIGN_LOG = "campaigns.jsonl"  # in results/: every unpacked campaign's manifest, a line each


class CampaignError(Exception):
    """A failure reported as one sentence, without a traceback."""


# ----------------------------------------------------------------------------------------------
# One run: train, compute the extras (lnl.extras), drop the weights
# ----------------------------------------------------------------------------------------------

def planned_run(pages: str, profile: str, run_id: str) -> Planned:
    """The run ``run_id`` of the ``profile`` plans of ``pages`` (comma-separated), with what any of
    them keeps of it."""
    hit = [p for page in pages.split(",") for p in plans.plan(page, profile) if p.run_id == run_id]
    if not hit:
        raise CampaignError(f"The {profile} plan of {pages} has no run {run_id}.")
    return plans.unique(hit)[0]


def train_one(planned: Planned, work: str) -> dict[str, Any]:
    """One run of a campaign in a worker: :func:`lnl.extras.execute`, then its scores in one line
    (the last line of its log)."""
    rec = execute(planned, work)
    s = rec["summary"]
    print(f"{planned.run_id}: test accuracy best {s['test_acc_best']:.4f}, last {s['test_acc_last']:.4f}, "
          f"last 10 {s['test_acc_last10']:.4f}; {s['wall_time_s']:.0f} s", flush=True)
    return s


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
            echo=print) -> None:
        """Train the items in priority order, ``jobs`` at a time in worker processes
        (:func:`lnl.executor.run`), each only if its estimate at that concurrency fits what is left
        of ``budget_s``; stop what still runs at the budget (it keeps its checkpoint). Each run's
        output goes to ``work/logs/<run-id>.log``, whose last lines the manifest keeps."""
        from lnl import data

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
        share = max(1, executor.cores() // jobs) if self.device == "cpu" else None   # oversubscribed threads crawl
        by_id = {i.planned.run_id: i for i in queue}

        def threads(i: Item) -> int | None:     # a page's own setting (a tiny MLP trains fastest on one) caps them
            caps = [c for c in (share, plans.settings(i.planned.page, self.profile).get("threads")) if c]
            return min(caps) if caps else None

        def started(job: executor.Job, at: float) -> None:
            echo(f"[{at:6.0f} s] start {job.key} ({by_id[job.key].planned.label}; "
                 f"estimate {job.estimate_s * factor / 60:.1f} min)")

        def ended(job: executor.Job, out: executor.Outcome, at: float) -> None:
            item = by_id[job.key]
            item.outcome, item.wall_s = out.state, out.wall_s
            text = Path(job.log).read_text(errors="replace") if Path(job.log).exists() else ""
            item.log = "\n".join(text.strip().splitlines()[-5:]) or out.error
            echo(f"[{at:6.0f} s] {item.outcome} {job.key} after {item.wall_s / 60:.1f} min"
                 + (f": {item.log.splitlines()[-1]}" if item.outcome == "failed" and item.log else ""))

        jobs_ = [executor.Job(i.planned.run_id, train_one, (i.planned, str(work)), threads=threads(i),
                              log=work / "logs" / f"{i.planned.run_id}.log", estimate_s=i.estimate_s) for i in queue]
        outcomes = executor.run(jobs_, jobs, budget_s=budget_s, factor=factor, on_start=started, on_end=ended)
        for key, out in outcomes.items():
            if out.state == executor.NO_FIT:
                by_id[key].outcome = out.state

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
    """Put what a campaign brought back, or what ``lnl sweep`` wrote (:func:`unpack_sweep`), into
    ``results/<part>/`` (``root`` overrides ``results/``).

    Every record is checked before anything is written; a file already there is replaced only by
    the campaign's newer one. ``gpu_timing.json``, when the campaign measured it, goes to
    :data:`TIMING_FILE`; the manifest is appended to ``results/campaigns.jsonl``. Returns the files
    written."""
    from lnl.sweep import MANIFEST as SWEEP_MANIFEST

    folder = Path(folder)
    if not (folder / MANIFEST).exists() and (folder / SWEEP_MANIFEST).exists():
        return unpack_sweep(folder, root)
    if not (folder / MANIFEST).exists():
        raise CampaignError(f"{folder} holds no {MANIFEST} (nor a sweep's {SWEEP_MANIFEST}): it is not what a "
                            "campaign or a sweep wrote.")
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


SWEEP_PART = "sweeps"                # results/ folder of swept runs that no page plans
SWEEP_SIDE_FILES = (".npz", ".extras.npz")   # what pages read beside a record; never checkpoints or state


def planned_parts(run_ids: Iterable[str]) -> dict[str, str]:
    """``{run id: part}`` of the runs among ``run_ids`` that some page plans at some profile (the
    part of the first page, in book order, that plans it)."""
    wanted, parts = set(run_ids), {}
    for page in plans.pages():
        for profile in plans.PROFILES:
            for p in plans.plan(page, profile):
                if p.run_id in wanted:
                    parts.setdefault(p.run_id, p.part)
    return parts


def unpack_sweep(folder: str | Path, root: str | Path | None = None) -> list[Path]:
    """Put the records of the ``lnl sweep`` folder ``folder`` (its ``sweep.json`` names the runs)
    into ``results/<part>/``, where the pages look for them: a run that a page plans goes to that
    page's part, another to ``results/sweeps/``. Per-sample arrays and extras travel with their
    record; checkpoints, trained state and SLURM logs stay behind. A run without a record (failed,
    not run) is listed in the line appended to ``results/campaigns.jsonl``. Every record is
    checked before anything is written. Returns the files written."""
    from lnl.sweep import MANIFEST as SWEEP_MANIFEST

    folder = Path(folder)
    manifest = json.loads((folder / SWEEP_MANIFEST).read_text())
    run_ids = list(manifest.get("runs") or {})
    parts = planned_parts(run_ids)
    root = Path(root or results_root())
    staged: list[tuple[Path, bytes]] = []
    runs = []
    for rid in run_ids:
        path = folder / f"{rid}.json"
        if not path.exists():
            runs.append({"run_id": rid, "outcome": "no record", "error": manifest["runs"][rid].get("error")})
            continue
        try:
            rec = records.read_record(path)
        except ValueError as err:
            raise CampaignError(f"{path} is not a run record ({err}).") from None
        if rec.get("run_id") != rid:
            raise CampaignError(f"{path} holds the record of {rec.get('run_id')}, not of {rid}.")
        part = parts.get(rid, SWEEP_PART)
        for suffix in (".json",) + SWEEP_SIDE_FILES:
            side = folder / f"{rid}{suffix}"
            if side.exists():
                staged.append((root / part / side.name, side.read_bytes()))
        runs.append({"run_id": rid, "part": part, "outcome": "done"})
    line = {"sweep": str(folder), "executor": manifest.get("executor"), "date": records.now().isoformat(),
            "code": records.code_state(), "runs": runs}
    log = root / CAMPAIGN_LOG
    staged.append((log, (log.read_bytes() if log.exists() else b"") + json.dumps(line, sort_keys=True).encode()
                   + b"\n"))
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
    """``python -m lnl.campaign unpack FOLDER [--results DIR]``: put what a campaign or a sweep
    brought back into ``results/``."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m lnl.campaign", description=main.__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    u = sub.add_parser("unpack", help="a campaign's files or a sweep's folder into results/")
    u.add_argument("folder", type=Path)
    u.add_argument("--results", type=Path, default=None, help="results folder (default $LNL_RESULTS or results/)")
    args = p.parse_args(argv)
    try:
        written = unpack(args.folder, args.results)
    except CampaignError as err:
        print(f"lnl.campaign: {err}", file=sys.stderr)
        return 2
    for path in written:
        print(f"  {path}")
    print(f"{len(written)} file(s) written into {args.results or results_root()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
