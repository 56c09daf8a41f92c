"""Checks for chapter 6, mode collapse.

- :func:`check_high_quality_and_captured`: ``high_quality_and_captured(samples, means, std, n_std)``, the
  (hq_fraction, modes_captured) that gantools.metrics.mode_coverage defines.
- :func:`check_three_sigma_ceiling`: ``hq_ceiling(n_std, dim)``, the fraction of an isotropic Gaussian in
  ``dim`` dimensions within ``n_std`` standard deviations of its mean.
- :func:`check_histogram_kl`: ``histogram_kl(m, K)``, the KL of the mode histogram of a generator on m of K modes.
- :func:`check_grid_best_response`: ``best_response_on_grid(x, d)``, the best response to a fixed D on a grid.
- :func:`check_expected_modes`: ``expected_modes(n, K, m, n_std)``, the expected number of modes that n
  samples of a perfect copy of m of K far-apart 2D modes capture.

Each check is a :class:`~gantools.exercises.protocol.Spec`: the grader draws fresh cases from the ranges
below for every submission and judges the plain outputs in its own process.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erf, gammainc

from ..distributions import GaussianMixture
from ..metrics import mode_coverage
from .common import Result, judge_cases, one_number
from .protocol import Spec, check, with_spec

__all__ = ["check_high_quality_and_captured", "check_three_sigma_ceiling", "check_histogram_kl",
           "check_grid_best_response", "check_expected_modes"]


# The exercises of chapter 6 re-derive parts of mode_coverage: an answer may not call it.
COVERAGE_REFERENCES = ("gantools.metrics.mode_coverage",)


# -- 6.1 -----------------------------------------------------------------------------------
def _book_coverage_cases() -> list[dict]:
    """The book's four cases, built so that the plausible wrong versions give different answers
    from the right one."""
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
    cases = [("the 8-mode ring (std 0.05)", ring_samples, ring, 0.05, 3.0),
             ("the 5 x 5 grid with std 0.5", grid_samples, grid, 0.5, 3.0),
             ("three modes on a line, std 0.4, given as (n, 1)", line_samples, line, 0.4, 3.0),
             ("the 5 x 5 grid with std 0.5 and n_std = 2", grid_samples, grid, 0.5, 2.0)]
    return [{"name": name, "samples": x.tolist(), "means": mu.tolist(), "std": std, "n_std": n_std}
            for name, x, mu, std, n_std in cases]


def _coverage_samples(rng, means: np.ndarray, std: float, n_std: float) -> np.ndarray:
    """Samples that tell the right metric from the plausible wrong ones: well inside the radius on
    two to four modes, just inside it, just outside it on a mode no high-quality sample reaches, and,
    outwards from outer modes, in the bands where the squared distance or a radius of n_std alone
    decides otherwise. Each is nearest to one mode by a wide margin and at least 5% away from every
    threshold."""
    k, dim = means.shape
    t = n_std * std
    gaps = np.sqrt(((means[:, None] - means[None]) ** 2).sum(-1)) + np.diag(np.full(k, np.inf))
    cap = 0.85 * 0.5 * gaps.min()  # nearer than this to a mode: nearest to it, by a margin
    order = rng.permutation(k)
    hit = order[:int(rng.integers(2, min(4, k - 1) + 1))]
    near = [(j, t * rng.uniform(0.1, 0.9)) for j in hit for _ in range(int(rng.integers(1, 3)))]
    near += [(hit[0], t * rng.uniform(0.9, 0.95)), (order[-1], rng.uniform(1.05 * t, cap))]
    u = rng.standard_normal((len(near), dim))
    x = [means[j] + r * v / np.linalg.norm(v) for (j, r), v in zip(near, u, strict=True)]
    # A point beyond an outermost mode, away from the centre, is nearest to that mode however far.
    outer = means - means.mean(0)
    norms = np.linalg.norm(outer, axis=1)
    for a, b in ((t, math.sqrt(t)), (t, n_std), (math.sqrt(t), n_std)):
        lo, hi = sorted((a, b))
        if 1.05 * lo < 0.95 * hi:
            j = int(rng.choice(np.flatnonzero(norms >= 0.999 * norms.max())))
            x.append(means[j] + rng.uniform(1.05 * lo, 0.95 * hi) * outer[j] / norms[j])
    return np.array(x)[rng.permutation(len(x))]


def _coverage_cases(rng) -> list[dict]:
    """A ring, a grid, a line given as (n, 1) and a grid at another radius: the book's, or fresh
    ones with every mode at least 12 std from its neighbours."""
    if rng is None:
        return _book_coverage_cases()
    out = []
    for kind in ("ring", "grid", "line", "grid at another radius"):
        if kind == "ring":
            k, radius, phase = int(rng.integers(6, 11)), rng.uniform(0.8, 2.5), rng.uniform(0, 2 * np.pi)
            a = phase + 2 * np.pi * np.arange(k) / k
            means = radius * np.stack([np.cos(a), np.sin(a)], axis=1) + rng.uniform(-1, 1, 2)
            std, n_std = 2 * radius * math.sin(math.pi / k) * rng.uniform(0.03, 0.06), rng.uniform(2.0, 3.5)
            name = f"a ring of {k} modes of radius {radius:.3g}"
        elif kind.startswith("grid"):
            side, h = int(rng.integers(3, 6)), rng.uniform(1.5, 3.0)
            g = h * (np.arange(side) - (side - 1) / 2)
            means = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2) + rng.uniform(-2, 2, 2)
            std, n_std = h * rng.uniform(0.06, 0.1), rng.uniform(1.5, 3.0) if kind == "grid" else rng.uniform(1.2, 2.0)
            name = f"the {side} x {side} grid with spacing {h:.3g}"
        else:
            gaps = rng.uniform(2.0, 5.0, int(rng.integers(2, 5)))
            means = (rng.uniform(-6, -2) + np.concatenate([[0.0], np.cumsum(gaps)]))[:, None]
            std, n_std = gaps.min() * rng.uniform(0.04, 0.08), rng.uniform(2.0, 3.5)
            name = f"{len(means)} modes on a line, given as (n, 1)"
        x = _coverage_samples(rng, means, std, n_std)
        out.append({"name": f"{name}, std {std:.4g}, n_std = {n_std:.4g}", "samples": x.tolist(),
                    "means": means.tolist(), "std": float(std), "n_std": float(n_std)})
    return out


def _coverage_arrays(case: dict) -> tuple:
    """The arguments of one call: samples (n, d), means (K, d), std, n_std."""
    return np.array(case["samples"], float), np.array(case["means"], float), float(case["std"]), float(case["n_std"])


def _coverage_reference(x: np.ndarray, means: np.ndarray, std: float, n_std: float) -> tuple[float, int]:
    """gantools.metrics.mode_coverage's (hq_fraction, modes_captured), the truth of exercise 6.1."""
    one_d = means.shape[1] == 1
    r = mode_coverage(x[:, 0] if one_d else x, GaussianMixture(means[:, 0] if one_d else means, std), n_std=n_std)
    return r.hq_fraction, r.modes_captured


