"""The shared clean-probability module on synthetic losses with a known separation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lnl import gmm


def synthetic_losses(n_clean: int, n_noisy: int, gap: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    losses = np.concatenate([rng.normal(1.0, 0.3, n_clean), rng.normal(1.0 + gap, 0.3, n_noisy)])
    is_clean = np.r_[np.ones(n_clean, bool), np.zeros(n_noisy, bool)]
    return np.abs(losses), is_clean


def test_well_separated_losses_are_split_almost_perfectly():
    losses, is_clean = synthetic_losses(6000, 4000, gap=2.0)
    p = gmm.clean_probability(losses)
    m = gmm.detection_metrics(p, is_clean)
    assert m["auroc"] > 0.99 and m["precision"] > 0.98 and m["recall"] > 0.98
    assert m["selected"] == pytest.approx(0.6, abs=0.02)
    assert p[is_clean].mean() > 0.95 and p[~is_clean].mean() < 0.05


def test_separation_degrades_with_overlap():
    aurocs = [gmm.detection_metrics(gmm.clean_probability(l), c)["auroc"]
              for l, c in (synthetic_losses(3000, 3000, gap) for gap in (2.0, 0.6, 0.2))]
    assert aurocs[0] > aurocs[1] > aurocs[2] > 0.5


def test_clean_component_is_the_one_with_the_smaller_mean():
    losses, is_clean = synthetic_losses(2000, 8000, gap=2.0)   # mislabelled majority
    p = gmm.clean_probability(losses)
    assert p[is_clean].mean() > 0.9                           # not "the bigger component"


def test_normalise_and_degenerate_inputs():
    assert gmm.normalise(np.array([2.0, 4.0, 3.0])).tolist() == [0.0, 1.0, 0.5]
    assert gmm.normalise(np.array([5.0, 5.0])).tolist() == [0.0, 0.0]
    assert gmm.clean_probability(np.array([1.0, 1.0, 1.0])).tolist() == [1.0, 1.0, 1.0]


def test_detection_metrics_by_hand():
    p = np.array([0.9, 0.8, 0.3, 0.7, 0.1])
    clean = np.array([True, True, True, False, False])
    m = gmm.detection_metrics(p, clean)
    # selected {0, 1, 3}: tp = 2, precision 2/3, recall 2/3; AUROC: pairs (clean > noisy) 5 of 6
    assert m["precision"] == pytest.approx(2 / 3) and m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3) and m["auroc"] == pytest.approx(5 / 6)
    assert np.isnan(gmm.detection_metrics(p, np.ones(5, bool))["auroc"])


def test_per_sample_loss_hard_and_soft_targets_agree():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    hard = gmm.per_sample_loss(logits, torch.tensor([0, 2]))
    soft = gmm.per_sample_loss(logits, torch.eye(3)[[0, 2]])
    expected = torch.tensor([-torch.log_softmax(logits[0], 0)[0].item(), np.log(3.0)], dtype=torch.float32)
    assert torch.allclose(hard, expected) and torch.allclose(soft, expected)


def test_same_seed_same_probabilities():
    losses, _ = synthetic_losses(500, 500, gap=1.0)
    assert np.array_equal(gmm.clean_probability(losses, seed=1), gmm.clean_probability(losses, seed=1))


def test_auroc_by_epoch_scores_each_epoch_separately():
    """Epoch 1: the clean samples have the small losses (AUROC 1); epoch 2: the mislabelled ones (0)."""
    from lnl.gmm import auroc_by_epoch

    rng = np.random.default_rng(0)
    is_clean = np.arange(200) < 150
    small, large = rng.uniform(0.0, 0.2, 200), rng.uniform(2.0, 3.0, 200)
    losses = np.stack([np.where(is_clean, small, large), np.where(is_clean, large, small)]).astype(np.float16)
    np.testing.assert_allclose(auroc_by_epoch(losses, is_clean, seed=0), [1.0, 0.0])
