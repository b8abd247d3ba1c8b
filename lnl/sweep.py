"""Many runs on one executor: ``lnl sweep``, on this machine or on a SLURM cluster through submitit.

What to run is a page's plan at a profile (:mod:`lnl.plans`), a sweep file, or both. A sweep file
(YAML or JSON) is a base run and a grid over its settings; every combination is a run:

.. code-block:: yaml

    base: {method: ce, dataset: digits, noise: symmetric, rate: 0.4, epochs: 3}
    grid: {seed: [0, 1], rate: [0.4, 0.8]}

A setting is a :class:`lnl.engine.RunConfig` field; ``params.<name>`` is a method setting (what
``--param`` sets); ``schedule`` takes the schedule's fields as a mapping.

A sweep is idempotent: a run whose record in ``out`` is current (the library code that is here
now, :func:`lnl.records.source_hash`) is skipped. Every run checkpoints each epoch (the engine), so
a SLURM job stopped at its time limit or preempted is requeued by submitit and resumes from its
checkpoint to the record an uninterrupted run writes. ``out/sweep.json`` lists what was submitted
where; :func:`status` reads it back with each run's state.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path
from typing import Any

from lnl import records

MANIFEST = "sweep.json"
EXECUTORS = ("local", "slurm")


class SweepError(ValueError):
    """A sweep file or request that cannot run, said in one sentence before anything is submitted."""


# ----------------------------------------------------------------------------------------------
# What to run
# ----------------------------------------------------------------------------------------------

def read_sweep(path: str | Path) -> list[Any]:
    """The runs of the sweep file ``path``, base settings with every combination of the grid's."""
    import yaml

    from lnl.engine import RunConfig

    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise SweepError(f"The sweep file {path} cannot be read: {str(err).splitlines()[0]}.") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("base"), dict):
        raise SweepError(f"The sweep file {path} needs a mapping 'base' of run settings (and an optional 'grid').")
    unknown = set(spec) - {"base", "grid"}
    if unknown:
        raise SweepError(f"The sweep file {path} has {', '.join(sorted(unknown))}; it takes only base and grid.")
    grid = spec.get("grid") or {}
    if not isinstance(grid, dict):
        raise SweepError(f"The sweep file {path}: grid must map settings to lists of values.")
    for name, values in grid.items():
        if not isinstance(values, list) or not values:
            raise SweepError(f"The sweep file {path}: grid '{name}' must be a non-empty list of values.")
    names, combos = list(grid), list(itertools.product(*grid.values())) or [()]
    fields = {f.name: f for f in dataclasses.fields(RunConfig)}
    out = []
    for combo in combos:
        settings = {**spec["base"], **dict(zip(names, combo))}
        out.append(_config(settings, fields, path))
    return out


def _config(settings: dict[str, Any], fields: dict[str, Any], path: Path) -> Any:
    """The :class:`RunConfig` of one combination, each value checked against its field's type."""
    from lnl.engine import RunConfig, Schedule
    from lnl.runner import validate

    run: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for name, value in settings.items():
        if name.startswith("params."):
            params[name[len("params."):]] = value
            continue
        if name not in fields or name == "method_params":
            raise SweepError(f"The sweep file {path} names an unknown setting '{name}'; settings are "
                             f"{', '.join(f for f in fields if f != 'method_params')} and params.<name>.")
        if name == "schedule":
            if not isinstance(value, dict):
                raise SweepError(f"The sweep file {path}: schedule must be a mapping of its fields, e.g. "
                                 "{kind: multistep, milestones: [150]}.")
            try:
                value = Schedule(**{k: tuple(v) if k == "milestones" else v for k, v in value.items()})
            except TypeError as err:
                raise SweepError(f"The sweep file {path}: schedule {err}.") from None
        else:
            _check_type(name, value, RunConfig.__dataclass_fields__[name].default, path)
        run[name] = value
    cfg = RunConfig(**run, method_params=params)
    try:
        from lnl.methods import METHODS

        validate(cfg)
        if params and cfg.method in METHODS:
            METHODS[cfg.method].make_config(params)
    except ValueError as err:
        raise SweepError(f"The sweep file {path}: {err}") from None
    return cfg


