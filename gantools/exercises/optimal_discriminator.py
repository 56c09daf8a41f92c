"""Checks for the exercises of chapter 2, "The optimal discriminator".

- :func:`check_pointwise_maximiser`: a student's ``pointwise_maximiser(a, b)``, the y that maximises
  a log y + b log(1 - y).
- :func:`check_weighted_discriminator`: a student's ``weighted_optimal_discriminator(p_data, p_g, prior)``.
- :func:`check_generator_from_discriminator`: a student's ``generator_density(p_data, d_star)``, p_g from D*.
- :func:`check_kl_from_logit`: a student's ``kl_from_logit(logit, x_data)``, a Monte Carlo estimate of
  KL(p_data || p_g).

The test distributions are Gaussians, mixtures and a uniform (:mod:`gantools.distributions`), and the
exact answers come from :mod:`gantools.theory`. Each check is a :class:`~gantools.exercises.protocol.Spec`:
the grader draws fresh cases from the ranges below for every submission and judges the plain outputs
in its own process; a plausible wrong answer gets a targeted hint.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit

from ..theory import kl_divergence, optimal_discriminator
from .common import Result, case_pair, one_number
from .protocol import Spec, check, with_spec

__all__ = [
    "check_pointwise_maximiser",
    "check_weighted_discriminator",
    "check_generator_from_discriminator",
    "check_kl_from_logit",
]

_GRID = np.linspace(-4.0, 4.0, 41)
_PRIORS = (0.1, 0.25, 0.5, 0.75, 0.9)


def _gauss(means, stds, weights=None) -> dict:
    spec = {"means": [float(m) for m in means], "stds": [float(s) for s in stds]}
    return spec if weights is None else {**spec, "weights": [float(w) for w in weights]}


def _label(spec: dict) -> str:
    if "low" in spec:
        return f"U({spec['low']:.3g}, {spec['high']:.3g})"
    weights = spec.get("weights", [1 / len(spec["means"])] * len(spec["means"]))
    parts = [f"N({m:.3g}, {s:.3g}^2)" for m, s in zip(spec["means"], spec["stds"], strict=True)]
    return parts[0] if len(parts) == 1 else " + ".join(f"{w:.2g} {p}" for w, p in zip(weights, parts, strict=True))


# The book's test pairs: shifted and bimodal Gaussians, unequal mixtures, and a uniform against a
# Gaussian, whose density vanishes on part of the grid.
_BOOK_PAIRS = (
    ("N(0, 1) vs N(1, 1)", _gauss([0.0], [1.0]), _gauss([1.0], [1.0])),
    ("two modes vs one wide Gaussian", _gauss([-2.0, 2.0], [0.5, 0.5]), _gauss([0.0], [1.5])),
    ("unequal mixtures", _gauss([-1.0, 1.5], [0.6, 0.4], [0.7, 0.3]), _gauss([-0.5, 2.5], [0.8, 0.5])),
    ("U(-1, 2) vs N(0, 1)", {"low": -1.0, "high": 2.0}, _gauss([0.0], [1.0])),
)


def _pairs(rng, with_uniform: bool = True) -> list[tuple[str, dict, dict]]:
    """(name, p_data, p_g) test pairs, the book's or the same four kinds with fresh parameters."""
    if rng is None:
        return list(_BOOK_PAIRS if with_uniform else _BOOK_PAIRS[:3])

    def u(lo, hi):
        return float(rng.uniform(lo, hi))

    mu, delta, m, w, low = u(-1, 1), u(0.5, 1.5) * float(rng.choice([-1, 1])), u(1.2, 2.5), u(0.55, 0.8), u(-2, -0.5)
    pairs = [(_gauss([mu], [u(0.7, 1.3)]), _gauss([mu + delta], [u(0.7, 1.3)])),
             (_gauss([-m, m], [u(0.4, 0.7)] * 2), _gauss([u(-0.5, 0.5)], [u(1.2, 2.0)])),
             (_gauss([u(-1.5, -0.5), u(1.0, 2.0)], [u(0.5, 0.8), u(0.3, 0.6)], [w, 1 - w]),
              _gauss([u(-1.0, 0.0), u(2.0, 3.0)], [u(0.6, 1.0), u(0.4, 0.7)])),
             ({"low": low, "high": low + u(2.0, 4.0)}, _gauss([u(-0.5, 0.5)], [u(0.8, 1.5)]))]
    return [(f"{_label(d)} vs {_label(g)}", d, g) for d, g in pairs[:4 if with_uniform else 3]]


