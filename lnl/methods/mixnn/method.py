"""MixNN, the method: Algorithm 1 as the engine runs it. ``configure`` is l. 1 (t = ŷ);
``on_epoch_start`` l. 2-3 (a GMM for w, the kNN over the whole training set); ``training_step``
l. 5-16 (eq. 14 corrects t, each sample is mixed with its neighbours, eq. 4-5, and trained on)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from lnl import gmm
from lnl import knn as lnl_knn
from lnl.engine import Context, Method
from lnl.losses import mix, one_hot, soft_cross_entropy
from lnl.methods.mixnn.config import CODE_MIXUP_BETA, SOURCES, MixNNConfig
from lnl.methods.mixnn.mixing import (average_weights, ema_targets, mixed_inputs, mixed_targets, mixing_weights,
                                      neg_prob_loss, own_label_pull, random_partners, random_weights)
from lnl.models import Features


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
        """Alg. 1 l. 5-16 for one shuffled mini-batch; before them, the warm-up's CE on ŷ."""
        c, e = self.config, ctx.epoch + 1
        idx, x, y_hat = batch["idx"], batch["x"], batch["y"]
        stage = self.stage(e)
        if stage == "warmup":
            return self.warmup_step(x, y_hat, ctx)                               # Warmup(D̂, Θ, ℓ_ce)
        out = self.unmixed(x, e)                                                 # l. 7: f(x_i), un-mixed x_i
        if self.corrects(e):                                                     # l. 8-9, eq. (14)
            p = torch.softmax(out.logits.float(), dim=1)
            self.t.index_copy_(0, idx, ema_targets(self.t[idx], p, c.alpha))
        if stage == "mixup":
            return self._random_mixup(x, idx, e, ctx)                            # the code, before E_s
        nbr, x_nn = self.neighbours(idx, x, out, ctx)                            # x̄_i^k: [B, K], [B, K, ...]
        lam, beta = self._weights(self.w[idx], self.w[nbr], ctx)                 # l. 10, eq. (10)-(11)
        x_mix = mixed_inputs(x, x_nn, lam, beta)                                 # l. 12, eq. (4)
        if x.dim() == 4 and x.is_contiguous(memory_format=torch.channels_last):
            x_mix = x_mix.contiguous(memory_format=torch.channels_last)
        y_mix = mixed_targets(self.t[idx], self.t[nbr], lam, beta)               # l. 12, eq. (5)
        logits = self.net(x_mix)
        loss = soft_cross_entropy(logits, y_mix)                                 # l. 14-16, eq. (6)-(7)
        stats = {"loss": loss, "lam_mean": lam.mean(),
                 "by_truth": {"grad_coef": own_label_pull(logits, self.t[idx], lam, y_hat)}}
        if c.variant == "code":
            stats["nn_same_label"] = (ctx.labels[nbr] == y_hat[:, None]).float().mean()
        return stats

    def warmup_step(self, x: Tensor, y_hat: Tensor, ctx: Context):
        """Warmup(D̂, Θ, ℓ_ce): CE on the given labels; its own-label pull is CE's 1 − p_ŷ."""
        logits = self.net(x).float()
        lam1, t_self = torch.ones(len(x), device=x.device), one_hot(y_hat, ctx.num_classes)
        return {"loss": F.cross_entropy(logits, y_hat),
                "by_truth": {"grad_coef": own_label_pull(logits, t_self, lam1, y_hat)}}

    def unmixed(self, x: Tensor, e: int) -> Features | None:
        """f(x_i) on the un-mixed batch without gradient (l. 7; train mode, as the code): when eq.
        (14) corrects t in epoch ``e`` or the code's in-batch neighbours need its features; else None."""
        if not (self.corrects(e) or self.config.variant == "code"):
            return None
        with torch.no_grad():
            return self.net(x, features=True)

    def neighbours(self, idx: Tensor, x: Tensor, out: Features | None, ctx: Context) -> tuple[Tensor, Tensor]:
        """Each sample's K partners: their training indices ``[B, K]`` and images ``[B, K, ...]``.
        The paper: this epoch's neighbours in the whole training set (l. 3), their images drawn with
        their own augmentation. The code: within the batch, from its un-mixed features ``out``."""
        c, B = self.config, len(idx)
        if c.variant == "code":
            j = (lnl_knn.knn(out.embedding, c.K, backend=self.backend) if c.partners == "knn"
                 else random_partners(B, c.K, ctx.generator("mixnn-partners")))  # [B, K] in the batch
            return idx[j], x[j]
        nbr = self.nbr[idx]                                                      # [B, K] in D̂
        x_nn = ctx.data.batch(nbr.reshape(-1), ctx.generator("mixnn-neighbours"))
        return nbr, x_nn.reshape(B, c.K, *x.shape[1:])

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
