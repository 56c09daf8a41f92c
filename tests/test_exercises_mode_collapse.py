"""The chapter 6 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code."""

import math

import numpy as np
import pytest
from scipy.stats import chi2

from gantools.distributions import GaussianMixture
from gantools.exercises.mode_collapse import (
    check_grid_best_response,
    check_high_quality_and_captured,
    check_histogram_kl,
    check_three_sigma_ceiling,
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
