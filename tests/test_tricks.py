"""Chapter 12's tricks: label smoothing, instance noise, feature matching and minibatch
discrimination in the batched trainer; SNGAN and one-sided smoothing in the image trainer;
the exact theory (checked against independent routes: a numerical minimiser, autograd,
simulation, a numerical convolution); the bootstrap (against SciPy's); and bad input."""

import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import stats

from gantools import games
from gantools.batched import BatchedGAN, BatchedGANConfig, minibatch_features
from gantools.distributions import GaussianMixture, ring
from gantools.imagegan import config_for
from gantools.losses import bce_loss_dis, smoothed_bce_loss_dis
from gantools.ringgrid import BASE
from gantools.tricks import bench as ablation
from gantools.tricks import theory as tt
from gantools.tricks.bench import TRICKS, fmt_effect, trick_config

SMALL = BatchedGANConfig(g_hidden=16, d_hidden=16, g_layers=2, d_layers=2, batch_size=32)


# -- losses and configs ----------------------------------------------------------------------------
def test_smoothed_bce_is_bce_without_smoothing_and_its_minimiser_is_the_formula():
    g = torch.Generator().manual_seed(0)
    r, f = torch.randn(50, generator=g), torch.randn(50, generator=g)
    assert torch.allclose(smoothed_bce_loss_dis(r, f), bce_loss_dis(r, f), atol=0, rtol=0)
    # one logit a for every sample: the loss is smallest where sigmoid(a) = (alpha + beta) / 2
    for alpha, beta in ((0.9, 0.0), (0.9, 0.1), (0.7, 0.2)):
        a = torch.zeros(1, requires_grad=True)
        opt = torch.optim.LBFGS([a], lr=1, max_iter=100, tolerance_grad=1e-12, tolerance_change=1e-14)

        def closure(a=a, alpha=alpha, beta=beta, opt=opt):
            opt.zero_grad()
            loss = smoothed_bce_loss_dis(a.expand(4), a.expand(4), alpha, beta)
            loss.backward()
            return loss

        opt.step(closure)
        assert abs(torch.sigmoid(a).item() - (alpha + beta) / 2) < 1e-5


@pytest.mark.parametrize("bad,match", [
    (dict(real_label=0.0), "real_label .* must be in \\(0, 1\\], got 0.0"),
    (dict(real_label=1.5), "got 1.5"),
    (dict(fake_label=-0.1), "fake_label .* got -0.1"),
    (dict(real_label=0.8, fake_label=0.8), "got 0.8 with real_label 0.8"),
    (dict(real_label=0.9, d_loss="hinge", g_loss="hinge"), "label smoothing changes the BCE targets; d_loss is 'hinge'"),
    (dict(instance_noise=-0.1), "instance_noise must be a finite std >= 0, got -0.1"),
    (dict(instance_noise=float("nan")), "got nan"),
    (dict(minibatch_disc=-1), "minibatch_disc must be a non-negative integer, got -1"),
    (dict(minibatch_disc=2, minibatch_disc_dim=0), "minibatch_disc_dim must be a positive integer, got 0"),
    (dict(feature_matching=True, unroll_steps=2), "feature_matching"),
])
def test_bad_trick_settings_name_the_value(bad, match):
    with pytest.raises(ValueError, match=match):
        BatchedGANConfig(**bad)


def test_every_trick_is_a_valid_config_and_unknown_names_fail():
    for name in TRICKS:
        cfg = trick_config(name)
        assert cfg != BASE and all(getattr(cfg, k) == v for k, v in TRICKS[name].changes.items())
    assert trick_config("none") is BASE
    with pytest.raises(ValueError, match="unknown trick 'label smoothing'; choose one of: one-sided"):
        trick_config("label smoothing")


def test_image_config_real_label():
    assert config_for("dcgan", "digits", real_label=0.9).real_label == 0.9
    with pytest.raises(ValueError, match="must be in \\(0, 1\\], got 0"):
        config_for("dcgan", "digits", real_label=0)
    with pytest.raises(ValueError, match="model 'sngan' has the hinge loss"):
        config_for("sngan", "digits", real_label=0.9)


