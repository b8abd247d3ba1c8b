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
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from lnl import gmm
from lnl.engine import Context, Method, eval_mode
from lnl.losses import soft_cross_entropy
from lnl.methods.plugins import Extension, Part, View
from lnl.models import Classifier, Features
from lnl.params import Epochs
from lnl.provenance import Source, code, ours, paper, reconstructed
from lnl.rng import derive_seed

COMPONENTS = ("amg", "amg+nlr", "amg+nlr+smr")       # Table 5's ladder, the last is SANM
PAPER_FORMS = dict(activation="cam", ratio="noise-aware", area_factor=1.0, anchor="centre", fill="noise",
                   min_ratio="paper", target="prediction", gamma=1.0)
CODE_FORMS = dict(activation="energy", ratio="code", area_factor=0.5, anchor="corner", fill="flat",
                  min_ratio="same", target="host", gamma=0.02)
PREDICTION_TARGET_HOSTS = ("dividemix",)   # hosts whose targets for x are built from its predictions:
                                           # the paper's NLR modulates those (their form "host")
# SANM's training cost on a host as a factor of the host's (lnl.campaign.estimate_s): its measured
# epoch ratio (the SANM replication at cpu, training only): 4.9 on CE, its own GMM pass included, as
# on any host without a division of its own; 2.9 on DivideMix.
COST_FACTOR = {"ce": 4.9, "dividemix": 2.9}
COLOUR = "#d55e00"     # Okabe-Ito vermilion: SANM's own figures, whatever the host (lnl.plot.METHOD_COLOURS)


@dataclass(frozen=True)
class SANMConfig:
    """SANM's own settings; a wrapped method's config has these and its host's (:func:`with_sanm`)."""

    sigma_b: float = 0.2              # σ_b, the basic mask ratio (§3.3, Fig. 4: 0.2 on CIFAR)
    kappa: float = 1.0                # κ of eq. (2) (reconstructed): a sure-noisy box is 1 + κ times a clean one
    r1: float = 0.8                   # r_1 of eq. (3): aspect ratios in [r_1, 1/r_1] (code)
    gamma: float | None = None        # γ of eq. (11), L_rec's weight; None: the variant's (paper 1, code 0.02)
    components: str = "amg+nlr+smr"   # Table 5's ladder: amg | amg+nlr | amg+nlr+smr
    variant: str = "paper"            # paper | code: every form of the table in the module docstring
    activation: str | None = None     # cam | energy (code); None: the variant's
    ratio: str | None = None          # noise-aware | fixed | random | code; None: the variant's
    area_factor: float | None = None  # box area σ H W times this (code 0.5); None: the variant's
    anchor: str | None = None         # centre | corner (code); None: the variant's
    fill: str | None = None           # noise | flat (code); None: the variant's
    min_ratio: str | None = None      # paper (σ_b (1 − w)) | same (code); None: the variant's
    target: str | None = None         # prediction (paper) | host (code; on CE the given label); None: the variant's
    start: Epochs = 1                 # first epoch with masks, from 0 (ours: a GMM on a host's losses needs one
                                      # trained epoch); not a phase of the paper's schedule
    trace: int = 8                    # training images whose masked view and reconstruction are kept each epoch

    def check_sanm(self) -> None:
        if self.components not in COMPONENTS:
            raise ValueError(f"SANM's components are one of {', '.join(COMPONENTS)}, got '{self.components}'.")
        if self.variant not in ("paper", "code"):
            raise ValueError(f"SANM's variant is 'paper' or 'code', got '{self.variant}'.")
        if not 0 <= self.sigma_b < 1 or self.kappa < 0 or not 0 < self.r1 <= 1 or (self.gamma or 0) < 0:
            raise ValueError("SANM needs 0 ≤ sigma_b < 1, kappa ≥ 0, 0 < r1 ≤ 1 and gamma ≥ 0.")
        choices = dict(activation=("cam", "energy"), ratio=("noise-aware", "fixed", "random", "code"),
                       anchor=("centre", "corner"), fill=("noise", "flat"), min_ratio=("paper", "same"),
                       target=("prediction", "host"))
        for name, allowed in choices.items():
            value = getattr(self, name)
            if value is not None and value not in allowed:
                raise ValueError(f"SANM's {name} is one of {', '.join(allowed)}, got '{value}'.")
        if self.area_factor is not None and not 0 < self.area_factor <= 1:
            raise ValueError("SANM's area_factor is in (0, 1].")
        if self.trace < 0:
            raise ValueError("SANM's trace is a number of images, 0 or more.")

    paper_forms: ClassVar[dict[str, Any]] = PAPER_FORMS   # with_sanm: a host's own (PREDICTION_TARGET_HOSTS)

    def form(self, name: str):
        """A form setting: given, else the variant's (the code's forms, or the paper's)."""
        value = getattr(self, name)
        if value is not None:
            return value
        return (CODE_FORMS if self.variant == "code" else self.paper_forms)[name]

    def resolve(self, name: str):
        """A setting as the regulariser uses it: a form (``None``: the variant's, :meth:`form`), or
        the value as given."""
        return self.form(name) if name in CODE_FORMS else getattr(self, name)

    def code_form(self, name: str) -> str | None:
        """What made ``name`` the official code's form (:mod:`lnl.provenance`), or None."""
        chosen = name in CODE_FORMS and getattr(self, name) is None and self.variant == "code"
        return "variant='code'" if chosen else None


_CODE = "yuanpengtu/SANM Train_cifar.py"

