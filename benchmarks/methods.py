"""What each method costs: its epoch time as a ratio to CE's, on this device, in one process.

    python benchmarks/methods.py                                  # Fashion-MNIST, 5,000 images, CNN, 5 epochs
    python benchmarks/methods.py --dataset cifar10 --train-per-class 1000 --epochs 3
    python benchmarks/methods.py --json runs/methods.json

Every method of :data:`lnl.methods.METHODS` trains the same run (data, model, batch, precision the
engine picks for the device) for ``--epochs`` epochs through :func:`lnl.runner.run`, without the
true-label diagnostics pass (evaluation on the test set stays, as in every run). The figure is the
median of the epochs after the first (which pays for warm-up and allocation), so a method's own
cost is measured in its steady state: MixNN is set to mix and correct labels from epoch 1
(``warmup=0, e_s=1``), DivideMix to co-divide and ALR to refine its targets from epoch 1
(``warmup=0``; without the diagnostics pass, ALR's once-per-epoch update pays its own evaluation
of the training set), SANM to mask from epoch 1 on either host; Co-teaching keeps its forget-rate
ramp. Prints one row per method: seconds per epoch and the ratio to CE's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile

import torch

from lnl import engine, records, runner
from lnl.engine import RunConfig
from lnl.methods import METHODS

STEADY = {"mixnn": {"warmup": 0, "e_s": 1}, "dividemix": {"warmup": 0}, "alr": {"warmup": 0},   # full work from epoch 1
          "sanm-ce": {"start": 0}, "sanm-dividemix": {"warmup": 0}, "sanm-coteaching": {"start": 0},
          "sanm-elr": {"start": 0}}
# IEG's variants beside it: the meta step through the look-ahead, in the last layer only, L2R, EG
VARIANTS = {"ieg": [("ieg (backprop)", {"meta_grad": "backprop"}), ("ieg (head)", {"meta_params": "head"}),
                    ("L2R (IEG-1)", {"ablation": "IEG-1"}), ("EG (no meta step)", {"ablation": "EG"})]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="fashion_mnist")
    p.add_argument("--train-per-class", type=int, default=500)
    p.add_argument("--epochs", type=int, default=5, help="at least 2: the first is not timed")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--methods", nargs="*", default=list(METHODS))
    p.add_argument("--device", default="auto")
    p.add_argument("--json", default=None, metavar="PATH", help="also write the figures to PATH as JSON")
    args = p.parse_args()
    if args.epochs < 2:
        sys.exit("methods.py: --epochs must be at least 2 (the first epoch is not timed).")
    device = engine.resolve_device(args.device)
    methods = ["ce"] + [m for m in args.methods if m != "ce"]
    print(f"{records.device_name(device)}, torch {torch.__version__}, {torch.get_num_threads()} threads: "
          f"{args.dataset}, {args.train_per_class} per class, batch {args.batch_size}, median of epochs 2-{args.epochs}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        arms = [(m, m, STEADY.get(m, {})) for m in methods]
        arms += [(label, m, params) for m in methods for label, params in VARIANTS.get(m, [])]
        for label, name, params in arms:
            cfg = RunConfig(method=name, dataset=args.dataset, noise="symmetric", rate=0.4, epochs=args.epochs,
                            batch_size=args.batch_size, train_per_class=args.train_per_class, diagnostics=False,
                            device=args.device, method_params=params,
                            probe_per_class=10 if METHODS[name].uses_probe else 0)   # IEG's trusted set
            rec = runner.run(cfg, out=tmp, progress=False)
            s = statistics.median(rec["timing"]["epoch_s"][1:])
            ratio = s / rows[0]["epoch_s"] if rows else 1.0
            rows.append({"method": label, "epoch_s": s, "ratio_to_ce": ratio})
            print(f"  {label:<20}{s:8.2f} s/epoch   {ratio:5.2f} × CE", flush=True)
    if args.json:
        records.write_json_atomic(args.json, {"device": records.device_name(device), "torch": torch.__version__,
                                              "dataset": args.dataset, "train_per_class": args.train_per_class,
                                              "batch_size": args.batch_size, "rows": rows})


if __name__ == "__main__":
    main()
