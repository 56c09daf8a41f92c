"""Read a training run written by ``python -m gantools train`` (the image chapters).

:func:`load_run` turns a run directory into a :class:`Run`: its config, the metrics and
evaluation logs as arrays, the sample grids over training and ``run.json`` (hardware,
wall time). :func:`reference_run` finds one of the book's committed reference runs
(``book/runs/<name>``) — locally, or on Colab by downloading its files from the
book's repository — and :func:`animate_samples` plays its sample grids in the page.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

import numpy as np

from .imagedata import default_root
from .imagegan.config import complete_config

REPO_RAW = "https://raw.githubusercontent.com/gans-from-first-principles/gans-from-first-principles/main/book/runs"
REFERENCE_RUNS = ("dcgan-fashion", "wgan-gp-fashion", "cdcgan-fashion",  # bench/reference_runs.py
                  "dcgan-digits", "wgan-gp-digits", "cdcgan-digits")


@dataclass
class Run:
    """A finished (or interrupted) run, read from its directory."""

    path: str  # the run directory
    config: dict  # the TrainConfig fields
    metrics: dict[str, np.ndarray]  # metrics.jsonl: one array per key ("step", "loss_d", ...)
    evals: dict[str, np.ndarray]  # eval.jsonl: "step", "fd", "classes", "wall_s" (empty if none)
    samples: list[tuple[int, str]]  # (step, PNG path) of the sample grids, by step
    info: dict  # run.json: steps, wall_time_s, images_per_s, hardware (empty if unfinished)


def _jsonl(path: str) -> dict[str, np.ndarray]:
    if not os.path.exists(path):
        return {}
    rows = [json.loads(line) for line in open(path) if line.strip()]
    keys = list(dict.fromkeys(k for r in rows for k in r))
    return {k: np.array([r.get(k, np.nan) for r in rows], dtype=float) for k in keys}


def load_run(path: str) -> Run:
    """Read the run in ``path`` (ValueError if it holds none)."""
    cfg_path = os.path.join(path, "config.json")
    if not os.path.exists(cfg_path) and not os.path.exists(os.path.join(path, "metrics.jsonl")):
        raise ValueError(f"{path} holds no gantools run (no config.json or metrics.jsonl)")
    config = complete_config(json.load(open(cfg_path))) if os.path.exists(cfg_path) else {}
    info_path = os.path.join(path, "run.json")
    info = json.load(open(info_path)) if os.path.exists(info_path) else {}
    sdir = os.path.join(path, "samples")
    samples = sorted((int(m.group(1)), os.path.join(sdir, f)) for f in (os.listdir(sdir) if os.path.isdir(sdir) else [])
                     if (m := re.fullmatch(r"step_(\d+)\.png", f)))
    return Run(path, config, _jsonl(os.path.join(path, "metrics.jsonl")), _jsonl(os.path.join(path, "eval.jsonl")),
               samples, info)


def _download(name: str, dest: str) -> None:
    import urllib.request

    def get(rel: str) -> bytes:
        with urllib.request.urlopen(f"{REPO_RAW}/{name}/{rel}", timeout=30) as r:
            return r.read()

    try:
        config = json.loads(get("config.json"))
        files = ["config.json", "run.json", "metrics.jsonl", "eval.jsonl", "generator.pt"]
        steps = list(range(0, config["steps"], config["sample_every"])) + [config["steps"]]
        files += [f"samples/step_{s:06d}.png" for s in steps]
        os.makedirs(os.path.join(dest, "samples"), exist_ok=True)
        for rel in files:
            data = get(rel)
            with open(os.path.join(dest, rel), "wb") as f:
                f.write(data)
    except Exception as e:  # URLError, HTTPError, timeouts, bad JSON
        raise ValueError(f"reference run {name!r} is not on this machine and could not be downloaded "
                         f"from {REPO_RAW}: {e}") from None


def reference_run(name: str) -> Run:
    """One of the book's reference runs (``book/runs/<name>``): found next to the notebook
    (``runs/``), under ``book/runs`` of the current directory, or downloaded once from the
    book's repository into ``~/.cache/gantools/runs`` (Colab)."""
    if name not in REFERENCE_RUNS:
        raise ValueError(f"unknown reference run {name!r}; choose one of: {', '.join(REFERENCE_RUNS)}")
    for base in ("runs", os.path.join("book", "runs"), os.path.join(default_root(), "runs")):
        if os.path.exists(os.path.join(base, name, "config.json")):
            return load_run(os.path.join(base, name))
    dest = os.path.join(default_root(), "runs", name)
    _download(name, dest)
    return load_run(dest)


def animate_samples(run: Run, every: int = 1, interval: int = 400):
    """The run's sample grids as an animation for :func:`gantools.plotting.jshtml`:
    returns ``(fig, update, frames)``."""
    import matplotlib.image
    import matplotlib.pyplot as plt

    if not run.samples:
        raise ValueError(f"{run.path} has no sample grids")
    shots = run.samples[::every]
    if shots[-1] != run.samples[-1]:
        shots.append(run.samples[-1])
    imgs = [matplotlib.image.imread(p) for _, p in shots]
    fig, ax = plt.subplots(figsize=(4.2, 4.5))
    art = ax.imshow(imgs[0], cmap="gray", vmin=0, vmax=1)
    ax.set_axis_off()
    title = ax.set_title("")

    def update(i: int):
        art.set_data(imgs[i])
        title.set_text(f"{run.config.get('model', '')}: step {shots[i][0]}")
        return (art, title)

    update(0)
    return fig, update, len(shots)


def regenerate_final_grid(run: Run):
    """The run's last sample grid recomputed from ``generator.pt`` (its weights and the
    stored fixed noise, and for a conditional run the fixed labels, one class per column):
    a uint8 array to compare with the PNG the run wrote."""
    import torch

    from .checkpoint import safe_load
    from .imagegan import grid_image, load_generator

    g, _ = load_generator(run.path)
    saved = safe_load(os.path.join(run.path, "generator.pt"))
    z, y = saved["fixed_z"], saved.get("fixed_y")
    with torch.no_grad():
        if y is None:
            return grid_image(g(z))
        return grid_image(g(z, y), nrow=g.n_classes)
