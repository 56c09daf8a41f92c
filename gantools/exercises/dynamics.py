"""Checks for chapter 5, games are not minimisation.

- :func:`check_extragradient_step`: the step size that makes extragradient fastest for σ = 2.
- :func:`check_alternating_eigenvalues`: a student's ``alternating_eigenvalues(eta, sigma)``.
- :func:`check_r1_rate`: a student's closed form ``r1_rate(gamma)`` of the R1 Dirac-GAN's convergence rate.
- :func:`check_alternating_band`: a student's ``alternating_band(eta, sigma, u0, v0)``, the smallest and largest
  distance to the equilibrium on alternating GDA's orbit, predicted before the chapter measures it.
"""

from __future__ import annotations

import math

import numpy as np

from ..games import DiracGAN, simulate, update_matrix
from .common import Result, call, check_number, not_attempted, report, run_answer, to_array, to_float

__all__ = ["check_extragradient_step", "check_alternating_eigenvalues", "check_r1_rate", "check_alternating_band"]


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


# -- 5.4 -----------------------------------------------------------------------------------
# A prediction made before the run: the answer may not iterate the game with gantools' routines.
BAND_REFERENCES = ("gantools.games.simulate", "gantools.games.update_matrix", "gantools.games.spectral_radius",
                   "gantools.tricks.theory.eigen_radius", "gantools.tricks.theory.ema_iterates")
# (eta, sigma, u0, v0) with 0 < eta sigma < 2, none of them the chapter's: both signs of u0 v0, a start on each
# axis of the orbit (u0 = v0, u0 = -v0), one on a coordinate axis, tiny and nearly unstable steps.
_BAND_CASES = ((0.25, 2.0, 0.6, 0.8), (1.1, 1.5, -0.4, 1.3), (0.02, 3.0, 2.0, 0.5), (0.9, 2.1, 1.0, 0.0),
               (0.7, 1.0, -1.5, -1.5), (0.4, 0.5, 0.3, -0.3), (1.9, 1.0, 0.2, 0.1))


def _band(a: float, q: float) -> np.ndarray:
    """(min, max) of ‖(u, v)‖ on the ellipse u² + v² - a uv = q, 0 < a < 2: in p, q' = (u ± v)/√2
    it reads (1 - a/2) p² + (1 + a/2) q'² = q."""
    with np.errstate(invalid="ignore"):  # NaN (never close) for the wrong answers' a ≥ 2
        return np.sqrt([q / (1 + a / 2), q / (1 - a / 2)])


def _near(x: np.ndarray, y: np.ndarray) -> bool:
    """Both entries agree to a relative 1e-6 (False when y holds NaN)."""
    return bool(np.all(np.abs(x - y) <= 1e-6 * np.abs(y)))


def _page_band() -> np.ndarray:
    """The band section 5.1 measures (and prints to 4 decimals): alternating GDA on its 2×2 game,
    η = 0.3, 400 steps from u = (1, 0), v = (0, 1)."""
    A = np.array([[1.0, 0.5], [0.0, 0.6]])
    U, V = simulate(A, 0.3, "alternating", 400, np.array([1.0, 0.0]), np.array([0.0, 1.0]))
    r = np.sqrt(np.sum(U**2, axis=1) + np.sum(V**2, axis=1))
    return np.array([r.min(), r.max()])


def alternating_band_reference(eta: float, sigma: float, u0: float, v0: float) -> np.ndarray:
    """(r_min, r_max): the smallest and largest ‖(u_t, v_t)‖ on the orbit of alternating GDA on uσv
    from (u0, v0), 0 < ησ < 2. One step (u first, then v with the new u) conserves
    Q = u² + v² - ησ uv, so the orbit lies on the ellipse Q = Q(u0, v0), whose axes lie along
    u = ±v: r_min = √(Q/(1 + ησ/2)), r_max = √(Q/(1 - ησ/2))."""
    a = eta * sigma
    return _band(a, u0 * u0 + v0 * v0 - a * u0 * v0)