# -- the batched trainer ---------------------------------------------------------------------------
def test_minibatch_features_match_a_loop():
    g = torch.Generator().manual_seed(3)
    h, T, b = torch.randn(2, 5, 4, generator=g), torch.randn(2, 4, 3 * 2, generator=g), torch.randn(2, 1, 3, generator=g)
    out = minibatch_features(h, T, b)
    expected = torch.zeros(2, 5, 3)
    for s in range(2):
        m = (h[s] @ T[s]).view(5, 3, 2)
        for i in range(5):
            for k in range(3):
                expected[s, i, k] = b[s, 0, k] + sum(torch.exp(-(m[i, k] - m[j, k]).abs().sum())
                                                     for j in range(5) if j != i)
    assert torch.allclose(out, expected, atol=1e-5)


def test_critic_features_are_the_last_hidden_layer():
    gan = BatchedGAN(SMALL.replace(feature_matching=True), seeds=[0, 1])
    x = torch.randn(2, 7, 2)
    (W0, b0), (W1, b1), _ = gan.D
    h = F.relu(torch.relu(x @ W0 + b0) @ W1 + b1)
    assert torch.allclose(gan.critic(x, features=True), h, atol=1e-6)


def test_instance_noise_is_annealed_linearly_to_zero():
    gan = BatchedGAN(SMALL.replace(instance_noise=0.2), seeds=[0])
    gan._total = 100
    x = torch.zeros(1, 200_000, 2)
    for step, sigma in ((0, 0.2), (50, 0.1), (100, 0.0)):
        gan.step = step
        assert abs(gan._jitter(x).std().item() - sigma) < 2e-3
    assert BatchedGAN(SMALL, seeds=[0])._jitter(x) is x  # off: the same tensor, no random numbers drawn


@pytest.mark.parametrize("name", list(TRICKS))
def test_every_trick_trains_and_samples(name):
    gan = BatchedGAN(trick_config(name, SMALL), seeds=[0, 1]).train(ring(), 5)
    x = gan.sample(64)
    assert x.shape == (2, 64, 2) and np.all(np.isfinite(x))


def test_batch_dependent_discriminators_refuse_pointwise_logits():
    gan = BatchedGAN(SMALL.replace(minibatch_disc=3), seeds=[0])
    with pytest.raises(ValueError, match="minibatch_disc"):
        gan.d_logit(np.zeros((3, 2)))
    ratio = gan.train(ring(), 2).density_ratio(steps=2)  # the ratio D drops the trick
    assert ratio.cfg.minibatch_disc == 0 and ratio.d_logit(np.zeros((3, 2))).shape == (1, 3)


def test_the_smoothed_discriminator_learns_its_targets():
    """A discriminator trained with targets (0.9, 0.1) on far-apart data and fakes ends near
    D = 0.9 on the data and 0.1 on the fakes: Proposition 1 where the supports are disjoint."""
    cfg = SMALL.replace(real_label=0.9, fake_label=0.1, lr_d=3e-3)
    gan = BatchedGAN(cfg, seeds=[0])
    gan._mixtures = None
    gan.train(GaussianMixture(np.array([[5.0, 5.0]]), 0.1), 0)  # sets the data
    for _ in range(400):
        gan.update_D(gan._real(cfg.batch_size))  # G is not trained: its samples stay near 0
    real = torch.sigmoid(gan.critic(gan._real(500))).mean().item()
    fake = torch.sigmoid(gan.critic(gan.generate(gan.noise(500)))).mean().item()
    assert abs(real - 0.9) < 0.02 and abs(fake - 0.1) < 0.02


# -- the theory ------------------------------------------------------------------------------------
P_DATA = GaussianMixture([0.0], [1.0])
P_GEN = GaussianMixture([0.5, 5.0], [1.2, 0.5], [0.8, 0.2])


@pytest.mark.parametrize("alpha,beta", [(1.0, 0.0), (0.9, 0.0), (0.9, 0.1), (0.6, 0.3)])
def test_smoothed_d_star_is_the_numerical_minimiser(alpha, beta):
    xs = np.linspace(-4, 7, 23)
    d = tt.smoothed_optimal_discriminator(P_DATA, P_GEN, alpha, beta)(xs)
    num = [tt.pointwise_minimiser(a, b, alpha, beta) for a, b in zip(P_DATA.pdf(xs), P_GEN.pdf(xs), strict=True)]
    assert np.abs(d - num).max() < 1e-7


