"""The chapter 9 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code."""

import math

import numpy as np
import pytest
import torch
from _fresh_cases import assert_plain_values_only
from torch import nn

from gantools import losses
from gantools.exercises.collect import plain
from gantools.exercises.protocol import evaluate
from gantools.exercises.wgan_gp import (
    BN_BATCH,
    BN_SCALE,
    BN_SKIP,
    LINEAR_W,
    _penalty_finish,
    _penalty_objects,
    check_bn_penalty,
    check_interpolate_penalty,
    check_linear_penalty,
    check_real_images_per_step,
)

SEEDS = (0, 1, 2)




def starter(*args):
    raise NotImplementedError


# -- 9.1 -----------------------------------------------------------------------------------
def test_linear_penalty_accepts():
    w = math.hypot(*LINEAR_W)
    assert check_linear_penalty(10 * (w - 1) ** 2, quiet=True)
    assert check_linear_penalty(22.5, quiet=True)


def test_linear_penalty_matches_losses():
    """The closed form is what gantools.losses.gradient_penalty computes for a linear critic."""
    critic = nn.Linear(2, 1).double()
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([LINEAR_W], dtype=torch.float64))
    real, fake = torch.randn(50, 2, dtype=torch.float64), torch.randn(50, 2, dtype=torch.float64) + 3
    gp = losses.gradient_penalty(critic, real, fake, generator=0, lam=10.0).item()
    assert abs(gp - 22.5) < 1e-10, gp
    assert check_linear_penalty(gp, quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (15.0, "squares the deviation"), (2.25, "multiply by lambda"), (275.625, "not the squared norm"),
    (62.5, "towards 1"), (12.5, "coordinate by coordinate"), (0.0, "only when"), (20.0, "whatever x"),
])
def test_linear_penalty_rejects(wrong, word):
    r = check_linear_penalty(wrong, quiet=True)
    assert not r
    assert word in r.message


def test_linear_penalty_starter():
    with pytest.raises(NotImplementedError):
        check_linear_penalty(None, quiet=True)


# -- 9.2 -----------------------------------------------------------------------------------
def _interpolates(real, fake, eps):
    e = eps.reshape(-1, *([1] * (real.dim() - 1)))
    return (e * real.detach() + (1 - e) * fake.detach()).requires_grad_(True)


def gradient_penalty(critic, real, fake, eps, lam=10.0):
    """The reference solution of exercise 9.2."""
    x_hat = _interpolates(real, fake, eps)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norms = grad.reshape(len(x_hat), -1).norm(dim=1)
    return lam * ((norms - 1) ** 2).mean()


def test_gradient_penalty_accepts_reference():
    assert check_interpolate_penalty(gradient_penalty, quiet=True)


def test_gradient_penalty_rejects_gantools_penalty():
    """x_hat handed to gantools' penalty as both real and fake reproduces the reference: forbidden."""
    def shortcut(critic, real, fake, eps, lam=10.0):
        x_hat = _interpolates(real, fake, eps).detach()
        return losses.gradient_penalty(critic, x_hat, x_hat, lam=lam)

    r = check_interpolate_penalty(shortcut, quiet=True)
    assert not r and "gantools.losses.gradient_penalty" in r.message, r.message


def test_gradient_penalty_accepts_per_sample_loop():
    def loop(critic, real, fake, eps, lam=10.0):
        x_hat = _interpolates(real, fake, eps)
        norms = []
        for i in range(len(x_hat)):
            (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
            norms.append(g[i].norm())
        return lam * ((torch.stack(norms) - 1) ** 2).mean()

    assert check_interpolate_penalty(loop, quiet=True)


def _variant(kind):
    """A plausible wrong gradient_penalty (one per kind)."""
    def fn(critic, real, fake, eps, lam=10.0):
        e = eps.reshape(-1, *([1] * (real.dim() - 1)))
        point = {"swap": (1 - e) * real + e * fake, "real": real, "fake": fake}.get(kind, e * real + (1 - e) * fake)
        x_hat = point.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=kind != "no_graph")
        g = g.reshape(len(x_hat), -1)
        norms = g.norm(dim=1)
        pen = lam * ((norms - 1) ** 2).mean()
        wrong = {
            "batch_norm": lambda: lam * (g.norm() - 1) ** 2,
            "no_lambda": lambda: ((norms - 1) ** 2).mean(),
            "no_square": lambda: lam * (norms - 1).abs().mean(),
            "squared_norm": lambda: lam * ((norms ** 2 - 1) ** 2).mean(),
            "sum": lambda: lam * ((norms - 1) ** 2).sum(),
            "to_zero": lambda: lam * (norms ** 2).mean(),
            "vector": lambda: lam * (norms - 1) ** 2,
            "half_grad": lambda: pen.detach() + 0.5 * (pen - pen.detach()),  # right value, wrong weight gradient
            "float": lambda: pen.item(),
        }
        return wrong[kind]() if kind in wrong else pen
    return fn


