"""The method API: what a method declares (passes, streams, schedules, state) and what it sees.

A method is an ``nn.Module`` with five hooks (see :mod:`lnl.engine`). It never opens files, never
prints and never sees the true labels; the :class:`Context` is everything it gets from the engine.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch
import torch.nn as nn

from lnl import data as lnl_data
from lnl import params
from lnl.augment import POLICIES  # a view's augmentation: none, weak, strong (lnl.data.DeviceData.batch)
from lnl.engine.config import DEFAULT_MODEL, RunConfig, resolve_precision
from lnl.models import build_model
from lnl.rng import numpy_generator, torch_generator
from lnl.sources import paper_share

HYPERS = ("lr", "beta1", "momentum", "weight_decay")


# ----------------------------------------------------------------------------------------------
# Passes and streams: what an epoch iterates over
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stream:
    """An index set that yields mini-batches, with its own randomness.

    ``name`` keys the stream's generators: its order and its augmentations are drawn from
    (run seed, name, epoch) alone, so adding a stream never changes another's batches. (The
    default stream, ``"train"``, keeps the engine's original keys ``"order"`` and ``"augment"``.)
    ``source``: ``"train"`` (the noisy training set, labels ỹ) or ``"probe"`` (the clean probe set
    held out before noise, ``probe_per_class``). ``indices`` into the source (``None``: all of it).
    ``views``: one augmentation policy per view (``none``, ``weak`` = the data set's crop and flip,
    ``strong`` = weak then RandAugment). ``shuffle``: a new order each time through.
    ``batch_size``: a side stream's own batch size (default: its pass's).
    """

    name: str
    indices: torch.Tensor | None = None
    source: str = "train"
    views: tuple[str, ...] = ("weak",)
    shuffle: bool = True
    batch_size: int | None = None

    def __post_init__(self):
        if self.source not in ("train", "probe"):
            raise ValueError(f"A stream's source is 'train' or 'probe', got '{self.source}'.")
        bad = [v for v in self.views if v not in POLICIES]
        if bad or not self.views:
            raise ValueError(f"Stream '{self.name}' views must be among {', '.join(POLICIES)}, got {self.views}.")


@dataclass(frozen=True)
class Pass:
    """One sweep of an epoch: the batches of ``main``, with each ``side`` stream cycling beside it.

    A batch is ``{"idx", "x", "y"}`` of the main stream (``"views"``: all views when it has more than
    one) and, for each side stream, ``batch[name] = {"idx", "x", "y"[, "views"]}``. ``tag`` tells
    ``training_step`` which pass it is in (``ctx.current_pass.tag``: the network it trains).
    ``batch_size`` defaults to the run's. The last incomplete batch of the main stream is dropped
    when the stream holds more than one batch.
    """

    main: Stream
    side: tuple[Stream, ...] = ()
    batch_size: int | None = None
    tag: str | None = None


DEFAULT_PASS = Pass(Stream("train"))


class ScheduleLike(Protocol):
    def value(self, base: float, epoch: int, epochs: int) -> float: ...


# ----------------------------------------------------------------------------------------------
# The method
# ----------------------------------------------------------------------------------------------

class Method(nn.Module):
    """Base class of every method. Subclasses set ``Config`` (a frozen dataclass of paper defaults).

    State: registered buffers (per-sample soft labels, clean probabilities) and the attributes named
    in ``persistent`` (any picklable value, through ``get_extra_state``) are checkpointed; attributes
    named in ``transient`` are recomputed by the hooks before use (e.g. in ``on_epoch_start``). Any
    other attribute that changes after ``configure`` would be lost on resume, so the engine refuses
    to checkpoint it.

    Outside training a method is known by its class too: its ``summary`` (``lnl run --help``), its
    ``cost`` (campaign estimates) and its ``colour`` (figures), so a new method is its own file, a
    line in :data:`lnl.methods.METHODS` and a test.
    """

    name: str = "method"
    Config: type = type("NoConfig", (), {})
    automatic_optimization: bool = True
    uses_probe: bool = False                 # the default pass cycles the clean probe set beside "train"
    persistent: tuple[str, ...] = ()
    transient: tuple[str, ...] = ()
    reported_output: str | None = None       # which of predict's named outputs is "test_acc"
    detection: str = "loss"                  # the per-sample score whose <name>_auroc is the method's
                                             # clean/noisy split ("loss": the engine's small-loss ranking)
    presets: dict[str, dict[str, Any]] = {}  # named run settings of the paper (RunConfig fields)
    sources: dict[str, Any] = {}             # every Config field's Source (lnl.sources)
    preset_sources: dict[str, Any] = {}      # each preset's: one Source, or one per run setting
    summary: str = ""                        # its line in `lnl run --help` (none: its docstring's first line)
    cost: float = 1.5                        # training FLOPs relative to CE (lnl.campaign.estimate_s); 1.5,
                                             # between one network and two, until the method says its own
    colour: str | None = None                # in every figure (lnl.plot.METHOD_COLOURS); None: a spare one

    def __init__(self, config: Any):
        super().__init__()
        self.config = config

    @classmethod
    def make_config(cls, values: dict[str, Any]) -> Any:
        """The method's config from ``values``: strings from ``--param`` or typed values, converted by
        the ``Config`` field annotations (:func:`lnl.params.make_config`)."""
        return params.make_config(cls.Config, values, owner=cls.name)

    @classmethod
    def help_line(cls) -> str:
        """Its line in ``lnl run --help``: ``summary``, else the first line of its own docstring."""
        return cls.summary or (cls.__doc__ or "").strip().split("\n")[0]

    @classmethod
    def preset_settings(cls, name: str) -> dict[str, Any]:
        """A copy of the run settings of preset ``name`` (RunConfig fields, and the method's own
        under ``method_params``); ``ValueError`` in one sentence naming the presets there are."""
        if name not in cls.presets:
            raise ValueError(f"Method '{cls.name}' has no preset '{name}'; its presets: "
                             f"{', '.join(cls.presets) or 'none'}.")
        return {**cls.presets[name], "method_params": dict(cls.presets[name].get("method_params", {}))}

    def configure(self, ctx: "Context") -> None:
        """Build networks (``ctx.build_model()``) and optimisers (``ctx.optimizer(params)``)."""
        raise NotImplementedError

    def phase(self, ctx: "Context", name: str, value: params.Epochs | None = None) -> int:
        """The config's epoch setting ``name`` (or ``value``, what the config resolved it to) in epochs
        of this run.

        A value the user gave (in ``method_params``) is kept as given (an int counts epochs, a float
        is a share of the run). A default that counts epochs of the paper's schedule (its source's
        ``schedule``, :mod:`lnl.sources`) keeps the paper's share of a shorter run
        (:func:`lnl.sources.paper_share`); the record's ``phases_resolved`` says what it became
        and why."""
        value = getattr(self.config, name) if value is None else value
        source = getattr(self, "sources", {}).get(name)
        given = name in ctx.cfg.method_params
        if given or source is None or source.schedule is None or not isinstance(value, int) \
                or isinstance(value, bool) or ctx.cfg.epochs >= source.schedule:
            return ctx.epochs_of(value)
        epochs = paper_share(value, source.schedule, ctx.cfg.epochs)
        ctx.resolved_phases[name] = {
            "default": value, "paper_schedule": source.schedule, "epochs": epochs,
            "why": f"{value} of the paper's {source.schedule} epochs, kept as the paper's share of this "
                   f"{ctx.cfg.epochs}-epoch run (at least 1); a value given with --param is kept as given"}
        return epochs

    def phases(self, ctx: "Context") -> dict[str, int]:
        """The first epoch (from 1) of each phase of the method, e.g. ``{"label correction (E_s)":
        60}``: the engine reports, on stderr and in the record, any that cannot start in the run."""
        return {}

    def assumptions(self, ctx: "Context") -> dict[str, Any]:
        """What the method took as known that the paper assumes (Co-teaching's noise rate τ), for the
        record's ``assumptions``."""
        return {}

    def on_epoch_start(self, ctx: "Context") -> None:
        """Per-epoch work before the batches: a GMM fit, a kNN index, a co-divide; may set
        ``ctx.passes`` (default: one pass over all training samples)."""

    def training_step(self, batch: dict[str, Any], ctx: "Context") -> dict[str, torch.Tensor]:
        """One batch. Return ``{"loss": ...}`` (plus scalar metrics to log); with
        ``automatic_optimization = False`` step the optimisers yourself (``ctx.step``).

        ``"by_truth": {name: values [B]}`` in the result hands per-sample values of the batch to
        the engine, which knows the true labels: the history gets ``<name>_clean`` and
        ``<name>_noisy``, the epoch means over correctly and wrongly labelled samples (a gradient
        coefficient, MixNN Fig. 7b). For a score of every sample, see ``ctx.log_per_sample``."""
        raise NotImplementedError

    def on_epoch_end(self, ctx: "Context") -> None:
        """Per-epoch work after the batches: EMA or temporal-ensemble targets."""

    def predict(self, x: torch.Tensor) -> torch.Tensor | dict[str, torch.Tensor]:
        """Logits ``[B, C]`` used for evaluation, or named logits (``{"net1", "net2", "ensemble"}``):
        the history then holds ``test_acc_<name>`` for each, and ``test_acc`` is
        ``reported_output``'s (default: the first)."""
        return self.net(x)

    # state beyond buffers -------------------------------------------------------------------------
    def get_extra_state(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.persistent}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        for k, v in (state or {}).items():
            setattr(self, k, v)

    def _mark_configured(self) -> None:
        self._configured = {k: id(v) for k, v in self._plain_attributes().items()}

    def _plain_attributes(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_") and k not in ("training", "config")}

    def undeclared_state(self) -> list[str]:
        """Attributes set or replaced since ``configure`` that neither ``persistent`` nor
        ``transient`` names: state a checkpoint would lose."""
        before = getattr(self, "_configured", {})
        declared = set(self.persistent) | set(self.transient)
        return sorted(k for k, v in self._plain_attributes().items()
                      if k not in declared and before.get(k) != id(v))


# ----------------------------------------------------------------------------------------------
# What the hooks see
# ----------------------------------------------------------------------------------------------

@dataclass
class Scheduled:
    """An optimiser's schedules: ``{hyper: schedule}`` over the values it was built with."""

    name: str
    schedules: dict[str, ScheduleLike]


class Context:
    """The engine's state as a method sees it: no true labels, no files."""

    def __init__(self, cfg: RunConfig, device: torch.device, train: lnl_data.DeviceData,
                 labels: torch.Tensor, num_classes: int, image_shape: tuple[int, int, int],
                 probe: tuple[lnl_data.DeviceData, torch.Tensor] | None):
        self.cfg, self.device, self.data, self.labels = cfg, device, train, labels
        self.num_classes, self.image_shape, self.probe = num_classes, image_shape, probe
        self.num_train = len(labels)
        self.epoch, self.step_count = 0, 0
        self.step_in_epoch, self.steps_in_epoch = 0, 1
        self.step_in_pass, self.steps_in_pass = 0, 1
        self.passes: list[Pass] | None = None        # set in on_epoch_start; None: [DEFAULT_PASS]
        self.current_pass: Pass = DEFAULT_PASS
        self.optimizers: list[torch.optim.Optimizer] = []
        self.optimizer_schedules: list[Scheduled] = []
        self.bf16 = resolve_precision(cfg.precision, device) == "bf16"
        self.logged: dict[str, list[float]] = {}
        self.per_sample: dict[str, tuple[torch.Tensor, float | None]] = {}
        self.label_guesses: dict[str, torch.Tensor] = {}
        self.model_extensions: list = []             # applied to every network build_model returns
        self.resolved_phases: dict[str, dict[str, Any]] = {}   # Method.phase: defaults scaled to the run
        self._cache: dict[tuple[int, int, str], Any] = {}
        self._generators: dict[tuple[str, str, int], Any] = {}

    # building blocks -----------------------------------------------------------------------
    def build_model(self, name: str | None = None) -> nn.Module:
        """A fresh network for this data set, on the device, passed through each of
        ``model_extensions`` (a plug-in such as SANM adds its decoder there, so that the network's
        optimiser and checkpoint hold it)."""
        c, h, _ = self.image_shape
        name = name or self.cfg.model or DEFAULT_MODEL.get(self.cfg.dataset, "resnet20")
        net = build_model(name, num_classes=self.num_classes, in_channels=c, image_size=h).to(self.device)
        for extend in self.model_extensions:
            net = extend(net)
        if self.cfg.channels_last is None:  # auto: on CUDA; elsewhere as the model is built
            return net.to(memory_format=torch.channels_last) if self.device.type == "cuda" else net
        return net.to(memory_format=torch.channels_last if self.cfg.channels_last else torch.contiguous_format)

    def optimizer(self, parameters, *, name: str | None = None,
                  schedules: dict[str, ScheduleLike] | None = None, **overrides) -> torch.optim.Optimizer:
        """The run's optimiser (SGD with momentum, or Adam) with its lr and weight decay.

        ``overrides`` replace ``lr``, ``momentum``, ``betas`` or ``weight_decay`` for this optimiser.
        Every epoch the engine sets its LR from the run's schedule, and each hyper-parameter named in
        ``schedules`` (``lr``, ``beta1``, ``momentum``, ``weight_decay``) from its own schedule
        (:class:`~lnl.engine.Schedule`, :class:`~lnl.engine.Piecewise`), starting from the value it
        was built with; those are logged as ``<hyper>_<name>`` (``name`` default ``opt<i>``).
        """
        lr, wd = overrides.get("lr", self.cfg.lr), overrides.get("weight_decay", self.cfg.weight_decay)
        if self.cfg.optimizer == "adam":
            opt: torch.optim.Optimizer = torch.optim.Adam(parameters, lr=lr, weight_decay=wd,
                                                          betas=overrides.get("betas", (0.9, 0.999)))
        else:
            opt = torch.optim.SGD(parameters, lr=lr, momentum=overrides.get("momentum", self.cfg.momentum),
                                  weight_decay=wd)
        schedules = dict(schedules or {})
        foreign = {"adam": "momentum", "sgd": "beta1"}[self.cfg.optimizer]
        bad = [h for h in schedules if h not in HYPERS or h == foreign]
        if bad:
            raise ValueError(f"Cannot schedule {', '.join(bad)} of a {self.cfg.optimizer} optimiser; "
                             f"schedulable: lr, weight_decay, momentum (sgd), beta1 (adam).")
        for g in opt.param_groups:
            g["base_lr"] = g["lr"]
            g["base"] = {"lr": g["lr"], "weight_decay": g["weight_decay"], "momentum": g.get("momentum"),
                         "beta1": g["betas"][0] if "betas" in g else None}
        self.optimizers.append(opt)
        self.optimizer_schedules.append(Scheduled(name or f"opt{len(self.optimizers) - 1}", schedules))
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

    @property
    def progress(self) -> float:
        """The fractional epoch, ``epoch + step / steps in the epoch`` (0-based): for ramp-ups."""
        return self.epoch + self.step_in_epoch / max(1, self.steps_in_epoch)

    @property
    def pass_progress(self) -> float:
        """``epoch + step / steps in the current pass``: each pass of an epoch runs from ``epoch`` to
        ``epoch + 1`` (DivideMix's per-network ramp-up of λ_u)."""
        return self.epoch + self.step_in_pass / max(1, self.steps_in_pass)

    def epochs_of(self, value: params.Epochs) -> int:
        """A method's epoch setting in epochs: an int counts epochs, a float in [0, 1] is that
        fraction of the run (:func:`lnl.params.epochs_of`)."""
        return params.epochs_of(value, self.cfg.epochs)

    def autocast(self):
        """bf16 autocast when the run uses it, else a no-op context. The engine runs every
        ``training_step`` inside it, whoever steps the optimisers."""
        if self.bf16:
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def step(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        """zero_grad, backward (outside autocast), step: for methods that optimise by hand."""
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(self.device.type, enabled=False) if self.bf16 else contextlib.nullcontext():
            loss.backward()
        optimizer.step()

    def log(self, **metrics: float | torch.Tensor) -> None:
        """Record per-epoch values (averaged over the calls within an epoch) into the history."""
        for k, v in metrics.items():
            self.logged.setdefault(k, []).append(float(v))

    def log_per_sample(self, name: str, values: torch.Tensor, threshold: float | None = 0.5) -> None:
        """A score ``[N]`` for every training sample, higher = more likely clean (a clean probability,
        a selection mask, minus a loss). The engine, which knows the truth, adds to the history
        ``<name>_clean`` and ``<name>_noisy`` (the means over correctly and wrongly labelled samples),
        ``<name>_auroc``, and with a ``threshold`` the ``<name>_precision`` and ``<name>_recall`` of
        the selection ``values > threshold`` (:func:`lnl.gmm.detection_metrics`). The last call of an
        epoch counts."""
        values = torch.as_tensor(values).detach().flatten()
        if len(values) != self.num_train:
            raise ValueError(f"log_per_sample('{name}') needs one value per training sample "
                             f"({self.num_train}), got {len(values)}.")
        self.per_sample[name] = (values.float(), threshold)

    def log_labels(self, name: str, labels: torch.Tensor) -> None:
        """A label guess ``[N]`` for every training sample (a pseudo label's arg-max, a refined
        target's). The engine adds ``<name>_acc_clean`` and ``<name>_acc_noisy``: the share of the
        correctly and of the wrongly labelled samples whose guess is the true label (on the
        mislabelled ones, how many labels the guesses repair). The last call of an epoch counts."""
        labels = torch.as_tensor(labels).detach().flatten()
        if len(labels) != self.num_train:
            raise ValueError(f"log_labels('{name}') needs one label per training sample "
                             f"({self.num_train}), got {len(labels)}.")
        self.label_guesses[name] = labels.long()

    # whole-training-set passes (eval mode, no augmentation), cached until the next step -----
    def train_logits(self, net: nn.Module) -> torch.Tensor:
        """``[N, C]`` float32 logits of ``net`` on every training image, in eval mode without augmentation."""
        return self._whole_set(net, "logits")

    def train_features(self, net: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        """``(logits [N, C], embedding [N, D])`` on every training image (kNN, t-SNE)."""
        return self._whole_set(net, "features")

    def _whole_set(self, net: nn.Module, what: str):
        from lnl.engine.diagnostics import evaluate_outputs

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


@contextlib.contextmanager
def eval_mode(module: nn.Module):
    was = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was)


def functional_forward(net: nn.Module, parameters: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """``net(x)`` with ``parameters`` in place of its own, for meta steps (IEG's look-ahead).

    Buffers are passed as copies so that a train-mode BatchNorm in the virtual step does not
    update the real running statistics.
    """
    buffers = {k: v.clone() for k, v in net.named_buffers()}
    return torch.func.functional_call(net, {**parameters, **buffers}, (x,))


def config_dict(config: Any) -> dict[str, Any]:
    """A method config as the JSON-able dict a record stores."""
    return dataclasses.asdict(config) if dataclasses.is_dataclass(config) else {}
