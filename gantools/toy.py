"""A small training core for 1D/2D toy GANs: MLP G and D, Algorithm 1 of Goodfellow
et al. (2014) split into one discriminator step and one generator step, and a loop that
calls back into the notebook (for plots, animations and exact divergences).

    cfg = ToyGANConfig(g_loss="non_saturating")
    gan = ToyGAN(cfg)
    logs = gan.train(GaussianMixture([-2, 2], 0.5), steps=2000, callbacks=[Every(100, fn)])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.special import ndtri
from torch import nn

from .checks import check_ints
from .configs import Config
from .distributions import GaussianMixture
from .losses import DISCRIMINATOR_LOSSES, GENERATOR_LOSSES, discriminator_loss, generator_loss

_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
}




@dataclass(frozen=True)
class ToyGANConfig(Config):
    """Everything that defines a toy GAN run; override with ``dataclasses.replace``."""

    data_dim: int = 1  # dimension of a data point x
    noise_dim: int = 1  # dimension of the noise z ~ N(0, I)
    hidden: int = 32  # width of every hidden layer, in G and in D
    g_layers: int = 2  # hidden layers of the generator
    d_layers: int = 2  # hidden layers of the discriminator
    activation: str = "leaky_relu"  # hidden nonlinearity: relu | leaky_relu | tanh | elu
    g_loss: str = "non_saturating"  # generator loss, a key of losses.GENERATOR_LOSSES
    d_loss: str = "bce"  # discriminator loss, a key of losses.DISCRIMINATOR_LOSSES
    lr_g: float = 1e-3  # Adam learning rate of G
    lr_d: float = 1e-3  # Adam learning rate of D
    betas: tuple[float, float] = (0.5, 0.999)  # Adam betas (0.5 as in DCGAN)
    batch_size: int = 256  # samples of x and of z per step (m in Algorithm 1)
    d_steps: int = 1  # discriminator updates per generator update (k in Algorithm 1)
    seed: int = 0  # seeds the weights, the noise and the data stream

    def __post_init__(self):
        check_ints(**{k: getattr(self, k) for k in ("data_dim", "noise_dim", "hidden", "batch_size")}, minimum=1)
        check_ints(**{k: getattr(self, k) for k in ("g_layers", "d_layers", "d_steps")}, minimum=0)
        for name in ("lr_g", "lr_d"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; choose one of {sorted(_ACTIVATIONS)}")
        if self.g_loss not in GENERATOR_LOSSES:
            raise ValueError(f"unknown generator loss {self.g_loss!r}; choose one of {sorted(GENERATOR_LOSSES)}")
        if self.d_loss not in DISCRIMINATOR_LOSSES:
            raise ValueError(f"unknown discriminator loss {self.d_loss!r}; choose one of {sorted(DISCRIMINATOR_LOSSES)}")



def mlp(in_dim: int, out_dim: int, hidden: int, layers: int, activation: str = "leaky_relu") -> nn.Sequential:
    """in_dim -> [hidden -> act] * layers -> out_dim; ``layers=0`` is an affine map."""
    mods: list[nn.Module] = []
    width = in_dim
    for _ in range(layers):
        mods += [nn.Linear(width, hidden), _ACTIVATIONS[activation]()]
        width = hidden
    mods.append(nn.Linear(width, out_dim))
    return nn.Sequential(*mods)


class ToyGAN:
    """Generator G: R^noise_dim -> R^data_dim and discriminator D: R^data_dim -> logit.

    ``D`` outputs a logit a; the probability "x is real" is sigma(a). All public sampling
    methods take and return NumPy arrays of shape (n,) in 1D or (n, d).
    """

    def __init__(self, cfg: ToyGANConfig = ToyGANConfig()):
        self.cfg = cfg
        torch.manual_seed(cfg.seed)
        self.G = mlp(cfg.noise_dim, cfg.data_dim, cfg.hidden, cfg.g_layers, cfg.activation)
        self.D = mlp(cfg.data_dim, 1, cfg.hidden, cfg.d_layers, cfg.activation)
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_g, betas=cfg.betas)
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=cfg.lr_d, betas=cfg.betas)
        self.loss_G = generator_loss(cfg.g_loss)
        self.loss_D = discriminator_loss(cfg.d_loss)
        self.noise_gen = torch.Generator().manual_seed(cfg.seed)
        self.data_rng = np.random.default_rng(cfg.seed + 1)
        self.step = 0

    # -- conversions -----------------------------------------------------------------
    def _to_torch(self, x: np.ndarray) -> torch.Tensor:
        t = torch.as_tensor(np.asarray(x, dtype=np.float32))
        return t.reshape(-1, self.cfg.data_dim)  # (n, data_dim)

    def _to_numpy(self, t: torch.Tensor) -> np.ndarray:
        a = t.detach().cpu().numpy().astype(float)
        return a[:, 0] if self.cfg.data_dim == 1 else a

    def noise(self, n: int) -> torch.Tensor:
        """z ~ N(0, I), shape (n, noise_dim), from the run's own noise stream."""
        return torch.randn(n, self.cfg.noise_dim, generator=self.noise_gen)

    # -- evaluation (no gradients) ---------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int = 1000, z: np.ndarray | torch.Tensor | None = None) -> np.ndarray:
        """n samples of G(z) (or G applied to the given z of shape (n, noise_dim))."""
        z = self.noise(n) if z is None else torch.as_tensor(z, dtype=torch.float32).reshape(-1, self.cfg.noise_dim)
        return self._to_numpy(self.G(z))

    @torch.no_grad()
    def d_logit(self, x: np.ndarray) -> np.ndarray:
        """The discriminator's logit a(x), shape (n,)."""
        return self.D(self._to_torch(x))[:, 0].double().numpy()

    def discriminator(self, x: np.ndarray) -> np.ndarray:
        """D(x) = sigma(a(x)), the probability that x is real, shape (n,)."""
        return 1.0 / (1.0 + np.exp(-self.d_logit(x)))

    # -- Algorithm 1 ------------------------------------------------------------------
    def update_D(self, x_real: np.ndarray, x_fake: np.ndarray | None = None) -> dict[str, float]:
        """One gradient step of D on a batch of real samples and one of fakes (drawn from
        G when ``x_fake`` is None)."""
        # (1) Update D: maximise log D(x) + log(1 - D(G(z))), i.e. minimise the BCE loss.
        real = self._to_torch(x_real)
        if x_fake is None:
            # detach(): this step changes D only; no gradient should flow into G.
            fake = self.G(self.noise(real.shape[0])).detach()
        else:
            fake = self._to_torch(x_fake)
        real_logits, fake_logits = self.D(real), self.D(fake)
        loss = self.loss_D(real_logits, fake_logits)
        self.opt_D.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_D.step()
        return {
            "loss_D": loss.item(),
            "D_real": torch.sigmoid(real_logits).mean().item(),
            "D_fake": torch.sigmoid(fake_logits).mean().item(),
        }

    def update_G(self, n: int | None = None) -> dict[str, float]:
        """One gradient step of G on n fresh noise samples (the batch size by default)."""
        # (2) Update G: minimise log(1 - D(G(z))) (minimax) or -log D(G(z)) (non-saturating).
        #     D is not stepped here; its parameters receive gradients that zero_grad clears.
        fake_logits = self.D(self.G(self.noise(n or self.cfg.batch_size)))
        loss = self.loss_G(fake_logits)
        self.opt_G.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_G.step()
        return {"loss_G": loss.item(), "D_fake_G": torch.sigmoid(fake_logits).mean().item()}

    def train(
        self,
        data,
        steps: int,
        callbacks: Iterable[Callable[[ToyGAN, dict], None]] = (),
    ) -> list[dict[str, float]]:
        """Algorithm 1: per step, ``d_steps`` updates of D, then one update of G.

        Args:
            data: the data distribution (anything with ``sample(n, seed)``, e.g. a
                GaussianMixture) or a function ``(n, rng) -> array``.
            steps: number of generator updates.
            callbacks: functions ``cb(gan, logs)`` called after every step; wrap one in
                :class:`Every` to call it every n steps.

        Returns:
            One dict per step: step, loss_D, D_real, D_fake, loss_G, D_fake_G.
        """
        check_ints(steps=steps, minimum=0)
        draw = data if callable(data) and not hasattr(data, "sample") else (lambda n, rng: data.sample(n, seed=rng))
        callbacks = list(callbacks)
        history = []
        for _ in range(steps):
            logs: dict[str, float] = {}
            for _ in range(self.cfg.d_steps):
                logs.update(self.update_D(draw(self.cfg.batch_size, self.data_rng)))
            logs.update(self.update_G())
            self.step += 1
            logs["step"] = self.step
            history.append(logs)
            for cb in callbacks:
                cb(self, logs)
        return history

    def generator_density(self, n: int = 2000, bandwidth: float | None = None) -> GaussianMixture:
        """A smooth estimate of p_g in 1D: a Gaussian kernel density estimate on G(z) for
        n noise values at the quantiles of N(0, 1) (deterministic, so successive estimates
        differ only because G changed). The bandwidth defaults to Silverman's rule, which
        is chosen from the overall spread and so over-smooths a multimodal p_g (a perfect
        generator of two modes 4 sd apart scores JSD ~0.03 with it): pass a bandwidth of
        about a mode's width when the estimate feeds a divergence."""
        if self.cfg.data_dim != 1:
            raise ValueError("generator_density is for 1D generators (data_dim=1)")
        if self.cfg.noise_dim == 1:
            z = ndtri((np.arange(n) + 0.5) / n)[:, None]
        else:
            z = np.random.default_rng(12345).standard_normal((n, self.cfg.noise_dim))
        x = self.sample(z=z)
        return kde(x, bandwidth)


