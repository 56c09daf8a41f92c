"""The book's quoted numbers (gantools.facts, gantools/data/facts/*.json, _ext/facts.py).

- Every fact is well formed, shown with no more digits than its tolerance supports, asserted
  by the chapter that computes it (check_fact) and quoted on a page.
- The pages quote numbers only through {{ name }} substitutions of facts: a literal number
  outside mathematics fails here, except chapter, section and exercise numbers, years and the
  digits 0 to 10, and the durations of how_to_use's plan (summed into a fact below); inside
  mathematics, only formula constants and parameters (at most two significant digits, or
  integers below 10,000) may be literal.
- check_fact asserts each kind of fact, and its record mode updates the files: only the file
  that holds a recorded fact, adding a new fact (and its chapter's file) from the record.
- The facts' files refuse a name defined twice or kept in another chapter's file.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pytest

from gantools import facts as facts_mod
from gantools.facts import check_fact, format_value, get_fact, load_facts, substitutions, update_from_record

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
PAGES = [BOOK / "interview_questions.md", BOOK / "intro.md", BOOK / "how_to_use.md"]
CHAPTERS = {p.name[:2]: p for p in BOOK.glob("[0-9][0-9]_*.ipynb")}
SUBST = re.compile(r"\{\{\s*(\w+)\s*\}\}")
# Chapters that other changes are rewriting: their facts are quoted already, and the chapters will
# assert them (each fact's "what" names its section; the commit that added this comment lists the
# cells and variables). Remove a chapter from this set once its notebook calls check_fact for
# every one of its facts.
PENDING: set[str] = set()
PENDING_FACTS: set[str] = set()  # single facts of an otherwise asserted chapter that wait for a change


def page_text() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in PAGES}


def notebook_source(path: Path) -> str:
    return "\n".join("".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
                     if c["cell_type"] == "code")


def display_unit(fact) -> float:
    """The value of one unit in the last digit that the pages show."""
    fmt, v = fact.fmt, abs(fact.value)
    if m := re.fullmatch(r",?\.(\d+)f", fmt):
        return 10.0 ** -int(m[1])
    if m := re.fullmatch(r"\.(\d+)%", fmt):
        return 10.0 ** -(int(m[1]) + 2)
    if m := re.fullmatch(r"(sig|sci)\.(\d+)", fmt):
        return 10.0 ** (math.floor(math.log10(v)) - int(m[2]) + 1) if v else 1.0
    raise AssertionError(f"{fact.name}: unsupported format {fmt!r}")


def shown_value(fact) -> float:
    """The number a reader sees, parsed back from the displayed text."""
    text = fact.text()
    if m := re.fullmatch(r"\$(-?[\d.]+) \\times 10\^\{(-?\d+)\}\$", text):
        return float(m[1]) * 10.0 ** int(m[2])
    if text.endswith("%"):
        return float(text[:-1].replace(",", "")) / 100
    return float(text.replace(",", ""))


# --------------------------------------------------------------------------- the facts file

def test_facts_are_well_formed_and_name_an_existing_chapter():
    facts = load_facts()
    assert len(facts) > 100
    for name, fact in facts.items():
        assert fact.what, f"{name}: say what the number is"
        if fact.chapter != "book":
            assert fact.chapter in CHAPTERS, f"{name}: no chapter {fact.chapter}"


def test_pages_show_no_more_digits_than_the_tolerance_supports():
    for name, fact in load_facts().items():
        unit = display_unit(fact)
        if fact.kind == "approx":
            # a recomputed value within tol changes the last shown digit by at most one
            assert fact.tol <= unit * (1 + 1e-9), f"{name}: tol {fact.tol} is coarser than the shown digit {unit}"
            assert abs(shown_value(fact) - fact.value) <= unit / 2 * (1 + 1e-9), name
        else:  # a bound is shown exactly as asserted
            assert shown_value(fact) == pytest.approx(fact.value, rel=1e-12, abs=0), (name, fact.text())


def test_every_fact_is_asserted_by_its_chapter():
    sources = {ch: notebook_source(p) for ch, p in CHAPTERS.items()}
    called = set()
    for src in sources.values():
        called |= set(re.findall(r"""check_fact\(\s*["'](\w+)["']""", src))
    assert called <= set(load_facts()), sorted(called - set(load_facts()))
    missing = [n for n, f in load_facts().items()
               if f.chapter not in PENDING and f.chapter != "book" and n not in PENDING_FACTS and n not in called]
    assert not missing, f"facts no chapter asserts: {missing}"
    for name in called:  # a fact is asserted by the chapter its name gives, not by another
        chapter = get_fact(name).chapter
        asserted_here = re.search(r"""check_fact\(\s*["']""" + name + "[\"']", sources[chapter])
        assert asserted_here, f"{name} is asserted outside chapter {chapter}"


@pytest.mark.xfail(strict=True, reason="chapter 6 does not assert its facts yet; "
                                        "when it does, this passes and PENDING must be emptied")
def test_pending_facts_are_asserted():
    called = set()
    for p in CHAPTERS.values():
        called |= set(re.findall(r"""check_fact\(\s*["'](\w+)["']""", notebook_source(p)))
    pending = [n for n, f in load_facts().items() if f.chapter in PENDING or n in PENDING_FACTS]
    assert pending and set(pending) <= called


def test_every_fact_is_quoted_and_every_quote_is_a_fact():
    used = set()
    for path, text in page_text().items():
        names = set(SUBST.findall(text))
        assert names <= set(load_facts()), f"{path.name}: unknown facts {sorted(names - set(load_facts()))}"
        used |= names
    assert set(load_facts()) <= used, f"facts quoted nowhere: {sorted(set(load_facts()) - used)}"


def test_substitutions_are_the_displayed_texts():
    subs = substitutions()
    assert subs["ch03_stale_gap"] == get_fact("ch03_stale_gap").text()
    assert subs["ch03_grad_10sd"].startswith("$") and r"\times 10^{-6}" in subs["ch03_grad_10sd"]
    assert all(isinstance(v, str) and v for v in subs.values())


# --------------------------------------------------------------------------- no literal numbers

MATH = re.compile(r"\$\$.+?\$\$|\$[^$\n]+?\$", re.S)
STRUCTURAL = re.compile(
    r"(?:[Cc]hapters?|[Ss]ections?|[Ee]xercises?|Theorem|Prop\.)\s+\d+(?:\.\d+)?"
    r"(?:(?:,\s*|\s+(?:and|to|or)\s+)\d+(?:\.\d+)?)*"
    r"|\[\d+(?:\.\d+)?\]"  # a link whose text is a section number: [3.6](...)
    r"|^#\s+\d+\."  # a page's own heading, "# 11. Conditional GANs"
    r"|^\d+\.\s"  # an item number of an ordered list: "11. [Conditional GANs](...)"
    r"|^\|\s*\d+\s*\|",  # a table row's ordinal: "| 11 | [Conditional GANs](...) |"
    re.M)
NAMES_WITH_DIGITS = re.compile(r"\b(?:R1|1D|2D|3D|float64|float32|Inception-v3|StyleGAN2|ot\.emd2|\d+(?:st|nd|rd|th))\b")
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
DURATION = re.compile(r"\|\s*\d+(?:\.\d+)? (?:min|h)\s*\|")  # how_to_use's plan; test_book_facts sums it


def literal_numbers(text: str) -> list[str]:
    """Numbers on a page that are neither a fact nor allowed to be literal (see the module docstring)."""
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"^```.*$", " ", text, flags=re.M)  # directive fences: ```{dropdown} Answer
    text = re.sub(r"\{\w+\}`[^`]*`", " ", text)  # roles: {cite}`key2018`
    text = re.sub(r"`[^`]*`", " ", text)  # inline code
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    text = SUBST.sub(" FACT ", text)
    bad = []
    for m in MATH.finditer(text):
        for num in re.findall(r"\d+(?:\.\d+)?", m[0]):
            digits = num.replace(".", "").lstrip("0")
            if ("." in num and len(digits) > 2) or ("." not in num and int(num) >= 10_000):
                bad.append(f"in math: {num} ({m[0][:60]})")
        for num in re.findall(r"\\approx\s*-?(\d+(?:\.\d+)?)", m[0]):  # "x \approx 1.386": a measured value
            if len(num.replace(".", "").lstrip("0")) > 2:
                bad.append(f"a measured value in math: {m[0][:60]}")
    prose = MATH.sub(" ", text)
    prose = STRUCTURAL.sub(" ", prose)
    prose = NAMES_WITH_DIGITS.sub(" ", prose)
    prose = YEAR.sub(" ", prose)
    prose = DURATION.sub(" ", prose)
    for m in re.finditer(r"\d[\d,.]*\d%?|\d%?", prose):
        num = m[0].rstrip(".,")
        if re.fullmatch(r"\d+", num) and int(num) <= 10:
            continue
        bad.append(f"{num!r} in '...{prose[max(0, m.start() - 40):m.end() + 20]}...'")
    return bad


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_pages_quote_numbers_only_through_facts(page):
    bad = literal_numbers(page.read_text(encoding="utf-8"))
    assert not bad, "literal numbers (make them facts, or write them as mathematics):\n" + "\n".join(bad)


def test_the_literal_number_check_can_fail():
    assert literal_numbers("the FD is 21.8 here") and literal_numbers("a slope of $1.068$")
    assert literal_numbers("in 32 of 800 cases") and literal_numbers("about 98.89%")
    assert not literal_numbers("see chapter 10, section 3.6 and exercises 10.3 and 10.4 (2018)")
    assert not literal_numbers("the FD is {{ ch10_dcgan_fd }}, with $\\lambda = 10$ and $N(4, 0.5^2)$")


# --------------------------------------------------------------------------- facts about the book itself

def test_book_facts_count_the_pages():
    bank = (BOOK / "interview_questions.md").read_text(encoding="utf-8")
    headings = re.findall(r"^### (.+)$", bank, flags=re.M)
    wrong = [h for h in headings if h.startswith("Wrong:")]
    check_fact("book_n_questions", len(headings) - len(wrong))
    check_fact("book_n_wrong", len(wrong))
    howto = (BOOK / "how_to_use.md").read_text(encoding="utf-8")
    section = howto.split("## Interview preparation", 1)[1].split("\n## ", 1)[0]
    minutes = 0
    for t in re.findall(r"^\|\s*\d+\s*\|[^|]*\|\s*([\d.]+ (?:h|min))\s*\|", section, flags=re.M):
        value, unit = t.split()
        minutes += float(value) * (60 if unit == "h" else 1)
    check_fact("book_interview_hours", minutes / 60)


# --------------------------------------------------------------------------- gantools.facts itself

def test_check_fact_accepts_within_tolerance_and_rejects_outside(monkeypatch):
    monkeypatch.delenv("GANTOOLS_FACTS_RECORD", raising=False)
    fact = get_fact("ch03_stale_gap")
    assert check_fact("ch03_stale_gap", fact.value + 0.5 * fact.tol) == pytest.approx(fact.value + 0.5 * fact.tol)
    with pytest.raises(AssertionError, match="ch03_stale_gap"):
        check_fact("ch03_stale_gap", fact.value + 2 * fact.tol)
    with pytest.raises(AssertionError):
        check_fact("ch03_stale_gap", float("nan"))
    upper = get_fact("ch02_trained_max_err")  # kind "upper": the computed value must be below
    check_fact("ch02_trained_max_err", upper.value - 1e-3)
    with pytest.raises(AssertionError):
        check_fact("ch02_trained_max_err", upper.value + 1e-3)
    lower = get_fact("ch02_far_logit_err")  # kind "lower"
    check_fact("ch02_far_logit_err", lower.value + 1)
    with pytest.raises(AssertionError):
        check_fact("ch02_far_logit_err", lower.value - 1)


def test_unknown_fact_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="ch03_no_such"):
        get_fact("ch03_no_such")


