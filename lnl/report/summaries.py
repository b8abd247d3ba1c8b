"""Run records summarised: accuracy over seeds, memorisation and the clean/noisy split.

:func:`seed_table` summarises groups of records over seeds and :func:`method_table` adds each arm's
detection (:func:`detection_curve`) and cost; :func:`best_minus_last`, :func:`memorised_at_end` and
:func:`history_mean` read one number off a record. The memorisation of a CE run: the small-loss split
after every epoch (:func:`gmm_split`), :func:`memorisation_table`, :func:`correction_table` of a label
correction, and ALR's per-epoch categories (:func:`memorisation_breakdown`, :data:`BREAKDOWN`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from lnl.report.claims import pct
from lnl.report.timing import epoch_ratio


def seed_table(groups: Mapping[Any, Sequence[Mapping[str, Any]]], names: Sequence[str]):
    """One row per group of records (one record per seed): the measured noise share ρ, the seeds, and
    test accuracy at the best epoch, the last epoch and over the last 10 as :func:`pct`, the share of
    mislabelled samples memorised at the end, and ``last10_mean`` (in %) for sorting and plots.
    ``groups`` maps a key tuple, named by ``names``, to its records."""
    import pandas as pd

    rows = []
    for key, rs in groups.items():
        key = key if isinstance(key, tuple) else (key,)
        sm = [r["summary"] for r in rs]
        memorised = [r["history"][-1].get("noisy_acc_given") for r in rs]
        rows.append({**dict(zip(names, key)),
                     "ρ": float(np.mean([r["noise"]["rate_effective"] for r in rs])),
                     "seeds": ", ".join(str(r["config"]["seed"]) for r in rs),
                     "best": pct(s["test_acc_best"] for s in sm), "last": pct(s["test_acc_last"] for s in sm),
                     "last 10": pct(s["test_acc_last10"] for s in sm),
                     "memorised (end)": (float(np.mean(memorised)) if None not in memorised else None),
                     "last10_mean": 100 * float(np.mean([s["test_acc_last10"] for s in sm]))})
    return pd.DataFrame(rows).set_index(list(names))


def detection_curve(record: Mapping[str, Any]) -> np.ndarray:
    """The AUROC of a run's clean/noisy split per epoch: ``<score>_auroc`` of its history, where
    ``score`` is the method's own (``record["detection"]``: Co-teaching's small-loss ranking,
    ELR's target, DivideMix's GMM; ``loss``, the engine's small-loss ranking, for CE and Mixup and
    for records written before methods named one). NaN where an epoch has none."""
    key = f"{record.get('detection', 'loss')}_auroc"
    return np.array([np.nan if h.get(key) is None else h[key] for h in record["history"]], dtype=float)


def method_table(groups: Mapping[Any, Sequence[Mapping[str, Any]]], names: Sequence[str],
                 baseline: Callable[[tuple], Any] | None = None):
    """:func:`seed_table` with each arm's clean/noisy detection and cost: the method's clean score
    (``record["detection"]``), its AUROC at the last epoch and at its best epoch (means over
    seeds, :func:`detection_curve`), and, where ``baseline(key)`` names a group (e.g. CE in the
    same noise cell), the epoch-time ratio to it (:func:`epoch_ratio`)."""
    table = seed_table(groups, names)
    score, last, best, ratio = [], [], [], []
    for key, rs in groups.items():
        key = key if isinstance(key, tuple) else (key,)
        curves = [detection_curve(r) for r in rs]
        score.append(rs[0].get("detection", "loss"))
        last.append(float(np.nanmean([c[-1] for c in curves])) if curves else float("nan"))
        best.append(float(np.nanmean([np.nanmax(c) if np.isfinite(c).any() else np.nan for c in curves])))
        ref = baseline(key) if baseline is not None else None
        ratio.append(epoch_ratio(rs, groups[ref]) if ref in groups else float("nan"))
    table["clean score"], table["AUROC last"], table["AUROC best"] = score, last, best
    if baseline is not None:
        table["epoch time ÷ baseline"] = ratio
    return table


def best_minus_last(record: Mapping[str, Any]) -> float:
    """How far test accuracy fell from its best epoch to the last, in points: the peak-then-decay
    of memorisation."""
    s = record["summary"]
    return 100 * (s["test_acc_best"] - s["test_acc_last"])


def memorised_at_end(record: Mapping[str, Any]) -> float:
    """The share of mislabelled training samples predicted as their given (wrong) label after the
    last epoch, in %."""
    return 100 * record["history"][-1]["noisy_acc_given"]


def history_mean(record: Mapping[str, Any], key: str) -> float:
    """Mean of a history key over the epochs that have it (e.g. DivideMix's division after its
    warm-up); NaN where none has."""
    vals = [h[key] for h in record["history"] if h.get(key) is not None]
    return float(np.mean(vals)) if vals else float("nan")


def gmm_split(record_path: str | Path, seed: int = 0) -> dict[str, np.ndarray]:
    """The small-loss split of one run after every epoch, from the per-sample losses kept beside
    its record (``per_sample=True``): ``loss [E, N]``, ``epoch [E]``, ``is_clean [N]`` (given label =
    true label) and ``auroc [E]``, the AUROC of the GMM's clean probability
    (:func:`lnl.gmm.auroc_by_epoch`)."""
    from lnl import gmm, records

    arrays = records.per_sample(record_path)
    is_clean = arrays["given"] == arrays["true"]
    return {"loss": arrays["loss"], "epoch": arrays["epoch"], "is_clean": is_clean,
            "auroc": gmm.auroc_by_epoch(arrays["loss"], is_clean, seed)}


def memorisation_table(recs: Mapping[tuple, Mapping[str, Any]], auroc: Mapping[tuple, np.ndarray],
                       gmm_epochs: Mapping[str, int]):
    """One row per CE run ``{(experiment, rate): record}``: the measured noise share ρ; test accuracy
    (a fraction) at the best epoch, the last and over the last 10, and best − last; the share of
    mislabelled samples memorised at the end; and the GMM's AUROC (``auroc[key]``, per epoch,
    :func:`gmm_split`) at the experiment's GMM epoch (``gmm_epochs[experiment]``), at its best
    epoch and at the last. The memorisation curve of MixNN §3.2 and the split of its Fig. 4."""
    import pandas as pd

    rows = []
    for (name, rate), rec in recs.items():
        s, a, g = rec["summary"], np.asarray(auroc[name, rate]), gmm_epochs[name]
        rows.append({
            "experiment": name, "r": rate, "ρ": rec["noise"]["rate_effective"],
            "best": s["test_acc_best"], "best epoch": s["best_epoch"], "last": s["test_acc_last"],
            "last 10": s["test_acc_last10"], "best − last": s["test_acc_best"] - s["test_acc_last"],
            "memorised (end)": rec["history"][-1]["noisy_acc_given"],
            "GMM AUROC @ GMM epoch": a[g - 1], "GMM AUROC best": a.max(),
            "GMM best epoch": int(np.argmax(a)) + 1, "GMM AUROC last": a[-1],
        })
    return pd.DataFrame(rows).set_index(["experiment", "r"])


def correction_table(labels: Mapping[float, tuple[np.ndarray, np.ndarray, np.ndarray]]):
    """How a label correction did, one row per rate ``{rate: (given, true, corrected)}``: ρ, the
    share of labels right before and after, of mislabelled samples now right, of clean ones now
    wrong (MixNN §6.6's correction accuracy is "labels right after")."""
    import pandas as pd

    rows = []
    for rate, (given, true, corrected) in labels.items():
        given, true, corrected = (np.asarray(x) for x in (given, true, corrected))
        noisy = given != true
        rows.append({"r": rate, "ρ": noisy.mean(), "labels right before": (given == true).mean(),
                     "labels right after (argmax t)": (corrected == true).mean(),
                     "mislabelled now right": (corrected[noisy] == true[noisy]).mean(),
                     "clean now wrong": (corrected[~noisy] != true[~noisy]).mean()})
    return pd.DataFrame(rows).set_index("r")


BREAKDOWN = {   # (group, outcome) -> how it follows from the engine's training diagnostics
    ("clean", "correct"): "clean_acc", ("clean", "incorrect"): None,
    ("mislabelled", "correct"): "noisy_acc_true", ("mislabelled", "memorised"): "noisy_acc_given",
    ("mislabelled", "incorrect"): None}


def memorisation_breakdown(record: Mapping[str, Any]):
    """Per epoch, the shares of training predictions (eval mode) in ALR's Figure 4 categories: on
    clean samples correct or incorrect; on mislabelled samples correct (the true label), memorised
    (the given, wrong label) or incorrect (neither). One row per epoch, columns
    ``(group, outcome)``; each group's shares sum to 1."""
    import pandas as pd

    rows = []
    for h in record["history"]:
        clean, true, given = h.get("clean_acc"), h.get("noisy_acc_true"), h.get("noisy_acc_given")
        if clean is None or true is None or given is None:
            raise ValueError(f"Run {record.get('run_id')} has no training diagnostics with known true labels "
                             "(clean_acc, noisy_acc_true, noisy_acc_given) in epoch "
                             f"{h['epoch']}: a memorisation breakdown needs them.")
        rows.append({("clean", "correct"): clean, ("clean", "incorrect"): 1 - clean,
                     ("mislabelled", "correct"): true, ("mislabelled", "memorised"): given,
                     ("mislabelled", "incorrect"): 1 - true - given})
    return pd.DataFrame(rows, index=pd.Index([h["epoch"] for h in record["history"]], name="epoch"),
                        columns=pd.MultiIndex.from_tuples(BREAKDOWN))
