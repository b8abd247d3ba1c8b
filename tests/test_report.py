"""Paper-table look-ups against the transcribed tables and a hand-made one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lnl import report, runner


def test_cells_as_printed_with_their_std():
    t1 = report.paper_table("mixnn_table1_cifar.csv")
    row = t1[(t1.dataset == "cifar10") & (t1.noise == "symm") & (t1.rate == 0.2) & (t1.method == "CE")].iloc[0]
    assert row["cell"] == "86.98 ± 0.12"                    # the first row of Table I, by hand
    t2 = report.paper_table("mixnn_table2_clothing1m.csv")  # no std column: the value alone
    assert "±" not in t2["cell"].iloc[0]


def test_a_claims_cells_as_its_source():
    """Table I's CE and ELR at 80 %, by hand; a book name beside the table's."""
    t1 = report.paper_table("mixnn_table1_cifar.csv")
    assert report.cell_source([t1], "cifar10", "symmetric", 0.8, "ELR", ("cross-entropy", "CE")) == \
        "ELR 73.86 ± 0.61, cross-entropy 53.82 ± 1.04"
    assert report.cell_source([t1], "cifar10", "symmetric", 0.8, "nobody") == f"nobody {report.MISSING}"


def test_lookup_follows_table_order_and_names():
    t1, t4 = report.paper_table("mixnn_table1_cifar.csv"), report.paper_table("mixnn_table4_ablation.csv")
    # Table IV's "Baseline CE" at 80 %: 53.82 ± 1.04; Table I's CE at 80 % has another std
    assert report.paper_cell([t4, t1], "cifar10", "symmetric", 0.8, ["Baseline CE"]) == "53.82 ± 1.04"
    assert report.paper_cell([t4, t1], "cifar10", "symmetric-uniform", 0.8, ["CE"]).startswith("53.82")
    # MixNN at 20 % is in Table I only, printed as "MixNN (Ours)"
    mixnn = report.paper_row([t4, t1], "cifar10", "symmetric", 0.2, ["MixNN", "MixNN (Ours)"])
    assert mixnn["table"] == "I" and mixnn["method"] == "MixNN (Ours)"
    assert report.paper_row([t4, t1], "cifar10", "asymmetric", 0.4, ["CE"])["value"] == 80.11
    assert report.paper_cell([t1], "cifar10", "symmetric", 0.55, ["CE"]) == report.MISSING
    assert report.paper_cell([t1], "cifar10", "instance", 0.4, ["CE"]) == report.MISSING


def test_first_table_wins():
    a = pd.DataFrame({"dataset": ["d"], "noise": ["symm"], "rate": [0.4], "method": ["m"], "cell": ["A"]})
    b = a.assign(cell=["B"])
    assert report.paper_cell([a, b], "d", "symmetric", 0.4, ["m"]) == "A"
    assert report.paper_cell([b, a], "d", "symmetric", 0.4, ["x", "m"]) == "B"


# --- our runs over seeds, and verdicts ------------------------------------------------------------

def test_verdicts_on_constructed_differences():
    from lnl.report import Claim, verdict_of

    assert verdict_of({0: 12.0, 1: 13.0, 2: 12.5}, 10) == "holds"                 # mean 12.5, 2 SE = 0.58
    assert verdict_of({0: 5.0, 1: 6.0, 2: 5.5}, 10) == "does not hold"
    assert verdict_of({0: 8.0, 1: 12.0}, 10) == "within seed noise"               # a tie: mean = threshold
    assert verdict_of({0: 10.0, 1: 10.0}, 10) == "within seed noise"              # no spread, exactly on it
    assert verdict_of({3: 0.4}, 0) == "holds (one seed)" and verdict_of({3: -0.4}, 0) == "does not hold (one seed)"
    with pytest.raises(ValueError, match="at least one seed"):
        verdict_of({}, 0)
    table = report.claims_table([Claim("a", {0: 1.0, 1: 3.0}, 0, 2.5, source="Table 1"), Claim("b", {4: 1.0}, ours="why")])
    assert table.loc["a", "ours (points)"] == 2.0 and table.loc["a", "± 2 SE"] == pytest.approx(2.0)
    assert table.loc["a", "seeds"] == "0, 1" and table.loc["a", "paper (points)"] == 2.5
    assert table.loc["b", "± 2 SE"] == report.MISSING and table.loc["b", "here"] == "holds (one seed)"
    assert table.loc["a", "source"] == "Table 1" and table.loc["b", "source"] == "ours: why"


def test_a_claim_says_where_it_comes_from():
    """Exactly one of source (the paper's sentence or table cell) and ours (why we check it)."""
    from lnl.report import Claim

    for kwargs in ({}, {"source": "Table 1", "ours": "why"}, {"source": "  "}, {"ours": ""}):
        with pytest.raises(ValueError, match="exactly one of source"):
            Claim("c", {0: 1.0}, **kwargs)
    assert Claim("c", {0: 1.0}, ours="teaches the split").provenance == "ours: teaches the split"


def test_paired_differences_use_the_seeds_both_arms_ran():
    assert report.paired({0: 80.0, 1: 82.0, 2: 81.0}, {1: 70.0, 2: 75.0, 3: 60.0}) == {1: 12.0, 2: 6.0}
    rec = lambda acc: {"summary": {"test_acc_last10": acc}}  # noqa: E731
    assert report.by_seed({0: rec(0.8), 1: rec(0.75)}) == pytest.approx({0: 80.0, 1: 75.0})


def test_seed_table_and_pct():
    assert report.pct([0.8, 0.9]) == "85.00 ± 7.07" and report.pct([0.8]) == "80.00"

    def rec(seed, best, last, last10):
        return {"config": {"seed": seed}, "noise": {"rate_effective": 0.4},
                "summary": {"test_acc_best": best, "test_acc_last": last, "test_acc_last10": last10},
                "history": [{"noisy_acc_given": 0.5}]}

    t = report.seed_table({("symmetric", 0.4, "CE"): [rec(0, 0.8, 0.7, 0.72), rec(1, 0.82, 0.74, 0.74)]},
                          ["noise", "r", "arm"])
    row = t.loc[("symmetric", 0.4, "CE")]
    assert row["seeds"] == "0, 1" and row["best"] == "81.00 ± 1.41" and row["last 10"] == "73.00 ± 1.41"
    assert row["last10_mean"] == pytest.approx(73.0) and row["memorised (end)"] == 0.5 and row["ρ"] == 0.4


def test_paper_differences_are_looked_up_not_typed():
    t1, t4 = report.paper_table("mixnn_table1_cifar.csv"), report.paper_table("mixnn_table4_ablation.csv")
    mixnn, ce = ("MixNN", "MixNN (Ours)"), ("CE",)
    gap = report.paper_difference([t4, t1], "cifar10", [("symmetric", 0.8, mixnn, 1), ("symmetric", 0.8, ce, -1)])
    assert gap == pytest.approx(86.08 - 53.82)             # Table I and IV, as the MixNN page quoted them
    nolc = ("MixNN w/o label correction",)
    gain = report.paper_difference([t4, t1], "cifar10", [("symmetric", 0.8, mixnn, 1), ("symmetric", 0.8, nolc, -1),
                                                         ("symmetric", 0.4, mixnn, -1), ("symmetric", 0.4, nolc, 1)])
    assert gain == pytest.approx((86.08 - 74.31) - (92.89 - 91.73))
    with pytest.raises(KeyError, match="No paper table has SANM"):
        report.paper_difference([t4], "cifar10", [("symmetric", 0.8, ("SANM",), 1)])


# --- conventions, detection, cost, published rows --------------------------------------------------

def test_every_transcribed_cifar_table_states_its_convention():
    from lnl.noise import KINDS

    for f in ("sanm_table1_cifar.csv", "sanm_table6_plugin.csv", "mixnn_table1_cifar.csv",
              "mixnn_table4_ablation.csv"):
        t = report.paper_table(f)
        for ds, noise in t[["dataset", "noise"]].drop_duplicates().itertuples(index=False):
            c = report.convention_of(f, ds, noise)
            assert c["convention"] in KINDS and c["source"]
    # a data set's own entry wins over "*": MixNN's CIFAR-100 asymmetric noise is the block variant
    assert report.convention_of("mixnn_table1_cifar.csv", "cifar100", "asymm")["convention"] == "asymmetric-blocks"
    assert report.convention_of("mixnn_table1_cifar.csv", "cifar10", "asymm")["convention"] == "asymmetric"
    assert report.convention_of("sanm_table1_cifar.csv", "cifar100", "symm")["convention"] == "symmetric-uniform"
    with pytest.raises(KeyError, match="no entry for mixnn_table2_clothing1m.csv"):
        report.convention_of("mixnn_table2_clothing1m.csv", "clothing1m", "real-world")


def _rec(seed, detection=None, aurocs=(0.6, 0.8, 0.7), epoch_s=(1.0, 1.0, 1.0), acc=(0.5, 0.6, 0.55)):
    hist = [{"test_acc": a, f"{detection or 'loss'}_auroc": u, "noisy_acc_given": 0.3} for a, u in zip(acc, aurocs)]
    rec = {"config": {"seed": seed}, "noise": {"rate_effective": 0.8}, "history": hist,
           "summary": {"test_acc_best": max(acc), "test_acc_last": acc[-1], "test_acc_last10": sum(acc) / len(acc)},
           "timing": {"epoch_s": list(epoch_s)}}
    if detection:
        rec["detection"] = detection
    return rec


def test_detection_curve_reads_the_methods_own_score():
    assert report.detection_curve(_rec(0)).tolist() == [0.6, 0.8, 0.7]          # old records: "loss"
    rec = _rec(0, "w_net1", aurocs=(0.9, 0.95, 0.97))
    rec["history"][0]["w_net1_auroc"] = None                                    # the warm-up: no division
    curve = report.detection_curve(rec)
    assert np.isnan(curve[0]) and curve[1:].tolist() == [0.95, 0.97]


def test_epoch_ratio_and_method_table():
    ce = [_rec(0, epoch_s=(1.0, 1.0, 1.0)), _rec(1, epoch_s=(2.0, 2.0, 2.0))]                 # mean 1.5 s
    dm = [_rec(0, "w_net1", aurocs=(None, 0.9, 0.8), epoch_s=(6.0, 6.0, 6.0))]
    assert report.epoch_ratio(dm, ce) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="at least one record"):
        report.epoch_ratio([], ce)
    t = report.method_table({("s", 0.8, "CE"): ce, ("s", 0.8, "DivideMix"): dm}, ["noise", "r", "arm"],
                            baseline=lambda key: (key[0], key[1], "CE"))
    assert t.loc[("s", 0.8, "DivideMix"), "epoch time ÷ baseline"] == pytest.approx(4.0)
    assert t.loc[("s", 0.8, "CE"), "epoch time ÷ baseline"] == pytest.approx(1.0)
    assert t.loc[("s", 0.8, "DivideMix"), "clean score"] == "w_net1"
    assert t.loc[("s", 0.8, "DivideMix"), "AUROC last"] == pytest.approx(0.8)
    assert t.loc[("s", 0.8, "DivideMix"), "AUROC best"] == pytest.approx(0.9)        # the warm-up's None skipped
    assert t.loc[("s", 0.8, "CE"), "AUROC last"] == pytest.approx(0.7)                  # mean over two seeds
    assert t.loc[("s", 0.8, "CE"), "seeds"] == "0, 1"