def _coverage_variants_reference(x, means, std, n_std) -> dict[str, tuple[float, int]]:
    """Plausible wrong (hq_fraction, modes_captured) of exercise 6.1, for targeted hints."""
    d = np.sqrt(((x[:, None, :] - means[None]) ** 2).sum(-1))  # (n, K)
    j = d.argmin(1)
    dmin = d[np.arange(len(x)), j]
    hq = dmin <= n_std * std
    return {
        "a mode is captured only by a *high-quality* sample whose nearest mode it is; you counted the "
        "nearest modes of all samples": (hq.mean(), len(np.unique(j))),
        "compare the distance |x - mu| (not its square) with n_std * std": (
            (dmin**2 <= n_std * std).mean(), len(np.unique(j[dmin**2 <= n_std * std]))),
        "measure each sample's distance to its *nearest* mode, not to mode 0": (
            (d[:, 0] <= n_std * std).mean(), int((d[:, 0] <= n_std * std).any())),
        "the radius is n_std * std, not n_std * std squared or n_std alone": (
            (dmin <= n_std).mean(), len(np.unique(j[dmin <= n_std]))),
    }


def _judge_coverage(cases, values):
    for case, value in zip(cases, values, strict=True):
        args = _coverage_arrays(case)
        pair = [one_number(v) for v in value] if type(value) is list and len(value) == 2 else [None]
        if None in pair:
            return False, f"On {case['name']}: return a pair (hq_fraction, modes_captured), got {str(value)[:80]}."
        (hq, cap), (hq_e, cap_e) = pair, _coverage_reference(*args)
        if abs(hq - hq_e) <= 1e-9 and cap == cap_e:
            continue
        for why, (w_hq, w_cap) in _coverage_variants_reference(*args).items():
            if abs(hq - w_hq) <= 1e-9 and cap == w_cap and not (abs(w_hq - hq_e) <= 1e-9 and w_cap == cap_e):
                return False, f"On {case['name']} you returned ({hq:.4g}, {cap:g}): {why}."
        return False, (f"On {case['name']} you returned ({hq:.4g}, {cap:g}), which is not right. A sample is high "
                       "quality when its Euclidean distance to its nearest mode is at most n_std * std; count the "
                       "distinct nearest modes of the high-quality samples.")
    return True, "Your metric agrees with gantools.metrics.mode_coverage on rings, grids and a line."


