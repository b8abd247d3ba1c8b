"""lnl.executor, the one scheduler of the book's training stage, campaigns and local sweeps: jobs
start in the given order, a job whose result is already there is skipped, a failure is reported
without stopping the others, and a budget is kept (a job starts only if it fits, and one still
running at the end is stopped)."""

from __future__ import annotations

import time
from pathlib import Path

from lnl import executor
from lnl.executor import Job


def note(path: str, key: str) -> str:
    """A job: append ``key`` to the file ``path``."""
    with open(path, "a") as f:
        f.write(key + "\n")
    return key


def fail(message: str) -> None:
    raise ValueError(message)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def threads() -> int:
    import torch

    return torch.get_num_threads()


def test_jobs_start_in_the_given_order_and_return_their_values(tmp_path):
    trace = str(tmp_path / "trace")
    keys = ["c", "a", "b", "d"]
    started = []
    out = executor.run([Job(k, note, (trace, k)) for k in keys], 1, on_start=lambda job, at: started.append(job.key))
    assert started == keys and Path(trace).read_text().split() == keys
    assert {k: (o.state, o.value) for k, o in out.items()} == {k: ("done", k) for k in keys}


def test_a_job_whose_result_is_there_is_skipped_when_its_turn_comes(tmp_path):
    trace = tmp_path / "trace"
    jobs = [Job("first", note, (str(trace), "first")),
            Job("again", note, (str(trace), "again"), current=lambda: trace.exists()),   # the first wrote it
            Job("never", note, (str(trace), "never"), current=lambda: True)]
    calls = []
    out = executor.run(jobs, 1, progress=lambda *a: calls.append(a[:2]))
    assert [o.state for o in out.values()] == ["done", "current", "current"]
    assert trace.read_text().split() == ["first"]
    assert calls == [(1, 3), (2, 3), (3, 3)]              # a skipped job counts as finished


def test_a_failure_is_reported_with_its_last_lines_and_the_others_go_on(tmp_path):
    trace = str(tmp_path / "trace")
    jobs = [Job("bad", fail, ("the data set is not here",), log=tmp_path / "bad.log"),
            Job("bare", fail, ("no log",)),
            Job("good", note, (trace, "good"))]
    out = executor.run(jobs, 2)
    assert out["bad"].state == "failed" and out["bad"].error.splitlines()[-1] == "ValueError: the data set is not here"
    assert "Traceback" in (tmp_path / "bad.log").read_text()
    assert out["bare"].state == "failed" and out["bare"].error == "ValueError: no log"
    assert out["good"].state == "done" and Path(trace).read_text().split() == ["good"]


def test_a_job_runs_on_its_threads():
    out = executor.run([Job("one", threads, threads=1), Job("two", threads, threads=2)], 1)
    assert (out["one"].value, out["two"].value) == (1, 2)


def test_a_budget_starts_what_fits_and_stops_what_runs_past_it(tmp_path):
    trace = str(tmp_path / "trace")
    jobs = [Job("big", note, (trace, "big"), estimate_s=100.0),        # does not fit: the next one does
            Job("small", note, (trace, "small"), estimate_s=1.0),
            Job("long", sleep, (60.0,), estimate_s=1.0),                # fits, but runs past the budget
            Job("late", note, (trace, "late"), estimate_s=1.0)]
    out = executor.run(jobs, 1, budget_s=15.0, factor=2.0)
    assert {k: o.state for k, o in out.items()} == {"big": "does not fit the budget left", "small": "done",
                                                    "long": "killed at the budget",
                                                    "late": "does not fit the budget left"}
    assert Path(trace).read_text().split() == ["small"]
