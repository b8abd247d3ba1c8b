"""The Baselines chapter's library functions, on hand-made inputs: the protocol and summary tables,
the claims on made-up records, Co-teaching's schedule and selection, ELR's hand-made sample and
DivideMix's batch walk-through (co-refinement, co-guessing, MixMatch), and the figures they draw."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from lnl import plot, report  # noqa: E402
from lnl.walkthrough import coteaching as coteaching_walk, dividemix as dividemix_walk, elr as elr_walk  # noqa: E402

PAPER = Path(__file__).resolve().parents[1] / "data" / "paper_tables"


def settings(**extra):
    notes = {k: f"note {k}" for k in ("data", "model", "optimiser", "schedule", "noise", "coteaching", "elr",
                                      "dividemix", "mixup", "wrong_tau")}
    return {"run": {"dataset": "digits", "train_per_class": 50, "test_per_class": None, "model": "mlp", "lr": 0.1,
                    "weight_decay": 5e-4, "batch_size": 32, "epochs": 6},
            "schedule": {"kind": "cosine"}, "noise": "symmetric", "rate": 0.8, "coteaching": {"t_k": 2},
            "elr": {}, "dividemix": {"warmup": 1}, "expect": "5 s", "notes": notes, **extra}


def test_protocol_table_of_a_tutorial_and_of_a_replication():
    t = report.baselines_protocol(settings(), "any CPU")
    assert list(t.index) == ["data set", "images per class (train / test)", "model", "optimiser", "LR schedule", "noise",
                             "Co-teaching", "ELR", "DivideMix", "expected time per run"]
    assert t.loc["images per class (train / test)", "value"] == "50 / all"
    assert t.loc["optimiser", "value"] == "SGD, lr 0.1, weight decay 0.0005, batch 32"
    assert t.loc["LR schedule", "value"] == "kind = cosine, 6 epochs"
    assert t.loc["noise", "value"] == "symmetric, r = 0.8"
    assert t.loc["ELR", "value"] == "defaults" and t.loc["expected time per run", "source"] == "any CPU"
    r = report.baselines_protocol(settings(cells=[("symmetric", 0.8), ("asymmetric", 0.4)], seeds=[0, 1], cell_seeds=[0],
                                       mixup={"alpha": 1}, wrong_tau=0.5,
                                       by_noise={"asymmetric": {"dividemix": {"lambda_u": 0}}}), "any CPU")
    assert r.loc["noise cells", "value"] == "symmetric 0.8; asymmetric 0.4"
    assert r.loc["seeds", "value"] == "0, 1 in the headline cell; 0 in the others"
    assert r.loc["Mixup", "value"] == "alpha = 1" and r.loc["Co-teaching, τ wrong", "value"] == "τ = 0.5 in the headline cell"
    assert r.loc["DivideMix", "value"] == "warmup = 1; asymmetric: lambda_u = 0"
    assert "noise" not in r.index


def test_one_protocol_layout_for_every_replication_with_noise_cells():
    """The shared rows first, the page's own next, the expected time last; each page says where its seeds run."""
    S = settings(cells=[("symmetric", 0.8), ("symmetric", 0.4)], seeds=[0, 1], cell_seeds=[0])
    S["notes"] = dict(S["notes"], cells="the low cell for one claim only")
    t = report.cells_protocol(S, "a laptop", [("IEG", "defaults", "paper")], seeds=("at r = 0.8", "at r = 0.4"))
    assert list(t.index) == ["data set", "images per class (train / test)", "model", "optimiser", "LR schedule",
                             "noise cells", "seeds", "IEG", "expected time per run"]
    assert t.loc["seeds", "value"] == "0, 1 at r = 0.8; 0 at r = 0.4"
    assert t.loc["noise cells", "source"].endswith(". the low cell for one claim only")
    assert t.loc["expected time per run", "value"] == "5 s" and t.loc["expected time per run", "source"] == "a laptop"


def record(arm="CE", best=0.5, last=0.4, last10=0.45, seed=0, detection="loss", history=None, wall=12.4):
    return {"run_id": f"{arm}-{seed}", "detection": detection, "config": {"seed": seed},
            "summary": {"test_acc_best": best, "test_acc_last": last, "test_acc_last10": last10, "best_epoch": 2,
                        "wall_time_s": wall},
            "history": history or [{f"{detection}_auroc": 0.6}, {f"{detection}_auroc": 0.7}]}


def test_run_line_summary_and_its_glue():
    assert report.run_line(record()) == "CE-0: test accuracy best 0.500, last 0.400 (12 s)"
    s = report.baselines_summary({"CE": record(), "Co-teaching": record(detection="small_loss", last=0.3)})
    assert s.loc["Co-teaching", "clean score"] == "−loss of net1" and s.loc["CE", "its AUROC, last epoch"] == 0.7
    g = report.summary_glue(s)
    assert g == {"ce_best": 0.5, "ce_last": 0.4, "ce_last10": 0.45,
                 "coteaching_best": 0.5, "coteaching_last": 0.3, "coteaching_last10": 0.45}


