"""The setup cell of every chapter: under ``MPLBACKEND=Agg`` (what CI exports) a kernel would
draw no figure at all; ``gantools.notebook.setup`` switches the kernel to inline figures."""

import nbformat
import pytest
from nbclient import NotebookClient

from gantools.notebook import inline_figures

CELL = "import matplotlib.pyplot as plt\nplt.plot([0, 1])\nplt.show()"


def pngs(monkeypatch, first: str) -> int:
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(first), nbformat.v4.new_code_cell(CELL)]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    return sum("image/png" in o.get("data", {}) for o in nb.cells[1].outputs)


@pytest.mark.parametrize("first,expected", [("pass", 0), ("from gantools.notebook import setup\nsetup(quiet=True)", 1)])
def test_setup_shows_figures_even_under_agg(monkeypatch, first, expected):
    # "pass": the failure this guards against is real (no figure under Agg without setup)
    assert pngs(monkeypatch, first) == expected


def test_inline_figures_outside_a_kernel_does_nothing():
    assert inline_figures() is False


# --------------------------------------------------------------------------- headless()

KERNEL_SAYS = "from gantools.notebook import headless\nprint(headless())"


def kernel_headless(monkeypatch, env: str | None, hist_file: str) -> str:
    """headless() as a kernel started by nbclient sees it; ``hist_file=""`` starts the kernel as
    Jupyter or Colab do (history on disk), ":memory:" as nbclient does by default."""
    if env is None:
        monkeypatch.delenv("GANTOOLS_HEADLESS", raising=False)
    else:
        monkeypatch.setenv("GANTOOLS_HEADLESS", env)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(KERNEL_SAYS)]
    NotebookClient(nb, timeout=120, kernel_name="python3", ipython_hist_file=hist_file).execute()
    return "".join(o.get("text", "") for o in nb.cells[0].outputs).strip()


@pytest.mark.parametrize("env,hist_file,expected", [
    (None, ":memory:", "True"),  # nbclient's kernels: jupyter-book, nbconvert, papermill
    (None, "", "False"),  # a kernel with its history on disk, as Jupyter's and Colab's
    ("1", "", "True"),  # the build (_ext/execution.py) and the tests (conftest.py) say so
    ("0", ":memory:", "False"),  # a reader who wants the live explorer under nbclient
])
def test_headless_in_a_kernel(monkeypatch, tmp_path, env, hist_file, expected):
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path))  # the on-disk history goes to a temporary folder
    assert kernel_headless(monkeypatch, env, hist_file) == expected


def test_headless_outside_a_kernel(monkeypatch):
    from gantools.notebook import headless

    monkeypatch.delenv("GANTOOLS_HEADLESS", raising=False)
    assert headless() is True  # plain Python: nobody to move a widget
    monkeypatch.setenv("GANTOOLS_HEADLESS", "0")
    assert headless() is False
