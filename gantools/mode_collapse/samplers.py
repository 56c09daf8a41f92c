"""Better samples from a trained toy generator without retraining it (chapter 6).

Each method here changes the *latent* measure that the frozen generator pushes forward, which
is how it escapes the connected-latent bound of :mod:`gantools.mode_collapse.bound` (the bound holds
for Gaussian noise only):

- :func:`jacobian_rejection` keeps the latent points where ||dG/dz|| is smallest (Tanielian et
  al. 2020): it cuts the steep transition regions, the preimages of the bridges between modes;
- discriminator rejection sampling (:meth:`gantools.batched.BatchedGAN.rejection_sample`,
  Azadi et al. 2019) reweights the latent by the acceptance probability exp(r(G(z)) - M);
- :func:`latent_langevin` samples the latent density proportional to
  N(u; 0, I) exp(r(G(u))) by Metropolis-adjusted Langevin steps (Che et al. 2020; with the
  Metropolis-Hastings test of Turner et al. 2019 made local): its pushforward is
  p_g exp(r) = p_data when r is the exact log density ratio.

All work on every run of a :class:`~gantools.batched.BatchedGAN` at once and return arrays of
shape (S, n, data_dim).
"""

from __future__ import annotations

import numpy as np
import torch

from ..checks import check_ints
from .bound import jacobian_norms

Tensor = torch.Tensor


@torch.no_grad()
def jacobian_rejection(gan, n: int = 2500, keep: float = 0.8, seed: int = 0, chunk: int = 20_000) -> np.ndarray:
    """n samples per run from the latent points whose Jacobian norm ||dG/du|| lies in the
    run's lowest ``keep`` fraction (the threshold is that quantile over the first ``chunk``
    candidates; Tanielian et al. 2020 call this Jacobian-based truncation)."""
    check_ints(n=n, chunk=chunk, minimum=1)
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be in (0, 1], got {keep!r}")
    gen = torch.Generator().manual_seed(seed)
    params = gan.G_ema or gan.G
    kept = [[] for _ in range(gan.runs)]
    counts = np.zeros(gan.runs, dtype=int)
    threshold = None
    while counts.min() < n:
        z = gan.noise(chunk, gen)
        norms = jacobian_norms(gan, z)  # (S, chunk)
        if threshold is None:
            threshold = torch.quantile(norms, keep, dim=1, keepdim=True)
        x = gan.generate(z, params)
        ok = norms <= threshold
        for i in range(gan.runs):
            if counts[i] < n:
                kept[i].append(x[i][ok[i]])
                counts[i] += int(ok[i].sum())
    return np.stack([torch.cat(k)[:n].double().cpu().numpy() for k in kept])


def latent_langevin(gan, ratio, n: int = 2500, steps: int = 100, step_size: float = 0.01, seed: int = 0,
                    return_acceptance: bool = False):
    """Metropolis-adjusted Langevin sampling in the latent space of every run.

    Target, in the standardised latent u = z / noise_std: pi(u) proportional to
    exp(-E(u)), E(u) = |u|^2 / 2 - r(G(u)), where r is ``ratio``'s logit, an estimate of
    log p_data(x) / p_g(x) (:meth:`~gantools.batched.BatchedGAN.density_ratio`). Then
    G(u) with u ~ pi has density p_g(x) exp(r(x)), which is p_data when r is exact.
    Each of ``steps`` proposals is u' = u - (eta / 2) grad E(u) + sqrt(eta) xi, kept with
    the Metropolis-Hastings probability, so every chain keeps pi invariant; ``n`` chains
    per run start from the prior. Returns (S, n, data_dim) (and the mean acceptance rate
    per run, (S,), with ``return_acceptance``).
    """
    check_ints(n=n, steps=steps, minimum=1)
    if not step_size > 0:
        raise ValueError(f"step_size must be positive, got {step_size!r}")
    if gan.cfg.latent_components:
        raise ValueError("latent_langevin assumes Gaussian noise; this generator has a mixture latent")
    gen = torch.Generator().manual_seed(seed)
    params, s = gan.G_ema or gan.G, gan.cfg.noise_std

    def energy_and_grad(u: Tensor) -> tuple[Tensor, Tensor]:
        u = u.detach().requires_grad_(True)
        e = 0.5 * (u**2).sum(2) - ratio.critic(gan.generate(u * s, params))[..., 0]  # (S, n)
        (g,) = torch.autograd.grad(e.sum(), u)
        return e.detach(), g

    dev = gan.device
    u = torch.randn(gan.runs, n, gan.cfg.noise_dim, generator=gen).to(dev)
    e, g = energy_and_grad(u)
    accepted = torch.zeros(gan.runs, device=dev)
    for _ in range(steps):
        prop = u - 0.5 * step_size * g + np.sqrt(step_size) * torch.randn(u.shape, generator=gen).to(dev)
        e2, g2 = energy_and_grad(prop)
        # log q(u | u') - log q(u' | u) for the Gaussian Langevin proposal
        fwd = ((prop - u + 0.5 * step_size * g) ** 2).sum(2)
        bwd = ((u - prop + 0.5 * step_size * g2) ** 2).sum(2)
        log_alpha = e - e2 + (fwd - bwd) / (2 * step_size)
        ok = torch.log(torch.rand(log_alpha.shape, generator=gen).to(dev)) < log_alpha  # (S, n)
        u = torch.where(ok[..., None], prop, u)
        e = torch.where(ok, e2, e)
        g = torch.where(ok[..., None], g2, g)
        accepted += ok.float().mean(1)
    with torch.no_grad():
        x = gan.generate(u * s, params).double().cpu().numpy()
    return (x, (accepted / steps).cpu().numpy()) if return_acceptance else x
