"""Every page's settings at every profile, as data: what its runs depend on, with ``notes`` that
give the source of each (the pages print them as their protocol tables), and the arms and names the
pages share. :mod:`lnl.plans` expands them into runs; nothing here trains or decides a run's
identity (that is its config, :func:`lnl.engine.run_id`).

A setting's note says where it comes from: a paper (section, equation, table), the official code,
a reconstruction, or this book's budget (``BOOK``: chosen to fit a profile's time, not to score).
"""

from __future__ import annotations

from typing import Any

from lnl.profiles import PROFILES

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


# One leaderboard for every method: each method of the book on the Baselines replication's headline
# cell (its data, network, optimiser, schedule, noise cell and seeds), so that the chapters' runs of
# that cell are the leaderboard's (same configs, trained once) and only the missing ones are added.
# Every method takes the settings its own chapter gives it at that profile; the table below says
# which page's settings those are.
LEADERBOARD_ARMS = ("CE", "Mixup", "Co-teaching", "ELR", "DivideMix", "SANM(CE)", "SANM(DivideMix)", "MixNN",
                    "IEG", "ALR")
_LEADERBOARD_SOURCES = dict(
    protocol="the Baselines replication's headline cell (lnl.plans.BASELINES_REPLICATION: run, schedule, cells[0], "
             "seeds): data, network, optimiser, epochs, noise and seeds of every row",
    ce="no setting", mixup="the Baselines replication's Mixup arm (α 1, MixNN Table IV's Mixup row)",
    coteaching="the Baselines replication's Co-teaching arm (τ = the nominal rate, its T_k)",
    elr="the Baselines replication's ELR arm (β 0.7, λ 3: ELR's config_cifar10.json)",
    dividemix="the Baselines replication's DivideMix arm (its warm-up and λ_u; at paper the Table 7 preset)",
    sanm_ce="SANM's settings of the SANM replication on a CE host (lnl.plans.SANM_REPLICATION, 'sanm'), where it "
            "runs on CE; else SANM's defaults (lnl defaults sanm-ce)",
    sanm_dividemix="the Baselines replication's DivideMix settings, plus SANM's of the SANM replication on a "
                   "DivideMix host (its 'sanm'), where it runs on DivideMix; else SANM's defaults",
    mixnn="the MixNN replication's MixNN arm (lnl.plans.MIXNN_REPLICATION, 'mixnn': warm-up, E_s, α of its profile)",
    ieg="the IEG replication's IEG arm (lnl.plans.IEG_REPLICATION, 'ieg') and its probe: probe_per_class clean "
        "images per class held out before the noise is drawn, so IEG trains on that many fewer noisy images",
    alr="the ALR replication's ALR arm (lnl.plans.ALR_REPLICATION, 'alr')")
LEADERBOARD = {
    "smoke": dict(expect="1 to 5 s per run on 1 CPU core", threads=1),
    "cpu": dict(expect="the added runs (MixNN, two seeds): 16 s per run on 1 CPU core in the book's build",
                left_out={"SANM(DivideMix)": "an epoch after DivideMix's warm-up took 20 s on 1 CPU core (DivideMix's "
                          "own: 5 s), about 190 s per run and 380 s for two seeds, more than the page's whole added "
                          "training; the SANM chapter runs SANM on DivideMix from the gpu profile on, and so does "
                          "this board",
                          "IEG": "its two runs on this protocol trained in 76 and 79 s on 1 CPU core in the book's "
                          "build (CE's: 12 s; the meta step's look-ahead costs about five forward-backward passes), "
                          "a sixth of the build's training budget for two rows; the IEG chapter compares IEG with "
                          "CE on a smaller protocol at cpu, and this board has IEG from the gpu profile on"}),
    "gpu": dict(expect=_GPU_EXPECT),
    "paper": dict(expect="hours per run on one GPU"),
}
for _s in LEADERBOARD.values():
    _s.setdefault("left_out", {})
    _s.update(arms=tuple(a for a in LEADERBOARD_ARMS if a not in _s["left_out"]), notes=dict(_LEADERBOARD_SOURCES))
# Finding the wrong labels: each method's own clean score against cleanlab's confident learning on
# K-fold out-of-sample probabilities, per block: a protocol and a noise cell, the arms trained on it,
# and K CE runs of the same data, noise and budget, each on all but one fold (RunConfig.fold). A
# block on a chapter's protocol ("baselines", "ieg", "mixnn") takes that chapter's run settings, so
# that its arms are the chapter's runs, trained once; an "own" block gives its run settings here.
_HUMAN_RATE = {"worse": 0.40, "aggre": 0.09}     # CIFAR-N's share of wrong labels (Wei et al. 2022, Table 1),
                                                  # Co-teaching's τ, which assumes the noise rate known (§3)
