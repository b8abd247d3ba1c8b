"""Where run records are kept, and whether one is current.

Two places hold records: a page's ``records/<part>/`` (what the book trains here, never committed)
and ``results/<part>/`` (what GPU campaigns and sweeps computed, committed). A record is *current*
when the library code that computed it is the code that is here now
(:func:`lnl.records.source_hash`): only a current record stands in for training; one of older code
is shown with a marker naming that code (:func:`stale_marker`).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lnl import records

ROOT = Path(__file__).resolve().parents[1]


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

    planned: Any
    path: Path | None = None
    record: dict[str, Any] | None = None

    @property
    def status(self) -> str:
        if self.record is None:
            return "missing"
        return "current" if is_current(self.record) else "stale"


def find(planned: Any, root: str | Path | None = None) -> Found:
    """The record of ``planned`` under ``results/<part>/``, else under another part's folder (a run
    two parts plan is trained once) (``root`` overrides ``results/``)."""
    path = results_dir(planned.part, root) / f"{planned.run_id}.json"
    if not path.exists():
        path = next(iter(sorted(Path(root or results_root()).glob(f"*/{planned.run_id}.json"))), path)
    if not path.exists():
        return Found(planned)
    return Found(planned, path, records.read_record(path))


def has_current(path: str | Path, per_sample: bool = False, keep_state: bool = False) -> bool:
    """Whether the record at ``path`` exists, is current, and has beside it what the run keeps: its
    per-sample arrays ``<run-id>.npz`` (``per_sample``), its trained state ``<run-id>.state.pt``
    (``keep_state``)."""
    path = Path(path)
    if not path.exists():
        return False
    try:
        rec = records.read_record(path)
    except ValueError:                                  # an unreadable record is none
        return False
    missing = ((per_sample and not path.with_suffix(".npz").exists())
               or (keep_state and not path.with_suffix(".state.pt").exists()))
    return is_current(rec) and not missing


def adopt_from_sibling(path: str | Path, per_sample: bool = False, keep_state: bool = False) -> bool:
    """Copy a current record of the same run id, and its per-sample arrays and trained state, from
    a sibling of ``path``'s folder (another part's records) into ``path``'s folder."""
    path = Path(path)
    if not path.parent.parent.is_dir():
        return False
    for other in sorted(path.parent.parent.glob(f"*/{path.name}")):
        if other.parent == path.parent:
            continue
        rec = records.read_record(other)
        if not is_current(rec):
            continue
        wanted = [other.with_suffix(s) for s, on in ((".npz", per_sample), (".state.pt", keep_state)) if on]
        if not all(w.exists() for w in wanted):
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        for src in wanted + [other]:                    # the record last: it marks the copy complete
            with records.atomic_path(path.with_suffix(src.name[len(other.stem):])) as tmp:
                shutil.copyfile(src, tmp)
        return True
    return False


def needs_training(p: Any, out: str | Path) -> bool:
    """Whether the planned run ``p`` lacks a current record with what its plan keeps in ``out``,
    here or in a sibling part's folder (adopted from there if it has one)."""
    path = Path(out) / f"{p.run_id}.json"
    if not path.exists():
        adopt_from_sibling(path, per_sample=p.per_sample, keep_state=p.keep_state)
    return not has_current(path, p.per_sample, p.keep_state)


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
