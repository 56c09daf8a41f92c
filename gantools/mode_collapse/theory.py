"""Mode collapse in one dimension, with exact densities.

The generator here only chooses how much mass to put on each mode of a 1D Gaussian mixture
``data``: p_pi = sum_k pi_k N(mu_k, sigma_k^2) with pi in the probability simplex. In this
family p_g = p_data is one point (pi = w, the data's weights) and a generator collapsed on
mode k is a vertex (pi = e_k). For a fixed discriminator D the generator loss
E_{p_pi}[loss(D(x))] = sum_k pi_k c_k is linear in pi, so the generator's best response is a
vertex: all mass on the mode with the smallest c_k (:func:`best_response`).
:func:`best_response_dynamics` alternates "D best-responds" (D = D*, exact) with "G moves
towards its best response" (a full step, or Frank-Wolfe's 2/(t+2)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..distributions import GaussianMixture, normal
from ..theory import OptimalDiscriminator, expectation, js_divergence

# Per-sample generator losses as functions of a discriminator with log_d / log_one_minus_d
# (an OptimalDiscriminator): exact in the tails where D rounds to 0 or 1.
GENERATOR_LOSSES = {
    "non_saturating": lambda D, x: -D.log_d(x),  # -log D(x)
    "minimax": lambda D, x: D.log_one_minus_d(x),  # log(1 - D(x))
}


def mode_generator(data: GaussianMixture, pi) -> GaussianMixture:
    """p_pi: the data's components (same means and stds) with the weights pi (K,)."""
    pi = np.asarray(pi, dtype=float)
    return GaussianMixture(data.means, data.stds, pi / pi.sum())


def mode_losses(data: GaussianMixture, D, loss: str = "non_saturating") -> np.ndarray:
    """c_k = E_{x ~ N(mu_k, sigma_k^2)}[loss(D(x))] for every mode k, by quadrature, shape (K,).

    The generator loss of p_pi against this fixed D is sum_k pi_k c_k (linear in pi)."""
    if loss not in GENERATOR_LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {sorted(GENERATOR_LOSSES)}")
    f = GENERATOR_LOSSES[loss]
    return np.array([expectation(lambda x: f(D, x), normal(m, s)) for m, s in zip(data.means, data.stds, strict=True)])


def best_response(data: GaussianMixture, D, loss: str = "non_saturating") -> tuple[int, np.ndarray]:
    """The generator's best response to a fixed D in the mode family: (k, c), all mass on
    mode k = argmin_k c_k (a vertex of the simplex), with c the losses of :func:`mode_losses`."""
    c = mode_losses(data, D, loss)
    return int(np.argmin(c)), c


@dataclass(frozen=True)
class Dynamics:
    """A run of :func:`best_response_dynamics` (T steps)."""

    pis: np.ndarray  # (T+1, K) the generator's mode weights, row 0 the start
    jsd: np.ndarray  # (T+1,) JSD(p_data, p_pi) in nats
    best: np.ndarray  # (T,) the mode of G's best response to D* at each step
    losses: np.ndarray  # (T, K) the per-mode losses c_k against D* at each step


def best_response_dynamics(data: GaussianMixture, pi0, steps: int, step: str = "full",
                           loss: str = "non_saturating") -> Dynamics:
    """Iterate: D <- D*(p_data, p_pi) exactly; then pi <- (1 - eta) pi + eta e_k with e_k G's
    best response to that D.

    ``step="full"`` (eta = 1): G jumps to its best response, as if it moved fast relative
    to D. ``step="frank_wolfe"`` (eta = 2/(t+2)): G moves a shrinking step towards it while D
    is re-optimised every time (min over G of max over D); with the minimax loss this is
    the Frank-Wolfe method on the convex function pi -> 2 JSD(p_data, p_pi) - log 4.
    """
    if step not in ("full", "frank_wolfe"):
        raise ValueError(f"step must be 'full' or 'frank_wolfe', got {step!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    pi = np.asarray(pi0, dtype=float)
    if pi.shape != data.weights.shape or np.any(pi < 0) or abs(pi.sum() - 1) > 1e-8:
        raise ValueError(f"pi0 must be a probability vector of shape {data.weights.shape}, got {pi0!r}")
    pis, jsd, best, losses = [pi], [js_divergence(data, mode_generator(data, pi))], [], []
    for t in range(steps):
        D = OptimalDiscriminator(data, mode_generator(data, pi))  # (1) D best-responds
        k, c = best_response(data, D, loss)  # (2) G's best response: a vertex
        eta = 1.0 if step == "full" else 2.0 / (t + 2)
        pi = (1 - eta) * pi + eta * np.eye(len(pi))[k]
        pi = pi / pi.sum()
        pis.append(pi)
        jsd.append(js_divergence(data, mode_generator(data, pi)))
        best.append(k)
        losses.append(c)
    return Dynamics(np.array(pis), np.array(jsd), np.array(best, dtype=int), np.array(losses).reshape(-1, len(pi)))


def covering_jsd(n_modes: int, covered: int) -> float:
    """JSD(p_data, p_g) in nats when p_data has ``n_modes`` equally weighted, non-overlapping
    modes and p_g puts mass 1/covered on each of ``covered`` of them, with their shape:

    JSD = 1/2 [(m/K) log(2m/(m+K)) + (1 - m/K) log 2] + 1/2 log(2K/(m+K)).

    (K = 2, m = 1 gives (3/4) log(4/3).) Real mixtures overlap a little; the quadrature of
    gantools.theory agrees to the size of that overlap."""
    k, m = n_modes, covered
    if not (isinstance(k, int) and isinstance(m, int) and 1 <= m <= k):
        raise ValueError(f"need integers 1 <= covered <= n_modes, got n_modes={k!r}, covered={m!r}")
    return 0.5 * ((m / k) * math.log(2 * m / (m + k)) + (1 - m / k) * math.log(2)) + 0.5 * math.log(2 * k / (m + k))
