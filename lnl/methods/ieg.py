"""IEG: isolation, escalation and guidance from a tiny trusted set.

Z. Zhang, H. Zhang, S. Ö. Arık, H. Lee, T. Pfister, "Distilling Effective Supervision from Severe
Label Noise", CVPR 2020 (arXiv 1910.00701; the book's copy is its first version, "IEG: Robust
neural network training to tackle severe label noise", whose equation numbers this module uses).
Official code: TensorFlow 1, ``google-research/ieg`` (``models/model.py``).

==============  ===============================================================================
D_u, D_p        the noisy training set and the clean probe set (``probe_per_class`` of each class,
                held out before the noise is drawn: the engine's ``probe`` stream). A step's probe
                batch is the whole probe set when it holds at most B images, else the next B of it
                in a fixed order (the stream is not shuffled, as in the code)
Φ(x; Θ)         the network's class probabilities; z its logits
ω, λ            per-sample loss weights and re-labelling controllers of a batch of B; ω₀ = 1/B and
                λ₀ = 0.9 (footnote 1) are where the meta-gradients are taken
g(x)            the pseudo label: the sharpened mean prediction over K views (§2.2.1)
P(λ_i)          λ_i y_i + (1 − λ_i) g_i, the target between the given label and the pseudo label
                (eq. 3)
α, μ, v         the look-ahead's step size and momentum, and the optimiser's momentum buffer
p, k            weights of L^u_β and L_KL (Alg. 1 l. 6; §3.2: 5 and 20)
T               the split threshold of Alg. 1 l. 4 (§3.2: 1)
==============  ===============================================================================

A training step, in Algorithm 1's order (:meth:`IEG.training_step`):

1. x̂: the K − 1 augmented views of the batch, each "learned policy augmentation → flip → random
   crop → cutout" (§3.1): the weak view (the data set's crop and flip), RandAugment on it for AA
   (``strong_aug``; the paper's AA is AutoAugment), then Cutout (:func:`lnl.augment.cutout`, a
   square of ``cutout`` times the image side: 16 px on CIFAR's 32, the code's size). Without AA
   this is Table 7's IEG-7, "flip → random crop → cutout".
2. g = Sharpen((1/K)(Φ(x) + Σ_k Φ(x̂_k)), τ) (§2.2.1; :func:`pseudo_labels`).
3. The meta step (§2.1; :func:`meta_step`): one virtual step of Θ on Σ_i ω_i L(P(λ_i), Φ(x_i; Θ)) at
   (ω₀, λ₀) (eq. 1, 3), "the exact momentum update using momentum value of the SGD optimizer"
   (§2.1): Θ' = Θ − α (μ v + ∇_Θ) with the optimiser's LR α, momentum μ and buffer v
   (:meth:`IEG.lookahead_settings`); then the probe loss L^p at Θ' and its gradient in ω and λ:
   λ* = [sign(−∂L^p/∂λ)]₊ (eq. 4) and ω* = normalised ReLU(−∂L^p/∂ω). For ω* the paper says only
   that it "can be obtained in the similar way" (§2.1) under eq. 2's constraints ω ≥ 0, Σ ω = 1;
   L2R's rule, clip at zero and normalise, is our reading (the code's too).
4. The split 1(ω* < T): with T = 1 and Σ ω* = 1, *every* sample is "possibly mislabelled" (a
   weight can reach 1 only when all the others are 0), so all of x and x̂ enter the mixup with
   pseudo labels; this is what the official code does, which has no split at all. A smaller T
   keeps the given labels of the samples with ω*_i ≥ T.
5. Mixup (eq. 6, §2.2.2) over the pool D_p ∪ D_u ∪ D̂_u against a random permutation of it, one
   coefficient per sample: L^p_β over the mixed samples whose anchor is a probe image (its one-hot
   label), L^u_β over those anchored on x or x̂ (their pseudo labels). The B probe anchors are
   resampled *with replacement* from the step's probe batch (uniform indices, the code's
   ``l_idx``), so that the probe contributes as many anchors as the batch whatever its size.
6. L = L_ω* + L_λ* + L^p_β + p L^u_β + k L_KL (Alg. 1 l. 6), with L_λ* = (1/B) Σ_i L(ỹ_i, Φ(x_i)),
   ỹ_i = y_i if λ*_i > 0 else g_i (eq. 5), and L_ω* = Σ_i ω*_i L(P(λ₀)_i, Φ(x_i)): eq. 5 prints
   this target as λ₀ y_i, a vector that does not sum to one; we read it as P(λ₀), the target of
   the meta step, as the official code trains; and (eq. 7) L_KL = (1/B) Σ_i KL(Φ(x_i) ‖ Φ(x̂_i)),
   the un-augmented side held fixed.
7. One SGD step; an exponential moving average of the weights (``ema``) is what is evaluated, as
   in the official code (the history has the live network's accuracy too).

The look-ahead runs through :func:`lnl.engine.functional_forward` with copies of the BatchNorm
buffers, so the virtual step never moves the real running statistics; the look-ahead's gradient
reuses the real forward pass of x (Φ(x; Θ) is computed once per step). The momentum buffer v does
not depend on ω or λ, so Θ' stays linear in them and both meta-gradients keep their closed form
(:func:`meta_step_jvp`). The momentum term adds one multiply-add per parameter to the look-ahead;
``lnl.report.step_seconds`` times a step of each form (the tutorial does, at the smoke profile).
Before the optimiser's first step there is no buffer and the two forms coincide; with Adam there is
none either, and the look-ahead is plain SGD.

Paper and official code differ; the paper's form is the default and ``variant="code"`` selects the
code's column (each row is also its own option):

======================  =================================  ===================================
                        paper (``variant="paper"``)        code (``variant="code"``)
======================  =================================  ===================================
supervised losses       L_ω* + L_λ* (Alg. 1 l. 6)          ½ (L_ω* + L_λ*): ``half_supervised``
logits before g and     as they are                        v / √(mean(v²) + 1e-8) over the
the mixup CEs                                              whole batch: ``logit_norm``
mixup coefficient       m ~ Beta(β, β) per sample (§2.2.2) 1 − U²/2, U ~ U(0, 1) (its "approx.
                                                           Beta(0.5)", in [0.5, 1]):
                                                           ``mixup_coef="code"``
look-ahead              Θ − α (μ v + ∇), α and μ the       Θ − η_m (μ_m v + ∇), η_m = 0.1
                        optimiser's LR and momentum at     fixed, μ_m = 0.9: ``meta_lr``,
                        the step (§2.1's text)             ``meta_momentum``
ω* normalisation        ω̃ / Σ ω̃ when Σ ω̃ > 0 (L2R)        ω̃ / (Σ ω̃ + 1e-5)
======================  =================================  ===================================

§2.1's displayed formula, Θ − α ∇, has no momentum: ``lookahead="sgd"`` is that formula (and
L2R's), an option. Not reproduced: the code's L2 penalty inside the meta losses (the engine's
weight decay enters the look-ahead as the optimiser applies it, not the probe loss), and a later
commit of the code that drops the probe set for uniform noise (which breaks IEG).

Ablations (Table 7; ``ablation="IEG-1"`` … ``"IEG-8"`` sets the four switches as the row, each
switch also alone): UC (``consistency``, L_KL), MC (``mixup``, L^p_β and L^u_β), AA
(``strong_aug``: RandAugment before the Cutout of x̂; without it IEG-7's flip → crop → cutout), λ
(``relabel``: without it the meta step learns ω alone with the given labels, L_λ* is dropped and
L_ω* is L2R's Σ ω* L(y, Φ)). IEG-1 is L2R (Ren et al. 2018), meta re-weighting only, on x alone.
``ablation="EG"`` (Table 6) drops the isolation: no meta step and no supervised loss, every sample
unlabelled. ``cutout=0`` removes the Cutout ("removing it leads to 72.71%/62.41%", §3.5 on IEG-7).

Logged for the engine, which knows the truth: ``omega`` (ω*·B of each sample at its last step, 1 =
the uniform weight) with its AUROC as a clean detector (the method's ``detection``); ``lambda``
(λ* of each sample at its last step; the clean and noisy means are the paper's Fig. 2); the
pseudo labels' arg-max (``ctx.log_labels``: their accuracy on mislabelled samples); and with
``trace`` every sample's ω*·B after each epoch (histograms over training).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from lnl.augment import cutout as cutout_square
from lnl.engine import Context, Method, Pass, Stream, functional_forward
from lnl.losses import at_least_float32, mix, one_hot, soft_cross_entropy
from lnl.provenance import code, ours, paper

# Table 7 (and Table 6's EG): the four components of each row (UC, MC, AA, λ) and the isolation.
ABLATIONS: dict[str, dict[str, bool]] = {
    "IEG-1": dict(consistency=False, mixup=False, strong_aug=False, relabel=False),   # L2R
    "IEG-2": dict(consistency=False, mixup=False, strong_aug=False, relabel=True),
    "IEG-3": dict(consistency=False, mixup=False, strong_aug=True, relabel=True),
    "IEG-4": dict(consistency=False, mixup=True, strong_aug=True, relabel=True),
    "IEG-5": dict(consistency=True, mixup=True, strong_aug=True, relabel=True),      # IEG
    "IEG-6": dict(consistency=True, mixup=False, strong_aug=True, relabel=True),
    "IEG-7": dict(consistency=True, mixup=True, strong_aug=False, relabel=True),
    "IEG-8": dict(consistency=True, mixup=True, strong_aug=True, relabel=False),
    "EG": dict(consistency=True, mixup=True, strong_aug=True, relabel=False, isolation=False),
}
SWITCHES = ("isolation", "relabel", "strong_aug", "mixup", "consistency")
# The official code's column (model.py): what variant="code" selects for every option left unset.
CODE = dict(half_supervised=True, logit_norm=True, mixup_coef="code", lookahead="momentum", meta_lr=0.1,
            meta_momentum=0.9, omega_eps=1e-5)
# The paper's: meta_lr and meta_momentum None are the optimiser's own LR and momentum at the step (§2.1).
PAPER = dict(half_supervised=False, logit_norm=False, mixup_coef="beta", lookahead="momentum", meta_lr=None,
             meta_momentum=None, omega_eps=0.0)
CHOICES = {"variant": ("paper", "code"), "mixup_coef": ("beta", "code", None), "lookahead": ("momentum", "sgd", None),
           "meta_grad": ("jvp", "backprop"), "meta_params": ("all", "head"), "ablation": tuple(ABLATIONS)}


@dataclass(frozen=True)
class IEGConfig:
    p: float = 5.0                      # weight of L^u_β (Alg. 1 l. 6; §3.2)
    k: float = 20.0                     # weight of L_KL (Alg. 1 l. 6; §3.2)
    T: float = 1.0                      # split threshold 1(ω* < T) (Alg. 1 l. 4; §3.2)
    K: int = 2                          # views averaged into g: x and K − 1 augmentations (§3.1)
    tau: float = 0.5                    # sharpening temperature of g (§2.2.1)
    lambda0: float = 0.9                # λ₀ of the meta step (footnote 1); ω₀ = 1/B
    beta: float = 0.5                   # mixup m ~ Beta(β, β) (§2.2.2)
    cutout: float = 0.5                 # Cutout's side on x̂, a share of the image side (code: 16 of 32 px); 0: none
    ablation: str = "IEG-5"             # a row of Table 7 (IEG-5 = IEG) or Table 6's EG
    isolation: bool | None = None       # the meta step (None: the ablation's)
    relabel: bool | None = None         # λ, meta re-labelling
    strong_aug: bool | None = None      # AA: RandAugment before x̂'s Cutout; else IEG-7's flip → crop → cutout
    mixup: bool | None = None           # MC: L^p_β + p L^u_β
    consistency: bool | None = None     # UC: k L_KL
    variant: str = "paper"              # paper, or code (model.py): the defaults of the six below
    half_supervised: bool | None = None  # ½ (L_ω* + L_λ*)
    logit_norm: bool | None = None      # logits / rms before g and the mixup CEs
    mixup_coef: str | None = None       # beta (paper) or code: 1 − U²/2
    lookahead: str | None = None        # momentum (§2.1's text; the code) or sgd (§2.1's formula)
    meta_lr: float | None = None        # the look-ahead's step α; None: the optimiser's LR (code: 0.1)
    meta_momentum: float | None = None  # the look-ahead's μ; None: the optimiser's momentum (code: 0.9)
    meta_grad: str = "jvp"              # jvp (forward mode) or backprop (through the look-ahead): equal
    meta_params: str = "all"            # all, or head: look ahead in the last layer only (faster)
    ema: float = 0.999                  # evaluated weights: EMA decay (code: 0.999)
    trace: bool = True                  # keep every sample's ω*·B after each epoch

    def __post_init__(self):
        for name, valid in CHOICES.items():
            if getattr(self, name) not in valid:
                raise ValueError(f"IEG {name} must be one of: {', '.join(v for v in valid if v)}; "
                                 f"got '{getattr(self, name)}'.")
        if not (self.K >= 1 and self.tau > 0 and 0 <= self.lambda0 <= 1 and self.beta > 0 and self.T > 0
                and self.p >= 0 and self.k >= 0 and 0 <= self.ema < 1 and 0 <= self.cutout <= 1
                and (self.meta_lr is None or self.meta_lr > 0)
                and (self.meta_momentum is None or 0 <= self.meta_momentum < 1)):
            raise ValueError(f"IEG needs K ≥ 1, tau > 0, 0 ≤ lambda0 ≤ 1, beta > 0, T > 0, p, k ≥ 0, "
                             f"0 ≤ ema < 1, 0 ≤ cutout ≤ 1, meta_lr > 0 and 0 ≤ meta_momentum < 1; "
                             f"got K={self.K}, tau={self.tau}, lambda0={self.lambda0}, beta={self.beta}, "
                             f"T={self.T}, p={self.p}, k={self.k}, ema={self.ema}, cutout={self.cutout}, "
                             f"meta_lr={self.meta_lr}, meta_momentum={self.meta_momentum}.")

    def switch(self, name: str) -> bool:
        """A component's switch: set explicitly, else the ablation row's (isolation: on but in EG)."""
        value = getattr(self, name)
        return ABLATIONS[self.ablation].get(name, True) if value is None else value

    def form(self, name: str):
        """A paper/code difference: set explicitly, else the variant's column (``meta_lr`` and
        ``meta_momentum`` None: the optimiser's own, :meth:`IEG.lookahead_settings`)."""
        value = getattr(self, name, None)
        return (CODE if self.variant == "code" else PAPER)[name] if value is None else value

    def code_form(self, name: str) -> str | None:
        """What made ``name`` the official code's form (:mod:`lnl.provenance`), or None."""
        chosen = name in CODE and getattr(self, name) is None and self.variant == "code"
        return "variant='code'" if chosen else None

    def resolve(self, name: str):
        """The value a run uses for the field ``name``: a switch through the ablation row, a form
        through the variant, the look-ahead's step and momentum as the optimiser's where they
        follow it; any other field as set."""
        if name in SWITCHES:
            return self.switch(name)
        if name in CODE:
            value = self.form(name)
            if name == "meta_momentum" and self.form("lookahead") == "sgd":
                return 0.0
            if name in ("meta_lr", "meta_momentum") and value is None:
                return "the optimiser's " + ("LR" if name == "meta_lr" else "momentum")
            return value
        return getattr(self, name)


