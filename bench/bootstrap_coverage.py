"""How often a 95% interval of a difference of means covers the true difference, by method and
number of seeds: why :func:`gantools.stats.compare` uses Student's t at every number of seeds and
:func:`gantools.stats.bootstrap_difference` refuses fewer than 30 values per group.

Each case draws two groups of n values with no true difference, ``--reps`` times, and counts how
often each interval contains 0: the percentile bootstrap (``--boot`` resamples, unpaired or of the
per-seed differences) against Welch's or the paired t. Three data shapes: normal, paired normal
(the same seeds, a shared seed effect), and bimodal (a run that succeeds or fails, as chapter 13's
CycleGAN seeds do).

    python bench/bootstrap_coverage.py                 # 2,000 repetitions per case (~1 min)
    python bench/bootstrap_coverage.py --reps 200      # a smoke run
"""

from __future__ import annotations

import sys
import time

import numpy as np

from gantools.checks import OneLineParser
from gantools.stats import paired_difference, welch_difference


def draw(rng: np.random.Generator, shape: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Two groups of n values with the same mean."""
    if shape == "bimodal":  # each run succeeds (1) or fails (0), 60:40, with a little noise
        def one():
            return np.where(rng.random(n) < 0.4, 0.0, 1.0) + rng.normal(0, 0.05, n)
        return one(), one()
    if shape == "paired":  # a seed effect shared by both arms, plus each arm's own noise
        seed = rng.normal(0, 2, n)
        return seed + rng.normal(0, 1, n), seed + rng.normal(0, 1, n)
    return rng.normal(0, 1, n), rng.normal(0, 1, n)


def coverage(shape: str, n: int, reps: int, boot: int, seed: int = 0) -> tuple[float, float]:
    """(bootstrap coverage, t coverage) of 0 over ``reps`` draws."""
    rng = np.random.default_rng(seed)
    paired = shape == "paired"
    hit_boot = hit_t = 0
    for _ in range(reps):
        a, b = draw(rng, shape, n)
        if paired:
            d = a - b
            boots = d[rng.integers(0, n, (boot, n))].mean(1)
            t = paired_difference(a, b)
        else:
            boots = a[rng.integers(0, n, (boot, n))].mean(1) - b[rng.integers(0, n, (boot, n))].mean(1)
            t = welch_difference(a, b)
        lo, hi = np.quantile(boots, [0.025, 0.975])
        hit_boot += lo <= 0 <= hi
        hit_t += t.low <= 0 <= t.high
    return hit_boot / reps, hit_t / reps


def main(argv: list[str] | None = None) -> int:
    p = OneLineParser(prog="bench/bootstrap_coverage.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=2000, help="draws per case (default 2000)")
    p.add_argument("--boot", type=int, default=2000, help="bootstrap resamples (default 2000)")
    args = p.parse_args(argv)
    if args.reps < 1 or args.boot < 1:
        p.error("--reps and --boot must be positive")
    t0 = time.perf_counter()
    print(f"coverage of 0 by 95% intervals, {args.reps} draws per case (binomial s.e. about "
          f"{100 * (0.05 * 0.95 / args.reps) ** 0.5:.1f} points)")
    print("| seeds a group | data | percentile bootstrap | t (Welch or paired) |")
    print("|---|---|---|---|")
    for n in (5, 10, 20, 30):
        for shape in ("normal", "paired", "bimodal"):
            b, t = coverage(shape, n, args.reps, args.boot)
            print(f"| {n} | {shape} | {100 * b:.1f}% | {100 * t:.1f}% |", flush=True)
    print(f"{time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
