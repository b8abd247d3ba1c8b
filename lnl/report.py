"""What every replication page needs: paper numbers looked up, never typed; our runs summarised
over seeds; claims checked with a verdict.

The tables under ``data/paper_tables/`` are tidy CSV files, one row per cell: ``table``,
``dataset``, ``noise`` (``symm`` / ``asymm``, as the papers print it), ``rate``, ``method``,
``metric``, ``value``, ``std`` where the paper gives one, and ``source``. :func:`paper_table` reads
one and adds ``cell``, the value as printed (``mean ± std``); :func:`paper_row` and
:func:`paper_cell` find the cell for one of our runs, named in this library's terms (noise kinds of
:mod:`lnl.noise`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

PAPER_TABLES = Path(__file__).resolve().parents[1] / "data" / "paper_tables"
# Our noise kinds as the papers' tables name them: both symmetric conventions print as "symm",
# which is why every page states which convention its runs use.
PAPER_NOISE = {"symmetric": "symm", "symmetric-uniform": "symm", "asymmetric": "asymm",
               "asymmetric-blocks": "asymm"}
MISSING = "—"


def paper_table(path: str | Path):
    """A paper table (a path, or a file name under :data:`PAPER_TABLES`) with its printed ``cell``."""
    import pandas as pd

    path = Path(path)
    df = pd.read_csv(path if path.exists() or path.is_absolute() else PAPER_TABLES / path)
    std = df["std"] if "std" in df else [None] * len(df)
    df["cell"] = [f"{v:.2f}" + (f" ± {s:.2f}" if pd.notna(s) else "") for v, s in zip(df["value"], std)]
    return df


def paper_row(tables: Sequence, dataset: str, kind: str, rate: float, methods: Iterable[str]):
    """The first row, searching ``tables`` in order, of ``dataset`` with noise ``kind`` at ``rate``
    for any of the names ``methods`` (a method is often printed as "X (Ours)"); None if none has it."""
    if kind not in PAPER_NOISE:
        return None
    names = list(methods)
    for df in tables:
        hit = df[(df.dataset == dataset) & (df.noise == PAPER_NOISE[kind]) & (abs(df.rate - rate) < 1e-9)
                 & df.method.isin(names)]
        if len(hit):
            return hit.iloc[0]
    return None


def paper_cell(tables: Sequence, dataset: str, kind: str, rate: float, methods: Iterable[str]) -> str:
    """The printed cell of :func:`paper_row`, or ``—`` where no table has it."""
    row = paper_row(tables, dataset, kind, rate, methods)
    return MISSING if row is None else row["cell"]


def paper_value(tables: Sequence, dataset: str, kind: str, rate: float, methods: Iterable[str]) -> float | None:
    """The number of :func:`paper_row` (``None`` where no table has it)."""
    row = paper_row(tables, dataset, kind, rate, methods)
    return None if row is None else float(row["value"])


def cell_source(tables: Sequence, dataset: str, kind: str, rate: float, *names: str | tuple[str, str]) -> str:
    """The printed cells that a claim tests, as its source: "SANM(CE) 72.1, CE 62.9". Each name is a
    method as the table prints it, or ``(ours, printed)`` where the book calls it otherwise."""
    pairs = [(n, n) if isinstance(n, str) else n for n in names]
    return ", ".join(f"{ours} {paper_cell(tables, dataset, kind, rate, [printed])}" for ours, printed in pairs)


def paper_difference(tables: Sequence, dataset: str, cells: Sequence[tuple[str, float, Iterable[str], int]]) -> float:
    """Σ sign · value over ``cells`` = ``(kind, rate, method names, ±1)``: a paper's gap between two
    arms (``[("symmetric", 0.8, A, +1), ("symmetric", 0.8, B, -1)]``), or a difference of gaps.
    A cell that no table has is an error, naming it."""
    total = 0.0
    for kind, rate, names, sign in cells:
        names = list(names)
        v = paper_value(tables, dataset, kind, rate, names)
        if v is None:
            raise KeyError(f"No paper table has {' / '.join(names)} on {dataset}, {kind} {rate:g}.")
        total += sign * v
    return total


def paper_gap(tables: Sequence, dataset: str, kind: str, rate: float, a: str, b: str) -> float:
    """A paper's lead of method ``a`` over method ``b`` in one cell (:func:`paper_difference`)."""
    return paper_difference(tables, dataset, [(kind, rate, [a], +1), (kind, rate, [b], -1)])


# ----------------------------------------------------------------------------------------------
# Our runs over seeds
# ----------------------------------------------------------------------------------------------

def pct(values: Iterable[float]) -> str:
    """Fractions as "mean ± std" in % over seeds (the sample std, ddof 1), or the one value."""
    v = 100 * np.asarray(list(values), dtype=float)
    return f"{v.mean():.2f}" + (f" ± {v.std(ddof=1):.2f}" if len(v) > 1 else "")


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


def by_seed(records: Mapping[int, Mapping[str, Any]], metric: str = "test_acc_last10") -> dict[int, float]:
    """``{seed: summary[metric] in %}`` of one arm's records ``{seed: record}``."""
    return {s: 100 * r["summary"][metric] for s, r in records.items()}


def paired(a: Mapping[int, float], b: Mapping[int, float]) -> dict[int, float]:
    """``a − b`` seed by seed, over the seeds both ran (a seed-paired difference)."""
    return {s: a[s] - b[s] for s in a if s in b}


def verdict_of(diffs: Mapping[int, float], threshold: float, spread: float | None = None) -> str:
    """``holds`` when the mean difference minus two standard errors over seeds clears ``threshold``,
    ``does not hold`` when the mean plus two standard errors stays below it, ``within seed noise``
    between the two. With one seed, the one difference against ``spread``, the standard deviation
    such a difference has from seed to seed as measured elsewhere (:func:`seed_spread`), in place
    of the standard error; without a (finite) ``spread``, its sign alone. Either way the verdict is
    marked "(one seed)"."""
    d = np.array(list(diffs.values()), dtype=float)
    if len(d) == 0:
        raise ValueError("A verdict needs at least one seed that both arms ran.")
    if len(d) < 2:
        if spread is None or not np.isfinite(spread):
            return ("holds" if d.mean() > threshold else "does not hold") + " (one seed)"
        se = float(spread)
        verdict = ("holds" if d.mean() - 2 * se > threshold else
                   "does not hold" if d.mean() + 2 * se < threshold else "within seed noise")
        return verdict + " (one seed)"
    se = d.std(ddof=1) / math.sqrt(len(d))
    if d.mean() - 2 * se > threshold:
        return "holds"
    return "does not hold" if d.mean() + 2 * se < threshold else "within seed noise"


@dataclass(frozen=True)
class Claim:
    """A claim checked on seed-paired differences (percentage points unless ``unit`` says
    otherwise): it holds when their mean clears ``threshold`` by two standard errors. ``paper``:
    the paper's own difference. A claim on one run's value ("AUROC above 0.8") is a claim on that
    value, seed by seed, against its threshold. ``spread``: for a claim that rests on one seed, the
    seed-to-seed standard deviation of its difference measured elsewhere (:func:`verdict_of`).

    Every claim says where it comes from, exactly one of: ``source``, the paper's sentence it tests
    (quoted, with its section) or the table cell (``"Table 1, CIFAR-10 sym. 80 %: 93.2 vs 92.9"``);
    or ``ours``, why we check a claim the paper does not make (the verdict table labels it *ours*)."""

    text: str
    diffs: Mapping[int, float]
    threshold: float = 0.0
    paper: float | None = None
    unit: str = "points"        # what diffs and threshold measure (a claim on an AUROC: "AUROC")
    spread: float | None = None  # one seed: the yardstick that stands in for its standard error
    source: str | None = None   # the paper's sentence (quoted) or table cell that the claim tests
    ours: str | None = None     # or: why we check a claim the paper does not make

    def __post_init__(self):
        if (self.source is None) == (self.ours is None) or not (self.source or self.ours or "").strip():
            raise ValueError(f"Claim '{self.text}' needs exactly one of source (the paper's sentence or table "
                             "cell it tests) and ours (why we check a claim the paper does not make).")

    @property
    def provenance(self) -> str:
        """The claim's source as the verdict table shows it: the quote or cell, or "ours: why"."""
        return self.source if self.source is not None else f"ours: {self.ours}"

    @property
    def mean(self) -> float:
        return float(np.mean(list(self.diffs.values())))

    @property
    def verdict(self) -> str:
        return verdict_of(self.diffs, self.threshold, self.spread)


