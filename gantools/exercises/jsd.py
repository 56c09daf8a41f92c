"""Checks for chapter 3, the JSD identity.

- :func:`check_collapsed_jsd`: JSD between K disjoint equal modes and a generator on one of them.
- :func:`check_jsd_on_grid`: a student's ``jsd_on_grid(p, q, dx)`` from density arrays.
- :func:`check_value_uniform`: V(D*, G) for p_data = U(0, 1), p_g = U(0, 2).
- :func:`check_ns_gradient`: a student's ``ns_gradient(theta0)``, the non-saturating generator's
  gradient for a Gaussian pair, computed without gantools.theory.
"""

from __future__ import annotations

import math

import numpy as np

from ..distributions import GaussianMixture, Uniform
from ..theory import expectation, js_divergence, optimal_discriminator
from .common import Result, call, check_number, close, not_attempted, report

__all__ = ["check_collapsed_jsd", "check_jsd_on_grid", "check_value_uniform", "check_ns_gradient"]

LOG2 = math.log(2.0)
# The quadrature of gantools.theory computes the answers of 3.1, 3.2 and 3.4: an answer may not call it.
THEORY_REFERENCES = tuple(f"gantools.theory.{name}" for name in (
    "js_divergence", "kl_divergence", "value_function", "expectation", "optimal_discriminator",
    "OptimalDiscriminator", "integrate"))


def collapsed_jsd_reference(k: int) -> float:
    """JSD in nats between K equally weighted modes with disjoint supports and a generator that
    reproduces one of them exactly: on the covered mode p = q/K and m = q (1 + 1/K)/2; on the
    others q = 0 and m = p/2. So JSD = ½[(1/K) log(2/(K + 1)) + (1 - 1/K) log 2 + log(2K/(K + 1))]."""
    return 0.5 * (math.log(2 / (k + 1)) / k + (1 - 1 / k) * LOG2 + math.log(2 * k / (k + 1)))


_COLLAPSE_CASES = (8, 2, 25, 1, 3)


def check_collapsed_jsd(collapsed_jsd, quiet: bool = False) -> Result:
    """Exercise 3.1: ``collapsed_jsd(K)``: JSD(p_data ‖ p_g) in nats when p_data has K equally
    weighted modes with disjoint supports and p_g is exactly one of them. Checked for K = 1,
    2, 3, 8 and 25; the answer may not call gantools.theory."""
    if collapsed_jsd is None:
        not_attempted("collapsed_jsd")
    for k in _COLLAPSE_CASES:
        value, err = call(collapsed_jsd, k, forbid=THEORY_REFERENCES)
        if err:
            return report(False, "", f"For K = {k}: {err}", quiet)
        expected = collapsed_jsd_reference(k)
        r = check_number(
            value, expected, 1e-9, ok="",
            hint=f"For K = {k} you returned {value!r}, expected {expected:.6f}. Split the line into the covered "
                 "mode (p = q/K there) and the K - 1 others (q = 0): on each piece p/m and q/m are constants.",
            known_wrong=(
                (LOG2, "log 2 is the JSD of disjoint supports; here the supports overlap on the covered mode."),
                (math.log(k), "log K is KL(p_g ‖ p_data), not the JSD: JSD compares both with the mixture m."),
                (expected / LOG2, "That is in bits (log base 2); the book measures JSD in nats."),
                (2 * expected, "That is KL(p‖m) + KL(q‖m) = 2·JSD: average the two."),
                ((1 - 1 / k) * LOG2, "The covered mode contributes too: there p/m = 2/(K + 1) and q/m = 2K/(K + 1)."),
            ),
            quiet=True)
        if not r:
            return report(False, "", f"For K = {k}: {r.message}", quiet)
    return report(True, f"JSD = ½[(1/K) log(2/(K + 1)) + (1 - 1/K) log 2 + log(2K/(K + 1))]: 0 for K = 1, "
                  f"¾ log(4/3) ≈ {collapsed_jsd_reference(2):.4f} for two modes, {collapsed_jsd_reference(8):.4f} "
                  "for the 8-mode ring, and up to log 2 as K grows: a collapsed generator is not far in JSD.",
                  "", quiet)


