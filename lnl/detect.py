"""Which of my labels are wrong? A method's clean score for every training sample, beside cleanlab's.

``lnl detect`` trains a method on the given labels and ranks every training sample by the score
the method itself keeps (its detection score, :attr:`lnl.engine.Method.detection`): DivideMix's
and SANM's GMM clean probability w, Co-teaching's small loss, ELR's and ALR's target mass on the
given label, IEG's ω*, and for a method without one (CE, Mixup, MixNN) minus its loss on the given
label, with the small-loss GMM's clean probability (:func:`lnl.gmm.clean_probability`). Beside it,
cleanlab's confident learning (Northcutt et al., JAIR 2021) on out-of-sample predicted
probabilities: ``folds`` CE networks of the same architecture and budget, each trained on the other
folds and predicting its own (``cleanlab.filter.find_label_issues``, and
``cleanlab.rank.get_label_quality_scores``, self-confidence). The two differ in what they look at:
a method's score comes from the network that trained on the very sample, cleanlab's from networks
that never saw it.

:func:`detect` returns one row per training sample (:data:`COLUMNS`); where the truth is known (the
book's data sets with synthetic noise, or your trusted labels for some of your images),
:func:`detection_metrics` scores each detector against it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lnl import data as lnl_data
from lnl import engine, gmm, records, runner

# ours: the method the detection page ranks first at cpu among those that score all three of its noise
# models (lnl.report.detector_ranking over symmetric 0.8, asymmetric 0.4 and instance 0.4): in the
# book's 2-core build ELR's t_iỹ had a mean AUROC of 0.885 (ALR 0.870, CE 0.819, cleanlab 0.808,
# Co-teaching 0.773; one seed), at CE's cost. ELR has no P(clean) of its own: cleanlab's flags beside it.
DEFAULT_METHOD = "elr"
DEFAULT_FOLDS = 5           # cleanlab's own examples and benchmarks use 5-fold cross-validation
P_CLEAN_SCORES = ("w_net1", "sanm_w")   # detection scores that are a GMM's clean probability already
COLUMNS = ("sample", "path", "given", "predicted", "score", "p_clean", "rank", "cleanlab_issue",
           "cleanlab_quality", "cleanlab_rank", "true", "mislabelled")


@dataclass
class Detection:
    """What :func:`detect` found: ``table`` (one row per training sample, :data:`COLUMNS` that
    apply), the method's ``record``, the number of cleanlab ``folds`` (0: cleanlab not run), and
    ``detector``, the name of the method's score."""

    table: Any
    record: dict[str, Any]
    folds: int
    detector: str


def method_scores(restored: engine.Restored, seed: int = 0) -> dict[str, np.ndarray | None]:
    """The trained method's view of every training sample: its ``probs [N, C]`` (eval mode, the
    reported output), its clean ``score [N]`` (higher = more likely clean) and ``p_clean [N]``
    where the score is a clean probability (None elsewhere)."""
    from lnl.engine.diagnostics import evaluate_named

    r = restored
    outs = evaluate_named(r.method.predict, r.ctx.data, r.ctx.cfg.batch_size * 4, r.ctx.autocast)
    logits = outs[r.method.reported_output or next(iter(outs))] if isinstance(outs, dict) else outs
    probs = torch.softmax(logits.float(), 1).cpu().numpy()
    name = r.method.detection
    if name in r.scores:
        score = r.scores[name].float().numpy()
        return {"probs": probs, "score": score, "p_clean": score if name in P_CLEAN_SCORES else None}
    loss = gmm.per_sample_loss(logits.float(), r.ctx.labels).cpu().numpy()     # no score of its own:
    return {"probs": probs, "score": -loss, "p_clean": gmm.clean_probability(loss, seed=seed)}   # small loss