def _check_type(name: str, value: Any, default: Any, path: Path) -> None:
    """Refuse ``value`` for field ``name`` unless it has the type of the field's default (an int is a
    float; None is any setting whose default is None)."""
    if value is None and default is None:
        return
    want = type(default) if default is not None else None
    ok = (isinstance(value, bool) if want is bool else
          isinstance(value, (int, float)) and not isinstance(value, bool) if want is float else
          isinstance(value, int) and not isinstance(value, bool) if want is int else
          isinstance(value, str) if want is str else
          isinstance(value, (str, int, float)) and not isinstance(value, bool))   # default None: str or number
    if not ok:
        kind = want.__name__ if want is not None else "a name or a number"
        raise SweepError(f"The sweep file {path}: '{name}' takes {kind}, got {value!r}.")


def plan_configs(pages: str, profile: str) -> list[Any]:
    """The configs of the plans of ``pages`` (comma-separated pages or parts) at ``profile``, each once."""
    from lnl import plans

    return [p.config for p in plans.unique([p for page in plans.pages_of(pages) for p in plans.plan(page, profile)])]


def is_done(cfg: Any, out: str | Path) -> bool:
    """Whether ``out`` holds a current record of ``cfg``."""
    from lnl.engine import run_id

    path = Path(out) / f"{run_id(cfg)}.json"
    if not path.exists():
        return False
    try:
        rec = records.read_record(path)
    except (ValueError, json.JSONDecodeError):
        return False
    return rec["provenance"].get("lnl_source_hash") == records.source_hash()


# ----------------------------------------------------------------------------------------------
# Where to run it
# ----------------------------------------------------------------------------------------------

def train(config: dict[str, Any], out: str, threads: int | None = None) -> str:
    """One run in a worker (a local process or a SLURM task): train or resume it; its run id."""
    import torch

    from lnl import engine, runner

    if threads:
        torch.set_num_threads(threads)
    cfg = engine.RunConfig.from_dict(config)
    runner.run(cfg, out=out, resume=True)
    return engine.run_id(cfg)


class Train:
    """:func:`train` as a submitit job that survives its time limit: at the limit or on preemption
    submitit calls :meth:`checkpoint`, which requeues the same call, and the run resumes from the
    checkpoint the engine wrote after its last finished epoch."""

    def __call__(self, config: dict[str, Any], out: str, threads: int | None = None) -> str:
        return train(config, out, threads)

    def checkpoint(self, *args: Any, **kwargs: Any) -> Any:
        import submitit

        return submitit.helpers.DelayedSubmission(self, *args, **kwargs)


def submit(cfgs: list[Any], out: str | Path, executor: str = "local", jobs: int | None = None,
           slurm: dict[str, Any] | None = None, echo=print) -> dict[str, Any]:
    """Run the ``cfgs`` whose record in ``out`` is not current. ``local``: ``jobs`` worker processes
    at a time on this machine, each on its share of the cores, until all are done; ``slurm``: one
    array of tasks through submitit (``slurm``: partition, account, gpus, cpus, mem_gb, time_min,
    array_parallelism), returned once queued. Writes ``out/sweep.json``; returns it."""
    from lnl.engine import config_json, run_id

    if executor not in EXECUTORS:
        raise SweepError(f"Unknown executor '{executor}'; choose one of: {', '.join(EXECUTORS)}.")
    out = Path(out)
    todo = [c for c in {run_id(c): c for c in cfgs}.values() if not is_done(c, out)]
    manifest = _read_manifest(out)
    manifest["executor"] = executor
    for c in cfgs:
        manifest["runs"].setdefault(run_id(c), {"config": config_json(c)})
    echo(f"{len(cfgs)} run(s): {len(cfgs) - len(todo)} with a current record, {len(todo)} to run ({executor})")
    if executor == "slurm" and todo:
        handles = _submit_slurm(todo, out, slurm or {})
        for c, job in zip(todo, handles):
            manifest["runs"][run_id(c)].update(job_id=str(job.job_id), error=None)
        _write_manifest(out, manifest)
        echo(f"queued {len(todo)} task(s) as SLURM job {handles[0].job_id.split('_')[0]}; "
             f"`lnl sweep --status --out {out}` follows them")
        return manifest
    _write_manifest(out, manifest)
    if todo:
        _run_local(todo, out, jobs, manifest, echo)
    return manifest


