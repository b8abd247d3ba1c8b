"""K nearest neighbours of every training sample in a representation space, by L2 distance.

MixNN (Lu & He, arXiv 2406.16966, §4.3) mixes each sample with its K nearest neighbours in the
penultimate-layer embedding, searched over the whole training set once per epoch. Two backends
answer the same question behind :func:`knn`:

=========  ============================================================================
``exact``  brute force, ``‖q‖² − 2 q·f + ‖f‖²`` by batched matrix products, chunked over the
           queries so that memory stays bounded; runs on the features' device (GPU or CPU).
           The reference.
``hnsw``   Hierarchical Navigable Small World graph (Malkov & Yashunin, TPAMI 2018) with
           ``hnswlib`` on the CPU: the paper's choice. Approximate; its quality is
           :func:`recall_at_k` against ``exact``. Defaults as nmslib's (the official code's
           library): M = 16, ef_construction = 200, ef = max(20, 2k).
=========  ============================================================================

Conventions: ``N`` indexed points of dimension ``D``; ``Q`` queries; neighbours come sorted by
increasing distance; a point is never its own neighbour when ``exclude_self`` (the queries are
then the indexed points themselves). :func:`default_backend` says which backend is faster where,
as measured by ``benchmarks/knn.py``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

BACKENDS = ("exact", "hnsw")
CHUNK_BYTES = 256 * 2**20  # exact: at most this much memory for one chunk's [chunk, N] distances
HNSW_FROM = 30_000         # default_backend: on a CPU, HNSW from this many points (benchmarks/knn.py)


def default_backend(device: torch.device | str, n: int | None = None) -> str:
    """The faster backend for a search of all ``n`` points among themselves on ``device``.

    ``exact`` on a GPU: the search is a few large matrix products (2.6 TFLOP at N = 50,000,
    D = 512, a fraction of a second; not measured, no GPU was at hand). On a CPU the HNSW index
    must be rebuilt every epoch for the new features, and its build costs more than the brute
    force it saves up to a few ten thousand points. ``benchmarks/knn.py`` (2 busy cores, D = 512,
    K = 4, build + search) measured exact 1.0 s vs HNSW 1.8 s at N = 5,000, 11.6 vs 16.1 s at
    20,000, and 84 vs 58 s (recall@4 0.975) at 50,000: a crossover near 35,000. So ``hnsw`` on a
    CPU from N = 30,000 (CIFAR, Fashion-MNIST) when ``hnswlib`` is installed, else ``exact``.
    """
    if torch.device(device).type != "cpu" or n is None or n < HNSW_FROM:
        return "exact"
    try:
        import hnswlib  # noqa: F401
    except ImportError:
        return "exact"
    return "hnsw"


def knn(features: Tensor, k: int, *, backend: str = "exact", queries: Tensor | None = None,
        exclude_self: bool = True, chunk_size: int | None = None, M: int = 16,
        ef_construction: int = 200, ef: int | None = None, num_threads: int = -1,
        build_threads: int = 1, random_seed: int = 100) -> Tensor:
    """Indices of the ``k`` nearest neighbours (L2) of each query among ``features``.

    Parameters
    ----------
    features : ``[N, D]`` floating tensor, the indexed points (float64 stays float64 in ``exact``;
        every other dtype is searched as float32).
    k : number of neighbours, ``1 ≤ k ≤ N − 1`` (``≤ N`` when ``exclude_self`` is False).
    backend : ``"exact"`` or ``"hnsw"`` (see the module docstring).
    queries : ``[Q, D]`` query points; ``None`` queries every indexed point (``Q = N``).
    exclude_self : with ``queries=None``, drop each point from its own neighbour list. It must be
        False when ``queries`` are given (a query is not known to be an indexed point).
    chunk_size : ``exact`` only: queries per matrix product; default keeps one chunk's
        distances under 256 MiB.
    M, ef_construction, ef : ``hnsw`` only: graph degree, build-time and search-time beam widths;
        ``ef`` defaults to ``max(20, 2k)`` (nmslib's default 20, widened for large k).
    num_threads : ``hnsw`` only: search threads (−1 = all cores); searches are independent, so
        this never changes the result.
    build_threads : ``hnsw`` only: insertion threads. With more than one, the insertion order and
        hence the graph vary from run to run; 1 (default) makes the index a function of
        ``random_seed`` and the data.
    random_seed : ``hnsw`` only: seed of the level draws (hnswlib's default, 100).

    Returns
    -------
    ``[Q, k]`` int64 indices into ``features``, nearest first, on ``features.device``.
    """
    _validate(features, k, backend, queries, exclude_self)
    if backend == "exact":
        return _exact(features, k, queries, exclude_self, chunk_size)
    return _hnsw(features, k, queries, exclude_self, M, ef_construction, ef, num_threads, build_threads,
                 random_seed)


def recall_at_k(approx: Tensor, exact: Tensor) -> float:
    """Share of the exact neighbours that an approximate search found, ``mean_i |A_i ∩ E_i| / k``.

    ``approx``, ``exact``: ``[Q, k]`` integer neighbour indices of the same queries (order within
    a row is ignored). The paper's "quality of an inexact search" (§4.3).
    """
    if approx.shape != exact.shape or approx.dim() != 2:
        raise ValueError(f"recall_at_k needs two [Q, k] index tensors of one shape, got "
                         f"{tuple(approx.shape)} and {tuple(exact.shape)}.")
    exact = exact.to(approx.device)
    return float((approx[:, :, None] == exact[:, None, :]).any(dim=2).float().mean())


# ----------------------------------------------------------------------------------------------

def _validate(features, k, backend, queries, exclude_self) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"Unknown kNN backend '{backend}'; choose one of: {', '.join(BACKENDS)}.")
    if not isinstance(features, Tensor) or features.dim() != 2 or not features.is_floating_point():
        raise ValueError("features must be a floating-point tensor of shape [N, D].")
    n = len(features)
    if queries is not None:
        if exclude_self:
            raise ValueError("exclude_self=True needs queries=None; pass exclude_self=False with queries.")
        if not isinstance(queries, Tensor) or queries.dim() != 2 or queries.shape[1] != features.shape[1]:
            raise ValueError(f"queries must be a tensor of shape [Q, {features.shape[1]}].")
    limit = n - 1 if exclude_self else n
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= limit:
        raise ValueError(f"k must be an integer in [1, {limit}] for {n} points, got {k!r}.")
    for name, t in (("features", features), ("queries", queries)):
        if t is not None and not bool(torch.isfinite(t).all()):
            raise ValueError(f"{name} contain NaN or infinite values.")


def _exact(features: Tensor, k: int, queries: Tensor | None, exclude_self: bool,
           chunk_size: int | None) -> Tensor:
    dtype = torch.float64 if features.dtype == torch.float64 else torch.float32
    f = features.to(dtype)
    q = f if queries is None else queries.to(device=f.device, dtype=dtype)
    f_sq = (f * f).sum(dim=1)                                   # ‖f_j‖², [N]
    chunk = chunk_size or max(1, CHUNK_BYTES // (len(f) * f.element_size()))
    out = []
    for start in range(0, len(q), chunk):
        qc = q[start:start + chunk]                             # [c, D]
        d = (qc * qc).sum(dim=1, keepdim=True) - 2 * qc @ f.T + f_sq  # squared L2, [c, N]
        if exclude_self:
            rows = torch.arange(len(qc), device=f.device)
            d[rows, rows + start] = float("inf")
        out.append(d.topk(k, dim=1, largest=False, sorted=True).indices)
    return torch.cat(out)


def _hnsw(features: Tensor, k: int, queries: Tensor | None, exclude_self: bool, M: int,
          ef_construction: int, ef: int | None, num_threads: int, build_threads: int,
          random_seed: int) -> Tensor:
    index = _hnsw_index(features, M, ef_construction, build_threads, random_seed)
    found = _hnsw_query(index, features if queries is None else queries, k, exclude_self, ef, num_threads)
    return found.to(features.device)


def _hnsw_index(features: Tensor, M: int = 16, ef_construction: int = 200, build_threads: int = 1,
                random_seed: int = 100):
    """An ``hnswlib.Index`` (L2) over ``features [N, D]``, point i under id i."""
    import hnswlib

    data = features.detach().to("cpu", torch.float32).numpy()
    index = hnswlib.Index(space="l2", dim=data.shape[1])
    index.init_index(max_elements=len(data), ef_construction=ef_construction, M=M, random_seed=random_seed)
    index.add_items(data, np.arange(len(data)), num_threads=build_threads)
    return index


def _hnsw_query(index, queries: Tensor, k: int, exclude_self: bool, ef: int | None = None,
                num_threads: int = -1) -> Tensor:
    """``[Q, k]`` int64 neighbour ids of ``queries`` in ``index``, on ``queries.device``."""
    kq = k + 1 if exclude_self else k                           # self comes back as a neighbour
    index.set_ef(max(ef if ef is not None else max(20, 2 * k), kq))
    labels, _ = index.knn_query(queries.detach().to("cpu", torch.float32).numpy(), k=kq, num_threads=num_threads)
    found = torch.from_numpy(labels.astype(np.int64))           # [Q, kq], nearest first
    if exclude_self:
        drop = found == torch.arange(len(found))[:, None]       # the point itself ...
        drop[~drop.any(dim=1), -1] = True                       # ... or, if a duplicate hid it, the last
        found = found[~drop].view(len(found), k)
    return found.to(queries.device)


def backend_table(features: Tensor, k: int):
    """Both backends on ``features [N, D]`` (CPU), all points among themselves: seconds in all (HNSW:
    build and search), ms per sample and recall@k against ``exact``. HNSW only where ``hnswlib`` is
    installed. One row per backend."""
    import time

    import pandas as pd

    rows = []
    t0 = time.perf_counter()
    exact = knn(features, k, backend="exact")
    rows.append({"backend": "exact", "total s": time.perf_counter() - t0, f"recall@{k}": 1.0})
    if default_backend("cpu", 10**9) == "hnsw":        # hnswlib is installed
        t0 = time.perf_counter()
        approx = knn(features, k, backend="hnsw")
        rows.append({"backend": "hnsw (build + search)", "total s": time.perf_counter() - t0,
                     f"recall@{k}": recall_at_k(approx, exact)})
    table = pd.DataFrame(rows).set_index("backend")
    table["ms per sample"] = 1e3 * table["total s"] / len(features)
    return table
