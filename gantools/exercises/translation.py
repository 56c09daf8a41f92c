"""Checks for chapter 13, Image-to-image translation.

- :func:`check_shuffle_class_kept`: the expected share of kept classes under a random
  shuffle of the test set, read by a classifier that is right with probability a = 0.98 and
  otherwise names one of the nine other classes at random.
- :func:`check_cycle_gradient`: a student's ``cycle_gradient(a, b, x, y)``, d/da of the L1
  cycle loss of scalar translators G(x) = a x, F(y) = b y.
- :func:`check_identity_loss`: a student's ``my_identity_loss(G, F, x, y)``, CycleGAN's
  identity loss.
- :func:`check_identity_gain`: a student's ``identity_gain(t, mu)``, the gain a* of the scalar
  CycleGAN G(x) = a x that minimises W1 + cycle + mu * identity when T(x) = t x (a prediction the
  chapter's run then measures by gradient descent).

Each check is a :class:`~gantools.exercises.protocol.Spec`: the grader draws fresh cases from the ranges
below for every submission and judges the plain outputs in its own process.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .common import Result, first_wrong, judge_number, one_number
from .protocol import Spec, check, with_spec

__all__ = ["check_shuffle_class_kept", "check_cycle_gradient", "check_identity_loss", "check_identity_gain"]


# -- 13.1 ----------------------------------------------------------------------------------------
SHUFFLE_ACCURACY = 0.98  # the classifier of exercise 13.1: right with this probability


@functools.cache
def _test_counts() -> tuple[int, ...]:
    from ..translation.domains import make_domains

    return tuple(int(n) for n in np.bincount(make_domains("rot90").labels.numpy(), minlength=10))


def _shuffle_kept_reference() -> float:
    """The instructor's value for exercise 13.1, from the test set's class counts."""
    n = np.array(_test_counts())
    p, a = n / n.sum(), SHUFFLE_ACCURACY
    return float(np.sum(p * (p * a + (1 - p) * (1 - a) / 9)))


# The PASS message (it may state the answer; tests/test_exercises_translation.py keeps its value equal to the
# reference on the book's test set).
SHUFFLE_OK = ("sum_k p_k [p_k a + (1 - p_k)(1 - a)/9] = 0.1010: a shuffle keeps about one class in ten whatever the "
              "classifier's accuracy, while its outputs are exactly the true Y images (FD 0).")


def _judge_shuffle(cases, values):
    n = np.array(_test_counts())
    p, a = n / n.sum(), SHUFFLE_ACCURACY
    expected = _shuffle_kept_reference()
    without_self = float(np.sum(n * (n - 1)) / (n.sum() * (n.sum() - 1)))
    return judge_number(
        expected, 1e-5,
        ok=SHUFFLE_OK,
        hint="Digit i (class k) goes to a uniformly random test digit, of class j with probability p_j. The "
             "classifier reads class k when j = k and it is right, or when j != k and its mistake happens to "
             "name k. Average over i.",
        known_wrong=((float(np.sum(p**2)), "That is the answer for a classifier that is always right; this one "
                                           "is right with probability 0.98."),
                     (float(a * np.sum(p**2)), "A misread partner can still be read as the input's own class: with "
                                               "probability (1 - a)/9 when the partner's class differs."),
                     (float(np.sum(p * (p * a + (1 - p) * (1 - a)))), "A mistake names one of the nine *other* "
                                                                     "classes: divide (1 - a) by 9."),
                     (0.1, "1/10 assumes ten classes of exactly equal size; use the test set's class counts."),
                     (a * without_self + (1 - without_self) * (1 - a) / 9,
                      "A random permutation can send a digit to itself: the partner is uniform over all N digits.")),
    )(cases, values)


SHUFFLE_CLASS_KEPT = Spec(
    answer="shuffle_kept", judge=_judge_shuffle, call=False,
    leaks=(r"(?<![\d.])0\.10(?:1|098)\d*", r"p_k\s*(?:\\,\s*)?a\s*\+\s*\(1 - p_k\)",
           r"p\s*\*\s*a\s*\+\s*\(1\s*-\s*p\)\s*\*\s*\(1\s*-\s*a\)\s*/\s*9"))


@with_spec(SHUFFLE_CLASS_KEPT)
def check_shuffle_class_kept(answer, quiet: bool = False) -> Result:
    """Exercise 13.1: the expected share of the 497 test digits whose class is kept under a random permutation,
    read by a classifier right with probability a = :data:`SHUFFLE_ACCURACY` (a number, to 1e-5)."""
    return check(SHUFFLE_CLASS_KEPT, answer, quiet)


# -- 13.2 ----------------------------------------------------------------------------------------
GRADIENT_REFERENCES = ("gantools.translation.trainer.cycle_loss",)
_CASES = ((1.3, 0.5, 1), (0.7, 1.2, 2), (2.0, 0.4, 3), (-0.5, -1.5, 4))


def _gradient_cases(rng) -> list:
    """(a, b, seed, n_x, n_y): ab below 1, above 1 and negative, away from the kink ab = 1, with batches drawn
    from the seed; the book's four or five fresh."""
    if rng is None:
        return [[a, b, seed, 50, 40] for a, b, seed in _CASES]
    out = []
    for ab in (rng.uniform(0.1, 0.9), rng.uniform(1.1, 3.0), rng.uniform(-2.0, -0.1), rng.uniform(1.1, 2.0),
               rng.uniform(0.2, 0.9)):
        a = float(rng.uniform(0.3, 2.5) * rng.choice([-1.0, 1.0]))
        out.append([round(a, 6), round(float(ab / a), 6), int(rng.integers(0, 2**31)), int(rng.integers(10, 80)),
                    int(rng.integers(10, 80))])
    return out


