"""MixNN: each equation by hand, the Section 5 cases, the schedule, and runs through the engine."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from lnl import engine, gmm, provenance, runner
from lnl import knn as lnl_knn
from lnl.engine import Method, RunConfig, loop
from lnl.losses import one_hot
from lnl.methods.mixnn import (MixNN, MixNNConfig, average_weights, ema_targets, mixed_inputs, mixed_targets,
                               mixing_weights, neg_prob_loss, own_label_pull, random_partners, random_weights)
from tests.test_engine import comparable

DOG, CAT, FOX, MONKEY = range(4)           # the toy classes of Fig. 5


def e(c: int) -> torch.Tensor:
    return one_hot(torch.tensor([c]), 4)[0]


@pytest.fixture(autouse=True)
def one_thread():
    """The MLP is too small to gain from threads, and on a busy CPU their spin-waits cost ~20x."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def small(epochs: int = 3, seed: int = 0, **params) -> RunConfig:
    """Digits with the MLP on 40 images per class: warm-up 1, E_s 2, so every phase runs."""
    return RunConfig(method="mixnn", dataset="digits", noise="symmetric", rate=0.4, epochs=epochs,
                     batch_size=64, lr=0.05, seed=seed, device="cpu", train_per_class=40, test_per_class=20,
                     method_params={"warmup": 1, "e_s": 2, **params})


# --- eq. (10)-(11): the weights -------------------------------------------------------------------

def test_mixing_weights_by_hand():
    lam, beta = mixing_weights(torch.tensor([0.8, 0.2]), torch.tensor([[0.1, 0.1], [0.6, 0.2]]))
    assert lam.tolist() == pytest.approx([0.8, 0.2])
    assert beta.flatten().tolist() == pytest.approx([0.1, 0.1, 0.6, 0.2])
    lam, beta = mixing_weights(torch.tensor([0.3]), torch.tensor([[0.3, 0.6]]))   # denominator 1.2
    assert lam.item() == pytest.approx(0.25) and beta[0].tolist() == pytest.approx([0.25, 0.5])
    lam, beta = mixing_weights(torch.zeros(1), torch.zeros(1, 3))                 # all noisy: the average
    assert lam.item() == pytest.approx(0.25) and beta[0].tolist() == pytest.approx([0.25] * 3)


def test_a_clean_sample_among_noisy_neighbours_keeps_lambda_near_one():
    lam, beta = mixing_weights(torch.tensor([0.999]), torch.full((1, 4), 1e-4))
    assert lam.item() > 0.999 and beta.sum().item() < 1e-3
    lam, _ = mixing_weights(torch.tensor([1e-4]), torch.full((1, 4), 0.999))   # and the converse
    assert lam.item() < 1e-4


def test_weights_sum_to_one_for_every_scheme_and_k():
    w = torch.rand(64, generator=torch.Generator().manual_seed(0))
    for K in (1, 2, 5):
        for lam, beta in (mixing_weights(w, w.roll(1)[:, None].expand(64, K)), average_weights(64, K),
                          random_weights(64, K, np.random.default_rng(0))):
            assert beta.shape == (64, K) and torch.allclose(lam + beta.sum(dim=1), torch.ones(64))
            assert (lam >= 0).all() and (beta >= 0).all()
    assert average_weights(2, 3)[0].tolist() == pytest.approx([0.25, 0.25])
    lam, _ = random_weights(20000, 1, np.random.default_rng(1))                  # K = 1: λ ~ Beta(1, 1)
    assert lam.mean().item() == pytest.approx(0.5, abs=0.01) and lam.var().item() == pytest.approx(1 / 12, abs=0.005)


# --- eq. (4)-(5): the synthetic sample ------------------------------------------------------------

