"""Grade a notebook: run it and report each exercise's check as pass, fail or not attempted.

``grade("submission.ipynb")`` (or ``python -m gantools grade submission.ipynb``) executes
the notebook cell by cell in a fresh kernel started in the notebook's directory, carrying
on after an error so that every exercise is graded. An exercise's *check cell* is a code
cell that calls a ``check_...`` function of :mod:`gantools.exercises`, e.g.
``assert check_affine_pushforward(affine_pushforward)``. Its status:

- ``pass``: the check cell ran without error;
- ``not attempted``: ``NotImplementedError`` was raised, by the check cell or by a cell of
  the same exercise before it (the starter code);
- ``fail``: any other error (``AssertionError`` when the check says FAIL).

The exercise number comes from the nearest ``**Exercise N.k`` Markdown cell above.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

PASS, FAIL, NOT_ATTEMPTED = "pass", "fail", "not attempted"

_EXERCISE = re.compile(r"\*\*Exercise\s+(\d+(?:\.\d+)*)")
_CHECK_CALL = re.compile(r"(?<![\w.])(check_\w+)\s*\(")
_DEF = re.compile(r"^\s*def\s+check_", re.MULTILINE)


@dataclass
class ExerciseResult:
    """The outcome of one check cell."""

    exercise: str  # "1.2", or "?" when no "**Exercise N.k" prompt precedes the check
    check: str  # the name of the check function, e.g. "check_value_at_half"
    cell: int  # index of the check cell in the notebook
    status: str  # "pass", "fail" or "not attempted"
    message: str  # the check's PASS/FAIL line, or the error

    @property
    def passed(self) -> bool:
        return self.status == PASS


def _check_names() -> set[str]:
    import gantools.exercises as ex

    return {name for name in dir(ex) if name.startswith("check_") and callable(getattr(ex, name))}


def find_checks(nb: nbformat.NotebookNode) -> list[tuple[int, str, str, int]]:
    """The check cells of ``nb``: (cell index, exercise number, check name, first cell of
    the exercise), in notebook order. The exercise starts after its prompt, or after the
    previous check cell when there is no new prompt."""
    known = _check_names()
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


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.get("output_type") == "stream" and o.get("name") == "stdout")


def _verdict_line(text: str) -> str:
    """The check's own PASS/FAIL/NOT ATTEMPTED line, if it printed one."""
    lines = [ln for ln in text.splitlines() if ln.startswith(("PASS:", "FAIL:", "NOT ATTEMPTED:"))]
    return lines[-1] if lines else ""


def _run(nb: nbformat.NotebookNode, cwd: Path, timeout: int, kernel_name: str) -> dict[int, tuple[str, str]]:
    """Execute every code cell of ``nb`` in place; return {cell index: (ename, evalue)} for
    the cells that raised."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    errors: dict[int, tuple[str, str]] = {}

    def on_cell_executed(cell, cell_index, execute_reply):
        content = execute_reply.get("content", {})
        if content.get("status") == "error":
            errors[cell_index] = (content.get("ename", "Error"), content.get("evalue", ""))

    client = NotebookClient(
        nb, timeout=timeout, kernel_name=kernel_name, allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={"ename": "TimeoutError", "evalue": f"the cell ran longer than {timeout} s",
                          "traceback": []},
        resources={"metadata": {"path": str(cwd)}},
        on_cell_executed=on_cell_executed,
    )
    with client.setup_kernel():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            try:
                client.execute_cell(cell, i)
            except DeadKernelError:
                for j in range(i, len(nb.cells)):
                    errors[j] = ("DeadKernelError", "the kernel died")
                break
    return errors


def grade(notebook_path: str | Path, timeout: int = 600, kernel_name: str = "python3",
          quiet: bool = False) -> list[ExerciseResult]:
    """Execute a notebook and grade each exercise check in it.

    Args:
        notebook_path: the submitted notebook (``.ipynb``).
        timeout: seconds allowed per cell; a cell that runs longer is interrupted and
            counts as an error.
        kernel_name: the Jupyter kernel to run it with.
        quiet: do not print the table.

    Returns:
        One :class:`ExerciseResult` per check cell, in notebook order.

    Raises:
        ValueError: the file is missing, is not a notebook, or has no exercise check.
    """
    path = Path(notebook_path)
    if not path.is_file():
        raise ValueError(f"no such notebook: {path}")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as e:  # nbformat raises several kinds on a broken file
        raise ValueError(f"{path} is not a readable notebook: {e}") from e
    checks = find_checks(nb)
    if not checks:
        raise ValueError(f"{path} has no exercise check cell (a code cell calling a check_... function)")

    errors = _run(nb, path.resolve().parent, timeout, kernel_name)

    results = []
    for index, exercise, name, start in checks:
        printed = _verdict_line(_stdout(nb.cells[index]))
        starter = [j for j in range(start, index) if errors.get(j, ("",))[0] == "NotImplementedError"]
        if index not in errors:
            status, message = PASS, printed or "the check passed"
        elif errors[index][0] == "NotImplementedError" or starter:
            status = NOT_ATTEMPTED
            message = printed if printed.startswith("NOT ATTEMPTED") else "the starter code is still there"
        else:
            ename, evalue = errors[index]
            status = FAIL
            if printed.startswith("FAIL"):
                message = printed
            else:
                message = f"{ename}: {evalue}" if evalue else ename
        results.append(ExerciseResult(exercise, name, index, status, message))
    if not quiet:
        print(format_table(results, title=str(path)))
    return results


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
    counts = {s: sum(r.status == s for r in results) for s in (PASS, FAIL, NOT_ATTEMPTED)}
    lines.append(f"{len(results)} checks: {counts[PASS]} pass, {counts[FAIL]} fail, "
                 f"{counts[NOT_ATTEMPTED]} not attempted")
    return "\n".join(lines)
