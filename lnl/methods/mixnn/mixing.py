"""MixNN's equations, one small function each: the mixing weights (eq. 10-11, and Table IV's
AVG and RDM), the synthetic sample and its label (eq. 4-5), the label correction (eq. 14), the
code's phase-2 loss, the own-label pull of Fig. 7b, and Table IV's random partners."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from lnl.losses import temporal_ensemble

EPS = 1e-10               # keeps eq. (10)-(11) away from 0/0 (the code: 1e-10)


def mixing_weights(w_self: Tensor, w_nn: Tensor, eps: float = EPS) -> tuple[Tensor, Tensor]:
    """Eq. (10)-(11). ``w_self [B]``, ``w_nn [B, K]``: P(clean) of x_i and of its K neighbours.

    Returns λ ``[B]`` and β ``[B, K]``, proportional to the clean probabilities; λ + Σ_k β = 1.
    """
    w_self, w_nn = w_self + eps, w_nn + eps
    denom = w_self + w_nn.sum(dim=1)                 # shared denominator of (10) and (11)
    return w_self / denom, w_nn / denom[:, None]


def average_weights(B: int, K: int, device=None) -> tuple[Tensor, Tensor]:
    """Table IV "AVG": λ = β^k = 1/(K+1). Returns λ ``[B]``, β ``[B, K]``."""
    return torch.full((B,), 1 / (K + 1), device=device), torch.full((B, K), 1 / (K + 1), device=device)


def random_weights(B: int, K: int, rng: np.random.Generator, a: float = 1.0, device=None) -> tuple[Tensor, Tensor]:
    """Table IV "RDM": (λ, β^1..β^K) ~ Dirichlet(a, ..., a) per sample, i.e. λ ~ Beta(a, a) for K = 1."""
    d = torch.as_tensor(rng.dirichlet([a] * (K + 1), size=B), dtype=torch.float32, device=device)
    return d[:, 0], d[:, 1:]


def mixed_inputs(x: Tensor, x_nn: Tensor, lam: Tensor, beta: Tensor) -> Tensor:
    """Eq. (4): x̃_i = λ_i x_i + Σ_k β_i^k x̄_i^k. ``x [B, ...]``, ``x_nn [B, K, ...]`` -> ``[B, ...]``."""
    shape = (-1,) + (1,) * (x.dim() - 1)
    return lam.view(shape) * x + (beta.view(*beta.shape, *shape[1:]) * x_nn).sum(dim=1)


def mixed_targets(t_self: Tensor, t_nn: Tensor, lam: Tensor, beta: Tensor) -> Tensor:
    """Eq. (5) with t for ŷ (§4.5): ỹ_i = λ_i t_i + Σ_k β_i^k t̄_i^k.

    ``t_self [B, C]``, ``t_nn [B, K, C]`` probabilities -> ``[B, C]`` probabilities (rows sum to 1).
    """
    return lam[:, None] * t_self + (beta[:, :, None] * t_nn).sum(dim=1)


def ema_targets(t: Tensor, p: Tensor, alpha: float) -> Tensor:
    """Eq. (14), E ≥ E_s: t_i ← α t_i + (1 − α) p_i. ``t``, ``p`` ``[B, C]`` probabilities."""
    return temporal_ensemble(t, p, alpha)


def neg_prob_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """The official code's phase-2 loss, ``F.nll_loss(softmax(z), y)``: −(1/B) Σ_i Σ_c ỹ_ic p_ic.

    Linear in p (MAE-like), not CE: the code feeds probabilities where log-probabilities belong.
    """
    return -(targets * torch.softmax(logits.float(), dim=1)).sum(dim=1).mean()


@torch.no_grad()
def own_label_pull(logits: Tensor, t_self: Tensor, lam: Tensor, y_hat: Tensor) -> Tensor:
    """Gradient coefficient of sample i's own label (Fig. 2b for CE, Fig. 7b for MixNN) ``[B]``.

    The loss −ỹ_iᵀ log p̃_i has gradient p̃_i − ỹ_i in the logits of x̃_i, and x_i's own target
    enters ỹ_i as λ_i t_i (eq. 5). Its pull on the logit of the given class ŷ_i is
    λ_i (t_{i,ŷ_i} − p̃_{i,ŷ_i}): for CE (λ = 1, t = ŷ, no mixing) the familiar 1 − p_{ŷ_i}. A
    mislabelled sample stops pulling towards its wrong label when λ_i → 0 (GMM weights) or when
    t_i moves away from ŷ_i (label correction). Its pull as somebody's neighbour is not counted.
    """
    p = torch.softmax(logits.float(), dim=1).gather(1, y_hat[:, None]).squeeze(1)
    return lam * (t_self.gather(1, y_hat[:, None]).squeeze(1) - p)


def random_partners(n: int, K: int, generator: torch.Generator) -> Tensor:
    """Table IV "w/o K nearest neighbours": ``[n, K]`` partners drawn uniformly among the others."""
    r = torch.randint(0, n - 1, (n, K), generator=generator, device=generator.device)
    return r + (r >= torch.arange(n, device=r.device)[:, None]).long()      # skip i itself
