"""RandAugment on the device: shapes, generator streams, per-sample choices and torchvision equivalence;
Cutout: one clipped square per image, where its draws put it."""

from __future__ import annotations

import math

import pytest
import torch
from torchvision.transforms import v2
from torchvision.transforms.v2 import InterpolationMode
from torchvision.transforms.v2 import functional as TF

from lnl import augment
from lnl.augment import cutout, rand_augment

SHAPES = {1: (28, 28), 3: (32, 32)}  # Fashion-MNIST, CIFAR


def images(b: int, c: int, seed: int = 0) -> torch.Tensor:
    """Random uint8 images with some smooth structure, so that every op changes them."""
    g = torch.Generator().manual_seed(seed)
    h, w = SHAPES[c]
    noise = torch.randint(0, 256, (b, c, h, w), generator=g, dtype=torch.uint8)
    ramp = torch.linspace(0, 160, w).expand(b, c, h, w)
    return ((noise.float() * 0.4 + ramp).clamp(0, 255)).to(torch.uint8)


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def torchvision_op(img: torch.Tensor, op: str, magnitude: float, fill: int = 128) -> torch.Tensor:
    """torchvision's own RandAugment op on one image ``[C, H, W]``."""
    ra = v2.RandAugment(fill=fill)
    return ra._apply_image_or_video_transform(img, op, magnitude, interpolation=ra.interpolation, fill=ra._fill)


@pytest.mark.parametrize("c", [1, 3])
def test_dtype_shape_and_input_untouched(c):
    x = images(16, c)
    before = x.clone()
    y = rand_augment(x, gen(0))
    assert y.dtype == torch.uint8 and y.shape == x.shape
    assert torch.equal(x, before)
    assert y.data_ptr() != x.data_ptr()
    assert not torch.equal(y, x)


@pytest.mark.parametrize("c", [1, 3])
def test_same_seed_same_output_different_seed_different_output(c):
    x = images(32, c)
    assert torch.equal(rand_augment(x, gen(1)), rand_augment(x, gen(1)))
    assert not torch.equal(rand_augment(x, gen(1)), rand_augment(x, gen(2)))


@pytest.mark.parametrize("c", [1, 3])
def test_generator_advances_independently_of_the_data(c):
    g1, g2 = gen(7), gen(7)
    rand_augment(images(24, c, seed=0), g1)
    rand_augment(torch.zeros(24, c, *SHAPES[c], dtype=torch.uint8), g2)
    assert torch.equal(torch.rand(5, generator=g1), torch.rand(5, generator=g2))


def test_draw_count_matches_a_plain_randint_and_rand():
    g, ref = gen(3), gen(3)
    rand_augment(images(10, 3), g, num_ops=3)
    torch.randint(0, 14, (3, 10), generator=ref)
    torch.rand((3, 10), generator=ref)
    assert torch.equal(torch.rand(4, generator=g), torch.rand(4, generator=ref))


@pytest.mark.parametrize("c", [1, 3])
def test_ops_are_drawn_per_sample(c):
    x = images(1, c).expand(64, -1, -1, -1).contiguous()
    y = rand_augment(x, gen(0))
    distinct = {tuple(img.flatten().tolist()) for img in y}
    assert len(distinct) > 10


def test_op_set_and_magnitudes_match_torchvision():
    space = v2.RandAugment._AUGMENTATION_SPACE
    assert augment.OP_NAMES == tuple(space)
    for op, (magnitudes_fn, signed) in space.items():
        assert augment._OPS[op] == signed, op
        for bins, m, (h, w) in [(31, 9, (32, 32)), (31, 9, (28, 28)), (10, 3, (32, 28)), (31, 30, (32, 32))]:
            values = magnitudes_fn(bins, h, w)
            expected = 0.0 if values is None else float(values[m])
            assert augment._magnitude(op, m, bins, h, w) == expected, (op, bins, m)


def test_default_magnitudes_in_the_table():
    def at(op, h=32, w=32):
        return augment._magnitude(op, 9, 31, h, w)
    assert at("Rotate") == 9.0
    assert math.isclose(at("ShearX"), 0.09, rel_tol=1e-6)
    assert int(at("TranslateX")) == 4 and int(at("TranslateX", 28, 28)) == 3
    assert math.isclose(at("Brightness"), 0.27, rel_tol=1e-6)
    assert at("Posterize") == 7.0
    assert math.isclose(255 * at("Solarize"), 178.5, rel_tol=1e-6)


