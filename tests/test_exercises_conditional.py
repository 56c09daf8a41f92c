"""The chapter 11 exercise checks accept the reference answers, reject plausible wrong ones
with a targeted hint and the shortcuts (calling gantools' own function), and treat the
untouched starter code as not attempted; on fresh cases (what the grader draws) the right
answers pass, and wrong ones and tables of the book's outputs fail."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gantools.exercises.conditional import (
    check_acgan_losses,
    check_ignored_limit,
    check_label_mismatch_value,
    check_posterior_weights,
    check_z_share,
)
from gantools.exercises.protocol import evaluate

SEEDS = (0, 1, 2)


def fresh(check, answer, seed):
    """The status and message of ``answer`` on fresh cases drawn from ``seed``, as the grader judges."""
    return evaluate(check.spec, answer, np.random.default_rng(seed))


def book_table(check, answer, key):
    """A function that returns ``answer``'s outputs on the book's cases only (a lookup by ``key``)."""
    spec = check.spec
    table = {}
    for case in spec.draw(None):
        args = spec.build(case) if spec.build else tuple(case)
        table[key(*args)] = answer(*args)
    return lambda *args: table[key(*args)]


def starter(*args):
    # YOUR CODE HERE
    raise NotImplementedError


# -- 11.1 ----------------------------------------------------------------------------------------
def v_mismatch_reference():
    p, q = np.array([0.9, 0.1]), np.array([0.5, 0.5])
    m = (p + q) / 2
    return float(np.sum(p * np.log(p / m)) + np.sum(q * np.log(q / m)) - math.log(4))  # 2 JSD - log 4


def test_label_mismatch_accepts_the_value_and_an_independent_route():
    assert check_label_mismatch_value(v_mismatch_reference(), quiet=True)
    # by quadrature, with the chapter's machinery on two classes whose conditionals agree
    from gantools.conditional.theory import ClassConditional, optimal_discriminator, value
    from gantools.distributions import GaussianMixture

    classes = [GaussianMixture([0.0], [1.0]), GaussianMixture([2.0], [0.5])]
    pd, pg = ClassConditional(classes, [0.9, 0.1]), ClassConditional(classes, [0.5, 0.5])
    v = value(optimal_discriminator(pd, pg).logit, pd, pg)
    assert abs(v - v_mismatch_reference()) < 1e-8
    assert check_label_mismatch_value(v, quiet=True)


@pytest.mark.parametrize("wrong,word", [(-math.log(4), "joints are equal"), (None, None)])
def test_label_mismatch_rejects(wrong, word):
    if wrong is None:
        with pytest.raises(NotImplementedError):
            check_label_mismatch_value(None, quiet=True)
        return
    r = check_label_mismatch_value(wrong, quiet=True)
    assert not r and word in r.message


def test_label_mismatch_known_wrong_values():
    v = v_mismatch_reference()
    jsd = (v + math.log(4)) / 2
    for wrong, word in ((2 * jsd / math.log(2) - math.log(4), "bits"), (jsd - math.log(4), "factor 2"),
                        (2 * jsd, "log 4"), (v + 0.01, "JSD")):
        r = check_label_mismatch_value(wrong, quiet=True)
        assert not r and word in r.message, (wrong, r.message)


# -- 11.2 ----------------------------------------------------------------------------------------
def posterior_weights(means, stds, prior):
    """The reference: log p(y) + log N(x; mu, s^2) = w . (1, x, x^2) - log sqrt(2 pi)."""
    return np.stack([np.log(prior) - np.log(stds) - means**2 / (2 * stds**2), means / stds**2,
                     -1 / (2 * stds**2)], axis=1)


def test_posterior_weights_accepts_reference_and_any_common_shift():
    assert check_posterior_weights(posterior_weights, quiet=True)
    assert check_posterior_weights(lambda m, s, p: posterior_weights(m, s, p) + np.array([3.0, -1.0, 0.2]),
                                   quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (lambda m, s, p: posterior_weights(m, s, p) - np.stack([np.log(p), 0 * m, 0 * m], 1), "log prior"),
    (lambda m, s, p: posterior_weights(m, s, p) + np.stack([np.log(s), 0 * m, 0 * m], 1), "normaliser"),
    (lambda m, s, p: np.stack([np.log(p) - np.log(s) - m**2 / (2 * s), m / s, -1 / (2 * s)], 1), "standard deviation"),
    (lambda m, s, p: posterior_weights(m, s, p)[:, ::-1], "differs from p(y|x)"),
    (lambda m, s, p: posterior_weights(m, s, p)[:2], "shape"),
])
def test_posterior_weights_rejects(wrong, word):
    r = check_posterior_weights(wrong, quiet=True)
    assert not r and word in r.message, r.message


def test_posterior_weights_rejects_the_shortcuts():
    from gantools.conditional.theory import ClassConditional, softmax_weights
    from gantools.distributions import GaussianMixture

    def via_gantools(m, s, p):
        return softmax_weights(ClassConditional([GaussianMixture([a], [b]) for a, b in zip(m, s, strict=True)], p))

    r = check_posterior_weights(via_gantools, quiet=True)
    assert not r and "softmax_weights" in r.message
    with pytest.raises(NotImplementedError):
        check_posterior_weights(starter, quiet=True)


# -- 11.3 ----------------------------------------------------------------------------------------
def my_z_share(stat):
    s = np.asarray(stat, dtype=float)
    c = s - s.mean(0, keepdims=True)
    return float(s.shape[1] * np.sum(c.mean(1) ** 2) / np.sum(c**2))


def via_least_squares(stat):
    """An independent route: regress the class-centred statistic on one-hot z indicators."""
    s = np.asarray(stat, dtype=float)
    n, k = s.shape
    c = (s - s.mean(0)).reshape(-1)
    x = np.repeat(np.eye(n), k, axis=0)
    fitted = x @ np.linalg.lstsq(x, c, rcond=None)[0]
    return float(np.sum(fitted**2) / np.sum(c**2))


def test_z_share_accepts_reference_and_regression():
    assert check_z_share(my_z_share, quiet=True)
    assert check_z_share(via_least_squares, quiet=True)


@pytest.mark.parametrize("wrong,word", [
    (lambda s: float(s.shape[1] * np.sum((s - s.mean()).mean(1) ** 2) / np.sum((s - s.mean()) ** 2)), "class means"),
    (lambda s: my_z_share(s) / s.shape[1], "multiply"),
    (lambda s: math.sqrt(my_z_share(s)), "sums of squares"),
    (lambda s: 0.5, "not the share"),
])
def test_z_share_rejects(wrong, word):
    r = check_z_share(wrong, quiet=True)
    assert not r and word in r.message, r.message


def test_z_share_rejects_the_shortcut():
    from gantools.conditional.scores import z_share

    r = check_z_share(lambda s: z_share(s), quiet=True)
    assert not r and "z_share" in r.message
    with pytest.raises(NotImplementedError):
        check_z_share(starter, quiet=True)


# -- 11.4 ----------------------------------------------------------------------------------------
def acgan_losses(adv_real, adv_fake, cls_real, cls_fake, y_real, y_fake):
    ce_fake = F.cross_entropy(cls_fake, y_fake)
    loss_d = F.softplus(-adv_real).mean() + F.softplus(adv_fake).mean() + F.cross_entropy(cls_real, y_real) + ce_fake
    return loss_d, F.softplus(-adv_fake).mean() + ce_fake


def test_acgan_losses_accepts_reference_and_the_trainers_objectives_agree():
    assert check_acgan_losses(acgan_losses, quiet=True)
    from gantools.exercises.conditional import _acgan_batch
    from gantools.imagegan import config_for, get_model

    spec = get_model("cdcgan").for_config(config_for("cdcgan", conditioning="acgan"))
    for batch in (_acgan_batch(5), _acgan_batch(123456, 40, 7)):
        ar, af, cr, cf, yr, yf = batch
        d, g = acgan_losses(ar, af, cr, cf, yr, yf)
        assert abs(float(spec.d_objective((ar, cr), (af, cf), yr, yf)) - float(d)) < 1e-6
        assert abs(float(spec.g_objective((af, cf), yf)) - float(g)) < 1e-6


def real_only(ar, af, cr, cf, yr, yf):
    d, g = acgan_losses(ar, af, cr, cf, yr, yf)
    return d - F.cross_entropy(cf, yf), g


def minimax(ar, af, cr, cf, yr, yf):
    d, _ = acgan_losses(ar, af, cr, cf, yr, yf)
    return d, -F.softplus(af).mean() + F.cross_entropy(cf, yf)


def fights(ar, af, cr, cf, yr, yf):
    d, _ = acgan_losses(ar, af, cr, cf, yr, yf)
    return d, F.softplus(-af).mean() - F.cross_entropy(cf, yf)


@pytest.mark.parametrize("wrong,word", [(real_only, "generated images too"), (minimax, "non-saturating"),
                                        (fights, "minimises"),
                                        (lambda *a: (torch.tensor(1.0), torch.tensor(2.0)), "not right"),
                                        (lambda *a: 3.0, "two numbers")])
def test_acgan_losses_rejects(wrong, word):
    r = check_acgan_losses(wrong, quiet=True)
    assert not r and word in r.message, r.message


def test_acgan_losses_rejects_the_trainers_objectives():
    from gantools.imagegan import config_for, get_model

    spec = get_model("cdcgan").for_config(config_for("cdcgan", conditioning="acgan"))

    def via_trainer(ar, af, cr, cf, yr, yf):
        return spec.d_objective((ar, cr), (af, cf), yr, yf), spec.g_objective((af, cf), yf)

    r = check_acgan_losses(via_trainer, quiet=True)
    assert not r and "d_objective" in r.message, r.message
    with pytest.raises(NotImplementedError):
        check_acgan_losses(starter, quiet=True)


# -- 11.5 ----------------------------------------------------------------------------------------
def v_ignored_limit(prior):
    """The reference: D*(x, y) = 1 / (1 + pi_y) on class y's region, 0 on the others."""
    p = np.asarray(prior, dtype=float)
    return float(np.sum(p * (p * np.log(p) - (1 + p) * np.log1p(p))))


