"""Paper numbers, looked up and never typed: the tidy tables under ``data/paper_tables/``.

:func:`paper_table` reads one table and adds ``cell``, the value as printed (``mean ± std``);
:func:`paper_row`, :func:`paper_cell` and :func:`paper_value` find the cell of one of our runs, named in
this library's terms (:data:`PAPER_NOISE` maps our noise kinds to the papers' ``symm``/``asymm``);
:func:`paper_difference` and :func:`paper_gap` give a paper's own gap between arms, and
:func:`cell_source` the printed cells a claim tests. :func:`published` lays a table out as printed,
and :func:`conventions` / :func:`convention_of` say which noise convention each table's rows used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping, Sequence


PAPER_TABLES = Path(__file__).resolve().parents[2] / "data" / "paper_tables"
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


def paper_gap(tables: Sequence, dataset: str, kind: str, rate: float, a: str, b: str,
              missing_ok: bool = False) -> float | None:
    """A paper's lead of method ``a`` over method ``b`` in one cell (:func:`paper_difference`); with
    ``missing_ok`` (a page run off its plan's noise rates), None where the paper prints no such cell."""
    if missing_ok and any(paper_value(tables, dataset, kind, rate, [m]) is None for m in (a, b)):
        return None
    return paper_difference(tables, dataset, [(kind, rate, [a], +1), (kind, rate, [b], -1)])


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
