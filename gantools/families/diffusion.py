"""A denoising diffusion model (DDPM, Ho et al. 2020) with an MLP noise predictor, sampled
by DDIM (Song et al. 2021) with any number of network evaluations (NFE) from 1 to T.

Forward process: q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I), abar_t = prod_{s<=t}
(1 - beta_s), with DDPM's linear schedule beta_1 = 1e-4 ... beta_T = 0.02, T = 1,000. The
network eps(x_t, t) is trained to predict the noise: E |eps - eps(sqrt(abar_t) x_0 +
sqrt(1 - abar_t) eps, t)|^2, t uniform in 1..T (DDPM's "simple" loss). Its minimiser is the
posterior mean E[eps | x_t] = -sqrt(1 - abar_t) grad log q_t(x_t); for a Gaussian mixture
q_t is again a Gaussian mixture, so the exact minimiser is known (:func:`mixture_eps`) and a
sampler can be run without any learning error.

DDIM (eta = 0) visits ``nfe`` of the T times, tau_1 > ... > tau_nfe, and moves
x_tau -> sqrt(abar_prev) x0_hat + sqrt(1 - abar_prev) eps_hat with x0_hat = (x_tau -
sqrt(1 - abar_tau) eps_hat) / sqrt(abar_tau), ending at abar_0 = 1 (it returns x0_hat).
eta = 1 adds DDPM's ancestral noise. For bounded data (images) the sampler can clip x0_hat
into the data's range at every step, as Ho et al.'s sampler clips to [-1, 1], and re-derive
eps_hat from the clipped x0_hat: a network's errors in eps_hat reach x0_hat multiplied by
sqrt((1 - abar_t) / abar_t), about 160 at t = T, and on 1,024 pixels they can throw the
samples far outside the pixel range (seen in CPU pilots on Fashion-MNIST).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..batched import fourier_features, fourier_frequencies, init_mlp, mlp_forward
from ..checks import check_ints
from ..configs import Config
from ..distributions import GaussianMixture
from .common import Data, check_seeds, fit, mixture_scale, on_device, randn, sinusoidal

Tensor = torch.Tensor


def linear_alpha_bar(T: int = 1000, beta_1: float = 1e-4, beta_T: float = 0.02) -> np.ndarray:
    """abar_0 .. abar_T (length T + 1, abar_0 = 1) of DDPM's linear beta schedule, in float64."""
    check_ints(1, T=T)
    if not 0 < beta_1 <= beta_T < 1:
        raise ValueError(f"need 0 < beta_1 <= beta_T < 1, got beta_1={beta_1!r}, beta_T={beta_T!r}")
    betas = np.linspace(beta_1, beta_T, T)
    return np.concatenate([[1.0], np.cumprod(1.0 - betas)])


def ddim_times(nfe: int, T: int) -> np.ndarray:
    """The ``nfe`` times a DDIM sampler visits, evenly spaced from T down: floor(k T / nfe) for
    k = nfe ... 1 (all of T ... 1 when nfe = T)."""
    if isinstance(nfe, bool) or not isinstance(nfe, (int, np.integer)) or not 1 <= nfe <= T:
        raise ValueError(f"nfe must be an integer in 1..{T} (the number of network evaluations), got {nfe!r}")
    return (np.arange(nfe, 0, -1) * T) // nfe


def ddim_sample(eps_fn, x_T: Tensor, alpha_bar: np.ndarray, nfe: int, eta: float = 0.0,
                gen: torch.Generator | None = None, x0_range: tuple[Tensor, Tensor] | None = None) -> Tensor:
    """Run DDIM from ``x_T`` with ``nfe`` calls of ``eps_fn(x, t)`` (t an int in 1..T). ``eta``
    = 0 is the deterministic sampler, 1 the DDPM-like ancestral one (needs ``gen``).
    ``x0_range`` = (low, high), broadcastable to x: clip x0_hat into it at every step and
    use eps_hat = (x - sqrt(abar) x0_hat) / sqrt(1 - abar) of the clipped x0_hat."""
    if not 0.0 <= eta <= 1.0:
        raise ValueError(f"eta must be in [0, 1], got {eta!r}")
    times = ddim_times(nfe, len(alpha_bar) - 1)
    x = x_T
    for i, t in enumerate(times):
        prev = int(times[i + 1]) if i + 1 < len(times) else 0
        a, a_prev = float(alpha_bar[t]), float(alpha_bar[prev])
        eps = eps_fn(x, int(t))
        x0 = (x - np.sqrt(1 - a) * eps) / np.sqrt(a)
        if x0_range is not None:
            x0 = torch.maximum(torch.minimum(x0, x0_range[1]), x0_range[0])
            eps = (x - np.sqrt(a) * x0) / np.sqrt(1 - a)
        sigma = eta * np.sqrt((1 - a_prev) / (1 - a) * (1 - a / a_prev))
        x = np.sqrt(a_prev) * x0 + np.sqrt(max(1 - a_prev - sigma**2, 0.0)) * eps
        if sigma > 0:
            x = x + sigma * torch.randn(x.shape, generator=gen, dtype=x.dtype).to(x.device)
    return x


