"""Checks for chapter 3, the JSD identity.

- :func:`check_collapsed_jsd`: JSD between K disjoint equal modes and a generator on one of them.
- :func:`check_jsd_on_grid`: a student's ``jsd_on_grid(p, q, dx)`` from density arrays.
- :func:`check_value_uniform`: V(D*, G) for p_data = U(0, 1), p_g = U(0, 2).
- :func:`check_ns_gradient`: a student's ``ns_gradient(theta0)``, the non-saturating generator's
  gradient for a Gaussian pair, computed without gantools.theory.

Each check is a :class:`~gantools.exercises.protocol.Spec`: the grader draws fresh cases from the ranges
below for every submission and judges the plain outputs in its own process.
"""

from __future__ import annotations

import math

import numpy as np

from ..distributions import GaussianMixture
from ..theory import expectation, js_divergence, optimal_discriminator
from .common import Result, close, distribution, first_wrong, judge_number, one_number
from .protocol import Spec, check, with_spec

__all__ = ["check_collapsed_jsd", "check_jsd_on_grid", "check_value_uniform", "check_ns_gradient"]

LOG2 = math.log(2.0)
# The quadrature of gantools.theory computes the answers of 3.1, 3.2 and 3.4: an answer may not call it.
THEORY_REFERENCES = tuple(f"gantools.theory.{name}" for name in (
    "js_divergence", "kl_divergence", "value_function", "expectation", "optimal_discriminator",
    "OptimalDiscriminator", "integrate"))


# -- 3.1 -----------------------------------------------------------------------------------
def collapsed_jsd_reference(k: int) -> float:
    """The instructor's closed form for exercise 3.1."""
    return 0.5 * (math.log(2 / (k + 1)) / k + (1 - 1 / k) * LOG2 + math.log(2 * k / (k + 1)))


_COLLAPSE_CASES = (8, 2, 25, 1, 3)


def _collapse_cases(rng) -> list:
    """K = 1 and 2, a few modes, tens of modes and up to 10⁵: the book's five or five fresh."""
    if rng is None:
        return list(_COLLAPSE_CASES)
    return [int(rng.integers(3, 11)), 1, int(rng.integers(11, 100)), 2, int(rng.integers(100, 100_000))]


def _judge_collapsed(cases, values):
    for k, value in zip(cases, values, strict=True):
        got, expected = one_number(value), collapsed_jsd_reference(k)
        if got is None:
            return False, f"For K = {k}: return one number, got {str(value)[:80]}."
        if close(got, expected, 1e-9):
            continue
        why = first_wrong(got, (
            (LOG2, "log 2 is the JSD of disjoint supports; here the supports overlap on the covered mode."),
            (math.log(k), "log K is KL(p_g ‖ p_data), not the JSD: JSD compares both with the mixture m."),
            (expected / LOG2, "That is in bits (log base 2); the book measures JSD in nats."),
            (2 * expected, "That is KL(p‖m) + KL(q‖m) = 2·JSD: average the two."),
            ((1 - 1 / k) * LOG2, "The covered mode contributes too: there p = q/K, and p/m and q/m are "
                                 "constants: work them out."),
        ), lambda a, b: close(a, b, 1e-9), expected)
        return False, f"For K = {k}: " + (why or (
            f"you returned {got!r}, which is not the JSD. Split the line into the covered mode (p = q/K there) "
            "and the K - 1 others (q = 0): on each piece p/m and q/m are constants."))
    return True, (f"JSD = ½[(1/K) log(2/(K + 1)) + (1 - 1/K) log 2 + log(2K/(K + 1))]: 0 for K = 1, "
                  f"¾ log(4/3) ≈ {collapsed_jsd_reference(2):.4f} for two modes, {collapsed_jsd_reference(8):.4f} "
                  "for the 8-mode ring, and up to log 2 as K grows: a collapsed generator is not far in JSD.")


COLLAPSED_JSD = Spec(
    answer="collapsed_jsd", judge=_judge_collapsed, cases=_collapse_cases, build=lambda k: (k,),
    forbid=THEORY_REFERENCES, describe=lambda k: f"For K = {k}",
    leaks=(r"\\log\s*\\frac\s*\{?2\s*K\}?\s*\{K\s*\+\s*1\}",  # LaTeX: log 2K/(K + 1)
           r"\\frac\s*\{?1\}?\s*\{?K\}?\s*\\log\s*\\frac\s*\{?2\}?\s*\{K\s*\+\s*1\}",  # (1/K) log 2/(K + 1)
           r"log\s*\(\s*2\s*\*?\s*K\s*/\s*\(\s*K\s*\+\s*1\s*\)",  # log(2K/(K + 1)), np.log(2 * K / (K + 1))
           r"(?<![\d.])0\.4969"))


