"""Chapter 13 on Fashion-MNIST at 32x32: the domains keep every 28x28 pixel (padded, not
resized), X and Y are 20,000 images each of the training split and the 2,000 test images come
from the test split (checked by the images themselves, against the raw IDX files); the
digits' split is unchanged (650 + 650 + 497 at 16x16); the networks and the Y classifier's
cache at 32x32 (without training the classifier: that takes about 50 s)."""

import numpy as np
import pytest
import torch

from gantools.classifier import SmallCNN
from gantools.idx import fashion_mnist
from gantools.imagedata import load_dataset
from gantools.translation import TranslationConfig, apply_transform, make_domains, scores, train_translation
from gantools.translation import domains as domains_module
from gantools.translation.domains import image_size
from gantools.translation.models import PatchDiscriminator, Translator

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py


@pytest.fixture(scope="module")
def fashion():
    return make_domains("rot90", "fashion-mnist")


@pytest.fixture(scope="module")
def raw():
    """The IDX files as they are: uint8 (N, 28, 28) images and labels of both splits."""
    (xa, ya), (xb, yb) = fashion_mnist("train"), fashion_mnist("test")
    return {"train": (xa, ya), "test": (xb, yb)}


def _to_uint8(x: torch.Tensor) -> np.ndarray:
    """(N, 1, 32, 32) in [-1, 1] -> the 28x28 centre as uint8, asserting it is exactly 8-bit."""
    v = ((x[:, 0, 2:30, 2:30] + 1) * 127.5).numpy()
    q = np.rint(v)
    assert np.abs(v - q).max() < 1e-3  # pixels on the 1/255 grid: nothing was resampled
    return q.astype(np.uint8)


@pytest.fixture(scope="module")
def centres(fashion):
    """The 28x28 centres of X, of Y turned back, and of the test images, as uint8."""
    return {"x": _to_uint8(fashion.x_train), "y": _to_uint8(torch.rot90(fashion.y_train, -1, dims=(2, 3))),
            "test": _to_uint8(fashion.x_test)}


def _keys(images: np.ndarray) -> list[bytes]:
    return [im.tobytes() for im in images]


def test_fashion_domains_have_the_documented_sizes(fashion):
    d = fashion
    assert image_size("fashion-mnist") == 32 and image_size("mnist") == 32 and image_size("digits") == 16
    assert d.dataset == "fashion-mnist" and d.transform == "rot90"
    assert d.x_train.shape == d.y_train.shape == d.pairs[0].shape == d.pairs[1].shape == (20_000, 1, 32, 32)
    assert d.x_test.shape == d.t_test.shape == (2_000, 1, 32, 32)
    assert d.x_labels.shape == d.y_train_labels.shape == (20_000,) and d.labels.shape == (2_000,)
    assert d.x_train.dtype == torch.float32 and d.x_train.min() >= -1 and d.x_train.max() <= 1
    # the true partners
    assert torch.equal(d.t_test, torch.rot90(d.x_test, 1, dims=(2, 3)))
    assert torch.equal(d.pairs[0], d.x_train) and torch.equal(d.pairs[1], torch.rot90(d.x_train, 1, dims=(2, 3)))
    # every class is present in every part (a seeded shuffle of a balanced set)
    for labels in (d.x_labels, d.y_train_labels, d.labels):
        assert torch.bincount(labels, minlength=10).min() > 0.05 * len(labels)


def test_fashion_domains_keep_every_pixel_padded_to_32(fashion, raw, centres):
    d = fashion
    border = torch.ones(32, 32, dtype=torch.bool)
    border[2:30, 2:30] = False
    for images in (d.x_train, d.y_train, d.x_test):
        # a 2-pixel background border (-1) around the 28x28 image (exactly 8-bit pixels: centres)
        assert (images[:, 0][:, border] == -1).all()
    # the same as load_dataset at 32x32 (training split), image for image, in the seeded order
    full, labels = load_dataset("fashion-mnist", 32)
    perm = torch.randperm(60_000, generator=torch.Generator().manual_seed(0))
    a, b = perm[:20_000], perm[20_000:40_000]
    assert torch.equal(d.x_train, full[a]) and torch.equal(d.x_labels, labels[a])
    assert torch.equal(d.y_train, torch.rot90(full[b], 1, dims=(2, 3))) and torch.equal(d.y_train_labels, labels[b])
    # and against the raw IDX bytes: the centre of each image is the 28x28 original
    xa, ya = raw["train"]
    assert np.array_equal(centres["x"], xa[a.numpy()]) and np.array_equal(centres["y"], xa[b.numpy()])
    assert np.array_equal(d.x_labels.numpy(), ya[a.numpy()].astype(np.int64))


