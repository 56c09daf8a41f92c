"""Train many toy GANs at once: one batched computation for S independent runs.

A 2D toy GAN is so small that one training step costs far less arithmetic than Python
overhead (about a millisecond per step, whatever the width). So instead of a Python loop
over seeds, every parameter here carries a leading *run* axis: a weight is (S, in, out),
a layer is one ``torch.baddbmm``, and S runs (seeds, or different target mixtures) train
in the time of about one. The runs never interact: each run's loss is its own mean, and
the total that autograd differentiates is their sum, so each run gets exactly its own
gradient; Adam is applied elementwise, i.e. per run.

Every fix for mode collapse in chapter 6 is an option of :class:`BatchedGANConfig`:

- ``g_loss`` / ``d_loss``: any loss of :mod:`gantools.losses` (minimax, non-saturating,
  Wasserstein, hinge);
- ``gp_weight``: the WGAN-GP penalty (Gulrajani et al. 2017);
- ``r1_weight``: the R1 penalty on real data (Mescheder et al. 2018);
- ``spectral_norm``: every D weight divided by its largest singular value, estimated by
  one power iteration per step (Miyato et al. 2018);
- ``pack``: PacGAN's packing, D judges ``pack`` samples at once (Lin et al. 2018);
- ``minibatch_std``: D sees the batch's feature spread (Karras et al. 2018);
- ``unroll_steps``: the generator's loss is taken against D after k differentiable
  optimiser steps (Metz et al. 2017);
- ``ema``: sample from an exponential moving average of G's weights (Yazici et al. 2019);
- ``real_label`` / ``fake_label``: label smoothing, D's BCE targets for real and fake
  samples (Salimans et al. 2016; one-sided: ``real_label`` < 1, ``fake_label`` 0);
- ``instance_noise``: N(0, sigma^2) added to every input of D, sigma annealed linearly from
  this value to 0 over ``train()`` (Sonderby et al. 2017);
- ``feature_matching``: G matches the mean of D's last hidden features on real data
  instead of fooling D (Salimans et al. 2016);
- ``minibatch_disc``: D's last layer also sees how close each sample is to the others of
  its batch, through this many learned kernels (Salimans et al. 2016).

    cfg = BatchedGANConfig(g_loss="non_saturating", pack=4)
    gan = BatchedGAN(cfg, seeds=range(10))
    gan.train(ring(), steps=5000)
    x = gan.sample(2500)          # (10, 2500, 2): 2,500 samples from each run
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .checks import check_ints
from .distributions import GaussianMixture
from .losses import DISCRIMINATOR_LOSSES, GENERATOR_LOSSES, smoothed_bce_loss_dis
from .toy import Every  # noqa: F401  (Every thins BatchedGAN callbacks too)

Tensor = torch.Tensor
Params = list[list[Tensor]]  # [[W (S, in, out), b (S, 1, out)], ...] one pair per layer

_ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "tanh": torch.tanh,
    "elu": F.elu,
}


@dataclass(frozen=True)
class BatchedGANConfig:
    """One toy-GAN recipe; every run of a :class:`BatchedGAN` trains with it."""

    data_dim: int = 2  # dimension of a data point x
    noise_dim: int = 2  # dimension of the noise z ~ N(0, noise_std^2 I)
    noise_std: float = 1.0  # standard deviation of each noise coordinate
    latent_components: int = 0  # > 0: z from a mixture of this many Gaussians (a disconnected latent)
    latent_component_std: float = 0.1  # std of each component; its means ~ N(0, I), all times noise_std
    g_hidden: int = 128  # width of the generator's hidden layers
    g_layers: int = 3  # hidden layers of the generator
    d_hidden: int = 128  # width of the discriminator's hidden layers
    d_layers: int = 3  # hidden layers of the discriminator
    g_activation: str = "relu"  # G's hidden nonlinearity: relu | leaky_relu | tanh | elu
    d_activation: str = "relu"  # D's hidden nonlinearity: relu | leaky_relu | tanh | elu
    g_loss: str = "non_saturating"  # a key of losses.GENERATOR_LOSSES
    d_loss: str = "bce"  # a key of losses.DISCRIMINATOR_LOSSES
    lr_g: float = 1e-3  # Adam learning rate of G
    lr_d: float = 1e-3  # Adam learning rate of D
    betas: tuple[float, float] = (0.5, 0.999)  # Adam betas
    lr_final: float = 1.0  # learning rates decay linearly to lr * lr_final over train()
    batch_size: int = 256  # real and fake samples per step, per run
    d_steps: int = 1  # D updates per G update
    gp_weight: float = 0.0  # lambda of the WGAN-GP penalty (10 in the paper); 0 = off
    r1_weight: float = 0.0  # gamma of the R1 penalty gamma/2 E||grad D(x)||^2; 0 = off
    spectral_norm: bool = False  # divide every D weight by its spectral norm
    pack: int = 1  # PacGAN: D scores `pack` samples concatenated (1 = no packing)
    minibatch_std: bool = False  # append the batch's mean feature std before D's last layer
    unroll_steps: int = 0  # Unrolled GAN: G's loss against D after k extra D steps
    ema: float = 0.0  # decay of an exponential moving average of G (0 = off; e.g. 0.999)
    g_batchnorm: bool = False  # batch norm before each hidden nonlinearity of G (running stats when sampling)
    bn_momentum: float = 0.05  # weight of the newest batch in batch norm's running statistics
    d_maxout: int = 1  # > 1: D's hidden units are maxout units over this many linear pieces
    init_std: float = 0.0  # > 0: weights ~ N(0, init_std^2) and biases 0; 0: nn.Linear's default
    simultaneous: bool = False  # both players step from the same state (else D first, then G)
    d_fourier: int = 0  # > 0: D's input is [x, sin 2 pi B x, cos 2 pi B x] with this many random frequencies
    d_fourier_max: float = 32.0  # their magnitudes are log-uniform in [1/4, d_fourier_max] cycles per unit
    real_label: float = 1.0  # D's BCE target for real samples (one-sided label smoothing: e.g. 0.9)
    fake_label: float = 0.0  # D's BCE target for generated samples (> 0: two-sided smoothing)
    instance_noise: float = 0.0  # std of the noise added to D's inputs at step 0, annealed to 0
    feature_matching: bool = False  # G's loss: ||mean f(x) - mean f(G(z))||^2 on D's last hidden layer
    minibatch_disc: int = 0  # > 0: kernels of minibatch discrimination before D's last layer
    minibatch_disc_dim: int = 3  # the dimension of each kernel's projection

    def __post_init__(self):
        names = ("data_dim", "noise_dim", "g_hidden", "d_hidden", "batch_size", "d_steps", "pack", "d_maxout")
        if self.d_fourier and not self.d_fourier_max > 0.25:
            raise ValueError(f"d_fourier_max must be above 1/4, got {self.d_fourier_max!r}")
        check_ints(**{k: getattr(self, k) for k in names}, minimum=1)
        check_ints(**{k: getattr(self, k) for k in ("g_layers", "d_layers", "unroll_steps", "latent_components")},
                   minimum=0)
        for name in ("lr_g", "lr_d", "noise_std"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        for name in ("gp_weight", "r1_weight", "init_std"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if not 0 < self.lr_final <= 1:
            raise ValueError(f"lr_final must be in (0, 1], got {self.lr_final!r}")
        if not 0 <= self.ema < 1:
            raise ValueError(f"ema must be in [0, 1), got {self.ema!r}")
        if not self.latent_component_std > 0:
            raise ValueError(f"latent_component_std must be positive, got {self.latent_component_std!r}")
        if not 0 < self.bn_momentum <= 1:
            raise ValueError(f"bn_momentum must be in (0, 1], got {self.bn_momentum!r}")
        if self.g_batchnorm and self.ema:
            raise ValueError("ema is not supported with g_batchnorm (the running statistics are not averaged)")
        if self.simultaneous and (self.unroll_steps or self.d_steps != 1):
            raise ValueError("simultaneous updates take one D step per G step and no unrolling")
        for name in ("g_activation", "d_activation"):
            if getattr(self, name) not in _ACTIVATIONS:
                raise ValueError(f"unknown {name} {getattr(self, name)!r}; choose one of {sorted(_ACTIVATIONS)}")
        if self.g_loss not in GENERATOR_LOSSES:
            raise ValueError(f"unknown generator loss {self.g_loss!r}; choose one of {sorted(GENERATOR_LOSSES)}")
        if self.d_loss not in DISCRIMINATOR_LOSSES:
            raise ValueError(f"unknown discriminator loss {self.d_loss!r}; choose one of {sorted(DISCRIMINATOR_LOSSES)}")
        if self.batch_size % self.pack:
            raise ValueError(f"batch_size ({self.batch_size}) must be a multiple of pack ({self.pack})")
        self._check_tricks()

    def _check_tricks(self) -> None:
        """The training tricks of chapter 12: label targets, instance noise, feature matching,
        minibatch discrimination."""
        if not (isinstance(self.real_label, (int, float)) and 0 < self.real_label <= 1):
            raise ValueError(f"real_label (the smoothing target for real samples) must be in (0, 1], "
                             f"got {self.real_label!r}")
        if not (isinstance(self.fake_label, (int, float)) and 0 <= self.fake_label < self.real_label):
            raise ValueError(f"fake_label (the smoothing target for fake samples) must be in [0, real_label), "
                             f"got {self.fake_label!r} with real_label {self.real_label!r}")
        if (self.real_label, self.fake_label) != (1, 0) and self.d_loss != "bce":
            raise ValueError(f"label smoothing changes the BCE targets; d_loss is {self.d_loss!r}")
        if not (isinstance(self.instance_noise, (int, float)) and self.instance_noise >= 0
                and math.isfinite(self.instance_noise)):
            raise ValueError(f"instance_noise must be a finite std >= 0, got {self.instance_noise!r}")
        check_ints(minibatch_disc=self.minibatch_disc, minimum=0)
        check_ints(minibatch_disc_dim=self.minibatch_disc_dim, minimum=1)
        if self.feature_matching and (self.unroll_steps or self.simultaneous):
            raise ValueError("feature_matching is not combined with unrolling or simultaneous updates here")
        if self.minibatch_disc and self.unroll_steps:
            raise ValueError("minibatch_disc is not combined with unrolling here")

    def replace(self, **changes: Any) -> BatchedGANConfig:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


# -- batched building blocks -----------------------------------------------------------
def init_mlp(sizes: Sequence[int], seeds: Sequence[int], salt: int, pieces: int = 1,
             init_std: float = 0.0) -> Params:
    """Stacked MLP parameters, one run per seed, initialised like ``nn.Linear``
    (W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))), or W ~ N(0, init_std^2) and b = 0 when
    ``init_std`` > 0, from a generator seeded by (seed, salt), so a run's initial weights
    depend only on its own seed. Hidden layers have ``pieces`` outputs per unit (maxout)."""
    params: Params = []
    per_run = []
    last = len(sizes) - 2
    for s in seeds:
        g = torch.Generator().manual_seed(int(s) * 1_000_003 + salt)
        layers = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            fan_out *= pieces if i < last else 1
            if init_std:
                layers.append([torch.randn(fan_in, fan_out, generator=g) * init_std, torch.zeros(1, fan_out)])
                continue
            bound = 1.0 / math.sqrt(fan_in)
            layers.append([(torch.rand(fan_in, fan_out, generator=g) * 2 - 1) * bound,
                           (torch.rand(1, fan_out, generator=g) * 2 - 1) * bound])
        per_run.append(layers)
    for i in range(len(sizes) - 1):
        params.append([torch.stack([run[i][j] for run in per_run]).requires_grad_(True) for j in (0, 1)])
    return params


def fourier_frequencies(runs: int, fan: int, n: int, max_cycles: float, gen: torch.Generator) -> Tensor:
    """Random Fourier frequencies (Tancik et al. 2020) for inputs of ``fan`` numbers: (runs, fan,
    n), uniform directions, magnitudes log-uniform in [1/4, ``max_cycles``] cycles per unit.
    Features of x are then sin and cos of 2 pi x B (:func:`fourier_features`)."""
    direction = F.normalize(torch.randn(runs, fan, n, generator=gen), dim=1)
    log_r = torch.rand(runs, 1, n, generator=gen)
    return direction * (0.25 * (4 * max_cycles) ** log_r)


def fourier_features(x: Tensor, freqs: Tensor) -> Tensor:
    """[x, sin 2 pi x B, cos 2 pi x B] for x (S, n, fan) and frequencies B (S, fan, F)."""
    phase = 2 * math.pi * torch.bmm(x, freqs)
    return torch.cat([x, torch.sin(phase), torch.cos(phase)], dim=2)


def minibatch_features(h: Tensor, T: Tensor, b: Tensor) -> Tensor:
    """Minibatch discrimination (Salimans et al. 2016): h (S, n, A) is projected by T
    (S, A, B*C) to B rows of C numbers per sample, M_i; kernel k's output for sample i is
    sum_{j != i} exp(-||M_ik - M_jk||_1), plus a bias b (S, 1, B). Returns (S, n, B)."""
    s, n, _ = h.shape
    kernels = b.shape[2]
    m = torch.bmm(h, T).view(s, n, kernels, -1).transpose(1, 2).reshape(s * kernels, n, -1)  # (S*B, n, C)
    dist = torch.cdist(m, m, p=1)  # (S*B, n, n): the L1 distances between the batch's rows
    o = torch.exp(-dist).sum(2).view(s, kernels, n).transpose(1, 2)  # (S, n, B)
    return o - 1.0 + b  # the -1 removes each sample's kernel with itself


def mlp_forward(params: Params, x: Tensor, act: Callable[[Tensor], Tensor],
                scales: Sequence[Tensor] | None = None, minibatch_std: bool = False,
                norm: Callable[[int, Tensor], Tensor] | None = None, pieces: int = 1,
                mbd: Sequence[Tensor] | None = None, features: bool = False) -> Tensor:
    """x (S, n, in) -> (S, n, out) through the stacked layers. ``scales[i]`` (S,) divides
    layer i's weight (spectral normalisation); ``minibatch_std`` appends, before the last
    layer, each run's mean over features of the across-batch std (Karras et al. 2018);
    ``mbd`` = (T, b) appends minibatch discrimination's kernels (:func:`minibatch_features`);
    ``norm(i, a)`` normalises hidden layer i's pre-activations (batch norm); ``pieces`` > 1
    makes the hidden units maxout units (Goodfellow et al. 2013) instead of ``act``.
    ``features`` returns the last hidden layer's output (S, n, hidden) instead."""
    last = len(params) - 1
    for i, (W, b) in enumerate(params):
        if scales is not None:
            W = W / scales[i][:, None, None]
        if i == last and features:
            return x
        if i == last and (minibatch_std or mbd is not None):
            extra = []
            if minibatch_std:
                spread = x.std(dim=1, unbiased=False).mean(dim=1)  # (S,)
                extra.append(spread[:, None, None].expand(-1, x.shape[1], 1))
            if mbd is not None:
                extra.append(minibatch_features(x, *mbd))
            x = torch.cat([x, *extra], dim=2)
        x = torch.baddbmm(b, x, W)  # (S, n, out)
        if i < last:
            if norm is not None:
                x = norm(i, x)
            if pieces > 1:
                s, n, _ = x.shape
                x = x.view(s, n, -1, pieces).amax(dim=3)  # (S, n, out / pieces)
            else:
                x = act(x)
    return x


