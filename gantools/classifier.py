"""A small image classifier as a feature extractor for FID, IS, precision/recall and
class coverage, offline.

FID proper uses Inception-v3 features (Heusel et al. 2017), which need torch-fidelity and
a download of ~100 MB of weights. For 32×32 digits a small CNN trained on the data itself
gives a *Fréchet classifier distance* with the same maths (:func:`gantools.metrics.fid_from_features`),
runs on a CPU in seconds, and needs no network. Its numbers are not comparable with
published FIDs; :func:`inception_fid` computes those when torch-fidelity is available.

- :class:`SmallCNN`: three stride-2 convolutions, global average pooling, 128 features.
- :func:`train_classifier`: seeded, deterministic on CPU, with random shifts of ±2 pixels.
- :func:`load_classifier`: the committed digits and Fashion-MNIST weights
  (``gantools/data/classifier_<dataset>.pt``, made by ``bench/train_classifier.py``), or
  train-once-and-cache for other datasets.
- :func:`save_classifier`, :func:`load_classifier_file`: self-describing checkpoints.
- :func:`features`, :func:`predict_proba`, :func:`frechet_classifier_distance`, :func:`inception_fid`.
"""

from __future__ import annotations

import importlib.resources
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .checkpoint import atomic_save
from .imagedata import CHANNELS, N_CLASSES, check_dataset, default_root, load_dataset
from .metrics import fid_from_features

FEATURE_DIM = 128  # length of SmallCNN.features(x)
COMMITTED = ("digits", "fashion-mnist")  # datasets whose weights ship in gantools/data/
DIGITS_WEIGHTS = "classifier_digits.pt"  # under gantools/data/


def committed_weights(dataset: str) -> str:
    """The file name, under ``gantools/data/``, of ``dataset``'s committed weights."""
    return f"classifier_{dataset}.pt"


class SmallCNN(nn.Module):
    """conv(32) → conv(64) → conv(128), each 3×3 stride 2 + ReLU → global average pool →
    128 features → linear logits. About 94k parameters; 32×32 inputs in [-1, 1]."""

    def __init__(self, in_channels: int = 1, n_classes: int = 10):
        super().__init__()
        self.in_channels, self.n_classes = in_channels, n_classes
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3, stride=2, padding=1), nn.ReLU(),  # (B, 32, 16, 16)
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),  # (B, 64, 8, 8)
            nn.Conv2d(64, FEATURE_DIM, 3, stride=2, padding=1), nn.ReLU(),  # (B, 128, 4, 4)
        )
        self.head = nn.Linear(FEATURE_DIM, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) → (B, 128): the pooled activations that FID-style metrics compare."""
        return self.body(x).mean(dim=(2, 3))  # (B, 128)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # (B, n_classes) logits


def _check_images(images, name: str = "images", channels: int | None = None) -> torch.Tensor:
    x = torch.as_tensor(images)
    if x.ndim != 4:
        raise ValueError(f"{name} must have shape (N, C, H, W), got {tuple(x.shape)}")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{name} have {x.shape[1]} channel(s) but the classifier expects {channels}")
    if not torch.is_floating_point(x):
        raise ValueError(f"{name} must be floating point in [-1, 1], got dtype {x.dtype}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contain NaN or infinite values")
    return x.float()


def random_shift(x: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Shift each image of (B, C, H, W) by its own random offset in [-max_shift, max_shift]²,
    filling the border by replication."""
    b, _, h, w = x.shape
    padded = F.pad(x, (max_shift,) * 4, mode="replicate")  # (B, C, H + 2s, W + 2s)
    dy, dx = torch.randint(0, 2 * max_shift + 1, (2, b), generator=generator)
    rows = (dy[:, None] + torch.arange(h))[:, :, None]  # (B, H, 1)
    cols = (dx[:, None] + torch.arange(w))[:, None, :]  # (B, 1, W)
    out = padded[torch.arange(b)[:, None, None], :, rows, cols]  # (B, H, W, C)
    return out.permute(0, 3, 1, 2).contiguous()


def split_indices(n: int, test_fraction: float = 0.2, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded random split of ``range(n)`` into (train, test) index tensors; the test part
    has ``round(test_fraction * n)`` items. ``bench/train_classifier.py`` uses it for digits."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction!r}")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_test = round(test_fraction * n)
    return perm[n_test:].sort().values, perm[:n_test].sort().values


