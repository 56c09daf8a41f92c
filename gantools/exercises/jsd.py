"""Checks for chapter 3, the JSD identity.

- :func:`check_disjoint_jsd`: JSD of two distributions with disjoint supports, in nats.
- :func:`check_jsd_on_grid`: a student's ``jsd_on_grid(p, q, dx)`` from density arrays.
- :func:`check_value_uniform`: V(D*, G) for p_data = U(0, 1), p_g = U(0, 2).
- :func:`check_ns_gradient`: the non-saturating generator's gradient for a Gaussian pair.
"""

from __future__ import annotations

import math

import numpy as np

from ..distributions import GaussianMixture, Uniform
from ..theory import expectation, js_divergence, optimal_discriminator
from .common import Result, call, check_number, close, not_attempted, report

__all__ = ["check_disjoint_jsd", "check_jsd_on_grid", "check_value_uniform", "check_ns_gradient"]

LOG2 = math.log(2.0)


def check_disjoint_jsd(answer, quiet: bool = False) -> Result:
    """Exercise 3.1: JSD(p || q) in nats when p and q have disjoint supports (log 2)."""
    return check_number(
        answer, LOG2, 1e-3,
        ok="JSD = log 2 ≈ 0.6931 nats: the largest value it can take, whatever the distance.",
        hint="Not quite (give at least three decimals). With disjoint supports m = p/2 where p lives, "
             "so log(p/m) = log 2 there.",
        known_wrong=(
            (1.0, "That is the answer in bits (log base 2). The book measures JSD in nats: use the natural log."),
            (0.0, "JSD is 0 only when p = q; disjoint distributions are as different as it can measure."),
            (math.log(4.0), "log 4 is 2·JSD. JSD = ½KL(p‖m) + ½KL(q‖m): each KL is log 2, then average."),
            (-math.log(4.0), "-log 4 is the minimum of V(D*, G), reached at p_g = p_data, not JSD."),
        ),
        quiet=quiet,
    )


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
    Gaussian, mixture and uniform pairs, disjoint supports included."""
    if jsd_on_grid is None:
        not_attempted("jsd_on_grid")
    dx = 1e-3
    x = np.arange(-15.0, 15.0 + dx / 2, dx)
    tol = 3e-3  # a Riemann sum on dx = 1e-3 is within ~1e-3 of the integral at a uniform's edges
    for name, pd, qd in _grid_cases(dx):
        p, q = pd.pdf(x), qd.pdf(x)
        value, err = call(jsd_on_grid, p.copy(), q.copy(), dx)
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


def check_ns_gradient(answer, quiet: bool = False) -> Result:
    """Exercise 3.4: d/dθ of E_{N(θ,1)}[-log D*(x)] at θ0 = 1, D* fixed at its value for
    θ0 and p_data = N(0, 1) (equal to d/dθ [KL - 2 JSD] at θ0)."""
    ref = _ns_gradients(1.0)
    return check_number(
        answer, ref["ns"], 1e-4,
        ok=f"The non-saturating gradient is {ref['ns']:.5f} = d/dθ[KL - 2 JSD]: larger than the minimax "
           f"gradient {ref['minimax']:.5f} here, and the two add up to dKL/dθ = θ0 = 1.",
        hint="Use the identity: d/dθ E[-log D*] = d/dθ KL(p_g‖p_data) - 2 d/dθ JSD(p_g‖p_data) at θ0; "
             "KL(N(θ,1)‖N(0,1)) = θ²/2, and dJSD/dθ comes from a central finite difference.",
        known_wrong=(
            (ref["kl"], "That is the gradient of KL(p_g‖p_data) alone; the -2·JSD term is missing."),
            (ref["minimax"], "That is the minimax loss's gradient (d/dθ 2·JSD), not the non-saturating one."),
            (-ref["minimax"], "That is minus the minimax gradient; the non-saturating loss is KL - 2 JSD."),
            (ref["kl"] + ref["minimax"], "Sign error: the non-saturating divergence is KL - 2·JSD, not KL + 2·JSD."),
            (-ref["ns"], "Sign error: the loss E[-log D*] is minimised; give its gradient, not the ascent direction."),
        ),
        quiet=quiet,
    )
