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
from typing import Any, Iterable, Mapping, Sequence

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


def verdict_of(diffs: Mapping[int, float], threshold: float) -> str:
    """``holds`` when the mean difference minus two standard errors over seeds clears ``threshold``,
    ``does not hold`` when the mean plus two standard errors stays below it, ``within seed noise``
    between the two; with one seed, the sign of the one difference, marked "(one seed)"."""
    d = np.array(list(diffs.values()), dtype=float)
    if len(d) == 0:
        raise ValueError("A verdict needs at least one seed that both arms ran.")
    if len(d) < 2:
        return ("holds" if d.mean() > threshold else "does not hold") + " (one seed)"
    se = d.std(ddof=1) / math.sqrt(len(d))
    if d.mean() - 2 * se > threshold:
        return "holds"
    return "does not hold" if d.mean() + 2 * se < threshold else "within seed noise"


@dataclass(frozen=True)
class Claim:
    """A claim checked on seed-paired differences (percentage points): it holds when their mean
    clears ``threshold`` by two standard errors. ``paper``: the paper's own difference."""

    text: str
    diffs: Mapping[int, float]
    threshold: float = 0.0
    paper: float | None = None

    @property
    def mean(self) -> float:
        return float(np.mean(list(self.diffs.values())))

    @property
    def verdict(self) -> str:
        return verdict_of(self.diffs, self.threshold)


def claims_table(claims: Sequence[Claim], paper_label: str = "paper (points)"):
    """One row per claim: our mean difference, ± 2 standard errors (— with one seed), the seeds it
    rests on, the paper's difference, and the verdict."""
    import pandas as pd

    rows = []
    for c in claims:
        d = list(c.diffs.values())
        rows.append({"claim": c.text, "ours (points)": round(c.mean, 2),
                     "± 2 SE": round(2 * float(np.std(d, ddof=1)) / np.sqrt(len(d)), 2) if len(d) > 1 else MISSING,
                     "seeds": ", ".join(map(str, c.diffs)),
                     paper_label: MISSING if c.paper is None else round(c.paper, 2), "here": c.verdict})
    return pd.DataFrame(rows).set_index("claim")
