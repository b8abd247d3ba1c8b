"""IEG: each equation by hand, the look-ahead as the optimiser's exact momentum update, the
meta-gradient against finite differences (both ways of computing it), BatchNorm statistics untouched
by the look-ahead, ω* = 0 for a sample that opposes the probe, Cutout on x̂, the probe set, the
ablation switches, every setting's source, determinism and resume."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lnl import engine, provenance, runner
from lnl.engine import RunConfig
from lnl.losses import one_hot
from lnl.methods.ieg import escalation, meta
from lnl.methods.ieg import (ABLATIONS, IEG, consistency_loss, cutout_views, logit_norm, lookahead, meta_step,
                             meta_step_jvp, mixup_coefficients, normalise_weights, pseudo_labels, relabel_target,
                             sharpen, supervised_losses, weighted_loss)

from .test_engine import comparable


def small(**kw) -> RunConfig:
    params = kw.pop("method_params", {})
    base = dict(method="ieg", dataset="digits", noise="symmetric-uniform", rate=0.6, epochs=3, batch_size=64,
                lr=0.05, seed=0, device="cpu", probe_per_class=3, method_params=params)
    return RunConfig(**{**base, **kw})


# ----------------------------------------------------------------------------------------------
# Equations by hand
# ----------------------------------------------------------------------------------------------

def test_sharpen_and_pseudo_labels_by_hand():
    p = torch.tensor([[0.6, 0.3, 0.1]])
    # τ = 0.5: squares, renormalised: (0.36, 0.09, 0.01) / 0.46
    assert torch.allclose(sharpen(p, 0.5), torch.tensor([[0.36, 0.09, 0.01]]) / 0.46)
    assert torch.allclose(sharpen(p, 1.0), p)
    # g: the mean of the views' softmax, then sharpened (§2.2.1); K = 2
    z1 = torch.log(torch.tensor([[0.5, 0.5, 1e-9]]))
    z2 = torch.log(torch.tensor([[0.9, 0.1, 1e-9]]))
    mean = torch.tensor([[0.7, 0.3, 0.0]])
    assert torch.allclose(pseudo_labels([z1, z2], 0.5), sharpen(mean, 0.5), atol=1e-6)
    g = pseudo_labels([z1, z2], 0.5)
    assert not g.requires_grad and torch.allclose(g.sum(1), torch.ones(1))


def test_logit_norm_uses_the_whole_chunk():
    z = torch.tensor([[3.0, 0.0], [0.0, 1.0]])                     # mean of squares (9 + 1)/4 = 2.5
    assert torch.allclose(logit_norm(z), z / math.sqrt(2.5 + 1e-8))
    assert float(logit_norm(z).pow(2).mean()) == pytest.approx(1.0, abs=1e-6)


def test_relabel_target_and_the_weighted_loss_by_hand():
    y = torch.tensor([[1.0, 0.0]])
    g = torch.tensor([[0.2, 0.8]])
    assert torch.allclose(relabel_target(y, g, torch.tensor([0.9])), torch.tensor([[0.92, 0.08]]))
    assert torch.allclose(relabel_target(y, g, torch.tensor([0.0])), g)
    z = torch.tensor([[math.log(3.0), 0.0], [0.0, 0.0]])           # p = (3/4, 1/4) and (1/2, 1/2)
    y2, g2 = torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[0.5, 0.5], [1.0, 0.0]])
    omega, lam = torch.tensor([0.25, 0.75]), torch.tensor([1.0, 0.5])
    # sample 0: P = y = (1, 0): −log 3/4; sample 1: P = (0.5, 0.5): −log 1/2
    want = 0.25 * -math.log(0.75) + 0.75 * -math.log(0.5)
    assert float(weighted_loss(z, y2, g2, omega, lam)) == pytest.approx(want)


def test_supervised_losses_eq5_by_hand():
    z = torch.tensor([[math.log(3.0), 0.0], [0.0, 0.0]])           # p = (3/4, 1/4), (1/2, 1/2)
    y = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    g = torch.tensor([[0.0, 1.0], [0.0, 1.0]])
    omega_star, lam_star = torch.tensor([1.0, 0.0]), torch.tensor([1.0, 0.0])
    L_omega, L_lam = supervised_losses(z, y, g, omega_star, lam_star, lambda0=0.9)
    # L_ω* = 1 · CE(P(0.9) = (0.9, 0.1), p_0)
    assert float(L_omega) == pytest.approx(-(0.9 * math.log(0.75) + 0.1 * math.log(0.25)))
    # L_λ*: sample 0 keeps y (−log 3/4), sample 1 takes g (−log 1/2); mean over B = 2
    assert float(L_lam) == pytest.approx((-math.log(0.75) - math.log(0.5)) / 2)


def test_consistency_is_kl_with_the_plain_view_fixed():
    z = torch.tensor([[math.log(3.0), 0.0]], requires_grad=True)    # p = (3/4, 1/4)
    z_hat = torch.tensor([[0.0, 0.0]], requires_grad=True)          # q = (1/2, 1/2)
    kl = consistency_loss(z, z_hat)
    assert kl.item() == pytest.approx(0.75 * math.log(1.5) + 0.25 * math.log(0.5))
    kl.backward()
    assert z.grad is None or torch.all(z.grad == 0)                  # stop-gradient on Φ(x)
    assert torch.allclose(z_hat.grad, torch.tensor([[0.5 - 0.75, 0.5 - 0.25]]))   # q − p


def test_weights_are_normalised_as_l2r_and_as_the_code():
    w = torch.tensor([0.0, 1.0, 3.0])
    assert torch.allclose(normalise_weights(w), torch.tensor([0.0, 0.25, 0.75]))
    assert torch.equal(normalise_weights(torch.zeros(3)), torch.zeros(3))     # no sample helps: all zero
    assert torch.allclose(normalise_weights(w, 1e-5), w / (4 + 1e-5))


def test_mixup_coefficients_of_both_forms():
    rng = np.random.default_rng(0)
    code = mixup_coefficients(10_000, 0.5, "code", rng)
    assert float(code.min()) >= 0.5 and float(code.max()) <= 1.0
    assert float(code.mean()) == pytest.approx(1 - 1 / 6, abs=0.01)           # E[1 − U²/2] = 5/6
    beta = mixup_coefficients(10_000, 0.5, "beta", rng)
    assert float(beta.mean()) == pytest.approx(0.5, abs=0.02)
    assert float(beta.var()) == pytest.approx(0.125, abs=0.01)                 # Beta(½, ½): 1/8
    assert float(beta.min()) < 0.1                                             # both sides of 1/2


def test_lookahead_sgd_and_momentum_by_hand():
    theta = {"w": torch.tensor([1.0, 2.0])}
    grad = [torch.tensor([0.5, -1.0])]
    assert torch.allclose(lookahead(theta, grad, 0.1)["w"], torch.tensor([0.95, 2.1]))
    v = [torch.tensor([1.0, 1.0])]
    # Θ − η (μ v + ∇ + wd Θ) = (1, 2) − 0.1 ((0.9, 0.9) + (0.5, −1) + (0.01, 0.02))
    out = lookahead(theta, grad, 0.1, momentum=0.9, buffers=v, weight_decay=0.01)["w"]
    assert torch.allclose(out, torch.tensor([1 - 0.1 * 1.41, 2 - 0.1 * -0.08]))
    assert torch.allclose(lookahead(theta, grad, 0.1, momentum=0.9, buffers=[None])["w"],
                          lookahead(theta, grad, 0.1)["w"])                   # first step: no buffer yet


def _linear_after_one_step(config: dict, lr: float = 0.1, momentum: float = 0.9, weight_decay: float = 0.0):
    """An IEG whose network is w·x (w = (1, 2), no bias) with loss w·x, so that ∇ = x = (0.5, −1) at
    every step, after one real step of its SGD optimiser: w₁ = w − lr (x + wd w), v = x + wd w."""
    net = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        net.weight.copy_(torch.tensor([[1.0, 2.0]]))
    m = IEG(IEG.make_config(config))
    m.net, m.opt = net, torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    x = torch.tensor([[0.5, -1.0]])
    net(x).sum().backward()
    m.opt.step()
    m.opt.zero_grad()
    params = dict(net.named_parameters())
    return m, params, list(torch.autograd.grad(net(x).sum(), list(params.values())))


def test_the_default_look_ahead_is_the_exact_momentum_update_by_hand():
    """§2.1: "the exact momentum update using momentum value of the SGD optimizer". After one step
    w₁ = (1, 2) − 0.1 (0.5, −1) = (0.95, 2.1) and v = (0.5, −1), so Θ' = w₁ − η (μ v + ∇) =
    (0.95, 2.1) − 0.1 · 1.9 · (0.5, −1) = (0.855, 2.29); §2.1's formula, w₁ − η ∇, gives (0.9, 2.2)."""
    m, params, grads = _linear_after_one_step({})
    kw = m.lookahead_settings(params)
    assert kw["lr"] == 0.1 and kw["momentum"] == 0.9 and kw["weight_decay"] == 0.0
    out = lookahead(params, grads, **kw)["weight"]
    assert torch.allclose(out, torch.tensor([[0.855, 2.29]]))
    assert not torch.allclose(out, torch.tensor([[0.9, 2.2]]))           # θ − ηg: not the default
    m, params, grads = _linear_after_one_step({"lookahead": "sgd"})       # the formula, an option
    kw = m.lookahead_settings(params)
    assert kw["momentum"] == 0.0 and kw["buffers"] is None
    assert torch.allclose(lookahead(params, grads, **kw)["weight"], torch.tensor([[0.9, 2.2]]))


