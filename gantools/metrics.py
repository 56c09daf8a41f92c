"""How good is a generator? Metrics computed from samples, in plain NumPy.

- :func:`mode_coverage`: the mode-collapse metrics of VEEGAN (Srivastava et al. 2017) and
  PacGAN (Lin et al. 2018) on a Gaussian-mixture target: modes captured, fraction of
  high-quality samples, and the KL divergence of the mode histogram.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .distributions import GaussianMixture


@dataclass(frozen=True)
class ModeCoverage:
    """The result of :func:`mode_coverage` for one set of samples."""

    modes_captured: int  # modes that are the nearest mode of >= 1 high-quality sample
    n_modes: int  # K, the number of mixture components
    hq_fraction: float  # fraction of samples within n_std stds of their nearest mode
    kl: float  # KL(q || w) of the high-quality mode histogram q vs the weights w (nats)
    counts: np.ndarray  # (K,) high-quality samples per mode
    nearest: np.ndarray  # (n,) index of each sample's nearest mode
    high_quality: np.ndarray  # (n,) bool, the high-quality samples

    def __repr__(self) -> str:
        return (f"ModeCoverage(modes_captured={self.modes_captured}/{self.n_modes}, "
                f"hq_fraction={self.hq_fraction:.4f}, kl={self.kl:.4f})")


def mode_coverage(samples, mixture: GaussianMixture, n_std: float = 3.0) -> ModeCoverage:
    """Mode-collapse metrics of generated ``samples`` against a Gaussian ``mixture``.

    A sample is *high quality* when its Euclidean distance to the nearest mode mean is at
    most ``n_std`` times that mode's standard deviation; a mode is *captured* when it is
    the nearest mode of at least one high-quality sample; ``kl`` is
    KL(q || w) = sum_k q_k log(q_k / w_k) of the histogram q of the high-quality samples
    over the modes against the mixture weights w (``inf`` when no sample is high quality).

    Args:
        samples: (n,) for a 1D mixture or (n, d) for a d-dimensional one.
        mixture: the target :class:`~gantools.distributions.GaussianMixture`.
        n_std: the high-quality radius in standard deviations (3 in VEEGAN and PacGAN).
    """
    if not isinstance(mixture, GaussianMixture):
        raise ValueError(f"mixture must be a gantools GaussianMixture, got {type(mixture).__name__}")
    if not (np.isfinite(n_std) and n_std > 0):
        raise ValueError(f"n_std must be a positive number, got {n_std!r}")
    means = np.asarray(mixture.means, dtype=float)
    means = means[:, None] if means.ndim == 1 else means  # (K, d)
    k, d = means.shape
    x = np.asarray(samples, dtype=float)
    if x.ndim == 1 and d == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] != d:
        raise ValueError(f"samples must have shape (n, {d}) for this {d}-D mixture, got {np.shape(samples)}")
    if x.shape[0] == 0:
        raise ValueError("mode_coverage needs at least one sample")
    if not np.all(np.isfinite(x)):
        raise ValueError("samples contain NaN or infinite values (did training diverge?)")
    stds = np.broadcast_to(np.asarray(mixture.stds, dtype=float), (k,))
    # squared distances via |x|^2 - 2 x.m + |m|^2, in chunks to bound memory at (chunk, K)
    nearest = np.empty(x.shape[0], dtype=np.int64)
    dist = np.empty(x.shape[0])
    m2 = (means**2).sum(1)
    for s in range(0, x.shape[0], 65536):
        xs = x[s:s + 65536]
        d2 = (xs**2).sum(1)[:, None] - 2 * xs @ means.T + m2[None, :]  # (chunk, K)
        j = d2.argmin(1)
        nearest[s:s + 65536] = j
        dist[s:s + 65536] = np.sqrt(np.maximum(d2[np.arange(len(j)), j], 0.0))
    hq = dist <= n_std * stds[nearest]
    counts = np.bincount(nearest[hq], minlength=k)
    n_hq = int(hq.sum())
    if n_hq == 0:
        kl = float("inf")
    else:
        q = counts / n_hq
        w = np.asarray(mixture.weights, dtype=float)
        pos = q > 0
        kl = float(np.sum(q[pos] * np.log(q[pos] / w[pos])))
    return ModeCoverage(
        modes_captured=int((counts > 0).sum()), n_modes=k, hq_fraction=n_hq / x.shape[0],
        kl=kl, counts=counts, nearest=nearest, high_quality=hq,
    )
