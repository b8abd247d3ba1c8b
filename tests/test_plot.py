"""lnl.plot: every shared figure draws on an Agg canvas and sets the labels it promises."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")  # the book's extra: pip install -e '.[book]'
pytest.importorskip("seaborn")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from lnl import noise, plot  # noqa: E402
from lnl.methods import METHODS  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _record(method="ce", rate=0.6, epochs=4):
    hist = [{"epoch": e + 1, "test_acc": 0.5 + 0.1 * e, "noisy_acc_given": 0.02 * e, "noisy_acc_true": 0.5,
             "grad_clean": 0.8 - 0.1 * e, "grad_noisy": 0.9, "loss_auroc": None if e == 0 else 0.9}
            for e in range(epochs)]
    return {"config": {"method": method, "noise": "symmetric", "rate": rate},
            "noise": {"kind": "symmetric", "rate_nominal": rate, "rate_effective": rate}, "history": hist}


def test_style_and_colours_cover_every_method():
    plot.apply_style()
    assert set(plot.METHOD_COLOURS) == set(METHODS) | {"sanm"}
    assert len(set(plot.METHOD_COLOURS.values())) == len(plot.METHOD_COLOURS)
    assert plot.CLEAN_COLOUR != plot.NOISY_COLOUR
    assert matplotlib.rcParams["axes.spines.top"] is False


def test_transition_heatmap_draws_T_with_its_orientation():
    T = noise.transition_matrix("asymmetric", 10, 0.4, dataset="cifar10")
    ax = plot.transition_heatmap(T, [f"c{i}" for i in range(10)], title="asymmetric, r = 0.4")
    ax.figure.canvas.draw()
    assert ax.get_xlabel() == "given label ỹ" and ax.get_ylabel() == "true label y"
    assert ax.get_title() == "asymmetric, r = 0.4"
    assert [t.get_text() for t in ax.get_yticklabels()][:2] == ["c0", "c1"]
    assert np.allclose(ax.images[0].get_array(), T)
    assert any(t.get_text() == ".60" for t in ax.texts)          # annotated diagonal of moved classes


def test_transition_heatmap_hides_ticks_for_many_classes():
    fig, ax = plt.subplots()
    plot.transition_heatmap(noise.transition_matrix("asymmetric-blocks", 100, 0.4), ax=ax, cbar=True)
    fig.canvas.draw()
    assert len(ax.get_xticks()) == 0 and not ax.texts


def test_history_curves_one_record_colours_clean_and_mislabelled():
    ax = plot.history_curves(_record(), ["grad_clean", "grad_noisy"], title="CE, symmetric r = 0.6")
    ax.figure.canvas.draw()
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == plot.KEY_UNITS["grad"]
    assert all(float(t).is_integer() for t in ax.get_xticks())          # whole epochs
    assert ax.get_title() == "CE, symmetric r = 0.6"
    lines = ax.get_lines()
    assert lines[0].get_color() == plot.CLEAN_COLOUR and lines[1].get_color() == plot.NOISY_COLOUR
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [plot.KEY_LABELS["grad_clean"],
                                                                  plot.KEY_LABELS["grad_noisy"]]


def test_history_curves_several_records_and_missing_values():
    recs = [_record("ce", 0.4), _record("mixup", 0.4)]
    ax = plot.history_curves(recs, ["test_acc", "loss_auroc"], labels=["CE", "Mixup"], mark_best=True)
    ax.figure.canvas.draw()
    assert ax.get_ylabel() == plot.KEY_UNITS["acc"]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[0] == "CE: test accuracy" and texts[-1] == "Mixup: AUROC of the small-loss split"
    assert ax.get_lines()[0].get_color() == plot.METHOD_COLOURS["ce"]
    auroc = ax.get_lines()[2].get_ydata()                          # None in the history is a gap
    assert np.isnan(auroc[0]) and auroc[1] == pytest.approx(0.9)


def test_history_curves_default_labels_name_the_noise():
    ax = plot.history_curves([_record(rate=0.4), _record(rate=0.8)], "test_acc")
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["symmetric, r = 0.4 (40.0 % of labels changed)",
                     "symmetric, r = 0.8 (80.0 % of labels changed)"]
    with pytest.raises(ValueError):
        plot.history_curves([], "test_acc")


def test_loss_histogram_with_gmm_posterior():
    rng = np.random.default_rng(0)
    loss = np.concatenate([rng.gamma(1.0, 0.2, 300), rng.gamma(4.0, 0.8, 200)])
    is_clean = np.arange(500) < 300
    p_clean = 1 / (1 + np.exp(4 * (loss - 1.5)))
    ax = plot.loss_histogram(loss, is_clean, p_clean=p_clean, title="epoch 3")
    ax.figure.canvas.draw()
    assert ax.get_xlabel() == "per-sample loss, min-max normalised to [0, 1]"
    assert ax.get_ylabel() == "samples" and ax.get_title() == "epoch 3"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["clean (n = 300)", "mislabelled (n = 200)", "GMM: P(clean | loss)"]
    twin = [a for a in ax.figure.axes if a is not ax]
    assert twin and twin[0].get_ylabel() == "P(clean | loss)"


def test_loss_histogram_raw_losses_and_shape_check():
    ax = plot.loss_histogram(np.array([0.1, 0.2, 2.0]), np.array([True, True, False]), normalise=False,
                             density=True)
    assert ax.get_xlabel() == "per-sample cross-entropy (nats)" and ax.get_ylabel() == "density"
    with pytest.raises(ValueError):
        plot.loss_histogram(np.zeros(3), np.zeros(2, dtype=bool))


def test_series_colours_match_the_style_cycle():
    plot.apply_style()
    cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    assert [to_hex(c) for c in plot.series_colours(3)] == [to_hex(c) for c in cycle[:3]]


def test_memorisation_bars_stack_to_one():
    from lnl import report

    rec = {"history": [{"epoch": e, "clean_acc": 0.8, "noisy_acc_true": 0.5, "noisy_acc_given": 0.2}
                       for e in (1, 2, 3)]}
    ax = plot.memorisation_bars(report.memorisation_breakdown(rec), "mislabelled")
    tops = {round(p.get_y() + p.get_height(), 6) for p in ax.patches}
    assert len(ax.patches) == 9 and tops == {0.5, 0.7, 1.0}
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["correct", "memorised", "incorrect"]


def test_simplex_grid_and_heatmap():
    p = plot.simplex_grid(10)
    assert p.shape == (66, 3) and np.allclose(p.sum(1), 1) and (p > 0).all()
    ax = plot.simplex_heatmap(p, p[:, 0], colorbar="p₁")
    assert len(ax.collections) == 1 and len(ax.figure.axes) == 2


def test_split_bars_colour_each_sample_by_its_label():
    ax = plot.split_bars([0.5, -0.2, 0.1], [True, False, True], ylabel="∂L^p/∂ω", title="one batch")
    assert [to_hex(p.get_facecolor()) for p in ax.patches] == [plot.CLEAN_COLOUR, plot.NOISY_COLOUR,
                                                               plot.CLEAN_COLOUR]
    assert [round(p.get_height(), 6) for p in ax.patches] == [0.5, -0.2, 0.1]
    assert ax.get_ylabel() == "∂L^p/∂ω" and ax.get_title() == "one batch"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["clean (n = 2)", "mislabelled (n = 1)"]
    with pytest.raises(ValueError):
        plot.split_bars([1.0, 2.0], [True])


def test_split_histogram_counts_each_group_on_shared_bins():
    values = np.array([0.0, 0.0, 0.0, 1.0, 2.0, 3.0])
    is_clean = np.array([False, False, True, True, True, True])
    ax = plot.split_histogram(values, is_clean, bins=3, xlabel="ω*·B", log=True)
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 6 and sum(heights[:3]) == 4 and sum(heights[3:]) == 2   # clean, then mislabelled
    assert heights[3] == 2                                   # both mislabelled samples in the first bin
    assert ax.get_xlabel() == "ω*·B" and ax.get_ylabel() == "samples" and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["clean (n = 4)", "mislabelled (n = 2)"]
    ax2 = plot.split_histogram(values, is_clean, bins=[0, 1.5, 3], density=True)
    assert ax2.get_ylabel() == "density"
    with pytest.raises(ValueError):
        plot.split_histogram(values, is_clean[:2])


def test_image_grid_lays_out_rows_columns_labels_and_boxes():
    imgs = [[np.zeros((8, 8)), np.ones((8, 8, 3)) * 0.5], [np.eye(8), None]]
    fig, axes = plot.image_grid(imgs, row_labels=["x", "x̃"], col_labels=["a", "b"],
                                titles=[["t0", "t1"], ["t2", None]], boxes=[[(1, 2, 3, 4), None], [None, None]],
                                title="grid")
    fig.canvas.draw()
    assert axes.shape == (2, 2)
    assert axes[0, 0].get_title() == "a\nt0" and axes[1, 0].get_title() == "t2"
    assert axes[0, 0].get_ylabel() == "x" and axes[1, 0].get_ylabel() == "x̃"
    assert not axes[1, 1].axison                                              # None: an empty cell
    rect = axes[0, 0].patches[0]
    assert (rect.get_x(), rect.get_y(), rect.get_width(), rect.get_height()) == (1.5, 0.5, 4, 3)
    assert axes[0, 0].images[0].get_cmap().name == "gray_r" and fig._suptitle.get_text() == "grid"
    with pytest.raises(ValueError):
        plot.image_grid([])


def test_activation_overlay_stretches_the_map_and_marks_its_extremes():
    amap = np.arange(16.0).reshape(4, 4)
    ax = plot.activation_overlay(np.zeros((28, 28)), amap, marks={"max": (27, 27), "min": (0, 0)}, centre=0.5,
                                 title="CAM")
    ax.figure.canvas.draw()
    image, overlay = ax.images
    assert overlay.get_extent() == [-0.5, 27.5, 27.5, -0.5] and overlay.get_clim() == (0.0, 15.0)
    centre = ax.patches[0]
    assert (centre.get_x(), centre.get_y(), centre.get_width(), centre.get_height()) == (6.5, 6.5, 14, 14)
    assert [line.get_label() for line in ax.get_lines()] == ["max", "min"]
    assert ax.get_title() == "CAM"
    flat = plot.activation_overlay(np.zeros((8, 8)), np.full((1, 1), 2.0))   # a 1 x 1 map: one colour
    assert flat.images[1].get_clim() == (2.0, 3.0)
