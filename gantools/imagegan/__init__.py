"""Train image GANs: one loop for every model of a registry (chapters 8 and 9).

- :mod:`~gantools.imagegan.config`: :class:`TrainConfig` and :func:`config_for` (a model's defaults);
- :mod:`~gantools.imagegan.models`: the registry — each model's networks, losses and defaults;
- :mod:`~gantools.imagegan.precision`: mixed precision, ``channels_last``, ``torch.compile``;
- :mod:`~gantools.imagegan.trainer`: the loop, with callbacks, checkpoints and exact resume;
- :mod:`~gantools.imagegan.checkpointing`: the trainer's checkpoint and exact resume from it;
- :mod:`~gantools.imagegan.machine`: what a run ran on (``run.json``) and its training clock;
- :mod:`~gantools.imagegan.sampling`: load a trained generator, draw images, sample grids;
- :mod:`~gantools.imagegan.evaluate`: :func:`evaluate_run`, a run's generator scored by
  :mod:`gantools.evaluation`.
"""

from dataclasses import replace

from .conditional import CONDITIONINGS
from .config import TrainConfig, config_for
from .evaluate import evaluate_run
from .models import REGISTRY, ModelSpec, get_model, model_names, register
from .precision import AMP_MODES, Precision, compile_problem, resolve_precision
from .sampling import fixed_batch, generate, grid_image, load_generator, recalibrate_bn, save_grid
from .trainer import STATS, ImageGANTrainer, TrainingDiverged, hardware, train

__all__ = ["AMP_MODES", "CONDITIONINGS", "fixed_batch", "REGISTRY", "STATS", "ImageGANTrainer", "ModelSpec", "Precision", "TrainConfig",
           "TrainingDiverged", "compile_problem", "config_for", "evaluate_run", "generate", "get_model", "grid_image", "hardware",
           "load_generator", "model_names", "recalibrate_bn", "register", "replace", "resolve_precision", "save_grid",
           "train"]
