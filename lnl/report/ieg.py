"""The IEG chapter's tables and claims: the meta step, re-labelling, the probe set and the ladder.

The tutorial's numbers on one batch (:func:`ieg_gradient_checks`, :func:`ieg_batch_table`,
:func:`ieg_virtual_table`, :func:`ieg_lookahead_table`) and over a run (:func:`ieg_relabel_last`,
:func:`ieg_loss_terms`), where the paper and the code differ (:func:`ieg_forms_table`); the
replication's paper grids (:func:`ieg_paper_grid`), protocol (:func:`ieg_protocol_table`), arms per cell
(:func:`ieg_method_table`), probe sweep (:func:`ieg_probe_sweep`), Table 7's ladder (:func:`ieg_ladder`),
claims (:func:`ieg_claims`, :func:`ieg_claim_values`) and cost (:func:`ieg_cost_text`,
:func:`ieg_epoch_cost`, :func:`can_time`).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from lnl.report.claims import Claim, arm_records, paired, seed_values
from lnl.report.protocol import cells_protocol, settings_text
from lnl.report.summaries import history_mean, method_table
from lnl.report.tables import MISSING, convention_of, paper_cell, paper_gap, paper_value
from lnl.report.timing import epoch_ratio, epoch_seconds, step_seconds


def ieg_settings_table(S: Mapping[str, Any]):
    """The IEG tutorial's settings at a profile: the run's, the schedule, IEG's own and what L2R,
    the probe and the noise are, with the expected time per run."""
    import pandas as pd


    return pd.DataFrame({"setting": {**S["run"], "schedule": S["schedule"], "IEG": settings_text(S["ieg"]),
                                     "L2R": S["notes"]["l2r"], "probe": S["notes"]["probe"],
                                     "noise": S["notes"]["noise"], "expected time per run": S["expect"]}})


def probe_counts(prep):
    """Per class of a prepared run (:func:`lnl.engine.prepare`): its probe images, its training
    images and how many of those carry a wrong label."""
    import pandas as pd

    ds = prep.dataset
    C = ds.num_classes
    probe_y = ds.train.labels.numpy()[prep.probe_idx]
    return pd.DataFrame({"probe images": np.bincount(probe_y, minlength=C),
                         "training images": np.bincount(prep.true, minlength=C),
                         "of which mislabelled": np.bincount(prep.true[prep.labels != prep.true], minlength=C)},
                        index=pd.Index(ds.classes, name="class"))


def ieg_probe_losses(before: float, after: float):
    """The probe loss before and after IEG's virtual step at (ω₀, λ₀), as a one-column table."""
    import pandas as pd

    return pd.Series({"L^p at Θ": before, "L^p at Θ' (ω₀, λ₀)": after}, name="probe loss (nats)").to_frame()


def ieg_gradient_checks(m_bp, m_fw, fd, fd_at):
    """IEG's meta-gradient three ways on one batch: the largest |∂L^p/∂ω| (the scale), and the
    largest differences of back-propagation through the look-ahead (``m_bp``) from forward mode
    (``m_fw``, both gradients) and from central finite differences ``fd`` at the samples ``fd_at``."""
    import pandas as pd

    return pd.Series({"max |∂L^p/∂ω|": float(m_bp.d_omega.abs().max()),
                      "max |backprop − forward mode|, ∂L^p/∂ω": float((m_bp.d_omega - m_fw.d_omega).abs().max()),
                      "max |backprop − forward mode|, ∂L^p/∂λ": float((m_bp.d_lam - m_fw.d_lam).abs().max()),
                      "max |backprop − finite differences|, ∂L^p/∂ω":
                          float((m_bp.d_omega.cpu()[fd_at] - fd).abs().max())})


def ieg_weight_groups(w: np.ndarray, is_clean: np.ndarray) -> dict[str, float]:
    """Mean ω*·B of the clean and the mislabelled samples of a batch and the share of each group
    whose weight is zero (``w_clean_b``, ``w_noisy_b``, ``zero_clean_b``, ``zero_noisy_b``)."""
    w, is_clean = np.asarray(w), np.asarray(is_clean, dtype=bool)
    return {"w_clean_b": float(w[is_clean].mean()), "w_noisy_b": float(w[~is_clean].mean()),
            "zero_clean_b": float((w[is_clean] == 0).mean()), "zero_noisy_b": float((w[~is_clean] == 0).mean())}