def claims_table(claims: Sequence[Claim], paper_label: str | None = "paper (points)", digits: int = 2):
    """One row per claim: our mean difference, ± 2 standard errors (with one seed, twice the
    claim's ``spread`` marked "(yardstick)", or — without one), the seeds it rests on, the paper's
    difference (no column with ``paper_label=None``), and the verdict. Where a claim is not in
    points, ``ours`` drops its unit and a ``unit`` and a ``threshold`` column say what each row
    measures against what. The last column, ``source``, quotes the sentence or cites the table cell
    each claim tests, or says "ours: ..." for a claim the paper does not make."""
    import pandas as pd

    units = any(c.unit != "points" for c in claims)
    ours = "ours" if units else "ours (points)"
    rows = []
    for c in claims:
        d = list(c.diffs.values())
        row = {"claim": c.text, ours: round(c.mean, digits)}
        if units:
            row.update({"unit": c.unit, "threshold": c.threshold})
        one_seed = (f"{2 * c.spread:.{digits}f} (yardstick)" if c.spread is not None and np.isfinite(c.spread)
                    else MISSING)
        row.update({"± 2 SE": round(2 * float(np.std(d, ddof=1)) / np.sqrt(len(d)), digits) if len(d) > 1 else one_seed,
                    "seeds": ", ".join(map(str, c.diffs))})
        if paper_label is not None:
            row[paper_label] = MISSING if c.paper is None else round(c.paper, digits)
        rows.append({**row, "here": c.verdict, "source": c.provenance})
    return pd.DataFrame(rows).set_index("claim")


def verdict_lists(claims: Sequence[Claim]) -> dict[str, list[str]]:
    """The claims' numbers (the text before its first ".") by verdict: ``held``, ``failed`` (does
    not hold) and ``unsure`` (within seed noise), in the order given; for a page's prose."""
    out: dict[str, list[str]] = {"held": [], "failed": [], "unsure": []}
    for c in claims:
        v = c.verdict
        key = "held" if v.startswith("holds") else "failed" if v.startswith("does not") else "unsure"
        out[key].append(c.text.split(".")[0])
    return out


@dataclass(frozen=True)
class Check:
    """What a page expects of a trained result, shown beside it instead of asserted. A trained
    network's numbers move with the processor, the thread count and the seed, so an expectation
    that one machine meets another may miss: the page shows whether it held (:func:`checks_table`)
    and never fails its build on it. Identities (a gradient against autograd, a shape, a sum to
    one) stay ``assert`` statements: they hold on every machine."""

    text: str
    value: Any
    holds: bool


def checks_table(checks: Sequence[Check], digits: int = 3):
    """One row per :class:`Check`: its value (rounded to ``digits`` where it is a number) and
    "holds" or "does not hold" on this machine."""
    import pandas as pd

    def shown(v):
        return round(float(v), digits) if isinstance(v, (int, float, np.floating, np.integer)) and \
            not isinstance(v, bool) else v

    rows = [{"expectation": c.text, "value": shown(c.value), "here": "holds" if c.holds else "does not hold"}
            for c in checks]
    return pd.DataFrame(rows).set_index("expectation")


def conventions():
    """``data/paper_tables/conventions.csv``: which noise convention each table's rows used."""
    import pandas as pd

    return pd.read_csv(PAPER_TABLES / "conventions.csv")


def convention_of(file: str, dataset: str, noise: str) -> dict[str, str]:
    """The convention of ``file``'s rows on ``dataset`` with printed ``noise`` (``symm``/``asymm``):
    ``convention`` (a :data:`lnl.noise.KINDS` name), ``rate_effective`` and ``source``. A table
    without an entry is an error that names it."""
    df = conventions()
    hit = df[(df.file == Path(file).name) & (df.noise == noise) & df.dataset.isin([dataset, "*"])]
    if not len(hit):
        raise KeyError(f"data/paper_tables/conventions.csv has no entry for {Path(file).name}, {dataset}, {noise}.")
    row = hit.sort_values("dataset", key=lambda s: s == "*").iloc[0]     # a data set's own entry first
    return {k: str(row[k]) for k in ("convention", "rate_effective", "source")}


# ----------------------------------------------------------------------------------------------
# Detection and cost
# ----------------------------------------------------------------------------------------------

def detection_curve(record: Mapping[str, Any]) -> np.ndarray:
    """The AUROC of a run's clean/noisy split per epoch: ``<score>_auroc`` of its history, where
    ``score`` is the method's own (``record["detection"]``: Co-teaching's small-loss ranking,
    ELR's target, DivideMix's GMM; ``loss``, the engine's small-loss ranking, for CE and Mixup and
    for records written before methods named one). NaN where an epoch has none."""
    key = f"{record.get('detection', 'loss')}_auroc"
    return np.array([np.nan if h.get(key) is None else h[key] for h in record["history"]], dtype=float)


def epoch_seconds(record: Mapping[str, Any]) -> float:
    """A run's mean wall time per epoch (training, per-epoch evaluation and diagnostics)."""
    return float(np.mean(record["timing"]["epoch_s"]))


def epoch_ratio(records: Iterable[Mapping[str, Any]], baseline: Iterable[Mapping[str, Any]]) -> float:
    """Mean epoch time of ``records`` over that of ``baseline`` (e.g. a method's runs over CE's on
    the same data and machine)."""
    mine, base = [epoch_seconds(r) for r in records], [epoch_seconds(r) for r in baseline]
    if not mine or not base:
        raise ValueError("An epoch-time ratio needs at least one record on each side.")
    return float(np.mean(mine) / np.mean(base))


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


def published(file: str | Path, methods: Mapping[str, str], datasets: Sequence[str] | None = None):
    """A paper table's rows for ``methods`` (``{our name: printed name}``), as printed: one row per
    (data set, method), one column per (noise, rate), each cell ``mean ± std`` where the paper
    gives one; a method the table lacks is left out."""
    df = paper_table(file)
    df = df[df.method.isin(list(methods.values())) & (df.dataset.isin(datasets) if datasets else True)]
    ours = {printed: name for name, printed in methods.items()}
    df = df.assign(method=[f"{ours[m]} (as printed: {m})" if ours[m] != m else m for m in df.method])
    return df.pivot_table(index=["dataset", "method"], columns=["noise", "rate"], values="cell",
                          aggfunc="first", sort=False).fillna(MISSING)


def arm_records(recs: Mapping[tuple, Mapping[str, Any]], *cell: Any) -> dict[int, Mapping[str, Any]]:
    """``{seed: record}`` of one arm in one cell, from a page's ``{(arm, kind, rate, seed): record}``
    (:func:`lnl.book.run_plan`'s result): ``cell`` is ``(arm, kind, rate)``."""
    return {key[-1]: r for key, r in recs.items() if tuple(key[:-1]) == tuple(cell)}


