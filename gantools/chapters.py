"""The book's chapter manifest: one table of chapters that the pages, the toc and the code follow.

``CHAPTERS`` is the only hand-written list of chapters (number, slug, title, part, summary,
device, minutes, exercise module, and the package folders that hold the chapter's code).
:mod:`gantools.pages` regenerates the pages' chapter lists from it (``python -m gantools.pages
--write``) and ``tests/test_chapters.py`` checks the rest. ``HAND_EDITED`` names the existing
files that a new chapter still edits by hand (CONTRIBUTING.md, "Adding a chapter", lists the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Chapter:
    """One chapter of the book."""

    number: int
    slug: str  # "adversarial_game": the notebook is book/01_adversarial_game.ipynb
    title: str  # the notebook's "# N. Title" heading, without "N. "
    part: str  # its part: the caption in _toc.yml
    summary: str  # one line: what it covers (how_to_use's list, the README)
    outcome: str  # "you will be able to ..." (the intro's table)
    device: str  # "CPU", or "GPU" when its full branch (FULL = True) wants a GPU
    minutes: int  # its CPU-mode budget in minutes (DESIGN.md: theory <= 1, training <= 3); not measured
    exercises: str  # its checks: the module gantools.exercises.<exercises>
    code: tuple[str, ...]  # the gantools modules or subpackages that hold its code
    # GPU chapters: what a 30-step run of the full branch on a CPU must leave (tests/test_full_branch.py):
    # "run:NAME", the run directory it trains under $GANTOOLS_DATA/runs, or lines it prints
    full_branch: tuple[str, ...] = ()

    @property
    def notebook(self) -> str:
        """The chapter's file name in book/."""
        return f"{self.number:02d}_{self.slug}.ipynb"


FOUND, HARD, IMAGES, COND, TRICKS, TRANS, FAMILIES = ("Foundations", "Why GANs are hard to train", "GANs on images", "Conditional GANs",
                       "What helps, measured", "Image-to-image translation", "GANs among generative models")

