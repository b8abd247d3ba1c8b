"""SANM's settings (§3.1, §3.3, Table 5) and, where the paper and the official code differ, the
forms of each (the table of :mod:`lnl.methods.sanm`); :data:`SOURCES` says where each comes from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from lnl.params import Epochs
from lnl.sources import Source, code, ours, paper, reconstructed

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
