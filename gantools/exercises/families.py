"""Checks for chapter 14, GANs among generative models.

- :func:`check_elbo_gap`: a student's ``elbo_gap(x, q, weights, means, stds)``, log p(x) - ELBO
  of a categorical q for a 1D Gaussian mixture seen as a latent-variable model.
- :func:`check_ddim_step_v`: a student's ``ddim_step_v(x, v, a, a_prev)``, one deterministic
  DDIM update from a network that predicts v = sqrt(a) eps - sqrt(1 - a) x0 instead of eps.
- :func:`check_one_step_std`: a student's ``one_step_std(s, a)``, the std of one-NFE DDIM's
  output for data N(0, s^2) with the exact noise predictor.
- :func:`check_loss_floor`: a student's ``loss_floor(s, abar)``, the smallest value DDPM's
  noise-prediction loss can reach on data N(0, s^2) (the best network's loss).
"""

from __future__ import annotations

import numpy as np
import torch

from .common import Result, first_wrong, report, to_float
from .common import run_answer as _run

__all__ = ["check_elbo_gap", "check_ddim_step_v", "check_one_step_std", "check_loss_floor"]


def _close(got, expected, tol):
    return got is not None and abs(got - expected) <= tol


def _first_wrong(got, wrong, tol):
    return first_wrong(got, wrong, lambda a, b: _close(a, b, tol))


# -- 14.1 ----------------------------------------------------------------------------------------
ELBO_REFERENCES = ("gantools.families.elbo.mixture_elbo",)
_MIXTURES = ((0.4, [0.5, 0.2, 0.3], [0.2, 0.3, 0.5], [-1.0, 0.5, 2.0], [0.5, 0.3, 0.8]),
             (1.7, [0.1, 0.9], [0.6, 0.4], [0.0, 2.0], [1.0, 0.4]),
             (-0.8, [0.25, 0.25, 0.5], [0.3, 0.3, 0.4], [-1.5, 0.0, 1.0], [0.4, 1.2, 0.6]))


def _gap_terms(x, q, w, mu, sd):
    q, w, mu, sd = (np.asarray(a, float) for a in (q, w, mu, sd))
    log_joint = np.log(w) - 0.5 * ((x - mu) / sd) ** 2 - np.log(sd) - 0.5 * np.log(2 * np.pi)
    m = log_joint.max()
    log_p = m + np.log(np.exp(log_joint - m).sum())
    post = np.exp(log_joint - log_p)
    return q, post, log_joint, log_p


def check_elbo_gap(elbo_gap, quiet: bool = False) -> Result:
    """Exercise 14.1: log p(x) - ELBO(q) for z ~ Categorical(w), x | z ~ N(mu_z, sd_z^2), checked
    at three mixtures against the KL to the posterior (computed here, term by term); may not call
    the book's ``mixture_elbo``."""
    for x, q, w, mu, sd in _MIXTURES:
        value, err = _run(elbo_gap, "elbo_gap", x, list(q), list(w), list(mu), list(sd), forbid=ELBO_REFERENCES)
        if err:
            return report(False, "", f"At x = {x}: {err}", quiet)
        got = to_float(value)
        qq, post, log_joint, log_p = _gap_terms(x, q, w, mu, sd)
        expected = float((qq * np.log(qq / post)).sum())
        if _close(got, expected, 1e-6):
            continue
        elbo = float((qq * (log_joint - np.log(qq))).sum())
        why = _first_wrong(got, (
            (float((post * np.log(post / qq)).sum()), "that is KL(posterior || q); the gap is KL(q || posterior), the "
                                                       "expectation is under q"),
            (-expected, "the gap log p - ELBO is >= 0; you computed ELBO - log p"),
            (float(log_p - (qq * log_joint).sum()), "the ELBO has an entropy term, -E_q[log q]: log p - E_q[log p(x, z)] "
                                                    "alone misses it"),
            (elbo, "that is the ELBO itself; the exercise asks for log p(x) minus it"),
            (float(log_p), "that is log p(x); subtract the ELBO")), 1e-6)
        if why:
            return report(False, "", f"At x = {x}: {why}.", quiet)
        return report(False, "", f"At x = {x} you returned {value!r}, expected {expected:.6f}. Compute log p(x) "
                                 "with a log-sum-exp over components and the ELBO as E_q[log p(x, z) - log q(z)].", quiet)
    return report(True, "log p(x) - ELBO = KL(q || p(z | x)) >= 0, zero exactly when q is the posterior: maximising "
                  "the ELBO over q is posterior inference, and over the model it is maximum likelihood minus that gap.",
                  "", quiet)


