"""Paper numbers for the book's pages: tables read with their source, cells looked up, never typed.

The tables under ``data/paper_tables/`` are tidy CSV files, one row per cell: ``table``,
``dataset``, ``noise`` (``symm`` / ``asymm``, as the papers print it), ``rate``, ``method``,
``metric``, ``value``, ``std`` where the paper gives one, and ``source``. :func:`paper_table` reads
one and adds ``cell``, the value as printed (``mean ± std``); :func:`paper_row` and
:func:`paper_cell` find the cell for one of our runs, named in this library's terms (noise kinds of
:mod:`lnl.noise`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

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
