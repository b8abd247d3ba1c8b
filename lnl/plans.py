"""Experiment plans: every page's runs at every profile, declared once.

A page of the book and ``scripts/gpu_campaign.py`` read the same plan: the notebook trains (or
loads) the runs of its profile through :func:`lnl.book.run_plan`, and a campaign on a GPU machine
trains the ``gpu`` (or ``paper``) plan of several pages at once and brings back their records.

A plan is a list of :class:`Planned` runs in priority order, by tier:

====  ===============  ===================================================================
tier  name             what
====  ===============  ===================================================================
0     headline         the page's main cells at seed 0: what its claims need first
1     more seeds       the same cells with the other seeds (error bars)
2     ablations+       one component changed at a time, other baselines, other conventions, and
                       runs a page uses on the side (the MixNN tutorial's warm-ups)
3     sweeps           hyper-parameter sweeps (figures, not claims)
====  ===============  ===================================================================

``SETTINGS[page][profile]`` holds every setting a page's runs depend on, with ``notes`` that give
the source of each (the pages print them as their protocol tables). :func:`settings` returns a
copy, :func:`plan` the runs. A page's notebook keeps only what does not change a run (figure
sizes, paper numbers it quotes) and the overrides papermill may set (seeds).

This module decides which runs exist, not what a run computes: it is left out of
:func:`lnl.records.source_hash`, and a run's identity is its config (:func:`lnl.engine.run_id`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any, Callable

from lnl.engine import RunConfig, Schedule, run_id

PROFILES = ("smoke", "cpu", "gpu", "paper")
TIERS = ("headline", "more seeds", "ablations+", "sweeps")
EXTRAS = ("features", "soft_labels", "weights")   # side outputs computed from a trained network (lnl.campaign)


@dataclass(frozen=True)
class Planned:
    """One run of a page's plan.

    ``key`` is how the page indexes it (e.g. ``(arm, noise, rate, seed)``); ``label`` says what it
    is in words. ``per_sample`` keeps every epoch's per-sample losses (``<run-id>.npz``),
    ``keep_state`` the trained networks (pages on the same machine restore them); ``extras`` names
    what a campaign computes from the trained network before it drops it (:data:`EXTRAS`), since a
    campaign never brings weights back.
    """

    page: str
    profile: str
    key: tuple
    label: str
    tier: int
    config: RunConfig
    per_sample: bool = False
    keep_state: bool = False
    extras: tuple[str, ...] = ()

    @property
    def run_id(self) -> str:
        return run_id(self.config)

    @property
    def part(self) -> str:
        """The book part (``mixnn`` of ``mixnn/replication``): records live in ``records/<part>``."""
        return self.page.split("/")[0]


# ----------------------------------------------------------------------------------------------
# Settings
# ----------------------------------------------------------------------------------------------

BOOK = "this book's profile budget"
_GPU_EXPECT = "minutes per run on one GPU: see the page's GPU section (measured, or estimated from FLOPs)"

# CIFAR-10 on one GPU: PreAct ResNet-18 (DivideMix's network), 60 epochs, cosine; crop + flip.
_CIFAR_GPU = dict(dataset="cifar10", model="preact-resnet18", train_per_class=None, test_per_class=None,
                  epochs=60, batch_size=128, lr=0.02)
_CIFAR_PAPER = dict(dataset="cifar10", model="resnet34", train_per_class=None, test_per_class=None,
                    epochs=300, batch_size=128, lr=0.02, weight_decay=1e-3)       # MixNN §6.1
_RESTARTS = dict(kind="cosine-restarts", t0=10, eta_min=0.001)                       # MixNN §6.1
_FASHION_NOTES = dict(data="Xiao et al. 2017; no augmentation, as in Co-teaching's MNIST protocol",
                      model="lnl.models.cnn: a small CNN that trains in minutes on 2 CPU cores",
                      optimiser="SGD, momentum 0.9 (lnl default)", schedule=f"cosine to 0; {BOOK}",
                      epochs=f"{BOOK}; long enough for the decay", gmm_epoch="early: before the test peak")
_CIFAR_NOTES = dict(data="CIFAR-10 (JPEG copy where the binary is absent); crop + flip",
                    model="PreAct ResNet-18, DivideMix's network", optimiser="SGD, momentum 0.9",
                    schedule=f"cosine to 0; {BOOK}", epochs=f"{BOOK} (MixNN: 300)",
                    gmm_epoch="MixNN Fig. 4: after 10 epochs")

# The book's cpu protocol: Fashion-MNIST, 300 training and 100 test images per class, the small CNN,
# 12 epochs. Foundations, Baselines, ALR and SANM use it, so that their CE runs are trained once.
_FASHION_CPU = dict(dataset="fashion_mnist", model="cnn", train_per_class=300, test_per_class=100, epochs=12,
                    batch_size=128, lr=0.02, weight_decay=5e-4)

FOUNDATIONS_TUTORIAL = {
    "smoke": dict(run=dict(dataset="digits", model="mlp", train_per_class=None, epochs=30,
                           batch_size=32, lr=0.05, weight_decay=5e-4),
                  schedule=dict(kind="cosine"), noise="symmetric", early_epoch=3, threads=1,
                  expect="about 3 s per run on 1 CPU core"),
    "cpu": dict(run=_FASHION_CPU, schedule=dict(kind="cosine"), noise="symmetric", early_epoch=3,
                expect="about 12 s per run on 1 CPU core (the SANM chapter's clean run, the ALR tutorial's noisy one)"),
    "gpu": dict(run=dict(_CIFAR_GPU, weight_decay=5e-4), schedule=dict(kind="cosine"), noise="symmetric",
                early_epoch=10, expect=_GPU_EXPECT),
    "paper": dict(run=_CIFAR_PAPER, schedule=_RESTARTS,
                  noise="symmetric-uniform",                               # MixNN's code
                  early_epoch=10, expect="hours per run on one GPU"),
}
for _s in FOUNDATIONS_TUTORIAL.values():
    _s.update(memo_rate=0.6)    # MixNN Fig. 2: CE on CIFAR-10 with 60 % symmetric noise

_FASHION = dict(name="Fashion-MNIST",
                run=dict(dataset="fashion_mnist", model="cnn", train_per_class=None, epochs=20, batch_size=128,
                         lr=0.02, weight_decay=5e-4),
                schedule=dict(kind="cosine"), gmm_epoch=3, notes=_FASHION_NOTES)
FOUNDATIONS_REPLICATION = {
    "smoke": dict(noise="symmetric", threads=1, experiments=[dict(
        name="digits",
        run=dict(dataset="digits", model="mlp", train_per_class=None, epochs=30, batch_size=32,
                 lr=0.05, weight_decay=5e-4),
        schedule=dict(kind="cosine"), gmm_epoch=3, expect="about 3 s per run on 1 CPU core",
        notes=dict(data="scikit-learn's 8x8 digits, embedded: seconds on any CPU", model="lnl.models.mlp",
                   optimiser="SGD, momentum 0.9 (lnl default)", schedule="cosine to 0",
                   epochs=BOOK, gmm_epoch="early: before the test peak"))]),
    "cpu": dict(noise="symmetric", experiments=[dict(
        _FASHION, run=_FASHION_CPU,
        expect="about 12 s per run on 1 CPU core (the Baselines chapter's CE runs)",
        notes=dict(_FASHION_NOTES, data="Xiao et al. 2017: the first 300 training images per class (3,000) and "
                                        "100 test images per class (1,000), "
                                        f"no augmentation; {BOOK}"))]),
    "gpu": dict(noise="symmetric", experiments=[
        dict(_FASHION, expect=_GPU_EXPECT),
        dict(name="CIFAR-10", run=dict(_CIFAR_GPU, weight_decay=5e-4), schedule=dict(kind="cosine"), gmm_epoch=10,
             expect=_GPU_EXPECT, notes=_CIFAR_NOTES)]),
    "paper": dict(noise="symmetric-uniform", experiments=[dict(
        name="CIFAR-10", run=_CIFAR_PAPER, schedule=_RESTARTS, gmm_epoch=10,
        expect="hours per run on one GPU",
        notes=dict(data="CIFAR-10 (JPEG copy where the binary is absent); crop + flip",
                   model="ResNet-34, MixNN §6.1", optimiser="SGD, momentum 0.9, MixNN §6.1",
                   schedule="cosine restarts every 10 epochs, 0.02 to 0.001, MixNN §6.1",
                   epochs="MixNN §6.1", gmm_epoch="MixNN Fig. 4: after 10 epochs"))]),
}
for _s in FOUNDATIONS_REPLICATION.values():
    _s.update(rates=(0.4, 0.8))   # MixNN Fig. 4: 40 % and 80 % symmetric noise

# The baselines every paper of the book compares with: CE, Co-teaching, ELR and DivideMix at 80 %
# symmetric noise, one run each on the same data, network and optimiser.
_BASELINE_NOTES = dict(
    coteaching="τ = the run's nominal rate (the paper assumes the noise rate known, §3); T_k given by this plan, "
               "longer than the paper's share of the run (§4: 10 of 200 epochs, 1 of these 12), so that R(T) "
               "falls over several epochs. The run's SGD, not the paper's Adam and its code's schedule "
               "(lnl.methods.coteaching.PRESETS holds those)",
    elr="β 0.7, λ 3: ELR's config_cifar10.json (the library's defaults)",
    dividemix="warm-up set by this plan (paper: 10 of 300 epochs); λ_u 25 on the code's L_U (a mean over "
              "classes: Table 7's λ_u were tuned for it), τ 0.5, T 0.5, α 4: DivideMix's code and Table 7 "
              "(CIFAR-10, 80 %); λ_u's ramp, 16 of the code's 300 epochs, kept as that share of the run "
              "(1 epoch of 12)",
    noise="symmetric: flip to one of the other C − 1 classes (Co-teaching's convention), 80 % of the labels "
          "changed")
BASELINES_TUTORIAL = {
    "smoke": dict(
        run=dict(dataset="digits", model="mlp", train_per_class=None, test_per_class=None, epochs=12,
                 batch_size=32, lr=0.05, weight_decay=5e-4),
        schedule=dict(kind="cosine"), noise="symmetric", threads=1,
        coteaching=dict(t_k=3), elr=dict(beta=0.7, lam=3.0), dividemix=dict(warmup=2),
        expect="1 s (CE) to 5 s (DivideMix) per run on 1 CPU core",
        notes=dict(_BASELINE_NOTES, data="scikit-learn's 8x8 digits, all 1,347 training images: seconds on any CPU",
                   model="lnl.models.mlp", optimiser="SGD, momentum 0.9 (lnl default), batch 32",
                   schedule="cosine to 0 over 12 epochs; this book's smoke budget")),
    "cpu": dict(
        run=_FASHION_CPU,
        schedule=dict(kind="cosine"), noise="symmetric",
        coteaching=dict(t_k=4), elr=dict(beta=0.7, lam=3.0), dividemix=dict(warmup=3, lambda_u=25.0),
        expect="about 15 s (CE, Mixup, ELR), 30 s (Co-teaching) and 45 s (DivideMix) per run on 2 CPU cores",
        notes=dict(_BASELINE_NOTES, data="Xiao et al. 2017: 300 training images per class (3,000), 100 test images "
                                         "per class, no augmentation; what fits the chapter's cpu budget",
                   model="lnl.models.cnn: a small CNN", optimiser="SGD, momentum 0.9 (lnl default), batch 128",
                   schedule=f"cosine to 0 over 12 epochs; {BOOK}")),
    "gpu": dict(
        # DivideMix's noise convention, as the replication's gpu cells: the two pages share these runs
        run=dict(_CIFAR_GPU, weight_decay=5e-4), schedule=dict(kind="cosine"), noise="symmetric-uniform",
        coteaching=dict(t_k=10), elr=dict(beta=0.7, lam=3.0), dividemix=dict(warmup=10),
        expect=_GPU_EXPECT,
        notes=dict(_BASELINE_NOTES, data="CIFAR-10 (JPEG copy where the binary is absent); crop + flip",
                   model="PreAct ResNet-18, DivideMix's network",
                   optimiser="SGD, momentum 0.9, weight decay 5e-4 (DivideMix's code), batch 128",
                   schedule=f"cosine to 0 over 60 epochs; {BOOK} (DivideMix: 300)",
                   noise="symmetric-uniform: redraw over all C classes (DivideMix's code); at r = 0.8, 72 % of "
                         "CIFAR-10's labels change",
                   coteaching="τ = the run's nominal rate (§3); T_k 10 epochs (§4), given as epochs, not as the "
                              "paper's share of the run. The run's SGD, not the paper's Adam and its code's "
                              "schedule (lnl.methods.coteaching.PRESETS holds those)",
                   dividemix="warm-up 10 epochs (DivideMix §4.1, CIFAR-10), given as epochs, not as the paper's "
                             "share of the run; λ_u 25 on the code's L_U (a mean over classes: Table 7's λ_u were "
                             "tuned for it), τ 0.5, T 0.5, α 4: its code and Table 7 (CIFAR-10, 80 %); λ_u's ramp, "
                             "16 of the code's 300 epochs, kept as that share of the run (3 epochs of 60)")),
    "paper": dict(
        # DivideMix's own settings (Train_cifar.py): PreAct ResNet-18, SGD lr 0.02, momentum 0.9,
        # weight decay 5e-4, batch 64, 300 epochs, LR ×0.1 at epoch 150; every method runs them
        run=dict(dataset="cifar10", model="preact-resnet18", train_per_class=None, test_per_class=None, epochs=300,
                 batch_size=64, lr=0.02, weight_decay=5e-4),
        schedule=dict(kind="multistep", milestones=(150,), gamma=0.1),
        noise="symmetric-uniform",       # DivideMix's code: redraw over all C classes, 72 % changed
        coteaching=dict(t_k=10), elr=dict(beta=0.7, lam=3.0), dividemix=dict(preset="c10-sym80"),
        expect="hours per run on one GPU",
        notes=dict(_BASELINE_NOTES, data="CIFAR-10; crop + flip", model="PreAct ResNet-18 (DivideMix §4.1)",
                   optimiser="SGD, momentum 0.9, weight decay 5e-4, batch 64 (DivideMix's Train_cifar.py)",
                   schedule="DivideMix §4.1: 300 epochs, LR 0.02, ×0.1 at epoch 150",
                   noise="symmetric-uniform: redraw over all C classes (DivideMix's code); 72 % changed",
                   coteaching="τ = the nominal rate 0.8 (§3), a little above the 72 % changed; T_k 10 (§4). "
                              "DivideMix's SGD schedule, not Co-teaching's Adam one "
                              "(lnl.methods.coteaching.PRESETS holds that)",
                   elr="β 0.7, λ 3 (ELR's config_cifar10.json); on DivideMix's schedule, not that file's "
                       "(ResNet-34, cosine restarts, 150 epochs: lnl.methods.elr.PRESETS['cifar10'])",
                   dividemix="preset c10-sym80: Table 7 (λ_u 25, τ 0.5, warm-up 10) with the code's L_U and "
                             "w > τ")),
}
for _s in BASELINES_TUTORIAL.values():
    _s.update(rate=0.8)     # DivideMix's Table 1 at its hardest setting but one


# The five baselines side by side, at three noise cells. The tutorial's runs at its rate and seed
# are this page's too: the same data, network, optimiser and method settings, so the same run ids.
BASELINE_ARMS = {       # the replication's rows: method and its settings key in the profile
    "CE": "ce", "Mixup": "mixup", "Co-teaching": "coteaching", "ELR": "elr", "DivideMix": "dividemix"}
WRONG_TAU = "Co-teaching, τ wrong"         # Co-teaching told a wrong noise rate (its claim)
_SHARED = ("run", "schedule", "threads", "coteaching", "elr", "dividemix")
_CELLS_CPU = (("symmetric", 0.8), ("symmetric", 0.5), ("asymmetric", 0.4))   # the headline cell first
BASELINES_REPLICATION = {
    "smoke": dict({k: v for k, v in BASELINES_TUTORIAL["smoke"].items() if k in _SHARED},
                  cells=_CELLS_CPU[:2],           # the asymmetric cell runs from the cpu profile on
                  seeds=(0, 1), cell_seeds=(0,), expect=BASELINES_TUTORIAL["smoke"]["expect"],
                  notes=BASELINES_TUTORIAL["smoke"]["notes"]),
    "cpu": dict({k: v for k, v in BASELINES_TUTORIAL["cpu"].items() if k in _SHARED},
                cells=_CELLS_CPU, seeds=(0, 1), cell_seeds=(0,),
                # the other cells test only claim 6 (ELR against CE) and serve the ALR chapter: the
                # costly arms run at the headline cell alone, to keep the book's cpu budget
                cell_arms=("CE", "ELR"), expect=BASELINES_TUTORIAL["cpu"]["expect"],
                notes=dict(BASELINES_TUTORIAL["cpu"]["notes"],
                           cells="Mixup, Co-teaching and DivideMix at the headline cell only; CE and ELR at "
                                 f"every cell; {BOOK}")),
    "gpu": dict({k: v for k, v in BASELINES_TUTORIAL["gpu"].items() if k in _SHARED},
                # DivideMix's Table 1 at 50 % and 80 %, in its code's convention
                cells=(("symmetric-uniform", 0.8), ("symmetric-uniform", 0.5)), seeds=(0, 1), cell_seeds=(0,),
                expect=_GPU_EXPECT, notes=BASELINES_TUTORIAL["gpu"]["notes"]),
    "paper": dict({k: v for k, v in BASELINES_TUTORIAL["paper"].items() if k in _SHARED},
                  cells=tuple(("symmetric-uniform", r) for r in (0.8, 0.2, 0.5, 0.9)),   # SANM Table 1's columns
                  seeds=(0, 1, 2), cell_seeds=(0, 1, 2), dividemix_presets=True,
                  expect="hours per run on one GPU", notes=dict(
                      BASELINES_TUTORIAL["paper"]["notes"],
                      dividemix="the Table 7 preset of each cell (c10-sym20 ... c10-sym90): λ_u, τ, warm-up, "
                                "the GMM window at 90 %, with the code's L_U and w > τ")),
}
for _s in BASELINES_REPLICATION.values():
    # Mixup at MixNN's α (Table IV's row); Co-teaching told τ = 0.5 where the noise is 80 %; under
    # asymmetric noise DivideMix's λ_u is 0 (Table 7, CIFAR-10 asym 40 %; its warm-up adds the
    # confidence penalty there by itself)
    _s.update(mixup=dict(alpha=1.0), wrong_tau=0.5, by_noise={"asymmetric": {"dividemix": dict(lambda_u=0.0)}})
    if _s["cells"][0][0] == "symmetric":
        _s["notes"] = dict(_s["notes"], noise="symmetric: flip to one of the other C − 1 classes (Co-teaching's "
                                              "convention), so the share changed is the nominal rate; asymmetric: the "
                                              "data set's class pairs (lnl.noise), about half the nominal rate changed")
    else:
        _s["notes"] = dict(_s["notes"], noise="symmetric-uniform: redraw over all C classes (DivideMix's code), so "
                                              "r (C − 1)/C of the labels change: 72 % of CIFAR-10's at r = 0.8")
    _s["notes"] = dict(_s["notes"], mixup="α = 1 (MixNN Table IV's Mixup row; Zhang et al. 2018 use 1 on CIFAR)",
                       wrong_tau="Co-teaching with τ = 0.5 at r = 0.8: a noise rate guessed 30 points too low")


MIXNN_TUTORIAL = {
    "smoke": dict(run=dict(dataset="digits", model="mlp", train_per_class=None, test_per_class=None,
                           epochs=20, batch_size=32, lr=0.05, weight_decay=5e-4),
                  schedule=dict(kind="cosine"), warmup_schedule=dict(kind="constant"),
                  mixnn=dict(warmup=3, e_s=4, alpha=0.7), noise="symmetric", tsne_points=500,
                  threads=1, expect="a few seconds per run on 1 CPU core"),
    "cpu": dict(run=dict(dataset="fashion_mnist", model="cnn", train_per_class=300, test_per_class=100,
                         epochs=20, batch_size=128, lr=0.02, weight_decay=1e-3),    # wd: MixNN §6.1
                schedule=dict(kind="cosine"), warmup_schedule=dict(kind="constant"),
                mixnn=dict(warmup=3, e_s=4, alpha=0.7), noise="symmetric", tsne_points=2000,
                expect="about 20 s (CE) and 25 s (MixNN) per run on 2 CPU cores"),
    "gpu": dict(run=dict(_CIFAR_GPU, weight_decay=1e-3), schedule=dict(kind="cosine"),
                warmup_schedule=dict(kind="constant"),
                mixnn=dict(warmup=10, e_s=12, alpha=0.9),    # warm-up §6.1; E_s at 60/300 of the run
                noise="symmetric", tsne_points=5000, expect=_GPU_EXPECT),
    "paper": dict(run=_CIFAR_PAPER, schedule=_RESTARTS, warmup_schedule=_RESTARTS,
                  mixnn=dict(warmup=10, e_s=60, alpha=0.9),                     # §6.1, Alg. 1
                  noise="symmetric-uniform",       # MixNN's code (DivideMix's generator)
                  tsne_points=5000, expect="hours per run on one GPU"),
}
for _s in MIXNN_TUTORIAL.values():
    _s.update(rep_rates=(0.4, 0.6),   # §4.1 measures the neighbourhoods at 40 % and 60 % noise
              # CE vs MixNN at 40 % (§6.6 measures label correction there): at the cpu, gpu and paper
              # profiles these are the replication's seed-0 runs at 40 %, trained once for both pages
              train_rate=0.4)

MIXNN_ARMS = {      # Table IV's rows: method and method_params
    "CE": ("ce", {}),
    "Mixup": ("mixup", {"alpha": 1.0}),
    "MixNN": ("mixnn", {}),
    "MixNN w/o weight estimation (AVG)": ("mixnn", {"weights": "avg"}),
    "MixNN w/o weight estimation (RDM)": ("mixnn", {"weights": "rdm"}),
    "MixNN w/o label correction": ("mixnn", {"correction": False}),
    "MixNN w/o K nearest neighbours": ("mixnn", {"partners": "random"}),
}
MIXNN_ABLATIONS = [a for a in MIXNN_ARMS if a != "CE"]
_SHORT = dict(      # schedules much shorter than 300 epochs: correction right after warm-up,
    warmup=3, e_s=4, alpha=0.7)  # EMA time constant 1/(1 − α) of a few epochs (tutorial, eq. 14)

MIXNN_REPLICATION = {
    "smoke": dict(
        name="digits", threads=1, expect="about 2 s per run on 1 CPU core",
        run=dict(dataset="digits", model="mlp", train_per_class=None, test_per_class=None, epochs=12,
                 batch_size=32, lr=0.05, weight_decay=5e-4),
        schedule=dict(kind="cosine"), mixnn=_SHORT,
        grid=dict(rates=(0.4, 0.8), seeds=(0, 1), ablation_seeds=(0,)),
        sweeps=dict(K=(1, 2), alpha=(0.5, 0.7)), tsne_points=300, min_lead=0,
        notes=dict(data="scikit-learn's 8x8 digits: seconds on any CPU", model="lnl.models.mlp",
                   schedule="cosine to 0; this book's smoke budget",
                   mixnn="warm-up 3, E_s 4, α 0.7: ours for 12 epochs (paper: 10, 60, 0.9 of 300; the defaults "
                         "would keep its share, warm-up 1 and E_s 2)")),
    "cpu": dict(
        name="Fashion-MNIST", expect="about 20 s (CE) to 25 s (MixNN) per run on 2 CPU cores",
        run=dict(dataset="fashion_mnist", model="cnn", train_per_class=300, test_per_class=100,
                 epochs=20, batch_size=128, lr=0.02, weight_decay=1e-3),
        schedule=dict(kind="cosine"), mixnn=_SHORT,
        # Mixup and the RDM ablation test none of the page's four claims, and CE under the code's noise
        # convention is compared with the paper's CE row on CIFAR-10 only: left out of the cpu budget
        grid=dict(rates=(0.4, 0.8), seeds=(0, 1), ablation_seeds=(0,), uniform_ce=(),
                  skip_arms=("Mixup", "MixNN w/o weight estimation (RDM)")),
        sweeps={}, tsne_points=1000, min_lead=10,      # the t-SNE map: 1,000 points fit the budget
        notes=dict(data="Xiao et al. 2017: 300 training images per class (3,000), 100 test images per "
                        "class, no augmentation; what fits this page's cpu budget",
                   model="lnl.models.cnn: a small CNN", schedule="cosine to 0 over 20 epochs; this book's cpu budget",
                   mixnn="warm-up 3, E_s 4, α 0.7: ours for 20 epochs (paper: 10, 60, 0.9 of 300; the defaults "
                         "would keep its share, warm-up 1 and E_s 4)")),
    "gpu": dict(
        name="CIFAR-10", expect=_GPU_EXPECT,
        run=dict(_CIFAR_GPU, weight_decay=1e-3),
        schedule=dict(kind="cosine"),
        mixnn=dict(warmup=10, e_s=12, alpha=0.9),
        grid=dict(rates=(0.4, 0.8), seeds=(0, 1), ablation_seeds=(0,), uniform_ce=(0.4, 0.8),
                  asymmetric=(0.4,)),
        sweeps=dict(K=(1, 2, 4), alpha=(0.85, 0.9, 0.95)), tsne_points=5000, min_lead=10,
        notes=dict(data="CIFAR-10 (JPEG copy where the binary is absent); crop + flip",
                   model="PreAct ResNet-18, DivideMix's network (paper: ResNet-34)",
                   schedule="cosine to 0 over 60 epochs (paper: restarts over 300), as the tutorial",
                   mixnn="warm-up 10 and α 0.9 (§6.1; the warm-up's share of the run would be 2); E_s 12: the "
                         "paper's 60/300 of the run")),
    "paper": dict(
        name="CIFAR-10", expect="hours per run on one GPU",
        run=_CIFAR_PAPER, schedule=_RESTARTS,
        mixnn=dict(warmup=10, e_s=60, alpha=0.9),
        grid=dict(rates=(0.2, 0.4, 0.6, 0.8), seeds=(0, 1, 2), ablation_seeds=(0, 1, 2),
                  kinds=("symmetric-uniform", "symmetric"), ablation_rates=(0.4, 0.8), asymmetric=(0.4,)),
        sweeps=dict(K=(1, 2, 3, 4), alpha=(0.85, 0.9, 0.95)), tsne_points=5000, min_lead=10,
        notes=dict(data="CIFAR-10; crop + flip", model="ResNet-34, MixNN §6.1",
                   schedule="MixNN §6.1: SGD restarts every 10 epochs, 0.02 to 0.001, 300 epochs",
                   mixnn="MixNN §6.1: warm-up 10, E_s 60, α 0.9, K 1")),
}
for _s in MIXNN_REPLICATION.values():
    _s.update(sweep_rate=0.8)   # Fig. 7c-d: the K and α sweeps at the top rate

# ALR on the Baselines replication's protocol (data, network, optimiser, schedule, ELR's settings),
# so that the two chapters share their CE and ELR runs. ALR's own settings are reconstructed
# (lnl.methods.alr): the defaults, with α scaled to runs much shorter than the 200 epochs of SELC.
ALR_ARMS = {"CE": "ce", "LR": "alr", "ALR": "alr", "ELR": "elr"}   # LR: ALR with entropy_weight = 0
_ALR_SHARED = ("run", "schedule", "threads", "elr")
ALR_REPLICATION = {
    "smoke": dict({k: v for k, v in BASELINES_TUTORIAL["smoke"].items() if k in _ALR_SHARED},
                  alr=dict(alpha=0.7), cells=(("symmetric", 0.8), ("symmetric", 0.4)), seeds=(0, 1),
                  cell_seeds=(0,), elr_cells=(("symmetric", 0.8),), lambdas=(1.0,), sweeps={},
                  tsne_points=500, expect="1 to 2 s per run on 1 CPU core",
                  notes=dict(BASELINES_TUTORIAL["smoke"]["notes"])),
    "cpu": dict({k: v for k, v in BASELINES_TUTORIAL["cpu"].items() if k in _ALR_SHARED},
                alr=dict(alpha=0.7), cells=(("symmetric", 0.8), ("symmetric", 0.4), ("asymmetric", 0.4)),
                seeds=(0, 1), cell_seeds=(0,), elr_cells=(("symmetric", 0.8), ("asymmetric", 0.4)),
                lambdas=(1.0,), sweeps={}, tsne_points=1000,
                expect="13 to 16 s per run on 2 CPU cores",
                notes=dict(BASELINES_TUTORIAL["cpu"]["notes"])),
    "gpu": dict({k: v for k, v in BASELINES_TUTORIAL["gpu"].items() if k in _ALR_SHARED},
                alr=dict(alpha=0.9), cells=(("symmetric-uniform", 0.8), ("symmetric-uniform", 0.4),
                                           ("asymmetric", 0.4)),
                seeds=(0, 1), cell_seeds=(0,), elr_cells=(("symmetric-uniform", 0.8),),
                lambdas=(0.3, 1.0), sweeps=dict(alpha=(0.7, 0.95), warmup=(0.1, 0.3)), tsne_points=5000,
                expect=_GPU_EXPECT, notes=dict(BASELINES_TUTORIAL["gpu"]["notes"])),
    "paper": dict({k: v for k, v in BASELINES_TUTORIAL["paper"].items() if k in _ALR_SHARED},
                  alr=dict(alpha=0.9),
                  cells=tuple(("symmetric-uniform", r) for r in (0.8, 0.2, 0.4, 0.6)) + (("asymmetric", 0.4),),
                  seeds=(0, 1, 2), cell_seeds=(0, 1, 2),
                  elr_cells=tuple(("symmetric-uniform", r) for r in (0.8, 0.2, 0.4, 0.6)) + (("asymmetric", 0.4),),
                  lambdas=(0.03, 0.3, 1.0), sweeps=dict(alpha=(0.7, 0.8, 0.95, 0.99), warmup=(0.05, 0.1, 0.3, 0.4)),
                  tsne_points=5000, expect="hours per run on one GPU",
                  notes=dict(BASELINES_TUTORIAL["paper"]["notes"])),
}
for _s in ALR_REPLICATION.values():
    kind = _s["cells"][0][0]
    _s.update(lambda_rates=tuple(r for k, r in _s["cells"] if k == kind)[:2],   # λ at the two symmetric rates
              sweep_rate=_s["cells"][0][1], tutorial_rate=0.4)               # Fig. 4: 40 % symmetric
    _s["notes"] = {k: v for k, v in _s["notes"].items() if k in ("data", "model", "optimiser", "schedule")}
    _s["notes"].update(
        alr=f"warm-up 0.2 of the run, λ 0.1, targets updated once per epoch (lnl.methods.alr's reconstructed "
            f"defaults); α {_s['alr']['alpha']}" + ("" if _s["alr"]["alpha"] == 0.9 else
                                                   ": SELC's 0.9 is for 200 epochs, 0.7 follows a run of a few "
                                                   "dozen epochs, as MixNN's and ELR's short-run settings"),
        lr="ALR with entropy_weight = 0: the same targets without the entropy term (the paper's LR)",
        elr="β 0.7, λ 3: ELR's config_cifar10.json; at the Baselines replication's cells only",
        noise=("symmetric: flip to one of the other C − 1 classes, the share changed is the nominal rate"
               if kind == "symmetric" else "symmetric-uniform: redraw over all C classes (DivideMix's code): "
               "r (C − 1)/C changed, 72 % at r = 0.8") + "; asymmetric: the data set's class pairs")
ALR_TUTORIAL = {p: dict(ALR_REPLICATION[p]) for p in PROFILES}   # the replication's runs at 40 %


# IEG on its own protocol: every arm (CE included) trains on the same noisy set, from which the clean
# probe (``probe_per_class`` per class) was held out before the noise was drawn, under IEG's noise
# convention (uniform over all C classes, the true one included). The cpu data are small because an
# IEG step costs several CE steps (two views, a mixup pass over 3B images, the meta step).
IEG_ARMS = {"CE": ("ce", {}), "L2R": ("ieg", {"ablation": "IEG-1"}), "IEG": ("ieg", {})}
PROBE_ONLY = "CE on the probe alone"      # a reference: what the clean images give without the noisy ones
_IEG_NOTES = dict(
    ieg="p 5, k 20, T 1, K 2, τ 0.5, λ₀ 0.9, mixup Beta(0.5, 0.5): §2-3.2 and the code; paper forms of the "
        "supervised losses, logits, mixup coefficient and look-ahead (lnl.methods.ieg): the look-ahead is the "
        "exact momentum update at the optimiser's LR and momentum (§2.1); x̂ ends with Cutout of half the image "
        "side (§3.1; the code's 16 of 32 px); EMA 0.999 of the weights evaluated, as the code; every setting's "
        "source: lnl defaults ieg",
    l2r="IEG-1 of Table 7: the meta re-weighting alone, on the given labels (Ren et al. 2018)",
    probe="10 images per class held out, class-balanced, before the noise is drawn (§3.2; code: "
          "probe_dataset_hold_ratio); every arm trains on the rest, so all see the same noisy set",
    noise="uniform: with probability r the label is redrawn over all C classes, the true one included "
          "(IEG's code): r (C − 1)/C changed, 72 % at r = 0.8; exact counts per class")
IEG_REPLICATION = {
    "smoke": dict(
        run=dict(dataset="digits", model="mlp", train_per_class=None, test_per_class=None, epochs=6,
                 batch_size=64, lr=0.05, weight_decay=5e-4, probe_per_class=5),
        schedule=dict(kind="cosine"), threads=1, ieg=dict(ema=0.99),
        seeds=(0, 1), cell_seeds=(0,), cell_arms=("CE", "L2R", "IEG"), probe_sizes=(1, 2),
        ladder=("IEG-2", "IEG-3", "IEG-4"), more_ablations=(), expect="1 to 4 s per run on 1 CPU core",
        notes=dict(_IEG_NOTES, data="scikit-learn's 8x8 digits (1,347 training images), 5 per class held out "
                                    "as the probe: seconds on any CPU", model="lnl.models.mlp",
                   optimiser="SGD, momentum 0.9 (lnl default), batch 64, lr 0.05, weight decay 5e-4",
                   schedule="cosine to 0 over 6 epochs; this book's smoke budget",
                   probe="5 images per class held out before the noise (digits has 135 per class)")),
    "cpu": dict(
        run=dict(dataset="fashion_mnist", model="cnn", train_per_class=100, test_per_class=100, epochs=12,
                 batch_size=128, lr=0.02, weight_decay=5e-4, probe_per_class=10),
        schedule=dict(kind="cosine"), ieg=dict(),
        seeds=(0, 1), cell_seeds=(0,), cell_arms=("CE", "IEG"), probe_sizes=(1, 5),
        ladder=("IEG-2", "IEG-3", "IEG-4"), more_ablations=(), expect="5 s (CE) to 25 s (IEG) per run on 2 CPU cores",
        notes=dict(_IEG_NOTES, data="Xiao et al. 2017: the first 100 training images per class, of which 10 per "
                                    "class are the probe (900 noisy, 100 clean), 100 test images per class, no "
                                    f"augmentation but RandAugment and Cutout for x̂; {BOOK}",
                   model="lnl.models.cnn: a small CNN", optimiser="SGD, momentum 0.9, batch 128, lr 0.02, "
                   "weight decay 5e-4 (the book's cpu settings; paper: batch 100, lr 0.1)",
                   schedule=f"cosine to 0 over 12 epochs (paper: warm restarts); {BOOK}")),
    "gpu": dict(
        run=dict(dataset="cifar10", model="resnet29", train_per_class=None, test_per_class=None, epochs=60,
                 batch_size=100, lr=0.1, weight_decay=5e-4, probe_per_class=10),
        schedule=dict(kind="cosine"), ieg=dict(),
        seeds=(0,), cell_seeds=(0,), cell_arms=("CE", "L2R", "IEG"), probe_sizes=(1, 5),
        ladder=("IEG-2", "IEG-3", "IEG-4"), more_ablations=("IEG-6", "IEG-7", "IEG-8", "EG"), expect=_GPU_EXPECT,
        notes=dict(_IEG_NOTES, data="CIFAR-10 (JPEG copy where the binary is absent); crop + flip, then "
                                    "RandAugment and Cutout for x̂ (paper: AutoAugment and Cutout)",
                   model="ResNet-29 (pre-activation v2), the paper's smaller network (IEG-RN29 of Table 1)",
                   optimiser="SGD, momentum 0.9, batch 100, lr 0.1, weight decay 5e-4 (§3, the code)",
                   schedule=f"cosine to 0 over 60 epochs (paper: warm restarts, about 400 epochs); {BOOK}")),
    "paper": dict(
        run=dict(dataset="cifar10", model="wrn-28-10", train_per_class=None, test_per_class=None, epochs=200,
                 batch_size=100, lr=0.1, weight_decay=5e-4, probe_per_class=10),
        schedule=dict(kind="cosine-restarts", t0=1, t_mult=2), ieg=dict(),
        seeds=(0, 1, 2), cell_seeds=(0, 1, 2), cell_arms=("CE", "L2R", "IEG"), probe_sizes=(1, 5),
        ladder=("IEG-2", "IEG-3", "IEG-4"), more_ablations=("IEG-6", "IEG-7", "IEG-8", "EG"),
        expect="hours per run on one GPU",
        notes=dict(_IEG_NOTES, data="CIFAR-10; crop + flip, then RandAugment and Cutout for x̂ (paper: AutoAugment "
                                    "and Cutout)",
                   model="WRN-28-10 (§3.2)", optimiser="SGD, momentum 0.9, batch 100, lr 0.1, weight decay 5e-4",
                   schedule="warm restarts from a 1-epoch cycle; the paper's cycles grow by 1.5 and each peak "
                            "by 0.9, which lnl.engine.Schedule approximates by doubling; 200 epochs (the "
                            "code's README: enough for the reported results)")),
}
for _s in IEG_REPLICATION.values():
    _s.update(cells=(("symmetric-uniform", 0.8), ("symmetric-uniform", 0.4)),   # Table 1's 80 % and 40 %
              tutorial_rate=0.4)                                                 # Fig. 2: 40 % on CIFAR-10
IEG_TUTORIAL = {p: dict(IEG_REPLICATION[p]) for p in PROFILES}   # the replication's IEG and L2R runs


# SANM plugged into a host: at cpu the Baselines replication's CE (the same settings, so the same
# runs), at gpu and paper its DivideMix. SANM's own settings are its paper defaults
# (lnl.methods.sanm); Table 5's ladder and Fig. 2/4's mask-ratio controls run at the headline cell.
SANM_LADDER = ("amg", "amg+nlr")                 # Table 5's rungs below SANM (amg+nlr+smr)
SANM_RATIOS = ("fixed", "random")                # Fig. 2 / Fig. 4's controls of the noise-aware ratio
SANM_TARGETS = ("host",)       # NLR's other target on a CE host: the given label instead of the prediction (§2.4)
_SANM_NOTES = dict(
    sanm="σ_b 0.2 (§3.3), κ 1 (eq. 2 reconstructed), r_1 0.8 (code), γ 1 (§3.1), the paper's forms: CAM of the "
         "predicted class, centred boxes of noise, a smaller box at the activation minimum, NLR on the "
         "network's prediction on the unmasked image (§2.5; DivideMix: its targets, built from the predictions); "
         "every setting's source: lnl defaults sanm-<host>",
    c2d="SANM(C2D) is not run: C2D's self-supervised pre-trained weights are not available offline; its rows "
        "are read from the paper's tables")
SANM_REPLICATION = {
    "smoke": dict(
        run=dict(BASELINES_TUTORIAL["smoke"]["run"], epochs=6, batch_size=64),
        schedule=dict(kind="cosine"), threads=1, host="ce", host_params={}, sanm=dict(start=1),
        cells=(("symmetric", 0.8), ("symmetric", 0.5)), seeds=(0, 1), cell_seeds=(0,),
        expect="1 to 3 s per run on 1 CPU core",
        notes=dict(_SANM_NOTES, data=BASELINES_TUTORIAL["smoke"]["notes"]["data"],
                   model="lnl.models.mlp (a 1 x 1 feature map: the boxes are placed, not found)",
                   optimiser="SGD, momentum 0.9, batch 64, lr 0.05, weight decay 5e-4",
                   schedule="cosine to 0 over 6 epochs; this book's smoke budget", host="CE",
                   noise="symmetric: flip to one of the other C − 1 classes (the Baselines chapter's convention)")),
    "cpu": dict(
        run=dict(BASELINES_REPLICATION["cpu"]["run"]), schedule=dict(BASELINES_REPLICATION["cpu"]["schedule"]),
        host="ce", host_params={}, sanm=dict(start=1),
        cells=(("symmetric", 0.8), ("symmetric", 0.5)), seeds=(0, 1), cell_seeds=(0, 1),
        expect="about 12 s (CE) and 30 to 40 s (SANM(CE)) per run on 1 CPU core",
        notes=dict(_SANM_NOTES, **{k: v for k, v in BASELINES_REPLICATION["cpu"]["notes"].items()
                                   if k in ("data", "model", "optimiser", "schedule", "noise")},
                   host="CE, the Baselines replication's runs (Table 6's SANM(CE) rows); SANM's masks from epoch 2, "
                        "once a GMM on CE's losses has something to separate")),
    "gpu": dict(
        run=dict(BASELINES_REPLICATION["gpu"]["run"]), schedule=dict(BASELINES_REPLICATION["gpu"]["schedule"]),
        host="dividemix", host_params=dict(BASELINES_REPLICATION["gpu"]["dividemix"]), sanm=dict(),
        cells=(("symmetric-uniform", 0.8), ("symmetric-uniform", 0.5)), seeds=(0, 1), cell_seeds=(0,),
        expect=_GPU_EXPECT,
        notes=dict(_SANM_NOTES, **{k: v for k, v in BASELINES_REPLICATION["gpu"]["notes"].items()
                                   if k in ("data", "model", "optimiser", "schedule", "noise", "dividemix")},
                   host="DivideMix, the Baselines replication's gpu runs (Table 1's SANM(DivideMix) rows)")),
    "paper": dict(
        run=dict(BASELINES_REPLICATION["paper"]["run"]), schedule=dict(BASELINES_REPLICATION["paper"]["schedule"]),
        host="dividemix", host_params={}, sanm=dict(), dividemix_presets=True,
        cells=tuple(("symmetric-uniform", r) for r in (0.8, 0.5, 0.2, 0.9)), seeds=(0, 1, 2), cell_seeds=(0, 1, 2),
        expect="hours per run on one GPU",
        notes=dict(_SANM_NOTES, **{k: v for k, v in BASELINES_REPLICATION["paper"]["notes"].items()
                                   if k in ("data", "model", "optimiser", "schedule", "noise", "dividemix")},
                   host="DivideMix on its own protocol (SANM §3.1 follows it); the code trains 360 epochs")),
}
SANM_TUTORIAL = {p: dict(SANM_REPLICATION[p]) for p in PROFILES}   # the replication's runs it reads


# Parameters every page takes that override one setting of all its runs (None keeps the plan's):
# a reader on Colab who wants 40 epochs instead of 12 sets ``epochs = 40`` (papermill: -p epochs 40).
RUN_OVERRIDES = {"epochs": "epochs", "train_per_class": "training images per class"}
OPTIONS = {         # the papermill parameters of each page that change its runs, besides RUN_OVERRIDES
    "foundations/tutorial": ("seed",),
    "foundations/replication": ("seed",),
    "baselines/tutorial": ("seed",),
    "baselines/replication": ("main_seeds",),
    "mixnn/tutorial": ("seed",),
    "mixnn/replication": ("main_seeds", "ablation_seeds"),
    "alr/tutorial": ("seed",),
    "alr/replication": ("main_seeds",),
    "ieg/tutorial": ("seed",),
    "ieg/replication": ("main_seeds",),
    "sanm/tutorial": ("seed",),
    "sanm/replication": ("main_seeds",),
}
SETTINGS: dict[str, dict[str, dict[str, Any]]] = {
    "foundations/tutorial": FOUNDATIONS_TUTORIAL,
    "foundations/replication": FOUNDATIONS_REPLICATION,
    "baselines/tutorial": BASELINES_TUTORIAL,
    "baselines/replication": BASELINES_REPLICATION,
    "mixnn/tutorial": MIXNN_TUTORIAL,
    "mixnn/replication": MIXNN_REPLICATION,
    "alr/tutorial": ALR_TUTORIAL,
    "alr/replication": ALR_REPLICATION,
    "ieg/tutorial": IEG_TUTORIAL,
    "ieg/replication": IEG_REPLICATION,
    "sanm/tutorial": SANM_TUTORIAL,
    "sanm/replication": SANM_REPLICATION,
}


def mixnn_grid(rates, seeds, ablation_seeds, kinds=("symmetric",), ablation_rates=None, uniform_ce=None,
               asymmetric=(), skip_arms=()):
    """MixNN replication runs as ``(arm, noise kind, rate, seeds)``: CE and MixNN at every rate (all
    ``seeds`` at the top rate, else ``ablation_seeds``); the ablations and Mixup at ``ablation_rates``
    (default: the top rate); MixNN w/o label correction at every rate (claim 4); CE under the other
    noise convention at the rates ``uniform_ce`` (None: the top rate; ``()``: none); CE and MixNN under asymmetric noise at
    the rates ``asymmetric``. Arms in ``skip_arms`` are left out."""
    runs = [(arm, kind, r, seeds if r == rates[-1] else ablation_seeds)
            for kind in kinds for r in rates for arm in ("CE", "MixNN")]
    for r in ablation_rates or rates[-1:]:
        runs += [(arm, kinds[0], r, ablation_seeds) for arm in MIXNN_ABLATIONS if arm != "MixNN"]
    runs += [("MixNN w/o label correction", kinds[0], r, ablation_seeds) for r in rates
             if r not in (ablation_rates or rates[-1:])]
    if "symmetric-uniform" not in kinds:
        runs += [("CE", "symmetric-uniform", r, ablation_seeds)
                 for r in (rates[-1:] if uniform_ce is None else uniform_ce)]
    runs += [(arm, "asymmetric", r, ablation_seeds) for r in asymmetric for arm in ("CE", "MixNN")]
    return [run for run in runs if run[0] not in skip_arms]


def settings(page: str, profile: str, **overrides: Any) -> dict[str, Any]:
    """A copy of ``page``'s settings at ``profile``, with what the plan derives from them.

    ``overrides`` are the page's papermill parameters that change its runs (``None`` keeps the
    profile's value): ``seed`` (tutorials, Foundations), ``main_seeds`` (the replications' headline
    seeds) and ``ablation_seeds`` (MixNN replication).
    """
    if page not in SETTINGS:
        raise ValueError(f"Unknown page '{page}'; pages with a plan: {', '.join(SETTINGS)}.")
    if profile not in PROFILES:
        raise ValueError(f"Unknown profile '{profile}'; choose one of: {', '.join(PROFILES)}.")
    unknown = set(overrides) - set(OPTIONS[page]) - set(RUN_OVERRIDES)
    if unknown:
        raise ValueError(f"Unknown plan option(s) {', '.join(sorted(unknown))} for {page}; "
                         f"it takes {', '.join((*OPTIONS[page], *RUN_OVERRIDES))}.")
    S = copy.deepcopy(SETTINGS[page][profile])
    S["off_plan"] = _override_runs(S, overrides)
    S["run_overrides"] = {f: overrides[f] for f in RUN_OVERRIDES if overrides.get(f) is not None}   # for the
    # runs a page reads from another page's plan
    S["seed"] = overrides.get("seed") if overrides.get("seed") is not None else 0
    if page == "mixnn/replication":             # its runs are a grid over arms, rates and seeds
        for key, field in (("main_seeds", "seeds"), ("ablation_seeds", "ablation_seeds")):
            if overrides.get(key) is not None:
                S["grid"][field] = tuple(overrides[key])
        S["runs"] = mixnn_grid(**S["grid"])
    if (page in ("baselines/replication", "alr/replication", "ieg/replication", "sanm/replication")
            and overrides.get("main_seeds") is not None):
        S["seeds"] = tuple(overrides["main_seeds"])
    return S


def _override_runs(S: dict[str, Any], overrides: dict[str, Any]) -> dict[str, tuple[Any, list[Any]]]:
    """Set each of :data:`RUN_OVERRIDES` given in ``overrides`` in every run setting of ``S`` (its
    ``run``, or each experiment's); return ``{field: (value, the plan's values)}`` of what changed."""
    runs = [S["run"]] if "run" in S else [e["run"] for e in S.get("experiments", [])]
    changed = {}
    for field in RUN_OVERRIDES:
        value = overrides.get(field)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{field} must be a whole number of at least 1 (or None for the plan's), got {value!r}.")
        planned = list(dict.fromkeys(r.get(field) for r in runs))
        if planned != [value]:
            changed[field] = (value, planned)
        for r in runs:
            r[field] = value
    return changed


def off_plan(S: dict[str, Any]) -> str:
    """The sentence a page prints when a parameter overrides its plan (:func:`settings`), else ""."""
    if not S.get("off_plan"):
        return ""
    parts = [f"{RUN_OVERRIDES[f]} {v} (the plan's: {', '.join('all' if p is None else str(p) for p in planned)})"
             for f, (v, planned) in S["off_plan"].items()]
    return ("This page runs off its plan: " + "; ".join(parts) + ". Settings counted in epochs (schedule "
            "milestones, warm-ups) keep their planned values, and the verdicts are those of these runs.")


# ----------------------------------------------------------------------------------------------
# Plans
# ----------------------------------------------------------------------------------------------

def _config(S: dict[str, Any], *, schedule: dict | None = None, **fields: Any) -> RunConfig:
    return RunConfig(schedule=Schedule(**(schedule or S["schedule"])), **{**S["run"], **fields})


def _foundations_tutorial(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    seed = S["seed"]
    return [
        Planned(page, profile, ("clean",), "CE, clean labels", 0,
                _config(S, method="ce", noise="none", rate=0.0, seed=seed)),
        Planned(page, profile, ("noisy",), f"CE, {S['noise']} {S['memo_rate']}", 0,
                _config(S, method="ce", noise=S["noise"], rate=S["memo_rate"], seed=seed), per_sample=True),
    ]


def _foundations_replication(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    out = []
    for i, exp in enumerate(S["experiments"]):
        tier = 0 if i == len(S["experiments"]) - 1 else 2     # the largest data set first
        for rate in S["rates"]:
            cfg = RunConfig(method="ce", noise=S["noise"], rate=rate, seed=S["seed"],
                            schedule=Schedule(**exp["schedule"]), **exp["run"])
            out.append(Planned(page, profile, (exp["name"], rate), f"CE, {exp['name']}, {S['noise']} {rate}", tier,
                               cfg, per_sample=True))
    exp, seed = S["experiments"][-1], S["seed"] + 1       # a second seed of the largest: the claims' yardstick
    for rate in S["rates"]:
        cfg = RunConfig(method="ce", noise=S["noise"], rate=rate, seed=seed, schedule=Schedule(**exp["schedule"]),
                        **exp["run"])
        out.append(Planned(page, profile, ("yardstick", rate), f"CE, {exp['name']}, {S['noise']} {rate}, seed {seed}",
                           1, cfg))
    return out


def _baselines_tutorial(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    seed, noise, rate = S["seed"], S["noise"], S["rate"]

    def config(method, params=None):
        return _config(S, method=method, noise=noise, rate=rate, seed=seed, method_params=dict(params or {}))

    # The trained networks of the three methods are kept: the page restores them for the selection,
    # the targets and the co-divide on real batches. Nothing of them is needed on a GPU section.
    return [Planned(page, profile, ("ce",), f"CE, {noise} {rate}", 0, config("ce")),
            Planned(page, profile, ("coteaching",), f"Co-teaching, {noise} {rate}", 0,
                    config("coteaching", S["coteaching"]), keep_state=True),
            Planned(page, profile, ("elr",), f"ELR, {noise} {rate}", 0, config("elr", S["elr"]), keep_state=True),
            Planned(page, profile, ("dividemix",), f"DivideMix, {noise} {rate}", 0,
                    config("dividemix", S["dividemix"]), keep_state=True)]


def baseline_config(S: dict[str, Any], arm: str, kind: str, rate: float, seed: int) -> RunConfig:
    """The run of ``arm`` (a key of :data:`BASELINE_ARMS`, or :data:`WRONG_TAU`) in one noise cell
    of the Baselines replication: the profile's settings of its method, those of the noise kind
    (``by_noise``), and at the ``paper`` profile DivideMix's Table 7 preset of the cell."""
    method = "coteaching" if arm == WRONG_TAU else BASELINE_ARMS[arm]
    params = {**S.get(method, {}), **S["by_noise"].get(kind, {}).get(method, {})}
    if arm == WRONG_TAU:
        params["tau"] = S["wrong_tau"]
    if method == "dividemix" and S.get("dividemix_presets"):
        params = {"preset": f"c10-{'asym' if kind.startswith('asym') else 'sym'}{round(100 * rate)}"}
    return _config(S, method=method, noise=kind, rate=rate, seed=seed, method_params=params)


