"""The loop: passes and streams within an epoch, schedules, evaluation, checkpoints, the record.

:func:`run` reads as its steps: set up, resume, then per epoch train (:func:`train_epoch`) and
evaluate (:func:`evaluate_epoch`) and checkpoint, and at the end write the record.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np
import torch

from lnl import data as lnl_data
from lnl import gmm, records
from lnl.engine.api import DEFAULT_PASS, Context, Method, Pass, Stream, config_dict
from lnl.engine.config import RunConfig, config_json, resolve_precision, run_id
from lnl.engine.diagnostics import (TruthSplit, evaluate_named, label_guess_scores, per_sample_scores, score_outputs, summarise,
                                    training_diagnostics)
from lnl.engine.setup import Prepared, Setup, setup
from lnl.rng import derive_seed


# ----------------------------------------------------------------------------------------------
# Streams: batches with their own randomness
# ----------------------------------------------------------------------------------------------

class StreamBatches:
    """The batches of one stream in one epoch: its order and its views' augmentations come from
    its own generators, keyed by (run seed, stream name, epoch)."""

    def __init__(self, stream: Stream, ctx: Context, batch_size: int):
        if stream.source == "probe" and ctx.probe is None:
            raise ValueError(f"Stream '{stream.name}' reads the probe set; set probe_per_class > 0.")
        self.stream = stream
        self.data, self.labels = (ctx.data, ctx.labels) if stream.source == "train" else ctx.probe
        self.batch_size = stream.batch_size or batch_size
        keys = ("order", "augment") if stream.name == "train" else (f"{stream.name}/order", f"{stream.name}/augment")
        self.order = ctx.generator(keys[0]) if stream.shuffle else None
        self.augment = ctx.generator(keys[1])
        self.size = len(self.data) if stream.indices is None else len(stream.indices)
        if self.size == 0:
            raise ValueError(f"Stream '{stream.name}' has no samples this epoch.")
        self.drop_last = self.size > self.batch_size

    def __len__(self) -> int:
        return self.size // self.batch_size if self.drop_last else -(-self.size // self.batch_size)

    def sweep(self) -> Iterator[torch.Tensor]:
        """One pass over the stream's indices."""
        return self.data.batches(self.batch_size, self.order, drop_last=self.drop_last, indices=self.stream.indices)

    def cycle(self) -> Iterator[torch.Tensor]:
        """Sweeps without end (a side stream beside a longer main stream)."""
        while True:
            yield from self.sweep()

    def batch(self, idx: torch.Tensor) -> dict[str, Any]:
        views = [self.data.batch(idx, self.augment, policy) for policy in self.stream.views]
        out = {"idx": idx, "x": views[0], "y": self.labels[idx]}
        if len(views) > 1:
            out["views"] = views
        return out


def epoch_passes(method: Method, ctx: Context) -> list[Pass]:
    """What ``on_epoch_start`` declared, else one pass over all samples (with the probe beside it
    for a method that uses one)."""
    if ctx.passes:
        for p in ctx.passes:
            names = [s.name for s in p.side]
            if len(set(names)) < len(names) or set(names) & {"idx", "x", "y", "views", p.main.name}:
                raise ValueError(f"The side streams of a pass need distinct names other than idx, x, y, "
                                 f"views and the main stream's; got {', '.join(names)}.")
        return list(ctx.passes)
    if method.uses_probe:
        return [replace(DEFAULT_PASS, side=(Stream("probe", source="probe", shuffle=False),))]
    return [DEFAULT_PASS]


# ----------------------------------------------------------------------------------------------
# One epoch
# ----------------------------------------------------------------------------------------------

def apply_schedules(ctx: Context, epoch: int) -> dict[str, float]:
    """Set every optimiser's hyper-parameters for ``epoch``; return what the history logs: ``lr``
    (the run's schedule) and ``<hyper>_<optimiser>`` for each declared schedule."""
    cfg = ctx.cfg
    lr = cfg.schedule.lr(cfg.lr, epoch, cfg.epochs)
    logged = {"lr": lr}
    for opt, sched in zip(ctx.optimizers, ctx.optimizer_schedules):
        for g in opt.param_groups:
            g["lr"] = lr * g["base_lr"] / cfg.lr
            for hyper, s in sched.schedules.items():
                v = s.value(g["base"][hyper], epoch, cfg.epochs)
                if hyper == "beta1":
                    g["betas"] = (v, g["betas"][1])
                else:
                    g[hyper] = v
        for hyper in sched.schedules:
            g = opt.param_groups[0]
            logged[f"{hyper}_{sched.name}"] = g["betas"][0] if hyper == "beta1" else g[hyper]
    return logged