def v_by_brute_force(prior):
    """An independent route: K classes, each a discrete distribution on its own 5 points (no
    point shared), the data's joint table P(x, y) = pi_y p(x|y) against the label-ignoring
    generator's Q(x, y) = pi_y p(x), and V = sum P log D* + sum Q log(1 - D*) with
    D* = P / (P + Q), summed cell by cell (0 log 0 = 0)."""
    pi = np.asarray(prior, dtype=float)
    k = len(pi)
    rng = np.random.default_rng(k)
    cond_x = np.zeros((k, 5 * k))  # p(x|y): class y lives on the points 5y, ..., 5y + 4
    for y in range(k):
        cond_x[y, 5 * y:5 * y + 5] = rng.dirichlet(np.ones(5))
    marginal = pi @ cond_x
    big_p, big_q = pi[:, None] * cond_x, pi[:, None] * marginal[None, :]
    total = 0.0
    for a, b in zip(big_p.ravel(), big_q.ravel(), strict=True):
        if a > 0:
            total += a * math.log(a / (a + b))
        if b > 0:
            total += b * math.log(b / (a + b))
    return total


def v_by_quadrature(prior, gap=40.0):
    """A second route, with the chapter's quadrature: classes N(gap * y, 1) so far apart that
    they do not overlap (the check forbids this route to a student: it is gantools' own)."""
    from gantools.conditional.theory import ClassConditional, optimal_discriminator, value
    from gantools.distributions import GaussianMixture

    pd = ClassConditional([GaussianMixture([gap * y], [1.0]) for y in range(len(prior))], list(prior))
    pg = ClassConditional([pd.marginal] * len(prior), list(prior))
    return value(optimal_discriminator(pd, pg).logit, pd, pg)


