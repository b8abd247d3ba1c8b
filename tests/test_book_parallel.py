"""lnl.book.train_parallel: a page's runs trained in worker processes (lnl.executor) give the records
that the same runs give in this process on one thread, and a second call trains nothing; the book's
runs go each to its own folder, the longest first (lnl.book.longest_first)."""

from __future__ import annotations

import torch

from lnl import book, plans


def test_parallel_training_matches_one_thread_in_process(tmp_path):
    runs = [p for p in plans.plan("ieg/replication", "smoke") if p.key[0] == "CE"][:2]
    calls = []
    trained = book.train_parallel(runs, tmp_path / "a" / "ieg", jobs=2, progress=lambda *a: calls.append(a))
    assert sorted(trained) == sorted(p.run_id for p in runs)
    assert [c[:2] for c in calls] == [(1, 2), (2, 2)]
    assert book.train_parallel(runs, tmp_path / "a" / "ieg", jobs=2) == []          # all current now
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for p in runs:
            here = book.run_or_load(p.config, tmp_path / "b" / "x" / "ieg")
            there = book.run_or_load(p.config, tmp_path / "a" / "ieg")
            assert here["history"] == there["history"]
    finally:
        torch.set_num_threads(threads)


def test_longest_first_orders_by_recorded_time_then_by_size(tmp_path):
    import json
    from dataclasses import replace

    from lnl.records import REQUIRED_KEYS

    base = plans.plan("foundations/replication", "cpu")[0]
    small, big, unknown = (replace(base, config=replace(base.config, seed=s, epochs=e, train_per_class=n))
                           for s, e, n in ((11, 10, 100), (12, 10, 100), (13, 20, 1000)))
    for p, seconds in ((small, [1.0, 1.0]), (big, [5.0, 5.0])):     # same size, recorded times differ
        rec = {k: {} for k in REQUIRED_KEYS} | {"timing": {"epoch_s": seconds}}
        (tmp_path / f"{p.run_id}.json").write_text(json.dumps(rec))
    # the recorded rates are 2 s and 10 s per 1000 epoch x image-per-class; at their median, 6 ms,
    # the unrecorded run's 20 x 1000 comes to 120 s: the longest
    assert [p.run_id for p in book.longest_first([small, big, unknown], tmp_path)] == \
        [unknown.run_id, big.run_id, small.run_id]
    assert [p.run_id for p in book.longest_first([small, unknown], tmp_path / "none")] == \
        [unknown.run_id, small.run_id]                               # no records: by size alone


def test_a_cpu_run_trains_on_one_thread_in_a_worker_and_in_the_page_and_into_its_own_folder(tmp_path):
    from dataclasses import replace

    runs = [replace(p, profile="cpu") for p in plans.plan("ieg/replication", "smoke") if p.key[0] == "CE"][:2]
    assert all(book.train_threads(p) == 1 for p in runs) or torch.cuda.is_available()
    folders = {runs[0].run_id: tmp_path / "a" / "one", runs[1].run_id: tmp_path / "a" / "two"}   # a folder each
    trained = book.train_parallel(runs, lambda p: folders[p.run_id], jobs=2)
    assert sorted(trained) == sorted(p.run_id for p in runs)
    for p in runs:
        assert [f.name for f in folders[p.run_id].glob("*.json")] == [f"{p.run_id}.json"]
    before = torch.get_num_threads()
    here = book.run_plan(runs, tmp_path / "b" / "x" / "ieg", jobs=1)     # one job: trained in this process
    assert torch.get_num_threads() == before
    for p in runs:
        there = book.run_or_load(p.config, folders[p.run_id])
        assert here[p.key]["history"] == there["history"]
        assert here[p.key]["provenance"]["device"] == there["provenance"]["device"]
