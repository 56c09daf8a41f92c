"""gantools.mode_collapse.samplers: Jacobian rejection and latent Langevin on a frozen generator."""

import math

import numpy as np
import pytest
import torch

from gantools.batched import BatchedGAN, BatchedGANConfig
from gantools.distributions import ring
from gantools.mode_collapse.samplers import jacobian_rejection, latent_langevin

LINEAR = BatchedGANConfig(g_layers=0, d_hidden=8, d_layers=1, batch_size=32)  # G(z) = z W + b


def identity_gan(runs: int = 2) -> BatchedGAN:
    gan = BatchedGAN(LINEAR, seeds=range(runs))
    with torch.no_grad():
        gan.G[0][0].copy_(torch.eye(2).expand(runs, 2, 2))
        gan.G[0][1].zero_()
    return gan  # p_g = N(0, I)


class ShiftRatio:
    """The exact log ratio of p_data = N(m, I) to p_g = N(0, I): r(x) = m.x - |m|^2 / 2."""

    def __init__(self, m):
        self.m = torch.as_tensor(m, dtype=torch.float32)

    def critic(self, x):
        return (x @ self.m - 0.5 * self.m @ self.m)[..., None]


def test_langevin_with_the_exact_ratio_samples_the_data():
    # the latent target N(u; 0, I) exp(r(u)) is N(u; m, I), and G is the identity
    m = [1.5, -1.0]
    x, acc = latent_langevin(identity_gan(), ShiftRatio(m), n=4000, steps=60, step_size=0.5, seed=0,
                             return_acceptance=True)
    assert x.shape == (2, 4000, 2)
    se = 1 / math.sqrt(4000)
    for run in x:
        assert np.all(np.abs(run.mean(0) - m) < 5 * se), run.mean(0)
        assert np.all(np.abs(run.std(0) - 1) < 0.06)
    assert np.all((acc > 0.5) & (acc <= 1))


def test_jacobian_rejection_removes_the_steep_middle():
    # one tanh unit: G(z) = (tanh(3 z_1), 0); |dG/dz| is largest at z_1 = 0
    cfg = BatchedGANConfig(g_hidden=1, g_layers=1, g_activation="tanh", d_hidden=8, d_layers=1)
    gan = BatchedGAN(cfg, seeds=[0])
    with torch.no_grad():
        gan.G[0][0].copy_(torch.tensor([[[3.0], [0.0]]]))
        gan.G[0][1].zero_()
        gan.G[1][0].copy_(torch.tensor([[[1.0, 0.0]]]))
        gan.G[1][1].zero_()
    x = jacobian_rejection(gan, n=3000, keep=0.5, seed=0)
    # keeping the half with the smallest slope keeps |z_1| >= Phi^-1(3/4) = 0.674
    cut = math.tanh(3 * 0.6745)
    assert x.shape == (1, 3000, 2)
    assert np.quantile(np.abs(x[0, :, 0]), 0.002) > cut - 0.02
    plain = gan.sample(3000, seed=0)
    assert np.mean(np.abs(plain[0, :, 0]) < cut) > 0.45  # the generator itself puts half there


def test_bad_input_names_the_value():
    gan = identity_gan(1)
    with pytest.raises(ValueError, match="keep must be in"):
        jacobian_rejection(gan, keep=0.0)
    with pytest.raises(ValueError, match="step_size must be positive, got -0.1"):
        latent_langevin(gan, ShiftRatio([0, 0]), step_size=-0.1)
    mixed = BatchedGAN(LINEAR.replace(latent_components=3), seeds=[0])
    with pytest.raises(ValueError, match="mixture latent"):
        latent_langevin(mixed, ShiftRatio([0, 0]))


def test_rejection_with_a_learned_ratio_runs_on_every_sampler_path():
    gan = BatchedGAN(LINEAR.replace(g_layers=1, g_hidden=8), seeds=[0, 1]).train(ring(), 5)
    ratio = gan.density_ratio(5, d_fourier=4)
    x = latent_langevin(gan, ratio, n=50, steps=3, seed=1)
    assert x.shape == (2, 50, 2) and np.all(np.isfinite(x))
