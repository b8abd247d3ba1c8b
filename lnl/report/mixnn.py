"""The MixNN chapter's tables and claims: neighbour mixing, the own-label pull and label correction.

What MixNN's §4.1 and Fig. 7 lead a page to expect (:func:`neighbour_checks`, :func:`training_checks`),
the own-label pull of CE and MixNN runs in numbers and words (:func:`pull_means`, :func:`clean_share`,
:func:`pull_prose`), label correction (:func:`correction_shares`, :func:`campaign_corrections`), and
the replication's protocol and claims (:func:`mixnn_protocol`, :data:`MIXNN_CLAIMS`,
:func:`mixnn_claims`).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from lnl.report.claims import Check, Claim, lead, paired
from lnl.report.protocol import protocol_table
from lnl.report.tables import paper_difference


def neighbour_checks(shares, rhos: Mapping[float, float], num_classes: int) -> list[Check]:
    """What MixNN §4.1 leads a page to expect of :func:`lnl.walkthrough.mixnn.neighbour_shares` at each
    rate (``shares``: one row per rate, labelled ``"40%"``; ``rhos``: the measured noise share per
    rate): the 1-NN has the true class far above chance (> 3/C), its given label is right less
    often (by 0.1), and about as often as anyone's (1-NN share × (1 − ρ), within 0.1)."""
    one_nn, _, via_label = shares.columns[:3]
    out = []
    for r, rho in rhos.items():
        row = shares.loc[f"{r:.0%}"]
        off = abs(row[via_label] - row[one_nn] * (1 - rho))
        out += [Check(f"{r:.0%}: the 1-NN has the true class far above chance, 1/C: share > 3/C", row[one_nn],
                      row[one_nn] > 3 / num_classes),
                Check(f"{r:.0%}: its given label is right less often: 1-NN share − label share > 0.1",
                      row[one_nn] - row[via_label], row[via_label] < row[one_nn] - 0.1),
                Check(f"{r:.0%}: as often wrong as anyone's: |label share − 1-NN share × (1 − ρ)| < 0.1",
                      off, off < 0.1)]
    return out


RUN_SUMMARY = ("test_acc_best", "best_epoch", "test_acc_last", "test_acc_last10")


def run_summary(records: Mapping[str, Mapping[str, Any]], keys: Sequence[str] = RUN_SUMMARY):
    """One row per named run record (``{name: record}``), its summary's ``keys`` as columns."""
    import pandas as pd

    return pd.DataFrame({name: {k: rec["summary"][k] for k in keys} for name, rec in records.items()}).T


def training_checks(summ, last_ce: Mapping[str, float], last_mix: Mapping[str, float], rho: float) -> list[Check]:
    """MixNN's Fig. 7a and Table I as expectations of one CE and one MixNN run: ``summ``
    (:func:`run_summary`, rows ``CE`` and ``MixNN``) and each run's last history entry. MixNN ends
    above CE (last epoch and last 10, by 0.02), does not decay (best − last < 0.03), fits fewer given
    labels, memorises fewer than half as many, and ends near the clean share 1 − ρ (within 0.1)."""
    s_ce, s_mix = summ.loc["CE"], summ.loc["MixNN"]
    memo = last_mix["noisy_acc_given"] / max(last_ce["noisy_acc_given"], 1e-12)
    return [
        Check("MixNN ends above CE: last epoch, MixNN − CE > 0.02", s_mix["test_acc_last"] - s_ce["test_acc_last"],
              s_mix["test_acc_last"] > s_ce["test_acc_last"] + 0.02),
        Check("and over the last 10 epochs: MixNN − CE > 0.02", s_mix["test_acc_last10"] - s_ce["test_acc_last10"],
              s_mix["test_acc_last10"] > s_ce["test_acc_last10"] + 0.02),
        Check("MixNN does not decay: its best − last < 0.03", s_mix["test_acc_best"] - s_mix["test_acc_last"],
              s_mix["test_acc_best"] - s_mix["test_acc_last"] < 0.03),
        Check("MixNN fits fewer given labels: training accuracy, MixNN − CE < 0",
              last_mix["train_acc"] - last_ce["train_acc"], last_mix["train_acc"] < last_ce["train_acc"]),
        Check("it memorises fewer: wrong labels reproduced, MixNN / CE < 0.5", memo,
              last_mix["noisy_acc_given"] < 0.5 * last_ce["noisy_acc_given"]),
        Check("its training accuracy ≈ the clean share (Fig. 7a): |MixNN − (1 − ρ)| < 0.1",
              abs(last_mix["train_acc"] - (1 - rho)), abs(last_mix["train_acc"] - (1 - rho)) < 0.1),
    ]


