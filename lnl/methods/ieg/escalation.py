"""Escalation and guidance (§2.2): supervision from the mislabelled data and the probe beyond the
meta step. The pseudo labels g from K views (§2.2.1), the views' last augmentation, Cutout (§3.1),
the mixup of the probe with the training batch and its views (§2.2.2, eq. 6), and the consistency
of each view with its image (§2.2.3, eq. 7); with the official code's ``logit_norm``."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from lnl.augment import cutout as cutout_square
from lnl.losses import at_least_float32, mix, soft_cross_entropy


def logit_norm(z: Tensor) -> Tensor:
    """The code's ``logit_norm``: z / √(mean(z²) + 1e-8), the mean over the whole chunk
    (batch × classes), not per sample."""
    z = at_least_float32(z)
    return z * torch.rsqrt(z.pow(2).mean() + 1e-8)


def sharpen(p: Tensor, tau: float) -> Tensor:
    """p_c^{1/τ} / Σ_k p_k^{1/τ} for rows of probabilities ``[B, C]`` (§2.2.1)."""
    q = p.pow(1.0 / tau)
    return q / q.sum(dim=1, keepdim=True)


def pseudo_labels(view_logits: list[Tensor], tau: float, normalise: bool = False) -> Tensor:
    """g (§2.2.1): the sharpened mean of the K views' probabilities, ``[B, C]``, no gradient.
    ``view_logits[0]`` is Φ(x), the rest Φ(x̂_k); ``normalise``: the code's :func:`logit_norm`
    on each view first."""
    with torch.no_grad():
        probs = [torch.softmax(logit_norm(z) if normalise else at_least_float32(z), dim=1) for z in view_logits]
        return sharpen(torch.stack(probs).mean(dim=0), tau)


def cutout_views(views: list[Tensor], share: float, generator: torch.Generator) -> list[Tensor]:
    """The last step of x̂'s augmentation, "→ cutout" (§3.1): in each view ``[B, C, H, W]`` of
    normalised images, one square of side round(``share`` · min(H, W)) per image set to 0, the
    official code's value in its own normalised space (:func:`lnl.augment.cutout`; the code's 16 px
    on CIFAR's 32 is ``share = 0.5``). ``share = 0`` returns the views as they are."""
    size = int(round(share * min(views[0].shape[-2:]))) if views else 0
    return [cutout_square(v, generator, size=size, fill=0.0) for v in views] if size > 0 else list(views)


def consistency_loss(logits: Tensor, logits_aug: Tensor) -> Tensor:
    """Eq. (7): (1/B) Σ_i KL(Φ(x_i) ‖ Φ(x̂_i)), the un-augmented prediction a fixed target (the
    code's stop-gradient); the gradient flows through the augmented view."""
    logp = F.log_softmax(at_least_float32(logits).detach(), dim=1)
    logq = F.log_softmax(at_least_float32(logits_aug), dim=1)
    return (logp.exp() * (logp - logq)).sum(dim=1).mean()


def mixup_coefficients(n: int, beta: float, form: str, rng: np.random.Generator) -> Tensor:
    """One mixing coefficient per sample ``[n]`` (float32, CPU): m ~ Beta(β, β) (§2.2.2), or the
    code's 1 − U²/2 = max(U²/2, 1 − U²/2) with U ~ U(0, 1), which lies in [0.5, 1]."""
    m = 1 - rng.random(n) ** 2 / 2 if form == "code" else rng.beta(beta, beta, size=n)
    return torch.as_tensor(m, dtype=torch.float32)


def mixup_losses(net: torch.nn.Module, x_probe: Tensor, t_probe: Tensor, x_u: Tensor, t_u: Tensor, m: Tensor,
                 perm: Tensor, normalise: bool = False) -> tuple[Tensor, Tensor]:
    """Eq. (6): the pool [x_probe; x_u] mixed with its permutation ``perm`` by ``m`` (per sample),
    one forward pass; L^p_β over the mixed samples anchored on the probe (the first
    ``len(x_probe)``), L^u_β over the rest. Targets ``[n, C]``."""
    pool, targets = torch.cat([x_probe, x_u]), torch.cat([t_probe, t_u])
    z = net(mix(pool, pool[perm], m))
    t = mix(targets, targets[perm], m)
    n_p = len(x_probe)
    zp, zu = z[:n_p], z[n_p:]
    if normalise:                                       # the code normalises each chunk on its own
        zp, zu = logit_norm(zp), logit_norm(zu)
    return soft_cross_entropy(zp, t[:n_p]), soft_cross_entropy(zu, t[n_p:])
