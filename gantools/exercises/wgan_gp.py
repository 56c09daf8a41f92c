"""Checks for chapter 9, WGAN-GP on a GPU.

- :func:`check_linear_penalty`: the gradient penalty of a linear critic f(x) = w·x + b.
- :func:`check_interpolate_penalty`: a student's ``gradient_penalty(critic, real, fake, eps, lam=10.0)``.
- :func:`check_real_images_per_step`: the real images the critic sees per generator step.
- :func:`check_bn_penalty`: the penalty that one backward pass reports for a batch-norm critic
  with a skip connection.

Each check is a :class:`~gantools.exercises.protocol.Spec`: the grader draws fresh cases from the ranges
below for every submission and judges the plain outputs in its own process.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .. import losses
from .common import Result, interpolate_gradients, judge_number
from .protocol import Spec, check, with_spec

__all__ = ["LINEAR_W", "BN_SCALE", "BN_SKIP", "BN_BATCH", "check_linear_penalty", "check_interpolate_penalty",
           "check_real_images_per_step", "check_bn_penalty"]

LAM = 10.0  # lambda, the penalty weight of Gulrajani et al.
PENALTY_REFERENCES = ("gantools.losses.gradient_penalty",)  # the check's reference: an answer may not call it
LINEAR_W = (1.5, 2.0)  # exercise 9.1: the weights of the linear critic, ||w|| = 2.5

# -- 9.1 -----------------------------------------------------------------------------------
_W = math.hypot(*LINEAR_W)
LINEAR_PENALTY = Spec(
    answer="linear_penalty", call=False,
    judge=judge_number(
        LAM * (_W - 1) ** 2, 1e-6,
        ok="22.5: the gradient of a linear critic is w at every interpolate, so the expectation is a constant, "
           "lambda (||w|| - 1)^2 = 10 x 1.5^2 = 22.5.",
        hint="The gradient of f(x) = w·x + b is w, whatever x: evaluate lambda E[(||grad f|| - 1)^2] with it.",
        known_wrong=(
            (LAM * (_W - 1), "The penalty squares the deviation of the norm from 1; you did not square it."),
            ((_W - 1) ** 2, "That is E[(||grad f|| - 1)^2] (the gp column of metrics.jsonl); multiply by lambda = 10."),
            (LAM * (_W * _W - 1) ** 2, "Use the norm ||w||, not the squared norm ||w||^2 = 6.25."),
            (LAM * _W * _W, "The penalty pulls the norm towards 1, not towards 0."),
            (LAM * sum((abs(c) - 1) ** 2 for c in LINEAR_W), "Take the Euclidean norm of the whole gradient "
                                                              "first, then subtract 1; not coordinate by coordinate."),
            (0.0, "The penalty is zero only when ||w|| = 1; here ||w|| = 2.5."),
        )),
    leaks=(r"(?<![\d.])22\.50*(?![\d])", r"10\s*(?:\\times|×|x|\*)\s*1\.5\s*(?:\^\s*2|²|\*\*\s*2)"))


@with_spec(LINEAR_PENALTY)
def check_linear_penalty(answer, quiet: bool = False) -> Result:
    """Exercise 9.1: the gradient penalty lambda E(||grad f(x_hat)|| - 1)^2, lambda = 10, of the linear
    critic f(x) = w·x + b with w = LINEAR_W, whatever the data (a number, to 1e-6)."""
    return check(LINEAR_PENALTY, answer, quiet)


# -- 9.2 -----------------------------------------------------------------------------------
# A case: the seeds and sizes of a float64 critic, a real and a fake batch and eps. "net" is "mlp" (dim -> width
# -> 1, tanh) or "conv" (1x8x8 images, `channels` maps, group norm); `gain` scales the last layer so that the
# gradient norms are of order 1 and differ between samples. The book's conv critic was drawn after its mlp
# critic from the same seeds ("after").
_BOOK_MLP = {"net": "mlp", "seed": 11, "data": 12, "eps": 3, "n": 12, "dim": 2, "width": 32, "gain": 6.0,
             "shift": 2.0}
_BOOK_CONV = {"net": "conv", "seed": 11, "data": 12, "eps": 3, "n": 8, "channels": 4, "gain": 4.0,
              "after": [_BOOK_MLP]}


def _penalty_draw(case: dict, gen: torch.Generator) -> tuple:
    f64, n = torch.float64, case["n"]
    if case["net"] == "mlp":
        d = case["dim"]
        critic = nn.Sequential(nn.Linear(d, case["width"]), nn.Tanh(), nn.Linear(case["width"], 1)).double()
        real = torch.randn(n, d, generator=gen, dtype=f64) + case["shift"]
        fake = torch.randn(n, d, generator=gen, dtype=f64)
    else:
        c = case["channels"]
        critic = nn.Sequential(nn.Conv2d(1, c, 3, 2, 1), nn.LeakyReLU(0.2), nn.Flatten(), nn.GroupNorm(1, 16 * c),
                               nn.Linear(16 * c, 1)).double()
        real = torch.rand(n, 1, 8, 8, generator=gen, dtype=f64) * 2 - 1
        fake = torch.rand(n, 1, 8, 8, generator=gen, dtype=f64) * 2 - 1
    with torch.no_grad():
        critic[-1].weight.mul_(case["gain"])
    return critic, real, fake


def _penalty_objects(case: dict) -> tuple:
    """(critic, real, fake, eps) of one case, the same in every process; the caller's RNG is untouched."""
    with torch.random.fork_rng():
        torch.manual_seed(case["seed"])
        gen = torch.Generator().manual_seed(case["data"])
        for earlier in case.get("after", ()):
            _penalty_draw(earlier, gen)
        critic, real, fake = _penalty_draw(case, gen)
    eps = torch.rand(case["n"], generator=torch.Generator().manual_seed(case["eps"]), dtype=torch.float64)
    return critic, real, fake, eps


