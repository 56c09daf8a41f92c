"""Checks for chapter 12, Training tricks, measured.

- :func:`check_smoothed_d_star`: a student's ``smoothed_d_star(pd, pg, alpha, beta, r)``, the
  optimal discriminator under label smoothing when each batch holds r real samples per fake one.
- :func:`check_ema_lag`: a student's ``ema_lag(eta, gamma)``, how far an exponential moving
  average trails the iterates of alternating gradient steps on the bilinear game u v.
- :func:`check_noisy_jsd`: a student's ``noisy_jsd(theta, s, sigma)``, the JSD between
  N(0, s^2) and N(theta, s^2) when both are seen through instance noise N(0, sigma^2).
- :func:`check_best_noise`: a student's ``best_noise(theta, s)``, predicted before the chapter's
  run: the instance noise sigma that makes that JSD steepest in theta.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import integrate, optimize, special

from ..distributions import GaussianMixture
from ..theory import js_divergence
from .common import Result, report, to_array, to_float
from .common import run_answer as _run

__all__ = ["check_smoothed_d_star", "check_ema_lag", "check_noisy_jsd", "check_best_noise"]


# -- 12.1 ----------------------------------------------------------------------------------------
D_STAR_REFERENCES = ("gantools.tricks.theory.smoothed_optimal_discriminator",
                     "gantools.tricks.theory.pointwise_minimiser")


def _d_star_cases() -> list[tuple[str, np.ndarray, np.ndarray, float, float, float]]:
    rng = np.random.default_rng(1212)
    pd, pg = rng.gamma(1.0, 1.0, 40), rng.gamma(1.0, 1.0, 40)
    pd[:5] = 0.0  # generated points where the data has no mass
    pg[5:9] = 0.0  # data where the generator has none
    return [("equal batches, no smoothing", pd, pg, 1.0, 0.0, 1.0),
            ("twice as many real samples, one-sided alpha = 0.9", pd, pg, 0.9, 0.0, 2.0),
            ("half as many real samples, alpha = 0.9, beta = 0.1", pd, pg, 0.9, 0.1, 0.5),
            ("r = 3, alpha = 0.7, beta = 0.2", pd, pg, 0.7, 0.2, 3.0)]


def _wrong_d_star(pd, pg, a, b, r) -> dict[str, np.ndarray]:
    s = r * pd + pg
    return {"the real term weighs r times the fake one: the formula of section 12.1 is the case r = 1; weight "
            "p_data by r in the numerator and in the denominator": (a * pd + b * pg) / (pd + pg),
            "r weighs the whole real term, so it multiplies p_data in the denominator as well": (r * a * pd + b * pg)
            / (pd + pg),
            "the fake target beta belongs in the numerator too: the loss on generated points is "
            "-[beta log D + (1 - beta) log(1 - D)]": r * a * pd / s,
            "alpha goes with the data's density and beta with the generator's": (r * b * pd + a * pg) / s,
            "beta multiplies p_g / (r p_data + p_g), not 1": r * a * pd / s + b}


def check_smoothed_d_star(smoothed_d_star, quiet: bool = False) -> Result:
    """Exercise 12.1: ``smoothed_d_star(pd, pg, alpha, beta, r)`` returns the D in (0, 1) that
    minimises -(r pd [alpha log D + (1 - alpha) log(1 - D)] + pg [beta log D + (1 - beta) log(1 - D)])
    elementwise, for arrays of density values (never both 0): the smoothed optimum when each batch
    holds r times as many real samples as fake ones, (r alpha pd + beta pg) / (r pd + pg). Section
    12.1 prints only r = 1. May not call gantools' ``smoothed_optimal_discriminator`` or
    ``pointwise_minimiser``."""
    for name, pd, pg, a, b, r in _d_star_cases():
        value, err = _run(smoothed_d_star, "smoothed_d_star", pd.copy(), pg.copy(), a, b, r, forbid=D_STAR_REFERENCES)
        if err:
            return report(False, "", f"On '{name}': {err}", quiet)
        got = to_array(value)
        if got is None or got.shape != pd.shape:
            shape = None if got is None else got.shape
            return report(False, "", f"On '{name}': return an array of {pd.shape[0]} numbers, one per point; got "
                                     f"{type(value).__name__} of shape {shape}.", quiet)
        expected = (r * a * pd + b * pg) / (r * pd + pg)
        if np.all(np.isfinite(got)) and np.max(np.abs(got - expected)) < 1e-9:
            continue
        for why, wrong in _wrong_d_star(pd, pg, a, b, r).items():
            if np.all(np.isfinite(got)) and np.max(np.abs(got - wrong)) < 1e-9:
                return report(False, "", f"On '{name}': {why}.", quiet)
        worst = float(np.nanmax(np.abs(got - expected))) if np.any(np.isfinite(got)) else float("nan")
        return report(False, "", f"On '{name}' your D differs from the minimiser by up to {worst:.3g}. Differentiate "
                                 "the loss in D and set the derivative to zero; check the points where p_data = 0 "
                                 "(D* must be beta there) and where p_g = 0 (alpha).", quiet)
    return report(True, "D* = (r alpha p_data + beta p_g) / (r p_data + p_g): more real samples per batch act like a "
                  "higher data density, so D* moves towards alpha everywhere except where only the generator has "
                  "mass (still beta).", "", quiet)


# -- 12.2 ----------------------------------------------------------------------------------------
EMA_REFERENCES = ("gantools.tricks.theory.ema_radius_ratio", "gantools.tricks.theory.ema_iterates",
                  "gantools.tricks.theory.eigen_radius")
_EMA_CASES = ((0.1, 0.999), (0.1, 0.99), (0.5, 0.9), (1.0, 0.95), (0.3, 0.0))


def _shrink(eta: float, gamma: float) -> float:
    """lim |e_t| / |z_t|: the EMA's orbit over the iterates' (printed in section 12.3)."""
    theta = math.acos(1 - eta**2 / 2)
    return (1 - gamma) / math.sqrt(1 - 2 * gamma * math.cos(theta) + gamma**2)


def _lag(eta: float, gamma: float) -> float:
    """lim |e_t - z_t| / |z_t| = gamma |1 - lambda| / |lambda - gamma| = gamma eta / |e^{i theta} - gamma|
    (|1 - e^{i theta}| = eta when cos theta = 1 - eta^2 / 2)."""
    theta = math.acos(1 - eta**2 / 2)
    return gamma * eta / math.sqrt(1 - 2 * gamma * math.cos(theta) + gamma**2)


def check_ema_lag(ema_lag, quiet: bool = False) -> Result:
    """Exercise 12.2: ``ema_lag(eta, gamma)`` returns lim |e_t - z_t| / |z_t| for the EMA
    e_t = gamma e_{t-1} + (1 - gamma) z_t of alternating GDA's iterates on u v with step eta
    (in the eigen-coordinates, where |z_t| is constant): gamma eta / |e^{i theta} - gamma| with
    cos theta = 1 - eta^2 / 2. The page prints the EMA's *size*, not this distance. Relative
    tolerance 1e-3 (a long simulation passes); may not call gantools' closed forms."""
    for eta, gamma in _EMA_CASES:
        value, err = _run(ema_lag, "ema_lag", eta, gamma, forbid=EMA_REFERENCES)
        if err:
            return report(False, "", f"For eta = {eta}, gamma = {gamma}: {err}", quiet)
        got, expected = to_float(value), _lag(eta, gamma)
        if got is not None and math.isfinite(got) and abs(got - expected) <= 1e-3 * max(expected, 1e-12):
            continue
        shrink = _shrink(eta, gamma)
        wrong = ((shrink, "that is the EMA's size |e_t| / |z_t| (section 12.3); the question is its distance to "
                          "the current iterate, |e_t - z_t| / |z_t|"),
                 (1 - shrink, "sizes do not subtract: e_t and z_t point in different directions; compare "
                              "e_t / z_t as a complex number with 1"),
                 (1 + shrink, "sizes do not add either: e_t / z_t tends to (1 - gamma) lambda / (lambda - gamma); "
                              "take the modulus of that minus 1"),
                 (_lag(math.sqrt(2) * eta, gamma), "alternating GDA rotates by theta with cos theta = 1 - eta^2/2 "
                                                   "(chapter 5); theta = eta sqrt(2) is a different game"))
        for w, why in wrong:
            if got is not None and abs(got - w) <= 1e-3 * max(abs(w), 1e-12):
                return report(False, "", f"For eta = {eta}, gamma = {gamma}: {why}.", quiet)
        return report(False, "", f"For eta = {eta}, gamma = {gamma} you returned {value!r}, expected "
                                 f"{expected:.6g}. Write z_t along an eigenvector as lambda^t, find the limit of "
                                 "e_t / z_t, and take |that - 1|.", quiet)
    return report(True, "The EMA trails the iterate by gamma |1 - lambda| / |lambda - gamma| = gamma eta / "
                  "|e^{i theta} - gamma| of the orbit's radius: close to 1 when gamma is near 1 (the EMA sits near "
                  "the centre while the iterate goes round), 0 when gamma = 0.", "", quiet)


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


