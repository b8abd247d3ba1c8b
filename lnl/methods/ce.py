"""Cross-entropy: the baseline every method of the book is compared with.

Standard empirical risk minimisation on the given (possibly noisy) labels ỹ,

    L = (1/B) Σ_i −log softmax(f(x_i))_{ỹ_i}.

With enough capacity a network first fits the clean majority and then memorises the mislabelled
samples, so its test accuracy rises and then falls: the memorisation curve that the Foundations
chapter draws from this method's run records.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
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
        logits = self.net(batch["x"]).float()                  # [B, C]
        with torch.no_grad():                                  # 1 − p_ỹ: the CE gradient on the given
            p_given = torch.softmax(logits, 1).gather(1, batch["y"][:, None]).squeeze(1)   # logit
        return {"loss": F.cross_entropy(logits, batch["y"]), "by_truth": {"grad_coef": 1 - p_given}}
