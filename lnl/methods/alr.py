"""ALR: adaptive label refinement, a reconstruction. Hard labels first; then soft targets that a
temporal ensemble of the network's predictions refines, and an entropy term that hardens the
confident predictions.

W. Zhang, D. Cheng, G. Lu, B. Zhou, J. Li, S. Zhang, "Efficient Adaptive Label Refinement for Label
Noise Learning", Neurocomputing 2025 (arXiv 2502.00386). **No official code and no equation of the
method survive in this book's copy of the paper** (its seed text holds the abstract, the TL;DR,
the figure captions and a fragment of Theorem 1). What follows is labelled piece by piece:

=====================  =================================  ==========================================
piece                  what the seed text says            what is reconstructed, and from what
=====================  =================================  ==========================================
two phases             Fig. 3: a warm-up with CE on the   the length of phase 1 (``warmup``): SELC's
                       noisy labels y, then a label       start epoch, 40 of 200 epochs at 80 %
                       refinement phase                   noise (Lu & He's public code, the closest
                                                          relative): 0.2 of the run
target update          Fig. 3: "at each epoch, t(e)       the form t ← α t + (1 − α) p (a weighted
                       blends t(e − 1) and the current    sum, as the caption says); α = 0.9 (SELC's
                       prediction p(e), using a           code); t(0) = onehot(ỹ) (abstract: hard
                       weighted sum"                      labels are updated to soft ones)
update timing          "at each epoch" (Fig. 3)           ``update="epoch"``: once per epoch, from the
                                                          network's prediction at the start of the
                                                          epoch (eval mode, no augmentation);
                                                          ``"batch"``: SELC's code, each batch's own
                                                          train-mode prediction before its loss
loss                   Fig. 3: L_ce in phase 1; soft      −Σ_c t_c log p_c + λ H(p) (notes §4):
                       labels and an entropy loss L_e     Theorem 1's fragment, with a weight λ on
                       in phase 2; TL;DR: "a small        the entropy
                       entropy regularization"
λ                      Theorem 1: "λ ∈ (0, 1)"            ``entropy_weight = 0.1``: "small" (TL;DR),
                                                          inside (0, 1); the replication sweeps it
entropy in phase 1     Fig. 3: phase 1 trains "using      none (``entropy_in_warmup = False``): the
                       cross-entropy loss L_ce"; the      caption's reading, nothing reconstructed
                       entropy term is "incorporated"
                       in phase 2
=====================  =================================  ==========================================

:data:`SOURCES` gives each setting's source as data (``lnl defaults alr``). Phase 1 is a share of
the run (0.2), so it has a length in a run of any length; no other setting counts epochs.

**Theorem 1** (fragment). The sample-wise loss can be rewritten as

    ℓ_ALR = −Σ_k t_[k] log p_[k] − Σ_k p_[k] log p_[k]                                   (Thm. 1)

(the bracketed index sorts the classes). This is soft-label CE plus the entropy H(p) with weight
**one**: the fragment has no λ, although the theorem goes on to name "λ ∈ (0, 1)". The weighted
form this module trains, ℓ = CE(t, p) + λ H(p) (:func:`alr_loss`), is the fragment at λ = 1
(:func:`theorem1_loss`); we read the λ of the theorem as that weight, which the TL;DR calls small.

**The gradient** in the logits z (derived in the tutorial; :func:`alr_gradient`):

    ∂ℓ/∂z_j = (p_j − t_j) − λ p_j (log p_j + H(p)).

Gradient descent moves z_j by +η λ p_j (log p_j + H): since H ≥ −log p_max, the entropy part
always raises the arg-max logit (:func:`hardening`). It vanishes at the uniform prediction
(log p_j = −H for every j) and at a one-hot one (p_j log p_j = 0, H = 0), and is largest in between.

**Baseline "LR"** (label refurbishment, the paper's Figures 1 and 5): ``entropy_weight=0``, the same
targets without the entropy term.

The engine gets ``target_given = t_{i,ỹ_i}`` for every sample (``ctx.log_per_sample``), a clean
score whose AUROC the history holds, and per batch ``grad_coef`` (−∂ℓ/∂z_ỹ, the pull on the given
label's logit; 1 − p_ỹ for CE) and ``entropy_pull`` (the entropy part's push on it, per unit λ) for
clean and mislabelled samples. ``trace`` keeps the targets of the first ``trace`` training samples
after every epoch, for the tutorial's target trajectories.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from lnl.engine import Context, Method
from lnl.losses import at_least_float32, entropy, one_hot, soft_cross_entropy, temporal_ensemble
from lnl.params import Epochs, epochs_of
from lnl.sources import ours, paper, reconstructed

UPDATES = ("epoch", "batch")


@dataclass(frozen=True)
class ALRConfig:
    warmup: Epochs = 0.2            # phase 1, CE on ỹ [RECON: SELC's E_s, 40 of 200 epochs at 80 %]
    alpha: float = 0.9              # α, momentum of the target ensemble [RECON: SELC's code]
    entropy_weight: float = 0.1     # λ [RECON: "small" (TL;DR), λ ∈ (0, 1) (Thm. 1)]; 0: baseline LR
    update: str = "epoch"           # epoch (Fig. 3: "at each epoch") or batch (SELC's code)
    entropy_in_warmup: bool = False  # Fig. 3: the entropy loss joins in the refinement phase
    trace: int = 64                 # samples whose targets are kept after every epoch (trajectories)

    def __post_init__(self):
        if self.update not in UPDATES:
            raise ValueError(f"ALR update must be one of: {', '.join(UPDATES)}; got '{self.update}'.")
        try:
            epochs_of(self.warmup, 1)
        except ValueError:
            raise ValueError(f"ALR warmup must be a number of epochs or a share of the run in [0, 1], "
                             f"got {self.warmup!r}.") from None
        if not (0 <= self.alpha < 1 and self.entropy_weight >= 0 and self.trace >= 0):
            raise ValueError(f"ALR needs 0 ≤ alpha < 1, entropy_weight ≥ 0 and trace ≥ 0, got {self.alpha}, "
                             f"{self.entropy_weight}, {self.trace}.")


_SELC = "MacLLL/SELC class-conditional_noise/train_cifar_with_SELC.py"
SOURCES = {
    "warmup": reconstructed("the length of phase 1: Fig. 3 names a warm-up phase of CE on the noisy labels, "
                            "and no length survives",
                            f"SELC's start of its target ensemble at 80 % symmetric noise on CIFAR-10, 40 of 200 "
                            f"epochs in {_SELC}, kept as a share of the run: 0.2"),
    "alpha": reconstructed("α, the weight of Fig. 3's \"weighted sum\" of t(e − 1) and p(e): no value survives",
                           f"SELC's α = 0.9 in {_SELC}, the closest public code's temporal ensemble"),
    "entropy_weight": reconstructed("λ, the weight of the entropy loss: Theorem 1 names \"λ ∈ (0, 1)\" and no "
                                    "value survives",
                                    "0.1: \"a small entropy regularization\", the TL;DR, inside (0, 1); the "
                                    "replication sweeps it; 0 is LR, the baseline of the paper's Figs. 1 and 5"),
    "update": reconstructed("when within an epoch t is updated: Fig. 3 says only \"at each epoch\"",
                            "epoch: once, from the prediction the epoch starts with, in eval mode without "
                            "augmentation; batch: SELC's, each batch's train-mode prediction before its loss, "
                            f"{_SELC}"),
    "entropy_in_warmup": paper("Fig. 3: \"In the warm-up phase, the model is trained using cross-entropy loss "
                               "L_ce\"; the entropy loss L_e is \"incorporated\" in the label refinement phase"),
    "trace": ours("the tutorial's target trajectories need a few dozen samples' targets after every epoch; "
                  "64 keep the buffer small, epochs × 64 × C", "a diagnostic: the training does not read it"),
}


# ----------------------------------------------------------------------------------------------
# One small function per piece
# ----------------------------------------------------------------------------------------------

def refine_targets(t: Tensor, p: Tensor, alpha: float) -> Tensor:
    """Phase 2's update (Fig. 3): t(e) = α t(e − 1) + (1 − α) p(e), ``[B, C]`` probabilities."""
    return temporal_ensemble(t, p.detach(), alpha)


