"""The Foundations pages' analysis, on hand-made records and hand-computed values."""

from __future__ import annotations

import json
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from lnl import data, plot, records, report  # noqa: E402


def _record(rate=0.25, epochs=((1, 0.5, 0.1, 0.8, 0.1, 0.9), (2, 0.8, 0.2, 0.6, 0.05, 0.9), (3, 0.7, 0.6, 0.3, 0.02, 0.8)),
            best=2, run_id="r", seed=0):
    """A CE record: per epoch (epoch, test_acc, noisy_acc_given, noisy_acc_true, grad_clean, grad_noisy)."""
    hist = [{"epoch": e, "test_acc": t, "noisy_acc_given": g, "noisy_acc_true": tr, "grad_clean": gc,
             "grad_noisy": gn, "loss_auroc": 0.9} for e, t, g, tr, gc, gn in epochs]
    accs = [h["test_acc"] for h in hist]
    return {"run_id": run_id, "config": {"rate": rate, "seed": seed}, "noise": {"rate_effective": rate},
            "data": {"num_classes": 10, "num_train": 1000}, "history": hist,
            "summary": {"test_acc_best": max(accs), "test_acc_last": accs[-1], "best_epoch": best,
                        "test_acc_last10": float(np.mean(accs)), "wall_time_s": 60.0},
            "provenance": {"git": {"sha": "abc"}, "device": "cpu"}}


def test_protocol_table_rows_in_order_with_sources():
    run = {"dataset": "digits", "model": "mlp", "train_per_class": None, "test_per_class": 50, "epochs": 30,
           "batch_size": 32, "lr": 0.05, "weight_decay": 5e-4}
    notes = {"data": "D", "model": "M", "optimiser": "O", "schedule": "S"}
    t = report.protocol_table(run, notes, {"kind": "cosine"}, [("seed", 0, "one seed")], column="digits")
    assert list(t.index) == ["data set", "training images per class", "model", "optimiser", "batch size",
                             "LR schedule", "epochs", "seed"]
    assert list(t.columns) == ["digits", "source"]
    assert t.loc["training images per class", "digits"] == "all"
    assert t.loc["optimiser", "digits"] == "SGD, lr 0.05, weight decay 0.0005"
    assert t.loc["LR schedule", "digits"] == "kind=cosine" and t.loc["epochs", "source"] == "S"  # no epochs note
    t = report.protocol_table(run, notes, test_images=True,
                              replace={"batch size": None, "optimiser": ("Adam", "paper")})
    assert list(t.index) == ["data set", "training images per class", "test images per class", "model",
                             "optimiser", "epochs"]
    assert t.loc["test images per class", "value"] == 50 and t.loc["optimiser", "source"] == "paper"


def test_rate_formula_of_both_conventions():
    assert report.rate_formula("symmetric", 0.5, 10) == 0.5
    assert report.rate_formula("symmetric-uniform", 0.5, 10) == pytest.approx(0.45)
    with pytest.raises(ValueError):
        report.rate_formula("pairflip", 0.5, 10)


def test_convention_rates_drawn_within_a_label_per_class():
    ds = data.load("digits")
    t, n = report.convention_rates(ds, (0.2, 0.5), seed=0)
    assert list(t.index) == [0.2, 0.5] and t.loc[0.5, "symmetric-uniform: formula"] == pytest.approx(0.45)
    assert ((t["symmetric: formula"] - t["symmetric: drawn"]).abs() < 10 / n).all()


def test_noise_gallery_and_its_effective_rates():
    ds = data.load("digits")
    panels = report.noise_gallery(ds, 0.4, human_label_set=None)
    assert len(panels) == 7 and not any(k.startswith("human") for k in panels)
    assert panels["asymmetric, CIFAR-10"]["rho"] == pytest.approx(0.2)       # 5 of 10 classes move
    assert panels["symmetric-uniform"]["rho"] == pytest.approx(0.36)
    T = panels[f"instance, realised on {ds.name}"]["T"]
    assert np.allclose(np.asarray(T).sum(1), 1)
    assert "not on this machine" in report.human_noise_note(panels, "worse")
    fig = plot.transition_gallery(panels, 0.4)
    assert len(fig.axes) == 8


def test_human_noise_note_names_the_largest_confusion():
    H = np.eye(3) * 0.7 + np.array([[0, 0.2, 0.1], [0.25, 0, 0.05], [0.1, 0.2, 0]])
    note = report.human_noise_note({"human (CIFAR-10N worse), realised": {"T": H, "classes": ["a", "b", "c"],
                                                                           "rho": 0.3}}, "worse")
    assert "ρ = 0.300" in note and "sends b to a (0.25)" in note


def test_memorisation_curve_and_its_checks():
    clean = _record(rate=0.0, epochs=((1, 0.9, 0, 0, 0.1, 0.1), (2, 0.95, 0, 0, 0.1, 0.1)), best=2)
    memo = report.memorisation_curve(clean, _record())
    assert memo == {"clean_best": 0.95, "clean_last": 0.95, "noisy_best": 0.8, "noisy_last": 0.7,
                    "best_epoch": 2, "last_epoch": 3, "given_at_best": 0.2, "given_last": 0.6,
                    "true_at_best": 0.6, "true_last": 0.3}
    checks = report.memorisation_checks(memo)
    assert [c.holds for c in checks] == [True, True, True, True, True]     # 0.6 / 0.2 = 3 > 2
    assert checks[4].value == pytest.approx(3.0)


