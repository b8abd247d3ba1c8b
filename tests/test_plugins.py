"""The plug-in hook (lnl.methods.plugins): a host hands a plug-in its batch and takes back its
views and loss terms, without knowing what is plugged in."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from lnl.methods import CE
from lnl.methods.plugins import Extension, Part, View
from lnl.models import build_model


class Doubling:
    """A plug-in that doubles the host's loss on its part and adds a known term."""

    def __init__(self):
        self.parts: list[Part] = []

    def active(self, ctx) -> bool:
        return True

    def extend(self, parts, ctx) -> Extension:
        self.parts += parts
        return Extension([View(p.x, p.target, 2 * p.loss) for p in parts], {"known": torch.tensor(0.5)})


def test_a_host_calls_the_hook_and_takes_back_its_loss_and_terms():
    torch.manual_seed(0)
    ctx = SimpleNamespace(num_classes=10)
    batch = {"x": torch.randn(8, 1, 32, 32), "y": torch.arange(8) % 10, "idx": torch.arange(8)}
    host = CE(CE.Config())
    host.net = build_model("cnn", num_classes=10, in_channels=1, image_size=32).eval()
    alone = host.training_step(batch, ctx)["loss"]
    host.plugin = plugin = Doubling()
    plugged = host.training_step(batch, ctx)["loss"]
    assert torch.equal(plugged, 2 * alone + 0.5)
    (part,) = plugin.parts
    assert part.w is None and part.key == "" and torch.equal(part.idx, batch["idx"])
    assert torch.equal(part.out.logits, host.net(batch["x"])) and torch.equal(part.target.argmax(1), batch["y"])


def test_a_selected_part_keeps_its_samples_in_every_field():
    torch.manual_seed(0)
    net = build_model("cnn", num_classes=10, in_channels=1, image_size=32).eval()
    x = torch.randn(6, 1, 32, 32)
    part = Part(net, x, net(x, features=True), torch.arange(10, 16), torch.eye(10)[:6], torch.linspace(0, 1, 6),
                key="net1")
    sel = torch.tensor([4, 1])
    small = part.select(sel, torch.tensor(3.0))
    assert torch.equal(small.x, x[sel]) and torch.equal(small.idx, torch.tensor([14, 11]))
    assert torch.equal(small.out.feature_map, part.out.feature_map[sel]) and torch.equal(small.w, part.w[sel])
    assert small.loss == 3.0 and small.key == "net1" and small.net is net