def test_nominal_share_by_hand():
    assert report.nominal_share("asymmetric", 0.4, 10) == 0.2
    assert report.nominal_share("symmetric-uniform", 0.8, 10) == pytest.approx(0.72)
    assert report.nominal_share("symmetric", 0.8, 10) == 0.8


def test_arm_groups_keep_the_extra_arm_in_the_headline_cell_only():
    recs = {(arm, kind, rate, s): record(arm, seed=s) for arm in ("CE", "ELR", "X") for kind, rate in
            (("symmetric", 0.8), ("symmetric", 0.4)) for s in (0, 1)}
    g = report.arm_groups(recs, [("symmetric", 0.8), ("symmetric", 0.4), ("asymmetric", 0.4)], ["CE", "ELR"], ["X"])
    assert list(g) == [("symmetric", 0.8, "CE"), ("symmetric", 0.8, "ELR"), ("symmetric", 0.8, "X"),
                       ("symmetric", 0.4, "CE"), ("symmetric", 0.4, "ELR")]
    assert [r["config"]["seed"] for r in g["symmetric", 0.4, "ELR"]] == [0, 1]


def test_baselines_claims_on_made_up_records():
    from lnl.plans import WRONG_TAU

    last10 = {"CE": 0.40, "Mixup": 0.43, "Co-teaching": 0.50, WRONG_TAU: 0.45, "DivideMix": 0.60, "ELR": 0.55}
    recs = {}
    for s in (0, 1):
        for arm, v in last10.items():
            hist = [{"w_net1_precision": None}, {"w_net1_precision": 0.8}, {"w_net1_precision": 1.0}]
            recs[arm, "symmetric", 0.8, s] = record(arm, best=0.5 if arm == "CE" else v, last10=v, seed=s,
                                                    history=hist)
        recs["ELR", "symmetric", 0.4, s], recs["CE", "symmetric", 0.4, s] = record(last10=0.62), record(last10=0.60)
    tables = {f: report.paper_table(PAPER / f) for f in report.BASELINES_TABLES}
    S = {"cells": [("symmetric", 0.8), ("symmetric", 0.4)], "wrong_tau": 0.5}
    claims = report.baselines_claims(recs, tables, S, memorised_drop=5.0, wide_margin=10.0, codivide_precision=0.9)
    means = [round(c.mean, 6) for c in claims]
    assert means == [10.0, 3.0, 5.0, 20.0, 0.9, 13.0]        # 50 − 40; 43 − 40; 50 − 45; 60 − 40; (0.8 + 1)/2; 15 − 2
    assert [c.threshold for c in claims] == [5.0, 0.0, 0.0, 10.0, 0.9, 0.0]
    assert "points too low costs" in claims[2].ours and "30 points" in claims[2].ours
    g = report.claims_glue(claims)
    assert g["claim4_ours"] == 20.0 and g["claim4_verdict"] == claims[3].verdict and len(g) == 12
    assert len(report.baselines_claims(recs, tables, {**S, "cells": S["cells"][:1]}, memorised_drop=5.0,
                                       wide_margin=10.0, codivide_precision=0.9)) == 5


def test_published_and_quoted_rows_from_the_repository_tables(tmp_path):
    parts = report.published_parts(PAPER)
    assert len(parts) == len(report.BASELINES_TABLES)
    assert all("(`" in title.data and len(rows) and conv.data.startswith("- ") for title, rows, conv in parts)
    q = report.quoted_rows(PAPER, "symmetric-uniform", 0.8)
    assert list(q.index) == ["CE", "Co-teaching", "ELR", "DivideMix"]
    assert q.loc["DivideMix", "as printed"].startswith("DivideMix (")
    assert report.quoted_rows(tmp_path, "symmetric-uniform", 0.8) is None
    off = report.quoted_rows(PAPER, "symmetric-uniform", 0.85)        # a page run off its plan's rates
    assert off["test accuracy (%)"].isna().all() and off["as printed"].str.contains("not printed at").all()


def test_coteaching_verdict_reads_either_way():
    ct, ce = record(last=0.3, best=0.4), record(last=0.35, best=0.5)
    text = report.coteaching_verdict(ct, ce, 10, 0.8, 0.4, 0.8)
    assert text.startswith("Co-teaching ends *below* CE here (0.300 against 0.350)")
    assert "From epoch 11 on each network learns from 20% of every batch, and that part is 40% clean" in text
    assert report.coteaching_verdict(ce, ct, 10, 0.8, 0.4, 0.8).startswith("Co-teaching ends above CE")