def test_mixed_inputs_and_labels_by_hand():
    x = torch.tensor([[[[1.0]]], [[[10.0]]]])                                    # [B=2, 1, 1, 1]
    x_nn = torch.tensor([[[[[2.0]]], [[[4.0]]]], [[[[0.0]]], [[[20.0]]]]])       # [B=2, K=2, 1, 1, 1]
    lam, beta = torch.tensor([0.5, 0.2]), torch.tensor([[0.25, 0.25], [0.4, 0.4]])
    assert mixed_inputs(x, x_nn, lam, beta).flatten().tolist() == pytest.approx([2.0, 10.0])
    t = torch.stack([e(DOG), 0.5 * e(CAT) + 0.5 * e(FOX)])
    t_nn = torch.stack([torch.stack([e(DOG), e(CAT)]), torch.stack([e(CAT), e(MONKEY)])])
    y = mixed_targets(t, t_nn, lam, beta)
    assert y[0].tolist() == pytest.approx([0.75, 0.25, 0, 0]) and y[1].tolist() == pytest.approx([0, 0.5, 0.1, 0.4])
    assert torch.allclose(y.sum(dim=1), torch.ones(2))


@pytest.mark.parametrize("case, own, other, w_own, w_other, expected", [
    ("1 clean-clean", DOG, DOG, 0.95, 0.9, DOG),      # same label: ỹ = ŷ whatever λ
    ("2 clean-wrong", DOG, CAT, 0.95, 0.05, DOG),     # the clean sample's label dominates
    ("3 wrong-clean", CAT, DOG, 0.05, 0.95, DOG),     # the clean neighbour's label dominates
    ("4 wrong-wrong", CAT, FOX, 0.05, 0.05, None),    # both wrong: neither is a dog
])
def test_the_four_cases_of_section_5(case, own, other, w_own, w_other, expected):
    """K = 1, a dog image and a neighbouring dog image, each with its clean probability."""
    lam, beta = mixing_weights(torch.tensor([w_own]), torch.tensor([[w_other]]))
    y = mixed_targets(e(own)[None], e(other)[None, None], lam, beta)[0]
    assert y.sum().item() == pytest.approx(1.0)
    if expected is None:
        assert y[DOG] == 0                                                  # case 4 needs corrected labels:
        t_own, t_other = 0.4 * e(CAT) + 0.6 * e(DOG), 0.3 * e(FOX) + 0.7 * e(DOG)  # t after eq. (14)
        y = mixed_targets(t_own[None], t_other[None, None], lam, beta)[0]
        expected = DOG
    assert y.argmax().item() == expected
    if case.startswith("1"):
        assert torch.allclose(y, e(DOG))


# --- eq. (14), the code's loss, random partners ---------------------------------------------------

def test_ema_targets_by_hand():
    t = torch.tensor([[1.0, 0.0, 0.0]])
    p = torch.tensor([[0.2, 0.5, 0.3]])
    t1 = ema_targets(t, p, 0.9)
    assert t1.tolist()[0] == pytest.approx([0.92, 0.05, 0.03])
    assert ema_targets(t1, p, 0.9).tolist()[0] == pytest.approx([0.848, 0.095, 0.057])
    assert torch.equal(ema_targets(t, p, 0.0), p)


def test_the_codes_negative_probability_loss_by_hand():
    logits = torch.log(torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]))
    y = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])
    assert neg_prob_loss(logits, y).item() == pytest.approx(-(0.7 + 0.45) / 2)


def test_own_label_pull_is_the_own_share_of_the_logit_gradient():
    """p̃ − ỹ = λ(p̃ − t) + β(p̃ − t̄): the pull of x_i's own label is minus its first term."""
    g = torch.Generator().manual_seed(0)
    B, C = 5, 4
    logits = torch.randn(B, C, generator=g, dtype=torch.float64, requires_grad=True)
    t, t_nn = torch.softmax(torch.randn(B, C, generator=g), -1), torch.softmax(torch.randn(B, 1, C, generator=g), -1)
    lam, beta = mixing_weights(torch.rand(B, generator=g), torch.rand(B, 1, generator=g))
    y_hat = torch.randint(0, C, (B,), generator=g)
    y_mix = mixed_targets(t.double(), t_nn.double(), lam.double(), beta.double())
    (-(y_mix * torch.log_softmax(logits, 1)).sum(1)).sum().backward()     # per-sample loss, summed
    own = own_label_pull(logits.detach(), t, lam, y_hat)
    other = beta[:, 0] * (t_nn[:, 0].gather(1, y_hat[:, None]).squeeze(1)
                          - torch.softmax(logits.detach(), 1).gather(1, y_hat[:, None]).squeeze(1).float())
    minus_grad = -logits.grad.gather(1, y_hat[:, None]).squeeze(1)
    assert torch.allclose((own + other).double(), minus_grad, atol=1e-6)
    # CE: λ = 1 and t = ŷ give 1 − p_ŷ
    p = torch.softmax(logits.detach(), 1).gather(1, y_hat[:, None]).squeeze(1)
    ce = own_label_pull(logits.detach(), one_hot(y_hat, C), torch.ones(B), y_hat)
    assert torch.allclose(ce.double(), 1 - p, atol=1e-6)


