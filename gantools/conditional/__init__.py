"""Conditional GANs (chapter 11): one folder for the chapter's code.

- :mod:`~gantools.conditional.theory`: the conditional game on a line, exact up to quadrature
  (D*(x, y), the joint JSD, projection's optimal form).
- :mod:`~gantools.conditional.toy`: toy conditional GANs on that line, concat, projection,
  AC-GAN and a shuffled-label control, many seeds at once.
- :mod:`~gantools.conditional.scores`: does a conditional image generator make the class it is
  asked for (an independent classifier's per-class accuracy, FD, precision and recall).
- :mod:`~gantools.conditional.bench`: the measurements behind the chapter's tables, shared by
  ``bench/conditional.py`` and the chapter, and their committed reference.

The image models themselves (concat and projection discriminators, AC-GAN's head) are
settings of the image trainer: :mod:`gantools.imagegan.conditional`.
"""
