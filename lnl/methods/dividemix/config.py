"""DivideMix's settings: Table 7's cells (λ_u, τ, the GMM window, the warm-up), the paper's run as
presets, the forms where the paper and the official code differ, and every setting's source."""

from __future__ import annotations

from dataclasses import dataclass

from lnl.engine import Schedule
from lnl.params import Epochs
from lnl.sources import code, ours, paper

# One cell of the paper's experiments each: λ_u (Table 7 of the Appendix), τ (0.6 at 90 %, with a
# 5-epoch GMM window: the official repository's issues #10, #46), the warm-up (§4.1: 10 epochs on
# CIFAR-10, 30 on CIFAR-100). A cell takes the code's forms too (CODE_FORMS).
TABLE7 = {
    "c10-sym20": dict(lambda_u=0.0, tau=0.5, warmup=10),
    "c10-sym50": dict(lambda_u=25.0, tau=0.5, warmup=10),
    "c10-sym80": dict(lambda_u=25.0, tau=0.5, warmup=10),
    "c10-sym90": dict(lambda_u=50.0, tau=0.6, warmup=10, gmm_window=5),
    "c10-asym40": dict(lambda_u=0.0, tau=0.5, warmup=10),
    "c100-sym20": dict(lambda_u=25.0, tau=0.5, warmup=30),
    "c100-sym50": dict(lambda_u=150.0, tau=0.5, warmup=30),
    "c100-sym80": dict(lambda_u=150.0, tau=0.5, warmup=30),
    "c100-sym90": dict(lambda_u=150.0, tau=0.6, warmup=30, gmm_window=5),
}
CODE_FORMS = {"strict_tau": True}      # the code's w > τ; its L_U is everyone's default (lu_mean_classes)
# Without a cell: CIFAR-10 at 50-80 % (Table 7), the code's L_U, the paper's w ≥ τ, this epoch's losses
DEFAULTS = dict(lambda_u=25.0, tau=0.5, warmup=10, gmm_window=1, strict_tau=False)

# The paper's run (§4.1; Train_cifar.py), one run preset per cell of TABLE7: lnl run --preset NAME
_PAPER_RUN = dict(model="preact-resnet18", epochs=300, batch_size=64, optimizer="sgd", lr=0.02, momentum=0.9,
                  weight_decay=5e-4, schedule=Schedule("multistep", milestones=(150,), gamma=0.1), augment=True)
PRESETS = {cell: dict(_PAPER_RUN, method_params={"preset": cell}) for cell in TABLE7}


@dataclass(frozen=True)
class DivideMixConfig:
    preset: str | None = None         # a TABLE7 cell, e.g. c10-sym80: λ_u, τ, warm-up, GMM window, w > τ
    lambda_u: float | None = None     # λ_u; None: the cell's, else 25 (Table 7, CIFAR-10 at 50-80 %)
    tau: float | None = None          # τ, the clean threshold; None: the cell's, else 0.5
    warmup: Epochs | None = None      # warm-up epochs of 300; None: the cell's, else 10 (§4.1, CIFAR-10)
    gmm_window: int | None = None     # GMM on the mean of the last n epochs' losses; None: the cell's, else 1
    lu_mean_classes: bool = True      # the code's L_U (mean over classes too); False: eq. (10) as printed
    strict_tau: bool | None = None    # the code's w > τ (paper: w ≥ τ); None: True with a cell, else False
    T: float = 0.5                    # sharpening temperature (eq. 4; code --T 0.5)
    alpha: float = 4.0                # Beta(α, α) of MixMatch (code --alpha 4)
    lambda_r: float = 1.0             # weight of L_reg (eq. 12; the code's weight 1)
    rampup: Epochs = 16               # epochs of 300 of the linear λ_u ramp after the warm-up (code: 16)
    conf_penalty: bool | None = None  # warm-up confidence penalty; None: under asymmetric noise (code)

    def __post_init__(self):
        if self.preset is not None and self.preset not in TABLE7:
            raise ValueError(f"DivideMix has no preset '{self.preset}'; its presets: {', '.join(TABLE7)}.")
        if self.T <= 0 or self.alpha <= 0 or self.lambda_r < 0:
            raise ValueError("DivideMix needs T > 0, alpha > 0 and lambda_r ≥ 0.")
        if (self.tau is not None and not 0 <= self.tau <= 1) or (self.lambda_u is not None and self.lambda_u < 0):
            raise ValueError("DivideMix needs 0 ≤ tau ≤ 1 and lambda_u ≥ 0.")

    def get(self, name: str):
        """A setting of :data:`DEFAULTS`: given, else the cell's (with the code's forms), else the default."""
        value = getattr(self, name)
        if value is not None:
            return value
        cell = {**CODE_FORMS, **TABLE7[self.preset]} if self.preset else {}
        return cell.get(name, DEFAULTS[name])

    def code_form(self, name: str) -> str | None:
        """What made ``name`` the official code's form (:mod:`lnl.provenance`): a Table 7 cell takes
        the code's w > τ; None otherwise."""
        chosen = self.preset is not None and name in CODE_FORMS and getattr(self, name) is None
        return f"preset {self.preset}" if chosen else None

    def resolve(self, name: str):
        """Any setting as the method uses it: :meth:`get` for those whose None means "the cell's or
        the default"; the value otherwise (``conf_penalty``'s None depends on the run's noise)."""
        return self.get(name) if name in DEFAULTS else getattr(self, name)


