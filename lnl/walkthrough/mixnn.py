"""The MixNN tutorial's walk-throughs: what the book's pages compute on a warmed-up network. §4.1's
neighbours in numbers, the mixing weights of eq. (10)-(11) by hand in §5's four cases and on
typical pairs of real images (eq. 4-5), the label mass they carry to the true class, the updates
of eq. (14) until a wrong label flips, and the neighbour search over the whole set (the paper)
against within a batch (the code)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from lnl import knn as lnl_knn
from lnl.losses import one_hot
from lnl.methods.mixnn import (average_weights, ema_targets, mixed_inputs, mixed_targets, mixing_weights,
                               random_weights)


def neighbour_shares(emb: Tensor, given: np.ndarray, true: np.ndarray, k: int, num_classes: int) -> dict[str, float]:
    """§4.1's "congregate in their true class" as numbers: of the mislabelled samples, the share whose
    nearest neighbour (exact L2 search over ``emb [N, D]``) has their true class, whose ``k`` nearest
    neighbours' majority does, and whose 1-NN's *given* label is their true class; and of the clean
    samples, the share whose 1-NN has their class."""
    given, true = np.asarray(given), np.asarray(true)
    noisy = given != true
    nbr = lnl_knn.knn(emb, k, backend="exact").cpu().numpy()          # [N, k], nearest first
    votes = np.zeros((len(true), num_classes))
    np.add.at(votes, (np.arange(len(true))[:, None], true[nbr]), 1)   # true classes of the k neighbours
    return {"1-NN has the sample's true class": (true[nbr[:, 0]] == true)[noisy].mean(),
            f"majority of {k}-NN has it": (votes.argmax(1) == true)[noisy].mean(),
            "1-NN's given label is the sample's true class": (given[nbr[:, 0]] == true)[noisy].mean(),
            "clean samples: 1-NN has their class": (true[nbr[:, 0]] == true)[~noisy].mean()}


PAIR_CASES = {"clean–clean": (True, True), "clean–mislabelled": (True, False),
              "mislabelled–clean": (False, True), "mislabelled–mislabelled": (False, False)}   # §5, K = 1


def pair_weights(w_hi: float, w_lo: float, rng: np.random.Generator):
    """Eq. (10)-(11) by hand for K = 1: the four cases of §5 with clean probability ``w_hi`` for a clean
    and ``w_lo`` for a mislabelled sample, and a pair of zeros; the GMM weights next to Table IV's AVG
    and RDM ablations. One row per pair: w_i, w̄_i, λ_i and β_i (GMM), their sum, λ_i (AVG), λ_i (RDM)."""
    level = {True: w_hi, False: w_lo}
    pairs = {name: (level[a], level[b]) for name, (a, b) in PAIR_CASES.items()} | {"both w = 0": (0.0, 0.0)}
    w_self = torch.tensor([p[0] for p in pairs.values()])
    w_nn = torch.tensor([[p[1]] for p in pairs.values()])               # [B, K = 1]
    lam, beta = mixing_weights(w_self, w_nn)
    lam_avg, _ = average_weights(len(pairs), 1)
    lam_rdm, _ = random_weights(len(pairs), 1, rng)
    return pd.DataFrame({"w_i": w_self, "w̄_i": w_nn[:, 0], "λ_i (GMM)": lam, "β_i (GMM)": beta[:, 0],
                         "λ_i + β_i": lam + beta.sum(1), "λ_i (AVG)": lam_avg, "λ_i (RDM)": lam_rdm},
                        index=list(pairs)).astype(float)


def typical_pairs(nbr: np.ndarray, w, is_clean: np.ndarray, true: np.ndarray) -> dict[str, dict[str, float]]:
    """One typical pair (sample, its 1-NN ``nbr``) of each case of §5 whose two images share a true
    class: the pair whose λ_i (eq. 10, GMM weights ``w``) is the median of its case. ``{case: {"i",
    "j", "lam_median", "n"}}``; a case without such a pair is left out."""
    w = torch.as_tensor(w, dtype=torch.float32)
    lam = mixing_weights(w, w[torch.as_tensor(nbr)][:, None])[0].numpy()
    out = {}
    for name, (ci, cj) in PAIR_CASES.items():
        ok = np.flatnonzero((is_clean == ci) & (is_clean[nbr] == cj) & (true[nbr] == true))
        if len(ok):
            med = float(np.median(lam[ok]))
            i = int(ok[np.argmin(np.abs(lam[ok] - med))])
            out[name] = {"i": i, "j": int(nbr[i]), "lam_median": med, "n": len(ok)}
    return out


def neighbour_mix(data, idx, partner, w, labels, num_classes: int, schemes=("gmm",)) -> dict:
    """One step of Algorithm 1 l. 10-12 before E_s (t = one-hot ŷ), K = 1: the images ``x [B, ...]``
    of samples ``idx`` and ``x_nn [B, 1, ...]`` of their ``partner``s, their targets ``t [B, C]`` and
    ``t_nn [B, 1, C]``, and per weighting in ``schemes`` ("gmm": eq. 10-11 on ``w``; "avg": Table IV's
    AVG) its ``lam``, ``beta``, mixed images ``x_mix`` (eq. 4) and labels ``y_mix`` (eq. 5)."""
    idx, partner, labels = (torch.as_tensor(np.array(v), device=data.device) for v in (idx, partner, labels))
    w = torch.as_tensor(w, dtype=torch.float32, device=data.device)
    out = {"x": data.batch(idx), "x_nn": data.batch(partner)[:, None],
           "t": one_hot(labels[idx], num_classes), "t_nn": one_hot(labels[partner], num_classes)[:, None]}
    for s in schemes:
        lam, beta = (mixing_weights(w[idx], w[partner][:, None]) if s == "gmm"
                     else average_weights(len(idx), 1, data.device))
        out[s] = {"lam": lam, "beta": beta, "x_mix": mixed_inputs(out["x"], out["x_nn"], lam, beta),
                  "y_mix": mixed_targets(out["t"], out["t_nn"], lam, beta)}
    return out


def true_class_mass(w, nbr: np.ndarray, given: np.ndarray, true: np.ndarray):
    """How much of each sample's label lands on its true class, on average over all samples, when it
    is mixed with its 1-NN ``nbr`` (eq. 5, K = 1): the given labels alone, AVG weights, GMM weights."""
    w = torch.as_tensor(w, dtype=torch.float32)
    lam, beta = mixing_weights(w, w[torch.as_tensor(nbr)][:, None])
    on_self, on_nbr = (given == true), (given[nbr] == true)         # does each label hit the true class?
    return pd.Series({"given label ŷ_i (no mixing)": on_self.mean(),
                      "ỹ_i with AVG weights": (0.5 * on_self + 0.5 * on_nbr).mean(),
                      "ỹ_i with GMM weights": (lam.numpy() * on_self + beta[:, 0].numpy() * on_nbr).mean()},
                     name=f"mean mass on the true class, all {len(given)} samples")


def flip_updates(alpha: float, d: float) -> int:
    """Updates of eq. (14) until argmax t leaves a wrong label ŷ, for a network that keeps the true
    class a margin ``d = p_y − p_ŷ > 0`` ahead: n* = ⌊ln((1 + d)/d) / ln(1/α)⌋ + 1."""
    return int(np.floor(np.log((1 + d) / d) / np.log(1 / alpha))) + 1


def simulated_flip(alpha: float, p_y: float, num_classes: int) -> int:
    """:func:`flip_updates` by running :func:`ema_targets` from a wrong one-hot label until its argmax
    moves, the network giving the true class ``p_y`` and spreading the rest evenly."""
    p = torch.full((1, num_classes), (1 - p_y) / (num_classes - 1))
    p[0, 0] = p_y                                           # true class 0; given label 1 (wrong)
    t, n = one_hot(torch.tensor([1]), num_classes), 0
    while t.argmax() != 0:
        t, n = ema_targets(t, p, alpha), n + 1
    return n


def flip_table(alphas, confidences, num_classes: int):
    """Updates of eq. (14) until a wrong label flips (:func:`simulated_flip`), one row per (α, p_y),
    with the EMA's time constant 1/(1 − α)."""
    rows = [{"α": a, "p_y": p, "updates until argmax t = y": simulated_flip(a, p, num_classes),
             "time constant 1/(1 − α)": 1 / (1 - a)} for a in alphas for p in confidences]
    return pd.DataFrame(rows).set_index(["α", "p_y"])


