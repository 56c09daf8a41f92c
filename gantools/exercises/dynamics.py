"""Checks for chapter 5, games are not minimisation.

- :func:`check_extragradient_step`: the step size that makes extragradient fastest for σ = 2.
- :func:`check_alternating_eigenvalues`: a student's ``alternating_eigenvalues(eta, sigma)``.
- :func:`check_r1_rate`: a student's closed form ``r1_rate(gamma)`` of the R1 Dirac-GAN's convergence rate.
- :func:`check_alternating_band`: a student's ``alternating_band(eta, sigma, u0, v0)``, the smallest and largest
  distance to the equilibrium on alternating GDA's orbit, predicted before the chapter measures it.

Each check is a :class:`~gantools.exercises.protocol.Spec`: the grader draws fresh cases from the ranges
below for every submission and judges the plain outputs in its own process.
"""

from __future__ import annotations

import math

import numpy as np

from ..games import DiracGAN, simulate, update_matrix
from .common import Result, judge_number, one_number
from .protocol import Spec, check, with_spec

__all__ = ["check_extragradient_step", "check_alternating_eigenvalues", "check_r1_rate", "check_alternating_band"]

_SIGMA = 2.0  # the σ of exercise 5.1
EXTRAGRADIENT = Spec(
    answer="eta_best", call=False,
    judge=judge_number(
        1 / (math.sqrt(2) * _SIGMA), 1e-3,
        ok=f"η = 1/(√2 σ) ≈ {1 / (math.sqrt(2) * _SIGMA):.4f}: then η²σ² = 1/2 and |λ| = √(3/4) ≈ 0.8660 per step.",
        hint="Write s = η²σ² and minimise the squared modulus of extragradient's eigenvalue over s > 0; then "
             "solve for η.",
        known_wrong=(
            (1 / _SIGMA, "There the factor |λ|² is exactly 1: extragradient stops converging at that step; it is "
                         "the edge of stability, not the fastest step."),
            (1 / (2 * _SIGMA), "That gives η²σ² = 1/4, which does not minimise |λ|² over s = η²σ²."),
            (1 / (2 * _SIGMA**2), "Units: η must scale like 1/σ, not 1/σ²; minimise over s = η²σ²."),
            (1 / math.sqrt(2), "That is the answer for σ = 1: the minimiser is in s = η²σ², so divide by σ."),
        )),
    leaks=(r"(?<![\d.])0\.353[56]", r"\\frac\{1\}\{2\\sqrt\s*2\}", r"1\s*/\s*\(\s*np\.sqrt\(2\)\s*\*\s*2"))


@with_spec(EXTRAGRADIENT)
def check_extragradient_step(answer, quiet: bool = False) -> Result:
    """Exercise 5.1: the step size η that makes extragradient converge fastest on the scalar game uσv
    with σ = 2 (a number, to 1e-3)."""
    return check(EXTRAGRADIENT, answer, quiet)


# Exercises 5.2 and 5.3 ask for eigenvalues in closed form: the answer may not compute them numerically.
EIGEN_REFERENCES = ("numpy.linalg.eigvals", "numpy.linalg.eig", "numpy.linalg.eigvalsh", "numpy.linalg.eigh",
                    "scipy.linalg.eigvals", "scipy.linalg.eig", "torch.linalg.eigvals", "torch.linalg.eig",
                    "numpy.roots", "gantools.games.update_matrix", "gantools.games.spectral_radius",
                    "gantools.games.simulate", "gantools.games.DiracGAN", "gantools.games.game_jacobian",
                    "gantools.games.numerical_jacobian")


def _alternating_reference(eta: float, sigma: float) -> np.ndarray:
    return np.linalg.eigvals(update_matrix(np.array([[sigma]]), eta, "alternating"))