def test_gradient_pull_by_hand():
    pull = report.gradient_pull(_record(rate=0.25))
    # epoch 1: ratio 0.9 / 0.1 = 9; share 0.25·0.9 / (0.75·0.1 + 0.25·0.9) = 0.225 / 0.3 = 0.75
    assert pull.loc[1, "ratio"] == pytest.approx(9) and pull.loc[1, "share"] == pytest.approx(0.75)
    assert pull.loc[3, "ratio"] == pytest.approx(40)
    fig = plot.gradient_pull(_record(), pull, "caption")
    assert len(fig.axes) == 2


def test_gmm_fits_on_separated_losses():
    rng = np.random.default_rng(0)
    is_clean = np.arange(200) < 150
    loss = np.where(is_clean, rng.uniform(0, 0.2, 200), rng.uniform(2, 3, 200))
    fits = report.gmm_fits(np.stack([loss, loss]), is_clean, (1, 2))
    assert set(fits) == {1, 2} and fits[1]["auroc"] == pytest.approx(1.0)
    assert fits[1]["w"].shape == (200,) and fits[1]["precision"] == pytest.approx(1.0)
    table = report.detection_table(fits)
    assert list(table.columns) == ["epoch 1", "epoch 2"] and "loss" not in table.index and "w" not in table.index


def test_noise_table_and_the_quoted_values():
    recs = {("digits", 0.4): _record(rate=0.4), ("digits", 0.8): _record(rate=0.8)}
    t = report.noise_table(recs, "symmetric")
    assert t.loc[("digits", 0.8), "ρ formula"] == 0.8 and t.loc[("digits", 0.4), "training images"] == 1000
    auroc = {k: np.array([0.9, 0.95, 0.85]) for k in recs}
    results = report.memorisation_table(recs, auroc, {"digits": 1})
    values = report.memorisation_values(results, "digits", (0.4, 0.8))
    assert values["main_40_best"] == 0.8 and values["main_80_best_epoch"] == 2
    assert values["main_40_auroc_best_epoch"] == 2 and isinstance(values["main_40_auroc_best_epoch"], int)
    assert values["main_80_auroc_early"] == 0.9 and values["main_80_rho"] == 0.8
    claims = report.memorisation_claims(results.loc["digits"], (0.4, 0.8), 0, spread=2.0)
    assert len(claims) == 7 and claims[0].diffs == {0: pytest.approx(10.0)} and claims[0].spread == 2.0
    assert claims[2].diffs == {0: 0.0}                                   # same best at both rates
    assert claims[4].diffs == {0: pytest.approx(0.05)} and claims[4].ours


def test_posterior_note_says_monotone_when_it_is():
    rng = np.random.default_rng(0)
    is_clean = np.arange(200) < 150
    loss = np.where(is_clean, rng.normal(0.1, 0.05, 200), rng.normal(2.5, 0.05, 200))
    splits = {("digits", 0.4): {"loss": loss[None], "auroc": np.array([1.0]), "is_clean": is_clean}}
    note = report.posterior_note(splits, {("digits", 0.4): _record()}, {"digits": 1})
    assert note == "The posterior falls monotonically with the loss in every panel."


def test_campaign_memorisation_adds_the_split_columns(tmp_path):
    path = tmp_path / "run.json"
    loss = np.where(np.arange(20) < 10, 0.1, 2.0)[None].repeat(2, 0) + np.linspace(0, 0.01, 20)
    np.savez(path.with_suffix(".npz"), loss=loss, given=np.r_[np.zeros(10), np.ones(10)].astype(int),
             true=np.zeros(20, int), epoch=np.array([1, 2]))
    found = [SimpleNamespace(planned=SimpleNamespace(key=("cifar10", 0.4)), path=path, record=_record()),
             SimpleNamespace(planned=SimpleNamespace(key=("cifar10", 0.8)), path=tmp_path / "none.json",
                             record=_record())]
    gpu = SimpleNamespace(found=found, table=lambda: pd.DataFrame({"run": ["a", "b"]}))
    t = report.campaign_memorisation(gpu, {"cifar10": 1})
    assert list(t["memorised (end)"]) == [0.6, 0.6]
    assert t["GMM AUROC @ GMM epoch"][0] == pytest.approx(1.0) and pd.isna(t["GMM AUROC last"][1])


def test_scan_keeps_records_and_names_the_rest(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "run.json").write_text(json.dumps({k: {} for k in records.REQUIRED_KEYS}))
    (tmp_path / "other.json").write_text(json.dumps({"config": {}}))
    (tmp_path / "broken.json").write_text("{")
    paths, skipped = records.scan([tmp_path, tmp_path / "missing"])
    assert paths == [tmp_path / "sub" / "run.json"]
    assert len(skipped) == 2 and any("other.json" in s and "lacks" in s for s in skipped)


def test_the_replications_figures_draw():
    rec = _record()
    split = {"loss": np.abs(np.random.default_rng(0).normal(size=(3, 40))), "epoch": np.array([1, 2, 3]),
             "is_clean": np.arange(40) < 30, "auroc": np.array([0.9, 0.95, 0.8])}
    assert len(plot.memorisation_pair([rec, _record(rate=0.8)], "digits", "symmetric").axes) == 2
    assert len(plot.split_panels({0.4: split, 0.8: split}, 1, "digits", {0.4: "a", 0.8: "b"}).axes) >= 2
    assert len(plot.split_and_accuracy({0.4: split}, {0.4: rec}, 1, "digits", "symmetric").axes) == 2
    ax = plot.split_over_epochs(rec, split, title="t")
    assert ax.get_legend() is not None
