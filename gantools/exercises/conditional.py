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
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import logsumexp, softmax

from .common import Result, check_number, report, to_array, to_float
from .common import run_answer as _run

__all__ = ["check_label_mismatch_value", "check_posterior_weights", "check_z_share", "check_acgan_losses",
           "check_ignored_limit"]


# -- 11.1 ----------------------------------------------------------------------------------------
MISMATCH_DATA, MISMATCH_G = (0.9, 0.1), (0.5, 0.5)  # p_data(y) and the generator's p_g(y)


def _kl(p, q) -> float:
    return float(sum(a * math.log(a / b) for a, b in zip(p, q, strict=True)))


def _jsd(p, q) -> float:
    m = [(a + b) / 2 for a, b in zip(p, q, strict=True)]
    return 0.5 * _kl(p, m) + 0.5 * _kl(q, m)


def check_label_mismatch_value(answer, quiet: bool = False) -> Result:
    """Exercise 11.1: with p_g(x|y) = p_data(x|y) for every y, the joint JSD is the JSD of the
    label distributions, so V(D*, G) = 2 JSD((0.9, 0.1) || (0.5, 0.5)) - log 4 (nats)."""
    p, q = MISMATCH_DATA, MISMATCH_G
    jsd = _jsd(p, q)
    expected = 2 * jsd - math.log(4)
    return check_number(
        answer, expected, 1e-4,
        ok=f"V(D*, G) = 2 JSD(p_data(y) || p_g(y)) - log 4 = 2 * {jsd:.4f} - log 4 = {expected:.4f}: D* reads the "
           "label alone, D*(x, y) = p_data(y) / (p_data(y) + p_g(y)), and the generator pays for drawing y wrongly "
           "however well it draws x.",
        hint="Write the joint densities p_data(y) p(x|y) and p_g(y) p(x|y): their ratio does not depend on x, so "
             "D*(x, y) depends on y only. Put it into V, or use V(D*, G) = 2 JSD(joint) - log 4 with the joint JSD "
             "reduced to the JSD of the two label distributions.",
        known_wrong=(
            (-math.log(4), "-log 4 would mean the joints are equal; they are not: the labels come with the wrong "
                           "frequencies, and D*(x, y) = p_data(y) / (p_data(y) + p_g(y)) is not 1/2."),
            (2 * jsd / math.log(2) - math.log(4), "You took the JSD in bits; V is in nats (natural logarithms)."),
            (jsd - math.log(4), "V(D*, G) = 2 JSD - log 4: the factor 2 is missing."),
            (2 * _kl(p, q) - math.log(4), "That is KL(p_data(y) || p_g(y)); the value function gives the "
                                          "Jensen-Shannon divergence, through the mixture m = (p + q)/2."),
            (2 * jsd, "You left out the - log 4."),
        ),
        quiet=quiet,
    )


# -- 11.2 ----------------------------------------------------------------------------------------
_GRID = np.linspace(-8.0, 14.0, 221)
_WEIGHT_CASES = (
    ("Gong et al.'s toy", (0.0, 3.0, 6.0), (1.0, 2.0, 3.0), (1 / 3, 1 / 3, 1 / 3)),
    ("unequal priors", (0.0, 3.0, 6.0), (1.0, 2.0, 3.0), (0.6, 0.3, 0.1)),
    ("four classes, equal spreads", (-3.0, -1.0, 2.0, 5.0), (1.5, 1.5, 1.5, 1.5), (0.1, 0.2, 0.3, 0.4)),
)
WEIGHT_REFERENCES = ("gantools.conditional.softmax_weights", "gantools.conditional.posterior")


def _posterior(means, stds, prior, x) -> np.ndarray:
    m, s, p = (np.asarray(a, dtype=float) for a in (means, stds, prior))
    lj = np.log(p) - np.log(s) - 0.5 * ((x[:, None] - m) / s) ** 2
    return np.exp(lj - logsumexp(lj, axis=1, keepdims=True))


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