def _grid_cases(dx: float) -> list[tuple[str, object, object]]:
    """(name, p, q) test pairs for jsd_on_grid; asymmetric ones catch KL(p‖m)-only answers."""
    return [
        ("N(0, 1) vs N(1, 2)", GaussianMixture([0.0], 1.0), GaussianMixture([1.0], 2.0)),
        ("a two-mode mixture vs N(0.5, 0.7)", GaussianMixture([-2.0, 2.0], [0.5, 1.0], [0.3, 0.7]),
         GaussianMixture([0.5], 0.7)),
        ("U(0, 1) vs U(0.5, 3) (partly overlapping)", Uniform(0.0, 1.0), Uniform(0.5, 3.0)),
        ("U(0, 1) vs U(3, 4) (disjoint)", Uniform(0.0, 1.0), Uniform(3.0, 4.0)),
    ]


def _grid_jsd_variants(p: np.ndarray, q: np.ndarray, dx: float) -> dict[str, float]:
    """The right answer on the grid and the plausible wrong ones, with 0 log 0 = 0."""
    m = 0.5 * (p + q)

    def kl(a, b):
        pos = a > 0
        return float(np.sum(a[pos] * np.log(a[pos] / b[pos])) * dx)

    kl_pm, kl_qm = kl(p, m), kl(q, m)
    jsd = 0.5 * (kl_pm + kl_qm)
    return {
        "right": jsd,
        "without the ½ (that is KL(p‖m) + KL(q‖m) = 2·JSD)": 2 * jsd,
        "KL(p‖m) only: JSD averages KL(p‖m) and KL(q‖m)": kl_pm,
        "½KL(p‖m) only: the ½KL(q‖m) half is missing": 0.5 * kl_pm,
        "in bits: use the natural log (nats), not log2": jsd / LOG2,
        "missing the factor dx: an integral is a sum times dx": jsd / dx,
    }


def check_jsd_on_grid(jsd_on_grid, quiet: bool = False) -> Result:
    """Exercise 3.2: ``jsd_on_grid(p, q, dx)`` takes densities on a uniform grid (arrays)
    and returns JSD in nats. Checked against gantools.theory.js_divergence (quadrature) on
    Gaussian, mixture and uniform pairs, disjoint supports included. The answer may not call
    gantools.theory or scipy's jensenshannon."""
    if jsd_on_grid is None:
        not_attempted("jsd_on_grid")
    dx = 1e-3
    x = np.arange(-15.0, 15.0 + dx / 2, dx)
    tol = 3e-3  # a Riemann sum on dx = 1e-3 is within ~1e-3 of the integral at a uniform's edges
    for name, pd, qd in _grid_cases(dx):
        p, q = pd.pdf(x), qd.pdf(x)
        value, err = call(jsd_on_grid, p.copy(), q.copy(), dx,
                          forbid=THEORY_REFERENCES + ("scipy.spatial.distance.jensenshannon",))
        if err:
            return report(False, "", f"On {name}: {err}", quiet)
        try:
            value = float(value)
        except (TypeError, ValueError):
            return report(False, "", f"On {name}: return one number (the sum over the grid times dx), "
                          f"got {type(value).__name__}", quiet)
        if math.isnan(value):
            return report(False, "", f"On {name} you returned nan: where p = 0, p·log(p/m) must count as 0 "
                          "(0·log 0 = 0); use np.where or scipy.special.xlogy.", quiet)
        expected = js_divergence(pd, qd)
        if close(value, expected, tol):
            continue
        for why, wrong in _grid_jsd_variants(p, q, dx).items():
            if why != "right" and close(value, wrong, tol):
                return report(False, "", f"On {name} you returned {value:.4f}, expected {expected:.4f}: {why}.", quiet)
        return report(False, "", f"On {name} you returned {value:.4f}, expected {expected:.4f} nats. "
                      "JSD = ½Σ p log(p/m) dx + ½Σ q log(q/m) dx with m = (p + q)/2.", quiet)
    return report(True, "jsd_on_grid agrees with the quadrature on all four pairs (disjoint included: log 2).",
                  "", quiet)


