"""The ALR tutorial's walk-throughs: the reconstructed pieces of :mod:`lnl.methods.alr` one at a
time, on a small batch or by hand. The targets refined against a fixed prediction (the temporal
ensemble), the loss of each phase on one batch, the two update timings (epoch or batch), the
traced targets of a few samples, and the gradient of CE(t, p) + λ H(p) checked against autograd
(Theorem 1's fragment)."""

from __future__ import annotations

import copy

import pandas as pd
import torch
from torch import Tensor

from lnl.losses import entropy, one_hot
from lnl.methods.alr import alr_gradient, alr_loss, refine_targets


def target_steps(t: Tensor, p: Tensor, alpha: float, updates: int) -> Tensor:
    """The targets after 0, 1, …, ``updates`` updates against one fixed prediction ``p``
    (:func:`refine_targets`), ``[updates + 1, B, C]``: after n updates the given label keeps α^n of
    its weight."""
    steps = [t]
    for _ in range(updates):
        steps.append(refine_targets(steps[-1], p, alpha))
    return torch.stack(steps)


def updates_to_relabel(t: Tensor, p: Tensor, alpha: float, limit: int = 100) -> int:
    """After how many updates against a fixed prediction ``p`` the arg-max of one sample's target
    ``t`` (``[1, C]``) leaves its starting class, the given label; an error past ``limit``."""
    start, current = int(t.argmax()), t
    for n in range(1, limit + 1):
        current = refine_targets(current, p, alpha)
        if int(current.argmax()) != start:
            return n
    raise ValueError(f"The target keeps its arg-max for {limit} updates.")


def phase_losses(logits: Tensor, t: Tensor, given: Tensor, true: Tensor, entropy_weight: float):
    """One row per sample of a batch: the given, true and predicted class, the target's mass on the
    given label, H(p), and the loss each phase would give it: phase 1, CE on ỹ (targets
    onehot(ỹ), no entropy); phase 2, CE(t, p) + λ H(p) (:func:`alr_loss`)."""
    phase1 = alr_loss(logits, one_hot(given, logits.shape[1]), 0.0)
    phase2 = alr_loss(logits, t, entropy_weight)
    return pd.DataFrame({"given": given.numpy(), "true": true.numpy(), "predicted": logits.argmax(1).numpy(),
                         "t on given": t.gather(1, given[:, None]).squeeze(1).numpy(),
                         "H(p)": entropy(torch.softmax(logits, 1)).numpy(),
                         "phase 1 loss": phase1.numpy(), "phase 2 loss": phase2.numpy()})


def timing_predictions(net: torch.nn.Module, x: Tensor) -> tuple[Tensor, Tensor]:
    """The predictions each update timing refines the targets with, on images ``x``: ``"epoch"``'s
    (eval mode) and ``"batch"``'s (train mode, where batch normalisation uses the batch's own
    statistics). On a copy of ``net``: train mode updates the running statistics."""
    net = copy.deepcopy(net)
    with torch.no_grad():
        return torch.softmax(net.eval()(x), 1), torch.softmax(net.train()(x), 1)


def timing_table(p_epoch: Tensor, p_batch: Tensor, given: Tensor, alpha: float):
    """Per sample, both timings' predictions (:func:`timing_predictions`) on the given label and the
    target each would give there after one update from onehot(ỹ) (:func:`refine_targets`)."""
    t, y = one_hot(given, p_epoch.shape[1]), given[:, None]
    return pd.DataFrame({"p on ỹ, epoch": _on(p_epoch, y), "p on ỹ, batch": _on(p_batch, y),
                         "t on ỹ, epoch": _on(refine_targets(t, p_epoch, alpha), y),
                         "t on ỹ, batch": _on(refine_targets(t, p_batch, alpha), y)})


def _on(v: Tensor, y: Tensor):
    """Each row's entry at its column ``y`` (``[B, 1]``), as a numpy array."""
    return v.gather(1, y).squeeze(1).numpy()


def trajectory_samples(given: Tensor, true: Tensor, kept: int, n: int) -> tuple[list[int], list[int]]:
    """The first ``n`` clean and the first ``n`` mislabelled samples among the ``kept`` whose targets
    the run traced after every epoch (``trace``)."""
    clean = [i for i in range(kept) if given[i] == true[i]][:n]
    noisy = [i for i in range(kept) if given[i] != true[i]][:n]
    return clean, noisy


def gradient_errors(logits: Tensor, t: Tensor, entropy_weights) -> dict[str, float]:
    """The largest |autograd − :func:`alr_gradient`| over a batch, per λ in ``entropy_weights``:
    the derivation of the gradient checked (rounding only, in float64)."""
    z = logits.detach().clone().requires_grad_()
    errors = {}
    for lam in entropy_weights:
        (auto,) = torch.autograd.grad(alr_loss(z, t, lam).sum(), z)
        errors[f"λ = {lam}"] = float((auto - alr_gradient(z.detach(), t, lam)).abs().max())
    return errors


def margin_logits(margins: Tensor, num_classes: int) -> Tensor:
    """Logits ``(m, 0, …, 0)`` for each margin m, ``[M, C]``: predictions from uniform (m = 0) to
    one-hot (m large) along one family."""
    return torch.cat([margins[:, None], torch.zeros(len(margins), num_classes - 1)], 1)
