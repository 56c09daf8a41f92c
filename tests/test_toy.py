"""gantools.toy: shapes, one step of each player, reproducibility, validation, learning."""

import dataclasses

import numpy as np
import pytest
import torch

from gantools.distributions import GaussianMixture, Uniform, ring
from gantools.theory import js_divergence, optimal_discriminator
from gantools.toy import Every, ToyGAN, ToyGANConfig, fit_discriminator, kde, stack_logs


def params(module):
    return [p.detach().clone() for p in module.parameters()]


def same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def test_shapes_1d_and_2d():
    g1 = ToyGAN(ToyGANConfig())
    assert g1.sample(7).shape == (7,)
    assert g1.discriminator(np.zeros(5)).shape == (5,)
    g2 = ToyGAN(ToyGANConfig(data_dim=2, noise_dim=3))
    assert g2.sample(7).shape == (7, 2)
    assert g2.d_logit(np.zeros((5, 2))).shape == (5,)
    assert g2.noise(4).shape == (4, 3)


def test_update_D_changes_only_D_and_update_G_only_G():
    gan = ToyGAN(ToyGANConfig())
    g0, d0 = params(gan.G), params(gan.D)
    logs = gan.update_D(np.random.default_rng(0).normal(size=64))
    assert same(params(gan.G), g0) and not same(params(gan.D), d0)
    assert 0 < logs["D_real"] < 1 and 0 < logs["D_fake"] < 1
    g1, d1 = params(gan.G), params(gan.D)
    gan.update_G()
    assert not same(params(gan.G), g1) and same(params(gan.D), d1)


def test_training_is_reproducible_for_a_seed():
    data = GaussianMixture([-1.0, 1.0], 0.3)
    h1 = ToyGAN(ToyGANConfig(seed=5)).train(data, 20)
    h2 = ToyGAN(ToyGANConfig(seed=5)).train(data, 20)
    h3 = ToyGAN(ToyGANConfig(seed=6)).train(data, 20)
    assert h1 == h2 and h1 != h3


def test_train_calls_callbacks_and_counts_d_steps():
    seen = []
    gan = ToyGAN(ToyGANConfig(d_steps=3))
    calls = []
    orig = gan.update_D

    def counting(*a, **k):
        calls.append(1)
        return orig(*a, **k)

    gan.update_D = counting
    history = gan.train(Uniform(0, 1), 10, callbacks=[Every(4, lambda g, logs: seen.append(logs["step"]))])
    assert seen == [1, 4, 8] and len(calls) == 30 and len(history) == 10
    arrays = stack_logs(history)
    assert arrays["step"].tolist() == list(range(1, 11)) and arrays["loss_D"].shape == (10,)


def test_a_1d_gan_learns_a_gaussian():
    data = GaussianMixture([1.0], 0.5)
    gan = ToyGAN(ToyGANConfig(seed=0))
    before = js_divergence(data, gan.generator_density())
    gan.train(data, 800)
    after = js_divergence(data, gan.generator_density())
    assert after < 0.02 and after < before / 5, (before, after)


def test_fit_discriminator_approaches_the_optimal_discriminator():
    p_data, p_g = GaussianMixture([-1.0, 1.5], [0.4, 0.6]), GaussianMixture([0.0], 1.0)
    gan = fit_discriminator(p_data, p_g, steps=1500)
    x = np.linspace(-1.5, 2.0, 100)
    err = np.max(np.abs(gan.discriminator(x) - optimal_discriminator(p_data, p_g)(x)))
    assert err < 0.08, err


def test_fit_discriminator_in_2d_runs():
    gan = fit_discriminator(ring(), GaussianMixture([[0.0, 0.0]], 1.0), steps=5)
    assert gan.step == 5 and gan.cfg.data_dim == 2


def test_kde_is_a_normalised_mixture_with_silverman_bandwidth():
    x = np.random.default_rng(0).normal(size=400)
    est = kde(x)
    assert abs(est.stds[0] - 0.9 * min(x.std(), np.subtract(*np.percentile(x, [75, 25])) / 1.34) * 400**-0.2) < 1e-12
    assert abs(np.trapezoid(est.pdf(np.linspace(-8, 8, 4001)), np.linspace(-8, 8, 4001)) - 1) < 1e-6
    with pytest.raises(ValueError, match="at least one point"):
        kde([])


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(hidden=0), "hidden"),
        (dict(batch_size=-1), "batch_size"),
        (dict(d_steps=-1), "d_steps"),
        (dict(lr_g=0.0), "lr_g"),
        (dict(activation="swish"), "activation"),
        (dict(g_loss="wasserstein-typo"), "generator loss"),
        (dict(d_loss="nope"), "discriminator loss"),
    ],
)
def test_config_rejects_bad_values(change, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(ToyGANConfig(), **change)


def test_bad_arguments():
    with pytest.raises(ValueError, match="steps"):
        ToyGAN(ToyGANConfig()).train(Uniform(0, 1), -1)
    with pytest.raises(ValueError, match="1D"):
        ToyGAN(ToyGANConfig(data_dim=2)).generator_density()
    with pytest.raises(ValueError, match="positive integer"):
        Every(0, print)
