"""gantools.theory against closed forms and against SciPy's adaptive quadrature."""

import math

import numpy as np
import pytest
from scipy import integrate

from gantools.distributions import GaussianMixture, Uniform, ring
from gantools.theory import (
    expectation,
    js_divergence,
    kl_divergence,
    optimal_discriminator,
    value_function,
    wasserstein1,
)

LOG2, LOG4 = math.log(2), math.log(4)


def gauss(m, s):
    return GaussianMixture([m], s)


def kl_gauss(m1, s1, m2, s2):
    return math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5


@pytest.mark.parametrize("m1,s1,m2,s2", [(0, 1, 0, 1), (0, 1, 1.5, 0.5), (-2, 0.1, 3, 2.0), (1, 3, 1, 0.3)])
def test_kl_between_gaussians_matches_closed_form(m1, s1, m2, s2):
    assert abs(kl_divergence(gauss(m1, s1), gauss(m2, s2)) - kl_gauss(m1, s1, m2, s2)) < 1e-9


def test_kl_with_uniforms():
    assert abs(kl_divergence(Uniform(0, 1), Uniform(-1, 2)) - math.log(3)) < 1e-12
    # KL(U(0,1) || N(0,1)) = log sqrt(2 pi) + E[x^2]/2 = 0.5 log(2 pi) + 1/6
    assert abs(kl_divergence(Uniform(0, 1), gauss(0, 1)) - (0.5 * math.log(2 * math.pi) + 1 / 6)) < 1e-12
    assert kl_divergence(gauss(0, 1), Uniform(-50, 50)) == math.inf  # p has mass where q has none
    assert kl_divergence(Uniform(0, 2), Uniform(0, 1)) == math.inf


def test_jsd_of_identical_distributions_is_zero():
    p = GaussianMixture([-1, 2], [0.3, 1.0], [0.4, 0.6])
    assert abs(js_divergence(p, p)) < 1e-12
    assert abs(js_divergence(Uniform(0, 1), Uniform(0, 1))) < 1e-15


@pytest.mark.parametrize("theta", [1.0, 1.5, 7.0, -3.0])
def test_jsd_of_disjoint_supports_is_log2(theta):
    assert abs(js_divergence(Uniform(0, 1), Uniform(theta, theta + 1)) - LOG2) < 1e-12


@pytest.mark.parametrize("theta", [0.1, 0.5, 0.9, -0.25])
def test_jsd_of_overlapping_uniforms_is_overlap_deficit_times_log2(theta):
    # regions where only one density lives have mass |theta| each and contribute log 2
    assert abs(js_divergence(Uniform(0, 1), Uniform(theta, theta + 1)) - abs(theta) * LOG2) < 1e-12


def test_jsd_is_symmetric_and_bounded():
    p, q = GaussianMixture([0, 3], [0.5, 0.2]), Uniform(-1, 1)
    assert abs(js_divergence(p, q) - js_divergence(q, p)) < 1e-12
    assert 0 < js_divergence(p, q) < LOG2


def _quad(f, pts, lo, hi):
    """SciPy's adaptive quadrature, an independent reference."""
    return integrate.quad(f, lo, hi, points=sorted(pts), limit=500, epsabs=1e-13, epsrel=1e-12)[0]


@pytest.mark.parametrize("seed", range(6))
def test_jsd_and_kl_agree_with_scipy_quad_on_random_mixtures(seed):
    rng = np.random.default_rng(seed)
    p = GaussianMixture(rng.uniform(-3, 3, 3), rng.uniform(0.2, 1.5, 3), rng.dirichlet(np.ones(3)))
    q = GaussianMixture(rng.uniform(-3, 3, 2), rng.uniform(0.2, 1.5, 2), rng.dirichlet(np.ones(2)))
    pts = np.concatenate([p.means, q.means])

    def jsd_integrand(x):
        a, b = p.pdf(x), q.pdf(x)
        m = (a + b) / 2
        return 0.5 * (a * np.log(a / m) if a > 0 else 0) + 0.5 * (b * np.log(b / m) if b > 0 else 0)

    ref = _quad(jsd_integrand, pts, -15, 15)
    assert abs(js_divergence(p, q) - ref) < 1e-9
    ref_kl = _quad(lambda x: p.pdf(x) * (p.log_pdf(x) - q.log_pdf(x)), pts, -15, 15)
    assert abs(kl_divergence(p, q) - ref_kl) < 1e-8


