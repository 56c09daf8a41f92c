"""The connected-latent bound of chapter 6: how much mass a generator of Gaussian noise must
put between separated modes, and how to measure the quantities it depends on.

**Setup.** z ~ N(0, I_d) in any dimension d (measure gamma); G is L-Lipschitz, with L in data
units per unit of the latent's standard deviation; the target has K modes whose high-quality
(HQ) discs are pairwise at least ``delta`` apart; A_k = G^{-1}(disc k) has mass p_k = gamma(A_k).

**Derivation.** (1) For z in A_j and z' in A_k, j != k: |z - z'| >= |G(z) - G(z')| / L >= delta / L.
(2) With eps = delta / (2L) the open eps-enlargements A_k^eps are pairwise disjoint (a point in
two of them would put A_j and A_k closer than 2 eps = delta / L), so sum_k gamma(A_k^eps) <= 1.
(3) Gaussian isoperimetry (Borell 1975; Sudakov & Tsirelson 1974), dimension-free:
gamma(A^eps) >= Phi(Phi^-1(gamma(A)) + eps). Hence

    sum_k Phi(Phi^-1(p_k) + delta / (2L)) <= 1,                                   (*)

and for equal masses p_k = h / K:  h <= K Phi(Phi^-1(1/K) - delta / (2L)).

For K = 2 this is 2 Phi(-delta / (2L)), attained by G(z) = clip(L z_1, -a, a): the factor 1/2 is
exact, and delta / L in its place would be violated by that map (:func:`clip_map`).

The measured side: :func:`jacobian_norms` (the spectral norm of dG/du, u = z / noise_std, at any
latent points), :func:`lipschitz_lower` (their maximum over latent draws and along latent
segments that join HQ samples of different modes; every value is <= the true L, so the bound
it gives is *smaller* than the true one and a run below it is below the true bound too), and
:func:`lipschitz_upper` (the product of the layers' spectral norms, a certified upper bound).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from scipy.optimize import brentq
from scipy.stats import norm

from ..distributions import GaussianMixture

Tensor = torch.Tensor

# the derivative of each hidden nonlinearity of gantools.batched, as a function of its input
_DERIVATIVES = {
    "relu": lambda a: (a > 0).to(a.dtype),
    "leaky_relu": lambda a: torch.where(a > 0, torch.ones_like(a), torch.full_like(a, 0.2)),
    "tanh": lambda a: 1 - torch.tanh(a) ** 2,
    "elu": lambda a: torch.where(a > 0, torch.ones_like(a), torch.exp(torch.clamp(a, max=0.0))),
}


# -- the bound ---------------------------------------------------------------------------
def _check(L=None, delta=None, K=None):
    if L is not None and not np.all(np.asarray(L, dtype=float) > 0):
        raise ValueError(f"the Lipschitz constant L must be positive, got {L!r}")
    if delta is not None and not delta > 0:
        raise ValueError(f"the gap delta must be positive, got {delta!r}")
    if K is not None and (int(K) != K or K < 2):
        raise ValueError(f"the number of modes K must be an integer >= 2, got {K!r}")


def hq_bound(L, delta: float, K: int):
    """K Phi(Phi^-1(1/K) - delta / (2L)): the largest HQ fraction of an L-Lipschitz generator
    of Gaussian noise that puts equal mass on K modes whose HQ discs are delta apart."""
    _check(L, delta, K)
    return K * norm.cdf(norm.ppf(1.0 / K) - delta / (2 * np.asarray(L, dtype=float)))


def lipschitz_needed(hq: float, delta: float, K: int) -> float:
    """The smallest L for which :func:`hq_bound` reaches ``hq`` (equal masses)."""
    _check(None, delta, K)
    if not 0 < hq < 1:
        raise ValueError(f"hq must be in (0, 1), got {hq!r}")
    return delta / (2 * (norm.ppf(1.0 / K) - norm.ppf(hq / K)))


def isoperimetric_sum(masses, L: float, delta: float) -> float:
    """sum_k Phi(Phi^-1(p_k) + delta / (2L)) over the HQ masses p_k of the modes; the bound
    (*) says it is at most 1 for every L-Lipschitz generator of Gaussian noise."""
    _check(L, delta)
    p = np.asarray(masses, dtype=float)
    if np.any(p < 0) or p.sum() > 1 + 1e-12:
        raise ValueError(f"masses must be >= 0 and sum to at most 1, got sum {p.sum()!r}")
    return float(norm.cdf(norm.ppf(p) + delta / (2 * L)).sum())


def hq_bound_shares(shares, L: float, delta: float) -> float:
    """The largest HQ fraction h with sum_k Phi(Phi^-1(h w_k) + delta / (2L)) <= 1, for a
    generator that splits its HQ mass over the modes in the proportions ``shares`` w (they are
    normalised; zeros are modes it misses). Equal shares over K modes give :func:`hq_bound`;
    all the mass on one mode gives 1 (collapse is not limited by the bound)."""
    _check(L, delta)
    w = np.asarray(shares, dtype=float)
    if np.any(w < 0) or not w.sum() > 0:
        raise ValueError("shares must be >= 0 with a positive sum")
    w = w[w > 0] / w.sum()
    if len(w) == 1:
        return 1.0
    eps = delta / (2 * L)

    def excess(h):
        return norm.cdf(norm.ppf(h * w) + eps).sum() - 1.0

    return 1.0 if excess(1.0) <= 0 else float(brentq(excess, 1e-300, 1.0, xtol=1e-12))


def disc_gap(mixture: GaussianMixture, n_std: float = 3.0) -> float:
    """delta: the smallest distance between two HQ discs (radius n_std * std) of a mixture."""
    mu = np.asarray(mixture.means, dtype=float)
    sd = np.broadcast_to(np.asarray(mixture.stds, dtype=float), (len(mu),))
    d = np.linalg.norm(mu[:, None] - mu[None], axis=2) - n_std * (sd[:, None] + sd[None])
    return float(d[~np.eye(len(mu), dtype=bool)].min())


def clip_map(z: np.ndarray, L: float, a: float) -> np.ndarray:
    """G(z) = clip(L z_1, -a, a), an L-Lipschitz map of (n, d) latents onto a segment whose ends
    are two modes: its HQ fraction attains the K = 2 bound exactly (the bound is tight)."""
    return np.clip(L * np.asarray(z)[:, 0], -a, a)


# -- measuring a trained generator ------------------------------------------------------------
def jacobian(gan, z: Tensor, params=None) -> Tensor:
    """dG/dz of every run of a :class:`~gantools.batched.BatchedGAN` at latent points z
    (S, n, noise_dim) -> (S, n, data_dim, noise_dim), by forward-mode differentiation of the MLP
    (eval-mode batch norm is an affine map per feature)."""
    params = (gan.G_ema or gan.G) if params is None else params
    act, dact = gan.g_act, _DERIVATIVES[gan.cfg.g_activation]
    s, n, d = z.shape
    x = z
    tangent = torch.eye(d, dtype=z.dtype, device=z.device).expand(s, n, d, d)  # (S, n, d_in=d, features=d)
    last = len(params) - 1
    for i, (W, b) in enumerate(params):
        a = torch.baddbmm(b, x, W)  # (S, n, out)
        t = torch.einsum("sndi,sio->sndo", tangent, W)  # (S, n, d, out)
        if i < last:
            if gan.bn is not None:
                scale, shift = gan.bn.eval_affine(i)  # (S, 1, out)
                a, t = a * scale + shift, t * scale[:, :, None]
            x, t = act(a), t * dact(a)[:, :, None, :]
        else:
            x = a
        tangent = t
    return tangent.transpose(2, 3)  # (S, n, data_dim, noise_dim)


def _spectral(J: Tensor) -> Tensor:
    return torch.linalg.matrix_norm(J, ord=2)


@torch.no_grad()
def jacobian_norms(gan, z: Tensor) -> Tensor:
    """||dG/du||_2 at latent points z (S, n, noise_dim) -> (S, n), per unit of the latent's
    standard deviation (u = z / noise_std, so dG/du = noise_std dG/dz)."""
    return gan.cfg.noise_std * _spectral(jacobian(gan, z))


@torch.no_grad()
def lipschitz_lower(gan, mixtures: Sequence[GaussianMixture], n: int = 20_000, seed: int = 0,
                    pairs: int = 400, points: int = 33, n_std: float = 3.0) -> np.ndarray:
    """Each run's largest measured ||dG/du||: over ``n`` latent draws, and at ``points`` points on
    each of the ``pairs`` shortest latent segments that join HQ samples of different modes
    (where G must climb the gap), together with those segments' chord slopes. Every value is
    at most the true Lipschitz constant; returns (S,)."""
    if gan.cfg.latent_components:
        raise ValueError("the bound assumes Gaussian noise; this generator has a mixture latent")
    gen = torch.Generator().manual_seed(seed)
    z = gan.noise(n, gen)  # (S, n, d)
    best = jacobian_norms(gan, z).amax(1)  # (S,)
    x = gan.generate(z, gan.G_ema or gan.G).double().cpu().numpy()
    u = (z / gan.cfg.noise_std).double().cpu().numpy()
    for r, mix in enumerate(mixtures):
        mu, sd = np.asarray(mix.means, float), np.broadcast_to(np.asarray(mix.stds, float), (len(mix.means),))
        dist = np.linalg.norm(x[r][:, None] - mu[None], axis=2)
        k = dist.argmin(1)
        hq = np.flatnonzero(dist[np.arange(n), k] <= n_std * sd[k])[:2000]
        if len(np.unique(k[hq])) < 2:
            continue
        du = np.linalg.norm(u[r][hq][:, None] - u[r][hq][None], axis=2)
        du[k[hq][:, None] == k[hq][None]] = np.inf
        i, j = np.unravel_index(np.argsort(du, axis=None)[: 2 * pairs : 2], du.shape)
        chords = np.linalg.norm(x[r][hq[i]] - x[r][hq[j]], axis=1) / du[i, j]
        t = torch.linspace(0, 1, points, dtype=z.dtype, device=z.device)[None, :, None]
        za, zb = z[r][torch.as_tensor(hq[i])][:, None], z[r][torch.as_tensor(hq[j])][:, None]
        seg = (za + t * (zb - za)).reshape(1, -1, z.shape[2]).expand(gan.runs, -1, -1)
        on_seg = jacobian_norms(gan, seg.contiguous())[r].max()
        best[r] = max(best[r].item(), on_seg.item(), float(chords.max()))
    return best.double().cpu().numpy()


@torch.no_grad()
def lipschitz_upper(gan) -> np.ndarray:
    """A certified upper bound on each run's Lipschitz constant per unit latent std: noise_std
    times the product of the layers' spectral norms (hidden nonlinearities are 1-Lipschitz;
    eval-mode batch norm multiplies by its largest |scale|). Returns (S,)."""
    params = gan.G_ema or gan.G
    total = torch.full((gan.runs,), float(gan.cfg.noise_std), dtype=torch.float64, device=gan.device)
    for i, (W, _) in enumerate(params):
        total *= torch.linalg.matrix_norm(W.double(), ord=2)
        if gan.bn is not None and i < len(params) - 1:
            total *= gan.bn.eval_affine(i)[0].abs().amax(dim=(1, 2)).double()
    return total.cpu().numpy()


__all__ = [
    "clip_map", "disc_gap", "hq_bound", "hq_bound_shares", "isoperimetric_sum",
    "jacobian", "jacobian_norms", "lipschitz_lower", "lipschitz_needed", "lipschitz_upper",
]
