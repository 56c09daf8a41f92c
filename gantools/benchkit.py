"""Scaffolding shared by every ``bench/*.py`` and every chapter's protocol module
(``gantools/<chapter>/bench.py``): command line, workers, machine facts and reference files.

- :data:`DATA_DIR`: the one folder of the committed references (``gantools/data``).
- :func:`parser`: the command line the bench scripts share (``--out``, ``--quick``,
  ``--reference``, ``--jobs``); errors are one line on stderr and exit status 2, and
  ``--reference`` refuses a partial run (it stores the full tables).
- :func:`pool`: the process pool the scripts run their jobs in (spawned workers, one thread each).
- :func:`machine_info`: what a result records about the machine that measured it.
- :func:`write_reference` / :func:`read_reference`: a reference is ``NAME.json`` (the results)
  and, optionally, a sibling ``.npz`` of arrays; one shape for all, ``(results, arrays)``,
  written atomically through :mod:`gantools.checkpoint`.
- :func:`train_book_dcgan`: the book's DCGAN (or another registry model) trained on the digits
  through chapter 8's :class:`~gantools.imagegan.ImageGANTrainer`, as the digits rows of
  chapters 11, 12 and 14 train it.

It is part of the shared floor and imports only the floor (:mod:`gantools.checkpoint`,
:mod:`gantools.checks`, and the image trainer :mod:`gantools.imagegan` when a DCGAN trains), so
every chapter's protocol can import it. ``write_reference`` replaces each of its two files
atomically (the arrays first, then the results); the pair is not one transaction.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .checkpoint import atomic_savez, atomic_write_text
from .checks import OneLineParser, positive_int  # noqa: F401  (bench scripts import positive_int here)

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


# -- the command line --------------------------------------------------------------------------
class BenchParser(OneLineParser):
    """The command line's parser (one-line errors, exit status 2) that also checks the shared
    flags after parsing (see :func:`parser`)."""

    partial: tuple[str, ...] | None = ()

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        ns = super().parse_args(args, namespace)
        if self.partial is not None and getattr(ns, "reference", False):
            names = (("--quick",) if hasattr(ns, "quick") else ()) + tuple(self.partial)
            if any(getattr(ns, o.lstrip("-").replace("-", "_"), None) for o in names):
                listed = f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else names[0]
                self.error(f"--reference stores the full tables: drop {listed}")
        out = getattr(ns, "out", None)
        if out is not None and os.path.exists(out) and not os.path.isdir(out):
            self.error(f"--out {out} exists and is not a directory")
        return ns


def parser(prog: str, description: str, *, out: str | bool = True, quick: str | bool = True,
           reference: str | bool = True, jobs: bool = True, chapter: int | None = None,
           partial: tuple[str, ...] | None = ()) -> BenchParser:
    """The parser a bench script starts from; add the script's own options, then ``parse_args``.

    ``description``: the script's docstring (its first paragraph is shown). Each shared flag
    is left out when its argument is False; a string is its help text. ``--out DIR``
    (required; an existing file is refused), ``--quick`` (a smoke run), ``--reference`` (also
    store the results in :data:`DATA_DIR`, what chapter ``chapter`` shows), ``--jobs N``
    (processes, default 2). ``--reference`` refuses ``--quick`` and every option named in
    ``partial`` (``None``: refuses nothing)."""
    p = BenchParser(prog=prog, description=description.split("\n\n")[0])
    p.partial = partial
    if out:
        p.add_argument("--out", required=True, help=out if isinstance(out, str) else "folder for the results")
    if quick:
        p.add_argument("--quick", action="store_true", help=quick if isinstance(quick, str) else "a smoke run")
    if reference:
        where = f" (what chapter {chapter} shows)" if chapter is not None else ""
        p.add_argument("--reference", action="store_true", help=reference if isinstance(reference, str)
                       else f"also store the results in gantools/data{where}; full runs only")
    if jobs:
        p.add_argument("--jobs", type=positive_int, default=2, help="processes (default 2)")
    return p


# -- workers and machine --------------------------------------------------------------------------
def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)  # the networks are too small to split; one core per process


def pool(jobs: int):
    """A :class:`~concurrent.futures.ProcessPoolExecutor` of ``jobs`` spawned processes, one
    torch thread each (spawned: no forked copy of the parent's torch threads)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    return ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"), initializer=_one_thread)


def machine_info(jobs: int, **extra) -> dict:
    """What a result records about its machine: ``processor``, ``cpus``, ``jobs``,
    ``threads_per_job``, ``python``, ``torch`` (its version), then ``extra``."""
    import torch

    return {"processor": platform.processor() or platform.machine(), "cpus": os.cpu_count(), "jobs": jobs,
            "threads_per_job": 1, "python": platform.python_version(), "torch": torch.__version__, **extra}


# -- references ------------------------------------------------------------------------------------
def write_arrays(path: str, arrays: dict[str, np.ndarray]) -> None:
    """``np.savez_compressed(path, **arrays)``, atomically."""
    atomic_savez(path, **arrays)


def read_arrays(path: str) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` at ``path`` (loaded: the file is closed on return)."""
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def write_reference(name: str, results: dict | list, arrays: dict[str, np.ndarray] | None = None,
                    dest: str = DATA_DIR, npz: str | None = None) -> None:
    """Write ``dest/NAME.json`` (``results``, indented by 1) and, when ``arrays`` is given,
    ``dest/NPZ.npz`` (``npz`` defaults to ``name``), each atomically: a failed write (an
    unserialisable value, a full disk, a kill) leaves the previous files as they were."""
    text = json.dumps(results, indent=1)  # first: an unserialisable value fails before any write
    os.makedirs(dest, exist_ok=True)
    if arrays is not None:
        write_arrays(os.path.join(dest, f"{npz or name}.npz"), arrays)
    atomic_write_text(text, os.path.join(dest, f"{name}.json"))


def read_reference(name: str, dest: str = DATA_DIR, npz: str | None = None) -> tuple[Any, dict[str, np.ndarray]]:
    """``(results, arrays)`` of the reference ``name`` in ``dest``: the JSON as written and the
    arrays of ``dest/NPZ.npz`` (``npz`` defaults to ``name``; when not given and that file does
    not exist, ``{}``)."""
    with open(os.path.join(dest, f"{name}.json")) as f:
        results = json.load(f)
    path = os.path.join(dest, f"{npz or name}.npz")
    return results, (read_arrays(path) if npz is not None or os.path.exists(path) else {})


# -- the book's DCGAN ----------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainedRun:
    """A run of :func:`train_book_dcgan`: the trainer after training, its config, and the
    process CPU and wall seconds of building the trainer and training."""

    trainer: Any
    config: Any
    cpu_s: float
    wall_s: float


def train_book_dcgan(out: str, seed: int, steps: int, model: str = "dcgan", dataset: str = "digits",
                     **changes) -> TrainedRun:
    """Train the registry's ``model`` (the book's DCGAN unless told) on ``dataset`` for ``steps``
    generator steps with ``seed`` into the run folder ``out``, through chapter 8's trainer, on
    one thread: ``config_for(model, dataset)`` with ``changes`` (any TrainConfig fields), a
    sample grid at the end only and the losses logged every 50 steps."""
    import torch

    from .imagegan import ImageGANTrainer, config_for

    torch.set_num_threads(1)
    cfg = config_for(model, dataset, steps=steps, seed=seed, sample_every=steps, log_every=50, **changes)
    t0, c0 = time.perf_counter(), time.process_time()
    trainer = ImageGANTrainer(cfg, out, progress=False).train()
    return TrainedRun(trainer, cfg, time.process_time() - c0, time.perf_counter() - t0)