def check_posterior_weights(posterior_weights, quiet: bool = False) -> Result:
    """Exercise 11.2: ``posterior_weights(means, stds, prior)`` returns w (K, 3) with
    p(y|x) = softmax_y(w_y . (1, x, x^2)) for classes x|y ~ N(means[y], stds[y]^2). Checked
    through the posteriors on a grid (so any shift common to all rows passes); may not call
    gantools' own ``softmax_weights`` or ``posterior``."""
    for name, means, stds, prior in _WEIGHT_CASES:
        value, err = _run(posterior_weights, "posterior_weights", np.array(means), np.array(stds), np.array(prior),
                          forbid=WEIGHT_REFERENCES)
        if err:
            return report(False, "", f"On {name}: {err}", quiet)
        w = to_array(value)
        if w is None:
            return report(False, "", f"On {name}: return an array of numbers, got {type(value).__name__}.", quiet)
        k = len(means)
        if w.shape != (k, 3):
            return report(False, "", f"On {name}: return shape ({k}, 3), one row (w0, w1, w2) per class; got "
                                     f"{w.shape}.", quiet)
        truth = _posterior(means, stds, prior, _GRID)
        got = softmax(_phi(_GRID) @ w.T, axis=1)
        if not np.all(np.isfinite(got)) or np.max(np.abs(got - truth)) > 1e-8:
            for why, wrong in _wrong_weights(means, stds, prior).items():
                if np.max(np.abs(softmax(_phi(_GRID) @ wrong.T, axis=1) - got)) < 1e-8:
                    return report(False, "", f"On {name}: {why}.", quiet)
            worst = float(np.max(np.abs(got - truth)))
            return report(False, "", f"On {name}, softmax(w . phi(x)) differs from p(y|x) by up to {worst:.3g}. Expand "
                                     "log p(y) + log N(x; mu_y, s_y^2) in powers of x and drop only what is the same "
                                     "for every class.", quiet)
    return report(True, "p(y|x) = softmax_y(w_y . (1, x, x^2)) with w_y = (log p(y) - log s_y - mu_y^2/(2 s_y^2), "
                  "mu_y / s_y^2, -1/(2 s_y^2)): Gaussian classes have softmax posteriors in phi(x) = (1, x, x^2), "
                  "exactly what a projection discriminator with that phi represents.", "", quiet)


# -- 11.3 ----------------------------------------------------------------------------------------
Z_SHARE_REFERENCES = ("gantools.conditional_images.z_share",)


def _z_share(s: np.ndarray) -> float:
    c = s - s.mean(0, keepdims=True)
    return float(s.shape[1] * np.sum(c.mean(1) ** 2) / np.sum(c**2))


def _z_cases() -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(12)
    a, b = rng.normal(size=(40, 1)), 5 * rng.normal(size=(1, 6))
    return [("z alone sets the statistic", a + b),
            ("no shared effect of z", rng.normal(size=(50, 10)) + b[:, :1]),
            ("z, class and noise", a + b[:, :4] + 0.7 * rng.normal(size=(40, 4))),
            ("two classes", rng.normal(size=(30, 2)) + np.array([[0.0, 10.0]]) + rng.normal(size=(30, 1)))]


def _wrong_shares(s: np.ndarray) -> dict[str, float]:
    c = s - s.mean(0, keepdims=True)
    total = s - s.mean()
    return {"remove the class means first: the class explains part of the total variance, and the question is about "
            "the variance within a class": float(s.shape[1] * np.sum((total.mean(1)) ** 2) / np.sum(total**2)),
            "SS(z) counts each noise vector's mean once per class: multiply the sum of squared row means by K":
                float(np.sum(c.mean(1) ** 2) / np.sum(c**2)),
            "a share of variance is a ratio of sums of squares, not of standard deviations":
                float(math.sqrt(_z_share(s)))}


