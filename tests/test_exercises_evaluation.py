"""The chapter 10 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code."""

import math

import numpy as np
import pytest
from _fresh_cases import assert_plain_values_only
from scipy import linalg, special, stats

from gantools.exercises.evaluation import (
    check_fd_1d,
    check_fd_bias_spread,
    check_frechet_distance,
    check_is_half_unsure,
    check_is_k_classes,
)
from gantools.exercises.protocol import evaluate
from gantools.metrics import inception_score

SEEDS = (0, 1, 2)




def starter(*args):
    raise NotImplementedError


# -- 10.1 ----------------------------------------------------------------------------------
def test_fd_1d_accepts_two():
    assert check_fd_1d(2.0, quiet=True)
    assert check_fd_1d(np.float64((0 - 1) ** 2 + (1 - 2) ** 2), quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (10.0, "variances"), (1.0, "only one of the two terms"), (math.sqrt(2), "its square"),
    (6.0, "cross term"), (3.0, "square root of S1 S2"), (4.0, "standard deviations"), ("two", "one number"),
])
def test_fd_1d_rejects(wrong, word):
    r = check_fd_1d(wrong, quiet=True)
    assert not r
    assert word in r.message


def test_fd_1d_starter():
    with pytest.raises(NotImplementedError):
        check_fd_1d(None, quiet=True)


# -- 10.2 ----------------------------------------------------------------------------------
def frechet_distance(mu1, s1, mu2, s2):
    """The reference solution of exercise 10.2."""
    covmean = linalg.sqrtm(s1 @ s2).real
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def via_eigenvalues(mu1, s1, mu2, s2):
    """An independent route: Tr (S1 S2)^(1/2) = sum of the square roots of the eigenvalues of S1 S2."""
    ev = np.linalg.eigvals(s1 @ s2)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2) - 2 * np.sum(np.sqrt(ev.real.clip(0))))


def test_frechet_distance_accepts_reference():
    assert check_frechet_distance(frechet_distance, quiet=True)
    assert check_frechet_distance(via_eigenvalues, quiet=True)


def test_frechet_distance_rejects_existing_implementations():
    """gantools' and torchmetrics' Fréchet distances are in scope in chapter 10: forbidden."""
    import torch
    from torchmetrics.image.fid import _compute_fid

    from gantools.metrics import frechet_distance as fd

    def via_torchmetrics(mu1, s1, mu2, s2):
        t = [torch.as_tensor(a, dtype=torch.float64) for a in (mu1, s1, mu2, s2)]
        return float(_compute_fid(*t))

    for shortcut, name in ((fd, "frechet_distance"), (lambda *a: fd(*a), "frechet_distance"),
                           (via_torchmetrics, "_compute_fid")):
        r = check_frechet_distance(shortcut, quiet=True)
        assert not r and name in r.message, r.message


def _dm(mu1, mu2):
    return float(np.sum((mu1 - mu2) ** 2))


@pytest.mark.parametrize("wrong,word", [
    (lambda m1, s1, m2, s2: _dm(m1, m2) + np.trace(s1 + s2 - 2 * linalg.sqrtm(s1).real @ linalg.sqrtm(s2).real),
     "commute"),
    (lambda m1, s1, m2, s2: _dm(m1, m2) + np.trace(s1 + s2 - 2 * np.sqrt(np.abs(s1 @ s2))), "each entry"),
    (lambda m1, s1, m2, s2: _dm(m1, m2) + np.trace(s1 + s2 - 2 * linalg.sqrtm(s1 * s2).real), "element-wise"),
    (lambda m1, s1, m2, s2: frechet_distance(m1, s1, m2, s2) + np.trace(linalg.sqrtm(s1 @ s2).real), "factor 2"),
    (lambda m1, s1, m2, s2: frechet_distance(m1, s1, m2, s2) - _dm(m1, m2), "add the squared distance"),
    (lambda m1, s1, m2, s2: frechet_distance(m1, s1, m2, s2) - _dm(m1, m2) + math.sqrt(_dm(m1, m2)),
     "not the distance"),
    (lambda m1, s1, m2, s2: math.sqrt(frechet_distance(m1, s1, m2, s2)), "do not take the square root"),
    (lambda m1, s1, m2, s2: complex(frechet_distance(m1, s1, m2, s2), 1e-9), "complex"),
    (lambda m1, s1, m2, s2: frechet_distance(m1, s1, m2, s2) + 0.5, "sqrtm(S1 @ S2)"),
    (lambda m1, s1, m2, s2: np.array([1.0, 2.0]), "one number"),
    (lambda m1, s1, m2, s2: 1 / 0, "ZeroDivisionError"),
])
def test_frechet_distance_rejects(wrong, word):
    r = check_frechet_distance(wrong, quiet=True)
    assert not r
    assert word in r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_frechet_distance_starter(fn):
    with pytest.raises(NotImplementedError):
        check_frechet_distance(fn, quiet=True)


