"""The ring and grid benchmark's protocol, shared by chapters 6, 12 and 14 (the shared floor).

Protocol (Srivastava et al. 2017; Lin et al. 2018): :data:`N_SAMPLES` generated samples per
run; a sample is high quality when within 3 standard deviations of its nearest mode; a mode is
captured when it is the nearest mode of at least one high-quality sample
(:func:`gantools.metrics.mode_coverage`). Every trained row takes :data:`STEPS` generator
steps with the networks of :data:`BASE`. :func:`score` is one run's row of metrics, and
:func:`miss_profile` says where the samples that miss every mode are. Chapter 6's methods
and reference live in :mod:`gantools.mode_collapse.bench`; chapters 12 and 14 score their
own models with this module so that their numbers sit in the same table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .batched import BatchedGANConfig
from .benchkit import DATA_DIR, read_reference
from .distributions import GaussianMixture
from .metrics import mode_coverage

STEPS = 4000  # generator steps of every trained row
# The networks every row shares: G and D are MLPs with 2 hidden layers of 64 units.
BASE = BatchedGANConfig(g_hidden=64, d_hidden=64, g_layers=2, d_layers=2, batch_size=128, lr_final=0.05)
N_SAMPLES = 2500
REFERENCE = "mode_collapse"  # gantools/data/mode_collapse.json: chapter 6's table (bench/mode_collapse.py)
REFERENCE_SAMPLES = "mode_collapse_seed0"  # ... and .npz: every method's seed-0 samples


def slug(name: str) -> str:
    """A method's folder name: lower case, runs of other characters as one underscore."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def score(x: np.ndarray, target, seed: int) -> dict:
    """One run's metrics: modes, HQ fraction, KL, mode width, HQ samples per mode and where
    the other samples are (fractions of all samples 3-6, 6-10 and > 10 stds from a mode)."""
    m = mode_coverage(x, target)
    # the spread of the high-quality samples around their mode, in units of the data's std:
    # sqrt(E|x - mu|^2 / (2 sigma^2)) is 1 for the data, below 1 for too-sharp modes
    dev = x[m.high_quality] - target.means[m.nearest[m.high_quality]]
    width = float(np.sqrt((dev**2).sum(1).mean() / 2) / target.stds[0]) if m.high_quality.any() else float("nan")
    return {"seed": seed, "modes": m.modes_captured, "hq": m.hq_fraction, "kl": m.kl, "width": width,
            "counts": m.counts.tolist(), "miss": miss_profile(x, target)}


def fmt(ms: tuple[float, float], digits: int = 1) -> str:
    return "inf" if not np.isfinite(ms[0]) else f"{ms[0]:.{digits}f}±{ms[1]:.{digits}f}"


# -- the diagnostic -----------------------------------------------------------------------------
def miss_distances(samples: np.ndarray, mixture: GaussianMixture) -> np.ndarray:
    """Each sample's distance to its nearest mode in units of that mode's std (n,): HQ samples
    are <= 3; 3-6 means modes that are too wide, > 10 samples on bridges between modes."""
    mu = np.asarray(mixture.means, dtype=float).reshape(len(mixture.weights), -1)
    sd = np.broadcast_to(np.asarray(mixture.stds, dtype=float), (len(mu),))
    x = np.asarray(samples, dtype=float).reshape(len(samples), -1)
    d = np.linalg.norm(x[:, None] - mu[None], axis=2)
    k = d.argmin(1)
    return d[np.arange(len(x)), k] / sd[k]


def miss_profile(samples: np.ndarray, mixture: GaussianMixture,
                 edges: Sequence[float] = (3.0, 6.0, 10.0)) -> dict[str, float]:
    """Fractions of *all* samples whose nearest-mode distance, in stds, falls in each band
    [edges[i], edges[i+1]) and beyond the last edge: where the non-HQ samples are."""
    e = [float(v) for v in edges]
    if any(b <= a for a, b in zip(e[:-1], e[1:], strict=False)) or e[0] <= 0:
        raise ValueError(f"edges must be positive and increasing, got {edges!r}")
    r = miss_distances(samples, mixture)
    out = {f"{a:g}-{b:g}": float(np.mean((r > a) & (r <= b))) for a, b in zip(e[:-1], e[1:], strict=False)}
    out[f">{e[-1]:g}"] = float(np.mean(r > e[-1]))
    return out


def load_reference(dest: str | None = None) -> tuple[dict, dict[str, np.ndarray]]:
    """Chapter 6's committed benchmark, which chapters 12 and 14 compare with: (results as in
    ``results.json``, seed-0 samples keyed ``"<ring|grid>/<method slug>"``, each (2500, 2))."""
    return read_reference(REFERENCE, dest or DATA_DIR, npz=REFERENCE_SAMPLES)
