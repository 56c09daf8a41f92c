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