# -- 10.3 ----------------------------------------------------------------------------------
def test_is_k_classes_accepts_four():
    assert check_is_k_classes(4, quiet=True)
    probs = np.eye(10)[np.repeat(np.arange(4), 25)]  # one-hot, classes 0-3 evenly
    assert check_is_k_classes(inception_score(probs)[0], quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (10, "does not know"), (math.log(4), "exponential"), (1.0, "SAME prediction"), (0.4, "coverage fraction"),
    (math.log(10 / 4), "mode-counting"), (2.0, "one-hot"),
])
def test_is_k_classes_rejects(wrong, word):
    r = check_is_k_classes(wrong, quiet=True)
    assert not r
    assert word in r.message


def test_is_k_classes_starter():
    with pytest.raises(NotImplementedError):
        check_is_k_classes(None, quiet=True)


# -- 10.4 ----------------------------------------------------------------------------------
def is_mixture(f, k):
    """The reference solution of exercise 10.4: K^f."""
    return float(k) ** f


def test_is_half_unsure_accepts_reference():
    assert check_is_half_unsure(is_mixture, quiet=True)
    assert check_is_half_unsure(lambda f, k: math.exp(f * math.log(k)), quiet=True)
    probs = np.vstack([np.eye(10)[np.arange(1000) % 10], np.full((1000, 10), 0.1)])
    assert abs(inception_score(probs)[0] - is_mixture(0.5, 10)) < 1e-12  # the formula, by the library


@pytest.mark.parametrize("wrong,word", [
    (lambda f, k: f * k + (1 - f), "averaged exp(KL)"),
    (lambda f, k: f * k, "geometric mean"),
    (lambda f, k: f * math.log(k), "exponential"),
    (lambda f, k: float(k), "pull the average KL down"),
    (lambda f, k: math.sqrt(10), "p(y) first"),  # the old answer for f = 1/2, K = 10, pasted
])
def test_is_half_unsure_rejects(wrong, word):
    r = check_is_half_unsure(wrong, quiet=True)
    assert not r
    assert word in r.message, r.message


def test_is_half_unsure_rejects_the_library_score():
    """Synthetic probabilities through inception_score give K^f exactly: forbidden."""
    def shortcut(f, k):
        n = 1000
        sure = int(round(f * n))
        probs = np.vstack([np.eye(k)[np.arange(sure) % k], np.full((n - sure, k), 1 / k)])
        return inception_score(probs)[0]

    r = check_is_half_unsure(shortcut, quiet=True)
    assert not r and "inception_score" in r.message, r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_is_half_unsure_starter(fn):
    with pytest.raises(NotImplementedError):
        check_is_half_unsure(fn, quiet=True)


# -- 10.5 ----------------------------------------------------------------------------------
def fd_bias(n, d, s1, s2):
    """The reference solution of exercise 10.5: the mean term's bias plus the trace term's."""
    return d * (s1**2 + s2**2) / n + s1 * s2 * d * (d + 1) / (2 * (n - 1))


