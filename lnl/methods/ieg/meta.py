"""Isolation: the meta step of §2.1, "meta optimization-based reweighting and relabeling" (eq. 1-5).
One virtual step of Θ on the batch's loss weighted by ω and re-labelled by λ (eq. 1, 3), the
probe loss after it, and its gradient in ω and λ: ω* (eq. 2's constraints) and λ* (eq. 4); then the
supervised losses L_ω* and L_λ* that train on them (eq. 5)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from lnl.engine import functional_forward
from lnl.losses import at_least_float32, soft_cross_entropy


def relabel_target(y: Tensor, g: Tensor, lam: Tensor) -> Tensor:
    """P(λ) = λ y + (1 − λ) g, with λ ``[B]`` (eq. 3); ``y`` and ``g`` ``[B, C]``."""
    return lam[:, None] * y + (1 - lam[:, None]) * g


def weighted_loss(logits: Tensor, y: Tensor, g: Tensor, omega: Tensor, lam: Tensor) -> Tensor:
    """Σ_i ω_i L(P(λ_i), Φ(x_i)) (eq. 3; eq. 1 at λ = 1): the look-ahead's loss and L_ω*."""
    return (omega * soft_cross_entropy(logits, relabel_target(y, g, lam), reduction="none")).sum()


def normalise_weights(omega_tilde: Tensor, eps: float = 0.0) -> Tensor:
    """ω* from ω̃ = ReLU(−∂L^p/∂ω): ω̃ / Σ ω̃ (eq. 2's constraint Σ ω = 1, as L2R's code; all zero
    when no sample helps the probe), or the code's ω̃ / (Σ ω̃ + eps)."""
    total = omega_tilde.sum()
    if eps > 0:
        return omega_tilde / (total + eps)
    return omega_tilde / total if total > 0 else omega_tilde


@dataclass
class MetaStep:
    """What the meta step returns: ω* and λ* ``[B]``, and the raw meta-gradients ∂L^p/∂ω and
    ∂L^p/∂λ at (ω₀, λ₀), with the probe loss at Θ'."""

    omega: Tensor
    lam: Tensor
    d_omega: Tensor
    d_lam: Tensor
    probe_loss: Tensor


def lookahead(params: dict[str, Tensor], grads: list[Tensor], lr: float, *, momentum: float = 0.0,
              buffers: list[Tensor | None] | None = None, weight_decay: float = 0.0) -> dict[str, Tensor]:
    """The virtual step of §2.1. With ``momentum`` μ and the optimiser's momentum ``buffers`` v, "the
    exact momentum update" of SGD (torch's, no dampening): Θ' = Θ − α (μ v + ∇ + wd Θ), v absent
    before the optimiser's first step (v = 0); without, §2.1's formula Θ' = Θ − α (∇ + wd Θ).
    Differentiable in ``grads``."""
    out = {}
    for (name, theta), grad, v in zip(params.items(), grads, buffers or [None] * len(grads)):
        step = grad + weight_decay * theta.detach()
        if momentum and v is not None:
            step = step + momentum * v
        out[name] = theta - lr * step
    return out


def meta_step(net: torch.nn.Module, logits: Tensor, y: Tensor, g: Tensor, x_probe: Tensor, y_probe: Tensor, *,
              lambda0: float, relabel: bool, lr: float, momentum: float = 0.0, buffers=None,
              weight_decay: float = 0.0, params: dict[str, Tensor] | None = None, omega_eps: float = 0.0,
              retain_graph: bool = True) -> MetaStep:
    """§2.1: ω* and λ* for a batch from one virtual step and the probe loss after it.

    ``logits`` are Φ(x; Θ) from the real forward pass (their graph is reused for ∇_Θ); ``y`` and
    ``g`` ``[B, C]`` the one-hot labels and pseudo labels; ``params`` the parameters that look ahead
    (default: all of ``net``'s). Without ``relabel`` λ stays 1 (L2R: eq. 1) and λ* is all ones.
    """
    B = len(logits)
    params = dict(net.named_parameters()) if params is None else params
    kw = dict(device=logits.device, dtype=at_least_float32(logits).dtype)
    omega0 = torch.full((B,), 1.0 / B, requires_grad=True, **kw)                              # ω₀ = 1/B
    lam0 = torch.full((B,), lambda0 if relabel else 1.0, requires_grad=relabel, **kw)
    L_look = weighted_loss(logits, y, g.detach(), omega0, lam0)                              # eq. (3)
    grads = torch.autograd.grad(L_look, list(params.values()), create_graph=True)
    theta_prime = lookahead(params, grads, lr, momentum=momentum, buffers=buffers, weight_decay=weight_decay)
    probe_loss = F.cross_entropy(at_least_float32(functional_forward(net, theta_prime, x_probe)), y_probe)
    wrt = (omega0, lam0) if relabel else (omega0,)
    d = torch.autograd.grad(probe_loss, wrt, retain_graph=retain_graph)
    d_omega, d_lam = d[0], (d[1] if relabel else torch.zeros_like(d[0]))
    omega = normalise_weights(F.relu(-d_omega), omega_eps)                                   # eq. (2)
    lam = (d_lam < 0).float() if relabel else torch.ones_like(d_omega)                       # eq. (4)
    return MetaStep(omega.detach(), lam.detach(), d_omega.detach(), d_lam.detach(), probe_loss.detach())


