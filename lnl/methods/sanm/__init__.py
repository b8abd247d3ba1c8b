"""SANM: self-supervised adversarial noisy masking, a regulariser plugged into a host method.

C. Tu, Y. Liu, X. Zhang et al., "Learning with Noisy labels via Self-supervised Adversarial Noisy
Masking", CVPR 2023 (arXiv 2302.06805). Official code: yuanpengtu/SANM (``Train_cifar.py``,
``PreResNet.py``, ``resnetc2d.py``). The equation bodies were lost from the paper's text; they are
recovered from its framework figure and the code (``../shared/papers/implementation-notes.md`` §1)
and marked *reconstructed* below where the text leaves the form open. Sections are those of the
paper's text (§2.4 AMG and NLR, §2.5 SMR, §3.1 the settings of the experiments, §3.3 the
ablations); :data:`SOURCES` says where each setting of :class:`SANMConfig` comes from.

=============  ==========================================================================
w_i            the host's clean probability of sample i (a GMM on losses): the peer's division
               for DivideMix, for labelled and unlabelled samples alike; a GMM on its own
               losses for CE
F_i, A_i       the last feature map ``[K, h, w]`` of the encoder M_E, and the activation map
               made from it (eq. 1), upsampled to the image's H × W
σ_b, σ_i       the basic mask ratio (0.2, §3.3 and Fig. 4) and sample i's ratio (eq. 2)
r_1, r_a       the aspect range: r_a ~ U(r_1, 1/r_1) (eq. 3; code: r_1 = 0.8)
x̃^max, x̃^min   the image with a box of noise at A_i's maximum, and one at its minimum (eq. 5)
ŷ_i, ỹ_i       the target NLR modulates (the prediction on x_i, or a host's target built from
               it), and its modulated form (eq. 6-7)
M_D, γ         the decoder on the shared encoder, and the weight of L_rec (eq. 9-11)
=============  ==========================================================================

Per training step, for the images x of the host's batch (in the paper's order):

1. **AMG** (§2.4). The activation map of the predicted class (eq. 1) from the feature map of the
   forward pass the host already made; the locations of its maximum and minimum; the ratio
   σ_i = σ_b (1 + κ (1 − w_i)) (eq. 2, reconstructed: the text fixes only that σ grows as w_i
   falls and that σ_b = 0 means no masking; κ = 1 doubles the box of a sure-noisy sample over a
   sure-clean one); a box of area σ_i H W and aspect r_a (eq. 3-4) centred on each location; its
   pixels replaced by uniform noise (eq. 5). The box at the minimum takes the ratio σ_b (1 − w_i)
   (reconstructed: the text says a *smaller* ratio for clean samples there).
2. **NLR** (§2.4, eq. 6-7). ŷ is the network's prediction on the unmasked image: "we give the
   pseudo labels of [x̃] with the predictions of […]" (§2.4), "the predictions of the original
   images are used for regularized label generation" (§2.5), "first leveraging the soft-distributed
   model prediction" (§1). On CE, Co-teaching and ELR that is the softmax of the host's forward
   pass of x (``target="prediction"``). DivideMix's targets for x are themselves built from those
   predictions (its co-refined and co-guessed labels, the code's ``targets_x`` and ``targets_u``),
   so on DivideMix ŷ is the host's target (``target="host"``, also the code's form);
   :data:`PREDICTION_TARGET_HOSTS` names such hosts. ``target="host"`` on CE, Co-teaching or ELR
   modulates the given label instead, a label smoothing of it whose strength grows as w falls.
   ỹ moves σ_i of ŷ's top class k (for the prediction, the class whose activation map placed the
   box) to the other C − 1 classes in equal shares (eq. 7, reconstructed: the text says that class's
   value "is penalized with the mask ratio" and that all the others are "increased uniformly"; the
   amounts −σ_i and +σ_i/(C − 1), the one uniform raise that keeps the row summing to 1, are the
   code's, ``attention_erase_map`` in ``Train_cifar.py``). Both masked images take ỹ; the host trains
   on them with its own loss (eq. 8, reconstructed: for a host that trains by cross-entropy, the
   mean over the 3n images of x ∪ x̃, :func:`pooled`).
3. **SMR** (§2.5, eq. 9-10). The decoder M_D reconstructs x from the feature map of each masked
   image; L_rec = MSE(x̂^max, x) + MSE(x̂^min, x).
4. **Total** (eq. 11): L = L_host(x ∪ x̃, y ∪ ỹ) + γ L_rec.

Paper and official code differ; the paper's form is the default where the text decides it, the
code's a named option, and ``variant="code"`` selects every one:

=====================  ================================  =====================================
                       paper (default)                   code (``variant="code"``)
=====================  ================================  =====================================
activation map         CAM of the predicted class        Σ_k F_k² (class-agnostic energy):
                                                         ``activation="energy"``
mask ratio σ_i         σ_b (1 + κ (1 − w_i)), σ_b 0.2    U(0.02, 0.07) + 0.03 (1 − w_i), drawn
                                                         per sample and step: ``ratio="code"``
box area               σ_i H W                           0.5 σ_i H W: ``area_factor=0.5``
anchor                 box centred on the location       box's top-left corner on it, shifted
                                                         inside the image: ``anchor="corner"``
fill                   per-pixel U(0, 1) in pixel space  one U(0, 1) per channel, written into
                                                         the normalised image: ``fill="flat"``
box at the minimum     ratio σ_b (1 − w_i)               the same size as the box at the
                                                         maximum: ``min_ratio="same"``
NLR's target ŷ         the prediction on x (on           the host's target: the given label
                       DivideMix: its targets, built     on CE, Co-teaching and ELR (the code
                       from the predictions)             has only DivideMix and C2D hosts):
                                                         ``target="host"``
γ                      1 (§3.1: "[γ] is empirically set   0.02 (CIFAR; 0.3 on Clothing1M)
                       as 1", its symbol lost)
=====================  ================================  =====================================

The released CIFAR script is SANM on C2D, whose network returns ``softmax(score)`` as its logits
so that every loss there is computed on a softmax of a softmax: never copied here (our networks
return logits). Table 5's ablation ladder is ``components``: ``"amg"`` (masked images with the
host's own targets), ``"amg+nlr"``, ``"amg+nlr+smr"`` (SANM). Figure 2's and Figure 4's controls
are ``ratio="fixed"`` (σ_b for every sample) and ``ratio="random"`` (U(σ_b, (1 + κ) σ_b), the
noise-aware range without w).

SANM wraps a host through :func:`with_sanm`: ``sanm-ce``, ``sanm-dividemix``, ``sanm-coteaching``
and ``sanm-elr`` are methods of their own (``lnl run --method sanm-dividemix``), with the host's
settings and SANM's together. The regulariser (:class:`Regulariser`) plugs into the host's one
hook (:mod:`lnl.methods.plugins`), where the host has its batch's images, forward pass and targets;
the host names no plug-in, and with none it is unchanged. DivideMix gives w from its peer's
division and puts the masked images into both halves of its MixMatch pool; CE, ELR and Co-teaching
give no w, take it from a GMM on their (first) network's losses each epoch, and hand their
cross-entropy to be pooled with the masked images' (ELR keeps its regulariser on x; each
Co-teaching network trains on the masked views of the samples its peer selected for it).

The package reads in the paper's order: :mod:`~lnl.methods.sanm.config` (the settings, the forms
above and their sources), :mod:`~lnl.methods.sanm.amg` (AMG, eq. 1-5), :mod:`~lnl.methods.sanm.nlr`
(NLR, eq. 6-8), :mod:`~lnl.methods.sanm.smr` (SMR, eq. 9-10), :mod:`~lnl.methods.sanm.regulariser`
(the plug-in a host calls, eq. 11) and :mod:`~lnl.methods.sanm.wrap` (``sanm-<host>``). The
tutorial's walk-throughs are :mod:`lnl.walkthrough.sanm`.
"""

