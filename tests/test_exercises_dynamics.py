"""The chapter 5 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code."""

import math

import numpy as np
import pytest

from gantools.exercises import (
    check_alternating_band,
    check_alternating_eigenvalues,
    check_extragradient_step,
    check_r1_rate,
)
from gantools.exercises.dynamics import _BAND_CASES, alternating_band_reference
from gantools.exercises.dynamics import _flow_rate_reference as _flow_rate
from gantools.games import DiracGAN, simulate, spectral_radius, update_matrix


def alternating_eigenvalues(eta, sigma):
    """The reference solution of exercise 5.2: trace 2 - a², determinant 1."""
    a = eta * sigma
    root = np.lib.scimath.sqrt(1 - a**2 / 4)
    return np.array([1 - a**2 / 2 + 1j * a * root, 1 - a**2 / 2 - 1j * a * root])


def starter(*args):
    raise NotImplementedError


# -- 5.1 -----------------------------------------------------------------------------------
def test_extragradient_step_is_the_minimiser():
    etas = np.linspace(0.01, 0.6, 5901)
    rho = np.array([spectral_radius(np.array([[2.0]]), e, "extragradient") for e in etas])
    assert abs(etas[np.argmin(rho)] - 1 / (2 * math.sqrt(2))) < 1e-4
    assert check_extragradient_step(1 / (2 * math.sqrt(2)), quiet=True)
    assert check_extragradient_step(0.3536, quiet=True)


@pytest.mark.parametrize("wrong,word", [(0.5, "edge of stability"), (0.25, "1/4"), (0.125, "Units"),
                                        (1 / math.sqrt(2), "σ = 1"), (0.4, "minimise")])
def test_extragradient_step_rejects(wrong, word):
    r = check_extragradient_step(wrong, quiet=True)
    assert not r
    assert word in r.message


def test_extragradient_step_starter():
    with pytest.raises(NotImplementedError):
        check_extragradient_step(None, quiet=True)


# -- 5.2 -----------------------------------------------------------------------------------
def test_alternating_eigenvalues_accepts_reference():
    assert check_alternating_eigenvalues(alternating_eigenvalues, quiet=True)
    # in any order, and as a list
    assert check_alternating_eigenvalues(lambda e, s: list(alternating_eigenvalues(e, s)[::-1]), quiet=True)


def _forgot_sqrt(eta, sigma):
    a = eta * sigma
    return np.array([1 - a**2 / 2 + 1j * a, 1 - a**2 / 2 - 1j * a])


@pytest.mark.parametrize("wrong,word", [
    (lambda e, s: np.array([1 + 1j * e * s, 1 - 1j * e * s]), "simultaneous"),
    (_forgot_sqrt, "imaginary part"),
    (lambda e, s: alternating_eigenvalues(e, s) / abs(alternating_eigenvalues(e, s)), "trace"),  # |λ| = 1 always
    (lambda e, s: np.array([1.0]), "exactly two"),
    (lambda e, s: 1 / 0, "ZeroDivisionError"),
])
def test_alternating_eigenvalues_rejects(wrong, word):
    r = check_alternating_eigenvalues(wrong, quiet=True)
    assert not r
    assert word in r.message


@pytest.mark.parametrize("shortcut", [
    lambda e, s: np.linalg.eigvals(update_matrix(np.array([[s]]), e, "alternating")),  # the check's reference
    lambda e, s: np.linalg.eigvals(np.array([[1.0, -e * s], [e * s, 1 - (e * s) ** 2]])),  # the matrix, then eigvals
])
def test_alternating_eigenvalues_rejects_numerical_eigenvalues(shortcut):
    r = check_alternating_eigenvalues(shortcut, quiet=True)
    assert not r and "calls" in r.message, r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_alternating_eigenvalues_starter(fn):
    with pytest.raises(NotImplementedError):
        check_alternating_eigenvalues(fn, quiet=True)


# -- 5.3 -----------------------------------------------------------------------------------
def r1_rate(gamma):
    """The reference solution of exercise 5.3: γ/2, then the slower real root without cancellation."""
    return gamma / 2 if gamma <= 1 else 0.5 / (gamma + math.sqrt(gamma**2 - 1))


