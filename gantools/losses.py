"""GAN losses as pure functions on discriminator logits.

A discriminator outputs a logit a; D = sigma(a). Every loss is written with ``softplus``
(log(1 + e^a)) so that it stays finite and exact when D saturates:

    log D(x)       = log sigma(a)      = -softplus(-a)
    log(1 - D(x))  = log(1 - sigma(a)) = -softplus(a)

Losses are *minimised*. Choose one by name through :data:`GENERATOR_LOSSES` and
:data:`DISCRIMINATOR_LOSSES` (or :func:`generator_loss` / :func:`discriminator_loss`).
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


def minimax_loss_gen(fake_logits: Tensor) -> Tensor:
    """Goodfellow et al.'s original (saturating) generator loss: minimise log(1 - D(G(z)))."""
    return -F.softplus(fake_logits).mean()


def ns_loss_gen(fake_logits: Tensor) -> Tensor:
    """The non-saturating generator loss: minimise -log D(G(z))."""
    return F.softplus(-fake_logits).mean()


GENERATOR_LOSSES: dict[str, Callable[[Tensor], Tensor]] = {
    "minimax": minimax_loss_gen,
    "non_saturating": ns_loss_gen,
}
DISCRIMINATOR_LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "bce": bce_loss_dis,
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
