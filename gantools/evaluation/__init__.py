"""Evaluating image GANs (chapter 10): one folder for the chapter's code, and the scorer every
image chapter and the trainer use (the shared floor: it imports no chapter and nothing of
:mod:`gantools.imagegan`).

- :mod:`~gantools.evaluation.scores`: :class:`ImageScorer` and :func:`evaluate_images`, the
  Fréchet distance, KID, precision/recall and class coverage of generated images in the
  classifier's features, beside the yardsticks (real vs real, blurred real); what
  ``python -m gantools evaluate RUN`` prints (:func:`gantools.imagegan.evaluate_run`).
- :mod:`~gantools.evaluation.kid`: the kernel (MMD²) distance and its jackknife error.
- :mod:`~gantools.evaluation.memorisation`: nearest-neighbour distances against held-out images.

The metric mathematics shared with the toy chapters (Fréchet distance, precision/recall, mode
coverage) is :mod:`gantools.metrics`; the feature extractor is :mod:`gantools.classifier`.
"""

from .scores import BLUR_SIGMA, ImageScorer, evaluate_images, gaussian_blur, yardstick_table

__all__ = ["BLUR_SIGMA", "ImageScorer", "evaluate_images", "gaussian_blur", "yardstick_table"]
