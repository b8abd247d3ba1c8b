"""One figure style for the whole book, and the figures that several chapters share.

Every figure of the book is drawn with matplotlib (seaborn only sets the theme) after
:func:`apply_style`. A method keeps its colour in every chapter (:data:`METHOD_COLOURS`), and
clean and mislabelled samples keep theirs (:data:`CLEAN_COLOUR`, :data:`NOISY_COLOUR`).

Shared figures, each drawing on a given ``ax`` (a new one when ``None``) and returning it:

- :func:`transition_heatmap`: a transition matrix ``T[i, j] = P(ỹ = j | y = i)``;
- :func:`history_curves`: per-epoch values from the ``history`` of one or more run records;
- :func:`loss_histogram`: per-sample losses of clean vs mislabelled samples, with the GMM's
  P(clean) on a second axis;
- :func:`memorisation_bars`: the shares of clean or mislabelled samples predicted correct,
  incorrect or memorised, per epoch (ALR's Figure 4);
- :func:`simplex_heatmap`: a value over the 3-class probability simplex (:func:`simplex_grid`);
- :func:`split_bars`: one bar per sample of a small batch, coloured clean or mislabelled (IEG's
  meta-gradients and weights);
- :func:`split_histogram`: histograms of any per-sample value for clean vs mislabelled samples
  (IEG's ω* over training);
- :func:`show_image`: one image, dark on light, without ticks;
- :func:`image_grid`: a grid of small images with row and column labels and outlined boxes
  (SANM's masked views and reconstructions);
- :func:`activation_overlay`: an image with an activation map over it and its extremes marked
  (SANM's Figure 1 and AMG).

:func:`epoch_axis` and :func:`series_colours` help a notebook's own figures look the same.

Titles and captions name the noise convention and rate: :func:`noise_caption` writes them from a
record (``symmetric, r = 0.6 (60.0 % of labels changed)``).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np

# Colours for methods that declare none (Tableau 10), in this order; those a method declares are skipped.
SPARE_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf")


class _MethodColours(Mapping):
    """A colour per method of :data:`lnl.methods.METHODS`, read from the registry when asked: the
    ``colour`` its class declares (Okabe-Ito and Tableau hues, distinct under common colour
    blindness), else a spare one by its place among the methods without one; and ``sanm``, SANM's
    own (:data:`lnl.methods.sanm.COLOUR`), for the regulariser's figures."""

    def _table(self) -> dict[str, str]:
        from lnl.methods import METHODS, sanm

        declared = {**{name: cls.colour for name, cls in METHODS.items() if cls.colour}, "sanm": sanm.COLOUR}
        spare = [c for c in SPARE_COLOURS if c not in declared.values()] or list(SPARE_COLOURS)
        undeclared = [name for name in METHODS if name not in declared]
        return {**declared, **{name: spare[i % len(spare)] for i, name in enumerate(undeclared)}}

    def __getitem__(self, method: str) -> str:
        return self._table()[method]

    def __iter__(self):
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


METHOD_COLOURS: Mapping[str, str] = _MethodColours()   # a method keeps its colour in every chapter
CLEAN_COLOUR = "#0072b2"      # correctly labelled samples: blue
NOISY_COLOUR = "#d55e00"      # mislabelled samples: vermilion
SPLIT_COLOURS = {"clean": CLEAN_COLOUR, "mislabelled": NOISY_COLOUR}
TEST_COLOUR = "#222222"

# What each history key means, and its unit (axis labels and legends).
KEY_LABELS: dict[str, str] = {
    "test_acc": "test accuracy",
    "train_acc": "train accuracy (given labels)",
    "clean_acc": "clean samples: predicted = label",
    "noisy_acc_given": "mislabelled: predicted = given label",
    "noisy_acc_true": "mislabelled: predicted = true label",
    "loss_clean": "clean samples: loss",
    "loss_noisy": "mislabelled samples: loss",
    "grad_clean": "clean samples: 1 − p_ỹ",
    "grad_noisy": "mislabelled samples: 1 − p_ỹ",
    "grad_coef_clean": "clean samples: pull of own label",
    "grad_coef_noisy": "mislabelled samples: pull of own label",
    "loss_auroc": "AUROC of the small-loss split",
    "w_mean": "mean P(clean) of the GMM",
    "w_clean_share": "share with P(clean) > 0.5",
    "lam_mean": "mean λ (own share of the mix)",
    "nn_same_label": "neighbour has the same given label",
    "t_relabelled": "share with argmax t ≠ given label",
    "target_given_clean": "clean samples: target mass on the label",
    "target_given_noisy": "mislabelled samples: target mass on the label",
    "entropy_pull_clean": "clean samples: entropy push on the label",
    "entropy_pull_noisy": "mislabelled samples: entropy push on the label",
    "entropy": "prediction entropy (nats)",
    "test_loss": "test loss",
    "train_loss": "training loss (batches)",
    "lr": "learning rate",
    "omega_auroc": "AUROC of the meta-step weights ω*",
    "omega_clean": "clean samples: ω*·B",
    "omega_noisy": "mislabelled samples: ω*·B",
    "lambda_clean": "clean samples: λ*",
    "lambda_noisy": "mislabelled samples: λ*",
    "pseudo_acc_clean": "clean samples: pseudo label = true label",
    "pseudo_acc_noisy": "mislabelled samples: pseudo label = true label",
    "test_acc_ema": "test accuracy, EMA weights",
    "test_acc_net": "test accuracy, live weights",
    "probe_loss": "probe loss after the look-ahead",
}
KEY_UNITS: dict[str, str] = {
    "acc": "accuracy (fraction of samples)",
    "loss": "cross-entropy (nats)",
    "grad": "gradient coefficient 1 − p_ỹ (mean)",
    "grad_coef": "gradient coefficient λ (t − p̃) at the given label (mean)",
    "auroc": "AUROC (clean vs mislabelled)",
    "lr": "learning rate",
}
_KEY_COLOURS = {"test_acc": TEST_COLOUR, "test_loss": TEST_COLOUR, "train_acc": "#999999",
                "train_loss": "#999999", "noisy_acc_true": "#009e73", "loss_auroc": "#6a3d9a"}
_LINESTYLES = ("-", "--", ":", "-.")


def apply_style() -> None:
    """The book's matplotlib style: seaborn's ``ticks`` theme, a readable size, no top/right spines."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context="notebook", style="ticks", palette="colorblind", font_scale=0.9)
    mpl.rcParams.update({
        "figure.figsize": (6.4, 4.0), "figure.dpi": 100, "savefig.dpi": 150,
        "figure.constrained_layout.use": True,
        "axes.spines.top": False, "axes.spines.right": False, "axes.titlesize": "medium",
        "axes.titleweight": "bold", "legend.frameon": False, "legend.fontsize": "small",
        "lines.linewidth": 1.8, "image.cmap": "viridis",
    })


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def epoch_axis(ax, label: str = "epoch"):
    """Label the x axis ``epoch`` and put its ticks on whole epochs."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel(label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return ax


def key_unit(key: str) -> str:
    """The axis label of a history key, by its kind (``..._acc``, ``loss...``, ``grad...``)."""
    if key == "lr":
        return KEY_UNITS["lr"]
    if "auroc" in key:
        return KEY_UNITS["auroc"]
    if key.startswith("grad_coef"):       # the training batches' own-label pull (for CE: 1 − p_ỹ)
        return KEY_UNITS["grad_coef"]
    if key.startswith("grad"):
        return KEY_UNITS["grad"]
    if "loss" in key:
        return KEY_UNITS["loss"]
    if "acc" in key:
        return KEY_UNITS["acc"]
    return key


def noise_caption(record: Mapping[str, Any]) -> str:
    """``"<kind>, r = <nominal> (<effective> % of labels changed)"`` from a run record's ``noise``."""
    noise = record.get("noise", {})
    kind = noise.get("kind", record.get("config", {}).get("noise", "?"))
    if kind == "none":
        return "no added noise"
    eff = noise.get("rate_effective")
    changed = "" if eff is None else f" ({100 * eff:.1f} % of labels changed)"
    if kind == "human":
        return f"human labels ({noise.get('label_set') or 'default set'}){changed}"
    return f"{kind}, r = {noise.get('rate_nominal', record.get('config', {}).get('rate'))}{changed}"