# -- 12.4 ----------------------------------------------------------------------------------------
NOISE_REFERENCES = (*JSD_REFERENCES, "gantools.theory.value_function",
                    "gantools.exercises.tricks.expected_best_noise")
# (theta, s): the run's page never uses most of these; the last two need no noise at all
_NOISE_CASES = ((2.0, 0.0), (1.0, 0.01), (0.3, 0.1), (5.0, 1.5), (0.5, 0.15), (10.0, 3.0),
                (0.2, 0.1), (4.0, 2.0))


def _unit_slope(u: float) -> float:
    """d/du JSD(N(0, 1) || N(u, 1)) = (u / 2) E_z[sigmoid(-u^2/2 - u z)], z ~ N(0, 1) (differentiate
    under the integral, then Stein's lemma E[z g(z)] = E[g'(z)]), by quadrature."""
    def f(z):
        return special.expit(-u * u / 2 - u * z) * math.exp(-z * z / 2)

    mass = integrate.quad(f, -40.0, 40.0, points=[-u / 2], epsabs=1e-14, epsrel=1e-13, limit=200)[0]
    return u / 2 * mass / math.sqrt(2 * math.pi)


@functools.cache
def _steepest(chain_rule: bool = True) -> float:
    """u* = argmax_u u f'(u), with f(u) the JSD of two unit Gaussians u apart. The slope in theta
    at total width w is f'(theta / w) / w = u f'(u) / theta, u = theta / w. chain_rule=False gives
    argmax f'(u), the optimum of a slope taken in theta / w (a wrong answer's constant)."""
    weight = (lambda u: u) if chain_rule else (lambda u: 1.0)
    return float(optimize.minimize_scalar(lambda u: -weight(u) * _unit_slope(u), bounds=(0.5, 6.0),
                                          method="bounded", options={"xatol": 1e-11}).x)


