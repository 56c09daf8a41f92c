"""gantools.conditional (chapter 11): theory (the 1D theory), toy (toy cGANs in three modes),
scores (judging a conditional image generator) and bench."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate
from scipy.special import softmax

from gantools.conditional import theory as cond
from gantools.conditional.scores import (
    confusion_matrix,
    evaluate_conditional,
    heldout_class_accuracy,
    interpolate_classes,
    style_statistics,
    z_share,
)
from gantools.conditional.toy import (
    ToyConditionalConfig,
    ToyConditionalGAN,
    generator_entropy,
    measure,
    w1_to_gaussian,
)
from gantools.distributions import GaussianMixture


def other_generator(prior=None):
    return cond.ClassConditional([GaussianMixture([0.5], [1.2]), GaussianMixture([2.0], [1.5]),
                                  GaussianMixture([7.0], [2.5])], prior)


# -- theory ------------------------------------------------------------------------------------
def test_value_at_d_star_is_twice_the_expected_jsd_minus_log4():
    pd, pg = cond.tac_mixture(), other_generator()
    d = cond.optimal_discriminator(pd, pg)
    v = cond.value(d.logit, pd, pg)
    assert abs(v - (2 * cond.expected_jsd(pd, pg) - math.log(4))) < 1e-8
    assert abs(cond.joint_jsd(pd, pg) - cond.expected_jsd(pd, pg)) < 1e-9


def test_value_cross_checked_with_scipy_quad():
    """An independent quadrature (scipy's QUADPACK) of the same integral."""
    pd, pg = cond.tac_mixture(), other_generator()
    d = cond.optimal_discriminator(pd, pg)
    total = 0.0
    for k in range(3):
        def f(x, k=k):
            a = d.logit(np.array([x]), k)[0]
            return (pd.prior[k] * pd.classes[k].pdf(np.array([x]))[0] * -np.logaddexp(0, -a)
                    + pg.prior[k] * pg.classes[k].pdf(np.array([x]))[0] * -np.logaddexp(0, a))
        total += integrate.quad(f, -40, 50, points=[0, 3, 6, 7], limit=400)[0]
    assert abs(total - cond.value(d.logit, pd, pg)) < 1e-7


def test_d_star_beats_perturbed_and_label_blind_discriminators():
    pd, pg = cond.tac_mixture(), other_generator()
    d = cond.optimal_discriminator(pd, pg)
    best = cond.value(d.logit, pd, pg)
    for eps in (0.3, -0.3, 0.05):
        worse = cond.value(lambda x, y, e=eps: d.logit(x, y) + e * np.sin(x), pd, pg)
        assert best - worse > 1e-5
    # a discriminator that ignores y: chapter 2's D* of the marginals, worse than D*(x, y)
    from gantools import theory

    blind = theory.optimal_discriminator(pd.marginal, pg.marginal)
    v_blind = cond.value(lambda x, y: blind.logit(x), pd, pg)
    assert abs(v_blind - (2 * theory.js_divergence(pd.marginal, pg.marginal) - math.log(4))) < 1e-8
    assert best - v_blind > 0.01


def test_d_star_is_the_class_conditional_ratio_when_label_distributions_match():
    pd, pg = cond.tac_mixture(), other_generator()
    d = cond.optimal_discriminator(pd, pg)
    x = np.linspace(-5, 12, 41)
    for k in range(3):
        a, b = pd.classes[k].pdf(x), pg.classes[k].pdf(x)
        assert np.max(np.abs(d(x, k) - a / (a + b))) < 1e-12


def test_label_mismatch_alone_is_the_jsd_of_the_label_distributions():
    pd = cond.tac_mixture()
    q = pd.with_prior([0.5, 0.3, 0.2])
    p, r = pd.prior, q.prior
    m = (p + r) / 2
    expected = 0.5 * np.sum(p * np.log(p / m)) + 0.5 * np.sum(r * np.log(r / m))
    assert abs(cond.joint_jsd(pd, q) - expected) < 1e-10
    assert cond.expected_jsd(pd, q) < 1e-12  # class by class nothing differs
    d = cond.optimal_discriminator(pd, q)
    assert abs(cond.value(d.logit, pd, q) - (2 * expected - math.log(4))) < 1e-9


def test_entropy_and_bayes_accuracy_closed_forms():
    # two far-apart classes: H(y|x) ~ 0 and accuracy ~ 1; identical classes: H = H(y), accuracy = max prior
    far = cond.ClassConditional([GaussianMixture([-50.0], [1.0]), GaussianMixture([50.0], [1.0])], [0.3, 0.7])
    same = cond.ClassConditional([GaussianMixture([0.0], [1.0]), GaussianMixture([0.0], [1.0])], [0.3, 0.7])
    assert cond.conditional_entropy(far) < 1e-10 and abs(cond.bayes_accuracy(far) - 1) < 1e-10
    h = -(0.3 * math.log(0.3) + 0.7 * math.log(0.7))
    assert abs(cond.conditional_entropy(same) - h) < 1e-9 and abs(cond.bayes_accuracy(same) - 0.7) < 1e-9
    # the TAC toy, against a Monte Carlo estimate of E[-log p(y|x)]
    pd = cond.tac_mixture()
    x, y = pd.sample(200_000, seed=0)
    mc = np.mean(-np.log(cond.posterior(pd, x)[np.arange(len(x)), y]))
    assert abs(mc - cond.conditional_entropy(pd)) < 0.01


def test_projection_form_is_exact_for_gaussian_classes():
    """logit D*(x, y) = v_y . phi(x) + psi(x), with v = w_data - w_g and psi the same for every class."""
    pd, pg = cond.tac_mixture(), other_generator([0.2, 0.5, 0.3])
    d = cond.optimal_discriminator(pd, pg)
    x = np.linspace(-6, 14, 201)
    phi = cond.features(x)
    w_d, w_g = cond.softmax_weights(pd), cond.softmax_weights(pg)
    assert np.max(np.abs(softmax(phi @ w_d.T, axis=1) - cond.posterior(pd, x))) < 1e-12
    psi = np.stack([d.logit(x, k) - phi @ (w_d[k] - w_g[k]) for k in range(3)])
    assert np.max(np.abs(psi - psi[0])) < 1e-9
    # and the decomposition logit = log posterior ratio + log marginal ratio
    post = np.log(cond.posterior(pd, x)) - np.log(cond.posterior(pg, x))
    marg = pd.marginal.log_pdf(x) - pg.marginal.log_pdf(x)
    for k in range(3):
        assert np.max(np.abs(d.logit(x, k) - (post[:, k] + marg))) < 1e-9


@pytest.mark.parametrize("bad,match", [
    (lambda: cond.ClassConditional([GaussianMixture([0.0], [1.0])]), "at least 2 classes"),
    (lambda: cond.ClassConditional([GaussianMixture([0.0], [1.0])] * 2, [0.5, 0.6]), "summing to 1"),
    (lambda: cond.ClassConditional([GaussianMixture([0.0], [1.0]), "x"]), "class 1 must be"),
    (lambda: cond.optimal_discriminator(cond.tac_mixture(), cond.ClassConditional(
        [GaussianMixture([0.0], [1.0])] * 2)), "3 classes"),
])
def test_bad_input_is_a_value_error(bad, match):
    with pytest.raises(ValueError, match=match):
        bad()


# -- toy cGANs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["concat", "projection", "acgan", "shuffled"])
def test_toy_shapes_and_one_step(mode):
    gan = ToyConditionalGAN(ToyConditionalConfig(mode=mode, hidden=8, batch_size=16, steps=2), cond.tac_mixture(),
                            seeds=[0, 1, 2])
    before = [p.detach().clone() for p in gan.opt_g.params]
    gan.train()
    assert gan.step == 2
    assert all(not torch.equal(a, b) for a, b in zip(before, gan.opt_g.params, strict=True))
    x = gan.sample_class(1, 5)
    assert x.shape == (3, 5)
    logit, classes = gan.discriminate(torch.zeros(3, 4, 1), torch.zeros(3, 4, dtype=torch.long))
    assert logit.shape == (3, 4) and ((classes is None) != (mode == "acgan"))


def test_toy_initial_weights_depend_only_on_the_run_seed():
    a = ToyConditionalGAN(ToyConditionalConfig(hidden=8), cond.tac_mixture(), seeds=[4, 7])
    b = ToyConditionalGAN(ToyConditionalConfig(hidden=8), cond.tac_mixture(), seeds=[7])
    assert torch.equal(a.G[0][0][1], b.G[0][0][0]) and torch.equal(a.phi[0][0][1], b.phi[0][0][0])


def test_toy_rejects_bad_config():
    for kwargs, match in (({"mode": "film"}, "mode must be one of"), ({"steps": 0}, "steps"),
                          ({"lr_final": 0}, "lr_final"), ({"lr": -1.0}, "lr must be")):
        with pytest.raises(ValueError, match=match):
            ToyConditionalConfig(**kwargs)
    gan = ToyConditionalGAN(ToyConditionalConfig(hidden=4), cond.tac_mixture())
    with pytest.raises(ValueError, match="label must be a class 0..2"):
        gan.sample_class(3, 5)


def test_measure_on_true_samples_matches_the_quadrature():
    pd = cond.tac_mixture()
    rng = np.random.default_rng(1)
    xs = [c.sample(20_000, seed=rng) for c in pd.classes]
    m = measure(xs, pd)
    assert abs(m["cross_entropy"] - cond.conditional_entropy(pd)) < 0.015
    assert abs(m["bayes_agreement"] - cond.bayes_accuracy(pd)) < 0.01
    assert max(m["w1"]) < 0.06 and all(abs(s - t) < 0.05 * t for s, t in zip(m["std"], (1, 2, 3), strict=True))
    assert abs(generator_entropy([x[:1000] for x in xs], pd.prior) - cond.conditional_entropy(pd)) < 0.02
    # a label-ignoring generator: every class draws from the marginal; H(y|x) = H(y) = log 3
    xm = [pd.marginal.sample(1000, seed=rng) for _ in range(3)]
    assert abs(generator_entropy(xm, pd.prior) - math.log(3)) < 0.01
    assert abs(measure(xm, pd)["bayes_agreement"] - 1 / 3) < 0.02


def test_w1_to_gaussian_closed_form():
    # a shifted quantile sample: W1 is the shift exactly
    from scipy.special import ndtri

    q = 2 + 3 * ndtri((np.arange(1000) + 0.5) / 1000)
    assert abs(w1_to_gaussian(q + 0.25, 2, 3) - 0.25) < 1e-12
    assert w1_to_gaussian(q, 2, 3) < 1e-12


# -- conditional images ------------------------------------------------------------------------
def test_confusion_matrix_counts_and_rejects_bad_labels():
    c = confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), 3)
    assert c.tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    with pytest.raises(ValueError, match="0..2"):
        confusion_matrix(np.array([3]), np.array([0]), 3)


