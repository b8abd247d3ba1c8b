"""The ALR chapter's figures: target trajectories, the entropy term, memorisation and the λ ablation.

The phase boundary (:func:`phase_boundary`), the targets' mass on the given label
(:func:`target_trajectories`), the entropy term's push (:func:`hardening_curve`), ALR's Figure 4
(:func:`memorisation_grid`), a t-SNE map of clean samples (:func:`clean_tsne`), histories per noise cell
(:func:`arm_panels`, :func:`campaign_curves`) and the λ ablation (:func:`ablation_curves`).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from lnl.plot.figures import history_curves, memorisation_bars
from lnl.plot.style import CLEAN_COLOUR, METHOD_COLOURS, NOISY_COLOUR, _axes, epoch_axis, series_colours


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
