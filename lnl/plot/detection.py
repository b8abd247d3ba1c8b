"""The detection page's figures: each detector's AUROC over epochs (:func:`detection_auroc_curves`)
and the images a detector flags first (:func:`flagged_gallery`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lnl.plot.style import NOISY_COLOUR, _axes, series_colours


def detection_auroc_curves(table: Any, ax=None, *, cleanlab: float | None = None, title: str = ""):
    """Each arm's AUROC per epoch (``table``: :func:`lnl.report.auroc_over_epochs`, one column per
    arm) with cleanlab's single value after its folds as a dashed line, and chance at 0.5."""
    ax = _axes(ax)
    for (arm, curve), colour in zip(table.items(), series_colours(len(table.columns))):
        ax.plot(curve.index, curve.to_numpy(float), marker="o", ms=3, color=colour, label=arm)
    if cleanlab is not None and np.isfinite(cleanlab):
        ax.axhline(cleanlab, color="black", lw=1.2, ls="--", label="cleanlab (after its folds)")
    ax.axhline(0.5, color="grey", lw=0.8, ls=":")
    ax.set(xlabel="epoch", ylabel="AUROC, clean vs mislabelled", ylim=(0.3, 1.0), title=title)
    ax.legend(fontsize=7, loc="lower right", ncol=2)
    return ax


def _display(image: np.ndarray) -> np.ndarray:
    """``[C, H, W]`` uint8 as ``[H, W]`` (grey) or ``[H, W, 3]`` in [0, 1]."""
    x = np.asarray(image, dtype=float) / 255.0
    return x[0] if x.shape[0] == 1 else np.transpose(x, (1, 2, 0))


def flagged_gallery(block: Any, table: Any, title: str = "", size: float = 1.3):
    """The images of ``table`` (:func:`lnl.report.most_suspicious`: the samples a detector flags
    first, in order) from ``block``'s training images, titled "given → predicted"; a frame in the
    mislabelled colour marks those the truth says are mislabelled. Returns the figure."""
    import matplotlib.pyplot as plt

    n = len(table)
    cols = min(n, 6)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows + 0.6), squeeze=False,
                             layout="constrained")
    for ax in axes.flat:
        ax.axis("off")
    for ax, (i, row) in zip(axes.flat, table.iterrows()):
        ax.axis("on")
        image = _display(block.images[i])
        ax.imshow(image, cmap="gray_r" if image.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
        ax.set(xticks=[], yticks=[])
        ax.grid(False)
        ax.set_title(f"{row['given']} → {row['predicted']}", fontsize=7, fontweight="normal")
        for spine in ax.spines.values():
            spine.set(visible=True, color=NOISY_COLOUR if row["mislabelled"] else "lightgrey",
                      linewidth=2.5 if row["mislabelled"] else 0.8)
    fig.suptitle(title, fontsize=9)
    return fig
