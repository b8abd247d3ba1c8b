"""The analysis of the Foundations and MixNN replications on fixed run records.

``tests/data/fixed_records/`` holds the smoke records of those two pages, copied once from a smoke
build, with ``manifest.json`` saying which run each file is. :func:`analyse` runs on them the
library calls the pages make (``lnl.report``: the memorisation table, the GMM split, seed means,
seed-paired leads, verdicts); ``fixed_analysis.json`` holds what it returned when written.
``tests/test_glue.py`` compares the two on any processor: the inputs are fixed, so a difference
means the analysis changed, never the training.

    python tests/golden/make_fixed.py                  # the golden outputs, from the fixtures
    python tests/golden/make_fixed.py --copy records   # new fixtures from a smoke build's records/

Run it again only when a change of what the analysis computes is intended, and say so in the commit.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from lnl import plans, records, report   # noqa: E402

FIXED = ROOT / "tests" / "data" / "fixed_records"
GOLDEN = Path(__file__).with_name("fixed_analysis.json")
PAGES = {"foundations": "foundations/replication", "mixnn": "mixnn/replication"}


def copy_fixtures(source: Path) -> None:
    """The smoke records of :data:`PAGES` from ``source`` (a build's ``records/``), per-sample
    arrays where the page keeps them, and a manifest of their keys."""
    shutil.rmtree(FIXED, ignore_errors=True)
    manifest = {}
    for part, page in PAGES.items():
        (FIXED / part).mkdir(parents=True)
        entries = []
        for p in plans.plan(page, "smoke"):
            if p.key[0] == "sweep":
                continue
            src = source / p.part / f"{p.run_id}.json"
            shutil.copy2(src, FIXED / part / src.name)
            if p.per_sample:
                shutil.copy2(src.with_suffix(".npz"), FIXED / part / src.with_suffix(".npz").name)
            entries.append({"key": list(p.key), "file": src.name})
        manifest[part] = {"records": entries, "settings": _jsonable(plans.settings(page, "smoke"))}
    (FIXED / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    return x if isinstance(x, (str, int, float, bool)) or x is None else str(x)


def _load(part: str) -> tuple[dict, dict, Path]:
    m = json.loads((FIXED / "manifest.json").read_text())[part]
    folder = FIXED / part
    recs = {tuple(e["key"]): records.read_record(folder / e["file"]) for e in m["records"]}
    return recs, m["settings"], folder


def _frame(df) -> dict:
    """A DataFrame as ``{row label: {column: value}}`` with plain Python values."""
    return {" | ".join(map(str, k if isinstance(k, tuple) else (k,))): {c: _plain(v) for c, v in row.items()}
            for k, row in df.iterrows()}


def _plain(v):
    if hasattr(v, "item"):
        v = v.item()
    return None if isinstance(v, float) and math.isnan(v) else v


def foundations() -> dict:
    """The Foundations replication's results table, the yardstick and claim 1's verdicts."""
    recs, S, folder = _load("foundations")
    yard = {k: recs.pop(k) for k in [k for k in recs if k[0] == "yardstick"]}
    gmm = {k: report.gmm_split(folder / f"{r['run_id']}.json", S["seed"]) for k, r in recs.items()}
    results = report.memorisation_table(recs, {k: g["auroc"] for k, g in gmm.items()},
                                        {e["name"]: e["gmm_epoch"] for e in S["experiments"]})
    head, rates = S["experiments"][-1]["name"], S["rates"]
    by_seed = {(head, r, s): rec for r in rates for s, rec in ((S["seed"], recs[head, r]),
                                                               (S["seed"] + 1, yard["yardstick", r]))}
    spread = report.seed_spread(by_seed, [(head, r) for r in rates], report.best_minus_last)
    claim1 = {str(r): report.verdict_of({0: 100 * results.loc[(head, r), "best − last"]}, 1.0, spread)
              for r in rates}
    return {"results": _frame(results), "spread": spread, "claim 1": claim1}


def mixnn() -> dict:
    """The MixNN replication's seed table, cell means, leads and their verdicts."""
    recs, S, _ = _load("mixnn")
    groups = {(kind, rate, arm): [recs[arm, kind, rate, s] for s in seeds] for arm, kind, rate, seeds in S["runs"]}
    cells = {(arm, rate): (arm, "symmetric", rate) for arm, kind, rate, _ in S["runs"] if kind == "symmetric"}
    lo, hi = min(r for _, _, r, _ in S["runs"]), max(r for _, _, r, _ in S["runs"])
    gain = {r: report.lead(recs, cells["MixNN", r], cells["MixNN w/o label correction", r]) for r in (lo, hi)}
    leads = {arm: report.lead(recs, cells["MixNN", hi], cells[arm, hi])
             for arm in ("CE", "MixNN w/o K nearest neighbours", "MixNN w/o weight estimation (AVG)")}
    claims = [report.Claim(f"{i}. MixNN against {arm}", d, 10 if arm == "CE" else 0, ours="fixed-input test")
              for i, (arm, d) in enumerate(leads.items(), 1)]
    claims.append(report.Claim("4. gain of label correction", report.paired(gain[hi], gain[lo]), 0, ours="test"))
    return {"seed table": _frame(report.seed_table(groups, ["noise", "r", "arm"])),
            "cell means": {f"{a} @ {r}": report.cell_mean(recs, c) for (a, r), c in cells.items()},
            "leads": {a: {str(s): v for s, v in d.items()} for a, d in leads.items()},
            "gain": {str(r): {str(s): v for s, v in d.items()} for r, d in gain.items()},
            "verdicts": [(c.text, c.mean, c.verdict) for c in claims],
            "by verdict": report.verdict_lists(claims)}


def analyse() -> dict:
    return json.loads(json.dumps({"foundations": foundations(), "mixnn": mixnn()}, ensure_ascii=False))


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--copy", type=Path, metavar="RECORDS", help="copy new fixtures from a smoke build's records/")
    args = p.parse_args()
    if args.copy:
        copy_fixtures(args.copy)
    GOLDEN.write_text(json.dumps(analyse(), indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {GOLDEN.relative_to(ROOT)} from {FIXED.relative_to(ROOT)}")