def _penalty_cases(rng) -> list:
    """An MLP critic and a conv critic (the book's two), or fresh ones: three critics of drawn sizes."""
    if rng is None:
        return [dict(_BOOK_MLP), dict(_BOOK_CONV)]
    seeds = [int(s) for s in rng.integers(0, 2**31 - 1, size=9)]
    return [
        {"net": "mlp", "seed": seeds[0], "data": seeds[1], "eps": seeds[2], "n": int(rng.integers(6, 17)),
         "dim": int(rng.integers(2, 5)), "width": int(rng.integers(16, 49)), "gain": float(rng.uniform(4.0, 8.0)),
         "shift": float(rng.uniform(0.5, 3.0))},
        {"net": "conv", "seed": seeds[3], "data": seeds[4], "eps": seeds[5], "n": int(rng.integers(4, 11)),
         "channels": int(rng.integers(2, 7)), "gain": float(rng.uniform(3.0, 6.0))},
        {"net": "mlp", "seed": seeds[6], "data": seeds[7], "eps": seeds[8], "n": int(rng.integers(3, 9)),
         "dim": int(rng.integers(5, 9)), "width": int(rng.integers(8, 25)), "gain": float(rng.uniform(4.0, 8.0)),
         "shift": float(rng.uniform(-2.0, 2.0))},
    ]


def _weights(critic) -> list:
    return [p for p in critic.parameters() if p.requires_grad]


def _penalty_finish(output, args) -> dict:
    """What the student's kernel hands back: the penalty's value and its gradient with respect to the
    critic's weights (None where it has no graph), or what the output is when it is not a scalar tensor."""
    out = {"type": type(output).__name__, "shape": None, "value": None, "graph": False, "grad": None,
           "grad_error": None}
    if not isinstance(output, torch.Tensor):
        return out
    out["shape"] = list(output.shape)
    if output.numel() != 1:
        return out
    out["value"] = float(output.detach().reshape(()))
    out["graph"] = output.grad_fn is not None
    if out["graph"]:
        params = _weights(args[0])
        try:
            grads = torch.autograd.grad(output.reshape(()), params, allow_unused=True)
            out["grad"] = [torch.zeros_like(p) if g is None else g.detach() for p, g in zip(params, grads, strict=True)]
        except RuntimeError as e:
            out["grad_error"] = str(e)[:200]
    return out


