"""DivideMix: two networks divide the data for each other with a GMM, then train semi-supervised.

J. Li, R. Socher, S. C. H. Hoi, "DivideMix: Learning with Noisy Labels as Semi-supervised
Learning", ICLR 2020 (arXiv 2002.07394). Official code: LiJunnan1992/DivideMix @ d9d3058
(``Train_cifar.py``). It hosts plug-in regularisers too (:mod:`lnl.methods.plugins`).

=============  ==========================================================================
θ, θ'          the network being trained and its peer (``net1``/``net2`` by turns)
ℓ_i, w_i       per-sample CE (eval mode, no augmentation), min-max normalised; w_i = the GMM's
               P(clean | ℓ_i) (:func:`lnl.gmm.clean_probability`)
τ              clean threshold: X = {w_i ≥ τ} labelled, U = the rest, unlabelled (eq. 2)
x̂_{b,m}        the m-th (M = 2) weak view of sample b
T, α           sharpening temperature, Beta(α, α) of MixMatch
λ_u, λ_r       weights of L_U (ramped up) and of L_reg (1)
=============  ==========================================================================

Algorithm 1, as the engine runs it:

- warm-up (``warmup`` epochs): each network in its own pass over all samples, CE on the given
  labels at twice the batch size; under asymmetric noise plus the confidence penalty Σ_c p_c log p_c.
- ``on_epoch_start``, co-divide: each network's losses on the whole training set, a GMM each; the
  division from net2's w trains net1 and vice versa (l. 5-9: each network learns from its peer's
  division, so that it does not confirm its own errors). Then two passes, one per network: the
  labelled set as the main stream and the unlabelled set as a side stream cycling beside it, two
  ``weak`` views of each.
- ``training_step``, for the network θ of the pass, its peer θ' in eval mode, all with no gradient:
  co-refinement (eq. 3-4): ȳ_b = w_b y_b + (1 − w_b) (1/M) Σ_m p_θ(x̂_{b,m}), ŷ_b = Sharpen(ȳ_b, T);
  co-guessing: q̄_b = (1/2M) Σ_m (p_θ(û_{b,m}) + p_θ'(û_{b,m})), q̂_b = Sharpen(q̄_b, T);
  then MixMatch (eq. 5-8) over the 4B pool [x̂_1, x̂_2, û_1, û_2] with one λ ~ Beta(α, α) per batch,
  λ' = max(λ, 1 − λ), and one permutation of the pool;
  L = L_X + λ_u · ramp · L_U + λ_r L_reg (eq. 9-12, :func:`total_loss`), an SGD step on θ only.
- test prediction: the sum of the two networks' logits (``ensemble``); each network's accuracy is
  in the history too.

Paper and official code differ in three forms. The one that matters is L_U. The code's L_U is a
mean over samples *and classes* (``Train_cifar.py``, ``SemiLoss``: ``Lu = torch.mean((probs_u -
targets_u)**2)``), 1/C of the printed eq. (10), which sums over classes; and Table 7's λ_u were
tuned with the code's. The printed eq. (10) with the printed λ_u therefore weighs L_U C times more
(10× on CIFAR-10, 100× on CIFAR-100) than the runs behind the paper's tables did: the two printed
pieces cannot both be what produced those tables, and the code did. The default is the code's L_U,
so that Table 7's λ_u give the paper's numbers; the literal printed pairing is the option
``lu_mean_classes=False`` (the same loss as the default with λ_u × C). The other two forms are
the paper's by default and the code's in the presets:

=========================  ====================================  ====================================
                           default                               option
=========================  ====================================  ====================================
L_U (eq. 10)               the code's: mean over samples and     the printed eq. (10), summed over
                           classes (Table 7's λ_u tuned for it)  classes: ``lu_mean_classes=False``
labelled set (eq. 2)       w_i ≥ τ (the paper)                   w_i > τ (the code, the presets):
                                                                 ``strict_tau``; the two differ only
                                                                 where a w_i equals τ exactly
GMM input at 90 % noise    this epoch's losses                   the mean of the last 5 epochs'
                                                                 normalised losses (the code, the
                                                                 90 % presets): ``gmm_window=5``
=========================  ====================================  ====================================

:data:`TABLE7` holds λ_u (Table 7 of the Appendix), τ, the GMM window and the warm-up of each
data set and noise cell; ``preset="c10-sym80"`` selects one, with the code's forms above.
:data:`PRESETS` are the same cells as run presets (``lnl run --method dividemix --preset
c10-sym80``): the cell, and the paper's run (§4.1): PreAct ResNet-18, batch 64, 300 epochs, SGD
with LR 0.02, momentum 0.9 and weight decay 5e-4, the LR ×0.1 at epoch 150. The data, the noise
(the code's is ``symmetric-uniform``) and the seed stay the user's.

Every setting's source is in :attr:`DivideMix.sources` (``lnl defaults dividemix``). The paper's
text is not among the book's paper texts, and its equation numbers here are approximate: a setting
is cited to the paper where the official code or its issue threads confirm the paper's value, to
the code where only the code states it; the printed forms that the code does not follow (eq. 2's
≥, eq. 10's sum over classes) are cited to the paper as secondary accounts of it agree on them. The
warm-up (10 of the paper's 300 epochs on CIFAR-10, 30 on CIFAR-100) and λ_u's ramp (16 of 300, the
code's ``linear_rampup``) count epochs of the paper's run: in a shorter run their defaults keep the
paper's share of it, at least one epoch (:meth:`lnl.engine.Method.phase`), and the record's
``phases_resolved`` says so; a value given in ``method_params`` is kept as given. λ_u ramps
linearly over ``rampup`` epochs after the warm-up, per step (the code: ``epoch + batch / batches``,
per network's pass: ``ctx.pass_progress``).

Forward passes per labelled batch of B: co-guessing 4 × B (θ and θ' on two views of U),
co-refinement 2 × B (θ on two views of X), training 1 × 4B (θ on the mixed pool, with backward):
:data:`FORWARDS_PER_STEP`. Per epoch, two whole-set evaluations (one per network) for the GMMs.

The package follows the paper's parts: :mod:`~lnl.methods.dividemix.config` (Table 7's cells, the
paper's run as presets, the paper's and the code's forms, every setting's source),
:mod:`~lnl.methods.dividemix.mixmatch` (co-refinement, co-guessing, MixMatch and the losses, eq.
3-12) and :mod:`~lnl.methods.dividemix.method` (Algorithm 1: the co-divide and the step). The
tutorial's walk-throughs are :mod:`lnl.walkthrough.dividemix`.
"""

from lnl.methods.dividemix.config import (CODE_FORMS, DEFAULTS, PRESET_SOURCES, PRESETS, SOURCES, TABLE7,
                                          DivideMixConfig)
from lnl.methods.dividemix.method import FORWARDS_PER_STEP, DivideMix, Half
from lnl.methods.dividemix.mixmatch import (co_guess, co_refine, confidence_penalty, linear_rampup, loss_reg, loss_u,
                                            loss_x, mixmatch, sharpen, total_loss)

__all__ = ["TABLE7", "CODE_FORMS", "DEFAULTS", "PRESETS", "SOURCES", "PRESET_SOURCES", "DivideMixConfig", "sharpen",
           "co_refine", "co_guess", "mixmatch", "loss_x", "loss_u", "loss_reg", "confidence_penalty",
           "linear_rampup", "total_loss", "FORWARDS_PER_STEP", "Half", "DivideMix"]
