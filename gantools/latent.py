"""Walking a generator's latent space (the shared floor): interpolation, path length, inversion.

- :func:`lerp` and :func:`slerp`: straight and spherical interpolation. For z ~ N(0, I_d) the norm
  concentrates at sqrt(d), and a straight path between two independent latents passes through
  norms near sqrt(d / 2) at its middle, where the generator was never trained; the spherical
  path of White (2016) keeps the norm between the end points' norms.
- :func:`path_lengths`: the perceptual path length of Karras et al. (2019): for latents z1, z2 and
  t ~ U(0, 1), the distance between the images at t and t + eps, divided by eps^2, in some
  features (the paper's LPIPS; here the book's classifier's, squared Euclidean). In Z the path is
  a slerp of z1 and z2; in W (a style-based G) a lerp of w1 = f(z1) and w2 = f(z2), as in the
  paper. :func:`ppl` is the paper's summary: the mean after dropping values outside the 1st-99th
  percentiles. A smaller PPL: images change more evenly along the path.
- :func:`invert`: the latent whose image is closest to a target, by gradient descent on the
  pixel error from a start (z ~ N(0, I) or w-bar), in Z or in W; returns it and the error.
- :func:`class_directions`: per class, the mean latent of the samples a classifier puts in that
  class minus the mean of all: directions for latent arithmetic (z + a (d_sandal - d_boot)).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from .checks import check_ints

SPACES = ("z", "w")


def lerp(a: Tensor, b: Tensor, t) -> Tensor:
    """a + t (b - a), with ``t`` a number or a tensor broadcasting against a (e.g. (N, 1))."""
    return a + (b - a) * t


def slerp(a: Tensor, b: Tensor, t) -> Tensor:
    """Spherical interpolation of the rows of ``a`` and ``b`` (N, d): sin((1-t) omega)/sin(omega) a
    + sin(t omega)/sin(omega) b, with omega the angle between them (a lerp where they are parallel)."""
    cos = torch.nn.functional.cosine_similarity(a, b, dim=-1, eps=1e-12).clamp(-1.0, 1.0).unsqueeze(-1)
    omega = torch.arccos(cos)
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device)
    sin = torch.sin(omega)
    parallel = sin.abs() < 1e-6
    safe = torch.where(parallel, torch.ones_like(sin), sin)
    out = (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / safe
    return torch.where(parallel, lerp(a, b, t), out)


def _check_space(g, space: str) -> None:
    if space not in SPACES:
        raise ValueError(f"space must be one of {', '.join(SPACES)}, got {space!r}")
    if space == "w" and not hasattr(g, "mapping"):
        raise ValueError("space 'w' needs a style-based generator (one with a mapping network)")


def _images(g, latent: Tensor, space: str) -> Tensor:
    return g.synthesis(g.broadcast(latent)) if space == "w" else g(latent)


@torch.no_grad()
def path_lengths(g, features: Callable[[Tensor], Tensor], space: str = "z", n: int = 1000, eps: float = 1e-4,
                 seed: int = 0, batch: int = 200) -> np.ndarray:
    """``n`` samples of the perceptual path length (see the module docstring) of ``g`` in
    ``space``, with distances measured by ``features`` (images -> (N, F))."""
    _check_space(g, space)
    check_ints(1, n=n, batch=batch)
    gen = torch.Generator().manual_seed(seed)
    dev = next(g.parameters()).device
    out = []
    for start in range(0, n, batch):
        m = min(batch, n - start)
        z1, z2 = (torch.randn(m, g.cfg.nz, generator=gen) for _ in range(2))
        t = torch.rand(m, 1, generator=gen)
        z1, z2, t = z1.to(dev), z2.to(dev), t.to(dev)
        if space == "w":
            w1, w2 = g.mapping(z1), g.mapping(z2)
            a, b = lerp(w1, w2, t), lerp(w1, w2, t + eps)
        else:
            a, b = slerp(z1, z2, t), slerp(z1, z2, t + eps)
        fa, fb = features(_images(g, a, space)), features(_images(g, b, space))
        out.append(((fa - fb).square().sum(dim=1) / eps**2).double().cpu())
    return torch.cat(out).numpy()


def ppl(values) -> float:
    """Karras et al.'s summary of :func:`path_lengths`: the mean of the values between the 1st
    and the 99th percentile."""
    v = np.asarray(values, dtype=float)
    lo, hi = np.percentile(v, [1, 99])
    return float(v[(v >= lo) & (v <= hi)].mean())


def invert(g, targets: Tensor, space: str = "z", steps: int = 200, lr: float = 0.05,
           seed: int = 0) -> tuple[Tensor, Tensor]:
    """(latents, errors): the latent (N, d) found for each target image (N, C, H, W) by Adam on
    the mean squared pixel error, and that error per image (N,). Starts from z ~ N(0, I) (seeded)
    in Z, from w-bar in W."""
    _check_space(g, space)
    check_ints(1, steps=steps)
    dev = next(g.parameters()).device
    targets = targets.to(dev)
    if space == "w":
        start = g.mean_w().to(dev).expand(len(targets), -1)
    else:
        start = torch.randn(len(targets), g.cfg.nz, generator=torch.Generator().manual_seed(seed)).to(dev)
    latent = start.clone().requires_grad_(True)
    opt = torch.optim.Adam([latent], lr=lr)
    params = [p.requires_grad for p in g.parameters()]
    g.requires_grad_(False)
    try:
        for _ in range(steps):
            err = (_images(g, latent, space) - targets).square().flatten(1).mean(1)
            opt.zero_grad(set_to_none=True)
            err.sum().backward()
            opt.step()
        with torch.no_grad():
            err = (_images(g, latent, space) - targets).square().flatten(1).mean(1)
    finally:
        for p, flag in zip(g.parameters(), params, strict=True):
            p.requires_grad_(flag)
    return latent.detach(), err.detach()


@torch.no_grad()
def class_directions(g, predict: Callable[[Tensor], Tensor], n_classes: int, space: str = "z", n: int = 2000,
                     seed: int = 0) -> Tensor:
    """(n_classes, d): for each class, the mean latent of the samples ``predict`` (images -> (N,)
    labels) assigns to it, minus the mean latent of all ``n`` samples (zero for a class never seen)."""
    _check_space(g, space)
    z = torch.randn(n, g.cfg.nz, generator=torch.Generator().manual_seed(seed)).to(next(g.parameters()).device)
    latent = g.mapping(z) if space == "w" else z
    labels = predict(_images(g, latent, space)).long()
    mean = latent.mean(0)
    out = torch.zeros(n_classes, latent.shape[1], device=latent.device)
    for k in range(n_classes):
        if (labels == k).any():
            out[k] = latent[labels == k].mean(0) - mean
    return out
