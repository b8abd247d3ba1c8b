"""lnl sweep: a sweep file or pages' plans, run idempotently on this machine or on SLURM; a run
cancelled half-way resumes to the record an uninterrupted run writes; bad sweep files are one
sentence before anything is submitted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from lnl import engine, records, runner, sweep

from .test_cli import assert_usage_error, call
from .test_engine import comparable

BASE = "base: {method: ce, dataset: digits, noise: symmetric, rate: 0.4, epochs: 2, model: mlp, device: cpu}\n"


def sweep_file(tmp_path, text=BASE + "grid: {seed: [0, 1]}\n", name="sweep.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_sweep_file_is_its_base_times_its_grid(tmp_path):
    cfgs = sweep.read_sweep(sweep_file(tmp_path, BASE.replace("method: ce", "method: mixup") +
                                       "grid: {seed: [0, 1], rate: [0.2, 0.4], params.alpha: [1.0]}\n"))
    assert [(c.seed, c.rate) for c in cfgs] == [(0, 0.2), (0, 0.4), (1, 0.2), (1, 0.4)]
    assert all(c.method_params == {"alpha": 1.0} and c.epochs == 2 for c in cfgs)
    as_json = sweep_file(tmp_path, json.dumps({"base": {"method": "ce", "dataset": "digits",
                                                        "schedule": {"kind": "multistep", "milestones": [1]}}}),
                         name="sweep.json")
    (cfg,) = sweep.read_sweep(as_json)
    assert cfg.schedule.milestones == (1,)


@pytest.mark.parametrize("text, fragment", [
    (BASE + "grid: {sede: [0, 1]}\n", "unknown setting 'sede'"),
    (BASE + "grid: {epochs: [two]}\n", "'epochs' takes int, got 'two'"),
    (BASE + "grid: {seed: []}\n", "grid 'seed' must be a non-empty list of values"),
    ("grid: {seed: [0]}\n", "needs a mapping 'base'"),
    (BASE + "grid: {rate: [1.5]}\n", "rate"),
    (BASE + "grid: {params.nope: [1]}\n", "nope"),
    (BASE + "extra: 1\n", "it takes only base and grid"),
    ("base: [1, 2\n", "cannot be read"),
])
def test_a_bad_sweep_file_is_one_sentence_and_nothing_runs(tmp_path, capsys, text, fragment):
    out = tmp_path / "out"
    code, _, err = call(["sweep", str(sweep_file(tmp_path, text)), "--out", str(out)], capsys)
    assert_usage_error(code, err, fragment)
    assert not out.exists()


def test_a_local_sweep_is_idempotent_and_a_failure_stops_nothing(tmp_path, capsys):
    text = BASE + "grid: {seed: [0, 1]}\n"
    broken = sweep_file(tmp_path, "base: {method: ce, dataset: imagefolder, root: /nonexistent, noise: none, "
                                  "holdout: 0.2, epochs: 1}\n", name="broken.yaml")
    out = tmp_path / "out"
    assert call(["sweep", str(sweep_file(tmp_path, text)), "--out", str(out), "--jobs", "2"], capsys)[0] == 0
    assert len(list(out.glob("ce-digits-*.json"))) == 2
    code, stdout, _ = call(["sweep", str(sweep_file(tmp_path, text)), "--out", str(out)], capsys)
    assert code == 0 and "2 with a current record, 0 to run" in stdout
    code, stdout, _ = call(["sweep", str(broken), "--out", str(out)], capsys)
    assert code == 1 and "failed: " in stdout and "does not exist" in stdout
    code, stdout, _ = call(["sweep", "--status", "--out", str(out)], capsys)
    assert code == 0 and "done: 2" in stdout and "failed: 1" in stdout and "does not exist" in stdout


def test_a_sweep_of_a_pages_plan(tmp_path, capsys):
    code, stdout, err = call(["sweep", "--pages", "foundations/tutorial", "--profile", "smoke", "--out",
                              str(tmp_path)], capsys)
    assert code == 0, err
    assert {f"{c.run_id}.json" if hasattr(c, "run_id") else f"{engine.run_id(c)}.json"
            for c in sweep.plan_configs("foundations/tutorial", "smoke")} <= {p.name for p in tmp_path.glob("*.json")}


def test_status_and_usage_errors(tmp_path, capsys):
    code, _, err = call(["sweep", "--status", "--out", str(tmp_path)], capsys)
    assert_usage_error(code, err, "No sweep in")
    code, _, err = call(["sweep", "--out", str(tmp_path)], capsys)
    assert_usage_error(code, err, "needs a sweep file, --pages, or both")
    code, _, err = call(["sweep", str(sweep_file(tmp_path)), "--executor", "cloud", "--out", str(tmp_path / "o")],
                        capsys)
    assert_usage_error(code, err, "Unknown executor 'cloud'; choose one of: local, slurm.")


# ----------------------------------------------------------------------------------------------
# On a one-node SLURM cluster (scripts/slurm-local.sh start); .ci/run requires them
# ----------------------------------------------------------------------------------------------

def _slurm_up() -> bool:
    if shutil.which("sinfo") is None:
        return False
    out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True).stdout.split()
    return any(s in ("idle", "mixed", "allocated") for s in out)


_no_slurm = pytest.mark.skipif(not _slurm_up() and os.environ.get("LNL_REQUIRE_SLURM") != "1",
                               reason="no SLURM cluster here (scripts/slurm-local.sh start makes one)")


@pytest.fixture
def idle_cluster(tmp_path):
    """Each SLURM test starts on an empty queue, so that none waits on another's tasks."""
    assert _wait(lambda: not subprocess.run(["squeue", "-h"], capture_output=True, text=True).stdout.strip()), \
        _cluster(tmp_path)