@pytest.mark.parametrize("wd", [0.0, 0.01])
def test_the_default_look_ahead_is_the_optimisers_own_next_step(wd):
    """Θ' equals the parameters the optimiser's next step would give with the same gradient, at its
    scheduled LR (here lowered after the first step) and with its weight decay."""
    m, params, grads = _linear_after_one_step({}, lr=0.1, momentum=0.9, weight_decay=wd)
    m.opt.param_groups[0]["lr"] = 0.03                                  # the schedule moved the LR
    out = lookahead(params, grads, **m.lookahead_settings(params))["weight"].detach()
    params["weight"].grad = grads[0].clone()
    m.opt.step()
    assert torch.allclose(out, params["weight"].detach())


def test_the_code_variant_looks_ahead_at_a_fixed_step_and_momentum():
    m, params, grads = _linear_after_one_step({"variant": "code"}, lr=0.02, momentum=0.5)
    kw = m.lookahead_settings(params)
    assert kw["lr"] == 0.1 and kw["momentum"] == 0.9                     # meta_stepsize, meta_momentum
    assert kw["buffers"][0] is m.opt.state[params["weight"]]["momentum_buffer"]


def test_a_run_looks_ahead_with_the_optimisers_momentum_and_buffers(monkeypatch, tmp_path):
    seen = []
    real = meta.lookahead

    def spy(params, grads, lr, **kw):
        seen.append((lr, kw["momentum"], kw["buffers"] is not None and all(v is not None for v in kw["buffers"])))
        return real(params, grads, lr, **kw)

    monkeypatch.setattr(meta, "lookahead", spy)
    runner.run(small(epochs=1), out=tmp_path)
    assert len(seen) > 2 and all(mu == 0.9 and 0 < lr <= 0.05 + 1e-9 for lr, mu, _ in seen)
    assert not seen[0][2] and all(has for _, _, has in seen[1:])         # buffers from the second step on


