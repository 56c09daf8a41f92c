"""DCGAN generator and discriminator (Radford et al. 2016), and the WGAN-GP critic.

The guidelines of the DCGAN paper, each visible below:

1. no pooling: the discriminator downsamples with strided convolutions, the generator
   upsamples with fractionally strided (transposed) convolutions;
2. batch norm in both networks, except the generator's output and the discriminator's
   input layer;
3. no fully connected hidden layers;
4. ReLU in the generator (tanh at the output), LeakyReLU(0.2) in the discriminator;
5. weights initialised from N(0, 0.02²).

The WGAN-GP critic (Gulrajani et al. 2017) is the same discriminator with ``norm="layer"``
or ``"none"``: batch norm couples the samples of a batch, and the gradient penalty is a
per-sample constraint (chapter 7 measures the coupling).

``upsample="resize"`` swaps each transposed convolution for nearest-neighbour upsampling
followed by a 3×3 convolution, the fix of Odena et al. (2016) for checkerboard artifacts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .configs import Config

NORMS = ("batch", "layer", "none")
UPSAMPLES = ("transposed", "resize")


@dataclass(frozen=True)
class DCGANConfig(Config):
    """Architecture of the generator and the discriminator/critic."""

    image_size: int = 32  # output side: 32 or 64 (any power of two from 16 to 128)
    channels: int = 1  # 1 (grey) or 3 (colour)
    nz: int = 100  # latent dimension; z ~ N(0, I)
    ngf: int = 64  # generator width: feature maps of its last hidden layer
    ndf: int = 64  # discriminator width: feature maps of its first layer
    d_norm: str = "batch"  # discriminator normalisation: batch | layer | none (WGAN-GP: layer)
    upsample: str = "transposed"  # generator upsampling: transposed | resize (Odena et al.)

    def __post_init__(self):
        n = self.image_size
        if not (isinstance(n, int) and 16 <= n <= 128 and n & (n - 1) == 0):
            raise ValueError(f"image_size must be a power of two from 16 to 128, got {n!r}")
        for name in ("channels", "nz", "ngf", "ndf"):
            v = getattr(self, name)
            if not (isinstance(v, int) and not isinstance(v, bool) and v >= 1):
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if self.d_norm not in NORMS:
            raise ValueError(f"d_norm must be one of {NORMS}, got {self.d_norm!r}")
        if self.upsample not in UPSAMPLES:
            raise ValueError(f"upsample must be one of {UPSAMPLES}, got {self.upsample!r}")

    @property
    def n_blocks(self) -> int:
        """Resolution doublings between 4×4 and the image: log2(image_size) − 2."""
        return int(math.log2(self.image_size)) - 2


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":  # layer norm over (C, H, W) of each sample, with per-channel affine
        return nn.GroupNorm(1, channels)
    return nn.Identity()


def _up(cin: int, cout: int, how: str) -> list[nn.Module]:
    if how == "transposed":  # kernel 4, stride 2: each output pixel sees 1 or 2 taps per axis
        return [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False)]
    return [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(cin, cout, 3, 1, 1, bias=False)]


class Generator(nn.Module):
    """z ``(N, nz)`` → images ``(N, channels, image_size, image_size)`` in [-1, 1]."""

    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        self.cfg = cfg
        widths = [cfg.ngf * 2 ** i for i in reversed(range(cfg.n_blocks))]  # e.g. 256, 128, 64
        layers: list[nn.Module] = [  # project z to 4×4: a transposed conv on a 1×1 map
            nn.ConvTranspose2d(cfg.nz, widths[0], 4, 1, 0, bias=False),
            nn.BatchNorm2d(widths[0]), nn.ReLU(True)]
        for cin, cout in zip(widths[:-1], widths[1:], strict=True):
            layers += [*_up(cin, cout, cfg.upsample), nn.BatchNorm2d(cout), nn.ReLU(True)]
        layers += [*_up(widths[-1], cfg.channels, cfg.upsample), nn.Tanh()]  # no BN at the output
        self.net = nn.Sequential(*layers)
        init_weights(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z[:, :, None, None])  # (N, nz, 1, 1) → (N, C, H, W)


class Discriminator(nn.Module):
    """Images ``(N, C, H, W)`` → logits ``(N,)`` (a critic score for WGAN-GP)."""

    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        self.cfg = cfg
        widths = [cfg.ndf * 2 ** i for i in range(cfg.n_blocks)]  # e.g. 64, 128, 256
        layers: list[nn.Module] = [  # no normalisation on the input layer
            nn.Conv2d(cfg.channels, widths[0], 4, 2, 1), nn.LeakyReLU(0.2, True)]
        for cin, cout in zip(widths[:-1], widths[1:], strict=True):
            layers += [nn.Conv2d(cin, cout, 4, 2, 1, bias=cfg.d_norm == "none"),
                       _norm(cfg.d_norm, cout), nn.LeakyReLU(0.2, True)]
        layers += [nn.Conv2d(widths[-1], 1, 4, 1, 0)]  # 4×4 → 1×1: one logit, no sigmoid
        self.net = nn.Sequential(*layers)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()  # (N, 1, 1, 1) → (N,)


def init_weights(module: nn.Module) -> None:
    """DCGAN initialisation: conv weights N(0, 0.02²); norm scales N(1, 0.02²), shifts 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
