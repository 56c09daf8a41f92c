"""gantools.classifier: the committed digits weights, features, the Fréchet classifier
distance, and the offline failure of inception_fid (no network anywhere)."""

import importlib.resources
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from gantools import classifier
from gantools.classifier import (
    FEATURE_DIM,
    SmallCNN,
    accuracy,
    features,
    frechet_classifier_distance,
    inception_fid,
    load_classifier,
    predict_proba,
    split_indices,
    train_classifier,
)
from gantools.imagedata import load_dataset

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", image_size=32)


@pytest.fixture(scope="module")
def model():
    return load_classifier("digits")


def test_committed_weights_load_with_weights_only_and_describe_themselves():
    path = importlib.resources.files("gantools") / "data" / "classifier_digits.pt"
    with path.open("rb") as f:
        ckpt = torch.load(f, weights_only=True)
    assert ckpt["dataset"] == "digits" and ckpt["in_channels"] == 1 and ckpt["n_classes"] == 10
    assert set(ckpt["model"]) == set(SmallCNN().state_dict())
    assert len(path.read_bytes()) < 300 * 1024


def test_held_out_accuracy_of_the_committed_classifier(digits, model):
    x, y = digits
    _, test = split_indices(len(x), model.info["test_fraction"], model.info["split_seed"])
    assert len(test) == 359
    acc = accuracy(model, x[test], y[test])
    assert acc >= 0.95
    # the number the bench printed (one image may flip on another CPU's kernels)
    assert abs(acc - model.info["held_out_accuracy"]) < 1.5 / len(test)


def test_split_is_seeded_and_disjoint():
    tr, te = split_indices(100, 0.2, seed=3)
    tr2, te2 = split_indices(100, 0.2, seed=3)
    assert torch.equal(te, te2) and len(te) == 20 and len(tr) == 80
    assert sorted(torch.cat([tr, te]).tolist()) == list(range(100))
    assert not torch.equal(te, split_indices(100, 0.2, seed=4)[1])


def test_feature_and_probability_shapes(digits, model):
    x, _ = digits
    f = features(model, x[:37], batch_size=16)
    assert f.shape == (37, FEATURE_DIM) and f.dtype == np.float32
    p = predict_proba(model, x[:37])
    assert p.shape == (37, 10)
    assert np.max(np.abs(p.sum(1) - 1)) < 1e-9
    assert not model.training


def test_frechet_classifier_distance_separates_digits_from_noise(digits, model):
    x, _ = digits
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    half1, half2 = x[perm[:800]], x[perm[800:1600]]
    noise = torch.rand(800, 1, 32, 32, generator=torch.Generator().manual_seed(1)) * 2 - 1
    real_real = frechet_classifier_distance(half1, half2, model)
    real_noise = frechet_classifier_distance(half1, noise, model)
    assert real_real >= 0
    assert real_noise > 20 * real_real


def test_wrong_channel_count_is_a_clear_error(model):
    with pytest.raises(ValueError, match=r"have 3 channel\(s\) but the classifier expects 1"):
        features(model, torch.zeros(2, 3, 32, 32))
    with pytest.raises(ValueError, match=r"must have shape \(N, C, H, W\)"):
        features(model, torch.zeros(32, 32))


def test_training_is_deterministic_for_a_seed(digits):
    x, y = digits
    a = train_classifier(x[:128], y[:128], steps=3, batch_size=32, seed=5, n_classes=10)
    b = train_classifier(x[:128], y[:128], steps=3, batch_size=32, seed=5, n_classes=10)
    c = train_classifier(x[:128], y[:128], steps=3, batch_size=32, seed=6, n_classes=10)
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    assert not all(torch.equal(pa, pc) for pa, pc in zip(a.state_dict().values(), c.state_dict().values(),
                                                         strict=True))


def test_other_datasets_train_once_then_load_from_the_cache(digits, tmp_path, monkeypatch):
    x, y = digits
    calls = []

    def fake_load_dataset(name, image_size=32, root=None, train=True):  # no download: digits stand in
        calls.append(train)
        return x[:64], y[:64]

    monkeypatch.setenv("GANTOOLS_DATA", str(tmp_path))
    monkeypatch.setattr(classifier, "load_dataset", fake_load_dataset)
    m1 = load_classifier("mnist", steps=2)
    assert (tmp_path / "classifier_mnist.pt").exists() and calls == [True, False]
    m2 = load_classifier("mnist", steps=2)
    assert calls == [True, False]  # loaded from the cache, not retrained
    assert m2.info["dataset"] == "mnist" and 0 <= m2.info["held_out_accuracy"] <= 1
    for pa, pb in zip(m1.state_dict().values(), m2.state_dict().values(), strict=True):
        assert torch.equal(pa, pb)


def test_importing_the_module_does_not_import_torchmetrics():
    code = "import sys, gantools.classifier; print('torchmetrics' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "False"


MESSAGE = r"FID with Inception needs torch-fidelity .* frechet_classifier_distance works offline"


def test_inception_fid_without_torchmetrics_is_a_clear_runtime_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchmetrics.image.fid", None)  # the import fails
    x = torch.zeros(4, 1, 32, 32)
    with pytest.raises(RuntimeError, match=MESSAGE):
        inception_fid(x, x)


def test_inception_fid_without_network_is_a_clear_runtime_error(monkeypatch):
    fid_mod = pytest.importorskip("torchmetrics.image.fid")
    from urllib.error import URLError

    def no_download(*args, **kwargs):
        raise URLError("no network")  # what the weight download raises offline

    monkeypatch.setattr(fid_mod, "FrechetInceptionDistance", no_download)
    x = torch.zeros(4, 1, 32, 32)
    with pytest.raises(RuntimeError, match=MESSAGE):
        inception_fid(x, x)
