"""The lnl command: every bad input gets one sentence, exit status 2, no traceback, no file."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys

import numpy as np
import pytest

from lnl import cli, data, runner

from .test_data import _fake_cifar, fake_fashion, offline, set_debian

RUN = ["run", "--dataset", "digits", "--method", "ce", "--epochs", "1", "--device", "cpu"]


# Refused by the method as it is configured, once the data have loaded (still before anything is written).
COTEACHING_WITHOUT_NOISE = ["run", "--dataset", "digits", "--method", "coteaching", "--noise", "none"]


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
    (RUN + ["--train-per-class", "-3"], ["--train-per-class must be an integer of at least 1, got -3"]),
    (RUN + ["--test-per-class", "0"], ["--test-per-class must be an integer of at least 1"]),
    (RUN + ["--epochs", "0"], ["--epochs must be an integer of at least 1, got 0"]),
    (RUN + ["--batch-size", "-1"], ["--batch-size must be"]),
    (RUN + ["--probe-per-class", "-1"], ["--probe-per-class must be an integer of at least 0"]),
    (RUN + ["--lr", "0"], ["learning rate must be positive"]),
    (RUN + ["--lr", "nan"], ["learning rate must be positive"]),
    (RUN + ["--momentum", "1.5"], ["--momentum must be below 1"]),
    (RUN + ["--weight-decay=-1e-4"], ["--weight-decay must be a number of at least 0"]),
    (RUN + ["--eta-min", "0.5"], ["--eta-min (0.5) must not exceed the learning rate"]),
    (RUN + ["--warmup", "-2"], ["--warmup must be"]),
    (RUN + ["--milestones", "5,-1"], ["Every milestone must be"]),
    (RUN + ["--schedule", "step"], ["LR schedule 'step'", "linear"]),
    (RUN + ["--seed", "-1"], ["--seed must be"]),
    (["run", "--dataset", "digits", "--method", "mixnn", "--param", "K=2.5"],
     ["Parameter K of method 'mixnn' must be an int, got '2.5'"]),
    (["run", "--dataset", "digits", "--method", "mixnn", "--param", "e_s=1.5"], ["MixNN e_s must be"]),
    (["run", "--dataset", "digits", "--method", "mixnn", "--param", "correction=maybe"],
     ["Parameter correction of method 'mixnn' must be true or false"]),
    (["run", "--dataset", "digits", "--method", "coteaching", "--param", "tau=high"],
     ["Parameter tau of method 'coteaching' must be a float or none"]),
    (COTEACHING_WITHOUT_NOISE, ["--param tau="]),
    (["run", "--dataset", "digits", "--method", "elr", "--preset", "imagenet"],
     ["Method 'elr' has no preset 'imagenet'; its presets: cifar10, cifar10-asym, cifar100"]),
    (["run", "--dataset", "digits", "--method", "ce", "--preset", "cifar10"], ["its presets: none"]),
    # CIFAR-N means its human labels; label sets are CIFAR-N's alone (refused with no data present)
    (["run", "--method", "ce", "--dataset", "cifar10n", "--label-set", "bogus", "--epochs", "1"],
     ["Unknown cifar10n label set 'bogus'; choose one of: aggre, worse, random1, random2, random3."]),
    (["run", "--method", "ce", "--dataset", "cifar10n", "--noise", "human", "--label-set", "noisy"],
     ["Unknown cifar10n label set 'noisy'"]),
    (["run", "--method", "ce", "--dataset", "cifar10n", "--epochs", "1"],
     ["Data set 'cifar10n' means its human labels: pass --noise human", "--dataset cifar10 for clean labels"]),
    (["run", "--method", "ce", "--dataset", "cifar100n", "--noise", "symmetric", "--rate", "0.2"],
     ["pass --noise human (label sets noisy; default noisy), or use --dataset cifar100"]),
    (["run", "--method", "ce", "--dataset", "cifar10n", "--noise", "none"], ["pass --noise human"]),
    (RUN + ["--label-set", "aggre"], ["--label-set chooses a human label set of cifar10n or cifar100n; data set "
                                      "'digits' has none."]),
    (["run", "--method", "ce", "--dataset", "cifar10n", "--noise", "human", "--rate", "0.3"],
     ["--rate has no meaning with noise 'human'"]),
    # more images per class than the data set holds (digits: 131 training, 43 test images in its smallest class)
    (["run", "--method", "ieg", "--dataset", "digits", "--probe-per-class", "1000"],
     ["--probe-per-class can be at most 130, so that each class of digits keeps a training image beside its probe"]),
    (["run", "--method", "ieg", "--dataset", "digits", "--probe-per-class", "10", "--train-per-class", "10"],
     ["--probe-per-class can be at most 9", "(--train-per-class 10: 10 images), got 10."]),
    (["run", "--method", "ieg", "--dataset", "digits"], ["Method 'ieg' needs a clean probe set"]),
    (RUN + ["--train-per-class", "132"], ["--train-per-class can be at most 131, the training images of the "
                                          "smallest class of digits, got 132."]),
    (RUN + ["--test-per-class", "1000"], ["--test-per-class can be at most 43"]),
    (["run", "--method", "ce", "--dataset", "cifar100", "--train-per-class", "600"], ["at most 500"]),
    # flags that the rest of the run would ignore
    (RUN + ["--root", "/tmp"], ["--root is for --dataset imagefolder"]),
    (RUN + ["--image-size", "64"], ["--image-size is for --dataset imagefolder"]),
    (["run", "--method", "ce", "--dataset", "imagefolder"], ["needs --root"]),
    (RUN + ["--schedule", "multistep"], ["--schedule multistep needs --milestones"]),
    (RUN + ["--milestones", "3"], ["--milestones are for --schedule multistep or linear; the cosine schedule"]),
    (RUN + ["--milestones", "a,b"], ["--milestones takes comma-separated epochs, got 'a,b'"]),
    (RUN + ["--warmup", "1"], ["--warmup (1 epoch) must be shorter than the run (1 epoch)"]),
    (RUN + ["--noise", "none", "--rate", "0.5"], ["--rate has no meaning with noise 'none'"]),
    (RUN + ["--noise", "instance", "--rate", "0.2", "--sampling", "bernoulli"],
     ["--sampling is for the noise kinds given by a transition matrix"]),
    (RUN + ["--gamma", "-1"], ["--gamma must be a number of at least 0"]),
    (RUN + ["--lr", "-0.1"], ["learning rate must be positive"]),
    (RUN + ["--device", "tpu"], ["Unknown device 'tpu'"]),
    (RUN + ["--precision", "fp8"], ["Unknown precision 'fp8'"]),
    (RUN + ["--image-size", "3"], ["--image-size must be an integer of at least 8"]),
    (RUN + ["--optimizer", "lamb"], ["Unknown optimiser 'lamb'"]),
    (RUN + ["--param", "=3"], ["--param takes KEY=VALUE, got '=3'"]),
    (RUN + ["--stop-after", "0"], ["--stop-after needs a run of at least 2 epochs; this one has 1."]),
    (RUN + ["--epochs", "3", "--stop-after", "3"], ["--stop-after takes an epoch from 1 to 2"]),
    (RUN + ["--epochs", "3", "--stop-after", "-1"], ["--stop-after takes an epoch from 1 to 2"]),
    (RUN + ["--resume"], ["--resume found no checkpoint", "leave --resume out to start this run"]),
    # lnl noise and lnl defaults
    (["noise", "--dataset", "digits", "--kind", "symmetric", "--label-set", "aggre"], ["--label-set chooses"]),
    (["noise", "--dataset", "cifar10n", "--kind", "symmetric", "--rate", "0.2"], ["pass --kind human"]),
    (["noise", "--dataset", "cifar10n", "--kind", "human", "--rate", "0.2"], ["--rate has no meaning"]),
    (["noise", "--dataset", "cifar10n", "--kind", "human", "--label-set", "bogus"], ["Unknown cifar10n label set"]),
    (["noise", "--dataset", "digits", "--kind", "none"], ["Noise kind 'none' has nothing to show"]),
    (["noise", "--dataset", "digits", "--kind", "symmetric", "--seed", "-5"], ["--seed must be"]),
    (["defaults", "nope"], ["Unknown method 'nope'"]),
    (["defaults", "ce", "--preset", "nope"], ["Method 'ce' has no preset 'nope'"]),
    (["defaults", "elr", "--param", "lam=abc"], ["Parameter lam of method 'elr' must be a float, got 'abc'"]),
])
def test_bad_input_is_one_sentence_and_exit_2(argv, fragments, capsys, tmp_path, monkeypatch):
    def no_data(*args, **kwargs):
        raise AssertionError("bad input must be refused before any data loads")

    if argv != COTEACHING_WITHOUT_NOISE:
        monkeypatch.setattr(data, "load", no_data)
    argv = argv + (["--out", str(tmp_path)] if argv[0] == "run" else [])
    code, _, err = call(argv, capsys)
    assert_usage_error(code, err, *fragments)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_python_callers_get_the_same_refusals():
    from lnl.engine import RunConfig
    from lnl.runner import validate

    with pytest.raises(ValueError, match="means its human labels: pass --noise human"):
        validate(RunConfig(dataset="cifar10n"))
    with pytest.raises(ValueError, match="Unknown cifar10n label set 'bogus'"):
        validate(RunConfig(dataset="cifar10n", noise="human", label_set="bogus"))
    with pytest.raises(ValueError, match="--probe-per-class can be at most 130"):
        validate(RunConfig(method="ieg", dataset="digits", probe_per_class=1000))
    validate(RunConfig(dataset="cifar10n", noise="human", label_set="worse"))    # the tutorial's human panel


def test_the_class_sizes_known_before_loading_are_those_of_the_data():
    assert data.smallest_class(data.load("digits")) == data.SMALLEST_CLASS["digits"]


@pytest.mark.parametrize("out, fragment", [
    ("file", "is a file, not a folder."),
    ("file/sub", "cannot be created (Not a directory)."),
    ("/proc/nope", "cannot be created (No such file or directory)."),
])
def test_an_out_that_cannot_be_written_is_refused_before_any_data_loads(out, fragment, capsys, tmp_path,
                                                                       monkeypatch):
    if out.startswith("/proc") and not Path("/proc").is_dir():
        pytest.skip("needs Linux's /proc")
    monkeypatch.setattr(data, "load", lambda *a, **k: pytest.fail("data loaded"))
    (tmp_path / "file").write_text("x")
    out = out if out.startswith("/") else str(tmp_path / out)
    code, _, err = call(RUN + ["--out", out], capsys)
    assert_usage_error(code, err, f"--out {out} {fragment}")
    assert [p.name for p in tmp_path.iterdir()] == ["file"] and (tmp_path / "file").read_text() == "x"


def test_the_out_check_leaves_no_folder_behind(capsys, tmp_path):
    out = tmp_path / "new" / "deeper"
    code, _, err = call(RUN + ["--resume", "--out", str(out)], capsys)     # --out is fine, --resume is not
    assert_usage_error(code, err, "--resume found no checkpoint")
    assert list(tmp_path.iterdir()) == []


def test_resume_after_the_run_finished_names_its_record(capsys, tmp_path):
    code, out, _ = call(RUN + ["--out", str(tmp_path)], capsys)
    assert code == 0
    code, _, err = call(RUN + ["--out", str(tmp_path), "--resume"], capsys)
    assert_usage_error(code, err, f"The run has finished (its record is {out.splitlines()[0]})")


def test_an_image_folder_is_counted_once_loaded(capsys, tmp_path):
    """An image folder's class sizes are known only after it loads: still one sentence, nothing written."""
    from PIL import Image

    for split, n in (("train", 2), ("test", 1)):
        for cls in ("cat", "lynx"):
            (tmp_path / "images" / split / cls).mkdir(parents=True)
            for i in range(n):
                Image.new("RGB", (8, 8), (i, i, i)).save(tmp_path / "images" / split / cls / f"{i}.png")
    out = tmp_path / "out"
    code, _, err = call(["run", "--method", "ce", "--dataset", "imagefolder", "--root", str(tmp_path / "images"),
                         "--noise", "none", "--train-per-class", "3", "--out", str(out)], capsys)
    assert_usage_error(code, err, "--train-per-class can be at most 2, the training images of the smallest class "
                                  "of imagefolder, got 3.")
    assert not out.exists()