def test_cutout_views_cut_one_square_of_the_share_of_the_side():
    x = torch.randn(16, 1, 8, 8) + 10                                   # no pixel is 0 before the cut
    out = cutout_views([x], 0.5, torch.Generator().manual_seed(0))[0]
    area = (out == 0).flatten(1).sum(1)
    assert int(area.max()) == 16 and bool((area >= 4).all())           # 4 × 4 inside, clipped at borders
    assert torch.equal(out[out != 0], x[out != 0])
    assert cutout_views([x], 0.0, torch.Generator())[0] is x and cutout_views([], 0.5, torch.Generator()) == []


@pytest.mark.parametrize("params, size", [({}, 4), ({"ablation": "IEG-7"}, 4), ({"cutout": 0.25}, 2),
                                          ({"cutout": 0.0}, None), ({"ablation": "IEG-1"}, None)])
def test_the_augmented_view_ends_with_cutout(monkeypatch, tmp_path, params, size):
    """x̂ is "flip → random crop → cutout" in IEG-7 and has Cutout after RandAugment in IEG (§3.1):
    on digits' 8-pixel images the code's share 16/32 is a 4-pixel square. L2R has no x̂."""
    sizes = []
    real = escalation.cutout_square

    def spy(x, generator, *, size, fill):
        sizes.append(size)
        assert fill == 0.0 and x.dtype.is_floating_point                  # normalised images: the code's 0
        return real(x, generator, size=size, fill=fill)

    monkeypatch.setattr(escalation, "cutout_square", spy)
    runner.run(small(epochs=1, method_params=params), out=tmp_path)
    assert set(sizes) == ({size} if size else set())


