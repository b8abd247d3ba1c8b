"""Losses that two or more methods share. All take logits; names say what a tensor holds."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def one_hot(labels: Tensor, num_classes: int) -> Tensor:
    """``labels [B]`` int64 -> ``[B, C]`` float32 one-hot targets."""
    return F.one_hot(labels, num_classes).to(torch.float32)


def at_least_float32(x: Tensor) -> Tensor:
    """``x`` in float32, or as it is when it is already float64 (gradient checks run in float64)."""
    return x if x.dtype == torch.float64 else x.float()


def soft_cross_entropy(logits: Tensor, targets: Tensor, reduction: str = "mean") -> Tensor:
    """Cross-entropy against soft targets: ``-Σ_c t_c log softmax(z)_c``.

    Parameters
    ----------
    logits : ``[B, C]`` logits z.
    targets : ``[B, C]`` probabilities t (rows sum to 1).
    reduction : ``"mean"`` over the batch, ``"sum"``, or ``"none"`` for the ``[B]`` per-sample losses.
    """
    per_sample = -(targets * F.log_softmax(at_least_float32(logits), dim=1)).sum(dim=1)
    if reduction == "none":
        return per_sample
    return per_sample.sum() if reduction == "sum" else per_sample.mean()


def mix(a: Tensor, b: Tensor, lam: Tensor | float) -> Tensor:
    """``λ a + (1 − λ) b`` with ``λ`` a scalar or one value per sample (broadcast over trailing dims)."""
    if isinstance(lam, Tensor) and lam.dim() == 1:
        lam = lam.view(-1, *([1] * (a.dim() - 1)))
    return lam * a + (1 - lam) * b


def temporal_ensemble(t: Tensor, p: Tensor, alpha: float) -> Tensor:
    """``α t + (1 − α) p``: a running average of predictions ``p`` as targets ``t`` (both ``[B, C]``
    probabilities; MixNN's eq. 14, ALR's refinement)."""
    return alpha * t + (1 - alpha) * p


def entropy(p: Tensor) -> Tensor:
    """Entropy in nats of each row of probabilities ``p [B, C]`` -> ``[B]`` (0 log 0 = 0)."""
    return -(p * p.clamp_min(1e-12).log()).sum(dim=1)