def test_random_partners_are_never_the_sample_itself():
    r = random_partners(7, 3, torch.Generator().manual_seed(0))
    assert r.shape == (7, 3) and (r >= 0).all() and (r < 7).all() and not (r == torch.arange(7)[:, None]).any()


# --- the schedule and the config --------------------------------------------------------------------

def configured(epochs: int = 300, **params) -> MixNN:
    """MixNN configured for a digits run of ``epochs`` (nothing trained); ``params`` as --param."""
    cfg = replace(small(epochs=epochs), method_params=params)
    return runner.setup(cfg).method


def test_phases_and_correction_epochs_follow_paper_and_code():
    paper = configured()                                          # warm-up 10, E_s 60 of 300 epochs
    assert (paper.warmup, paper.e_s, paper.t_every) == (10, 60, 1)
    assert [paper.stage(e) for e in (10, 11, 60, 61)] == ["warmup", "mixnn", "mixnn", "mixnn"]
    assert [paper.corrects(e) for e in (59, 60, 61)] == [False, True, True]
    code = configured(variant="code")
    assert code.t_every == 10
    assert [code.stage(e) for e in (10, 11, 60, 61)] == ["warmup", "mixup", "mixup", "mixnn"]
    assert [code.corrects(e) for e in (59, 60, 61, 70)] == [False, True, False, True]
    assert not configured(correction=False).corrects(60)


def test_every_setting_has_a_source():
    assert provenance.missing_sources(MixNN) == []
    assert MixNN.sources["warmup"].schedule == MixNN.sources["e_s"].schedule == 300      # §6.1's 300 epochs
    rows = {r["setting"]: r for r in provenance.defaults("mixnn", params={"variant": "code"})}
    assert rows["t_every"]["value"] == 10                         # 0: the variant's, as the method uses it


def test_a_short_run_keeps_the_papers_share_of_warmup_and_e_s():
    """Issue 22: in a 20-epoch run the paper's warm-up 10 and E_s 60 (of 300 epochs) never started
    label correction; the defaults now resolve to the paper's share, 1 and 4."""
    su = runner.setup(replace(small(epochs=20), method_params={}))
    assert (su.method.warmup, su.method.e_s) == (1, 4)
    assert su.method.phases(su.ctx) == {"mixing with neighbours (after the warm-up)": 2,
                                        "label correction (E_s = 4)": 4}
    assert loop.phase_warnings(su) == []
    given = runner.setup(replace(small(epochs=20), method_params={"warmup": 10, "e_s": 60}))
    assert (given.method.warmup, given.method.e_s) == (10, 60) and given.ctx.resolved_phases == {}
    assert [w for w in loop.phase_warnings(given) if "E_s = 60" in w and "never runs" in w]   # kept, and said


def test_the_record_says_what_the_defaults_resolved_to(tmp_path):
    cfg = replace(small(epochs=20), method_params={}, diagnostics=False)
    rec = runner.run(cfg, out=tmp_path)
    resolved = rec["phases_resolved"]
    assert {k: (v["default"], v["paper_schedule"], v["epochs"]) for k, v in resolved.items()} == {
        "warmup": (10, 300, 1), "e_s": (60, 300, 4)}
    assert "--param" in resolved["e_s"]["why"] and "warnings" not in rec
    assert "lam_mean" in rec["history"][1] and "lam_mean" not in rec["history"][0]   # mixing from epoch 2
    kept = runner.run(replace(cfg, epochs=3, method_params={"warmup": 1, "e_s": 2}), out=tmp_path)
    assert "phases_resolved" not in kept                          # given values: nothing to resolve


