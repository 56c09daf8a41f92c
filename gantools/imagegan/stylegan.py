"""A small style-based generator (Karras et al. 2019, 2020): the model of chapter 15.

DCGAN feeds z into the first layer; a style-based generator feeds it to every layer, as a style:

- a **mapping network** f: z -> w, an MLP (here 4 layers of ``nz`` units) after normalising z
  (pixel norm); W need not be Gaussian, so it can unwarp the factors of variation;
- a **synthesis network** from a learned constant 4x4 input; each 3x3 convolution is
  **modulated** by a style s = A(w) (a learned affine map, bias 1) and **demodulated**
  (StyleGAN2): w'_{oik} = s_i w_{oik}, then w''_{oik} = w'_{oik} / sqrt(sum_{i,k} w'^2 + eps),
  which gives each output map unit expected variance without StyleGAN's AdaIN, whose
  normalisation caused its "droplet" artefacts (Karras et al. 2020, Sec. 2);
- **noise inputs**: after every convolution, per-pixel N(0, 1) noise times a learned per-channel
  strength, for stochastic detail that the style need not encode;
- **style mixing**: each layer takes its own w (``ws``, (N, num_ws, w_dim)); in training, with
  probability ``mixing`` a batch switches from w1 = f(z1) to w2 = f(z2) at a random layer;
- **truncation in W**: w_bar + psi (w - w_bar), with w_bar the mean of f(z) (:meth:`mean_w`).

What is smaller than the papers: widths (:data:`DCGANConfig.ngf`, as DCGAN's), a 4-layer mapping
without its 0.01 learning-rate multiplier or equalised learning rates, one toRGB at the end, a
tanh output (the book's images are in [-1, 1]), and DCGAN's discriminator, so that chapter 15
compares generators with everything else equal.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..checks import check_psi
from ..dcgan import DCGANConfig


class ModulatedConv(nn.Module):
    """A k x k convolution whose input channels are scaled per sample by a style, then
    (``demodulate``) normalised per output channel: (x (N, I, H, W), w (N, w_dim)) -> (N, O, H, W)."""

    def __init__(self, cin: int, cout: int, w_dim: int, kernel: int = 3, demodulate: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin, kernel, kernel) / math.sqrt(cin * kernel * kernel))
        self.affine = nn.Linear(w_dim, cin)
        nn.init.normal_(self.affine.weight, std=1 / math.sqrt(w_dim))  # styles 1 + O(1) noise at first,
        nn.init.ones_(self.affine.bias)  # as StyleGAN2's bias init of 1
        self.demodulate, self.padding = demodulate, kernel // 2

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        # StyleGAN2's unfused form, the same numbers as scaling the weights per sample: scale the
        # input channels by s, convolve with the shared weight, scale each output channel by the
        # demodulation coefficient 1 / sqrt(sum_{i,k} (s_i w_oik)^2 + eps). One ordinary
        # convolution for the batch instead of a grouped one: ~10x faster on a CPU.
        s = self.affine(w)  # (N, I)
        out = F.conv2d(x * s[:, :, None, None], self.weight, padding=self.padding)
        if self.demodulate:
            d = torch.rsqrt(s.square() @ self.weight.square().sum(dim=(2, 3)).T + 1e-8)  # (N, O)
            out = out * d[:, :, None, None]
        return out


class NoiseInput(nn.Module):
    """x + strength_c * N(0, 1) per pixel (one noise map per sample, shared by the channels)."""

    def __init__(self, channels: int):
        super().__init__()
        self.strength = nn.Parameter(torch.zeros(channels))

    def forward(self, x: Tensor, noise: Tensor | None = None) -> Tensor:
        if noise is None:
            noise = torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device, dtype=x.dtype)
        return x + self.strength.view(1, -1, 1, 1) * noise


class StyleLayer(nn.Module):
    """Modulated convolution, noise, bias, leaky ReLU."""

    def __init__(self, cin: int, cout: int, w_dim: int):
        super().__init__()
        self.conv, self.noise = ModulatedConv(cin, cout, w_dim), NoiseInput(cout)
        self.bias = nn.Parameter(torch.zeros(cout))

    def forward(self, x: Tensor, w: Tensor, noise: Tensor | None = None) -> Tensor:
        x = self.noise(self.conv(x, w), noise)
        return F.leaky_relu(x + self.bias.view(1, -1, 1, 1), 0.2)


class StyleGenerator(nn.Module):
    """z ``(N, nz)`` -> images ``(N, C, S, S)`` in [-1, 1], through w = f(z) fed to every layer."""

    def __init__(self, cfg: DCGANConfig, mapping_layers: int = 4, mixing: float = 0.9):
        super().__init__()
        self.cfg, self.w_dim, self.mixing = cfg, cfg.nz, mixing
        layers: list[nn.Module] = []
        for _ in range(mapping_layers):
            layers += [nn.Linear(cfg.nz if not layers else self.w_dim, self.w_dim), nn.LeakyReLU(0.2)]
        self.mapping_net = nn.Sequential(*layers)
        widths = [cfg.ngf * 2 ** min(i, 2) for i in reversed(range(cfg.n_blocks + 1))]  # 4x4 ... SxS
        self.const = nn.Parameter(torch.randn(1, widths[0], 4, 4))
        self.layers = nn.ModuleList([StyleLayer(widths[0], widths[0], self.w_dim)])
        for cin, cout in zip(widths[:-1], widths[1:], strict=True):  # two layers per resolution
            self.layers += [StyleLayer(cin, cout, self.w_dim), StyleLayer(cout, cout, self.w_dim)]
        self.to_image = ModulatedConv(widths[-1], cfg.channels, self.w_dim, kernel=1, demodulate=False)
        self.num_ws = len(self.layers) + 1
        # StyleGAN's "const" noise: fixed maps used outside training, so sampling is deterministic
        g = torch.Generator().manual_seed(0)
        for i in range(len(self.layers)):
            side = 4 * 2 ** ((i + 1) // 2)
            self.register_buffer(f"noise_const{i}", torch.randn(1, 1, side, side, generator=g))

    def mapping(self, z: Tensor) -> Tensor:
        """w = f(z) ``(N, w_dim)``, after normalising each z to unit mean square (pixel norm)."""
        z = z * torch.rsqrt(z.square().mean(dim=1, keepdim=True) + 1e-8)
        return self.mapping_net(z)

    def synthesis(self, ws: Tensor, noise: list[Tensor] | None = None) -> Tensor:
        """Images from per-layer styles ``ws`` (N, num_ws, w_dim); ``noise``: one map per layer,
        (N or 1, 1, side, side) (None: fresh N(0, 1) in training, the fixed maps otherwise)."""
        x = self.const.expand(ws.shape[0], -1, -1, -1)
        for i, layer in enumerate(self.layers):
            if i % 2 == 1:  # the first layer of each new resolution doubles it
                x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
            fixed = None if self.training else getattr(self, f"noise_const{i}").expand(x.shape[0], -1, -1, -1)
            x = layer(x, ws[:, i], fixed if noise is None else noise[i])
        return torch.tanh(self.to_image(x, ws[:, -1]))

    def broadcast(self, w: Tensor) -> Tensor:
        """One w for every layer: (N, w_dim) -> (N, num_ws, w_dim)."""
        return w[:, None].expand(-1, self.num_ws, -1)

    def mix(self, w1: Tensor, w2: Tensor, crossover: int) -> Tensor:
        """Layers ``< crossover`` take w1 (coarse: pose, shape), the rest w2 (fine: texture)."""
        layer = torch.arange(self.num_ws, device=w1.device)[None, :, None]
        return torch.where(layer < crossover, self.broadcast(w1), self.broadcast(w2))

    @torch.no_grad()
    def mean_w(self, n: int = 10_000, seed: int = 0) -> Tensor:
        """w_bar ``(w_dim,)``: the mean of f(z) over ``n`` latents drawn from ``seed``."""
        z = torch.randn(n, self.cfg.nz, generator=torch.Generator().manual_seed(seed))
        return self.mapping(z.to(self.const.device)).mean(0)

    def truncate(self, w: Tensor, psi: float, w_bar: Tensor | None = None) -> Tensor:
        """w_bar + psi (w - w_bar): psi = 1 changes nothing, psi = 0 gives the mean image."""
        psi = check_psi(psi)
        w_bar = self.mean_w() if w_bar is None else w_bar
        return w_bar + psi * (w - w_bar)

    def forward(self, z: Tensor, psi: float = 1.0, w_bar: Tensor | None = None) -> Tensor:
        w = self.mapping(z)
        if psi != 1.0:
            w = self.truncate(w, psi, w_bar)
        ws = self.broadcast(w)
        if self.training and self.mixing > 0 and torch.rand(()) < self.mixing:
            # style mixing regularisation: a second latent takes over from a random layer on
            z2 = torch.randn_like(z)
            ws = self.mix(w, self.mapping(z2), int(torch.randint(1, self.num_ws, ())))
        return self.synthesis(ws)