def pull_means(rec_ce: Mapping[str, Any], rec_mix: Mapping[str, Any], warmup: int, e_s: int) -> dict[str, float]:
    """The own-label pull g_i (:func:`lnl.methods.mixnn.own_label_pull`, logged per epoch) of a CE and
    a MixNN run: each group's mean from epoch ``e_s`` on (``ce_clean``, ``ce_noisy``, ``mix_clean``,
    ``mix_noisy``), MixNN's mislabelled pull in its last warm-up epoch and the next
    (``mix_noisy_warm``, ``mix_noisy_next``), CE's mislabelled-to-clean ratio after its first and
    last epochs (``ratio_first``, ``ratio_last``) and MixNN's mean λ from ``e_s`` on (``lam_mean``)."""
    from lnl.records import history_frame

    hc, hm = (history_frame(r).set_index("epoch") for r in (rec_ce, rec_mix))
    after = hm.index >= e_s
    ratio = hc["grad_coef_noisy"] / hc["grad_coef_clean"]
    return {"ce_noisy": hc.loc[after, "grad_coef_noisy"].mean(), "ce_clean": hc.loc[after, "grad_coef_clean"].mean(),
            "mix_noisy": hm.loc[after, "grad_coef_noisy"].mean(), "mix_clean": hm.loc[after, "grad_coef_clean"].mean(),
            "mix_noisy_warm": hm.loc[warmup, "grad_coef_noisy"], "mix_noisy_next": hm.loc[warmup + 1, "grad_coef_noisy"],
            "ratio_first": ratio[int(hc.index[0])], "ratio_last": ratio[int(hc.index[-1])],
            "lam_mean": hm.loc[after, "lam_mean"].mean()}


def clean_share(g_clean: float, g_noisy: float, rho: float) -> float:
    """Clean samples' share of the summed own-label pull, (1 − ρ) ḡ_c / ((1 − ρ) ḡ_c + ρ ḡ_n)."""
    return (1 - rho) * g_clean / ((1 - rho) * g_clean + rho * g_noisy)


def pull_prose(g: Mapping[str, float], rho: float) -> str:
    """What :func:`pull_means` says of MixNN's two claims on the gradient (Fig. 7b): that it keeps the
    mislabelled samples' pull near zero (below a quarter of CE's) and that the clean samples then
    dominate it (more than half of the summed pull, :func:`clean_share`); a paragraph that reads
    true whichever way each went."""
    silenced = g["mix_noisy"] < 0.25 * g["ce_noisy"]
    share_ce, share_mix = clean_share(g["ce_clean"], g["ce_noisy"], rho), clean_share(g["mix_clean"], g["mix_noisy"], rho)
    dominate = g["mix_clean"] > 0 and share_mix > 0.5
    return (
        f"Under CE a mislabelled sample pulls {g['ratio_first']:.2f} times as hard as a clean one after the "
        f"first epoch and {g['ratio_last']:.2f} times after the last. In MixNN the mislabelled samples' mean pull "
        f"goes from {g['mix_noisy_warm']:.3f} in the last warm-up epoch to {g['mix_noisy_next']:.3f} in the first "
        f"mixing epoch, and averages {g['mix_noisy']:.4f} from $E_s$ on, against {g['ce_noisy']:.3f} under CE: "
        f"the paper's first claim, that MixNN keeps the mislabelled samples' gradient near zero, "
        f"{'holds' if silenced else 'does not hold'} here.\n\n"
        f"Its second claim is that the clean samples then dominate the gradient. From $E_s$ on they hold "
        f"{share_mix:.1%} of the summed own-label pull under MixNN, against {share_ce:.1%} under CE, and they are "
        f"{1 - rho:.1%} of the data. "
        + ("They dominate: the claim holds here."
           if dominate else
           ("More than under CE, but they" if share_mix > share_ce else "They")
           + " do not dominate: the claim does not hold here. The clean samples' own "
           f"pull is small too, {g['mix_clean']:.4f} on average, for two reasons. The mean $\\lambda_i$ is "
           f"{g['lam_mean']:.2f}: a clean sample whose neighbour is clean too keeps only half of its own label (the "
           "other half is the neighbour's, equally right), so its own pull halves. And label correction moves "
           "every $t_i$ towards the network's prediction, so that $t_{i\\hat y} - \\tilde p_{i\\hat y}$ "
           "shrinks for both groups once the network fits the data."))