_CODE_MODEL = "google-research/ieg models/model.py"
_TABLE7 = paper("Table 7; §3.5", "None: the ablation row's switch")
SOURCES = {
    "p": paper("§3.2: 'For all CIFAR experiments, we set T=1, p=5, k=20'; Alg. 1 l. 6"),
    "k": paper("§3.2: 'we set T=1, p=5, k=20'; Alg. 1 l. 6"),
    "T": paper("§3.2: 'we set T=1'; Alg. 1 l. 4"),
    "K": paper("§3.1: 'We use K=2 augmentations'; §2.2.1's Pr = (1/K)(Φ(x) + Σ_k^{K−1} Φ(x̂_k))",
               "read as §2.2.1's K: x and one augmented view, as the code's one x̂ per image"),
    "tau": paper("§2.2.1: 'τ = 0.5 in this paper'"),
    "lambda0": paper("footnote 1: 'ω₀ = 1/B and λ₀ = 0.9'"),
    "beta": paper("§2.2.2: 'β ∼ Beta(0.5, 0.5)'"),
    "cutout": code("google-research/ieg dataset_utils/utils.py apply_autoaugment: "
                   "augmentation_transforms.cutout_numpy(img), default size=16 on 32-pixel images",
                   "the paper names Cutout (§3.1; IEG-7 of Table 7) without a size; kept as the share 16/32 "
                   "of the side (ours), so that 28- and 8-pixel images lose as much"),
    "ablation": paper("Table 7: 'IEG-5 is the full IEG'"),
    "isolation": paper("Table 6 and §3.4: EG removes the isolation", "None: on, but in the ablation 'EG'"),
    "relabel": _TABLE7, "mixup": _TABLE7, "consistency": _TABLE7,
    "strong_aug": paper("Table 7 (AA); §3.1: AutoAugment", "None: the ablation row's switch; ours is "
                        "RandAugment(2, 9), which the code offers as on par (aug_type=randaug)"),
    "variant": ours("a setting named 'paper' does what the paper's text says; 'code' selects "
                    f"{_CODE_MODEL}'s forms for every option below left unset"),
    "half_supervised": paper("Alg. 1 l. 6: L_ω* + L_λ*", f"code ({_CODE_MODEL}): ½ (L_ω* + L_λ*)"),
    "logit_norm": paper("§2.2.1 and eq. 6: the network's probabilities, no normalisation of the logits",
                        "code (google-research/ieg models/custom_ops.py logit_norm): before g and the mixup CEs"),
    "mixup_coef": paper("§2.2.2: 'β ∼ Beta(0.5, 0.5)'", f"code ({_CODE_MODEL}): 1 − U²/2, in [0.5, 1]"),
    "lookahead": paper("§2.1: 'We compute the meta step model parameters Θ_{t+1} by calculating the exact "
                       "momentum update using momentum value of the SGD optimizer at each optimization step'",
                       "'sgd' is §2.1's displayed formula Θ − α∇, without momentum"),
    "meta_lr": ours("§2.1 calls α 'the step size' without a value; the exact update of the optimiser is at its "
                    "own LR, as scheduled", f"code ({_CODE_MODEL} meta_stepsize): 0.1 fixed"),
    "meta_momentum": paper("§2.1: 'using momentum value of the SGD optimizer': the optimiser's μ",
                           f"code ({_CODE_MODEL} meta_momentum): 0.9, its optimiser's too"),
    "meta_grad": ours("forward mode gives the meta-gradients of back-propagation through the look-ahead (the "
                      "tests compare them) in less time"),
    "meta_params": paper("§2.1: the meta step updates Θ, all the parameters", "'head' is ours: a cheaper "
                         "approximation"),
    "ema": code("google-research/ieg models/basemodel.py: an EMA of the weights, decay 0.999, is evaluated"),
    "trace": ours("keeps every sample's ω*·B after each epoch, for the histograms over training; training "
                  "is the same without it"),
}


