"""One training engine for every method; a method adds only what its paper adds.

A method is an ``nn.Module`` with five hooks (after Lightning's ``LightningModule``, trimmed to what
the nine methods of the book need). The engine's loop, in hook order::

    data, noisy labels ỹ  <- load, subset, hold out a clean probe set, add noise     (setup.py)
    method.configure(ctx)                  # networks, optimisers (with their own schedules)
    for epoch in range(start, epochs):     # start > 0 after --resume
        set every optimiser's scheduled hyper-parameters for the epoch              (loop.py)
        method.on_epoch_start(ctx)         # GMM fit, kNN index, co-divide; may set ctx.passes
        for pass in ctx.passes (default: one pass over all samples):
            for batch of pass.main, with each side stream cycling beside it:
                batch = {"idx", "x", "y"[, "views"], <side name>: {...}}    # own generators
                out = method.training_step(batch, ctx)          # under autocast, always
                if method.automatic_optimization: zero_grad, backward, step
        method.on_epoch_end(ctx)           # EMA targets; ctx.log_per_sample(name, scores [N])
        evaluate method.predict (one or named outputs) on the test set and, knowing the
        truth, on the training set; split per-sample scores by the truth     (diagnostics.py)
        append the epoch to the history; checkpoint atomically (buffers + persistent state)
    write the run record atomically

The engine owns the cross-cutting work: seeding (each stream's order and augmentations are drawn
from (run seed, stream, epoch), so a resumed run equals an uninterrupted one and a new stream never
changes another), device choice, bf16 autocast and channels-last, schedules, checkpoints and
resume, evaluation, the true-label diagnostics, progress bars and records. Methods never open files,
never print and never see the true labels.

How the nine methods map onto the hooks:

=============  ==========================================================================
CE, Mixup      ``training_step`` returns the loss; the default pass
ELR            per-sample target buffer, updated in ``training_step`` (``index_copy_``);
               ``ctx.log_per_sample`` of the target's mass on ỹ
Co-teaching    two networks, ``automatic_optimization = False``, ``ctx.step`` per network;
               R(T) from ``ctx.epoch``; Adam's β₁ as a ``Piecewise`` optimiser schedule;
               ``predict`` returns ``{"net1", "net2", "ensemble"}``
DivideMix      ``on_epoch_start``: ``ctx.train_logits`` + :mod:`lnl.gmm` per network, then two
               ``Pass``-es (tag ``net1``/``net2``): the labelled set as main stream and the
               unlabelled set as a side stream, two ``weak`` views each; λ_u from ``ctx.progress``
SANM*          DivideMix's passes + ``net(x, features=True).feature_map`` for the masks
MixNN          ``on_epoch_start``: GMM and kNN over ``ctx.train_features``; soft-label buffer
IEG*           a ``probe`` side stream; ``views=("weak", "strong", ...)``; meta step with
               :func:`functional_forward`
ALR*           soft-label buffer updated in ``training_step``/``on_epoch_end``
=============  ==========================================================================

Rows marked * are methods still to come: how they will use the hooks.

The engine imports no method. Its entry points (:func:`run`, :func:`setup`, :func:`restore` and
:func:`validate`) are handed the methods by name, ``{name: Method class}``, by their caller:
:mod:`lnl.runner` hands them :data:`lnl.methods.METHODS`, and the methods build on the engine.

Files: :mod:`~lnl.engine.config` (what decides a run), :mod:`~lnl.engine.api` (the method API
and its context), :mod:`~lnl.engine.setup` (data preparation), :mod:`~lnl.engine.diagnostics`
(evaluation and the truth), :mod:`~lnl.engine.loop` (epochs, checkpoints, records).
"""

from lnl.engine.api import (DEFAULT_PASS, HYPERS, POLICIES, Context, Method, Pass, Stream, eval_mode,
                            functional_forward)
from lnl.engine.config import (DEFAULT_MODEL, DEVICES, NOISE_KINDS, OPTIMIZERS, PRECISIONS, SCHEDULES, Piecewise,
                               RunConfig, Schedule, config_json, resolve_device, resolve_precision, run_id,
                               validate)
from lnl.engine.diagnostics import evaluate_outputs, summarise, training_diagnostics
from lnl.engine.loop import Restored, restore, run
from lnl.engine.setup import Prepared, Setup, fold_split, prepare, setup

__all__ = ["Context", "DEFAULT_MODEL", "DEFAULT_PASS", "DEVICES", "HYPERS", "Method", "NOISE_KINDS", "OPTIMIZERS",
           "POLICIES", "PRECISIONS", "Pass", "Piecewise", "Prepared", "Restored", "RunConfig", "SCHEDULES",
           "Schedule", "Setup", "Stream", "config_json", "eval_mode", "evaluate_outputs", "fold_split", "functional_forward",
           "prepare", "resolve_device", "resolve_precision", "restore", "run", "run_id", "setup", "summarise",
           "training_diagnostics", "validate"]
