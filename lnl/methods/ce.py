"""Cross-entropy: the baseline every method of the book is compared with.

Standard empirical risk minimisation on the given (possibly noisy) labels ỹ,

    L = (1/B) Σ_i −log softmax(f(x_i))_{ỹ_i}.

With enough capacity a network first fits the clean majority and then memorises the mislabelled
samples, so its test accuracy rises and then falls: the memorisation curve that the Foundations
chapter draws from this method's run records.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch.nn.functional as F

from lnl.engine import Context, Method


@dataclass(frozen=True)
class CEConfig:
    """CE has no settings of its own: optimiser and schedule are the run's."""


class CE(Method):
    name = "ce"
    Config = CEConfig

    def configure(self, ctx: Context) -> None:
        self.net = ctx.build_model()
        ctx.optimizer(self.net.parameters())

    def training_step(self, batch, ctx: Context):
        logits = self.net(batch["x"])                          # [B, C]
        return {"loss": F.cross_entropy(logits.float(), batch["y"])}