def transition_heatmap(T, classes: Sequence[str] | None = None, ax=None, title: str | None = None, *,
                       annotate: bool | None = None, vmax: float = 1.0, cbar: bool = False):
    """Draw ``T[i, j] = P(ỹ = j | y = i)``: rows are true classes y, columns given labels ỹ.

    Parameters
    ----------
    T : array-like ``[K, K]``, row-stochastic (the specified or a realised transition matrix).
    classes : K class names for the tick labels; indices when None, none for K > 20.
    ax : the matplotlib axes to draw on (a new figure when None).
    title : the panel title; name the noise convention and rate in it.
    annotate : write each entry ≥ 0.005 in its cell (default: when K ≤ 10).
    vmax : top of the colour scale (entries are probabilities, 0..1).
    cbar : add a colour bar.
    """
    import matplotlib.pyplot as plt

    ax = _axes(ax)
    T = np.asarray(T, dtype=float)
    K = T.shape[0]
    im = ax.imshow(T, vmin=0.0, vmax=vmax, cmap="Blues", interpolation="nearest")
    annotate = K <= 10 if annotate is None else annotate
    if annotate:
        for i in range(K):
            for j in range(K):
                if T[i, j] >= 0.005:
                    ax.text(j, i, f"{T[i, j]:.2f}".lstrip("0") if T[i, j] < 1 else "1", ha="center",
                            va="center", fontsize=6, color="white" if T[i, j] > 0.6 * vmax else "black")
    names = list(classes) if classes is not None else [str(i) for i in range(K)]
    if K <= 20:
        ticks = np.arange(K)
        ax.set_xticks(ticks, names, rotation=90, fontsize=7)
        ax.set_yticks(ticks, names, fontsize=7)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    ax.set_xlabel("given label ỹ")
    ax.set_ylabel("true label y")
    if title:
        ax.set_title(title)
    ax.grid(False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(True)
    if cbar:
        plt.colorbar(im, ax=ax, label="P(ỹ = j | y = i)", shrink=0.8)
    return ax


def series_colours(n: int) -> list:
    """``n`` colours for series that are not methods (noise rates, data sets): seaborn's
    ``colorblind`` palette, the default colour cycle after :func:`apply_style`."""
    import seaborn as sns

    palette = sns.color_palette("colorblind", 10)
    return [palette[i % 10] for i in range(n)]


def _colour_for(i: int, method: str | None, methods_distinct: bool):
    if methods_distinct and method in METHOD_COLOURS:
        return METHOD_COLOURS[method]
    return series_colours(i + 1)[i]


def history_curves(records: Mapping[str, Any] | Sequence[Mapping[str, Any]], keys: str | Iterable[str],
                   ax=None, *, labels: Sequence[str] | None = None, colours: Sequence[str] | None = None,
                   title: str | None = None, ylabel: str | None = None, mark_best: bool = False):
    """Per-epoch curves of ``keys`` from the ``history`` of one or more run records.

    One record: each key gets its own colour (clean keys blue, mislabelled keys vermilion, test
    accuracy black). Several records: each record gets a colour (its method's from
    :data:`METHOD_COLOURS` when the methods differ, else a palette) and each key a line style.

    Parameters
    ----------
    records : a run record (dict with ``history``) or a list of them.
    keys : one history key or several (``test_acc``, ``noisy_acc_given``, ``grad_clean``, ...).
    ax : axes to draw on (a new figure when None).
    labels : a legend label per record (default: the record's noise caption).
    colours : a colour per record, overriding the defaults.
    title : the panel title (name the noise convention and rate).
    ylabel : the y-axis label (default: the unit of the first key, see :func:`key_unit`).
    mark_best : mark each record's best test-accuracy epoch with a dot on its ``test_acc`` curve.
    """
    ax = _axes(ax)
    recs = [records] if isinstance(records, Mapping) else list(records)
    keys = [keys] if isinstance(keys, str) else list(keys)
    if not recs or not keys:
        raise ValueError("history_curves needs at least one record and one key.")
    labels = list(labels) if labels is not None else [noise_caption(r) for r in recs]
    methods = [r.get("config", {}).get("method") for r in recs]
    distinct = len(set(methods)) == len(methods) and len(recs) > 1
    for i, (rec, label) in enumerate(zip(recs, labels)):
        hist = rec["history"]
        epochs = np.array([h["epoch"] for h in hist])
        for j, key in enumerate(keys):
            y = np.array([np.nan if h.get(key) is None else h[key] for h in hist], dtype=float)
            if len(recs) == 1:
                colour = _KEY_COLOURS.get(key, NOISY_COLOUR if "noisy" in key else
                                          CLEAN_COLOUR if "clean" in key else None)
                style, name = "-", KEY_LABELS.get(key, key)
            else:
                colour = colours[i] if colours is not None else _colour_for(i, methods[i], distinct)
                style = _LINESTYLES[j % len(_LINESTYLES)]
                name = label if len(keys) == 1 else f"{label}: {KEY_LABELS.get(key, key)}"
            if len(recs) == 1 and colours is not None:
                colour = colours[j % len(colours)]
            ax.plot(epochs, y, style, color=colour, label=name)
            if mark_best and key == "test_acc" and np.isfinite(y).any():
                b = int(np.nanargmax(y))
                ax.plot(epochs[b], y[b], "o", color=colour, markersize=5)
    epoch_axis(ax)
    ax.set_ylabel(ylabel or key_unit(keys[0]))
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def loss_histogram(loss, is_clean, ax=None, p_clean=None, *, bins: int = 40, normalise: bool = True,
                   title: str | None = None, density: bool = False):
    """Histograms of per-sample losses of clean and of mislabelled samples (MixNN Fig. 4 (a)/(c)).

    Parameters
    ----------
    loss : ``[N]`` per-sample cross-entropy against the given label (nats).
    is_clean : ``[N]`` bool, True where the given label is the true one.
    ax : axes to draw on (a new figure when None).
    p_clean : ``[N]`` optional P(clean | loss) from :func:`lnl.gmm.clean_probability`; drawn
        against the loss on a second y-axis (Fig. 4 (b)/(d) shows the mixture it comes from).
    bins : number of histogram bins over the loss range.
    normalise : min-max normalise the losses to [0, 1] first, as the GMM sees them.
    title : the panel title (name the noise convention, rate and epoch).
    density : plot densities (each group integrates to 1) instead of counts.
    """
    from lnl.gmm import normalise as minmax

    ax = _axes(ax)
    loss = np.asarray(loss, dtype=float).ravel()
    is_clean = np.asarray(is_clean, dtype=bool).ravel()
    if loss.shape != is_clean.shape:
        raise ValueError(f"loss and is_clean must have one length, got {loss.size} and {is_clean.size}.")
    x = minmax(loss) if normalise else loss
    edges = np.linspace(x.min(), x.max() if x.max() > x.min() else x.min() + 1, bins + 1)
    for mask, name, colour in ((is_clean, "clean", CLEAN_COLOUR), (~is_clean, "mislabelled", NOISY_COLOUR)):
        if mask.any():
            ax.hist(x[mask], bins=edges, color=colour, alpha=0.55, density=density,
                    label=f"{name} (n = {int(mask.sum())})")
    ax.set_xlabel("per-sample loss, min-max normalised to [0, 1]" if normalise
                  else "per-sample cross-entropy (nats)")
    ax.set_ylabel("density" if density else "samples")
    handles, names = ax.get_legend_handles_labels()
    if p_clean is not None:
        p = np.asarray(p_clean, dtype=float).ravel()
        order = np.argsort(x)
        ax2 = ax.twinx()
        ax2.plot(x[order], p[order], color="black", linewidth=1.5, label="GMM: P(clean | loss)")
        ax2.set_ylim(-0.02, 1.02)
        ax2.set_ylabel("P(clean | loss)")
        ax2.grid(False)
        ax2.spines["right"].set_visible(True)
        h2, n2 = ax2.get_legend_handles_labels()
        handles, names = handles + h2, names + n2
    ax.legend(handles, names, loc="best")
    if title:
        ax.set_title(title)
    return ax


BREAKDOWN_COLOURS = {"correct": "#0072b2", "incorrect": "#d55e00", "memorised": "#009e73"}   # ALR Fig. 4


def memorisation_bars(breakdown, group: str, ax=None, *, title: str | None = None):
    """Stacked bars per epoch of one group (``clean`` or ``mislabelled``) of
    :func:`lnl.report.memorisation_breakdown`: the shares predicted correct (blue), incorrect
    (vermilion) and, for mislabelled samples, memorised (green), as in ALR's Figure 4."""
    ax = _axes(ax)
    part = breakdown[group]
    bottom = np.zeros(len(part))
    for outcome in part.columns:
        ax.bar(part.index, part[outcome], bottom=bottom, width=0.85, color=BREAKDOWN_COLOURS[outcome],
               label=outcome)
        bottom += part[outcome].to_numpy()
    epoch_axis(ax)
    ax.set(ylim=(0, 1), ylabel=f"share of {group} training samples")
    if title:
        ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8)
    return ax


def simplex_grid(resolution: int = 60) -> np.ndarray:
    """Probability vectors ``[M, 3]`` on a triangular grid over the 3-class simplex, corners
    excluded (every entry > 0)."""
    n = resolution
    pts = [(i, j, n - i - j) for i in range(n + 1) for j in range(n + 1 - i)]
    p = np.array(pts, dtype=float) / n
    p = p * (1 - 3e-3) + 1e-3                   # stay off the faces: log p finite
    return p / p.sum(1, keepdims=True)


def simplex_heatmap(p: np.ndarray, values: np.ndarray, ax=None, *, labels: Sequence[str] = ("class 1", "class 2",
                                                                                             "class 3"),
                    title: str | None = None, cmap: str = "viridis", colorbar: str | None = None):
    """``values`` at the probability vectors ``p`` ``[M, 3]`` (:func:`simplex_grid`) drawn over the
    simplex (barycentric coordinates: each corner is one class with probability 1)."""
    import matplotlib.tri as mtri

    ax = _axes(ax)
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])
    xy = p @ corners
    tri = mtri.Triangulation(xy[:, 0], xy[:, 1])
    im = ax.tripcolor(tri, values, shading="gouraud", cmap=cmap)
    ax.plot(*np.vstack([corners, corners[:1]]).T, color="#222222", lw=0.8)
    for (x, y), name, dy in zip(corners, labels, (-0.06, -0.06, 0.03)):
        ax.text(x, y + dy, name, ha="center", fontsize=9)
    ax.set(aspect="equal", xticks=[], yticks=[], xlim=(-0.08, 1.08), ylim=(-0.1, 0.95))
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    if colorbar:
        ax.figure.colorbar(im, ax=ax, shrink=0.8, label=colorbar)
    if title:
        ax.set_title(title)
    return ax


def _split_legend(is_clean, alpha: float):
    """Legend handles naming the clean and mislabelled groups with their sizes."""
    from matplotlib.patches import Patch

    n_clean = int(np.sum(is_clean))
    return [Patch(color=CLEAN_COLOUR, alpha=alpha, label=f"clean (n = {n_clean})"),
            Patch(color=NOISY_COLOUR, alpha=alpha, label=f"mislabelled (n = {len(is_clean) - n_clean})")]


