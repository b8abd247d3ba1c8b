"""SMR: self-supervised masking reconstruction (§2.5, eq. 9-10). A decoder M_D on the shared
encoder's last feature map reconstructs each unmasked image from its masked views."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from lnl.engine import eval_mode
from lnl.models import Classifier


class Decoder(nn.Module):
    """M_D: transposed convolutions from the encoder's last feature map ``[K, h, w]`` back to the
    image ``[C, H, W]``, with no non-linearity or normalisation between them and none at the output
    (the code's ``resnetc2d.Decoder``). For PreAct ResNet-18's 512 × 4 × 4 map the layers are the
    code's: ConvT(512→256, k4, s2), ConvT(256→128, k6, s1), ConvT(128→3, k4, s2). Other maps are
    doubled in size (ConvT k4, s2, p1, halving the channels) until they reach the image, then a
    3 × 3 convolution gives its channels; a 1 × 1 map (the MLP's) goes through a linear layer."""

    def __init__(self, channels: int, side: int, image_shape: tuple[int, int, int]):
        super().__init__()
        C, H, W = image_shape
        self.image_shape = image_shape
        if (channels, side, H) == (512, 4, 32):
            self.layers = nn.Sequential(nn.ConvTranspose2d(512, 256, 4, 2), nn.ConvTranspose2d(256, 128, 6, 1),
                                        nn.ConvTranspose2d(128, C, 4, 2))
        elif side == 1:
            self.layers = nn.Sequential(nn.Flatten(), nn.Linear(channels, C * H * W), nn.Unflatten(1, (C, H, W)))
        else:
            layers, k = [], channels
            while side < H:
                layers.append(nn.ConvTranspose2d(k, max(k // 2, 8), 4, 2, 1))
                k, side = max(k // 2, 8), side * 2
            if side != H:
                raise ValueError(f"no decoder from a {side}-pixel feature map to a {H}-pixel image.")
            layers.append(nn.Conv2d(k, C, 3, padding=1))
            self.layers = nn.Sequential(*layers)

    def forward(self, fmap: Tensor) -> Tensor:
        return self.layers(fmap)


def attach_decoder(net: Classifier, image_shape: tuple[int, int, int], seed: int = 0) -> Classifier:
    """Give ``net`` a decoder ``net.decoder`` for its feature map: a submodule of the network, so its
    parameters are in the network's optimiser and its checkpoint; the classifier's forward never
    calls it. The decoder's initial weights come from ``seed``, not from the global generator, so
    that the networks a host builds after this one start as they would without SANM."""
    device = next(net.parameters()).device
    with torch.no_grad(), eval_mode(net):
        fmap = net(torch.zeros((1, *image_shape), device=device), features=True).feature_map
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net.decoder = Decoder(fmap.shape[1], fmap.shape[-1], image_shape).to(device)
    return net


def reconstruction_loss(x_hat_max: Tensor, x_hat_min: Tensor | None, x: Tensor) -> Tensor:
    """Eq. (10): L_rec = MSE(x̂^max, x) + MSE(x̂^min, x), each the mean over pixels and images."""
    loss = F.mse_loss(x_hat_max.float(), x.float())
    return loss + F.mse_loss(x_hat_min.float(), x.float()) if x_hat_min is not None else loss
