"""Checks for chapter 12, Training tricks, measured.

- :func:`check_smoothed_d_star`: a student's ``smoothed_d_star(pd, pg, alpha, beta, r)``, the
  optimal discriminator under label smoothing when each batch holds r real samples per fake one.
- :func:`check_ema_lag`: a student's ``ema_lag(eta, gamma)``, how far an exponential moving
  average trails the iterates of alternating gradient steps on the bilinear game u v.
- :func:`check_noisy_jsd`: a student's ``noisy_jsd(theta, s, sigma)``, the JSD between
  N(0, s^2) and N(theta, s^2) when both are seen through instance noise N(0, sigma^2).
- :func:`check_best_noise`: a student's ``best_noise(theta, s)``, predicted before the chapter's
  run: the instance noise sigma that makes that JSD steepest in theta.

Each check is a :class:`~gantools.exercises.protocol.Spec`: the grader draws fresh cases from the ranges
below for every submission and judges the plain outputs in its own process.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import integrate, optimize, special

from ..distributions import GaussianMixture
from ..theory import js_divergence
from .common import Result, first_wrong, one_number
from .protocol import Spec, check, with_spec

__all__ = ["check_smoothed_d_star", "check_ema_lag", "check_noisy_jsd", "check_best_noise"]


# -- 12.1 ----------------------------------------------------------------------------------------
D_STAR_REFERENCES = ("gantools.tricks.theory.smoothed_optimal_discriminator",
                     "gantools.tricks.theory.pointwise_minimiser")


def _densities(rng, n: int) -> tuple[list, list]:
    """n density values of each kind; the data has no mass at some points and the generator none at others."""
    pd, pg = rng.gamma(1.0, 1.0, n), rng.gamma(1.0, 1.0, n)
    k = max(n // 8, 2)
    pd[:k] = 0.0  # generated points where the data has no mass
    pg[k:2 * k] = 0.0  # data where the generator has none
    order = rng.permutation(n)
    return [float(v) for v in pd[order]], [float(v) for v in pg[order]]


def _d_star_cases(rng) -> list:
    """{"name", "pd", "pg", "alpha", "beta", "r"}: r = 1 with both targets smoothed, r above 1 with one-sided
    smoothing, r below 1 and r well above 1 with both; the book's four or four fresh."""
    if rng is None:
        book = np.random.default_rng(1212)
        pd, pg = book.gamma(1.0, 1.0, 40), book.gamma(1.0, 1.0, 40)
        pd[:5] = 0.0
        pg[5:9] = 0.0
        pd, pg = [float(v) for v in pd], [float(v) for v in pg]
        rows = [("equal batches, no smoothing", 1.0, 0.0, 1.0),
                ("twice as many real samples, one-sided alpha = 0.9", 0.9, 0.0, 2.0),
                ("half as many real samples, alpha = 0.9, beta = 0.1", 0.9, 0.1, 0.5),
                ("r = 3, alpha = 0.7, beta = 0.2", 0.7, 0.2, 3.0)]
        return [{"name": name, "pd": pd, "pg": pg, "alpha": a, "beta": b, "r": r} for name, a, b, r in rows]
    out = []
    for a, b, r in ((rng.uniform(0.7, 0.95), rng.uniform(0.05, 0.3), 1.0),
                    (rng.uniform(0.75, 0.98), 0.0, rng.uniform(1.5, 4.0)),
                    (rng.uniform(0.6, 0.95), rng.uniform(0.05, 0.3), rng.uniform(0.15, 0.8)),
                    (rng.uniform(0.55, 0.9), rng.uniform(0.05, 0.35), rng.uniform(2.0, 6.0))):
        pd, pg = _densities(rng, int(rng.integers(24, 61)))
        a, b, r = round(float(a), 4), round(float(b), 4), round(float(r), 4)
        out.append({"name": f"r = {r}, alpha = {a}, beta = {b}", "pd": pd, "pg": pg, "alpha": a, "beta": b, "r": r})
    return out


