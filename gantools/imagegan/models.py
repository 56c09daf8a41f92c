"""The model registry: what a model name means to the trainer.

A model is its networks, its two losses and the hyper-parameters of the paper that
introduced it. The training loop (:mod:`gantools.imagegan.trainer`) never branches on
a model's name: it asks the registry. A new model is one :func:`register` call.

=========  =======================================  ====================================
name       losses (on logits / critic scores)        defaults (:func:`config_for` applies)
=========  =======================================  ====================================
dcgan      D: BCE; G: non-saturating −log D(G(z))    Adam(2e-4, β=(0.5, 0.999)), batch-norm D
wgan-gp    critic: E f(G(z)) − E f(x) + λ·penalty;   Adam(1e-4, β=(0, 0.9)), 5 critic steps,
           G: −E f(G(z))                             λ = 10, layer-norm critic
=========  =======================================  ====================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from torch import nn

from .. import losses
from ..dcgan import Discriminator, Generator

if TYPE_CHECKING:
    from .config import TrainConfig


def _dcgan_generator(cfg: TrainConfig) -> nn.Module:
    return Generator(cfg.arch())


def _dcgan_pair(cfg: TrainConfig) -> tuple[nn.Module, nn.Module]:
    return Generator(cfg.arch()), Discriminator(cfg.arch())


@dataclass(frozen=True)
class ModelSpec:
    """One entry of the registry."""

    name: str  # what --model takes
    summary: str  # one line for --help and error messages
    d_loss: str  # a name of gantools.losses.discriminator_loss
    g_loss: str  # a name of gantools.losses.generator_loss
    d_norm: str  # the discriminator's normalisation: batch | layer | none
    defaults: dict = field(default_factory=dict)  # TrainConfig fields the paper sets
    build: Callable[[TrainConfig], tuple[nn.Module, nn.Module]] = _dcgan_pair  # (G, D) for a config
    build_generator: Callable[[TrainConfig], nn.Module] = _dcgan_generator  # G alone, to load a trained one
    channels_last: bool = True  # the networks take 4-D channels_last tensors
    scores_are_logits: bool = True  # D outputs logits: the log shows sigmoid(score) as D(x), D(G(z))

    def losses(self) -> tuple[Callable, Callable]:
        """(discriminator loss, generator loss) as functions of scores."""
        return losses.discriminator_loss(self.d_loss), losses.generator_loss(self.g_loss)


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


register(ModelSpec(
    name="dcgan", summary="DCGAN (Radford et al. 2016): BCE discriminator, non-saturating generator loss",
    d_loss="bce", g_loss="non_saturating", d_norm="batch",
    defaults={"lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "beta2": 0.999, "n_critic": 1, "gp_weight": 0.0}))
register(ModelSpec(
    name="wgan-gp", summary="WGAN-GP (Gulrajani et al. 2017): Wasserstein critic with a gradient penalty",
    d_loss="wasserstein", g_loss="wasserstein", d_norm="layer", scores_are_logits=False,
    defaults={"lr_g": 1e-4, "lr_d": 1e-4, "beta1": 0.0, "beta2": 0.9, "n_critic": 5, "gp_weight": 10.0}))