@with_spec(COLLAPSED_JSD)
def check_collapsed_jsd(collapsed_jsd, quiet: bool = False) -> Result:
    """Exercise 3.1: ``collapsed_jsd(K)``: JSD(p_data ‖ p_g) in nats when p_data has K equally
    weighted modes with disjoint supports and p_g is exactly one of them. Checked for K = 1, 2
    and several larger K, to 1e-9; the answer may not call gantools.theory."""
    return check(COLLAPSED_JSD, collapsed_jsd, quiet)


# -- 3.2 -----------------------------------------------------------------------------------
def _gauss(means, stds, weights=None) -> dict:
    return {"means": [float(m) for m in means], "stds": [float(s) for s in stds],
            "weights": [float(w) for w in (weights if weights is not None else [1.0 / len(means)] * len(means))]}


def _uniform(low, high) -> dict:
    return {"low": float(low), "high": float(high)}


def _grid_cases(rng) -> list:
    """(p, q, dx): two Gaussians, a two-mode mixture against a Gaussian, partly overlapping and disjoint
    uniforms; asymmetric pairs catch KL(p‖m)-only answers. The book's four or four fresh."""
    if rng is None:
        return [{"p": _gauss([0.0], [1.0]), "q": _gauss([1.0], [2.0]), "dx": 1e-3},
                {"p": _gauss([-2.0, 2.0], [0.5, 1.0], [0.3, 0.7]), "q": _gauss([0.5], [0.7]), "dx": 1e-3},
                {"p": _uniform(0.0, 1.0), "q": _uniform(0.5, 3.0), "dx": 1e-3},
                {"p": _uniform(0.0, 1.0), "q": _uniform(3.0, 4.0), "dx": 1e-3}]
    u = rng.uniform
    m1, w = u(-3, 3), u(0.3, 0.7)
    a1, w1 = u(-6, 0), u(0.8, 2.0)
    a2, w2 = u(-6, 0), u(0.8, 2.0)
    b2 = a2 + w2 + u(0.5, 3.0)
    pairs = [(_gauss([m1], [u(0.5, 1.2)]), _gauss([m1 + rng.choice([-1, 1]) * u(0.5, 2.5)], [u(1.5, 2.5)])),
             (_gauss([-u(1.0, 3.0), u(1.0, 3.0)], [u(0.4, 1.0), u(0.4, 1.0)], [w, 1 - w]),
              _gauss([u(-1, 1)], [u(0.5, 1.2)])),
             (_uniform(a1, a1 + w1), _uniform(a1 + u(0.2, 0.8) * w1, a1 + w1 + u(0.8, 2.5))),
             (_uniform(a2, a2 + w2), _uniform(b2, b2 + u(0.8, 2.0)))]
    order = rng.permutation(4)
    return [{"p": pairs[i][0], "q": pairs[i][1], "dx": float(u(6e-4, 1.2e-3))} for i in order]


def _densities(case) -> tuple[np.ndarray, np.ndarray, float]:
    """The density arrays (p, q) on the uniform grid of spacing dx over [-15, 15], and dx."""
    dx = case["dx"]
    x = np.arange(-15.0, 15.0 + dx / 2, dx)
    return distribution(case["p"]).pdf(x), distribution(case["q"]).pdf(x), dx


def _name(d: dict) -> str:
    if "low" in d:
        return f"U({d['low']:.3g}, {d['high']:.3g})"
    if len(d["means"]) == 1:
        return f"N({d['means'][0]:.3g}, {d['stds'][0]:.3g})"
    return "a two-mode mixture" if len(d["means"]) == 2 else f"a {len(d['means'])}-mode mixture"


def _describe_grid(case) -> str:
    p, q = case["p"], case["q"]
    extra = ""
    if "low" in p and "low" in q:
        extra = " (disjoint)" if p["high"] < q["low"] or q["high"] < p["low"] else " (partly overlapping)"
    return f"On {_name(p)} vs {_name(q)}{extra}"


def _grid_jsd_variants_reference(p: np.ndarray, q: np.ndarray, dx: float) -> dict[str, float]:
    """For exercise 3.2: the plausible wrong answers on the grid, with 0 log 0 = 0."""
    m = 0.5 * (p + q)

    def kl(a, b):
        pos = a > 0
        return float(np.sum(a[pos] * np.log(a[pos] / b[pos])) * dx)

    kl_pm, kl_qm = kl(p, m), kl(q, m)
    jsd = 0.5 * (kl_pm + kl_qm)
    return {
        "without the ½ (that is KL(p‖m) + KL(q‖m) = 2·JSD)": 2 * jsd,
        "KL(p‖m) only: JSD averages KL(p‖m) and KL(q‖m)": kl_pm,
        "½KL(p‖m) only: the ½KL(q‖m) half is missing": 0.5 * kl_pm,
        "in bits: use the natural log (nats), not log2": jsd / LOG2,
        "missing the factor dx: an integral is a sum times dx": jsd / dx,
    }