def split_bars(values, is_clean, ax=None, *, ylabel: str | None = None, title: str | None = None,
               xlabel: str = "sample of the batch"):
    """One bar per sample of a small batch, blue where its given label is the true one and
    vermilion where it is not (IEG's ∂L^p/∂ω_i and ω*_i on one batch).

    Parameters
    ----------
    values : ``[B]`` one value per sample, drawn in the given order.
    is_clean : ``[B]`` bool, True where the given label is the true one.
    ax : axes to draw on (a new figure when None).
    ylabel, title, xlabel : the axis labels and the panel title.
    """
    ax = _axes(ax)
    values = np.asarray(values, dtype=float).ravel()
    is_clean = np.asarray(is_clean, dtype=bool).ravel()
    if values.shape != is_clean.shape:
        raise ValueError(f"values and is_clean must have one length, got {values.size} and {is_clean.size}.")
    colours = np.where(is_clean, CLEAN_COLOUR, NOISY_COLOUR)
    ax.bar(np.arange(len(values)), values, width=0.8, color=colours, alpha=0.8)
    ax.axhline(0, color="#999999", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.set_xlim(-0.7, len(values) - 0.3)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(handles=_split_legend(is_clean, 0.8))
    return ax


def split_histogram(values, is_clean, ax=None, *, bins: int | Sequence[float] = 30, xlabel: str = "value",
                    title: str | None = None, density: bool = False, log: bool = False):
    """Histograms of a per-sample value for clean (blue) and mislabelled (vermilion) samples, on
    shared bins (IEG's ω*·B at one epoch; :func:`loss_histogram` for losses).

    Parameters
    ----------
    values : ``[N]`` one value per sample.
    is_clean : ``[N]`` bool, True where the given label is the true one.
    ax : axes to draw on (a new figure when None).
    bins : a number of bins over the values' range, or the bin edges.
    xlabel, title : the x-axis label and the panel title.
    density : plot densities (each group integrates to 1) instead of counts.
    log : a logarithmic count axis (a spike of zeros beside a long tail).
    """
    ax = _axes(ax)
    values = np.asarray(values, dtype=float).ravel()
    is_clean = np.asarray(is_clean, dtype=bool).ravel()
    if values.shape != is_clean.shape:
        raise ValueError(f"values and is_clean must have one length, got {values.size} and {is_clean.size}.")
    if np.ndim(bins) == 0:
        lo, hi = values.min(), values.max()
        bins = np.linspace(lo, hi if hi > lo else lo + 1, int(bins) + 1)
    for mask, colour in ((is_clean, CLEAN_COLOUR), (~is_clean, NOISY_COLOUR)):
        if mask.any():
            ax.hist(values[mask], bins=bins, color=colour, alpha=0.55, density=density, log=log)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density" if density else "samples")
    ax.legend(handles=_split_legend(is_clean, 0.55))
    if title:
        ax.set_title(title)
    return ax


def show_image(ax, image, cmap=None, title: str | None = None):
    """Draw a ``[H, W]`` grey or ``[H, W, 3]`` image with values in [0, 1] (a grey image dark on light,
    as the book draws digits and Fashion-MNIST), without ticks; return its (H, W)."""
    if title:
        ax.set_title(title, fontsize=8, fontweight="normal")
    image = np.asarray(image, dtype=float)
    grey = image.ndim == 2
    ax.imshow(np.clip(image, 0, 1), cmap=(cmap or "gray_r") if grey else None, vmin=0, vmax=1,
              interpolation="nearest")
    ax.set(xticks=[], yticks=[])
    ax.grid(False)
    return image.shape[:2]


def image_grid(images, *, row_labels: Sequence[str] | None = None, col_labels: Sequence[str] | None = None,
               titles=None, boxes=None, cmap: str | None = None, size: float = 1.5, title: str | None = None):
    """A grid of images (SANM's masked views and reconstructions): row ``r``, column ``c`` shows
    ``images[r][c]``.

    Parameters
    ----------
    images : rows of images, each ``[H, W]`` (grey, drawn dark on light) or ``[H, W, 3]``, values in
        [0, 1]; ``None`` leaves a cell empty.
    row_labels, col_labels : a label left of each row and above each column.
    titles : rows of per-cell titles (under the column label), or None.
    boxes : rows of rectangles ``(top, left, height, width)`` in pixels outlined on each cell, or None.
    cmap : the colour map of grey images (default ``gray_r``).
    size : inches per cell.
    title : the figure's title.

    Returns
    -------
    the figure and its axes ``[R, C]``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    rows = [list(r) for r in images]
    R, C = len(rows), max((len(r) for r in rows), default=0)
    if R == 0 or C == 0:
        raise ValueError("image_grid needs at least one image.")
    fig, axes = plt.subplots(R, C, figsize=(size * C + (0.9 if row_labels else 0), size * R + 0.5),
                             squeeze=False)
    for r in range(R):
        for c in range(C):
            ax = axes[r, c]
            image = rows[r][c] if c < len(rows[r]) else None
            if image is None:
                ax.axis("off")
                continue
            show_image(ax, image, cmap)
            box = boxes[r][c] if boxes is not None and c < len(boxes[r]) else None
            if box is not None:
                top, left, h, w = (float(v) for v in box)
                if h > 0 and w > 0:
                    ax.add_patch(Rectangle((left - 0.5, top - 0.5), w, h, fill=False, lw=1.2, ls="--",
                                           edgecolor=NOISY_COLOUR))
            cell = titles[r][c] if titles is not None and c < len(titles[r]) else None
            head = col_labels[c] if col_labels is not None and r == 0 else None
            text = "\n".join(t for t in (head, cell) if t)
            if text:
                ax.set_title(text, fontsize=8, fontweight="normal")
        if row_labels is not None:
            axes[r, 0].set_ylabel(row_labels[r], fontsize=8, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title)
    return fig, axes


def activation_overlay(image, amap, ax=None, *, alpha: float = 0.55, cmap: str = "jet", title: str | None = None,
                       marks: Mapping[str, Sequence[float]] | None = None, centre: float | None = None):
    """An image with an activation map drawn over it (the paper's Figure 1, SANM's AMG).

    Parameters
    ----------
    image : ``[H, W]`` grey or ``[H, W, 3]``, values in [0, 1].
    amap : ``[h, w]`` activation map, stretched over the whole image (bilinear) and scaled to its own
        range: a map of one value draws one colour.
    ax : axes to draw on (a new figure when None).
    alpha : the map's opacity.
    cmap : the map's colour map.
    title : the panel title.
    marks : ``{label: (row, col)}`` pixels marked on the image (the map's maximum and minimum), with
        the markers ``x``, ``o``, ``s`` in that order.
    centre : outline the central box of this share of the height and width (the region of
        :func:`lnl.methods.sanm.centre_share`).
    """
    from matplotlib.patches import Rectangle

    ax = _axes(ax)
    H, W = show_image(ax, image)
    amap = np.asarray(amap, dtype=float)
    lo, hi = float(amap.min()), float(amap.max())
    ax.imshow(amap, cmap=cmap, alpha=alpha, extent=(-0.5, W - 0.5, H - 0.5, -0.5), interpolation="bilinear",
              vmin=lo, vmax=hi if hi > lo else lo + 1)
    ax.set(xlim=(-0.5, W - 0.5), ylim=(H - 0.5, -0.5))
    if centre is not None:
        h, w = round(centre * H), round(centre * W)
        ax.add_patch(Rectangle(((W - w) // 2 - 0.5, (H - h) // 2 - 0.5), w, h, fill=False, lw=1, ls=":",
                               edgecolor="white"))
    for (label, (row, col)), marker in zip((marks or {}).items(), ("x", "o", "s")):
        ax.plot(col, row, marker, color="white", markeredgecolor="black", markersize=7, mew=1.5,
                markerfacecolor="none" if marker != "x" else "white", label=label)
    if title:
        ax.set_title(title, fontsize=8, fontweight="normal")
    return ax


# ---- foundations chapter ----

def transition_gallery(panels: Mapping[str, Mapping[str, Any]], rate: float, *, ncols: int = 4):
    """The transition matrix of every noise model of :func:`lnl.report.noise_gallery`, one
    :func:`transition_heatmap` per panel titled with its nominal ``rate`` and effective ρ; a grid
    cell left over says that the CIFAR-10N labels are absent. Returns the figure."""
    import matplotlib.pyplot as plt

    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(15, 4.1 * nrows))
    for ax, (name, p) in zip(axes.flat, panels.items()):
        transition_heatmap(p["T"], p["classes"], ax, f"{name}\nr = {rate}, ρ = {p['rho']:.2f}")
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
        ax.text(0.5, 0.5, "CIFAR-10N labels\nnot found", ha="center", va="center")
    fig.suptitle(f"Transition matrices T[i, j] = P(ỹ = j | y = i) of every noise model in lnl.noise, "
                 f"nominal r = {rate}")
    return fig


def gradient_pull(record: Mapping[str, Any], pull, caption: str):
    """MixNN's Fig. 2b and what it implies, side by side: the mean gradient coefficient 1 − p_ỹ of
    clean and of mislabelled samples per epoch, and the mislabelled samples' share of the summed
    coefficient (``pull["share"]``, :func:`lnl.report.gradient_pull`) against their share ρ of the
    data. Returns the figure."""
    import matplotlib.pyplot as plt

    rho = record["noise"]["rate_effective"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4))
    history_curves(record, ["grad_clean", "grad_noisy"], a,
                   title=f"Mean gradient coefficient per group (cf. MixNN Fig. 2b)\n{caption}")
    b.plot(pull.index, pull["share"], color=NOISY_COLOUR)
    b.axhline(rho, color="grey", linestyle=":", label=f"share of mislabelled samples, ρ = {rho:.2f}")
    b.set(ylabel="share of Σ (1 − p_ỹ)", title=f"Mislabelled samples' share of the pull\n{caption}")
    epoch_axis(b)
    b.legend()
    return fig


def split_over_epochs(record: Mapping[str, Any], split: Mapping[str, Any], ax=None, *, title: str | None = None):
    """When the small-loss split works: the AUROC of the raw loss ranking (``loss_auroc``) and of the
    GMM posterior w_n (``split["auroc"]``, :func:`lnl.report.gmm_split`) after every epoch, with the
    test accuracy faintly on a second axis. Returns the axes."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 4))
    history_curves(record, ["loss_auroc"], ax, title=title)
    ax.plot(split["epoch"], split["auroc"], "o", color=METHOD_COLOURS["dividemix"], markersize=4,
            label="AUROC of the GMM posterior w_n")
    tx = ax.twinx()
    tx.plot([h["epoch"] for h in record["history"]], [h["test_acc"] for h in record["history"]],
            color=TEST_COLOUR, alpha=0.35, label="test accuracy (right)")
    tx.set_ylabel("test accuracy (fraction)")
    tx.spines["right"].set_visible(True)
    tx.grid(False)
    handles = ax.get_legend_handles_labels()[0] + tx.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], loc="lower left")
    return ax


def memorisation_pair(records: Sequence[Mapping[str, Any]], name: str, noise: str):
    """CE at two or more noise rates on one data set: test accuracy per epoch (best epochs marked),
    and the share of mislabelled training samples predicted as their given and as their true label
    (MixNN Fig. 2a). Returns the figure."""
    import matplotlib.pyplot as plt

    caps = [f"r = {r['config']['rate']}, ρ = {r['noise']['rate_effective']:.2f}" for r in records]
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.4))
    history_curves(records, "test_acc", a, labels=caps, mark_best=True,
                   title=f"CE on {name}, {noise} noise:\ntest accuracy per epoch")
    history_curves(records, ["noisy_acc_given", "noisy_acc_true"], b, labels=caps,
                   title=f"{name}, {noise} noise: mislabelled training\nsamples predicted as their given / true label")
    return fig


def split_panels(splits: Mapping[float, Mapping[str, Any]], epoch: int, name: str, captions: Mapping[float, str],
                 seed: int = 0):
    """MixNN's Fig. 4 redrawn: per rate, the normalised losses of clean and mislabelled samples after
    ``epoch`` (``splits`` of :func:`lnl.report.gmm_split`) with the GMM posterior P(clean | ℓ̄) and the
    split's AUROC. Returns the figure."""
    import matplotlib.pyplot as plt

    from lnl import gmm

    fig, axes = plt.subplots(1, len(splits), figsize=(6 * len(splits), 4.2))
    for ax, (rate, split) in zip(np.atleast_1d(axes), splits.items()):
        loss = split["loss"][epoch - 1]
        loss_histogram(loss, split["is_clean"], ax, p_clean=gmm.clean_probability(loss, seed=seed),
                       title=f"{name}, epoch {epoch}: GMM AUROC {split['auroc'][epoch - 1]:.3f}\n{captions[rate]}")
    return fig


def split_and_accuracy(splits: Mapping[float, Mapping[str, Any]], records: Mapping[float, Mapping[str, Any]],
                       gmm_epoch: int, name: str, noise: str):
    """Per rate, the GMM split's AUROC after every epoch (``splits`` of :func:`lnl.report.gmm_split`)
    with the GMM epoch marked, beside the test accuracy of the same runs. Returns the figure."""
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4))
    for colour, (rate, split) in zip(series_colours(len(splits)), splits.items()):
        cap = f"r = {rate}, ρ = {records[rate]['noise']['rate_effective']:.2f}"
        a.plot(split["epoch"], split["auroc"], color=colour, label=cap)
        b.plot(split["epoch"], [h["test_acc"] for h in records[rate]["history"]], color=colour, label=cap)
    a.axvline(gmm_epoch, color="grey", linestyle=":", label="GMM epoch")
    a.set(ylabel=KEY_UNITS["auroc"], title=f"{name}, {noise} noise: GMM split\nof clean vs mislabelled samples")
    b.set(ylabel=KEY_UNITS["acc"], title=f"{name}, {noise} noise:\ntest accuracy")
    for ax in (a, b):
        epoch_axis(ax)
        ax.legend()
    return fig


# ---- baselines chapter ----

def keep_schedules(keep: Mapping[str, Mapping[str, np.ndarray]], t_ks: Mapping[str, int], tau: float, logged=None):
    """Co-teaching's kept share R(T) (eq. 2) per epoch, one panel per schedule (``{panel title:
    {ramp: R per epoch}}``, ``t_ks`` its T_k), each ramp a step line, with the share a run
    ``logged`` (a Series by epoch) on the first panel."""
    import matplotlib.pyplot as plt

    colour = METHOD_COLOURS["coteaching"]
    fig, axes = plt.subplots(1, len(keep), figsize=(12, 4))
    for ax, (name, k) in zip(axes, keep.items()):
        n_ep = len(next(iter(k.values())))
        for i, (ramp, shares) in enumerate(k.items()):
            ax.step(np.arange(1, n_ep + 1), shares, "-" if i == 0 else "--", where="mid",
                    color=colour if ramp == "paper" else "black", label=f"{ramp} ramp")
        ax.axhline(1 - tau, color="grey", linewidth=0.8, linestyle=":", label=f"1 − τ = {1 - tau:.2f}")
        ax.set(ylim=(0, 1.05), ylabel="kept share R(T)",
               title=f"R(T) falls to 1 − τ over T_k = {t_ks[name]} epochs ({name})\nτ = {tau}, {n_ep} epochs")
        epoch_axis(ax)
    if logged is not None:
        axes[0].plot(logged.index, logged, "o", color=colour, markersize=5, label="logged by the run")
    for ax in axes:
        ax.legend()
    return fig


