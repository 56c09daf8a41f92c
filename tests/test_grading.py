"""Grading that an instructor can rely on: the book's own checks run on every exercise of the
chapter, whatever the submission did to its check cells; tampering is reported as such; a
notebook that hangs or kills its kernel is graded and the batch goes on.

The submissions are chapter 5's student edition, cut to its exercises (a kernel each, a few
seconds), answered and tampered with as students do. One test grades the whole book chapter.
"""

import csv
import subprocess
import sys

import nbformat
import pytest
from _submissions import (
    CHAPTER5,
    CHECK_51,
    CHECK_52,
    CHECK_53,
    EXERCISES,
    RIGHT,
    STARTER_51,
    STARTER_52,
    STARTER_53,
    TIMEOUT_S,
    answered,
    find,
    put,
    student_exercises,
)

from gantools.__main__ import main
from gantools.grading import (
    DIED,
    ERROR,
    FAIL,
    NOT_ATTEMPTED,
    PASS,
    TAMPERED,
    TIMEOUT,
    ExerciseResult,
    chapter_of,
    exit_status,
    grade,
    read_submission,
)
from gantools.grading.judge import _setup_problem


def submissions():
    """{file name: notebook}: the class the batch test grades, each built to show one behaviour."""
    subs = {}
    # The issue's tampered chapter-5 submission, renamed: a wrong answer with the assert removed,
    # the check shadowed by a lambda, and a right answer whose check cell was deleted.
    nb = answered(student_exercises(), STARTER_53)
    nb.cells[find(nb, STARTER_51)].source = "eta_best = 0.5  # 1/sigma, the edge of stability"
    nb.cells[find(nb, CHECK_51)].source = "check_extragradient_step(eta_best)"
    nb.cells[find(nb, STARTER_52)].source = ("def alternating_eigenvalues(eta, sigma):\n"
                                             "    return np.array([1 + 1j * eta * sigma, 1 - 1j * eta * sigma])")
    put(nb, "check_alternating_eigenvalues = lambda f: True", CHECK_52)
    del nb.cells[find(nb, CHECK_53)]
    subs["alice_ch5.ipynb"] = nb
    # Everything right, no gantools metadata: the chapter comes from the '# 5.' heading.
    nb = answered(student_exercises())
    del nb.metadata["gantools"]
    subs["bob final (2).ipynb"] = nb
    # Monkeypatching the checks' machinery, then the package attribute of a check.
    nb = answered(student_exercises())
    put(nb, "import gantools.exercises.common as common\n\ncommon.close = lambda a, b, tol: True", RIGHT[STARTER_51])
    subs["carol.ipynb"] = nb
    nb = answered(student_exercises())
    put(nb, "import gantools.exercises\n\ngantools.exercises.check_r1_rate = lambda f, quiet=False: True", CHECK_53)
    subs["dan.ipynb"] = nb
    # Nothing attempted in 5.1 and 5.3; 5.2's answer cell raises.
    nb = student_exercises()
    nb.cells[find(nb, STARTER_52)].source = "def alternating_eigenvalues(eta, sigma):\n    return eigs(eta, sigma)\n\n\nx = 1 / 0"
    subs["erin.ipynb"] = nb
    # A hang in 5.2 (interruptible): 5.2 times out, 5.1 and 5.3 are graded.
    nb = answered(student_exercises())
    put(nb, "while True:\n    pass", CHECK_52)
    subs["frank.ipynb"] = nb
    # A hang that ignores the interrupt: the kernel is shut down, 5.2 and 5.3 time out.
    nb = answered(student_exercises())
    put(nb, "import signal\n\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass", CHECK_52)
    subs["gina.ipynb"] = nb
    # The kernel dies in 5.2: 5.1 is graded, 5.2 and 5.3 died.
    nb = answered(student_exercises())
    put(nb, "import os\n\nos._exit(1)", CHECK_52)
    subs["hugo.ipynb"] = nb
    return subs


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The class graded from the command line, once: (results by file and exercise, exit
    status, stdout, stderr)."""
    folder = tmp_path_factory.mktemp("submissions")
    for name, nb in submissions().items():
        nbformat.write(nb, folder / name)
    r = subprocess.run([sys.executable, "-m", "gantools", "grade", *sorted(p.name for p in folder.glob("*.ipynb")),
                        "--csv", "grades.csv", "--timeout", str(TIMEOUT_S)],
                       cwd=folder, capture_output=True, text=True, timeout=900)
    rows = list(csv.DictReader((folder / "grades.csv").open(encoding="utf-8")))
    table = {(row["file"], row["exercise"]): row for row in rows}
    return table, r.returncode, r.stdout, r.stderr, rows


def statuses(batch, name):
    table = batch[0]
    return [table[(name, e)]["status"] for e in EXERCISES]


def test_the_issues_tampered_submission(batch):
    """No assert → still fail; a shadowed check → tampered (never pass); a deleted check cell →
    still graded by the book's check; the renamed file is recognised as chapter 5."""
    assert statuses(batch, "alice_ch5.ipynb") == [FAIL, TAMPERED, PASS, NOT_ATTEMPTED]
    table = batch[0]
    assert table[("alice_ch5.ipynb", "5.1")]["message"].startswith("There the factor |λ|² is exactly 1")
    assert "edited" in table[("alice_ch5.ipynb", "5.1")]["message"]
    tampered = table[("alice_ch5.ipynb", "5.2")]["message"]
    assert "check_alternating_eigenvalues in the notebook is not gantools' check" in tampered
    assert "The answer's outputs were judged: fail" in tampered
    assert "no check cell" in table[("alice_ch5.ipynb", "5.3")]["message"]


