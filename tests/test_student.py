"""The student edition: solutions gone, outputs cleared, starters and checks kept, and a
student notebook runs until the first unanswered exercise raises NotImplementedError."""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from gantools.grading import find_checks
from gantools.student import HEADER, is_solution, make_student_edition, student_notebook

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
CHAPTERS = sorted(BOOK.glob("*.ipynb"))


def solution_lines(nb):
    """Substantial source lines of the solution cells that appear nowhere else in ``nb``."""
    others = "\n".join(c.source for c in nb.cells if not is_solution(c))
    lines = {ln.strip() for c in nb.cells if is_solution(c) for ln in c.source.splitlines()}
    return {ln for ln in lines if len(ln) > 20 and ln not in others}


def tiny_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 9. A chapter"),
        nbformat.v4.new_code_cell("x = 1", execution_count=3,
                                  outputs=[nbformat.v4.new_output("stream", text="1\n")]),
        nbformat.v4.new_markdown_cell("**Exercise 9.1 (easy).** Set `answer`."),
        nbformat.v4.new_code_cell("answer = None  # YOUR CODE HERE"),
        nbformat.v4.new_code_cell("answer = 42  # the secret solution", metadata={"tags": ["solution", "hide-cell"]}),
        nbformat.v4.new_code_cell("assert check_linear_penalty(answer)"),
    ]
    return nb


def test_student_notebook_strips_solutions_and_outputs_and_adds_the_header():
    nb = tiny_notebook()
    st = student_notebook(nb)
    nbformat.validate(st)
    sources = [c.source for c in st.cells]
    assert sources == ["# 9. A chapter", HEADER, "x = 1", "**Exercise 9.1 (easy).** Set `answer`.",
                       "answer = None  # YOUR CODE HERE", "assert check_linear_penalty(answer)"]
    assert all(c.outputs == [] and c.execution_count is None for c in st.cells if c.cell_type == "code")
    assert len(nb.cells) == 6 and nb.cells[1].outputs, "the original must be left untouched"
    # the grader reads the chapter from this, whatever the student renames the file to
    import gantools
    from gantools.exercises.registry import CHAPTERS
    from gantools.grading import exercise_set

    assert st.metadata["gantools"] == {"chapter": 9, "edition": "student", "version": gantools.__version__,
                                       "exercises": exercise_set(CHAPTERS[9])} and "gantools" not in nb.metadata


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    return out, make_student_edition(BOOK, out)


def test_every_chapter_is_written_and_valid(edition):
    out, written = edition
    assert [p.name for p in written] == [p.name for p in CHAPTERS]
    for p in written:
        nbformat.validate(nbformat.read(p, as_version=4))
    # the reference runs chapters 8-10 display come along, without full checkpoints
    assert sorted(d.name for d in (out / "runs").iterdir()) == sorted(d.name for d in (BOOK / "runs").iterdir())
    assert (out / "runs" / "dcgan-digits" / "generator.pt").exists()


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_no_solution_survives_and_everything_else_is_kept(edition, chapter):
    out, _ = edition
    orig = nbformat.read(chapter, as_version=4)
    st = nbformat.read(out / chapter.name, as_version=4)
    assert any(is_solution(c) for c in orig.cells), "the chapter should have solutions to strip"
    assert not any(is_solution(c) for c in st.cells)
    text = "\n".join(c.source for c in st.cells)
    leaked = [ln for ln in solution_lines(orig) if ln in text]
    assert not leaked, f"solution text left in the student edition: {leaked[:3]}"
    kept = [c for c in orig.cells if not is_solution(c)]
    assert [c.source for c in st.cells] == [kept[0].source, HEADER] + [c.source for c in kept[1:]]
    assert sum("YOUR CODE HERE" in c.source for c in st.cells) >= 2, "starter cells must stay"
    assert all(not c.outputs and c.execution_count is None for c in st.cells if c.cell_type == "code")
    assert st.cells[0].source.startswith("# ") and st.cells[1].cell_type == "markdown"


@pytest.mark.parametrize("chapter", [c.name for c in CHAPTERS])
def test_the_student_notebook_runs_until_the_first_unanswered_exercise(edition, chapter):
    """Every chapter end to end: the first error is the first exercise's
    NotImplementedError, and no cell before it fails."""
    out, _ = edition
    path = out / chapter
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(out)}})
    with pytest.raises(CellExecutionError) as info:
        client.execute()
    assert info.value.ename == "NotImplementedError", info.value
    failed = [i for i, c in enumerate(nb.cells)
              if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    check_cell, _, _, first_cell = find_checks(nb)[0]
    assert len(failed) == 1 and first_cell <= failed[0] <= check_cell, (failed, first_cell, check_cell)
    ran = [c.execution_count is not None for c in nb.cells[:failed[0]] if c.cell_type == "code"]
    assert all(ran), "every code cell before the first exercise must have run"


def test_no_notebooks_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="no notebooks"):
        make_student_edition(tmp_path, tmp_path / "out")


def test_refuses_to_overwrite_the_source(tmp_path):
    nbformat.write(tiny_notebook(), tmp_path / "09_x.ipynb")
    with pytest.raises(ValueError, match="overwrite"):
        make_student_edition(tmp_path, tmp_path / ".")
    assert re.search("solution", (tmp_path / "09_x.ipynb").read_text())
