"""Clean probability from per-sample losses: the small-loss trick as a two-component GMM.

Networks fit clean labels before mislabelled ones, so early in training the per-sample loss of a
clean sample is small and that of a mislabelled one large. DivideMix (Li et al., ICLR 2020, §3.2)
turns this into a probability: normalise the losses to [0, 1], fit a two-component Gaussian mixture,
and take the posterior of the component with the smaller mean,

    w_i = p(g_small | ℓ_i).

DivideMix, SANM and MixNN all use it with the same settings (scikit-learn ``GaussianMixture`` with
``max_iter=10, tol=1e-2, reg_covar=5e-4``); they differ only in which network and which labels
produce the losses, which is the caller's business. Every method that needs ``w`` calls
:func:`clean_probability`; nothing else in ``lnl`` fits a mixture.

:func:`detection_metrics` scores a clean/mislabelled split against the truth (only the engine and
the book know it).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor


def per_sample_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """Cross-entropy per sample, ``[N]`` float32.

    ``logits [N, C]``; ``targets`` either hard labels ``[N]`` int64 or probabilities ``[N, C]``.
    """
    log_p = F.log_softmax(logits.float(), dim=1)
    if targets.dim() == 1:
        return -log_p.gather(1, targets.view(-1, 1)).squeeze(1)
    return -(targets * log_p).sum(dim=1)


def normalise(losses: np.ndarray | Tensor) -> np.ndarray:
    """Min-max normalise to [0, 1] (DivideMix's code); a constant vector maps to zeros."""
    x = np.asarray(losses.detach().cpu() if isinstance(losses, Tensor) else losses, dtype=np.float64).ravel()
    span = x.max() - x.min()
    return (x - x.min()) / span if span > 0 else np.zeros_like(x)


def clean_probability(losses: np.ndarray | Tensor, *, max_iter: int = 10, tol: float = 1e-2,
                      reg_covar: float = 5e-4, seed: int = 0) -> np.ndarray:
    """P(clean | loss) for each sample from a two-component GMM on normalised losses.

    Parameters
    ----------
    losses : ``[N]`` per-sample losses (any scale; they are min-max normalised here). To smooth
        over epochs (DivideMix at 90 % noise, MixNN at 80 %), pass the mean of the last few epochs'
        normalised losses.
    max_iter, tol, reg_covar : scikit-learn ``GaussianMixture`` settings, DivideMix's defaults.
    seed : the mixture's ``random_state``.

    Returns
    -------
    ``[N]`` float64 posterior of the component with the smaller mean.
    """
    from sklearn.mixture import GaussianMixture

    x = normalise(losses).reshape(-1, 1)
    if len(x) < 2 or np.ptp(x) == 0:
        return np.ones(len(x))
    gmm = GaussianMixture(n_components=2, max_iter=max_iter, tol=tol, reg_covar=reg_covar, random_state=seed)
    gmm.fit(x)
    return gmm.predict_proba(x)[:, int(np.argmin(gmm.means_.ravel()))]


def detection_metrics(p_clean: np.ndarray, is_clean: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    """How well ``p_clean`` separates clean from mislabelled samples.

    Parameters
    ----------
    p_clean : ``[N]`` scores, higher = more likely clean (a probability, or minus a loss).
    is_clean : ``[N]`` bool truth (given label == true label).
    threshold : the clean split is ``p_clean > threshold`` (DivideMix's ``prob > τ``).

    Returns
    -------
    ``auroc`` (NaN when only one class is present), and ``precision``, ``recall``, ``f1`` of the
    selected clean set, with ``selected`` the fraction of samples it holds.
    """
    from sklearn.metrics import roc_auc_score

    p_clean, is_clean = np.asarray(p_clean, dtype=np.float64), np.asarray(is_clean, dtype=bool)
    auroc = float(roc_auc_score(is_clean, p_clean)) if 0 < is_clean.sum() < len(is_clean) else float("nan")
    sel = p_clean > threshold
    tp = float((sel & is_clean).sum())
    precision = tp / sel.sum() if sel.any() else float("nan")
    recall = tp / is_clean.sum() if is_clean.any() else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"auroc": auroc, "precision": precision, "recall": recall, "f1": f1, "selected": float(sel.mean())}


def auroc_by_epoch(losses: np.ndarray, is_clean: np.ndarray, seed: int = 0) -> np.ndarray:
    """AUROC of :func:`clean_probability` against the truth for each row of ``losses [E, N]``:
    how well the small-loss split works after every epoch (the per-sample arrays of a record,
    :func:`lnl.records.per_sample`)."""
    return np.array([detection_metrics(clean_probability(np.asarray(loss, dtype=np.float64), seed=seed),
                                       is_clean)["auroc"] for loss in losses])
