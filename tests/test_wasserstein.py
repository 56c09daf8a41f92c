"""gantools.wasserstein: critics, Lipschitz estimates and exact optimal transport."""

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from gantools.distributions import GaussianMixture, normal
from gantools.theory import wasserstein1
from gantools.wasserstein import (
    CriticConfig,
    batch_dependence,
    critic_gap,
    critic_mlp,
    empirical_w1,
    fit_critic,
    grad_norms,
    layer_lipschitz_bound,
    lipschitz_estimates,
    one_sided_penalty,
)

FAST = CriticConfig(hidden=32, batch_size=128, n_eval=4000)


# -- empirical_w1 ----------------------------------------------------------------------------
def test_empirical_w1_matches_sorted_samples_in_1d():
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, 1, 300), rng.normal(2, 0.5, 300)
    sorted_w1 = np.mean(np.abs(np.sort(x) - np.sort(y)))
    assert abs(empirical_w1(x, y) - sorted_w1) < 1e-10


def test_empirical_w1_hand_made_2d():
    # Corners of the unit square vs the same corners shifted by (3, 4): every point moves 5.
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert abs(empirical_w1(x, x + np.array([3.0, 4.0])) - 5.0) < 1e-12
    # Two points to their swapped images: the identity coupling is not optimal.
    a = np.array([[0.0, 0.0], [10.0, 0.0]])
    b = np.array([[10.0, 1.0], [0.0, 1.0]])
    assert abs(empirical_w1(a, b) - 1.0) < 1e-12
    # Unequal sizes: one point at the origin against two at distance 1 and 3.
    assert abs(empirical_w1(np.zeros((1, 2)), np.array([[1.0, 0.0], [0.0, 3.0]])) - 2.0) < 1e-12


def test_empirical_w1_diracs_and_symmetry():
    assert abs(empirical_w1([0.0], [2.5]) - 2.5) < 1e-12
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(50, 3)), rng.normal(size=(40, 3))
    assert abs(empirical_w1(x, y) - empirical_w1(y, x)) < 1e-10
    assert abs(empirical_w1(x, x)) < 1e-12


@pytest.mark.parametrize("x,y,word", [
    (np.zeros((3, 2)), np.zeros((3, 3)), "same dimension"),
    (np.zeros(0), np.zeros(3), "non-empty"),
    (np.array([0.0, np.nan]), np.zeros(2), "finite"),
    (np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), "shape (n,) or (n, d)"),
])
def test_empirical_w1_rejects_bad_input(x, y, word):
    with pytest.raises(ValueError, match=word.replace("(", r"\(").replace(")", r"\)")):
        empirical_w1(x, y)