def _run_local(todo: list[Any], out: Path, jobs: int | None, manifest: dict[str, Any], echo) -> None:
    """Each run in a worker process (:func:`lnl.executor.run`), ``jobs`` at a time (default: one
    per core), one thread each when they fill the cores (two single-threaded runs beat two
    two-threaded ones on 2 cores)."""
    from lnl import executor
    from lnl.engine import config_json, run_id

    cores = executor.cores()
    jobs = max(1, min(jobs or cores, len(todo)))
    threads = max(1, cores // jobs)
    work = [executor.Job(run_id(c), train, (config_json(c), str(out), threads),
                         current=lambda c=c: is_done(c, out)) for c in todo]
    n = 0

    def ended(job: Any, outcome: Any, at: float) -> None:
        nonlocal n
        n += 1
        err = outcome.error if outcome.state == executor.FAILED else None
        manifest["runs"][job.key]["error"] = err
        echo(f"[{n}/{len(todo)}] {job.key}: {'done' if err is None else 'failed: ' + err.splitlines()[-1]}")
        _write_manifest(out, manifest)

    executor.run(work, jobs, on_end=ended)


def _submit_slurm(todo: list[Any], out: Path, opts: dict[str, Any]) -> list[Any]:
    import submitit

    from lnl.engine import config_json

    ex = submitit.AutoExecutor(folder=out / "slurm" / "%j", cluster="slurm")
    params = {"timeout_min": int(opts.get("time_min") or 60), "slurm_array_parallelism":
              int(opts.get("array_parallelism") or 16), "cpus_per_task": int(opts.get("cpus") or 1)}
    if opts.get("partition"):
        params["slurm_partition"] = opts["partition"]
    if opts.get("account"):
        params["slurm_account"] = opts["account"]
    if opts.get("gpus"):
        params["gpus_per_node"] = int(opts["gpus"])
    if opts.get("mem_gb"):
        params["mem_gb"] = float(opts["mem_gb"])
    ex.update_parameters(name="lnl-sweep", **params)
    with ex.batch():
        handles = [ex.submit(Train(), config_json(c), str(out), params["cpus_per_task"]) for c in todo]
    return handles


# ----------------------------------------------------------------------------------------------
# What happened
# ----------------------------------------------------------------------------------------------

def _read_manifest(out: Path) -> dict[str, Any]:
    path = out / MANIFEST
    return json.loads(path.read_text()) if path.exists() else {"executor": None, "runs": {}}


def _write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    records.write_json_atomic(out / MANIFEST, manifest)


def status(out: str | Path) -> list[dict[str, Any]]:
    """Each run of the sweep in ``out``: its state (done, running, queued, failed, not run) and, for a
    failed one, the last lines of its error."""
    from lnl.engine import RunConfig

    out = Path(out)
    if not (out / MANIFEST).exists():
        raise SweepError(f"No sweep in {out}: it has no {MANIFEST} (run `lnl sweep ... --out {out}` first).")
    manifest = _read_manifest(out)
    rows = []
    for rid, entry in manifest["runs"].items():
        state, tail = "not run", ""
        if is_done(RunConfig.from_dict(entry["config"]), out):
            state = "done"
        elif entry.get("job_id"):
            state, tail = _slurm_state(out, entry["job_id"])
        elif entry.get("error"):
            state, tail = "failed", entry["error"]
        elif (out / f"{rid}.ckpt").exists():
            state = "interrupted"
        rows.append({"run": rid, "state": state, "error": tail})
    return rows


def _slurm_state(out: Path, job_id: str) -> tuple[str, str]:
    import submitit

    job = submitit.SlurmJob(folder=out / "slurm" / "%j", job_id=job_id)
    state = job.state.upper()
    if state in ("PENDING", "REQUEUED", "CONFIGURING"):
        return "queued", ""
    if state in ("RUNNING", "COMPLETING"):
        return "running", ""
    if state == "COMPLETED":
        return "done", ""
    tail = ""
    try:
        lines = [line for line in job.stderr().splitlines() if line.strip()] if job.stderr() else []
        tail = " | ".join(lines[-3:])
    except (OSError, AttributeError):
        pass
    return ("failed" if state not in ("UNKNOWN",) else "unknown"), tail or state
