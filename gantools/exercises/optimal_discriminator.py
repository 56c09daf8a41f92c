"""Checks for the exercises of chapter 2, "The optimal discriminator".

Every check calls the student's function on test distributions from
:mod:`gantools.distributions` and compares with the exact answer from
:mod:`gantools.theory`; a plausible wrong answer gets a targeted hint.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit

from ..distributions import GaussianMixture, Uniform
from ..theory import kl_divergence, optimal_discriminator
from .common import Result, report, to_array
from .common import run_answer as _run

__all__ = [
    "check_pointwise_maximiser",
    "check_weighted_discriminator",
    "check_generator_from_discriminator",
    "check_kl_from_logit",
]

_GRID = np.linspace(-4.0, 4.0, 41)
_PRIORS = (0.1, 0.25, 0.5, 0.75, 0.9)


def _pairs(with_uniform: bool = True) -> list[tuple[str, object, object]]:
    """(name, p_data, p_g) test pairs: shifted and bimodal Gaussians, and (optionally) a
    uniform against a Gaussian, whose densities vanish on part of the grid."""
    pairs = [
        ("N(0, 1) vs N(1, 1)", GaussianMixture([0.0], 1.0), GaussianMixture([1.0], 1.0)),
        (
            "two modes vs one wide Gaussian",
            GaussianMixture([-2.0, 2.0], 0.5),
            GaussianMixture([0.0], 1.5),
        ),
        (
            "unequal mixtures",
            GaussianMixture([-1.0, 1.5], [0.6, 0.4], [0.7, 0.3]),
            GaussianMixture([-0.5, 2.5], [0.8, 0.5]),
        ),
    ]
    if with_uniform:
        pairs.append(("U(-1, 2) vs N(0, 1)", Uniform(-1.0, 2.0), GaussianMixture([0.0], 1.0)))
    return pairs


def _as_array(value, shape: tuple[int, ...]) -> tuple[np.ndarray | None, str | None]:
    """The student's output as a float array of ``shape``, or an error message."""
    out = to_array(value)
    if out is None:
        return None, f"your function returned {type(value).__name__}, not numbers"
    if out.shape != shape:
        return None, f"your function returned shape {out.shape}; expected {shape}, one value per x"
    return out, None


def check_pointwise_maximiser(pointwise_maximiser, quiet: bool = False) -> Result:
    """Exercise 2.1: ``pointwise_maximiser(a, b)`` is the y in (0, 1) that maximises
    f(y) = a log y + b log(1 - y) for a, b > 0.

    Called with a = p_data(x), b = p_g(x) (floats) at points x of the test pairs; the
    answer must equal D*(x) from :func:`gantools.theory.optimal_discriminator` within 1e-4
    (loose enough for a numerical maximiser).
    """
    ok = "the maximiser is y* = a / (a + b): at every x, D*(x) = p_data(x) / (p_data(x) + p_g(x))."
    tol = 1e-4
    for pair, p_data, p_g in _pairs(with_uniform=False):
        d_star = optimal_discriminator(p_data, p_g)
        for x in _GRID[::4]:
            a, b = float(p_data.pdf(x)), float(p_g.pdf(x))
            y, err = _run(pointwise_maximiser, "pointwise_maximiser", a, b)
            if err:
                return report(False, ok, err, quiet)
            try:
                y = float(y)
            except (TypeError, ValueError):
                return report(False, ok, f"pointwise_maximiser({a:.3g}, {b:.3g}) returned {y!r}, not a number", quiet)
            expected = float(d_star(x))
            if abs(y - expected) <= tol:
                continue
            if abs(y - b / (a + b)) <= tol:
                hint = (f"for a = {a:.3g}, b = {b:.3g} you returned b/(a+b) = {y:.4g}: that is where "
                        "b log y + a log(1 - y) peaks. Set f'(y) = a/y - b/(1-y) to zero and solve for y.")
            else:
                hint = (f"for a = {a:.3g}, b = {b:.3g} (densities of {pair} at x = {x:g}) you returned "
                        f"{y:.6g}, but f peaks at {expected:.6g}. Set f'(y) = a/y - b/(1-y) to zero.")
            return report(False, ok, hint, quiet)
    return report(True, ok, "", quiet)


def check_weighted_discriminator(weighted_optimal_discriminator, quiet: bool = False) -> Result:
    """Exercise 2.2: ``weighted_optimal_discriminator(p_data, p_g, prior)`` takes arrays of
    density values p_data(x), p_g(x) and the prior probability pi of a real sample, and
    returns the Bayes-optimal D*_pi(x) = pi p_data / (pi p_data + (1 - pi) p_g).

    The reference is computed from :func:`gantools.theory.optimal_discriminator` in logit
    space: logit D*_pi = log(p_data / p_g) + log(pi / (1 - pi)). Checked at every x where
    p_data + p_g > 0, for several pairs and priors.
    """
    ok = "D*_pi = pi p_data / (pi p_data + (1 - pi) p_g): the prior odds shift the logit by log(pi / (1 - pi))."
    tol = 1e-6
    for pair, p_data, p_g in _pairs():
        a, b = p_data.pdf(_GRID), p_g.pdf(_GRID)
        x = _GRID[(a + b) > 0]
        a, b = p_data.pdf(x), p_g.pdf(x)
        logit = optimal_discriminator(p_data, p_g).logit(x)
        for prior in _PRIORS:
            out, err = _run(weighted_optimal_discriminator, "weighted_optimal_discriminator", a, b, prior)
            if err:
                return report(False, ok, err, quiet)
            out, err = _as_array(out, x.shape)
            if err:
                return report(False, ok, err, quiet)
            with np.errstate(invalid="ignore"):
                expected = expit(logit + math.log(prior / (1 - prior)))
            if np.all(np.abs(out - expected) <= tol):
                continue
            if np.all(np.abs(out - expit(logit)) <= tol):
                hint = (f"with prior = {prior} you returned the unweighted D* = p_data / (p_data + p_g): "
                        "the prior is ignored. Redo the pointwise maximisation of "
                        "pi p_data log D + (1 - pi) p_g log(1 - D).")
            elif np.all(np.abs(out - expit(logit - math.log(prior / (1 - prior)))) <= tol):
                hint = (f"with prior = {prior} you weighted p_data by 1 - pi and p_g by pi: pi is the "
                        "probability of drawing a *real* sample, so it multiplies p_data.")
            else:
                i = int(np.argmax(np.abs(out - expected)))
                hint = (f"for {pair}, prior = {prior}, x = {x[i]:g}: you returned {out[i]:.6g}, expected "
                        f"{expected[i]:.6g}. Bayes' rule: P(real | x) = pi p_data(x) / p(x).")
            return report(False, ok, hint, quiet)
    return report(True, ok, "", quiet)