def train_epoch(su: Setup, epoch: int) -> dict[str, Any]:
    """Schedules, ``on_epoch_start``, the passes' steps, ``on_epoch_end``: the epoch's training
    entries of the history."""
    cfg, ctx, method = su.cfg, su.ctx, su.method
    ctx.epoch = epoch
    torch.manual_seed(derive_seed(cfg.seed, "torch", epoch))  # any global-RNG use (dropout) per epoch
    entry: dict[str, Any] = {"epoch": epoch + 1, **apply_schedules(ctx, epoch)}
    method.train()
    ctx.passes = None
    method.on_epoch_start(ctx)
    passes = epoch_passes(method, ctx)
    sums: dict[str, torch.Tensor] = {}
    counts: dict[str, int] = {}
    split = TruthSplit(su.given, su.true)
    mains = [StreamBatches(p.main, ctx, p.batch_size or cfg.batch_size) for p in passes]
    ctx.step_in_epoch, ctx.steps_in_epoch = 0, sum(len(m) for m in mains)
    sides: dict[str, Iterator] = {}
    for p, main in zip(passes, mains):
        ctx.current_pass = p
        ctx.step_in_pass, ctx.steps_in_pass = 0, len(main)
        side = [(s.name, StreamBatches(s, ctx, p.batch_size or cfg.batch_size)) for s in p.side]
        for name, sb in side:
            sides.setdefault(name, sb.cycle())
        for idx in main.sweep():
            batch = main.batch(idx)
            for name, sb in side:
                batch[name] = sb.batch(next(sides[name]))
            outs = _step(method, batch, ctx)
            ctx.step_count += 1
            ctx.step_in_epoch += 1
            ctx.step_in_pass += 1
            by_truth = outs.pop("by_truth", None)
            if by_truth:                        # per-sample values, averaged per group below
                split.add(idx, by_truth)
            for k, v in outs.items():
                v = v.detach().float()
                sums[k] = sums[k] + v if k in sums else v
                counts[k] = counts.get(k, 0) + 1
    ctx.current_pass = DEFAULT_PASS
    method.on_epoch_end(ctx)
    entry.update({("train_" + k if k == "loss" else k): float(v) / counts[k] for k, v in sums.items()})
    entry.update({k: float(np.mean(v)) for k, v in ctx.logged.items()})
    entry.update(split.means())
    if su.true is not None:
        for name, (values, threshold) in ctx.per_sample.items():
            entry.update(per_sample_scores(name, values.to(su.device), su.given, su.true, threshold))
        for name, labels in ctx.label_guesses.items():
            entry.update(label_guess_scores(name, labels.to(su.device), su.given, su.true))
    su.last_scores.update({name: values.detach().cpu() for name, (values, _) in ctx.per_sample.items()})
    ctx.logged.clear()
    ctx.per_sample.clear()
    ctx.label_guesses.clear()
    return entry


def _step(method: Method, batch: dict[str, Any], ctx: Context) -> dict[str, torch.Tensor]:
    """One ``training_step`` under autocast; the engine steps the optimisers unless the method does."""
    with ctx.autocast():
        outs = method.training_step(batch, ctx)
    if method.automatic_optimization:
        for opt in ctx.optimizers:
            opt.zero_grad(set_to_none=True)
        outs["loss"].backward()
        for opt in ctx.optimizers:
            opt.step()
    return outs


def evaluate_epoch(su: Setup) -> tuple[dict[str, Any], torch.Tensor | None]:
    """Test accuracy and loss (of each named output), and the true-label diagnostics on the
    training set; also the training logits of the reported output (``None`` without them)."""
    cfg, ctx, method = su.cfg, su.ctx, su.method
    method.eval()
    outputs = evaluate_named(method.predict, su.test, cfg.batch_size * 4, ctx.autocast)
    _, entry = score_outputs(outputs, su.test_labels, method.reported_output)
    if not (cfg.diagnostics and su.true is not None):
        return entry, None
    if type(method).predict is Method.predict:     # one network: share the pass with the method's
        train_logits = ctx.train_features(method.net)[0]   # next on_epoch_start (GMM, kNN)
    else:
        outs = evaluate_named(method.predict, su.train, cfg.batch_size * 4, ctx.autocast)
        train_logits = outs[method.reported_output or next(iter(outs))] if isinstance(outs, dict) else outs
    entry.update(training_diagnostics(train_logits, su.given, su.true))
    return entry, train_logits


# ----------------------------------------------------------------------------------------------
# Checkpoints and the record
# ----------------------------------------------------------------------------------------------

@dataclass
class Progress:
    """What a run has done so far: all a checkpoint holds besides the method and optimisers."""

    epoch: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    epoch_s: list[float] = field(default_factory=list)
    wall: float = 0.0
    losses: list[np.ndarray] = field(default_factory=list)  # per-sample training losses, one row per epoch


