"""The SANM tutorial's walk-throughs, on the runs its pages trained. Figure 1's measure (the share of
the activation map in the image's centre, eq. 1's CAM), the trained networks restored by role,
the test images of Figure 1 with each network's prediction and CAM, the walk-through's two
training images (a clean one, a mislabelled one) for AMG (eq. 1-5), NLR checked against its
identities and against label smoothing (eq. 6-7), and the decoder's reconstruction error over
training (SMR, eq. 9-10)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor

from lnl import book, data, plans
from lnl.engine import Context
from lnl.methods.sanm import activation_map, modulate_labels
from lnl.models import Classifier, Features
from lnl.runner import restore


def centre_share(A: Tensor, size: tuple[int, int], centre: float = 0.5) -> Tensor:
    """The share ``[B]`` of each activation map's mass (its positive part, upsampled to the image's
    ``size``) that falls in the image's central box of ``centre`` times its height and width: the
    measure of the paper's Figure 1, where a network trained on noisy labels looks at the
    background and the object's edges more than one trained on clean labels."""
    up = F.interpolate(A[:, None].float().clamp_min(0), size=size, mode="bilinear", align_corners=False)[:, 0]
    H, W = size
    h, w = round(centre * H), round(centre * W)
    top, left = (H - h) // 2, (W - w) // 2
    inside = up[:, top:top + h, left:left + w].sum((1, 2))
    return inside / up.sum((1, 2)).clamp_min(1e-12)



def run_role(key: tuple) -> str:
    """The role of a run of the SANM pages by its plan key ``(arm, ...)``: ``"clean"`` (the host on
    clean labels, Figure 1's reference), ``"sanm"`` (SANM on the host) or ``"noisy"`` (the host)."""
    arm = key[0]
    return "clean" if arm.endswith("clean labels") else "sanm" if arm.startswith("SANM") else "noisy"


@dataclass
class Trained:
    """The tutorial's runs restored with their networks, by role (:func:`run_role`): ``runs``
    (:func:`lnl.runner.restore`), ``nets`` (DivideMix's ``net1``), the data set ``ds``, and ``smoke``:
    True where the page's records kept no network and the smoke profile's runs stand in."""
    runs: dict[str, Any]
    nets: dict[str, Classifier]
    ds: Any
    smoke: bool

    @property
    def ctx(self) -> Context:
        """The noisy-label run's context: its data, labels and device."""
        return self.runs["noisy"].ctx

    @property
    def labels(self) -> tuple[Tensor, Tensor]:
        """The given and the true label ``[N]`` of every training image."""
        prep = self.runs["noisy"].prep
        return torch.tensor(prep.labels), torch.tensor(prep.true)

    @property
    def is_clean(self):
        """Whether each training label is the true one (a numpy array ``[N]``)."""
        given, true = self.labels
        return (given == true).numpy()

    @property
    def side(self) -> int:
        """The side of the network's last feature map (1: the MLP's, which has no spatial map)."""
        with torch.no_grad():
            x = self.ctx.data.batch(torch.arange(1, device=self.ctx.device))
            return self.nets["noisy"](x, features=True).feature_map.shape[-1]

    def describe(self) -> str:
        """One line: the data set, its noise, its images' size and the feature map's."""
        H, W = self.ds.image_shape[1:]
        return (f"{self.ds.name}: {len(self.is_clean)} training images ({(~self.is_clean).mean():.1%} mislabelled), "
                f"{H} × {W} pixels; the network's last feature map is {self.side} × {self.side}")


def restore_trained(page: str, recs: dict, rdir, seed: int = 0) -> Trained:
    """The tutorial's runs (``recs`` by plan key, in ``rdir``) with their trained networks. A `gpu`
    or `paper` record read on a CPU keeps no network (a campaign drops the weights); then the
    smoke profile's runs of ``page`` are trained (or loaded) here and stand in for them."""
    paths = {run_role(k): Path(rdir) / f"{r['run_id']}.json" for k, r in recs.items()}
    smoke = not all(p.with_suffix(".state.pt").exists() for p in paths.values())
    name = next(iter(recs.values()))["config"]["dataset"]
    if smoke:
        srecs = book.run_plan(plans.plan(page, "smoke", seed=seed), rdir)
        paths = {run_role(k): Path(rdir) / f"{r['run_id']}.json" for k, r in srecs.items()}
        name = plans.settings(page, "smoke")["run"]["dataset"]
    ds = data.load(name)
    runs = {r: restore(p, dataset=ds) for r, p in paths.items()}
    nets = {r: (R.method.net if hasattr(R.method, "net") else R.method.net1) for r, R in runs.items()}
    return Trained(runs, nets, ds, smoke)