def test_missing_data_names_where_to_get_it(isolated_data, monkeypatch, capsys, tmp_path):
    set_debian(monkeypatch, tmp_path, debian=True)
    out = tmp_path / "out"
    code, _, err = call(["run", "--method", "ce", "--dataset", "fashion_mnist", "--out", str(out)], capsys)
    assert_usage_error(code, err, "run `lnl data --fetch fashion_mnist` once with internet",
                       "`apt-get install dataset-fashion-mnist`")
    assert not out.exists()


@pytest.mark.parametrize("argv", [
    ["run", "--method", "ce", "--dataset", "cifar10", "--epochs", "1", "--device", "cpu"],
    ["data", "--fetch", "cifar10"],
    ["data", "--fetch", "digits", "cifar10"],
])
def test_offline_without_data_is_one_line_naming_the_fetch_command(argv, isolated_data, monkeypatch, capsys,
                                                                   tmp_path):
    set_debian(monkeypatch, tmp_path)
    offline(monkeypatch)  # downloads raise OSError("offline"), as urllib does
    out = tmp_path / "out"
    code, stdout, err = call(argv + (["--out", str(out)] if argv[0] == "run" else []), capsys)
    assert_usage_error(code, err, "Data set 'cifar10' is not in ", "the download failed (offline)",
                       "; run `lnl data --fetch cifar10` once with internet, or set $LNL_DATA")
    assert err.count("`") == 2 and not out.exists()
    assert stdout == ("digits        scikit-learn (embedded)\n" if "digits" in argv else "")


