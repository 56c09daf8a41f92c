"""Checks for the exercises of chapter 1, *The adversarial game*.

- :func:`check_affine_pushforward`: a student's ``affine_pushforward(a, b)``, the mean and std of G(z) = az + b.
- :func:`check_constant_value`: a student's ``constant_value(c)``, V(D, G) for the constant discriminator D = c.
- :func:`check_mc_value`: a student's ``mc_value(D, x_real, x_fake)``, a Monte Carlo estimate of V and its
  standard error.
- :func:`check_k_prediction`: the prediction, made before the run, of how k = 5 moves the discriminator loss.

Each check is a :class:`~gantools.exercises.protocol.Spec`: the grader draws fresh cases from the ranges
below for every submission and judges the plain outputs in its own process.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit, log_expit

from ..theory import expectation
from .common import Result, case_pair, close, first_wrong, one_number
from .protocol import Spec, check, with_spec

__all__ = [
    "check_affine_pushforward",
    "check_constant_value",
    "check_mc_value",
    "check_k_prediction",
]


def _real_numbers(value, n: int) -> np.ndarray | None:
    """A plain output as a float array of shape (n,) (a nested list of n numbers is flattened);
    None when it is not n real numbers (strings, None and complex numbers included)."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        return None
    return arr.astype(float).reshape(n) if arr.dtype.kind in "biuf" and arr.size == n else None


# -- 1.1 -----------------------------------------------------------------------------------
# (a, b) pairs for the affine pushforward, negative slopes and a zero shift included.
_AFFINE_CASES = ((2.0, 1.0), (-1.5, 0.5), (0.3, -2.0), (-3.0, 0.0))


def _affine_cases(rng) -> list:
    """Slopes of both signs, above and below 1 in size (where a² and |a| part), and a zero shift:
    the book's four or five fresh."""
    if rng is None:
        return [list(c) for c in _AFFINE_CASES]
    u = rng.uniform
    return [[float(u(1.2, 4.0)), float(u(-3, 3))], [float(-u(1.2, 4.0)), float(u(-3, 3))],
            [float(u(0.1, 0.9)), float(u(-3, 3))], [float(-u(0.1, 0.9)), 0.0],
            [float(-u(1.2, 4.0)), float(u(-3, 3))]]


def _judge_affine(cases, values):
    for (a, b), value in zip(cases, values, strict=True):
        pair = _real_numbers(value, 2)
        if pair is None:
            return False, f"For a = {a:g}, b = {b:g}: return a pair (mean, std) of numbers; got {str(value)[:80]}."
        mean, std = float(pair[0]), float(pair[1])
        if not close(mean, b, 1e-9):
            if close(mean, abs(a), 1e-9) and not close(abs(a), b, 1e-9):
                return False, "Mean and std look swapped: return (mean, std)."
            return False, f"For a = {a:g}, b = {b:g} your mean is {mean:g}. E[aZ + b] = a E[Z] + b, and E[Z] = 0."
        if not close(std, abs(a), 1e-9):
            why = first_wrong(std, (
                (a, f"For a = {a:g} your std is {std:g}, which is negative: a standard deviation is the square "
                    "root of a variance, never negative."),
                (a * a, f"For a = {a:g} your std is {std:g}: that is the variance a^2; take its square root."),
            ), lambda x, y: close(x, y, 1e-9), abs(a))
            return False, (why or f"For a = {a:g}, b = {b:g} your std is {std:g}. Var[aZ + b] = a^2 Var[Z].")
    return True, "G(z) = a z + b pushes N(0, 1) forward to N(b, a^2): mean b, std |a|."


AFFINE_PUSHFORWARD = Spec(
    answer="affine_pushforward", judge=_judge_affine, cases=_affine_cases,
    describe=lambda c: f"For a = {c[0]:g}, b = {c[1]:g}",
    leaks=(r"return\s+\(?\s*b\s*,\s*(?:np\.|math\.f?)?abs\(\s*a\s*\)",  # the solution's code
           r"mean\s+b\s*,\s*std\s+\|a\|"))


@with_spec(AFFINE_PUSHFORWARD)
def check_affine_pushforward(affine_pushforward, quiet: bool = False) -> Result:
    """Exercise 1.1: ``affine_pushforward(a, b)`` returns the (mean, std) of G(z) = a z + b,
    z ~ N(0, 1), for slopes of both signs and sizes, to 1e-9."""
    return check(AFFINE_PUSHFORWARD, affine_pushforward, quiet)


