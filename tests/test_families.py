"""Chapter 14's library: the ELBO identities on exact toys, the diffusion model's forward
process, exact noise predictor and DDIM sampler against independent computations, the batched
VAE and DDPM, and their bad input."""

import math

import numpy as np
import pytest
import torch
from scipy.integrate import quad

from gantools.distributions import GaussianMixture, grid, ring
from gantools.families import BatchedDDPM, BatchedVAE, DDPMConfig, VAEConfig, ddim_sample, linear_alpha_bar, mixture_eps
from gantools.families.bench import families, parse_family, to_images
from gantools.families.common import Data, mixture_scale, sinusoidal
from gantools.families.diffusion import ddim_times, gaussian_ddim_std
from gantools.families.theory import TanhToy, mixture_elbo


# -- the ELBO --------------------------------------------------------------------------------------
def test_mixture_elbo_gap_is_the_kl_to_the_posterior():
    w, mu, sd = [0.2, 0.5, 0.3], [-2.0, 0.0, 1.5], [0.5, 0.7, 0.4]
    rng = np.random.default_rng(0)
    for x in (-1.0, 0.3, 2.2):
        # log p: the density itself, summed by hand
        log_p = math.log(sum(wi * math.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))
                             for wi, m, s in zip(w, mu, sd, strict=True)))
        for _ in range(5):
            q = rng.dirichlet(np.ones(3))
            r = mixture_elbo(x, q, w, mu, sd)
            assert abs(r["log_p"] - log_p) < 1e-12
            assert r["elbo"] <= r["log_p"] + 1e-12
            assert abs((r["log_p"] - r["elbo"]) - r["kl"]) < 1e-12 and r["kl"] > 0
        best = mixture_elbo(x, mixture_elbo(x, [1 / 3] * 3, w, mu, sd)["posterior"], w, mu, sd)
        assert abs(best["elbo"] - log_p) < 1e-12 and abs(best["kl"]) < 1e-12
    with pytest.raises(ValueError, match="probability vector"):
        mixture_elbo(0.0, [0.5, 0.6, -0.1], w, mu, sd)


def test_tanh_toy_log_p_gap_and_approximation_gap():
    toy = TanhToy(a=2.0, b=3.0, sigma=0.5)
    for x in (0.0, 1.0, 2.5):
        ref = math.log(quad(lambda z, x=x: math.exp(toy.log_joint(x, z)), -10, 10, points=[0.0], limit=200)[0])
        assert abs(toy.log_p(x) - ref) < 1e-9
        for m, s in ((0.0, 1.0), (0.3, 0.2), (-0.5, 0.6)):
            gap = toy.log_p(x) - toy.elbo(x, m, s)
            assert gap > 0 and abs(gap - toy.kl_to_posterior(x, m, s)) < 1e-7
        m, s, elbo = toy.best_gaussian(x)
        assert elbo >= toy.elbo(x, m + 0.05, s) and elbo >= toy.elbo(x, m, s * 1.1)
    # at x = 1 the posterior is skewed: the best Gaussian leaves a gap well above quadrature error
    assert toy.log_p(1.0) - toy.best_gaussian(1.0)[2] > 0.1
    with pytest.raises(ValueError, match="positive"):
        TanhToy(sigma=0.0)


# -- diffusion ---------------------------------------------------------------------------------------
def test_alpha_bar_matches_the_forward_chain():
    ab = linear_alpha_bar(1000)
    assert ab[0] == 1.0 and len(ab) == 1001 and abs(ab[-1] - 4.0358e-5) < 1e-8
    # simulate x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) eps from x_0 = 1: mean sqrt(abar), var 1 - abar
    g = torch.Generator().manual_seed(0)
    x = torch.ones(200_000, dtype=torch.float64)
    betas = np.linspace(1e-4, 0.02, 1000)
    for t in range(300):
        x = math.sqrt(1 - betas[t]) * x + math.sqrt(betas[t]) * torch.randn(x.shape, generator=g, dtype=torch.float64)
    assert abs(float(x.mean()) - math.sqrt(ab[300])) < 0.005
    assert abs(float(x.var()) - (1 - ab[300])) < 0.005