def test_z_share():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(200, 1)), rng.normal(size=(1, 10))
    assert abs(z_share(a + b) - 1) < 1e-12  # z alone sets it, the same in every class
    noise = rng.normal(size=(2000, 10))
    assert abs(z_share(noise) - 0.1) < 0.01  # no shared effect: 1/K
    assert 0.4 < z_share(a + b + rng.normal(size=(200, 10))) < 0.6  # half and half
    with pytest.raises(ValueError, match="shape"):
        z_share(np.zeros(5))


def test_style_statistics():
    img = -torch.ones(2, 1, 9, 9)
    img[0, 0, :, 4] = 1  # an upright bar
    idx = torch.arange(9)
    img[1, 0, idx, 8 - idx] = 1  # a bar leaning right: the top row is on the right
    s = style_statistics(img)
    assert abs(s["ink"][0] - 1 / 9) < 1e-12 and abs(s["slant"][0]) < 1e-12
    assert abs(s["slant"][1] - 1) < 1e-12


def test_evaluate_conditional_on_a_lookup_generator():
    """A 'generator' that returns real digits of the asked class scores the classifier's
    accuracy on them, and real-like intra-class recall."""
    from gantools.classifier import load_classifier
    from gantools.imagedata import load_dataset

    x, y = load_dataset("digits", 32)
    clf = load_classifier("digits")

    class Lookup(torch.nn.Module):
        n_classes = 10

        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))
            self.cfg = type("Cfg", (), {"nz": 4})

        def forward(self, z, labels):
            idx = (z[:, 0].abs() * 1e6).long()
            out = torch.stack([x[y == c][i % int((y == c).sum())] for c, i in zip(labels.tolist(), idx, strict=True)])
            return out

    r = evaluate_conditional(Lookup(), clf, x, y, n_per_class=50, seed=0)
    assert r["accuracy"] > 0.98 and np.array(r["confusion"]).sum() == 500
    assert r["recall"] > 0.6 and abs(r["recall_floor"] - 0.916) < 0.01
    with pytest.raises(ValueError, match="conditional generator"):
        evaluate_conditional(torch.nn.Linear(1, 1), clf, x, y)