def correction_shares(given, true, corrected) -> dict[str, float]:
    """One label correction as shares of the training samples: ``correction_acc`` (corrected label
    right, MixNN §6.6), ``given_acc`` (given label right), ``fixed`` (mislabelled samples now right),
    ``broken`` (clean samples now wrong), ``moved`` (corrected label ≠ given)."""
    given, true, corrected = (np.asarray(x) for x in (given, true, corrected))
    noisy = given != true
    return {"correction_acc": (corrected == true).mean(), "given_acc": (given == true).mean(),
            "fixed": (corrected == true)[noisy].mean(), "broken": (corrected != true)[~noisy].mean(),
            "moved": (corrected != given).mean()}


def campaign_corrections(found: Iterable[Any], arm: str):
    """The label correction of the campaign runs ``found`` (:class:`lnl.store.Found`) whose key
    starts with ``arm`` and that brought their corrected labels back (extras ``t_argmax``): one row
    per run label, the shares of labels right before and after (argmax t). None where none did."""
    import pandas as pd

    from lnl.extras import read_extras

    rows = []
    for f in found:
        extras = read_extras(f.path)
        if f.planned.key[0] == arm and extras is not None and "t_argmax" in extras:
            rows.append({"run": f.planned.label, "labels right before": (extras["given"] == extras["true"]).mean(),
                         "labels right after (argmax t)": (extras["t_argmax"] == extras["true"]).mean()})
    return pd.DataFrame(rows).set_index("run") if rows else None


MIXNN_CLAIMS = {    # claim: (text, arm MixNN is compared with at the top rate, threshold, source)
    1: ("1. MixNN beats CE by a wide margin at high noise (≥ 10 points)", "CE", 10,
        "Table I, CIFAR-10 symm. 80 %: MixNN 86.08 vs CE 53.82; the 10-point margin is ours"),
    2: ("2. kNN partners beat random partners at high noise", "MixNN w/o K nearest neighbours", 0,
        "§6.3: “when the training data contains high ratios of noisy labels, the performance suffers a large "
        "decline, demonstrating the benefit of using K nearest neighbours” (Table IV, CIFAR-10 symm. 80 %: "
        "86.08 vs 76.58)"),
    3: ("3. GMM weights beat averaging (AVG) at high noise", "MixNN w/o weight estimation (AVG)", 0,
        "§6.3: “merely averaging the selected samples does not perform well in all noisy cases, especially "
        "when the noise ratio is large” (Table IV, CIFAR-10 symm. 80 %: 86.08 vs 58.53)"),
    4: ("4. label correction helps more at r = {hi} than at r = {lo}", "MixNN w/o label correction", 0,
        "§6.3: “Without label correction, the performance suffers, especially when the noise ratio is high” "
        "(Table IV, CIFAR-10 symm.: 11.77 points lost at 80 %, 1.16 at 40 %)"),
}