def seed_values(recs: Mapping[tuple, Mapping[str, Any]], cell: Sequence[Any],
                metric: str | Callable[[Mapping[str, Any]], float] = "test_acc_last10") -> dict[int, float]:
    """``{seed: value}`` of one arm in one cell (``cell = (arm, kind, rate)``, :func:`arm_records`):
    a summary metric in % (:func:`by_seed`), or ``metric(record)`` (e.g. :func:`memorised_at_end`,
    :func:`epoch_seconds`)."""
    rs = arm_records(recs, *cell)
    return by_seed(rs, metric) if isinstance(metric, str) else {s: float(metric(r)) for s, r in rs.items()}


def seed_spread(recs: Mapping[tuple, Mapping[str, Any]], cells: Iterable[Sequence[Any]],
                metric: str | Callable[[Mapping[str, Any]], float] = "test_acc_last10") -> float:
    """How much one run's ``metric`` (:func:`seed_values`) moves from seed to seed: the pooled
    standard deviation over seeds within each of ``cells`` (``(arm, kind, rate)``), weighted by
    their degrees of freedom (seeds − 1). NaN where no cell has two seeds.

    The yardstick for a comparison that rests on one seed (an ablation row against another): the
    difference of two such runs varies by about √2 times as much, less where the runs share their
    seed's noise draw and initialisation. Pass it to :class:`Claim` as ``spread``."""
    ss, dof = 0.0, 0
    for cell in cells:
        v = np.array(list(seed_values(recs, cell, metric).values()), dtype=float)
        if len(v) > 1:
            ss += float(((v - v.mean()) ** 2).sum())
            dof += len(v) - 1
    return math.sqrt(ss / dof) if dof else float("nan")


def cell_mean(recs: Mapping[tuple, Mapping[str, Any]], cell: Sequence[Any],
              metric: str | Callable[[Mapping[str, Any]], float] = "test_acc_last10") -> float:
    """The mean over seeds of one arm's ``metric`` in one cell (:func:`seed_values`): a summary
    metric's mean in % (the mean of the fractions, then scaled), or the mean of ``metric(record)``."""
    if isinstance(metric, str):
        return 100 * float(np.mean([r["summary"][metric] for r in arm_records(recs, *cell).values()]))
    return float(np.mean(list(seed_values(recs, cell, metric).values())))


def lead(recs: Mapping[tuple, Mapping[str, Any]], a: Sequence[Any], b: Sequence[Any],
         metric: str | Callable[[Mapping[str, Any]], float] = "test_acc_last10") -> dict[int, float]:
    """Cell ``a`` minus cell ``b`` (each ``(arm, kind, rate)``), seed by seed over the seeds both
    ran (:func:`paired`): the differences a :class:`Claim` tests."""
    return paired(seed_values(recs, a, metric), seed_values(recs, b, metric))


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


# ----------------------------------------------------------------------------------------------
# Memorisation and representations
# ----------------------------------------------------------------------------------------------

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


def trained_features(record_path: str | Path) -> dict[str, np.ndarray]:
    """Penultimate features of a fixed sample of a finished run's training images, on their first
    principal components, with their given and true labels: the run's ``extras`` as a GPU campaign
    brings them back (:func:`lnl.campaign.write_extras`), computed here from its kept state when
    they are not there yet."""
    from lnl import campaign

    extras = campaign.read_extras(record_path)
    if extras is None or "features" not in extras:
        campaign.write_extras(record_path, ["features"])
        extras = campaign.read_extras(record_path)
    return {"features": extras["features"].astype(np.float32), "given": extras["given"][extras["feature_idx"]],
            "true": extras["true"][extras["feature_idx"]], "idx": extras["feature_idx"]}


def clean_cluster_of(record: Mapping[str, Any], folder: str | Path) -> float:
    """:func:`clean_cluster_score` of a finished run whose record (and kept state or extras) is in
    ``folder``, drawn with the run's seed."""
    features = trained_features(Path(folder) / f"{record['run_id']}.json")
    return clean_cluster_score(features, seed=record["config"]["seed"])


def clean_cluster_score(features: Mapping[str, np.ndarray], seed: int = 0, points: int | None = 2000) -> float:
    """How tightly the *clean* training samples cluster by class in feature space (ALR's Fig. 5 as
    a number): the silhouette score (Euclidean, −1 to 1, higher is tighter and better separated)
    of the correctly labelled samples among ``features`` (:func:`trained_features`), grouped by
    their label; at most ``points`` of them, drawn with ``seed``."""
    from sklearn.metrics import silhouette_score

    clean = np.flatnonzero(features["given"] == features["true"])
    if points is not None and len(clean) > points:
        clean = np.sort(np.random.default_rng(seed).choice(clean, points, replace=False))
    return float(silhouette_score(features["features"][clean], features["true"][clean]))


def meta_weights(source: Any) -> dict[str, np.ndarray]:
    """IEG's meta step over a finished run: ``omega_trace [E, N]`` (ω*·B of every training sample
    after each epoch; 1 is the uniform weight 1/B), the last ``lam`` (λ*) and ``pseudo`` (the
    pseudo label's arg-max), with the ``given`` and ``true`` labels. ``source`` is a restored run
    (:func:`lnl.engine.restore`) or the path of a record whose kept state, or whose campaign extras
    (:func:`lnl.campaign.write_extras`), hold them."""
    from lnl import campaign, engine

    if isinstance(source, (str, Path)):
        extras = campaign.read_extras(source)
        if extras is not None and "omega_trace" in extras:
            return {k: extras[k] for k in ("omega_trace", "lam", "pseudo", "given", "true")}
        source = engine.restore(source)
    m = source.method
    if not hasattr(m, "omega_trace"):
        raise ValueError(f"Run {source.record['run_id']} is not an IEG run: it keeps no meta-step weights.")
    return {"omega_trace": m.omega_trace.float().cpu().numpy().astype(np.float16),
            "lam": m.lam.cpu().numpy().astype(np.int8), "pseudo": m.pseudo.cpu().numpy().astype(np.int16),
            "given": np.asarray(source.prep.labels), "true": np.asarray(source.prep.true)}


def relabel_breakdown(weights: Mapping[str, np.ndarray]):
    """What IEG's meta re-labelling did with each group of training samples at its last step, from
    :func:`meta_weights`: per group (``clean``, ``mislabelled``) the number of samples, the share
    whose λ* kept the given label (λ* = 1), the share whose pseudo label g is the true label, and
    the share whose target ỹ of L_λ* (eq. 5: the given label where λ* = 1, else g) is the true
    label. For mislabelled samples the last is the share of wrong labels repaired."""
    import pandas as pd

    lam, pseudo = np.asarray(weights["lam"]), np.asarray(weights["pseudo"])
    given, true = np.asarray(weights["given"]), np.asarray(weights["true"])
    if not (lam.shape == pseudo.shape == given.shape == true.shape):
        raise ValueError(f"lam, pseudo, given and true must have one length, got {lam.size}, {pseudo.size}, "
                         f"{given.size} and {true.size}.")
    target = np.where(lam > 0, given, pseudo)
    shares = {"λ* keeps the given label": lam > 0, "pseudo label g is true": pseudo == true,
              "target ỹ is true": target == true}
    rows = {}
    for group, mask in (("clean", given == true), ("mislabelled", given != true)):
        n = int(mask.sum())
        rows[group] = {"samples": n, **{name: float(hit[mask].mean()) if n else float("nan")
                                        for name, hit in shares.items()}}
    return pd.DataFrame.from_dict(rows, orient="index")