def test_w1_of_shifted_distributions_is_the_shift():
    assert abs(wasserstein1(gauss(0, 1), gauss(0.7, 1)) - 0.7) < 1e-10
    assert abs(wasserstein1(Uniform(0, 1), Uniform(5, 6)) - 5) < 1e-10
    assert abs(wasserstein1(Uniform(0, 1), Uniform(-0.3, 0.7)) - 0.3) < 1e-10
    p = GaussianMixture([-1, 2], [0.3, 0.6], [0.3, 0.7])
    shifted = GaussianMixture(p.means + 1.25, p.stds, p.weights)
    assert abs(wasserstein1(p, shifted) - 1.25) < 1e-9


def test_w1_of_scaled_distributions():
    # location-scale family: W1 = |s1 - s2| E|Z| = |s1 - s2| sqrt(2/pi) for Gaussians
    assert abs(wasserstein1(gauss(0, 1), gauss(0, 2)) - math.sqrt(2 / math.pi)) < 1e-10
    # quantiles u and 2u: W1 = integral of u du = 1/2
    assert abs(wasserstein1(Uniform(0, 1), Uniform(0, 2)) - 0.5) < 1e-10


def test_w1_agrees_with_scipy_quad_when_cdfs_cross():
    p, q = GaussianMixture([-1, 1], [0.3, 0.8]), GaussianMixture([0.2], 1.3)
    ref = _quad(lambda x: abs(p.cdf(x) - q.cdf(x)), [-1, 0.2, 1], -20, 20)
    assert abs(wasserstein1(p, q) - ref) < 1e-9


def test_optimal_discriminator_formula_and_conventions():
    p, q = GaussianMixture([-1, 1], 0.5), Uniform(0, 2)
    D = optimal_discriminator(p, q)
    x = np.array([-1.0, 0.5, 1.5, 3.0])
    expected = p.pdf(x) / (p.pdf(x) + q.pdf(x))
    assert np.max(np.abs(D(x) - expected)) < 1e-14
    assert D(np.zeros((3, 4))).shape == (3, 4)
    # where both densities vanish D* = 1/2
    assert optimal_discriminator(Uniform(0, 1), Uniform(2, 3))(np.array([5.0]))[0] == 0.5
    # logit is the log density ratio
    assert abs(D.logit(0.5) - (p.log_pdf(0.5) - q.log_pdf(0.5))) < 1e-14


def test_value_function_identities():
    p, q = GaussianMixture([-1, 1.5], [0.4, 0.7], [0.5, 0.5]), GaussianMixture([0.3], 1.2)
    D = optimal_discriminator(p, q)
    assert abs(value_function(D, p, q) - (2 * js_divergence(p, q) - LOG4)) < 1e-9
    assert abs(value_function(lambda x: np.full_like(x, 0.5), p, q) + LOG4) < 1e-12
    # any other D is worse
    assert value_function(lambda x: 0.9 * D(x) + 0.05, p, q) < value_function(D, p, q)
    # D = 0 where p_data has mass: log 0
    assert value_function(lambda x: np.zeros_like(x), p, q) == -math.inf


def test_value_function_at_optimum_for_disjoint_supports_is_zero():
    p, q = Uniform(0, 1), Uniform(3, 4)
    assert abs(value_function(optimal_discriminator(p, q), p, q)) < 1e-15


def test_expectation_matches_moments():
    p = GaussianMixture([1.0], 2.0)
    assert abs(expectation(lambda x: x**2, p) - 5.0) < 1e-10
    assert abs(expectation(lambda x: x, Uniform(2, 4)) - 3.0) < 1e-12


def test_theory_rejects_2d_distributions():
    with pytest.raises(ValueError, match="1D"):
        js_divergence(ring(), ring())
