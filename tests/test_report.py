"""Paper-table look-ups against the transcribed tables and a hand-made one."""

from __future__ import annotations

import pandas as pd

from lnl import report


def test_cells_as_printed_with_their_std():
    t1 = report.paper_table("mixnn_table1_cifar.csv")
    row = t1[(t1.dataset == "cifar10") & (t1.noise == "symm") & (t1.rate == 0.2) & (t1.method == "CE")].iloc[0]
    assert row["cell"] == "86.98 ± 0.12"                    # the first row of Table I, by hand
    t2 = report.paper_table("mixnn_table2_clothing1m.csv")  # no std column: the value alone
    assert "±" not in t2["cell"].iloc[0]


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
