"""The detection page ("Finding the wrong labels"): each method's own clean score against cleanlab's
confident learning, block by block (a protocol and a noise cell, :data:`lnl.plans.DETECTION`).

A block's inputs (:func:`detection_block`) are, for every training sample, the given and the true
label, each arm's clean score (higher = more likely clean), its P(clean) where it has one and its
predicted class, all from the arm's trained state (:func:`lnl.detect.method_scores`), and cleanlab's
label quality and issues from the out-of-sample probabilities of the block's fold runs
(:func:`lnl.detect.fold_probs`, :func:`lnl.detect.assemble`). The tables then only count:
:func:`detection_metrics_table` (AUROC, precision, recall and F1 of the flagged set, precision@k),
:func:`auroc_over_epochs` (the records' per-epoch AUROC), :func:`most_suspicious` (the samples a
detector ranks first), :func:`disagreement_table` (a method against cleanlab), :func:`detector_cost`
(wall time as a multiple of one CE training), :func:`detection_summary` (AUROC per block and
detector), :func:`detector_ranking` (the detectors that score every block, by mean AUROC) and :func:`published_beside_ours` (cleanlab's published AUROC on CIFAR-10N beside the gpu
records).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from lnl.report.summaries import detection_curve
from lnl.report.tables import PAPER_TABLES

CLEANLAB = "cleanlab"
CLEANLAB_TABLE = "cleanlab_cifar10n_auroc.csv"
SCORE_NAMES = {"loss": "−loss", "small_loss": "−loss of net1", "target_given": "t_iỹ", "w_net1": "GMM w of net1",
               "sanm_w": "SANM's GMM w", "omega": "ω*"}     # a method's clean score (Method.detection), in words


@dataclass
class Block:
    """One block's per-sample view: ``given``, ``true`` ``[N]`` class indices; per arm ``scores``
    (clean score ``[N]``), ``p_clean`` (``[N]`` or None), ``predicted`` ``[N]`` (cleanlab's too: the
    out-of-sample argmax); cleanlab's
    ``quality`` and ``issue`` ``[N]`` (None without fold runs); the arms' and folds' ``records``;
    ``images`` ``[N, C, H, W]`` uint8 of the training samples and the data set's ``classes``."""

    name: str
    given: np.ndarray
    true: np.ndarray
    scores: dict[str, np.ndarray]
    p_clean: dict[str, np.ndarray | None]
    predicted: dict[str, np.ndarray]
    records: dict[str, Mapping[str, Any]]
    quality: np.ndarray | None = None
    issue: np.ndarray | None = None
    fold_records: list[Mapping[str, Any]] = field(default_factory=list)
    images: np.ndarray | None = None
    classes: tuple[str, ...] = ()

    @property
    def wrong(self) -> np.ndarray:
        """``[N]`` bool: the given label differs from the true one."""
        return self.given != self.true


def cleanlab_scores(given: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cleanlab's label quality (self-confidence, ``[N]``) and issues (``[N]`` bool) of the labels
    ``given`` under out-of-sample probabilities ``probs`` ``[N, C]``."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    return (get_label_quality_scores(given, probs, method="self_confidence"),
            np.asarray(find_label_issues(given, probs), dtype=bool))


