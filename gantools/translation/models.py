"""The networks of chapter 13, sized for 16x16 images.

- :class:`Translator`: an encoder-decoder with a U-Net skip at 8x8 (Isola et al. 2017),
  16x16 -> 16x16 in [-1, 1] (tanh). The same network for every method.
- :class:`PatchDiscriminator`: a PatchGAN (Isola et al. 2017) scoring each of 4x4
  overlapping patches; ``in_channels`` = 2 for pix2pix's conditional D (input and output).
"""

from __future__ import annotations

import torch
from torch import nn


class Translator(nn.Module):
    def __init__(self, width: int = 32):
        super().__init__()
        w = width
        self.enc1 = nn.Sequential(nn.Conv2d(1, w, 4, 2, 1), nn.LeakyReLU(0.2))  # 8x8
        self.enc2 = nn.Sequential(nn.Conv2d(w, 2 * w, 4, 2, 1), nn.LeakyReLU(0.2))  # 4x4
        self.mid = nn.Sequential(nn.Conv2d(2 * w, 2 * w, 3, 1, 1), nn.ReLU())
        self.dec2 = nn.Sequential(nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.ReLU())  # 8x8
        self.dec1 = nn.ConvTranspose2d(2 * w, 1, 4, 2, 1)  # 16x16, after the skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(x)
        h = self.dec2(self.mid(self.enc2(e1)))
        return torch.tanh(self.dec1(torch.cat([h, e1], dim=1)))


class PatchDiscriminator(nn.Module):
    def __init__(self, in_channels: int = 1, width: int = 32):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, w, 4, 2, 1), nn.LeakyReLU(0.2),  # 8x8
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.LeakyReLU(0.2),  # 4x4
            nn.Conv2d(2 * w, 1, 3, 1, 1),  # (N, 1, 4, 4): one score per patch
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