def test_published_rows_as_printed_with_our_names():
    t = report.published("sanm_table1_cifar.csv", {"CE": "Cross-Entropy (CE)", "Co-teaching+": "Co-teaching"},
                         datasets=["cifar10"])
    assert list(t.index) == [("cifar10", "CE (as printed: Cross-Entropy (CE))"),
                             ("cifar10", "Co-teaching+ (as printed: Co-teaching)")]
    assert t.loc[("cifar10", "CE (as printed: Cross-Entropy (CE))"), ("symm", 0.8)] == "62.90"  # SANM Table 1, by hand
    m = report.published("mixnn_table1_cifar.csv", {"ELR": "ELR"})
    assert m.loc[("cifar10", "ELR"), ("symm", 0.8)] == "73.86 ± 0.61"


def test_claims_on_other_units_say_what_they_measure():
    from lnl.report import Claim

    table = report.claims_table([Claim("p", {0: 0.95, 1: 0.97}, 0.9, unit="precision", source="§4"),
                                 Claim("q", {0: 2.0}, source="§5")],
                                paper_label=None, digits=3)
    assert list(table.columns) == ["ours", "unit", "threshold", "± 2 SE", "seeds", "here", "source"]
    assert table.loc["p", "unit"] == "precision" and table.loc["p", "ours"] == 0.96
    assert table.loc["p", "here"] == "holds"            # mean 0.96, 2 SE 0.01 above 0.9
    assert table.loc["q", "unit"] == "points" and table.loc["q", "here"] == "holds (one seed)"


