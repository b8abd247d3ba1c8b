"""kNN search for MixNN: exact brute force against HNSW, time per sample and recall@K.

    python benchmarks/knn.py                        # N = 50,000, D = 512, K = 4 (the paper's §4.3)
    python benchmarks/knn.py --n 5000,20000,50000   # where HNSW starts to pay on this CPU

MixNN (Lu & He, arXiv 2406.16966, §4.3) reports 5.25 ms per sample for an exact K = 4 search and
0.034 ms with HNSW on CIFAR features (ResNet-34, 512-d penultimate layer, 50,000 images). The
index is rebuilt every epoch for new features, so its build time is reported beside the search
time. Recall@K is against ``exact`` on the same features.

Features: ``--record runs/x/<run-id>.json`` takes the penultimate embedding of the training set
from a run kept with ``keep_state`` (for instance ``lnl run --method ce --dataset fashion_mnist
--epochs 5 --keep-state``: the CNN's 512-d embedding of 60,000 images). Without it, clustered
Gaussians stand in for a trained network's embedding (a trained ResNet-34 is not cheap on a CPU). C = 10 clusters, centres ~ N(0, 4 I_D); each point is its cluster's centre
plus a within-cluster offset ``z U`` with ``z ~ N(0, I_r)``, ``U`` a fixed random ``[r, D]`` map
with rows of norm ≈ 1, plus isotropic noise N(0, 0.01 I_D). ``r`` (``--intrinsic-dim``, default 32)
sets the intrinsic dimension, the quantity that decides how hard approximate search is; ``r = D``
gives isotropic clusters, the hardest case.

Measured on 2 shared CPU cores (load average ≈ 5), torch 2.14.1, hnswlib 0.8.0, no GPU; total =
build + search, in seconds; ms per sample = search / N:

=====  =======  ==================  ==================  ========================
N      r        exact total (ms/s)  HNSW build, search  HNSW ms/sample, recall@4
=====  =======  ==================  ==================  ========================
5000   32       0.96 (0.19)         1.36, 0.41          0.082, 0.998
20000  32       11.6 (0.58)         13.0, 3.2           0.158, 0.987
50000  32       84.3 (1.69)         46.5, 11.4          0.228, 0.975
50000  512      82.4 (1.65)         69.1, 14.6          0.292, 0.857
=====  =======  ==================  ==================  ========================

On the 512-d embedding of a trained network (``--record``: the ``cnn`` after 3 epochs of CE on
Fashion-MNIST, first 50,000 images; 2 cores, load average 1.8): exact 31.2 s (0.62 ms/sample);
HNSW build 10.2 s (2 threads) + search 2.7 s (0.054 ms/sample), recall@4 0.9986. A trained
embedding is easier for HNSW than the synthetic clusters, and HNSW wins at this size, as
``lnl.knn.default_backend`` assumes from 30,000 points.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import time
from pathlib import Path

import torch

from lnl.knn import _hnsw_index, _hnsw_query, knn, recall_at_k

ROOT = Path(__file__).resolve().parents[1]


def clustered_features(n: int, d: int, r: int, seed: int = 0, clusters: int = 10) -> torch.Tensor:
    """``[n, d]`` float32 points: C cluster centres + rank-``r`` offsets + small isotropic noise."""
    g = torch.Generator().manual_seed(seed)
    centres = 2 * torch.randn(clusters, d, generator=g)
    label = torch.randint(0, clusters, (n,), generator=g)
    U = torch.randn(r, d, generator=g) / d ** 0.5                # rows of norm ≈ 1
    return centres[label] + torch.randn(n, r, generator=g) @ U + 0.1 * torch.randn(n, d, generator=g)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return out, time.perf_counter() - t


def hnsw_timed(x: torch.Tensor, k: int, build_threads: int, num_threads: int):
    """The two halves of ``knn(x, k, backend="hnsw")``, timed apart: (neighbours, build s, search s)."""
    index, build = timed(lambda: _hnsw_index(x, build_threads=build_threads))
    found, search = timed(lambda: _hnsw_query(index, x, k, exclude_self=True, num_threads=num_threads))
    return found, build, search


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", default="50000", help="comma-separated training-set sizes")
    p.add_argument("--d", type=int, default=512)
    p.add_argument("--k", type=int, default=4)
    p.add_argument("--intrinsic-dim", type=int, default=32)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="CPU threads (torch and HNSW search)")
    p.add_argument("--record", help="features of a trained network: a run record kept with keep_state")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    trained = None
    if args.record:
        from lnl.runner import restore

        r = restore(args.record)
        trained = r.ctx.train_features(r.method.net)[1].cpu().float()
        from lnl.engine import DEFAULT_MODEL

        model = r.record["config"]["model"] or DEFAULT_MODEL.get(r.record["config"]["dataset"], "resnet20")
        source = (f"penultimate embedding of {r.record['run_id']} ({model}, "
                  f"{len(r.record['history'])} epochs), {len(trained)} x {trained.shape[1]}")
    else:
        source = f"clustered Gaussians (10 clusters, intrinsic dim r = {args.intrinsic_dim}), D = {args.d}"

    import hnswlib  # noqa: F401  (fail early when it is missing)
    from importlib.metadata import version

    sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    print(f"# kNN benchmark: torch {torch.__version__}, hnswlib {version('hnswlib')}, commit {sha.strip()}")
    print(f"# CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {args.threads} threads; "
          f"load average {os.getloadavg()[0]:.2f} at start")
    print(f"# GPU: {torch.cuda.get_device_name() if torch.cuda.is_available() else 'none'}")
    print(f"# features: {source}; K = {args.k}; paper §4.3: exact 5.25 ms/sample, HNSW 0.034 ms/sample")
    print(f"{'N':>7} {'backend':<22} {'build s':>8} {'search s':>9} {'ms/sample':>10} {'total s':>8} {'recall@K':>9}")
    for n in (int(v) for v in args.n.split(",")):
        if trained is not None and n > len(trained):
            raise SystemExit(f"The record has {len(trained)} training samples, fewer than --n {n}.")
        x = trained[:n].contiguous() if trained is not None else clustered_features(n, args.d, args.intrinsic_dim)
        rows = []
        knn(x[:500], args.k, backend="exact")  # thread pool and allocator warmed up
        exact, t = timed(lambda: knn(x, args.k, backend="exact"))
        rows.append(("exact, cpu", 0.0, t, 1.0))
        if torch.cuda.is_available():
            xg = x.cuda()
            knn(xg[:1000], args.k, backend="exact")  # CUDA context and kernels warmed up
            eg, t = timed(lambda: knn(xg, args.k, backend="exact"))
            rows.append(("exact, cuda", 0.0, t, recall_at_k(eg.cpu(), exact)))
        for bt in sorted({1, args.threads}):
            found, build, search = hnsw_timed(x, args.k, bt, args.threads)
            rows.append((f"hnsw, build threads {bt}", build, search, recall_at_k(found, exact)))
        for name, build, search, rec in rows:
            print(f"{n:>7} {name:<22} {build:>8.2f} {search:>9.2f} {1e3 * search / n:>10.4f} "
                  f"{build + search:>8.2f} {rec:>9.4f}")


if __name__ == "__main__":
    main()