# -- 1.2 -----------------------------------------------------------------------------------
# Constant discriminators D(x) = c for exercise 1.2: the symmetric pair, the extremes, and 1/2.
_CONSTANTS = (0.5, 0.9, 0.1, 0.25, 1e-3, 0.999)
THEORY_REFERENCES = ("gantools.theory.value_function", "gantools.theory.expectation")


def _constant_cases(rng) -> list:
    """c = 1/2, one c on each side of it, one anywhere in between, and one within 10⁻² of 0 and of 1:
    the book's six or six fresh."""
    if rng is None:
        return list(_CONSTANTS)
    u = rng.uniform
    return [0.5, float(u(0.55, 0.95)), float(u(0.05, 0.45)), float(u(0.2, 0.8)), float(10 ** u(-4, -2)),
            float(1 - 10 ** u(-4, -2))]


def _judge_constant(cases, values):
    for c, value in zip(cases, values, strict=True):
        v, expected = one_number(value), math.fsum((math.log(c), math.log1p(-c)))
        if v is not None and close(v, expected, 1e-9 * max(1.0, abs(expected))):
            continue
        shown = f"constant_value({c:g}) = {str(value)[:40]}"
        if v is None:
            return False, f"Return one number; {shown}."
        why = first_wrong(v, (
            (math.log(c), "log c is only the real-data term; V has a fake-data term too."),
            (-expected, "check the sign: V adds logs of probabilities, so it is never positive."),
            (2 * math.log(c), "the fake-data term is E_g[log(1 - D)], not E_g[log D]."),
            (math.log(c) - math.log1p(-c), "V adds its fake-data term; it does not subtract it (that is the "
                                           "logit of c)."),
            (expected / math.log(2), "use natural logarithms (nats), as the book does."),
            (expected / math.log(10), "use natural logarithms (nats), as the book does."),
        ), lambda x, y: close(x, y, 1e-9), expected)
        return False, f"{shown}: " + (why or "Both expectations are of constants, and each density integrates "
                                             "to 1: write out E_data[log D] + E_g[log(1 - D)] for D = c.")
    return True, ("V = log c + log(1 - c) = log(c(1 - c)) for every p_data and p_g: it does not depend on G. It "
                  "is largest at c = 1/2, where it is -log 4 (about -1.386), the value of a discriminator that "
                  "knows nothing.")


CONSTANT_VALUE = Spec(
    answer="constant_value", judge=_judge_constant, cases=_constant_cases, build=lambda c: (c,),
    forbid=THEORY_REFERENCES, describe=lambda c: f"For c = {c:g}",
    leaks=(r"\\?log\s*\(?\s*c\s*\)?\s*\+\s*\\?log\s*\(\s*1\s*-\s*c\s*\)",  # log c + log(1 - c), LaTeX or plain
           r"log\(\s*c\s*\)\s*\+\s*(?:np\.|math\.)?log1p\(\s*-\s*c\s*\)",  # np.log(c) + np.log1p(-c)
           r"log\s*\(\s*c\s*\*?\s*\(\s*1\s*-\s*c\s*\)\s*\)"))  # log(c(1 - c))


@with_spec(CONSTANT_VALUE)
def check_constant_value(constant_value, quiet: bool = False) -> Result:
    """Exercise 1.2: ``constant_value(c)`` is V(D, G) in nats for the constant discriminator
    D(x) = c, 0 < c < 1, whatever p_data and p_g. Checked at several c (1/2 among them, and c
    near 0 and 1) to a relative 1e-9; the answer may not evaluate V by quadrature."""
    return check(CONSTANT_VALUE, constant_value, quiet)


# -- 1.3 -----------------------------------------------------------------------------------
def _logistic_abs(s: float, t: float):
    """D(x) = sigma(s (|x| - t)): 'real' when |x| exceeds the threshold t."""
    return lambda x: expit(s * (np.abs(np.asarray(x, dtype=float)) - t))


def _discriminator(d: list):
    """D from its description: ``["logistic_abs", s, t]`` or ``["constant", c]``."""
    if d[0] == "constant":
        return lambda x: np.full(np.shape(x), float(d[1]))
    return _logistic_abs(d[1], d[2])


