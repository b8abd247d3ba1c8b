"""Data preparation: load, subset, hold out the probe set, draw the noise, and put it all on the
device with the configured method. Everything before epoch 1.

The engine knows no method by name: :func:`setup` is handed the registry (``{name: Method
class}``) by its caller, :mod:`lnl.runner` for the library's methods."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np
import torch

from lnl import data as lnl_data
from lnl import noise
from lnl.engine.api import Context, Method
from lnl.engine.config import RunConfig, check_per_class, fold_of, resolve_device, validate
from lnl.rng import derive_seed, numpy_generator


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
    """Load the data, take the profile's subset, hold out the probe set, then draw the noise; a
    cross-validation run (``cfg.fold``) then keeps the other folds and tests on its own."""
    validate(cfg)
    prep = _prepare(cfg, dataset)
    fold = fold_of(cfg)
    return prep if fold is None else _fold(prep, *fold, cfg.seed)


def _prepare(cfg: RunConfig, dataset: lnl_data.Dataset | None = None) -> Prepared:
    ds = dataset or lnl_data.load(cfg.dataset, root=cfg.root, image_size=cfg.image_size, labels=cfg.labels,
                                  holdout=cfg.holdout)
    check_per_class(cfg, *lnl_data.smallest_class(ds))  # image folders are counted only now
    ds = ds.subset(cfg.train_per_class, cfg.test_per_class)
    y = ds.train.labels.numpy()
    train_idx = np.arange(len(y))
    probe_idx = None
    if cfg.trusted is not None:  # your trusted labels are the probe: its images, with the trusted labels
        probe_idx, probe_y = lnl_data.read_trusted(cfg.trusted, ds.train_paths, ds.classes)
        if len(probe_idx) == len(y):
            raise lnl_data.OwnDataError(f"{cfg.trusted} lists every training image; the probe set leaves "
                                        "none to train on.")
        y = y.copy()
        y[probe_idx] = probe_y
        ds = replace(ds, train=lnl_data.ImageSet(ds.train.images, torch.as_tensor(y)))
        order = np.argsort(probe_idx)
        probe_idx = probe_idx[order]
        train_idx = np.setdiff1d(train_idx, probe_idx)
    elif cfg.probe_per_class > 0:  # clean and class-balanced, held out before noise (IEG)
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


def fold_split(labels: np.ndarray, k: int, folds: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions (into ``labels`` ``[N]``, the given training labels) trained on and held out by fold
    ``k`` of ``folds`` (1-based): stratified by given label and shuffled with ``seed``, as cleanlab's
    cross-validation draws them; the ``folds`` held-out sets partition the N samples."""
    from sklearn.model_selection import StratifiedKFold

    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    keep, held = list(split.split(np.zeros(len(labels)), labels))[k - 1]
    return keep, held


def _fold(prep: Prepared, k: int, folds: int, seed: int) -> Prepared:
    """``prep`` of a cross-validation run: train on all but fold ``k``; its test set is fold ``k``'s
    images with their *given* labels, so that the trained network predicts them out of sample (its
    test accuracy is its agreement with the given labels there)."""
    keep, held = fold_split(prep.labels, k, folds, seed)
    ds = prep.dataset
    test = lnl_data.ImageSet(ds.train.images[prep.train_idx[held]], torch.as_tensor(prep.labels[held]))
    return Prepared(replace(ds, test=test), prep.labels[keep], None if prep.true is None else prep.true[keep],
                    prep.noise, prep.probe_idx, prep.train_idx[keep])


@dataclass
class Setup:
    """A run ready for epoch 1: prepared data on the device, the context and the configured method."""

    cfg: RunConfig
    prep: Prepared
    device: torch.device
    train: lnl_data.DeviceData
    test: lnl_data.DeviceData
    test_labels: torch.Tensor
    given: torch.Tensor
    true: torch.Tensor | None          # the engine's alone: never handed to the method
    channels_last: bool
    ctx: Context
    method: Method
    method_config: Any
    last_scores: dict[str, torch.Tensor] = field(default_factory=dict)   # each per-sample score's latest


def setup(cfg: RunConfig, methods: Mapping[str, type[Method]], dataset: lnl_data.Dataset | None = None) -> Setup:
    """Data on the device, the context and the configured method: ``methods[cfg.method]``, from
    the caller's registry of methods by name (:data:`lnl.methods.METHODS`, through :mod:`lnl.runner`)."""
    validate(cfg, methods)
    device = resolve_device(cfg.device)  # an absent CUDA or MPS device, before any data loads
    prep = prepare(cfg, dataset)
    ds = prep.dataset
    method_cls = methods[cfg.method]
    mcfg = method_cls.make_config(cfg.method_params)
    torch.manual_seed(derive_seed(cfg.seed, "init"))
    cl = cfg.channels_last if cfg.channels_last is not None else device.type == "cuda"
    augment = ds.augment if cfg.augment else ()
    train = lnl_data.DeviceData(ds.train.images[prep.train_idx], ds.mean, ds.std, device=device,
                                augment=augment, channels_last=cl)
    test = lnl_data.DeviceData(ds.test.images, ds.mean, ds.std, device=device, augment=(), channels_last=cl)
    given = torch.tensor(prep.labels, device=device)
    true = torch.tensor(prep.true, device=device) if prep.true is not None else None
    probe = None
    if prep.probe_idx is not None:
        probe = (lnl_data.DeviceData(ds.train.images[prep.probe_idx], ds.mean, ds.std, device=device,
                                     augment=augment, channels_last=cl),
                 ds.train.labels[prep.probe_idx].to(device))
    ctx = Context(cfg, device, train, given, ds.num_classes, ds.image_shape, probe)
    method = method_cls(mcfg).to(device)
    method.configure(ctx)
    method.to(device)
    method._mark_configured()
    return Setup(cfg, prep, device, train, test, ds.test.labels.to(device), given, true, cl, ctx, method, mcfg)