def ieg_batch_table(given, true, is_clean, y, g, m):
    """IEG's meta step sample by sample: the labels, the pseudo label's arg-max, ∂L^p/∂ω and ω*·B,
    ∂L^p/∂λ and λ*, and the arg-max of eq. (5)'s target ỹ (y where λ* = 1, else g)."""
    import pandas as pd
    import torch

    target = torch.where(m.lam.bool()[:, None], y, g)
    return pd.DataFrame({"clean": is_clean, "given": np.asarray(given), "true": np.asarray(true),
                         "argmax g": g.argmax(1).cpu().numpy(), "∂L^p/∂ω": m.d_omega.cpu().numpy(),
                         "ω*·B": (m.omega * len(m.omega)).cpu().numpy(), "∂L^p/∂λ": m.d_lam.cpu().numpy(),
                         "λ*": m.lam.cpu().numpy().astype(int), "argmax ỹ": target.argmax(1).cpu().numpy()})


def ieg_virtual_table(after: Mapping[str, float], before: float):
    """The probe loss after each virtual step (:func:`lnl.walkthrough.ieg.virtual_steps`) and its
    change from ``before``."""
    import pandas as pd

    virtual = pd.DataFrame({"probe loss after the step": after})
    virtual["change"] = virtual.iloc[:, 0] - before
    return virtual


def ieg_virtual_text(virtual) -> str:
    """What the virtual steps of :func:`ieg_virtual_table` show, in words that hold whichever way
    they went (rows: clean alone, mislabelled alone, ω₀, ω*)."""
    ch = virtual["change"].to_numpy()
    return (f"A step on the mislabelled images alone changes the probe loss by {ch[1]:+.4f} nats; one on the clean "
            f"images alone by {ch[0]:+.4f}. A network trained for a whole run fits its clean images already, so a step "
            "on them is expected to move little, and one on the mislabelled images to pull it towards wrong classes; "
            "the table above says whether it did. With the meta step's weights the probe loss changes by "
            f"{ch[3]:+.4f}, against {ch[2]:+.4f} with the uniform ones: "
            + ("ω* keeps the samples whose step helps, in proportion to how much it helps to first order, and drops "
               "the others." if ch[3] < ch[2] else
               "here the first-order choice of ω* does not beat the uniform weights over a whole step."))


def ieg_auroc_text(auroc: Mapping[str, float]) -> str:
    """The last epoch's AUROC of L2R's and IEG's ω* as a clean detector, in words that hold
    whichever is higher (within 0.02: about as well)."""
    text = (f"In the last epoch the weights rank a clean sample above a mislabelled one with AUROC "
            f"{auroc['L2R']:.3f} for L2R and {auroc['IEG']:.3f} for IEG. ")
    if auroc["L2R"] > auroc["IEG"] + 0.02:
        return text + ("L2R's weights separate the two groups better than IEG's on this run. The two meta steps see "
                       "different networks (IEG's also learns from pseudo labels and mixup) and IEG's looks ahead "
                       "towards P(λ₀) rather than the given label; on a small run the AUROC also moves by several "
                       "points from one epoch to the next, so one run is one draw. IEG does not rely on ω* alone: "
                       "with T = 1 every sample also enters the mixup with its pseudo label (below).")
    if abs(auroc["L2R"] - auroc["IEG"]) <= 0.02:
        return text + "The two meta steps separate the groups about as well here."
    return text + "IEG's weights separate the two groups better than L2R's on this profile."


def ieg_relabel_last(record: Mapping[str, Any]) -> dict[str, float]:
    """IEG's λ* at a run's last epoch (the paper's Fig. 2): the mean over clean and over
    mislabelled samples, and its AUROC as a clean detector."""
    h = record["history"][-1]
    return {"lam_clean_last": float(h["lambda_clean"]), "lam_noisy_last": float(h["lambda_noisy"]),
            "lam_auroc_last": float(h["lambda_auroc"])}


