"""lnl.book.train_parallel: a page's runs trained in worker processes give the records that the same
runs give in this process on one thread, and a second call trains nothing."""

from __future__ import annotations

import torch

from lnl import book, plans


def test_parallel_training_matches_one_thread_in_process(tmp_path):
    runs = [p for p in plans.plan("ieg/replication", "smoke") if p.key[0] == "CE"][:2]
    trained = book.train_parallel(runs, tmp_path / "a" / "ieg", jobs=2)
    assert sorted(trained) == sorted(p.run_id for p in runs)
    assert not list((tmp_path / "a" / "ieg").glob("*.claim"))
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