def check_generator_from_discriminator(generator_density, quiet: bool = False) -> Result:
    """Exercise 2.3: ``generator_density(p_data, d_star)`` takes arrays of p_data(x) and
    D*(x) and returns p_g(x) (= p_data (1 - D*) / D*).

    Checked against p_g.pdf(x) of the test pairs, at the x where 1e-6 < D*(x) < 1 - 1e-6
    (elsewhere the inversion loses all precision), to a relative tolerance of 1e-6.
    """
    ok = "p_g = p_data (1 - D*) / D*: the odds D*/(1 - D*) are the density ratio p_data / p_g."
    for pair, p_data, p_g in _pairs():
        d_all = optimal_discriminator(p_data, p_g)(_GRID)
        x = _GRID[(d_all > 1e-6) & (d_all < 1 - 1e-6)]
        a, d, expected = p_data.pdf(x), optimal_discriminator(p_data, p_g)(x), p_g.pdf(x)
        out, err = _run(generator_density, "generator_density", a, d)
        if err:
            return report(False, ok, err, quiet)
        out, err = _as_array(out, x.shape)
        if err:
            return report(False, ok, err, quiet)
        if np.allclose(out, expected, rtol=1e-6, atol=1e-12):
            continue
        if np.allclose(out, a * d / (1 - d), rtol=1e-6, atol=1e-12):
            hint = ("you returned p_data D*/(1 - D*) = p_data^2 / p_g: the odds are upside down. "
                    "Solve D* = p_data / (p_data + p_g) for p_g.")
        elif np.allclose(out, a * (1 - d), rtol=1e-6, atol=1e-12):
            hint = "you returned p_data (1 - D*): divide by D* as well (solve D* (p_data + p_g) = p_data for p_g)."
        else:
            i = int(np.argmax(np.abs(out - expected) / (np.abs(expected) + 1e-12)))
            hint = (f"for {pair} at x = {x[i]:g}: you returned {out[i]:.6g}, but p_g(x) = {expected[i]:.6g}. "
                    "Solve D* = p_data / (p_data + p_g) for p_g.")
        return report(False, ok, hint, quiet)
    return report(True, ok, "", quiet)


def check_kl_from_logit(kl_from_logit, quiet: bool = False, n: int = 200_000) -> Result:
    """Exercise 2.4: ``kl_from_logit(logit, x_data)`` takes a vectorised function ``logit``
    (the logit of D*, i.e. log p_data/p_g) and samples ``x_data`` of p_data (shape (n,)),
    and returns a Monte Carlo estimate of KL(p_data || p_g) in nats.

    Compared with :func:`gantools.theory.kl_divergence` (quadrature) on Gaussian test pairs,
    to 5 standard errors of the sample mean plus 1e-3.
    """
    ok = "KL(p_data || p_g) = E_{p_data}[log p_data / p_g] = E_{p_data}[logit D*(x)]: average the logit over real samples."
    for k, (pair, p_data, p_g) in enumerate(_pairs(with_uniform=False)):
        logit = optimal_discriminator(p_data, p_g).logit
        x = p_data.sample(n, seed=1000 + k)
        values = logit(x)
        kl = kl_divergence(p_data, p_g)
        tol = 5 * values.std() / math.sqrt(n) + 1e-3
        out, err = _run(kl_from_logit, "kl_from_logit", logit, x.copy())
        if err:
            return report(False, ok, err, quiet)
        try:
            out = float(out)
        except (TypeError, ValueError):
            return report(False, ok, f"kl_from_logit returned {out!r}, not a number", quiet)
        if math.isfinite(out) and abs(out - kl) <= tol:
            continue
        if abs(out + kl) <= tol:
            hint = "you returned -KL: the logit is log p_data - log p_g, and KL(p_data || p_g) averages it, not its negative."
        elif abs(out - math.log(np.mean(np.exp(values)))) <= tol:
            hint = ("you returned log E[p_data/p_g], which is a Renyi divergence of order 2, not KL: "
                    "KL averages the log ratio, and the log of an average is not the average of a log.")
        elif abs(out - float(np.mean(expit(values)))) <= tol:
            hint = "you averaged D* = sigmoid(logit); KL averages the logit itself."
        else:
            hint = (f"for {pair}: you returned {out:.4g}, but KL(p_data || p_g) = {kl:.4g}. "
                    "Write KL as an expectation under p_data and use the logit of D*.")
        return report(False, ok, hint, quiet)
    return report(True, ok, "", quiet)
