"""Solutions stay with the instructor: no page a reader sees without opening a solution, no check
docstring, states an exercise's answer; and the book installs one version everywhere.

Each exercise's :class:`~gantools.exercises.protocol.Spec` lists ``leaks``: patterns that would
state its answer (its value, its closed form). The public text is every chapter's Markdown and
visible code (cells not tagged ``solution``), the ``.md`` pages and the README. The check cells'
output, which prints the PASS message with the answer, is removed from the website.
"""

import json
import re
from pathlib import Path

import pytest

import gantools
import gantools.exercises as ex
from gantools.exercises.registry import CHAPTERS, exercises

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"


def _cells(chapter):
    return json.loads((BOOK / chapter.notebook).read_text(encoding="utf-8"))["cells"]


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _solution(cell):
    return "solution" in cell.get("metadata", {}).get("tags", [])


def public_text() -> dict[str, str]:
    pages = {p.name: p.read_text(encoding="utf-8") for p in sorted(BOOK.glob("*.md"))}
    pages["README.md"] = (ROOT / "README.md").read_text(encoding="utf-8")
    for c in CHAPTERS.values():
        pages[c.notebook] = "\n".join(_source(cell) for cell in _cells(c) if not _solution(cell))
    return pages


PUBLIC = public_text()


@pytest.mark.parametrize("e", exercises(), ids=lambda e: e.number)
def test_no_public_page_states_the_answer(e):
    spec = getattr(ex, e.check).spec
    assert spec.leaks, f"exercise {e.number} lists no pattern of its answer"
    for pattern in spec.leaks:
        hits = [(name, m.group(0)) for name, text in PUBLIC.items() if (m := re.search(pattern, text))]
        assert not hits, f"exercise {e.number}'s answer is on a public page: {hits[:3]}"


@pytest.mark.parametrize("e", exercises(), ids=lambda e: e.number)
def test_each_leak_pattern_finds_the_answer_where_it_is(e):
    """A pattern that matches nothing proves nothing: each must find the instructor's solution
    cells or the check's own source (its PASS message)."""
    import inspect

    spec = getattr(ex, e.check).spec
    chapter = CHAPTERS[int(e.number.split(".")[0])]
    private = "\n".join(_source(cell) for cell in _cells(chapter) if _solution(cell))
    private += inspect.getsource(inspect.getmodule(getattr(ex, e.check)))
    for pattern in spec.leaks:
        assert re.search(pattern, private), f"{e.number}: {pattern!r} matches neither its solution nor its check"


@pytest.mark.parametrize("e", exercises(), ids=lambda e: e.number)
def test_no_check_docstring_states_the_answer(e):
    check = getattr(ex, e.check)
    doc = check.__doc__ or ""
    for pattern in check.spec.leaks:
        assert not re.search(pattern, doc), f"{e.check}'s docstring states the answer ({pattern!r})"


def test_the_website_does_not_print_the_check_messages():
    """A check cell prints PASS with the answer: its output is removed from the rendered page."""
    missing = [(c.notebook, i) for c in CHAPTERS.values() for i, cell in enumerate(_cells(c))
               if cell["cell_type"] == "code" and _source(cell).lstrip().startswith("assert check_")
               and "remove-output" not in cell.get("metadata", {}).get("tags", [])]
    assert not missing, missing


def test_every_setup_cell_installs_this_release():
    tag = f"@v{gantools.__version__}"
    for c in CHAPTERS.values():
        setup = next(_source(cell) for cell in _cells(c) if cell["cell_type"] == "code")
        assert "google.colab" in setup and f"git+https://{{repo}}{tag}" in setup, (c.notebook, setup[:300])
    assert f"v{gantools.__version__}" in PUBLIC["for_instructors.md"]


def test_the_course_guide_states_what_was_measured():
    """The fourteen-week table and the grading time on the instructors' page are rendered from the
    registry and from gantools/data/grading.json, which bench/grading.py --reference writes."""
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    import grading as bench

    data = json.loads((ROOT / "gantools" / "data" / "grading.json").read_text())
    assert data["submissions"] >= 100 and set(data["statuses"]) == {"pass"}
    page = PUBLIC["for_instructors.md"]
    assert bench.course_rows(data) in page and bench.grading_sentence(data) in page
