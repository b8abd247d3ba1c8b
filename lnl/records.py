"""Run records: one JSON file per run, written atomically, from which every number in the book comes.

A record holds

- ``config``: everything that decides the run (data, noise, model, method settings, seed);
- ``noise``: the noise convention, nominal and effective rate, and the realised transition matrix;
- ``history``: one dict per epoch, at least ``epoch`` and ``test_acc``, plus the method's losses
  and the diagnostics only a replication suite can compute (accuracy on clean and on mislabelled
  training samples, against their given and their true label);
- ``summary``: ``test_acc_best``, ``test_acc_last``, ``test_acc_last10`` (mean of the last 10
  epochs), ``noise_rate_effective``, ``wall_time_s`` and the like;
- ``timing``: seconds per epoch (kept apart from ``history`` so that two runs with the same seed
  have identical histories);
- ``provenance``: git SHA and dirty flag, lnl/torch/Python versions, device name, start/end time.

:func:`load_records` gathers records into a pandas DataFrame, one row per run.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import platform
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

import torch

import lnl

REQUIRED_KEYS = ("config", "history", "summary", "provenance")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; on success it replaces ``path`` in one
    ``os.replace``, on failure it is removed: a reader never sees a half-written file.

        with atomic_path(out / "x.npz") as tmp:
            np.savez_compressed(tmp, ...)

    The temporary name keeps ``path``'s suffix (``np.savez`` and ``torch.save`` need no other)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())            # as an ordinary new file (mkstemp makes it 0600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@functools.cache
def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_json_atomic(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically (:func:`atomic_path`)."""
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        json.dump(obj, f, indent=1, allow_nan=True)
        f.write("\n")
    return Path(path)


def git_state(cwd: str | Path | None = None) -> dict[str, Any]:
    """``{"sha": ..., "dirty": ...}`` of the checkout ``lnl`` is imported from (``None`` outside git)."""
    cwd = Path(cwd or Path(lnl.__file__).resolve().parents[1])
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                             check=True, timeout=10).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                                capture_output=True, text=True, check=True, timeout=10).stdout
        return {"sha": sha, "dirty": bool(status.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"sha": None, "dirty": None}


# Modules that cannot change what a run computes: how pages show records, which runs a plan lists
# (a run is its config), how a campaign schedules and packs them, which paper numbers a page quotes,
# what a tutorial walks through by hand, how labels are ranked and where runs are sent.
PRESENTATION_MODULES = ("book.py", "campaign.py", "cli.py", "detect.py", "estimates.py", "executor.py", "extras.py",
                        "plans", "plot", "profiles.py", "report", "store.py", "sweep.py", "walkthrough")


@functools.cache
def source_hash() -> str:
    """SHA-256 (first 16 hex digits) of the ``lnl`` sources that decide what a run computes (all but
    :data:`PRESENTATION_MODULES`): a record made by other library code carries another hash, so a
    cached record is never mistaken for a current one.

    Read once per process: a notebook kernel runs the code it imported, so a source file edited
    while it runs must not relabel its later records."""
    return tree_hash(Path(lnl.__file__).resolve().parent)


def tree_hash(root: Path) -> str:
    """:func:`source_hash` of the package at ``root``."""
    import hashlib

    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        if f.relative_to(root).parts[0] in PRESENTATION_MODULES:     # a module, or a package's folder
            continue
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def device_name(device: torch.device) -> str:
    """A human-readable name of the training device."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple MPS"
    return f"CPU {platform.processor() or platform.machine()} ({torch.get_num_threads()} threads)"


def code_state() -> dict[str, Any]:
    """The git state and library source hash, taken when a run starts (the code that runs)."""
    return {"git": git_state(), "lnl_source_hash": source_hash()}


def provenance(device: torch.device, started: datetime, ended: datetime,
               code: dict[str, Any] | None = None) -> dict[str, Any]:
    """Where a record came from; ``code`` is :func:`code_state` at the start of the run (default: now)."""
    code = code if code is not None else code_state()
    return {
        "git": code["git"],
        "lnl_version": lnl.__version__,
        "lnl_source_hash": code["lnl_source_hash"],
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "device": device_name(device),
        "started": started.isoformat(timespec="seconds"),
        "ended": ended.isoformat(timespec="seconds"),
    }


def now() -> datetime:
    return datetime.now(timezone.utc)


def read_record(path: str | Path) -> dict[str, Any]:
    """Load one record, checking it has the required keys."""
    rec = json.loads(Path(path).read_text())
    missing = [k for k in REQUIRED_KEYS if k not in rec]
    if missing:
        raise ValueError(f"{path} is not a run record: it lacks {', '.join(missing)}.")
    return rec


def _paths(where: str | Path | Iterable[str | Path]) -> list[Path]:
    if isinstance(where, (str, Path)):
        p = Path(where)
        return sorted(p.glob("*.json")) if p.is_dir() else [p]
    return [q for w in where for q in _paths(w)]


def load_records(where: str | Path | Iterable[str | Path]):
    """One DataFrame row per record: ``run_id``, ``path``, the flattened ``config`` and ``summary``.

    ``where`` is a record file, a folder of records, or a list of either. A run that two parts of
    the book share (one run id in two folders, :func:`lnl.book.run_or_load`) is one row, the first.
    """
    import pandas as pd

    rows, seen = [], set()
    for path in _paths(where):
        rec = read_record(path)
        if rec.get("run_id", path.stem) in seen:
            continue
        seen.add(rec.get("run_id", path.stem))
        row = {"run_id": rec.get("run_id", path.stem), "path": str(path)}
        row.update({k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in rec["config"].items()})
        row.update(rec["summary"])
        row["git_sha"] = rec["provenance"].get("git", {}).get("sha")
        row["device"] = rec["provenance"].get("device")
        rows.append(row)
    return pd.DataFrame(rows)


def per_sample(record_path: str | Path) -> dict[str, Any]:
    """The per-sample arrays written beside a record by ``lnl.runner.run(..., per_sample=True)``:
    ``loss [E, N]`` (training loss against the given label after each epoch), ``given``, ``true``
    ``[N]`` and ``epoch [E]``."""
    import numpy as np

    with np.load(Path(record_path).with_suffix(".npz")) as z:
        return {k: z[k] for k in z.files}


def history_frame(record: dict[str, Any]):
    """A record's ``history`` as a DataFrame, one row per epoch."""
    import pandas as pd

    return pd.DataFrame(record["history"])


def scan(roots: Iterable[str | Path]) -> tuple[list[Path], list[str]]:
    """The run records among the JSON files under ``roots`` (searched recursively; a missing folder is
    skipped), and, for every other JSON file there, ``"path: why it is not a run record"``."""
    paths, skipped = [], []
    for path in (p for root in map(Path, roots) if root.is_dir() for p in sorted(root.rglob("*.json"))):
        try:
            read_record(path)
            paths.append(path)
        except (ValueError, json.JSONDecodeError) as err:
            skipped.append(f"{path}: {err}")
    return paths, skipped
