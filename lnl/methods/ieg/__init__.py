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

The package follows the paper's parts: :mod:`~lnl.methods.ieg.config` (the settings, Table 7's
ablations, the paper's and the code's forms), :mod:`~lnl.methods.ieg.meta` (isolation: the meta
step of §2.1, eq. 1-5), :mod:`~lnl.methods.ieg.escalation` (§2.2: the pseudo labels, Cutout, the
mixup of eq. 6 and the consistency of eq. 7) and :mod:`~lnl.methods.ieg.method` (Algorithm 1). The
tutorial's walk-throughs are :mod:`lnl.walkthrough.ieg`.
"""

from lnl.methods.ieg.config import ABLATIONS, CHOICES, CODE, PAPER, SOURCES, SWITCHES, IEGConfig
from lnl.methods.ieg.escalation import (consistency_loss, cutout_views, logit_norm, mixup_coefficients, mixup_losses,
                                        pseudo_labels, sharpen)
from lnl.methods.ieg.meta import (MetaStep, lookahead, meta_step, meta_step_jvp, normalise_weights, relabel_target,
                                  supervised_losses, weighted_loss)
from lnl.methods.ieg.method import IEG

__all__ = ["ABLATIONS", "SWITCHES", "CODE", "PAPER", "CHOICES", "SOURCES", "IEGConfig", "relabel_target",
           "weighted_loss", "normalise_weights", "MetaStep", "lookahead", "meta_step", "meta_step_jvp",
           "supervised_losses", "logit_norm", "sharpen", "pseudo_labels", "cutout_views", "consistency_loss",
           "mixup_coefficients", "mixup_losses", "IEG"]