def _batches(case) -> tuple:
    a, b, seed, nx, ny = case
    rng = np.random.default_rng(seed)
    return a, b, rng.normal(size=nx), rng.normal(size=ny)


def _cycle_gradient_reference(a, b, x, y) -> float:
    """The L1 cycle loss's derivative in a for exercise 13.2, by a central difference of the loss."""
    h = 1e-6
    up = np.mean(np.abs(b * (a + h) * x - x)) + np.mean(np.abs((a + h) * b * y - y))
    down = np.mean(np.abs(b * (a - h) * x - x)) + np.mean(np.abs((a - h) * b * y - y))
    return float((up - down) / (2 * h))


def _judge_gradient(cases, values):
    for case, value in zip(cases, values, strict=True):
        a, b, x, y = _batches(case)
        got, expected = one_number(value), _cycle_gradient_reference(a, b, x, y)
        if got is not None and abs(got - expected) < 1e-5:
            continue
        where = f"At a = {a:.6g}, b = {b:.6g}"
        wrong = ((float(np.mean(np.sign(b * a * x - x) * b * x)), "the cycle loss has two terms, x -> Y -> X and "
                  "y -> X -> Y; both depend on a"),
                 (float(np.mean(b * x) + np.mean(b * y)), "the derivative of |u| is sign(u) times u's derivative"),
                 (float(np.mean(2 * (b * a * x - x) * b * x) + np.mean(2 * (a * b * y - y) * b * y)),
                  "that is the gradient of the squared (L2) cycle loss; CycleGAN's is L1"))
        why = first_wrong(got, wrong, lambda u, v: abs(u - v) < 1e-6, expected)
        if why:
            return False, f"{where}: {why}."
        return False, (f"{where} you returned {str(value)[:40]}, which is not the derivative. Differentiate each "
                       "mean of |.| term by term: d|u|/da = sign(u) du/da.")
    return True, ("dL/da = sign(ab - 1) b (mean|x| + mean|y|): the L1 cycle loss only pushes the product ab towards "
                  "1. Every a with b = 1/a is perfectly cycle-consistent.")


CYCLE_GRADIENT = Spec(
    answer="cycle_gradient", judge=_judge_gradient, cases=_gradient_cases, build=_batches,
    forbid=GRADIENT_REFERENCES, describe=lambda c: f"At a = {c[0]:.6g}, b = {c[1]:.6g}",
    leaks=(r"sign\}?\s*\(\s*ab\s*-\s*1\s*\)\s*(?:\\,\s*)?\*?\s*b\b",
           r"sign\(\s*b\s*\*\s*a\s*\*\s*x\s*-\s*x\s*\)\s*\*\s*b\s*\*\s*x"))