def selection_scatter(walk: Mapping[str, Any], title: str, ax=None):
    """Co-teaching's selection on one batch (:func:`lnl.methods.coteaching.selection_walk`): each
    image at its loss under f and under g, coloured by the truth, with each network's cut."""
    ax = _axes(ax)
    clean, loss_f, loss_g = walk["clean"], walk["loss_f"], walk["loss_g"]
    for mask, name, c in ((clean, "clean", CLEAN_COLOUR), (~clean, "mislabelled", NOISY_COLOUR)):
        ax.scatter(loss_f[mask].cpu(), loss_g[mask].cpu(), s=14, alpha=0.7, color=c, label=f"{name} ({int(mask.sum())})")
    ax.axvline(float(loss_f[walk["keep_f"]].max()), color="black", linewidth=1, label="cut of f: keeps the left")
    ax.axhline(float(loss_g[walk["keep_g"]].max()), color="black", linewidth=1, linestyle="--",
               label="cut of g: keeps below")
    ax.set(xscale="log", yscale="log", xlabel="loss under f, ℓ(f, x_i) (nats)", ylabel="loss under g, ℓ(g, x_i) (nats)",
           title=title)
    ax.legend(loc="lower right")
    return ax


def coteaching_history(rec_ct: Mapping[str, Any], rec_ce: Mapping[str, Any], rho: float, where: str):
    """What a Co-teaching run logged per epoch, three panels: the label precision and recall of net1's
    selection against the clean share 1 − ρ; the overlap of the two selections against chance, R(T);
    the test accuracy of each network, their ensemble and CE. ``where``: data set and noise."""
    import matplotlib.pyplot as plt

    colour = METHOD_COLOURS["coteaching"]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.2))
    history_curves(rec_ct, ["selected_precision", "selected_recall"], axes[0], colours=[colour, "#999999"],
                   ylabel="share of samples", title=f"Label precision of net1's selection\n{where}")
    axes[0].axhline(1 - rho, color="grey", linestyle=":", label=f"clean share 1 − ρ = {1 - rho:.2f}")
    axes[0].legend(axes[0].get_lines(), ["precision (clean share of D̄_f)", "recall (share of clean kept)",
                                         f"clean share 1 − ρ = {1 - rho:.2f}"])
    history_curves(rec_ct, ["selection_overlap", "keep_rate"], axes[1], colours=[colour, "black"],
                   ylabel="share of the batch", title="The agreement of the two selections and chance\n"
                                                      "|D̄_f ∩ D̄_g| / |D̄_f| and R(T), per batch")
    axes[1].legend(axes[1].get_lines(), ["overlap |D̄_f ∩ D̄_g| / |D̄_f|", "kept share R(T): chance overlap"])
    history_curves(rec_ct, ["test_acc_net1", "test_acc_net2", "test_acc_ensemble"], axes[2],
                   colours=[colour, "#0072b2", "black"], title=f"Test accuracy\n{where}")
    history_curves(rec_ce, "test_acc", axes[2], colours=[METHOD_COLOURS["ce"]])
    axes[2].get_lines()[-1].set_linestyle(":")
    axes[2].legend(axes[2].get_lines(), ["net1 (f)", "net2 (g)", "ensemble (mean of p)", "CE"])
    return fig


def elr_tug(g0: Mapping[str, Any], paths: Mapping[str, np.ndarray], y_true: int, y_given: int):
    """ELR on one hand-made mislabelled sample: the step direction of CE and of λ g on each logit at
    the start (bars, ``g0 {name: gradient [C]}``), and p_y, p_ỹ along each descent of ``paths``
    (:func:`lnl.methods.elr.hand_descent`)."""
    import matplotlib.pyplot as plt

    C = len(next(iter(g0.values())))
    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.3))
    for s_, (name, g) in enumerate(g0.items()):
        a.bar(np.arange(C) + (s_ - 0.5) * 0.4, -g.numpy(), 0.4, label=f"−∂/∂z of {name}",
              color=[METHOD_COLOURS["ce"], METHOD_COLOURS["elr"]][s_])
    a.axhline(0, color="black", linewidth=0.6)
    a.set_xticks(np.arange(C), [f"{c}{' (y)' if c == y_true else ' (ỹ)' if c == y_given else ''}" for c in range(C)])
    a.set(xlabel="class c", ylabel="step direction on z_c (minus the gradient)",
          title="At the start: CE raises ỹ and lowers y; ELR raises y")
    a.legend()
    for (name, path), style in zip(paths.items(), ("-", "--", ":")):
        b.plot(path[:, 0], style, color=CLEAN_COLOUR, label=f"{name}: p_y")
        b.plot(path[:, 1], style, color=NOISY_COLOUR, label=f"{name}: p_ỹ")
    b.set(xlabel="gradient step", ylabel="probability", ylim=(0, 1.02),
          title="ELR holds p_y while its target holds\n(one sample, its logits trained alone)")
    b.legend(fontsize=7, ncol=1)
    return fig


def elr_history(rec_elr: Mapping[str, Any], rec_ce: Mapping[str, Any], where: str):
    """What an ELR run logged per epoch, three panels: the targets' mass on the given label for clean
    and mislabelled samples; how well it and −loss rank clean above mislabelled (AUROC); the
    mislabelled samples predicted as their given label, ELR against CE."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.2))
    history_curves(rec_elr, ["target_given_clean", "target_given_noisy"], axes[0],
                   ylabel="mean target mass on the given label, t_iỹ",
                   title=f"ELR's targets: mass on the given label\n{where}")
    axes[0].legend(axes[0].get_lines(), ["clean samples", "mislabelled samples"])
    history_curves(rec_elr, ["target_given_auroc", "loss_auroc"], axes[1], colours=[METHOD_COLOURS["elr"], "#999999"],
                   title="How well t_iỹ separates clean from mislabelled\nAUROC against the truth")
    axes[1].legend(axes[1].get_lines(), ["t_iỹ (the target)", "−loss (the network now)"])
    history_curves([rec_ce, rec_elr], "noisy_acc_given", axes[2], labels=["CE", "ELR"],
                   title=f"Mislabelled samples predicted as their given label\n{where}")
    return fig


def codivide_history(rec_dm: Mapping[str, Any], rho: float, warmup: int, tau: float, where: str):
    """DivideMix's co-divide at the start of each epoch against the truth, one panel per network: the
    AUROC of its w, the precision and recall of its labelled set w ≥ τ, the clean share 1 − ρ, and
    the end of the warm-up (no division before it)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2), sharey=True)
    epochs = len(rec_dm["history"])
    for ax, k in zip(axes, ("net1", "net2")):
        history_curves(rec_dm, [f"w_{k}_auroc", f"w_{k}_precision", f"w_{k}_recall"], ax,
                       colours=["black", METHOD_COLOURS["dividemix"], "#999999"], ylabel="share / AUROC",
                       title=f"Co-divide of {k} at the start of each epoch\n{where}")
        ax.axhline(1 - rho, color="grey", linestyle=":")
        ax.axvline(warmup + 0.5, color="grey", linewidth=0.8)
        ax.set_xlim(0.5, epochs + 0.5)
        ax.legend(ax.get_lines()[:4], ["AUROC of w", f"precision of w > {tau}", f"recall of w > {tau}",
                                       f"clean share 1 − ρ = {1 - rho:.2f}"])
    return fig


def class_bars(ax, vectors: Sequence[tuple[Any, str, str]], classes: Sequence[str], fontsize: int = 7):
    """Side-by-side bars of a few distributions over the classes (``(vector [C], label, colour)``)."""
    n = len(vectors)
    for s_, (vec, name, c) in enumerate(vectors):
        ax.bar(np.arange(len(classes)) + (s_ - (n - 1) / 2) * 0.27, np.asarray(vec.cpu() if hasattr(vec, "cpu") else vec),
               0.27, color=c, label=name)
    ax.set_xticks(np.arange(len(classes)), classes, fontsize=fontsize)
    return ax