# ----------------------------------------------------------------------------------------------
# One small function per equation
# ----------------------------------------------------------------------------------------------

def logit_norm(z: Tensor) -> Tensor:
    """The code's ``logit_norm``: z / √(mean(z²) + 1e-8), the mean over the whole chunk
    (batch × classes), not per sample."""
    z = at_least_float32(z)
    return z * torch.rsqrt(z.pow(2).mean() + 1e-8)


def sharpen(p: Tensor, tau: float) -> Tensor:
    """p_c^{1/τ} / Σ_k p_k^{1/τ} for rows of probabilities ``[B, C]`` (§2.2.1)."""
    q = p.pow(1.0 / tau)
    return q / q.sum(dim=1, keepdim=True)


def pseudo_labels(view_logits: list[Tensor], tau: float, normalise: bool = False) -> Tensor:
    """g (§2.2.1): the sharpened mean of the K views' probabilities, ``[B, C]``, no gradient.
    ``view_logits[0]`` is Φ(x), the rest Φ(x̂_k); ``normalise``: the code's :func:`logit_norm`
    on each view first."""
    with torch.no_grad():
        probs = [torch.softmax(logit_norm(z) if normalise else at_least_float32(z), dim=1) for z in view_logits]
        return sharpen(torch.stack(probs).mean(dim=0), tau)


