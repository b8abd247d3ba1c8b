"""The ``lnl`` command: train a method, inspect a noise model, list and fetch the data sets.

    lnl run --method ce --dataset fashion_mnist --noise symmetric --rate 0.6 --epochs 20
    lnl noise --dataset cifar10 --kind asymmetric --rate 0.4 --json
    lnl defaults dividemix --preset c10-sym80 --json
    lnl data
    lnl data --fetch fashion_mnist cifar10

``lnl data --fetch NAME ...`` downloads each data set once (with internet) into ``$LNL_DATA`` or the
project's ``data/`` folder and prints where it is; a missing data set is reported in one sentence
naming that command. Bad input, and data that cannot be found or fetched, get one sentence on stderr
and exit status 2, never a traceback. Every flag, ``--out`` included, is checked before any data loads
(the class sizes of an image folder only once it has loaded, still before anything is written);
records and checkpoints are written atomically, so nothing is left half-written.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad command-line input: reported in one sentence, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors: one line, no usage dump
        raise UsageError(message[0].upper() + message[1:] + ("" if message.endswith(".") else "."))


def _key_value(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"--param takes KEY=VALUE, got '{text}'")
    k, v = text.split("=", 1)
    if not k.strip():
        raise argparse.ArgumentTypeError(f"--param takes KEY=VALUE, got '{text}'")
    return k.strip(), v.strip()


def _milestones(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--milestones takes comma-separated epochs, got '{text}'")


def _add_run_flags(p: argparse.ArgumentParser, d: Any, s: Any) -> None:
    """The flags that say what to train and on what: ``lnl run``'s and ``lnl detect``'s."""
    p.add_argument("--preset", default=None,
                   help="the method's paper settings, e.g. cifar10 (coteaching, elr) or c10-sym80 (dividemix); "
                        "'lnl defaults METHOD' lists them with their sources; flags on the command line win")
    p.add_argument("--dataset", required=True, help="see 'lnl data'")
    p.add_argument("--noise", default=d.noise, help="none, symmetric, symmetric-uniform, asymmetric, "
                   "asymmetric-blocks, pairflip, instance, human (default: %(default)s; cifar10n and cifar100n "
                   "take only human)")
    p.add_argument("--rate", type=float, default=d.rate, help="nominal noise rate r in [0, 1]")
    p.add_argument("--sampling", default=d.sampling, help="exact (counts per class) or bernoulli (per sample)")
    p.add_argument("--label-set", default=None,
                   help="with --noise human, the CIFAR-N label set: cifar10n aggre (default), worse, random1-3; "
                        "cifar100n noisy")
    p.add_argument("--model", default=None, help="mlp, cnn, resnet20, preact-resnet18, resnet34, wrn-28-10, resnet29")
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--optimizer", default=d.optimizer, help="sgd (with momentum) or adam")
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--momentum", type=float, default=d.momentum)
    p.add_argument("--weight-decay", type=float, default=d.weight_decay)
    p.add_argument("--schedule", default=s.kind, help="constant, multistep, cosine, cosine-restarts")
    p.add_argument("--milestones", type=_milestones, default=(), help="multistep epochs, e.g. 150,225")
    p.add_argument("--gamma", type=float, default=s.gamma, help="multistep factor")
    p.add_argument("--warmup", type=int, default=s.warmup, help="epochs of linear LR warm-up")
    p.add_argument("--eta-min", type=float, default=s.eta_min, help="the LR that cosine and linear schedules end at")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--device", default=d.device, help="auto, cpu, cuda, mps")
    p.add_argument("--precision", default=d.precision, help="auto (bf16 on GPUs with native bf16), fp32, bf16")
    p.add_argument("--train-per-class", type=int, default=None, help="train on the first n images per class")
    p.add_argument("--test-per-class", type=int, default=None, help="test on the first n images per class")
    p.add_argument("--probe-per-class", type=int, default=d.probe_per_class,
                   help="clean training images per class held out before noise, as a probe set (IEG)")
    p.add_argument("--root", default=None, help="imagefolder: your images: train/<class>/ (and test/<class>/), "
                   "<class>/ alone, or any files a --labels CSV lists")
    p.add_argument("--labels", default=None, metavar="FILE.csv",
                   help="imagefolder: path,label rows (paths relative to --root; class names or 0..C-1)")
    p.add_argument("--trusted", default=None, metavar="FILE.csv",
                   help="imagefolder: path,label rows you trust, some of the training images: lnl run --method "
                        "ieg trains on them as its probe set; lnl detect scores its detectors against them")
    p.add_argument("--holdout", type=float, default=d.holdout, metavar="SHARE",
                   help="imagefolder without test/: the share of each class held out for testing, e.g. 0.1")
    p.add_argument("--image-size", type=int, default=d.image_size, help="imagefolder: resize to this side")
    p.add_argument("--param", type=_key_value, action="append", default=[], metavar="KEY=VALUE",
                   help="a method setting, e.g. --param alpha=8")
    p.add_argument("--no-augment", action="store_true", help="train without the data set's crop/flip")
    p.add_argument("--no-diagnostics", action="store_true", help="skip the true-label training-set pass")


def build_parser() -> argparse.ArgumentParser:
    from lnl.engine import RunConfig, Schedule
    from lnl.methods import METHODS

    d, s = RunConfig(), Schedule()
    p = _Parser(prog="lnl", description="Learning with noisy labels: train, inspect noise, list and fetch "
                                        "data sets.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    width = max(map(len, METHODS))
    r = sub.add_parser("run", help="train a method and write its run record",
                       formatter_class=argparse.RawDescriptionHelpFormatter,   # keeps the epilog's lines
                       epilog="methods:\n" + "\n".join(
                           f"  {name:<{width}}  {cls.help_line()}" for name, cls in METHODS.items()))
    r.add_argument("--method", required=True, help=", ".join(METHODS) + " (each in a line below)")
    _add_run_flags(r, d, s)
    r.add_argument("--out", default="runs", help="folder for the record, created if missing; checked before "
                   "any data loads (default: %(default)s)")
    r.add_argument("--resume", action="store_true", help="continue from the run's checkpoint in --out "
                   "(an error when there is none)")
    r.add_argument("--stop-after", type=int, default=None,
                   help="stop after this epoch (below --epochs), keeping the checkpoint")
    r.add_argument("--keep-state", action="store_true",
                   help="keep the trained networks and buffers beside the record (<run-id>.state.pt)")

    from lnl import detect

    t = sub.add_parser("detect", help="rank every training sample by how likely its label is wrong, beside "
                       "cleanlab; write <out>/label_issues.csv")
    t.add_argument("--method", default=detect.DEFAULT_METHOD,
                   help=", ".join(METHODS) + " (default %(default)s: its target mass on the given label, the detection "
                        "page's best detector at cpu over its noise models)")
    _add_run_flags(t, d, s)
    t.add_argument("--folds", type=int, default=detect.DEFAULT_FOLDS,
                   help="cleanlab's out-of-sample folds, each a CE run of the same budget (0: no cleanlab; "
                        "default %(default)s)")
    t.add_argument("--out", default="detect", help="folder for label_issues.csv and the runs, created if missing "
                   "(default: %(default)s)")

    w = sub.add_parser("sweep", help="run a sweep file's runs or pages' plans on this machine or on SLURM, "
                       "skipping runs with a current record; --status follows them")
    w.add_argument("file", nargs="?", default=None, help="a YAML or JSON sweep file: base settings and a grid")
    w.add_argument("--pages", default=None, help="pages or parts whose plans to run, e.g. mixnn,sanm")
    w.add_argument("--profile", default="cpu", help="the plans' profile (default %(default)s)")
    w.add_argument("--executor", default="local", help="local (processes here) or slurm (through submitit)")
    w.add_argument("--out", default="sweep", help="folder for the records and sweep.json (default %(default)s)")
    w.add_argument("--jobs", type=int, default=None, help="local: runs at once (default: one per core)")
    w.add_argument("--status", action="store_true", help="show each run's state in --out and stop")
    for flag, what in (("--partition", "SLURM partition"), ("--account", "SLURM account"),
                       ("--gpus", "GPUs per task"), ("--cpus", "CPUs per task (default 1)"),
                       ("--mem-gb", "memory per task in GB"), ("--time-min", "time limit per task in minutes "
                        "(default 60; a task at its limit is requeued and resumes)"),
                       ("--array-parallelism", "tasks of the array at once (default 16)")):
        w.add_argument(flag, default=None, help=f"slurm: {what}")

    n = sub.add_parser("noise", help="print a noise model's realised transition matrix and effective rate")
    n.add_argument("--dataset", required=True)
    n.add_argument("--kind", required=True)
    n.add_argument("--rate", type=float, default=0.0)
    n.add_argument("--seed", type=int, default=0)
    n.add_argument("--sampling", default="exact")
    n.add_argument("--label-set", default=None)
    n.add_argument("--json", action="store_true", help="print JSON: transition_matrix, effective_rate, num_samples")

    f = sub.add_parser("defaults", help="every setting of a method and of the run it implies, with its source")
    f.add_argument("method", help="a method name, as for lnl run --method")
    f.add_argument("--preset", default=None, help="apply one of the method's presets, as lnl run --preset does")
    f.add_argument("--param", type=_key_value, action="append", default=[], metavar="KEY=VALUE",
                   help="set a method setting, as lnl run --param does")
    f.add_argument("--json", action="store_true", help="print JSON: a list of {scope, setting, value, kind, "
                   "source, schedule}")

    g = sub.add_parser("data", help="list the data sets and where each was found, or fetch them (--fetch)")
    g.add_argument("--fetch", nargs="+", metavar="NAME", default=None,
                   help="download these data sets once (needs internet) into $LNL_DATA or the project's "
                        "data/ folder, then print where each is")
    return p


SCHEDULE_FLAGS = ("schedule", "milestones", "gamma", "warmup", "eta_min")


def _config_from(args: argparse.Namespace, given: frozenset[str] = frozenset()):
    """The run's config from the flags; with ``--preset``, the preset's settings for every flag not
    in ``given`` (the flags on the command line)."""
    from dataclasses import replace

    from lnl.engine import RunConfig, Schedule
    from lnl.methods import METHODS

    cfg = RunConfig(
        method=args.method, dataset=args.dataset, noise=args.noise, rate=args.rate, sampling=args.sampling,
        label_set=args.label_set, model=args.model, epochs=args.epochs, batch_size=args.batch_size,
        optimizer=args.optimizer, lr=args.lr,
        momentum=args.momentum, weight_decay=args.weight_decay,
        schedule=Schedule(kind=args.schedule, milestones=args.milestones, gamma=args.gamma, warmup=args.warmup,
                          eta_min=args.eta_min),
        seed=args.seed, device=args.device, precision=args.precision, train_per_class=args.train_per_class,
        test_per_class=args.test_per_class, probe_per_class=args.probe_per_class, root=args.root,
        labels=args.labels, holdout=args.holdout, image_size=args.image_size, augment=not args.no_augment,
        trusted=args.trusted if args.command == "run" else None,     # lnl detect: the truth, not a probe
        diagnostics=not args.no_diagnostics,
        method_params=_typed(args.method, dict(args.param)))
    if args.preset is None or args.method not in METHODS:     # an unknown method: validate names the valid ones
        return cfg
    preset = METHODS[args.method].preset_settings(args.preset)
    params = {**preset.pop("method_params"), **cfg.method_params}
    if given & set(SCHEDULE_FLAGS):
        preset.pop("schedule", None)
    return replace(cfg, **{k: v for k, v in preset.items() if k not in given}, method_params=params)


def _typed(method: str, params: dict[str, str]) -> dict[str, object]:
    """``--param`` values as their settings' types (``"0.7"`` -> 0.7), so that a run from the
    command line is the same run (the same run id and record) as one planned in Python. An
    ill-typed value raises the method's one-sentence ``ValueError``."""
    from lnl.methods import METHODS

    if method not in METHODS or not params:
        return params
    config = METHODS[method].make_config(params)
    return {k: getattr(config, k) for k in params}


