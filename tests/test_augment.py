"""gantools.augment: DiffAugment's operations, ADA's controller, the leak measure; and BigGAN's
truncation of the latent (gantools.imagegan.sampling.truncate), checked against scipy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from gantools.augment import (
    AdaptiveProbability,
    augment,
    color,
    cutout,
    leak_fraction,
    parse_policy,
    rot90,
    translation,
)
from gantools.imagegan.sampling import truncate


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_every_operation_keeps_the_shape_and_passes_gradients():
    x = torch.randn(5, 3, 16, 16, requires_grad=True)
    y = augment(x, "color,translation,cutout,rot90", gen())
    assert y.shape == x.shape
    y.square().sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_augmentation_is_reproducible_from_its_generator():
    x = torch.randn(4, 1, 8, 8)
    assert torch.equal(augment(x, "color,translation,cutout", gen(3)), augment(x, "color,translation,cutout", gen(3)))
    assert not torch.equal(augment(x, "color,translation,cutout", gen(3)), augment(x, "color,translation,cutout", gen(4)))


def test_p_zero_is_the_identity_and_draws_nothing():
    x, g = torch.randn(4, 1, 8, 8), gen(1)
    before = g.get_state()
    assert augment(x, "color,cutout", g, p=0.0) is x
    assert torch.equal(g.get_state(), before)


def test_p_between_leaves_some_images_untouched():
    x = torch.randn(2000, 1, 4, 4)
    y = augment(x, "rot90", gen(2), p=0.3)
    untouched = (y == x).flatten(1).all(1).float().mean().item()
    assert abs(untouched - 0.7) < 0.05  # binomial sd 0.01


def test_translation_is_a_shift_with_zero_fill():
    x = torch.arange(64.0).view(1, 1, 8, 8)
    for seed in range(20):
        y = translation(x, gen(seed))[0, 0]
        (dr, dc), = {(r, c) for r in range(-1, 2) for c in range(-1, 2)
                     if torch.equal(y, _shift(x[0, 0], r, c))}
        assert abs(dr) <= 1 and abs(dc) <= 1  # up to 8 // 8 = 1 pixel


def _shift(a: torch.Tensor, dr: int, dc: int) -> torch.Tensor:
    out = torch.zeros_like(a)
    h, w = a.shape
    out[max(dr, 0):h + min(dr, 0), max(dc, 0):w + min(dc, 0)] = a[max(-dr, 0):h + min(-dr, 0), max(-dc, 0):w + min(-dc, 0)]
    return out


def test_cutout_zeroes_a_half_side_square_at_most():
    y = cutout(torch.ones(200, 1, 8, 8), gen(5))
    zeros = (y == 0).flatten(1).sum(1)
    assert zeros.max() == 16 and zeros.min() >= 4  # a 4 x 4 square, clipped at the border
    assert (zeros == 16).float().mean() > 0.2


def test_color_factors_are_in_their_ranges():
    x = torch.zeros(500, 1, 2, 2)
    y = color(x, gen(6))  # on a constant image only brightness acts: x + U(-0.5, 0.5)
    assert y.min() >= -0.5 and y.max() <= 0.5 and y.std() > 0.2


def test_four_quarter_turns_are_the_identity():
    x = torch.randn(2, 1, 6, 6)
    y = x
    for _ in range(4):
        y = rot90(y, gen())
    assert torch.equal(x, y) and not torch.equal(rot90(x, gen()), x)


@pytest.mark.parametrize("policy", ["", "flip", "color,flip"])
def test_an_unknown_policy_is_refused(policy):
    with pytest.raises(ValueError, match="policy"):
        parse_policy(policy)


def test_adaptive_probability_moves_by_the_images_seen():
    ada = AdaptiveProbability(target=0.6, kimg=1.0, interval=4)
    for _ in range(4):  # D says "real" to every real image: r_t = 1 > 0.6, p rises by 4*50/1000
        ada.observe(torch.ones(50))
    assert ada.r_t == 1.0 and abs(ada.p - 0.2) < 1e-12
    for _ in range(3):  # no update until the interval is complete
        ada.observe(-torch.ones(50))
    assert abs(ada.p - 0.2) < 1e-12
    ada.observe(-torch.ones(50))
    assert ada.r_t == -1.0 and abs(ada.p) < 1e-12
    for _ in range(8):
        ada.observe(-torch.ones(50))
    assert ada.p == 0.0  # clipped at 0
    state = ada.state_dict()
    other = AdaptiveProbability(target=0.6, kimg=1.0)
    other.load_state_dict(state)
    assert other.state_dict() == state
    with pytest.raises(ValueError, match="target"):
        AdaptiveProbability(target=1.5)


def test_leak_fraction_sees_quarter_turned_images():
    upright = torch.zeros(50, 1, 8, 8)
    upright[:, :, :4] = 1.0  # bright top half
    upright += 0.01 * torch.randn(50, 1, 8, 8, generator=gen(7))

    def classifier(x):  # confident when the top half is bright
        top = x[:, 0, :4].mean((1, 2)) - x[:, 0, 4:].mean((1, 2))
        return torch.stack([5 * top, torch.zeros_like(top)], 1)

    assert leak_fraction(upright, classifier) == 0.0
    assert leak_fraction(torch.rot90(upright, 1, dims=(2, 3)), classifier) == 1.0


# -- truncation --------------------------------------------------------------------------------
def test_truncation_one_changes_nothing_and_zero_is_the_mean():
    z = torch.randn(100, 20, generator=gen(8))
    assert torch.equal(truncate(z, 1.0, gen(9)), z)
    assert torch.equal(truncate(z, 0.0, gen(9)), torch.zeros_like(z))


@pytest.mark.parametrize("psi", [0.3, 0.7, 0.9])
def test_truncated_latents_follow_the_truncated_normal(psi):
    z = torch.randn(40_000, 5, generator=gen(10), dtype=torch.float64)
    out = truncate(z, psi, gen(11)).numpy().ravel()
    t = stats.norm.ppf((1 + psi) / 2)
    assert np.abs(out).max() <= t + 1e-12
    kept = np.mean(out == z.numpy().ravel())
    assert abs(kept - psi) < 0.01  # the coordinates inside [-t, t] stay as drawn
    ks = stats.kstest(out, stats.truncnorm(-t, t).cdf)  # scipy's truncated normal: the reference
    assert ks.pvalue > 1e-3, ks


@pytest.mark.parametrize("psi", [-0.1, 1.2, float("nan"), "0.5"])
def test_truncation_outside_0_1_is_refused(psi):
    with pytest.raises(ValueError, match="psi"):
        truncate(torch.zeros(2, 2), psi, gen())