def detection_block(name: str, runs: Sequence[Any], recs: Mapping[tuple, Mapping[str, Any]], rdir: str | Path,
                    datasets: dict[str, Any] | None = None) -> Block:
    """The block ``name`` of a detection plan (``runs``, :func:`lnl.plans.plan`) from its records
    ``recs`` (``{key: record}``, :func:`lnl.book.run_plan`) and trained states in ``rdir``; each
    data set is loaded once into ``datasets`` (``{name: Dataset}``), which the caller may share
    between blocks."""
    from lnl import data as lnl_data
    from lnl import detect, runner

    datasets = {} if datasets is None else datasets
    mine = [p for p in runs if p.key[0] == name]
    if not mine:
        raise ValueError(f"The plan has no block '{name}'.")

    def restore(p):
        if p.config.dataset not in datasets:
            datasets[p.config.dataset] = lnl_data.load(p.config.dataset)
        return runner.restore(Path(rdir) / f"{p.run_id}.json", dataset=datasets[p.config.dataset])

    arms = [p for p in mine if p.key[1] != CLEANLAB]
    folds = sorted((p for p in mine if p.key[1] == CLEANLAB), key=lambda p: p.key[2])
    scores, p_clean, predicted, records = {}, {}, {}, {}
    given = true = images = None
    classes: tuple[str, ...] = ()
    for p in arms:
        r = restore(p)
        out = detect.method_scores(r)
        labels = np.asarray(r.prep.labels)
        if given is None:
            given, true = labels, np.asarray(r.prep.true)
            images = r.prep.dataset.train.images[r.prep.train_idx].numpy()
            classes = tuple(r.prep.dataset.classes)
        elif not np.array_equal(labels, given):
            raise ValueError(f"Block '{name}': {p.key[1]} trained on other labels than {arms[0].key[1]}.")
        arm = p.key[1]
        scores[arm], p_clean[arm], predicted[arm] = out["score"], out["p_clean"], out["probs"].argmax(1)
        records[arm] = recs[p.key]
    block = Block(name, given, true, scores, p_clean, predicted, records, images=images, classes=classes)
    if folds:
        seed = folds[0].config.seed
        probs = detect.assemble(given, len(classes), seed, [detect.fold_probs(restore(p)) for p in folds])
        block.quality, block.issue = cleanlab_scores(given, probs)
        block.predicted[CLEANLAB] = probs.argmax(1)
        block.fold_records = [recs[p.key] for p in folds]
    return block


def _f1(precision: float, recall: float) -> float:
    if math.isnan(precision) or math.isnan(recall) or precision + recall == 0:
        return math.nan
    return 2 * precision * recall / (precision + recall)


def detector_metrics(score: np.ndarray, flagged: np.ndarray | None, wrong: np.ndarray) -> dict[str, float]:
    """One detector against the truth ``wrong`` ``[N]`` (bool: mislabelled): the ``AUROC`` of its
    clean ``score`` ``[N]`` (higher = clean) at picking the clean samples; the size, precision,
    recall and F1 of the set it ``flagged`` (``[N]`` bool; None: it flags none, NaN); and
    ``precision@k``, the share truly mislabelled among its k lowest scores, k the number truly
    mislabelled (ties by index)."""
    from sklearn.metrics import roc_auc_score

    wrong = np.asarray(wrong, dtype=bool)
    k = int(wrong.sum())
    auroc = float(roc_auc_score(~wrong, score)) if 0 < k < len(wrong) else math.nan
    out = {"AUROC": auroc, "flagged": math.nan, "precision": math.nan, "recall": math.nan, "F1": math.nan}
    if flagged is not None:
        flagged = np.asarray(flagged, dtype=bool)
        hit = int((flagged & wrong).sum())
        precision = hit / flagged.sum() if flagged.any() else math.nan
        recall = hit / k if k else math.nan
        out.update(flagged=int(flagged.sum()), precision=precision, recall=recall, F1=_f1(precision, recall))
    first = np.argsort(np.asarray(score, dtype=float), kind="stable")[:k]
    out["precision@k"] = float(wrong[first].mean()) if k else math.nan
    return out


def detection_metrics_table(block: Block):
    """Per detector of ``block`` (its arms, then cleanlab): the score it ranks by,
    :func:`detector_metrics` and the number ``k`` truly mislabelled. A method flags the samples
    whose P(clean) is below 0.5, IEG those its meta step gives no weight (ω* = 0); the others flag
    none; cleanlab flags its issues."""
    import pandas as pd

    rows = {}
    for arm, score in block.scores.items():
        pc = block.p_clean[arm]
        name = block.records[arm].get("detection", "loss")
        flagged = (pc < 0.5) if pc is not None else (score <= 0) if name == "omega" else None   # ω* = 0: dropped
        rows[arm] = {"score": SCORE_NAMES.get(name, name), **detector_metrics(score, flagged, block.wrong)}
    if block.quality is not None:
        rows[CLEANLAB] = {"score": f"self-confidence, {len(block.fold_records)}-fold",
                          **detector_metrics(block.quality, block.issue, block.wrong)}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["k"] = int(block.wrong.sum())
    return table