class BatchNorm:
    """Per-run batch norm of G's hidden layers (Ioffe & Szegedy 2015): a learned scale and
    shift per unit; batch statistics in training, running averages when sampling."""

    def __init__(self, runs: int, width: int, layers: int, momentum: float, eps: float = 1e-5):
        self.params: Params = [[torch.ones(runs, 1, width, requires_grad=True),
                                torch.zeros(runs, 1, width, requires_grad=True)] for _ in range(layers)]
        self.mean = [torch.zeros(runs, 1, width) for _ in range(layers)]
        self.var = [torch.ones(runs, 1, width) for _ in range(layers)]
        self.momentum, self.eps = momentum, eps
        self.batch_stats = False  # True inside training steps
        self.update = False  # True in the one G forward per step that updates the running stats

    def __call__(self, i: int, a: Tensor) -> Tensor:
        if not self.batch_stats:
            scale, shift = self.eval_affine(i)
            return a * scale + shift
        mu, var = a.mean(1, keepdim=True), a.var(1, keepdim=True, unbiased=False)  # (S, 1, H)
        if self.update:
            with torch.no_grad():
                self.mean[i].lerp_(mu.detach(), self.momentum)
                self.var[i].lerp_(var.detach(), self.momentum)
        g, b = self.params[i]
        return (a - mu) * (g / torch.sqrt(var + self.eps)) + b

    def eval_affine(self, i: int) -> tuple[Tensor, Tensor]:
        """Sampling-mode batch norm of layer i as a * scale + shift, each (S, 1, H)."""
        g, b = self.params[i]
        scale = g / torch.sqrt(self.var[i] + self.eps)
        return scale, b - self.mean[i] * scale


