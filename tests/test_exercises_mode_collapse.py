"""The chapter 6 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code. On fresh
cases (the grader's) the references pass and the wrong answers, and a table of the book's
outputs, fail."""

import itertools
import math
import sys

import numpy as np
import pytest
from scipy.stats import chi2

from gantools.distributions import GaussianMixture, grid, ring
from gantools.exercises.mode_collapse import (
    check_expected_modes,
    check_grid_best_response,
    check_high_quality_and_captured,
    check_histogram_kl,
    check_three_sigma_ceiling,
    expected_modes_reference,
)
from gantools.exercises.protocol import evaluate
from gantools.metrics import mode_coverage

SEEDS = (0, 1, 2)


def starter(*args):
    raise NotImplementedError


# -- 6.1 -----------------------------------------------------------------------------------
def high_quality_and_captured(samples, means, std, n_std=3.0, *, variant=None):
    """The reference solution of exercise 6.1, and (with ``variant``) plausible wrong ones."""
    d = np.sqrt(((samples[:, None, :] - means[None, :, :]) ** 2).sum(-1))  # (n, K)
    nearest = d.argmin(1)
    dist = d[np.arange(len(samples)), nearest]
    if variant == "squared":
        dist = dist**2
    if variant == "mode0":
        dist, nearest = d[:, 0], np.zeros(len(samples), dtype=int)
    hq = dist <= (n_std if variant == "no_std" else n_std * std)
    captured = len(np.unique(nearest if variant == "any_sample" else nearest[hq]))
    return hq.mean(), captured


def test_coverage_accepts_reference():
    assert check_high_quality_and_captured(high_quality_and_captured, quiet=True)


@pytest.mark.parametrize("variant,word", [
    ("any_sample", "high-quality"), ("squared", "not its square"), ("mode0", "nearest"), ("no_std", "n_std alone"),
])
def test_coverage_rejects(variant, word):
    r = check_high_quality_and_captured(lambda *a: high_quality_and_captured(*a, variant=variant), quiet=True)
    assert not r
    assert word in r.message


def test_coverage_rejects_other_answers():
    r = check_high_quality_and_captured(lambda *a: (0.5, 2), quiet=True)
    assert not r and "distinct nearest modes" in r.message
    r = check_high_quality_and_captured(lambda *a: 0.5, quiet=True)
    assert not r and "pair" in r.message
    r = check_high_quality_and_captured(lambda *a: 1 / 0, quiet=True)
    assert not r and "ZeroDivisionError" in r.message


def test_coverage_rejects_calling_mode_coverage():
    """The shortcut the issue found: mode_coverage is in scope in chapter 6, and wrapping it
    answers the exercise without doing it."""
    def shortcut(samples, means, std, n_std=3.0):
        r = mode_coverage(samples, GaussianMixture(means, std), n_std=n_std)
        return r.hq_fraction, r.modes_captured

    def hidden(samples, means, std, n_std=3.0, _mc=mode_coverage):  # through a default argument
        r = _mc(samples, GaussianMixture(means, std), n_std=n_std)
        return r.hq_fraction, r.modes_captured

    for fn in (shortcut, hidden):
        r = check_high_quality_and_captured(fn, quiet=True)
        assert not r and "gantools.metrics.mode_coverage" in r.message, r.message
    assert mode_coverage.__name__ == "mode_coverage" and hidden.__defaults__[1] is mode_coverage  # restored


@pytest.mark.parametrize("fn", [None, starter])
def test_coverage_starter(fn):
    with pytest.raises(NotImplementedError):
        check_high_quality_and_captured(fn, quiet=True)


