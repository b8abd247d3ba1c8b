"""The MixNN pages' library functions on hand-computed examples (lnl.methods.mixnn, lnl.report, lnl.knn, lnl.plot)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
import torch

from lnl import knn, plot, report
from lnl.walkthrough import mixnn as mixnn_walk


def test_neighbour_shares_by_hand():
    # four points on a line: 0 and 1 together, 2 and 3 together; sample 1 mislabelled (given 1, true 0)
    emb = torch.tensor([[0.0], [0.1], [5.0], [5.1]])
    true, given = np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1])
    s = mixnn_walk.neighbour_shares(emb, given, true, 1, 2)
    assert s["1-NN has the sample's true class"] == 1.0           # its neighbour 0 is of class 0
    assert s["majority of 1-NN has it"] == 1.0
    assert s["1-NN's given label is the sample's true class"] == 1.0   # neighbour 0's label is 0
    assert s["clean samples: 1-NN has their class"] == 1.0


def test_pair_weights_are_eq_10_by_hand():
    t = mixnn_walk.pair_weights(0.9, 0.1, np.random.default_rng(0))
    assert list(t.index) == list(mixnn_walk.PAIR_CASES) + ["both w = 0"]
    assert t.loc["clean–mislabelled", "λ_i (GMM)"] == pytest.approx(0.9)
    assert t.loc["mislabelled–clean", "λ_i (GMM)"] == pytest.approx(0.1)
    assert np.allclose(t["λ_i + β_i"], 1) and np.allclose(t["λ_i (AVG)"], 0.5)
    assert t.loc["both w = 0", "λ_i (GMM)"] == pytest.approx(0.5)


def test_typical_pairs_takes_the_median_pair_of_each_case():
    is_clean = np.array([True, True, False, False, True])
    true = np.zeros(5, int)
    nbr = np.array([1, 0, 3, 2, 2])
    w = np.array([0.8, 0.8, 0.2, 0.2, 0.6])
    pairs = mixnn_walk.typical_pairs(nbr, w, is_clean, true)
    assert pairs["clean–clean"]["n"] == 2 and pairs["clean–clean"]["lam_median"] == pytest.approx(0.5)
    assert pairs["clean–mislabelled"] == {"i": 4, "j": 2, "lam_median": pytest.approx(0.75), "n": 1}
    assert "mislabelled–clean" not in pairs                        # no such pair: left out


class _Data:
    device = torch.device("cpu")

    def __init__(self, images):
        self.images = images

    def batch(self, idx):
        return self.images[idx]


def test_neighbour_mix_is_eq_4_and_5():
    data = _Data(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    m = mixnn_walk.neighbour_mix(data, [0], [1], np.array([0.75, 0.25]), np.array([0, 1]), 2, schemes=("gmm", "avg"))
    assert torch.allclose(m["gmm"]["x_mix"], torch.tensor([[0.75, 0.25]]))
    assert torch.allclose(m["gmm"]["y_mix"], torch.tensor([[0.75, 0.25]]))
    assert torch.allclose(m["avg"]["y_mix"], torch.tensor([[0.5, 0.5]]))


def test_cases_table_reads_the_mix():
    data = _Data(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    w = np.array([0.75, 0.25])
    m = mixnn_walk.neighbour_mix(data, [0], [1], w, np.array([0, 1]), 2, schemes=("gmm", "avg"))
    t = mixnn_walk.cases_table({"clean–mislabelled": {"i": 0, "j": 1, "lam_median": 0.75, "n": 3}}, m, w, np.array([0, 0]))
    row = t.loc["clean–mislabelled"]
    assert row["pairs of this case"] == 3 and row["ỹ_i on the true class (GMM)"] == pytest.approx(0.75)
    assert row["ỹ_i on the true class (AVG)"] == pytest.approx(0.5)


def test_true_class_mass_by_hand():
    # sample 0 clean (w 1), sample 1 mislabelled (w 0), neighbours of each other
    given, true = np.array([0, 1]), np.array([0, 0])
    m = mixnn_walk.true_class_mass(np.array([1.0, 0.0]), np.array([1, 0]), given, true)
    assert m.iloc[0] == 0.5                          # one label of two is right
    assert m.iloc[1] == pytest.approx(0.5)           # AVG: (1/2 + 1/2) / 2
    assert m.iloc[2] == pytest.approx(1.0)           # GMM: sample 0 keeps its label, 1 takes 0's


@pytest.mark.parametrize("alpha, p_y", [(0.9, 1.0), (0.9, 0.5), (0.7, 0.8), (0.5, 0.6)])
def test_flip_closed_form_matches_the_ema(alpha, p_y):
    C = 10
    assert mixnn_walk.simulated_flip(alpha, p_y, C) == mixnn_walk.flip_updates(alpha, p_y - (1 - p_y) / (C - 1))


def test_flip_updates_by_hand():
    # C = 2, p_y = 0.9: d = 0.8, α = 0.5: ⌊ln 2.25 / ln 2⌋ + 1 = 2; t = (0, 1) -> (.45, .55) -> (.675, .325)
    assert mixnn_walk.flip_updates(0.5, 0.8) == 2
    t = mixnn_walk.flip_table([0.5], [0.9], 2)
    assert t.loc[(0.5, 0.9), "updates until argmax t = y"] == 2 and t.loc[(0.5, 0.9), "time constant 1/(1 − α)"] == 2


def test_batch_search_within_batches_of_the_whole_set():
    emb = torch.tensor([[0.0], [0.1], [5.0], [5.1]])
    true, given = np.array([0, 0, 1, 1]), np.array([1, 0, 1, 1])
    nbr = knn.knn(emb, 1)[:, 0].numpy()
    t = mixnn_walk.batch_search(emb, given, true, nbr, 4)
    assert t.iloc[0, 0] == 1.0 and t.iloc[1, 0] == 1.0 and t.iloc[0, 1] == 1.0


def test_neighbour_checks_by_hand():
    shares = pd.DataFrame({"a": [0.9], "b": [0.9], "c": [0.5]}, index=["40%"])
    checks = report.neighbour_checks(shares, {0.4: 0.4}, 10)
    assert [c.holds for c in checks] == [True, True, True]       # 0.9 > 0.3; 0.5 < 0.8; |0.5 − 0.54| < 0.1
    assert checks[2].value == pytest.approx(0.04)


def _rec(best, last, last10, train=0.6, memo=0.1, hist=None):
    return {"summary": {"test_acc_best": best, "best_epoch": 3, "test_acc_last": last, "test_acc_last10": last10},
            "history": hist or [{"train_acc": train, "noisy_acc_given": memo}]}


def test_run_summary_and_training_checks():
    ce, mix = _rec(0.9, 0.8, 0.8, train=0.9, memo=0.5), _rec(0.95, 0.94, 0.94, train=0.6, memo=0.1)
    summ = report.run_summary({"CE": ce, "MixNN": mix})
    assert summ.loc["MixNN", "test_acc_last"] == 0.94 and list(summ.columns) == list(report.RUN_SUMMARY)
    checks = report.training_checks(summ, ce["history"][-1], mix["history"][-1], rho=0.4)
    assert [c.holds for c in checks] == [True, True, True, True, True, True]
    assert checks[4].value == pytest.approx(0.2)


def test_pull_means_and_clean_share():
    hc = [{"epoch": e, "grad_coef_clean": 0.5, "grad_coef_noisy": 0.5 * e} for e in (1, 2, 3)]
    hm = [{"epoch": e, "grad_coef_clean": 0.2, "grad_coef_noisy": 0.4 / e, "lam_mean": 0.5} for e in (1, 2, 3)]
    g = report.pull_means({"history": hc}, {"history": hm}, warmup=1, e_s=2)
    assert g["ce_noisy"] == pytest.approx(1.25) and g["mix_noisy"] == pytest.approx(0.4 * (1 / 2 + 1 / 3) / 2)
    assert g["ratio_first"] == 1 and g["ratio_last"] == 3 and g["mix_noisy_warm"] == 0.4
    assert report.clean_share(0.2, 0.2, 0.5) == 0.5 and report.clean_share(0.3, 0.1, 0.5) == pytest.approx(0.75)
    assert "does not hold" not in report.pull_prose(g, 0.5).split("\n\n")[0]


def test_correction_shares_by_hand():
    c = report.correction_shares([0, 1, 1, 0], [0, 0, 1, 1], [0, 0, 0, 0])
    assert c == {"correction_acc": 0.5, "given_acc": 0.5, "fixed": 0.5, "broken": 0.5, "moved": 0.5}


def _fixed_recs():
    def rec(v):
        return {"summary": {"test_acc_last10": v}}
    recs = {}
    for arm, vals in {"MixNN": (0.9, 0.8), "CE": (0.5, 0.5), "MixNN w/o K nearest neighbours": (0.7, 0.6),
                      "MixNN w/o weight estimation (AVG)": (0.6, 0.6), "MixNN w/o label correction": (0.7, 0.7)}.items():
        recs[arm, "symmetric", 0.8, 0], recs[arm, "symmetric", 0.8, 1] = rec(vals[0]), rec(vals[1])
    recs["MixNN", "symmetric", 0.4, 0], recs["MixNN w/o label correction", "symmetric", 0.4, 0] = rec(0.9), rec(0.88)
    return recs


def test_mixnn_claims_by_hand():
    tables = [report.paper_table("mixnn_table4_ablation.csv"), report.paper_table("mixnn_table1_cifar.csv")]
    names = {a: (a, a.replace("MixNN", "MixNN (Ours)")) for a in
             ("MixNN", "CE", "MixNN w/o K nearest neighbours", "MixNN w/o weight estimation (AVG)",
              "MixNN w/o label correction")}
    claims, gain = report.mixnn_claims(_fixed_recs(), 0.4, 0.8, tables, names)
    assert claims[0].diffs == pytest.approx({0: 40, 1: 30}) and claims[0].threshold == 10
    assert gain[0.8] == pytest.approx({0: 20, 1: 10}) and gain[0.4] == pytest.approx({0: 2})
    assert claims[3].diffs == pytest.approx({0: 18}) and claims[3].text.endswith("r = 0.8 than at r = 0.4")
    assert claims[0].paper == pytest.approx(86.08 - 53.82)
    assert claims[3].paper == pytest.approx(11.77 - 1.16, abs=0.01)


def test_convention_runs_and_as_printed():
    recs = {("CE", k, 0.8, 0): {"noise": {"rate_effective": rho}, "summary": {
        "test_acc_best": 0.5, "test_acc_last": 0.4, "test_acc_last10": 0.45}}
        for k, rho in (("symmetric", 0.8), ("symmetric-uniform", 0.72))}
    recs["CE", "symmetric", 0.8, 1] = recs["CE", "symmetric", 0.8, 0]
    t = report.convention_runs(recs, "CE", 0.8)
    assert list(t.index) == ["symmetric", "symmetric-uniform"] and t.loc["symmetric", "last"] == 40
    df = pd.DataFrame({"dataset": ["cifar10"] * 2, "method": ["A", "B"], "noise": ["symm"] * 2, "rate": [0.8] * 2,
                       "cell": ["1.00", "2.00 ± 0.10"]})
    p = report.as_printed(df)["CIFAR-10"]
    assert p.loc["B", ("symm", 0.8)] == "2.00 ± 0.10"


def test_campaign_corrections_without_extras_is_none():
    assert report.campaign_corrections([], "MixNN") is None


def test_backend_table_has_exact_recall_one():
    t = knn.backend_table(torch.randn(50, 4), 4)
    assert t.loc["exact", "recall@4"] == 1.0 and "ms per sample" in t


def test_tsne_map_balanced_pick_and_phase_lines():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    true = np.repeat([0, 1], 40)
    feats = np.random.default_rng(0).normal(size=(80, 3)) + true[:, None]
    pick = plot.tsne_map(ax, feats, true, points=64, balanced=True, given=true, classes=["a", "b"])
    assert len(pick) == 64 and (true[pick] == 0).sum() == 32
    plot.phase_lines(ax, 3, 4)
    assert [l.get_xdata()[0] for l in ax.lines[-2:]] == [3.5, 3.5]
    plt.close(fig)
