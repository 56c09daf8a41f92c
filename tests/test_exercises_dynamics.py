"""The chapter 5 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code."""

import math

import numpy as np
import pytest

from gantools.exercises import check_alternating_eigenvalues, check_extragradient_step, check_r1_gamma
from gantools.exercises.dynamics import _flow_rate
from gantools.games import spectral_radius


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


@pytest.mark.parametrize("fn", [None, starter])
def test_alternating_eigenvalues_starter(fn):
    with pytest.raises(NotImplementedError):
        check_alternating_eigenvalues(fn, quiet=True)


# -- 5.3 -----------------------------------------------------------------------------------
def test_r1_gamma_is_the_maximiser():
    gammas = np.linspace(0.05, 5, 991)
    rates = np.array([_flow_rate(g) for g in gammas])
    assert abs(gammas[np.argmax(rates)] - 1.0) < 1e-2
    assert abs(rates.max() - 0.5) < 1e-3
    assert check_r1_gamma(1.0, quiet=True)


@pytest.mark.parametrize("wrong,word", [(10.0, "not faster"), (0.5, "underdamped"), (2.0, "overdamped"),
                                        (3.0, "Eigenvalues")])
def test_r1_gamma_rejects(wrong, word):
    r = check_r1_gamma(wrong, quiet=True)
    assert not r
    assert word in r.message


def test_r1_gamma_starter():
    with pytest.raises(NotImplementedError):
        check_r1_gamma(None, quiet=True)
