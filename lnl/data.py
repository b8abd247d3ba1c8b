"""Data sets: where they are found, how they are held, and the fast augmentation path.

Every data set is held whole in memory as ``uint8`` images ``[N, C, H, W]`` with ``int64`` labels, and
every training sample keeps its index ``0..N-1`` for the whole run (methods hold per-sample state:
soft labels, clean probabilities, neighbours). :class:`DeviceData` moves the images to the
training device once and crops, flips and normalises batches there, so a GPU never waits on a
``DataLoader``.

Look-up order (the first hit wins, nothing is downloaded while an earlier place has the data):

1. ``$LNL_DATA`` when set;
2. the project's ``data/`` folder (``<checkout>/data`` for a source checkout, else ``./data``);
3. known local copies: Debian's ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``),
   and the ``shared/data`` folder beside the checkout (``$LNL_SHARED`` overrides it) with the CIFAR-10
   JPEG copy and the CIFAR-10N/100N label files;
4. a torchvision download into the first of 1-2 (CIFAR-N label files: the public ``.pt`` files of
   Wei et al., ICLR 2022).

``lnl data --fetch NAME`` runs this once, with internet, and says where the data now is; without it,
the first run of a data set downloads it. Otherwise :class:`DataNotFound` says in one sentence where
it looked and names the one command that provides the data (``lnl data --fetch NAME``; offline on
Debian, ``apt-get install dataset-fashion-mnist`` for Fashion-MNIST), never a network traceback.

Named data sets: ``digits`` (scikit-learn's 8x8 digits, embedded, a fixed stratified 1347/450 split),
``fashion_mnist``, ``cifar10``, ``cifar100``, ``cifar10n`` and ``cifar100n`` (CIFAR images with the
human label sets ``aggre, worse, random1, random2, random3`` / ``noisy``), and ``imagefolder`` for
real-world noisy sets (see :func:`load_imagefolder` for the layouts of Animal-10N, Clothing1M and
WebVision-mini).
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F

DATASETS = ("digits", "fashion_mnist", "cifar10", "cifar100", "cifar10n", "cifar100n", "imagefolder")
HUMAN_LABEL_SETS = {
    "cifar10n": ("aggre", "worse", "random1", "random2", "random3"),
    "cifar100n": ("noisy",),
}
SMALLEST_CLASS = {  # name -> images in the smallest (training, test) class, known before loading
    "digits": (131, 43), "fashion_mnist": (6000, 1000), "cifar10": (5000, 1000), "cifar100": (500, 100),
    "cifar10n": (5000, 1000), "cifar100n": (500, 100),
}
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
DEBIAN_VERSION = Path("/etc/debian_version")  # present on Debian and its derivatives
CIFARN_URLS = {  # Wei et al., "Learning with Noisy Labels Revisited", ICLR 2022 (CC BY-NC 4.0)
    "cifar10n": "https://github.com/UCSC-REAL/cifar-10-100n/raw/main/data/CIFAR-10_human.pt",
    "cifar100n": "https://github.com/UCSC-REAL/cifar-10-100n/raw/main/data/CIFAR-100_human.pt",
}
_CIFARN_KEYS = {  # our label-set name -> key in the published files
    "aggre": "aggre_label", "worse": "worse_label", "random1": "random_label1",
    "random2": "random_label2", "random3": "random_label3", "noisy": "noisy_label",
}


class DataNotFound(RuntimeError):
    """A data set is in none of the places we look and could not be downloaded."""


@dataclass
class ImageSet:
    """Images ``[N, C, H, W]`` uint8 and their labels ``[N]`` int64 (sample i keeps index i)."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)


@dataclass
class Dataset:
    """A train/test pair with what the engine needs to know about it.

    ``labels_are_clean`` is True when the training labels as distributed are the truth (synthetic
    noise is then drawn on top of them); it is False for real-world noisy sets, whose training labels
    are already noisy and whose truth is unknown. ``human_labels`` maps a CIFAR-N label-set name to
    its ``[N]`` int64 labels, aligned with ``train``, and ``train_paths`` an image folder's files.
    """

    name: str
    train: ImageSet
    test: ImageSet
    classes: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    source: str
    augment: tuple[str, ...] = ("crop", "flip")
    labels_are_clean: bool = True
    human_labels: dict[str, np.ndarray] = field(default_factory=dict)
    train_paths: tuple[str, ...] = ()    # your own images: each training image's file, relative to root

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.train.images.shape[1:])  # type: ignore[return-value]

    def subset(self, per_class: int | None = None, test_per_class: int | None = None) -> "Dataset":
        """The first ``per_class`` training (and ``test_per_class`` test) samples of each class, in order.

        Deterministic and independent of the run seed, so that the small profiles of the book train
        on the same images whatever the seed. Human label sets and image paths are cut alongside.
        """
        out = self
        if per_class is not None:
            keep = _first_per_class(self.train.labels, per_class)
            out = replace(out, train=ImageSet(self.train.images[keep], self.train.labels[keep]),
                          human_labels={k: v[keep.numpy()] for k, v in self.human_labels.items()},
                          train_paths=tuple(self.train_paths[i] for i in keep.tolist()) if self.train_paths else ())
        if test_per_class is not None:
            keep = _first_per_class(self.test.labels, test_per_class)
            out = replace(out, test=ImageSet(self.test.images[keep], self.test.labels[keep]))
        return out