def save_checkpoint(path: Path, su: Setup, done: Progress) -> None:
    lost = su.method.undeclared_state()
    if lost:
        raise RuntimeError(f"Method '{su.method.name}' changed {', '.join(lost)} outside its buffers; name "
                           f"them in `persistent` (checkpointed) or `transient` (recomputed by its hooks).")
    state = {"config": config_json(su.cfg), "epoch": done.epoch, "step_count": su.ctx.step_count,
             "method": su.method.state_dict(), "optimizers": [o.state_dict() for o in su.ctx.optimizers],
             "history": done.history, "epoch_s": done.epoch_s, "wall_time_s": done.wall, "losses": done.losses,
             "last_scores": su.last_scores}
    with records.atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_method_state(method: Method, state: dict[str, Any]) -> None:
    state = dict(state)
    state.setdefault("_extra_state", {})      # saved before methods had extra state
    method.load_state_dict(state)


def resume_from(path: Path, su: Setup, per_sample: bool) -> Progress:
    state = torch.load(path, map_location=su.device, weights_only=False)
    if state["config"] != config_json(su.cfg):
        raise ValueError(f"The checkpoint {path} belongs to a different configuration.")
    load_method_state(su.method, state["method"])
    for opt, s in zip(su.ctx.optimizers, state["optimizers"]):
        opt.load_state_dict(s)
    done = Progress(state["epoch"], state["history"], state["epoch_s"], state["wall_time_s"],
                    list(state.get("losses", [])))
    if per_sample and len(done.losses) != done.epoch:  # checkpointed without per-sample losses
        raise ValueError(f"The checkpoint {path} has no per-sample losses for its first "
                         f"{done.epoch} epochs; delete it to train again with per_sample=True.")
    su.ctx.step_count = state["step_count"]
    su.last_scores.update(state.get("last_scores", {}))
    return done


def phase_warnings(su: Setup) -> list[str]:
    """One sentence for each phase of the method that cannot start within the run's epochs."""
    out = []
    for what, first in su.method.phases(su.ctx).items():
        if first > su.cfg.epochs:
            out.append(f"{su.method.name}: {what} would start at epoch {first}, after the run's "
                       f"{su.cfg.epochs} epochs, so it never runs.")
    return out


def make_record(su: Setup, done: Progress, rid: str, started, code, warnings: list[str]) -> dict[str, Any]:
    cfg, prep, ds = su.cfg, su.prep, su.prep.dataset
    summary = summarise(done.history)
    summary.update({"noise_rate_effective": prep.noise["rate_effective"], "noise_rate_nominal": cfg.rate,
                    "noise_kind": cfg.noise, "wall_time_s": done.wall})
    last = done.history[-1]
    for k in ("clean_acc", "noisy_acc_given", "noisy_acc_true", "loss_auroc"):
        if k in last:
            summary[f"{k}_last"] = last[k]
    if any(k.startswith("test_acc_") for k in last):
        summary["reported_output"] = su.method.reported_output or next(
            k[len("test_acc_"):] for k in last if k.startswith("test_acc_"))
    record = {
        "run_id": rid,
        "config": config_json(cfg),
        "method_config": config_dict(su.method_config),
        "data": {"name": ds.name, "source": ds.source, "num_train": len(su.given), "num_test": len(ds.test),
                 "num_classes": ds.num_classes, "num_probe": 0 if prep.probe_idx is None else len(prep.probe_idx)},
        "noise": prep.noise,
        "detection": su.method.detection,
        "history": done.history,
        "summary": summary,
        "timing": {"epoch_s": done.epoch_s, "device_type": su.device.type,
                   "precision": resolve_precision(cfg.precision, su.device), "channels_last": su.channels_last},
        "provenance": records.provenance(su.device, started, records.now(), code),
    }
    if warnings:
        record["warnings"] = warnings
    if su.ctx.resolved_phases:
        record["phases_resolved"] = su.ctx.resolved_phases
    assumed = su.method.assumptions(su.ctx)
    if assumed:
        record["assumptions"] = assumed
    return record


# ----------------------------------------------------------------------------------------------
# Runs
# ----------------------------------------------------------------------------------------------