def cutout_views(views: list[Tensor], share: float, generator: torch.Generator) -> list[Tensor]:
    """The last step of x̂'s augmentation, "→ cutout" (§3.1): in each view ``[B, C, H, W]`` of
    normalised images, one square of side round(``share`` · min(H, W)) per image set to 0, the
    official code's value in its own normalised space (:func:`lnl.augment.cutout`; the code's 16 px
    on CIFAR's 32 is ``share = 0.5``). ``share = 0`` returns the views as they are."""
    size = int(round(share * min(views[0].shape[-2:]))) if views else 0
    return [cutout_square(v, generator, size=size, fill=0.0) for v in views] if size > 0 else list(views)


def relabel_target(y: Tensor, g: Tensor, lam: Tensor) -> Tensor:
    """P(λ) = λ y + (1 − λ) g, with λ ``[B]`` (eq. 3); ``y`` and ``g`` ``[B, C]``."""
    return lam[:, None] * y + (1 - lam[:, None]) * g


def weighted_loss(logits: Tensor, y: Tensor, g: Tensor, omega: Tensor, lam: Tensor) -> Tensor:
    """Σ_i ω_i L(P(λ_i), Φ(x_i)) (eq. 3; eq. 1 at λ = 1): the look-ahead's loss and L_ω*."""
    return (omega * soft_cross_entropy(logits, relabel_target(y, g, lam), reduction="none")).sum()


def normalise_weights(omega_tilde: Tensor, eps: float = 0.0) -> Tensor:
    """ω* from ω̃ = ReLU(−∂L^p/∂ω): ω̃ / Σ ω̃ (eq. 2's constraint Σ ω = 1, as L2R's code; all zero
    when no sample helps the probe), or the code's ω̃ / (Σ ω̃ + eps)."""
    total = omega_tilde.sum()
    if eps > 0:
        return omega_tilde / (total + eps)
    return omega_tilde / total if total > 0 else omega_tilde


@dataclass
class MetaStep:
    """What the meta step returns: ω* and λ* ``[B]``, and the raw meta-gradients ∂L^p/∂ω and
    ∂L^p/∂λ at (ω₀, λ₀), with the probe loss at Θ'."""

    omega: Tensor
    lam: Tensor
    d_omega: Tensor
    d_lam: Tensor
    probe_loss: Tensor


def lookahead(params: dict[str, Tensor], grads: list[Tensor], lr: float, *, momentum: float = 0.0,
              buffers: list[Tensor | None] | None = None, weight_decay: float = 0.0) -> dict[str, Tensor]:
    """The virtual step of §2.1. With ``momentum`` μ and the optimiser's momentum ``buffers`` v, "the
    exact momentum update" of SGD (torch's, no dampening): Θ' = Θ − α (μ v + ∇ + wd Θ), v absent
    before the optimiser's first step (v = 0); without, §2.1's formula Θ' = Θ − α (∇ + wd Θ).
    Differentiable in ``grads``."""
    out = {}
    for (name, theta), grad, v in zip(params.items(), grads, buffers or [None] * len(grads)):
        step = grad + weight_decay * theta.detach()
        if momentum and v is not None:
            step = step + momentum * v
        out[name] = theta - lr * step
    return out


def meta_step(net: torch.nn.Module, logits: Tensor, y: Tensor, g: Tensor, x_probe: Tensor, y_probe: Tensor, *,
              lambda0: float, relabel: bool, lr: float, momentum: float = 0.0, buffers=None,
              weight_decay: float = 0.0, params: dict[str, Tensor] | None = None, omega_eps: float = 0.0,
              retain_graph: bool = True) -> MetaStep:
    """§2.1: ω* and λ* for a batch from one virtual step and the probe loss after it.

    ``logits`` are Φ(x; Θ) from the real forward pass (their graph is reused for ∇_Θ); ``y`` and
    ``g`` ``[B, C]`` the one-hot labels and pseudo labels; ``params`` the parameters that look ahead
    (default: all of ``net``'s). Without ``relabel`` λ stays 1 (L2R: eq. 1) and λ* is all ones.
    """
    B = len(logits)
    params = dict(net.named_parameters()) if params is None else params
    kw = dict(device=logits.device, dtype=at_least_float32(logits).dtype)
    omega0 = torch.full((B,), 1.0 / B, requires_grad=True, **kw)                              # ω₀ = 1/B
    lam0 = torch.full((B,), lambda0 if relabel else 1.0, requires_grad=relabel, **kw)
    L_look = weighted_loss(logits, y, g.detach(), omega0, lam0)                              # eq. (3)
    grads = torch.autograd.grad(L_look, list(params.values()), create_graph=True)
    theta_prime = lookahead(params, grads, lr, momentum=momentum, buffers=buffers, weight_decay=weight_decay)
    probe_loss = F.cross_entropy(at_least_float32(functional_forward(net, theta_prime, x_probe)), y_probe)
    wrt = (omega0, lam0) if relabel else (omega0,)
    d = torch.autograd.grad(probe_loss, wrt, retain_graph=retain_graph)
    d_omega, d_lam = d[0], (d[1] if relabel else torch.zeros_like(d[0]))
    omega = normalise_weights(F.relu(-d_omega), omega_eps)                                   # eq. (2)
    lam = (d_lam < 0).float() if relabel else torch.ones_like(d_omega)                       # eq. (4)
    return MetaStep(omega.detach(), lam.detach(), d_omega.detach(), d_lam.detach(), probe_loss.detach())


