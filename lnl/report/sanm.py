"""The SANM chapter's tables and claims: where a network looks, NLR's targets and the plug-in on a host.

The tutorial's measurements of Figure 1 (:func:`focus_forms`, :func:`focus_verdict`), its walk-through
images and NLR checks (:func:`pair_table`, :func:`nlr_checks`, :func:`nlr_cap_note`) and SANM's forms and
settings (:func:`sanm_forms`, :func:`sanm_sources`); the replication's paper tables
(:data:`SANM_TABLES`, :func:`sanm_paper_tables`), protocol (:func:`sanm_protocol`), host against
plug-in (:func:`host_and_plugin`), Table 5's ladder (:func:`sanm_ladder`), claims (:func:`sanm_claims`,
:data:`SANM_SAYS`) and cost (:func:`sanm_cost`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from lnl.report.claims import Claim, arm_records, paired, seed_values
from lnl.report.protocol import cells_protocol, settings_text
from lnl.report.representations import focus_table
from lnl.report.summaries import method_table, seed_table
from lnl.report.tables import cell_source, paper_cell, paper_gap, paper_table, paper_value
from lnl.report.timing import train_epoch_seconds


def show_wide(table) -> None:
    """Display ``table`` with every cell whole (no column cut at 50 characters): settings with their
    sources, claims with the sentences they test."""
    import pandas as pd
    from IPython.display import display

    with pd.option_context("display.max_colwidth", None):
        display(table)


def run_settings(S: Mapping[str, Any]):
    """A page's run settings as one column (the run's, its schedule, the notes on its data, model,
    noise and host, and the expected time per run): what a plan's runs share."""
    import pandas as pd

    notes = {k: S["notes"][k] for k in ("data", "model", "noise", "host") if k in S["notes"]}
    return pd.DataFrame({"setting": {**S["run"], "schedule": S["schedule"], **notes,
                                     "expected time per run": S["expect"]}})


def summary_rows(records: Mapping[str, Mapping[str, Any]]):
    """One row per named record: the share of labels changed, the test accuracy at the last and the
    best epoch, and the training time."""
    import pandas as pd

    fields = {"labels changed": "noise_rate_effective", "test accuracy, last epoch": "test_acc_last",
              "test accuracy, best epoch": "test_acc_best", "training time (s)": "wall_time_s"}
    return pd.DataFrame({name: {k: r["summary"][f] for k, f in fields.items()}
                         for name, r in records.items()}).T.round(3)


def focus_forms(networks: Mapping[str, Any], x, y):
    """Figure 1's measurement (:func:`focus_table`) with the paper's map, the CAM of the prediction,
    beside the code's class-agnostic Σ_k F_k² (without its repeated accuracy)."""
    import pandas as pd

    return pd.concat({"CAM of the prediction (paper)": focus_table(networks, x, y, form="cam"),
                      "Σ_k F_k² (code)": focus_table(networks, x, y, form="energy").drop(columns="accuracy")}, axis=1)


def focus_verdict(cam, side: int, rate: float, n: int) -> str:
    """What the CAM shares ``cam`` (rows ``clean``, ``noisy``, ``sanm`` of :func:`focus_table`) say
    about Figure 1, in words that hold whichever way they went: the noisy-label network's lead of
    the clean-label one's central share (2 points or more is clear), the contrast on the images each
    predicts wrong (Figure 1 (a) and (b)), and whether SANM moves the share back. A 1 × 1 feature
    map (``side``) measures nothing."""
    if side == 1:
        return ("With a 1 × 1 feature map every central share is the central box's area, 0.25, or 0 where the "
                "predicted class's map is negative. The table measures nothing at this profile, and the `cpu` "
                "profile's CNN is needed to see Figure 1.")
    shares = cam["central share"]
    d = shares["clean"] - shares["noisy"]
    wrong_c, wrong_n = float(cam.loc["clean", "wrong"]), float(cam.loc["noisy", "wrong"])
    noisy_net = f"The network trained at r = {rate}"
    text = (f"{noisy_net} looks clearly less at the centre than the one trained on clean labels "
            f"({100 * d:.1f} points), the direction of Figure 1. " if d > 0.02 else
            f"{noisy_net} looks only slightly less at the centre than the one trained on clean labels "
            f"({100 * d:.1f} points): the direction of Figure 1, but a small difference over {n} images. "
            if d > 0 else
            f"{noisy_net} does not look less at the centre than the one trained on clean labels, so Figure 1's "
            "direction does not show on this run. ")
    if not (np.isnan(wrong_c) or np.isnan(wrong_n)):
        text += (f"On the images each network predicts wrong, the noisy-label network's maps are less central "
                 f"({wrong_n:.1%} against {wrong_c:.1%}), as in Figure 1 (a) and (b). " if wrong_n < wrong_c else
                 f"On the images each network predicts wrong, the noisy-label network's maps are not less central "
                 f"than the clean-label network's ({wrong_n:.1%} against {wrong_c:.1%}), the opposite of the "
                 "contrast between Figure 1 (a) and (b). ")
    text += ("SANM moves its network's share back towards the clean-label one's. "
             if abs(shares["sanm"] - shares["clean"]) < abs(shares["noisy"] - shares["clean"]) else
             "SANM does not move its network's share towards the clean-label one's. ")
    return text + ("A share in the central quarter is a coarse proxy for \"on the object\". Figure 1 "
                   "shows a few chosen images, and this table averages over all of them.")


