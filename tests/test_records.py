"""Run records: atomic writes and the DataFrame loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lnl import engine, records, runner


def test_atomic_write_leaves_the_old_file_or_nothing(tmp_path):
    path = tmp_path / "r.json"
    records.write_json_atomic(path, {"a": 1})
    with pytest.raises(TypeError):
        records.write_json_atomic(path, {"a": object()})  # fails half-way through json.dump
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left behind


def test_load_records_gives_one_row_per_run(tmp_path):
    for seed in (0, 1):
        runner.run(engine.RunConfig(method="ce", dataset="digits", noise="pairflip", rate=0.2, epochs=1,
                                    seed=seed, device="cpu"), out=tmp_path)
    df = records.load_records(tmp_path)
    assert len(df) == 2 and sorted(df["seed"]) == [0, 1]
    for col in ("run_id", "method", "dataset", "noise", "rate", "test_acc_best", "test_acc_last",
                "test_acc_last10", "noise_rate_effective", "wall_time_s", "git_sha", "device"):
        assert col in df.columns
    rec = records.read_record(df["path"][0])
    assert list(records.history_frame(rec)["epoch"]) == [1]


def test_a_file_that_is_not_a_record_is_named(tmp_path):
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ValueError, match="is not a run record: it lacks config, history"):
        records.load_records(tmp_path)


def test_run_or_load_reuses_only_records_of_the_current_code(tmp_path, monkeypatch):
    from lnl import book

    cfg = engine.RunConfig(method="ce", dataset="digits", rate=0.2, epochs=1, device="cpu")
    first = book.run_or_load(cfg, tmp_path)
    assert book.run_or_load(cfg, tmp_path)["provenance"]["started"] == first["provenance"]["started"]
    monkeypatch.setattr(records, "source_hash", lambda: "another-library")
    again = book.run_or_load(cfg, tmp_path)
    assert again["provenance"]["lnl_source_hash"] == "another-library"
    assert again["history"] == first["history"]  # same code path, retrained


def test_a_run_two_parts_plan_is_trained_once(tmp_path, monkeypatch):
    """run_or_load copies a current record, with its arrays and state, from another part's folder."""
    from lnl import book

    cfg = engine.RunConfig(method="ce", dataset="digits", rate=0.2, epochs=1, device="cpu")
    first = book.run_or_load(cfg, tmp_path / "baselines", per_sample=True)
    monkeypatch.setattr(runner, "run", lambda *a, **k: pytest.fail("trained again"))
    got = book.run_or_load(cfg, tmp_path / "alr", per_sample=True)
    assert got == first and (tmp_path / "alr" / f"{first['run_id']}.npz").exists()
    monkeypatch.undo()
    kept = book.run_or_load(cfg, tmp_path / "ieg", keep_state=True)    # no state in either: trained
    assert "state_file" in kept and "state_file" not in first
    assert (tmp_path / "ieg" / f"{first['run_id']}.state.pt").exists()
    monkeypatch.setattr(records, "source_hash", lambda: "another-library")      # stale everywhere
    again = book.run_or_load(cfg, tmp_path / "sanm")
    assert again["provenance"]["lnl_source_hash"] == "another-library"
    df = records.load_records([tmp_path / "baselines", tmp_path / "alr"])     # one run, one row
    assert list(df["run_id"]) == [first["run_id"]] and "baselines" in df["path"][0]


def test_the_source_hash_is_read_once_per_process(tmp_path, monkeypatch):
    first = records.source_hash()
    monkeypatch.setattr(records.Path, "read_bytes", lambda self: b"edited while a kernel runs")
    try:
        assert records.source_hash() == first       # the code this process imported
        records.source_hash.cache_clear()
        assert records.source_hash() != first       # a fresh process would see the edit
    finally:
        records.source_hash.cache_clear()


def test_the_source_hash_ignores_presentation_code_only(tmp_path):
    """Plans, reports, figures and the book's glue change no run: editing them keeps records current;
    editing the engine does not."""
    import shutil

    import lnl

    root = tmp_path / "lnl"
    shutil.copytree(Path(lnl.__file__).resolve().parent, root, ignore=shutil.ignore_patterns("__pycache__"))
    before = records.tree_hash(root)
    assert before == records.source_hash()
    for f in ("plans/settings.py", "plans/__init__.py", "report/__init__.py", "report/ieg.py", "plot/__init__.py",
              "plot/style.py", "profiles.py", "store.py", "executor.py", "estimates.py", "extras.py"):
        (root / f).write_text((root / f).read_text() + "\n# edited\n")
    assert records.tree_hash(root) == before
    (root / "engine" / "loop.py").write_text((root / "engine" / "loop.py").read_text() + "\n# edited\n")
    assert records.tree_hash(root) != before
