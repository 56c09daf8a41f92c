"""Helpers of the exercise tests that play the grader: an answer made of the book's outputs, and
the verdict on the fresh cases the grader draws."""

import numpy as np
import torch

from gantools.exercises.protocol import evaluate


def _key(args) -> tuple:
    """The arguments of one call as a dictionary key (a callable counts by its output on 1)."""
    out = []
    for a in args:
        if callable(a):
            a = a(torch.ones(()))
        a = a.detach().numpy() if isinstance(a, torch.Tensor) else a
        out.append(np.asarray(a, dtype=float).round(9).tobytes() if np.ndim(a) else round(float(a), 9))
    return tuple(out)


def book_table(check, solution):
    """An answer that returns the right values on the book's cases only (the first one elsewhere): a
    table of outputs copied from the page or from a classmate."""
    spec = check.spec
    rows = {}
    for case in spec.draw(None):
        args = spec.build(case) if spec.build else tuple(case)
        rows[_key(args)] = solution(*args)
    first = next(iter(rows.values()))

    def table(*args):
        return rows.get(_key(args), first)

    return table


def fresh(check, answer, seed):
    """(status, message) of ``answer`` on the fresh cases the grader draws from ``seed``."""
    return evaluate(check.spec, answer, np.random.default_rng(seed))


class Liar(float):
    """A number that claims to equal everything."""

    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


def assert_plain_values_only(check, right):
    """A value exercise accepts the right number, and rejects a float subclass (whatever it claims)
    and a function."""
    assert check(right, quiet=True)
    for liar in (Liar(right), Liar(0.0)):  # a float subclass is not a plain number: rejected, never trusted
        r = check(liar, quiet=True)
        assert not r and "not numbers" in r.message, r.message
    r = check(lambda: right, quiet=True)
    assert not r and "value" in r.message, r.message