def auroc_over_epochs(block: Block):
    """Each arm's AUROC per epoch (rows: epochs from 1), from its record's history
    (:func:`lnl.report.detection_curve`: the method's own score where it logs one every epoch, else
    the engine's small-loss ranking); cleanlab has one value, after its folds are trained."""
    import pandas as pd

    curves = {arm: detection_curve(rec) for arm, rec in block.records.items()}
    table = pd.DataFrame({arm: pd.Series(c, index=np.arange(1, len(c) + 1)) for arm, c in curves.items()})
    table.index.name = "epoch"
    return table


def most_suspicious(block: Block, detector: str, n: int = 12):
    """The ``n`` samples ``detector`` (an arm or ``"cleanlab"``) ranks most likely mislabelled
    (lowest clean score first): index, given and predicted class (cleanlab: the prediction of the
    CE fold that held the sample out), the true class, whether the truth says mislabelled, and the
    score."""
    import pandas as pd

    score = block.quality if detector == CLEANLAB else block.scores[detector]
    if score is None:
        raise ValueError(f"Block '{block.name}' has no {detector} scores.")
    first = np.argsort(np.asarray(score, dtype=float), kind="stable")[:n]
    names = np.asarray(block.classes)
    return pd.DataFrame({"sample": first, "given": names[block.given[first]],
                         "predicted": names[block.predicted[detector][first]],
                         "true": names[block.true[first]], "mislabelled": block.wrong[first],
                         "score": np.asarray(score, dtype=float)[first]}).set_index("sample")


def disagreement_table(block: Block, arm: str):
    """``arm``'s flagged set against cleanlab's: how many samples each group holds (flagged by both,
    by the method alone, by cleanlab alone, by neither) and the share of them truly mislabelled,
    with the Spearman correlation of the two scores over all samples in the last row's note column.
    An arm without a clean probability flags as many as cleanlab, its lowest scores."""
    import pandas as pd
    from scipy.stats import spearmanr

    if block.quality is None:
        raise ValueError(f"Block '{block.name}' has no cleanlab scores.")
    cl = block.issue
    pc = block.p_clean[arm]
    if pc is not None:
        mine = pc < 0.5
    else:
        mine = np.zeros(len(cl), dtype=bool)
        mine[np.argsort(block.scores[arm], kind="stable")[:int(cl.sum())]] = True
    groups = {"both": mine & cl, f"{arm} alone": mine & ~cl, "cleanlab alone": ~mine & cl, "neither": ~mine & ~cl}
    table = pd.DataFrame({"samples": {g: int(m.sum()) for g, m in groups.items()},
                          "truly mislabelled": {g: float(block.wrong[m].mean()) if m.any() else math.nan
                                                for g, m in groups.items()}})
    table.attrs["spearman"] = float(spearmanr(block.scores[arm], block.quality).statistic)
    return table


def _train_seconds(record: Mapping[str, Any]) -> float:
    return float(np.sum(record["timing"]["epoch_s"]))


def detector_cost(block: Block):
    """Each detector's wall time as a multiple of one CE training in the block: a method's run, and
    cleanlab's K fold runs together (each on (K − 1)/K of the data); the seconds are the runs'
    epoch times summed, from their records."""
    import pandas as pd

    ce = _train_seconds(block.records["CE"])
    rows = {arm: {"runs": 1, "seconds": _train_seconds(r)} for arm, r in block.records.items()}
    if block.fold_records:
        rows[CLEANLAB] = {"runs": len(block.fold_records),
                          "seconds": sum(_train_seconds(r) for r in block.fold_records)}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["÷ one CE training"] = table["seconds"] / ce
    return table


def detection_summary(blocks: Sequence[Block]):
    """AUROC per detector (rows) and block (columns): the closing table."""
    import pandas as pd

    return pd.concat({b.name: detection_metrics_table(b)["AUROC"] for b in blocks}, axis=1, sort=False)