def alr_loss(logits: Tensor, t: Tensor, entropy_weight: float) -> Tensor:
    """ℓ_i = −Σ_c t_ic log p_ic + λ H(p_i) per sample ``[B]`` (the weighted form of Thm. 1)."""
    p = torch.softmax(at_least_float32(logits), dim=1)
    return soft_cross_entropy(logits, t, reduction="none") + entropy_weight * entropy(p)


def theorem1_loss(logits: Tensor, t: Tensor) -> Tensor:
    """Theorem 1's fragment as printed, −Σ t log p − Σ p log p, per sample ``[B]``: λ = 1."""
    logp = F.log_softmax(at_least_float32(logits), dim=1)
    return -(t * logp).sum(dim=1) - (logp.exp() * logp).sum(dim=1)


def entropy_gradient(logits: Tensor) -> Tensor:
    """∂H(p)/∂z_j = −p_j (log p_j + H(p)), ``[B, C]``."""
    logp = F.log_softmax(at_least_float32(logits), dim=1)
    p = logp.exp()
    H = -(p * logp).sum(dim=1, keepdim=True)
    return -p * (logp + H)


def alr_gradient(logits: Tensor, t: Tensor, entropy_weight: float) -> Tensor:
    """∂ℓ/∂z = (p − t) + λ ∂H/∂z = (p − t) − λ p ⊙ (log p + H), ``[B, C]``."""
    p = torch.softmax(at_least_float32(logits), dim=1)
    return (p - t) + entropy_weight * entropy_gradient(logits)


