"""Co-teaching: two networks, each training on the small-loss samples its peer selects.

B. Han, Q. Yao, X. Yu, G. Niu, M. Xu, W. Hu, I. Tsang, M. Sugiyama, "Co-teaching: Robust Training
of Deep Neural Networks with Extremely Noisy Labels", NeurIPS 2018 (arXiv 1804.06872). Official
code: bhanML/Co-teaching.

=============  ==========================================================================
f, g           the two networks (``net1``, ``net2``), same architecture, different initialisations
ℓ(f, x_i)      per-sample cross-entropy of f against the given label ỹ_i
R(T)           share of each mini-batch kept as "clean" in epoch T
τ              the forget rate: the noise rate, assumed known (§3; ``tau=None`` takes the run's
               nominal rate, and the record's ``assumptions`` says so)
T_k            epochs over which R(T) falls from 1 to 1 − τ (paper: 10)
=============  ==========================================================================

Algorithm 1, per mini-batch D̄ of a shuffled epoch T (counted from 1):

- l. 4: D̄_f = argmin_{D': |D'| ≥ R(T)|D̄|} ℓ(f, D'), the R(T)|D̄| samples of smallest loss under f;
- l. 5: D̄_g likewise under g;
- l. 6: update f on D̄_g, the peer's selection: w_f ← w_f − η∇ℓ(f, D̄_g);
- l. 7: update g on D̄_f;
- l. 8, at the end of epoch T: R(T) = 1 − min(T/T_k · τ, τ). Epoch T thus uses R(T − 1): all of the
  first epoch's samples are kept.

Each network's errors are filtered by the other, whose different initialisation makes it select
differently: the "exchange" the paper credits for beating self-selection (its Fig. 4 ablation).

The paper's optimiser (§4): Adam, lr 0.001, batch 128, 200 epochs. The official code
(``main.py``) adds a schedule: from ``epoch_decay_start`` (80 on CIFAR-10, 100 on CIFAR-100) the LR
decays linearly to 0 and Adam's β₁ drops from 0.9 to 0.1. As a run: ``optimizer="adam", lr=1e-3,
weight_decay=0, schedule=Schedule("linear", milestones=(80,))``; the β₁ switch follows the linear
schedule's start (``beta1_after``). :data:`PRESETS` holds these settings, with ``augment=False``:
the code trains on ``transforms.ToTensor()`` alone, no crop or flip. Two differences remain (see
:data:`PRESET_SOURCES`): the library normalises every image by the data set's mean and standard
deviation, and its network is the run's (``resnet20`` on CIFAR), not the code's 9-layer CNN, which
``lnl.models`` does not have. The code's loop trains entries 1 to 199 of its 200-entry plans (entry
0 is only evaluated), so its LR and β₁ run one epoch ahead of a 200-epoch run here, whose epoch
``e`` (from 0) takes entry ``e``.

T_k is an epoch count of the paper's 200-epoch run: a shorter run keeps its share of the run
(:meth:`lnl.engine.Method.phase`; 1 epoch of 20), and a value given with ``--param`` is kept.

Paper and code differ in the ramp of R(T). The code's forget rate is
``rate_schedule = np.ones(n_epoch) * τ; rate_schedule[:T_k] = np.linspace(0, τ^c, T_k)``, read as
``rate_schedule[epoch]`` in its loop ``for epoch in range(1, n_epoch)``: its first trained epoch
already forgets τ^c/(T_k − 1), and it reaches τ in epoch T_k − 1 (epoch 9 for T_k = 10), two epochs
before the paper's form (epoch T_k + 1 = 11). ``ramp="code"`` selects it, with ``exponent`` c (1 in
the paper's runs). Both keep ``int(R · |D̄|)`` samples (floor).

Per-sample scores for the engine (``ctx.log_per_sample``): ``selected``, whether net1 kept sample i
in its last batch of the epoch (the paper's "label precision" is its precision), and
``small_loss``, minus net1's loss on it, whose AUROC measures the small-loss split before the cut.
``selection_overlap``, the share of net1's selection that net2 also selected, measures how much
the two networks disagree on what to drop.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from lnl.engine import Context, Method, Piecewise, RunConfig, Schedule
from lnl.losses import one_hot
from lnl.methods.plugins import Host, Part
from lnl.params import Epochs
from lnl.sources import code, ours, paper

RAMPS = ("paper", "code")

# The paper's settings (§4) and the official code's schedule (main.py), as run fields. The code
# trains on ToTensor() alone (augment=False) with its 9-layer CNN, which lnl.models does not have:
# the preset takes the run's CIFAR network (PRESET_SOURCES says so).
_ADAM = dict(model="resnet20", optimizer="adam", lr=1e-3, weight_decay=0.0, batch_size=128, epochs=200,
             augment=False)
PRESETS = {
    "cifar10": dict(_ADAM, schedule=Schedule("linear", milestones=(80,))),
    "cifar100": dict(_ADAM, schedule=Schedule("linear", milestones=(100,))),
}


@dataclass(frozen=True)
class CoteachingConfig:
    tau: float | None = None          # τ, forget rate; None: the run's nominal noise rate (assumed known, §3)
    t_k: Epochs = 10                  # T_k, epochs of the ramp of R(T) (§4: 10 of 200); a float is a share of the run
    ramp: str = "paper"               # paper: min(T/T_k, 1) τ; code: main.py's rate_schedule
    exponent: float = 1.0             # c of the code's ramp (its --exponent, 1)
    beta1_after: float | None = 0.1   # Adam β₁ from the start of a "linear" LR decay (code: 0.1); None: keep

    def __post_init__(self):
        if self.tau is not None and not 0 <= self.tau < 1:
            raise ValueError(f"Co-teaching needs 0 ≤ tau < 1, got {self.tau}.")
        if self.ramp not in RAMPS:
            raise ValueError(f"Co-teaching ramp must be one of: {', '.join(RAMPS)}; got '{self.ramp}'.")
        if self.exponent <= 0 or (self.beta1_after is not None and not 0 <= self.beta1_after < 1):
            raise ValueError("Co-teaching needs exponent > 0 and 0 ≤ beta1_after < 1.")


_CODE = "bhanML/Co-teaching main.py"
SOURCES = {
    "tau": paper("§3: the forget rate is the noise rate, assumed known",
                 "None takes the run's nominal rate, as the code's --forget_rate None takes --noise_rate"),
    "t_k": paper("§4: T_k = 10 of the 200 epochs", "the code's --num_gradual 10", schedule=200),
    "ramp": paper("Algorithm 1, l. 8: R(T) = 1 − min{T/T_k · τ, τ}",
                  f"'code' selects {_CODE}'s rate_schedule, two epochs sooner at τ"),
    "exponent": code(f"{_CODE} --exponent 1", "c of the code's ramp; the paper's R(T) has none"),
    "beta1_after": code(f"{_CODE}: mom2 = 0.1, Adam's β₁ from epoch_decay_start on",
                        "the paper states Adam with momentum 0.9 only"),
}

_NO_AUGMENT = code(f"{_CODE}: transform=transforms.ToTensor() for the training set, no crop or flip",
                   "the library still normalises by the data set's mean and std; the code does not")
_NO_CNN = ours("lnl.models has no 9-layer CNN: the run's CIFAR network",
               "the official code trains model.py's CNN: 9 3x3 convolutions (128, 128, 128, 256, 256, 256, "
               "512, 256, 128) with batch norm, leaky ReLU, two max-pools with dropout 0.25, average pooling")
PRESET_SOURCES = {
    name: {"model": _NO_CNN,
           "optimizer": paper("§4: Adam", f"{_CODE}: torch.optim.Adam"),
           "lr": paper("§4: learning rate 0.001", f"{_CODE} --lr 0.001"),
           "weight_decay": code(f"{_CODE}: torch.optim.Adam(params, lr=learning_rate), no weight decay"),
           "batch_size": paper("§4: batch size 128", f"{_CODE}: batch_size = 128"),
           "epochs": paper("§4: 200 epochs", f"{_CODE} n_epoch = 200; its loop trains entries 1 to 199 of its "
                                             "plans, this run entries 0 to 199"),
           "schedule": code(f"{_CODE}: epoch_decay_start = {start} for {name}; alpha_plan falls linearly to 0 "
                            "from there, beta1_plan to mom2 = 0.1"),
           "augment": _NO_AUGMENT}
    for name, start in (("cifar10", 80), ("cifar100", 100))
}


def forget_rate(e: int, tau: float, t_k: int, ramp: str = "paper", exponent: float = 1.0) -> float:
    """1 − R for 0-based epoch ``e``.

    ``paper``: l. 8 with T = e, the rate set at the end of the previous epoch (epoch 1 keeps all).
    ``code``: the official ``rate_schedule`` (``np.linspace(0, τ^c, T_k)``, then τ) at entry ``e + 1``,
    since the code's loop ``for epoch in range(1, n_epoch)`` trains its first epoch on entry 1."""
    if ramp == "code":
        entry = e + 1                                      # rate_schedule[epoch], epoch from 1
        return tau ** exponent * (entry / (t_k - 1)) if entry < t_k else tau
    return tau * min(e / t_k, 1.0) if t_k > 0 else tau


