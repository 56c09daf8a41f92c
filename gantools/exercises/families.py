"""Checks for chapter 14, GANs among generative models.

- :func:`check_elbo_gap`: a student's ``elbo_gap(x, q, weights, means, stds)``, log p(x) - ELBO
  of a categorical q for a 1D Gaussian mixture seen as a latent-variable model.
- :func:`check_ddim_step_v`: a student's ``ddim_step_v(x, v, a, a_prev)``, one deterministic
  DDIM update from a network that predicts v = sqrt(a) eps - sqrt(1 - a) x0 instead of eps.
- :func:`check_one_step_std`: a student's ``one_step_std(s, a)``, the std of one-NFE DDIM's
  output for data N(0, s^2) with the exact noise predictor.
"""

from __future__ import annotations

import numpy as np
import torch

from .common import Result, report, to_float
from .common import run_answer as _run

__all__ = ["check_elbo_gap", "check_ddim_step_v", "check_one_step_std"]


def _close(got, expected, tol):
    return got is not None and abs(got - expected) <= tol


def _first_wrong(got, wrong, tol):
    for w, why in wrong:
        if _close(got, w, tol):
            return why
    return None


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