def meta_step_jvp(net: torch.nn.Module, logits: Tensor, x: Tensor, y: Tensor, g: Tensor, x_probe: Tensor,
                  y_probe: Tensor, *, lambda0: float, relabel: bool, lr: float, momentum: float = 0.0, buffers=None,
                  weight_decay: float = 0.0, params: dict[str, Tensor] | None = None,
                  omega_eps: float = 0.0) -> MetaStep:
    """:func:`meta_step`'s gradients without differentiating through a gradient.

    Θ' is linear in ω and λ, ∂Θ'/∂ω_i = −α ∇_Θ ℓ_i, so with g_p = ∇L^p(Θ') the chain rule gives

        ∂L^p/∂ω_i = −α g_pᵀ ∇ℓ_i = α Σ_c P(λ₀)_ic ∂_ε log Φ_c(x_i; Θ + ε g_p)
        ∂L^p/∂λ_i = α ω₀ Σ_c (y_ic − g_ic) ∂_ε log Φ_c(x_i; Θ + ε g_p)

    a directional derivative of the batch's log-probabilities along g_p: one forward-mode pass
    (``torch.func.jvp``, train-mode BatchNorm as in the real forward) instead of a backward pass
    through the backward pass. Exact, like :func:`meta_step` (the tests compare the two).
    """
    B = len(logits)
    params = dict(net.named_parameters()) if params is None else params
    theta = {k: v.detach() for k, v in params.items()}
    omega0 = 1.0 / B
    lam = torch.full((B,), lambda0 if relabel else 1.0, device=logits.device, dtype=at_least_float32(logits).dtype)
    P = relabel_target(y, g.detach(), lam)
    L_look = omega0 * soft_cross_entropy(logits, P, reduction="sum")                           # eq. (3)
    grads = torch.autograd.grad(L_look, list(params.values()), retain_graph=True)
    theta_prime = {k: v.detach().requires_grad_() for k, v in
                   lookahead(theta, list(grads), lr, momentum=momentum, buffers=buffers,
                             weight_decay=weight_decay).items()}
    probe_loss = F.cross_entropy(at_least_float32(functional_forward(net, theta_prime, x_probe)), y_probe)
    g_p = torch.autograd.grad(probe_loss, list(theta_prime.values()))
    _, dlogp = torch.func.jvp(lambda ps: F.log_softmax(at_least_float32(functional_forward(net, ps, x)), dim=1),
                              (theta,), (dict(zip(theta, g_p)),))
    d_omega = lr * (P * dlogp).sum(dim=1)                        # ∂L^p/∂ω = −α ∂_ε ℓ, ℓ = −Σ P log Φ
    d_lam = lr * omega0 * ((y - g) * dlogp).sum(dim=1) if relabel else torch.zeros_like(d_omega)
    omega = normalise_weights(F.relu(-d_omega), omega_eps)                                   # eq. (2)
    lam_star = (d_lam < 0).float() if relabel else torch.ones_like(d_omega)                  # eq. (4)
    return MetaStep(omega, lam_star, d_omega, d_lam, probe_loss.detach())


def supervised_losses(logits: Tensor, y: Tensor, g: Tensor, omega_star: Tensor, lam_star: Tensor,
                      lambda0: float) -> tuple[Tensor, Tensor]:
    """Eq. (5): L_λ* = (1/B) Σ_i L(ỹ_i, Φ(x_i)), where ỹ_i = y_i if λ*_i > 0 else g_i (λ* ∈ {0, 1},
    so ỹ = P(λ*)), and L_ω* = Σ_i ω*_i L(P(λ₀)_i, Φ(x_i)). Eq. (5) prints L_ω*'s target as λ₀ y_i,
    which does not sum to one; P(λ₀) = λ₀ y_i + (1 − λ₀) g_i, the meta step's target, is our reading
    and the official code's."""
    L_omega = weighted_loss(logits, y, g, omega_star, torch.full_like(omega_star, lambda0))
    L_lam = soft_cross_entropy(logits, relabel_target(y, g, lam_star))
    return L_omega, L_lam


def consistency_loss(logits: Tensor, logits_aug: Tensor) -> Tensor:
    """Eq. (7): (1/B) Σ_i KL(Φ(x_i) ‖ Φ(x̂_i)), the un-augmented prediction a fixed target (the
    code's stop-gradient); the gradient flows through the augmented view."""
    logp = F.log_softmax(at_least_float32(logits).detach(), dim=1)
    logq = F.log_softmax(at_least_float32(logits_aug), dim=1)
    return (logp.exp() * (logp - logq)).sum(dim=1).mean()


def mixup_coefficients(n: int, beta: float, form: str, rng: np.random.Generator) -> Tensor:
    """One mixing coefficient per sample ``[n]`` (float32, CPU): m ~ Beta(β, β) (§2.2.2), or the
    code's 1 − U²/2 = max(U²/2, 1 − U²/2) with U ~ U(0, 1), which lies in [0.5, 1]."""
    m = 1 - rng.random(n) ** 2 / 2 if form == "code" else rng.beta(beta, beta, size=n)
    return torch.as_tensor(m, dtype=torch.float32)


def mixup_losses(net: torch.nn.Module, x_probe: Tensor, t_probe: Tensor, x_u: Tensor, t_u: Tensor, m: Tensor,
                 perm: Tensor, normalise: bool = False) -> tuple[Tensor, Tensor]:
    """Eq. (6): the pool [x_probe; x_u] mixed with its permutation ``perm`` by ``m`` (per sample),
    one forward pass; L^p_β over the mixed samples anchored on the probe (the first
    ``len(x_probe)``), L^u_β over the rest. Targets ``[n, C]``."""
    pool, targets = torch.cat([x_probe, x_u]), torch.cat([t_probe, t_u])
    z = net(mix(pool, pool[perm], m))
    t = mix(targets, targets[perm], m)
    n_p = len(x_probe)
    zp, zu = z[:n_p], z[n_p:]
    if normalise:                                       # the code normalises each chunk on its own
        zp, zu = logit_norm(zp), logit_norm(zu)
    return soft_cross_entropy(zp, t[:n_p]), soft_cross_entropy(zu, t[n_p:])


# ----------------------------------------------------------------------------------------------
# The method, in Algorithm 1's order
# ----------------------------------------------------------------------------------------------

