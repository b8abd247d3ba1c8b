"""Co-teaching: R(T), the peer exchange, the paper's optimiser, presets and sources, T_k's share of a
short run, named outputs, resume."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lnl import provenance, runner
from lnl.engine import RunConfig, Schedule
from lnl.methods.coteaching import (PRESETS, Coteaching, CoteachingConfig, forget_rate, full_rate_epoch,
                                    small_loss_selection)

from .test_engine import comparable


def small(**kw) -> RunConfig:
    base = dict(method="coteaching", dataset="digits", noise="symmetric", rate=0.4, epochs=3, batch_size=64,
                lr=0.05, seed=0, device="cpu")
    return RunConfig(**{**base, **kw})


def test_forget_rate_ramps_to_tau_over_t_k_epochs():
    # paper: R(T) = 1 − τ min(T/T_k, 1), set at the end of epoch T, used in epoch T + 1
    assert [forget_rate(e, 0.5, 10) for e in (0, 1, 5, 10, 30)] == pytest.approx([0, 0.05, 0.25, 0.5, 0.5])
    assert forget_rate(0, 0.5, 0) == 0.5
    assert full_rate_epoch(0.5, 10) == 11


def official_rates(forget_rate_, n_epoch=200, num_gradual=10, exponent=1.0):
    """bhanML/Co-teaching main.py, by hand: the forget rate of each epoch its loop trains, in order."""
    rate_schedule = np.ones(n_epoch) * forget_rate_
    rate_schedule[:num_gradual] = np.linspace(0, forget_rate_ ** exponent, num_gradual)
    return [rate_schedule[epoch] for epoch in range(1, n_epoch)]        # loss_coteaching(..., rate_schedule[epoch])


@pytest.mark.parametrize("tau, t_k, exponent", [(0.5, 10, 1.0), (0.8, 10, 1.0), (0.45, 5, 2.0), (0.2, 15, 0.5),
                                                (0.5, 1, 1.0), (0.5, 0, 1.0)])
def test_code_ramp_is_the_official_schedule_epoch_by_epoch(tau, t_k, exponent):
    want = official_rates(tau, num_gradual=t_k, exponent=exponent)
    got = [forget_rate(e, tau, t_k, "code", exponent) for e in range(len(want))]   # our epoch e: its (e + 1)-th
    assert got == pytest.approx(want, abs=1e-12)


def test_code_ramp_reaches_tau_two_epochs_before_the_papers():
    # the official loop's first trained epoch already forgets τ/9; epoch 9 forgets τ (the paper's form: epoch 11)
    assert forget_rate(0, 0.5, 10, "code") == pytest.approx(0.5 / 9)
    assert [forget_rate(e, 0.5, 10, "code") for e in (7, 8)] == pytest.approx([0.5 * 8 / 9, 0.5])
    assert full_rate_epoch(0.5, 10, "code") == 9 == full_rate_epoch(0.5, 10) - 2
    assert full_rate_epoch(0.5, 10, "code", exponent=2) == 10       # τ² at entry 9, then τ


def test_small_loss_selection_keeps_the_floor_of_r_b_smallest():
    losses = torch.tensor([0.5, 0.1, 0.9, 0.3, 0.7])
    assert small_loss_selection(losses, 0.6).tolist() == [1, 3, 0]      # int(0.6 · 5) = 3
    assert small_loss_selection(losses, 1.0).tolist() == [1, 3, 0, 4, 2]


def test_each_network_learns_only_from_its_peers_selection():
    su = runner.setup(small(method_params={"t_k": 10}))
    m, ctx = su.method, su.ctx
    ctx.epoch = 5                                                         # R = 1 − 0.4 · 0.5 = 0.8
    idx = torch.arange(0, 640, 10)
    batch = {"idx": idx, "x": su.train.batch(idx), "y": su.given[idx]}
    with torch.no_grad():
        loss_f = F.cross_entropy(m.net1(batch["x"]), batch["y"], reduction="none")
        loss_g = F.cross_entropy(m.net2(batch["x"]), batch["y"], reduction="none")
    keep_f, keep_g = loss_f.argsort()[:51], loss_g.argsort()[:51]         # int(0.8 · 64) = 51
    assert set(keep_f.tolist()) != set(keep_g.tolist())                  # the nets disagree
    steps = []

    def record(loss, opt):
        nets = [name for name, net in (("net1", m.net1), ("net2", m.net2))
                if torch.autograd.grad(loss, list(net.parameters()), allow_unused=True, retain_graph=True)[0]
                is not None]
        steps.append((float(loss.detach()), opt, nets))

    ctx.step = record
    m.training_step(batch, ctx)
    (l1, o1, n1), (l2, o2, n2) = steps
    assert o1 is m.opt1 and n1 == ["net1"] and l1 == pytest.approx(float(loss_f[keep_g].mean()), rel=1e-5)
    assert o2 is m.opt2 and n2 == ["net2"] and l2 == pytest.approx(float(loss_g[keep_f].mean()), rel=1e-5)
    assert m.selected[idx].sum() == 51
    assert set(torch.nonzero(m.selected).flatten().tolist()) == set(idx[keep_f].tolist())


def test_paper_optimiser_switches_beta1_where_the_lr_decay_starts(tmp_path):
    cfg = small(epochs=4, optimizer="adam", lr=1e-3, weight_decay=0.0, schedule=Schedule("linear", milestones=(2,)))
    rec = runner.run(cfg, out=tmp_path)
    h = rec["history"]
    assert [e["beta1_net1"] for e in h] == [e["beta1_net2"] for e in h] == [0.9, 0.9, 0.1, 0.1]
    assert [e["lr"] for e in h] == pytest.approx([1e-3, 1e-3, 1e-3, 5e-4])
    assert "beta1_net1" not in runner.run(small(epochs=1), out=tmp_path)["history"][0]   # SGD: no β₁


def test_record_names_each_network_and_the_assumed_noise_rate(tmp_path, capsys):
    rec = runner.run(small(method_params={"t_k": 10}), out=tmp_path)
    last = rec["history"][-1]
    assert last["test_acc"] == last["test_acc_net1"] and rec["summary"]["reported_output"] == "net1"
    assert {"test_acc_net2", "test_acc_ensemble", "selected_precision", "selected_auroc",
            "small_loss_auroc"} <= set(last)
    assert [e["keep_rate"] for e in rec["history"]] == pytest.approx([1.0, 0.96, 0.92])
    assert rec["history"][0]["selection_overlap"] == 1.0 and 0.5 < last["selection_overlap"] < 1
    assert rec["assumptions"]["tau"] == 0.4 and "assumes the noise rate known" in rec["assumptions"]["tau_source"]
    assert "the full forget rate" in rec["warnings"][0] and rec["warnings"][0] in capsys.readouterr().err
    assert last["small_loss_auroc"] > 0.9 and last["selected_precision"] > 1 - 0.4   # beats the base rate
    rec = runner.run(small(epochs=1, method_params={"tau": "0.2", "t_k": 0.5}), out=tmp_path)
    assert rec["assumptions"] == {"tau": 0.2, "tau_source": "set by the user"}
    with pytest.raises(ValueError, match="--param tau"):
        runner.run(small(noise="none", epochs=1), out=tmp_path)


def test_t_k_keeps_the_papers_share_of_a_short_run(tmp_path):
    # T_k = 10 of the paper's 200 epochs: 1 epoch of 20, recorded; a T_k the user gives stays as given
    rec = runner.run(small(epochs=20, train_per_class=20), out=tmp_path)
    assert rec["phases_resolved"]["t_k"] == {**rec["phases_resolved"]["t_k"], "default": 10, "paper_schedule": 200,
                                             "epochs": 1}
    assert [e["keep_rate"] for e in rec["history"][:3]] == pytest.approx([1.0, 0.6, 0.6])
    assert "warnings" not in rec or not any("forget rate" in w for w in rec["warnings"])
    rec = runner.run(small(epochs=20, train_per_class=20, method_params={"t_k": 10}), out=tmp_path)
    assert "phases_resolved" not in rec
    assert [e["keep_rate"] for e in rec["history"][:3]] == pytest.approx([1.0, 0.96, 0.92])


def test_every_setting_has_a_source_and_the_presets_follow_the_official_code():
    assert provenance.missing_sources(Coteaching) == []
    assert Coteaching.sources["t_k"].schedule == 200
    # main.py: epoch_decay_start 80 (CIFAR-10) and 100 (CIFAR-100); ToTensor() only, no crop or flip
    assert PRESETS["cifar10"]["schedule"] == Schedule("linear", milestones=(80,))
    assert PRESETS["cifar100"]["schedule"] == Schedule("linear", milestones=(100,))
    for name, p in PRESETS.items():
        assert (p["optimizer"], p["lr"], p["weight_decay"], p["batch_size"], p["epochs"], p["augment"]) == \
            ("adam", 1e-3, 0.0, 128, 200, False)
        assert Coteaching.preset_sources[name]["model"].kind == "ours"       # no 9-layer CNN in lnl.models
        runner.validate(RunConfig(method="coteaching", dataset=name, **p))


def test_a_killed_run_resumes_to_the_identical_record(tmp_path):
    cfg = small(epochs=3)
    whole = runner.run(cfg, out=tmp_path / "whole")
    assert runner.run(cfg, out=tmp_path / "cut", stop_after=1) == {}
    resumed = runner.run(cfg, out=tmp_path / "cut", resume=True)
    assert comparable(resumed) == comparable(whole)
    assert json.loads(json.dumps(whole["history"])) == resumed["history"]


def test_config_checks():
    for kw in ({"tau": 1.0}, {"ramp": "linear"}, {"exponent": 0.0}):
        with pytest.raises(ValueError, match="Co-teaching"):
            CoteachingConfig(**kw)
    assert Coteaching.make_config({"tau": "none"}).tau is None


def test_selection_summary_by_hand():
    from lnl.methods.coteaching import selection_summary

    clean = [True, True, False, True, False]
    s = selection_summary(clean, [0, 1, 2], [1, 2, 3])
    assert s["clean share"] == 0.6 and s["D̄_f: precision"] == pytest.approx(2 / 3)
    assert s["kept by both: share of D̄_f"] == pytest.approx(2 / 3) and s["kept by both: precision"] == 0.5
