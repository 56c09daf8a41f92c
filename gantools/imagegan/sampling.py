"""Use a trained generator: load it, draw images from it, lay them out as grids.

The EMA generator averages weights, and batch-norm running statistics do not average
with them: :func:`recalibrate_bn` re-estimates them before it is sampled.
"""

from __future__ import annotations

import math
import os

import torch
from torch import nn

from ..checkpoint import safe_load
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
    g.train()
    for _ in range(batches):
        g(torch.randn(batch_size, g.cfg.nz, generator=gen).to(dev))
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
    g = get_model(cfg.model).build_generator(cfg)
    if finished:
        g.load_state_dict(ck["state_dict"])
    else:
        g.load_state_dict(ck["G_ema"] if ck["G_ema"] is not None else ck["G"])
        if ck["G_ema"] is not None:
            recalibrate_bn(g, seed=cfg.seed)  # the checkpoint's EMA statistics are not calibrated
    return g.to(device).eval(), cfg


@torch.no_grad()
def generate(g: nn.Module, n: int, seed: int = 0, batch_size: int = 500) -> torch.Tensor:
    """``n`` images ``(n, C, H, W)`` from ``g`` with noise drawn from ``seed`` (deterministic)."""
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"n must be a positive integer, got {n!r}")
    dev = next(g.parameters()).device
    z = torch.randn(n, g.cfg.nz, generator=torch.Generator().manual_seed(seed))
    return torch.cat([g(z[i:i + batch_size].to(dev)).float().cpu() for i in range(0, n, batch_size)])
