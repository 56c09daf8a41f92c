"""gantools.latent: lerp and slerp, the perceptual path length against its closed form on a
linear generator, inversion, and class directions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from gantools.dcgan import DCGANConfig
from gantools.imagegan.stylegan import StyleGenerator
from gantools.latent import class_directions, invert, lerp, path_lengths, ppl, slerp


class Linear(nn.Module):
    """G(z) = A z as a 1 x 1 x d image: path lengths have a closed form."""

    def __init__(self, d: int = 8, seed: int = 0):
        super().__init__()
        self.cfg = DCGANConfig(nz=d)
        self.A = nn.Parameter(torch.randn(d, d, generator=torch.Generator().manual_seed(seed)))

    def forward(self, z):
        return (z @ self.A.T)[:, None, None, :]


def flat(x):
    return x.flatten(1)


def test_slerp_keeps_the_norm_where_lerp_loses_it():
    g = torch.Generator().manual_seed(0)
    d = 512
    a, b = torch.randn(2000, d, generator=g), torch.randn(2000, d, generator=g)
    mid_l, mid_s = lerp(a, b, 0.5).norm(dim=1), slerp(a, b, 0.5).norm(dim=1)
    assert abs(mid_l.mean().item() / math.sqrt(d / 2) - 1) < 0.01  # the straight path's middle: sqrt(d/2)
    assert abs(mid_s.mean().item() / math.sqrt(d) - 1) < 0.01  # the spherical one: sqrt(d), as the ends
    assert torch.allclose(slerp(a, b, 0.0), a, atol=1e-4) and torch.allclose(slerp(a, b, 1.0), b, atol=1e-4)
    assert torch.allclose(slerp(a, 2 * a, 0.5), lerp(a, 2 * a, 0.5))  # parallel: a straight line


def test_slerp_moves_at_a_constant_angle():
    a, b = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])
    for t in (0.1, 0.5, 0.9):
        p = slerp(a, b, t)[0]
        assert abs(math.atan2(p[1], p[0]) - t * math.pi / 2) < 1e-6 and abs(p.norm() - 1) < 1e-6


def test_path_length_of_a_linear_generator_in_z_matches_the_closed_form():
    """For G(z) = A z and identity features, (|G(p(t + eps)) - G(p(t))| / eps)^2 -> |A p'(t)|^2,
    with p the slerp: recompute it from the same draws."""
    g = Linear()
    values = path_lengths(g, flat, "z", n=50, eps=1e-4, seed=3, batch=50)
    gen = torch.Generator().manual_seed(3)
    z1, z2 = torch.randn(50, 8, generator=gen), torch.randn(50, 8, generator=gen)
    t = torch.rand(50, 1, generator=gen)
    h = 1e-6
    with torch.no_grad():
        deriv = (slerp(z1.double(), z2.double(), t.double() + h) - slerp(z1.double(), z2.double(), t.double() - h)) / (2 * h)
        expected = (deriv @ g.A.double().T).square().sum(1).numpy()
    assert np.allclose(values, expected, rtol=2e-2)
    assert abs(ppl(values) - expected[(expected >= np.percentile(expected, 1)) & (expected <= np.percentile(expected, 99))].mean()) < 0.05 * expected.mean()


def test_path_length_in_w_needs_a_style_based_generator():
    with pytest.raises(ValueError, match="style-based"):
        path_lengths(Linear(), flat, "w", n=4)
    g = StyleGenerator(DCGANConfig(nz=8, ngf=4)).eval()
    vw, vz = path_lengths(g, flat, "w", n=8, seed=1), path_lengths(g, flat, "z", n=8, seed=1)
    assert vw.shape == vz.shape == (8,) and np.all(vw >= 0) and np.all(np.isfinite(vz))


def test_inversion_finds_the_latent_of_an_image_the_generator_made():
    g = Linear(seed=1)
    z_true = torch.randn(5, 8, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        targets = g(z_true)
    z, err = invert(g, targets, "z", steps=400, lr=0.05)
    assert err.max() < 1e-4 and torch.allclose(z, z_true, atol=0.05)
    assert g.A.requires_grad  # the generator is left as it was


def test_inversion_in_w_lowers_the_error_from_the_mean_image():
    g = StyleGenerator(DCGANConfig(nz=8, ngf=4)).eval()
    with torch.no_grad():
        targets = g(torch.randn(3, 8, generator=torch.Generator().manual_seed(5)))
    _, before = invert(g, targets, "w", steps=1, lr=1e-9)
    _, after = invert(g, targets, "w", steps=100, lr=0.05)
    assert torch.all(after < before)


def test_class_directions_point_to_the_class():
    g = Linear(d=2)
    with torch.no_grad():
        g.A.copy_(torch.eye(2))

    def predict(x):  # class 1 when the first coordinate is positive
        return (x.flatten(1)[:, 0] > 0).long()

    d = class_directions(g, predict, 3, "z", n=4000)
    assert d[1, 0] > 0.7 and d[0, 0] < -0.7 and abs(d[1, 1]) < 0.1 and torch.equal(d[2], torch.zeros(2))
