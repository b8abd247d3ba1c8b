"""DivideMix, the method: Algorithm 1 as the engine runs it. ``on_epoch_start`` co-divides (a GMM
per network, each network's division for its peer) and declares one pass per network;
``training_step`` warms up, or co-guesses, co-refines, MixMatches and steps the pass's network."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from lnl import gmm
from lnl.engine import Context, Method, Pass, Stream, eval_mode
from lnl.losses import one_hot
from lnl.methods.dividemix.config import PRESET_SOURCES, PRESETS, SOURCES, DivideMixConfig
from lnl.methods.dividemix.mixmatch import co_guess, co_refine, confidence_penalty, mixmatch, total_loss
from lnl.methods.plugins import Extension, Host, Part
from lnl.rng import derive_seed

# (θ on û_1, θ on û_2, θ' on û_1, θ' on û_2, θ on x̂_1, θ on x̂_2, θ on the mixed pool)
FORWARDS_PER_STEP = ("guess_u1", "guess_u2", "peer_guess_u1", "peer_guess_u2", "refine_x1", "refine_x2", "mixed")


def probs(logits: Tensor) -> Tensor:
    """p_θ(x) ``[B, C]`` from logits, in float32."""
    return torch.softmax(logits.float(), 1)


@dataclass
class Half:
    """One half of a step's pool: the two weak views of a batch of X (or of U), their target ŷ (or
    q̂) ``[n, C]``, and the :class:`~lnl.methods.plugins.Part` a plug-in sees (the first view and
    θ's forward of it)."""

    views: list[Tensor]
    target: Tensor
    part: Part


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
        """Alg. 1 for one mini-batch of the pass's network θ (``ctx.current_pass.tag``), its peer θ'
        fixed: the warm-up's CE, else co-guessing, co-refinement, MixMatch, L and an SGD step on θ."""
        tag = ctx.current_pass.tag
        net, peer, opt = self.nets(tag)
        if ctx.epoch < self.warmup:
            return self.warmup_step(batch, ctx, tag, net, opt)                # WarmUp: CE on all of D
        u = batch.get(f"unlabelled-{tag}")                                  # a mini-batch of U beside X's
        with torch.no_grad():                                               # U first, as the code runs it
            guessed = self.co_guessing(net, peer, u, tag) if u is not None else None   # q̂_b
            refined = self.co_refinement(net, batch, tag, ctx.num_classes)             # ŷ_b, eq. (3)-(4)
        halves = [refined] + ([guessed] if guessed is not None else [])    # X̂ and Û with their targets
        extra = self.plug(ctx, *(h.part for h in halves))                   # a plug-in's views and terms
        mixed_x, mixed_p, n_x = self.mixmatch_pool(halves, extra, ctx, tag)  # MixMatch, eq. (5)-(8)
        logits = net(mixed_x).float()
        loss, lx, lu, lam_u = total_loss(logits, mixed_p, n_x, u is not None, ctx.pass_progress, self.warmup,
                                         self.rampup, self.config)         # L, eq. (9)-(12)
        if extra is not None:
            loss = loss + extra.loss
        ctx.step(loss, opt)                                                 # SGD on θ alone
        out = {f"loss_{tag}": loss.detach(), f"loss_x_{tag}": lx.detach(), f"loss_u_{tag}": lu.detach(),
               "lambda_u_ramped": torch.tensor(lam_u)}
        return out | ({f"loss_{k}_{tag}": t.detach() for k, t in extra.terms.items()} if extra is not None else {})

    def warmup_step(self, batch, ctx: Context, tag: str, net, opt):
        """WarmUp: CE on the given labels (the pass's batch is twice the run's); under asymmetric
        noise plus the confidence penalty Σ_c p_c log p_c."""
        logits = net(batch["x"]).float()
        loss = F.cross_entropy(logits, batch["y"])
        if self.penalty:
            loss = loss + confidence_penalty(logits)
        ctx.step(loss, opt)
        return {f"loss_{tag}": loss.detach()}

    def co_guessing(self, net, peer, u: dict, tag: str) -> Half:
        """q̂_b = Sharpen((1/2M) Σ_m (p_θ(û_{b,m}) + p_θ'(û_{b,m})), T): θ and its peer (in eval mode)
        guess the labels of U's mini-batch ``u`` from its two views."""
        u1, u2 = u["views"]
        with eval_mode(peer):
            p_peer = [probs(peer(u1)), probs(peer(u2))]
        out_u1 = net(u1, features=True)
        q = co_guess([probs(out_u1.logits), probs(net(u2))], p_peer, self.config.T)
        return Half([u1, u2], q, Part(net, u1, out_u1, u["idx"], q, self.division[tag][u["idx"]], key=f"u-{tag}"))

    def co_refinement(self, net, batch, tag: str, num_classes: int) -> Half:
        """ŷ_b = Sharpen(w_b y_b + (1 − w_b) (1/M) Σ_m p_θ(x̂_{b,m}), T) (eq. 3-4), w_b from the peer's
        division, for X's mini-batch ``batch`` and its two views."""
        x1, x2 = batch["views"]
        w = self.division[tag][batch["idx"]]
        out_x1 = net(x1, features=True)
        y_hat = co_refine(one_hot(batch["y"], num_classes), w, [probs(out_x1.logits), probs(net(x2))], self.config.T)
        return Half([x1, x2], y_hat, Part(net, x1, out_x1, batch["idx"], y_hat, w, key=f"x-{tag}"))

    def mixmatch_pool(self, halves: list[Half], extra: Extension | None, ctx: Context,
                      tag: str) -> tuple[Tensor, Tensor, int]:
        """MixMatch (eq. 5-8) over the pool [x̂_1, x̂_2, û_1, û_2] with targets [ŷ, ŷ, q̂, q̂] (a
        plug-in's views join their half, with their targets): one λ ~ Beta(α, α) and one permutation
        of the pool per step. Returns the mixed inputs and targets and |X'|, the labelled rows first."""
        pool = [list(h.views) for h in halves]
        targets = [[h.target] * len(h.views) for h in halves]
        if extra is not None:
            for images, ys, v in zip(pool, targets, extra.views):
                images.append(v.x)
                ys.append(v.y)
        n_x = sum(len(images) for images in pool[0])
        inputs, targets = torch.cat(sum(pool, [])), torch.cat(sum(targets, []))
        lam = float(ctx.numpy_generator(f"dividemix-beta-{tag}").beta(self.config.alpha, self.config.alpha))
        perm = torch.randperm(len(inputs), generator=ctx.generator(f"dividemix-perm-{tag}"), device=ctx.device)
        mixed_x, mixed_p = mixmatch(inputs, targets, lam, perm.to(inputs.device))
        if inputs.dim() == 4 and halves[0].views[0].is_contiguous(memory_format=torch.channels_last):
            mixed_x = mixed_x.contiguous(memory_format=torch.channels_last)
        return mixed_x, mixed_p, n_x

    def predict(self, x: Tensor) -> dict[str, Tensor]:
        z1, z2 = self.net1(x).float(), self.net2(x).float()
        return {"net1": z1, "net2": z2, "ensemble": z1 + z2}
