"""The chapter 4 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code."""

import numpy as np
import pytest
import torch
from scipy.special import expit

from gantools.exercises import check_gradient_penalty, check_gradient_ratio, check_logit_gradients
from gantools.exercises.protocol import evaluate


def starter(*args):
    raise NotImplementedError


# -- 4.1 -----------------------------------------------------------------------------------
def test_gradient_ratio_accepts_99():
    assert check_gradient_ratio(99.0, quiet=True)
    assert check_gradient_ratio((1 - 0.01) / 0.01, quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (0.01 / 0.99, "upside down"), (100.0, "1/d"), (0.0099, "cancels"), (0.99, "alone"), (50.0, "Divide"),
])
def test_gradient_ratio_rejects(wrong, word):
    r = check_gradient_ratio(wrong, quiet=True)
    assert not r
    assert word in r.message


def test_gradient_ratio_starter():
    with pytest.raises(NotImplementedError):
        check_gradient_ratio(None, quiet=True)


# -- 4.2 -----------------------------------------------------------------------------------
def logit_gradients(a):
    """The reference solution of exercise 4.2."""
    d = expit(a)
    return -d, -(1 - d)


def test_logit_gradients_accepts_reference():
    assert check_logit_gradients(logit_gradients, quiet=True)


def _d_space(a):
    d = expit(a)
    with np.errstate(divide="ignore"):
        return -1 / (1 - d), -1 / d