def full_rate_epoch(tau: float, t_k: int, ramp: str = "paper", exponent: float = 1.0) -> int:
    """The first epoch (from 1) that forgets the full τ."""
    return next(e + 1 for e in range(t_k + 2) if forget_rate(e, tau, t_k, ramp, exponent) == tau)


def small_loss_selection(losses: Tensor, keep: float) -> Tensor:
    """Indices of the ``int(keep · B)`` smallest of ``losses [B]`` (l. 4-5)."""
    return losses.detach().argsort()[: int(keep * len(losses))]


def selection_summary(is_clean, keep_f, keep_g) -> dict[str, float]:
    """How clean two small-loss selections are and how much they share, against the truth (for the
    book: a method never sees it). ``is_clean [B]`` bool; ``keep_f``, ``keep_g`` indices into it."""
    import numpy as np

    is_clean, keep_f, keep_g = (np.asarray(a) for a in (is_clean, keep_f, keep_g))
    both = np.intersect1d(keep_f, keep_g)
    return {"samples": len(is_clean), "clean share": float(is_clean.mean()),
            "D̄_f: precision": float(is_clean[keep_f].mean()), "D̄_g: precision": float(is_clean[keep_g].mean()),
            "kept by both: share of D̄_f": len(both) / len(keep_f),
            "kept by both: precision": float(is_clean[both].mean()) if len(both) else float("nan")}


