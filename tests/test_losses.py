"""gantools.losses: each loss against its textbook formula, its gradient, and its name."""

import pytest
import torch

from gantools.losses import (
    GENERATOR_LOSSES,
    bce_loss_dis,
    discriminator_loss,
    generator_loss,
    minimax_loss_gen,
    ns_loss_gen,
)

A = torch.tensor([-3.0, -0.5, 0.0, 0.7, 4.0], dtype=torch.float64)


def test_losses_match_textbook_formulas():
    d_real, d_fake = torch.sigmoid(A), torch.sigmoid(A.flip(0))
    textbook_d = -(torch.log(d_real).mean() + torch.log(1 - d_fake).mean())
    assert abs(bce_loss_dis(A, A.flip(0)).item() - textbook_d.item()) < 1e-12
    d = torch.sigmoid(A)
    assert abs(minimax_loss_gen(A).item() - torch.log(1 - d).mean().item()) < 1e-12
    assert abs(ns_loss_gen(A).item() - (-torch.log(d).mean()).item()) < 1e-12


def test_losses_stay_finite_where_log_sigmoid_overflows():
    a = torch.tensor([-200.0, 200.0], dtype=torch.float64)
    for loss in (minimax_loss_gen(a), ns_loss_gen(a), bce_loss_dis(a, a)):
        assert torch.isfinite(loss)
    assert abs(ns_loss_gen(torch.tensor([-200.0], dtype=torch.float64)).item() - 200.0) < 1e-9


def test_logit_gradients_are_minus_d_and_minus_one_minus_d():
    a = A.clone().requires_grad_(True)
    minimax_loss_gen(a).backward()
    d = torch.sigmoid(A)
    assert torch.max(torch.abs(a.grad - (-d / len(A)))) < 1e-12
    a.grad = None
    ns_loss_gen(a).backward()
    assert torch.max(torch.abs(a.grad - (-(1 - d) / len(A)))) < 1e-12


def test_lookup_by_name():
    assert generator_loss("minimax") is minimax_loss_gen
    assert discriminator_loss("bce") is bce_loss_dis
    assert set(GENERATOR_LOSSES) >= {"minimax", "non_saturating"}
    with pytest.raises(ValueError, match="unknown generator loss 'hinge'"):
        generator_loss("hinge")
    with pytest.raises(ValueError, match="unknown discriminator loss"):
        discriminator_loss("wasserstein-typo")