@pytest.mark.parametrize("params, match", [
    ({"weights": "mean"}, "gmm, avg, rdm"), ({"partners": "all"}, "knn, random"), ({"K": 0}, "K must be"),
    ({"alpha": 1.0}, "alpha"), ({"neg_prob_loss": True}, "variant='code'"), ({"knn_backend": "faiss"}, "auto"),
])
def test_bad_settings_are_refused_in_one_sentence(params, match):
    with pytest.raises(ValueError, match=match):
        runner.validate(small(**params))


# --- through the engine -----------------------------------------------------------------------------

def test_same_seed_gives_an_identical_record(tmp_path):
    a = runner.run(small(), out=tmp_path / "a")
    b = runner.run(small(), out=tmp_path / "b")
    assert comparable(a) == comparable(b)
    assert runner.run(small(seed=1), out=tmp_path / "c")["history"] != a["history"]
    h = a["history"][-1]
    for key in ("lam_mean", "w_mean", "nn_same_label", "t_relabelled"):
        assert key in h
    assert "lam_mean" not in a["history"][0]                      # epoch 1 is the warm-up


def test_a_killed_run_resumes_to_the_identical_record(tmp_path):
    cfg = small(epochs=4, gmm_window=2)                           # t and the loss window are checkpointed
    whole = runner.run(cfg, out=tmp_path / "whole")
    assert runner.run(cfg, out=tmp_path / "cut", stop_after=2) == {}
    assert comparable(runner.run(cfg, out=tmp_path / "cut", resume=True)) == comparable(whole)


@pytest.mark.parametrize("params", [
    {"weights": "avg"}, {"weights": "rdm", "K": 2}, {"partners": "random"}, {"correction": False},
    {"K": 3}, {"knn_backend": "hnsw"},
    {"variant": "code", "t_every": 1}, {"variant": "code", "e_s": 3, "neg_prob_loss": True, "K": 2},
    {"variant": "code", "partners": "random", "weights": "rdm"},
])
def test_every_switch_runs(params, tmp_path):
    if params.get("knn_backend") == "hnsw":
        pytest.importorskip("hnswlib")
    cfg = small(epochs=4 if params.get("e_s") == 3 else 3, **params)
    rec = runner.run(replace(cfg, diagnostics=False), out=tmp_path)
    assert all(np.isfinite(h["train_loss"]) for h in rec["history"])
    assert rec["method_config"]["weights"] == params.get("weights", "gmm")


def test_gmm_and_knn_run_once_per_epoch_and_t_follows_eq_14(tmp_path, monkeypatch):
    calls = {"knn": 0, "gmm": 0}
    made = []

    def count(name, fn):
        def wrapped(*a, **kw):
            calls[name] += 1
            return fn(*a, **kw)
        return wrapped

    monkeypatch.setattr(lnl_knn, "knn", count("knn", lnl_knn.knn))
    monkeypatch.setattr(gmm, "clean_probability", count("gmm", gmm.clean_probability))
    monkeypatch.setattr(MixNN, "__init__", lambda self, cfg: (Method.__init__(self, cfg), made.append(self))[0])
    cfg = small(epochs=3, alpha=0.9, e_s=3)                       # warm-up, mix, mix + one t update
    runner.run(cfg, out=tmp_path)
    assert calls == {"knn": 2, "gmm": 2}                          # epochs 2 and 3, not per batch
    t, given = made[0].t, torch.tensor(engine.prepare(cfg).labels)
    rest = t - 0.9 * one_hot(given, 10)                           # one update: t = α ŷ + (1 − α) p
    assert (rest >= -1e-6).all() and torch.allclose(rest.sum(dim=1), torch.full((len(t),), 0.1))