def _given(parser: argparse.ArgumentParser, argv: Sequence[str], command: str = "run") -> frozenset[str]:
    """The destinations of the ``command`` flags that ``argv`` names."""
    flags = parser._subparsers._group_actions[0].choices[command]._option_string_actions
    return frozenset(flags[t.split("=", 1)[0]].dest for t in argv if t.split("=", 1)[0] in flags)


def _checked_config(args: argparse.Namespace):
    """The run's config from the flags (:func:`_config_from`), refused in one sentence where it is
    invalid: what ``lnl run`` and ``lnl detect`` check before any data loads."""
    from lnl import runner

    cfg = _config_from(args, args.given)
    runner.validate(cfg)
    if cfg.model is not None:
        from lnl.models import MODELS
        if cfg.model not in MODELS:
            raise ValueError(f"Unknown model '{cfg.model}'; choose one of: {', '.join(MODELS)}.")
    _check_ignored(cfg.noise, cfg.rate, cfg.sampling, args.given)
    return cfg


def _cmd_run(args: argparse.Namespace) -> int:
    from lnl import data, engine, runner

    cfg = _checked_config(args)
    if args.stop_after is not None and not 1 <= args.stop_after < cfg.epochs:
        raise UsageError(f"--stop-after takes an epoch from 1 to {cfg.epochs - 1}, before the run's last, got "
                         f"{args.stop_after}." if cfg.epochs > 1 else
                         "--stop-after needs a run of at least 2 epochs; this one has 1.")
    _check_out(args.out)
    if args.resume:
        _check_resume(Path(args.out) / f"{engine.run_id(cfg)}.ckpt")
    rec = runner.run(cfg, out=args.out, resume=args.resume, stop_after=args.stop_after,
                   keep_state=args.keep_state)
    rid = engine.run_id(cfg)
    if not rec:
        print(f"stopped after epoch {args.stop_after}; continue with the same command and --resume "
              f"(checkpoint {args.out}/{rid}.ckpt)")
        return 0
    print(f"{args.out}/{rid}.json")
    sm = rec["summary"]
    eff = sm["noise_rate_effective"]
    label_set = cfg.label_set or data.HUMAN_LABEL_SETS.get(cfg.dataset, ("",))[0]
    given = {"none": "none", "human": f"human, label set {label_set}"}
    print(f"  noise           {given.get(cfg.noise, f'{cfg.noise} r={cfg.rate:g}')}, effective "
          f"{'unknown' if eff is None else f'{eff:.4f}'}")
    for key in ("test_acc_best", "test_acc_last", "test_acc_last10", "clean_acc_last", "noisy_acc_given_last",
                "noisy_acc_true_last"):
        if sm.get(key) is not None:
            extra = f" (epoch {sm['best_epoch']})" if key == "test_acc_best" else ""
            print(f"  {key:<22}{sm[key]:.4f}{extra}")
    print(f"  wall time       {sm['wall_time_s']:.1f} s on {rec['provenance']['device']}")
    for name, p in rec.get("phases_resolved", {}).items():       # a paper's phase in a shorter run
        print(f"  {name:<16}{p['epochs']} epoch(s): the paper's {p['default']} of {p['paper_schedule']}, "
              f"at its share of this run")
    return 0


