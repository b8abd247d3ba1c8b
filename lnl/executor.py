"""The one scheduler: runs in worker processes on this machine, for the book, campaigns and sweeps.

The book's training stage (:func:`lnl.book.train_parallel`), a GPU campaign
(:meth:`lnl.campaign.Campaign.run`) and ``lnl sweep --executor local`` (:func:`lnl.sweep.submit`)
hand :func:`run` a list of :class:`Job` in the order they should start. :func:`run` keeps ``workers``
of them going at once in a pool of spawned processes (:class:`concurrent.futures.ProcessPoolExecutor`:
a worker imports torch once and trains run after run, which a process per run cannot), each job on
its ``threads`` and with its output in its ``log``. A job whose record is already current is
skipped when its turn comes (its ``current`` check), so a run that another job of the same call
produced is not trained twice. A job that fails is reported with the last lines of its error and
the others go on.

With a ``budget_s``, a job starts only if its ``estimate_s`` (times ``factor``, one run's slow-down
at this concurrency) fits what is left of the budget, the first in order that does; when none
fits, the rest are reported as not fitting. A job still running when the budget ends is stopped
there (an alarm in its worker), and keeps the checkpoint its run wrote after its last finished epoch.

Workers are spawned, not forked (a forked copy of a process that has run torch's thread pools can
hang): as with any spawned pool, a script that calls :func:`run` keeps its top level to imports and
definitions, under ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

DONE, FAILED, CURRENT = "done", "failed", "current"
KILLED, NO_FIT = "killed at the budget", "does not fit the budget left"


@dataclass
class Job:
    """One call ``fn(*args)`` in a worker: ``fn`` is a module-level function (it travels by name).
    ``key`` names it (a run id); ``threads`` sets the worker's torch threads for it (None: leave
    them); ``log`` receives its standard output and error (None: this process's); ``current``, if
    given, is asked in this process when the job's turn comes, and a job it answers True for is
    skipped; ``estimate_s`` is what it is expected to take alone (for a budget)."""

    key: str
    fn: Callable[..., Any]
    args: tuple = ()
    threads: int | None = None
    log: str | Path | None = None
    current: Callable[[], bool] | None = None
    estimate_s: float = 0.0


@dataclass
class Outcome:
    """What became of a job: ``state`` is done, failed, current (skipped), killed at the budget or
    does not fit the budget left; ``wall_s`` its time in the worker; ``error`` the last lines of a
    failure; ``value`` what ``fn`` returned."""

    key: str
    state: str
    wall_s: float | None = None
    error: str = ""
    value: Any = None


class BudgetReached(BaseException):
    """Raised in a worker at the end of the budget (a BaseException, so that no ``except Exception``
    in a run swallows it)."""


def cores() -> int:
    """The CPU cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _alarm(signum, frame):
    raise BudgetReached()


def _call(fn: Callable[..., Any], args: tuple, threads: int | None, log: str | None,
          deadline: float | None) -> Any:
    """In the worker: ``fn(*args)`` on ``threads``, output to ``log``, stopped at ``deadline``
    (``time.time()``)."""
    saved = []
    if log is not None:
        sys.stdout.flush()
        sys.stderr.flush()
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        for std in (1, 2):
            saved.append((std, os.dup(std)))
            os.dup2(fd, std)
        os.close(fd)
    if threads:
        import torch

        torch.set_num_threads(threads)
    if deadline is not None:
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, max(1e-3, deadline - time.time()))
    try:
        return fn(*args)
    except Exception:
        if log is not None:
            traceback.print_exc()                       # into the log: its last lines are the report
        raise
    finally:
        if deadline is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
        sys.stdout.flush()
        sys.stderr.flush()
        for std, copy in saved:
            os.dup2(copy, std)
            os.close(copy)


def _tail(job: Job, err: BaseException, lines: int = 5) -> str:
    """The last lines of a failed job's log, else its error in one line."""
    if job.log is not None and Path(job.log).is_file() and os.path.getsize(job.log):
        text = Path(job.log).read_text(errors="replace").strip().splitlines()
        if text:
            return "\n".join(text[-lines:])
    return f"{type(err).__name__}: {err}".splitlines()[0]


def run(jobs: list[Job], workers: int, *, budget_s: float | None = None, factor: float = 1.0,
        on_start: Callable[[Job, float], None] | None = None,
        on_end: Callable[[Job, Outcome, float], None] | None = None,
        progress: Callable[[int, int, float], None] | None = None) -> dict[str, Outcome]:
    """Run ``jobs`` in the given order, ``workers`` at a time; ``{key: Outcome}`` of every job.

    ``on_start(job, elapsed_s)`` and ``on_end(job, outcome, elapsed_s)`` are called in this process
    as jobs start and finish; ``progress(finished, total, elapsed_s)`` each time a job finishes or
    is skipped (a job that does not fit the budget is not counted)."""
    t0 = time.monotonic()
    deadline = None if budget_s is None else time.time() + budget_s
    queue, out, finished = list(jobs), {}, 0
    running: dict[Any, tuple[Job, float]] = {}
    workers = max(1, min(int(workers), len(queue) or 1))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        while queue or running:
            while queue and len(running) < workers:
                left = None if budget_s is None else budget_s - (time.monotonic() - t0)
                job = None
                for j in list(queue):
                    if j.current is not None and j.current():
                        queue.remove(j)
                        out[j.key] = Outcome(j.key, CURRENT)
                        finished += 1
                        if progress is not None:
                            progress(finished, len(jobs), time.monotonic() - t0)
                    elif left is None or j.estimate_s * factor <= left:
                        job = j
                        break
                if job is None:
                    for j in queue:
                        out[j.key] = Outcome(j.key, NO_FIT)
                    queue.clear()
                    break
                queue.remove(job)
                fut = pool.submit(_call, job.fn, job.args, job.threads,
                                  None if job.log is None else str(job.log), deadline)
                running[fut] = (job, time.monotonic())
                if on_start is not None:
                    on_start(job, time.monotonic() - t0)
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                job, started = running.pop(fut)
                err = fut.exception()
                wall = time.monotonic() - started
                if err is None:
                    outcome = Outcome(job.key, DONE, wall, value=fut.result())
                elif isinstance(err, BudgetReached):
                    outcome = Outcome(job.key, KILLED, wall)
                else:
                    outcome = Outcome(job.key, FAILED, wall, _tail(job, err))
                out[job.key] = outcome
                finished += 1
                if on_end is not None:
                    on_end(job, outcome, time.monotonic() - t0)
                if progress is not None:
                    progress(finished, len(jobs), time.monotonic() - t0)
    return out
