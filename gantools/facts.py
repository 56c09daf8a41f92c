"""The numbers the book quotes outside the chapter that computes them.

The interview bank, the introduction and the how-to-use page quote results of the chapters
(a Fréchet distance, a correlation, a number of seeds). Each such number is a *fact*: a
named value with a tolerance and a display format, in ``gantools/data/facts/chNN.json`` for a
fact of chapter ``NN`` (``ch10_fd_dcgan_800``) or ``gantools/data/facts/book.json`` for a fact
about the book itself (``book_n_questions``). A name lives in exactly one file, the one its
prefix names; ``load_facts`` refuses a name defined twice or filed under another chapter.

- The chapter that computes the number asserts it: ``check_fact("ch10_fd_dcgan_800", fd)``
  fails (nbval, the book build) when the computation drifts away from its file.
- The ``.md`` pages never write the number: they write ``{{ ch10_fd_dcgan_800 }}``, a MyST
  substitution that ``_ext/facts.py`` fills from the same files when the book is built.

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
``python -m gantools.facts update FILE`` writes the new values into the files that hold them
(and no other file) and lists the bounds that no longer hold (their prose must change). Then
edit the chapters' prose.

Adding facts (a new chapter): either write ``gantools/data/facts/chNN.json`` by hand, or give
the definition to the call, ``check_fact("ch15_fd", fd, fmt=".1f", tol=0.05, what="...")``
(for a bound, ``kind="upper"`` or ``"lower"`` and ``bound=``), and run the chapter recorded.
Outside record mode an unknown name still fails and the keywords are ignored for a fact that
exists; in record mode a name that no file has must carry them (ValueError otherwise), they
go into the record, and ``update`` adds the fact (an approximate
one with the recorded value, rounded two digits below its tol) at the end of its chapter's file,
creating the file if needed.
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
from pathlib import Path

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


FACTS_DIR = "data/facts"  # in the package: one file per chapter, chNN.json, and book.json


def file_of(name: str) -> str:
    """The file that holds the fact ``name``: ``"ch07.json"`` for ``ch07_...``, ``"book.json"``."""
    return ("book" if name.startswith("book_") else name[:4]) + ".json"


def _no_duplicate_keys(pairs: list) -> dict:
    keys = [k for k, _ in pairs]
    if len(set(keys)) < len(keys):
        raise ValueError(f"defined twice: {sorted({k for k in keys if keys.count(k) > 1})}")
    return dict(pairs)


def read_files(folder) -> dict[str, dict]:
    """``{file name: raw content}`` of every ``*.json`` in ``folder`` (a Path or a package resource).

    ValueError, naming both files, for a name defined twice or kept in another chapter's file.
    """
    files, where = {}, {}
    for path in sorted((p for p in folder.iterdir() if p.name.endswith(".json")), key=lambda p: p.name):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicate_keys)
        except ValueError as e:
            raise ValueError(f"gantools/{FACTS_DIR}/{path.name}: {e}") from e
        for name in raw:
            if name.startswith("_"):
                continue
            if name in where:
                raise ValueError(f"fact {name!r} is defined twice: in {FACTS_DIR}/{where[name]} "
                                 f"and in {FACTS_DIR}/{path.name}")
            if NAME.match(name) and file_of(name) != path.name:
                raise ValueError(f"fact {name!r} is in {FACTS_DIR}/{path.name}; "
                                 f"it belongs in {FACTS_DIR}/{file_of(name)}")
            where[name] = path.name
        files[path.name] = raw
    return files


@lru_cache(maxsize=1)
def load_facts() -> dict[str, Fact]:
    """All facts of ``gantools/data/facts/*.json``, by name."""
    files = read_files(resources.files("gantools").joinpath(FACTS_DIR))
    return {name: _from_json(name, entry) for raw in files.values() for name, entry in raw.items()
            if not name.startswith("_")}


def get_fact(name: str) -> Fact:
    """The fact called ``name`` (ValueError naming the closest names if there is none)."""
    facts = load_facts()
    if name not in facts:
        prefix = name[:5]
        near = sorted(n for n in facts if n.startswith(prefix))[:8]
        raise ValueError(f"no fact called {name!r} in gantools/{FACTS_DIR}/{file_of(name)}; "
                         f"facts of that chapter: {near}")
    return facts[name]


def _new_entry(name: str, fmt, tol, kind, what, bound) -> dict:
    """The entry (without an approximate fact's value) that defines a fact no file has yet."""
    if fmt is None or not what or (kind != "approx") != (bound is not None):
        raise ValueError(f"no fact called {name!r} yet: to record it as a new fact, pass fmt= and what= "
                         "(and for kind='upper' or 'lower', bound=; see gantools.facts)")
    entry = {"tol": tol} if kind == "approx" else {"value": float(bound)}
    entry.update(fmt=fmt, **({} if kind == "approx" else {"kind": kind}), what=what)
    _from_json(name, {"value": 0.0, **entry})  # refuse a bad name, kind or tol now, not at update
    return entry


def check_fact(name: str, computed, *, fmt: str | None = None, tol: float = 0.0, kind: str = "approx",
               what: str = "", bound: float | None = None) -> float:
    """Assert that ``computed`` supports the quoted fact ``name``; return it as a float.

    Raises AssertionError (what nbval and the book build fail on) with the value to put in
    ``gantools/data/facts/chNN.json`` when the computation and the text disagree. The keywords
    define a fact that no file has yet, for record mode (see the module docstring); they are
    ignored for an existing fact, and an unknown name is a ValueError when not recording.
    """
    x = float(computed)
    record = os.environ.get("GANTOOLS_FACTS_RECORD")
    if record:  # re-measuring the facts (see the module docstring): record, do not assert
        row = {"name": name, "computed": x}
        if name not in load_facts():
            row["define"] = _new_entry(name, fmt, tol, kind, what, bound)
        with open(record, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        return x
    fact = get_fact(name)
    if not fact.holds(x):
        want = {"approx": f"{fact.value} +- {fact.tol}", "upper": f"< {fact.value}",
                "lower": f"> {fact.value}"}[fact.kind]
        raise AssertionError(
            f"fact {name} ({fact.what}): computed {x!r}, but the pages quote {fact.text()} ({want}). "
            f"If the new value is right, update 'value' in gantools/{FACTS_DIR}/{file_of(name)} "
            f"(shown as {format_value(x, fact.fmt)}) and the chapter's prose.")
    return x


def substitutions() -> dict[str, str]:
    """``{name: displayed text}`` for every fact: the MyST substitutions of the pages."""
    return {name: fact.text() for name, fact in load_facts().items()}


def write_facts(raw: dict, path) -> None:
    """Write ``raw`` (name -> entry) with one fact per line, so that a changed number is a one-line diff."""
    lines = [f"  {json.dumps(name)}: {json.dumps(entry, ensure_ascii=False)}" for name, entry in raw.items()]
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


def _rounded(x: float, tol: float) -> float:
    return round(x, math.ceil(-math.log10(tol)) + 2) if tol > 0 else x


def update_from_record(record_path: str, facts_dir: str | None = None) -> list[str]:
    """Write the values recorded under ``GANTOOLS_FACTS_RECORD`` into the facts' files.

    ``facts_dir`` is the folder of ``chNN.json`` files (the package's by default). Approximate
    facts take the recorded value (rounded two digits below the tolerance); a bound that the
    recorded value violates is left alone and reported. A recorded name that no file has, with
    its definition (``check_fact``'s keywords), is added at the end of its chapter's file, which
    is created if needed. Only the files of recorded facts are rewritten. Returns the report lines.
    """
    folder = Path(facts_dir) if facts_dir else Path(str(resources.files("gantools").joinpath(FACTS_DIR)))
    files = read_files(folder)
    home = {name: file for file, raw in files.items() for name in raw}
    report, touched = [], set()
    with open(record_path, encoding="utf-8") as f:
        recorded = [json.loads(line) for line in f if line.strip()]
    for row in recorded:
        name, x = row["name"], float(row["computed"])
        if name not in home:
            if "define" not in row:
                raise ValueError(f"{name}: no such fact, and the record does not define it (see check_fact)")
            entry = dict(row["define"])
            if entry.get("kind", "approx") == "approx":
                entry = {"value": _rounded(x, float(entry["tol"])), **entry}
            fact = _from_json(name, entry)
            home[name] = file_of(name)
            files.setdefault(home[name], {})[name] = entry
            touched.add(home[name])
            report.append(f"{name}: NEW in {FACTS_DIR}/{home[name]}, {fact.text()}")
            if not fact.holds(x):
                report.append(f"{name}: BOUND VIOLATED, {x!r} is not {fact.kind} {fact.value}: rewrite the claim")
            continue
        raw = files[home[name]]
        touched.add(home[name])
        fact = _from_json(name, raw[name])
        if fact.kind == "approx":
            if not fact.holds(x):
                report.append(f"{name}: {fact.text()} -> {format_value(x, fact.fmt)}")
            raw[name]["value"] = _rounded(x, fact.tol)
        elif not fact.holds(x):
            report.append(f"{name}: BOUND VIOLATED, {x!r} is not {fact.kind} {fact.value}: rewrite the claim")
    for file in sorted(touched):
        write_facts(files[file], folder / file)
    load_facts.cache_clear()
    return report


if __name__ == "__main__":  # python -m gantools.facts update RECORD
    if len(sys.argv) != 3 or sys.argv[1] != "update":
        print("usage: python -m gantools.facts update RECORD_FILE", file=sys.stderr)
        sys.exit(2)
    for line in update_from_record(sys.argv[2]) or ["every recorded fact already matched"]:
        print(line)