HIGH_QUALITY_AND_CAPTURED = Spec(
    answer="high_quality_and_captured", judge=_judge_coverage, cases=_coverage_cases, build=_coverage_arrays,
    forbid=COVERAGE_REFERENCES, describe=lambda c: f"On {c['name']}",
    leaks=(r"unique\(\s*nearest\[\s*hq\s*\]\s*\)",))


@with_spec(HIGH_QUALITY_AND_CAPTURED)
def check_high_quality_and_captured(high_quality_and_captured, quiet: bool = False) -> Result:
    """Exercise 6.1: ``high_quality_and_captured(samples, means, std, n_std=3.0)`` with samples
    (n, d), means (K, d) and one std for all modes returns (hq_fraction, modes_captured), as
    gantools.metrics.mode_coverage defines them. Checked on a ring, two grids and a line given as
    (n, 1); the answer may not call mode_coverage."""
    return check(HIGH_QUALITY_AND_CAPTURED, high_quality_and_captured, quiet)


# -- 6.2 -----------------------------------------------------------------------------------
def hq_ceiling_reference(n_std: float, dim: int) -> float:
    """The instructor's closed form for exercise 6.2."""
    return float(gammainc(dim / 2, n_std**2 / 2))


_CEILING_CASES = ((3.0, 2), (2.0, 2), (3.0, 1), (1.0, 3), (2.0, 10), (3.0, 25), (1.5, 5))


def _ceiling_cases(rng) -> list:
    """(n_std, dim) in 1, 2 and 3 dimensions, in a few, ten and twenty-odd: the book's seven or seven fresh."""
    if rng is None:
        return [list(c) for c in _CEILING_CASES]
    return [[float(n), int(d)] for n, d in (
        (rng.uniform(2.5, 3.5), 2), (rng.uniform(1.2, 2.4), 2), (rng.uniform(1.5, 3.5), 1), (rng.uniform(0.7, 1.8), 3),
        (rng.uniform(1.5, 2.8), rng.integers(8, 14)), (rng.uniform(3.0, 4.0), rng.integers(18, 31)),
        (rng.uniform(1.2, 2.2), rng.integers(4, 8)))]


def _ceiling_wrong_reference(n_std: float, dim: int) -> tuple[tuple[float, str], ...]:
    """Plausible wrong ceilings of exercise 6.2, with targeted hints."""
    return (
        (1 - math.exp(-(n_std**2) / 2), "1 - exp(-t/2) is the chi-square CDF with 2 degrees of freedom only; in dim "
                                        "dimensions the squared distance sums dim squared standard normals."),
        (float(erf(n_std / math.sqrt(2))), "That is the one-dimensional rule; in dim dimensions the distance "
                                           "combines dim coordinates."),
        (float(erf(n_std / math.sqrt(2))) ** dim, "That is the probability that *each* coordinate is within n_std "
                                                  "std (a cube); the high-quality region is a ball."),
        (float(gammainc(dim / 2, n_std / 2)), "The threshold is on the squared distance: t = n_std², not n_std."),
        (1 - math.exp(-(n_std**2)), "Close: the chi-square(2) CDF is 1 - exp(-t/2), with the 1/2."),
    )


_judge_ceiling = judge_cases(
    hq_ceiling_reference, _ceiling_wrong_reference, lambda x: 1e-9, lambda c: f"For n_std = {c[0]:.6g}, dim = {c[1]}",
    "which is not that fraction. |X - mu|²/sigma² is a sum of dim squared standard normals: which distribution is that?",
    "|X - mu|²/sigma² is chi-square with dim degrees of freedom, so the ceiling is its CDF at n_std²: "
    f"{hq_ceiling_reference(3.0, 2):.5f} in 2D at 3 std, but only {hq_ceiling_reference(3.0, 25):.4f} in "
    "25 dimensions: in high dimensions even the data are 'low quality' under a fixed radius.")


