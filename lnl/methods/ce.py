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
from lnl.losses import one_hot
from lnl.methods.plugins import Host, Part


@dataclass(frozen=True)
class CEConfig:
    """CE has no settings of its own: optimiser and schedule are the run's."""


class CE(Host, Method):
    name = "ce"
    Config = CEConfig
    sources = {}               # no settings of its own, so none to trace
    summary = "cross-entropy on the given labels: the baseline"
    cost = 1.0                 # the unit of every method's training cost
    colour = "#4d4d4d"         # the baseline: grey

    def configure(self, ctx: Context) -> None:
        self.net = ctx.build_model()
        ctx.optimizer(self.net.parameters())

    def training_step(self, batch, ctx: Context):
        out = self.net(batch["x"], features=True)
        logits = out.logits.float()                            # [B, C]
        with torch.no_grad():                                  # 1 − p_ỹ: the CE gradient on the given
            p_given = torch.softmax(logits, 1).gather(1, batch["y"][:, None]).squeeze(1)   # logit
        loss = F.cross_entropy(logits, batch["y"])
        extra = self.plug(ctx, Part(self.net, batch["x"], out, batch["idx"], one_hot(batch["y"], ctx.num_classes),
                                    loss=loss))
        if extra is not None:                                  # a plug-in's: CE over x and its views, its terms
            loss = extra.views[0].loss + extra.loss
        return {"loss": loss, "by_truth": {"grad_coef": 1 - p_given}}
