"""The regulariser a host calls (:mod:`lnl.methods.plugins`): AMG and NLR for each part of the host's
batch, one forward of every masked image, the host's loss pooled over x ∪ x̃ (eq. 8) and γ L_rec
(SMR, eq. 11's second term)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from lnl.engine import Context, eval_mode
from lnl.losses import soft_cross_entropy
from lnl.methods.plugins import Extension, Part, View
from lnl.methods.sanm.amg import amg
from lnl.methods.sanm.config import SANMConfig
from lnl.methods.sanm.nlr import modulate_labels, pooled
from lnl.methods.sanm.smr import reconstruction_loss
from lnl.models import Classifier, Features


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