_CELL = "a preset takes its Table 7 cell's value"
SOURCES = {
    "preset": ours("no cell: the defaults are those of CIFAR-10 at 50-80 % (the code's own), whatever the data",
                   note="a preset selects one cell of Table 7, with the code's w > τ"),
    "lambda_u": paper("Appendix Table 7: λ_u = 25 for CIFAR-10 at 50 and 80 % symmetric noise",
                      note=f"Train_cifar.py --lambda_u 25; tuned with the code's L_U, lu_mean_classes; {_CELL}"),
    "tau": code("Train_cifar.py --p_threshold 0.5",
                note=f"0.6 at 90 % noise: the official repository's issues #10 and #46; {_CELL}"),
    "warmup": paper("§4.1: a warm-up of 10 epochs on CIFAR-10 (30 on CIFAR-100) of 300",
                    note=f"Train_cifar.py warm_up = 10 for cifar10, 30 for cifar100; {_CELL}", schedule=300),
    "gmm_window": code("Train_cifar.py eval_train: at r = 0.9 the GMM fits the mean of the last 5 epochs' "
                       "normalised losses, else this epoch's", note=f"1 by default; {_CELL}"),
    "lu_mean_classes": code("Train_cifar.py SemiLoss: Lu = torch.mean((probs_u - targets_u)**2), a mean over "
                            "samples and classes",
                            note="Table 7's λ_u were tuned with it, so with it they give the paper's tables; False "
                                 "is eq. (10) as printed, summed over classes: C times larger"),
    "strict_tau": paper("eq. (2): the labelled set is w_i ≥ τ, False without a preset",
                        note="True: the code's prob > p_threshold, which a preset takes; the two differ only where "
                             "a w_i equals τ exactly"),
    "T": code("Train_cifar.py --T 0.5", note="the temperature of Sharpen, eq. 4"),
    "alpha": code("Train_cifar.py --alpha 4", note="Beta(α, α) of MixMatch, eq. 5"),
    "lambda_r": code("Train_cifar.py: loss = Lx + lamb * Lu + penalty", note="λ_r = 1 in eq. (12)"),
    "rampup": code("Train_cifar.py linear_rampup(current, warm_up, rampup_length=16)",
                   note="λ_u reaches its value 16 epochs after the warm-up", schedule=300),
    "conf_penalty": code("Train_cifar.py warmup(): + NegEntropy of the outputs when noise_mode == 'asym'",
                         note="None: on under asymmetric noise, off otherwise"),
}

# The run settings of every run preset (§4.1 and Train_cifar.py); the cell as its own source
_RUN_SOURCES = {
    "model": paper("§4.1: PreAct ResNet-18", note="the code's PreResNet.py ResNet18"),
    "epochs": paper("§4.1: 300 epochs", note="Train_cifar.py --num_epochs 300; its loop runs range(301)"),
    "batch_size": code("Train_cifar.py --batch_size 64", note="64 labelled and 64 unlabelled; the warm-up 128"),
    "optimizer": code("Train_cifar.py: optim.SGD"),
    "lr": paper("§4.1: initial LR 0.02", note="Train_cifar.py --lr 0.02"),
    "momentum": code("Train_cifar.py: optim.SGD(momentum=0.9)"),
    "weight_decay": code("Train_cifar.py: optim.SGD(weight_decay=5e-4)"),
    "schedule": paper("§4.1: the LR ÷10 after 150 epochs", note="Train_cifar.py: lr /= 10 if epoch >= 150"),
    "augment": code("dataloader_cifar.py: RandomCrop(32, padding=4) and RandomHorizontalFlip for training"),
}
_CELL_NOTE = ("λ_u: Table 7; τ 0.5, 0.6 at 90 %: the official repository's issues #10, #46; the warm-up: §4.1 "
              "and Train_cifar.py warm_up; the GMM window at 90 % and w > τ: the code")
PRESET_SOURCES = {cell: dict(_RUN_SOURCES, **{"method_params.preset": paper(
    f"Appendix Table 7 and §4.1, cell {cell}: " + ", ".join(f"{k} {v:g}" for k, v in TABLE7[cell].items()),
    note=_CELL_NOTE)}) for cell in TABLE7}
