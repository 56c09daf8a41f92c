"""Checks for chapter 10, Evaluating GANs.

- :func:`check_fd_1d`: the Fréchet distance between N(0, 1) and N(1, 2²).
- :func:`check_frechet_distance`: a student's ``frechet_distance(mu1, s1, mu2, s2)``, compared
  with :func:`gantools.metrics.frechet_distance` on commuting and non-commuting covariances.
- :func:`check_is_k_classes`: the Inception Score of confident predictions spread evenly over
  k = 4 of 10 classes.
- :func:`check_is_half_unsure`: a student's ``is_mixture(f, K)``, the Inception Score when a fraction
  f of the images are confident (evenly over K classes) and the others get a uniform p(y|x).
- :func:`check_fd_bias_spread`: a student's ``fd_bias(n, d, s1, s2)``, the leading-order bias of
  FD between n samples of N(0, s1² I_d) and n of N(0, s2² I_d).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg

from ..metrics import frechet_distance as _reference_fd
from .common import Result, call, check_number, first_wrong, not_attempted, report, to_float

__all__ = ["check_fd_1d", "check_frechet_distance", "check_is_k_classes", "check_is_half_unsure",
           "check_fd_bias_spread"]


def check_fd_1d(answer, quiet: bool = False) -> Result:
    """Exercise 10.1: FD(N(0, 1), N(1, 4)) = (0 - 1)² + (1 - 2)² = 2 (variance 4, std 2)."""
    return check_number(
        answer, 2.0, 1e-6,
        ok="FD = (mu1 - mu2)² + (sigma1 - sigma2)² = 1 + 1 = 2: the standard deviations, not the variances, "
           "are subtracted.",
        hint="In 1D, Tr(S1 + S2 - 2 (S1 S2)^(1/2)) = s1² + s2² - 2 s1 s2 = (s1 - s2)² with s the standard "
             "deviations; add the squared difference of the means.",
        known_wrong=(
            (10.0, "You subtracted the variances: (1 - 4)² = 9. The covariance term is (sigma1 - sigma2)² with the "
                   "standard deviations: N(1, 4) has sigma = 2."),
            (1.0, "You have only one of the two terms: the means differ by 1 AND the standard deviations differ by 1."),
            (math.sqrt(2), "sqrt(2) is the Fréchet (2-Wasserstein) distance itself; FD, as in FID, is its square."),
            (6.0, "You forgot the cross term -2 (S1 S2)^(1/2) = -2 * 1 * 2: the trace term is 1 + 4 - 4 = 1."),
            (3.0, "Tr(S1 + S2 - 2 (S1 S2)^(1/2)) = 1 + 4 - 2 * 2 = 1, not 2: the square root of S1 S2 = 4 is 2."),
        ),
        quiet=quiet,
    )


# Implementations of the Fréchet distance an answer to 10.2 may not call (the first is the reference).
FD_REFERENCES = ("gantools.metrics.frechet_distance", "gantools.metrics.fid_from_features",
                 "torchmetrics.image.fid._compute_fid", "pytorch_fid.fid_score.calculate_frechet_distance")


def _psd(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.standard_normal((d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def _fd_cases() -> list[tuple[str, tuple]]:
    rng = np.random.default_rng(10)
    s1, s2 = _psd(rng, 6), _psd(rng, 6)
    return [
        ("1D Gaussians N(0, 1) and N(1, 4)", (np.zeros(1), np.eye(1), np.ones(1), 4 * np.eye(1))),
        ("diagonal covariances in 3D", (np.array([0.0, 1.0, -1.0]), np.diag([1.0, 4.0, 0.25]),
                                         np.array([0.5, 1.0, 0.0]), np.diag([9.0, 1.0, 1.0]))),
        ("non-commuting 6x6 covariances", (rng.standard_normal(6), s1, rng.standard_normal(6), s2)),
    ]


def _wrong_fds(mu1, s1, mu2, s2) -> dict[str, float]:
    """Plausible wrong answers, each with the reason it is wrong."""
    dm = float(np.sum((mu1 - mu2) ** 2))
    tr = float(np.trace(s1) + np.trace(s2))
    covmean = linalg.sqrtm(s1 @ s2).real
    right = dm + tr - 2 * float(np.trace(covmean))
    return {
        "Tr(sqrt(S1) sqrt(S2)) equals Tr((S1 S2)^(1/2)) only when S1 and S2 commute; take the matrix square root "
        "of the product S1 @ S2 (scipy.linalg.sqrtm)":
            dm + tr - 2 * float(np.trace(linalg.sqrtm(s1).real @ linalg.sqrtm(s2).real)),
        "np.sqrt takes the square root of each entry; the formula needs the matrix square root "
        "(scipy.linalg.sqrtm) of S1 @ S2":
            dm + tr - 2 * float(np.trace(np.sqrt(np.abs(s1 @ s2)))),
        "S1 * S2 is the element-wise product; use the matrix product S1 @ S2":
            dm + tr - 2 * float(np.trace(linalg.sqrtm(s1 * s2).real)),
        "the cross term is -2 Tr((S1 S2)^(1/2)), with the factor 2": dm + tr - float(np.trace(covmean)),
        "add the squared distance of the means, ||mu1 - mu2||²": right - dm,
        "the mean term is the SQUARED distance ||mu1 - mu2||², not the distance": right - dm + math.sqrt(dm),
        "FD is the squared Fréchet distance: do not take the square root": math.sqrt(max(right, 0.0)),
    }


def check_frechet_distance(frechet_distance, quiet: bool = False) -> Result:
    """Exercise 10.2: ``frechet_distance(mu1, s1, mu2, s2)`` returns
    ||mu1 - mu2||² + Tr(S1 + S2 - 2 (S1 S2)^(1/2)) as a real number. The answer may not call
    an existing implementation (gantools', torchmetrics' or pytorch-fid's)."""
    if frechet_distance is None:
        not_attempted("frechet_distance")
    for name, args in _fd_cases():
        expected = _reference_fd(*args)
        value, err = call(frechet_distance, *(a.copy() for a in args), forbid=FD_REFERENCES)
        if err:
            return report(False, "", f"On {name}: {err}", quiet)
        if np.iscomplexobj(value):
            return report(False, "", f"On {name} you returned a complex number {value!r}: take the real part of the "
                          "matrix square root (its imaginary part is rounding error), as pytorch-fid does.", quiet)
        try:
            value = float(value)
        except (TypeError, ValueError):
            return report(False, "", f"On {name}: return one number (a float), got {type(value).__name__}.", quiet)
        tol = 1e-6 * max(1.0, abs(expected))
        if abs(value - expected) <= tol:
            continue
        for why, w in _wrong_fds(*args).items():
            if abs(value - w) <= tol and abs(w - expected) > tol:
                return report(False, "", f"On {name} you returned {value:.6g}, expected {expected:.6g}: {why}.", quiet)
        return report(False, "", f"On {name} you returned {value:.6g}, expected {expected:.6g}. Compute "
                      "||mu1 - mu2||² + Tr(S1) + Tr(S2) - 2 Tr(sqrtm(S1 @ S2)).", quiet)
    return report(True, "Your Fréchet distance matches gantools' on 1D, diagonal and non-commuting covariances.", "",
                  quiet)


K_CLASSES = 4  # exercise 10.3: the generator covers this many of the 10 classes


def check_is_k_classes(answer, quiet: bool = False) -> Result:
    """Exercise 10.3: confident one-hot predictions spread evenly over k = 4 of 10 classes
    give IS = exp(log k) = k = 4."""
    k = K_CLASSES
    return check_number(
        answer, float(k), 1e-6,
        ok=f"IS = exp(H(p(y)) - E H(p(y|x))) = exp(log {k} - 0) = {k}: the score counts the classes the generator "
           "covers evenly and confidently, whatever the number of classes that exist.",
        hint="IS = exp(E_x KL(p(y|x) || p(y))). Here every p(y|x) is one-hot and p(y) is uniform on the 4 classes "
             "used: what is the KL of a one-hot vector to that marginal?",
        known_wrong=(
            (10.0, "The score does not know that 10 classes exist: p(y) is the generator's own marginal, uniform "
                   "over the 4 classes it produces, so KL(one-hot || p(y)) = log 4."),
            (math.log(k), "log 4 is E_x KL(p(y|x) || p(y)), the mutual information; the Inception Score is its "
                          "exponential."),
            (1.0, "IS = 1 when every image gets the SAME prediction; here the predictions differ (4 classes)."),
            (k / 10, "IS is not a coverage fraction: it is exp of a KL divergence, between 1 and the number of "
                     "classes."),
            (math.log(10) - math.log(k), "log(10/4) is the KL of the class histogram to uniform over 10 classes "
                                         "(the mode-counting metric), not the Inception Score."),
        ),
        quiet=quiet,
    )


_MIXTURE_CASES = ((0.5, 10), (0.25, 10), (0.9, 4), (1.0, 7), (0.0, 10), (0.3, 1000))


def check_is_half_unsure(is_mixture, quiet: bool = False) -> Result:
    """Exercise 10.4: ``is_mixture(f, K)``: the Inception Score of a generator whose images are,
    for a fraction f, confident one-hot predictions spread evenly over K classes and, for the
    rest, uniform p(y|x) = 1/K. p(y) is uniform, the mean KL is f log K, and IS = K^f
    (sqrt(10) for f = 1/2, K = 10). The answer may not call an Inception Score routine."""
    if is_mixture is None:
        not_attempted("is_mixture")
    for f, k in _MIXTURE_CASES:
        value, err = call(is_mixture, f, k, forbid=("gantools.metrics.inception_score",))
        if err:
            return report(False, "", f"For f = {f}, K = {k}: {err}", quiet)
        expected = float(k) ** f
        r = check_number(
            value, expected, 1e-9 * expected, ok="",
            hint=f"For f = {f}, K = {k} you returned {value!r}, expected {expected:.6g}. Compute p(y) first (the mix "
                 "of the two kinds), then E_x KL(p(y|x) || p(y)) as the average over the two kinds, and only then "
                 "take exp.",
            known_wrong=(
                (f * k + (1 - f), "You averaged exp(KL) over the images; the score averages the KL first and then "
                                  "takes exp: exp(f log K + (1 - f) · 0)."),
                (f * k, "A fraction of the maximum is not right: the KL values are averaged in log space, so the "
                        "score is a geometric mean, K^f · 1^(1 - f)."),
                (f * math.log(k), "That is E_x KL(p(y|x) || p(y)); the Inception Score is its exponential."),
                (float(k), "The unsure images have KL(uniform || p(y)) = 0 and pull the average KL down."),
            ),
            quiet=True)
        if not r:
            return report(False, "", f"For f = {f}, K = {k}: {r.message}", quiet)
    return report(True, "IS = K^f: p(y) stays uniform, a confident image has KL = log K and an unsure one 0, and the "
                  "score takes exp of their average, a geometric mean. Half unsure over 10 classes scores sqrt(10) ≈ "
                  "3.162, not 5.5: a fraction of bad images costs a lot.", "", quiet)


# -- 10.5 ----------------------------------------------------------------------------------------
# (n, d, s1, s2): samples per set, dimension, the data's and the generator's standard deviations.
_SPREAD_CASES = ((1000, 8, 1.0, 0.4), (2000, 3, 2.0, 0.5), (500, 16, 0.7, 0.7), (1000, 1, 1.0, 3.0),
                 (5000, 24, 1.0, 1.5), (300, 2, 0.1, 0.05))
SPREAD_TOL = 0.02  # relative: n versus n - 1 in a denominator, and a simulation's noise, pass


def spread_bias(n: int, d: int, s1: float, s2: float) -> float:
    """E FD(n samples of N(0, s1² I_d), n of N(0, s2² I_d)) - d (s1 - s2)², to leading order in 1/n:
    the mean term's d (s1² + s2²) / n plus the trace term's s1 s2 d (d + 1) / (2 (n - 1))."""
    return d * (s1**2 + s2**2) / n + s1 * s2 * d * (d + 1) / (2 * (n - 1))


def _wrong_spread_biases(n, d, s1, s2) -> tuple[tuple[float, str], ...]:
    """Plausible wrong answers, each with the reason it is wrong."""
    mean, pairs = d * (s1**2 + s2**2) / n, d * (d + 1) / (2 * (n - 1))
    page = 2 * d / n + pairs  # section 10.2's formula for N(0, I_d) against itself
    return (
        (mean + s1 * s2 * pairs + d * (s1 - s2) ** 2,
         "that is the expected FD itself; the question asks for its bias, E FD minus the true FD d (s1 - s2)²"),
        (page, "that is section 10.2's formula for two samples of N(0, I_d); here the spreads are s1 and s2, and "
               "the bias scales with them"),
        ((s1**2 + s2**2) / 2 * page,
         "the mean term's bias is d (s1² + s2²) / n, but the trace term's is not the average variance times section "
         "10.2's: expanding the square root around the true covariances gives the product s1 s2, not (s1² + s2²) / 2"),
        (s1 * s2 * page, "the mean term: m1_hat - m2_hat has covariance (s1² + s2²) I / n, so E ||m1_hat - m2_hat||² "
                         "= d (s1² + s2²) / n, not 2 d s1 s2 / n"),
        (s1 * s2 * pairs, "the sample means differ too: add the mean term's E ||m1_hat - m2_hat||²"),
        (mean, "that is the mean term alone: the trace term is biased too, and its bias grows like d²"),
        (mean - s1 * s2 * pairs,
         "the trace term's bias is positive: the square root is concave, so the expected Tr (S1_hat^(1/2) S2_hat "
         "S1_hat^(1/2))^(1/2) falls below its value at the true covariances, and the trace term, which subtracts "
         "twice it, rises"),
        (mean + s1 * s2 * d * d / (2 * (n - 1)),
         "a diagonal entry of a sample covariance has twice the variance of an off-diagonal one (2 lambda² / (n - 1) "
         "against lambda² / (n - 1)): summed over all entries that gives d (d + 1) / 2, not d² / 2"),
        (mean + s1 * s2 * d / (n - 1),
         "the dimensions are not independent problems: the off-diagonal entries of the sample covariances are "
         "estimated too, and their d (d - 1) pairs make the bias grow like d², not like d"),
        (mean + 2 * s1 * s2 * pairs,
         "the trace term's bias is a factor 2 too large: the second-order term of sqrt(1 + x) is -x²/8"),
    )


def check_fd_bias_spread(fd_bias, quiet: bool = False) -> Result:
    """Exercise 10.5: ``fd_bias(n, d, s1, s2)`` returns, to leading order in 1/n, the bias
    E FD - d (s1 - s2)² of the FD between n samples of N(0, s1² I_d) and n of N(0, s2² I_d):
    d (s1² + s2²) / n + s1 s2 d (d + 1) / (2 (n - 1)). Section 10.2 prints only s1 = s2 = 1.
    Checked at six (n, d, s1, s2), n >= 300, to a relative tolerance of 2% (n or n - 1 in the
    denominators and a careful simulation both pass); may not call an FD implementation, so a
    simulation with gantools' ``fid_from_features`` is not an answer."""
    if fd_bias is None:
        not_attempted("fd_bias")
    for n, d, s1, s2 in _SPREAD_CASES:
        where = f"For n = {n}, d = {d}, s1 = {s1}, s2 = {s2}"
        try:
            value, err = call(fd_bias, n, d, s1, s2, forbid=FD_REFERENCES)
        except NotImplementedError:
            not_attempted("fd_bias")
        if err:
            return report(False, "", f"{where}: {err}", quiet)
        got, expected = to_float(value), spread_bias(n, d, s1, s2)
        if got is None or not math.isfinite(got):
            return report(False, "", f"{where}: return one finite number, got {value!r}.", quiet)
        if abs(got - expected) <= SPREAD_TOL * expected:
            continue
        why = first_wrong(got, _wrong_spread_biases(n, d, s1, s2),
                          lambda a, b: abs(a - b) <= SPREAD_TOL * abs(b), expected)
        if why:
            return report(False, "", f"{where} you returned {got:.6g}: {why}.", quiet)
        return report(False, "", f"{where} you returned {got:.6g}, expected {expected:.6g} (within 2%). Split FD into "
                                 "the mean term and the trace term; write S_hat = s² (I + A) and expand the trace "
                                 "term to second order in A1 and A2, whose entries have the variances of section "
                                 "10.2.", quiet)
    return report(True, "Bias = d (s1² + s2²) / n + s1 s2 d (d + 1) / (2 (n - 1)): the mean term's bias grows with the "
                  "variances, but the trace term's, the one that grows like d², with the product s1 s2. A generator "
                  "narrower than the data gets less bias than the data against itself, so subtracting the "
                  "real-vs-real floor over-corrects it.", "", quiet)
