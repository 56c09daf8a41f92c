"""The chapter 3 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code."""

import math

import numpy as np
import pytest
from scipy.special import xlogy

from gantools.exercises import check_disjoint_jsd, check_jsd_on_grid, check_ns_gradient, check_value_uniform
from gantools.exercises.jsd import _ns_gradients

LOG2 = math.log(2)


def jsd_on_grid(p, q, dx):
    """The reference solution of exercise 3.2."""
    m = 0.5 * (p + q)
    return float(0.5 * (np.sum(xlogy(p, p) - xlogy(p, m)) + np.sum(xlogy(q, q) - xlogy(q, m))) * dx)


def starter(*args):
    raise NotImplementedError


# -- 3.1 -----------------------------------------------------------------------------------
def test_disjoint_jsd_accepts_log2():
    assert check_disjoint_jsd(LOG2, quiet=True)
    assert check_disjoint_jsd(0.6931, quiet=True)


@pytest.mark.parametrize("wrong,word", [(1.0, "bits"), (0.0, "p = q"), (math.log(4), "2·JSD"), (0.5, "Not quite")])
def test_disjoint_jsd_rejects(wrong, word):
    r = check_disjoint_jsd(wrong, quiet=True)
    assert not r
    assert word in r.message


def test_disjoint_jsd_starter():
    with pytest.raises(NotImplementedError):
        check_disjoint_jsd(None, quiet=True)


# -- 3.2 -----------------------------------------------------------------------------------
def test_jsd_on_grid_accepts_reference():
    assert check_jsd_on_grid(jsd_on_grid, quiet=True)


def _kl_pm_only(p, q, dx):
    m = 0.5 * (p + q)
    return float(np.sum(xlogy(p, p) - xlogy(p, m)) * dx)


def _naive_nan(p, q, dx):  # 0 * log(0 / m) = nan where p = 0
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(0.5 * np.sum(p * np.log(p / m) + q * np.log(q / m)) * dx)


@pytest.mark.parametrize("wrong,word", [
    (lambda p, q, dx: 2 * jsd_on_grid(p, q, dx), "without the ½"),
    (_kl_pm_only, "KL(p‖m) only"),
    (lambda p, q, dx: 0.5 * _kl_pm_only(p, q, dx), "½KL(p‖m) only"),
    (lambda p, q, dx: jsd_on_grid(p, q, dx) / LOG2, "bits"),
    (lambda p, q, dx: jsd_on_grid(p, q, dx) / dx, "dx"),
    (_naive_nan, "0·log 0"),
    (lambda p, q, dx: 0.5 * (p + q), "one number"),
    (lambda p, q, dx: 1 / 0, "ZeroDivisionError"),
    (lambda p, q, dx: 0.1, "expected"),
])
def test_jsd_on_grid_rejects(wrong, word):
    r = check_jsd_on_grid(wrong, quiet=True)
    assert not r
    assert word in r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_jsd_on_grid_starter(fn):
    with pytest.raises(NotImplementedError):
        check_jsd_on_grid(fn, quiet=True)


# -- 3.3 -----------------------------------------------------------------------------------
def test_value_uniform_matches_quadrature_and_accepts():
    from gantools.distributions import Uniform
    from gantools.theory import optimal_discriminator, value_function

    p, q = Uniform(0, 1), Uniform(0, 2)
    v = value_function(optimal_discriminator(p, q), p, q)
    assert abs(v - (LOG2 - 1.5 * math.log(3))) < 1e-12
    assert check_value_uniform(v, quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (-math.log(4), "D = 1/2"),
    ((LOG2 - 1.5 * math.log(3) + math.log(4)) / 2, "That is JSD"),
    (math.log(2 / 3) + math.log(1 / 3), "density 1/2"),
    (math.log(2 / 3) + 0.5 * math.log(1 / 3) + 0.5 * math.log(0.5), "D* = 0 there"),
    (-0.9, "Split the line"),
])
def test_value_uniform_rejects(wrong, word):
    r = check_value_uniform(wrong, quiet=True)
    assert not r
    assert word in r.message


def test_value_uniform_starter():
    with pytest.raises(NotImplementedError):
        check_value_uniform(None, quiet=True)


# -- 3.4 -----------------------------------------------------------------------------------
def test_ns_gradients_reference():
    ref = _ns_gradients(1.0)
    # The non-saturating and minimax gradients add up to dKL/dθ = θ0 (gradient identity).
    assert abs(ref["ns"] + ref["minimax"] - 1.0) < 1e-8
    assert abs(ref["ns"] - 0.602027) < 1e-5


def test_ns_gradient_accepts():
    assert check_ns_gradient(0.602027, quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (1.0, "KL(p_g‖p_data) alone"),
    (0.397973, "minimax"),
    (1.397973, "KL + 2·JSD"),
    (-0.602027, "ascent"),
    (0.5, "Use the identity"),
])
def test_ns_gradient_rejects(wrong, word):
    r = check_ns_gradient(wrong, quiet=True)
    assert not r
    assert word in r.message


def test_ns_gradient_starter():
    with pytest.raises(NotImplementedError):
        check_ns_gradient(None, quiet=True)
