"""IEG's settings: Table 7's ablation rows (and Table 6's EG), the hyper-parameters of §3.1-3.2, and
where the paper and the official code differ, each form (the table of :mod:`lnl.methods.ieg`);
:data:`SOURCES` says where each comes from."""

from __future__ import annotations

from dataclasses import dataclass

from lnl.sources import code, ours, paper

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
