"""The build cannot hang on an explorer: a small book of explorer cells, built as a reader builds
it, several times while the CPU is loaded, each build within a time limit.

What this guards against: a cell that showed an ipywidgets ``Output`` widget let nbclient (the
executor behind jupyter-book) send on the kernel's shell channel while it waited there for the
cell's reply; now and then the reply's wake-up was lost, and the executor slept until the cell's
timeout (600 s a cell in the book). Fresh builds of the book stopped at chapter 1's explorer,
more often under load (nbclient issue #312; ``gantools.notebook.headless`` says more). Builds now
run headless (``_ext/execution.py``): explorers draw their static view and create no widget.

A cell that never ends fails the build after the cell timeout (300 s in the book), and the
warning names the chapter and shows the cell (the last test).

The small book keeps the cell timeout short, so a lost wake-up costs a build at least
``CELL_TIMEOUT`` seconds and fails the time limit. With the live explorer instead
(``GANTOOLS_HEADLESS=0``), 2 of 6 such builds under the same load stalled, each for about one cell timeout (63 and 67 s against 19 s).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
N_EXPLORERS = 8  # explorer cells in the small book (chapter 3 has the most of the book: 1)
CELL_TIMEOUT = 45  # s, the small book's cell timeout: a lost wake-up costs this much
BUILDS = 3  # builds, one after another, under load
LOAD_S = 300  # s, the most that the CPU burners run
SETUP = """import matplotlib.pyplot as plt
import numpy as np
from ipywidgets import FloatSlider, IntSlider

from gantools.notebook import setup
from gantools.widgets import explorer

setup(quiet=True)


def draw(freq, n):
    x = np.linspace(0, 1, 200)
    fig, ax = plt.subplots(figsize=(4, 2))
    ax.plot(x, np.sin(2 * np.pi * freq * x + n))"""
EXPLORER = """explorer(draw, freq=FloatSlider(value={k}, min=0.5, max=9.5, step=0.5, description="freq"),
         n=IntSlider(value={k}, min=0, max=10, description="n"))"""


def make_book(folder: Path, cells: list[str] | None = None, timeout: int = CELL_TIMEOUT) -> None:
    """A one-notebook book (``explorers.ipynb``) with the book's execution settings: its own
    extension, the traceback of a failed cell shown, and a cell timeout of ``timeout`` s."""
    if cells is None:
        cells = [SETUP]
        for k in range(1, N_EXPLORERS + 1):
            cells += [EXPLORER.format(k=k), f"print({k})"]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, folder / "explorers.ipynb")
    (folder / "_toc.yml").write_text("format: jb-book\nroot: explorers\n")
    (folder / "_config.yml").write_text(
        "title: explorers\nonly_build_toc_files: true\n"
        f"execute:\n  execute_notebooks: force\n  timeout: {timeout}\n"
        f"sphinx:\n  local_extensions:\n    execution: {ROOT / '_ext'}\n"
        "  config:\n    nb_execution_show_tb: true\n")


def reader_env() -> dict[str, str]:
    """This environment without what a reader's shell would not have set: the book's own
    variables (the tests' conftest sets GANTOOLS_HEADLESS) and MPLBACKEND."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GANTOOLS_") and k != "MPLBACKEND"}


def timed_builds(folder: Path, env: dict[str, str], builds: int = BUILDS) -> list[tuple[int, float]]:
    """(exit code, seconds) of each fresh build of the small book, with both cores busy."""
    make_book(folder)
    jb = str(Path(sys.executable).parent / "jupyter-book")
    spin = f"import time\nt = time.time() + {LOAD_S}\nwhile time.time() < t:\n    pass"
    load = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(os.cpu_count() or 2)]
    results = []
    try:
        for _ in range(builds):
            shutil.rmtree(folder / "_build", ignore_errors=True)
            t0 = time.monotonic()
            try:
                rc = subprocess.run([jb, "build", "-W", "--keep-going", str(folder)], env=env, cwd=folder,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    timeout=3 * CELL_TIMEOUT).returncode
            except subprocess.TimeoutExpired:
                rc = -9
            results.append((rc, time.monotonic() - t0))
    finally:
        for p in load:
            p.kill()
            p.wait()
    return results


def test_a_book_of_explorers_builds_under_load_within_the_limit(tmp_path):
    results = timed_builds(tmp_path, reader_env())
    assert all(rc == 0 for rc, _ in results), f"builds failed (exit code, seconds): {results}"
    # a single lost wake-up would cost CELL_TIMEOUT seconds; the builds take 10-15 s under load
    assert max(s for _, s in results) < CELL_TIMEOUT, f"a build stalled (exit code, seconds): {results}"


def test_a_cell_that_never_ends_fails_the_build_within_its_limit_and_names_it(tmp_path):
    """Whatever a cell does, the build ends: a cell that would sleep for ten minutes fails the
    build after the cell timeout, and the warning names the notebook and shows the cell."""
    make_book(tmp_path, ["x = 1", "import time\ntime.sleep(600)  # the cell that never ends", "print(x)"],
              timeout=5)
    jb = str(Path(sys.executable).parent / "jupyter-book")
    t0 = time.monotonic()
    out = subprocess.run([jb, "build", "-W", "--keep-going", str(tmp_path)], env=reader_env(), cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    seconds = time.monotonic() - t0
    log = out.stdout + out.stderr
    assert out.returncode != 0, "a timed-out cell must fail the build"
    assert seconds < 60, f"the build took {seconds:.0f} s for a 5 s cell limit"
    assert "explorers.ipynb: WARNING: Executing notebook failed: CellTimeoutError" in log
    assert "time.sleep(600)  # the cell that never ends" in log, "the warning shows the cell's source"