def ieg_supervised_table(L_omega, L_lam, omega, T: float):
    """Eq. (5)'s two supervised losses on a batch and how many of its samples reach the split
    threshold ``T`` (Alg. 1 l. 4)."""
    import pandas as pd

    return pd.Series({"L_ω*": float(L_omega.detach()), "L_λ*": float(L_lam.detach()),
                      f"samples with ω* ≥ T = {T}": int((omega >= T).sum())}, name="on the batch").to_frame()


def ieg_repair_values(low, high) -> dict[str, float]:
    """From :func:`relabel_breakdown` at the low and the high rate: the shares of mislabelled
    samples whose pseudo label and whose target ỹ are true (and of clean ones whose ỹ is, low rate)."""
    return {"g_noisy_40": float(low.loc["mislabelled", "pseudo label g is true"]),
            "yt_noisy_40": float(low.loc["mislabelled", "target ỹ is true"]),
            "g_noisy_80": float(high.loc["mislabelled", "pseudo label g is true"]),
            "yt_noisy_80": float(high.loc["mislabelled", "target ỹ is true"]),
            "yt_clean_40": float(low.loc["clean", "target ỹ is true"])}


def ieg_coefficient_table(draws: Mapping[str, np.ndarray]):
    """Per set of mixing coefficients: the mean, the share above ½ (the anchor dominates) and the
    share at or above 0.9."""
    import pandas as pd

    return pd.DataFrame({name: {"mean": m.mean(), "share with β > 0.5 (anchor dominates)": (m > 0.5).mean(),
                                "share with β ≥ 0.9": (m >= 0.9).mean()} for name, m in draws.items()})


def ieg_loss_terms(history: Sequence[Mapping[str, Any]], p: float, k: float):
    """The terms of Alg. 1 l. 6 per epoch, as they enter the total: L_ω*, L_λ*, L^p_β, p L^u_β and
    k L_KL."""
    import pandas as pd

    hist = pd.DataFrame(history).set_index("epoch")
    return pd.DataFrame({"L_ω*": hist["L_omega"], "L_λ*": hist["L_lam"], "L^p_β": hist["L_p"],
                         f"p L^u_β (p = {p:g})": p * hist["L_u"], f"k L_KL (k = {k:g})": k * hist["L_kl"]})


def ieg_supervised_share(terms) -> dict[str, float]:
    """The share of the supervised losses (the first two terms) in the last epoch's total loss, as
    Alg. 1 l. 6 writes it (``sup_share_paper``) and halved, as the code trains (``sup_share_code``)."""
    last = terms.iloc[-1]
    sup, rest = last.iloc[:2].sum(), last.iloc[2:].sum()
    return {"sup_share_paper": float(sup / last.sum()), "sup_share_code": float(0.5 * sup / (0.5 * sup + rest))}


def ieg_forms_table(paper_cfg, code_cfg):
    """Where IEG's paper and its code differ (:data:`lnl.methods.ieg.CODE`): the value each
    variant resolves to."""
    import pandas as pd

    from lnl.methods.ieg import CODE

    return pd.DataFrame({name: {"paper (variant='paper')": paper_cfg.resolve(name),
                                "code (variant='code')": code_cfg.resolve(name)} for name in CODE}).T


def ieg_logit_norm_summary(g_paper, g_code, logits) -> dict[str, float]:
    """The code's ``logit_norm`` on a batch: the logits' root mean square (``ln_rms``), the share of
    pseudo labels whose arg-max it keeps (``ln_same``) and their mean confidence without and with
    it (``ln_conf_paper``, ``ln_conf_code``)."""
    return {"ln_rms": float(logits.detach().pow(2).mean().sqrt()),
            "ln_same": float((g_paper.argmax(1) == g_code.argmax(1)).float().mean()),
            "ln_conf_paper": float(g_paper.max(1).values.mean()),
            "ln_conf_code": float(g_code.max(1).values.mean())}


def ieg_lookahead_table(looks: Mapping[str, Any], is_clean):
    """ω* of one batch under each look-ahead (meta steps by name, the reference first): mean ω*·B of
    the clean and the mislabelled samples, the share of zero weights, and the rank correlation with
    the first look-ahead's weights."""
    import pandas as pd

    w = pd.DataFrame({name: (m.omega * len(m.omega)).cpu().numpy() for name, m in looks.items()})
    return pd.DataFrame({name: {"mean ω*·B, clean": w[name][is_clean].mean(),
                                "mean ω*·B, mislabelled": w[name][~is_clean].mean(),
                                "share of zero weights": (w[name] == 0).mean(),
                                "rank correlation with the paper's ω*": w[name].corr(w.iloc[:, 0], method="spearman")}
                         for name in w})