def test_fetch_digits_needs_nothing(capsys):
    code, out, err = call(["data", "--fetch", "digits"], capsys)
    assert code == 0 and err == "" and out == "digits        scikit-learn (embedded)\n"


def test_fetch_downloads_into_the_first_root_and_prints_where(isolated_data, monkeypatch, capsys):
    calls = []

    def fake_download(name):
        calls.append(name)
        fake_fashion(data.data_roots()[0] / "FashionMNIST" / "raw")

    monkeypatch.setattr(data, "_torchvision_download", fake_download)
    code, out, _ = call(["data", "--fetch", "fashion_mnist", "fashion_mnist"], capsys)
    assert code == 0 and calls == ["fashion_mnist"]
    assert out == f"fashion_mnist {isolated_data['lnl_data'] / 'FashionMNIST' / 'raw'}\n"


def test_fetch_cifar10n_gets_the_images_and_the_label_file(isolated_data, monkeypatch, capsys):
    def fake_labels(name):
        labels = (np.arange(20) % 10).astype(np.int64)
        np.savez(data.data_roots()[0] / f"{name}_labels.npz", clean_label=labels, aggre_label=labels,
                 worse_label=labels, random_label1=labels, random_label2=labels, random_label3=labels)

    monkeypatch.setattr(data, "_load_cifar10", lambda download, fetch="cifar10": _fake_cifar(20))
    monkeypatch.setattr(data, "locate", lambda name: f"located {name}")
    monkeypatch.setattr(data, "_cifarn_download", fake_labels)
    code, out, _ = call(["data", "--fetch", "cifar10n"], capsys)
    assert code == 0 and out == "cifar10n      located cifar10n\n"
    assert (isolated_data["lnl_data"] / "cifar10n_labels.npz").exists()


