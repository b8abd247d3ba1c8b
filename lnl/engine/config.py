"""What decides a run: the run's configuration, its LR schedule, and the device it resolves to.

A :class:`RunConfig` is data: it is hashed into the run id, stored in the record, and turned back
into the same object by :meth:`RunConfig.from_dict`. Everything a method adds lives in its own
``Config`` dataclass (``method_params``), parsed by :mod:`lnl.params`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import torch

from lnl import data as lnl_data
from lnl import noise
from lnl.sources import ours

PRECISIONS = ("auto", "fp32", "bf16")
OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "multistep", "cosine", "cosine-restarts", "linear")
DEVICES = ("auto", "cpu", "cuda", "mps")
NOISE_KINDS = ("none",) + tuple(noise.KINDS)
DEFAULT_MODEL = {"digits": "mlp", "fashion_mnist": "cnn"}  # CIFAR and image folders: resnet20


@dataclass(frozen=True)
class Schedule:
    """A hyper-parameter (the LR unless said otherwise) as a function of the epoch: declared data,
    logged every epoch.

    ``constant``; ``multistep``: ×``gamma`` at each of ``milestones``; ``cosine``: from the base
    value to ``eta_min`` over the run; ``cosine-restarts``: SGDR (Loshchilov & Hutter, 2017) with
    period ``t0`` epochs, each period ``t_mult`` times longer (MixNN's code: t0 = 10, t_mult = 1);
    ``linear``: constant until epoch ``milestones[0]`` (0 without one), then linearly down to reach
    ``eta_min`` one epoch after the last (Co-teaching's code: ``(n − e) / (n − e_decay) · lr``).
    ``warmup`` epochs of linear ramp-up come first in every kind.
    """

    kind: str = "cosine"
    milestones: tuple[int, ...] = ()
    gamma: float = 0.1
    eta_min: float = 0.0
    t0: int = 10
    t_mult: int = 1
    warmup: int = 0

    def value(self, base: float, epoch: int, epochs: int) -> float:
        """The value for 0-based ``epoch`` of ``epochs``, starting from ``base``."""
        if epoch < self.warmup:
            return base * (epoch + 1) / (self.warmup + 1)
        if self.kind == "constant":
            return base
        if self.kind == "multistep":
            return base * self.gamma ** sum(epoch >= m for m in self.milestones)
        if self.kind == "linear":
            start = max(self.milestones[0] if self.milestones else 0, self.warmup)
            if epoch < start:
                return base
            return self.eta_min + (base - self.eta_min) * (epochs - epoch) / max(1, epochs - start)
        if self.kind == "cosine":
            t, span = epoch - self.warmup, max(1, epochs - self.warmup)
            return self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * t / span)) / 2
        t, period = epoch - self.warmup, self.t0
        while t >= period:
            t, period = t - period, period * self.t_mult
        return self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * t / period)) / 2

    def lr(self, base_lr: float, epoch: int, epochs: int) -> float:
        """The LR for 0-based ``epoch`` of ``epochs`` (:meth:`value` of the LR)."""
        return self.value(base_lr, epoch, epochs)


@dataclass(frozen=True)
class Piecewise:
    """A hyper-parameter that takes ``values[k]`` from epoch ``milestones[k-1]`` (0-based) on:
    ``Piecewise((80,), (0.9, 0.1))`` is Co-teaching's Adam β₁, 0.9 and then 0.1 from epoch 80."""

    milestones: tuple[int, ...]
    values: tuple[float, ...]

    def __post_init__(self):
        if len(self.values) != len(self.milestones) + 1 or list(self.milestones) != sorted(self.milestones):
            raise ValueError("A piecewise schedule needs sorted milestones and one value more than milestones.")

    def value(self, base: float, epoch: int, epochs: int) -> float:
        return self.values[sum(epoch >= m for m in self.milestones)]


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides a run, except the method's own settings (``method_params``).

    Fields that only change how a run executes, not what it computes (``out``, ``resume``,
    ``stop_after``, ``progress``), are not part of it; see :func:`lnl.engine.run`.
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
    precision: str = "auto"                  # auto: bf16 on GPUs that compute it natively, else fp32
    channels_last: bool | None = None        # auto: on CUDA (CPU: as each model is built)
    train_per_class: int | None = None       # small profiles: the first n training images per class
    test_per_class: int | None = None
    probe_per_class: int = 0                 # clean probe set held out before noise (IEG: 10 per class)
    root: str | None = None                  # imagefolder only
    image_size: int = 32                     # imagefolder only
    labels: str | None = None                # imagefolder only: a CSV of path,label rows (paths under root)
    holdout: float = 0.0                     # imagefolder without a test split: the share held out to test
    trusted: str | None = None               # imagefolder only: a CSV of trusted path,label rows, IEG's probe
    fold: str | None = None                  # "k/K": train on all but fold k of K, test on fold k's given labels
                                             # (cross-validation: out-of-sample probabilities, lnl.detect)
    augment: bool = True                     # the data set's training augmentation (CIFAR: crop + flip;
                                             # Fashion-MNIST and digits have none)
    diagnostics: bool = True                 # true-label diagnostics on the training set every epoch
    method_params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Every field, but those added after records existed only where they differ from their
        defaults (:data:`LATER_FIELDS`): :func:`run_id` hashes this, so earlier runs keep their ids."""
        d = dataclasses.asdict(self)
        for name, default in LATER_FIELDS.items():
            if d[name] == default:
                del d[name]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunConfig":
        """The inverse of :meth:`to_dict`, also for the JSON form a record stores."""
        sched = dict(d.get("schedule") or {})
        sched["milestones"] = tuple(sched.get("milestones", ()))
        return cls(**{**d, "schedule": Schedule(**sched), "method_params": dict(d.get("method_params") or {})})


# RunConfig fields added later: in to_dict only when set, so that earlier runs keep their ids
LATER_FIELDS = {"labels": None, "holdout": 0.0, "trusted": None, "fold": None}

# Where the run defaults come from (``lnl defaults``): every method's preset replaces them with the
# paper's; without one they are ours, chosen for short runs on a CPU.
RUN_SOURCES = {
    "model": ours("the smallest network that learns each data set in a cpu budget: mlp on digits, cnn on "
                  "Fashion-MNIST, resnet20 on CIFAR and image folders (DEFAULT_MODEL)"),
    "epochs": ours("a first run on a CPU; every preset and every page plan sets its own"),
    "batch_size": ours("128, the batch of most of the book's baselines' code (Co-teaching, ELR)"),
    "optimizer": ours("SGD with momentum, the optimiser of every paper in the book but Co-teaching's"),
    "lr": ours("0.02, the LR of DivideMix's, ELR's and MixNN's CIFAR code; stable on every model here"),
    "momentum": ours("0.9, the momentum of every paper in the book that uses SGD"),
    "weight_decay": ours("5e-4, DivideMix's and SANM's CIFAR setting"),
    "schedule": ours("cosine to 0 over the run: no milestone to move when the run length changes"),
    "augment": ours("each data set's usual training augmentation (CIFAR: crop 4 + flip; none for "
                    "Fashion-MNIST and digits)"),
}


def config_json(cfg: RunConfig) -> dict[str, Any]:
    """``cfg`` as the JSON object a record and a checkpoint store (tuples become lists)."""
    return json.loads(json.dumps(cfg.to_dict(), default=str))


def run_id(cfg: RunConfig) -> str:
    """``<method>-<dataset>-<noise><rate>-s<seed>-<hash>``; the hash covers the whole config."""
    digest = hashlib.sha256(json.dumps(cfg.to_dict(), sort_keys=True, default=str).encode()).hexdigest()[:8]
    rate = "" if cfg.noise in ("none", "human") else f"{cfg.rate:g}"
    kind = (cfg.label_set or lnl_data.HUMAN_LABEL_SETS[cfg.dataset][0]) if cfg.noise == "human" else cfg.noise
    return f"{cfg.method}-{cfg.dataset}-{kind}{rate}-s{cfg.seed}-{digest}"


def validate(cfg: RunConfig, methods: Mapping[str, type] | None = None) -> None:
    """Raise ``ValueError`` with one sentence for the first invalid setting.

    ``methods``: the methods by name (the caller's registry, :data:`lnl.methods.METHODS` through
    :mod:`lnl.runner`); with it ``cfg.method`` must name one, and the method's own settings
    (``method_params``) and needs (a probe set) are checked too. Without it, the run's settings
    alone (the data, the noise, the schedule), as :func:`lnl.engine.prepare` needs them."""

    def choose(what: str, value: Any, valid) -> None:
        if value not in valid:
            raise ValueError(f"Unknown {what} '{value}'; choose one of: {', '.join(map(str, valid))}.")

    def at_least(flag: str, value: Any, low: float, *, integer: bool = True, optional: bool = False) -> None:
        if optional and value is None:
            return
        kind = int if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind) or not math.isfinite(value) or value < low:
            what = "an integer" if integer else "a number"
            raise ValueError(f"{flag} must be {what} of at least {low:g}, got {value!r}.")

    if methods is not None:
        choose("method", cfg.method, methods)
    choose("data set", cfg.dataset, lnl_data.DATASETS)
    choose("noise kind", cfg.noise, NOISE_KINDS)
    _check_labels(cfg, choose)
    choose("noise sampling", cfg.sampling, noise.SAMPLING)
    choose("device", cfg.device, DEVICES)
    choose("precision", cfg.precision, PRECISIONS)
    choose("optimiser", cfg.optimizer, OPTIMIZERS)
    choose("LR schedule", cfg.schedule.kind, SCHEDULES)
    if isinstance(cfg.rate, bool) or not (isinstance(cfg.rate, (int, float)) and 0.0 <= cfg.rate <= 1.0):
        raise ValueError(f"The noise rate must be within [0, 1], got {cfg.rate}.")
    at_least("--epochs", cfg.epochs, 1)
    at_least("--batch-size", cfg.batch_size, 1)
    at_least("--seed", cfg.seed, 0)
    at_least("--train-per-class", cfg.train_per_class, 1, optional=True)
    at_least("--test-per-class", cfg.test_per_class, 1, optional=True)
    at_least("--probe-per-class", cfg.probe_per_class, 0)
    at_least("--image-size", cfg.image_size, 8)
    at_least("--momentum", cfg.momentum, 0, integer=False)
    at_least("--weight-decay", cfg.weight_decay, 0, integer=False)
    at_least("--warmup", cfg.schedule.warmup, 0)
    at_least("--eta-min", cfg.schedule.eta_min, 0, integer=False)
    at_least("--gamma", cfg.schedule.gamma, 0, integer=False)
    at_least("--t0", cfg.schedule.t0, 1)
    at_least("--t-mult", cfg.schedule.t_mult, 1)
    for m in cfg.schedule.milestones:
        at_least("Every milestone", m, 0)
    if isinstance(cfg.lr, bool) or not isinstance(cfg.lr, (int, float)) or not cfg.lr > 0 or not math.isfinite(cfg.lr):
        raise ValueError(f"The learning rate must be positive, got {cfg.lr}.")
    if cfg.schedule.eta_min > cfg.lr:
        raise ValueError(f"--eta-min ({cfg.schedule.eta_min:g}) must not exceed the learning rate ({cfg.lr:g}).")
    if cfg.momentum >= 1:
        raise ValueError(f"--momentum must be below 1, got {cfg.momentum:g}.")
    _check_schedule(cfg)
    _check_source(cfg)
    fold_of(cfg)
    if cfg.dataset in lnl_data.SMALLEST_CLASS:  # image folders: counted once loaded (lnl.engine.prepare)
        check_per_class(cfg, *lnl_data.SMALLEST_CLASS[cfg.dataset])
    if methods is None:
        return
    if cfg.trusted is not None and not methods[cfg.method].uses_probe:
        raise ValueError(f"--trusted gives a probe set to a method that trains on one (ieg); '{cfg.method}' "
                         "uses none (lnl detect takes --trusted as the truth to score against).")
    if cfg.trusted is not None and cfg.probe_per_class > 0:
        raise ValueError("--trusted is the probe set; give it or --probe-per-class, not both.")
    if methods[cfg.method].uses_probe and cfg.probe_per_class == 0 and cfg.trusted is None:
        raise ValueError(f"Method '{cfg.method}' needs a clean probe set; set --probe-per-class above 0 "
                         "(IEG's paper: 10), or give your trusted labels with --trusted FILE.csv.")
    methods[cfg.method].make_config(cfg.method_params)  # raises on unknown or ill-typed parameters


def fold_of(cfg: RunConfig) -> tuple[int, int] | None:
    """``(k, K)`` of a cross-validation run (``cfg.fold`` = ``"k/K"``, 1 ≤ k ≤ K, K ≥ 2), else None."""
    if cfg.fold is None:
        return None
    parts = str(cfg.fold).split("/")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts) or not 1 <= int(parts[0]) <= int(parts[1]) \
            or int(parts[1]) < 2:
        raise ValueError(f"A fold is k/K with K at least 2 and k from 1 to K (e.g. 1/5), got '{cfg.fold}'.")
    return int(parts[0]), int(parts[1])


def _epochs(n: int) -> str:
    return f"{n} epoch{'' if n == 1 else 's'}"


def _check_labels(cfg: RunConfig, choose) -> None:
    """The labels a run trains on: a CIFAR-N data set means its human labels, and only it has label sets."""
    human = lnl_data.HUMAN_LABEL_SETS
    if cfg.label_set is not None:
        if cfg.dataset not in human:
            raise ValueError(f"--label-set chooses a human label set of {' or '.join(human)}; data set "
                             f"'{cfg.dataset}' has none.")
        choose(f"{cfg.dataset} label set", cfg.label_set, human[cfg.dataset])
    if cfg.noise == "human" and cfg.dataset not in human:
        raise ValueError(f"Human noise needs a data set with human labels: {', '.join(human)}.")
    if cfg.dataset in human and cfg.noise != "human":
        raise ValueError(f"Data set '{cfg.dataset}' means its human labels: pass --noise human (label sets "
                         f"{', '.join(human[cfg.dataset])}; default {human[cfg.dataset][0]}), or use --dataset "
                         f"{cfg.dataset[:-1]} for clean labels or synthetic noise.")


def _check_schedule(cfg: RunConfig) -> None:
    """Settings of the LR schedule that its kind or the run's length would ignore."""
    s = cfg.schedule
    if s.kind == "multistep" and not s.milestones:
        raise ValueError("--schedule multistep needs --milestones, the epochs at which the LR is multiplied "
                         "by --gamma.")
    if s.milestones and s.kind not in ("multistep", "linear"):
        raise ValueError(f"--milestones are for --schedule multistep or linear; the {s.kind} schedule has none.")
    if s.warmup >= cfg.epochs:
        raise ValueError(f"--warmup ({_epochs(s.warmup)}) must be shorter than the run ({_epochs(cfg.epochs)}), "
                         "or the LR never reaches --lr.")


def _check_source(cfg: RunConfig) -> None:
    """``root``, ``image_size``, ``labels``, ``holdout`` and ``trusted`` belong to image folders; the named data
    sets are found by name."""
    if cfg.dataset == "imagefolder":
        if cfg.root is None:
            raise ValueError("The imagefolder data set needs --root, the folder holding your images.")
        if not 0.0 <= cfg.holdout < 1.0:
            raise ValueError(f"--holdout must be a share in [0, 1), got {cfg.holdout}.")
        return
    if cfg.root is not None:
        raise ValueError(f"--root is for --dataset imagefolder; data set '{cfg.dataset}' is found by its name "
                         "(see `lnl data`).")
    for flag, value, default in (("--labels", cfg.labels, None), ("--holdout", cfg.holdout, 0.0),
                                 ("--trusted", cfg.trusted, None)):
        if value != default:
            raise ValueError(f"{flag} is for --dataset imagefolder; data set '{cfg.dataset}' has its own labels "
                             "and test split.")
    if cfg.image_size != RunConfig.image_size:
        raise ValueError(f"--image-size is for --dataset imagefolder; data set '{cfg.dataset}' keeps its own "
                         "image size.")


def check_per_class(cfg: RunConfig, train_most: int, test_most: int) -> None:
    """Raise ``ValueError`` in one sentence when ``cfg`` asks each class for more images than the
    data set's smallest class holds: ``train_most`` training and ``test_most`` test images
    (:data:`lnl.data.SMALLEST_CLASS`, or :func:`lnl.data.smallest_class` of the loaded set). The
    probe is held out of the training images and leaves each class at least one."""
    name = cfg.dataset
    for flag, n, most, split in (("--train-per-class", cfg.train_per_class, train_most, "training"),
                                 ("--test-per-class", cfg.test_per_class, test_most, "test")):
        if n is not None and n > most:
            raise ValueError(f"{flag} can be at most {most}, the {split} images of the smallest class of "
                             f"{name}, got {n}.")
    if cfg.probe_per_class > 0:
        most = min(train_most, cfg.train_per_class or train_most) - 1
        if cfg.probe_per_class > most:
            held = f"--train-per-class {cfg.train_per_class}" if cfg.train_per_class else "its smallest class"
            raise ValueError(f"--probe-per-class can be at most {most}, so that each class of {name} keeps a "
                             f"training image beside its probe ({held}: {most + 1} images), got "
                             f"{cfg.probe_per_class}.")


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
    """``auto``: bf16 autocast on a CUDA GPU that computes in bf16 natively (compute capability 8.0
    and later: A100, H100, most current cards), fp32 elsewhere. Older GPUs, the T4 of free Colab
    among them, would emulate bf16 far slower than fp32, and fp16 would need loss scaling that bf16
    does not: their runs keep the arithmetic of the CPU's."""
    if name != "auto":
        return name
    if device.type != "cuda":
        return "fp32"
    return "bf16" if torch.cuda.get_device_capability(device) >= (8, 0) else "fp32"