@pytest.mark.parametrize("kind,word", [
    ("batch_norm", "one norm over the whole batch"),
    ("no_lambda", "multiply by lambda"),
    ("no_square", "square the deviation"),
    ("squared_norm", "not the squared norm"),
    ("sum", "do not sum"),
    ("to_zero", "pulls the norm towards 1"),
    ("swap", "eps weights the real sample"),
    ("real", "not at the real samples"),
    ("fake", "not at the fake samples"),
    ("no_graph", "create_graph=True"),
    ("half_grad", "gradient with respect to the critic's weights is not"),
    ("vector", "scalar tensor"),
    ("float", "scalar tensor"),
])
def test_gradient_penalty_rejects(kind, word):
    r = check_interpolate_penalty(_variant(kind), quiet=True)
    assert not r
    assert word in r.message


def test_gradient_penalty_reports_errors():
    r = check_interpolate_penalty(lambda critic, real, fake, eps: critic(real, fake), quiet=True)
    assert not r
    assert "TypeError" in r.message
    r = check_interpolate_penalty(lambda critic, real, fake, eps: 2 * gradient_penalty(critic, real, fake, eps),
                               quiet=True)
    assert not r
    assert "Interpolate with eps" in r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_gradient_penalty_starter(fn):
    with pytest.raises(NotImplementedError):
        check_interpolate_penalty(fn, quiet=True)


# -- 9.3 -----------------------------------------------------------------------------------
def test_images_per_step_accepts():
    assert check_real_images_per_step(64 * 5, quiet=True)
    assert check_real_images_per_step(np.int64(64 * 5), quiet=True)
    assert not check_real_images_per_step(32 * 5, quiet=True)  # the recipe's batch is 64


@pytest.mark.parametrize("wrong,word", [
    (64, "n_critic = 5"), (640, "only the real"), (960, "interpolates"), (384, "draws no real"),
    (5, "whole batch"), (100, "Count the critic's updates"),
])
def test_images_per_step_rejects(wrong, word):
    r = check_real_images_per_step(wrong, quiet=True)
    assert not r
    assert word in r.message


def test_images_per_step_starter():
    with pytest.raises(NotImplementedError):
        check_real_images_per_step(None, quiet=True)


# -- 9.4 -----------------------------------------------------------------------------------
def _bn_critic():
    bn = nn.BatchNorm1d(1, affine=False).double().train()
    return lambda x: BN_SCALE * bn(x[:, None])[:, 0] + BN_SKIP * x + 0.5


def test_bn_penalty_matches_losses():
    """One backward pass of the sum reports lambda (|s| - 1)^2 = 3.6, whatever the batch."""
    x = torch.tensor(BN_BATCH, dtype=torch.float64)
    for fake in (x, torch.randn(4, dtype=torch.float64) * 7):
        gp = losses.gradient_penalty(_bn_critic(), x, fake, generator=1, lam=10.0).item()
        assert abs(gp - 10.0 * (1 - BN_SKIP) ** 2) < 1e-9, gp
        assert check_bn_penalty(gp, quiet=True)


def test_bn_own_gradient_differs():
    """The per-sample own gradients are not s: the known wrong answer is a real alternative."""
    x = torch.tensor(BN_BATCH, dtype=torch.float64, requires_grad=True)
    f = _bn_critic()(x)
    own = torch.stack([torch.autograd.grad(f[i], x, retain_graph=True)[0][i] for i in range(4)])
    pen = 10 * ((own.abs() - 1) ** 2).mean().item()
    r = check_bn_penalty(pen, quiet=True)
    assert not r
    assert "own gradient" in r.message


@pytest.mark.parametrize("wrong,word", [
    (10.0, "skip connection"),  # lambda itself, printed all over chapter 9 (the answer before the skip was added)
    (10 * (3 + BN_SKIP - 1) ** 2, "identity"), (10 * (3 / math.sqrt(3.5 + 1e-5) + BN_SKIP - 1) ** 2, "constants"),
    (0.0, "norm 1 at every interpolate"), (0.36, "lambda = 10"), (6.0, "squares"), (7.0, "sum_j BN(x)_j"),
])
def test_bn_penalty_rejects(wrong, word):
    r = check_bn_penalty(wrong, quiet=True)
    assert not r
    assert word in r.message, r.message


def test_bn_penalty_starter():
    with pytest.raises(NotImplementedError):
        check_bn_penalty(None, quiet=True)


# -- the two halves: fresh cases, tables, liars --------------------------------------------
@pytest.mark.parametrize("check,right", [(check_linear_penalty, 22.5), (check_real_images_per_step, 320),
                                         (check_bn_penalty, 3.6)])