THREE_SIGMA_CEILING = Spec(
    answer="hq_ceiling", judge=_judge_ceiling, cases=_ceiling_cases, forbid=COVERAGE_REFERENCES,
    describe=_judge_ceiling.describe,
    leaks=(r"gammainc\(\s*(?:d|dim)\s*/\s*2\s*,\s*(?:n|n_std)\s*\*\*\s*2\s*/\s*2\s*\)"
           r"|P\(\s*d\s*/\s*2\s*,\s*n(?:\^2|²)\s*/\s*2\s*\)",
           r"chi2\(\s*(?:d|dim|df\s*=\s*\w+)\s*\)\.cdf"
           r"|chi-square (?:variable )?with \$?(?:d|dim)\$? degrees of freedom",
           r"(?<![\d.])0\.14\s*%|(?<![\d.])0\.0014(?!\d)"))


@with_spec(THREE_SIGMA_CEILING)
def check_three_sigma_ceiling(hq_ceiling, quiet: bool = False) -> Result:
    """Exercise 6.2: ``hq_ceiling(n_std, dim)`` is the fraction of samples of an isotropic
    Gaussian in ``dim`` dimensions that lie within ``n_std`` standard deviations of its mean:
    the high-quality fraction of a perfect generator when the modes are far apart. Checked
    against the exact value in 1 to 30 dimensions, to 1e-9 (a simulation is not accurate
    enough); the answer may not call mode_coverage."""
    return check(THREE_SIGMA_CEILING, hq_ceiling, quiet)


# -- 6.3 -----------------------------------------------------------------------------------
_KL_CASES = ((1, 8), (3, 8), (8, 8), (1, 25), (10, 25), (2, 2))


def _kl_cases(rng) -> list:
    """(m, K): one mode, some, all of them, for K from 2 to a few hundred: the book's six or six fresh."""
    if rng is None:
        return [list(c) for c in _KL_CASES]
    k1, k2, k3, k4 = (int(rng.integers(a, b)) for a, b in ((3, 13), (12, 40), (2, 30), (40, 300)))
    return [[1, k1], [int(rng.integers(2, k1)), k1], [k3, k3], [1, k4], [int(rng.integers(2, k2 - 1)), k2],
            [int(rng.integers(2, k4)), k4]]


def _histogram_kl_reference(m: int, k: int) -> float:
    """The instructor's value for exercise 6.3."""
    return math.log(k / m)


def _kl_wrong_reference(m: int, k: int) -> tuple[tuple[float, str], ...]:
    """Plausible wrong answers of exercise 6.3, with targeted hints."""
    return (
        (math.log(m / k), "Sign: KL(q || w) = sum q log(q / w) has q (1/m) over w (1/K) in the log, and a KL is "
                          "never negative."),
        (math.log2(k / m), "That is in bits (log base 2); the book's KL is in nats (natural log)."),
        (math.log(k / m) * m / k, "Every covered mode has q = 1/m, so the sum has m terms, each weighted by "
                                  "q = 1/m: the weights sum to 1, not to m/K."),
        ((m / k) * math.log(m / k), "That is (m/K) log(m/K); the KL weights by q (1/m each), not by w."),
    )


_judge_kl = judge_cases(
    _histogram_kl_reference, _kl_wrong_reference, lambda x: 1e-9, lambda c: f"For m={c[0]}, K={c[1]}",
    "which is not the KL. Write q and w and sum q log(q/w) over the covered modes.",
    "KL = log(K/m): 0 for full coverage, log K = 2.08 nats for one of 8 modes, 3.22 for one of 25.")


HISTOGRAM_KL = Spec(
    answer="histogram_kl", judge=_judge_kl, cases=_kl_cases, forbid=COVERAGE_REFERENCES,
    describe=_judge_kl.describe,
    leaks=(r"log\s*\(\s*K\s*/\s*m\s*\)|\\log\s*\\frac\{K\}\{m\}|\bln\s*\(\s*K\s*/\s*m\s*\)",
           r"(?<![\d.])2\.079\d*|(?<![\d.])2\.08\s*nats"))


@with_spec(HISTOGRAM_KL)
def check_histogram_kl(histogram_kl, quiet: bool = False) -> Result:
    """Exercise 6.3: ``histogram_kl(m, K)``: KL(q || w) in nats of the mode histogram q of a
    generator that covers m of K equally weighted modes equally (q = 1/m on m modes), against
    the uniform weights w = 1/K, to 1e-9; the answer may not call mode_coverage."""
    return check(HISTOGRAM_KL, histogram_kl, quiet)