def refine_grid(walk: Mapping[str, Any], show: Sequence[int], given, true, classes: Sequence[str], to_display,
                title: str):
    """DivideMix's co-refinement on images ``show`` of a labelled batch
    (:func:`lnl.methods.dividemix.batch_walk`): each image with its true and given class and w,
    beside its given label, the network's mean prediction over two views and the refined label ŷ."""
    import matplotlib.pyplot as plt
    import torch

    x1, T = walk["x1"], walk["T"]
    p_mean = torch.stack(walk["p_x"]).mean(0)
    fig, axes = plt.subplots(len(show), 2, figsize=(11, 2.6 * len(show)), gridspec_kw={"width_ratios": [1, 4]},
                             squeeze=False)
    for row, i in zip(axes, show):
        b = int(walk["bx"][i])
        row[0].imshow(to_display(x1[i]), cmap="gray_r" if x1.shape[1] == 1 else None)
        row[0].set(xticks=[], yticks=[], title=f"true {classes[true[b]]}, given {classes[given[b]]}\n"
                                                 f"w = {float(walk['w_x'][i]):.2f}")
        class_bars(row[1], ((walk["y_x"][i], "given ỹ (one-hot)", "#999999"),
                            (p_mean[i], "prediction p (mean of 2 views)", "#0072b2"),
                            (walk["y_hat"][i], f"refined ŷ (T = {T})", METHOD_COLOURS["dividemix"])), classes)
        row[1].plot(true[b], 1.08, "*", color="black", markersize=10, label="true class")
        row[1].set(ylim=(0, 1.18), ylabel="probability")
    axes[0, 1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    fig.suptitle(title)
    return fig


def sharpen_bars(sharp: Mapping[float, Any], true_class: int, classes: Sequence[str], title: str):
    """One distribution sharpened at several temperatures (``{T: p [C]}``), with each one's entropy
    and the true class."""
    import matplotlib.pyplot as plt

    from lnl.losses import entropy

    fig, ax = plt.subplots(figsize=(9, 3.8))
    colours = series_colours(len(sharp))
    class_bars(ax, [(p, f"T = {T}: entropy {float(entropy(p[None])):.2f} nats", colours[s_])
                    for s_, (T, p) in enumerate(sharp.items())], classes, fontsize=8)
    ax.plot(true_class, 1.05, "*", color="black", markersize=10, label="true class")
    ax.set(ylim=(0, 1.12), ylabel="probability", title=title)
    ax.legend(fontsize=8)
    return fig


def mixmatch_grid(mix: Mapping[str, Any], rows: Sequence[int], n_labelled: int, classes: Sequence[str], to_display,
                  title: str):
    """MixMatch on rows ``rows`` of the pool (:func:`lnl.methods.dividemix.mixmatch_walk`): each image,
    its partner and their mix, beside the own, the partner's and the mixed target; the first
    ``n_labelled`` rows of the pool are X's."""
    import matplotlib.pyplot as plt

    pool, targets, perm, lam_p = mix["pool"], mix["targets"], mix["perm"], mix["lam_prime"]
    part = {True: "X (refined ŷ)", False: "U (guessed q̂)"}
    fig, axes = plt.subplots(len(rows), 4, figsize=(13, 2.6 * len(rows)), gridspec_kw={"width_ratios": [1, 1, 1, 3]},
                             squeeze=False)
    for row, j in zip(axes, rows):
        jp = int(perm[j])
        for ax, img, name in ((row[0], pool[j], f"own: {part[j < n_labelled]}"),
                              (row[1], pool[jp], f"partner: {part[jp < n_labelled]}"),
                              (row[2], mix["x"][j], f"mixed, λ' = {lam_p:.2f}")):
            ax.imshow(to_display(img), cmap="gray_r" if pool.shape[1] == 1 else None)
            ax.set(xticks=[], yticks=[], title=name)
        class_bars(row[3], ((targets[j], "own target", "#999999"), (targets[jp], "partner's target", "#0072b2"),
                            (mix["p"][j], "mixed target p'", METHOD_COLOURS["dividemix"])), classes)
        row[3].set(ylim=(0, 1.05), ylabel="probability")
    axes[0, 3].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    fig.suptitle(title)
    return fig


def detection_curves(records: Mapping[str, Mapping[str, Any]], title: str, ax=None):
    """Each run's clean score (``record["detection"]``) against the truth per epoch, as an AUROC
    (:func:`lnl.report.detection_curve`), with chance at 0.5."""
    from lnl.report import detection_curve

    ax = _axes(ax)
    for (arm, rec), colour in zip(records.items(), series_colours(len(records))):
        curve = detection_curve(rec)
        ax.plot(np.arange(1, len(curve) + 1), curve, marker="o", ms=3, color=colour,
                label=f"{arm}: {rec.get('detection', 'loss')}")
    ax.axhline(0.5, color="grey", lw=0.8, ls=":")
    ax.set(xlabel="epoch", ylabel="AUROC, clean vs mislabelled", ylim=(0.3, 1.0), title=title)
    ax.legend(fontsize=8, loc="lower right")
    return ax


# ---- mixnn chapter ----

def tsne_map(ax, features, true, *, points: int, seed: int = 0, balanced: bool = False, given=None,
             classes: Sequence[str] | None = None, title: str | None = None, legend: bool = True):
    """A t-SNE map (PCA start, perplexity 30) of ``points`` of ``features [N, D]`` coloured by true
    class (MixNN's Figs. 3 and 9): a random sample drawn with ``seed``, or with ``balanced`` the same
    number of each class. With ``given`` labels, mislabelled samples are crosses in their true
    class's colour. Returns the sample's indices."""
    from sklearn.manifold import TSNE

    true = np.asarray(true)
    rng = np.random.default_rng(seed)
    n_cls = len(classes) if classes is not None else int(true.max()) + 1
    if balanced:
        pick = np.concatenate([rng.permutation(np.flatnonzero(true == c))[:points // n_cls] for c in range(n_cls)])
    else:
        pick = rng.permutation(len(true))[:points]
    x = features[pick]
    x = (x.cpu().numpy() if hasattr(x, "cpu") else np.asarray(x)).astype(np.float32)
    xy = TSNE(n_components=2, init="pca", learning_rate="auto", perplexity=30, random_state=seed).fit_transform(x)
    names = list(classes) if classes is not None else [str(c) for c in range(n_cls)]
    mis = np.zeros(len(pick), bool) if given is None else np.asarray(given)[pick] != true[pick]
    for c, colour in enumerate(series_colours(n_cls)):
        sel = true[pick] == c
        ax.scatter(*xy[sel & ~mis].T, s=4 if given is None else 9, color=colour,
                   alpha=1 if given is None else 0.55, label=names[c])
        if given is not None:
            ax.scatter(*xy[sel & mis].T, s=30, color=colour, marker="X", edgecolor="black", linewidth=0.4)
    if given is not None:
        ax.scatter([], [], s=30, color="grey", marker="X", edgecolor="black", label="mislabelled (colour: true class)")
    ax.set(xticks=[], yticks=[], xlabel="t-SNE 1", ylabel="t-SNE 2")
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(loc="center left", bbox_to_anchor=(1, 0.5), markerscale=1.5 if given is not None else 3,
                  fontsize=None if given is not None else 7)
    return pick


def phase_lines(ax, warmup: int, e_s: int):
    """Mark MixNN's phases on an epoch axis: the end of the warm-up (dotted) and E_s (dashed)."""
    ax.axvline(warmup + 0.5, color="grey", linestyle=":", linewidth=1)
    ax.axvline(e_s - 0.5, color="grey", linestyle="--", linewidth=1)
    return ax


def mixing_cases(data, mix: Mapping[str, Any], pairs: Mapping[str, Mapping[str, Any]], given, true, w,
                 classes: Sequence[str], title: str):
    """MixNN's §5 on real images, one row per case of ``pairs`` (:func:`lnl.methods.mixnn.typical_pairs`):
    the sample x_i, its neighbour, the mixed image x̃_i with GMM weights (eq. 4), and the mixed label
    ỹ_i (eq. 5) under GMM and AVG weights with the true class starred. ``mix``:
    :func:`lnl.methods.mixnn.neighbour_mix` of those pairs with schemes ``gmm`` and ``avg``."""
    import matplotlib.pyplot as plt

    C, bar_w = len(classes), 0.4
    fig, axes = plt.subplots(len(pairs), 4, figsize=(13, 3 * len(pairs)), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 1, 1, 2.2]})
    for k, (row, (case, p)) in enumerate(zip(axes, pairs.items())):
        i, j, lam = p["i"], p["j"], float(mix["gmm"]["lam"][k])
        for ax, img, head in ((row[0], mix["x"][k], f"x_i: true {classes[true[i]]}\ngiven {classes[given[i]]}, w = {w[i]:.2f}"),
                              (row[1], mix["x_nn"][k, 0], f"neighbour: true {classes[true[j]]}\ngiven {classes[given[j]]}, w = {w[j]:.2f}"),
                              (row[2], mix["gmm"]["x_mix"][k], f"mix x̃_i, λ_i = {lam:.2f}")):
            ax.imshow(data.to_display(img), cmap="gray_r" if img.shape[0] == 1 else None)
            ax.set(xticks=[], yticks=[], title=head)
        row[0].set_ylabel(case, fontsize=11, fontweight="bold")
        for s, (key, colour) in enumerate((("gmm", METHOD_COLOURS["mixnn"]), ("avg", "#999999"))):
            row[3].bar(np.arange(C) + (s - 0.5) * bar_w, mix[key]["y_mix"][k].cpu(), bar_w, color=colour,
                       label=f"ỹ_i, {key.upper()} weights")
        row[3].plot(true[i], 1.08, "*", color="black", markersize=11, label="true class")
        row[3].set_xticks(np.arange(C), classes, rotation=45, ha="right", fontsize=7)
        row[3].set(ylim=(0, 1.18), ylabel="ỹ_i (probability)", title=f"synthetic label ỹ_i, {case}")
    axes[0, 3].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    fig.suptitle(title)
    return fig


def sweep_curves(records: Mapping[tuple, Mapping[str, Any]], sweeps: Mapping[str, Sequence[float]], title: str):
    """MixNN's Fig. 7c-d: test accuracy (%, last 10 epochs and best) against each swept parameter,
    one panel per parameter of ``sweeps`` (``{param: values}``), read from ``records[("sweep", param,
    value)]``. ``title`` is formatted with ``param``."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(sweeps), figsize=(6 * len(sweeps), 4))
    for ax, (param, values) in zip(np.atleast_1d(axes), sweeps.items()):
        s = [records["sweep", param, v]["summary"] for v in values]
        ax.plot(values, [100 * x["test_acc_last10"] for x in s], marker="o", label="last 10")
        ax.plot(values, [100 * x["test_acc_best"] for x in s], marker="s", linestyle="--", label="best")
        ax.set(xlabel=param, ylabel="test accuracy (%)", xticks=list(values), title=title.format(param=param))
        ax.legend()
    return fig


# ---- alr chapter ----

def phase_boundary(axes, warmup: int, *, label: str | None = None, zero: bool = False):
    """A dotted line on each of ``axes`` between the last epoch of phase 1 (``warmup``) and the
    first of phase 2, with ``label`` written beside it at the top; ``zero``: a line at y = 0 too."""
    for ax in np.atleast_1d(axes).ravel():
        if zero:
            ax.axhline(0, color="#999999", lw=0.8)
        ax.axvline(warmup + 0.5, color="#999999", lw=1, ls=":")
        if label:
            ax.text(warmup + 0.6, ax.get_ylim()[1], f" {label}", va="top", fontsize=8, color="#666666")
    return axes


def target_trajectories(trace, given, true, ids: Sequence[int], ax=None, *, title: str | None = None):
    """The target mass on the given label per epoch of the samples ``ids`` of ``trace``
    (``[epochs, K, C]``, ALR's kept targets): clean samples blue, mislabelled vermilion with their
    true label's mass dashed in green."""
    ax = _axes(ax)
    epochs = np.arange(1, trace.shape[0] + 1)
    for j, i in enumerate(ids):
        noisy = bool(given[i] != true[i])
        ax.plot(epochs, trace[:, i, given[i]], "-", color=NOISY_COLOUR if noisy else CLEAN_COLOUR,
                alpha=1 - 0.4 * j, label=f"sample {i}: t on the given label {int(given[i])}")
        if noisy:
            ax.plot(epochs, trace[:, i, true[i]], "--", color="#009e73", alpha=1 - 0.4 * j,
                    label=f"sample {i}: t on the true label {int(true[i])}")
    epoch_axis(ax)
    ax.set(title=title, ylabel="target probability")
    ax.legend(fontsize=8)
    return ax


def hardening_curve(p_max, push, ax=None, *, title: str | None = None):
    """The entropy term's push on the arg-max logit against the arg-max probability, its peak
    marked (ALR's hardening, :func:`lnl.methods.alr.hardening`)."""
    ax = _axes(ax)
    colour = METHOD_COLOURS["alr"]
    ax.plot(p_max, push, color=colour)
    ax.set(xlabel="p_max, the arg-max probability", ylabel="push on the arg-max logit, p_max (log p_max + H)",
           title=title)
    top = int(np.argmax(np.asarray(push)))
    ax.plot(p_max[top], push[top], "o", color=colour)
    return ax


def memorisation_grid(breakdowns: Mapping[str, Any], caption: str):
    """ALR's Figure 4: :func:`memorisation_bars` of the clean and the mislabelled samples (columns)
    for each run of ``breakdowns`` (``{name: lnl.report.memorisation_breakdown(...)}``, rows)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(breakdowns), 2, figsize=(13, 3.5 * len(breakdowns)), sharex=True, squeeze=False)
    for row, (name, breakdown) in zip(axes, breakdowns.items()):
        for ax, group in zip(row, ("clean", "mislabelled")):
            memorisation_bars(breakdown, group, ax, title=f"{name}, {caption}: {group} samples")
    return fig


def clean_tsne(features: Mapping[str, np.ndarray], ax=None, *, points: int, seed: int, classes: Sequence[str],
               title: str | None = None, legend: bool = False):
    """A t-SNE map of at most ``points`` clean training samples of ``features``
    (:func:`lnl.report.trained_features`), drawn with ``seed`` and coloured by class (ALR's Fig. 5);
    ``legend``: the classes' legend beside the map, on the right."""
    from sklearn.manifold import TSNE

    ax = _axes(ax)
    clean = np.flatnonzero(features["given"] == features["true"])
    pick = np.random.default_rng(seed).permutation(clean)[:points]
    xy = TSNE(init="pca", random_state=seed, perplexity=30).fit_transform(features["features"][pick])
    for c, colour in enumerate(series_colours(len(classes))):
        ax.scatter(*xy[features["true"][pick] == c].T, s=4, color=colour, label=classes[c])
    ax.set(xticks=[], yticks=[], title=title)
    if legend:
        ax.legend(markerscale=3, fontsize=7, loc="center left", bbox_to_anchor=(1, 0.5))
    return ax


def arm_panels(recs: Mapping[tuple, Mapping[str, Any]], cells: Sequence[tuple[str, float]], arms: Sequence[str],
               seed: int, key: str, titles: Sequence[str], *, height: float = 4.4, ylabel: str | None = None,
               mark_best: bool = False):
    """One panel per noise cell ``(kind, rate)``: :func:`history_curves` of ``key`` for each of
    ``arms`` that ran there with ``seed``, from a page's ``{(arm, kind, rate, seed): record}``."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(cells), figsize=(6.5 * len(cells), height), squeeze=False)
    for ax, (kind, rate), title in zip(axes[0], cells, titles):
        here = [a for a in arms if (a, kind, rate, seed) in recs]
        history_curves([recs[a, kind, rate, seed] for a in here], key, ax, labels=here,
                       colours=series_colours(len(here)), mark_best=mark_best, title=title, ylabel=ylabel)
    return fig


def ablation_curves(table, ax=None, *, kind: str, title: str | None = None):
    """ALR's λ ablation: last-10 test accuracy against λ (symlog axis), one line per rate (a column
    of ``table``, :func:`lnl.report.ablation_table`)."""
    ax = _axes(ax)
    for rate, colour in zip(table.columns, series_colours(len(table.columns))):
        ax.plot(table.index, table[rate], "o-", color=colour, label=f"{kind} r = {rate}")
    ax.set(xscale="symlog", xlabel="λ, weight of the entropy term (symlog)", ylabel="last-10 test accuracy (%)",
           title=title)
    ax.legend()
    return ax


def campaign_curves(found: Sequence[Any], keys: str | Iterable[str], ax=None, *, title: str | None = None):
    """:func:`history_curves` of the records a GPU section found (``lnl.campaign.section(...).found``),
    each labelled by its planned run."""
    return history_curves([f.record for f in found], keys, ax, labels=[f.planned.label for f in found], title=title)


# ---- sanm chapter ----

def sanm_focus_grid(trained, focus, n: int, columns: Mapping[str, str]):
    """The paper's Figure 1 on ``n`` test images of ``focus`` (:func:`lnl.methods.sanm.focus_images`):
    each image, then the CAM of each network's (``columns``: ``{role: name}``) predicted class with
    its central share (:func:`lnl.methods.sanm.centre_share`) and the central box dotted."""
    import matplotlib.pyplot as plt

    from lnl.methods.sanm import centre_share

    show, size = focus.shown(n), tuple(trained.ds.image_shape[1:])
    classes, to_img = trained.ds.classes, trained.ctx.data.to_display
    fig, axes = plt.subplots(len(show), 4, figsize=(7.2, 1.9 * len(show)))
    for row, b in zip(axes, show.tolist()):
        image, y = to_img(focus.x[b]), int(focus.y[b])
        show_image(row[0], image, title=f"true: {classes[y]}")
        for ax, (r, name) in zip(row[1:], columns.items()):
            s = float(centre_share(focus.cams[r][b:b + 1], size))
            p = int(focus.pred[r][b])
            activation_overlay(image, focus.cams[r][b].numpy(), ax, centre=0.5,
                               title=f"{name}\n{classes[p]} ({'right' if p == y else 'wrong'}), s = {s:.2f}")
    fig.suptitle(f"CAM of each network's predicted class on {trained.ds.name} test images", fontsize=10)
    return fig


def sanm_clean_probability(w, is_clean, record: Mapping[str, Any], host_title: str, arm: str):
    """SANM's clean probability w: its split by the truth on the host's network (left), and how well
    it ranks clean above mislabelled samples over the SANM run's epochs (``sanm_w_auroc``, right)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
    split_histogram(w, is_clean, axes[0], bins=20, log=True, xlabel="w: the GMM's P(clean)",
                    title=f"{host_title}: w of every training sample")
    history_curves(record, "sanm_w_auroc", axes[1], colours=[METHOD_COLOURS["sanm"]],
                   title=f"{arm}: its own GMM as a clean detector, per epoch")
    axes[1].axhline(0.5, color="#999999", lw=0.8, ls=":")
    return fig


def sanm_activation_maps(trained, pair, maps: Mapping[str, Any], ext: Mapping[str, Any]):
    """Eq. (1) on the walk-through's two images (:class:`lnl.methods.sanm.Pair`): each image, then its
    CAM (paper) and its energy map (code), with the maximum and minimum ``ext`` of each."""
    import matplotlib.pyplot as plt

    given, _ = trained.labels
    classes, to_img = trained.ds.classes, trained.ctx.data.to_display
    fig, axes = plt.subplots(2, 3, figsize=(7.5, 5.4))
    for i, row in enumerate(axes):
        image = to_img(pair.x[i])
        show_image(row[0], image, title=f"{pair.names[i]}: given {classes[int(given[pair.ids[i]])]}, "
                                        f"w = {float(pair.w[i]):.2f}")
        for ax, (f, name) in zip(row[1:], (("cam", "CAM of the prediction (paper)"), ("energy", "Σ_k F_k² (code)"))):
            at_max, at_min = ext[f]
            activation_overlay(image, maps[f][i].cpu().numpy(), ax, title=name,
                               marks={"max": at_max[i].tolist(), "min": at_min[i].tolist()})
    axes[0, 2].legend(loc="lower right", fontsize=7, frameon=True)
    return fig


def sanm_ratios(c, pair, size: tuple[int, int], draws: int, seed: int = 0):
    """Eq. (2)-(4) as curves of the clean probability w, for SANM's settings ``c``: the mask ratio of
    the box at the maximum (noise-aware, fixed, and ``draws`` draws of the random and the code's
    forms from one generator of ``seed``) and at the minimum, the walk-through's two w (left); and
    the box's height on images of ``size``, paper against code, over the aspect range (right)."""
    import matplotlib.pyplot as plt
    import torch

    from lnl.methods.sanm import box_size, mask_ratio, min_mask_ratio
    from lnl.rng import torch_generator

    g = torch_generator(seed, "sanm-tutorial", "ratios")
    wg, wd = torch.linspace(0, 1, 101), torch.rand(draws, generator=g)
    aware = mask_ratio(wg, c.sigma_b, c.kappa, "noise-aware")
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
    ax = axes[0]
    ax.plot(wg, aware, color=METHOD_COLOURS["sanm"], label="noise-aware (eq. 2, reconstructed)")
    ax.plot(wg, mask_ratio(wg, c.sigma_b, c.kappa, "fixed"), color="#999999", label="fixed")
    ax.plot(wg, min_mask_ratio(wg, aware, c.sigma_b, "paper"), color=METHOD_COLOURS["sanm"], ls="--",
            label="at the minimum: σ_b (1 − w)")
    for form, colour in zip(("random", "code"), ("#56b4e9", "#009e73")):
        ax.scatter(wd, mask_ratio(wd, c.sigma_b, c.kappa, form, generator=g), s=6, alpha=0.5, color=colour,
                   label=f"{form}: drawn per sample and step")
    for i, name in enumerate(pair.names):
        ax.axvline(float(pair.w[i]), color=SPLIT_COLOURS[name], lw=0.8, ls=":", label=f"w of the {name} image")
    ax.set(xlabel="w: the sample's clean probability", ylabel="mask ratio σ (share of the image)",
           title="The mask ratio of the box at the maximum")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    ax = axes[1]
    for name, s, a, colour in (("paper: σ of eq. 2", aware, 1.0, METHOD_COLOURS["sanm"]),
                               ("code: its mean σ, area × 0.5", 0.045 + 0.03 * (1 - wg), 0.5, "#009e73")):
        h = {r_a: box_size(s, torch.full_like(wg, r_a), *size, a)[0] for r_a in (c.r1, 1.0, 1 / c.r1)}
        ax.fill_between(wg, h[c.r1], h[1 / c.r1], color=colour, alpha=0.2, step="mid",
                        label=f"{name}, r_a from {c.r1} to {1 / c.r1:.2f}")
        ax.step(wg, h[1.0], where="mid", color=colour, label=f"{name}, r_a = 1 (a square)")
    ax.set(xlabel="w: the sample's clean probability", ylabel="box height h (pixels, rounded)", ylim=(0, None),
           title=f"Eq. (4) on the {size[0]} × {size[1]} images: the box's height")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    return fig


def sanm_masked_pair(pair, v: Mapping[str, Any], to_img):
    """Eq. (5) on the walk-through's two images: each image, and its masked views ``v``
    (:func:`lnl.methods.sanm.amg`) at the activation maximum and minimum, each box outlined."""
    def caption(k, i):
        return f"σ = {float(v[k]['sigma'][i]):.3f}, {int(v[k]['box'][i, 2])} × {int(v[k]['box'][i, 3])} px"

    return image_grid([[to_img(pair.x[i]), to_img(v["max"]["x"][i]), to_img(v["min"]["x"][i])] for i in range(2)],
                      row_labels=[f"{p}\nw = {float(pair.w[i]):.2f}" for i, p in enumerate(pair.names)],
                      col_labels=["x", "x̃ max: box at A's maximum", "x̃ min: box at A's minimum"],
                      titles=[["", caption("max", i), caption("min", i)] for i in range(2)],
                      boxes=[[None, v["max"]["box"][i].tolist(), v["min"]["box"][i].tolist()] for i in range(2)],
                      size=2.2)[0]


def sanm_nlr_bars(targets: Mapping[str, Any], sigma, pair, trained):
    """Eq. (6)-(7) on the walk-through's two images: each target ŷ of ``targets`` (a row) beside
    its modulated ỹ^σ with the ratios ``sigma``, the given and the true label marked."""
    import matplotlib.pyplot as plt

    from lnl.methods.sanm import modulate_labels

    given, true = trained.labels
    classes, C = trained.ds.classes, trained.ds.num_classes
    fig, axes = plt.subplots(2, 2, figsize=(12, 6.4), sharey=True)
    for row, (name, y_hat) in zip(axes, targets.items()):
        y_mod = modulate_labels(y_hat, sigma)
        for i, ax in enumerate(row):
            ax.bar(np.arange(C) - 0.2, y_hat[i].cpu(), 0.4, color="#999999", label="ŷ")
            ax.bar(np.arange(C) + 0.2, y_mod[i].cpu(), 0.4, color=METHOD_COLOURS["sanm"], label="ỹ^σ (eq. 6-7)")
            ax.plot(int(given[pair.ids[i]]), 1.06, "v", color=NOISY_COLOUR, label="given label")
            ax.plot(int(true[pair.ids[i]]), 1.12, "*", color="black", markersize=9, label="true label")
            ax.set_xticks(np.arange(C), classes, rotation=45, ha="right", fontsize=7)
            ax.set(ylim=(0, 1.2), title=f"{pair.names[i]} image, σ = {float(sigma[i]):.3f}: {name}")
            ax.title.set_fontsize(8)
        row[0].set_ylabel("probability")
    axes[0, 1].legend(fontsize=7)
    return fig


def sanm_trace_grid(restored, n: int, epochs: int, arm: str):
    """SMR over training: the first ``n`` traced training images of a restored SANM run, and at
    ``epochs`` epochs (the first, the last, evenly between) their masked views x̃ and the decoder's
    reconstructions x̂ (``trace_masked``, ``trace_recon``), each column headed by its labels."""
    import torch

    ctx, prep = restored.ctx, restored.prep
    tm, tr = restored.method.trace_masked.float(), restored.method.trace_recon.float()    # [E, k, C, H, W]
    E, k = tm.shape[:2]
    n, show = min(n, k), ctx.data.to_display
    x0 = ctx.data.batch(torch.arange(k, device=ctx.device))
    rows, labels = [[show(x0[j]) for j in range(n)]], ["x"]
    for e in np.unique(np.linspace(1, E, epochs).round().astype(int)):
        rows += [[show(tm[e - 1, j].to(ctx.device)) for j in range(n)],
                 [show(tr[e - 1, j].to(ctx.device)) for j in range(n)]]
        labels += [f"x̃, epoch {e}", f"x̂, epoch {e}"]
    classes, given, true = restored.prep.dataset.classes, prep.labels, prep.true
    heads = [f"given {classes[int(given[j])]}" + ("" if given[j] == true[j] else f"\n(true {classes[int(true[j])]})")
             for j in range(n)]
    return image_grid(rows, row_labels=labels, col_labels=heads, size=1.3,
                      title=f"{arm}: masked views x̃ and the decoder's reconstructions x̂")[0]


def sanm_reconstruction_curve(mse, mse_mean: float, arm: str, k: int):
    """The reconstruction error per epoch (:func:`lnl.methods.sanm.reconstruction_errors`) of x̂
    and of x̃ of the ``k`` traced images, on a log scale, against the mean training image's."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    mse.plot(ax=ax, color=[METHOD_COLOURS["sanm"], "#999999"], marker="o", markersize=3)
    ax.axhline(mse_mean, color="#222222", lw=0.8, ls=":", label="the mean training image")
    epoch_axis(ax)
    ax.set(ylabel="MSE to x (normalised units)", yscale="log", title=f"{arm}: reconstruction of the {k} traced images")
    ax.legend()
    return fig


SANM_FORM_ROWS = (("activation map", "activation", "max"), ("mask ratio", "ratio", "max"),
                  ("box area (× 0.5)", "area_factor", "max"), ("anchor", "anchor", "max"), ("fill", "fill", "max"),
                  ("box at the minimum", "min_ratio", "min"), ("every form (variant)", None, "max"))


def sanm_forms_grid(net, pair, i: int, mean, std, seed: int, to_img):
    """Each of the official code's forms on its own (:data:`SANM_FORM_ROWS`: a row each, and one with
    every form, ``variant="code"``), on image ``i`` of the walk-through's pair: the paper's masked view
    (left) beside the code's (right), both from the same random draws (a generator of ``seed``)."""
    import torch

    from lnl.methods.sanm import CODE_FORMS, SANMConfig, amg
    from lnl.rng import torch_generator

    x = pair.x[i:i + 1]
    with torch.no_grad():
        out = net(x, features=True)
    rows, titles, boxes, labels = [], [], [], []
    for label, name, where in SANM_FORM_ROWS:
        code = SANMConfig(variant="code") if name is None else SANMConfig(**{name: CODE_FORMS[name]})
        row, tit, box = [], [], []
        for cfg in (SANMConfig(), code):
            g = torch_generator(seed, "sanm-tutorial", "forms", device=x.device)      # the same draws for both
            v = amg(net, x, out, pair.w[i:i + 1], cfg, mean, std, g)[where]
            b = v["box"][0]
            row.append(to_img(v["x"][0]))
            box.append(b.tolist())
            tit.append(f"{cfg.form(name) if name else cfg.variant}\nσ = {float(v['sigma'][0]):.3f}, "
                       f"{int(b[2])} × {int(b[3])} px")
        rows.append(row), titles.append(tit), boxes.append(box), labels.append(f"{label}\n(x̃ {where})")
    return image_grid(rows, row_labels=labels, col_labels=["paper", "code"], titles=titles, boxes=boxes,
                      size=2.0)[0]


def campaign_accuracy(section, profile: str):
    """Test accuracy per epoch of the runs a GPU campaign committed (:func:`lnl.campaign.section`)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    history_curves([f.record for f in section.found], "test_acc", ax, labels=[f.planned.label for f in section.found],
                   title=f"{profile} profile: test accuracy per epoch")
    return fig


def sanm_cell_curves(recs: Mapping[tuple, Any], S: Mapping[str, Any], arms: Sequence[str], dataset: str):
    """Test accuracy per epoch of ``arms`` in each noise cell of the SANM replication (settings
    ``S``), at its first seed (the cell's first seed where that one was not run there)."""
    import matplotlib.pyplot as plt

    seed0 = S["seeds"][0]
    fig, axes = plt.subplots(1, len(S["cells"]), figsize=(6.5 * len(S["cells"]), 4.4), squeeze=False)
    for ax, (kind, rate) in zip(axes[0], S["cells"]):
        seed = seed0 if (arms[0], kind, rate, seed0) in recs else S["cell_seeds"][0]
        history_curves([recs[a, kind, rate, seed] for a in arms], "test_acc", ax, labels=list(arms),
                       colours=series_colours(2), mark_best=True,
                       title=f"{dataset}, {noise_caption(recs[arms[0], kind, rate, seed])}")
    return fig


def sanm_w_detector(recs: Mapping[tuple, Any], S: Mapping[str, Any], host: str, arm: str):
    """SANM's clean probability w as a clean detector over training, one curve per noise cell at the
    first seed: its own GMM's AUROC (``sanm_w_auroc``) on CE, DivideMix's division (``w_net1_auroc``)
    on DivideMix."""
    import matplotlib.pyplot as plt

    seed0 = S["seeds"][0]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    cells = [(kind, rate) for kind, rate in S["cells"] if (arm, kind, rate, seed0) in recs]
    history_curves([recs[arm, kind, rate, seed0] for kind, rate in cells],
                   "sanm_w_auroc" if host == "CE" else "w_net1_auroc", ax,
                   labels=[f"{kind} {rate}" for kind, rate in cells], colours=series_colours(len(cells)),
                   title=f"{arm}: w as a clean detector, seed {seed0}", ylabel="AUROC")
    ax.axhline(0.5, color="#999999", lw=0.8, ls=":")
    return fig


def sanm_ladder_curve(lad, dataset: str, rate: float, seed: int):
    """Table 5's ladder (:func:`lnl.report.sanm_ladder`): our accuracy as each component is added,
    beside the paper's."""
    import matplotlib.pyplot as plt

    paper_col = next(c for c in lad.columns if c.startswith("Table 5"))
    n = len(lad)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    c_ours, c_paper = series_colours(2)
    ax.plot(range(n), lad["ours"], "o-", color=c_ours, label=f"ours: {dataset}, r = {rate}, seed {seed}")
    ax.plot(range(n), lad[paper_col], "s--", color=c_paper, label=f"Table 5: DivideMix, CIFAR-10, r = {rate}")
    ax.set(xticks=range(n), xticklabels=["host", "+AMG", "+NLR", "+SMR"],
           xlabel="component added", ylabel="test accuracy (%; ours: last 10)", title="SANM's components added in turn")
    ax.legend()
    return fig


def sanm_ratio_controls(records: Mapping[str, Any], dataset: str, rate: float, seed: int, sigma_b: float = 0.2):
    """Eq. (2) and its controls as curves of w (noise-aware, fixed, the code's draws, and the random
    control's range), and the test accuracy per epoch of SANM with each ratio (``records`` by name)."""
    import matplotlib.pyplot as plt
    import torch

    from lnl.methods.sanm import mask_ratio

    w = torch.linspace(0, 1, 101)
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
    for form, colour in zip(("noise-aware", "fixed", "code"), series_colours(3)):
        axes[0].plot(w, mask_ratio(w, sigma_b, form=form, generator=torch.Generator().manual_seed(0)), color=colour,
                     label=form, lw=1.6 if form != "code" else 0.8)
    lo, hi = mask_ratio(torch.ones(1), sigma_b).item(), mask_ratio(torch.zeros(1), sigma_b).item()
    axes[0].fill_between([0, 1], lo, hi, color="#bbbbbb", alpha=0.4, label="random: U(σ_b, (1 + κ) σ_b)")
    axes[0].set(xlabel="clean probability w", ylabel="mask ratio σ (share of the image)",
                title="Eq. (2) and its controls")
    axes[0].legend()
    history_curves(list(records.values()), "test_acc", axes[1], labels=list(records),
                   colours=series_colours(len(records)), title=f"{dataset}, r = {rate}, seed {seed}")
    return fig


# ---- ieg chapter ----

def ieg_views(data, x, x_hat, cutout: float, strong_aug: bool, show: int = 6):
    """The first ``show`` images x of a batch above their augmented views x̂ (IEG's §3.1: the
    policy, then Cutout of ``cutout`` times the side); ``data`` turns an image into pixels."""
    import matplotlib.pyplot as plt

    cmap = "gray_r" if x.shape[1] == 1 else None
    fig, axes = plt.subplots(2, show, figsize=(1.6 * show, 3.6))
    for k in range(show):
        axes[0, k].imshow(data.to_display(x[k]), cmap=cmap)
        axes[1, k].imshow(data.to_display(x_hat[k]), cmap=cmap)
        for ax in axes[:, k]:
            ax.set(xticks=[], yticks=[])
    axes[0, 0].set_ylabel("x")
    axes[1, 0].set_ylabel("x̂")
    side = int(round(cutout * min(x.shape[-2:])))
    fig.suptitle(f"x and its augmented view x̂ ({'RandAugment' if strong_aug else 'no policy'}, "
                 f"then Cutout of {side} × {side} pixels)")
    return fig


def ieg_pseudo_label_bars(z, z_hat, g, given, true, is_clean, classes: Sequence[str]):
    """Φ(x), Φ(x̂) and the pseudo label g (IEG's §2.2.1) over the classes, for the first clean and
    the first mislabelled image of a batch, with its given and true label marked."""
    import matplotlib.pyplot as plt
    import torch

    C = len(classes)
    probs = {"Φ(x)": torch.softmax(z, 1), "Φ(x̂)": torch.softmax(z_hat, 1), "g (sharpened mean)": g}
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), sharey=True)
    for ax, k, what in ((axes[0], 0, "clean"), (axes[1], int(np.sum(is_clean)), "mislabelled")):
        for s, (name, p) in enumerate(probs.items()):
            ax.bar(np.arange(C) + (s - 1) * 0.27, p[k].detach().cpu(), 0.27, label=name,
                   color=("#bbbbbb", "#888888", METHOD_COLOURS["ieg"])[s])
        ax.plot(int(given[k]), 1.05, "v", color=NOISY_COLOUR, label="given label")
        ax.plot(int(true[k]), 1.1, "*", color="black", markersize=10, label="true label")
        ax.set_xticks(np.arange(C), classes, rotation=45, ha="right", fontsize=7)
        ax.set(ylim=(0, 1.18), title=f"a {what} image of the batch", ylabel="probability")
    axes[1].legend(fontsize=8)
    return fig


def ieg_meta_bars(d_omega, omega_b, is_clean):
    """IEG's meta step per sample of a batch: the meta-gradient ∂L^p/∂ω and the weight ω*·B it
    becomes (1 = the uniform weight)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 3.8))
    split_bars(d_omega.cpu(), is_clean, axes[0], ylabel="∂L^p/∂ω_i", title="the meta-gradient: negative = helps the probe set")
    split_bars(omega_b.cpu(), is_clean, axes[1], ylabel="ω*_i · B", title="ω*: ReLU(−∂L^p/∂ω), normalised to sum to 1")
    axes[1].axhline(1, color="#999999", lw=0.8, ls=":")
    return fig


def ieg_virtual_bars(virtual, lr: float):
    """The change of the probe loss after each virtual step of ``virtual`` (rows: clean alone,
    mislabelled alone, ω₀, ω*)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 2.8))
    ax.barh(virtual.index, virtual["change"], color=[CLEAN_COLOUR, NOISY_COLOUR, "#999999", METHOD_COLOURS["ieg"]])
    ax.axvline(0, color="#222222", lw=0.8)
    ax.invert_yaxis()
    ax.set(xlabel="change of the probe loss L^p (nats)", title=f"One virtual SGD step of size α = {lr}")
    return fig