@pytest.mark.parametrize("argv, fragments", [
    (["data", "--fetch", "imagefolder"], ["imagefolder data set cannot be fetched", "--root"]),
    (["data", "--fetch", "digits", "mnist"], ["Unknown data set 'mnist'", "choose one of: digits"]),
    (["data", "--fetch"], ["--fetch"]),
])
def test_fetch_refuses_what_cannot_be_fetched_before_fetching_anything(argv, fragments, capsys):
    code, out, err = call(argv, capsys)
    assert_usage_error(code, err, *fragments)
    assert out == ""


def test_label_file_of_the_wrong_length(isolated_data, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(data, "_load_cifar10", lambda download, fetch="cifar10": _fake_cifar(20))
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


def test_data_points_missing_sets_to_the_fetch_command(isolated_data, capsys):
    code, out, _ = call(["data"], capsys)
    assert code == 0 and "cifar10       not found locally; get it with `lnl data --fetch cifar10`" in out


def test_the_installed_command_exits_2_without_a_traceback(tmp_path):
    res = subprocess.run([sys.executable, "-m", "lnl", "run", "--method", "nope", "--dataset", "digits",
                          "--out", str(tmp_path)], capture_output=True, text=True)
    assert res.returncode == 2 and "Traceback" not in res.stderr and res.stderr.count("\n") == 1


def test_keep_state_leaves_the_trained_state_for_restore(capsys, tmp_path):
    code, out, _ = call(RUN + ["--epochs", "1", "--out", str(tmp_path), "--keep-state"], capsys)
    record = Path(out.splitlines()[0])
    assert code == 0 and sorted(p.name for p in tmp_path.iterdir()) == [record.name, f"{record.stem}.state.pt"]
    r = runner.restore(record)
    assert r.ctx.train_features(r.method.net)[1].shape[0] == r.record["data"]["num_train"]


def test_a_preset_fills_every_setting_not_given_on_the_command_line(capsys, tmp_path):
    code, out, _ = call(["run", "--dataset", "digits", "--method", "elr", "--preset", "cifar100", "--model", "mlp",
                         "--epochs", "1", "--lr", "0.05", "--param", "lam=2", "--device", "cpu",
                         "--out", str(tmp_path)], capsys)
    assert code == 0
    cfg = json.loads(Path(out.splitlines()[0]).read_text())["config"]
    assert (cfg["model"], cfg["epochs"], cfg["lr"]) == ("mlp", 1, 0.05)               # given: kept
    schedule = cfg["schedule"]
    assert (cfg["weight_decay"], schedule["kind"], schedule["milestones"]) == (1e-3, "multistep", [80, 120])
    assert cfg["method_params"] == {"beta": 0.9, "lam": 2.0}                          # --param wins
    code, out, _ = call(["run", "--dataset", "digits", "--method", "elr", "--preset", "cifar100", "--model", "mlp",
                         "--epochs", "1", "--schedule", "cosine", "--device", "cpu", "--out", str(tmp_path)], capsys)
    assert json.loads(Path(out.splitlines()[0]).read_text())["config"]["schedule"]["kind"] == "cosine"


def test_a_phase_beyond_the_run_is_one_line_on_stderr(capsys, tmp_path):
    code, out, err = call(["run", "--dataset", "digits", "--method", "mixnn", "--epochs", "2", "--param", "warmup=1",
                           "--param", "e_s=60", "--device", "cpu", "--out", str(tmp_path)], capsys)
    assert code == 0 and err.strip() == ("mixnn: label correction (E_s = 60) would start at epoch 60, after the "
                                         "run's 2 epochs, so it never runs.")


def test_a_run_from_the_command_line_is_the_run_planned_in_python(capsys, tmp_path):
    """--param values are stored with their settings' types: the same config, the same run id."""
    from lnl import engine

    code, out, _ = call(["run", "--dataset", "digits", "--method", "alr", "--epochs", "2", "--param", "alpha=0.7",
                         "--param", "warmup=1", "--param", "update=batch", "--device", "cpu",
                         "--out", str(tmp_path)], capsys)
    assert code == 0
    rec = json.loads(Path(out.splitlines()[0]).read_text())
    assert rec["config"]["method_params"] == {"alpha": 0.7, "warmup": 1, "update": "batch"}
    planned = engine.RunConfig(method="alr", dataset="digits", epochs=2, device="cpu",
                               method_params={"alpha": 0.7, "warmup": 1, "update": "batch"})
    assert rec["run_id"] == engine.run_id(planned)


def test_a_paper_phase_in_a_short_run_is_printed_with_its_share(capsys, tmp_path):
    """MixNN's defaults (warm-up 10 and E_s 60 of the paper's 300 epochs) keep their share of a
    3-epoch run: at least 1 each; a given one is kept and not listed."""
    code, out, err = call(["run", "--dataset", "digits", "--method", "mixnn", "--epochs", "3", "--param", "e_s=2",
                           "--device", "cpu", "--out", str(tmp_path)], capsys)
    assert code == 0 and err == ""
    assert "warmup          1 epoch(s): the paper's 10 of 300, at its share of this run" in out
    assert "e_s " not in out
    rec = json.loads(Path(out.splitlines()[0]).read_text())
    assert set(rec["phases_resolved"]) == {"warmup"} and rec["phases_resolved"]["warmup"]["epochs"] == 1


def test_the_summary_names_the_labels_without_a_rate_they_ignore(capsys, tmp_path):
    code, out, _ = call(RUN + ["--noise", "none", "--out", str(tmp_path)], capsys)
    assert code == 0 and "  noise           none, effective 0.0000\n" in out
