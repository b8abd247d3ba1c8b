"""Networks for image classification.

Every model is a :class:`Classifier`: a *body* that maps images to a feature map, global average
pooling, and one linear layer ``fc``. ``model(x)`` returns logits and ``model(x, features=True)``
returns :class:`Features` (logits, pooled embedding, feature map), so a method that needs
features (kNN, t-SNE, SANM's masks) never carries a second copy of a forward pass.

===================  ==============================================================  ==========
name                 follows                                                         parameters
===================  ==============================================================  ==========
``mlp``              flatten, two hidden layers of 128 (digits 8x8, 2-D toy blobs)       26,122
``cnn``              two narrow convs + a 512-wide FC neck, for CPU (:func:`cnn`)      813,306
``resnet20``         He et al. 2016, Sec. 4.2, CIFAR ResNet-20, option-A shortcuts      269,722
``resnet29``         IEG's ResNet-29 v2: keras ``examples/cifar10_resnet.py``           843,786
``preact-resnet18``  DivideMix ``PreResNet.py`` (LiJunnan1992/DivideMix)             11,171,274
``resnet34``         MixNN ``resnet.py`` (MacLLL/MixNN, kuangliu CIFAR layout)       21,282,122
``wrn-28-10``        Zagoruyko & Komodakis 2016 (as xternalz/WideResNet-pytorch)     36,479,194
===================  ==============================================================  ==========

Counts are for 10 classes, measured with :func:`count_parameters`: ``mlp`` on 1x8x8 digits,
``cnn`` on 1x28x28, the others on 3x32x32 (only the stem conv depends on ``in_channels``).
Build models by name with :func:`build_model`; :data:`MODELS` is the registry behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["Features", "Classifier", "MODELS", "build_model", "count_parameters", "BasicBlock",
           "PreActBlock", "PreActBottleneck", "mlp", "cnn", "resnet20", "resnet29",
           "preact_resnet18", "resnet34", "wrn_28_10"]


@dataclass
class Features:
    """What ``Classifier.forward(x, features=True)`` returns.

    Attributes
    ----------
    logits : Tensor
        ``[B, num_classes]``, identical to ``model(x)``.
    embedding : Tensor
        ``[B, D]`` penultimate features, ``D = model.num_features``: the globally average-pooled
        feature map for the ResNets, a fully connected layer's output for ``cnn`` and ``mlp``;
        ``logits == model.fc(embedding)``.
    feature_map : Tensor
        ``[B, K, h, w]`` last spatial feature map (``K = D`` for the ResNets). It can be
        channels-last (``cnn``, ``resnet20`` and ``resnet29`` store their weights so), so flatten
        it with ``reshape``, not ``view``.
    """

    logits: Tensor
    embedding: Tensor
    feature_map: Tensor


class Classifier(nn.Module):
    """Body, neck, linear head: the one forward pass every model shares.

    Parameters
    ----------
    body : nn.Module
        Maps images ``[B, C, H, W]`` to the last spatial feature map ``[B, K, h, w]``.
    width : int
        Size D of the embedding the neck produces, exposed as ``num_features``.
    num_classes : int
        Outputs of the linear head ``fc``.
    neck : nn.Module, optional
        Maps the feature map to the embedding ``[B, D]``; global average pooling (then K = D) when
        omitted, as in every ResNet. The ``cnn`` uses a fully connected layer instead.
    """

    def __init__(self, body: nn.Module, width: int, num_classes: int, neck: nn.Module | None = None):
        super().__init__()
        self.body = body
        self.neck = neck if neck is not None else nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(width, num_classes)
        self.num_features = width
        self.num_classes = num_classes

    def forward(self, x: Tensor, *, features: bool = False) -> Tensor | Features:
        """Logits ``[B, num_classes]`` for images ``x`` ``[B, C, H, W]``, or :class:`Features`."""
        fmap = self.body(x)
        emb = self.neck(fmap)
        logits = self.fc(emb)
        return Features(logits, emb, fmap) if features else logits


# ----------------------------------------------------------------------------- building blocks

def _conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


def _conv_bn_relu(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
    return [_conv3x3(cin, cout, stride), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class _PadShortcut(nn.Module):
    """He et al. (2016) option A: subsample by ``stride`` and zero-pad the new channels."""

    def __init__(self, extra_channels: int, stride: int):
        super().__init__()
        self.extra, self.stride = extra_channels, stride

    def forward(self, x: Tensor) -> Tensor:
        return F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, 0, self.extra))


class BasicBlock(nn.Module):
    """Post-activation residual block: ``relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))``.

    ``shortcut="projection"`` (option B: 1x1 conv + BN, as in kuangliu/MixNN ``resnet.py``) or
    ``"pad"`` (option A, parameter-free, as in He et al. 2016, Sec. 4.2) where shapes change.
    Maps ``[B, cin, H, W]`` to ``[B, cout, H / stride, W / stride]``.
    """

    def __init__(self, cin: int, cout: int, stride: int = 1, shortcut: str = "projection"):
        super().__init__()
        self.conv1, self.bn1 = _conv3x3(cin, cout, stride), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = _conv3x3(cout, cout), nn.BatchNorm2d(cout)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = (_PadShortcut(cout - cin, stride) if shortcut == "pad" else
                             nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                           nn.BatchNorm2d(cout)))

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class PreActBlock(nn.Module):
    """Pre-activation block: ``conv(drop(relu(bn(conv(relu(bn(x))))))) + shortcut``.

    Where shapes change the shortcut is a 1x1 conv of ``relu(bn(x))`` (both references). Where
    they do not, WRN (and He et al. 2016b) add the raw ``x``; DivideMix's ``PreResNet.py`` adds
    the activated ``relu(bn(x))`` (its empty ``nn.Sequential`` shortcut is applied to ``out``):
    ``activated_identity=True`` reproduces that. ``dropout`` sits between the convs (WRN).
    """

    def __init__(self, cin: int, cout: int, stride: int = 1, *,
                 activated_identity: bool = False, dropout: float = 0.0):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(cin), _conv3x3(cin, cout, stride)
        self.bn2, self.conv2 = nn.BatchNorm2d(cout), _conv3x3(cout, cout)
        self.project = (nn.Conv2d(cin, cout, 1, stride, bias=False)
                        if stride != 1 or cin != cout else None)
        self.activated_identity, self.dropout = activated_identity, dropout

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(x))
        if self.project is not None:
            shortcut = self.project(out)
        else:
            shortcut = out if self.activated_identity else x
        out = F.relu(self.bn2(self.conv1(out)))
        out = F.dropout(out, self.dropout, self.training) if self.dropout > 0 else out
        return self.conv2(out) + shortcut


class PreActBottleneck(nn.Module):
    """Pre-activation bottleneck unit, as ``resnet_v2`` in keras ``examples/cifar10_resnet.py``:
    ``conv1x1(relu(bn(conv3x3(relu(bn(conv1x1_stride(relu(bn(x))))))))) + shortcut(x)``.

    Maps ``[B, cin, H, W]`` to ``[B, cout, H / stride, W / stride]`` through ``mid`` channels; the
    stride sits on the first 1x1 conv, as in keras. ``preactivate=False`` drops the first BN-ReLU
    (keras's first unit of the first stage, whose input is the stem's already activated output).
    Where shapes change the shortcut is a 1x1 conv (with bias, no BN) of the raw ``x``, not of
    ``relu(bn(x))`` as in :class:`PreActBlock`; elsewhere it is the identity. Every conv keeps
    its bias, as keras's ``Conv2D`` does.
    """

    def __init__(self, cin: int, mid: int, cout: int, stride: int = 1, *, preactivate: bool = True):
        super().__init__()
        self.preactivate = preactivate
        self.bn1 = nn.BatchNorm2d(cin) if preactivate else None
        self.conv1 = nn.Conv2d(cin, mid, 1, stride)
        self.bn2, self.conv2 = nn.BatchNorm2d(mid), nn.Conv2d(mid, mid, 3, padding=1)
        self.bn3, self.conv3 = nn.BatchNorm2d(mid), nn.Conv2d(mid, cout, 1)
        self.shortcut: nn.Module = (nn.Conv2d(cin, cout, 1, stride)
                                    if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv1(F.relu(self.bn1(x)) if self.bn1 is not None else x)
        out = self.conv2(F.relu(self.bn2(out)))
        return self.conv3(F.relu(self.bn3(out))) + self.shortcut(x)


def _stages(make: Callable[..., nn.Module], cin: int, widths: list[int], depths: list[int],
            strides: list[int], **kw) -> list[nn.Module]:
    """Stages of blocks; the first block of each stage changes width and stride."""
    blocks = []
    for width, depth, stride in zip(widths, depths, strides):
        for i in range(depth):
            blocks.append(make(cin, width, stride if i == 0 else 1, **kw))
            cin = width
    return blocks


def _kaiming_init(model: nn.Module) -> nn.Module:
    """He-normal conv weights (fan-out, as the WRN reference), zero linear biases."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.Linear):
            nn.init.zeros_(m.bias)
    return model