def run(cfg: RunConfig, methods: Mapping[str, type[Method]], *, out: str | Path = "runs", resume: bool = False,
        stop_after: int | None = None, progress: bool | None = None, dataset: lnl_data.Dataset | None = None,
        per_sample: bool = False, keep_state: bool = False) -> dict[str, Any]:
    """Train ``cfg`` with the method ``methods[cfg.method]`` and write ``out/<run-id>.json``; return
    the record. ``methods`` is the caller's registry of methods by name (:func:`lnl.runner.run` hands
    :data:`lnl.methods.METHODS`).

    A checkpoint ``out/<run-id>.ckpt`` is written after every epoch and removed when the run ends.
    ``resume=True`` continues from it (a killed run resumes to the identical record).
    ``stop_after=k`` stops after epoch k with the checkpoint in place, as if the run were killed
    there, and returns ``{}``. ``progress``: tqdm bars; default on when stderr is a terminal.
    ``per_sample=True`` also writes ``out/<run-id>.npz`` with every epoch's per-sample training loss
    against the given label (``loss [E, N]``, eval mode, no augmentation) and ``given``/``true`` labels,
    for loss histograms and GMM fits at any epoch (needs the diagnostics pass and known truth).
    ``keep_state=True`` keeps the trained method (networks and buffers) as ``out/<run-id>.state.pt``
    for :func:`restore`.
    """
    from tqdm import tqdm

    started, code = records.now(), records.code_state()  # the code that runs is the code at the start
    rid = run_id(cfg)
    ckpt_path, record_path = Path(out) / f"{rid}.ckpt", Path(out) / f"{rid}.json"
    su = setup(cfg, methods, dataset)
    done = resume_from(ckpt_path, su, per_sample) if resume and ckpt_path.exists() else Progress()
    warnings = phase_warnings(su)
    for line in warnings:
        print(line, file=sys.stderr)
    bar = tqdm(total=cfg.epochs, initial=done.epoch, desc=rid, leave=False,
               disable=not (sys.stderr.isatty() if progress is None else progress))
    for epoch in range(done.epoch, cfg.epochs):
        t0 = time.perf_counter()
        entry = train_epoch(su, epoch)
        scores, train_logits = evaluate_epoch(su)
        entry.update(scores)
        if per_sample and train_logits is not None:
            done.losses.append(gmm.per_sample_loss(train_logits, su.given).cpu().numpy())
        done.history.append(entry)
        done.epoch_s.append(time.perf_counter() - t0)
        done.wall += done.epoch_s[-1]
        done.epoch = epoch + 1
        save_checkpoint(ckpt_path, su, done)
        bar.update(1)
        bar.set_postfix(test_acc=f"{entry['test_acc']:.4f}")
        if stop_after is not None and done.epoch >= stop_after and done.epoch < cfg.epochs:
            bar.close()
            return {}
    bar.close()
    record = make_record(su, done, rid, started, code, warnings)
    if done.losses:
        with records.atomic_path(record_path.with_suffix(".npz")) as tmp:
            np.savez_compressed(tmp, loss=np.stack(done.losses), given=su.prep.labels, true=su.prep.true,
                                epoch=np.arange(1, len(done.losses) + 1))
        record["per_sample_file"] = record_path.with_suffix(".npz").name
    if keep_state:
        with records.atomic_path(record_path.with_suffix(".state.pt")) as tmp:
            torch.save({"run_id": rid, "method": su.method.state_dict(), "scores": su.last_scores}, tmp)
        record["state_file"] = record_path.with_suffix(".state.pt").name
    records.write_json_atomic(record_path, record)
    ckpt_path.unlink(missing_ok=True)
    return record


@dataclass
class Restored:
    """A finished run brought back: its trained method (eval mode), data and context.

    ``ctx.train_features(method.net)`` gives the penultimate features of the training set,
    ``method`` its buffers (MixNN's soft labels ``t``), ``prep`` the given and true labels.
    """

    record: dict[str, Any]
    method: Method
    ctx: Context
    prep: Prepared
    test: lnl_data.DeviceData
    scores: dict[str, torch.Tensor] = field(default_factory=dict)   # each per-sample score the method
    # logged (ctx.log_per_sample), as of the last epoch that logged it: what `lnl detect` ranks by


def restore(record_path: str | Path, methods: Mapping[str, type[Method]],
            dataset: lnl_data.Dataset | None = None) -> Restored:
    """The trained state of the run whose record is ``record_path``, written by
    ``run(..., keep_state=True)`` as ``<run-id>.state.pt`` beside it; its method from ``methods``
    (:func:`lnl.runner.restore` hands :data:`lnl.methods.METHODS`)."""
    record_path = Path(record_path)
    rec = records.read_record(record_path)
    state_path = record_path.with_name(rec.get("state_file") or f"{rec['run_id']}.state.pt")
    if not state_path.exists():
        raise FileNotFoundError(f"The run {rec['run_id']} kept no trained state; run it with keep_state=True.")
    su = setup(RunConfig.from_dict(rec["config"]), methods, dataset)
    state = torch.load(state_path, map_location=su.device, weights_only=False)
    load_method_state(su.method, state["method"])
    su.method.eval()
    su.ctx.epoch = len(rec["history"])
    return Restored(rec, su.method, su.ctx, su.prep, su.test, state.get("scores", {}))
