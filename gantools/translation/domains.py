"""Two image domains with a known ground truth, for unpaired translation (chapter 13).

X is the digits; Y is T(digits) for a *disjoint* half of them, so a translator trained on
X and Y never sees a pair, while for every held-out test image x we know its true partner
T(x) and its class. The same split works for MNIST and Fashion-MNIST (the GPU runs of
chapter 13), there at 32x32 (:func:`image_size`). Transforms (:data:`TRANSFORMS`):

- ``rot90``: a quarter turn counter-clockwise; geometric and invertible, and the identity
  map is far from it.
- ``dilate``: stroke thickening by a 3x3 grey-level dilation (a max filter); not invertible,
  a thin and a thick stroke can thicken to the same image.

:func:`make_domains` builds the split: ``x_train`` (X, unpaired), ``y_train`` (Y, made from
other digits), ``pairs`` (x_train with its true partners, for the paired oracle), and the
test set (``x_test``, ``t_test`` = T(x_test), ``labels``). For the digits all three come from
the 1,797 images; for MNIST and Fashion-MNIST X and Y come from the training split and the
test set from the test split.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..imagedata import load_dataset

IMAGE_SIZE = 16  # digits are 8x8; translated at 16x16
N_TEST = 497  # held-out test images (1,797 digits - 2 x 650)
N_HALF = 650  # training images per domain
LARGE_SIZE = 32  # MNIST and Fashion-MNIST: 28x28 padded to 32x32, every pixel kept
LARGE_HALF, LARGE_TEST = 20_000, 2_000  # their domains (training split) and test set (test split)
DATASETS = ("digits", "mnist", "fashion-mnist")  # one channel, ten classes


def image_size(dataset: str) -> int:
    """The side at which ``dataset`` is translated: 16 for the 8x8 digits (upsampled), 32 for
    the 28x28 MNIST and Fashion-MNIST (padded; a 16x16 resize would blur away their detail)."""
    if dataset not in DATASETS:
        raise ValueError(f"translation needs a one-channel dataset ({', '.join(DATASETS)}), got {dataset!r}")
    return IMAGE_SIZE if dataset == "digits" else LARGE_SIZE


def _rot90(x: torch.Tensor) -> torch.Tensor:
    return torch.rot90(x, 1, dims=(2, 3))


def _dilate(x: torch.Tensor) -> torch.Tensor:
    return F.max_pool2d(x, kernel_size=3, stride=1, padding=1)


TRANSFORMS = {"rot90": _rot90, "dilate": _dilate}


def check_transform(name: str) -> str:
    """``name`` if it is a known transform, else a ValueError naming it and the choices."""
    if name not in TRANSFORMS:
        raise ValueError(f"unknown transform {name!r}; choose one of: {', '.join(TRANSFORMS)}")
    return name


def apply_transform(name: str, images: torch.Tensor) -> torch.Tensor:
    """T(images) for images (N, 1, H, W) in [-1, 1]."""
    check_transform(name)
    if not (isinstance(images, torch.Tensor) and images.ndim == 4 and images.shape[1] == 1
            and images.shape[2] == images.shape[3]):
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must be a tensor (N, 1, H, H), got {shape}")
    return TRANSFORMS[name](images)


@dataclass(frozen=True)
class Domains:
    """The unpaired training domains and the held-out test set of one transform."""

    transform: str
    dataset: str
    x_train: torch.Tensor  # (650, 1, 16, 16) digits: domain X (fashion-mnist: (20000, 1, 32, 32))
    y_train: torch.Tensor  # (650, 1, 16, 16) T(other digits): domain Y
    y_train_labels: torch.Tensor  # their classes (for the Y classifier only)
    pairs: tuple[torch.Tensor, torch.Tensor]  # (x_train, T(x_train)): the paired oracle's data
    x_labels: torch.Tensor  # classes of x_train
    x_test: torch.Tensor  # (497, 1, 16, 16) held-out digits (fashion-mnist: (2000, 1, 32, 32))
    t_test: torch.Tensor  # their true partners T(x_test)
    labels: torch.Tensor  # (497,) their classes


def make_domains(transform: str, dataset: str = "digits", seed: int = 0) -> Domains:
    """Split the images (seeded) into X-train, Y-train (transformed) and a test set: for the
    digits 650 + 650 + 497 of the 1,797 at 16x16; for MNIST or Fashion-MNIST (the GPU runs)
    20,000 + 20,000 of the training split and 2,000 of the test split, at 32x32."""
    check_transform(transform)
    size = image_size(dataset)
    gen = torch.Generator().manual_seed(seed)
    x, y = load_dataset(dataset, size)
    perm = torch.randperm(len(x), generator=gen)
    if dataset == "digits":
        a, b, test = perm[:N_HALF], perm[N_HALF:2 * N_HALF], perm[2 * N_HALF:2 * N_HALF + N_TEST]
        x_test, y_test = x[test], y[test]
    else:
        a, b = perm[:LARGE_HALF], perm[LARGE_HALF:2 * LARGE_HALF]
        xt, yt = load_dataset(dataset, size, train=False)
        test = torch.randperm(len(xt), generator=gen)[:LARGE_TEST]
        x_test, y_test = xt[test], yt[test]
    t = TRANSFORMS[transform]
    return Domains(transform, dataset, x[a], t(x[b]), y[b], (x[a], t(x[a])), y[a], x_test, t(x_test), y_test)