def test_the_chapter_comes_from_the_heading_without_metadata(batch):
    assert statuses(batch, "bob final (2).ipynb") == [PASS] * 4


def test_monkeypatching_the_checks_is_tampering(batch):
    assert statuses(batch, "carol.ipynb") == [TAMPERED] * 4
    assert "gantools.exercises.common.close was changed" in batch[0][("carol.ipynb", "5.1")]["message"]
    # Patching after 5.2 leaves 5.1 and 5.2 graded: the probe runs where each exercise ends.
    assert statuses(batch, "dan.ipynb") == [PASS, PASS, TAMPERED, TAMPERED]
    assert "gantools.exercises.check_r1_rate was changed" in batch[0][("dan.ipynb", "5.3")]["message"]


def test_not_attempted_and_errors(batch):
    assert statuses(batch, "erin.ipynb") == [NOT_ATTEMPTED, ERROR, NOT_ATTEMPTED, NOT_ATTEMPTED]
    message = batch[0][("erin.ipynb", "5.2")]["message"]
    assert "raised ZeroDivisionError" in message and "The check said: " in message and "NameError" in message


def test_a_hang_is_a_timeout_and_grading_goes_on(batch):
    assert statuses(batch, "frank.ipynb") == [PASS, TIMEOUT, PASS, PASS]
    assert f"ran longer than {TIMEOUT_S} s" in batch[0][("frank.ipynb", "5.2")]["message"]
    assert statuses(batch, "gina.ipynb") == [PASS, TIMEOUT, TIMEOUT, TIMEOUT]
    assert "did not stop when interrupted" in batch[0][("gina.ipynb", "5.3")]["message"]


def test_a_dead_kernel_is_reported_and_the_batch_goes_on(batch):
    assert statuses(batch, "hugo.ipynb") == [PASS, DIED, DIED, DIED]
    assert "kernel died" in batch[0][("hugo.ipynb", "5.2")]["message"]


def test_csv_has_a_row_per_exercise_and_a_total_per_student(batch):
    _, _, _, _, rows = batch
    assert list(rows[0]) == ["file", "exercise", "check", "status", "points", "max_points", "message"]
    names = sorted(submissions())
    assert [r["file"] for r in rows] == [n for n in names for _ in range(5)]
    assert [r["exercise"] for r in rows] == [*EXERCISES, "total"] * len(names)
    total = batch[0][("alice_ch5.ipynb", "total")]
    assert total["status"] == "1/4" and total["message"] == "1 pass, 1 fail, 1 not attempted, 1 tampered"
    assert batch[0][("bob final (2).ipynb", "total")]["status"] == "4/4"
    # points: easy 1, medium 2, medium 2, hard 3 by default; alice passed 5.3 only
    assert (total["points"], total["max_points"]) == ("2", "8")


def test_exit_status_progress_bar_and_tables(batch):
    _, code, out, err, _ = batch
    assert code == 1  # some exercise failed
    assert "grading" in err and "8/8" in err  # tqdm's bar, on stderr
    assert out.count("exercise  check") == len(submissions())  # one table per notebook on stdout
    assert "Traceback" not in err


def test_exit_status_zero_when_all_ran_and_none_failed():
    ok = [ExerciseResult("5.1", "check_x", PASS, ""), ExerciseResult("5.2", "check_y", NOT_ATTEMPTED, "")]
    assert exit_status({"a.ipynb": ok}) == 0
    for bad in (FAIL, ERROR, TAMPERED, TIMEOUT, DIED):
        assert exit_status({"a.ipynb": ok, "b.ipynb": [ExerciseResult("5.1", "check_x", bad, "")]}) == 1