def test_every_setting_has_a_source_and_resolves_to_what_a_run_uses():
    assert provenance.missing_sources(IEG) == []
    paper_cfg = IEG.make_config({})
    assert paper_cfg.resolve("lookahead") == "momentum" and paper_cfg.resolve("strong_aug") is True
    assert paper_cfg.resolve("meta_lr") == "the optimiser's LR"
    assert paper_cfg.resolve("meta_momentum") == "the optimiser's momentum"
    assert IEG.make_config({"lookahead": "sgd"}).resolve("meta_momentum") == 0.0
    assert IEG.make_config({"ablation": "IEG-7"}).resolve("strong_aug") is False
    assert IEG.make_config({"ablation": "EG"}).resolve("isolation") is False
    code = IEG.make_config({"variant": "code"})
    assert (code.resolve("meta_lr"), code.resolve("meta_momentum"), code.resolve("half_supervised")) == (0.1, 0.9, True)
    assert paper_cfg.resolve("cutout") == 0.5 and paper_cfg.resolve("p") == 5.0


# ----------------------------------------------------------------------------------------------
# The meta-gradient
# ----------------------------------------------------------------------------------------------

class TinyBN(nn.Module):
    """A 2-layer network with a train-mode BatchNorm: the coupling the look-ahead must respect."""

    def __init__(self, d: int = 5, h: int = 6, c: int = 3):
        super().__init__()
        self.l1, self.bn, self.fc = nn.Linear(d, h), nn.BatchNorm1d(h), nn.Linear(h, c)

    def forward(self, x):
        return self.fc(torch.tanh(self.bn(self.l1(x))))


def _problem(seed=0, B=6, M=4):
    torch.manual_seed(seed)
    net = TinyBN().double()
    x, xp = torch.randn(B, 5, dtype=torch.float64), torch.randn(M, 5, dtype=torch.float64)
    y = one_hot(torch.randint(3, (B,)), 3).double()
    yp = torch.randint(3, (M,))
    g = torch.softmax(torch.randn(B, 3, dtype=torch.float64), 1)
    return net, x, y, g, xp, yp


