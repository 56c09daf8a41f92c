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

Each check is a :class:`~gantools.exercises.protocol.Spec`: the grader draws fresh cases from the ranges
below for every submission and judges the plain outputs in its own process.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg

from ..metrics import frechet_distance as _frechet_distance_reference
from .common import Result, first_wrong, judge_number, one_number
from .protocol import Spec, check, with_spec

__all__ = ["check_fd_1d", "check_frechet_distance", "check_is_k_classes", "check_is_half_unsure",
           "check_fd_bias_spread"]

# -- 10.1 ----------------------------------------------------------------------------------
FD_1D = Spec(
    answer="fd_1d_answer", call=False,
    judge=judge_number(
        2.0, 1e-6,
        ok="FD = (mu1 - mu2)² + (sigma1 - sigma2)² = (0 - 1)² + (1 - 2)² = 1 + 1 = 2: the standard deviations, not "
           "the variances, are subtracted.",
        hint="In 1D, Tr(S1 + S2 - 2 (S1 S2)^(1/2)) = s1² + s2² - 2 s1 s2 = (s1 - s2)² with s the standard "
             "deviations; add the squared difference of the means.",
        known_wrong=(
            (10.0, "You subtracted the variances: (1 - 4)² = 9. The covariance term is (sigma1 - sigma2)² with the "
                   "standard deviations: N(1, 4) has sigma = 2."),
            (1.0, "You have only one of the two terms: FD adds the squared difference of the means and the "
                  "covariance term."),
            (math.sqrt(2), "sqrt(2) is the Fréchet (2-Wasserstein) distance itself; FD, as in FID, is its square."),
            (6.0, "You forgot the cross term -2 (S1 S2)^(1/2) of the trace term."),
            (3.0, "Recompute the trace term Tr(S1 + S2 - 2 (S1 S2)^(1/2)): the square root of S1 S2 = 4 is 2."),
        )),
    leaks=(r"\(\s*0\s*[-−]\s*1\s*\)\s*(?:\^\s*2|²)\s*\+\s*\(\s*1\s*[-−]\s*2\s*\)\s*(?:\^\s*2|²)",
           r"(?<![\d.])1\s*\+\s*1\s*=\s*2(?![\d.])"))


@with_spec(FD_1D)
def check_fd_1d(answer, quiet: bool = False) -> Result:
    """Exercise 10.1: the (squared) Fréchet distance between the 1D Gaussians N(0, 1) and N(1, 4),
    variances as the second argument (a number, to 1e-6)."""
    return check(FD_1D, answer, quiet)


# -- 10.2 ----------------------------------------------------------------------------------
# Implementations of the Fréchet distance an answer to 10.2 may not call (the first is the reference).
FD_REFERENCES = ("gantools.metrics.frechet_distance", "gantools.metrics.fid_from_features",
                 "torchmetrics.image.fid._compute_fid", "pytorch_fid.fid_score.calculate_frechet_distance")