class Adam:
    """Adam (Kingma & Ba 2015) on stacked parameters; elementwise, hence per run.

    :meth:`lookahead` returns the parameters after one step as a differentiable function
    of the gradients (for unrolling) without changing any state."""

    def __init__(self, params: Params, lr: float, betas: tuple[float, float], eps: float = 1e-8):
        self.params = [p for layer in params for p in layer]
        self.lr, self.betas, self.eps = lr, betas, eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    def step(self, grads: Sequence[Tensor], lr_scale: float = 1.0) -> None:
        """One Adam step in place: the :meth:`lookahead` step, committed."""
        with torch.no_grad():
            new, (self.m, self.v, self.t) = self.lookahead(self.params, grads, lr_scale=lr_scale)
            for p, q in zip(self.params, new, strict=True):
                p.copy_(q)

    def lookahead(self, params: Sequence[Tensor], grads: Sequence[Tensor], state=None, lr_scale: float = 1.0):
        """(new params, state) after one step from ``state`` = (m, v, t) (default: the
        optimiser's own), differentiable w.r.t. params and grads."""
        m0, v0, t = state if state is not None else (self.m, self.v, self.t)
        b1, b2 = self.betas
        t += 1
        m = [b1 * mi + (1 - b1) * g for mi, g in zip(m0, grads, strict=True)]
        v = [b2 * vi + (1 - b2) * g * g for vi, g in zip(v0, grads, strict=True)]
        c1, c2, lr = 1 - b1**t, 1 - b2**t, self.lr * lr_scale
        new = [p - lr * (mi / c1) / ((vi / c2 + 1e-30).sqrt() + self.eps) for p, mi, vi in zip(params, m, v, strict=True)]
        return new, (m, v, t)


