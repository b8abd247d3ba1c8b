"""lnl detect: every training sample ranked by a method's clean score and by cleanlab's, on the book's
data sets and on your own images, with the truth's verdict where it is known."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from lnl import detect, engine, runner

from .test_cli import assert_usage_error, call
from .test_own_data import csv_layout, tree

pytest.importorskip("cleanlab")

TINY = dict(dataset="digits", model="mlp", train_per_class=20, test_per_class=10, epochs=2, device="cpu",
            noise="symmetric", rate=0.4)


def test_a_ranking_of_every_sample_beside_cleanlabs(tmp_path):
    found = detect.detect(engine.RunConfig(**TINY), tmp_path, folds=2, progress=False)
    t = found.table
    assert len(t) == 200 and list(t["sample"]) == list(range(200)) and found.detector == "loss"
    assert sorted(t["rank"]) == list(range(1, 201)) and sorted(t["cleanlab_rank"]) == list(range(1, 201))
    assert t.loc[t["rank"] == 1, "score"].item() == t["score"].min()          # rank 1: the least clean
    assert ((t["p_clean"] >= 0) & (t["p_clean"] <= 1)).all() and t["cleanlab_issue"].dtype == bool
    assert (t["mislabelled"] == (t["given"] != t["true"])).all() and t["mislabelled"].sum() == 80
    assert "path" not in t                                                    # the book's data: no files
    folds = [r for r in map(json.loads, (f.read_text() for f in tmp_path.glob("*.json"))) if r["config"].get("fold")]
    assert sorted(r["config"]["fold"] for r in folds) == ["1/2", "2/2"]       # one CE run per fold
    assert all(r["data"]["num_train"] == 100 and r["data"]["num_test"] == 100 for r in folds)


def test_a_method_with_a_score_of_its_own_ranks_by_it(tmp_path):
    found = detect.detect(engine.RunConfig(**{**TINY, "method": "coteaching"}), tmp_path, folds=0,
                          progress=False)
    assert found.detector == "small_loss" and "p_clean" not in found.table and "cleanlab_rank" not in found.table
    restored = runner.restore(tmp_path / f"{found.record['run_id']}.json")
    assert np.array_equal(found.table["score"].to_numpy(), restored.scores["small_loss"].numpy())


def test_detection_metrics_by_hand():
    t = pd.DataFrame({"score": [0.1, 0.2, 0.9, 0.8], "p_clean": [0.2, 0.6, 0.9, 0.4], "rank": [1, 2, 4, 3],
                      "mislabelled": [True, True, False, False]})
    m = detect.detection_metrics(t).loc["method"]
    assert m["AUROC"] == 1.0 and m["flagged"] == 2 and m["precision"] == 0.5 and m["recall"] == 0.5
    assert m["precision@2"] == 1.0
    t["mislabelled"] = False
    assert math.isnan(detect.detection_metrics(t).loc["method", "AUROC"])


def test_lnl_detect_on_a_labels_csv_writes_paths(tmp_path, capsys):
    root, csv = csv_layout(tmp_path, [f"{i}.png,{'dog' if i % 2 else 'cat'}" for i in range(6)])
    out = tmp_path / "out"
    code, stdout, err = call(["detect", "--method", "ce", "--dataset", "imagefolder", "--root", str(root),
                              "--labels", str(csv), "--holdout", "0.34", "--image-size", "8", "--model", "mlp", "--noise", "none",
                              "--epochs", "1", "--batch-size", "2", "--device", "cpu", "--folds", "2",
                              "--out", str(out)], capsys)
    assert code == 0, err
    t = pd.read_csv(out / "label_issues.csv")
    assert len(t) == 4 and t["path"].is_unique and set(t["path"]) <= {f"{i}.png" for i in range(6)}
    assert set(t["given"]) <= {"cat", "dog"} and "true" not in t and "cleanlab_quality" in t
    assert t["score"].notna().all() and t["p_clean"].between(0, 1).all()
    assert "label_issues.csv: 4 training samples ranked by ce's loss score" in stdout


def test_lnl_detect_on_an_imagefolder_tree(tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = call(["detect", "--dataset", "imagefolder", "--root", str(tree(tmp_path / "pets")),
                              "--holdout", "0.25", "--image-size", "8", "--model", "mlp", "--noise", "none", "--epochs",
                              "1", "--batch-size", "4", "--device", "cpu", "--folds", "0", "--out", str(out)], capsys)
    assert code == 0, err
    t = pd.read_csv(out / "label_issues.csv")
    assert len(t) == 7 and t["path"].str.match(r"^(cat|lynx)/").all() and "cleanlab_rank" not in t
    # the default method, ELR, ranks by its target's mass on the given label and has no P(clean)
    assert "ranked by elr's" in stdout and "p_clean" not in t and t["score"].between(0, 1).all()


@pytest.mark.parametrize("extra, fragment", [
    (["--folds", "1"], "--folds takes 0 (no cleanlab) or a number of folds from 2, got 1."),
    (["--holdout", "0.3"], "--holdout is for --dataset imagefolder"),
    (["--method", "nope"], "Unknown method 'nope'"),
])
def test_lnl_detect_bad_input_is_one_sentence(tmp_path, capsys, extra, fragment):
    out = tmp_path / "out"
    code, _, err = call(["detect", "--dataset", "digits", "--epochs", "1", "--out", str(out), *extra], capsys)
    assert_usage_error(code, err, fragment)
    assert not out.exists()


def test_lnl_detect_refuses_bad_own_data_like_lnl_run(tmp_path, capsys):
    root, csv = csv_layout(tmp_path, ["0.png,cat", "0.png,dog"])
    out = tmp_path / "out"
    code, _, err = call(["detect", "--dataset", "imagefolder", "--root", str(root), "--labels", str(csv),
                         "--holdout", "0.5", "--noise", "none", "--out", str(out)], capsys)
    assert_usage_error(code, err, "labels.csv lists 0.png twice (lines 2 and 3).")
    assert not out.exists()


def test_lnl_detect_scores_against_trusted_labels_alone(tmp_path, capsys):
    root = tree(tmp_path / "pets")
    (tmp_path / "trusted.csv").write_text("cat/cat1.png,cat\nlynx/lynx2.png,cat\nlynx/lynx4.png,lynx\n")
    out = tmp_path / "out"
    code, stdout, err = call(["detect", "--dataset", "imagefolder", "--root", str(root), "--holdout", "0.2",
                              "--trusted", str(tmp_path / "trusted.csv"), "--image-size", "8", "--model", "mlp",
                              "--noise", "none", "--epochs", "1", "--batch-size", "4", "--device", "cpu",
                              "--folds", "2", "--out", str(out)], capsys)
    assert code == 0, err
    t = pd.read_csv(out / "label_issues.csv")
    known = t[t["true"].notna()].set_index("path")
    assert sorted(known.index) == ["cat/cat1.png", "lynx/lynx2.png", "lynx/lynx4.png"]
    assert known["mislabelled"].astype(bool).tolist() == [False, True, False]
    assert "the truth: 3 trusted labels of 8 samples" in stdout and "truly mislabelled: 1" in stdout
    assert "precision@1" in stdout


def test_detection_metrics_over_the_known_samples_ranked_among_themselves():
    t = pd.DataFrame({"score": [0.1, 0.2, 0.9, 0.8, 0.3], "rank": [1, 2, 5, 4, 3],
                      "cleanlab_quality": [0.5, 0.1, 0.2, 0.9, 0.3], "cleanlab_rank": [4, 1, 2, 5, 3],
                      "cleanlab_issue": [False, True, True, False, False],
                      "mislabelled": [None, True, False, False, None]})
    m = detect.detection_metrics(t)
    assert m.loc["method", "AUROC"] == 1.0 and m.loc["method", "precision@1"] == 1.0   # 0.2 lowest of 0.2, 0.9, 0.8
    assert m.loc["cleanlab", "AUROC"] == 1.0 and m.loc["cleanlab", "precision"] == 0.5
    assert m.loc["cleanlab", "recall"] == 1.0 and m.loc["cleanlab", "flagged"] == 2


def test_the_folds_partition_the_samples_stratified_by_given_label():
    given = np.repeat(np.arange(3), [5, 10, 15])
    held = [engine.fold_split(given, k, 5, seed=3)[1] for k in range(1, 6)]
    assert sorted(np.concatenate(held).tolist()) == list(range(30))
    assert all(np.bincount(given[h], minlength=3).tolist() == [1, 2, 3] for h in held)
    keep, h = engine.fold_split(given, 2, 5, seed=3)
    assert not set(keep) & set(h) and len(keep) + len(h) == 30
    probs = [np.full((len(h), 3), k, dtype=np.float32) for k, h in enumerate(held, 1)]
    out = detect.assemble(given, 3, 3, probs)          # each sample's row comes from the fold that held it
    assert all((out[h] == k).all() for k, h in enumerate(held, 1))


def test_a_fold_run_trains_on_the_other_folds_and_tests_on_its_own_given_labels():
    cfg = engine.RunConfig(**{**TINY, "fold": "2/5"})
    whole, part = engine.prepare(engine.RunConfig(**TINY)), engine.prepare(cfg)
    keep, held = engine.fold_split(whole.labels, 2, 5, cfg.seed)
    assert np.array_equal(part.labels, whole.labels[keep]) and np.array_equal(part.true, whole.true[keep])
    assert part.dataset.test.labels.tolist() == whole.labels[held].tolist()        # given, not true labels
    assert engine.run_id(engine.RunConfig(**TINY)) != engine.run_id(cfg)
    assert "fold" not in engine.RunConfig().to_dict()                               # earlier run ids unchanged
    for bad in ("0/5", "6/5", "1/1", "one"):
        with pytest.raises(ValueError, match="A fold is k/K"):
            engine.prepare(engine.RunConfig(**{**TINY, "fold": bad}))