def check_z_share(z_share, quiet: bool = False) -> Result:
    """Exercise 11.3: ``z_share(stat)`` for stat (N, K) (N noise vectors, each rendered as
    every class) returns SS(z) / SS(within class) of the two-way analysis of variance.
    May not call :func:`gantools.conditional_images.z_share`."""
    for name, s in _z_cases():
        value, err = _run(z_share, "z_share", s.copy(), forbid=Z_SHARE_REFERENCES)
        if err:
            return report(False, "", f"On '{name}': {err}", quiet)
        expected = _z_share(s)
        r = check_number(value, expected, 1e-9, ok="", hint="", quiet=True)
        if not r:
            got = to_float(value)
            for why, w in _wrong_shares(s).items():
                if got is not None and abs(got - w) < 1e-9:
                    return report(False, "", f"On '{name}' you returned {float(value):.6g}, expected {expected:.6g}: "
                                             f"{why}.", quiet)
            return report(False, "", f"On '{name}' you returned {value!r}, expected {expected:.6g}. Subtract each "
                                     "column's (class's) mean, then compare K times the sum of squared row means "
                                     "with the sum of all squared entries.", quiet)
    return report(True, "With the class means removed, z_share = K sum_i (row mean_i)^2 / sum of all squares: 1 when "
                  "z moves the statistic the same way in every class, about 1/K when it does not.", "", quiet)


# -- 11.4 ----------------------------------------------------------------------------------------
ACGAN_REFERENCES = ("gantools.imagegan.models.ModelSpec.d_objective", "gantools.imagegan.models.ModelSpec.g_objective")


def _acgan_case(seed: int, n: int = 6, k: int = 4):
    g = torch.Generator().manual_seed(seed)
    return (3 * torch.randn(n, generator=g), 3 * torch.randn(n, generator=g), 2 * torch.randn(n, k, generator=g),
            2 * torch.randn(n, k, generator=g), torch.randint(k, (n,), generator=g), torch.randint(k, (n,), generator=g))


def _acgan_reference(adv_real, adv_fake, cls_real, cls_fake, y_real, y_fake, variant: str = "right"):
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


def check_acgan_losses(acgan_losses, quiet: bool = False) -> Result:
    """Exercise 11.4: ``acgan_losses(adv_real, adv_fake, cls_real, cls_fake, y_real, y_fake)``
    returns (loss_D, loss_G) to minimise, as in Odena et al. (2017) with the non-saturating
    generator loss: loss_D = BCE(real, fake) + CE(cls_real, y_real) + CE(cls_fake, y_fake),
    loss_G = -log sigma(adv_fake) + CE(cls_fake, y_fake), batch means. May not call the
    trainer's ``ModelSpec.d_objective`` / ``g_objective``."""
    for seed in (0, 1, 2):
        args = _acgan_case(seed)
        value, err = _run(acgan_losses, "acgan_losses", *(a.clone() for a in args), forbid=ACGAN_REFERENCES)
        if err:
            return report(False, "", f"On test batch {seed}: {err}", quiet)
        try:
            d, g = (float(v.detach()) if hasattr(v, "detach") else float(v) for v in value)
        except (TypeError, ValueError):
            return report(False, "", f"Return two numbers (loss_D, loss_G), got {value!r}.", quiet)
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
                return report(False, "", f"On test batch {seed}: {why}.", quiet)
        return report(False, "", f"On test batch {seed} you returned ({d:.5f}, {g:.5f}), expected ({ed:.5f}, "
                                 f"{eg:.5f}). Batch means throughout; softplus(-a) = -log sigma(a) and "
                                 "softplus(a) = -log(1 - sigma(a)); F.cross_entropy takes logits.", quiet)
    return report(True, "Both players add the class cross-entropy on the generated images: D learns to call them "
                  "class y, and G learns to make that easy. Nothing ties D's classifier on fakes to what a digit "
                  "looks like: that is the door to the private code of section 11.4.", "", quiet)


# -- 11.5 ----------------------------------------------------------------------------------------
IGNORED_REFERENCES = ("gantools.conditional.value", "gantools.conditional.optimal_discriminator",
                      "gantools.conditional.expected_jsd", "gantools.conditional.joint_jsd",
                      "gantools.theory.js_divergence", "gantools.theory.value_function",
                      "gantools.theory.expectation", "gantools.exercises.conditional.ignored_limit_truth")
