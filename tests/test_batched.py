import numpy as np
import pytest
import torch
from torch import nn

from gantools.batched import Adam, BatchedGAN, BatchedGANConfig, Every, Snapshots
from gantools.distributions import GaussianMixture, grid, ring
from gantools.losses import bce_loss_dis, gradient_penalty

SMALL = BatchedGANConfig(g_hidden=16, d_hidden=16, g_layers=2, d_layers=2, batch_size=32)


def as_module(params, k, act=nn.ReLU):
    """Run k of stacked MLP parameters as an ordinary nn.Sequential (an independent model)."""
    mods = []
    for i, (W, b) in enumerate(params):
        lin = nn.Linear(W.shape[1], W.shape[2])
        with torch.no_grad():
            lin.weight.copy_(W[k].T)
            lin.bias.copy_(b[k, 0])
        mods += [lin] + ([act()] if i < len(params) - 1 else [])
    return nn.Sequential(*mods)


def test_initial_weights_depend_only_on_the_runs_own_seed():
    a, b = BatchedGAN(SMALL, seeds=[3, 7]), BatchedGAN(SMALL, seeds=[7])
    for la, lb in zip(a.G + a.D, b.G + b.D, strict=True):
        for pa, pb in zip(la, lb, strict=True):
            assert torch.equal(pa[1], pb[0])
    assert not torch.equal(a.G[0][0][0], a.G[0][0][1])


def test_one_discriminator_step_matches_torch_adam_on_each_run():
    gan = BatchedGAN(SMALL, seeds=[0, 1, 2])
    real = torch.randn(3, 32, 2)
    fake = torch.randn(3, 32, 2) + 1
    modules = [as_module(gan.D, k) for k in range(3)]
    loss, _ = gan._d_objective(gan.D, real, fake, update_sn=False)
    gan.opt_D.step(torch.autograd.grad(loss, gan.opt_D.params))
    for k, D in enumerate(modules):
        opt = torch.optim.Adam(D.parameters(), lr=SMALL.lr_d, betas=SMALL.betas)
        bce_loss_dis(D(real[k]), D(fake[k])).backward()
        opt.step()
        ref = as_module(gan.D, k)
        for p, q in zip(D.parameters(), ref.parameters(), strict=True):
            assert torch.allclose(p, q, atol=1e-6), (p - q).abs().max()


def test_lookahead_from_the_optimiser_state_equals_a_real_step():
    p = [torch.randn(2, 3, 4, requires_grad=True)]
    opt = Adam([p], lr=0.1, betas=(0.5, 0.9))
    opt.step([torch.randn(2, 3, 4)])  # give it some state
    g = [torch.randn(2, 3, 4)]
    ahead, (m, v, t) = opt.lookahead(p, g)
    opt.step(g)
    assert t == opt.t == 2
    assert torch.allclose(ahead[0], p[0], atol=1e-6)
    assert torch.allclose(m[0], opt.m[0]) and torch.allclose(v[0], opt.v[0])


def test_gradient_penalty_and_r1_of_a_linear_critic_have_closed_forms():
    # f(x) = w.x + b has grad w everywhere: GP = lam (|w| - 1)^2 and R1 = gamma/2 |w|^2
    cfg = SMALL.replace(d_layers=0, d_loss="wasserstein", g_loss="wasserstein")
    real, fake = torch.randn(2, 32, 2), torch.randn(2, 32, 2)
    gan = BatchedGAN(cfg, seeds=[0, 1])
    w = gan.D[0][0][:, :, 0]  # (S, 2)
    base, _ = BatchedGAN(cfg, seeds=[0, 1])._d_objective(gan.D, real, fake, False)
    for field, value, expected in [("gp_weight", 10.0, 10 * (w.norm(dim=1) - 1) ** 2),
                                   ("r1_weight", 4.0, 2.0 * w.pow(2).sum(1))]:
        g2 = BatchedGAN(cfg.replace(**{field: value}), seeds=[0, 1])
        loss, _ = g2._d_objective(gan.D, real, fake, False)
        assert abs((loss - base).item() - expected.sum().item()) < 1e-4


def test_gradient_penalty_agrees_with_gantools_losses_for_a_deep_critic():
    cfg = SMALL.replace(d_loss="wasserstein", g_loss="wasserstein", gp_weight=10.0)
    gan = BatchedGAN(cfg, seeds=[5])
    real, fake = torch.randn(1, 32, 2), torch.randn(1, 32, 2)
    gan.gen.manual_seed(123)  # the interpolation weights are the first draw of the step
    loss, _ = gan._d_objective(gan.D, real, fake, False)
    D = as_module(gan.D, 0)
    critic_loss = D(fake[0]).mean() - D(real[0]).mean()
    gp = gradient_penalty(D, real[0], fake[0], generator=torch.Generator().manual_seed(123), lam=10.0)
    assert abs(loss.item() - (critic_loss + gp).item()) < 1e-4
    assert gp.item() > 1e-3  # the penalty is really there