def slurm(test):
    return _no_slurm(pytest.mark.usefixtures("idle_cluster")(test))


def _wait(predicate, seconds=300):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def _cluster(out) -> str:
    """What the cluster and the task said, for a failure's message: the queue, the node, the
    controller's last lines and the task's own log."""
    def sh(*cmd):
        return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
    logs = sorted((out / "slurm").rglob("*_log.*")) if (out / "slurm").exists() else []
    ctl = Path("/var/log/slurm/slurmctld.log")
    return "\n".join([f"squeue:\n{sh('squeue')}", f"sinfo:\n{sh('sinfo')}",
                      "slurmctld.log:\n" + ("\n".join(ctl.read_text().splitlines()[-15:]) if ctl.exists() else "-")]
                     + [f"{p.name}:\n" + "\n".join(p.read_text().splitlines()[-15:]) for p in logs])


@slurm
def test_a_sweep_through_slurm(tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = call(["sweep", str(sweep_file(tmp_path)), "--executor", "slurm", "--out", str(out),
                              "--time-min", "10"], capsys)
    assert code == 0, err
    assert "queued 2 task(s) as SLURM job" in stdout
    assert _wait(lambda: len(list(out.glob("ce-digits-*.json"))) == 2), _cluster(out)
    assert _wait(lambda: all(r["state"] == "done" for r in sweep.status(out))), _cluster(out)


@slurm
def test_a_cancelled_slurm_run_resumes_to_the_uninterrupted_record(tmp_path, capsys):
    text = BASE.replace("epochs: 2", "epochs: 150") + "grid: {seed: [3]}\n"
    (cfg,) = sweep.read_sweep(sweep_file(tmp_path, text))
    alone = runner.run(cfg, out=tmp_path / "alone")
    out = tmp_path / "out"
    assert call(["sweep", str(sweep_file(tmp_path, text)), "--executor", "slurm", "--out", str(out)], capsys)[0] == 0
    job = json.loads((out / "sweep.json").read_text())["runs"][alone["run_id"]]["job_id"]
    assert _wait(lambda: (out / f"{alone['run_id']}.ckpt").exists()), _cluster(out)
    subprocess.run(["scancel", job.split("_")[0]], check=True)
    assert _wait(lambda: sweep.status(out)[0]["state"] not in ("running", "queued"), 60)
    if (out / f"{alone['run_id']}.json").exists():
        pytest.skip("the task finished before it was cancelled")
    code, stdout, _ = call(["sweep", str(sweep_file(tmp_path, text)), "--executor", "slurm", "--out", str(out)],
                           capsys)
    assert code == 0 and "1 to run" in stdout
    assert _wait(lambda: (out / f"{alone['run_id']}.json").exists()), _cluster(out)
    assert comparable(records.read_record(out / f"{alone['run_id']}.json")) == comparable(alone)


@slurm
def test_a_task_at_its_time_limit_is_requeued_and_resumes_to_the_uninterrupted_record(tmp_path, capsys):
    """SLURM warns a task before its time limit (or its preemption) with SIGUSR2; submitit then
    checkpoints and requeues it (Train.checkpoint), and the engine resumes from its last epoch."""
    text = BASE.replace("epochs: 2", "epochs: 150") + "grid: {seed: [4]}\n"
    (cfg,) = sweep.read_sweep(sweep_file(tmp_path, text))
    alone = runner.run(cfg, out=tmp_path / "alone")
    out = tmp_path / "out"
    assert call(["sweep", str(sweep_file(tmp_path, text)), "--executor", "slurm", "--out", str(out)], capsys)[0] == 0
    job = json.loads((out / "sweep.json").read_text())["runs"][alone["run_id"]]["job_id"]
    assert _wait(lambda: (out / f"{alone['run_id']}.ckpt").exists()), _cluster(out)
    subprocess.run(["scancel", "--signal=USR2", job], check=True)          # what the time limit sends
    if not _wait(lambda: "PENDING" in subprocess.run(["squeue", "-h", "-j", job.split("_")[0], "-o", "%T"],
                                                      capture_output=True, text=True).stdout, 30):
        pytest.skip("the task finished before the signal reached it")
    subprocess.run(["scontrol", "update", f"JobId={job.split('_')[0]}", "StartTime=now"], check=True)   # no wait
    assert _wait(lambda: (out / f"{alone['run_id']}.json").exists()), _cluster(out)
    assert comparable(records.read_record(out / f"{alone['run_id']}.json")) == comparable(alone)
    log = "".join(p.read_text() for p in (out / "slurm").rglob("*_log.*"))
    assert "Requeued job" in log
