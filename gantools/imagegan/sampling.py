"""Use a trained generator: load it, draw images from it, lay them out as grids.

The EMA generator averages weights, and batch-norm running statistics do not average
with them: :func:`recalibrate_bn` re-estimates them before it is sampled.
"""

from __future__ import annotations

import functools
import math
import os

import torch
from torch import nn

from ..checkpoint import safe_load
from ..checks import check_psi
from ..imagedata import N_CLASSES
from .config import TrainConfig
from .models import get_model

GENERATOR_FORMAT = "gantools-generator/1"


def grid_image(images: torch.Tensor, nrow: int = 8, pad: int = 2):
    """``(N, C, H, W)`` in [-1, 1] → an ``(rows·(H+pad)+pad, nrow·(W+pad)+pad, C)`` uint8 array."""
    x = ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    n, c, h, w = x.shape
    rows = math.ceil(n / nrow)
    out = torch.full((c, rows * (h + pad) + pad, nrow * (w + pad) + pad), 255, dtype=torch.uint8)
    for i in range(n):
        r, k = divmod(i, nrow)
        out[:, pad + r * (h + pad):pad + r * (h + pad) + h, pad + k * (w + pad):pad + k * (w + pad) + w] = x[i]
    out = out.permute(1, 2, 0).numpy()
    return out[..., 0] if c == 1 else out


def save_grid(images: torch.Tensor, path: str, nrow: int = 8) -> None:
    """Write a sample grid as PNG (grey or RGB)."""
    from PIL import Image  # pillow comes with matplotlib

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    Image.fromarray(grid_image(images, nrow)).save(path, optimize=True)


