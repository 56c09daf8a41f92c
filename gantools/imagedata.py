"""Image datasets for the image chapters (8 and after), selected by one name.

- ``fashion-mnist``: 70,000 grey 28×28 images of clothing (60,000 train, 10,000 test), read
  from the four original IDX files on disk, downloaded once only when absent
  (:mod:`gantools.idx`). The book's real images; offline in CI (Debian's package).
- ``digits``: scikit-learn's bundled 8×8 handwritten digits (1,797 images), resized
  bilinearly to ``image_size``. Offline and tiny: the fastest live runs.
- ``mnist`` (1×28×28) and ``cifar10`` (3×32×32) through torchvision's download path
  (``download=True``), for Colab and local GPUs.

28×28 images asked for at 32×32 are padded by 2 background pixels on each side (every
original pixel kept, as in LeNet-5's 32×32 MNIST input); other sizes are resampled.
``subset=n`` keeps a class-stratified ``n`` of them (the first ones of each class in file
order): a small, balanced set for a quick live run.

Every loader returns images as a float32 tensor ``(N, C, H, W)`` scaled to [-1, 1]
(the range of a tanh generator) and integer labels ``(N,)``.

:class:`ImageSampler` draws minibatches in a reproducible order whose whole state is a
small dict, so a checkpoint can store it and a resumed run sees the same batches.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

DATASETS = ("digits", "mnist", "fashion-mnist", "cifar10")
CHANNELS = {"digits": 1, "mnist": 1, "fashion-mnist": 1, "cifar10": 3}
N_CLASSES = {"digits": 10, "mnist": 10, "fashion-mnist": 10, "cifar10": 10}
CLASS_NAMES = {
    "digits": [str(i) for i in range(10)],
    "mnist": [str(i) for i in range(10)],
    "fashion-mnist": ["T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
                      "sneaker", "bag", "ankle boot"],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                "truck"],
}
_TORCHVISION = {"mnist": "MNIST", "cifar10": "CIFAR10"}


def default_root() -> str:
    """Where downloaded datasets are kept: ``$GANTOOLS_DATA`` or ``~/.cache/gantools``."""
    return os.environ.get("GANTOOLS_DATA") or os.path.join(os.path.expanduser("~"), ".cache", "gantools")


def check_dataset(name: str) -> str:
    """Return ``name`` if it is a known dataset, else raise a one-line ``ValueError``."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")
    return name


def resize(images: torch.Tensor, image_size: int) -> torch.Tensor:
    """Bilinear (antialiased when shrinking) resize of ``(N, C, H, W)`` to ``image_size``²."""
    if images.shape[-1] == image_size and images.shape[-2] == image_size:
        return images
    shrink = image_size < images.shape[-1]
    return F.interpolate(images, size=(image_size, image_size), mode="bilinear",
                         align_corners=False, antialias=shrink)


