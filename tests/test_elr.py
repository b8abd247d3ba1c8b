"""ELR: the target EMA, the regulariser and its gradient, presets, per-sample scores, resume."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lnl import provenance, runner
from lnl.engine import RunConfig, Schedule
from lnl.methods.elr import (ELR, PRESETS, clamped_probabilities, elr_gradient, elr_regulariser,
                             ema_targets)

from .test_engine import comparable


def small(**kw) -> RunConfig:
    base = dict(method="elr", dataset="digits", noise="symmetric", rate=0.4, epochs=3, batch_size=64, lr=0.05,
                seed=0, device="cpu")
    return RunConfig(**{**base, **kw})


def test_target_ema_by_hand():
    t = torch.tensor([[0.0, 0.0, 0.0], [0.5, 0.25, 0.25]])
    p = torch.tensor([[0.5, 0.3, 0.2], [0.2, 0.2, 0.4]])           # second row sums to 0.8: renormalised
    want = torch.tensor([[0.15, 0.09, 0.06], [0.35 + 0.075, 0.175 + 0.075, 0.175 + 0.15]])
    assert torch.allclose(ema_targets(t, p, 0.7), want)


def test_regulariser_by_hand_and_the_clamp():
    p = torch.tensor([[0.5, 0.5]])
    t = torch.tensor([[1.0, 0.0]])
    assert float(elr_regulariser(p, t)) == pytest.approx(torch.log(torch.tensor(0.5)).item())
    q = clamped_probabilities(torch.tensor([[30.0, 0.0, 0.0]]))
    assert q.min() == pytest.approx(1e-4) and q.max() == pytest.approx(1 - 1e-4)


def test_gradient_matches_lemma_and_finite_differences():
    torch.manual_seed(0)
    z = torch.randn(6, 10, dtype=torch.float64, requires_grad=True)
    t = torch.softmax(torch.randn(6, 10, dtype=torch.float64) * 2, 1)
    reg = elr_regulariser(torch.softmax(z, 1), t).sum()
    (auto,) = torch.autograd.grad(reg, z)
    assert torch.allclose(auto, elr_gradient(z.detach(), t).to(torch.float64), atol=1e-6)
    eps, zd = 1e-6, z.detach()
    for i, c in [(0, 0), (3, 7), (5, 2)]:
        dz = torch.zeros_like(zd)
        dz[i, c] = eps
        reg_at = lambda zz: elr_regulariser(torch.softmax(zz, 1), t).sum()  # noqa: E731
        fd = (reg_at(zd + dz) - reg_at(zd - dz)) / (2 * eps)
        assert float(fd) == pytest.approx(float(auto[i, c]), rel=1e-5, abs=1e-8)
    # the training loss: CE + λ · mean reg, whose gradient is the CE gradient plus λ/B times the lemma's
    m = ELR(ELR.Config(beta=0.7, lam=3.0))
    y = torch.tensor([1, 2, 3, 4, 5, 6])
    loss = F.cross_entropy(z, y) + m.config.lam * elr_regulariser(torch.softmax(z, 1), t).mean()
    (g,) = torch.autograd.grad(loss, z)
    want = (torch.softmax(z, 1) - F.one_hot(y, 10)) / 6 + 3.0 / 6 * elr_gradient(z.detach(), t)
    assert torch.allclose(g, want.detach(), atol=1e-6)


def test_a_mislabelled_sample_whose_target_is_the_true_class_is_pulled_back():
    z = torch.tensor([[2.0, 0.0, 0.0]])             # the network predicts class 0 (the true class)
    t = torch.tensor([[0.9, 0.05, 0.05]])           # and so does the early-learning target
    ce = torch.softmax(z, 1) - F.one_hot(torch.tensor([1]), 3)   # the given label is 1
    total = ce + 3.0 * elr_gradient(z, t)
    assert total[0, 0] < ce[0, 0]                   # gradient descent raises z_0 more with ELR


def test_run_logs_the_target_score_and_resumes(tmp_path):
    cfg = small()
    whole = runner.run(cfg, out=tmp_path / "whole")
    last = whole["history"][-1]
    assert {"ce", "elr_reg", "target_given_clean", "target_given_noisy", "target_given_auroc"} <= set(last)
    assert last["target_given_auroc"] > 0.9 and last["target_given_clean"] > last["target_given_noisy"]
    assert "target_given_precision" not in last
    runner.run(cfg, out=tmp_path / "cut", stop_after=2)
    assert comparable(runner.run(cfg, out=tmp_path / "cut", resume=True)) == comparable(whole)


def test_presets_are_the_official_configs():
    assert PRESETS["cifar10"]["method_params"] == {"beta": 0.7, "lam": 3.0}
    assert PRESETS["cifar100"]["method_params"] == {"beta": 0.9, "lam": 7.0}
    # config_cifar10_asym.json: β 0.9, λ 1, ×0.01 at epochs 40 and 80, 120 epochs; the rest as config_cifar10.json
    asym = PRESETS["cifar10-asym"]
    assert asym["method_params"] == {"beta": 0.9, "lam": 1.0} and asym["epochs"] == 120
    assert asym["schedule"] == Schedule("multistep", milestones=(40, 80), gamma=0.01)
    shared = ("model", "optimizer", "lr", "momentum", "weight_decay", "batch_size")
    assert {k: asym[k] for k in shared} == {k: PRESETS["cifar10"][k] for k in shared} == \
        dict(model="resnet34", optimizer="sgd", lr=0.02, momentum=0.9, weight_decay=1e-3, batch_size=128)
    assert PRESETS["cifar10"]["schedule"].kind == "cosine-restarts"        # config_cifar10.json alone
    assert [p["schedule"].kind for k, p in PRESETS.items() if k != "cifar10"] == ["multistep", "multistep"]
    for p in PRESETS.values():
        runner.validate(RunConfig(method="elr", dataset="cifar10", **p))
    with pytest.raises(ValueError, match="ELR needs"):
        ELR.make_config({"beta": "1"})


@pytest.mark.parametrize("method", ["ce", "mixup", "coteaching", "elr"])
def test_every_setting_has_a_source(method):
    from lnl.methods import METHODS

    assert provenance.missing_sources(METHODS[method]) == []
    assert all(r["kind"] != "MISSING" for p in [None, *METHODS[method].presets]
               for r in provenance.defaults(method, p))
