r"""Kernel Inception Distance (KID): an unbiased distance between two sets of features.

Bińkowski et al. (2018), "Demystifying MMD GANs", proposed to compare real and generated
images by the squared maximum mean discrepancy (MMD) of their Inception features with the
polynomial kernel

.. math:: k(x, y) = \big(\gamma\, x^\top y + c\big)^{p}, \qquad \gamma = 1/d,\ c = 1,\ p = 3 .

The estimator is the unbiased U-statistic (Gretton et al. 2012), for real features
:math:`x_1..x_m` and generated features :math:`y_1..y_n`,

.. math:: \widehat{\mathrm{MMD}}^2_u = \frac{1}{m(m-1)} \sum_{i \ne i'} k(x_i, x_{i'})
          + \frac{1}{n(n-1)} \sum_{j \ne j'} k(y_j, y_{j'}) - \frac{2}{mn} \sum_{i, j} k(x_i, y_j) ,

whose expectation is the population MMD² for every m, n >= 2: unlike the Fréchet distance
(:func:`gantools.metrics.fid_from_features`), it carries no 1/n bias, so values at different
sample sizes are comparable, and two samples of one distribution score 0 on average (an
individual estimate can be negative).

Its standard error here is the two-sample jackknife (Arvesen 1969): delete one feature
vector at a time, recompute the statistic (in closed form from the kernel's row sums), and
add the two samples' jackknife variances. By the Efron-Stein inequality the jackknife
variance is never too small on average; it is close when the distributions differ and
conservative when they (nearly) coincide, where the U-statistic is degenerate (about 1.4
times the true standard error for two samples of one Gaussian; ``tests/test_kid.py``).
torchmetrics' ``KernelInceptionDistance`` instead averages the estimate over random subsets
and reports the spread of the subsets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import finite_array


@dataclass(frozen=True)
class KernelDistance:
    """The result of :func:`kernel_distance`."""

    value: float  # the unbiased estimate of MMD^2 (KID on Inception features); may be < 0
    se: float  # its jackknife standard error
    n_real: int  # m, the number of real feature vectors
    n_fake: int  # n, the number of generated feature vectors

    def __repr__(self) -> str:
        return f"KernelDistance({self.value:.6g} +- {self.se:.2g}, n_real={self.n_real}, n_fake={self.n_fake})"


def polynomial_kernel(a, b, degree: int = 3, gamma: float | None = None, coef: float = 1.0) -> np.ndarray:
    """(m, n) matrix of k(a_i, b_j) = (gamma a_i . b_j + coef)^degree for rows a (m, d), b (n, d).

    ``gamma`` defaults to 1/d (KID's choice).
    """
    a, b = finite_array(a, "a", 2), finite_array(b, "b", 2)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature dimensions differ: a has d={a.shape[1]}, b has d={b.shape[1]}")
    gamma = 1.0 / a.shape[1] if gamma is None else gamma
    return (gamma * (a @ b.T) + coef) ** degree


def _row_sums(a: np.ndarray, b: np.ndarray, kernel, chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """Row sums (len(a),) and column sums (len(b),) of the kernel matrix k(a, b), in row chunks."""
    rows, cols = np.empty(a.shape[0]), np.zeros(b.shape[0])
    for s in range(0, a.shape[0], chunk):
        block = kernel(a[s:s + chunk], b)  # (chunk, len(b))
        rows[s:s + chunk] = block.sum(1)
        cols += block.sum(0)
    return rows, cols


def kernel_distance(real_features, fake_features, degree: int = 3, gamma: float | None = None,
                    coef: float = 1.0) -> KernelDistance:
    """Unbiased squared MMD with a polynomial kernel (KID), and its jackknife standard error.

    Args:
        real_features: (m, d) features of real images, m >= 3.
        fake_features: (n, d) features of generated images, n >= 3 (n may differ from m).
        degree, gamma, coef: the kernel (gamma x.y + coef)^degree; KID uses 3, 1/d and 1.

    Returns:
        :class:`KernelDistance` with ``value`` (in squared kernel units; on Inception
        features papers often quote 1000 x KID) and ``se``.
    """
    x = finite_array(real_features, "real_features", 2)
    y = finite_array(fake_features, "fake_features", 2)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"feature dimensions differ: real has d={x.shape[1]}, fake has d={y.shape[1]}")
    m, n = x.shape[0], y.shape[0]
    for name, size in (("real_features", m), ("fake_features", n)):
        if size < 3:
            raise ValueError(f"{name} needs at least 3 rows for the unbiased estimate and its jackknife, got {size}")
    if not (isinstance(degree, (int, np.integer)) and degree >= 1):
        raise ValueError(f"degree must be a positive integer, got {degree!r}")
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    if not (np.isfinite(gamma) and gamma > 0 and np.isfinite(coef) and coef >= 0):
        raise ValueError(f"gamma must be > 0 and coef >= 0, got gamma={gamma!r}, coef={coef!r}")

    def kernel(a, b):
        return (gamma * (a @ b.T) + coef) ** degree

    chunk = max(1, 2**22 // max(m, n))  # (chunk, max(m, n)) float64 blocks of <= 32 MB
    diag_x = (gamma * np.einsum("ij,ij->i", x, x) + coef) ** degree  # k(x_i, x_i)
    diag_y = (gamma * np.einsum("ij,ij->i", y, y) + coef) ** degree
    rx = _row_sums(x, x, kernel, chunk)[0] - diag_x  # sum over i' != i of k(x_i, x_i')
    ry = _row_sums(y, y, kernel, chunk)[0] - diag_y
    cx, cy = _row_sums(x, y, kernel, chunk)  # sums of k(x_i, y_j) over j, and over i
    sxx, syy, sxy = rx.sum(), ry.sum(), cx.sum()
    value = sxx / (m * (m - 1)) + syy / (n * (n - 1)) - 2 * sxy / (m * n)

    # delete-one statistics in closed form: removing x_i removes 2 rx_i from sxx and cx_i from sxy
    loo_x = (sxx - 2 * rx) / ((m - 1) * (m - 2)) + syy / (n * (n - 1)) - 2 * (sxy - cx) / ((m - 1) * n)
    loo_y = sxx / (m * (m - 1)) + (syy - 2 * ry) / ((n - 1) * (n - 2)) - 2 * (sxy - cy) / (m * (n - 1))
    var = (m - 1) / m * np.sum((loo_x - loo_x.mean()) ** 2) + (n - 1) / n * np.sum((loo_y - loo_y.mean()) ** 2)
    return KernelDistance(value=float(value), se=float(np.sqrt(var)), n_real=m, n_fake=n)
