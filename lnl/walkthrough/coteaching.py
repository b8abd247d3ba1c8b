"""The Co-teaching tutorial's walk-throughs: the kept share R(T) of each epoch (eq. 2, the paper's
ramp and the code's), and the small-loss selection of Algorithm 1 l. 4-5 redone on one batch of
two trained networks, against the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from lnl.engine import Context
from lnl.gmm import per_sample_loss
from lnl.methods.coteaching import RAMPS, Coteaching, forget_rate, selection_summary, small_loss_selection


def keep_schedule(tau: float, t_k: int, epochs: int) -> dict[str, np.ndarray]:
    """The kept share R(T) = 1 − forget rate (eq. 2) of each of ``epochs`` epochs, for each ramp
    (:data:`RAMPS`: the paper's and the code's)."""
    return {ramp: np.array([1 - forget_rate(e, tau, t_k, ramp) for e in range(epochs)]) for ramp in RAMPS}


def selection_walk(method: Coteaching, ctx: Context, is_clean, keep: float, batch: int, seed: int = 0) -> dict:
    """Lines 4-5 on one batch of ``batch`` training images drawn with ``seed``: each network's
    per-sample CE (evaluation mode, plain images, given labels) and the indices of its ``keep``
    share with the smallest loss, D̄_f (which trains g) and D̄_g (which trains f). ``is_clean``
    ``[N]`` (the truth, for the book only) marks the batch's clean samples."""
    bidx = torch.as_tensor(np.sort(np.random.default_rng(seed).permutation(len(is_clean))[:batch]), device=ctx.device)
    x_b, y_b = ctx.data.batch(bidx), ctx.labels[bidx]                 # plain images, given labels ỹ
    with torch.no_grad():
        loss_f = F.cross_entropy(method.net1(x_b).float(), y_b, reduction="none")     # ℓ(f, x_i), [B]
        loss_g = F.cross_entropy(method.net2(x_b).float(), y_b, reduction="none")     # ℓ(g, x_i), [B]
    return {"bidx": bidx, "clean": torch.as_tensor(is_clean, device=ctx.device)[bidx], "keep": keep,
            "loss_f": loss_f, "loss_g": loss_g,
            "keep_f": small_loss_selection(loss_f, keep), "keep_g": small_loss_selection(loss_g, keep)}


def selection_table(method: Coteaching, ctx: Context, is_clean, walk: dict):
    """:func:`selection_summary` of a :func:`selection_walk`'s batch and of the whole training set,
    each network keeping the same share of all its losses (rows)."""
    with torch.no_grad():
        all_f = per_sample_loss(ctx.train_logits(method.net1), ctx.labels)     # [N]
        all_g = per_sample_loss(ctx.train_logits(method.net2), ctx.labels)
    return pd.DataFrame({
        f"this batch of {len(walk['bidx'])}": selection_summary(
            walk["clean"].cpu().numpy(), walk["keep_f"].cpu().numpy(), walk["keep_g"].cpu().numpy()),
        "whole training set": selection_summary(
            is_clean, small_loss_selection(all_f, walk["keep"]).cpu().numpy(),
            small_loss_selection(all_g, walk["keep"]).cpu().numpy()),
    }).T
