"""The Baselines chapter's tables and claims: CE, Mixup, Co-teaching, ELR and DivideMix side by side.

The chapter's protocol (:func:`baselines_protocol`), its runs summarised (:func:`run_line`,
:func:`baselines_summary`, :func:`cell_table` of :func:`arm_groups`) beside the published numbers
(:data:`BASELINES_QUOTED`, :data:`BASELINES_TABLES`, :func:`quoted_rows`, :func:`published_parts`), its
claims (:func:`baselines_claims`, :func:`claims_glue`) and a paragraph on a Co-teaching run
(:func:`coteaching_verdict`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from lnl.report.claims import Claim, arm_records, by_seed, paired
from lnl.report.protocol import cells_protocol, settings_text
from lnl.report.summaries import detection_curve, history_mean, method_table
from lnl.report.tables import cell_source, convention_of, paper_difference, paper_gap, paper_row, paper_table, published


BASELINES_QUOTED = {"CE": ("sanm_table1_cifar.csv", "Cross-Entropy (CE)"),   # method: (table file, printed row)
                    "Co-teaching": ("sanm_table6_plugin.csv", "Co-teaching"),
                    "ELR": ("mixnn_table1_cifar.csv", "ELR"), "DivideMix": ("sanm_table1_cifar.csv", "DivideMix")}
BASELINES_TABLES = {   # table file -> {our name: the name it prints}
    "sanm_table1_cifar.csv": {"CE": "Cross-Entropy (CE)", "Mixup": "Mixup", "Co-teaching+": "Co-teaching",
                              "DivideMix": "DivideMix"},
    "sanm_table6_plugin.csv": {"CE": "CE", "Co-teaching": "Co-teaching", "ELR+": "ELR+"},
    "mixnn_table1_cifar.csv": {"CE": "CE", "ELR": "ELR"},
    "mixnn_table4_ablation.csv": {"CE": "Baseline CE", "Mixup": "Mixup"},
}


def baselines_protocol(S: Mapping[str, Any], hardware: str):
    """The Baselines pages' protocol (:func:`cells_protocol`): the shared settings and noise, then
    each method's own settings with where they come from."""
    rows = []
    if "mixup" in S:
        rows.append(("Mixup", settings_text(S["mixup"]), S["notes"]["mixup"]))
    rows.append(("Co-teaching", settings_text(S["coteaching"]), S["notes"]["coteaching"]))
    if "wrong_tau" in S:
        from lnl.plans import WRONG_TAU
        rows.append((WRONG_TAU, f"τ = {S['wrong_tau']} in the headline cell", S["notes"]["wrong_tau"]))
    by_noise = "".join(f"; {k}: {settings_text(v['dividemix'])}" for k, v in S.get("by_noise", {}).items()
                       if "dividemix" in v)
    rows += [("ELR", settings_text(S["elr"]), S["notes"]["elr"]),
             ("DivideMix", settings_text(S["dividemix"]) + by_noise, S["notes"]["dividemix"])]
    return cells_protocol(S, hardware, rows)


def run_line(record: Mapping[str, Any]) -> str:
    """One line on a trained or loaded run: its id, best and last test accuracy, wall time."""
    s = record["summary"]
    return (f"{record['run_id']}: test accuracy best {s['test_acc_best']:.3f}, last {s['test_acc_last']:.3f} "
            f"({s['wall_time_s']:.0f} s)")


DETECTION_NAMES = {"loss": "−loss", "small_loss": "−loss of net1", "target_given": "t_iỹ", "w_net1": "GMM w of net1"}


def baselines_summary(recs: Mapping[str, Mapping[str, Any]]):
    """Per method (``{name: record}``): test accuracy best, its epoch, last and last-10 mean, the
    method's own clean score and that score's AUROC against the truth at the last epoch."""
    import pandas as pd

    return pd.DataFrame.from_dict(
        {name: {"best": r["summary"]["test_acc_best"], "best epoch": r["summary"]["best_epoch"],
                "last": r["summary"]["test_acc_last"], "last 10": r["summary"]["test_acc_last10"],
                "clean score": DETECTION_NAMES[r["detection"]], "its AUROC, last epoch": detection_curve(r)[-1]}
         for name, r in recs.items()}, orient="index")


def summary_glue(summary) -> dict[str, float]:
    """``{"<method>_<best|last|last10>": value}`` of a :func:`baselines_summary` table, the method
    lower-cased without hyphens (``coteaching_last``): the names its prose quotes."""
    return {f"{name.lower().replace('-', '')}_{g}": float(summary.loc[name, col]) for name in summary.index
            for col, g in (("best", "best"), ("last", "last"), ("last 10", "last10"))}


