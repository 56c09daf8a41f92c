"""The chapter 1 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code; on fresh
cases (the grader's) they accept the reference solutions and reject wrong answers and tables of
the book's outputs."""

import math

import numpy as np
import pytest

from gantools.distributions import GaussianMixture
from gantools.exercises import check_affine_pushforward, check_constant_value, check_k_prediction, check_mc_value
from gantools.exercises.protocol import evaluate

SEEDS = (0, 1, 2)


def fresh(check, answer, seed):
    """(status, message) of ``answer`` on the fresh cases drawn from ``seed``, as the grader runs it."""
    return evaluate(check.spec, answer, np.random.default_rng(seed))


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
    (lambda a, b: (b, None), "pair"),
    (lambda a, b: (complex(b, 1.0), abs(a)), "pair"),  # not a real mean
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


@pytest.mark.parametrize("seed", SEEDS)
def test_affine_pushforward_fresh_cases(seed):
    assert fresh(check_affine_pushforward, affine_pushforward, seed)[0] == "pass"
    status, message = fresh(check_affine_pushforward, lambda a, b: (b, a), seed)  # std = a
    assert status == "fail" and "negative" in message
    _BOOK = {(2.0, 1.0): (1.0, 2.0), (-1.5, 0.5): (0.5, 1.5), (0.3, -2.0): (-2.0, 0.3), (-3.0, 0.0): (0.0, 3.0)}
    assert check_affine_pushforward(lambda a, b: _BOOK[(a, b)], quiet=True)  # a table of the book's outputs ...
    assert fresh(check_affine_pushforward, lambda a, b: _BOOK.get((a, b), (1.0, 2.0)), seed)[0] == "fail"  # ...


def test_affine_pushforward_draws():
    spec = check_affine_pushforward.spec
    assert spec.draw(np.random.default_rng(5)) != spec.draw(None)
    assert spec.draw(np.random.default_rng(5)) == spec.draw(np.random.default_rng(5))
    cases = spec.draw(np.random.default_rng(5))
    assert any(a < 0 for a, _ in cases) and any(0 < abs(a) < 1 for a, _ in cases) and any(b == 0 for _, b in cases)


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
    (lambda c: 2 * math.log(c), "log(1 - D)"),
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


_CONSTANT_TABLE = {c: math.log(c) + math.log1p(-c) for c in (0.5, 0.9, 0.1, 0.25, 1e-3, 0.999)}


@pytest.mark.parametrize("seed", SEEDS)
def test_constant_value_fresh_cases(seed):
    assert fresh(check_constant_value, constant_value, seed)[0] == "pass"
    assert fresh(check_constant_value, lambda c: np.log(c * (1 - c)), seed)[0] == "pass"
    status, message = fresh(check_constant_value, lambda c: math.log(c), seed)
    assert status == "fail" and "real-data term" in message
    assert check_constant_value(lambda c: _CONSTANT_TABLE[c], quiet=True)  # a table of the book's outputs ...
    assert fresh(check_constant_value, lambda c: _CONSTANT_TABLE.get(c, -math.log(4)), seed)[0] == "fail"


def test_constant_value_draws():
    spec = check_constant_value.spec
    assert spec.draw(np.random.default_rng(3)) != spec.draw(None)
    assert spec.draw(np.random.default_rng(3)) == spec.draw(np.random.default_rng(3))
    cases = spec.draw(np.random.default_rng(3))
    assert 0.5 in cases and min(cases) < 0.01 and max(cases) > 0.99 and all(0 < c < 1 for c in cases)


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


def test_mc_value_book_cases_are_the_chapters_sample():
    """The book's cases hand the answer the samples the check always drew (seed 2014)."""
    from gantools.exercises.adversarial_game import _mc_inputs

    rng = np.random.default_rng(2014)
    x_real = GaussianMixture([-2.0, 2.0], 0.5).sample(20_000, seed=rng)
    x_fake = GaussianMixture([0.0], 1.0).sample(50_000, seed=rng)
    for case in check_mc_value.spec.draw(None):
        _, xr, xf = _mc_inputs(case)
        assert np.array_equal(xr, x_real) and np.array_equal(xf, x_fake)


def _mc_table():
    """The reference's outputs on the book's three cases, keyed by D(0.7) and the sample sizes."""
    from gantools.exercises.adversarial_game import _mc_inputs

    table = {}
    for case in check_mc_value.spec.draw(None):
        D, x_real, x_fake = _mc_inputs(case)
        table[float(D(np.array([0.7]))[0]), len(x_real), len(x_fake)] = mc_value(D, x_real, x_fake)
    return table


@pytest.mark.parametrize("seed", SEEDS)
def test_mc_value_fresh_cases(seed):
    assert fresh(check_mc_value, mc_value, seed)[0] == "pass"
    status, message = fresh(check_mc_value, _one_n, seed)
    assert status == "fail" and "own size" in message, message
    status, message = fresh(check_mc_value, _log_d_on_fakes, seed)
    assert status == "fail" and "log(1 - D(x))" in message, message
    table = _mc_table()
    first = next(iter(table.values()))

    def lookup(D, x_real, x_fake):
        return table.get((float(D(np.array([0.7]))[0]), len(x_real), len(x_fake)), first)

    assert check_mc_value(lookup, quiet=True)  # a table of the book's outputs passes the book's cases ...
    assert fresh(check_mc_value, lookup, seed)[0] == "fail"  # ... not fresh ones


def test_mc_value_draws():
    spec = check_mc_value.spec
    assert spec.draw(np.random.default_rng(4)) != spec.draw(None)
    assert spec.draw(np.random.default_rng(4)) == spec.draw(np.random.default_rng(4))
    cases = spec.draw(np.random.default_rng(4))
    assert [c["d"][0] for c in cases] == ["logistic_abs", "logistic_abs", "constant"]
    assert cases[0]["d"][1] > 0 > cases[1]["d"][1]
    assert all(max(c["n_real"], c["n_fake"]) >= 2.5 * min(c["n_real"], c["n_fake"]) - 1 for c in cases)


def test_mc_value_rejects_quadrature_by_gantools():
    from gantools.theory import expectation

    def shortcut(D, x_real, x_fake):
        p_data, p_g = GaussianMixture([-2.0, 2.0], 0.5), GaussianMixture([0.0], 1.0)
        v = expectation(lambda x: np.log(D(x)), p_data) + expectation(lambda x: np.log1p(-D(x)), p_g)
        return v, mc_value(D, x_real, x_fake)[1]

    r = check_mc_value(shortcut, quiet=True)
    assert not r and "gantools.theory.expectation" in r.message, r.message


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


def test_k_prediction_rejects_a_string_that_equals_everything():
    class Liar(str):
        def __eq__(self, other):
            return True

        __hash__ = str.__hash__

        def strip(self, *args):
            return self

        def lower(self):
            return self

    r = check_k_prediction(Liar("higher"), quiet=True)
    assert not r
    assert not check_k_prediction(Liar("lower"), quiet=True)  # judged on plain data only: a str subclass is not


def test_k_prediction_is_a_value():
    spec = check_k_prediction.spec
    assert not spec.call and spec.draw(np.random.default_rng(0)) == spec.draw(None) == [None]
    assert evaluate(spec, "lower", np.random.default_rng(0))[0] == "pass"
    assert evaluate(spec, "same", np.random.default_rng(0))[0] == "fail"
