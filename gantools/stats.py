"""The book's statistics: every interval a chapter, a bench script or a table quotes comes from here.

The rule (CONTRIBUTING.md, "Verdicts the data supports"):

- An effect is a difference of means over seeds, with a 95% interval (:func:`compare`): Student's t on the per-seed
  differences when the runs are paired (:func:`paired_difference`), Welch's t otherwise
  (:func:`welch_difference`), at every number of seeds. A percentile bootstrap
  (:func:`bootstrap_difference`) is refused below :data:`MIN_BOOTSTRAP` values per group, where it
  is narrower than it says: ``bench/bootstrap_coverage.py`` measures its 95% interval covering
  91-94% of the time at 10 seeds a group (t: 95-96%), 84-89% at 5, and 94% at 30.
- :func:`verdict` turns an effect into the book's words: "helps by 3.1 (0.4 to 5.8)", "hurts by
  ...", "no effect detected (-1.0 to 2.2)". With fewer than :data:`MIN_SEEDS` seeds a group is an
  illustration, and the words say so.
- A table of many intervals is read with :func:`holm` or :func:`benjamini_hochberg` in mind: at
  95%, one interval in twenty excludes 0 by chance.

Plain NumPy and SciPy; ``tests/test_stats.py`` checks each interval against SciPy's own.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from scipy import stats as _sp

MIN_SEEDS = 5  # fewer seeds than this: an illustration, not an effect
MIN_BOOTSTRAP = 30  # fewer values per group than this: no bootstrap (it covers 91-94% at 10, see above)


@dataclass(frozen=True)
class Interval:
    """An estimate with its confidence interval."""

    estimate: float  # the mean, or the difference of means (treated - control)
    low: float  # lower end of the interval
    high: float  # upper end of the interval
    level: float  # confidence level, e.g. 0.95
    n: int  # seeds: the smaller group for a difference
    method: str  # "t", "paired t", "welch" or "bootstrap"
    p: float = math.nan  # two-sided p-value of "no difference" (t methods; nan for the bootstrap)

    def __iter__(self):
        """``effect, low, high = interval`` unpacks like the tuples tables are built from."""
        return iter((self.estimate, self.low, self.high))

    def __getitem__(self, i: int) -> float:
        """``interval[0]``, ``[1]``, ``[2]``: the estimate, the low end, the high end."""
        return (self.estimate, self.low, self.high)[i]

    @property
    def half_width(self) -> float:
        """Half the interval's width (the ± of a table)."""
        return (self.high - self.low) / 2

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    @property
    def degenerate(self) -> bool:
        """An interval of width zero: every seed gave the same value (or the same difference), so
        the data show no seed-to-seed variation to measure the uncertainty with."""
        return self.high == self.low


def _values(values, name: str = "values", min_n: int = 1) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if v.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {v.shape}")
    if v.size < min_n:
        raise ValueError(f"{name} needs at least {min_n} values, got {v.size}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite, got {v.tolist()}")
    return v


def _level(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    return float(level)


def t_interval(values, level: float = 0.95) -> Interval:
    """The mean over seeds and its Student-t interval (at least 2 values)."""
    v, level = _values(values, min_n=2), _level(level)
    m, se = float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size))
    h = float(_sp.t.ppf(0.5 + level / 2, v.size - 1) * se)
    p = float(2 * _sp.t.sf(abs(m) / se, v.size - 1)) if se > 0 else (0.0 if m != 0 else 1.0)
    return Interval(m, m - h, m + h, level, int(v.size), "t", p)


def mean_halfwidth(values, level: float = 0.95) -> tuple[float, float]:
    """(mean, half-width of the t-interval), the "mean ± h" of the book's tables.

    A table cell must not fail on a bad seed, so unlike :func:`t_interval`: (nan, nan) when a value
    is NaN, (inf or -inf, nan) when values are infinite (a run with no high-quality sample has
    KL = inf; inf and -inf together give nan), and (value, nan) for one value.
    """
    v = np.asarray(values, dtype=float).ravel()
    if v.size == 0:
        raise ValueError("values is empty")
    if not np.all(np.isfinite(v)):
        return float(v.mean()), float("nan")
    if v.size < 2:
        return float(v.mean()), float("nan")
    return float(v.mean()), t_interval(v, level).half_width