# Label distributions, most of them never used on the page (which runs (0.5, 0.3, 0.2) and ten equal classes).
# The first has no coincidences among the wrong answers below (at (0.5, 0.5) two of them are 0).
_IGNORED_PRIORS = ((0.7, 0.2, 0.1), (0.5, 0.5), (0.5, 0.3, 0.2), (0.9, 0.1), (0.05, 0.15, 0.3, 0.5), (0.1,) * 10,
                   (0.02, 0.08, 0.1, 0.2, 0.25, 0.35))


def ignored_limit_truth(prior) -> float:
    """V(D*, G) in nats for K non-overlapping classes with label probabilities ``prior`` (K,)
    against a generator that draws every class from the marginal p(x) and its labels from the
    prior: on class y's region D*(x, y) = 1 / (1 + pi_y) and elsewhere 0, so
    V = sum_y pi_y [pi_y log pi_y - (1 + pi_y) log(1 + pi_y)]."""
    p = np.asarray(prior, dtype=float)
    return float(np.sum(p * (p * np.log(p) - (1 + p) * np.log1p(p))))


def _wrong_limits(p: np.ndarray) -> tuple[tuple[float, str], ...]:
    right = ignored_limit_truth(p)
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
        (ignored_limit_truth(np.full(k, 1 / k)), "your value depends only on the number of classes; with unequal "
                                                 "label probabilities each class y has its own D* = 1 / (1 + pi_y) "
                                                 "and weight pi_y"),
    )


def check_ignored_limit(v_ignored_limit, quiet: bool = False) -> Result:
    """Exercise 11.5: ``v_ignored_limit(prior)`` returns V(D*, G) (nats) for K classes whose
    supports do not overlap, label probabilities ``prior`` (an array of K positive numbers
    summing to 1), and a generator that draws labels from the prior but every class from the
    data's marginal p(x), against the optimal conditional discriminator:
    sum_y pi_y [pi_y log pi_y - (1 + pi_y) log(1 + pi_y)]. Checked on seven label distributions
    (two to ten classes, most never on the page), absolute tolerance 1e-6 (a quadrature with
    far-apart classes passes); may not call gantools' quadrature (``conditional.value``,
    ``optimal_discriminator``, ``expected_jsd``, ``joint_jsd``, ``theory.js_divergence``,
    ``theory.expectation``) or this module's ``ignored_limit_truth``."""
    got_values = []
    for prior in _IGNORED_PRIORS:
        p = np.array(prior, dtype=float)
        shown = "(" + ", ".join(f"{a:g}" for a in prior[:6]) + (", ..." if len(prior) > 6 else "") + ")"
        value, err = _run(v_ignored_limit, "v_ignored_limit", p.copy(), forbid=IGNORED_REFERENCES)
        if err:
            return report(False, "", f"For the prior {shown}: {err}", quiet)
        got, expected = to_float(value), ignored_limit_truth(p)
        if got is None or not math.isfinite(got):
            return report(False, "", f"For the prior {shown}: return one finite number (nats), got {value!r}.", quiet)
        got_values.append(got)
        if abs(got - expected) <= 1e-6:
            continue
        hits = [why for wrong, why in _wrong_limits(p) if abs(got - wrong) <= 1e-6 and abs(wrong - expected) > 1e-6]
        if len(hits) == 1:  # a hint only where it is unambiguous
            return report(False, "", f"For the prior {shown}: {hits[0]}.", quiet)
        if len(set(np.round(got_values, 9))) == 1 and len(got_values) > 1:
            return report(False, "", f"For the prior {shown} you returned {got:.6g} again, expected {expected:.6g}: "
                                     "the value depends on the label distribution.", quiet)
        return report(False, "", f"For the prior {shown} you returned {got:.6g}, expected {expected:.6g}. Write "
                                 "D*(x, y) = p(x|y) / (p(x|y) + p(x)) on each class's region, where "
                                 "p(x) = pi_y p(x|y), and add up the real and the generated pairs' terms.", quiet)
    return report(True, "V(D*, G) = sum_y pi_y [pi_y log pi_y - (1 + pi_y) log(1 + pi_y)]: on class y's region "
                  "D*(x, y) = 1 / (1 + pi_y), and a generated pair whose label belongs to another region gets "
                  "D* = 0. Now run the next cell to measure it.", "", quiet)