_DETECTION_NOTES = dict(
    protocol="each block's arms on one protocol and noise cell; the chapter's settings of each method (its "
             "page's protocol table), so that the runs are that chapter's",
    cleanlab="find_label_issues and get_label_quality_scores (self-confidence) of cleanlab on the out-of-sample "
             "probabilities of K CE runs of the block's data, noise and budget, each trained on all but one "
             "fold (stratified by given label); K 5 as cleanlab's benchmarks (Kuan & Mueller 2022)",
    scores="each method's own clean score at its last epoch (lnl.engine.Method.detection); a method without one "
           "(CE, Mixup, MixNN): minus its loss on the given label, flagged where a two-component GMM on the "
           "losses gives P(clean) < 0.5",
    seeds=f"one seed (0): detection is measured on every training sample, not over seeds; {BOOK}")
_DET_CIFARN_CPU = dict(dataset="cifar10n", model="cnn", train_per_class=200, test_per_class=100, epochs=12,
                       batch_size=128, lr=0.02, weight_decay=5e-4, augment=False)
_DET_CIFARN_GPU = dict(_CIFAR_GPU, dataset="cifar10n", weight_decay=5e-4)
_DET_CIFARN_PARAMS = dict(elr=dict(beta=0.7, lam=3.0), alr=dict(alpha=0.7))


def _cifarn_blocks(label_sets, arms, params, probe_arms=()):
    out = [dict(name=f"CIFAR-10N {ls}", protocol="own", cell=("human", ls), arms=arms,
                params={**params, "coteaching": dict(params.get("coteaching", {}), tau=_HUMAN_RATE[ls])})
           for ls in label_sets]
    out += [dict(name=f"CIFAR-10N {ls}, a probe of 10 clean images per class", protocol="own", cell=("human", ls),
                 arms=probe_arms, params=params, probe_per_class=10) for ls in label_sets if probe_arms]
    return out