def test_fashion_test_set_comes_from_the_test_split(fashion, raw, centres):
    d = fashion
    (xa, _), (xb, yb) = raw["train"], raw["test"]
    train_keys, test_keys = set(_keys(xa)), {k: i for i, k in enumerate(_keys(xb))}
    assert len(train_keys) == 60_000 and len(test_keys) == 10_000 and not train_keys & set(test_keys)
    tested = _keys(centres["test"])
    # every test image is a test-split image (2,000 different ones, with its own label) ...
    idx = np.array([test_keys.get(k, -1) for k in tested])
    assert (idx >= 0).all() and len(set(idx.tolist())) == 2_000
    assert np.array_equal(d.labels.numpy(), yb[idx].astype(np.int64))
    # ... none is a training-split image, and none is in X or (un-rotated) Y
    assert not any(k in train_keys for k in tested)
    seen = set(_keys(centres["x"])) | set(_keys(centres["y"]))
    assert len(seen) == 40_000 and not seen & set(tested)
    # the split is the documented one: the test split permuted by the same generator
    gen = torch.Generator().manual_seed(0)
    torch.randperm(60_000, generator=gen)
    assert np.array_equal(idx, torch.randperm(10_000, generator=gen)[:2_000].numpy())


def test_digits_domains_are_unchanged():
    x, y = load_dataset("digits", 16)
    for transform, seed in (("rot90", 0), ("dilate", 3)):
        d = make_domains(transform, "digits", seed=seed)
        # the previous split: one seeded permutation of the 1,797 digits, 650 + 650 + 497
        perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
        a, b, test = perm[:650], perm[650:1300], perm[1300:1797]
        t = lambda im, name=transform: apply_transform(name, im)  # noqa: E731
        assert d.x_train.shape == (650, 1, 16, 16) and d.x_test.shape == (497, 1, 16, 16)
        assert torch.equal(d.x_train, x[a]) and torch.equal(d.x_labels, y[a])
        assert torch.equal(d.y_train, t(x[b])) and torch.equal(d.y_train_labels, y[b])
        assert torch.equal(d.pairs[0], x[a]) and torch.equal(d.pairs[1], t(x[a]))
        assert torch.equal(d.x_test, x[test]) and torch.equal(d.t_test, t(x[test])) and torch.equal(d.labels, y[test])
    assert (domains_module.N_HALF, domains_module.N_TEST, domains_module.IMAGE_SIZE) == (650, 497, 16)


def test_bad_datasets_are_refused():
    with pytest.raises(ValueError, match="one-channel dataset .*got 'cifar10'"):
        make_domains("rot90", "cifar10")
    with pytest.raises(ValueError, match="got 'svhn'"):
        image_size("svhn")


def test_networks_and_a_short_run_at_32x32(fashion):
    x = fashion.x_test[:8]
    assert Translator()(x).shape == (8, 1, 32, 32)
    assert PatchDiscriminator()(x).shape == (8, 1, 8, 8)  # one score per 18x18 patch, 8x8 of them
    assert PatchDiscriminator(in_channels=2)(torch.cat([x, x], 1)).shape == (8, 1, 8, 8)
    trained = train_translation(TranslationConfig("cyclegan", "rot90", steps=2, batch_size=8, width=8), fashion)
    out = trained.translate(x)
    assert out.shape == (8, 1, 32, 32) and torch.isfinite(out).all() and out.abs().max() <= 1
    assert trained.back(out).shape == (8, 1, 32, 32)


def test_y_classifier_for_fashion_is_cached_at_32_without_training_it_here(fashion, tmp_path, monkeypatch):
    # the training itself (~50 s) is replaced by an untrained SmallCNN; what is checked is which
    # data and how many steps it would get, and where and with what metadata it is cached
    import gantools.imagedata

    monkeypatch.setattr(gantools.imagedata, "default_root", lambda: str(tmp_path))
    asked = []

    def fake_domains(transform, dataset="digits", seed=0):
        asked.append((transform, dataset))
        return fashion

    def fake_train(domains, steps=scores.CLASSIFIER_STEPS, seed=0):
        asked.append(("train", domains.dataset, tuple(domains.pairs[1].shape), steps))
        torch.manual_seed(0)
        return SmallCNN(1, 10)

    monkeypatch.setattr(scores, "make_domains", fake_domains)
    monkeypatch.setattr(scores, "train_y_classifier", fake_train)
    clf = scores.y_classifier("rot90", dataset="fashion-mnist")
    assert asked == [("rot90", "fashion-mnist"), ("train", "fashion-mnist", (20_000, 1, 32, 32), 3000)]
    assert scores.LARGE_CLASSIFIER_STEPS == 3000
    path = tmp_path / "translation-fashion-mnist-32" / "classifier_rot90.pt"
    assert scores.classifier_path("rot90", str(tmp_path / "translation-fashion-mnist-32")) == str(path)
    assert path.exists()
    info = clf.info
    assert (info["dataset"], info["image_size"], info["steps"], info["transform"]) == ("fashion-mnist", 32, 3000, "rot90")
    assert 0 <= info["held_out_accuracy"] <= 1
    # a second call reads the cache: no new domains, no training
    asked.clear()
    again = scores.y_classifier("rot90", dataset="fashion-mnist")
    assert asked == [] and again.info == info
    # it scores 32x32 images: features of the true partners
    out = scores.score_outputs(fashion.t_test[:50].clone(), _first(fashion, 50), again)
    assert out["pixel_error"] == 0 and np.isfinite(out["fd"])


def _first(d, n):
    """The domains with only the first n test images."""
    import dataclasses

    return dataclasses.replace(d, x_test=d.x_test[:n], t_test=d.t_test[:n], labels=d.labels[:n])
