"""Tests for :mod:`lnl.noise`: hand-computed matrices, sampler properties and every error path."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lnl import noise
from lnl.noise import (
    ASYMMETRIC_FLIPS, CIFAR100_COARSE, DATASET_CLASSES, KINDS, MATRIX_KINDS, SAMPLING, NoisyLabels,
    effective_rate, realised_matrix, sample, transition_matrix,
)

# derandomize: the statistical bounds below are checked on a fixed set of examples, so CI never flakes
PROPERTY = settings(max_examples=20, deadline=None, derandomize=True)
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def make_labels(n: int, K: int, seed: int) -> np.ndarray:
    """``[n]`` labels from a random (imbalanced, possibly missing-class) prior."""
    rng = np.random.default_rng(seed)
    return rng.choice(K, size=n, p=rng.dirichlet(np.ones(K)))


@st.composite
def setting(draw, kind: str):
    """(K, dataset, rate, labels, seed) valid for a matrix ``kind``."""
    dataset = None
    if kind == "asymmetric":
        dataset = draw(st.sampled_from(sorted(DATASET_CLASSES)))
        K = DATASET_CLASSES[dataset]
    elif kind == "asymmetric-blocks":
        K = 5 * draw(st.integers(1, 4))
    else:
        K = draw(st.integers(2, 12))
    rate = draw(st.floats(0.0, 1.0))
    y = make_labels(draw(st.integers(K, 3000)), K, draw(st.integers(0, 2**32 - 1)))
    return K, dataset, rate, y, draw(st.integers(0, 2**31))


# ---------------------------------------------------------------- transition matrices, by hand

def test_symmetric_uniform_matrix_and_effective_rate():
    T = transition_matrix("symmetric-uniform", 10, 0.5)
    assert T[3, 3] == pytest.approx(0.55)                    # 1 − r + r/K
    assert T[3, 4] == pytest.approx(0.05)                    # r/K
    assert effective_rate(T) == pytest.approx(0.45)          # r(1 − 1/K), not r


def test_symmetric_flip_matrix():
    T = transition_matrix("symmetric", 10, 0.4)
    off = ~np.eye(10, dtype=bool)
    assert np.allclose(T[off], 0.4 / 9) and np.allclose(np.diag(T), 0.6)
    assert effective_rate(T) == pytest.approx(0.4)


def test_cifar10_asymmetric_matrix_and_prior():
    T = transition_matrix("asymmetric", 10, 0.4, dataset="cifar10")
    for src, dst in [(9, 1), (2, 0), (4, 7), (3, 5), (5, 3)]:
        assert T[src, dst] == pytest.approx(0.4) and T[src, src] == pytest.approx(0.6)
    for c in (0, 1, 6, 7, 8):
        assert T[c, c] == 1.0
    assert effective_rate(T) == pytest.approx(0.2)           # five of ten classes move
    assert effective_rate(T, prior=np.eye(10)[0]) == 0.0
    assert effective_rate(T, prior=np.eye(10)[9]) == pytest.approx(0.4)


@pytest.mark.parametrize("dataset, pairs", [
    ("mnist", [(2, 7), (3, 8), (5, 6), (6, 5), (7, 1)]),
    ("digits", [(2, 7), (3, 8), (5, 6), (6, 5), (7, 1)]),
    ("fashion_mnist", [(0, 6), (6, 0), (2, 4), (5, 7), (9, 7)]),
])
def test_ten_class_asymmetric_mappings(dataset, pairs):
    T = transition_matrix("asymmetric", 10, 0.3, dataset=dataset)
    expected = np.eye(10)
    for src, dst in pairs:
        expected[src, src], expected[src, dst] = 0.7, 0.3
    assert np.allclose(T, expected)
    assert effective_rate(T) == pytest.approx(0.15)


def test_pairflip_matrix():
    T = transition_matrix("pairflip", 4, 0.45)
    expected = [[.55, .45, 0, 0], [0, .55, .45, 0], [0, 0, .55, .45], [.45, 0, 0, .55]]
    assert np.allclose(T, expected)


def test_asymmetric_blocks_are_index_blocks():
    T = transition_matrix("asymmetric-blocks", 10, 0.3)
    for src, dst in [(0, 1), (3, 4), (4, 0), (5, 6), (9, 5)]:
        assert T[src, dst] == pytest.approx(0.3)
    assert T[4, 5] == 0.0                                    # never crosses a block


def test_cifar100_has_20_superclasses_of_5():
    assert CIFAR100_COARSE.shape == (100,)
    assert np.array_equal(np.bincount(CIFAR100_COARSE), np.full(20, 5))
    assert list(np.flatnonzero(CIFAR100_COARSE == 0)) == [4, 30, 55, 72, 95]   # aquatic mammals


def test_cifar100_asymmetric_stays_inside_superclass():
    T = transition_matrix("asymmetric", 100, 0.4, dataset="cifar100")
    src, dst = np.nonzero(T)
    assert np.array_equal(CIFAR100_COARSE[src], CIFAR100_COARSE[dst])
    assert ((T > 0).sum(axis=1) == 2).all()                  # one target per class
    assert T[4, 30] == pytest.approx(0.4)                    # beaver → dolphin
    assert T[95, 4] == pytest.approx(0.4)                    # whale → beaver (circular)
    assert effective_rate(T) == pytest.approx(0.4)
    assert len(ASYMMETRIC_FLIPS["cifar100"]) == 100
    assert np.array_equal(transition_matrix("asymmetric", 100, 0.4, dataset="cifar100n"), T)


@pytest.mark.shared
@pytest.mark.skipif(not (SHARED / "cifar100n_labels.npz").exists(), reason="needs ../shared/data")
def test_cifar100_coarse_mapping_matches_published_coarse_labels():
    d = np.load(SHARED / "cifar100n_labels.npz")
    assert np.array_equal(CIFAR100_COARSE[d["clean_label"]], d["clean_coarse_label"])


@PROPERTY
@given(kind=st.sampled_from(MATRIX_KINDS), data=st.data())
def test_every_matrix_is_row_stochastic(kind, data):
    K, dataset, rate, _, _ = data.draw(setting(kind))
    T = transition_matrix(kind, K, rate, dataset=dataset)
    assert T.shape == (K, K) and T.dtype == np.float64
    assert ((T >= 0) & (T <= 1)).all() and np.allclose(T.sum(axis=1), 1.0)
    assert np.array_equal(transition_matrix(kind, K, 0.0, dataset=dataset), np.eye(K))


def test_realised_matrix_by_hand():
    R = realised_matrix(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 3)
    assert np.array_equal(R, [[0.5, 0.5, 0], [0, 1, 0], [0, 0, 1]])   # absent class 2: identity row


# ---------------------------------------------------------------- samplers: properties

@pytest.mark.parametrize("sampling", SAMPLING)
@pytest.mark.parametrize("kind", MATRIX_KINDS)
@PROPERTY
@given(data=st.data())
def test_realised_matrix_within_bounds(kind, sampling, data):
    K, dataset, rate, y, seed = data.draw(setting(kind))
    out = sample(kind, y, rate, num_classes=K, seed=seed, sampling=sampling, dataset=dataset)
    T, R = out.transition, out.realised
    n = np.bincount(y, minlength=K)[:, None].astype(float)
    if sampling == "exact":
        bound = 1.0 / np.maximum(n, 1)
    else:
        bound = 5 * np.sqrt(T * (1 - T) / np.maximum(n, 1)) + 1.0 / np.maximum(n, 1)
    present = n[:, 0] > 0
    assert (np.abs(R - T)[present] <= bound[present] + 1e-12).all()
    assert np.array_equal(R[~present], np.eye(K)[~present])


@pytest.mark.parametrize("sampling", SAMPLING)
@pytest.mark.parametrize("kind", MATRIX_KINDS)
@PROPERTY
@given(data=st.data())
def test_effective_rate_is_measured_and_matches_T(kind, sampling, data):
    K, dataset, rate, y, seed = data.draw(setting(kind))
    out = sample(kind, y, rate, num_classes=K, seed=seed, sampling=sampling, dataset=dataset)
    measured = (out.labels != out.true).mean()
    assert out.effective_rate == measured
    assert np.array_equal(out.is_noisy, out.labels != out.true)
    expected = effective_rate(out.transition, prior=np.bincount(y, minlength=K) / y.size)
    if sampling == "exact":                                  # each class is off by < 1 sample
        assert abs(measured - expected) <= (np.bincount(y) > 0).sum() / y.size + 1e-12
    else:
        assert abs(measured - expected) <= 5 * np.sqrt(expected * (1 - expected) / y.size) + 1 / y.size


@pytest.mark.parametrize("sampling", SAMPLING)
@pytest.mark.parametrize("kind", MATRIX_KINDS)
@PROPERTY
@given(data=st.data())
def test_seed_decides_the_labels(kind, sampling, data):
    K, dataset, rate, y, seed = data.draw(setting(kind))
    args = dict(num_classes=K, sampling=sampling, dataset=dataset)
    first = sample(kind, y, rate, seed=seed, **args).labels
    sample(kind, y, 0.5 * rate, seed=seed, **args)          # another rate in between changes nothing
    assert np.array_equal(first, sample(kind, y, rate, seed=seed, **args).labels)
    # at r = 1 the one-target kinds are deterministic, so seeds differ only for r < 1
    if 0.2 <= rate <= 0.95 and y.size >= 1000:
        assert not np.array_equal(first, sample(kind, y, rate, seed=seed + 1, **args).labels)


def test_exact_sampling_hits_integral_counts_exactly():
    y = np.repeat(np.arange(5), 100)
    out = sample("symmetric", y, 0.4, num_classes=5, seed=0)
    assert np.array_equal(out.realised, out.transition)     # 100 × 0.1 = 10 per off-diagonal cell
    assert out.effective_rate == 0.4


def test_largest_remainder_counts_sum_to_n():
    counts = noise._largest_remainder(10, np.array([0.75, 0.25]))
    assert counts.sum() == 10 and set(counts) <= {7, 8, 2, 3}
    assert np.array_equal(noise._largest_remainder(7, np.array([0.0, 1.0, 0.0])), [0, 7, 0])


def test_categorical_sampler_never_draws_zero_weights():
    p = np.tile([0.0, 2.0, 0.0, 1.0], (6000, 1))            # unnormalised row, zeros at both ends
    draws = noise._sample_categorical(p, np.random.default_rng(0))
    assert set(np.unique(draws)) == {1, 3}
    assert abs((draws == 1).mean() - 2 / 3) < 0.03


@pytest.mark.parametrize("kind", KINDS)
def test_rate_zero_keeps_labels(kind):
    y = make_labels(500, 10, 1)
    out = sample(kind, y, 0.0, num_classes=10, seed=3, dataset="cifar10",
                 images=np.zeros((500, 4), np.uint8), human_labels=y)
    assert np.array_equal(out.labels, y) and out.effective_rate == 0.0


def test_record_is_read_only_and_input_untouched():
    y = make_labels(300, 10, 2)
    before = y.copy()
    out = sample("symmetric", y, 0.6, num_classes=10, seed=0, sampling="bernoulli")
    assert np.array_equal(y, before) and isinstance(out, NoisyLabels)
    assert out.kind == "symmetric" and out.rate == 0.6 and out.sampling == "bernoulli"
    with pytest.raises(ValueError):
        out.labels[0] = 0


# ---------------------------------------------------------------- instance-dependent noise (Xia et al.)

def pixels(n: int, d: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, d), dtype=np.uint8)


@pytest.mark.parametrize("rate", [0.2, 0.4])
def test_instance_effective_rate_near_nominal(rate):
    y = make_labels(2000, 10, 5)
    out = sample("instance", y, rate, num_classes=10, seed=0, images=pixels(2000, 64, 0))
    assert abs(out.effective_rate - rate) <= 0.05
    assert out.transition is None and out.realised.shape == (10, 10)


def test_instance_is_deterministic_per_seed():
    y, x = make_labels(2000, 10, 6), pixels(2000, 64, 1)
    a = sample("instance", y, 0.4, num_classes=10, seed=7, images=x).labels
    assert np.array_equal(a, sample("instance", y, 0.4, num_classes=10, seed=7, images=x).labels)
    assert not np.array_equal(a, sample("instance", y, 0.4, num_classes=10, seed=8, images=x).labels)


def test_instance_probabilities_keep_true_class_only_with_1_minus_q():
    y, x = make_labels(1500, 10, 7), pixels(1500, 64, 2)
    p, q = noise._instance_probabilities(y, x, 10, 0.4, np.random.default_rng(0))
    assert np.allclose(p.sum(axis=1), 1.0) and ((q >= 0) & (q <= 1)).all()
    assert np.allclose(p[np.arange(y.size), y], 1 - q)       # the softmax part never picks y
    assert abs(q.mean() - 0.4) < 0.02
    wrong = p.copy()
    wrong[np.arange(y.size), y] = 0
    saturated = lambda w: (w.max(axis=1) >= 0.99 * w.sum(axis=1)).mean()  # noqa: E731
    assert saturated(wrong) > 0.9                            # raw 0–255 pixels: one flip target per image
    p01, _ = noise._instance_probabilities(y, x / 255.0, 10, 0.4, np.random.default_rng(0))
    p01[np.arange(y.size), y] = 0
    assert saturated(p01) < saturated(wrong)                 # normalised inputs give softer noise


def test_instance_matches_a_per_sample_loop():
    from scipy.stats import truncnorm

    K, y, x = 4, make_labels(200, 4, 8), pixels(200, 16, 3)
    p, q = noise._instance_probabilities(y, x, K, 0.3, np.random.default_rng(1))
    rng = np.random.default_rng(1)
    q_ref = truncnorm.rvs(-0.3 / 0.1, 0.7 / 0.1, loc=0.3, scale=0.1, size=200, random_state=rng)
    W = np.stack([rng.standard_normal((16, K)) for _ in range(K)])
    for n in range(200):
        a = x[n].astype(float) @ W[y[n]]
        a[y[n]] = -np.inf
        row = q_ref[n] * np.exp(a - a.max()) / np.exp(a - a.max()).sum()
        row[y[n]] += 1 - q_ref[n]
        assert np.allclose(p[n], row)
    assert np.allclose(q, q_ref)


# ---------------------------------------------------------------- human labels

def test_human_returns_the_given_labels():
    y = make_labels(400, 10, 9)
    h = np.where(np.arange(400) % 4 == 0, (y + 1) % 10, y)
    out = sample("human", y, None, num_classes=10, seed=0, human_labels=h)
    assert np.array_equal(out.labels, h) and out.transition is None and out.rate is None
    assert out.effective_rate == 0.25
    assert np.array_equal(out.realised, realised_matrix(y, h, 10))


@pytest.mark.shared
@pytest.mark.skipif(not (SHARED / "cifar10n_labels.npz").exists(), reason="needs ../shared/data")
def test_cifar10n_worse_label_rate():
    d = np.load(SHARED / "cifar10n_labels.npz")
    out = sample("human", d["clean_label"], None, num_classes=10, seed=0, human_labels=d["worse_label"])
    assert out.effective_rate == pytest.approx(0.4021, abs=5e-5)


# ---------------------------------------------------------------- error paths

Y = np.arange(10)
S = partial(sample, num_classes=10, seed=0)                  # sample(kind, Y, rate) on ten labels
TM = transition_matrix


@pytest.mark.parametrize("call, message", [
    (lambda: S("symmetric", Y, 1.5), r"noise rate must be within \[0, 1\], got 1.5"),
    (lambda: S("symmetric", Y, -0.1), r"within \[0, 1\], got -0.1"),
    (lambda: S("instance", Y, None, images=Y), r"within \[0, 1\], got None"),
    (lambda: TM("pairflip", 10, float("nan")), r"within \[0, 1\], got nan"),
    (lambda: S("gaussian", Y, 0.2), r"unknown noise kind 'gaussian'; choose one of symmetric, "),
    (lambda: S("symmetric", Y, 0.2, sampling="poisson"), r"unknown sampling .poisson.; choose one of exact"),
    (lambda: S("symmetric", Y, 0.2, num_classes=5), r"true labels must lie in \[0, 5\), got min 0 and max 9"),
    (lambda: S("symmetric", Y - 1, 0.2), r"must lie in \[0, 10\), got min -1"),
    (lambda: S("symmetric", Y * 1.0, 0.2), r"true labels must be a 1-D integer array"),
    (lambda: S("symmetric", Y, 0.2, num_classes=1), r"num_classes must be an integer of at least 2"),
    (lambda: S("asymmetric", Y, 0.2),
     r"asymmetric noise needs dataset= one of cifar10, cifar100, fashion_mnist, mnist, digits, .* got None"),
    (lambda: TM("asymmetric", 10, 0.2, dataset="svhn"), r"dataset= one of .* got 'svhn'"),
    (lambda: TM("asymmetric", 100, 0.2, dataset="cifar10"), r"cifar10 needs num_classes=10"),
    (lambda: TM("asymmetric-blocks", 12, 0.2), r"num_classes divisible by 5, got 12"),
    (lambda: TM("instance", 10, 0.2), r"'instance' noise has no fixed transition matrix; the realised"),
    (lambda: TM("human", 10, None), r"'human' noise has no fixed transition matrix"),
    (lambda: S("instance", Y, 0.2), r"instance noise needs images="),
    (lambda: S("instance", Y, 0.2, images=Y[:3]), r"one image per label \(10\), got 3"),
    (lambda: S("human", Y, None), r"human noise needs human_labels="),
    (lambda: S("human", Y, None, human_labels=Y[:9]),
     r"the human label set has 9 labels but the data set has 10 samples"),
    (lambda: S("human", Y, None, human_labels=Y + 5), r"human labels must lie in"),
    (lambda: effective_rate(np.ones((3, 3))), r"T must be a square row-stochastic matrix"),
    (lambda: effective_rate(np.eye(3), prior=[0.5, 0.5]), r"prior must be 3 non-negative class"),
    (lambda: realised_matrix(Y, Y[:5], 10), r"must have one length, got 10 and 5"),
])
def test_invalid_inputs_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()
