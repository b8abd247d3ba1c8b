"""The ALR chapter's walk-throughs, tables, claims and figures, on examples worked by hand."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from lnl import plans, report
from lnl.walkthrough import alr as alr_walk

matplotlib = pytest.importorskip("matplotlib")  # the book's extra: pip install -e '.[book]'
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from lnl import plot  # noqa: E402

LOG2 = math.log(2.0)


def rec(seed: int = 0, last10: float = 0.5, *, epoch_s=(1.0,), memorised: float = 0.1, rho: float = 0.4,
        method: str = "ce", run_id: str = "r") -> dict:
    """A run record with what the chapter's tables read, every number chosen."""
    return {"run_id": run_id, "config": {"seed": seed, "method": method},
            "summary": {"test_acc_best": last10 + 0.1, "test_acc_last": last10, "test_acc_last10": last10,
                        "best_epoch": 1},
            "history": [{"epoch": 1, "noisy_acc_given": memorised, "noisy_acc_true": 0.5, "clean_acc": 0.9,
                         "train_acc": 0.75, "loss_auroc": 0.8, "test_acc": last10}],
            "noise": {"rate_effective": rho}, "timing": {"epoch_s": list(epoch_s)}}


# ---- lnl.methods.alr: the tutorial's walk-throughs ----

def test_target_steps_by_hand():
    steps = alr_walk.target_steps(torch.tensor([[1.0, 0.0, 0.0]]), torch.tensor([[0.1, 0.8, 0.1]]), 0.7, updates=2)
    assert steps.shape == (3, 1, 3)
    assert torch.allclose(steps[:, 0], torch.tensor([[1.0, 0.0, 0.0], [0.73, 0.24, 0.03], [0.541, 0.408, 0.051]]))


def test_updates_to_relabel_by_hand():
    t0, p = torch.tensor([[1.0, 0.0, 0.0]]), torch.tensor([[0.1, 0.8, 0.1]])
    assert alr_walk.updates_to_relabel(t0, p, 0.7) == 3            # t(2) = (0.541, 0.408, …), t(3) = (0.409, 0.526, …)
    # the exercise: 0.9^n + (1 − 0.9^n) 0.2/9 < (1 − 0.9^n) 0.8 once 0.9^n < 0.4375, from n = 8 on
    pp = torch.tensor([[0.2 / 9, 0.8] + [0.2 / 9] * 8])
    assert alr_walk.updates_to_relabel(torch.eye(10)[:1], pp, 0.9) == 8
    with pytest.raises(ValueError, match="keeps its arg-max"):
        alr_walk.updates_to_relabel(t0, torch.tensor([[0.8, 0.1, 0.1]]), 0.7, limit=5)


def test_phase_losses_by_hand():
    z = torch.tensor([[LOG2, 0.0, 0.0]])                      # p = (1/2, 1/4, 1/4), H = 1.5 log 2
    t = torch.tensor([[0.6, 0.4, 0.0]])
    row = alr_walk.phase_losses(z, t, torch.tensor([0]), torch.tensor([1]), 0.1).iloc[0]
    assert (row["given"], row["true"], row["predicted"]) == (0, 1, 0)
    assert row["t on given"] == pytest.approx(0.6)
    assert row["H(p)"] == pytest.approx(1.5 * LOG2, abs=1e-6)
    assert row["phase 1 loss"] == pytest.approx(LOG2, abs=1e-6)                  # CE on ỹ, no entropy
    ce = -(0.6 * math.log(0.5) + 0.4 * math.log(0.25))
    assert row["phase 2 loss"] == pytest.approx(ce + 0.1 * 1.5 * LOG2, abs=1e-6)


