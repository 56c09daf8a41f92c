"""Which chapter a submission belongs to, where its exercises are, and whether it can be graded at all."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import nbformat

from ..exercises.registry import CHAPTERS, Chapter

_EXERCISE = re.compile(r"\*\*Exercise\s+(\d+\.\d+)")
_HEADING = re.compile(r"^#\s+(\d+)\.\s", re.MULTILINE)
_CHECK_CALL = re.compile(r"(?<![\w.])(check_\w+)\s*\(")
_DEF = re.compile(r"^\s*def\s+check_", re.MULTILINE)
MAX_NOTEBOOK = 50_000_000  # bytes: a submission larger than this is invalid


def exercise_set(chapter: Chapter) -> str:
    """A short fingerprint of a chapter's exercises (numbers, checks, answers): a submission written
    for another set (another version of the book) is refused."""
    text = json.dumps([[e.number, e.check, list(e.answers), e.kind] for e in chapter.exercises])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


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



def layout(nb: nbformat.NotebookNode, chapter: Chapter) -> tuple[dict[str, int], dict[str, list[int]]]:
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



def _validate(nb) -> None:
    """ValueError unless every cell is a dict with a known type and text source, encodable as UTF-8
    (a lone surrogate is not)."""
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise ValueError("it has no list of cells")
    for i, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise ValueError(f"cell {i} is not a notebook cell")
        source = cell.get("source", "")
        if isinstance(source, list) and all(type(s) is str for s in source):
            source = cell["source"] = "".join(source)
        if type(source) is not str:
            raise ValueError(f"cell {i}'s source is a {type(source).__name__}, not text")
        try:
            source.encode("utf-8")
        except UnicodeEncodeError as e:
            raise ValueError(f"cell {i}'s source is not valid text ({e.reason} at character {e.start})") from None


def read_submission(path: str | Path) -> tuple[nbformat.NotebookNode, Chapter]:
    """The notebook at ``path`` and its chapter; ValueError (one line saying why) when it is missing,
    too large, not UTF-8 JSON, not a valid notebook, of no chapter with exercises, or written for
    another set of exercises than this grader's."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no such notebook: {path}")
    if path.stat().st_size > MAX_NOTEBOOK:
        raise ValueError(f"{path} is larger than {MAX_NOTEBOOK // 10**6} MB")
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
        _validate(raw)
        nb = nbformat.from_dict(raw)
        if nb.get("nbformat") != 4:
            nb = nbformat.convert(nb, 4)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        reason = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise ValueError(f"{path} is not a readable notebook: {reason}") from None
    except Exception as e:  # nbformat raises several kinds on a broken file
        raise ValueError(f"{path} is not a readable notebook: {type(e).__name__}") from None
    try:
        chapter = chapter_of(nb)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
    meta = nb.metadata.get("gantools", {})
    written = meta.get("exercises") if isinstance(meta, dict) else None
    if written is not None and written != exercise_set(chapter):
        version = meta.get("version", "another version")
        raise ValueError(f"{path} was written for gantools {version}, whose chapter {chapter.number} exercises differ "
                         "from this grader's: grade it with that version")
    return nb, chapter


