"""The lnl command: every bad input gets one sentence, exit status 2, no traceback, no file."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys

import numpy as np
import pytest

from lnl import cli, data

from .test_data import _fake_cifar, fake_fashion

RUN = ["run", "--dataset", "digits", "--method", "ce", "--epochs", "1", "--device", "cpu"]


def call(argv, capsys):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_usage_error(code, err, *fragments):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lnl: error: ") and "Traceback" not in err
    for f in fragments:
        assert f in lines[0]


@pytest.mark.parametrize("argv, fragments", [
    (["run", "--method", "sop", "--dataset", "digits"], ["choose one of: ce, mixup"]),
    (["run", "--method", "ce", "--dataset", "mnist"], ["choose one of: digits, fashion_mnist"]),
    (RUN + ["--noise", "gaussian"], ["noise kind 'gaussian'", "symmetric-uniform"]),
    (RUN + ["--rate", "1.5"], ["within [0, 1], got 1.5"]),
    (RUN + ["--rate", "-0.1"], ["within [0, 1], got -0.1"]),
    (RUN + ["--rate", "lots"], ["invalid float value"]),
    (RUN + ["--model", "vit"], ["choose one of: mlp"]),
    (RUN + ["--sampling", "poisson"], ["exact, bernoulli"]),
    (RUN + ["--param", "alpha=2"], ["has no parameter alpha"]),
    (RUN + ["--noise", "human"], ["cifar10n"]),
    (["run", "--dataset", "digits"], ["--method"]),
    (["noise", "--dataset", "digits", "--kind", "blur", "--rate", "0.2"], ["choose one of"]),
    (["noise", "--dataset", "digits", "--kind", "symmetric", "--rate", "2"], ["within [0, 1]"]),
    (["fly"], ["invalid choice"]),
])
def test_bad_input_is_one_sentence_and_exit_2(argv, fragments, capsys, tmp_path):
    argv = argv + (["--out", str(tmp_path)] if argv[0] == "run" else [])
    code, _, err = call(argv, capsys)
    assert_usage_error(code, err, *fragments)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_missing_data_names_where_to_get_it(isolated_data, capsys, tmp_path):
    out = tmp_path / "out"
    code, _, err = call(["run", "--method", "ce", "--dataset", "fashion_mnist", "--out", str(out)], capsys)
    assert_usage_error(code, err, "fashion_mnist", "apt-get install dataset-fashion-mnist")
    assert not out.exists()


def test_label_file_of_the_wrong_length(isolated_data, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(data, "_load_cifar10", lambda download: _fake_cifar(20))
    labels = (np.arange(20) % 10).astype(np.int64)
    np.savez(isolated_data["lnl_data"] / "cifar10n_labels.npz", clean_label=labels, aggre_label=labels[:17],
             worse_label=labels, random_label1=labels, random_label2=labels, random_label3=labels)
    out = tmp_path / "out"
    code, _, err = call(["run", "--method", "ce", "--dataset", "cifar10n", "--noise", "human",
                         "--out", str(out)], capsys)
    assert_usage_error(code, err, "has 17 labels but the training set has 20 images")
    assert not out.exists()


def test_run_writes_a_record_and_prints_its_summary(capsys, tmp_path):
    code, out, _ = call(RUN + ["--epochs", "2", "--rate", "0.2", "--out", str(tmp_path)], capsys)
    assert code == 0
    path = out.splitlines()[0]
    rec = json.loads(open(path).read())
    assert rec["config"]["epochs"] == 2 and len(rec["history"]) == 2
    assert "test_acc_last10" in out and "effective 0.2" in out
    assert [p.suffix for p in tmp_path.iterdir()] == [".json"]  # the checkpoint is gone


def test_stop_and_resume_from_the_command_line(capsys, tmp_path):
    argv = RUN + ["--epochs", "3", "--out", str(tmp_path)]
    code, out, _ = call(argv + ["--stop-after", "1"], capsys)
    assert code == 0 and "--resume" in out and [p.suffix for p in tmp_path.iterdir()] == [".ckpt"]
    code, out, _ = call(argv + ["--resume"], capsys)
    assert code == 0 and len(json.loads(open(out.splitlines()[0]).read())["history"]) == 3


def test_noise_json(capsys):
    code, out, _ = call(["noise", "--dataset", "digits", "--kind", "symmetric-uniform", "--rate", "0.5",
                         "--json"], capsys)
    assert code == 0
    res = json.loads(out)
    assert {"transition_matrix", "effective_rate", "num_samples"} <= set(res)
    assert res["num_samples"] == 1347
    assert res["effective_rate"] == pytest.approx(0.45, abs=0.01)  # r (1 - 1/C)
    assert np.allclose(np.sum(res["transition_matrix"], axis=1), 1)


def test_noise_table(capsys):
    code, out, _ = call(["noise", "--dataset", "digits", "--kind", "pairflip", "--rate", "0.3"], capsys)
    assert code == 0 and "effective noise rate: 0.30" in out


def test_data_lists_every_data_set(capsys):
    code, out, _ = call(["data"], capsys)
    assert code == 0
    for name in data.DATASETS:
        assert name in out
    assert "scikit-learn" in out


def test_the_installed_command_exits_2_without_a_traceback(tmp_path):
    res = subprocess.run([sys.executable, "-m", "lnl", "run", "--method", "nope", "--dataset", "digits",
                          "--out", str(tmp_path)], capture_output=True, text=True)
    assert res.returncode == 2 and "Traceback" not in res.stderr and res.stderr.count("\n") == 1


def test_keep_state_leaves_the_trained_state_for_restore(capsys, tmp_path):
    from lnl import engine

    code, out, _ = call(RUN + ["--epochs", "1", "--out", str(tmp_path), "--keep-state"], capsys)
    record = Path(out.splitlines()[0])
    assert code == 0 and sorted(p.name for p in tmp_path.iterdir()) == [record.name, f"{record.stem}.state.pt"]
    r = engine.restore(record)
    assert r.ctx.train_features(r.method.net)[1].shape[0] == r.record["data"]["num_train"]