@with_spec(CYCLE_GRADIENT)
def check_cycle_gradient(cycle_gradient, quiet: bool = False) -> Result:
    """Exercise 13.2: ``cycle_gradient(a, b, x, y)`` returns d/da of mean|b a x - x| + mean|a b y - y| for
    NumPy batches x and y, checked against a central difference of the loss at several (a, b) away from the
    kink and batches, to 1e-5; may not call the book's ``cycle_loss``."""
    return check(CYCLE_GRADIENT, cycle_gradient, quiet)


# -- 13.3 ----------------------------------------------------------------------------------------
IDENTITY_REFERENCES = ("gantools.translation.trainer.identity_loss",)


def _identity_cases(rng) -> list:
    """{"seed", "shape", "shift", "g", "f"}: image batches of the given shape (y shifted), G(t) = g0 t + g1 and
    F(t) = f0 t + f1, so that every mistake gives a different number; the book's one or three fresh."""
    if rng is None:
        return [{"seed": 13, "shape": [6, 1, 4, 4], "shift": 3.0, "g": [2.0, 1.0], "f": [0.5, -0.25]}]
    out = []
    for _ in range(3):
        shape = [int(rng.integers(2, 9)), int(rng.choice([1, 3])), int(rng.integers(3, 9)), int(rng.integers(3, 9))]
        g = [round(float(rng.uniform(1.3, 3.0) * rng.choice([-1, 1])), 4), round(float(rng.uniform(-1.5, 1.5)), 4)]
        f = [round(float(rng.uniform(0.2, 0.8)), 4), round(float(rng.uniform(-1.0, 1.0)), 4)]
        out.append({"seed": int(rng.integers(0, 2**31)), "shape": shape, "shift": round(float(rng.uniform(-3, 3)), 4),
                    "g": g, "f": f})
    return out


def _translators(case) -> tuple:
    """(G, F, x, y) of one case, made without touching torch's global random state."""
    import torch

    g = torch.Generator().manual_seed(case["seed"])
    x = torch.randn(*case["shape"], generator=g)
    y = case["shift"] + torch.randn(*case["shape"], generator=g)
    (g0, g1), (f0, f1) = case["g"], case["f"]

    def G(t):
        return g0 * t + g1

    def F(t):
        return f0 * t + f1

    return G, F, x, y


def _identity_case(case) -> str:
    return f"On batches of shape {tuple(case['shape'])}"


def _identity_loss_reference(G, F, x, y) -> float:
    """The instructor's identity loss for exercise 13.3."""
    return float((G(y) - y).abs().mean() + (F(x) - x).abs().mean())


def _judge_identity(cases, values):
    for case, value in zip(cases, values, strict=True):
        G, F, x, y = _translators(case)
        got, expected = one_number(value), _identity_loss_reference(G, F, x, y)
        if got is not None and abs(got - expected) < 1e-5:
            continue
        wrong = ((float((G(x) - x).abs().mean() + (F(y) - y).abs().mean()),
                  "each translator must be fed its *output* domain; G(x) vs x asks G not to translate"),
                 (float((G(y) - y).abs().mean()), "both translators have an identity term"),
                 (float(((G(y) - y) ** 2).mean() + ((F(x) - x) ** 2).mean()), "CycleGAN's identity loss is L1, not L2"),
                 (float((F(G(x)) - x).abs().mean() + (G(F(y)) - y).abs().mean()), "that is the cycle loss"))
        why = first_wrong(got, wrong, lambda u, v: abs(u - v) < 1e-5, expected)
        shown = f"{_identity_case(case)} you returned " + (f"{got:.5f}" if got is not None else str(value)[:40])
        if why:
            return False, f"{shown}: {why}."
        return False, f"{shown}, which is not the identity loss: a mean absolute error for each translator, summed."
    return True, ("|G(y) - y| + |F(x) - x|: each translator, given an image already in its output domain, should "
                  "return it. |G(x) - x| would ask G not to translate at all.")


IDENTITY_LOSS = Spec(
    answer="my_identity_loss", judge=_judge_identity, cases=_identity_cases, build=_translators,
    forbid=IDENTITY_REFERENCES, describe=_identity_case,
    leaks=(r"\(G\(y\)\s*-\s*y\)\.abs\(\)", r"\|G\(y\) - y\| \+ \|F\(x\) - x\|"))