def _probe_loss_at(net, x, y, g, xp, yp, omega, lam, lr, wd=0.0):
    """L^p(Θ'(ω, λ)) computed directly: a real step on a copy of the network (no meta machinery)."""
    params = dict(net.named_parameters())
    loss = weighted_loss(net(x), y, g, omega, lam)
    grads = torch.autograd.grad(loss, list(params.values()))
    theta_prime = {k: (v - lr * (gr + wd * v)).detach() for (k, v), gr in zip(params.items(), grads)}
    return float(F.cross_entropy(engine.functional_forward(net, theta_prime, xp), yp))


@pytest.mark.parametrize("how", ["backprop", "jvp"])
def test_meta_gradients_match_finite_differences(how):
    net, x, y, g, xp, yp = _problem()
    B, lr, wd, lam0 = len(x), 0.5, 1e-3, 0.9
    call = meta_step if how == "backprop" else meta_step_jvp
    args = (net, net(x), y, g, xp, yp) if how == "backprop" else (net, net(x), x, y, g, xp, yp)
    m = call(*args, lambda0=lam0, relabel=True, lr=lr, weight_decay=wd)
    omega0, lam = torch.full((B,), 1.0 / B, dtype=torch.float64), torch.full((B,), lam0, dtype=torch.float64)
    eps, worst = 1e-6, 0.0
    for i in range(B):
        e = torch.zeros(B, dtype=torch.float64)
        e[i] = eps
        fd_w = (_probe_loss_at(net, x, y, g, xp, yp, omega0 + e, lam, lr, wd)
                - _probe_loss_at(net, x, y, g, xp, yp, omega0 - e, lam, lr, wd)) / (2 * eps)
        fd_l = (_probe_loss_at(net, x, y, g, xp, yp, omega0, lam + e, lr, wd)
                - _probe_loss_at(net, x, y, g, xp, yp, omega0, lam - e, lr, wd)) / (2 * eps)
        worst = max(worst, abs(fd_w - float(m.d_omega[i])), abs(fd_l - float(m.d_lam[i])))
    scale = float(m.d_omega.abs().max())
    assert worst < 1e-7 * max(1.0, scale), f"largest difference {worst:.2e} (gradients up to {scale:.2e})"


def test_both_meta_gradients_agree_and_give_the_same_weights():
    net, x, y, g, xp, yp = _problem(seed=3, B=12)
    a = meta_step(net, net(x), y, g, xp, yp, lambda0=0.9, relabel=True, lr=0.1)
    b = meta_step_jvp(net, net(x), x, y, g, xp, yp, lambda0=0.9, relabel=True, lr=0.1)
    assert torch.allclose(a.d_omega, b.d_omega, rtol=1e-9, atol=1e-12)
    assert torch.allclose(a.d_lam, b.d_lam, rtol=1e-9, atol=1e-12)
    assert torch.allclose(a.omega, b.omega) and torch.equal(a.lam, b.lam)
    assert float(a.omega.sum()) == pytest.approx(1.0) and bool((a.omega >= 0).all())   # eq. (2)'s simplex
    assert set(a.lam.tolist()) <= {0.0, 1.0}                                        # eq. (4): a sign


@pytest.mark.parametrize("how", ["backprop", "jvp"])
def test_the_look_ahead_leaves_batchnorm_statistics_alone(how):
    net, x, y, g, xp, yp = _problem()
    z = net(x)                                                       # the real forward: it may move them
    before = {k: v.clone() for k, v in net.named_buffers()}
    if how == "backprop":
        meta_step(net, z, y, g, xp, yp, lambda0=0.9, relabel=True, lr=0.1)
    else:
        meta_step_jvp(net, z, x, y, g, xp, yp, lambda0=0.9, relabel=True, lr=0.1)
    for k, v in net.named_buffers():
        assert torch.equal(v, before[k]), f"the meta step changed {k}"


