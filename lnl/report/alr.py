"""The ALR chapter's tables and claims: the memorisation breakdown, the λ ablation and clean clusters.

The memorisation categories at the last epoch (:func:`breakdown_at_end`), the arms per noise cell
(:func:`cells_table`) and runs shared with other pages (:func:`shared_runs_line`); the replication's
protocol (:func:`alr_protocol`), its λ ablation (:func:`ablation_table`, :func:`collapse_sentence`), the
clean clusters of its runs (:func:`cluster_scores`, :func:`seed_columns`), its claims
(:func:`alr_claims`, :data:`ALR_CLAIMS_WHY`) and its cost (:func:`cost_table`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from lnl.report.claims import Claim, arm_records, lead, paired, seed_values
from lnl.report.protocol import cells_protocol, settings_text
from lnl.report.representations import clean_cluster_of
from lnl.report.summaries import memorised_at_end, method_table
from lnl.report.timing import epoch_ratio, epoch_seconds


def breakdown_at_end(breakdowns: Mapping[str, Any]):
    """The last epoch of each run's :func:`memorisation_breakdown` (``{name: breakdown}``), one
    column per run: the shares of ALR's Figure 4 when training ends."""
    import pandas as pd

    return pd.DataFrame({name: b.iloc[-1] for name, b in breakdowns.items()})


def described_share(kind: str, rate: float, num_classes: int) -> float:
    """The share of wrong labels the book's prose gives a noise cell: the rate for ``symmetric``
    (flips to another class), r (1 − 1/C) for ``symmetric-uniform`` (a flip may land on the true
    class), r / 2 for ``asymmetric`` (half the classes flip); the rate for any other kind."""
    if kind == "asymmetric":
        return rate / 2
    return rate * (1 - 1 / num_classes) if kind == "symmetric-uniform" else rate


def cells_table(recs: Mapping[tuple, Mapping[str, Any]], cells: Sequence[tuple[str, float]], arms: Sequence[str],
                baseline: str = "CE"):
    """:func:`method_table` of every arm that ran in every cell ``(kind, rate)``, from a page's
    ``{(arm, kind, rate, seed): record}``, each epoch time against ``baseline``'s in its cell."""
    groups = {(kind, rate, arm): list(arm_records(recs, arm, kind, rate).values())
              for kind, rate in cells for arm in arms if arm_records(recs, arm, kind, rate)}
    return method_table(groups, ["noise", "r", "arm"], baseline=_same_cell(baseline))


def _same_cell(arm: str) -> Callable[[tuple], tuple]:
    """The key of ``arm`` in the noise cell of a ``(kind, rate, arm)`` key."""
    def key(k: tuple) -> tuple:
        return (k[0], k[1], arm)
    return key


def shared_runs_line(runs: Sequence[Any], profile: str, pages: Sequence[str]) -> str:
    """How many of a page's planned ``runs`` each of ``pages`` plans too (and so trains once for both)."""
    from lnl import plans

    mine = {p.run_id for p in runs}
    shared = {page: len(mine & {p.run_id for p in plans.plan(page, profile)}) for page in pages}
    return (f"profile {profile}: {len(runs)} runs; planned by other pages too: "
            + ", ".join(f"{n} by {page}" for page, n in shared.items()))


def alr_protocol(S: Mapping[str, Any], profile: str, default_weight: float):
    """The ALR replication's protocol (:func:`cells_protocol`) from its settings ``S``
    (:func:`lnl.plans.settings`); ``default_weight``: the library's λ, the ALR arm."""
    from lnl.profiles import HARDWARE

    notes = S["notes"]
    weights = ", ".join(map(str, (0.0, default_weight, *S["lambdas"])))
    rows = [("ALR", settings_text(S["alr"]), notes["alr"]),
            ("LR", settings_text({**S["alr"], "entropy_weight": 0.0}), notes["lr"]),
            ("λ ablation", weights + f" at r = {', '.join(map(str, S['lambda_rates']))}",
             f"0 is LR, {default_weight} the default; 1 is Theorem 1's fragment"),
            ("ELR", settings_text(S["elr"]) + f"; cells {', '.join(f'{k} {r}' for k, r in S['elr_cells'])}",
             notes["elr"])]
    return cells_protocol(S, HARDWARE[profile], rows, seeds=("in the symmetric cells", "in the others"))