def activation_focus(net, x, y, form: str = "cam", centre: float = 0.5) -> dict[str, np.ndarray]:
    """The paper's Figure 1 as numbers: for images ``x`` with true labels ``y``, each image's share of
    activation mass in the central box (:func:`lnl.methods.sanm.centre_share`, of the predicted
    class's map: ``form`` as :func:`lnl.methods.sanm.activation_map`) and whether the network
    (eval mode) predicts it right. Returns ``{"share", "correct"}`` arrays ``[B]``."""
    import torch

    from lnl.engine import eval_mode
    from lnl.methods.sanm import activation_map, centre_share

    with eval_mode(net):
        with torch.no_grad():
            out = net(x, features=True)
        share = centre_share(activation_map(net, out, form), tuple(x.shape[-2:]), centre)
    correct = out.logits.argmax(1).cpu() == torch.as_tensor(y).cpu()
    return {"share": share.cpu().numpy(), "correct": correct.numpy()}


def focus_table(networks: Mapping[str, Any], x, y, form: str = "cam", centre: float = 0.5):
    """One row per network (``{name: net}``): the mean central share of activation mass over all
    images, over those it predicts right and over those it predicts wrong, and its accuracy on them."""
    import pandas as pd

    rows = []
    for name, net in networks.items():
        f = activation_focus(net, x, y, form, centre)
        s, ok = f["share"], f["correct"]
        rows.append({"network": name, "central share": s.mean(),
                     "right": s[ok].mean() if ok.any() else float("nan"),
                     "wrong": s[~ok].mean() if (~ok).any() else float("nan"), "accuracy": ok.mean()})
    return pd.DataFrame(rows).set_index("network")


def step_seconds(cfg, epochs: int = 3) -> float:
    """Seconds per training step of the run ``cfg`` on this machine: the median over epochs 2 to
    ``epochs`` of an epoch's training time (no evaluation) divided by its steps. The first epoch
    pays for warm-up and allocation and is not counted. Nothing is written."""
    import statistics

    return statistics.median(seconds / steps for seconds, steps in _timed_epochs(cfg, epochs)[1:])


def train_epoch_seconds(cfg, epochs: int = 3) -> float:
    """Seconds per epoch of training (no evaluation, no diagnostics) of the run ``cfg`` on this
    machine: the median over epochs 2 to ``epochs``, as :func:`step_seconds`. For comparing a
    method whose epochs take different numbers of steps (DivideMix's passes) with a plug-in on it."""
    import statistics

    return statistics.median(seconds for seconds, _ in _timed_epochs(cfg, epochs)[1:])


def _timed_epochs(cfg, epochs: int) -> list[tuple[float, int]]:
    """(training seconds, steps) of each of the first ``epochs`` epochs of ``cfg``, trained here."""
    import time
    from dataclasses import replace

    from lnl.engine.loop import train_epoch
    from lnl.engine.setup import setup

    if epochs < 2:
        raise ValueError(f"a timing needs at least 2 epochs (the first is not timed), got {epochs}.")
    su = setup(replace(cfg, epochs=max(cfg.epochs, epochs), diagnostics=False))
    out = []
    for e in range(epochs):
        t0 = time.perf_counter()
        train_epoch(su, e)
        out.append((time.perf_counter() - t0, max(1, su.ctx.steps_in_epoch)))
    return out


# ---- foundations chapter ----

def protocol_table(run: Mapping[str, Any], notes: Mapping[str, str], schedule: Mapping[str, Any] | None = None,
                   rows: Sequence[tuple[str, Any, str]] = (), *, column: str = "value", test_images: bool = False,
                   replace: Mapping[str, tuple[Any, str] | None] | None = None):
    """A page's protocol: one row per setting, its value and its source. First the settings every run
    of the book has, from a plan's ``run`` settings, its ``schedule`` and the ``notes`` that give
    each one's source (data set, training images per class, model, optimiser, batch size, LR
    schedule, epochs; test images per class too with ``test_images``), then the page's own ``rows``
    ``(setting, value, source)``. ``replace`` maps a standard setting to its ``(value, source)``, or to
    None to leave it out; ``column`` names the value column (an experiment's name)."""
    import pandas as pd

    sched = schedule if schedule is not None else {}
    standard = {
        "data set": (run["dataset"], notes.get("data", "")),
        "training images per class": (run.get("train_per_class") or "all", notes.get("data", "")),
        "test images per class": (run.get("test_per_class") or "all", notes.get("data", "")),
        "model": (run["model"], notes.get("model", "")),
        "optimiser": (f"SGD, lr {run['lr']}, weight decay {run['weight_decay']}", notes.get("optimiser", "")),
        "batch size": (run["batch_size"], notes.get("optimiser", "")),
        "LR schedule": (", ".join(f"{k}={v}" for k, v in sched.items()), notes.get("schedule", "")),
        "epochs": (run["epochs"], notes.get("epochs", notes.get("schedule", ""))),
    }
    if not test_images:
        del standard["test images per class"]
    if schedule is None:
        del standard["LR schedule"]
    standard.update(replace or {})
    table = [(k, *v) for k, v in standard.items() if v is not None] + [tuple(r) for r in rows]
    return pd.DataFrame(table, columns=["setting", column, "source"]).set_index("setting")


def rate_formula(kind: str, rate: float, num_classes: int) -> float:
    """The share ρ of labels a symmetric noise model changes at nominal rate r: ``r`` when a label
    flips to one of the other classes (eq. foundations-symmetric), ``r (1 − 1/C)`` when it is redrawn
    over all ``C`` classes, the true one included (eq. foundations-uniform)."""
    if kind == "symmetric":
        return rate
    if kind == "symmetric-uniform":
        return rate * (1 - 1 / num_classes)
    raise ValueError(f"No closed form for the effective rate of {kind!r} noise: only the symmetric conventions.")


def convention_rates(dataset, rates: Iterable[float], seed: int = 0, train_per_class: int | None = None):
    """Both symmetric conventions at each nominal rate: ρ by :func:`rate_formula`, and ρ as
    :func:`lnl.engine.prepare` draws it on ``dataset`` (a loaded :class:`lnl.data.Dataset`). Returns the
    table (one row per rate) and the number of training labels, which bounds the sampling error
    (exact counts per class: under one label per class)."""
    import pandas as pd

    from lnl import engine

    rows, n_train = [], 0
    for r in rates:
        row = {"r": r}
        for kind in ("symmetric", "symmetric-uniform"):
            cfg = engine.RunConfig(dataset=dataset.name, noise=kind, rate=r, seed=seed, train_per_class=train_per_class)
            prep = engine.prepare(cfg, dataset=dataset)
            n_train = len(prep.labels)
            row |= {f"{kind}: formula": rate_formula(kind, r, dataset.num_classes),
                    f"{kind}: drawn": prep.noise["rate_effective"]}
        rows.append(row)
    return pd.DataFrame(rows).set_index("r"), n_train