def _d_star_args(case) -> tuple:
    return np.array(case["pd"]), np.array(case["pg"]), case["alpha"], case["beta"], case["r"]


def _smoothed_d_star_reference(pd, pg, a, b, r) -> np.ndarray:
    """The instructor's minimiser for exercise 12.1."""
    return (r * a * pd + b * pg) / (r * pd + pg)


def _wrong_d_star(pd, pg, a, b, r) -> tuple:
    s = r * pd + pg
    return (((a * pd + b * pg) / (pd + pg), "the real term weighs r times the fake one: the formula of section 12.1 "
             "is the case r = 1; weight p_data by r in the numerator and in the denominator"),
            ((r * a * pd + b * pg) / (pd + pg), "r weighs the whole real term, so it multiplies p_data in the "
             "denominator as well"),
            (r * a * pd / s, "the fake target beta belongs in the numerator too: the loss on generated points is "
             "-[beta log D + (1 - beta) log(1 - D)]"),
            ((r * b * pd + a * pg) / s, "alpha goes with the data's density and beta with the generator's"),
            (r * a * pd / s + b, "beta is not added on its own: like alpha, it is weighted by its density's share "
             "of the point's mass, not 1"))


def _judge_d_star(cases, values):
    def same(x, y):
        return bool(np.all(np.isfinite(x)) and np.max(np.abs(x - y)) < 1e-9)

    for case, value in zip(cases, values, strict=True):
        pd, pg, a, b, r = _d_star_args(case)
        where = f"On '{case['name']}'"
        try:
            got = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            got = None
        if got is None or got.shape != pd.shape:
            shape = None if got is None else got.shape
            return False, (f"{where}: return an array of {pd.shape[0]} numbers, one per point; got "
                           f"{type(value).__name__} of shape {shape}.")
        expected = _smoothed_d_star_reference(pd, pg, a, b, r)
        if same(got, expected):
            continue
        why = first_wrong(got, _wrong_d_star(pd, pg, a, b, r), same, expected)
        if why:
            return False, f"{where}: {why}."
        worst = float(np.nanmax(np.abs(got - expected))) if np.any(np.isfinite(got)) else float("nan")
        return False, (f"{where} your D differs from the minimiser by up to {worst:.3g}. Differentiate the loss in D "
                       "and set the derivative to zero; check the points where p_data = 0 and where p_g = 0: what "
                       "must D* be there?")
    return True, ("D* = (r alpha p_data + beta p_g) / (r p_data + p_g): more real samples per batch act like a higher "
                  "data density, so D* moves towards alpha everywhere except where only the generator has mass "
                  "(still beta).")


SMOOTHED_D_STAR = Spec(
    answer="smoothed_d_star", judge=_judge_d_star, cases=_d_star_cases, build=_d_star_args,
    forbid=D_STAR_REFERENCES, describe=lambda c: f"On '{c['name']}'",
    leaks=(r"\\frac\{\s*r\s*\\alpha",
           r"(?<![\w\\])r\s*\*?\s*(?:α|alpha|\\alpha)\s*(?:\\,|\*)?\s*p(?:_data|d|_\{\\text\{data\}\})\s*\+\s*"
           r"(?:β|beta|\\beta)"))


@with_spec(SMOOTHED_D_STAR)
def check_smoothed_d_star(smoothed_d_star, quiet: bool = False) -> Result:
    """Exercise 12.1: ``smoothed_d_star(pd, pg, alpha, beta, r)`` returns, elementwise, the D in (0, 1) that
    minimises -(r pd [alpha log D + (1 - alpha) log(1 - D)] + pg [beta log D + (1 - beta) log(1 - D)]) for
    arrays of density values (never both 0): the smoothed optimum when each batch holds r times as many real
    samples as fake ones (section 12.1 prints only r = 1). Checked to 1e-9 at points where only one density
    has mass and for r = 1, above and below 1; may not call gantools' ``smoothed_optimal_discriminator`` or
    ``pointwise_minimiser``."""
    return check(SMOOTHED_D_STAR, smoothed_d_star, quiet)