class _Mixtures:
    """Per-run Gaussian mixtures as padded tensors, sampled in one call."""

    def __init__(self, data: GaussianMixture | Sequence[GaussianMixture], runs: int, dim: int):
        mixtures = [data] * runs if isinstance(data, GaussianMixture) else list(data)
        if len(mixtures) != runs or not all(isinstance(m, GaussianMixture) for m in mixtures):
            raise ValueError(f"data must be a GaussianMixture or a list of {runs} of them (one per run)")
        if any(m.dim != dim for m in mixtures):
            raise ValueError(f"every mixture must be {dim}-D to match data_dim={dim}")
        k = max(len(m.weights) for m in mixtures)
        self.means = torch.zeros(runs, k, dim)
        self.stds = torch.ones(runs, k)
        self.weights = torch.zeros(runs, k)
        for r, m in enumerate(mixtures):
            kk = len(m.weights)
            self.means[r, :kk] = torch.as_tensor(np.asarray(m.means, float).reshape(kk, dim), dtype=torch.float32)
            self.stds[r, :kk] = torch.as_tensor(np.broadcast_to(np.asarray(m.stds, float), (kk,)).copy())
            self.weights[r, :kk] = torch.as_tensor(np.asarray(m.weights, float))

    def sample(self, n: int, gen: torch.Generator) -> Tensor:
        idx = torch.multinomial(self.weights, n, replacement=True, generator=gen)  # (S, n)
        mu = torch.gather(self.means, 1, idx[..., None].expand(-1, -1, self.means.shape[2]))
        sd = torch.gather(self.stds, 1, idx)[..., None]
        return mu + sd * torch.randn(mu.shape, generator=gen)  # (S, n, d)


