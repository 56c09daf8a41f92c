"""Judging a run in the grader's process, and grading one notebook or a class."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..exercises.registry import Chapter, check_module
from .read import find_checks, read_submission
from .report import DIED, ERROR, FAIL, INVALID, PASS, POINTS, TAMPERED, TIMEOUT, ExerciseResult, format_table
from .run import Limits, cell_report, plan_cells, run_cells, spec_of

_TIMEOUT_ENAME = "GraderTimeout"


def _tampering(baseline: dict, payload: dict, check: str, module: str) -> list[str]:
    """What the notebook changed, comparing a probe's fingerprints with the baseline's."""
    found = []
    bound = payload.get("bound")
    pristine = (baseline.get(module) or {}).get(check)
    if bound is not None and bound != pristine:
        found.append(f"{check} in the notebook is not gantools' check (it was redefined)")
    now = payload.get("fingerprints") if type(payload.get("fingerprints")) is dict else {}
    for name, before in baseline.items():
        after = now.get(name)
        if type(after) is not dict or type(before) is not dict:
            found.append(f"module {name} was removed") if before is not None else None
            continue
        if after.get("<module>") != before.get("<module>"):
            found.append(f"module {name} was replaced")
            continue
        changed = sorted(a for a in set(before) | set(after) if before.get(a) != after.get(a)
                         and not (a not in before and str(after.get(a)).startswith("m")))  # a submodule imported later
        found += [f"{name}.{a} was {'deleted' if a not in after else 'added' if a not in before else 'changed'}"
                  for a in changed]
    return found


def _setup_problem(base: dict | None, run: dict, path: Path) -> tuple[str, str] | None:
    """(status, message) for every exercise when the run cannot be judged at all."""
    import gantools

    if run.get("failure"):
        return ERROR, f"the notebook could not be run: {run['failure']}"
    if base is None:
        ename, evalue = run.get("errors", {}).get("0", ("Error", "the kernel did not report"))
        return ERROR, f"the kernel could not import gantools.exercises ({ename}: {evalue})"
    theirs, ours = Path(str(base.get("file") or "")), Path(gantools.__file__)
    if theirs.resolve() != ours.resolve():
        return TAMPERED, f"the kernel imported gantools from {theirs}, not from the grader's {ours}"
    versions = base.get("versions") if type(base.get("versions")) is dict else {}
    for name, theirs_v in versions.items():
        mine = getattr(sys.modules.get(name), "__version__", None)
        if mine is not None and theirs_v != mine:
            return ERROR, f"the kernel runs {name} {theirs_v}, the grader {mine}: grade in one environment"
    return None


def _weights(chapter: Chapter, weights: dict[str, float] | None) -> dict[str, float]:
    return {e.number: float((weights or {}).get(e.number, POINTS.get(e.level, 1.0))) for e in chapter.exercises}


def _grade(nb, chapter: Chapter, path: Path, limits: Limits, kernel_name: str, rng,
           weights: dict[str, float] | None = None) -> list[ExerciseResult]:
    from ..exercises.protocol import verdict

    cases = {e.number: spec_of(e).draw(rng) for e in chapter.exercises}
    cells, index, probe_at, region = plan_cells(nb, chapter, cases)
    run = run_cells(nb, path, cells, [0, *probe_at.values()], limits, kernel_name)
    errors = {int(k): tuple(v) for k, v in run.get("errors", {}).items()}
    base, base_problem = cell_report(run, 0)
    problem = _setup_problem(base, run, path) or ((TAMPERED, base_problem) if base_problem else None)
    baseline = base.get("fingerprints", {}) if base and type(base.get("fingerprints")) is dict else {}
    threads_before = set(base.get("threads", [])) if base and type(base.get("threads")) is list else set()
    written = {e.number: [i for i, _, name, _ in find_checks(nb) if name == e.check] for e in chapter.exercises}
    stuck, died = run.get("stuck_at"), run.get("died_at")
    points = _weights(chapter, weights)

    results = []
    for e in chapter.exercises:
        cell = probe_at[e.number]
        payload, malformed = cell_report(run, cell)
        judged, said = "", ""
        if payload is not None and "collected" in payload:
            try:
                judged, said = verdict(spec_of(e), cases[e.number], payload["collected"])
            except Exception as err:  # the judge on strange plain data: the answer's fault, not the grader's
                judged, said = FAIL, f"the answer's outputs could not be judged ({type(err).__name__}: {err})"
        own = [index[i] for i in region[e.number] if i in index]
        timed_out = [i for i in own + [cell] if errors.get(i, ("",))[0] == _TIMEOUT_ENAME]
        new_threads = [t for t in (payload or {}).get("threads", []) if t not in threads_before] \
            if payload and type(payload.get("threads")) is list else []
        if died is not None and cell >= died:
            where = f"cell {_student_cell(index, died)}" if died in index.values() else "the grader's cell"
            status, message = DIED, f"the kernel died while running {where} (os._exit, a crash or out of memory)"
        elif stuck is not None and cell > stuck:
            status = TIMEOUT
            message = (f"cell {_student_cell(index, stuck)} ran longer than {limits.timeout} s and the kernel did not "
                       "stop when interrupted: the rest of the notebook did not run")
        elif timed_out:
            which = f"cell {_student_cell(index, timed_out[0])}" if timed_out[0] != cell else "the book's check"
            status, message = TIMEOUT, f"{which} ran longer than {limits.timeout} s and was interrupted"
        elif problem:
            status, message = problem
        elif malformed:
            status, message = TAMPERED, malformed
        elif payload is None:
            ename, evalue = errors.get(cell, ("Error", "it did not report"))
            status, message = ERROR, f"the book's check could not run: {ename}: {evalue}"
        elif tampering := _tampering(baseline, payload, e.check, check_module(e.check)):
            shown = "; ".join(tampering[:3]) + (f"; and {len(tampering) - 3} more" if len(tampering) > 3 else "")
            status, message = TAMPERED, f"{shown}. The answer's outputs were judged: {judged or 'not judged'}"
        elif new_threads:
            status, message = ERROR, (f"{len(new_threads)} thread(s) the notebook started were still running when "
                                      "the check ran: stop them before the exercise ends")
        elif not judged:
            status, message = ERROR, f"the check could not run: {str(payload.get('failure', 'no outputs'))[:300]}"
        elif judged != PASS and (raised := _cell_note(errors, index, region[e.number])):
            status, message = ERROR, f"{raised}. The check said: {said}"
        else:
            status, message = judged, said
        if not written[e.number]:
            message += " [the submission has no check cell for this exercise; the book's check ran anyway]"
        elif all(nb.cells[i].source.strip() != e.check_cell for i in written[e.number]):
            message += " [the submission's check cell was edited; the book's check ran anyway]"
        results.append(ExerciseResult(e.number, e.check, status, message, str(path), judged,
                                      points[e.number] if status == PASS else 0.0, points[e.number]))
    return results


def _cell_note(errors: dict[int, tuple[str, str]], index: dict[int, int], cells: list[int]) -> str:
    """The first answer-cell error among the exercise's cells, as 'cell N raised ...'."""
    for i in cells:
        ename, evalue = errors.get(index.get(i, -1), ("", ""))
        if ename and ename != "NotImplementedError" and ename != _TIMEOUT_ENAME:
            return f"cell {i + 1} raised {ename}: {evalue}" if evalue else f"cell {i + 1} raised {ename}"
    return ""


