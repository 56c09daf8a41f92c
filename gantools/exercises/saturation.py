"""Checks for chapter 4, saturating vs non-saturating generator loss.

- :func:`check_gradient_ratio`: the ratio of the non-saturating to the minimax gradient at d.
- :func:`check_logit_gradients`: a student's ``logit_gradients(a)``, both losses' d/da.
- :func:`check_gradient_penalty`: a student's WGAN-GP penalty against gantools.losses.
"""

from __future__ import annotations

import numpy as np
import torch

from ..losses import gradient_penalty
from .common import (
    Result,
    call,
    check_number,
    interpolate_gradients,
    not_attempted,
    report,
    to_float,
    untrainable_penalty,
)

__all__ = ["check_gradient_ratio", "check_logit_gradients", "check_gradient_penalty"]

RATIO_D = 0.01  # the d of exercise 4.1


def check_gradient_ratio(answer, quiet: bool = False) -> Result:
    """Exercise 4.1: |NS gradient| / |minimax gradient| w.r.t. the logit at d = 0.01: (1 - d)/d = 99."""
    d = RATIO_D
    return check_number(
        answer, (1 - d) / d, 1e-4,
        ok="(1 - d)/d = 99: at D(G(z)) = 0.01 the non-saturating loss pushes the generator 99 times harder.",
        hint="Divide the two logit-space derivatives: -(1 - d) for -log σ(a) and -d for log(1 - σ(a)).",
        known_wrong=(
            (d / (1 - d), "That is d/(1 - d), the minimax gradient over the non-saturating one: upside down."),
            (1 / d, "1/d = 100 is |d(-log d)/dd| alone; divide by the minimax derivative too (its size is not 1 here)."),
            (d * (1 - d), "d(1 - d) is the sigmoid's slope dd/da, the factor the two gradients share: it cancels in "
                          "the ratio."),
            (1 - d, "1 - d is the size of the non-saturating gradient alone; divide by the minimax one, d."),
        ),
        quiet=quiet,
    )


# Exercise 4.2 asks for the derivatives by hand; the check compares with autograd, so the answer may not use it.
AUTOGRAD = ("torch.autograd.grad", "torch.autograd.backward", "torch.Tensor.backward", "torch.func.grad",
            "torch.func.vjp", "gantools.losses.minimax_loss_gen", "gantools.losses.ns_loss_gen")
_A = np.array([-800.0, -200.0, -30.0, -5.0, -1.0, 0.0, 0.5, 3.0, 30.0, 200.0, 800.0])


def check_logit_gradients(logit_gradients, quiet: bool = False) -> Result:
    """Exercise 4.2: ``logit_gradients(a)`` takes a NumPy array of logits and returns
    ``(g_mm, g_ns)``, the elementwise derivatives of log(1 - σ(a)) and -log σ(a) w.r.t. a.
    Checked against autograd (float64) at logits from -800 to 800; the answer may not use autograd."""
    if logit_gradients is None:
        not_attempted("logit_gradients")
    a = torch.tensor(_A, dtype=torch.float64, requires_grad=True)
    (g_mm,) = torch.autograd.grad((-torch.nn.functional.softplus(a)).sum(), a)
    (g_ns,) = torch.autograd.grad(torch.nn.functional.softplus(-a).sum(), a)
    g_mm, g_ns = g_mm.numpy(), g_ns.numpy()
    out, err = call(logit_gradients, _A.copy(), forbid=AUTOGRAD)
    if err:
        return report(False, "", err, quiet)
    try:
        mm, ns = (np.asarray(v, dtype=float) for v in out)
    except (TypeError, ValueError):
        return report(False, "", "Return a pair of arrays (g_mm, g_ns), each of the shape of a.", quiet)
    if mm.shape != _A.shape or ns.shape != _A.shape:
        return report(False, "", f"Each array must have the shape of a, {_A.shape}; got {mm.shape} and {ns.shape}.",
                      quiet)

    def same(x, y, mask=slice(None)):
        return np.allclose(x[mask], y[mask], rtol=1e-9, atol=1e-15)

    moderate = np.abs(_A) <= 5  # where D-space derivatives are finite and distinct
    d = 1.0 / (1.0 + np.exp(-_A[moderate]))
    d_space = (np.full(_A.shape, np.nan), np.full(_A.shape, np.nan))
    d_space[0][moderate], d_space[1][moderate] = -1.0 / (1.0 - d), -1.0 / d
    if same(mm, d_space[0], moderate) or same(ns, d_space[1], moderate):
        return report(False, "", "These are derivatives with respect to d = σ(a) (D-space); multiply by the "
                      "sigmoid's slope dd/da = d(1 - d).", quiet)
    if not (np.all(np.isfinite(mm)) and np.all(np.isfinite(ns))):
        return report(False, "", "Some of your values are inf or nan at extreme logits (±800): simplify "
                      "(-1/d)·d(1 - d) to -(1 - d) before evaluating, and compute σ(a) with "
                      "scipy.special.expit.", quiet)
    if same(mm, g_mm) and same(ns, g_ns):
        return report(True, "Both derivatives agree with autograd from a = -800 to 800: -d and -(1 - d).", "", quiet)
    if same(mm, g_ns) and same(ns, g_mm):
        hint = "You swapped the two: log(1 - σ(a)) has derivative -d, and -log σ(a) has -(1 - d)."
    elif same(mm, -g_mm) and same(ns, -g_ns):
        hint = "Sign error: both losses decrease as a grows, so both derivatives are negative."
    elif same(mm, g_mm):
        hint = "g_mm is right; g_ns is not. d/da[-log σ(a)] = -(1 - σ(a))."
    elif same(ns, g_ns):
        hint = "g_ns is right; g_mm is not. d/da[log(1 - σ(a))] = -σ(a)."
    else:
        hint = "Use σ'(a) = σ(a)(1 - σ(a)) and the chain rule on log σ(a) and log(1 - σ(a))."
    return report(False, "", hint, quiet)


