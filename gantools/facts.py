"""The numbers the book quotes outside the chapter that computes them.

The interview bank, the introduction and the how-to-use page quote results of the chapters
(a Fréchet distance, a correlation, a number of seeds). Each such number is a *fact*: a
named value in ``gantools/data/facts.json`` with a tolerance and a display format.

- The chapter that computes the number asserts it: ``check_fact("ch10_fd_dcgan_800", fd)``
  fails (nbval, the book build) when the computation drifts away from the file.
- The ``.md`` pages never write the number: they write ``{{ ch10_fd_dcgan_800 }}``, a MyST
  substitution that ``_ext/facts.py`` fills from the same file when the book is built.

So a number changes in one place, the file, and a claim that no longer holds fails the build.

A fact is one of three kinds:

- ``"approx"`` (the default): the computed value lies within ``tol`` of ``value``;
- ``"upper"``: the computed value is below ``value`` (the text says "below ...");
- ``"lower"``: the computed value is above ``value`` (the text says "above ...").

``fmt`` is a Python format spec (``".3f"``, ``",.0f"``, ``".1%"``), ``"sig.N"`` for ``N``
significant digits without an exponent (6780 as ``6800``), or ``"sci.N"`` for ``N``
significant digits written as LaTeX, ``$2.23 \\times 10^{-6}$``.

Updating the numbers after a re-run: execute the chapters with ``GANTOOLS_FACTS_RECORD=FILE``
set, so that ``check_fact`` records each computed value in ``FILE`` instead of asserting, then
``python -m gantools.facts update FILE`` writes the new values into ``facts.json`` and lists the
bounds that no longer hold (their prose must change). Then edit the chapters' prose.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

KINDS = ("approx", "upper", "lower")
NAME = re.compile(r"^ch\d\d_[a-z0-9_]+$|^book_[a-z0-9_]+$")


@dataclass(frozen=True)
class Fact:
    """One quoted number: its value, how close a recomputation must come, how it is shown."""

    name: str  # "ch10_fd_dcgan_800": the chapter (two digits) and what it is
    value: float  # the value the text shows (for "upper"/"lower": the bound)
    tol: float  # "approx": the largest allowed |computed - value|; 0 for bounds
    fmt: str  # format spec of the displayed text, e.g. ".3f" or "sci.3"
    kind: str  # "approx", "upper" or "lower"
    what: str  # one line: what the number is, where it is computed

    @property
    def chapter(self) -> str:
        """The two-digit chapter that computes the fact ("book" for book-wide facts)."""
        return self.name[2:4] if self.name.startswith("ch") else "book"

    def text(self) -> str:
        """The value as the pages show it."""
        return format_value(self.value, self.fmt)

    def holds(self, computed: float) -> bool:
        """Whether a recomputed value supports the text."""
        if not math.isfinite(computed):
            return False
        if self.kind == "upper":
            return computed < self.value
        if self.kind == "lower":
            return computed > self.value
        return abs(computed - self.value) <= self.tol


def format_value(value: float, fmt: str) -> str:
    """``value`` in the display format ``fmt`` (see the module docstring)."""
    if fmt.startswith("sig."):
        digits = int(fmt[4:])
        if value == 0:
            return "0"
        rounded = float(f"{value:.{digits}g}")
        decimals = max(0, digits - 1 - math.floor(math.log10(abs(rounded))))
        return f"{rounded:.{decimals}f}"
    if fmt.startswith("sci."):
        digits = int(fmt[4:])
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        return rf"${mantissa} \times 10^{{{int(exponent)}}}$"
    return format(value, fmt)


def _from_json(name: str, entry: dict) -> Fact:
    if not NAME.match(name):
        raise ValueError(f"fact name {name!r} must look like 'ch07_lp_slope' or 'book_...'")
    unknown = set(entry) - {"value", "tol", "fmt", "kind", "what"}
    if unknown:
        raise ValueError(f"fact {name!r} has unknown fields {sorted(unknown)}")
    kind = entry.get("kind", "approx")
    if kind not in KINDS:
        raise ValueError(f"fact {name!r}: kind must be one of {KINDS}, got {kind!r}")
    value, tol = float(entry["value"]), float(entry.get("tol", 0.0))
    if not (math.isfinite(value) and math.isfinite(tol) and tol >= 0):
        raise ValueError(f"fact {name!r}: value and tol must be finite, tol >= 0, got {value!r}, {tol!r}")
    return Fact(name=name, value=value, tol=tol, fmt=str(entry.get("fmt", "g")), kind=kind,
                what=str(entry.get("what", "")))


@lru_cache(maxsize=1)
def load_facts() -> dict[str, Fact]:
    """All facts of ``gantools/data/facts.json``, by name."""
    raw = json.loads(resources.files("gantools").joinpath("data/facts.json").read_text(encoding="utf-8"))
    return {name: _from_json(name, entry) for name, entry in raw.items() if not name.startswith("_")}


def get_fact(name: str) -> Fact:
    """The fact called ``name`` (ValueError naming the closest names if there is none)."""
    facts = load_facts()
    if name not in facts:
        prefix = name[:5]
        near = sorted(n for n in facts if n.startswith(prefix))[:8]
        raise ValueError(f"no fact called {name!r} in gantools/data/facts.json; facts of that chapter: {near}")
    return facts[name]


def check_fact(name: str, computed) -> float:
    """Assert that ``computed`` supports the quoted fact ``name``; return it as a float.

    Raises AssertionError (what nbval and the book build fail on) with the value to put in
    ``gantools/data/facts.json`` when the computation and the text disagree.
    """
    fact = get_fact(name)
    x = float(computed)
    record = os.environ.get("GANTOOLS_FACTS_RECORD")
    if record:  # re-measuring the facts (see the module docstring): record, do not assert
        with open(record, "a", encoding="utf-8") as f:
            f.write(json.dumps({"name": name, "computed": x}) + "\n")
        return x
    if not fact.holds(x):
        want = {"approx": f"{fact.value} +- {fact.tol}", "upper": f"< {fact.value}",
                "lower": f"> {fact.value}"}[fact.kind]
        raise AssertionError(
            f"fact {name} ({fact.what}): computed {x!r}, but the pages quote {fact.text()} ({want}). "
            f"If the new value is right, update 'value' in gantools/data/facts.json "
            f"(shown as {format_value(x, fact.fmt)}) and the chapter's prose.")
    return x


def substitutions() -> dict[str, str]:
    """``{name: displayed text}`` for every fact: the MyST substitutions of the pages."""
    return {name: fact.text() for name, fact in load_facts().items()}


FACTS_JSON = "data/facts.json"


def write_facts(raw: dict, path) -> None:
    """Write ``raw`` (name -> entry) with one fact per line, so that a changed number is a one-line diff."""
    lines = [f"  {json.dumps(name)}: {json.dumps(entry, ensure_ascii=False)}" for name, entry in raw.items()]
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


def update_from_record(record_path: str, facts_path: str | None = None) -> list[str]:
    """Write the values recorded under ``GANTOOLS_FACTS_RECORD`` into facts.json.

    Approximate facts take the recorded value (rounded two digits below the tolerance); a
    bound that the recorded value violates is left alone and reported. Returns the report lines.
    """
    facts_path = facts_path or str(resources.files("gantools").joinpath(FACTS_JSON))
    with open(facts_path, encoding="utf-8") as f:
        raw = json.load(f)
    report = []
    with open(record_path, encoding="utf-8") as f:
        recorded = [json.loads(line) for line in f if line.strip()]
    for row in recorded:
        name, x = row["name"], float(row["computed"])
        fact = _from_json(name, raw[name])
        if fact.kind == "approx":
            if not fact.holds(x):
                report.append(f"{name}: {fact.text()} -> {format_value(x, fact.fmt)}")
            raw[name]["value"] = round(x, math.ceil(-math.log10(fact.tol)) + 2) if fact.tol > 0 else x
        elif not fact.holds(x):
            report.append(f"{name}: BOUND VIOLATED, {x!r} is not {fact.kind} {fact.value}: rewrite the claim")
    write_facts(raw, facts_path)
    load_facts.cache_clear()
    return report


if __name__ == "__main__":  # python -m gantools.facts update RECORD
    if len(sys.argv) != 3 or sys.argv[1] != "update":
        print("usage: python -m gantools.facts update RECORD_FILE", file=sys.stderr)
        sys.exit(2)
    for line in update_from_record(sys.argv[2]) or ["every recorded fact already matched"]:
        print(line)