def grade(notebook_path: str | Path, timeout: int = 600, kernel_name: str = "python3", quiet: bool = False,
          seed: int | None = None, limits: Limits | None = None,
          weights: dict[str, float] | None = None) -> list[ExerciseResult]:
    """Run a submission, isolated, and grade every exercise of its chapter.

    Args:
        notebook_path: the submitted notebook (``.ipynb``), any file name.
        timeout: seconds allowed per cell; a cell that runs longer is interrupted.
        kernel_name: the Jupyter kernel to run it with (it must import this gantools).
        quiet: do not print the table.
        seed: draws the cases (default: fresh, from the operating system's randomness).
        limits: memory and file-size limits (``timeout`` sets the time).
        weights: points per exercise number (default by level: easy 1, medium 2, hard 3).

    Raises:
        ValueError: the file is missing, unreadable, of no chapter, or written for other exercises.
    """
    path = Path(notebook_path)
    nb, chapter = read_submission(path)
    limits = Limits(timeout, *(limits.memory_mb, limits.file_mb) if limits else ())
    results = _grade(nb, chapter, path, limits, kernel_name, np.random.default_rng(seed), weights)
    if not quiet:
        print(format_table(results, title=str(path)))
    return results


def grade_many(paths: list[str | Path], timeout: int = 600, kernel_name: str = "python3", progress: bool = True,
               echo: bool = True, jobs: int = 1, seed: int | None = None, limits: Limits | None = None,
               weights: dict[str, float] | None = None) -> dict[str, list[ExerciseResult]]:
    """Grade a class, ``jobs`` notebooks at a time: {path: results}, in the order given.

    Every notebook is read before anything runs; one that cannot be graded becomes a single
    ``invalid`` row with the reason, and the rest are graded. Each notebook's cases are drawn
    fresh (from ``seed`` when given, for a reproducible run)."""
    from tqdm.auto import tqdm

    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    limits = Limits(timeout, *(limits.memory_mb, limits.file_mb) if limits else ())
    seeds = np.random.SeedSequence(seed).spawn(len(paths))
    out: dict[str, list[ExerciseResult]] = {}
    todo = []
    for p, s in zip(paths, seeds, strict=True):
        try:
            nb, chapter = read_submission(p)
            todo.append((str(p), nb, chapter, s))
            out[str(p)] = []
        except ValueError as e:
            out[str(p)] = [ExerciseResult("-", "", INVALID, str(e), str(p))]
    bar = tqdm(total=len(todo), desc="grading", unit="notebook", file=sys.stderr, disable=not progress)

    def one(item):
        name, nb, chapter, s = item
        results = _grade(nb, chapter, Path(name), limits, kernel_name, np.random.default_rng(s), weights)
        bar.update(1)
        if echo:
            tqdm.write(format_table(results, title=name), file=sys.stdout)
        return name, results

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for name, results in pool.map(one, todo):
            out[name] = results
    bar.close()
    return out


def _student_cell(index: dict[int, int], executed: int) -> int:
    """The 1-based number, in the submission, of the executed cell ``executed``."""
    for i, j in index.items():
        if j == executed:
            return i + 1
    return 0




