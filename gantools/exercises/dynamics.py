"""Checks for chapter 5, games are not minimisation.

- :func:`check_extragradient_step`: the step size that makes extragradient fastest for σ = 2.
- :func:`check_alternating_eigenvalues`: a student's ``alternating_eigenvalues(eta, sigma)``.
- :func:`check_r1_rate`: a student's closed form ``r1_rate(gamma)`` of the R1 Dirac-GAN's convergence rate.
"""

from __future__ import annotations

import math

import numpy as np

from ..games import DiracGAN, update_matrix
from .common import Result, call, check_number, not_attempted, report, to_float

__all__ = ["check_extragradient_step", "check_alternating_eigenvalues", "check_r1_rate"]


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


# Exercises 5.2 and 5.3 ask for eigenvalues in closed form: the answer may not compute them numerically.
EIGEN_REFERENCES = ("numpy.linalg.eigvals", "numpy.linalg.eig", "numpy.linalg.eigvalsh", "numpy.linalg.eigh",
                    "scipy.linalg.eigvals", "scipy.linalg.eig", "torch.linalg.eigvals", "torch.linalg.eig",
                    "gantools.games.update_matrix", "gantools.games.spectral_radius", "gantools.games.simulate",
                    "gantools.games.DiracGAN", "gantools.games.game_jacobian", "gantools.games.numerical_jacobian")


def _alternating_reference(eta: float, sigma: float) -> np.ndarray:
    return np.linalg.eigvals(update_matrix(np.array([[sigma]]), eta, "alternating"))


def _same_set(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    """True when the multisets of complex numbers a and b (both of size 2) agree."""
    return (abs(a[0] - b[0]) < tol and abs(a[1] - b[1]) < tol) or (abs(a[0] - b[1]) < tol and abs(a[1] - b[0]) < tol)


def check_alternating_eigenvalues(alternating_eigenvalues, quiet: bool = False) -> Result:
    """Exercise 5.2: ``alternating_eigenvalues(eta, sigma)`` returns the two eigenvalues of
    one step of alternating GDA on the scalar game uσv (complex numbers, any order).
    Checked against ``np.linalg.eigvals`` of :func:`gantools.games.update_matrix`, for
    ησ below, at and above 2; the answer may not compute eigenvalues numerically."""
    if alternating_eigenvalues is None:
        not_attempted("alternating_eigenvalues")
    cases = [(0.1, 1.0), (0.5, 1.5), (0.3, 4.0), (1.2, 1.25), (0.9, 3.0), (2.5, 1.0)]
    for eta, sigma in cases:
        value, err = call(alternating_eigenvalues, eta, sigma, forbid=EIGEN_REFERENCES)
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


def r1_rate_reference(gamma: float) -> float:
    """-max Re λ for λ = (-γ ± √(γ² - 1))/2: γ/2 up to critical damping (γ = 1), then
    (γ - √(γ² - 1))/2 = 1/(2(γ + √(γ² - 1))), written so that it stays accurate for large γ."""
    return gamma / 2 if gamma <= 1 else 0.5 / (gamma + math.sqrt(gamma * gamma - 1))


_GAMMAS = (0.3, 1.0, 2.0, 0.05, 0.999, 1.001, 5.0, 100.0)


def check_r1_rate(r1_rate, quiet: bool = False) -> Result:
    """Exercise 5.3: ``r1_rate(gamma)`` returns the R1 Dirac-GAN's convergence rate
    r(γ) = -max Re λ over the eigenvalues of [[0, -1/2], [1/2, -γ]], in closed form. Checked at
    γ from 0.05 to 100 (both sides of critical damping) against the numerical eigenvalues; the
    answer may not compute eigenvalues numerically."""
    if r1_rate is None:
        not_attempted("r1_rate")
    for g in _GAMMAS:
        value, err = call(r1_rate, g, forbid=EIGEN_REFERENCES)
        if err:
            return report(False, "", f"At γ = {g}: {err}", quiet)
        expected = _flow_rate(g)
        v = to_float(value)
        if v is not None and abs(v - expected) <= 1e-8 * max(1.0, abs(expected)) + 1e-12:
            continue
        shown = f"At γ = {g} you returned {value!r}, expected {expected:.8g}"
        if v is not None and abs(v - g / 2) <= 1e-9 and g > 1:
            why = ("γ/2 holds only while the eigenvalues are complex (γ < 1); beyond, they are real and the slower "
                   "one, (-γ + √(γ² - 1))/2, sets the rate")
        elif v is not None and g > 1 and abs(v - (g + math.sqrt(g * g - 1)) / 2) <= 1e-9:
            why = "that is the faster eigenvalue; the rate is set by the slower one, the largest Re λ"
        elif v is not None and g > 1 and v == 0.0 and expected > 0:
            why = ("(γ - √(γ² - 1))/2 cancels catastrophically for large γ: multiply by (γ + √(γ² - 1)) "
                   "above and below")
        else:
            why = "the characteristic polynomial of [[0, -1/2], [1/2, -γ]] is λ² + γλ + 1/4"
        return report(False, "", f"{shown}: {why}.", quiet)
    return report(True, "r(γ) = γ/2 for γ ≤ 1 and (γ - √(γ² - 1))/2 beyond: it grows until critical damping, "
                  "γ = 2 f'(0) = 1, where the eigenvalues meet at -1/2, and then falls back towards 0 like 1/(4γ). "
                  "A larger γ is not always faster.", "", quiet)
