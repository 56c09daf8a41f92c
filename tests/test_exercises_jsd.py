"""The chapter 3 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code."""

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.special import expit, xlogy

from gantools.distributions import GaussianMixture, normal
from gantools.exercises import check_collapsed_jsd, check_jsd_on_grid, check_ns_gradient, check_value_uniform
from gantools.exercises.jsd import _ns_gradients_reference as _ns_gradients
from gantools.exercises.jsd import collapsed_jsd_reference
from gantools.exercises.protocol import evaluate
from gantools.theory import js_divergence

LOG2 = math.log(2)


def jsd_on_grid(p, q, dx):
    """The reference solution of exercise 3.2."""
    m = 0.5 * (p + q)
    return float(0.5 * (np.sum(xlogy(p, p) - xlogy(p, m)) + np.sum(xlogy(q, q) - xlogy(q, m))) * dx)


def starter(*args):
    raise NotImplementedError


# -- 3.1 -----------------------------------------------------------------------------------
def collapsed_jsd(k):
    """The reference solution of exercise 3.1: the average of two KLs of piecewise constants."""
    return 0.5 * (math.log(2 / (k + 1)) / k + (1 - 1 / k) * LOG2 + math.log(2 * k / (k + 1)))


def test_collapsed_jsd_reference_matches_quadrature():
    """K narrow, well-separated Gaussians behave like disjoint modes: quadrature agrees."""
    for k in (1, 2, 8):
        quad = js_divergence(GaussianMixture(10.0 * np.arange(k), 0.5), normal(0.0, 0.5))
        assert abs(quad - collapsed_jsd_reference(k)) < 1e-8
    assert abs(collapsed_jsd_reference(2) - 0.75 * math.log(4 / 3)) < 1e-12


def test_collapsed_jsd_accepts_reference():
    assert check_collapsed_jsd(collapsed_jsd, quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (lambda k: LOG2, "disjoint supports"),  # the value chapter 3 prints for disjoint supports
    (lambda k: math.log(k), "KL(p_g ‖ p_data)"),
    (lambda k: collapsed_jsd(k) / LOG2, "bits"),
    (lambda k: 2 * collapsed_jsd(k), "2·JSD"),
    (lambda k: (1 - 1 / k) * LOG2, "covered mode contributes"),
    (lambda k: 0.5, "Split the line"),
])
def test_collapsed_jsd_rejects(wrong, word):
    r = check_collapsed_jsd(wrong, quiet=True)
    assert not r
    assert word in r.message, r.message


def test_collapsed_jsd_rejects_quadrature_by_gantools():
    def shortcut(k):
        return js_divergence(GaussianMixture(10.0 * np.arange(k), 0.5), normal(0.0, 0.5))

    r = check_collapsed_jsd(shortcut, quiet=True)
    assert not r and "gantools.theory" in r.message, r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_collapsed_jsd_starter(fn):
    with pytest.raises(NotImplementedError):
        check_collapsed_jsd(fn, quiet=True)


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
    (lambda p, q, dx: 0.1, "not the JSD"),
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


def ns_gradient(theta0):
    """The reference solution of exercise 3.4: theta0 E_z[sigmoid(theta0 z + theta0^2 / 2)]."""
    f = lambda z: expit(theta0 * z + theta0**2 / 2) * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    return theta0 * integrate.quad(f, -np.inf, np.inf, epsabs=1e-13)[0]


def test_ns_gradient_accepts_the_derivation():
    assert check_ns_gradient(ns_gradient, quiet=True)
    for theta0 in (0.5, 1.0, 4.0):  # the closed form agrees with the finite differences of quadrature
        assert abs(ns_gradient(theta0) - _ns_gradients(theta0)["ns"]) < 1e-7


def _minimax(theta0):
    return theta0 - ns_gradient(theta0)


@pytest.mark.parametrize("wrong,word", [
    (lambda t: float(t), "KL(p_g‖p_data) alone"),
    (_minimax, "minimax"),
    (lambda t: t + _minimax(t), "KL + 2·JSD"),
    (lambda t: -ns_gradient(t), "ascent"),
    (lambda t: 0.602027, "θ0 = 0.5"),  # the number printed at θ0 = 1, pasted
    (lambda t: 0.5, "linear in x"),
])
def test_ns_gradient_rejects(wrong, word):
    r = check_ns_gradient(wrong, quiet=True)
    assert not r
    assert word in r.message, r.message


def test_ns_gradient_rejects_the_library_route():
    """The old one-line answer, a finite difference of gantools' quadrature, is forbidden."""
    def shortcut(theta0):
        h = 1e-4
        p0 = normal(0.0)
        return theta0 - (js_divergence(normal(theta0 + h), p0) - js_divergence(normal(theta0 - h), p0)) / h

    r = check_ns_gradient(shortcut, quiet=True)
    assert not r and "gantools.theory" in r.message, r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_ns_gradient_starter(fn):
    with pytest.raises(NotImplementedError):
        check_ns_gradient(fn, quiet=True)


# -- fresh cases (what the grader draws for every submission) ---------------------------------
SEEDS = (0, 1, 2)
_BOOK_K = {k: collapsed_jsd(k) for k in (8, 2, 25, 1, 3)}
_BOOK_THETA = {t: ns_gradient(t) for t in (1.0, 0.5, 2.0, 4.0)}