def kde(x: np.ndarray, bandwidth: float | None = None) -> GaussianMixture:
    """A 1D Gaussian kernel density estimate as a GaussianMixture (one component per
    point). The default bandwidth is Silverman's rule 0.9 min(sd, IQR/1.34) n^(-1/5)."""
    x = np.asarray(x, dtype=float).ravel()
    if x.size == 0:
        raise ValueError("kde needs at least one point")
    if bandwidth is None:
        sd = x.std()
        iqr = np.subtract(*np.percentile(x, [75, 25]))
        spread = min(sd, iqr / 1.34) if iqr > 0 else sd
        bandwidth = 0.9 * spread * x.size ** (-0.2)
        bandwidth = max(bandwidth, 1e-3)
    return GaussianMixture(x, bandwidth)


class Every:
    """Wrap a callback so it runs on every n-th step (and step 1): ``fn(gan, logs)`` for a
    ToyGAN, ``fn(gan)`` for a :class:`~gantools.batched.BatchedGAN` (both count steps in
    ``gan.step``)."""

    def __init__(self, n: int, fn: Callable[..., None]):
        check_ints(n=n, minimum=1)
        self.n, self.fn = n, fn

    def __call__(self, gan, *args) -> None:
        if gan.step % self.n == 0 or gan.step == 1:
            self.fn(gan, *args)


