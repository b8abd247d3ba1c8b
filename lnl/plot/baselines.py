"""The Baselines chapter's figures: Co-teaching, ELR and DivideMix walked through and over training.

Co-teaching's schedules, selection and history (:func:`keep_schedules`, :func:`selection_scatter`,
:func:`coteaching_history`); ELR's tug on one sample and its history (:func:`elr_tug`,
:func:`elr_history`); DivideMix's co-divide, co-refinement, sharpening and MixMatch
(:func:`codivide_history`, :func:`refine_grid`, :func:`sharpen_bars`, :func:`mixmatch_grid`); and each
run's clean detection over epochs (:func:`detection_curves`).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from lnl.plot.figures import history_curves
from lnl.plot.style import CLEAN_COLOUR, METHOD_COLOURS, NOISY_COLOUR, _axes, epoch_axis, series_colours


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
    """Co-teaching's selection on one batch (:func:`lnl.walkthrough.coteaching.selection_walk`): each
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
    (:func:`lnl.walkthrough.elr.hand_descent`)."""
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
    (:func:`lnl.walkthrough.dividemix.batch_walk`): each image with its true and given class and w,
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
    """MixMatch on rows ``rows`` of the pool (:func:`lnl.walkthrough.dividemix.mixmatch_walk`): each image,
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