@pytest.mark.parametrize("how", ["backprop", "jvp"])
def test_a_sample_that_opposes_the_probe_gets_no_weight(how):
    """Two training samples on the probe's own input: one with the probe's label, one with another.
    A step on the second raises the probe loss (its gradient opposes the probe's), so ω* = 0 for
    it and all the weight goes to the first; re-labelling it towards g = the probe's class helps, so
    λ* = 0 (use the pseudo label) there and λ* = 1 (keep y) for the clean one."""
    torch.manual_seed(0)
    net = nn.Linear(4, 2).double()                # two classes: a step towards class 1 always hurts class 0
    x0 = torch.tensor([[1.0, -0.5, 0.3, 2.0]], dtype=torch.float64)
    x, xp, yp = x0.repeat(2, 1), x0, torch.tensor([0])
    y = one_hot(torch.tensor([0, 1]), 2).double()
    g = one_hot(torch.tensor([1, 0]), 2).double() * 0.98 + 0.01      # sample 1's pseudo label: the probe's class
    args = (net, net(x), y, g, xp, yp) if how == "backprop" else (net, net(x), x, y, g, xp, yp)
    m = (meta_step if how == "backprop" else meta_step_jvp)(*args, lambda0=0.9, relabel=True, lr=0.1)
    assert float(m.d_omega[1]) > 0 > float(m.d_omega[0])
    assert m.omega.tolist() == pytest.approx([1.0, 0.0])
    assert m.lam.tolist() == [1.0, 0.0]


def test_l2r_keeps_lambda_at_one():
    net, x, y, g, xp, yp = _problem()
    m = meta_step_jvp(net, net(x), x, y, g, xp, yp, lambda0=0.9, relabel=False, lr=0.1)
    a = meta_step(net, net(x), y, g, xp, yp, lambda0=0.9, relabel=False, lr=0.1)
    assert torch.equal(m.lam, torch.ones(len(x), dtype=m.lam.dtype)) and torch.allclose(m.d_omega, a.d_omega)


# ----------------------------------------------------------------------------------------------
# Runs
# ----------------------------------------------------------------------------------------------

def test_the_probe_is_clean_balanced_disjoint_and_never_noised():
    cfg = small(rate=0.9, probe_per_class=5)
    prep = engine.prepare(cfg)
    y = prep.dataset.train.labels.numpy()
    assert np.bincount(y[prep.probe_idx], minlength=10).tolist() == [5] * 10
    assert not set(prep.probe_idx) & set(prep.train_idx)
    assert len(prep.labels) == len(prep.train_idx) == len(y) - 50     # noise drawn on the rest only
    su = runner.setup(cfg)
    assert torch.equal(su.ctx.probe[1].cpu(), torch.as_tensor(y[prep.probe_idx]))   # the true labels
    assert (prep.labels != prep.true).mean() > 0.7


def test_ieg_needs_a_probe():
    with pytest.raises(ValueError, match="needs a clean probe set"):
        runner.setup(small(probe_per_class=0))


def test_run_logs_weights_relabelling_and_pseudo_labels_and_resumes(tmp_path):
    cfg = small()
    whole = runner.run(cfg, out=tmp_path / "whole", keep_state=True)
    last = whole["history"][-1]
    for k in ("omega_auroc", "omega_clean", "omega_noisy", "omega_precision", "lambda_clean", "lambda_noisy",
              "pseudo_acc_noisy", "pseudo_acc_clean", "L_omega", "L_lam", "L_p", "L_u", "L_kl", "probe_loss",
              "test_acc_ema", "test_acc_net"):
        assert k in last, k
    assert whole["detection"] == "omega" and last["test_acc"] == last["test_acc_ema"]
    assert last["omega_clean"] > last["omega_noisy"]                # isolation works on digits
    assert whole["data"]["num_probe"] == 30
    r = runner.restore(tmp_path / "whole" / f"{whole['run_id']}.json")
    assert r.method.omega_trace.shape == (3, len(r.ctx.labels))
    assert torch.equal(r.method.omega_trace[-1], r.method.omega.half())
    runner.run(cfg, out=tmp_path / "cut", stop_after=1)
    assert comparable(runner.run(cfg, out=tmp_path / "cut", resume=True, keep_state=True)) == comparable(whole)
    cut = runner.restore(tmp_path / "cut" / f"{whole['run_id']}.json")
    assert torch.equal(cut.method.omega_trace, r.method.omega_trace)
    for a, b in zip(cut.method.ema_net.state_dict().values(), r.method.ema_net.state_dict().values()):
        assert torch.equal(a, b)                                     # the EMA resumes too


