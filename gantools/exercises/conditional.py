"""Checks for chapter 11, Conditional GANs.

- :func:`check_label_mismatch_value`: V(D*, G) when every class-conditional is right but the
  generator draws its labels uniformly while p_data(y) = (0.9, 0.1).
- :func:`check_posterior_weights`: a student's ``posterior_weights(means, stds, prior)``, the
  (K, 3) weights w with p(y|x) = softmax_y(w_y . (1, x, x^2)) for Gaussian classes, checked
  through the posteriors they give (any common shift of the rows is as right as another).
- :func:`check_z_share`: a student's ``z_share(stat)``, the share of a statistic's
  within-class variance that the noise z explains.
- :func:`check_acgan_losses`: a student's ``acgan_losses(...)``, AC-GAN's two losses as in
  Odena et al. (2017), compared with the trainer's objectives.
- :func:`check_ignored_limit`: a student's ``v_ignored_limit(prior)``, the value V(D*, G) of
  the conditional game when the classes do not overlap and the generator ignores its label,
  as a function of the label distribution (a prediction; section 11.1's quadrature measures it
  after the check).

Each check is a :class:`~gantools.exercises.protocol.Spec`: the grader draws fresh cases from the ranges
below for every submission and judges the plain outputs in its own process.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import softmax, xlogy

from .common import Result, judge_cases, judge_number, one_number
from .protocol import Spec, check, with_spec

__all__ = ["check_label_mismatch_value", "check_posterior_weights", "check_z_share", "check_acgan_losses",
           "check_ignored_limit"]


# -- 11.1 ----------------------------------------------------------------------------------------
MISMATCH_DATA, MISMATCH_G = (0.9, 0.1), (0.5, 0.5)  # p_data(y) and the generator's p_g(y)


# The references below avoid comprehensions and the most common ways of writing the answers: the tripwire
# also rejects an answer whose code (or a nested function's) is a copy of a reference's.
def _kl_reference(p, q) -> float:
    """KL(p || q) in nats, for exercise 11.1's known wrong answers."""
    return float(np.dot(p, np.log(np.divide(p, q))))


def _jsd_reference(p, q) -> float:
    """JSD(p || q) in nats, for exercise 11.1's check."""
    m = np.add(p, q) / 2
    return 0.5 * _kl_reference(p, m) + 0.5 * _kl_reference(q, m)


_JSD = _jsd_reference(MISMATCH_DATA, MISMATCH_G)
_V_MISMATCH = 2 * _JSD - math.log(4)
LABEL_MISMATCH = Spec(
    answer="v_mismatch", call=False,
    judge=judge_number(
        _V_MISMATCH, 1e-4,
        ok=f"V(D*, G) = 2 JSD(p_data(y) || p_g(y)) - log 4 = 2 * {_JSD:.4f} - log 4 = {_V_MISMATCH:.4f}: D* reads "
           "the label alone, D*(x, y) = p_data(y) / (p_data(y) + p_g(y)), and the generator pays for drawing y "
           "wrongly however well it draws x.",
        hint="Write the joint densities p_data(y) p(x|y) and p_g(y) p(x|y): their ratio does not depend on x, so "
             "D*(x, y) depends on y only. Put it into V, or use V(D*, G) = 2 JSD(joint) - log 4 with the joint JSD "
             "reduced to the JSD of the two label distributions.",
        known_wrong=(
            (-math.log(4), "-log 4 would mean the joints are equal; they are not: the labels come with the wrong "
                           "frequencies, and D*(x, y) = p_data(y) / (p_data(y) + p_g(y)) is not 1/2."),
            (2 * _JSD / math.log(2) - math.log(4), "You took the JSD in bits; V is in nats (natural logarithms)."),
            (_JSD - math.log(4), "V(D*, G) = 2 JSD - log 4: the factor 2 is missing."),
            (2 * _kl_reference(MISMATCH_DATA, MISMATCH_G) - math.log(4),
             "That is KL(p_data(y) || p_g(y)); the value function gives the Jensen-Shannon divergence, through the "
             "mixture m = (p + q)/2."),
            (2 * _JSD, "You left out the - log 4."),
        )),
    leaks=(r"[-−]\s*1\.18(?:\d*)(?![\d])",))