# -- 6.4 -----------------------------------------------------------------------------------
def _grid_cases(rng) -> list[dict]:
    """A smooth D on a fine grid, random values of D, and a few points with a tie below the top:
    the book's three, or three fresh ones whose largest d leads the next by at least 0.005."""
    if rng is None:
        x = np.linspace(-5, 5, 101)
        d1 = 1 / (1 + np.exp(-(2.0 - np.abs(np.abs(x) - 3.0) * 3)))  # two bumps; the right one higher below
        d1 = np.minimum(d1 * (1 + 0.01 * (x > 0)), 0.999)
        d2 = np.random.default_rng(0).uniform(0.05, 0.95, 40)
        cases = [("two bumps on [-5, 5]", x, d1), ("40 random values of D", np.arange(40.0), d2),
                 ("four points", np.arange(4.0), np.array([0.5, 0.5, 0.6, 0.2]))]
    else:
        lo, hi = rng.uniform(-6, -2), rng.uniform(2, 6)
        x1 = np.linspace(lo, hi, int(rng.integers(60, 161)))
        c, h, w = rng.uniform(lo, hi, 3), rng.uniform(0.5, 3.0, 3), rng.uniform(0.3, 1.5, 3)
        d1 = 1 / (1 + np.exp(2 - (h * np.exp(-((x1[:, None] - c) ** 2) / (2 * w**2))).sum(1)))
        n2, n3 = int(rng.integers(20, 60)), int(rng.integers(3, 7))
        x2 = rng.uniform(-3, 3) + rng.uniform(0.5, 2.0) * np.arange(n2)
        d3 = rng.uniform(0.1, 0.8, n3)
        d3[int(rng.integers(1, n3))] = d3[0]
        cases = [(f"a smooth D on {len(x1)} grid points", x1, d1), (f"{n2} random values of D", x2,
                 rng.uniform(0.05, 0.95, n2)), (f"{n3} points", np.arange(n3 * 1.0), d3)]
        for _, _, d in cases:
            d[:] = np.clip(d, 0.02, 0.97)
            d[np.argmax(d)] += 0.005
    return [{"name": name, "x": x.tolist(), "d": d.tolist()} for name, x, d in cases]


def _grid_arrays(case: dict) -> tuple[np.ndarray, np.ndarray]:
    return np.array(case["x"], dtype=float), np.array(case["d"], dtype=float)


def _judge_grid(cases, values):
    for case, value in zip(cases, values, strict=True):
        name, (x, d) = case["name"], _grid_arrays(case)
        try:
            p = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return False, f"On {name}: return an array of probabilities, one per grid point."
        if p.shape != x.shape:
            return False, f"On {name}: p must have the shape of x, {x.shape}; got {p.shape}."
        if not np.all(np.isfinite(p)) or np.any(p < -1e-12) or abs(p.sum() - 1) > 1e-9:
            return False, f"On {name}: p must be a probability vector (non-negative, summing to 1)."
        loss, best = float(p @ -np.log(d)), float(-np.log(d.max()))
        if loss <= best + 1e-12:
            continue
        if np.allclose(p, d / d.sum()):
            hint = "p proportional to D is what matching D would do; the loss is linear in p, so spreading costs."
        elif p[np.argmin(d)] > 0.5:
            hint = "That puts the mass where D is lowest: the generator wants D(x) high (it wants to look real)."
        else:
            hint = (f"Your p has loss {loss:.4f}, and another p does better. The loss is linear in p: where does a "
                    "linear function reach its minimum over the probability vectors?")
        return False, f"On {name}: {hint}"
    return True, "All the mass on argmax D: against a fixed discriminator the best generator is a point mass."


GRID_BEST_RESPONSE = Spec(
    answer="best_response_on_grid", judge=_judge_grid, cases=_grid_cases, build=_grid_arrays,
    describe=lambda c: f"On {c['name']}",
    leaks=(r"\[\s*np\.argmax\(\s*d\s*\)\s*\]\s*=\s*1|All the mass on argmax D",))


@with_spec(GRID_BEST_RESPONSE)
def check_grid_best_response(best_response_on_grid, quiet: bool = False) -> Result:
    """Exercise 6.4: ``best_response_on_grid(x, d)`` returns the probabilities p (shape of x)
    that a generator free to put any mass on the grid points x should use to minimise
    sum_i p_i (-log d_i) against the fixed D values d. Its loss is compared with the smallest
    possible one on a smooth D, random values and a few points with ties."""
    return check(GRID_BEST_RESPONSE, best_response_on_grid, quiet)


