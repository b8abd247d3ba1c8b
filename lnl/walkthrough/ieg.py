"""The IEG tutorial's walk-throughs: one training step of a trained run taken apart by hand. A
small batch with its augmented view x̂ (§3.1) and the probe set; the probe loss before and after one
virtual step (§2.1, eq. 1 and 3), the meta-gradient in ω checked by finite differences and by taking
the step on the clean and the mislabelled images alone; the mixup of eq. (6) on the batch; the
look-aheads of the paper, of §2.1's formula and of the code; and the variants whose step the
replication times."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from lnl import book, plans
from lnl.engine import functional_forward
from lnl.losses import mix, one_hot
from lnl.methods.ieg import IEGConfig, cutout_views, lookahead, mixup_coefficients, weighted_loss


def trained_run(paths: dict, key: tuple, page: str, seed: int, rdir):
    """The record path of ``key`` whose trained network a walk-through restores: ``paths[key]``
    where its weights were kept, else the smoke profile's run of ``page`` (a GPU campaign brings no
    weights back), trained here in seconds."""
    path = paths[key]
    if not path.with_suffix(".state.pt").exists():
        smoke = [p for p in plans.plan(page, "smoke", seed=seed) if p.key == key]
        path = rdir / f"{book.run_plan(smoke, rdir)[key]['run_id']}.json"
        print("The small batches use the smoke profile's IEG run: the records of this profile keep no network.")
    return path


def augmented_view(restored, idx: Tensor, cutout: float, generator: torch.Generator) -> Tensor:
    """x̂ of the training images ``idx`` of a restored run, as its training step draws it (§3.1):
    the data set's crop and flip, RandAugment where the run has AA, then Cutout."""
    policy = "strong" if restored.method.on["strong_aug"] else "weak"
    x = restored.ctx.data.batch(idx.to(restored.ctx.device), generator, policy=policy)
    return cutout_views([x], cutout, generator)[0]


@dataclass
class StepBatch:
    """A batch of a trained run, ready for one training step taken by hand: the network (a copy in
    training mode), the images ``x``, their view ``x_hat``, one-hot given labels ``y`` ``[B, C]``,
    the probe set ``xp``, ``yp``, and what a reader checks the step against (the truth)."""

    net: torch.nn.Module
    x: Tensor
    x_hat: Tensor
    y: Tensor
    xp: Tensor
    yp: Tensor
    idx: Tensor
    is_clean: np.ndarray
    given: Tensor
    true: Tensor
    classes: list
    lr: float
    weight_decay: float
    momentum: float
    generator: torch.Generator
    lambda0: float

    @property
    def B(self) -> int:
        return len(self.idx)

    @property
    def meta_kw(self) -> dict:
        """The meta step's settings for this batch: λ₀, re-labelling on, the run's LR and weight
        decay, and no momentum buffer (a restored run keeps none: v = 0, as at a run's first step)."""
        return dict(lambda0=self.lambda0, relabel=True, lr=self.lr, weight_decay=self.weight_decay)

    def meta_point(self) -> tuple[Tensor, Tensor]:
        """(ω₀, λ₀) ``[B]``: the uniform weight 1/B and λ₀, where the meta-gradients are taken."""
        dev = self.x.device
        return torch.full((self.B,), 1 / self.B, device=dev), torch.full((self.B,), self.lambda0, device=dev)

    def summary(self) -> str:
        return (f"B = {self.B} training images ({int(self.is_clean.sum())} clean), M = {len(self.yp)} probe images, "
                f"α = {self.lr} (the run's base LR), weight decay {self.weight_decay}")