def seconds_per_step(cfgs: Mapping[str, Any], epochs: int = 3, name: str = "variant"):
    """:func:`step_seconds` of each named run config, one after the other on this machine."""
    import pandas as pd

    out = pd.Series({k: step_seconds(cfg, epochs=epochs) for k, cfg in cfgs.items()}, name="s per training step")
    out.index.name = name
    return out


# Table 7's components and the switch of lnl.methods.ieg that turns each on.
IEG_COMPONENTS = {"isolation": "isolation", "λ": "relabel", "AA": "strong_aug", "MC": "mixup", "UC": "consistency"}


def ieg_paper_grid(table, probe: bool = True, fill: str = ""):
    """One of IEG's paper tables as printed: a row per method, network (and probe size), a column
    per noise rate; ``fill`` where a cell is missing."""
    shown = table.assign(network=table["network"].fillna(""))
    index = ["method", "network"]
    if probe:
        shown = shown.assign(probe=table["probe_size"].astype("Int64").astype(str).replace("<NA>", ""))
        index.append("probe")
    return shown.pivot_table(index=index, columns="rate", values="cell", aggfunc="first", sort=False).fillna(fill)


def ieg_table_note(table, file: str, noise: str, with_source: bool = True) -> str:
    """A paper table's sources and its noise convention (:func:`convention_of`), in a line."""
    conv = convention_of(file, "cifar10", noise)
    return (f"Source: {'; '.join(table['source'].unique())}. Noise convention: `{conv['convention']}`, "
            f"changed share {conv['rate_effective']}" + (f": {conv['source']}." if with_source else "."))


def ieg_table7_grid(t7):
    """Table 7 as printed: a row per variant with its four components, a column per rate."""
    return t7.rename(columns={"uc": "UC", "mc": "MC", "aa": "AA", "lambda": "λ"}).pivot_table(
        index=["variant", "UC", "MC", "AA", "λ"], columns="rate", values="cell", aggfunc="first", sort=False)


def ieg_table6_grid(t6):
    """Table 6 as printed: a row per method, network, noise and rate, a column per data set."""
    return t6.assign(rate=t6["rate"].astype(object).where(t6["rate"].notna(), "")).pivot_table(
        index=["method", "network", "noise", "rate"], columns="dataset", values="cell", aggfunc="first",
        sort=False).fillna("")


def ieg_protocol_table(S: Mapping[str, Any], profile: str):
    """The IEG replication's protocol (:func:`cells_protocol`): the shared settings, the probe, each
    arm and the sweeps."""
    from lnl.plans import PROBE_ONLY
    from lnl.profiles import HARDWARE

    run, notes = S["run"], S["notes"]
    (_, head_rate), (_, low) = S["cells"]
    at = f" at r = {head_rate}, seed {S['seeds'][0]}"
    rows = [("probe (trusted images per class)", run["probe_per_class"], notes["probe"]),
            ("IEG", settings_text(S["ieg"]), notes["ieg"]),
            ("L2R", "ablation = IEG-1", notes["l2r"]),
            (PROBE_ONLY, f"CE on the {run['probe_per_class']} probe images per class, nothing else",
             "a reference: what the trusted images give without the noisy ones"),
            ("probe-size sweep", ", ".join(map(str, S["probe_sizes"])) + " per class" + at,
             "Table 2: 1, 5 and 10 images per class"),
            ("Table 7's ladder", ", ".join(S["ladder"] + S["more_ablations"]) + at,
             "IEG-1 is the L2R run, IEG-5 the IEG run of the headline cell")]
    return cells_protocol(S, HARDWARE[profile], rows, seeds=(f"at r = {head_rate}", f"at r = {low}"))


def _cell_ce(key):
    """The CE arm of a (kind, rate, arm) key: the baseline of :func:`method_table`."""
    return (key[0], key[1], "CE")


