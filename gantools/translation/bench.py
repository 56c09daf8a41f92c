"""The protocol of ``bench/translation.py`` and chapter 13's tables.

Every method trains on both transforms with the same networks and budget
(:data:`BUDGET`) and, except the untrained identity map, 10 seeds (runs are compared seed by
seed, and CycleGAN's failures are counted). Each run is scored on the
497 held-out test digits (:func:`~gantools.translation.scores.score`). ``--reference`` keeps
seed 0's translations of the test set as ``gantools/data/translation/<transform>/<method>.npz``
(``inputs``, ``outputs``, ``targets`` = T(inputs), each (N, 1, 16, 16) in [-1, 1], and
``labels``), so anyone can rescore them, and every run's scores in ``results.json``.
"""

from __future__ import annotations

import os

import numpy as np

from ..benchkit import read_arrays, read_reference, write_arrays, write_reference
from ..stats import mean_halfwidth
from .domains import TRANSFORMS, make_domains
from .scores import REFERENCE_DIR, score, y_classifier
from .trainer import METHODS, TranslationConfig, train_translation

BUDGET = {"steps": 800, "batch_size": 32, "width": 16, "lr": 1e-3}  # every trained method
SEEDS = {"identity": 1, "l1-only": 10, "pix2pix": 10, "gan-only": 10, "cyclegan": 10, "cyclegan-identity": 10}
SAVED = ("gan-only", "cyclegan", "cyclegan-identity", "pix2pix", "l1-only")  # the .npz files
METRICS = ("class_kept", "pixel_error", "cycle_error", "cycle_error_noisy", "fd")


def run_one(transform: str, method: str, seed: int, steps: int | None = None) -> tuple[dict, np.ndarray | None]:
    """Train and score one run; returns (scores with cpu_s, seed 0's outputs as float16 or None)."""
    import torch

    torch.set_num_threads(1)
    budget = {**BUDGET, **({"steps": steps} if steps else {})}
    domains = make_domains(transform)
    trained = train_translation(TranslationConfig(method=method, transform=transform, seed=seed, **budget), domains)
    result = {"transform": transform, "method": method, "seed": seed, "steps": budget["steps"],
              "cpu_s": trained.cpu_s, **score(trained, domains, y_classifier(transform))}
    outputs = trained.translate(domains.x_test).numpy().astype(np.float16) if seed == 0 else None
    return result, outputs


def save_outputs(transform: str, method: str, outputs: np.ndarray, dest: str) -> str:
    """Write seed 0's translations with their inputs, true targets and labels (atomically)."""
    domains = make_domains(transform)
    path = os.path.join(dest, transform, f"{method}.npz")
    write_arrays(path, {"inputs": domains.x_test.numpy().astype(np.float16), "outputs": outputs,
                        "targets": domains.t_test.numpy().astype(np.float16), "labels": domains.labels.numpy()})
    return path


def load_outputs(transform: str, method: str, dest: str = REFERENCE_DIR) -> dict[str, np.ndarray]:
    """The committed translations of ``method`` on ``transform`` (arrays as float32)."""
    arrays = read_arrays(os.path.join(dest, transform, f"{method}.npz"))
    return {k: v.astype(np.float32) if k != "labels" else v for k, v in arrays.items()}


def save_reference(results: dict, outputs: dict[tuple[str, str], np.ndarray], dest: str = REFERENCE_DIR) -> None:
    """Write every run's scores (``results.json``) and seed 0's translations of the methods in
    :data:`SAVED` (``outputs``: {(transform, method): outputs}) into ``dest``, each file atomically."""
    for (transform, method), out in outputs.items():
        if method in SAVED:
            save_outputs(transform, method, out, dest)
    write_reference("results", results, dest=dest)


def load_reference(dest: str = REFERENCE_DIR) -> dict:
    """The committed scores of every run (``results.json``)."""
    return read_reference("results", dest)[0]


def summary(runs: list[dict], transform: str, method: str) -> dict:
    """Mean and 95% t half-width over seeds of each metric (None where it does not apply)."""
    rows = [r for r in runs if r["transform"] == transform and r["method"] == method]
    out = {"n": len(rows)}
    for m in METRICS:
        vals = [r.get(m) for r in rows]
        out[m] = None if not vals or vals[0] is None else mean_halfwidth(np.array(vals, dtype=float))
    return out


def table(runs: list[dict], transform: str) -> str:
    """Markdown: method | seeds | class kept | pixel error | cycle error | cycle error, noisy | FD in Y."""
    head = "| method | seeds | class kept (%) | pixel error | cycle error | cycle error, G(x) + noise | FD in Y |"
    lines = [head, "|---|---|---|---|---|---|---|"]
    for method in METHODS:
        s = summary(runs, transform, method)
        if not s["n"]:
            continue

        def cell(m, scale=1.0, digits=3, s=s):
            if s[m] is None:
                return "—"
            mean, half = s[m]
            return f"{scale * mean:.{digits}f}" + (f" ± {scale * half:.{digits}f}" if s["n"] > 1 else "")

        lines.append(f"| {method} | {s['n']} | {cell('class_kept', 100, 1)} | {cell('pixel_error')} | "
                     f"{cell('cycle_error')} | {cell('cycle_error_noisy')} | {cell('fd', 1, 1)} |")
    return "\n".join(lines)


def jobs(quick: bool = False) -> list[tuple[str, str, int]]:
    """(transform, method, seed) of every run of the benchmark."""
    return [(t, m, s) for t in TRANSFORMS for m in METHODS for s in range(min(SEEDS[m], 2) if quick else SEEDS[m])]
