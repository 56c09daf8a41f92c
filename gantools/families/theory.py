"""The ELBO, exactly: two toys whose log p(x) is known, so that ELBO <= log p and
log p - ELBO = KL(q(z | x) || p(z | x)) can be computed term by term, not assumed.

1. A 1D Gaussian mixture *is* a latent-variable model: z ~ Categorical(w), x | z ~ N(mu_z,
   s_z^2). Every term is a finite sum (:func:`mixture_elbo`).
2. A continuous latent: z ~ N(0, 1), x | z ~ N(a tanh(b z), sigma^2), a two-bump density of
   x with a skewed, sometimes bimodal posterior. log p(x) and KL(q || p(z | x)) come from
   dense quadrature over z, the ELBO of a Gaussian q from adaptive quadrature: the
   two are computed by different rules, so the identity is a real check
   (:class:`TanhToy`). The best Gaussian q leaves a gap > 0: a Gaussian cannot be the
   posterior (the "approximation gap", Cremer et al. 2018).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import quad
from scipy.optimize import minimize
from scipy.special import logsumexp

LOG_2PI = np.log(2 * np.pi)


def _log_normal(x, mu, sd):
    return -0.5 * ((x - mu) / sd) ** 2 - np.log(sd) - 0.5 * LOG_2PI


def mixture_elbo(x: float, q, weights, means, stds) -> dict:
    """The ELBO of a categorical q(z) (K,) for the point x under the 1D mixture, with log p(x),
    the posterior p(z | x) and KL(q || posterior), each computed on its own."""
    q = np.asarray(q, float)
    w, mu, sd = (np.asarray(a, float) for a in (weights, means, stds))
    if q.shape != w.shape or np.any(q < 0) or not np.isclose(q.sum(), 1.0):
        raise ValueError(f"q must be a probability vector of length {len(w)}, got {q.tolist()}")
    log_joint = np.log(w) + _log_normal(x, mu, sd)  # log p(x, z) for each z
    log_p = float(logsumexp(log_joint))
    post = np.exp(log_joint - log_p)
    nz = q > 0
    elbo = float((q[nz] * (log_joint[nz] - np.log(q[nz]))).sum())
    kl = float((q[nz] * (np.log(q[nz]) - np.log(post[nz]))).sum())
    return {"elbo": elbo, "log_p": log_p, "posterior": post, "kl": kl}


class TanhToy:
    """z ~ N(0, 1), x | z ~ N(a tanh(b z), sigma^2)."""

    def __init__(self, a: float = 2.0, b: float = 3.0, sigma: float = 0.5, z_max: float = 10.0, n: int = 40_001):
        if not (a > 0 and b > 0 and sigma > 0):
            raise ValueError(f"a, b and sigma must be positive, got a={a!r}, b={b!r}, sigma={sigma!r}")
        self.a, self.b, self.sigma = a, b, sigma
        self.z = np.linspace(-z_max, z_max, n)
        self.dz = self.z[1] - self.z[0]

    def log_joint(self, x: float, z):
        return _log_normal(z, 0.0, 1.0) + _log_normal(x, self.a * np.tanh(self.b * z), self.sigma)

    def log_p(self, x: float) -> float:
        """log p(x) = log int p(z) p(x | z) dz by the trapezoid rule on a dense grid."""
        return float(logsumexp(self.log_joint(x, self.z)) + np.log(self.dz))  # the ends are ~e^-50

    def posterior(self, x: float) -> np.ndarray:
        """p(z | x) on the grid ``self.z``."""
        lj = self.log_joint(x, self.z)
        return np.exp(lj - self.log_p(x))

    def elbo(self, x: float, m: float, s: float) -> float:
        """E_q[log p(x, z) - log q(z)] for q = N(m, s^2), by adaptive quadrature (QUADPACK) over
        m +- 12 s: a different rule from the grid of :meth:`log_p`."""
        if not s > 0:
            raise ValueError(f"s must be positive, got {s!r}")

        def integrand(z):
            lq = _log_normal(z, m, s)
            return np.exp(lq) * (self.log_joint(x, z) - lq)

        return float(quad(integrand, m - 12 * s, m + 12 * s, points=[0.0] if abs(m) < 12 * s else None,
                          limit=400, epsabs=1e-13, epsrel=1e-12)[0])

    def kl_to_posterior(self, x: float, m: float, s: float) -> float:
        """KL(N(m, s^2) || p(z | x)) by quadrature on the grid."""
        lq = _log_normal(self.z, m, s)
        lpost = self.log_joint(x, self.z) - self.log_p(x)
        return float(np.trapezoid(np.exp(lq) * (lq - lpost), self.z))

    def best_gaussian(self, x: float) -> tuple[float, float, float]:
        """(m, s, ELBO) of the Gaussian q that maximises the ELBO at x (what a perfect encoder
        would output), started from the posterior's mean and std."""
        post = self.posterior(x)
        m0 = float(np.trapezoid(post * self.z, self.z))
        s0 = float(np.sqrt(np.trapezoid(post * (self.z - m0) ** 2, self.z)))
        res = minimize(lambda p: -self.elbo(x, p[0], np.exp(p[1])), [m0, np.log(s0)], method="Nelder-Mead",
                       options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 4000})
        return float(res.x[0]), float(np.exp(res.x[1])), float(-res.fun)