def _grid(rng) -> np.ndarray:
    return _GRID if rng is None else np.sort(rng.uniform(-4.5, 4.5, size=41))


def _densities(case: dict) -> tuple[np.ndarray, np.ndarray]:
    """p_data(x) and p_g(x) at the case's points."""
    p_data, p_g = case_pair(case)
    x = np.asarray(case["x"], dtype=float)
    return p_data.pdf(x), p_g.pdf(x)


def _as_array(value, n: int) -> tuple[np.ndarray | None, str | None]:
    """The plain output as a float array of n values, or an error message."""
    try:
        out = np.asarray(value)
    except (TypeError, ValueError):
        out = None
    if out is None or out.dtype.kind not in "biuf":
        return None, f"your function returned {str(value)[:60]}, not real numbers"
    if out.shape != (n,):
        return None, f"your function returned shape {out.shape}; expected ({n},), one value per x"
    return out.astype(float), None


# -- 2.1 -----------------------------------------------------------------------------------
def _maximiser_cases(rng) -> list:
    """(a, b): the densities of the book's three pairs at 11 points of [-4, 4], or twelve fresh
    pairs of positive numbers from 10⁻⁴ to 2, so that either may dominate."""
    if rng is None:
        return [[float(p.pdf(x)), float(q.pdf(x))] for _, d, g in _pairs(None, with_uniform=False)
                for p, q in [case_pair({"data": d, "g": g})] for x in _GRID[::4]]
    return [[float(10 ** rng.uniform(-4, 0.3)), float(10 ** rng.uniform(-4, 0.3))] for _ in range(12)]


def _judge_maximiser(cases, values):
    tol = 1e-4
    for (a, b), value in zip(cases, values, strict=True):
        y = one_number(value)
        if y is None:
            return False, f"pointwise_maximiser({a:.3g}, {b:.3g}) returned {str(value)[:60]}, not a number."
        if abs(y - a / (a + b)) <= tol:
            continue
        if abs(y - b / (a + b)) <= tol:
            return False, (f"For a = {a:.3g}, b = {b:.3g} you returned b/(a+b) = {y:.4g}: that is where "
                           "b log y + a log(1 - y) peaks. Set f'(y) = a/y - b/(1-y) to zero and solve for y.")
        return False, (f"For a = {a:.3g}, b = {b:.3g} you returned {y:.6g}, which is not where f peaks. Set "
                       "f'(y) = a/y - b/(1-y) to zero.")
    return True, "The maximiser is y* = a / (a + b): at every x, D*(x) = p_data(x) / (p_data(x) + p_g(x))."


POINTWISE_MAXIMISER = Spec(
    answer="pointwise_maximiser", judge=_judge_maximiser, cases=_maximiser_cases,
    describe=lambda c: f"For a = {c[0]:.3g}, b = {c[1]:.3g}",
    leaks=(r"return\s+\(?\s*a\s*/\s*\(\s*a\s*\+\s*b\s*\)",))


@with_spec(POINTWISE_MAXIMISER)
def check_pointwise_maximiser(pointwise_maximiser, quiet: bool = False) -> Result:
    """Exercise 2.1: ``pointwise_maximiser(a, b)`` is the y in (0, 1) that maximises
    f(y) = a log y + b log(1 - y) for a, b > 0.

    Called with a = p_data(x), b = p_g(x) (floats) at points x of the test pairs (fresh positive
    pairs when graded); compared with the maximiser within 1e-4 (loose enough for a numerical
    maximiser).
    """
    return check(POINTWISE_MAXIMISER, pointwise_maximiser, quiet)