def test_grade_returns_results_with_the_public_fields(tmp_path):
    """The Python API on one submission, and the CLI's exit 0 when everything passed."""
    path = tmp_path / "sub.ipynb"
    nbformat.write(answered(student_exercises(), STARTER_51, STARTER_52), path)
    results = grade(path, timeout=60, quiet=True)
    assert [(r.exercise, r.status, r.passed) for r in results] == [
        ("5.1", PASS, True), ("5.2", PASS, True), ("5.3", NOT_ATTEMPTED, False), ("5.4", NOT_ATTEMPTED, False)]
    assert results[0].message.startswith("η = 1/(√2 σ)")
    assert "not attempted" in results[2].message
    r = subprocess.run([sys.executable, "-m", "gantools", "grade", str(path), "--no-progress"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr  # all ran, none failed (not attempted is not a failure)
    assert r.stdout.strip().splitlines()[-1] == "2/4 exercises pass (2 pass, 2 not attempted)"


def test_the_kernels_gantools_must_be_the_graders(tmp_path):
    """The baseline reports which gantools the kernel imported and with which NumPy, torch and
    SciPy: another file is tampering, other versions cannot be judged here."""
    import numpy

    import gantools

    base = {"file": str(tmp_path / "gantools" / "__init__.py"), "fingerprints": {}, "versions": {}}
    status, message = _setup_problem(base, {}, tmp_path / "sub.ipynb")
    assert status == TAMPERED and "not from the grader's" in message
    base["file"] = gantools.__file__
    assert _setup_problem(base, {}, tmp_path / "sub.ipynb") is None
    base["versions"] = {"numpy": "0.0.1"}
    status, message = _setup_problem(base, {}, tmp_path / "sub.ipynb")
    assert status == ERROR and f"numpy 0.0.1, the grader {numpy.__version__}" in message
    assert _setup_problem(None, {"errors": {"0": ["ModuleNotFoundError", "no gantools"]}}, tmp_path)[0] == ERROR
    assert _setup_problem(base, {"failure": "the kernel could not start"}, tmp_path)[0] == ERROR


def test_the_book_chapter_passes_every_exercise():
    """The reference notebook, body and all: every check passes where the book runs it."""
    results = grade(CHAPTER5, timeout=300, quiet=True)
    assert [(r.exercise, r.status) for r in results] == [(e, PASS) for e in EXERCISES], results


# -- bad input: one line, exit 2, nothing runs ----------------------------------------------------
def test_the_chapter_is_read_from_the_notebook():
    nb = student_exercises()
    assert chapter_of(nb).number == 5
    nb.metadata["gantools"]["chapter"] = 3
    assert chapter_of(nb).number == 3  # metadata first
    del nb.metadata["gantools"]
    nb.cells[0].source = "# Untitled"
    with pytest.raises(ValueError, match="cannot tell which chapter"):
        chapter_of(nb)
    nb.cells[0].source = "# 99. A chapter the book does not have"
    with pytest.raises(ValueError, match="no exercises"):
        chapter_of(nb)


@pytest.mark.parametrize("content,match", [
    (None, "no such notebook"), ("not json", "not a readable notebook"),
    (nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])), "which chapter"),
])
def test_bad_submissions_are_value_errors(tmp_path, content, match):
    path = tmp_path / "sub.ipynb"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValueError, match=match):
        read_submission(path)


def test_bad_input_exits_2_before_grading_anything(tmp_path, capsys):
    good = tmp_path / "good.ipynb"
    nbformat.write(answered(student_exercises()), good)
    for args in ([str(good), "--csv", str(tmp_path / "no" / "such" / "dir.csv")], [str(good), "--timeout", "0"],
                 [str(good), "--jobs", "0"], [str(good), "--weights", str(tmp_path / "missing.csv")]):
        try:
            code = main(["grade", *args])
        except SystemExit as e:  # argparse's own errors
            code = e.code
        out, err = capsys.readouterr()
        assert code == 2, (args, err)
        assert len(err.strip().splitlines()) == 1 and "error" in err, err
        assert out == ""  # nothing was graded


def test_weights_are_read_and_checked(tmp_path):
    from gantools.grading import read_weights

    good = tmp_path / "w.csv"
    good.write_text("exercise,points\n5.4,6\n5.1,0.5\n")
    assert read_weights(good) == {"5.4": 6.0, "5.1": 0.5}
    for text, word in (("exercise,points\n5.9,1\n", "'5.9'"), ("exercise,points\n5.1,-1\n", "-1"),
                       ("exercise,pts\n5.1,1\n", "columns")):
        (tmp_path / "bad.csv").write_text(text)
        with pytest.raises(ValueError, match=word):
            read_weights(tmp_path / "bad.csv")


def test_the_grades_file_replaces_a_planted_symlink_and_is_private(tmp_path):
    """A kernel that planted ``grades.csv`` as a link to another file neither redirects the grades
    nor gets that file overwritten; the grades are readable by their owner only."""
    import os
    import stat

    from gantools.grading.report import write_csv

    target = tmp_path / "someone_elses.txt"
    target.write_text("keep me")
    link = tmp_path / "grades.csv"
    link.symlink_to(target)
    write_csv({}, link)
    assert target.read_text() == "keep me"
    assert not link.is_symlink() and link.read_text().startswith("file,exercise")
    assert stat.S_IMODE(os.stat(link).st_mode) == 0o600