# -- critic_mlp --------------------------------------------------------------------------------
def test_critic_mlp_shapes_and_options():
    x = torch.randn(5, 3)
    for lip in (None, "clip", "gp", "lp", "sn", "none"):
        assert critic_mlp(3, hidden=8, lipschitz=lip)(x).shape == (5, 1)
    assert not any(isinstance(m, nn.BatchNorm1d) for m in critic_mlp(2))  # no batch norm by default
    assert any(isinstance(m, nn.BatchNorm1d) for m in critic_mlp(2, norm="batch"))
    assert any(isinstance(m, nn.LayerNorm) for m in critic_mlp(2, norm="layer"))
    a, b = critic_mlp(2, seed=3), critic_mlp(2, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


@pytest.mark.parametrize("kwargs,word", [
    ({"lipschitz": "wgan"}, "unknown lipschitz method"),
    ({"norm": "group"}, "unknown norm"),
    ({"hidden": 0}, "hidden must be an integer >= 1"),
    ({"dim": 1.5}, "dim must be an integer"),
])
def test_critic_mlp_rejects(kwargs, word):
    with pytest.raises(ValueError, match=word):
        critic_mlp(**kwargs)


# -- Lipschitz estimates -----------------------------------------------------------------------
@pytest.mark.parametrize("lip,norm", [(None, None), ("sn", None), (None, "batch")])
def test_layer_bound_bounds_measured_gradients(lip, norm):
    critic = critic_mlp(2, hidden=16, lipschitz=lip, norm=norm, seed=2)
    if norm == "batch":  # give BatchNorm non-trivial running statistics
        critic.train()
        with torch.no_grad():
            for _ in range(5):
                critic(3 * torch.randn(64, 2))
    rng = np.random.default_rng(0)
    xr, xf = rng.normal(size=(500, 2)), 3 + rng.normal(size=(500, 2))
    est = lipschitz_estimates(critic, xr, xf)
    dense = grad_norms(critic, rng.uniform(-6, 9, size=(20000, 2))).max()
    assert est.on_samples > 0 and est.on_interpolates > 0
    for measured in (est.on_samples, est.on_interpolates, dense):
        assert measured <= est.layer_bound * (1 + 1e-5), (measured, est.layer_bound)


def test_layer_bound_is_exact_for_a_linear_critic():
    lin = nn.Sequential(nn.Linear(2, 1))
    with torch.no_grad():
        lin[0].weight.copy_(torch.tensor([[3.0, 4.0]]))
    est = lipschitz_estimates(lin, np.zeros((3, 2)), np.ones((3, 2)))
    for v in (est.on_samples, est.on_interpolates, est.layer_bound):
        assert abs(v - 5.0) < 1e-5


def test_layer_bound_rejects_unknown_layers():
    with pytest.raises(ValueError, match="LayerNorm"):
        layer_lipschitz_bound(critic_mlp(2, norm="layer"))
    with pytest.raises(ValueError, match="nn.Sequential"):
        layer_lipschitz_bound(nn.Linear(2, 1))


def test_lipschitz_estimates_rejects_mismatched_samples():
    with pytest.raises(ValueError, match="same dimension"):
        lipschitz_estimates(critic_mlp(2), np.zeros((3, 2)), np.zeros((3, 3)))


# -- batch dependence --------------------------------------------------------------------------
def test_batch_norm_couples_samples_layer_norm_does_not():
    x = np.random.default_rng(0).normal(size=(32, 2))
    assert batch_dependence(critic_mlp(2, seed=1), x) == 0.0
    assert batch_dependence(critic_mlp(2, norm="layer", seed=1), x) == 0.0
    assert batch_dependence(critic_mlp(2, norm="batch", seed=1), x) > 0.01
    bn = critic_mlp(2, norm="batch", seed=1)
    before = bn[1].running_mean.clone()
    batch_dependence(bn, x)
    assert torch.equal(bn[1].running_mean, before)  # measured on a copy


# -- fit_critic --------------------------------------------------------------------------------
P1, Q1 = normal(1.0, 0.5), normal(-0.5, 0.5)  # a translation: W1 = 1.5, the optimal critic is linear


@pytest.mark.parametrize("method,lo,hi", [("lp", 0.95, 1.10), ("sn", 0.80, 1.05)])
def test_fit_critic_estimates_w1_in_1d(method, lo, hi):
    w1 = wasserstein1(P1, Q1)
    assert abs(w1 - 1.5) < 1e-8
    _, est = fit_critic(P1, Q1, method, steps=400, config=FAST)
    assert lo * w1 < est < hi * w1, (method, est, w1)


def test_fit_critic_clip_is_bounded_and_scaled():
    critic, est = fit_critic(P1, Q1, "clip", steps=200, config=FAST)
    assert all(p.abs().max() <= 0.01 + 1e-7 for p in critic.parameters())
    lip = lipschitz_estimates(critic, P1.sample(1000, seed=0), Q1.sample(1000, seed=1))
    assert 0 < est < 1.5 * lip.layer_bound * (1 + 1e-3)  # an L-Lipschitz critic gives at most L W1
    assert lip.layer_bound <= 32 * 0.01**3 * 32 * 1.0001  # 1x32, 32x32, 32x1 clipped layers: (c sqrt 32)^2 c 32


def test_fit_critic_gp_in_2d_is_close_to_exact_transport():
    p, q = GaussianMixture([[2.0, 0.0]], 0.3), GaussianMixture([[0.0, 0.0]], 0.3)  # translation: W1 = 2
    critic, est = fit_critic(p, q, "gp", steps=300, config=FAST)
    # The soft penalty trades slope for gap: for f(x) = s u.x, -2 s + 10 (s - 1)^2 is least at s = 1.1.
    assert abs(est - 2.0 * 1.1) < 0.05, est
    lip = lipschitz_estimates(critic, p.sample(1000, seed=0), q.sample(1000, seed=1))
    assert 1.7 < est / lip.on_interpolates < 2.0 + 0.02, (est, lip)  # est / L <= W1 (duality)
    ot_w1 = empirical_w1(p.sample(400, seed=0), q.sample(400, seed=1))
    assert abs(ot_w1 - 2.0) < 0.1, ot_w1


def test_fit_critic_is_deterministic_and_calls_back():
    seen = []
    c1, e1 = fit_critic(P1, Q1, "gp", steps=20, config=FAST, callback=lambda s, c: seen.append(s), every=10)
    c2, e2 = fit_critic(P1, Q1, "gp", steps=20, config=FAST)
    assert seen == [0, 10, 20]
    assert e1 == e2
    assert all(torch.equal(a, b) for a, b in zip(c1.parameters(), c2.parameters(), strict=True))
    _, e3 = fit_critic(P1, Q1, "gp", steps=20, config=dataclasses.replace(FAST, seed=1))
    assert e3 != e1


def test_fit_critic_unconstrained_grows():
    _, est = fit_critic(P1, Q1, "none", steps=300, config=FAST)
    assert est > 5 * 1.5


@pytest.mark.parametrize("kwargs,word", [
    ({"method": "wgan"}, "unknown method"),
    ({"method": "gp", "steps": -1}, "steps must be a non-negative integer"),
])
def test_fit_critic_rejects(kwargs, word):
    with pytest.raises(ValueError, match=word):
        fit_critic(P1, Q1, **kwargs)


def test_fit_critic_rejects_mismatched_dimensions():
    with pytest.raises(ValueError, match="same dimension"):
        fit_critic(P1, GaussianMixture([[0.0, 0.0]], 1.0), "gp", steps=1)


def test_critic_gap_and_one_sided_penalty():
    lin = nn.Sequential(nn.Linear(1, 1))
    with torch.no_grad():
        lin[0].weight.fill_(2.0)
        lin[0].bias.fill_(0.3)
    assert abs(critic_gap(lin, np.ones(4), np.zeros(4)) - 2.0) < 1e-6
    x, y = torch.randn(8, 1), torch.randn(8, 1)
    assert abs(one_sided_penalty(lin, x, y, lam=10.0).item() - 10.0) < 1e-5  # slope 2: 10 (2 - 1)^2
    with torch.no_grad():
        lin[0].weight.fill_(0.5)
    assert one_sided_penalty(lin, x, y).item() == 0.0  # slopes below 1 are free
    with pytest.raises(ValueError, match="same shape"):
        one_sided_penalty(lin, x, torch.randn(4, 1))