def check_alternating_band(alternating_band, quiet: bool = False) -> Result:
    """Exercise 5.4: ``alternating_band(eta, sigma, u0, v0)`` returns (r_min, r_max), the smallest and
    largest distance ‖(u, v)‖ to the equilibrium on the closed orbit of alternating GDA on the scalar
    game uσv started at (u0, v0), for 0 < ησ < 2: √(Q/(1 + ησ/2)) and √(Q/(1 - ησ/2)) with the
    conserved Q = u0² + v0² - ησ u0 v0. Checked at seven (η, σ, u0, v0) that the chapter never uses, to a
    relative 1e-6 (a long simulation of the iterates measures the same band, as the chapter's run
    cell shows); may not call gantools' ``simulate``, ``update_matrix``, ``spectral_radius`` or the
    EMA routines of ``gantools.tricks.theory``."""
    seen: list[tuple[np.ndarray, np.ndarray]] = []
    for eta, sigma, u0, v0 in _BAND_CASES:
        case = f"At η = {eta}, σ = {sigma} (ησ = {eta * sigma:g}) from (u0, v0) = ({u0}, {v0})"
        value, err = run_answer(alternating_band, "alternating_band", eta, sigma, u0, v0, forbid=BAND_REFERENCES)
        if err:
            return report(False, "", f"{case}: {err}", quiet)
        got = to_array(value)
        if got is None or got.size != 2 or not np.all(np.isfinite(got)):
            return report(False, "", f"{case}: return the pair (r_min, r_max) of two finite numbers, got "
                                     f"{value!r}.", quiet)
        got = got.ravel()
        a, r0 = eta * sigma, math.hypot(u0, v0)
        expected = alternating_band_reference(eta, sigma, u0, v0)
        if _near(got, expected):
            seen.append((got, expected))
            continue
        wrong = (
            (np.array([r0, r0]), "|λ| = 1 does not make ‖x_t‖ constant: the step matrix is not orthogonal "
                                 "(its eigenvectors are not perpendicular), so the orbit is not a circle. Look for "
                                 "the quadratic form Q(u, v) that one step leaves unchanged"),
            (_band(a, u0 * u0 + v0 * v0 + a * u0 * v0), "that is the mirror-image orbit, with the wrong sign of "
                                                        "the cross term uv: here u moves first and v sees the new "
                                                        "u. Do one step by hand and compare Q before and after"),
            (_band(2 * a, u0 * u0 + v0 * v0 - a * u0 * v0),
             "a factor 1/2 is missing: with p, q = (u ± v)/√2 the cross term a·uv is (a/2)(p² - q²)"),
            (_band(a, r0 * r0), "the band scales with the value of the conserved form at the start, which "
                                "includes the cross term of (u0, v0), not with ‖x_0‖² alone"),
            (expected[::-1], "the order: return (r_min, r_max), smallest first"),
        )
        for w, why in wrong:
            if _near(got, w):
                return report(False, "", f"{case} you returned {np.round(got, 6)}, expected "
                                         f"{np.round(expected, 6)}: {why}.", quiet)
        page = _page_band()
        if np.all(np.abs(got - page) <= 1e-4 * page):
            return report(False, "", f"{case} you returned {np.round(got, 4)}, the band section 5.1 measured on its "
                                     "2×2 game at η = 0.3: one measurement, not the prediction. The band depends "
                                     "on η, σ and the start; derive it as a function of them.", quiet)
        if any(_near(got, g) and not _near(expected, e) for g, e in seen):
            return report(False, "", f"{case} you returned the same band as for an earlier case, but the band "
                                     "depends on η, σ and the start.", quiet)
        return report(False, "", f"{case} you returned {np.round(got, 6)}, expected {np.round(expected, 6)}. "
                                 "Find the quadratic form Q(u, v) that one alternating step conserves; the orbit "
                                 "is the ellipse Q = Q(u0, v0), and its nearest and farthest points lie on its "
                                 "axes.", quiet)
    return report(True, "The orbit is the ellipse u² + v² - ησ uv = Q(u0, v0), stretched along u = v: r_min = "
                  "√(Q/(1 + ησ/2)), r_max = √(Q/(1 - ησ/2)). The ratio √((2 + ησ)/(2 - ησ)) grows without bound as "
                  "ησ → 2. Now run the next cell and compare with the measurement.", "", quiet)