def hardening(logits: Tensor) -> Tensor:
    """How far one descent step on H raises the arg-max logit, per unit λ and step size:
    p_max (log p_max + H) ≥ 0 ``[B]``; zero at a uniform and at a one-hot prediction."""
    return -entropy_gradient(logits).gather(1, logits.argmax(dim=1, keepdim=True)).squeeze(1)


def given_label_pull(logits: Tensor, t: Tensor, y: Tensor, entropy_weight: float) -> tuple[Tensor, Tensor]:
    """On the given label's logit z_ỹ: the whole pull −∂ℓ/∂z_ỹ (CE: 1 − p_ỹ) and the entropy
    part's, p_ỹ (log p_ỹ + H) per unit λ: positive where ỹ is the confident class, negative where
    the network predicts another one. Both ``[B]``."""
    idx = y[:, None]
    p, dH = torch.softmax(at_least_float32(logits), dim=1), entropy_gradient(logits)    # once per step
    pull = -((p - t) + entropy_weight * dH).gather(1, idx).squeeze(1)                 # eq. of alr_gradient
    return pull, -dH.gather(1, idx).squeeze(1)


# ----------------------------------------------------------------------------------------------
# The method, in the order of Fig. 3
# ----------------------------------------------------------------------------------------------

class ALR(Method):
    """Fig. 3: phase 1 (``warmup`` epochs of CE on ỹ), then phase 2 (targets refined every epoch or
    batch, soft-label CE plus λ H(p))."""

    name = "alr"
    summary = "adaptive label refinement (a reconstruction): refined soft targets and an entropy term"
    cost = 1.0                          # one network, one forward and backward per batch, as CE
    colour = "#8c564b"                  # Tableau brown
    detection = "target_given"          # the refined target's mass on the given label
    Config = ALRConfig
    sources = SOURCES

    def configure(self, ctx: Context) -> None:
        self.warmup = self.phase(ctx, "warmup")               # phase 1: 0.2 of the run [RECON]
        self.net = ctx.build_model()
        ctx.optimizer(self.net.parameters())
        self.register_buffer("t", one_hot(ctx.labels, ctx.num_classes))          # t(0) = onehot(ỹ)
        k = min(self.config.trace, ctx.num_train)
        self.register_buffer("trace", torch.zeros(ctx.cfg.epochs, k, ctx.num_classes, device=ctx.device))

    def refining(self, e: int) -> bool:
        """Whether epoch ``e`` (from 1) is in phase 2."""
        return e > self.warmup

    def phases(self, ctx: Context) -> dict[str, int]:
        return {f"label refinement (after {self.warmup} warm-up epochs)": self.warmup + 1}

    # phase 2, update="epoch": t(e) from the prediction p(e) of the network that epoch e starts with
    def on_epoch_start(self, ctx: Context) -> None:
        if self.config.update == "epoch" and self.refining(ctx.epoch + 1):
            p = torch.softmax(ctx.train_logits(self.net), dim=1)                 # [N, C], eval mode
            self.t.copy_(refine_targets(self.t, p, self.config.alpha))

    def training_step(self, batch, ctx: Context):
        c, idx, y = self.config, batch["idx"], batch["y"]
        logits = self.net(batch["x"]).float()                                    # [B, C]
        if not self.refining(ctx.epoch + 1):                                     # phase 1: L_ce on ỹ
            t, lam = one_hot(y, ctx.num_classes), (c.entropy_weight if c.entropy_in_warmup else 0.0)
        else:                                                                    # phase 2
            if c.update == "batch":                                              # SELC: before the loss
                self.t.index_copy_(0, idx, refine_targets(self.t[idx], torch.softmax(logits, 1), c.alpha))
            t, lam = self.t[idx], c.entropy_weight
        loss = alr_loss(logits, t, lam)                                          # CE(t, p) + λ H(p)
        with torch.no_grad():
            pull, entropy_pull = given_label_pull(logits, t, y, lam)
            H = entropy(torch.softmax(logits, 1)).mean()
        return {"loss": loss.mean(), "entropy": H,
                "by_truth": {"grad_coef": pull, "entropy_pull": entropy_pull}}

    def on_epoch_end(self, ctx: Context) -> None:
        self.trace[ctx.epoch] = self.t[: self.trace.shape[1]]
        ctx.log_per_sample("target_given", self.t.gather(1, ctx.labels[:, None]).squeeze(1), threshold=None)
        ctx.log(t_relabelled=(self.t.argmax(dim=1) != ctx.labels).float().mean())