def test_format_value():
    assert format_value(0.752787, ".6f") == "0.752787"
    assert format_value(2.232e-6, "sci.4") == r"$2.232 \times 10^{-6}$"
    assert format_value(6780, "sig.2") == "6800" and format_value(0.012345, "sig.2") == "0.012"
    assert format_value(369600, ",.0f") == "369,600" and format_value(0.0464, ".1%") == "4.6%"


def test_record_mode_and_update(tmp_path, monkeypatch):
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("GANTOOLS_FACTS_RECORD", str(record))
    fact = get_fact("ch03_stale_gap")
    check_fact("ch03_stale_gap", fact.value + 0.1)  # recorded, not asserted
    check_fact("ch02_trained_max_err", 1.0)  # a violated bound: recorded
    copy = tmp_path / "facts"
    shutil.copytree(FACTS, copy)
    report = update_from_record(str(record), str(copy))
    new = {**json.loads((copy / "ch02.json").read_text()), **json.loads((copy / "ch03.json").read_text())}
    assert new["ch03_stale_gap"]["value"] == pytest.approx(fact.value + 0.1)
    assert new["ch02_trained_max_err"] == json.loads((FACTS / "ch02.json").read_text())["ch02_trained_max_err"]
    assert any("ch02_trained_max_err" in line and "BOUND" in line for line in report)
    assert any(line.startswith("ch03_stale_gap") for line in report)
    facts_mod.load_facts.cache_clear()


