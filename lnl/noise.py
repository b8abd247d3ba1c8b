"""Label-noise models: transition matrices, seeded samplers and the noisy-label record.

Conventions, fixed once for the whole module:

- ``num_classes`` is K; labels are integers in ``[0, K)``; y is the true label, ỹ the noisy one.
- ``rate`` is r, the *nominal* rate a paper quotes. It is not always the fraction of labels that change:
  ``symmetric-uniform`` redraws a label over all K classes, the true one included, so at K=10, r=0.5
  only 45 % change.
- ``T`` is row-stochastic: ``T[i, j] = P(ỹ = j | y = i)`` and every row sums to 1 (cleanlab's
  ``noise_matrix`` is the transpose).
- The effective rate of T under class prior π is ``1 − Σ_i π_i T[i, i]``; records report the *measured*
  fraction ``mean(ỹ ≠ y)`` (:attr:`NoisyLabels.effective_rate`).

===================== =================================== ========== ===================================
kind                  T                                   effective  used by
===================== =================================== ========== ===================================
``symmetric``         (1−r)I + r/(K−1)(11ᵀ−I)             r          Co-teaching [1], CIFAR-N [2]
``symmetric-uniform`` (1−r)I + (r/K)11ᵀ                   r(1−1/K)   DivideMix [3], SANM, MixNN, IEG [4]
``asymmetric``        semantic pairs per ``dataset``      r/2 or r   DivideMix, IEG, MixNN
``asymmetric-blocks`` i → next index in {5b, …, 5b+4}     r          ELR [5], MixNN code
``pairflip``          i → (i+1) mod K                     r          Co-teaching family
``instance``          per image, Xia et al. [6]           ≈ r        PTD, CAL, CORES
``human``             given human labels (CIFAR-10N/100N) measured   CIFAR-N [2]
===================== =================================== ========== ===================================

``asymmetric`` mappings (flip with probability r; other classes keep their label, so the effective
rate is r/2 on the 10-class sets and r on CIFAR-100, where every class moves):

- ``cifar10``: truck→automobile (9→1), bird→airplane (2→0), deer→horse (4→7), cat↔dog (3↔5),
  as in DivideMix [3].
- ``cifar100``: next fine class, circularly, inside the true *superclass* (the 20 coarse labels of
  CIFAR-100 [7]), members ordered by fine index. This is what the MixNN paper text describes.
- ``mnist`` / ``digits``: 2→7, 3→8, 5↔6, 7→1, Patrini et al. [8], §6.
- ``cifar10n`` / ``cifar100n`` (the same images with CIFAR-N label sets) use the CIFAR mappings.
- ``fashion_mnist``: T-shirt/top↔Shirt (0↔6), Pullover→Coat (2→4), Sandal→Sneaker (5→7),
  Ankle boot→Sneaker (9→7). This mapping is this project's choice: we found no published
  Fashion-MNIST mapping whose exact pairs we could verify. The pairs are among the most frequent
  confusions of classifiers trained on Fashion-MNIST: at 28×28 grey, T-shirt/top and Shirt, and
  Pullover and Coat, share one upper-body silhouette; Sandal, Sneaker and Ankle boot are shoes seen
  side-on, told apart by straps and shaft height. As on CIFAR-10, five classes move.

``asymmetric-blocks`` is the legacy CIFAR-100 variant of the ELR and MixNN code: blocks of five
consecutive fine-label *indices*. Fine labels are alphabetical, so the blocks are not superclasses.

Sampling, for the matrix kinds (``instance`` and ``human`` ignore it):

- ``"exact"``: per true class i with n_i samples, the number sent to each class j is n_i·T[i, j]
  rounded by largest remainder (the counts sum to n_i); which samples get which label is a seeded
  permutation, so the realised matrix equals T up to 1/n_i per entry. DivideMix's code instead picks
  exactly ⌊rN⌋ samples overall and redraws each uniformly: its count of *changed* labels is random.
- ``"bernoulli"``: each sample draws ỹ ~ Categorical(T[y]) independently, like IEG's per-sample
  ``rand ≤ r`` mask; every count is random.

Every draw comes from ``numpy_generator(seed, "noise", kind)``: the labels depend only on the arguments,
and nothing is cached (DivideMix and MixNN reuse one cached draw per rate, whatever the seed).

References
----------
.. [1] Han et al., "Co-teaching: Robust training of deep neural networks with extremely noisy
   labels", NeurIPS 2018.
.. [2] Wei et al., "Learning with Noisy Labels Revisited: A Study Using Real-World Human Annotations",
   ICLR 2022.
.. [3] Li, Socher, Hoi, "DivideMix: Learning with Noisy Labels as Semi-supervised Learning", ICLR 2020.
.. [4] Zhang et al., "Distilling Effective Supervision from Severe Label Noise", CVPR 2020 (IEG).
.. [5] Liu et al., "Early-Learning Regularization Prevents Memorization of Noisy Labels", NeurIPS 2020.
.. [6] Xia et al., "Part-dependent Label Noise: Towards Instance-dependent Label Noise", NeurIPS 2020.
.. [7] Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", technical report, 2009.
.. [8] Patrini et al., "Making deep neural networks robust to label noise: a loss correction approach",
   CVPR 2017.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np

from lnl.rng import numpy_generator

KINDS = ("symmetric", "symmetric-uniform", "asymmetric", "asymmetric-blocks", "pairflip", "instance", "human")
SAMPLING = ("exact", "bernoulli")
MATRIX_KINDS = KINDS[:5]

# CIFAR-100 fine label (alphabetical index) -> coarse superclass, as in the data set's ``coarse_labels``.
CIFAR100_COARSE = np.array([
    4, 1, 14, 8, 0, 6, 7, 7, 18, 3, 3, 14, 9, 18, 7, 11, 3, 9, 7, 11, 6, 11, 5, 10, 7,
    6, 13, 15, 3, 15, 0, 11, 1, 10, 12, 14, 16, 9, 11, 5, 5, 19, 8, 8, 15, 13, 14, 17, 18, 10,
    16, 4, 17, 4, 2, 0, 17, 4, 18, 17, 10, 3, 2, 12, 12, 16, 12, 1, 9, 19, 2, 10, 0, 1, 16,
    12, 9, 13, 15, 13, 16, 19, 2, 4, 6, 19, 5, 5, 8, 19, 18, 1, 2, 15, 6, 0, 17, 8, 14, 13,
], dtype=np.int64)

_DIGIT_FLIPS = {2: 7, 3: 8, 5: 6, 6: 5, 7: 1}                # Patrini et al. 2017, §6
ASYMMETRIC_FLIPS = {                                         # source class -> target class
    "cifar10": {9: 1, 2: 0, 4: 7, 3: 5, 5: 3},
    "cifar100": {int(m[k]): int(m[(k + 1) % 5])              # next member of the superclass, circular
                 for m in (np.flatnonzero(CIFAR100_COARSE == c) for c in range(20)) for k in range(5)},
    "fashion_mnist": {0: 6, 6: 0, 2: 4, 5: 7, 9: 7},         # this project's choice, see above
    "mnist": _DIGIT_FLIPS, "digits": _DIGIT_FLIPS,
}
ASYMMETRIC_FLIPS |= {"cifar10n": ASYMMETRIC_FLIPS["cifar10"], "cifar100n": ASYMMETRIC_FLIPS["cifar100"]}
DATASET_CLASSES = {name: 100 if "100" in name else 10 for name in ASYMMETRIC_FLIPS}

_XIA_SD = 0.1          # sd of the per-sample flip rate q_n ~ TruncNormal(r, 0.1, [0, 1]) (Xia et al.)
_CHUNK = 2048          # rows per matmul chunk in the instance generator (2048 × d float64)


def _check_choice(value: str, choices: tuple[str, ...], what: str) -> None:
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}; choose one of {', '.join(choices)}.")


def _check_num_classes(num_classes: int) -> None:
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer of at least 2, got {num_classes!r}.")


def _check_rate(rate: float) -> None:
    if isinstance(rate, bool) or not isinstance(rate, Real) or not 0.0 <= rate <= 1.0:
        raise ValueError(f"noise rate must be within [0, 1], got {rate}.")


def _check_labels(labels, num_classes: int, name: str) -> np.ndarray:
    arr = np.asarray(labels)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must be a 1-D integer array, got shape {arr.shape} and dtype {arr.dtype}.")
    if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
        raise ValueError(f"{name} must lie in [0, {num_classes}), got min {arr.min()} and max {arr.max()}.")
    return arr.astype(np.int64)


def _check_matrix_args(kind: str, num_classes: int, rate: float, dataset: str | None) -> None:
    if kind in ("instance", "human"):
        raise ValueError(f"{kind!r} noise has no fixed transition matrix; the realised matrix comes from "
                         f"sample(...).realised.")
    _check_rate(rate)
    if kind == "asymmetric" and dataset not in ASYMMETRIC_FLIPS:
        raise ValueError(f"asymmetric noise needs dataset= one of {', '.join(ASYMMETRIC_FLIPS)}, "
                         f"got {dataset!r}.")
    if kind == "asymmetric" and num_classes != DATASET_CLASSES[dataset]:
        raise ValueError(f"asymmetric noise for {dataset} needs num_classes={DATASET_CLASSES[dataset]}, "
                         f"got {num_classes}.")
    if kind == "asymmetric-blocks" and num_classes % 5:
        raise ValueError(f"asymmetric-blocks noise needs num_classes divisible by 5, got {num_classes}.")


def transition_matrix(kind: str, num_classes: int, rate: float, *, dataset: str | None = None) -> np.ndarray:
    """The specified transition matrix ``T[i, j] = P(ỹ = j | y = i)`` of a matrix noise kind.

    Parameters
    ----------
    kind : str
        One of ``symmetric``, ``symmetric-uniform``, ``asymmetric``, ``asymmetric-blocks``, ``pairflip``
        (see the module docstring). ``instance`` and ``human`` have no fixed matrix and raise.
    num_classes : int
        K ≥ 2. ``asymmetric`` needs the data set's K; ``asymmetric-blocks`` a multiple of 5.
    rate : float
        Nominal rate r in [0, 1].
    dataset : str, optional
        For ``asymmetric`` only: a key of :data:`ASYMMETRIC_FLIPS` (``cifar10``, ``cifar100``,
        ``fashion_mnist``, ``mnist``, ``digits``, ``cifar10n``, ``cifar100n``). Ignored by other kinds.

    Returns
    -------
    np.ndarray
        ``[K, K]`` float64, entries in [0, 1], rows sum to 1.
    """
    _check_choice(kind, KINDS, "noise kind")
    _check_num_classes(num_classes)
    _check_matrix_args(kind, num_classes, rate, dataset)
    return _transition_matrix(kind, int(num_classes), float(rate), dataset)


def _transition_matrix(kind: str, K: int, r: float, dataset: str | None) -> np.ndarray:
    eye = np.eye(K)
    if kind == "symmetric":
        return (1 - r) * eye + r / (K - 1) * (1 - eye)
    if kind == "symmetric-uniform":
        return (1 - r) * eye + r / K
    i = np.arange(K)
    if kind == "pairflip":
        target = (i + 1) % K
    elif kind == "asymmetric-blocks":
        target = 5 * (i // 5) + (i + 1) % 5
    else:                                                    # asymmetric
        target = i.copy()
        for src, dst in ASYMMETRIC_FLIPS[dataset].items():
            target[src] = dst
    T = eye * (1 - r)
    T[i, target] += r                                        # classes mapped to themselves get 1 − r + r
    return T


def effective_rate(T: np.ndarray, prior: np.ndarray | None = None) -> float:
    """The expected fraction of changed labels, ``1 − Σ_i prior_i T[i, i]``.

    Parameters
    ----------
    T : np.ndarray
        ``[K, K]`` row-stochastic transition matrix, ``T[i, j] = P(ỹ = j | y = i)``.
    prior : np.ndarray, optional
        ``[K]`` class probabilities P(y = i), non-negative and summing to 1; uniform if None.

    Returns
    -------
    float
        The effective noise rate P(ỹ ≠ y).
    """
    T = np.asarray(T, dtype=np.float64)
    if T.ndim != 2 or T.shape[0] != T.shape[1] or (T < 0).any() or not np.allclose(T.sum(axis=1), 1.0):
        raise ValueError("T must be a square row-stochastic matrix (non-negative, rows summing to 1).")
    K = T.shape[0]
    prior = np.full(K, 1.0 / K) if prior is None else np.asarray(prior, dtype=np.float64)
    if prior.shape != (K,) or (prior < 0).any() or not np.isclose(prior.sum(), 1.0):
        raise ValueError(f"prior must be {K} non-negative class probabilities summing to 1.")
    return float(np.clip(1.0 - prior @ np.diag(T), 0.0, 1.0))  # clip: rounding can give −1e-17


def realised_matrix(true: np.ndarray, noisy: np.ndarray, num_classes: int) -> np.ndarray:
    """The row-normalised confusion ``R[i, j] = #{y = i, ỹ = j} / #{y = i}``.

    Parameters
    ----------
    true, noisy : np.ndarray
        ``[N]`` integer labels y and ỹ in ``[0, num_classes)``.
    num_classes : int
        K ≥ 2.

    Returns
    -------
    np.ndarray
        ``[K, K]`` float64, rows sum to 1; a class with no samples gets the identity row.
    """
    _check_num_classes(num_classes)
    true = _check_labels(true, num_classes, "true labels")
    noisy = _check_labels(noisy, num_classes, "noisy labels")
    if true.shape != noisy.shape:
        raise ValueError(f"true and noisy labels must have one length, got {true.size} and {noisy.size}.")
    return _realised_matrix(true, noisy, int(num_classes))


def _realised_matrix(true: np.ndarray, noisy: np.ndarray, K: int) -> np.ndarray:
    counts = np.bincount(true * K + noisy, minlength=K * K).reshape(K, K).astype(np.float64)
    n = counts.sum(axis=1)
    counts[n == 0] = np.eye(K)[n == 0]
    return counts / np.maximum(n, 1)[:, None]


@dataclass(frozen=True, eq=False)
class NoisyLabels:
    """Noisy labels with the true labels and the recipe that made them.

    Attributes
    ----------
    labels, true : np.ndarray
        ``[N]`` int64 noisy labels ỹ and true labels y (the input); both read-only.
    kind, sampling : str
        Noise kind and sampling scheme (``sampling`` is recorded but unused for instance/human).
    rate : float or None
        Nominal rate r; None for ``human``, which ignores the rate it is given.
    num_classes : int
        K.
    transition : np.ndarray or None
        The specified ``[K, K]`` T; None for ``instance`` and ``human``.
    """

    labels: np.ndarray
    true: np.ndarray
    kind: str
    rate: float | None
    sampling: str
    num_classes: int
    transition: np.ndarray | None

    @property
    def realised(self) -> np.ndarray:
        """``[K, K]`` realised transition matrix, :func:`realised_matrix` of (true, labels)."""
        return _realised_matrix(self.true, self.labels, self.num_classes)

    @property
    def is_noisy(self) -> np.ndarray:
        """``[N]`` bool, True where ỹ ≠ y."""
        return self.labels != self.true

    @property
    def effective_rate(self) -> float:
        """Measured fraction of changed labels, ``mean(ỹ ≠ y)``: the number records report."""
        return float(self.is_noisy.mean()) if self.labels.size else 0.0


def _largest_remainder(n: int, p: np.ndarray) -> np.ndarray:
    """Integer counts c with Σc = n and |c_j − n p_j| < 1: floors, then +1 to the largest remainders."""
    quota = n * p
    counts = np.floor(quota).astype(np.int64)
    order = np.argsort(-(quota - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


def _sample_exact(y: np.ndarray, T: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = y.copy()
    for i in range(T.shape[0]):
        idx = np.flatnonzero(y == i)
        if idx.size:
            counts = _largest_remainder(idx.size, T[i])
            out[rng.permutation(idx)] = np.repeat(np.arange(T.shape[0]), counts)
    return out


def _sample_categorical(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row of weights ``p [N, K]`` (need not sum to 1) by inverse CDF; zero weights never win."""
    cdf = np.cumsum(p, axis=1)
    u = rng.random(p.shape[0]) * cdf[:, -1]                  # u < cdf of the last positive class
    return np.argmax(cdf > u[:, None], axis=1).astype(np.int64)