def meta_step_jvp(net: torch.nn.Module, logits: Tensor, x: Tensor, y: Tensor, g: Tensor, x_probe: Tensor,
                  y_probe: Tensor, *, lambda0: float, relabel: bool, lr: float, momentum: float = 0.0, buffers=None,
                  weight_decay: float = 0.0, params: dict[str, Tensor] | None = None,
                  omega_eps: float = 0.0) -> MetaStep:
    """:func:`meta_step`'s gradients without differentiating through a gradient.

    Θ' is linear in ω and λ, ∂Θ'/∂ω_i = −α ∇_Θ ℓ_i, so with g_p = ∇L^p(Θ') the chain rule gives

        ∂L^p/∂ω_i = −α g_pᵀ ∇ℓ_i = α Σ_c P(λ₀)_ic ∂_ε log Φ_c(x_i; Θ + ε g_p)
        ∂L^p/∂λ_i = α ω₀ Σ_c (y_ic − g_ic) ∂_ε log Φ_c(x_i; Θ + ε g_p)

    a directional derivative of the batch's log-probabilities along g_p: one forward-mode pass
    (``torch.func.jvp``, train-mode BatchNorm as in the real forward) instead of a backward pass
    through the backward pass. Exact, like :func:`meta_step` (the tests compare the two).
    """
    B = len(logits)
    params = dict(net.named_parameters()) if params is None else params
    theta = {k: v.detach() for k, v in params.items()}
    omega0 = 1.0 / B
    lam = torch.full((B,), lambda0 if relabel else 1.0, device=logits.device, dtype=at_least_float32(logits).dtype)
    P = relabel_target(y, g.detach(), lam)
    L_look = omega0 * soft_cross_entropy(logits, P, reduction="sum")                           # eq. (3)
    grads = torch.autograd.grad(L_look, list(params.values()), retain_graph=True)
    theta_prime = {k: v.detach().requires_grad_() for k, v in
                   lookahead(theta, list(grads), lr, momentum=momentum, buffers=buffers,
                             weight_decay=weight_decay).items()}
    probe_loss = F.cross_entropy(at_least_float32(functional_forward(net, theta_prime, x_probe)), y_probe)
    g_p = torch.autograd.grad(probe_loss, list(theta_prime.values()))
    _, dlogp = torch.func.jvp(lambda ps: F.log_softmax(at_least_float32(functional_forward(net, ps, x)), dim=1),
                              (theta,), (dict(zip(theta, g_p)),))
    d_omega = lr * (P * dlogp).sum(dim=1)                        # ∂L^p/∂ω = −α ∂_ε ℓ, ℓ = −Σ P log Φ
    d_lam = lr * omega0 * ((y - g) * dlogp).sum(dim=1) if relabel else torch.zeros_like(d_omega)
    omega = normalise_weights(F.relu(-d_omega), omega_eps)                                   # eq. (2)
    lam_star = (d_lam < 0).float() if relabel else torch.ones_like(d_omega)                  # eq. (4)
    return MetaStep(omega, lam_star, d_omega, d_lam, probe_loss.detach())


def supervised_losses(logits: Tensor, y: Tensor, g: Tensor, omega_star: Tensor, lam_star: Tensor,
                      lambda0: float) -> tuple[Tensor, Tensor]:
    """Eq. (5): L_λ* = (1/B) Σ_i L(ỹ_i, Φ(x_i)), where ỹ_i = y_i if λ*_i > 0 else g_i (λ* ∈ {0, 1},
    so ỹ = P(λ*)), and L_ω* = Σ_i ω*_i L(P(λ₀)_i, Φ(x_i)). Eq. (5) prints L_ω*'s target as λ₀ y_i,
    which does not sum to one; P(λ₀) = λ₀ y_i + (1 − λ₀) g_i, the meta step's target, is our reading
    and the official code's."""
    L_omega = weighted_loss(logits, y, g, omega_star, torch.full_like(omega_star, lambda0))
    L_lam = soft_cross_entropy(logits, relabel_target(y, g, lam_star))
    return L_omega, L_lam
