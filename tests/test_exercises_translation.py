"""The chapter 13 exercise checks accept the right answers (and an independent route),
reject plausible wrong ones with a targeted hint and the shortcuts, and treat the untouched
starter code as not attempted; on the fresh cases the grader draws, the answers still pass and
a table of the book's outputs does not."""

import math

import numpy as np
import pytest
import torch
from _fresh_cases import book_table, fresh

from gantools.exercises.translation import (
    check_cycle_gradient,
    check_identity_gain,
    check_identity_loss,
    check_shuffle_class_kept,
)
from gantools.translation import make_domains

SEEDS = (0, 1, 2)


@pytest.mark.parametrize("check", [check_cycle_gradient, check_identity_loss, check_identity_gain])
def test_fresh_cases_are_new_json_and_reproducible(check):
    spec = check.spec
    book = spec.draw(None)
    for seed in SEEDS:
        cases = spec.draw(np.random.default_rng(seed))
        assert cases != book and cases == spec.draw(np.random.default_rng(seed))
        assert cases != spec.draw(np.random.default_rng(seed + 10))


def starter(*args):
    # YOUR CODE HERE
    raise NotImplementedError


def test_shuffle_class_kept():
    from gantools.exercises.translation import SHUFFLE_ACCURACY as acc

    labels = make_domains("rot90").labels.numpy()
    p = np.bincount(labels, minlength=10) / len(labels)
    right = float(np.sum(p * (p * acc + (1 - p) * (1 - acc) / 9)))
    assert check_shuffle_class_kept(right, quiet=True)
    # an independent route: simulate the shuffle and the classifier's mistakes
    rng = np.random.default_rng(0)
    kept = []
    for _ in range(3000):
        partner = labels[rng.permutation(len(labels))]
        wrong = rng.random(len(labels)) > acc
        other = (partner + rng.integers(1, 10, len(labels))) % 10  # one of the nine other classes
        kept.append(np.mean(np.where(wrong, other, partner) == labels))
    assert abs(np.mean(kept) - right) < 2e-3
    for wrong, word in ((np.sum(p**2), "always right"), (acc * np.sum(p**2), "(1 - a)/9"),
                        (np.sum(p * (p * acc + (1 - p) * (1 - acc))), "divide"), (0.1, "equal size"),
                        (0.5, "uniformly random")):
        r = check_shuffle_class_kept(wrong, quiet=True)
        assert not r and word in r.message, (wrong, r.message)
    with pytest.raises(NotImplementedError):
        check_shuffle_class_kept(None, quiet=True)


class Liar(float):
    """A number that compares equal to everything."""

    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


def test_shuffle_class_kept_pass_message_states_the_reference():
    from gantools.exercises.translation import SHUFFLE_OK, _shuffle_kept_reference

    assert f"= {_shuffle_kept_reference():.4f}:" in SHUFFLE_OK
    r = check_shuffle_class_kept(_shuffle_kept_reference(), quiet=True)
    assert r and r.message == SHUFFLE_OK


def test_shuffle_class_kept_takes_plain_numbers_only():
    from gantools.exercises.translation import _shuffle_kept_reference

    right = _shuffle_kept_reference()
    assert check_shuffle_class_kept(right, quiet=True) and check_shuffle_class_kept(np.float64(right), quiet=True)
    assert check_shuffle_class_kept([right], quiet=True)
    for liar in (Liar(0.3), Liar(right)):
        r = check_shuffle_class_kept(liar, quiet=True)
        assert not r and "Liar" in r.message, r.message
    for wrong in ("0.101", True, lambda: right):
        assert not check_shuffle_class_kept(wrong, quiet=True)


def cycle_gradient(a, b, x, y):
    return float(np.mean(np.sign(b * a * x - x) * b * x) + np.mean(np.sign(a * b * y - y) * b * y))


def by_autograd(a, b, x, y):
    at = torch.tensor(float(a), dtype=torch.float64, requires_grad=True)
    xt, yt = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)
    ((b * at * xt - xt).abs().mean() + (at * b * yt - yt).abs().mean()).backward()
    return at.grad.item()


def test_cycle_gradient_accepts_the_formula_and_autograd():
    assert check_cycle_gradient(cycle_gradient, quiet=True)
    assert check_cycle_gradient(by_autograd, quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (lambda a, b, x, y: float(np.mean(np.sign(b * a * x - x) * b * x)), "two terms"),
    (lambda a, b, x, y: float(np.mean(b * x) + np.mean(b * y)), "sign(u)"),
    (lambda a, b, x, y: float(np.mean(2 * (b * a * x - x) * b * x) + np.mean(2 * (a * b * y - y) * b * y)), "L2"),
    (lambda a, b, x, y: 1.0, "not the derivative"),
])
def test_cycle_gradient_rejects(wrong, word):
    r = check_cycle_gradient(wrong, quiet=True)
    assert not r and word in r.message, r.message


