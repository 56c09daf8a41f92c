"""Checks for the exercises of chapter 1, *The adversarial game*."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit

from ..distributions import GaussianMixture
from ..theory import expectation, value_function
from .common import Result, call, close, not_attempted, report, to_float

__all__ = [
    "check_affine_pushforward",
    "check_constant_value",
    "check_mc_value",
    "check_k_prediction",
]

# (a, b) pairs for the affine pushforward, negative slopes and a zero shift included.
_AFFINE_CASES = ((2.0, 1.0), (-1.5, 0.5), (0.3, -2.0), (-3.0, 0.0))


def check_affine_pushforward(fn, quiet: bool = False) -> Result:
    """Exercise 1.1: ``fn(a, b)`` returns the (mean, std) of G(z) = a z + b, z ~ N(0, 1).

    The answer is (b, |a|); a std of ``a`` fails for a < 0.
    """
    for a, b in _AFFINE_CASES:
        out, err = call(fn, a, b)
        if err:
            return report(False, "", err, quiet)
        try:
            mean, std = (float(v) for v in out)
        except (TypeError, ValueError):
            return report(False, "", f"return a pair (mean, std) of numbers; got {out!r} for a={a}, b={b}", quiet)
        if not close(mean, b, 1e-9):
            hint = (f"for a={a}, b={b} your mean is {mean:g}. E[aZ + b] = a E[Z] + b, and E[Z] = 0."
                    if not close(mean, a, 1e-9) else "mean and std look swapped: return (mean, std).")
            return report(False, "", hint, quiet)
        if not close(std, abs(a), 1e-9):
            if close(std, a, 1e-9):
                hint = (f"for a={a} your std is {std:g}, which is negative: a standard deviation is "
                        "sqrt(Var) = sqrt(a^2 Var Z) = |a|.")
            elif close(std, a * a, 1e-9):
                hint = f"for a={a} your std is {std:g}: that is the variance a^2; take its square root."
            else:
                hint = f"for a={a}, b={b} your std is {std:g}. Var[aZ + b] = a^2 Var[Z]."
            return report(False, "", hint, quiet)
    return report(True, "G(z) = a z + b pushes N(0, 1) forward to N(b, a^2): mean b, std |a|.", "", quiet)


# Constant discriminators D(x) = c for exercise 1.2: the symmetric pair, the extremes, and 1/2.
_CONSTANTS = (0.5, 0.9, 0.1, 0.25, 1e-3, 0.999)
THEORY_REFERENCES = ("gantools.theory.value_function", "gantools.theory.expectation")


def check_constant_value(constant_value, quiet: bool = False) -> Result:
    """Exercise 1.2: ``constant_value(c)`` is V(D, G) for the constant discriminator
    D(x) = c, 0 < c < 1: log c + log(1 - c), whatever p_data and p_g. Checked at several c
    (1/2 among them, where V = -log 4); the answer may not evaluate V by quadrature."""
    if constant_value is None:
        not_attempted("constant_value")
    for c in _CONSTANTS:
        value, err = call(constant_value, c, forbid=THEORY_REFERENCES)
        if err:
            return report(False, "", f"For c = {c}: {err}", quiet)
        v = to_float(value)
        expected = math.log(c) + math.log1p(-c)
        if v is not None and close(v, expected, 1e-9 * max(1.0, abs(expected))):
            continue
        shown = f"constant_value({c}) = {value!r}, expected {expected:.6f}"
        if v is None:
            hint = f"return one number; {shown}."
        elif close(v, math.log(c), 1e-9):
            hint = f"{shown}: log c is only the real-data term; add the fake-data term E[log(1 - D)]."
        elif close(v, -expected, 1e-9):
            hint = f"{shown}: check the sign; log c and log(1 - c) are both negative."
        elif close(v, 2 * math.log(c), 1e-9):
            hint = f"{shown}: the fake-data term is log(1 - D) = log(1 - c), not log c."
        elif close(v, math.log(c) - math.log1p(-c), 1e-9):
            hint = f"{shown}: V adds E[log(1 - D)]; it does not subtract it (that is the logit of c)."
        elif close(v, expected / math.log(2), 1e-9) or close(v, expected / math.log(10), 1e-9):
            hint = f"{shown}: use natural logarithms (nats), as the book does."
        else:
            hint = (f"{shown}. Both expectations are of constants: E_data[log c] + E_g[log(1 - c)], and each "
                    "density integrates to 1.")
        return report(False, "", hint, quiet)
    return report(True, "V = log c + log(1 - c) for every p_data and p_g: it does not depend on G. It is largest "
                  "at c = 1/2, where it is -log 4 (about -1.386), the value of a discriminator that knows nothing.",
                  "", quiet)


def _logistic_abs(s: float, t: float):
    """D(x) = sigma(s (|x| - t)): 'real' when |x| exceeds the threshold t."""
    return lambda x: expit(s * (np.abs(np.asarray(x, dtype=float)) - t))


def _mc_reference(D, p_data, p_g, n_real: int, n_fake: int) -> tuple[float, float]:
    """V(D, G) by quadrature and the exact standard error of the plug-in estimator."""
    v = value_function(D, p_data, p_g)
    with np.errstate(divide="ignore"):
        m_r = expectation(lambda x: np.log(D(x)), p_data)
        m_f = expectation(lambda x: np.log1p(-D(x)), p_g)
        var_r = expectation(lambda x: np.log(D(x)) ** 2, p_data) - m_r**2
        var_f = expectation(lambda x: np.log1p(-D(x)) ** 2, p_g) - m_f**2
    return v, math.sqrt(max(var_r, 0.0) / n_real + max(var_f, 0.0) / n_fake)


def check_mc_value(fn, quiet: bool = False) -> Result:
    """Exercise 1.3: ``fn(D, x_real, x_fake)`` returns a Monte Carlo estimate of V(D, G) and
    its standard error, checked against quadrature.

    The estimate must lie within 5 exact standard errors of the quadrature value, and the
    reported standard error within 10% of the exact one (0 for a constant D). The two
    sample sizes differ, so each term must use its own.
    """
    p_data, p_g = GaussianMixture([-2.0, 2.0], 0.5), GaussianMixture([0.0], 1.0)
    rng = np.random.default_rng(2014)
    n_real, n_fake = 20_000, 50_000
    x_real, x_fake = p_data.sample(n_real, seed=rng), p_g.sample(n_fake, seed=rng)
    cases = (("sigma(3(|x| - 1.2))", _logistic_abs(3.0, 1.2)), ("sigma(-(|x| - 1))", _logistic_abs(-1.0, 1.0)))
    for name, D in cases:
        out, err = call(fn, D, x_real.copy(), x_fake.copy())
        if err:
            return report(False, "", err, quiet)
        try:
            est, se = (float(v) for v in out)
        except (TypeError, ValueError):
            return report(False, "", f"return a pair (estimate, standard_error); got {out!r}", quiet)
        v, se_true = _mc_reference(D, p_data, p_g, n_real, n_fake)
        if not (math.isfinite(est) and abs(est - v) <= 5 * se_true):
            flipped = np.mean(np.log(D(x_real))) + np.mean(np.log(D(x_fake)))
            hint = (f"for D(x) = {name} your estimate is {est:.4f}, but V = {v:.4f} "
                    f"(standard error {se_true:.4f}). ")
            if abs(est - flipped) < 1e-6:
                hint += "The fake term is log(1 - D(x)), not log D(x): D should say 'fake' there."
            else:
                hint += "Average log D over the real samples and log(1 - D) over the fakes, then add."
            return report(False, "", hint, quiet)
        if not (math.isfinite(se) and abs(se - se_true) <= 0.1 * se_true):
            hint = (f"for D(x) = {name} your standard error is {se:.3g}, the exact one is {se_true:.3g}. "
                    "The two averages are independent, so SE^2 = Var[log D(x_real)]/n_real + "
                    "Var[log(1 - D(x_fake))]/n_fake, with each sample's own size.")
            return report(False, "", hint, quiet)
    out, err = call(fn, lambda x: np.full(np.shape(x), 0.5), x_real.copy(), x_fake.copy())
    if err:
        return report(False, "", err, quiet)
    est, se = (float(v) for v in out)
    if not (close(est, -math.log(4), 1e-9) and close(se, 0.0, 1e-9)):
        return report(False, "", f"for D = 1/2 the estimate must be exactly -log 4 with standard error 0; "
                      f"got ({est:.6g}, {se:.3g}).", quiet)
    return report(True, "your estimator agrees with quadrature, and its standard error is right.", "", quiet)


_PREDICTIONS = ("lower", "same", "higher")
# Exercise 1.4: what chapter 1 measures (the cell after the check asserts it): with k = 5 the
# mean D loss over generator steps 400-800 is 0.956 against 1.371 with k = 1 (seed 0).
K5_LOSS_TREND = "lower"


def check_k_prediction(prediction, quiet: bool = False) -> Result:
    """Exercise 1.4: the reader's prediction, made before the run, of how the mean
    discriminator loss with k = 5 compares with k = 1: "lower", "same" (within 0.05) or
    "higher". The chapter's measurement, which runs after the check, is "lower"."""
    if prediction is None:
        not_attempted("the prediction")
    if not isinstance(prediction, str) or prediction.strip().lower() not in _PREDICTIONS:
        return report(False, "", f"answer with one of {_PREDICTIONS}; got {prediction!r}", quiet)
    ok = ("lower: with k = 5 the discriminator gets closer to its best response between two generator moves, "
          "and a discriminator that separates the samples has a loss below log 4. Run the next cell to measure it.")
    hint = ("not what the run shows (run the next cell). Think about which player gets more updates per round, and "
            "what the loss of a discriminator that wins looks like compared with log 4.")
    return report(prediction.strip().lower() == K5_LOSS_TREND, ok, hint, quiet)