def fixed_batch(cfg: TrainConfig) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The noise (and labels) of a run's sample grids, from ``cfg.seed``: 64 z for an
    unconditional model; for a conditional one, 10 z each repeated for every class
    (row r: z_r; column k: class k)."""
    gen = torch.Generator().manual_seed(cfg.seed + 7)
    if not get_model(cfg.model).conditional:
        return torch.randn(64, cfg.nz, generator=gen), None
    k = N_CLASSES[cfg.dataset]
    return torch.randn(10, cfg.nz, generator=gen).repeat_interleave(k, 0), torch.arange(k).repeat(10)


def _forward(g: nn.Module, z: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
    return g(z) if y is None else g(z, y)


@torch.no_grad()
def recalibrate_bn(g: nn.Module, batches: int = 8, batch_size: int = 128, seed: int = 0) -> nn.Module:
    """Re-estimate the batch-norm statistics of ``g`` (in place) from its own outputs.

    The EMA generator averages weights, but batch-norm running statistics belong to the
    weights that produced them: copied from the raw generator they mismatch the averaged
    weights and the samples come out grey and washed out. So the statistics are
    recomputed as exact averages (``momentum=None``) over ``batches`` noise batches drawn
    from ``seed`` — deterministic, and cheap (no gradients).
    """
    bns = [m for m in g.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return g
    was, dev = g.training, next(g.parameters()).device
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration batches
    gen = torch.Generator().manual_seed(seed + 12345)
    k = getattr(g, "n_classes", 0)  # a conditional generator: uniform labels
    g.train()
    for _ in range(batches):
        z = torch.randn(batch_size, g.cfg.nz, generator=gen).to(dev)
        _forward(g, z, torch.randint(k, (batch_size,), generator=gen).to(dev) if k else None)
    for m, mom in zip(bns, saved, strict=True):
        m.momentum = mom
    g.train(was)
    return g


def load_generator(run_dir: str, device: str = "cpu") -> tuple[nn.Module, TrainConfig]:
    """The trained (EMA) generator of a run, in eval mode, and its config: from
    ``generator.pt`` when the run finished, else from its last ``checkpoint.pt``."""
    path = os.path.join(run_dir, "generator.pt")
    finished = os.path.exists(path)
    if not finished:
        path = os.path.join(run_dir, "checkpoint.pt")
        if not os.path.exists(path):
            raise ValueError(f"{run_dir} holds no run (no generator.pt or checkpoint.pt)")
    ck = safe_load(path)
    try:
        cfg = TrainConfig(**ck["config"])
    except (TypeError, KeyError) as e:
        raise ValueError(f"{path}: config not understood ({e})") from None
    g = get_model(cfg.model).for_config(cfg).build_generator(cfg)
    if finished:
        g.load_state_dict(ck["state_dict"])
    else:
        g.load_state_dict(ck["G_ema"] if ck["G_ema"] is not None else ck["G"])
        if ck["G_ema"] is not None:
            recalibrate_bn(g, seed=cfg.seed)  # the checkpoint's EMA statistics are not calibrated
    return g.to(device).eval(), cfg


def check_labels(g: nn.Module, labels, n: int) -> torch.Tensor | None:
    """``labels`` for ``n`` images of ``g``: None for an unconditional generator; for a
    conditional one an int (every image that class) or ``(n,)`` integers in [0, K)."""
    k = getattr(g, "n_classes", 0)
    if not k:
        if labels is not None:
            raise ValueError("labels (--label) apply to conditional generators; this one is unconditional")
        return None
    if labels is None:
        return None
    y = torch.full((n,), labels) if isinstance(labels, int) else torch.as_tensor(labels)
    if y.shape != (n,) or y.is_floating_point() or not bool(((y >= 0) & (y < k)).all()):
        shown = labels if isinstance(labels, int) else f"an array of shape {tuple(y.shape)}"
        raise ValueError(f"labels must be classes 0..{k - 1} (one per image), got {shown}")
    return y.long()


def truncate(z: torch.Tensor, psi: float, generator: torch.Generator) -> torch.Tensor:
    """BigGAN's truncation trick (Brock et al. 2019) on N(0, I) latents, indexed by psi in [0, 1]:
    every coordinate beyond the threshold t = Phi^-1((1 + psi) / 2) is redrawn from N(0, 1)
    restricted to [-t, t], so each coordinate keeps the central share psi of its mass. psi = 1
    changes nothing; psi = 0 is the mean latent z = 0 (as psi = 0 is w-bar in StyleGAN)."""
    psi = check_psi(psi)
    if psi == 1.0:
        return z
    normal = torch.distributions.Normal(0.0, 1.0)
    t = float(normal.icdf(torch.tensor((1.0 + psi) / 2.0, dtype=torch.float64)))
    lo = (1.0 - psi) / 2.0  # Phi(-t)
    u = lo + psi * torch.rand(z.shape, generator=generator, dtype=torch.float64)
    inside = normal.icdf(u.clamp(1e-12, 1 - 1e-12)).to(z.dtype).clamp(-t, t)
    return torch.where(z.abs() > t, inside, z)


@torch.no_grad()
def generate(g: nn.Module, n: int, seed: int = 0, batch_size: int = 500, labels=None,
             truncation: float | None = None) -> torch.Tensor:
    """``n`` images ``(n, C, H, W)`` from ``g`` with noise drawn from ``seed`` (deterministic).

    A conditional generator makes the classes in ``labels`` (an int or ``(n,)``); without
    them, classes drawn uniformly from the same seed. ``truncation`` psi in [0, 1]: the
    latents of :func:`truncate` for a Z-only generator, w_bar + psi (w - w_bar) for a style-based
    one (None or 1: no truncation, the same images).
    """
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"n must be a positive integer, got {n!r}")
    y = check_labels(g, labels, n)
    dev = next(g.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n, g.cfg.nz, generator=gen)
    if truncation is not None and hasattr(g, "truncate"):  # a style-based G: truncation in W
        w_bar = g.mean_w()
        g = functools.partial(g, psi=truncation, w_bar=w_bar)
    elif truncation is not None:  # a Z-only G: BigGAN's resampling beyond a threshold
        z = truncate(z, truncation, torch.Generator().manual_seed(seed + 1))
    if y is None and getattr(g, "n_classes", 0):
        y = torch.randint(g.n_classes, (n,), generator=gen)
    out = []
    for i in range(0, n, batch_size):
        yb = None if y is None else y[i:i + batch_size].to(dev)
        out.append(_forward(g, z[i:i + batch_size].to(dev), yb).float().cpu())
    return torch.cat(out)