def test_arm_records_and_history_mean():
    recs = {("CE", "symmetric", 0.8, 0): "a", ("CE", "symmetric", 0.8, 1): "b", ("CE", "symmetric", 0.5, 0): "c",
            ("ELR", "symmetric", 0.8, 0): "d"}
    assert report.arm_records(recs, "CE", "symmetric", 0.8) == {0: "a", 1: "b"}
    assert report.arm_records(recs, "Mixup", "symmetric", 0.8) == {}
    rec = {"history": [{"w": None}, {}, {"w": 0.5}, {"w": 0.7}]}
    assert report.history_mean(rec, "w") == pytest.approx(0.6) and np.isnan(report.history_mean(rec, "x"))


def test_settings_text():
    from lnl.book import settings_text

    assert settings_text({"t_k": 4, "tau": 0.5}) == "t_k = 4, tau = 0.5" and settings_text({}) == "defaults"


def test_memorisation_breakdown_by_hand():
    rec = {"run_id": "r", "history": [
        {"epoch": 1, "clean_acc": 0.9, "noisy_acc_true": 0.6, "noisy_acc_given": 0.1},
        {"epoch": 2, "clean_acc": 0.95, "noisy_acc_true": 0.2, "noisy_acc_given": 0.7}]}
    b = report.memorisation_breakdown(rec)
    assert list(b.index) == [1, 2]
    assert b.loc[2, ("clean", "incorrect")] == pytest.approx(0.05)
    assert b.loc[1, ("mislabelled", "incorrect")] == pytest.approx(0.3)
    assert b.loc[2, ("mislabelled", "memorised")] == pytest.approx(0.7)
    assert np.allclose(b["clean"].sum(axis=1), 1) and np.allclose(b["mislabelled"].sum(axis=1), 1)
    rec["history"][1]["noisy_acc_true"] = None               # a run without known truth
    with pytest.raises(ValueError, match="no training diagnostics"):
        report.memorisation_breakdown(rec)


