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
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from lnl import gmm
from lnl.engine import Context, Method, Pass, Schedule, Stream, eval_mode
from lnl.losses import one_hot
from lnl.methods.plugins import Host, Part
from lnl.params import Epochs
from lnl.provenance import code, ours, paper
from lnl.rng import derive_seed

# (θ on û_1, θ on û_2, θ' on û_1, θ' on û_2, θ on x̂_1, θ on x̂_2, θ on the mixed pool)
FORWARDS_PER_STEP = ("guess_u1", "guess_u2", "peer_guess_u1", "peer_guess_u2", "refine_x1", "refine_x2", "mixed")

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


# ----------------------------------------------------------------------------------------------
# One small function per equation
# ----------------------------------------------------------------------------------------------

def sharpen(p: Tensor, T: float) -> Tensor:
    """Sharpen(p, T)_c = p_c^{1/T} / Σ_k p_k^{1/T} (eq. 4), rows of ``p [B, C]``."""
    q = p ** (1 / T)
    return q / q.sum(dim=1, keepdim=True)


def co_refine(y: Tensor, w: Tensor, p_views: list[Tensor], T: float) -> Tensor:
    """Eq. (3)-(4): ŷ = Sharpen(w y + (1 − w) mean_m p_θ(x̂_m), T). ``y [B, C]`` one-hot, ``w [B]``."""
    p = torch.stack(p_views).mean(0)
    return sharpen(w[:, None] * y + (1 - w[:, None]) * p, T)


def co_guess(p_views: list[Tensor], p_peer_views: list[Tensor], T: float) -> Tensor:
    """q̂ = Sharpen((1/2M) Σ_m (p_θ(û_m) + p_θ'(û_m)), T): both networks guess U's labels."""
    return sharpen(torch.stack(p_views + p_peer_views).mean(0), T)


def mixmatch(inputs: Tensor, targets: Tensor, lam: float, perm: Tensor) -> tuple[Tensor, Tensor]:
    """Eq. (5)-(8): λ' = max(λ, 1 − λ); x' = λ' x + (1 − λ') x_π, p' likewise, π a permutation of the
    pool. λ' ≥ 1/2 keeps each mixed sample closer to its own (labelled or unlabelled) half."""
    lam = max(lam, 1 - lam)
    return lam * inputs + (1 - lam) * inputs[perm], lam * targets + (1 - lam) * targets[perm]


def loss_x(logits: Tensor, targets: Tensor) -> Tensor:
    """L_X (eq. 9): −(1/|X'|) Σ Σ_c p'_c log p_θ(x')_c."""
    return -(targets * F.log_softmax(logits.float(), dim=1)).sum(1).mean()


def loss_u(logits: Tensor, targets: Tensor, mean_classes: bool = True) -> Tensor:
    """L_U: the code's mean over samples and classes of (q' − p_θ(u'))² (``mean_classes``, the
    default: Table 7's λ_u were tuned for it), or eq. (10) as printed, (1/|U'|) Σ ‖q' − p_θ(u')‖²,
    C times larger."""
    sq = (torch.softmax(logits.float(), dim=1) - targets) ** 2
    return sq.mean() if mean_classes else sq.sum(1).mean()


def loss_reg(logits: Tensor) -> Tensor:
    """L_reg (eq. 11): Σ_c π_c log(π_c / p̄_c), π uniform, p̄ the batch's mean prediction: keeps the
    network from putting every sample in one class."""
    p_mean = torch.softmax(logits.float(), dim=1).mean(0)
    prior = torch.full_like(p_mean, 1 / len(p_mean))
    return (prior * torch.log(prior / p_mean)).sum()


def confidence_penalty(logits: Tensor) -> Tensor:
    """Σ_c p_c log p_c averaged over the batch (negative entropy): the warm-up term under
    asymmetric noise, against over-confident predictions."""
    p = torch.softmax(logits.float(), dim=1)
    return (p * torch.log(p.clamp_min(1e-12))).sum(1).mean()


def linear_rampup(progress: float, warmup: int, length: int) -> float:
    """clip((progress − warm-up) / length, 0, 1): the factor of λ_u (the code's ``linear_rampup``)."""
    return float(min(max((progress - warmup) / max(length, 1), 0.0), 1.0))


# ----------------------------------------------------------------------------------------------
# The method
# ----------------------------------------------------------------------------------------------


