"""Your own data: an ImageFolder tree or a folder with a path,label CSV, a held-out test share, and
one sentence (exit 2, nothing written) for every way such data can be wrong."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from lnl import cli, data

from .test_cli import assert_usage_error, call


def images(folder, names, shade=0):
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        Image.new("RGB", (12, 10), (shade + i, shade, shade)).save(folder / name)


def tree(root, per_class=(4, 6)):
    for c, n in zip(("cat", "lynx"), per_class):
        images(root / c, [f"{c}{i}.png" for i in range(n)], shade=100 * (c == "lynx"))
    return root


def csv_layout(tmp_path, rows, header=True):
    images(tmp_path / "img", [f"{i}.png" for i in range(6)])
    (tmp_path / "labels.csv").write_text(("path,label\n" if header else "") + "".join(f"{r}\n" for r in rows))
    return tmp_path / "img", tmp_path / "labels.csv"


def test_an_imagefolder_tree_holds_out_a_share_of_each_class(tmp_path):
    ds = data.load("imagefolder", root=tree(tmp_path / "pets"), image_size=8, holdout=0.5)
    assert ds.classes == ("cat", "lynx") and not ds.labels_are_clean
    assert ds.train.labels.tolist() == [0, 0, 1, 1, 1] and ds.test.labels.tolist() == [0, 0, 1, 1, 1]
    again = data.load("imagefolder", root=tmp_path / "pets", image_size=8, holdout=0.5)
    assert all(np.array_equal(a.images, b.images) for a, b in ((ds.train, again.train), (ds.test, again.test)))


def test_the_holdout_split_is_disjoint_stratified_and_keeps_one_of_each(tmp_path):
    y = np.repeat(np.arange(3), [1, 2, 10])
    keep, held = data._holdout_split(y, 0.3)
    assert sorted(keep + held) == list(range(13)) and not set(keep) & set(held)
    assert np.bincount(y[held], minlength=3).tolist() == [0, 1, 3]      # a class of one stays in training


def test_a_labels_csv_with_names_or_integers(tmp_path):
    root, csv = csv_layout(tmp_path, [f"{i}.png,{'dog' if i % 2 else 'cat'}" for i in range(6)])
    ds = data.load("imagefolder", root=root, labels=csv, image_size=8, holdout=0.34)
    assert ds.classes == ("cat", "dog") and len(ds.train) + len(ds.test) == 6 and len(ds.test) == 2
    csv.write_text("".join(f"{i}.png,{i % 3}\n" for i in range(6)))       # integers, no header
    ds = data.load("imagefolder", root=root, labels=csv, image_size=8, holdout=0.5)
    assert ds.classes == ("0", "1", "2") and sorted(ds.train.labels.tolist() + ds.test.labels.tolist()) == \
        [0, 0, 1, 1, 2, 2]


@pytest.mark.parametrize("rows, fragment", [
    (["0.png,cat", "1.png,dog,extra"], "labels.csv line 3 has 3 field(s); each row is path,label."),
    (["0.png,cat", "1.png,dog", "0.png,dog"], "labels.csv lists 0.png twice (lines 2 and 4)."),
    (["0.png,0", "1.png,2"], "labels no image with class 1 of 0..2"),
    (["0.png,cat", "9.png,dog"], "labels.csv line 3: the image"),
    (["0.png,0", "1.png,-1"], "line 3 has the label -1; integer labels run from 0."),
    ([], "lists no image"),
])
def test_a_bad_labels_csv_is_one_sentence_naming_file_and_line(tmp_path, capsys, rows, fragment):
    root, csv = csv_layout(tmp_path, rows)
    out = tmp_path / "out"
    code, _, err = call(["run", "--method", "ce", "--dataset", "imagefolder", "--root", str(root), "--labels",
                         str(csv), "--holdout", "0.5", "--noise", "none", "--epochs", "1", "--device", "cpu",
                         "--out", str(out)], capsys)
    assert_usage_error(code, err, fragment)
    assert not out.exists()


def test_bad_folders_and_images_are_one_sentence(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    unreadable = tree(tmp_path / "broken")
    (unreadable / "cat" / "cat0.png").write_bytes(b"not an image")
    no_image = tree(tmp_path / "gap")
    for f in (no_image / "lynx").iterdir():
        f.unlink()
    cases = [
        (tmp_path / "empty", ["--holdout", "0.5"], "has no class folders"),
        (tmp_path / "missing", ["--holdout", "0.5"], "does not exist"),
        (unreadable, ["--holdout", "0.5"], "cat0.png cannot be read: UnidentifiedImageError."),
        (no_image, ["--holdout", "0.5"], "lynx holds no image"),
        (tree(tmp_path / "pets"), [], "no test/ split: give --holdout SHARE (e.g. 0.1)"),
        (tmp_path / "pets", ["--holdout", "1.5"], "--holdout must be a share in [0, 1), got 1.5."),
    ]
    for root, extra, fragment in cases:
        out = tmp_path / "out"
        code, _, err = call(["run", "--method", "ce", "--dataset", "imagefolder", "--root", str(root), "--noise",
                             "none", "--epochs", "1", "--device", "cpu", "--out", str(out), *extra], capsys)
        assert_usage_error(code, err, fragment)
        assert not out.exists(), fragment


def test_own_data_flags_belong_to_image_folders(capsys):
    for flag, value in (("--labels", "x.csv"), ("--holdout", "0.2")):
        code, _, err = call(["run", "--dataset", "digits", "--method", "ce", flag, value], capsys)
        assert_usage_error(code, err, f"{flag} is for --dataset imagefolder")


def test_a_run_on_a_labels_csv_trains_and_keeps_earlier_run_ids(tmp_path, capsys):
    root, csv = csv_layout(tmp_path, [f"{i}.png,{'dog' if i % 2 else 'cat'}" for i in range(6)])
    code, out, err = call(["run", "--method", "ce", "--dataset", "imagefolder", "--root", str(root), "--labels",
                           str(csv), "--holdout", "0.34", "--image-size", "8", "--model", "mlp", "--noise", "none",
                           "--epochs", "1", "--batch-size", "2", "--device", "cpu", "--out", str(tmp_path / "out")],
                          capsys)
    assert code == 0, err
    (record,) = (tmp_path / "out").glob("*.json")
    cfg = __import__("json").loads(record.read_text())["config"]
    assert cfg["labels"] == str(csv) and cfg["holdout"] == 0.34
    from lnl.engine import RunConfig, run_id

    plain = RunConfig()
    assert "labels" not in plain.to_dict() and "holdout" not in plain.to_dict()   # earlier ids unchanged
    assert run_id(plain) == run_id(RunConfig.from_dict(plain.to_dict()))


def trusted_csv(tmp_path, rows):
    (tmp_path / "trusted.csv").write_text("path,label\n" + "".join(f"{r}\n" for r in rows))
    return tmp_path / "trusted.csv"


def test_trusted_labels_are_indices_into_the_training_images_and_their_classes(tmp_path):
    csv = trusted_csv(tmp_path, ["lynx/lynx1.png,cat", "./cat/cat0.png,cat"])
    idx, y = data.read_trusted(csv, ["cat/cat0.png", "cat/cat1.png", "lynx/lynx1.png"], ("cat", "lynx"))
    assert idx.tolist() == [2, 0] and y.tolist() == [0, 0]


def test_trusted_labels_are_ieg_s_probe_set_with_their_own_labels(tmp_path):
    from lnl import engine, runner

    root = tree(tmp_path / "pets")
    csv = trusted_csv(tmp_path, ["lynx/lynx2.png,cat", "cat/cat1.png,cat"])
    cfg = engine.RunConfig(method="ieg", dataset="imagefolder", root=str(root), holdout=0.3, image_size=8,
                           trusted=str(csv), noise="none", model="mlp", epochs=1, device="cpu")
    su = runner.setup(cfg)
    paths = [su.prep.dataset.train_paths[i] for i in su.prep.probe_idx]
    assert sorted(paths) == ["cat/cat1.png", "lynx/lynx2.png"] and su.ctx.probe[1].tolist() == [0, 0]
    assert not set(su.prep.probe_idx) & set(su.prep.train_idx)
    assert len(su.prep.train_idx) + 2 == len(su.prep.dataset.train)
    assert "trusted" not in engine.RunConfig().to_dict()                 # earlier run ids unchanged


@pytest.mark.parametrize("rows, fragment", [
    (["cat/cat1.png,cat,x"], "trusted.csv line 2 has 3 field(s); each row is path,label."),
    (["cat/cat1.png,cat", "cat/cat1.png,lynx"], "trusted.csv lists cat/cat1.png twice (lines 2 and 3)."),
    (["cat/cat9.png,cat"], "trusted.csv line 2: cat/cat9.png is not one of the training images."),
    (["cat/cat1.png,dog"], "trusted.csv line 2 has the label dog, not one of the classes cat, lynx."),
])
@pytest.mark.parametrize("command", ["run", "detect"])
def test_a_bad_trusted_csv_is_one_sentence_naming_file_and_line(tmp_path, capsys, rows, fragment, command):
    root, csv = tree(tmp_path / "pets"), trusted_csv(tmp_path, rows)
    out = tmp_path / "out"
    method = ["--method", "ieg"] if command == "run" else ["--method", "ce", "--folds", "0"]
    code, _, err = call([command, *method, "--dataset", "imagefolder", "--root", str(root), "--trusted", str(csv),
                         "--holdout", "0.2", "--noise", "none", "--epochs", "1", "--device", "cpu", "--out",
                         str(out)], capsys)
    assert_usage_error(code, err, fragment)
    assert not out.exists()


def test_trusted_labels_belong_to_ieg_and_image_folders(tmp_path, capsys):
    root, csv = tree(tmp_path / "pets"), trusted_csv(tmp_path, ["cat/cat1.png,cat"])
    own = ["--dataset", "imagefolder", "--root", str(root), "--holdout", "0.2", "--trusted", str(csv)]
    for argv, fragment in (
            (["run", "--method", "ce", *own], "'ce' uses none (lnl detect takes --trusted as the truth"),
            (["run", "--method", "ieg", "--probe-per-class", "1", *own], "give it or --probe-per-class, not both"),
            (["run", "--method", "ieg", "--dataset", "digits", "--trusted", "x.csv"], "--trusted is for --dataset "
             "imagefolder"),
            (["detect", "--method", "ieg", *own], "cannot also train on it as its probe set")):
        code, _, err = call(argv, capsys)
        assert_usage_error(code, err, fragment)
