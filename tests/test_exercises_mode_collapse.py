"""The chapter 6 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code."""

import math

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
from gantools.metrics import mode_coverage


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
    assert not r and "expected" in r.message
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
    (lambda m, k: 1.0, "expected"), (lambda m, k: [1, 2], "For m=1, K=8"),
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
    (lambda n, K, m, s: 5.862, "expected"),  # the first case's value, pasted
    (lambda n, K, m, s: 1 - math.exp(-4.5), "expected"),  # the ceiling of section 6.2
    (lambda n, K, m, s: "many", "expected"),
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
