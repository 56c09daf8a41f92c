"""The shared machinery of the exercise checks."""

from __future__ import annotations

import importlib
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np


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


def to_float(value) -> float | None:
    """A student's number (Python, NumPy, or a one-element torch tensor) as a float; None
    when it is not one number."""
    try:
        return float(value.detach()) if hasattr(value, "detach") else float(value)
    except (TypeError, ValueError, RuntimeError):
        return None


def to_array(value) -> np.ndarray | None:
    """A student's numbers (a list, a NumPy array or a torch tensor) as a float array; None when
    they are not numbers."""
    try:
        return np.asarray(value.detach().cpu() if hasattr(value, "detach") else value, dtype=float)
    except (TypeError, ValueError, RuntimeError):
        return None


class ReferenceCalled(BaseException):
    """Raised by a forbidden reference implementation called from a student's answer.

    A BaseException, like KeyboardInterrupt, so that a broad ``except Exception`` in the
    answer does not swallow it."""


def _resolve(path: str):
    """(owner, attribute name, object) for a dotted path such as ``"gantools.metrics.mode_coverage"``
    or ``"torch.Tensor.backward"``; None when its module is not installed."""
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for name in parts[i:-1]:
                owner = getattr(owner, name)
            return owner, parts[-1], getattr(owner, parts[-1])
        except AttributeError:
            return None
    return None


def _namespaces(fn) -> list[dict]:
    """The global namespaces a student's function looks names up in (its module's, usually
    the notebook's); for a callable object, that of its ``__call__``."""
    found = []
    for f in (fn, vars(type(fn)).get("__call__")):
        g = getattr(f, "__globals__", None)
        if isinstance(g, dict) and all(g is not h for h in found):
            found.append(g)
    return found


@contextmanager
def forbidding(fn, paths: Sequence[str]) -> Iterator[list[str]]:
    """While the block runs, replace each reference implementation named in ``paths`` by a
    tripwire that raises :class:`ReferenceCalled`: the module (or class) attribute, every
    name bound to it in ``fn``'s global namespace, ``fn``'s default arguments and its
    closure. Yields the list of paths that were called (filled when a tripwire fires, even
    if the answer swallows the exception). Everything is restored afterwards.

    This catches an answer that delegates to the function the check compares with, through
    any name. It does not catch a copy of that function's source, or a reference hidden in
    another object (a list, a ``functools.partial``)."""
    called: list[str] = []
    undo: list[tuple] = []
    try:
        for path in paths:
            found = _resolve(path)
            if found is None:
                continue
            owner, name, original = found

            def trip(*args, _path=path, **kwargs):
                called.append(_path)
                raise ReferenceCalled(_path)

            if fn is original or getattr(fn, "func", None) is original:  # the reference itself, or a partial of it
                called.append(path)
            setattr(owner, name, trip)
            undo.append((setattr, owner, name, original))
            for ns in _namespaces(fn):
                for key, value in list(ns.items()):
                    if value is original:
                        ns[key] = trip
                        undo.append((dict.__setitem__, ns, key, original))
            defaults = getattr(fn, "__defaults__", None)
            if defaults and any(d is original for d in defaults):
                fn.__defaults__ = tuple(trip if d is original else d for d in defaults)
                undo.append((setattr, fn, "__defaults__", defaults))
            for cell in getattr(fn, "__closure__", None) or ():
                try:
                    if cell.cell_contents is original:
                        cell.cell_contents = trip
                        undo.append((setattr, cell, "cell_contents", original))
                except ValueError:  # an empty cell
                    pass
        yield called
    finally:
        for restore, owner, name, original in reversed(undo):
            restore(owner, name, original)


def call(fn, *args, forbid: Sequence[str] = ()):
    """Call a student's function: (value, None), or (None, error message) when it fails.

    NotImplementedError (the starter code) propagates: the exercise is not attempted.
    ``forbid`` names reference implementations (dotted paths) that the answer must not
    call: the check compares with them, or they do the exercise in one line.
    """
    if fn is None:
        not_attempted("the function")
    value = None
    with forbidding(fn, forbid) as called:
        try:
            if not called:
                value = fn(*args)
        except NotImplementedError:
            raise
        except ReferenceCalled as e:
            called.append(str(e))
        except Exception as e:  # a student's bug must become a message, not a traceback
            return None, f"your function raised {type(e).__name__}: {e}"
    if called:
        return None, (f"your function calls {called[0]}, the reference this check compares with (or a routine "
                      "that does the exercise in one call): write the computation yourself")
    return value, None


def run_answer(fn, name: str, *args, forbid: Sequence[str] = ()):
    """:func:`call` for a student's function ``name``: the starter code (``None``, or one that
    raises NotImplementedError) prints the not-attempted message and raises."""
    if fn is None:
        not_attempted(name)
    try:
        return call(fn, *args, forbid=forbid)
    except NotImplementedError:
        not_attempted(name)


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


def untrainable_penalty(value, expected, critic) -> str | None:
    """Why a gradient penalty whose value is right cannot train ``critic``, or None.

    A penalty computed without ``create_graph=True`` (or from a detached gradient) has the
    right value but no graph, or a graph that misses the gradient's dependence on the weights:
    then ``penalty.backward()`` leaves the critic's weights unpenalised. Its gradient with
    respect to the weights must equal that of ``expected`` (gantools' penalty)."""
    import torch

    if not isinstance(value, torch.Tensor) or value.grad_fn is None:
        return ("the value is right, but the critic cannot be trained on it: it carries no graph. Pass "
                "create_graph=True to torch.autograd.grad, so that the penalty can be differentiated with "
                "respect to the critic's weights.")
    params = [p for p in critic.parameters() if p.requires_grad]
    g_exp = torch.autograd.grad(expected, params, allow_unused=True, retain_graph=True)
    try:
        g_got = torch.autograd.grad(value.reshape(()), params, allow_unused=True)
    except RuntimeError as e:
        return f"the value is right, but it cannot be differentiated with respect to the critic's weights ({e})."
    for a, b in zip(g_exp, g_got, strict=True):
        a = torch.zeros(()) if a is None else a
        b = torch.zeros(()) if b is None else b
        if float((a - b).abs().max()) > 1e-7 * max(1.0, float(a.abs().max())):
            return ("the value is right, but its gradient with respect to the critic's weights is not: pass "
                    "create_graph=True to torch.autograd.grad, and detach only real and fake, not x_hat or the "
                    "gradient.")
    return None