def test_r1_rate_is_maximal_at_critical_damping():
    gammas = np.linspace(0.05, 5, 991)
    rates = np.array([_flow_rate(g) for g in gammas])
    assert abs(gammas[np.argmax(rates)] - 1.0) < 1e-2
    assert abs(rates.max() - 0.5) < 1e-3
    assert np.abs(rates - [r1_rate(g) for g in gammas]).max() < 1e-7


def test_r1_rate_accepts_reference():
    assert check_r1_rate(r1_rate, quiet=True)
    assert check_r1_rate(lambda g: g / 2 if g <= 1 else (g - math.sqrt(g * g - 1)) / 2, quiet=True)  # the naive form


@pytest.mark.parametrize("wrong,word", [
    (lambda g: g / 2, "complex"),
    (lambda g: g / 2 if g <= 1 else (g + math.sqrt(g * g - 1)) / 2, "faster eigenvalue"),
    (lambda g: 1.0, "characteristic polynomial"),  # gamma_best of the old exercise, pasted
    (lambda g: 0.5, "characteristic polynomial"),
])
def test_r1_rate_rejects(wrong, word):
    r = check_r1_rate(wrong, quiet=True)
    assert not r
    assert word in r.message, r.message


@pytest.mark.parametrize("shortcut", [
    lambda g: -np.max(np.linalg.eigvals(DiracGAN("r1", gamma=g).jacobian()).real),  # the old one-liner
    lambda g: -np.max(np.linalg.eigvals(np.array([[0.0, -0.5], [0.5, -g]])).real),
])
def test_r1_rate_rejects_numerical_eigenvalues(shortcut):
    r = check_r1_rate(shortcut, quiet=True)
    assert not r and "calls" in r.message, r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_r1_rate_starter(fn):
    with pytest.raises(NotImplementedError):
        check_r1_rate(fn, quiet=True)


# -- 5.4 -----------------------------------------------------------------------------------
def alternating_band(eta, sigma, u0, v0):
    """The reference solution of exercise 5.4: the ellipse u² + v² - ησ uv = Q(u0, v0)."""
    a = eta * sigma
    q = u0**2 + v0**2 - a * u0 * v0
    return math.sqrt(q / (1 + a / 2)), math.sqrt(q / (1 - a / 2))


def band_by_phase(eta, sigma, u0, v0):
    """Independent route 1: x_t = 2 Re(c λ^t w) along an eigenvector w of the step matrix, so the
    orbit is the curve 2 Re(c e^{iφ} w); search φ on a fine grid (no conserved form)."""
    a = eta * sigma
    lam, W = np.linalg.eig(np.array([[1.0, -a], [a, 1 - a * a]]))
    c = np.linalg.solve(W, np.array([u0, v0], dtype=complex))
    phi = np.linspace(0, 2 * np.pi, 400_001)
    curve = 2 * np.real(c[0] * np.exp(1j * phi)[:, None] * W[:, 0])  # (P, 2)
    r = np.hypot(curve[:, 0], curve[:, 1])
    return r.min(), r.max()


def band_by_iterating(eta, sigma, u0, v0, steps=200_000):
    """Independent route 2: iterate u ← u - ησ v, v ← v + ησ u (new u) by hand and take the
    smallest and largest distance seen."""
    a = eta * sigma
    u, v = float(u0), float(v0)
    lo = hi = math.hypot(u, v)
    for _ in range(steps):
        u -= a * v
        v += a * u
        r = math.hypot(u, v)
        lo, hi = min(lo, r), max(hi, r)
    return lo, hi


def test_alternating_band_conserved_form_and_gantools_run():
    """Q = u² + v² - ησ uv is conserved by gantools' alternating GDA, and a long run of it
    measures the reference band (the truth the chapter's run cell shows)."""
    for eta, sigma, u0, v0 in _BAND_CASES[:4]:
        U, V = simulate(np.array([[sigma]]), eta, "alternating", 20_000, [u0], [v0])
        a, u, v = eta * sigma, U[:, 0], V[:, 0]
        q = u**2 + v**2 - a * u * v
        assert np.max(np.abs(q - q[0])) < 1e-10 * q[0]
        r = np.hypot(u, v)
        ref = alternating_band_reference(eta, sigma, u0, v0)
        assert abs(r.min() / ref[0] - 1) < 1e-5 and abs(r.max() / ref[1] - 1) < 1e-5
        assert r.max() / r.min() > 1 + a / 3  # the band is not a circle