class IEG(Method):
    """Algorithm 1: pseudo labels, the meta step, the split, the mixup, the total loss, an SGD step;
    an EMA of the weights is evaluated."""

    name = "ieg"
    summary = "isolation, escalation and guidance from a small clean probe set (--probe-per-class)"
    cost = 6.6                 # two views, the meta step and a mixup pass over 3B (its cpu records:
                               # an epoch 6.6 CE epochs)
    colour = "#9467bd"         # Tableau purple
    Config = IEGConfig
    sources = SOURCES
    uses_probe = True
    automatic_optimization = False
    reported_output = "ema"

    def configure(self, ctx: Context) -> None:
        c = self.config
        self.on = {s: c.switch(s) for s in SWITCHES}
        self.guesses = self.on["mixup"] or (self.on["isolation"] and self.on["relabel"])   # g is needed
        self.views = c.K if (self.guesses or self.on["consistency"]) else 1                # L2R: x alone
        self.detection = "omega" if self.on["isolation"] else "loss"
        self.net = ctx.build_model()
        self.opt = ctx.optimizer(self.net.parameters())
        self.ema_net = copy.deepcopy(self.net).requires_grad_(False)
        self.register_buffer("ema_steps", torch.zeros((), dtype=torch.long, device=ctx.device))
        N = ctx.num_train
        self.register_buffer("omega", torch.ones(N, device=ctx.device))          # ω*·B at the last step
        self.register_buffer("lam", torch.ones(N, device=ctx.device))            # λ* at the last step
        self.register_buffer("pseudo", ctx.labels.clone())                       # arg-max of g
        self.register_buffer("omega_trace", torch.zeros(ctx.cfg.epochs if c.trace else 0, N,
                                                        dtype=torch.float16, device=ctx.device))

    def on_epoch_start(self, ctx: Context) -> None:
        views = ("weak",) + (("strong" if self.on["strong_aug"] else "weak"),) * (self.views - 1)
        ctx.passes = [Pass(Stream("train", views=views), side=(Stream("probe", source="probe", shuffle=False),))]

    def lookahead_settings(self, params: dict[str, Tensor]) -> dict:
        """The arguments of :func:`lookahead` for ``params`` at this step: ``lr`` α (the optimiser's
        current LR, or ``meta_lr``), ``momentum`` μ (the optimiser's, or ``meta_momentum``; 0 for
        ``lookahead="sgd"`` and for an optimiser without momentum), the optimiser's momentum
        ``buffers`` v of ``params`` (None before its first step) and its ``weight_decay``."""
        c, group = self.config, self.opt.param_groups[0]
        lr, mu = c.form("meta_lr"), c.form("meta_momentum")
        momentum = (group.get("momentum", 0.0) if mu is None else mu) if c.form("lookahead") == "momentum" else 0.0
        buffers = [self.opt.state.get(p, {}).get("momentum_buffer") for p in params.values()] if momentum else None
        return dict(lr=group["lr"] if lr is None else lr, momentum=momentum, buffers=buffers,
                    weight_decay=group["weight_decay"])

    def training_step(self, batch, ctx: Context):
        c, C = self.config, ctx.num_classes
        idx, y_idx = batch["idx"], batch["y"]
        views = batch.get("views", [batch["x"]])
        x, x_hat = views[0], views[1:]                                   # 1. x and the K − 1 views x̂,
        x_hat = cutout_views(x_hat, c.cutout, ctx.generator("ieg/cutout"))   # "→ cutout" (§3.1)
        y = one_hot(y_idx, C)
        xp, yp = batch["probe"]["x"], batch["probe"]["y"]
        z = self.net(x)                                                  # Φ(x; Θ), reused below
        z_hat = [self.net(v) for v in x_hat]
        g = pseudo_labels([z] + z_hat, c.tau, c.form("logit_norm")) if self.guesses else y   # 2. g, §2.2.1
        out = {}
        sup = torch.zeros((), device=ctx.device)
        if self.on["isolation"]:                                         # 3. the meta step, §2.1
            head = c.meta_params == "head"
            params = dict(self.net.fc.named_parameters(prefix="fc")) if head else dict(self.net.named_parameters())
            kw = dict(lambda0=c.lambda0, relabel=self.on["relabel"], params=params, omega_eps=c.form("omega_eps"),
                      **self.lookahead_settings(params))                 # the exact momentum update
            m = (meta_step_jvp(self.net, z, x, y, g, xp, yp, **kw) if c.meta_grad == "jvp"
                 else meta_step(self.net, z, y, g, xp, yp, **kw))
            if self.on["relabel"]:                                       # eq. (5)
                L_omega, L_lam = supervised_losses(z, y, g, m.omega, m.lam, c.lambda0)
            else:                                                        # L2R: Σ ω* L(y, Φ)
                L_omega, L_lam = weighted_loss(z, y, g, m.omega, m.lam), torch.zeros((), device=ctx.device)
            sup = (L_omega + L_lam) * (0.5 if c.form("half_supervised") else 1.0)
            B = len(idx)
            self.omega[idx] = m.omega * B
            self.lam[idx] = m.lam
            possibly_clean = m.omega >= c.T                              # 4. the split 1(ω* < T)
            out.update(L_omega=L_omega.detach(), L_lam=L_lam.detach(), probe_loss=m.probe_loss,
                       kept=(m.omega > 0).float().mean())
        else:
            possibly_clean = torch.zeros(len(idx), dtype=torch.bool, device=ctx.device)
        if self.guesses:
            self.pseudo[idx] = g.argmax(dim=1)
        loss = sup
        if self.on["mixup"]:                                             # 5. mixup, eq. (6)
            gen = ctx.generator("ieg/mixup")
            t_u = torch.where(possibly_clean[:, None], y, g)             # pseudo labels where ω* < T
            probe_pick = torch.randint(len(xp), (len(x),), generator=gen,      # B probe anchors, drawn
                                       device=gen.device).to(ctx.device)  # with replacement (code: l_idx)
            x_u = torch.cat([x, x_hat[0]]) if x_hat else x
            t_uu = torch.cat([t_u, t_u]) if x_hat else t_u
            n = len(x) + len(x_u)
            mcoef = mixup_coefficients(n, c.beta, c.form("mixup_coef"), ctx.numpy_generator("ieg/mixup")).to(ctx.device)
            perm = torch.randperm(n, generator=gen, device=gen.device).to(ctx.device)
            L_p, L_u = mixup_losses(self.net, xp[probe_pick], one_hot(yp[probe_pick], C), x_u, t_uu, mcoef, perm,
                                    c.form("logit_norm"))
            loss = loss + L_p + c.p * L_u
            out.update(L_p=L_p.detach(), L_u=L_u.detach())
        if self.on["consistency"] and x_hat:                             # eq. (7)
            L_kl = consistency_loss(z, z_hat[0])
            loss = loss + c.k * L_kl
            out.update(L_kl=L_kl.detach())
        ctx.step(loss, self.opt)                                         # 6.-7. the total loss, one step
        self.update_ema()
        out["loss"] = loss.detach()
        return out

    @torch.no_grad()
    def update_ema(self) -> None:
        """EMA of the weights (and BatchNorm statistics) with TensorFlow's ``num_updates`` warm-up,
        decay min(ema, (1 + t)/(10 + t)), so that a run of a few hundred steps is not dominated by
        its initial weights."""
        self.ema_steps += 1
        t = float(self.ema_steps)
        d = min(self.config.ema, (1 + t) / (10 + t))
        for e, s in zip(self.ema_net.state_dict().values(), self.net.state_dict().values()):
            if e.dtype.is_floating_point:
                e.lerp_(s, 1 - d)
            else:
                e.copy_(s)

    def on_epoch_end(self, ctx: Context) -> None:
        if self.on["isolation"]:
            ctx.log_per_sample("omega", self.omega, threshold=0.0)        # kept: ω* > 0
            if self.on["relabel"]:
                ctx.log_per_sample("lambda", self.lam, threshold=0.5)     # Fig. 2: mean λ* clean / noisy
            if len(self.omega_trace):
                self.omega_trace[ctx.epoch] = self.omega.half()
        if self.guesses:
            ctx.log_labels("pseudo", self.pseudo)

    def predict(self, x: Tensor) -> dict[str, Tensor]:
        return {"ema": self.ema_net(x), "net": self.net(x)}


