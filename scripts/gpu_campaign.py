"""Train the GPU plans of some pages in one short slot, and bring back their records.

    python scripts/gpu_campaign.py --pages foundations,mixnn --dry-run      # the plan, in GPU-minutes
    python scripts/gpu_campaign.py --pages foundations,mixnn --budget 540 --out $OUT
    python scripts/gpu_campaign.py --unpack <folder the files came back to>   # into results/, to commit
    python scripts/gpu_campaign.py --unpack <an lnl sweep --out folder>         # the same for a sweep
    python scripts/gpu_campaign.py --prepare-carry                            # .carry/ for a bare machine

The campaign skips every run that has a current record in ``results/``, starts a run only if its
estimate fits the budget left, runs ``--jobs`` at once, and writes at most 8 files to ``--out``:
``campaign.json`` (what ran, what failed, what did not fit, estimates against wall times) and zips
of records and side files, never weights. ``lnl.campaign`` holds the logic (its runs go through
``lnl.executor``, as the book's training stage and local sweeps do); the README gives the
exact call on a bare GPU machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lnl import campaign, plans  # noqa: E402
from lnl.campaign import CampaignError  # noqa: E402
from lnl.data import DataNotFound  # noqa: E402

CARRY = ROOT / ".carry"
CARRY_WHEELS = ("tqdm",)              # what lnl imports that a bare GPU machine may lack (pure Python)


def measure_concurrency(work: Path, echo=print) -> dict | None:
    """Throughput of 1, 2, 4 and 8 concurrent runs (benchmarks/throughput.py), about a minute."""
    out = work / "gpu_timing.json"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "throughput.py"), "--skip-models", "--skip-data",
           "--skip-data-share", "--concurrency-seconds", "5", "--json", str(out)]
    echo("measuring 1, 2, 4 and 8 concurrent runs: " + " ".join(cmd[1:]))
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    echo(proc.stdout.strip())
    if proc.returncode != 0 or not out.exists():
        echo(f"concurrency not measured: {(proc.stderr.strip().splitlines() or ['no output'])[-1]}")
        return None
    return json.loads(out.read_text())


def prepare_carry() -> None:
    """``.carry/``: the wheels and the data copies a bare GPU machine needs (ignored by git); the
    command there sets ``LNL_SHARED=.carry`` (CIFAR-10) and ``LNL_DATA=.carry/data`` (Fashion-MNIST)."""
    CARRY.mkdir(exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
           "-d", str(CARRY), *CARRY_WHEELS]
    if subprocess.run(cmd).returncode != 0:
        raise CampaignError("pip could not download " + ", ".join(CARRY_WHEELS) + " into .carry/.")
    from lnl import data

    shared = data.shared_data_dir()
    if not (shared / "cifar10-jpeg.tar.gz").exists():
        raise CampaignError(f"No CIFAR-10 JPEG copy at {shared} to carry (the binary set is over the 64 MiB a "
                            "bare machine receives); a GPU machine with internet needs no .carry/.")
    # The JPEG copy, with the CIFAR-10N labels that put it in torchvision's training order (without
    # them the order, and so every run's noise, would differ from the same run here).
    for name in ("cifar10-jpeg.tar.gz", "cifar10n_labels.npz"):
        shutil.copy2(shared / name, CARRY / name)
    # Fashion-MNIST (the Foundations replication's second data set) as $LNL_DATA would hold it.
    where = data.locate("fashion_mnist")
    if where is None:
        raise CampaignError("No Fashion-MNIST copy to carry: run `lnl data --fetch fashion_mnist` once with "
                            "internet (offline on Debian: `apt-get install dataset-fashion-mnist`).")
    raw = CARRY / "data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for path in data.fashion_files(Path(where)).values():
        shutil.copy2(path, raw / path.name)
    files = sorted(p for p in CARRY.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in files) / 2**20
    print(f"{CARRY.relative_to(ROOT)}/: {', '.join(str(p.relative_to(CARRY)) for p in files)} ({size:.0f} MiB)")


def shown(path: Path) -> str:
    """``path`` relative to the repository where it is inside it."""
    return str(path.relative_to(ROOT)) if path.resolve().is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pages", default="foundations,mixnn",
                   help=f"comma-separated pages or parts (default %(default)s; all: {', '.join(plans.pages())})")
    p.add_argument("--profile", default="gpu", choices=plans.PROFILES,
                   help="the plans to train (default gpu; smoke runs the same path on a CPU in seconds)")
    p.add_argument("--budget", type=float, default=540, help="seconds of training in all (default %(default)s)")
    p.add_argument("--jobs", default="auto",
                   help="runs at once: a number, or auto (the best measured concurrency; measured first "
                        "when no figures are committed and a GPU is present)")
    p.add_argument("--out", type=Path, help="folder for the files to bring back (at most 8)")
    p.add_argument("--work", type=Path, default=None, help="scratch folder for the runs (default: a temporary one)")
    p.add_argument("--results", type=Path, default=None, help="results folder (default $LNL_RESULTS or results/)")
    p.add_argument("--dry-run", action="store_true", help="print the planned runs and their GPU-minutes")
    p.add_argument("--unpack", type=Path, metavar="FOLDER", help="put a campaign's files, or an lnl sweep folder, into results/")
    p.add_argument("--prepare-carry", action="store_true", help="fill .carry/ for a bare GPU machine")
    args = p.parse_args(argv)
    try:
        if args.prepare_carry:
            prepare_carry()
            return 0
        if args.unpack:
            root = args.results or campaign.results_root()
            written = campaign.unpack(args.unpack, root)
            for path in written:
                print(f"  {shown(path)}")
            print(f"{len(written)} file(s) written; commit them: git add {shown(root)} data/presets")
            return 0
        import torch

        pages = plans.pages_of(args.pages)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        target = "cuda" if args.profile in ("gpu", "paper") else device   # what the estimates are for
        c = campaign.Campaign.build(pages, args.profile, target, args.results)
        print(c.plan_table())
        if args.dry_run:
            return 0
        if args.out is None:
            raise CampaignError("--out is needed: the folder whose files come back.")
        if device == "cpu" and args.profile in ("gpu", "paper"):
            raise CampaignError(f"The {args.profile} plans need a CUDA GPU; on a CPU run --profile smoke.")
        work = args.work or Path(tempfile.mkdtemp(prefix="lnl-campaign-"))
        timing = campaign.load_timing()
        extra, t0 = {}, time.monotonic()
        if args.jobs == "auto" and timing is None and device == "cuda" and c.items:
            timing = measure_concurrency(work)
            if timing is not None:
                extra["gpu_timing.json"] = timing
        jobs = campaign.best_jobs(timing) if args.jobs == "auto" else int(args.jobs)
        if jobs < 1:
            raise CampaignError("--jobs must be at least 1.")
        spent = time.monotonic() - t0                           # the measurement's share of the budget
        print(f"\n{jobs} run(s) at once ({campaign.speedup(jobs, timing)[1]}); budget {args.budget - spent:.0f} s; "
              f"work in {work}")
        c.run(args.budget - spent, jobs, work, timing)
        manifest = c.manifest(args.budget, jobs, timing)
        files = campaign.pack(work, args.out, manifest, extra_files=extra)
        done = sum(r["outcome"] == "done" for r in manifest["runs"])
        print(f"\n{done} of {len(manifest['runs'])} run(s) done; {len(files)} file(s) in {args.out}: "
              + ", ".join(f.name for f in files))
        left = json.loads((args.out / campaign.MANIFEST).read_text())["left_out"]
        if left:
            print(f"left out (over the file limits): {', '.join(x['file'] for x in left)}")
        return 0 if done or not manifest["runs"] else 1
    except (CampaignError, DataNotFound, ValueError) as err:
        print(f"gpu_campaign: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
