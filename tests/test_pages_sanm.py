"""The SANM chapter's library functions: each computation on a hand-made example, each figure on an Agg
canvas."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from lnl import report
from lnl.methods import sanm
from lnl.walkthrough import sanm as sanm_walk

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from lnl import plot  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_run_roles_by_plan_key():
    assert sanm_walk.run_role(("CE", "symmetric", 0.8, 0)) == "noisy"
    assert sanm_walk.run_role(("SANM(CE)", "symmetric", 0.8, 0)) == "sanm"
    assert sanm_walk.run_role(("DivideMix, clean labels", "none", 0.0, 0)) == "clean"


def test_nlr_check_by_hand():
    """ŷ = (0.7, 0.2, 0.1) with σ = 0.3: ỹ = (0.4, 0.35, 0.25); a flatter (0.4, 0.3, 0.3) with
    σ = 0.5 is capped at 0.4: ỹ = (0, 0.5, 0.5)."""
    y_hat = torch.tensor([[0.7, 0.2, 0.1], [0.4, 0.3, 0.3]])
    check = sanm_walk.nlr_check(y_hat, torch.tensor([0.3, 0.5]))
    assert torch.allclose(sanm.modulate_labels(y_hat, torch.tensor([0.3, 0.5])),
                          torch.tensor([[0.4, 0.35, 0.25], [0.0, 0.5, 0.5]]))
    assert check["max |Σ_c ỹ^σ_c − 1|"] < 1e-6 and check["min ỹ^σ_c"] == pytest.approx(0.0, abs=1e-7)
    assert check["mean top probability ŷ_k"] == pytest.approx(0.55)
    assert check["samples with σ capped at ŷ_k"] == 1


def test_nlr_on_a_one_hot_target_is_label_smoothing():
    """σ = 0.45 over C = 10: NLR keeps 0.55 on the label and 0.05 elsewhere; ε = 0.5 smooths to
    0.5 + 0.05 = 0.55 and 0.05."""
    y = torch.zeros(1, 10)
    y[0, 3] = 1
    smooth = sanm_walk.label_smoothing(y, torch.tensor([0.5]))
    assert smooth[0, 3] == pytest.approx(0.55) and smooth[0, 0] == pytest.approx(0.05)
    assert torch.allclose(sanm.modulate_labels(y, torch.tensor([0.45])), smooth)


def test_focus_images_shown_half_wrong():
    f = sanm_walk.Focus(torch.zeros(6, 1, 2, 2), torch.tensor([0, 1, 2, 3, 4, 5]),
                   {"noisy": torch.tensor([0, 0, 2, 0, 4, 5])}, {})
    assert f.shown(4).tolist() == [1, 3, 0, 2]          # wrong: 1, 3; right: 0, 2 (of 0, 2, 4, 5)
    f.pred["noisy"] = f.y.clone()                       # none wrong: all from the right ones
    assert f.shown(3).tolist() == [0, 1, 2]


def test_reconstruction_errors_by_hand():
    """Two traced images of one pixel, 0 and 2; the mean training image is 1 (of 0, 2, 1, 1)."""
    train = torch.tensor([0.0, 2.0, 1.0, 1.0]).view(4, 1, 1, 1)
    data = SimpleNamespace(batch=lambda idx: train[idx])
    ctx = SimpleNamespace(data=data, device="cpu", num_train=4)
    masked = torch.tensor([[[1.0], [2.0]], [[0.0], [2.0]]]).view(2, 2, 1, 1, 1)     # epoch 2: exact
    recon = torch.tensor([[[2.0], [2.0]], [[0.0], [1.0]]]).view(2, 2, 1, 1, 1)
    method = SimpleNamespace(trace_masked=masked, trace_recon=recon)
    mse, mse_mean = sanm_walk.reconstruction_errors(SimpleNamespace(method=method, ctx=ctx))
    assert mse.index.tolist() == [1, 2]
    assert mse.iloc[:, 0].tolist() == [2.0, 0.5] and mse.iloc[:, 1].tolist() == [0.5, 0.0]
    assert mse_mean == 1.0


def test_clean_split_by_hand():
    split = report.clean_split(torch.tensor([0.9, 0.7, 0.2, 0.8]), np.array([True, True, False, False]))
    assert split["clean"] == pytest.approx(0.8) and split["noisy"] == pytest.approx(0.5)
    assert split["auroc"] == pytest.approx(0.75)          # 3 of the 4 clean-noisy pairs in order


def test_wrong_share_by_convention():
    assert report.wrong_share("symmetric", 0.8, 10) == 0.8
    assert report.wrong_share("symmetric-uniform", 0.8, 10) == pytest.approx(0.72)


def test_yardstick_note():
    assert "no yardstick" in report.yardstick_note(float("nan"), 0.8)
    assert "1.00 points" in report.yardstick_note(1.0, 0.8) and "2.8 points" in report.yardstick_note(1.0, 0.8)


def _cam(clean, noisy, sanm_, wrong=(0.3, 0.2)):
    return pd.DataFrame({"central share": [clean, noisy, sanm_], "wrong": [wrong[0], wrong[1], 0.5]},
                        index=["clean", "noisy", "sanm"])


def test_focus_verdict_in_each_direction():
    assert "measures nothing" in report.focus_verdict(_cam(0.25, 0.25, 0.25), 1, 0.8, 10)
    text = report.focus_verdict(_cam(0.5, 0.4, 0.45), 4, 0.8, 10)
    assert "clearly less" in text and "(10.0 points)" in text and "are less central (20.0% against 30.0%)" in text
    assert "SANM moves" in text
    text = report.focus_verdict(_cam(0.41, 0.40, 0.3, wrong=(0.2, 0.3)), 4, 0.8, 10)
    assert "only slightly" in text and "not less central" in text and "SANM does not move" in text
    assert "does not look less" in report.focus_verdict(_cam(0.3, 0.4, 0.3, wrong=(np.nan, 0.2)), 4, 0.8, 10)


def test_nlr_cap_note_only_where_most_are_capped():
    assert report.nlr_cap_note(0.4, "prediction", "SANM(CE)") == ""
    assert report.nlr_cap_note(0.9, "host", "SANM(CE)") == ""
    assert "(90% here)" in report.nlr_cap_note(0.9, "prediction", "SANM(CE)")


def test_paper_tables_pivot_and_sources():
    t = pd.DataFrame({"method": ["A", "A", "B"], "rate": [0.2, 0.8, 0.2], "cell": ["1", "2", "3"],
                      "source": ["s1", "s2", "s1"]})
    assert report.pivot_cells(t, "rate").loc["A", 0.8] == "2"
    assert report.sources_of(t, t.iloc[:1]) == "s1; s2"
    tables = report.sanm_paper_tables()
    assert sorted(tables) == [1, 2, 3, 4, 5, 6] and "cell" in tables[6]


def _rec(last10, best=0.9, last=0.8, rho=0.8, wall=1.0):
    return {"summary": {"test_acc_last10": last10, "test_acc_best": best, "test_acc_last": last,
                        "noise_rate_effective": rho, "wall_time_s": wall}}


def test_summary_and_accuracy_tables():
    rows = report.summary_rows({"a": _rec(0.5, rho=0.7991, wall=1.23456)})
    assert rows.loc["a"].tolist() == [0.799, 0.8, 0.9, 1.235]
    acc = report.accuracy_table({"a": _rec(0.5), "b": _rec(0.25, best=0.5, last=0.125)})
    assert acc.loc["b"].tolist() == [50.0, 12.5, 25.0]
    shown = report.shown(pd.DataFrame({"x": [1.234, np.nan]}))
    assert shown["x"].tolist() == [1.23, ""]


def test_ladder_gains_by_hand():
    """Host 50 %, AMG 55 %, AMG+NLR 54 %, SANM 60 %: gains 5, −1, 6; Table 5's rows give the paper's."""
    cell = ("symmetric", 0.8, 0)
    recs = {("CE", *cell): _rec(0.50), ("ladder", "amg"): _rec(0.55), ("ladder", "amg+nlr"): _rec(0.54),
            ("SANM(CE)", *cell): _rec(0.60)}
    t5 = pd.DataFrame({"dataset": "cifar10", "noise": "symm", "rate": 0.8, "metric": "test_acc_best",
                       "method": ["DivideMix", "+AMG", "+AMG+NLR", "SANM(DivideMix)"],
                       "value": [90.0, 91.0, 91.5, 93.0]})
    lad = report.sanm_ladder(recs, cell, "CE", "SANM(CE)", ("amg", "amg+nlr"), t5)
    assert lad.index.tolist() == ["CE", "amg", "amg+nlr", "SANM(CE)"]
    assert lad["gain"].round(6).tolist()[1:] == [5.0, -1.0, 6.0]
    assert lad["paper gain"].tolist()[1:] == [1.0, 0.5, 1.5]
    assert lad.loc["SANM(CE)", "components"] == "amg+nlr+smr"
    unprinted = report.sanm_ladder(recs, cell, "CE", "SANM(CE)", ("amg", "amg+nlr"), t5.iloc[:0])   # off-plan rate
    assert unprinted["paper gain"].isna().all() and unprinted["gain"].equals(lad["gain"])


def test_target_forms_and_noise_shares():
    cell = ("symmetric", 0.8, 0)
    recs = {("CE", *cell): _rec(0.5, rho=0.79), ("CE", "symmetric", 0.8, 1): _rec(0.5, rho=0.81)}
    assert report.sanm_target_forms(recs, cell, "CE", "SANM(CE)", ("host",)) is None
    rho = report.noise_shares(recs, [("symmetric", 0.8)], "CE")
    assert rho["ρ (record)"].tolist() == [0.79, 0.81] and rho.index.names == ["noise", "r", "seed"]


def test_host_and_plugin_names_the_host_of_each_cell():
    assert report._HostOf("CE")(("symmetric", 0.8, "SANM(CE)")) == ("symmetric", 0.8, "CE")


def test_protocol_and_forms_tables():
    from lnl import plans

    S = plans.settings("sanm/replication", "smoke")
    table = report.sanm_protocol(S, "smoke")
    assert table.loc["data set", "value"] == S["run"]["dataset"]
    assert table.loc["noise cells", "value"] == "; ".join(f"{k} {r}" for k, r in S["cells"])
    forms = report.sanm_forms()
    assert forms.loc["anchor"].tolist() == ["centre", "corner"] and forms.loc["gamma"].tolist() == [1.0, 0.02]
    sources = report.sanm_sources(S)
    assert sources.index.tolist() == list(sanm.SOURCES)
    assert report.run_settings(S).loc["expected time per run", "setting"] == S["expect"]


def test_claims_by_hand():
    """SANM 2 points over CE on both seeds; the ladder's rungs and the ratio controls on one seed."""
    S = {"host": "ce", "cells": [("symmetric", 0.8)], "seeds": [0, 1]}
    recs = {("CE", "symmetric", 0.8, s): _rec(0.50) for s in (0, 1)}
    recs.update({("SANM(CE)", "symmetric", 0.8, s): _rec(0.52) for s in (0, 1)})
    tables = report.sanm_paper_tables()
    lad = pd.DataFrame({"ours": [50.0, 55.0, 54.0, 52.0]}, index=["CE", "amg", "amg+nlr", "SANM(CE)"])
    ratios = pd.DataFrame({"last 10": [52.0, 51.0, 53.0]}, index=["noise-aware (SANM)", "fixed", "random"])
    claims = report.sanm_claims(recs, S, tables, lad, ratios, 1.0)
    assert [c.text.split(".")[0] for c in claims] == ["1", "2", "2", "2", "3", "3"]
    assert claims[0].mean == pytest.approx(2.0) and claims[0].diffs.keys() == {0, 1}
    assert [c.mean for c in claims[1:]] == pytest.approx([5.0, -1.0, -2.0, 1.0, -1.0])
    assert claims[3].text.startswith("2. SANM (+SMR) beats amg+nlr") and "SMR can also boost" in claims[3].source
    assert all(c.spread == 1.0 for c in claims[1:])


