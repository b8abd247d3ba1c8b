"""DivideMix: each equation by hand, the co-divide between peers, the λ_u ramp, the forward passes
a step makes, presets, determinism and resume."""

from __future__ import annotations

import pytest
import torch

from lnl import engine
from lnl.engine import RunConfig
from lnl.methods.dividemix import (FORWARDS_PER_STEP, PRESETS, DivideMix, DivideMixConfig, co_guess, co_refine,
                                   linear_rampup, loss_reg, loss_u, loss_x, mixmatch, sharpen)

from .test_engine import comparable


def small(**kw) -> RunConfig:
    base = dict(method="dividemix", dataset="digits", noise="symmetric", rate=0.5, epochs=3, batch_size=32,
                lr=0.05, seed=0, device="cpu", method_params={"warmup": 1})
    return RunConfig(**{**base, **kw})


def test_sharpen_by_hand():
    assert torch.allclose(sharpen(torch.tensor([[0.6, 0.4]]), 0.5), torch.tensor([[0.36, 0.16]]) / 0.52)
    assert torch.allclose(sharpen(torch.tensor([[0.6, 0.4]]), 1.0), torch.tensor([[0.6, 0.4]]))


def test_co_refinement_by_hand():
    # w = 0.5: halfway between the label [1, 0] and the mean prediction [0.3, 0.7], then sharpened
    out = co_refine(torch.tensor([[1.0, 0.0]]), torch.tensor([0.5]),
                    [torch.tensor([[0.2, 0.8]]), torch.tensor([[0.4, 0.6]])], T=0.5)
    assert torch.allclose(out, torch.tensor([[0.4225, 0.1225]]) / 0.545)
    same = co_refine(torch.tensor([[1.0, 0.0]]), torch.tensor([1.0]), [torch.tensor([[0.2, 0.8]])], T=0.5)
    assert torch.allclose(same, torch.tensor([[1.0, 0.0]]))                       # w = 1 keeps the label


def test_co_guessing_averages_both_networks_and_views():
    p = [torch.tensor([[0.9, 0.1]]), torch.tensor([[0.7, 0.3]])]
    peer = [torch.tensor([[0.3, 0.7]]), torch.tensor([[0.1, 0.9]])]
    assert torch.allclose(co_guess(p, peer, T=1.0), torch.tensor([[0.5, 0.5]]))
    assert torch.allclose(co_guess(p, p, T=0.5), sharpen(torch.tensor([[0.8, 0.2]]), 0.5))


def test_mixmatch_takes_the_larger_weight():
    x = torch.tensor([[1.0], [0.0]])
    p = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    mx, mp = mixmatch(x, p, 0.3, torch.tensor([1, 0]))                         # λ' = max(0.3, 0.7) = 0.7
    assert torch.allclose(mx, torch.tensor([[0.7], [0.3]])) and torch.allclose(mp, torch.tensor([[0.7, 0.3], [0.3, 0.7]]))
    assert torch.allclose(mixmatch(x, p, 0.7, torch.tensor([1, 0]))[0], mx)


def test_losses_by_hand():
    logits = torch.log(torch.tensor([[0.5, 0.25, 0.25]]))
    q = torch.tensor([[1.0, 0.0, 0.0]])
    assert float(loss_x(logits, q)) == pytest.approx(-torch.log(torch.tensor(0.5)).item())
    # ‖q − p‖² = 0.25 + 0.0625 + 0.0625 = 0.375; the code's mean over classes is a third of it
    assert float(loss_u(logits, q)) == pytest.approx(0.375)
    assert float(loss_u(logits, q, mean_classes=True)) == pytest.approx(0.125)
    assert float(loss_reg(torch.zeros(4, 3))) == pytest.approx(0.0, abs=1e-7)     # uniform: no penalty
    p_mean = torch.tensor([0.5, 0.25, 0.25])
    want = sum(1 / 3 * torch.log(1 / 3 / p_mean)).item()
    assert float(loss_reg(torch.log(p_mean).repeat(2, 1))) == pytest.approx(want)


def test_lambda_u_ramps_per_step_after_the_warm_up():
    assert [linear_rampup(e, 10, 16) for e in (9.5, 10.0, 10.5, 18.0, 30.0)] == pytest.approx([0, 0, 0.5 / 16, 0.5, 1])