def _cmd_detect(args: argparse.Namespace) -> int:
    from lnl import detect
    from lnl.methods import METHODS

    if args.trusted is not None and args.method in METHODS and METHODS[args.method].uses_probe \
            and args.probe_per_class == 0:
        raise UsageError(f"lnl detect scores against --trusted, so {args.method} cannot also train on it as its "
                         "probe set: give it --probe-per-class N.")
    cfg = _checked_config(args)
    if args.folds == 1 or args.folds < 0:
        raise UsageError(f"--folds takes 0 (no cleanlab) or a number of folds from 2, got {args.folds}.")
    if args.folds:
        try:
            import cleanlab  # noqa: F401
        except ImportError:
            raise UsageError("cleanlab is not installed: pip install 'lnl[detect]', or give --folds 0 to rank "
                             "by the method's score alone.") from None
    if args.trusted is not None and cfg.dataset != "imagefolder":
        raise UsageError(f"--trusted is for --dataset imagefolder; data set '{cfg.dataset}' has its own labels.")
    _check_out(args.out)
    found = detect.detect(cfg, args.out, folds=args.folds, trusted=args.trusted)
    path = detect.write_table(found.table, Path(args.out) / "label_issues.csv")
    t = found.table
    print(f"{path}: {len(t)} training samples ranked by {cfg.method}'s {found.detector} score"
          + (f" and by cleanlab ({found.folds}-fold out-of-sample CE, self-confidence)" if found.folds else ""))
    if "p_clean" in t:
        print(f"  {cfg.method} flags {int((t['p_clean'] < 0.5).sum())} (P(clean) < 0.5)")
    if "cleanlab_issue" in t:
        print(f"  cleanlab flags {int(t['cleanlab_issue'].sum())}")
    if "mislabelled" in t:
        known = t["mislabelled"].notna()
        if args.trusted is not None:
            print(f"  the truth: {int(known.sum())} trusted labels of {len(t)} samples ({args.trusted}); "
                  "the metrics are over these alone")
        print(f"  truly mislabelled: {int(t['mislabelled'][known].astype(bool).sum())}")
        print(detect.detection_metrics(t).round(4).to_string())
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from lnl import sweep

    if args.status:
        rows = sweep.status(args.out)
        for state in ("done", "running", "queued", "interrupted", "failed", "not run", "unknown"):
            mine = [r for r in rows if r["state"] == state]
            if mine:
                print(f"{state}: {len(mine)}")
                for r in mine if state in ("failed", "running", "interrupted") else []:
                    print(f"  {r['run']}" + (f": {r['error']}" if r["error"] else ""))
        return 0
    if args.file is None and args.pages is None:
        raise UsageError("lnl sweep needs a sweep file, --pages, or both.")
    if args.executor not in sweep.EXECUTORS:
        raise UsageError(f"Unknown executor '{args.executor}'; choose one of: {', '.join(sweep.EXECUTORS)}.")
    cfgs = sweep.read_sweep(args.file) if args.file else []
    if args.pages:
        cfgs += sweep.plan_configs(args.pages, args.profile)
    if args.executor == "slurm":
        import shutil

        if shutil.which("sbatch") is None:
            raise UsageError("--executor slurm needs SLURM's sbatch on this machine (scripts/slurm-local.sh starts "
                             "a one-node cluster).")
    _check_out(args.out)
    slurm = {k: getattr(args, k) for k in ("partition", "account", "gpus", "cpus", "mem_gb", "time_min",
                                            "array_parallelism")}
    manifest = sweep.submit(cfgs, args.out, args.executor, jobs=args.jobs, slurm=slurm)
    failed = [rid for rid, e in manifest["runs"].items() if e.get("error")]
    return 1 if failed and args.executor == "local" else 0


