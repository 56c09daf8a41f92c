"""Checks for chapter 7, Wasserstein GANs.

- :func:`check_w1_uniforms`: W1 between U(0, 1) and U(-1, 2).
- :func:`check_sorted_w1`: a student's ``sorted_w1(x, y)``, the 1D empirical W1 of two samples.
- :func:`check_spectral_bound`: a student's ``spectral_bound(critic)``, the product of the
  layers' spectral norms.
- :func:`check_clipped_lipschitz`: a student's ``max_clipped_lipschitz(widths, c)``, the largest
  Lipschitz constant of a ReLU critic whose weights are clipped to [-c, c].
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..wasserstein import critic_mlp, layer_lipschitz_bound
from .common import Result, call, check_number, not_attempted, report, to_float

__all__ = ["check_w1_uniforms", "check_sorted_w1", "check_clipped_lipschitz", "check_spectral_bound"]


# Routines that compute the answer of 7.2 or 7.3 in one call: an answer may not use them.
W1_REFERENCES = ("gantools.wasserstein.empirical_w1", "scipy.stats.wasserstein_distance", "ot.emd2",
                 "ot.wasserstein_1d", "ot.emd2_1d", "ot.lp.emd2", "ot.lp.wasserstein_1d", "ot.lp.emd2_1d")
BOUND_REFERENCES = ("gantools.wasserstein.layer_lipschitz_bound", "gantools.wasserstein.lipschitz_estimates")


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
        value, err = call(sorted_w1, x.copy(), y.copy(), forbid=W1_REFERENCES)
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


def clipped_lipschitz_reference(widths, c: float) -> float:
    """The largest Lipschitz constant of a ReLU MLP with layer widths ``widths`` (input first,
    output 1) and every weight in [-c, c]: prod_l c sqrt(w_(l-1) w_l) = c^L sqrt(d_in) prod(hidden),
    reached by the all-c weights (rank one) with zero biases."""
    hidden = math.prod(widths[1:-1])
    return c ** (len(widths) - 1) * math.sqrt(widths[0]) * hidden


_CLIP_CASES = (((1, 64, 64, 1), 0.01), ((2, 128, 128, 128, 1), 0.05), ((3, 16, 1), 0.1), ((784, 512, 256, 1), 0.01),
               ((5, 1), 0.2))


def check_clipped_lipschitz(max_clipped_lipschitz, quiet: bool = False) -> Result:
    """Exercise 7.4: ``max_clipped_lipschitz(widths, c)`` for a ReLU critic with layer widths
    ``widths`` (the input dimension first, the output width 1 last) whose weights all lie in
    [-c, c] returns the largest Lipschitz constant such a critic can have:
    prod_l c sqrt(w_(l-1) w_l) (4096 c³ for 1-64-64-1). Checked on five architectures."""
    if max_clipped_lipschitz is None:
        not_attempted("max_clipped_lipschitz")
    for widths, c in _CLIP_CASES:
        value, err = call(max_clipped_lipschitz, list(widths), c)
        if err:
            return report(False, "", f"For widths {list(widths)}, c = {c}: {err}", quiet)
        expected = clipped_lipschitz_reference(widths, c)
        layers = len(widths) - 1
        hidden = math.prod(widths[1:-1])
        r = check_number(
            value, expected, 1e-6 * expected, ok="",
            hint=f"For widths {list(widths)}, c = {c} you returned {value!r}, expected {expected:.6g}. Bound each "
                 "layer's spectral norm by its Frobenius norm, c sqrt(m n), multiply, and find a clipped critic "
                 "that reaches the product.",
            known_wrong=(
                (c**layers * hidden, "The input dimension counts too: the all-c first layer (w1 x d) has spectral "
                                     "norm c sqrt(d w1), so the slope along (1, ..., 1)/sqrt(d) gains sqrt(d)."),
                (c**layers * hidden * widths[0], "The gradient of the all-c critic is the same in every input "
                                                 "coordinate: its norm grows like sqrt(d), not d."),
                (c**layers, "c^L forgets the widths: the all-c m x n matrix has spectral norm c sqrt(mn), not c."),
                (c, "Clipping bounds each weight, not the network: the layers' norms multiply."),
                (c**layers * widths[0] * hidden**2, "c·m·n is the sum of the entries; the spectral norm of the all-c "
                                                    "m x n matrix is c sqrt(mn)."),
            ),
            quiet=True)
        if not r:
            return report(False, "", f"For widths {list(widths)}, c = {c}: {r.message}", quiet)
    return report(True, "prod_l c sqrt(w_(l-1) w_l): the Frobenius bound of each layer, reached by the all-c weights "
                  "(rank one, every ReLU open along (1, ..., 1)). For 1-64-64-1 at c = 0.01 it is 4096 c³ = 0.004096: "
                  "a clipped critic estimates W1 times a factor no larger than that.", "", quiet)


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
        value, err = call(spectral_bound, critic, forbid=BOUND_REFERENCES)
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
