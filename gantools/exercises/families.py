"""Checks for chapter 14, GANs among generative models.

- :func:`check_elbo_gap`: a student's ``elbo_gap(x, q, weights, means, stds)``, log p(x) - ELBO
  of a categorical q for a 1D Gaussian mixture seen as a latent-variable model.
- :func:`check_ddim_step_v`: a student's ``ddim_step_v(x, v, a, a_prev)``, one deterministic
  DDIM update from a network that predicts v = sqrt(a) eps - sqrt(1 - a) x0 instead of eps.
- :func:`check_one_step_std`: a student's ``one_step_std(s, a)``, the std of one-NFE DDIM's
  output for data N(0, s^2) with the exact noise predictor.
- :func:`check_loss_floor`: a student's ``loss_floor(s, abar)``, the smallest value DDPM's
  noise-prediction loss can reach on data N(0, s^2) (the best network's loss).

Each check is a :class:`~gantools.exercises.protocol.Spec`: the grader draws fresh cases from the ranges
below for every submission and judges the plain outputs in its own process.
"""

from __future__ import annotations

import numpy as np

from .common import Result, close, first_wrong, one_number
from .protocol import Spec, check, with_spec

__all__ = ["check_elbo_gap", "check_ddim_step_v", "check_one_step_std", "check_loss_floor"]

# Pieces of the leak patterns: how a page would write sqrt(a), sqrt(1 - a) and s^2 (LaTeX, Unicode, code).
_A = r"(?:a|\\bar\\alpha(?:_(?:\\tau|[tT]|\{[^}]*\}))?|ᾱ(?:_[τtT])?|abar(?:_[tT])?)"
_SQRT_A = rf"(?:\\sqrt\{{{_A}\}}|sqrt\({_A}\)|√{_A}|{_A}\s*\*\*\s*0\.5|np\.sqrt\({_A}\))"
_ONE_MINUS = rf"1\s*[-−]\s*{_A}"
_SQRT_1MA = rf"(?:\\sqrt\{{{_ONE_MINUS}\}}|sqrt\({_ONE_MINUS}\)|√\({_ONE_MINUS}\)|\({_ONE_MINUS}\)\s*\*\*\s*0\.5|np\.sqrt\({_ONE_MINUS}\))"
_TIMES = r"\s*(?:\\,|\*|·)?\s*"
_S2 = r"(?:s\^2|s\^\{2\}|s²|s\s*\*\*\s*2)"


# -- 14.1 ----------------------------------------------------------------------------------------
ELBO_REFERENCES = ("gantools.families.theory.mixture_elbo",)
_MIXTURES = ((0.4, [0.5, 0.2, 0.3], [0.2, 0.3, 0.5], [-1.0, 0.5, 2.0], [0.5, 0.3, 0.8]),
             (1.7, [0.1, 0.9], [0.6, 0.4], [0.0, 2.0], [1.0, 0.4]),
             (-0.8, [0.25, 0.25, 0.5], [0.3, 0.3, 0.4], [-1.5, 0.0, 1.0], [0.4, 1.2, 0.6]))


def _gap_terms_reference(x, q, w, mu, sd):
    """The instructor's terms for exercise 14.1: q, the posterior, log p(x, z) and log p(x)."""
    q, w, mu, sd = np.asarray(q, dtype=float), np.asarray(w, dtype=float), np.asarray(mu, dtype=float), \
        np.asarray(sd, dtype=float)  # no nested code (a generator) that an answer's could copy by accident
    log_joint = np.log(w) - 0.5 * ((x - mu) / sd) ** 2 - np.log(sd) - 0.5 * np.log(2 * np.pi)
    m = log_joint.max()
    log_p = m + np.log(np.exp(log_joint - m).sum())
    post = np.exp(log_joint - log_p)
    return q, post, log_joint, log_p


