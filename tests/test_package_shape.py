"""The package's shape (issue 26): one folder per chapter part, a shared floor below them, no
import cycle, no private name imported across modules, no module past 450 lines, and every
dotted path an exercise check forbids still names a real routine.

The import graph counts every import, also those inside functions, and resolves relative ones.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import pkgutil
from pathlib import Path

import pytest

import gantools
from gantools.configs import Config

ROOT = Path(gantools.__file__).parent
# The chapters' own folders. Nothing below them (the shared floor) imports them, and none
# imports another: what two chapters share lives on the floor.
PARTS = ("mode_collapse", "conditional", "tricks", "translation", "families")
# The book's machinery above the chapters: the exercise checks, the grader, the student edition and the generated pages.
ABOVE = ("exercises", "grading", "student", "pages")
# Folders of the shared floor: code that several chapters run (chapter 8's trainer, chapter 10's
# scorer, the batched toy GANs). Every folder of the package is one of PARTS, ABOVE or these.
FLOOR_FOLDERS = ("batched", "imagegan", "evaluation")
MAX_LINES = 450


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = ("gantools",) + path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, str]]:
    """(target module, imported name) for every gantools import in the module, at any depth (inside
    functions too), except those under ``if TYPE_CHECKING:``, which never run."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and getattr(block.test, "id", getattr(block.test, "attr", None)) == "TYPE_CHECKING"
                   for stmt in block.body for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module == "gantools" or module.startswith("gantools."):
                for alias in node.names:
                    sub = f"{module}.{alias.name}"
                    out.append((sub, "") if sub in MODULES else (module, alias.name))
        elif isinstance(node, ast.Import):
            out += [(a.name, "") for a in node.names if a.name.startswith("gantools")]
    return out


def _edges(name: str, path: Path) -> list[str]:
    """The modules importing ``name`` runs: each target, and the packages above it that ``name``
    is not inside (importing ``gantools.imagegan.sampling`` runs ``gantools/imagegan/__init__.py``
    first: a loop through a package's ``__init__`` is a loop)."""
    out = set()
    for target, _ in _imports(name, path):
        parts = target.split(".")
        for i in range(2, len(parts) + 1):
            above = ".".join(parts[:i])
            if above in MODULES and not (name + ".").startswith(above + "."):
                out.add(above)
    out.discard(name)
    return sorted(out)


GRAPH = {name: _edges(name, path) for name, path in MODULES.items()}


def _group(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in PARTS:
        return "part:" + parts[1]
    if len(parts) > 1 and parts[1] in ABOVE:
        return "above"
    return "floor"


def test_the_import_graph_has_no_cycle():
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in GRAPH[m]:
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_floor_imports_no_chapter_and_no_chapter_imports_another():
    bad = []
    for m, targets in GRAPH.items():
        for t in targets:
            src, dst = _group(m), _group(t)
            if m == "gantools.__main__" or dst == "floor" or src == "above" or src == dst:
                continue
            bad.append(f"{m} -> {t}")
    assert not bad, "imports upward from the floor or sideways between chapters: " + ", ".join(bad)


def test_no_private_name_is_imported_from_another_module():
    bad = [f"{m}: {t}.{n}" for m, p in MODULES.items() for t, n in _imports(m, p) if n.startswith("_") and t != m]
    assert not bad, bad


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_module_reads_in_one_sitting(name):
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name].relative_to(ROOT.parent)} has {lines} lines (at most {MAX_LINES})"


def test_every_folder_is_classified_and_a_part_belongs_to_one_chapter():
    from gantools.chapters import CHAPTERS

    folders = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert folders == set(PARTS) | set(ABOVE[:2]) | set(FLOOR_FOLDERS), folders
    for part in PARTS:
        owners = [c.number for c in CHAPTERS if part in c.code]
        assert len(owners) == 1, f"{part}/ is in the manifest's code of chapters {owners}"
    for c in CHAPTERS:  # a newcomer finds a chapter's own code in one place: at most one part or module
        own = [m for m in c.code if sum(m in d.code for d in CHAPTERS) == 1]
        assert len([m for m in own if m in PARTS]) <= 1, (c.number, own)


def test_a_part_with_more_than_one_module_is_a_folder():
    flat = [p.stem for p in ROOT.glob("*.py")]
    for part in PARTS:
        assert (ROOT / part / "__init__.py").exists(), part
        assert not [f for f in flat if f.startswith(part + "_")], f"{part}: flat modules beside the folder"