class BatchedGAN:
    """S independent toy GANs (one per seed) trained in one batched computation.

    Args:
        cfg: the recipe shared by all runs.
        seeds: one seed per run; it sets the run's initial weights. The noise and data
            streams come from one generator seeded by all seeds, so a run's trajectory
            also depends on which runs train beside it.
        device: where the networks live and compute ("cuda" for a GPU). All random numbers
            are drawn on the CPU and moved, so a seed means the same noise on any device.
    """

    def __init__(self, cfg: BatchedGANConfig = BatchedGANConfig(), seeds: Iterable[int] = (0,),
                 device: str | torch.device = "cpu"):
        self.cfg = cfg
        self.device = torch.device(device)
        self.seeds = [int(s) for s in seeds]
        if not self.seeds:
            raise ValueError("seeds must name at least one run")
        c = cfg
        self.g_act, self.d_act = _ACTIVATIONS[c.g_activation], _ACTIVATIONS[c.d_activation]
        self.G = init_mlp([c.noise_dim] + [c.g_hidden] * c.g_layers + [c.data_dim], self.seeds, salt=1,
                          init_std=c.init_std)
        d_sizes = [c.data_dim * c.pack * (1 + 2 * c.d_fourier)] + [c.d_hidden] * c.d_layers + [1]
        self.D = init_mlp(d_sizes, self.seeds, salt=2, pieces=c.d_maxout, init_std=c.init_std)
        self.bn = BatchNorm(len(self.seeds), c.g_hidden, c.g_layers, c.bn_momentum) if c.g_batchnorm else None
        extra = int(c.minibatch_std) + c.minibatch_disc  # inputs the last layer gets on top
        if extra:
            W, b = self.D[-1]
            zeros = torch.zeros(len(self.seeds), extra, 1)
            self.D[-1] = [torch.cat([W.detach(), zeros], dim=1).requires_grad_(True), b]
        if c.minibatch_disc:  # (T, b) of minibatch discrimination, the last entry of self.D
            T = torch.stack([torch.randn(c.d_hidden, c.minibatch_disc * c.minibatch_disc_dim,
                                         generator=torch.Generator().manual_seed(s * 1_000_003 + 5))
                             for s in self.seeds]) / math.sqrt(c.d_hidden)
            self.D.append([T.requires_grad_(True), torch.zeros(len(self.seeds), 1, c.minibatch_disc,
                                                                requires_grad=True)])
        self.opt_G = Adam(self.G + (self.bn.params if self.bn else []), c.lr_g, c.betas)
        self.opt_D = Adam(self.D, c.lr_d, c.betas)
        if c.latent_components:  # kept on the CPU, where the noise is drawn
            self.latent_means = torch.stack([torch.randn(c.latent_components, c.noise_dim,
                                                         generator=torch.Generator().manual_seed(s * 1_000_003 + 3))
                                             for s in self.seeds])  # (S, M, noise_dim)
        self.G_ema = [[p.detach().clone() for p in layer] for layer in self.G] if c.ema else None
        gen = torch.Generator().manual_seed(hash(tuple(self.seeds)) % (2**62))
        self.gen = gen  # the noise and data stream of training
        self._u = [torch.nn.functional.normalize(torch.randn(len(self.seeds), W.shape[2], generator=gen), dim=1)
                   for W, _ in self._layers(self.D)[0]]  # power-iteration vectors (spectral norm)
        self._freqs = None  # random Fourier frequencies of D's input (S, pack*d, pack*d*F)
        if c.d_fourier:
            fan = c.data_dim * c.pack
            g = torch.Generator().manual_seed(hash(tuple(self.seeds)) % (2**62) + 4)
            self._freqs = fourier_frequencies(len(self.seeds), fan, fan * c.d_fourier, c.d_fourier_max, g)
        if self.device.type != "cpu":
            self._to_device()
        self.loss_G = GENERATOR_LOSSES[c.g_loss]
        self.loss_D = DISCRIMINATOR_LOSSES[c.d_loss]
        if (c.real_label, c.fake_label) != (1, 0):
            self.loss_D = functools.partial(smoothed_bce_loss_dis, real_label=c.real_label, fake_label=c.fake_label)
        self.step = 0
        self._total: int | None = None  # the step at which the learning rates reach lr_final
        self._mixtures: _Mixtures | None = None

    @property
    def runs(self) -> int:
        return len(self.seeds)

    def _to_device(self) -> None:
        """Move the networks, batch norm and optimiser state to ``self.device``."""
        dev = self.device

        def move(layers):
            return [[p.detach().to(dev).requires_grad_(p.requires_grad) for p in layer] for layer in layers]

        self.G, self.D = move(self.G), move(self.D)
        if self.bn is not None:
            self.bn.params = move(self.bn.params)
            self.bn.mean = [m.to(dev) for m in self.bn.mean]
            self.bn.var = [v.to(dev) for v in self.bn.var]
        if self.G_ema is not None:
            self.G_ema = [[p.to(dev) for p in layer] for layer in self.G_ema]
        self._u = [u.to(dev) for u in self._u]
        if self._freqs is not None:
            self._freqs = self._freqs.to(dev)
        c = self.cfg
        self.opt_G = Adam(self.G + (self.bn.params if self.bn else []), c.lr_g, c.betas)
        self.opt_D = Adam(self.D, c.lr_d, c.betas)

    def subset(self, runs: Sequence[int]) -> BatchedGAN:
        """A view of some runs (indices into ``seeds``) for sampling: the same tensors, sliced
        along the run axis (no copy of the optimiser; do not train the view)."""
        idx = torch.as_tensor(list(runs), dtype=torch.long)
        view = copy.copy(self)
        view.seeds = [self.seeds[i] for i in idx.tolist()]

        def cut(layers):
            return None if layers is None else [[p[idx.to(p.device)] for p in layer] for layer in layers]

        view.G, view.D, view.G_ema = cut(self.G), cut(self.D), cut(self.G_ema)
        view._u = [u[idx.to(u.device)] for u in self._u]
        if self._freqs is not None:
            view._freqs = self._freqs[idx.to(self._freqs.device)]
        if self.cfg.latent_components:
            view.latent_means = self.latent_means[idx]
        if self.bn is not None:
            view.bn = copy.copy(self.bn)
            view.bn.params = cut(self.bn.params)
            view.bn.mean = [m[idx.to(m.device)] for m in self.bn.mean]
            view.bn.var = [v[idx.to(v.device)] for v in self.bn.var]
        return view

    def _real(self, n: int, gen: torch.Generator | None = None) -> Tensor:
        """A batch of n data points per run from the training mixtures, on the device."""
        return self._mixtures.sample(n, self.gen if gen is None else gen).to(self.device)

    # -- the two networks ----------------------------------------------------------------
    def generate(self, z: Tensor, params: Params | None = None) -> Tensor:
        """G(z): (S, n, noise_dim) -> (S, n, data_dim) (batch norm: batch statistics inside a
        training step, running statistics otherwise)."""
        return mlp_forward(self.G if params is None else params, z, self.g_act, norm=self.bn)

    def _sigmas(self, params: Params, update: bool) -> list[Tensor] | None:
        """Each D weight's largest singular value, per run, by power iteration."""
        if not self.cfg.spectral_norm:
            return None
        sigmas = []
        for i, (W, _) in enumerate(params):
            u = self._u[i]
            with torch.no_grad():
                v = F.normalize(torch.bmm(W, u[:, :, None])[..., 0], dim=1)  # (S, in)
                u = F.normalize(torch.bmm(v[:, None, :], W)[:, 0], dim=1)  # (S, out)
            if update:
                self._u[i] = u
            sigmas.append(torch.bmm(torch.bmm(v[:, None, :], W), u[:, :, None])[:, 0, 0])  # (S,)
        return sigmas

    def _layers(self, params: Params) -> tuple[Params, list[Tensor] | None]:
        """D's parameters split into its MLP layers and minibatch discrimination's (T, b)."""
        return (params[:-1], params[-1]) if self.cfg.minibatch_disc else (params, None)

    def critic(self, x: Tensor, params: Params | None = None, update_sn: bool = False,
               features: bool = False) -> Tensor:
        """D's logit (or critic score) for x (S, n, data_dim): packs ``pack`` consecutive
        samples into one input, so the result is (S, n // pack, 1). ``features``: D's last
        hidden layer (S, n // pack, d_hidden) instead (feature matching)."""
        params, mbd = self._layers(self.D if params is None else params)
        s, n, d = x.shape
        x = x.reshape(s, n // self.cfg.pack, self.cfg.pack * d)  # (S, n/pack, pack*d)
        if self._freqs is not None:  # random Fourier features: fine detail without deep nets
            x = fourier_features(x, self._freqs)  # (S, n/pack, pack*d*(1 + 2F))
        return mlp_forward(params, x, self.d_act, self._sigmas(params, update_sn), self.cfg.minibatch_std,
                           pieces=self.cfg.d_maxout, mbd=mbd, features=features)

    def noise(self, n: int, gen: torch.Generator | None = None) -> Tensor:
        """z ~ N(0, noise_std^2 I), (S, n, noise_dim), from ``gen`` (default: training's)."""
        gen = self.gen if gen is None else gen
        z = torch.randn(self.runs, n, self.cfg.noise_dim, generator=gen)
        if self.cfg.latent_components:
            idx = torch.randint(self.cfg.latent_components, (self.runs, n), generator=gen)
            mu = torch.gather(self.latent_means, 1, idx[..., None].expand(-1, -1, self.cfg.noise_dim))
            z = mu + self.cfg.latent_component_std * z
        z = z * self.cfg.noise_std if self.cfg.noise_std != 1.0 else z
        return z.to(self.device)

    # -- losses --------------------------------------------------------------------------
    def _d_objective(self, params: Params, real: Tensor, fake: Tensor, update_sn: bool) -> tuple[Tensor, dict]:
        """The sum over runs of each run's D loss (+ penalties); and per-run statistics."""
        c, runs = self.cfg, self.runs
        real, fake = self._jitter(real), self._jitter(fake)  # instance noise (when on)
        real = real.requires_grad_(True) if c.r1_weight else real
        r_out, f_out = self.critic(real, params, update_sn), self.critic(fake, params)
        loss = runs * self.loss_D(r_out, f_out)  # mean over runs x runs = sum of run means
        if c.r1_weight:  # R1: gamma/2 E_x ||grad_x D(x)||^2 on real data
            (g,) = torch.autograd.grad(r_out.sum(), real, create_graph=True)
            loss = loss + c.r1_weight / 2 * g.pow(2).sum(2).mean(1).sum() * c.pack
        if c.gp_weight:  # WGAN-GP: lambda E (||grad f(x_hat)||_2 - 1)^2 on interpolates
            s, n, d = real.shape
            eps = torch.rand(s, n // c.pack, 1, 1, generator=self.gen).to(self.device)
            eps = eps.expand(-1, -1, c.pack, 1).reshape(s, n, 1)
            x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
            (g,) = torch.autograd.grad(self.critic(x_hat, params).sum(), x_hat, create_graph=True)
            norms = g.reshape(s, n // c.pack, c.pack * d).norm(dim=2)  # per packed input
            loss = loss + c.gp_weight * ((norms - 1) ** 2).mean(1).sum()
        return loss, {"D_real": r_out.detach(), "D_fake": f_out.detach()}

    def _jitter(self, x: Tensor) -> Tensor:
        """x plus instance noise N(0, sigma_t^2), sigma_t = instance_noise * (1 - t / T)
        annealed linearly over ``train()`` (x itself when the noise is off)."""
        if not self.cfg.instance_noise:
            return x
        frac = min(self.step / max(self._total, 1), 1.0) if self._total is not None else 0.0
        sigma = self.cfg.instance_noise * (1.0 - frac)
        return x + sigma * torch.randn(x.shape, generator=self.gen).to(self.device)

    def _g_objective(self, fake: Tensor, D: Params) -> Tensor:
        """The sum over runs of each run's generator loss on ``fake`` against ``D``: its
        loss of D's output, or with ``feature_matching`` the squared distance between the mean
        last-hidden features of a real batch and of ``fake``."""
        if not self.cfg.feature_matching:
            return self.runs * self.loss_G(self.critic(self._jitter(fake), D))
        with torch.no_grad():
            f_real = self.critic(self._jitter(self._real(fake.shape[1])), D, features=True).mean(1)
        f_fake = self.critic(self._jitter(fake), D, features=True).mean(1)  # (S, hidden)
        return (f_real - f_fake).pow(2).sum()

    def _lr_scale(self) -> float:
        if self._total is None or self.cfg.lr_final == 1.0:
            return 1.0
        return 1.0 - (1.0 - self.cfg.lr_final) * min(self.step / max(self._total, 1), 1.0)

    # -- Algorithm 1, batched --------------------------------------------------------------
    def update_D(self, real: Tensor) -> dict[str, Tensor]:
        """One Adam step of every run's D on its real batch (S, n, d) and fresh fakes."""
        # (1) Update D: maximise log D(x) + log(1 - D(G(z))) (or the chosen critic loss).
        with torch.no_grad():  # fakes are inputs to D's step: no gradient flows into G
            fake = self.generate(self.noise(real.shape[1]))
        loss, stats = self._d_objective(self.D, real, fake, update_sn=True)
        grads = torch.autograd.grad(loss, self.opt_D.params)
        self.opt_D.step(grads, self._lr_scale())
        return stats

    def update_G(self) -> dict[str, Tensor]:
        """One Adam step of every run's G (against D unrolled ``unroll_steps`` ahead)."""
        # (2) Update G: minimise the generator loss of D(G(z)); D is not stepped here.
        c = self.cfg
        D = self.D
        if c.unroll_steps:  # D after k differentiable Adam steps; gradients flow into G
            flat, state = [p for layer in self.D for p in layer], None
            for _ in range(c.unroll_steps):
                real = self._real(c.batch_size)
                fake = self.generate(self.noise(c.batch_size))
                layers = [flat[i:i + 2] for i in range(0, len(flat), 2)]
                loss, _ = self._d_objective(layers, real, fake, update_sn=False)
                grads = torch.autograd.grad(loss, flat, create_graph=True)
                flat, state = self.opt_D.lookahead(flat, grads, state, self._lr_scale())
            D = [flat[i:i + 2] for i in range(0, len(flat), 2)]
        loss = self._g_objective(self._fakes(c.batch_size), D)
        grads = torch.autograd.grad(loss, self.opt_G.params)
        self.opt_G.step(grads, self._lr_scale())
        self._ema_update()
        return {"G_loss": loss.detach()}

    def update_both(self, real: Tensor) -> dict[str, Tensor]:
        """Simultaneous updates (the training loop of PacGAN's and ALI's code): one batch of
        fakes, both players' gradients taken at the current state, then both step."""
        # (1) D maximises log D(x) + log(1 - D(G(z))) and (2) G minimises its loss of D(G(z)),
        # both at the same (D, G): neither sees the other's step of this iteration.
        fake = self._fakes(real.shape[1])
        d_loss, stats = self._d_objective(self.D, real, fake.detach(), update_sn=True)  # detach: D's step only
        g_loss = self._g_objective(fake, self.D)
        d_grads = torch.autograd.grad(d_loss, self.opt_D.params)
        g_grads = torch.autograd.grad(g_loss, self.opt_G.params)
        self.opt_D.step(d_grads, self._lr_scale())
        self.opt_G.step(g_grads, self._lr_scale())
        self._ema_update()
        return stats

    def _fakes(self, n: int) -> Tensor:
        """G(z) for fresh noise, with gradients; the one G pass per step that moves batch
        norm's running statistics."""
        if self.bn is None:
            return self.generate(self.noise(n))
        self.bn.update = True
        try:
            return self.generate(self.noise(n))
        finally:
            self.bn.update = False

    def _ema_update(self) -> None:
        if self.G_ema is not None:
            with torch.no_grad():
                for e_layer, layer in zip(self.G_ema, self.G, strict=True):
                    for e, p in zip(e_layer, layer, strict=True):
                        e.mul_(self.cfg.ema).add_(p.detach(), alpha=1 - self.cfg.ema)

    def train(self, data: GaussianMixture | Sequence[GaussianMixture], steps: int,
              callbacks: Iterable[Callable[[BatchedGAN], None]] = ()) -> BatchedGAN:
        """``steps`` generator updates, each after ``d_steps`` discriminator updates.

        Args:
            data: the target mixture, or one mixture per run (e.g. 10 rings + 10 grids).
            steps: generator updates; learning rates decay to ``lr_final`` over them.
            callbacks: ``cb(gan)`` after every step (use :class:`Every` to thin them).
        """
        check_ints(steps=steps, minimum=0)
        self._mixtures = _Mixtures(data, self.runs, self.cfg.data_dim)
        callbacks = list(callbacks)
        self._total = self.step + steps
        if self.bn is not None:
            self.bn.batch_stats = True  # batch statistics inside training steps (not in callbacks)
        for _ in range(steps):
            if self.cfg.simultaneous:
                self.update_both(self._real(self.cfg.batch_size))
            else:
                for _ in range(self.cfg.d_steps):
                    self.update_D(self._real(self.cfg.batch_size))
                self.update_G()
            self.step += 1
            if self.bn is not None:
                self.bn.batch_stats = False
            for cb in callbacks:
                cb(self)
            if self.bn is not None:
                self.bn.batch_stats = True
        if self.bn is not None:
            self.bn.batch_stats = False
        return self

    # -- evaluation ------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int = 2500, seed: int = 0, ema: bool = True) -> np.ndarray:
        """n samples from each run, (S, n, data_dim), from noise seeded by ``seed`` (the
        EMA generator when ``cfg.ema`` is on and ``ema`` is True)."""
        z = self.noise(n, torch.Generator().manual_seed(seed))
        params = self.G_ema if (ema and self.G_ema is not None) else self.G
        return self.generate(z, params).double().cpu().numpy()

    def density_ratio(self, steps: int = 1000, data=None, **changes: Any) -> BatchedGAN:
        """A fresh per-sample BCE discriminator trained for ``steps`` Adam steps to tell
        the data from the *current, frozen* generator (the EMA one when ``cfg.ema``).

        Chapter 2's optimal discriminator is D* = p_data / (p_data + p_g), so its logit
        is log p_data(x) / p_g(x): the returned GAN's ``critic`` estimates that log-ratio.
        ``changes`` override the ratio discriminator's config (e.g. ``d_hidden=128``, or
        ``lr_final=0.01`` to let its learning rate decay over the ``steps``).
        """
        check_ints(steps=steps, minimum=1)
        if data is not None:
            self._mixtures = _Mixtures(data, self.runs, self.cfg.data_dim)
        if self._mixtures is None:
            raise ValueError("density_ratio needs the data: train first or pass data=")
        plain = self.cfg.replace(pack=1, minibatch_std=False, spectral_norm=False, r1_weight=0.0,
                                 gp_weight=0.0, d_loss="bce", g_loss="non_saturating", unroll_steps=0,
                                 ema=0.0, lr_final=1.0, real_label=1.0, fake_label=0.0, instance_noise=0.0,
                                 feature_matching=False, minibatch_disc=0).replace(**changes)
        ratio = BatchedGAN(plain, seeds=[s + 7919 for s in self.seeds], device=self.device)
        ratio.gen.manual_seed(self.gen.initial_seed() + 1)
        ratio.G = [[p.detach().clone() for p in layer] for layer in (self.G_ema or self.G)]
        ratio._mixtures = self._mixtures
        ratio.bn = self.bn  # shared, in sampling mode: the ratio sees the generator as it samples
        if plain.latent_components:
            ratio.latent_means = self.latent_means
        ratio._total = steps  # its learning rate decays to lr * lr_final (changes may set lr_final)
        for _ in range(steps):
            ratio.update_D(ratio._real(plain.batch_size))
            ratio.step += 1
        return ratio

    @torch.no_grad()
    def rejection_sample(self, ratio: BatchedGAN, n: int = 2500, seed: int = 0, chunk: int = 20_000,
                         max_candidates: int = 10_000_000, quantile: float = 1.0) -> np.ndarray:
        """Discriminator rejection sampling (Azadi et al. 2019): draw x ~ p_g and keep it
        with probability min(1, exp(r(x) - M)), where r is ``ratio``'s estimate of
        log p_data(x) / p_g(x) and M its ``quantile`` over the first chunk of candidates
        (1.0: the maximum, exact; below 1, a few spikes of r no longer make the acceptance
        rate tiny, at the price of accepting the top candidates slightly too rarely). If r
        were exact, the kept samples would follow p_data wherever p_g > 0 (rejection
        removes mass, it cannot add a mode that G never visits). Returns (S, n, data_dim)."""
        if not 0 < quantile <= 1:
            raise ValueError(f"quantile must be in (0, 1], got {quantile!r}")
        gen = torch.Generator().manual_seed(seed)
        kept = [[] for _ in range(self.runs)]
        counts = np.zeros(self.runs, dtype=int)
        M = None
        drawn = 0
        active = list(range(self.runs))
        me, judge = self, ratio
        while active:
            if drawn >= max_candidates:
                raise RuntimeError(f"rejection sampling kept only {counts.min()} of {n} samples "
                                   f"from {max_candidates} candidates")
            x = me.generate(me.noise(chunk, gen), me.G_ema or me.G)
            r = judge.critic(x)[..., 0]  # (active runs, chunk)
            if M is None:
                M = torch.quantile(r, quantile, dim=1, keepdim=True) if quantile < 1 else r.max(1, keepdim=True).values
            keep = torch.rand(r.shape, generator=gen).to(self.device) < torch.exp(r - M)
            for j, i in enumerate(active):
                xi = x[j][keep[j]]
                kept[i].append(xi)
                counts[i] += len(xi)
            drawn += chunk
            done = [j for j, i in enumerate(active) if counts[i] >= n]
            if done:  # carry on with the runs that still need samples only
                left = [j for j in range(len(active)) if j not in done]
                active = [active[j] for j in left]
                me, M = me.subset(left), M[left]
                judge = judge.subset(left) if hasattr(judge, "subset") else judge  # a per-point stand-in
        return np.stack([torch.cat(k)[:n].double().cpu().numpy() for k in kept])

    @torch.no_grad()
    def d_logit(self, x: np.ndarray) -> np.ndarray:
        """Every run's D logit at the points x (n, data_dim) -> (S, n); needs pack=1."""
        if self.cfg.pack != 1:
            raise ValueError("d_logit scores single points; a packed D (pack > 1) scores tuples")
        if self.cfg.minibatch_std or self.cfg.minibatch_disc:
            raise ValueError("d_logit is undefined with minibatch_std or minibatch_disc: D's output depends "
                             "on the batch")
        t = torch.as_tensor(np.asarray(x, dtype=np.float32)).reshape(1, -1, self.cfg.data_dim).to(self.device)
        return self.critic(t.expand(self.runs, -1, -1))[..., 0].double().cpu().numpy()


class Snapshots:
    """A callback that keeps every run's samples from one fixed noise batch every ``every``
    steps (and at step 1): ``steps`` (T,) and ``samples`` (T, S, n, data_dim), for
    animations and metrics over training."""

    def __init__(self, every: int, n: int = 1000, seed: int = 0):
        check_ints(every=every, minimum=1)
        self.every, self.n, self.seed = every, n, seed
        self.steps: list[int] = []
        self._samples: list[np.ndarray] = []

    def __call__(self, gan: BatchedGAN) -> None:
        if gan.step % self.every == 0 or gan.step == 1:
            self.steps.append(gan.step)
            self._samples.append(gan.sample(self.n, seed=self.seed).astype(np.float32))

    @property
    def samples(self) -> np.ndarray:
        return np.stack(self._samples) if self._samples else np.zeros((0, 0, self.n, 0), np.float32)
