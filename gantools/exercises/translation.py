"""Checks for chapter 13, Image-to-image translation.

- :func:`check_shuffle_class_kept`: the expected share of kept classes under a random
  shuffle of the test set, read by a classifier that is right with probability a = 0.98 and
  otherwise names one of the nine other classes at random.
- :func:`check_cycle_gradient`: a student's ``cycle_gradient(a, b, x, y)``, d/da of the L1
  cycle loss of scalar translators G(x) = a x, F(y) = b y.
- :func:`check_identity_loss`: a student's ``my_identity_loss(G, F, x, y)``, CycleGAN's
  identity loss |G(y) - y|_1 + |F(x) - x|_1.
- :func:`check_identity_gain`: a student's ``identity_gain(t, mu)``, the gain a* of the scalar
  CycleGAN G(x) = a x that minimises W1 + cycle + mu * identity when T(x) = t x (a prediction the
  chapter's run then measures by gradient descent).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .common import Result, check_number, first_wrong, report, to_float
from .common import run_answer as _run

__all__ = ["check_shuffle_class_kept", "check_cycle_gradient", "check_identity_loss", "check_identity_gain"]


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


# -- 13.4 ----------------------------------------------------------------------------------------
GAIN_REFERENCES = ("gantools.translation.train.cycle_loss", "gantools.translation.train.identity_loss",
                   "gantools.translation.train.train_translation", "gantools.theory.wasserstein1")
# (t, mu): t < 1 and the right gain kept first, then a heavy weight, then the interior (a* strictly
# between 1 and t); the order gives each mistake below its own hint at the first case it fails.
_GAIN_CASES = ((0.25, 0.2), (1.5, 1.2), (2.5, 0.45), (2.5, 0.7), (0.4, 0.6), (4.0, 0.9), (6.0, 0.5),
               (1.3, 0.95), (0.7, 3.0), (1.0, 0.5), (0.6, 0.8))


def _argmin_between(loss, t: float) -> float:
    """The minimiser of ``loss(a)`` (vectorised) on the interval between 1 and t, to about 1e-5: a
    dense grid. Every loss below grows outside that interval."""
    a = np.linspace(min(1.0, t), max(1.0, t), 200_001)
    return float(a[np.argmin(loss(a))])


def _gain(t: float, mu: float) -> float:
    """a* minimising |a - t| (1 + 1/a) + mu |a - 1| (t + 1/a), the full loss along b = 1/a
    divided by E|x|: t up to mu = t / (t^2 - t + 1), 1 from mu = 1, sqrt((t - mu)/(mu t - 1)) between."""
    if t == 1:
        return 1.0
    if mu <= t / (t * t - t + 1):
        return float(t)
    if mu >= 1:
        return 1.0
    return math.sqrt((t - mu) / (mu * t - 1))


def _wrong_gains(t: float, mu: float) -> tuple[tuple[float, str], ...]:
    """Plausible wrong answers at (t, mu), each with its hint: the minimisers of the loss along
    b = 1/a (over E|x|) with one term dropped or mis-scaled, and the ends of the interval."""
    return (
        (float(t), "that is the right translator a = t, but at this weight the identity term pulls the minimiser off "
                   "it. Along b = 1/a the loss is not linear in a between 1 and t: F's terms carry 1/a, so the "
                   "minimiser need not sit at a kink"),
        (1.0, "G = identity (no translation) is the minimiser only from some weight on; at this mu the adversarial "
              "terms still hold G away from it"),
        (1.0 / _gain(t, mu), "that is F's gain b = 1/a* at the minimum; the question asks for G's gain a*"),
        (_argmin_between(lambda a: abs(a - t) + mu * abs(a - 1) * (t + 1 / a), t),
         "F has an adversarial term of its own, W1(F(Y), X) = |t/a - 1| E|x|: it pulls towards a = t too"),
        (_argmin_between(lambda a: abs(a - t) * (1 + 1 / a) + mu * t * abs(a - 1), t),
         "both translators have an identity term: add E|F(x) - x| = |1/a - 1| E|x|"),
        (_argmin_between(lambda a: abs(a - t) * (1 + 1 / a) + mu * abs(a - 1) * (1 + 1 / a), t),
         "Y has standard deviation t: E|G(y) - y| = |a - 1| E|y| = t |a - 1| E|x|, not |a - 1| E|x|"),
    )


def check_identity_gain(identity_gain, quiet: bool = False) -> Result:
    """Exercise 13.4: ``identity_gain(t, mu)`` is the gain a* of G(x) = a x at the minimiser of
    W1(aX, Y) + W1(bY, X) + 10 L_cyc + mu L_id for X ~ N(0, 1), Y ~ N(0, t^2), t > 0: along the
    cycle-consistent curve b = 1/a the loss is E|x| (|a - t| (1 + 1/a) + mu |a - 1| (t + 1/a)), so
    a* = t for mu <= t / (t^2 - t + 1), 1 for mu >= 1 and sqrt((t - mu) / (mu t - 1)) between.
    Checked at several (t, mu), t < 1 included, to a relative 1e-3 (a careful numerical minimisation
    passes); may not call gantools' cycle or identity loss, W1 or trainer."""

    def near(v, w):
        return v is not None and math.isfinite(v) and abs(v - w) <= 1e-3 * abs(w)

    for t, mu in _GAIN_CASES:
        value, err = _run(identity_gain, "identity_gain", t, mu, forbid=GAIN_REFERENCES)
        if err:
            why = (" The stationary point of the loss along b = 1/a does not always exist; where it does not, the "
                   "minimum is at an end of the interval between 1 and t." if "math domain" in err else "")
            return report(False, "", f"At t = {t}, mu = {mu}: {err}.{why}", quiet)
        got, expected = to_float(value), _gain(t, mu)
        if near(got, expected):
            continue
        where = f"At t = {t}, mu = {mu} you returned {value!r}"
        if got is not None and not math.isfinite(got):
            return report(False, "", f"{where}, not a finite number: the stationary point of the loss along b = 1/a "
                                     "does not always exist. Where it does not, or where it lies outside the "
                                     "interval between 1 and t, the minimum is at an end of that interval.", quiet)
        lo, hi = min(1.0, t), max(1.0, t)
        if got is not None and not lo - 1e-9 <= got <= hi + 1e-9:
            if mu * t != 1 and (t - mu) / (mu * t - 1) > 0 and near(got, math.sqrt((t - mu) / (mu * t - 1))):
                return report(False, "", f"{where}: that stationary point lies outside the interval between 1 and "
                                         "t, where every term of the loss grows; the minimum is then at an end of "
                                         "the interval.", quiet)
        why = first_wrong(got, _wrong_gains(t, mu), near, expected)
        if why:
            return report(False, "", f"{where}: {why}.", quiet)
        return report(False, "", f"{where}, expected {expected:.4g}. Take b = 1/a (zero cycle loss), write each term "
                                 "as E|x| times a function of a (W1 between centred Gaussians is the difference of "
                                 "their standard deviations times E|x|), and minimise over a between 1 and t.", quiet)
    return report(True, "a* = t while mu <= t / (t^2 - t + 1), a* = 1 (no translation) from mu = 1, and "
                  "sqrt((t - mu) / (mu t - 1)) between: the identity loss pulls G continuously from the right gain to "
                  "the identity, because F = 1/a makes the loss along the cycle-consistent curve curved.", "", quiet)
