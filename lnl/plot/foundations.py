"""The Foundations chapter's figures: noise models, memorisation and the small-loss split.

The transition matrix of every noise model (:func:`transition_gallery`), the gradient pull of
mislabelled against clean samples (:func:`gradient_pull`), CE's memorisation at several rates
(:func:`memorisation_pair`) and the GMM's split of the losses over epochs (:func:`split_over_epochs`,
:func:`split_panels`, :func:`split_and_accuracy`).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from lnl.plot.figures import history_curves, loss_histogram, transition_heatmap
from lnl.plot.style import KEY_UNITS, METHOD_COLOURS, NOISY_COLOUR, TEST_COLOUR, epoch_axis, series_colours


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