# Where each setting of SANMConfig comes from (lnl.provenance). A form's source is the paper's
# (or a reconstruction), and its note names the code's form that variant="code" selects.
SOURCES: dict[str, Source] = {
    "sigma_b": paper("§3.3 (Parameter Sensitivity), Fig. 4",
                     '"we set [σ_b] as 0.2 to obtain the best performance on CIFAR-10/100"; the code ignores it'),
    "kappa": reconstructed("eq. (2)'s body, lost: the text fixes only that σ_i grows as w_i falls and that "
                           "σ_b = 0 masks nothing (§2.4, §3.3)",
                           "σ_i = σ_b (1 + κ (1 − w_i)); κ = 1 is ours: a sure-noisy sample's box twice a sure-clean "
                           "one's"),
    "r1": code(f"{_CODE}: attention_erase_map, r1 = 0.8", "eq. (3) names r_1 a hyper-parameter; the text sets no value"),
    "gamma": paper("§3.1", '"[its symbol lost] is empirically set as 1", read as eq. (11)\'s weight of L_rec, "a '
                   'parameter to balance the weight of two loss terms"; variant="code": 0.02 '
                   f'({_CODE}: loss = ... + Lrecon*0.02; 0.3 in Train_clothing1M.py)'),
    "components": paper("Table 5 (§3.3, Component Analysis)", "amg, amg+nlr, amg+nlr+smr: the last is SANM"),
    "variant": ours("the paper's forms where its text decides them; variant='code' selects every form of the "
                    f"official code ({_CODE}) at once"),
    "activation": paper("§2.4, eq. (1)", 'the map of "the class with the largest predictions", a CAM (Zhou et al. '
                        '[48], §2.2); variant="code": Σ_k F_k², class-agnostic (attention_erase_map)'),
    "ratio": reconstructed("eq. (2)'s body, lost", "noise-aware σ_b (1 + κ (1 − w_i)): σ_i grows as w_i falls "
                           "(§2.4); fixed and random are Fig. 2's and Fig. 4's controls; variant='code': "
                           "U(0.02, 0.07) + 0.03 (1 − w_i) per sample and step (attention_erase_map)"),
    "area_factor": reconstructed("eq. (4)'s body, lost", "h w = σ_i H W, so that σ_i, the 'mask ratio', is the "
                                 "box's share of the image; variant='code': 0.5 σ_i H W (attention_erase_map: "
                                 "sqrt(target_area*0.5 * aspect_ratio)), reported as a difference from eq. (4) in "
                                 "the official repository's issue #3"),
    "anchor": reconstructed("eq. (4)'s placement of the box on the recorded location, lost",
                            "centred on it; variant='code': the box's top-left corner on it, shifted inside the "
                            "image (attention_erase_map), reported as a difference in the official repository's "
                            "issue #3"),
    "fill": paper("§2.4, eq. (5)", 'the box\'s locations "are assigned random values generated from a uniform '
                  'distribution": per pixel, in pixel space; variant="code": one U(0, 1) per channel, written into '
                  'the normalised image (attention_erase_map)'),
    "min_ratio": reconstructed("the ratio of the box at the minimum (\"we set the mask ratio of the regions with "
                               "minimum activation values as [lost]\", §2.4)",
                               "σ_b (1 − w_i): the text gives clean samples \"a smaller mask ratio\" there; "
                               "variant='code': the box of the maximum's size (attention_erase_map)"),
    "target": paper("§2.4, §2.5", '"we give the pseudo labels of [x̃] with the predictions of […]" (§2.4); "the '
                    'predictions of the original images are used for regularized label generation" (§2.5): the '
                    'softmax of the host\'s forward pass of x; target="host" modulates the given label instead'),
    "start": ours("masks from the second epoch: a GMM on a host's own losses (CE, Co-teaching, ELR) needs one "
                  "trained epoch to separate anything, and the paper states no start",
                  "an epoch from 0, not a phase of the paper's schedule; DivideMix's warm-up trains without masks "
                  "in any case"),
    "trace": ours("a diagnostic that does not change training: the training images whose masked view and "
                  "reconstruction are kept after each epoch (the tutorial's figure)"),
}
# DivideMix's NLR target: the host's own, built from the predictions (PREDICTION_TARGET_HOSTS).
HOST_TARGET_SOURCE = paper("§2.4, §2.5", 'ŷ from "the predictions of the original images" (§2.5): DivideMix\'s '
                           'co-refined and co-guessed labels, built from them, as the code modulates its targets_x '
                           f'and targets_u ({_CODE}: attention_erase_map)')


# ----------------------------------------------------------------------------------------------
# AMG: adversarial masking generation (§2.4, eq. 1-5)
# ----------------------------------------------------------------------------------------------

def activation_map(net: Classifier, out: Features, form: str = "cam", cls: Tensor | None = None) -> Tensor:
    """Eq. (1): the activation map ``[B, h, w]`` of each image, from the feature map of a forward
    pass already made (``net(x, features=True)``), never a second forward through the body.

    ``cam``: the class activation map of class ``cls`` (default: the predicted class), each
    location's contribution to that class's logit, Σ_k F_k ∂z_c/∂F_k. For a network that pools
    globally before its linear head (the ResNets) ∂z_c/∂F_k = W_{c,k} / (h w), and the map is the
    CAM of Zhou et al. (2016) divided by h w; for the CPU ``cnn``, whose neck is a linear layer and a
    ReLU, the same sum is exact for the neck's active units. It is computed through the neck and
    head alone. ``energy``: Σ_k F_k², the code's class-agnostic map.
    """
    fmap = out.feature_map.detach().float()
    if form == "energy":
        return (fmap ** 2).sum(1)
    if form != "cam":
        raise ValueError(f"activation map form is 'cam' or 'energy', got '{form}'.")
    if cls is None:
        cls = out.logits.detach().argmax(1)
    with torch.enable_grad():
        f = fmap.clone().requires_grad_(True)
        z = net.fc(net.neck(f.to(out.feature_map.dtype))).float()
        (grad,) = torch.autograd.grad(z.gather(1, cls.view(-1, 1)).sum(), f)
    return (f.detach() * grad).sum(1)