@pytest.mark.parametrize("c", [1, 3])
@pytest.mark.parametrize("op", augment.OP_NAMES)
def test_batched_op_equals_torchvision_per_image(op, c):
    x = images(6, c, seed=5)
    h, w = SHAPES[c]
    value = augment._magnitude(op, 9, 31, h, w)
    for signed_value in ([value, -value] if augment._OPS[op] else [value]):
        batched = augment._apply(op, x, signed_value)
        reference = torch.stack([torchvision_op(img, op, signed_value) for img in x])
        assert batched.dtype == torch.uint8 and batched.shape == x.shape
        assert torch.equal(batched, reference), (op, signed_value)


@pytest.mark.parametrize("c", [1, 3])
def test_named_ops_equal_the_functional_calls_per_image(c):
    x = images(8, c, seed=9)
    nearest = InterpolationMode.NEAREST
    shear = math.degrees(math.atan(0.09))
    cases = {
        ("Rotate", -9.0): lambda img: TF.rotate(img, angle=-9.0, interpolation=nearest, fill=128),
        ("ShearX", 0.09): lambda img: TF.affine(img, angle=0.0, translate=[0, 0], scale=1.0, shear=[shear, 0.0],
                                                interpolation=nearest, fill=128, center=[0, 0]),
        ("Solarize", 0.7): lambda img: TF.solarize(img, threshold=255 * 0.7),
        ("Posterize", 7.0): lambda img: TF.posterize(img, bits=7),
        ("Equalize", 0.0): TF.equalize,
    }
    for (op, value), single in cases.items():
        out = augment._apply(op, x, value)
        assert not torch.equal(out, x), op
        assert torch.equal(out, torch.stack([single(img) for img in x])), op


def test_geometric_fill_is_the_fill_value():
    x = torch.full((2, 3, 32, 32), 200, dtype=torch.uint8)
    rotated = augment._apply("Rotate", x, 9.0, fill=128)
    assert set(rotated.unique().tolist()) == {128, 200}
    assert set(augment._apply("TranslateX", x, -4.35, fill=7).unique().tolist()) == {7, 200}


def test_color_is_the_identity_on_one_channel():
    x = images(5, 1)
    assert torch.equal(augment._apply("Color", x, 0.27), x)
    assert torch.equal(augment._apply("Color", x, -0.27), x)


@pytest.mark.parametrize("c", [1, 3])
def test_whole_batch_equals_the_per_sample_torchvision_sequence(c):
    """Grouping and scattering: each sample gets exactly its own drawn ops, in layer order."""
    x = images(40, c, seed=2)
    h, w = SHAPES[c]
    y = rand_augment(x, gen(11), num_ops=3, magnitude=12)
    ops, negative = augment._draw(40, 3, gen(11))
    for i in range(40):
        img = x[i]
        for layer in range(3):
            op = augment.OP_NAMES[int(ops[layer, i])]
            value = augment._magnitude(op, 12, 31, h, w)
            if augment._OPS[op] and bool(negative[layer, i]):
                value = -value
            img = torchvision_op(img, op, value)
        assert torch.equal(y[i], img), i


def test_num_ops_zero_returns_the_input_values():
    x = images(8, 3)
    y = rand_augment(x, gen(0), num_ops=0)
    assert torch.equal(y, x) and y.data_ptr() != x.data_ptr()


def test_empty_batch_and_bad_arguments():
    assert rand_augment(torch.zeros(0, 3, 32, 32, dtype=torch.uint8), gen(0)).shape == (0, 3, 32, 32)
    with pytest.raises(ValueError):
        rand_augment(images(2, 3).float(), gen(0))
    with pytest.raises(ValueError):
        rand_augment(torch.zeros(2, 4, 8, 8, dtype=torch.uint8), gen(0))
    with pytest.raises(ValueError):
        rand_augment(images(2, 3), gen(0), num_ops=-1)
    with pytest.raises(ValueError):
        rand_augment(images(2, 3), gen(0), magnitude=31)


def test_policies():
    assert augment.POLICIES == ("none", "weak", "strong")


# ----------------------------------------------------------------------------------------------
# Cutout
# ----------------------------------------------------------------------------------------------