def pair_table(pair, given, true, classes: Sequence[str]):
    """The walk-through's images (:class:`lnl.walkthrough.sanm.Pair`): training index, given and true
    label, the host's prediction and the clean probability w."""
    import pandas as pd

    ids = pair.ids
    return pd.DataFrame({"training index": ids.numpy(), "given label": [classes[int(given[i])] for i in ids],
                         "true label": [classes[int(true[i])] for i in ids],
                         "predicted": [classes[int(k)] for k in pair.out.logits.argmax(1).cpu()],
                         "w": pair.w.cpu().numpy()}, index=list(pair.names)).round(3)


def nlr_checks(cases: Mapping[str, tuple[Any, Any]]):
    """:func:`lnl.walkthrough.sanm.nlr_check` of each named ``(ŷ, σ)``, one row each."""
    import pandas as pd

    from lnl.walkthrough.sanm import nlr_check

    return pd.DataFrame({name: nlr_check(y_hat, sigma) for name, (y_hat, sigma) in cases.items()}).T


def nlr_cap_note(capped: float, target: str, arm: str) -> str:
    """A warning, where NLR modulates the prediction (``target``) and the cap σ ≤ ŷ_k cut most of a
    network's targets (``capped``, a share): its masked images then train it away from its own
    guesses. Empty otherwise."""
    if target != "prediction" or capped <= 0.5:
        return ""
    return (f"Most of the {arm} network's NLR targets ({capped:.0%} here) put nothing on the class it predicts, "
            "so its masked images, two thirds of each batch's cross-entropy, train it away from its own guesses: a "
            "loop that can keep its predictions flat. With the paper's σ_b, the prediction form of NLR works "
            "against a host whose predictions are not yet confident. The replication measures what SANM adds to "
            "CE with it.")


def sanm_forms():
    """Each form of SANM as the paper's variant and the official code's set it
    (:data:`lnl.methods.sanm.CODE_FORMS`)."""
    import pandas as pd

    from lnl.methods.sanm import CODE_FORMS, SANMConfig

    return pd.DataFrame({name: {"paper (variant='paper')": SANMConfig().form(name),
                                "code (variant='code')": SANMConfig(variant="code").form(name)}
                         for name in CODE_FORMS}).T


def clean_split(w, is_clean) -> dict[str, float]:
    """How a clean probability ``w [N]`` (a tensor) splits the samples by the truth ``is_clean [N]``:
    its mean over clean and over mislabelled samples, and its AUROC as a clean detector
    (:func:`lnl.gmm.detection_metrics`)."""
    import torch

    from lnl.gmm import detection_metrics

    clean = torch.as_tensor(np.asarray(is_clean, dtype=bool))
    return {"auroc": detection_metrics(w.numpy(), clean.numpy())["auroc"], "clean": float(w[clean].mean()),
            "noisy": float(w[~clean].mean())}


def sanm_sources(S: Mapping[str, Any]):
    """SANM's own settings in a page's SANM run (``S["sanm"]`` on the host ``S["host"]``), each with
    its value and where it comes from (:func:`lnl.provenance.table`, :data:`lnl.methods.sanm.SOURCES`);
    a value the plan sets is marked as the plan's."""
    from lnl.methods.sanm import SOURCES, SANMConfig
    from lnl.provenance import table

    given = {k: v for k, v in S["sanm"].items() if v != getattr(SANMConfig(), k)}   # the plan's own values
    return table(f"sanm-{S['host']}", params=given, scope="method").loc[list(SOURCES)]


SANM_TABLES = {1: "sanm_table1_cifar.csv", 2: "sanm_table2_asym.csv", 3: "sanm_table3_clothing1m.csv",
               4: "sanm_table4_pretrained_masks.csv", 5: "sanm_table5_ablation.csv", 6: "sanm_table6_plugin.csv"}

