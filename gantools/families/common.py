"""What the VAE and the diffusion model of chapter 14 share with each other and with the
batched GANs of chapter 6: S independent runs trained as one computation (every weight has a
leading run axis, :func:`gantools.batched.init_mlp`), data that every run sees in its own
units, and one training loop.

Data. A run trains on a 2D Gaussian mixture (the ring or the grid) or on a fixed array of
points (the digits' 64 pixels). Each run's data are divided by one number, the data's
root-mean-square distance to their mean per coordinate, so every model sees unit-scale data
whatever the benchmark (the grid spans +-4, the ring +-1); samples are mapped back before
they are scored. This is the usual normalisation of diffusion models; the VAE gets the same.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch

from ..batched import Adam, Mixtures, Params
from ..distributions import GaussianMixture

Tensor = torch.Tensor


def mixture_scale(m: GaussianMixture) -> tuple[np.ndarray, float]:
    """(mean, scale) of a mixture: its mean vector and sqrt(E|x - mean|^2 / d), exactly."""
    means = np.asarray(m.means, float).reshape(len(m.weights), -1)
    w = np.asarray(m.weights, float)
    mu = w @ means
    spread = w @ ((means - mu) ** 2).sum(1) + (w * np.asarray(m.stds, float) ** 2).sum() * means.shape[1]
    return mu, float(np.sqrt(spread / means.shape[1]))


class Data:
    """Per-run training data in unit scale: ``data`` is a GaussianMixture, a list of S of them
    (one per run), or an array (N, d) of points every run samples from (with replacement)."""

    def __init__(self, data, runs: int, device: str | torch.device = "cpu"):
        self.device = torch.device(device)
        if isinstance(data, (GaussianMixture, list, tuple)):
            mixtures = [data] * runs if isinstance(data, GaussianMixture) else list(data)
            self.dim = mixtures[0].dim
            self._mix = Mixtures(mixtures, runs, self.dim)
            stats = [mixture_scale(m) for m in mixtures]
            self.points = None
        else:
            pts = np.asarray(data, dtype=np.float32)
            if pts.ndim != 2 or len(pts) < 2 or not np.all(np.isfinite(pts)):
                raise ValueError(f"data must be a GaussianMixture, a list of them or a finite (N, d) array, "
                                 f"got shape {pts.shape}")
            self.dim = pts.shape[1]
            self.points = torch.from_numpy(pts)
            mu = pts.mean(0)
            stats = [(mu, float(np.sqrt(((pts - mu) ** 2).sum(1).mean() / self.dim)))] * runs
        self.runs = runs
        self.mean = torch.tensor(np.stack([s[0] for s in stats]), dtype=torch.float32)[:, None, :]  # (S, 1, d)
        self.scale = torch.tensor([s[1] for s in stats], dtype=torch.float32)[:, None, None]  # (S, 1, 1)

    def sample(self, n: int, gen: torch.Generator) -> Tensor:
        """(S, n, d) training points in unit scale."""
        if self.points is None:
            x = self._mix.sample(n, gen)
        else:
            x = self.points[torch.randint(len(self.points), (self.runs, n), generator=gen)]
        return ((x - self.mean) / self.scale).to(self.device)

    def bounds(self) -> tuple[Tensor, Tensor]:
        """(low, high), each (S, 1, d) on the device: every coordinate's smallest and largest
        value in the training points, in unit scale. A mixture is unbounded: ValueError."""
        if self.points is None:
            raise ValueError("a Gaussian mixture has no bounded range; clip only data given as points")
        lo, hi = self.points.min(0).values, self.points.max(0).values
        return ((lo - self.mean) / self.scale).to(self.device), ((hi - self.mean) / self.scale).to(self.device)

    def unscale(self, x: Tensor) -> np.ndarray:
        """Model outputs (S, n, d) in unit scale -> data units, as float32 numpy."""
        return (x.detach().cpu() * self.scale + self.mean).numpy().astype(np.float32)


def randn(shape, gen: torch.Generator, device: torch.device) -> Tensor:
    """Standard normal noise drawn on the CPU from ``gen`` (the same numbers on every device),
    then moved to ``device``."""
    return torch.randn(shape, generator=gen).to(device)


def on_device(params: Params, device: torch.device) -> Params:
    """Stacked parameters moved to ``device`` as fresh leaves that require gradients."""
    return [[p.detach().to(device).requires_grad_(True) for p in layer] for layer in params]


def check_seeds(seeds) -> list[int]:
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one run")
    return seeds


def sinusoidal(t: Tensor, dim: int) -> Tensor:
    """Transformer-style features of t in [0, 1] (Vaswani et al. 2017; DDPM's time input):
    sin and cos of t at ``dim / 2`` frequencies from 1 to 1,000, geometrically spaced."""
    half = dim // 2
    freqs = torch.exp(torch.linspace(0.0, math.log(1000.0), half, device=t.device))
    a = t[..., None] * freqs
    return torch.cat([torch.sin(a), torch.cos(a)], dim=-1)


def fit(params: Params, loss_fn: Callable[[int], Tensor], steps: int, lr: float, lr_final: float = 0.1,
        callbacks: Sequence[Callable[[int, Tensor], None]] = ()) -> dict:
    """Adam on the stacked ``params`` for ``steps`` steps of ``loss_fn(step)``, which returns the
    per-run losses (S,); their sum is differentiated, so each run gets its own gradient. The
    learning rate decays linearly to ``lr * lr_final``. Returns {"loss": (steps, S) numpy,
    "wall_s", "cpu_s"}."""
    opt = Adam(params, lr, (0.9, 0.999))
    flat = opt.params
    losses = []
    t0, c0 = time.perf_counter(), time.process_time()
    for step in range(steps):
        loss = loss_fn(step)
        grads = torch.autograd.grad(loss.sum(), flat)
        opt.step(grads, lr_scale=1.0 - (1.0 - lr_final) * step / max(steps - 1, 1))
        losses.append(loss.detach())
        for cb in callbacks:
            cb(step, loss)
    return {"loss": torch.stack(losses).cpu().numpy() if losses else np.zeros((0, 0)),
            "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}
