"""Training the translators of chapter 13: every method on the same networks and budget.

Methods (:data:`METHODS`):

- ``identity``: G(x) = x, no training (the floor a translator must beat);
- ``l1-only``: paired, G minimises |G(x) - T(x)|_1 (regression to the conditional mean);
- ``pix2pix``: paired, L1 (weight 100) plus a conditional PatchGAN D(x, y) (Isola et al. 2017);
- ``gan-only``: unpaired, G: X -> Y and F: Y -> X with adversarial losses only;
- ``cyclegan``: unpaired, + the cycle loss lambda (|F(G(x)) - x|_1 + |G(F(y)) - y|_1), lambda = 10
  (Zhu et al. 2017);
- ``cyclegan-identity``: + the identity loss 0.5 lambda (|G(y) - y|_1 + |F(x) - x|_1): each
  generator applied to images *already in its output domain* should leave them alone.

Every adversarial term uses the least-squares loss (:func:`gantools.losses.least_squares_loss_dis`
and ``least_squares_loss_gen``: CycleGAN's choice; pix2pix used the cross-entropy),
Adam(2e-4, beta1 0.5), batch 64, the same number of generator steps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from ..checks import check_ints
from ..configs import Config
from ..losses import least_squares_loss_dis, least_squares_loss_gen
from .domains import Domains, check_transform
from .models import PatchDiscriminator, Translator

METHODS = ("identity", "l1-only", "pix2pix", "gan-only", "cyclegan", "cyclegan-identity")
PAIRED = ("l1-only", "pix2pix")
CYCLE = ("gan-only", "cyclegan", "cyclegan-identity")


def check_method(name: str) -> str:
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose one of: {', '.join(METHODS)}")
    return name


@dataclass(frozen=True)
class TranslationConfig(Config):
    """One training run: a method on a transform."""

    method: str = "cyclegan"
    transform: str = "rot90"
    steps: int = 1500  # generator steps
    batch_size: int = 64
    lr: float = 2e-4
    lam_cycle: float = 10.0  # lambda of the cycle loss (CycleGAN: 10)
    lam_identity: float = 0.5  # the identity loss's weight, as a fraction of lambda (CycleGAN: 0.5)
    lam_l1: float = 100.0  # pix2pix's L1 weight (Isola et al.: 100)
    width: int = 32
    seed: int = 0

    def __post_init__(self):
        check_method(self.method)
        check_transform(self.transform)
        check_ints(steps=self.steps, batch_size=self.batch_size, width=self.width, minimum=1)
        check_ints(seed=self.seed, minimum=0)
        for name in ("lr",):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        for name in ("lam_cycle", "lam_identity", "lam_l1"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")


@dataclass
class Trained:
    """A trained translator G: X -> Y (and F: Y -> X for the unpaired methods)."""

    config: TranslationConfig
    G: torch.nn.Module
    F: torch.nn.Module | None
    cpu_s: float

    @torch.no_grad()
    def translate(self, x: torch.Tensor) -> torch.Tensor:
        return x.clone() if self.config.method == "identity" else self.G.eval()(x)

    @torch.no_grad()
    def back(self, y: torch.Tensor) -> torch.Tensor | None:
        return None if self.F is None else self.F.eval()(y)


def cycle_loss(G, F_, x: torch.Tensor, y: torch.Tensor, fake_y: torch.Tensor | None = None,
               fake_x: torch.Tensor | None = None) -> torch.Tensor:
    """|F(G(x)) - x|_1 + |G(F(y)) - y|_1, each a mean over pixels (Zhu et al. 2017, eq. 2);
    ``fake_y`` = G(x) and ``fake_x`` = F(y) when already computed."""
    fake_y = G(x) if fake_y is None else fake_y
    fake_x = F_(y) if fake_x is None else fake_x
    return (F_(fake_y) - x).abs().mean() + (G(fake_x) - y).abs().mean()


def identity_loss(G, F_, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """|G(y) - y|_1 + |F(x) - x|_1: each generator fed an image of its *output* domain
    (Zhu et al. 2017, section 5.2; Taigman et al. 2017)."""
    return (G(y) - y).abs().mean() + (F_(x) - x).abs().mean()


def train_translation(cfg: TranslationConfig, domains: Domains, device: str = "cpu") -> Trained:
    """Train ``cfg.method`` on ``domains`` (which must be of ``cfg.transform``) on ``device``;
    the returned networks are on the CPU. Batches are drawn on the CPU from the seed, so a
    seed means the same batches on any device."""
    if domains.transform != cfg.transform:
        raise ValueError(f"the domains are of transform {domains.transform!r}, the config asks for {cfg.transform!r}")
    t0 = time.process_time()
    if cfg.method == "identity":
        return Trained(cfg, torch.nn.Identity(), None, 0.0)
    gen = torch.Generator().manual_seed(cfg.seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        G = Translator(cfg.width)
        F_ = Translator(cfg.width) if cfg.method in CYCLE else None
        D_y = PatchDiscriminator(2 if cfg.method == "pix2pix" else 1, cfg.width) if cfg.method != "l1-only" else None
        D_x = PatchDiscriminator(1, cfg.width) if cfg.method in CYCLE else None
    dev = torch.device(device)
    for net in (G, F_, D_y, D_x):
        if net is not None:
            net.to(dev)
    g_params = list(G.parameters()) + (list(F_.parameters()) if F_ is not None else [])
    d_params = [p for d in (D_y, D_x) if d is not None for p in d.parameters()]
    opt_g = torch.optim.Adam(g_params, lr=cfg.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d_params, lr=cfg.lr, betas=(0.5, 0.999)) if d_params else None
    xs, ys = domains.x_train.to(dev), domains.y_train.to(dev)
    px, py = (t.to(dev) for t in domains.pairs)
    n, b = len(xs), cfg.batch_size
    for _ in range(cfg.steps):
        i = torch.randint(n, (b,), generator=gen).to(dev)
        j = torch.randint(len(ys), (b,), generator=gen).to(dev)  # independent: unpaired
        if cfg.method in PAIRED:
            x, y = px[i], py[i]
            fake = G(x)
            loss_g = cfg.lam_l1 * (fake - y).abs().mean() if cfg.method == "pix2pix" else (fake - y).abs().mean()
            if cfg.method == "pix2pix":
                loss_g = loss_g + least_squares_loss_gen(D_y(torch.cat([x, fake], 1)))
        else:
            x, y = xs[i], ys[j]
            fake_y, fake_x = G(x), F_(y)
            loss_g = least_squares_loss_gen(D_y(fake_y)) + least_squares_loss_gen(D_x(fake_x))
            if cfg.method != "gan-only":
                loss_g = loss_g + cfg.lam_cycle * cycle_loss(G, F_, x, y, fake_y, fake_x)
            if cfg.method == "cyclegan-identity":
                loss_g = loss_g + cfg.lam_identity * cfg.lam_cycle * identity_loss(G, F_, x, y)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        if opt_d is None:
            continue
        if cfg.method == "pix2pix":
            loss_d = least_squares_loss_dis(D_y(torch.cat([x, y], 1)), D_y(torch.cat([x, fake.detach()], 1)))
        else:
            loss_d = least_squares_loss_dis(D_y(y), D_y(fake_y.detach())) + least_squares_loss_dis(D_x(x), D_x(fake_x.detach()))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
    return Trained(cfg, G.cpu().eval(), F_.cpu().eval() if F_ is not None else None, time.process_time() - t0)
