"""gantools.distributions: densities, sampling, benchmarks and input validation."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from gantools.distributions import GaussianMixture, Uniform, grid, normal, ring


def test_1d_mixture_pdf_matches_scipy_and_integrates_to_one():
    p = GaussianMixture([-1.0, 2.0], [0.5, 1.5], [0.3, 0.7])
    x = np.linspace(-5, 8, 101)
    ref = 0.3 * stats.norm.pdf(x, -1, 0.5) + 0.7 * stats.norm.pdf(x, 2, 1.5)
    assert np.max(np.abs(p.pdf(x) - ref)) < 1e-14
    total, _ = integrate.quad(p.pdf, -np.inf, np.inf)
    assert abs(total - 1) < 1e-9


def test_1d_mixture_cdf_matches_scipy():
    p = GaussianMixture([0.0, 3.0], [1.0, 0.2], [0.5, 0.5])
    x = np.linspace(-4, 5, 50)
    ref = 0.5 * stats.norm.cdf(x, 0, 1) + 0.5 * stats.norm.cdf(x, 3, 0.2)
    assert np.max(np.abs(p.cdf(x) - ref)) < 1e-14


def test_log_pdf_is_finite_in_far_tails():
    p = GaussianMixture([0.0], 1.0)
    assert abs(p.log_pdf(100.0) - (-0.5 * 100**2 - 0.5 * math.log(2 * math.pi))) < 1e-9
    assert p.pdf(100.0) == 0.0  # underflows, while log_pdf stays exact


def test_large_mixture_chunked_log_pdf_agrees_with_direct_sum():
    rng = np.random.default_rng(0)
    p = GaussianMixture(rng.normal(size=3000), 0.1)
    x = np.linspace(-3, 3, 700)  # 700 * 3000 points: evaluated in chunks
    direct = np.mean(stats.norm.pdf(x[:, None], p.means, 0.1), axis=1)
    assert np.max(np.abs(p.pdf(x) - direct)) < 1e-12


def test_2d_mixture_pdf_integrates_to_one_and_matches_scipy():
    p = GaussianMixture([[0.0, 0.0], [2.0, 1.0]], [0.7, 0.5], [0.4, 0.6])
    pts = np.array([[0.3, -0.2], [2.0, 1.0], [5.0, 5.0]])
    ref = 0.4 * stats.multivariate_normal.pdf(pts, [0, 0], 0.49) + 0.6 * stats.multivariate_normal.pdf(pts, [2, 1], 0.25)
    assert np.max(np.abs(p.pdf(pts) - ref)) < 1e-14
    g = np.linspace(-6, 8, 701)
    xx, yy = np.meshgrid(g, g, indexing="ij")
    dens = p.pdf(np.stack([xx, yy], axis=-1))
    assert dens.shape == (701, 701)
    assert abs(np.trapezoid(np.trapezoid(dens, g, axis=1), g) - 1) < 1e-6


def test_uniform_pdf_cdf_log_pdf():
    u = Uniform(-1.0, 3.0)
    assert np.allclose(u.pdf([-2, 0, 3.5]), [0, 0.25, 0])
    assert np.allclose(u.cdf([-2, 1, 4]), [0, 0.5, 1])
    assert u.log_pdf(5.0) == -np.inf and abs(u.log_pdf(0.0) - math.log(0.25)) < 1e-15


@pytest.mark.parametrize("dist", [GaussianMixture([0.0, 4.0], 1.0), Uniform(0, 2), ring(), grid()])
def test_sampling_is_reproducible_with_the_right_shape(dist):
    a, b = dist.sample(500, seed=3), dist.sample(500, seed=3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, dist.sample(500, seed=4))
    assert a.shape == ((500,) if dist.dim == 1 else (500, 2))


def test_samples_follow_the_weights_and_moments():
    p = GaussianMixture([-5.0, 5.0], [1.0, 1.0], [0.2, 0.8])
    x = p.sample(200_000, seed=0)
    assert abs(np.mean(x > 0) - 0.8) < 0.005
    assert abs(x.mean() - p.mean()) < 0.03  # mean = 0.2*(-5) + 0.8*5 = 3


def test_ring_and_grid_follow_pacgan_constants():
    r = ring()
    assert r.means.shape == (8, 2)
    assert np.allclose(np.linalg.norm(r.means, axis=1), 1.0) and np.allclose(r.stds, 0.01)
    g = grid()
    assert g.means.shape == (25, 2) and np.allclose(g.stds, 0.05)
    assert sorted(set(g.means[:, 0].round(9))) == [-4, -2, 0, 2, 4]
    assert np.allclose(g.weights, 1 / 25)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(means=[0, 1], stds=1, weights=[0.5, 0.6]), "sum to 1"),
        (dict(means=[0, 1], stds=[1, 0]), "positive"),
        (dict(means=[0, 1], stds=[1, -2]), "positive"),
        (dict(means=[0, 1], stds=[1, 1, 1]), "shape"),
        (dict(means=[0, 1], stds=1, weights=[1.0]), "shape"),
        (dict(means=[0, 1], stds=1, weights=[1.5, -0.5]), "non-negative"),
        (dict(means=[], stds=1), "K >= 1"),
        (dict(means=[0, np.nan], stds=1), "finite"),
    ],
)
def test_gaussian_mixture_rejects_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GaussianMixture(**kwargs)


def test_bad_inputs_name_the_bad_value():
    with pytest.raises(ValueError, match="low=2.0, high=1.0"):
        Uniform(2, 1)
    with pytest.raises(ValueError, match="low=1.0, high=1.0"):
        Uniform(1, 1)
    with pytest.raises(ValueError, match="1D"):
        ring().cdf([[0, 0]])
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        ring().pdf(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="non-negative integer"):
        Uniform(0, 1).sample(-3)
    with pytest.raises(ValueError, match="n_modes"):
        ring(n_modes=0)
    with pytest.raises(ValueError, match="side"):
        grid(side=0)


def test_normal_is_a_one_component_mixture():
    p = normal(1.5, 0.5)
    assert p.means.tolist() == [1.5] and p.stds.tolist() == [0.5]
    assert abs(p.pdf(1.5) - stats.norm.pdf(1.5, 1.5, 0.5)) < 1e-15
    with pytest.raises(ValueError, match="positive"):
        normal(0.0, -1.0)