def noise_gallery(dataset, rate: float, seed: int = 0, train_per_class: int | None = None,
                  human_label_set: str | None = "worse") -> dict[str, dict[str, Any]]:
    """Every noise model of :mod:`lnl.noise` at nominal ``rate``, as ``{title: {"T", "classes", "rho"}}``:
    the specified matrix of each class-conditional model (ρ under a uniform prior,
    :func:`lnl.noise.effective_rate`), and the *realised* matrix (the row-normalised confusion of
    true and given labels, ρ as drawn) of ``instance`` noise on ``dataset`` and of ``human`` noise on
    CIFAR-10N, the latter only where its labels are on this machine."""
    from lnl import data, engine, noise

    panels = {}
    for title, kind, ds_name, classes in (
            ("symmetric", "symmetric", None, None), ("symmetric-uniform", "symmetric-uniform", None, None),
            ("asymmetric, CIFAR-10", "asymmetric", "cifar10", data.CIFAR10_CLASSES),
            ("asymmetric, Fashion-MNIST", "asymmetric", "fashion_mnist", data.FASHION_CLASSES),
            ("asymmetric-blocks", "asymmetric-blocks", None, None), ("pairflip", "pairflip", None, None)):
        T = noise.transition_matrix(kind, 10, rate, **({"dataset": ds_name} if ds_name else {}))
        panels[title] = {"T": T, "classes": classes, "rho": noise.effective_rate(T)}
    inst = engine.prepare(engine.RunConfig(dataset=dataset.name, noise="instance", rate=rate, seed=seed,
                                           train_per_class=train_per_class), dataset=dataset)
    panels[f"instance, realised on {dataset.name}"] = {
        "T": np.array(inst.noise["realised_matrix"]), "classes": dataset.classes, "rho": inst.noise["rate_effective"]}
    if human_label_set is not None and data.locate("cifar10n") is not None:
        human = engine.prepare(engine.RunConfig(dataset="cifar10n", noise="human", label_set=human_label_set, seed=seed))
        panels[f"human (CIFAR-10N {human_label_set}), realised"] = {
            "T": np.array(human.noise["realised_matrix"]), "classes": data.CIFAR10_CLASSES,
            "rho": human.noise["rate_effective"]}
    return panels


def human_noise_note(panels: Mapping[str, Mapping[str, Any]], label_set: str) -> str:
    """One bullet on the realised human-noise matrix of :func:`noise_gallery`: its ρ and its largest
    entry off the diagonal, the class pair people confuse most; or that the labels are absent."""
    human = next((p for name, p in panels.items() if name.startswith("human")), None)
    if human is None:
        return "- Human noise needs the CIFAR-10N labels, which are not on this machine."
    H = np.asarray(human["T"])
    off = H - np.diag(np.diag(H))
    i, j = np.unravel_index(off.argmax(), off.shape)
    names = human["classes"]
    return (f"- Human noise (CIFAR-10N `{label_set}`, ρ = {human['rho']:.3f}) is neither symmetric nor a clean "
            f"pairing: every row spreads, and the largest entry off the diagonal sends {names[i]} to {names[j]} "
            f"({off[i, j]:.2f}).")


def memorisation_curve(clean: Mapping[str, Any], noisy: Mapping[str, Any]) -> dict[str, float | int]:
    """The memorisation curve in numbers, from a run on clean labels and one on noisy labels: test
    accuracy of both at the best and the last epoch, the noisy run's best and last epoch, and the
    share of its mislabelled training samples predicted as their given (memorised) and as their
    true label at its best epoch and at the last (MixNN §3.2, Fig. 2a)."""
    hist = {h["epoch"]: h for h in noisy["history"]}
    best, last = int(noisy["summary"]["best_epoch"]), int(noisy["history"][-1]["epoch"])
    return {
        "clean_best": float(clean["summary"]["test_acc_best"]), "clean_last": float(clean["summary"]["test_acc_last"]),
        "noisy_best": float(noisy["summary"]["test_acc_best"]), "noisy_last": float(noisy["summary"]["test_acc_last"]),
        "best_epoch": best, "last_epoch": last,
        "given_at_best": float(hist[best]["noisy_acc_given"]), "given_last": float(hist[last]["noisy_acc_given"]),
        "true_at_best": float(hist[best]["noisy_acc_true"]), "true_last": float(hist[last]["noisy_acc_true"]),
    }


def memorisation_checks(memo: Mapping[str, float], margin: float = 0.02) -> list[Check]:
    """What the memorisation curve (:func:`memorisation_curve`) leads us to expect of two runs: noise
    costs accuracy at the peak and at the end, the noisy run decays after its peak, it memorises more
    wrong labels at the end than at its peak, and at its peak it predicts the true class of most
    mislabelled samples (twice as often as the given one)."""
    m = memo
    return [
        Check(f"noise costs accuracy at the peak: noisy best < clean best − {margin}",
              m["noisy_best"] - m["clean_best"], m["noisy_best"] < m["clean_best"] - margin),
        Check(f"and at the end: noisy last < clean last − {margin}",
              m["noisy_last"] - m["clean_last"], m["noisy_last"] < m["clean_last"] - margin),
        Check(f"the noisy run decays after its peak: last < best − {margin}",
              m["noisy_last"] - m["noisy_best"], m["noisy_last"] < m["noisy_best"] - margin),
        Check(f"the wrong labels are being memorised: given-label share, last − at the peak > {margin}",
              m["given_last"] - m["given_at_best"], m["given_last"] > m["given_at_best"] + margin),
        Check("at the peak, most mislabelled samples get their true class: true / given > 2",
              m["true_at_best"] / max(m["given_at_best"], 1e-12), m["true_at_best"] > 2 * m["given_at_best"]),
    ]


def gradient_pull(record: Mapping[str, Any]):
    """Per epoch, how hard the mislabelled samples pull compared with the clean ones (MixNN eq. (3),
    Fig. 2b): ``ratio`` = ḡ_n / ḡ_c of the mean CE gradient coefficients 1 − p_ỹ (``grad_noisy``,
    ``grad_clean``), and ``share`` = ρ ḡ_n / ((1 − ρ) ḡ_c + ρ ḡ_n), the mislabelled samples' share
    of the summed coefficient, with ρ the run's measured share of wrong labels."""
    import pandas as pd

    hist = pd.DataFrame(record["history"]).set_index("epoch")
    rho = record["noise"]["rate_effective"]
    share = rho * hist["grad_noisy"] / ((1 - rho) * hist["grad_clean"] + rho * hist["grad_noisy"])
    return pd.DataFrame({"ratio": hist["grad_noisy"] / hist["grad_clean"], "share": share})


def gmm_fits(loss: np.ndarray, is_clean: np.ndarray, epochs: Iterable[int], seed: int = 0) -> dict[int, dict[str, Any]]:
    """The small-loss split after each of ``epochs``: ``{epoch: {"loss", "w", auroc, precision, recall,
    ...}}`` with the losses ``loss [E, N]`` kept after that epoch (row e − 1), the GMM's clean
    probability w_n of each sample (eq. foundations-gmm, :func:`lnl.gmm.clean_probability`) and its
    detection metrics against ``is_clean`` (:func:`lnl.gmm.detection_metrics`)."""
    from lnl import gmm

    fits = {}
    for e in epochs:
        w = gmm.clean_probability(loss[e - 1], seed=seed)
        fits[e] = dict(loss=loss[e - 1], w=w, **gmm.detection_metrics(w, is_clean))
    return fits


def detection_table(fits: Mapping[int, Mapping[str, Any]]):
    """The detection metrics of :func:`gmm_fits`, one column per epoch."""
    import pandas as pd

    return pd.DataFrame({f"epoch {e}": {k: v for k, v in f.items() if k not in ("loss", "w")}
                         for e, f in fits.items()})


def noise_table(recs: Mapping[tuple, Mapping[str, Any]], kind: str):
    """The noise each run ``{(experiment, rate): record}`` trained on: ρ by :func:`rate_formula` and
    as the record measured it, with the number of training images."""
    import pandas as pd

    rows = [{"experiment": name, "noise": kind, "r": rate,
             "ρ formula": rate_formula(kind, rate, rec["data"]["num_classes"]),
             "ρ measured": rec["noise"]["rate_effective"], "training images": rec["data"]["num_train"]}
            for (name, rate), rec in recs.items()]
    return pd.DataFrame(rows).set_index(["experiment", "r"])


MEMORISATION_GLUE = (("best", "best"), ("last", "last"), ("last 10", "last10"), ("best epoch", "best_epoch"),
                     ("memorised (end)", "memorised"), ("GMM AUROC @ GMM epoch", "auroc_early"),
                     ("GMM AUROC best", "auroc_best"), ("GMM best epoch", "auroc_best_epoch"),
                     ("GMM AUROC last", "auroc_last"), ("ρ", "rho"))


