"""Checks for chapter 13, Image-to-image translation.

- :func:`check_shuffle_class_kept`: the expected share of kept classes under a random
  shuffle of the test set, read by a classifier that is right with probability a = 0.98 and
  otherwise names one of the nine other classes at random.
- :func:`check_cycle_gradient`: a student's ``cycle_gradient(a, b, x, y)``, d/da of the L1
  cycle loss of scalar translators G(x) = a x, F(y) = b y.
- :func:`check_identity_loss`: a student's ``my_identity_loss(G, F, x, y)``, CycleGAN's
  identity loss |G(y) - y|_1 + |F(x) - x|_1.
"""

from __future__ import annotations

import numpy as np
import torch

from .common import Result, check_number, report, to_float
from .common import run_answer as _run

__all__ = ["check_shuffle_class_kept", "check_cycle_gradient", "check_identity_loss"]


# -- 13.1 ----------------------------------------------------------------------------------------
def _test_counts() -> np.ndarray:
    from ..translation.domains import make_domains

    return np.bincount(make_domains("rot90").labels.numpy(), minlength=10)


SHUFFLE_ACCURACY = 0.98  # the classifier of exercise 13.1: right with this probability


def check_shuffle_class_kept(answer, quiet: bool = False) -> Result:
    """Exercise 13.1: sum_k p_k [p_k a + (1 - p_k)(1 - a)/9] over the classes of the 497 test
    digits (p_k = n_k / N), with a = :data:`SHUFFLE_ACCURACY`."""
    n = _test_counts()
    p, a = n / n.sum(), SHUFFLE_ACCURACY
    expected = float(np.sum(p * (p * a + (1 - p) * (1 - a) / 9)))
    without_self = float(np.sum(n * (n - 1)) / (n.sum() * (n.sum() - 1)))
    return check_number(
        answer, expected, 1e-5,
        ok=f"sum_k p_k [p_k a + (1 - p_k)(1 - a)/9] = {expected:.4f}: a shuffle keeps about one class in ten "
           "whatever the classifier's accuracy, while its outputs are exactly the true Y images (FD 0).",
        hint="Digit i (class k) goes to a uniformly random test digit, of class j with probability p_j. The "
             "classifier reads class k when j = k and it is right (a), or when j != k and its mistake happens to "
             "name k ((1 - a)/9). Average over i.",
        known_wrong=((float(np.sum(p**2)), "That is the answer for a classifier that is always right; this one "
                                           "is right with probability 0.98."),
                     (float(a * np.sum(p**2)), "A misread partner can still be read as the input's own class: with "
                                               "probability (1 - a)/9 when the partner's class differs."),
                     (float(np.sum(p * (p * a + (1 - p) * (1 - a)))), "A mistake names one of the nine *other* "
                                                                     "classes: divide (1 - a) by 9."),
                     (0.1, "1/10 assumes ten classes of exactly equal size; use the test set's class counts."),
                     (a * without_self + (1 - without_self) * (1 - a) / 9,
                      "A random permutation can send a digit to itself: the partner is uniform over all N digits.")),
        quiet=quiet,
    )


# -- 13.2 ----------------------------------------------------------------------------------------
GRADIENT_REFERENCES = ("gantools.translation.train.cycle_loss",)
_CASES = ((1.3, 0.5, 1), (0.7, 1.2, 2), (2.0, 0.4, 3), (-0.5, -1.5, 4))


def _cycle_grad(a, b, x, y) -> float:
    return float(np.mean(np.sign(b * a * x - x) * b * x) + np.mean(np.sign(a * b * y - y) * b * y))


