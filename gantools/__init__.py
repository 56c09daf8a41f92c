"""gantools: the companion package of *GANs from First Principles*.

The map (``gantools.chapters.CHAPTERS`` says which chapter uses which part):

**A chapter's own code, one folder each** (a chapter with a single module keeps it flat):
``games`` (5, bilinear games and the Dirac-GAN), ``mode_collapse/`` (6), ``wasserstein`` (7),
``conditional/`` (11), ``tricks/`` (12), ``translation/`` (13), ``families/`` (14). Inside a folder
the modules have the same role names: ``theory`` (exact results), ``models``, ``trainer``,
``scores`` (measurements), ``bench`` (the protocol behind the chapter's tables and its
committed reference).

**The shared floor**, which imports no chapter folder:

- the GANs every chapter trains: ``toy`` + ``monitor`` (one 1D/2D toy GAN, chapters 1-4),
  ``batched/`` (many toy GANs at once), ``dcgan`` + ``imagegan/`` (image GANs from chapter 8 on,
  the style-based one included), ``ringgrid`` (the ring and grid benchmark, chapters 6, 12, 14);
- the mathematics: ``distributions`` (exact densities), ``theory`` (1D divergences by quadrature),
  ``losses`` (GAN losses on logits, penalties), ``metrics`` (Fréchet distance, precision/recall,
  mode coverage), ``evaluation/`` (chapter 10: scoring images, KID, memorisation),
  ``classifier`` (the feature extractor), ``latent`` (lerp/slerp, path length, inversion),
  ``augment`` (what D sees: DiffAugment, ADA), ``stats`` (the book's intervals and verdicts);
- data: ``imagedata`` and ``idx`` (digits, Fashion-MNIST), ``runs`` (the committed reference runs);
- plumbing: ``checks`` (argument checks, the one-line CLI parser), ``configs`` (what every config
  shares), ``checkpoint`` (atomic writes, safe loads), ``benchkit`` (the bench scripts'
  scaffolding and reference files), ``plotting``, ``widgets`` (live explorers) and ``twins``
  (their kernel-free twins on the page), ``notebook`` (the setup cell),
  ``facts`` (the numbers the pages quote).

**The book's machinery**, above the chapters: ``chapters`` (the manifest), ``pages`` (the pages
generated from it), ``exercises/`` (the checks), ``grading/`` (the grader), ``student`` (the
student edition) and ``__main__`` (the command line).
"""

__version__ = "0.2.0"

from . import distributions, losses, theory  # noqa: F401  (light, always wanted)

__all__ = ["distributions", "losses", "theory", "__version__"]
