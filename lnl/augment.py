"""Strong augmentation on the device: RandAugment [1] for whole uint8 batches, drawn per sample.

RandAugment replaces a learned augmentation policy by two numbers: each image goes through
``num_ops`` operations, each chosen uniformly from a fixed list, all at one shared ``magnitude``
(a bin in ``[0, num_magnitude_bins)``). Signed operations (rotations, shears, translations, the
colour factors) go either way with probability 1/2. The op list, the magnitude ranges and their
conversion to parameters are those of ``torchvision.transforms.v2.RandAugment``; the magnitudes
at the default bin (9 of 31):

=============  =============================================  ======================================
op             ``torchvision.transforms.v2.functional`` call  parameter at magnitude 9 of 31
=============  =============================================  ======================================
Identity       (none)                                         --
ShearX         ``affine(shear=[±θ, 0], center=[0, 0])``       ±0.09 (θ = atan 0.09 ≈ 5.1°)
ShearY         ``affine(shear=[0, ±θ], center=[0, 0])``       ±0.09 (θ ≈ 5.1°)
TranslateX     ``affine(translate=[±t, 0])``                  ±0.3 · 150/331 · W, truncated: ±4 px
                                                              at W = 32, ±3 px at W = 28
TranslateY     ``affine(translate=[0, ±t])``                  the same with H
Rotate         ``rotate``                                     ±9°
Brightness     ``adjust_brightness``                          factor 1 ± 0.27
Color          ``adjust_saturation``                          factor 1 ± 0.27 (identity at C = 1)
Contrast       ``adjust_contrast``                            factor 1 ± 0.27
Sharpness      ``adjust_sharpness``                           factor 1 ± 0.27
Posterize      ``posterize``                                  7 bits (round(8 − 9/7.5))
Solarize       ``solarize``                                   threshold 0.7 · 255 = 178.5
AutoContrast   ``autocontrast``                               --
Equalize       ``equalize``                                   --
=============  =============================================  ======================================

Geometric ops use nearest interpolation (torchvision's default for RandAugment) and fill the
uncovered pixels with ``fill``, grey 128 by default, as common CIFAR implementations of
RandAugment do (torchvision's own default is black). The magnitude is fixed, as in the paper and
in torchvision; FixMatch's variant (a random magnitude per op, then Cutout) is not this one.

:func:`rand_augment` takes a batch ``[B, C, H, W]`` (C = 1 or 3) and a ``torch.Generator``. It draws
every choice for the whole batch up front from that generator (never the global RNG): an op per
sample and layer, then a sign per sample and layer, ``2 · num_ops · B`` numbers whatever the images
hold, so a generator advances by the same amount for any batch of the same size and a stream's
augmentations depend only on its own generator. It then runs, per layer, one batched
``torchvision.transforms.v2.functional`` call per (op, sign) group on the samples that drew it (at
most 22 calls: 9 signed ops times 2 signs, 4 unsigned ops, none for Identity) and scatters the
results back. Each sample's result equals torchvision's per-image op bit for bit.

Augmentation policies (:data:`POLICIES`), named for the methods that pick one per stream:

- ``none``: the plain images;
- ``weak``: the data set's own random crop and flip (:class:`lnl.data.DeviceData`);
- ``strong``: weak followed by RandAugment(2, 9), i.e. ``rand_augment(x, g, num_ops=2, magnitude=9)``,
  as used by FixMatch-style methods.

Cutout [2] (:func:`cutout`) sets one square of every image to a constant. It is not a policy of its
own: a method applies it to the views it draws (IEG's x̂, :mod:`lnl.methods.ieg`, after the weak or
strong policy: "learned policy augmentation → flip → random crop → cutout", IEG §3.1). Like
:func:`rand_augment` it takes a whole batch and a ``torch.Generator``, draws a fixed number of
numbers per image (a centre row and a centre column: ``2 · B`` whatever the images hold), and
works on the device: one boolean mask, no loop over samples. It takes any dtype, so that it can
run on the uint8 images or on the normalised ones (where 0 is what the official code fills in).

References
----------
.. [1] E. D. Cubuk, B. Zoph, J. Shlens, Q. V. Le, "RandAugment: Practical automated data augmentation
   with a reduced search space", CVPR Workshops 2020.
.. [2] T. DeVries, G. W. Taylor, "Improved regularization of convolutional neural networks with
   Cutout", arXiv 1708.04552, 2017.
"""

from __future__ import annotations

import math

import torch

