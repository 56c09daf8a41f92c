"""The chapter manifest (gantools.chapters) is the book: its chapters are the notebooks on disk
and the toc's, every block generated from it is up to date, the code follows it, the prose
counts chapters and questions right, and CONTRIBUTING.md's "Adding a chapter" names exactly the
files a new chapter edits by hand."""

import ast
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from gantools import chapters as manifest
from gantools import pages
from gantools.chapters import CHAPTERS, HAND_EDITED, NUMBER_WORDS
from gantools.facts import get_fact
from gantools.pages import GENERATED, stale_blocks

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
N = len(CHAPTERS)
PROSE = ["README.md", "CONTRIBUTING.md", "book/intro.md", "book/how_to_use.md", "book/for_instructors.md",
         "book/interview_questions.md"]


def notebook_source(chapter) -> str:
    """The chapter's code cells (Markdown mentions of a module do not count as using it)."""
    cells = json.loads((BOOK / chapter.notebook).read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


# --------------------------------------------------------------------------- the manifest is the book

def test_the_manifest_is_the_notebooks_on_disk():
    assert sorted(p.name for p in BOOK.glob("[0-9][0-9]_*.ipynb")) == [c.notebook for c in CHAPTERS]
    assert [c.number for c in CHAPTERS] == list(range(1, N + 1))
    assert len({c.slug for c in CHAPTERS}) == N


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.slug)
def test_each_row_matches_its_notebook(chapter):
    cells = json.loads((BOOK / chapter.notebook).read_text(encoding="utf-8"))["cells"]
    headings = [ln for c in cells if c["cell_type"] == "markdown"
                for ln in "".join(c["source"]).split("\n") if ln.startswith("# ")]
    assert headings == [f"# {chapter.number}. {chapter.title}"]
    source = notebook_source(chapter)
    # GPU: the chapter has a full branch that trains with full_run_steps(N) on a GPU
    assert chapter.device == ("GPU" if "full_run_steps(" in source else "CPU")
    assert "\n" not in chapter.summary and chapter.summary.endswith(".") and chapter.minutes > 0
    for name in chapter.code:  # the code a newcomer should read: exists, and the notebook uses it
        assert (ROOT / "gantools" / f"{name}.py").exists() or (ROOT / "gantools" / name).is_dir(), name
        assert re.search(rf"gantools\.{name}\b|from gantools import [^\n]*\b{name}\b", source), name
    # its exercises: every check the registry names lives in gantools.exercises.<exercises> and
    # is called in the notebook
    import importlib

    from gantools.exercises.registry import CHAPTERS as REGISTRY

    module = importlib.import_module(f"gantools.exercises.{chapter.exercises}")
    checks = [e.check for e in REGISTRY[chapter.number].exercises]
    assert checks and all(hasattr(module, c) and f"{c}(" in source for c in checks), checks


def test_the_toc_lists_the_manifest_in_order():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    captions = [p["caption"] for p in toc["parts"]]
    middle = toc["parts"][captions.index("Start here") + 1:captions.index("Practice")]
    listed = [(p["caption"], c["file"]) for p in middle for c in p["chapters"]]
    assert listed == [(c.part, f"book/{c.notebook[:-len('.ipynb')]}") for c in CHAPTERS]


# --------------------------------------------------------------------------- generated blocks

def test_every_generated_block_is_up_to_date():
    stale = stale_blocks()
    assert not stale, "stale (run: python -m gantools.pages --write): " + ", ".join(stale)