def _psd(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.standard_normal((d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def _fd_case(name: str, mu1, s1, mu2, s2) -> dict:
    return {"name": name, "mu1": np.asarray(mu1, dtype=float).tolist(), "s1": np.asarray(s1, dtype=float).tolist(),
            "mu2": np.asarray(mu2, dtype=float).tolist(), "s2": np.asarray(s2, dtype=float).tolist()}


def _fd_cases(rng) -> list:
    """1D, diagonal and non-commuting covariances: the book's three, or three fresh ones of drawn sizes."""
    if rng is None:
        book = np.random.default_rng(10)
        s1, s2 = _psd(book, 6), _psd(book, 6)
        return [
            _fd_case("1D Gaussians N(0, 1) and N(1, 4)", np.zeros(1), np.eye(1), np.ones(1), 4 * np.eye(1)),
            _fd_case("diagonal covariances in 3D", [0.0, 1.0, -1.0], np.diag([1.0, 4.0, 0.25]), [0.5, 1.0, 0.0],
                     np.diag([9.0, 1.0, 1.0])),
            _fd_case("non-commuting 6x6 covariances", book.standard_normal(6), s1, book.standard_normal(6), s2),
        ]
    v1, v2 = rng.uniform(0.2, 5.0, size=2)
    m1, m2 = rng.uniform(-2.0, 2.0, size=2)
    k = int(rng.integers(2, 6))
    d = int(rng.integers(4, 9))
    s1, s2 = _psd(rng, d), _psd(rng, d)
    return [
        _fd_case(f"1D Gaussians N({m1:.3g}, {v1:.3g}) and N({m2:.3g}, {v2:.3g})", [m1], [[v1]], [m2], [[v2]]),
        _fd_case(f"diagonal covariances in {k}D", rng.standard_normal(k), np.diag(rng.uniform(0.2, 9.0, size=k)),
                 rng.standard_normal(k), np.diag(rng.uniform(0.2, 9.0, size=k))),
        _fd_case(f"non-commuting {d}x{d} covariances", rng.standard_normal(d), s1, rng.standard_normal(d), s2),
    ]


def _fd_args(case: dict) -> tuple:
    return tuple(np.array(case[k], dtype=float) for k in ("mu1", "s1", "mu2", "s2"))


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


def _judge_fd(cases, values):
    for case, value in zip(cases, values, strict=True):
        name = case["name"]
        if isinstance(value, complex) or np.iscomplexobj(value):
            return False, (f"On {name} you returned a complex number: take the real part of the matrix square root "
                           "(its imaginary part is rounding error), as pytorch-fid does.")
        got = one_number(value)
        if got is None:
            return False, f"On {name}: return one number (a float), got {str(value)[:80]}."
        args = _fd_args(case)
        expected = _frechet_distance_reference(*args)
        tol = 1e-6 * max(1.0, abs(expected))
        if abs(got - expected) <= tol:
            continue
        for why, w in _wrong_fds(*args).items():
            if abs(got - w) <= tol and abs(w - expected) > tol:
                return False, f"On {name} you returned {got:.6g}: {why}."
        return False, (f"On {name} you returned {got:.6g}, which is not the Fréchet distance. Compute "
                       "||mu1 - mu2||² + Tr(S1) + Tr(S2) - 2 Tr(sqrtm(S1 @ S2)).")
    return True, "Your Fréchet distance matches gantools' on 1D, diagonal and non-commuting covariances."


FRECHET_DISTANCE = Spec(answer="my_frechet_distance", judge=_judge_fd, cases=_fd_cases, build=_fd_args,
                        forbid=FD_REFERENCES, describe=lambda case: f"On {case['name']}",
                        leaks=(r"sqrtm\(\s*s1\s*@\s*s2\s*\)\.real",))


@with_spec(FRECHET_DISTANCE)
def check_frechet_distance(frechet_distance, quiet: bool = False) -> Result:
    """Exercise 10.2: ``frechet_distance(mu1, s1, mu2, s2)`` returns the (squared) Fréchet distance
    between N(mu1, s1) and N(mu2, s2) as a real number, to a relative 1e-6, on 1D, diagonal and
    non-commuting covariances. Compared with :func:`gantools.metrics.frechet_distance`; the answer
    may not call an existing implementation (gantools', torchmetrics' or pytorch-fid's)."""
    return check(FRECHET_DISTANCE, frechet_distance, quiet)


# -- 10.3 ----------------------------------------------------------------------------------
K_CLASSES = 4  # exercise 10.3: the generator covers this many of the 10 classes
IS_K_CLASSES = Spec(
    answer="is_four_classes", call=False,
    judge=judge_number(
        float(K_CLASSES), 1e-6,
        ok="IS = exp(H(p(y)) - E H(p(y|x))) = exp(log 4 - 0) = 4: the score counts the classes the generator covers "
           "evenly and confidently, whatever the number of classes that exist.",
        hint="IS = exp(E_x KL(p(y|x) || p(y))). Here every p(y|x) is one-hot and p(y) is uniform on the 4 classes "
             "used: what is the KL of a one-hot vector to that marginal?",
        known_wrong=(
            (10.0, "The score does not know that 10 classes exist: p(y) is the generator's own marginal, uniform "
                   "over the 4 classes it produces."),
            (math.log(K_CLASSES), "That is E_x KL(p(y|x) || p(y)), the mutual information; the Inception Score is "
                                  "its exponential."),
            (1.0, "IS = 1 when every image gets the SAME prediction; here the predictions differ (4 classes)."),
            (K_CLASSES / 10, "IS is not a coverage fraction: it is exp of a KL divergence, between 1 and the number "
                             "of classes."),
            (math.log(10) - math.log(K_CLASSES), "log(10/4) is the KL of the class histogram to uniform over 10 "
                                                 "classes (the mode-counting metric), not the Inception Score."),
        )),
    leaks=(r"\\?exp\s*\(\s*\\?log\s*4(?![\d.])",))


@with_spec(IS_K_CLASSES)
def check_is_k_classes(answer, quiet: bool = False) -> Result:
    """Exercise 10.3: the Inception Score of confident one-hot predictions spread evenly over k = 4 of
    10 classes (a number, to 1e-6)."""
    return check(IS_K_CLASSES, answer, quiet)


# -- 10.4 ----------------------------------------------------------------------------------
_MIXTURE_CASES = ((0.5, 10), (0.25, 10), (0.9, 4), (1.0, 7), (0.0, 10), (0.3, 1000))


def _mixture_cases(rng) -> list:
    """f inside (0, 1), at 0 and at 1, K from 2 to a thousand: the book's six, or six fresh ones."""
    if rng is None:
        return [list(c) for c in _MIXTURE_CASES]
    return [[float(rng.uniform(0.05, 0.45)), int(rng.integers(2, 21))],
            [float(rng.uniform(0.55, 0.95)), int(rng.integers(2, 61))],
            [1.0, int(rng.integers(2, 41))],
            [0.0, int(rng.integers(2, 41))],
            [float(rng.uniform(0.1, 0.9)), int(rng.integers(100, 2001))],
            [float(rng.uniform(0.2, 0.8)), 2]]


def _inception_mixture_reference(f: float, k: int) -> float:
    """The instructor's closed form for exercise 10.4."""
    score = float(k) ** f
    return score


def _judge_mixture(cases, values):
    for (f, k), value in zip(cases, values, strict=True):
        where = f"For f = {f:.6g}, K = {k}"
        got, expected = one_number(value), _inception_mixture_reference(f, k)
        if got is None:
            return False, f"{where}: return one number, got {str(value)[:80]}."
        tol = 1e-9 * expected
        if abs(got - expected) <= tol:
            continue
        why = first_wrong(got, (
            (f * k + (1 - f), "You averaged exp(KL) over the images; the score averages the KL first and then takes "
                              "exp."),
            (f * k, "A fraction of the maximum is not right: the KL values are averaged in log space, so the score is "
                    "a geometric mean."),
            (f * math.log(k), "That is E_x KL(p(y|x) || p(y)); the Inception Score is its exponential."),
            (float(k), "The unsure images have KL(uniform || p(y)) = 0 and pull the average KL down."),
        ), lambda a, b, tol=tol: abs(a - b) <= tol, expected)
        if why:
            return False, f"{where}: {why}"
        return False, (f"{where} you returned {got!r}. Compute p(y) first (the mix of the two kinds), then "
                       "E_x KL(p(y|x) || p(y)) as the average over the two kinds, and only then take exp.")
    return True, ("IS = K^f: p(y) stays uniform, a confident image has KL = log K and an unsure one 0, and the score "
                  "takes exp of their average, a geometric mean. Half unsure over 10 classes scores sqrt(10) ≈ 3.162, "
                  "not 5.5: a fraction of bad images costs a lot.")


IS_MIXTURE = Spec(answer="is_mixture", judge=_judge_mixture, cases=_mixture_cases,
                  forbid=("gantools.metrics.inception_score",),
                  describe=lambda case: f"For f = {case[0]:.6g}, K = {case[1]}",
                  leaks=(r"K\s*\^\s*\{?\s*f(?![\w(])", r"\\sqrt\{10\}|√10|sqrt\(10\)", r"(?<![\d.])3\.162"))


@with_spec(IS_MIXTURE)
def check_is_half_unsure(is_mixture, quiet: bool = False) -> Result:
    """Exercise 10.4: ``is_mixture(f, K)``: the Inception Score of a generator whose images are, for a
    fraction f, confident one-hot predictions spread evenly over K classes and, for the rest, uniform
    p(y|x) = 1/K; checked at six (f, K), f = 0 and f = 1 included, to a relative 1e-9. The answer may
    not call an Inception Score routine."""
    return check(IS_MIXTURE, is_mixture, quiet)


# -- 10.5 ----------------------------------------------------------------------------------
# (n, d, s1, s2): samples per set, dimension, the data's and the generator's standard deviations.
_SPREAD_CASES = ((1000, 8, 1.0, 0.4), (2000, 3, 2.0, 0.5), (500, 16, 0.7, 0.7), (1000, 1, 1.0, 3.0),
                 (5000, 24, 1.0, 1.5), (300, 2, 0.1, 0.05))
SPREAD_TOL = 0.02  # relative: n versus n - 1 in a denominator, and a simulation's noise, pass


def _spread_cases(rng) -> list:
    """A generator narrower and wider than the data, the same spread, d = 1 and d up to 24, tiny spreads:
    the book's six, or six fresh ones (with n >= 300 and n >= 4 d²)."""
    if rng is None:
        return [list(c) for c in _SPREAD_CASES]
    out = []
    d = int(rng.integers(2, 11))
    s1 = float(rng.uniform(0.5, 2.0))
    out.append([int(rng.integers(max(300, 4 * d * d), 3001)), d, s1, s1 * float(rng.uniform(0.2, 0.5))])  # narrow
    d = int(rng.integers(12, 25))
    s1 = float(rng.uniform(0.3, 3.0))
    out.append([int(rng.integers(max(1000, 4 * d * d), 8001)), d, s1, s1 * float(rng.uniform(1.5, 3.0))])  # wide
    s = float(rng.uniform(0.2, 3.0))
    out.append([int(rng.integers(1200, 4001)), int(rng.integers(4, 17)), s, s])  # the same spread
    s1 = float(rng.uniform(0.3, 3.0))
    out.append([int(rng.integers(500, 5001)), 1, s1, s1 * float(rng.choice([rng.uniform(0.1, 0.5),
                                                                            rng.uniform(2.0, 5.0)]))])
    out.append([int(rng.integers(300, 1001)), int(rng.integers(2, 4)), float(rng.uniform(0.05, 0.2)),
                float(rng.uniform(0.01, 0.1))])  # tiny spreads
    d = int(rng.integers(5, 13))
    out.append([int(rng.integers(max(300, 4 * d * d), 3001)), d, float(rng.uniform(0.3, 3.0)),
                float(rng.uniform(0.3, 3.0))])  # anything
    return out


def spread_bias_reference(n: int, d: int, s1: float, s2: float) -> float:
    """The instructor's closed form for exercise 10.5 (the chapter's run after the check measures the same
    bias)."""
    mean_term = d * (s1**2 + s2**2) / n
    trace_term = s1 * s2 * d * (d + 1) / (2 * (n - 1))
    return mean_term + trace_term


spread_bias = spread_bias_reference  # the name the chapter's run cell imports (forbidden to answers all the same)


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
         "the mean term's bias grows with the variances, but the trace term's is not the average variance times "
         "section 10.2's: expand the square root around the true covariances and see which combination of s1 and "
         "s2 multiplies it"),
        (s1 * s2 * page, "the mean term: m1_hat - m2_hat has covariance (s1² + s2²) I / n; what is "
                         "E ||m1_hat - m2_hat||²?"),
        (s1 * s2 * pairs, "the sample means differ too: add the mean term's E ||m1_hat - m2_hat||²"),
        (mean, "that is the mean term alone: the trace term is biased too, and its bias grows like d²"),
        (mean - s1 * s2 * pairs,
         "the trace term's bias is positive: the square root is concave, so the expected Tr (S1_hat^(1/2) S2_hat "
         "S1_hat^(1/2))^(1/2) falls below its value at the true covariances, and the trace term, which subtracts "
         "twice it, rises"),
        (mean + s1 * s2 * d * d / (2 * (n - 1)),
         "a diagonal entry of a sample covariance has twice the variance of an off-diagonal one (2 lambda² / (n - 1) "
         "against lambda² / (n - 1)): count the entries again"),
        (mean + s1 * s2 * d / (n - 1),
         "the dimensions are not independent problems: the off-diagonal entries of the sample covariances are "
         "estimated too, and their d (d - 1) pairs make the bias grow like d², not like d"),
        (mean + 2 * s1 * s2 * pairs,
         "the trace term's bias is a factor 2 too large: the second-order term of sqrt(1 + x) is -x²/8"),
    )


def _judge_spread(cases, values):
    for (n, d, s1, s2), value in zip(cases, values, strict=True):
        where = f"For n = {n}, d = {d}, s1 = {s1:.4g}, s2 = {s2:.4g}"
        got, expected = one_number(value), spread_bias_reference(n, d, s1, s2)
        if got is None or not math.isfinite(got):
            return False, f"{where}: return one finite number, got {str(value)[:80]}."
        if abs(got - expected) <= SPREAD_TOL * expected:
            continue
        why = first_wrong(got, _wrong_spread_biases(n, d, s1, s2),
                          lambda a, b: abs(a - b) <= SPREAD_TOL * abs(b), expected)
        if why:
            return False, f"{where} you returned {got:.6g}: {why}."
        return False, (f"{where} you returned {got:.6g}, which is not the bias to within 2%. Split FD into the mean "
                       "term and the trace term; write S_hat = s² (I + A) and expand the trace term to second order in "
                       "A1 and A2, whose entries have the variances of section 10.2.")
    return True, ("Bias = d (s1² + s2²) / n + s1 s2 d (d + 1) / (2 (n - 1)): the mean term's bias grows with the "
                  "variances, but the trace term's, the one that grows like d², with the product s1 s2. A generator "
                  "narrower than the data gets less bias than the data against itself, so subtracting the "
                  "real-vs-real floor over-corrects it.")


FD_BIAS_SPREAD = Spec(
    answer="fd_bias", judge=_judge_spread, cases=_spread_cases, forbid=FD_REFERENCES,
    describe=lambda c: f"For n = {c[0]}, d = {c[1]}, s1 = {c[2]:.4g}, s2 = {c[3]:.4g}",
    leaks=(r"s_?1\s*(?:\*|\\,)?\s*s_?2\s*(?:\*|\\,)?\s*d\s*\*?\s*\(\s*d\s*\+\s*1\s*\)",
           r"d\s*\*?\s*\(\s*s_?1\s*(?:\^\s*2|\*\*\s*2|²)\s*\+\s*s_?2\s*(?:\^\s*2|\*\*\s*2|²)\s*\)\s*/\s*n"))


@with_spec(FD_BIAS_SPREAD)
def check_fd_bias_spread(fd_bias, quiet: bool = False) -> Result:
    """Exercise 10.5: ``fd_bias(n, d, s1, s2)`` returns, to leading order in 1/n, the bias
    E FD - d (s1 - s2)² of the FD between n samples of N(0, s1² I_d) and n of N(0, s2² I_d).
    Section 10.2 prints only s1 = s2 = 1. Checked at six (n, d, s1, s2), n >= 300, to a relative
    tolerance of 2% (n or n - 1 in the denominators and a careful simulation both pass); may not call
    an FD implementation, so a simulation with gantools' ``fid_from_features`` is not an answer."""
    return check(FD_BIAS_SPREAD, fd_bias, quiet)