def test_clean_cluster_score_uses_clean_samples_only():
    rng = np.random.default_rng(0)
    true = np.repeat(np.arange(3), 50)
    tight = np.eye(3)[true] * 10 + rng.normal(0, 0.1, (150, 3))
    given = true.copy()
    given[::5] = (true[::5] + 1) % 3                        # mislabelled samples ...
    loose = tight.copy()
    loose[::5] = rng.normal(0, 10, (30, 3))                 # ... scattered: they must not count
    f = {"features": loose, "given": given, "true": true}
    assert report.clean_cluster_score(f) == pytest.approx(report.clean_cluster_score(
        {"features": tight, "given": given, "true": true}))
    assert report.clean_cluster_score(f) > 0.9
    mixed = {"features": rng.normal(0, 1, (150, 3)), "given": true, "true": true}
    assert abs(report.clean_cluster_score(mixed)) < 0.1
    assert report.clean_cluster_score(f, points=20) > 0.9   # a subsample


@pytest.mark.slow
def test_trained_features_come_from_the_kept_state(tmp_path):
    from lnl import engine

    cfg = engine.RunConfig(method="alr", dataset="digits", noise="symmetric", rate=0.4, epochs=2, device="cpu",
                           method_params={"warmup": 1})
    rec = runner.run(cfg, out=tmp_path, keep_state=True)
    path = tmp_path / f"{rec['run_id']}.json"
    f = report.trained_features(path)
    n = rec["data"]["num_train"]
    assert f["features"].shape[0] == len(f["given"]) == len(f["true"]) == min(n, 5000)
    assert path.with_name(f"{rec['run_id']}.extras.npz").exists()           # written once, then read
    assert (f["given"] != f["true"]).mean() == pytest.approx(0.4, abs=0.02)
    assert report.trained_features(path)["features"].tolist() == f["features"].tolist()
    assert report.clean_cluster_of(rec, tmp_path) == report.clean_cluster_score(f, seed=0)


def test_seed_values_of_a_cell():
    recs = {("ALR", "symmetric", 0.8, 0): {"summary": {"test_acc_last10": 0.61}, "timing": {"epoch_s": [1.0, 3.0]},
                                           "history": [{"noisy_acc_given": 0.3}, {"noisy_acc_given": 0.1}]},
            ("ALR", "symmetric", 0.8, 1): {"summary": {"test_acc_last10": 0.59}, "timing": {"epoch_s": [2.0]},
                                           "history": [{"noisy_acc_given": 0.2}]},
            ("LR", "symmetric", 0.8, 0): {"summary": {"test_acc_last10": 0.5}}}
    cell = ("ALR", "symmetric", 0.8)
    assert report.seed_values(recs, cell) == pytest.approx({0: 61.0, 1: 59.0})
    assert report.seed_values(recs, cell, report.memorised_at_end) == pytest.approx({0: 10.0, 1: 20.0})
    assert report.seed_values(recs, cell, report.epoch_seconds) == {0: 2.0, 1: 2.0}
    assert report.seed_values(recs, ("ALR", "symmetric", 0.4)) == {}