def step_batch(restored, size: int, seed: int) -> StepBatch:
    """The first ``size // 2`` clean and the first mislabelled training images of a restored run
    (clean first, so that both kinds show), with x̂ drawn from a generator seeded ``seed`` and the
    whole probe set (as in a step of a run whose probe holds at most B images)."""
    r, dev = restored, restored.ctx.device
    given, true = torch.tensor(r.prep.labels), torch.tensor(r.prep.true)
    clean_ids, noisy_ids = torch.nonzero(given == true)[:, 0], torch.nonzero(given != true)[:, 0]
    idx = torch.cat([clean_ids[:size // 2], noisy_ids[:size - size // 2]])
    net = copy.deepcopy(r.method.net).train()          # a copy in training mode, as in a training step
    x = r.ctx.data.batch(idx.to(dev))
    gen = torch.Generator(device=dev).manual_seed(seed)
    x_hat = augmented_view(r, idx, r.method.config.cutout, gen)
    xp_data, yp = r.ctx.probe
    cfg = r.record["config"]
    return StepBatch(net, x, x_hat, one_hot(given[idx].to(dev), r.prep.dataset.num_classes),
                     xp_data.batch(torch.arange(len(yp), device=dev)), yp, idx, (given[idx] == true[idx]).numpy(),
                     given, true, r.prep.dataset.classes, cfg["lr"], cfg["weight_decay"], cfg["momentum"], gen,
                     r.method.config.lambda0)


def virtual_probe_loss(net: torch.nn.Module, logits: Tensor, y: Tensor, g: Tensor, omega: Tensor, lam: Tensor,
                       x_probe: Tensor, y_probe: Tensor, lr: float, weight_decay: float = 0.0) -> float:
    """L^p(Θ'(ω, λ)): the probe loss after one virtual SGD step of size ``lr`` on eq. (3)'s
    Σ_i ω_i L(P(λ_i), Φ(x_i)) (no momentum, v = 0); ``logits`` Φ(x; Θ) with their graph."""
    params = dict(net.named_parameters())
    grads = torch.autograd.grad(weighted_loss(logits, y, g, omega, lam), list(params.values()), retain_graph=True)
    with torch.no_grad():
        theta_prime = lookahead(params, grads, lr, weight_decay=weight_decay)
        return float(F.cross_entropy(functional_forward(net, theta_prime, x_probe), y_probe))


def probe_loss_now(net: torch.nn.Module, x_probe: Tensor, y_probe: Tensor) -> float:
    """L^p(Θ): the probe loss before any virtual step (train-mode BatchNorm, as after it)."""
    with torch.no_grad():
        return float(F.cross_entropy(functional_forward(net, dict(net.named_parameters()), x_probe), y_probe))


def omega_finite_differences(batch: StepBatch, logits: Tensor, g: Tensor, at, eps: float = 1e-3) -> Tensor:
    """∂L^p/∂ω_i at (ω₀, λ₀) by central differences, [L^p(Θ'(ω₀ + ε e_i)) − L^p(Θ'(ω₀ − ε e_i))] / 2ε,
    for the samples ``at`` of ``batch`` (``logits`` its Φ(x; Θ), ``g`` its pseudo labels): a check
    of :func:`meta_step` that needs no derivation."""
    b = batch
    omega0, lam0 = b.meta_point()
    fd = []
    for i in at:
        e = torch.zeros(b.B, device=omega0.device)
        e[i] = eps
        side = [virtual_probe_loss(b.net, logits, b.y, g, w, lam0, b.xp, b.yp, b.lr, b.weight_decay)
                for w in (omega0 + e, omega0 - e)]
        fd.append((side[0] - side[1]) / (2 * eps))
    return torch.tensor(fd)


def virtual_steps(batch: StepBatch, logits: Tensor, g: Tensor, omega_star: Tensor) -> dict[str, float]:
    """The probe loss after one virtual step (:func:`virtual_probe_loss`) on the given labels of
    the clean images of ``batch`` alone, of its mislabelled images alone, on the whole batch at
    (ω₀, λ₀), and at (ω*, λ₀): the meta-gradient's first-order statement, checked by taking the step."""
    b = batch
    omega0, lam0 = b.meta_point()
    ones, clean = torch.ones(b.B, device=omega0.device), torch.as_tensor(b.is_clean, device=omega0.device).float()
    steps = {"clean images alone": (clean / clean.sum(), ones),            # (ω, λ): λ = 1, the given labels
             "mislabelled images alone": ((1 - clean) / (1 - clean).sum(), ones),
             "whole batch, ω₀ = 1/B, λ₀": (omega0, lam0),
             "whole batch, the meta step's ω*, λ₀": (omega_star, lam0)}
    return {name: virtual_probe_loss(b.net, logits, b.y, g, w, lam, b.xp, b.yp, b.lr, b.weight_decay)
            for name, (w, lam) in steps.items()}


def probe_mixup(x: Tensor, x_hat: Tensor, g: Tensor, x_probe: Tensor, y_probe: Tensor, beta: float,
                rng: np.random.Generator) -> dict:
    """Eq. (6) on one batch: B probe anchors resampled with replacement, the pool
    D_p ∪ D_u ∪ D̂_u (targets: one-hot probe labels, then pseudo labels g), one Beta(β, β)
    coefficient per pooled sample and a permutation; returns the pieces and the mixed
    ``x_mix``, ``t_mix``."""
    B, C, dev = len(x), g.shape[1], x.device
    pick = torch.as_tensor(rng.integers(len(y_probe), size=B), device=dev)
    pool = torch.cat([x_probe[pick], x, x_hat])
    targets = torch.cat([one_hot(y_probe[pick], C), g, g])
    m = mixup_coefficients(len(pool), beta, "beta", rng).to(dev)
    perm = torch.as_tensor(rng.permutation(len(pool)), device=dev)
    return dict(pick=pick, pool=pool, targets=targets, origin=np.array(["probe"] * B + ["x"] * B + ["x̂"] * B),
                m=m, perm=perm, x_mix=mix(pool, pool[perm], m), t_mix=mix(targets, targets[perm], m))


def momentum_buffers(net: torch.nn.Module, data, labels: Tensor, lr: float, momentum: float,
                     weight_decay: float, idx: Tensor) -> list[Tensor]:
    """The optimiser's momentum buffers v after one SGD step of a copy of ``net`` on the images
    ``idx`` (a restored run keeps no optimiser state): a v to compare the look-aheads with."""
    twin = copy.deepcopy(net)
    opt = torch.optim.SGD(twin.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    F.cross_entropy(twin(data.batch(idx)), labels[idx.cpu()].to(idx.device)).backward()
    opt.step()
    return [opt.state[p]["momentum_buffer"] for p in twin.parameters()]


def lookahead_forms(lr: float, momentum: float, code_config: IEGConfig) -> dict[str, tuple[float, float]]:
    """The look-aheads the paper and the code take, as (step, momentum): the paper's exact
    momentum update at the optimiser's ``lr`` and ``momentum`` (§2.1's text), §2.1's displayed
    formula (plain SGD), and the code's fixed η_m and μ_m."""
    code_lr, code_mu = code_config.resolve("meta_lr"), code_config.resolve("meta_momentum")
    return {f"paper: momentum μ = {momentum:g} at α = {lr:g} (the optimiser's)": (lr, momentum),
            f"§2.1's formula: SGD at α = {lr:g} (lookahead='sgd')": (lr, 0.0),
            f"code: η_m = {code_lr:g}, μ_m = {code_mu:g}": (code_lr, code_mu)}


def with_params(cfg, **params):
    """The run config ``cfg`` with IEG's options ``params`` changed (a variant to time)."""
    return dataclasses.replace(cfg, method_params={**cfg.method_params, **params})


def step_variants(configs: dict, train_per_class: int | None = None) -> dict:
    """The variants whose training step the replication times, from the run configs of its arms
    (``configs``: CE, L2R, IEG, EG): CE, L2R, IEG, IEG with the meta-gradient through the
    look-ahead, IEG looking ahead in the last layer only, and EG (no meta step); on
    ``train_per_class`` images per class where given (a step costs the same on fewer images)."""
    if train_per_class is not None:
        configs = {k: dataclasses.replace(v, train_per_class=train_per_class) for k, v in configs.items()}
    return {"CE": configs["CE"], "L2R": configs["L2R"], "IEG": configs["IEG"],
            "IEG, meta_grad = backprop": with_params(configs["IEG"], meta_grad="backprop"),
            "IEG, meta_params = head": with_params(configs["IEG"], meta_params="head"),
            "EG (no meta step)": configs["EG"]}