def _penalty_reference(critic, real, fake, eps_seed: int) -> tuple[float, list[np.ndarray]]:
    """The value and weight gradients of gantools' penalty, for exercise 9.2."""
    expected = losses.gradient_penalty(critic, real, fake, generator=eps_seed, lam=LAM)
    params = _weights(critic)
    grads = torch.autograd.grad(expected, params, allow_unused=True)
    return float(expected.detach()), [np.zeros(tuple(p.shape)) if g is None else g.numpy() for p, g in
                                      zip(params, grads, strict=True)]


def _penalty_variants(critic, real, fake, eps) -> dict[str, torch.Tensor]:
    """Plausible wrong penalties, with the hint for each (values only, no graph)."""
    g = interpolate_gradients(critic, real, fake, eps)
    norms = g.norm(dim=1)
    return {
        "take the norm of each sample's gradient (grad.reshape(N, -1).norm(dim=1)), not one norm over the whole "
        "batch": LAM * (g.norm() - 1) ** 2,
        "multiply by lambda = 10": ((norms - 1) ** 2).mean(),
        "square the deviation: (||grad|| - 1)^2": LAM * (norms - 1).abs().mean(),
        "use the norm ||grad||, not the squared norm ||grad||^2": LAM * ((norms ** 2 - 1) ** 2).mean(),
        "average over the batch (mean), do not sum": LAM * ((norms - 1) ** 2).sum(),
        "interpolate as x_hat = eps * real + (1 - eps) * fake (eps weights the real sample)":
            LAM * ((interpolate_gradients(critic, real, fake, 1 - eps).norm(dim=1) - 1) ** 2).mean(),
        "evaluate the gradient at the interpolates x_hat, not at the real samples":
            LAM * ((interpolate_gradients(critic, real, fake, torch.ones_like(eps)).norm(dim=1) - 1) ** 2).mean(),
        "evaluate the gradient at the interpolates x_hat, not at the fake samples":
            LAM * ((interpolate_gradients(critic, real, fake, torch.zeros_like(eps)).norm(dim=1) - 1) ** 2).mean(),
        "the penalty pulls the norm towards 1: (||grad|| - 1)^2, not ||grad||^2": LAM * (norms ** 2).mean(),
    }


def _penalty_describe(case: dict) -> str:
    if case["net"] == "mlp":
        return f"On a {case['dim']}-{case['width']}-1 tanh critic on {case['n']} points"
    return f"On a small conv critic ({case['channels']} maps) on {case['n']} images 1x8x8"


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-8 * max(1.0, abs(b))


def _same_grads(got, expected: list[np.ndarray]) -> bool:
    if type(got) is not list or len(got) != len(expected):
        return False
    for g, e in zip(got, expected, strict=True):
        try:
            g = np.asarray(g, dtype=float)
        except (TypeError, ValueError):
            return False
        if g.shape != e.shape or not np.all(np.abs(g - e) <= 1e-7 * max(1.0, float(np.abs(e).max(initial=0.0)))):
            return False
    return True


_KEYS = {"type", "shape", "value", "graph", "grad", "grad_error"}


