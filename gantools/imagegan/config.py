"""What determines a run: :class:`TrainConfig`, and :func:`config_for` with each model's defaults."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from ..augment import AUGMENTS, DEFAULT_POLICY, parse_policy
from ..configs import Config
from ..dcgan import DCGANConfig
from ..imagedata import CHANNELS, check_dataset
from .models import REGISTRY, get_model
from .precision import AMP_MODES


@dataclass(frozen=True)
class TrainConfig(Config):
    """Everything that determines a run's numbers (resuming requires the same config,
    except ``steps``, which may grow). Use :func:`config_for` for the model defaults."""

    model: str = "dcgan"  # a name of the model registry: dcgan | wgan-gp | cdcgan
    conditioning: str | None = None  # conditional models: concat | projection | acgan (None otherwise)
    shuffle_labels: bool = False  # negative control: train on labels randomly permuted across images
    dataset: str = "digits"  # digits | mnist | fashion-mnist | cifar10
    image_size: int = 32  # images are resized to image_size × image_size
    steps: int = 2000  # generator updates
    batch_size: int = 64  # images per batch (per process under torchrun)
    nz: int = 100  # latent dimension
    ngf: int = 64  # generator width
    ndf: int = 64  # discriminator / critic width
    upsample: str = "transposed"  # generator upsampling: transposed | resize (no checkerboard)
    lr_g: float = 2e-4  # Adam learning rate of G (DCGAN paper: 2e-4)
    lr_d: float = 2e-4  # Adam learning rate of D
    beta1: float = 0.5  # Adam beta1 (DCGAN: 0.5; WGAN-GP: 0.0)
    beta2: float = 0.999  # Adam beta2 (WGAN-GP: 0.9)
    n_critic: int = 1  # D updates per G update (WGAN-GP: 5)
    gp_weight: float = 0.0  # gradient-penalty weight lambda (WGAN-GP: 10)
    real_label: float = 1.0  # D's BCE target for real images (< 1: one-sided label smoothing)
    ema: float = 0.999  # decay of the generator's exponential moving average (0: none)
    amp: str = "auto"  # auto (bf16 or fp16 on a GPU, off on a CPU) | bf16 | fp16 | off, on any device
    channels_last: bool | None = None  # channels_last memory format; None: on with CUDA, off on a CPU
    compile: bool = False  # torch.compile G and D (first steps are slow)
    seed: int = 0  # seeds weights, noise, data order and Python's and NumPy's global RNGs
    subset: int | None = None  # train on a class-stratified subset of this many images (None: all)
    augment: str = "none"  # what D sees: none | diffaug (always) | ada (probability p, adapted)
    augment_policy: str = DEFAULT_POLICY  # the operations of gantools.augment, comma-separated
    ada_target: float = 0.6  # ADA: the target of r_t = E[sign(D(x))] on real images
    ada_kimg: float = 100.0  # ADA: thousands of images for p to move from 0 to 1 (ADA's paper: 500)
    log_every: int = 10  # steps between metrics.jsonl lines
    sample_every: int = 100  # steps between sample grids

    def __post_init__(self):
        spec = get_model(self.model)
        check_dataset(self.dataset)
        if spec.variants and self.conditioning not in spec.variants:
            raise ValueError(f"model {self.model!r} needs conditioning one of {', '.join(spec.variants)}, "
                             f"got {self.conditioning!r}")
        if not spec.variants and self.conditioning is not None:
            raise ValueError(f"conditioning applies to conditional models, and {self.model!r} is not one "
                             f"(conditional: {', '.join(n for n, s in REGISTRY.items() if s.conditional)})")
        if self.shuffle_labels and not spec.conditional:
            raise ValueError(f"shuffle_labels applies to conditional models, and {self.model!r} is not one")
        if spec.conditional and self.gp_weight > 0:
            raise ValueError("a gradient penalty is not defined for conditional models here (gp_weight must be 0)")
        if self.amp not in AMP_MODES:
            raise ValueError(f"amp must be one of {', '.join(AMP_MODES)}, got {self.amp!r}")
        if self.channels_last not in (None, True, False):
            raise ValueError(f"channels_last must be True, False or None (automatic), got {self.channels_last!r}")
        if self.channels_last and not spec.channels_last:
            raise ValueError(f"model {self.model!r} cannot take channels_last tensors; drop --channels-last")
        for f in ("steps", "batch_size", "n_critic", "log_every", "sample_every"):
            v = getattr(self, f)
            if not (isinstance(v, int) and not isinstance(v, bool) and v >= 1):
                raise ValueError(f"{f} must be a positive integer, got {v!r}")
        for f in ("lr_g", "lr_d"):
            if not (math.isfinite(getattr(self, f)) and getattr(self, f) > 0):
                raise ValueError(f"{f} must be a positive number, got {getattr(self, f)!r}")
        for f in ("ema", "beta1", "beta2"):
            if not 0 <= getattr(self, f) < 1:
                raise ValueError(f"{f} must be in [0, 1), got {getattr(self, f)!r}")
        if not (isinstance(self.real_label, (int, float)) and 0 < self.real_label <= 1):
            raise ValueError(f"real_label (the smoothing target for real images) must be in (0, 1], "
                             f"got {self.real_label!r}")
        if self.real_label != 1 and spec.d_loss != "bce":
            raise ValueError(f"real_label smooths the BCE targets; model {self.model!r} has the {spec.d_loss} loss")
        if not self.gp_weight >= 0:
            raise ValueError(f"gp_weight must be >= 0, got {self.gp_weight!r}")
        if self.subset is not None and not (isinstance(self.subset, int) and not isinstance(self.subset, bool)
                                            and self.subset >= 1):
            raise ValueError(f"subset must be a positive number of images, got {self.subset!r}")
        if self.augment not in AUGMENTS:
            raise ValueError(f"augment must be one of {', '.join(AUGMENTS)}, got {self.augment!r}")
        parse_policy(self.augment_policy)
        if not 0 < self.ada_target < 1 or not self.ada_kimg > 0:
            raise ValueError(f"ada_target must be in (0, 1) and ada_kimg > 0, got {self.ada_target!r}, {self.ada_kimg!r}")
        self.arch()  # validates the architecture fields

    def arch(self) -> DCGANConfig:
        """The network architecture this config trains."""
        return DCGANConfig(image_size=self.image_size, channels=CHANNELS[self.dataset], nz=self.nz,
                           ngf=self.ngf, ndf=self.ndf, upsample=self.upsample, d_norm=get_model(self.model).d_norm)


# Fields added after runs were first written, with the value that reproduces how those runs
# trained: a config (or checkpoint) without them is completed with these on reading.
LATER_FIELDS = {"real_label": 1.0, "subset": None, "augment": "none", "augment_policy": DEFAULT_POLICY,
                "ada_target": 0.6, "ada_kimg": 100.0}


def complete_config(saved: dict) -> dict:
    """A saved config dict with the fields added since it was written (:data:`LATER_FIELDS`)."""
    return {**LATER_FIELDS, **saved}


def config_for(model: str = "dcgan", dataset: str = "digits", **overrides) -> TrainConfig:
    """The registry's defaults for ``model`` (its paper's hyper-parameters), then ``overrides``.

    DCGAN: Radford et al.'s Adam(2e-4, β=(0.5, 0.999)). WGAN-GP: Gulrajani et al.'s
    Adam(1e-4, β=(0, 0.9)), 5 critic steps, λ = 10, layer norm in the critic. On
    ``digits`` (8×8 images upsampled) half-width networks (32) suffice.
    """
    base = {"model": model, **get_model(model).defaults, "dataset": check_dataset(dataset)}
    if dataset == "digits":
        base.update(ngf=32, ndf=32)
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown config field(s): {', '.join(unknown)}")
    return TrainConfig(**{**base, **overrides})
