"""Checks for chapter 12, Training tricks, measured.

- :func:`check_smoothed_d_star`: a student's ``smoothed_d_star(pd, pg, alpha, beta)``, the
  optimal discriminator under label smoothing, on arrays of density values.
- :func:`check_ema_shrink`: a student's ``ema_shrink(eta, gamma)``, how much an exponential
  moving average shrinks the cycle of alternating gradient steps on the bilinear game u v.
- :func:`check_noisy_jsd`: a student's ``noisy_jsd(theta, s, sigma)``, the JSD between
  N(0, s^2) and N(theta, s^2) when both are seen through instance noise N(0, sigma^2).
"""

from __future__ import annotations

import math

import numpy as np

from ..distributions import GaussianMixture
from ..theory import js_divergence
from .common import Result, report, to_array, to_float
from .common import run_answer as _run

__all__ = ["check_smoothed_d_star", "check_ema_shrink", "check_noisy_jsd"]


# -- 12.1 ----------------------------------------------------------------------------------------
D_STAR_REFERENCES = ("gantools.tricks.theory.smoothed_optimal_discriminator",
                     "gantools.tricks.theory.pointwise_minimiser")


def _d_star_cases() -> list[tuple[str, np.ndarray, np.ndarray, float, float]]:
    rng = np.random.default_rng(1212)
    pd, pg = rng.gamma(1.0, 1.0, 40), rng.gamma(1.0, 1.0, 40)
    pd[:5] = 0.0  # generated points where the data has no mass
    pg[5:9] = 0.0  # data where the generator has none
    return [("no smoothing", pd, pg, 1.0, 0.0), ("one-sided, alpha = 0.9", pd, pg, 0.9, 0.0),
            ("two-sided, alpha = 0.9, beta = 0.1", pd, pg, 0.9, 0.1), ("alpha = 0.7, beta = 0.2", pd, pg, 0.7, 0.2)]


def _wrong_d_star(pd, pg, a, b) -> dict[str, np.ndarray]:
    s = pd + pg
    return {"the fake target beta belongs in the numerator too: the loss on generated points is "
            "-[beta log D + (1 - beta) log(1 - D)]": a * pd / s,
            "alpha goes with the data's density and beta with the generator's": (b * pd + a * pg) / s,
            "beta multiplies p_g / (p_data + p_g) = 1 - D*, not 1: the smoothed optimum is "
            "beta + (alpha - beta) D*, which is (alpha p_data + beta p_g) / (p_data + p_g)":
                a * pd / s + b,
            "the denominator is p_data + p_g (the weights of the two losses), not alpha p_data + (1 - beta) p_g":
                a * pd / (a * pd + (1 - b) * pg)}


def check_smoothed_d_star(smoothed_d_star, quiet: bool = False) -> Result:
    """Exercise 12.1: ``smoothed_d_star(pd, pg, alpha, beta)`` returns the D in (0, 1) that
    minimises -(pd [alpha log D + (1 - alpha) log(1 - D)] + pg [beta log D + (1 - beta) log(1 - D)])
    elementwise, for arrays of density values (never both 0). May not call gantools'
    ``smoothed_optimal_discriminator`` or ``pointwise_minimiser``."""
    for name, pd, pg, a, b in _d_star_cases():
        value, err = _run(smoothed_d_star, "smoothed_d_star", pd.copy(), pg.copy(), a, b, forbid=D_STAR_REFERENCES)
        if err:
            return report(False, "", f"On '{name}': {err}", quiet)
        got = to_array(value)
        if got is None or got.shape != pd.shape:
            shape = None if got is None else got.shape
            return report(False, "", f"On '{name}': return an array of {pd.shape[0]} numbers, one per point; got "
                                     f"{type(value).__name__} of shape {shape}.", quiet)
        expected = (a * pd + b * pg) / (pd + pg)
        if np.all(np.isfinite(got)) and np.max(np.abs(got - expected)) < 1e-9:
            continue
        for why, wrong in _wrong_d_star(pd, pg, a, b).items():
            if np.all(np.isfinite(got)) and np.max(np.abs(got - wrong)) < 1e-9:
                return report(False, "", f"On '{name}': {why}.", quiet)
        worst = float(np.nanmax(np.abs(got - expected))) if np.any(np.isfinite(got)) else float("nan")
        return report(False, "", f"On '{name}' your D differs from the minimiser by up to {worst:.3g}. Differentiate "
                                 "the loss in D and set the derivative to zero; check the points where p_data = 0 "
                                 "(D* must be beta there) and where p_g = 0 (alpha).", quiet)
    return report(True, "D* = (alpha p_data + beta p_g) / (p_data + p_g): alpha where only the data has mass, beta "
                  "where only the generator has: with beta > 0 a generated point far from the data sits on a flat "
                  "D* = beta and gets no push towards the data.", "", quiet)


# -- 12.2 ----------------------------------------------------------------------------------------
EMA_REFERENCES = ("gantools.tricks.theory.ema_radius_ratio", "gantools.tricks.theory.ema_iterates",
                  "gantools.tricks.theory.eigen_radius")
_EMA_CASES = ((0.1, 0.999), (0.1, 0.99), (0.5, 0.9), (1.0, 0.95), (0.3, 0.0))


def _shrink(eta: float, gamma: float) -> float:
    theta = math.acos(1 - eta**2 / 2)
    return (1 - gamma) / math.sqrt(1 - 2 * gamma * math.cos(theta) + gamma**2)