def mixture_eps(mixture: GaussianMixture, alpha_bar: np.ndarray, mean=None, scale: float | None = None):
    """The exact noise predictor E[eps | x_t] of data from ``mixture`` expressed in unit scale
    ((x - mean) / scale; by default the mixture's own mean and scale). Returns eps_fn(x, t) for
    x (..., d) float64 tensors: q_t = sum_k w_k N(sqrt(abar) mu_k, (abar s_k^2 + 1 - abar) I),
    eps* = -sqrt(1 - abar) grad log q_t = sqrt(1 - abar) sum_k r_k(x) (x - sqrt(abar) mu_k) / v_k."""
    mu0, s0 = mixture_scale(mixture)
    mean = mu0 if mean is None else np.asarray(mean, float)
    scale = s0 if scale is None else float(scale)
    d = mixture.dim
    means = torch.tensor((np.asarray(mixture.means, float).reshape(-1, d) - mean) / scale, dtype=torch.float64)
    var0 = torch.tensor((np.asarray(mixture.stds, float) / scale) ** 2, dtype=torch.float64)
    logw = torch.tensor(np.log(np.asarray(mixture.weights, float)), dtype=torch.float64)

    def eps_fn(x: Tensor, t: int) -> Tensor:
        a = float(alpha_bar[t])
        v = a * var0 + (1 - a)  # (K,)
        diff = x[..., None, :] - np.sqrt(a) * means  # (..., K, d)
        logr = logw - 0.5 * (diff**2).sum(-1) / v - 0.5 * d * torch.log(v)
        r = torch.softmax(logr, dim=-1)  # (..., K) the posterior over components
        return np.sqrt(1 - a) * (r[..., None] * diff / v[:, None]).sum(-2)

    return eps_fn


def gaussian_ddim_std(std: float, alpha_bar: np.ndarray, nfe: int) -> float:
    """The exact std of deterministic DDIM's output for 1D data N(0, std^2) sampled with the
    exact noise predictor: every step is linear, x_prev = c x, so the output std is prod(c)
    (x_T ~ N(0, 1)). eps*(x, t) = sqrt(1 - abar) x / (abar std^2 + 1 - abar)."""
    times = ddim_times(nfe, len(alpha_bar) - 1)
    gain = 1.0
    for i, t in enumerate(times):
        a = float(alpha_bar[t])
        a_prev = float(alpha_bar[int(times[i + 1])]) if i + 1 < len(times) else 1.0
        e = np.sqrt(1 - a) / (a * std**2 + 1 - a)  # eps* = e x
        gain *= np.sqrt(a_prev) * (1 - np.sqrt(1 - a) * e) / np.sqrt(a) + np.sqrt(1 - a_prev) * e
    return float(abs(gain))


@dataclass(frozen=True)
class DDPMConfig(Config):
    """A diffusion model: the MLP noise predictor, the schedule and the optimiser."""

    hidden: int = 128  # width of every hidden layer of eps(x, t)
    layers: int = 3  # hidden layers
    time_features: int = 32  # sinusoidal features of t / T fed with x
    x_fourier: int = 0  # > 0: x also enters as this many random Fourier features per coordinate
    x_fourier_max: float = 32.0  # their frequencies are log-uniform in [1/4, this] cycles per data scale
    T: int = 1000
    beta_1: float = 1e-4
    beta_T: float = 0.02
    lr: float = 1e-3  # Adam, decayed linearly to lr * lr_final
    lr_final: float = 0.1
    batch_size: int = 128
    ema: float = 0.0  # sample from an exponential moving average of the weights (0: off)
    skip: bool = False  # eps = sqrt(1 - abar_t) x_t + MLP: the MLP learns the residual (see eps)

    def __post_init__(self):
        check_ints(1, hidden=self.hidden, layers=self.layers, T=self.T, batch_size=self.batch_size)
        if isinstance(self.time_features, bool) or not isinstance(self.time_features, int) \
                or self.time_features < 2 or self.time_features % 2:
            raise ValueError(f"time_features must be a positive even integer, got {self.time_features!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr!r}")
        if not 0 <= self.ema < 1:
            raise ValueError(f"ema must be in [0, 1), got {self.ema!r}")
        if not isinstance(self.skip, bool):
            raise ValueError(f"skip must be True or False, got {self.skip!r}")
        linear_alpha_bar(self.T, self.beta_1, self.beta_T)  # validates the schedule



