"""Mixup (Zhang, Cissé, Dauphin, Lopez-Paz, "mixup: Beyond Empirical Risk Minimization", ICLR 2018,
arXiv 1710.09412).

Train on convex combinations of pairs of samples and of their labels:

    λ ~ Beta(α, α)                       one λ per batch (the paper's code)
    x̃ = λ x_i + (1 − λ) x_π(i)           π a random permutation of the batch
    L = λ CE(f(x̃), ỹ_i) + (1 − λ) CE(f(x̃), ỹ_π(i))

The paper's §3.4 shows it resists label corruption: a mislabelled sample is rarely fitted because
its wrong label is always mixed with another. It is the ingredient DivideMix, MixNN and IEG build
on (MixNN replaces the random partner π(i) by a nearest neighbour, and λ by clean probabilities).

=========  ====================================================================
α          Beta parameter (paper §3.4 uses α ∈ {8, 32} for corrupted labels; 1, a
           uniform λ, is the official CIFAR code's default)
=========  ====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lnl.engine import Context, Method
from lnl.losses import mix, one_hot, soft_cross_entropy
from lnl.sources import code


@dataclass(frozen=True)
class MixupConfig:
    alpha: float = 1.0  # α of Beta(α, α); the official code's --alpha 1 (uniform λ)


class Mixup(Method):
    name = "mixup"
    summary = "train on convex combinations of pairs of samples and of their labels"
    cost = 1.0                 # one forward and backward of a mixed batch, as CE's
    colour = "#e69f00"         # Okabe-Ito orange
    Config = MixupConfig
    sources = {"alpha": code("facebookresearch/mixup-cifar10 train.py --alpha 1",
                             "uniform λ; §3.4's corrupted-label runs use α ∈ {8, 32}")}

    def configure(self, ctx: Context) -> None:
        self.net = ctx.build_model()
        ctx.optimizer(self.net.parameters())

    def training_step(self, batch, ctx: Context):
        x, y = batch["x"], one_hot(batch["y"], ctx.num_classes)
        lam = float(ctx.numpy_generator("mixup").beta(self.config.alpha, self.config.alpha)) \
            if self.config.alpha > 0 else 1.0
        perm = torch.randperm(len(x), generator=ctx.generator("mixup-pairs"), device=ctx.device)
        x_mix = mix(x, x[perm], lam)                           # x̃ = λ x_i + (1 − λ) x_π(i)
        y_mix = mix(y, y[perm], lam)                           # λ ỹ_i + (1 − λ) ỹ_π(i)
        return {"loss": soft_cross_entropy(self.net(x_mix), y_mix), "lam": torch.tensor(lam)}
