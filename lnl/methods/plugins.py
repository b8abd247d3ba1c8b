"""The plug-in hook: a regulariser that plugs into a host method without the host knowing which.

A host (:class:`Host`) calls :meth:`Host.plug` at the one point of its training step where it has a
batch's images, its forward pass of them (``features=True``) and its targets: one :class:`Part` per
set of images it trains on, each with the network that trains on it. The plug-in answers with an
:class:`Extension`: per part a :class:`View`, extra inputs (masked images, say) with their targets,
and loss terms of its own. A host that mixes a pool puts the views into it; one that trains by
cross-entropy hands its loss on the part (:attr:`Part.loss`) and gets it back over the part and its
view together. With nothing plugged in, or a plug-in not yet active, ``plug`` answers None and the
host trains as it would alone.

The one set-up notice: a host that divides its samples itself gives their clean probabilities w
(:attr:`Part.w`) and says so with ``gives_w``; a plug-in that needs w fits its own for any other.
SANM (:mod:`lnl.methods.sanm`, ``with_sanm``) is such a plug-in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from torch import Tensor

from lnl.engine import Context
from lnl.models import Classifier, Features


@dataclass
class Part:
    """Images ``x [n, C, H, W]`` of a host's batch as a plug-in sees them: the network ``net`` that
    trains on them, the host's forward ``out`` of them, their training indices ``idx [n]``, the
    host's targets ``target [n, C]``, its clean probabilities ``w [n]`` (None: it has none), its mean
    cross-entropy ``loss`` over them against ``target`` (None: it mixes the views into a pool
    instead), and ``key``, which names the part's random draws within a step."""

    net: Classifier
    x: Tensor
    out: Features
    idx: Tensor
    target: Tensor
    w: Tensor | None = None
    loss: Tensor | None = None
    key: str = ""

    def select(self, sel: Tensor, loss: Tensor | None = None) -> Part:
        """The part restricted to the samples ``sel`` (those a network learns from), with the host's
        ``loss`` over them."""
        out = Features(self.out.logits[sel], self.out.embedding[sel], self.out.feature_map[sel])
        return Part(self.net, self.x[sel], out, self.idx[sel], self.target[sel],
                    None if self.w is None else self.w[sel], loss, self.key)


@dataclass
class View:
    """What a plug-in adds to one part: extra inputs ``x [m, C, H, W]`` with targets ``y [m, C]``,
    and ``loss``, the part's :attr:`Part.loss` over its n images and these m together (None where
    the part had none)."""

    x: Tensor
    y: Tensor
    loss: Tensor | None = None


@dataclass
class Extension:
    """A plug-in's answer at the hook: a :class:`View` per part, in the parts' order, and its own
    loss ``terms`` by name, which the host adds to its loss (:attr:`loss`) and may log."""

    views: list[View]
    terms: dict[str, Tensor] = field(default_factory=dict)

    @property
    def loss(self) -> Tensor:
        """The sum of the terms."""
        first, *rest = self.terms.values()
        return sum(rest, first)


class Plugin(Protocol):
    """What a host calls: ``active`` at this epoch, then ``extend`` with the parts of its batch."""

    def active(self, ctx: Context) -> bool: ...

    def extend(self, parts: list[Part], ctx: Context) -> Extension: ...


class Host:
    """A method with the hook, mixed in before :class:`lnl.engine.Method`. ``plugin`` is set by a
    wrapper (``lnl.methods.sanm.with_sanm``); ``gives_w`` is the host's set-up notice."""

    plugin: Plugin | None = None
    gives_w: bool = False             # the host gives clean probabilities w of its own (Part.w)

    def plug(self, ctx: Context, *parts: Part) -> Extension | None:
        """The plug-in's views and terms for ``parts`` of this step's batch; None without one."""
        if self.plugin is None or not self.plugin.active(ctx):
            return None
        return self.plugin.extend(list(parts), ctx)


__all__ = ["Part", "View", "Extension", "Plugin", "Host"]
