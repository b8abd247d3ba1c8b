"""The IEG chapter's figures: augmented views, the meta step, re-labelling and the replication.

The tutorial's views, pseudo labels and meta step on one batch (:func:`ieg_views`,
:func:`ieg_pseudo_label_bars`, :func:`ieg_meta_bars`, :func:`ieg_virtual_bars`), ω* and λ* over training
(:func:`ieg_weight_histograms`, :func:`ieg_omega_curves`, :func:`ieg_relabel_scatter`), the paper's and
the code's forms (:func:`ieg_mixup_examples`, :func:`ieg_coefficient_histograms`,
:func:`ieg_confidence_histograms`, :func:`ieg_loss_terms`), and the replication's curves
(:func:`cell_curves`, :func:`ieg_probe_sweep`, :func:`ieg_ladder`).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from lnl.plot.figures import history_curves, split_bars, split_histogram
from lnl.plot.style import CLEAN_COLOUR, METHOD_COLOURS, NOISY_COLOUR, epoch_axis, series_colours


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
    :func:`lnl.walkthrough.ieg.probe_mixup`): anchor, partner, mixed image and mixed target."""
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