def _all_modules():
    for info in pkgutil.walk_packages(gantools.__path__, "gantools."):
        if not info.name.endswith("__main__"):
            yield importlib.import_module(info.name)


def test_every_config_dataclass_behaves_alike():
    configs = [v for mod in _all_modules() for k, v in vars(mod).items()
               if isinstance(v, type) and dataclasses.is_dataclass(v) and k.endswith("Config") and v.__module__ == mod.__name__]
    assert len(configs) >= 8
    for cls in configs:
        assert issubclass(cls, Config), f"{cls.__module__}.{cls.__name__} does not derive from gantools.configs.Config"
        assert cls.__dataclass_params__.frozen, cls
        cfg = cls()
        assert cfg.replace() == cfg and cfg.replace() is not cfg
        ints = [f.name for f in dataclasses.fields(cls) if isinstance(getattr(cfg, f.name), int)
                and not isinstance(getattr(cfg, f.name), bool) and getattr(cfg, f.name) > 0]
        assert ints, cls
        with pytest.raises(ValueError):  # every config checks its fields: a negative count is refused
            cfg.replace(**{ints[0]: -3})


def test_every_forbidden_path_of_an_exercise_names_a_real_routine():
    from gantools.exercises.collect import resolve
    from gantools.exercises.protocol import Spec

    paths = {p for mod in _all_modules() if mod.__name__.startswith("gantools.exercises.")
             for v in vars(mod).values() if isinstance(v, Spec) for p in v.forbid}
    paths |= {p for mod in _all_modules() if mod.__name__.startswith("gantools.exercises.")
              for k, v in vars(mod).items() if k.endswith("REFERENCES") and isinstance(v, tuple) for p in v}
    assert len(paths) > 20
    missing = sorted(p for p in paths if p.startswith("gantools") and resolve(p) is None)
    assert not missing, f"forbidden paths that name nothing (a moved routine would be allowed again): {missing}"


def test_the_checker_finds_a_cycle_it_is_shown():
    GRAPH["gantools.toy"].append("gantools.monitor")  # monitor -> theory; make monitor -> toy -> monitor
    GRAPH["gantools.monitor"].append("gantools.toy")
    try:
        with pytest.raises(AssertionError, match="import cycles"):
            test_the_import_graph_has_no_cycle()
    finally:
        GRAPH["gantools.toy"].remove("gantools.monitor")
        GRAPH["gantools.monitor"].remove("gantools.toy")


def _notebook_imports(path: Path) -> set[str]:
    import json
    import re

    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    found = set(re.findall(r"^\s*(?:from|import)\s+(gantools(?:\.\w+)*)", code, re.M))
    found |= {f"gantools.{m}" for m in re.findall(r"^\s*from\s+gantools\s+import\s+(\w+)", code, re.M)}
    return found


@pytest.mark.parametrize("chapter", __import__("gantools.chapters", fromlist=["CHAPTERS"]).CHAPTERS,
                         ids=lambda c: c.slug)
def test_a_chapter_uses_its_own_folder_and_the_floor_only(chapter):
    """A notebook imports the shared floor, its own chapter's folder (the manifest's ``code``) and
    its own exercises; another chapter's folder or exercise module is off limits (its committed
    results are read through :mod:`gantools.benchkit`)."""
    used = _notebook_imports(ROOT.parent / "book" / chapter.notebook)
    bad = sorted(m for m in used if len(m.split(".")) > 1 and m.split(".")[1] in PARTS
                 and m.split(".")[1] not in chapter.code)
    bad += sorted(m for m in used if m.startswith("gantools.exercises.") and m.split(".")[2] != chapter.exercises)
    assert not bad, f"{chapter.notebook} imports another chapter's code: {bad}"
    assert used, chapter.notebook


def test_no_package_attribute_hides_a_submodule():
    """``from .trainer import hardware`` in a package's ``__init__`` would make
    ``gantools.imagegan.hardware`` the function, not the module of that name."""
    hidden = []
    for info in pkgutil.walk_packages(gantools.__path__, "gantools."):
        parent, _, leaf = info.name.rpartition(".")
        module = importlib.import_module(info.name)
        attr = getattr(importlib.import_module(parent), leaf, None)
        if attr is not module:
            hidden.append(f"{parent}.{leaf} is {type(attr).__name__}")
    assert not hidden, hidden
