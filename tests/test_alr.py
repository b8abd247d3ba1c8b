"""ALR: the target update (both timings), the loss by hand, the gradient against autograd and finite
differences, Theorem 1's properties, LR as entropy_weight = 0, determinism and resume."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from lnl import provenance, runner
from lnl.engine import RunConfig
from lnl.methods.alr import (ALR, alr_gradient, alr_loss, entropy_gradient, given_label_pull, hardening,
                             refine_targets, theorem1_loss)

from .test_engine import comparable


def small(**kw) -> RunConfig:
    params = kw.pop("method_params", {})
    base = dict(method="alr", dataset="digits", noise="symmetric", rate=0.4, epochs=4, batch_size=64, lr=0.05,
                seed=0, device="cpu", method_params={"warmup": 1, "alpha": 0.7, **params})
    return RunConfig(**{**base, **kw})


def test_target_update_by_hand():
    t = torch.tensor([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    p = torch.tensor([[0.2, 0.7, 0.1], [0.0, 0.0, 1.0]])
    want = torch.tensor([[0.9 * 1 + 0.1 * 0.2, 0.07, 0.01], [0.45, 0.45, 0.1]])
    assert torch.allclose(refine_targets(t, p, 0.9), want)
    assert torch.allclose(refine_targets(t, p, 0.9).sum(1), torch.ones(2))   # stays a distribution


def test_loss_by_hand():
    # z = (log 2, 0, 0): p = (1/2, 1/4, 1/4); t = (0.6, 0.4, 0); H(p) = 1.5 log 2
    z = torch.tensor([[math.log(2.0), 0.0, 0.0]])
    t = torch.tensor([[0.6, 0.4, 0.0]])
    ce = -(0.6 * math.log(0.5) + 0.4 * math.log(0.25))
    H = 1.5 * math.log(2.0)
    assert float(alr_loss(z, t, 0.0)) == pytest.approx(ce)                 # LR: soft-label CE alone
    assert float(alr_loss(z, t, 0.1)) == pytest.approx(ce + 0.1 * H)
    assert float(theorem1_loss(z, t)) == pytest.approx(ce + H)             # the fragment is λ = 1
    assert torch.allclose(theorem1_loss(z, t), alr_loss(z, t, 1.0))


def test_gradient_matches_autograd_and_finite_differences():
    torch.manual_seed(0)
    z = (torch.randn(8, 10, dtype=torch.float64) * 3).requires_grad_()
    t = torch.softmax(torch.randn(8, 10, dtype=torch.float64) * 2, 1)
    for lam in (0.0, 0.1, 0.7):
        (auto,) = torch.autograd.grad(alr_loss(z, t, lam).sum(), z)
        assert torch.allclose(auto, alr_gradient(z.detach(), t, lam).double(), atol=1e-6)
    f = lambda zz: alr_loss(zz, t, 0.3).sum().double()  # noqa: E731
    (auto,) = torch.autograd.grad(f(z), z)
    eps, zd = 1e-6, z.detach()
    for i, c in [(0, 0), (3, 7), (7, 2)]:
        dz = torch.zeros_like(zd)
        dz[i, c] = eps
        fd = (f(zd + dz) - f(zd - dz)) / (2 * eps)
        assert float(fd) == pytest.approx(float(auto[i, c]), rel=1e-4, abs=1e-7)


def test_entropy_part_raises_the_argmax_and_vanishes_at_both_ends():
    torch.manual_seed(1)
    z = torch.randn(500, 10) * 4
    g = -entropy_gradient(z)                                   # the descent direction of H
    assert (g.gather(1, z.argmax(1, keepdim=True)) >= -1e-7).all()   # the arg-max logit always rises
    assert torch.allclose(g.sum(1), torch.zeros(500), atol=1e-5)     # softmax is shift-invariant
    assert float(hardening(torch.zeros(1, 10))) == pytest.approx(0.0, abs=1e-7)          # uniform
    assert float(hardening(torch.tensor([[60.0] + [0.0] * 9]))) == pytest.approx(0.0, abs=1e-6)  # one-hot
    margins = torch.linspace(0, 12, 61)
    h = hardening(torch.cat([margins[:, None], torch.zeros(61, 9)], 1))
    top = int(h.argmax())
    assert 0 < top < 60 and h[top] > 0.1                      # largest in between, a single peak
    assert (h[1:top + 1] >= h[:top]).all() and (h[top + 1:] <= h[top:-1]).all()


def test_given_label_pull_is_ce_in_phase_one():
    z = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
    y = torch.tensor([0, 2])
    t = F.one_hot(y, 3).float()
    pull, ent = given_label_pull(z, t, y, 0.0)
    assert torch.allclose(pull, 1 - torch.softmax(z, 1).gather(1, y[:, None]).squeeze(1))
    assert ent[0] > 0 and ent[1] < 0        # hardening helps the predicted label, hurts the other one


def test_entropy_weight_zero_is_label_refurbishment(tmp_path):
    """LR and ALR differ only by the entropy term: with λ = 0 the same step gives LR's gradient."""
    torch.manual_seed(0)
    z = torch.randn(5, 4, requires_grad=True)
    t = torch.softmax(torch.randn(5, 4), 1)
    (g0,) = torch.autograd.grad(alr_loss(z, t, 0.0).mean(), z)
    (g_lr,) = torch.autograd.grad(-(t * F.log_softmax(z, 1)).sum(1).mean(), z)
    assert torch.allclose(g0, g_lr)
    lr, alr = (runner.run(small(method_params={"entropy_weight": w}), out=tmp_path / str(w)) for w in (0.0, 0.1))
    # the warm-up epoch has no entropy term: identical; phase 2 differs
    assert lr["history"][0]["test_acc"] == alr["history"][0]["test_acc"]
    assert lr["history"][-1]["train_loss"] != alr["history"][-1]["train_loss"]


