"""What the tricks do to the game, exactly: label smoothing's optimal discriminator and the
generator's gradient through it, instance noise as a convolution, and averaging the
iterates of a cycling game.

- :func:`smoothed_optimal_discriminator`: with BCE targets alpha for real samples and beta
  for generated ones, the pointwise minimiser of D's expected loss is
  D*(x) = (alpha p_data + beta p_g) / (p_data + p_g) (checked against a numerical
  minimiser, :func:`pointwise_minimiser`, and by quadrature, :func:`smoothed_d_loss`).
- :func:`ns_gradient`: the non-saturating generator's gradient d/dx log D*(x) at a
  generated point; alpha cancels from it, beta flattens it where p_data is small.
- :func:`convolve`: a 1D Gaussian mixture plus independent N(0, sigma^2) noise (instance
  noise) is the mixture with every variance raised by sigma^2.
- :func:`ema_iterates`, :func:`ema_radius_ratio`, :func:`cesaro_bound`: on the bilinear game
  u * v, alternating gradient steps cycle for ever (chapter 5); the uniform average of the
  iterates converges to the equilibrium like 1/t, an exponential moving average does not:
  it cycles on an orbit shrunk by the factor (1 - gamma) / |e^{i theta} - gamma|.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize_scalar

from ..distributions import GaussianMixture
from ..games import update_matrix
from ..theory import integrate, panels


def check_targets(alpha: float, beta: float) -> None:
    """ValueError unless 0 <= beta < alpha <= 1 (the smoothing targets)."""
    if not (isinstance(alpha, (int, float)) and 0 < alpha <= 1):
        raise ValueError(f"the real target alpha must be in (0, 1], got {alpha!r}")
    if not (isinstance(beta, (int, float)) and 0 <= beta < alpha):
        raise ValueError(f"the fake target beta must be in [0, alpha) = [0, {alpha!r}), got {beta!r}")


def smoothed_optimal_discriminator(p_data, p_g, alpha: float = 1.0, beta: float = 0.0):
    """D*(x) = (alpha p_data(x) + beta p_g(x)) / (p_data(x) + p_g(x)), vectorised; where both
    densities vanish, (alpha + beta) / 2. alpha = 1, beta = 0 is chapter 2's D*."""
    check_targets(alpha, beta)

    def d_star(x):
        pd, pg = p_data.pdf(x), p_g.pdf(x)
        total = pd + pg
        with np.errstate(invalid="ignore", divide="ignore"):
            d = (alpha * pd + beta * pg) / total
        return np.where(total > 0, d, (alpha + beta) / 2)

    return d_star


def pointwise_minimiser(pd: float, pg: float, alpha: float, beta: float) -> float:
    """argmin over D in (0, 1) of -(pd [alpha log D + (1 - alpha) log(1 - D)]
    + pg [beta log D + (1 - beta) log(1 - D)]), found numerically (bounded Brent): the
    closed form's independent check."""
    check_targets(alpha, beta)

    def loss(d):
        return -(pd * (alpha * math.log(d) + (1 - alpha) * math.log1p(-d))
                 + pg * (beta * math.log(d) + (1 - beta) * math.log1p(-d)))

    return float(minimize_scalar(loss, bounds=(1e-12, 1 - 1e-12), method="bounded",
                                 options={"xatol": 1e-13}).x)


def smoothed_d_loss(D, p_data, p_g, alpha: float, beta: float) -> float:
    """D's expected smoothed BCE, -E_data[alpha log D + (1 - alpha) log(1 - D)]
    - E_g[beta log D + (1 - beta) log(1 - D)], by adaptive quadrature (nats)."""
    check_targets(alpha, beta)

    def integrand(x):
        d = np.clip(np.asarray(D(x), dtype=float), 1e-300, 1 - 1e-16)
        ld, l1 = np.log(d), np.log1p(-d)
        return -(p_data.pdf(x) * (alpha * ld + (1 - alpha) * l1) + p_g.pdf(x) * (beta * ld + (1 - beta) * l1))

    return integrate(integrand, panels(p_data, p_g))


def pdf_slope(p: GaussianMixture, x) -> np.ndarray:
    """d/dx of a 1D Gaussian mixture's density at x."""
    x = np.asarray(x, dtype=float)
    m, s = np.asarray(p.means, float), np.broadcast_to(np.asarray(p.stds, float), np.shape(p.means))
    z = (x[..., None] - m) / s
    dens = p.weights * np.exp(-0.5 * z**2) / (s * math.sqrt(2 * math.pi))
    return np.sum(dens * (-z / s), axis=-1)


