"""The chapter 14 exercise checks accept the right answers (and an independent route), reject
plausible wrong ones with a targeted hint and the shortcuts, and treat the untouched starter
code as not attempted."""

import numpy as np
import pytest
import torch

from gantools.exercises.families import check_ddim_step_v, check_elbo_gap, check_loss_floor, check_one_step_std
from gantools.exercises.protocol import evaluate

SEEDS = (0, 1, 2)


def fresh(check, answer, seed):
    """(status, message) of ``answer`` on the cases the grader would draw from ``seed``."""
    return evaluate(check.spec, answer, np.random.default_rng(seed))


@pytest.mark.parametrize("check", [check_elbo_gap, check_ddim_step_v, check_one_step_std, check_loss_floor])
def test_fresh_cases_are_new_and_reproducible(check):
    book = check.spec.draw(None)
    assert check.spec.draw(np.random.default_rng(7)) == check.spec.draw(np.random.default_rng(7))
    assert check.spec.draw(np.random.default_rng(7)) != check.spec.draw(np.random.default_rng(8))
    for seed in SEEDS:
        drawn = check.spec.draw(np.random.default_rng(seed))
        assert drawn != book and len(drawn) >= len(book)


def starter(*args):
    # YOUR CODE HERE
    raise NotImplementedError


def elbo_gap(x, q, w, mu, sd):
    q, w, mu, sd = (np.asarray(v, dtype=float) for v in (q, w, mu, sd))
    log_joint = np.log(w) - 0.5 * ((x - mu) / sd) ** 2 - np.log(sd * np.sqrt(2 * np.pi))
    log_p = np.log(np.exp(log_joint).sum())
    return float(log_p - (q * (log_joint - np.log(q))).sum())


def elbo_gap_by_sampling(x, q, w, mu, sd):
    """An independent route: E_q[log q - log p(z | x)] by Monte Carlo over z ~ q."""
    rng = np.random.default_rng(0)
    q, w, mu, sd = (np.asarray(v, dtype=float) for v in (q, w, mu, sd))
    joint = w * np.exp(-0.5 * ((x - mu) / sd) ** 2) / sd
    post = joint / joint.sum()
    z = rng.choice(len(q), size=2_000_000, p=q)
    return float(np.mean(np.log(q[z]) - np.log(post[z])))


def test_elbo_gap():
    assert check_elbo_gap(elbo_gap, quiet=True)
    for x, q, w, mu, sd in ((0.4, [0.5, 0.2, 0.3], [0.2, 0.3, 0.5], [-1.0, 0.5, 2.0], [0.5, 0.3, 0.8]),):
        assert abs(elbo_gap_by_sampling(x, q, w, mu, sd) - elbo_gap(x, q, w, mu, sd)) < 5e-3

    def reversed_kl(x, q, w, mu, sd):
        q, w, mu, sd = (np.asarray(v, dtype=float) for v in (q, w, mu, sd))
        joint = w * np.exp(-0.5 * ((x - mu) / sd) ** 2) / sd
        post = joint / joint.sum()
        return float((post * np.log(post / q)).sum())

    def no_entropy(x, q, w, mu, sd):
        q_ = np.asarray(q, float)
        return elbo_gap(x, q, w, mu, sd) - float((q_ * np.log(q_)).sum())

    for wrong, word in ((reversed_kl, "KL(posterior || q)"), (lambda *a: -elbo_gap(*a), "ELBO - log p"),
                        (no_entropy, "entropy"), (lambda *a: 0.5, "not the gap")):
        r = check_elbo_gap(wrong, quiet=True)
        assert not r and word in r.message, r.message

    def shortcut(x, q, w, mu, sd):
        from gantools.families.theory import mixture_elbo

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
                        (lambda s, a: 0.004, "not the output's std")):
        r = check_one_step_std(wrong, quiet=True)
        assert not r and word in r.message, r.message

    def shortcut(s, a):
        from gantools.families.diffusion import gaussian_ddim_std

        return gaussian_ddim_std(s, np.array([1.0, a]), 1)

    r = check_one_step_std(shortcut, quiet=True)
    assert not r and "gaussian_ddim_std" in r.message, r.message
    with pytest.raises(NotImplementedError):
        check_one_step_std(starter, quiet=True)


def loss_floor(s, abar):
    a = np.asarray(abar, float)[1:]
    return float(np.mean(a * s**2 / (a * s**2 + 1 - a)))