def _elbo_cases(rng) -> list:
    """Mixtures of 2 to 4 components; q far from the posterior, close to it, and x in a tail."""
    if rng is None:
        return [[x, list(q), list(w), list(mu), list(sd)] for x, q, w, mu, sd in _MIXTURES]
    out = []
    for k, kind in ((2, "free"), (3, "free"), (4, "tail"), (3, "near")):
        w = rng.uniform(0.2, 1.0, k)
        mu, sd = np.sort(rng.uniform(-2.0, 2.0, k)), rng.uniform(0.3, 1.5, k)
        x = mu[-1] + rng.uniform(1.5, 3.0) * sd[-1] if kind == "tail" else rng.uniform(-2.5, 2.5)
        q = rng.uniform(0.1, 1.0, k)
        if kind == "near":  # the posterior, mixed with a little of a random q
            post = _gap_terms_reference(x, q, w / w.sum(), mu, sd)[1]
            q = 0.9 * post + 0.1 * q / q.sum()
        out.append([float(x), [float(v) for v in q / q.sum()], [float(v) for v in w / w.sum()],
                    [float(v) for v in mu], [float(v) for v in sd]])
    return out


def _judge_elbo(cases, values):
    for (x, q, w, mu, sd), value in zip(cases, values, strict=True):
        got = one_number(value)
        if got is None:
            return False, f"At x = {x:.6g}: return one number (the gap, in nats), got {str(value)[:80]}."
        qq, post, log_joint, log_p = _gap_terms_reference(x, q, w, mu, sd)
        expected = float((qq * np.log(qq / post)).sum())
        tol = 1e-6 * max(1.0, abs(expected))
        if close(got, expected, tol):
            continue
        elbo = float((qq * (log_joint - np.log(qq))).sum())
        why = first_wrong(got, (
            (float((post * np.log(post / qq)).sum()), "that is KL(posterior || q); the gap is KL(q || posterior), the "
                                                       "expectation is under q"),
            (-expected, "the gap log p - ELBO is >= 0; you computed ELBO - log p"),
            (float(log_p - (qq * log_joint).sum()), "the ELBO has an entropy term, -E_q[log q]: log p - E_q[log p(x, z)] "
                                                    "alone misses it"),
            (elbo, "that is the ELBO itself; the exercise asks for log p(x) minus it"),
            (float(log_p), "that is log p(x); subtract the ELBO")), lambda a, b, tol=tol: close(a, b, tol), expected)
        if why:
            return False, f"At x = {x:.6g}: {why}."
        return False, (f"At x = {x:.6g} you returned {got:.6g}, which is not the gap. Compute log p(x) with a "
                       "log-sum-exp over components and the ELBO as E_q[log p(x, z) - log q(z)].")
    return True, ("log p(x) - ELBO = Σ_z q_z log(q_z / p(z | x)) = KL(q || p(z | x)) >= 0, zero exactly when q is the "
                  "posterior: maximising the ELBO over q is posterior inference, and over the model it is maximum "
                  "likelihood minus that gap.")


ELBO_GAP = Spec(
    answer="elbo_gap", judge=_judge_elbo, cases=_elbo_cases, forbid=ELBO_REFERENCES,
    describe=lambda c: f"At x = {c[0]:.6g}",
    leaks=(r"(?:\\sum_\{?z\}?|Σ_z|sum_z)\s*q_z\s*\\?log\s*(?:\\big|\\left)?\(\s*q_z\s*/\s*p\(z\s*(?:\\mid|\|)\s*x\)",))


@with_spec(ELBO_GAP)
def check_elbo_gap(elbo_gap, quiet: bool = False) -> Result:
    """Exercise 14.1: ``elbo_gap(x, q, weights, means, stds)`` returns log p(x) - ELBO(q) for
    z ~ Categorical(w), x | z ~ N(mu_z, sd_z^2), checked on mixtures of two to four components
    (q far from and close to the posterior, x in a tail) against the instructor's terms, to 1e-6;
    may not call the book's ``mixture_elbo``."""
    return check(ELBO_GAP, elbo_gap, quiet)