# -- 6.2 -----------------------------------------------------------------------------------
def test_ceiling_accepts():
    assert check_three_sigma_ceiling(lambda n, d: chi2(d).cdf(n * n), quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (lambda n, d: 1 - math.exp(-n * n / 2), "2 degrees of freedom only"),
    (lambda n, d: math.erf(n / math.sqrt(2)), "one-dimensional"),
    (lambda n, d: math.erf(n / math.sqrt(2)) ** d, "ball"),
    (lambda n, d: chi2(d).cdf(n), "n_std²"),
    (lambda n, d: 0.98889, "which distribution"),  # the ceiling printed in section 6.2, pasted
    (lambda n, d: 1 - math.exp(-4.5), "which distribution"),
])
def test_ceiling_rejects(wrong, word):
    r = check_three_sigma_ceiling(wrong, quiet=True)
    assert not r
    assert word in r.message, r.message


def test_ceiling_rejects_simulation_through_mode_coverage():
    def shortcut(n_std, dim):
        mix = GaussianMixture(np.zeros((1, dim)), 1.0)
        return mode_coverage(mix.sample(20_000, seed=0), mix, n_std=n_std).hq_fraction

    r = check_three_sigma_ceiling(shortcut, quiet=True)
    assert not r and "mode_coverage" in r.message, r.message


def test_ceiling_rejects_a_plain_simulation():
    """A Monte Carlo estimate is 1e-3 off at best: the check wants the exact CDF."""
    def simulated(n_std, dim):
        z = np.random.default_rng(0).standard_normal((200_000, dim))
        return float(np.mean((z**2).sum(1) <= n_std**2))

    assert not check_three_sigma_ceiling(simulated, quiet=True)


@pytest.mark.parametrize("fn", [None, starter])
def test_ceiling_starter(fn):
    with pytest.raises(NotImplementedError):
        check_three_sigma_ceiling(fn, quiet=True)


# -- 6.3 -----------------------------------------------------------------------------------
def test_histogram_kl_accepts():
    assert check_histogram_kl(lambda m, k: math.log(k / m), quiet=True)
    assert check_histogram_kl(lambda m, k: sum((1 / m) * math.log((1 / m) / (1 / k)) for _ in range(m)), quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (lambda m, k: math.log(m / k), "Sign"), (lambda m, k: math.log2(k / m), "bits"),
    (lambda m, k: (m / k) * math.log(k / m), "m terms"), (lambda m, k: (m / k) * math.log(m / k), "weights by q"),
    (lambda m, k: 1.0, "sum q log(q/w)"), (lambda m, k: [1, 2], "For m=1, K=8"),
])
def test_histogram_kl_rejects(wrong, word):
    r = check_histogram_kl(wrong, quiet=True)
    assert not r
    assert word in r.message


def test_histogram_kl_rejects_calling_mode_coverage():
    """Samples on m of K mode centres make mode_coverage compute log(K/m) exactly: forbidden."""
    def shortcut(m, k):
        means = np.stack([np.cos(2 * np.pi * np.arange(k) / k), np.sin(2 * np.pi * np.arange(k) / k)], axis=1)
        return mode_coverage(np.repeat(means[:m], 10, axis=0), GaussianMixture(means, 0.01)).kl

    r = check_histogram_kl(shortcut, quiet=True)
    assert not r and "mode_coverage" in r.message, r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_histogram_kl_starter(fn):
    with pytest.raises(NotImplementedError):
        check_histogram_kl(fn, quiet=True)


# -- 6.4 -----------------------------------------------------------------------------------
def best_response_on_grid(x, d):
    """The reference solution of exercise 6.4."""
    p = np.zeros_like(x, dtype=float)
    p[np.argmax(d)] = 1.0
    return p


def test_grid_best_response_accepts():
    assert check_grid_best_response(best_response_on_grid, quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (lambda x, d: d / d.sum(), "matching D"),
    (lambda x, d: best_response_on_grid(x, -d), "lowest"),
    (lambda x, d: np.full(x.shape, 1 / x.size), "linear"),
    (lambda x, d: np.zeros(3), "shape"),
    (lambda x, d: np.zeros_like(x), "probability vector"),
])
def test_grid_best_response_rejects(wrong, word):
    r = check_grid_best_response(wrong, quiet=True)
    assert not r
    assert word in r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_grid_best_response_starter(fn):
    with pytest.raises(NotImplementedError):
        check_grid_best_response(fn, quiet=True)