def test_ignored_limit_accepts_reference_and_brute_force():
    assert check_ignored_limit(v_ignored_limit, quiet=True)
    assert check_ignored_limit(v_by_brute_force, quiet=True)
    assert check_ignored_limit(lambda p: list(p) and np.float32(v_ignored_limit(p)), quiet=True)  # float32: 1e-7


@pytest.mark.parametrize("prior", [(0.5, 0.5), (0.6, 0.3, 0.1), (0.25,) * 4])
def test_ignored_limit_routes_agree(prior):
    assert abs(v_by_brute_force(prior) - v_ignored_limit(prior)) < 1e-12
    assert abs(v_by_quadrature(prior) - v_ignored_limit(prior)) < 1e-8
    # and with classes that overlap, the value is lower: the limit is approached from below
    assert v_by_quadrature(prior, gap=2.0) < v_ignored_limit(prior) - 0.01


def _kl_route(prior):
    p = np.asarray(prior)
    return float(-2 * np.sum(p * np.log(p)) - math.log(4))


@pytest.mark.parametrize("wrong,word", [
    (lambda p: -math.log(4), "ignores y"),
    (lambda p: 0.0, "joints overlap"),
    (lambda p: (v_ignored_limit(p) + math.log(4)) / 2, "2 E_y JSD - log 4"),
    (lambda p: float(-np.sum(p * np.log1p(p))), "real pairs' term only"),
    (lambda p: float(-np.sum(p * (1 + p) * np.log1p(p))), "not 1 / (1 + pi_y)"),
    (lambda p: float(np.sum(p * (p * np.log(p) + (1 + p) * np.log1p(p)))), "a sign"),
    (_kl_route, "mutual information"),
    (lambda p: v_ignored_limit(np.full(len(p), 1 / len(p))), "number of classes"),
    (lambda p: v_ignored_limit((0.7, 0.2, 0.1)), "depends on the label distribution"),  # one right value pasted
    (lambda p: v_ignored_limit(p) + 0.01, "not V(D*, G)"),
    (lambda p: np.zeros(len(p)), "one finite number"),
])
def test_ignored_limit_rejects(wrong, word):
    r = check_ignored_limit(wrong, quiet=True)
    assert not r and word in r.message, r.message