def ablation_table(recs: Mapping[tuple, Mapping[str, Any]], S: Mapping[str, Any], seed: int, default_weight: float):
    """ALR's λ ablation at ``seed``: last-10 test accuracy in %, one row per λ (0: the LR arm;
    ``default_weight``: the ALR arm; ``S["lambdas"]``: the runs keyed ``("λ", λ, rate)``), one
    column per rate of ``S["lambda_rates"]`` in the first cell's noise kind."""
    import pandas as pd

    kind, values = S["cells"][0][0], {}
    for rate in S["lambda_rates"]:
        values[(0.0, rate)] = seed_values(recs, ("LR", kind, rate))[seed]
        values[(default_weight, rate)] = seed_values(recs, ("ALR", kind, rate))[seed]
        for lam in S["lambdas"]:
            values[(lam, rate)] = 100 * recs["λ", lam, rate]["summary"]["test_acc_last10"]
    table = pd.Series(values).unstack().sort_index()
    table.index.name, table.columns.name = "λ", "r"
    return table


def collapse_sentence(table, chance: float) -> str:
    """What the largest λ of an :func:`ablation_table` did against LR (λ = 0), and whether it fell
    to chance level (below twice ``chance``, in %) at any rate: the ablation's prose."""
    top = max(table.index)
    collapsed = [r for r in table.columns if table.loc[top, r] < 2 * chance]
    return (f"At λ = {top:g}, the weight of Theorem 1's fragment as printed, the runs end at "
            + " and ".join(f"{table.loc[top, r]:.1f} % at r = {r}" for r in table.columns)
            + f", against {' and '.join(f'{table.loc[0.0, r]:.1f} %' for r in table.columns)} for LR. "
            + (f"At r = {', '.join(map(str, collapsed))} that is chance level ({chance:.0f} %): with most labels "
               "wrong the targets are soft, and an entropy term as strong as the cross-entropy drives every "
               "prediction to one confident class. A small λ, as the paper's summary says, is not a detail."
               if collapsed else "No run collapses to chance level here."))


def cluster_scores(recs: Mapping[tuple, Mapping[str, Any]], cells: Sequence[tuple[str, float]], arms: Sequence[str],
                   folder: str | Path) -> dict[tuple[str, float], dict[int, float]]:
    """``{(arm, rate): {seed: silhouette}}``: :func:`clean_cluster_of` of every run of ``arms`` in
    ``cells`` whose records (and kept state or extras) are in ``folder``."""
    def score(record):
        return clean_cluster_of(record, folder)
    return {(arm, rate): seed_values(recs, (arm, kind, rate), score) for kind, rate in cells for arm in arms}


def seed_columns(values: Mapping[tuple[str, float], Mapping[int, float]]):
    """``{(arm, rate): {seed: value}}`` as a table: one row per seed, one column "arm, r = rate"."""
    import pandas as pd

    table = pd.DataFrame({f"{arm}, r = {rate}": pd.Series(v) for (arm, rate), v in values.items()})
    table.index.name = "seed"
    return table


ALR_CLAIMS_WHY = {   # the sentence each ALR claim tests, or why we check one the surviving text does not make
    "1a": "Abstract: “The results show that ALR outperforms state-of-the-art methods.”",
    "1b": "the entropy term's purpose: the abstract says it guides the model “to better learn from clean "
          "samples”; the comparison with LR that would show it is lost",
    "2": "the paper's ablation of the entropy term is lost; we check whether its gain over LR grows with the "
         "noise, where learning the clean samples “thoroughly” (abstract) is hardest",
    "3": "Fig. 4's caption says what it plots (memorisation under CE and ALR at 40 % noise), not what it shows",
    "4": "Fig. 5's caption says what it plots (t-SNE of clean samples, LR and ALR), not what it shows; a "
         "silhouette score measures what the drawing suggests",
    "5": "the title and the abstract call ALR efficient (“This approach is simple and efficient”) without a "
         "measure; the threshold {ratio:g} is ours: epoch times of two runs on 2 cores differ by about "
         "10 %, and a second network would double the cost",
}