def test_spectral_norm_power_iteration_converges_to_the_largest_singular_value():
    gan = BatchedGAN(SMALL.replace(spectral_norm=True), seeds=[0, 1])
    for _ in range(200):
        sig = gan._sigmas(gan.D, update=True)
    for (W, _), s in zip(gan.D, sig, strict=True):
        exact = torch.linalg.matrix_norm(W.detach(), ord=2)  # (S,)
        assert torch.allclose(s.detach(), exact, rtol=1e-4)


def test_packing_concatenates_consecutive_samples():
    gan = BatchedGAN(SMALL.replace(pack=4), seeds=[0])
    x = torch.randn(1, 32, 2)
    out = gan.critic(x)
    assert out.shape == (1, 8, 1)
    D = as_module(gan.D, 0)
    assert torch.allclose(out[0, 1], D(x[0, 4:8].reshape(1, 8))[0], atol=1e-6)


def test_minibatch_std_makes_a_score_depend_on_the_rest_of_the_batch():
    for mbstd, depends in [(False, False), (True, True)]:
        gan = BatchedGAN(SMALL.replace(minibatch_std=mbstd), seeds=[0])
        with torch.no_grad():
            gan.D[-1][0][0, -1] = 1.0  # a non-zero weight on the std feature
        x = torch.randn(1, 32, 2)
        y = x.clone()
        y[0, 1:] *= 3  # change every sample but the first
        changed = not torch.allclose(gan.critic(x)[0, 0], gan.critic(y)[0, 0])
        assert changed == depends


def test_training_is_deterministic_and_finite_for_every_option():
    options = [{}, {"unroll_steps": 2}, {"gp_weight": 10.0, "d_loss": "wasserstein", "g_loss": "wasserstein"},
               {"r1_weight": 1.0}, {"spectral_norm": True, "d_loss": "hinge", "g_loss": "hinge"}, {"pack": 4},
               {"minibatch_std": True}, {"ema": 0.9, "lr_final": 0.1, "d_steps": 2}, {"g_loss": "minimax"},
               {"noise_std": 3.0, "g_activation": "tanh"}]
    for opt in options:
        cfg = SMALL.replace(**opt)
        xs = [BatchedGAN(cfg, seeds=[0, 1]).train([ring(), grid()], steps=5).sample(50, seed=1) for _ in range(2)]
        assert xs[0].shape == (2, 50, 2)
        assert np.all(np.isfinite(xs[0])), opt
        assert np.array_equal(xs[0], xs[1]), opt


def test_a_short_run_learns_where_the_data_is():
    target = GaussianMixture(np.array([[2.0, -1.0]]), 0.3)
    gan = BatchedGAN(SMALL.replace(batch_size=64), seeds=[0, 1, 2]).train(target, steps=400)
    means = gan.sample(1000).mean(axis=1)  # (3, 2)
    assert np.all(np.abs(means - [2.0, -1.0]) < 0.6), means  # from ~2.2 away at the start


def test_unrolling_changes_the_generator_step():
    a = BatchedGAN(SMALL, seeds=[0])
    b = BatchedGAN(SMALL.replace(unroll_steps=3), seeds=[0])
    for g in (a, b):
        g._mixtures = None
        g.train(ring(), steps=1)
    assert not torch.allclose(a.G[0][0], b.G[0][0])


def test_every_calls_on_the_nth_step_and_the_first():
    steps = []
    BatchedGAN(SMALL, seeds=[0]).train(ring(), steps=7, callbacks=[Every(3, lambda g: steps.append(g.step))])
    assert steps == [1, 3, 6]


def test_d_logit_scores_points_for_every_run():
    gan = BatchedGAN(SMALL, seeds=[0, 1])
    out = gan.d_logit(np.zeros((5, 2)))
    assert out.shape == (2, 5)
    with pytest.raises(ValueError, match="packed D"):
        BatchedGAN(SMALL.replace(pack=2), seeds=[0]).d_logit(np.zeros((4, 2)))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"g_hidden": 0}, "g_hidden must be a positive integer"),
        ({"unroll_steps": -1}, "unroll_steps must be a non-negative integer"),
        ({"g_loss": "nope"}, "unknown generator loss"),
        ({"d_loss": "nope"}, "unknown discriminator loss"),
        ({"g_activation": "swish"}, "unknown g_activation"),
        ({"d_activation": "swish"}, "unknown d_activation"),
        ({"batch_size": 30, "pack": 4}, "multiple of pack"),
        ({"ema": 1.0}, "ema must be in"),
        ({"lr_final": 0.0}, "lr_final must be in"),
        ({"gp_weight": -1.0}, "gp_weight must be >= 0"),
        ({"lr_d": 0.0}, "lr_d must be positive"),
        ({"noise_std": -1.0}, "noise_std must be positive"),
    ],
)
def test_bad_config_is_a_clear_value_error(changes, message):
    with pytest.raises(ValueError, match=message):
        SMALL.replace(**changes)


