"""The registry the grader trusts is the book: every chapter's exercise prompts, levels and
check cells are exactly the registry's, and no check can be passed by pasting a number the
chapter prints before the exercise."""

import ast
import math
import re
from pathlib import Path

import nbformat
import pytest

import gantools.exercises as ex
from gantools.exercises.registry import CHAPTERS, check_module, exercises
from gantools.student import is_solution

BOOK = Path(__file__).resolve().parents[1] / "book"
PROMPT = re.compile(r"\*\*Exercise\s+(\d+\.\d+)\s+\((easy|medium|hard)\)")


def chapter_cells(number):
    return nbformat.read(BOOK / CHAPTERS[number].notebook, as_version=4).cells


def test_every_chapter_notebook_is_in_the_registry():
    assert sorted(p.name for p in BOOK.glob("[0-9][0-9]_*.ipynb")) == sorted(c.notebook for c in CHAPTERS.values())


@pytest.mark.parametrize("number", list(CHAPTERS))
def test_prompts_levels_and_check_cells_match_the_registry(number):
    cells = chapter_cells(number)
    prompts = [m for c in cells if c.cell_type == "markdown" for m in PROMPT.findall(c.source)]
    registry = CHAPTERS[number].exercises
    assert prompts == [(e.number, e.level) for e in registry]
    checks = [c.source.strip() for c in cells if c.cell_type == "code" and "check_" in c.source
              and c.source.lstrip().startswith("assert check_") and not is_solution(c)]
    assert checks == [e.check_cell for e in registry]


def test_every_check_exists_and_is_used_once():
    names = [e.check for e in exercises()]
    assert len(names) == len(set(names))
    for name in names:
        assert callable(getattr(ex, name)) and check_module(name).startswith("gantools.exercises.")
    exported = {n for n in dir(ex) if n.startswith("check_")}
    assert exported == set(names), exported ^ set(names)


def test_check_module_rejects_unknown_names():
    with pytest.raises(ValueError, match="no check"):
        check_module("check_nothing")


@pytest.mark.parametrize("exercise", [e for e in exercises() if e.kind == "prediction"], ids=lambda e: e.number)
def test_a_prediction_is_not_overwritten_before_its_check(exercise):
    """Between the prompt and the check, the book assigns the prediction only literals (the
    student's guess); the measurement comes after the check, under another name."""
    cells = chapter_cells(int(exercise.number.split(".")[0]))
    start = next(i for i, c in enumerate(cells) if f"**Exercise {exercise.number} " in c.source)
    check = next(i for i, c in enumerate(cells) if c.source.strip() == exercise.check_cell)
    name = exercise.answers[0]
    for cell in cells[start:check]:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                ast.literal_eval(node.value)  # raises unless it is a literal
    later = "\n".join(c.source for c in cells[check + 1:])
    assert not re.search(rf"^\s*{name}\s*=", later, re.MULTILINE), f"{name} is reassigned after its check"


# -- pasting a number printed earlier ------------------------------------------------------------
NUMBER = re.compile(r"(?<![\w.])(-?\d+(?:,\d{3})*(?:\.\d+)?)(\s*\\?%)?")  # 98.89% and LaTeX's 98.89\%


def printed_numbers(cells):
    """The numbers a reader sees before an exercise: in the Markdown text and in the string
    literals of the code (what print statements show), with at least 3 significant digits
    (smaller integers are everywhere; an answer that is one can be guessed anyway)."""
    texts = []
    for c in cells:
        if c.cell_type == "markdown":
            texts.append(c.source)
        elif c.cell_type == "code" and not is_solution(c):
            try:
                tree = ast.parse(c.source)
            except SyntaxError:
                continue
            texts += [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    found = set()
    for text in texts:
        for digits, percent in NUMBER.findall(text):
            value = float(digits.replace(",", ""))
            significant = len(digits.replace(",", "").replace(".", "").replace("-", "").lstrip("0"))
            if significant >= 3:
                found.add(value / 100 if percent else value)
    return sorted(found)


@pytest.mark.parametrize("exercise", [e for e in exercises() if e.kind == "number"], ids=lambda e: e.number)
def test_no_number_printed_before_the_exercise_passes_its_check(exercise):
    cells = chapter_cells(int(exercise.number.split(".")[0]))
    start = next(i for i, c in enumerate(cells) if f"**Exercise {exercise.number} " in c.source)
    check = getattr(ex, exercise.check)
    passing = []
    for value in printed_numbers(cells[:start]):
        for v in (value, -value):
            try:
                if check(v, quiet=True):
                    passing.append(v)
            except NotImplementedError:
                pass
    assert not passing, f"pasting {passing} from the chapter passes {exercise.check}"


@pytest.mark.parametrize("exercise", [e for e in exercises() if e.kind == "function"], ids=lambda e: e.number)
def test_no_constant_printed_before_the_exercise_passes_its_check(exercise):
    """A function exercise is checked at several inputs: a function that returns a number the
    chapter prints (whatever its arguments) fails."""
    cells = chapter_cells(int(exercise.number.split(".")[0]))
    start = next(i for i, c in enumerate(cells) if f"**Exercise {exercise.number} " in c.source)
    check = getattr(ex, exercise.check)
    for value in printed_numbers(cells[:start]):
        assert not check(lambda *args, value=value: value, quiet=True), (exercise.number, value)


def test_the_scan_finds_the_numbers_the_issue_found():
    """6.2's ceiling (98.89%) and 7.4's bound (4096 c^3) are printed before their exercises:
    the scan must see them, and the changed exercises must reject them."""
    six = printed_numbers(chapter_cells(6)[:next(i for i, c in enumerate(chapter_cells(6)) if "**Exercise 6.2" in c.source)])
    assert any(math.isclose(v, 0.9889, abs_tol=1e-4) for v in six)
    seven = printed_numbers(chapter_cells(7)[:next(i for i, c in enumerate(chapter_cells(7))
                                                   if "**Exercise 7.4" in c.source)])
    assert 4096 in seven


# The chapters whose hard exercise asks for a prediction before a run or a derivation: the front
# pages (README, how_to_use, for_instructors) name exactly these.
PREDICT_FIRST = (1, 3, 5, 6, 8, 9, 10, 11, 12, 13, 14)


@pytest.mark.parametrize("number", list(CHAPTERS))
def test_every_chapter_has_a_hard_exercise_and_the_promised_ones_ask_to_predict_first(number):
    hard = [e.number for e in CHAPTERS[number].exercises if e.level == "hard"]
    assert hard, f"chapter {number} has no hard exercise"
    prompts = {m.group(1): c.source for c in chapter_cells(number) if c.cell_type == "markdown"
               for m in [PROMPT.search(c.source)] if m}
    predicts = any(re.search(r"predict,? then", prompts[n], re.IGNORECASE) for n in hard)
    assert predicts == (number in PREDICT_FIRST), (number, [prompts[n][:80] for n in hard])


def test_the_front_pages_name_the_predict_first_chapters():
    for page in (BOOK / "for_instructors.md", BOOK / "how_to_use.md", BOOK.parent / "README.md"):
        assert "chapters 1, 3, 5, 6 and 8 to 14" in " ".join(page.read_text().split()), page.name
    assert PREDICT_FIRST == (1, 3, 5, 6, *range(8, 15))