# -- 12.2 ----------------------------------------------------------------------------------------
EMA_REFERENCES = ("gantools.tricks.theory.ema_radius_ratio", "gantools.tricks.theory.ema_iterates",
                  "gantools.tricks.theory.eigen_radius")
_EMA_CASES = ((0.1, 0.999), (0.1, 0.99), (0.5, 0.9), (1.0, 0.95), (0.3, 0.0))


def _ema_cases(rng) -> list:
    """(eta, gamma): slow rotations under a long average, faster ones under shorter averages, large steps, and
    gamma = 0 (no averaging); the book's five or five fresh."""
    if rng is None:
        return [list(c) for c in _EMA_CASES]
    return [[float(e), float(g)] for e, g in ((rng.uniform(0.03, 0.3), 1 - 10 ** rng.uniform(-3, -2)),
                                              (rng.uniform(0.2, 0.8), rng.uniform(0.85, 0.99)),
                                              (rng.uniform(0.8, 1.8), rng.uniform(0.5, 0.95)),
                                              (rng.uniform(0.1, 1.5), rng.uniform(0.02, 0.5)),
                                              (rng.uniform(0.1, 1.8), 0.0))]


def _shrink(eta: float, gamma: float) -> float:
    """lim |e_t| / |z_t|: the EMA's orbit over the iterates' (printed in section 12.3)."""
    theta = math.acos(1 - eta**2 / 2)
    return (1 - gamma) / math.sqrt(1 - 2 * gamma * math.cos(theta) + gamma**2)


def _ema_lag_reference(eta: float, gamma: float) -> float:
    """The instructor's closed form for exercise 12.2."""
    theta = math.acos(1 - eta**2 / 2)
    return gamma * eta / math.sqrt(1 - 2 * gamma * math.cos(theta) + gamma**2)


def _judge_ema(cases, values):
    def near(v, w):
        return v is not None and math.isfinite(v) and abs(v - w) <= 1e-3 * max(abs(w), 1e-12)

    for (eta, gamma), value in zip(cases, values, strict=True):
        got, expected = one_number(value), _ema_lag_reference(eta, gamma)
        if near(got, expected):
            continue
        where = f"For eta = {eta:.6g}, gamma = {gamma:.6g}"
        shrink = _shrink(eta, gamma)
        wrong = ((shrink, "that is the EMA's size |e_t| / |z_t| (section 12.3); the question is its distance to "
                          "the current iterate, |e_t - z_t| / |z_t|"),
                 (1 - shrink, "sizes do not subtract: e_t and z_t point in different directions; compare "
                              "e_t / z_t as a complex number with 1"),
                 (1 + shrink, "sizes do not add either: find the limit of e_t / z_t as a complex number and take "
                              "the modulus of that minus 1"),
                 (_ema_lag_reference(math.sqrt(2) * eta, gamma),
                  "alternating GDA rotates by theta with cos theta = 1 - eta^2/2 (chapter 5); theta = eta sqrt(2) "
                  "is a different game"))
        why = first_wrong(got, wrong, near, expected)
        if why:
            return False, f"{where}: {why}."
        return False, (f"{where} you returned {str(value)[:40]}, which is not the limit. Write z_t along an "
                       "eigenvector as lambda^t, find the limit of e_t / z_t, and take |that - 1|.")
    return True, ("The EMA trails the iterate by gamma |1 - lambda| / |lambda - gamma| = gamma eta / "
                  "|e^{i theta} - gamma| of the orbit's radius: close to 1 when gamma is near 1 (the EMA sits near "
                  "the centre while the iterate goes round), 0 when gamma = 0.")


EMA_LAG = Spec(
    answer="ema_lag", judge=_judge_ema, cases=_ema_cases, forbid=EMA_REFERENCES,
    describe=lambda c: f"For eta = {c[0]:.6g}, gamma = {c[1]:.6g}",
    leaks=(r"\\frac\{\s*\\gamma\s*(?:\\,)?\s*\\eta\s*\}", r"\\gamma\s*(?:\\,)?\s*\|1 - \\lambda\|",
           r"(?:γ|gamma)\s*\*?\s*(?:η|eta)\s*/\s*(?:\||√|sqrt|np\.sqrt|math\.sqrt)",
           r"(?:γ|gamma)\s*\|1\s*-\s*(?:λ|lambda)\|"))


