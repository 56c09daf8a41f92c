"""gantools: the companion package of *GANs from First Principles*.

Modules: ``distributions`` (exact densities), ``theory`` (1D divergences by quadrature),
``losses`` (GAN losses on logits, gradient penalty), ``toy`` (1D/2D toy GAN training),
``monitor`` (training snapshots and animations), ``games`` (bilinear games and the
Dirac-GAN), ``plotting``
(the book's figure style and animations), ``widgets`` (ipywidgets explorers),
``exercises`` (checks for the exercises), ``notebook`` (the setup cell's helper),
``stats`` (the book's intervals and verdict words).
"""

__version__ = "0.2.0"

from . import distributions, losses, theory  # noqa: F401  (light, always wanted)

__all__ = ["distributions", "losses", "theory", "__version__"]