FACTS = ROOT / "gantools" / "data" / "facts"


def test_facts_live_in_their_chapters_files():
    names = {}
    for path in sorted(FACTS.glob("*.json")):
        for name in json.loads(path.read_text(encoding="utf-8")):
            assert facts_mod.file_of(name) == path.name, f"{name} is in {path.name}"
            names[name] = path.name
    assert set(names) == set(load_facts())


def test_a_name_defined_twice_is_refused(tmp_path):
    shutil.copytree(FACTS, tmp_path / "facts")
    (tmp_path / "facts" / "ch03_copy.json").write_text(  # a second file that repeats a fact of ch03
        json.dumps({"ch03_stale_gap": json.loads((FACTS / "ch03.json").read_text())["ch03_stale_gap"]}))
    with pytest.raises(ValueError, match=r"ch03_stale_gap.*twice.*ch03(_copy)?\.json.*ch03(_copy)?\.json"):
        facts_mod.read_files(tmp_path / "facts")
    (tmp_path / "facts" / "ch03_copy.json").unlink()
    text = (tmp_path / "facts" / "ch04.json").read_text()  # the same name twice in one file
    (tmp_path / "facts" / "ch04.json").write_text(text.replace("{\n", '{\n  "ch04_x": {"value": 1},\n  "ch04_x": {"value": 2},\n', 1))
    with pytest.raises(ValueError, match=r"ch04\.json.*ch04_x"):
        facts_mod.read_files(tmp_path / "facts")