def memorisation_values(results, experiment: str, rates: Iterable[float], prefix: str = "main") -> dict[str, float | int]:
    """The numbers a page quotes from one experiment of :func:`memorisation_table`, named
    ``{prefix}_{rate in %}_{key}`` (``main_40_best``, ``main_80_auroc_last``, ...): epochs as ints,
    the rest as floats."""
    out = {}
    for rate in rates:
        row = results.loc[(experiment, rate)]
        for col, key in MEMORISATION_GLUE:
            out[f"{prefix}_{int(100 * rate)}_{key}"] = int(row[col]) if "epoch" in key else float(row[col])
    return out


MEMORISATION_SOURCES = {   # the sentence or table cell each claim of the Foundations replication tests; 4 is ours
    1: "MixNN §3.2: “first fit the training data with clean labels during an early learning stage, before "
       "eventually memorizing the examples with wrong labels” (Fig. 2a); the 1-point margin is ours",
    2: "MixNN Table I, CE on CIFAR-10, symm.: 81.88 at 40 % against 53.82 at 80 %; the 5-point margin is ours",
    3: "MixNN §4.3: “Even in the case of extreme label noise (e.g. 80% labels are incorrect), their loss "
       "distributions can be differentiated” (Fig. 4); the 0.8 threshold is ours",
    4: "the papers show the split early (MixNN Fig. 4) but do not measure it at the end; we check that "
       "memorisation, which §3.2 describes, closes it",
}


def memorisation_claims(results, rates: Sequence[float], seed: int, spread: float | None = None) -> list[Claim]:
    """The four claims of the Foundations replication on one experiment's rows of
    :func:`memorisation_table` (indexed by rate, a low and a high one), each with its source
    (:data:`MEMORISATION_SOURCES`): 1. an early peak, then a decay of more than a point (judged
    against ``spread``, the seed noise of best − last, where given); 2. the higher rate's peak more
    than 5 points lower; 3. the GMM split at the GMM epoch above AUROC 0.8; 4. lower by the last
    epoch (ours)."""
    lo, hi = (results.loc[r] for r in rates)
    claims = [Claim(f"1. early peak, then decay (r = {r}): best − last > 1 point", {seed: 100 * row["best − last"]},
                    1.0, source=MEMORISATION_SOURCES[1], spread=spread)
              for r, row in ((rates[0], lo), (rates[1], hi))]
    claims.append(Claim("2. more noise, lower peak: by more than 5 points", {seed: 100 * (lo["best"] - hi["best"])},
                        5.0, source=MEMORISATION_SOURCES[2]))
    for r, row in ((rates[0], lo), (rates[1], hi)):
        claims.append(Claim(f"3. small-loss split works early (r = {r}): AUROC > 0.8",
                            {seed: row["GMM AUROC @ GMM epoch"]}, 0.8, unit="AUROC", source=MEMORISATION_SOURCES[3]))
        claims.append(Claim(f"4. memorisation erodes the split (r = {r}): AUROC falls",
                            {seed: row["GMM AUROC @ GMM epoch"] - row["GMM AUROC last"]}, 0.0, unit="AUROC",
                            ours=MEMORISATION_SOURCES[4]))
    return claims


def posterior_note(splits: Mapping[tuple, Mapping[str, Any]], recs: Mapping[tuple, Mapping[str, Any]],
                   gmm_epochs: Mapping[str, int], seed: int = 0, tolerance: float = 0.05) -> str:
    """Whether the GMM's clean probability w_n falls monotonically with the loss in every fit at an
    experiment's GMM epoch (``splits`` of :func:`gmm_split` and ``recs`` keyed ``(experiment, rate)``),
    as a sentence. Where the clean component is the wider one, its density overtakes the other's
    again far in the right tail: w_n climbs back by more than ``tolerance`` at the largest losses."""
    from lnl import gmm

    notes = []
    order = list(gmm_epochs)
    for name, rate in sorted(splits, key=lambda k: (order.index(k[0]), k[1])):
        split, g = splits[name, rate], gmm_epochs[name]
        loss, auroc = split["loss"][g - 1], split["auroc"]
        w = gmm.clean_probability(loss, seed=seed)[np.argsort(loss)]
        if w[-1] - w.min() > tolerance:
            raw = recs[name, rate]["history"][g - 1]["loss_auroc"]
            notes.append(f"{name} at r = {rate}: w_n climbs back to {w[-1]:.2f} at the largest "
                         f"loss; AUROC {auroc[g - 1]:.3f} for w_n against {raw:.3f} for the raw loss")
    if not notes:
        return "The posterior falls monotonically with the loss in every panel."
    return ("Not every posterior falls monotonically with the loss (" + "; ".join(notes) + "). When the "
            "component of the clean samples is the wider one, its density overtakes the other's again far "
            "in the right tail, and the samples with the very largest losses are called partly clean. "
            "DivideMix's code keeps this artefact.")


def campaign_memorisation(gpu, gmm_epochs: Mapping[str, int], seed: int = 0):
    """The GPU section's table (:func:`lnl.campaign.section`) of the Foundations replication, with the
    share memorised at the end and the GMM's AUROC at the experiment's GMM epoch and at the last,
    from the per-sample losses that travel with each campaign record (None where they do not)."""
    table = gpu.table()
    curves = {f.planned.key: gmm_split(f.path, seed)["auroc"] for f in gpu.found
              if f.path.with_suffix(".npz").exists()}
    keys = [f.planned.key for f in gpu.found]
    table["memorised (end)"] = [f.record["history"][-1].get("noisy_acc_given") for f in gpu.found]
    table["GMM AUROC @ GMM epoch"] = [curves[k][gmm_epochs[k[0]] - 1] if k in curves else None for k in keys]
    table["GMM AUROC last"] = [curves[k][-1] if k in curves else None for k in keys]
    return table


LEADERBOARD_KEY = ["dataset", "noise", "rate", "method", "method_params", "model", "epochs", "train_per_class",
                   "protocol"]


def run_provenance(group) -> str:
    """Record ids, commits, devices and total wall time of the runs of one leaderboard row (rows of
    :func:`lnl.records.load_records`)."""
    shas = sorted({(s if isinstance(s, str) and s else "unknown")[:10] for s in group["git_sha"]})
    devices = sorted(set(group["device"].fillna("unknown")))
    wall = group["wall_time_s"].sum() / 60 if "wall_time_s" in group else float("nan")
    return f"{', '.join(group['run_id'])} | git {', '.join(shas)} | {'; '.join(devices)} | {wall:.1f} min"


def leaderboard(runs):
    """One row per protocol (:data:`LEADERBOARD_KEY`: everything that decides a run but its seed, with
    ``protocol``, :func:`lnl.book.protocol`, keeping apart runs that differ in anything else) from
    the runs of :func:`lnl.records.load_records`: the seeds, the measured noise share, test accuracy
    at the best epoch, the last and over the last 10 as :func:`pct`, and :func:`run_provenance`.
    Sorted by data set, noise and rate, then by the last-10 mean, best first. Empty without runs."""
    import pandas as pd

    from lnl import book, records

    if runs.empty:
        return pd.DataFrame()
    table = runs.copy()
    if "protocol" not in table:
        table["protocol"] = [book.protocol(records.read_record(p)["config"]) for p in table["path"]]
    for col in LEADERBOARD_KEY:  # as text, so that a missing value ("default") sorts beside numbers
        table[col] = (table[col].astype(object).where(table[col].notna(), "default").astype(str)
                      if col in table else "default")
    rows = []
    for key, group in table.groupby(LEADERBOARD_KEY, sort=True, dropna=False):
        rows.append({**dict(zip(LEADERBOARD_KEY, key)), "seeds": len(group),
                     "effective rate": (f"{group['noise_rate_effective'].mean():.3f}"
                                        if "noise_rate_effective" in group else ""),
                     "best (%)": pct(group["test_acc_best"]), "last (%)": pct(group["test_acc_last"]),
                     "last 10 (%)": pct(group["test_acc_last10"]), "provenance": run_provenance(group),
                     "_sort": group["test_acc_last10"].mean()})
    board = pd.DataFrame(rows).sort_values(["dataset", "noise", "rate", "_sort"], ascending=[True, True, True, False])
    return board.drop(columns="_sort").reset_index(drop=True)