def test_sanm_figures_draw():
    hist = [{"epoch": e + 1, "test_acc": 0.5 + 0.1 * e, "sanm_w_auroc": 0.6} for e in range(3)]
    rec = {"config": {"method": "sanm-ce", "noise": "symmetric", "rate": 0.8},
           "noise": {"kind": "symmetric", "rate_nominal": 0.8, "rate_effective": 0.8}, "history": hist}
    fig = plot.sanm_ratio_controls({"noise-aware (SANM)": rec, "fixed": rec}, "digits", 0.8, 0)
    assert len(fig.axes) == 2 and fig.axes[0].get_title() == "Eq. (2) and its controls"
    lad = pd.DataFrame({"ours": [50.0, 55.0, 54.0, 52.0], "Table 5, CIFAR-10 0.8": [90.0, 91.0, 91.5, 93.0]})
    fig = plot.sanm_ladder_curve(lad, "digits", 0.8, 0)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["host", "+AMG", "+NLR", "+SMR"]
    S = {"cells": [("symmetric", 0.8)], "seeds": [0], "cell_seeds": [0]}
    recs = {("CE", "symmetric", 0.8, 0): rec, ("SANM(CE)", "symmetric", 0.8, 0): rec}
    assert len(plot.sanm_cell_curves(recs, S, ["CE", "SANM(CE)"], "digits").axes) == 1
    fig = plot.sanm_w_detector(recs, S, "CE", "SANM(CE)")
    assert fig.axes[0].get_title() == "SANM(CE): w as a clean detector, seed 0"
    mse = pd.DataFrame({"x̂": [1.0, 0.5], "x̃": [0.8, 0.8]}, index=pd.Index([1, 2], name="epoch"))
    fig = plot.sanm_reconstruction_curve(mse, 0.6, "SANM(CE)", 8)
    assert fig.axes[0].get_yscale() == "log" and "8 traced images" in fig.axes[0].get_title()
    pair = SimpleNamespace(w=torch.tensor([0.9, 0.1]), names=("clean", "mislabelled"))
    fig = plot.sanm_ratios(sanm.SANMConfig(), pair, (8, 8), 20)
    assert len(fig.axes) == 2 and fig.axes[0].get_lines()[1].get_ydata()[0] == pytest.approx(0.2)