@with_spec(LABEL_MISMATCH)
def check_label_mismatch_value(answer, quiet: bool = False) -> Result:
    """Exercise 11.1: V(D*, G) in nats (a number, to 1e-4) for two classes with p_data(y) = (0.9, 0.1)
    and a generator with every class-conditional right but labels drawn uniformly."""
    return check(LABEL_MISMATCH, answer, quiet)


# -- 11.2 ----------------------------------------------------------------------------------------
_GRID = np.linspace(-8.0, 14.0, 221)
_WEIGHT_CASES = (
    ("Gong et al.'s toy", (0.0, 3.0, 6.0), (1.0, 2.0, 3.0), (1 / 3, 1 / 3, 1 / 3)),
    ("unequal priors", (0.0, 3.0, 6.0), (1.0, 2.0, 3.0), (0.6, 0.3, 0.1)),
    ("four classes, equal spreads", (-3.0, -1.0, 2.0, 5.0), (1.5, 1.5, 1.5, 1.5), (0.1, 0.2, 0.3, 0.4)),
)
WEIGHT_REFERENCES = ("gantools.conditional.theory.softmax_weights", "gantools.conditional.theory.posterior")


def _weight_cases(rng) -> list:
    """Classes with unequal spreads and priors, equal spreads, and two to five classes: the book's
    three, or three fresh ones."""
    if rng is None:
        return [{"name": n, "means": list(m), "stds": list(s), "prior": list(p)} for n, m, s, p in _WEIGHT_CASES]
    out = []
    for name, k, equal in (("three classes, unequal spreads", 3, False),
                           ("classes with equal spreads", int(rng.integers(3, 6)), True),
                           ("a fresh set of classes", int(rng.integers(2, 6)), False)):
        means = np.sort(rng.uniform(-3.0, 6.0, size=k))
        stds = np.full(k, rng.uniform(0.6, 2.5)) if equal else rng.uniform(0.5, 3.0, size=k)
        prior = 0.8 * rng.dirichlet(np.ones(k)) + 0.2 / k
        out.append({"name": name, "means": [float(a) for a in means], "stds": [float(a) for a in stds],
                    "prior": [float(a) for a in prior / prior.sum()]})
    return out


def _posterior_reference(means, stds, prior, x) -> np.ndarray:
    """p(y|x) on the grid x for Gaussian classes, by Bayes' rule, for exercise 11.2's check."""
    s = np.array(stds, dtype=float)
    lj = np.log(np.array(prior, dtype=float) / s) - np.square(np.subtract.outer(x, means) / s) / 2
    return softmax(lj, axis=1)


def _phi(x) -> np.ndarray:
    return np.stack([np.ones_like(x), x, x**2], axis=1)


def _wrong_weights(means, stds, prior) -> dict[str, np.ndarray]:
    m, s, p = (np.asarray(a, dtype=float) for a in (means, stds, prior))
    right = np.stack([np.log(p) - np.log(s) - m**2 / (2 * s**2), m / s**2, -1 / (2 * s**2)], axis=1)
    no_prior, no_scale, no_sq = right.copy(), right.copy(), right.copy()
    no_prior[:, 0] -= np.log(p)
    no_scale[:, 0] += np.log(s)
    no_sq[:, 0] += m**2 / (2 * s**2)
    variance = np.stack([np.log(p) - np.log(s) - m**2 / (2 * s), m / s, -1 / (2 * s)], axis=1)
    return {"the log prior log p(y) belongs in the constant term": no_prior,
            "each class's normaliser 1/(s_y sqrt(2 pi)) differs between classes: keep -log s_y in the constant term "
            "(only log sqrt(2 pi) is common and cancels)": no_scale,
            "expanding -(x - mu)^2 / (2 s^2) gives the constant -mu^2 / (2 s^2) too": no_sq,
            "the s in N(mu, s^2) is the standard deviation: divide by s^2, not s": variance}


