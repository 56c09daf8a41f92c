"""Image datasets: digits offline, torchvision datasets through a stand-in torchvision
(tests never download), and the resumable sampler."""

import sys
import types
import urllib.error

import numpy as np
import pytest
import torch

from gantools.imagedata import ImageSampler, load_dataset, resize


def test_digits_offline_scaled_and_resized():
    x, y = load_dataset("digits", 32)
    assert x.shape == (1797, 1, 32, 32) and x.dtype == torch.float32 and y.shape == (1797,)
    assert float(x.min()) == -1.0 and float(x.max()) == 1.0
    assert sorted(set(y.tolist())) == list(range(10))
    # the resize keeps the picture: downsampling back to 8×8 recovers the original pixels
    from sklearn.datasets import load_digits

    orig = torch.tensor(load_digits().images[:5], dtype=torch.float32)[:, None] / 8 - 1
    back = resize(load_dataset("digits", 8)[0][:5], 8)
    assert torch.allclose(back, orig, atol=1e-6)
    small = torch.nn.functional.avg_pool2d(x[:5], 4)
    assert float((small - orig).abs().mean()) < 0.15


@pytest.mark.parametrize("bad,match", [(dict(name="svhn"), "unknown dataset 'svhn'"),
                                       (dict(image_size=4), "image_size"), (dict(image_size=32.0), "image_size")])
def test_bad_arguments(bad, match):
    with pytest.raises(ValueError, match=match):
        load_dataset(**{"name": "digits", **bad})


def fake_torchvision(monkeypatch, cls_name, data, targets, fail=None):
    calls = []

    class DS:
        def __init__(self, root, train, download):
            calls.append((root, train, download))
            if fail:
                raise fail
            self.data, self.targets = data, targets

    tv = types.ModuleType("torchvision")
    tv.datasets = types.SimpleNamespace(**{cls_name: DS})
    monkeypatch.setitem(sys.modules, "torchvision", tv)
    return calls


def test_mnist_through_torchvision(monkeypatch, tmp_path):
    data = torch.randint(0, 256, (7, 28, 28), dtype=torch.uint8)  # MNIST: (N, 28, 28) uint8 tensor
    calls = fake_torchvision(monkeypatch, "MNIST", data, torch.arange(7))
    x, y = load_dataset("mnist", 28, root=str(tmp_path))
    assert calls == [(str(tmp_path), True, True)]  # the real download path
    assert x.shape == (7, 1, 28, 28) and torch.allclose(x, data[:, None].float() / 255 * 2 - 1)
    assert y.tolist() == list(range(7))


def test_cifar_is_channels_first(monkeypatch, tmp_path):
    data = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)  # CIFAR: (N, H, W, C) numpy
    fake_torchvision(monkeypatch, "CIFAR10", data, [1, 2, 3])
    x, y = load_dataset("cifar10", 32, root=str(tmp_path), train=False)
    assert x.shape == (3, 3, 32, 32)
    assert abs(float(x[1, 2, 5, 7]) - (data[1, 5, 7, 2] / 255 * 2 - 1)) < 1e-6


def test_failed_download_is_one_clear_line(monkeypatch, tmp_path):
    fake_torchvision(monkeypatch, "MNIST", None, None,
                     fail=urllib.error.URLError("[Errno -3] Temporary failure in name resolution"))
    with pytest.raises(ValueError, match=r"could not download 'mnist' to .*name resolution") as info:
        load_dataset("mnist", root=str(tmp_path))
    assert "\n" not in str(info.value)


def test_missing_torchvision(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)  # makes `import torchvision` fail
    with pytest.raises(ValueError, match="needs torchvision"):
        load_dataset("mnist")


def test_sampler_epochs_cover_everything_and_resume_exactly():
    s = ImageSampler(n=100, batch_size=30, seed=3)
    epoch0 = torch.cat([s.next() for _ in range(3)])
    assert len(set(epoch0.tolist())) == 90  # 3 full batches, no repeats; the last 10 are dropped
    first = s.next()
    assert s.epoch == 1 and not torch.equal(first, epoch0[:30])  # a fresh permutation
    state = s.state_dict()
    ahead = [s.next() for _ in range(5)]
    t = ImageSampler(n=100, batch_size=30, seed=3)
    t.load_state_dict(state)
    assert all(torch.equal(a, b) for a, b in zip(ahead, [t.next() for _ in range(5)], strict=True))
    with pytest.raises(ValueError, match="seed"):
        ImageSampler(n=100, batch_size=30, seed=4).load_state_dict(state)


def test_sampler_ranks_split_the_same_sequence():
    single = ImageSampler(n=64, batch_size=8, seed=1)
    seq = [single.next() for _ in range(8)]
    r0, r1 = (ImageSampler(n=64, batch_size=8, seed=1, rank=r, world_size=2) for r in (0, 1))
    assert all(torch.equal(r0.next(), seq[2 * i]) and torch.equal(r1.next(), seq[2 * i + 1]) for i in range(4))
    with pytest.raises(ValueError, match="larger than the dataset"):
        ImageSampler(n=10, batch_size=8, world_size=2)
