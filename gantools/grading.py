"""Grade submissions: run each notebook, then apply the book's own checks to the answers.

``grade("alice_ch5.ipynb")`` (or ``python -m gantools grade submissions/*.ipynb --csv
grades.csv``) works in four steps:

1. **Which chapter.** From the notebook itself: the metadata the student edition writes
   (``metadata["gantools"]["chapter"]``), else the ``# N. Title`` heading. Never from the
   file name. The exercises of that chapter come from :mod:`gantools.exercises.registry`,
   not from the submission, so an exercise whose check cell was edited or deleted is graded
   all the same.
2. **Run.** A fresh kernel, started in the notebook's folder, runs every code cell of the
   submission in order, carrying on after errors, each cell within ``timeout`` seconds (a cell
   that runs longer is interrupted; a kernel that does not come back is shut down). Before the
   student's first cell the grader runs a *baseline* cell that imports the checks and
   fingerprints them (:mod:`gantools.grading_probe`).
3. **Check.** At the end of each exercise (just before the next exercise's prompt, or after
   the last cell) the grader runs a *probe* cell: the book's check, called on the answers
   named in the registry, with its verdict captured as data (not as printed text).
4. **Report.** One :class:`ExerciseResult` per exercise, with one of these statuses:

   - ``pass``: the book's check returned True;
   - ``fail``: it returned False (the message is its hint);
   - ``not attempted``: the starter code is still there (the check raised
     ``NotImplementedError``), or the answer is not defined at all;
   - ``error``: a cell of the exercise raised (other than ``NotImplementedError``) and the
     check did not pass, or the check itself raised;
   - ``tampered``: the notebook rebound the name of the exercise's check to something else,
     or changed (rebound, monkeypatched, deleted) a function, class or constant of the
     gantools modules the checks use; never ``pass``, whatever the check says;
   - ``timeout``: a cell of the exercise, or its check, ran longer than ``timeout`` (or the
     kernel was stuck in an earlier cell);
   - ``died``: the kernel died (``os._exit``, a crash, out of memory) before the check ran.

The grader runs the student's code with the instructor's permissions. It is not a sandbox:
run a class in a container (``book/for_instructors.md``).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .exercises.registry import CHAPTERS, Chapter, check_module

PASS, FAIL, NOT_ATTEMPTED, TAMPERED, ERROR, TIMEOUT, DIED = (
    "pass", "fail", "not attempted", "tampered", "error", "timeout", "died")
STATUSES = (PASS, FAIL, NOT_ATTEMPTED, TAMPERED, ERROR, TIMEOUT, DIED)
FAILED = frozenset({FAIL, TAMPERED, ERROR, TIMEOUT, DIED})  # any of these makes the CLI exit with status 1

_EXERCISE = re.compile(r"\*\*Exercise\s+(\d+\.\d+)")
_HEADING = re.compile(r"^#\s+(\d+)\.\s", re.MULTILINE)
_CHECK_CALL = re.compile(r"(?<![\w.])(check_\w+)\s*\(")
_DEF = re.compile(r"^\s*def\s+check_", re.MULTILINE)
_PROBE = Path(__file__).with_name("grading_probe.py")
_MIME = "application/vnd.gantools.grade+json"
_TIMEOUT_ENAME = "GraderTimeout"


@dataclass
class ExerciseResult:
    """The grade of one exercise of one submission."""

    exercise: str  # "5.1"
    check: str  # the book's check, e.g. "check_extragradient_step"
    status: str  # one of STATUSES
    message: str  # the check's PASS/FAIL line with its hint, or what went wrong
    file: str = ""  # the submission
    verdict: str = ""  # what the book's check said (pass, fail, not attempted, error), even when tampered

    @property
    def passed(self) -> bool:
        return self.status == PASS


# -- which chapter, which exercise -------------------------------------------------------------
def chapter_of(nb: nbformat.NotebookNode) -> Chapter:
    """The chapter a notebook belongs to: its ``gantools`` metadata (the student edition writes
    it), else its ``# N. Title`` heading. ValueError when neither names a chapter with exercises."""
    meta = nb.metadata.get("gantools", {})
    number = meta.get("chapter") if isinstance(meta, dict) else None
    if number is None:
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                found = _HEADING.search(cell.source)
                if found:
                    number = int(found.group(1))
                    break
    if number is None:
        raise ValueError("cannot tell which chapter it is: no gantools metadata and no '# N. Title' heading")
    if not isinstance(number, int) or number not in CHAPTERS:
        raise ValueError(f"chapter {number!r} has no exercises to grade (chapters: {', '.join(map(str, CHAPTERS))})")
    return CHAPTERS[number]


