"""Chapter 14's full branch (32x32 images): the residual noise predictor (``DDPMConfig.skip``),
DDIM's clipping of its clean-image estimate into each pixel's training range (``clip``,
``Data.bounds``), the unchanged defaults of the digits setting, and
:func:`gantools.families.bench.image_families` on Fashion-MNIST (shrunk networks, to stay fast).
Every check is against a hand computation or a case built so that a broken option fails."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gantools.batched import mlp_forward
from gantools.distributions import ring
from gantools.families import BatchedDDPM, DDPMConfig, VAEConfig, bench, ddim_sample, linear_alpha_bar
from gantools.families.common import Data, sinusoidal
from gantools.families.diffusion import ddim_times

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.py


def _ranged_points(n: int = 400, d: int = 6, seed: int = 0) -> np.ndarray:
    """Points whose coordinates have different ranges: coordinate j in [j - 1, 2 j + 1], so a
    single range for all coordinates (or none) is told apart from a per-coordinate one."""
    rng = np.random.default_rng(seed)
    lo = np.arange(d, dtype=np.float64) - 1
    hi = 2 * np.arange(d, dtype=np.float64) + 1
    pts = lo + (hi - lo) * rng.random((n, d))
    pts[0], pts[1] = lo, hi  # the range is attained exactly
    return pts.astype(np.float32)


def _zero_output(model: BatchedDDPM) -> None:
    """Make the MLP's last layer output exactly 0 (weights and biases zeroed)."""
    W, b = model.params[-1]
    model.params[-1] = [torch.zeros_like(W), torch.zeros_like(b)]


def _unit_stats(pts: np.ndarray) -> tuple[np.ndarray, float]:
    """(mean, scale) of points as Data documents them, computed here in float64."""
    p = pts.astype(np.float64)
    mu = p.mean(0)
    return mu, float(np.sqrt(((p - mu) ** 2).sum(1).mean() / p.shape[1]))


# -- skip: the residual noise predictor ------------------------------------------------------------
def test_skip_with_zero_network_predicts_sqrt_one_minus_abar_times_x():
    m = BatchedDDPM(DDPMConfig(hidden=16, layers=2, skip=True), seeds=[0, 1]).train(_ranged_points(), steps=2)
    _zero_output(m)
    ab = linear_alpha_bar(1000)  # float64, computed here, not the model's table
    ab32 = torch.tensor(ab, dtype=torch.float32)
    x = torch.randn(2, 50, 6, generator=torch.Generator().manual_seed(3))
    for t in (1, 17, 500, 999, 1000):
        # exactly sqrt(1 - abar_t) x in float32, and within float32's rounding of abar_t
        # (1 - abar_1 = 1e-4 loses digits in float32) of the float64 value
        assert torch.equal(m.eps(x, t), (1 - ab32[t]).sqrt() * x), t
        torch.testing.assert_close(m.eps(x, t).double(), np.sqrt(1 - ab[t]) * x.double(), rtol=5e-4, atol=0)
    # one time per point (S, n): each point gets its own sqrt(1 - abar_t)
    t = torch.randint(1, 1001, (2, 50), generator=torch.Generator().manual_seed(4))
    assert torch.equal(m.eps(x, t), (1 - ab32[t])[..., None].sqrt() * x)
    want = torch.from_numpy(np.sqrt(1 - ab[t.numpy()]))[..., None] * x.double()
    torch.testing.assert_close(m.eps(x, t).double(), want, rtol=5e-4, atol=0)
    assert not torch.equal(m.eps(x, 10), m.eps(x, 11))  # the time is read, not a constant
    # without skip the same zeroed network predicts exactly zero noise
    plain = BatchedDDPM(DDPMConfig(hidden=16, layers=2), seeds=[0, 1]).train(_ranged_points(), steps=2)
    _zero_output(plain)
    assert torch.equal(plain.eps(x, 500), torch.zeros_like(x))


