"""Co-refinement, co-guessing and MixMatch (eq. 3-12): one small function per equation, and the
total loss of the semi-supervised step."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from lnl.methods.dividemix.config import DivideMixConfig


def sharpen(p: Tensor, T: float) -> Tensor:
    """Sharpen(p, T)_c = p_c^{1/T} / Σ_k p_k^{1/T} (eq. 4), rows of ``p [B, C]``."""
    q = p ** (1 / T)
    return q / q.sum(dim=1, keepdim=True)


def co_refine(y: Tensor, w: Tensor, p_views: list[Tensor], T: float) -> Tensor:
    """Eq. (3)-(4): ŷ = Sharpen(w y + (1 − w) mean_m p_θ(x̂_m), T). ``y [B, C]`` one-hot, ``w [B]``."""
    p = torch.stack(p_views).mean(0)
    return sharpen(w[:, None] * y + (1 - w[:, None]) * p, T)


def co_guess(p_views: list[Tensor], p_peer_views: list[Tensor], T: float) -> Tensor:
    """q̂ = Sharpen((1/2M) Σ_m (p_θ(û_m) + p_θ'(û_m)), T): both networks guess U's labels."""
    return sharpen(torch.stack(p_views + p_peer_views).mean(0), T)


def mixmatch(inputs: Tensor, targets: Tensor, lam: float, perm: Tensor) -> tuple[Tensor, Tensor]:
    """Eq. (5)-(8): λ' = max(λ, 1 − λ); x' = λ' x + (1 − λ') x_π, p' likewise, π a permutation of the
    pool. λ' ≥ 1/2 keeps each mixed sample closer to its own (labelled or unlabelled) half."""
    lam = max(lam, 1 - lam)
    return lam * inputs + (1 - lam) * inputs[perm], lam * targets + (1 - lam) * targets[perm]


def loss_x(logits: Tensor, targets: Tensor) -> Tensor:
    """L_X (eq. 9): −(1/|X'|) Σ Σ_c p'_c log p_θ(x')_c."""
    return -(targets * F.log_softmax(logits.float(), dim=1)).sum(1).mean()


def loss_u(logits: Tensor, targets: Tensor, mean_classes: bool = True) -> Tensor:
    """L_U: the code's mean over samples and classes of (q' − p_θ(u'))² (``mean_classes``, the
    default: Table 7's λ_u were tuned for it), or eq. (10) as printed, (1/|U'|) Σ ‖q' − p_θ(u')‖²,
    C times larger."""
    sq = (torch.softmax(logits.float(), dim=1) - targets) ** 2
    return sq.mean() if mean_classes else sq.sum(1).mean()


def loss_reg(logits: Tensor) -> Tensor:
    """L_reg (eq. 11): Σ_c π_c log(π_c / p̄_c), π uniform, p̄ the batch's mean prediction: keeps the
    network from putting every sample in one class."""
    p_mean = torch.softmax(logits.float(), dim=1).mean(0)
    prior = torch.full_like(p_mean, 1 / len(p_mean))
    return (prior * torch.log(prior / p_mean)).sum()


def confidence_penalty(logits: Tensor) -> Tensor:
    """Σ_c p_c log p_c averaged over the batch (negative entropy): the warm-up term under
    asymmetric noise, against over-confident predictions."""
    p = torch.softmax(logits.float(), dim=1)
    return (p * torch.log(p.clamp_min(1e-12))).sum(1).mean()


def linear_rampup(progress: float, warmup: int, length: int) -> float:
    """clip((progress − warm-up) / length, 0, 1): the factor of λ_u (the code's ``linear_rampup``)."""
    return float(min(max((progress - warmup) / max(length, 1), 0.0), 1.0))


def total_loss(logits: Tensor, targets: Tensor, n_labelled: int, unlabelled: bool, progress: float,
               warmup: int, rampup: int, c: DivideMixConfig) -> tuple[Tensor, Tensor, Tensor, float]:
    """Eq. (12) over the mixed pool, ``logits`` and ``targets [n, C]`` (X' its first ``n_labelled``
    rows, U' the rest when there is an ``unlabelled`` half): L = L_X + λ_u · ramp · L_U + λ_r L_reg,
    the ramp at ``progress`` (epochs, from 0) after ``warmup`` epochs over ``rampup``. Returns
    (L, L_X, L_U, λ_u · ramp); the code's ``loss = Lx + lamb * Lu + penalty`` with the defaults."""
    lx = loss_x(logits[:n_labelled], targets[:n_labelled])
    lu = loss_u(logits[n_labelled:], targets[n_labelled:], c.lu_mean_classes) if unlabelled else logits.new_zeros(())
    lam_u = c.get("lambda_u") * linear_rampup(progress, warmup, rampup)
    return lx + lam_u * lu + c.lambda_r * loss_reg(logits), lx, lu, lam_u