# -- 6.5 -----------------------------------------------------------------------------------
def expected_modes(n, K, m, n_std=3.0):
    """The reference solution of exercise 6.5 (as the notebook's solution cell writes it)."""
    c = 1 - math.exp(-(n_std**2) / 2)  # P(a copy's sample is within n_std std), 2D
    return m * (1 - (1 - c / m) ** n)


def expected_modes_by_chain(n, K, m, n_std=3.0):
    """An independent, exact route that does not use the closed form: the number of captured
    modes is a Markov chain. With j of the m covered modes captured, the next sample captures
    a new one with probability c (m - j) / m (c from scipy's chi-square CDF); propagate the
    distribution of j over the n samples and take its mean."""
    c = chi2(2).cdf(n_std**2)
    j = np.arange(m + 1)
    new = c * (m - j) / m  # (m + 1,) probability that the next sample captures a new mode
    p = (j == 0).astype(float)
    for _ in range(n):
        p = p * (1 - new) + np.concatenate([[0.0], (p * new)[:-1]])
    return float(j @ p)


def test_expected_modes_accepts_the_reference_and_an_independent_route():
    assert check_expected_modes(expected_modes, quiet=True)
    assert check_expected_modes(expected_modes_by_chain, quiet=True)


def test_expected_modes_closed_form_matches_a_simulation_with_mode_coverage():
    """The check's truth is what mode_coverage measures: copies of m ring or grid modes,
    scored in batches of n samples, capture the predicted number of modes on average."""
    reps = 1500
    for mix, m, n, n_std in ((ring(), 8, 10, 3.0), (grid(), 10, 12, 2.0), (grid(), 3, 5, 1.5)):
        k = len(mix.means)
        x = GaussianMixture(mix.means[:m], mix.stds[:m]).sample(reps * n, seed=m + n)
        cov = mode_coverage(x, mix, n_std=n_std)
        counts = np.array([len(np.unique(b_near[b_hq])) for b_near, b_hq in
                           zip(cov.nearest.reshape(reps, n), cov.high_quality.reshape(reps, n), strict=True)])
        se = counts.std(ddof=1) / math.sqrt(reps)
        assert abs(counts.mean() - expected_modes_reference(n, k, m, n_std)) < 4 * se, (m, n, counts.mean())
        assert abs(expected_modes_reference(n, k, m, n_std) - expected_modes_by_chain(n, k, m, n_std)) < 1e-12


def _c(n_std):
    return 1 - math.exp(-(n_std**2) / 2)


@pytest.mark.parametrize("wrong,word", [
    (lambda n, K, m, s: m * (1 - (1 - 1 / m) ** n), "not every sample is high quality"),
    (lambda n, K, m, s: K * (1 - (1 - _c(s) / K) ** n), "K - m modes"),
    (lambda n, K, m, s: m * (1 - (1 - _c(s) / K) ** n), "not 1/K"),
    (lambda n, K, m, s: m * (1 - (1 - math.erf(s / math.sqrt(2)) / m) ** n), "one-dimensional"),
    (lambda n, K, m, s: m * (1 - (1 - 1 / m) ** (_c(s) * n)), "mean c n"),
    (lambda n, K, m, s: 1 - (1 - _c(s) / m) ** n, "linearity"),
    (lambda n, K, m, s: m * (1 - _c(s) / m) ** n, "missed"),
    (lambda n, K, m, s: min(n, m), "min(n, m)"),
    (lambda n, K, m, s: 5.862, "not the expectation"),  # the first case's value, pasted
    (lambda n, K, m, s: 1 - math.exp(-4.5), "not the expectation"),  # the ceiling of section 6.2
    (lambda n, K, m, s: "many", "not the expectation"),
    (lambda n, K, m, s: 1 / 0, "ZeroDivisionError"),
])
def test_expected_modes_rejects(wrong, word):
    r = check_expected_modes(wrong, quiet=True)
    assert not r
    assert word in r.message, r.message


