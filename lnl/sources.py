"""Where one setting comes from: the paper, the official code, a reconstruction, or our choice.

Every field of every method's ``Config``, every run setting a preset implies and every run default
carries a :class:`Source`:

=================  ============================================================================
kind               ``where`` says                      ``note`` says
=================  ============================================================================
``paper``          section, equation or table          (optional) what the text says
``code``           repository, file and flag           (optional) how it differs from the paper
``reconstructed``  what was lost from the text         how it was recovered
``ours``           why we chose it                     (optional) what a user might change
=================  ============================================================================

An epoch count that the paper states for its own schedule (DivideMix's warm-up, 10 of 300 epochs)
carries that schedule's length, ``schedule=300``: in a shorter run the default keeps the paper's
share of the run (:func:`paper_share`, :meth:`lnl.engine.Method.phase`), while a value the user
gives is kept as given.

The methods and the engine declare their sources here; :mod:`lnl.provenance`, above them both,
gathers them into one table per method (``lnl defaults METHOD``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

KINDS = ("paper", "code", "reconstructed", "ours")


@dataclass(frozen=True)
class Source:
    """Where one setting comes from (see the module's table)."""

    kind: str
    where: str
    note: str = ""
    schedule: int | None = None      # an epoch count of the paper's run of this many epochs

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"A setting's source is one of {', '.join(KINDS)}, got '{self.kind}'.")
        if not self.where.strip():
            raise ValueError("A setting's source must say where (or, for 'ours', why).")
        if self.schedule is not None and self.schedule < 1:
            raise ValueError("A source's schedule is a number of epochs, at least 1.")

    def __str__(self) -> str:
        text = f"{self.kind}: {self.where}"
        if self.note:
            text += f" ({self.note})"
        if self.schedule is not None:
            text += f" [of a {self.schedule}-epoch run]"
        return text


def paper(where: str, note: str = "", *, schedule: int | None = None) -> Source:
    """A setting the paper states: ``where`` is its section, equation or table."""
    return Source("paper", where, note, schedule)


def code(where: str, note: str = "", *, schedule: int | None = None) -> Source:
    """A setting of the official code: ``where`` is its repository file and flag."""
    return Source("code", where, note, schedule)


def reconstructed(what: str, how: str, *, schedule: int | None = None) -> Source:
    """A setting the text lost: ``what`` was lost, ``how`` it was recovered."""
    return Source("reconstructed", what, how, schedule)


def ours(why: str, note: str = "", *, schedule: int | None = None) -> Source:
    """Our own choice, and ``why``."""
    return Source("ours", why, note, schedule)


# ----------------------------------------------------------------------------------------------
# Phases at any run length
# ----------------------------------------------------------------------------------------------

def paper_share(value: int, schedule: int, run_epochs: int) -> int:
    """A phase of ``value`` epochs in the paper's ``schedule``-epoch run, in a run of ``run_epochs``:
    unchanged when the run is at least as long as the paper's; otherwise the paper's share of the
    run, rounded to the nearest epoch (halves up), and at least one epoch where the paper's phase
    has one (ours: a warm-up rounded to nothing would divide the data with an untrained network)."""
    if run_epochs >= schedule or value <= 0:
        return int(value)
    return max(1, math.floor(value * run_epochs / schedule + 0.5))


__all__ = ["Source", "KINDS", "paper", "code", "reconstructed", "ours", "paper_share"]