def _judge_weights(cases, values):
    for case, value in zip(cases, values, strict=True):
        name, means, stds, prior = case["name"], case["means"], case["stds"], case["prior"]
        try:
            w = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return False, f"On {name}: return an array of numbers, got {str(value)[:80]}."
        k = len(means)
        if w.shape != (k, 3):
            return False, f"On {name}: return shape ({k}, 3), one row (w0, w1, w2) per class; got {w.shape}."
        truth = _posterior_reference(means, stds, prior, _GRID)
        with np.errstate(all="ignore"):
            got = softmax(_phi(_GRID) @ w.T, axis=1)
        if np.all(np.isfinite(got)) and np.max(np.abs(got - truth)) <= 1e-8:
            continue
        for why, wrong in _wrong_weights(means, stds, prior).items():
            if np.max(np.abs(softmax(_phi(_GRID) @ wrong.T, axis=1) - got)) < 1e-8:
                return False, f"On {name}: {why}."
        worst = float(np.max(np.abs(got - truth)))
        return False, (f"On {name}, softmax(w . phi(x)) differs from p(y|x) by up to {worst:.3g}. Expand "
                       "log p(y) + log N(x; mu_y, s_y^2) in powers of x and drop only what is the same for every "
                       "class.")
    return True, ("p(y|x) = softmax_y(w_y . (1, x, x^2)) with w_y = (log p(y) - log s_y - mu_y^2/(2 s_y^2), "
                  "mu_y / s_y^2, -1/(2 s_y^2)): Gaussian classes have softmax posteriors in phi(x) = (1, x, x^2), "
                  "exactly what a projection discriminator with that phi represents.")


POSTERIOR_WEIGHTS = Spec(
    answer="posterior_weights", judge=_judge_weights, cases=_weight_cases, forbid=WEIGHT_REFERENCES,
    build=lambda c: (np.array(c["means"]), np.array(c["stds"]), np.array(c["prior"])),
    describe=lambda c: f"On {c['name']}",
    leaks=(r"\\mu_y\^2\s*/\s*\(?2\s*s_y\^2", r"mu_y\s*/\s*s_y\^2", r"\\frac\{\\mu_y\}\{s_y\^2\}",
           r"-\s*1\s*/\s*\(?2\s*s_y\^2"))


@with_spec(POSTERIOR_WEIGHTS)
def check_posterior_weights(posterior_weights, quiet: bool = False) -> Result:
    """Exercise 11.2: ``posterior_weights(means, stds, prior)`` returns w (K, 3) with
    p(y|x) = softmax_y(w_y . (1, x, x^2)) for classes x|y ~ N(means[y], stds[y]^2). Checked
    through the posteriors on a grid (so any shift common to all rows passes); may not call
    gantools' own ``softmax_weights`` or ``posterior``."""
    return check(POSTERIOR_WEIGHTS, posterior_weights, quiet)


# -- 11.3 ----------------------------------------------------------------------------------------
Z_SHARE_REFERENCES = ("gantools.conditional.scores.z_share",)


def _z_share_reference(s: np.ndarray) -> float:
    """The instructor's computation for exercise 11.3."""
    within = s - np.mean(s, axis=0)
    rows = within.sum(axis=1) / len(s[0])
    return float(len(s[0]) * (rows @ rows) / np.einsum("ij,ij->", within, within))


def _z_cases(rng) -> list:
    """z alone, no shared z, z with class and noise, two classes: the book's four statistics, or four fresh."""
    if rng is None:
        rng = np.random.default_rng(12)
        a, b = rng.normal(size=(40, 1)), 5 * rng.normal(size=(1, 6))
        cases = [("z alone sets the statistic", a + b),
                 ("no shared effect of z", rng.normal(size=(50, 10)) + b[:, :1]),
                 ("z, class and noise", a + b[:, :4] + 0.7 * rng.normal(size=(40, 4))),
                 ("two classes", rng.normal(size=(30, 2)) + np.array([[0.0, 10.0]]) + rng.normal(size=(30, 1)))]
    else:
        n, k, m, k2 = (int(rng.integers(lo, hi)) for lo, hi in ((20, 60), (3, 9), (20, 60), (3, 12)))
        a, b = rng.normal(size=(n, 1)) * rng.uniform(0.5, 3), rng.uniform(2, 8) * rng.normal(size=(1, k))
        cases = [("z alone sets the statistic", a + b),
                 ("no shared effect of z", rng.normal(size=(m, k2)) + rng.uniform(2, 8) * rng.normal(size=(1, k2))),
                 ("z, class and noise", a + b + rng.uniform(0.3, 1.5) * rng.normal(size=(n, k))),
                 ("two classes", rng.normal(size=(m, 2)) + np.array([[0.0, rng.uniform(3, 15)]])
                  + rng.uniform(0.5, 2) * rng.normal(size=(m, 1)))]
    return [{"name": name, "stat": s.tolist()} for name, s in cases]


