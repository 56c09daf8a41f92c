"""The chapter 13 exercise checks accept the right answers (and an independent route),
reject plausible wrong ones with a targeted hint and the shortcuts, and treat the untouched
starter code as not attempted."""

import numpy as np
import pytest
import torch

from gantools.exercises.translation import check_cycle_gradient, check_identity_loss, check_shuffle_class_kept
from gantools.translation import make_domains


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
    (lambda a, b, x, y: 1.0, "expected"),
])
def test_cycle_gradient_rejects(wrong, word):
    r = check_cycle_gradient(wrong, quiet=True)
    assert not r and word in r.message, r.message


def test_cycle_gradient_rejects_the_shortcut():
    from gantools.translation.train import cycle_loss

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
    from gantools.translation.train import identity_loss

    r = check_identity_loss(lambda G, F, x, y: identity_loss(G, F, x, y), quiet=True)
    assert not r and "identity_loss" in r.message
    with pytest.raises(NotImplementedError):
        check_identity_loss(starter, quiet=True)
