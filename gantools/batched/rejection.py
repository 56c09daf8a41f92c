"""Discriminator rejection sampling (Azadi et al. 2019) from every run of a
:class:`~gantools.batched.BatchedGAN` at once, against a density-ratio discriminator such as
:meth:`~gantools.batched.BatchedGAN.density_ratio` returns (or any stand-in with a per-point
``critic``). :meth:`BatchedGAN.rejection_sample <gantools.batched.BatchedGAN.rejection_sample>`
calls :func:`rejection_sample`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from .gan import BatchedGAN


@torch.no_grad()
def rejection_sample(gan: BatchedGAN, ratio: BatchedGAN, n: int = 2500, seed: int = 0, chunk: int = 20_000,
                     max_candidates: int = 10_000_000, quantile: float = 1.0) -> np.ndarray:
    """Discriminator rejection sampling (Azadi et al. 2019): draw x ~ p_g from ``gan`` and keep
    it with probability min(1, exp(r(x) - M)), where r is ``ratio``'s estimate of
    log p_data(x) / p_g(x) and M its ``quantile`` over the first chunk of candidates
    (1.0: the maximum, exact; below 1, a few spikes of r no longer make the acceptance
    rate tiny, at the price of accepting the top candidates slightly too rarely). If r
    were exact, the kept samples would follow p_data wherever p_g > 0 (rejection
    removes mass, it cannot add a mode that G never visits). Returns (S, n, data_dim)."""
    if not 0 < quantile <= 1:
        raise ValueError(f"quantile must be in (0, 1], got {quantile!r}")
    gen = torch.Generator().manual_seed(seed)
    kept = [[] for _ in range(gan.runs)]
    counts = np.zeros(gan.runs, dtype=int)
    M = None
    drawn = 0
    active = list(range(gan.runs))
    me, judge = gan, ratio
    while active:
        if drawn >= max_candidates:
            raise RuntimeError(f"rejection sampling kept only {counts.min()} of {n} samples "
                               f"from {max_candidates} candidates")
        x = me.generate(me.noise(chunk, gen), me.G_ema or me.G)
        r = judge.critic(x)[..., 0]  # (active runs, chunk)
        if M is None:
            M = torch.quantile(r, quantile, dim=1, keepdim=True) if quantile < 1 else r.max(1, keepdim=True).values
        keep = torch.rand(r.shape, generator=gen).to(gan.device) < torch.exp(r - M)
        for j, i in enumerate(active):
            xi = x[j][keep[j]]
            kept[i].append(xi)
            counts[i] += len(xi)
        drawn += chunk
        done = [j for j, i in enumerate(active) if counts[i] >= n]
        if done:  # carry on with the runs that still need samples only
            left = [j for j in range(len(active)) if j not in done]
            active = [active[j] for j in left]
            me, M = me.subset(left), M[left]
            judge = judge.subset(left) if hasattr(judge, "subset") else judge  # a per-point stand-in
    return np.stack([torch.cat(k)[:n].double().cpu().numpy() for k in kept])