def find_checks(nb: nbformat.NotebookNode) -> list[tuple[int, str, str, int]]:
    """The check cells of ``nb`` as written in it: (cell index, exercise number, check name,
    first cell of the exercise), in notebook order. A check cell is a code cell that calls a
    ``check_...`` function of :mod:`gantools.exercises` (definitions excluded)."""
    import gantools.exercises as ex

    known = {name for name in dir(ex) if name.startswith("check_") and callable(getattr(ex, name))}
    checks = []
    exercise, start = "?", 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            found = _EXERCISE.findall(cell.source)
            if found:
                exercise, start = found[-1], i + 1
        elif cell.cell_type == "code" and not _DEF.search(cell.source):
            names = [n for n in _CHECK_CALL.findall(cell.source) if n in known]
            if names:
                checks.append((i, exercise, names[0], start))
                start = i + 1
    return checks


def read_submission(path: str | Path) -> tuple[nbformat.NotebookNode, Chapter]:
    """The notebook at ``path`` and its chapter; ValueError when it is missing, not a
    notebook, or of no chapter with exercises."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no such notebook: {path}")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as e:  # nbformat raises several kinds on a broken file
        raise ValueError(f"{path} is not a readable notebook: {e}") from e
    try:
        return nb, chapter_of(nb)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None


def _layout(nb: nbformat.NotebookNode, chapter: Chapter) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Where each exercise's probe goes (the index of the cell it runs before; len(cells) for
    the end), and each exercise's cells (its prompt up to the probe)."""
    prompts: dict[str, int] = {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for number in _EXERCISE.findall(cell.source):
                prompts.setdefault(number, i)
    numbers = [e.number for e in chapter.exercises]
    at, region = {}, {}
    for k, number in enumerate(numbers):
        later = [prompts[n] for n in numbers[k + 1:] if n in prompts and prompts[n] > prompts.get(number, -1)]
        at[number] = min(later) if later else len(nb.cells)
        start = prompts.get(number, at[number])
        region[number] = [i for i in range(start, at[number]) if nb.cells[i].cell_type == "code"]
    return at, region


# -- running ---------------------------------------------------------------------------------------
def _grader_cell(function: str, **kwargs) -> nbformat.NotebookNode:
    call = {"function": function, "kwargs": kwargs}
    source = (f"exec(compile({_PROBE.read_text()!r}, '<gantools grader>', 'exec'), "
              f"{{'__name__': '__gantools_grader__', 'USER_NS': globals(), 'CALL': {json.dumps(call)}}})")
    return nbformat.v4.new_code_cell(source)


@dataclass
class _Run:
    """What happened when the submission ran: per executed cell, its error (ename, evalue);
    the grader cells' payloads; where a timeout left the kernel stuck or the kernel died."""

    errors: dict[int, tuple[str, str]]
    payloads: dict[int, dict]
    stuck_at: int | None = None
    died_at: int | None = None


def _execute(cells: list, cwd: Path, timeout: int, kernel_name: str) -> _Run:
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.v4.new_notebook(cells=cells)
    run = _Run({}, {})

    def on_cell_executed(cell, cell_index, execute_reply):
        content = execute_reply.get("content", {})
        if content.get("status") == "error":
            run.errors[cell_index] = (content.get("ename", "Error"), content.get("evalue", ""))

    def cell_timeout(cell) -> int:  # the baseline imports torch: never fail a submission on a slow start
        return max(client.timeout, 120) if cell.metadata.get("gantools") == "baseline" else client.timeout

    client = NotebookClient(
        nb, timeout=timeout, timeout_func=cell_timeout, kernel_name=kernel_name, allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={"ename": _TIMEOUT_ENAME, "evalue": f"the cell ran longer than {timeout} s",
                          "traceback": []},
        shutdown_kernel="immediate", resources={"metadata": {"path": str(cwd)}},
        on_cell_executed=on_cell_executed)
    with client.setup_kernel():
        for i, cell in enumerate(list(nb.cells)):
            try:
                client.execute_cell(cell, i)
                if run.errors.get(i, ("",))[0] == _TIMEOUT_ENAME and not _responds(client, run, timeout):
                    run.stuck_at = i  # interrupted, and still busy: give up on this notebook
                    break
            except DeadKernelError:
                run.died_at = i
                break
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            data = out.get("data", {}).get(_MIME) if out.get("output_type") == "display_data" else None
            if data is not None:
                run.payloads[i] = data if isinstance(data, dict) else json.loads(data)
    return run


def _responds(client, run: _Run, timeout: int) -> bool:
    """After an interrupted cell: does the kernel run a trivial cell within a few seconds?"""
    saved, cells = client.timeout, client.nb.cells
    client.timeout = max(1, min(timeout, 10))
    cells.append(nbformat.v4.new_code_cell("pass"))  # nbclient stores the cell at its index: give it one
    try:
        client.execute_cell(cells[-1], len(cells) - 1)
    finally:
        client.timeout = saved
        cells.pop()
    return run.errors.pop(len(cells), ("",))[0] != _TIMEOUT_ENAME


# -- grading ---------------------------------------------------------------------------------------
def _tampering(baseline: dict, payload: dict, check: str, module: str) -> list[str]:
    """What the notebook changed, comparing a probe's fingerprints with the baseline's."""
    found = []
    bound = payload.get("bound")
    pristine = (baseline.get(module) or {}).get(check)
    if bound is not None and bound != pristine:
        found.append(f"{check} in the notebook is not gantools' check (it was redefined)")
    now = payload.get("fingerprints", {})
    for name, before in baseline.items():
        after = now.get(name)
        if after is None:
            found.append(f"module {name} was removed")
            continue
        if after.get("<module>") != before.get("<module>"):
            found.append(f"module {name} was replaced")
            continue
        changed = sorted(a for a in set(before) | set(after) if before.get(a) != after.get(a))
        found += [f"{name}.{a} was {'deleted' if a not in after else 'added' if a not in before else 'changed'}"
                  for a in changed]
    return found


def _cell_note(errors: dict[int, tuple[str, str]], index: dict[int, int], cells: list[int]) -> str:
    """The first answer-cell error among the exercise's cells, as 'cell N raised ...'."""
    for i in cells:
        ename, evalue = errors.get(index.get(i, -1), ("", ""))
        if ename and ename != "NotImplementedError" and ename != _TIMEOUT_ENAME:
            return f"cell {i + 1} raised {ename}: {evalue}" if evalue else f"cell {i + 1} raised {ename}"
    return ""


def grade(notebook_path: str | Path, timeout: int = 600, kernel_name: str = "python3",
          quiet: bool = False) -> list[ExerciseResult]:
    """Run a submission and grade every exercise of its chapter with the book's checks.

    Args:
        notebook_path: the submitted notebook (``.ipynb``), any file name.
        timeout: seconds allowed per cell; a cell that runs longer is interrupted.
        kernel_name: the Jupyter kernel to run it with (it must import the same gantools).
        quiet: do not print the table.

    Returns:
        One :class:`ExerciseResult` per exercise of the chapter, in order.

    Raises:
        ValueError: the file is missing, is not a notebook, or belongs to no chapter with exercises.
    """
    path = Path(notebook_path)
    nb, chapter = read_submission(path)
    results = _grade(nb, chapter, path, timeout, kernel_name)
    if not quiet:
        print(format_table(results, title=str(path)))
    return results


def _plan(nb, chapter: Chapter) -> tuple[list, dict[int, int], dict[str, int], dict[str, list[int]]]:
    """The cells to run: the baseline, the student's code cells, and each exercise's probe at
    its place. Returns them with {submission cell: run cell}, {exercise: run cell of its probe}
    and {exercise: its submission code cells}."""
    at, region = _layout(nb, chapter)
    cells, index, probe_at = [_grader_cell("baseline")], {}, {}
    cells[0].metadata["gantools"] = "baseline"
    for i in range(len(nb.cells) + 1):
        for e in chapter.exercises:
            if at[e.number] == i:
                probe_at[e.number] = len(cells)
                cells.append(_grader_cell("probe", exercise=e.number, check=e.check, module=check_module(e.check),
                                          args=list(e.answers)))
        if i < len(nb.cells) and nb.cells[i].cell_type == "code" and nb.cells[i].source.strip():
            index[i] = len(cells)
            cells.append(nbformat.v4.new_code_cell(nb.cells[i].source))
    return cells, index, probe_at, region


def _setup_problem(run: _Run, path: Path) -> tuple[str, str] | None:
    """(status, message) for every exercise when the baseline shows the checks cannot be trusted."""
    import gantools

    base = run.payloads.get(0)
    if base is None:
        ename, evalue = run.errors.get(0, ("Error", "the kernel did not report"))
        return ERROR, f"the kernel could not import gantools.exercises ({ename}: {evalue})"
    theirs, ours = Path(base.get("file") or ""), Path(gantools.__file__)
    if theirs.resolve() != ours.resolve():
        if path.resolve().parent in theirs.resolve().parents:
            return TAMPERED, f"a gantools package beside the notebook ({theirs}) replaces the real one"
        return ERROR, f"the kernel imports gantools from {theirs}, the grader from {ours}: grade in one environment"
    return None


def _grade(nb, chapter: Chapter, path: Path, timeout: int, kernel_name: str) -> list[ExerciseResult]:
    cells, index, probe_at, region = _plan(nb, chapter)
    run = _execute(cells, path.resolve().parent, timeout, kernel_name)
    problem = _setup_problem(run, path)
    baseline = run.payloads.get(0, {}).get("fingerprints", {})
    written = {e.number: [i for i, _, name, _ in find_checks(nb) if name == e.check] for e in chapter.exercises}

    results = []
    for e in chapter.exercises:
        cell = probe_at[e.number]
        payload = run.payloads.get(cell, {})
        verdict, said = payload.get("verdict", ""), payload.get("message", "")
        own = [index[i] for i in region[e.number] if i in index]
        timed_out = [i for i in own + [cell] if run.errors.get(i, ("",))[0] == _TIMEOUT_ENAME]
        if run.died_at is not None and cell >= run.died_at:
            where = f"cell {_student_cell(index, run.died_at)}" if run.died_at in index.values() else "the grader's cell"
            status, message = DIED, f"the kernel died while running {where} (os._exit, a crash or out of memory)"
        elif run.stuck_at is not None and cell > run.stuck_at:
            status = TIMEOUT
            message = (f"cell {_student_cell(index, run.stuck_at)} ran longer than {timeout} s and the kernel did not "
                       "stop when interrupted: the rest of the notebook did not run")
        elif timed_out:
            which = f"cell {_student_cell(index, timed_out[0])}" if timed_out[0] != cell else "the book's check"
            status, message = TIMEOUT, f"{which} ran longer than {timeout} s and was interrupted"
        elif problem:
            status, message = problem
        elif not payload:
            ename, evalue = run.errors.get(cell, ("Error", "it did not report"))
            status, message = ERROR, f"the book's check could not run: {ename}: {evalue}"
        elif tampering := _tampering(baseline, payload, e.check, check_module(e.check)):
            shown = "; ".join(tampering[:3]) + (f"; and {len(tampering) - 3} more" if len(tampering) > 3 else "")
            status, message = TAMPERED, f"{shown}. The book's check said: {said}"
        elif verdict != PASS and (raised := _cell_note(run.errors, index, region[e.number])):
            status, message = ERROR, f"{raised}. The book's check said: {said}"
        elif verdict in (PASS, FAIL, NOT_ATTEMPTED, ERROR):
            status, message = verdict, said
        else:
            status, message = ERROR, f"the book's check reported {payload!r}"
        if not written[e.number]:
            message += " [the submission has no check cell for this exercise; the book's check ran anyway]"
        elif all(nb.cells[i].source.strip() != e.check_cell for i in written[e.number]):
            message += " [the submission's check cell was edited; the book's check ran anyway]"
        results.append(ExerciseResult(e.number, e.check, status, message, str(path), verdict))
    return results


def _student_cell(index: dict[int, int], executed: int) -> int:
    """The 1-based number, in the submission, of the executed cell ``executed``."""
    for i, j in index.items():
        if j == executed:
            return i + 1
    return 0


# -- a class at once -----------------------------------------------------------------------------
def grade_many(paths: list[str | Path], timeout: int = 600, kernel_name: str = "python3",
               progress: bool = True, echo: bool = True) -> dict[str, list[ExerciseResult]]:
    """Grade several submissions, one kernel each, in order: {path: results}.

    Every path is read first, so that a missing or unreadable file (ValueError) stops the
    batch before anything runs. A notebook that hangs or kills its kernel is graded (timeout,
    died) and the batch goes on. ``progress`` shows a progress bar on stderr; ``echo`` prints
    each notebook's table on stdout as it is graded."""
    from tqdm.auto import tqdm

    subs = [(str(p), *read_submission(p)) for p in paths]
    out: dict[str, list[ExerciseResult]] = {}
    bar = tqdm(subs, desc="grading", unit="notebook", file=sys.stderr, disable=not progress)
    for name, nb, chapter in bar:
        bar.set_postfix_str(Path(name).name)
        out[name] = _grade(nb, chapter, Path(name), timeout, kernel_name)
        if echo:
            tqdm.write(format_table(out[name], title=name), file=sys.stdout)
    bar.close()
    return out


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


CSV_COLUMNS = ("file", "exercise", "check", "status", "message")


def write_csv(graded: dict[str, list[ExerciseResult]], path: str | Path) -> None:
    """One row per submission and exercise, then, per submission, a row whose exercise is
    ``total``: its status is ``passed/exercises`` (e.g. ``3/4``) and its message the count of
    each status."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        for name, results in graded.items():
            for r in results:
                w.writerow((name, r.exercise, r.check, r.status, r.message))
            w.writerow((name, "total", "", f"{sum(r.passed for r in results)}/{len(results)}", summary(results)))


def exit_status(graded: dict[str, list[ExerciseResult]]) -> int:
    """0 when every notebook ran and no exercise failed, 1 otherwise: some exercise is
    ``fail``, ``error``, ``tampered``, ``timeout`` or ``died`` (``not attempted`` alone is 0)."""
    return int(any(r.status in FAILED for results in graded.values() for r in results))