def fold_config(cfg: engine.RunConfig, k: int, folds: int) -> engine.RunConfig:
    """The run that predicts fold ``k`` (1-based) of ``folds`` for cleanlab: CE with the same data,
    noise, network, schedule and budget, trained on the other folds (``RunConfig.fold``)."""
    return dataclasses.replace(cfg, method="ce", method_params={}, fold=f"{k}/{folds}")


def fold_probs(restored: engine.Restored) -> np.ndarray:
    """``[n, C]`` predicted probabilities of the held-out fold (the test set of a fold run), in the
    order of :func:`lnl.engine.fold_split`'s held-out positions."""
    from lnl.engine.diagnostics import evaluate_named

    r = restored
    logits = evaluate_named(r.method.predict, r.test, r.ctx.cfg.batch_size * 4, r.ctx.autocast)
    return torch.softmax(logits.float(), 1).cpu().numpy()


def assemble(given: np.ndarray, num_classes: int, seed: int, probs: list[np.ndarray]) -> np.ndarray:
    """``[N, C]`` out-of-sample probabilities of every training sample from the held-out
    probabilities of each fold (``probs[k - 1]``: fold k's, as :func:`fold_probs` gives them)."""
    out = np.full((len(given), num_classes), np.nan, dtype=np.float32)
    for k, p in enumerate(probs, 1):
        out[engine.fold_split(given, k, len(probs), seed)[1]] = p
    return out


def out_of_sample_probs(cfg: engine.RunConfig, prep: Any, folds: int, work: Path,
                        progress: bool | None = None) -> np.ndarray:
    """``[N, C]`` predicted probabilities of every training sample from the CE network of the fold
    that held it out (stratified by given label, seeded by the run's seed)."""
    given, probs = np.asarray(prep.labels), []
    for k in range(1, folds + 1):
        fcfg = fold_config(cfg, k, folds)
        if progress is not False:
            n = len(engine.fold_split(given, k, folds, cfg.seed)[1])
            print(f"cleanlab fold {k} of {folds}: CE on {len(given) - n} samples, predicting {n}")
        rec = runner.run(fcfg, out=work, dataset=prep.dataset, keep_state=True, progress=progress)
        probs.append(fold_probs(runner.restore(work / f"{rec['run_id']}.json", dataset=prep.dataset)))
    return assemble(given, prep.dataset.num_classes, cfg.seed, probs)


def _rank(score: np.ndarray) -> np.ndarray:
    """1 for the sample most likely mislabelled (lowest clean score), ties by index."""
    rank = np.empty(len(score), dtype=np.int64)
    rank[np.argsort(score, kind="stable")] = np.arange(1, len(score) + 1)
    return rank


