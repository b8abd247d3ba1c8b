"""Data look-up order, loaders, label files and the device-side augmentation."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from lnl import data

from .conftest import SHARED


def write_idx(path: Path, array: np.ndarray, gz: bool = True) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(raw))
    else:
        path.write_bytes(raw)


def fake_fashion(folder: Path, n_train: int = 30, n_test: int = 10, fill: int = 0, gz: bool = True) -> None:
    rng = np.random.default_rng(0)
    write_idx(folder / "train-images-idx3-ubyte", np.full((n_train, 28, 28), fill), gz)
    write_idx(folder / "train-labels-idx1-ubyte", rng.integers(0, 10, n_train), gz)
    write_idx(folder / "t10k-images-idx3-ubyte", np.full((n_test, 28, 28), fill), gz)
    write_idx(folder / "t10k-labels-idx1-ubyte", rng.integers(0, 10, n_test), gz)


def test_digits_is_embedded_with_a_fixed_split():
    ds = data.load("digits")
    assert ds.train.images.shape == (1347, 1, 8, 8) and ds.test.images.shape == (450, 1, 8, 8)
    assert ds.train.images.dtype == torch.uint8 and int(ds.train.images.max()) == 255
    assert torch.equal(data.load("digits").train.labels, ds.train.labels)  # same split every time
    assert torch.bincount(ds.test.labels).min() >= 43                      # stratified: 174 eights -> 43


def test_lookup_order_lnl_data_then_project_then_debian(isolated_data):
    d = isolated_data
    with pytest.raises(data.DataNotFound, match="`lnl data --fetch fashion_mnist`"):
        data.load("fashion_mnist", download=False)
    fake_fashion(d["debian"], fill=3)
    assert data.locate("fashion_mnist") == str(d["debian"])
    fake_fashion(d["project"] / "FashionMNIST" / "raw", fill=2, gz=False)   # torchvision's gunzipped layout
    assert data.locate("fashion_mnist") == str(d["project"] / "FashionMNIST" / "raw")
    fake_fashion(d["lnl_data"] / "FashionMNIST" / "raw", fill=1)
    ds = data.load("fashion_mnist", download=False)
    assert ds.source == str(d["lnl_data"] / "FashionMNIST" / "raw")
    assert int(ds.train.images.max()) == 1 and ds.train.images.shape == (30, 1, 28, 28)


def test_download_lands_in_the_first_root_and_is_used(isolated_data, monkeypatch):
    d = isolated_data
    calls = []

    def fake_download(name):
        calls.append(name)
        fake_fashion(data.data_roots()[0] / "FashionMNIST" / "raw", fill=7)

    monkeypatch.setattr(data, "_torchvision_download", fake_download)
    ds = data.load("fashion_mnist")
    assert calls == ["fashion_mnist"] and ds.source.startswith(str(d["lnl_data"]))
    data.load("fashion_mnist")
    assert calls == ["fashion_mnist"]  # found locally the second time


def test_missing_data_says_where_it_looked(isolated_data):
    with pytest.raises(data.DataNotFound) as e:
        data.load("cifar100")
    msg = str(e.value)
    assert str(isolated_data["lnl_data"]) in msg and str(isolated_data["project"]) in msg
    assert "`lnl data --fetch cifar100`" in msg and "$LNL_DATA" in msg


def set_debian(monkeypatch, tmp_path, debian: bool = False) -> None:
    """Make the Debian check of the not-found message come out as ``debian``, whatever this machine is."""
    marker = tmp_path / "debian_version"
    if debian:
        marker.write_text("12.0\n")
    monkeypatch.setattr(data, "DEBIAN_VERSION", marker)


def offline(monkeypatch) -> None:
    """Every download fails as urllib does without a network."""
    def refuse(*_):
        raise OSError("offline")

    monkeypatch.setattr(data, "_torchvision_download", refuse)
    monkeypatch.setattr(data, "_cifarn_download", refuse)


def one_command(msg: str) -> str:
    """The single back-quoted command of a message (and check that there is exactly one)."""
    parts = msg.split("`")
    assert len(parts) == 3, f"expected one `command` in: {msg}"
    return parts[1]


@pytest.mark.parametrize("name", ["fashion_mnist", "cifar10", "cifar100", "cifar10n", "cifar100n"])
def test_missing_data_names_the_one_command_that_fetches_it(name, isolated_data, monkeypatch, tmp_path):
    set_debian(monkeypatch, tmp_path)
    offline(monkeypatch)
    with pytest.raises(data.DataNotFound) as e:
        data.load(name)
    msg = str(e.value)
    assert one_command(msg) == f"lnl data --fetch {name}"
    assert "\n" not in msg and msg.endswith(".") and msg.count("; ") == 1  # one sentence
    assert str(isolated_data["lnl_data"]) in msg and "the download failed (offline)" in msg
    assert "$LNL_DATA" in msg


def test_the_exact_messages(isolated_data, monkeypatch, tmp_path):
    set_debian(monkeypatch, tmp_path)
    offline(monkeypatch)
    looked = f"{isolated_data['lnl_data']}, {isolated_data['project']}"
    with pytest.raises(data.DataNotFound) as e:
        data.load("cifar10")
    assert str(e.value) == (
        f"Data set 'cifar10' is not in {looked} or the known local copies and the download failed (offline); "
        "run `lnl data --fetch cifar10` once with internet, or set $LNL_DATA to a folder holding a copy of "
        "cifar-10-batches-py.")
    with pytest.raises(data.DataNotFound) as e:
        data.load("cifar10n", download=False)
    assert str(e.value) == (
        f"Data set 'cifar10n' needs the cifar10 images, which are not in {looked} or the known local copies; "
        "run `lnl data --fetch cifar10n` once with internet, or set $LNL_DATA to a folder holding a copy of "
        "cifar-10-batches-py.")


def test_fashion_mnist_offline_on_debian_adds_apt_get(isolated_data, monkeypatch, tmp_path):
    set_debian(monkeypatch, tmp_path, debian=True)
    with pytest.raises(data.DataNotFound) as e:
        data.load("fashion_mnist", download=False)
    msg = str(e.value)
    assert "; run `lnl data --fetch fashion_mnist` once with internet (offline on Debian: " \
           "`apt-get install dataset-fashion-mnist`), or set $LNL_DATA" in msg
    with pytest.raises(data.DataNotFound) as e:
        data.load("cifar10", download=False)
    assert "apt-get" not in str(e.value)


def test_cifar10n_label_file_missing_names_the_fetch_command(isolated_data, monkeypatch, tmp_path):
    set_debian(monkeypatch, tmp_path)
    offline(monkeypatch)
    monkeypatch.setattr(data, "_load_cifar10", lambda download, fetch="cifar10": _fake_cifar(20))
    with pytest.raises(data.DataNotFound) as e:
        data.load("cifar10n")
    msg = str(e.value)
    assert msg.startswith("Data set 'cifar10n' is not in ") and "the download failed (offline)" in msg
    assert one_command(msg) == "lnl data --fetch cifar10n" and "CIFAR-10_human.pt" in msg


def test_a_long_download_error_becomes_its_last_line_cut_short(isolated_data, monkeypatch):
    def fail(_):
        raise RuntimeError("Error downloading x.gz:\nTried http://a/, got:\n<urlopen error " + "z" * 200 + ">\n")

    monkeypatch.setattr(data, "_torchvision_download", fail)
    with pytest.raises(data.DataNotFound) as e:
        data.load("cifar100")
    why = str(e.value).split("the download failed (")[1].split("); run")[0]
    assert why.startswith("urlopen error zzz") and why.endswith("...") and len(why) == 120


def test_a_partial_cifar_copy_is_reported_not_raised(isolated_data):
    (isolated_data["lnl_data"] / "cifar-100-python").mkdir()  # as an interrupted extraction leaves it
    with pytest.raises(data.DataNotFound) as e:
        data.load("cifar100")
    assert "is incomplete or corrupted; delete it and run `lnl data --fetch cifar100`" in str(e.value)


def test_unknown_name_lists_choices():
    with pytest.raises(ValueError, match="choose one of: digits, fashion_mnist"):
        data.load("mnist")


def _fake_cifar(n: int = 20) -> data.Dataset:
    labels = torch.arange(n) % 10
    imgs = torch.zeros(n, 3, 32, 32, dtype=torch.uint8)
    return data.Dataset("cifar10", data.ImageSet(imgs, labels), data.ImageSet(imgs[:10], labels[:10]),
                        data.CIFAR10_CLASSES, (0.5,) * 3, (0.25,) * 3, "fake")


def test_cifar10n_label_file_of_the_wrong_length(isolated_data, monkeypatch):
    monkeypatch.setattr(data, "_load_cifar10", lambda download, fetch="cifar10": _fake_cifar(20))
    labels = (np.arange(20) % 10).astype(np.int64)
    np.savez(isolated_data["lnl_data"] / "cifar10n_labels.npz", clean_label=labels, aggre_label=labels,
             worse_label=labels[:19], random_label1=labels, random_label2=labels, random_label3=labels)
    with pytest.raises(ValueError, match="'worse' .* has 19 labels but the training set has 20 images"):
        data.load("cifar10n")


def test_cifar10n_label_file_in_another_order_is_refused(isolated_data, monkeypatch):
    monkeypatch.setattr(data, "_load_cifar10", lambda download, fetch="cifar10": _fake_cifar(20))
    labels = (np.arange(20) % 10).astype(np.int64)
    sets = {k: labels for k in ("aggre_label", "worse_label", "random_label1", "random_label2", "random_label3")}
    np.savez(isolated_data["lnl_data"] / "cifar10n_labels.npz", clean_label=labels[::-1].copy(), **sets)
    with pytest.raises(data.DataNotFound, match="does not match the order"):
        data.load("cifar10n")
    np.savez(isolated_data["lnl_data"] / "cifar10n_labels.npz", clean_label=labels, **sets)
    ds = data.load("cifar10n")
    assert set(ds.human_labels) == {"aggre", "worse", "random1", "random2", "random3"}


def test_torchvision_order_from_class_sorted_files():
    target = np.array([2, 0, 1, 0, 2, 2, 1])
    sorted_labels = np.sort(target)            # the JPEG tree: class by class
    order = data._torchvision_order(sorted_labels, target)
    assert np.array_equal(sorted_labels[order], target)
    assert sorted(order.tolist()) == list(range(len(target)))
    # the k-th sample of class c goes to the k-th place of class c in target
    assert order.tolist() == [4, 0, 2, 1, 5, 6, 3]


def test_random_crop_matches_a_loop_over_samples():
    x = torch.randint(0, 256, (6, 3, 8, 8), dtype=torch.uint8)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    out = data.random_crop(x, 2, g1)
    dy = torch.randint(0, 5, (6,), generator=g2)
    dx = torch.randint(0, 5, (6,), generator=g2)
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    for i in range(6):
        assert torch.equal(out[i], padded[i, :, dy[i]:dy[i] + 8, dx[i]:dx[i] + 8])


def test_device_data_plain_batches_are_normalised_and_augmented_batches_differ():
    imgs = torch.randint(0, 256, (10, 3, 8, 8), dtype=torch.uint8)
    dd = data.DeviceData(imgs, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
    idx = torch.arange(10)
    plain = dd.batch(idx)
    assert torch.allclose(plain, (imgs.float() / 255 - 0.5) / 0.25, atol=1e-5)
    aug = dd.batch(idx, torch.Generator().manual_seed(0))
    assert aug.shape == plain.shape and not torch.equal(aug, plain)
    assert torch.equal(aug, dd.batch(idx, torch.Generator().manual_seed(0)))  # seeded


def test_batches_cover_every_index_once():
    dd = data.DeviceData(torch.zeros(23, 1, 4, 4, dtype=torch.uint8), (0.0,), (1.0,))
    seen = torch.cat(list(dd.batches(5, torch.Generator().manual_seed(1))))
    assert sorted(seen.tolist()) == list(range(23))
    assert sum(len(b) for b in dd.batches(5, torch.Generator().manual_seed(1), drop_last=True)) == 20


def test_subset_takes_the_first_per_class_in_order():
    ds = data.load("digits").subset(per_class=3, test_per_class=2)
    assert torch.bincount(ds.train.labels).tolist() == [3] * 10
    assert len(ds.test) == 20
    full = data.load("digits")
    first_zeros = torch.nonzero(full.train.labels == 0).flatten()[:3]
    assert torch.equal(ds.train.images[ds.train.labels == 0], full.train.images[first_zeros])


def test_imagefolder_layout(tmp_path):
    from PIL import Image

    for split, n in (("train", 3), ("val", 2)):
        for cls, colour in (("cat", 10), ("lynx", 200)):
            folder = tmp_path / split / cls
            folder.mkdir(parents=True)
            for i in range(n):
                Image.new("RGB", (40, 30), (colour, colour, colour)).save(folder / f"{i}.png")
    ds = data.load("imagefolder", root=tmp_path, image_size=16)
    assert ds.classes == ("cat", "lynx") and not ds.labels_are_clean
    assert ds.train.images.shape == (6, 3, 16, 16) and len(ds.test) == 4
    assert ds.train.labels.tolist() == [0, 0, 0, 1, 1, 1]
    with pytest.raises(data.OwnDataError, match="no test/ split: give --holdout SHARE"):
        data.load("imagefolder", root=tmp_path / "train")           # <class>/ alone: an ImageFolder tree


@pytest.mark.shared
@pytest.mark.skipif(not (SHARED / "cifar10n_labels.npz").exists(), reason="../shared/data is not beside the checkout")
def test_cifar10_jpeg_copy_aligns_with_cifar10n(monkeypatch):
    monkeypatch.delenv("LNL_DATA", raising=False)
    ds = data.load("cifar10n", download=False)
    assert ds.train.images.shape == (50000, 3, 32, 32) and len(ds.test) == 10000
    rates = {k: float((v != ds.train.labels.numpy()).mean()) for k, v in ds.human_labels.items()}
    # the measured rates of the shared README: aggre 9.01 %, worse 40.21 %, random1 17.23 %
    assert rates["aggre"] == pytest.approx(0.0901, abs=5e-5)
    assert rates["worse"] == pytest.approx(0.4021, abs=5e-5)
    assert rates["random1"] == pytest.approx(0.1723, abs=5e-5)


def test_to_display_undoes_the_normalisation():
    images = torch.randint(0, 256, (3, 3, 8, 8), dtype=torch.uint8)
    dd = data.DeviceData(images, (0.4, 0.5, 0.6), (0.2, 0.25, 0.3), augment=())
    shown = dd.to_display(dd.batch(torch.tensor([1]))[0])
    assert shown.shape == (8, 8, 3) and torch.allclose(shown, images[1].permute(1, 2, 0).float() / 255, atol=1e-5)
    grey = data.DeviceData(images[:, :1], (0.5,), (0.25,), augment=())
    assert grey.to_display(grey.batch(torch.tensor([0]))[0]).shape == (8, 8)