def test_a_stale_block_is_reported_and_written(tmp_path, capsys):
    for path in GENERATED:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, tmp_path / path)
    intro = tmp_path / "book" / "intro.md"
    intro.write_text(intro.read_text(encoding="utf-8").replace("| 3 | [The JSD identity]", "| 3 | [JSD]"),
                     encoding="utf-8")
    toc = tmp_path / "_toc.yml"
    toc.write_text(toc.read_text(encoding="utf-8").replace("book/14_generative_families\n", ""), encoding="utf-8")
    assert stale_blocks(tmp_path) == ["_toc.yml: chapter-parts", "book/intro.md: chapter-table"]
    assert stale_blocks(tmp_path, write=True) and stale_blocks(tmp_path) == []
    assert intro.read_text(encoding="utf-8") == (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    intro.write_text("no markers here\n", encoding="utf-8")
    with pytest.raises(ValueError, match="chapter-table"):
        stale_blocks(tmp_path)


def test_check_exits_1_naming_the_stale_block(monkeypatch, capsys):
    monkeypatch.setattr(pages, "stale_blocks", lambda root=None, write=False: ["README.md: module-list"])
    assert pages.main(["--check"]) == 1 and "stale: README.md: module-list" in capsys.readouterr().out
    monkeypatch.setattr(pages, "stale_blocks", lambda root=None, write=False: [])
    assert pages.main(["--check"]) == 0


def test_the_module_list_is_the_package_tree():
    docs = pages.module_docs()
    package = ROOT / "gantools"
    on_disk = {p.stem for p in package.glob("[!_]*.py")} | {p.name for p in package.iterdir()
                                                            if (p / "__init__.py").exists() and p.name[0] != "_"}
    assert set(docs) == on_disk and len(on_disk) > 30
    missing = [name for name, doc in docs.items() if doc == "(no docstring)" or len(doc) < 20]
    assert not missing, f"modules whose docstring says nothing: {missing}"
    assert all("\n" not in doc for doc in docs.values())


# --------------------------------------------------------------------------- the code follows the manifest

def test_exercise_modules_exist_and_gantools_exercises_imports_exactly_them():
    package = ROOT / "gantools" / "exercises"
    tree = ast.parse((package / "__init__.py").read_text(encoding="utf-8"))
    star = {n.module for n in tree.body if isinstance(n, ast.ImportFrom) and n.level == 1
            and any(a.name == "*" for a in n.names)}
    assert star == {c.exercises for c in CHAPTERS}
    for c in CHAPTERS:
        assert (package / f"{c.exercises}.py").exists(), c.exercises


def test_the_registry_takes_its_notebooks_from_the_manifest():
    from gantools.exercises.registry import CHAPTERS as REGISTRY

    assert {n: c.notebook for n, c in REGISTRY.items()} == {c.number: c.notebook for c in CHAPTERS}


# --------------------------------------------------------------------------- the bank and the prose

def bank_sections():
    parts = re.split(r"^### (.+)$", (BOOK / "interview_questions.md").read_text(encoding="utf-8"), flags=re.M)
    return list(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.slug)
def test_every_chapter_has_questions_in_the_bank(chapter):
    questions = [h for h, body in bank_sections() if not h.startswith("Wrong:") and f"]({chapter.notebook}" in body]
    assert questions, f"chapter {chapter.number} has no question in book/interview_questions.md"


def test_the_bank_counts_are_the_bank():
    headings = [h for h, _ in bank_sections()]
    wrong = [h for h in headings if h.startswith("Wrong:")]
    assert get_fact("book_n_questions").value == len(headings) - len(wrong)
    assert get_fact("book_n_wrong").value == len(wrong)


def count_claims(text: str) -> list[str]:
    """The phrases of ``text`` that state a number of chapters, weeks or questions wrongly."""
    n_questions = len([h for h, _ in bank_sections() if not h.startswith("Wrong:")])
    number = r"(\d+|" + "|".join(NUMBER_WORDS) + ")"
    expected = {rf"\b{number}[ -](?:chapters|week)\b": N, rf"\bchapters 1 (?:to|–|-) {number}\b(?= prove)": N,
                rf"\b{number} (?:interview )?questions\b": n_questions}
    bad = []
    for pattern, want in expected.items():
        for m in re.finditer(pattern, text, flags=re.I):
            word = m[1].lower()
            if (int(word) if word.isdigit() else NUMBER_WORDS.index(word)) != want:
                bad.append(f"'{m[0]}' (the book has {want})")
    for m in re.finditer(r"\b[Cc]hapters? (\d+(?:(?:, | and | to | or )\d+)*)", text):  # no chapter past the last
        bad += [f"'{m[0]}' (the book has {N})" for k in re.findall(r"\d+", m[1]) if int(k) > N]
    return bad


@pytest.mark.parametrize("page", PROSE)
def test_prose_counts_the_chapters_and_questions_right(page):
    bad = count_claims((ROOT / page).read_text(encoding="utf-8"))
    assert not bad, f"{page}: " + "; ".join(bad)


def test_the_count_check_can_fail():
    assert count_claims("covers all thirteen chapters in a 12-week course")
    assert count_claims("These questions cover what chapters 1 to 13 prove")
    assert count_claims("in chapters 8 to 15 it asks") and count_claims("there are 7 questions")
    assert not count_claims(f"all {NUMBER_WORDS[N]} chapters; the exercises of chapters 1 to 5; chapter {N}")


# --------------------------------------------------------------------------- adding a chapter

def checklist() -> list[str]:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("\n## Adding a chapter\n", 1)[1].split("\n## ", 1)[0]
    items = re.findall(r"^\d+\. (.+(?:\n   .+)*)", section, flags=re.M)
    assert items and "`python -m gantools.pages --write`" in section
    return [re.match(r"`([\w./-]+)`", item)[1] for item in items]  # each item opens with the file it edits


def test_contributing_lists_exactly_the_hand_edited_files():
    assert sorted(set(checklist())) == sorted(HAND_EDITED)
    assert not set(HAND_EDITED) & set(GENERATED), "a hand-edited file is also generated"
    assert all((ROOT / f).exists() for f in HAND_EDITED)
    assert len(HAND_EDITED) <= 4  # the goal; a chapter's facts are a new file, gantools/data/facts/chNN.json


def test_the_checklist_check_can_fail(monkeypatch):
    monkeypatch.setattr(manifest, "HAND_EDITED", HAND_EDITED + ("_toc.yml",))
    assert set(manifest.HAND_EDITED) & set(GENERATED)
    assert sorted(set(checklist())) != sorted(manifest.HAND_EDITED)