def test_expected_modes_rejects_a_simulation():
    """A Monte Carlo average, even of 20,000 batches, is about 1e-2 off: the check wants the
    exact expectation, which is the derivation the exercise asks for."""
    def simulated(n, K, m, n_std=3.0):
        rng = np.random.default_rng(0)
        hq = rng.random((20_000, n)) < _c(n_std)
        mode = rng.integers(0, m, (20_000, n))
        return float(np.mean([len(np.unique(b[h])) for b, h in zip(mode, hq, strict=True)]))

    assert not check_expected_modes(simulated, quiet=True)


def test_expected_modes_rejects_calling_gantools():
    """The shortcuts: simulating with mode_coverage, or calling the module's own reference."""
    def through_coverage(n, K, m, n_std=3.0):
        mix = ring(K)
        x = GaussianMixture(mix.means[:m], mix.stds[:m]).sample(200 * n, seed=0)
        cov = mode_coverage(x, mix, n_std=n_std)
        return float(np.mean([len(np.unique(a[h])) for a, h in
                              zip(cov.nearest.reshape(200, n), cov.high_quality.reshape(200, n), strict=True)]))

    r = check_expected_modes(through_coverage, quiet=True)
    assert not r and "mode_coverage" in r.message, r.message
    r = check_expected_modes(lambda n, K, m, n_std=3.0: expected_modes_reference(n, K, m, n_std), quiet=True)
    assert not r and "expected_modes_reference" in r.message, r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_expected_modes_starter(fn):
    with pytest.raises(NotImplementedError):
        check_expected_modes(fn, quiet=True)


# -- the side door: mode_coverage through the check module's own name ----------------------
def _through_check_module(samples, means, std, n_std=3.0):
    mc = sys.modules["gantools.exercises.mode_collapse"].mode_coverage
    r = mc(samples, GaussianMixture(means, std), n_std=n_std)
    return r.hq_fraction, r.modes_captured


_KEPT = [mode_coverage]  # a reference kept in a list: no name to replace, but its code is known


def _kept_in_a_list(samples, means, std, n_std=3.0):
    r = _KEPT[0](samples, GaussianMixture(means, std), n_std=n_std)
    return r.hq_fraction, r.modes_captured


def _ceiling_through_check_module(n_std, dim):
    mix = GaussianMixture(np.zeros((1, dim)), 1.0)
    mc = vars(sys.modules["gantools.exercises.mode_collapse"])["mode_coverage"]
    return mc(mix.sample(2000, seed=0), mix, n_std=n_std).hq_fraction


def _kl_through_check_module(m, k):
    means = np.stack([np.cos(2 * np.pi * np.arange(k) / k), np.sin(2 * np.pi * np.arange(k) / k)], axis=1)
    mc = sys.modules["gantools.exercises.mode_collapse"].mode_coverage
    return mc(np.repeat(means[:m], 10, axis=0), GaussianMixture(means, 0.01)).kl


def _modes_through_check_module(n, K, m, n_std=3.0):
    mix = ring(K)
    x = GaussianMixture(mix.means[:m], mix.stds[:m]).sample(50 * n, seed=0)
    cov = sys.modules["gantools.exercises.mode_collapse"].mode_coverage(x, mix, n_std=n_std)
    return float(np.mean([len(np.unique(a[h])) for a, h in
                          zip(cov.nearest.reshape(50, n), cov.high_quality.reshape(50, n), strict=True)]))


