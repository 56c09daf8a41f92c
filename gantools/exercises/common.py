"""The shared machinery of the exercise checks."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..distributions import GaussianMixture, Uniform


@dataclass
class Result:
    """The outcome of a check: truthy when passed; ``message`` says why (with a hint)."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return ("PASS: " if self.passed else "FAIL: ") + self.message


def report(passed: bool, ok: str, hint: str, quiet: bool = False) -> Result:
    """Build a Result and print it (unless quiet)."""
    r = Result(bool(passed), ok if passed else hint)
    if not quiet:
        print(repr(r))
    return r


def close(a, b, tol: float) -> bool:
    """abs(a - b) <= tol for finite numbers (False for NaN or non-numbers)."""
    try:
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        return False
    return math.isfinite(a) and math.isfinite(b) and abs(a - b) <= tol


def first_wrong(got, wrongs, same, expected=None) -> str | None:
    """The hint of the first ``(value, hint)`` of ``wrongs`` that ``got`` matches (``same(got, value)``),
    skipping a wrong value that coincides with ``expected`` at this input; None when none matches."""
    if got is None:
        return None
    for value, hint in wrongs:
        if same(got, value) and (expected is None or not same(value, expected)):
            return hint
    return None


def not_attempted(what: str) -> None:
    """Say that an exercise is not attempted yet and raise NotImplementedError (what a
    student notebook stops on, and what ``gantools grade`` reports as not attempted)."""
    print(f"NOT ATTEMPTED: {what} is still the starter code; write your answer first.")
    raise NotImplementedError(f"{what} is not attempted yet")


def one_number(value) -> float | None:
    """A plain value (what :mod:`gantools.exercises.collect` hands back) as one float: an int or a
    float, or a list holding exactly one; None otherwise (bools and strings included)."""
    while type(value) is list and len(value) == 1:
        value = value[0]
    return float(value) if type(value) in (int, float) else None


def judge_number(expected: float, tol: float, ok: str, hint: str,
                 known_wrong: tuple[tuple[float, str], ...] = ()):
    """The judge (see :mod:`gantools.exercises.protocol`) of an exercise whose answer is one number:
    within ``tol`` of ``expected`` passes; a value near one of ``known_wrong`` gets its targeted
    hint. Neither ``hint`` nor the known-wrong hints may state the answer."""

    def judge(cases, values):
        got = one_number(values[0])
        if got is None:
            return False, f"Give one number (an int or a float); got {str(values[0])[:80]}."
        why = first_wrong(got, known_wrong, lambda a, b: close(a, b, tol), expected)
        if why:
            return False, why
        return (True, ok) if close(got, expected, tol) else (False, hint)

    return judge



def judge_cases(reference, wrongs, tol, describe, hint: str, ok: str, end: str = "", args=tuple):
    """The judge of an exercise whose answer maps each case's numbers to one number: at every case it
    is within ``tol(expected)`` of ``reference(*case)``; a value within ``tol`` of one of
    ``wrongs(*case)`` (``(value, hint)`` pairs) gets that hint, any other value ``hint``. The
    messages start with ``describe(case)``; ``end`` closes a known-wrong hint (e.g. "."); ``args(case)``
    are the reference's arguments (the case's numbers by default)."""

    def judge(cases, values):
        for case, value in zip(cases, values, strict=True):
            got, expected = one_number(value), reference(*args(case))
            if got is not None and close(got, expected, tol(expected)):
                continue
            if got is None:
                return False, f"{describe(case)}: return one number (you returned {str(value)[:40]}), {hint}"
            why = first_wrong(got, wrongs(*args(case)), lambda a, b: close(a, b, tol(b)), expected)
            if why:
                return False, f"{describe(case)}: {why}{end}"
            return False, f"{describe(case)} you returned {str(value)[:40]}, {hint}"
        return True, ok

    judge.__module__ = reference.__module__  # the check's module: its *_reference routines are forbidden
    judge.describe = describe
    return judge

def interpolate_gradients(critic, real, fake, eps):
    """Each interpolate's input gradient ``(N, D)`` of a critic (values only, no graph):
    x̂ = eps·real + (1 − eps)·fake with one eps per sample, the ``grad_x f(x̂)`` rows that
    every gradient-penalty variant starts from (chapters 4 and 9)."""
    import torch

    n = real.shape[0]
    e = eps.reshape(n, *([1] * (real.dim() - 1)))
    x = (e * real + (1 - e) * fake).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x).sum(), x)
    return g.reshape(n, -1)


def distribution(spec: dict):
    """A 1D distribution from its JSON description: ``{"low", "high"}`` (uniform) or
    ``{"means", "stds"[, "weights"]}`` (a Gaussian mixture), as the checks' cases store them."""
    if "low" in spec:
        return Uniform(spec["low"], spec["high"])
    return GaussianMixture(spec["means"], spec["stds"], spec.get("weights"))


def case_pair(case: dict, first: str = "data", second: str = "g"):
    """The two distributions of a case, ``(case[first], case[second])``: (p_data, p_g) by default."""
    return distribution(case[first]), distribution(case[second])