@with_spec(EMA_LAG)
def check_ema_lag(ema_lag, quiet: bool = False) -> Result:
    """Exercise 12.2: ``ema_lag(eta, gamma)`` returns lim |e_t - z_t| / |z_t| for the EMA
    e_t = gamma e_{t-1} + (1 - gamma) z_t of alternating GDA's iterates on u v with step eta
    (in the eigen-coordinates, where |z_t| is constant). The page prints the EMA's *size*, not this
    distance. Relative tolerance 1e-3 (a long simulation passes); may not call gantools' closed forms."""
    return check(EMA_LAG, ema_lag, quiet)


# -- 12.3 ----------------------------------------------------------------------------------------
JSD_REFERENCES = ("gantools.theory.js_divergence", "gantools.tricks.theory.convolve",
                  "gantools.theory.kl_divergence")
_JSD_CASES = ((1.0, 0.01, 0.5), (0.3, 0.05, 0.1), (2.0, 0.1, 1.0), (0.5, 0.2, 0.0))


def _jsd_cases(rng) -> list:
    """(theta, s, sigma): narrow modes far apart (their unblurred JSD is log 2) under moderate noise, little
    and much noise, wide modes, and no noise; the book's four or five fresh."""
    if rng is None:
        return [list(c) for c in _JSD_CASES]
    return [[float(v) for v in c] for c in ((rng.uniform(0.5, 2.0), rng.uniform(0.005, 0.02), rng.uniform(0.2, 0.8)),
                                            (rng.uniform(0.1, 0.6), rng.uniform(0.02, 0.1), rng.uniform(0.02, 0.2)),
                                            (rng.uniform(1.0, 4.0), rng.uniform(0.05, 0.3), rng.uniform(0.8, 2.5)),
                                            (rng.uniform(0.2, 1.0), rng.uniform(0.1, 0.5), 0.0),
                                            (rng.uniform(0.05, 0.5), rng.uniform(0.3, 1.0), rng.uniform(0.1, 1.0)))]


def _gaussian_jsd(theta: float, sd: float) -> float:
    return js_divergence(GaussianMixture([0.0], [sd]), GaussianMixture([theta], [sd]))


def _noisy_jsd_reference(theta: float, s: float, sigma: float) -> float:
    """The instructor's JSD for exercise 12.3 (gantools' quadrature)."""
    return _gaussian_jsd(theta, math.sqrt(s**2 + sigma**2))


def _judge_jsd(cases, values):
    for (theta, s, sigma), value in zip(cases, values, strict=True):
        got, expected = one_number(value), _noisy_jsd_reference(theta, s, sigma)
        if got is not None and math.isfinite(got) and abs(got - expected) <= 1e-6:
            continue
        where = f"For theta = {theta:.6g}, s = {s:.6g}, sigma = {sigma:.6g}"
        wrong = ((expected / math.log(2), "that is the JSD in bits; use natural logarithms (nats)"),
                 (_gaussian_jsd(theta, s + sigma), "independent noise adds variances, not standard deviations"),
                 (_gaussian_jsd(theta, s), "the noise is missing: both distributions are blurred by N(0, sigma^2) "
                                           "before D sees them"))
        why = first_wrong(got, wrong, lambda a, b: abs(a - b) <= 1e-6, expected)
        if why:
            return False, f"{where}: {why}."
        return False, (f"{where} you returned {str(value)[:40]}, which is not the JSD to 1e-6. Write both blurred "
                       "densities, their mixture m = (p + q)/2, and integrate (p log(p/m) + q log(q/m))/2 "
                       "numerically over a range wide enough for both.")
    return True, ("Blurring both distributions with the same noise lowers the JSD below log 2 and makes it change "
                  "smoothly with theta: the generator gets a gradient even when the supports were disjoint.")


