"""AMG: adversarial masking generation (§2.4, eq. 1-5). The activation map of the host's forward
pass (eq. 1), the locations of its maximum and minimum, each sample's mask ratio from its clean
probability (eq. 2), a box of random aspect (eq. 3) and area (eq. 4) at each location, and its
pixels replaced by noise (eq. 5)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from lnl.methods.sanm.config import SANMConfig
from lnl.models import Classifier, Features


def activation_map(net: Classifier, out: Features, form: str = "cam", cls: Tensor | None = None) -> Tensor:
    """Eq. (1): the activation map ``[B, h, w]`` of each image, from the feature map of a forward
    pass already made (``net(x, features=True)``), never a second forward through the body.

    ``cam``: the class activation map of class ``cls`` (default: the predicted class), each
    location's contribution to that class's logit, Σ_k F_k ∂z_c/∂F_k. For a network that pools
    globally before its linear head (the ResNets) ∂z_c/∂F_k = W_{c,k} / (h w), and the map is the
    CAM of Zhou et al. (2016) divided by h w; for the CPU ``cnn``, whose neck is a linear layer and a
    ReLU, the same sum is exact for the neck's active units. It is computed through the neck and
    head alone. ``energy``: Σ_k F_k², the code's class-agnostic map.
    """
    fmap = out.feature_map.detach().float()
    if form == "energy":
        return (fmap ** 2).sum(1)
    if form != "cam":
        raise ValueError(f"activation map form is 'cam' or 'energy', got '{form}'.")
    if cls is None:
        cls = out.logits.detach().argmax(1)
    with torch.enable_grad():
        f = fmap.clone().requires_grad_(True)
        z = net.fc(net.neck(f.to(out.feature_map.dtype))).float()
        (grad,) = torch.autograd.grad(z.gather(1, cls.view(-1, 1)).sum(), f)
    return (f.detach() * grad).sum(1)


def extreme_locations(A: Tensor, size: tuple[int, int]) -> tuple[Tensor, Tensor]:
    """Row and column ``[B, 2]`` of the maximum and of the minimum of each activation map, after
    bilinear upsampling to the image's ``size`` (H, W), as the code's ``cv2.resize``; on ties (to
    within float rounding, 1e-6 of the map's range: a flat map, such as the MLP's 1 × 1 one,
    upsampled) the first location in row-major order."""
    up = F.interpolate(A[:, None].float(), size=size, mode="bilinear", align_corners=False)[:, 0]
    flat = up.flatten(1)
    hi, lo = flat.amax(1, keepdim=True), flat.amin(1, keepdim=True)
    tol = 1e-6 * (hi - lo + hi.abs() + 1)
    W = size[1]
    first = lambda hit: hit.int().argmax(1)          # noqa: E731  (the first True of each row)
    at = lambda i: torch.stack([i // W, i % W], 1)   # noqa: E731
    return at(first(flat >= hi - tol)), at(first(flat <= lo + tol))


def mask_ratio(w: Tensor, sigma_b: float, kappa: float = 1.0, form: str = "noise-aware",
               generator: torch.Generator | None = None) -> Tensor:
    """Eq. (2): the mask ratio σ_i of each sample from its clean probability ``w [B]``.

    ``noise-aware`` (reconstructed): σ_b (1 + κ (1 − w)), from σ_b for a sure-clean sample to
    (1 + κ) σ_b for a sure-noisy one. ``fixed``: σ_b. ``random``: U(σ_b, (1 + κ) σ_b), the same
    range drawn without w (Fig. 2 and 4's controls). ``code``: U(0.02, 0.07) + 0.03 (1 − w), drawn
    per sample and step (HEAD of the official code), σ_b unused."""
    w = w.float().clamp(0, 1)
    if form == "noise-aware":
        return sigma_b * (1 + kappa * (1 - w))
    if form == "fixed":
        return torch.full_like(w, sigma_b)
    u = torch.rand(w.shape, generator=generator, device=w.device)
    if form == "random":
        return sigma_b * (1 + kappa * u)
    if form == "code":
        return 0.02 + 0.05 * u + 0.03 * (1 - w)
    raise ValueError(f"mask ratio form is noise-aware, fixed, random or code, got '{form}'.")


def min_mask_ratio(w: Tensor, sigma: Tensor, sigma_b: float, form: str = "paper") -> Tensor:
    """The ratio of the box at the activation minimum: σ_b (1 − w) (``paper``, reconstructed: a
    smaller box for a clean sample, whose minimum lies in the background), or σ_i (``same``, the
    code's box of the same size as the one at the maximum)."""
    if form == "same":
        return sigma
    if form == "paper":
        return sigma_b * (1 - w.float().clamp(0, 1))
    raise ValueError(f"the minimum's mask ratio is 'paper' or 'same', got '{form}'.")


def aspect_ratio(n: int, r1: float, generator: torch.Generator | None = None, device=None) -> Tensor:
    """Eq. (3): r_a ~ U(r_1, 1/r_1), one per sample."""
    u = torch.rand(n, generator=generator, device=device)
    return r1 + (1 / r1 - r1) * u


def box_size(sigma: Tensor, r_a: Tensor, H: int, W: int, area_factor: float = 1.0) -> tuple[Tensor, Tensor]:
    """Eq. (4): height √(a σ H W r_a) and width √(a σ H W / r_a), rounded and clipped to the image,
    with a = ``area_factor`` (the code's 0.5). A ratio of 0 gives an empty box."""
    area = area_factor * sigma.float() * H * W
    h = torch.round(torch.sqrt(area * r_a)).long().clamp(0, H)
    w = torch.round(torch.sqrt(area / r_a)).long().clamp(0, W)
    return h, w


def box_corner(at: Tensor, h: Tensor, w: Tensor, H: int, W: int, anchor: str = "centre") -> Tensor:
    """Top-left corner ``[B, 2]`` of each box of size ``h × w`` placed at location ``at [B, 2]``:
    centred on it (``centre``, eq. 4: rows at − ⌊h/2⌋ …) or with its top-left corner on it
    (``corner``, the code), shifted inwards so that the whole box lies inside the H × W image."""
    if anchor == "centre":
        top, left = at[:, 0] - h // 2, at[:, 1] - w // 2
    elif anchor == "corner":
        top, left = at[:, 0], at[:, 1]
    else:
        raise ValueError(f"a box's anchor is 'centre' or 'corner', got '{anchor}'.")
    top = torch.minimum(top.clamp_min(0), H - h)
    left = torch.minimum(left.clamp_min(0), W - w)
    return torch.stack([top, left], 1)


def box_masks(corner: Tensor, h: Tensor, w: Tensor, H: int, W: int) -> Tensor:
    """Binary masks M ``[B, 1, H, W]``: 1 inside each box."""
    rows = torch.arange(H, device=corner.device)[None, :, None]
    cols = torch.arange(W, device=corner.device)[None, None, :]
    top, left = corner[:, 0, None, None], corner[:, 1, None, None]
    inside = ((rows >= top) & (rows < top + h[:, None, None]) & (cols >= left) & (cols < left + w[:, None, None]))
    return inside[:, None].float()


def fill_noise(x: Tensor, mean: Tensor, std: Tensor, form: str = "noise",
               generator: torch.Generator | None = None) -> Tensor:
    """The noise N of eq. (5) for normalised images ``x [B, C, H, W]``: ``noise``, per-pixel
    U(0, 1) in pixel space, normalised like the images (``mean``, ``std`` per channel, in [0, 1]
    units); ``flat``, one U(0, 1) per image and channel written as it is into the normalised image
    (the code)."""
    B, C, H, W = x.shape
    if form == "noise":
        u = torch.rand((B, C, H, W), generator=generator, device=x.device)
        return (u - mean) / std
    if form == "flat":
        return torch.rand((B, C, 1, 1), generator=generator, device=x.device).expand(B, C, H, W)
    raise ValueError(f"the fill is 'noise' or 'flat', got '{form}'.")


def masked_images(x: Tensor, M: Tensor, N: Tensor) -> Tensor:
    """Eq. (5): x̃ = x ⊙ (1 − M) + N ⊙ M."""
    return x * (1 - M) + N.to(x.dtype) * M


def amg(net: Classifier, x: Tensor, out: Features, w: Tensor, c: SANMConfig, mean: Tensor, std: Tensor,
        generator: torch.Generator | None = None) -> dict[str, dict[str, Tensor]]:
    """AMG, eq. (1)-(5), for images ``x [n, C, H, W]`` with the forward pass ``out`` of them and
    clean probabilities ``w [n]``, in the forms of ``c``: ``{"max": ..., "min": ...}``, each with the
    masked images ``x``, the ratios ``sigma``, the aspect ratios ``r_a`` and the boxes ``box``
    ``[n, 4]`` (top, left, height, width). ``mean``, ``std``: the data's normalisation in [0, 1] units."""
    H, W = x.shape[-2:]
    A = activation_map(net, out, c.form("activation"))                                       # eq. (1)
    at_max, at_min = extreme_locations(A, (H, W))
    sigma = mask_ratio(w, c.sigma_b, c.kappa, c.form("ratio"), generator=generator)           # eq. (2)
    sigma_min = min_mask_ratio(w, sigma, c.sigma_b, c.form("min_ratio"))
    r_a = aspect_ratio(len(x), c.r1, generator=generator, device=x.device)                    # eq. (3)
    views = {}
    for where, s, at in (("max", sigma, at_max), ("min", sigma_min, at_min)):
        h, wd = box_size(s, r_a, H, W, c.form("area_factor"))                                  # eq. (4)
        corner = box_corner(at, h, wd, H, W, c.form("anchor"))
        M = box_masks(corner, h, wd, H, W)
        N = fill_noise(x, mean, std, c.form("fill"), generator=generator)
        views[where] = {"x": masked_images(x, M.to(x.dtype), N), "sigma": s, "r_a": r_a,          # eq. (5)
                        "box": torch.cat([corner, h[:, None], wd[:, None]], 1)}
    return views