def test_a_name_in_another_chapters_file_is_refused(tmp_path):
    shutil.copytree(FACTS, tmp_path / "facts")
    ch08 = json.loads((tmp_path / "facts" / "ch08.json").read_text())
    ch08["ch07_x"] = {"value": 1.0, "tol": 0.1, "fmt": ".1f", "what": "misfiled"}
    facts_mod.write_facts(ch08, tmp_path / "facts" / "ch08.json")
    with pytest.raises(ValueError, match=r"ch07_x.*ch08\.json.*ch07\.json"):
        facts_mod.read_files(tmp_path / "facts")


def test_a_recorded_new_fact_is_added_to_a_new_chapter_file(tmp_path, monkeypatch):
    record = tmp_path / "record.jsonl"
    monkeypatch.delenv("GANTOOLS_FACTS_RECORD", raising=False)
    with pytest.raises(ValueError, match="ch15_new_fd"):  # not recording: an unknown name fails
        check_fact("ch15_new_fd", 21.84372, fmt=".1f", tol=0.05, what="a new chapter's FD")  # kept to 4 decimals
    monkeypatch.setenv("GANTOOLS_FACTS_RECORD", str(record))
    with pytest.raises(ValueError, match="fmt= and what="):  # recording, but nothing defines it
        check_fact("ch15_undefined", 1.0)
    check_fact("ch15_new_fd", 21.84372, fmt=".1f", tol=0.05, what="a new chapter's FD")  # kept to 4 decimals
    check_fact("ch15_new_bound", 0.03, fmt=".2f", kind="upper", bound=0.05, what="a new chapter's bound")
    check_fact("ch03_stale_gap", get_fact("ch03_stale_gap").value, fmt="g", tol=9.0)  # exists: keywords ignored
    copy = tmp_path / "facts"
    shutil.copytree(FACTS, copy)
    assert not (copy / "ch15.json").exists()
    report = update_from_record(str(record), str(copy))
    lines = (copy / "ch15.json").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "{" and lines[-1] == "}" and len(lines) == 4  # one fact per line, as write_facts
    assert json.loads((copy / "ch15.json").read_text()) == {
        "ch15_new_fd": {"value": 21.8437, "tol": 0.05, "fmt": ".1f", "what": "a new chapter's FD"},
        "ch15_new_bound": {"value": 0.05, "fmt": ".2f", "kind": "upper", "what": "a new chapter's bound"}}
    assert (copy / "ch03.json").read_text() == (FACTS / "ch03.json").read_text()
    assert any(line.startswith("ch15_new_fd: NEW") for line in report)
    new = facts_mod.read_files(copy)
    assert facts_mod._from_json("ch15_new_fd", new["ch15.json"]["ch15_new_fd"]).text() == "21.8"
    facts_mod.load_facts.cache_clear()


def test_an_update_rewrites_only_the_file_that_holds_the_fact(tmp_path, monkeypatch):
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv("GANTOOLS_FACTS_RECORD", str(record))
    fact = get_fact("ch03_stale_gap")
    check_fact("ch03_stale_gap", fact.value + 0.1)
    copy = tmp_path / "facts"
    shutil.copytree(FACTS, copy)
    # another file in a layout write_facts would not produce: rewriting it would show
    (copy / "ch02.json").write_text(json.dumps(json.loads((FACTS / "ch02.json").read_text()), indent=4))
    before = {p.name: p.read_text() for p in copy.glob("*.json")}
    update_from_record(str(record), str(copy))
    after = {p.name: p.read_text() for p in copy.glob("*.json")}
    assert set(after) == set(before)
    assert [f for f in after if after[f] != before[f]] == ["ch03.json"]
    new, old = after["ch03.json"].splitlines(), before["ch03.json"].splitlines()
    changed = [a for a, b in zip(new, old, strict=True) if a != b]
    assert len(changed) == 1 and '"ch03_stale_gap"' in changed[0]
    facts_mod.load_facts.cache_clear()
