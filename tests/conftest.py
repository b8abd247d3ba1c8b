"""Shared fixtures: tiny data sets that train in seconds on a CPU."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

torch.set_num_threads(1)  # the tests train tiny networks: one thread is fastest and deterministic

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def isolated_data(tmp_path, monkeypatch):
    """Point every data look-up place at empty temporary folders: (lnl_data, project, debian, shared)."""
    from lnl import data

    dirs = {k: tmp_path / k for k in ("lnl_data", "project", "debian", "shared")}
    for d in dirs.values():
        d.mkdir()
    monkeypatch.setenv("LNL_DATA", str(dirs["lnl_data"]))
    monkeypatch.setenv("LNL_SHARED", str(dirs["shared"]))
    monkeypatch.setattr(data, "project_data_dir", lambda: dirs["project"])
    monkeypatch.setattr(data, "DEBIAN_FASHION", dirs["debian"])
    monkeypatch.setattr(data, "_torchvision_download", lambda name: None)   # never the network
    monkeypatch.setattr(data, "_cifarn_download", lambda name: None)
    return dirs