def extreme_locations(A: Tensor, size: tuple[int, int]) -> tuple[Tensor, Tensor]:
    """Row and column ``[B, 2]`` of the maximum and of the minimum of each activation map, after
    bilinear upsampling to the image's ``size`` (H, W), as the code's ``cv2.resize``; on ties (to
    within float rounding, 1e-6 of the map's range: a flat map, such as the MLP's 1 × 1 one,
    upsampled) the first location in row-major order."""
    up = F.interpolate(A[:, None].float(), size=size, mode="bilinear", align_corners=False)[:, 0]
    flat = up.flatten(1)
    hi, lo = flat.amax(1, keepdim=True), flat.amin(1, keepdim=True)
    tol = 1e-6 * (hi - lo + hi.abs() + 1)
    W = size[1]
    first = lambda hit: hit.int().argmax(1)          # noqa: E731  (the first True of each row)
    at = lambda i: torch.stack([i // W, i % W], 1)   # noqa: E731
    return at(first(flat >= hi - tol)), at(first(flat <= lo + tol))


def centre_share(A: Tensor, size: tuple[int, int], centre: float = 0.5) -> Tensor:
    """The share ``[B]`` of each activation map's mass (its positive part, upsampled to the image's
    ``size``) that falls in the image's central box of ``centre`` times its height and width: the
    measure of the paper's Figure 1, where a network trained on noisy labels looks at the
    background and the object's edges more than one trained on clean labels."""
    up = F.interpolate(A[:, None].float().clamp_min(0), size=size, mode="bilinear", align_corners=False)[:, 0]
    H, W = size
    h, w = round(centre * H), round(centre * W)
    top, left = (H - h) // 2, (W - w) // 2
    inside = up[:, top:top + h, left:left + w].sum((1, 2))
    return inside / up.sum((1, 2)).clamp_min(1e-12)


def mask_ratio(w: Tensor, sigma_b: float, kappa: float = 1.0, form: str = "noise-aware",
               generator: torch.Generator | None = None) -> Tensor:
    """Eq. (2): the mask ratio σ_i of each sample from its clean probability ``w [B]``.

    ``noise-aware`` (reconstructed): σ_b (1 + κ (1 − w)), from σ_b for a sure-clean sample to
    (1 + κ) σ_b for a sure-noisy one. ``fixed``: σ_b. ``random``: U(σ_b, (1 + κ) σ_b), the same
    range drawn without w (Fig. 2 and 4's controls). ``code``: U(0.02, 0.07) + 0.03 (1 − w), drawn
    per sample and step (HEAD of the official code), σ_b unused."""
    w = w.float().clamp(0, 1)
    if form == "noise-aware":
        return sigma_b * (1 + kappa * (1 - w))
    if form == "fixed":
        return torch.full_like(w, sigma_b)
    u = torch.rand(w.shape, generator=generator, device=w.device)
    if form == "random":
        return sigma_b * (1 + kappa * u)
    if form == "code":
        return 0.02 + 0.05 * u + 0.03 * (1 - w)
    raise ValueError(f"mask ratio form is noise-aware, fixed, random or code, got '{form}'.")


def min_mask_ratio(w: Tensor, sigma: Tensor, sigma_b: float, form: str = "paper") -> Tensor:
    """The ratio of the box at the activation minimum: σ_b (1 − w) (``paper``, reconstructed: a
    smaller box for a clean sample, whose minimum lies in the background), or σ_i (``same``, the
    code's box of the same size as the one at the maximum)."""
    if form == "same":
        return sigma
    if form == "paper":
        return sigma_b * (1 - w.float().clamp(0, 1))
    raise ValueError(f"the minimum's mask ratio is 'paper' or 'same', got '{form}'.")


def aspect_ratio(n: int, r1: float, generator: torch.Generator | None = None, device=None) -> Tensor:
    """Eq. (3): r_a ~ U(r_1, 1/r_1), one per sample."""
    u = torch.rand(n, generator=generator, device=device)
    return r1 + (1 / r1 - r1) * u


def box_size(sigma: Tensor, r_a: Tensor, H: int, W: int, area_factor: float = 1.0) -> tuple[Tensor, Tensor]:
    """Eq. (4): height √(a σ H W r_a) and width √(a σ H W / r_a), rounded and clipped to the image,
    with a = ``area_factor`` (the code's 0.5). A ratio of 0 gives an empty box."""
    area = area_factor * sigma.float() * H * W
    h = torch.round(torch.sqrt(area * r_a)).long().clamp(0, H)
    w = torch.round(torch.sqrt(area / r_a)).long().clamp(0, W)
    return h, w


def box_corner(at: Tensor, h: Tensor, w: Tensor, H: int, W: int, anchor: str = "centre") -> Tensor:
    """Top-left corner ``[B, 2]`` of each box of size ``h × w`` placed at location ``at [B, 2]``:
    centred on it (``centre``, eq. 4: rows at − ⌊h/2⌋ …) or with its top-left corner on it
    (``corner``, the code), shifted inwards so that the whole box lies inside the H × W image."""
    if anchor == "centre":
        top, left = at[:, 0] - h // 2, at[:, 1] - w // 2
    elif anchor == "corner":
        top, left = at[:, 0], at[:, 1]
    else:
        raise ValueError(f"a box's anchor is 'centre' or 'corner', got '{anchor}'.")
    top = torch.minimum(top.clamp_min(0), H - h)
    left = torch.minimum(left.clamp_min(0), W - w)
    return torch.stack([top, left], 1)


def box_masks(corner: Tensor, h: Tensor, w: Tensor, H: int, W: int) -> Tensor:
    """Binary masks M ``[B, 1, H, W]``: 1 inside each box."""
    rows = torch.arange(H, device=corner.device)[None, :, None]
    cols = torch.arange(W, device=corner.device)[None, None, :]
    top, left = corner[:, 0, None, None], corner[:, 1, None, None]
    inside = ((rows >= top) & (rows < top + h[:, None, None]) & (cols >= left) & (cols < left + w[:, None, None]))
    return inside[:, None].float()


def fill_noise(x: Tensor, mean: Tensor, std: Tensor, form: str = "noise",
               generator: torch.Generator | None = None) -> Tensor:
    """The noise N of eq. (5) for normalised images ``x [B, C, H, W]``: ``noise``, per-pixel
    U(0, 1) in pixel space, normalised like the images (``mean``, ``std`` per channel, in [0, 1]
    units); ``flat``, one U(0, 1) per image and channel written as it is into the normalised image
    (the code)."""
    B, C, H, W = x.shape
    if form == "noise":
        u = torch.rand((B, C, H, W), generator=generator, device=x.device)
        return (u - mean) / std
    if form == "flat":
        return torch.rand((B, C, 1, 1), generator=generator, device=x.device).expand(B, C, H, W)
    raise ValueError(f"the fill is 'noise' or 'flat', got '{form}'.")


def masked_images(x: Tensor, M: Tensor, N: Tensor) -> Tensor:
    """Eq. (5): x̃ = x ⊙ (1 − M) + N ⊙ M."""
    return x * (1 - M) + N.to(x.dtype) * M


def amg(net: Classifier, x: Tensor, out: Features, w: Tensor, c: SANMConfig, mean: Tensor, std: Tensor,
        generator: torch.Generator | None = None) -> dict[str, dict[str, Tensor]]:
    """AMG, eq. (1)-(5), for images ``x [n, C, H, W]`` with the forward pass ``out`` of them and
    clean probabilities ``w [n]``, in the forms of ``c``: ``{"max": ..., "min": ...}``, each with the
    masked images ``x``, the ratios ``sigma``, the aspect ratios ``r_a`` and the boxes ``box``
    ``[n, 4]`` (top, left, height, width). ``mean``, ``std``: the data's normalisation in [0, 1] units."""
    H, W = x.shape[-2:]
    A = activation_map(net, out, c.form("activation"))                                       # eq. (1)
    at_max, at_min = extreme_locations(A, (H, W))
    sigma = mask_ratio(w, c.sigma_b, c.kappa, c.form("ratio"), generator=generator)           # eq. (2)
    sigma_min = min_mask_ratio(w, sigma, c.sigma_b, c.form("min_ratio"))
    r_a = aspect_ratio(len(x), c.r1, generator=generator, device=x.device)                    # eq. (3)
    views = {}
    for where, s, at in (("max", sigma, at_max), ("min", sigma_min, at_min)):
        h, wd = box_size(s, r_a, H, W, c.form("area_factor"))                                  # eq. (4)
        corner = box_corner(at, h, wd, H, W, c.form("anchor"))
        M = box_masks(corner, h, wd, H, W)
        N = fill_noise(x, mean, std, c.form("fill"), generator=generator)
        views[where] = {"x": masked_images(x, M.to(x.dtype), N), "sigma": s, "r_a": r_a,          # eq. (5)
                        "box": torch.cat([corner, h[:, None], wd[:, None]], 1)}
    return views


# ----------------------------------------------------------------------------------------------
# NLR: noisy label regularisation (eq. 6-7)
# ----------------------------------------------------------------------------------------------

def modulate_labels(y_hat: Tensor, sigma: Tensor) -> Tensor:
    """Eq. (6)-(7): ỹ_c = ŷ_c − σ for the top class k of ŷ, ŷ_c + σ/(C − 1) for every other c.
    Reconstructed: the text penalises class k "with the mask ratio" and raises the others
    "uniformly"; the amounts are the code's (``attention_erase_map``). Rows still sum to 1; σ is
    capped at ŷ_k so that no probability turns negative (the code does not cap: its ratios stay
    below 0.1, and its DivideMix targets are sharpened). A prediction whose top class holds no more
    than σ (σ ≥ σ_b = 0.2 by default; a flat prediction over ten classes holds 0.1) loses that class
    entirely, and its largest entry moves to another class."""
    C = y_hat.shape[1]
    k = y_hat.argmax(1, keepdim=True)
    s = torch.minimum(sigma.float().view(-1, 1), y_hat.gather(1, k))
    top = torch.zeros_like(y_hat).scatter_(1, k, 1.0)
    return y_hat - s * top + s / (C - 1) * (1 - top)


# ----------------------------------------------------------------------------------------------
# SMR: self-supervised masking reconstruction (eq. 9-10)
# ----------------------------------------------------------------------------------------------

class Decoder(nn.Module):
    """M_D: transposed convolutions from the encoder's last feature map ``[K, h, w]`` back to the
    image ``[C, H, W]``, with no non-linearity or normalisation between them and none at the output
    (the code's ``resnetc2d.Decoder``). For PreAct ResNet-18's 512 × 4 × 4 map the layers are the
    code's: ConvT(512→256, k4, s2), ConvT(256→128, k6, s1), ConvT(128→3, k4, s2). Other maps are
    doubled in size (ConvT k4, s2, p1, halving the channels) until they reach the image, then a
    3 × 3 convolution gives its channels; a 1 × 1 map (the MLP's) goes through a linear layer."""

    def __init__(self, channels: int, side: int, image_shape: tuple[int, int, int]):
        super().__init__()
        C, H, W = image_shape
        self.image_shape = image_shape
        if (channels, side, H) == (512, 4, 32):
            self.layers = nn.Sequential(nn.ConvTranspose2d(512, 256, 4, 2), nn.ConvTranspose2d(256, 128, 6, 1),
                                        nn.ConvTranspose2d(128, C, 4, 2))
        elif side == 1:
            self.layers = nn.Sequential(nn.Flatten(), nn.Linear(channels, C * H * W), nn.Unflatten(1, (C, H, W)))
        else:
            layers, k = [], channels
            while side < H:
                layers.append(nn.ConvTranspose2d(k, max(k // 2, 8), 4, 2, 1))
                k, side = max(k // 2, 8), side * 2
            if side != H:
                raise ValueError(f"no decoder from a {side}-pixel feature map to a {H}-pixel image.")
            layers.append(nn.Conv2d(k, C, 3, padding=1))
            self.layers = nn.Sequential(*layers)

    def forward(self, fmap: Tensor) -> Tensor:
        return self.layers(fmap)


def attach_decoder(net: Classifier, image_shape: tuple[int, int, int], seed: int = 0) -> Classifier:
    """Give ``net`` a decoder ``net.decoder`` for its feature map: a submodule of the network, so its
    parameters are in the network's optimiser and its checkpoint; the classifier's forward never
    calls it. The decoder's initial weights come from ``seed``, not from the global generator, so
    that the networks a host builds after this one start as they would without SANM."""
    device = next(net.parameters()).device
    with torch.no_grad(), eval_mode(net):
        fmap = net(torch.zeros((1, *image_shape), device=device), features=True).feature_map
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net.decoder = Decoder(fmap.shape[1], fmap.shape[-1], image_shape).to(device)
    return net


def reconstruction_loss(x_hat_max: Tensor, x_hat_min: Tensor | None, x: Tensor) -> Tensor:
    """Eq. (10): L_rec = MSE(x̂^max, x) + MSE(x̂^min, x), each the mean over pixels and images."""
    loss = F.mse_loss(x_hat_max.float(), x.float())
    return loss + F.mse_loss(x_hat_min.float(), x.float()) if x_hat_min is not None else loss


# ----------------------------------------------------------------------------------------------
# The regulariser a host calls, and the wrapped methods
# ----------------------------------------------------------------------------------------------

@dataclass
class Views:
    """The masked images of a batch and what they train on: ``x`` the 2n images (the n at each
    activation maximum, then the n at each minimum), ``y`` their targets (ỹ, or ŷ without NLR),
    ``x0`` the n unmasked images, ``sigma`` the n ratios at the maxima."""

    x: Tensor
    y: Tensor
    x0: Tensor
    sigma: Tensor


class Regulariser:
    """SANM as a plug-in (:mod:`lnl.methods.plugins`): at a host's hook, :meth:`extend` makes
    :meth:`views` (AMG, NLR) of each part of its batch and :meth:`reconstruction` (SMR) from one
    forward of them all. ``needs_own_w``: the host gives no w (``gives_w``), so a GMM on its own
    losses gives it, each epoch (:func:`own_clean_probability`)."""

    def __init__(self, config: SANMConfig, ctx: Context, needs_own_w: bool = False):
        self.c = config
        self.start = ctx.epochs_of(config.start)
        self.mean = ctx.data.mean / 255          # [1, C, 1, 1], the normalisation in [0, 1] units
        self.std = ctx.data.std / 255
        self.needs_own_w = needs_own_w           # a host without clean probabilities (CE, ELR, Co-teaching)
        self.w: Tensor | None = None             # then: a GMM on its own losses, each epoch

    def active(self, ctx: Context) -> bool:
        return ctx.epoch >= self.start

    def views(self, net: Classifier, x: Tensor, out: Features, w: Tensor, host_target: Tensor,
              ctx: Context, purpose: str = "sanm") -> Views:
        """AMG and NLR (eq. 1-7) for images ``x [n, C, H, W]`` with the host's forward ``out`` of
        them, clean probabilities ``w [n]`` and the host's targets ``[n, C]``. NLR modulates the
        prediction ``softmax(out.logits)`` (``target="prediction"``) or the host's targets
        (``"host"``); AMG alone gives the masked images the host's targets unchanged."""
        c = self.c
        with torch.no_grad():
            v = amg(net, x, out, w, c, self.mean, self.std, ctx.generator(purpose))         # eq. (1)-(5)
            images, sigma = [v["max"]["x"], v["min"]["x"]], v["max"]["sigma"]
            if "nlr" not in c.components:                # AMG alone: the masked images keep the host's targets
                y = host_target.float()
            else:
                y_hat = (torch.softmax(out.logits.detach().float(), 1) if c.form("target") == "prediction"
                         else host_target.float())                   # ŷ: the prediction on x, or the host's target
                y = modulate_labels(y_hat, sigma)                                             # eq. (6)-(7)
        return Views(torch.cat(images), torch.cat([y, y]), x, sigma)

    def trace(self, net: Classifier, k: int, ctx: Context) -> tuple[Tensor, Tensor]:
        """The first ``k`` training images (no augmentation) masked at their activation maximum as a
        sample of clean probability 1/2 would be, and the decoder's reconstruction of each, in eval
        mode and from a generator of the epoch's own: what the decoder has learnt so far."""
        x = ctx.data.batch(torch.arange(k, device=ctx.device))
        with torch.no_grad(), eval_mode(net):
            out = net(x, features=True)
            v = self.views(net, x, out, torch.full((k,), 0.5, device=x.device), torch.softmax(out.logits.float(), 1),
                           ctx, "sanm-trace")
            masked = v.x[:k]
            return masked, net.decoder(net(masked, features=True).feature_map)

    def extend(self, parts: list[Part], ctx: Context) -> Extension:
        """The host's hook (:meth:`lnl.methods.plugins.Host.plug`). The masked images of each part
        and their targets (:meth:`views`), with w the host's (DivideMix: the peer's division, of
        labelled and unlabelled samples alike) or this regulariser's own (:attr:`w`: CE, ELR, and
        both Co-teaching networks take net1's); one forward of them all, and γ L_rec of it. A part
        with the host's cross-entropy (CE, ELR, each Co-teaching network on the samples its peer
        selected) gets it back over x ∪ x̃ (eq. 8, :func:`pooled`); a host without one (DivideMix)
        puts the masked images into its own pool."""
        net = parts[0].net
        views = [self.views(net, p.x, p.out, self.w[p.idx] if p.w is None else p.w, p.target, ctx,
                            f"sanm-{p.key}" if p.key else "sanm") for p in parts]
        both = join(*views)
        masked = net(both.x, features=True)                             # one forward of every masked image
        given = []
        for p, v, z in zip(parts, views, split(masked.logits, views)):
            loss = None if p.loss is None else pooled(p.loss, soft_cross_entropy(z.float(), v.y))   # eq. (8)
            given.append(View(v.x, v.y, loss))
        return Extension(given, {"rec": self.reconstruction(net, masked, both)})          # γ L_rec (eq. 9-11)

    def reconstruction(self, net: Classifier, masked: Features, views: Views) -> Tensor:
        """γ L_rec (eq. 9-10, 11's second term) from the feature maps of a forward of the masked
        images (:meth:`extend`'s one; a host that mixes them trains on another)."""
        gamma = self.c.form("gamma")
        if "smr" not in self.c.components or gamma == 0:
            return masked.logits.new_zeros(())
        n = len(views.x0)
        x_hat = net.decoder(masked.feature_map)                                            # eq. (9)
        return gamma * reconstruction_loss(x_hat[:n], x_hat[n:], views.x0)                 # eq. (10)


def pooled(loss: Tensor, masked_loss: Tensor) -> Tensor:
    """Eq. (8)'s host loss over x ∪ x̃ when the host's loss is a mean over the n images of x and the
    masked one a mean over their 2n masked images: (n loss + 2n masked) / 3n.

    Reconstructed: eq. (8)'s body was lost, and the text says only that x̃ and ỹ "are used for
    supervised loss calculation" with the cross-entropy. Every one of the 3n images weighs the
    same, as in the official code, whose masked images join the labelled pool as two of its equal
    groups of B images."""
    return (loss + 2 * masked_loss) / 3


def join(*views: Views) -> Views:
    """Views of several image sets as one (DivideMix's labelled and unlabelled batches): the images
    at the maxima first, then those at the minima, as in each. One set's views are themselves."""
    if len(views) == 1:
        return views[0]
    halves = [v.x.chunk(2) for v in views]
    ys = [v.y.chunk(2) for v in views]
    return Views(torch.cat([h[0] for h in halves] + [h[1] for h in halves]),
                 torch.cat([y[0] for y in ys] + [y[1] for y in ys]),
                 torch.cat([v.x0 for v in views]), torch.cat([v.sigma for v in views]))


def split(z: Tensor, views: list[Views]) -> list[Tensor]:
    """The rows ``z`` of :func:`join`'s images (a forward of them) back to each set's views, in order."""
    if len(views) == 1:
        return [z]
    maxima, minima = (h.split([len(v.x0) for v in views]) for h in z.chunk(2))
    return [torch.cat(pair) for pair in zip(maxima, minima)]


def sanm_part(config: Any) -> SANMConfig:
    """The SANM settings of a wrapped method's config, its NLR target resolved for the host."""
    values = {f.name: getattr(config, f.name) for f in dataclasses.fields(SANMConfig)}
    return SANMConfig(**{**values, "target": config.resolve("target")})


def with_sanm(host: type[Method]) -> type[Method]:
    """The method ``sanm-<host>``: ``host`` with SANM's regulariser. Its config has the host's
    settings and SANM's (:class:`SANMConfig`), and ``resolve`` of each; its ``sources`` are the
    host's and SANM's (:data:`SOURCES`), its presets the host's. It builds every network with a
    decoder (:func:`attach_decoder`) and plugs a :class:`Regulariser` into the host's hook
    (``self.plugin``, :class:`lnl.methods.plugins.Host`).
    On a host of :data:`PREDICTION_TARGET_HOSTS` the paper's NLR target is the host's own. Its
    training cost is the host's times :data:`COST_FACTOR`."""
    own = {f.name for f in dataclasses.fields(SANMConfig)}
    clash = {f.name for f in dataclasses.fields(host.Config)} & own
    if clash:
        raise TypeError(f"{host.__name__} and SANM share settings {sorted(clash)}.")
    host_targets = host.name in PREDICTION_TARGET_HOSTS

    def post_init(self):
        if hasattr(host.Config, "__post_init__"):
            host.Config.__post_init__(self)
        self.check_sanm()

    def resolve(self, name: str):
        """A setting as the method uses it: SANM's (:meth:`SANMConfig.resolve`), else the host's."""
        if name in own:
            return SANMConfig.resolve(self, name)
        host_resolve = getattr(host.Config, "resolve", None) or getattr(host.Config, "get", None)
        return host_resolve(self, name) if host_resolve is not None else getattr(self, name)

    def code_form(self, name: str) -> str | None:
        """SANM's (:meth:`SANMConfig.code_form`), else the host's, where it has one."""
        if name in own:
            return SANMConfig.code_form(self, name)
        host_code_form = getattr(host.Config, "code_form", None)
        return host_code_form(self, name) if host_code_form is not None else None

    namespace = {"__post_init__": post_init, "resolve": resolve, "code_form": code_form,
                 "paper_forms": {**PAPER_FORMS, "target": "host"} if host_targets else PAPER_FORMS}
    config = dataclasses.make_dataclass(f"SANM{host.Config.__name__}", [], bases=(SANMConfig, host.Config),
                                        frozen=True, namespace=namespace)
    config.__doc__ = f"{host.__name__}'s settings and SANM's."

    class Wrapped(host):
        name = f"sanm-{host.name}"
        summary = f"{host.name} with SANM's self-supervised adversarial noisy masking plugged in"
        cost = host.cost * COST_FACTOR.get(host.name, COST_FACTOR["ce"])
        colour = None                          # a colour of its own (lnl.plot), not its host's nor SANM's
        Config = config
        sources = {**host.sources, **SOURCES, **({"target": HOST_TARGET_SOURCE} if host_targets else {})}
        presets = host.presets                 # the host's run settings, and their sources
        preset_sources = host.preset_sources
        transient = host.transient + ("plugin",)
        detection = "sanm_w" if host.detection == "loss" else host.detection   # SANM's own GMM where the host has none

        def configure(self, ctx: Context) -> None:
            self.plugin = Regulariser(sanm_part(self.config), ctx, needs_own_w=not host.gives_w)
            built = iter(range(1_000))                            # the k-th network's decoder seed

            def decoder(net):
                return attach_decoder(net, ctx.image_shape, derive_seed(ctx.cfg.seed, "sanm-decoder", next(built)))
            ctx.model_extensions.append(decoder)
            super().configure(ctx)
            k = min(self.plugin.c.trace, ctx.num_train)          # Fig.: reconstructions over training
            self.register_buffer("trace_masked", torch.zeros(ctx.cfg.epochs, k, *ctx.image_shape,
                                                             dtype=torch.float16, device=ctx.device))
            self.register_buffer("trace_recon", torch.zeros_like(self.trace_masked))

        def sanm_network(self) -> Classifier:
            """The host's first network (``net``, ``net1``): its decoder's reconstructions are traced,
            and a host without a division of its own takes w from its losses."""
            return next(m for m in self.modules() if isinstance(m, Classifier) and hasattr(m, "decoder"))

        def on_epoch_start(self, ctx: Context) -> None:
            super().on_epoch_start(ctx)
            if self.plugin.active(ctx) and self.plugin.needs_own_w:   # a host without a division (CE, ELR, Co-teaching)
                self.plugin.w = own_clean_probability(self.sanm_network(), ctx)
                ctx.log_per_sample("sanm_w", self.plugin.w)

        def phases(self, ctx: Context) -> dict[str, int]:
            return {**super().phases(ctx), "SANM's masks": self.plugin.start + 1}

        def on_epoch_end(self, ctx: Context) -> None:
            super().on_epoch_end(ctx)
            if len(self.trace_masked[0]):
                masked, recon = self.plugin.trace(self.sanm_network(), len(self.trace_masked[0]), ctx)
                self.trace_masked[ctx.epoch] = masked.half()
                self.trace_recon[ctx.epoch] = recon.half()

    Wrapped.__name__ = Wrapped.__qualname__ = f"SANM{host.__name__}"
    Wrapped.__doc__ = f"{host.__name__} with SANM's adversarial noisy masking (:mod:`lnl.methods.sanm`)."
    return Wrapped


def own_clean_probability(net: nn.Module, ctx: Context, seed_purpose: str = "sanm-gmm") -> Tensor:
    """w of every training sample from a two-component GMM on ``net``'s own losses (eval mode,
    no augmentation): SANM's w for a host without a division of its own (CE)."""
    loss = gmm.per_sample_loss(ctx.train_logits(net), ctx.labels)
    seed = derive_seed(ctx.cfg.seed, seed_purpose, ctx.epoch) % 2**31
    w = gmm.clean_probability(gmm.normalise(loss), seed=seed)
    return torch.as_tensor(w, dtype=torch.float32, device=ctx.device)


__all__ = ["COMPONENTS", "PAPER_FORMS", "CODE_FORMS", "PREDICTION_TARGET_HOSTS", "COST_FACTOR", "COLOUR", "SOURCES", "SANMConfig", "activation_map", "extreme_locations", "centre_share", "mask_ratio",
           "min_mask_ratio", "aspect_ratio", "box_size", "box_corner", "box_masks", "fill_noise",
           "masked_images", "amg", "modulate_labels", "Decoder", "attach_decoder", "reconstruction_loss", "Views",
           "Regulariser", "pooled", "join", "split", "with_sanm", "own_clean_probability"]


# ---- sanm chapter ----
# What the SANM pages of the book need beyond the method: its trained runs restored, and the
# walk-through's steps on them.

def run_role(key: tuple) -> str:
    """The role of a run of the SANM pages by its plan key ``(arm, ...)``: ``"clean"`` (the host on
    clean labels, Figure 1's reference), ``"sanm"`` (SANM on the host) or ``"noisy"`` (the host)."""
    arm = key[0]
    return "clean" if arm.endswith("clean labels") else "sanm" if arm.startswith("SANM") else "noisy"


@dataclass
class Trained:
    """The tutorial's runs restored with their networks, by role (:func:`run_role`): ``runs``
    (:func:`lnl.engine.restore`), ``nets`` (DivideMix's ``net1``), the data set ``ds``, and ``smoke``:
    True where the page's records kept no network and the smoke profile's runs stand in."""

    runs: dict[str, Any]
    nets: dict[str, Classifier]
    ds: Any
    smoke: bool

    @property
    def ctx(self) -> Context:
        """The noisy-label run's context: its data, labels and device."""
        return self.runs["noisy"].ctx

    @property
    def labels(self) -> tuple[Tensor, Tensor]:
        """The given and the true label ``[N]`` of every training image."""
        prep = self.runs["noisy"].prep
        return torch.tensor(prep.labels), torch.tensor(prep.true)

    @property
    def is_clean(self):
        """Whether each training label is the true one (a numpy array ``[N]``)."""
        given, true = self.labels
        return (given == true).numpy()

    @property
    def side(self) -> int:
        """The side of the network's last feature map (1: the MLP's, which has no spatial map)."""
        with torch.no_grad():
            x = self.ctx.data.batch(torch.arange(1, device=self.ctx.device))
            return self.nets["noisy"](x, features=True).feature_map.shape[-1]

    def describe(self) -> str:
        """One line: the data set, its noise, its images' size and the feature map's."""
        H, W = self.ds.image_shape[1:]
        return (f"{self.ds.name}: {len(self.is_clean)} training images ({(~self.is_clean).mean():.1%} mislabelled), "
                f"{H} × {W} pixels; the network's last feature map is {self.side} × {self.side}")


def restore_trained(page: str, recs: dict, rdir, seed: int = 0) -> Trained:
    """The tutorial's runs (``recs`` by plan key, in ``rdir``) with their trained networks. A `gpu`
    or `paper` record read on a CPU keeps no network (a campaign drops the weights); then the
    smoke profile's runs of ``page`` are trained (or loaded) here and stand in for them."""
    from pathlib import Path

    from lnl import book, data, engine, plans

    paths = {run_role(k): Path(rdir) / f"{r['run_id']}.json" for k, r in recs.items()}
    smoke = not all(p.with_suffix(".state.pt").exists() for p in paths.values())
    name = next(iter(recs.values()))["config"]["dataset"]
    if smoke:
        srecs = book.run_plan(plans.plan(page, "smoke", seed=seed), rdir)
        paths = {run_role(k): Path(rdir) / f"{r['run_id']}.json" for k, r in srecs.items()}
        name = plans.settings(page, "smoke")["run"]["dataset"]
    ds = data.load(name)
    runs = {r: engine.restore(p, dataset=ds) for r, p in paths.items()}
    nets = {r: (R.method.net if hasattr(R.method, "net") else R.method.net1) for r, R in runs.items()}
    return Trained(runs, nets, ds, smoke)


@dataclass
class Focus:
    """Figure 1's test images ``x`` with their true labels ``y``, and per network (by role) its
    predicted class ``pred [B]`` and the CAM of that class ``cams [B, h, w]`` (eq. 1)."""

    x: Tensor
    y: Tensor
    pred: dict[str, Tensor]
    cams: dict[str, Tensor]

    def shown(self, n: int) -> Tensor:
        """``n`` images for a grid: up to half of them predicted wrong by the noisy-label network, the
        rest predicted right."""
        wrong = torch.nonzero(self.pred["noisy"] != self.y)[:, 0]
        right = torch.nonzero(self.pred["noisy"] == self.y)[:, 0]
        return torch.cat([wrong[:n // 2], right[:n - min(len(wrong), n // 2)]])


def focus_images(trained: Trained, n: int, seed: int = 0) -> Focus:
    """``n`` test images drawn with ``seed`` (in index order), and each network's prediction and CAM
    of it: the networks share one test set."""
    import numpy as np

    y = torch.as_tensor(trained.runs["noisy"].prep.dataset.test.labels)
    assert all(torch.equal(torch.as_tensor(R.prep.dataset.test.labels), y) for R in trained.runs.values())
    idx = torch.as_tensor(np.sort(np.random.default_rng(seed).permutation(len(y))[:n]))
    x = trained.runs["noisy"].test.batch(idx.to(trained.ctx.device))
    pred, cams = {}, {}
    for r in ("clean", "noisy", "sanm"):
        with torch.no_grad():
            out = trained.nets[r](x, features=True)
        cams[r] = activation_map(trained.nets[r], out, "cam").cpu()
        pred[r] = out.logits.argmax(1).cpu()
    return Focus(x, y[idx], pred, cams)


@dataclass
class Pair:
    """The walk-through's two training images (a clean one, a mislabelled one): their indices
    ``ids``, images ``x [2, C, H, W]`` (no augmentation), the host's forward ``out`` of them and
    their clean probabilities ``w [2]``."""

    ids: Tensor
    x: Tensor
    out: Features
    w: Tensor
    names: tuple[str, str] = ("clean", "mislabelled")


def example_pair(net: Classifier, ctx: Context, w_all: Tensor, is_clean) -> Pair:
    """The first clean image that the mixture finds clean (w > 1/2) and the first mislabelled one
    that it finds noisy (w < 1/2), or the first of each kind where none is so found."""
    import numpy as np

    w_np = w_all.numpy()
    ids = []
    for kind, found in ((is_clean, w_np > 0.5), (~is_clean, w_np < 0.5)):
        pick = np.flatnonzero(kind & found)
        ids.append(int(pick[0]) if len(pick) else int(np.flatnonzero(kind)[0]))
    ids = torch.as_tensor(ids)
    x = ctx.data.batch(ids.to(ctx.device))
    with torch.no_grad():
        out = net(x, features=True)                                    # the host's forward pass
    return Pair(ids, x, out, w_all[ids].to(ctx.device))


def nlr_check(y_hat: Tensor, sigma: Tensor) -> dict[str, float]:
    """What NLR (eq. 6-7, :func:`modulate_labels`) does to targets ``y_hat [n, C]`` with ratios
    ``sigma [n]``: the largest distance of a row's sum from 1, the smallest entry (both identities:
    0 and ≥ 0), the mean top probability of ŷ, and how many ratios the cap σ ≤ ŷ_k cut."""
    y_mod = modulate_labels(y_hat, sigma)
    top = y_hat.max(1).values
    return {"max |Σ_c ỹ^σ_c − 1|": float((y_mod.sum(1) - 1).abs().max()), "min ỹ^σ_c": float(y_mod.min()),
            "mean top probability ŷ_k": float(top.mean()), "samples with σ capped at ŷ_k": int((sigma >= top).sum())}


def label_smoothing(y: Tensor, eps: Tensor) -> Tensor:
    """(1 − ε_i) y_i + ε_i / C per row: NLR on a one-hot target with ε_i = σ_i C / (C − 1)."""
    return (1 - eps)[:, None] * y + (eps / y.shape[1])[:, None]


def reconstruction_errors(restored: Any) -> tuple[Any, float]:
    """The mean squared error, per epoch, of the traced reconstructions x̂ and of the masked views x̃
    to the unmasked images (``trace_recon``, ``trace_masked`` of a restored SANM run, in the
    normalised pixel space; a DataFrame by epoch), and that of the mean training image, which a
    decoder that learnt no more than the average would give."""
    import numpy as np
    import pandas as pd

    m, ctx = restored.method, restored.ctx
    tm, tr = m.trace_masked.float().cpu(), m.trace_recon.float().cpu()                 # [E, k, C, H, W]
    x0 = ctx.data.batch(torch.arange(tm.shape[1], device=ctx.device)).float().cpu()
    mse = pd.DataFrame({"x̂: the decoder's reconstruction": ((tr - x0) ** 2).mean((1, 2, 3, 4)).numpy(),
                        "x̃: the masked view": ((tm - x0) ** 2).mean((1, 2, 3, 4)).numpy()},
                       index=pd.Index(np.arange(1, len(tm) + 1), name="epoch"))
    x_mean = ctx.data.batch(torch.arange(ctx.num_train, device=ctx.device)).mean(0, keepdim=True).cpu()
    return mse, float(((x_mean - x0) ** 2).mean())


__all__ += ["run_role", "Trained", "restore_trained", "Focus", "focus_images", "Pair", "example_pair", "nlr_check",
            "label_smoothing", "reconstruction_errors"]