def ieg_method_table(recs: Mapping[tuple, Mapping[str, Any]], S: Mapping[str, Any], t1):
    """Every arm of each noise cell (:func:`method_table`, CE the baseline), with the same
    method's cell of Table 1: IEG with WRN-28-10 and with ResNet-29, L2R with WRN-28-10."""
    import warnings

    from lnl.plans import IEG_ARMS, PROBE_ONLY

    groups = {(kind, rate, arm): list(arm_records(recs, arm, kind, rate).values())
              for kind, rate in S["cells"] for arm in list(IEG_ARMS) + [PROBE_ONLY] if arm_records(recs, arm, kind, rate)}
    with warnings.catch_warnings():        # the probe alone has no noise, so no AUROC to average
        warnings.simplefilter("ignore", RuntimeWarning)
        ours = method_table(groups, ["noise", "r", "arm"], baseline=_cell_ce)
    printed = {"IEG": (["IEG"], ["IEG-RN29"]), "L2R": (["L2R"], [])}
    for col, i in (("Table 1, WRN-28-10", 0), ("Table 1, RN29", 1)):
        ours[col] = [paper_cell([t1], "cifar10", kind, rate, printed.get(arm, ([], []))[i])
                     for kind, rate, arm in ours.index]
    return ours


def ieg_rho_table(recs: Mapping[tuple, Mapping[str, Any]], S: Mapping[str, Any], C: int):
    """The share ρ of wrong labels each CE record trained on, beside IEG's expected r (C − 1)/C."""
    import pandas as pd

    return pd.DataFrame([{"r": rate, "seed": seed, "ρ (record)": r["summary"]["noise_rate_effective"],
                          "r (C − 1) / C": rate * (C - 1) / C}
                         for kind, rate in S["cells"]
                         for seed, r in arm_records(recs, "CE", kind, rate).items()]).set_index(["r", "seed"])


def ieg_probe_sweep(recs: Mapping[tuple, Mapping[str, Any]], S: Mapping[str, Any], seed: int):
    """IEG's last-10 accuracy (%) per probe size (images per class); the largest is the headline
    IEG run of ``seed``."""
    import pandas as pd

    (kind, rate), n_head = S["cells"][0], S["run"]["probe_per_class"]
    sizes = sorted({*S["probe_sizes"], n_head})
    return pd.Series({n: 100 * (recs["probe", n] if n != n_head else recs["IEG", kind, rate, seed])["summary"]
                      ["test_acc_last10"] for n in sizes})


