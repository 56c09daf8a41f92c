"""The ring and grid mode-collapse benchmark of VEEGAN and PacGAN: the methods, the
protocol and the published numbers, shared by ``bench/mode_collapse.py`` and chapter 6.

Protocol (Srivastava et al. 2017; Lin et al. 2018): 2,500 generated samples per run; a
sample is high quality when within 3 standard deviations of its nearest mode; a mode is
captured when it is the nearest mode of at least one high-quality sample. Ring: 8 modes
on a circle of radius 1, std 0.01. Grid: 25 modes on {-4,-2,0,2,4}^2, std 0.05.
"""

from __future__ import annotations

import json
import os
import platform
import re
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from .batched import BatchedGAN, BatchedGANConfig
from .distributions import grid, ring
from .metrics import mode_coverage

# The networks every method shares: G and D are MLPs with 2 hidden layers of 64 units.
BASE = BatchedGANConfig(g_hidden=64, d_hidden=64, g_layers=2, d_layers=2, batch_size=256, lr_final=0.05)


@dataclass(frozen=True)
class Method:
    """One row of the benchmark."""

    config: BatchedGANConfig  # the recipe
    steps: int  # generator steps (fewer for the methods whose step costs several)
    rejection_steps: int = 0  # > 0: discriminator rejection sampling with this many ratio-D steps
    ratio_changes: tuple[tuple[str, Any], ...] = ()  # config changes of the ratio discriminator
    note: str = ""  # what the method changes


# Each fix changes one thing of the vanilla non-saturating GAN; the last row is the best
# recipe we found (chapter 6 explains each ingredient).
METHODS: dict[str, Method] = {
    "GAN (minimax)": Method(BASE.replace(g_loss="minimax"), 4000, note="the saturating loss of the original paper"),
    "GAN (non-saturating)": Method(BASE, 4000, note="the vanilla GAN of chapter 4"),
    "Unrolled GAN (k=5)": Method(BASE.replace(unroll_steps=5, batch_size=128), 1000,
                                 note="G's loss against D five Adam steps ahead (batch 128: each step costs ~12)"),
    "WGAN-GP": Method(BASE.replace(g_loss="wasserstein", d_loss="wasserstein", gp_weight=10.0, d_steps=5,
                                   betas=(0.5, 0.9)), 1200, note="critic with gradient penalty, 5 critic steps"),
    "PacGAN4": Method(BASE.replace(pack=4), 4000, note="D judges 4 samples at once"),
    "Ours: tanh G + DRS": Method(BASE.replace(g_activation="tanh", noise_std=3.0, lr_g=3e-3, lr_d=3e-3), 8000,
                                rejection_steps=3000, ratio_changes=(("d_hidden", 128), ("d_layers", 3)),
                                note="tanh generator, noise std 3, lr 3e-3, discriminator rejection sampling"),
}
BEST = "Ours: tanh G + DRS"

# Published rows: VEEGAN Table 1 (Srivastava et al. 2017) and PacGAN Table 1 (Lin et al.
# 2018): (ring modes, ring HQ %, grid modes, grid HQ %), mean (± standard error).
PUBLISHED = [
    ("GAN (VEEGAN Table 1)", "1", "99.3", "3.3", "0.5"),
    ("Unrolled GAN (VEEGAN)", "7.6", "35.6", "23.6", "16"),
    ("VEEGAN", "8", "52.9", "24.6", "40"),
    ("GAN (PacGAN Table 1)", "6.3±0.5", "98.2±0.2", "17.3±0.8", "94.8±0.7"),
    ("PacGAN4", "7.8±0.1", "95.9±1.4", "24.8±0.2", "93.6±0.6"),
]
N_SAMPLES = 2500
# Rejection sampling bounds the ratio by its 99.9% quantile rather than its maximum: on the
# grid a few spikes of the learned ratio cut the acceptance rate 5-10x, while the scores
# barely change (chapter 6).
REJECTION_QUANTILE = 0.999


def mean_se(values) -> tuple[float, float]:
    """Mean and standard error (sample std / sqrt(n)); (inf, nan) if any value is inf."""
    v = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(v)):
        return float("inf"), float("nan")
    return float(v.mean()), (float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else 0.0)


def run_method(name: str, cfg: BatchedGANConfig, steps: int, seeds: list[int], out: str | None = None,
               rejection_steps: int = 0, ratio_changes=(), callbacks=()) -> tuple[dict, BatchedGAN]:
    """Train len(seeds) ring runs and len(seeds) grid runs in one batch, draw 2,500
    samples per run and score them; save them under ``out`` when given.

    ``rejection_steps > 0`` draws the samples by discriminator rejection sampling with a
    ratio discriminator trained that many steps on the final generator. Returns the
    result dict (config, steps, wall time, per-run metrics) and the trained BatchedGAN.
    """
    targets = {"ring": ring(), "grid": grid()}
    data = [targets["ring"]] * len(seeds) + [targets["grid"]] * len(seeds)
    t0 = time.perf_counter()
    gan = BatchedGAN(cfg, seeds=seeds + seeds).train(data, steps, callbacks)
    plain = gan.sample(N_SAMPLES, seed=12345)  # (2 * n_seeds, 2500, 2)
    x = plain
    if rejection_steps:
        ratio = gan.density_ratio(rejection_steps, **dict(ratio_changes))
        x = gan.rejection_sample(ratio, N_SAMPLES, seed=12345, quantile=REJECTION_QUANTILE)
    wall = time.perf_counter() - t0
    result = {"config": asdict(cfg), "steps": steps, "rejection_steps": rejection_steps,
              "ratio_changes": dict(ratio_changes), "wall_s": wall, "runs": {}}
    if rejection_steps:
        result["runs_without_rejection"] = {}
    for i, target in enumerate(data):
        which, seed = ("ring", seeds[i]) if i < len(seeds) else ("grid", seeds[i - len(seeds)])
        if out is not None:
            folder = os.path.join(out, which, slug(name))
            os.makedirs(folder, exist_ok=True)
            np.save(os.path.join(folder, f"seed{seed}.npy"), x[i].astype(np.float32))
        result["runs"].setdefault(which, []).append(_score(x[i], target, seed))
        if rejection_steps:
            result["runs_without_rejection"].setdefault(which, []).append(_score(plain[i], target, seed))
    return result, gan