def test_timing_predictions_by_hand():
    net = torch.nn.BatchNorm1d(2)                             # running mean 0, variance 1; weight 1, bias 0
    x = torch.tensor([[0.0, 3.0], [2.0, 1.0]])                # batch mean (1, 2), variance 1: (∓1, ±1)
    p_epoch, p_batch = alr_walk.timing_predictions(net, x)
    assert torch.allclose(p_epoch, torch.softmax(x, 1), atol=1e-4)
    assert torch.allclose(p_batch, torch.softmax(torch.tensor([[-1.0, 1.0], [1.0, -1.0]]), 1), atol=1e-4)
    assert torch.equal(net.running_mean, torch.zeros(2))      # on a copy: the network's statistics stay


def test_timing_table_by_hand():
    p_epoch, p_batch = torch.tensor([[0.6, 0.4]]), torch.tensor([[0.2, 0.8]])
    row = alr_walk.timing_table(p_epoch, p_batch, torch.tensor([0]), 0.5).iloc[0]
    assert row.to_dict() == pytest.approx({"p on ỹ, epoch": 0.6, "p on ỹ, batch": 0.2,
                                           "t on ỹ, epoch": 0.8, "t on ỹ, batch": 0.6})   # α + (1 − α) p_ỹ


def test_trajectory_samples_are_the_first_of_each_kind():
    given, true = torch.tensor([0, 1, 2, 3, 4]), torch.tensor([0, 0, 2, 0, 4])
    assert alr_walk.trajectory_samples(given, true, 5, 1) == ([0], [1])
    assert alr_walk.trajectory_samples(given, true, 4, 3) == ([0, 2], [1, 3])


def test_gradient_errors_name_each_weight_and_are_rounding():
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(8, 4, generator=gen, dtype=torch.float64)
    t = torch.softmax(torch.randn(8, 4, generator=gen, dtype=torch.float64), 1)
    errors = alr_walk.gradient_errors(z, t, (0.0, 1.0))
    assert list(errors) == ["λ = 0.0", "λ = 1.0"] and max(errors.values()) < 1e-12


def test_margin_logits():
    assert torch.equal(alr_walk.margin_logits(torch.tensor([0.0, 2.0]), 3), torch.tensor([[0.0, 0, 0], [2.0, 0, 0]]))


# ---- lnl.report: the pages' tables and claims ----

def test_breakdown_at_end_and_peak_and_fit():
    r = rec(last10=0.5, memorised=0.1, rho=0.4)
    end = report.breakdown_at_end({"CE": report.memorisation_breakdown(r)})
    assert end.loc[("mislabelled", "memorised"), "CE"] == pytest.approx(0.1)
    assert end.loc[("mislabelled", "incorrect"), "CE"] == pytest.approx(1 - 0.5 - 0.1)
    assert report.peak_and_fit(r) == pytest.approx({"best": 60.0, "last": 50.0, "train": 75.0, "rho": 40.0})


def test_described_share():
    assert report.described_share("symmetric", 0.4, 10) == 0.4
    assert report.described_share("symmetric-uniform", 0.8, 10) == pytest.approx(0.72)
    assert report.described_share("asymmetric", 0.4, 10) == pytest.approx(0.2)


def test_cells_table_compares_each_arm_with_ce_in_its_cell():
    recs = {("CE", "symmetric", 0.8, 0): rec(epoch_s=(1.0, 1.0)), ("ALR", "symmetric", 0.8, 0): rec(epoch_s=(2.0, 2.0)),
            ("CE", "symmetric", 0.4, 0): rec(epoch_s=(4.0,)), ("ALR", "symmetric", 0.4, 0): rec(epoch_s=(2.0,))}
    table = report.cells_table(recs, [("symmetric", 0.8), ("symmetric", 0.4)], ["CE", "LR", "ALR"])
    assert list(table.index) == [("symmetric", 0.8, "CE"), ("symmetric", 0.8, "ALR"),
                                 ("symmetric", 0.4, "CE"), ("symmetric", 0.4, "ALR")]        # LR ran nowhere
    assert list(table["epoch time ÷ baseline"]) == pytest.approx([1.0, 2.0, 1.0, 0.5])