# ----------------------------------------------------------------------------------------------
# One step taken apart (the tutorial): a small batch of a trained run, and the meta step's pieces
# ----------------------------------------------------------------------------------------------

def trained_run(paths: dict, key: tuple, page: str, seed: int, rdir):
    """The record path of ``key`` whose trained network a walk-through restores: ``paths[key]``
    where its weights were kept, else the smoke profile's run of ``page`` (a GPU campaign brings no
    weights back), trained here in seconds."""
    from lnl import book, plans

    path = paths[key]
    if not path.with_suffix(".state.pt").exists():
        smoke = [p for p in plans.plan(page, "smoke", seed=seed) if p.key == key]
        path = rdir / f"{book.run_plan(smoke, rdir)[key]['run_id']}.json"
        print("The small batches use the smoke profile's IEG run: the records of this profile keep no network.")
    return path


def augmented_view(restored, idx: Tensor, cutout: float, generator: torch.Generator) -> Tensor:
    """x̂ of the training images ``idx`` of a restored run, as its training step draws it (§3.1):
    the data set's crop and flip, RandAugment where the run has AA, then Cutout."""
    policy = "strong" if restored.method.on["strong_aug"] else "weak"
    x = restored.ctx.data.batch(idx.to(restored.ctx.device), generator, policy=policy)
    return cutout_views([x], cutout, generator)[0]


@dataclass
class StepBatch:
    """A batch of a trained run, ready for one training step taken by hand: the network (a copy in
    training mode), the images ``x``, their view ``x_hat``, one-hot given labels ``y`` ``[B, C]``,
    the probe set ``xp``, ``yp``, and what a reader checks the step against (the truth)."""

    net: torch.nn.Module
    x: Tensor
    x_hat: Tensor
    y: Tensor
    xp: Tensor
    yp: Tensor
    idx: Tensor
    is_clean: np.ndarray
    given: Tensor
    true: Tensor
    classes: list
    lr: float
    weight_decay: float
    momentum: float
    generator: torch.Generator
    lambda0: float

    @property
    def B(self) -> int:
        return len(self.idx)

    @property
    def meta_kw(self) -> dict:
        """The meta step's settings for this batch: λ₀, re-labelling on, the run's LR and weight
        decay, and no momentum buffer (a restored run keeps none: v = 0, as at a run's first step)."""
        return dict(lambda0=self.lambda0, relabel=True, lr=self.lr, weight_decay=self.weight_decay)

    def meta_point(self) -> tuple[Tensor, Tensor]:
        """(ω₀, λ₀) ``[B]``: the uniform weight 1/B and λ₀, where the meta-gradients are taken."""
        dev = self.x.device
        return torch.full((self.B,), 1 / self.B, device=dev), torch.full((self.B,), self.lambda0, device=dev)

    def summary(self) -> str:
        return (f"B = {self.B} training images ({int(self.is_clean.sum())} clean), M = {len(self.yp)} probe images, "
                f"α = {self.lr} (the run's base LR), weight decay {self.weight_decay}")