def test_skip_adds_the_residual_to_the_raw_input_not_to_its_fourier_features():
    # a trained (nonzero) network with Fourier features of x: skip on and off differ by exactly
    # sqrt(1 - abar_t) x, with x the raw (S, n, d) input
    m = BatchedDDPM(DDPMConfig(hidden=16, layers=2, x_fourier=3, skip=True), seeds=[0, 1])
    m.train(_ranged_points(), steps=3)
    x = torch.randn(2, 40, 6, generator=torch.Generator().manual_seed(5))
    t = torch.randint(1, 1001, (2, 40), generator=torch.Generator().manual_seed(6))
    with_skip = m.eps(x, t)
    m.cfg = m.cfg.replace(skip=False)
    without = m.eps(x, t)
    assert without.abs().max() > 1e-3  # the network's own output is not zero
    ab32 = torch.tensor(linear_alpha_bar(1000), dtype=torch.float32)
    want = (1 - ab32[t])[..., None].sqrt() * x
    torch.testing.assert_close(with_skip - without, want, rtol=1e-5, atol=1e-6)


def test_skip_is_validated_and_used_in_training():
    with pytest.raises(ValueError, match="skip must be True or False, got 1"):
        DDPMConfig(skip=1)
    pts = _ranged_points()
    a = BatchedDDPM(DDPMConfig(hidden=16, layers=2, skip=True), seeds=[0]).train(pts, steps=5)
    b = BatchedDDPM(DDPMConfig(hidden=16, layers=2, skip=False), seeds=[0]).train(pts, steps=5)
    # same seed, same batches: the first loss differs only by the residual term
    assert not np.array_equal(a.history["loss"], b.history["loss"])
    assert bench.DDPM_IMAGES.skip is True and bench.DDPM_DIGITS.skip is False


