"""Score a trained run: what ``python -m gantools evaluate DIR`` prints.

The metrics are those of :mod:`gantools.evaluation`, which scores images and knows nothing
of runs; this module loads a run's (EMA) generator, draws its images and hands them over.
"""

from __future__ import annotations

import os

from ..evaluation import evaluate_images
from .sampling import generate, load_generator


def evaluate_run(run_dir: str, n: int = 800, seed: int = 0) -> dict:
    """Load the run's (EMA) generator, draw ``n`` images from ``seed`` and evaluate them
    (:func:`gantools.evaluation.evaluate_images`)."""
    if not os.path.isdir(run_dir):
        raise ValueError(f"no run directory {run_dir}")
    g, cfg = load_generator(run_dir)
    result = {"run": run_dir, "model": cfg.model, "dataset": cfg.dataset, "steps": cfg.steps}
    metrics = evaluate_images(generate(g, n, seed=seed), cfg.dataset, cfg.image_size, seed)
    result.update({k: round(v, 5) if isinstance(v, float) else v for k, v in metrics.items()})
    return result