def check_ema_shrink(ema_shrink, quiet: bool = False) -> Result:
    """Exercise 12.2: ``ema_shrink(eta, gamma)`` returns lim |e_t| / |z_t| for the EMA
    e_t = gamma e_{t-1} + (1 - gamma) z_t of alternating GDA's iterates on u v with step eta
    (measured in the eigen-coordinates, where |z_t| is constant): (1 - gamma) / |e^{i theta} - gamma|
    with cos theta = 1 - eta^2 / 2. Relative tolerance 1e-3 (a long simulation passes); may not
    call gantools' closed forms."""
    for eta, gamma in _EMA_CASES:
        value, err = _run(ema_shrink, "ema_shrink", eta, gamma, forbid=EMA_REFERENCES)
        if err:
            return report(False, "", f"For eta = {eta}, gamma = {gamma}: {err}", quiet)
        got, expected = to_float(value), _shrink(eta, gamma)
        if got is not None and math.isfinite(got) and abs(got - expected) <= 1e-3 * expected:
            continue
        theta = math.acos(1 - eta**2 / 2)
        wrong = ((0.0, "the EMA does not converge to the equilibrium: it keeps cycling, on a smaller orbit"),
                 (1.0, "the EMA is smaller than the iterates: it averages points spread around the cycle"),
                 ((1 - gamma) / (1 - gamma * math.cos(theta)), "use the modulus |e^{i theta} - gamma| = "
                  "sqrt(1 - 2 gamma cos theta + gamma^2), not its real part"),
                 (_shrink(math.sqrt(2) * eta, gamma), "alternating GDA rotates by theta with cos theta = 1 - eta^2/2 "
                  "(chapter 5); theta = eta sqrt(2) is a different game"))
        for w, why in wrong:
            if got is not None and abs(got - w) <= 1e-3 * max(abs(w), 1e-12):
                return report(False, "", f"For eta = {eta}, gamma = {gamma}: {why}.", quiet)
        return report(False, "", f"For eta = {eta}, gamma = {gamma} you returned {value!r}, expected "
                                 f"{expected:.6g}. Write z_t along an eigenvector as lambda^t, sum the geometric "
                                 "series of the EMA, and let t grow.", quiet)
    return report(True, "The EMA's orbit is the iterates' orbit times (1 - gamma) / |e^{i theta} - gamma|: about "
                  "(1 - gamma) / theta when gamma is close to 1. It shrinks the cycle; only a decay that grows "
                  "towards 1 (or the uniform average) converges to the equilibrium.", "", quiet)


# -- 12.3 ----------------------------------------------------------------------------------------
JSD_REFERENCES = ("gantools.theory.js_divergence", "gantools.tricks.theory.convolve",
                  "gantools.theory.kl_divergence")
_JSD_CASES = ((1.0, 0.01, 0.5), (0.3, 0.05, 0.1), (2.0, 0.1, 1.0), (0.5, 0.2, 0.0))


def _noisy(theta: float, s: float, sigma: float) -> GaussianMixture:
    return GaussianMixture([theta], [math.sqrt(s**2 + sigma**2)])


def check_noisy_jsd(noisy_jsd, quiet: bool = False) -> Result:
    """Exercise 12.3: ``noisy_jsd(theta, s, sigma)`` returns JSD(N(0, s^2) * N(0, sigma^2) ||
    N(theta, s^2) * N(0, sigma^2)) in nats, to 1e-6. May not call gantools' ``js_divergence``,
    ``kl_divergence`` or ``convolve``."""
    for theta, s, sigma in _JSD_CASES:
        value, err = _run(noisy_jsd, "noisy_jsd", theta, s, sigma, forbid=JSD_REFERENCES)
        case = f"theta = {theta}, s = {s}, sigma = {sigma}"
        if err:
            return report(False, "", f"For {case}: {err}", quiet)
        got = to_float(value)
        expected = js_divergence(_noisy(0.0, s, sigma), _noisy(theta, s, sigma))
        if got is not None and math.isfinite(got) and abs(got - expected) <= 1e-6:
            continue
        wrong = ((expected / math.log(2), "that is the JSD in bits; use natural logarithms (nats)"),
                 (js_divergence(GaussianMixture([0.0], [s + sigma]), GaussianMixture([theta], [s + sigma])),
                  "independent noise adds variances, not standard deviations: the std is sqrt(s^2 + sigma^2)"),
                 (js_divergence(GaussianMixture([0.0], [s]), GaussianMixture([theta], [s])),
                  "the noise is missing: both distributions are blurred by N(0, sigma^2) before D sees them"))
        for w, why in wrong:
            if got is not None and abs(got - w) <= 1e-6 and abs(w - expected) > 1e-6:
                return report(False, "", f"For {case}: {why}.", quiet)
        return report(False, "", f"For {case} you returned {value!r}, expected {expected:.8f}. Write both blurred "
                                 "densities, their mixture m = (p + q)/2, and integrate "
                                 "(p log(p/m) + q log(q/m))/2 numerically over a range wide enough for both.", quiet)
    return report(True, "Blurring both distributions with the same noise lowers the JSD below log 2 and makes it "
                  "change smoothly with theta: the generator gets a gradient even when the supports were disjoint.",
                  "", quiet)
