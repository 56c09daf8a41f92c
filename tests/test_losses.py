"""gantools.losses: each loss against its textbook formula, its gradient, and its name."""

import pytest
import torch

from gantools.losses import (
    DISCRIMINATOR_LOSSES,
    GENERATOR_LOSSES,
    bce_loss_dis,
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    hinge_loss_dis,
    hinge_loss_gen,
    least_squares_loss_dis,
    least_squares_loss_gen,
    minimax_loss_gen,
    ns_loss_gen,
    wasserstein_loss_dis,
    wasserstein_loss_gen,
)
from gantools.toy import ToyGANConfig

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
    assert generator_loss("hinge") is hinge_loss_gen and discriminator_loss("hinge") is hinge_loss_dis
    assert generator_loss("wasserstein") is wasserstein_loss_gen
    assert discriminator_loss("wasserstein") is wasserstein_loss_dis
    with pytest.raises(ValueError, match="unknown generator loss 'hinge-typo'"):
        generator_loss("hinge-typo")
    with pytest.raises(ValueError, match="unknown generator loss"):
        generator_loss(None)
    with pytest.raises(ValueError, match="unknown discriminator loss"):
        discriminator_loss("wasserstein-typo")


def test_every_name_is_a_valid_toy_config():
    for name in GENERATOR_LOSSES:
        assert ToyGANConfig(g_loss=name).g_loss == name
    for name in DISCRIMINATOR_LOSSES:
        assert ToyGANConfig(d_loss=name).d_loss == name
    assert set(GENERATOR_LOSSES) == {"minimax", "non_saturating", "wasserstein", "hinge", "least_squares"}
    assert set(DISCRIMINATOR_LOSSES) == {"bce", "wasserstein", "hinge", "least_squares"}


def test_bce_logit_gradients():
    # d/da_real softplus(-a)/n = -(1 - sigma(a))/n;  d/da_fake softplus(a)/n = sigma(a)/n
    real, fake = A.clone().requires_grad_(True), A.flip(0).clone().requires_grad_(True)
    bce_loss_dis(real, fake).backward()
    n = len(A)
    assert torch.max(torch.abs(real.grad - (-(1 - torch.sigmoid(A)) / n))) < 1e-12
    assert torch.max(torch.abs(fake.grad - torch.sigmoid(A.flip(0)) / n)) < 1e-12


def test_wasserstein_and_hinge_match_formulas_and_gradients():
    real, fake = A, torch.tensor([-1.5, 0.2, 0.9, 1.0, -0.99], dtype=torch.float64)
    assert abs(wasserstein_loss_dis(real, fake).item() - (fake.mean() - real.mean()).item()) < 1e-12
    assert abs(wasserstein_loss_gen(fake).item() - (-fake.mean()).item()) < 1e-12
    # hinge by hand: relu(1 - real) = [4, 1.5, 1, 0.3, 0] -> mean 1.36; relu(1 + fake) = [0, 1.2, 1.9, 2, 0.01] -> 1.022
    assert abs(hinge_loss_dis(real, fake).item() - (1.36 + 1.022)) < 1e-12
    assert abs(hinge_loss_gen(fake).item() - (-fake.mean()).item()) < 1e-12
    n = len(A)
    r, f = real.clone().requires_grad_(True), fake.clone().requires_grad_(True)
    wasserstein_loss_dis(r, f).backward()
    assert torch.all(r.grad == -1 / n) and torch.all(f.grad == 1 / n)
    r.grad = f.grad = None
    hinge_loss_dis(r, f).backward()
    # the hinge is active (gradient -1/n, +1/n) only where real < 1 and fake > -1
    assert torch.max(torch.abs(r.grad - (real < 1).double() * (-1.0 / n))) < 1e-15
    assert torch.max(torch.abs(f.grad - (fake > -1).double() * (1.0 / n))) < 1e-15
    f.grad = None
    hinge_loss_gen(f).backward()
    assert torch.all(f.grad == -1 / n)


