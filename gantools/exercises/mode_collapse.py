"""Checks for chapter 6, mode collapse.

- :func:`check_high_quality_and_captured`: a student's (hq_fraction, modes_captured) against
  gantools.metrics.mode_coverage.
- :func:`check_three_sigma_ceiling`: a student's ``hq_ceiling(n_std, dim)``, the fraction of an
  isotropic Gaussian in ``dim`` dimensions within ``n_std`` standard deviations of its mean.
- :func:`check_histogram_kl`: KL of the mode histogram of a generator covering m of K modes.
- :func:`check_grid_best_response`: the generator's best response to a fixed D on a grid.
- :func:`check_expected_modes`: a student's ``expected_modes(n, K, m, n_std)``, the expected number
  of modes that n samples of a perfect copy of m of K far-apart 2D modes capture.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erf, gammainc

from ..distributions import GaussianMixture
from ..metrics import mode_coverage
from .common import (
    Result,
    call,
    check_number,
    close,
    first_wrong,
    not_attempted,
    report,
    run_answer,
    to_array,
    to_float,
)

__all__ = ["check_high_quality_and_captured", "check_three_sigma_ceiling", "check_histogram_kl",
           "check_grid_best_response", "check_expected_modes"]


# The exercises of chapter 6 re-derive parts of mode_coverage: an answer may not call it.
COVERAGE_REFERENCES = ("gantools.metrics.mode_coverage",)


def _coverage_cases():
    """(name, samples (n, d), means (K, d), std, n_std) cases, built so that the plausible
    wrong versions give different answers from the right one."""
    rng = np.random.default_rng(6)
    ring = np.stack([np.cos(np.arange(8) * np.pi / 4), np.sin(np.arange(8) * np.pi / 4)], axis=1)
    # A generator on three ring modes (one sample each at 1, 2.5 and 2.9 std), plus samples halfway
    # between modes (low quality, nearest to modes that no high-quality sample reaches).
    radii = np.array([1.0, 2.5, 2.9, 2.0, 0.5, 1.5])
    idx = np.array([0, 1, 2, 0, 1, 2])
    ang = rng.uniform(0, 2 * np.pi, 6)
    good = ring[idx] + 0.05 * radii[:, None] * np.stack([np.cos(ang), np.sin(ang)], axis=1)
    between = 0.55 * ring[[4, 5]] + 0.45 * ring[[5, 6]]  # nearest to modes 4 and 5, no tie
    far = np.array([[1.5, 1.5]])  # 1.1 from mode 1: within 3 (not 3 std), outside sqrt(3 std)
    ring_samples = np.concatenate([good, between, far, ring[[2]] + [[0.0, 0.16]]])
    # The 5 x 5 grid with std 0.5 (3 std = 1.5 > 1): samples at distances 1.3 and 1.45 from
    # their mode, inside 3 std but with squared distances above 1.5. No sample is on a boundary or a tie.
    gx = np.arange(-4.0, 5.0, 2.0)
    grid = np.stack(np.meshgrid(gx, gx, indexing="ij"), axis=-1).reshape(-1, 2)
    grid_samples = np.array([[4.0 + 1.3, 4.0], [-4.0, -4.0 + 1.45], [0.0, 0.2], [0.9, 0.8], [2.0, -2.0 - 1.2],
                             [-2.0 + 1.6, 0.0]])
    # 1D, given as (n, 1): three modes, samples only near the last one.
    line = np.array([[-4.0], [0.0], [4.0]])
    line_samples = np.array([[4.1], [3.6], [4.95], [5.3], [2.1], [1.9]])
    return [
        ("the 8-mode ring (std 0.05)", ring_samples, ring, 0.05, 3.0),
        ("the 5 x 5 grid with std 0.5", grid_samples, grid, 0.5, 3.0),
        ("three modes on a line, std 0.4, given as (n, 1)", line_samples, line, 0.4, 3.0),
        ("the 5 x 5 grid with std 0.5 and n_std = 2", grid_samples, grid, 0.5, 2.0),
    ]


def _coverage_variants(x, means, std, n_std) -> dict[str, tuple[float, int]]:
    """Plausible wrong (hq_fraction, modes_captured), for targeted hints."""
    d = np.sqrt(((x[:, None, :] - means[None]) ** 2).sum(-1))  # (n, K)
    j = d.argmin(1)
    dmin = d[np.arange(len(x)), j]
    hq = dmin <= n_std * std
    out = {
        "a mode is captured only by a *high-quality* sample whose nearest mode it is; you counted the "
        "nearest modes of all samples": (hq.mean(), len(np.unique(j))),
        "compare the distance |x - mu| (not its square) with n_std * std": (
            (dmin**2 <= n_std * std).mean(), len(np.unique(j[dmin**2 <= n_std * std]))),
        "measure each sample's distance to its *nearest* mode, not to mode 0": (
            (d[:, 0] <= n_std * std).mean(), int((d[:, 0] <= n_std * std).any())),
        "the radius is n_std * std, not n_std * std squared or n_std alone": (
            (dmin <= n_std).mean(), len(np.unique(j[dmin <= n_std]))),
    }
    return out


def check_high_quality_and_captured(high_quality_and_captured, quiet: bool = False) -> Result:
    """Exercise 6.1: ``high_quality_and_captured(samples, means, std, n_std=3.0)`` with samples
    (n, d), means (K, d) and one std for all modes returns (hq_fraction, modes_captured), as
    gantools.metrics.mode_coverage defines them. Checked on a ring, a grid and a line; the
    answer may not call mode_coverage."""
    if high_quality_and_captured is None:
        not_attempted("high_quality_and_captured")
    for name, x, means, std, n_std in _coverage_cases():
        ref = mode_coverage(x if means.shape[1] > 1 else x[:, 0], GaussianMixture(
            means if means.shape[1] > 1 else means[:, 0], std), n_std=n_std)
        expected = (ref.hq_fraction, ref.modes_captured)
        out, err = call(high_quality_and_captured, x.copy(), means.copy(), std, n_std, forbid=COVERAGE_REFERENCES)
        if err:
            return report(False, "", f"On {name}: {err}", quiet)
        try:
            hq, cap = float(out[0]), float(out[1])
        except (TypeError, ValueError, IndexError):
            return report(False, "", f"On {name}: return a pair (hq_fraction, modes_captured).", quiet)
        if abs(hq - expected[0]) <= 1e-9 and cap == expected[1]:
            continue
        for why, (w_hq, w_cap) in _coverage_variants(x, means, std, n_std).items():
            if abs(hq - w_hq) <= 1e-9 and cap == w_cap and not (abs(w_hq - expected[0]) <= 1e-9 and w_cap == expected[1]):
                return report(False, "", f"On {name} you returned ({hq:.4g}, {cap:g}), expected "
                              f"({expected[0]:.4g}, {expected[1]}): {why}.", quiet)
        return report(False, "", f"On {name} you returned ({hq:.4g}, {cap:g}), expected ({expected[0]:.4g}, "
                      f"{expected[1]}). A sample is high quality when its Euclidean distance to its nearest "
                      "mode is at most n_std * std; count the distinct nearest modes of the high-quality samples.",
                      quiet)
    return report(True, "Your metric agrees with gantools.metrics.mode_coverage on the ring, the grid and the line.",
                  "", quiet)


def hq_ceiling_reference(n_std: float, dim: int) -> float:
    """P(|X - mu| <= n_std sigma) for X ~ N(mu, sigma² I_dim): |X - mu|²/sigma² is chi-square
    with dim degrees of freedom, whose CDF at t is the regularised gamma P(dim/2, t/2)."""
    return float(gammainc(dim / 2, n_std**2 / 2))


_CEILING_CASES = ((3.0, 2), (2.0, 2), (3.0, 1), (1.0, 3), (2.0, 10), (3.0, 25), (1.5, 5))


def check_three_sigma_ceiling(hq_ceiling, quiet: bool = False) -> Result:
    """Exercise 6.2: ``hq_ceiling(n_std, dim)`` is the fraction of samples of an isotropic
    Gaussian in ``dim`` dimensions that lie within ``n_std`` standard deviations of its mean:
    the high-quality fraction of a perfect generator when the modes are far apart. Checked
    against the chi-square CDF in 1, 2, 3, 5, 10 and 25 dimensions, to 1e-9 (a simulation
    is not accurate enough); the answer may not call mode_coverage."""
    if hq_ceiling is None:
        not_attempted("hq_ceiling")
    for n_std, dim in _CEILING_CASES:
        value, err = call(hq_ceiling, n_std, dim, forbid=COVERAGE_REFERENCES)
        if err:
            return report(False, "", f"For n_std = {n_std}, dim = {dim}: {err}", quiet)
        expected = hq_ceiling_reference(n_std, dim)
        r = check_number(
            value, expected, 1e-9, ok="",
            hint=f"For n_std = {n_std}, dim = {dim} you returned {value!r}, expected {expected:.6f}. "
                 "|X - mu|²/sigma² is a sum of dim squared standard normals: which distribution is that?",
            known_wrong=(
                (1 - math.exp(-(n_std**2) / 2), "1 - exp(-t/2) is the chi-square CDF with 2 degrees of freedom only; "
                                                "in dim dimensions the squared distance has dim degrees of freedom."),
                (float(erf(n_std / math.sqrt(2))), "That is the one-dimensional rule (0.9973 for 3 std); in dim "
                                                   "dimensions the distance combines dim coordinates."),
                (float(erf(n_std / math.sqrt(2))) ** dim, "That is the probability that *each* coordinate is within "
                                                          "n_std std (a cube); the high-quality region is a ball."),
                (float(gammainc(dim / 2, n_std / 2)), "The threshold is on the squared distance: t = n_std², "
                                                      "not n_std."),
                (1 - math.exp(-(n_std**2)), "Close: the chi-square(2) CDF is 1 - exp(-t/2), with the 1/2."),
            ),
            quiet=True)
        if not r:
            return report(False, "", f"For n_std = {n_std}, dim = {dim}: {r.message}", quiet)
    return report(True, "|X - mu|²/sigma² is chi-square with dim degrees of freedom, so the ceiling is its CDF at "
                  f"n_std²: {hq_ceiling_reference(3.0, 2):.5f} in 2D at 3 std, but only "
                  f"{hq_ceiling_reference(3.0, 25):.4f} in 25 dimensions: in high dimensions even the data are "
                  "'low quality' under a fixed radius.", "", quiet)


_KL_CASES = ((1, 8), (3, 8), (8, 8), (1, 25), (10, 25), (2, 2))


def check_histogram_kl(histogram_kl, quiet: bool = False) -> Result:
    """Exercise 6.3: ``histogram_kl(m, K)``: KL(q || w) in nats of the mode histogram q of a
    generator that covers m of K equally weighted modes equally (q = 1/m on m modes), against
    the uniform weights w = 1/K: log(K / m)."""
    if histogram_kl is None:
        not_attempted("histogram_kl")
    for m, k in _KL_CASES:
        value, err = call(histogram_kl, m, k, forbid=COVERAGE_REFERENCES)
        if err:
            return report(False, "", f"For m={m}, K={k}: {err}", quiet)
        expected = math.log(k / m)
        known_wrong = (
            (math.log(m / k), "Sign: KL(q || w) = sum q log(q / w) with q = 1/m and w = 1/K gives log(K/m) >= 0."),
            (math.log2(k / m), "That is in bits (log base 2); the book's KL is in nats (natural log)."),
            (math.log(k / m) * m / k, "Every covered mode has q = 1/m, so the sum has m terms of (1/m) log(K/m): "
                                      "the weights sum to 1, not to m/K."),
            ((m / k) * math.log(m / k), "That is (m/K) log(m/K); the KL weights by q (1/m each), not by w."),
        )
        r = check_number(value, expected, 1e-9, ok="", hint=f"For m={m}, K={k} you returned {value!r}; expected "
                         f"{expected:.6f}. Write q and w and sum q log(q/w) over the covered modes.",
                         known_wrong=known_wrong, quiet=True)
        if not r:
            return report(False, "", f"For m={m}, K={k}: {r.message}", quiet)
    return report(True, "KL = log(K/m): 0 for full coverage, log K = 2.08 nats for one of 8 modes, "
                  "3.22 for one of 25.", "", quiet)


def _grid_cases():
    x = np.linspace(-5, 5, 101)
    d1 = 1 / (1 + np.exp(-(2.0 - np.abs(np.abs(x) - 3.0) * 3)))  # two bumps; the right one higher below
    d1 = d1 * (1 + 0.01 * (x > 0))
    d1 = np.minimum(d1, 0.999)
    rng = np.random.default_rng(0)
    d2 = rng.uniform(0.05, 0.95, 40)
    d3 = np.array([0.5, 0.5, 0.6, 0.2])
    return [("two bumps on [-5, 5]", x, d1), ("40 random values of D", np.arange(40.0), d2),
            ("four points", np.arange(4.0), d3)]


def check_grid_best_response(best_response_on_grid, quiet: bool = False) -> Result:
    """Exercise 6.4: ``best_response_on_grid(x, d)`` returns the probabilities p (shape of x)
    that a generator free to put any mass on the grid points x should use to minimise
    sum_i p_i (-log d_i) against the fixed D values d: all mass on argmax d."""
    if best_response_on_grid is None:
        not_attempted("best_response_on_grid")
    for name, x, d in _grid_cases():
        out, err = call(best_response_on_grid, x.copy(), d.copy())
        if err:
            return report(False, "", f"On {name}: {err}", quiet)
        p = to_array(out)
        if p is None:
            return report(False, "", f"On {name}: return an array of probabilities, one per grid point.", quiet)
        if p.shape != x.shape:
            return report(False, "", f"On {name}: p must have the shape of x, {x.shape}; got {p.shape}.", quiet)
        if np.any(p < -1e-12) or abs(p.sum() - 1) > 1e-9:
            return report(False, "", f"On {name}: p must be a probability vector (non-negative, summing to 1).", quiet)
        loss, best = float(p @ -np.log(d)), float(-np.log(d.max()))
        if loss <= best + 1e-12:
            continue
        if np.allclose(p, d / d.sum()):
            hint = "p proportional to D is what matching D would do; the loss is linear in p, so spreading costs."
        elif p[np.argmin(d)] > 0.5:
            hint = "That puts the mass where D is lowest: the generator wants D(x) high (it wants to look real)."
        else:
            hint = (f"Your p has loss {loss:.4f}; a single point does better ({best:.4f}). The loss is linear in "
                    "p: put all the mass on the largest d.")
        return report(False, "", f"On {name}: {hint}", quiet)
    return report(True, "All the mass on argmax D: against a fixed discriminator the best generator is a point mass.",
                  "", quiet)


# -- 6.5 -----------------------------------------------------------------------------------
def expected_modes_reference(n: int, K: int, m: int, n_std: float = 3.0) -> float:
    """E[modes captured] by n samples of a generator that copies m of K far-apart 2D modes
    exactly, with weight 1/m each: m (1 - (1 - c / m)^n), c = 1 - exp(-n_std² / 2) the 2D
    chi-square CDF at n_std². A sample is a high-quality sample of a given covered mode with
    probability c / m, independently of the others; K does not enter."""
    c = -math.expm1(-(n_std**2) / 2)
    return m * -math.expm1(n * math.log1p(-c / m))


EXPECTED_MODES_REFERENCES = (*COVERAGE_REFERENCES, "gantools.exercises.mode_collapse.expected_modes_reference")
# (n, K, m, n_std): the ring and the grid, partial collapse, other radii, the protocol's 2,500
# samples, and sizes the page never uses.
_EXPECTED_MODES_CASES = ((10, 8, 8, 3.0), (4, 8, 3, 3.0), (30, 25, 25, 3.0), (5, 25, 3, 1.5), (12, 25, 10, 2.0),
                         (1, 8, 1, 3.0), (200, 100, 40, 2.5), (2500, 25, 25, 3.0))


def _expected_modes_wrong(n: int, K: int, m: int, n_std: float) -> tuple[tuple[float, str], ...]:
    """Plausible wrong answers with targeted hints."""
    c = -math.expm1(-(n_std**2) / 2)
    c1 = float(erf(n_std / math.sqrt(2)))
    return (
        (m * (1 - (1 - 1 / m) ** n), "not every sample is high quality: a perfect copy of a mode puts only a "
                                     "fraction P(|x - mu| <= n_std sigma) of its samples inside the radius, "
                                     "and only those capture"),
        (K * (1 - (1 - c / K) ** n), "the generator's samples fall on its m modes only, 1/m each: the other "
                                     "K - m modes are never captured, and K does not enter"),
        (m * (1 - (1 - c / K) ** n), "each covered mode receives 1/m of the samples, not 1/K: K does not enter"),
        (m * (1 - (1 - c1 / m) ** n), "that high-quality probability is the one-dimensional rule; the modes are "
                                      "2D, where |x - mu|²/sigma² is chi-square with 2 degrees of freedom"),
        (m * (1 - (1 - 1 / m) ** (c * n)), "the number of high-quality samples is random: you put its mean c n "
                                           "into the exponent. Work per sample instead: each one is a "
                                           "high-quality sample of a given covered mode with probability c / m"),
        (1 - (1 - c / m) ** n, "that is the probability that one given covered mode is captured; the expected "
                               "count adds it over the m covered modes (linearity of expectation)"),
        (m * (1 - c / m) ** n, "that counts the covered modes that are *missed*; subtract it from m"),
        (float(min(n, m)), "n samples can capture at most min(n, m) modes, but the count is random: its "
                           "expectation is lower"),
    )


def check_expected_modes(expected_modes, quiet: bool = False) -> Result:
    """Exercise 6.5: ``expected_modes(n, K, m, n_std)`` predicts, before the run, the expected
    number of modes captured (``mode_coverage``'s rule at radius n_std sigma) by n samples of a
    generator that copies m of the K modes of a 2D mixture exactly (weight 1/m each), the modes
    being far apart in sigma units: m (1 - (1 - c/m)^n) with c = 1 - exp(-n_std²/2). Checked at
    8 cases, ring and grid sizes and others the page never uses, to a relative 1e-9 (a
    simulation is not that accurate); the answer may not call mode_coverage or the reference."""
    for n, k, m, n_std in _EXPECTED_MODES_CASES:
        value, err = run_answer(expected_modes, "expected_modes", n, k, m, n_std, forbid=EXPECTED_MODES_REFERENCES)
        case = f"For n = {n}, K = {k}, m = {m}, n_std = {n_std}"
        if err:
            return report(False, "", f"{case}: {err}", quiet)
        got, expected = to_float(value), expected_modes_reference(n, k, m, n_std)
        if got is not None and close(got, expected, 1e-9 * max(1.0, expected)):
            continue
        why = first_wrong(got, _expected_modes_wrong(n, k, m, n_std),
                          lambda a, b: close(a, b, 1e-9 * max(1.0, abs(b))), expected)
        if why:
            return report(False, "", f"{case}: {why}.", quiet)
        return report(False, "", f"{case} you returned {value!r}, expected {expected:.6g}. Find the probability "
                      "that one sample is a high-quality sample of a given covered mode, then the probability "
                      "that none of the n samples is, and add over the modes.", quiet)
    return report(True, "E[modes] = m (1 - (1 - c/m)^n) with c = 1 - exp(-n_std²/2): each covered mode is missed "
                  "by all n samples with probability (1 - c/m)^n, and expectation is additive. Now run the next "
                  "cell and compare.", "", quiet)
