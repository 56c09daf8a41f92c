"""The checks of chapter 2's exercises accept the reference solutions, reject plausible
wrong answers, and treat the untouched starter code as not attempted."""

import numpy as np
import pytest

from gantools.exercises import (
    check_generator_from_discriminator,
    check_kl_from_logit,
    check_pointwise_maximiser,
    check_weighted_discriminator,
)


def starter(*args):
    # YOUR CODE HERE
    raise NotImplementedError


def crashes(*args):
    raise ZeroDivisionError("oops")


# -- Exercise 2.1: the pointwise maximiser ----------------------------------------------


def test_pointwise_maximiser_accepts_closed_form():
    assert check_pointwise_maximiser(lambda a, b: a / (a + b), quiet=True)


def test_pointwise_maximiser_accepts_numerical_maximisation():
    from scipy.optimize import minimize_scalar

    def numerical(a, b):
        f = lambda y: -(a * np.log(y) + b * np.log1p(-y))  # noqa: E731
        return minimize_scalar(f, bounds=(1e-12, 1 - 1e-12), method="bounded", options={"xatol": 1e-10}).x

    assert check_pointwise_maximiser(numerical, quiet=True)


def test_pointwise_maximiser_rejects_swapped_ratio():
    r = check_pointwise_maximiser(lambda a, b: b / (a + b), quiet=True)
    assert not r
    assert "b/(a+b)" in r.message


def test_pointwise_maximiser_rejects_one_half():
    assert not check_pointwise_maximiser(lambda a, b: 0.5, quiet=True)


# -- Exercise 2.2: the weighted prior ---------------------------------------------------


def weighted_reference(p_data, p_g, prior):
    return prior * p_data / (prior * p_data + (1 - prior) * p_g)


def test_weighted_accepts_reference():
    assert check_weighted_discriminator(weighted_reference, quiet=True)


def test_weighted_rejects_ignoring_prior():
    r = check_weighted_discriminator(lambda p_data, p_g, prior: p_data / (p_data + p_g), quiet=True)
    assert not r
    assert "ignored" in r.message


def test_weighted_rejects_swapped_prior():
    r = check_weighted_discriminator(lambda p_data, p_g, prior: weighted_reference(p_data, p_g, 1 - prior), quiet=True)
    assert not r
    assert "1 - pi" in r.message


def test_weighted_rejects_wrong_shape():
    r = check_weighted_discriminator(lambda p_data, p_g, prior: float(prior), quiet=True)
    assert not r
    assert "shape" in r.message


# -- Exercise 2.3: recovering p_g -------------------------------------------------------


def test_generator_accepts_reference():
    assert check_generator_from_discriminator(lambda p_data, d: p_data * (1 - d) / d, quiet=True)


def test_generator_rejects_inverted_odds():
    r = check_generator_from_discriminator(lambda p_data, d: p_data * d / (1 - d), quiet=True)
    assert not r
    assert "upside down" in r.message


def test_generator_rejects_missing_division():
    assert not check_generator_from_discriminator(lambda p_data, d: p_data * (1 - d), quiet=True)


# -- Exercise 2.4: KL from the logit ----------------------------------------------------


def test_kl_accepts_reference():
    assert check_kl_from_logit(lambda logit, x: np.mean(logit(x)), quiet=True)


def test_kl_rejects_negated():
    r = check_kl_from_logit(lambda logit, x: -np.mean(logit(x)), quiet=True)
    assert not r
    assert "-KL" in r.message


def test_kl_rejects_log_mean_ratio():
    r = check_kl_from_logit(lambda logit, x: np.log(np.mean(np.exp(logit(x)))), quiet=True)
    assert not r
    assert "Renyi" in r.message


def test_kl_rejects_mean_of_d():
    from scipy.special import expit

    assert not check_kl_from_logit(lambda logit, x: np.mean(expit(logit(x))), quiet=True)


# -- every check: starter code and crashing answers ------------------------------------

CHECKS = [
    check_pointwise_maximiser,
    check_weighted_discriminator,
    check_generator_from_discriminator,
    check_kl_from_logit,
]


@pytest.mark.parametrize("check", CHECKS)
def test_starter_is_not_attempted(check):
    with pytest.raises(NotImplementedError):
        check(starter, quiet=True)
    with pytest.raises(NotImplementedError):
        check(None, quiet=True)


@pytest.mark.parametrize("check", CHECKS)
def test_crashing_answer_fails_with_message(check):
    r = check(crashes, quiet=True)
    assert not r
    assert "ZeroDivisionError" in r.message


def test_check_prints_pass(capsys):
    check_pointwise_maximiser(lambda a, b: a / (a + b))
    assert capsys.readouterr().out.startswith("PASS")