def expected_best_noise(theta: float, s: float) -> float:
    """The noise sigma >= 0 that maximises d/dtheta JSD(N(0, s^2) * N(0, sigma^2) || N(theta, s^2) *
    N(0, sigma^2)): the best total width is w* = theta / u* (about 0.407 theta), so
    sigma* = sqrt(w*^2 - s^2), or 0 when the data is already wider than w*."""
    return math.sqrt(max((theta / _steepest()) ** 2 - s**2, 0.0))


def check_best_noise(best_noise, quiet: bool = False) -> Result:
    """Exercise 12.4: ``best_noise(theta, s)`` returns the instance-noise level sigma >= 0 at which
    the JSD between N(0, s^2) and N(theta, s^2), both blurred by N(0, sigma^2), changes fastest with
    theta: sqrt((theta / u*)^2 - s^2), or 0 when s >= theta / u*, where u* (about 2.456) maximises
    u f'(u) for f(u) the JSD of two unit Gaussians u apart. Tolerance 5e-4 theta; checked at eight
    (theta, s), s = 0 and two cases that need no noise included. May not call gantools'
    ``js_divergence``, ``kl_divergence``, ``value_function``, ``convolve`` or this module's truth."""
    u_star, u_no_chain = _steepest(), _steepest(chain_rule=False)
    for theta, s in _NOISE_CASES:
        value, err = _run(best_noise, "best_noise", theta, s, forbid=NOISE_REFERENCES)
        case, expected = f"theta = {theta}, s = {s}", expected_best_noise(theta, s)
        no_noise = ("here the data alone is already wider than the blur that gives the steepest slope, so any "
                    "noise only flattens the JSD further. Return 0 in that case")
        if err:
            return report(False, "", f"For {case}: {err}" + (f"; {no_noise}." if expected == 0.0 else ""), quiet)
        got, tol = to_float(value), 5e-4 * theta
        if got is not None and math.isfinite(got) and abs(got - expected) <= tol:
            continue
        width = theta / u_star
        wrong = ((theta, "noise 'about as large as the gap' is section 12.2's rough rule, not the optimum: too "
                         "much blur makes any two modes look alike. Find where the slope in theta peaks"),
                 (width, "that is the best total width sqrt(s^2 + sigma^2) of the blurred modes; the data is "
                         "already s wide, so the noise only has to supply the rest"),
                 (max(width - s, 0.0), "standard deviations do not subtract: independent noise adds variances, "
                                       "s^2 + sigma^2"),
                 (math.sqrt(max((theta / u_no_chain) ** 2 - s**2, 0.0)),
                  "that maximises the slope in theta / w, the distance in units of the width; the generator "
                  "moves theta, and d/dtheta f(theta / w) = f'(theta / w) / w: the 1/w moves the optimum"))
        for w, why in wrong:
            if got is not None and abs(got - w) <= tol and abs(w - expected) > tol:
                return report(False, "", f"For {case}: {why}.", quiet)
        if expected == 0.0:
            return report(False, "", f"For {case} you returned {value!r}: {no_noise}.", quiet)
        # the expected value is not shown: at s = 0 it would give the constant away
        return report(False, "", f"For {case} you returned {value!r}: not where the slope peaks. The blurred "
                                 "modes have width w = sqrt(s^2 + sigma^2), and the JSD of two Gaussians of "
                                 "equal width depends on theta / w only: write the slope in theta through one "
                                 "function of that ratio and maximise over w.", quiet)
    return report(True, f"sigma* = sqrt((theta / u*)^2 - s^2) with u* = {u_star:.4f}: the steepest JSD comes "
                  f"from blurred modes {1 / u_star:.3f} theta wide, whatever theta, and a data distribution "
                  "already that wide needs no noise. Now run the next cell.", "", quiet)
