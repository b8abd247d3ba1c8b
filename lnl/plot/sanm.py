"""The SANM chapter's figures: where a network looks, the masks, NLR's targets and the replication.

The paper's Figure 1 (:func:`sanm_focus_grid`) and eq. (1)-(7) on the walk-through's images
(:func:`sanm_activation_maps`, :func:`sanm_ratios`, :func:`sanm_masked_pair`, :func:`sanm_nlr_bars`),
SMR over training (:func:`sanm_trace_grid`, :func:`sanm_reconstruction_curve`), the code's forms
(:func:`sanm_forms_grid`) and the replication's curves (:func:`campaign_accuracy`,
:func:`sanm_cell_curves`, :func:`sanm_w_detector`, :func:`sanm_ladder_curve`, :func:`sanm_ratio_controls`).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from lnl.plot.figures import history_curves, split_histogram
from lnl.plot.images import activation_overlay, image_grid, show_image
from lnl.plot.style import METHOD_COLOURS, NOISY_COLOUR, SPLIT_COLOURS, epoch_axis, noise_caption, series_colours


def sanm_focus_grid(trained, focus, n: int, columns: Mapping[str, str]):
    """The paper's Figure 1 on ``n`` test images of ``focus`` (:func:`lnl.walkthrough.sanm.focus_images`):
    each image, then the CAM of each network's (``columns``: ``{role: name}``) predicted class with
    its central share (:func:`lnl.walkthrough.sanm.centre_share`) and the central box dotted."""
    import matplotlib.pyplot as plt

    from lnl.walkthrough.sanm import centre_share

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
    """Eq. (1) on the walk-through's two images (:class:`lnl.walkthrough.sanm.Pair`): each image, then its
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
    """The reconstruction error per epoch (:func:`lnl.walkthrough.sanm.reconstruction_errors`) of x̂
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