def train_classifier(images, labels, steps: int = 2000, batch_size: int = 64, lr: float = 2e-3,
                     seed: int = 0, device: str = "cpu", max_shift: int = 2,
                     n_classes: int | None = None) -> SmallCNN:
    """Train a :class:`SmallCNN` with Adam and cross-entropy; returns it in eval mode.

    Deterministic for a ``seed`` on CPU (initialisation, batches and shifts are all drawn
    from it; the global RNG is left untouched).

    Args:
        images: (N, C, H, W) float in [-1, 1]; 32×32 is what the architecture is sized for.
        labels: (N,) integer classes in [0, K).
        steps: optimiser steps.
        batch_size: images per step (at most N).
        lr: Adam learning rate, decayed by a cosine schedule to 0.
        seed: the seed of everything random.
        device: where to train.
        max_shift: augmentation, random shifts of up to this many pixels (0: none).
        n_classes: K (default max(labels) + 1).
    """
    x = _check_images(images)
    y = torch.as_tensor(labels)
    if y.ndim != 1 or y.shape[0] != x.shape[0] or y.dtype.is_floating_point:
        raise ValueError(f"labels must be integers of shape ({x.shape[0]},), got {y.dtype} {tuple(y.shape)}")
    if not 1 <= batch_size <= x.shape[0]:
        raise ValueError(f"batch_size must be in [1, {x.shape[0]}], got {batch_size}")
    if steps < 1:
        raise ValueError(f"steps must be positive, got {steps}")
    y = y.long()
    n_classes = int(y.max()) + 1 if n_classes is None else n_classes
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes}), got {int(y.min())} to {int(y.max())}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = SmallCNN(x.shape[1], n_classes).to(device)
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    model.train()
    perm, pos = torch.randperm(x.shape[0], generator=g), 0
    for _ in range(steps):
        if pos + batch_size > x.shape[0]:  # a fresh permutation each epoch
            perm, pos = torch.randperm(x.shape[0], generator=g), 0
        idx = perm[pos:pos + batch_size]
        pos += batch_size
        xb = random_shift(x[idx], max_shift, g) if max_shift > 0 else x[idx]
        loss = F.cross_entropy(model(xb.to(device)), y[idx].to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    return model.eval()


@torch.no_grad()
def _batched(model: SmallCNN, images, batch_size: int, fn) -> np.ndarray:
    x = _check_images(images, channels=model.in_channels)
    was_training = model.training
    model.eval()
    dev = next(model.parameters()).device
    try:
        out = [fn(x[s:s + batch_size].to(dev)).cpu() for s in range(0, x.shape[0], batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(out).numpy()


def features(model: SmallCNN, images, batch_size: int = 256) -> np.ndarray:
    """Features (N, 128) float32 of images (N, C, H, W) in [-1, 1], in eval mode."""
    return _batched(model, images, batch_size, model.features)


def predict_proba(model: SmallCNN, images, batch_size: int = 256) -> np.ndarray:
    """Class probabilities (N, K) float64 (softmax of the logits), in eval mode."""
    return _batched(model, images, batch_size, lambda xb: torch.softmax(model(xb).double(), dim=1))


def accuracy(model: SmallCNN, images, labels) -> float:
    """Fraction of ``images`` whose most probable class is ``labels`` (N,)."""
    pred = predict_proba(model, images).argmax(1)
    return float((pred == np.asarray(labels)).mean())


def load_classifier_file(path, device: str = "cpu") -> SmallCNN:
    """A :class:`SmallCNN` from a checkpoint written by :func:`save_classifier` (loaded with
    ``weights_only=True``), in eval mode, its metadata in ``model.info``."""
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    model = SmallCNN(int(ckpt["in_channels"]), int(ckpt["n_classes"]))
    model.load_state_dict({k: v.float() for k, v in ckpt["model"].items()})  # stored as float16
    model.info = {k: v for k, v in ckpt.items() if k != "model"}  # dataset, split, accuracy, ...
    return model.to(device).eval()


def save_classifier(model: SmallCNN, path: str, **info) -> None:
    """Write ``model`` (weights in float16, to halve the file) and scalar ``info`` to
    ``path`` atomically (:func:`gantools.checkpoint.atomic_save`)."""
    ckpt = {"model": {k: v.detach().cpu().half() for k, v in model.state_dict().items()},
            "in_channels": model.in_channels, "n_classes": model.n_classes, **info}
    atomic_save(ckpt, path)


def load_classifier(dataset: str = "digits", device: str = "cpu", steps: int = 3000) -> SmallCNN:
    """The feature classifier for ``dataset``, in eval mode, with its metadata in ``model.info``.

    ``digits``: the committed weights (trained on a seeded 80% split; ``model.info`` holds
    the split seed and the held-out accuracy). ``fashion-mnist``: the committed weights
    (trained on the 60,000 training images; ``model.info`` holds the test accuracy, overall
    and by class). Other datasets: trained once on the
    training split for ``steps`` steps and cached as ``classifier_<dataset>.pt`` under
    :func:`~gantools.imagedata.default_root` (test accuracy in ``model.info``).
    """
    check_dataset(dataset)
    if dataset in COMMITTED:
        with importlib.resources.as_file(importlib.resources.files("gantools") / "data"
                                         / committed_weights(dataset)) as p:
            return load_classifier_file(p, device)
    path = os.path.join(default_root(), f"classifier_{dataset}.pt")
    if not os.path.exists(path):
        x, y = load_dataset(dataset, image_size=32, train=True)
        t = time.perf_counter()
        model = train_classifier(x, y, steps=steps, batch_size=min(128, len(x)), device=device, n_classes=N_CLASSES[dataset])
        seconds = time.perf_counter() - t
        xt, yt = load_dataset(dataset, image_size=32, train=False)
        save_classifier(model, path, dataset=dataset, steps=steps, train_seconds=seconds,
                        held_out_accuracy=accuracy(model, xt, yt))
    model = load_classifier_file(path, device)
    if model.in_channels != CHANNELS[dataset] or model.n_classes != N_CLASSES[dataset]:
        raise ValueError(f"{path} does not hold a {dataset} classifier; delete it to retrain")
    return model


def frechet_classifier_distance(images1, images2, model: SmallCNN, batch_size: int = 256) -> float:
    """FID's formula on :class:`SmallCNN` features: ``fid_from_features(features(images1),
    features(images2))``. Offline and fast; not comparable with Inception FIDs."""
    return fid_from_features(features(model, images1, batch_size), features(model, images2, batch_size))


def inception_fid(real, fake, device: str = "cpu", batch_size: int = 64) -> float:
    """FID with Inception-v3 pool features (2048-D) through torchmetrics'
    ``FrechetInceptionDistance(feature=2048, normalize=True)``: the number papers report.

    Args:
        real, fake: images (N, C, H, W) in [-1, 1], N >= 2; grey images are repeated to
            3 channels; torchmetrics resizes to 299×299.

    Raises:
        RuntimeError: torch-fidelity is missing or the Inception weights cannot be downloaded.
    """
    real, fake = _check_images(real, "real"), _check_images(fake, "fake")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real has {real.shape[1]} channel(s), fake has {fake.shape[1]}")
    if min(len(real), len(fake)) < 2:
        raise ValueError(f"FID needs at least 2 images of each kind, got {len(real)} real and {len(fake)} fake")
    try:
        from torchmetrics.image.fid import FrechetInceptionDistance

        metric = FrechetInceptionDistance(feature=2048, normalize=True).to(device)
    except Exception as e:  # ImportError, or a download error (URLError, HTTPError, OSError, ...)
        raise RuntimeError(
            f"FID with Inception needs torch-fidelity (pip install torch-fidelity) and a one-time download "
            f"of the Inception weights ({type(e).__name__}); frechet_classifier_distance works offline"
        ) from e
    for x, is_real in ((real, True), (fake, False)):
        for s in range(0, x.shape[0], batch_size):
            xb = ((x[s:s + batch_size] + 1) / 2).clamp(0, 1)  # [-1, 1] -> [0, 1]
            if xb.shape[1] == 1:
                xb = xb.repeat(1, 3, 1, 1)  # grey -> RGB
            metric.update(xb.to(device), real=is_real)
    return float(metric.compute())