def detector_ranking(blocks: Sequence[Block]):
    """The detectors that score every one of ``blocks`` ranked by their mean AUROC over them (1 =
    best): which one to use when the noise model is not known. Columns: each block's AUROC, ``mean
    AUROC``, ``method`` (the ``lnl run --method`` of the detector's run; cleanlab's is its own) and
    ``rank``."""
    table = detection_summary(blocks).dropna()
    table["mean AUROC"] = table[[b.name for b in blocks]].mean(axis=1)
    table = table.sort_values("mean AUROC", ascending=False, kind="stable")
    table["method"] = [CLEANLAB if d == CLEANLAB else blocks[0].records[d]["config"]["method"] for d in table.index]
    table["rank"] = range(1, len(table) + 1)
    return table


def cleanlab_published():
    """cleanlab's published AUROC on CIFAR-10N (``data/paper_tables``): one row per label set with
    its network, folds, score and source."""
    import pandas as pd

    return pd.read_csv(PAPER_TABLES / CLEANLAB_TABLE).set_index("noise")


def published_beside_ours(runs: Sequence[Any], root: str | Path | None = None):
    """cleanlab's published AUROC on CIFAR-10N beside our records of a gpu (or paper) detection plan
    ``runs`` found under ``results/`` (``root`` overrides it): per label set, each arm's AUROC at
    its last epoch (its record's history), "not run yet" where no record is committed. The
    published protocol (ResNet-18, 5-fold) is not ours (PreAct ResNet-18, the plan's schedule)."""
    import pandas as pd

    from lnl import campaign

    pub = cleanlab_published()
    rows: dict[str, dict[str, Any]] = {}
    for p in runs:
        kind, label_set = p.config.noise, p.config.label_set
        if kind != "human" or label_set not in pub.index or p.key[1] == CLEANLAB:
            continue
        row = rows.setdefault(label_set, {"cleanlab, published": float(pub.loc[label_set, "value"]),
                                          "its protocol": f"{pub.loc[label_set, 'network']}, "
                                                          f"{pub.loc[label_set, 'folds']}-fold"})
        rec = campaign.find(p, root).record
        arm = p.key[1] if p.config.probe_per_class == 0 else f"{p.key[1]} (probe)"
        row[arm] = "not run yet" if rec is None else f"{float(detection_curve(rec)[-1]):.4f}"
    for label_set, row in rows.items():
        row["cleanlab, ours"] = _campaign_cleanlab(
            [p for p in runs if p.config.label_set == label_set and p.config.probe_per_class == 0], root)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "label set"
    return table


def _campaign_cleanlab(runs: Sequence[Any], root: str | Path | None) -> str:
    """cleanlab's AUROC from a campaign's extras of one block (its CE run's ``given`` and ``true``,
    its folds' ``heldout_probs``), or "not run yet"."""
    from sklearn.metrics import roc_auc_score

    from lnl import campaign

    ce = next((p for p in runs if p.key[1] == "CE"), None)
    folds = sorted((p for p in runs if p.key[1] == CLEANLAB), key=lambda p: p.key[2])
    found = [campaign.find(p, root) for p in ([ce] if ce else []) + folds]
    extras = [campaign.read_extras(f.path) if f.record is not None else None for f in found]
    if not folds or any(e is None for e in extras):
        return "not run yet"
    from lnl import detect

    given, true, held = extras[0]["given"], extras[0]["true"], [e["heldout_probs"] for e in extras[1:]]
    probs = detect.assemble(given, held[0].shape[1], folds[0].config.seed, held)
    quality, _ = cleanlab_scores(given, probs)
    return f"{roc_auc_score(given == true, quality):.4f}"


def detection_protocol(S: Mapping[str, Any]):
    """The page's blocks: protocol, noise cell, arms and cleanlab's folds, one row each."""
    import pandas as pd

    rows = [{"block": b["name"], "protocol": {"own": "this page's"}.get(b["protocol"], f"{b['protocol']} chapter's"),
             "noise": f"{b['cell'][0]} {b['cell'][1]}", "arms": ", ".join(b["arms"]),
             "cleanlab folds": b.get("folds", S["folds"])} for b in S["blocks"]]
    return pd.DataFrame(rows).set_index("block")
