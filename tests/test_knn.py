"""kNN backends: exact against a brute-force loop, HNSW against exact, and the edge checks."""

from __future__ import annotations

import pytest
import torch

from lnl.knn import BACKENDS, default_backend, knn, recall_at_k


def brute_force(features: torch.Tensor, k: int, queries: torch.Tensor | None = None) -> torch.Tensor:
    """The definition, one query at a time: sort the L2 distances, skip the query itself."""
    out = []
    for i, q in enumerate(features if queries is None else queries):
        d = [(float(((q - f) ** 2).sum()), j) for j, f in enumerate(features) if queries is not None or j != i]
        out.append([j for _, j in sorted(d)[:k]])
    return torch.tensor(out)


def clustered(n: int, d: int, seed: int = 0, clusters: int = 10) -> torch.Tensor:
    """Gaussian blobs with low intrinsic dimension, like a trained network's embedding."""
    g = torch.Generator().manual_seed(seed)
    centres = 4 * torch.randn(clusters, d, generator=g)
    label = torch.randint(0, clusters, (n,), generator=g)
    return centres[label] + torch.randn(n, 8, generator=g) @ torch.randn(8, d, generator=g) / d ** 0.5


def test_exact_equals_a_brute_force_loop():
    x = torch.randn(60, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    expected = brute_force(x, 4)
    assert torch.equal(knn(x, 4, backend="exact"), expected)
    assert torch.equal(knn(x, 4, backend="exact", chunk_size=7), expected)       # chunks change nothing
    q = torch.randn(9, 5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert torch.equal(knn(x, 3, backend="exact", queries=q, exclude_self=False), brute_force(x, 3, q))
    found = knn(x.float(), 4, backend="exact")                                   # float32 search
    assert found.dtype == torch.int64 and found.shape == (60, 4)
    assert recall_at_k(found, expected) == 1.0


def test_a_point_is_never_its_own_neighbour_even_among_duplicates():
    x = torch.cat([torch.zeros(5, 3), torch.ones(5, 3)])                         # two groups of duplicates
    for backend in BACKENDS:
        if backend == "hnsw":
            pytest.importorskip("hnswlib")
        nn = knn(x, 4, backend=backend)
        assert not (nn == torch.arange(10)[:, None]).any()
        assert ((nn < 5) == (torch.arange(10) < 5)[:, None]).all()              # neighbours from its group


def test_hnsw_agrees_with_exact_on_clustered_data_and_is_reproducible():
    pytest.importorskip("hnswlib")
    x = clustered(3000, 64)
    exact = knn(x, 4, backend="exact")
    approx = knn(x, 4, backend="hnsw")
    assert recall_at_k(approx, exact) >= 0.95
    assert torch.equal(approx, knn(x, 4, backend="hnsw"))                       # one build thread: same graph
    q = clustered(50, 64, seed=1)
    assert recall_at_k(knn(x, 4, backend="hnsw", queries=q, exclude_self=False),
                       knn(x, 4, backend="exact", queries=q, exclude_self=False)) >= 0.95


def test_recall_by_hand():
    exact = torch.tensor([[1, 2], [3, 4]])
    assert recall_at_k(torch.tensor([[2, 1], [3, 9]]), exact) == pytest.approx(0.75)  # order ignored
    with pytest.raises(ValueError, match="one shape"):
        recall_at_k(torch.tensor([1, 2]), exact)


@pytest.mark.parametrize("call, match", [
    (lambda x: knn(x, 2, backend="faiss"), "exact, hnsw"),
    (lambda x: knn(x[0], 2), "shape \\[N, D\\]"),
    (lambda x: knn(x.long(), 2), "floating-point"),
    (lambda x: knn(x, 10), "k must be an integer in \\[1, 9\\]"),
    (lambda x: knn(x, 0), "k must be"),
    (lambda x: knn(x, 2, queries=x[:3]), "exclude_self=True needs queries=None"),
    (lambda x: knn(x, 2, queries=x[:, :2], exclude_self=False), "queries must be"),
    (lambda x: knn(torch.cat([x, torch.full((1, 3), float("nan"))]), 2), "NaN"),
])
def test_inputs_are_checked_at_the_edge(call, match):
    with pytest.raises(ValueError, match=match):
        call(torch.randn(10, 3))


def test_default_backend_is_exact_on_gpus_and_for_small_sets():
    assert default_backend(torch.device("cuda"), 10**6) == "exact" and default_backend("cpu", 1000) == "exact"
    assert default_backend("cpu", 50_000) in BACKENDS and default_backend("cpu") == "exact"