def _check_ignored(noise: str, rate: float, sampling: str, given: frozenset[str]) -> None:
    """Refuse a ``--rate`` or ``--sampling`` that the noise kind would ignore."""
    if "rate" in given and rate != 0 and noise in ("none", "human"):
        raise UsageError(f"--rate has no meaning with noise '{noise}' ("
                         f"{'the labels are kept as given' if noise == 'none' else 'the human labels are the noise'})"
                         "; leave it out.")
    if "sampling" in given and sampling != "exact" and noise in ("none", "instance", "human"):
        raise UsageError(f"--sampling is for the noise kinds given by a transition matrix; noise '{noise}' has "
                         "none, so leave it out.")


def _check_out(out: str) -> None:
    """Refuse an ``--out`` that is not a folder that can be created and written, leaving nothing
    behind: folders made for the check are removed again (the run makes them when it writes)."""
    path, made = Path(out), []
    try:
        missing = [p for p in (path, *path.parents) if not p.exists()]
        try:
            for p in reversed(missing):
                p.mkdir()
                made.append(p)
        except OSError as e:
            raise UsageError(f"--out {out} cannot be created ({e.strerror}).")
        if not path.is_dir():
            raise UsageError(f"--out {out} is a file, not a folder.")
        try:
            fd, probe = tempfile.mkstemp(dir=path, prefix=".lnl-write-check-")
            os.close(fd)
            os.unlink(probe)
        except OSError as e:
            raise UsageError(f"--out {out} is a folder that cannot be written ({e.strerror}).")
    except OSError as e:   # exists() on a folder that cannot be read
        raise UsageError(f"--out {out} cannot be used ({e.strerror}).")
    finally:
        for p in reversed(made):
            with contextlib.suppress(OSError):
                p.rmdir()