def _judge_penalty(cases, values):
    for case, got in zip(cases, values, strict=True):
        where = _penalty_describe(case)
        if type(got) is not dict or set(got) != _KEYS:
            return False, f"{where}: the answer's report is not what the check's first half writes."
        v = got["value"]
        if type(v) not in (int, float) or not math.isfinite(v):
            shape = tuple(got["shape"]) if type(got["shape"]) is list else got["type"]
            return False, f"{where}: return a scalar tensor (the mean over the batch), got {shape}."
        critic, real, fake, eps = _penalty_objects(case)
        expected, grads = _penalty_reference(critic, real, fake, case["eps"])
        if not _close(v, expected):
            for why, w in _penalty_variants(critic, real, fake, eps).items():
                w = float(w)
                if _close(v, w) and not _close(w, expected):
                    return False, f"{where} you returned {v:.6g}: {why}."
            return False, (f"{where} you returned {v:.6g}, which is not the penalty. Interpolate with eps (one weight "
                           "per sample), take the gradient of critic(x_hat).sum() with respect to x_hat, and average "
                           "lam * (||grad_i|| - 1)^2 over the samples.")
        if not got["graph"]:
            return False, (f"{where} the value is right, but the critic cannot be trained on it: it carries no graph. "
                           "Pass create_graph=True to torch.autograd.grad, so that the penalty can be differentiated "
                           "with respect to the critic's weights.")
        if got["grad_error"] is not None:
            return False, (f"{where} the value is right, but it cannot be differentiated with respect to the critic's "
                           f"weights ({str(got['grad_error'])[:200]}).")
        if not _same_grads(got["grad"], grads):
            return False, (f"{where} the value is right, but its gradient with respect to the critic's weights is not: "
                           "pass create_graph=True to torch.autograd.grad, and detach only real and fake, not x_hat "
                           "or the gradient.")
    return True, (f"Your penalty matches gantools.losses.gradient_penalty, value and weight gradients, on all "
                  f"{len(cases)} critics.")


INTERPOLATE_PENALTY = Spec(answer="gradient_penalty", judge=_judge_penalty, cases=_penalty_cases,
                           build=_penalty_objects, finish=_penalty_finish, forbid=PENALTY_REFERENCES,
                           describe=_penalty_describe,
                           leaks=(r"eps\.reshape\(\s*-1,\s*\*\(\[1\]\s*\*\s*\(real\.dim\(\)\s*-\s*1\)\)",))


@with_spec(INTERPOLATE_PENALTY)
def check_interpolate_penalty(gradient_penalty, quiet: bool = False) -> Result:
    """Exercise 9.2: ``gradient_penalty(critic, real, fake, eps)`` returns the WGAN-GP penalty of the
    prompt at the interpolates weighted by ``eps`` (one weight per sample), lam = 10, as a scalar
    tensor differentiable with respect to the critic's weights. On float64 MLP and conv critics, its
    value and its gradient with respect to the weights are compared with those of
    :func:`gantools.losses.gradient_penalty` drawing the same eps, which the answer may not call."""
    return check(INTERPOLATE_PENALTY, gradient_penalty, quiet)


# -- 9.3 -----------------------------------------------------------------------------------
_BATCH, _N_CRITIC = 64, 5  # the recipe's batch size and critic steps per generator step
REAL_PER_STEP = Spec(
    answer="real_per_step", call=False,
    judge=judge_number(
        _BATCH * _N_CRITIC, 0.5,
        ok=f"64 x 5 = {_BATCH * _N_CRITIC} real images per generator step: each of the {_N_CRITIC} critic steps draws "
           f"a fresh real batch of {_BATCH}; the generator step uses none.",
        hint="Count the critic's updates per generator update, and the real images each one draws.",
        known_wrong=(
            (_BATCH, f"That is one critic step; WGAN-GP takes n_critic = {_N_CRITIC} critic steps per generator "
                     "step."),
            (2 * _BATCH * _N_CRITIC, "Count only the real images: the fakes (and the interpolates) are not drawn "
                                     "from the data."),
            (3 * _BATCH * _N_CRITIC, "Count only the real images: the fakes and the interpolates are not drawn "
                                     "from the data."),
            (_BATCH * (_N_CRITIC + 1), "The generator step scores fakes only; it draws no real images."),
            (_N_CRITIC, f"Each critic step draws a whole batch of {_BATCH} real images, not one."),
        )),
    leaks=(r"64\s*(?:\\times|×|x|\*)\s*5(?![\d.])",))


@with_spec(REAL_PER_STEP)
def check_real_images_per_step(answer, quiet: bool = False) -> Result:
    """Exercise 9.3: the number of real images the critic sees per generator step, with the recipe's
    batch size 64 and n_critic = 5 (an integer)."""
    return check(REAL_PER_STEP, answer, quiet)