# -- 14.2 ----------------------------------------------------------------------------------------
DDIM_REFERENCES = ("gantools.families.diffusion.ddim_sample",)
_DDIM_CASES = ((0.3, 0.6, 1), (0.05, 0.2, 2), (0.9, 0.99, 3), (0.5, 1.0, 4))


def _ddim_cases(rng) -> list:
    """(a, a_prev, seed[, rows, cols]): very noisy, middle and nearly clean times, and a last step (a_prev = 1)."""
    if rng is None:
        return [list(c) for c in _DDIM_CASES]
    out = []
    for lo, hi, last in ((0.01, 0.1, False), (0.2, 0.6, False), (0.8, 0.98, False), (0.3, 0.99, True)):
        a = float(rng.uniform(lo, hi))
        a_prev = 1.0 if last else float(a + (1 - a) * rng.uniform(0.05, 0.9))
        out.append([a, a_prev, int(rng.integers(0, 2**31 - 1)), int(rng.integers(2, 9)), int(rng.integers(1, 4))])
    return out


def _ddim_inputs(case) -> tuple:
    """The (x, v, a, a_prev) of a case: float64 tensors drawn from its seed (the caller's RNG untouched)."""
    import torch

    a, a_prev, seed = case[:3]
    rows, cols = case[3:5] if len(case) > 3 else (5, 2)
    g = torch.Generator().manual_seed(int(seed))
    x = torch.randn(rows, cols, generator=g, dtype=torch.float64)
    v = torch.randn(rows, cols, generator=g, dtype=torch.float64)
    return x, v, a, a_prev


def _ddim_step_v_reference(x: np.ndarray, v: np.ndarray, a: float, a_prev: float) -> np.ndarray:
    """The instructor's step for exercise 14.2."""
    x0 = np.sqrt(a) * x - np.sqrt(1 - a) * v
    eps = np.sqrt(1 - a) * x + np.sqrt(a) * v
    return np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * eps


def _judge_ddim(cases, values):
    for case, value in zip(cases, values, strict=True):
        a, a_prev = case[:2]
        where = f"At a = {a:.6g}, a_prev = {a_prev:.6g}"
        x, v = (t.numpy() for t in _ddim_inputs(case)[:2])
        try:
            got = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return False, f"{where}: ddim_step_v returned {str(value)[:80]}; return a tensor shaped like x."
        expected = _ddim_step_v_reference(x, v, a, a_prev)

        def same(g, w):
            return g.shape == w.shape and bool(np.allclose(g, w, rtol=0, atol=1e-8))

        if same(got, expected):
            continue
        x0 = np.sqrt(a) * x - np.sqrt(1 - a) * v
        eps = np.sqrt(1 - a) * x + np.sqrt(a) * v
        as_eps = np.sqrt(a_prev) * (x - np.sqrt(1 - a) * v) / np.sqrt(a) + np.sqrt(1 - a_prev) * v
        why = first_wrong(got, (
            (as_eps, "that is the chapter's step with v used as the noise; v is neither eps nor x0: solve "
                     "x = sqrt(a) x0 + sqrt(1 - a) eps and v = sqrt(a) eps - sqrt(1 - a) x0 for both"),
            (x0, "that is x0_hat, the predicted clean point: DDIM moves to the *previous* time, "
                 "sqrt(a_prev) x0_hat + sqrt(1 - a_prev) eps_hat"),
            (np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * v, "re-add the predicted *noise* eps_hat, recovered from x "
                                                             "and v like x0_hat, not v"),
            (np.sqrt(a_prev) * (np.sqrt(a) * x + np.sqrt(1 - a) * v) + np.sqrt(1 - a_prev) * eps,
             "check the sign of v's term in x0_hat: x0 = sqrt(a) x - ... follows from the two definitions")),
            same, expected)
        if why:
            return False, f"{where}: {why}."
        error = f"{float(np.abs(got - expected).max()):.3g}" if got.shape == expected.shape else f"shape {got.shape}"
        return False, f"{where} your step differs from DDIM's (largest error {error})."
    return True, ("With v-prediction, x0_hat = sqrt(a) x - sqrt(1 - a) v and eps_hat = sqrt(1 - a) x + sqrt(a) v (a "
                  "rotation of (x0, eps) by the angle whose cosine is sqrt(a)); the DDIM step is then the same as with "
                  "eps-prediction. With a_prev = 1 it returns x0_hat.")