def ieg_weight_histograms(weights: Mapping[str, Mapping[str, np.ndarray]], epochs: int, cell: str):
    """Histograms of the positive ω*·B of clean and mislabelled samples at ``epochs`` epochs spread
    over training (first to last), one row per run of ``weights`` (:func:`lnl.report.meta_weights`);
    each title gives the share of each group whose weight is zero."""
    import matplotlib.pyplot as plt

    E = next(iter(weights.values()))["omega_trace"].shape[0]
    show = np.unique(np.linspace(1, E, epochs).round().astype(int))
    fig, axes = plt.subplots(len(weights), len(show), figsize=(4.3 * len(show), 6.4), sharex="row", squeeze=False)
    for row, (arm, W) in enumerate(weights.items()):
        tr = W["omega_trace"].astype(np.float32)
        cl = W["given"] == W["true"]
        bins = np.linspace(0, float(tr.max()), 31)
        for col, e in enumerate(show):
            kept = tr[e - 1] > 0
            split_histogram(tr[e - 1][kept], cl[kept], axes[row, col], bins=bins, density=True,
                            xlabel="ω*·B where ω* > 0",
                            title=f"{arm}, {cell}, epoch {e}\nω* = 0: {(~kept[cl]).mean():.0%} of "
                                  f"clean, {(~kept[~cl]).mean():.0%} of mislabelled")
    return fig


