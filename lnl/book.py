"""What the book's notebooks share: profiles, the provenance banner, load-or-run, Colab.

Profiles set the scale of every notebook (its ``parameters`` cell holds ``profile`` and a
per-profile table of settings; papermill overrides them):

=========  ==========================================================================
``smoke``  seconds per notebook: digits or tiny subsets; what CI executes under nbval
``cpu``    minutes per notebook on 2 cores: Fashion-MNIST, the CIFAR-10 copy with a small net
``gpu``    CIFAR-10/100 with a reduced schedule, about 10 minutes per run on one H100
``paper``  the paper's exact protocol
``auto``   ``gpu`` when CUDA is present, ``cpu`` otherwise (the default)
=========  ==========================================================================
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any

import torch

import lnl
from lnl import engine, records

PROFILES = ("smoke", "cpu", "gpu", "paper")
HARDWARE = {
    "smoke": "any CPU, seconds",
    "cpu": "2 CPU cores, minutes",
    "gpu": "one GPU (H100 class), about 10 minutes per run",
    "paper": "one GPU, hours per run",
}


def resolve_profile(profile: str = "auto") -> str:
    """``auto`` becomes ``gpu`` with CUDA and ``cpu`` without; other names are checked."""
    if profile == "auto":
        return "gpu" if torch.cuda.is_available() else "cpu"
    if profile not in PROFILES:
        raise ValueError(f"Unknown profile '{profile}'; choose one of: auto, {', '.join(PROFILES)}.")
    return profile


def on_colab() -> bool:
    return "google.colab" in sys.modules


def banner(profile: str) -> str:
    """One line saying which profile, hardware and code produced this page's outputs."""
    git = records.git_state()
    device = engine.resolve_device("auto")
    sha = (git["sha"] or "unknown")[:10] + (" (dirty)" if git["dirty"] else "")
    return (f"profile {profile} ({HARDWARE[profile]}) | device {records.device_name(device)} | "
            f"lnl {lnl.__version__} @ {sha} | torch {torch.__version__} | Python {platform.python_version()}")


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
    """The record of ``cfg`` in ``out`` if it is there (same run id = same config), else train it.

    An interrupted run resumes from its checkpoint. ``kwargs`` go to :func:`lnl.engine.run`.
    """
    path = Path(out) / f"{engine.run_id(cfg)}.json"
    if path.exists():
        return records.read_record(path)
    return engine.run(cfg, out=out, resume=True, **kwargs)