def stack_logs(history: list[dict[str, float]]) -> dict[str, np.ndarray]:
    """Turn the per-step dicts of :meth:`ToyGAN.train` into one array per key."""
    keys = history[0].keys() if history else []
    return {k: np.array([h.get(k, np.nan) for h in history]) for k in keys}


def fit_discriminator(
    p_data,
    p_g,
    steps: int = 2000,
    cfg: ToyGANConfig | None = None,
    callbacks: Iterable[Callable[[ToyGAN, dict], None]] = (),
) -> ToyGAN:
    """Train only the discriminator of a ToyGAN to separate samples of ``p_data`` (label 1)
    from samples of a *fixed* ``p_g`` (label 0), ``steps`` Adam steps of the BCE loss.

    Both distributions need ``sample(n, seed)``. Returns the ToyGAN (its G is unused);
    ``gan.discriminator(x)`` then approximates D*(x) = p_data / (p_data + p_g).
    """
    cfg = cfg or ToyGANConfig(data_dim=getattr(p_data, "dim", 1))
    check_ints(steps=steps, minimum=0)
    gan = ToyGAN(cfg)
    for _ in range(steps):
        logs = gan.update_D(
            p_data.sample(cfg.batch_size, seed=gan.data_rng),
            p_g.sample(cfg.batch_size, seed=gan.data_rng),
        )
        gan.step += 1
        logs["step"] = gan.step
        for cb in callbacks:
            cb(gan, logs)
    return gan