def test_shared_runs_line():
    runs = plans.plan("alr/tutorial", "smoke")
    assert report.shared_runs_line(runs, "smoke", ["alr/tutorial"]) == \
        f"profile smoke: {len(runs)} runs; planned by other pages too: {len(runs)} by alr/tutorial"


def test_alr_protocol_names_every_setting():
    S = plans.settings("alr/replication", "smoke")
    table = report.alr_protocol(S, "smoke", 0.1)
    assert list(table.index)[:3] == ["data set", "images per class (train / test)", "model"]
    assert table.loc["λ ablation", "value"].startswith("0.0, 0.1, ")
    assert table.loc["LR", "value"] != table.loc["ALR", "value"]


def test_ablation_table_and_its_sentence():
    S = {"cells": [("symmetric", 0.8)], "lambda_rates": (0.8, 0.4), "lambdas": (1.0,)}
    recs = {("LR", "symmetric", 0.8, 0): rec(last10=0.30), ("ALR", "symmetric", 0.8, 0): rec(last10=0.35),
            ("λ", 1.0, 0.8): rec(last10=0.10),
            ("LR", "symmetric", 0.4, 0): rec(last10=0.60), ("ALR", "symmetric", 0.4, 0): rec(last10=0.62),
            ("λ", 1.0, 0.4): rec(last10=0.50)}
    table = report.ablation_table(recs, S, 0, 0.1)
    assert list(table.index) == [0.0, 0.1, 1.0] and list(table.columns) == [0.4, 0.8]
    assert table.loc[0.1, 0.8] == pytest.approx(35.0) and table.loc[1.0, 0.4] == pytest.approx(50.0)
    text = report.collapse_sentence(table, chance=10.0)
    assert "the runs end at 50.0 % at r = 0.4 and 10.0 % at r = 0.8, against 60.0 % and 30.0 % for LR" in text
    assert "At r = 0.8 that is chance level (10 %)" in text
    assert report.collapse_sentence(table, chance=1.0).endswith("No run collapses to chance level here.")


def test_cluster_scores_and_their_table(monkeypatch):
    monkeypatch.setattr(report.alr, "clean_cluster_of", lambda record, folder: record["config"]["seed"] / 10)
    recs = {(arm, "symmetric", 0.8, s): rec(seed=s) for arm in ("LR", "ALR") for s in (0, 1)}
    scores = report.cluster_scores(recs, [("symmetric", 0.8)], ("LR", "ALR"), "folder")
    assert scores == {("LR", 0.8): {0: 0.0, 1: 0.1}, ("ALR", 0.8): {0: 0.0, 1: 0.1}}
    table = report.seed_columns(scores)
    assert list(table.columns) == ["LR, r = 0.8", "ALR, r = 0.8"] and table.index.name == "seed"
    assert table.loc[1, "ALR, r = 0.8"] == 0.1


def test_alr_claims_by_hand():
    k = "symmetric"
    recs = {}
    for s, (ce, lr, a) in enumerate([(0.40, 0.50, 0.55), (0.42, 0.50, 0.57)]):        # r = 0.8, last 10
        recs.update({("CE", k, 0.8, s): rec(s, ce, epoch_s=(2.0,)), ("LR", k, 0.8, s): rec(s, lr),
                     ("ALR", k, 0.8, s): rec(s, a, epoch_s=(2.2,))})
        recs.update({("CE", k, 0.4, s): rec(s, 0.7, memorised=0.3), ("LR", k, 0.4, s): rec(s, 0.70),
                     ("ALR", k, 0.4, s): rec(s, 0.72, memorised=0.1)})
    sil = {("ALR", 0.8): {0: 0.5, 1: 0.6}, ("LR", 0.8): {0: 0.4, 1: 0.4}}
    claims = report.alr_claims(recs, k, 0.8, 0.4, sil, 1.25)
    assert [c.text.split(".")[0] for c in claims] == ["1a", "1b", "2", "3", "4", "5"]
    expected = [{0: 15, 1: 15}, {0: 5, 1: 7}, {0: 3, 1: 5}, {0: 20, 1: 20}, {0: 0.1, 1: 0.2},
                {0: 1.25 - 1.1, 1: 1.25 - 1.1}]
    for c, diffs in zip(claims, expected):
        assert c.diffs == pytest.approx(diffs), c.text
    assert claims[0].source.startswith("Abstract") and all(c.ours for c in claims[1:])
    assert "the threshold 1.25 is ours" in claims[5].ours


