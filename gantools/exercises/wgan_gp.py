"""Checks for chapter 9, WGAN-GP on a GPU.

- :func:`check_linear_penalty`: the gradient penalty of a linear critic f(x) = w·x + b.
- :func:`check_interpolate_penalty`: a student's ``gradient_penalty(critic, real, fake, eps, lam=10.0)``.
- :func:`check_real_images_per_step`: the real images the critic sees per generator step.
- :func:`check_bn_penalty`: the penalty that one backward pass reports for a batch-norm critic
  with a skip connection.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .. import losses
from .common import Result, call, check_number, interpolate_gradients, not_attempted, report, untrainable_penalty

__all__ = ["LINEAR_W", "BN_SCALE", "BN_SKIP", "BN_BATCH", "check_linear_penalty", "check_interpolate_penalty",
           "check_real_images_per_step", "check_bn_penalty"]

LAM = 10.0  # lambda, the penalty weight of Gulrajani et al.
PENALTY_REFERENCES = ("gantools.losses.gradient_penalty",)  # the check's reference: an answer may not call it
LINEAR_W = (1.5, 2.0)  # exercise 9.1: the weights of the linear critic, ||w|| = 2.5


def check_linear_penalty(answer, quiet: bool = False) -> Result:
    """Exercise 9.1: f(x) = w·x + b has grad f = w everywhere, so the penalty is
    lambda (||w|| - 1)^2 = 10 * 1.5^2 = 22.5 for w = (1.5, 2)."""
    w = math.hypot(*LINEAR_W)
    return check_number(
        answer, LAM * (w - 1) ** 2, 1e-6,
        ok="22.5: the gradient of a linear critic is w at every interpolate, so the expectation is a constant, "
           "lambda (||w|| - 1)^2 = 10 x 1.5^2.",
        hint="The gradient of f(x) = w·x + b is w, whatever x; the penalty is lambda E[(||grad f|| - 1)^2] "
             "with ||w|| = sqrt(1.5^2 + 2^2).",
        known_wrong=(
            (LAM * (w - 1), "The penalty squares the deviation: lambda (||w|| - 1)^2, not lambda (||w|| - 1)."),
            ((w - 1) ** 2, "That is E[(||grad f|| - 1)^2] (the gp column of metrics.jsonl); multiply by lambda = 10."),
            (LAM * (w * w - 1) ** 2, "Use the norm ||w|| = 2.5, not the squared norm ||w||^2 = 6.25."),
            (LAM * w * w, "The penalty pulls the norm towards 1, not towards 0: (||w|| - 1)^2, not ||w||^2."),
            (LAM * sum((abs(c) - 1) ** 2 for c in LINEAR_W), "Take the Euclidean norm of the whole gradient "
                                                              "first, then subtract 1; not coordinate by coordinate."),
            (0.0, "The penalty is zero only when ||w|| = 1; here ||w|| = 2.5."),
        ),
        quiet=quiet,
    )


def _penalty_cases() -> list[tuple[str, nn.Module, torch.Tensor, torch.Tensor]]:
    """Critics whose gradient norms are of order 1 and differ between samples (float64)."""
    with torch.random.fork_rng():
        torch.manual_seed(11)
        mlp = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 1)).double()
        conv = nn.Sequential(nn.Conv2d(1, 4, 3, 2, 1), nn.LeakyReLU(0.2), nn.Flatten(), nn.GroupNorm(1, 64),
                             nn.Linear(64, 1)).double()
        with torch.no_grad():
            mlp[2].weight.mul_(6.0)
            conv[4].weight.mul_(4.0)
        gen = torch.Generator().manual_seed(12)
        cases = [
            ("a 2-32-1 tanh critic on 12 points", mlp,
             torch.randn(12, 2, generator=gen, dtype=torch.float64) + 2,
             torch.randn(12, 2, generator=gen, dtype=torch.float64)),
            ("a small conv critic on 8 images 1x8x8", conv,
             torch.rand(8, 1, 8, 8, generator=gen, dtype=torch.float64) * 2 - 1,
             torch.rand(8, 1, 8, 8, generator=gen, dtype=torch.float64) * 2 - 1),
        ]
    return cases


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


def check_interpolate_penalty(gradient_penalty, quiet: bool = False) -> Result:
    """Exercise 9.2: ``gradient_penalty(critic, real, fake, eps)`` returns
    lam * mean_i (||grad f(x_hat_i)|| - 1)^2, x_hat_i = eps_i real_i + (1 - eps_i) fake_i, lam = 10,
    differentiable with respect to the critic's parameters. Compared with
    :func:`gantools.losses.gradient_penalty` drawing the same eps."""
    if gradient_penalty is None:
        not_attempted("gradient_penalty")
    for name, critic, real, fake in _penalty_cases():
        seed = 3
        eps = torch.rand(real.shape[0], generator=torch.Generator().manual_seed(seed), dtype=real.dtype)
        expected = losses.gradient_penalty(critic, real, fake, generator=seed, lam=LAM)
        value, err = call(gradient_penalty, critic, real.clone(), fake.clone(), eps.clone(), forbid=PENALTY_REFERENCES)
        if err:
            return report(False, "", f"On {name}: {err}", quiet)
        if not isinstance(value, torch.Tensor) or value.numel() != 1:
            got = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
            return report(False, "", f"On {name}: return a scalar tensor (the mean over the batch), got {got}.", quiet)
        v, ex = float(value.detach()), float(expected.detach())
        if abs(v - ex) > 1e-8 * max(1.0, abs(ex)):
            for why, w in _penalty_variants(critic, real, fake, eps).items():
                w = float(w)
                if abs(v - w) <= 1e-8 * max(1.0, abs(w)) and abs(w - ex) > 1e-8 * max(1.0, abs(ex)):
                    return report(False, "", f"On {name} you returned {v:.6g}, expected {ex:.6g}: {why}.", quiet)
            return report(False, "", f"On {name} you returned {v:.6g}, expected {ex:.6g}. Interpolate with eps "
                          "(one weight per sample), take the gradient of critic(x_hat).sum() with respect to x_hat, "
                          "and average lam * (||grad_i|| - 1)^2 over the samples.", quiet)
        problem = untrainable_penalty(value, expected, critic)
        if problem:
            return report(False, "", f"On {name} {problem}", quiet)
    return report(True, "Your penalty matches gantools.losses.gradient_penalty, value and weight gradients, on "
                  "both critics.", "", quiet)


def check_real_images_per_step(answer, batch_size: int = 64, n_critic: int = 5, quiet: bool = False) -> Result:
    """Exercise 9.3: real images through the critic per generator step: batch_size * n_critic."""
    b, k = batch_size, n_critic
    return check_number(
        answer, b * k, 0.5,
        ok=f"{b * k}: each of the {k} critic steps draws a fresh real batch of {b}; the generator step uses none.",
        hint="Count the critic's updates per generator update, and the real images each one draws.",
        known_wrong=(
            (b, f"That is one critic step; WGAN-GP takes n_critic = {k} critic steps per generator step."),
            (2 * b * k, "Count only the real images: the fakes (and the interpolates) are not drawn from the data."),
            (3 * b * k, "Count only the real images: the fakes and the interpolates are not drawn from the data."),
            (b * (k + 1), "The generator step scores fakes only; it draws no real images."),
            (k, f"Each critic step draws a whole batch of {b} real images, not one."),
        ),
        quiet=quiet,
    )


BN_SCALE = 3.0  # exercise 9.4: f(x) = a BN(x) + s x + b with a = 3, s = 0.4, b = 0.5
BN_SKIP = 0.4  # exercise 9.4: the weight s of the skip connection
BN_BATCH = (0.0, 1.0, 2.0, 5.0)  # exercise 9.4: the real batch (the fakes may be anything)


def _bn_own_penalty() -> float:
    """lambda * mean_i (|d f_i / d x_i| - 1)^2 for f = a BN(x) + s x on BN_BATCH: the per-sample own gradient."""
    x = torch.tensor(BN_BATCH, dtype=torch.float64)
    n, mu, var = len(x), x.mean(), x.var(unbiased=False)
    z = (x - mu) / torch.sqrt(var + 1e-5)
    own = BN_SCALE / torch.sqrt(var + 1e-5) * (1 - 1 / n - z ** 2 / n) + BN_SKIP
    return float(LAM * ((own.abs() - 1) ** 2).mean())


def check_bn_penalty(answer, quiet: bool = False) -> Result:
    """Exercise 9.4: for f(x) = a BN(x) + s x + b with BN in training mode, sum_j f_j =
    s sum_j x_j + n b: the batch-normalised part sums to 0 whatever the batch, so the gradient of
    the sum is s at every interpolate and one backward pass reports lambda (|s| - 1)^2 = 3.6."""
    x = torch.tensor(BN_BATCH, dtype=torch.float64)
    sigma = math.sqrt(float(x.var(unbiased=False)) + 1e-5)
    s = BN_SKIP
    return check_number(
        answer, LAM * (abs(s) - 1) ** 2, 1e-3,
        ok=f"{LAM * (abs(s) - 1) ** 2:.1f} = lambda (|s| - 1)^2: the batch-normalised scores sum to 0 whatever the "
           "batch, so the gradient of the sum of the scores, which one backward pass computes, is the skip weight s "
           "at every interpolate. The penalty sees the skip connection only, for any a and any batch.",
        hint="The penalty takes the gradient of sum_j f(x_hat_j). What is sum_j BN(x)_j, whatever the batch? "
             "And what is left of the gradient of the sum?",
        known_wrong=(
            (LAM, "The batch-normalised part contributes nothing to the gradient of the sum, but the skip "
                  "connection s x does: the gradient is s, not 0."),
            (LAM * (BN_SCALE + s - 1) ** 2, "That treats BN as the identity (evaluation mode with mean 0, variance "
                                            "1); in training mode it normalises by the batch's own mean and variance."),
            (LAM * (BN_SCALE / sigma + s - 1) ** 2, "That treats the batch mean and variance as constants; in "
                                                    "training mode they depend on every sample, and so does the "
                                                    "gradient."),
            (_bn_own_penalty(), "That is the per-sample own gradient d f_i / d x_i; one backward pass of "
                                "sum_j f_j computes sum_j d f_j / d x_i instead."),
            (LAM * (1 - s), "The penalty squares the deviation: lambda (|grad| - 1)^2."),
            ((1 - s) ** 2, "Multiply by lambda = 10."),
            (0.0, "A gradient of norm s gives a penalty of lambda (s - 1)^2, not 0."),
        ),
        quiet=quiet,
    )