NOISY_JSD = Spec(
    answer="noisy_jsd", judge=_judge_jsd, cases=_jsd_cases, forbid=JSD_REFERENCES,
    describe=lambda c: f"For theta = {c[0]:.6g}, s = {c[1]:.6g}, sigma = {c[2]:.6g}",
    leaks=(r"N\(\\theta,\s*s\^2\s*\+\s*\\sigma\^2\)",
           r"s\s*(?:\*\*|\^)\s*2\s*\+\s*(?:σ|sigma|\\sigma)\s*(?:\*\*|\^)\s*2"))


@with_spec(NOISY_JSD)
def check_noisy_jsd(noisy_jsd, quiet: bool = False) -> Result:
    """Exercise 12.3: ``noisy_jsd(theta, s, sigma)`` returns JSD(N(0, s^2) * N(0, sigma^2) ||
    N(theta, s^2) * N(0, sigma^2)) in nats, to 1e-6, compared with gantools' quadrature. May not call
    gantools' ``js_divergence``, ``kl_divergence`` or ``convolve``."""
    return check(NOISY_JSD, noisy_jsd, quiet)


# -- 12.4 ----------------------------------------------------------------------------------------
NOISE_REFERENCES = (*JSD_REFERENCES, "gantools.theory.value_function")
# (theta, s): the run's page never uses most of these; the last two need no noise at all
_NOISE_CASES = ((2.0, 0.0), (1.0, 0.01), (0.3, 0.1), (5.0, 1.5), (0.5, 0.15), (10.0, 3.0),
                (0.2, 0.1), (4.0, 2.0))


def _unit_slope_reference(u: float) -> float:
    """d/du JSD(N(0, 1) || N(u, 1)) by quadrature (the instructor's route for exercise 12.4)."""

    def f(z):
        """The integrand, a logistic weight times the standard normal's kernel."""
        return special.expit(-u * u / 2 - u * z) * math.exp(-z * z / 2)

    mass = integrate.quad(f, -40.0, 40.0, points=[-u / 2], epsabs=1e-14, epsrel=1e-13, limit=200)[0]
    return u / 2 * mass / math.sqrt(2 * math.pi)


@functools.cache
def _steepest_reference(chain_rule: bool = True) -> float:
    """The distance in widths at which the slope of exercise 12.4 peaks (chain_rule=False: the constant of a
    wrong answer that forgets the chain rule)."""

    def minus_slope(u):
        """Minus the slope to maximise."""
        return -(u if chain_rule else 1.0) * _unit_slope_reference(u)

    return float(optimize.minimize_scalar(minus_slope, bounds=(0.5, 6.0), method="bounded",
                                          options={"xatol": 1e-11}).x)


def best_noise_reference(theta: float, s: float) -> float:
    """The instructor's answer to exercise 12.4 (what the chapter's run cell measures)."""
    return math.sqrt(max((theta / _steepest_reference()) ** 2 - s**2, 0.0))


expected_best_noise = best_noise_reference  # the name the chapter's hidden cell imports


def _noise_cases(rng) -> list:
    """(theta, s) over three decades of theta: s = 0, data narrow and half as wide as the best blur, and data
    wider than it (no noise is best); the book's eight or seven fresh."""
    if rng is None:
        return [list(c) for c in _NOISE_CASES]
    w = 1 / _steepest_reference()  # the best total width over theta
    out = []
    for theta, ratio in ((10 ** rng.uniform(-0.5, 1.3), 0.0), (10 ** rng.uniform(-1, 1.3), rng.uniform(0.005, 0.1)),
                         (10 ** rng.uniform(-1, 1.3), rng.uniform(0.2, 0.6)), (10 ** rng.uniform(-1, 1.3), 0.0),
                         (10 ** rng.uniform(-1, 1.3), rng.uniform(0.6, 0.85)),
                         (10 ** rng.uniform(-1, 1.3), rng.uniform(1.15, 3.0)),
                         (10 ** rng.uniform(-1, 1.3), rng.uniform(1.15, 3.0))):
        out.append([round(float(theta), 6), round(float(ratio * w * theta), 6)])
    return out


