"""The recipe of a batched toy GAN: :class:`BatchedGANConfig`, one frozen dataclass whose
fields are the architecture, the optimiser and every fix for mode collapse (chapter 6) and
training trick (chapter 12) that :class:`~gantools.batched.BatchedGAN` implements."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..checks import check_ints
from ..configs import Config
from ..losses import DISCRIMINATOR_LOSSES, GENERATOR_LOSSES
from .primitives import ACTIVATIONS


@dataclass(frozen=True)
class BatchedGANConfig(Config):
    """One toy-GAN recipe; every run of a :class:`~gantools.batched.BatchedGAN` trains with it."""

    data_dim: int = 2  # dimension of a data point x
    noise_dim: int = 2  # dimension of the noise z ~ N(0, noise_std^2 I)
    noise_std: float = 1.0  # standard deviation of each noise coordinate
    latent_components: int = 0  # > 0: z from a mixture of this many Gaussians (a disconnected latent)
    latent_component_std: float = 0.1  # std of each component; its means ~ N(0, I), all times noise_std
    g_hidden: int = 128  # width of the generator's hidden layers
    g_layers: int = 3  # hidden layers of the generator
    d_hidden: int = 128  # width of the discriminator's hidden layers
    d_layers: int = 3  # hidden layers of the discriminator
    g_activation: str = "relu"  # G's hidden nonlinearity: relu | leaky_relu | tanh | elu
    d_activation: str = "relu"  # D's hidden nonlinearity: relu | leaky_relu | tanh | elu
    g_loss: str = "non_saturating"  # a key of losses.GENERATOR_LOSSES
    d_loss: str = "bce"  # a key of losses.DISCRIMINATOR_LOSSES
    lr_g: float = 1e-3  # Adam learning rate of G
    lr_d: float = 1e-3  # Adam learning rate of D
    betas: tuple[float, float] = (0.5, 0.999)  # Adam betas
    lr_final: float = 1.0  # learning rates decay linearly to lr * lr_final over train()
    batch_size: int = 256  # real and fake samples per step, per run
    d_steps: int = 1  # D updates per G update
    gp_weight: float = 0.0  # lambda of the WGAN-GP penalty (10 in the paper); 0 = off
    r1_weight: float = 0.0  # gamma of the R1 penalty gamma/2 E||grad D(x)||^2; 0 = off
    spectral_norm: bool = False  # divide every D weight by its spectral norm
    pack: int = 1  # PacGAN: D scores `pack` samples concatenated (1 = no packing)
    minibatch_std: bool = False  # append the batch's mean feature std before D's last layer
    unroll_steps: int = 0  # Unrolled GAN: G's loss against D after k extra D steps
    ema: float = 0.0  # decay of an exponential moving average of G (0 = off; e.g. 0.999)
    g_batchnorm: bool = False  # batch norm before each hidden nonlinearity of G (running stats when sampling)
    bn_momentum: float = 0.05  # weight of the newest batch in batch norm's running statistics
    d_maxout: int = 1  # > 1: D's hidden units are maxout units over this many linear pieces
    init_std: float = 0.0  # > 0: weights ~ N(0, init_std^2) and biases 0; 0: nn.Linear's default
    simultaneous: bool = False  # both players step from the same state (else D first, then G)
    d_fourier: int = 0  # > 0: D's input is [x, sin 2 pi B x, cos 2 pi B x] with this many random frequencies
    d_fourier_max: float = 32.0  # their magnitudes are log-uniform in [1/4, d_fourier_max] cycles per unit
    real_label: float = 1.0  # D's BCE target for real samples (one-sided label smoothing: e.g. 0.9)
    fake_label: float = 0.0  # D's BCE target for generated samples (> 0: two-sided smoothing)
    instance_noise: float = 0.0  # std of the noise added to D's inputs at step 0, annealed to 0
    feature_matching: bool = False  # G's loss: ||mean f(x) - mean f(G(z))||^2 on D's last hidden layer
    minibatch_disc: int = 0  # > 0: kernels of minibatch discrimination before D's last layer
    minibatch_disc_dim: int = 3  # the dimension of each kernel's projection

    def __post_init__(self):
        names = ("data_dim", "noise_dim", "g_hidden", "d_hidden", "batch_size", "d_steps", "pack", "d_maxout")
        if self.d_fourier and not self.d_fourier_max > 0.25:
            raise ValueError(f"d_fourier_max must be above 1/4, got {self.d_fourier_max!r}")
        check_ints(**{k: getattr(self, k) for k in names}, minimum=1)
        check_ints(**{k: getattr(self, k) for k in ("g_layers", "d_layers", "unroll_steps", "latent_components")},
                   minimum=0)
        for name in ("lr_g", "lr_d", "noise_std"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        for name in ("gp_weight", "r1_weight", "init_std"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if not 0 < self.lr_final <= 1:
            raise ValueError(f"lr_final must be in (0, 1], got {self.lr_final!r}")
        if not 0 <= self.ema < 1:
            raise ValueError(f"ema must be in [0, 1), got {self.ema!r}")
        if not self.latent_component_std > 0:
            raise ValueError(f"latent_component_std must be positive, got {self.latent_component_std!r}")
        if not 0 < self.bn_momentum <= 1:
            raise ValueError(f"bn_momentum must be in (0, 1], got {self.bn_momentum!r}")
        if self.g_batchnorm and self.ema:
            raise ValueError("ema is not supported with g_batchnorm (the running statistics are not averaged)")
        if self.simultaneous and (self.unroll_steps or self.d_steps != 1):
            raise ValueError("simultaneous updates take one D step per G step and no unrolling")
        for name in ("g_activation", "d_activation"):
            if getattr(self, name) not in ACTIVATIONS:
                raise ValueError(f"unknown {name} {getattr(self, name)!r}; choose one of {sorted(ACTIVATIONS)}")
        if self.g_loss not in GENERATOR_LOSSES:
            raise ValueError(f"unknown generator loss {self.g_loss!r}; choose one of {sorted(GENERATOR_LOSSES)}")
        if self.d_loss not in DISCRIMINATOR_LOSSES:
            raise ValueError(f"unknown discriminator loss {self.d_loss!r}; choose one of {sorted(DISCRIMINATOR_LOSSES)}")
        if self.batch_size % self.pack:
            raise ValueError(f"batch_size ({self.batch_size}) must be a multiple of pack ({self.pack})")
        self._check_tricks()

    def _check_tricks(self) -> None:
        """The training tricks of chapter 12: label targets, instance noise, feature matching,
        minibatch discrimination."""
        if not (isinstance(self.real_label, (int, float)) and 0 < self.real_label <= 1):
            raise ValueError(f"real_label (the smoothing target for real samples) must be in (0, 1], "
                             f"got {self.real_label!r}")
        if not (isinstance(self.fake_label, (int, float)) and 0 <= self.fake_label < self.real_label):
            raise ValueError(f"fake_label (the smoothing target for fake samples) must be in [0, real_label), "
                             f"got {self.fake_label!r} with real_label {self.real_label!r}")
        if (self.real_label, self.fake_label) != (1, 0) and self.d_loss != "bce":
            raise ValueError(f"label smoothing changes the BCE targets; d_loss is {self.d_loss!r}")
        if not (isinstance(self.instance_noise, (int, float)) and self.instance_noise >= 0
                and math.isfinite(self.instance_noise)):
            raise ValueError(f"instance_noise must be a finite std >= 0, got {self.instance_noise!r}")
        check_ints(minibatch_disc=self.minibatch_disc, minimum=0)
        check_ints(minibatch_disc_dim=self.minibatch_disc_dim, minimum=1)
        if self.feature_matching and (self.unroll_steps or self.simultaneous):
            raise ValueError("feature_matching is not combined with unrolling or simultaneous updates here")
        if self.minibatch_disc and self.unroll_steps:
            raise ValueError("minibatch_disc is not combined with unrolling here")