from lnl.methods.sanm.amg import (activation_map, amg, aspect_ratio, box_corner, box_masks, box_size, extreme_locations,
                                  fill_noise, mask_ratio, masked_images, min_mask_ratio)
from lnl.methods.sanm.config import (CODE_FORMS, COLOUR, COMPONENTS, COST_FACTOR, HOST_TARGET_SOURCE, PAPER_FORMS,
                                     PREDICTION_TARGET_HOSTS, SOURCES, SANMConfig)
from lnl.methods.sanm.nlr import modulate_labels, pooled
from lnl.methods.sanm.regulariser import Regulariser, Views, join, split
from lnl.methods.sanm.smr import Decoder, attach_decoder, reconstruction_loss
from lnl.methods.sanm.wrap import own_clean_probability, sanm_part, with_sanm

__all__ = ["COMPONENTS", "PAPER_FORMS", "CODE_FORMS", "PREDICTION_TARGET_HOSTS", "COST_FACTOR", "COLOUR", "SOURCES",
           "HOST_TARGET_SOURCE", "SANMConfig", "activation_map", "extreme_locations", "mask_ratio", "min_mask_ratio",
           "aspect_ratio", "box_size", "box_corner", "box_masks", "fill_noise", "masked_images", "amg",
           "modulate_labels", "pooled", "Decoder", "attach_decoder", "reconstruction_loss", "Views", "Regulariser",
           "join", "split", "sanm_part", "with_sanm", "own_clean_probability"]
