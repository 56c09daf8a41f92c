"""How good is a generator? Metrics computed from samples, in plain NumPy.

- :func:`mode_coverage`: the mode-collapse metrics of VEEGAN (Srivastava et al. 2017) and
  PacGAN (Lin et al. 2018) on a Gaussian-mixture target: modes captured, fraction of
  high-quality samples, and the KL divergence of the mode histogram.
- :func:`frechet_distance` and :func:`fid_from_features`: the Fréchet distance between
  Gaussians fitted to two feature sets (FID, Heusel et al. 2017, with pytorch-fid's guards).
- :func:`inception_score`: exp E_x KL(p(y|x) || p(y)) from class probabilities
  (Salimans et al. 2016).
- :func:`precision_recall`: k-NN precision and recall of feature sets (Kynkäänniemi et al. 2019).
- :func:`class_coverage`: classes captured and the KL to uniform of a predicted-class
  histogram, the image analogue of :func:`mode_coverage`.

The feature extractors (a small digits CNN, Inception) live in :mod:`gantools.classifier`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg

from .checks import finite_array
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


# ---------------------------------------------------------------------------------------
# Image metrics on features: FID, Inception Score, precision/recall, class coverage
# ---------------------------------------------------------------------------------------



def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    r"""Fréchet (2-Wasserstein) distance² between N(mu1, sigma1) and N(mu2, sigma2).

    .. math:: d^2 = \|\mu_1 - \mu_2\|^2 + \operatorname{Tr}\big(\Sigma_1 + \Sigma_2
              - 2 (\Sigma_1 \Sigma_2)^{1/2}\big)

    On Inception features this is the FID of Heusel et al. (2017), "GANs trained by a two
    time-scale update rule converge to a local Nash equilibrium". The guards follow
    pytorch-fid's ``calculate_frechet_distance``: the matrix square root is
    ``scipy.linalg.sqrtm``; if it is not finite (a singular product), it is recomputed with
    ``eps * I`` added to both covariances; a complex result from rounding is replaced by
    its real part, unless the diagonal's imaginary part exceeds 1e-3 (then ValueError).

    Args:
        mu1, mu2: means, shape (d,).
        sigma1, sigma2: covariances, shape (d, d).
        eps: the diagonal offset of the retry.

    Returns:
        d², in squared feature units (a float >= 0 up to rounding).
    """
    mu1, mu2 = finite_array(mu1, "mu1", 1), finite_array(mu2, "mu2", 1)
    sigma1, sigma2 = finite_array(sigma1, "sigma1", 2), finite_array(sigma2, "sigma2", 2)
    d = mu1.shape[0]
    if mu2.shape != (d,):
        raise ValueError(f"mu1 and mu2 have different lengths: {d} and {mu2.shape[0]}")
    for name, s in (("sigma1", sigma1), ("sigma2", sigma2)):
        if s.shape != (d, d):
            raise ValueError(f"{name} must have shape ({d}, {d}) to match the means, got {s.shape}")
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a positive number, got {eps!r}")

    diff = mu1 - mu2
    with warnings.catch_warnings():  # sqrtm warns on singular input; the guards below handle it
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(sigma1 @ sigma2)
        if not np.all(np.isfinite(covmean)):
            warnings.warn(f"frechet_distance: (sigma1 sigma2)^(1/2) is not finite (singular product); "
                          f"adding {eps} to the diagonal of both covariances", RuntimeWarning, stacklevel=2)
            offset = np.eye(d) * eps
            covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            m = np.max(np.abs(np.diagonal(covmean).imag))
            raise ValueError(f"(sigma1 sigma2)^(1/2) has a diagonal imaginary part up to {m:.3g}; "
                             "are the covariances symmetric positive semi-definite?")
        covmean = covmean.real
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def fid_from_features(f1, f2) -> float:
    """:func:`frechet_distance` between Gaussians fitted to two feature sets.

    Means and unbiased covariances (``np.cov(rowvar=False)``, divisor n - 1) are computed
    in float64.

    Args:
        f1: features (n1, d) of one image set (e.g. real), n1 >= 2.
        f2: features (n2, d) of the other (e.g. generated), n2 >= 2.
    """
    f1, f2 = finite_array(f1, "f1", 2), finite_array(f2, "f2", 2)
    if f1.shape[1] != f2.shape[1]:
        raise ValueError(f"feature dimensions differ: f1 has d={f1.shape[1]}, f2 has d={f2.shape[1]}")
    for name, f in (("f1", f1), ("f2", f2)):
        if f.shape[0] < 2:
            raise ValueError(f"{name} needs at least 2 rows to estimate a covariance, got {f.shape[0]}")
    s1 = np.atleast_2d(np.cov(f1, rowvar=False))
    s2 = np.atleast_2d(np.cov(f2, rowvar=False))
    return frechet_distance(f1.mean(0), s1, f2.mean(0), s2)


def inception_score(probs, splits: int = 1) -> tuple[float, float]:
    r"""Inception Score (Salimans et al. 2016) from class probabilities.

    .. math:: \mathrm{IS} = \exp\big(\mathbb{E}_x\, \mathrm{KL}(p(y|x) \,\|\, p(y))\big),
              \quad p(y) = \mathbb{E}_x\, p(y|x)

    computed on each of ``splits`` consecutive, near-equal parts of the rows, with p(y)
    the mean of that part (as in the original code); 0 log 0 = 0. It ranges from 1 (every
    image gets the same prediction) to K (confident predictions spread evenly over K classes).

    Args:
        probs: (n, K) class probabilities, non-negative rows summing to 1 (within 1e-3).
        splits: number of parts, 1 <= splits <= n.

    Returns:
        (mean, std) of the score over the splits (std is 0 for one split).
    """
    p = finite_array(probs, "probs", 2)
    n = p.shape[0]
    if n == 0:
        raise ValueError("inception_score needs at least one row of probabilities")
    if np.any(p < 0):
        raise ValueError(f"probs must be non-negative, got a minimum of {p.min():.3g}")
    sums = p.sum(1)
    bad = np.abs(sums - 1) > 1e-3
    if np.any(bad):
        raise ValueError(f"each row of probs must sum to 1 (pass softmax outputs, not logits); "
                         f"row {int(np.argmax(bad))} sums to {sums[np.argmax(bad)]:.4g}")
    if not (isinstance(splits, (int, np.integer)) and 1 <= splits <= n):
        raise ValueError(f"splits must be an integer in [1, {n}], got {splits!r}")
    scores = []
    for i in range(splits):
        part = p[i * n // splits:(i + 1) * n // splits]  # (m, K)
        py = part.mean(0, keepdims=True)  # (1, K)
        logratio = np.log(np.where(part > 0, part, 1.0)) - np.log(np.where(part > 0, py, 1.0))
        kl = (part * logratio).sum(1)  # (m,), KL(p(y|x) || p(y)) per image
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def squared_distances(a: np.ndarray, a2: np.ndarray, b: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """(m, n) squared distances |a_i|² - 2 a_i.b_j + |b_j|² of rows a (m, d), b (n, d), in place."""
    d2 = a @ b.T
    d2 *= -2
    d2 += a2[:, None]
    d2 += b2[None, :]
    return d2


def _kth_neighbour_radii(x: np.ndarray, k: int, chunk: int) -> np.ndarray:
    """(n,) distance from each row of ``x`` (n, d) to its k-th nearest other row."""
    x2 = (x**2).sum(1)
    radii = np.empty(x.shape[0])
    for s in range(0, x.shape[0], chunk):
        xs = x[s:s + chunk]
        d2 = squared_distances(xs, x2[s:s + chunk], x, x2)  # (chunk, n)
        d2[np.arange(len(xs)), np.arange(s, s + len(xs))] = 0.0  # the point itself, exactly
        d2.partition(k, axis=1)  # in place; position k of a row whose position 0 is the point itself
        radii[s:s + chunk] = np.sqrt(np.maximum(d2[:, k], 0.0))
    return radii


def _fraction_covered(points: np.ndarray, centres: np.ndarray, radii: np.ndarray, chunk: int) -> float:
    """Fraction of ``points`` inside at least one ball (centres[i], radii[i]), boundary included."""
    c2, r2 = (centres**2).sum(1), radii**2
    inside = 0
    for s in range(0, points.shape[0], chunk):
        ps = points[s:s + chunk]
        p2 = (ps**2).sum(1)
        d2 = squared_distances(ps, p2, centres, c2)  # (chunk, n_centres)
        # |a|² - 2a.b + |b|² loses ~1e-16 (|a|² + |b|²) to rounding: without a matching
        # tolerance a duplicated point can fall outside its own zero-radius ball
        tol = 1e-12 * (p2[:, None] + c2[None, :])
        inside += int(np.any(d2 <= r2[None, :] + tol, axis=1).sum())
    return inside / points.shape[0]


def precision_recall(real_features, fake_features, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall of Kynkäänniemi et al. (2019).

    The real manifold is the union of balls B(r_i, ρ_i) around each real feature vector,
    with ρ_i the distance from r_i to its k-th nearest *other* real vector; likewise the
    fake manifold. Then

    - precision = fraction of fake vectors inside the real manifold (are samples realistic?),
    - recall = fraction of real vectors inside the fake manifold (is the data covered?).

    Distances are Euclidean, computed in float64 in chunks of rows so that memory stays
    at about 100 MB whatever the sizes (10,000 × 10,000 in 128-D: ~10 s on one core).

    Args:
        real_features: (n_real, d), n_real > k.
        fake_features: (n_fake, d), n_fake > k.
        k: the neighbourhood size (3 in the paper).

    Returns:
        (precision, recall), each in [0, 1].
    """
    real = finite_array(real_features, "real_features", 2)
    fake = finite_array(fake_features, "fake_features", 2)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"feature dimensions differ: real has d={real.shape[1]}, fake has d={fake.shape[1]}")
    if not (isinstance(k, (int, np.integer)) and k >= 1):
        raise ValueError(f"k must be a positive integer, got {k!r}")
    for name, f in (("real_features", real), ("fake_features", fake)):
        if f.shape[0] <= k:
            raise ValueError(f"{name} needs more than k={k} rows for k-th neighbour radii, got {f.shape[0]}")
    chunk = max(1, 2**22 // max(real.shape[0], fake.shape[0]))  # (chunk, n) float64 blocks of <= 32 MB
    real_radii = _kth_neighbour_radii(real, k, chunk)
    fake_radii = _kth_neighbour_radii(fake, k, chunk)
    precision = _fraction_covered(fake, real, real_radii, chunk)
    recall = _fraction_covered(real, fake, fake_radii, chunk)
    return precision, recall


@dataclass(frozen=True)
class ClassCoverage:
    """The result of :func:`class_coverage`: how evenly generated images spread over classes."""

    counts: np.ndarray  # (n_classes,) images predicted as each class
    classes_captured: int  # classes predicted for >= 1 image
    n_classes: int  # K
    kl_to_uniform: float  # KL(q || uniform) = sum_k q_k log(K q_k) of the histogram q (nats; 0 to log K)
    tv_to_uniform: float  # total variation (1/2) sum_k |q_k - 1/K| (0 to 1 - 1/K): mass in the wrong classes

    def __repr__(self) -> str:
        return (f"ClassCoverage(classes_captured={self.classes_captured}/{self.n_classes}, "
                f"kl_to_uniform={self.kl_to_uniform:.4f}, tv_to_uniform={self.tv_to_uniform:.4f})")


def class_coverage(labels_or_probs, n_classes: int) -> ClassCoverage:
    """Classes captured and KL to uniform of the predicted-class histogram of generated images.

    With a classifier standing in for the mixture's nearest-mode rule, this is
    :func:`mode_coverage` for image datasets whose classes are balanced (as in the
    stacked-MNIST experiments of VEEGAN and PacGAN).

    Args:
        labels_or_probs: predicted labels (n,) as integers in [0, n_classes), or class
            probabilities (n, n_classes) whose argmax is taken.
        n_classes: K, the number of classes.
    """
    if not (isinstance(n_classes, (int, np.integer)) and n_classes >= 1):
        raise ValueError(f"n_classes must be a positive integer, got {n_classes!r}")
    a = np.asarray(labels_or_probs)
    if a.ndim == 2:
        if a.shape[1] != n_classes:
            raise ValueError(f"probabilities have {a.shape[1]} columns but n_classes={n_classes}")
        a = finite_array(a, "labels_or_probs", 2)
        labels = a.argmax(1) if a.shape[0] else np.zeros(0, dtype=np.int64)
    elif a.ndim == 1:
        if a.size and not (np.issubdtype(a.dtype, np.integer) or np.all(np.isfinite(a) & (a == np.round(a)))):
            raise ValueError("labels must be integers (or pass probabilities of shape (n, n_classes))")
        labels = a.astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
            raise ValueError(f"labels must lie in [0, {n_classes}), got values from {labels.min()} to {labels.max()}")
    else:
        raise ValueError(f"labels_or_probs must have shape (n,) or (n, {n_classes}), got {a.shape}")
    if labels.size == 0:
        raise ValueError("class_coverage needs at least one prediction")
    counts = np.bincount(labels, minlength=n_classes)
    q = counts / labels.size
    pos = q > 0
    kl = float(np.sum(q[pos] * np.log(q[pos] * n_classes)))
    return ClassCoverage(counts=counts, classes_captured=int(pos.sum()), n_classes=int(n_classes),
                         kl_to_uniform=kl, tv_to_uniform=float(0.5 * np.abs(q - 1 / n_classes).sum()))