@dataclass
class Focus:
    """Figure 1's test images ``x`` with their true labels ``y``, and per network (by role) its
    predicted class ``pred [B]`` and the CAM of that class ``cams [B, h, w]`` (eq. 1)."""
    x: Tensor
    y: Tensor
    pred: dict[str, Tensor]
    cams: dict[str, Tensor]

    def shown(self, n: int) -> Tensor:
        """``n`` images for a grid: up to half of them predicted wrong by the noisy-label network, the
        rest predicted right."""
        wrong = torch.nonzero(self.pred["noisy"] != self.y)[:, 0]
        right = torch.nonzero(self.pred["noisy"] == self.y)[:, 0]
        return torch.cat([wrong[:n // 2], right[:n - min(len(wrong), n // 2)]])


def focus_images(trained: Trained, n: int, seed: int = 0) -> Focus:
    """``n`` test images drawn with ``seed`` (in index order), and each network's prediction and CAM
    of it: the networks share one test set."""
    y = torch.as_tensor(trained.runs["noisy"].prep.dataset.test.labels)
    assert all(torch.equal(torch.as_tensor(R.prep.dataset.test.labels), y) for R in trained.runs.values())
    idx = torch.as_tensor(np.sort(np.random.default_rng(seed).permutation(len(y))[:n]))
    x = trained.runs["noisy"].test.batch(idx.to(trained.ctx.device))
    pred, cams = {}, {}
    for r in ("clean", "noisy", "sanm"):
        with torch.no_grad():
            out = trained.nets[r](x, features=True)
        cams[r] = activation_map(trained.nets[r], out, "cam").cpu()
        pred[r] = out.logits.argmax(1).cpu()
    return Focus(x, y[idx], pred, cams)


@dataclass
class Pair:
    """The walk-through's two training images (a clean one, a mislabelled one): their indices
    ``ids``, images ``x [2, C, H, W]`` (no augmentation), the host's forward ``out`` of them and
    their clean probabilities ``w [2]``."""
    ids: Tensor
    x: Tensor
    out: Features
    w: Tensor
    names: tuple[str, str] = ("clean", "mislabelled")


def example_pair(net: Classifier, ctx: Context, w_all: Tensor, is_clean) -> Pair:
    """The first clean image that the mixture finds clean (w > 1/2) and the first mislabelled one
    that it finds noisy (w < 1/2), or the first of each kind where none is so found."""
    w_np = w_all.numpy()
    ids = []
    for kind, found in ((is_clean, w_np > 0.5), (~is_clean, w_np < 0.5)):
        pick = np.flatnonzero(kind & found)
        ids.append(int(pick[0]) if len(pick) else int(np.flatnonzero(kind)[0]))
    ids = torch.as_tensor(ids)
    x = ctx.data.batch(ids.to(ctx.device))
    with torch.no_grad():
        out = net(x, features=True)                                    # the host's forward pass
    return Pair(ids, x, out, w_all[ids].to(ctx.device))


def nlr_check(y_hat: Tensor, sigma: Tensor) -> dict[str, float]:
    """What NLR (eq. 6-7, :func:`modulate_labels`) does to targets ``y_hat [n, C]`` with ratios
    ``sigma [n]``: the largest distance of a row's sum from 1, the smallest entry (both identities:
    0 and ≥ 0), the mean top probability of ŷ, and how many ratios the cap σ ≤ ŷ_k cut."""
    y_mod = modulate_labels(y_hat, sigma)
    top = y_hat.max(1).values
    return {"max |Σ_c ỹ^σ_c − 1|": float((y_mod.sum(1) - 1).abs().max()), "min ỹ^σ_c": float(y_mod.min()),
            "mean top probability ŷ_k": float(top.mean()), "samples with σ capped at ŷ_k": int((sigma >= top).sum())}


def label_smoothing(y: Tensor, eps: Tensor) -> Tensor:
    """(1 − ε_i) y_i + ε_i / C per row: NLR on a one-hot target with ε_i = σ_i C / (C − 1)."""
    return (1 - eps)[:, None] * y + (eps / y.shape[1])[:, None]


def reconstruction_errors(restored: Any) -> tuple[Any, float]:
    """The mean squared error, per epoch, of the traced reconstructions x̂ and of the masked views x̃
    to the unmasked images (``trace_recon``, ``trace_masked`` of a restored SANM run, in the
    normalised pixel space; a DataFrame by epoch), and that of the mean training image, which a
    decoder that learnt no more than the average would give."""
    m, ctx = restored.method, restored.ctx
    tm, tr = m.trace_masked.float().cpu(), m.trace_recon.float().cpu()                 # [E, k, C, H, W]
    x0 = ctx.data.batch(torch.arange(tm.shape[1], device=ctx.device)).float().cpu()
    mse = pd.DataFrame({"x̂: the decoder's reconstruction": ((tr - x0) ** 2).mean((1, 2, 3, 4)).numpy(),
                        "x̃: the masked view": ((tm - x0) ** 2).mean((1, 2, 3, 4)).numpy()},
                       index=pd.Index(np.arange(1, len(tm) + 1), name="epoch"))
    x_mean = ctx.data.batch(torch.arange(ctx.num_train, device=ctx.device)).mean(0, keepdim=True).cpu()
    return mse, float(((x_mean - x0) ** 2).mean())