# -- 2.2 -----------------------------------------------------------------------------------
def _weighted_cases(rng) -> list:
    """Each pair at the points of the grid where p_data + p_g > 0, with five priors (the book's 20
    cases), or four fresh pairs on fresh points, each with one prior below 1/2 and one above."""
    out = []
    for name, d, g in _pairs(rng):
        x = _grid(rng)
        a, b = _densities({"data": d, "g": g, "x": x})
        priors = _PRIORS if rng is None else (float(rng.uniform(0.03, 0.4)), float(rng.uniform(0.6, 0.97)))
        out += [{"pair": name, "data": d, "g": g, "x": [float(v) for v in x[(a + b) > 0]], "prior": prior}
                for prior in priors]
    return out


def _weighted_build(case: dict) -> tuple:
    return (*_densities(case), case["prior"])


def _weighted_reference(case: dict, shift: float = 1.0) -> np.ndarray:
    """D*_pi at the case's points, in logit space from gantools.theory, for exercise 2.2 (``shift`` 0 or
    -1: two plausible wrong answers)."""
    p_data, p_g = case_pair(case)
    prior = case["prior"]
    with np.errstate(invalid="ignore"):
        return expit(optimal_discriminator(p_data, p_g).logit(np.asarray(case["x"])) +
                     shift * math.log(prior / (1 - prior)))


def _judge_weighted(cases, values):
    tol = 1e-6
    for case, value in zip(cases, values, strict=True):
        pair, prior, x = case["pair"], case["prior"], case["x"]
        out, err = _as_array(value, len(x))
        if err:
            return False, f"For {pair}, prior = {prior:.6g}: {err}."
        expected = _weighted_reference(case)
        if np.all(np.abs(out - expected) <= tol):
            continue
        if np.all(np.abs(out - _weighted_reference(case, 0.0)) <= tol):
            return False, (f"With prior = {prior:.6g} you returned the unweighted D* = p_data / (p_data + p_g): "
                           "the prior is ignored. Redo the pointwise maximisation of "
                           "pi p_data log D + (1 - pi) p_g log(1 - D).")
        if np.all(np.abs(out - _weighted_reference(case, -1.0)) <= tol):
            return False, (f"With prior = {prior:.6g} you weighted p_data by 1 - pi and p_g by pi: pi is the "
                           "probability of drawing a *real* sample.")
        i = int(np.argmax(np.abs(out - expected)))
        return False, (f"For {pair}, prior = {prior:.6g}, x = {x[i]:.6g}: you returned {out[i]:.6g}, which is "
                       "not P(real | x). Bayes' rule: P(real | x) = P(real) p(x | real) / p(x).")
    return True, ("D*_pi = pi p_data / (pi p_data + (1 - pi) p_g): the prior odds shift the logit by "
                  "log(pi / (1 - pi)).")


WEIGHTED_DISCRIMINATOR = Spec(
    answer="weighted_optimal_discriminator", judge=_judge_weighted, cases=_weighted_cases, build=_weighted_build,
    describe=lambda c: f"For {c['pair']}, prior = {c['prior']:.6g}",
    leaks=(r"\\frac\{\s*\\pi\s*(?:\\,)?\s*p_\{\\text\{data\}\}(?:\(x\))?\s*\}\s*\{\s*\\pi\s*(?:\\,)?\s*"
           r"p_\{\\text\{data\}\}(?:\(x\))?\s*\+\s*\(1\s*-\s*\\pi\)",  # LaTeX
           r"(?:prior|pi|π)\s*\*?\s*p_data\s*/\s*\(\s*(?:prior|pi|π)\s*\*?\s*p_data\s*\+\s*"
           r"\(\s*1\s*-\s*(?:prior|pi|π)\s*\)\s*\*?\s*p_g",  # code and Unicode
           r"\\log\s*\\frac\{\\pi\}\{1\s*-\s*\\pi\}",  # the logit's shift, LaTeX
           r"log\s*\(\s*(?:prior|pi|π)\s*/\s*\(\s*1\s*-\s*(?:prior|pi|π)\s*\)\s*\)"))


