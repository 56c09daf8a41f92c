"""The networks of chapter 13, fully convolutional: 16x16 digits, 32x32 MNIST / Fashion-MNIST.

- :class:`Translator`: an encoder-decoder with a U-Net skip at half resolution (Isola et al.
  2017), HxH -> HxH in [-1, 1] (tanh), H a multiple of 4. The same network for every method.
- :class:`PatchDiscriminator`: a PatchGAN (Isola et al. 2017) scoring each of (H/4)x(H/4)
  overlapping patches of 18x18 pixels (at 16x16 every score sees the whole image, at 32x32 a
  patch); ``in_channels`` = 2 for pix2pix's conditional D (input and output).
"""

from __future__ import annotations

import torch
from torch import nn


class Translator(nn.Module):
    def __init__(self, width: int = 32):
        super().__init__()
        w = width
        self.enc1 = nn.Sequential(nn.Conv2d(1, w, 4, 2, 1), nn.LeakyReLU(0.2))  # H/2: 8x8 for 16x16
        self.enc2 = nn.Sequential(nn.Conv2d(w, 2 * w, 4, 2, 1), nn.LeakyReLU(0.2))  # H/4
        self.mid = nn.Sequential(nn.Conv2d(2 * w, 2 * w, 3, 1, 1), nn.ReLU())
        self.dec2 = nn.Sequential(nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.ReLU())  # H/2
        self.dec1 = nn.ConvTranspose2d(2 * w, 1, 4, 2, 1)  # H, after the skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.enc1(x)
        h = self.dec2(self.mid(self.enc2(e1)))
        return torch.tanh(self.dec1(torch.cat([h, e1], dim=1)))


class PatchDiscriminator(nn.Module):
    def __init__(self, in_channels: int = 1, width: int = 32):
        super().__init__()
        w = width
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, w, 4, 2, 1), nn.LeakyReLU(0.2),  # H/2
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.LeakyReLU(0.2),  # H/4
            nn.Conv2d(2 * w, 1, 3, 1, 1),  # (N, 1, H/4, H/4): one score per patch
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