POLICIES = ("none", "weak", "strong")

# The op list of torchvision.transforms.v2.RandAugment, in its order; True for signed ops.
_OPS: dict[str, bool] = {
    "Identity": False, "ShearX": True, "ShearY": True, "TranslateX": True, "TranslateY": True,
    "Rotate": True, "Brightness": True, "Color": True, "Contrast": True, "Sharpness": True,
    "Posterize": False, "Solarize": False, "AutoContrast": False, "Equalize": False,
}
OP_NAMES = tuple(_OPS)


def _magnitude(op: str, magnitude: int, num_bins: int, height: int, width: int) -> float:
    """The unsigned magnitude of ``op`` at bin ``magnitude`` (torchvision's ranges, float32 as there)."""
    ranges = {
        "ShearX": 0.3, "ShearY": 0.3, "TranslateX": 150.0 / 331.0 * width,
        "TranslateY": 150.0 / 331.0 * height, "Rotate": 30.0,
        "Brightness": 0.9, "Color": 0.9, "Contrast": 0.9, "Sharpness": 0.9,
    }
    if op in ranges:
        return float(torch.linspace(0.0, ranges[op], num_bins)[magnitude])
    if op == "Posterize":
        return float((8 - (torch.arange(num_bins) / ((num_bins - 1) / 4))).round().int()[magnitude])
    if op == "Solarize":
        return float(torch.linspace(1.0, 0.0, num_bins)[magnitude])
    return 0.0  # Identity, AutoContrast, Equalize


def _apply(op: str, x: torch.Tensor, magnitude: float, *, fill: int = 128) -> torch.Tensor:
    """One op on a whole uint8 batch ``[B, C, H, W]`` with a signed ``magnitude`` value: the
    parameters torchvision's RandAugment derives from it, in one batched call."""
    from torchvision.transforms.v2 import InterpolationMode          # imported when first used: importing
    from torchvision.transforms.v2 import functional as TF           # torchvision costs seconds

    nearest = InterpolationMode.NEAREST
    if op == "Identity":
        return x
    if op in ("ShearX", "ShearY"):
        theta = math.degrees(math.atan(magnitude))
        shear = [theta, 0.0] if op == "ShearX" else [0.0, theta]
        return TF.affine(x, angle=0.0, translate=[0, 0], scale=1.0, shear=shear, interpolation=nearest,
                         fill=fill, center=[0, 0])
    if op in ("TranslateX", "TranslateY"):
        t = [int(magnitude), 0] if op == "TranslateX" else [0, int(magnitude)]
        return TF.affine(x, angle=0.0, translate=t, scale=1.0, shear=[0.0, 0.0], interpolation=nearest,
                         fill=fill)
    if op == "Rotate":
        return TF.rotate(x, angle=magnitude, interpolation=nearest, fill=fill)
    if op == "Brightness":
        return TF.adjust_brightness(x, brightness_factor=1.0 + magnitude)
    if op == "Color":  # torchvision returns 1-channel images unchanged
        return TF.adjust_saturation(x, saturation_factor=1.0 + magnitude)
    if op == "Contrast":
        return TF.adjust_contrast(x, contrast_factor=1.0 + magnitude)
    if op == "Sharpness":
        return TF.adjust_sharpness(x, sharpness_factor=1.0 + magnitude)
    if op == "Posterize":
        return TF.posterize(x, bits=int(magnitude))
    if op == "Solarize":
        return TF.solarize(x, threshold=255.0 * magnitude)
    if op == "AutoContrast":
        return TF.autocontrast(x)
    if op == "Equalize":
        return TF.equalize(x)
    raise ValueError(f"Unknown op {op!r}; the ops are {', '.join(OP_NAMES)}.")