def test_alternating_band_accepts_reference_and_independent_routes():
    assert check_alternating_band(alternating_band, quiet=True)
    assert check_alternating_band(lambda *args: np.array(alternating_band(*args)), quiet=True)
    assert check_alternating_band(band_by_phase, quiet=True)
    assert check_alternating_band(band_by_iterating, quiet=True)


def test_independent_routes_agree_with_reference_off_the_check_cases():
    for eta, sigma, u0, v0 in [(0.05, 1.0, 1.0, 0.0), (0.6, 3.0, -2.0, 0.7), (1.5, 1.2, 0.0, 1.0)]:
        ref = alternating_band(eta, sigma, u0, v0)
        phase = band_by_phase(eta, sigma, u0, v0)
        assert max(abs(p / r - 1) for p, r in zip(phase, ref, strict=True)) < 1e-7


def _mirror(eta, sigma, u0, v0):  # the sign of the cross term flipped (v moves first)
    return alternating_band(eta, sigma, u0, -v0)


def _half_factor(eta, sigma, u0, v0):  # axes 1 ± ησ instead of 1 ± ησ/2
    a = eta * sigma
    q = u0**2 + v0**2 - a * u0 * v0
    return math.sqrt(q / (1 + a)), math.sqrt(abs(q / (1 - a)))


def _norm_only(eta, sigma, u0, v0):  # ‖x_0‖² instead of Q(u0, v0)
    a, r2 = eta * sigma, u0**2 + v0**2
    return math.sqrt(r2 / (1 + a / 2)), math.sqrt(r2 / (1 - a / 2))


_FIRST_BAND = tuple(alternating_band_reference(*_BAND_CASES[0]))


def _right_once(eta, sigma, u0, v0):  # a constant: right for the check's first case only
    return _FIRST_BAND


@pytest.mark.parametrize("wrong,word", [
    (lambda e, s, u, v: (math.hypot(u, v),) * 2, "not orthogonal"),  # |λ| = 1 read as a circle
    (_mirror, "mirror-image"),
    (_half_factor, "factor 1/2"),
    (_norm_only, "cross term of (u0, v0)"),
    (lambda *args: alternating_band(*args)[::-1], "smallest first"),
    (lambda e, s, u, v: (1.2810, 1.4614), "section 5.1 measured"),  # the page's printed band, pasted
    (_right_once, "same band"),
    (lambda e, s, u, v: (float("nan"), 1.0), "pair"),
    (lambda e, s, u, v: 1.0, "pair"),
    (lambda e, s, u, v: 1 / 0, "ZeroDivisionError"),
    (lambda e, s, u, v: (0.9, 1.1), "quadratic form"),
])
def test_alternating_band_rejects(wrong, word):
    r = check_alternating_band(wrong, quiet=True)
    assert not r
    assert word in r.message, r.message


def _by_update_matrix(eta, sigma, u0, v0):
    M = update_matrix(np.array([[sigma]]), eta, "alternating")
    x, r = np.array([u0, v0]), []
    for _ in range(20_000):
        x = M @ x
        r.append(np.hypot(*x))
    return min(r), max(r)


def _by_eigen_radius(eta, sigma, u0, v0):
    from gantools.tricks.theory import eigen_radius

    return eigen_radius(eta * sigma, np.array([u0, v0])), 0.0


def _by_simulating(eta, sigma, u0, v0):  # running the experiment instead of predicting it
    U, V = simulate(np.array([[sigma]]), eta, "alternating", 50_000, [u0], [v0])
    r = np.hypot(U[:, 0], V[:, 0])
    return r.min(), r.max()


@pytest.mark.parametrize("shortcut", [
    _by_simulating,
    _by_update_matrix,
    _by_eigen_radius,
])
def test_alternating_band_rejects_running_gantools(shortcut):
    r = check_alternating_band(shortcut, quiet=True)
    assert not r and "calls" in r.message, r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_alternating_band_starter(fn):
    with pytest.raises(NotImplementedError):
        check_alternating_band(fn, quiet=True)


def test_alternating_band_cases_are_inside_the_stable_range():
    assert all(0 < e * s < 2 for e, s, _, _ in _BAND_CASES)
    assert len({(e * s, u * v > 0) for e, s, u, v in _BAND_CASES}) == len(_BAND_CASES)