@pytest.mark.parametrize("check,answer", [
    (check_high_quality_and_captured, _through_check_module),
    (check_high_quality_and_captured, _kept_in_a_list),
    (check_three_sigma_ceiling, _ceiling_through_check_module),
    (check_histogram_kl, _kl_through_check_module),
    (check_expected_modes, _modes_through_check_module),
])
def test_mode_coverage_through_the_check_module_is_rejected(check, answer):
    """sys.modules["gantools.exercises.mode_collapse"].mode_coverage is the same function as
    gantools.metrics.mode_coverage: the tripwire replaces that alias too, on the book's cases and
    on fresh ones, and puts it back afterwards."""
    module = sys.modules["gantools.exercises.mode_collapse"]
    assert "gantools.metrics.mode_coverage" in check.spec.forbid
    r = check(answer, quiet=True)
    assert not r and "gantools.metrics.mode_coverage" in r.message, r.message
    status, message = evaluate(check.spec, answer, np.random.default_rng(0))
    assert status == "fail" and "gantools.metrics.mode_coverage" in message, message
    assert module.mode_coverage is mode_coverage and _KEPT[0] is mode_coverage  # restored


def test_the_alias_is_replaced_while_the_answer_runs():
    seen = []

    def peek(samples, means, std, n_std=3.0):
        seen.append(sys.modules["gantools.exercises.mode_collapse"].mode_coverage is _KEPT[0])
        return high_quality_and_captured(samples, means, std, n_std)

    assert check_high_quality_and_captured(peek, quiet=True)
    assert seen and not any(seen)
    assert sys.modules["gantools.exercises.mode_collapse"].mode_coverage is _KEPT[0]


# -- fresh cases (what the grader draws) ------------------------------------------------------
def hq_ceiling(n_std, dim):
    return float(chi2(dim).cdf(n_std**2))


def histogram_kl(m, k):
    return sum((1 / m) * math.log((1 / m) / (1 / k)) for _ in range(m))


SOLUTIONS = {
    check_high_quality_and_captured: high_quality_and_captured,
    check_three_sigma_ceiling: hq_ceiling,
    check_histogram_kl: histogram_kl,
    check_grid_best_response: best_response_on_grid,
    check_expected_modes: expected_modes,
}


@pytest.mark.parametrize("check", list(SOLUTIONS), ids=lambda c: c.__name__)
@pytest.mark.parametrize("seed", SEEDS)
def test_solutions_pass_on_fresh_cases(check, seed):
    status, message = evaluate(check.spec, SOLUTIONS[check], np.random.default_rng(seed))
    assert status == "pass", message


def test_independent_routes_pass_on_fresh_cases():
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        assert evaluate(check_expected_modes.spec, expected_modes_by_chain, rng)[0] == "pass"


@pytest.mark.parametrize("check", list(SOLUTIONS), ids=lambda c: c.__name__)
def test_fresh_cases_are_fresh_and_reproducible(check):
    spec = check.spec
    book = spec.draw(None)
    for seed in SEEDS:
        fresh = spec.draw(np.random.default_rng(seed))
        assert fresh != book and len(fresh) == len(book)
        assert fresh == spec.draw(np.random.default_rng(seed))
    assert spec.draw(np.random.default_rng(0)) != spec.draw(np.random.default_rng(1))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("variant,word", [
    ("any_sample", "high-quality"), ("squared", "not its square"), ("mode0", "nearest"), ("no_std", "n_std alone"),
])
def test_coverage_wrong_answers_fail_on_fresh_cases(variant, word, seed):
    status, message = evaluate(check_high_quality_and_captured.spec,
                               lambda *a: high_quality_and_captured(*a, variant=variant), np.random.default_rng(seed))
    assert status == "fail" and word in message, message


def test_coverage_fresh_cases_separate_every_wrong_variant():
    """Over many draws, every case keeps its samples off the radius and the nearest-mode
    boundaries, and each draw tells every wrong variant from the right metric."""
    spec = check_high_quality_and_captured.spec
    for seed in range(40):
        cases = spec.draw(np.random.default_rng(seed))
        for case in cases:
            x, means = np.array(case["samples"]), np.array(case["means"])
            d = np.sort(np.sqrt(((x[:, None] - means[None]) ** 2).sum(-1)), axis=1)
            t = case["n_std"] * case["std"]
            assert np.all(d[:, 1] > 1.02 * d[:, 0])  # no near-tie for the nearest mode
            assert np.all(np.abs(d[:, 0] / t - 1) > 0.04)  # off the radius
        for variant in ("any_sample", "squared", "mode0", "no_std"):
            assert evaluate(spec, lambda *a, v=variant: high_quality_and_captured(*a, variant=v),
                            np.random.default_rng(seed))[0] == "fail"