def ieg_omega_curves(l2r: Mapping[str, Any], ieg: Mapping[str, Any], cell: str):
    """ω* over training for an L2R and an IEG run: its AUROC as a clean detector (0.5: chance), and
    the mean ω*·B of each group."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 4))
    history_curves([l2r, ieg], "omega_auroc", axes[0], labels=["L2R (IEG-1)", "IEG"],
                   title=f"ω* as a clean detector, {cell}")
    axes[0].axhline(0.5, color="#999999", lw=0.8, ls=":")
    history_curves([l2r, ieg], ["omega_clean", "omega_noisy"], axes[1], labels=["L2R", "IEG"],
                   title="mean ω*·B per group (1 = uniform)", ylabel="ω*·B, mean over the group")
    return fig


def ieg_relabel_scatter(dist, d_lam, is_clean):
    """|∂L^p/∂λ_i| against ½‖y_i − g_i‖₁ for clean and mislabelled samples: IEG's Appendix, eq.
    (8)-(11), the λ-gradient vanishes where the pseudo label agrees with the label."""
    import matplotlib.pyplot as plt

    is_clean = np.asarray(is_clean, dtype=bool)
    fig, ax = plt.subplots(figsize=(7, 4))
    for mask, colour, name in ((is_clean, CLEAN_COLOUR, "clean"), (~is_clean, NOISY_COLOUR, "mislabelled")):
        ax.scatter(dist[mask], d_lam[mask], s=10, color=colour, alpha=0.6, label=name)
    ax.set(xlabel="½ ‖y_i − g_i‖₁: how far the pseudo label is from the given label", ylabel="|∂L^p/∂λ_i|",
           title=f"Appendix, eq. (8)-(11): the λ-gradient vanishes where g ≈ y ({len(dist)} images)")
    ax.legend()
    return fig


def history_pair(records: Sequence[Mapping[str, Any]], keys: Sequence[str], titles: Sequence[str], ylabel: str):
    """Shares (0 to 1) from the histories of two runs side by side, one panel each, same y axis."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 4), sharey=True)
    for ax, record, title in zip(axes, records, titles):
        history_curves(record, list(keys), ax, title=title, ylabel=ylabel)
        ax.set_ylim(0, 1)
    return fig


