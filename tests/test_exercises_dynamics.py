"""The chapter 5 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code."""

import math

import numpy as np
import pytest

from gantools.exercises import check_alternating_eigenvalues, check_extragradient_step, check_r1_rate
from gantools.exercises.dynamics import _flow_rate
from gantools.games import DiracGAN, spectral_radius, update_matrix


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
