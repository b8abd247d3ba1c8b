"""Tests for lnl.models: shapes, the shared forward pass, parameter counts, errors, gradients."""

from __future__ import annotations

import functools

import pytest
import torch
import torch.nn.functional as F

from lnl.models import (MODELS, Classifier, Features, PreActBlock, build_model,
                        count_parameters)

BIG = {"preact-resnet18", "resnet34", "wrn-28-10"}
# (name, in_channels, image_size) for every input each model is meant for
CASES = [("mlp", 1, 8), ("mlp", 2, 1),
         ("cnn", 1, 28), ("cnn", 3, 32), ("cnn", 1, 8),
         ("resnet20", 1, 28), ("resnet20", 3, 32),
         ("preact-resnet18", 3, 32), ("resnet34", 3, 32), ("wrn-28-10", 3, 32)]
NUM_CLASSES = 10


@functools.lru_cache(maxsize=None)
def _model(name: str, in_channels: int, image_size: int) -> Classifier:
    """One seeded instance per case, shared by the tests (the big ones take a while to build)."""
    torch.manual_seed(0)
    return build_model(name, num_classes=NUM_CLASSES, in_channels=in_channels,
                       image_size=image_size)


def test_registry_names():
    assert list(MODELS) == ["mlp", "cnn", "resnet20", "preact-resnet18", "resnet34", "wrn-28-10"]
    assert {name for name, _, _ in CASES} == set(MODELS)


@pytest.mark.parametrize("name,in_channels,image_size", CASES)
def test_forward_and_features(name, in_channels, image_size):
    model = _model(name, in_channels, image_size)
    assert isinstance(model, Classifier)
    batch = 2 if name in BIG else 4
    x = torch.randn(batch, in_channels, image_size, image_size,
                    generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        if name not in BIG:  # train mode (batch statistics) only for the cheap ones
            model.train()
            assert model(x).shape == (batch, NUM_CLASSES)
        model.eval()
        logits = model(x)
        out = model(x, features=True)
        refit = model.fc(out.embedding)
    assert logits.shape == (batch, NUM_CLASSES)
    assert isinstance(out, Features)
    assert torch.equal(out.logits, logits)
    assert out.embedding.shape == (batch, model.num_features)
    assert out.feature_map.dim() == 4 and out.feature_map.shape[0] == batch
    assert torch.equal(refit, logits)
    torch.testing.assert_close(model.neck(out.feature_map), out.embedding)
    if name in ("mlp", "cnn"):  # fully connected necks: a wide embedding from a small map
        assert out.embedding.shape[1] == (128 if name == "mlp" else 512)
    else:  # the ResNets: the embedding is the global average of the feature map
        assert out.feature_map.shape[1] == model.num_features
        torch.testing.assert_close(out.embedding, out.feature_map.mean(dim=(2, 3)))


# Exact counts for 10 classes, checked against the published figures (within 1 %).
#  resnet20: stem 3*16*9 + 32 = 464; stage 1: 6 convs 16*16*9 + 6 BN(16) = 14,016; stage 2:
#    16*32*9 + 5*32*32*9 + 6 BN(32) = 51,072; stage 3: 32*64*9 + 5*64*64*9 + 6 BN(64) = 203,520;
#    fc 64*10 + 10 = 650; option-A shortcuts have none. Total 269,722 (paper: 0.27M).
#  preact-resnet18: 11,171,274 (DivideMix's PreResNet.py; the often quoted 11,171,146 is
#    kuangliu's PreActResNet18, whose stem has no BatchNorm: 128 parameters fewer).
#  resnet34: 21,282,122 (kuangliu / MixNN resnet.py without MixNN's 513-parameter extra head).
#  wrn-28-10: 36,479,194 (paper: 36.5M).
#  mlp on 8x8: 64*128+128 + 128*128+128 + 128*10+10 = 26,122.
#  cnn on 1 channel: 1*16*9+32 + 16*32*9+64 + (32*7*7)*512+512 + 512*10+10 = 813,306.
COUNTS = [("resnet20", 3, 32, 269_722, 0.27e6),
          ("preact-resnet18", 3, 32, 11_171_274, 11.17e6),
          ("resnet34", 3, 32, 21_282_122, 21.28e6),
          ("wrn-28-10", 3, 32, 36_479_194, 36.48e6),
          ("mlp", 1, 8, 26_122, 26_122),
          ("cnn", 1, 28, 813_306, 813_306)]


@pytest.mark.parametrize("name,in_channels,image_size,exact,published", COUNTS)
def test_parameter_counts(name, in_channels, image_size, exact, published):
    n = count_parameters(_model(name, in_channels, image_size))
    assert n == exact
    assert abs(n - published) / published < 0.01


def test_unknown_name_lists_choices():
    with pytest.raises(ValueError) as err:
        build_model("nope", num_classes=10)
    for name in MODELS:
        assert name in str(err.value)


@pytest.mark.parametrize("name,image_size", [("cnn", 2), ("resnet20", 4), ("wrn-28-10", 4),
                                             ("mlp", 0)])
def test_unsupported_image_size(name, image_size):
    with pytest.raises(ValueError, match="image_size"):
        build_model(name, num_classes=10, in_channels=3, image_size=image_size)


@pytest.mark.parametrize("name,in_channels,image_size",
                         [("cnn", 1, 28), ("resnet20", 3, 32), ("mlp", 2, 1)])
def test_gradients_reach_every_parameter(name, in_channels, image_size):
    torch.manual_seed(0)
    model = build_model(name, num_classes=NUM_CLASSES, in_channels=in_channels,
                        image_size=image_size).train()
    x = torch.randn(8, in_channels, image_size, image_size)
    F.cross_entropy(model(x), torch.arange(8) % NUM_CLASSES).backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None, pname
        assert torch.isfinite(p.grad).all(), pname
        assert p.grad.abs().sum() > 0, pname


def test_model_options():
    cnn = build_model("cnn", num_classes=3, in_channels=1, image_size=28, width=8, hidden=64)
    assert cnn.num_features == 64 and cnn(torch.zeros(2, 1, 28, 28), features=True).feature_map.shape == (2, 16, 7, 7)
    assert build_model("mlp", num_classes=3, in_channels=2, image_size=1, hidden=16).num_features == 16
    with pytest.raises(TypeError):
        build_model("resnet20", num_classes=3, width=8)


def test_preact_identity_shortcut_variants():
    """DivideMix adds the activated input on identity shortcuts, WRN the raw input."""
    torch.manual_seed(0)
    raw = PreActBlock(4, 4).eval()
    activated = PreActBlock(4, 4, activated_identity=True).eval()
    activated.load_state_dict(raw.state_dict())
    x = torch.randn(2, 4, 5, 5)
    with torch.no_grad():
        diff = activated(x) - raw(x)
        torch.testing.assert_close(diff, F.relu(raw.bn1(x)) - x)
