"""gantools.stats against SciPy's own intervals and tests, and the book's verdict words."""

import numpy as np
import pytest
from scipy import stats as sp

from gantools import stats

RNG = np.random.default_rng(0)
A, B = RNG.normal(1.0, 1.0, 7), RNG.normal(0.0, 2.0, 9)


def test_t_interval_matches_scipy():
    iv = stats.t_interval(A)
    lo, hi = sp.t.interval(0.95, len(A) - 1, loc=A.mean(), scale=sp.sem(A))
    assert iv.estimate == pytest.approx(A.mean()) and iv.low == pytest.approx(lo) and iv.high == pytest.approx(hi)
    assert iv.p == pytest.approx(sp.ttest_1samp(A, 0).pvalue)
    assert iv.half_width == pytest.approx((hi - lo) / 2)


def test_welch_matches_scipy():
    iv = stats.welch_difference(A, B)
    res = sp.ttest_ind(A, B, equal_var=False)
    ci = res.confidence_interval(0.95)
    assert iv.estimate == pytest.approx(A.mean() - B.mean())
    assert (iv.low, iv.high) == pytest.approx((ci.low, ci.high))
    assert iv.p == pytest.approx(res.pvalue) and iv.method == "welch" and iv.n == 7


def test_paired_matches_scipy():
    b = A + RNG.normal(0.3, 0.1, len(A))
    iv = stats.paired_difference(b, A)
    res = sp.ttest_rel(b, A)
    ci = res.confidence_interval(0.95)
    assert (iv.low, iv.high) == pytest.approx((ci.low, ci.high)) and iv.p == pytest.approx(res.pvalue)
    # pairing removes the seed-to-seed spread: far narrower than Welch on the same numbers
    assert iv.half_width < stats.welch_difference(b, A).half_width / 5


def test_bootstrap_needs_ten_values_per_group_and_covers_the_truth():
    with pytest.raises(ValueError, match="at least 10 values per group"):
        stats.bootstrap_difference(A, B)
    x, y = RNG.normal(1.0, 1.0, 40), RNG.normal(0.0, 1.0, 40)
    iv = stats.bootstrap_difference(x, y)
    welch = stats.welch_difference(x, y)
    assert iv.low < 1.0 < iv.high and abs(iv.half_width - welch.half_width) < 0.1 * welch.half_width


def test_verdict_words():
    helps = stats.Interval(3.1, 0.4, 5.8, 0.95, 10, "welch")
    assert stats.verdict(helps) == "helps by 3.1 (0.4 to 5.8)"
    assert stats.verdict(helps, higher_is_better=False) == "hurts by 3.1 (0.4 to 5.8)"  # a larger FD hurts
    none = stats.Interval(0.6, -1.0, 2.2, 0.95, 10, "welch")
    assert stats.verdict(none) == "no effect detected (-1.0 to 2.2)"
    few = stats.Interval(3.1, 0.4, 5.8, 0.95, 3, "welch")
    assert stats.verdict(few) == "illustration, 3 seeds: helps by 3.1 (0.4 to 5.8)"
    assert stats.verdict_word(helps) == "helps" and stats.verdict_word(none) == "no effect detected"


def test_mean_halfwidth_table_cells():
    m, h = stats.mean_halfwidth(A)
    assert m == pytest.approx(A.mean()) and h == pytest.approx(stats.t_interval(A).half_width)
    assert stats.mean_halfwidth([1.0, np.inf])[0] == np.inf
    assert np.isnan(stats.mean_halfwidth([2.0])[1])


def test_multiple_comparisons():
    p = np.array([0.01, 0.04, 0.03, 0.005])
    # Holm by hand: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1, then running max
    assert stats.holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # BH by hand: sorted p * 4 / rank = 0.02, 0.02, 0.04, 0.04, then running min from the top
    assert stats.benjamini_hochberg(p) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert stats.expected_false_exclusions(60) == pytest.approx(3.0)


@pytest.mark.parametrize("bad", [[1.0], [1.0, np.nan], [[1.0, 2.0]]])
def test_bad_input_is_a_value_error(bad):
    with pytest.raises(ValueError):
        stats.t_interval(bad)


def test_bad_level_and_pvalues():
    with pytest.raises(ValueError, match="level must be in"):
        stats.t_interval(A, level=95)
    with pytest.raises(ValueError, match="p-values must lie"):
        stats.holm([0.5, 1.5])
    with pytest.raises(ValueError, match="same length"):
        stats.paired_difference(A, B)