def ns_gradient(x, p_data: GaussianMixture, p_g: GaussianMixture, alpha: float = 1.0,
                beta: float = 0.0) -> np.ndarray:
    """The non-saturating generator's gradient d/dx log D*(x) at generated points x against
    the smoothed D*: (alpha p_d' + beta p_g') / (alpha p_d + beta p_g) - (p_d' + p_g') / (p_d + p_g).
    It does not depend on alpha when beta = 0."""
    check_targets(alpha, beta)
    pd, pg = p_data.pdf(x), p_g.pdf(x)
    dd, dg = pdf_slope(p_data, x), pdf_slope(p_g, x)
    return (alpha * dd + beta * dg) / (alpha * pd + beta * pg) - (dd + dg) / (pd + pg)


def convolve(p: GaussianMixture, sigma: float) -> GaussianMixture:
    """The law of X + N(0, sigma^2) for X ~ p (1D): each component's std becomes
    sqrt(s^2 + sigma^2). sigma = 0 returns p."""
    if not (isinstance(sigma, (int, float)) and sigma >= 0 and math.isfinite(sigma)):
        raise ValueError(f"the noise level sigma must be a finite number >= 0, got {sigma!r}")
    stds = np.broadcast_to(np.asarray(p.stds, float), np.shape(p.means))
    return GaussianMixture(p.means, np.sqrt(stds**2 + sigma**2), p.weights)


# -- averaging the iterates of the bilinear game ------------------------------------------------
def _alternating(eta: float) -> tuple[np.ndarray, complex]:
    """Alternating GDA's one-step map on min_u max_v u v, and its eigenvalue e^{i theta}."""
    if not (isinstance(eta, (int, float)) and 0 < eta < 2):
        raise ValueError(f"the step size eta must be in (0, 2) for alternating steps to cycle, got {eta!r}")
    M = update_matrix(np.array([[1.0]]), eta, "alternating")
    lam = complex(1 - eta**2 / 2, eta * math.sqrt(1 - eta**2 / 4))
    return M, lam


def _check_gamma(gamma: float) -> None:
    if not (isinstance(gamma, (int, float)) and 0 <= gamma < 1):
        raise ValueError(f"the EMA decay gamma must be in [0, 1), got {gamma!r}")


def ema_iterates(eta: float, gamma: float, steps: int, z0=(1.0, 0.0)) -> np.ndarray:
    """The EMA e_t = gamma e_{t-1} + (1 - gamma) z_t (e_0 = z_0) of alternating GDA's
    iterates z_t = M^t z_0, t = 0..steps, in closed form: along each eigenvector of M (eigenvalue
    lambda), e_t = gamma^t + (1 - gamma) lambda (lambda^t - gamma^t) / (lambda - gamma) times z_0's
    component. Returns (steps + 1, 2)."""
    _check_gamma(gamma)
    M, _ = _alternating(eta)
    lams, V = np.linalg.eig(M)
    c = np.linalg.solve(V, np.asarray(z0, dtype=complex))
    t = np.arange(steps + 1)[:, None]
    g = gamma**t
    coef = g + (1 - gamma) * lams * (lams**t - g) / (lams - gamma)
    return np.real((coef * c) @ V.T)


def ema_radius_ratio(eta: float, gamma: float) -> float:
    """Where the EMA ends up: |e_t| / |z_t| along each eigenvector tends to
    (1 - gamma) |lambda| / |lambda - gamma| = (1 - gamma) / sqrt(1 - 2 gamma cos theta + gamma^2),
    with cos theta = 1 - eta^2 / 2. Not zero: the EMA cycles too, on a smaller orbit."""
    _check_gamma(gamma)
    _, lam = _alternating(eta)
    return (1 - gamma) / abs(lam - gamma)


def eigen_radius(eta: float, z) -> np.ndarray:
    """The size of points z (..., 2) in the eigen-coordinates of alternating GDA: the
    modulus of their component along the first eigenvector, which M^t leaves unchanged (the
    iterates cycle on an ellipse of constant eigen-radius)."""
    M, _ = _alternating(eta)
    _, V = np.linalg.eig(M)
    return np.abs(np.asarray(z, dtype=complex) @ np.linalg.inv(V).T[:, 0])


def cesaro_bound(eta: float, steps) -> np.ndarray:
    """The uniform average of z_0..z_t has eigen-radius |1 - lambda^{t+1}| / ((t + 1) |1 - lambda|)
    times z_0's, at most 2 / ((t + 1) |1 - lambda|): it converges to the equilibrium like 1/t."""
    _, lam = _alternating(eta)
    t = np.asarray(steps, dtype=float)
    return 2.0 / ((t + 1) * abs(1 - lam))
