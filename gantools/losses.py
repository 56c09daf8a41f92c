"""GAN losses as pure functions on discriminator logits.

A discriminator outputs a logit a; D = sigma(a). Every loss is written with ``softplus``
(log(1 + e^a)) so that it stays finite and exact when D saturates:

    log D(x)       = log sigma(a)      = -softplus(-a)
    log(1 - D(x))  = log(1 - sigma(a)) = -softplus(a)

Losses are *minimised*. Choose one by name through :data:`GENERATOR_LOSSES` and
:data:`DISCRIMINATOR_LOSSES` (or :func:`generator_loss` / :func:`discriminator_loss`).
The Wasserstein, hinge and least-squares losses read the same tensor as a critic's score
(not a logit);
:func:`gradient_penalty` is the WGAN-GP term, added to the critic's loss.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


def bce_loss_dis(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Discriminator loss -[log D(x) + log(1 - D(G(z)))], averaged: the negated value
    function, so minimising it maximises V(D, G)."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def smoothed_bce_loss_dis(real_logits: Tensor, fake_logits: Tensor, real_label: float = 1.0,
                          fake_label: float = 0.0) -> Tensor:
    """Label smoothing (Salimans et al. 2016): the BCE of D against soft targets, ``real_label``
    (alpha) for real samples and ``fake_label`` (beta) for fakes. Its pointwise minimiser is
    D*(x) = (alpha p_data + beta p_g) / (p_data + p_g) (chapter 12). alpha = 1, beta = 0 is
    :func:`bce_loss_dis`; one-sided smoothing keeps beta = 0."""
    a, b = real_label, fake_label
    return ((a * F.softplus(-real_logits) + (1 - a) * F.softplus(real_logits)).mean()
            + (b * F.softplus(-fake_logits) + (1 - b) * F.softplus(fake_logits)).mean())


def minimax_loss_gen(fake_logits: Tensor) -> Tensor:
    """Goodfellow et al.'s original (saturating) generator loss: minimise log(1 - D(G(z)))."""
    return -F.softplus(fake_logits).mean()


def ns_loss_gen(fake_logits: Tensor) -> Tensor:
    """The non-saturating generator loss: minimise -log D(G(z))."""
    return F.softplus(-fake_logits).mean()


def wasserstein_loss_dis(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """WGAN critic loss E[f(G(z))] - E[f(x)] (Arjovsky et al. 2017): minimising it
    maximises the critic's estimate E[f(x)] - E[f(G(z))] of W1 (for a 1-Lipschitz f)."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_loss_gen(fake_scores: Tensor) -> Tensor:
    """WGAN generator loss -E[f(G(z))]."""
    return -fake_scores.mean()


def hinge_loss_dis(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """Hinge discriminator loss E[relu(1 - f(x))] + E[relu(1 + f(G(z)))] (Lim & Ye 2017)."""
    return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()


def hinge_loss_gen(fake_scores: Tensor) -> Tensor:
    """Hinge generator loss -E[f(G(z))] (the same as the Wasserstein one)."""
    return -fake_scores.mean()


def least_squares_loss_dis(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """Least-squares (LSGAN) discriminator loss 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]
    (Mao et al. 2017 with targets a = 0 for fakes, b = 1 for real samples): real outputs are
    pulled towards 1, generated ones towards 0. Pointwise its minimiser is
    D*(x) = p_data / (p_data + p_g)."""
    return 0.5 * ((real_scores - 1) ** 2).mean() + 0.5 * (fake_scores**2).mean()


def least_squares_loss_gen(fake_scores: Tensor) -> Tensor:
    """Least-squares generator loss E[(D(G(z)) - 1)^2] (target c = 1), as in CycleGAN (Zhu et
    al. 2017): twice LSGAN's 1/2 E[...], the same minimiser."""
    return ((fake_scores - 1) ** 2).mean()


def gradient_penalty(
    critic: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    generator: torch.Generator | int | None = None,
    lam: float = 10.0,
) -> Tensor:
    """WGAN-GP penalty lam * E[(||grad_x f(x_hat)||_2 - 1)^2] (Gulrajani et al. 2017).

    Args:
        critic: the critic f, a module or function mapping (N, ...) to (N,) or (N, 1).
        real, fake: batches of the same shape (N, ...); ``fake`` is usually detached.
        generator: a ``torch.Generator`` or an int seed for the interpolation weights
            eps ~ U[0, 1], one per sample (None: torch's global generator).
        lam: the penalty weight lambda (10 in the paper).

    Returns:
        A scalar, differentiable w.r.t. the critic's parameters (``create_graph=True``):
        the mean over the N interpolates x_hat = eps x + (1 - eps) x_fake.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape, got {tuple(real.shape)} and {tuple(fake.shape)}")
    if real.dim() < 1 or real.shape[0] == 0:
        raise ValueError("gradient_penalty needs a non-empty batch (N, ...)")
    if isinstance(generator, int) and not isinstance(generator, bool):
        generator = torch.Generator(device=real.device).manual_seed(generator)
    n = real.shape[0]
    eps = torch.rand(n, generator=generator, dtype=real.dtype, device=real.device)
    eps = eps.reshape(n, *([1] * (real.dim() - 1)))  # (N, 1, ..., 1): one weight per sample
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)  # (N, ...)
    norms = grad.reshape(n, -1).norm(2, dim=1)  # (N,)
    return lam * ((norms - 1.0) ** 2).mean()


GENERATOR_LOSSES: dict[str, Callable[[Tensor], Tensor]] = {
    "minimax": minimax_loss_gen,
    "non_saturating": ns_loss_gen,
    "wasserstein": wasserstein_loss_gen,
    "hinge": hinge_loss_gen,
    "least_squares": least_squares_loss_gen,
}
DISCRIMINATOR_LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "bce": bce_loss_dis,
    "wasserstein": wasserstein_loss_dis,
    "hinge": hinge_loss_dis,
    "least_squares": least_squares_loss_dis,
}


def _lookup(table: dict, name: str, kind: str):
    try:
        return table[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown {kind} loss {name!r}; choose one of {sorted(table)}") from None


def generator_loss(name: str) -> Callable[[Tensor], Tensor]:
    """The generator loss called ``name`` (ValueError if there is none)."""
    return _lookup(GENERATOR_LOSSES, name, "generator")


def discriminator_loss(name: str) -> Callable[[Tensor, Tensor], Tensor]:
    """The discriminator loss called ``name`` (ValueError if there is none)."""
    return _lookup(DISCRIMINATOR_LOSSES, name, "discriminator")