def _wrong_shares(s: np.ndarray) -> tuple[tuple[float, str], ...]:
    c = s - s.mean(0, keepdims=True)
    total = s - s.mean()
    return ((float(s.shape[1] * np.sum((total.mean(1)) ** 2) / np.sum(total**2)),
             "remove the class means first: the class explains part of the total variance, and the question is about "
             "the variance within a class"),
            (float(np.sum(c.mean(1) ** 2) / np.sum(c**2)),
             "SS(z) counts each noise vector's mean once per class: multiply the sum of squared row means by K"),
            (math.sqrt(_z_share_reference(s)), "a share of variance is a ratio of sums of squares, not of standard "
                                              "deviations"))


_judge_z = judge_cases(
    _z_share_reference, _wrong_shares, lambda x: 1e-9, lambda c: f"On '{c['name']}'",
    "which is not the share. Subtract each column's (class's) mean, then compare K times the sum of squared row "
    "means with the sum of all squared entries.",
    "With the class means removed, z_share = K sum_i (row mean_i)^2 / sum of all squares: 1 when z moves the "
    "statistic the same way in every class, about 1/K when it does not.",
    end=".", args=lambda c: (np.asarray(c["stat"], dtype=float),))


Z_SHARE = Spec(answer="my_z_share", judge=_judge_z, cases=_z_cases, forbid=Z_SHARE_REFERENCES,
               build=lambda c: (np.array(c["stat"], dtype=float),), describe=_judge_z.describe,
               leaks=(r"K\s*\\sum_i\s*\\bar\s*s_\{i\s*\\cdot\}\^2", r"K\s*sum_i\s*\(row mean_i\)\^2",
                      r"shape\[1\]\s*\*\s*np\.sum\(\s*\w+\.mean\(1\)\s*\*\*\s*2\s*\)"))


@with_spec(Z_SHARE)
def check_z_share(z_share, quiet: bool = False) -> Result:
    """Exercise 11.3: ``z_share(stat)`` for stat (N, K) (N noise vectors, each rendered as
    every class) returns SS(z) / SS(within class) of the two-way analysis of variance, to 1e-9.
    May not call :func:`gantools.conditional.scores.z_share`."""
    return check(Z_SHARE, z_share, quiet)


# -- 11.4 ----------------------------------------------------------------------------------------
ACGAN_REFERENCES = ("gantools.imagegan.models.ModelSpec.d_objective", "gantools.imagegan.models.ModelSpec.g_objective")


def _acgan_batch(seed: int, n: int = 6, k: int = 4):
    """The six tensors of one test batch (a private torch.Generator: the global RNG is untouched)."""
    g = torch.Generator().manual_seed(seed)
    return (3 * torch.randn(n, generator=g), 3 * torch.randn(n, generator=g), 2 * torch.randn(n, k, generator=g),
            2 * torch.randn(n, k, generator=g), torch.randint(k, (n,), generator=g),
            torch.randint(k, (n,), generator=g))


def _acgan_cases(rng) -> list:
    """Batches of 4 to 64 samples with 2 to 10 classes: the book's three, or three fresh ones."""
    if rng is None:
        return [{"seed": s, "n": 6, "k": 4} for s in (0, 1, 2)]
    return [{"seed": int(rng.integers(3, 2**31)), "n": int(rng.integers(4, 65)), "k": int(rng.integers(2, 11))}
            for _ in range(3)]


