"""The MixNN chapter's figures: feature maps, the method's phases, mixing on real images and sweeps.

A t-SNE map of features (:func:`tsne_map`), MixNN's phases on an epoch axis (:func:`phase_lines`),
its §5 cases on real images (:func:`mixing_cases`) and Fig. 7c-d's parameter sweeps
(:func:`sweep_curves`).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from lnl.plot.style import METHOD_COLOURS, series_colours


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
    """MixNN's §5 on real images, one row per case of ``pairs`` (:func:`lnl.walkthrough.mixnn.typical_pairs`):
    the sample x_i, its neighbour, the mixed image x̃_i with GMM weights (eq. 4), and the mixed label
    ỹ_i (eq. 5) under GMM and AVG weights with the true class starred. ``mix``:
    :func:`lnl.walkthrough.mixnn.neighbour_mix` of those pairs with schemes ``gmm`` and ``avg``."""
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