def test_keep_schedule_by_hand():
    k = coteaching_walk.keep_schedule(0.6, 3, 4)
    assert np.allclose(k["paper"], [1.0, 0.8, 0.6, 0.4])       # 1 − 0.6 min(e / 3, 1)
    assert np.allclose(k["code"], [0.7, 0.4, 0.4, 0.4])        # 1 − linspace(0, 0.6, 3)[e + 1], then 1 − τ


class Fixed(torch.nn.Module):
    """A "network" whose input already is its logits, times a factor."""

    def __init__(self, factor=1.0):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return self.factor * x


def test_selection_walk_and_table_by_hand():
    logits = torch.tensor([[3.0, 0.0], [0.0, 3.0], [1.0, 0.0], [0.0, 1.0], [2.0, 0.0], [0.0, 0.5]])
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    is_clean = np.array([True, False, True, True, False, True])
    ctx = SimpleNamespace(device=torch.device("cpu"), labels=labels,
                          data=SimpleNamespace(batch=lambda idx: logits[idx]), train_logits=lambda net: net(logits))
    method = SimpleNamespace(net1=Fixed(1.0), net2=Fixed(-1.0))
    walk = coteaching_walk.selection_walk(method, ctx, is_clean, 0.5, batch=6, seed=0)
    assert walk["bidx"].tolist() == list(range(6))
    assert torch.allclose(walk["loss_f"], F.cross_entropy(logits, labels, reduction="none"))
    assert walk["keep_f"].tolist() == [0, 2, 3]                 # the three smallest losses under f
    assert walk["keep_g"].tolist() == [1, 4, 5]                 # under g the logits flip sign
    t = coteaching_walk.selection_table(method, ctx, is_clean, walk)
    assert list(t.index) == ["this batch of 6", "whole training set"]
    assert t.loc["whole training set", "D̄_f: precision"] == 1.0
    assert t.loc["whole training set", "D̄_g: precision"] == pytest.approx(1 / 3)
    assert t.loc["whole training set", "kept by both: share of D̄_f"] == 0.0


def test_hand_sample_and_descent_by_hand():
    p0 = elr_walk.hand_sample(4, 0.6, 0.1)
    assert torch.allclose(p0, torch.tensor([[0.6, 0.1, 0.15, 0.15]]))
    path = elr_walk.hand_descent(p0, 0, 1, lam=0.0, beta=0.7, steps=2, eta=1.0, with_elr=False)
    z1 = np.log([0.6, 0.1, 0.15, 0.15]) - (np.array([0.6, 0.1, 0.15, 0.15]) - [0, 1, 0, 0])   # one CE step
    p1 = np.exp(z1) / np.exp(z1).sum()
    assert np.allclose(path, [[0.6, 0.1], [p1[0], p1[1]]], atol=1e-6)
    p = np.array([0.6, 0.1, 0.15, 0.15])
    s = p @ p                                                  # t = p0: ⟨p, t⟩
    z1 = np.log(p) - ((p - [0, 1, 0, 0]) + 2.0 * p * (s - p) / (1 - s))                      # CE + λ g, λ = 2
    p1 = np.exp(z1) / np.exp(z1).sum()
    path = elr_walk.hand_descent(p0, 0, 1, lam=2.0, beta=0.7, steps=2, eta=1.0)
    assert np.allclose(path[1], p1[:2], atol=1e-6)
    fixed = elr_walk.hand_descent(p0, 0, 1, lam=2.0, beta=0.7, steps=3, eta=1.0)
    ema = elr_walk.hand_descent(p0, 0, 1, lam=2.0, beta=0.7, steps=3, eta=1.0, ema_every=1)
    assert np.allclose(fixed[:2], ema[:2]) and not np.allclose(fixed[2], ema[2])   # the target moved after step 1


class Views:
    """Data whose ``batch`` returns rows of fixed logits, with a view number added to tell views apart."""

    def __init__(self, logits):
        self.logits, self.calls = logits, 0

    def batch(self, idx, generator=None, policy="none"):
        self.calls += 1
        return self.logits[idx] * (1 + 0.1 * (self.calls % 2))