def _acgan_reference(adv_real, adv_fake, cls_real, cls_fake, y_real, y_fake, variant: str = "right"):
    """The instructor's losses for exercise 11.4 (and three known wrong variants)."""
    ce_real, ce_fake = F.cross_entropy(cls_real, y_real), F.cross_entropy(cls_fake, y_fake)
    d = F.softplus(-adv_real).mean() + F.softplus(adv_fake).mean() + ce_real + ce_fake
    g = F.softplus(-adv_fake).mean() + ce_fake
    if variant == "real only":
        d = d - ce_fake
    elif variant == "minimax":
        g = -F.softplus(adv_fake).mean() + ce_fake
    elif variant == "g fights the classifier":
        g = F.softplus(-adv_fake).mean() - ce_fake
    return float(d), float(g)


def _acgan_case(c) -> str:
    return f"On test batch {c['seed']}" + ("" if (c["n"], c["k"]) == (6, 4) else f" (N = {c['n']}, K = {c['k']})")


def _judge_acgan(cases, values):
    for case, value in zip(cases, values, strict=True):
        try:
            got = np.asarray(value, dtype=float).ravel()
        except (TypeError, ValueError):
            got = None
        if got is None or got.size != 2:
            return False, f"{_acgan_case(case)}: return two numbers (loss_D, loss_G), got {str(value)[:80]}."
        d, g = got
        args = _acgan_batch(case["seed"], case["n"], case["k"])
        ed, eg = _acgan_reference(*args)
        if abs(d - ed) < 1e-5 and abs(g - eg) < 1e-5:
            continue
        for variant, why in (("real only", "D's classifier is trained on the generated images too, with their "
                                           "asked-for labels: add CE(cls_fake, y_fake) to loss_D (Odena et al.'s L_C)"),
                             ("minimax", "use the non-saturating generator loss -log sigma(adv_fake), not "
                                         "log(1 - sigma(adv_fake))"),
                             ("g fights the classifier", "the generator wants its images classified as y: it "
                                                         "*minimises* CE(cls_fake, y_fake), like D")):
            vd, vg = _acgan_reference(*args, variant=variant)
            if abs(d - vd) < 1e-5 and abs(g - vg) < 1e-5:
                return False, f"{_acgan_case(case)}: {why}."
        wrong = " and ".join(n for n, bad in (("loss_D", abs(d - ed) >= 1e-5), ("loss_G", abs(g - eg) >= 1e-5)) if bad)
        return False, (f"{_acgan_case(case)} you returned ({d:.5f}, {g:.5f}): {wrong} not right. Batch means "
                       "throughout; softplus(-a) = -log sigma(a) and softplus(a) = -log(1 - sigma(a)); "
                       "F.cross_entropy takes logits.")
    return True, ("loss_D = BCE(real, fake) + CE(cls_real, y_real) + CE(cls_fake, y_fake) and "
                  "loss_G = -log sigma(adv_fake) + CE(cls_fake, y_fake): both players add the class cross-entropy on "
                  "the generated images: D learns to call them class y, and G learns to make that easy. Nothing ties "
                  "D's classifier on fakes to what a digit looks like: that is the door to the private code of "
                  "section 11.4.")


ACGAN_LOSSES = Spec(
    answer="acgan_losses", judge=_judge_acgan, cases=_acgan_cases, forbid=ACGAN_REFERENCES,
    build=lambda c: _acgan_batch(c["seed"], c["n"], c["k"]), describe=_acgan_case,
    leaks=(r"L_G\s*&?=\s*-\s*\\log\s*\\sigma\(a_\{\\text\{fake\}\}\)\s*\+\s*\\operatorname\{CE\}",
           r"loss_G\s*=\s*-\s*log\s*(?:sigma|σ)\(adv_fake\)\s*\+\s*CE\(",
           r"softplus\(\s*-\s*adv_fake\s*\)\.mean\(\)\s*\+\s*ce_fake"))