def step_batch(restored, size: int, seed: int) -> StepBatch:
    """The first ``size // 2`` clean and the first mislabelled training images of a restored run
    (clean first, so that both kinds show), with x̂ drawn from a generator seeded ``seed`` and the
    whole probe set (as in a step of a run whose probe holds at most B images)."""
    r, dev = restored, restored.ctx.device
    given, true = torch.tensor(r.prep.labels), torch.tensor(r.prep.true)
    clean_ids, noisy_ids = torch.nonzero(given == true)[:, 0], torch.nonzero(given != true)[:, 0]
    idx = torch.cat([clean_ids[:size // 2], noisy_ids[:size - size // 2]])
    net = copy.deepcopy(r.method.net).train()          # a copy in training mode, as in a training step
    x = r.ctx.data.batch(idx.to(dev))
    gen = torch.Generator(device=dev).manual_seed(seed)
    x_hat = augmented_view(r, idx, r.method.config.cutout, gen)
    xp_data, yp = r.ctx.probe
    cfg = r.record["config"]
    return StepBatch(net, x, x_hat, one_hot(given[idx].to(dev), r.prep.dataset.num_classes),
                     xp_data.batch(torch.arange(len(yp), device=dev)), yp, idx, (given[idx] == true[idx]).numpy(),
                     given, true, r.prep.dataset.classes, cfg["lr"], cfg["weight_decay"], cfg["momentum"], gen,
                     r.method.config.lambda0)


def virtual_probe_loss(net: torch.nn.Module, logits: Tensor, y: Tensor, g: Tensor, omega: Tensor, lam: Tensor,
                       x_probe: Tensor, y_probe: Tensor, lr: float, weight_decay: float = 0.0) -> float:
    """L^p(Θ'(ω, λ)): the probe loss after one virtual SGD step of size ``lr`` on eq. (3)'s
    Σ_i ω_i L(P(λ_i), Φ(x_i)) (no momentum, v = 0); ``logits`` Φ(x; Θ) with their graph."""
    params = dict(net.named_parameters())
    grads = torch.autograd.grad(weighted_loss(logits, y, g, omega, lam), list(params.values()), retain_graph=True)
    with torch.no_grad():
        theta_prime = lookahead(params, grads, lr, weight_decay=weight_decay)
        return float(F.cross_entropy(functional_forward(net, theta_prime, x_probe), y_probe))


def probe_loss_now(net: torch.nn.Module, x_probe: Tensor, y_probe: Tensor) -> float:
    """L^p(Θ): the probe loss before any virtual step (train-mode BatchNorm, as after it)."""
    with torch.no_grad():
        return float(F.cross_entropy(functional_forward(net, dict(net.named_parameters()), x_probe), y_probe))


def omega_finite_differences(batch: StepBatch, logits: Tensor, g: Tensor, at, eps: float = 1e-3) -> Tensor:
    """∂L^p/∂ω_i at (ω₀, λ₀) by central differences, [L^p(Θ'(ω₀ + ε e_i)) − L^p(Θ'(ω₀ − ε e_i))] / 2ε,
    for the samples ``at`` of ``batch`` (``logits`` its Φ(x; Θ), ``g`` its pseudo labels): a check
    of :func:`meta_step` that needs no derivation."""
    b = batch
    omega0, lam0 = b.meta_point()
    fd = []
    for i in at:
        e = torch.zeros(b.B, device=omega0.device)
        e[i] = eps
        side = [virtual_probe_loss(b.net, logits, b.y, g, w, lam0, b.xp, b.yp, b.lr, b.weight_decay)
                for w in (omega0 + e, omega0 - e)]
        fd.append((side[0] - side[1]) / (2 * eps))
    return torch.tensor(fd)


def virtual_steps(batch: StepBatch, logits: Tensor, g: Tensor, omega_star: Tensor) -> dict[str, float]:
    """The probe loss after one virtual step (:func:`virtual_probe_loss`) on the given labels of
    the clean images of ``batch`` alone, of its mislabelled images alone, on the whole batch at
    (ω₀, λ₀), and at (ω*, λ₀): the meta-gradient's first-order statement, checked by taking the step."""
    b = batch
    omega0, lam0 = b.meta_point()
    ones, clean = torch.ones(b.B, device=omega0.device), torch.as_tensor(b.is_clean, device=omega0.device).float()
    steps = {"clean images alone": (clean / clean.sum(), ones),            # (ω, λ): λ = 1, the given labels
             "mislabelled images alone": ((1 - clean) / (1 - clean).sum(), ones),
             "whole batch, ω₀ = 1/B, λ₀": (omega0, lam0),
             "whole batch, the meta step's ω*, λ₀": (omega_star, lam0)}
    return {name: virtual_probe_loss(b.net, logits, b.y, g, w, lam, b.xp, b.yp, b.lr, b.weight_decay)
            for name, (w, lam) in steps.items()}


def probe_mixup(x: Tensor, x_hat: Tensor, g: Tensor, x_probe: Tensor, y_probe: Tensor, beta: float,
                rng: np.random.Generator) -> dict:
    """Eq. (6) on one batch: B probe anchors resampled with replacement, the pool
    D_p ∪ D_u ∪ D̂_u (targets: one-hot probe labels, then pseudo labels g), one Beta(β, β)
    coefficient per pooled sample and a permutation; returns the pieces and the mixed
    ``x_mix``, ``t_mix``."""
    B, C, dev = len(x), g.shape[1], x.device
    pick = torch.as_tensor(rng.integers(len(y_probe), size=B), device=dev)
    pool = torch.cat([x_probe[pick], x, x_hat])
    targets = torch.cat([one_hot(y_probe[pick], C), g, g])
    m = mixup_coefficients(len(pool), beta, "beta", rng).to(dev)
    perm = torch.as_tensor(rng.permutation(len(pool)), device=dev)
    return dict(pick=pick, pool=pool, targets=targets, origin=np.array(["probe"] * B + ["x"] * B + ["x̂"] * B),
                m=m, perm=perm, x_mix=mix(pool, pool[perm], m), t_mix=mix(targets, targets[perm], m))


def momentum_buffers(net: torch.nn.Module, data, labels: Tensor, lr: float, momentum: float,
                     weight_decay: float, idx: Tensor) -> list[Tensor]:
    """The optimiser's momentum buffers v after one SGD step of a copy of ``net`` on the images
    ``idx`` (a restored run keeps no optimiser state): a v to compare the look-aheads with."""
    twin = copy.deepcopy(net)
    opt = torch.optim.SGD(twin.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    F.cross_entropy(twin(data.batch(idx)), labels[idx.cpu()].to(idx.device)).backward()
    opt.step()
    return [opt.state[p]["momentum_buffer"] for p in twin.parameters()]


def lookahead_forms(lr: float, momentum: float, code_config: IEGConfig) -> dict[str, tuple[float, float]]:
    """The look-aheads the paper and the code take, as (step, momentum): the paper's exact
    momentum update at the optimiser's ``lr`` and ``momentum`` (§2.1's text), §2.1's displayed
    formula (plain SGD), and the code's fixed η_m and μ_m."""
    code_lr, code_mu = code_config.resolve("meta_lr"), code_config.resolve("meta_momentum")
    return {f"paper: momentum μ = {momentum:g} at α = {lr:g} (the optimiser's)": (lr, momentum),
            f"§2.1's formula: SGD at α = {lr:g} (lookahead='sgd')": (lr, 0.0),
            f"code: η_m = {code_lr:g}, μ_m = {code_mu:g}": (code_lr, code_mu)}


def with_params(cfg, **params):
    """The run config ``cfg`` with IEG's options ``params`` changed (a variant to time)."""
    import dataclasses

    return dataclasses.replace(cfg, method_params={**cfg.method_params, **params})


def step_variants(configs: dict, train_per_class: int | None = None) -> dict:
    """The variants whose training step the replication times, from the run configs of its arms
    (``configs``: CE, L2R, IEG, EG): CE, L2R, IEG, IEG with the meta-gradient through the
    look-ahead, IEG looking ahead in the last layer only, and EG (no meta step); on
    ``train_per_class`` images per class where given (a step costs the same on fewer images)."""
    import dataclasses

    if train_per_class is not None:
        configs = {k: dataclasses.replace(v, train_per_class=train_per_class) for k, v in configs.items()}
    return {"CE": configs["CE"], "L2R": configs["L2R"], "IEG": configs["IEG"],
            "IEG, meta_grad = backprop": with_params(configs["IEG"], meta_grad="backprop"),
            "IEG, meta_params = head": with_params(configs["IEG"], meta_params="head"),
            "EG (no meta step)": configs["EG"]}
