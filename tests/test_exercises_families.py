"""The chapter 14 exercise checks accept the right answers (and an independent route), reject
plausible wrong ones with a targeted hint and the shortcuts, and treat the untouched starter
code as not attempted."""

import numpy as np
import pytest
import torch

from gantools.exercises.families import check_ddim_step_v, check_elbo_gap, check_one_step_std


def starter(*args):
    # YOUR CODE HERE
    raise NotImplementedError


def elbo_gap(x, q, w, mu, sd):
    q, w, mu, sd = (np.asarray(a, float) for a in (q, w, mu, sd))
    log_joint = np.log(w) - 0.5 * ((x - mu) / sd) ** 2 - np.log(sd * np.sqrt(2 * np.pi))
    log_p = np.log(np.exp(log_joint).sum())
    return float(log_p - (q * (log_joint - np.log(q))).sum())


def elbo_gap_by_sampling(x, q, w, mu, sd):
    """An independent route: E_q[log q - log p(z | x)] by Monte Carlo over z ~ q."""
    rng = np.random.default_rng(0)
    q, w, mu, sd = (np.asarray(a, float) for a in (q, w, mu, sd))
    joint = w * np.exp(-0.5 * ((x - mu) / sd) ** 2) / sd
    post = joint / joint.sum()
    z = rng.choice(len(q), size=2_000_000, p=q)
    return float(np.mean(np.log(q[z]) - np.log(post[z])))


def test_elbo_gap():
    assert check_elbo_gap(elbo_gap, quiet=True)
    for x, q, w, mu, sd in ((0.4, [0.5, 0.2, 0.3], [0.2, 0.3, 0.5], [-1.0, 0.5, 2.0], [0.5, 0.3, 0.8]),):
        assert abs(elbo_gap_by_sampling(x, q, w, mu, sd) - elbo_gap(x, q, w, mu, sd)) < 5e-3

    def reversed_kl(x, q, w, mu, sd):
        q, w, mu, sd = (np.asarray(a, float) for a in (q, w, mu, sd))
        joint = w * np.exp(-0.5 * ((x - mu) / sd) ** 2) / sd
        post = joint / joint.sum()
        return float((post * np.log(post / q)).sum())

    def no_entropy(x, q, w, mu, sd):
        q_ = np.asarray(q, float)
        return elbo_gap(x, q, w, mu, sd) - float((q_ * np.log(q_)).sum())

    for wrong, word in ((reversed_kl, "KL(posterior || q)"), (lambda *a: -elbo_gap(*a), "ELBO - log p"),
                        (no_entropy, "entropy"), (lambda *a: 0.5, "expected")):
        r = check_elbo_gap(wrong, quiet=True)
        assert not r and word in r.message, r.message

    def shortcut(x, q, w, mu, sd):
        from gantools.families.elbo import mixture_elbo

        return mixture_elbo(x, q, w, mu, sd)["kl"]

    r = check_elbo_gap(shortcut, quiet=True)
    assert not r and "mixture_elbo" in r.message, r.message
    with pytest.raises(NotImplementedError):
        check_elbo_gap(starter, quiet=True)


def ddim_step_v(x, v, a, a_prev):
    x0 = a**0.5 * x - (1 - a) ** 0.5 * v
    eps = (1 - a) ** 0.5 * x + a**0.5 * v
    return a_prev**0.5 * x0 + (1 - a_prev) ** 0.5 * eps


def test_ddim_step_v():
    assert check_ddim_step_v(ddim_step_v, quiet=True)
    # an independent route: build x from a known (x0, eps), form v, and check that one step lands
    # where the eps-form of DDIM (the chapter's) puts it
    x0, eps = torch.randn(4, 2, dtype=torch.float64), torch.randn(4, 2, dtype=torch.float64)
    a, a_prev = 0.3, 0.6
    x = a**0.5 * x0 + (1 - a) ** 0.5 * eps
    v = a**0.5 * eps - (1 - a) ** 0.5 * x0
    assert torch.allclose(ddim_step_v(x, v, a, a_prev), a_prev**0.5 * x0 + (1 - a_prev) ** 0.5 * eps)
    for wrong, word in ((lambda x, v, a, ap: ap**0.5 * (x - (1 - a) ** 0.5 * v) / a**0.5 + (1 - ap) ** 0.5 * v,
                         "v used as the noise"),  # the chapter's eps-step, pasted
                        (lambda x, v, a, ap: a**0.5 * x - (1 - a) ** 0.5 * v, "x0_hat"),
                        (lambda x, v, a, ap: ap**0.5 * (a**0.5 * x - (1 - a) ** 0.5 * v) + (1 - ap) ** 0.5 * v,
                         "not v"),
                        (lambda x, v, a, ap: x, "differs")):
        r = check_ddim_step_v(wrong, quiet=True)
        assert not r and word in r.message, r.message

    def shortcut(x, v, a, a_prev):
        from gantools.families.diffusion import ddim_sample

        eps = (1 - a) ** 0.5 * x + a**0.5 * v
        return ddim_sample(lambda *_: eps, x, np.array([1.0, a]), 1)

    assert not check_ddim_step_v(shortcut, quiet=True)
    with pytest.raises(NotImplementedError):
        check_ddim_step_v(starter, quiet=True)


def one_step_std(s, a):
    return a**0.5 * s**2 / (a * s**2 + 1 - a)


def test_one_step_std():
    assert check_one_step_std(one_step_std, quiet=True)
    # an independent route: regress x0 on x_T over simulated pairs; the slope is the gain
    rng = np.random.default_rng(1)
    s, a = 0.5, 0.01
    x0 = rng.normal(0, s, 1_000_000)
    xT = a**0.5 * x0 + (1 - a) ** 0.5 * rng.normal(size=x0.size)
    slope = np.cov(x0, xT)[0, 1] / xT.var()
    assert abs(slope * xT.std() - one_step_std(s, a)) < 2e-3 * one_step_std(s, a) + 1e-4
    for wrong, word in ((lambda s, a: s, "shrunken"), (lambda s, a: a * s**2 / (a * s**2 + 1 - a), "sqrt(a)"),
                        (lambda s, a: 0.004, "expected")):
        r = check_one_step_std(wrong, quiet=True)
        assert not r and word in r.message, r.message

    def shortcut(s, a):
        from gantools.families.diffusion import gaussian_ddim_std

        return gaussian_ddim_std(s, np.array([1.0, a]), 1)

    r = check_one_step_std(shortcut, quiet=True)
    assert not r and "gaussian_ddim_std" in r.message, r.message
    with pytest.raises(NotImplementedError):
        check_one_step_std(starter, quiet=True)