def ieg_table2_probe(t2, rate: float):
    """Table 2's IEG at ``rate`` by probe images per class (CIFAR-100: its probe sizes over 100)."""
    import pandas as pd

    rows = t2[(t2.method == "IEG") & (abs(t2.rate - rate) < 1e-9)]
    return pd.Series(rows["cell"].values, index=(rows["probe_size"] // 100).astype(int))


def ieg_sweep_table(sweep, t2_ieg, rate: float):
    """Our probe sweep beside Table 2's IEG with as many images per class (where it has one)."""
    import pandas as pd

    table = pd.DataFrame({"IEG, last 10 (ours)": sweep,
                          f"Table 2, IEG on CIFAR-100 at {rate:g}": t2_ieg.reindex(sweep.index).fillna(MISSING)})
    table.index.name = "probe images per class"
    return table


def ieg_probe_alone(recs: Mapping[tuple, Mapping[str, Any]], S: Mapping[str, Any]):
    """Per seed of the headline cell: the last-10 accuracy of CE, CE on the probe alone, L2R and
    IEG, and IEG's lead over the probe alone."""
    import pandas as pd

    from lnl.plans import PROBE_ONLY

    alone = pd.DataFrame({arm: pd.Series(seed_values(recs, (arm, *S["cells"][0])))
                          for arm in ("CE", PROBE_ONLY, "L2R", "IEG")})
    alone.index.name = "seed"
    alone["IEG − probe alone"] = alone["IEG"] - alone[PROBE_ONLY]
    return alone


def ieg_steps(data: Mapping[str, Any], run: Mapping[str, Any]) -> dict[str, int]:
    """SGD steps of the probe alone and of IEG over a run (``probe_steps``, ``ieg_steps``): the
    engine drops a last partial batch when there is more than one."""
    b = run["batch_size"]
    return {"probe_steps": run["epochs"] * (data["num_probe"] // b if data["num_probe"] > b else 1),
            "ieg_steps": run["epochs"] * (data["num_train"] // b if data["num_train"] > b else 1)}


def ieg_ladder(recs: Mapping[tuple, Mapping[str, Any]], S: Mapping[str, Any], t7, seed: int):
    """Table 7's ladder, ours (last-10 accuracy, %, one seed) beside the paper's at both rates, with
    each row's components and its gain over the row before it on the ladder (IEG-1 is the L2R run,
    IEG-5 the IEG run)."""
    import pandas as pd

    from lnl.methods.ieg import ABLATIONS

    (kind, rate), (_, low) = S["cells"]
    ladder = ["IEG-1", *S["ladder"], "IEG-5"]
    source = {"IEG-1": ("L2R", kind, rate, seed), "IEG-5": ("IEG", kind, rate, seed)}
    rows = {row: recs[source.get(row, ("ablation", row))] for row in ladder + list(S["more_ablations"])}
    lad = pd.DataFrame([{"row": row, **{name: ABLATIONS[row].get(sw, True) for name, sw in IEG_COMPONENTS.items()},
                         "ours": 100 * r["summary"]["test_acc_last10"],
                         f"paper {rate:g}": paper_value([t7], "cifar100", kind, rate, [row]),
                         f"paper {low:g}": paper_value([t7], "cifar100", kind, low, [row])}
                        for row, r in rows.items()]).set_index("row")
    lad.insert(lad.columns.get_loc("ours") + 1, "gain", lad.loc[ladder, "ours"].diff())
    lad.insert(lad.columns.get_loc(f"paper {rate:g}") + 1, "paper gain",
               lad.loc[ladder, f"paper {rate:g}"].astype(float).diff())   # no paper row at an off-plan rate: NaN
    return lad


def ieg_added(prev: str, row: str) -> str:
    """The components of Table 7 that ``row`` has and ``prev`` lacks."""
    from lnl.methods.ieg import ABLATIONS

    return ", ".join(name for name, sw in IEG_COMPONENTS.items()
                     if ABLATIONS[row].get(sw, True) and not ABLATIONS[prev].get(sw, True))


def yardstick_text(spread: float, rate: float) -> str:
    """What a single-seed gain must clear, from the seed-to-seed spread of one run."""
    if not np.isfinite(spread):
        return "One seed in the headline cell: no yardstick for single-seed gains."
    yardstick = np.sqrt(2) * spread                  # a difference of two single-seed runs
    return (f"Seed-to-seed standard deviation of one run at r = {rate}: {spread:.2f} points, "
            f"so a single-seed gain of less than about {2 * yardstick:.1f} points is within seed noise.")


def ieg_isolation_table(recs: Mapping[tuple, Mapping[str, Any]], cells):
    """ω* as a clean detector at the last epoch of L2R and IEG in each (kind, rate, seed) of
    ``cells``: its AUROC (and its mean over epochs), the mean ω*·B of each group, and the precision
    and recall of the samples it keeps (ω* > 0)."""
    import pandas as pd

    return pd.DataFrame([{"arm": arm, "r": rate, "AUROC, last epoch": r["history"][-1]["omega_auroc"],
                          "AUROC, mean over epochs": history_mean(r, "omega_auroc"),
                          "ω*·B clean": r["history"][-1]["omega_clean"], "ω*·B mislabelled": r["history"][-1]["omega_noisy"],
                          "kept (ω* > 0): precision": r["history"][-1]["omega_precision"],
                          "recall": r["history"][-1]["omega_recall"]}
                         for kind, rate, seed in cells for arm in ("L2R", "IEG")
                         if (r := recs.get((arm, kind, rate, seed)))]).set_index(["arm", "r"])


def ieg_relabel_text(last: Mapping[float, Mapping[str, float]]) -> str:
    """IEG's λ* and pseudo labels at the last epoch of each rate's run (``{rate: history entry}``)."""
    return " ".join(
        f"At r = {rate}: mean λ* {h['lambda_clean']:.2f} on clean samples and {h['lambda_noisy']:.2f} on mislabelled "
        f"ones (1 keeps the given label); the pseudo label's arg-max is the true label for {100 * h['pseudo_acc_noisy']:.1f} % "
        f"of the mislabelled samples ({100 * h['pseudo_acc_clean']:.1f} % of the clean)." for rate, h in last.items())


def ieg_claims(recs: Mapping[tuple, Mapping[str, Any]], S: Mapping[str, Any], tables: Mapping[str, Any], sweep,
               t2_ieg, lad, yardstick: float, thresholds: Mapping[str, float]) -> list[Claim]:
    """The IEG replication's five claims, each with its test and the paper's sentence or cell:
    IEG beats CE and L2R in the headline cell (Table 1), the smallest probe beats CE (§2.2.2,
    Table 2), each step of Table 7's ladder gains, and IEG beats CE on the probe alone (ours).
    ``tables``: Table 1, 2 and 7 (``t1``, ``t2``, ``t7``); ``thresholds``: ``beat_ce``,
    ``beat_l2r``, ``step_gain``, ``beat_probe`` (points)."""
    from lnl.plans import IEG_ARMS, PROBE_ONLY

    (kind, rate), seed0 = S["cells"][0], S["seeds"][0]
    off = bool(S.get("off_plan", {}).get("noise_rates"))     # off the plan's rates, a cell may be unprinted
    t1, t2, t7 = tables["t1"], tables["t2"], tables["t7"]
    ladder = ["IEG-1", *S["ladder"], "IEG-5"]
    last10 = {arm: seed_values(recs, (arm, kind, rate)) for arm in list(IEG_ARMS) + [PROBE_ONLY]}
    smallest, pct = min(sweep.index), f"{rate:.0%}"
    cell = {m: paper_cell([t1], "cifar10", kind, rate, [m]) for m in ("IEG", "L2R")}  # printed
    cell |= {m: paper_cell([t7], "cifar100", kind, rate, [m]) for m in ladder}
    cell["GCE"] = paper_cell([t2], "cifar100", kind, rate, ["GCE"])
    claims = [
        Claim(f"1. IEG beats CE at r = {rate}", paired(last10["IEG"], last10["CE"]), thresholds["beat_ce"],
              ours="Table 1 has no CE row under noise; beating plain training on the same noisy set is the "
                   "least a method for noisy labels has to do"),
        Claim(f"2. IEG beats L2R at r = {rate}", paired(last10["IEG"], last10["L2R"]), thresholds["beat_l2r"],
              paper=paper_gap([t1], "cifar10", kind, rate, "IEG", "L2R", missing_ok=off),
              source=f"Table 1, CIFAR-10 uniform {pct}: IEG {cell['IEG']} vs L2R {cell['L2R']}"),
        Claim(f"3. IEG with {smallest} probe image(s) per class beats CE at r = {rate}",
              paired({seed0: sweep[smallest]}, last10["CE"]), thresholds["beat_ce"], spread=yardstick,
              source="§2.2.2: \"this strategy of IEG reduces the probe data size to be as small as one sample "
                     f"per class\"; Table 2, CIFAR-100 uniform {pct}: IEG with "
                     f"{smallest} per class {t2_ieg.get(smallest, MISSING)} vs GCE "
                     f"{cell['GCE']}, the best method without a probe"),
    ]
    for prev, row in zip(ladder, ladder[1:]):
        claims.append(Claim(
            f"4. {row} beats {prev} at r = {rate} (adds {ieg_added(prev, row)})",
            {seed0: lad.loc[row, "ours"] - lad.loc[prev, "ours"]}, thresholds["step_gain"], spread=yardstick,
            paper=paper_gap([t7], "cifar100", kind, rate, row, prev, missing_ok=off),
            source=f"Table 7, CIFAR-100 uniform {pct}: {row} {cell[row]} vs {prev} {cell[prev]}"))
    claims.append(Claim(f"5. IEG beats CE on the probe alone at r = {rate}",
                        paired(last10["IEG"], last10[PROBE_ONLY]), thresholds["beat_probe"],
                        ours="the paper never trains on the probe alone (Table 6's EG uses the noisy images as "
                             "unlabelled data too); it is the reference any method with a trusted set has to "
                             "beat"))
    return claims


def ieg_claim_values(claims: Sequence[Claim]) -> dict[str, Any]:
    """What the replication's prose quotes of :func:`ieg_claims`: the means and verdicts of claims
    1, 2, 3 and 5, and how many of the ladder's steps hold."""
    out = {}
    for name, c in (("ce", claims[0]), ("l2r", claims[1]), ("probe1", claims[2]), ("alone", claims[-1])):
        out[f"claim_{name}_ours"] = float(c.mean)
        out[f"claim_{name}_verdict"] = c.verdict
    steps = claims[3:-1]
    out["ladder_held"] = sum(c.verdict.startswith("holds") for c in steps)
    out["ladder_steps"] = len(steps)
    return out


def ieg_cost_text(step_s, goal: float) -> str:
    """What a step of each variant costs (:func:`step_seconds` by variant, CE's first): IEG's step
    in CE steps against the ``goal``, the meta step's share of it, the views' and mixup's, and the
    meta-gradient's forms."""
    ratio, eg = step_s["IEG"] / step_s["CE"], step_s["EG (no meta step)"]
    meta_share = (step_s["IEG"] - eg) / step_s["IEG"]
    return (f"An IEG step takes **{ratio:.1f} CE steps** on this machine; the goal is at most {goal:g}, "
            + (f"met with {goal - ratio:.1f} to spare. " if ratio <= goal else f"missed by {ratio - goal:.1f}. ")
            + f"The meta step (IEG's step less EG's) is {100 * meta_share:.0f} % of it, {step_s['IEG'] - eg:.4f} s; "
            f"the views, the mixup pass and the consistency loss (EG's step less CE's) are "
            f"{100 * (eg - step_s['CE']) / step_s['IEG']:.0f} %. L2R, the meta step on one view, "
            f"takes {step_s['L2R'] / step_s['CE']:.1f} CE steps. Through the look-ahead the meta-gradient costs "
            f"{step_s['IEG, meta_grad = backprop'] / step_s['IEG']:.2f} times the forward-mode one, and looking ahead in the "
            f"last layer only {step_s['IEG, meta_params = head'] / step_s['IEG']:.2f} times (in forward mode the probe's "
            "forward pass at Θ′ and the directional derivative run through the whole network either way).")


def ieg_epoch_cost(recs: Mapping[tuple, Mapping[str, Any]], arms: Sequence[str], cell: Sequence[Any]):
    """The records' mean epoch time per arm in one cell (kind, rate), and as a multiple of CE's."""
    import pandas as pd

    return pd.DataFrame([
        {"arm": arm, "epoch s": np.mean(list(seed_values(recs, (arm, *cell), epoch_seconds).values())),
         "÷ CE": epoch_ratio(arm_records(recs, arm, *cell).values(), arm_records(recs, "CE", *cell).values())}
        for arm in arms]).set_index("arm")


def ieg_gpu_table(section, t1):
    """A campaign section's table (:func:`lnl.campaign.section`) with Table 1's cell of the same
    method beside each run: IEG-RN29 for IEG, L2R for L2R."""
    printed = {"IEG": ["IEG-RN29"], "L2R": ["L2R"]}
    table = section.table()
    table["Table 1"] = [paper_cell([t1], "cifar10", key[1], key[2], printed[key[0]])
                        if len(key) == 4 and key[0] in printed else MISSING
                        for key in (f.planned.key for f in section.found)]
    return table


def ieg_isolation_values(last: Mapping[str, float], iso, rate: float) -> dict[str, float]:
    """What the replication's prose quotes at ``rate``: IEG's mean λ* on clean and mislabelled
    samples and its pseudo labels' accuracy (%) on mislabelled ones at the last epoch (``last``, a
    history entry), and the AUROC of IEG's and L2R's ω* (``iso``, :func:`ieg_isolation_table`)."""
    return {"lambda_clean": float(last["lambda_clean"]), "lambda_noisy": float(last["lambda_noisy"]),
            "pseudo_noisy": 100 * float(last["pseudo_acc_noisy"]),
            "auroc_ieg": float(iso.loc[("IEG", rate), "AUROC, last epoch"]),
            "auroc_l2r": float(iso.loc[("L2R", rate), "AUROC, last epoch"])}


def can_time(profile: str) -> bool:
    """Whether this machine can time the runs of ``profile``: the small profiles anywhere, the
    ``gpu`` and ``paper`` configurations only on a GPU."""
    import torch

    return profile in ("smoke", "cpu") or torch.cuda.is_available()