def quoted_rows(folder: str | Path, kind: str, rate: float, dataset: str = "cifar10",
                rows: Mapping[str, tuple[str, str]] = BASELINES_QUOTED):
    """The published test accuracy (%) of each method in ``rows`` (``{method: (table file, printed
    row)}``) at one noise cell, with the row as printed and its source (a row the table does not
    print at that cell: no number, and says so); None without the tables
    (the repository's transcriptions are not on Colab)."""
    import pandas as pd

    folder = Path(folder)
    if not all((folder / f).exists() for f, _ in rows.values()):
        return None
    quoted = []
    for name, (table, row) in rows.items():
        r = paper_row([paper_table(folder / table)], dataset, kind, rate, [row])
        if r is None:
            quoted.append({"method": name, "test accuracy (%)": None, "as printed": f"{row}: not printed at "
                           f"{kind} {rate:g}", "source": table})
            continue
        quoted.append({"method": name, "test accuracy (%)": r.value, "as printed": f"{row} ({r.metric})",
                       "source": r.source})
    return pd.DataFrame(quoted).set_index("method")


def published_parts(folder: str | Path, tables: Mapping[str, Mapping[str, str]] = BASELINES_TABLES) -> list[tuple]:
    """For each paper table (``{file: {our name: printed name}}``): a title naming its source, its
    rows of those methods (:func:`published`), and the noise convention of each of its
    (data set, noise) columns (:func:`convention_of`) as a Markdown list."""
    from IPython.display import Markdown

    folder, parts = Path(folder), []
    for f, methods in tables.items():
        t = paper_table(folder / f)
        conv = [(ds, noise, convention_of(f, ds, noise)) for ds, noise in
                t[["dataset", "noise"]].drop_duplicates().itertuples(index=False)]
        parts.append((Markdown(f"**{t['source'].iloc[0]}** (`{f}`)"), published(folder / f, methods),
                      Markdown("\n".join(f"- {ds}, `{noise}`: `{c['convention']}` (changed: {c['rate_effective']}). "
                                         f"{c['source']}." for ds, noise, c in conv))))
    return parts


def nominal_share(kind: str, rate: float, num_classes: int) -> float:
    """The share of labels a noise of ``kind`` at nominal ``rate`` changes, in expectation: half of it
    under ``asymmetric`` (half the classes flip), r (1 − 1/C) under ``symmetric-uniform`` (a redraw
    over all C classes), r otherwise."""
    if kind == "asymmetric":
        return rate / 2
    return rate * (1 - 1 / num_classes) if kind == "symmetric-uniform" else rate


def arm_groups(recs: Mapping[tuple, Mapping[str, Any]], cells: Sequence[tuple[str, float]], arms: Sequence[str],
               head_only: Sequence[str] = ()) -> dict[tuple, list]:
    """``{(kind, rate, arm): [records over seeds]}`` for every arm with records in every noise cell,
    the arms ``head_only`` in the first (headline) cell alone."""
    return {(kind, rate, arm): list(arm_records(recs, arm, kind, rate).values())
            for i, (kind, rate) in enumerate(cells) for arm in list(arms) + (list(head_only) if i == 0 else [])
            if arm_records(recs, arm, kind, rate)}


def cell_table(groups: Mapping[tuple, Sequence[Mapping[str, Any]]], baseline: str = "CE"):
    """:func:`method_table` of :func:`arm_groups`, each arm's epoch time against ``baseline``'s in the
    same cell."""
    return method_table(groups, ["noise", "r", "arm"], baseline=lambda key: (key[0], key[1], baseline))


