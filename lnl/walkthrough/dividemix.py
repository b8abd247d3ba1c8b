"""The DivideMix tutorial's walk-throughs: one step of a pass redone on the trained networks. The
labelled and unlabelled batches from the peer's division (eq. 2), co-refinement and co-guessing
(eq. 3-4) checked against the truth, and MixMatch (eq. 5-8) on their pool."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from lnl.engine import Context
from lnl.losses import one_hot
from lnl.methods.dividemix import DivideMix, co_guess, co_refine, mixmatch


def batch_walk(method: DivideMix, ctx: Context, w: Tensor, batch: int, seed: int = 0) -> dict:
    """Co-refinement and co-guessing (eq. 3-4) for net1 on one labelled and one unlabelled batch of
    at most ``batch`` images each, drawn with ``seed`` from the division of the peer's clean
    probability ``w [N]`` (X: w ≥ τ, U: the rest, eq. 2), two weak views of each. Returns the
    batches' indices ``bx``, ``bu``, the views, the one-hot labels ``y_x``, ``w_x``, each network's
    predictions on the views (``p_x``; ``p_u``, ``p_u_peer``), ``y_hat`` and ``q_hat``."""
    tau, T, device = method.config.get("tau"), method.config.T, ctx.device
    w = np.asarray(w)
    rng = np.random.default_rng(seed)
    lab, unl = np.flatnonzero(w >= tau), np.flatnonzero(w < tau)
    bx = torch.as_tensor(rng.choice(lab, min(batch, len(lab)), replace=False), device=device)
    bu = torch.as_tensor(rng.choice(unl, min(batch, len(unl)), replace=False), device=device)
    gen = torch.Generator(device=device).manual_seed(seed)
    x1, x2 = ctx.data.batch(bx, gen, "weak"), ctx.data.batch(bx, gen, "weak")     # two views of X's images
    u1, u2 = ctx.data.batch(bu, gen, "weak"), ctx.data.batch(bu, gen, "weak")     # two views of U's images
    with torch.no_grad():
        p_x, p_u, p_u_peer = ([torch.softmax(net(v).float(), dim=1) for v in views] for net, views in
                              ((method.net1, (x1, x2)), (method.net1, (u1, u2)), (method.net2, (u1, u2))))
    y_x = one_hot(ctx.labels[bx], p_x[0].shape[1])                                # given labels, one-hot [B, C]
    w_x = torch.as_tensor(w, dtype=torch.float32, device=device)[bx]
    return {"bx": bx, "bu": bu, "x1": x1, "x2": x2, "u1": u1, "u2": u2, "y_x": y_x, "w_x": w_x, "T": T,
            "p_x": p_x, "p_u": p_u, "p_u_peer": p_u_peer,
            "y_hat": co_refine(y_x, w_x, p_x, T), "q_hat": co_guess(p_u, p_u_peer, T)}


def walk_tables(walk: dict, labels: Tensor, true: Tensor):
    """Against the truth (``true [N]``, for the book only), for a :func:`batch_walk`: per clean and
    mislabelled image of X, their count, mean w and the mean mass of ŷ on the given label; the
    share of U's images whose given label and whose guess argmax q̂ is the true class; and which
    images of X are clean (a bool array)."""
    bx, bu = walk["bx"], walk["bu"]
    clean = (labels[bx] == true[bx]).cpu().numpy()
    on_given = walk["y_hat"].gather(1, labels[bx][:, None])[:, 0].cpu().numpy()   # ŷ's mass on the given label
    w_x = walk["w_x"].cpu().numpy()
    refine = pd.DataFrame({"images": [int(clean.sum()), int((~clean).sum())],
                           "mean w": [_mean(w_x[m]) for m in (clean, ~clean)],
                           "mean ŷ on the given label": [_mean(on_given[m]) for m in (clean, ~clean)]},
                          index=["clean", "mislabelled"]).rename_axis(f"labelled batch (X), T = {walk['T']}")
    guess = pd.Series({"given label ỹ": float((labels[bu] == true[bu]).float().mean()),
                       "argmax q̂ (co-guessed)": float((walk["q_hat"].argmax(1) == true[bu]).float().mean())},
                      name="unlabelled batch (U): share that is the true class")
    return refine, guess, clean


def _mean(values: np.ndarray):
    """The mean, or NaN (shown as a blank) for a batch that holds none of the kind."""
    return values.mean() if len(values) else np.float32("nan")


def mixmatch_walk(walk: dict, alpha: float, seed: int = 0) -> dict:
    """MixMatch (eq. 5-8) on a :func:`batch_walk`'s pool of 4B views [x̂_1, x̂_2, û_1, û_2] with targets
    [ŷ, ŷ, q̂, q̂]: λ ~ Beta(α, α) and the partners' permutation drawn with ``seed``."""
    pool = torch.cat([walk["x1"], walk["x2"], walk["u1"], walk["u2"]])                      # [4B, c, h, w]
    targets = torch.cat([walk["y_hat"], walk["y_hat"], walk["q_hat"], walk["q_hat"]])       # [4B, C]
    lam = float(np.random.default_rng(seed).beta(alpha, alpha))                              # λ ~ Beta(α, α)
    perm = torch.randperm(len(pool), generator=torch.Generator().manual_seed(seed)).to(pool.device)
    x, p = mixmatch(pool, targets, lam, perm)
    return {"pool": pool, "targets": targets, "lam": lam, "lam_prime": max(lam, 1 - lam), "perm": perm, "x": x, "p": p,
            "n_labelled": 2 * len(walk["bx"])}
