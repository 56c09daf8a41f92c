"""The real-image path end to end on Fashion-MNIST's files: the committed classifier, the
yardsticks of ``evaluate``, and a short training run through the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import scipy.ndimage
import torch

from gantools.classifier import accuracy, load_classifier
from gantools.conditional.scores import heldout_class_accuracy
from gantools.evaluation import ImageScorer, evaluate_images, gaussian_blur
from gantools.imagedata import load_dataset
from gantools.metrics import class_coverage


@pytest.fixture(scope="module")
def scorer():
    return ImageScorer("fashion-mnist", 32)


def test_gaussian_blur_matches_scipy():
    x = torch.rand(3, 2, 17, 13) * 2 - 1
    for sigma in (1.0, 0.6, 2.3):
        ours = gaussian_blur(x, sigma).numpy()
        ref = scipy.ndimage.gaussian_filter(x.numpy(), sigma=(0, 0, sigma, sigma), mode="nearest", truncate=3.0)
        assert np.abs(ours - ref).max() < 1e-5, sigma
    assert torch.allclose(gaussian_blur(torch.full((1, 1, 9, 9), 0.3)), torch.full((1, 1, 9, 9), 0.3))
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="sigma must be a positive number"):
            gaussian_blur(x, bad)


def test_the_committed_classifier_scores_what_its_file_says():
    clf = load_classifier("fashion-mnist")
    x, y = load_dataset("fashion-mnist", 32, train=False)
    acc, per_class = heldout_class_accuracy(clf)
    assert abs(acc - clf.info["held_out_accuracy"]) < 1e-9 and acc == accuracy(clf, x, y)
    assert np.allclose(per_class, clf.info["class_accuracy"]) and acc > 0.88
    assert per_class.argmin() == 6  # "shirt", the class a small CNN confuses with T-shirt, pullover and coat


def test_real_images_sit_on_the_floor_and_blur_is_measurably_worse(scorer):
    x_test, _ = load_dataset("fashion-mnist", 32, train=False)
    fake = x_test[5000:5500]  # real test images standing in for a perfect generator
    ev = evaluate_images(fake, "fashion-mnist", 32, seed=0, scorer=scorer)
    assert ev["n"] == 500 and ev["fd_real"] < ev["fd_blur"] / 3 and ev["fd"] < ev["fd_blur"] / 3
    assert abs(ev["kid"]) < 3 * ev["kid_se"] and ev["kid_blur"] > 3 * ev["kid_blur_se"]
    assert ev["class_tv"] < 0.1 and ev["classes_captured"] == 10
    blurred = evaluate_images(gaussian_blur(fake), "fashion-mnist", 32, seed=0, scorer=scorer)
    assert blurred["fd"] > 3 * ev["fd"]  # the blurred yardstick is a bar a generator has to clear


def test_class_tv_is_half_the_l1_distance_to_uniform():
    cov = class_coverage(np.array([0, 0, 0, 1]), 4)  # q = (3/4, 1/4, 0, 0)
    assert abs(cov.tv_to_uniform - 0.5 * (0.5 + 0 + 0.25 + 0.25)) < 1e-12
    assert class_coverage(np.arange(10), 10).tv_to_uniform == 0


def test_train_sample_and_evaluate_on_fashion_mnist(tmp_path):
    def gantools(*args):
        return subprocess.run([sys.executable, "-m", "gantools", *args], capture_output=True, text=True,
                              cwd=tmp_path, timeout=300)

    r = gantools("train", "--model", "cdcgan", "--dataset", "fashion-mnist", "--steps", "3", "--ngf", "8",
                 "--ndf", "8", "--out", "run", "--no-progress")
    assert r.returncode == 0, r.stderr
    cfg = json.loads((tmp_path / "run" / "config.json").read_text())
    assert cfg["dataset"] == "fashion-mnist" and cfg["ngf"] == 8 and cfg["ndf"] == 8
    r = gantools("sample", "run", "--n", "6", "--label", "9", "--out", "boots.npy")
    assert r.returncode == 0, r.stderr
    assert np.load(tmp_path / "boots.npy").shape == (6, 1, 32, 32)
    r = gantools("evaluate", "run", "--n", "200")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "cdcgan on fashion-mnist, 3 steps" in lines[0] and "200 real training images" in lines[0]
    assert lines[3].startswith("real, held out (floor)") and lines[4].startswith("real, blurred sigma=1")
    assert lines[5].startswith("judged classes:")
    r = gantools("train", "--model", "dcgan", "--dataset", "fashion-mnist", "--steps", "1", "--ngf", "0",
                 "--out", "bad")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