GRID_TOL = 3e-3  # a Riemann sum on dx ≤ 1.2e-3 is within ~1.5e-3 of the integral at a uniform's edges


def _judge_grid(cases, values):
    for case, value in zip(cases, values, strict=True):
        name, got = _describe_grid(case), one_number(value)
        if got is None:
            return False, f"{name}: return one number (the sum over the grid times dx), got {str(value)[:80]}."
        if math.isnan(got):
            return False, (f"{name} you returned nan: where p = 0, p·log(p/m) must count as 0 (0·log 0 = 0); use "
                           "np.where or scipy.special.xlogy.")
        expected = js_divergence(distribution(case["p"]), distribution(case["q"]))
        if close(got, expected, GRID_TOL):
            continue
        for why, wrong in _grid_jsd_variants_reference(*_densities(case)).items():
            if close(got, wrong, GRID_TOL):
                return False, f"{name} you returned {got:.4f}: {why}."
        return False, (f"{name} you returned {got:.4f}, which is not the JSD in nats. "
                       "JSD = ½Σ p log(p/m) dx + ½Σ q log(q/m) dx with m = (p + q)/2.")
    return True, "jsd_on_grid agrees with the quadrature on all four pairs (disjoint included: log 2)."


JSD_ON_GRID = Spec(
    answer="jsd_on_grid", judge=_judge_grid, cases=_grid_cases, build=_densities,
    forbid=THEORY_REFERENCES + ("scipy.spatial.distance.jensenshannon",), describe=_describe_grid,
    leaks=(r"xlogy\(\s*p\s*,\s*p\s*\)\s*-\s*xlogy\(\s*p\s*,\s*m\s*\)",
           r"xlogy\(\s*q\s*,\s*q\s*\)\s*-\s*xlogy\(\s*q\s*,\s*m\s*\)"))


@with_spec(JSD_ON_GRID)
def check_jsd_on_grid(jsd_on_grid, quiet: bool = False) -> Result:
    """Exercise 3.2: ``jsd_on_grid(p, q, dx)`` takes densities on a uniform grid (arrays)
    and returns JSD in nats. Checked against gantools.theory.js_divergence (quadrature) on
    Gaussian, mixture and uniform pairs, disjoint supports included, to 3e-3. The answer may not
    call gantools.theory or scipy's jensenshannon."""
    return check(JSD_ON_GRID, jsd_on_grid, quiet)


# -- 3.3 -----------------------------------------------------------------------------------
_V_UNIFORM = LOG2 - 1.5 * math.log(3.0)
VALUE_UNIFORM = Spec(
    answer="v_uniform", call=False,
    judge=judge_number(
        _V_UNIFORM, 1e-4,
        ok=f"V(D*, G) = log 2 - (3/2) log 3 ≈ {_V_UNIFORM:.4f}, so JSD = (V + log 4)/2 ≈ "
           f"{(_V_UNIFORM + math.log(4.0)) / 2:.4f} nats.",
        hint="Split the line into [0, 1] (both densities positive, D* = 2/3) and [1, 2] (only p_g, D* = 0).",
        known_wrong=(
            (-math.log(4.0), "-log 4 is V when D = 1/2 everywhere, which is optimal only when p_g = p_data. "
                             "Here D* = p_data/(p_data + p_g) = 2/3 on [0, 1]."),
            ((_V_UNIFORM + math.log(4.0)) / 2, "That is JSD. The question asks for V(D*, G) = 2·JSD - log 4."),
            (math.log(2 / 3) + math.log(1 / 3), "p_g has density 1/2, not 1: E_{p_g} weights log(1 - D*) by 1/2."),
            (math.log(2 / 3) + 0.5 * math.log(1 / 3) + 0.5 * math.log(0.5),
             "On [1, 2] only p_g has mass, so D* = 0 there and log(1 - D*) = 0, not log(1/2)."),
        )),
    leaks=(r"(?<![\d.])0\.954[78]", r"\\log\s*2\s*-\s*\\t?frac\s*\{?3\}?\s*\{?2\}?\s*\\log\s*3",
           r"log\s*\(?\s*2\s*\)?\s*-\s*\(?\s*(?:3/2|1\.5)\s*\)?\s*\*?\s*(?:np\.|math\.)?log\s*\(?\s*3"))


@with_spec(VALUE_UNIFORM)
def check_value_uniform(answer, quiet: bool = False) -> Result:
    """Exercise 3.3: V(D*, G) for p_data = U(0, 1) and p_g = U(0, 2) (a number, to 1e-4)."""
    return check(VALUE_UNIFORM, answer, quiet)