def test_cost_table_and_spread():
    recs = {("CE", "symmetric", 0.8, s): rec(s, epoch_s=(1.0 + s,)) for s in (0, 1)}
    recs.update({("ALR", "symmetric", 0.8, s): rec(s, epoch_s=(3.0,)) for s in (0, 1)})
    table = report.cost_table(recs, ("symmetric", 0.8), ("CE", "ALR"),
                              others={"MixNN": ("MixNN replication", rec(epoch_s=(6.0,)), rec(epoch_s=(4.0,)))})
    assert table["÷ CE"].to_dict() == pytest.approx({"CE": 1.0, "ALR": 2.0, "MixNN": 1.5})
    assert table.loc["ALR", "epoch s"] == 3.0 and table.loc["MixNN", "protocol"] == "MixNN replication"
    assert report.spread_percent([2.0, 2.5]) == pytest.approx(25.0)


# ---- lnl.plot: the chapter's figures ----

def test_the_chapter_figures_draw():
    fig, axes = plt.subplots(1, 2)
    plot.phase_boundary(axes, 3, label="phase 2", zero=True)
    assert len(axes[0].lines) == 2 and axes[0].texts[0].get_text() == " phase 2"
    trace = torch.rand(4, 3, 3)
    ax = plot.target_trajectories(trace, torch.tensor([0, 1, 2]), torch.tensor([0, 2, 2]), [0, 1], title="t")
    assert len(ax.lines) == 3                                  # two given labels, one true (dashed)
    plot.hardening_curve(torch.linspace(0.1, 1, 5), torch.tensor([0.0, 0.3, 0.5, 0.2, 0.0]), title="h")
    b = report.memorisation_breakdown(rec())
    assert len(plot.memorisation_grid({"CE": b, "ALR": b}, "symmetric r = 0.4").axes) == 4
    recs = {(a, "symmetric", r, 0): rec(method=a.lower()) for a in ("CE", "ALR") for r in (0.8, 0.4)}
    panels = plot.arm_panels(recs, [("symmetric", 0.8), ("symmetric", 0.4)], ("CE", "LR", "ALR"), 0, "test_acc",
                             titles=["a", "b"])
    assert [len(ax.lines) for ax in panels.axes] == [2, 2]
    import pandas as pd

    ax = plot.ablation_curves(pd.DataFrame({0.4: [50.0, 40.0]}, index=[0.0, 1.0]), kind="symmetric", title="λ")
    assert ax.get_xscale() == "symlog"
    found = [SimpleNamespace(record=rec(method=m.lower()), planned=SimpleNamespace(label=m)) for m in ("CE", "ALR")]
    legend = plot.campaign_curves(found, "test_acc").get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["CE", "ALR"]
    plt.close("all")


def test_clean_tsne_draws_the_clean_samples_by_class():
    rng = np.random.default_rng(0)
    features = {"features": rng.normal(size=(40, 5)).astype(np.float32), "given": np.repeat([0, 1], 20),
                "true": np.r_[np.repeat([0, 1], 20)[:-4], [0, 0, 0, 0]]}
    ax = plot.clean_tsne(features, points=35, seed=0, classes=["a", "b"], title="t", legend=True)
    assert sum(len(c.get_offsets()) for c in ax.collections) == 35
    plt.close("all")