def _instance_probabilities(y: np.ndarray, images: np.ndarray, K: int, r: float,
                            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Xia et al. (2020) per-sample label distributions ``p [N, K]`` and flip rates ``q [N]``.

    q_n ~ TruncNormal(r, 0.1, [0, 1]); W ~ N(0, 1) of shape (K, d, K), drawn class by class;
    a = x_n W[y_n]; a[y_n] = −inf; p = q_n softmax(a); p[y_n] += 1 − q_n.
    """
    from scipy.stats import truncnorm  # scipy ships with scikit-learn

    x = images.reshape(images.shape[0], -1)                  # raw pixel values, as in the original
    q = truncnorm.rvs(-r / _XIA_SD, (1 - r) / _XIA_SD, loc=r, scale=_XIA_SD, size=y.size, random_state=rng)
    p = np.empty((y.size, K))
    for c in range(K):
        W_c = rng.standard_normal((x.shape[1], K))           # W[c], drawn even when class c is absent
        idx = np.flatnonzero(y == c)
        for s in range(0, idx.size, _CHUNK):
            rows = idx[s:s + _CHUNK]
            a = x[rows].astype(np.float64) @ W_c             # [chunk, K]
            a[:, c] = -np.inf
            e = np.exp(a - a.max(axis=1, keepdims=True))
            p[rows] = q[rows, None] * e / e.sum(axis=1, keepdims=True)
            p[rows, c] = 1.0 - q[rows]
    return p, q


def sample(kind: str, true_labels, rate: float | None, *, num_classes: int, seed: int,
           sampling: str = "exact", dataset: str | None = None, images: np.ndarray | None = None,
           human_labels: np.ndarray | None = None) -> NoisyLabels:
    """Draw noisy labels ỹ for ``true_labels`` from one noise model, seeded by ``seed`` alone.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS` (see the module docstring).
    true_labels : array-like
        ``[N]`` integer true labels in ``[0, num_classes)``.
    rate : float or None
        Nominal rate r in [0, 1]. Rate 0 returns the labels unchanged (also for ``instance``, whose
        truncated normal would otherwise flip a few percent). ``human`` ignores it (None is allowed).
    num_classes : int
        K ≥ 2.
    seed : int
        Run seed; draws come from ``numpy_generator(seed, "noise", kind)``.
    sampling : {"exact", "bernoulli"}
        How a matrix kind turns T into labels (module docstring); ignored by instance and human.
    dataset : str, optional
        Required by ``asymmetric``: a key of :data:`ASYMMETRIC_FLIPS`; ignored by the other kinds.
    images : np.ndarray, optional
        Required by ``instance``: ``[N, ...]`` raw pixels (uint8 or float, 0–255 as in Xia et al.'s code),
        flattened to d features. Raw pixels make a·W large, so the softmax saturates and each image's
        flip target is nearly deterministic; normalised inputs give softer noise.
    human_labels : np.ndarray, optional
        Required by ``human``: ``[N]`` human labels (e.g. CIFAR-10N ``worse_label``), returned as ỹ.

    Returns
    -------
    NoisyLabels
        Noisy and true labels, the recipe, and the specified T (None for instance and human).
    """
    _check_choice(kind, KINDS, "noise kind")
    _check_choice(sampling, SAMPLING, "sampling")
    _check_num_classes(num_classes)
    K = int(num_classes)
    y = _check_labels(true_labels, K, "true labels")
    transition = None
    if kind == "human":
        if human_labels is None:
            raise ValueError("human noise needs human_labels= (e.g. the CIFAR-10N worse_label array).")
        if len(human_labels) != y.size:
            raise ValueError(f"the human label set has {len(human_labels)} labels but the data set has "
                             f"{y.size} samples.")
        noisy = _check_labels(human_labels, K, "human labels")
    elif kind == "instance":
        _check_rate(rate)
        if images is None or len(images) != y.size:
            raise ValueError(f"instance noise needs images= with one image per label ({y.size}), got "
                             f"{None if images is None else len(images)}.")
        noisy = y.copy()
        if rate > 0:
            rng = numpy_generator(seed, "noise", kind)
            p, _ = _instance_probabilities(y, np.asarray(images), K, float(rate), rng)
            noisy = _sample_categorical(p, rng)
    else:
        _check_matrix_args(kind, K, rate, dataset)
        transition = _transition_matrix(kind, K, float(rate), dataset)
        rng = numpy_generator(seed, "noise", kind)
        if sampling == "exact":
            noisy = _sample_exact(y, transition, rng)
        else:
            noisy = _sample_categorical(transition[y], rng)
    noisy.flags.writeable = y.flags.writeable = False          # both are fresh arrays owned by the record
    return NoisyLabels(labels=noisy, true=y, kind=kind, rate=None if kind == "human" else float(rate),
                       sampling=sampling, num_classes=K, transition=transition)
