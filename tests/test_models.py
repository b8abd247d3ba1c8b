"""Tests for lnl.models: shapes, the shared forward pass, parameter counts, errors, gradients."""

from __future__ import annotations

import functools

import pytest
import torch
import torch.nn.functional as F

from lnl.models import (MODELS, Classifier, Features, PreActBlock, PreActBottleneck, build_model,
                        count_parameters)

BIG = {"preact-resnet18", "resnet34", "wrn-28-10"}
# (name, in_channels, image_size) for every input each model is meant for
CASES = [("mlp", 1, 8), ("mlp", 2, 1),
         ("cnn", 1, 28), ("cnn", 3, 32), ("cnn", 1, 8),
         ("resnet20", 1, 28), ("resnet20", 3, 32), ("resnet29", 1, 28), ("resnet29", 3, 32),
         ("preact-resnet18", 3, 32), ("resnet34", 3, 32), ("wrn-28-10", 3, 32)]
NUM_CLASSES = 10


@functools.lru_cache(maxsize=None)
def _model(name: str, in_channels: int, image_size: int) -> Classifier:
    """One seeded instance per case, shared by the tests (the big ones take a while to build)."""
    torch.manual_seed(0)
    return build_model(name, num_classes=NUM_CLASSES, in_channels=in_channels,
                       image_size=image_size)


def test_registry_names():
    assert list(MODELS) == ["mlp", "cnn", "resnet20", "resnet29", "preact-resnet18", "resnet34",
                            "wrn-28-10"]
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
#  resnet29: 843,786 (itemised in test_resnet29_count_by_hand); keras counts 849,002 (the quoted
#    0.849M) for its ResNet29v2: the same 843,786 trainable + 5,216 non-trainable BatchNorm
#    moving means and variances, which are buffers here.
#  preact-resnet18: 11,171,274 (DivideMix's PreResNet.py; the often quoted 11,171,146 is
#    kuangliu's PreActResNet18, whose stem has no BatchNorm: 128 parameters fewer).
#  resnet34: 21,282,122 (kuangliu / MixNN resnet.py without MixNN's 513-parameter extra head).
#  wrn-28-10: 36,479,194 (paper: 36.5M).
#  mlp on 8x8: 64*128+128 + 128*128+128 + 128*10+10 = 26,122.
#  cnn on 1 channel: 1*16*9+32 + 16*32*9+64 + (32*7*7)*512+512 + 512*10+10 = 813,306.
COUNTS = [("resnet20", 3, 32, 269_722, 0.27e6),
          ("resnet29", 3, 32, 843_786, 0.849e6),
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


@pytest.mark.parametrize("name,image_size", [("cnn", 2), ("resnet20", 4), ("resnet29", 4),
                                             ("wrn-28-10", 4), ("mlp", 0)])
def test_unsupported_image_size(name, image_size):
    with pytest.raises(ValueError, match="image_size"):
        build_model(name, num_classes=10, in_channels=3, image_size=image_size)


@pytest.mark.parametrize("name,in_channels,image_size",
                         [("cnn", 1, 28), ("resnet20", 3, 32), ("resnet29", 3, 32), ("mlp", 2, 1)])
def test_gradients_reach_every_parameter(name, in_channels, image_size):
    torch.manual_seed(0)
    model = build_model(name, num_classes=NUM_CLASSES, in_channels=in_channels,
                        image_size=image_size).train()
    x = torch.randn(8, in_channels, image_size, image_size)
    F.cross_entropy(model(x), torch.arange(8) % NUM_CLASSES).backward()
    # resnet29's conv biases (kept as in keras) all feed a BatchNorm, directly or through the
    # residual sums and 1x1 convs, which removes per-channel constants in training: their
    # gradient is zero up to rounding.
    redundant = {id(m.bias) for m in model.modules()
                 if isinstance(m, torch.nn.Conv2d) and m.bias is not None}
    for pname, p in model.named_parameters():
        assert p.grad is not None, pname
        assert torch.isfinite(p.grad).all(), pname
        if id(p) in redundant:
            assert p.grad.abs().max() < 1e-5, pname
        else:
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


def test_resnet29_count_by_hand():
    """The keras ResNet29v2 for CIFAR-10 (``resnet_v2(depth=29)``), layer by layer; every conv has
    a bias, a BatchNorm has 2 parameters per channel (keras adds 2 non-trainable moving stats)."""
    def conv(cin, cout, k):
        return cin * cout * k * k + cout

    def bn(c):
        return 2 * c

    def unit(cin, mid, cout, preactivate=True, project=False):
        return ((bn(cin) if preactivate else 0) + conv(cin, mid, 1) + bn(mid) + conv(mid, mid, 3)
                + bn(mid) + conv(mid, cout, 1) + (conv(cin, cout, 1) if project else 0))

    stem = conv(3, 16, 3) + bn(16)                                           # 480
    stage0 = unit(16, 16, 64, preactivate=False, project=True) + 2 * unit(64, 16, 64)  # 14,112
    stage1 = unit(64, 64, 128, project=True) + 2 * unit(128, 64, 128)        # 166,144
    stage2 = unit(128, 128, 256, project=True) + 2 * unit(256, 128, 256)     # 659,968
    head = bn(256) + 256 * 10 + 10                                           # 3,082
    assert (stem, stage0, stage1, stage2, head) == (480, 14_112, 166_144, 659_968, 3_082)
    model = _model("resnet29", 3, 32)
    n = count_parameters(model)
    assert n == stem + stage0 + stage1 + stage2 + head == 843_786
    bn_params = sum(p.numel() for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)
                    for p in m.parameters())
    assert bn_params == 5_216
    assert n + bn_params == 849_002  # keras's "Total params" (moving mean and variance included)


