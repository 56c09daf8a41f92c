import math

import numpy as np
import pytest

from gantools.distributions import GaussianMixture, grid, ring
from gantools.metrics import mode_coverage


def brute_force(x, means, stds, weights, n_std=3.0):
    """The protocol written as plain loops: an independent implementation."""
    captured, counts, hq = set(), [0] * len(means), 0
    for p in x:
        d = [math.dist(p, m) for m in means]
        j = min(range(len(means)), key=d.__getitem__)
        if d[j] <= n_std * stds[j]:
            hq += 1
            counts[j] += 1
            captured.add(j)
    q = [c / hq for c in counts] if hq else None
    kl = math.inf if q is None else sum(qi * math.log(qi / w) for qi, w in zip(q, weights, strict=True) if qi > 0)
    return len(captured), hq / len(x), kl


@pytest.mark.parametrize("make", [ring, grid])
def test_agrees_with_brute_force_loops(make):
    mix = make()
    rng = np.random.default_rng(0)
    # a generator that is good on some modes, sloppy on others, and misses a few
    x = np.concatenate([mix.sample(300, seed=1)[:200], mix.means[rng.integers(0, 3, 300)] + rng.normal(0, 0.1, (300, 2))])
    r = mode_coverage(x, mix)
    m, h, kl = brute_force(x, mix.means, np.broadcast_to(mix.stds, len(mix.weights)), mix.weights)
    assert r.modes_captured == m
    assert abs(r.hq_fraction - h) < 1e-12
    assert abs(r.kl - kl) < 1e-12
    assert r.counts.sum() == r.high_quality.sum() == round(h * len(x))


def test_true_samples_reach_the_chi_square_ceiling():
    # |x - mu|^2 / sigma^2 ~ chi^2 with 2 dof, so P(within 3 sd) = 1 - exp(-9/2) in 2D
    mix = grid()
    r = mode_coverage(mix.sample(200_000, seed=3), mix)
    ceiling = 1 - math.exp(-4.5)
    assert abs(r.hq_fraction - ceiling) < 4 * math.sqrt(ceiling * (1 - ceiling) / 200_000)
    assert r.modes_captured == 25 and r.kl < 1e-3


def test_collapse_to_one_mode_has_kl_log_k():
    mix = ring()
    x = np.repeat(mix.means[2:3], 50, axis=0)
    r = mode_coverage(x, mix)
    assert (r.modes_captured, r.hq_fraction) == (1, 1.0)
    assert abs(r.kl - math.log(8)) < 1e-12


def test_half_the_modes_evenly_gives_log_2_and_radius_is_inclusive():
    mix = ring()
    x = mix.means[::2].copy()
    x[0, 0] += 3 * 0.01  # exactly on the 3-sd boundary: still high quality
    r = mode_coverage(x, mix)
    assert r.modes_captured == 4 and r.hq_fraction == 1.0
    assert abs(r.kl - math.log(2)) < 1e-12
    x[0, 0] += 1e-6  # just outside
    assert mode_coverage(x, mix).hq_fraction == 0.75


def test_no_high_quality_sample_gives_infinite_kl():
    r = mode_coverage(np.zeros((10, 2)), ring())  # the ring's centre is 1 away from every mode
    assert r.modes_captured == 0 and r.hq_fraction == 0.0 and r.kl == math.inf


def test_one_dimensional_mixture_and_unequal_weights_and_stds():
    mix = GaussianMixture([-4.0, 0.0, 4.0], [0.5, 0.1, 1.0], [0.5, 0.25, 0.25])
    x = np.array([-4.0, -2.6, 0.25, 0.35, 6.9, 7.1])  # -2.6 is 2.8 sd of mode 0: hq
    r = mode_coverage(x, mix)
    assert list(r.high_quality) == [True, True, True, False, True, False]
    q = np.array([2, 1, 1]) / 4
    assert abs(r.kl - float(np.sum(q * np.log(q / mix.weights)))) < 1e-12
    assert mode_coverage(x, mix, n_std=1.0).hq_fraction == 1 / 6


@pytest.mark.parametrize(
    "samples, mixture, n_std, message",
    [
        (np.zeros((5, 3)), ring(), 3.0, "shape \\(n, 2\\)"),
        (np.zeros((0, 2)), ring(), 3.0, "at least one sample"),
        (np.full((2, 2), np.nan), ring(), 3.0, "NaN or infinite"),
        (np.zeros((5, 2)), "ring", 3.0, "GaussianMixture"),
        (np.zeros((5, 2)), ring(), 0.0, "n_std must be a positive"),
    ],
)
def test_bad_input_is_a_clear_value_error(samples, mixture, n_std, message):
    with pytest.raises(ValueError, match=message):
        mode_coverage(samples, mixture, n_std)