def _check_resume(ckpt: Path) -> None:
    """``--resume`` needs the run's checkpoint; without one it would silently train from the start."""
    if ckpt.exists():
        return
    record = ckpt.with_suffix(".json")
    if record.exists():
        raise UsageError(f"The run has finished (its record is {record}), so --resume has nothing to continue.")
    raise UsageError(f"--resume found no checkpoint {ckpt}: give the flags of the run that stopped, or leave "
                     "--resume out to start this run.")


def _cmd_noise(args: argparse.Namespace) -> int:
    from lnl import engine, runner
    from lnl.engine import RunConfig

    if args.kind == "none":
        raise ValueError("Noise kind 'none' has nothing to show; choose one of: "
                         f"{', '.join(engine.NOISE_KINDS[1:])}.")
    cfg = RunConfig(method="ce", dataset=args.dataset, noise=args.kind, rate=args.rate, seed=args.seed,
                    sampling=args.sampling, label_set=args.label_set)
    try:
        runner.validate(cfg)
    except ValueError as e:  # the run's flag --noise is this command's --kind
        raise ValueError(str(e).replace("--noise ", "--kind ")) from None
    _check_ignored(cfg.noise, cfg.rate, cfg.sampling, args.given)
    prep = engine.prepare(cfg)
    T = prep.noise["realised_matrix"]
    out = {"dataset": args.dataset, "kind": args.kind, "rate": args.rate, "sampling": args.sampling,
           "seed": args.seed, "num_samples": int(len(prep.labels)), "effective_rate": prep.noise["rate_effective"],
           "expected_rate": prep.noise["rate_expected"], "transition_matrix": T}
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    classes = prep.dataset.classes
    print(f"{args.kind} noise on {args.dataset}, r={args.rate:g}, {args.sampling} sampling, seed {args.seed}: "
          f"{len(prep.labels)} samples")
    print("realised T[i, j] = P(given j | true i), rows = true class")
    width = max(len(c) for c in classes[:12]) if len(classes) <= 12 else 4
    names = classes if len(classes) <= 12 else tuple(str(i) for i in range(len(classes)))
    print(" " * (width + 1) + " ".join(f"{n[:6]:>6}" for n in names))
    for name, row in zip(names, np.asarray(T)):
        print(f"{name:>{width}} " + " ".join(f"{v:6.3f}" for v in row))
    exp = out["expected_rate"]
    print(f"effective noise rate: {out['effective_rate']:.4f}" + (f" (expected {exp:.4f})" if exp is not None else ""))
    return 0