def smallest_class(ds: Dataset) -> tuple[int, int]:
    """Images in the smallest training class and in the smallest test class of ``ds`` (what
    :data:`SMALLEST_CLASS` holds for the named data sets, counted here for any data set)."""
    def smallest(labels: torch.Tensor) -> int:
        return int(torch.bincount(labels, minlength=ds.num_classes).min()) if len(labels) else 0
    return smallest(ds.train.labels), smallest(ds.test.labels)


def _first_per_class(labels: torch.Tensor, n: int) -> torch.Tensor:
    order = torch.argsort(labels, stable=True)
    rank = torch.empty_like(order)
    counts = torch.bincount(labels)
    starts = torch.cumsum(counts, 0) - counts
    rank[order] = torch.arange(len(labels)) - starts[labels[order]]
    return torch.nonzero(rank < n).flatten()


# ----------------------------------------------------------------------------------------------
# Where to look
# ----------------------------------------------------------------------------------------------

def project_data_dir() -> Path:
    """``<checkout>/data`` when ``lnl`` runs from a source checkout, else ``./data``."""
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "pyproject.toml").is_file():
        return checkout / "data"
    return Path.cwd() / "data"


def data_roots() -> list[Path]:
    """Folders searched first, in order: ``$LNL_DATA`` (when set), then the project's data folder."""
    roots = [Path(os.environ["LNL_DATA"]).expanduser()] if os.environ.get("LNL_DATA") else []
    return roots + [project_data_dir()]


def shared_data_dir() -> Path:
    """The read-only ``shared/data`` folder beside the checkout (``$LNL_SHARED`` overrides it)."""
    if os.environ.get("LNL_SHARED"):
        return Path(os.environ["LNL_SHARED"]).expanduser()
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def _first(paths: list[Path]) -> Path | None:
    return next((p for p in paths if p.exists()), None)


def fashion_files(folder: Path) -> dict[str, Path] | None:
    """The four Fashion-MNIST IDX files in ``folder`` (each plain or ``.gz``); ``None`` if any is missing."""
    names = {"train_x": "train-images-idx3-ubyte", "train_y": "train-labels-idx1-ubyte",
             "test_x": "t10k-images-idx3-ubyte", "test_y": "t10k-labels-idx1-ubyte"}
    found = {}
    for key, stem in names.items():
        hit = _first([folder / stem, folder / f"{stem}.gz"])
        if hit is None:
            return None
        found[key] = hit
    return found


def locate(name: str) -> str | None:
    """Where ``name`` would be loaded from right now, without downloading; ``None`` if nowhere."""
    _check_name(name)
    if name == "digits":
        return "scikit-learn (embedded)"
    if name == "imagefolder":
        return None
    if name == "fashion_mnist":
        for folder in [r / "FashionMNIST" / "raw" for r in data_roots()] + [DEBIAN_FASHION]:
            if fashion_files(folder):
                return str(folder)
        return None
    if name in ("cifar10n", "cifar100n"):
        images, labels = locate(name[:-1]), _locate_cifarn(name)
        return f"{images} + {labels}" if images and labels else None
    if name == "cifar10":
        return _path_str(_first([r / "cifar-10-batches-py" for r in data_roots()]
                                + [r / "cifar10-jpeg.npz" for r in data_roots()]
                                + [shared_data_dir() / "cifar10-jpeg.tar.gz"]))
    return _path_str(_first([r / "cifar-100-python" for r in data_roots()]))


def _path_str(p: Path | None) -> str | None:
    return None if p is None else str(p)


def _locate_cifarn(name: str) -> Path | None:
    pt = "CIFAR-10_human.pt" if name == "cifar10n" else "CIFAR-100_human.pt"
    npz = f"{name}_labels.npz"
    return _first([r / f for r in data_roots() for f in (npz, pt)] + [shared_data_dir() / npz])