def test_batch_walk_tables_and_mixmatch_by_hand():
    torch.manual_seed(0)
    N, C = 12, 3
    logits = torch.randn(N, C)
    labels, true = torch.arange(N) % C, torch.tensor([0, 1, 2] * 3 + [1, 2, 0])
    w = np.array([0.9, 0.8, 0.7, 0.6, 0.55, 0.95, 0.1, 0.2, 0.3, 0.4, 0.05, 0.15])
    ctx = SimpleNamespace(device=torch.device("cpu"), labels=labels, data=Views(logits))
    method = SimpleNamespace(config=SimpleNamespace(get=lambda name: {"tau": 0.5}[name], T=0.5),
                             net1=Fixed(1.0), net2=Fixed(2.0))
    walk = dividemix_walk.batch_walk(method, ctx, w, batch=4, seed=0)
    assert (w[walk["bx"].numpy()] >= 0.5).all() and (w[walk["bu"].numpy()] < 0.5).all()
    assert len(walk["bx"]) == len(walk["bu"]) == 4 and len(set(walk["bx"].tolist())) == 4
    p1, p2 = (torch.softmax(v, 1) for v in (walk["x1"], walk["x2"]))
    y = F.one_hot(labels[walk["bx"]], C).float()
    wx = torch.as_tensor(w[walk["bx"].numpy()], dtype=torch.float32)
    ybar = wx[:, None] * y + (1 - wx[:, None]) * (p1 + p2) / 2            # eq. (3)
    assert torch.allclose(walk["y_hat"], ybar ** 2 / (ybar ** 2).sum(1, keepdim=True), atol=1e-6)   # T = 0.5
    qbar = sum(torch.softmax(f * v, 1) for f in (1.0, 2.0) for v in (walk["u1"], walk["u2"])) / 4
    assert torch.allclose(walk["q_hat"], qbar ** 2 / (qbar ** 2).sum(1, keepdim=True), atol=1e-6)
    refine, guess, clean = dividemix_walk.walk_tables(walk, labels, true)
    assert np.array_equal(clean, (labels[walk["bx"]] == true[walk["bx"]]).numpy())
    assert refine["images"].tolist() == [int(clean.sum()), int((~clean).sum())]
    assert guess.iloc[0] == pytest.approx(float((labels[walk["bu"]] == true[walk["bu"]]).float().mean()))
    mix = dividemix_walk.mixmatch_walk(walk, alpha=4.0, seed=0)
    lam = float(np.random.default_rng(0).beta(4.0, 4.0))
    assert mix["lam"] == lam and mix["lam_prime"] == max(lam, 1 - lam) and mix["n_labelled"] == 8
    assert mix["pool"].shape[0] == 16 and torch.allclose(mix["targets"][4:8], walk["y_hat"])
    lp, perm = mix["lam_prime"], mix["perm"]
    assert torch.allclose(mix["x"], lp * mix["pool"] + (1 - lp) * mix["pool"][perm])
    assert torch.allclose(mix["p"].sum(1), torch.ones(16), atol=1e-6)


def test_the_chapter_figures_draw():
    hist = [{"keep_rate": 1.0 - 0.1 * e, "selected_precision": 0.5, "selected_recall": 0.5, "selection_overlap": 0.9,
             "test_acc_net1": 0.3, "test_acc_net2": 0.3, "test_acc_ensemble": 0.3, "test_acc": 0.3,
             "target_given_clean": 0.5, "target_given_noisy": 0.2, "target_given_auroc": 0.8, "loss_auroc": 0.7,
             "noisy_acc_given": 0.1, "w_net1_auroc": 0.8, "w_net1_precision": 0.7, "w_net1_recall": 0.6,
             "w_net2_auroc": 0.8, "w_net2_precision": 0.7, "w_net2_recall": 0.6, "epoch": e + 1} for e in range(3)]
    rec = {**record(history=hist), "method": "coteaching"}
    keep = {"this run": coteaching_walk.keep_schedule(0.6, 2, 3)}
    plot.keep_schedules({**keep, "paper": coteaching_walk.keep_schedule(0.6, 3, 5)}, {"this run": 2, "paper": 3}, 0.6,
                        logged=pd.Series(keep["this run"]["paper"], index=[1, 2, 3]))
    plot.coteaching_history(rec, rec, 0.5, "digits")
    plot.elr_history(rec, rec, "digits")
    plot.codivide_history(rec, 0.5, 1, 0.5, "digits")
    plot.elr_tug({"CE": torch.tensor([0.1, -0.2, 0.1]), "ELR": torch.tensor([-0.1, 0.1, 0.0])},
                 {"CE": np.array([[0.6, 0.1], [0.5, 0.3]])}, 0, 1)
    plot.sharpen_bars({1.0: torch.tensor([0.5, 0.3, 0.2]), 0.5: torch.tensor([0.7, 0.2, 0.1])}, 0, ["a", "b", "c"], "t")
    plot.detection_curves({"CE": rec}, "t")
    loss = torch.tensor([0.1, 1.0, 2.0, 0.5])
    plot.selection_scatter({"clean": torch.tensor([True, False, True, False]), "loss_f": loss, "loss_g": loss.flip(0),
                            "keep_f": torch.tensor([0, 3]), "keep_g": torch.tensor([0, 1])}, "t")
    plt.close("all")
