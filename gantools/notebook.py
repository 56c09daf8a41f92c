"""The helper behind every chapter's setup cell."""

from __future__ import annotations

import os
import random
import sys

import numpy as np


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules


HEADLESS_ENV = "GANTOOLS_HEADLESS"


def headless() -> bool:
    """True when nobody can move a widget in this execution: the book build, nbval,
    ``jupyter nbconvert --execute``, papermill, or plain Python.

    Why it matters: when a cell displays an ipywidgets ``Output`` widget, nbclient (the
    executor behind jupyter-book, nbconvert and papermill) plays the part of a front end and
    sends the widget's state back to the kernel on the shell channel while it is waiting for
    the cell's reply on that same socket. Now and then the reply's wake-up is lost (nbclient
    issue #312): the executor sleeps until the cell's timeout, and only then finds the reply
    that had been waiting all along, so the build looks hung. Headless executions therefore
    draw static views and create no ``Output`` widget (:func:`gantools.widgets.explorer`).

    Decided, in order, by ``GANTOOLS_HEADLESS`` (``1`` or ``0``; the build's ``_ext/execution.py``
    and the test suite set ``1``), by nbclient's signature (its kernels keep their history in
    ``:memory:``), and by whether there is a kernel at all. Jupyter, JupyterLab and Colab are
    live. Any other value of the variable is a ``ValueError``.
    """
    forced = os.environ.get(HEADLESS_ENV, "").strip().lower()
    if forced in ("1", "true", "yes"):
        return True
    if forced in ("0", "false", "no"):
        return False
    if forced:
        raise ValueError(f"{HEADLESS_ENV} must be 1 or 0, got {os.environ[HEADLESS_ENV]!r}")
    shell = _kernel_shell()
    if shell is None:
        return True
    history = getattr(shell, "history_manager", None)
    return str(getattr(history, "hist_file", "")) == ":memory:"


def _kernel_shell():
    """The IPython shell of a Jupyter kernel, or None (plain Python, or IPython in a terminal)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return shell if shell is not None and hasattr(shell, "kernel") else None


def inline_figures() -> bool:
    """In a Jupyter kernel, draw figures into the notebook (``%matplotlib inline``) whatever
    ``MPLBACKEND`` says; return whether it did. A kernel obeys ``MPLBACKEND`` (a reader's shell
    may export ``Agg``), and under a non-interactive backend ``plt.show()`` draws nothing: the
    book built there would have no figures at all."""
    shell = _kernel_shell()
    if shell is None:
        return False
    shell.run_line_magic("matplotlib", "inline")
    return True


def setup(seed: int = 0, quiet: bool = False, data: str | None = None):
    """Seed Python, NumPy and torch, show figures inline (:func:`inline_figures`), apply the
    book's figure style, and return the device to train on (CUDA when available). Set
    ``GANTOOLS_DEVICE=cpu`` to force CPU.

    ``data="fashion-mnist"`` (the image chapters) also makes sure the dataset's files are
    here and sound before anything else runs: found on disk, or on Colab (or any machine
    with a network and no copy) downloaded once into the cache — 30 MB from the dataset's
    repository, the fastest way there (no ``apt-get update``)."""
    import torch

    from .plotting import use_book_style

    inline_figures()  # before the style: the inline backend sets rcParams of its own
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    use_book_style()
    wanted = os.environ.get("GANTOOLS_DEVICE")
    device = torch.device(wanted or ("cuda" if torch.cuda.is_available() else "cpu"))
    found = ""
    if data is not None:
        if data != "fashion-mnist":
            raise ValueError(f"setup(data=...) knows 'fashion-mnist', got {data!r}")
        from .idx import fashion_mnist, find

        fashion_mnist("test")  # found and checked, or downloaded into the cache and checked
        found = f", Fashion-MNIST from {find()}"
    if not quiet:
        where = "Colab" if in_colab() else "local"
        print(f"gantools ready ({where}, device={device}, torch {torch.__version__}, seed={seed}{found})")
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
