"""Images as figures: one image (:func:`show_image`), a labelled grid of small images with outlined
boxes (:func:`image_grid`, SANM's masked views and reconstructions) and an activation map over an
image with its extremes marked (:func:`activation_overlay`, SANM's Figure 1 and AMG).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from lnl.plot.style import NOISY_COLOUR, _axes


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
        :func:`lnl.walkthrough.sanm.centre_share`).
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