def test_bad_data_and_seeds_are_clear_value_errors():
    with pytest.raises(ValueError, match="at least one run"):
        BatchedGAN(SMALL, seeds=[])
    with pytest.raises(ValueError, match="list of 2"):
        BatchedGAN(SMALL, seeds=[0, 1]).train([ring()], steps=1)
    with pytest.raises(ValueError, match="2-D"):
        BatchedGAN(SMALL, seeds=[0]).train(GaussianMixture([0.0, 1.0], 0.1), steps=1)
    with pytest.raises(ValueError, match="steps must be"):
        BatchedGAN(SMALL, seeds=[0]).train(ring(), steps=-1)


def test_snapshots_keep_fixed_noise_samples_every_n_steps():
    snap = Snapshots(every=2, n=10)
    gan = BatchedGAN(SMALL, seeds=[0, 1]).train(ring(), steps=4, callbacks=[snap])
    assert snap.steps == [1, 2, 4]
    assert snap.samples.shape == (3, 2, 10, 2)
    assert np.allclose(snap.samples[-1], gan.sample(10, seed=0), atol=1e-6)
    with pytest.raises(ValueError, match="every must be"):
        Snapshots(every=0)


class ExactRatio:
    """A stand-in for a trained ratio discriminator: the exact log p_data(x) / p_g(x)."""

    def __init__(self, p_data: GaussianMixture, p_g: GaussianMixture):
        self.p_data, self.p_g = p_data, p_g

    def critic(self, x):
        a = x.double().numpy()
        return torch.as_tensor(self.p_data.log_pdf(a) - self.p_g.log_pdf(a))[..., None]


def test_rejection_sampling_with_the_exact_ratio_recovers_the_data():
    # an affine generator G(z) = z is exactly N(0, I); the data is N((1, -1), 0.5^2 I)
    gan = BatchedGAN(SMALL.replace(g_layers=0), seeds=[0, 1])
    with torch.no_grad():
        gan.G[0][0][:] = torch.eye(2)
        gan.G[0][1][:] = 0.0
    p_data = GaussianMixture(np.array([[1.0, -1.0]]), 0.5)
    p_g = GaussianMixture(np.array([[0.0, 0.0]]), 1.0)
    x = gan.rejection_sample(ExactRatio(p_data, p_g), n=4000, seed=1, chunk=20_000)
    assert x.shape == (2, 4000, 2)
    se = 0.5 / np.sqrt(4000)
    assert np.all(np.abs(x.mean(axis=1) - [1.0, -1.0]) < 5 * se)
    assert np.all(np.abs(x.std(axis=1) - 0.5) < 0.03)
    plain = gan.sample(4000)
    assert np.all(np.abs(plain.std(axis=1) - 1.0) < 0.05)  # what G alone gives


def test_a_learned_density_ratio_ranks_data_above_gaps():
    gan = BatchedGAN(SMALL.replace(batch_size=64), seeds=[0]).train(ring(), steps=50)
    ratio = gan.density_ratio(steps=300)
    logits = ratio.d_logit(np.array([[1.0, 0.0], [0.0, 0.0]]))[0]  # a mode vs the ring's empty centre
    assert logits[0] > logits[1] + 1.0, logits
    with pytest.raises(ValueError, match="steps must be"):
        gan.density_ratio(steps=0)
    with pytest.raises(ValueError, match="needs the data"):
        BatchedGAN(SMALL, seeds=[0]).density_ratio(steps=5)


# -- what PacGAN's published GAN needs: batch norm in G, maxout D, N(0, s^2) init, simultaneous steps
PAC = SMALL.replace(g_batchnorm=True, d_maxout=3, init_std=0.02, simultaneous=True)


