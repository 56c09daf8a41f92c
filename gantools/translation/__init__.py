"""Image-to-image translation with a known ground truth (chapter 13).

- :mod:`~gantools.translation.domains`: digits X and transformed digits Y (rot90, dilate),
  unpaired for training, with every test image's true partner known.
- :mod:`~gantools.translation.models`: the translator (a small U-Net) and the PatchGAN.
- :mod:`~gantools.translation.trainer`: identity, l1-only, pix2pix, gan-only, cyclegan,
  cyclegan-identity on the same networks and budget.
- :mod:`~gantools.translation.scores`: class kept, pixel error, cycle error, FD in Y.
- :mod:`~gantools.translation.bench`: the protocol of ``bench/translation.py`` and its reference.
"""

from .domains import TRANSFORMS, apply_transform, make_domains
from .trainer import METHODS, TranslationConfig, train_translation

__all__ = ["TRANSFORMS", "METHODS", "TranslationConfig", "apply_transform", "make_domains", "train_translation"]
