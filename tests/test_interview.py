"""The interview question bank: every question is a heading ending in '?', answered in a
closed dropdown that opens with the short answer a candidate would give (at most three
sentences, no links) and then gives the book's evidence ("In the book.") with a link into the
chapter that computes it; every misconception is refuted the same way. Every link's anchor
exists in its chapter. The numbers are facts (tests/test_facts.py)."""

import json
import re
from pathlib import Path

from gantools.chapters import CHAPTERS as MANIFEST

PAGE = Path(__file__).resolve().parents[1] / "book" / "interview_questions.md"
CHAPTERS = {c.notebook: PAGE.parent / c.notebook for c in MANIFEST}  # the manifest (tests/test_chapters.py: = disk)
# Issue 16 asked for at least 80 questions once more chapters landed: chapters 1-13 support 90
# questions and 26 misconceptions.
MIN_QUESTIONS, MIN_WRONG = 94, 28
TOPICS = ["Theory", "Training dynamics", "Architectures", "Evaluation", "Practice", "Common wrong answers"]
EVIDENCE = "**In the book.**"


def sections():
    """(heading, body) for every ### heading of the page."""
    parts = re.split(r"^### (.+)$", PAGE.read_text(), flags=re.M)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def chapter_links(body):
    return re.findall(r"\]\((\d\d_[\w]+\.ipynb)(#[^)\s]+)?\)", body)


def dropdown(body, title):
    """The paragraphs of the one dropdown in ``body`` with the given title."""
    m = re.search(r"^```\{dropdown\} " + re.escape(title) + r"\n(.*?)^```$", body, flags=re.M | re.S)
    assert m, f"no dropdown '{title}'"
    assert ":open:" not in m[1]
    return [p.strip() for p in m[1].strip().split("\n\n")]


def sentences(paragraph):
    prose = re.sub(r"\$[^$]+\$", "X", paragraph)  # math may contain full stops
    prose = re.sub(r"\b(?:e\.g|i\.e|et al|vs)\.", "", prose)
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z(\"X])", prose) if s.strip()]


def check_answer(heading, paragraphs):
    short, rest = paragraphs[0], paragraphs[1:]
    assert not chapter_links(short) and not short.startswith("**"), f"the short answer comes first: {heading}"
    assert 1 <= len(sentences(short)) <= 3, f"short answer of {len(sentences(short))} sentences: {heading}"
    assert rest and rest[0].startswith(EVIDENCE), f"then '{EVIDENCE}': {heading}"
    links = chapter_links("\n".join(rest))
    assert links, f"no link into a chapter: {heading}"
    assert all(name in CHAPTERS for name, _ in links), links


def test_questions_open_with_a_short_answer_then_the_evidence_with_a_link():
    questions = [(h, b) for h, b in sections() if not h.startswith("Wrong:")]
    assert len(questions) >= MIN_QUESTIONS
    for heading, body in questions:
        assert heading.rstrip().endswith("?"), heading
        check_answer(heading, dropdown(body, "Answer"))


def test_misconceptions_are_refuted_the_same_way():
    wrong = [(h, b) for h, b in sections() if h.startswith("Wrong:")]
    assert len(wrong) >= MIN_WRONG
    for heading, body in wrong:
        check_answer(heading, dropdown(body, "Why it is wrong"))
    assert "## Common wrong answers" in PAGE.read_text()


def test_questions_are_grouped_by_topic_with_enough_in_each():
    text = PAGE.read_text()
    assert re.findall(r"^## (.+)$", text, flags=re.M) == TOPICS
    groups = re.split(r"^## .+$", text, flags=re.M)[1:]
    for topic, body in zip(TOPICS, groups, strict=True):
        n = len(re.findall(r"^### ", body, flags=re.M))
        assert n >= 4, (topic, n)


def test_every_chapter_is_linked_from_the_bank():
    linked = {name for _, body in sections() for name, _ in chapter_links(body)}
    assert linked == set(CHAPTERS), sorted(set(CHAPTERS) - linked)


def slug(heading):
    """MyST's heading anchor (myst_heading_anchors): the text without its mathematics, lower case,
    punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\$[^$]*\$", "", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def test_every_anchor_exists_in_its_chapter():
    anchors = {}
    for name, path in CHAPTERS.items():
        cells = json.loads(path.read_text())["cells"]
        headings = [ln for c in cells if c["cell_type"] == "markdown" for ln in "".join(c["source"]).split("\n")
                    if re.match(r"#{1,3} ", ln)]
        anchors[name] = {slug(re.sub(r"^#+ ", "", h)) for h in headings} | {""}
    for _, body in sections():
        for name, anchor in chapter_links(body):
            assert anchor.lstrip("#") in anchors[name], f"{name}{anchor}: no such heading"


def test_the_slug_matches_myst():
    # anchors that the built book is known to have (tests/test_browser.py checks them in the HTML)
    assert slug("3.3 The minimum $-\\log 4$ is reached at $p_g = p_{\\text{data}}$") == "33-the-minimum--is-reached-at-"
    assert slug("Does a generator copy its training set?") == "does-a-generator-copy-its-training-set"
