"""Every exercise's check in two halves, so that grading never lets the student's code decide a pass.

An exercise is a :class:`Spec`:

- ``cases(rng)``: the inputs the answer is evaluated on, as JSON data. With ``rng`` None, the
  book's own cases (what a notebook's check cell uses); with a NumPy Generator, fresh ones drawn
  from the same ranges (what the grader uses, a new draw for every submission, so that a table
  of outputs copied from a classmate or fitted to the book's cases does not pass).
- ``build(case)`` and ``finish(output, args)``: how one case becomes the arguments of the
  student's function, and what of its output is handed back (default: the case's items, the
  output itself). They run beside the answer, in :mod:`gantools.exercises.collect`, which turns
  everything into plain data under the tripwire.
- ``judge(cases, values)`` → ``(passed, message)``: the verdict, from the cases and the plain
  values alone. When a class is graded it runs in the grader's process, which computes the
  reference itself; nothing in the student's kernel can reach it.

In a notebook, ``check_...(answer)`` runs both halves in one process (:func:`check`), through the
same JSON round trip as the grader, so a notebook and the grader never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .collect import collect, unplain
from .common import Result, not_attempted, report

PASS, FAIL, NOT_ATTEMPTED, ERROR = "pass", "fail", "not attempted", "error"


def _book_case(rng) -> list:
    return [None]


@dataclass(frozen=True)
class Spec:
    """How one exercise is checked (see the module's docstring)."""

    answer: str  # the name of what the student hands in, for messages ("alternating_band")
    judge: Callable[[list, list], tuple[bool, str]]
    cases: Callable[[Any], list] = _book_case
    build: Callable[[Any], tuple] | None = None
    finish: Callable[[Any, tuple], Any] | None = None
    forbid: tuple[str, ...] = ()  # dotted paths of routines the answer may not call
    call: bool = True  # False: the answer is a value (a number, a prediction), not a function
    describe: Callable[[Any], str] = field(default=lambda case: f"On {case!r}")  # "At η = 0.1, σ = 1.0"
    # Regular expressions that would state the answer (its value, its closed form in LaTeX or Unicode): no
    # public page may match them (tests/test_answers_private.py), and each must match the instructor's solution.
    leaks: tuple[str, ...] = ()

    def draw(self, rng=None) -> list:
        """The cases, through JSON (what the student's kernel receives)."""
        return json.loads(json.dumps(self.cases(rng) if self.call else [None], allow_nan=True))


def with_spec(spec: Spec):
    """Decorate a check function with its :class:`Spec` (the grader finds it as ``check.spec``)."""

    if not (isinstance(spec.leaks, tuple) and all(isinstance(p, str) for p in spec.leaks)):
        raise ValueError(f"{spec.answer}: leaks must be a tuple of regular expressions, got {spec.leaks!r}")

    def wrap(fn):
        fn.spec = spec
        return fn

    return wrap


def references(module_name: str) -> tuple:
    """The functions a check module defines to compute its references (named ``*_reference``),
    forbidden to the answer with the routines its Spec names."""
    import sys

    module = sys.modules.get(module_name)
    return tuple(v for k, v in sorted(vars(module).items()) if k.endswith("_reference") and callable(v)) \
        if module is not None else ()


def verdict(spec: Spec, cases: list, collected) -> tuple[str, str]:
    """(status, message) from plain data alone: ``pass``, ``fail`` or ``not attempted``.
    ``collected`` is what :func:`gantools.exercises.collect.collect` returned, as parsed from JSON;
    anything else (a forged or malformed report) is a ``fail`` that says so."""
    if type(collected) is not dict:
        return FAIL, "the answer's report is not what the check's first half writes"
    if set(collected) == {NOT_ATTEMPTED} and type(collected[NOT_ATTEMPTED]) is str:
        return NOT_ATTEMPTED, f"{spec.answer} is not attempted yet ({collected[NOT_ATTEMPTED][:200]})"
    outputs = collected.get("outputs")
    if set(collected) != {"outputs"} or type(outputs) is not list or len(outputs) != len(cases) or any(
            type(o) is not dict or not (set(o) == {"value"} or (type(o.get("error")) is str
                                                                  and set(o) <= {"error", "called"}))
            for o in outputs):
        return FAIL, "the answer's report is not what the check's first half writes"
    k = next((i for i, o in enumerate(outputs) if "error" in o), len(outputs))
    if k:
        try:
            passed, message = spec.judge(cases[:k], [unplain(o["value"]) for o in outputs[:k]])
        except NotImplementedError as e:
            return NOT_ATTEMPTED, f"{spec.answer} is not attempted yet ({e})"
        if not passed or k == len(outputs):
            return (PASS if passed else FAIL), message
    error = outputs[k]["error"][:400]
    if spec.call and cases[k] is not None:
        return FAIL, f"{spec.describe(cases[k])}: {error}"
    return FAIL, error[:1].upper() + error[1:]


def evaluate(spec: Spec, answer, rng=None) -> tuple[str, str]:
    """(status, message) of ``answer`` with both halves in this process: the book's cases (``rng``
    None) or fresh ones drawn from ``rng`` as the grader draws them, the answer's plain outputs
    through a JSON round trip, the verdict."""
    cases = spec.draw(rng)
    extra = references(spec.judge.__module__)
    collected = json.loads(json.dumps(collect(answer, cases, spec.build, spec.finish, spec.forbid, extra,
                                              spec.call), allow_nan=True))
    return verdict(spec, cases, collected)


def check(spec: Spec, answer, quiet: bool = False) -> Result:
    """What a notebook's check cell runs: :func:`evaluate` on the book's cases, printed as PASS or
    FAIL with its message. The starter code prints the not-attempted line and raises
    NotImplementedError."""
    status, message = evaluate(spec, answer)
    if status == NOT_ATTEMPTED:
        not_attempted(spec.answer)
    return report(status == PASS, message, message, quiet)