class BatchedDDPM:
    """S independent diffusion models (one per seed) trained as one batched computation.

        ddpm = BatchedDDPM(DDPMConfig(), seeds=range(10)).train(grid(), steps=4000)
        x = ddpm.sample(2500, nfe=50)   # (10, 2500, 2)
    """

    def __init__(self, cfg: DDPMConfig = DDPMConfig(), seeds=(0,), device: str | torch.device = "cpu"):
        self.cfg, self.seeds, self.device = cfg, check_seeds(seeds), torch.device(device)
        self.alpha_bar = linear_alpha_bar(cfg.T, cfg.beta_1, cfg.beta_T)
        self._ab = torch.tensor(self.alpha_bar, dtype=torch.float32, device=self.device)
        self.params = None
        self._freqs = None
        self.data: Data | None = None
        self.history: dict = {}

    @property
    def runs(self) -> int:
        return len(self.seeds)

    def eps(self, x: Tensor, t: Tensor, params=None) -> Tensor:
        """The predicted noise for x (S, n, d) at integer times t (S, n) or a scalar.

        With ``cfg.skip`` the MLP's output is added to sqrt(1 - abar_t) x, the exact noise
        predictor for unit-variance Gaussian data: the network learns only the residual, as
        in Karras et al.'s (2022) preconditioning. Without it an MLP on many coordinates
        must learn to copy its input at large t, which a 1,024-pixel image makes hard."""
        t = torch.as_tensor(t, dtype=torch.float32, device=x.device).expand(x.shape[:2])
        x_in = x
        if self._freqs is not None:
            x = fourier_features(x, self._freqs)
        inp = torch.cat([x, sinusoidal(t / self.cfg.T, self.cfg.time_features)], dim=-1)
        out = mlp_forward(self.params if params is None else params, inp, F.silu)
        if self.cfg.skip:
            out = out + (1 - self._ab[t.long()])[..., None].sqrt() * x_in
        return out

    def train(self, data, steps: int) -> BatchedDDPM:
        """``steps`` Adam steps of the simple loss on ``data`` (see :class:`Data`)."""
        check_ints(1, steps=steps)
        cfg = self.cfg
        self.data = Data(data, self.runs, self.device)
        d = self.data.dim
        self._freqs = None
        if cfg.x_fourier:
            g = torch.Generator().manual_seed(self.seeds[0] * 7919 + 5)
            self._freqs = fourier_frequencies(self.runs, d, d * cfg.x_fourier, cfg.x_fourier_max, g).to(self.device)
        sizes = [d * (1 + 2 * cfg.x_fourier) + cfg.time_features] + [cfg.hidden] * cfg.layers + [d]
        self.params = on_device(init_mlp(sizes, self.seeds, salt=71), self.device)
        gen = torch.Generator().manual_seed(self.seeds[0] * 7919 + 3)
        shadow = [p.detach().clone() for layer in self.params for p in layer] if cfg.ema else None

        def loss(step: int) -> Tensor:
            x0 = self.data.sample(cfg.batch_size, gen)
            t = torch.randint(1, cfg.T + 1, x0.shape[:2], generator=gen).to(self.device)
            a = self._ab[t][..., None]
            noise = randn(x0.shape, gen, self.device)
            pred = self.eps(a.sqrt() * x0 + (1 - a).sqrt() * noise, t)
            return ((pred - noise) ** 2).mean(dim=(1, 2))

        def ema(step: int, _loss) -> None:
            with torch.no_grad():
                for s, p in zip(shadow, (p for layer in self.params for p in layer), strict=True):
                    s.mul_(cfg.ema).add_(p, alpha=1 - cfg.ema)

        self.history = fit(self.params, loss, steps, cfg.lr, cfg.lr_final, callbacks=[ema] if shadow else ())
        if shadow:
            it = iter(shadow)
            self.params = [[next(it) for _ in layer] for layer in self.params]
        return self

    def sample(self, n: int = 2500, nfe: int = 50, seed: int = 0, eta: float = 0.0,
               clip: bool = False) -> np.ndarray:
        """(S, n, d) samples in data units by DDIM with ``nfe`` network evaluations; ``clip``:
        keep x0_hat within each coordinate's range in the training points (see the module)."""
        if self.params is None:
            raise ValueError("train the model before sampling")
        ddim_times(nfe, self.cfg.T)
        check_ints(1, n=n)
        gen = torch.Generator().manual_seed(int(seed))
        x_T = randn((self.runs, n, self.data.dim), gen, self.device)
        with torch.no_grad():
            x = ddim_sample(lambda x, t: self.eps(x, t), x_T, self.alpha_bar, nfe, eta, gen,
                            self.data.bounds() if clip else None)
        return self.data.unscale(x)