# -- clip: x0_hat kept in each coordinate's training range ------------------------------------------
def test_bounds_are_each_coordinates_training_range_in_unit_scale():
    pts = _ranged_points()
    d = Data(pts, runs=3)
    lo, hi = d.bounds()
    mu, scale = _unit_stats(pts)
    assert lo.shape == hi.shape == (3, 1, 6)
    for s in range(3):
        np.testing.assert_allclose(lo[s, 0].numpy(), (pts.min(0) - mu) / scale, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(hi[s, 0].numpy(), (pts.max(0) - mu) / scale, rtol=1e-5, atol=1e-6)
    # back in data units they are the data's minimum and maximum per coordinate (all different)
    np.testing.assert_allclose(d.unscale(lo)[0, 0], pts.min(0), atol=1e-5)
    np.testing.assert_allclose(d.unscale(hi)[0, 0], pts.max(0), atol=1e-5)
    with pytest.raises(ValueError, match="no bounded range"):
        Data(ring(), runs=1).bounds()
    m = BatchedDDPM(DDPMConfig(hidden=8, layers=1), seeds=[0]).train(ring(), steps=1)
    m.sample(5, nfe=2)  # unclipped sampling of a mixture is fine
    with pytest.raises(ValueError, match="no bounded range"):
        m.sample(5, nfe=2, clip=True)


def test_clipped_samples_stay_in_range_where_unclipped_ones_leave_it():
    pts = _ranged_points()
    lo, hi = pts.min(0), pts.max(0)
    m = BatchedDDPM(DDPMConfig(hidden=16, layers=2), seeds=[0, 1]).train(pts, steps=5)
    for nfe, eta in ((1, 0.0), (10, 0.0), (10, 1.0)):
        free = m.sample(200, nfe, seed=7, eta=eta)
        clipped = m.sample(200, nfe, seed=7, eta=eta, clip=True)
        # a barely trained network: x0_hat = (x - sqrt(1 - abar) eps) / sqrt(abar) lands far out
        assert ((free < lo) | (free > hi)).mean() > 0.5, (nfe, eta)
        assert np.isfinite(clipped).all()
        assert (clipped >= lo - 1e-5).all() and (clipped <= hi + 1e-5).all(), (nfe, eta)
        assert np.array_equal(clipped, m.sample(200, nfe, seed=7, eta=eta, clip=True))  # deterministic in seed
    # the per-coordinate range matters: coordinate 0 is clipped at 1, far below coordinate 5's top (11)
    assert clipped[..., 0].max() <= hi[0] + 1e-5 < lo[5]


def test_clipped_ddim_with_zero_network_matches_a_hand_computation():
    # zero noise predictor, nfe = 2 (times 1000, 500): step 1 clips x0 = x_T / sqrt(abar_1000)
    # into the range, re-derives eps from the clipped x0 and moves to t = 500; step 2 clips
    # x0 = x_500 / sqrt(abar_500) and returns it
    pts = _ranged_points()
    m = BatchedDDPM(DDPMConfig(hidden=16, layers=2), seeds=[0, 1]).train(pts, steps=2)
    _zero_output(m)
    n, seed = 300, 11
    got = m.sample(n, 2, seed=seed, clip=True)

    ab = linear_alpha_bar(1000)
    mu, scale = _unit_stats(pts)
    lo, hi = (pts.min(0) - mu) / scale, (pts.max(0) - mu) / scale
    x_T = torch.randn((2, n, 6), generator=torch.Generator().manual_seed(seed)).double().numpy()
    a1, a2 = ab[1000], ab[500]
    c1 = np.clip(x_T / np.sqrt(a1), lo, hi)
    eps1 = (x_T - np.sqrt(a1) * c1) / np.sqrt(1 - a1)
    x_500 = np.sqrt(a2) * c1 + np.sqrt(1 - a2) * eps1
    want = np.clip(x_500 / np.sqrt(a2), lo, hi) * scale + mu
    np.testing.assert_allclose(got, want, atol=2e-4)

    assert ((got > pts.min(0) + 1e-3) & (got < pts.max(0) - 1e-3)).mean() < 0.05  # almost all clipped

    # unclipped, the same zero network just rescales x_T: far outside the range
    free = m.sample(n, 1, seed=seed)
    np.testing.assert_allclose(free, x_T / np.sqrt(a1) * scale + mu, rtol=1e-4)
    assert ((free < pts.min(0)) | (free > pts.max(0))).mean() > 0.9


def test_ddim_clip_with_a_range_never_reached_changes_nothing():
    # an exact, smooth noise predictor: x0_hat stays well inside +-1e6, so clipping to it is a
    # no-op (up to the rounding of eps's re-derivation), while a range inside the data clips
    x_T = torch.randn(1, 500, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    ab = linear_alpha_bar(1000)

    def eps_fn(x, t):  # exact for N(0, 0.5^2 I) data
        a = float(ab[t])
        return np.sqrt(1 - a) * x / (a * 0.25 + 1 - a)

    free = ddim_sample(eps_fn, x_T, ab, 20)
    wide = ddim_sample(eps_fn, x_T, ab, 20, x0_range=(torch.tensor(-1e6), torch.tensor(1e6)))
    torch.testing.assert_close(wide, free, rtol=1e-6, atol=1e-8)
    tight = ddim_sample(eps_fn, x_T, ab, 20, x0_range=(torch.tensor([-0.1, -0.3], dtype=torch.float64),
                                                       torch.tensor([0.2, 0.4], dtype=torch.float64)))
    assert (tight[..., 0] >= -0.1).all() and (tight[..., 0] <= 0.2).all()
    assert (tight[..., 1] >= -0.3).all() and (tight[..., 1] <= 0.4).all()
    assert (free.abs() > 0.4).any()  # the unclipped samples do go past the tight range


def test_clipped_ddim_re_derives_eps_from_the_clipped_estimate():
    # a noise predictor that is wrong in a known way, 3 steps, a range that clips part of x0_hat:
    # each step is x_prev = sqrt(abar_prev) c + sqrt(1 - abar_prev) (x - sqrt(abar) c) / sqrt(1 - abar),
    # c = x0_hat clipped; computed here step by step in float64
    ab = linear_alpha_bar(1000)
    x_T = torch.randn(2, 200, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    lo = torch.tensor([-0.5, -1.0, 0.0], dtype=torch.float64)
    hi = torch.tensor([0.5, 2.0, 0.3], dtype=torch.float64)

    def eps_fn(x, t):
        return 0.6 * x + 0.2

    got = ddim_sample(eps_fn, x_T, ab, 3, x0_range=(lo, hi))
    x, stale = x_T.numpy(), x_T.numpy()
    times = [1000, 666, 333, 0]  # ddim_times(3, 1000) and the final abar_0 = 1
    assert list(ddim_times(3, 1000)) == times[:3]
    for t, prev in zip(times[:-1], times[1:], strict=True):
        a, a_prev = ab[t], ab[prev]
        c = np.clip((x - np.sqrt(1 - a) * (0.6 * x + 0.2)) / np.sqrt(a), lo.numpy(), hi.numpy())
        x = np.sqrt(a_prev) * c + np.sqrt(1 - a_prev) * (x - np.sqrt(a) * c) / np.sqrt(1 - a)
        # a sampler that clipped x0_hat but kept the network's eps
        e = 0.6 * stale + 0.2
        cs = np.clip((stale - np.sqrt(1 - a) * e) / np.sqrt(a), lo.numpy(), hi.numpy())
        stale = np.sqrt(a_prev) * cs + np.sqrt(1 - a_prev) * e
    np.testing.assert_allclose(got.numpy(), x, rtol=1e-10, atol=1e-12)
    assert np.abs(got.numpy() - stale).max() > 0.01  # that variant would fail the check above
    assert (got >= lo).all() and (got <= hi).all()


# -- the defaults: the digits setting is unchanged --------------------------------------------------
# sums of the samples that the version before ``skip``/``clip`` (555a946) drew from this model:
# (nfe, eta) -> (sum, sum of absolute values), computed with that version's diffusion.py
OLD_SAMPLES = {(10, 0.0): (1225.4333104118705, 416641.95231903344),
               (5, 1.0): (1022.125463463366, 421410.7871504724)}


def test_defaults_are_bit_identical_to_the_previous_digits_computation():
    pixels = bench.digits_pixels()
    cfg = bench.DDPM_DIGITS
    m = BatchedDDPM(cfg, seeds=[0, 1]).train(pixels, steps=4)
    explicit = BatchedDDPM(cfg.replace(skip=False), seeds=[0, 1]).train(pixels, steps=4)
    assert np.array_equal(m.history["loss"], explicit.history["loss"])
    assert all(torch.equal(p, q) for la, lb in zip(m.params, explicit.params, strict=True)
               for p, q in zip(la, lb, strict=True))

    def old_eps(x, t):  # the predictor before skip: the MLP on (x, time features), nothing added
        tt = torch.as_tensor(t, dtype=torch.float32).expand(x.shape[:2])
        return mlp_forward(m.params, torch.cat([x, sinusoidal(tt / cfg.T, cfg.time_features)], dim=-1), F.silu)

    x = torch.randn(2, 30, 64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert torch.equal(m.eps(x, 250), old_eps(x, 250))
    n, seed = 100, bench.SAMPLE_SEED
    for (nfe, eta), (total, total_abs) in OLD_SAMPLES.items():
        new = np.asarray(m.sample(n, nfe, seed, eta=eta), dtype=np.float64)
        assert new.shape == (2, n, 64) and np.array_equal(m.sample(n, nfe, seed, eta=eta, clip=False), new)
        assert abs(new.sum() - total) < 1e-6 * total_abs and abs(np.abs(new).sum() - total_abs) < 1e-6 * total_abs
    # and clip does change this (barely trained) model's samples
    assert not np.array_equal(m.sample(n, 10, seed, clip=True), m.sample(n, 10, seed))


# -- image_families on Fashion-MNIST -----------------------------------------------------------------
def test_image_families_on_fashion_mnist_returns_finite_scores(monkeypatch):
    # the real networks (1,024-wide MLPs) and n = 800 take about a minute on two CPU cores; the
    # plumbing is the same with small ones, so the test shrinks them (skip stays on)
    monkeypatch.setattr(bench, "VAE_IMAGES", VAEConfig(latent=4, hidden=32, layers=1, lr=1e-3, kl_warmup=0.5))
    monkeypatch.setattr(bench, "DDPM_IMAGES", bench.DDPM_IMAGES.replace(hidden=32, layers=1))
    drawn = {}
    real_to_images = bench.to_images

    def spy(x, side=8, image_size=32):
        drawn[len(drawn)] = np.array(x)
        return real_to_images(x, side, image_size)

    monkeypatch.setattr(bench, "to_images", spy)
    calls = []

    class SpyDDPM(BatchedDDPM):
        def sample(self, *args, **kwargs):
            calls.append((args, kwargs, super().sample(20, *args[1:], **{**kwargs, "clip": False})))
            return super().sample(*args, **kwargs)

    monkeypatch.setattr(bench, "BatchedDDPM", SpyDDPM)
    # and a class-stratified 6,000 of the 60,000 training images (the pixel range is the same),
    # 1,000 of them scored as the real images: reading and featurising all of them takes ~15 s
    import gantools.evaluation
    import gantools.evaluation.scores
    import gantools.imagedata

    real_load = gantools.imagedata.load_dataset

    def fewer(name, image_size=32, root=None, train=True, subset=None):
        return real_load(name, image_size, root, train, 6000 if train and subset is None else subset)

    class SmallScorer(gantools.evaluation.ImageScorer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{"max_real": 1000, **kwargs})

    monkeypatch.setattr(gantools.imagedata, "load_dataset", fewer)
    monkeypatch.setattr(gantools.evaluation.scores, "load_dataset", fewer)
    monkeypatch.setattr(gantools.evaluation, "ImageScorer", SmallScorer)
    monkeypatch.setattr(gantools.evaluation.scores, "ImageScorer", SmallScorer)
    torch.manual_seed(0)
    vae, result = bench.image_families("fashion-mnist", 3, "cpu", n=100)

    assert isinstance(vae, bench.BatchedVAE) and tuple(result) == bench.IMAGE_FAMILIES
    keys = {"n", "fd", "kid", "kid_se", "precision", "recall", "inception_score", "inception_score_real",
            "classes_captured", "class_kl", "class_tv", "class_counts"}
    keys |= {f"{m}{s}" for m in ("fd", "kid", "precision", "recall") for s in ("_real", "_blur")}
    keys |= {"kid_real_se", "kid_blur_se"}
    for family, ev in result.items():
        assert set(ev) == keys, family
        assert ev["n"] == 100 and len(ev["class_counts"]) == 10 and sum(ev["class_counts"]) == 100
        numbers = [v for k, v in ev.items() if k != "class_counts"]
        assert all(np.isfinite(float(v)) for v in numbers), family
        # the yardsticks: held-out real images (the floor) beat blurred ones
        assert 0 <= ev["fd_real"] < ev["fd_blur"], family
        assert ev["precision_real"] > 0.5
    # every family was drawn as 100 images of 1,024 pixels; the diffusion samples were clipped
    # into the pixels' training range [0, 1], which the same sampler unclipped leaves
    (args, kwargs, unclipped), = calls
    assert [x.shape for x in drawn.values()] == [(100, 1024)] * 3 and unclipped.shape == (1, 20, 1024)
    assert args[:2] == (100, 100) and kwargs == {"clip": True}
    diffusion = drawn[2]
    assert diffusion.min() >= -1e-5 and diffusion.max() <= 1 + 1e-5
    assert ((unclipped < 0) | (unclipped > 1)).mean() > 0.2
    with pytest.raises(ValueError, match="one-channel"):
        bench.image_families("cifar10", 1)