def test_ignored_limit_rejects_the_shortcuts():
    from gantools.exercises.conditional import ignored_limit_truth

    r = check_ignored_limit(v_by_quadrature, quiet=True)
    assert not r and "gantools.conditional.theory" in r.message, r.message
    r = check_ignored_limit(lambda p: ignored_limit_truth(p), quiet=True)
    assert not r and "ignored_limit_reference" in r.message, r.message
    with pytest.raises(NotImplementedError):
        check_ignored_limit(starter, quiet=True)
    with pytest.raises(NotImplementedError):
        check_ignored_limit(None, quiet=True)



# -- the grader's fresh cases ------------------------------------------------------------------
class Liar(float):
    """A number that claims to equal everything."""

    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


@pytest.mark.parametrize("value", [Liar(v_mismatch_reference()), Liar(0.0)])
def test_label_mismatch_rejects_a_number_that_equals_everything(value):
    r = check_label_mismatch_value(value, quiet=True)
    assert not r and "Liar" in r.message, r.message
    assert check_label_mismatch_value(float(Liar(v_mismatch_reference())), quiet=True)  # its plain value is right


def test_label_mismatch_is_one_value():
    spec = check_label_mismatch_value.spec
    assert not spec.call and spec.draw(np.random.default_rng(0)) == spec.draw(None) == [None]
    assert evaluate(spec, v_mismatch_reference(), np.random.default_rng(0))[0] == "pass"
    assert evaluate(spec, -math.log(4), np.random.default_rng(0))[0] == "fail"


def _losses_as_floats(*args):
    return tuple(float(v) for v in acgan_losses(*args))