# The sentence of the SANM paper that each claim of its replication tests (§3.2 for the hosts, §3.3 for
# the ladder's rungs, by the rung they add, and the ratio controls).
SANM_SAYS = {
    "CE": '§3.2: "SANM brings consistent performance boost to all the corresponding baselines across all the '
          'noisy cases"',
    "DivideMix": '§3.2: "when combined with DivideMix [15], SANM can bring greater improvement to its performance, '
                 'especially for severe label noise cases"',
    "amg": '§3.3: "it can be observed that AMG is crucial to performance"',
    "amg+nlr": '§3.3: "the accuracy is further improved when further combined with NLR"',
    "smr": '§3.3: "SMR can also boost the performance of the baseline across all the settings"',
    "ratio": '§3.3 (Fig. 4): "Compared with the results of baseline methods, i.e., masking the images with fixed '
             'ratios and random ratios [...], SANM can achieve superior performance by adaptively generating '
             'instance-specific ratios"',
}


def sanm_paper_tables() -> dict[int, Any]:
    """The SANM paper's result tables by number (:data:`SANM_TABLES`, :func:`paper_table`)."""
    return {n: paper_table(f) for n, f in SANM_TABLES.items()}


def pivot_cells(table, columns, index="method"):
    """A paper table as printed: one row per ``index``, one column per ``columns``, each its cell."""
    return table.pivot_table(index=index, columns=columns, values="cell", aggfunc="first", sort=False)


def sources_of(*tables) -> str:
    """The sources of paper tables' rows, each once, in order."""
    return "; ".join(dict.fromkeys(s for t in tables for s in t["source"]))


def sanm_protocol(S: Mapping[str, Any], profile: str):
    """The SANM replication's protocol at ``profile`` (:func:`cells_protocol`): the shared settings,
    the host, SANM's own, and the ladder and controls it runs."""
    from lnl.plans import SANM_LADDER, SANM_RATIOS, SANM_TARGETS, sanm_arms
    from lnl.profiles import HARDWARE

    notes, host = S["notes"], sanm_arms(S)[0]
    (_, head_rate), seed0 = S["cells"][0], S["seeds"][0]
    at = f" at r = {head_rate}, seed {seed0}"
    rows = [("host", f"{host}: {settings_text(S['host_params'])}", notes["host"]),
            ("SANM", settings_text(S["sanm"]), notes["sanm"]),
            ("Table 5's ladder", ", ".join(SANM_LADDER) + at, "AMG alone keeps the host's targets; SANM is amg+nlr+smr"),
            ("mask-ratio controls", ", ".join(SANM_RATIOS) + at,
             "Fig. 2 and 4: every sample the same ratio σ_b, or one drawn from the noise-aware range without w"),
            ("NLR target control", f"target={', '.join(SANM_TARGETS)}{at}" if S["host"] == "ce" else "none",
             "ours: NLR on the given label, beside the default (the prediction, §2.4)"),
            ("SANM(C2D)", "not run", notes["c2d"])]
    return cells_protocol(S, HARDWARE[profile], rows, seeds=(f"at r = {head_rate}", "in the other cells"))


def host_and_plugin(recs: Mapping[tuple, Mapping[str, Any]], cells: Sequence[tuple[str, float]], host: str,
                    arm: str, tables: Sequence):
    """The host and the plug-in on it in each noise cell (:func:`method_table`, epoch time as a
    multiple of the host's in the same cell), with the same method's cell of the paper's ``tables``
    (CIFAR-10, best epoch, same nominal rate)."""
    groups = {(kind, rate, a): list(arm_records(recs, a, kind, rate).values())
              for kind, rate in cells for a in (host, arm) if arm_records(recs, a, kind, rate)}
    table = method_table(groups, ["noise", "r", "arm"], baseline=_HostOf(host))
    table["paper, CIFAR-10 (best)"] = [paper_cell(tables, "cifar10", kind, rate, [a]) for kind, rate, a in table.index]
    return table


@dataclass(frozen=True)
class _HostOf:
    """The host's group in a cell ``(kind, rate, arm)``: :func:`method_table`'s baseline."""

    host: str

    def __call__(self, key: tuple) -> tuple:
        return (key[0], key[1], self.host)


def wrong_share(kind: str, rate: float, num_classes: int) -> float:
    """The share of wrong labels that noise ``kind`` at nominal ``rate`` leaves: ``rate`` where a
    wrong label is drawn from the other classes, r (C − 1) / C where it is drawn over all C classes
    (``symmetric-uniform``, the paper's convention), the true one included."""
    return rate * (num_classes - 1) / num_classes if kind == "symmetric-uniform" else rate


