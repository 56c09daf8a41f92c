"""The shared machinery of the exercise checks."""

from __future__ import annotations

import math
from dataclasses import dataclass


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


def not_attempted(what: str) -> None:
    """Say that an exercise is not attempted yet and raise NotImplementedError (what a
    student notebook stops on, and what ``gantools grade`` reports as not attempted)."""
    print(f"NOT ATTEMPTED: {what} is still the starter code; write your answer first.")
    raise NotImplementedError(f"{what} is not attempted yet")


def to_float(value) -> float | None:
    """A student's number (Python, NumPy, or a one-element torch tensor) as a float; None
    when it is not one number."""
    try:
        return float(value.detach()) if hasattr(value, "detach") else float(value)
    except (TypeError, ValueError, RuntimeError):
        return None


def call(fn, *args):
    """Call a student's function: (value, None), or (None, error message) when it fails.

    NotImplementedError (the starter code) propagates: the exercise is not attempted.
    """
    if fn is None:
        not_attempted("the function")
    try:
        return fn(*args), None
    except NotImplementedError:
        raise
    except Exception as e:  # a student's bug must become a message, not a traceback
        return None, f"your function raised {type(e).__name__}: {e}"


def check_number(answer, expected: float, tol: float, ok: str, hint: str,
                 known_wrong: tuple[tuple[float, str], ...] = (), quiet: bool = False) -> Result:
    """Check a numeric answer against ``expected`` (abs tolerance ``tol``).

    ``known_wrong`` pairs a plausible wrong value with a targeted hint (e.g. the value in
    bits instead of nats). ``None`` (the starter) raises NotImplementedError.
    """
    if answer is None:
        not_attempted("the answer")
    for value, why in known_wrong:
        if close(answer, value, tol) and not close(value, expected, tol):
            return report(False, ok, why, quiet)
    return report(close(answer, expected, tol), ok, hint, quiet)


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