def test_heldout_class_accuracy_matches_the_stored_number():
    from gantools.classifier import load_classifier

    clf = load_classifier("digits")
    acc, per_class = heldout_class_accuracy(clf)
    assert abs(acc - clf.info["held_out_accuracy"]) < 1e-12 and per_class.shape == (10,) and per_class.min() > 0.9


def test_interpolate_classes_ends_at_the_two_classes():
    from gantools.imagegan import config_for
    from gantools.imagegan.conditional import ConditionalGenerator

    torch.manual_seed(0)
    g = ConditionalGenerator(config_for("cdcgan", "digits", ngf=8, nz=8).arch(), 10).eval()
    z = torch.randn(8)
    imgs = interpolate_classes(g, z, 2, 7, steps=5)
    with torch.no_grad():
        ends = g(z.repeat(2, 1), torch.tensor([2, 7]))
    assert imgs.shape == (5, 1, 32, 32) and torch.allclose(imgs[[0, -1]], ends, atol=1e-6)
    with pytest.raises(ValueError, match="b must be a class 0..9"):
        interpolate_classes(g, z, 2, 10)


def test_projection_fit_is_exact_iff_the_centred_logits_are_in_the_span():
    pd = cond.tac_mixture()
    x = np.linspace(-6, 14, 301)
    gauss = other_generator()
    d = cond.optimal_discriminator(pd, gauss)
    logits = np.stack([d.logit(x, k) for k in range(3)], axis=1)
    v, psi, rms = cond.projection_fit(logits, cond.features(x))
    assert rms < 1e-9 and abs(v.sum(0)).max() < 1e-9
    assert np.max(np.abs(v[:, None, :] @ cond.features(x).T - (logits - psi[:, None]).T[:, None, :])) < 1e-8
    # a generator whose class 1 is a mixture of two Gaussians: not log-linear in (1, x, x^2)
    mixed = cond.ClassConditional([GaussianMixture([0.5], [1.2]), GaussianMixture([0.0, 5.0], [1.0, 1.0]),
                                   GaussianMixture([7.0], [2.5])])
    d2 = cond.optimal_discriminator(pd, mixed)
    logits2 = np.stack([d2.logit(x, k) for k in range(3)], axis=1)
    assert cond.projection_fit(logits2, cond.features(x))[2] > 0.1
    with pytest.raises(ValueError, match="same n"):
        cond.projection_fit(logits2, cond.features(x[:-1]))


