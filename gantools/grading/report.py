"""The grades: one :class:`ExerciseResult` per exercise, the statuses, the table and the CSV."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from ..checkpoint import atomic_write
from ..exercises.registry import CHAPTERS

PASS, FAIL, NOT_ATTEMPTED, TAMPERED, ERROR, TIMEOUT, DIED, INVALID = (
    "pass", "fail", "not attempted", "tampered", "error", "timeout", "died", "invalid")
STATUSES = (PASS, FAIL, NOT_ATTEMPTED, TAMPERED, ERROR, TIMEOUT, DIED, INVALID)
FAILED = frozenset({FAIL, TAMPERED, ERROR, TIMEOUT, DIED, INVALID})  # any of these: the CLI exits with status 1
POINTS = {"easy": 1.0, "medium": 2.0, "hard": 3.0}  # default points per exercise, by level


@dataclass
class ExerciseResult:
    """The grade of one exercise of one submission."""

    exercise: str  # "5.1"
    check: str  # the book's check, e.g. "check_extragradient_step"
    status: str  # one of STATUSES
    message: str  # the check's message with its hint, or what went wrong
    file: str = ""  # the submission
    verdict: str = ""  # what the judge said of the answer's outputs (pass, fail, not attempted), even when tampered
    points: float = 0.0  # earned: the exercise's points when it passes
    max_points: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == PASS


def summary(results: list[ExerciseResult]) -> str:
    """'3 pass, 1 fail, ...' over the statuses that occur."""
    return ", ".join(f"{sum(r.status == s for r in results)} {s}" for s in STATUSES
                     if any(r.status == s for r in results)) or "no exercises"



def format_table(results: list[ExerciseResult], title: str = "") -> str:
    """A plain-text table of the results with a one-line summary."""
    rows = [("exercise", "check", "status", "message")]
    rows += [(r.exercise, r.check, r.status, r.message) for r in results]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    w2 = max(len(r[2]) for r in rows)
    lines = [title] if title else []
    for a, b, c, d in rows:
        lines.append(f"{a:<{w0}}  {b:<{w1}}  {c:<{w2}}  {d}".rstrip())
    lines.append(f"{sum(r.passed for r in results)}/{len(results)} exercises pass ({summary(results)})")
    return "\n".join(lines)




CSV_COLUMNS = ("file", "exercise", "check", "status", "points", "max_points", "message")


def write_csv(graded: dict[str, list[ExerciseResult]], path: str | Path) -> None:
    """One row per submission and exercise, then, per submission, a row whose exercise is ``total``:
    its status is ``passed/exercises`` (e.g. ``3/4``), its points the sum, its message the count of
    each status. Written to a temporary file beside ``path`` and renamed: a reader never sees half
    a file, and nothing a kernel wrote there earlier survives."""

    def write(f) -> None:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        for name, results in graded.items():
            for r in results:
                w.writerow((name, r.exercise, r.check, r.status, f"{r.points:g}", f"{r.max_points:g}", r.message))
            w.writerow((name, "total", "", f"{sum(r.passed for r in results)}/{len(results)}",
                        f"{sum(r.points for r in results):g}", f"{sum(r.max_points for r in results):g}",
                        summary(results)))

    # abspath, not resolve: a symlink planted at ``path`` is replaced, its target left alone;
    # 0600: the grades are the instructor's to share
    atomic_write(os.path.abspath(path), write, binary=False, suffix=".csv", mode=0o600)


def read_weights(path: str | Path) -> dict[str, float]:
    """Points per exercise from a CSV with the columns ``exercise,points`` (e.g. ``5.4,6``);
    ValueError naming the bad row."""
    weights = {}
    if not Path(path).is_file():
        raise ValueError(f"no such weights file: {path}")
    with open(path, newline="", encoding="utf-8") as f:
        for i, row in enumerate(csv.DictReader(f), 2):
            try:
                number, points = row["exercise"].strip(), float(row["points"])
            except (KeyError, TypeError, ValueError, AttributeError):
                raise ValueError(f"{path}, line {i}: expected the columns exercise,points, got {row}") from None
            if not (points >= 0) or number not in {e.number for c in CHAPTERS.values() for e in c.exercises}:
                raise ValueError(f"{path}, line {i}: {number!r} is not an exercise or {points} is not >= 0")
            weights[number] = points
    return weights


def exit_status(graded: dict[str, list[ExerciseResult]]) -> int:
    """0 when every notebook ran and no exercise failed, 1 otherwise: some exercise is ``fail``,
    ``error``, ``tampered``, ``timeout``, ``died`` or ``invalid`` (``not attempted`` alone is 0)."""
    return int(any(r.status in FAILED for results in graded.values() for r in results))