def check_value_uniform(answer, quiet: bool = False) -> Result:
    """Exercise 3.3: V(D*, G) for p_data = U(0, 1) and p_g = U(0, 2): log 2 - (3/2) log 3."""
    expected = LOG2 - 1.5 * math.log(3.0)
    jsd = (expected + math.log(4.0)) / 2
    return check_number(
        answer, expected, 1e-4,
        ok=f"V(D*, G) = log 2 - (3/2) log 3 ≈ {expected:.4f}, so JSD = (V + log 4)/2 ≈ {jsd:.4f} nats.",
        hint="Split the line into [0, 1] (both densities positive, D* = 2/3) and [1, 2] (only p_g, D* = 0).",
        known_wrong=(
            (-math.log(4.0), "-log 4 is V when D = 1/2 everywhere, which is optimal only when p_g = p_data. "
                             "Here D* = p_data/(p_data + p_g) = 2/3 on [0, 1]."),
            (jsd, "That is JSD. The question asks for V(D*, G) = 2·JSD - log 4."),
            (math.log(2 / 3) + math.log(1 / 3), "p_g has density 1/2, not 1: E_{p_g} weights log(1 - D*) by 1/2."),
            (math.log(2 / 3) + 0.5 * math.log(1 / 3) + 0.5 * math.log(0.5),
             "On [1, 2] only p_g has mass, so D* = 0 there and log(1 - D*) = 0, not log(1/2)."),
        ),
        quiet=quiet,
    )


def _ns_gradients(theta0: float = 1.0, h: float = 1e-4) -> dict[str, float]:
    """For p_data = N(0, 1), p_g = N(theta, 1) and D* fixed at theta0: the gradients at theta0
    of the non-saturating loss E[-log D*], of the minimax loss E[log(1 - D*)], and of KL(p_g‖p_data)
    (= theta0), by central finite differences of the quadrature."""
    p_data = GaussianMixture([0.0], 1.0)
    d_star = optimal_discriminator(p_data, GaussianMixture([theta0], 1.0))

    def fd(f):
        return (f(theta0 + h) - f(theta0 - h)) / (2 * h)

    ns = fd(lambda t: expectation(lambda x: -d_star.log_d(x), GaussianMixture([t], 1.0)))
    mm = fd(lambda t: expectation(d_star.log_one_minus_d, GaussianMixture([t], 1.0)))
    return {"ns": ns, "minimax": mm, "kl": theta0}


_NS_THETAS = (1.0, 0.5, 2.0, 4.0)


def check_ns_gradient(ns_gradient, quiet: bool = False) -> Result:
    """Exercise 3.4: ``ns_gradient(theta0)`` is d/dθ of E_{N(θ,1)}[-log D*(x)] at θ = θ0, with
    D* held fixed at its value for θ0 and p_data = N(0, 1) (equal to d/dθ [KL - 2 JSD] at θ0).
    Checked at θ0 = 0.5, 1, 2 and 4 against finite differences of gantools' quadrature; the
    answer may not call gantools.theory (derive the logit of D*, then integrate)."""
    if ns_gradient is None:
        not_attempted("ns_gradient")
    for theta0 in _NS_THETAS:
        value, err = call(ns_gradient, theta0, forbid=THEORY_REFERENCES)
        if err:
            return report(False, "", f"At θ0 = {theta0}: {err}", quiet)
        ref = _ns_gradients(theta0)
        r = check_number(
            value, ref["ns"], 1e-5 * max(1.0, abs(ref["ns"])), ok="",
            hint=f"At θ0 = {theta0} you returned {value!r}, expected {ref['ns']:.6f}. The logit of D* for "
                 "N(0, 1) against N(θ0, 1) is linear in x; write x = θ + z and differentiate under the expectation.",
            known_wrong=(
                (ref["kl"], "That is the gradient of KL(p_g‖p_data) alone; the -2·JSD term is missing."),
                (ref["minimax"], "That is the minimax loss's gradient (d/dθ 2·JSD), not the non-saturating one."),
                (-ref["minimax"], "That is minus the minimax gradient; the non-saturating loss is KL - 2 JSD."),
                (ref["kl"] + ref["minimax"], "Sign error: the non-saturating divergence is KL - 2·JSD, not KL + 2·JSD."),
                (-ref["ns"], "Sign error: the loss E[-log D*] is minimised; give its gradient, not the ascent "
                             "direction."),
            ),
            quiet=True)
        if not r:
            return report(False, "", f"At θ0 = {theta0}: {r.message}", quiet)
    ref = _ns_gradients(1.0)
    return report(True, f"Right at every θ0: at θ0 = 1 the non-saturating gradient is {ref['ns']:.5f}, larger than "
                  f"the minimax gradient {ref['minimax']:.5f}; the two add up to dKL/dθ = θ0, and the gap widens "
                  "with distance.", "", quiet)
