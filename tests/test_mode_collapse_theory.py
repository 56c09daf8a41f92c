"""gantools.mode_collapse.theory: best responses in the mode family, the dynamics, and the closed-form JSD."""

import math

import numpy as np
import pytest

from gantools.distributions import GaussianMixture
from gantools.mode_collapse.theory import (
    best_response,
    best_response_dynamics,
    covering_jsd,
    mode_generator,
    mode_losses,
)
from gantools.theory import OptimalDiscriminator, js_divergence

DATA = GaussianMixture([-3.0, 3.0], 0.3)


def test_losses_against_d_star_of_one_mode():
    # p_g on mode 0: there D* = (1/2) / (1/2 + 1) = 1/3, so -log D* = log 3; on mode 1 D* ~ 1.
    D = OptimalDiscriminator(DATA, mode_generator(DATA, [1.0, 0.0]))
    c = mode_losses(DATA, D)
    assert abs(c[0] - math.log(3)) < 1e-9 and c[1] < 1e-12
    k, _ = best_response(DATA, D)
    assert k == 1
    c_mm = mode_losses(DATA, D, "minimax")  # log(1 - D*) = log(2/3) on the covered mode
    assert abs(c_mm[0] - math.log(2 / 3)) < 1e-9 and c_mm[1] < -50


def test_full_steps_hop_and_frank_wolfe_converges():
    hop = best_response_dynamics(DATA, [1.0, 0.0], 4)
    assert hop.best.tolist() == [1, 0, 1, 0]
    assert np.allclose(hop.pis[::2], [1, 0]) and np.allclose(hop.pis[1::2], [0, 1])
    assert np.max(np.abs(hop.jsd - covering_jsd(2, 1))) < 1e-9
    fw = best_response_dynamics(DATA, [1.0, 0.0], 30, step="frank_wolfe", loss="minimax")
    assert abs(fw.pis[-1, 0] - 0.5) < 0.02 and fw.jsd[-1] < 1e-3


def test_covering_jsd_matches_quadrature():
    data = GaussianMixture([-8.0, 0.0, 8.0, 16.0], 0.3)
    for m in (1, 2, 3, 4):
        pi = np.r_[np.ones(m), np.zeros(4 - m)] / m
        assert abs(js_divergence(data, mode_generator(data, pi)) - covering_jsd(4, m)) < 1e-9
    assert abs(covering_jsd(2, 1) - 0.75 * math.log(4 / 3)) < 1e-15
    assert covering_jsd(5, 5) == 0.0


def test_errors():
    with pytest.raises(ValueError, match="step"):
        best_response_dynamics(DATA, [1.0, 0.0], 2, step="slow")
    with pytest.raises(ValueError, match="pi0"):
        best_response_dynamics(DATA, [0.7, 0.7], 2)
    with pytest.raises(ValueError, match="loss"):
        mode_losses(DATA, OptimalDiscriminator(DATA, DATA), "hinge")
    with pytest.raises(ValueError, match="covered"):
        covering_jsd(3, 4)