# -- 6.5 -----------------------------------------------------------------------------------
def expected_modes_reference(n: int, K: int, m: int, n_std: float = 3.0) -> float:
    """The instructor's closed form for exercise 6.5, written to stay accurate for any n and m."""
    c = -math.expm1(-(n_std**2) / 2)
    return m * -math.expm1(n * math.log1p(-c / m))


_EXPECTED_MODES_CASES = ((10, 8, 8, 3.0), (4, 8, 3, 3.0), (30, 25, 25, 3.0), (5, 25, 3, 1.5), (12, 25, 10, 2.0),
                         (1, 8, 1, 3.0), (200, 100, 40, 2.5), (2500, 25, 25, 3.0))


def _expected_modes_cases(rng) -> list:
    """(n, K, m, n_std): full copies of the ring and the grid, partial collapse, other radii, one sample,
    many modes, the protocol's thousands of samples, sizes the page never uses: the book's eight or eight fresh."""
    if rng is None:
        return [list(c) for c in _EXPECTED_MODES_CASES]
    i = rng.integers
    k1, k2, k3, k4, k5 = int(i(6, 12)), int(i(8, 30)), int(i(15, 40)), int(i(50, 150)), int(i(10, 40))
    return [[n, k, m, float(s)] for n, k, m, s in (
        (int(i(5, 20)), k1, k1, rng.uniform(2.5, 3.5)), (int(i(2, 8)), k2, int(i(2, k2)), rng.uniform(1.5, 3.5)),
        (int(i(20, 60)), k3, k3, rng.uniform(2.0, 3.5)), (int(i(3, 10)), k3, int(i(2, 6)), rng.uniform(1.0, 2.0)),
        (1, k2, 1, rng.uniform(1.0, 3.5)), (int(i(8, 20)), k4, int(i(5, 15)), rng.uniform(1.5, 2.5)),
        (int(i(100, 400)), k4, int(i(20, k4)), rng.uniform(2.0, 3.0)),
        (int(i(1000, 4000)), k5, k5, rng.uniform(2.5, 3.5)))]


def _expected_modes_wrong_reference(n: int, K: int, m: int, n_std: float) -> tuple[tuple[float, str], ...]:
    """Plausible wrong answers of exercise 6.5, with targeted hints."""
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


_judge_expected_modes = judge_cases(
    expected_modes_reference, _expected_modes_wrong_reference, lambda x: 1e-9 * max(1.0, abs(x)),
    lambda c: f"For n = {c[0]}, K = {c[1]}, m = {c[2]}, n_std = {c[3]:g}",
    "which is not the expectation. Find the probability that one sample is a high-quality sample of a given "
    "covered mode, then the probability that none of the n samples is, and add over the modes.",
    "E[modes] = m (1 - (1 - c/m)^n) with c = 1 - exp(-n_std²/2): each covered mode is missed by all n samples "
    "with probability (1 - c/m)^n, and expectation is additive. Now run the next cell and compare.", end=".")


EXPECTED_MODES = Spec(
    answer="expected_modes", judge=_judge_expected_modes, cases=_expected_modes_cases, forbid=COVERAGE_REFERENCES,
    describe=_judge_expected_modes.describe,
    leaks=(r"m\s*\*?\s*\(\s*1\s*-\s*\(\s*1\s*-\s*c\s*/\s*m\s*\)\s*(?:\*\*|\^)\s*n\s*\)",
           r"1\s*-\s*\\frac\{+c\}+\{+m\}+\s*\\right\)\^\{+n\}+"))


@with_spec(EXPECTED_MODES)
def check_expected_modes(expected_modes, quiet: bool = False) -> Result:
    """Exercise 6.5: ``expected_modes(n, K, m, n_std)`` predicts, before the run, the expected
    number of modes captured (``mode_coverage``'s rule at radius n_std sigma) by n samples of a
    generator that copies m of the K modes of a 2D mixture exactly (weight 1/m each), the modes
    being far apart in sigma units. Checked at 8 cases, ring and grid sizes and others the page
    never uses, to a relative 1e-9 (a simulation is not that accurate); the answer may not call
    mode_coverage."""
    return check(EXPECTED_MODES, expected_modes, quiet)
