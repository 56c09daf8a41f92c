"""Checks for chapter 7, Wasserstein GANs.

- :func:`check_w1_uniforms`: W1 between U(0, 1) and U(-1, 2).
- :func:`check_sorted_w1`: a student's ``sorted_w1(x, y)``, the 1D empirical W1 of two samples.
- :func:`check_spectral_bound`: a student's ``spectral_bound(critic)``, the product of the
  layers' spectral norms.
- :func:`check_clipped_lipschitz`: the largest Lipschitz constant of a clipped 1-64-64-1 ReLU critic.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..wasserstein import critic_mlp, layer_lipschitz_bound
from .common import Result, call, check_number, not_attempted, report, to_float

__all__ = ["check_w1_uniforms", "check_sorted_w1", "check_clipped_lipschitz", "check_spectral_bound"]


def check_w1_uniforms(answer, quiet: bool = False) -> Result:
    """Exercise 7.1: W1(U(0, 1), U(-1, 2)) = integral of |F - G| = 1/2."""
    return check_number(
        answer, 0.5, 1e-3,
        ok="W1 = 1/2: three triangles of area 1/6, or E|U - (3U - 1)| = E|1 - 2U| = 1/2 by the quantile coupling.",
        hint="Integrate |F(x) - G(x)| over [-1, 2], piece by piece: G(x) = (x + 1)/3, F(x) = x on [0, 1].",
        known_wrong=(
            (0.0, "Both means are 1/2, but W1 is not the difference of the means: the mass must spread out."),
            (4 / 3, "That is the integral of |p - q|, the densities; W1 integrates the difference of the CDFs."),
            (1 / 3, "1/3 is sup |F - G|, the Kolmogorov-Smirnov distance; W1 integrates |F - G|."),
            (1 / 6, "You integrated over [0, 1] only; G differs from F on [-1, 0] and [1, 2] too."),
        ),
        quiet=quiet,
    )


def _sorted_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    return [
        ("two Gaussian samples of size 500", rng.normal(0, 1, 500), rng.normal(1.5, 0.5, 500)),
        ("samples with ties and negative values", np.array([3.0, -1.0, -1.0, 2.0, 0.0]),
         np.array([0.0, 0.0, 5.0, -4.0, 1.0])),
        ("unsorted samples of a bimodal distribution", np.concatenate([rng.normal(-3, 0.2, 60), rng.normal(3, 0.2, 40)]),
         rng.uniform(-1, 1, 100)),
    ]


def check_sorted_w1(sorted_w1, quiet: bool = False) -> Result:
    """Exercise 7.2: ``sorted_w1(x, y)`` for two 1D samples of equal size n returns
    mean_i |x_(i) - y_(i)| (order statistics), the W1 of their empirical distributions."""
    if sorted_w1 is None:
        not_attempted("sorted_w1")
    for name, x, y in _sorted_cases():
        expected = float(np.mean(np.abs(np.sort(x) - np.sort(y))))
        value, err = call(sorted_w1, x.copy(), y.copy())
        if err:
            return report(False, "", f"On {name}: {err}", quiet)
        try:
            value = float(value)
        except (TypeError, ValueError):
            return report(False, "", f"On {name}: return one number (a float), got {type(value).__name__}.", quiet)
        if abs(value - expected) <= 1e-9 * max(1.0, expected):
            continue
        xs, ys = np.sort(x), np.sort(y)
        wrong = {
            "sort both samples first: W1 pairs the i-th smallest x with the i-th smallest y":
                float(np.mean(np.abs(x - y))),
            "that is |mean(x) - mean(y)|, a lower bound on W1, not W1": abs(float(x.mean() - y.mean())),
            "that is W2, the root mean square of the sorted differences; W1 takes their mean absolute value":
                float(np.sqrt(np.mean((xs - ys) ** 2))),
            "sort both in the same order (both ascending)": float(np.mean(np.abs(xs - ys[::-1]))),
            "that is the largest sorted difference (W-infinity); W1 is their mean": float(np.max(np.abs(xs - ys))),
        }
        for why, w in wrong.items():
            if abs(value - w) <= 1e-9 * max(1.0, abs(w)) and abs(w - expected) > 1e-9:
                return report(False, "", f"On {name} you returned {value:.6g}, expected {expected:.6g}: {why}.", quiet)
        return report(False, "", f"On {name} you returned {value:.6g}, expected {expected:.6g}. Sort both samples "
                      "and average the absolute differences of the order statistics.", quiet)
    return report(True, "Sorting gives the optimal coupling in 1D: mean |x_(i) - y_(i)| matches on every case.", "",
                  quiet)


CLIP_C = 0.01  # the clipping threshold of exercise 7.4


def check_clipped_lipschitz(answer, quiet: bool = False) -> Result:
    """Exercise 7.4: the largest Lipschitz constant of a ReLU critic 1-64-64-1 whose weights
    all lie in [-c, c], c = 0.01: (c sqrt(1*64)) (c sqrt(64*64)) (c sqrt(64*1)) = 4096 c^3."""
    c = CLIP_C
    return check_number(
        answer, 4096 * c**3, 1e-7,
        ok="4096 c³ = 0.004096: the all-c weights reach it (rank one, every ReLU open for x > 0), and no clipped "
           "critic exceeds it. A clipped critic estimates W1 times a factor below 0.0041.",
        hint="Bound each layer's spectral norm: an m×n matrix with entries in [-c, c] has ||W||_2 <= ||W||_F <= "
             "c sqrt(mn), reached by the all-c matrix. Multiply the three layers' bounds.",
        known_wrong=(
            (c**3, "c³ forgets the widths: the all-c 64×64 matrix has spectral norm 64c, not c."),
            (c, "Clipping bounds each weight, not the network: the layers' norms multiply."),
            (64 * 4096 * 64 * c**3, "c·m·n is the sum of the entries; the spectral norm of the all-c m×n matrix "
                                     "is c·sqrt(mn)."),
            (64 * c**3, "Count every layer: 1×64 gives c·8, 64×64 gives c·64, 64×1 gives c·8."),
        ),
        quiet=quiet,
    )


def _bound_cases() -> list[tuple[str, nn.Sequential]]:
    """Critics for the spectral-bound check: random MLPs, a spectrally normalised one, a rank-one one."""
    with torch.random.fork_rng():
        torch.manual_seed(3)
        leaky = nn.Sequential(nn.Linear(3, 16), nn.LeakyReLU(0.2), nn.Linear(16, 8), nn.LeakyReLU(0.2),
                              nn.Linear(8, 1))
        sn = critic_mlp(2, hidden=32, layers=2, lipschitz="sn", seed=4)
        sn.train()
        with torch.no_grad():  # a few power iterations so that the normalised weights are not exactly 1
            sn(torch.randn(8, 2))
        sn.eval()
        ones = nn.Sequential(nn.Linear(1, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
        with torch.no_grad():
            for m in ones:
                if isinstance(m, nn.Linear):
                    m.weight.fill_(0.01)
    return [
        ("a 2-32-32-1 ReLU critic", critic_mlp(2, hidden=32, layers=2, seed=1)),
        ("a 3-16-8-1 LeakyReLU critic", leaky),
        ("a spectrally normalised critic (use module.weight, the normalised weight)", sn),
        ("a 1-64-64-1 critic with every weight equal to 0.01", ones),
    ]


def check_spectral_bound(spectral_bound, quiet: bool = False) -> Result:
    """Exercise 7.3: ``spectral_bound(critic)`` for an ``nn.Sequential`` of Linear layers and
    (Leaky)ReLUs returns prod_l ||W_l||_2, the product of the largest singular values."""
    if spectral_bound is None:
        not_attempted("spectral_bound")
    for name, critic in _bound_cases():
        expected = layer_lipschitz_bound(critic)
        value, err = call(spectral_bound, critic)
        if err:
            return report(False, "", f"On {name}: {err}", quiet)
        value = to_float(value)
        if value is None:
            return report(False, "", f"On {name}: return one number, got {type(value).__name__}.", quiet)
        if abs(value - expected) <= 1e-5 * max(1e-12, abs(expected)):
            continue
        for why, w in _bound_variants(critic).items():
            if abs(value - w) <= 1e-5 * abs(w) and abs(w - expected) > 1e-5 * abs(expected):
                return report(False, "", f"On {name} you returned {value:.6g}, expected {expected:.6g}: {why}.", quiet)
        return report(False, "", f"On {name} you returned {value:.6g}, expected {expected:.6g}. For each nn.Linear "
                      "take torch.linalg.matrix_norm(m.weight, ord=2) and multiply.", quiet)
    return report(True, "Your bound matches the product of the exact spectral norms on all four critics.", "", quiet)


def _bound_variants(critic: nn.Sequential) -> dict[str, float]:
    ws = [m.weight.detach().double() for m in critic if isinstance(m, nn.Linear)]
    sv = [torch.linalg.svdvals(w) for w in ws]
    return {
        "that is the product of Frobenius norms, a looser bound; use the spectral norm (largest singular value)":
            float(np.prod([float(w.norm()) for w in ws])),
        "the spectral norm is the largest singular value, not the largest entry": float(np.prod([float(w.abs().max())
                                                                                                 for w in ws])),
        "the layers' Lipschitz constants multiply along a composition; do not add them":
            float(sum(float(s[0]) for s in sv)),
        "include the last Linear layer too": float(np.prod([float(s[0]) for s in sv[:-1]])),
        "that is the product of squared singular values (the norms of WᵀW); take the square root":
            float(np.prod([float(s[0]) ** 2 for s in sv])),
        "use the largest singular value, not the smallest": float(np.prod([float(s[-1]) for s in sv])),
    }