def _book_grid_table():
    """jsd_on_grid's right outputs on the book's four pairs, keyed by the arrays' peaks."""
    table = {}
    for case in check_jsd_on_grid.spec.draw(None):
        p, q, dx = check_jsd_on_grid.spec.build(case)
        table[round(float(p.max()), 9), round(float(q.max()), 9)] = jsd_on_grid(p, q, dx)
    return table


_BOOK_GRID = _book_grid_table()


@pytest.mark.parametrize("check,solution", [
    (check_collapsed_jsd, collapsed_jsd), (check_jsd_on_grid, jsd_on_grid), (check_ns_gradient, ns_gradient),
])
@pytest.mark.parametrize("seed", SEEDS)
def test_reference_passes_fresh_cases(check, solution, seed):
    status, message = evaluate(check.spec, solution, np.random.default_rng(seed))
    assert status == "pass", message


@pytest.mark.parametrize("check,wrong", [
    (check_collapsed_jsd, lambda k: 2 * collapsed_jsd(k)),
    (check_jsd_on_grid, _kl_pm_only),
    (check_ns_gradient, _minimax),
])
@pytest.mark.parametrize("seed", SEEDS)
def test_wrong_answer_fails_fresh_cases(check, wrong, seed):
    assert evaluate(check.spec, wrong, np.random.default_rng(seed))[0] == "fail"


@pytest.mark.parametrize("check,table", [
    (check_collapsed_jsd, lambda k: _BOOK_K.get(k, 0.5)),
    (check_jsd_on_grid, lambda p, q, dx: _BOOK_GRID.get((round(float(p.max()), 9), round(float(q.max()), 9)), 0.3)),
    (check_ns_gradient, lambda t: _BOOK_THETA.get(t, 0.6)),
])
def test_a_table_of_the_book_outputs_passes_the_book_but_fails_fresh_cases(check, table):
    assert evaluate(check.spec, table)[0] == "pass"
    for seed in SEEDS:
        assert evaluate(check.spec, table, np.random.default_rng(seed))[0] == "fail"


@pytest.mark.parametrize("check", [check_collapsed_jsd, check_jsd_on_grid, check_ns_gradient])
def test_fresh_cases_are_new_and_reproducible(check):
    spec = check.spec
    assert spec.draw(np.random.default_rng(0)) != spec.draw(None)
    assert spec.draw(np.random.default_rng(0)) != spec.draw(np.random.default_rng(1))
    assert spec.draw(np.random.default_rng(5)) == spec.draw(np.random.default_rng(5))


def test_book_cases_are_the_chapters():
    assert check_collapsed_jsd.spec.draw(None) == [8, 2, 25, 1, 3]
    assert check_ns_gradient.spec.draw(None) == [1.0, 0.5, 2.0, 4.0]
    cases = check_jsd_on_grid.spec.draw(None)
    assert [check_jsd_on_grid.spec.describe(c) for c in cases] == [
        "On N(0, 1) vs N(1, 2)", "On a two-mode mixture vs N(0.5, 0.7)", "On U(0, 1) vs U(0.5, 3) (partly overlapping)",
        "On U(0, 1) vs U(3, 4) (disjoint)"]


def _kind(case):
    p, q = case["p"], case["q"]
    if "low" in p:
        return "disjoint" if p["high"] < q["low"] or q["high"] < p["low"] else "overlapping"
    return "mixture" if len(p["means"]) > 1 else "gaussians"


def test_fresh_grid_pairs_cover_the_regimes():
    """Every draw has a Gaussian pair, a mixture, overlapping and disjoint uniforms, all inside the grid, and a
    JSD large enough that the wrong variants are told apart."""
    for seed in range(20):
        cases = check_jsd_on_grid.spec.draw(np.random.default_rng(seed))
        assert sorted(_kind(c) for c in cases) == ["disjoint", "gaussians", "mixture", "overlapping"]
        for c in cases:
            p, q, dx = check_jsd_on_grid.spec.build(c)
            assert abs(p.sum() * dx - 1) < 2e-3 and abs(q.sum() * dx - 1) < 2e-3
            assert jsd_on_grid(p, q, dx) > 0.02


@pytest.mark.parametrize("check,right", [(check_value_uniform, LOG2 - 1.5 * math.log(3))])
def test_value_exercise_judges_the_plain_value_only(check, right):
    class Liar(float):
        __eq__ = lambda self, other: True  # noqa: E731
        __hash__ = float.__hash__

    assert not check(Liar(-0.5), quiet=True)
    assert not check(Liar(right), quiet=True)  # a float subclass is not a plain number: rejected
    assert not check("-0.9548", quiet=True)
    assert not check(lambda: right, quiet=True)
    assert check(np.float64(right), quiet=True)


def test_answers_stay_private():
    """No fail message of the chapter's checks states the expected value."""
    for check, wrong in [(check_collapsed_jsd, lambda k: 0.5), (check_jsd_on_grid, lambda p, q, dx: 0.1),
                         (check_ns_gradient, lambda t: 0.5), (check_value_uniform, -0.9)]:
        message = check(wrong, quiet=True).message
        assert "expected" not in message, message
    assert "0.4969" not in check_collapsed_jsd(lambda k: 0.5, quiet=True).message
    assert "0.602" not in check_ns_gradient(lambda t: 0.5, quiet=True).message