@pytest.mark.parametrize("seed", SEEDS)
def test_cycle_gradient_on_fresh_cases(seed):
    assert fresh(check_cycle_gradient, cycle_gradient, seed)[0] == "pass"
    assert fresh(check_cycle_gradient, by_autograd, seed)[0] == "pass"
    status, message = fresh(check_cycle_gradient, lambda a, b, x, y: float(np.mean(np.sign(b * a * x - x) * b * x)),
                            seed)
    assert status == "fail" and "two terms" in message, message
    table = book_table(check_cycle_gradient, cycle_gradient)
    assert check_cycle_gradient(table, quiet=True)
    assert fresh(check_cycle_gradient, table, seed)[0] == "fail"


def test_cycle_gradient_fresh_cases_keep_away_from_the_kink():
    for seed in range(20):
        products = [a * b for a, b, *_ in check_cycle_gradient.spec.draw(np.random.default_rng(seed))]
        assert min(abs(p - 1) for p in products) > 0.09 and min(products) < 0 < max(products) and max(products) > 1


def test_cycle_gradient_rejects_the_shortcut():
    from gantools.translation.trainer import cycle_loss

    def via_gantools(a, b, x, y):
        at = torch.tensor(float(a), requires_grad=True)
        cycle_loss(lambda t: at * t, lambda t: b * t, torch.as_tensor(x), torch.as_tensor(y)).backward()
        return at.grad.item()

    r = check_cycle_gradient(via_gantools, quiet=True)
    assert not r and "cycle_loss" in r.message
    with pytest.raises(NotImplementedError):
        check_cycle_gradient(starter, quiet=True)


def test_identity_loss():
    assert check_identity_loss(lambda G, F, x, y: (G(y) - y).abs().mean() + (F(x) - x).abs().mean(), quiet=True)
    for wrong, word in ((lambda G, F, x, y: (G(x) - x).abs().mean() + (F(y) - y).abs().mean(), "output"),
                        (lambda G, F, x, y: (G(y) - y).abs().mean(), "both translators"),
                        (lambda G, F, x, y: ((G(y) - y) ** 2).mean() + ((F(x) - x) ** 2).mean(), "L1"),
                        (lambda G, F, x, y: (F(G(x)) - x).abs().mean() + (G(F(y)) - y).abs().mean(), "cycle loss")):
        r = check_identity_loss(wrong, quiet=True)
        assert not r and word in r.message, r.message
    from gantools.translation.trainer import identity_loss

    r = check_identity_loss(lambda G, F, x, y: identity_loss(G, F, x, y), quiet=True)
    assert not r and "identity_loss" in r.message
    with pytest.raises(NotImplementedError):
        check_identity_loss(starter, quiet=True)


def my_identity_loss(G, F, x, y):
    return (G(y) - y).abs().mean() + (F(x) - x).abs().mean()


@pytest.mark.parametrize("seed", SEEDS)
def test_identity_loss_on_fresh_cases(seed):
    state = torch.random.get_rng_state()
    assert fresh(check_identity_loss, my_identity_loss, seed)[0] == "pass"
    assert torch.equal(state, torch.random.get_rng_state())  # the cases' batches leave torch's RNG alone
    status, message = fresh(check_identity_loss, lambda G, F, x, y: (G(x) - x).abs().mean() + (F(y) - y).abs().mean(),
                            seed)
    assert status == "fail" and "output" in message, message
    table = book_table(check_identity_loss, my_identity_loss)
    assert check_identity_loss(table, quiet=True)
    assert fresh(check_identity_loss, table, seed)[0] == "fail"


# -- 13.4 ----------------------------------------------------------------------------------------
def identity_gain(t, mu):
    if mu <= t / (t * t - t + 1):
        return t
    if mu >= 1:
        return 1.0
    return np.sqrt((t - mu) / (mu * t - 1))


Q = np.sort(np.random.default_rng(0).normal(size=101))
Q = (Q - Q[::-1]) / 2  # a symmetric sample: E|y| = t E|x| holds in it exactly


def gain_by_brute_force(t, mu, lam=10.0):
    """An independent route: the full loss on samples, literally (W1 by sorting, the cycle and
    identity terms as means of absolute errors, b free), minimised over a grid of (a, ab) that
    zooms in on its best point, a < 0 included. Assumes neither b = 1/a nor any formula."""
    x, y = Q, t * Q[::-1]

    def loss(a, b):
        a, b = a[..., None], b[..., None]
        w1 = np.abs(np.sort(a * x) - np.sort(y)).mean(-1) + np.abs(np.sort(b * y) - np.sort(x)).mean(-1)
        cyc = np.abs(b * a * x - x).mean(-1) + np.abs(a * b * y - y).mean(-1)
        idt = np.abs(a * y - y).mean(-1) + np.abs(b * x - x).mean(-1)
        return w1 + lam * cyc + mu * idt

    a0, p0, half_a, half_p = 0.0, 0.0, 7.0, 3.0
    for _ in range(16):
        a, p = np.meshgrid(np.linspace(a0 - half_a, a0 + half_a, 41), np.linspace(p0 - half_p, p0 + half_p, 41))
        a = np.where(a == 0, 1e-9, a)
        values = loss(a, p / a)
        i = np.unravel_index(np.argmin(values), values.shape)
        a0, p0, half_a, half_p = a[i], p[i], half_a / 2.5, half_p / 2.5
    return float(a0)


