"""Our runs over seeds, and the claims checked on them with a verdict.

:func:`pct` shows fractions as ``mean ± std`` over seeds; :func:`arm_records`, :func:`seed_values`,
:func:`by_seed`, :func:`paired`, :func:`cell_mean` and :func:`lead` pick one arm's values out of a page's
``{(arm, kind, rate, seed): record}`` and pair them seed by seed; :func:`seed_spread` is the yardstick of a
comparison that rests on one seed. A :class:`Claim` holds, fails or stays within seed noise by
:func:`verdict_of`, and :func:`claims_table` / :func:`verdict_lists` show the verdicts; a :class:`Check`
is an expectation of a trained result, shown (:func:`checks_table`) instead of asserted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from lnl.report.tables import MISSING


def pct(values: Iterable[float]) -> str:
    """Fractions as "mean ± std" in % over seeds (the sample std, ddof 1), or the one value."""
    v = 100 * np.asarray(list(values), dtype=float)
    return f"{v.mean():.2f}" + (f" ± {v.std(ddof=1):.2f}" if len(v) > 1 else "")


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