CHAPTERS: tuple[Chapter, ...] = (
    Chapter(1, "adversarial_game", "The adversarial game", FOUND,
            "the players, the value function, Algorithm 1.",
            "write down G, D, the pushforward $p_g$ and the value function; run Algorithm 1 and see why its "
            "losses do not measure quality", "CPU", 3, "adversarial_game", ("toy", "theory", "monitor")),
    Chapter(2, "optimal_discriminator", "The optimal discriminator", FOUND,
            "$D^*$ and what a trained discriminator learns.",
            "derive $D^*$, read its logit as a log density ratio, and know where a trained D matches it",
            "CPU", 3, "optimal_discriminator", ("theory", "losses", "toy")),
    Chapter(3, "jsd_identity", "The JSD identity", FOUND,
            "what the generator minimises when $D$ is optimal.",
            "prove $V(D^*,G) = 2\\,\\mathrm{JSD} - \\log 4$, and explain what JSD does on disjoint supports and "
            "which divergence the non-saturating loss follows", "CPU", 1, "jsd", ("theory", "distributions")),
    Chapter(4, "saturating_gradients", "Saturating vs non-saturating generator loss", HARD,
            "why the original generator loss stalls.",
            "say exactly where the minimax generator gradient vanishes (through the sigmoid, not in $D$-space), "
            "measure it on a trained discriminator, and derive what the hinge, least-squares and $f$-GAN "
            "discriminators compute", "CPU", 3, "saturation", ("losses", "theory", "toy")),
    Chapter(5, "game_dynamics", "Games are not minimisation", HARD,
            "why gradient steps on a game cycle or diverge.",
            "compute why simultaneous gradient steps spiral out of a bilinear game, which methods converge, and "
            "what regularisation does to the Dirac-GAN", "CPU", 1, "dynamics", ("games",)),
    Chapter(6, "mode_collapse", "Mode collapse", HARD,
            "why a generator covers only some modes, how to measure it, and what each fix changes.",
            "produce and measure mode collapse in 1D and on the ring and grid benchmarks, explain it by the order "
            "of min and max, and say what each fix (unrolling, packing, WGAN-GP, rejection sampling) changes",
            "CPU", 3, "mode_collapse", ("mode_collapse", "batched", "metrics", "toy")),
    Chapter(7, "wasserstein_gans", "Wasserstein GANs", HARD,
            "$W_1$, critics, and what clipping, gradient penalties and spectral normalisation really enforce.",
            "compute $W_1$ exactly (1D closed form, optimal transport in 2D), train critics with clipping, gradient "
            "penalties and spectral normalisation, and measure their Lipschitz constants",
            "CPU", 3, "wasserstein", ("wasserstein", "theory")),
    Chapter(8, "dcgan", "DCGAN", IMAGES,
            "an image GAN's architecture, training run and exact checkpoints.",
            "build and train a DCGAN on a GPU (or a short CPU run), know why each architecture guideline is there, "
            "spot checkerboard artifacts, and checkpoint and resume a run exactly",
            "GPU", 3, "dcgan", ("dcgan", "imagegan", "imagedata", "checkpoint", "runs"),
            full_branch=("run:my-dcgan-fashion-mnist",)),
    Chapter(9, "wgan_gp", "WGAN-GP on a GPU", IMAGES,
            "the WGAN-GP recipe on images, and what its critic's estimate tells you.",
            "train WGAN-GP on images, monitor its gradient penalty and Wasserstein estimate, and compare it with "
            "DCGAN at equal CPU time", "GPU", 3, "wgan_gp", ("imagegan", "dcgan", "losses", "runs"),
            full_branch=("run:wgan-gp-fashion-mnist-ch9",)),
    Chapter(10, "evaluating_gans", "Evaluating GANs", IMAGES,
            "Fréchet distance, KID, Inception Score, precision and recall, mode counting and memorisation, "
            "with their biases.",
            "compute Fréchet distance, KID with its standard error, Inception Score, precision/recall and class "
            "coverage correctly, know their biases (small-sample FD) and blind spots, and test whether a generator "
            "copies its training set", "CPU", 3, "evaluation",
            ("evaluation", "metrics", "classifier")),
    Chapter(11, "conditional_gans", "Conditional GANs", COND,
            "the label given to both players, the projection discriminator and AC-GAN, and a classifier's verdict "
            "on the Fashion-MNIST class you asked for.",
            "derive the conditional $D^*(x \\mid y)$ and the projection discriminator, train a conditional DCGAN "
            "that makes the Fashion-MNIST class you ask for (a sandal, a coat), judge it with an independent "
            "classifier, and catch a generator that ignores its label",
            "GPU", 3, "conditional", ("conditional", "imagegan", "classifier"),
            full_branch=("run:my-cdcgan-fashion-mnist",)),
    Chapter(12, "training_tricks", "Training tricks, measured", TRICKS,
            "what label smoothing, instance noise and weight averaging do to the game, and an ablation of ten "
            "tricks with intervals.",
            "derive what label smoothing, instance noise and weight averaging do to the game, and read an ablation "
            "of ten tricks with intervals over ten seeds: which help, by how much, and where no effect is detected",
            "CPU", 3, "tricks", ("tricks", "ringgrid", "stats")),
    Chapter(13, "image_translation", "Image-to-image translation", TRANS,
            "pix2pix and CycleGAN scored against a known true translation, and what the cycle loss does and does "
            "not pin down.",
            "train pix2pix and CycleGAN on domains whose true translation is known, score every map by class kept, "
            "pixel error and cycle error, and show why neither the adversarial nor the cycle loss pins down the "
            "right map", "GPU", 3, "translation", ("translation", "classifier"),
            full_branch=("cyclegan  30 steps: class kept", "full runs (30 steps)")),
    Chapter(14, "generative_families", "GANs among generative models", FAMILIES,
            "the ELBO, a VAE and a diffusion model on the book's benchmarks, the cost of sampling in network "
            "evaluations, and the comparison table rebuilt from measurements.",
            "derive the ELBO and check it on exact toys, train a VAE and a diffusion model under chapter 6's "
            "protocol, measure the quality-versus-NFE curve of DDIM, and rebuild the usual GAN/VAE/diffusion "
            "comparison table from measurements", "GPU", 3, "families", ("families", "ringgrid", "stats"),
            full_branch=("full runs (30 steps)", "fashion-mnist vae-noise 30 steps: FD", "fashion-mnist diffusion-nfe100 30 steps: FD")),
)

# The existing files a new chapter edits by hand; everything else is generated or checked.
HAND_EDITED = ("gantools/chapters.py", "gantools/exercises/registry.py", "book/interview_questions.md",
               "book/references.bib")

NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                "sixteen seventeen eighteen nineteen twenty").split()


def by_number(number: int) -> Chapter:
    """The chapter with this number."""
    return next(c for c in CHAPTERS if c.number == number)


def enumerate_numbers(numbers: list[int]) -> str:
    """[8, 9, 11] -> '8, 9 and 11'."""
    s = [str(n) for n in numbers]
    return s[0] if len(s) == 1 else ", ".join(s[:-1]) + " and " + s[-1]
