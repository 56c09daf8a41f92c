"""Conditional GANs on a line: the theory of chapter 11, exact up to quadrature.

A conditional GAN plays min_G max_D V(D, G) with

    V(D, G) = E_{(x, y) ~ p_data}[log D(x, y)] + E_{y ~ p_g(y), z}[log(1 - D(G(z, y), y))],

a GAN on the *joint* distribution of (x, y) in which the generator is handed y. Everything
below follows from the unconditional results of chapters 2 and 3 applied to the joint:

- :func:`optimal_discriminator`: D*(x, y) = p_data(x, y) / (p_data(x, y) + p_g(x, y)); when
  p_g(y) = p_data(y) it equals p_data(x|y) / (p_data(x|y) + p_g(x|y)), chapter 2's D* class
  by class.
- :func:`value` and :func:`joint_jsd`: V(D*, G) = 2 JSD(p_data(x, y) || p_g(x, y)) - log 4, and
  with equal label distributions JSD(joint) = E_y JSD(p_data(.|y) || p_g(.|y))
  (:func:`expected_jsd`).
- :func:`posterior`, :func:`conditional_entropy`, :func:`bayes_accuracy`: p(y|x), H(y|x) and
  E max_y p(y|x), the quantities AC-GAN's bias changes (Shu et al. 2017; Gong et al. 2019).
- :func:`softmax_weights`: for Gaussian classes, log pi_y N(x; mu_y, s_y^2) = w_y . (1, x, x^2)
  up to a constant, so p(y|x) = softmax_y(w_y . phi(x)) and the optimal logit is the
  projection form v_y . phi(x) + psi(x) of Miyato & Koyama (2018).

A :class:`ClassConditional` is a joint distribution: a label prior and one 1D
:class:`~gantools.distributions.GaussianMixture` per class; :func:`tac_mixture` is the
overlapping three-class toy of Gong et al. (2019).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.special import logsumexp

from .. import theory
from ..distributions import GaussianMixture


class ClassConditional:
    """A joint distribution of (x, y): labels y in {0, ..., K-1} with probabilities
    ``prior`` (K,), and x | y ~ ``classes[y]``, a 1D GaussianMixture.

    ``sample(n, seed)`` returns ``(x (n,), y (n,))``; ``log_joint(x)`` is log p(x, y) for every
    class, shape (n, K); ``marginal`` is p(x) as one GaussianMixture.
    """

    def __init__(self, classes: Sequence[GaussianMixture], prior: Sequence[float] | None = None):
        classes = list(classes)
        if len(classes) < 2:
            raise ValueError(f"a class-conditional distribution needs at least 2 classes, got {len(classes)}")
        for k, c in enumerate(classes):
            if not isinstance(c, GaussianMixture) or not c.is_1d:
                raise ValueError(f"class {k} must be a 1D GaussianMixture, got {c!r}")
        prior = np.full(len(classes), 1 / len(classes)) if prior is None else np.asarray(prior, dtype=float)
        if prior.shape != (len(classes),) or np.any(prior <= 0) or abs(prior.sum() - 1) > 1e-9:
            raise ValueError(f"prior must be {len(classes)} positive probabilities summing to 1, got {prior.tolist()}")
        self.classes, self.prior = classes, prior

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def __repr__(self) -> str:
        return f"ClassConditional({self.classes!r}, prior={self.prior.tolist()})"

    @property
    def marginal(self) -> GaussianMixture:
        """p(x) = sum_y p(y) p(x|y), as one GaussianMixture."""
        return GaussianMixture(np.concatenate([c.means for c in self.classes]),
                               np.concatenate([c.stds for c in self.classes]),
                               np.concatenate([p * c.weights for p, c in zip(self.prior, self.classes, strict=True)]))

    def log_joint(self, x) -> np.ndarray:
        """log p(x, y) for every class: shape (n, K) for x of shape (n,)."""
        x = np.asarray(x, dtype=float).reshape(-1)
        return np.stack([np.log(p) + c.log_pdf(x) for p, c in zip(self.prior, self.classes, strict=True)], axis=1)

    def sample(self, n: int, seed: int | np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray]:
        """n pairs (x, y): labels from the prior, then x from its class."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        y = rng.choice(self.n_classes, size=n, p=self.prior)
        x = np.empty(n)
        for k, c in enumerate(self.classes):
            idx = np.flatnonzero(y == k)
            x[idx] = c.sample(len(idx), seed=rng)
        return x, y

    def with_prior(self, prior: Sequence[float]) -> ClassConditional:
        """The same class-conditionals under another label distribution."""
        return ClassConditional(self.classes, prior)