def test_maxout_discriminator_takes_the_max_of_its_pieces():
    gan = BatchedGAN(PAC, seeds=[0, 1])
    W, b = gan.D[0]
    assert W.shape == (2, 2, 16 * 3) and gan.D[1][0].shape == (2, 16, 16 * 3) and gan.D[-1][0].shape == (2, 16, 1)
    assert torch.all(b == 0) and abs(W.std().item() - 0.02) < 0.005  # N(0, 0.02^2) weights, zero biases
    x = torch.randn(2, 5, 2)
    h = (torch.baddbmm(b, x, W)).view(2, 5, 16, 3).amax(3)
    for W2, b2 in gan.D[1:-1]:
        h = torch.baddbmm(b2, h, W2).view(2, 5, 16, 3).amax(3)
    out = torch.baddbmm(gan.D[-1][1], h, gan.D[-1][0])
    assert torch.allclose(gan.critic(x), out)


def test_batch_norm_uses_batch_statistics_in_training_and_running_ones_when_sampling():
    gan = BatchedGAN(PAC, seeds=[0, 1]).train(ring(), 3)
    assert not gan.bn.batch_stats and not gan.bn.update
    assert not torch.allclose(gan.bn.mean[0], torch.zeros_like(gan.bn.mean[0]))  # running stats moved
    z = gan.noise(7, torch.Generator().manual_seed(0))
    x1 = gan.generate(z)
    x2 = gan.generate(torch.cat([z, z + 5], dim=1))[:, :7]  # sampling: each point on its own
    assert torch.allclose(x1, x2, atol=1e-6)
    gan.bn.batch_stats = True
    x3 = gan.generate(torch.cat([z, z + 5], dim=1))[:, :7]  # training: the batch matters
    assert not torch.allclose(x1, x3, atol=1e-3)


def test_simultaneous_step_moves_g_against_the_old_discriminator():
    gan = BatchedGAN(SMALL.replace(simultaneous=True), seeds=[0, 1])
    gan._mixtures = __import__("gantools.batched", fromlist=["Mixtures"]).Mixtures(ring(), 2, 2)
    real = gan._real(32)
    twin = BatchedGAN(SMALL.replace(simultaneous=True), seeds=[0, 1])
    twin.gen.set_state(gan.gen.get_state())
    D_before = [[p.detach().clone() for p in layer] for layer in gan.D]
    gan.update_both(real)
    # the twin takes G's step by hand against the D from before the step
    fake = twin.generate(twin.noise(32))
    loss = 2 * twin.loss_G(twin.critic(fake, D_before))
    twin.opt_G.step(torch.autograd.grad(loss, twin.opt_G.params))
    for la, lb in zip(gan.G, twin.G, strict=True):
        for pa, pb in zip(la, lb, strict=True):
            assert torch.allclose(pa, pb, atol=1e-6)
    assert not torch.equal(gan.D[0][0], D_before[0][0])  # and D stepped too


@pytest.mark.parametrize("changes, match", [
    (dict(simultaneous=True, d_steps=2), "simultaneous updates take one D step"),
    (dict(g_batchnorm=True, ema=0.99), "ema is not supported with g_batchnorm"),
    (dict(latent_component_std=0.0), "latent_component_std must be positive, got 0.0"),
    (dict(bn_momentum=1.5), "bn_momentum must be in"),
    (dict(init_std=-0.1), "init_std must be >= 0, got -0.1"),
    (dict(noise_std=-1.0), "noise_std must be positive, got -1.0"),
    (dict(d_fourier=4, d_fourier_max=0.1), "d_fourier_max must be above 1/4, got 0.1"),
])
def test_new_options_reject_bad_values(changes, match):
    with pytest.raises(ValueError, match=match):
        SMALL.replace(**changes)


def test_mixture_latent_clusters_the_noise_and_subsets_are_views():
    cfg = SMALL.replace(latent_components=3, latent_component_std=0.01, noise_std=2.0)
    gan = BatchedGAN(cfg, seeds=[0, 1, 2])
    z = gan.noise(3000, torch.Generator().manual_seed(0))[1]  # (n, 2) of run 1
    centres = 2.0 * gan.latent_means[1]
    nearest = torch.cdist(z, centres).min(1).values
    assert nearest.max() < 0.1  # every point within a few component stds of a centre
    view = gan.subset([2, 0])
    assert view.seeds == [2, 0] and torch.equal(view.G[0][0][0], gan.G[0][0][2])
    z = gan.noise(5, torch.Generator().manual_seed(1))
    assert torch.equal(view.generate(z[[2, 0]]), gan.generate(z)[[2, 0]])
    assert torch.equal(view.latent_means, gan.latent_means[[2, 0]])


def test_fourier_features_and_an_explicit_device():
    gan = BatchedGAN(SMALL.replace(d_fourier=4), seeds=[0, 1], device="cpu")
    assert gan.D[0][0].shape == (2, 2 * (1 + 8), 16)
    gan._to_device()  # the path a GPU takes, run on the CPU
    gan.train(grid(), 2)
    assert np.all(np.isfinite(gan.sample(10)))