@with_spec(WEIGHTED_DISCRIMINATOR)
def check_weighted_discriminator(weighted_optimal_discriminator, quiet: bool = False) -> Result:
    """Exercise 2.2: ``weighted_optimal_discriminator(p_data, p_g, prior)`` takes arrays of
    density values p_data(x), p_g(x) and the prior probability pi of a real sample, and
    returns the Bayes-optimal D*_pi(x) = P(real | x).

    The reference is computed from :func:`gantools.theory.optimal_discriminator` in logit
    space. Checked at every x of a grid where p_data + p_g > 0, for several pairs and priors,
    to 1e-6.
    """
    return check(WEIGHTED_DISCRIMINATOR, weighted_optimal_discriminator, quiet)


# -- 2.3 -----------------------------------------------------------------------------------
def _generator_cases(rng) -> list:
    """Each pair at the points of the grid where 1e-6 < D*(x) < 1 - 1e-6 (elsewhere the inversion
    loses all precision): the book's four or four fresh pairs on fresh points."""
    out = []
    for name, d, g in _pairs(rng):
        x = _grid(rng)
        d_star = optimal_discriminator(*case_pair({"data": d, "g": g}))(x)
        out.append({"pair": name, "data": d, "g": g,
                    "x": [float(v) for v in x[(d_star > 1e-6) & (d_star < 1 - 1e-6)]]})
    return out


def _generator_build(case: dict) -> tuple:
    p_data, p_g = case_pair(case)
    x = np.asarray(case["x"], dtype=float)
    return p_data.pdf(x), optimal_discriminator(p_data, p_g)(x)


def _generator_density_reference(case: dict) -> np.ndarray:
    """p_g at the case's points, for exercise 2.3."""
    return case_pair(case)[1].pdf(np.asarray(case["x"], dtype=float))


def _judge_generator(cases, values):
    for case, value in zip(cases, values, strict=True):
        pair, x = case["pair"], case["x"]
        out, err = _as_array(value, len(x))
        if err:
            return False, f"For {pair}: {err}."
        expected = _generator_density_reference(case)
        if np.allclose(out, expected, rtol=1e-6, atol=1e-12):
            continue
        a, d = _generator_build(case)
        if np.allclose(out, a * d / (1 - d), rtol=1e-6, atol=1e-12):
            return False, ("You returned p_data D*/(1 - D*) = p_data^2 / p_g: the odds are upside down. "
                           "Solve D* = p_data / (p_data + p_g) for p_g.")
        if np.allclose(out, a * (1 - d), rtol=1e-6, atol=1e-12):
            return False, ("You returned p_data (1 - D*), which is not p_g yet: solve D* (p_data + p_g) = p_data "
                           "for p_g, step by step.")
        i = int(np.argmax(np.abs(out - expected) / (np.abs(expected) + 1e-12)))
        return False, (f"For {pair} at x = {x[i]:.6g}: you returned {out[i]:.6g}, which is not p_g(x). "
                       "Solve D* = p_data / (p_data + p_g) for p_g.")
    return True, "p_g = p_data (1 - D*) / D*: the odds D*/(1 - D*) are the density ratio p_data / p_g."


GENERATOR_FROM_DISCRIMINATOR = Spec(
    answer="generator_density", judge=_judge_generator, cases=_generator_cases, build=_generator_build,
    describe=lambda c: f"For {c['pair']}",
    leaks=(r"p_data\s*\*?\s*\(\s*1\s*-\s*(?:d_star|D\*|d)\s*\)\s*/\s*(?:d_star|D\*|d)(?!\w)",  # code and plain
           r"p_\{\\text\{data\}\}\s*(?:\\,)?\s*\(1\s*-\s*D\^\*\)\s*/\s*D\^\*"))  # LaTeX


@with_spec(GENERATOR_FROM_DISCRIMINATOR)
def check_generator_from_discriminator(generator_density, quiet: bool = False) -> Result:
    """Exercise 2.3: ``generator_density(p_data, d_star)`` takes arrays of p_data(x) and
    D*(x) and returns p_g(x).

    Checked against p_g.pdf(x) of the test pairs, at the x where 1e-6 < D*(x) < 1 - 1e-6
    (elsewhere the inversion loses all precision), to a relative tolerance of 1e-6.
    """
    return check(GENERATOR_FROM_DISCRIMINATOR, generator_density, quiet)


