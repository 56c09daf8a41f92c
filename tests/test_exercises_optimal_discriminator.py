"""The checks of chapter 2's exercises accept the reference solutions, reject plausible
wrong answers, and treat the untouched starter code as not attempted; on fresh cases (the
grader's) they accept the reference solutions and reject wrong answers and tables of the book's
outputs."""

import numpy as np
import pytest

from gantools.exercises import (
    check_generator_from_discriminator,
    check_kl_from_logit,
    check_pointwise_maximiser,
    check_weighted_discriminator,
)
from gantools.exercises.protocol import evaluate

SEEDS = (0, 1, 2)


def fresh(check, answer, seed):
    """(status, message) of ``answer`` on the fresh cases drawn from ``seed``, as the grader runs it."""
    return evaluate(check.spec, answer, np.random.default_rng(seed))


def book_table(check, answer):
    """A function that returns ``answer``'s outputs on the book's cases, looked up by its inputs
    (and the first of them elsewhere): a table copied from a run of the book's check."""
    spec = check.spec

    def key(args):
        return tuple(np.asarray(a, dtype=float).tobytes() for a in args if not callable(a))

    table = {}
    for case in spec.draw(None):
        args = spec.build(case) if spec.build else tuple(case)
        table[key(args)] = answer(*args)
    first = next(iter(table.values()))

    def lookup(*args):
        return table.get(key(args), first)

    return lookup


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


def test_weighted_rejects_complex_numbers():
    r = check_weighted_discriminator(lambda p_data, p_g, prior: weighted_reference(p_data, p_g, prior) + 1e-3j,
                                     quiet=True)
    assert not r
    assert "not real numbers" in r.message


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


# -- fresh cases: what the grader draws ---------------------------------------------------

def pointwise_maximiser(a, b):
    return a / (a + b)


def generator_density(p_data, d):
    return p_data * (1 - d) / d


def kl_from_logit(logit, x):
    return np.mean(logit(x))


RIGHT = [
    (check_pointwise_maximiser, pointwise_maximiser),
    (check_weighted_discriminator, weighted_reference),
    (check_generator_from_discriminator, generator_density),
    (check_kl_from_logit, kl_from_logit),
]
WRONG = [
    (check_pointwise_maximiser, lambda a, b: b / (a + b), "b/(a+b)"),
    (check_weighted_discriminator, lambda p_data, p_g, prior: p_data / (p_data + p_g), "ignored"),
    (check_weighted_discriminator, lambda p_data, p_g, prior: weighted_reference(p_data, p_g, 1 - prior), "1 - pi"),
    (check_generator_from_discriminator, lambda p_data, d: p_data * d / (1 - d), "upside down"),
    (check_generator_from_discriminator, lambda p_data, d: p_data * (1 - d), "not p_g"),
    (check_kl_from_logit, lambda logit, x: -np.mean(logit(x)), "-KL"),
    (check_kl_from_logit, lambda logit, x: np.log(np.mean(np.exp(logit(x)))), "Renyi"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("check,answer", RIGHT)
def test_reference_passes_fresh_cases(check, answer, seed):
    status, message = fresh(check, answer, seed)
    assert status == "pass", message


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("check,wrong,word", WRONG)
def test_wrong_answer_fails_fresh_cases(check, wrong, word, seed):
    status, message = fresh(check, wrong, seed)
    assert status == "fail" and word in message, message


@pytest.mark.parametrize("check,answer", RIGHT)
def test_table_of_book_outputs_fails_fresh_cases(check, answer):
    table = book_table(check, answer)
    assert check(table, quiet=True)  # right on the book's cases ...
    for seed in SEEDS:
        assert fresh(check, table, seed)[0] == "fail"  # ... not on fresh ones


@pytest.mark.parametrize("check", [check for check, _ in RIGHT])
def test_fresh_draws(check):
    spec = check.spec
    assert spec.draw(np.random.default_rng(7)) != spec.draw(None)
    assert spec.draw(np.random.default_rng(7)) == spec.draw(np.random.default_rng(7))
    assert spec.draw(np.random.default_rng(7)) != spec.draw(np.random.default_rng(8))


def test_pointwise_maximiser_accepts_numerical_maximisation_on_fresh_cases():
    from scipy.optimize import minimize_scalar

    def numerical(a, b):
        f = lambda y: -(a * np.log(y) + b * np.log1p(-y))  # noqa: E731
        return minimize_scalar(f, bounds=(1e-12, 1 - 1e-12), method="bounded", options={"xatol": 1e-10}).x

    for seed in SEEDS:
        assert fresh(check_pointwise_maximiser, numerical, seed)[0] == "pass"


def test_book_cases_are_the_old_inputs():
    """The book's cases hand the answers what the checks always did: densities on the grid
    linspace(-4, 4, 41), and 200,000 samples of p_data seeded 1000 + k."""
    from gantools.distributions import GaussianMixture, Uniform

    grid = np.linspace(-4.0, 4.0, 41)
    n01, n11 = GaussianMixture([0.0], 1.0), GaussianMixture([1.0], 1.0)
    assert check_pointwise_maximiser.spec.draw(None)[:11] == [[float(n01.pdf(x)), float(n11.pdf(x))]
                                                              for x in grid[::4]]
    weighted = check_weighted_discriminator.spec.draw(None)
    assert len(weighted) == 20 and [c["prior"] for c in weighted[:5]] == [0.1, 0.25, 0.5, 0.75, 0.9]
    a, b, prior = check_weighted_discriminator.spec.build(weighted[-1])
    u = Uniform(-1.0, 2.0)
    assert np.array_equal(a, u.pdf(grid)) and np.array_equal(b, n01.pdf(grid)) and prior == 0.9
    logit, x = check_kl_from_logit.spec.build(check_kl_from_logit.spec.draw(None)[1])
    assert np.array_equal(x, GaussianMixture([-2.0, 2.0], 0.5).sample(200_000, seed=1001))


def test_kl_rejects_quadrature_by_gantools():
    from gantools.theory import kl_divergence

    def shortcut(logit, x):
        return kl_divergence(logit.__self__.p_data, logit.__self__.p_g)

    r = check_kl_from_logit(shortcut, quiet=True)
    assert not r and "gantools.theory.kl_divergence" in r.message, r.message


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