def test_relabel_breakdown_by_hand():
    w = {"lam": np.array([1, 0, 1, 0, 0], dtype=np.int8), "pseudo": np.array([0, 1, 2, 3, 0]),
         "given": np.array([0, 1, 1, 0, 2]), "true": np.array([0, 1, 2, 3, 1])}
    b = report.relabel_breakdown(w)
    assert list(b.index) == ["clean", "mislabelled"] and b["samples"].tolist() == [2, 3]
    assert b.loc["clean", "λ* keeps the given label"] == pytest.approx(0.5)
    assert b.loc["clean", "target ỹ is true"] == pytest.approx(1.0)         # kept y (right) or took g (right)
    assert b.loc["mislabelled", "λ* keeps the given label"] == pytest.approx(1 / 3)
    assert b.loc["mislabelled", "pseudo label g is true"] == pytest.approx(2 / 3)
    assert b.loc["mislabelled", "target ỹ is true"] == pytest.approx(1 / 3)  # sample 2 kept its wrong label
    with pytest.raises(ValueError, match="one length"):
        report.relabel_breakdown({**w, "lam": w["lam"][:3]})


def test_one_seed_verdicts_against_a_yardstick():
    from lnl.report import Claim, verdict_of

    assert verdict_of({0: 5.0}, 0, spread=2.0) == "holds (one seed)"              # 5 − 2·2 > 0
    assert verdict_of({0: 3.0}, 0, spread=2.0) == "within seed noise (one seed)"  # 3 − 4 < 0 < 3 + 4
    assert verdict_of({0: -5.0}, 0, spread=2.0) == "does not hold (one seed)"
    assert verdict_of({0: 3.0}, 0, spread=float("nan")) == "holds (one seed)"     # no yardstick: the sign
    assert verdict_of({0: 8.0, 1: 12.0}, 10, spread=0.01) == "within seed noise"   # seeds: their own SE
    table = report.claims_table([Claim("a", {0: 3.0}, spread=1.5, source="s"), Claim("b", {0: 3.0}, source="s")])
    assert table.loc["a", "± 2 SE"] == "3.00 (yardstick)" and table.loc["a", "here"] == "within seed noise (one seed)"
    assert table.loc["b", "± 2 SE"] == report.MISSING and table.loc["b", "here"] == "holds (one seed)"


def test_seed_spread_pools_the_cells_by_their_seeds():
    rec = lambda acc: {"summary": {"test_acc_last10": acc}}  # noqa: E731
    recs = {("CE", "u", 0.8, 0): rec(0.50), ("CE", "u", 0.8, 1): rec(0.54),                    # sd² = 8
            ("IEG", "u", 0.8, 0): rec(0.70), ("IEG", "u", 0.8, 1): rec(0.71), ("IEG", "u", 0.8, 2): rec(0.72),  # 1
            ("L2R", "u", 0.8, 0): rec(0.60)}                                                   # one seed: no weight
    cells = [("CE", "u", 0.8), ("IEG", "u", 0.8), ("L2R", "u", 0.8)]
    assert report.seed_spread(recs, cells) == pytest.approx(np.sqrt((8 + 2 * 1) / 3))       # (1·8 + 2·1) / 3 dof
    assert np.isnan(report.seed_spread(recs, [("L2R", "u", 0.8)]))


def test_paper_gap_is_one_method_over_another_in_one_cell():
    from lnl import report

    t6 = report.paper_table("sanm_table6_plugin.csv")
    assert report.paper_gap([t6], "cifar10", "symmetric", 0.8, "SANM(CE)", "CE") == pytest.approx(72.1 - 62.9)
    with pytest.raises(KeyError, match="No paper table has SANM.CE. on cifar10, symmetric 0.85"):
        report.paper_gap([t6], "cifar10", "symmetric", 0.85, "SANM(CE)", "CE")       # a transcription gap
    assert report.paper_gap([t6], "cifar10", "symmetric", 0.85, "SANM(CE)", "CE", missing_ok=True) is None


