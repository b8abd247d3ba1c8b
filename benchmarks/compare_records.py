"""A folder of run records side by side, one row per method: test accuracy (best, last, mean of the
last 10 epochs) as mean ± std over seeds, the detection AUROC of every per-sample score the method
logged (``<name>_auroc``, and ``_precision``/``_recall`` of a selection, in its last epoch, e.g. Co-teaching's ``small_loss``, ELR's
``target_given``, and the small-loss split of the engine's own diagnostics, ``loss_auroc``), and the
median seconds per epoch.

    python benchmarks/compare_records.py benchmarks/records/fashion80
"""

from __future__ import annotations

import statistics
import sys
from collections import defaultdict
from pathlib import Path

from lnl import records


def spread(values: list[float], scale: float = 100.0, digits: int = 2) -> str:
    m = statistics.mean(values) * scale
    return f"{m:.{digits}f} ± {statistics.stdev(values) * scale:.{digits}f}" if len(values) > 1 else f"{m:.{digits}f}"


def main(folder: str) -> None:
    runs = defaultdict(list)
    for path in sorted(Path(folder).glob("*.json")):
        rec = records.read_record(path)
        runs[rec["config"]["method"]].append(rec)
    if not runs:
        sys.exit(f"compare_records.py: no run records in {folder}.")
    for method, recs in runs.items():
        seeds = sorted(r["config"]["seed"] for r in recs)
        sm = [r["summary"] for r in recs]
        last = [r["history"][-1] for r in recs]
        scores = sorted({k for h in last for k in h if k.endswith(("_auroc", "_precision", "_recall"))})
        noise = recs[0]["noise"]
        print(f"{method} ({recs[0]['config']['dataset']}, {noise['kind']} {noise['rate_nominal']:g}, effective "
              f"{statistics.mean(r['noise']['rate_effective'] for r in recs):.4f}; seeds {seeds}; "
              f"{recs[0]['config']['epochs']} epochs; {recs[0]['provenance']['device']})")
        print(f"  test acc %   best {spread([s['test_acc_best'] for s in sm])}   last "
              f"{spread([s['test_acc_last'] for s in sm])}   last-10 {spread([s['test_acc_last10'] for s in sm])}"
              + (f"   (reported output: {sm[0]['reported_output']})" if "reported_output" in sm[0] else ""))
        for k in scores:
            print(f"  {k:<24}{spread([h[k] for h in last], scale=1.0, digits=3)}")
        for k in sorted(k for k in last[0] if k.startswith("test_acc_")):
            print(f"  last {k:<19}{spread([h[k] for h in last])}")
        print(f"  s/epoch      {statistics.median(s for r in recs for s in r['timing']['epoch_s']):.1f}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    main(sys.argv[1])
