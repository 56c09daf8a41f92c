"""The chapter 7 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code."""

import numpy as np
import pytest
import torch
from torch import nn

from gantools.exercises.protocol import evaluate
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


def test_sorted_w1_rejects_routines_that_do_it_in_one_call():
    """empirical_w1 (POT) is in scope in chapter 7, and SciPy has a 1D W1: both are forbidden (the message
    names the forbidden routine reached last: empirical_w1 itself, or POT's emd2 inside it)."""
    from scipy.stats import wasserstein_distance

    from gantools.wasserstein import empirical_w1

    for shortcut, name in ((empirical_w1, "empirical_w1"), (lambda x, y: empirical_w1(x, y), "empirical_w1"),
                           (wasserstein_distance, "wasserstein_distance"), (lambda x, y: wasserstein_distance(x, y),
                                                                            "wasserstein_distance")):
        r = check_sorted_w1(shortcut, quiet=True)
        assert not r and "calls" in r.message, r.message
        assert name in r.message or (name == "empirical_w1" and "emd2" in r.message), r.message


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
def spectral_bound(critic):
    """The reference solution of exercise 7.3."""
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


def test_spectral_bound_rejects_the_library_bound():
    from gantools.wasserstein import layer_lipschitz_bound

    r = check_spectral_bound(lambda c: layer_lipschitz_bound(c), quiet=True)
    assert not r and "layer_lipschitz_bound" in r.message, r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_spectral_bound_starter(fn):
    with pytest.raises(NotImplementedError):
        check_spectral_bound(fn, quiet=True)


# -- 7.4 -----------------------------------------------------------------------------------
def max_clipped_lipschitz(widths, c):
    """The reference solution of exercise 7.4: prod_l c sqrt(w_(l-1) w_l)."""
    return float(np.prod([c * np.sqrt(a * b) for a, b in zip(widths[:-1], widths[1:], strict=True)]))


def test_clipped_lipschitz_accepts():
    assert check_clipped_lipschitz(max_clipped_lipschitz, quiet=True)
    assert abs(max_clipped_lipschitz([1, 64, 64, 1], 0.01) - 0.004096) < 1e-15


@pytest.mark.parametrize("widths", [(1, 64, 64, 1), (3, 16, 8, 1)])
def test_clipped_lipschitz_is_attained(widths):
    """The all-c critic with zero biases reaches the bound along (1, ..., 1)/sqrt(d)."""
    layers = []
    for a, b in zip(widths[:-1], widths[1:], strict=True):
        layers += [nn.Linear(a, b), nn.ReLU()]
    net = nn.Sequential(*layers[:-1]).double()
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Linear):
                m.weight.fill_(0.01)
                m.bias.zero_()
    u = torch.ones(1, widths[0], dtype=torch.float64) / widths[0] ** 0.5
    slope = (net(u) - net(torch.zeros_like(u))).item()
    assert abs(slope - max_clipped_lipschitz(list(widths), 0.01)) < 1e-12 * slope


@pytest.mark.parametrize("wrong,word", [
    (lambda w, c: c ** (len(w) - 1) * float(np.prod(w[1:-1])), "input dimension counts"),
    (lambda w, c: c ** (len(w) - 1) * float(np.prod(w[1:-1])) * w[0], "not d"),
    (lambda w, c: c ** (len(w) - 1), "forgets the widths"),
    (lambda w, c: c, "norms multiply"),
    (lambda w, c: float(np.prod([c * a * b for a, b in zip(w[:-1], w[1:], strict=True)])), "sum of the entries"),
    (lambda w, c: 0.004096, "Frobenius"),  # 4096 c^3, the number section 7.3 prints, pasted
    (lambda w, c: 1 / 0, "ZeroDivisionError"),
])
def test_clipped_lipschitz_rejects(wrong, word):
    r = check_clipped_lipschitz(wrong, quiet=True)
    assert not r
    assert word in r.message, r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_clipped_lipschitz_starter(fn):
    with pytest.raises(NotImplementedError):
        check_clipped_lipschitz(fn, quiet=True)


# -- fresh cases (the grader's draws) --------------------------------------------------------
SEEDS = (0, 1, 2)


