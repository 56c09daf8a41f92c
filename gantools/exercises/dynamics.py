"""Checks for chapter 5, games are not minimisation.

- :func:`check_extragradient_step`: the step size that makes extragradient fastest for σ = 2.
- :func:`check_alternating_eigenvalues`: a student's ``alternating_eigenvalues(eta, sigma)``.
- :func:`check_r1_gamma`: the R1 weight γ that makes the Dirac-GAN's flow converge fastest.
"""

from __future__ import annotations

import math

import numpy as np

from ..games import DiracGAN, update_matrix
from .common import Result, call, check_number, not_attempted, report

__all__ = ["check_extragradient_step", "check_alternating_eigenvalues", "check_r1_gamma"]


def check_extragradient_step(answer, sigma: float = 2.0, quiet: bool = False) -> Result:
    """Exercise 5.1: argmin over η of |λ|² = 1 - η²σ² + η⁴σ⁴, which is η = 1/(√2 σ)."""
    best = 1 / (math.sqrt(2) * sigma)
    return check_number(
        answer, best, 1e-3,
        ok=f"η = 1/(√2 σ) ≈ {best:.4f}: then η²σ² = 1/2 and |λ| = √(3/4) ≈ 0.8660 per step.",
        hint="Write s = η²σ² and minimise 1 - s + s² over s > 0; then solve for η.",
        known_wrong=(
            (1 / sigma, "At η = 1/σ the factor is 1 - 1 + 1 = 1: extragradient stops converging there, "
                        "it is the edge of stability, not the fastest step."),
            (1 / (2 * sigma), "That gives η²σ² = 1/4, not the minimiser of 1 - s + s² (s = 1/2)."),
            (1 / (2 * sigma**2), "Units: η must scale like 1/σ, not 1/σ²; minimise over s = η²σ²."),
            (1 / math.sqrt(2), "That is the answer for σ = 1: the minimiser is in s = η²σ², so divide by σ."),
        ),
        quiet=quiet,
    )


def _alternating_reference(eta: float, sigma: float) -> np.ndarray:
    return np.linalg.eigvals(update_matrix(np.array([[sigma]]), eta, "alternating"))


def _same_set(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    """True when the multisets of complex numbers a and b (both of size 2) agree."""
    return (abs(a[0] - b[0]) < tol and abs(a[1] - b[1]) < tol) or (abs(a[0] - b[1]) < tol and abs(a[1] - b[0]) < tol)


def check_alternating_eigenvalues(alternating_eigenvalues, quiet: bool = False) -> Result:
    """Exercise 5.2: ``alternating_eigenvalues(eta, sigma)`` returns the two eigenvalues of
    one step of alternating GDA on the scalar game uσv (complex numbers, any order).
    Checked against ``np.linalg.eigvals`` of :func:`gantools.games.update_matrix`, for
    ησ below, at and above 2."""
    if alternating_eigenvalues is None:
        not_attempted("alternating_eigenvalues")
    cases = [(0.1, 1.0), (0.5, 1.5), (0.3, 4.0), (1.2, 1.25), (0.9, 3.0), (2.5, 1.0)]
    for eta, sigma in cases:
        value, err = call(alternating_eigenvalues, eta, sigma)
        if err:
            return report(False, "", f"At η = {eta}, σ = {sigma}: {err}", quiet)
        try:
            lam = np.asarray(value, dtype=complex).ravel()
        except (TypeError, ValueError):
            return report(False, "", f"Return the two eigenvalues as an array of complex numbers, got {value!r}", quiet)
        if lam.shape != (2,):
            return report(False, "", f"Return exactly two eigenvalues, got {lam.size}", quiet)
        ref = _alternating_reference(eta, sigma)
        tol = 1e-3 if abs(eta * sigma - 2) < 1e-9 else 1e-8  # a double eigenvalue at ησ = 2
        if _same_set(lam, ref, tol):
            continue
        a = eta * sigma
        if _same_set(lam, np.array([1 + 1j * a, 1 - 1j * a]), 1e-8):
            return report(False, "", "Those are the eigenvalues of *simultaneous* GDA, 1 ± iησ. In the alternating "
                          "update v uses the new u: write the 2×2 matrix of (u, v) → (u', v') first.", quiet)
        if _same_set(lam, np.array([1 - a**2 / 2 + 1j * a, 1 - a**2 / 2 - 1j * a]), 1e-8):
            return report(False, "", "The real part is right; the imaginary part is ησ·√(1 - η²σ²/4), "
                          "so that |λ|² = det = 1.", quiet)
        return report(False, "", f"At η = {eta}, σ = {sigma} (ησ = {a}) you returned {np.round(lam, 4)}, expected "
                      f"{np.round(ref, 4)}. The matrix has trace 2 - η²σ² and determinant 1.", quiet)
    return report(True, "Right for ησ below, at and above 2: λ = 1 - η²σ²/2 ± iησ√(1 - η²σ²/4), |λ| = 1 "
                  "while ησ ≤ 2, and real with product 1 (one outside the unit circle) beyond.", "", quiet)


def _flow_rate(gamma: float) -> float:
    """-max Re λ of the R1 Dirac-GAN Jacobian at (0, 0): the flow's exponential rate."""
    return float(-np.max(np.linalg.eigvals(DiracGAN("r1", gamma=gamma).jacobian()).real))


def check_r1_gamma(answer, quiet: bool = False) -> Result:
    """Exercise 5.3: the R1 weight γ maximising -max Re λ(γ) for the Dirac-GAN: γ = 2 f'(0) = 1."""
    return check_number(
        answer, 1.0, 1e-2,
        ok="γ = 1 = 2 f'(0): critical damping. There the eigenvalues meet at -1/2; for larger γ one "
           "eigenvalue, (-γ + √(γ² - 1))/2, creeps back towards 0 and convergence slows down again.",
        hint="Eigenvalues of [[0, -1/2], [1/2, -γ]] are (-γ ± √(γ² - 1))/2. The rate is the smaller of the "
             "two |Re λ|: follow it for γ < 1 and γ > 1.",
        known_wrong=(
            (10.0, "More regularisation is not faster: at γ = 10 the slow eigenvalue is about -0.025 "
                   f"(rate {_flow_rate(10.0):.3f}, against 0.5 at γ = 1). Compute it."),
            (0.5, "γ = f'(0) = 1/2 is still underdamped: the rate there is γ/2 = 0.25."),
            (2.0, f"At γ = 2 the rate is (2 - √3)/2 ≈ {_flow_rate(2.0):.3f}: overdamped, slower than at γ = 1."),
        ),
        quiet=quiet,
    )
