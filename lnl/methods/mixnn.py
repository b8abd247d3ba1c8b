"""MixNN: train on each sample mixed with its nearest neighbours, weighted by clean probability,
against soft labels that an exponential moving average corrects.

Y. Lu and W. He, "Mitigating Noisy Supervision Using Synthetic Samples with Soft Labels",
arXiv 2406.16966 (extends "MixNN", IEEE BigData 2021). Official code: MacLLL/MixNN @ 12c6005.

=============  ==========================================================================
x_i, ŷ_i       training image i and its given label, one-hot ``[C]`` (true label y unseen)
t_i            soft target ``[C]``: one-hot(ŷ_i) until E_s, then corrected by eq. (14)
w_i            P(m = 0 | ℓ(x_i)): clean probability, GMM on per-sample CE (eq. 8-9, lnl.gmm)
x̄_i^k, ȳ_i^k   k-th nearest neighbour of x_i in the penultimate embedding, and its label (§4.2)
λ_i, β_i^k     mixing weights of the sample and its neighbours, λ_i + Σ_k β_i^k = 1 (eq. 10-11)
x̃_i, ỹ_i       synthetic sample and its label (eq. 4-5); p̃_i = softmax(f(x̃_i)) (eq. 6)
α, E_s         EMA momentum of t, and the first epoch of label correction (eq. 14)
=============  ==========================================================================

Algorithm 1 in words (epochs e counted from 1, warm-up included: the paper's "epoch 60").
Warm up ``warmup`` epochs with CE on ŷ; set t_i = ŷ_i (l. 1). Then, every epoch:

- l. 2: per-sample CE of the network (eval mode, no augmentation) against argmax t; a
  two-component GMM on it gives w_i. Once per epoch, in ``on_epoch_start``.
- l. 3: the K nearest neighbours of every sample in the whole training set, by L2 distance
  between penultimate embeddings (:func:`lnl.knn.knn`). The paper uses HNSW (§4.3); by default
  (``knn_backend="auto"``) the search is exact on a GPU and below 30,000 samples, HNSW otherwise,
  whichever ``benchmarks/knn.py`` measured faster.
- l. 5-16, per shuffled mini-batch: p_i = softmax(f(x_i)) (l. 7); from E_s,
  t_i ← α t_i + (1 − α) p_i (l. 9, eq. 14); λ_i, β_i^k by eq. (10)-(11) (l. 10); x̃_i, ỹ_i by
  eq. (4)-(5) with t in place of ŷ (l. 12, §4.5); the loss −(1/B) Σ_i ỹ_iᵀ log p̃_i (l. 16, which is
  eq. 7 by linearity).

Run settings of §6.1 (CIFAR): ResNet-34, SGD lr 0.02, momentum 0.9, weight decay 1e-3, batch 128,
300 epochs, ``Schedule("cosine-restarts", t0=10, eta_min=1e-3)``; K = 1, E_s = 60, α = 0.9.

The warm-up (10) and E_s (60) are epochs of that 300-epoch run. In a shorter run their defaults keep
the paper's share of it (:meth:`lnl.engine.Method.phase`): warm-up 1 and E_s 4 in 20 epochs, so that
label correction starts; the record's ``phases_resolved`` says so. A value given with ``--param`` is
kept as given. Where each default comes from: :data:`SOURCES` (``lnl defaults mixnn``).

Paper and official code differ; ``variant="code"`` selects the code's column:

====================  ================================  ======================================
                      paper (``variant="paper"``)       code (``variant="code"``)
====================  ================================  ======================================
neighbours            K over the whole training set,    1-NN (here K) within the mini-batch,
                      eval-mode embeddings, once per    train-mode features of the un-mixed
                      epoch (Alg. 1 l. 3)               batch, every step (nmslib HNSW)
warm-up < e ≤ E_s     NN mixing, as after E_s           mixup with random partners, one
                                                        λ ~ Beta(1, 1) per batch
loss in that phase    eq. (7)                           CE; ``neg_prob_loss=True``: the code's
                                                        ``nll_loss`` on probabilities, −p_ỹ
t update, eq. (14)    every epoch e ≥ E_s (l. 8-9)      epochs e ≥ E_s with e % 10 = 0
                                                        (``t_every`` overrides both)
====================  ================================  ======================================

Both forms: the neighbour's label ȳ is its soft target t_j (§4.5 replaces every noisy label; Alg. 1
l. 16 writes ȳ; the code uses t_j); the GMM loss is against argmax t (the code's; Alg. 1 l. 2 says
only ℓ_ce); eq. (10)-(11) get ε = 1e-10 on every w (the code adds it to numerator and denominator
of λ only, so two zero-probability samples give λ = 1 there and 1/2 here). ``gmm_window=5`` is the
code's loss averaging at 80 % noise. Not reproduced: the code warms up for ``warmup − 1`` epochs
(``epoch < warmup``) on un-augmented, unshuffled data; the engine owns the data order.

Ablations (Table IV): ``weights="avg"`` (λ = β = 1/(K+1)) or ``"rdm"`` (Dirichlet, Beta for K = 1);
``partners="random"``; ``correction=False``; K (Fig. 7c).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from lnl import gmm
from lnl import knn as lnl_knn
from lnl.engine import Context, Method
from lnl.losses import mix, one_hot, soft_cross_entropy, temporal_ensemble
from lnl.params import Epochs, epochs_of
from lnl.provenance import ours, paper, reconstructed

EPS = 1e-10               # keeps eq. (10)-(11) away from 0/0 (the code: 1e-10)
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


# ----------------------------------------------------------------------------------------------
# One small function per equation
# ----------------------------------------------------------------------------------------------

def mixing_weights(w_self: Tensor, w_nn: Tensor, eps: float = EPS) -> tuple[Tensor, Tensor]:
    """Eq. (10)-(11). ``w_self [B]``, ``w_nn [B, K]``: P(clean) of x_i and of its K neighbours.

    Returns λ ``[B]`` and β ``[B, K]``, proportional to the clean probabilities; λ + Σ_k β = 1.
    """
    w_self, w_nn = w_self + eps, w_nn + eps
    denom = w_self + w_nn.sum(dim=1)                 # shared denominator of (10) and (11)
    return w_self / denom, w_nn / denom[:, None]


def average_weights(B: int, K: int, device=None) -> tuple[Tensor, Tensor]:
    """Table IV "AVG": λ = β^k = 1/(K+1). Returns λ ``[B]``, β ``[B, K]``."""
    return torch.full((B,), 1 / (K + 1), device=device), torch.full((B, K), 1 / (K + 1), device=device)


def random_weights(B: int, K: int, rng: np.random.Generator, a: float = 1.0, device=None) -> tuple[Tensor, Tensor]:
    """Table IV "RDM": (λ, β^1..β^K) ~ Dirichlet(a, ..., a) per sample, i.e. λ ~ Beta(a, a) for K = 1."""
    d = torch.as_tensor(rng.dirichlet([a] * (K + 1), size=B), dtype=torch.float32, device=device)
    return d[:, 0], d[:, 1:]


def mixed_inputs(x: Tensor, x_nn: Tensor, lam: Tensor, beta: Tensor) -> Tensor:
    """Eq. (4): x̃_i = λ_i x_i + Σ_k β_i^k x̄_i^k. ``x [B, ...]``, ``x_nn [B, K, ...]`` -> ``[B, ...]``."""
    shape = (-1,) + (1,) * (x.dim() - 1)
    return lam.view(shape) * x + (beta.view(*beta.shape, *shape[1:]) * x_nn).sum(dim=1)


def mixed_targets(t_self: Tensor, t_nn: Tensor, lam: Tensor, beta: Tensor) -> Tensor:
    """Eq. (5) with t for ŷ (§4.5): ỹ_i = λ_i t_i + Σ_k β_i^k t̄_i^k.

    ``t_self [B, C]``, ``t_nn [B, K, C]`` probabilities -> ``[B, C]`` probabilities (rows sum to 1).
    """
    return lam[:, None] * t_self + (beta[:, :, None] * t_nn).sum(dim=1)


def ema_targets(t: Tensor, p: Tensor, alpha: float) -> Tensor:
    """Eq. (14), E ≥ E_s: t_i ← α t_i + (1 − α) p_i. ``t``, ``p`` ``[B, C]`` probabilities."""
    return temporal_ensemble(t, p, alpha)


def neg_prob_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """The official code's phase-2 loss, ``F.nll_loss(softmax(z), y)``: −(1/B) Σ_i Σ_c ỹ_ic p_ic.

    Linear in p (MAE-like), not CE: the code feeds probabilities where log-probabilities belong.
    """
    return -(targets * torch.softmax(logits.float(), dim=1)).sum(dim=1).mean()


@torch.no_grad()
def own_label_pull(logits: Tensor, t_self: Tensor, lam: Tensor, y_hat: Tensor) -> Tensor:
    """Gradient coefficient of sample i's own label (Fig. 2b for CE, Fig. 7b for MixNN) ``[B]``.

    The loss −ỹ_iᵀ log p̃_i has gradient p̃_i − ỹ_i in the logits of x̃_i, and x_i's own target
    enters ỹ_i as λ_i t_i (eq. 5). Its pull on the logit of the given class ŷ_i is
    λ_i (t_{i,ŷ_i} − p̃_{i,ŷ_i}): for CE (λ = 1, t = ŷ, no mixing) the familiar 1 − p_{ŷ_i}. A
    mislabelled sample stops pulling towards its wrong label when λ_i → 0 (GMM weights) or when
    t_i moves away from ŷ_i (label correction). Its pull as somebody's neighbour is not counted.
    """
    p = torch.softmax(logits.float(), dim=1).gather(1, y_hat[:, None]).squeeze(1)
    return lam * (t_self.gather(1, y_hat[:, None]).squeeze(1) - p)


def random_partners(n: int, K: int, generator: torch.Generator) -> Tensor:
    """Table IV "w/o K nearest neighbours": ``[n, K]`` partners drawn uniformly among the others."""
    r = torch.randint(0, n - 1, (n, K), generator=generator, device=generator.device)
    return r + (r >= torch.arange(n, device=r.device)[:, None]).long()      # skip i itself


# ----------------------------------------------------------------------------------------------
# The method
# ----------------------------------------------------------------------------------------------

class MixNN(Method):
    """Alg. 1: ``configure`` l. 1; ``on_epoch_start`` l. 2-3; ``training_step`` l. 5-16."""

    name = "mixnn"
    summary = "each sample mixed with its nearest neighbours, against soft labels an EMA corrects"
    cost = 1.1                            # measured on 2 CPU cores (benchmarks/methods.py): 1.45-1.8
    colour = "#0072b2"                    # Okabe-Ito blue
    Config = MixNNConfig
    sources = SOURCES
    transient = ("w", "nbr")              # refit in on_epoch_start before any use

    def configure(self, ctx: Context) -> None:
        c = self.config
        self.warmup = self.phase(ctx, "warmup")           # §6.1: 10 of 300 epochs, or the paper's share
        self.e_s = self.phase(ctx, "e_s")                 # Alg. 1: 60 of 300 epochs, or the paper's share
        self.t_every = c.resolve("t_every")               # paper: every epoch; code: every 10th
        self.net = ctx.build_model()
        ctx.optimizer(self.net.parameters())
        self.register_buffer("t", one_hot(ctx.labels, ctx.num_classes))                 # Alg. 1 l. 1
        self.register_buffer("loss_hist", torch.full((c.gmm_window, ctx.num_train), float("nan"),
                                                     device=ctx.device))            # normalised ℓ, newest first
        self.w: Tensor | None = None      # [N] P(clean), refit every epoch (Alg. 1 l. 2)
        self.nbr: Tensor | None = None    # [N, K] neighbour indices, every epoch (Alg. 1 l. 3; paper variant)
        n = ctx.num_train if c.variant == "paper" else None                  # searched set: D̂ or a batch
        self.backend = c.knn_backend if c.knn_backend != "auto" else lnl_knn.default_backend(ctx.device, n)

    # schedule -----------------------------------------------------------------------------------
    def stage(self, e: int) -> str:
        """What epoch ``e`` (from 1) does: ``warmup`` (CE), ``mixup`` (code, e ≤ E_s) or ``mixnn``."""
        if e <= self.warmup:
            return "warmup"
        return "mixup" if self.config.variant == "code" and e <= self.e_s else "mixnn"

    def corrects(self, e: int) -> bool:
        """Whether eq. (14) updates t in epoch ``e`` (from 1)."""
        return self.config.correction and e > self.warmup and e >= self.e_s and e % self.t_every == 0

    def phases(self, ctx: Context) -> dict[str, int]:
        """Mixing starts after the warm-up; label correction (eq. 14) at the first corrected epoch."""
        first = max(self.e_s, self.warmup + 1)
        first += -first % self.t_every
        if self.config.variant == "code":
            out = {"mixup (after the warm-up)": self.warmup + 1,
                   "mixing with neighbours": max(self.e_s, self.warmup) + 1}
        else:
            out = {"mixing with neighbours (after the warm-up)": self.warmup + 1}
        if self.config.correction:
            out[f"label correction (E_s = {self.e_s})"] = first
        return out

    # hooks ----------------------------------------------------------------------------------------
    def on_epoch_start(self, ctx: Context) -> None:
        c, e = self.config, ctx.epoch + 1
        if self.stage(e) == "warmup":
            return
        global_knn = c.variant == "paper" and c.partners == "knn"
        if global_knn:
            logits, emb = ctx.train_features(self.net)                  # [N, C], [N, D], eval mode
        else:
            logits = ctx.train_logits(self.net)
        # Alg. 1 l. 2, eq. (8)-(9): GMM on the per-sample CE against the corrected labels argmax t
        ell = gmm.normalise(gmm.per_sample_loss(logits, self.t.argmax(dim=1)))
        self.loss_hist.copy_(torch.roll(self.loss_hist, 1, dims=0))
        self.loss_hist[0] = torch.as_tensor(ell, device=self.loss_hist.device)
        seed = int(ctx.numpy_generator("mixnn-gmm").integers(2**31))
        w = gmm.clean_probability(torch.nanmean(self.loss_hist, dim=0), seed=seed)
        self.w = torch.as_tensor(w, dtype=torch.float32, device=ctx.device)
        ctx.log(w_mean=self.w.mean(), w_clean_share=(self.w > 0.5).float().mean())
        # Alg. 1 l. 3: neighbours over the whole training set (paper variant)
        if c.variant == "paper":
            self.nbr = (lnl_knn.knn(emb, c.K, backend=self.backend) if global_knn
                        else random_partners(ctx.num_train, c.K, ctx.generator("mixnn-partners")))
            ctx.log(nn_same_label=(ctx.labels[self.nbr] == ctx.labels[:, None]).float().mean())

    def training_step(self, batch, ctx: Context):
        c, e = self.config, ctx.epoch + 1
        idx, x, B = batch["idx"], batch["x"], len(batch["idx"])
        stage = self.stage(e)
        if stage == "warmup":                                                    # Warmup(D̂, Θ, ℓ_ce)
            logits = self.net(x).float()
            lam1, t_self = torch.ones(B, device=x.device), one_hot(batch["y"], ctx.num_classes)
            return {"loss": F.cross_entropy(logits, batch["y"]),
                    "by_truth": {"grad_coef": own_label_pull(logits, t_self, lam1, batch["y"])}}
        out = None
        if self.corrects(e) or c.variant == "code":
            with torch.no_grad():                                                # l. 7: p_i, un-mixed x_i
                out = self.net(x, features=True)                                 # train mode, as the code
        if self.corrects(e):                                                     # l. 8-9, eq. (14)
            p = torch.softmax(out.logits.float(), dim=1)
            self.t.index_copy_(0, idx, ema_targets(self.t[idx], p, c.alpha))
        if stage == "mixup":
            return self._random_mixup(x, idx, e, ctx)
        if c.variant == "code":                                                  # in-batch partners
            j = (lnl_knn.knn(out.embedding, c.K, backend=self.backend) if c.partners == "knn"
                 else random_partners(B, c.K, ctx.generator("mixnn-partners")))  # [B, K] in the batch
            nbr, x_nn = idx[j], x[j]                                             # [B, K], [B, K, ...]
        else:
            nbr = self.nbr[idx]                                                  # [B, K] in D̂
            x_nn = ctx.data.batch(nbr.reshape(-1), ctx.generator("mixnn-neighbours"))
            x_nn = x_nn.reshape(B, c.K, *x.shape[1:])
        lam, beta = self._weights(self.w[idx], self.w[nbr], ctx)                 # l. 10, eq. (10)-(11)
        x_mix = mixed_inputs(x, x_nn, lam, beta)                                 # l. 12, eq. (4)
        if x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last):
            x_mix = x_mix.contiguous(memory_format=torch.channels_last)
        y_mix = mixed_targets(self.t[idx], self.t[nbr], lam, beta)               # l. 12, eq. (5)
        logits = self.net(x_mix)
        loss = soft_cross_entropy(logits, y_mix)                                 # l. 14-16, eq. (6)-(7)
        stats = {"loss": loss, "lam_mean": lam.mean(),
                 "by_truth": {"grad_coef": own_label_pull(logits, self.t[idx], lam, batch["y"])}}
        if c.variant == "code":
            stats["nn_same_label"] = (ctx.labels[nbr] == batch["y"][:, None]).float().mean()
        return stats

    def _weights(self, w_self: Tensor, w_nn: Tensor, ctx: Context) -> tuple[Tensor, Tensor]:
        B, K = w_nn.shape
        if self.config.weights == "gmm":
            return mixing_weights(w_self, w_nn)
        if self.config.weights == "avg":
            return average_weights(B, K, ctx.device)
        return random_weights(B, K, ctx.numpy_generator("mixnn-rdm"), self.config.rdm_alpha, ctx.device)

    def _random_mixup(self, x: Tensor, idx: Tensor, e: int, ctx: Context):
        """Official code, warm-up < e ≤ E_s: mixup with a random permutation and one λ ~ Beta(1, 1)."""
        lam = float(ctx.numpy_generator("mixnn-mixup").beta(CODE_MIXUP_BETA, CODE_MIXUP_BETA))
        perm = torch.randperm(len(x), generator=ctx.generator("mixnn-mixup-pairs"), device=ctx.device)
        logits = self.net(mix(x, x[perm], lam))
        y_mix = mix(self.t[idx], self.t[idx[perm]], lam)                         # t = ŷ before E_s
        stats = {"lam_mean": torch.tensor(lam), "by_truth": {"grad_coef": own_label_pull(
            logits, self.t[idx], torch.full((len(x),), lam, device=x.device), ctx.labels[idx])}}
        if self.config.neg_prob_loss and e < self.e_s:
            return {"loss": neg_prob_loss(logits, y_mix), **stats}
        return {"loss": soft_cross_entropy(logits, y_mix), **stats}

    def on_epoch_end(self, ctx: Context) -> None:
        if self.stage(ctx.epoch + 1) != "warmup":           # share of samples whose argmax t left ŷ
            ctx.log(t_relabelled=(self.t.argmax(dim=1) != ctx.labels).float().mean())