def _fashion(train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    from .idx import fashion_mnist

    images, labels = fashion_mnist("train" if train else "test")
    x = torch.from_numpy(images.copy()).float()[:, None] / 255.0  # (N, 1, 28, 28) in [0, 1]
    return x, torch.from_numpy(labels.astype(np.int64))


def stratified(labels: torch.Tensor, n: int) -> torch.Tensor:
    """Indices of ``n`` items, as equal a share of each class as ``n`` allows (the first
    ones of each class in order; the remainder to the lowest classes), sorted."""
    classes = torch.unique(labels)
    if not (isinstance(n, int) and 1 <= n <= len(labels)):
        raise ValueError(f"subset must be an integer in 1..{len(labels)}, got {n!r}")
    share = [n // len(classes) + (i < n % len(classes)) for i in range(len(classes))]
    picked = [torch.nonzero(labels == c).flatten()[:k] for c, k in zip(classes, share, strict=True)]
    if sum(len(p) for p in picked) != n:
        raise ValueError(f"subset {n} is not possible: a class has fewer than {max(share)} items")
    return torch.cat(picked).sort().values


def to_size(images: torch.Tensor, image_size: int) -> torch.Tensor:
    """``(N, C, H, W)`` in [0, 1] at ``image_size``²: 28 → 32 by padding 2 background
    pixels a side (exact), any other change by :func:`resize`."""
    if images.shape[-1] == 28 and image_size == 32:
        return F.pad(images, (2, 2, 2, 2), value=0.0)
    return resize(images, image_size)


def digits_8x8() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32)[:, None] / 16.0  # (N, 1, 8, 8) in [0, 1]
    return x, torch.tensor(d.target, dtype=torch.long)


def _torchvision(name: str, root: str, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    try:
        import torchvision
    except ImportError:
        raise ValueError(f"dataset {name!r} needs torchvision (pip install torchvision); "
                         "'digits' works without it") from None
    cls = getattr(torchvision.datasets, _TORCHVISION[name])
    try:
        ds = cls(root=root, train=train, download=True)
    except Exception as e:  # network errors come in many types (URLError, OSError, RuntimeError)
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ValueError(f"could not download {name!r} to {root}: {msg}") from None
    data = ds.data if isinstance(ds.data, np.ndarray) else ds.data.numpy()
    x = torch.from_numpy(np.asarray(data)).float() / 255.0
    x = x[:, None] if x.ndim == 3 else x.permute(0, 3, 1, 2)  # (N, C, H, W)
    y = torch.as_tensor(np.asarray(ds.targets), dtype=torch.long)
    return x.contiguous(), y


def load_dataset(name: str = "digits", image_size: int = 32, root: str | None = None,
                 train: bool = True, subset: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``(N, C, image_size, image_size)`` in [-1, 1] (float32) and labels ``(N,)``.

    ``digits`` has no test split: ``train`` is ignored for it. ``root`` is where
    torchvision downloads to (default :func:`default_root`); Fashion-MNIST is found as
    :mod:`gantools.idx` says. ``subset``: keep a class-stratified ``subset`` images.
    """
    check_dataset(name)
    if not (isinstance(image_size, int) and 8 <= image_size <= 256):
        raise ValueError(f"image_size must be an integer in [8, 256], got {image_size!r}")
    if name == "digits":
        x, y = digits_8x8()
    elif name == "fashion-mnist":
        x, y = _fashion(train)
    else:
        x, y = _torchvision(name, root or default_root(), train)
    if subset is not None:
        keep = stratified(y, subset)
        x, y = x[keep], y[keep]
    x = to_size(x, image_size).clamp(0, 1)
    return (x * 2 - 1).contiguous(), y


@dataclass
class ImageSampler:
    """Minibatches of ``batch_size`` indices into ``n`` items, epoch by epoch, each epoch a
    fresh permutation drawn from ``seed`` and the epoch number. The whole state is
    ``(epoch, position)``: :meth:`state_dict` / :meth:`load_state_dict` make a resumed
    run see exactly the batches an uninterrupted one would have.

    With ``rank``/``world_size`` (distributed training) each process takes every
    ``world_size``-th batch of the same sequence, so the processes never share a batch.
    """

    n: int  # dataset size
    batch_size: int  # images per batch (per process)
    seed: int = 0  # the data-order seed
    rank: int = 0  # this process's index under torchrun
    world_size: int = 1  # number of processes
    epoch: int = 0  # current epoch
    position: int = 0  # batches of this epoch already drawn (by all processes)

    def __post_init__(self):
        if self.batch_size * self.world_size > self.n:
            raise ValueError(f"batch_size {self.batch_size} x {self.world_size} process(es) is larger than the "
                             f"dataset ({self.n} images)")
        self._perm = None

    @property
    def batches_per_epoch(self) -> int:
        return self.n // self.batch_size  # drop the last incomplete batch

    def _permutation(self) -> torch.Tensor:
        if self._perm is None or self._perm[0] != self.epoch:
            g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
            self._perm = (self.epoch, torch.randperm(self.n, generator=g))
        return self._perm[1]

    def next(self) -> torch.Tensor:
        """The indices ``(batch_size,)`` of this process's next batch."""
        if self.position + self.world_size > self.batches_per_epoch:  # every process needs a batch
            self.epoch, self.position = self.epoch + 1, 0
        b = self.position + self.rank
        self.position += self.world_size
        return self._permutation()[b * self.batch_size:(b + 1) * self.batch_size]

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "position": self.position, "seed": self.seed}

    def load_state_dict(self, state: dict) -> None:
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
        if int(state["seed"]) != self.seed:
            raise ValueError(f"data-order seed {state['seed']} in the checkpoint differs from {self.seed}")