# -- 2.4 -----------------------------------------------------------------------------------
# The quadrature of gantools.theory computes the KL the check compares with.
KL_REFERENCES = ("gantools.theory.kl_divergence", "gantools.theory.expectation", "gantools.theory.integrate")


def _kl_cases(rng) -> list:
    """The three Gaussian pairs with 200,000 samples of p_data (seeds 1000-1002), or three fresh
    pairs with 120,000 to 200,000 fresh samples."""
    if rng is None:
        return [{"pair": name, "data": d, "g": g, "n": 200_000, "seed": 1000 + k}
                for k, (name, d, g) in enumerate(_pairs(None, with_uniform=False))]
    return [{"pair": name, "data": d, "g": g, "n": int(rng.integers(120_000, 200_001)),
             "seed": int(rng.integers(2**31))} for name, d, g in _pairs(rng, with_uniform=False)]


def _kl_build(case: dict) -> tuple:
    """(logit, x_data): the exact logit of D* and the case's samples of p_data."""
    p_data, p_g = case_pair(case)
    return optimal_discriminator(p_data, p_g).logit, p_data.sample(case["n"], seed=case["seed"])


def _kl_reference(case: dict) -> float:
    """KL(p_data || p_g) by quadrature, for exercise 2.4."""
    return kl_divergence(*case_pair(case))


def _judge_kl(cases, values):
    for case, value in zip(cases, values, strict=True):
        pair = case["pair"]
        out = one_number(value)
        if out is None:
            return False, f"For {pair}: kl_from_logit returned {str(value)[:60]}, not a number."
        logit, x = _kl_build(case)
        logits, kl = logit(x), _kl_reference(case)
        tol = 5 * logits.std() / math.sqrt(len(x)) + 1e-3
        if math.isfinite(out) and abs(out - kl) <= tol:
            continue
        if abs(out + kl) <= tol:
            return False, ("You returned -KL: the logit is log p_data - log p_g; check the sign of the log ratio "
                           "in KL(p_data || p_g).")
        if abs(out - math.log(np.mean(np.exp(logits)))) <= tol:
            return False, ("You returned log E[p_data/p_g], which is a Renyi divergence of order 2, not KL: the "
                           "log of an average is not the average of a log.")
        if abs(out - float(np.mean(expit(logits)))) <= tol:
            return False, "You averaged D* = sigmoid(logit): which function of D* does KL's integrand hold?"
        return False, (f"For {pair}: you returned {out:.4g}, more than 5 standard errors from KL(p_data || p_g). "
                       "Write KL as an expectation under p_data and use the logit of D*.")
    return True, ("KL(p_data || p_g) = E_{p_data}[log p_data / p_g] = E_{p_data}[logit D*(x)]: average the logit "
                  "over real samples.")


KL_FROM_LOGIT = Spec(
    answer="kl_from_logit", judge=_judge_kl, cases=_kl_cases, build=_kl_build, forbid=KL_REFERENCES,
    describe=lambda c: f"For {c['pair']}",
    leaks=(r"mean\(\s*logit\(\s*x_data\s*\)\s*\)",
           r"(?i)average\s+the\s+logit\s+(?:itself\s+)?over\s+(?:the\s+)?(?:real\s+)?samples"))


@with_spec(KL_FROM_LOGIT)
def check_kl_from_logit(kl_from_logit, quiet: bool = False) -> Result:
    """Exercise 2.4: ``kl_from_logit(logit, x_data)`` takes a vectorised function ``logit``
    (the logit of D*, i.e. log p_data/p_g) and samples ``x_data`` of p_data (shape (n,)),
    and returns a Monte Carlo estimate of KL(p_data || p_g) in nats.

    Compared with :func:`gantools.theory.kl_divergence` (quadrature) on Gaussian test pairs,
    to 5 standard errors of the sample mean plus 1e-3; the answer may not call that quadrature.
    """
    return check(KL_FROM_LOGIT, kl_from_logit, quiet)