def test_presets_and_their_code_forms():
    c = DivideMixConfig(preset="c10-sym90")
    assert (c.get("lambda_u"), c.get("tau"), c.get("gmm_window"), c.get("strict_tau")) == (50.0, 0.6, 5, True)
    assert DivideMixConfig(preset="c100-sym50", lambda_u=10.0).get("lambda_u") == 10.0        # given wins
    paper = DivideMixConfig()
    assert (paper.get("lambda_u"), paper.get("tau"), paper.get("lu_mean_classes"), paper.get("strict_tau")) == \
        (25.0, 0.5, False, False)
    assert set(PRESETS) >= {"c10-sym20", "c10-sym50", "c10-sym80", "c10-sym90", "c10-asym40", "c100-sym80"}
    with pytest.raises(ValueError, match="no preset 'c10-sym60'"):
        DivideMix.make_config({"preset": "c10-sym60"})


def test_each_network_trains_on_its_peers_division():
    su = engine.setup(small())
    m, ctx = su.method, su.ctx
    ctx.epoch = 1                                                                # after the warm-up
    m.on_epoch_start(ctx)
    d1, d2 = m.division["net1"].clone(), m.division["net2"].clone()
    assert not torch.equal(d1, d2)
    labelled = {p.tag: p.main.indices for p in ctx.passes}
    assert torch.equal(labelled["net1"], torch.nonzero(d1 >= 0.5).flatten())
    s1, s2 = ({k: v.clone() for k, v in n.state_dict().items()} for n in (m.net1, m.net2))  # swap the nets
    m.net1.load_state_dict(s2)
    m.net2.load_state_dict(s1)
    m.loss_hist1.fill_(float("nan"))
    m.loss_hist2.fill_(float("nan"))
    ctx.step_count += 1                                                          # a fresh whole-set pass
    m.on_epoch_start(ctx)
    assert torch.allclose(m.division["net1"], d2) and torch.allclose(m.division["net2"], d1)


def test_a_step_makes_only_the_forward_passes_the_algorithm_names():
    su = engine.setup(small())
    m, ctx = su.method, su.ctx
    ctx.epoch = 1
    m.on_epoch_start(ctx)
    calls = {"net1": [], "net2": []}
    for name in calls:
        getattr(m, name).register_forward_hook(lambda mod, inp, out, name=name: calls[name].append(len(inp[0])))
    ctx.step = lambda loss, opt: None
    B = 32
    idx, uidx = ctx.passes[0].main.indices[:B], ctx.passes[0].side[0].indices[:B]
    view = lambda i: su.train.batch(i)  # noqa: E731
    ctx.current_pass = ctx.passes[0]
    batch = {"idx": idx, "views": [view(idx), view(idx)], "y": su.given[idx],
             "unlabelled-net1": {"idx": uidx, "views": [view(uidx), view(uidx)]}}
    m.training_step(batch, ctx)
    assert calls["net1"] == [B, B, B, B, 4 * B] and calls["net2"] == [B, B]    # θ: 2 guesses, 2 refinements, mix
    assert len(FORWARDS_PER_STEP) == len(calls["net1"]) + len(calls["net2"])


def test_the_history_holds_each_network_and_the_co_divide(tmp_path):
    rec = engine.run(small(), out=tmp_path)
    last = rec["history"][-1]
    assert last["test_acc"] == last["test_acc_ensemble"] and rec["summary"]["reported_output"] == "ensemble"
    for k in ("test_acc_net1", "test_acc_net2", "w_net1_auroc", "w_net1_precision", "w_net1_recall",
              "w_net2_auroc", "labelled_share_net1", "lambda_u_ramped", "loss_x_net1", "loss_u_net2"):
        assert k in last
    assert "w_net1_auroc" not in rec["history"][0]                              # warm-up: no co-divide
    assert last["w_net1_auroc"] > 0.9 and rec["detection"] == "w_net1"
    # precision and recall are those of net2's labelled set {w1 ≥ τ}: selected = recall · clean / precision
    clean = 1 - rec["noise"]["rate_effective"]
    assert last["w_net1_recall"] * clean / last["w_net1_precision"] == pytest.approx(last["labelled_share_net2"])


def test_same_seed_same_record_and_resume(tmp_path):
    cfg = small()
    whole = engine.run(cfg, out=tmp_path / "a")
    assert comparable(engine.run(cfg, out=tmp_path / "b")) == comparable(whole)
    engine.run(cfg, out=tmp_path / "c", stop_after=2)
    assert comparable(engine.run(cfg, out=tmp_path / "c", resume=True)) == comparable(whole)


def test_entropy_and_sharpening():
    from lnl.losses import entropy

    assert float(entropy(torch.full((1, 4), 0.25))) == pytest.approx(torch.log(torch.tensor(4.0)).item())
    assert float(entropy(torch.tensor([[1.0, 0.0]]))) == pytest.approx(0.0, abs=1e-9)
    p = torch.tensor([[0.5, 0.3, 0.2]])
    assert entropy(sharpen(p, 0.5)) < entropy(p)