def paired_difference(treated, control, level: float = 0.95) -> Interval:
    """mean(treated - control) over paired seeds (the same seed, or two measurements of one run),
    with the t-interval of the per-seed differences."""
    t, c = _values(treated, "treated", 2), _values(control, "control", 2)
    if t.size != c.size:
        raise ValueError(f"paired groups must have the same length, got {t.size} and {c.size}")
    d = t_interval(t - c, level)
    return Interval(d.estimate, d.low, d.high, d.level, d.n, "paired t", d.p)


def welch_difference(treated, control, level: float = 0.95) -> Interval:
    """mean(treated) - mean(control) for independent groups, with Welch's t-interval
    (unequal variances, Welch-Satterthwaite degrees of freedom)."""
    t, c, level = _values(treated, "treated", 2), _values(control, "control", 2), _level(level)
    vt, vc = t.var(ddof=1) / t.size, c.var(ddof=1) / c.size
    diff, se = float(t.mean() - c.mean()), math.sqrt(vt + vc)
    if se == 0:
        p = 0.0 if diff != 0 else 1.0
        return Interval(diff, diff, diff, level, int(min(t.size, c.size)), "welch", p)
    df = (vt + vc) ** 2 / (vt**2 / (t.size - 1) + vc**2 / (c.size - 1))
    h = float(_sp.t.ppf(0.5 + level / 2, df) * se)
    p = float(2 * _sp.t.sf(abs(diff) / se, df))
    return Interval(diff, diff - h, diff + h, level, int(min(t.size, c.size)), "welch", p)


def bootstrap_difference(treated, control, paired: bool = False, n_boot: int = 10_000, level: float = 0.95,
                         seed: int = 0) -> Interval:
    """mean(treated) - mean(control) with a 95% percentile-bootstrap interval; refused (ValueError)
    with fewer than :data:`MIN_BOOTSTRAP` values per group. Unpaired: each group is resampled on
    its own; ``paired``: the seeds are resampled and the per-seed differences averaged."""
    t, c, level = _values(treated, "treated"), _values(control, "control"), _level(level)
    if min(t.size, c.size) < MIN_BOOTSTRAP:
        raise ValueError(f"a bootstrap needs at least {MIN_BOOTSTRAP} values per group, got {t.size} and {c.size}: "
                         "use welch_difference or paired_difference")
    if paired and t.size != c.size:
        raise ValueError(f"paired groups must have the same length, got {t.size} and {c.size}")
    rng = np.random.default_rng(seed)
    if paired:
        d = t - c
        boots = d[rng.integers(0, d.size, (n_boot, d.size))].mean(1)
    else:
        boots = (t[rng.integers(0, t.size, (n_boot, t.size))].mean(1)
                 - c[rng.integers(0, c.size, (n_boot, c.size))].mean(1))
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    return Interval(float(t.mean() - c.mean()), float(lo), float(hi), level, int(min(t.size, c.size)), "bootstrap")


def compare(treated, control, paired: bool = False, level: float = 0.95) -> Interval:
    """The book's effect of a change, per the rule: Student's t at every number of seeds,
    :func:`paired_difference` for paired seeds, else :func:`welch_difference`. Every result has a
    p-value, so a table of them can be adjusted (:func:`holm`, :func:`benjamini_hochberg`)."""
    return paired_difference(treated, control, level) if paired else welch_difference(treated, control, level)