def _gp_cases():
    """(name, critic, real, fake) cases for the penalty: a linear critic (norm ‖w‖ everywhere),
    a small MLP on vectors, and a critic on (N, 1, 4, 4) images."""
    g = torch.Generator().manual_seed(0)
    lin = torch.nn.Linear(3, 1).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[2.0, -1.0, 2.0]], dtype=torch.float64))
    with torch.random.fork_rng():  # fixed weights without touching the caller's RNG state
        torch.manual_seed(1)
        mlp = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)).double()
        conv = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.Softplus(), torch.nn.Flatten(),
                                   torch.nn.Linear(12, 1)).double()

    def rnd(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    return [
        ("a linear critic f(x) = w·x", lin, rnd(8, 3), rnd(8, 3)),
        ("an MLP critic on 2D points", mlp, rnd(16, 2), 3.0 + rnd(16, 2)),
        ("a convolutional critic on (N, 1, 4, 4) images", conv, rnd(6, 1, 4, 4), rnd(6, 1, 4, 4)),
    ]


def check_gradient_penalty(my_gradient_penalty, quiet: bool = False) -> Result:
    """Exercise 4.3: ``my_gradient_penalty(critic, real, fake, eps, lam)`` with ``eps`` of
    shape (N,) returns lam·mean((‖∇f(x̂)‖₂ - 1)²) at x̂ = eps·real + (1 - eps)·fake, as a
    scalar tensor the critic can be trained on. Compared with gantools.losses.gradient_penalty
    drawing the same eps, on three critics: the value, and its gradient with respect to the
    critic's weights (a penalty computed without ``create_graph=True`` has the right value
    and trains nothing). The answer may not call gantools' penalty."""
    if my_gradient_penalty is None:
        not_attempted("my_gradient_penalty")
    lam = 10.0
    for name, critic, real, fake in _gp_cases():
        seed = 3
        eps = torch.rand(real.shape[0], generator=torch.Generator().manual_seed(seed), dtype=real.dtype)
        expected = gradient_penalty(critic, real, fake, generator=seed, lam=lam)
        value, err = call(my_gradient_penalty, critic, real.clone(), fake.clone(), eps.clone(), lam,
                          forbid=("gantools.losses.gradient_penalty",))
        if err:
            return report(False, "", f"On {name}: {err}", quiet)
        number = to_float(value)
        if number is None or (isinstance(value, torch.Tensor) and value.numel() != 1):
            return report(False, "", f"On {name}: return a scalar tensor (the mean over the batch).", quiet)
        target = expected.item()
        if abs(number - target) > 1e-8 * max(1.0, abs(target)):
            for why, w in _gp_variants(critic, real, fake, eps, lam).items():
                if abs(number - w) <= 1e-8 * max(1.0, abs(w)):
                    return report(False, "", f"On {name} you returned {number:.6g}, expected {target:.6g}: {why}.",
                                  quiet)
            return report(False, "", f"On {name} you returned {number:.6g}, expected {target:.6g}. Interpolate per "
                          "sample, take autograd.grad of critic(x_hat).sum() w.r.t. x_hat, then the L2 norm of each "
                          "sample's gradient (flattened).", quiet)
        problem = untrainable_penalty(value, expected, critic)
        if problem:
            return report(False, "", f"On {name} {problem}", quiet)
    return report(True, "Your penalty matches gantools.losses.gradient_penalty on all three critics, value and "
                  "gradient with respect to the critic's weights: it can train a critic.", "", quiet)


def _gp_variants(critic, real, fake, eps, lam) -> dict[str, float]:
    """Plausible wrong penalties, for targeted hints."""
    g_hat = interpolate_gradients(critic, real, fake, eps)
    norms = g_hat.norm(dim=1)
    return {
        "the penalty is (‖∇f‖ - 1)², not ‖∇f‖² (the 1-Lipschitz target is a norm of 1)": lam * (norms**2).mean().item(),
        "missing the factor λ": ((norms - 1) ** 2).mean().item(),
        "the norm must be taken per sample, not over the whole batch's gradient":
            lam * ((g_hat.norm() - 1) ** 2).item(),
        "the weights are the other way round: x̂ = ε·real + (1 - ε)·fake":
            lam * ((interpolate_gradients(critic, real, fake, 1 - eps).norm(dim=1) - 1) ** 2).mean().item(),
        "evaluate the gradient at the interpolates x̂, not at the fakes":
            lam * ((interpolate_gradients(critic, real, fake, torch.zeros_like(eps)).norm(dim=1) - 1) ** 2).mean().item(),
        "evaluate the gradient at the interpolates x̂, not at the real samples":
            lam * ((interpolate_gradients(critic, real, fake, torch.ones_like(eps)).norm(dim=1) - 1) ** 2).mean().item(),
        "take the mean of (‖∇f‖ - 1)², not the square of the mean": lam * ((norms.mean() - 1) ** 2).item(),
    }