def test_identity_gain_accepts_the_formula_and_a_brute_force():
    assert check_identity_gain(identity_gain, quiet=True)
    assert check_identity_gain(gain_by_brute_force, quiet=True)


def test_the_brute_force_can_tell_the_answer_from_the_kinks():
    assert abs(gain_by_brute_force(2.0, 0.8) - np.sqrt(2)) < 1e-3  # neither t = 2 nor 1
    assert abs(gain_by_brute_force(2.0, 0.5) - 2.0) < 1e-3
    assert abs(gain_by_brute_force(0.5, 2.0) - 1.0) < 1e-3


def _argmin(loss, t):
    a = np.linspace(min(1, t), max(1, t), 100_001)
    return a[np.argmin(loss(a))]


@pytest.mark.parametrize("wrong,word", [
    (lambda t, mu: t if mu < 1 else 1.0, "not linear in a"),  # bang-bang: L1 terms, so a kink
    (lambda t, mu: t, "pulls the minimiser off"),  # the right translator, whatever mu
    (lambda t, mu: 1.0, "only from some weight on"),  # never translate
    (lambda t, mu: 1 / identity_gain(t, mu), "F's gain"),
    (lambda t, mu: np.sqrt((t - mu) / (mu * t - 1)), "end of"),  # the stationary point, unclipped
    (lambda t, mu: math.sqrt((t - mu) / (mu * t - 1)), "end of"),
    (lambda t, mu: np.sqrt(r) if (r := (t - mu) / (mu * t - 1)) > 0 else t, "outside the interval"),
    (lambda t, mu: _argmin(lambda a: abs(a - t) + mu * abs(a - 1) * (t + 1 / a), t), "adversarial term of its own"),
    (lambda t, mu: _argmin(lambda a: abs(a - t) * (1 + 1 / a) + mu * t * abs(a - 1), t), "both translators"),
    (lambda t, mu: _argmin(lambda a: abs(a - t) * (1 + 1 / a) + mu * abs(a - 1) * (1 + 1 / a), t),
     "standard deviation t"),
    (lambda t, mu: (t + mu) / (1 + mu), "not the minimiser"),
])
def test_identity_gain_rejects(wrong, word):
    with np.errstate(invalid="ignore"):
        r = check_identity_gain(wrong, quiet=True)
    assert not r and word in r.message, r.message


def test_identity_gain_rejects_the_shortcut_and_the_starter():
    from gantools.translation.trainer import cycle_loss, identity_loss

    def via_gantools(t, mu):
        x = torch.randn(200, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        y = t * x.flip(0)
        best = min(np.linspace(0.1, 6, 60), key=lambda a: float(
            (torch.sort(a * x).values - torch.sort(y).values).abs().mean()
            + cycle_loss(lambda v: a * v, lambda v: v / a, x, y)
            + mu * identity_loss(lambda v: a * v, lambda v: v / a, x, y)))
        return float(best)

    r = check_identity_gain(via_gantools, quiet=True)
    assert not r and "cycle_loss" in r.message, r.message
    with pytest.raises(NotImplementedError):
        check_identity_gain(starter, quiet=True)
    with pytest.raises(NotImplementedError):
        check_identity_gain(None, quiet=True)


@pytest.mark.parametrize("seed", SEEDS)
def test_identity_gain_on_fresh_cases(seed):
    assert fresh(check_identity_gain, identity_gain, seed)[0] == "pass"
    for wrong, word in ((lambda t, mu: t if mu < 1 else 1.0, "not linear in a"),
                        (lambda t, mu: 1.0, "only from some weight on"),
                        (lambda t, mu: np.sqrt(r) if (r := (t - mu) / (mu * t - 1)) > 0 else t, "outside the interval"),
                        (lambda t, mu: 1 / identity_gain(t, mu), "F's gain")):
        status, message = fresh(check_identity_gain, wrong, seed)
        assert status == "fail" and word in message, message
    table = book_table(check_identity_gain, identity_gain)
    assert check_identity_gain(table, quiet=True)
    assert fresh(check_identity_gain, table, seed)[0] == "fail"


def test_identity_gain_brute_force_passes_on_fresh_cases():
    assert fresh(check_identity_gain, gain_by_brute_force, 0)[0] == "pass"


def test_identity_gain_fresh_cases_cover_every_regime():
    for seed in SEEDS:
        cases = check_identity_gain.spec.draw(np.random.default_rng(seed))
        gains = [identity_gain(t, mu) for t, mu in cases]
        assert sum(g == t for g, (t, _) in zip(gains, cases, strict=True)) >= 2  # the right gain kept
        assert sum(g == 1.0 for g in gains) >= 3  # no translation (t = 1 included)
        assert sum(min(1, t) < g < max(1, t) for g, (t, _) in zip(gains, cases, strict=True)) >= 5  # in between
        assert min(t for t, _ in cases) < 1 < max(t for t, _ in cases)