class Coteaching(Host, Method):
    """Alg. 1: ``configure`` the two networks; ``training_step`` l. 3-7; R(T) of l. 8 from the epoch."""

    name = "coteaching"
    summary = "two networks, each training on the small-loss samples its peer selects"
    cost = 2.0                        # two networks; measured on 2 CPU cores (benchmarks/methods.py): 1.7-2.4
    colour = "#56b4e9"                # Okabe-Ito sky blue
    detection = "small_loss"          # net1's losses rank the samples net2 trains on
    Config = CoteachingConfig
    presets = PRESETS
    sources = SOURCES
    preset_sources = PRESET_SOURCES
    automatic_optimization = False
    reported_output = "net1"

    def configure(self, ctx: Context) -> None:
        c, cfg = self.config, ctx.cfg
        self.tau = c.tau if c.tau is not None else self.known_noise_rate(cfg)
        self.t_k = self.phase(ctx, "t_k")                 # §4: 10 of 200 epochs, or the paper's share
        self.net1, self.net2 = ctx.build_model(), ctx.build_model()     # f, g: different initialisations
        schedules = {}
        if c.beta1_after is not None and cfg.optimizer == "adam" and cfg.schedule.kind == "linear":
            start = cfg.schedule.milestones[0] if cfg.schedule.milestones else 0
            schedules = {"beta1": Piecewise((start,), (0.9, c.beta1_after))}
        self.opt1 = ctx.optimizer(self.net1.parameters(), name="net1", schedules=schedules)
        self.opt2 = ctx.optimizer(self.net2.parameters(), name="net2", schedules=schedules)
        n = ctx.num_train
        self.register_buffer("selected", torch.zeros(n, device=ctx.device))     # net1's D̄_f, last seen
        self.register_buffer("loss1", torch.zeros(n, device=ctx.device))        # ℓ(f, x_i), last seen

    @staticmethod
    def known_noise_rate(cfg: RunConfig) -> float:
        if cfg.noise in ("none", "human"):
            raise ValueError(f"Co-teaching's forget rate τ is the noise rate, which a run with noise "
                             f"'{cfg.noise}' does not state; set it with --param tau=<estimate>.")
        return cfg.rate

    def assumptions(self, ctx: Context) -> dict:
        source = "set by the user" if self.config.tau is not None else \
            "the run's nominal noise rate: the paper assumes the noise rate known (§3)"
        return {"tau": self.tau, "tau_source": source}

    def keep_rate(self, e: int) -> float:
        """R for 0-based epoch ``e``."""
        c = self.config
        return 1.0 - forget_rate(e, self.tau, self.t_k, c.ramp, c.exponent)

    def phases(self, ctx: Context) -> dict[str, int]:
        c = self.config
        return {f"the full forget rate τ = {self.tau:g}": full_rate_epoch(self.tau, self.t_k, c.ramp, c.exponent)} \
            if self.tau > 0 else {}

    def training_step(self, batch, ctx: Context):
        x, y, idx = batch["x"], batch["y"], batch["idx"]
        R = self.keep_rate(ctx.epoch)
        out_f, out_g = self.net1(x, features=True), self.net2(x, features=True)
        loss_f = F.cross_entropy(out_f.logits.float(), y, reduction="none")    # ℓ(f, x_i), [B]
        loss_g = F.cross_entropy(out_g.logits.float(), y, reduction="none")    # ℓ(g, x_i), [B]
        keep_f = small_loss_selection(loss_f, R)                               # l. 4: D̄_f
        keep_g = small_loss_selection(loss_g, R)                               # l. 5: D̄_g
        update_f, update_g = loss_f[keep_g].mean(), loss_g[keep_f].mean()
        y1 = one_hot(y, ctx.num_classes)                     # a plug-in's views of what each network learns from
        extra_f = self.plug(ctx, Part(self.net1, x, out_f, idx, y1, key="net1").select(keep_g, update_f))
        extra_g = self.plug(ctx, Part(self.net2, x, out_g, idx, y1, key="net2").select(keep_f, update_g))
        if extra_f is not None:                                # CE over D̄_g (D̄_f) and its views, its terms
            update_f, update_g = extra_f.views[0].loss + extra_f.loss, extra_g.views[0].loss + extra_g.loss
        ctx.step(update_f, self.opt1)                                          # l. 6: f learns from D̄_g
        ctx.step(update_g, self.opt2)                                          # l. 7: g learns from D̄_f
        self.loss1.index_copy_(0, idx, loss_f.detach())
        self.selected[idx] = 0.0
        self.selected[idx[keep_f]] = 1.0
        agree = torch.zeros(len(y), dtype=torch.bool, device=y.device)
        agree[keep_f] = True
        shared = agree[keep_g].float().sum() / max(len(keep_f), 1)               # |D̄_f ∩ D̄_g| / |D̄_f|
        return {"loss": loss_f[keep_g].detach().mean(), "loss_net2": loss_g[keep_f].detach().mean(),
                "keep_rate": torch.tensor(R), "selection_overlap": shared}

    def on_epoch_end(self, ctx: Context) -> None:
        ctx.log_per_sample("selected", self.selected, threshold=0.5)
        ctx.log_per_sample("small_loss", -self.loss1, threshold=None)

    def predict(self, x: Tensor) -> dict[str, Tensor]:
        z1, z2 = self.net1(x).float(), self.net2(x).float()
        p = (torch.softmax(z1, 1) + torch.softmax(z2, 1)) / 2                  # averaged probabilities
        return {"net1": z1, "net2": z2, "ensemble": torch.log(p.clamp_min(1e-12))}
