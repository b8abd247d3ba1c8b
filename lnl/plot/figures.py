"""The figures that several chapters share, each drawing on a given ``ax`` (a new one when ``None``).

A transition matrix (:func:`transition_heatmap`); per-epoch values from run records
(:func:`history_curves`); per-sample losses of clean and mislabelled samples with the GMM's P(clean)
(:func:`loss_histogram`); ALR's memorisation categories per epoch (:func:`memorisation_bars`); a value
over the 3-class probability simplex (:func:`simplex_grid`, :func:`simplex_heatmap`); and any
per-sample value split into clean and mislabelled samples (:func:`split_bars`, :func:`split_histogram`).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from lnl.plot.style import (CLEAN_COLOUR, KEY_LABELS, METHOD_COLOURS, NOISY_COLOUR, _KEY_COLOURS, _LINESTYLES, _axes,
                            epoch_axis, key_unit, noise_caption, series_colours)


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