def test_checks_show_what_held_instead_of_failing():
    from lnl.report import Check

    table = report.checks_table([Check("AUROC above 0.8", 0.83456, 0.83456 > 0.8),
                                 Check("memorises less", "12 %", False), Check("a flag", True, True)])
    assert list(table.columns) == ["value", "here"]
    assert table.loc["AUROC above 0.8", "value"] == 0.835 and table.loc["AUROC above 0.8", "here"] == "holds"
    assert table.loc["memorises less", "here"] == "does not hold" and table.loc["a flag", "value"] is True


def test_best_minus_last_in_points():
    assert report.best_minus_last({"summary": {"test_acc_best": 0.83, "test_acc_last": 0.822}}) == \
        pytest.approx(0.8)


def _summary_rec(seed, last10, acc_best=0.9, acc_last=0.8, rho=0.4, memorised=0.25):
    return {"config": {"seed": seed}, "noise": {"rate_effective": rho},
            "summary": {"test_acc_last10": last10, "test_acc_best": acc_best, "test_acc_last": acc_last,
                        "best_epoch": 2},
            "history": [{"noisy_acc_given": 0.1}, {"noisy_acc_given": memorised}]}


def test_cell_means_and_leads_by_hand():
    recs = {("A", "symmetric", 0.8, 0): _summary_rec(0, 0.50), ("A", "symmetric", 0.8, 1): _summary_rec(1, 0.60),
            ("B", "symmetric", 0.8, 1): _summary_rec(1, 0.45), ("B", "symmetric", 0.8, 2): _summary_rec(2, 0.40)}
    assert report.cell_mean(recs, ("A", "symmetric", 0.8)) == pytest.approx(55.0)
    assert report.cell_mean(recs, ("B", "symmetric", 0.8), report.best_minus_last) == pytest.approx(10.0)
    assert report.lead(recs, ("A", "symmetric", 0.8), ("B", "symmetric", 0.8)) == {1: pytest.approx(15.0)}


def test_verdict_lists_by_claim_number():
    claims = [report.Claim("1. a", {0: 5.0, 1: 5.1}, 0, ours="t"),            # holds
              report.Claim("2. b", {0: -5.0, 1: -5.1}, 0, ours="t"),          # does not hold
              report.Claim("3. c", {0: 1.0, 1: -1.0}, 0, ours="t"),           # within seed noise
              report.Claim("4. d", {0: 0.5}, 0, spread=1.0, ours="t")]        # within seed noise (one seed)
    assert report.verdict_lists(claims) == {"held": ["1"], "failed": ["2"], "unsure": ["3", "4"]}


def test_memorisation_table_by_hand():
    recs = {("digits", 0.4): _summary_rec(0, 0.7, acc_best=0.9, acc_last=0.75, rho=0.4, memorised=0.3)}
    auroc = {("digits", 0.4): np.array([0.7, 0.95, 0.8, 0.6])}
    row = report.memorisation_table(recs, auroc, {"digits": 2}).loc[("digits", 0.4)]
    assert row["best − last"] == pytest.approx(0.15) and row["memorised (end)"] == 0.3 and row["ρ"] == 0.4
    assert (row["GMM AUROC @ GMM epoch"], row["GMM AUROC best"], row["GMM best epoch"], row["GMM AUROC last"]) \
        == (0.95, 0.95, 2, 0.6)


def test_correction_table_by_hand():
    given, true = np.array([0, 1, 2, 3]), np.array([0, 1, 0, 0])          # samples 2 and 3 mislabelled
    corrected = np.array([0, 2, 0, 3])                                     # 2 fixed, 3 not, 1 broken
    row = report.correction_table({0.5: (given, true, corrected)}).loc[0.5]
    assert (row["ρ"], row["labels right before"], row["labels right after (argmax t)"]) == (0.5, 0.5, 0.5)
    assert (row["mislabelled now right"], row["clean now wrong"]) == (0.5, 0.5)


def test_gmm_split_reads_the_per_sample_losses(tmp_path):
    rng = np.random.default_rng(0)
    true = np.repeat(np.arange(2), 100)
    given = true.copy()
    given[:40] = 1 - given[:40]                                             # 40 mislabelled
    loss = np.where(given == true, 0.2, 2.0) + 0.1 * rng.random((3, 200))   # they lose more
    np.savez(tmp_path / "run.npz", loss=loss, given=given, true=true, epoch=np.arange(1, 4))
    split = report.gmm_split(tmp_path / "run.json")
    assert split["is_clean"].sum() == 160 and list(split["epoch"]) == [1, 2, 3]
    assert split["auroc"].shape == (3,) and (split["auroc"] == 1.0).all()    # perfectly separable