def check_cycle_gradient(cycle_gradient, quiet: bool = False) -> Result:
    """Exercise 13.2: d/da of mean|b a x - x| + mean|a b y - y|, checked against a central
    difference of the loss (computed here) at several (a, b) and batches; may not call the
    book's ``cycle_loss``."""
    for a, b, seed in _CASES:
        rng = np.random.default_rng(seed)
        x, y = rng.normal(size=50), rng.normal(size=40)
        value, err = _run(cycle_gradient, "cycle_gradient", a, b, x.copy(), y.copy(), forbid=GRADIENT_REFERENCES)
        if err:
            return report(False, "", f"At a = {a}, b = {b}: {err}", quiet)
        got = to_float(value)

        def loss(a_, b=b, x=x, y=y):
            return np.mean(np.abs(b * a_ * x - x)) + np.mean(np.abs(a_ * b * y - y))

        h = 1e-6
        expected = (loss(a + h) - loss(a - h)) / (2 * h)
        if got is not None and abs(got - expected) < 1e-5:
            continue
        wrong = ((float(np.mean(np.sign(b * a * x - x) * b * x)), "the cycle loss has two terms, x -> Y -> X and "
                  "y -> X -> Y; both depend on a"),
                 (float(np.mean(b * x) + np.mean(b * y)), "the derivative of |u| is sign(u) times u's derivative"),
                 (float(np.mean(2 * (b * a * x - x) * b * x) + np.mean(2 * (a * b * y - y) * b * y)),
                  "that is the gradient of the squared (L2) cycle loss; CycleGAN's is L1"))
        for w, why in wrong:
            if got is not None and abs(got - w) < 1e-6:
                return report(False, "", f"At a = {a}, b = {b}: {why}.", quiet)
        return report(False, "", f"At a = {a}, b = {b} you returned {value!r}, expected {expected:.6f}. "
                                 "Differentiate each mean of |.| term by term: d|u|/da = sign(u) du/da.", quiet)
    return report(True, "dL/da = sign(ab - 1) b (mean|x| + mean|y|): the L1 cycle loss only pushes the product ab "
                  "towards 1. Every a with b = 1/a is perfectly cycle-consistent.", "", quiet)


# -- 13.3 ----------------------------------------------------------------------------------------
IDENTITY_REFERENCES = ("gantools.translation.train.identity_loss",)


def check_identity_loss(my_identity_loss, quiet: bool = False) -> Result:
    """Exercise 13.3: ``my_identity_loss(G, F, x, y)`` = mean|G(y) - y| + mean|F(x) - x|,
    checked with translators whose every mistake gives a different number; may not call the
    book's ``identity_loss``."""
    g = torch.Generator().manual_seed(13)
    x, y = torch.randn(6, 1, 4, 4, generator=g), 3 + torch.randn(6, 1, 4, 4, generator=g)

    def G(t):
        return 2.0 * t + 1.0

    def F_(t):
        return 0.5 * t - 0.25

    value, err = _run(my_identity_loss, "my_identity_loss", G, F_, x.clone(), y.clone(), forbid=IDENTITY_REFERENCES)
    if err:
        return report(False, "", err, quiet)
    got = to_float(value)
    expected = float((G(y) - y).abs().mean() + (F_(x) - x).abs().mean())
    if got is not None and abs(got - expected) < 1e-5:
        return report(True, "|G(y) - y| + |F(x) - x|: each translator, given an image already in its output domain, "
                      "should return it. |G(x) - x| would ask G not to translate at all.", "", quiet)
    wrong = ((float((G(x) - x).abs().mean() + (F_(y) - y).abs().mean()),
              "each translator must be fed its *output* domain: G(y) vs y and F(x) vs x; G(x) vs x asks G not to "
              "translate"),
             (float((G(y) - y).abs().mean()), "both translators have an identity term: add |F(x) - x|"),
             (float(((G(y) - y) ** 2).mean() + ((F_(x) - x) ** 2).mean()), "CycleGAN's identity loss is L1, not L2"),
             (float((F_(G(x)) - x).abs().mean() + (G(F_(y)) - y).abs().mean()), "that is the cycle loss"))
    for w, why in wrong:
        if got is not None and abs(got - w) < 1e-5:
            return report(False, "", f"You returned {got:.5f}: {why}.", quiet)
    return report(False, "", f"You returned {value!r}, expected {expected:.5f}: a mean absolute error for each "
                             "translator, summed.", quiet)