def _he_normal_fan_in(model: nn.Module) -> nn.Module:
    """Keras's defaults for ``he_normal`` layers: He-normal conv and linear weights (fan-in),
    zero biases."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return model


# ----------------------------------------------------------------------------- models

def mlp(*, num_classes: int, in_channels: int = 1, image_size: int = 8,
        hidden: int = 128) -> Classifier:
    """Two-hidden-layer ReLU MLP on the flattened input ``[B, C, H, W]`` (any ``H = W``).

    The "feature map" is the last hidden vector viewed as ``[B, hidden, 1, 1]``, so pooling is
    the identity and ``embedding`` is the hidden vector. Toy 2-D points go in as ``[B, 2, 1, 1]``
    (``in_channels=2, image_size=1``).
    """
    body = nn.Sequential(nn.Flatten(), nn.Linear(in_channels * image_size ** 2, hidden),
                         nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Unflatten(1, (hidden, 1, 1)))
    return Classifier(body, hidden, num_classes)


def cnn(*, num_classes: int, in_channels: int = 1, image_size: int = 28,
        width: int = 16, hidden: int = 512) -> Classifier:
    """Small CNN for CPU runs: Fashion-MNIST 28x28, CIFAR 32x32, digits 8x8.

    ``conv3x3(w)-BN-ReLU, maxpool2, conv3x3(2w)-BN-ReLU, maxpool2`` with ``w = 16`` gives the
    feature map ``[B, 2w, H/4, W/4]``; a fully connected neck ``Linear(2w·(H/4)², hidden)-ReLU``
    gives the ``hidden = 512`` embedding. The convolutions are kept narrow so that a
    Fashion-MNIST epoch (60k images) takes about 10 s on 2 CPU cores; the wide neck (0.8 M of the
    0.8 M parameters) gives the network the capacity to memorise noisy labels, which is what the
    Foundations chapter has to show. Parameters are stored channels-last, which makes oneDNN's
    convolutions about 1.5x faster on CPU.
    """
    w, side = width, image_size // 4
    body = nn.Sequential(*_conv_bn_relu(in_channels, w), nn.MaxPool2d(2),
                         *_conv_bn_relu(w, 2 * w), nn.MaxPool2d(2))
    neck = nn.Sequential(nn.Flatten(), nn.Linear(2 * w * side * side, hidden), nn.ReLU(inplace=True))
    return _kaiming_init(Classifier(body, hidden, num_classes, neck)).to(memory_format=torch.channels_last)


def resnet20(*, num_classes: int, in_channels: int = 3, image_size: int = 32) -> Classifier:
    """CIFAR ResNet-20 (He et al. 2016, Sec. 4.2): 3x3 conv 16, 3 stages of 3 BasicBlocks
    (widths 16/32/64, strides 1/2/2), parameter-free option-A shortcuts; feature map
    ``[B, 64, H/4, W/4]``. Parameters are stored channels-last (about 1.2x faster on CPU).
    """
    body = nn.Sequential(*_conv_bn_relu(in_channels, 16),
                         *_stages(BasicBlock, 16, [16, 32, 64], [3, 3, 3], [1, 2, 2],
                                  shortcut="pad"))
    return _kaiming_init(Classifier(body, 64, num_classes)).to(memory_format=torch.channels_last)


def resnet29(*, num_classes: int, in_channels: int = 3, image_size: int = 32) -> Classifier:
    """ResNet-29 v2, IEG's smaller backbone (Zhang et al. 2020), as keras's
    ``examples/cifar10_resnet.py`` ``resnet_v2(depth=29)`` that the paper follows: 3x3 conv
    16-BN-ReLU stem, 3 stages of 3 :class:`PreActBottleneck` units (widths 16->64, 64->128,
    128->256, strides 1/2/2; the very first unit without pre-activation), final BN-ReLU; feature
    map ``[B, 256, H/4, W/4]``. Keras's ``AveragePooling2D(8)`` on the 8x8 map of a 32x32 image is
    the global average pooling of the default neck. Convs keep their bias, as in keras (each feeds
    a BatchNorm, directly or through the residual sums, so in training they get no gradient).
    Conv and linear weights are He-normal with fan-in, as keras's ``he_normal`` (untruncated, same
    variance), biases zero. Keras's ``l2(1e-4)`` on the kernels (a decay of 2e-4) is the
    optimiser's weight decay here, not part of the model; BatchNorm keeps PyTorch's momentum and
    eps. IEG's released TF code (google-research ``ieg/models/cifar10_resnet.py``) differs:
    bias-free convs, Glorot-normal init, and no ReLU in any unit's first pre-activation (its
    ``activation`` is never reset to ``'relu'``). Parameters are stored channels-last (about 1.4x
    faster on CPU).
    """
    units, cin = [], 16
    for mid, cout, stride in [(16, 64, 1), (64, 128, 2), (128, 256, 2)]:
        for i in range(3):
            units.append(PreActBottleneck(cin, mid, cout, stride if i == 0 else 1,
                                          preactivate=bool(units)))
            cin = cout
    body = nn.Sequential(nn.Conv2d(in_channels, 16, 3, padding=1), nn.BatchNorm2d(16),
                         nn.ReLU(inplace=True), *units, nn.BatchNorm2d(256), nn.ReLU(inplace=True))
    model = _he_normal_fan_in(Classifier(body, 256, num_classes))
    return model.to(memory_format=torch.channels_last)


def preact_resnet18(*, num_classes: int, in_channels: int = 3,
                    image_size: int = 32) -> Classifier:
    """PreAct ResNet-18 as DivideMix's ``PreResNet.py``: 3x3 conv 64-BN-ReLU stem, PreActBlocks
    [2, 2, 2, 2] of widths 64/128/256/512, no final BN-ReLU before pooling, PyTorch default
    init; feature map ``[B, 512, H/8, W/8]``.
    """
    body = nn.Sequential(*_conv_bn_relu(in_channels, 64),
                         *_stages(PreActBlock, 64, [64, 128, 256, 512], [2, 2, 2, 2],
                                  [1, 2, 2, 2], activated_identity=True))
    return Classifier(body, 512, num_classes)


def resnet34(*, num_classes: int, in_channels: int = 3, image_size: int = 32) -> Classifier:
    """CIFAR ResNet-34 as MixNN's ``resnet.py``: 3x3 conv 64-BN-ReLU stem, BasicBlocks
    [3, 4, 6, 3] of widths 64/128/256/512 with projection shortcuts, PyTorch default init;
    feature map ``[B, 512, H/8, W/8]``. MixNN's extra 512->1 head belongs to the method.
    """
    body = nn.Sequential(*_conv_bn_relu(in_channels, 64),
                         *_stages(BasicBlock, 64, [64, 128, 256, 512], [3, 4, 6, 3],
                                  [1, 2, 2, 2]))
    return Classifier(body, 512, num_classes)


def wrn_28_10(*, num_classes: int, in_channels: int = 3, image_size: int = 32,
              dropout: float = 0.0) -> Classifier:
    """Wide ResNet-28-10 (Zagoruyko & Komodakis 2016): 3x3 conv 16, 3 stages of 4 pre-activation
    blocks (widths 160/320/640, strides 1/2/2), final BN-ReLU, He-normal init; feature map
    ``[B, 640, H/4, W/4]``. ``dropout`` follows the second ReLU of each block as in the official
    code (the xternalz port drops before that BN instead); off by default.
    """
    body = nn.Sequential(_conv3x3(in_channels, 16),
                         *_stages(PreActBlock, 16, [160, 320, 640], [4, 4, 4], [1, 2, 2],
                                  dropout=dropout),
                         nn.BatchNorm2d(640), nn.ReLU(inplace=True))
    return _kaiming_init(Classifier(body, 640, num_classes))


MODELS: dict[str, Callable[..., Classifier]] = {
    "mlp": mlp, "cnn": cnn, "resnet20": resnet20, "resnet29": resnet29,
    "preact-resnet18": preact_resnet18, "resnet34": resnet34, "wrn-28-10": wrn_28_10,
}
_MIN_IMAGE_SIZE = {"mlp": 1, "cnn": 4, "resnet20": 8, "resnet29": 8, "preact-resnet18": 8,
                   "resnet34": 8, "wrn-28-10": 8}


def build_model(name: str, *, num_classes: int, in_channels: int = 3, image_size: int = 32,
                **options) -> Classifier:
    """Build a model from :data:`MODELS` by name.

    Parameters
    ----------
    name : str
        One of ``MODELS``.
    num_classes, in_channels : int
        Outputs of the head; channels of the input images (1 grey, 3 colour).
    image_size : int
        Side ``H = W`` of the input images; the ``mlp`` needs it for its first layer, the
        convolutional models only check it (``cnn`` needs >= 4, the ResNets >= 8).
    **options
        Model-specific keywords: ``hidden`` (mlp), ``width`` (cnn), ``dropout`` (wrn-28-10).

    Raises
    ------
    ValueError
        For an unknown name, an image size the model does not support, or a non-positive
        ``num_classes`` / ``in_channels``.
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; valid names are {', '.join(MODELS)}.")
    if min(num_classes, in_channels) < 1:
        raise ValueError(f"num_classes and in_channels must be positive, got "
                         f"{num_classes} and {in_channels}.")
    if image_size < _MIN_IMAGE_SIZE[name]:
        raise ValueError(f"model {name!r} needs image_size >= {_MIN_IMAGE_SIZE[name]}, "
                         f"got {image_size}.")
    return MODELS[name](num_classes=num_classes, in_channels=in_channels,
                        image_size=image_size, **options)


def count_parameters(model: nn.Module) -> int:
    """Number of scalar parameters (trainable or not) in ``model``."""
    return sum(p.numel() for p in model.parameters())