def _cmd_defaults(args: argparse.Namespace) -> int:
    from lnl import provenance

    rows = provenance.defaults(args.method, args.preset, dict(args.param))
    if args.json:
        print(json.dumps(rows, indent=1, default=str, ensure_ascii=False))
    else:
        print(f"{args.method}" + (f", preset {args.preset}" if args.preset else "") + ": every setting, its value "
              "and its source (paper, code, reconstructed or ours)")
        print(provenance.format_text(rows))
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    from lnl import data

    if args.fetch:
        return _fetch(args.fetch)
    print(f"looking in: {', '.join(map(str, data.data_roots()))}, then known local copies")
    for name in data.DATASETS:
        where = data.locate(name)
        if name == "imagefolder":
            where = "any folder given with --root (train/<class>/, test/<class>/)"
        print(f"  {name:<14}{where or f'not found locally; get it with `{data.fetch_command(name)}`'}")
    return 0


def _fetch(names: Sequence[str]) -> int:
    """Load each data set with downloads allowed (all names checked first), printing where each now is."""
    from lnl import data

    for name in names:
        data._check_name(name)
        if name == "imagefolder":
            raise UsageError("The imagefolder data set cannot be fetched: it is your own folder with "
                             "train/<class>/ and test/<class>/, given to `lnl run` with --root.")
    for name in dict.fromkeys(names):  # downloads go into data.data_roots()[0]
        data.load(name, download=True)
        print(f"{name:<14}{data.locate(name)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from lnl.data import DataNotFound

    try:
        parser = build_parser()
        argv = sys.argv[1:] if argv is None else list(argv)
        args = parser.parse_args(argv)
        args.given = _given(parser, argv, args.command)
        return {"run": _cmd_run, "detect": _cmd_detect, "sweep": _cmd_sweep, "noise": _cmd_noise,
                "defaults": _cmd_defaults, "data": _cmd_data}[args.command](args)
    except (UsageError, ValueError, DataNotFound) as e:
        print(f"lnl: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("lnl: interrupted; the last finished epoch is checkpointed, continue with --resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