# -- 3.4 -----------------------------------------------------------------------------------
def _ns_gradients_reference(theta0: float = 1.0, h: float = 1e-4) -> dict[str, float]:
    """For exercise 3.4, p_data = N(0, 1), p_g = N(theta, 1) and D* fixed at theta0: the gradients at
    theta0 of the non-saturating loss, of the minimax loss and of KL(p_g‖p_data), by central finite
    differences of the quadrature."""
    p_data = GaussianMixture([0.0], 1.0)
    d_star = optimal_discriminator(p_data, GaussianMixture([theta0], 1.0))

    def fd(f):
        return (f(theta0 + h) - f(theta0 - h)) / (2 * h)

    ns = fd(lambda t: expectation(lambda x: -d_star.log_d(x), GaussianMixture([t], 1.0)))
    mm = fd(lambda t: expectation(d_star.log_one_minus_d, GaussianMixture([t], 1.0)))
    return {"ns": ns, "minimax": mm, "kl": theta0}


_NS_THETAS = (1.0, 0.5, 2.0, 4.0)


def _theta_cases(rng) -> list:
    """θ0 near 0, around 1, a few and several standard deviations away: the book's four or four fresh."""
    if rng is None:
        return list(_NS_THETAS)
    return [float(rng.uniform(lo, hi)) for lo, hi in ((0.8, 1.6), (0.2, 0.8), (1.6, 3.0), (3.0, 6.0))]


def _judge_ns(cases, values):
    for theta0, value in zip(cases, values, strict=True):
        ref, got = _ns_gradients_reference(theta0), one_number(value)
        where = f"At θ0 = {theta0:.6g}"
        if got is None:
            return False, f"{where}: return one number, got {str(value)[:80]}."
        tol = 1e-5 * max(1.0, abs(ref["ns"]))
        if close(got, ref["ns"], tol):
            continue
        why = first_wrong(got, (
            (ref["kl"], "That is the gradient of KL(p_g‖p_data) alone; the -2·JSD term is missing."),
            (ref["minimax"], "That is the minimax loss's gradient (d/dθ 2·JSD), not the non-saturating one."),
            (-ref["minimax"], "That is minus the minimax gradient; the non-saturating loss is KL - 2 JSD."),
            (ref["kl"] + ref["minimax"], "Sign error: the non-saturating divergence is KL - 2·JSD, not KL + 2·JSD."),
            (-ref["ns"], "Sign error: the loss E[-log D*] is minimised; give its gradient, not the ascent direction."),
        ), lambda a, b, tol=tol: close(a, b, tol), ref["ns"])
        return False, f"{where}: " + (why or (
            f"you returned {got!r}, which is not the gradient. The logit of D* for N(0, 1) against N(θ0, 1) is "
            "linear in x; write x = θ + z and differentiate under the expectation."))
    ref = _ns_gradients_reference(1.0)
    return True, (f"Right at every θ0: the gradient is θ0 E_z[σ(θ0 z + θ0²/2)], z ~ N(0, 1). At θ0 = 1 it is "
                  f"{ref['ns']:.5f}, larger than the "
                  f"minimax gradient {ref['minimax']:.5f}; the two add up to dKL/dθ = θ0, and the gap widens with "
                  "distance.")


NS_GRADIENT = Spec(
    answer="ns_gradient", judge=_judge_ns, cases=_theta_cases, build=lambda t: (t,), forbid=THEORY_REFERENCES,
    describe=lambda t: f"At θ0 = {t:.6g}",
    leaks=(r"(?<![\d.])0\.602\d*(?![\d])",  # the gradient at θ0 = 1
           r"\\sigma\s*\(\s*\\theta_0\s*z\s*\+\s*\\t?frac\s*\{?\\theta_0\^2\}?\s*\{?2\}?",  # σ(θ0 z + θ0²/2), LaTeX
           r"\\sigma\s*\(\s*\\theta_0\s*z\s*\+\s*\\theta_0\^2\s*/\s*2",
           r"σ\s*\(\s*θ0?\s*z\s*\+\s*θ0?\s*(?:²|\*\*\s*2|\^2)\s*/\s*2",  # Unicode
           r"expit\(\s*theta0\s*\*\s*z\s*\+\s*theta0\s*\*\*\s*2\s*/\s*2"))  # code


@with_spec(NS_GRADIENT)
def check_ns_gradient(ns_gradient, quiet: bool = False) -> Result:
    """Exercise 3.4: ``ns_gradient(theta0)`` is d/dθ of E_{N(θ,1)}[-log D*(x)] at θ = θ0, with
    D* held fixed at its value for θ0 and p_data = N(0, 1). Checked at several θ0 from 0.2 to 6
    against finite differences of gantools' quadrature, to a relative 1e-5; the answer may not call
    gantools.theory (derive the logit of D*, then integrate)."""
    return check(NS_GRADIENT, ns_gradient, quiet)
