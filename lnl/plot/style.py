"""The book's one figure style: colours, labels and units that every chapter shares.

:func:`apply_style` sets the matplotlib style. A method keeps its colour in every chapter
(:data:`METHOD_COLOURS`, read from the method registry only when asked), and clean and mislabelled
samples keep theirs (:data:`CLEAN_COLOUR`, :data:`NOISY_COLOUR`, :data:`SPLIT_COLOURS`); other series take
:func:`series_colours`. :data:`KEY_LABELS` and :func:`key_unit` name a history key and its unit,
:func:`epoch_axis` labels an epoch axis, and :func:`noise_caption` writes a record's noise for a title.
"""

from __future__ import annotations

from typing import Any, Mapping


# Colours for methods that declare none (Tableau 10), in this order; those a method declares are skipped.
SPARE_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf")


class _MethodColours(Mapping):
    """A colour per method of :data:`lnl.methods.METHODS`, read from the registry when asked: the
    ``colour`` its class declares (Okabe-Ito and Tableau hues, distinct under common colour
    blindness), else a spare one by its place among the methods without one; and ``sanm``, SANM's
    own (:data:`lnl.methods.sanm.COLOUR`), for the regulariser's figures."""

    def _table(self) -> dict[str, str]:
        from lnl.methods import METHODS, sanm

        declared = {**{name: cls.colour for name, cls in METHODS.items() if cls.colour}, "sanm": sanm.COLOUR}
        spare = [c for c in SPARE_COLOURS if c not in declared.values()] or list(SPARE_COLOURS)
        undeclared = [name for name in METHODS if name not in declared]
        return {**declared, **{name: spare[i % len(spare)] for i, name in enumerate(undeclared)}}

    def __getitem__(self, method: str) -> str:
        return self._table()[method]

    def __iter__(self):
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


METHOD_COLOURS: Mapping[str, str] = _MethodColours()   # a method keeps its colour in every chapter
CLEAN_COLOUR = "#0072b2"      # correctly labelled samples: blue
NOISY_COLOUR = "#d55e00"      # mislabelled samples: vermilion
SPLIT_COLOURS = {"clean": CLEAN_COLOUR, "mislabelled": NOISY_COLOUR}
TEST_COLOUR = "#222222"

# What each history key means, and its unit (axis labels and legends).
KEY_LABELS: dict[str, str] = {
    "test_acc": "test accuracy",
    "train_acc": "train accuracy (given labels)",
    "clean_acc": "clean samples: predicted = label",
    "noisy_acc_given": "mislabelled: predicted = given label",
    "noisy_acc_true": "mislabelled: predicted = true label",
    "loss_clean": "clean samples: loss",
    "loss_noisy": "mislabelled samples: loss",
    "grad_clean": "clean samples: 1 − p_ỹ",
    "grad_noisy": "mislabelled samples: 1 − p_ỹ",
    "grad_coef_clean": "clean samples: pull of own label",
    "grad_coef_noisy": "mislabelled samples: pull of own label",
    "loss_auroc": "AUROC of the small-loss split",
    "w_mean": "mean P(clean) of the GMM",
    "w_clean_share": "share with P(clean) > 0.5",
    "lam_mean": "mean λ (own share of the mix)",
    "nn_same_label": "neighbour has the same given label",
    "t_relabelled": "share with argmax t ≠ given label",
    "target_given_clean": "clean samples: target mass on the label",
    "target_given_noisy": "mislabelled samples: target mass on the label",
    "entropy_pull_clean": "clean samples: entropy push on the label",
    "entropy_pull_noisy": "mislabelled samples: entropy push on the label",
    "entropy": "prediction entropy (nats)",
    "test_loss": "test loss",
    "train_loss": "training loss (batches)",
    "lr": "learning rate",
    "omega_auroc": "AUROC of the meta-step weights ω*",
    "omega_clean": "clean samples: ω*·B",
    "omega_noisy": "mislabelled samples: ω*·B",
    "lambda_clean": "clean samples: λ*",
    "lambda_noisy": "mislabelled samples: λ*",
    "pseudo_acc_clean": "clean samples: pseudo label = true label",
    "pseudo_acc_noisy": "mislabelled samples: pseudo label = true label",
    "test_acc_ema": "test accuracy, EMA weights",
    "test_acc_net": "test accuracy, live weights",
    "probe_loss": "probe loss after the look-ahead",
}
KEY_UNITS: dict[str, str] = {
    "acc": "accuracy (fraction of samples)",
    "loss": "cross-entropy (nats)",
    "grad": "gradient coefficient 1 − p_ỹ (mean)",
    "grad_coef": "gradient coefficient λ (t − p̃) at the given label (mean)",
    "auroc": "AUROC (clean vs mislabelled)",
    "lr": "learning rate",
}
_KEY_COLOURS = {"test_acc": TEST_COLOUR, "test_loss": TEST_COLOUR, "train_acc": "#999999",
                "train_loss": "#999999", "noisy_acc_true": "#009e73", "loss_auroc": "#6a3d9a"}
_LINESTYLES = ("-", "--", ":", "-.")


def apply_style() -> None:
    """The book's matplotlib style: seaborn's ``ticks`` theme, a readable size, no top/right spines."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(context="notebook", style="ticks", palette="colorblind", font_scale=0.9)
    mpl.rcParams.update({
        "figure.figsize": (6.4, 4.0), "figure.dpi": 100, "savefig.dpi": 150,
        "figure.constrained_layout.use": True,
        "axes.spines.top": False, "axes.spines.right": False, "axes.titlesize": "medium",
        "axes.titleweight": "bold", "legend.frameon": False, "legend.fontsize": "small",
        "lines.linewidth": 1.8, "image.cmap": "viridis",
    })


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def epoch_axis(ax, label: str = "epoch"):
    """Label the x axis ``epoch`` and put its ticks on whole epochs."""
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel(label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return ax


def key_unit(key: str) -> str:
    """The axis label of a history key, by its kind (``..._acc``, ``loss...``, ``grad...``)."""
    if key == "lr":
        return KEY_UNITS["lr"]
    if "auroc" in key:
        return KEY_UNITS["auroc"]
    if key.startswith("grad_coef"):       # the training batches' own-label pull (for CE: 1 − p_ỹ)
        return KEY_UNITS["grad_coef"]
    if key.startswith("grad"):
        return KEY_UNITS["grad"]
    if "loss" in key:
        return KEY_UNITS["loss"]
    if "acc" in key:
        return KEY_UNITS["acc"]
    return key


def noise_caption(record: Mapping[str, Any]) -> str:
    """``"<kind>, r = <nominal> (<effective> % of labels changed)"`` from a run record's ``noise``."""
    noise = record.get("noise", {})
    kind = noise.get("kind", record.get("config", {}).get("noise", "?"))
    if kind == "none":
        return "no added noise"
    eff = noise.get("rate_effective")
    changed = "" if eff is None else f" ({100 * eff:.1f} % of labels changed)"
    if kind == "human":
        return f"human labels ({noise.get('label_set') or 'default set'}){changed}"
    return f"{kind}, r = {noise.get('rate_nominal', record.get('config', {}).get('rate'))}{changed}"


def series_colours(n: int) -> list:
    """``n`` colours for series that are not methods (noise rates, data sets): seaborn's
    ``colorblind`` palette, the default colour cycle after :func:`apply_style`."""
    import seaborn as sns

    palette = sns.color_palette("colorblind", 10)
    return [palette[i % 10] for i in range(n)]