def runs_summary(runs):
    """What the records hold, in one small table: per data set and method, the number of runs, of
    noise settings (kind and rate) and of seeds, and the noise kinds."""
    import pandas as pd

    if runs.empty:
        return pd.DataFrame()
    return (runs.assign(setting=runs["noise"].astype(str) + " " + runs["rate"].astype(str))
            .groupby(["dataset", "method"])
            .agg(runs=("run_id", "size"), settings=("setting", "nunique"), seeds=("seed", "nunique"),
                 noise=("noise", lambda s: ", ".join(sorted(set(map(str, s)))))))


# ---- baselines chapter ----

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
    """The settings a page's runs share and each method's own, with where each comes from: one row
    per setting of the plan's settings ``S`` (:func:`lnl.plans.settings`); a plan with noise cells
    (a replication) lists them, its seeds, and the arms only it has."""
    import pandas as pd

    def text(d):
        return ", ".join(f"{k} = {v}" for k, v in d.items()) or "defaults"

    run, notes = S["run"], S["notes"]
    rows = [("data set", run["dataset"], notes["data"]),
            ("images per class (train / test)", f"{run['train_per_class'] or 'all'} / {run['test_per_class'] or 'all'}",
             notes["data"]),
            ("model", run["model"], notes["model"]),
            ("optimiser", f"SGD, lr {run['lr']}, weight decay {run['weight_decay']}, batch {run['batch_size']}",
             notes["optimiser"]),
            ("LR schedule", f"{text(S['schedule'])}, {run['epochs']} epochs", notes["schedule"])]
    if "cells" in S:
        rows += [("noise cells", "; ".join(f"{k} {r}" for k, r in S["cells"]),
                  notes["noise"] + (f". {notes['cells']}" if "cells" in notes else "")),
                 ("seeds", f"{', '.join(map(str, S['seeds']))} in the headline cell; "
                           f"{', '.join(map(str, S['cell_seeds']))} in the others", "seed-paired differences")]
    else:
        rows.append(("noise", f"{S['noise']}, r = {S['rate']}", notes["noise"]))
    if "mixup" in S:
        rows.append(("Mixup", text(S["mixup"]), notes["mixup"]))
    rows.append(("Co-teaching", text(S["coteaching"]), notes["coteaching"]))
    if "wrong_tau" in S:
        from lnl.plans import WRONG_TAU
        rows.append((WRONG_TAU, f"τ = {S['wrong_tau']} in the headline cell", notes["wrong_tau"]))
    rows += [("ELR", text(S["elr"]), notes["elr"]),
             ("DivideMix", text(S["dividemix"]) + "".join(f"; {k}: {text(v['dividemix'])}"
                                                          for k, v in S.get("by_noise", {}).items() if "dividemix" in v),
              notes["dividemix"]),
             ("expected time per run", S["expect"], hardware)]
    return pd.DataFrame(rows, columns=["setting", "value", "source"]).set_index("setting")


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
    row)}``) at one noise cell, with the row as printed and its source; None without the tables
    (the repository's transcriptions are not on Colab)."""
    import pandas as pd

    folder = Path(folder)
    if not all((folder / f).exists() for f, _ in rows.values()):
        return None
    quoted = []
    for name, (table, row) in rows.items():
        r = paper_row([paper_table(folder / table)], dataset, kind, rate, [row])
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


# ---- mixnn chapter ----

def neighbour_checks(shares, rhos: Mapping[float, float], num_classes: int) -> list[Check]:
    """What MixNN §4.1 leads a page to expect of :func:`lnl.methods.mixnn.neighbour_shares` at each
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
    """The label correction of the campaign runs ``found`` (:class:`lnl.campaign.Found`) whose key
    starts with ``arm`` and that brought their corrected labels back (extras ``t_argmax``): one row
    per run label, the shares of labels right before and after (argmax t). None where none did."""
    import pandas as pd

    from lnl import campaign

    rows = []
    for f in found:
        extras = campaign.read_extras(f.path)
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
    comes from: one row per setting, the profile's value and its source."""
    import pandas as pd

    run, n = S["run"], S["notes"]
    rows = [
        ("data set", run["dataset"], n["data"]),
        ("training images per class", run["train_per_class"] or "all", n["data"]),
        ("test images per class", run["test_per_class"] or "all", n["data"]),
        ("model", run["model"], n["model"]),
        ("optimiser", f"SGD, momentum 0.9, lr {run['lr']}, weight decay {run['weight_decay']}", "MixNN §6.1"),
        ("batch size", run["batch_size"], "MixNN §6.1"),
        ("LR schedule", ", ".join(f"{k}={v}" for k, v in S["schedule"].items()), n["schedule"]),
        ("epochs", run["epochs"], n["schedule"]),
        ("MixNN warm-up, E_s, α", f"{S['mixnn']['warmup']}, {S['mixnn']['e_s']}, {S['mixnn']['alpha']}", n["mixnn"]),
        ("MixNN K, weights, partners", "1, GMM, kNN over the training set", "MixNN §6.1, Algorithm 1"),
        ("noise kinds", ", ".join(dict.fromkeys(k for _, k, _, _ in S["runs"])),
         "symmetric: flip to another class (the paper's text); symmetric-uniform: redraw over all classes (its code)"),
        ("noise sampling", "exact counts per class", "lnl.noise"),
        ("runs", n_runs, S["expect"]),
    ]
    return pd.DataFrame(rows, columns=["setting", S["name"], "source"]).set_index("setting")


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


# ---- alr chapter ----

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
    """The ALR replication's protocol, one row per setting with its value and source, from its
    settings ``S`` (:func:`lnl.plans.settings`); ``default_weight``: the library's λ, the ALR arm."""
    import pandas as pd

    from lnl.book import HARDWARE, settings_text as params

    run, notes, cells = S["run"], S["notes"], S["cells"]
    weights = ", ".join(map(str, (0.0, default_weight, *S["lambdas"])))
    rows = [("data set", run["dataset"], notes["data"]),
            ("images per class (train / test)", f"{run['train_per_class'] or 'all'} / {run['test_per_class'] or 'all'}",
             notes["data"]),
            ("model", run["model"], notes["model"]),
            ("optimiser", f"SGD, lr {run['lr']}, weight decay {run['weight_decay']}, batch {run['batch_size']}",
             notes["optimiser"]),
            ("LR schedule", f"{params(S['schedule'])}, {run['epochs']} epochs", notes["schedule"]),
            ("noise cells", "; ".join(f"{k} {r}" for k, r in cells), notes["noise"]),
            ("seeds", f"{', '.join(map(str, S['seeds']))} in the symmetric cells; "
                      f"{', '.join(map(str, S['cell_seeds']))} in the others", "seed-paired differences"),
            ("ALR", params(S["alr"]), notes["alr"]),
            ("LR", params({**S["alr"], "entropy_weight": 0.0}), notes["lr"]),
            ("λ ablation", weights + f" at r = {', '.join(map(str, S['lambda_rates']))}",
             f"0 is LR, {default_weight} the default; 1 is Theorem 1's fragment"),
            ("ELR", params(S["elr"]) + f"; cells {', '.join(f'{k} {r}' for k, r in S['elr_cells'])}", notes["elr"]),
            ("expected time per run", S["expect"], HARDWARE[profile])]
    return pd.DataFrame(rows, columns=["setting", "value", "source"]).set_index("setting")


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


# ---- sanm chapter ----

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
    """The walk-through's images (:class:`lnl.methods.sanm.Pair`): training index, given and true
    label, the host's prediction and the clean probability w."""
    import pandas as pd

    ids = pair.ids
    return pd.DataFrame({"training index": ids.numpy(), "given label": [classes[int(given[i])] for i in ids],
                         "true label": [classes[int(true[i])] for i in ids],
                         "predicted": [classes[int(k)] for k in pair.out.logits.argmax(1).cpu()],
                         "w": pair.w.cpu().numpy()}, index=list(pair.names)).round(3)


def nlr_checks(cases: Mapping[str, tuple[Any, Any]]):
    """:func:`lnl.methods.sanm.nlr_check` of each named ``(ŷ, σ)``, one row each."""
    import pandas as pd

    from lnl.methods.sanm import nlr_check

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
    """The SANM replication's protocol at ``profile`` (settings ``S``): each setting, its value and
    where it comes from."""
    import pandas as pd

    from lnl.book import HARDWARE, settings_text as params
    from lnl.plans import SANM_LADDER, SANM_RATIOS, SANM_TARGETS, sanm_arms

    run, notes, host = S["run"], S["notes"], sanm_arms(S)[0]
    (_, head_rate), seed0 = S["cells"][0], S["seeds"][0]
    at = f" at r = {head_rate}, seed {seed0}"
    rows = [("data set", run["dataset"], notes["data"]),
            ("images per class (train / test)", f"{run['train_per_class'] or 'all'} / {run['test_per_class'] or 'all'}",
             notes["data"]),
            ("model", run["model"], notes["model"]),
            ("optimiser", f"SGD, lr {run['lr']}, weight decay {run['weight_decay']}, batch {run['batch_size']}",
             notes["optimiser"]),
            ("LR schedule", f"{params(S['schedule'])}, {run['epochs']} epochs", notes["schedule"]),
            ("noise cells", "; ".join(f"{k} {r}" for k, r in S["cells"]), notes["noise"]),
            ("seeds", f"{', '.join(map(str, S['seeds']))} at r = {head_rate}; "
                      f"{', '.join(map(str, S['cell_seeds']))} in the other cells", "seed-paired differences"),
            ("host", f"{host}: {params(S['host_params'])}", notes["host"]),
            ("SANM", params(S["sanm"]), notes["sanm"]),
            ("Table 5's ladder", ", ".join(SANM_LADDER) + at,
             "AMG alone keeps the host's targets; SANM is amg+nlr+smr"),
            ("mask-ratio controls", ", ".join(SANM_RATIOS) + at,
             "Fig. 2 and 4: every sample the same ratio σ_b, or one drawn from the noise-aware range without w"),
            ("NLR target control", f"target={', '.join(SANM_TARGETS)}{at}" if S["host"] == "ce" else "none",
             "ours: NLR on the given label, beside the default (the prediction, §2.4)"),
            ("SANM(C2D)", "not run", notes["c2d"]),
            ("expected time per run", S["expect"], HARDWARE[profile])]
    return pd.DataFrame(rows, columns=["setting", "value", "source"]).set_index("setting")


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
    lad["paper gain"] = lad[col].diff()
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
    table, no = (tables[6], 6) if host == "CE" else (tables[1], 1)
    claims = [Claim(f"{1 if host == 'CE' else 4}. {arm} beats {host} at {kind} r = {rate}",
                    paired(seed_values(recs, (arm, kind, rate)), seed_values(recs, (host, kind, rate))), beat_host,
                    paper=paper_gap([table], "cifar10", kind, rate, arm, host),
                    source=f"{SANM_SAYS[host]}; Table {no}, CIFAR-10 sym. {100 * rate:g} %: "
                           f"{cell_source([table], 'cifar10', kind, rate, arm, host)}")
              for kind, rate in S["cells"]]
    best = tables[5][tables[5].metric == "test_acc_best"]
    paper_rows = {host: "DivideMix", **SANM_LADDER_PAPER, arm: "SANM(DivideMix)"}
    for prev, row in zip(lad.index, lad.index[1:]):
        claims.append(Claim(
            f"2. {row if row != arm else 'SANM (+SMR)'} beats {prev} at r = {head_rate}",
            {seed0: lad.loc[row, "ours"] - lad.loc[prev, "ours"]}, step_gain, spread=yardstick,
            paper=paper_gap([best], "cifar10", head_kind, head_rate, paper_rows[row], paper_rows[prev]),
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


# ---- ieg chapter ----

def ieg_settings_table(S: Mapping[str, Any]):
    """The IEG tutorial's settings at a profile: the run's, the schedule, IEG's own and what L2R,
    the probe and the noise are, with the expected time per run."""
    import pandas as pd

    from lnl.book import settings_text

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
    """The probe loss after each virtual step (:func:`lnl.methods.ieg.virtual_steps`) and its
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
    """The IEG replication's protocol: each setting, its value at the profile and its source."""
    import pandas as pd

    from lnl.book import HARDWARE, settings_text as params
    from lnl.plans import PROBE_ONLY

    run, notes = S["run"], S["notes"]
    (_, head_rate), (_, low) = S["cells"]
    rows = [("data set", run["dataset"], notes["data"]),
            ("images per class (train / test)", f"{run['train_per_class'] or 'all'} / {run['test_per_class'] or 'all'}",
             notes["data"]),
            ("probe (trusted images per class)", run["probe_per_class"], notes["probe"]),
            ("model", run["model"], notes["model"]),
            ("optimiser", f"SGD, lr {run['lr']}, weight decay {run['weight_decay']}, batch {run['batch_size']}",
             notes["optimiser"]),
            ("LR schedule", f"{params(S['schedule'])}, {run['epochs']} epochs", notes["schedule"]),
            ("noise cells", "; ".join(f"{k} {r}" for k, r in S["cells"]), notes["noise"]),
            ("seeds", f"{', '.join(map(str, S['seeds']))} at r = {head_rate}; "
                      f"{', '.join(map(str, S['cell_seeds']))} at r = {low}", "seed-paired differences"),
            ("IEG", params(S["ieg"]), notes["ieg"]),
            ("L2R", "ablation = IEG-1", notes["l2r"]),
            (PROBE_ONLY, f"CE on the {run['probe_per_class']} probe images per class, nothing else",
             "a reference: what the trusted images give without the noisy ones"),
            ("probe-size sweep", ", ".join(map(str, S["probe_sizes"])) + f" per class at r = {head_rate}, seed {S['seeds'][0]}",
             "Table 2: 1, 5 and 10 images per class"),
            ("Table 7's ladder", ", ".join(S["ladder"] + S["more_ablations"]) + f" at r = {head_rate}, seed {S['seeds'][0]}",
             "IEG-1 is the L2R run, IEG-5 the IEG run of the headline cell"),
            ("expected time per run", S["expect"], HARDWARE[profile])]
    return pd.DataFrame(rows, columns=["setting", "value", "source"]).set_index("setting")


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
    lad.insert(lad.columns.get_loc(f"paper {rate:g}") + 1, "paper gain", lad.loc[ladder, f"paper {rate:g}"].diff())
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
              paper=paper_gap([t1], "cifar10", kind, rate, "IEG", "L2R"),
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
            paper=paper_gap([t7], "cifar100", kind, rate, row, prev),
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
