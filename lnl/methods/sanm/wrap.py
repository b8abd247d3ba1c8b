"""The methods ``sanm-<host>`` (:func:`with_sanm`): a host with SANM's settings and its own, every
network given a decoder, the regulariser plugged into the host's hook, and w from a GMM on the
host's losses where the host has no division of its own."""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
import torch.nn as nn
from torch import Tensor

from lnl import gmm
from lnl.engine import Context, Method
from lnl.methods.sanm.config import (COST_FACTOR, HOST_TARGET_SOURCE, PAPER_FORMS, PREDICTION_TARGET_HOSTS, SOURCES,
                                     SANMConfig)
from lnl.methods.sanm.regulariser import Regulariser
from lnl.methods.sanm.smr import attach_decoder
from lnl.models import Classifier
from lnl.rng import derive_seed


def sanm_part(config: Any) -> SANMConfig:
    """The SANM settings of a wrapped method's config, its NLR target resolved for the host."""
    values = {f.name: getattr(config, f.name) for f in dataclasses.fields(SANMConfig)}
    return SANMConfig(**{**values, "target": config.resolve("target")})


def with_sanm(host: type[Method]) -> type[Method]:
    """The method ``sanm-<host>``: ``host`` with SANM's regulariser. Its config has the host's
    settings and SANM's (:class:`SANMConfig`), and ``resolve`` of each; its ``sources`` are the
    host's and SANM's (:data:`SOURCES`), its presets the host's. It builds every network with a
    decoder (:func:`attach_decoder`) and plugs a :class:`Regulariser` into the host's hook
    (``self.plugin``, :class:`lnl.methods.plugins.Host`).
    On a host of :data:`PREDICTION_TARGET_HOSTS` the paper's NLR target is the host's own. Its
    training cost is the host's times :data:`COST_FACTOR`."""
    own = {f.name for f in dataclasses.fields(SANMConfig)}
    clash = {f.name for f in dataclasses.fields(host.Config)} & own
    if clash:
        raise TypeError(f"{host.__name__} and SANM share settings {sorted(clash)}.")
    host_targets = host.name in PREDICTION_TARGET_HOSTS

    def post_init(self):
        if hasattr(host.Config, "__post_init__"):
            host.Config.__post_init__(self)
        self.check_sanm()

    def resolve(self, name: str):
        """A setting as the method uses it: SANM's (:meth:`SANMConfig.resolve`), else the host's."""
        if name in own:
            return SANMConfig.resolve(self, name)
        host_resolve = getattr(host.Config, "resolve", None) or getattr(host.Config, "get", None)
        return host_resolve(self, name) if host_resolve is not None else getattr(self, name)

    def code_form(self, name: str) -> str | None:
        """SANM's (:meth:`SANMConfig.code_form`), else the host's, where it has one."""
        if name in own:
            return SANMConfig.code_form(self, name)
        host_code_form = getattr(host.Config, "code_form", None)
        return host_code_form(self, name) if host_code_form is not None else None

    namespace = {"__post_init__": post_init, "resolve": resolve, "code_form": code_form,
                 "paper_forms": {**PAPER_FORMS, "target": "host"} if host_targets else PAPER_FORMS}
    config = dataclasses.make_dataclass(f"SANM{host.Config.__name__}", [], bases=(SANMConfig, host.Config),
                                        frozen=True, namespace=namespace)
    config.__doc__ = f"{host.__name__}'s settings and SANM's."

    class Wrapped(host):
        name = f"sanm-{host.name}"
        summary = f"{host.name} with SANM's self-supervised adversarial noisy masking plugged in"
        cost = host.cost * COST_FACTOR.get(host.name, COST_FACTOR["ce"])
        colour = None                          # a colour of its own (lnl.plot), not its host's nor SANM's
        Config = config
        sources = {**host.sources, **SOURCES, **({"target": HOST_TARGET_SOURCE} if host_targets else {})}
        presets = host.presets                 # the host's run settings, and their sources
        preset_sources = host.preset_sources
        transient = host.transient + ("plugin",)
        detection = "sanm_w" if host.detection == "loss" else host.detection   # SANM's own GMM where the host has none

        def configure(self, ctx: Context) -> None:
            self.plugin = Regulariser(sanm_part(self.config), ctx, needs_own_w=not host.gives_w)
            built = iter(range(1_000))                            # the k-th network's decoder seed

            def decoder(net):
                return attach_decoder(net, ctx.image_shape, derive_seed(ctx.cfg.seed, "sanm-decoder", next(built)))
            ctx.model_extensions.append(decoder)
            super().configure(ctx)
            k = min(self.plugin.c.trace, ctx.num_train)          # Fig.: reconstructions over training
            self.register_buffer("trace_masked", torch.zeros(ctx.cfg.epochs, k, *ctx.image_shape,
                                                             dtype=torch.float16, device=ctx.device))
            self.register_buffer("trace_recon", torch.zeros_like(self.trace_masked))

        def sanm_network(self) -> Classifier:
            """The host's first network (``net``, ``net1``): its decoder's reconstructions are traced,
            and a host without a division of its own takes w from its losses."""
            return next(m for m in self.modules() if isinstance(m, Classifier) and hasattr(m, "decoder"))

        def on_epoch_start(self, ctx: Context) -> None:
            super().on_epoch_start(ctx)
            if self.plugin.active(ctx) and self.plugin.needs_own_w:   # a host without a division (CE, ELR, Co-teaching)
                self.plugin.w = own_clean_probability(self.sanm_network(), ctx)
                ctx.log_per_sample("sanm_w", self.plugin.w)

        def phases(self, ctx: Context) -> dict[str, int]:
            return {**super().phases(ctx), "SANM's masks": self.plugin.start + 1}

        def on_epoch_end(self, ctx: Context) -> None:
            super().on_epoch_end(ctx)
            if len(self.trace_masked[0]):
                masked, recon = self.plugin.trace(self.sanm_network(), len(self.trace_masked[0]), ctx)
                self.trace_masked[ctx.epoch] = masked.half()
                self.trace_recon[ctx.epoch] = recon.half()

    Wrapped.__name__ = Wrapped.__qualname__ = f"SANM{host.__name__}"
    Wrapped.__doc__ = f"{host.__name__} with SANM's adversarial noisy masking (:mod:`lnl.methods.sanm`)."
    return Wrapped


def own_clean_probability(net: nn.Module, ctx: Context, seed_purpose: str = "sanm-gmm") -> Tensor:
    """w of every training sample from a two-component GMM on ``net``'s own losses (eval mode,
    no augmentation): SANM's w for a host without a division of its own (CE)."""
    loss = gmm.per_sample_loss(ctx.train_logits(net), ctx.labels)
    seed = derive_seed(ctx.cfg.seed, seed_purpose, ctx.epoch) % 2**31
    w = gmm.clean_probability(gmm.normalise(loss), seed=seed)
    return torch.as_tensor(w, dtype=torch.float32, device=ctx.device)