DDIM_STEP_V = Spec(
    answer="ddim_step_v", judge=_judge_ddim, cases=_ddim_cases, build=_ddim_inputs, forbid=DDIM_REFERENCES,
    describe=lambda c: f"At a = {c[0]:.6g}, a_prev = {c[1]:.6g}",
    leaks=(rf"{_SQRT_A}{_TIMES}x(?!_0)(?:_\\tau|_t)?\s*[-−]\s*{_SQRT_1MA}{_TIMES}v\b",  # x0_hat
           rf"{_SQRT_1MA}{_TIMES}x(?!_0)(?:_\\tau|_t)?\s*\+\s*{_SQRT_A}{_TIMES}v\b"))  # eps_hat


@with_spec(DDIM_STEP_V)
def check_ddim_step_v(ddim_step_v, quiet: bool = False) -> Result:
    """Exercise 14.2: ``ddim_step_v(x, v, a, a_prev)`` returns one deterministic DDIM step when the
    network predicts v = sqrt(a) eps - sqrt(1 - a) x0 (Salimans and Ho's v-parametrisation), at
    very noisy, middle and nearly clean times and at the last step (a_prev = 1), on float64
    tensors, to 1e-8. The chapter prints the step in terms of eps only. May not call the book's
    ``ddim_sample``."""
    return check(DDIM_STEP_V, ddim_step_v, quiet)


# -- 14.3 ----------------------------------------------------------------------------------------
STD_REFERENCES = ("gantools.families.diffusion.gaussian_ddim_std", "gantools.families.diffusion.ddim_sample")
_STD_CASES = ((1.0, 4e-5), (0.5, 0.01), (2.0, 0.3), (0.1, 0.9))


def _std_cases(rng) -> list:
    """(s, a): abar_T from DDPM's (tiny) to nearly clean, data narrower and wider than the noise."""
    if rng is None:
        return [list(c) for c in _STD_CASES]
    a = (10 ** rng.uniform(-5, -3), 10 ** rng.uniform(-2.5, -1), rng.uniform(0.2, 0.6), rng.uniform(0.7, 0.99))
    return [[float(10 ** rng.uniform(-1.3, 0.5)), float(ai)] for ai in a]


def _one_step_std_reference(s: float, a: float) -> float:
    """The instructor's closed form for exercise 14.3."""
    return float(np.sqrt(a) * s**2 / (a * s**2 + 1 - a))


def _judge_std(cases, values):
    for (s, a), value in zip(cases, values, strict=True):
        got, expected = one_number(value), _one_step_std_reference(s, a)
        if got is None:
            return False, f"At s = {s:.6g}, a = {a:.6g}: return one number, got {str(value)[:80]}."
        tol = 1e-9 + 1e-7 * expected
        if close(got, expected, tol):
            continue
        why = first_wrong(got, (
            (s, "one step of the exact predictor returns E[x_0 | x_T], a shrunken point, not a sample of the data"),
            (a * s**2 / (a * s**2 + 1 - a), "the std of E[x_0 | x_T] is its coefficient times std(x_T) = 1, and that "
                                              "coefficient is Cov(x_0, x_T) / Var(x_T): x_T holds x_0 times sqrt(a), "
                                              "not a"),
            (s / np.sqrt(a), "the exact predictor E[eps | x_T] is x_T times Cov(eps, x_T) / Var(x_T), not a "
                             "re-scaling of x_T by the schedule")), lambda u, w, tol=tol: close(u, w, tol), expected)
        if why:
            return False, f"At s = {s:.6g}, a = {a:.6g}: {why}."
        return False, (f"At s = {s:.6g}, a = {a:.6g} you returned {got:.6g}, which is not the output's std. x_T = "
                       "sqrt(a) x_0 + sqrt(1 - a) eps is jointly Gaussian with x_0; write E[eps | x_T], then x0_hat.")
    return True, ("std = √a s² / (a s² + 1 − a): with one evaluation DDIM returns E[x_0 | x_T], and for T = 1,000 its std "
                  "is under 1% of the data's. Every sample sits near the mean; more evaluations are what turn the "
                  "average into a sample.")


