"""How the chapters' code reads on the page (issue 16, section 6).

- A figure cell has alt text (``mystnb.image.alt``).
- Visible code fits the code box: no line of a code cell that the page shows is longer than
  88 characters (`book/ruff.toml`; `ruff format book/` keeps them so).
- A cell that only checks numbers (nothing but ``assert`` and ``check_fact``) is collapsed
  behind one toggle, "Check: the numbers above", and still executes; cells that teach stay
  visible. Exercise sections are exempt: there the check is the point.
"""

import ast
import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = sorted(BOOK.glob("[0-9][0-9]_*.ipynb"))
HIDDEN = {"hide-input", "hide-cell", "remove-input", "remove-cell"}
PROMPT = {"code_prompt_show": "Check: the numbers above", "code_prompt_hide": "Hide the check"}
LIMIT = 88


def code_cells(path):
    """(cell, source, in_exercises) for every code cell of a chapter."""
    in_exercises = False
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and src.lstrip().startswith("## Exercises"):
            in_exercises = True
        if cell["cell_type"] == "code":
            yield cell, src, in_exercises


def is_check(stmt) -> bool:
    if isinstance(stmt, ast.Assert):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        func = stmt.value.func
        return getattr(func, "id", getattr(func, "attr", "")) == "check_fact"
    if isinstance(stmt, ast.For):
        return not stmt.orelse and all(is_check(s) for s in stmt.body)
    return False


def test_the_rules_can_fail():
    assert all(is_check(s) for s in ast.parse("assert x\ncheck_fact('a', 1)\nfor v in w:\n    assert v").body)
    assert not any(is_check(s) for s in ast.parse("print(x)\nx = 1\nfor v in w:\n    print(v)").body)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_visible_code_fits_the_box(path):
    long = [
        (len(line), line.strip()[:60])
        for cell, src, _ in code_cells(path)
        if not HIDDEN & set(cell["metadata"].get("tags", []))
        for line in src.splitlines()
        if len(line) > LIMIT
    ]
    assert not long, f"{path.name}: visible code lines over {LIMIT} characters: {long}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_pure_checks_are_collapsed_behind_one_toggle(path):
    checks = 0
    for cell, src, in_exercises in code_cells(path):
        body = ast.parse(src).body
        exercise = re.search(r"\bcheck_(?!fact\b)\w+\(", src)  # a reader's check of an exercise
        if in_exercises or exercise or not body or not all(is_check(s) for s in body):
            continue
        checks += 1
        tags = set(cell["metadata"].get("tags", []))
        assert "hide-cell" in tags or tags & {"remove-input", "remove-cell"}, (path.name, src[:80])
        if "hide-cell" in tags:
            assert cell["metadata"].get("mystnb", {}) | PROMPT == cell["metadata"]["mystnb"], (path.name, src[:80])
    assert checks > 0, f"{path.name}: no check cells found (the rule would test nothing)"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_figure_cell_has_alt_text(path):
    """A cell that shows a figure (``plt.show()``) describes it for screen readers in
    ``mystnb.image.alt``; the browser test finds the same on the built page, 40 minutes later."""
    bare = [src.strip().splitlines()[0][:60] for cell, src, _ in code_cells(path)
            if "plt.show()" in src and not cell["metadata"].get("mystnb", {}).get("image", {}).get("alt")]
    assert not bare, f"{path.name}: figure cells without alt text: {bare}"
