"""S independent toy GANs trained as one batched computation: :class:`BatchedGAN`, the
per-run target mixtures it samples (:class:`Mixtures`) and a callback that keeps samples
over training (:class:`Snapshots`). See :mod:`gantools.batched` for the idea and the options."""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..checks import check_ints
from ..distributions import GaussianMixture
from ..losses import DISCRIMINATOR_LOSSES, GENERATOR_LOSSES, smoothed_bce_loss_dis
from . import rejection
from .config import BatchedGANConfig
from .primitives import (
    ACTIVATIONS,
    Adam,
    BatchNorm,
    Params,
    Tensor,
    fourier_features,
    fourier_frequencies,
    init_mlp,
    mlp_forward,
)


class Mixtures:
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

    def __init__(self, cfg: BatchedGANConfig = BatchedGANConfig(), seeds: Iterable[int] = (0,),  # noqa: B008 (frozen)
                 device: str | torch.device = "cpu"):
        self.cfg = cfg
        self.device = torch.device(device)
        self.seeds = [int(s) for s in seeds]
        if not self.seeds:
            raise ValueError("seeds must name at least one run")
        c = cfg
        self.g_act, self.d_act = ACTIVATIONS[c.g_activation], ACTIVATIONS[c.d_activation]
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
        self._mixtures: Mixtures | None = None

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
        self._mixtures = Mixtures(data, self.runs, self.cfg.data_dim)
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
            self._mixtures = Mixtures(data, self.runs, self.cfg.data_dim)
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

    def rejection_sample(self, ratio: BatchedGAN, n: int = 2500, seed: int = 0, chunk: int = 20_000,
                         max_candidates: int = 10_000_000, quantile: float = 1.0) -> np.ndarray:
        """Discriminator rejection sampling (Azadi et al. 2019) against ``ratio``'s estimate of
        log p_data(x) / p_g(x): (S, n, data_dim), see :func:`gantools.batched.rejection.rejection_sample`."""
        return rejection.rejection_sample(self, ratio, n, seed, chunk, max_candidates, quantile)

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
