"""One training engine for every method; a method adds only what its paper adds.

A method is an ``nn.Module`` with five hooks (after Lightning's ``LightningModule``, trimmed to what
the nine methods of the book need). Its registered buffers are its per-sample state (soft labels,
clean probabilities), so they land in checkpoints with no extra code. The engine's loop, in hook
order::

    data, noisy labels ỹ  <- load, subset, hold out a clean probe set if the method asks, add noise
    method.configure(ctx)                  # build 1 or 2 networks and their optimisers
    for epoch in range(start, epochs):     # start > 0 after --resume
        set LR of every optimiser from the schedule
        method.on_epoch_start(ctx)         # GMM fit, kNN index, co-divide (may set ctx.epoch_indices)
        for idx in shuffled batches of ctx.epoch_indices (default: all):
            batch = {"idx", "x" (augmented), "y" (given label)} (+ "probe_x", "probe_y")
            out = method.training_step(batch, ctx)
            if method.automatic_optimization: zero_grad, out["loss"].backward(), step
        method.on_epoch_end(ctx)           # EMA / temporal-ensemble targets
        evaluate method.predict on the test set and, knowing the truth, on the training set
        append the epoch to the history; checkpoint atomically
    write the run record atomically

The engine owns the cross-cutting work: seeding (each epoch's randomness is derived from the run
seed and the epoch, so a resumed run equals an uninterrupted one), device choice, bf16 autocast and
channels-last, the LR schedule, checkpoints and resume, evaluation, the true-label diagnostics,
progress bars and records. Methods never open files, never print and never see the true labels.

How the nine methods map onto the hooks:

=============  ==========================================================================
CE, Mixup      ``training_step`` returns the loss
ELR            per-sample target buffer, updated in ``training_step`` (``index_copy_``)
Co-teaching    two networks in ``configure``; ``automatic_optimization = False``; R(T) schedule
DivideMix      two networks; ``on_epoch_start``: ``ctx.train_logits`` + :mod:`lnl.gmm` per net,
               ``ctx.epoch_indices`` = the labelled set; unlabelled batches via ``ctx.data``
SANM           DivideMix's hooks + ``net(x, features=True).feature_map`` for the masks
MixNN          ``on_epoch_start``: GMM and kNN over ``ctx.train_features``; soft-label buffer
IEG            ``streams = ("train", "probe")``; meta step with :func:`functional_forward`
ALR            soft-label buffer updated in ``training_step``/``on_epoch_end``
=============  ==========================================================================
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn as nn

from lnl import data as lnl_data
from lnl import gmm, noise, records
from lnl.models import build_model
from lnl.rng import derive_seed, numpy_generator, torch_generator

PRECISIONS = ("auto", "fp32", "bf16")
OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "multistep", "cosine", "cosine-restarts")
DEVICES = ("auto", "cpu", "cuda", "mps")
NOISE_KINDS = ("none",) + tuple(noise.KINDS)
DEFAULT_MODEL = {"digits": "mlp", "fashion_mnist": "cnn"}  # CIFAR and image folders: resnet20


# ----------------------------------------------------------------------------------------------
# Configuration
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Schedule:
    """Learning rate as a function of the epoch (declared data, logged every epoch).

    ``constant``; ``multistep``: ×``gamma`` at each of ``milestones``; ``cosine``: from ``lr`` to
    ``eta_min`` over the run; ``cosine-restarts``: SGDR (Loshchilov & Hutter, 2017) with period
    ``t0`` epochs, each period ``t_mult`` times longer (MixNN's code: t0 = 10, t_mult = 1).
    ``warmup`` epochs of linear ramp-up come first in every kind.
    """

    kind: str = "cosine"
    milestones: tuple[int, ...] = ()
    gamma: float = 0.1
    eta_min: float = 0.0
    t0: int = 10
    t_mult: int = 1
    warmup: int = 0

    def lr(self, base_lr: float, epoch: int, epochs: int) -> float:
        """LR for 0-based ``epoch`` of ``epochs``."""
        if epoch < self.warmup:
            return base_lr * (epoch + 1) / (self.warmup + 1)
        if self.kind == "constant":
            return base_lr
        if self.kind == "multistep":
            return base_lr * self.gamma ** sum(epoch >= m for m in self.milestones)
        if self.kind == "cosine":
            t, span = epoch - self.warmup, max(1, epochs - self.warmup)
            return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * t / span)) / 2
        t, period = epoch - self.warmup, self.t0
        while t >= period:
            t, period = t - period, period * self.t_mult
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * t / period)) / 2


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides a run, except the method's own settings (``method_params``).

    Fields that only change how a run executes, not what it computes (``out``, ``resume``,
    ``stop_after``, ``progress``), are not part of it; see :func:`run`.
    """

    method: str = "ce"
    dataset: str = "fashion_mnist"
    noise: str = "symmetric"                 # a name from NOISE_KINDS; "none" keeps the labels as given
    rate: float = 0.0                        # nominal rate r (ignored by "human" and "none")
    sampling: str = "exact"                  # exact counts per class, or per-sample Bernoulli draws
    label_set: str | None = None             # CIFAR-N human label set for noise="human"
    model: str | None = None                 # default: DEFAULT_MODEL, else resnet20
    epochs: int = 20
    batch_size: int = 128
    optimizer: str = "sgd"                   # sgd (with momentum) or adam
    lr: float = 0.02
    momentum: float = 0.9                    # SGD only
    weight_decay: float = 5e-4
    schedule: Schedule = field(default_factory=Schedule)
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"                  # auto: bf16 on CUDA, fp32 elsewhere
    channels_last: bool | None = None        # auto: on CUDA (CPU: as each model is built)
    train_per_class: int | None = None       # small profiles: the first n training images per class
    test_per_class: int | None = None
    probe_per_class: int = 0                 # clean probe set held out before noise (IEG: 10 per class)
    root: str | None = None                  # imagefolder only
    image_size: int = 32                     # imagefolder only
    augment: bool = True                     # the data set's training augmentation (CIFAR: crop + flip;
                                             # Fashion-MNIST and digits have none)
    diagnostics: bool = True                 # true-label diagnostics on the training set every epoch
    method_params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunConfig":
        """The inverse of :meth:`to_dict`, also for the JSON form a record stores."""
        sched = dict(d.get("schedule") or {})
        sched["milestones"] = tuple(sched.get("milestones", ()))
        return cls(**{**d, "schedule": Schedule(**sched), "method_params": dict(d.get("method_params") or {})})


def validate(cfg: RunConfig) -> None:
    """Raise ``ValueError`` with one sentence for the first invalid setting."""
    from lnl.methods import METHODS

    def choose(what: str, value: Any, valid) -> None:
        if value not in valid:
            raise ValueError(f"Unknown {what} '{value}'; choose one of: {', '.join(map(str, valid))}.")

    choose("method", cfg.method, METHODS)
    choose("data set", cfg.dataset, lnl_data.DATASETS)
    choose("noise kind", cfg.noise, NOISE_KINDS)
    choose("noise sampling", cfg.sampling, noise.SAMPLING)
    choose("device", cfg.device, DEVICES)
    choose("precision", cfg.precision, PRECISIONS)
    choose("optimiser", cfg.optimizer, OPTIMIZERS)
    choose("LR schedule", cfg.schedule.kind, SCHEDULES)
    if not (isinstance(cfg.rate, (int, float)) and 0.0 <= cfg.rate <= 1.0):
        raise ValueError(f"The noise rate must be within [0, 1], got {cfg.rate}.")
    for name in ("epochs", "batch_size"):
        if getattr(cfg, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(cfg, name)}.")
    if cfg.lr <= 0:
        raise ValueError(f"The learning rate must be positive, got {cfg.lr}.")
    if cfg.noise == "human":
        valid = lnl_data.HUMAN_LABEL_SETS.get(cfg.dataset)
        if not valid:
            raise ValueError(f"Human noise needs a data set with human labels: "
                             f"{', '.join(lnl_data.HUMAN_LABEL_SETS)}.")
        choose("label set", cfg.label_set or valid[0], valid)
    METHODS[cfg.method].make_config(cfg.method_params)  # raises on unknown or ill-typed parameters


def run_id(cfg: RunConfig) -> str:
    """``<method>-<dataset>-<noise><rate>-s<seed>-<hash>``; the hash covers the whole config."""
    digest = hashlib.sha256(json.dumps(cfg.to_dict(), sort_keys=True, default=str).encode()).hexdigest()[:8]
    rate = "" if cfg.noise in ("none", "human") else f"{cfg.rate:g}"
    kind = (cfg.label_set or lnl_data.HUMAN_LABEL_SETS[cfg.dataset][0]) if cfg.noise == "human" else cfg.noise
    return f"{cfg.method}-{cfg.dataset}-{kind}{rate}-s{cfg.seed}-{digest}"


# ----------------------------------------------------------------------------------------------
# The method interface
# ----------------------------------------------------------------------------------------------

class Method(nn.Module):
    """Base class of every method. Subclasses set ``Config`` (a frozen dataclass of paper defaults)."""

    name: str = "method"
    Config: type = type("NoConfig", (), {})
    streams: tuple[str, ...] = ("train",)
    automatic_optimization: bool = True

    def __init__(self, config: Any):
        super().__init__()
        self.config = config

    @classmethod
    def make_config(cls, params: dict[str, Any]) -> Any:
        """The method's config from ``params`` (strings are converted to the field's type)."""
        fields = {f.name: f for f in dataclasses.fields(cls.Config)} if dataclasses.is_dataclass(cls.Config) else {}
        unknown = sorted(set(params) - set(fields))
        if unknown:
            valid = ", ".join(fields) or "none"
            raise ValueError(f"Method '{cls.name}' has no parameter {', '.join(unknown)}; its parameters: {valid}.")
        values = {}
        for k, v in params.items():
            kind = type(getattr(cls.Config(), k))
            try:
                if kind is bool and isinstance(v, str):
                    if v.lower() not in ("true", "false", "1", "0"):
                        raise ValueError(v)
                    values[k] = v.lower() in ("true", "1")
                else:
                    values[k] = v if isinstance(v, kind) else kind(v)
            except (TypeError, ValueError):
                raise ValueError(f"Parameter {k} of method '{cls.name}' must be a {kind.__name__}, got {v!r}.")
        return cls.Config(**values)

    def configure(self, ctx: "Context") -> None:
        """Build networks (``ctx.build_model()``) and optimisers (``ctx.optimizer(params)``)."""
        raise NotImplementedError

    def on_epoch_start(self, ctx: "Context") -> None:
        """Per-epoch work before the batches: a GMM fit, a kNN index, a co-divide."""

    def training_step(self, batch: dict[str, torch.Tensor], ctx: "Context") -> dict[str, torch.Tensor]:
        """One batch. Return ``{"loss": ...}`` (plus scalar metrics to log); with
        ``automatic_optimization = False`` step the optimisers yourself (``ctx.step``).

        ``"by_truth": {name: values [B]}`` in the result hands per-sample values to the engine,
        which knows the true labels: the history gets ``<name>_clean`` and ``<name>_noisy``, the
        epoch means over correctly and wrongly labelled samples (a gradient coefficient, MixNN
        Fig. 7b)."""
        raise NotImplementedError

    def on_epoch_end(self, ctx: "Context") -> None:
        """Per-epoch work after the batches: EMA or temporal-ensemble targets."""

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``[B, C]`` used for evaluation."""
        return self.net(x)


# ----------------------------------------------------------------------------------------------
# What the hooks see
# ----------------------------------------------------------------------------------------------

class Context:
    """The engine's state as a method sees it: no true labels, no files."""

    def __init__(self, cfg: RunConfig, device: torch.device, train: lnl_data.DeviceData,
                 labels: torch.Tensor, num_classes: int, image_shape: tuple[int, int, int],
                 probe: tuple[lnl_data.DeviceData, torch.Tensor] | None):
        self.cfg, self.device, self.data, self.labels = cfg, device, train, labels
        self.num_classes, self.image_shape, self.probe = num_classes, image_shape, probe
        self.num_train = len(labels)
        self.epoch, self.epochs, self.step_count = 0, cfg.epochs, 0
        self.epoch_indices: torch.Tensor | None = None  # set in on_epoch_start to train on a subset
                                                        # this epoch (DivideMix's labelled set)
        self.optimizers: list[torch.optim.Optimizer] = []
        self.bf16 = resolve_precision(cfg.precision, device) == "bf16"
        self._logged: dict[str, list[float]] = {}
        self._cache: dict[tuple[int, int, str], Any] = {}
        self._generators: dict[tuple[str, str, int], Any] = {}

    # building blocks -----------------------------------------------------------------------
    def build_model(self, name: str | None = None) -> nn.Module:
        """A fresh network for this data set, on the device."""
        c, h, _ = self.image_shape
        name = name or self.cfg.model or DEFAULT_MODEL.get(self.cfg.dataset, "resnet20")
        net = build_model(name, num_classes=self.num_classes, in_channels=c, image_size=h).to(self.device)
        if self.cfg.channels_last is None:  # auto: on CUDA; elsewhere as the model is built
            return net.to(memory_format=torch.channels_last) if self.device.type == "cuda" else net
        return net.to(memory_format=torch.channels_last if self.cfg.channels_last else torch.contiguous_format)

    def optimizer(self, params, **overrides) -> torch.optim.Optimizer:
        """The run's optimiser (SGD with momentum, or Adam) with its lr and weight decay; the engine
        sets its LR from the schedule each epoch. ``overrides`` replace ``lr``, ``momentum`` or
        ``weight_decay`` for this optimiser."""
        lr, wd = overrides.get("lr", self.cfg.lr), overrides.get("weight_decay", self.cfg.weight_decay)
        if self.cfg.optimizer == "adam":
            opt: torch.optim.Optimizer = torch.optim.Adam(params, lr=lr, weight_decay=wd)
        else:
            opt = torch.optim.SGD(params, lr=lr, momentum=overrides.get("momentum", self.cfg.momentum),
                                  weight_decay=wd)
        for g in opt.param_groups:
            g["base_lr"] = g["lr"]
        self.optimizers.append(opt)
        return opt

    def generator(self, purpose: str) -> torch.Generator:
        """The epoch's torch generator for ``purpose`` on the device, seeded from (run seed, purpose,
        epoch). Repeated calls within an epoch return the same generator, which advances."""
        return self._generator("torch", purpose)

    def numpy_generator(self, purpose: str) -> np.random.Generator:
        """The epoch's numpy generator for ``purpose`` (e.g. Beta draws), as :meth:`generator`."""
        return self._generator("numpy", purpose)

    def _generator(self, lib: str, purpose: str):
        key = (lib, purpose, self.epoch)
        if key not in self._generators:
            self._generators = {k: g for k, g in self._generators.items() if k[2] == self.epoch}
            self._generators[key] = (torch_generator(self.cfg.seed, purpose, self.epoch, device=self.device)
                                     if lib == "torch" else numpy_generator(self.cfg.seed, purpose, self.epoch))
        return self._generators[key]

    def autocast(self):
        """bf16 autocast when the run uses it, else a no-op context."""
        if self.bf16:
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def step(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        """zero_grad, backward, step: for methods that optimise by hand."""
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def log(self, **metrics: float | torch.Tensor) -> None:
        """Record per-epoch values (averaged over the calls within an epoch) into the history."""
        for k, v in metrics.items():
            self._logged.setdefault(k, []).append(float(v))

    # whole-training-set passes (eval mode, no augmentation), cached until the next step -----
    def train_logits(self, net: nn.Module) -> torch.Tensor:
        """``[N, C]`` float32 logits of ``net`` on every training image, in eval mode without augmentation."""
        return self._whole_set(net, "logits")

    def train_features(self, net: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        """``(logits [N, C], embedding [N, D])`` on every training image (kNN, t-SNE)."""
        return self._whole_set(net, "features")

    def _whole_set(self, net: nn.Module, what: str):
        key = (id(net), self.step_count, what)
        features = (id(net), self.step_count, "features")
        if what == "logits" and features in self._cache:      # one pass serves both
            return self._cache[features][0]
        if key not in self._cache:
            self._cache = {k: v for k, v in self._cache.items() if k[1] == self.step_count}
            with eval_mode(net):
                self._cache[key] = evaluate_outputs(net, self.data, self.cfg.batch_size * 4, self.autocast,
                                                    features=what == "features")
        return self._cache[key]


def resolve_device(name: str) -> torch.device:
    """``auto``: CUDA, else Apple MPS, else CPU. A requested device that is absent is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        return torch.device("mps" if mps is not None and mps.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for but no CUDA device is available; use --device auto or cpu.")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError("--device mps was asked for but no Apple MPS device is available; use --device auto or cpu.")
    return torch.device(name)


def resolve_precision(name: str, device: torch.device) -> str:
    return ("bf16" if device.type == "cuda" else "fp32") if name == "auto" else name


@torch.no_grad()
def evaluate_outputs(fn: Callable, data: lnl_data.DeviceData, batch_size: int, autocast, *,
                     features: bool = False):
    """``fn`` on all of ``data`` without augmentation, in order: logits ``[N, C]`` float32, or
    ``(logits, embedding [N, D])`` with ``features=True``. The caller sets eval mode."""
    logits, embs = [], []
    for idx in data.batches(batch_size):
        with autocast():
            out = fn(data.batch(idx), features=True) if features else fn(data.batch(idx))
        logits.append((out.logits if features else out).float())
        if features:
            embs.append(out.embedding.float())
    return (torch.cat(logits), torch.cat(embs)) if features else torch.cat(logits)


@contextlib.contextmanager
def eval_mode(module: nn.Module):
    was = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was)


def functional_forward(net: nn.Module, params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """``net(x)`` with ``params`` in place of its parameters, for meta steps (IEG's look-ahead).

    Buffers are passed as copies so that a train-mode BatchNorm in the virtual step does not
    update the real running statistics.
    """
    buffers = {k: v.clone() for k, v in net.named_buffers()}
    return torch.func.functional_call(net, {**params, **buffers}, (x,))


# ----------------------------------------------------------------------------------------------
# Diagnostics that need the truth (the engine's alone)
# ----------------------------------------------------------------------------------------------

def training_diagnostics(logits: torch.Tensor, given: torch.Tensor, true: torch.Tensor) -> dict[str, float]:
    """Memorisation diagnostics on the training set.

    ``clean_acc``: accuracy on correctly labelled samples; ``noisy_acc_given``: share of mislabelled
    samples predicted as their *given* (wrong) label, i.e. memorised; ``noisy_acc_true``: share
    predicted as their true label, i.e. corrected. ``loss_clean``/``loss_noisy``: mean CE against the
    given label; ``grad_clean``/``grad_noisy``: mean ``1 − p_ỹ``, the magnitude of the CE gradient on
    the given-label logit (MixNN Fig. 2); ``loss_auroc``: AUROC of the small-loss split.
    """
    pred = logits.argmax(dim=1)
    noisy = given != true
    clean = ~noisy
    loss = gmm.per_sample_loss(logits, given)
    p_given = torch.softmax(logits, dim=1).gather(1, given.view(-1, 1)).squeeze(1)

    def mean(x: torch.Tensor, mask: torch.Tensor) -> float | None:  # None (JSON null) for an empty group
        return float(x[mask].float().mean()) if mask.any() else None

    out = {
        "train_acc": float((pred == given).float().mean()),
        "clean_acc": mean(pred == given, clean),
        "noisy_acc_given": mean(pred == given, noisy),
        "noisy_acc_true": mean(pred == true, noisy),
        "loss_clean": mean(loss, clean), "loss_noisy": mean(loss, noisy),
        "grad_clean": mean(1 - p_given, clean), "grad_noisy": mean(1 - p_given, noisy),
    }
    auroc = gmm.detection_metrics(-loss.cpu().numpy(), clean.cpu().numpy())["auroc"]
    out["loss_auroc"] = None if math.isnan(auroc) else auroc
    return out


def summarise(history: list[dict[str, Any]]) -> dict[str, Any]:
    """Best, last and mean-of-last-10 test accuracy (never only the best)."""
    acc = [h["test_acc"] for h in history]
    best = int(np.argmax(acc))
    return {"test_acc_best": acc[best], "best_epoch": history[best]["epoch"], "test_acc_last": acc[-1],
            "test_acc_last10": float(np.mean(acc[-10:])), "epochs_completed": len(acc)}


# ----------------------------------------------------------------------------------------------
# The loop
# ----------------------------------------------------------------------------------------------

@dataclass
class Prepared:
    """Data and labels of a run before training: what the book inspects without training."""

    dataset: lnl_data.Dataset
    labels: np.ndarray                 # [N] given (noisy) training labels
    true: np.ndarray | None            # [N] true labels, None for real-world noisy sets
    noise: dict[str, Any]              # convention, nominal/effective rate, realised matrix
    probe_idx: np.ndarray | None       # indices (into dataset.train) of the clean probe set
    train_idx: np.ndarray              # indices of the samples trained on


def prepare(cfg: RunConfig, dataset: lnl_data.Dataset | None = None) -> Prepared:
    """Load the data, take the profile's subset, hold out the probe set, then draw the noise."""
    validate(cfg)
    ds = dataset or lnl_data.load(cfg.dataset, root=cfg.root, image_size=cfg.image_size)
    ds = ds.subset(cfg.train_per_class, cfg.test_per_class)
    y = ds.train.labels.numpy()
    train_idx = np.arange(len(y))
    probe_idx = None
    if cfg.probe_per_class > 0:  # clean and class-balanced, held out before noise (IEG)
        order = numpy_generator(cfg.seed, "probe").permutation(len(y))
        probe_idx = np.sort(np.concatenate([order[y[order] == c][:cfg.probe_per_class]
                                            for c in range(ds.num_classes)]))
        train_idx = np.setdiff1d(train_idx, probe_idx)
    true = y[train_idx]
    if cfg.noise == "none":
        labels = true.copy()
        info = {"kind": "none", "rate_nominal": 0.0,
                "rate_effective": 0.0 if ds.labels_are_clean else None,
                "note": None if ds.labels_are_clean else "real-world labels: their noise rate is unknown"}
        return Prepared(ds, labels, true if ds.labels_are_clean else None, info, probe_idx, train_idx)
    if not ds.labels_are_clean:
        raise ValueError(f"The {cfg.dataset} labels are already noisy and their truth unknown; use --noise none.")
    human = None
    if cfg.noise == "human":
        label_set = cfg.label_set or lnl_data.HUMAN_LABEL_SETS[cfg.dataset][0]
        human = ds.human_labels[label_set][train_idx]
    images = ds.train.images[train_idx].numpy() if cfg.noise == "instance" else None
    nl = noise.sample(cfg.noise, true, cfg.rate, num_classes=ds.num_classes, seed=cfg.seed,
                      sampling=cfg.sampling, dataset=cfg.dataset, images=images, human_labels=human)
    info = {"kind": cfg.noise, "sampling": cfg.sampling, "rate_nominal": cfg.rate,
            "rate_effective": nl.effective_rate, "label_set": cfg.label_set if cfg.noise == "human" else None,
            "rate_expected": (noise.effective_rate(nl.transition, np.bincount(true, minlength=ds.num_classes)
                                                   / len(true)) if nl.transition is not None else None),
            "realised_matrix": np.round(nl.realised, 6).tolist()}
    return Prepared(ds, nl.labels, true, info, probe_idx, train_idx)


@dataclass
class _Setup:
    prep: Prepared
    device: torch.device
    train: lnl_data.DeviceData
    test: lnl_data.DeviceData
    given: torch.Tensor
    true: torch.Tensor | None
    channels_last: bool
    ctx: Context
    method: Method
    method_config: Any


def _setup(cfg: RunConfig, dataset: lnl_data.Dataset | None) -> _Setup:
    """Data on the device, the context and the configured method: everything before epoch 1."""
    from lnl.methods import METHODS

    prep = prepare(cfg, dataset)
    ds = prep.dataset
    device = resolve_device(cfg.device)
    method_cls = METHODS[cfg.method]
    mcfg = method_cls.make_config(cfg.method_params)
    torch.manual_seed(derive_seed(cfg.seed, "init"))
    train_images = ds.train.images[prep.train_idx]
    cl = cfg.channels_last if cfg.channels_last is not None else device.type == "cuda"
    augment = ds.augment if cfg.augment else ()
    train = lnl_data.DeviceData(train_images, ds.mean, ds.std, device=device, augment=augment, channels_last=cl)
    test = lnl_data.DeviceData(ds.test.images, ds.mean, ds.std, device=device, augment=(), channels_last=cl)
    given = torch.tensor(prep.labels, device=device)
    true = torch.tensor(prep.true, device=device) if prep.true is not None else None
    probe = None
    if "probe" in method_cls.streams:
        if prep.probe_idx is None:
            raise ValueError(f"Method '{cfg.method}' needs a clean probe set; set probe_per_class > 0.")
        probe = (lnl_data.DeviceData(ds.train.images[prep.probe_idx], ds.mean, ds.std, device=device,
                                     augment=augment, channels_last=cl),
                 ds.train.labels[prep.probe_idx].to(device))
    ctx = Context(cfg, device, train, given, ds.num_classes, ds.image_shape, probe)
    method = method_cls(mcfg).to(device)
    method.configure(ctx)
    method.to(device)
    return _Setup(prep, device, train, test, given, true, cl, ctx, method, mcfg)


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


def restore(record_path: str | Path, dataset: lnl_data.Dataset | None = None) -> Restored:
    """The trained state of the run whose record is ``record_path``, written by
    ``run(..., keep_state=True)`` as ``<run-id>.state.pt`` beside it."""
    record_path = Path(record_path)
    rec = records.read_record(record_path)
    state_path = record_path.with_name(rec.get("state_file") or f"{rec['run_id']}.state.pt")
    if not state_path.exists():
        raise FileNotFoundError(f"The run {rec['run_id']} kept no trained state; run it with keep_state=True.")
    cfg = RunConfig.from_dict(rec["config"])
    su = _setup(cfg, dataset)
    su.method.load_state_dict(torch.load(state_path, map_location=su.device, weights_only=False)["method"])
    su.method.eval()
    su.ctx.epoch = len(rec["history"])
    return Restored(rec, su.method, su.ctx, su.prep, su.test)


def run(cfg: RunConfig, *, out: str | Path = "runs", resume: bool = False, stop_after: int | None = None,
        progress: bool | None = None, dataset: lnl_data.Dataset | None = None,
        per_sample: bool = False, keep_state: bool = False) -> dict[str, Any]:
    """Train ``cfg`` and write ``out/<run-id>.json``; return the record.

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
    started, code = records.now(), records.code_state()  # the code that runs is the code at the start
    rid = run_id(cfg)
    out = Path(out)
    ckpt_path, record_path = out / f"{rid}.ckpt", out / f"{rid}.json"
    su = _setup(cfg, dataset)
    prep, ds, device, ctx, cl = su.prep, su.prep.dataset, su.device, su.ctx, su.channels_last
    method, mcfg, probe = su.method, su.method_config, su.ctx.probe
    train, test, given, true = su.train, su.test, su.given, su.true

    history: list[dict[str, Any]] = []
    losses: list[np.ndarray] = []  # per-sample training losses, one row per epoch (per_sample=True)
    epoch_s: list[float] = []
    start_epoch, wall = 0, 0.0
    if resume and ckpt_path.exists():
        state = torch.load(ckpt_path, map_location=device, weights_only=False)
        if state["config"] != json.loads(json.dumps(cfg.to_dict(), default=str)):
            raise ValueError(f"The checkpoint {ckpt_path} belongs to a different configuration.")
        method.load_state_dict(state["method"])
        for opt, s in zip(ctx.optimizers, state["optimizers"]):
            opt.load_state_dict(s)
        history, epoch_s, wall = state["history"], state["epoch_s"], state["wall_time_s"]
        losses = list(state.get("losses", []))
        if per_sample and len(losses) != state["epoch"]:  # checkpointed without per-sample losses
            raise ValueError(f"The checkpoint {ckpt_path} has no per-sample losses for its first "
                             f"{state['epoch']} epochs; delete it to train again with per_sample=True.")
        start_epoch, ctx.step_count = state["epoch"], state["step_count"]

    show = sys.stderr.isatty() if progress is None else progress
    from tqdm import tqdm

    bar = tqdm(total=cfg.epochs, initial=start_epoch, desc=rid, disable=not show, leave=False)
    for epoch in range(start_epoch, cfg.epochs):
        t0 = time.perf_counter()
        ctx.epoch = epoch
        torch.manual_seed(derive_seed(cfg.seed, "torch", epoch))  # any global-RNG use (dropout) per epoch
        lr = cfg.schedule.lr(cfg.lr, epoch, cfg.epochs)
        for opt in ctx.optimizers:
            for g in opt.param_groups:
                g["lr"] = lr * g["base_lr"] / cfg.lr
        method.train()
        ctx.epoch_indices = None
        method.on_epoch_start(ctx)
        sums: dict[str, torch.Tensor] = {}
        split: dict[str, list] = {}    # "<key>_clean"/"<key>_noisy": [sum, count] of by_truth values
        n_steps = 0
        order_gen, aug_gen = ctx.generator("order"), ctx.generator("augment")
        probe_iter = _cycle(probe[0], cfg.batch_size) if probe else None
        n_epoch = len(train) if ctx.epoch_indices is None else len(ctx.epoch_indices)
        for idx in train.batches(cfg.batch_size, order_gen, drop_last=n_epoch > cfg.batch_size,
                                 indices=ctx.epoch_indices):
            batch = {"idx": idx, "x": train.batch(idx, aug_gen), "y": given[idx]}
            if probe_iter is not None:
                pidx = next(probe_iter)
                batch["probe_x"], batch["probe_y"] = probe[0].batch(pidx, aug_gen), probe[1][pidx]
            if method.automatic_optimization:
                with ctx.autocast():
                    outs = method.training_step(batch, ctx)
                for opt in ctx.optimizers:
                    opt.zero_grad(set_to_none=True)
                outs["loss"].backward()
                for opt in ctx.optimizers:
                    opt.step()
            else:
                outs = method.training_step(batch, ctx)
            ctx.step_count += 1
            n_steps += 1
            by_truth = outs.pop("by_truth", None)
            if by_truth and true is not None:        # per-sample values, averaged per group below
                noisy = given[idx] != true[idx]
                for k, v in by_truth.items():
                    v = v.detach().float()
                    for group, mask in (("clean", ~noisy), ("noisy", noisy)):
                        s_n = split.setdefault(f"{k}_{group}", [0.0, 0])   # tensors: no sync per step
                        s_n[0] = s_n[0] + v[mask].sum()
                        s_n[1] = s_n[1] + mask.sum()
            for k, v in outs.items():
                v = v.detach().float()
                sums[k] = sums[k] + v if k in sums else v
        method.on_epoch_end(ctx)

        entry: dict[str, Any] = {"epoch": epoch + 1, "lr": lr}
        entry.update({("train_" + k if k == "loss" else k): float(v) / max(n_steps, 1) for k, v in sums.items()})
        entry.update({k: float(np.mean(v)) for k, v in ctx._logged.items()})
        entry.update({k: (float(total) / int(n) if int(n) else None) for k, (total, n) in split.items()})
        ctx._logged.clear()
        method.eval()
        test_logits = evaluate_outputs(method.predict, test, cfg.batch_size * 4, ctx.autocast)
        test_y = ds.test.labels.to(device)
        entry["test_acc"] = float((test_logits.argmax(1) == test_y).float().mean())
        entry["test_loss"] = float(gmm.per_sample_loss(test_logits, test_y).mean())
        if cfg.diagnostics and true is not None:
            if type(method).predict is Method.predict:  # one network: share the pass with the method's
                train_logits = ctx.train_features(method.net)[0]  # next on_epoch_start (GMM, kNN)
            else:
                train_logits = evaluate_outputs(method.predict, train, cfg.batch_size * 4, ctx.autocast)
            entry.update(training_diagnostics(train_logits, given, true))
            if per_sample:
                losses.append(gmm.per_sample_loss(train_logits, given).cpu().numpy())
        history.append(entry)
        epoch_s.append(time.perf_counter() - t0)
        wall += epoch_s[-1]
        _save_checkpoint(ckpt_path, cfg, method, ctx, history, epoch_s, wall, losses)
        bar.update(1)
        bar.set_postfix(test_acc=f"{entry['test_acc']:.4f}")
        if stop_after is not None and epoch + 1 >= stop_after and epoch + 1 < cfg.epochs:
            bar.close()
            return {}
    bar.close()

    summary = summarise(history)
    summary.update({"noise_rate_effective": prep.noise["rate_effective"], "noise_rate_nominal": cfg.rate,
                    "noise_kind": cfg.noise, "wall_time_s": wall})
    last = history[-1]
    for k in ("clean_acc", "noisy_acc_given", "noisy_acc_true", "loss_auroc"):
        if k in last:
            summary[f"{k}_last"] = last[k]
    record = {
        "run_id": rid,
        "config": json.loads(json.dumps(cfg.to_dict(), default=str)),
        "method_config": dataclasses.asdict(mcfg) if dataclasses.is_dataclass(mcfg) else {},
        "data": {"name": ds.name, "source": ds.source, "num_train": len(given), "num_test": len(ds.test),
                 "num_classes": ds.num_classes, "num_probe": 0 if prep.probe_idx is None else len(prep.probe_idx)},
        "noise": prep.noise,
        "history": history,
        "summary": summary,
        "timing": {"epoch_s": epoch_s, "device_type": device.type,
                   "precision": resolve_precision(cfg.precision, device), "channels_last": cl},
        "provenance": records.provenance(device, started, records.now(), code),
    }
    if losses:
        npz = record_path.with_suffix(".npz")
        tmp = npz.with_name(f".{npz.name}.tmp.npz")
        np.savez_compressed(tmp, loss=np.stack(losses), given=prep.labels, true=prep.true,
                            epoch=np.arange(1, len(losses) + 1))
        os.replace(tmp, npz)
        record["per_sample_file"] = npz.name
    if keep_state:
        state_path = record_path.with_suffix(".state.pt")
        tmp = state_path.with_name(f".{state_path.name}.tmp")
        torch.save({"run_id": rid, "method": method.state_dict()}, tmp)
        os.replace(tmp, state_path)
        record["state_file"] = state_path.name
    records.write_json_atomic(record_path, record)
    ckpt_path.unlink(missing_ok=True)
    return record


def _cycle(data: lnl_data.DeviceData, batch_size: int):
    """Probe batches in a fixed order, forever (IEG never shuffles its probe set)."""
    while True:
        yield from data.batches(batch_size)


def _save_checkpoint(path: Path, cfg: RunConfig, method: Method, ctx: Context, history, epoch_s, wall,
                     losses) -> None:
    state = {"config": json.loads(json.dumps(cfg.to_dict(), default=str)), "epoch": ctx.epoch + 1,
             "step_count": ctx.step_count, "method": method.state_dict(),
             "optimizers": [o.state_dict() for o in ctx.optimizers], "history": history,
             "epoch_s": epoch_s, "wall_time_s": wall, "losses": losses}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)
