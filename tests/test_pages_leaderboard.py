"""The leaderboard: its plan shares the chapters' runs, and its analysis on hand-made records."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from lnl import plans, report

# ----------------------------------------------------------------------------------------------
# The plan
# ----------------------------------------------------------------------------------------------


def _ids(page, profile):
    return {p.run_id for p in plans.plan(page, profile)}


@pytest.mark.parametrize("profile", plans.PROFILES)
def test_every_arm_runs_the_headline_cell_with_at_least_two_seeds(profile):
    runs = plans.plan("leaderboard", profile)
    S = plans.settings("leaderboard", profile)
    assert set(S["arms"]) | set(S["left_out"]) == set(plans.LEADERBOARD_ARMS)
    seeds = plans.settings("baselines/replication", profile)["seeds"]
    assert len(seeds) >= 2 and {p.key for p in runs} == {(a, s) for a in S["arms"] for s in seeds}
    ce = next(p.config for p in runs if p.key[0] == "CE")
    for p in runs:                           # one protocol: only the method (and IEG's probe) differ
        c = p.config
        assert (c.dataset, c.model, c.epochs, c.batch_size, c.lr, c.weight_decay, c.schedule, c.noise, c.rate,
                c.train_per_class, c.test_per_class) == (
            ce.dataset, ce.model, ce.epochs, ce.batch_size, ce.lr, ce.weight_decay, ce.schedule, ce.noise, ce.rate,
            ce.train_per_class, ce.test_per_class), p.label
        assert c.probe_per_class == (plans.settings("ieg/replication", profile)["run"]["probe_per_class"]
                                     if p.key[0] == "IEG" else 0)


@pytest.mark.parametrize("profile", plans.PROFILES)
def test_runs_a_chapter_plans_are_the_chapters_and_only_the_rest_are_new(profile):
    runs = plans.plan("leaderboard", profile)
    base, alr = _ids("baselines/replication", profile), _ids("alr/replication", profile)
    chapters = set().union(*(_ids(page, profile) for page in plans.CHAPTER_PAGES))
    for p in runs:
        if p.key[0] in plans.BASELINE_ARMS:
            assert p.run_id in base, p.label          # the Baselines replication's headline cell
        if p.key[0] == "ALR":
            assert p.run_id in alr, p.label           # the ALR replication borrows that cell
        assert (p.tier == 2) == (p.run_id in chapters), p.label   # borrowed runs last, as other pages'


def test_the_chapters_runs_it_shares_where_the_protocols_match():
    sanm_cpu, sanm_gpu = _ids("sanm/replication", "cpu"), _ids("sanm/replication", "gpu")
    by = {(p.profile, p.key[0]): p.run_id for prof in ("cpu", "gpu", "smoke")
          for p in plans.plan("leaderboard", prof) if p.key[1] == 0}
    assert by["cpu", "SANM(CE)"] in sanm_cpu                  # SANM's chapter runs on CE at cpu
    assert by["gpu", "SANM(DivideMix)"] in sanm_gpu           # and on DivideMix at gpu
    assert by["smoke", "MixNN"] in _ids("mixnn/replication", "smoke")   # same protocol at smoke
    new = [p.key for p in plans.plan("leaderboard", "cpu") if p.tier < 2]
    assert sorted(new) == [("MixNN", 0), ("MixNN", 1)]              # IEG is left out at cpu, with its reason
    assert "IEG" in plans.settings("leaderboard", "cpu")["left_out"]


@pytest.mark.parametrize("profile", plans.PROFILES)
def test_each_method_keeps_its_chapters_settings(profile):
    by = {p.key[0]: p.config for p in plans.plan("leaderboard", profile) if p.key[1] == 0}
    assert by["MixNN"].method_params == plans.settings("mixnn/replication", profile)["mixnn"]
    if "IEG" in by:
        assert by["IEG"].method_params == plans.settings("ieg/replication", profile)["ieg"]
    assert by["ALR"].method_params == plans.settings("alr/replication", profile)["alr"]
    sanm = plans.settings("sanm/replication", profile)
    host = plans.sanm_arms(sanm)[1]
    if host in by:
        assert by[host].method_params == plans.sanm_config(sanm, host, *sanm["cells"][0], 0).method_params


def test_main_seeds_and_a_bad_arm():
    assert {p.key[1] for p in plans.plan("leaderboard", "smoke", main_seeds=[0, 1, 2])} == {0, 1, 2}
    with pytest.raises(ValueError, match="Unknown leaderboard arm 'C2D'"):
        plans.leaderboard_config("smoke", "C2D", 0)


# ----------------------------------------------------------------------------------------------
# The analysis
# ----------------------------------------------------------------------------------------------

def test_bootstrap_of_two_seeds_is_enumerated():
    assert sorted(report.bootstrap_means([1.0, 3.0])) == [1.0, 2.0, 2.0, 3.0]    # 2^2 resamples
    many = report.bootstrap_means(np.arange(7.0), draws=500)                     # 7^7: sampled
    assert len(many) == 500 and many.min() >= 0 and many.max() <= 6


def test_p_beats_by_hand():
    # a's bootstrap means {1, 2, 2, 3}, b's {2}: above 1/4, tied 2/4 -> 1/4 + 1/2 * 2/4
    assert report.p_beats([1.0, 3.0], [2.0, 2.0]) == pytest.approx(0.5)
    assert report.p_beats([3.0, 4.0], [1.0, 2.0]) == 1.0                         # every seed above
    # a {1, 1.5, 1.5, 2} against b {0, 1, 1, 2}: of 16 pairs, a is above in 10 and tied in 3
    a, b = [1.0, 2.0], [0.0, 2.0]
    assert report.p_beats(a, b) == pytest.approx((10 + 0.5 * 3) / 16)
    assert report.p_beats(a, b) + report.p_beats(b, a) == pytest.approx(1.0)   # ties split evenly


def _rec(run_id, method, last10, *, detection="loss", history=None, epoch_s=(1.0, 1.0), device="cpu"):
    return {"run_id": run_id, "config": {"method": method}, "detection": detection,
            "history": history if history is not None else [{"epoch": 1, "loss_auroc": 0.8}],
            "summary": {"test_acc_best": last10 + 0.05, "test_acc_last": last10, "test_acc_last10": last10},
            "timing": {"epoch_s": list(epoch_s)}, "provenance": {"device": device, "git": {"sha": "0123456789abc"}}}


def test_detection_auroc_is_the_methods_own_score_at_the_last_epoch_that_logged_it():
    assert report.detection_auroc(_rec("a", "ce", 0.5)) == 0.8                     # small loss
    hist = [{"w_net1_auroc": 0.7, "loss_auroc": 0.1}, {"w_net1_auroc": 0.9}, {"w_net1_auroc": None}]
    assert report.detection_auroc(_rec("b", "dividemix", 0.5, detection="w_net1", history=hist)) == 0.9
    assert report.detection_auroc(_rec("c", "ce", 0.5, history=[{"epoch": 1}])) is None
    assert report.detection_auroc({"history": []}) is None                         # an older record


def _board_runs():
    recs = {("CE", 0): _rec("ce0", "ce", 0.40), ("CE", 1): _rec("ce1", "ce", 0.50, epoch_s=(3.0, 3.0)),
            ("DivideMix", 0): _rec("dm0", "dividemix", 0.60, epoch_s=(4.0, 4.0), detection="w_net1",
                                   history=[{"w_net1_auroc": 0.9}]),
            ("DivideMix", 1): _rec("dm1", "dividemix", 0.70, epoch_s=(4.0, 4.0), detection="w_net1",
                                   history=[{"w_net1_auroc": 0.95}]),
            ("IEG", 0): _rec("ieg0", "ieg", 0.45, device="other", history=[])}
    return report.run_table(recs)


def test_run_table_reads_every_run():
    t = _board_runs()
    assert list(t["arm"]) == ["CE", "CE", "DivideMix", "DivideMix", "IEG"]
    assert t.loc[1, "epoch_s"] == 3.0 and t.loc[0, "git"] == "0123456789" and np.isnan(t.loc[4, "auroc"])


def test_board_ranks_by_last10_with_cost_on_the_same_machine():
    runs = _board_runs()
    assert list(report.cost_ratios(runs).round(3).fillna(-1)) == [0.5, 1.5, 2.0, 2.0, -1]   # CE's mean: 2 s
    b = report.board(runs)
    assert list(b["method"]) == ["DivideMix", "CE", "IEG"] and list(b.index) == [1, 2, 3]
    assert b.loc[1, "last 10 (%)"] == "65.00 ± 7.07" and b.loc[1, "best (%)"] == "70.00 ± 7.07"
    assert b.loc[1, "AUROC"] == "0.925 ± 0.035" and b.loc[3, "AUROC"] == "—"
    assert b.loc[1, "cost ÷ CE"] == "2.00" and b.loc[2, "cost ÷ CE"] == "1.00" and b.loc[3, "cost ÷ CE"] == "—"
    # DivideMix {60, 65, 65, 70} against CE {40, 45, 45, 50}: every resample above
    assert b.loc[1, "P(beats next)"] == "1.00" and b.loc[3, "P(beats next)"] == "—"
    # CE {40, 45, 45, 50} against IEG's one seed, 45: above 1/4, tied 2/4
    assert b.loc[2, "P(beats next)"] == "0.50" and b["seeds"].sum() == len(runs)
    assert report.board(runs.iloc[:0]).empty
    assert "weak" in report.rank_note(runs)


def _write(path, rec):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rec))


def test_other_records_counts_what_the_board_leaves_out_by_profile(tmp_path):
    planned = plans.plan("baselines/replication", "smoke")[0]
    rec = dict(_rec(planned.run_id, "ce", 0.5), config={"method": "ce"})
    _write(tmp_path / "records" / "baselines" / f"{planned.run_id}.json", rec)
    _write(tmp_path / "records" / "leaderboard" / f"{planned.run_id}.json", rec)      # a shared copy: once
    _write(tmp_path / "results" / "x" / "mine.json", _rec("mine", "ce", 0.5))           # no plan has it
    _write(tmp_path / "results" / "x" / "shown.json", _rec("shown", "ce", 0.5))
    roots = [tmp_path / "records", tmp_path / "results"]
    t = report.other_records(roots, ["shown"])
    assert t.loc["smoke", str(tmp_path / "records")] == 1 and t.loc["off plan", str(tmp_path / "results")] == 1
    assert int(t.to_numpy().sum()) == 2
    assert report.other_records([tmp_path / "none"], []).empty


def test_gpu_board_marks_each_row_with_its_provenance():
    recs = {("CE", 0): _rec("ce0", "ce", 0.4, device="NVIDIA H100"),
            ("CE", 1): _rec("ce1", "ce", 0.5, device="NVIDIA H100")}
    found = [SimpleNamespace(planned=SimpleNamespace(key=k), record=r, status="current") for k, r in recs.items()]
    b = report.gpu_board(found)
    assert b.loc[1, "provenance"] == "NVIDIA H100 | git 0123456789 | current"
    assert report.gpu_board([]).empty


def test_the_settings_tables_name_each_arm_and_who_trains_it():
    runs = plans.plan("leaderboard", "cpu")
    t = report.arm_settings(runs)
    assert set(t.index) == set(plans.settings("leaderboard", "cpu")["arms"]) and (t["seeds"] == 2).all()
    assert t.loc["MixNN", "trained by"] == "leaderboard" and "baselines/replication" in t.loc["CE", "trained by"]
    assert t.loc["SANM(CE)", "trained by"] == "sanm/replication"
    gpu = report.arm_settings(plans.plan("leaderboard", "gpu"))
    assert gpu.loc["IEG", "trained by"] == "leaderboard" and "probe_per_class = 10" in gpu.loc["IEG", "settings"]
    p = report.board_protocol(runs)
    assert p.loc["noise", "setting"] == "symmetric, r = 0.8" and p.loc["seeds", "setting"] == "0, 1"
    cpu = plans.settings("leaderboard", "cpu")
    assert "SANM(DivideMix) is not on this profile's board" in report.left_out_note(cpu)
    assert "IEG is not on this profile's board" in report.left_out_note(cpu)
    assert report.left_out_note(plans.settings("leaderboard", "gpu")) == ""


def test_accuracy_cost_draws_one_point_per_method_with_a_cost():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import lnl.plot

    ax = lnl.plot.accuracy_cost(_board_runs(), caption="symmetric, r = 0.8")
    assert len(ax.containers) == 2                       # CE and DivideMix; IEG has no CE on its machine
    assert "CE's" in ax.get_xlabel() and ax.get_xscale() == "log" and "r = 0.8" in ax.get_title()
    matplotlib.pyplot.close(ax.figure)


def test_the_page_keeps_no_raw_dump():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "book" / "leaderboard.md").read_text()
    assert "load_records(" not in text and "lnl.report.board(" in text and "other_records(" in text
    assert not hasattr(report, "runs_summary") and not callable(getattr(report, "leaderboard", None))
