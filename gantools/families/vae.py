"""A variational autoencoder (Kingma & Welling 2014) with Gaussian encoder and decoder, S
independent runs trained as one batched computation (like :mod:`gantools.batched`).

Encoder q(z | x) = N(m(x), diag s(x)^2); decoder p(x | z) = N(mu(z), diag sigma(z)^2), both
MLPs; prior p(z) = N(0, I). Training maximises the ELBO

    E_q[log p(x | z)] - beta KL(q(z | x) || p(z)),  beta = 1 for the VAE proper,

with one reparameterised sample z = m + s * eps per data point. A VAE has two samplers, and
they are different distributions: the decoder *mean* mu(z) with z ~ N(0, I) (what most papers
show, sharp but "averaged") and the full model mu(z) + sigma(z) * eps (the density the ELBO is
a bound for). Chapter 14 measures both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..batched import init_mlp, mlp_forward
from ..checks import check_ints
from ..configs import Config
from .common import Data, check_seeds, fit, on_device, randn

Tensor = torch.Tensor
LOG_VAR_MIN = math.log(1e-6)  # the decoder's variance is kept above (1e-3 data scales)^2


@dataclass(frozen=True)
class VAEConfig(Config):
    """A VAE: its networks, its objective's KL weight and its optimiser."""

    latent: int = 2  # dimension of z
    hidden: int = 128  # width of every hidden layer, encoder and decoder
    layers: int = 2  # hidden layers of each
    kl_weight: float = 1.0  # beta; 1 is the ELBO
    kl_warmup: float = 0.0  # beta rises linearly from 0 over this fraction of training (Bowman et al. 2016)
    lr: float = 3e-3  # Adam, decayed linearly to lr * lr_final
    lr_final: float = 0.1
    batch_size: int = 128

    def __post_init__(self):
        check_ints(1, latent=self.latent, hidden=self.hidden, layers=self.layers, batch_size=self.batch_size)
        if not (isinstance(self.kl_weight, (int, float)) and math.isfinite(self.kl_weight) and self.kl_weight >= 0):
            raise ValueError(f"kl_weight must be a finite number >= 0, got {self.kl_weight!r}")
        if not 0 <= self.kl_warmup <= 1:
            raise ValueError(f"kl_warmup must be a fraction in [0, 1], got {self.kl_warmup!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr!r}")



def gaussian_kl(m: Tensor, log_var: Tensor) -> Tensor:
    """KL(N(m, diag e^log_var) || N(0, I)), summed over the last axis."""
    return 0.5 * (m**2 + log_var.exp() - 1 - log_var).sum(-1)


def gaussian_log_lik(x: Tensor, mu: Tensor, log_var: Tensor) -> Tensor:
    """log N(x; mu, diag e^log_var), summed over the last axis."""
    return -0.5 * (((x - mu) ** 2) / log_var.exp() + log_var + math.log(2 * math.pi)).sum(-1)


class BatchedVAE:
    """S independent VAEs (one per seed) trained as one batched computation.

        vae = BatchedVAE(VAEConfig(), seeds=range(10)).train(ring(), steps=4000)
        x_mean = vae.sample(2500, noise=False)   # decoder means
        x_full = vae.sample(2500, noise=True)    # the model's density
    """

    def __init__(self, cfg: VAEConfig = VAEConfig(), seeds=(0,), device: str | torch.device = "cpu"):
        self.cfg, self.seeds, self.device = cfg, check_seeds(seeds), torch.device(device)
        self.enc = self.dec = None
        self.data: Data | None = None
        self.history: dict = {}

    @property
    def runs(self) -> int:
        return len(self.seeds)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(m, log s^2) of q(z | x) for x (S, n, d) in unit scale."""
        out = mlp_forward(self.enc, x, F.silu)
        return out[..., : self.cfg.latent], out[..., self.cfg.latent:]

    def decode(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """(mu, log sigma^2) of p(x | z), in unit scale."""
        out = mlp_forward(self.dec, z, F.silu)
        d = out.shape[-1] // 2
        return out[..., :d], out[..., d:].clamp(min=LOG_VAR_MIN)

    def elbo_terms(self, x: Tensor, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        """Per point (S, n): the one-sample reconstruction term log p(x | z) and KL(q || p(z))."""
        m, log_s2 = self.encode(x)
        z = m + (0.5 * log_s2).exp() * randn(m.shape, gen, self.device)
        mu, log_v = self.decode(z)
        return gaussian_log_lik(x, mu, log_v), gaussian_kl(m, log_s2)

    def train(self, data, steps: int) -> BatchedVAE:
        """``steps`` Adam steps of -(reconstruction - beta KL) on ``data`` (see :class:`Data`)."""
        check_ints(1, steps=steps)
        cfg = self.cfg
        self.data = Data(data, self.runs, self.device)
        d = self.data.dim
        self.enc = on_device(init_mlp([d] + [cfg.hidden] * cfg.layers + [2 * cfg.latent], self.seeds, salt=91),
                             self.device)
        self.dec = on_device(init_mlp([cfg.latent] + [cfg.hidden] * cfg.layers + [2 * d], self.seeds, salt=92),
                             self.device)
        gen = torch.Generator().manual_seed(self.seeds[0] * 7919 + 11)

        def loss(step: int) -> Tensor:
            rec, kl = self.elbo_terms(self.data.sample(cfg.batch_size, gen), gen)
            warm = min(1.0, step / (cfg.kl_warmup * steps)) if cfg.kl_warmup else 1.0
            return (-rec + warm * cfg.kl_weight * kl).mean(1)

        self.history = fit(self.enc + self.dec, loss, steps, cfg.lr, cfg.lr_final)
        return self

    def elbo(self, n: int = 10_000, seed: int = 0) -> np.ndarray:
        """Each run's ELBO per point (S,) on ``n`` fresh data points, in nats of the data's own
        units (the unit-scale density corrected by -d log scale)."""
        self._check_trained()
        gen = torch.Generator().manual_seed(int(seed))
        with torch.no_grad():
            rec, kl = self.elbo_terms(self.data.sample(n, gen), gen)
        per = (rec - kl).mean(1).cpu() - self.data.dim * self.data.scale[:, 0, 0].log()
        return per.numpy()

    def sample(self, n: int = 2500, seed: int = 0, noise: bool = False) -> np.ndarray:
        """(S, n, d) samples in data units: decoder means (``noise`` False) or mean + decoder noise."""
        self._check_trained()
        check_ints(1, n=n)
        gen = torch.Generator().manual_seed(int(seed))
        with torch.no_grad():
            mu, log_v = self.decode(randn((self.runs, n, self.cfg.latent), gen, self.device))
            x = mu + (0.5 * log_v).exp() * randn(mu.shape, gen, self.device) if noise else mu
        return self.data.unscale(x)

    def _check_trained(self) -> None:
        if self.dec is None:
            raise ValueError("train the model before sampling")