def _score(x: np.ndarray, target, seed: int) -> dict:
    m = mode_coverage(x, target)
    # the spread of the high-quality samples around their mode, in units of the data's std:
    # sqrt(E|x - mu|^2 / (2 sigma^2)) is 1 for the data, below 1 for too-sharp modes
    dev = x[m.high_quality] - target.means[m.nearest[m.high_quality]]
    width = float(np.sqrt((dev**2).sum(1).mean() / 2) / target.stds[0]) if m.high_quality.any() else float("nan")
    return {"seed": seed, "modes": m.modes_captured, "hq": m.hq_fraction, "kl": m.kl, "width": width}


def slug(name: str) -> str:
    """A method's folder name: lower case, runs of other characters as one underscore."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def summary(result: dict, key: str = "runs") -> dict:
    """Mean and standard error of modes, HQ %, KL and mode width, per target."""
    out = {}
    for which, runs in result[key].items():
        out[which] = {
            "modes": mean_se([r["modes"] for r in runs]),
            "hq_pct": mean_se([100 * r["hq"] for r in runs]),
            "kl": mean_se([r["kl"] for r in runs]),
            # runs without a single high-quality sample have no width: average the others
            "width": mean_se([r["width"] for r in runs if np.isfinite(r["width"])] or [float("nan")]),
        }
    return out


def fmt(ms: tuple[float, float], digits: int = 1) -> str:
    return f"{ms[0]:.{digits}f}±{ms[1]:.{digits}f}"


def table(results: dict[str, dict], n_seeds: int, published: bool = True) -> str:
    """Our rows (mean ± standard error over seeds) and the published rows, as Markdown.
    A method with rejection sampling gets a second row scored on its generator alone.
    "width" is the spread of the high-quality samples around their modes in units of the
    data's std (the data itself scores 0.97; below that, the modes are too sharp)."""
    lines = ["| method | steps | ring modes /8 | ring HQ % | grid modes /25 | grid HQ % | width ring / grid | time (s) |",
             "|---|---|---|---|---|---|---|---|"]

    def row(name, s, steps, wall):
        w = f"{s['ring']['width'][0]:.2f} / {s['grid']['width'][0]:.2f}" if "width" in s["ring"] else "—"
        return (f"| {name} | {steps} | {fmt(s['ring']['modes'])} | {fmt(s['ring']['hq_pct'])} "
                f"| {fmt(s['grid']['modes'])} | {fmt(s['grid']['hq_pct'])} | {w} | {wall} |")

    for name, res in results.items():
        s = summary(res)
        lines.append(row(f"{name} (ours, {n_seeds} seeds)", s, res["steps"], f"{res['wall_s']:.0f}"))
        if "runs_without_rejection" in res:
            lines.append(row(f"{name}, generator alone", summary(res, "runs_without_rejection"), res["steps"], "—"))
    if published:
        lines += ["| " + " | ".join(pub[:1] + ("—",) + pub[1:]) + " | — | — |" for pub in PUBLISHED]
    return "\n".join(lines)


def print_table(results: dict[str, dict], n_seeds: int, total: float) -> None:
    print(table(results, n_seeds))
    print(f"\nTotal wall time: {total:.0f} s ({total / 60:.1f} min) on {torch.get_num_threads()} threads, "
          f"{platform.processor() or platform.machine()}")




DATA_DIR = os.path.join(os.path.dirname(__file__), "data")
REFERENCE_JSON = os.path.join(DATA_DIR, "mode_collapse.json")
REFERENCE_SAMPLES = os.path.join(DATA_DIR, "mode_collapse_seed0.npz")


def save_reference(results: dict, out: str, dest: str = DATA_DIR) -> None:
    """Copy a benchmark's results and every method's seed-0 samples from ``out`` into the
    package (what chapter 6 displays without retraining, on CPU and on Colab)."""
    os.makedirs(dest, exist_ok=True)
    path_json = os.path.join(dest, os.path.basename(REFERENCE_JSON))
    path_npz = os.path.join(dest, os.path.basename(REFERENCE_SAMPLES))
    with open(path_json + ".tmp", "w") as f:
        json.dump(results, f, indent=1)
    os.replace(path_json + ".tmp", path_json)
    arrays = {f"{which}/{slug(name)}": np.load(os.path.join(out, which, slug(name), "seed0.npy"))
              for name in results["methods"] for which in ("ring", "grid")}
    np.savez_compressed(path_npz + ".tmp.npz", **arrays)
    os.replace(path_npz + ".tmp.npz", path_npz)


def load_reference(dest: str = DATA_DIR) -> tuple[dict, dict[str, np.ndarray]]:
    """The committed full benchmark: (results as in results.json, seed-0 samples keyed
    ``"<ring|grid>/<method slug>"``, each (2500, 2))."""
    with open(os.path.join(dest, os.path.basename(REFERENCE_JSON))) as f:
        results = json.load(f)
    with np.load(os.path.join(dest, os.path.basename(REFERENCE_SAMPLES))) as z:
        samples = {k: z[k] for k in z.files}
    return results, samples
