"""The style-based generator of chapter 15 (gantools.imagegan.stylegan): modulated and
demodulated convolutions against a per-sample reference, the mapping, style mixing, noise
inputs, truncation in W, and training through the book's trainer with exact resume."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gantools.dcgan import DCGANConfig
from gantools.imagegan import ImageGANTrainer, config_for, generate, load_generator
from gantools.imagegan.stylegan import ModulatedConv, StyleGenerator

ARCH = DCGANConfig(image_size=32, channels=1, nz=16, ngf=8, ndf=8)


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    yield


def test_the_grouped_modulated_convolution_is_a_per_sample_convolution():
    torch.manual_seed(0)
    conv = ModulatedConv(4, 5, w_dim=6)
    torch.nn.init.normal_(conv.affine.weight)
    x, w = torch.randn(3, 4, 7, 7), torch.randn(3, 6)
    out = conv(x, w)
    for n in range(3):  # the reference: scale, normalise, convolve one sample at a time
        s = w[n] @ conv.affine.weight.T + conv.affine.bias
        weight = conv.weight * s[None, :, None, None]
        weight = weight / torch.sqrt(weight.square().sum(dim=(1, 2, 3), keepdim=True) + 1e-8)
        assert torch.allclose(out[n], F.conv2d(x[n:n + 1], weight, padding=1)[0], atol=1e-5)


def test_demodulation_gives_each_output_unit_variance():
    torch.manual_seed(1)
    conv = ModulatedConv(32, 16, w_dim=8)
    torch.nn.init.normal_(conv.affine.weight, std=2.0)  # styles far from 1: demodulation must undo them
    out = conv(torch.randn(64, 32, 16, 16), torch.randn(64, 8))
    std = out[:, :, 1:-1, 1:-1].std(dim=(0, 2, 3))  # away from the zero padding
    assert torch.all((std - 1).abs() < 0.1), std


def test_shapes_styles_and_determinism_outside_training():
    g = StyleGenerator(ARCH).eval()
    z = torch.randn(4, 16)
    x = g(z)
    assert x.shape == (4, 1, 32, 32) and x.abs().max() <= 1
    assert g.num_ws == 8 and torch.equal(g(z), x)  # the fixed noise maps: sampling is deterministic
    g.train()
    assert not torch.equal(g(z), g(z))  # fresh noise (and mixing) in training


def test_noise_inputs_change_only_detail_when_strengths_are_set():
    g = StyleGenerator(ARCH).eval()
    ws = g.broadcast(g.mapping(torch.randn(2, 16)))
    quiet = [torch.zeros(1, 1, 4 * 2 ** ((i + 1) // 2), 4 * 2 ** ((i + 1) // 2)) for i in range(len(g.layers))]
    assert torch.equal(g.synthesis(ws, quiet), g.synthesis(ws, quiet))
    with torch.no_grad():  # at initialisation the strengths are 0: noise has no effect
        loud = [torch.randn_like(n) for n in quiet]
        assert torch.allclose(g.synthesis(ws, quiet), g.synthesis(ws, loud))
        for layer in g.layers:
            layer.noise.strength.fill_(0.5)
        assert not torch.allclose(g.synthesis(ws, quiet), g.synthesis(ws, loud))


def test_style_mixing_takes_coarse_layers_from_one_latent_and_fine_from_the_other():
    g = StyleGenerator(ARCH)
    w1, w2 = torch.randn(3, 16), torch.randn(3, 16)
    ws = g.mix(w1, w2, crossover=3)
    assert torch.equal(ws[:, :3], g.broadcast(w1)[:, :3]) and torch.equal(ws[:, 3:], g.broadcast(w2)[:, 3:])


def test_truncation_in_w():
    g = StyleGenerator(ARCH).eval()
    z = torch.randn(5, 16)
    assert torch.equal(g(z, psi=1.0), g(z))
    mean_image = g(z, psi=0.0)
    assert torch.allclose(mean_image, mean_image[:1].expand_as(mean_image), atol=1e-6)
    w = g.mapping(z)
    half = g.truncate(w, 0.5)
    assert torch.allclose(half - g.mean_w(), 0.5 * (w - g.mean_w()), atol=1e-6)
    with pytest.raises(ValueError, match="psi"):
        g.truncate(w, 1.5)


def test_stylegan_trains_through_the_trainer_and_resumes_exactly(tmp_path):
    cfg = config_for("stylegan", "digits", steps=4, batch_size=8, log_every=2, sample_every=4, ngf=8, ndf=8, nz=16)
    whole = ImageGANTrainer(cfg, str(tmp_path / "a"), progress=False).train()
    ImageGANTrainer(cfg.replace(steps=2), str(tmp_path / "b"), progress=False).train()
    resumed = ImageGANTrainer(cfg, str(tmp_path / "b"), progress=False, resume=True).train()
    for a, b in zip(whole.G.state_dict().values(), resumed.G.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    g, _ = load_generator(str(tmp_path / "a"))
    assert isinstance(g, StyleGenerator)
    x, x1, x0 = generate(g, 6, seed=3), generate(g, 6, seed=3, truncation=1.0), generate(g, 6, seed=3, truncation=0.0)
    assert torch.equal(x, x1) and not torch.equal(x, x0)
    assert torch.allclose(x0, x0[:1].expand_as(x0), atol=1e-5)
