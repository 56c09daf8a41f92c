"""The batched building blocks of :mod:`gantools.batched`, shared by its GAN and by the
batched VAE, diffusion model and conditional toys.

Every parameter carries a leading *run* axis: a weight is (S, in, out), a bias (S, 1, out),
and a layer is one ``torch.baddbmm``, so S independent runs compute in one call. Nothing here
mixes runs: batch statistics, minibatch features and Adam's moments are all per run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

Tensor = torch.Tensor
Params = list[list[Tensor]]  # [[W (S, in, out), b (S, 1, out)], ...] one pair per layer

# the hidden nonlinearities a config may name (BatchedGANConfig.g_activation / d_activation)
ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "tanh": torch.tanh,
    "elu": F.elu,
}


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