ONE_STEP_STD = Spec(
    answer="one_step_std", judge=_judge_std, cases=_std_cases, forbid=STD_REFERENCES,
    describe=lambda c: f"At s = {c[0]:.6g}, a = {c[1]:.6g}",
    leaks=(rf"{_SQRT_A}{_TIMES}{_S2}(?:{_TIMES}x_T)?\s*(?:/\s*\(|\}}\s*\{{)\s*{_A}{_TIMES}{_S2}\s*\+\s*{_ONE_MINUS}",))


@with_spec(ONE_STEP_STD)
def check_one_step_std(one_step_std, quiet: bool = False) -> Result:
    """Exercise 14.3: ``one_step_std(s, a)`` returns the std of DDIM's output with one network
    evaluation, for data N(0, s^2) and the exact noise predictor, at abar_T = a, from DDPM's tiny
    abar_T to nearly clean, to a relative 1e-7; may not call the book's ``gaussian_ddim_std`` or
    ``ddim_sample``."""
    return check(ONE_STEP_STD, one_step_std, quiet)


# -- 14.4 ----------------------------------------------------------------------------------------
FLOOR_REFERENCES = ("gantools.families.diffusion.mixture_eps", "gantools.families.mixture_eps",
                    "gantools.families.diffusion.gaussian_ddim_std",
                    "gantools.exercises.families.gaussian_loss_floor")


def _floor_cases(rng) -> list:
    """(s, abar): DDPM's schedule (the page's) and others it never uses, a short one among them (where
    counting abar_0 = 1 as a training time shows), a geometric one; s below, at and above 1."""
    from ..families.diffusion import linear_alpha_bar

    if rng is None:
        geometric = np.exp(-np.linspace(0.0, 6.0, 51))  # abar_t = e^(-0.12 t), T = 50
        cases = ((0.5, linear_alpha_bar(1000)), (1.0, linear_alpha_bar(1000)), (2.5, linear_alpha_bar(20, 0.05, 0.4)),
                 (0.3, geometric))
    else:
        T = int(rng.integers(5, 31))
        cases = ((rng.uniform(0.2, 0.7), linear_alpha_bar(int(rng.integers(200, 1001)), 10 ** rng.uniform(-4.5, -3.5),
                                                          rng.uniform(0.01, 0.03))),
                 (1.0, linear_alpha_bar(int(rng.integers(100, 1001)), 10 ** rng.uniform(-4.5, -3.5),
                                        rng.uniform(0.01, 0.03))),
                 (rng.uniform(1.5, 3.0), linear_alpha_bar(T, rng.uniform(0.01, 0.1), rng.uniform(0.2, 0.5))),
                 (rng.uniform(0.2, 0.5), np.exp(-np.linspace(0.0, rng.uniform(3.0, 8.0), int(rng.integers(20, 101))))))
    return [[float(s), [float(a) for a in abar]] for s, abar in cases]


def gaussian_loss_floor_reference(s: float, abar) -> float:
    """The instructor's loss floor for exercise 14.4 (what the chapter's run cell measures), for data
    N(0, s^2) and the schedule ``abar`` = (abar_0 = 1, abar_1, ..., abar_T)."""
    a = np.asarray(abar, dtype=float)[1:]
    return float(np.mean(a * s**2 / (a * s**2 + 1 - a)))


gaussian_loss_floor = gaussian_loss_floor_reference  # the name the chapter's hidden solution cell imports


