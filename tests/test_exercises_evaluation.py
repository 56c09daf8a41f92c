"""The chapter 10 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code."""

import math

import numpy as np
import pytest
from scipy import linalg

from gantools.exercises.evaluation import (
    check_fd_1d,
    check_frechet_distance,
    check_is_half_unsure,
    check_is_k_classes,
)
from gantools.metrics import inception_score


def starter(*args):
    raise NotImplementedError


# -- 10.1 ----------------------------------------------------------------------------------
def test_fd_1d_accepts_two():
    assert check_fd_1d(2.0, quiet=True)
    assert check_fd_1d(np.float64((0 - 1) ** 2 + (1 - 2) ** 2), quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (10.0, "variances"), (1.0, "only one of the two terms"), (math.sqrt(2), "its square"),
    (6.0, "cross term"), (3.0, "square root of S1 S2"), (4.0, "standard deviations"), ("two", "standard deviations"),
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