@with_spec(ACGAN_LOSSES)
def check_acgan_losses(acgan_losses, quiet: bool = False) -> Result:
    """Exercise 11.4: ``acgan_losses(adv_real, adv_fake, cls_real, cls_fake, y_real, y_fake)``
    returns (loss_D, loss_G) to minimise, as in Odena et al. (2017) with the non-saturating
    generator loss and batch means, compared with the instructor's losses (which the trainer's
    objectives agree with) to 1e-5. May not call the trainer's ``ModelSpec.d_objective`` /
    ``g_objective``."""
    return check(ACGAN_LOSSES, acgan_losses, quiet)


# -- 11.5 ----------------------------------------------------------------------------------------
IGNORED_REFERENCES = ("gantools.conditional.theory.value", "gantools.conditional.theory.optimal_discriminator",
                      "gantools.conditional.theory.expected_jsd", "gantools.conditional.theory.joint_jsd",
                      "gantools.theory.js_divergence", "gantools.theory.value_function",
                      "gantools.theory.expectation")
# Label distributions, most of them never used on the page (which runs (0.5, 0.3, 0.2) and ten equal classes).
# The first has no coincidences among the wrong answers below (at (0.5, 0.5) two of them are 0).
_IGNORED_PRIORS = ((0.7, 0.2, 0.1), (0.5, 0.5), (0.5, 0.3, 0.2), (0.9, 0.1), (0.05, 0.15, 0.3, 0.5), (0.1,) * 10,
                   (0.02, 0.08, 0.1, 0.2, 0.25, 0.35))


def _ignored_cases(rng) -> list:
    """Two to fifty classes, skewed, equal, one nearly absent: the book's seven priors, or seven fresh."""
    if rng is None:
        return [list(p) for p in _IGNORED_PRIORS]

    def dirichlet(k, floor=0.02):
        p = (1 - floor * k) * rng.dirichlet(np.ones(k)) + floor
        return p / p.sum()

    top = rng.uniform(0.55, 0.95)
    tiny = np.concatenate([[rng.uniform(1e-3, 1e-2)], dirichlet(int(rng.integers(2, 5)))])
    k_equal = int(rng.integers(4, 21))
    priors = [dirichlet(3, 0.05), np.array([top, 1 - top]), dirichlet(int(rng.integers(4, 7))),
              np.full(k_equal, 1 / k_equal), dirichlet(int(rng.integers(8, 51)), 0.002), tiny / tiny.sum(),
              dirichlet(int(rng.integers(2, 11)))]
    return [[float(a) for a in p] for p in priors]


def ignored_limit_reference(prior) -> float:
    """The instructor's closed form for exercise 11.5 (section 11.1's quadrature measures the same value
    in the cell after the check)."""
    p = np.array(prior, dtype=float)
    return float(np.dot(p, xlogy(p, p) - xlogy(1 + p, 1 + p)))


ignored_limit_truth = ignored_limit_reference  # the name the chapter's measuring cell imports


def _wrong_limits(p: np.ndarray) -> tuple[tuple[float, str], ...]:
    right = ignored_limit_reference(p)
    k = len(p)
    return (
        (-math.log(4), "-log 4 is what a discriminator that ignores y sees (section 11.1): the marginals are equal. "
                       "D* reads the pair (x, y), and a generated x carries a label that belongs to another class's "
                       "region with probability 1 - pi_y"),
        (0.0, "V = 0 would need D* = 1 on every real pair and 0 on every generated one, as for disjoint supports in "
              "chapter 3; but the joints overlap: a generated pair with label y lands in class y's own region with "
              "probability pi_y, where D*(x, y) = 1 / (1 + pi_y), not 1"),
        ((right + math.log(4)) / 2, "that is E_y JSD(p_data(.|y) || p(.)); the question asks for the value, "
                                    "V(D*, G) = 2 E_y JSD - log 4"),
        (float(-np.sum(p * np.log1p(p))), "you kept the real pairs' term only: the generated pairs with label y "
                                          "whose x lands in class y's region (probability pi_y) add "
                                          "pi_y log(1 - D*) = pi_y log(pi_y / (1 + pi_y))"),
        (float(-np.sum(p * (1 + p) * np.log1p(p))), "on class y's region 1 - D*(x, y) = pi_y / (1 + pi_y), not "
                                                    "1 / (1 + pi_y): the generated pairs' log(1 - D*) has a "
                                                    "pi_y log pi_y in it"),
        (float(np.sum(p * (p * np.log(p) + (1 + p) * np.log1p(p)))), "a sign: log D* = log(1 / (1 + pi_y)) = "
                                                                      "-log(1 + pi_y) on class y's region"),
        (float(-2 * np.sum(p * np.log(p)) - math.log(4)), "KL(p(.|y) || p) = -log pi_y sums to the mutual "
                                                          "information H(y); the value function gives the "
                                                          "Jensen-Shannon divergence, through the mixture "
                                                          "m = (p(.|y) + p) / 2"),
        (ignored_limit_reference(np.full(k, 1 / k)), "your value depends only on the number of classes; with unequal "
                                                     "label probabilities each class y has its own "
                                                     "D* = 1 / (1 + pi_y) and weight pi_y"),
    )