def tac_mixture() -> ClassConditional:
    """Gong et al.'s (2019) overlapping 1D toy: x|y ~ N(0, 1), N(3, 2^2), N(6, 3^2), p(y) = 1/3."""
    return ClassConditional([GaussianMixture([0.0], [1.0]), GaussianMixture([3.0], [2.0]),
                             GaussianMixture([6.0], [3.0])])


def _check_pair(p_data: ClassConditional, p_g: ClassConditional) -> None:
    if p_data.n_classes != p_g.n_classes:
        raise ValueError(f"p_data has {p_data.n_classes} classes and p_g {p_g.n_classes}")


def posterior(p: ClassConditional, x) -> np.ndarray:
    """p(y|x) for every class, shape (n, K): Bayes' rule in log space."""
    lj = p.log_joint(x)
    return np.exp(lj - logsumexp(lj, axis=1, keepdims=True))


def optimal_discriminator(p_data: ClassConditional, p_g: ClassConditional):
    """D*(x, y) = p_data(x, y) / (p_data(x, y) + p_g(x, y)) as a function ``D(x, y)`` of
    x (n,) and integer labels y (n,) (or one int), vectorised; ``D.logit(x, y)`` is the log
    joint density ratio. Built from chapter 2's 1D D* of the two joint densities of class y
    (the class-conditionals scaled by their label probabilities)."""
    _check_pair(p_data, p_g)
    per_class = []
    for pd_, pg_, cd, cg in zip(p_data.prior, p_g.prior, p_data.classes, p_g.classes, strict=True):
        # chapter 2's D* of two densities; the label probabilities add log(pd_/pg_) to the logit
        per_class.append((theory.optimal_discriminator(cd, cg), math.log(pd_ / pg_)))

    def logit(x, y) -> np.ndarray:
        x = np.asarray(x, dtype=float).reshape(-1)
        y = np.broadcast_to(np.asarray(y), x.shape)
        out = np.empty_like(x)
        for k, (d, shift) in enumerate(per_class):
            idx = y == k
            out[idx] = d.logit(x[idx]) + shift
        return out

    def D(x, y) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-logit(x, y)))

    D.logit = logit
    return D


def value(logit_d, p_data: ClassConditional, p_g: ClassConditional) -> float:
    """V(D, G) = sum_y [p_data(y) E_{p_data(x|y)} log D(x, y) + p_g(y) E_{p_g(x|y)} log(1 - D(x, y))]
    by quadrature, for a discriminator given by its logit ``logit_d(x, y)`` (stable logs)."""
    _check_pair(p_data, p_g)
    total = 0.0
    for k in range(p_data.n_classes):
        def log_d(x, k=k):
            return -np.logaddexp(0.0, -logit_d(x, np.full(x.shape, k)))

        def log_1md(x, k=k):
            return -np.logaddexp(0.0, logit_d(x, np.full(x.shape, k)))

        total += p_data.prior[k] * theory.expectation(log_d, p_data.classes[k])
        total += p_g.prior[k] * theory.expectation(log_1md, p_g.classes[k])
    return total


