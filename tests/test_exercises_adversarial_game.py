"""The chapter 1 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code."""

import math

import numpy as np
import pytest

from gantools.exercises import check_affine_pushforward, check_k_prediction, check_mc_value, check_value_at_half


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
def test_value_at_half_accepts_minus_log4():
    assert check_value_at_half(-math.log(4), quiet=True)
    assert check_value_at_half(-1.3862944, quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (-math.log(2), "one of the two terms"),
    (math.log(4), "sign"),
    (-2.0, "bits"),
    (-1.0, "log(1 - 1/2)"),
])
def test_value_at_half_rejects(wrong, word):
    r = check_value_at_half(wrong, quiet=True)
    assert not r
    assert word in r.message


def test_value_at_half_starter():
    with pytest.raises(NotImplementedError):
        check_value_at_half(None, quiet=True)


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
@pytest.mark.parametrize("loss_k1,loss_k5,truth", [(1.37, 0.96, "lower"), (1.37, 1.35, "same"), (1.10, 1.35, "higher")])
def test_k_prediction_follows_the_measured_losses(loss_k1, loss_k5, truth):
    assert check_k_prediction(truth, loss_k1, loss_k5, quiet=True)
    assert check_k_prediction(truth.upper() + " ", loss_k1, loss_k5, quiet=True)
    for wrong in {"lower", "same", "higher"} - {truth}:
        r = check_k_prediction(wrong, loss_k1, loss_k5, quiet=True)
        assert not r
        assert "log 4" in r.message


@pytest.mark.parametrize("bad", ["down", 1, True])
def test_k_prediction_rejects_answers_that_are_not_a_choice(bad):
    r = check_k_prediction(bad, 1.37, 0.96, quiet=True)
    assert not r
    assert "one of" in r.message


def test_k_prediction_starter():
    with pytest.raises(NotImplementedError):
        check_k_prediction(None, 1.37, 0.96, quiet=True)