def _mc_inputs(case: dict) -> tuple:
    """(D, x_real, x_fake) of a case: the samples drawn from one generator seeded by the case."""
    p_data, p_g = case_pair(case)
    rng = np.random.default_rng(case["seed"])
    x_real = p_data.sample(case["n_real"], seed=rng)
    x_fake = p_g.sample(case["n_fake"], seed=rng)
    return _discriminator(case["d"]), x_real, x_fake


_MC_DATA, _MC_G = {"means": [-2.0, 2.0], "stds": [0.5, 0.5]}, {"means": [0.0], "stds": [1.0]}


def _mc_cases(rng) -> list:
    """A sensible D and a backwards one (slopes of both signs) and a constant one, with sample
    sizes that differ by a factor 2.5 or more: the book's three (one shared sample) or three fresh, on
    fresh two-mode data, a fresh Gaussian p_g and fresh samples."""
    if rng is None:
        base = {"data": _MC_DATA, "g": _MC_G, "n_real": 20_000, "n_fake": 50_000, "seed": 2014}
        return [{**base, "d": ["logistic_abs", 3.0, 1.2], "name": "sigma(3(|x| - 1.2))"},
                {**base, "d": ["logistic_abs", -1.0, 1.0], "name": "sigma(-(|x| - 1))"},
                {**base, "d": ["constant", 0.5], "name": "1/2"}]
    u = rng.uniform
    out = []
    for kind in ("sensible", "backwards", "constant"):
        m, sd = float(u(1.7, 2.5)), float(u(0.4, 0.6))
        small = int(rng.integers(20_000, 30_001))
        sizes = [small, int(small * u(2.5, 4.0))]
        n_real, n_fake = sizes if rng.random() < 0.5 else sizes[::-1]
        if kind == "sensible":
            s, t = float(u(2.0, 3.2)), float(u(0.9, 1.4))
            d, name = ["logistic_abs", s, t], f"sigma({s:.3g}(|x| - {t:.3g}))"
        elif kind == "backwards":
            s, t = float(-u(0.5, 1.5)), float(u(0.5, 1.5))
            d, name = ["logistic_abs", s, t], f"sigma({s:.3g}(|x| - {t:.3g}))"
        else:
            d = ["constant", float(u(0.2, 0.8))]
            name = f"{d[1]:.6g}"
        out.append({"data": {"means": [-m, m], "stds": [sd, sd]}, "g": {"means": [float(u(-0.5, 0.5))],
                    "stds": [float(u(0.8, 1.2))]}, "n_real": n_real, "n_fake": n_fake,
                    "seed": int(rng.integers(2**31)), "d": d, "name": name})
    return out


def _log_terms(d: list):
    """(log D, log(1 - D)) of a case's discriminator as functions of x, exact in the tails."""
    if d[0] == "constant":
        c = float(d[1])
        return (lambda x: np.full(np.shape(x), math.log(c))), (lambda x: np.full(np.shape(x), math.log1p(-c)))
    s, t = d[1], d[2]
    return (lambda x: log_expit(s * (np.abs(x) - t))), (lambda x: log_expit(-s * (np.abs(x) - t)))


def _mc_reference(case: dict) -> tuple[float, float]:
    """V(D, G) by quadrature and the exact standard error of the plug-in estimator, for exercise 1.3."""
    p_data, p_g = case_pair(case)
    log_d, log_1md = _log_terms(case["d"])
    m_r, m_f = expectation(log_d, p_data), expectation(log_1md, p_g)
    var_r = expectation(lambda x: log_d(x) ** 2, p_data) - m_r**2
    var_f = expectation(lambda x: log_1md(x) ** 2, p_g) - m_f**2
    return m_r + m_f, math.sqrt(max(var_r, 0.0) / case["n_real"] + max(var_f, 0.0) / case["n_fake"])