def _baselines_replication(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    out = []
    (head_kind, head_rate), *others = S["cells"]
    for seed in S["seeds"]:                    # the headline cell: every arm, every seed
        for arm in (*BASELINE_ARMS, WRONG_TAU):
            tier = (2 if arm == WRONG_TAU else 0) if seed == S["seeds"][0] else (2 if arm == WRONG_TAU else 1)
            out.append(Planned(page, profile, (arm, head_kind, head_rate, seed),
                               f"{arm}, {head_kind} {head_rate}, seed {seed}", tier,
                               baseline_config(S, arm, head_kind, head_rate, seed)))
    for kind, rate in others:                 # the other cells: every arm at the cells' seeds
        for seed in S["cell_seeds"]:
            for arm in S.get("cell_arms", BASELINE_ARMS):
                out.append(Planned(page, profile, (arm, kind, rate, seed), f"{arm}, {kind} {rate}, seed {seed}",
                                   2, baseline_config(S, arm, kind, rate, seed)))
    return out


def _mixnn_tutorial(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    seed, M = S["seed"], S["mixnn"]
    # Kept as the replication keeps its headline runs, so that the two pages share them.
    out = [Planned(page, profile, ("train", "ce"), f"CE, {S['noise']} {S['train_rate']}", 0,
                   _config(S, method="ce", noise=S["noise"], rate=S["train_rate"], seed=seed),
                   keep_state=True, extras=("features",)),
           Planned(page, profile, ("train", "mixnn"), f"MixNN, {S['noise']} {S['train_rate']}", 0,
                   _config(S, method="mixnn", noise=S["noise"], rate=S["train_rate"], seed=seed,
                           method_params=dict(M)),
                   keep_state=True, extras=("features", "soft_labels"))]
    out += [Planned(page, profile, ("warmup", rate), f"CE warm-up ({M['warmup']} epochs), {S['noise']} {rate}", 2,
                    _config(S, schedule=S["warmup_schedule"], method="ce", noise=S["noise"], rate=rate, seed=seed,
                            epochs=M["warmup"]),
                    keep_state=True, extras=("features",))
            for rate in S["rep_rates"]]
    return out


def _mixnn_replication(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    def config(arm, kind, rate, seed, **params):
        method, arm_params = MIXNN_ARMS[arm]
        mp = {**(S["mixnn"] if method == "mixnn" else {}), **arm_params, **params}
        return _config(S, method=method, noise=kind, rate=rate, seed=seed, method_params=mp)

    out = []
    for arm, kind, rate, seeds in S["runs"]:
        for seed in seeds:
            main = arm in ("CE", "MixNN")                 # Table I's cells; the rest are Table IV's
            keep = main and kind in S["grid"].get("kinds", ("symmetric",)) and seed == 0   # tutorial shares
            extras = ("features", "soft_labels") if arm == "MixNN" else ("features",)
            out.append(Planned(page, profile, (arm, kind, rate, seed), f"{arm}, {kind} {rate}, seed {seed}",
                               (0 if seed == 0 else 1) if main else 2, config(arm, kind, rate, seed),
                               keep_state=keep, extras=extras if keep else ()))
    for param, values in S["sweeps"].items():
        for v in values:
            out.append(Planned(page, profile, ("sweep", param, v), f"MixNN, {param} = {v}, symmetric "
                               f"{S['sweep_rate']}, seed 0", 3,
                               config("MixNN", "symmetric", S["sweep_rate"], 0, **{param: v})))
    return out


def alr_config(S: dict[str, Any], arm: str, kind: str, rate: float, seed: int, **params: Any) -> RunConfig:
    """The run of ``arm`` (a key of :data:`ALR_ARMS`) in one noise cell of the ALR chapter; ``params``
    override ALR's settings (the λ ablation, the sweeps)."""
    method = ALR_ARMS[arm]
    mp = {"alr": {**S["alr"], **({"entropy_weight": 0.0} if arm == "LR" else {}), **params},
          "elr": S["elr"], "ce": {}}[method]
    return _config(S, method=method, noise=kind, rate=rate, seed=seed, method_params=dict(mp))


def _borrowed(p: Planned, **fields: Any) -> Planned:
    """A run of another page's plan that a page reads as it is (the same config: trained once),
    without what that page keeps of it."""
    return replace(p, tier=2, per_sample=False, keep_state=False, extras=(), **fields)


def _alr_tutorial(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    kind, rate, seed = S["cells"][0][0], S["tutorial_rate"], S["seed"]
    out = [Planned(page, profile, (arm,), f"{arm}, {kind} {rate}, seed {seed}", 0,
                   alr_config(S, arm, kind, rate, seed), keep_state=arm != "CE",
                   extras=("features",) if arm != "CE" else ())
           for arm in ("CE", "LR", "ALR")]
    # Fig. 2: CE's train and test curves at 60 %: the Foundations tutorial's run
    fig2 = next(p for p in plan("foundations/tutorial", profile, **S["run_overrides"]) if p.key == ("noisy",))
    return out + [_borrowed(fig2, page=page, key=("fig2",))]


def _alr_replication(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    out = []
    head = S["cells"][0]
    sym = [c for c in S["cells"] if c[0] == head[0]]
    for kind, rate in S["cells"]:
        seeds = S["seeds"] if (kind, rate) in sym else S["cell_seeds"]
        # ELR: only where the Baselines replication runs it, with its seeds (all in its headline cell)
        elr_seeds = (S["seeds"] if (kind, rate) == head else S["cell_seeds"]) if (kind, rate) in S["elr_cells"] else ()
        for seed in seeds:
            for arm in (a for a in ALR_ARMS if a != "ELR" or seed in elr_seeds):
                keep = arm in ("LR", "ALR") and (kind, rate) in sym      # features: clean clusters (claim 4)
                tier = (0 if (kind, rate) in sym else 2) if seed == seeds[0] else 1
                out.append(Planned(page, profile, (arm, kind, rate, seed), f"{arm}, {kind} {rate}, seed {seed}",
                                   tier, alr_config(S, arm, kind, rate, seed), keep_state=keep,
                                   extras=("features",) if keep else ()))
    for lam in S["lambdas"]:                        # the λ ablation (0 is LR, the default ALR)
        for rate in S["lambda_rates"]:
            out.append(Planned(page, profile, ("λ", lam, rate), f"ALR, λ = {lam}, {head[0]} {rate}, seed 0", 2,
                               alr_config(S, "ALR", head[0], rate, S["cell_seeds"][0], entropy_weight=lam)))
    for param, values in S["sweeps"].items():      # sensitivity to α and to the start of phase 2
        for v in values:
            out.append(Planned(page, profile, ("sweep", param, v), f"ALR, {param} = {v}, {head[0]} "
                               f"{S['sweep_rate']}, seed 0", 3,
                               alr_config(S, "ALR", head[0], S["sweep_rate"], 0, **{param: v})))
    # "efficient": MixNN's epoch time against CE's, from the MixNN replication's own runs (where
    # its CE run is one of this page's, as at the smoke profile, it is planned once)
    mine = {p.run_id for p in out}
    return out + [replace(p, page=page, key=("MixNN's protocol",) + p.key)
                  for p in mixnn_cost_runs(profile, **S["run_overrides"]).values() if p.run_id not in mine]


def mixnn_cost_runs(profile: str, **run_overrides: Any) -> dict[str, Planned]:
    """``{"CE": ..., "MixNN": ...}``: the MixNN replication's seed-0 runs of both at its top rate,
    whose epoch times the ALR replication compares (claim "efficient"); ``run_overrides`` as the
    ALR page's (:data:`RUN_OVERRIDES`)."""
    mixnn = plan("mixnn/replication", profile, **run_overrides)
    top = max(p.key[2] for p in mixnn if p.key[0] == "MixNN")
    keys = {arm: (arm, mixnn[0].key[1], top, 0) for arm in ("CE", "MixNN")}
    found = {p.key: _borrowed(p) for p in mixnn}
    return {arm: found[key] for arm, key in keys.items()}


def ieg_config(S: dict[str, Any], arm: str, kind: str, rate: float, seed: int, **fields: Any) -> RunConfig:
    """The run of ``arm`` (a key of :data:`IEG_ARMS`, an ablation row ``"IEG-k"``/``"EG"``, or
    :data:`PROBE_ONLY`) in one noise cell of the IEG chapter; ``fields`` override run settings
    (``probe_per_class`` for the probe-size sweep)."""
    if arm == PROBE_ONLY:                     # CE on probe_per_class clean images per class, nothing else,
        return _config(S, method="ce", noise="none", rate=0.0, seed=seed, batch_size=probe_only_batch(S),
                       train_per_class=S["run"]["probe_per_class"], probe_per_class=0, **fields)
    method, params = IEG_ARMS.get(arm, ("ieg", {"ablation": arm}))
    mp = {**(S["ieg"] if method == "ieg" else {}), **params}
    return _config(S, method=method, noise=kind, rate=rate, seed=seed, method_params=mp, **fields)


def probe_only_batch(S: dict[str, Any]) -> int:
    """The batch size at which CE on the probe alone takes as many steps per epoch as IEG on the
    noisy set (at least 8 images: a BatchNorm needs a batch), so that the reference is not short of
    updates."""
    r = S["run"]
    classes = 100 if "100" in r["dataset"] else 10
    per_class = r["train_per_class"] or {"digits": 135}.get(r["dataset"], 5000)
    steps = max(1, (per_class - r["probe_per_class"]) * classes // r["batch_size"])
    return max(8, r["probe_per_class"] * classes // steps)


def _ieg_replication(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    out = []
    (kind, top), *others = S["cells"]
    for seed in S["seeds"]:                    # Table 1's 80 %: every arm, every seed; the probe alone
        for arm in (*IEG_ARMS, PROBE_ONLY):
            keep = arm in ("L2R", "IEG") and seed == S["seeds"][0]   # ω* over training (the tutorial)
            out.append(Planned(page, profile, (arm, kind, top, seed), f"{arm}, {kind} {top}, seed {seed}",
                               0 if seed == S["seeds"][0] else 1, ieg_config(S, arm, kind, top, seed),
                               keep_state=keep, extras=("weights",) if keep else ()))
    for k, rate in others:
        for seed in S["cell_seeds"]:
            for arm in S["cell_arms"]:
                keep = arm == "IEG" and rate == S["tutorial_rate"] and seed == 0
                out.append(Planned(page, profile, (arm, k, rate, seed), f"{arm}, {k} {rate}, seed {seed}", 2,
                                   ieg_config(S, arm, k, rate, seed), keep_state=keep,
                                   extras=("weights",) if keep else ()))
    seed0 = S["seeds"][0]
    for n in S["probe_sizes"]:                 # Table 2's trend: fewer trusted images per class
        out.append(Planned(page, profile, ("probe", n), f"IEG, {n} probe images per class, {kind} {top}, "
                           f"seed {seed0}", 2, ieg_config(S, "IEG", kind, top, seed0, probe_per_class=n)))
    for row in S["ladder"] + S["more_ablations"]:   # Table 7 (IEG-1 is L2R, IEG-5 is IEG) and Table 6's EG
        out.append(Planned(page, profile, ("ablation", row), f"{row}, {kind} {top}, seed {seed0}",
                           2 if row in S["ladder"] else 3, ieg_config(S, row, kind, top, seed0)))
    return out


def _ieg_tutorial(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    """The replication's runs that the tutorial reads: IEG and L2R at the top rate (their weights over
    training) and IEG at the tutorial's rate (the paper's Fig. 2)."""
    rep = plan("ieg/replication", profile, **S["run_overrides"])
    kind, top = S["cells"][0]
    want = {("IEG", kind, top, S["seeds"][0]): ("IEG", top), ("L2R", kind, top, S["seeds"][0]): ("L2R", top),
            ("IEG", kind, S["tutorial_rate"], S["cell_seeds"][0]): ("IEG", S["tutorial_rate"])}
    return [replace(p, page=page, key=want[p.key], tier=0) for p in rep if p.key in want]


def sanm_config(S: dict[str, Any], arm: str, kind: str, rate: float, seed: int, **sanm: Any) -> RunConfig:
    """The run of ``arm`` in one noise cell of the SANM chapter: the host (``"CE"``,
    ``"DivideMix"``), SANM on it (``"SANM(CE)"``, ...; ``sanm`` overrides SANM's settings: a ladder
    rung, a ratio control), or the host with clean labels (``"<host>, clean labels"``). At the
    ``paper`` profile DivideMix takes the cell's Table 7 preset (the clean-label run: ``rate``'s)."""
    host = S["host"]
    params = dict(S["host_params"])
    if host == "dividemix" and S.get("dividemix_presets"):
        params = {"preset": f"c10-sym{round(100 * rate)}"}
    if arm.endswith("clean labels"):
        return _config(S, method=host, noise="none", rate=0.0, seed=seed, method_params=params)
    if arm.startswith("SANM"):
        return _config(S, method=f"sanm-{host}", noise=kind, rate=rate, seed=seed,
                       method_params={**params, **S["sanm"], **sanm})
    return _config(S, method=host, noise=kind, rate=rate, seed=seed, method_params=params)


def sanm_arms(S: dict[str, Any]) -> tuple[str, str]:
    """(host arm, SANM arm) of a profile: ("CE", "SANM(CE)") or ("DivideMix", "SANM(DivideMix)")."""
    host = {"ce": "CE", "dividemix": "DivideMix"}[S["host"]]
    return host, f"SANM({host})"


def _sanm_replication(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    out = []
    host, arm = sanm_arms(S)
    (kind, top), *others = S["cells"]
    for seed in S["seeds"]:                   # Table 6 / Table 1's headline cell, every seed
        for a in (host, arm):
            keep = seed == S["seeds"][0]     # the tutorial's activation maps and reconstructions
            out.append(Planned(page, profile, (a, kind, top, seed), f"{a}, {kind} {top}, seed {seed}",
                               0 if seed == S["seeds"][0] else 1, sanm_config(S, a, kind, top, seed), keep_state=keep))
    for k, rate in others:
        for seed in S["cell_seeds"]:
            for a in (host, arm):
                out.append(Planned(page, profile, (a, k, rate, seed), f"{a}, {k} {rate}, seed {seed}", 1,
                                   sanm_config(S, a, k, rate, seed)))
    seed0 = S["seeds"][0]
    clean = f"{host}, clean labels"           # Fig. 1: the same network trained on clean labels
    out.append(Planned(page, profile, (clean,), f"{clean}, seed {seed0}", 1,
                       sanm_config(S, clean, kind, top, seed0), keep_state=True))   # the headline's settings
    for rung in SANM_LADDER:                  # Table 5: +AMG, +NLR, (+SMR = SANM)
        out.append(Planned(page, profile, ("ladder", rung), f"{host} + {rung.upper()}, {kind} {top}, seed {seed0}", 2,
                           sanm_config(S, arm, kind, top, seed0, components=rung)))
    for ratio in SANM_RATIOS:                 # Fig. 2 / 4: fixed and random mask ratios
        out.append(Planned(page, profile, ("ratio", ratio), f"{arm}, {ratio} ratio, {kind} {top}, seed {seed0}", 2,
                           sanm_config(S, arm, kind, top, seed0, ratio=ratio)))
    if S["host"] == "ce":                     # NLR on the given label: DivideMix's targets are its predictions
        for target in SANM_TARGETS:
            out.append(Planned(page, profile, ("target", target), f"{arm}, NLR target={target}, {kind} {top}, "
                               f"seed {seed0}", 2, sanm_config(S, arm, kind, top, seed0, target=target)))
    return out


def _sanm_tutorial(page: str, profile: str, S: dict[str, Any]) -> list[Planned]:
    """The replication's runs the tutorial reads: the host and SANM at the headline cell, and the host
    with clean labels (Fig. 1), each with its trained networks."""
    host, arm = sanm_arms(S)
    kind, top = S["cells"][0]
    want = {(host, kind, top, S["seeds"][0]), (arm, kind, top, S["seeds"][0]), (f"{host}, clean labels",)}
    return [replace(p, page=page, tier=0) for p in plan("sanm/replication", profile, **S["run_overrides"])
            if p.key in want]


BUILDERS: dict[str, Callable[[str, str, dict[str, Any]], list[Planned]]] = {
    "foundations/tutorial": _foundations_tutorial,
    "foundations/replication": _foundations_replication,
    "baselines/tutorial": _baselines_tutorial,
    "baselines/replication": _baselines_replication,
    "mixnn/tutorial": _mixnn_tutorial,
    "mixnn/replication": _mixnn_replication,
    "alr/tutorial": _alr_tutorial,
    "alr/replication": _alr_replication,
    "ieg/tutorial": _ieg_tutorial,
    "ieg/replication": _ieg_replication,
    "sanm/tutorial": _sanm_tutorial,
    "sanm/replication": _sanm_replication,
}


def plan(page: str, profile: str, **overrides: Any) -> list[Planned]:
    """The runs of ``page`` at ``profile`` in priority order: by tier, then as declared."""
    S = settings(page, profile, **overrides)
    return sorted(BUILDERS[page](page, profile, S), key=lambda p: p.tier)   # stable within a tier


def unique(runs: list[Planned]) -> list[Planned]:
    """``runs`` with each config once (two pages may plan the same run): the first keeps its place,
    its tier is the best of both and it keeps what any of them keeps."""
    by_id: dict[str, Planned] = {}
    for p in runs:
        q = by_id.get(p.run_id)
        by_id[p.run_id] = p if q is None else replace(
            q, tier=min(q.tier, p.tier), per_sample=q.per_sample or p.per_sample,
            keep_state=q.keep_state or p.keep_state, extras=tuple(dict.fromkeys(q.extras + p.extras)))
    return sorted(by_id.values(), key=lambda p: p.tier)


def pages() -> list[str]:
    """Every page with a plan, in book order."""
    return list(BUILDERS)


def pages_of(selection: str) -> list[str]:
    """Pages named by a comma-separated list of pages (``mixnn/replication``) or parts (``mixnn``);
    ``all`` names every page."""
    if selection.strip() == "all":
        return pages()
    out = []
    for name in (s.strip().strip("/") for s in selection.split(",") if s.strip()):
        hits = [p for p in BUILDERS if p == name or p.split("/")[0] == name]
        if not hits:
            raise ValueError(f"No page or part '{name}' has a plan; choose from: "
                             f"{', '.join(sorted(set(p.split('/')[0] for p in BUILDERS) | set(BUILDERS)))}.")
        out += [p for p in hits if p not in out]
    return out