def mixnn_claims(recs: Mapping[tuple, Mapping[str, Any]], lo: float, hi: float, tables: Sequence,
                 names: Mapping[str, Iterable[str]]) -> tuple[list[Claim], dict[float, dict[int, float]]]:
    """MixNN's four claims of §6.1 and §6.3 (:data:`MIXNN_CLAIMS`) on a page's records ``{(arm, kind,
    rate, seed): record}`` with symmetric noise: claims 1-3 MixNN's :func:`lead` over CE and two
    ablations at rate ``hi``, claim 4 the gain of label correction at ``hi`` over that at ``lo``
    (:func:`paired`). Each with the paper's difference on CIFAR-10 at 80 % (and 40 %) from ``tables``
    (Tables IV and I; ``names``: each arm's printed names). Returns the claims and the gain
    ``{rate: {seed: points}}``."""
    def cell(arm, r):
        return (arm, "symmetric", r)

    gain = {r: lead(recs, cell("MixNN", r), cell("MixNN w/o label correction", r)) for r in (lo, hi)}
    claims = []
    for n, (text, other, threshold, source) in MIXNN_CLAIMS.items():
        gap = [("symmetric", 0.8, names["MixNN"], 1), ("symmetric", 0.8, names[other], -1)]
        if n == 4:
            gap += [("symmetric", 0.4, names["MixNN"], -1), ("symmetric", 0.4, names[other], 1)]
        diffs = paired(gain[hi], gain[lo]) if n == 4 else lead(recs, cell("MixNN", hi), cell(other, hi))
        claims.append(Claim(text.format(hi=hi, lo=lo), diffs, threshold,
                            paper_difference(tables, "cifar10", gap), source=source))
    return claims, gain


def mixnn_protocol(S: Mapping[str, Any], n_runs: int):
    """Every setting of a MixNN replication profile ``S`` (:func:`lnl.plans.settings`) and where it
    comes from (:func:`protocol_table`): one row per setting, the profile's value and its source."""
    run, n = S["run"], S["notes"]
    rows = [("MixNN warm-up, E_s, α", f"{S['mixnn']['warmup']}, {S['mixnn']['e_s']}, {S['mixnn']['alpha']}", n["mixnn"]),
            ("MixNN K, weights, partners", "1, GMM, kNN over the training set", "MixNN §6.1, Algorithm 1"),
            ("noise kinds", ", ".join(dict.fromkeys(k for _, k, _, _ in S["runs"])),
             "symmetric: flip to another class (the paper's text); symmetric-uniform: redraw over all classes "
             "(its code)"),
            ("noise sampling", "exact counts per class", "lnl.noise"),
            ("runs", n_runs, S["expect"])]
    optimiser = (f"SGD, momentum 0.9, lr {run['lr']}, weight decay {run['weight_decay']}", "MixNN §6.1")
    return protocol_table(run, {**n, "epochs": n["schedule"]}, S["schedule"], rows, column=S["name"],
                          test_images=True, replace={"optimiser": optimiser, "batch size": (run["batch_size"],
                                                                                          "MixNN §6.1")})


def convention_runs(recs: Mapping[tuple, Mapping[str, Any]], arm: str, rate: float, seed: int = 0):
    """One row per noise kind that ``arm`` ran at ``rate`` with ``seed`` (records ``{(arm, kind, rate,
    seed): record}``): the measured ρ and test accuracy in % at the best, last and last 10 epochs;
    which noise convention a paper's row matches."""
    import pandas as pd

    rows = [{"noise": kind, "r": r, "ρ measured": rec["noise"]["rate_effective"],
             "best": 100 * rec["summary"]["test_acc_best"], "last": 100 * rec["summary"]["test_acc_last"],
             "last 10": 100 * rec["summary"]["test_acc_last10"]}
            for (a, kind, r, s), rec in recs.items() if a == arm and r == rate and s == seed]
    return pd.DataFrame(rows).set_index("noise")


def as_printed(table) -> dict[str, Any]:
    """A paper table (:func:`paper_table`) laid out as the paper prints it: per data set (titled
    ``CIFAR-10``), one row per method and one column per (noise, rate), each cell as printed."""
    return {ds.upper().replace("CIFAR", "CIFAR-"): part.pivot_table(
                index="method", columns=["noise", "rate"], values="cell", aggfunc="first", sort=False).fillna("")
            for ds, part in table.groupby("dataset", sort=False)}