def test_ns_gradient_matches_autograd():
    def torch_pdf(x, means, stds, weights):
        comps = [w * torch.exp(torch.distributions.Normal(torch.tensor(m, dtype=torch.float64),
                                                         torch.tensor(s, dtype=torch.float64)).log_prob(x))
                 for m, s, w in zip(means, stds, weights, strict=True)]
        return sum(comps)

    for alpha, beta in ((1.0, 0.0), (0.9, 0.0), (0.9, 0.1)):
        x = torch.tensor([-1.0, 0.3, 2.0, 5.0], dtype=torch.float64, requires_grad=True)
        pd = torch_pdf(x, [0.0], [1.0], [1.0])
        pg = torch_pdf(x, [0.5, 5.0], [1.2, 0.5], [0.8, 0.2])
        torch.log((alpha * pd + beta * pg) / (pd + pg)).sum().backward()
        ours = tt.ns_gradient(x.detach().numpy(), P_DATA, P_GEN, alpha, beta)
        assert np.allclose(ours, x.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_convolve_matches_a_numerical_convolution_and_sampling():
    p = GaussianMixture([-1.0, 2.0], [0.3, 0.5], [0.3, 0.7])
    q = tt.convolve(p, 0.4)
    u = np.linspace(-5, 5, 40001)
    for x in (-1.0, 0.5, 2.0):
        direct = np.sum(p.pdf(x - u) * stats.norm(0, 0.4).pdf(u)) * (u[1] - u[0])
        assert abs(direct - q.pdf(np.array([x]))[0]) < 1e-8
    assert tt.convolve(p, 0.0).pdf(np.array([0.3]))[0] == p.pdf(np.array([0.3]))[0]


def test_ema_and_uniform_average_on_the_cycling_game():
    eta, gamma, T = 0.3, 0.99, 3000
    U, V = games.simulate(np.array([[1.0]]), eta, "alternating", T, [0.4], [-0.7])
    Z = np.column_stack([U[:, 0], V[:, 0]])
    ema = np.empty_like(Z)
    ema[0] = Z[0]
    for t in range(1, T + 1):
        ema[t] = gamma * ema[t - 1] + (1 - gamma) * Z[t]
    assert np.abs(tt.ema_iterates(eta, gamma, T, z0=Z[0]) - ema).max() < 1e-10
    r = tt.eigen_radius(eta, ema[-100:]) / tt.eigen_radius(eta, Z[0])
    theta = math.acos(1 - eta**2 / 2)  # the ratio from the rotation angle, written out
    assert np.abs(r - (1 - gamma) / abs(complex(math.cos(theta) - gamma, math.sin(theta)))).max() < 1e-9
    mean = np.cumsum(Z, axis=0) / np.arange(1, T + 2)[:, None]
    assert np.all(tt.eigen_radius(eta, mean) / tt.eigen_radius(eta, Z[0]) <= tt.cesaro_bound(eta, np.arange(T + 1)))


@pytest.mark.parametrize("call,match", [
    (lambda: tt.smoothed_optimal_discriminator(P_DATA, P_GEN, 1.2, 0.0), "alpha must be in \\(0, 1\\], got 1.2"),
    (lambda: tt.smoothed_optimal_discriminator(P_DATA, P_GEN, 0.9, 0.9), "beta must be in \\[0, alpha\\)"),
    (lambda: tt.convolve(P_DATA, -0.5), "sigma must be a finite number >= 0, got -0.5"),
    (lambda: tt.ema_radius_ratio(2.5, 0.9), "eta must be in \\(0, 2\\).*got 2.5"),
    (lambda: tt.ema_radius_ratio(0.1, 1.0), "gamma must be in \\[0, 1\\), got 1.0"),
])
def test_theory_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -- the effect rows ---------------------------------------------------------------------------------
def test_fmt_effect_says_no_effect_detected_when_the_interval_contains_zero():
    row = {"metric": "hq", "effect": 0.01, "ci_low": -0.02, "ci_high": 0.04, "n_seeds": 10}
    assert fmt_effect(row).startswith("no effect detected: +1.0 (−2.0 to +4.0)")
    assert fmt_effect({**row, "ci_low": 0.005}) == "+1.0 (+0.5 to +4.0)"
    assert fmt_effect({**row, "n_seeds": 3}).startswith("illustration, 3 seeds: no effect detected")


def test_every_row_is_a_t_interval_with_its_p_value_and_the_ema_rows_are_paired():
    rows, runs = ablation.load_reference()
    assert all(np.isfinite(r["p"]) for r in rows)  # so the table can be adjusted (Holm, BH)
    methods = {(r["trick"], r["data"]): r["method"] for r in rows}
    assert {m for (t, d), m in methods.items() if t != "EMA of G"} == {"welch"}
    assert {m for (t, d), m in methods.items() if t == "EMA of G"} == {"paired t"}
    digits = {r["trick"]: r for r in rows if r["data"] == "digits"}
    fd = {name: [r["fd"] for r in sorted(runs["digits"], key=lambda r: r["seed"]) if r["setting"] == name]
          for name in ("none", "SN + hinge")}
    ref = stats.ttest_ind(fd["SN + hinge"], fd["none"], equal_var=False).confidence_interval(0.95)
    assert abs(digits["SN + hinge"]["ci_low"] - ref.low) < 1e-9 and abs(digits["SN + hinge"]["ci_high"] - ref.high) < 1e-9
    # the 2D EMA row pairs each EMA run with the vanilla run of its seed (they train identically)
    ema = next(r for r in rows if (r["trick"], r["data"], r["metric"]) == ("EMA of G", "ring", "hq"))
    hq = {k: [s["hq"] for s in runs["2d"][k]["ring"]] for k in ("EMA of G", "none")}
    ref = stats.ttest_rel(hq["EMA of G"], hq["none"]).confidence_interval(0.95)
    assert abs(ema["ci_low"] - ref.low) < 1e-9 and abs(ema["ci_high"] - ref.high) < 1e-9


def test_the_committed_rows_are_what_the_committed_runs_give():
    """tricks.json is rows_from_runs(tricks_runs.json, chapter 6's benchmark): nothing hand-edited."""
    from gantools.ringgrid import load_reference as load_chapter6

    rows, runs = ablation.load_reference()
    again = ablation.rows_from_runs(runs, load_chapter6()[0])
    assert len(again) == len(rows)
    for a, b in zip(again, rows, strict=True):
        assert {k: a[k] for k in ("trick", "data", "metric", "method")} == {k: b[k] for k in ("trick", "data", "metric", "method")}
        assert np.allclose([a[k] for k in ("effect", "ci_low", "ci_high", "p")], [b[k] for k in ("effect", "ci_low", "ci_high", "p")])


def test_adjusted_counts_the_intervals_and_the_survivors():
    rows = [{"effect": e, "ci_low": lo, "ci_high": hi, "n_seeds": 10, "method": "welch", "p": p}
            for e, lo, hi, p in ((1, 0.5, 1.5, 0.001), (1, 0.1, 1.9, 0.04), (0, -1, 1, 0.9))]
    assert ablation.adjusted(rows) == {"intervals": 3, "exclude 0": 2, "holm": 1, "bh": 1}


def test_runs_and_checkpoints_written_before_real_label_existed_still_load(tmp_path):
    """A run's config.json from before ``real_label`` was added reads as real_label 1.0 (how it
    trained); the committed reference runs are such runs."""
    from gantools.imagegan.config import complete_config
    from gantools.runs import reference_run

    old = complete_config({"model": "dcgan"})
    assert old["model"] == "dcgan" and old["real_label"] == 1.0
    # and the fields added with chapter 15's options read as the runs trained: all images, no augmentation
    assert old["subset"] is None and old["augment"] == "none"
    assert set(old) == {"model", "real_label", "subset", "augment", "augment_policy", "ada_target", "ada_kimg"}
    assert complete_config({"real_label": 0.9})["real_label"] == 0.9
    assert reference_run("dcgan-digits").config["real_label"] == 1.0


def test_a_checkpoint_without_real_label_resumes(tmp_path):
    from gantools.checkpoint import atomic_save, safe_load
    from gantools.imagedata import load_dataset
    from gantools.imagegan import ImageGANTrainer

    data = load_dataset("digits", 16)
    cfg = config_for("dcgan", "digits", image_size=16, ngf=8, ndf=8, nz=16, batch_size=16, steps=2, log_every=1,
                     sample_every=2)
    ImageGANTrainer(cfg, str(tmp_path), data=data, progress=False).train()
    ck = safe_load(str(tmp_path / "checkpoint.pt"))
    del ck["config"]["real_label"]  # as written before the field existed
    atomic_save(ck, str(tmp_path / "checkpoint.pt"))
    t = ImageGANTrainer(dataclasses.replace(cfg, steps=3), str(tmp_path), data=data, progress=False,
                        resume=True).train()
    assert t.step == 3