def noise_shares(recs: Mapping[tuple, Mapping[str, Any]], cells: Sequence[tuple[str, float]], arm: str):
    """The measured share ρ of wrong labels of each of ``arm``'s records, by noise cell and seed."""
    import pandas as pd

    return pd.DataFrame([{"noise": kind, "r": rate, "seed": seed, "ρ (record)": r["summary"]["noise_rate_effective"]}
                         for kind, rate in cells
                         for seed, r in arm_records(recs, arm, kind, rate).items()]).set_index(["noise", "r", "seed"])


def sanm_target_forms(recs: Mapping[tuple, Mapping[str, Any]], cell: tuple, host: str, arm: str,
                      targets: Sequence[str]):
    """NLR's two targets beside the host in one noise cell ``(kind, rate, seed)`` (:func:`seed_table`):
    the prediction (SANM's default) and each ``targets`` run, planned as ``("target", t)``; None
    where none was run (a host whose targets are built from the predictions has one form)."""
    keys = [("target", t) for t in targets if ("target", t) in recs]
    if not keys:
        return None
    forms = {host: [recs[(host, *cell)]], f"{arm}, NLR on the prediction (default)": [recs[(arm, *cell)]],
             **{f"{arm}, NLR on the given label (target={k[1]})": [recs[k]] for k in keys}}
    return seed_table(forms, ["run"]).drop(columns="last10_mean")


SANM_LADDER_PAPER = {"amg": "+AMG", "amg+nlr": "+AMG+NLR"}    # Table 5's rows of the ladder's rungs


def sanm_ladder(recs: Mapping[tuple, Mapping[str, Any]], cell: tuple, host: str, arm: str, rungs: Sequence[str],
                table5):
    """Table 5's ladder: the host, each rung (planned as ``("ladder", rung)``) and SANM, at one noise
    cell ``(kind, rate, seed)``: our last-10 accuracy (%), its gain over the row before, and Table
    5's CIFAR-10 row at the same rate (best epoch, DivideMix's) with its gain."""
    import pandas as pd

    kind, rate, _ = cell
    paper_rows = {host: "DivideMix", **SANM_LADDER_PAPER, arm: "SANM(DivideMix)"}
    rows = {row: recs[(row, *cell) if row in (host, arm) else ("ladder", row)] for row in [host, *rungs, arm]}
    best = table5[table5.metric == "test_acc_best"]
    col = f"Table 5, CIFAR-10 {rate:g}"
    lad = pd.DataFrame([{"row": row, "components": {host: "none", arm: "amg+nlr+smr"}.get(row, row),
                         "ours": 100 * r["summary"]["test_acc_last10"],
                         col: paper_value([best], "cifar10", kind, rate, [paper_rows[row]])}
                        for row, r in rows.items()]).set_index("row")
    lad.insert(lad.columns.get_loc("ours") + 1, "gain", lad["ours"].diff())
    lad["paper gain"] = lad[col].astype(float).diff()     # no paper row at an off-plan rate: NaN
    return lad


def shown(table):
    """A table with its missing cells blank and its numbers to 2 decimals."""
    return table.round(2).astype(object).where(table.notna(), "")


def yardstick_note(spread: float, rate: float) -> str:
    """What a single-seed gain must exceed to be more than seed noise: about twice √2 times the
    seed-to-seed standard deviation ``spread`` of one run (:func:`seed_spread`)."""
    if not np.isfinite(spread):
        return "One seed in the headline cell: no yardstick for single-seed gains."
    return (f"Seed-to-seed standard deviation of one run at r = {rate}: {spread:.2f} points, "
            f"so a single-seed gain of less than about {2 * (np.sqrt(2) * spread):.1f} points is within seed noise.")


def accuracy_table(records: Mapping[str, Mapping[str, Any]]):
    """Test accuracy in % at the best epoch, the last and over the last 10, one row per named record."""
    import pandas as pd

    fields = {"best": "test_acc_best", "last": "test_acc_last", "last 10": "test_acc_last10"}
    return pd.DataFrame({name: {k: 100 * r["summary"][f] for k, f in fields.items()} for name, r in records.items()}).T