_NO_NOISE = ("here the data alone is already wider than the blur that gives the steepest slope, so any noise only "
             "flattens the JSD further. Return 0 in that case")


def _noise_case(theta: float, s: float) -> str:
    """How a case is named; one where the answer must be 0 says why (for an answer that raises there)."""
    return f"For theta = {theta:.6g}, s = {s:.6g}" + (f" ({_NO_NOISE})" if best_noise_reference(theta, s) == 0 else "")


def _judge_noise(cases, values):
    u_star, u_no_chain = _steepest_reference(), _steepest_reference(chain_rule=False)
    for (theta, s), value in zip(cases, values, strict=True):
        where, expected = f"For theta = {theta:.6g}, s = {s:.6g}", best_noise_reference(theta, s)
        got, tol = one_number(value), 5e-4 * theta
        if got is not None and math.isfinite(got) and abs(got - expected) <= tol:
            continue
        width = theta / u_star
        wrong = ((theta, "noise 'about as large as the gap' is section 12.2's rough rule, not the optimum: too "
                         "much blur makes any two modes look alike. Find where the slope in theta peaks"),
                 (width, "that is the best total width of the blurred modes, data and noise together; the data is "
                         "already s wide, so the noise only has to supply the rest"),
                 (max(width - s, 0.0), "standard deviations do not subtract: independent noise adds variances"),
                 (math.sqrt(max((theta / u_no_chain) ** 2 - s**2, 0.0)),
                  "that maximises the slope in theta / w, the distance in units of the width; the generator "
                  "moves theta, and d/dtheta f(theta / w) = f'(theta / w) / w: the 1/w moves the optimum"))
        why = first_wrong(got, wrong, lambda a, b, tol=tol: abs(a - b) <= tol, expected)
        if why:
            return False, f"{where}: {why}."
        if expected == 0.0:
            return False, f"{where} you returned {str(value)[:40]}: {_NO_NOISE}."
        return False, (f"{where} you returned {str(value)[:40]}: not where the slope peaks. The blurred modes have "
                       "one width w, data and noise together, and the JSD of two Gaussians of equal width depends "
                       "on theta / w only: write the slope in theta through one function of that ratio and "
                       "maximise over w.")
    return True, BEST_NOISE_OK


# The PASS message (it may state the answer; tests/test_exercises_tricks.py keeps its constants equal to u*).
BEST_NOISE_OK = ("sigma* = sqrt((theta / u*)^2 - s^2) with u* = 2.4563: the steepest JSD comes from blurred modes "
                 "0.407 theta wide, whatever theta, and a data distribution already that wide needs no noise. Now run "
                 "the next cell.")


BEST_NOISE = Spec(
    answer="best_noise", judge=_judge_noise, cases=_noise_cases, forbid=NOISE_REFERENCES,
    describe=lambda c: _noise_case(*c),
    leaks=(r"(?<![\d.])2\.45[5-7]\d*", r"(?<![\d.])0\.40[67]\d*\s*(?:\\,\s*)?(?:θ|theta|\\theta)",
           r"\\sqrt\{+\s*\(\\theta\s*/\s*u\^\*\)\^2\s*-\s*s\^2", r"sqrt\(\((?:θ|theta)\s*/\s*u\*\)\^2\s*-\s*s\^2\)"))


@with_spec(BEST_NOISE)
def check_best_noise(best_noise, quiet: bool = False) -> Result:
    """Exercise 12.4: ``best_noise(theta, s)`` returns the instance-noise level sigma >= 0 at which the JSD
    between N(0, s^2) and N(theta, s^2), both blurred by N(0, sigma^2), changes fastest with theta. Tolerance
    5e-4 theta; checked over three decades of theta, s = 0 and cases that need no noise included. May not call
    gantools' ``js_divergence``, ``kl_divergence``, ``value_function``, ``convolve`` or this module's truth."""
    return check(BEST_NOISE, best_noise, quiet)
