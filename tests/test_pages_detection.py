"""The detection page: its measures by hand, its plan (blocks, arms shared with the chapters, folds,
seeds) and the extras a campaign brings back for it."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from lnl import detect, engine, plans, report, runner
from lnl.report.detection import Block

pytest.importorskip("cleanlab")

PAGE = "detection/index"


def test_detector_metrics_by_hand():
    wrong = np.array([True, True, False, False, False])
    m = report.detector_metrics(np.array([0.1, 0.2, 0.9, 0.8, 0.3]), np.array([1, 0, 0, 0, 1], bool), wrong)
    # every clean score above every wrong one; flagged {0, 4}: one hit of two, one of the two wrong found
    assert m["AUROC"] == 1.0 and m["flagged"] == 2 and m["precision"] == 0.5 and m["recall"] == 0.5
    assert m["F1"] == 0.5 and m["precision@k"] == 1.0                # the two lowest scores are the two wrong
    m = report.detector_metrics(np.array([0.4, 0.6, 0.5, 0.7]), None, np.array([True, False, False, True]))
    # clean (0.6, 0.5) against wrong (0.4, 0.7): 2 of the 4 pairs ordered right; lowest two: 0.4 wrong, 0.5 clean
    assert m["AUROC"] == 0.5 and m["precision@k"] == 0.5
    assert all(math.isnan(m[c]) for c in ("flagged", "precision", "recall", "F1"))
    assert math.isnan(report.detector_metrics(np.arange(3.0), None, np.zeros(3, bool))["AUROC"])


def tiny_block():
    given, true = np.array([0, 1, 1, 0, 1, 0]), np.array([0, 1, 0, 0, 1, 1])   # samples 2 and 5 mislabelled
    history = [{"loss_auroc": 0.6}, {"loss_auroc": 0.75}]
    records = {"CE": {"config": {"method": "ce"}, "detection": "loss", "history": history,
                      "timing": {"epoch_s": [1.0, 1.0]}},
               "IEG": {"config": {"method": "ieg"}, "detection": "omega",
                       "history": [{"omega_auroc": None}, {"omega_auroc": 0.9}], "timing": {"epoch_s": [3.0, 3.0]}}}
    block = Block("tiny", given, true,
                  scores={"CE": np.array([0.9, 0.8, 0.1, 0.7, 0.6, 0.2]),
                          "IEG": np.array([0.5, 0.4, 0.0, 0.0, 0.3, 0.2])},
                  p_clean={"CE": np.array([0.9, 0.8, 0.1, 0.7, 0.4, 0.2]), "IEG": None},
                  predicted={"CE": np.array([0, 1, 0, 0, 0, 1]), "IEG": true},
                  records=records, quality=np.array([0.8, 0.3, 0.2, 0.9, 0.7, 0.6]),
                  issue=np.array([False, True, True, False, False, False]),
                  fold_records=[{"timing": {"epoch_s": [0.5, 0.5]}}] * 3,
                  images=np.zeros((6, 1, 4, 4), np.uint8), classes=("a", "b"))
    block.predicted["cleanlab"] = np.array([0, 0, 0, 0, 1, 1])
    return block


def test_the_metrics_table_flags_by_p_clean_by_omega_and_by_cleanlab_issues():
    t = report.detection_metrics_table(tiny_block())
    assert list(t.index) == ["CE", "IEG", "cleanlab"] and (t["k"] == 2).all()
    assert t.loc["CE", "score"] == "−loss" and t.loc["IEG", "score"] == "ω*"
    # CE flags P(clean) < 0.5: {2, 4, 5}, of which 2 and 5 are wrong
    assert t.loc["CE", "flagged"] == 3 and t.loc["CE", "precision"] == pytest.approx(2 / 3)
    assert t.loc["CE", "recall"] == 1.0 and t.loc["CE", "AUROC"] == 1.0
    # IEG flags ω* = 0: {2, 3}, one of them wrong
    assert t.loc["IEG", "flagged"] == 2 and t.loc["IEG", "precision"] == 0.5 and t.loc["IEG", "recall"] == 0.5
    # cleanlab flags {1, 2}; its two lowest qualities are 0.2 (sample 2, wrong) and 0.3 (sample 1, clean)
    assert t.loc["cleanlab", "precision"] == 0.5 and t.loc["cleanlab", "precision@k"] == 0.5
    assert t.loc["cleanlab", "score"] == "self-confidence, 3-fold"
    summary = report.detection_summary([tiny_block()])
    assert summary.loc["CE", "tiny"] == 1.0


def test_the_ranking_keeps_the_detectors_of_every_block_by_mean_auroc():
    one = tiny_block()
    two = dataclasses.replace(one, name="tiny2", scores={"CE": np.array([0.9, 0.8, 0.1, 0.7, 0.6, 0.85])},
                              p_clean={"CE": None}, predicted={"CE": one.true, "cleanlab": one.true},
                              records={"CE": one.records["CE"]})
    t = report.detector_ranking([one, two])
    # IEG scores only the first block; cleanlab's quality gives 7 of 8 pairs in both (0.875), CE 1 and
    # 5 of 8 in the second (its wrong sample 5 scores 0.85, below only 0.9): mean 0.8125
    assert t.index.tolist() == ["cleanlab", "CE"] and t["rank"].tolist() == [1, 2]
    assert t.loc["cleanlab", "mean AUROC"] == 0.875 and t.loc["CE", "tiny2"] == 0.625
    assert t.loc["CE", "mean AUROC"] == 0.8125 and t["method"].tolist() == ["cleanlab", "ce"]


def test_auroc_over_epochs_cost_and_the_most_suspicious():
    block = tiny_block()
    curves = report.auroc_over_epochs(block)
    assert curves["CE"].tolist() == [0.6, 0.75] and math.isnan(curves["IEG"][1]) and curves["IEG"][2] == 0.9
    cost = report.detector_cost(block)["÷ one CE training"]
    assert cost.to_dict() == {"CE": 1.0, "IEG": 3.0, "cleanlab": 1.5}       # 6 s and 3 folds of 1 s, over 2 s
    top = report.most_suspicious(block, "CE", 3)
    assert top.index.tolist() == [2, 5, 4] and top["mislabelled"].tolist() == [True, True, False]
    assert top.loc[2, "given"] == "b" and top.loc[2, "true"] == "a" and top.loc[2, "predicted"] == "a"
    assert report.most_suspicious(block, "cleanlab", 1).index.tolist() == [2]


def test_disagreement_with_cleanlab_by_hand():
    t = report.disagreement_table(tiny_block(), "CE")
    # CE flags {2, 4, 5}, cleanlab {1, 2}: both {2}, CE alone {4, 5}, cleanlab alone {1}, neither {0, 3}
    assert t["samples"].tolist() == [1, 2, 1, 2] and sum(t["samples"]) == 6
    assert t["truly mislabelled"].tolist() == [1.0, 0.5, 0.0, 0.0]
    # IEG has no clean probability: it flags as many as cleanlab, its two lowest scores {2, 3}
    assert report.disagreement_table(tiny_block(), "IEG")["samples"].tolist() == [1, 1, 1, 3]
    assert -1 <= t.attrs["spearman"] <= 1


def test_cleanlab_flags_the_label_its_out_of_sample_network_contradicts():
    given = np.array([0, 1, 0, 1])
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.05, 0.95], [0.3, 0.7]])   # sample 2: labelled 0, seen as 1
    quality, issue = report.cleanlab_scores(given, probs)
    assert quality.tolist() == pytest.approx([0.9, 0.8, 0.05, 0.7]) and issue.tolist() == [False, False, True, False]


def test_cleanlab_published_values_and_the_gpu_rows_before_a_campaign(tmp_path):
    pub = report.cleanlab_published()
    assert pub.loc["worse", "value"] == 0.963435 and pub.loc["aggre", "value"] == 0.9773
    t = report.published_beside_ours(plans.plan(PAGE, "gpu"), root=tmp_path)
    assert t.index.tolist() == ["worse", "aggre"] and t.loc["worse", "cleanlab, published"] == 0.963435
    assert (t.drop(columns=["cleanlab, published", "its protocol"]) == "not run yet").all().all()


@pytest.mark.parametrize("profile", ["smoke", "cpu", "gpu", "paper"])
def test_each_block_has_its_arms_and_cleanlab_folds_of_its_own_ce(profile):
    S, runs = plans.settings(PAGE, profile), plans.plan(PAGE, profile)
    assert {p.config.seed for p in runs} == {0} and all(p.keep_state for p in runs)
    for block in S["blocks"]:
        mine = {p.key[1:]: p for p in runs if p.key[0] == block["name"]}
        folds = block.get("folds", S["folds"])
        assert set(mine) == {(a,) for a in block["arms"]} | {("cleanlab", k) for k in range(1, folds + 1)}
        ce = mine[("CE",)].config
        for k in range(1, folds + 1):
            fold = mine[("cleanlab", k)]
            assert fold.config == detect.fold_config(ce, k, folds) and fold.extras == ("heldout_probs",)
        for arm in block["arms"]:       # every arm sees the same data, noise and training samples as CE
            c = mine[(arm,)].config
            assert (c.dataset, c.noise, c.rate, c.label_set, c.train_per_class, c.probe_per_class) == \
                (ce.dataset, ce.noise, ce.rate, ce.label_set, ce.train_per_class, ce.probe_per_class)
    if profile == "smoke":
        assert {p.config.dataset for p in runs} == {"digits"}
    if profile in ("gpu", "paper"):
        assert {p.config.dataset for p in runs} == {"cifar10n"} and {p.config.label_set for p in runs} == \
            {"worse", "aggre"} and {p.config.model for p in runs} == {"preact-resnet18"}


def test_the_cpu_plan_shares_the_chapters_runs_and_adds_only_cheap_ones():
    runs = plans.plan(PAGE, "cpu")
    chapters = {p.run_id for page in plans.pages() if page != PAGE for p in plans.plan(page, "cpu")}
    new = plans.unique([p for p in runs if p.run_id not in chapters])
    methods = [p.config.method for p in new]
    # the expensive arms (DivideMix, SANM, IEG, MixNN) are the chapters' runs; the page adds folds,
    # CE, Co-teaching, ELR and ALR runs alone
    assert set(methods) <= {"ce", "coteaching", "elr", "alr"}
    assert sum(p.config.fold is not None for p in new) == 5 * 3 + 2 * 3 and len(new) == 30   # K = 3 at cpu
    sym = "Fashion-MNIST, symmetric 0.8"
    assert all(p.run_id in chapters for p in runs if p.key[0] == sym and p.key[1] != "cleanlab")
    assert {p.key[1] for p in runs if p.key[0] == sym} >= {"DivideMix", "SANM(CE)", "ALR", "Co-teaching", "ELR"}
    assert {"IEG", "MixNN", "L2R"} <= {p.key[1] for p in runs}


def test_a_campaign_brings_back_scores_and_held_out_probabilities(tmp_path):
    from lnl import campaign

    cfg = engine.RunConfig(dataset="digits", model="mlp", train_per_class=20, test_per_class=10, epochs=2,
                           device="cpu", noise="symmetric", rate=0.4)
    for c, extra in ((cfg, "scores"), (detect.fold_config(cfg, 2, 4), "heldout_probs")):
        rec = runner.run(c, out=tmp_path, keep_state=True, progress=False)
        campaign.write_extras(tmp_path / f"{rec['run_id']}.json", (extra,))
        got = campaign.read_extras(tmp_path / f"{rec['run_id']}.json")
        if extra == "scores":
            assert got["score"].shape == (200,) and got["p_clean"].shape == (200,) and got["predicted"].max() < 10
        else:
            assert got["heldout_probs"].shape == (50, 10)
            assert np.allclose(got["heldout_probs"].sum(1), 1, atol=1e-5)


def test_the_figures_draw_every_series_and_image():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lnl import plot

    block = tiny_block()
    ax = plot.detection_auroc_curves(report.auroc_over_epochs(block), cleanlab=0.8, title="tiny")
    assert len(ax.lines) == 2 + 2                                  # two arms, cleanlab and chance
    fig = plot.flagged_gallery(block, report.most_suspicious(block, "CE", 3), title="tiny")
    assert sum(a.axison for a in fig.axes) == 3 and fig.axes[0].get_title() == "b → a"
    plt.close("all")
    assert isinstance(report.detection_protocol(plans.settings(PAGE, "cpu")), pd.DataFrame)