@with_spec(IDENTITY_LOSS)
def check_identity_loss(my_identity_loss, quiet: bool = False) -> Result:
    """Exercise 13.3: ``my_identity_loss(G, F, x, y)``, CycleGAN's unweighted identity loss for translators G
    (X to Y) and F (Y to X) and torch batches x, y, checked with affine translators whose every mistake gives a
    different number, to 1e-5; may not call the book's ``identity_loss``."""
    return check(IDENTITY_LOSS, my_identity_loss, quiet)


# -- 13.4 ----------------------------------------------------------------------------------------
GAIN_REFERENCES = ("gantools.translation.trainer.cycle_loss", "gantools.translation.trainer.identity_loss",
                   "gantools.translation.trainer.train_translation", "gantools.theory.wasserstein1")
# (t, mu): t < 1 and the right gain kept first, then a heavy weight, then the interior (a* strictly
# between 1 and t); the order gives each mistake below its own hint at the first case it fails.
_GAIN_CASES = ((0.25, 0.2), (1.5, 1.2), (2.5, 0.45), (2.5, 0.7), (0.4, 0.6), (4.0, 0.9), (6.0, 0.5),
               (1.3, 0.95), (0.7, 3.0), (1.0, 0.5), (0.6, 0.8))


def _gain_cases(rng) -> list:
    """(t, mu) in the same order as the book's: t < 1 with the right gain kept (mu between t and the weight
    where it leaves t), a heavy weight between 1 and t > 1, t > 1 kept, then the interior for t above and below
    1, large t, t near 1, a heavy weight with t < 1, t = 1; the book's eleven or ten fresh."""
    if rng is None:
        return [list(c) for c in _GAIN_CASES]

    def keep(t):  # the weight up to which a* = t
        return t / (t * t - t + 1)

    def inside(t):
        return keep(t) + rng.uniform(0.1, 0.9) * (1 - keep(t))

    t1, t2, t3, t4, t5, t6, t7, t8 = (rng.uniform(0.15, 0.85), rng.uniform(1.5, 4.0), rng.uniform(1.5, 4.0),
                                      rng.uniform(1.5, 3.5), rng.uniform(0.2, 0.85), rng.uniform(3.5, 6.0),
                                      rng.uniform(1.1, 1.5), rng.uniform(0.3, 0.9))
    pairs = ((t1, t1 + rng.uniform(0.1, 0.9) * (keep(t1) - t1)), (t2, rng.uniform(1.05, t2 - 0.3)),
             (t3, rng.uniform(0.2, 0.9) * keep(t3)), (t4, inside(t4)), (t5, inside(t5)), (t6, inside(t6)),
             (t7, inside(t7)), (rng.uniform(0.2, 0.9), rng.uniform(1.1, 4.0)), (1.0, rng.uniform(0.2, 2.0)),
             (t8, inside(t8)))
    return [[round(float(t), 6), round(float(mu), 6)] for t, mu in pairs]


def _argmin_between(loss, t: float) -> float:
    """The minimiser of ``loss(a)`` (vectorised) on the interval between 1 and t, to about 1e-5: a
    dense grid. Every loss below grows outside that interval."""
    a = np.linspace(min(1.0, t), max(1.0, t), 200_001)
    return float(a[np.argmin(loss(a))])


def _identity_gain_reference(t: float, mu: float) -> float:
    """The instructor's answer to exercise 13.4 (what the chapter's run cell finds by gradient descent)."""
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
        (1.0 / _identity_gain_reference(t, mu), "that is F's gain b = 1/a* at the minimum; the question asks for G's"),
        (_argmin_between(lambda a: abs(a - t) + mu * abs(a - 1) * (t + 1 / a), t),
         "F has an adversarial term of its own, W1(F(Y), X): it pulls towards a = t too"),
        (_argmin_between(lambda a: abs(a - t) * (1 + 1 / a) + mu * t * abs(a - 1), t),
         "both translators have an identity term: add E|F(x) - x|"),
        (_argmin_between(lambda a: abs(a - t) * (1 + 1 / a) + mu * abs(a - 1) * (1 + 1 / a), t),
         "Y has standard deviation t: E|G(y) - y| = |a - 1| E|y|, not |a - 1| E|x|"),
    )


