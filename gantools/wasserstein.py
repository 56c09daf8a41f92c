"""Wasserstein-1 critics: train one, measure its Lipschitz constant, and compare its
estimate of W1 with exact optimal transport.

By the Kantorovich-Rubinstein duality (Villani 2009, Thm 5.10),

    W1(p, q) = sup_{||f||_L <= 1}  E_p[f(X)] - E_q[f(Y)],

so a critic f that is (at most) 1-Lipschitz gives a lower bound E_p f - E_q f <= W1, and
an L-Lipschitz one gives (E_p f - E_q f) / L <= W1. The critics here keep f Lipschitz by
weight clipping (Arjovsky et al. 2017), the gradient penalty (Gulrajani et al. 2017), its
one-sided variant (Petzka et al. 2018) or spectral normalisation (Miyato et al. 2018).

    critic, est = fit_critic(p, q, "gp", steps=2000)
    lip = lipschitz_estimates(critic, x_p, x_q)   # measured vs the layer-wise bound
    w1 = empirical_w1(x_p, x_q)                     # exact OT between the two samples (POT)
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import ot
import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from .checks import check_ints
from .configs import Config
from .losses import gradient_penalty, wasserstein_loss_dis

METHODS = ("clip", "gp", "lp", "sn", "none")
NORMS = ("batch", "layer", None)


def critic_mlp(dim: int = 1, hidden: int = 64, layers: int = 2, lipschitz: str | None = None,
               norm: str | None = None, seed: int = 0) -> nn.Sequential:
    """An MLP critic f: (N, dim) -> (N, 1), ``dim -> [hidden -> (norm) -> ReLU] * layers -> 1``.

    Args:
        dim: input dimension d.
        hidden, layers: width and number of hidden layers.
        lipschitz: ``"sn"`` wraps every Linear layer in spectral normalisation
            (``torch.nn.utils.parametrizations.spectral_norm``); ``"clip"``, ``"gp"``,
            ``"lp"``, ``"none"`` or None build a plain MLP (the constraint is applied in
            training).
        norm: ``"batch"`` (BatchNorm1d), ``"layer"`` (LayerNorm) after each hidden Linear,
            or None (the default: WGAN-GP's critic must not use batch norm).
        seed: seeds the initial weights (without touching torch's global generator).
    """
    if lipschitz is not None and lipschitz not in METHODS:
        raise ValueError(f"unknown lipschitz method {lipschitz!r}; choose one of {list(METHODS)} or None")
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; choose one of {list(NORMS)}")
    for name, v, low in (("dim", dim, 1), ("hidden", hidden, 1), ("layers", layers, 0)):
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")
    wrap = spectral_norm if lipschitz == "sn" else (lambda m: m)
    mods: list[nn.Module] = []
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        width = dim
        for _ in range(layers):
            mods.append(wrap(nn.Linear(width, hidden)))
            if norm == "batch":
                mods.append(nn.BatchNorm1d(hidden))
            elif norm == "layer":
                mods.append(nn.LayerNorm(hidden))
            mods.append(nn.ReLU())
            width = hidden
        mods.append(wrap(nn.Linear(width, 1)))
        return nn.Sequential(*mods)


@dataclass(frozen=True)
class CriticConfig(Config):
    """How :func:`fit_critic` trains; the defaults are the per-method choices of the chapter."""

    hidden: int = 64  # width of each hidden layer
    layers: int = 2  # hidden layers
    batch_size: int = 256  # samples of p and of q per step
    lr: float = 1e-3  # learning rate (RMSprop for "clip", Adam with betas (0, 0.9) otherwise)
    clip: float = 0.01  # weight clipping threshold c (Arjovsky et al.: 0.01)
    lam: float = 10.0  # gradient penalty weight lambda (Gulrajani et al.: 10)
    n_eval: int = 20_000  # fresh samples of each distribution for the final estimate
    seed: int = 0  # seeds the weights, the sample streams and the GP interpolates

    def __post_init__(self):
        check_ints(1, hidden=self.hidden, layers=self.layers, batch_size=self.batch_size, n_eval=self.n_eval)
        check_ints(0, seed=self.seed)
        for name in ("lr", "clip"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        if not self.lam >= 0:
            raise ValueError(f"lam must be >= 0, got {self.lam!r}")


def _to_tensor(x: np.ndarray) -> torch.Tensor:
    """(n,) or (n, d) samples as a float32 tensor (n, d)."""
    t = torch.as_tensor(np.asarray(x, dtype=np.float32))
    return t[:, None] if t.dim() == 1 else t


def critic_gap(critic: nn.Module, x_p, x_q) -> float:
    """E_p f - E_q f on two samples ((n,) or (n, d)); the critic is evaluated in eval mode."""
    was = critic.training
    critic.eval()
    with torch.no_grad():
        gap = critic(_to_tensor(x_p)).mean() - critic(_to_tensor(x_q)).mean()
    critic.train(was)
    return float(gap)


def fit_critic(p, q, method: str, steps: int = 2000, config: CriticConfig | None = None,
               callback: Callable[[int, nn.Module], None] | None = None, every: int = 100,
               norm: str | None = None) -> tuple[nn.Module, float]:
    """Train a critic f to maximise E_p f - E_q f under a Lipschitz constraint.

    Args:
        p, q: distributions with ``sample(n, seed)`` returning (n,) or (n, d) arrays.
        method: ``"clip"`` (clip every weight to [-c, c] after each RMSprop step),
            ``"gp"`` (add lam E[(||grad f(x_hat)|| - 1)^2] on interpolates), ``"lp"`` (the
            one-sided lam E[max(0, ||grad f(x_hat)|| - 1)^2], Petzka et al. 2018), ``"sn"``
            (spectral normalisation of every layer), or ``"none"`` (unconstrained: the
            estimate grows without bound).
        steps: critic updates.
        config: a :class:`CriticConfig` (defaults if None).
        callback: called as ``callback(step, critic)`` at step 0 and every ``every`` steps.
        norm: passed to :func:`critic_mlp` (``"batch"`` to see why WGAN-GP avoids it).

    Returns:
        ``(critic, estimate)``: the trained critic (eval mode) and E_p f - E_q f on
        ``n_eval`` fresh samples of each distribution. Deterministic for a given seed.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {list(METHODS)}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    cfg = config or CriticConfig()
    x0 = np.asarray(p.sample(2, seed=0))
    y0 = np.asarray(q.sample(2, seed=0))
    dim = 1 if x0.ndim == 1 else x0.shape[1]
    if (1 if y0.ndim == 1 else y0.shape[1]) != dim:
        raise ValueError(f"p and q must have the same dimension, got samples of shapes {x0.shape} and {y0.shape}")
    critic = critic_mlp(dim, cfg.hidden, cfg.layers, lipschitz=method, norm=norm, seed=cfg.seed)
    if method == "clip":  # Arjovsky et al. use RMSprop: momentum methods were unstable with clipping
        opt: torch.optim.Optimizer = torch.optim.RMSprop(critic.parameters(), lr=cfg.lr)
    else:  # Adam with beta1 = 0, beta2 = 0.9, as in Gulrajani et al.
        opt = torch.optim.Adam(critic.parameters(), lr=cfg.lr, betas=(0.0, 0.9))
    rng_p, rng_q = np.random.default_rng([cfg.seed, 1]), np.random.default_rng([cfg.seed, 2])
    gen = torch.Generator().manual_seed(cfg.seed)
    if method == "clip":
        _clip_(critic, cfg.clip)
    critic.train()
    for step in range(steps + 1):
        if callback is not None and step % every == 0:
            callback(step, critic)
        if step == steps:
            break
        x = _to_tensor(p.sample(cfg.batch_size, seed=rng_p))  # (B, d) real
        y = _to_tensor(q.sample(cfg.batch_size, seed=rng_q))  # (B, d) fake
        # Update f: maximise E_p f - E_q f, i.e. minimise E_q f - E_p f (+ the penalty).
        loss = wasserstein_loss_dis(critic(x), critic(y))
        if method == "gp":
            loss = loss + gradient_penalty(critic, x, y, generator=gen, lam=cfg.lam)
        elif method == "lp":
            loss = loss + one_sided_penalty(critic, x, y, generator=gen, lam=cfg.lam)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if method == "clip":
            _clip_(critic, cfg.clip)
    critic.eval()
    seed_eval = 10_000 + cfg.seed
    est = critic_gap(critic, p.sample(cfg.n_eval, seed=seed_eval), q.sample(cfg.n_eval, seed=seed_eval + 1))
    return critic, est


def one_sided_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                      generator: torch.Generator | None = None, lam: float = 10.0) -> torch.Tensor:
    """lam * E[max(0, ||grad f(x_hat)||_2 - 1)^2] at x_hat = eps real + (1 - eps) fake, one
    eps ~ U[0, 1] per sample: penalises slopes above 1 only (Petzka et al. 2018).

    Args:
        real, fake: (N, d) batches. Returns a scalar, differentiable w.r.t. the critic.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape, got {tuple(real.shape)} and {tuple(fake.shape)}")
    eps = torch.rand(real.shape[0], 1, generator=generator, dtype=real.dtype)  # (N, 1)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)  # (N, d)
    return lam * (torch.relu(grad.norm(dim=1) - 1.0) ** 2).mean()


def _clip_(critic: nn.Module, c: float) -> None:
    """Clip every parameter (weights and biases, as Arjovsky et al. do) to [-c, c], in place."""
    with torch.no_grad():
        for prm in critic.parameters():
            prm.clamp_(-c, c)


@dataclass
class LipschitzEstimates:
    """Measured and bounded Lipschitz constants of a critic (see :func:`lipschitz_estimates`)."""

    on_samples: float  # max ||grad f(x)|| over the real and fake samples (a lower bound)
    on_interpolates: float  # max ||grad f|| at random points on segments real-fake (a lower bound)
    layer_bound: float  # product of the layers' Lipschitz constants (an upper bound)


def grad_norms(critic: nn.Module, x) -> np.ndarray:
    """||grad_x f(x_i)||_2 for each row of x ((n,) or (n, d)) -> (n,), critic in eval mode.

    Each score f(x_i) depends only on x_i in eval mode, so the gradient of the sum of the
    scores is the stack of the per-sample gradients.
    """
    was = critic.training
    critic.eval()
    xt = _to_tensor(x).requires_grad_(True)
    (g,) = torch.autograd.grad(critic(xt).sum(), xt)  # (n, d)
    critic.train(was)
    return g.norm(dim=1).numpy().astype(float)


def layer_lipschitz_bound(critic: nn.Sequential) -> float:
    """prod_l Lip(layer_l) >= Lip(f): the exact spectral norm ||W||_2 of every Linear layer
    (the normalised weight for a spectrally normalised one), 1 for ReLU, Tanh and
    LeakyReLU with slope <= 1, and max |gamma| / sqrt(running_var + eps) for BatchNorm1d
    in eval mode (an affine map per feature)."""
    if not isinstance(critic, nn.Sequential):
        raise ValueError(f"layer_lipschitz_bound needs an nn.Sequential, got {type(critic).__name__}")
    bound = 1.0
    with torch.no_grad():
        for m in critic:
            if isinstance(m, nn.Linear):
                bound *= float(torch.linalg.matrix_norm(m.weight.double(), ord=2))
            elif isinstance(m, (nn.ReLU, nn.Tanh)):
                pass
            elif isinstance(m, nn.LeakyReLU):
                bound *= max(1.0, abs(m.negative_slope))
            elif isinstance(m, nn.BatchNorm1d):
                scale = torch.ones(m.num_features) if m.weight is None else m.weight
                bound *= float((scale.abs() / torch.sqrt(m.running_var + m.eps)).max())
            else:
                raise ValueError(f"no Lipschitz bound for layer {type(m).__name__} (LayerNorm has none "
                                 "that is layer-wise)")
    return bound


def lipschitz_estimates(critic: nn.Sequential, x_real, x_fake, n_interp: int = 4096,
                        seed: int = 0) -> LipschitzEstimates:
    """Two lower bounds and one upper bound on the critic's Lipschitz constant.

    Args:
        critic: a critic from :func:`critic_mlp` (evaluated in eval mode).
        x_real, x_fake: samples (n,) or (n, d) and (m,) or (m, d) with the same d.
        n_interp: random interpolates eps x_real[i] + (1 - eps) x_fake[j], eps ~ U[0, 1].
        seed: for the pairs and weights of the interpolates.
    """
    xr, xf = _to_tensor(x_real), _to_tensor(x_fake)
    if xr.shape[1] != xf.shape[1]:
        raise ValueError(f"x_real and x_fake must have the same dimension, got {xr.shape[1]} and {xf.shape[1]}")
    if len(xr) == 0 or len(xf) == 0:
        raise ValueError("x_real and x_fake must be non-empty")
    g = torch.Generator().manual_seed(seed)
    i = torch.randint(len(xr), (n_interp,), generator=g)
    j = torch.randint(len(xf), (n_interp,), generator=g)
    eps = torch.rand(n_interp, 1, generator=g)
    x_hat = eps * xr[i] + (1 - eps) * xf[j]  # (n_interp, d)
    return LipschitzEstimates(
        on_samples=float(grad_norms(critic, torch.cat([xr, xf]).numpy()).max()),
        on_interpolates=float(grad_norms(critic, x_hat.numpy()).max()),
        layer_bound=layer_lipschitz_bound(critic),
    )


def empirical_w1(x, y) -> float:
    """W1 between the empirical distributions of two samples, by exact optimal transport.

    W1 = min_{P in U(a, b)} sum_ij P_ij ||x_i - y_j||_2 with uniform weights a = 1/n,
    b = 1/m, solved by POT's network simplex (``ot.emd2``). In 1D with n = m it equals
    mean_i |x_(i) - y_(i)| (sorted samples).

    Args:
        x: (n,) or (n, d) samples; y: (m,) or (m, d), the same d.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    x = x[:, None] if x.ndim == 1 else x
    y = y[:, None] if y.ndim == 1 else y
    if x.ndim != 2 or y.ndim != 2:
        raise ValueError(f"x and y must have shape (n,) or (n, d), got {x.shape} and {y.shape}")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must have the same dimension, got {x.shape[1]} and {y.shape[1]}")
    if len(x) == 0 or len(y) == 0:
        raise ValueError("x and y must be non-empty")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite")
    a, b = np.full(len(x), 1.0 / len(x)), np.full(len(y), 1.0 / len(y))
    cost = ot.dist(x, y, metric="euclidean")  # (n, m) ||x_i - y_j||_2
    return float(ot.emd2(a, b, cost, numItermax=10_000_000))


def batch_dependence(critic: nn.Module, x, i: int = 0) -> float:
    """How much sample i's score depends on the other samples of its batch, in train mode:
    ||d f(x)_i / d x_j||, summed over j != i, relative to ||d f(x)_i / d x_i|| (0 for a
    per-sample critic, > 0 with batch normalisation in training mode)."""
    critic = copy.deepcopy(critic).train()  # a copy: train mode updates BatchNorm's running statistics
    xt = _to_tensor(x).requires_grad_(True)
    (g,) = torch.autograd.grad(critic(xt)[i, 0], xt)  # (n, d): row j is d f_i / d x_j
    own = float(g[i].norm())
    others = float(torch.cat([g[:i], g[i + 1:]]).norm(dim=1).sum())
    return others / own