DETECTION = {
    "smoke": dict(
        folds=5, seed=0, threads=1, schedule=dict(kind="cosine"), expect="about 1 s per run on 1 CPU core",
        blocks=[dict(name="digits, symmetric 0.8", protocol="baselines", cell=("symmetric", 0.8),
                     arms=("CE", "Co-teaching", "ELR", "DivideMix", "ALR")),
                dict(name="digits, IEG's protocol, symmetric-uniform 0.8", protocol="ieg",
                     cell=("symmetric-uniform", 0.8), arms=("CE", "L2R", "IEG")),
                dict(name="digits, MixNN's protocol, symmetric 0.8", protocol="mixnn", cell=("symmetric", 0.8),
                     arms=("CE", "MixNN"))],
        notes=dict(_DETECTION_NOTES, data="scikit-learn's 8x8 digits: seconds on any CPU; the chapters' smoke "
                                          "runs")),
    "cpu": dict(
        folds=3, seed=0, schedule=dict(kind="cosine"),
        expect="10 to 30 s per run on 1 CPU core; a CIFAR-10N run spends about 10 s loading the images",
        blocks=[dict(name="Fashion-MNIST, symmetric 0.8", protocol="baselines", cell=("symmetric", 0.8),
                     arms=("CE", "Mixup", "Co-teaching", "ELR", "DivideMix", "ALR", "SANM(CE)")),
                dict(name="Fashion-MNIST, asymmetric 0.4", protocol="baselines", cell=("asymmetric", 0.4),
                     arms=("CE", "Co-teaching", "ELR", "ALR")),
                dict(name="Fashion-MNIST, instance 0.4", protocol="baselines", cell=("instance", 0.4),
                     arms=("CE", "Co-teaching", "ELR", "ALR")),
                dict(name="Fashion-MNIST, IEG's protocol, symmetric-uniform 0.8", protocol="ieg",
                     cell=("symmetric-uniform", 0.8), arms=("CE", "L2R", "IEG")),
                dict(name="Fashion-MNIST, MixNN's protocol, symmetric 0.8", protocol="mixnn",
                     cell=("symmetric", 0.8), arms=("CE", "MixNN"))]
        + _cifarn_blocks(("worse", "aggre"), ("CE", "ELR"), _DET_CIFARN_PARAMS),
        run=_DET_CIFARN_CPU,
        notes=dict(_DETECTION_NOTES,
                   data="Fashion-MNIST on the chapters' protocols (Baselines: 300 training images per class, the "
                        "small CNN, 12 epochs; IEG's: 100 per class with a probe of 10; MixNN's: 20 epochs); "
                        "CIFAR-10N's human labels on the first 200 training images per class, the small CNN, 12 "
                        f"epochs, no augmentation; {BOOK}",
                   arms="DivideMix and SANM(CE) at the symmetric block alone (their runs are the Baselines and "
                        "SANM chapters'; two more networks would not fit the budget); Mixup as CE; on CIFAR-10N "
                        f"CE and ELR; {BOOK}",
                   cleanlab=_DETECTION_NOTES["cleanlab"].replace(
                       "K 5 as cleanlab's benchmarks (Kuan & Mueller 2022)",
                       "K 3 at this profile (5 at gpu and paper, as cleanlab's benchmarks, Kuan & Mueller 2022): K 5 "
                       "on the Fashion-MNIST blocks took 10 networks and 90 s of single-core training more; "
                       f"{BOOK}"))),
    "gpu": dict(
        folds=5, seed=0, schedule=dict(kind="cosine"), expect=_GPU_EXPECT,
        blocks=_cifarn_blocks(("worse", "aggre"), ("CE", "Co-teaching", "ELR", "DivideMix", "SANM(DivideMix)",
                                                   "ALR", "MixNN"),
                              dict(_DET_CIFARN_PARAMS, coteaching=dict(t_k=10), dividemix=dict(warmup=10),
                                   alr=dict(alpha=0.9), mixnn=dict(warmup=10, e_s=12, alpha=0.9)),
                              probe_arms=("CE", "IEG")),
        run=_DET_CIFARN_GPU,
        notes=dict(_DETECTION_NOTES, data="CIFAR-10N's human labels on all 50,000 CIFAR-10 training images; "
                                          "crop + flip", model="PreAct ResNet-18, 60 epochs, cosine (the "
                                          "chapters' gpu protocol); cleanlab's benchmark: ResNet-18",
                   arms="IEG in blocks of its own: its probe of 10 clean images per class leaves the others "
                        "49,900 training images")),
    "paper": dict(
        folds=5, seed=0, schedule=dict(kind="multistep", milestones=(150,), gamma=0.1),
        expect="hours per run on one GPU",
        blocks=_cifarn_blocks(("worse", "aggre"), ("CE", "Co-teaching", "ELR", "DivideMix", "SANM(DivideMix)",
                                                   "ALR", "MixNN"),
                              dict(_DET_CIFARN_PARAMS, coteaching=dict(t_k=10), dividemix=dict(warmup=10),
                                   alr=dict(alpha=0.9), mixnn=dict(warmup=10, e_s=60, alpha=0.9)),
                              probe_arms=("CE", "IEG")),
        run=dict(_DET_CIFARN_GPU, epochs=300, batch_size=64),
        notes=dict(_DETECTION_NOTES, data="CIFAR-10N's human labels on all 50,000 CIFAR-10 training images; "
                                          "crop + flip", model="PreAct ResNet-18, DivideMix's schedule (300 "
                                          "epochs, LR ×0.1 at 150, batch 64)")),
}


# Parameters every page takes that override one setting of all its runs (None keeps the plan's):
# a reader on Colab who wants 40 epochs instead of 12 sets ``epochs = 40`` (papermill: -p epochs 40).
RUN_OVERRIDES = {"epochs": "epochs", "train_per_class": "training images per class"}
# And ``noise_rates``, a mapping {the plan's nominal rate: the rate to run instead} (-p noise_rates
# "{0.8: 0.6}"): every run the page plans at 80 % noise runs at 60 %, in every noise model. These
# settings hold a page's rates, alone or in (noise kind, rate) cells:
RATE_SETTINGS = ("rate", "rates", "memo_rate", "rep_rates", "train_rate", "sweep_rate", "tutorial_rate",
                 "lambda_rates", "cells", "elr_cells", "grid.rates", "grid.ablation_rates", "grid.uniform_ce",
                 "grid.asymmetric")
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
    "leaderboard": ("main_seeds",),
    "detection/index": (),
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
    "leaderboard": LEADERBOARD,
    "detection/index": DETECTION,
}