@pytest.mark.parametrize("update", ["epoch", "batch"])
def test_run_updates_targets_and_resumes(tmp_path, update):
    cfg = small(method_params={"update": update, "trace": 16})
    whole = runner.run(cfg, out=tmp_path / "whole", keep_state=True)
    last = whole["history"][-1]
    assert {"entropy", "grad_coef_clean", "entropy_pull_noisy", "target_given_auroc", "t_relabelled"} <= set(last)
    assert last["target_given_auroc"] > 0.8 and last["target_given_clean"] > last["target_given_noisy"]
    assert whole["history"][0]["target_given_auroc"] == pytest.approx(0.5)     # warm-up: t = onehot(ỹ)
    r = runner.restore(tmp_path / "whole" / f"{whole['run_id']}.json")
    assert torch.allclose(r.method.t.sum(1), torch.ones(len(r.method.t)), atol=1e-5)
    trace = r.method.trace                                   # [epochs, 16, C]
    assert trace.shape[:2] == (4, 16) and torch.equal(trace[-1], r.method.t[:16])
    assert torch.equal(trace[0], F.one_hot(r.ctx.labels[:16], 10).float())   # phase 1 keeps the labels
    assert not torch.equal(trace[1], trace[0])
    runner.run(cfg, out=tmp_path / "cut", stop_after=2, keep_state=True)
    assert comparable(runner.run(cfg, out=tmp_path / "cut", resume=True, keep_state=True)) == comparable(whole)
    cut = runner.restore(tmp_path / "cut" / f"{whole['run_id']}.json")
    assert torch.equal(cut.method.t, r.method.t) and torch.equal(cut.method.trace, trace)


def test_same_seed_same_record(tmp_path):
    a = runner.run(small(), out=tmp_path / "a")
    b = runner.run(small(), out=tmp_path / "b")
    assert comparable(a) == comparable(b)


def test_epoch_update_uses_the_prediction_at_the_start_of_the_epoch(tmp_path):
    """update="epoch": after epoch 2 (the first of phase 2), t = α onehot(ỹ) + (1 − α) p, with p the
    eval-mode prediction of the network after epoch 1 (kept here by a one-epoch twin run)."""
    cfg = small(epochs=2, method_params={"trace": 8})
    rec = runner.run(cfg, out=tmp_path / "two", keep_state=True)
    first = runner.run(small(epochs=2, method_params={"trace": 8}), out=tmp_path / "one", stop_after=1)
    assert first == {}
    ckpt = torch.load(tmp_path / "one" / f"{rec['run_id']}.ckpt", weights_only=False)
    su = runner.setup(cfg)
    su.method.load_state_dict(ckpt["method"])
    su.method.eval()
    with torch.no_grad():
        p = torch.softmax(su.method.net(su.ctx.data.batch(torch.arange(8))), 1)
    r = runner.restore(tmp_path / "two" / f"{rec['run_id']}.json")
    want = 0.7 * F.one_hot(r.ctx.labels[:8], 10).float() + 0.3 * p
    assert torch.allclose(r.method.t[:8], want, atol=1e-5)


def test_bad_settings_get_one_sentence():
    with pytest.raises(ValueError, match="ALR update must be one of"):
        ALR.make_config({"update": "step"})
    with pytest.raises(ValueError, match="ALR needs"):
        ALR.make_config({"alpha": "1.0"})
    with pytest.raises(ValueError, match="ALR warmup"):
        ALR.make_config({"warmup": "1.5"})


def test_every_setting_has_a_source():
    """ALR's settings are reconstructed, each saying what was lost and how it was recovered."""
    assert provenance.missing_sources(ALR) == []
    kinds = {name: s.kind for name, s in ALR.sources.items()}
    assert {kinds[k] for k in ("warmup", "alpha", "entropy_weight", "update")} == {"reconstructed"}
    assert all(s.schedule is None for s in ALR.sources.values())   # no epoch count of a paper's schedule


@pytest.mark.parametrize("epochs, warmup", [(20, 4), (12, 2), (200, 40)])
def test_phase_one_is_a_share_of_a_run_of_any_length(epochs, warmup):
    """The default warm-up is 0.2 of the run (SELC's 40 of 200), so phase 2 starts in any run."""
    su = runner.setup(small(epochs=epochs, method_params={"warmup": 0.2}))
    default = runner.setup(replace(small(epochs=epochs), method_params={}))
    for s in (su, default):
        assert s.method.warmup == warmup and s.ctx.resolved_phases == {}
        assert s.method.phases(s.ctx) == {f"label refinement (after {warmup} warm-up epochs)": warmup + 1}
    given = runner.setup(small(epochs=epochs, method_params={"warmup": 3}))
    assert given.method.warmup == 3