def batch_search(emb: Tensor, given: np.ndarray, true: np.ndarray, nbr: np.ndarray, batch: int, seed: int = 0):
    """The paper's neighbour search against the official code's: for the mislabelled samples, how often
    the 1-NN has their true class, and how often its given label is it, over the whole training set
    (``nbr``, the 1-NN of every sample) and within random batches of ``batch`` (one shuffled epoch,
    full batches only, as ``drop_last``)."""
    noisy = given != true
    perm = np.random.default_rng(seed).permutation(len(given))
    hit_true, hit_label = [], []
    for start in range(0, len(perm) - batch + 1, batch):
        b = perm[start:start + batch]
        jb = b[lnl_knn.knn(emb[torch.as_tensor(b, device=emb.device)], 1, backend="exact")[:, 0].cpu().numpy()]
        hit_true.append((true[jb] == true[b])[noisy[b]])
        hit_label.append((given[jb] == true[b])[noisy[b]])
    return pd.DataFrame({
        "whole training set (paper)": {"1-NN has the true class": (true[nbr] == true)[noisy].mean(),
                                       "1-NN's label is the true class": (given[nbr] == true)[noisy].mean()},
        f"within a batch of {batch} (code)": {"1-NN has the true class": np.concatenate(hit_true).mean(),
                                              "1-NN's label is the true class": np.concatenate(hit_label).mean()},
    }).T


def cases_table(pairs: dict, mix: dict, w, true: np.ndarray):
    """The pairs of :func:`typical_pairs` in numbers, one row per case: how many pairs it has, its
    median λ_i, the chosen pair's w_i, w̄_i and λ_i, and how much of its mixed label ỹ_i
    (:func:`neighbour_mix`, schemes ``gmm`` and ``avg``) lands on the true class."""
    return pd.DataFrame({case: {"pairs of this case": p["n"], "median λ_i of the case": p["lam_median"],
                                "w_i": w[p["i"]], "w̄_i": w[p["j"]], "λ_i (GMM)": float(mix["gmm"]["lam"][k]),
                                "ỹ_i on the true class (GMM)": float(mix["gmm"]["y_mix"][k, true[p["i"]]]),
                                "ỹ_i on the true class (AVG)": float(mix["avg"]["y_mix"][k, true[p["i"]]])}
                         for k, (case, p) in enumerate(pairs.items())}).T