def test_value_exercises_judge_plain_values_only(check, right):
    assert_plain_values_only(check, right)


def _book_penalty_objects():
    """The book's two 9.2 cases as the check built them before it took cases: (critic, real, fake) each."""
    with torch.random.fork_rng():
        torch.manual_seed(11)
        mlp = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 1)).double()
        conv = nn.Sequential(nn.Conv2d(1, 4, 3, 2, 1), nn.LeakyReLU(0.2), nn.Flatten(), nn.GroupNorm(1, 64),
                             nn.Linear(64, 1)).double()
        with torch.no_grad():
            mlp[2].weight.mul_(6.0)
            conv[4].weight.mul_(4.0)
        gen = torch.Generator().manual_seed(12)
        return [(mlp, torch.randn(12, 2, generator=gen, dtype=torch.float64) + 2,
                 torch.randn(12, 2, generator=gen, dtype=torch.float64)),
                (conv, torch.rand(8, 1, 8, 8, generator=gen, dtype=torch.float64) * 2 - 1,
                 torch.rand(8, 1, 8, 8, generator=gen, dtype=torch.float64) * 2 - 1)]


def test_penalty_book_cases_are_the_books_critics():
    state = torch.random.get_rng_state()
    cases = check_interpolate_penalty.spec.draw(None)
    assert torch.equal(torch.random.get_rng_state(), state)
    for case, (critic, real, fake) in zip(cases, _book_penalty_objects(), strict=True):
        c, r, f, eps = _penalty_objects(case)
        assert torch.equal(r, real) and torch.equal(f, fake)
        assert all(torch.equal(a, b) for a, b in zip(c.parameters(), critic.parameters(), strict=True))
        assert torch.equal(eps, torch.rand(len(r), generator=torch.Generator().manual_seed(3), dtype=torch.float64))
    assert torch.equal(torch.random.get_rng_state(), state)  # building a case leaves the caller's RNG alone


def test_penalty_finish_hands_back_the_value_and_the_weight_gradient():
    case = check_interpolate_penalty.spec.draw(np.random.default_rng(4))[1]
    args = _penalty_objects(case)
    out = _penalty_finish(gradient_penalty(*args), args)
    critic = args[0]
    assert out["graph"] and out["grad_error"] is None and out["shape"] == []
    assert [tuple(g.shape) for g in out["grad"]] == [tuple(p.shape) for p in critic.parameters()]
    assert _penalty_finish(torch.zeros(3), args)["value"] is None
    assert _penalty_finish(1.0, args) == {"type": "float", "shape": None, "value": None, "graph": False,
                                          "grad": None, "grad_error": None}


@pytest.mark.parametrize("seed", SEEDS)
def test_gradient_penalty_fresh_cases(seed):
    spec = check_interpolate_penalty.spec
    assert evaluate(spec, gradient_penalty, np.random.default_rng(seed))[0] == "pass"
    for kind in ("swap", "half_grad"):
        status, message = evaluate(spec, _variant(kind), np.random.default_rng(seed))
        assert status == "fail", (kind, message)


def test_gradient_penalty_table_of_the_book_fails_on_fresh_cases():
    table = {}
    for case in check_interpolate_penalty.spec.draw(None):
        critic, real, fake, eps = _penalty_objects(case)
        table[tuple(eps.tolist())] = gradient_penalty(critic, real, fake, eps).item()

    def lookup(critic, real, fake, eps, lam=10.0):
        value = table.get(tuple(eps.tolist()), 1.0)
        return value + 0 * critic(real).sum()  # the book's value, with a graph

    for seed in SEEDS:
        status, message = evaluate(check_interpolate_penalty.spec, lookup, np.random.default_rng(seed))
        assert status == "fail" and "not the penalty" in message, message


def test_gradient_penalty_draws():
    spec = check_interpolate_penalty.spec
    assert spec.draw(np.random.default_rng(0)) != spec.draw(None)
    assert spec.draw(np.random.default_rng(0)) == spec.draw(np.random.default_rng(0))
    assert spec.draw(np.random.default_rng(0)) != spec.draw(np.random.default_rng(1))
    assert {c["net"] for c in spec.draw(np.random.default_rng(0))} == {"mlp", "conv"}


def test_gradient_penalty_judge_compares_the_weight_gradients():
    """A report whose value is right but whose weight gradient is not fails, from plain data alone."""
    spec = check_interpolate_penalty.spec
    cases = spec.draw(np.random.default_rng(7))
    values = []
    for case in cases:
        args = _penalty_objects(case)
        values.append(plain(_penalty_finish(gradient_penalty(*args), args)))
    assert spec.judge(cases, values)[0]
    values[-1]["grad"][0] = (np.asarray(values[-1]["grad"][0]) * 1.001).tolist()
    passed, message = spec.judge(cases, values)
    assert not passed and "gradient with respect to the critic's weights is not" in message
