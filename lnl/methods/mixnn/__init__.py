"""MixNN: train on each sample mixed with its nearest neighbours, weighted by clean probability,
against soft labels that an exponential moving average corrects.

Y. Lu and W. He, "Mitigating Noisy Supervision Using Synthetic Samples with Soft Labels",
arXiv 2406.16966 (extends "MixNN", IEEE BigData 2021). Official code: MacLLL/MixNN @ 12c6005.

=============  ==========================================================================
x_i, ŷ_i       training image i and its given label, one-hot ``[C]`` (true label y unseen)
t_i            soft target ``[C]``: one-hot(ŷ_i) until E_s, then corrected by eq. (14)
w_i            P(m = 0 | ℓ(x_i)): clean probability, GMM on per-sample CE (eq. 8-9, lnl.gmm)
x̄_i^k, ȳ_i^k   k-th nearest neighbour of x_i in the penultimate embedding, and its label (§4.2)
λ_i, β_i^k     mixing weights of the sample and its neighbours, λ_i + Σ_k β_i^k = 1 (eq. 10-11)
x̃_i, ỹ_i       synthetic sample and its label (eq. 4-5); p̃_i = softmax(f(x̃_i)) (eq. 6)
α, E_s         EMA momentum of t, and the first epoch of label correction (eq. 14)
=============  ==========================================================================

Algorithm 1 in words (epochs e counted from 1, warm-up included: the paper's "epoch 60").
Warm up ``warmup`` epochs with CE on ŷ; set t_i = ŷ_i (l. 1). Then, every epoch:

- l. 2: per-sample CE of the network (eval mode, no augmentation) against argmax t; a
  two-component GMM on it gives w_i. Once per epoch, in ``on_epoch_start``.
- l. 3: the K nearest neighbours of every sample in the whole training set, by L2 distance
  between penultimate embeddings (:func:`lnl.knn.knn`). The paper uses HNSW (§4.3); by default
  (``knn_backend="auto"``) the search is exact on a GPU and below 30,000 samples, HNSW otherwise,
  whichever ``benchmarks/knn.py`` measured faster.
- l. 5-16, per shuffled mini-batch: p_i = softmax(f(x_i)) (l. 7); from E_s,
  t_i ← α t_i + (1 − α) p_i (l. 9, eq. 14); λ_i, β_i^k by eq. (10)-(11) (l. 10); x̃_i, ỹ_i by
  eq. (4)-(5) with t in place of ŷ (l. 12, §4.5); the loss −(1/B) Σ_i ỹ_iᵀ log p̃_i (l. 16, which is
  eq. 7 by linearity).

Run settings of §6.1 (CIFAR): ResNet-34, SGD lr 0.02, momentum 0.9, weight decay 1e-3, batch 128,
300 epochs, ``Schedule("cosine-restarts", t0=10, eta_min=1e-3)``; K = 1, E_s = 60, α = 0.9.

The warm-up (10) and E_s (60) are epochs of that 300-epoch run. In a shorter run their defaults keep
the paper's share of it (:meth:`lnl.engine.Method.phase`): warm-up 1 and E_s 4 in 20 epochs, so that
label correction starts; the record's ``phases_resolved`` says so. A value given with ``--param`` is
kept as given. Where each default comes from: :data:`SOURCES` (``lnl defaults mixnn``).

Paper and official code differ; ``variant="code"`` selects the code's column:

====================  ================================  ======================================
                      paper (``variant="paper"``)       code (``variant="code"``)
====================  ================================  ======================================
neighbours            K over the whole training set,    1-NN (here K) within the mini-batch,
                      eval-mode embeddings, once per    train-mode features of the un-mixed
                      epoch (Alg. 1 l. 3)               batch, every step (nmslib HNSW)
warm-up < e ≤ E_s     NN mixing, as after E_s           mixup with random partners, one
                                                        λ ~ Beta(1, 1) per batch
loss in that phase    eq. (7)                           CE; ``neg_prob_loss=True``: the code's
                                                        ``nll_loss`` on probabilities, −p_ỹ
t update, eq. (14)    every epoch e ≥ E_s (l. 8-9)      epochs e ≥ E_s with e % 10 = 0
                                                        (``t_every`` overrides both)
====================  ================================  ======================================

Both forms: the neighbour's label ȳ is its soft target t_j (§4.5 replaces every noisy label; Alg. 1
l. 16 writes ȳ; the code uses t_j); the GMM loss is against argmax t (the code's; Alg. 1 l. 2 says
only ℓ_ce); eq. (10)-(11) get ε = 1e-10 on every w (the code adds it to numerator and denominator
of λ only, so two zero-probability samples give λ = 1 there and 1/2 here). ``gmm_window=5`` is the
code's loss averaging at 80 % noise. Not reproduced: the code warms up for ``warmup − 1`` epochs
(``epoch < warmup``) on un-augmented, unshuffled data; the engine owns the data order.

Ablations (Table IV): ``weights="avg"`` (λ = β = 1/(K+1)) or ``"rdm"`` (Dirichlet, Beta for K = 1);
``partners="random"``; ``correction=False``; K (Fig. 7c).

The package follows the paper's parts: :mod:`~lnl.methods.mixnn.config` (the settings, Table IV's
ablations, the paper's and the code's forms, every setting's source), :mod:`~lnl.methods.mixnn.mixing`
(the equations: the weights, the synthetic samples and labels, the label correction) and
:mod:`~lnl.methods.mixnn.method` (Algorithm 1). The tutorial's walk-throughs are
:mod:`lnl.walkthrough.mixnn`.
"""

from lnl.methods.mixnn.config import CHOICES, CODE_MIXUP_BETA, CODE_T_EVERY, SOURCES, MixNNConfig
from lnl.methods.mixnn.method import MixNN
from lnl.methods.mixnn.mixing import (EPS, average_weights, ema_targets, mixed_inputs, mixed_targets, mixing_weights,
                                      neg_prob_loss, own_label_pull, random_partners, random_weights)

__all__ = ["CHOICES", "CODE_MIXUP_BETA", "CODE_T_EVERY", "SOURCES", "MixNNConfig", "EPS", "mixing_weights",
           "average_weights", "random_weights", "mixed_inputs", "mixed_targets", "ema_targets", "neg_prob_loss",
           "own_label_pull", "random_partners", "MixNN"]
