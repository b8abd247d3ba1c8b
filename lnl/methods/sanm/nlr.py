"""NLR: noisy label regularisation (§2.4, eq. 6-7), the targets of the masked images, and the host's
loss over the images and their masked views together (eq. 8)."""

from __future__ import annotations

import torch
from torch import Tensor


def modulate_labels(y_hat: Tensor, sigma: Tensor) -> Tensor:
    """Eq. (6)-(7): ỹ_c = ŷ_c − σ for the top class k of ŷ, ŷ_c + σ/(C − 1) for every other c.
    Reconstructed: the text penalises class k "with the mask ratio" and raises the others
    "uniformly"; the amounts are the code's (``attention_erase_map``). Rows still sum to 1; σ is
    capped at ŷ_k so that no probability turns negative (the code does not cap: its ratios stay
    below 0.1, and its DivideMix targets are sharpened). A prediction whose top class holds no more
    than σ (σ ≥ σ_b = 0.2 by default; a flat prediction over ten classes holds 0.1) loses that class
    entirely, and its largest entry moves to another class."""
    C = y_hat.shape[1]
    k = y_hat.argmax(1, keepdim=True)
    s = torch.minimum(sigma.float().view(-1, 1), y_hat.gather(1, k))
    top = torch.zeros_like(y_hat).scatter_(1, k, 1.0)
    return y_hat - s * top + s / (C - 1) * (1 - top)


def pooled(loss: Tensor, masked_loss: Tensor) -> Tensor:
    """Eq. (8)'s host loss over x ∪ x̃ when the host's loss is a mean over the n images of x and the
    masked one a mean over their 2n masked images: (n loss + 2n masked) / 3n.

    Reconstructed: eq. (8)'s body was lost, and the text says only that x̃ and ỹ "are used for
    supervised loss calculation" with the cross-entropy. Every one of the 3n images weighs the
    same, as in the official code, whose masked images join the labelled pool as two of its equal
    groups of B images."""
    return (loss + 2 * masked_loss) / 3
