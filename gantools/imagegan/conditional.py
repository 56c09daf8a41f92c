"""Conditional DCGAN: one generator, three ways for the discriminator to see the label.

The generator is the DCGAN generator fed ``[z, e(y)]``, a learned class embedding next
to the noise, in every mode, so the modes differ only where the literature differs: how
the discriminator uses ``y``.

- ``concat`` (Mirza & Osindero 2014): the one-hot label enters the discriminator as K
  constant input channels; D(x, y) is the DCGAN discriminator of K + C channels.
- ``projection`` (Miyato & Koyama 2018): the optimal logit is
  ``log p_data(y|x)/p_g(y|x) + log p_data(x)/p_g(x)``, which for softmax class posteriors
  on features φ(x) is ``v_yᵀ φ(x) + ψ(φ(x))``: the DCGAN trunk φ, its last layer ψ, and an
  inner product of φ with a class embedding ``v_y``.
- ``acgan`` (Odena et al. 2017): D does not take y; it outputs an adversarial logit and K
  class logits, and both players add the class cross-entropy, on real *and* generated
  images, to their losses. Known bias: G is rewarded for images that are easy to classify,
  so its classes come out more separable than the data's (Shu et al. 2017).

Outputs: the discriminators return logits ``(N,)``; AC-GAN's returns ``(logits (N,),
class_logits (N, K))``.
"""

from __future__ import annotations

from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn

from ..dcgan import DCGANConfig, Discriminator, Generator, init_weights

CONDITIONINGS = ("concat", "projection", "acgan")


class ConditionalGenerator(nn.Module):
    """(z ``(N, nz)``, y ``(N,)``) → images ``(N, C, H, W)``: DCGAN's generator on ``[z, e(y)]``."""

    def __init__(self, arch: DCGANConfig, n_classes: int, embed_dim: int = 16):
        super().__init__()
        self.cfg, self.n_classes = arch, n_classes
        self.embed = nn.Embedding(n_classes, embed_dim)
        nn.init.normal_(self.embed.weight, 0.0, 1.0)  # on the scale of z ~ N(0, I)
        self.body = Generator(replace(arch, nz=arch.nz + embed_dim))

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.body(torch.cat([z, self.embed(y)], dim=1))  # (N, nz + embed) → (N, C, H, W)


class _Trunk(nn.Module):
    """The DCGAN discriminator split at its last layer: φ(x) ``(N, F, 4, 4)`` and ψ."""

    def __init__(self, arch: DCGANConfig, in_channels: int):
        super().__init__()
        net = Discriminator(replace(arch, channels=in_channels)).net
        self.phi, self.psi = net[:-1], net[-1]  # psi: Conv(F, 1, 4) on the 4×4 map

    @property
    def features(self) -> int:
        return self.psi.in_channels * 16  # F × 4 × 4


class ConcatDiscriminator(nn.Module):
    """(x, y) → logits: the one-hot label as K extra constant input channels."""

    def __init__(self, arch: DCGANConfig, n_classes: int):
        super().__init__()
        self.n_classes = n_classes
        self.trunk = _Trunk(arch, arch.channels + n_classes)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        maps = F.one_hot(y, self.n_classes).to(x.dtype)[:, :, None, None].expand(-1, -1, *x.shape[2:])
        return self.trunk.psi(self.trunk.phi(torch.cat([x, maps], dim=1))).flatten()  # (N,)


class ProjectionDiscriminator(nn.Module):
    """(x, y) → ψ(φ(x)) + ⟨v_y, φ(x)⟩ (Miyato & Koyama 2018)."""

    def __init__(self, arch: DCGANConfig, n_classes: int):
        super().__init__()
        self.trunk = _Trunk(arch, arch.channels)
        self.v = nn.Embedding(n_classes, self.trunk.features)
        nn.init.normal_(self.v.weight, 0.0, 0.02)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        phi = self.trunk.phi(x)  # (N, F, 4, 4)
        return self.trunk.psi(phi).flatten() + (self.v(y) * phi.flatten(1)).sum(1)  # (N,)


class ACGANDiscriminator(nn.Module):
    """x → (adversarial logits ``(N,)``, class logits ``(N, K)``): two heads on one trunk."""

    def __init__(self, arch: DCGANConfig, n_classes: int):
        super().__init__()
        self.trunk = _Trunk(arch, arch.channels)
        self.classify = nn.Conv2d(self.trunk.psi.in_channels, n_classes, 4, 1, 0)
        init_weights(self.classify)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        phi = self.trunk.phi(x)
        return self.trunk.psi(phi).flatten(), self.classify(phi).flatten(1)  # (N,), (N, K)


DISCRIMINATORS = {"concat": ConcatDiscriminator, "projection": ProjectionDiscriminator, "acgan": ACGANDiscriminator}