def fetch_command(name: str) -> str:
    """The one command that provides ``name`` (run once with internet)."""
    return f"lnl data --fetch {name}"


def _not_found(name: str, copy: str, *, fetch: str | None = None, failed: str | None = None) -> DataNotFound:
    """One sentence: what is missing, where we looked, why the download failed, and the command to run.

    ``copy`` is what a folder in ``$LNL_DATA`` would hold; ``fetch`` the data set whose fetch command
    provides ``name`` (``cifar10n`` for its ``cifar10`` images); ``failed`` the download's error, if any.
    """
    fetch = fetch or name
    looked = ", ".join(str(r) for r in data_roots())
    what = (f"Data set '{name}' is" if fetch == name
            else f"Data set '{fetch}' needs the {name} images, which are")
    why = f" and the download failed ({failed})" if failed else ""
    debian = (" (offline on Debian: `apt-get install dataset-fashion-mnist`)"
              if name == "fashion_mnist" and DEBIAN_VERSION.exists() else "")
    return DataNotFound(f"{what} not in {looked} or the known local copies{why}; run `{fetch_command(fetch)}` "
                        f"once with internet{debian}, or set $LNL_DATA to a folder holding a copy of {copy}.")


def _attempt(download: Callable[[], object]) -> str | None:
    """Run a download; ``None`` when it finished, else its error in a few words (for :func:`_not_found`)."""
    try:
        download()
    except Exception as e:  # offline, refused, a full disk, a partial file: the caller reports DataNotFound
        lines = [" ".join(line.split()).strip("<>") for line in str(e).splitlines() if line.strip()]
        text = lines[-1] if lines else type(e).__name__  # torchvision puts the cause on the last line
        return text if len(text) <= 120 else text[:117] + "..."
    return None


def _check_name(name: str) -> None:
    if name not in DATASETS:
        raise ValueError(f"Unknown data set '{name}'; choose one of: {', '.join(DATASETS)}.")


# ----------------------------------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------------------------------

def load(name: str, *, download: bool = True, root: str | Path | None = None, image_size: int = 32,
         labels: str | Path | None = None, holdout: float = 0.0) -> Dataset:
    """Load a named data set (see the module docstring for the look-up order).

    Parameters
    ----------
    name : one of :data:`DATASETS`.
    download : try a torchvision download when no local copy exists.
    root, image_size, labels, holdout : only for ``imagefolder`` (its folder, the side images are
        resized to, a ``path,label`` CSV, and the share held out for testing without a test split;
        :func:`load_imagefolder`).
    """
    _check_name(name)
    if name == "digits":
        return _load_digits()
    if name == "fashion_mnist":
        return _load_fashion(download)
    if name == "cifar10":
        return _load_cifar10(download)
    if name == "cifar100":
        return _load_cifar100(download)
    if name in ("cifar10n", "cifar100n"):
        load_base = _load_cifar10 if name == "cifar10n" else _load_cifar100
        base = load_base(download, fetch=name)
        return _attach_human_labels(base, name, download)
    if root is None:
        raise ValueError("The imagefolder data set needs --root, the folder holding your images.")
    return load_imagefolder(root, image_size=image_size, labels=labels, holdout=holdout)


def _to_set(images_nhwc: np.ndarray, labels: np.ndarray) -> ImageSet:
    x = torch.from_numpy(np.ascontiguousarray(images_nhwc))
    x = x.unsqueeze(1) if x.dim() == 3 else x.permute(0, 3, 1, 2)
    return ImageSet(x.contiguous(), torch.as_tensor(np.asarray(labels), dtype=torch.int64))


