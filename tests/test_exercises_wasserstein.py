"""The chapter 7 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code."""

import numpy as np
import pytest
import torch
from torch import nn

from gantools.exercises.wasserstein import (
    check_clipped_lipschitz,
    check_sorted_w1,
    check_spectral_bound,
    check_w1_uniforms,
)


def starter(*args):
    raise NotImplementedError


# -- 7.1 -----------------------------------------------------------------------------------
def test_w1_uniforms_accepts_half():
    assert check_w1_uniforms(0.5, quiet=True)
    assert check_w1_uniforms(1 / 6 + 1 / 6 + 1 / 6, quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (0.0, "means"), (4 / 3, "densities"), (1 / 3, "Kolmogorov"), (1 / 6, "[0, 1] only"), (0.7, "piece by piece"),
])
def test_w1_uniforms_rejects(wrong, word):
    r = check_w1_uniforms(wrong, quiet=True)
    assert not r
    assert word in r.message


def test_w1_uniforms_starter():
    with pytest.raises(NotImplementedError):
        check_w1_uniforms(None, quiet=True)


# -- 7.2 -----------------------------------------------------------------------------------
def sorted_w1(x, y):
    """The reference solution of exercise 7.2."""
    return float(np.mean(np.abs(np.sort(x) - np.sort(y))))


def test_sorted_w1_accepts_reference():
    assert check_sorted_w1(sorted_w1, quiet=True)


def test_sorted_w1_accepts_pot():
    from gantools.wasserstein import empirical_w1

    assert check_sorted_w1(empirical_w1, quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (lambda x, y: np.mean(np.abs(x - y)), "sort both samples first"),
    (lambda x, y: abs(x.mean() - y.mean()), "lower bound"),
    (lambda x, y: np.sqrt(np.mean((np.sort(x) - np.sort(y)) ** 2)), "W2"),
    (lambda x, y: np.mean(np.abs(np.sort(x) - np.sort(y)[::-1])), "same order"),
    (lambda x, y: np.max(np.abs(np.sort(x) - np.sort(y))), "W-infinity"),
    (lambda x, y: 2 * sorted_w1(x, y), "Sort both samples and average"),
    (lambda x, y: np.sort(x) - np.sort(y), "one number"),
    (lambda x, y: 1 / 0, "ZeroDivisionError"),
])
def test_sorted_w1_rejects(wrong, word):
    r = check_sorted_w1(wrong, quiet=True)
    assert not r
    assert word in r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_sorted_w1_starter(fn):
    with pytest.raises(NotImplementedError):
        check_sorted_w1(fn, quiet=True)


# -- 7.3 -----------------------------------------------------------------------------------
def test_clipped_lipschitz_accepts():
    c = 0.01
    assert check_clipped_lipschitz((c * 8) * (c * 64) * (c * 8), quiet=True)
    assert check_clipped_lipschitz(0.004096, quiet=True)


def test_clipped_lipschitz_is_attained():
    """The all-c critic reaches 4096 c^3: f(1) - f(0) with zero biases."""
    net = nn.Sequential(nn.Linear(1, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1)).double()
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Linear):
                m.weight.fill_(0.01)
                m.bias.zero_()
    slope = (net(torch.ones(1, 1, dtype=torch.float64)) - net(torch.zeros(1, 1, dtype=torch.float64))).item()
    assert abs(slope - 0.004096) < 1e-12
    assert check_clipped_lipschitz(slope, quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (1e-6, "forgets the widths"), (0.01, "layers' norms multiply"), (0.01**3 * 64 * 4096 * 64, "sqrt(mn)"),
    (64e-6, "Count every layer"), (0.002, "Multiply"),
])
def test_clipped_lipschitz_rejects(wrong, word):
    r = check_clipped_lipschitz(wrong, quiet=True)
    assert not r
    assert word in r.message


def test_clipped_lipschitz_starter():
    with pytest.raises(NotImplementedError):
        check_clipped_lipschitz(None, quiet=True)


# -- 7.4 -----------------------------------------------------------------------------------
def spectral_bound(critic):
    """The reference solution of exercise 7.4."""
    out = 1.0
    for m in critic:
        if isinstance(m, nn.Linear):
            out *= torch.linalg.matrix_norm(m.weight.detach(), ord=2).item()
    return out


def test_spectral_bound_accepts_reference():
    assert check_spectral_bound(spectral_bound, quiet=True)


def _layers(critic):
    return [m.weight.detach().double() for m in critic if isinstance(m, nn.Linear)]


@pytest.mark.parametrize("wrong,word", [
    (lambda c: float(np.prod([w.norm().item() for w in _layers(c)])), "Frobenius"),
    (lambda c: float(np.prod([w.abs().max().item() for w in _layers(c)])), "largest entry"),
    (lambda c: float(sum(torch.linalg.svdvals(w)[0].item() for w in _layers(c))), "do not add"),
    (lambda c: float(np.prod([torch.linalg.svdvals(w)[0].item() for w in _layers(c)[:-1]])), "last Linear"),
    (lambda c: float(np.prod([torch.linalg.svdvals(w)[0].item() ** 2 for w in _layers(c)])), "square root"),
    (lambda c: float(np.prod([torch.linalg.svdvals(w)[-1].item() for w in _layers(c)])), "not the smallest"),
    (lambda c: 1.0, "matrix_norm"),
    (lambda c: torch.ones(3), "one number"),
    (lambda c: c.weight, "AttributeError"),
])
def test_spectral_bound_rejects(wrong, word):
    r = check_spectral_bound(wrong, quiet=True)
    assert not r
    assert word in r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_spectral_bound_starter(fn):
    with pytest.raises(NotImplementedError):
        check_spectral_bound(fn, quiet=True)
