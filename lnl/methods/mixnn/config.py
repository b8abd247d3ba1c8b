"""MixNN's settings: the paper's defaults (§6.1, Algorithm 1), Table IV's ablations, the forms
where the paper and the official code differ, and every setting's source."""

from __future__ import annotations

from dataclasses import dataclass

from lnl import knn as lnl_knn
from lnl.params import Epochs, epochs_of
from lnl.sources import ours, paper, reconstructed

CODE_T_EVERY = 10         # code: t updated when epoch % 10 == 0 (loss.py, ANNLoss_K_2)
CODE_MIXUP_BETA = 1.0     # code: λ ~ Beta(1, 1) for warm-up < e ≤ E_s (mixup_data_ann_dynamic_K_2)
CHOICES = {"weights": ("gmm", "avg", "rdm"), "partners": ("knn", "random"), "variant": ("paper", "code"),
           "knn_backend": ("auto",) + lnl_knn.BACKENDS}


@dataclass(frozen=True)
class MixNNConfig:
    warmup: Epochs = 10          # CE warm-up epochs; §6.1: 10 for CIFAR-10, 30 for CIFAR-100 (code --warmup 10)
    K: int = 1                   # K neighbours; §6.1 "We set K = 1" (code --K 2 = self + 1 neighbour)
    e_s: Epochs = 60             # E_s, first epoch of label correction; Alg. 1, §6.1 (code --es 60)
    alpha: float = 0.9           # α, EMA momentum of eq. (14); Alg. 1, §6.1, Fig. 7d (code --m 0.9)
    weights: str = "gmm"         # λ, β: gmm eq. (10)-(11); avg, rdm: Table IV "w/o weight estimation"
    rdm_alpha: float = 1.0       # Dirichlet/Beta parameter of "rdm"; §6.3 names no value (code's mixup: 1)
    partners: str = "knn"        # knn (Alg. 1 l. 3) or random (Table IV "w/o K nearest neighbours")
    correction: bool = True      # eq. (14) on/off (Table IV "w/o label correction")
    variant: str = "paper"       # paper, or code (train_cifar_with_MixNN.py + loss.py @ 12c6005)
    t_every: int = 0             # eq. (14) every n-th epoch from E_s; 0: the variant's (paper 1, code 10)
    gmm_window: int = 1          # GMM on the mean of the last n epochs' normalised losses (code: 5 at r = 0.8)
    neg_prob_loss: bool = False  # code variant, warm-up < e < E_s: loss.py's nll_loss(softmax) = −p_ỹ
    knn_backend: str = "auto"    # exact, hnsw (the paper's, §4.3), or auto: lnl.knn.default_backend

    def __post_init__(self):
        for name, valid in CHOICES.items():
            if getattr(self, name) not in valid:
                raise ValueError(f"MixNN {name} must be one of: {', '.join(valid)}; got '{getattr(self, name)}'.")
        for name in ("warmup", "e_s"):                   # epochs, or a share of the run (a float)
            try:
                epochs_of(getattr(self, name), 1)
            except ValueError:
                raise ValueError(f"MixNN {name} must be a number of epochs or a share of the run in [0, 1], "
                                 f"got {getattr(self, name)!r}.") from None
        for name, low in (("K", 1), ("e_s", 1), ("t_every", 0), ("gmm_window", 1)):
            if isinstance(getattr(self, name), int) and getattr(self, name) < low:
                raise ValueError(f"MixNN {name} must be at least {low}, got {getattr(self, name)}.")
        if not (0 <= self.alpha < 1 and self.rdm_alpha > 0):
            raise ValueError(f"MixNN needs 0 ≤ alpha < 1 and rdm_alpha > 0, got {self.alpha}, {self.rdm_alpha}.")
        if self.neg_prob_loss and self.variant != "code":
            raise ValueError("neg_prob_loss is the official code's phase-2 loss; it needs variant='code'.")

    def code_form(self, name: str) -> str | None:
        """What made ``name`` the official code's form (:mod:`lnl.provenance`), or None."""
        return "variant='code'" if name == "t_every" and not self.t_every and self.variant == "code" else None

    def resolve(self, name: str):
        """The value the method uses: ``t_every=0`` is the variant's (paper 1, code 10)."""
        if name == "t_every" and not self.t_every:
            return CODE_T_EVERY if self.variant == "code" else 1
        return getattr(self, name)


_CODE = "MacLLL/MixNN train_cifar_with_MixNN.py"
SOURCES = {
    "warmup": paper("§6.1: \"We warm up our networks 10 epochs for CIFAR-10 and 30 epochs for CIFAR-100\"",
                    f"of the 300 epochs of §6.1; {_CODE} --warmup 10", schedule=300),
    "K": paper("§6.1: \"We set K = 1 since we find that a larger K worsens the performance\"",
               f"{_CODE} --K 2 counts the sample itself and its one neighbour"),
    "e_s": paper("Algorithm 1 (input E_s = 60) and §6.1: \"we fix E_s = 60 and α = 0.9 by default\"",
                 f"of the 300 epochs of §6.1; {_CODE} --es 60", schedule=300),
    "alpha": paper("Algorithm 1 (input α = 0.9) and §6.1: \"we fix E_s = 60 and α = 0.9 by default\"",
                   f"Fig. 7d: 0.85 to 0.95 change little; {_CODE} --m 0.9"),
    "weights": paper("eq. (10)-(11)", "avg and rdm: Table IV's \"w/o weight estimation\" rows, §6.3"),
    "rdm_alpha": reconstructed("the parameter of Table IV's random weights: §6.3 says only \"random (RDM) "
                               "weights from a Beta distribution\"",
                               f"1, the Beta(1, 1) of the official code's mixup, {_CODE}; Dirichlet(1, ..., 1) "
                               "for K > 1 is ours"),
    "partners": paper("Algorithm 1, l. 3: the K nearest neighbours",
                      "random: Table IV's \"w/o K nearest neighbours\" row, §6.3"),
    "correction": paper("eq. (14), Algorithm 1, l. 8-9", "False: Table IV's \"w/o label correction\" row, §6.3"),
    "variant": ours("the paper's method as its text states it; the official code differs in four places "
                    "(the module's table), and variant='code' reproduces them",
                    "MacLLL/MixNN @ 12c6005: train_cifar_with_MixNN.py, loss.py"),
    "t_every": paper("Algorithm 1, l. 8-9: t is updated in every epoch e ≥ E_s",
                     "variant='code': every 10th epoch, MacLLL/MixNN loss.py ANNLoss_K_2: epoch % 10 == 0, "
                     "the same period as the code's LR restarts, T_0 = 10; a period, not scaled to a shorter run"),
    "gmm_window": paper("§4.4: \"we always calculate the cross-entropy loss to estimate the clean probability "
                        "for all samples after every epoch\": that epoch's losses, no averaging",
                        f"{_CODE} averages the last 5 epochs' losses at noise rate 0.8: gmm_window=5"),
    "neg_prob_loss": ours("the paper's loss is eq. (7), a cross-entropy; the code's F.nll_loss on softmax "
                          "outputs between the warm-up and E_s is −p_ỹ, linear in p, most likely a slip",
                          f"True reproduces {_CODE}; variant='code' only"),
    "knn_backend": ours("the faster search for the same neighbours (lnl.knn.default_backend): exact on a GPU "
                        "and on a CPU below 30,000 samples, HNSW (the paper's, §4.3) on a CPU above, where "
                        "benchmarks/knn.py measured it faster"),
}
