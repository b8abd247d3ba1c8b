"""The leaderboard: every method of the book on one protocol per profile, ranked, with its cost.

The leaderboard's runs (:func:`lnl.plans.plan` of ``"leaderboard"``, keyed ``(arm, seed)``) all
share the Baselines replication's headline cell: same data, network, optimiser, epochs, noise and
seeds. From their records:

- :func:`run_table`: one row per run, with its accuracies, its detection AUROC
  (:func:`detection_auroc`) and its mean epoch time;
- :func:`board`: one row per method: accuracy at the best epoch, the last and over the last 10
  (mean ± std over seeds), the AUROC, the epoch cost as a multiple of CE's on the same machine, the
  rank by the last-10 mean and how sure that rank is (:func:`p_beats`);
- :func:`board_protocol`: the shared protocol; :func:`arm_settings`: each method's settings, where
  they come from, and which chapter trains its runs; :func:`left_out_note`: what a profile leaves out;
- :func:`other_records`: what the rest of ``records/`` and ``results/`` holds, counted by profile;
- :func:`gpu_board`: the same board from GPU campaign records, each row with its provenance.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from lnl.report.claims import pct
from lnl.report.protocol import settings_text
from lnl.report.timing import epoch_seconds

ACCURACY = {"best": "test_acc_best", "last": "test_acc_last", "last 10": "test_acc_last10"}
RANKED_BY = "last 10"          # a method is ranked by its mean over seeds of the last-10 accuracy
BASELINE = "CE"                # the arm whose epoch time is the unit of cost
EXACT_BOOTSTRAP = 50_000       # up to this many resamples (n^n for n seeds) the bootstrap is enumerated
DASH = "—"


def detection_auroc(record: Mapping[str, Any]) -> float | None:
    """AUROC of the method's own clean score against the true noise mask, at the last epoch that
    logged it: ``<detection>_auroc`` of the record's history, where ``detection`` names the score
    the method keeps (:attr:`lnl.engine.Method.detection`; ``"loss"``: the engine's small-loss
    ranking, ``loss_auroc``). None where the record has neither (no truth, or an older record)."""
    name = record.get("detection")
    if name is None:
        return None
    key = "loss_auroc" if name == "loss" else f"{name}_auroc"
    values = [h[key] for h in record.get("history", []) if h.get(key) is not None]
    return float(values[-1]) if values else None


def run_table(recs: Mapping[tuple, Mapping[str, Any]]):
    """One row per run of ``recs`` (``{(arm, seed): record}``): ``arm``, ``seed``, ``method`` (the
    library's name), the accuracies as fractions (:data:`ACCURACY`), ``auroc``
    (:func:`detection_auroc`, NaN where none), ``epoch_s`` (:func:`epoch_seconds`), ``device``,
    ``git`` (10 digits of the SHA), ``run_id``."""
    import pandas as pd

    rows = []
    for (arm, seed), rec in recs.items():
        prov = rec.get("provenance", {})
        auroc = detection_auroc(rec)
        rows.append({"arm": arm, "seed": seed, "method": rec["config"]["method"],
                     **{k: float(rec["summary"][f]) for k, f in ACCURACY.items()},
                     "auroc": math.nan if auroc is None else auroc,
                     "epoch_s": epoch_seconds(rec) if rec.get("timing", {}).get("epoch_s") else math.nan,
                     "device": prov.get("device") or "unknown",
                     "git": ((prov.get("git") or {}).get("sha") or "unknown")[:10], "run_id": rec["run_id"]})
    cols = ["arm", "seed", "method", *ACCURACY, "auroc", "epoch_s", "device", "git", "run_id"]
    return pd.DataFrame(rows, columns=cols)


def cost_ratios(runs, baseline: str = BASELINE):
    """Each run's epoch time over the mean epoch time of ``baseline``'s runs on the same device
    (NaN where ``baseline`` has no run on that device: two machines' seconds do not divide)."""
    base = runs[runs["arm"] == baseline].groupby("device")["epoch_s"].mean()
    return runs["epoch_s"] / runs["device"].map(base).astype(float)


def bootstrap_means(values: Iterable[float], draws: int = 20_000, seed: int = 0) -> np.ndarray:
    """The bootstrap distribution of the mean of ``values`` (one per seed): every resample with
    replacement, enumerated (n^n of them, each equally likely) up to :data:`EXACT_BOOTSTRAP`, else
    ``draws`` resamples from a generator seeded by ``seed``."""
    v = np.asarray(list(values), dtype=float)
    n = len(v)
    if n == 0:
        raise ValueError("A bootstrap needs at least one value.")
    if n ** n <= EXACT_BOOTSTRAP:
        idx = np.array(list(itertools.product(range(n), repeat=n)))
    else:
        idx = np.random.default_rng(seed).integers(0, n, size=(draws, n))
    return v[idx].mean(axis=1)


def p_beats(a: Iterable[float], b: Iterable[float]) -> float:
    """P(mean of a > mean of b) when each method's seeds are resampled on their own
    (:func:`bootstrap_means`), ties counting one half. With 2 seeds a method's bootstrap mean takes
    3 values: the probability is coarse, and 1 only where every seed of ``a`` beats every seed of ``b``."""
    ma, mb = np.sort(bootstrap_means(a)), np.sort(bootstrap_means(b))
    below = np.searchsorted(mb, ma, side="left")          # resamples of b strictly below each of a
    equal = np.searchsorted(mb, ma, side="right") - below
    return float((below + 0.5 * equal).sum() / (len(ma) * len(mb)))


def board(runs, baseline: str = BASELINE):
    """One row per arm of ``runs`` (:func:`run_table`), ranked by the mean last-10 accuracy: seeds,
    accuracy best / last / last 10 in % (mean ± std over seeds, :func:`pct`), the detection AUROC
    (mean ± std, — where no record has one), the epoch cost ÷ ``baseline``'s on the same machine
    (:func:`cost_ratios`, — where none), and ``P(beats next)``, :func:`p_beats` against the arm
    ranked just below (— for the last). Indexed by rank."""
    import pandas as pd

    if runs.empty:
        return pd.DataFrame()
    runs = runs.assign(cost=cost_ratios(runs, baseline))
    order = runs.groupby("arm")[RANKED_BY].mean().sort_values(ascending=False).index
    rows = []
    for i, arm in enumerate(order):
        g = runs[runs["arm"] == arm]
        auroc, cost = g["auroc"].dropna(), g["cost"].dropna()
        nxt = runs.loc[runs["arm"] == order[i + 1], RANKED_BY] if i + 1 < len(order) else None
        rows.append({"rank": i + 1, "method": arm, "seeds": len(g),
                     **{f"{k} (%)": pct(g[k]) for k in ACCURACY},
                     "AUROC": (f"{auroc.mean():.3f}" + (f" ± {auroc.std(ddof=1):.3f}" if len(auroc) > 1 else "")
                               if len(auroc) else DASH),
                     f"cost ÷ {baseline}": f"{cost.mean():.2f}" if len(cost) else DASH,
                     "P(beats next)": f"{p_beats(g[RANKED_BY], nxt):.2f}" if nxt is not None else DASH})
    return pd.DataFrame(rows).set_index("rank")


def rank_note(runs) -> str:
    """How the ranks were decided and how far to trust them, from the seeds ``runs`` hold."""
    seeds = runs.groupby("arm")["seed"].nunique()
    n = int(seeds.min()) if len(seeds) else 0
    text = ("Ranked by the mean over seeds of the last-10 accuracy. P(beats next) is the share of bootstrap "
            "resamples (each method's seeds resampled with replacement, all resamples enumerated) in which the "
            "method's mean is above that of the method ranked next, ties counting one half.")
    if n < 3:
        text += (f" With {n} seed{'s' if n != 1 else ''} per method this evidence is weak: a mean over 2 seeds "
                 "resamples to 3 values, so the probability is coarse and reaches 1 only when both seeds of one "
                 "method beat both of the other's.")
    return text


def arm_settings(planned: Iterable[Any], recs: Mapping[tuple, Mapping[str, Any]] | None = None):
    """One row per arm of the leaderboard's ``planned`` runs (:func:`lnl.plans.plan`): the
    library's method, its settings, their source (the plan's notes), and who trains it: the
    chapters whose plans hold the very same runs (:data:`lnl.plans.CHAPTER_PAGES`), else this page.
    With ``recs``, also how many of its runs have records."""
    import pandas as pd

    from lnl import plans

    planned = list(planned)
    if not planned:
        return pd.DataFrame()
    profile = planned[0].profile
    chapters: dict[str, list[str]] = {}
    for page in plans.CHAPTER_PAGES:
        for p in plans.plan(page, profile):
            chapters.setdefault(p.run_id, []).append(page)
    notes = plans.settings("leaderboard", profile)["notes"]
    rows = {}
    for p in planned:
        arm = p.key[0]
        row = rows.setdefault(arm, {"method": p.config.method, "settings": settings_text(
            {**p.config.method_params, **({"probe_per_class": p.config.probe_per_class}
                                           if p.config.probe_per_class else {})}),
            "source": notes[arm.lower().replace("(", "_").replace(")", "").replace("-", "")], "trained by": set(),
            "seeds": 0})
        row["trained by"].update(chapters.get(p.run_id, ["leaderboard"]))
        row["seeds"] += 1
        if recs is not None:
            row["records"] = row.get("records", 0) + (p.key in recs)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["trained by"] = [", ".join(sorted(t)) for t in table["trained by"]]
    return table.rename_axis("arm")


def board_protocol(planned: Iterable[Any]):
    """The shared protocol of the leaderboard's ``planned`` runs, one setting per row: data set and
    its size, network, epochs, batch, learning rate and schedule, weight decay, noise cell, seeds."""
    import pandas as pd

    planned = list(planned)
    c = planned[0].config
    rows = {"data": f"{c.dataset}: {_per_class(c.train_per_class)} for training, "
                    f"{_per_class(c.test_per_class)} for test",
            "network": c.model, "epochs": c.epochs, "batch": c.batch_size, "learning rate": c.lr,
            "schedule": c.schedule.kind, "weight decay": c.weight_decay, "noise": f"{c.noise}, r = {c.rate}",
            "seeds": ", ".join(str(s) for s in sorted({p.key[1] for p in planned}))}
    return pd.DataFrame({"setting": pd.Series(rows, dtype=object)})


def left_out_note(S: Mapping[str, Any]) -> str:
    """The sentence naming the methods a profile's board leaves out, and why (the leaderboard's
    settings ``S``, ``left_out``); "" when none is."""
    gone = S.get("left_out") or {}
    return " ".join(f"{arm} is not on this profile's board: {why}." for arm, why in gone.items())


def _per_class(n: int | None) -> str:
    return "all images" if n is None else f"{n} images per class"


def planned_profiles(profiles: Iterable[str] | None = None) -> dict[str, str]:
    """``{run_id: profile}`` of every run any page plans (at its default parameters), the cheapest
    profile first where two profiles plan one run."""
    from lnl import plans

    out: dict[str, str] = {}
    for profile in profiles or plans.PROFILES:
        for page in plans.pages():
            for p in plans.plan(page, profile):
                out.setdefault(p.run_id, profile)
    return out


def other_records(roots: Iterable[str | Path], shown: Iterable[str]):
    """What the records under ``roots`` hold besides the runs ``shown`` on the board: the number of
    other runs (each run id once) per profile that plans them and per folder, ``off plan`` for a
    run no page plans at its default parameters. Empty without records."""
    import pandas as pd

    from lnl import records

    paths, _ = records.scan(roots)
    seen, rows = set(shown), []
    where = planned_profiles() if paths else {}
    for path in paths:
        rid = path.stem
        if rid in seen:
            continue
        seen.add(rid)
        root = next((str(r) for r in roots if Path(r) in path.parents), str(path.parent))
        rows.append({"profile": where.get(rid, "off plan"), "folder": root})
    if not rows:
        return pd.DataFrame()
    return (pd.DataFrame(rows).groupby(["profile", "folder"]).size().rename("runs").unstack(fill_value=0))


def gpu_board(found: Iterable[Any]):
    """The board (:func:`board`) of GPU campaign records, ``found`` as :attr:`lnl.campaign.Section.found`
    (each with its planned ``(arm, seed)`` key), with each row's provenance: devices, commits, and
    whether the library that computed it is the current one. Empty without records."""
    import pandas as pd

    from lnl import campaign

    found = list(found)
    if not found:
        return pd.DataFrame()
    runs = run_table({f.planned.key: f.record for f in found})
    table = board(runs)
    status = {f.planned.key[0]: [] for f in found}
    for f in found:
        status[f.planned.key[0]].append("current" if f.status == "current" else campaign.stale_marker(f.record))
    prov = runs.groupby("arm").agg(device=("device", lambda s: "; ".join(sorted(set(s)))),
                                   git=("git", lambda s: ", ".join(sorted(set(s)))))
    table["provenance"] = [f"{prov.loc[a, 'device']} | git {prov.loc[a, 'git']} | "
                           f"{', '.join(sorted(set(status[a])))}" for a in table["method"]]
    return table