# -- the command line's bad input (issue 13): one line on stderr, exit status 2 ------------------
def _cli(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "gantools", *args], capture_output=True, text=True, timeout=300)


def test_cli_bad_labels_and_conditioning_are_one_line_and_exit_2(tmp_path):
    from gantools.imagegan import config_for, train

    tiny = dict(image_size=16, nz=8, ngf=8, ndf=8, batch_size=16, steps=2, log_every=1, sample_every=2)
    train(config_for("cdcgan", "digits", conditioning="concat", **tiny), str(tmp_path / "cond"), progress=False)
    train(config_for("dcgan", "digits", **tiny), str(tmp_path / "plain"), progress=False)
    cases = [(("sample", str(tmp_path / "cond"), "--label", "10", "--out", str(tmp_path / "a.png")),
              "labels must be classes 0..9"),
             (("sample", str(tmp_path / "plain"), "--label", "3", "--out", str(tmp_path / "b.png")),
              "apply to conditional generators"),
             (("train", "--model", "dcgan", "--conditioning", "acgan", "--dataset", "digits", "--steps", "2",
               "--out", str(tmp_path / "c")), "conditioning applies to conditional models"),
             (("train", "--model", "cdcgan", "--conditioning", "film", "--dataset", "digits", "--steps", "2",
               "--out", str(tmp_path / "d")), "invalid choice: 'film'")]
    for args, message in cases:
        r = _cli(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
    assert not (tmp_path / "c").exists() and not (tmp_path / "a.png").exists()
    # and the good cases: a class, and uniform classes into an (N, C, H, W) array in [-1, 1]
    r = _cli("sample", str(tmp_path / "cond"), "--label", "9", "--n", "5", "--out", str(tmp_path / "nine.npy"))
    assert r.returncode == 0, r.stderr
    arr = np.load(tmp_path / "nine.npy")
    assert arr.shape == (5, 1, 16, 16) and arr.dtype == np.float32 and np.abs(arr).max() <= 1