def loss_floor_by_least_squares(s, abar):
    """An independent route: at every t, the best predictor of eps among cubic polynomials in
    x_t, fitted by least squares with exact Gauss-Hermite expectations over (x_0, eps); its
    residual is the floor (the optimum for Gaussian data lies in that class)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(12)  # exact to degree 23
    u, e = (g.ravel() for g in np.meshgrid(nodes, nodes))  # x_0 = s u, eps = e
    w = np.outer(weights, weights).ravel() / (2 * np.pi)
    a = np.asarray(abar, float)[1:, None]
    x_t = np.sqrt(a) * s * u + np.sqrt(1 - a) * e  # (T, n^2)
    phi = np.stack([x_t**k for k in range(4)], axis=-1)  # (T, n^2, 4)
    gram = np.einsum("q,tqi,tqj->tij", w, phi, phi)
    coef = np.linalg.solve(gram, np.einsum("q,q,tqi->ti", w, e, phi)[..., None])[..., 0]
    residual = e - np.einsum("tqi,ti->tq", phi, coef)
    return float((residual**2 @ w).mean())


def test_loss_floor():
    from gantools.distributions import GaussianMixture
    from gantools.families import linear_alpha_bar, mixture_eps

    assert check_loss_floor(loss_floor, quiet=True)
    assert check_loss_floor(loss_floor_by_least_squares, quiet=True)
    # and the floor is what the exact denoiser's loss measures, sampled
    abar, s = np.exp(-np.linspace(0.0, 4.0, 41)), 0.7
    eps_star = mixture_eps(GaussianMixture([0.0], [s]), abar, mean=0.0, scale=1.0)
    gen = torch.Generator().manual_seed(0)
    x0 = s * torch.randn(40, 20_000, 1, generator=gen, dtype=torch.float64)
    noise = torch.randn(40, 20_000, 1, generator=gen, dtype=torch.float64)
    sq = torch.stack([(noise[t - 1] - eps_star(abar[t] ** 0.5 * x0[t - 1] + (1 - abar[t]) ** 0.5 * noise[t - 1], t))
                      ** 2 for t in range(1, 41)])
    sampled, se = float(sq.mean()), float(sq.std()) / np.sqrt(sq.numel())
    assert abs(sampled - loss_floor(s, abar)) < 4 * se, (sampled, loss_floor(s, abar), se)

    def tail(s, abar):
        return np.asarray(abar, float)[1:]

    def var_x0(s, abar):
        a = np.asarray(abar, float)[1:]
        return float(np.mean(s**2 * (1 - a) / (a * s**2 + 1 - a)))

    for wrong, word in ((lambda s, abar: 0.0, "positive loss"),
                        (lambda s, abar: loss_floor(1.0, abar) if s != 1.0 else 0.3, "unit-variance"),
                        (lambda s, abar: 1 - loss_floor(s, abar), "can* predict"),  # the explained part, E[eps*^2]
                        (var_x0, "predicts x_0"),
                        (lambda s, abar: float(np.mean(tail(s, abar) / (tail(s, abar) * s**2 + 1 - tail(s, abar)))),
                         "s^2 is missing"),
                        (lambda s, abar: loss_floor(s, np.append(1.0, abar)), "abar_0 = 1"),  # t from 0
                        (lambda s, abar: loss_floor(s, abar) * (len(abar) - 1), "summed"),
                        (lambda s, abar: loss_floor(s, [1.0, float(np.mean(tail(s, abar)))]), "not linear"),
                        (lambda s, abar: float(np.mean(np.sqrt(tail(s, abar) * s**2 / (
                            tail(s, abar) * s**2 + 1 - tail(s, abar))))), "square root"),
                        (lambda s, abar: loss_floor(0.5, linear_alpha_bar(1000)), "the same number"),
                        (lambda s, abar: 0.25, "not the floor")):
        r = check_loss_floor(wrong, quiet=True)
        assert not r and word in r.message, r.message

    def shortcut(s, abar):  # one DDIM step's gain times sqrt(abar) is the per-t floor
        from gantools.families.diffusion import gaussian_ddim_std

        return float(np.mean([a**0.5 * gaussian_ddim_std(s, np.array([1.0, a]), 1) for a in abar[1:]]))

    ab = linear_alpha_bar(1000)
    assert abs(shortcut(0.5, ab) - loss_floor(0.5, ab)) < 1e-12  # right value, forbidden route
    r = check_loss_floor(shortcut, quiet=True)
    assert not r and "gaussian_ddim_std" in r.message, r.message

    def through_mixture_eps(s, abar):  # gantools' exact denoiser, forbidden
        eps = mixture_eps(GaussianMixture([0.0], [s]), abar, mean=0.0, scale=1.0)
        return float(eps(torch.zeros(1, 1, dtype=torch.float64), 1)[0, 0])

    r = check_loss_floor(through_mixture_eps, quiet=True)
    assert not r and "mixture_eps" in r.message, r.message
    with pytest.raises(NotImplementedError):
        check_loss_floor(starter, quiet=True)


# -- fresh cases: what the grader draws for every submission -------------------------------------
_BOOK = {name: check.spec.draw(None) for name, check in (("elbo", check_elbo_gap), ("ddim", check_ddim_step_v),
                                                         ("std", check_one_step_std), ("floor", check_loss_floor))}


def _reversed_kl(x, q, w, mu, sd):
    q, w, mu, sd = (np.asarray(v, dtype=float) for v in (q, w, mu, sd))
    joint = w * np.exp(-0.5 * ((x - mu) / sd) ** 2) / sd
    post = joint / joint.sum()
    return float((post * np.log(post / q)).sum())


_ELBO_TABLE = {c[0]: elbo_gap(*c) for c in _BOOK["elbo"]}


@pytest.mark.parametrize("seed", SEEDS)
def test_elbo_gap_fresh(seed):
    assert fresh(check_elbo_gap, elbo_gap, seed)[0] == "pass"
    status, message = fresh(check_elbo_gap, _reversed_kl, seed)
    assert status == "fail" and "KL(posterior || q)" in message, message
    status, message = fresh(check_elbo_gap, lambda x, *rest: _ELBO_TABLE.get(x, 0.1), seed)  # the book's outputs
    assert status == "fail", message
    cases = check_elbo_gap.spec.draw(np.random.default_rng(seed))
    assert {len(c[1]) for c in cases} == {2, 3, 4} and all(min(c[1]) > 0 for c in cases)
    assert all(abs(sum(c[1]) - 1) < 1e-12 and abs(sum(c[2]) - 1) < 1e-12 for c in cases)


def _v_as_noise(x, v, a, a_prev):  # the chapter's eps-step with v in place of eps
    return a_prev**0.5 * (x - (1 - a) ** 0.5 * v) / a**0.5 + (1 - a_prev) ** 0.5 * v


def _ddim_table():
    table = {}
    for a, a_prev, seed in _BOOK["ddim"]:
        g = torch.Generator().manual_seed(seed)
        x, v = (torch.randn(5, 2, generator=g, dtype=torch.float64) for _ in range(2))
        table[(a, a_prev)] = ddim_step_v(x, v, a, a_prev)
    return table


_DDIM_TABLE = _ddim_table()


@pytest.mark.parametrize("seed", SEEDS)
def test_ddim_step_v_fresh(seed):
    assert fresh(check_ddim_step_v, ddim_step_v, seed)[0] == "pass"
    status, message = fresh(check_ddim_step_v, _v_as_noise, seed)
    assert status == "fail" and "v used as the noise" in message, message
    status, message = fresh(check_ddim_step_v, lambda x, v, a, ap: _DDIM_TABLE.get((a, ap), x), seed)
    assert status == "fail", message
    cases = check_ddim_step_v.spec.draw(np.random.default_rng(seed))
    assert all(0 < a < a_prev <= 1 for a, a_prev, *_ in cases) and cases[-1][1] == 1.0


def test_ddim_step_v_leaves_the_callers_rng_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    fresh(check_ddim_step_v, ddim_step_v, 0)
    assert torch.equal(before, torch.get_rng_state())


_STD_TABLE = {(s, a): one_step_std(s, a) for s, a in _BOOK["std"]}


@pytest.mark.parametrize("seed", SEEDS)
def test_one_step_std_fresh(seed):
    assert fresh(check_one_step_std, one_step_std, seed)[0] == "pass"
    status, message = fresh(check_one_step_std, lambda s, a: a * s**2 / (a * s**2 + 1 - a), seed)
    assert status == "fail" and "not a" in message, message
    status, message = fresh(check_one_step_std, lambda s, a: _STD_TABLE.get((s, a), 0.004), seed)
    assert status == "fail", message
    cases = check_one_step_std.spec.draw(np.random.default_rng(seed))
    assert cases[0][1] < 1e-3 and cases[-1][1] > 0.7  # DDPM's tiny abar_T and a nearly clean one


_FLOOR_TABLE = {(s, len(abar)): loss_floor(s, abar) for s, abar in _BOOK["floor"]}


@pytest.mark.parametrize("seed", SEEDS)
def test_loss_floor_fresh(seed):
    assert fresh(check_loss_floor, loss_floor, seed)[0] == "pass"
    assert fresh(check_loss_floor, loss_floor_by_least_squares, seed)[0] == "pass"  # the independent route
    status, message = fresh(check_loss_floor, lambda s, abar: loss_floor(s, np.append(1.0, abar)), seed)
    assert status == "fail" and "abar_0 = 1" in message, message
    status, message = fresh(check_loss_floor, lambda s, abar: _FLOOR_TABLE.get((s, len(abar)), 0.25), seed)
    assert status == "fail", message
    cases = check_loss_floor.spec.draw(np.random.default_rng(seed))
    assert [s < 1 for s, _ in cases] == [True, False, False, True] and cases[1][0] == 1.0
    assert all(ab[0] == 1.0 and all(0 < a < 1 for a in ab[1:]) for _, ab in cases)
    assert len(cases[2][1]) <= 31  # the short schedule, where counting abar_0 shows


def test_loss_floor_gets_a_numpy_array():
    assert check_loss_floor(lambda s, abar: loss_floor(s, abar) if type(abar) is np.ndarray else 0.0, quiet=True)