def proportion_difference(k1: int, n1: int, k2: int, n2: int, level: float = 0.95) -> Interval:
    """k1/n1 - k2/n2, two independent rates (one run's accuracy on two samples), with Newcombe's
    hybrid score interval (his method 10, built from each rate's Wilson interval), which keeps
    its coverage near 0 and 1 where the Wald interval does not. ``n`` of the result is the
    smaller sample, not a number of seeds: a single run is still one run."""
    for name, k, n in (("k1", k1, n1), ("k2", k2, n2)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"the sample size for {name} must be a positive integer, got {n!r}")
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
            raise ValueError(f"{name} must be an integer count between 0 and its sample size {n}, got {k!r}")
    level = _level(level)
    z = float(_sp.norm.ppf(0.5 + level / 2))

    def wilson(k, n):
        p = k / n
        centre, half = (p + z * z / (2 * n)) / (1 + z * z / n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return p, centre - half, centre + half

    (p1, l1, u1), (p2, l2, u2) = wilson(k1, n1), wilson(k2, n2)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Interval(d, low, high, level, int(min(n1, n2)), "newcombe")


def verdict(effect: Interval, higher_is_better: bool = True, fmt: str = ".1f", unit: str = "") -> str:
    """The book's words for an effect: "helps by 3.1 (0.4 to 5.8)", "hurts by 2.0 (...)", "no
    effect detected (-1.0 to 2.2)"; prefixed "illustration, n seeds:" below :data:`MIN_SEEDS`, and
    followed by "every seed gave the same difference" when the interval has width zero.

    ``higher_is_better``: False for a distance (FD) or an error, where a negative effect helps.
    "No effect detected" is not "no effect": the interval says how large an effect could be.
    ``fmt`` (".1f"): a fixed-point format; it gains decimals until the interval's width shows, so
    a real effect is never rounded to "0.0 (0.0 to 0.0)".
    """
    fmt = _enough_decimals(fmt, effect.high - effect.low)
    rng = f"({effect.low:{fmt}}{unit} to {effect.high:{fmt}}{unit})"
    word = verdict_word(effect, higher_is_better)
    words = f"{word} {rng}" if word == "no effect detected" else f"{word} by {abs(effect.estimate):{fmt}}{unit} {rng}"
    if effect.degenerate:
        words += ": every seed gave the same difference, so the interval measures no spread"
    return illustration_prefix(effect) + words


def illustration_prefix(effect: Interval) -> str:
    """"illustration, 3 seeds: " below :data:`MIN_SEEDS` seeds, else "": what precedes an effect's words."""
    return f"illustration, {effect.n} seeds: " if effect.n < MIN_SEEDS else ""


def _enough_decimals(fmt: str, width: float) -> str:
    """``fmt`` (".Nf") with more decimals, up to 12, until ``width`` (> 0) is at least 10^-N."""
    m = re.fullmatch(r"\.(\d+)f", fmt)
    if m is None or not width > 0 or not math.isfinite(width):
        return fmt
    digits = int(m.group(1))
    while width < 10.0**-digits and digits < 12:
        digits += 1
    return f".{digits}f"


def verdict_word(effect: Interval, higher_is_better: bool = True) -> str:
    """Just the word of :func:`verdict`: "helps", "hurts" or "no effect detected"."""
    if not effect.excludes_zero:
        return "no effect detected"
    return "helps" if (effect.estimate > 0) == higher_is_better else "hurts"


def _sorted_pvalues(pvalues) -> tuple[np.ndarray, np.ndarray]:
    """(p, the order that sorts it), after checking that every p lies in [0, 1]."""
    p = _values(pvalues, "pvalues")
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"p-values must lie in [0, 1], got {p.tolist()}")
    return p, np.argsort(p)


def _unsorted(order: np.ndarray, adjusted_sorted: np.ndarray) -> np.ndarray:
    out = np.empty(order.size)
    out[order] = np.minimum(adjusted_sorted, 1.0)
    return out


def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error): reject where adjusted < alpha."""
    p, order = _sorted_pvalues(pvalues)
    return _unsorted(order, np.maximum.accumulate((p.size - np.arange(p.size)) * p[order]))


def benjamini_hochberg(pvalues) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (false discovery rate): reject where adjusted < q."""
    p, order = _sorted_pvalues(pvalues)
    ranked = p[order] * p.size / np.arange(1, p.size + 1)
    return _unsorted(order, np.minimum.accumulate(ranked[::-1])[::-1])


def expected_false_exclusions(n_intervals: int, level: float = 0.95) -> float:
    """How many of ``n_intervals`` independent intervals exclude 0 by chance when no effect is real:
    the note a table of many intervals carries."""
    if isinstance(n_intervals, bool) or not isinstance(n_intervals, (int, np.integer)) or n_intervals < 0:
        raise ValueError(f"n_intervals must be a non-negative integer, got {n_intervals!r}")
    return float(n_intervals * (1 - _level(level)))