def alr_claims(recs: Mapping[tuple, Mapping[str, Any]], kind: str, high: float, low: float,
               silhouette: Mapping[tuple[str, float], Mapping[int, float]], efficient_ratio: float) -> list[Claim]:
    """The ALR replication's claims in ``kind`` noise at rates ``high`` and ``low``: 1a/1b ALR's
    last-10 lead over CE and LR at ``high``; 2 the lead over LR growing from ``low`` to ``high``; 3
    CE's memorisation minus ALR's at ``low``; 4 ALR's clean-cluster silhouette over LR's at ``high``
    (:func:`cluster_scores`); 5 ``efficient_ratio`` minus ALR's epoch time in CE epochs at ``high``."""
    gain = {r: lead(recs, ("ALR", kind, r), ("LR", kind, r)) for r in (high, low)}
    memorised = {arm: seed_values(recs, (arm, kind, low), memorised_at_end) for arm in ("CE", "ALR")}
    epoch_s = {arm: seed_values(recs, (arm, kind, high), epoch_seconds) for arm in ("CE", "ALR")}
    why = {k: v.format(ratio=efficient_ratio) for k, v in ALR_CLAIMS_WHY.items()}
    return [
        Claim(f"1a. ALR beats CE at r = {high}", lead(recs, ("ALR", kind, high), ("CE", kind, high)), source=why["1a"]),
        Claim(f"1b. ALR beats LR at r = {high}", gain[high], ours=why["1b"]),
        Claim(f"2. ALR's lead over LR grows from r = {low} to r = {high}", paired(gain[high], gain[low]),
              ours=why["2"]),
        Claim(f"3. ALR memorises fewer mislabelled samples than CE at r = {low} (% of them)",
              paired(memorised["CE"], memorised["ALR"]), ours=why["3"]),
        Claim(f"4. clean samples cluster more tightly under ALR than LR at r = {high}",
              paired(silhouette[("ALR", high)], silhouette[("LR", high)]), unit="silhouette", ours=why["4"]),
        Claim(f"5. an ALR epoch takes at most {efficient_ratio:g} CE epochs at r = {high}",
              {s: efficient_ratio - t / epoch_s["CE"][s] for s, t in epoch_s["ALR"].items() if s in epoch_s["CE"]},
              unit=f"{efficient_ratio:g} − ALR ÷ CE time", ours=why["5"]),
    ]


def cost_table(recs: Mapping[tuple, Mapping[str, Any]], cell: Sequence[Any], arms: Sequence[str],
               others: Mapping[str, tuple[str, Mapping[str, Any], Mapping[str, Any]]] | None = None):
    """An epoch's mean wall time and its multiple of CE's, per arm of a page in one noise ``cell``
    ``(kind, rate)``; ``others``: ``{method: (protocol, record, its CE record)}`` from another
    page's protocol, whose times differ, so that only the ratio compares."""
    import pandas as pd

    ce = arm_records(recs, "CE", *cell).values()
    rows = [{"method": arm, "protocol": "this page",
             "epoch s": np.mean(list(seed_values(recs, (arm, *cell), epoch_seconds).values())),
             "÷ CE": epoch_ratio(arm_records(recs, arm, *cell).values(), ce)} for arm in arms]
    rows += [{"method": name, "protocol": protocol, "epoch s": epoch_seconds(rec), "÷ CE": epoch_ratio([rec], [base])}
             for name, (protocol, rec, base) in (others or {}).items()]
    return pd.DataFrame(rows).set_index("method")


def spread_percent(values: Iterable[float]) -> float:
    """How much the largest of ``values`` exceeds the smallest, in % of the smallest (two seeds'
    epoch times of one run, say)."""
    v = list(values)
    return 100 * (max(v) / min(v) - 1)


def peak_and_fit(record: Mapping[str, Any]) -> dict[str, float]:
    """A run's memorisation in four numbers, in %: test accuracy at its ``best`` epoch and at the
    ``last``, the ``train`` accuracy on the given labels after the last epoch, and ``rho``, the
    share of those labels that are wrong (ALR's Figure 2: training accuracy rises past ρ's
    complement while test accuracy falls from its peak)."""
    s = record["summary"]
    return {"best": 100 * s["test_acc_best"], "last": 100 * s["test_acc_last"],
            "train": 100 * record["history"][-1]["train_acc"], "rho": 100 * record["noise"]["rate_effective"]}
