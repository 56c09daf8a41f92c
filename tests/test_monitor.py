"""gantools.monitor: snapshot shapes and values, loss averaging, validation, the animation."""

import math

import numpy as np
import pytest

from gantools.distributions import GaussianMixture
from gantools.monitor import TrainingMonitor, animate
from gantools.theory import js_divergence
from gantools.toy import ToyGAN, ToyGANConfig, stack_logs

P_DATA = GaussianMixture([-2.0, 2.0], 0.5)
X = np.linspace(-6, 6, 241)


@pytest.fixture(scope="module")
def trained():
    """A short run with a snapshot before training and every 10 steps (steps 1, 10, 20, 30)."""
    gan = ToyGAN(ToyGANConfig(hidden=8, batch_size=64))
    mon = TrainingMonitor(P_DATA, X, every=10)
    mon.record(gan)
    logs = stack_logs(gan.train(P_DATA, steps=30, callbacks=[mon]))
    return gan, mon, logs


def test_snapshot_steps_and_shapes(trained):
    _, mon, _ = trained
    assert len(mon) == 5
    np.testing.assert_array_equal(mon.steps, [0, 1, 10, 20, 30])
    for a in (mon.jsd, mon.loss_D, mon.loss_G):
        assert a.shape == (5,)
    assert mon.p_g.shape == (5, X.size) and mon.D.shape == (5, X.size)


def test_losses_are_means_since_the_previous_snapshot(trained):
    _, mon, logs = trained
    assert math.isnan(mon.loss_D[0]) and math.isnan(mon.loss_G[0])  # step 0: no training yet
    assert abs(mon.loss_D[1] - logs["loss_D"][0]) < 1e-12  # step 1 alone
    assert abs(mon.loss_D[2] - logs["loss_D"][1:10].mean()) < 1e-12  # steps 2..10
    assert abs(mon.loss_G[4] - logs["loss_G"][20:30].mean()) < 1e-12  # steps 21..30


def test_snapshot_values_match_the_generator_and_discriminator(trained):
    gan, mon, _ = trained
    p_g = gan.generator_density(mon.n_kde, mon.bandwidth)
    assert abs(mon.jsd[-1] - js_divergence(P_DATA, p_g)) < 1e-12
    np.testing.assert_allclose(mon.p_g[-1], p_g.pdf(X), rtol=1e-12)
    np.testing.assert_allclose(mon.D[-1], gan.discriminator(X), rtol=1e-12)
    assert np.all((mon.jsd >= 0) & (mon.jsd <= math.log(2)))
    assert np.all((mon.D > 0) & (mon.D < 1))
    dx = X[1] - X[0]
    assert np.all(np.abs(mon.p_g.sum(axis=1) * dx - 1) < 1e-3)  # densities (mass inside the grid)


def test_jsd_of_a_generator_far_from_the_data_is_near_log2():
    gan = ToyGAN(ToyGANConfig())  # untrained: a narrow bump near 0, between the modes at +-2
    mon = TrainingMonitor(P_DATA, X)
    mon.record(gan)
    assert abs(mon.jsd[0] - math.log(2)) < 0.05


@pytest.mark.parametrize("kwargs", [{"every": 0}, {"every": 2.5}, {"every": True}, {"x": np.zeros((3, 2))}, {"x": [1.0]}])
def test_invalid_arguments(kwargs):
    args = {"p_data": P_DATA, "x": X, **kwargs}
    with pytest.raises(ValueError):
        TrainingMonitor(**args)


def test_animate_keeps_at_most_the_requested_frames(trained):
    _, mon, _ = trained
    html = animate(mon, frames=3, figsize=(3, 1.5), dpi=40).data
    assert html.count("data:image/png;base64,") == 3
    html = animate(mon, frames=50, figsize=(3, 1.5), dpi=40).data  # more frames than snapshots
    assert html.count("data:image/png;base64,") == len(mon)


def test_animate_needs_snapshots():
    with pytest.raises(ValueError, match="no snapshots"):
        animate(TrainingMonitor(P_DATA, X))
    mon = TrainingMonitor(P_DATA, X)
    mon.record(ToyGAN(ToyGANConfig(hidden=4)))
    with pytest.raises(ValueError, match="frames"):
        animate(mon, frames=0)