def _book_table(check, key):
    """A function that returns the right values for the book's cases only (looked up by ``key`` of the
    arguments), as a table copied from a run of the reference would."""
    spec = check.spec
    table = {}
    for case in spec.draw(None):
        args = spec.build(case) if spec.build else tuple(case)
        table[key(*args)] = FUNCTIONS[check](*args)
    return lambda *args: table.get(key(*args), 1.0)


def _first_weight(critic):
    return round(float(next(m for m in critic if isinstance(m, nn.Linear)).weight.detach().flatten()[0]), 12)


FUNCTIONS = {check_sorted_w1: sorted_w1, check_spectral_bound: spectral_bound,
             check_clipped_lipschitz: max_clipped_lipschitz}
KEYS = {check_sorted_w1: lambda x, y: (len(x), float(x[0]), float(y[0])),
        check_spectral_bound: _first_weight,
        check_clipped_lipschitz: lambda w, c: (tuple(w), c)}


@pytest.mark.parametrize("check", list(FUNCTIONS), ids=lambda c: c.__name__)
@pytest.mark.parametrize("seed", SEEDS)
def test_reference_passes_on_fresh_cases(check, seed):
    status, message = evaluate(check.spec, FUNCTIONS[check], np.random.default_rng(seed))
    assert status == "pass", message


@pytest.mark.parametrize("check", list(FUNCTIONS), ids=lambda c: c.__name__)
def test_fresh_cases_are_fresh_and_deterministic(check):
    spec = check.spec
    assert spec.draw(np.random.default_rng(5)) != spec.draw(None)
    assert spec.draw(np.random.default_rng(5)) == spec.draw(np.random.default_rng(5))
    assert spec.draw(np.random.default_rng(5)) != spec.draw(np.random.default_rng(6))


@pytest.mark.parametrize("check", list(FUNCTIONS), ids=lambda c: c.__name__)
@pytest.mark.parametrize("seed", SEEDS)
def test_a_table_of_the_book_cases_fails_on_fresh_cases(check, seed):
    table = _book_table(check, KEYS[check])
    assert check(table, quiet=True)  # right on the book's cases ...
    status, message = evaluate(check.spec, table, np.random.default_rng(seed))
    assert status == "fail", message  # ... and on nothing else


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("check,wrong,word", [
    (check_sorted_w1, lambda x, y: np.mean(np.abs(x - y)), "sort both samples first"),
    (check_sorted_w1, lambda x, y: np.sqrt(np.mean((np.sort(x) - np.sort(y)) ** 2)), "W2"),
    (check_sorted_w1, lambda x, y: np.max(np.abs(np.sort(x) - np.sort(y))), "W-infinity"),
    (check_spectral_bound, lambda c: float(np.prod([w.norm().item() for w in _layers(c)])), "Frobenius"),
    (check_spectral_bound, lambda c: float(np.prod([torch.linalg.svdvals(w)[0].item() for w in _layers(c)[:-1]])),
     "last Linear"),
    (check_clipped_lipschitz, lambda w, c: c ** (len(w) - 1) * float(np.prod(w[1:-1])), "input dimension counts"),
    (check_clipped_lipschitz, lambda w, c: c ** (len(w) - 1), "forgets the widths"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_wrong_answers_fail_on_fresh_cases(check, wrong, word, seed):
    status, message = evaluate(check.spec, wrong, np.random.default_rng(seed))
    assert status == "fail" and word in message, message


class Liar(float):
    __eq__ = lambda self, other: True  # noqa: E731
    __hash__ = float.__hash__


@pytest.mark.parametrize("value", [Liar(0.5), Liar(0.7)])
def test_w1_uniforms_rejects_a_float_that_equals_everything(value):
    r = check_w1_uniforms(value, quiet=True)
    assert not r and "not numbers" in r.message, r.message


def test_fail_messages_do_not_state_the_answers():
    """A FAIL message names what was returned and why it is wrong, never the expected value."""
    for wrong in (0.7, 0.0, 4 / 3):
        assert "0.5" not in check_w1_uniforms(wrong, quiet=True).message
    r = check_clipped_lipschitz(lambda w, c: 1.0, quiet=True)
    assert "0.004096" not in r.message and "expected" not in r.message
    assert "expected" not in check_sorted_w1(lambda x, y: 1.0, quiet=True).message
    assert "expected" not in check_spectral_bound(lambda c: 1.0, quiet=True).message