def test_same_seed_same_record(tmp_path):
    a = runner.run(small(epochs=2), out=tmp_path / "a")
    b = runner.run(small(epochs=2), out=tmp_path / "b")
    assert comparable(a) == comparable(b)


@pytest.mark.parametrize("params", [{"ablation": a} for a in ABLATIONS] + [
    {"variant": "code"}, {"meta_grad": "backprop"}, {"meta_params": "head"}, {"T": 0.05},
    {"consistency": False}, {"mixup": False, "relabel": False}, {"K": 3}, {"lookahead": "sgd"},
    {"meta_momentum": 0.5, "meta_lr": 0.01}, {"cutout": 0.0}])
def test_every_switch_runs(tmp_path, params):
    rec = runner.run(small(epochs=1, method_params=params), out=tmp_path)
    last = rec["history"][-1]
    cfg = IEG.make_config(params)
    assert ("L_p" in last) == cfg.switch("mixup")
    assert ("L_kl" in last) == (cfg.switch("consistency") and cfg.K > 1)
    assert ("omega_auroc" in last) == cfg.switch("isolation")
    assert rec["detection"] == ("omega" if cfg.switch("isolation") else "loss")
    assert ("lambda_auroc" in last) == (cfg.switch("isolation") and cfg.switch("relabel"))
    assert ("pseudo_acc_noisy" in last) == (cfg.switch("mixup") or ("lambda_auroc" in last))
    assert math.isfinite(last["train_loss"])


def test_the_ablation_rows_of_table7():
    assert IEG.make_config({"ablation": "IEG-1"}).switch("relabel") is False      # L2R
    full = IEG.make_config({})
    assert all(full.switch(s) for s in ("isolation", "relabel", "strong_aug", "mixup", "consistency"))
    eg = IEG.make_config({"ablation": "EG"})
    assert not eg.switch("isolation") and eg.switch("mixup")
    assert IEG.make_config({"ablation": "IEG-4", "consistency": "true"}).switch("consistency")   # a switch wins
    assert full.form("lookahead") == "momentum" and full.form("meta_lr") is None    # the optimiser's (§2.1)
    assert not IEG.make_config({"ablation": "IEG-7"}).switch("strong_aug")          # flip → crop → cutout
    code = IEG.make_config({"variant": "code"})
    assert code.form("half_supervised") and code.form("logit_norm") and code.form("mixup_coef") == "code"
    assert code.form("lookahead") == "momentum" and code.form("meta_lr") == 0.1
    assert IEG.make_config({"variant": "code", "logit_norm": "false"}).form("logit_norm") is False


def test_bad_settings_get_one_sentence():
    with pytest.raises(ValueError, match="IEG ablation must be one of"):
        IEG.make_config({"ablation": "IEG-9"})
    with pytest.raises(ValueError, match="IEG needs"):
        IEG.make_config({"tau": "0"})
    with pytest.raises(ValueError, match="IEG meta_grad must be one of"):
        IEG.make_config({"meta_grad": "fd"})
    with pytest.raises(ValueError, match="IEG lookahead must be one of: momentum, sgd"):
        IEG.make_config({"lookahead": "adam"})
    with pytest.raises(ValueError, match="0 ≤ cutout ≤ 1"):
        IEG.make_config({"cutout": "1.5"})
    with pytest.raises(ValueError, match="meta_momentum < 1"):
        IEG.make_config({"meta_momentum": "1"})
