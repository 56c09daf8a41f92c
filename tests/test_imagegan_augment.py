"""The trainer with little data: ``subset`` (class-stratified), ``augment`` (DiffAugment, ADA) and
exact resume of ADA's probability; ``sample --truncation`` from the command line."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from gantools.__main__ import main
from gantools.imagegan import ImageGANTrainer, config_for

TINY = dict(steps=6, batch_size=16, log_every=3, sample_every=6, ngf=8, ndf=8)


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    yield


def test_subset_trains_on_a_stratified_share_of_every_class(tmp_path):
    t = ImageGANTrainer(config_for("dcgan", "digits", subset=100, **TINY), str(tmp_path), progress=False)
    assert t.images.shape[0] == 100
    from gantools.imagedata import load_dataset

    _, y = load_dataset("digits", 32, subset=100)
    assert np.bincount(np.asarray(y), minlength=10).tolist() == [10] * 10


@pytest.mark.parametrize("augment", ["diffaug", "ada"])
def test_augmented_training_resumes_exactly(tmp_path, augment):
    cfg = config_for("dcgan", "digits", subset=200, augment=augment, ada_kimg=0.05, **TINY)
    whole = ImageGANTrainer(cfg, str(tmp_path / "a"), progress=False).train()
    ImageGANTrainer(cfg.replace(steps=3), str(tmp_path / "b"), progress=False).train()
    resumed = ImageGANTrainer(cfg, str(tmp_path / "b"), progress=False, resume=True).train()
    for a, b in zip(whole.G.state_dict().values(), resumed.G.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    if augment == "ada":
        assert whole.ada.state_dict() == resumed.ada.state_dict() and whole.ada.p > 0
        rows = [json.loads(line) for line in open(tmp_path / "a" / "metrics.jsonl")]
        assert {"ada_p", "ada_r_t"} <= set(rows[-1])


def test_augmentation_changes_training_and_none_does_not(tmp_path):
    plain = ImageGANTrainer(config_for("dcgan", "digits", subset=200, **TINY), str(tmp_path / "p"), progress=False).train()
    none = ImageGANTrainer(config_for("dcgan", "digits", subset=200, augment="none", **TINY), str(tmp_path / "n"),
                           progress=False).train()
    aug = ImageGANTrainer(config_for("dcgan", "digits", subset=200, augment="diffaug", **TINY), str(tmp_path / "d"),
                          progress=False).train()
    w = [next(iter(t.G.state_dict().values())) for t in (plain, none, aug)]
    assert torch.equal(w[0], w[1]) and not torch.equal(w[0], w[2])


def test_sample_with_truncation_from_the_command_line(tmp_path):
    run = tmp_path / "run"
    assert main(["train", "--model", "dcgan", "--dataset", "digits", "--steps", "2", "--out", str(run),
                 "--ngf", "8", "--ndf", "8", "--batch-size", "8", "--no-progress", "--subset", "50"]) == 0
    full, same, tight = (tmp_path / f"{k}.npy" for k in ("full", "same", "tight"))
    assert main(["sample", str(run), "--n", "16", "--out", str(full)]) == 0
    assert main(["sample", str(run), "--n", "16", "--out", str(same), "--truncation", "1"]) == 0
    assert main(["sample", str(run), "--n", "16", "--out", str(tight), "--truncation", "0"]) == 0
    a, b, c = (np.load(p) for p in (full, same, tight))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.abs(c - c[0]).max() < 1e-5  # psi = 0: every latent is the mean, one image
    assert os.path.exists(run / "checkpoint.pt")