# -- 14.2 ----------------------------------------------------------------------------------------
DDIM_REFERENCES = ("gantools.families.diffusion.ddim_sample",)
_DDIM_CASES = ((0.3, 0.6, 1), (0.05, 0.2, 2), (0.9, 0.99, 3), (0.5, 1.0, 4))


def check_ddim_step_v(ddim_step_v, quiet: bool = False) -> Result:
    """Exercise 14.2: one deterministic DDIM step when the network predicts
    v = sqrt(a) eps - sqrt(1 - a) x0 (Salimans and Ho's v-parametrisation): with
    x0_hat = sqrt(a) x - sqrt(1 - a) v and eps_hat = sqrt(1 - a) x + sqrt(a) v,
    x_prev = sqrt(a_prev) x0_hat + sqrt(1 - a_prev) eps_hat, at several (a, a_prev) including the
    last step (a_prev = 1). The chapter prints the step in terms of eps only. May not call the
    book's ``ddim_sample``."""
    for a, a_prev, seed in _DDIM_CASES:
        g = torch.Generator().manual_seed(seed)
        x, v = torch.randn(5, 2, generator=g, dtype=torch.float64), torch.randn(5, 2, generator=g, dtype=torch.float64)
        value, err = _run(ddim_step_v, "ddim_step_v", x.clone(), v.clone(), a, a_prev, forbid=DDIM_REFERENCES)
        if err:
            return report(False, "", f"At a = {a}, a_prev = {a_prev}: {err}", quiet)
        try:
            got = torch.as_tensor(value, dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            return report(False, "", f"ddim_step_v returned {value!r}; return a tensor shaped like x.", quiet)
        x0 = np.sqrt(a) * x - np.sqrt(1 - a) * v
        eps = np.sqrt(1 - a) * x + np.sqrt(a) * v
        expected = np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * eps
        if got.shape == expected.shape and torch.allclose(got, expected, atol=1e-8):
            continue
        as_eps = np.sqrt(a_prev) * (x - np.sqrt(1 - a) * v) / np.sqrt(a) + np.sqrt(1 - a_prev) * v
        wrong = ((as_eps, "that is the chapter's step with v used as the noise; v is neither eps nor x0: solve "
                          "x = sqrt(a) x0 + sqrt(1 - a) eps and v = sqrt(a) eps - sqrt(1 - a) x0 for both"),
                 (x0, "that is x0_hat, the predicted clean point: DDIM moves to the *previous* time, "
                      "sqrt(a_prev) x0_hat + sqrt(1 - a_prev) eps_hat"),
                 (np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * v, "re-add the predicted *noise* eps_hat = "
                                                                  "sqrt(1 - a) x + sqrt(a) v, not v"),
                 (np.sqrt(a_prev) * (np.sqrt(a) * x + np.sqrt(1 - a) * v) + np.sqrt(1 - a_prev) * eps,
                  "check the sign: x0_hat = sqrt(a) x - sqrt(1 - a) v"))
        for w, why in wrong:
            if got.shape == w.shape and torch.allclose(got, w, atol=1e-8):
                return report(False, "", f"At a = {a}, a_prev = {a_prev}: {why}.", quiet)
        return report(False, "", f"At a = {a}, a_prev = {a_prev} your step differs from DDIM's (largest error "
                                 f"{float((got - expected).abs().max()) if got.shape == expected.shape else 'shape'}).",
                      quiet)
    return report(True, "With v-prediction, x0_hat = sqrt(a) x - sqrt(1 - a) v and eps_hat = sqrt(1 - a) x + "
                  "sqrt(a) v (a rotation of (x0, eps) by the angle whose cosine is sqrt(a)); the DDIM step is then "
                  "the same as with eps-prediction. With a_prev = 1 it returns x0_hat.", "", quiet)


# -- 14.3 ----------------------------------------------------------------------------------------
STD_REFERENCES = ("gantools.families.diffusion.gaussian_ddim_std", "gantools.families.diffusion.ddim_sample")
_STD_CASES = ((1.0, 4e-5), (0.5, 0.01), (2.0, 0.3), (0.1, 0.9))


def check_one_step_std(one_step_std, quiet: bool = False) -> Result:
    """Exercise 14.3: the std of DDIM's output with one network evaluation, for data N(0, s^2)
    and the exact noise predictor, at abar_T = a: sqrt(a) s^2 / (a s^2 + 1 - a)."""
    for s, a in _STD_CASES:
        value, err = _run(one_step_std, "one_step_std", s, a, forbid=STD_REFERENCES)
        if err:
            return report(False, "", f"At s = {s}, a = {a}: {err}", quiet)
        got = to_float(value)
        expected = np.sqrt(a) * s**2 / (a * s**2 + 1 - a)
        if _close(got, expected, 1e-9 + 1e-7 * expected):
            continue
        why = _first_wrong(got, (
            (s, "one step of the exact predictor returns E[x_0 | x_T], a shrunken point, not a sample of the data"),
            (a * s**2 / (a * s**2 + 1 - a), "the std of E[x_0 | x_T] is that coefficient times std(x_T) = 1: "
                                              "sqrt(a) s^2 / (a s^2 + 1 - a), with sqrt(a), not a"),
            (s / np.sqrt(a), "the exact predictor is E[eps | x_T] = sqrt(1 - a) x_T / (a s^2 + 1 - a), not a "
                             "re-scaling of x_T")), 1e-9 + 1e-7 * expected)
        if why:
            return report(False, "", f"At s = {s}, a = {a}: {why}.", quiet)
        return report(False, "", f"At s = {s}, a = {a} you returned {value!r}, expected {expected:.6g}. x_T = sqrt(a) "
                                 "x_0 + sqrt(1 - a) eps is jointly Gaussian with x_0; write E[eps | x_T], then x0_hat.",
                      quiet)
    return report(True, "With one evaluation DDIM returns E[x_0 | x_T]: for T = 1,000 its std is under 1% of the data's."
                  " Every sample sits near the mean; more evaluations are what turn the average into a sample.",
                  "", quiet)


# -- 14.4 ----------------------------------------------------------------------------------------
FLOOR_REFERENCES = ("gantools.families.diffusion.mixture_eps", "gantools.families.mixture_eps",
                    "gantools.families.diffusion.gaussian_ddim_std",
                    "gantools.exercises.families.gaussian_loss_floor")


def _floor_schedules() -> tuple[tuple[float, np.ndarray], ...]:
    """(s, abar) cases: DDPM's schedule (the page's) and three it never uses, a short one among
    them (where counting abar_0 = 1 as a training time shows)."""
    from ..families.diffusion import linear_alpha_bar

    geometric = np.exp(-np.linspace(0.0, 6.0, 51))  # abar_t = e^(-0.12 t), T = 50
    return ((0.5, linear_alpha_bar(1000)), (1.0, linear_alpha_bar(1000)), (2.5, linear_alpha_bar(20, 0.05, 0.4)),
            (0.3, geometric))


def gaussian_loss_floor(s: float, abar) -> float:
    """The truth :func:`check_loss_floor` compares with: the smallest value of
    E (eps - eps_theta(x_t, t))^2, t uniform in 1..T, for data N(0, s^2) and the schedule
    ``abar`` = (abar_0 = 1, abar_1, ..., abar_T): the mean over t of
    Var(eps | x_t) = abar_t s^2 / (abar_t s^2 + 1 - abar_t)."""
    a = np.asarray(abar, dtype=float)[1:]
    return float(np.mean(a * s**2 / (a * s**2 + 1 - a)))


def check_loss_floor(loss_floor, quiet: bool = False) -> Result:
    """Exercise 14.4: ``loss_floor(s, abar)``, the loss of the best noise predictor (DDPM's
    simple loss, t uniform in 1..T) for 1D data N(0, s^2) and a schedule abar_0 = 1, ..., abar_T:
    mean_t abar_t s^2 / (abar_t s^2 + 1 - abar_t). Checked at four (s, schedule) pairs, three of
    which the page never uses, to a relative 1e-6. May not call the book's ``mixture_eps`` or
    ``gaussian_ddim_std`` (one step of the latter, times sqrt(abar), is the per-t floor)."""
    first = None
    for s, abar in _floor_schedules():
        T = len(abar) - 1
        case = f"s = {s}, T = {T}"
        value, err = _run(loss_floor, "loss_floor", s, abar.copy(), forbid=FLOOR_REFERENCES)
        if err:
            return report(False, "", f"At {case}: {err}", quiet)
        got, expected = to_float(value), gaussian_loss_floor(s, abar)
        tol = 1e-6 * expected
        if _close(got, expected, tol):
            first = expected if first is None else first
            continue
        if got is None:
            return report(False, "", f"At {case}: return one number (the loss averaged over t); got {value!r}.",
                          quiet)
        a = abar[1:]
        v = a * s**2 + 1 - a  # Var(x_t)
        mean_a = float(a.mean())
        why = _first_wrong(got, (
            (0.0, "even the best network has a positive loss: eps is not a function of x_t (many pairs (x_0, eps) "
                  "give the same x_t), so what is left is E[Var(eps | x_t)]"),
            (float(np.mean((1 - a) / v)), "that is E[eps*^2], the part of the noise the best network *can* predict; "
                                          "the loss is what is left over, E[eps^2] minus that"),
            (float(np.mean(s**2 * (1 - a) / v)), "that is E[Var(x_0 | x_t)], the floor of a network that predicts x_0;"
                                                 " the noise is eps = (x_t - sqrt(abar) x_0) / sqrt(1 - abar)"),
            (float(np.mean(a / v)), "a factor s^2 is missing: Cov(eps, x_t) = sqrt(1 - abar) and Var(x_t) = abar s^2 "
                                    "+ 1 - abar, so Var(eps | x_t) = 1 - (1 - abar) / (abar s^2 + 1 - abar)"),
            (mean_a, "that is the floor for unit-variance data (s = 1), the mean of abar_t; the data's variance s^2 "
                     "changes how much x_t tells about the noise"),
            (float(np.mean(np.sqrt(a * s**2 / v))), "the loss is a squared error: average the conditional variance "
                                                    "Var(eps | x_t), not its square root (a standard deviation)"),
            (float(np.mean(np.append(1.0, a) * s**2 / np.append(s**2, v))),
             "t is uniform in 1..T: abar_0 = 1 is the clean data, not a training time (leave abar[0] out of the "
             "average)"),
            (float(np.sum(a * s**2 / v)), "the loss averages over t (uniform in 1..T); you summed over t"),
            (mean_a * s**2 / (mean_a * s**2 + 1 - mean_a), "average the per-t floor over t; putting the mean of "
                                                           "abar into the formula is not the same (it is not linear "
                                                           "in abar)"),
        ) + (() if first is None else ((first, "your function returns the same number at different s and "
                                                   "schedules: the floor depends on both"),)), tol)
        if why:
            return report(False, "", f"At {case}: {why}.", quiet)
        return report(False, "", f"At {case} you returned {value!r}, expected {expected:.8g}. Split the loss of a "
                                 "network f as E Var(eps | x_t) + E (E[eps | x_t] - f(x_t))^2; for Gaussian data "
                                 "(eps, x_t) are jointly Gaussian, and Var(eps | x_t) follows from their covariance. "
                                 "Then average over t = 1..T.", quiet)
    return report(True, "The best network still pays E[Var(eps | x_t)] = mean over t of abar_t s^2 / (abar_t s^2 + 1 - "
                  "abar_t): the noise is not a function of the noisy point. For s = 1 that is the mean of abar_t. Run "
                  "the next cell to measure it, and the floors of the ring and the grid.", "", quiet)
