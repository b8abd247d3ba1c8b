"""The ELR tutorial's walk-through: one mislabelled sample's logits trained alone, with CE's
gradient and with ELR's λ g of Lemma 4.2 (eq. 6), the target held fixed or updated as the EMA of
eq. (9): how the regulariser keeps the early, correct prediction."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from lnl.losses import one_hot
from lnl.methods.elr import clamped_probabilities, elr_gradient, ema_targets


def hand_sample(num_classes: int, p_true: float, p_given: float, y_true: int = 0, y_given: int = 1) -> Tensor:
    """An early prediction ``[1, C]`` of a mislabelled sample: ``p_true`` on its true class, ``p_given``
    on its given one, the rest spread evenly over the other C − 2 classes."""
    p0 = torch.full((1, num_classes), (1 - p_true - p_given) / (num_classes - 2))
    p0[0, y_true], p0[0, y_given] = p_true, p_given
    return p0


def hand_descent(p0: Tensor, y_true: int, y_given: int, lam: float, beta: float, steps: int, eta: float,
                 with_elr: bool = True, ema_every: int | None = None):
    """p_y and p_ỹ ``[steps, 2]`` along plain gradient steps of size ``eta`` on the logits z = log p0
    of one sample with the given label ``y_given``: CE's gradient p − e_ỹ, plus λ g of Lemma 4.2
    ``with_elr`` (eq. 6), the target starting at p0 and, every ``ema_every`` steps (an "epoch"),
    updated by eq. (9); held fixed without ``ema_every``."""
    z, t, path = p0.log(), p0.clone(), []
    e_given = one_hot(torch.tensor([y_given]), p0.shape[1])
    for step in range(steps):
        p = torch.softmax(z, dim=1)
        path.append((float(p[0, y_true]), float(p[0, y_given])))
        z = z - eta * (p - e_given + (lam * elr_gradient(z, t) if with_elr else 0))   # CE + λ g, eq. (6)
        if ema_every and (step + 1) % ema_every == 0:
            t = ema_targets(t, clamped_probabilities(z), beta)                       # eq. (9)
    return np.array(path)