def test_resnet29_layout():
    """Stem, 3 stages of 3 bottleneck units (strides on the first 1x1 conv of units 3 and 6),
    projection shortcuts where shapes change, no pre-activation in the very first unit."""
    model = _model("resnet29", 3, 32).eval()
    body = list(model.body)
    units = body[3:-2]
    assert len(units) == 9 and all(isinstance(u, PreActBottleneck) for u in units)
    assert isinstance(body[-2], torch.nn.BatchNorm2d) and isinstance(body[-1], torch.nn.ReLU)
    assert [u.preactivate for u in units] == [False] + [True] * 8
    assert units[0].bn1 is None and all(isinstance(u.bn1, torch.nn.BatchNorm2d) for u in units[1:])
    assert [u.conv1.stride[0] for u in units] == [1, 1, 1, 2, 1, 1, 2, 1, 1]
    assert all(u.conv2.stride == (1, 1) and u.conv3.stride == (1, 1) for u in units)
    projected = [i for i, u in enumerate(units) if isinstance(u.shortcut, torch.nn.Conv2d)]
    assert projected == [0, 3, 6]
    assert [units[i].shortcut.stride[0] for i in projected] == [1, 2, 2]
    assert all(isinstance(u.shortcut, torch.nn.Identity) for i, u in enumerate(units)
               if i not in projected)
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    shapes = []
    with torch.no_grad():
        h = torch.nn.Sequential(*body[:3])(x)
        assert h.shape == (2, 16, 32, 32)
        for u in units:
            h = u(h)
            shapes.append(tuple(h.shape[1:]))
        fmap = model(x, features=True).feature_map
    assert shapes == [(64, 32, 32)] * 3 + [(128, 16, 16)] * 3 + [(256, 8, 8)] * 3
    assert fmap.shape == (2, 256, 8, 8) and model.num_features == 256
    assert (fmap >= 0).all()  # final BN-ReLU before pooling (v2)


def test_resnet29_init_follows_keras_he_normal():
    """He-normal with fan-in (keras's ``he_normal``) on conv and linear weights, zero biases."""
    model = _model("resnet29", 3, 32)
    big = model.body[9].conv2                       # 3x3, 128 -> 128: fan-in 1,152
    torch.testing.assert_close(big.weight.std().item(), (2 / 1152) ** 0.5, rtol=0.02, atol=0)
    proj = model.body[3].shortcut                   # 1x1, 16 -> 64: fan-in 16, fan-out 64
    torch.testing.assert_close(proj.weight.std().item(), (2 / 16) ** 0.5, rtol=0.2, atol=0)
    torch.testing.assert_close(model.fc.weight.std().item(), (2 / 256) ** 0.5, rtol=0.05, atol=0)
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            assert (m.bias == 0).all()


@pytest.mark.parametrize("preactivate", [True, False])
def test_preact_bottleneck_forward(preactivate):
    """``conv3(relu(bn3(conv2(relu(bn2(conv1(a))))))) + shortcut(x)`` with ``a = relu(bn1(x))``,
    or ``a = x`` without pre-activation; the projection shortcut takes the raw ``x``."""
    torch.manual_seed(0)
    unit = PreActBottleneck(4, 3, 8, stride=2, preactivate=preactivate)
    for bn in (unit.bn1, unit.bn2, unit.bn3):  # non-trivial running statistics
        if bn is not None:
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
    unit.eval()
    x = torch.randn(2, 4, 6, 6)
    with torch.no_grad():
        a = F.relu(unit.bn1(x)) if preactivate else x
        h = unit.conv2(F.relu(unit.bn2(unit.conv1(a))))
        expected = unit.conv3(F.relu(unit.bn3(h))) + unit.shortcut(x)
        torch.testing.assert_close(unit(x), expected)
    assert unit(x).shape == (2, 8, 3, 3)
    assert isinstance(PreActBottleneck(8, 2, 8).shortcut, torch.nn.Identity)
