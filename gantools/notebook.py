"""The helper behind every chapter's setup cell."""

from __future__ import annotations

import os
import random
import sys

import numpy as np


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules


def setup(seed: int = 0, quiet: bool = False):
    """Seed Python, NumPy and torch, apply the book's figure style, and return the
    device to train on (CUDA when available). Set ``GANTOOLS_DEVICE=cpu`` to force CPU."""
    import torch

    from .plotting import use_book_style

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    use_book_style()
    wanted = os.environ.get("GANTOOLS_DEVICE")
    device = torch.device(wanted or ("cuda" if torch.cuda.is_available() else "cpu"))
    if not quiet:
        where = "Colab" if in_colab() else "local"
        print(f"gantools ready ({where}, device={device}, torch {torch.__version__}, seed={seed})")
    return device


def full_run_steps(steps: int) -> int | None:
    """The generator steps of a GPU chapter's full run, or None for its short CPU branch.

    ``steps`` when a CUDA GPU is available; ``N`` on any device when the environment
    variable ``GANTOOLS_FULL_STEPS=N`` is set (how CI runs the full branch on its CPU);
    None otherwise.
    """
    import torch

    forced = os.environ.get("GANTOOLS_FULL_STEPS", "").strip()
    if forced:
        if not (forced.isdigit() and int(forced) >= 1):
            raise ValueError(f"GANTOOLS_FULL_STEPS must be a positive integer, got {forced!r}")
        return int(forced)
    return steps if torch.cuda.is_available() else None


def solution(markdown: str):
    """Show a worked solution written in Markdown + LaTeX.

    A Markdown cell cannot be hidden behind a click in the rendered book, so prose
    solutions live in a code cell tagged ``solution``, ``remove-input`` and
    ``hide-output``: the book shows a "Show solution" toggle, Jupyter and Colab render
    the Markdown below the cell, and the student edition drops the cell. Put display
    math (``$$ ... $$``) on lines of its own.
    """
    from IPython.display import Markdown

    return Markdown(markdown)