FRESH = [  # (check, a right answer, a plausible wrong one and a word of its hint, the key of a book table)
    (check_posterior_weights, posterior_weights,
     lambda m, s, p: posterior_weights(m, s, p) - np.stack([np.log(p), 0 * m, 0 * m], 1), "log prior",
     lambda m, s, p: tuple(m) + tuple(s) + tuple(p)),
    (check_z_share, my_z_share, lambda s: math.sqrt(my_z_share(s)), "sums of squares",
     lambda s: (s.shape, float(s[0, 0]))),
    (check_acgan_losses, _losses_as_floats, minimax, "non-saturating", lambda ar, *rest: float(ar[0])),
    (check_ignored_limit, v_ignored_limit, _kl_route, "mutual information", lambda p: tuple(p)),
]
IDS = ["11.2", "11.3", "11.4", "11.5"]


@pytest.mark.parametrize("check,right,wrong,word,key", FRESH, ids=IDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_right_answers_pass_on_fresh_cases(check, right, wrong, word, key, seed):
    assert fresh(check, right, seed)[0] == "pass"


@pytest.mark.parametrize("check,right,wrong,word,key", FRESH, ids=IDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_wrong_answers_fail_on_fresh_cases(check, right, wrong, word, key, seed):
    status, message = fresh(check, wrong, seed)
    assert status == "fail" and word in message, message


@pytest.mark.parametrize("check,right,wrong,word,key", FRESH, ids=IDS)
def test_a_table_of_the_books_outputs_fails_on_fresh_cases(check, right, wrong, word, key):
    table = book_table(check, right, key)
    assert evaluate(check.spec, table)[0] == "pass"  # it does pass the book's cases
    for seed in SEEDS:
        assert fresh(check, table, seed)[0] == "fail"


@pytest.mark.parametrize("check", [c[0] for c in FRESH], ids=IDS)
def test_fresh_cases_are_new_and_reproducible(check):
    spec = check.spec
    book = spec.draw(None)
    drawn = [spec.draw(np.random.default_rng(s)) for s in SEEDS]
    assert all(d != book and len(d) == len(book) for d in drawn)
    assert drawn[0] != drawn[1]
    assert spec.draw(np.random.default_rng(7)) == spec.draw(np.random.default_rng(7))


def test_fresh_cases_cover_the_books_regimes():
    for seed in range(20):
        rng = np.random.default_rng(seed)
        w = check_posterior_weights.spec.draw(rng)
        assert len(set(w[1]["stds"])) == 1 and all(len(set(c["stds"])) > 1 for c in (w[0], w[2]))
        assert all(min(c["prior"]) > 0.03 and abs(sum(c["prior"]) - 1) < 1e-12 for c in w)
        z = check_z_share.spec.draw(rng)
        assert abs(my_z_share(np.array(z[0]["stat"])) - 1) < 1e-12 and np.array(z[3]["stat"]).shape[1] == 2
        priors = check_ignored_limit.spec.draw(rng)
        assert all(abs(sum(p) - 1) < 1e-12 and min(p) > 0 for p in priors)
        assert len(set(priors[3])) == 1 and min(priors[5]) < 0.011 and max(len(p) for p in priors) >= 8
        assert {len(p) for p in priors} >= {2, 3}


def test_the_references_are_not_copies_of_a_natural_answer():
    """The tripwire rejects an answer whose code is a copy of a reference's: the answers a student
    writes most naturally (the chapter's solutions) are not."""
    def z_natural(stat):
        s = np.asarray(stat, dtype=float)
        c = s - s.mean(0, keepdims=True)
        return float(s.shape[1] * np.sum(c.mean(1) ** 2) / np.sum(c**2))

    def v_natural(prior):
        p = np.asarray(prior, dtype=float)
        return float(np.sum(p * (p * np.log(p) - (1 + p) * np.log1p(p))))

    def w_natural(means, stds, prior):
        m, s, p = (np.asarray(a, dtype=float) for a in (means, stds, prior))
        return np.stack([np.log(p) - np.log(s) - m**2 / (2 * s**2), m / s**2, -1 / (2 * s**2)], axis=1)

    assert check_z_share(z_natural, quiet=True)
    assert check_ignored_limit(v_natural, quiet=True)
    assert check_posterior_weights(w_natural, quiet=True)
