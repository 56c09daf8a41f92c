"""The book's configuration: one repository URL, notebooks without outputs, a table of
contents that matches the chapters, loose dependency bounds, citations that resolve."""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))


def config():
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def cells(nb_path):
    return json.loads(nb_path.read_text())["cells"]


def test_there_are_chapters():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_installs_from_the_configured_repository(nb):
    url = config()["repository"]["url"]
    code = [c for c in cells(nb) if c["cell_type"] == "code"]
    setup = "".join(code[0]["source"])
    host_path = url.removeprefix("https://")
    import gantools

    assert f'repo = "{host_path}"' in setup and f'f"gantools @ git+https://{{repo}}@v{gantools.__version__}"' in setup, (
        "the setup cell must pip-install this release of gantools (its tag) from repository.url"
    )
    assert "google.colab" in setup and "setup(" in setup
    assert "hide-cell" in code[0]["metadata"].get("tags", [])


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(nb):
    for c in cells(nb):
        if c["cell_type"] == "code":
            assert not c.get("outputs") and c.get("execution_count") is None


def test_colab_launch_buttons_are_configured():
    cfg = config()
    assert cfg["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", cfg["repository"]["url"])
    assert cfg["execute"]["execute_notebooks"] == "cache" and cfg["execute"]["timeout"] > 0
    assert cfg["only_build_toc_files"] is True


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part["chapters"]]
    return files


def test_toc_lists_every_chapter_and_only_existing_files():
    files = toc_files()
    for nb in NOTEBOOKS:
        assert f"book/{nb.stem}" in files, f"{nb.name} is not in _toc.yml"
    for f in files:
        assert (ROOT / f"{f}.ipynb").exists() or (ROOT / f"{f}.md").exists(), f


def test_dependencies_have_loose_lower_bounds():
    text = (ROOT / "pyproject.toml").read_text()
    deps = re.search(r"dependencies = \[(.*?)\]", text, re.S).group(1)
    for dep in re.findall(r'"([^"]+)"', deps):
        assert ">=" in dep and "==" not in dep and "<" not in dep.replace(">=", ""), dep
    assert 'requires-python = ">=3.10"' in text
    req = (ROOT / "requirements.txt").read_text().splitlines()
    assert "-e ." in req and "jupyter-book>=1.0.4,<2" in req


def test_every_citation_is_in_the_bibliography():
    keys = set(re.findall(r"@\w+\{([^,]+),", (ROOT / "book" / "references.bib").read_text()))
    sources = [p.read_text() for p in (ROOT / "book").glob("*.md")] + [
        "".join("".join(c["source"]) for c in cells(nb)) for nb in NOTEBOOKS
    ]
    cited = {k.strip() for s in sources for group in re.findall(r"\{cite[:\w]*\}`([^`]+)`", s) for k in group.split(",")}
    assert cited, "the book cites nothing"
    assert cited <= keys, cited - keys


def test_the_bibliography_parses():
    """A merge can leave an entry unclosed; the book build would then stop at its first step."""
    from pybtex.database import parse_file

    entries = parse_file(str(Path(__file__).resolve().parents[1] / "book" / "references.bib")).entries
    assert len(entries) > 50 and "mirza2014conditional" in entries and "tanielian2020learning" in entries


# --------------------------------------------------------------------------- a build cannot hang

def test_every_wait_of_the_build_and_of_nbval_is_bounded():
    cfg = config()
    timeout = cfg["execute"]["timeout"]
    assert 60 <= timeout <= 600, "a cell's limit: far above the slowest CPU cell, far below 'hung'"
    addopts = (ROOT / "pyproject.toml").read_text()
    assert f"--nbval-cell-timeout={timeout}" in addopts, "nbval gives a cell the build's limit"
    assert cfg["sphinx"]["config"]["nb_execution_show_tb"] is True  # the failure shows the cell
    assert cfg["sphinx"]["local_extensions"]["execution"] == "_ext/"  # the kernels run headless


def test_the_build_and_the_tests_run_headless():
    ext = (ROOT / "_ext" / "execution.py").read_text()
    assert 'os.environ.setdefault("GANTOOLS_HEADLESS", "1")' in ext
    assert 'os.environ.setdefault("GANTOOLS_HEADLESS", "1")' in (ROOT / "conftest.py").read_text()


def test_ci_runs_the_readme_in_a_fresh_environment_and_sets_no_variable():
    ci = (ROOT / ".ci" / "run").read_text()
    code = "\n".join(line for line in ci.splitlines() if not line.lstrip().startswith("#"))
    assert "python3 -m venv" in code and "pip install -r requirements.txt" in code
    assert "export" not in code and "MPLBACKEND" not in code and "GANTOOLS_" not in code
    assert re.search(r"^pytest$", code, re.M) and "jupyter-book build --all -W --keep-going ." in code


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_no_cell_displays_an_output_widget_itself(nb):
    """Output widgets (interact, interactive_output, Output) are what can stall an executor;
    chapters reach widgets only through gantools.widgets.explorer, which is headless in a build."""
    forbidden = re.compile(r"\binteract(?:ive|ive_output)?\s*\(|\bOutput\s*\(|@interact\b")
    for c in cells(nb):
        if c["cell_type"] == "code":
            src = "".join(c["source"])
            assert not forbidden.search(src), f"{nb.name}: use gantools.widgets.explorer instead of:\n{src[:300]}"
