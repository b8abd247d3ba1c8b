"""The leaderboard's figure: what each method buys for what it costs."""

from __future__ import annotations

from typing import Any

from lnl.plot.style import METHOD_COLOURS


def accuracy_cost(runs: Any, ax: Any = None, baseline: str = "CE", caption: str = ""):
    """One point per method of ``runs`` (:func:`lnl.report.run_table`): its mean last-10 test
    accuracy (%) against its epoch cost as a multiple of ``baseline``'s on the same machine
    (:func:`lnl.report.cost_ratios`, on a log axis), with error bars of one standard deviation over seeds on both
    axes, in the method's colour. A method without a cost on this machine is left out. ``caption``
    (the noise cell) goes under the title."""
    import matplotlib.pyplot as plt

    from lnl.report.leaderboard import cost_ratios

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.2))
    pts = (runs.assign(cost=cost_ratios(runs, baseline), acc=100 * runs["last 10"]).dropna(subset=["cost"])
           .groupby("arm").agg(method=("method", "first"), acc=("acc", "mean"), acc_sd=("acc", "std"),
                               cost=("cost", "mean"), cost_sd=("cost", "std")).fillna({"acc_sd": 0, "cost_sd": 0}))
    for arm, p in pts.iterrows():
        colour = METHOD_COLOURS[p["method"]] if p["method"] in METHOD_COLOURS else None
        ax.errorbar(p["cost"], p["acc"], xerr=p["cost_sd"], yerr=p["acc_sd"], fmt="o", color=colour, capsize=3)
        ax.annotate(arm, (p["cost"], p["acc"]), xytext=(5, 4), textcoords="offset points", fontsize=8)
    ax.set_xscale("log")                      # costs span an order of magnitude (IEG, SANM)
    ax.xaxis.set_major_formatter("{x:g}")
    ax.set_xlabel(f"epoch cost ÷ {baseline}'s (same machine, log scale)")
    ax.set_ylabel("test accuracy, mean of last 10 epochs (%)")
    ax.set_title("Accuracy against cost, one point per method" + (f"\n{caption}" if caption else ""))
    return ax
