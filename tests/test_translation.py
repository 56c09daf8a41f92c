"""Chapter 13's translation machinery: domains with a known truth, the losses, the methods,
the scores (checked on maps whose answer is known: the truth itself, a shuffle of it), the
committed reference, and bad input."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from gantools.translation import METHODS, TranslationConfig, apply_transform, make_domains, train_translation
from gantools.translation.bench import SAVED, load_outputs, load_reference
from gantools.translation.scores import score_outputs, y_classifier
from gantools.translation.trainer import cycle_loss, identity_loss

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "translation.py"


@pytest.fixture(scope="module")
def rot():
    return make_domains("rot90")


def test_domains_are_disjoint_halves_with_known_partners(rot):
    assert rot.x_train.shape == rot.y_train.shape == (650, 1, 16, 16) and rot.x_test.shape == (497, 1, 16, 16)
    assert torch.equal(rot.t_test, torch.rot90(rot.x_test, 1, dims=(2, 3)))
    assert torch.equal(rot.pairs[1], torch.rot90(rot.pairs[0], 1, dims=(2, 3)))
    # Y is made of other digits than X: undo the turn and compare image by image
    back = torch.rot90(rot.y_train, -1, dims=(2, 3)).flatten(1)
    same = (torch.cdist(back, rot.x_train.flatten(1)) < 1e-6).sum()
    assert same <= 5  # the digits contain a few exact duplicates, no more


def test_transforms():
    x = torch.rand(5, 1, 16, 16) * 2 - 1
    r = x
    for _ in range(4):
        r = apply_transform("rot90", r)
    assert torch.equal(r, x)
    d = apply_transform("dilate", x)
    assert torch.all(d >= x)  # a max filter only adds ink
    a = torch.full((1, 1, 6, 6), -1.0)
    a[0, 0, 1:4, 1:4] = 1.0  # a 3x3 blot of ink
    b = a.clone()
    b[0, 0, 2, 2] = -1.0  # the same blot with a hole: every pixel near the hole is still near ink
    assert not torch.equal(a, b) and torch.equal(apply_transform("dilate", a), apply_transform("dilate", b))


@pytest.mark.parametrize("call,match", [
    (lambda: make_domains("flip"), "unknown transform 'flip'; choose one of: rot90, dilate"),
    (lambda: apply_transform("rot90", torch.zeros(3, 16, 16)), "images must be a tensor \\(N, 1, H, H\\), got \\(3, 16, 16\\)"),
    (lambda: TranslationConfig(method="unit"), "unknown method 'unit'; choose one of"),
    (lambda: TranslationConfig(lam_cycle=-1.0), "lam_cycle must be >= 0, got -1.0"),
    (lambda: TranslationConfig(steps=0), "steps must be a positive integer, got 0"),
])
def test_bad_input_names_the_value(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_losses_by_hand():
    x, y = torch.randn(4, 1, 16, 16), torch.randn(4, 1, 16, 16)
    ident = torch.nn.Identity()
    assert cycle_loss(ident, ident, x, y) == 0 and identity_loss(ident, ident, x, y) == 0

    def G(t):
        return 2 * t

    def F_(t):
        return 0.25 * t

    assert torch.isclose(cycle_loss(G, F_, x, y), 0.5 * x.abs().mean() + 0.5 * y.abs().mean())
    assert torch.isclose(identity_loss(G, F_, x, y), y.abs().mean() + 0.75 * x.abs().mean())


@pytest.mark.parametrize("method", METHODS)
def test_every_method_trains_and_is_deterministic(rot, method):
    cfg = TranslationConfig(method=method, steps=3, batch_size=8, width=8)
    a, b = train_translation(cfg, rot), train_translation(cfg, rot)
    out = a.translate(rot.x_test[:5])
    assert out.shape == (5, 1, 16, 16) and torch.equal(out, b.translate(rot.x_test[:5]))
    assert (a.F is not None) == (method in ("gan-only", "cyclegan", "cyclegan-identity"))
    with pytest.raises(ValueError, match="transform 'rot90'.*'dilate'"):
        train_translation(TranslationConfig(method=method, transform="dilate", steps=1), rot)


def test_scores_of_known_maps(rot):
    clf = y_classifier("rot90")
    truth = score_outputs(rot.t_test, rot, clf)
    assert truth["pixel_error"] == 0 and abs(truth["fd"]) < 1e-6 and truth["class_kept"] > 0.97
    perm = torch.randperm(len(rot.t_test), generator=torch.Generator().manual_seed(0))
    shuffled = score_outputs(rot.t_test[perm], rot, clf)  # the same images, the wrong partners
    p = np.bincount(rot.labels.numpy(), minlength=10) / len(rot.labels)
    assert abs(shuffled["fd"]) < 1e-6  # exactly Y's distribution: nothing adversarial can object
    assert abs(shuffled["class_kept"] - np.sum(p**2)) < 0.05
    back = torch.rot90(rot.t_test, -1, dims=(2, 3))
    assert score_outputs(rot.t_test, rot, clf, back)["cycle_error"] == 0
    with pytest.raises(ValueError, match="outputs must have the test set's shape"):
        score_outputs(rot.t_test[:10], rot, clf)


def test_the_committed_translations_can_be_rescored():
    ref = load_reference()
    for transform in ("rot90", "dilate"):
        d = make_domains(transform)
        for method in SAVED:
            f = load_outputs(transform, method)
            assert f["outputs"].shape == f["inputs"].shape == f["targets"].shape == (497, 1, 16, 16)
            assert np.all(np.abs(f["outputs"]) <= 1) and np.array_equal(f["labels"], d.labels.numpy())
            assert np.allclose(f["targets"], d.t_test.numpy(), atol=1e-3)
            run = next(r for r in ref["runs"] if (r["transform"], r["method"], r["seed"]) == (transform, method, 0))
            pixel = np.abs(f["outputs"] - f["targets"]).mean()
            assert abs(pixel - run["pixel_error"]) < 2e-3  # float16 storage


def run(*args, timeout=300):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout)


def test_bench_bad_arguments_are_one_line_and_exit_2(tmp_path):
    afile = tmp_path / "a-file"
    afile.write_text("")
    for args, message in (([], "--out"),
                          (["--out", str(tmp_path), "--transforms", "flip"], "unknown transform 'flip'"),
                          (["--out", str(tmp_path), "--methods", "unit"], "unknown method 'unit'"),
                          (["--out", str(tmp_path), "--quick", "--reference"], "drop --quick"),
                          (["--out", str(afile)], "is not a directory")):
        r = run(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)


def test_bench_tiny_run(tmp_path):
    r = run("--out", str(tmp_path), "--quick", "--transforms", "dilate", "--methods", "identity,pix2pix", "--jobs", "1")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "dilate" / "pix2pix.npz").exists() and "| pix2pix | 2 |" in r.stdout