# -- 9.4 -----------------------------------------------------------------------------------
BN_SCALE = 3.0  # exercise 9.4: f(x) = a BN(x) + s x + b with a = 3, s = 0.4, b = 0.5
BN_SKIP = 0.4  # exercise 9.4: the weight s of the skip connection
BN_BATCH = (0.0, 1.0, 2.0, 5.0)  # exercise 9.4: the real batch (the fakes may be anything)


def _bn_own_penalty() -> float:
    """lambda * mean_i (|d f_i / d x_i| - 1)^2 for f = a BN(x) + s x on BN_BATCH: the per-sample own gradient
    (a wrong answer to exercise 9.4)."""
    x = torch.tensor(BN_BATCH, dtype=torch.float64)
    n, mu, var = len(x), x.mean(), x.var(unbiased=False)
    z = (x - mu) / torch.sqrt(var + 1e-5)
    own = BN_SCALE / torch.sqrt(var + 1e-5) * (1 - 1 / n - z ** 2 / n) + BN_SKIP
    return float(LAM * ((own.abs() - 1) ** 2).mean())


def _bn_penalty_reference() -> float:
    """The instructor's closed form for exercise 9.4."""
    return LAM * (abs(BN_SKIP) - 1) ** 2


_SIGMA_BN = math.sqrt(float(np.var(BN_BATCH)) + 1e-5)
BN_PENALTY = Spec(
    answer="bn_penalty", call=False,
    judge=judge_number(
        _bn_penalty_reference(), 1e-3,
        ok=f"{_bn_penalty_reference():.1f} = lambda (|s| - 1)^2 = 10 x 0.6^2: the batch-normalised scores sum to 0 "
           "whatever the batch, so the gradient of the sum of the scores, which one backward pass computes, is the "
           "skip weight s at every interpolate. The penalty sees the skip connection only, for any a and any batch.",
        hint="The penalty takes the gradient of sum_j f(x_hat_j). What is sum_j BN(x)_j, whatever the batch? "
             "And what is left of the gradient of the sum?",
        known_wrong=(
            (LAM, "The batch-normalised part contributes nothing to the gradient of the sum, but the skip "
                  "connection s x is not batch-normalised: what does it contribute?"),
            (LAM * (BN_SCALE + BN_SKIP - 1) ** 2, "That treats BN as the identity (evaluation mode with mean 0, "
                                                  "variance 1); in training mode it normalises by the batch's own "
                                                  "mean and variance."),
            (LAM * (BN_SCALE / _SIGMA_BN + BN_SKIP - 1) ** 2, "That treats the batch mean and variance as constants; "
                                                              "in training mode they depend on every sample, and so "
                                                              "does the gradient."),
            (_bn_own_penalty(), "That is the per-sample own gradient d f_i / d x_i; one backward pass of "
                                "sum_j f_j computes sum_j d f_j / d x_i instead."),
            (LAM * (1 - BN_SKIP), "The penalty squares the deviation: lambda (|grad| - 1)^2."),
            ((1 - BN_SKIP) ** 2, "Multiply by lambda = 10."),
            (0.0, "The penalty is 0 only if the gradient of the sum has norm 1 at every interpolate: does it?"),
        )),
    leaks=(r"=\s*3\.60*(?![\d])", r"10\s*(?:\\times|×|x|\*)\s*0\.6\s*(?:\^\s*2|²|\*\*\s*2)"))


@with_spec(BN_PENALTY)
def check_bn_penalty(answer, quiet: bool = False) -> Result:
    """Exercise 9.4: the penalty that ``losses.gradient_penalty`` reports, lambda = 10, for the critic
    f(x) = a BN(x) + s x + b (a = BN_SCALE, s = BN_SKIP, BN in training mode) at the interpolates
    BN_BATCH (a number, to 1e-3)."""
    return check(BN_PENALTY, answer, quiet)