def sanm_claims(recs: Mapping[tuple, Mapping[str, Any]], S: Mapping[str, Any], tables: Mapping[int, Any], lad,
                ratios, yardstick: float, beat_host: float = 0.0, step_gain: float = 0.0,
                beat_ratio: float = 0.0) -> list[Claim]:
    """The SANM replication's claims, each with the sentence it tests (:data:`SANM_SAYS`) and the
    paper's cells: SANM beats its host in every noise cell (seed-paired, Table 6 on CE, Table 1 on
    DivideMix); each rung of the ladder ``lad`` (:func:`sanm_ladder`) beats the one before (Table 5);
    the noise-aware ratio beats each control of ``ratios`` (:func:`accuracy_table`). One-seed claims
    are judged against ``yardstick``; the thresholds are in points."""
    from lnl.plans import SANM_RATIOS, sanm_arms

    host, arm = sanm_arms(S)
    (head_kind, head_rate), seed0 = S["cells"][0], S["seeds"][0]
    off = bool(S.get("off_plan", {}).get("noise_rates"))     # off the plan's rates, a cell may be unprinted
    table, no = (tables[6], 6) if host == "CE" else (tables[1], 1)
    claims = [Claim(f"{1 if host == 'CE' else 4}. {arm} beats {host} at {kind} r = {rate}",
                    paired(seed_values(recs, (arm, kind, rate)), seed_values(recs, (host, kind, rate))), beat_host,
                    paper=paper_gap([table], "cifar10", kind, rate, arm, host, missing_ok=off),
                    source=f"{SANM_SAYS[host]}; Table {no}, CIFAR-10 sym. {100 * rate:g} %: "
                           f"{cell_source([table], 'cifar10', kind, rate, arm, host)}")
              for kind, rate in S["cells"]]
    best = tables[5][tables[5].metric == "test_acc_best"]
    paper_rows = {host: "DivideMix", **SANM_LADDER_PAPER, arm: "SANM(DivideMix)"}
    for prev, row in zip(lad.index, lad.index[1:]):
        claims.append(Claim(
            f"2. {row if row != arm else 'SANM (+SMR)'} beats {prev} at r = {head_rate}",
            {seed0: lad.loc[row, "ours"] - lad.loc[prev, "ours"]}, step_gain, spread=yardstick,
            paper=paper_gap([best], "cifar10", head_kind, head_rate, paper_rows[row], paper_rows[prev],
                            missing_ok=off),
            source=f"{SANM_SAYS['smr' if row == arm else row]}; Table 5, CIFAR-10 sym. {100 * head_rate:g} %: "
                   + cell_source([best], "cifar10", head_kind, head_rate, paper_rows[row], paper_rows[prev])))
    for r in SANM_RATIOS:
        claims.append(Claim(f"3. the noise-aware ratio beats the {r} one at r = {head_rate}",
                            {seed0: ratios.loc["noise-aware (SANM)", "last 10"] - ratios.loc[r, "last 10"]},
                            beat_ratio, spread=yardstick, source=SANM_SAYS["ratio"]))
    return claims


def sanm_cost(S: Mapping[str, Any], profile: str, epochs: int = 3, per_class: int | None = None):
    """Seconds per training epoch (:func:`train_epoch_seconds`) of CE and DivideMix, and of SANM on
    each (masks from the first epoch), in the headline cell, with ``per_class`` training images per
    class (None: the run's); DivideMix after a one-epoch warm-up, so that its semi-supervised epochs
    are timed. None where the profile's runs need a GPU and there is none."""
    import dataclasses

    import pandas as pd
    import torch

    from lnl.plans import baseline_config, sanm_arms, sanm_config, settings

    if not (profile in ("smoke", "cpu") or torch.cuda.is_available()):
        return None
    host = sanm_arms(S)[0]
    (kind, rate), seed0 = S["cells"][0], S["seeds"][0]
    small = {} if per_class is None else {"train_per_class": per_class}
    SB = settings("baselines/replication", profile)
    dm = baseline_config(SB, "DivideMix", kind, rate, seed0)
    dm = dataclasses.replace(dm, method_params={**dm.method_params, "warmup": 1})
    ce = sanm_config(S, host, kind, rate, seed0) if host == "CE" else baseline_config(SB, "CE", kind, rate, seed0)
    rows = []
    for name, cfg in {"CE": dataclasses.replace(ce, **small), "DivideMix": dataclasses.replace(dm, **small)}.items():
        plugged = dataclasses.replace(cfg, method=f"sanm-{cfg.method}", method_params={**cfg.method_params, "start": 0})
        host_s = train_epoch_seconds(cfg, epochs=epochs)
        sanm_s = train_epoch_seconds(plugged, epochs=epochs)
        rows.append({"host": name, "host s/epoch": host_s, "SANM s/epoch": sanm_s, "SANM ÷ host": sanm_s / host_s})
    return pd.DataFrame(rows).set_index("host")
