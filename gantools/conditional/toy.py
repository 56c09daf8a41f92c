"""Toy conditional GANs on a line, three ways to condition, many seeds at once.

The generator is the same in every mode: an MLP on ``[z, onehot(y)]``. The modes differ
in how the discriminator sees the label, as in :mod:`gantools.imagegan.conditional`:

- ``concat``: D(x, y) is an MLP on ``[x, onehot(y)]`` (Mirza & Osindero 2014);
- ``projection``: D(x, y) = psi(phi(x)) + v_y . phi(x) (Miyato & Koyama 2018);
- ``acgan``: D(x) has an adversarial head and K class logits; both players add the class
  cross-entropy, D on real *and* generated samples (Odena et al. 2017);
- ``shuffled``: the negative control, projection trained on labels permuted across the
  data (x and y independent): G has nothing to learn from y.

Runs of one mode train together in one batched computation (the stacked MLPs, Adam and
per-run losses of :mod:`gantools.batched`). :func:`measure` scores samples against the
truth: the cross-entropy E_{p_g(x,y)}[-log p_data(y|x)] (equal to H(y|x) for the data),
the agreement of the asked-for label with the Bayes classifier, and each class's W1 and
standard deviation next to the truth's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import logsumexp, ndtri

from ..batched import Adam, init_mlp, mlp_forward
from ..checks import check_ints
from ..configs import Config
from ..losses import bce_loss_dis, ns_loss_gen
from .theory import ClassConditional, posterior

MODES = ("concat", "projection", "acgan", "shuffled")


@dataclass(frozen=True)
class ToyConditionalConfig(Config):
    """One recipe; every run of :func:`train` uses it, with its own seed."""

    mode: str = "projection"  # concat | projection | acgan | shuffled (projection on permuted labels)
    noise_dim: int = 1  # dimension of z ~ N(0, I)
    hidden: int = 64  # width of every hidden layer of G and D
    layers: int = 2  # hidden layers of G and of D's trunk phi
    lr: float = 1e-3  # Adam learning rate of both players
    lr_final: float = 0.1  # the learning rates decay linearly to lr * lr_final over the steps
    betas: tuple[float, float] = (0.5, 0.999)  # Adam betas (DCGAN's)
    batch_size: int = 256  # real and generated pairs per step, per run
    steps: int = 3000  # generator steps
    aux_weight: float = 1.0  # AC-GAN: weight of the class cross-entropy (Odena et al.: 1)

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        check_ints(noise_dim=self.noise_dim, hidden=self.hidden, layers=self.layers,
                   batch_size=self.batch_size, steps=self.steps, minimum=1)
        if not 0 < self.lr_final <= 1:
            raise ValueError(f"lr_final must be in (0, 1], got {self.lr_final!r}")
        if not (self.lr > 0 and self.aux_weight >= 0):
            raise ValueError(f"lr must be > 0 and aux_weight >= 0, got {self.lr!r} and {self.aux_weight!r}")


def _act(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, 0.2)


class ToyConditionalGAN:
    """S runs (one per seed) of a conditional GAN on a :class:`ClassConditional`."""

    def __init__(self, cfg: ToyConditionalConfig, data: ClassConditional, seeds: Sequence[int] = (0,)):
        self.cfg, self.data, self.seeds = cfg, data, [int(s) for s in seeds]
        if not self.seeds:
            raise ValueError("seeds must not be empty")
        k, h, s = data.n_classes, cfg.hidden, len(self.seeds)
        self.k = k
        self.G = init_mlp([cfg.noise_dim + k, *[h] * cfg.layers, 1], self.seeds, salt=1)
        d_in = 1 + k if cfg.mode == "concat" else 1
        self.phi = init_mlp([d_in, *[h] * cfg.layers], self.seeds, salt=2)  # D's trunk (act applied after)
        self.psi = init_mlp([h, 1], self.seeds, salt=3)  # the adversarial head
        gen = torch.Generator().manual_seed(self.seeds[0] * 7919 + 4)
        self.heads: list[list[torch.Tensor]] = []
        if cfg.mode in ("projection", "shuffled"):  # v_y, one row per class, small at the start
            self.heads = [[(0.02 * torch.randn(s, k, h, generator=gen)).requires_grad_(True)]]
        elif cfg.mode == "acgan":  # K class logits on the same trunk
            self.heads = init_mlp([h, k], self.seeds, salt=5)
        self.opt_g = Adam(self.G, cfg.lr, cfg.betas)
        self.opt_d = Adam(self.phi + self.psi + self.heads, cfg.lr, cfg.betas)
        self.gen = torch.Generator().manual_seed(10_007 * self.seeds[0] + 11)
        self.step = 0
        # the target: for the shuffled control, x and y independent with the same marginals
        self._mu = torch.tensor([float(c.means[0]) for c in data.classes])
        self._sd = torch.tensor([float(c.stds[0]) for c in data.classes])
        if any(len(c.means) != 1 for c in data.classes):
            raise ValueError("the toy samples single-Gaussian classes")
        self._prior = torch.tensor(data.prior, dtype=torch.float32)

    @property
    def runs(self) -> int:
        return len(self.seeds)

    # -- sampling --------------------------------------------------------------------------
    def _labels(self, n: int) -> torch.Tensor:
        return torch.multinomial(self._prior, self.runs * n, replacement=True, generator=self.gen).view(self.runs, n)

    def real_batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(x (S, n, 1), y (S, n)) from p_data; in the shuffled control y is drawn
        independently of x (a permutation of a large dataset's labels, in the limit)."""
        y = self._labels(n)
        x = self._mu[y] + self._sd[y] * torch.randn(self.runs, n, generator=self.gen)
        if self.cfg.mode == "shuffled":
            y = self._labels(n)
        return x[..., None], y

    def generate(self, y: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        """G(z, y): y (S, n) integer labels -> x (S, n, 1)."""
        if z is None:
            z = torch.randn(*y.shape, self.cfg.noise_dim, generator=self.gen)
        return mlp_forward(self.G, torch.cat([z, F.one_hot(y, self.k).float()], dim=2), _act)

    # -- the discriminator -------------------------------------------------------------------
    def discriminate(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(adversarial logits (S, n), class logits (S, n, K) for AC-GAN else None)."""
        inp = torch.cat([x, F.one_hot(y, self.k).float()], dim=2) if self.cfg.mode == "concat" else x
        feat = _act(mlp_forward(self.phi, inp, _act))  # phi(x): (S, n, h)
        logit = mlp_forward(self.psi, feat, _act)[..., 0]  # psi(phi(x)): (S, n)
        if self.cfg.mode in ("projection", "shuffled"):
            v = torch.gather(self.heads[0][0], 1, y[..., None].expand(-1, -1, feat.shape[2]))  # v_y: (S, n, h)
            logit = logit + (v * feat).sum(2)
        classes = mlp_forward(self.heads, feat, _act) if self.cfg.mode == "acgan" else None
        return logit, classes

    def _ce(self, classes: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Per-run mean class cross-entropy, summed over runs."""
        return F.cross_entropy(classes.flatten(0, 1), y.flatten(), reduction="none").view(y.shape).mean(1).sum()

    def train_step(self) -> None:
        cfg = self.cfg
        # (1) Update D: maximise log D(x, y) + log(1 - D(G(z, y), y)) (+ AC-GAN: classify both)
        x, y = self.real_batch(cfg.batch_size)
        y_fake = self._labels(cfg.batch_size)  # labels from p_data(y): p_g(y) = p_data(y)
        fake = self.generate(y_fake)
        real_out, fake_out = self.discriminate(x, y), self.discriminate(fake.detach(), y_fake)  # detach: D only
        # each run's loss is its own mean: with equal batches, S times the mean over all runs
        loss = self.runs * bce_loss_dis(real_out[0], fake_out[0])
        if cfg.mode == "acgan":
            loss = loss + cfg.aux_weight * (self._ce(real_out[1], y) + self._ce(fake_out[1], y_fake))
        scale = 1 - (1 - cfg.lr_final) * min(self.step / cfg.steps, 1.0)
        self.opt_d.step(torch.autograd.grad(loss, self.opt_d.params), lr_scale=scale)
        # (2) Update G: minimise -log D(G(z, y), y) (+ AC-GAN: be classified as y), against the new D
        logit, classes = self.discriminate(fake, y_fake)
        loss_g = self.runs * ns_loss_gen(logit)
        if cfg.mode == "acgan":
            loss_g = loss_g + cfg.aux_weight * self._ce(classes, y_fake)
        self.opt_g.step(torch.autograd.grad(loss_g, self.opt_g.params), lr_scale=scale)
        self.step += 1

    def train(self, steps: int | None = None) -> ToyConditionalGAN:
        for _ in range(self.cfg.steps if steps is None else steps):
            self.train_step()
        return self

    @torch.no_grad()
    def sample_class(self, label: int, n: int, seed: int = 0) -> np.ndarray:
        """n samples of class ``label`` from every run: (S, n), noise from ``seed``."""
        if not 0 <= label < self.k:
            raise ValueError(f"label must be a class 0..{self.k - 1}, got {label!r}")
        z = torch.randn(self.runs, n, self.cfg.noise_dim, generator=torch.Generator().manual_seed(seed))
        return self.generate(torch.full((self.runs, n), label), z)[..., 0].double().numpy()


def train(cfg: ToyConditionalConfig, data: ClassConditional, seeds: Sequence[int]) -> ToyConditionalGAN:
    """Train ``len(seeds)`` runs of ``cfg`` on ``data`` together."""
    torch.manual_seed(0)  # nothing should draw from it; fixed in case a library does
    return ToyConditionalGAN(cfg, data, seeds).train()


def w1_to_gaussian(x: np.ndarray, mu: float, sd: float) -> float:
    """W1 between the sample x (n,) and N(mu, sd^2): the sorted sample against the normal's
    quantiles at (i - 1/2)/n (the 1D optimal coupling; exact up to O(1/n))."""
    x = np.sort(np.asarray(x, dtype=float))
    q = mu + sd * ndtri((np.arange(len(x)) + 0.5) / len(x))
    return float(np.mean(np.abs(x - q)))


def measure(samples: Sequence[np.ndarray], data: ClassConditional) -> dict:
    """Score class-conditional samples against the truth.

    Args:
        samples: one array per class, ``samples[y]`` (n,) drawn from p_g(x|y) (n equal).
        data: the true p_data.

    Returns a dict: ``cross_entropy`` E[-log p_data(y|x)] over the pairs weighted by
    p_data(y) (nats; the data scores H(y|x)), ``bayes_agreement`` the weighted fraction whose
    Bayes-optimal label is y, and per class ``w1`` and ``std``.
    """
    if len(samples) != data.n_classes:
        raise ValueError(f"need one sample array per class ({data.n_classes}), got {len(samples)}")
    ce = agree = 0.0
    w1, std = [], []
    for k, x in enumerate(samples):
        post = posterior(data, x)
        ce += data.prior[k] * float(np.mean(-np.log(np.clip(post[:, k], 1e-300, None))))
        agree += data.prior[k] * float(np.mean(post.argmax(1) == k))
        c = data.classes[k]
        w1.append(w1_to_gaussian(x, float(c.means[0]), float(c.stds[0])))
        std.append(float(np.std(x)))
    return {"cross_entropy": ce, "bayes_agreement": agree, "w1": w1, "std": std}


def generator_entropy(samples: Sequence[np.ndarray], prior: Sequence[float]) -> float:
    """H(y|x) of the generator's own joint p_g(x, y) = p(y) p_g(x|y), estimated with a kernel
    density estimate of each class (Silverman's bandwidth) at the samples themselves:
    the mean over the pairs of -log p_g(y|x), weighted by p(y)."""
    from ..toy import kde

    kdes = [kde(x) for x in samples]
    total = 0.0
    for k, x in enumerate(samples):
        lj = np.stack([math.log(p) + d.log_pdf(x) for p, d in zip(prior, kdes, strict=True)], axis=1)
        total += prior[k] * float(np.mean(logsumexp(lj, axis=1) - lj[:, k]))
    return total
