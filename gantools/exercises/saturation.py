"""Checks for chapter 4, saturating vs non-saturating generator loss.

- :func:`check_gradient_ratio`: the ratio of the non-saturating to the minimax gradient at d.
- :func:`check_logit_gradients`: a student's ``logit_gradients(a)``, both losses' d/da.
- :func:`check_gradient_penalty`: a student's WGAN-GP penalty against gantools.losses.

Each check is a :class:`~gantools.exercises.protocol.Spec`: the grader draws fresh cases from the ranges
below for every submission and judges the plain outputs in its own process.
"""

from __future__ import annotations

import numpy as np
import torch

from ..losses import gradient_penalty
from .common import Result, interpolate_gradients, judge_number, one_number
from .protocol import Spec, check, with_spec

__all__ = ["check_gradient_ratio", "check_logit_gradients", "check_gradient_penalty"]

# -- 4.1 -----------------------------------------------------------------------------------
RATIO_D = 0.01  # the d of exercise 4.1
GRADIENT_RATIO = Spec(
    answer="ratio", call=False,
    judge=judge_number(
        (1 - RATIO_D) / RATIO_D, 1e-4,
        ok="(1 - d)/d = 99: at D(G(z)) = 0.01 the non-saturating loss pushes the generator 99 times harder.",
        hint="Divide the two logit-space derivatives, of -log σ(a) and of log(1 - σ(a)), at d = σ(a) = 0.01.",
        known_wrong=(
            (RATIO_D / (1 - RATIO_D), "That is the minimax gradient over the non-saturating one: upside down."),
            (1 / RATIO_D, "1/d = 100 is |d(-log d)/dd| alone; divide by the minimax derivative too (its size is not "
                          "1 here)."),
            (RATIO_D * (1 - RATIO_D), "d(1 - d) is the sigmoid's slope dd/da, the factor the two gradients share: "
                                      "it cancels in the ratio."),
            (1 - RATIO_D, "That is the size of the non-saturating gradient alone; divide by the minimax one."),
        )),
    leaks=(r"(?<![\d.])99 times harder", r"\(\s*1\s*-\s*0\.01\s*\)\s*/\s*0\.01",
           r"0\.99\s*/\s*0\.01|\\frac\s*\{0\.99\}\s*\{0\.01\}"))


@with_spec(GRADIENT_RATIO)
def check_gradient_ratio(answer, quiet: bool = False) -> Result:
    """Exercise 4.1: |NS gradient| / |minimax gradient| with respect to the logit at D(G(z)) = 0.01
    (a number, to 1e-4)."""
    return check(GRADIENT_RATIO, answer, quiet)


# -- 4.2 -----------------------------------------------------------------------------------
# Exercise 4.2 asks for the derivatives by hand; the check compares with autograd, so the answer may not use it.
AUTOGRAD = ("torch.autograd.grad", "torch.autograd.backward", "torch.Tensor.backward", "torch.func.grad",
            "torch.func.vjp", "gantools.losses.minimax_loss_gen", "gantools.losses.ns_loss_gen")
_A = np.array([-800.0, -200.0, -30.0, -5.0, -1.0, 0.0, 0.5, 3.0, 30.0, 200.0, 800.0])


def _logit_cases(rng) -> list:
    """Arrays of logits with moderate (|a| ≤ 5), large and extreme (|a| of hundreds, where σ(a) rounds to
    0 or 1) values of both signs: the book's one array, or two fresh ones of other lengths."""
    if rng is None:
        return [_A.tolist()]

    def logits(n_moderate, n_large):
        # |a| in (19, 25) is left out: there torch's softplus switches to its linear branch (threshold 20) and
        # autograd's derivative differs from the exact one by more than the check's 1e-9.
        large = np.where(rng.random(n_large) < 0.5, rng.uniform(6, 19, n_large), rng.uniform(25, 60, n_large))
        a = np.concatenate([rng.uniform(-5, 5, n_moderate), rng.choice([-1, 1], n_large) * large,
                            [rng.uniform(300, 900), -rng.uniform(300, 900), 0.0]])
        return [float(x) for x in rng.permutation(a)]

    return [logits(int(rng.integers(4, 8)), int(rng.integers(2, 5))), logits(int(rng.integers(2, 4)), 1)]


