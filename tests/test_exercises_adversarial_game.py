"""The chapter 1 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code."""

import math

import numpy as np
import pytest

from gantools.distributions import GaussianMixture
from gantools.exercises import check_affine_pushforward, check_constant_value, check_k_prediction, check_mc_value


def starter(*args):
    raise NotImplementedError


# -- 1.1 -----------------------------------------------------------------------------------
def affine_pushforward(a, b):
    """The reference solution of exercise 1.1."""
    return b, abs(a)


def test_affine_pushforward_accepts_reference():
    assert check_affine_pushforward(affine_pushforward, quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (lambda a, b: (b, a), "negative"),  # std = a fails for a < 0
    (lambda a, b: (b, a * a), "variance"),
    (lambda a, b: (abs(a), b), "swapped"),
    (lambda a, b: (a + b, abs(a)), "E[Z] = 0"),
    (lambda a, b: b, "pair"),
    (lambda a, b: 1 / 0, "ZeroDivisionError"),
])
def test_affine_pushforward_rejects(wrong, word):
    r = check_affine_pushforward(wrong, quiet=True)
    assert not r
    assert word in r.message


@pytest.mark.parametrize("untouched", [starter, None])
def test_affine_pushforward_starter(untouched):
    with pytest.raises(NotImplementedError):
        check_affine_pushforward(untouched, quiet=True)


# -- 1.2 -----------------------------------------------------------------------------------
def constant_value(c):
    """The reference solution of exercise 1.2."""
    return math.log(c) + math.log1p(-c)


def test_constant_value_accepts_reference():
    assert check_constant_value(constant_value, quiet=True)
    assert check_constant_value(lambda c: np.log(c * (1 - c)), quiet=True)  # NumPy, one log


@pytest.mark.parametrize("wrong,word", [
    (lambda c: math.log(c), "real-data term"),
    (lambda c: -constant_value(c), "sign"),
    (lambda c: 2 * math.log(c), "log(1 - c)"),
    (lambda c: math.log(c) - math.log1p(-c), "logit"),
    (lambda c: constant_value(c) / math.log(2), "natural"),
    (lambda c: -math.log(4), "constants"),  # pasting the value printed in section 1.2 for D = 1/2
    (lambda c: "-log 4", "one number"),
    (lambda c: 1 / 0, "ZeroDivisionError"),
])
def test_constant_value_rejects(wrong, word):
    r = check_constant_value(wrong, quiet=True)
    assert not r
    assert word in r.message, r.message


def test_constant_value_rejects_quadrature_by_gantools():
    """The shortcut: evaluate V by quadrature with value_function, without deriving anything."""
    from gantools.theory import value_function

    p_data, p_g = GaussianMixture([-2.0, 2.0], 0.5), GaussianMixture([0.0], 1.0)

    def shortcut(c):
        return value_function(lambda x: np.full(np.shape(x), c), p_data, p_g)

    r = check_constant_value(shortcut, quiet=True)
    assert not r and "gantools.theory.value_function" in r.message, r.message


@pytest.mark.parametrize("untouched", [starter, None])
def test_constant_value_starter(untouched):
    with pytest.raises(NotImplementedError):
        check_constant_value(untouched, quiet=True)


# -- 1.3 -----------------------------------------------------------------------------------
def mc_value(D, x_real, x_fake):
    """The reference solution of exercise 1.3."""
    log_d, log_1md = np.log(D(x_real)), np.log1p(-D(x_fake))
    return log_d.mean() + log_1md.mean(), np.sqrt(log_d.var() / len(x_real) + log_1md.var() / len(x_fake))


def test_mc_value_accepts_reference():
    assert check_mc_value(mc_value, quiet=True)


def test_mc_value_accepts_unbiased_variance():
    def ddof1(D, x_real, x_fake):
        log_d, log_1md = np.log(D(x_real)), np.log1p(-D(x_fake))
        se = np.sqrt(log_d.var(ddof=1) / len(x_real) + log_1md.var(ddof=1) / len(x_fake))
        return log_d.mean() + log_1md.mean(), se
    assert check_mc_value(ddof1, quiet=True)


def _log_d_on_fakes(D, x_real, x_fake):  # log D(x_fake) instead of log(1 - D(x_fake))
    log_d, log_fake = np.log(D(x_real)), np.log(D(x_fake))
    return log_d.mean() + log_fake.mean(), np.sqrt(log_d.var() / len(x_real) + log_fake.var() / len(x_fake))


def _no_sqrt(D, x_real, x_fake):  # the standard error divided by n, not sqrt(n)
    log_d, log_1md = np.log(D(x_real)), np.log1p(-D(x_fake))
    return log_d.mean() + log_1md.mean(), log_d.std() / len(x_real) + log_1md.std() / len(x_fake)


def _one_n(D, x_real, x_fake):  # both variances over the size of the real sample
    log_d, log_1md = np.log(D(x_real)), np.log1p(-D(x_fake))
    return log_d.mean() + log_1md.mean(), np.sqrt((log_d.var() + log_1md.var()) / len(x_real))


@pytest.mark.parametrize("wrong,word", [
    (_log_d_on_fakes, "log(1 - D(x))"),
    (_no_sqrt, "standard error"),
    (_one_n, "own size"),
    (lambda D, x_real, x_fake: mc_value(D, x_real, x_fake)[0], "pair"),
])
def test_mc_value_rejects(wrong, word):
    r = check_mc_value(wrong, quiet=True)
    assert not r
    assert word in r.message


@pytest.mark.parametrize("untouched", [starter, None])
def test_mc_value_starter(untouched):
    with pytest.raises(NotImplementedError):
        check_mc_value(untouched, quiet=True)


# -- 1.4 -----------------------------------------------------------------------------------
def test_k_prediction_accepts_the_measured_trend_only():
    """The truth is what chapter 1 measures (its solution cell asserts it); the check does
    not take the measured losses from the notebook, which the student could overwrite."""
    assert check_k_prediction("lower", quiet=True)
    assert check_k_prediction(" LOWER ", quiet=True)
    for wrong in ("same", "higher"):
        r = check_k_prediction(wrong, quiet=True)
        assert not r
        assert "log 4" in r.message


def test_k_prediction_takes_only_the_prediction():
    with pytest.raises(TypeError):
        check_k_prediction("same", 1.37, 1.35, quiet=True)  # the old way to pass with chosen "measurements"


@pytest.mark.parametrize("bad", ["down", 1, True, 0.956])
def test_k_prediction_rejects_answers_that_are_not_a_choice(bad):
    r = check_k_prediction(bad, quiet=True)
    assert not r
    assert "one of" in r.message


def test_k_prediction_starter():
    with pytest.raises(NotImplementedError):
        check_k_prediction(None, quiet=True)
