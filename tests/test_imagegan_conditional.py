"""The conditional DCGAN in the trainer: labels reach both players, AC-GAN's losses, the
negative control, sampling a class, exact resume, and the CLI's refusals."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gantools.__main__ import main
from gantools.dcgan import DCGANConfig
from gantools.imagedata import load_dataset
from gantools.imagegan import (
    ImageGANTrainer,
    config_for,
    fixed_batch,
    generate,
    get_model,
    load_generator,
    train,
)
from gantools.imagegan.conditional import (
    ACGANDiscriminator,
    ConcatDiscriminator,
    ConditionalGenerator,
    ProjectionDiscriminator,
)


def tiny(conditioning="projection", **kw):
    base = dict(image_size=16, ngf=8, ndf=8, nz=16, batch_size=32, log_every=2, sample_every=4, steps=4)
    return config_for("cdcgan", "digits", conditioning=conditioning, **{**base, **kw})


@pytest.fixture(scope="module")
def digits16():
    return load_dataset("digits", 16)


ARCH = DCGANConfig(image_size=16, nz=8, ngf=8, ndf=8)


def test_networks_see_the_label():
    torch.manual_seed(0)
    x, y0, y1 = torch.randn(6, 1, 16, 16), torch.zeros(6, dtype=torch.long), torch.ones(6, dtype=torch.long)
    g = ConditionalGenerator(ARCH, n_classes=10).eval()
    z = torch.randn(6, 8)
    assert g(z, y0).shape == (6, 1, 16, 16) and not torch.allclose(g(z, y0), g(z, y1))
    for d in (ConcatDiscriminator(ARCH, 10), ProjectionDiscriminator(ARCH, 10)):
        d.eval()
        assert d(x, y0).shape == (6,) and not torch.allclose(d(x, y0), d(x, y1))
    adv, cls = ACGANDiscriminator(ARCH, 10)(x)
    assert adv.shape == (6,) and cls.shape == (6, 10)


def test_projection_is_psi_plus_inner_product():
    d = ProjectionDiscriminator(ARCH, 10).eval()
    x, y = torch.randn(5, 1, 16, 16), torch.tensor([0, 3, 3, 9, 1])
    phi = d.trunk.phi(x).flatten(1)
    by_hand = d.trunk.psi(d.trunk.phi(x)).flatten() + torch.einsum("nf,nf->n", d.v.weight[y], phi)
    assert torch.allclose(d(x, y), by_hand, atol=1e-6)


def test_acgan_objectives_by_hand():
    spec = get_model("cdcgan").for_config(tiny("acgan"))
    torch.manual_seed(1)
    adv_r, adv_f, cls_r, cls_f = torch.randn(8), torch.randn(8), torch.randn(8, 10), torch.randn(8, 10)
    y_r, y_f = torch.randint(10, (8,)), torch.randint(10, (8,))
    d = spec.d_objective((adv_r, cls_r), (adv_f, cls_f), y_r, y_f)
    bce = -(F.logsigmoid(adv_r).mean() + F.logsigmoid(-adv_f).mean())
    # Odena et al.: D classifies the generated images too
    assert abs(float(d) - float(bce + F.cross_entropy(cls_r, y_r) + F.cross_entropy(cls_f, y_f))) < 1e-5
    g = spec.g_objective((adv_f, cls_f), y_f)
    assert abs(float(g) - float(-F.logsigmoid(adv_f).mean() + F.cross_entropy(cls_f, y_f))) < 1e-5
    assert spec.d_takes_label is False
    proj = get_model("cdcgan").for_config(tiny("projection"))
    assert proj.d_takes_label and proj.aux_weight == 0  # plain BCE on D(x, y)


@pytest.mark.parametrize("conditioning", ["concat", "projection", "acgan"])
def test_each_conditioning_trains_and_evaluates(tmp_path, digits16, conditioning):
    t = train(tiny(conditioning), str(tmp_path), data=digits16, progress=False, eval_every=4)
    rows = [json.loads(line) for line in open(tmp_path / "metrics.jsonl")]
    assert [r["step"] for r in rows] == [2, 4] and all(0 < r["d_real"] < 1 for r in rows)
    ev = json.loads(open(tmp_path / "eval.jsonl").readline())
    assert 0 <= ev["accuracy"] <= 1 and ev["fd"] > 0 and ev["fd_raw"] > 0
    g, cfg = load_generator(str(tmp_path))
    assert cfg.conditioning == conditioning and g.n_classes == 10
    x3 = generate(g, 6, seed=1, labels=3)
    assert x3.shape == (6, 1, 16, 16) and not torch.equal(x3, generate(g, 6, seed=1, labels=4))
    assert t.fixed_y.tolist() == list(range(10)) * 10  # grid columns are the classes
    assert torch.equal(t.fixed_z[0], t.fixed_z[9]) and not torch.equal(t.fixed_z[0], t.fixed_z[10])  # rows: one z


def test_fake_labels_follow_the_data_and_the_control_shuffles(tmp_path, digits16):
    images, labels = digits16
    skewed = torch.where(labels < 5, labels, torch.zeros_like(labels))  # half the images class 0
    t = ImageGANTrainer(tiny(), str(tmp_path / "a"), data=(images, skewed), progress=False)
    drawn = torch.cat([t._fake_labels() for _ in range(200)])
    want = torch.bincount(skewed, minlength=10).double() / len(skewed)
    got = torch.bincount(drawn, minlength=10).double() / len(drawn)
    assert float((got - want).abs().max()) < 0.02  # p_g(y) = p_data(y), within 6400-draw noise
    c = ImageGANTrainer(tiny(shuffle_labels=True), str(tmp_path / "b"), data=digits16, progress=False)
    assert torch.equal(torch.bincount(c.labels), torch.bincount(labels))  # same classes ...
    assert float((c.labels == labels).float().mean()) < 0.2  # ... on other images (chance: 0.1)
    again = ImageGANTrainer(tiny(shuffle_labels=True), str(tmp_path / "c"), data=digits16, progress=False)
    assert torch.equal(again.labels, c.labels)  # deterministic: seeded by the config


def test_conditional_resume_is_exact(tmp_path, digits16):
    full = train(tiny("acgan", steps=6), str(tmp_path / "full"), data=digits16, progress=False, ckpt_every=2)
    train(tiny("acgan", steps=2), str(tmp_path / "cut"), data=digits16, progress=False, ckpt_every=2)
    resumed = train(tiny("acgan", steps=6), str(tmp_path / "cut"), data=digits16, progress=False, ckpt_every=2,
                    resume=True)
    for k in ("G", "D", "G_ema"):
        a, b = full.state_dict()[k], resumed.state_dict()[k]
        assert all(torch.equal(a[n], b[n]) for n in a), k


def test_labels_are_checked(tmp_path, digits16):
    images, labels = digits16
    for bad in (None, labels[:10], labels.float(), labels + 10):
        with pytest.raises(ValueError, match="a conditional model needs integer labels"):
            ImageGANTrainer(tiny(), str(tmp_path), data=(images, bad), progress=False)
    with pytest.raises(ValueError, match="needs conditioning one of concat, projection, acgan, got 'film'"):
        tiny("film")
    with pytest.raises(ValueError, match="conditioning applies to conditional models, and 'dcgan' is not one"):
        config_for("dcgan", "digits", conditioning="concat")
    with pytest.raises(ValueError, match="shuffle_labels applies to conditional models"):
        config_for("dcgan", "digits", shuffle_labels=True)


def test_fixed_batch_unconditional_is_unchanged():
    z, y = fixed_batch(config_for("dcgan", "digits"))
    assert y is None and torch.equal(z, torch.randn(64, 100, generator=torch.Generator().manual_seed(7)))


@pytest.fixture(scope="module")
def conditional_run(tmp_path_factory, digits16):
    out = tmp_path_factory.mktemp("cond") / "run"
    train(tiny("projection"), str(out), data=digits16, progress=False)
    return out


def test_cli_sample_a_class(tmp_path, conditional_run):
    assert main(["sample", str(conditional_run), "--label", "7", "--n", "5", "--out", str(tmp_path / "s.npy")]) == 0
    a = np.load(tmp_path / "s.npy")
    assert a.shape == (5, 1, 16, 16) and a.dtype == np.float32 and -1 <= a.min() and a.max() <= 1
    g, _ = load_generator(str(conditional_run))
    assert np.array_equal(a, generate(g, 5, seed=0, labels=7).numpy())  # the CLI draws what the library draws
    assert main(["sample", str(conditional_run), "--n", "12", "--out", str(tmp_path / "g.png")]) == 0


@pytest.mark.parametrize("argv,msg", [
    (["sample", "{run}", "--label", "10", "--out", "{tmp}/x.png"], "labels must be classes 0..9 (one per image), got 10"),
    (["sample", "{run}", "--out", "{tmp}/x.jpg"], "--out must end in .png (a grid) or .npy"),
    (["train", "--model", "dcgan", "--conditioning", "concat", "--dataset", "digits", "--steps", "2", "--out",
      "{tmp}/r"], "conditioning applies to conditional models"),
    (["train", "--model", "cdcgan", "--conditioning", "film", "--dataset", "digits", "--steps", "2", "--out",
      "{tmp}/r"], "invalid choice: 'film'"),
])
def test_cli_refusals_are_one_line(tmp_path, conditional_run, argv, msg):
    argv = [a.format(run=conditional_run, tmp=tmp_path) for a in argv]
    r = subprocess.run([sys.executable, "-m", "gantools", *argv], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and msg in r.stderr, r.stderr


def test_label_on_an_unconditional_run_is_refused(tmp_path, digits16):
    run = tmp_path / "uncond"
    train(config_for("dcgan", "digits", image_size=16, ngf=8, ndf=8, nz=16, batch_size=16, steps=2), str(run),
          data=digits16, progress=False)
    r = subprocess.run([sys.executable, "-m", "gantools", "sample", str(run), "--label", "1", "--out",
                        str(tmp_path / "x.png")], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "this one is unconditional" in r.stderr