def _prior_text(prior) -> str:
    return "(" + ", ".join(f"{a:.4g}" for a in prior[:6]) + (", ..." if len(prior) > 6 else "") + ")"


def _judge_ignored(cases, values):
    got_values = []
    for prior, value in zip(cases, values, strict=True):
        p, shown = np.array(prior, dtype=float), _prior_text(prior)
        got, expected = one_number(value), ignored_limit_reference(prior)
        if got is None or not math.isfinite(got):
            return False, f"For the prior {shown}: return one finite number (nats), got {str(value)[:80]}."
        got_values.append(got)
        if abs(got - expected) <= 1e-6:
            continue
        hits = [why for wrong, why in _wrong_limits(p) if abs(got - wrong) <= 1e-6 and abs(wrong - expected) > 1e-6]
        if len(hits) == 1:  # a hint only where it is unambiguous
            return False, f"For the prior {shown}: {hits[0]}."
        if len(set(np.round(got_values, 9))) == 1 and len(got_values) > 1:
            return False, (f"For the prior {shown} you returned {got:.6g} again: the value depends on the label "
                           "distribution.")
        return False, (f"For the prior {shown} you returned {got:.6g}, which is not V(D*, G). Write "
                       "D*(x, y) = p(x|y) / (p(x|y) + p(x)) on each class's region, where p(x) = pi_y p(x|y), and add "
                       "up the real and the generated pairs' terms.")
    return True, ("V(D*, G) = sum_y pi_y [pi_y log pi_y - (1 + pi_y) log(1 + pi_y)]: on class y's region "
                  "D*(x, y) = 1 / (1 + pi_y), and a generated pair whose label belongs to another region gets "
                  "D* = 0. Now run the next cell to measure it.")


IGNORED_LIMIT = Spec(
    answer="v_ignored_limit", judge=_judge_ignored, cases=_ignored_cases, forbid=IGNORED_REFERENCES,
    build=lambda p: (np.array(p, dtype=float),), describe=lambda p: f"For the prior {_prior_text(p)}",
    leaks=(r"\\pi_y\s*\\log\s*\\pi_y\s*-\s*\(1\s*\+\s*\\pi_y\)\s*\\log\s*\(1\s*\+\s*\\pi_y\)",
           r"(?:pi_y|π_y)\s*log\s*(?:pi_y|π_y)\s*-\s*\(1\s*\+\s*(?:pi_y|π_y)\)\s*log\s*\(1\s*\+\s*(?:pi_y|π_y)\)"))


@with_spec(IGNORED_LIMIT)
def check_ignored_limit(v_ignored_limit, quiet: bool = False) -> Result:
    """Exercise 11.5: ``v_ignored_limit(prior)`` returns V(D*, G) (nats) for K classes whose supports
    do not overlap, label probabilities ``prior`` (K positive numbers summing to 1), and a generator
    that draws labels from the prior but every class from the data's marginal p(x), against the
    optimal conditional discriminator. Checked on seven label distributions (two to fifty classes)
    to 1e-6 (a quadrature with far-apart classes passes); may not call gantools' quadrature."""
    return check(IGNORED_LIMIT, v_ignored_limit, quiet)