def joint_jsd(p_data: ClassConditional, p_g: ClassConditional) -> float:
    """JSD(p_data(x, y) || p_g(x, y)) in nats: the sum over classes of the two halves of
    KL(. || m) on the joint densities p(y) p(x|y)."""
    _check_pair(p_data, p_g)
    total = 0.0
    for a, b, ca, cb in zip(p_data.prior, p_g.prior, p_data.classes, p_g.classes, strict=True):
        def half(x, own=(a, ca), other=(b, cb)):
            lo, lt = math.log(own[0]) + own[1].log_pdf(x), math.log(other[0]) + other[1].log_pdf(x)
            return 0.5 * (lo - (np.logaddexp(lo, lt) - math.log(2.0)))

        total += a * theory.expectation(half, ca)
        total += b * theory.expectation(lambda x, own=(b, cb), other=(a, ca): half(x, own, other), cb)
    return total


def expected_jsd(p_data: ClassConditional, p_g: ClassConditional) -> float:
    """E_{y ~ p_data(y)} JSD(p_data(.|y) || p_g(.|y)), chapter 3's JSD class by class."""
    _check_pair(p_data, p_g)
    return float(sum(p * theory.js_divergence(a, b)
                     for p, a, b in zip(p_data.prior, p_data.classes, p_g.classes, strict=True)))


def conditional_entropy(p: ClassConditional) -> float:
    """H(y|x) = E_x[-sum_y p(y|x) log p(y|x)] in nats, by quadrature over p(x)."""
    def h(x):
        post = posterior(p, x)
        return -np.sum(np.where(post > 0, post * np.log(np.where(post > 0, post, 1.0)), 0.0), axis=1)

    return theory.expectation(h, p.marginal)


def bayes_accuracy(p: ClassConditional) -> float:
    """E_x max_y p(y|x): the accuracy of the best classifier of (x, y) ~ p."""
    return theory.expectation(lambda x: posterior(p, x).max(axis=1), p.marginal)


def softmax_weights(p: ClassConditional) -> np.ndarray:
    """For single-Gaussian classes, w (K, 3) with log p(y) N(x; mu_y, s_y^2) = w_y . (1, x, x^2)
    - log sqrt(2 pi): so p(y|x) = softmax_y(w_y . phi(x)) with phi(x) = (1, x, x^2)."""
    rows = []
    for prior, c in zip(p.prior, p.classes, strict=True):
        if len(c.means) != 1:
            raise ValueError("softmax_weights needs one Gaussian per class")
        mu, s = float(c.means[0]), float(c.stds[0])
        rows.append([math.log(prior) - math.log(s) - mu**2 / (2 * s**2), mu / s**2, -1 / (2 * s**2)])
    return np.array(rows)


def features(x) -> np.ndarray:
    """phi(x) = (1, x, x^2), shape (n, 3): the feature map under which Gaussian class
    posteriors are softmax-linear."""
    x = np.asarray(x, dtype=float).reshape(-1)
    return np.stack([np.ones_like(x), x, x**2], axis=1)


def projection_fit(logits, phi) -> tuple[np.ndarray, np.ndarray, float]:
    """The best projection form for logits ``(n, K)`` on features ``phi (n, F)``:
    logits[i, y] ~ v_y . phi_i + psi_i, psi free at every point. Centring over the classes
    removes psi; least squares gives v (K, F) with sum_y v_y = 0. Returns
    (v, psi (n,), rms residual): the residual is 0 exactly when the class-centred logits
    lie in the span of phi (log-linear posteriors), whatever psi is."""
    logits, phi = np.asarray(logits, dtype=float), np.asarray(phi, dtype=float)
    if logits.ndim != 2 or phi.ndim != 2 or logits.shape[0] != phi.shape[0]:
        raise ValueError(f"logits must be (n, K) and phi (n, F) with the same n, got {logits.shape} and {phi.shape}")
    centred = logits - logits.mean(1, keepdims=True)
    v = np.linalg.lstsq(phi, centred, rcond=None)[0].T  # (K, F)
    resid = centred - phi @ v.T
    return v, logits.mean(1), float(np.sqrt(np.mean(resid**2)))