def _logit_gradients_reference(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For exercise 4.2: autograd's (g_mm, g_ns) on the package's softplus forms of the two losses (float64)."""
    t = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    (g_mm,) = torch.autograd.grad((-torch.nn.functional.softplus(t)).sum(), t)
    (g_ns,) = torch.autograd.grad(torch.nn.functional.softplus(-t).sum(), t)
    return g_mm.numpy(), g_ns.numpy()


def _judge_logit(cases, values):
    for case, value in zip(cases, values, strict=True):
        a = np.asarray(case, dtype=float)
        try:
            if type(value) is not list or len(value) != 2:
                raise ValueError("not a pair")
            mm, ns = (np.asarray(v, dtype=float) for v in value)
        except (TypeError, ValueError):
            return False, "Return a pair of arrays (g_mm, g_ns), each of the shape of a."
        if mm.shape != a.shape or ns.shape != a.shape:
            return False, f"Each array must have the shape of a, {a.shape}; got {mm.shape} and {ns.shape}."
        g_mm, g_ns = _logit_gradients_reference(a)

        def same(x, y, mask=slice(None)):
            return np.allclose(x[mask], y[mask], rtol=1e-9, atol=1e-15)

        moderate = np.abs(a) <= 5  # where D-space derivatives are finite and distinct
        d = 1.0 / (1.0 + np.exp(-a[moderate]))
        if moderate.any() and (same(mm[moderate], -1.0 / (1.0 - d)) or same(ns[moderate], -1.0 / d)):
            return False, ("These are derivatives with respect to d = σ(a) (D-space); multiply by the sigmoid's slope "
                           "dd/da = d(1 - d).")
        if not (np.all(np.isfinite(mm)) and np.all(np.isfinite(ns))):
            return False, ("Some of your values are inf or nan at extreme logits (|a| of hundreds): simplify the "
                           "product of the D-space derivative and the sigmoid's slope by hand before evaluating, and "
                           "compute σ(a) with scipy.special.expit.")
        if same(mm, g_mm) and same(ns, g_ns):
            continue
        if same(mm, g_ns) and same(ns, g_mm):
            return False, "You swapped the two: g_mm is the derivative of log(1 - σ(a)), g_ns that of -log σ(a)."
        if same(mm, -g_mm) and same(ns, -g_ns):
            return False, "Sign error: both losses decrease as a grows, so both derivatives are negative."
        if same(mm, g_mm):
            return False, "g_mm is right; g_ns is not. Apply the chain rule to -log σ(a) with σ'(a) = σ(a)(1 - σ(a))."
        if same(ns, g_ns):
            return False, "g_ns is right; g_mm is not. Apply the chain rule to log(1 - σ(a)) with σ'(a) = σ(a)(1 - σ(a))."
        return False, "Use σ'(a) = σ(a)(1 - σ(a)) and the chain rule on log σ(a) and log(1 - σ(a))."
    lo, hi = min(min(c) for c in cases), max(max(c) for c in cases)
    return True, f"Both derivatives agree with autograd from a = {lo:.4g} to {hi:.4g}: -d and -(1 - d)."


LOGIT_GRADIENTS = Spec(
    answer="logit_gradients", judge=_judge_logit, cases=_logit_cases, build=lambda a: (np.asarray(a, dtype=float),),
    forbid=AUTOGRAD, describe=lambda a: f"On the {len(a)} logits from {min(a):.4g} to {max(a):.4g}",
    leaks=(r"-\s*expit\(\s*-\s*a\s*\)", r"return\s+-\s*expit\(\s*a\s*\)"))


@with_spec(LOGIT_GRADIENTS)
def check_logit_gradients(logit_gradients, quiet: bool = False) -> Result:
    """Exercise 4.2: ``logit_gradients(a)`` takes a NumPy array of logits and returns
    ``(g_mm, g_ns)``, the elementwise derivatives of log(1 - σ(a)) and -log σ(a) w.r.t. a.
    Checked against autograd (float64) at logits of both signs up to |a| of several hundred, to a
    relative 1e-9; the answer may not use autograd."""
    return check(LOGIT_GRADIENTS, logit_gradients, quiet)


# -- 4.3 -----------------------------------------------------------------------------------
def _tolist(t: torch.Tensor) -> list:
    return t.detach().double().tolist()


def _book_gp_cases() -> list:
    """The book's three critics: a linear critic (norm ‖w‖ everywhere), a small MLP on vectors and a
    critic on (N, 1, 4, 4) images, with their batches, as plain data."""
    g = torch.Generator().manual_seed(0)
    with torch.random.fork_rng(devices=[]):  # fixed weights without touching the caller's RNG state
        torch.manual_seed(1)
        mlp = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)).double()
        conv = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.Softplus(), torch.nn.Flatten(),
                                   torch.nn.Linear(12, 1)).double()

    def rnd(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    lin = {"weight": [[2.0, -1.0, 2.0]], "bias": [0.1]}
    batches = [(rnd(8, 3), rnd(8, 3)), (rnd(16, 2), 3.0 + rnd(16, 2)), (rnd(6, 1, 4, 4), rnd(6, 1, 4, 4))]
    params = [lin] + [{k: _tolist(v) for k, v in m.state_dict().items()} for m in (mlp, conv)]
    return [{"critic": kind, "params": p, "real": _tolist(r), "fake": _tolist(f), "eps_seed": 3, "lam": 10.0}
            for kind, p, (r, f) in zip(("linear", "mlp", "conv"), params, batches, strict=True)]


def _gp_cases(rng) -> list:
    """The three kinds of critic, of random sizes and weights, on random batches, with a random λ and seed
    for eps: the book's three or three fresh, in a random order."""
    if rng is None:
        return _book_gp_cases()

    def normal(*shape, scale=1.0, shift=0.0):
        return (shift + scale * rng.standard_normal(shape)).tolist()

    d = int(rng.integers(2, 7))
    w = rng.standard_normal(d)
    w *= (rng.uniform(1.5, 4.0) if rng.random() < 0.5 else rng.uniform(0.1, 0.6)) / np.linalg.norm(w)
    n, lin = int(rng.integers(4, 13)), {"weight": [w.tolist()], "bias": [float(rng.uniform(-1, 1))]}
    cases = [("linear", lin, normal(n, d), normal(n, d))]
    d, h, n = int(rng.integers(2, 4)), int(rng.integers(8, 25)), int(rng.integers(6, 17))
    mlp = {"0.weight": normal(h, d, scale=1.5 / np.sqrt(d)), "0.bias": normal(h, scale=0.5),
           "2.weight": normal(1, h, scale=2 / np.sqrt(h)), "2.bias": normal(1, scale=0.5)}
    cases.append(("mlp", mlp, normal(n, d), normal(n, d, shift=rng.choice([-1, 1]) * rng.uniform(1, 4))))
    c, s, n = int(rng.integers(2, 5)), int(rng.integers(4, 7)), int(rng.integers(3, 9))
    conv = {"0.weight": normal(c, 1, 3, 3, scale=0.5), "0.bias": normal(c, scale=0.3),
            "3.weight": normal(1, c * (s - 2) ** 2, scale=1 / np.sqrt(c * (s - 2) ** 2)), "3.bias": normal(1, scale=0.3)}
    cases.append(("conv", conv, normal(n, 1, s, s), normal(n, 1, s, s)))
    return [{"critic": kind, "params": p, "real": r, "fake": f, "eps_seed": int(rng.integers(0, 2**31)),
             "lam": float(rng.uniform(2.0, 20.0))} for kind, p, r, f in (cases[i] for i in rng.permutation(3))]


def _make_gp(case) -> tuple:
    """(critic, real, fake, eps) of one case (float64): the critic with the case's weights, eps ~ U[0, 1]
    drawn as gantools.losses.gradient_penalty draws it from the case's seed."""
    p = {k: torch.tensor(v, dtype=torch.float64) for k, v in case["params"].items()}
    real, fake = (torch.tensor(case[k], dtype=torch.float64) for k in ("real", "fake"))
    with torch.random.fork_rng(devices=[]):  # the modules' default initialisation draws from the global RNG
        if case["critic"] == "linear":
            critic = torch.nn.Linear(p["weight"].shape[1], 1)
        elif case["critic"] == "mlp":
            h, d = p["0.weight"].shape
            critic = torch.nn.Sequential(torch.nn.Linear(d, h), torch.nn.Tanh(), torch.nn.Linear(h, 1))
        else:
            c = p["0.weight"].shape[0]
            critic = torch.nn.Sequential(torch.nn.Conv2d(1, c, 3), torch.nn.Softplus(), torch.nn.Flatten(),
                                         torch.nn.Linear(p["3.weight"].shape[1], 1))
    critic = critic.double()
    critic.load_state_dict(p)
    eps = torch.rand(real.shape[0], generator=torch.Generator().manual_seed(case["eps_seed"]), dtype=torch.float64)
    return critic, real, fake, eps


def _finish_gp(output, args) -> dict:
    """The penalty's value and its gradient with respect to each of the critic's weights (None when it
    carries no graph; the error's text when it cannot be differentiated)."""
    critic, grads = args[0], None
    if isinstance(output, torch.Tensor) and output.numel() == 1 and output.requires_grad:
        named = [(k, p) for k, p in critic.named_parameters() if p.requires_grad]
        try:
            found = torch.autograd.grad(output.reshape(()), [p for _, p in named], allow_unused=True)
        except RuntimeError as e:
            grads = str(e)[:200]
        else:
            grads = {k: torch.zeros_like(p) if g is None else g for (k, p), g in zip(named, found, strict=True)}
    return {"value": output.detach() if isinstance(output, torch.Tensor) else output, "grads": grads}


def _describe_gp(case) -> str:
    shape = np.shape(case["real"])
    if case["critic"] == "linear":
        return "On a linear critic f(x) = w·x"
    if case["critic"] == "mlp":
        return f"On an MLP critic on {shape[1]}D points"
    return f"On a convolutional critic on (N, 1, {shape[2]}, {shape[3]}) images"


def _gp_variants_reference(critic, real, fake, eps, lam) -> dict[str, float]:
    """For exercise 4.3: plausible wrong penalties, for targeted hints."""
    g_hat = interpolate_gradients(critic, real, fake, eps)
    norms = g_hat.norm(dim=1)

    def at(e):
        return lam * ((interpolate_gradients(critic, real, fake, e).norm(dim=1) - 1) ** 2).mean().item()

    return {
        "the penalty is (‖∇f‖ - 1)², not ‖∇f‖² (the 1-Lipschitz target is a norm of 1)": lam * (norms**2).mean().item(),
        "missing the factor λ": ((norms - 1) ** 2).mean().item(),
        "the norm must be taken per sample, not over the whole batch's gradient": lam * ((g_hat.norm() - 1) ** 2).item(),
        "the weights are the other way round: x̂ = ε·real + (1 - ε)·fake": at(1 - eps),
        "evaluate the gradient at the interpolates x̂, not at the fakes": at(torch.zeros_like(eps)),
        "evaluate the gradient at the interpolates x̂, not at the real samples": at(torch.ones_like(eps)),
        "take the mean of (‖∇f‖ - 1)², not the square of the mean": lam * ((norms.mean() - 1) ** 2).item(),
    }


def _weights_gradient_wrong(got, expected, critic) -> str | None:
    """Why the handed-back gradient with respect to the critic's weights is not that of ``expected``, or None."""
    if got is None:
        return ("the value is right, but the critic cannot be trained on it: it carries no graph. Pass "
                "create_graph=True to torch.autograd.grad, so that the penalty can be differentiated with respect "
                "to the critic's weights.")
    if type(got) is str:
        return f"the value is right, but it cannot be differentiated with respect to the critic's weights ({got[:200]})."
    named = [(k, p) for k, p in critic.named_parameters() if p.requires_grad]
    ref = torch.autograd.grad(expected, [p for _, p in named], allow_unused=True)
    for (k, p), a in zip(named, ref, strict=True):
        a = np.zeros(tuple(p.shape)) if a is None else a.detach().numpy()
        try:
            b = np.asarray(got[k], dtype=float)
        except (KeyError, TypeError, ValueError):
            b = None
        if b is None or b.shape != a.shape or not np.all(np.abs(a - b) <= 1e-7 * max(1.0, float(np.abs(a).max()))):
            return ("the value is right, but its gradient with respect to the critic's weights is not: pass "
                    "create_graph=True to torch.autograd.grad, and detach only real and fake, not x_hat or the "
                    "gradient.")
    return None


def _judge_gp(cases, values):
    for case, got in zip(cases, values, strict=True):
        name = _describe_gp(case)
        number = one_number(got.get("value")) if type(got) is dict else None
        if number is None:
            return False, f"{name}: return a scalar tensor (the mean over the batch)."
        critic, real, fake, eps = _make_gp(case)
        lam = case["lam"]
        expected = gradient_penalty(critic, real, fake, generator=case["eps_seed"], lam=lam)
        target = expected.item()
        if not abs(number - target) <= 1e-8 * max(1.0, abs(target)):
            for why, w in _gp_variants_reference(critic, real, fake, eps, lam).items():
                if abs(number - w) <= 1e-8 * max(1.0, abs(w)):
                    return False, f"{name} you returned {number:.6g}: {why}."
            return False, (f"{name} you returned {number:.6g}, which is not the penalty. Interpolate per sample, take "
                           "autograd.grad of critic(x_hat).sum() w.r.t. x_hat, then the L2 norm of each sample's "
                           "gradient (flattened).")
        problem = _weights_gradient_wrong(got.get("grads"), expected, critic)
        if problem:
            return False, f"{name} {problem}"
    return True, ("Your penalty matches gantools.losses.gradient_penalty on all three critics, value and gradient with "
                  "respect to the critic's weights: it can train a critic.")


GRADIENT_PENALTY = Spec(
    answer="my_gradient_penalty", judge=_judge_gp, cases=_gp_cases,
    build=lambda case: (*_make_gp(case), case["lam"]), finish=_finish_gp,
    forbid=("gantools.losses.gradient_penalty", "gantools.exercises.common.interpolate_gradients"),
    describe=_describe_gp,
    leaks=(r"\.norm\(\s*(?:2\s*,\s*|p\s*=\s*2\s*,\s*)?dim\s*=\s*1\s*\)\s*-\s*1\s*\)\s*\*\*\s*2",))


@with_spec(GRADIENT_PENALTY)
def check_gradient_penalty(my_gradient_penalty, quiet: bool = False) -> Result:
    """Exercise 4.3: ``my_gradient_penalty(critic, real, fake, eps, lam)`` with ``eps`` of
    shape (N,) returns lam·mean((‖∇f(x̂)‖₂ - 1)²) at x̂ = eps·real + (1 - eps)·fake, as a
    scalar tensor the critic can be trained on. Compared with gantools.losses.gradient_penalty
    drawing the same eps, on a linear critic, an MLP and a convolutional critic: the value, and its
    gradient with respect to the critic's weights (a penalty computed without ``create_graph=True``
    has the right value and trains nothing). The answer may not call gantools' penalty."""
    return check(GRADIENT_PENALTY, my_gradient_penalty, quiet)
