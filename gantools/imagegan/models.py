"""The model registry: what a model name means to the trainer.

A model is its networks, its losses and the hyper-parameters of the paper that
introduced it. The training loop (:mod:`gantools.imagegan.trainer`) never branches on a
model's name: it asks the registry. A new model is one :func:`register` call.

=========  =========================================  =====================================
name       losses (on logits / critic scores)          defaults (:func:`config_for` applies)
=========  =========================================  =====================================
dcgan      D: BCE; G: non-saturating −log D(G(z))      Adam(2e-4, β=(0.5, 0.999)), batch-norm D
wgan-gp    critic: E f(G(z)) − E f(x) + λ·penalty;     Adam(1e-4, β=(0, 0.9)), 5 critic steps,
           G: −E f(G(z))                               λ = 10, layer-norm critic
cdcgan     as dcgan, on (image, label) pairs; AC-GAN   DCGAN's; ``conditioning`` concat |
           adds the class cross-entropy to both        projection (default) | acgan
sngan      D: hinge; G: −E f(G(z)); every D weight     DCGAN's, no normalisation layer in D
           divided by its spectral norm (Miyato 2018)
stylegan   as dcgan: DCGAN's D; G style-based          DCGAN's (the same tuning as dcgan)
           (mapping, modulated convs, noise; ch. 15)
=========  =========================================  =====================================

``TrainConfig.real_label`` < 1 turns a BCE model's discriminator loss into one-sided label
smoothing (:func:`gantools.losses.smoothed_bce_loss_dis`).

A conditional model (``conditional=True``) has a generator ``G(z, y)``; its
discriminator takes the label too unless ``d_takes_label`` is False (AC-GAN), and with
``aux_weight > 0`` it returns ``(logits, class_logits)`` and both players add
``aux_weight`` × the class cross-entropy (Odena et al. 2017: on real *and* generated
images for D). ``variants`` maps ``TrainConfig.conditioning`` to field overrides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from .. import losses
from ..dcgan import DCGANConfig, Discriminator, Generator
from ..imagedata import N_CLASSES
from .conditional import DISCRIMINATORS, ConditionalGenerator
from .stylegan import StyleGenerator


class BuildConfig(Protocol):
    """What the registry reads of a :class:`gantools.imagegan.config.TrainConfig` (which
    imports this module to check model names: the registry does not import it back)."""

    @property
    def dataset(self) -> str: ...

    @property
    def conditioning(self) -> str | None: ...

    def arch(self) -> DCGANConfig: ...


def _dcgan_generator(cfg: BuildConfig) -> nn.Module:
    return Generator(cfg.arch())


def _dcgan_pair(cfg: BuildConfig) -> tuple[nn.Module, nn.Module]:
    return Generator(cfg.arch()), Discriminator(cfg.arch())


def _sngan_pair(cfg: BuildConfig) -> tuple[nn.Module, nn.Module]:
    """DCGAN's networks, with every convolution of D spectrally normalised (one power
    iteration per forward in training, as in Miyato et al. 2018)."""
    d = Discriminator(cfg.arch())
    for module in list(d.modules()):
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            spectral_norm(module)
    return Generator(cfg.arch()), d


def _stylegan_generator(cfg: BuildConfig) -> nn.Module:
    return StyleGenerator(cfg.arch())


def _stylegan_pair(cfg: BuildConfig) -> tuple[nn.Module, nn.Module]:
    """The style-based generator against DCGAN's discriminator: only G differs from dcgan."""
    return StyleGenerator(cfg.arch()), Discriminator(cfg.arch())


def _conditional_generator(cfg: BuildConfig) -> nn.Module:
    return ConditionalGenerator(cfg.arch(), N_CLASSES[cfg.dataset])


def _conditional_pair(cfg: BuildConfig) -> tuple[nn.Module, nn.Module]:
    return _conditional_generator(cfg), DISCRIMINATORS[cfg.conditioning](cfg.arch(), N_CLASSES[cfg.dataset])


