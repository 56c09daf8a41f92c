"""The chapter 4 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint, and raise NotImplementedError on the untouched starter code."""

import numpy as np
import pytest
import torch
from scipy.special import expit

from gantools.exercises import check_gradient_penalty, check_gradient_ratio, check_logit_gradients


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