def fd_bias_by_simulation(n, d, s1, s2):
    """An independent route: simulate the FD of many pairs of samples and average it, with no
    expansion. The sample mean and covariance of a Gaussian sample are independent, the mean
    N(0, s² I / n) and (n - 1) times the covariance Wishart(n - 1, s² I), so a pair of samples
    costs O(d³), whatever n. The FD is computed by the symmetric form (not gantools', which the
    check forbids), and its first-order fluctuation, (s1 - s2) (Tr S1_hat / s1 - Tr S2_hat / s2),
    whose mean is exactly 0, is subtracted as a control variate: it only lowers the noise."""
    rng = np.random.default_rng(105)
    reps = int(np.clip(400_000 // d**2, 2000, 200_000))
    dm = rng.standard_normal((reps, d)) * math.sqrt((s1**2 + s2**2) / n)
    wishart = stats.wishart(df=n - 1, scale=np.eye(d))
    c1 = s1**2 * wishart.rvs(size=reps, random_state=rng).reshape(reps, d, d) / (n - 1)
    c2 = s2**2 * wishart.rvs(size=reps, random_state=rng).reshape(reps, d, d) / (n - 1)
    w, v = np.linalg.eigh(c1)
    r1 = (v * np.sqrt(w)[:, None, :]) @ np.swapaxes(v, 1, 2)  # S1_hat^(1/2), (reps, d, d)
    lam = np.linalg.eigvalsh(r1 @ c2 @ r1).clip(0)
    t1, t2 = np.trace(c1, axis1=1, axis2=2), np.trace(c2, axis1=1, axis2=2)
    fd = np.sum(dm**2, axis=1) + t1 + t2 - 2 * np.sqrt(lam).sum(axis=1)
    first_order = (s1 - s2) * (t1 / s1 - t2 / s2 - d * (s1 - s2))
    return float(np.mean(fd - first_order) - d * (s1 - s2) ** 2)


def fd_bias_exact_1d(n, s1, s2):
    """In 1D the FD of two samples is (m1 - m2)² + (sd1 - sd2)², with E sd = c4(n) s exactly
    (the chi distribution): E FD - (s1 - s2)² = (s1² + s2²) / n + 2 s1 s2 (1 - c4²)."""
    c4 = math.sqrt(2 / (n - 1)) * math.exp(special.gammaln(n / 2) - special.gammaln((n - 1) / 2))
    return (s1**2 + s2**2) / n + 2 * s1 * s2 * (1 - c4**2)


def test_fd_bias_spread_accepts_reference_and_simulation():
    assert check_fd_bias_spread(fd_bias, quiet=True)
    assert check_fd_bias_spread(fd_bias_by_simulation, quiet=True)
    assert check_fd_bias_spread(lambda n, d, s1, s2: d * (s1**2 + s2**2 + s1 * s2 * (d + 1) / 2) / n, quiet=True)


@pytest.mark.parametrize("n,s1,s2", [(100, 1.0, 3.0), (1000, 2.0, 0.5), (10_000, 0.1, 0.05)])
def test_fd_bias_spread_agrees_with_the_exact_1d_bias(n, s1, s2):
    """The check's formula (through the reference) against the exact 1D expectation."""
    assert abs(fd_bias(n, 1, s1, s2) / fd_bias_exact_1d(n, s1, s2) - 1) < 1e-3


def test_fd_bias_spread_agrees_with_the_book_run():
    """A direct simulation with the book's own FD at one of the chapter's settings."""
    from gantools.metrics import fid_from_features

    rng = np.random.default_rng(0)
    n, d, s2 = 200, 16, 0.5
    est = [fid_from_features(rng.normal(size=(n, d)), rng.normal(0, s2, (n, d))) - d * (1 - s2) ** 2
           for _ in range(400)]
    se = np.std(est, ddof=1) / math.sqrt(len(est))
    assert abs(np.mean(est) - fd_bias(n, d, 1.0, s2)) < 3 * se + 0.03 * fd_bias(n, d, 1.0, s2)
    pooled = (1 + s2**2) / 2 * (2 * d / n + d * (d + 1) / (2 * (n - 1)))  # the guess the run rules out
    assert abs(np.mean(est) - pooled) > 3 * se


def _page(n, d):
    return 2 * d / n + d * (d + 1) / (2 * (n - 1))


@pytest.mark.parametrize("wrong,word", [
    (lambda n, d, s1, s2: fd_bias(n, d, s1, s2) + d * (s1 - s2) ** 2, "expected FD itself"),
    (lambda n, d, s1, s2: _page(n, d), "section 10.2's formula"),
    (lambda n, d, s1, s2: (s1**2 + s2**2) / 2 * _page(n, d), "which combination of s1 and s2"),
    (lambda n, d, s1, s2: s1 * s2 * _page(n, d), "covariance (s1² + s2²) I / n"),
    (lambda n, d, s1, s2: s1 * s2 * d * (d + 1) / (2 * (n - 1)), "sample means differ too"),
    (lambda n, d, s1, s2: d * (s1**2 + s2**2) / n, "mean term alone"),
    (lambda n, d, s1, s2: d * (s1**2 + s2**2) / n - s1 * s2 * d * (d + 1) / (2 * (n - 1)), "concave"),
    (lambda n, d, s1, s2: d * (s1**2 + s2**2) / n + s1 * s2 * d**2 / (2 * (n - 1)), "twice the variance"),
    (lambda n, d, s1, s2: d * (s1**2 + s2**2) / n + s1 * s2 * d / (n - 1), "off-diagonal"),
    (lambda n, d, s1, s2: d * (s1**2 + s2**2) / n + s1 * s2 * d * (d + 1) / (n - 1), "-x²/8"),
    (lambda n, d, s1, s2: 2.973, "Split FD"),  # a number the run prints, pasted
    (lambda n, d, s1, s2: fd_bias(n, d, s1, s2) * 1.05, "Split FD"),
    (lambda n, d, s1, s2: [1.0, 2.0], "one finite number"),
    (lambda n, d, s1, s2: float("nan"), "one finite number"),
    (lambda n, d, s1, s2: 1 / 0, "ZeroDivisionError"),
])
def test_fd_bias_spread_rejects(wrong, word):
    r = check_fd_bias_spread(wrong, quiet=True)
    assert not r and word in r.message, r.message


def test_fd_bias_spread_rejects_a_simulation_with_gantools_fd():
    from gantools.metrics import fid_from_features

    def shortcut(n, d, s1, s2):
        rng = np.random.default_rng(0)
        est = [fid_from_features(rng.normal(0, s1, (n, d)), rng.normal(0, s2, (n, d))) for _ in range(50)]
        return float(np.mean(est)) - d * (s1 - s2) ** 2

    r = check_fd_bias_spread(shortcut, quiet=True)
    assert not r and "fid_from_features" in r.message, r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_fd_bias_spread_starter(fn):
    with pytest.raises(NotImplementedError):
        check_fd_bias_spread(fn, quiet=True)


# -- the two halves: fresh cases, tables, liars --------------------------------------------
@pytest.mark.parametrize("check,right", [(check_fd_1d, 2.0), (check_is_k_classes, 4)])
def test_value_exercises_judge_plain_values_only(check, right):
    assert_plain_values_only(check, right)


def _table_of_the_book(check, fn):
    """An answer that returns the right values for the book's cases only (a lookup), 1.0 elsewhere."""
    spec = check.spec

    def key(args):
        return repr([a.tolist() if isinstance(a, np.ndarray) else a for a in args])

    table = {}
    for case in spec.draw(None):
        args = spec.build(case) if spec.build else tuple(case)
        table[key(args)] = fn(*args)
    return lambda *args: table.get(key(args), 1.0)


@pytest.mark.parametrize("check,solution,wrong", [
    (check_frechet_distance, frechet_distance,
     lambda m1, s1, m2, s2: _dm(m1, m2) + np.trace(s1 + s2 - 2 * linalg.sqrtm(s1).real @ linalg.sqrtm(s2).real)),
    (check_is_half_unsure, is_mixture, lambda f, k: f * k + (1 - f)),
    (check_fd_bias_spread, fd_bias, lambda n, d, s1, s2: _page(n, d)),
])
def test_fresh_cases(check, solution, wrong):
    spec = check.spec
    table = _table_of_the_book(check, solution)
    assert check(table, quiet=True)  # the table is right on the book's cases ...
    for seed in SEEDS:
        assert evaluate(spec, solution, np.random.default_rng(seed))[0] == "pass"
        assert evaluate(spec, wrong, np.random.default_rng(seed))[0] == "fail"
        assert evaluate(spec, table, np.random.default_rng(seed))[0] == "fail"  # ... and only there
    assert spec.draw(np.random.default_rng(0)) != spec.draw(None)
    assert spec.draw(np.random.default_rng(0)) == spec.draw(np.random.default_rng(0))
    assert spec.draw(np.random.default_rng(0)) != spec.draw(np.random.default_rng(1))


def test_independent_routes_pass_fresh_cases():
    for seed in SEEDS:
        assert evaluate(check_frechet_distance.spec, via_eigenvalues, np.random.default_rng(seed))[0] == "pass"
        assert evaluate(check_is_half_unsure.spec, lambda f, k: math.exp(f * math.log(k)),
                        np.random.default_rng(seed))[0] == "pass"


def test_frechet_distance_book_cases_are_unchanged():
    cases = check_frechet_distance.spec.draw(None)
    rng = np.random.default_rng(10)
    s1, s2 = rng.standard_normal((6, 6)), rng.standard_normal((6, 6))
    s1, s2 = s1 @ s1.T / 6 + 0.1 * np.eye(6), s2 @ s2.T / 6 + 0.1 * np.eye(6)
    mu1, mu2 = rng.standard_normal(6), rng.standard_normal(6)
    assert [c["name"] for c in cases] == ["1D Gaussians N(0, 1) and N(1, 4)", "diagonal covariances in 3D",
                                          "non-commuting 6x6 covariances"]
    for got, want in zip(check_frechet_distance.spec.build(cases[2]), (mu1, s1, mu2, s2), strict=True):
        assert np.array_equal(got, want)


def test_fresh_cases_cover_the_regimes():
    for seed in range(20):
        rng = np.random.default_rng(seed)
        mix = check_is_half_unsure.spec.draw(rng)
        assert {0.0, 1.0} <= {f for f, _ in mix} and all(0 <= f <= 1 and k >= 2 for f, k in mix)
        spread = check_fd_bias_spread.spec.draw(rng)
        assert all(n >= 300 and n >= 4 * d * d for n, d, _, _ in spread)
        ratios = [s2 / s1 for _, _, s1, s2 in spread]
        assert min(ratios) <= 0.5 and max(ratios) >= 1.5 and 1.0 in ratios
        assert min(d for _, d, _, _ in spread) == 1 and max(d for _, d, _, _ in spread) >= 12
