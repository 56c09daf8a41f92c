"""gantools.mode_collapse.bound: the connected-latent bound and the Lipschitz constants it needs; and gantools.ringgrid's miss profile."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import norm

from gantools.batched import BatchedGAN, BatchedGANConfig
from gantools.distributions import grid, ring
from gantools.mode_collapse.bound import (
    clip_map,
    disc_gap,
    hq_bound,
    hq_bound_shares,
    isoperimetric_sum,
    jacobian,
    jacobian_norms,
    lipschitz_lower,
    lipschitz_needed,
    lipschitz_upper,
)
from gantools.ringgrid import miss_distances, miss_profile


def test_two_modes_closed_form_and_the_inverse():
    for L, delta in ((1.0, 1.0), (5.0, 1.7), (40.0, 0.7)):
        assert abs(hq_bound(L, delta, 2) - 2 * norm.cdf(-delta / (2 * L))) < 1e-12
        for K in (2, 8, 25):
            h = hq_bound(L, delta, K)
            assert abs(lipschitz_needed(h, delta, K) - L) < 1e-6 * L
            assert abs(hq_bound_shares(np.ones(K), L, delta) - h) < 1e-9


def test_the_numbers_the_chapter_quotes():
    # grid: discs of radius 0.15 on spacing 2 -> gap 1.7; 95% HQ needs L of about 36
    assert abs(disc_gap(grid()) - 1.7) < 1e-12
    assert abs(lipschitz_needed(0.95, 1.7, 25) - 35.9) < 0.05
    gap_ring = 2 * math.sin(math.pi / 8) - 0.06
    assert abs(disc_gap(ring()) - gap_ring) < 1e-12
    assert 19 < lipschitz_needed(0.97, gap_ring, 8) < 20


def test_the_bound_is_tight_for_two_modes_and_half_the_gap_is_right():
    # G(z) = clip(L z_1, -a, a) is L-Lipschitz; modes at +-a with HQ radius r: gap 2a - 2r.
    z = np.random.default_rng(0).standard_normal((400_000, 2))
    L, a, r = 3.0, 1.0, 0.15
    x = clip_map(z, L, a)
    hq = np.mean(np.abs(np.abs(x) - a) <= r)
    delta = 2 * a - 2 * r
    se = math.sqrt(hq * (1 - hq) / len(z))
    assert abs(hq - hq_bound(L, delta, 2)) < 4 * se  # attained: the bound cannot be improved
    assert hq > 2 * norm.cdf(-delta / L) + 20 * se  # a bound with delta / L would be violated


def test_a_staircase_onto_the_grid_stays_below_the_bound():
    # each coordinate: 5 flat steps of equal Gaussian mass joined by ramps of slope L
    L = 12.0
    q = norm.ppf(np.arange(1, 5) / 5)  # the 4 step boundaries
    levels = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])

    def stair(u):
        out = np.full_like(u, -4.0)
        for b in q:  # each boundary adds a ramp of height 2 centred on it
            out += np.clip(L * (u - b) + 1.0, 0.0, 2.0)
        return out

    u = np.random.default_rng(1).standard_normal((400_000, 2))
    x = np.stack([stair(u[:, 0]), stair(u[:, 1])], axis=1)
    assert set(np.round(stair(np.array([-3.0, 3.0])), 9)) == {-4.0, 4.0} and levels[2] == 0
    dist = miss_distances(x, grid()) * 0.05
    hq = np.mean(dist <= 0.15)
    se = math.sqrt(hq * (1 - hq) / len(u))
    bound = hq_bound(L, 1.7, 25)  # ||J|| = max slope = L: the map is L-Lipschitz
    assert hq < bound - 4 * se, (hq, bound)
    counts = np.bincount(grid_nearest(x)[dist <= 0.15], minlength=25) / len(u)
    assert isoperimetric_sum(counts, L, 1.7) <= 1 + 4 * se


def grid_nearest(x):
    m = grid().means
    return np.linalg.norm(x[:, None] - m[None], axis=2).argmin(1)


def test_shares_bound_behaves():
    assert hq_bound_shares([0, 5, 0], 1.0, 1.0) == 1.0  # one mode: collapse is not limited
    even = hq_bound_shares(np.ones(25), 10.0, 1.7)
    skewed = hq_bound_shares(np.r_[np.ones(24), 30.0], 10.0, 1.7)
    assert skewed > even
    assert hq_bound_shares(np.ones(25), 20.0, 1.7) > even  # a steeper G may do better


@pytest.mark.parametrize("bad, match", [
    (lambda: hq_bound(0.0, 1.0, 2), "Lipschitz constant L must be positive, got 0.0"),
    (lambda: hq_bound(1.0, -1.0, 2), "gap delta must be positive, got -1.0"),
    (lambda: hq_bound(1.0, 1.0, 1), "integer >= 2, got 1"),
    (lambda: lipschitz_needed(1.2, 1.0, 8), "hq must be in"),
    (lambda: isoperimetric_sum([0.7, 0.7], 1.0, 1.0), "sum to at most 1"),
    (lambda: miss_profile(np.zeros((3, 2)), grid(), edges=(6, 3)), "increasing"),
])
def test_bad_input_names_the_value(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


TINY = BatchedGANConfig(g_hidden=8, d_hidden=8, g_layers=2, d_layers=1, batch_size=32)


@pytest.mark.parametrize("changes", [{}, {"g_activation": "tanh", "noise_std": 3.0},
                                     {"g_activation": "leaky_relu"}, {"g_batchnorm": True}])
def test_jacobian_matches_autograd(changes):
    gan = BatchedGAN(TINY.replace(**changes), seeds=[0, 1])
    gan.train(ring(), 3)  # batch norm gets running statistics
    z = gan.noise(5, torch.Generator().manual_seed(3)).double()
    gan.G = [[p.double() for p in layer] for layer in gan.G]
    if gan.bn is not None:
        gan.bn.params = [[p.double() for p in layer] for layer in gan.bn.params]
        gan.bn.mean = [m.double() for m in gan.bn.mean]
        gan.bn.var = [v.double() for v in gan.bn.var]
    J = jacobian(gan, z)
    for s in range(2):
        for i in range(5):
            ref = torch.autograd.functional.jacobian(lambda v, s=s: gan.generate(v.expand(2, 1, 2))[s, 0], z[s, i:i + 1])
            assert torch.allclose(J[s, i], ref.reshape(2, 2), atol=1e-10)
    norms = jacobian_norms(gan, z)
    assert torch.allclose(norms, gan.cfg.noise_std * torch.linalg.matrix_norm(J, ord=2))


def test_lipschitz_estimates_bracket_the_sampled_norms():
    gan = BatchedGAN(TINY.replace(g_activation="tanh"), seeds=[0, 1]).train([ring(), grid()], 20)
    lo, hi = lipschitz_lower(gan, [ring(), grid()], n=2000, pairs=20), lipschitz_upper(gan)
    z = gan.noise(2000, torch.Generator().manual_seed(0))
    sampled = jacobian_norms(gan, z).amax(1).numpy()
    assert np.all(lo >= sampled - 1e-6) and np.all(lo <= hi + 1e-6)
    with pytest.raises(ValueError, match="mixture latent"):
        lipschitz_lower(BatchedGAN(TINY.replace(latent_components=4)), [ring()])


def test_miss_profile_of_known_distances():
    mix = grid()
    offsets = np.array([0.0, 2.0, 4.0, 7.0, 12.0, 20.0]) * 0.05  # in stds of 0.05, along x
    x = mix.means[0] + np.stack([offsets, np.zeros_like(offsets)], axis=1)
    assert np.allclose(miss_distances(x, mix), [0, 2, 4, 7, 12, 20])
    prof = miss_profile(x, mix)
    assert prof == {"3-6": 1 / 6, "6-10": 1 / 6, ">10": 2 / 6}
