"""ELR: early-learning regularisation keeps the network near its own early, mostly correct
predictions.

S. Liu, J. Niles-Weed, N. Razavian, C. Fernandez-Granda, "Early-Learning Regularization Prevents
Memorization of Noisy Labels", NeurIPS 2020 (arXiv 2007.00151). Official code: shengliu66/ELR.

=============  ==========================================================================
p_i            softmax(f(x_i)) ``[C]``, clamped to [1e-4, 1 − 1e-4] (the code)
t_i            target ``[C]``: a temporal ensemble of sample i's past predictions, zeros at first
β              EMA momentum of t (CIFAR-10: 0.7; CIFAR-10 asymmetric and CIFAR-100: 0.9)
λ              weight of the regulariser (CIFAR-10: 3; CIFAR-10 asymmetric: 1; CIFAR-100: 7)
=============  ==========================================================================

In early learning the network predicts mostly the true class even of mislabelled samples; later
the CE gradient of a mislabelled sample pulls it to its wrong label (memorisation). ELR adds a term
that rewards agreement with the running target:

    t_i ← β t_i + (1 − β) p̂_i,   p̂_i = p_i / Σ_c p_ic, with no gradient           (§4.2, eq. 9)
    L = (1/B) Σ_i [ CE(p_i, ỹ_i) + λ log(1 − ⟨p_i, t_i⟩) ]                       (eq. 6)

Its gradient in the logits z_i (Lemma 4.2, :func:`elr_gradient`) is

    ∂/∂z_ic λ log(1 − ⟨p_i, t_i⟩) = λ p_ic (⟨p_i, t_i⟩ − t_ic) / (1 − ⟨p_i, t_i⟩),

which for a mislabelled sample whose target still points to the true class cancels the CE pull
towards ỹ_i. The targets are updated in the same step, before the loss, on the batch's samples.

The engine gets ``target_given = t_{i,ỹ_i}`` per sample (``ctx.log_per_sample``): how much of the
target sits on the given label, a clean score whose AUROC the history holds.

:data:`PRESETS` are the official code's configurations, each ResNet-34, SGD lr 0.02, momentum 0.9,
weight decay 1e-3, batch 128: ``config_cifar10.json`` (symmetric noise: 150 epochs, cosine restarts
with T_0 = 10 and eta_min 1e-3; β 0.7, λ 3), ``config_cifar10_asym.json`` (asymmetric noise: 120
epochs, ×0.01 at epochs 40 and 80; β 0.9, λ 1) and ``config_cifar100.json`` (150 epochs, ×0.01 at
epochs 80 and 120; β 0.9, λ 7). Only the first uses cosine restarts. ELR+ (two networks, weight
averaging, mixup) is not implemented.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from lnl.engine import Context, Method, Schedule
from lnl.losses import one_hot
from lnl.methods.plugins import Host, Part
from lnl.sources import code

CLAMP = 1e-4   # p clamped to [CLAMP, 1 − CLAMP] (the code): keeps log(1 − ⟨p, t⟩) finite

_CONFIG = "shengliu66/ELR ELR/config_{}.json"
_SGD = dict(model="resnet34", optimizer="sgd", lr=0.02, momentum=0.9, weight_decay=1e-3, batch_size=128,
            augment=True)
PRESETS = {
    "cifar10": dict(_SGD, epochs=150, schedule=Schedule("cosine-restarts", t0=10, eta_min=1e-3),
                    method_params={"beta": 0.7, "lam": 3.0}),
    "cifar10-asym": dict(_SGD, epochs=120, schedule=Schedule("multistep", milestones=(40, 80), gamma=0.01),
                         method_params={"beta": 0.9, "lam": 1.0}),
    "cifar100": dict(_SGD, epochs=150, schedule=Schedule("multistep", milestones=(80, 120), gamma=0.01),
                     method_params={"beta": 0.9, "lam": 7.0}),
}


def _config_sources(name: str, schedule: str, epochs: int, beta: float, lam: float) -> dict:
    """Each run setting of a preset, and where it is in its configuration file."""
    where = _CONFIG.format(name)
    keys = {"model": "arch.type resnet34", "optimizer": "optimizer.type SGD", "lr": "optimizer.args.lr 0.02",
            "momentum": "optimizer.args.momentum 0.9", "weight_decay": "optimizer.args.weight_decay 1e-3",
            "batch_size": "data_loader.args.batch_size 128", "epochs": f"trainer.epochs {epochs}",
            "schedule": f"lr_scheduler {schedule}", "method_params.beta": f"train_loss.args.beta {beta:g}",
            "method_params.lam": f"train_loss.args.lambda {lam:g}"}
    return {**{k: code(f"{where}: {v}") for k, v in keys.items()},
            "augment": code("shengliu66/ELR ELR/data_loader/data_loaders.py: RandomCrop(32, padding=4), "
                            "RandomHorizontalFlip, Normalize")}


PRESET_SOURCES = {
    "cifar10": _config_sources("cifar10", "CosineAnnealingWarmRestarts, T_0 10, eta_min 0.001", 150, 0.7, 3),
    "cifar10-asym": _config_sources("cifar10_asym", "MultiStepLR, milestones [40, 80], gamma 0.01", 120, 0.9, 1),
    "cifar100": _config_sources("cifar100", "MultiStepLR, milestones [80, 120], gamma 0.01", 150, 0.9, 7),
}


@dataclass(frozen=True)
class ELRConfig:
    beta: float = 0.7        # β, target EMA momentum (config_cifar10.json: 0.7; cifar10_asym, cifar100: 0.9)
    lam: float = 3.0         # λ, regulariser weight (config_cifar10.json: 3; cifar10_asym: 1; cifar100: 7)

    def __post_init__(self):
        if not (0 <= self.beta < 1 and self.lam >= 0):
            raise ValueError(f"ELR needs 0 ≤ beta < 1 and lam ≥ 0, got {self.beta}, {self.lam}.")


def clamped_probabilities(logits: Tensor) -> Tensor:
    """p = clamp(softmax(z), 1e-4, 1 − 1e-4) ``[B, C]`` (rows no longer sum exactly to 1)."""
    return torch.softmax(logits.float(), dim=1).clamp(CLAMP, 1 - CLAMP)


def ema_targets(t: Tensor, p: Tensor, beta: float) -> Tensor:
    """Eq. (9): t ← β t + (1 − β) p / Σ_c p, on detached ``p [B, C]``."""
    p = p.detach()
    return beta * t + (1 - beta) * p / p.sum(dim=1, keepdim=True)


def elr_regulariser(p: Tensor, t: Tensor) -> Tensor:
    """log(1 − ⟨p_i, t_i⟩) per sample ``[B]`` (eq. 6's second term, before λ and the mean)."""
    return torch.log(1 - (t * p).sum(dim=1))


def elr_gradient(logits: Tensor, t: Tensor) -> Tensor:
    """Lemma 4.2: ∂ log(1 − ⟨p, t⟩) / ∂z = p ⊙ (⟨p, t⟩ − t) / (1 − ⟨p, t⟩), ``[B, C]``, with the
    unclamped softmax p (the clamp only changes samples with a probability below 1e-4)."""
    p = torch.softmax(logits.float(), dim=1)
    s = (p * t).sum(dim=1, keepdim=True)
    return p * (s - t) / (1 - s)


class ELR(Host, Method):
    name = "elr"
    summary = "early-learning regularisation: stay near the network's own early predictions"
    cost = 1.0                        # one network; measured on 2 CPU cores (benchmarks/methods.py): 0.8-1.25
    colour = "#cc79a7"                # Okabe-Ito reddish purple
    detection = "target_given"        # the early-learning target's mass on the given label
    Config = ELRConfig
    presets = PRESETS
    sources = {
        "beta": code(f"{_CONFIG.format('cifar10')}: train_loss.args.beta 0.7",
                     "CIFAR-10, symmetric noise; config_cifar10_asym.json and config_cifar100.json: 0.9"),
        "lam": code(f"{_CONFIG.format('cifar10')}: train_loss.args.lambda 3",
                    "CIFAR-10, symmetric noise; config_cifar10_asym.json: 1, config_cifar100.json: 7"),
    }
    preset_sources = PRESET_SOURCES

    def configure(self, ctx: Context) -> None:
        self.net = ctx.build_model()
        ctx.optimizer(self.net.parameters())
        self.register_buffer("t", torch.zeros(ctx.num_train, ctx.num_classes, device=ctx.device))  # t_i = 0

    def training_step(self, batch, ctx: Context):
        idx, y = batch["idx"], batch["y"]
        out = self.net(batch["x"], features=True)
        logits = out.logits.float()
        p = clamped_probabilities(logits)
        self.t.index_copy_(0, idx, ema_targets(self.t[idx], p, self.config.beta))        # eq. (9)
        ce = F.cross_entropy(logits, y)
        reg = elr_regulariser(p, self.t[idx]).mean()
        loss = ce + self.config.lam * reg                                                  # eq. (6)
        extra = self.plug(ctx, Part(self.net, batch["x"], out, idx, one_hot(y, ctx.num_classes), loss=ce))
        if extra is not None:                  # a plug-in's: CE over x and its views, ELR's term on x, its terms
            loss = extra.views[0].loss + self.config.lam * reg + extra.loss
        return {"loss": loss, "ce": ce.detach(), "elr_reg": reg.detach()}

    def on_epoch_end(self, ctx: Context) -> None:
        ctx.log_per_sample("target_given", self.t.gather(1, ctx.labels[:, None]).squeeze(1), threshold=None)