@pytest.mark.parametrize("check,wrong,word", [
    (check_three_sigma_ceiling, lambda n, d: 1 - math.exp(-n * n / 2), "2 degrees of freedom only"),
    (check_three_sigma_ceiling, lambda n, d: math.erf(n / math.sqrt(2)), "one-dimensional"),
    (check_three_sigma_ceiling, lambda n, d: math.erf(n / math.sqrt(2)) ** d, "ball"),
    (check_three_sigma_ceiling, lambda n, d: chi2(d).cdf(n), "n_std²"),
    (check_histogram_kl, lambda m, k: math.log(m / k), "Sign"),
    (check_histogram_kl, lambda m, k: math.log2(k / m), "bits"),
    (check_histogram_kl, lambda m, k: (m / k) * math.log(k / m), "m terms"),
    (check_grid_best_response, lambda x, d: d / d.sum(), "matching D"),
    (check_grid_best_response, lambda x, d: best_response_on_grid(x, -d), "lowest"),
    (check_grid_best_response, lambda x, d: np.full(x.shape, 1 / x.size), "linear"),
    (check_expected_modes, lambda n, K, m, s: m * (1 - (1 - 1 / m) ** n), "not every sample is high quality"),
    (check_expected_modes, lambda n, K, m, s: m * (1 - (1 - _c(s) / K) ** n), "not 1/K"),
    (check_expected_modes, lambda n, K, m, s: m * (1 - (1 - 1 / m) ** (_c(s) * n)), "mean c n"),
    (check_expected_modes, lambda n, K, m, s: m * (1 - _c(s) / m) ** n, "missed"),
])
@pytest.mark.parametrize("seed", SEEDS)
def test_wrong_answers_fail_on_fresh_cases(check, wrong, word, seed):
    status, message = evaluate(check.spec, wrong, np.random.default_rng(seed))
    assert status == "fail" and word in message, message


def _book_table(check):
    """A function that returns, call after call, the right outputs for the book's cases (computed
    here, outside the answer): a table fitted to the book, not a computation."""
    spec, solution = check.spec, SOLUTIONS[check]
    outputs = [solution(*spec.build(c)) if spec.build else solution(*c) for c in spec.draw(None)]
    table = itertools.cycle(outputs)
    return lambda *args: next(table)


@pytest.mark.parametrize("check", list(SOLUTIONS), ids=lambda c: c.__name__)
def test_a_table_of_the_book_outputs_fails_on_fresh_cases(check):
    assert check(_book_table(check), quiet=True)  # it passes in the notebook ...
    for seed in SEEDS:  # ... but not on the grader's cases
        status, message = evaluate(check.spec, _book_table(check), np.random.default_rng(seed))
        assert status == "fail", message


def test_a_lookup_by_input_fails_on_fresh_cases():
    table = {tuple(c): hq_ceiling(*c) for c in check_three_sigma_ceiling.spec.draw(None)}
    assert check_three_sigma_ceiling(lambda n, d: table[(n, d)], quiet=True)
    status, message = evaluate(check_three_sigma_ceiling.spec, lambda n, d: table[(n, d)], np.random.default_rng(0))
    assert status == "fail" and "KeyError" in message, message


def test_a_copy_of_a_reference_s_code_is_caught_by_name():
    """The grader's copy tripwire: a new function built from a closed-form reference's __code__
    (no forbidden routine inside it to trip over) is named in the message, and fails."""
    import math
    import types

    from gantools.exercises import mode_collapse as module

    copy = types.FunctionType(module._histogram_kl_reference.__code__, {"math": math})
    assert copy(1, 8) == module._histogram_kl_reference(1, 8)  # the copy computes the right answer
    r = check_histogram_kl(copy, quiet=True)
    assert not r and "_histogram_kl_reference" in r.message, r.message