@dataclass(frozen=True)
class ModelSpec:
    """One entry of the registry."""

    name: str  # what --model takes
    summary: str  # one line for --help and error messages
    d_loss: str  # a name of gantools.losses.discriminator_loss
    g_loss: str  # a name of gantools.losses.generator_loss
    d_norm: str  # the discriminator's normalisation: batch | layer | none
    defaults: dict = field(default_factory=dict)  # TrainConfig fields the paper sets
    build: Callable[[BuildConfig], tuple[nn.Module, nn.Module]] = _dcgan_pair  # (G, D) for a config
    build_generator: Callable[[BuildConfig], nn.Module] = _dcgan_generator  # G alone, to load a trained one
    channels_last: bool = True  # the networks take 4-D channels_last tensors
    scores_are_logits: bool = True  # D outputs logits: the log shows sigmoid(score) as D(x), D(G(z))
    conditional: bool = False  # G(z, y): trained on (image, label) pairs
    d_takes_label: bool = False  # D(x, y) rather than D(x)
    aux_weight: float = 0.0  # weight of the auxiliary class cross-entropy (AC-GAN: 1)
    variants: dict = field(default_factory=dict)  # conditioning -> field overrides

    def for_config(self, cfg: BuildConfig) -> ModelSpec:
        """This entry with the overrides of ``cfg.conditioning`` applied."""
        return replace(self, **self.variants[cfg.conditioning]) if self.variants else self

    def adversarial(self, out) -> Tensor:
        """The adversarial logit / critic score ``(N,)`` of a discriminator output."""
        return out[0] if self.aux_weight else out

    def d_objective(self, out_real, out_fake, y_real: Tensor | None, y_fake: Tensor | None,
                    real_label: float = 1.0) -> Tensor:
        """The discriminator's loss (to minimise) on its outputs for a real and a fake batch;
        ``real_label`` < 1: one-sided label smoothing of the BCE."""
        real, fake = self.adversarial(out_real).float(), self.adversarial(out_fake).float()
        if real_label != 1.0:
            loss = losses.smoothed_bce_loss_dis(real, fake, real_label=real_label)
        else:
            loss = losses.discriminator_loss(self.d_loss)(real, fake)
        if self.aux_weight:  # AC-GAN: D also classifies, the generated images included
            loss = loss + self.aux_weight * (F.cross_entropy(out_real[1].float(), y_real)
                                             + F.cross_entropy(out_fake[1].float(), y_fake))
        return loss

    def g_objective(self, out_fake, y_fake: Tensor | None) -> Tensor:
        """The generator's loss (to minimise) on D's output for its batch."""
        loss = losses.generator_loss(self.g_loss)(self.adversarial(out_fake).float())
        if self.aux_weight:  # AC-GAN: G wants its images classified as the asked-for class
            loss = loss + self.aux_weight * F.cross_entropy(out_fake[1].float(), y_fake)
        return loss


REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Add ``spec`` to the registry (a name may be registered once)."""
    if spec.name in REGISTRY:
        raise ValueError(f"model {spec.name!r} is already registered")
    losses.discriminator_loss(spec.d_loss), losses.generator_loss(spec.g_loss)  # unknown names fail here
    REGISTRY[spec.name] = spec
    return spec


def get_model(name: str) -> ModelSpec:
    """The registry entry for ``name`` (``ValueError`` naming the choices otherwise)."""
    if name not in REGISTRY:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(REGISTRY)}")
    return REGISTRY[name]


def model_names() -> tuple[str, ...]:
    return tuple(REGISTRY)


DCGAN_DEFAULTS = {"lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "beta2": 0.999, "n_critic": 1, "gp_weight": 0.0}
register(ModelSpec(
    name="dcgan", summary="DCGAN (Radford et al. 2016): BCE discriminator, non-saturating generator loss",
    d_loss="bce", g_loss="non_saturating", d_norm="batch", defaults=DCGAN_DEFAULTS))
register(ModelSpec(
    name="wgan-gp", summary="WGAN-GP (Gulrajani et al. 2017): Wasserstein critic with a gradient penalty",
    d_loss="wasserstein", g_loss="wasserstein", d_norm="layer", scores_are_logits=False,
    defaults={"lr_g": 1e-4, "lr_d": 1e-4, "beta1": 0.0, "beta2": 0.9, "n_critic": 5, "gp_weight": 10.0}))
register(ModelSpec(
    name="sngan", summary="SNGAN (Miyato et al. 2018): spectrally normalised discriminator, hinge loss",
    d_loss="hinge", g_loss="hinge", d_norm="none", scores_are_logits=False, defaults=DCGAN_DEFAULTS,
    build=_sngan_pair))
register(ModelSpec(
    name="cdcgan", summary="conditional DCGAN: G(z, y); D sees y by concat, projection or an AC-GAN class head",
    d_loss="bce", g_loss="non_saturating", d_norm="batch", conditional=True,
    defaults={**DCGAN_DEFAULTS, "conditioning": "projection"},
    build=_conditional_pair, build_generator=_conditional_generator,
    variants={"concat": {"d_takes_label": True}, "projection": {"d_takes_label": True},
              "acgan": {"d_takes_label": False, "aux_weight": 1.0}}))
register(ModelSpec(
    name="stylegan", summary="a small style-based generator (Karras et al. 2019, 2020) against DCGAN's discriminator",
    d_loss="bce", g_loss="non_saturating", d_norm="batch", defaults=DCGAN_DEFAULTS,
    build=_stylegan_pair, build_generator=_stylegan_generator, channels_last=False))