def trusted_truth(cfg: engine.RunConfig, trusted: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """The training samples a trusted-labels CSV lists (indices into the run's training set, as
    :func:`detect`'s ``sample``) and their trusted labels, both ``[M]``; read before anything
    trains, so that a bad file stops the run with its one sentence and nothing written."""
    prep = engine.prepare(cfg)
    paths = [prep.dataset.train_paths[i] for i in prep.train_idx] if prep.dataset.train_paths else []
    return lnl_data.read_trusted(trusted, paths, prep.dataset.classes)


def detect(cfg: engine.RunConfig, work: str | Path, folds: int = DEFAULT_FOLDS, progress: bool | None = None,
           seed: int = 0, trusted: str | Path | None = None) -> Detection:
    """Train ``cfg``'s method and rank every training sample by its clean score; with ``folds`` ≥ 2,
    cleanlab's issues and label quality from as many out-of-sample CE networks (0: no cleanlab).
    ``trusted``: a CSV of trusted ``path,label`` rows for some of your images, the truth of the
    samples it lists (``true`` and ``mislabelled`` are empty for the others). Runs and their trained
    state go to ``work``."""
    import pandas as pd

    if folds == 1 or folds < 0:
        raise ValueError(f"--folds takes 0 (no cleanlab) or a number of folds from 2, got {folds}.")
    truth = trusted_truth(cfg, trusted) if trusted is not None else None
    work = Path(work)
    rec = runner.run(cfg, out=work, keep_state=True, progress=progress)
    r = runner.restore(work / f"{rec['run_id']}.json")
    mine = method_scores(r, seed)
    prep, classes = r.prep, np.asarray(r.prep.dataset.classes)
    given = np.asarray(prep.labels)
    paths = prep.dataset.train_paths
    table = pd.DataFrame({
        "sample": np.arange(len(given)),
        "path": [paths[i] for i in prep.train_idx] if paths else None,
        "given": classes[given], "predicted": classes[mine["probs"].argmax(1)],
        "score": mine["score"], "p_clean": mine["p_clean"], "rank": _rank(mine["score"])})
    if folds:
        from cleanlab.filter import find_label_issues
        from cleanlab.rank import get_label_quality_scores

        probs = out_of_sample_probs(cfg, prep, folds, work, progress)
        quality = get_label_quality_scores(given, probs, method="self_confidence")
        table["cleanlab_issue"] = find_label_issues(given, probs)
        table["cleanlab_quality"] = quality
        table["cleanlab_rank"] = _rank(quality)
    if prep.true is not None:
        table["true"] = classes[np.asarray(prep.true)]
        table["mislabelled"] = np.asarray(prep.true) != given
    elif truth is not None:
        idx, true = truth
        table["true"], table["mislabelled"] = None, None
        table.loc[idx, "true"] = classes[true]
        table.loc[idx, "mislabelled"] = true != given[idx]
    table = table[[c for c in COLUMNS if c in table and not table[c].isna().all()]]
    return Detection(table, rec, folds, r.method.detection)


def _auroc(clean: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(clean, score)) if 0 < clean.sum() < len(clean) else math.nan


def detection_metrics(table: Any) -> Any:
    """Each detector against the truth (``table`` with ``mislabelled``): the AUROC of its clean
    score; the size, precision and recall of the set it flags (P(clean) < 0.5; cleanlab's issues);
    and precision@k, the share truly mislabelled among its k most suspicious, k the number truly
    mislabelled. A score without a clean probability flags no set (—). Where the truth is known for
    some samples alone (a trusted-labels CSV), the metrics are over those, ranked among themselves."""
    import pandas as pd

    table = table[table["mislabelled"].notna()].reset_index(drop=True)
    table = table.assign(rank=_rank(table["score"].to_numpy(float)))
    if "cleanlab_quality" in table:
        table = table.assign(cleanlab_rank=_rank(table["cleanlab_quality"].to_numpy(float)))
    wrong = table["mislabelled"].to_numpy(bool)
    k = int(wrong.sum())
    rows = []
    detectors = [("method", "score", "p_clean", "rank")]
    if "cleanlab_quality" in table:
        detectors.append(("cleanlab", "cleanlab_quality", "cleanlab_issue", "cleanlab_rank"))
    for name, score, flag, rank in detectors:
        row = {"detector": name, "AUROC": _auroc(~wrong, table[score].to_numpy(float))}
        if flag in table:
            flagged = table[flag].to_numpy() < 0.5 if flag == "p_clean" else table[flag].to_numpy(bool)
            hit = int((flagged & wrong).sum())
            row.update({"flagged": int(flagged.sum()), "precision": hit / flagged.sum() if flagged.any() else math.nan,
                        "recall": hit / k if k else math.nan})
        row[f"precision@{k}"] = float(wrong[table[rank].to_numpy() <= k].mean()) if k else math.nan
        rows.append(row)
    order = ["detector", "AUROC", "flagged", "precision", "recall", f"precision@{k}"]
    table = pd.DataFrame(rows)
    return table[[c for c in order if c in table]].set_index("detector")


def write_table(table: Any, path: str | Path) -> Path:
    """``table`` as CSV at ``path``, written whole or not at all."""
    path = Path(path)
    with records.atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
    return path