def test_example_pair_picks_what_the_mixture_finds():
    from lnl.models import Features

    images = torch.arange(12.0).view(4, 3, 1, 1)

    def net(x, features=False):
        z = x.flatten(1)
        return Features(z, z, x)

    ctx = SimpleNamespace(data=SimpleNamespace(batch=lambda idx: images[idx]), device="cpu")
    is_clean = np.array([True, True, False, False])
    pair = sanm_walk.example_pair(net, ctx, torch.tensor([0.4, 0.9, 0.2, 0.8]), is_clean)
    assert pair.ids.tolist() == [1, 2] and pair.w.tolist() == pytest.approx([0.9, 0.2])
    assert torch.equal(pair.x, images[[1, 2]]) and torch.equal(pair.out.logits, images[[1, 2]].flatten(1))
    pair = sanm_walk.example_pair(net, ctx, torch.tensor([0.4, 0.4, 0.9, 0.9]), is_clean)    # none found: the first of each
    assert pair.ids.tolist() == [0, 2]
    given, true = torch.tensor([0, 1, 2, 0]), torch.tensor([0, 1, 1, 2])
    table = report.pair_table(pair, given, true, ["a", "b", "c"])
    assert table.loc["mislabelled", ["given label", "true label", "predicted"]].tolist() == ["c", "b", "c"]
