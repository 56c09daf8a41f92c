"""gantools.evaluation.kid against plain loops, torchmetrics' KID, the jackknife by brute force, and
simulation (unbiasedness, and a standard error that matches the spread of repeated draws)."""

import warnings

import numpy as np
import pytest
import torch

from gantools.evaluation.kid import kernel_distance, polynomial_kernel

torch.set_num_threads(1)


def mmd_loops(x, y, k):
    """The unbiased MMD^2 written with explicit sums over index pairs."""
    m, n = len(x), len(y)
    kxx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    kyy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    kxy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return kxx + kyy - 2 * kxy


def test_agrees_with_loops_for_unequal_sizes():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(17, 5)), rng.normal(0.3, 1.2, size=(23, 5))
    k = lambda a, b: (a @ b / 5 + 1.0) ** 3  # noqa: E731
    assert abs(kernel_distance(x, y).value - mmd_loops(x, y, k)) < 1e-12
    k2 = lambda a, b: (0.5 * a @ b + 2.0) ** 2  # noqa: E731
    assert abs(kernel_distance(x, y, degree=2, gamma=0.5, coef=2.0).value - mmd_loops(x, y, k2)) < 1e-10


def test_polynomial_kernel_matrix():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(6, 3))
    km = polynomial_kernel(a, b)
    assert km.shape == (4, 6)
    assert abs(km[2, 5] - (a[2] @ b[5] / 3 + 1) ** 3) < 1e-12


@pytest.mark.parametrize("shift", [0.0, 0.5])
def test_agrees_with_torchmetrics_kernel_inception_distance(shift):
    kid_mod = pytest.importorskip("torchmetrics.image.kid")
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(300, 64)), rng.normal(shift, 1.0, size=(300, 64))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "will save all extracted features in buffer"
        metric = kid_mod.KernelInceptionDistance(feature=torch.nn.Identity(), subsets=1, subset_size=300)
    metric.update(torch.from_numpy(x), real=True)
    metric.update(torch.from_numpy(y), real=False)
    theirs, _ = metric.compute()  # one subset of all 300: a permutation, which MMD ignores
    ours = kernel_distance(x, y).value
    assert abs(ours - theirs.item()) < 1e-10 * max(1.0, abs(ours))
    direct = kid_mod.poly_mmd(torch.from_numpy(x), torch.from_numpy(y)).item()
    assert abs(ours - direct) < 1e-10 * max(1.0, abs(ours))


def test_jackknife_standard_error_matches_brute_force_deletion():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(12, 4)), rng.normal(0.4, 1.0, size=(9, 4))
    loo_x = np.array([kernel_distance(np.delete(x, i, 0), y).value for i in range(len(x))])
    loo_y = np.array([kernel_distance(x, np.delete(y, j, 0)).value for j in range(len(y))])
    var = 11 / 12 * np.sum((loo_x - loo_x.mean()) ** 2) + 8 / 9 * np.sum((loo_y - loo_y.mean()) ** 2)
    assert abs(kernel_distance(x, y).se - np.sqrt(var)) < 1e-12


@pytest.mark.parametrize(("shift", "se_ratio"), [(0.0, (1.0, 1.6)), (0.4, (0.9, 1.3))])
def test_unbiased_and_standard_error_matches_the_spread(shift, se_ratio):
    """200 repeated draws of n = 100 per side in 8-D: the mean estimate is the population MMD^2
    (estimated by one draw of 4000 per side) within 3 standard errors. The mean jackknife
    standard error is close to the standard deviation of the estimates when the distributions
    differ, and conservative (too large, never too small: Efron-Stein) when they are equal,
    where the U-statistic is degenerate."""
    rng = np.random.default_rng(4)
    d, n, reps = 8, 100, 200
    mu = np.zeros(d)
    mu[0] = shift
    draws = [kernel_distance(rng.normal(size=(n, d)), rng.normal(size=(n, d)) + mu) for _ in range(reps)]
    values, ses = np.array([r.value for r in draws]), np.array([r.se for r in draws])
    truth = kernel_distance(rng.normal(size=(4000, d)), rng.normal(size=(4000, d)) + mu)
    sd = values.std(ddof=1)
    assert abs(values.mean() - truth.value) < 3 * np.hypot(sd / np.sqrt(reps), truth.se), (values.mean(), truth)
    lo, hi = se_ratio
    assert lo < ses.mean() / sd < hi, (ses.mean(), sd)
    if shift == 0.0:
        assert abs(truth.value) < 3 * truth.se


def test_bad_input_raises_value_error_naming_it():
    x = np.zeros((10, 3))
    with pytest.raises(ValueError, match="feature dimensions differ"):
        kernel_distance(x, np.zeros((10, 4)))
    with pytest.raises(ValueError, match="at least 3 rows"):
        kernel_distance(x, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        kernel_distance(np.full((5, 3), np.nan), x)
    with pytest.raises(ValueError, match="degree"):
        kernel_distance(x, x, degree=0)
    with pytest.raises(ValueError, match="gamma"):
        kernel_distance(x, x, gamma=-1.0)