def _same_set(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    """True when the multisets of complex numbers a and b (both of size 2) agree."""
    return (abs(a[0] - b[0]) < tol and abs(a[1] - b[1]) < tol) or (abs(a[0] - b[1]) < tol and abs(a[1] - b[0]) < tol)


def _eigen_cases(rng) -> list:
    """(η, σ) with ησ below, at and above 2: the book's six, or six fresh ones."""
    if rng is None:
        return [[0.1, 1.0], [0.5, 1.5], [0.3, 4.0], [1.2, 1.25], [0.9, 3.0], [2.5, 1.0]]
    products = [rng.uniform(0.05, 0.8), rng.uniform(0.8, 1.9), 2.0, rng.uniform(2.1, 3.5), rng.uniform(1.0, 1.99),
                rng.uniform(2.01, 6.0)]
    sigmas = rng.uniform(0.4, 5.0, size=len(products))
    return [[float(a / s), float(s)] for a, s in zip(products, sigmas, strict=True)]


def _judge_eigenvalues(cases, values):
    for (eta, sigma), value in zip(cases, values, strict=True):
        try:
            lam = np.asarray(value, dtype=complex).ravel()
        except (TypeError, ValueError):
            return False, f"At η = {eta:.6g}, σ = {sigma:.6g}: return the two eigenvalues as an array of complex numbers."
        if lam.shape != (2,):
            return False, f"At η = {eta:.6g}, σ = {sigma:.6g}: return exactly two eigenvalues, got {lam.size}."
        a = eta * sigma
        tol = 1e-3 if abs(a - 2) < 1e-9 else 1e-8  # a double eigenvalue at ησ = 2
        if _same_set(lam, _alternating_reference(eta, sigma), tol):
            continue
        if _same_set(lam, np.array([1 + 1j * a, 1 - 1j * a]), 1e-8):
            return False, ("Those are the eigenvalues of *simultaneous* GDA, 1 ± iησ. In the alternating update v "
                           "uses the new u: write the 2×2 matrix of (u, v) → (u', v') first.")
        if _same_set(lam, np.array([1 - a**2 / 2 + 1j * a, 1 - a**2 / 2 - 1j * a]), 1e-8):
            return False, ("The real part is right, the imaginary part is not: compare the product of your two "
                           "eigenvalues with the determinant of the step's matrix.")
        return False, (f"At η = {eta:.6g}, σ = {sigma:.6g} (ησ = {a:.6g}) you returned {np.round(lam, 4)}, which are not "
                       "the eigenvalues of one alternating step. Write its 2×2 matrix; its eigenvalues follow from its "
                       "trace and determinant.")
    return True, ("Right for ησ below, at and above 2: λ = 1 - η²σ²/2 ± iησ√(1 - η²σ²/4), |λ| = 1 while ησ ≤ 2, "
                  "and real with product 1 (one outside the unit circle) beyond.")


ALTERNATING_EIGENVALUES = Spec(answer="alternating_eigenvalues", judge=_judge_eigenvalues, cases=_eigen_cases,
                               forbid=EIGEN_REFERENCES, describe=lambda c: f"At η = {c[0]:.6g}, σ = {c[1]:.6g}",
                               leaks=(r"i\\?,?\s*a\s*\\sqrt\{1 - \\frac\{a\^2\}\{4\}\}",
                                      r"ησ√\(1 - η²σ²/4\)", r"1j \* a \* root"))


@with_spec(ALTERNATING_EIGENVALUES)
def check_alternating_eigenvalues(alternating_eigenvalues, quiet: bool = False) -> Result:
    """Exercise 5.2: ``alternating_eigenvalues(eta, sigma)`` returns the two eigenvalues of one step
    of alternating GDA on the scalar game uσv (complex numbers, any order), for ησ below, at and
    above 2. Compared with the eigenvalues NumPy computes from gantools' update matrix; the answer
    may not compute eigenvalues numerically."""
    return check(ALTERNATING_EIGENVALUES, alternating_eigenvalues, quiet)


def _flow_rate_reference(gamma: float) -> float:
    """-max Re λ of the R1 Dirac-GAN Jacobian at (0, 0), computed numerically."""
    return float(-np.max(np.linalg.eigvals(DiracGAN("r1", gamma=gamma).jacobian()).real))


def _gamma_cases(rng) -> list:
    """γ on both sides of critical damping, close to it and far beyond: the book's eight or eight fresh."""
    if rng is None:
        return [0.3, 1.0, 2.0, 0.05, 0.999, 1.001, 5.0, 100.0]
    return [float(g) for g in (rng.uniform(0.02, 0.9), 1.0, rng.uniform(1.2, 3.0), 1 - rng.uniform(1e-4, 1e-2),
                               1 + rng.uniform(1e-4, 1e-2), rng.uniform(3.0, 20.0), 10 ** rng.uniform(1.7, 3.0),
                               rng.uniform(0.9, 1.0))]


def _judge_r1(cases, values):
    for g, value in zip(cases, values, strict=True):
        expected, v = _flow_rate_reference(g), one_number(value)
        if v is not None and abs(v - expected) <= 1e-8 * max(1.0, abs(expected)) + 1e-12:
            continue
        shown = f"At γ = {g:.6g} you returned {str(value)[:40]}"
        if v is not None and g > 1 and abs(v - g / 2) <= 1e-9:
            why = "γ/2 holds only while the eigenvalues are complex (γ < 1); beyond, they are real: which one sets the rate?"
        elif v is not None and g > 1 and abs(v - (g + math.sqrt(g * g - 1)) / 2) <= 1e-9:
            why = "that is the faster eigenvalue; the rate is set by the slower one, the largest Re λ"
        elif v is not None and g > 1 and v == 0.0 and expected > 0:
            why = "a difference of two nearly equal numbers cancels catastrophically for large γ: rationalise it"
        else:
            why = "the characteristic polynomial of [[0, -1/2], [1/2, -γ]] is λ² + γλ + 1/4"
        return False, f"{shown}: {why}."
    return True, ("r(γ) = γ/2 for γ ≤ 1 and (γ - √(γ² - 1))/2 beyond: it grows until critical damping, γ = 2 f'(0) = 1, "
                  "where the eigenvalues meet at -1/2, and then falls back towards 0 like 1/(4γ). A larger γ is not "
                  "always faster.")


R1_RATE = Spec(answer="r1_rate", judge=_judge_r1, cases=_gamma_cases, build=lambda g: (g,), forbid=EIGEN_REFERENCES,
               describe=lambda g: f"At γ = {g:.6g}",
               leaks=(r"\(γ - √\(γ² - 1\)\)/2", r"0\.5 / \(gamma \+ np\.sqrt\(gamma\*\*2 - 1\)\)",
                      r"\\gamma - \\sqrt\{\\gamma\^2 - 1\}"))


@with_spec(R1_RATE)
def check_r1_rate(r1_rate, quiet: bool = False) -> Result:
    """Exercise 5.3: ``r1_rate(gamma)`` returns the R1 Dirac-GAN's convergence rate r(γ) = -max Re λ
    over the eigenvalues of [[0, -1/2], [1/2, -γ]], in closed form, on both sides of critical damping
    and for large γ, to a relative 1e-8. Compared with the numerical eigenvalues; the answer may not
    compute eigenvalues numerically."""
    return check(R1_RATE, r1_rate, quiet)


# -- 5.4 -----------------------------------------------------------------------------------
# A prediction made before the run: the answer may not iterate the game with gantools' routines.
BAND_REFERENCES = ("gantools.games.simulate", "gantools.games.update_matrix", "gantools.games.spectral_radius",
                   "gantools.tricks.theory.eigen_radius", "gantools.tricks.theory.ema_iterates")
# (eta, sigma, u0, v0) with 0 < eta sigma < 2, none of them the chapter's: both signs of u0 v0, a start on each
# axis of the orbit (u0 = v0, u0 = -v0), one on a coordinate axis, tiny and nearly unstable steps.
_BAND_CASES = ((0.25, 2.0, 0.6, 0.8), (1.1, 1.5, -0.4, 1.3), (0.02, 3.0, 2.0, 0.5), (0.9, 2.1, 1.0, 0.0),
               (0.7, 1.0, -1.5, -1.5), (0.4, 0.5, 0.3, -0.3), (1.9, 1.0, 0.2, 0.1))


def _band_cases(rng) -> list:
    if rng is None:
        return [list(c) for c in _BAND_CASES]
    out = []
    for a, start in ((rng.uniform(0.05, 0.6), "free"), (rng.uniform(0.6, 1.4), "free"), (rng.uniform(1.4, 1.97), "free"),
                     (rng.uniform(0.2, 1.8), "u=v"), (rng.uniform(0.2, 1.8), "u=-v"), (rng.uniform(0.2, 1.8), "axis"),
                     (rng.uniform(0.001, 0.05), "free")):
        sigma = float(rng.uniform(0.3, 4.0))
        u0, v0 = (float(x) for x in rng.uniform(-2, 2, size=2))
        u0, v0 = {"free": (u0, v0), "u=v": (u0, u0), "u=-v": (u0, -u0), "axis": (0.0, v0)}[start]
        out.append([float(a / sigma), sigma, u0, v0])
    return out


def _band(a: float, q: float) -> np.ndarray:
    """(min, max) of ‖(u, v)‖ on the ellipse of the conserved form at level q."""
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
    """The instructor's closed form for exercise 5.4 (the chapter's run cell measures the same band)."""
    a = eta * sigma
    return _band(a, u0 * u0 + v0 * v0 - a * u0 * v0)


def _band_case(eta, sigma, u0, v0) -> str:
    return f"At η = {eta:.6g}, σ = {sigma:.6g} (ησ = {eta * sigma:.6g}) from (u0, v0) = ({u0:.6g}, {v0:.6g})"


def _judge_band(cases, values):
    seen: list[tuple[np.ndarray, np.ndarray]] = []
    for (eta, sigma, u0, v0), value in zip(cases, values, strict=True):
        case = _band_case(eta, sigma, u0, v0)
        try:
            got = np.asarray(value, dtype=float).ravel()
        except (TypeError, ValueError):
            got = None
        if got is None or got.size != 2 or not np.all(np.isfinite(got)):
            return False, f"{case}: return the pair (r_min, r_max) of two finite numbers, got {str(value)[:80]}."
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
             "a factor 1/2 is missing where the cross term is rotated onto the ellipse's axes"),
            (_band(a, r0 * r0), "the band scales with the value of the conserved form at the start, which "
                                "includes the cross term of (u0, v0), not with ‖x_0‖² alone"),
            (expected[::-1], "the order: return (r_min, r_max), smallest first"),
        )
        for w, why in wrong:
            if _near(got, w):
                return False, f"{case} you returned {np.round(got, 6)}: {why}."
        page = _page_band()
        if np.all(np.abs(got - page) <= 1e-4 * page):
            return False, (f"{case} you returned {np.round(got, 4)}, the band section 5.1 measured on its 2×2 game at "
                           "η = 0.3: one measurement, not the prediction. The band depends on η, σ and the start; "
                           "derive it as a function of them.")
        if any(_near(got, g) and not _near(expected, e) for g, e in seen):
            return False, (f"{case} you returned the same band as for an earlier case, but the band depends on η, σ "
                           "and the start.")
        return False, (f"{case} you returned {np.round(got, 6)}, which is not the band. Find the quadratic form Q(u, v) "
                       "that one alternating step conserves; the orbit is the ellipse Q = Q(u0, v0), and its nearest "
                       "and farthest points lie on its axes.")
    return True, ("The orbit is the ellipse u² + v² - ησ uv = Q(u0, v0), stretched along u = v: r_min = √(Q/(1 + ησ/2)), "
                  "r_max = √(Q/(1 - ησ/2)). The ratio √((2 + ησ)/(2 - ησ)) grows without bound as ησ → 2. Now run the "
                  "next cell and compare with the measurement.")


ALTERNATING_BAND = Spec(answer="alternating_band", judge=_judge_band, cases=_band_cases, forbid=BAND_REFERENCES,
                        describe=lambda c: _band_case(*c),
                        leaks=(r"u² \+ v² - ησ uv", r"u0\*\*2 \+ v0\*\*2 - a \* u0 \* v0"))


@with_spec(ALTERNATING_BAND)
def check_alternating_band(alternating_band, quiet: bool = False) -> Result:
    """Exercise 5.4: ``alternating_band(eta, sigma, u0, v0)`` returns (r_min, r_max), the smallest and
    largest distance ‖(u, v)‖ to the equilibrium on the closed orbit of alternating GDA on the scalar
    game uσv started at (u0, v0), for 0 < ησ < 2. Checked at seven (η, σ, u0, v0) that the chapter
    never uses, to a relative 1e-6 (a long simulation of the iterates measures the same band, as the
    chapter's run cell shows); may not call gantools' ``simulate``, ``update_matrix``,
    ``spectral_radius`` or the EMA routines of ``gantools.tricks.theory``."""
    return check(ALTERNATING_BAND, alternating_band, quiet)