def _no_stationary_point(t: float, mu: float) -> bool:
    return mu * t == 1 or (t - mu) / (mu * t - 1) <= 0


def _gain_case(t: float, mu: float) -> str:
    """How a case is named; one where the loss along b = 1/a has no stationary point says so (for an answer
    that raises there)."""
    return f"At t = {t:.6g}, mu = {mu:.6g}" + (
        " (the stationary point of the loss along b = 1/a does not exist here; where it does not, the minimum is "
        "at an end of the interval between 1 and t)" if _no_stationary_point(t, mu) else "")


def _judge_gain(cases, values):
    def near(v, w):
        return v is not None and math.isfinite(v) and abs(v - w) <= 1e-3 * abs(w)

    for (t, mu), value in zip(cases, values, strict=True):
        got, expected = one_number(value), _identity_gain_reference(t, mu)
        if near(got, expected):
            continue
        where = f"At t = {t:.6g}, mu = {mu:.6g} you returned {str(value)[:40]}"
        if got is None or not math.isfinite(got):
            return False, (f"{where}, not a finite number: the stationary point of the loss along b = 1/a does not "
                           "always exist. Where it does not, or where it lies outside the interval between 1 and t, "
                           "the minimum is at an end of that interval.")
        lo, hi = min(1.0, t), max(1.0, t)
        if not lo - 1e-9 <= got <= hi + 1e-9 and not _no_stationary_point(t, mu) \
                and near(got, math.sqrt((t - mu) / (mu * t - 1))):
            return False, (f"{where}: that stationary point lies outside the interval between 1 and t, where every "
                           "term of the loss grows; the minimum is then at an end of the interval.")
        why = first_wrong(got, _wrong_gains(t, mu), near, expected)
        if why:
            return False, f"{where}: {why}."
        return False, (f"{where}, which is not the minimiser. Take b = 1/a (zero cycle loss), write each term as "
                       "E|x| times a function of a (W1 between centred Gaussians is the difference of their standard "
                       "deviations times E|x|), and minimise over a between 1 and t.")
    return True, ("a* = t while mu <= t / (t^2 - t + 1), a* = 1 (no translation) from mu = 1, and "
                  "sqrt((t - mu) / (mu t - 1)) between: the identity loss pulls G continuously from the right gain to "
                  "the identity, because F = 1/a makes the loss along the cycle-consistent curve curved.")


_MU = r"(?:μ|mu|\\mu)"
IDENTITY_GAIN = Spec(
    answer="identity_gain", judge=_judge_gain, cases=_gain_cases, forbid=GAIN_REFERENCES,
    describe=lambda c: _gain_case(*c),
    leaks=(rf"\(\s*t\s*-\s*{_MU}\s*\)\s*/\s*\(\s*{_MU}\s*\*?\s*t\s*-\s*1\s*\)",
           r"\\frac\{\s*t\s*-\s*\\mu\s*\}\{\s*\\mu\s*t\s*-\s*1\s*\}",
           r"t\s*/\s*\(\s*t\s*(?:\^2|\*\*\s*2|\*\s*t)\s*-\s*t\s*\+\s*1\s*\)",
           r"\\frac\{\s*t\s*\}\{\s*t\^2\s*-\s*t\s*\+\s*1\s*\}"))


@with_spec(IDENTITY_GAIN)
def check_identity_gain(identity_gain, quiet: bool = False) -> Result:
    """Exercise 13.4: ``identity_gain(t, mu)`` is the gain a* of G(x) = a x at the minimiser of
    W1(aX, Y) + W1(bY, X) + 10 L_cyc + mu L_id for X ~ N(0, 1), Y ~ N(0, t^2), t > 0. Checked at several
    (t, mu), t < 1 and t = 1 included, on both sides of the weights where the minimiser changes regime, to a
    relative 1e-3 (a careful numerical minimisation passes); may not call gantools' cycle or identity loss,
    W1 or trainer."""
    return check(IDENTITY_GAIN, identity_gain, quiet)
