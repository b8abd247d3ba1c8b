"""IEG, the method: Algorithm 1's training step, "a training step of IEG at time step t", one line
at a time (:meth:`IEG.training_step`), the ablation switches of Table 7 and Table 6 inside its
helpers, and the EMA of the weights that is evaluated (the official code's)."""

from __future__ import annotations

import copy

import torch
from torch import Tensor

from lnl.engine import Context, Method, Pass, Stream
from lnl.losses import one_hot
from lnl.methods.ieg.config import SOURCES, SWITCHES, IEGConfig
from lnl.methods.ieg.escalation import consistency_loss, cutout_views, mixup_coefficients, mixup_losses, pseudo_labels
from lnl.methods.ieg.meta import MetaStep, meta_step, meta_step_jvp, supervised_losses, weighted_loss


class IEG(Method):
    """Algorithm 1: pseudo labels, the meta step, the split, the mixup, the total loss, an SGD step;
    an EMA of the weights is evaluated."""

    name = "ieg"
    summary = "isolation, escalation and guidance from a small clean probe set (--probe-per-class)"
    cost = 6.6                 # two views, the meta step and a mixup pass over 3B (its cpu records:
                               # an epoch 6.6 CE epochs)
    colour = "#9467bd"         # Tableau purple
    Config = IEGConfig
    sources = SOURCES
    uses_probe = True
    automatic_optimization = False
    reported_output = "ema"

    def configure(self, ctx: Context) -> None:
        c = self.config
        self.on = {s: c.switch(s) for s in SWITCHES}
        self.guesses = self.on["mixup"] or (self.on["isolation"] and self.on["relabel"])   # g is needed
        self.views = c.K if (self.guesses or self.on["consistency"]) else 1                # L2R: x alone
        self.detection = "omega" if self.on["isolation"] else "loss"
        self.net = ctx.build_model()
        self.opt = ctx.optimizer(self.net.parameters())
        self.ema_net = copy.deepcopy(self.net).requires_grad_(False)
        self.register_buffer("ema_steps", torch.zeros((), dtype=torch.long, device=ctx.device))
        N = ctx.num_train
        self.register_buffer("omega", torch.ones(N, device=ctx.device))          # ω*·B at the last step
        self.register_buffer("lam", torch.ones(N, device=ctx.device))            # λ* at the last step
        self.register_buffer("pseudo", ctx.labels.clone())                       # arg-max of g
        self.register_buffer("omega_trace", torch.zeros(ctx.cfg.epochs if c.trace else 0, N,
                                                        dtype=torch.float16, device=ctx.device))

    def on_epoch_start(self, ctx: Context) -> None:
        views = ("weak",) + (("strong" if self.on["strong_aug"] else "weak"),) * (self.views - 1)
        ctx.passes = [Pass(Stream("train", views=views), side=(Stream("probe", source="probe", shuffle=False),))]

    def lookahead_settings(self, params: dict[str, Tensor]) -> dict:
        """The arguments of :func:`lookahead` for ``params`` at this step: ``lr`` α (the optimiser's
        current LR, or ``meta_lr``), ``momentum`` μ (the optimiser's, or ``meta_momentum``; 0 for
        ``lookahead="sgd"`` and for an optimiser without momentum), the optimiser's momentum
        ``buffers`` v of ``params`` (None before its first step) and its ``weight_decay``."""
        c, group = self.config, self.opt.param_groups[0]
        lr, mu = c.form("meta_lr"), c.form("meta_momentum")
        momentum = (group.get("momentum", 0.0) if mu is None else mu) if c.form("lookahead") == "momentum" else 0.0
        buffers = [self.opt.state.get(p, {}).get("momentum_buffer") for p in params.values()] if momentum else None
        return dict(lr=group["lr"] if lr is None else lr, momentum=momentum, buffers=buffers,
                    weight_decay=group["weight_decay"])

    def training_step(self, batch, ctx: Context):
        """Algorithm 1, a line at a time; the ablation switches act inside the helpers."""
        c, idx = self.config, batch["idx"]
        x, x_hat, y, probe = self.augmented_batch(batch, ctx)           # 1. x̂, "→ cutout" (§3.1)
        z = self.net(x)                                                  # Φ(x; Θ), reused below
        z_hat = [self.net(v) for v in x_hat]
        g = pseudo_labels([z] + z_hat, c.tau, c.form("logit_norm")) if self.guesses else y   # 2. g, §2.2.1
        sup, possibly_clean, out = self.isolate(x, z, y, g, probe, idx, ctx)   # 3.-4. ω*, λ* (§2.1), the split
        if self.guesses:
            self.pseudo[idx] = g.argmax(dim=1)
        loss = sup                                                       # 6. the total loss: L_ω* + L_λ*
        if self.on["mixup"]:                                             # 5. the mixup, eq. (6)
            L_p, L_u = self.mixup(x, x_hat, y, g, possibly_clean, probe, ctx)
            loss = loss + L_p + c.p * L_u                                #    + L^p_β + p L^u_β
            out.update(L_p=L_p.detach(), L_u=L_u.detach())
        if self.on["consistency"] and x_hat:                             #    + k L_KL, eq. (7)
            L_kl = consistency_loss(z, z_hat[0])
            loss = loss + c.k * L_kl
            out.update(L_kl=L_kl.detach())
        ctx.step(loss, self.opt)                                         # 7. one SGD step
        self.update_ema()
        out["loss"] = loss.detach()
        return out

    def augmented_batch(self, batch, ctx: Context) -> tuple[Tensor, list[Tensor], Tensor, tuple[Tensor, Tensor]]:
        """Alg. 1 l. 1: the images x, their K − 1 augmented views x̂ with Cutout last (§3.1), the
        given labels y one-hot ``[B, C]`` and the probe batch (x_p, y_p)."""
        views = batch.get("views", [batch["x"]])
        x_hat = cutout_views(views[1:], self.config.cutout, ctx.generator("ieg/cutout"))
        return views[0], x_hat, one_hot(batch["y"], ctx.num_classes), (batch["probe"]["x"], batch["probe"]["y"])

    def isolate(self, x: Tensor, z: Tensor, y: Tensor, g: Tensor, probe: tuple[Tensor, Tensor], idx: Tensor,
                ctx: Context) -> tuple[Tensor, Tensor, dict]:
        """Alg. 1 l. 3-4: the meta step's ω* and λ* (§2.1), the supervised losses L_ω* + L_λ* (eq. 5;
        halved in the code's form) and the split: the samples with ω* ≥ T keep their given labels
        in the mixup. Without isolation (EG) no supervised loss, and every sample takes g."""
        c = self.config
        if not self.on["isolation"]:                                     # EG: no meta step
            nobody_clean = torch.zeros(len(idx), dtype=torch.bool, device=ctx.device)
            return torch.zeros((), device=ctx.device), nobody_clean, {}
        m = self.meta_optimise(x, z, y, g, *probe)
        L_omega, L_lam = self.supervised(z, y, g, m, ctx)
        sup = (L_omega + L_lam) * (0.5 if c.form("half_supervised") else 1.0)
        self.omega[idx] = m.omega * len(idx)
        self.lam[idx] = m.lam
        out = dict(L_omega=L_omega.detach(), L_lam=L_lam.detach(), probe_loss=m.probe_loss,
                   kept=(m.omega > 0).float().mean())
        return sup, m.omega >= c.T, out                                  # 1(ω* < T) marks the rest

    def meta_optimise(self, x: Tensor, z: Tensor, y: Tensor, g: Tensor, xp: Tensor, yp: Tensor) -> MetaStep:
        """§2.1's meta step (eq. 1-4) at this step's look-ahead, the optimiser's exact momentum update
        (:meth:`lookahead_settings`): in every parameter or the head's (``meta_params``), by forward
        mode or by back-propagation through the look-ahead (``meta_grad``); without re-labelling, L2R's
        step in ω alone."""
        c = self.config
        head = c.meta_params == "head"
        params = dict(self.net.fc.named_parameters(prefix="fc")) if head else dict(self.net.named_parameters())
        kw = dict(lambda0=c.lambda0, relabel=self.on["relabel"], params=params, omega_eps=c.form("omega_eps"),
                  **self.lookahead_settings(params))
        if c.meta_grad == "jvp":
            return meta_step_jvp(self.net, z, x, y, g, xp, yp, **kw)
        return meta_step(self.net, z, y, g, xp, yp, **kw)

    def supervised(self, z: Tensor, y: Tensor, g: Tensor, m: MetaStep, ctx: Context) -> tuple[Tensor, Tensor]:
        """L_ω* and L_λ* (eq. 5); without re-labelling, L2R's Σ ω* L(y, Φ) and no L_λ*."""
        if self.on["relabel"]:
            return supervised_losses(z, y, g, m.omega, m.lam, self.config.lambda0)
        return weighted_loss(z, y, g, m.omega, m.lam), torch.zeros((), device=ctx.device)

    def mixup(self, x: Tensor, x_hat: list[Tensor], y: Tensor, g: Tensor, possibly_clean: Tensor,
              probe: tuple[Tensor, Tensor], ctx: Context) -> tuple[Tensor, Tensor]:
        """Alg. 1 l. 5, eq. (6): L^p_β and L^u_β over the pool D_p ∪ D_u ∪ D̂_u mixed with a permutation
        of itself. x and x̂ take the pseudo labels g where ω* < T, their given labels elsewhere; the
        B probe anchors are drawn with replacement (the code's ``l_idx``)."""
        c, (xp, yp) = self.config, probe
        gen = ctx.generator("ieg/mixup")
        t_u = torch.where(possibly_clean[:, None], y, g)
        probe_pick = torch.randint(len(xp), (len(x),), generator=gen, device=gen.device).to(ctx.device)
        x_u = torch.cat([x, x_hat[0]]) if x_hat else x
        t_uu = torch.cat([t_u, t_u]) if x_hat else t_u
        n = len(x) + len(x_u)
        mcoef = mixup_coefficients(n, c.beta, c.form("mixup_coef"), ctx.numpy_generator("ieg/mixup")).to(ctx.device)
        perm = torch.randperm(n, generator=gen, device=gen.device).to(ctx.device)
        return mixup_losses(self.net, xp[probe_pick], one_hot(yp[probe_pick], ctx.num_classes), x_u, t_uu, mcoef,
                            perm, c.form("logit_norm"))

    @torch.no_grad()
    def update_ema(self) -> None:
        """EMA of the weights (and BatchNorm statistics) with TensorFlow's ``num_updates`` warm-up,
        decay min(ema, (1 + t)/(10 + t)), so that a run of a few hundred steps is not dominated by
        its initial weights."""
        self.ema_steps += 1
        t = float(self.ema_steps)
        d = min(self.config.ema, (1 + t) / (10 + t))
        for e, s in zip(self.ema_net.state_dict().values(), self.net.state_dict().values()):
            if e.dtype.is_floating_point:
                e.lerp_(s, 1 - d)
            else:
                e.copy_(s)

    def on_epoch_end(self, ctx: Context) -> None:
        if self.on["isolation"]:
            ctx.log_per_sample("omega", self.omega, threshold=0.0)        # kept: ω* > 0
            if self.on["relabel"]:
                ctx.log_per_sample("lambda", self.lam, threshold=0.5)     # Fig. 2: mean λ* clean / noisy
            if len(self.omega_trace):
                self.omega_trace[ctx.epoch] = self.omega.half()
        if self.guesses:
            ctx.log_labels("pseudo", self.pseudo)

    def predict(self, x: Tensor) -> dict[str, Tensor]:
        return {"ema": self.ema_net(x), "net": self.net(x)}
