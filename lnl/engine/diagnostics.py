"""Evaluation, and the diagnostics that need the true labels: the engine's alone.

Methods hand the engine per-sample values (``by_truth`` in a step's result, ``ctx.log_per_sample``
from any hook); only here are they split by the truth, so that every method's clean/noisy split is
measured the same way.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import torch

from lnl import data as lnl_data
from lnl import gmm


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


@torch.no_grad()
def evaluate_named(predict: Callable, data: lnl_data.DeviceData, batch_size: int, autocast
                   ) -> dict[str, torch.Tensor] | torch.Tensor:
    """``predict`` on all of ``data``: logits ``[N, C]``, or ``{name: logits [N, C]}`` when it
    returns named outputs."""
    parts: list[Any] = []
    for idx in data.batches(batch_size):
        with autocast():
            parts.append(predict(data.batch(idx)))
    if isinstance(parts[0], dict):
        return {k: torch.cat([p[k].float() for p in parts]) for k in parts[0]}
    return torch.cat([p.float() for p in parts])


def score_outputs(outputs: dict[str, torch.Tensor] | torch.Tensor, labels: torch.Tensor,
                 reported: str | None) -> tuple[torch.Tensor, dict[str, float]]:
    """The reported logits and ``test_acc``/``test_loss`` (plus ``test_acc_<name>`` for each of
    several named outputs)."""
    out: dict[str, float] = {}
    if isinstance(outputs, dict):
        name = reported or next(iter(outputs))
        if name not in outputs:
            raise ValueError(f"predict returned {', '.join(outputs)}, not the reported output '{name}'.")
        for k, v in outputs.items():
            out[f"test_acc_{k}"] = float((v.argmax(1) == labels).float().mean())
        logits = outputs[name]
    else:
        logits = outputs
    out = {"test_acc": float((logits.argmax(1) == labels).float().mean()),
           "test_loss": float(gmm.per_sample_loss(logits, labels).mean()), **out}
    return logits, out


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
    out = {
        "train_acc": float((pred == given).float().mean()),
        "clean_acc": _mean(pred == given, clean),
        "noisy_acc_given": _mean(pred == given, noisy),
        "noisy_acc_true": _mean(pred == true, noisy),
        "loss_clean": _mean(loss, clean), "loss_noisy": _mean(loss, noisy),
        "grad_clean": _mean(1 - p_given, clean), "grad_noisy": _mean(1 - p_given, noisy),
    }
    auroc = gmm.detection_metrics(-loss.cpu().numpy(), clean.cpu().numpy())["auroc"]
    out["loss_auroc"] = _finite(auroc)
    return out


def per_sample_scores(name: str, values: torch.Tensor, given: torch.Tensor, true: torch.Tensor,
                      threshold: float | None) -> dict[str, float | None]:
    """``ctx.log_per_sample``'s entries: the clean and noisy means of a score ``[N]``, its AUROC as
    a clean detector and, with a ``threshold``, the precision and recall of ``values > threshold``."""
    clean = (given == true)
    m = gmm.detection_metrics(values.cpu().numpy(), clean.cpu().numpy(),
                              threshold=0.5 if threshold is None else threshold)
    out = {f"{name}_clean": _mean(values, clean), f"{name}_noisy": _mean(values, ~clean),
           f"{name}_auroc": _finite(m["auroc"])}
    if threshold is not None:
        out.update({f"{name}_precision": _finite(m["precision"]), f"{name}_recall": _finite(m["recall"])})
    return out


def label_guess_scores(name: str, labels: torch.Tensor, given: torch.Tensor,
                       true: torch.Tensor) -> dict[str, float | None]:
    """``ctx.log_labels``'s entries: the accuracy of a label guess ``[N]`` against the truth, over
    the correctly (``<name>_acc_clean``) and the wrongly (``<name>_acc_noisy``) labelled samples."""
    clean, right = (given == true), (labels == true).float()
    return {f"{name}_acc_clean": _mean(right, clean), f"{name}_acc_noisy": _mean(right, ~clean)}


class TruthSplit:
    """Epoch means of per-batch values (``by_truth``) over clean and over mislabelled samples,
    accumulated as tensors (no device sync per step)."""

    def __init__(self, given: torch.Tensor, true: torch.Tensor | None):
        self.given, self.true = given, true
        self.sums: dict[str, list] = {}

    def add(self, idx: torch.Tensor, values: dict[str, torch.Tensor]) -> None:
        if self.true is None:
            return
        noisy = self.given[idx] != self.true[idx]
        for k, v in values.items():
            v = v.detach().float()
            for group, mask in (("clean", ~noisy), ("noisy", noisy)):
                s_n = self.sums.setdefault(f"{k}_{group}", [0.0, 0])
                s_n[0] = s_n[0] + v[mask].sum()
                s_n[1] = s_n[1] + mask.sum()

    def means(self) -> dict[str, float | None]:
        return {k: (float(total) / int(n) if int(n) else None) for k, (total, n) in self.sums.items()}


def summarise(history: list[dict[str, Any]]) -> dict[str, Any]:
    """Best, last and mean-of-last-10 test accuracy (never only the best)."""
    acc = [h["test_acc"] for h in history]
    best = int(np.argmax(acc))
    return {"test_acc_best": acc[best], "best_epoch": history[best]["epoch"], "test_acc_last": acc[-1],
            "test_acc_last10": float(np.mean(acc[-10:])), "epochs_completed": len(acc)}


def _mean(x: torch.Tensor, mask: torch.Tensor) -> float | None:   # None (JSON null) for an empty group
    return float(x[mask].float().mean()) if mask.any() else None


def _finite(x: float) -> float | None:
    return None if math.isnan(x) else float(x)
