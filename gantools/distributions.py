"""Reference distributions with exact densities: the "data" of the toy chapters.

Every distribution here knows its density in closed form, so that the theory of
chapters 2-3 (optimal discriminator, JSD, Wasserstein distance) can be computed
exactly by quadrature rather than estimated from samples.

Shapes: a 1D distribution takes ``x`` of any shape and returns an array of the same
shape; a d-dimensional one takes ``(..., d)`` and returns ``(...)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.special import ndtr

ArrayLike = float | Sequence[float] | np.ndarray

# Offsets (in standard deviations) at which a Gaussian component contributes quadrature
# breakpoints; beyond 12 sigma the mass is below 1e-32.
_GAUSS_OFFSETS = np.array([-12, -9, -7, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 7, 9, 12], float)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A NumPy generator from an int seed, an existing generator, or None (fresh entropy)."""
    return np.random.default_rng(seed)


class GaussianMixture:
    """A mixture of isotropic Gaussians, p(x) = sum_k w_k N(x; mu_k, sigma_k^2 I).

    Args:
        means: shape (K,) for a 1D mixture or (K, d) for a d-dimensional one.
        stds: one standard deviation for all components (scalar) or one per component (K,).
        weights: mixture weights (K,), non-negative and summing to 1; uniform by default.

    Raises:
        ValueError: on an empty mixture, a non-positive or non-finite std, weights that are
            negative or do not sum to 1, or shapes that do not match.
    """

    def __init__(self, means: ArrayLike, stds: ArrayLike, weights: ArrayLike | None = None):
        means = np.asarray(means, dtype=float)
        if means.ndim == 0:
            means = means[None]
        if means.ndim not in (1, 2) or means.shape[0] == 0:
            raise ValueError(f"means must have shape (K,) or (K, d) with K >= 1, got shape {means.shape}")
        if not np.all(np.isfinite(means)):
            raise ValueError(f"means must be finite, got {means.tolist()}")
        k = means.shape[0]
        stds = np.asarray(stds, dtype=float)
        if stds.ndim == 0:
            stds = np.full(k, float(stds))
        if stds.shape != (k,):
            raise ValueError(f"stds must be a scalar or have shape ({k},) to match {k} means, got shape {stds.shape}")
        if not np.all(np.isfinite(stds)) or np.any(stds <= 0):
            raise ValueError(f"every std must be positive and finite, got {stds.tolist()}")
        if weights is None:
            weights = np.full(k, 1.0 / k)
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (k,):
            raise ValueError(f"weights must have shape ({k},) to match {k} means, got shape {weights.shape}")
        if np.any(weights < 0) or not np.all(np.isfinite(weights)):
            raise ValueError(f"weights must be non-negative, got {weights.tolist()}")
        if abs(weights.sum() - 1.0) > 1e-8:
            raise ValueError(f"weights must sum to 1, got {weights.sum():.10g}")
        self.means = means
        self.stds = stds
        self.weights = weights
        self.dim = 1 if means.ndim == 1 else means.shape[1]
        self._log_w = np.log(np.where(weights > 0, weights, 1.0)) + np.where(weights > 0, 0.0, -np.inf)

    def __repr__(self) -> str:
        return f"GaussianMixture(K={len(self.weights)}, dim={self.dim})"

    @property
    def is_1d(self) -> bool:
        return self.means.ndim == 1

    def _check_x(self, x: ArrayLike) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if not self.is_1d and (x.ndim == 0 or x.shape[-1] != self.dim):
            raise ValueError(f"x must have shape (..., {self.dim}) for a {self.dim}-D mixture, got shape {x.shape}")
        return x

    def log_pdf(self, x: ArrayLike) -> np.ndarray:
        """log p(x), computed with log-sum-exp so that far tails do not underflow to -inf."""
        x = self._check_x(x)
        n_points = x.size if self.is_1d else x.size // self.dim
        if n_points * len(self.weights) > 2**19 and n_points > 1:
            # Evaluate in chunks that stay in cache: a kernel density estimate has
            # thousands of components, and one (n, K) array would not.
            flat = x.reshape(-1) if self.is_1d else x.reshape(-1, self.dim)
            step = max(1, 2**19 // len(self.weights))
            out = np.concatenate([self.log_pdf(flat[i : i + step]) for i in range(0, n_points, step)])
            return out.reshape(x.shape if self.is_1d else x.shape[:-1])
        if self.is_1d:
            z = (x[..., None] - self.means) / self.stds  # (..., K)
            comp = -0.5 * z**2 - np.log(self.stds) - _LOG_SQRT_2PI
        else:
            sq = np.sum((x[..., None, :] - self.means) ** 2, axis=-1)  # (..., K)
            comp = -0.5 * sq / self.stds**2 - self.dim * (np.log(self.stds) + _LOG_SQRT_2PI)
        return _logsumexp(comp + self._log_w)

    def pdf(self, x: ArrayLike) -> np.ndarray:
        """p(x)."""
        return np.exp(self.log_pdf(x))

    def cdf(self, x: ArrayLike) -> np.ndarray:
        """P(X <= x) for a 1D mixture."""
        if not self.is_1d:
            raise ValueError(f"cdf is defined for 1D mixtures only; this one is {self.dim}-D")
        x = np.asarray(x, dtype=float)
        return np.sum(self.weights * ndtr((x[..., None] - self.means) / self.stds), axis=-1)

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        """n samples, shape (n,) in 1D or (n, d); the same seed gives the same samples."""
        n = _check_n(n)
        rng = _rng(seed)
        k = rng.choice(len(self.weights), size=n, p=self.weights)
        if self.is_1d:
            return self.means[k] + self.stds[k] * rng.standard_normal(n)
        return self.means[k] + self.stds[k, None] * rng.standard_normal((n, self.dim))

    # -- for quadrature (gantools.theory) ----------------------------------------------
    support = (-math.inf, math.inf)

    def breakpoints(self) -> tuple[np.ndarray, np.ndarray]:
        """(smooth, hard) breakpoints for piecewise quadrature in 1D: points where the
        density changes scale (mu +- k sigma), and discontinuities (none for Gaussians)."""
        if not self.is_1d:
            raise ValueError("quadrature breakpoints exist for 1D mixtures only")
        keep = self.weights > 0
        pts = (self.means[keep, None] + self.stds[keep, None] * _GAUSS_OFFSETS).ravel()
        return pts, np.empty(0)

    def scale(self) -> float:
        """The smallest length scale of the density (quadrature resolves it)."""
        return float(self.stds[self.weights > 0].min())

    def mean(self) -> np.ndarray | float:
        m = self.weights @ self.means
        return float(m) if self.is_1d else m


class Uniform:
    """The uniform distribution on [low, high] (1D).

    Raises:
        ValueError: unless low < high, both finite.
    """

    def __init__(self, low: float, high: float):
        low, high = float(low), float(high)
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ValueError(f"low and high must be finite, got low={low}, high={high}")
        if not low < high:
            raise ValueError(f"low must be smaller than high, got low={low}, high={high}")
        self.low, self.high = low, high
        self.dim = 1
        self.is_1d = True
        self.support = (low, high)

    def __repr__(self) -> str:
        return f"Uniform({self.low:g}, {self.high:g})"

    def pdf(self, x: ArrayLike) -> np.ndarray:
        """1/(high-low) on [low, high], 0 elsewhere."""
        x = np.asarray(x, dtype=float)
        return np.where((x >= self.low) & (x <= self.high), 1.0 / (self.high - self.low), 0.0)

    def log_pdf(self, x: ArrayLike) -> np.ndarray:
        """log p(x); -inf outside [low, high]."""
        x = np.asarray(x, dtype=float)
        inside = (x >= self.low) & (x <= self.high)
        return np.where(inside, -math.log(self.high - self.low), -np.inf)

    def cdf(self, x: ArrayLike) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return np.clip((x - self.low) / (self.high - self.low), 0.0, 1.0)

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> np.ndarray:
        n = _check_n(n)
        return _rng(seed).uniform(self.low, self.high, size=n)

    def breakpoints(self) -> tuple[np.ndarray, np.ndarray]:
        return np.empty(0), np.array([self.low, self.high])

    def scale(self) -> float:
        return self.high - self.low

    def mean(self) -> float:
        return 0.5 * (self.low + self.high)


def _logsumexp(a: np.ndarray) -> np.ndarray:
    """log(sum(exp(a), axis=-1)), shifted by the row maximum (much faster than SciPy's for
    the (n, K) arrays of a kernel density estimate). Rows are never all -inf here."""
    m = a.max(axis=-1, keepdims=True)
    return np.log(np.exp(a - m).sum(axis=-1)) + m[..., 0]


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    return int(n)


def normal(mean: float = 0.0, std: float = 1.0) -> GaussianMixture:
    """The 1D Gaussian N(mean, std^2), as a one-component GaussianMixture (so that the
    quadrature of gantools.theory applies to it)."""
    return GaussianMixture([mean], std)


def ring(n_modes: int = 8, radius: float = 1.0, std: float = 0.01) -> GaussianMixture:
    """The 2D ring benchmark: ``n_modes`` equal-weight Gaussians evenly spaced on a circle.

    Defaults follow PacGAN (Lin et al., 2018), which took the ring of VEEGAN
    (Srivastava et al., 2017): 8 modes on a circle of radius 1 with std 0.01.
    """
    if isinstance(n_modes, bool) or not isinstance(n_modes, (int, np.integer)) or n_modes < 1:
        raise ValueError(f"n_modes must be a positive integer, got {n_modes!r}")
    if not radius > 0:
        raise ValueError(f"radius must be positive, got {radius}")
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    means = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return GaussianMixture(means, std)


def grid(side: int = 5, spacing: float = 2.0, std: float = 0.05) -> GaussianMixture:
    """The 2D grid benchmark: ``side``**2 equal-weight Gaussians on a square lattice
    centred at the origin.

    Defaults follow VEEGAN and PacGAN: 25 modes on {-4, -2, 0, 2, 4}^2 with std 0.05.
    """
    if isinstance(side, bool) or not isinstance(side, (int, np.integer)) or side < 1:
        raise ValueError(f"side must be a positive integer, got {side!r}")
    if not spacing > 0:
        raise ValueError(f"spacing must be positive, got {spacing}")
    coords = spacing * (np.arange(side) - (side - 1) / 2)
    xx, yy = np.meshgrid(coords, coords, indexing="ij")
    means = np.stack([xx.ravel(), yy.ravel()], axis=1)
    return GaussianMixture(means, std)