def _square(cy: int, cx: int, size: int, h: int, w: int) -> tuple[int, int, int, int]:
    """The official IEG code's patch (``create_cutout_mask``): rows [cy − size//2, cy + size//2) and
    the same columns, clipped to the image."""
    return max(0, cy - size // 2), min(h, cy + size // 2), max(0, cx - size // 2), min(w, cx + size // 2)


@pytest.mark.parametrize("c, size", [(1, 16), (3, 16), (3, 8), (1, 7)])
def test_cutout_fills_one_clipped_square_per_image_where_the_draws_put_it(c, size):
    x = torch.full((64, c, *SHAPES[c]), 200, dtype=torch.uint8)
    h, w = SHAPES[c]
    y = cutout(x, gen(3), size=size, fill=0)
    g = gen(3)                                    # the same draws: a row, then a column, per image
    cy, cx = torch.randint(0, h, (64,), generator=g), torch.randint(0, w, (64,), generator=g)
    full = 0
    for i in range(64):
        r0, r1, c0, c1 = _square(int(cy[i]), int(cx[i]), size, h, w)
        want = torch.full_like(x[i], 200)
        want[:, r0:r1, c0:c1] = 0
        assert torch.equal(y[i], want), i
        if (r1 - r0, c1 - c0) == (2 * (size // 2),) * 2:
            full += 1
    assert 0 < full < 64                          # whole squares inside, clipped ones at the borders
    cut = (y == 0).all(dim=1)                     # every channel of a cut pixel, none elsewhere
    assert torch.equal((y == 0).any(dim=1), cut)


def test_cutout_is_the_stated_size_away_from_the_borders_and_clipped_at_them():
    x = torch.ones(4000, 1, 32, 32)
    y = cutout(x, gen(0), size=16, fill=0.0)
    area = (y == 0).flatten(1).sum(1)
    assert int(area.max()) == 16 * 16             # a centre at least 8 px from every border
    assert int(area.min()) == 8 * 8               # a corner centre: a quarter of it (in 4,000 draws)
    assert bool((area >= 64).all())


def test_cutout_same_seed_same_output_different_seed_different_output_and_input_untouched():
    x = images(32, 3)
    before = x.clone()
    a, b = cutout(x, gen(1), fill=128), cutout(x, gen(1), fill=128)
    assert torch.equal(a, b) and a.dtype == torch.uint8 and a.shape == x.shape
    assert not torch.equal(a, cutout(x, gen(2), fill=128))
    assert torch.equal(x, before) and a.data_ptr() != x.data_ptr()
    assert bool(((a == 128) | (a == x)).all())    # a cut pixel is the fill; the rest the input


def test_cutout_draws_two_numbers_per_image_whatever_the_images_and_the_size():
    def after(*draws) -> torch.Tensor:
        g = gen(5)
        for h in draws:
            torch.randint(0, h, (24,), generator=g)
        return g.get_state()

    g1, g2, g3 = gen(5), gen(5), gen(5)
    cutout(images(24, 3), g1, size=16)
    cutout(torch.zeros(24, 3, 32, 32, dtype=torch.uint8), g2, size=0)     # other images, nothing cut
    cutout(torch.zeros(24, 1, 8, 8), g3, size=4)
    assert torch.equal(g1.get_state(), after(32, 32)) and torch.equal(g2.get_state(), after(32, 32))
    assert torch.equal(g3.get_state(), after(8, 8))


def test_cutout_of_size_zero_and_bad_arguments():
    x = images(4, 1)
    y = cutout(x, gen(0), size=0)
    assert torch.equal(y, x) and y.data_ptr() != x.data_ptr()
    with pytest.raises(ValueError):
        cutout(x[0], gen(0))
    with pytest.raises(ValueError):
        cutout(x, gen(0), size=-1)
    with pytest.raises(ValueError):
        cutout(x, gen(0), size=2.5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("c", [1, 3])
def test_cuda_with_cpu_and_cuda_generators(c):
    x = images(64, c).cuda()
    y = rand_augment(x, gen(4))
    assert y.device == x.device and y.dtype == torch.uint8 and y.shape == x.shape
    cpu = rand_augment(x.cpu(), gen(4))  # same draws; float rounding may differ in a few pixels
    assert (y.cpu() != cpu).float().mean() < 0.02
    g = torch.Generator(device="cuda").manual_seed(4)
    z = rand_augment(x, g)
    assert z.device == x.device and torch.equal(z, rand_augment(x, torch.Generator(device="cuda").manual_seed(4)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cutout_on_cuda_equals_cpu_with_a_cpu_generator():
    x = images(64, 3).cuda()
    y = cutout(x, gen(4), fill=128)
    assert y.device == x.device and torch.equal(y.cpu(), cutout(x.cpu(), gen(4), fill=128))
    g = torch.Generator(device="cuda")
    assert torch.equal(cutout(x, g.manual_seed(4)), cutout(x, torch.Generator(device="cuda").manual_seed(4)))