def test_least_squares_closed_form_and_minimisers():
    assert discriminator_loss("least_squares") is least_squares_loss_dis
    assert generator_loss("least_squares") is least_squares_loss_gen
    real = torch.tensor([1.0, 0.0, 3.0], dtype=torch.float64)  # (D(x) - 1)^2 = [0, 1, 4] -> mean 5/3
    fake = torch.tensor([0.0, 2.0, -1.0], dtype=torch.float64)  # D(G(z))^2 = [0, 4, 1] -> mean 5/3
    assert abs(least_squares_loss_dis(real, fake).item() - (0.5 * 5 / 3 + 0.5 * 5 / 3)) < 1e-12
    assert abs(least_squares_loss_gen(fake).item() - (1 + 1 + 4) / 3) < 1e-12  # (D(G(z)) - 1)^2 = [1, 1, 4]
    # for fixed outputs r (real), f (fake) the D loss 1/2 (r - 1)^2 + 1/2 f^2 is least, 0, at r = 1, f = 0
    r, f = torch.tensor([1.0], requires_grad=True), torch.tensor([0.0], requires_grad=True)
    loss = least_squares_loss_dis(r, f)
    loss.backward()
    assert loss.item() == 0 and r.grad.item() == 0 and f.grad.item() == 0
    grid = torch.linspace(-1, 2, 31, dtype=torch.float64)  # step 0.1
    values = torch.tensor([[least_squares_loss_dis(a.view(1), b.view(1)).item() for b in grid] for a in grid])
    i, j = divmod(int(values.argmin()), len(grid))
    assert abs(grid[i].item() - 1) < 1e-9 and abs(grid[j].item()) < 1e-9
    # one output t seen with weight p as real and q as fake: minimiser p / (p + q) (here 3 / 4)
    t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([t], lr=0.1)  # t <- 0.6 t + 0.3
    for _ in range(200):
        opt.zero_grad()
        (3 * least_squares_loss_dis(t, torch.zeros(1)) + least_squares_loss_dis(torch.ones(1), t)).backward()
        opt.step()
    assert abs(t.item() - 0.75) < 1e-9
    assert least_squares_loss_gen(torch.ones(4)).item() == 0  # G's loss is least where D says 1


def test_generator_loss_gradients_at_extreme_logits():
    # At a = -200 (D(G(z)) = e^-200): minimax gradient -d is ~1e-87, NS gradient -(1 - d) is -1.
    a = torch.tensor([-200.0, 200.0], dtype=torch.float64, requires_grad=True)
    minimax_loss_gen(a).backward()
    assert abs(a.grad[0].item() - (-torch.exp(torch.tensor(-200.0, dtype=torch.float64)).item() / 2)) < 1e-100
    assert abs(a.grad[1].item() - (-0.5)) < 1e-15
    a.grad = None
    ns_loss_gen(a).backward()
    assert abs(a.grad[0].item() - (-0.5)) < 1e-15 and abs(a.grad[1].item()) < 1e-80
    assert torch.all(torch.isfinite(a.grad))
    assert abs(minimax_loss_gen(torch.tensor([200.0], dtype=torch.float64)).item() - (-200.0)) < 1e-9
    big = torch.tensor([200.0, -200.0])
    for loss in (wasserstein_loss_dis(big, big), hinge_loss_dis(big, -big), bce_loss_dis(-big, big)):
        assert torch.isfinite(loss)


def test_gradient_penalty_of_a_linear_critic():
    # f(x) = w.x has gradient w everywhere: GP = lam (||w|| - 1)^2 for any batch and any eps.
    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 1).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[2.0, -1.0, 2.0]]))  # ||w|| = 3
    real, fake = torch.randn(16, 3, dtype=torch.float64), torch.randn(16, 3, dtype=torch.float64)
    gp = gradient_penalty(lin, real, fake, generator=0, lam=10.0)
    assert abs(gp.item() - 10.0 * (3.0 - 1.0) ** 2) < 1e-10
    # differentiable in the critic's weights: d/dw lam (||w|| - 1)^2 = 2 lam (||w|| - 1) w/||w||
    gp.backward()
    expected = 2 * 10.0 * (3.0 - 1.0) * torch.tensor([[2.0, -1.0, 2.0]], dtype=torch.float64) / 3.0
    assert torch.max(torch.abs(lin.weight.grad - expected)) < 1e-10


def test_gradient_penalty_images_and_interpolates():
    # f(x) = sum(x^2)/2 has gradient x: GP = lam E[(||x_hat|| - 1)^2], x_hat = eps x + (1 - eps) x~.
    real = torch.randn(5, 2, 4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    fake = torch.randn(5, 2, 4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    def critic(x):
        return 0.5 * (x**2).flatten(1).sum(1)
    gp = gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(7), lam=2.0)
    eps = torch.rand(5, generator=torch.Generator().manual_seed(7), dtype=torch.float64).reshape(5, 1, 1, 1)
    x_hat = eps * real + (1 - eps) * fake
    by_hand = 2.0 * ((x_hat.flatten(1).norm(dim=1) - 1) ** 2).mean()
    assert abs(gp.item() - by_hand.item()) < 1e-12
    # the same seed gives the same penalty; another seed a different one
    assert gradient_penalty(critic, real, fake, generator=7, lam=2.0).item() == gp.item()
    assert abs(gradient_penalty(critic, real, fake, generator=8, lam=2.0).item() - gp.item()) > 1e-6
    # a 1-Lipschitz critic with unit gradient everywhere has zero penalty
    unit = torch.nn.Linear(4, 1, bias=False).double()
    with torch.no_grad():
        unit.weight.copy_(torch.tensor([[0.6, 0.0, -0.8, 0.0]]))
    assert abs(gradient_penalty(unit, real[:, 0, 0], fake[:, 0, 0], generator=0).item()) < 1e-12


def test_gradient_penalty_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        gradient_penalty(lambda x: x.sum(1), torch.zeros(4, 2), torch.zeros(3, 2))