def _judge_floor(cases, values):
    first = None
    for (s, abar), value in zip(cases, values, strict=True):
        abar = np.asarray(abar, dtype=float)
        case = f"s = {s:.6g}, T = {len(abar) - 1}"
        got, expected = one_number(value), gaussian_loss_floor_reference(s, abar)
        if got is None:
            return False, f"At {case}: return one number (the loss averaged over t), got {str(value)[:80]}."
        tol = 1e-6 * expected
        if close(got, expected, tol):
            first = expected if first is None else first
            continue
        a = abar[1:]
        v = a * s**2 + 1 - a  # Var(x_t)
        mean_a = float(a.mean())
        why = first_wrong(got, (
            (0.0, "even the best network has a positive loss: eps is not a function of x_t (many pairs (x_0, eps) "
                  "give the same x_t), so what is left is E[Var(eps | x_t)]"),
            (float(np.mean((1 - a) / v)), "that is E[eps*^2], the part of the noise the best network *can* predict; "
                                          "the loss is what is left over, E[eps^2] minus that"),
            (float(np.mean(s**2 * (1 - a) / v)), "that is E[Var(x_0 | x_t)], the floor of a network that predicts x_0;"
                                                 " the noise is eps = (x_t - sqrt(abar) x_0) / sqrt(1 - abar)"),
            (float(np.mean(a / v)), "a factor s^2 is missing: x_0 has variance s^2, so Cov(x_0, x_t) and "
                                    "Var(x_t) = abar s^2 + 1 - abar carry it; redo Var(eps | x_t) with them"),
            (mean_a, "that is the floor for unit-variance data (s = 1); the data's variance s^2 changes how much "
                     "x_t tells about the noise"),
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
                                               "schedules: the floor depends on both"),)),
            lambda u, w, tol=tol: close(u, w, tol), expected)
        if why:
            return False, f"At {case}: {why}."
        return False, (f"At {case} you returned {got:.8g}, which is not the floor. Split the loss of a network f as "
                       "E Var(eps | x_t) + E (E[eps | x_t] - f(x_t))^2; for Gaussian data (eps, x_t) are jointly "
                       "Gaussian, and Var(eps | x_t) follows from their covariance. Then average over t = 1..T.")
    return True, ("The best network still pays E[Var(eps | x_t)] = mean over t of abar_t s^2 / (abar_t s^2 + 1 - "
                  "abar_t): the noise is not a function of the noisy point. For s = 1 that is the mean of abar_t. Run "
                  "the next cell to measure it, and the floors of the ring and the grid.")


LOSS_FLOOR = Spec(
    answer="loss_floor", judge=_judge_floor, cases=_floor_cases, forbid=FLOOR_REFERENCES,
    build=lambda c: (c[0], np.asarray(c[1], dtype=float)),  # a NumPy array, as linear_alpha_bar returns it
    describe=lambda c: f"At s = {c[0]:.6g}, T = {len(c[1]) - 1}",
    leaks=(rf"(?<![\w√]){_A}{_TIMES}{_S2}\s*(?:/\s*\(|\}}\}}?\s*\{{\{{?)\s*{_A}{_TIMES}{_S2}\s*\+\s*{_ONE_MINUS}",))


@with_spec(LOSS_FLOOR)
def check_loss_floor(loss_floor, quiet: bool = False) -> Result:
    """Exercise 14.4: ``loss_floor(s, abar)``, the loss of the best noise predictor (DDPM's simple
    loss, t uniform in 1..T) for 1D data N(0, s^2) and a schedule abar_0 = 1, ..., abar_T (a NumPy
    array). Checked at four (s, schedule) pairs (DDPM's, a short one, a geometric one; s below, at
    and above 1), to a relative 1e-6. May not call the book's ``mixture_eps`` or
    ``gaussian_ddim_std`` (one step of the latter, times sqrt(abar), is the per-t floor)."""
    return check(LOSS_FLOOR, loss_floor, quiet)