def ieg_mixup_examples(mx: Mapping[str, Any], data, y_probe, classes: Sequence[str], n: int):
    """The first ``n`` mixed samples anchored on a probe image (IEG's eq. 6, the pieces of
    :func:`lnl.methods.ieg.probe_mixup`): anchor, partner, mixed image and mixed target."""
    import matplotlib.pyplot as plt

    pool, perm, m, targets = mx["pool"], mx["perm"], mx["m"], mx["targets"]
    C, cmap = len(classes), "gray_r" if pool.shape[1] == 1 else None
    fig, axes = plt.subplots(n, 4, figsize=(12, 2.6 * n), gridspec_kw={"width_ratios": [1, 1, 1, 2.2]})
    for row, k in zip(axes, range(n)):
        b = int(perm[k])
        row[0].imshow(data.to_display(pool[k]), cmap=cmap)
        row[0].set_title(f"anchor x_a: probe, label {classes[int(y_probe[mx['pick'][k]])]}", fontsize=8)
        row[1].imshow(data.to_display(pool[b]), cmap=cmap)
        row[1].set_title(f"partner x_b: {mx['origin'][b]}, target argmax {classes[int(targets[b].argmax())]}",
                         fontsize=8)
        row[2].imshow(data.to_display(mx["x_mix"][k]), cmap=cmap)
        row[2].set_title(f"x_β, β = {float(m[k]):.2f}", fontsize=8)
        row[3].bar(np.arange(C), mx["t_mix"][k].cpu(), color=METHOD_COLOURS["ieg"])
        row[3].set_xticks(np.arange(C), classes, rotation=45, ha="right", fontsize=7)
        row[3].set(ylim=(0, 1.05), ylabel="y_β")
        for ax in row[:3]:
            ax.set(xticks=[], yticks=[])
    fig.suptitle("Mixup anchored on probe images (eq. 6), Beta(0.5, 0.5) coefficients")
    return fig


def ieg_coefficient_histograms(draws: Mapping[str, np.ndarray]):
    """Histograms of the paper's Beta(0.5, 0.5) and the code's 1 − U²/2 mixing coefficients (in
    this order) over their densities, 1/(π√(β(1 − β))) and 1/√(2(1 − β)) on [0.5, 1]."""
    import matplotlib.pyplot as plt

    grid = np.linspace(1e-3, 1 - 1e-3, 500)
    density = (1 / (np.pi * np.sqrt(grid * (1 - grid))), np.where(grid >= 0.5, 1 / np.sqrt(2 * (1 - grid)), 0.0))
    fig, ax = plt.subplots(figsize=(8, 4))
    for (name, m), d, colour in zip(draws.items(), density, (METHOD_COLOURS["ieg"], "#e69f00")):
        ax.hist(m, bins=50, range=(0, 1), density=True, alpha=0.45, color=colour, label=f"{name}: {len(m):,} draws")
        ax.plot(grid, d, color=colour, lw=1.2)
    ax.set(xlabel="mixing coefficient β: the anchor's share", ylabel="density", ylim=(0, 6),
           title="The mixup coefficient of the paper and of the official code")
    ax.legend()
    return fig


def ieg_loss_terms(terms, title: str):
    """The terms of IEG's total loss per epoch (:func:`lnl.report.ieg_loss_terms`)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    terms.plot(ax=ax, color=[CLEAN_COLOUR, "#56b4e9", "#e69f00", METHOD_COLOURS["ieg"], "#999999"])
    epoch_axis(ax)
    ax.set(ylabel="loss term as weighted in the total (nats)", title=title)
    return fig


def ieg_confidence_histograms(g_forms: Mapping[str, Any], rms: float):
    """Histograms of the pseudo labels' confidence max_c g_c under each form (IEG's paper, the
    code's ``logit_norm``)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6))
    for (name, g), colour in zip(g_forms.items(), (METHOD_COLOURS["ieg"], "#e69f00")):
        ax.hist(g.max(1).values.cpu(), bins=30, range=(1 / g.shape[1], 1), alpha=0.5, color=colour, label=name)
    ax.set(xlabel="max_c g_c: the pseudo label's confidence", ylabel="samples",
           title=f"Pseudo labels with and without logit_norm (logits' RMS {rms:.2f})")
    ax.legend()
    return fig


def cell_curves(recs: Mapping[tuple, Mapping[str, Any]], cells, arms: Sequence[str], key: str, titles: Sequence[str],
                chance: float | None = None, figsize=(13, 4.4), mark_best: bool = False):
    """One panel per (kind, rate, seed) of ``cells``: ``key`` over epochs for each of ``arms`` that
    has a record there (``recs[arm, kind, rate, seed]``), a dotted line at ``chance``."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(cells), figsize=figsize)
    for ax, (kind, rate, seed), title in zip(axes, cells, titles):
        present = [a for a in arms if (a, kind, rate, seed) in recs]
        history_curves([recs[a, kind, rate, seed] for a in present], key, ax, labels=present,
                       colours=series_colours(len(present)), mark_best=mark_best, title=title)
        if chance is not None:
            ax.axhline(chance, color="#999999", lw=0.8, ls=":")
    return fig


def ieg_probe_sweep(sweep, ce: float, probe: float, n_probe: int, title: str):
    """IEG's accuracy per probe size against CE on the noisy set and CE on the probe alone."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(list(sweep.index), list(sweep.values), "o-", color=series_colours(1)[0], label="IEG")
    ax.axhline(ce, color=METHOD_COLOURS["ce"], ls="--", label="CE on the noisy set")
    ax.axhline(probe, color="#999999", ls=":", label=f"CE on the probe alone ({n_probe} per class)")
    ax.set(xticks=list(sweep.index), xlabel="probe images per class", ylabel="last-10 test accuracy (%)", title=title)
    ax.legend()
    return fig


def ieg_ladder(lad, ladder: Sequence[str], rate: float, ours: str):
    """Table 7's ladder, ours beside the paper's at ``rate``, one component added per step."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    c_ours, c_paper = series_colours(2)
    ax.plot(ladder, lad.loc[ladder, "ours"], "o-", color=c_ours, label=ours)
    ax.plot(ladder, lad.loc[ladder, f"paper {rate:g}"], "s--", color=c_paper, label=f"Table 7: CIFAR-100, r = {rate}")
    ax.set(xlabel="Table 7's row (one component added per step)", ylabel="test accuracy (%; ours: last 10)",
           title="Each component added in turn: IEG-1 (L2R) to IEG-5 (IEG)")
    ax.legend()
    return fig