def test_mixture_eps_is_minus_scaled_score_by_autograd():
    mix = grid()
    mu, s = mixture_scale(mix)
    ab = linear_alpha_bar()
    eps = mixture_eps(mix, ab)
    means = torch.tensor((mix.means - mu) / s)
    var0 = (mix.stds[0] / s) ** 2
    x = torch.randn(50, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 1.2
    for t in (1, 40, 300, 1000):
        a = ab[t]
        xr = x.clone().requires_grad_(True)
        v = a * var0 + 1 - a
        logq = torch.logsumexp(-0.5 * ((xr[:, None, :] - math.sqrt(a) * means) ** 2).sum(-1) / v, dim=1).sum()
        (score,) = torch.autograd.grad(logq, xr)
        assert torch.allclose(eps(x, t), -math.sqrt(1 - a) * score, atol=1e-10)


def test_mixture_scale_is_the_data_rms():
    for mix in (ring(), grid()):
        mu, s = mixture_scale(mix)
        x = mix.sample(400_000, np.random.default_rng(0))
        assert np.allclose(mu, 0, atol=0.01) and abs(s - x.std(0).mean()) < 0.01


def test_ddim_of_a_gaussian_matches_its_closed_form():
    ab = linear_alpha_bar()
    mix = GaussianMixture(np.array([0.0]), 0.3)
    eps = mixture_eps(mix, ab, mean=np.zeros(1), scale=1.0)
    xT = torch.randn(2000, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    for nfe in (1, 2, 5, 50, 1000):
        out = ddim_sample(eps, xT, ab, nfe)
        gain = gaussian_ddim_std(0.3, ab, nfe)  # every step is linear: out = gain * x_T exactly
        assert abs(float(out.std() / xT.std()) - gain) < 1e-9 * gain
    # one evaluation returns E[x0 | x_T]: std sqrt(a) s^2 / (a s^2 + 1 - a); many approach the data's
    a = ab[-1]
    closed = math.sqrt(a) * 0.09 / (a * 0.09 + 1 - a)
    assert abs(gaussian_ddim_std(0.3, ab, 1) - closed) < 1e-9 * closed
    assert abs(gaussian_ddim_std(0.3, ab, 1000) - 0.3) < 0.01


def test_exact_denoiser_covers_the_grid_and_one_step_does_not():
    ab = linear_alpha_bar()
    mix = grid()
    mu, s = mixture_scale(mix)
    xT = torch.randn(2500, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    from gantools.ringgrid import score

    r50 = score(ddim_sample(mixture_eps(mix, ab), xT, ab, 50).numpy() * s + mu, mix, 0)
    r2 = score(ddim_sample(mixture_eps(mix, ab), xT, ab, 2).numpy() * s + mu, mix, 0)
    assert r50["modes"] == 25 and r50["hq"] > 0.95
    assert r2["hq"] < 0.1


def test_ddim_times_and_eta():
    assert list(ddim_times(1, 1000)) == [1000] and list(ddim_times(4, 1000)) == [1000, 750, 500, 250]
    assert list(ddim_times(1000, 1000)) == list(range(1000, 0, -1))
    for bad in (0, 1001, 2.5, True, -3):
        with pytest.raises(ValueError, match=r"nfe must be an integer in 1\.\.1000"):
            ddim_times(bad, 1000)
    ab = linear_alpha_bar()
    eps = mixture_eps(GaussianMixture(np.array([0.0]), 0.3), ab, mean=np.zeros(1), scale=1.0)
    g = torch.Generator().manual_seed(3)
    out = ddim_sample(eps, torch.randn(20_000, 1, dtype=torch.float64, generator=g), ab, 1000, eta=1.0, gen=g)
    assert abs(float(out.std()) - 0.3) < 0.01  # DDPM ancestral sampling (eta = 1, all T steps) reaches the data std
    with pytest.raises(ValueError, match="eta"):
        ddim_sample(eps, torch.zeros(2, 1), ab, 2, eta=1.5)


def test_sinusoidal_features():
    f = sinusoidal(torch.tensor([0.0, 0.5]), 8)
    assert f.shape == (2, 8) and torch.allclose(f[0], torch.tensor([0.0] * 4 + [1.0] * 4))


# -- the batched models ------------------------------------------------------------------------------
def test_batched_ddpm_trains_and_samples():
    m = BatchedDDPM(DDPMConfig(hidden=32, layers=2, x_fourier=4), seeds=[0, 1])
    with pytest.raises(ValueError, match="train the model"):
        m.sample(10, nfe=2)
    m.train([ring(), grid()], steps=150)
    loss = m.history["loss"]
    assert loss.shape == (150, 2) and loss[-30:].mean() < loss[:30].mean()
    x = m.sample(100, nfe=5, seed=1)
    assert x.shape == (2, 100, 2) and np.isfinite(x).all()
    assert np.array_equal(x, m.sample(100, nfe=5, seed=1))
    with pytest.raises(ValueError, match="nfe must be an integer in 1..1000"):
        m.sample(10, nfe=1001)


def test_ddpm_ema_and_runs_are_independent_of_the_batch():
    a = BatchedDDPM(DDPMConfig(hidden=16, layers=1, ema=0.9), seeds=[0, 1]).train(ring(), steps=20)
    assert a.sample(5, nfe=3).shape == (2, 5, 2)
    # each run's initial weights depend on its own seed only
    b = BatchedDDPM(DDPMConfig(hidden=16, layers=1), seeds=[1, 0])
    b.train(ring(), steps=1)
    c = BatchedDDPM(DDPMConfig(hidden=16, layers=1), seeds=[0, 7])
    c.train(ring(), steps=1)
    assert b.params[0][0].shape == (2, 34, 16)


def test_batched_vae_trains_both_samplers_and_elbo():
    v = BatchedVAE(VAEConfig(hidden=32), seeds=[0, 1])
    with pytest.raises(ValueError, match="train the model"):
        v.sample(10)
    rng = np.random.default_rng(0)
    two = np.concatenate([rng.normal(-3, 0.1, (500, 2)), rng.normal(3, 0.1, (500, 2))])
    v.train(two, steps=300)
    loss = v.history["loss"]
    assert loss.shape == (300, 2) and np.all(loss[-30:].mean(0) < loss[:30].mean(0) - 2)  # well below a Gaussian fit
    mean, noisy = v.sample(500, seed=2), v.sample(500, seed=2, noise=True)
    assert mean.shape == noisy.shape == (2, 500, 2) and not np.allclose(mean, noisy)
    # the ELBO is a lower bound on the expected log-likelihood, which is at most -H(data)
    g = BatchedVAE(VAEConfig(hidden=32), seeds=[0]).train(grid(), steps=100)
    x = grid().sample(100_000, np.random.default_rng(0))
    assert np.all(g.elbo(n=5000) < grid().log_pdf(x).mean())


def test_data_scaling_roundtrip_and_points():
    pts = np.random.default_rng(0).normal(3.0, 2.0, size=(500, 4)).astype(np.float32)
    d = Data(pts, runs=2)
    z = d.sample(1000, torch.Generator().manual_seed(0))
    assert z.shape == (2, 1000, 4) and abs(float(z.mean())) < 0.1 and abs(float(z.pow(2).mean()) - 1) < 0.1
    back = d.unscale(z)
    assert np.isin(back[0, :5, 0].round(4), pts[:, 0].round(4)).all()
    with pytest.raises(ValueError, match="finite"):
        Data(np.array([[np.nan, 1.0], [0.0, 0.0]]), runs=1)


def test_bad_configs_name_the_value():
    with pytest.raises(ValueError, match="kl_weight must be a finite number >= 0, got -1"):
        VAEConfig(kl_weight=-1.0)
    with pytest.raises(ValueError, match="kl_warmup"):
        VAEConfig(kl_warmup=1.5)
    with pytest.raises(ValueError, match="time_features"):
        DDPMConfig(time_features=7)
    with pytest.raises(ValueError, match="beta_1"):
        DDPMConfig(beta_1=0.5, beta_T=0.1)
    with pytest.raises(ValueError, match="ema"):
        DDPMConfig(ema=1.0)
    with pytest.raises(ValueError, match="unknown family 'gan-nfe3'"):
        parse_family("gan-nfe3")
    with pytest.raises(ValueError, match="nfe must be in 1..1000, got 0"):
        parse_family("diffusion-nfe0")
    assert parse_family("diffusion-nfe50") == ("diffusion", 50) and parse_family("vae-noise") == ("vae", None)
    assert families((1, 10)) == ["vae-mean", "vae-noise", "diffusion-nfe1", "diffusion-nfe10"]


def test_digit_pixels_go_through_the_real_images_transform():
    from gantools.families.bench import digits_pixels
    from gantools.imagedata import load_dataset

    real, _ = load_dataset("digits", 32)
    assert torch.allclose(to_images(digits_pixels()[:20]), real[:20], atol=1e-6)
