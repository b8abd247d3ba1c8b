"""The IEG chapter's page functions: the tutorial's walk-through of one step (virtual steps, finite
differences, probe-anchored mixup) and the replication's tables, verdict inputs and texts, each on
small hand-computed inputs; the figures draw the panels they promise."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from lnl import plot, report  # noqa: E402
from lnl.losses import one_hot  # noqa: E402
from lnl.methods import ieg  # noqa: E402
from lnl.walkthrough import ieg as ieg_walk  # noqa: E402


# ----------------------------------------------------------------------------------------------
# The tutorial's step, taken apart
# ----------------------------------------------------------------------------------------------

def tiny_batch(B=6, C=3, d=4, seed=0) -> ieg_walk.StepBatch:
    torch.manual_seed(seed)
    net = nn.Linear(d, C)
    x, xp = torch.randn(B, d), torch.randn(5, d)
    given, true = torch.tensor([0, 1, 2, 0, 2, 1]), torch.tensor([0, 1, 2, 1, 0, 2])
    return ieg_walk.StepBatch(net, x, x + 0.1, one_hot(given, C), xp, torch.tensor([0, 1, 2, 0, 1]), torch.arange(B),
                         (given == true).numpy(), given, true, ["a", "b", "c"], 0.5, 0.01, 0.9,
                         torch.Generator().manual_seed(0), 0.9)


def test_virtual_probe_loss_is_the_probe_loss_after_one_sgd_step_by_hand():
    b = tiny_batch()
    z = b.net(b.x)
    g = torch.softmax(z.detach(), 1)
    omega, lam = b.meta_point()
    got = ieg_walk.virtual_probe_loss(b.net, z, b.y, g, omega, lam, b.xp, b.yp, b.lr, b.weight_decay)
    W, c = b.net.weight.detach().clone().requires_grad_(), b.net.bias.detach().clone().requires_grad_()
    P = lam[:, None] * b.y + (1 - lam[:, None]) * g                       # eq. (3)'s target
    loss = (omega * -(P * F.log_softmax(b.x @ W.T + c, 1)).sum(1)).sum()
    gW, gc = torch.autograd.grad(loss, [W, c])
    W2, c2 = W - b.lr * (gW + b.weight_decay * W), c - b.lr * (gc + b.weight_decay * c)
    assert got == pytest.approx(float(F.cross_entropy(b.xp @ W2.T + c2, b.yp).detach()), rel=1e-6)
    assert ieg_walk.probe_loss_now(b.net, b.xp, b.yp) == pytest.approx(float(F.cross_entropy(b.net(b.xp), b.yp)), rel=1e-6)


def test_meta_point_and_settings_of_a_batch():
    b = tiny_batch()
    omega0, lam0 = b.meta_point()
    assert torch.allclose(omega0, torch.full((6,), 1 / 6)) and torch.allclose(lam0, torch.full((6,), 0.9))
    assert b.meta_kw == dict(lambda0=0.9, relabel=True, lr=0.5, weight_decay=0.01)
    assert b.summary() == "B = 6 training images (3 clean), M = 5 probe images, α = 0.5 (the run's base LR), weight decay 0.01"


def test_finite_differences_agree_with_the_meta_gradient():
    b = tiny_batch()
    z = b.net(b.x)
    g = torch.softmax(z.detach(), 1)
    m = ieg.meta_step(b.net, z, b.y, g, b.xp, b.yp, **b.meta_kw)
    fd = ieg_walk.omega_finite_differences(b, z, g, [0, 3, 5], eps=1e-3)
    assert torch.allclose(fd.float(), m.d_omega[[0, 3, 5]], atol=1e-3 * float(m.d_omega.abs().max()) + 1e-6)


def test_virtual_steps_weigh_each_group_uniformly():
    b = tiny_batch()
    z = b.net(b.x)
    g = torch.softmax(z.detach(), 1)
    omega_star = torch.tensor([0.5, 0.5, 0, 0, 0, 0])
    steps = ieg_walk.virtual_steps(b, z, g, omega_star)
    assert list(steps) == ["clean images alone", "mislabelled images alone", "whole batch, ω₀ = 1/B, λ₀",
                           "whole batch, the meta step's ω*, λ₀"]
    clean = torch.tensor([1 / 3, 1 / 3, 1 / 3, 0, 0, 0])
    ones = torch.ones(6)
    assert steps["clean images alone"] == ieg_walk.virtual_probe_loss(b.net, z, b.y, g, clean, ones, b.xp, b.yp, 0.5, 0.01)
    omega0, lam0 = b.meta_point()
    assert steps["whole batch, ω₀ = 1/B, λ₀"] == ieg_walk.virtual_probe_loss(b.net, z, b.y, g, omega0, lam0, b.xp, b.yp,
                                                                        0.5, 0.01)


def test_probe_mixup_mixes_the_pool_with_its_permutation():
    torch.manual_seed(0)
    x, x_hat, xp = torch.randn(3, 2), torch.randn(3, 2), torch.randn(4, 2)
    g = torch.softmax(torch.randn(3, 5), 1)
    mx = ieg_walk.probe_mixup(x, x_hat, g, xp, torch.tensor([0, 1, 2, 3]), 0.5, np.random.default_rng(0))
    assert mx["pool"].shape == (9, 2) and list(mx["origin"]) == ["probe"] * 3 + ["x"] * 3 + ["x̂"] * 3
    assert torch.equal(mx["pool"][:3], xp[mx["pick"]]) and torch.equal(mx["targets"][3:6], g)
    m, perm = mx["m"][:, None], mx["perm"]
    assert torch.allclose(mx["x_mix"], m * mx["pool"] + (1 - m) * mx["pool"][perm])
    assert torch.allclose(mx["t_mix"].sum(1), torch.ones(9))
    rng = np.random.default_rng(0)                                        # the draws, in their order
    assert mx["pick"].tolist() == rng.integers(4, size=3).tolist()
    assert torch.allclose(mx["m"], torch.as_tensor(rng.beta(0.5, 0.5, size=9), dtype=torch.float32))


def test_momentum_buffers_are_the_first_steps_gradients():
    class Data:
        def batch(self, idx):
            return torch.eye(4)[idx]
    net = nn.Linear(4, 2)
    labels, idx = torch.tensor([0, 1, 1, 0]), torch.tensor([1, 2])
    v = ieg_walk.momentum_buffers(net, Data(), labels, 0.1, 0.9, 0.0, idx)
    F.cross_entropy(net(torch.eye(4)[idx]), labels[idx]).backward()
    assert torch.allclose(v[0], net.weight.grad) and torch.allclose(v[1], net.bias.grad)   # v₁ = ∇ at the first step


def test_lookahead_forms_and_variants():
    forms = ieg_walk.lookahead_forms(0.05, 0.9, ieg.IEGConfig(variant="code"))
    assert list(forms.values()) == [(0.05, 0.9), (0.05, 0.0), (0.1, 0.9)]
    from lnl.engine import RunConfig

    cfg = RunConfig(method="ieg", dataset="digits", method_params={"ablation": "IEG-5"})
    assert ieg_walk.with_params(cfg, lookahead="sgd").method_params == {"ablation": "IEG-5", "lookahead": "sgd"}
    v = ieg_walk.step_variants({"CE": cfg, "L2R": cfg, "IEG": cfg, "EG": cfg}, train_per_class=7)
    assert v["IEG, meta_grad = backprop"].method_params["meta_grad"] == "backprop"
    assert v["IEG, meta_params = head"].method_params["meta_params"] == "head"
    assert {c.train_per_class for c in v.values()} == {7}


# ----------------------------------------------------------------------------------------------
# The tutorial's tables and texts
# ----------------------------------------------------------------------------------------------

def test_weight_groups_by_hand():
    w = np.array([2.0, 0.0, 1.0, 0.0, 0.0, 3.0])
    clean = np.array([True, True, True, False, False, False])
    assert report.ieg_weight_groups(w, clean) == {"w_clean_b": 1.0, "w_noisy_b": 1.0, "zero_clean_b": 1 / 3,
                                                  "zero_noisy_b": 2 / 3}


def test_virtual_table_and_its_text_both_ways():
    after = {"clean": 1.0, "mislabelled": 1.5, "uniform": 1.2, "ω*": 1.1}
    v = report.ieg_virtual_table(after, 1.2)
    assert np.allclose(v["change"], [-0.2, 0.3, 0.0, -0.1])
    assert "+0.3000 nats" in report.ieg_virtual_text(v) and "ω* keeps the samples" in report.ieg_virtual_text(v)
    v2 = report.ieg_virtual_table({**after, "ω*": 1.3}, 1.2)
    assert "does not beat the uniform weights" in report.ieg_virtual_text(v2)


def test_auroc_text_has_three_cases():
    assert "L2R's weights separate" in report.ieg_auroc_text({"L2R": 0.9, "IEG": 0.8})
    assert "about as well" in report.ieg_auroc_text({"L2R": 0.81, "IEG": 0.8})
    assert "IEG's weights separate" in report.ieg_auroc_text({"L2R": 0.7, "IEG": 0.8})


def test_relabel_and_repair_values():
    rec = {"history": [{}, {"lambda_clean": 0.8, "lambda_noisy": 0.3, "lambda_auroc": 0.7}]}
    assert report.ieg_relabel_last(rec) == {"lam_clean_last": 0.8, "lam_noisy_last": 0.3, "lam_auroc_last": 0.7}
    weights = {"lam": np.array([1, 0, 0, 1]), "pseudo": np.array([0, 1, 2, 2]), "given": np.array([0, 1, 0, 1]),
               "true": np.array([0, 1, 2, 2])}
    low = report.relabel_breakdown(weights)
    values = report.ieg_repair_values(low, low)
    # mislabelled: samples 2 (λ* = 0, g right: repaired) and 3 (λ* = 1 keeps a wrong label, g right)
    assert values["g_noisy_40"] == 1.0 and values["yt_noisy_40"] == 0.5 and values["yt_clean_40"] == 1.0


def test_coefficient_table_by_hand():
    t = report.ieg_coefficient_table({"a": np.array([0.2, 0.6, 0.95, 1.0])})
    assert t.loc["mean", "a"] == pytest.approx(0.6875)
    assert t.loc["share with β > 0.5 (anchor dominates)", "a"] == 0.75 and t.loc["share with β ≥ 0.9", "a"] == 0.5


def test_loss_terms_and_the_supervised_share_by_hand():
    hist = [{"epoch": 1, "L_omega": 1.0, "L_lam": 1.0, "L_p": 1.0, "L_u": 0.2, "L_kl": 0.05}]
    terms = report.ieg_loss_terms(hist, 5, 20)
    assert terms.iloc[0].tolist() == pytest.approx([1.0, 1.0, 1.0, 1.0, 1.0])
    share = report.ieg_supervised_share(terms)
    assert share == pytest.approx({"sup_share_paper": 2 / 5, "sup_share_code": 1 / 4})


def test_logit_norm_summary_by_hand():
    logits = torch.tensor([[3.0, 0.0], [0.0, 4.0]])
    g1, g2 = torch.tensor([[0.9, 0.1], [0.4, 0.6]]), torch.tensor([[0.6, 0.4], [0.7, 0.3]])
    s = report.ieg_logit_norm_summary(g1, g2, logits)
    assert s == pytest.approx({"ln_rms": 2.5, "ln_same": 0.5, "ln_conf_paper": 0.75, "ln_conf_code": 0.65})


def test_lookahead_table_by_hand():
    M = type("M", (), {})
    a, b = M(), M()
    a.omega, b.omega = torch.tensor([0.5, 0.5, 0.0, 0.0]), torch.tensor([0.0, 0.25, 0.25, 0.5])
    t = report.ieg_lookahead_table({"ref": a, "other": b}, np.array([True, True, False, False]))
    assert t.loc["mean ω*·B, clean", "ref"] == 2.0 and t.loc["mean ω*·B, mislabelled", "other"] == 1.5
    assert t.loc["share of zero weights", "ref"] == 0.5
    assert t.loc["rank correlation with the paper's ω*", "ref"] == pytest.approx(1.0)


def test_gradient_checks_and_batch_table():
    M = type("M", (), {})
    bp, fw = M(), M()
    bp.d_omega, bp.d_lam = torch.tensor([-1.0, 2.0]), torch.tensor([0.5, 0.5])
    fw.d_omega, fw.d_lam = torch.tensor([-1.0, 1.5]), torch.tensor([0.5, 0.25])
    c = report.ieg_gradient_checks(bp, fw, torch.tensor([-0.5]), np.array([0]))
    assert c.tolist() == [2.0, 0.5, 0.25, 0.5]
    fw.omega, fw.lam = torch.tensor([1.0, 0.0]), torch.tensor([1.0, 0.0])
    y, g = torch.eye(2), torch.tensor([[0.2, 0.8], [0.9, 0.1]])
    t = report.ieg_batch_table([0, 1], [0, 0], np.array([True, False]), y, g, fw)
    assert t["ω*·B"].tolist() == [2.0, 0.0] and t["argmax ỹ"].tolist() == [0, 0]   # ỹ = y where λ* = 1, else g


# ----------------------------------------------------------------------------------------------
# The replication's tables, claims and texts, on records made up by hand
# ----------------------------------------------------------------------------------------------

def rec(acc, seconds=1.0, **last):
    return {"summary": {"test_acc_last10": acc, "noise_rate_effective": 0.72}, "timing": {"epoch_s": [seconds]},
            "history": [{"omega_auroc": 0.5, **last}, {"omega_auroc": 0.7, "omega_clean": 1.5, "omega_noisy": 0.5,
                                                       "omega_precision": 0.6, "omega_recall": 0.4, **last}],
            "data": {"num_probe": 30, "num_train": 300}}


S = {"cells": [("symmetric-uniform", 0.8), ("symmetric-uniform", 0.4)], "seeds": [0, 1], "cell_seeds": [0],
     "probe_sizes": [1], "ladder": ["IEG-2"], "more_ablations": [],
     "run": {"probe_per_class": 3, "batch_size": 16, "epochs": 2}}
K = "symmetric-uniform"
RECS = {("CE", K, 0.8, 0): rec(0.50, 1.0), ("CE", K, 0.8, 1): rec(0.52, 1.0),
        ("L2R", K, 0.8, 0): rec(0.55, 2.0), ("L2R", K, 0.8, 1): rec(0.57, 2.0),
        ("IEG", K, 0.8, 0): rec(0.60, 4.0), ("IEG", K, 0.8, 1): rec(0.64, 4.0),
        ("CE on the probe alone", K, 0.8, 0): rec(0.40), ("CE on the probe alone", K, 0.8, 1): rec(0.42),
        ("probe", 1): rec(0.53), ("ablation", "IEG-2"): rec(0.58), ("CE", K, 0.4, 0): rec(0.7)}


def test_probe_sweep_alone_and_steps():
    sweep = report.ieg_probe_sweep(RECS, S, 0)
    assert sweep.to_dict() == pytest.approx({1: 53.0, 3: 60.0})
    alone = report.ieg_probe_alone(RECS, S)
    assert alone["IEG − probe alone"].tolist() == pytest.approx([20.0, 22.0])
    assert report.ieg_steps({"num_probe": 30, "num_train": 300}, S["run"]) == {"probe_steps": 2 * 1, "ieg_steps": 2 * 18}
    assert report.ieg_steps({"num_probe": 10, "num_train": 300}, S["run"])["probe_steps"] == 2   # one partial batch


def test_table2_probe_and_sweep_table():
    t2 = pd.DataFrame({"method": ["IEG", "IEG", "GCE"], "rate": [0.8, 0.4, 0.8], "probe_size": [100, 100, None],
                       "cell": ["40.0", "60.0", "30.0"]})
    t2_ieg = report.ieg_table2_probe(t2, 0.8)
    assert t2_ieg.to_dict() == {1: "40.0"}
    table = report.ieg_sweep_table(pd.Series({1: 53.0, 3: 60.0}), t2_ieg, 0.8)
    assert table.iloc[:, 1].tolist() == ["40.0", report.MISSING]


def test_ladder_claims_and_their_values():
    t1, t2, t7 = (report.paper_table(report.PAPER_TABLES / f"ieg_table{n}.csv")
                  for n in ("1_cifar10", "2_cifar100", "7_ablation"))
    lad = report.ieg_ladder(RECS, S, t7, 0)
    assert lad.loc[["IEG-1", "IEG-2", "IEG-5"], "ours"].tolist() == pytest.approx([55.0, 58.0, 60.0])
    assert lad.loc[["IEG-2", "IEG-5"], "gain"].tolist() == pytest.approx([3.0, 2.0])
    assert report.ieg_added("IEG-1", "IEG-2") == "λ" and report.ieg_added("IEG-4", "IEG-5") == "UC"
    assert lad.loc["IEG-2", "paper gain"] == pytest.approx(lad.loc["IEG-2", "paper 0.8"] - lad.loc["IEG-1", "paper 0.8"])
    unprinted = report.ieg_ladder(RECS, S, t7.iloc[:0], 0)        # a rate the paper does not print (noise_rates)
    assert unprinted["paper gain"].isna().all() and unprinted["gain"].equals(lad["gain"])
    claims = report.ieg_claims(RECS, S, {"t1": t1, "t2": t2, "t7": t7}, report.ieg_probe_sweep(RECS, S, 0),
                               pd.Series(dtype=object), lad, 1.0,
                               dict(beat_ce=0.0, beat_l2r=0.0, step_gain=0.0, beat_probe=0.0))
    values = report.ieg_claim_values(claims)
    assert values["claim_ce_ours"] == pytest.approx(11.0) and values["claim_l2r_ours"] == pytest.approx(6.0)
    assert values["claim_probe1_ours"] == pytest.approx(3.0) and values["claim_alone_ours"] == pytest.approx(21.0)
    assert values["ladder_steps"] == 2 and len(claims) == 6


def test_yardstick_text_and_relabel_text():
    assert "about 2.8 points" in report.yardstick_text(1.0, 0.8)
    assert report.yardstick_text(float("nan"), 0.8).startswith("One seed")
    h = {"lambda_clean": 0.9, "lambda_noisy": 0.2, "pseudo_acc_noisy": 0.5, "pseudo_acc_clean": 0.8}
    assert report.ieg_relabel_text({0.8: h}) == ("At r = 0.8: mean λ* 0.90 on clean samples and 0.20 on mislabelled ones "
                                                 "(1 keeps the given label); the pseudo label's arg-max is the true label "
                                                 "for 50.0 % of the mislabelled samples (80.0 % of the clean).")


def test_isolation_rho_and_epoch_cost_tables():
    iso = report.ieg_isolation_table(RECS, [(K, 0.8, 0)])
    assert iso.loc[("IEG", 0.8), "AUROC, last epoch"] == 0.7 and iso.loc[("IEG", 0.8), "AUROC, mean over epochs"] == 0.6
    values = report.ieg_isolation_values({"lambda_clean": 0.9, "lambda_noisy": 0.2, "pseudo_acc_noisy": 0.5}, iso, 0.8)
    assert values == pytest.approx({"lambda_clean": 0.9, "lambda_noisy": 0.2, "pseudo_noisy": 50.0,
                                    "auroc_ieg": 0.7, "auroc_l2r": 0.7})
    rho = report.ieg_rho_table(RECS, S, 10)
    assert rho["r (C − 1) / C"].tolist() == pytest.approx([0.72, 0.72, 0.36])
    cost = report.ieg_epoch_cost(RECS, ["CE", "L2R", "IEG"], (K, 0.8))
    assert cost["÷ CE"].tolist() == pytest.approx([1.0, 2.0, 4.0])


def test_cost_text_by_hand():
    s = pd.Series({"CE": 1.0, "L2R": 2.0, "IEG": 4.0, "IEG, meta_grad = backprop": 6.0, "IEG, meta_params = head": 3.0,
                   "EG (no meta step)": 3.0})
    text = report.ieg_cost_text(s, 3.0)
    assert "**4.0 CE steps**" in text and "missed by 1.0" in text and "is 25 % of it, 1.0000 s" in text
    assert "are 50 %" in text and "costs 1.50 times" in text and "only 0.75 times" in text


def test_paper_grids_and_probe_counts():
    t1 = report.paper_table(report.PAPER_TABLES / "ieg_table1_cifar10.csv")
    grid = report.ieg_paper_grid(t1)                       # a row per method, network and probe, as printed
    assert grid.index.names == ["method", "network", "probe"]
    assert grid.loc[("IEG", "WRN-28-10", "100"), 0.8] == report.paper_cell([t1], "cifar10", "symmetric-uniform", 0.8, ["IEG"])
    assert report.ieg_paper_grid(t1, probe=False).index.names == ["method", "network"]
    ds = type("D", (), {"num_classes": 2, "classes": ["a", "b"],
                        "train": type("T", (), {"labels": torch.tensor([0, 1, 1, 0, 1])})()})()
    prep = type("P", (), {"dataset": ds, "probe_idx": np.array([0, 1]), "true": np.array([1, 0, 1]),
                          "labels": np.array([1, 1, 0])})()
    counts = report.probe_counts(prep)
    assert counts.values.tolist() == [[1, 1, 1], [1, 2, 1]]


# ----------------------------------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------------------------------

def test_figures_draw_their_panels():
    fig = plot.ieg_coefficient_histograms({"paper": np.random.default_rng(0).beta(0.5, 0.5, 100),
                                           "code": 1 - np.random.default_rng(1).random(100) ** 2 / 2})
    assert len(fig.axes) == 1
    W = {"L2R": {"omega_trace": np.ones((4, 6), np.float16), "given": np.arange(6) % 2, "true": np.zeros(6)}}
    assert len(plot.ieg_weight_histograms(W, 3, "r = 0.8").axes) == 3
    assert len(plot.ieg_relabel_scatter(np.linspace(0, 1, 4), np.ones(4), [True, False, True, False]).axes) == 1
    terms = report.ieg_loss_terms([{"epoch": e, "L_omega": 1, "L_lam": 1, "L_p": 1, "L_u": 1, "L_kl": 1} for e in (1, 2)],
                                  5, 20)
    assert len(plot.ieg_loss_terms(terms, "t").axes) == 1
    lad = pd.DataFrame({"ours": [1.0, 2.0], "paper 0.8": [1.5, 2.5]}, index=["IEG-1", "IEG-5"])
    assert len(plot.ieg_ladder(lad, ["IEG-1", "IEG-5"], 0.8, "ours").axes) == 1
    assert len(plot.ieg_probe_sweep(pd.Series({1: 50.0, 3: 60.0}), 40.0, 30.0, 3, "t").axes) == 1
    plt.close("all")