def baselines_claims(recs: Mapping[tuple, Mapping[str, Any]], tables: Mapping[str, Any], S: Mapping[str, Any], *,
                     memorised_drop: float, wide_margin: float, codivide_precision: float) -> list[Claim]:
    """The Baselines replication's claims, one per method, on the seed-paired last-10 test accuracy
    of the headline cell (the first of ``S["cells"]``), each with the paper cells it tests
    (``tables``: ``{file: paper table}``); claim 6 only when another rate of the same kind ran."""
    from lnl.plans import WRONG_TAU

    (kind, rate), *others = S["cells"]
    low = next((r for k, r in others if k == kind), None)      # the other rate of the same kind

    def last10(arm, r=rate):
        return by_seed(arm_records(recs, arm, kind, r))

    c10, mixnn1 = [tables["sanm_table1_cifar.csv"]], [tables["mixnn_table1_cifar.csv"]]
    ce_names, c10_cell = ("CE", "Cross-Entropy (CE)"), ("cifar10", "symmetric-uniform")
    ce_drop = paired(by_seed(arm_records(recs, "CE", kind, rate), "test_acc_best"), last10("CE"))
    claims = [
        Claim(f"1. CE memorises: best − last 10 > {memorised_drop:g} points at r = {rate}", ce_drop, memorised_drop,
              source="MixNN §3.2: “with the increasing number of training epochs, the model begins making incorrect "
                     f"predictions as it memorizes the mislabeled samples” (Fig. 2); the {memorised_drop:g}-point "
                     "margin is ours"),
        Claim(f"2. Mixup beats CE at r = {rate}", paired(last10("Mixup"), last10("CE")), 0.0,
              paper_gap(c10, *c10_cell, 0.8, "Mixup", "Cross-Entropy (CE)"),
              source="SANM Table 1, CIFAR-10 sym. 80 %: " + cell_source(c10, *c10_cell, 0.8, "Mixup", ce_names)),
        Claim(f"3. Co-teaching needs the noise rate: τ = r beats τ = {S['wrong_tau']} at r = {rate}",
              paired(last10("Co-teaching"), last10(WRONG_TAU)), 0.0,
              ours="Co-teaching assumes τ known (§3) and tests no wrong τ at 80 % noise; we check what a guess "
                   f"{100 * (rate - S['wrong_tau']):.0f} points too low costs"),
        Claim(f"4. DivideMix beats CE by ≥ {wide_margin:g} points at r = {rate}",
              paired(last10("DivideMix"), last10("CE")), wide_margin,
              paper_gap(c10, *c10_cell, 0.8, "DivideMix", "Cross-Entropy (CE)"),
              source="SANM Table 1 (DivideMix's Table 1), CIFAR-10 sym. 80 %: "
                     + cell_source(c10, *c10_cell, 0.8, "DivideMix", ce_names)
                     + f"; the {wide_margin:g}-point margin is ours"),
        Claim(f"5. co-divide precision after the warm-up > {codivide_precision:g} at r = {rate}",
              {s: history_mean(r, "w_net1_precision") for s, r in arm_records(recs, "DivideMix", kind, rate).items()},
              codivide_precision, unit="precision",
              ours="DivideMix trusts the labels of its labelled set (§3.2) but states no precision; we check that "
                   f"the set is clean enough to trust, at a threshold of our choosing ({codivide_precision:g})"),
    ]
    if low is not None:
        gain_hi = paired(last10("ELR"), last10("CE"))
        gain_lo = paired(last10("ELR", low), last10("CE", low))
        claims.append(Claim(
            f"6. ELR's gain over CE grows from r = {low} to r = {rate} (paper: 0.4 → 0.8)",
            paired(gain_hi, gain_lo), 0.0,
            paper_difference(mixnn1, "cifar10", [
                ("symmetric-uniform", 0.8, ["ELR"], 1), ("symmetric-uniform", 0.8, ["CE"], -1),
                ("symmetric-uniform", 0.4, ["ELR"], -1), ("symmetric-uniform", 0.4, ["CE"], 1)]),
            source=f"MixNN Table I, CIFAR-10 sym.: {cell_source(mixnn1, *c10_cell, 0.8, 'ELR', 'CE')} at 80 % "
                   f"against {cell_source(mixnn1, *c10_cell, 0.4, 'ELR', 'CE')} at 40 %"))
    return claims


def claims_glue(claims: Sequence[Claim]) -> dict[str, Any]:
    """``{"claim<i>_ours": mean, "claim<i>_verdict": verdict}`` of numbered claims, as the prose quotes them."""
    out = {}
    for i, c in enumerate(claims, 1):
        out[f"claim{i}_ours"], out[f"claim{i}_verdict"] = float(c.mean), c.verdict
    return out


def coteaching_verdict(rec_ct: Mapping[str, Any], rec_ce: Mapping[str, Any], t_k: int, tau: float,
                       precision: float, rho: float) -> str:
    """A paragraph on where a Co-teaching run ended against CE, written for whichever way it went:
    ``precision`` is the clean share of net1's selection at the last epoch, ``rho`` the noise's."""
    ct_s, ce_s = rec_ct["summary"], rec_ce["summary"]
    above = ct_s["test_acc_last"] > ce_s["test_acc_last"]
    return (f"Co-teaching ends {'above' if above else '*below*'} CE here ({ct_s['test_acc_last']:.3f} against "
            f"{ce_s['test_acc_last']:.3f}); their best epochs reach {ct_s['test_acc_best']:.3f} and "
            f"{ce_s['test_acc_best']:.3f}. From epoch {t_k + 1} on each network learns from {1 - tau:.0%} of every "
            f"batch, and that part is {precision:.0%} clean, not clean: at {rho:.0%} noise the small-loss "
            "selection is only as good as the networks that make it, and they have learned the clean patterns only "
            "partly when the cut reaches $1 - \\tau$. The paper evaluates Co-teaching at 20 % and 50 % symmetric and "
            "45 % pair noise, not at 80 %; the SANM paper's rerun on CIFAR-10 at 80 %, among the published numbers "
            "at the end of this page, has it below CE.")
