"""The student edition: the chapter notebooks without their solutions.

``make_student_edition("book", "student")`` (or ``python -m gantools student book --out
student``) writes every notebook of ``book`` to ``student`` with the cells tagged
``solution`` removed, outputs and execution counts cleared, and a short header after the
title that says how to check an answer, and ``metadata["gantools"] = {"chapter": N,
"edition": "student"}`` so that the grader knows the chapter whatever the file is renamed to.
Starter cells, check cells and everything else stay as they are, so a student notebook runs
top to bottom until the first unanswered exercise raises ``NotImplementedError``.
"""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

import nbformat

SOLUTION_TAG = "solution"

HEADER = """\
**Student edition.** The worked solutions are removed from this notebook. Each exercise
has a starter cell (marked `# YOUR CODE HERE`) and a check cell below it:

1. Replace the starter with your answer and run the cell.
2. Run the check cell. It prints `PASS` or `FAIL` with a hint; a `NotImplementedError`
   means the exercise is not attempted yet.

*Run all* stops at the first exercise you have not answered; answer it and run on. Your
instructor grades the notebook you hand in by running it and applying the book's own checks
to your answers (`python -m gantools grade NOTEBOOK`): keep the names of the answers, and do
not redefine the checks; editing a check cell changes nothing in the grade."""


def is_solution(cell) -> bool:
    """True for a cell tagged ``solution``."""
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def chapter_number(nb: nbformat.NotebookNode) -> int | None:
    """The N of the notebook's ``# N. Title`` heading, or None."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = re.search(r"^#\s+(\d+)\.\s", cell.source, re.MULTILINE)
            if found:
                return int(found.group(1))
    return None


def student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without solution cells and outputs, with the student header and the
    ``gantools`` metadata (chapter number, edition) the grader reads.

    The header is a Markdown cell placed after the first cell (the chapter's title cell).
    """
    out = copy.deepcopy(nb)
    number = chapter_number(nb)
    if number is not None:
        import gantools
        from gantools.exercises.registry import CHAPTERS
        from gantools.grading.read import exercise_set

        out.metadata["gantools"] = {"chapter": number, "edition": "student", "version": gantools.__version__}
        if number in CHAPTERS:  # the grader refuses a notebook written for other exercises
            out.metadata["gantools"]["exercises"] = exercise_set(CHAPTERS[number])
    cells = []
    for cell in out.cells:
        if is_solution(cell):
            continue
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            for key in ("execution", "collapsed", "scrolled"):
                cell.metadata.pop(key, None)
        cells.append(cell)
    header = nbformat.v4.new_markdown_cell(HEADER)
    if out.nbformat_minor < 5:
        header.pop("id", None)  # cell ids exist from nbformat 4.5 on
    out.cells = cells[:1] + [header] + cells[1:]
    return out


def make_student_edition(src_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Write the student edition of every notebook in ``src_dir`` to ``out_dir``.

    Returns the written paths, sorted. The reference runs the GPU chapters display
    (``src_dir/runs``) are copied along (``out_dir/runs``), so the student notebooks run
    offline from ``out_dir`` too. Raises ValueError when ``src_dir`` holds no notebook or
    when ``out_dir`` is ``src_dir`` (it would overwrite the originals).
    """
    src, out = Path(src_dir), Path(out_dir)
    if not src.is_dir():
        raise ValueError(f"{src} is not a directory")
    notebooks = sorted(src.glob("*.ipynb"))
    if not notebooks:
        raise ValueError(f"no notebooks (*.ipynb) in {src}")
    if out.resolve() == src.resolve():
        raise ValueError(f"the output directory {out} is the source directory: it would overwrite the originals")
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as e:  # nbformat raises several kinds on a broken file
            raise ValueError(f"cannot read {path}: {e}") from e
        student = student_notebook(nb)
        nbformat.validate(student)
        target = out / path.name
        nbformat.write(student, target)
        written.append(target)
    if (src / "runs").is_dir():
        shutil.copytree(src / "runs", out / "runs", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("checkpoint.pt", ".tmp-*"))
    return written