def total_loss(logits: Tensor, targets: Tensor, n_labelled: int, unlabelled: bool, progress: float,
               warmup: int, rampup: int, c: DivideMixConfig) -> tuple[Tensor, Tensor, Tensor, float]:
    """Eq. (12) over the mixed pool, ``logits`` and ``targets [n, C]`` (X' its first ``n_labelled``
    rows, U' the rest when there is an ``unlabelled`` half): L = L_X + λ_u · ramp · L_U + λ_r L_reg,
    the ramp at ``progress`` (epochs, from 0) after ``warmup`` epochs over ``rampup``. Returns
    (L, L_X, L_U, λ_u · ramp); the code's ``loss = Lx + lamb * Lu + penalty`` with the defaults."""
    lx = loss_x(logits[:n_labelled], targets[:n_labelled])
    lu = loss_u(logits[n_labelled:], targets[n_labelled:], c.lu_mean_classes) if unlabelled else logits.new_zeros(())
    lam_u = c.get("lambda_u") * linear_rampup(progress, warmup, rampup)
    return lx + lam_u * lu + c.lambda_r * loss_reg(logits), lx, lu, lam_u


class DivideMix(Host, Method):
    """Alg. 1: ``on_epoch_start`` co-divides and declares one pass per network; ``training_step``
    co-refines, co-guesses, MixMatches and steps the pass's network."""

    name = "dividemix"
    summary = "two networks divide the data with a GMM for each other, then train semi-supervised"
    # Per labelled sample of each network's pass: 6 forwards without gradient and a forward + backward
    # on the 4B pool (18 units against CE's 3), on about half the data per network. Measured on 2 CPU
    # cores (benchmarks/methods.py): 4.0-4.7.
    cost = 5.0
    colour = "#009e73"                # Okabe-Ito bluish green
    detection = "w_net1"              # net1's GMM clean probability: net2's division
    Config = DivideMixConfig
    automatic_optimization = False
    reported_output = "ensemble"
    presets = PRESETS                    # the paper's run with one TABLE7 cell each: lnl run --preset
    sources = SOURCES
    preset_sources = PRESET_SOURCES
    transient = ("division",)
    gives_w = True                       # a plug-in's w: the peer's division, of every sample

    def configure(self, ctx: Context) -> None:
        c = self.config
        self.warmup = self.phase(ctx, "warmup", c.get("warmup"))     # epochs of 300: the paper's share
        self.rampup = self.phase(ctx, "rampup")                        # of a shorter run, unless given
        self.penalty = c.conf_penalty if c.conf_penalty is not None else ctx.cfg.noise.startswith("asymmetric")
        self.net1, self.net2 = ctx.build_model(), ctx.build_model()
        self.opt1 = ctx.optimizer(self.net1.parameters(), name="net1")
        self.opt2 = ctx.optimizer(self.net2.parameters(), name="net2")
        window = c.get("gmm_window")
        for k in ("1", "2"):                                    # normalised losses, newest first
            self.register_buffer(f"loss_hist{k}", torch.full((window, ctx.num_train), float("nan"), device=ctx.device))
        self.division: dict[str, Tensor] = {}                   # tag -> w from the peer, [N]

    def phases(self, ctx: Context) -> dict[str, int]:
        return {"co-divide and semi-supervised training (after the warm-up)": self.warmup + 1}

    def nets(self, tag: str):
        """(θ, θ', optimiser of θ) for a pass."""
        return (self.net1, self.net2, self.opt1) if tag == "net1" else (self.net2, self.net1, self.opt2)

    # co-divide -------------------------------------------------------------------------------------
    def clean_probability(self, net, hist: Tensor, ctx: Context) -> Tensor:
        """w of every training sample from ``net``'s losses (eval mode, no augmentation); both
        networks' mixtures start from the same seed, a function of the run seed and the epoch."""
        loss = gmm.per_sample_loss(ctx.train_logits(net), ctx.labels)
        hist.copy_(torch.roll(hist, 1, dims=0))
        hist[0] = torch.as_tensor(gmm.normalise(loss), device=hist.device)
        seed = derive_seed(ctx.cfg.seed, "dividemix-gmm", ctx.epoch) % 2**31
        w = gmm.clean_probability(torch.nanmean(hist, dim=0), seed=seed)
        return torch.as_tensor(w, dtype=torch.float32, device=ctx.device)

    def on_epoch_start(self, ctx: Context) -> None:
        B = ctx.cfg.batch_size
        if ctx.epoch < self.warmup:                  # CE on all data, each network in its pass, 2B
            ctx.passes = [Pass(Stream("warmup1"), batch_size=2 * B, tag="net1"),
                          Pass(Stream("warmup2"), batch_size=2 * B, tag="net2")]
            return
        w1 = self.clean_probability(self.net1, self.loss_hist1, ctx)
        w2 = self.clean_probability(self.net2, self.loss_hist2, ctx)
        tau, strict = self.config.get("tau"), self.config.get("strict_tau")
        ctx.log_per_sample("w_net1", w1, threshold=tau)   # precision and recall of the labelled set
        ctx.log_per_sample("w_net2", w2, threshold=tau)
        self.division = {"net1": w2, "net2": w1}     # each network trains on its peer's division
        ctx.passes = []
        for tag, w in self.division.items():
            clean = w > tau if strict else w >= tau
            labelled, unlabelled = torch.nonzero(clean).flatten(), torch.nonzero(~clean).flatten()
            ctx.log(**{f"labelled_share_{tag}": clean.float().mean()})
            if len(labelled) == 0:
                continue                              # nothing labelled: this network skips the epoch
            side = (Stream(f"unlabelled-{tag}", indices=unlabelled, views=("weak", "weak")),) if len(unlabelled) else ()
            ctx.passes.append(Pass(Stream(f"labelled-{tag}", indices=labelled, views=("weak", "weak")),
                                   side=side, tag=tag))

    # one step ----------------------------------------------------------------------------------
    def training_step(self, batch, ctx: Context):
        tag = ctx.current_pass.tag
        net, peer, opt = self.nets(tag)
        if ctx.epoch < self.warmup:
            logits = net(batch["x"]).float()
            loss = F.cross_entropy(logits, batch["y"])
            if self.penalty:
                loss = loss + confidence_penalty(logits)
            ctx.step(loss, opt)
            return {f"loss_{tag}": loss.detach()}
        return self._semi_supervised_step(batch, ctx, tag, net, peer, opt)

    def _semi_supervised_step(self, batch, ctx: Context, tag: str, net, peer, opt):
        c, C = self.config, ctx.num_classes
        x1, x2 = batch["views"]
        y = one_hot(batch["y"], C)
        w = self.division[tag][batch["idx"]]
        u = batch.get(f"unlabelled-{tag}")
        with torch.no_grad():
            if u is not None:                                                   # co-guessing
                u1, u2 = u["views"]
                with eval_mode(peer):
                    p_peer = [torch.softmax(peer(u1).float(), 1), torch.softmax(peer(u2).float(), 1)]
                out_u1 = net(u1, features=True)
                q = co_guess([torch.softmax(out_u1.logits.float(), 1), torch.softmax(net(u2).float(), 1)], p_peer, c.T)
            out_x1 = net(x1, features=True)
            y_hat = co_refine(y, w, [torch.softmax(out_x1.logits.float(), 1), torch.softmax(net(x2).float(), 1)], c.T)
        halves = [Part(net, x1, out_x1, batch["idx"], y_hat, w, key=f"x-{tag}")] + (
            [Part(net, u1, out_u1, u["idx"], q, self.division[tag][u["idx"]], key=f"u-{tag}")] if u is not None else [])
        pool = [[x1, x2]] + ([[u1, u2]] if u is not None else [])
        targets = [[y_hat, y_hat]] + ([[q, q]] if u is not None else [])
        extra = self.plug(ctx, *halves)
        if extra is not None:                     # a plug-in's views join their half of the pool, with their targets
            for images, ys, v in zip(pool, targets, extra.views):
                images.append(v.x)
                ys.append(v.y)
        nx = sum(len(images) for images in pool[0])
        inputs, targets = torch.cat(sum(pool, [])), torch.cat(sum(targets, []))
        lam = float(ctx.numpy_generator(f"dividemix-beta-{tag}").beta(c.alpha, c.alpha))
        perm = torch.randperm(len(inputs), generator=ctx.generator(f"dividemix-perm-{tag}"), device=ctx.device)
        mixed_x, mixed_p = mixmatch(inputs, targets, lam, perm.to(inputs.device))
        if inputs.dim() == 4 and x1.is_contiguous(memory_format=torch.channels_last):
            mixed_x = mixed_x.contiguous(memory_format=torch.channels_last)
        logits = net(mixed_x).float()
        loss, lx, lu, lam_u = total_loss(logits, mixed_p, nx, u is not None, ctx.pass_progress, self.warmup,
                                         self.rampup, c)                                   # eq. (9)-(12)
        if extra is not None:
            loss = loss + extra.loss
        ctx.step(loss, opt)
        out = {f"loss_{tag}": loss.detach(), f"loss_x_{tag}": lx.detach(), f"loss_u_{tag}": lu.detach(),
               "lambda_u_ramped": torch.tensor(lam_u)}
        return out | ({f"loss_{k}_{tag}": t.detach() for k, t in extra.terms.items()} if extra is not None else {})

    def predict(self, x: Tensor) -> dict[str, Tensor]:
        z1, z2 = self.net1(x).float(), self.net2(x).float()
        return {"net1": z1, "net2": z2, "ensemble": z1 + z2}
