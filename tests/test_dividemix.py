"""DivideMix: each equation by hand, the official code's total loss by hand, the co-divide between
peers, the λ_u ramp, the forward passes a step makes, presets (Table 7's cells and the paper's run),
every setting's source, phases at any run length, determinism and resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lnl import cli, provenance, runner
from lnl.engine import RunConfig, Schedule
from lnl.methods import METHODS
from lnl.methods.dividemix import (FORWARDS_PER_STEP, PRESETS, TABLE7, DivideMix, DivideMixConfig, co_guess,
                                   co_refine, linear_rampup, loss_reg, loss_u, loss_x, mixmatch, sharpen, total_loss)

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
    # ‖q − p‖² = 0.25 + 0.0625 + 0.0625 = 0.375 (eq. 10 as printed); the code's mean over classes, the
    # default, is a third of it
    assert float(loss_u(logits, q)) == pytest.approx(0.125)
    assert float(loss_u(logits, q, mean_classes=False)) == pytest.approx(0.375)
    assert float(loss_reg(torch.zeros(4, 3))) == pytest.approx(0.0, abs=1e-7)     # uniform: no penalty
    p_mean = torch.tensor([0.5, 0.25, 0.25])
    want = sum(1 / 3 * torch.log(1 / 3 / p_mean)).item()
    assert float(loss_reg(torch.log(p_mean).repeat(2, 1))) == pytest.approx(want)


def test_the_default_loss_is_the_official_codes_by_hand():
    # Train_cifar.py's train() and SemiLoss, line by line, on a batch of B = 4 (a pool of 4B = 16)
    g = torch.Generator().manual_seed(0)
    B, C = 4, 10
    logits = 3 * torch.randn(4 * B, C, generator=g)
    mixed_target = torch.softmax(2 * torch.randn(4 * B, C, generator=g), dim=1)
    epoch, batch_idx, num_iter, warm_up, lambda_u = 20, 3, 10, 10, 25.0
    outputs_x, targets_x = logits[:2 * B], mixed_target[:2 * B]
    outputs_u, targets_u = logits[2 * B:], mixed_target[2 * B:]
    probs_u = torch.softmax(outputs_u, dim=1)
    Lx = -torch.mean(torch.sum(F.log_softmax(outputs_x, dim=1) * targets_x, dim=1))
    Lu = torch.mean((probs_u - targets_u) ** 2)
    lamb = lambda_u * float(np.clip((epoch + batch_idx / num_iter - warm_up) / 16, 0.0, 1.0))
    prior = torch.ones(C) / C
    pred_mean = torch.softmax(logits, dim=1).mean(0)
    penalty = torch.sum(prior * torch.log(prior / pred_mean))
    code = Lx + lamb * Lu + penalty
    assert 0 < lamb < lambda_u                                                 # mid-ramp: every term counts

    def ours(c):
        return total_loss(logits, mixed_target, 2 * B, True, epoch + batch_idx / num_iter, c.resolve("warmup"),
                          c.resolve("rampup"), c)

    default = DivideMixConfig()
    assert (default.resolve("lambda_u"), default.resolve("warmup"), default.resolve("rampup")) == (25.0, 10, 16)
    loss, lx, lu, lam_u = ours(default)
    assert float(loss) == pytest.approx(float(code), rel=1e-6)
    assert (float(lx), float(lu), lam_u) == pytest.approx((float(Lx), float(Lu), lamb), rel=1e-6)
    # eq. (10) as printed, with the printed λ_u: L_U C times the code's (the former default)
    printed = ours(DivideMixConfig(lu_mean_classes=False))[0]
    assert float(printed) == pytest.approx(float(Lx + lamb * C * Lu + penalty), rel=1e-6)
    assert float(printed) > float(code) + 1e-3


def test_lambda_u_ramps_per_step_after_the_warm_up():
    assert [linear_rampup(e, 10, 16) for e in (9.5, 10.0, 10.5, 18.0, 30.0)] == pytest.approx([0, 0, 0.5 / 16, 0.5, 1])


def test_presets_and_their_code_forms():
    c = DivideMixConfig(preset="c10-sym90")
    assert (c.get("lambda_u"), c.get("tau"), c.get("gmm_window"), c.get("strict_tau")) == (50.0, 0.6, 5, True)
    assert DivideMixConfig(preset="c100-sym50", lambda_u=10.0).get("lambda_u") == 10.0        # given wins
    default = DivideMixConfig()
    assert (default.get("lambda_u"), default.get("tau"), default.lu_mean_classes, default.get("strict_tau")) == \
        (25.0, 0.5, True, False)                       # the code's L_U (Table 7's λ_u were tuned for it), w ≥ τ
    assert set(TABLE7) >= {"c10-sym20", "c10-sym50", "c10-sym80", "c10-sym90", "c10-asym40", "c100-sym80"}
    with pytest.raises(ValueError, match="no preset 'c10-sym60'"):
        DivideMix.make_config({"preset": "c10-sym60"})
    # resolve: the value the method uses, for every field
    c = DivideMixConfig(preset="c100-sym90")
    assert [c.resolve(k) for k in ("preset", "lambda_u", "tau", "warmup", "gmm_window", "lu_mean_classes",
                                   "strict_tau", "T", "alpha", "lambda_r", "rampup", "conf_penalty")] == \
        ["c100-sym90", 150.0, 0.6, 30, 5, True, True, 0.5, 4.0, 1.0, 16, None]


def test_every_setting_has_a_source():
    assert provenance.missing_sources(METHODS["dividemix"]) == []
    rows = {r["setting"]: r for r in provenance.defaults("dividemix", "c100-sym80")}
    assert (rows["model"]["value"], rows["epochs"]["value"], rows["lambda_u"]["value"]) == \
        ("preact-resnet18", 300, 150.0)
    assert (rows["warmup"]["value"], rows["warmup"]["schedule"], rows["rampup"]["schedule"]) == (30, 300, 300)
    assert rows["lu_mean_classes"]["kind"] == "code" and rows["lambda_u"]["kind"] == "paper"


@pytest.mark.parametrize("cell", ["c10-sym80", "c100-sym50"])
def test_lnl_run_preset_is_the_papers_run_with_a_table7_cell(cell):
    assert set(PRESETS) == set(TABLE7)
    parser = cli.build_parser()
    argv = ["run", "--method", "dividemix", "--dataset", "cifar10", "--noise", "symmetric-uniform", "--rate", "0.8",
            "--preset", cell]
    cfg = cli._config_from(parser.parse_args(argv), cli._given(parser, argv))
    assert (cfg.model, cfg.batch_size, cfg.epochs, cfg.optimizer, cfg.lr, cfg.momentum, cfg.weight_decay) == \
        ("preact-resnet18", 64, 300, "sgd", 0.02, 0.9, 5e-4)
    assert cfg.schedule == Schedule("multistep", milestones=(150,), gamma=0.1) and cfg.augment
    c = DivideMix.make_config(cfg.method_params)
    assert (c.resolve("lambda_u"), c.resolve("tau"), c.resolve("warmup")) == \
        {"c10-sym80": (25.0, 0.5, 10), "c100-sym50": (150.0, 0.5, 30)}[cell]
    assert c.resolve("strict_tau") and c.resolve("lu_mean_classes")


def test_phases_keep_the_papers_share_of_a_short_run(tmp_path):
    short = small(epochs=12, method_params={})
    su = runner.setup(short)
    assert (su.method.warmup, su.method.rampup) == (1, 1)          # 10 and 16 of 300 epochs: 0.4, 0.64 -> 1
    assert {k: (v["default"], v["epochs"]) for k, v in su.ctx.resolved_phases.items()} == \
        {"warmup": (10, 1), "rampup": (16, 1)}
    given = runner.setup(small(epochs=12, method_params={"warmup": 3}))
    assert (given.method.warmup, given.method.rampup) == (3, 1) and "warmup" not in given.ctx.resolved_phases
    cell = runner.setup(small(epochs=30, method_params={"preset": "c100-sym50"}))      # a cell's default: scaled
    assert (cell.method.warmup, cell.method.rampup) == (3, 2)      # 30 · 30/300 = 3; 16 · 30/300 = 1.6 -> 2
    rec = runner.run(small(method_params={}), out=tmp_path)         # 3 epochs: both phases 1 epoch
    assert {k: v["epochs"] for k, v in rec["phases_resolved"].items()} == {"warmup": 1, "rampup": 1}
    assert rec["phases_resolved"]["warmup"]["paper_schedule"] == 300


def test_each_network_trains_on_its_peers_division():
    su = runner.setup(small())
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
    su = runner.setup(small())
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
    rec = runner.run(small(), out=tmp_path)
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
    whole = runner.run(cfg, out=tmp_path / "a")
    assert comparable(runner.run(cfg, out=tmp_path / "b")) == comparable(whole)
    runner.run(cfg, out=tmp_path / "c", stop_after=2)
    assert comparable(runner.run(cfg, out=tmp_path / "c", resume=True)) == comparable(whole)


def test_entropy_and_sharpening():
    from lnl.losses import entropy

    assert float(entropy(torch.full((1, 4), 0.25))) == pytest.approx(torch.log(torch.tensor(4.0)).item())
    assert float(entropy(torch.tensor([[1.0, 0.0]]))) == pytest.approx(0.0, abs=1e-9)
    p = torch.tensor([[0.5, 0.3, 0.2]])
    assert entropy(sharpen(p, 0.5)) < entropy(p)