def _draw(b: int, num_ops: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Op indices ``[num_ops, B]`` into :data:`OP_NAMES` and negative signs ``[num_ops, B]`` (bool),
    on ``generator.device``: the only draws :func:`rand_augment` makes."""
    ops = torch.randint(0, len(OP_NAMES), (num_ops, b), generator=generator, device=generator.device)
    negative = torch.rand((num_ops, b), generator=generator, device=generator.device) < 0.5
    return ops, negative


def rand_augment(x: torch.Tensor, generator: torch.Generator, *, num_ops: int = 2, magnitude: int = 9,
                 num_magnitude_bins: int = 31, fill: int = 128) -> torch.Tensor:
    """uint8 [B, C, H, W] -> uint8 [B, C, H, W]: RandAugment with per-sample op choice.

    Each of the ``num_ops`` layers gives every sample an op drawn uniformly from the 14 of
    :data:`OP_NAMES` and, for signed ops, a sign (1/2 each), all from ``generator``: exactly
    ``2 · num_ops · B`` numbers whatever ``x`` holds (unsigned ops draw an unused sign), so the
    generator advances the same way for any images of the same batch size. ``magnitude`` is a bin
    of ``num_magnitude_bins`` shared by all ops; ``fill`` is the value of pixels that geometric ops
    uncover. ``C`` is 1 or 3; the result is on ``x``'s device, a new tensor (``x`` is not changed).
    On CUDA the call waits once for the device, to read the group sizes.
    """
    if x.dtype != torch.uint8 or x.dim() != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"rand_augment takes uint8 images [B, 1 or 3, H, W], not {x.dtype} "
                         f"{tuple(x.shape)}.")
    if not isinstance(num_ops, int) or num_ops < 0:
        raise ValueError(f"num_ops must be a non-negative integer, not {num_ops!r}.")
    if not 0 <= magnitude < num_magnitude_bins:
        raise ValueError(f"magnitude must be a bin in [0, {num_magnitude_bins}), not {magnitude}.")
    b, _, h, w = x.shape
    ops, negative = _draw(b, num_ops, generator)
    out = x.clone()
    if num_ops == 0 or b == 0:
        return out
    n = 2 * len(OP_NAMES)  # group k: op k // 2, negative when k is odd (unsigned ops only use even k)
    signed = torch.tensor(list(_OPS.values()), device=ops.device)
    keys = (2 * ops + (negative & signed[ops])).to(x.device)
    layer = torch.arange(num_ops, device=x.device)[:, None]
    counts = torch.bincount((keys + n * layer).flatten(), minlength=n * num_ops).view(num_ops, n).tolist()
    order = keys.argsort(dim=1, stable=True)  # [num_ops, B]: samples grouped by key within each layer
    values = {op: _magnitude(op, magnitude, num_magnitude_bins, h, w) for op in OP_NAMES}
    for i in range(num_ops):
        for k, idx in enumerate(order[i].split(counts[i])):
            op = OP_NAMES[k // 2]
            if len(idx) == 0 or op == "Identity":
                continue
            out[idx] = _apply(op, out[idx], -values[op] if k % 2 else values[op], fill=fill)
    return out


def cutout(x: torch.Tensor, generator: torch.Generator, *, size: int = 16, fill: float = 0) -> torch.Tensor:
    """[B, C, H, W] -> [B, C, H, W]: Cutout [2], one square per image set to ``fill`` in every channel.

    Each image's centre ``(cy, cx)`` is drawn uniformly over its pixels, rows first then columns
    (``2 · B`` numbers from ``generator``), and the square covers rows ``[cy − size//2, cy +
    size//2)`` and the same columns, clipped at the borders: a ``size`` × ``size`` square (for an
    even ``size``) where the centre lies at least ``size/2`` from every border, a smaller rectangle
    where it does not, as in DeVries & Taylor, who let the patch cross the border. This is the
    official IEG code's ``augmentation_transforms.create_cutout_mask`` (``google-research/ieg``,
    ``dataset_utils``), which multiplies its images, scaled to [-1, 1], by a zero mask: on
    normalised images ``fill = 0`` is the code's value; on uint8 images 128 is its mid-grey.
    ``size = 0`` cuts nothing (the generator still advances). The result is on ``x``'s device, of
    its dtype, a new tensor (``x`` is not changed).
    """
    if x.dim() != 4:
        raise ValueError(f"cutout takes images [B, C, H, W], not {tuple(x.shape)}.")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"size must be a non-negative integer (pixels), not {size!r}.")
    b, _, h, w = x.shape
    cy = torch.randint(0, h, (b,), generator=generator, device=generator.device).to(x.device)   # [B]
    cx = torch.randint(0, w, (b,), generator=generator, device=generator.device).to(x.device)   # [B]
    half = size // 2
    r, c = torch.arange(h, device=x.device), torch.arange(w, device=x.device)
    rows = (r >= cy[:, None] - half) & (r < cy[:, None] + half)                                  # [B, H]
    cols = (c >= cx[:, None] - half) & (c < cx[:, None] + half)                                  # [B, W]
    return x.masked_fill((rows[:, :, None] & cols[:, None, :])[:, None], fill)                  # [B, 1, H, W]