def _chain_rule_unsimplified(a):  # (-1/d) * d(1 - d): nan where d rounds to 0
    d = expit(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -1 / (1 - d) * d * (1 - d), -1 / d * d * (1 - d)


@pytest.mark.parametrize("wrong,word", [
    (lambda a: logit_gradients(a)[::-1], "swapped"),
    (lambda a: tuple(-g for g in logit_gradients(a)), "Sign error"),
    (_d_space, "D-space"),
    (_chain_rule_unsimplified, "inf or nan"),
    (lambda a: (logit_gradients(a)[0], -expit(-a) * 2), "g_mm is right"),
    (lambda a: (-expit(a) * 2, logit_gradients(a)[1]), "g_ns is right"),
    (lambda a: (a, a), "chain rule"),
    (lambda a: logit_gradients(a)[0], "pair of arrays"),
    (lambda a: (np.zeros(3), np.zeros(3)), "shape"),
    (lambda a: 1 / 0, "ZeroDivisionError"),
])
def test_logit_gradients_rejects(wrong, word):
    r = check_logit_gradients(wrong, quiet=True)
    assert not r
    assert word in r.message


def _autograd(a):
    """The check's reference, autograd on softplus, instead of a derivation."""
    t = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    (g_mm,) = torch.autograd.grad((-torch.nn.functional.softplus(t)).sum(), t)
    (g_ns,) = torch.autograd.grad(torch.nn.functional.softplus(-t).sum(), t)
    return g_mm.numpy(), g_ns.numpy()


def _backward(a):
    t = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    (-torch.nn.functional.softplus(t)).sum().backward()
    g_mm = t.grad.numpy().copy()
    return g_mm, -1 - g_mm


@pytest.mark.parametrize("shortcut", [_autograd, _backward])
def test_logit_gradients_rejects_autograd(shortcut):
    r = check_logit_gradients(shortcut, quiet=True)
    assert not r and "torch." in r.message, r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_logit_gradients_starter(fn):
    with pytest.raises(NotImplementedError):
        check_logit_gradients(fn, quiet=True)


# -- 4.3 -----------------------------------------------------------------------------------
def my_gradient_penalty(critic, real, fake, eps, lam):
    """The reference solution of exercise 4.3."""
    n = real.shape[0]
    e = eps.reshape(n, *([1] * (real.dim() - 1)))
    x_hat = (e * real + (1 - e) * fake).requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return lam * ((g.reshape(n, -1).norm(dim=1) - 1) ** 2).mean()


def test_gradient_penalty_accepts_reference():
    assert check_gradient_penalty(my_gradient_penalty, quiet=True)


def _variant(kind):
    def gp(critic, real, fake, eps, lam):
        n = real.shape[0]
        e = eps.reshape(n, *([1] * (real.dim() - 1)))
        x = {"swap": (1 - e) * real + e * fake, "fake": fake, "real": real}.get(kind, e * real + (1 - e) * fake)
        x = x.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
        norms = g.reshape(n, -1).norm(dim=1)
        if kind == "square":
            return lam * (norms**2).mean()
        if kind == "nolam":
            return ((norms - 1) ** 2).mean()
        if kind == "batch":
            return lam * (g.norm() - 1) ** 2
        if kind == "meanfirst":
            return lam * (norms.mean() - 1) ** 2
        return lam * ((norms - 1) ** 2).mean()
    return gp


@pytest.mark.parametrize("kind,word", [
    ("square", "not ‖∇f‖²"), ("nolam", "λ"), ("batch", "per sample"), ("swap", "other way round"),
    ("fake", "not at the fakes"), ("real", "not at the real"), ("meanfirst", "square of the mean"),
])
def test_gradient_penalty_rejects(kind, word):
    r = check_gradient_penalty(_variant(kind), quiet=True)
    assert not r
    assert word in r.message


def test_gradient_penalty_rejects_other_answers():
    r = check_gradient_penalty(lambda c, r, f, e, lam: torch.tensor(1.0), quiet=True)
    assert not r and "Interpolate per sample" in r.message
    r = check_gradient_penalty(lambda c, r, f, e, lam: torch.ones(3), quiet=True)
    assert not r and "scalar" in r.message


def _without_graph(critic, real, fake, eps, lam):
    """The right value, computed without create_graph=True: it cannot train a critic."""
    n = real.shape[0]
    e = eps.reshape(n, *([1] * (real.dim() - 1)))
    x_hat = (e * real + (1 - e) * fake).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
    return lam * ((g.reshape(n, -1).norm(dim=1) - 1) ** 2).mean()


def _detached_gradient(critic, real, fake, eps, lam):
    """create_graph=True, but the gradient is detached: a graph that misses the weights."""
    n = real.shape[0]
    e = eps.reshape(n, *([1] * (real.dim() - 1)))
    x_hat = (e * real + (1 - e) * fake).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return lam * ((g.detach().reshape(n, -1).norm(dim=1) - 1) ** 2).mean() + 0 * critic(x_hat).sum()


@pytest.mark.parametrize("wrong", [_without_graph, _detached_gradient])
def test_gradient_penalty_rejects_a_penalty_that_cannot_train_the_critic(wrong):
    r = check_gradient_penalty(wrong, quiet=True)
    assert not r and "create_graph=True" in r.message, r.message


def test_gradient_penalty_rejects_the_shortcut_through_gantools():
    """Interpolating x_hat by hand and handing it to gantools' penalty as both real and fake
    reproduces the reference exactly: the check forbids calling it."""
    from gantools.losses import gradient_penalty

    def shortcut(critic, real, fake, eps, lam):
        e = eps.reshape(-1, *([1] * (real.dim() - 1)))
        x_hat = e * real + (1 - e) * fake
        return gradient_penalty(critic, x_hat, x_hat, lam=lam)

    r = check_gradient_penalty(shortcut, quiet=True)
    assert not r and "gantools.losses.gradient_penalty" in r.message, r.message


@pytest.mark.parametrize("fn", [None, starter])
def test_gradient_penalty_starter(fn):
    with pytest.raises(NotImplementedError):
        check_gradient_penalty(fn, quiet=True)


def _backward_inside(critic, real, fake, eps, lam):
    """The right penalty, but backward() already consumed its graph."""
    gp = my_gradient_penalty(critic, real, fake, eps, lam)
    gp.backward()
    return gp


def test_gradient_penalty_rejects_a_penalty_whose_graph_is_spent():
    r = check_gradient_penalty(_backward_inside, quiet=True)
    assert not r and "cannot be differentiated" in r.message, r.message


def test_gradient_penalty_rejects_the_penalty_from_interpolate_gradients():
    from gantools.exercises.common import interpolate_gradients

    def shortcut(critic, real, fake, eps, lam):
        return lam * ((interpolate_gradients(critic, real, fake, eps).norm(dim=1) - 1) ** 2).mean()

    r = check_gradient_penalty(shortcut, quiet=True)
    assert not r and "interpolate_gradients" in r.message, r.message


def test_gradient_penalty_book_cases_are_the_chapters():
    """The book's critics and batches are those the check always used (seeded weights and data, eps seed 3)."""
    cases = check_gradient_penalty.spec.draw(None)
    assert [c["critic"] for c in cases] == ["linear", "mlp", "conv"]
    assert [len(c["real"]) for c in cases] == [8, 16, 6] and all(c["eps_seed"] == 3 and c["lam"] == 10.0 for c in cases)
    g = torch.Generator().manual_seed(0)
    first = torch.randn(8, 3, generator=g, dtype=torch.float64)
    assert cases[0]["real"] == first.tolist()
    critic, real, fake, eps = check_gradient_penalty.spec.build(cases[0])[:4]
    assert torch.equal(eps, torch.rand(8, generator=torch.Generator().manual_seed(3), dtype=torch.float64))
    state = torch.get_rng_state()
    check_gradient_penalty.spec.build(cases[1])
    assert torch.equal(state, torch.get_rng_state())  # building a critic leaves the caller's RNG alone


# -- fresh cases (what the grader draws for every submission) ---------------------------------
SEEDS = (0, 1, 2)
_BOOK_A = check_logit_gradients.spec.draw(None)[0]
_BOOK_LOGITS = {tuple(_BOOK_A): logit_gradients(np.array(_BOOK_A))}


def _logit_table(a):
    return _BOOK_LOGITS.get(tuple(a.tolist()), (np.zeros_like(a), -np.ones_like(a)))


def _book_penalty_table():
    """Each book case's penalty and its gradient with respect to the critic's weights, keyed by the first real number."""
    table = {}
    for case in check_gradient_penalty.spec.draw(None):
        critic, real, fake, eps, lam = check_gradient_penalty.spec.build(case)
        gp = my_gradient_penalty(critic, real, fake, eps, lam)
        params = list(critic.parameters())
        grads = torch.autograd.grad(gp, params, allow_unused=True)
        table[real.flatten()[0].item()] = (gp.item(), [torch.zeros_like(p) if g is None else g.detach()
                                                       for p, g in zip(params, grads, strict=True)])
    return table


_BOOK_GP = _book_penalty_table()


def _penalty_table(critic, real, fake, eps, lam):
    """The book's penalties and weight gradients, replayed: a constant with the stored gradient attached."""
    value, grads = _BOOK_GP.get(real.flatten()[0].item(), (1.0, None))
    params = list(critic.parameters())
    if grads is None:
        return torch.tensor(value, dtype=torch.float64)
    linear = sum((p * g).sum() for p, g in zip(params, grads, strict=True))
    return value + linear - linear.detach()


@pytest.mark.parametrize("check,solution", [
    (check_logit_gradients, logit_gradients), (check_gradient_penalty, my_gradient_penalty),
])
@pytest.mark.parametrize("seed", SEEDS)
def test_reference_passes_fresh_cases(check, solution, seed):
    status, message = evaluate(check.spec, solution, np.random.default_rng(seed))
    assert status == "pass", message


@pytest.mark.parametrize("check,wrong", [
    (check_logit_gradients, _d_space),
    (check_logit_gradients, lambda a: logit_gradients(a)[::-1]),
    (check_gradient_penalty, _variant("meanfirst")),
    (check_gradient_penalty, _without_graph),
])
@pytest.mark.parametrize("seed", SEEDS)
def test_wrong_answer_fails_fresh_cases(check, wrong, seed):
    assert evaluate(check.spec, wrong, np.random.default_rng(seed))[0] == "fail"


@pytest.mark.parametrize("check,table", [(check_logit_gradients, _logit_table), (check_gradient_penalty, _penalty_table)])
def test_a_table_of_the_book_outputs_passes_the_book_but_fails_fresh_cases(check, table):
    assert evaluate(check.spec, table)[0] == "pass"
    for seed in SEEDS:
        assert evaluate(check.spec, table, np.random.default_rng(seed))[0] == "fail"


@pytest.mark.parametrize("check", [check_logit_gradients, check_gradient_penalty])
def test_fresh_cases_are_new_and_reproducible(check):
    spec = check.spec
    assert spec.draw(np.random.default_rng(0)) != spec.draw(None)
    assert spec.draw(np.random.default_rng(0)) != spec.draw(np.random.default_rng(1))
    assert spec.draw(np.random.default_rng(5)) == spec.draw(np.random.default_rng(5))


def test_fresh_logits_cover_the_regimes():
    for seed in range(20):
        for case in check_logit_gradients.spec.draw(np.random.default_rng(seed)):
            a = np.abs(case)
            assert (a <= 5).any() and ((a > 5) & (a < 100)).any() and (np.array(case) > 300).any()
            assert (np.array(case) < -300).any() and not ((a > 19) & (a < 25)).any()


def test_fresh_critics_tell_the_wrong_penalties_apart():
    """On every draw each kind of critic appears, and each plausible wrong penalty fails."""
    for seed in range(4):
        cases = check_gradient_penalty.spec.draw(np.random.default_rng(seed))
        assert sorted(c["critic"] for c in cases) == ["conv", "linear", "mlp"]
        for kind in ("square", "nolam", "batch", "swap", "fake", "real", "meanfirst"):
            assert evaluate(check_gradient_penalty.spec, _variant(kind), np.random.default_rng(seed))[0] == "fail"


@pytest.mark.parametrize("check,right", [(check_gradient_ratio, 99.0)])
def test_value_exercise_judges_the_plain_value_only(check, right):
    class Liar(float):
        __eq__ = lambda self, other: True  # noqa: E731
        __hash__ = float.__hash__

    assert not check(Liar(50.0), quiet=True)
    assert not check(Liar(right), quiet=True)  # a float subclass is not a plain number: rejected
    assert not check("99", quiet=True)
    assert check(np.float64(right), quiet=True) and check(99, quiet=True)


def test_answers_stay_private():
    """No fail message of the chapter's checks states the expected value."""
    for check, wrong in [(check_gradient_ratio, 50.0), (check_gradient_penalty, lambda c, r, f, e, lam: torch.tensor(1.0))]:
        message = check(wrong, quiet=True).message
        assert "expected" not in message and "99" not in message, message