def _stats(images: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and standard deviation in [0, 1]; a channel that never varies (a grey-scale
    image saved as RGB has two) keeps the scale 1 instead of a division by zero."""
    x = images.to(torch.float64) / 255
    std = x.std(dim=(0, 2, 3))
    return tuple(x.mean(dim=(0, 2, 3)).tolist()), tuple(torch.where(std > 0, std, 1.0).tolist())


def _load_digits() -> Dataset:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    images = np.clip(np.round(d.images * (255 / 16)), 0, 255).astype(np.uint8)  # 0..16 -> 0..255
    idx_tr, idx_te = train_test_split(np.arange(len(d.target)), test_size=450, random_state=0,
                                      stratify=d.target)  # a fixed split: part of the data set, not of a run
    train = _to_set(images[idx_tr], d.target[idx_tr])
    mean, std = _stats(train.images)
    return Dataset("digits", train, _to_set(images[idx_te], d.target[idx_te]),
                   tuple(str(i) for i in range(10)), mean, std, "scikit-learn (embedded)", augment=())


def _read_idx(path: Path) -> np.ndarray:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape).copy()


def _find_or_download(name: str, download: bool, copy: str, fetch: str | None = None) -> str:
    """Where ``name`` is, after a torchvision download if allowed; else :class:`DataNotFound`."""
    where, failed = locate(name), None
    if where is None and download:
        failed = _attempt(lambda: _torchvision_download(name))
        where = locate(name)
    if where is None:
        raise _not_found(name, copy, fetch=fetch, failed=failed)
    return where


def _load_fashion(download: bool) -> Dataset:
    where = _find_or_download("fashion_mnist", download, "FashionMNIST/raw/")
    files = fashion_files(Path(where))
    assert files is not None
    train = _to_set(_read_idx(files["train_x"]), _read_idx(files["train_y"]))
    test = _to_set(_read_idx(files["test_x"]), _read_idx(files["test_y"]))
    # No augmentation by default, as in the MNIST-family protocols of the LNL literature
    # (Co-teaching, Han et al. 2018): it lets a network memorise, which the book has to show.
    return Dataset("fashion_mnist", train, test, FASHION_CLASSES, (0.2860,), (0.3530,), where, augment=())


def _torchvision_download(name: str) -> None:
    """Download ``name`` with torchvision into the first data root; errors go to :func:`_attempt`."""
    import torchvision

    cls = {"fashion_mnist": torchvision.datasets.FashionMNIST, "cifar10": torchvision.datasets.CIFAR10,
           "cifar100": torchvision.datasets.CIFAR100}[name]
    target = data_roots()[0]
    target.mkdir(parents=True, exist_ok=True)
    for train in (True, False):
        cls(str(target), train=train, download=True)


def _load_torchvision_cifar(name: str, folder: Path) -> tuple[ImageSet, ImageSet, tuple[str, ...]]:
    import torchvision

    cls = torchvision.datasets.CIFAR10 if name == "cifar10" else torchvision.datasets.CIFAR100
    try:
        tr = cls(str(folder.parent), train=True, download=False)
        te = cls(str(folder.parent), train=False, download=False)
    except RuntimeError:  # torchvision's "Dataset not found or corrupted": a partial copy
        raise DataNotFound(f"The {name} copy at {folder} is incomplete or corrupted; delete it and run "
                           f"`{fetch_command(name)}` once with internet.") from None
    return _to_set(tr.data, tr.targets), _to_set(te.data, te.targets), tuple(tr.classes)


def _load_cifar10(download: bool, fetch: str = "cifar10") -> Dataset:
    where = _find_or_download("cifar10", download, "cifar-10-batches-py", fetch)
    path = Path(where)
    note = ""
    if path.name == "cifar-10-batches-py":
        train, test, classes = _load_torchvision_cifar("cifar10", path)
    else:
        arrays = _cifar10_jpeg_arrays(path)
        train, test = _to_set(arrays["train_x"], arrays["train_y"]), _to_set(arrays["test_x"], arrays["test_y"])
        classes, note = CIFAR10_CLASSES, " (JPEG copy: accuracies can differ slightly from the binary CIFAR-10)"
    return Dataset("cifar10", train, test, classes, (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616),
                   where + note)


def _cifar10_jpeg_arrays(path: Path) -> dict[str, np.ndarray]:
    """Decode the CIFAR-10 JPEG copy once, in torchvision's training order, and cache it as ``.npz``.

    The JPEG tree has no global index. Torchvision's order is recovered by giving the k-th occurrence
    of class c in CIFAR-10N's ``clean_label`` the k-th file (by name) of ``train/<class c>/``; without
    the CIFAR-10N file the training set stays in class-sorted order (and CIFAR-10N cannot be used).
    """
    if path.suffix == ".npz":
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    from PIL import Image

    files: dict[tuple[str, int], list[tuple[str, bytes]]] = {}
    with tarfile.open(path) as tar:
        for m in tar:
            parts = Path(m.name).parts
            if not m.isfile() or len(parts) < 3 or parts[-2] not in CIFAR10_CLASSES:
                continue
            split, cls = parts[-3], CIFAR10_CLASSES.index(parts[-2])
            files.setdefault((split, cls), []).append((parts[-1], tar.extractfile(m).read()))  # type: ignore[union-attr]
    out: dict[str, np.ndarray] = {}
    for split in ("train", "test"):
        xs, ys = [], []
        for cls in range(10):
            for _, blob in sorted(files.get((split, cls), [])):
                xs.append(np.asarray(Image.open(io.BytesIO(blob)).convert("RGB")))
                ys.append(cls)
        out[f"{split}_x"], out[f"{split}_y"] = np.stack(xs), np.asarray(ys, dtype=np.int64)
    labels_file = _locate_cifarn("cifar10n")
    if labels_file is not None:
        clean = _read_cifarn(labels_file)["clean_label"]
        order = _torchvision_order(out["train_y"], clean)
        out["train_x"], out["train_y"] = out["train_x"][order], out["train_y"][order]
    cache = data_roots()[0] / "cifar10-jpeg.npz"
    try:
        from lnl.records import atomic_path

        with atomic_path(cache) as tmp:                  # a unique name: concurrent runs write their own
            np.savez(tmp, **out)
    except OSError:
        pass  # a read-only data folder: decode again next time
    return out


def _torchvision_order(class_sorted_labels: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Indices into a class-sorted array that put its k-th sample of class c where ``target`` has its k-th c."""
    starts = np.searchsorted(class_sorted_labels, np.arange(class_sorted_labels.max() + 1))
    order = np.argsort(target, kind="stable")
    rank = np.empty(len(target), dtype=np.int64)
    counts = np.bincount(target)
    rank[order] = np.arange(len(target)) - np.repeat(np.cumsum(counts) - counts, counts)
    return starts[target] + rank


def _load_cifar100(download: bool, fetch: str = "cifar100") -> Dataset:
    where = _find_or_download("cifar100", download, "cifar-100-python", fetch)
    train, test, classes = _load_torchvision_cifar("cifar100", Path(where))
    return Dataset("cifar100", train, test, classes, (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762), where)


def _read_cifarn(path: Path) -> dict[str, np.ndarray]:
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            return {k: np.asarray(z[k], dtype=np.int64) for k in z.files}
    # The published .pt files hold numpy arrays, which torch's safe loader refuses; they come from
    # the CIFAR-N authors' repository, the one source of these labels.
    raw = torch.load(path, weights_only=False)
    return {("noisy_label" if k == "noise_label" else k): np.asarray(v, dtype=np.int64) for k, v in raw.items()}


def _cifarn_download(name: str) -> None:
    """Download the CIFAR-N label file of ``name`` into the first data root; errors go to :func:`_attempt`."""
    target = data_roots()[0]
    target.mkdir(parents=True, exist_ok=True)
    url = CIFARN_URLS[name]
    torch.hub.download_url_to_file(url, str(target / Path(url).name), progress=False)


def _attach_human_labels(base: Dataset, name: str, download: bool) -> Dataset:
    path, failed = _locate_cifarn(name), None
    if path is None and download:
        failed = _attempt(lambda: _cifarn_download(name))
        path = _locate_cifarn(name)
    if path is None:
        raise _not_found(name, f"{Path(CIFARN_URLS[name]).name} (from {CIFARN_URLS[name]})", failed=failed)
    raw = _read_cifarn(path)
    sets = {s: raw[_CIFARN_KEYS[s]] for s in HUMAN_LABEL_SETS[name] if _CIFARN_KEYS[s] in raw}
    for s, labels in sets.items():
        check_label_file(labels, len(base.train), what=f"The {name} label set '{s}' in {path}")
    clean = raw.get("clean_label")
    if clean is not None and not np.array_equal(clean, base.train.labels.numpy()):
        raise DataNotFound(f"The {name} label file {path} does not match the order of the CIFAR training images "
                           f"found at {base.source}.")
    return replace(base, name=name, source=f"{base.source} + {path}", human_labels=sets)


def check_label_file(labels: np.ndarray, n: int, *, what: str) -> None:
    """Raise ``ValueError`` in one sentence when a label array does not have one label per training image."""
    if labels.ndim != 1 or len(labels) != n:
        raise ValueError(f"{what} has {len(labels)} labels but the training set has {n} images.")


IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def load_imagefolder(root: str | Path, *, image_size: int = 32, labels: str | Path | None = None,
                     holdout: float = 0.0) -> Dataset:
    """Load your own images with their given (possibly noisy) labels, in one of three layouts:

    - ``root/train/<class>/*`` and ``root/test/<class>/*`` (``val/`` in place of ``test/``);
    - an ImageFolder tree, ``root/<class>/*`` or ``root/train/<class>/*`` alone: one folder per given
      label, no test split;
    - a folder of images and a CSV ``labels`` of ``path,label`` rows (an optional header row
      ``path,label``; paths relative to ``root``; labels as class names, or integers 0..C-1).

    Without a test split, a share ``holdout`` of each class's images (seeded, the same every time)
    is held out as the test set; 0 is refused, since a run reports test accuracy. Classes are the
    sorted folder names, the sorted label names, or 0..C-1. Images are resized to ``image_size``
    squared and held in memory as uint8, so plan for ``N · 3 · image_size²`` bytes. The training
    labels are the noisy ones as given and their truth is unknown, so the noise diagnostics are off.

    Bad input raises :class:`DataNotFound` or :class:`OwnDataError` with one sentence that names
    the file (and the CSV line): an empty folder, a missing or unreadable image, a CSV row without
    two fields, a path listed twice, a class without an image, a ``holdout`` outside [0, 1).

    How the common sets map onto the folder layout:

    - **Animal-10N** (Song et al., ICML 2019): ``training/`` and ``testing/`` hold files named
      ``<id>_<label>.jpg``; move each into ``train/<label>/`` and ``test/<label>/`` (64×64, 10 classes).
    - **Clothing1M** (Xiao et al., CVPR 2015): ``noisy_label_kv.txt`` lists ``<path> <label>`` for the
      noisy training images and ``clean_test_key_list.txt`` with ``clean_label_kv.txt`` the clean test
      set; link each image into ``train/<label>/`` or ``test/<label>/``. At 1M images keep
      ``image_size`` small or sample the 1,000 batches per epoch of the DivideMix protocol beforehand.
    - **WebVision-mini** (Li et al., 2017; first 50 classes of the Google subset, as in DivideMix):
      ``info/train_filelist_google.txt`` lines with label < 50 go to ``train/<label>/`` and
      ``info/val_filelist.txt`` (same classes) to ``test/<label>/``.
    """
    root = Path(root)
    if not 0.0 <= holdout < 1.0:
        raise OwnDataError(f"--holdout must be a share in [0, 1), got {holdout}.")
    if not root.is_dir():
        raise DataNotFound(f"The image folder {root} does not exist.")
    if labels is not None:
        train_files, train_y, classes = _read_label_csv(root, Path(labels))
        test = None
    else:
        base = root / "train" if (root / "train").is_dir() else root
        classes = tuple(sorted(p.name for p in base.iterdir() if p.is_dir() and p.name not in ("test", "val")))
        if not classes:
            raise DataNotFound(f"The image folder {base} has no class folders (<class>/ with its images).")
        train_files, train_y = _folder_files(base, classes)
        test_dir = _first([root / "test", root / "val"])
        test = _folder_files(test_dir, classes, need_all=False) if test_dir is not None else None
    if test is None:
        if holdout == 0.0:
            raise OwnDataError(f"The images under {root} have no test/ split: give --holdout SHARE (e.g. 0.1) "
                               "to hold out that share of each class for testing.")
        keep, held = _holdout_split(np.asarray(train_y), holdout)
        test = ([train_files[i] for i in held], [train_y[i] for i in held])
        train_files, train_y = [train_files[i] for i in keep], [train_y[i] for i in keep]
    train = _read_images(train_files, train_y, image_size, labels)
    mean, std = _stats(train.images)
    return Dataset("imagefolder", train, _read_images(*test, image_size, labels), classes, mean, std, str(root),
                   labels_are_clean=False, train_paths=tuple(str(f.relative_to(root)) for f in train_files))


class OwnDataError(ValueError):
    """Your own data set is laid out or labelled in a way it cannot be read (one sentence)."""


def _folder_files(folder: Path, classes: tuple[str, ...], need_all: bool = True) -> tuple[list, list]:
    """The image files of ``folder/<class>/`` and their class indices, sorted; every class must have
    one where ``need_all`` (the training split), and the folder must hold some."""
    files, ys = [], []
    for c, cls in enumerate(classes):
        mine = sorted(f for f in (folder / cls).glob("*") if f.suffix.lower() in IMAGE_EXTENSIONS) \
            if (folder / cls).is_dir() else []
        if not mine and need_all:
            raise OwnDataError(f"The class folder {folder / cls} holds no image ({', '.join(IMAGE_EXTENSIONS)}).")
        files += mine
        ys += [c] * len(mine)
    if not files:
        raise DataNotFound(f"No images ({', '.join(IMAGE_EXTENSIONS)}) were found under {folder}.")
    return files, ys


def _read_label_csv(root: Path, csv_path: Path) -> tuple[list[Path], list[int], tuple[str, ...]]:
    """The files, class indices and classes of a ``path,label`` CSV (see :func:`load_imagefolder`)."""
    rows = _csv_rows(csv_path, "labels")
    names = [label for _, label, _ in rows]
    if all(n.lstrip("-").isdigit() for n in names):
        ints = [int(n) for n in names]
        if min(ints) < 0:
            bad = next(r for r in rows if int(r[1]) < 0)
            raise OwnDataError(f"{csv_path} line {bad[2]} has the label {bad[1]}; integer labels run from 0.")
        classes = tuple(str(c) for c in range(max(ints) + 1))
        empty = sorted(set(range(max(ints) + 1)) - set(ints))
        if empty:
            raise OwnDataError(f"{csv_path} labels no image with class {empty[0]} of 0..{max(ints)}: integer "
                               "labels must name every class from 0 to the largest.")
        ys = ints
    else:
        classes = tuple(sorted(set(names)))
        ys = [classes.index(n) for n in names]
    files = []
    for path, _, line in rows:
        f = root / path
        if not f.is_file():
            raise OwnDataError(f"{csv_path} line {line}: the image {f} does not exist.")
        files.append(f)
    return files, ys, classes


def _csv_rows(csv_path: Path, what: str) -> list[tuple[str, str, int]]:
    """The ``(path, label, line)`` rows of a ``path,label`` CSV (an optional header row), each path
    once; ``what`` names the file in its one-sentence errors ("labels", "trusted labels")."""
    import csv

    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise OwnDataError(f"The {what} file {csv_path} cannot be read: {err}.") from None
    rows, seen = [], {}
    for line, row in enumerate(csv.reader(text.splitlines()), 1):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 2:
            raise OwnDataError(f"{csv_path} line {line} has {len(row)} field(s); each row is path,label.")
        path, label = (x.strip() for x in row)
        if line == 1 and (path.lower(), label.lower()) == ("path", "label"):
            continue                                                   # the header row
        if path in seen:
            raise OwnDataError(f"{csv_path} lists {path} twice (lines {seen[path]} and {line}).")
        seen[path] = line
        rows.append((path, label, line))
    if not rows:
        raise OwnDataError(f"The {what} file {csv_path} lists no image.")
    return rows


def read_trusted(csv_path: str | Path, train_paths: Sequence[str],
                 classes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """A CSV of trusted labels (``--trusted``): ``path,label`` rows as for ``--labels``, each path one
    of the training images ``train_paths`` (relative to the root, as :class:`Dataset` keeps them),
    each label one of ``classes``. Returns the images' indices into ``train_paths`` and their trusted
    class indices, both ``[M]`` int64 in the file's order. Bad input raises :class:`OwnDataError`
    with one sentence naming the file and line."""
    csv_path = Path(csv_path)
    where = {str(Path(p)): i for i, p in enumerate(train_paths)}
    index = {c: k for k, c in enumerate(classes)}
    idx, ys = [], []
    for path, label, line in _csv_rows(csv_path, "trusted labels"):
        if str(Path(path)) not in where:
            raise OwnDataError(f"{csv_path} line {line}: {path} is not one of the training images.")
        if label not in index:
            raise OwnDataError(f"{csv_path} line {line} has the label {label}, not one of the classes "
                               f"{', '.join(classes)}.")
        idx.append(where[str(Path(path))])
        ys.append(index[label])
    if len(set(idx)) < len(idx):
        raise OwnDataError(f"{csv_path} names one training image twice under two spellings of its path.")
    return np.asarray(idx, dtype=np.int64), np.asarray(ys, dtype=np.int64)


def _holdout_split(y: np.ndarray, share: float) -> tuple[list[int], list[int]]:
    """Indices kept for training and held out for testing: ``share`` of each class (rounded, at least
    one where a class has two or more), drawn with a fixed seed so that the split never changes."""
    rng = np.random.default_rng(0)
    keep, held = [], []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        n = min(len(idx) - 1, max(1, round(share * len(idx)))) if len(idx) > 1 else 0
        perm = rng.permutation(idx)
        held += perm[:n].tolist()
        keep += perm[n:].tolist()
    return sorted(keep), sorted(held)


def _read_images(files: list[Path], ys: list[int], image_size: int, labels: str | Path | None) -> ImageSet:
    """The images of ``files``, resized to ``image_size`` squared, as an :class:`ImageSet`."""
    from PIL import Image, UnidentifiedImageError

    if not files:
        raise OwnDataError("No image is left for the test split: use a larger --holdout.")
    xs = []
    for f in files:
        try:
            with Image.open(f) as img:
                xs.append(np.asarray(img.convert("RGB").resize((image_size, image_size), Image.BILINEAR)))
        except (OSError, UnidentifiedImageError) as err:
            where = f" (listed in {labels})" if labels is not None else ""
            raise OwnDataError(f"The image {f}{where} cannot be read: {type(err).__name__}.") from None
    return _to_set(np.stack(xs), np.asarray(ys))


# ----------------------------------------------------------------------------------------------
# The device-resident fast path
# ----------------------------------------------------------------------------------------------

class DeviceData:
    """A whole image set on the training device, augmented there in batches (no DataLoader).

    ``batch(idx, generator)`` returns normalised float images ``[B, C, H, W]`` for sample indices
    ``idx``: a random crop after zero-padding by ``pad`` pixels (as torchvision's
    ``RandomCrop(size, padding=pad)``) and a random horizontal flip, each drawn per sample from
    ``generator`` (the ``weak`` policy; ``strong`` adds RandAugment); ``batch(idx)`` without a
    generator returns the plain (test-time) images.
    """

    def __init__(self, images: torch.Tensor, mean, std, *, device: str | torch.device = "cpu",
                 augment: tuple[str, ...] = ("crop", "flip"), pad: int = 4, channels_last: bool = False):
        self.device = torch.device(device)
        self.images = images.to(self.device)
        c = images.shape[1]
        self.mean = torch.tensor(mean, device=self.device, dtype=torch.float32).view(1, c, 1, 1) * 255
        self.std = torch.tensor(std, device=self.device, dtype=torch.float32).view(1, c, 1, 1) * 255
        self.augment, self.pad, self.channels_last = tuple(augment), pad, channels_last

    def __len__(self) -> int:
        return len(self.images)

    def batch(self, idx: torch.Tensor, generator: torch.Generator | None = None, policy: str = "weak") -> torch.Tensor:
        """Normalised images ``[B, C, H, W]`` of samples ``idx`` under an augmentation ``policy``:
        ``none`` (plain images, also without a generator), ``weak`` (the set's own crop and flip), or
        ``strong`` (weak, then RandAugment, :func:`lnl.augment.rand_augment`)."""
        x = self.images[idx]
        if generator is None or policy == "none":
            generator = None
        if generator is not None and "crop" in self.augment and self.pad > 0:
            x = random_crop(x, self.pad, generator)
        if generator is not None and "flip" in self.augment:
            flip = torch.rand(len(x), generator=generator, device=generator.device) < 0.5
            x = torch.where(flip.to(x.device).view(-1, 1, 1, 1), x.flip(3), x)
        if generator is not None and policy == "strong":
            from lnl.augment import rand_augment
            x = rand_augment(x, generator)
        x = (x.float() - self.mean) / self.std
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def to_display(self, x: torch.Tensor) -> torch.Tensor:
        """A normalised image ``[C, H, W]`` (of :meth:`batch`) back to [0, 1] on the CPU for
        ``imshow``: ``[H, W]`` for one channel, ``[H, W, 3]`` for three."""
        img = (x[None] * self.std + self.mean)[0].clamp(0, 255).cpu() / 255
        return img[0] if img.shape[0] == 1 else img.permute(1, 2, 0)

    def batches(self, batch_size: int, generator: torch.Generator | None = None, drop_last: bool = False,
                indices: torch.Tensor | None = None) -> Iterator[torch.Tensor]:
        """Index batches over all samples (or over ``indices``): shuffled with ``generator``, in
        order without one."""
        idx = torch.arange(len(self), device=self.device) if indices is None else indices.to(self.device)
        if generator is not None:
            idx = idx[torch.randperm(len(idx), generator=generator, device=generator.device).to(self.device)]
        stop = len(idx) - (len(idx) % batch_size if drop_last else 0)
        for start in range(0, stop, batch_size):
            yield idx[start:start + batch_size]


def random_crop(x: torch.Tensor, pad: int, generator: torch.Generator) -> torch.Tensor:
    """Per-sample random crops of zero-padded images, ``x [B, C, H, W]`` -> same shape, one gather."""
    b, c, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (b,), generator=generator, device=generator.device).to(x.device)
    dx = torch.randint(0, 2 * pad + 1, (b,), generator=generator, device=generator.device).to(x.device)
    rows = (dy[:, None] + torch.arange(h, device=x.device))[:, None, :, None]  # [B, 1, H, 1]
    cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, None, :]  # [B, 1, 1, W]
    bi = torch.arange(b, device=x.device)[:, None, None, None]
    ci = torch.arange(c, device=x.device)[None, :, None, None]
    return padded[bi, ci, rows, cols]
