"""Training tricks, measured (chapter 12).

- :mod:`~gantools.tricks.theory`: what a trick does to the game, exactly (label smoothing's
  optimal discriminator and gradient, instance noise as a convolution, averaging a cycling game).
- :mod:`~gantools.tricks.bench`: the tricks as settings of the toy and image trainers, the
  ablation protocol with intervals from :mod:`gantools.stats`, and the committed reference of ``bench/tricks.py``.
"""

from .bench import TRICKS, trick_config

__all__ = ["TRICKS", "trick_config"]