def _judge_mc(cases, values):
    for case, value in zip(cases, values, strict=True):
        name = f"D(x) = {case['name']}"
        pair = _real_numbers(value, 2)
        if pair is None:
            return False, f"For {name}: return a pair (estimate, standard_error); got {str(value)[:80]}."
        est, se = float(pair[0]), float(pair[1])
        v, se_true = _mc_reference(case)
        if case["d"][0] == "constant":
            if not (close(est, v, 1e-9) and close(se, 0.0, 1e-9)):
                return False, (f"For the constant {name} every log term is the same number, so the estimate is "
                               f"exact and its standard error 0; got ({est:.6g}, {se:.3g}).")
            continue
        if not (math.isfinite(est) and abs(est - v) <= 5 * se_true):
            D, x_real, x_fake = _mc_inputs(case)
            flipped = np.mean(np.log(D(x_real))) + np.mean(np.log(D(x_fake)))
            hint = (f"For {name} your estimate is {est:.4f}, more than 5 standard errors from V computed by "
                    "quadrature. ")
            if abs(est - flipped) < 1e-6:
                return False, hint + "The fake term is log(1 - D(x)), not log D(x): D should say 'fake' there."
            return False, hint + "Average log D over the real samples and log(1 - D) over the fakes, then add."
        if not (math.isfinite(se) and abs(se - se_true) <= 0.1 * se_true):
            return False, (f"For {name} your standard error is {se:.3g}, more than 10% off the exact one. The two "
                           "averages are independent, so their variances add; each is the variance of one log "
                           "term over its own sample's own size, n_real or n_fake.")
    return True, ("Your estimator agrees with quadrature, and its standard error is right: SE² = "
                  "Var[log D(x_real)]/n_real + Var[log(1 - D(x_fake))]/n_fake, each sample with its own size.")


MC_VALUE = Spec(
    answer="mc_value", judge=_judge_mc, cases=_mc_cases, build=_mc_inputs, forbid=THEORY_REFERENCES,
    describe=lambda c: f"For D(x) = {c['name']}",
    leaks=(r"\.var\([^)]*\)\s*/\s*len\(\s*x_real\s*\)\s*\+\s*\w+\.var\([^)]*\)\s*/\s*len\(\s*x_fake\s*\)",
           r"Var\[[^\]]*\]\s*/\s*n_\{?real\}?\s*\+\s*Var\[[^\]]*\]\s*/\s*n_\{?fake\}?"))


@with_spec(MC_VALUE)
def check_mc_value(mc_value, quiet: bool = False) -> Result:
    """Exercise 1.3: ``mc_value(D, x_real, x_fake)`` returns a Monte Carlo estimate of V(D, G) and
    its standard error, checked against quadrature for discriminators of both slopes and a constant
    one, with real and fake samples of different sizes.

    The estimate must lie within 5 exact standard errors of the quadrature value, and the
    reported standard error within 10% of the exact one (0, and an exact estimate, for a constant D).
    """
    return check(MC_VALUE, mc_value, quiet)


# -- 1.4 -----------------------------------------------------------------------------------
_PREDICTIONS = ("lower", "same", "higher")
# Exercise 1.4: what chapter 1 measures (the cell after the check asserts it).
K5_LOSS_TREND = "lower"


def _judge_prediction(cases, values):
    value = values[0]
    if type(value) is not str or value.strip().lower() not in _PREDICTIONS:
        return False, f"Answer with one of {_PREDICTIONS}; got {str(value)[:40]!r}."
    if value.strip().lower() == K5_LOSS_TREND:
        return True, ("lower: the discriminator loss with k = 5 is lower than with k = 1. With five steps per "
                      "generator move the discriminator gets closer to its best response, and a discriminator "
                      "that separates the samples has a loss below log 4. Run the next cell to measure it.")
    return False, ("Not what the run shows (run the next cell). Think about which player gets more updates per "
                   "round, and what the loss of a discriminator that wins looks like compared with log 4.")


K_PREDICTION = Spec(
    answer="prediction", judge=_judge_prediction, call=False,
    leaks=(r"prediction\s*=\s*[\"']lower[\"']", r"K5_LOSS_TREND\s*==?\s*[\"']lower[\"']",
           r"loss\s+with\s+\$?k\s*=\s*5\$?\s+is\s+\*?lower"))


@with_spec(K_PREDICTION)
def check_k_prediction(prediction, quiet: bool = False) -> Result:
    """Exercise 1.4: the reader's prediction, made before the run, of how the mean
    discriminator loss with k = 5 compares with k = 1: "lower", "same" (within 0.05) or
    "higher". Compared with what the chapter's run, after the check, measures."""
    return check(K_PREDICTION, prediction, quiet)
