"""Grading: each exercise's check is reported as pass, fail or not attempted, and grading
carries on after an error."""

from pathlib import Path

import nbformat
import pytest

from gantools.grading import FAIL, NOT_ATTEMPTED, PASS, find_checks, format_table, grade

md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell


def submission():
    """A synthetic submission with one exercise of each outcome (checks from chapters 3 and 4)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        md("# 9. A submission"),
        code("import math\n\nfrom gantools.exercises import check_disjoint_jsd, check_gradient_ratio"),
        md("**Exercise 9.1 (easy).** JSD of disjoint supports."),
        code("jsd_disjoint = math.log(2)"),
        code("assert check_disjoint_jsd(jsd_disjoint)"),                     # 4: pass
        md("**Exercise 9.2 (easy).** The gradient ratio."),
        code("ratio = 1 / 0.01"),
        code("assert check_gradient_ratio(ratio)"),                          # 7: fail (100, not 99)
        md("**Exercise 9.3 (easy).** Left as the starter."),
        code("answer = None  # YOUR CODE HERE"),
        code("assert check_disjoint_jsd(answer)"),                           # 10: not attempted
        code("1 / 0  # an unrelated error: grading goes on"),
        md("**Exercise 9.4 (medium).** A starter that raises itself."),
        code("raise NotImplementedError"),
        code("assert check_gradient_ratio(ratio_from_starter)"),             # 14: not attempted
        md("**Exercise 9.5 (medium).** A buggy answer."),
        code("assert check_gradient_ratio(undefined_name)"),                 # 16: fail (NameError)
        code("assert check_gradient_ratio((1 - 0.01) / 0.01)  # 9.5, a second check"),  # 17: pass
        code("assert check_disjoint_jsd(open('answer.txt').read())"),        # 18: pass, reads the cwd
    ]
    return nb


def test_find_checks_ignores_imports_definitions_and_unknown_names():
    nb = submission()
    nb.cells += [code("def check_mine(x):\n    return check_disjoint_jsd(x)"), code("check_nonexistent(1)")]
    found = [(i, ex, name) for i, ex, name, _ in find_checks(nb)]
    assert found == [(4, "9.1", "check_disjoint_jsd"), (7, "9.2", "check_gradient_ratio"),
                     (10, "9.3", "check_disjoint_jsd"), (14, "9.4", "check_gradient_ratio"),
                     (16, "9.5", "check_gradient_ratio"), (17, "9.5", "check_gradient_ratio"),
                     (18, "9.5", "check_disjoint_jsd")]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submission")
    (folder / "answer.txt").write_text("0.6931")  # found only if the kernel runs in the notebook's folder
    path = folder / "submission.ipynb"
    nbformat.write(submission(), path)
    return grade(path, timeout=60, quiet=True)


def test_each_outcome_is_classified(graded):
    assert [(r.exercise, r.status) for r in graded] == [
        ("9.1", PASS), ("9.2", FAIL), ("9.3", NOT_ATTEMPTED), ("9.4", NOT_ATTEMPTED),
        ("9.5", FAIL), ("9.5", PASS), ("9.5", PASS)]


def test_messages_carry_the_checks_verdict(graded):
    by_cell = {r.cell: r for r in graded}
    assert by_cell[4].message.startswith("PASS:") and by_cell[4].passed
    assert by_cell[7].message.startswith("FAIL:") and "1/d" in by_cell[7].message
    assert by_cell[10].message.startswith("NOT ATTEMPTED:")
    assert by_cell[16].message.startswith("NameError")


def test_the_kernel_runs_in_the_notebooks_folder(graded):
    # answer.txt lies beside the notebook; the check accepts the string "0.6931" (≈ log 2)
    assert graded[-1].passed, graded[-1].message


def test_table_lists_every_check_and_a_summary(graded):
    table = format_table(graded, title="sub.ipynb")
    lines = table.splitlines()
    assert lines[0] == "sub.ipynb" and lines[1].split() == ["exercise", "check", "status", "message"]
    assert len(lines) == 2 + len(graded) + 1
    assert lines[-1] == "7 checks: 3 pass, 2 fail, 2 not attempted"


def test_a_missing_or_broken_notebook_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="no such notebook"):
        grade(tmp_path / "missing.ipynb")
    bad = tmp_path / "bad.ipynb"
    bad.write_text("not json")
    with pytest.raises(ValueError, match="not a readable notebook"):
        grade(bad)
    empty = tmp_path / "empty.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[code("x = 1")]), empty)
    with pytest.raises(ValueError, match="no exercise check"):
        grade(empty)


def test_the_reference_chapters_have_checks():
    book = Path(__file__).resolve().parents[1] / "book"
    for path in sorted(book.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        checks = find_checks(nb)
        assert checks and all(ex != "?" for _, ex, _, _ in checks), path.name
