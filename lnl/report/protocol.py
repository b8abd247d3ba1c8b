"""A page's protocol as a table: one row per setting, its value and where it comes from.

Two layouts, one place: :func:`protocol_table` lists a single experiment's settings one per row (the
Foundations and MixNN replications), :func:`cells_protocol` a replication with noise cells and seeds
(Baselines, ALR, IEG, SANM), with the settings every arm shares in the same five rows on every page,
then the page's own, then what a run is expected to take.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence


def settings_text(d: Mapping[str, Any]) -> str:
    """A method's settings as a protocol table shows them: ``k = v, ...`` (``defaults`` when empty)."""
    return ", ".join(f"{k} = {v}" for k, v in d.items()) or "defaults"


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


def cells_protocol(S: Mapping[str, Any], hardware: str, rows: Sequence[tuple[str, Any, str]] = (), *,
                   seeds: tuple[str, str] = ("in the headline cell", "in the others")):
    """The protocol of a page's plan settings ``S`` (:func:`lnl.plans.settings`): the settings every
    arm shares (data set, images per class, model, optimiser, LR schedule and epochs, each with the
    source its ``notes`` give), the noise (a replication's cells and seeds, a tutorial's one cell),
    then the page's own ``rows`` ``(setting, value, source)``, then the expected time per run on
    ``hardware``. ``seeds`` says where the headline seeds (``S["seeds"]``) and the others
    (``S["cell_seeds"]``) run."""
    import pandas as pd

    run, notes = S["run"], S["notes"]
    table = [("data set", run["dataset"], notes["data"]),
             ("images per class (train / test)", f"{run['train_per_class'] or 'all'} / {run['test_per_class'] or 'all'}",
              notes["data"]),
             ("model", run["model"], notes["model"]),
             ("optimiser", f"SGD, lr {run['lr']}, weight decay {run['weight_decay']}, batch {run['batch_size']}",
              notes["optimiser"]),
             ("LR schedule", f"{settings_text(S['schedule'])}, {run['epochs']} epochs", notes["schedule"])]
    if "cells" in S:
        table += [("noise cells", "; ".join(f"{k} {r}" for k, r in S["cells"]),
                   notes["noise"] + (f". {notes['cells']}" if "cells" in notes else "")),
                  ("seeds", f"{', '.join(map(str, S['seeds']))} {seeds[0]}; "
                            f"{', '.join(map(str, S['cell_seeds']))} {seeds[1]}", "seed-paired differences")]
    else:
        table.append(("noise", f"{S['noise']}, r = {S['rate']}", notes["noise"]))
    table += [tuple(r) for r in rows] + [("expected time per run", S["expect"], hardware)]
    return pd.DataFrame(table, columns=["setting", "value", "source"]).set_index("setting")
