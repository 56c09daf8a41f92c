"""The GPU chapters' full branch (``FULL = True``), run on this CPU with GANTOOLS_FULL_STEPS.

On a CPU, nbval runs the GPU chapters of the manifest (gantools.chapters: 8, 9, 11, 13 and 14) in
their short branch. A learner's Colab GPU takes
the other one; here it runs too, with 30 steps, so the first person to execute it is not
a learner.
"""

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from gantools.chapters import CHAPTERS
from gantools.notebook import full_run_steps

BOOK = Path(__file__).resolve().parents[1] / "book"


def test_full_run_steps(monkeypatch):
    monkeypatch.setenv("GANTOOLS_FULL_STEPS", "30")
    assert full_run_steps(5000) == 30
    for bad in ("0", "-3", "ten", "1.5"):
        monkeypatch.setenv("GANTOOLS_FULL_STEPS", bad)
        with pytest.raises(ValueError, match=f"GANTOOLS_FULL_STEPS must be a positive integer, got '{bad}'"):
            full_run_steps(5000)
    monkeypatch.delenv("GANTOOLS_FULL_STEPS")
    import torch

    assert full_run_steps(5000) == (5000 if torch.cuda.is_available() else None)


GPU = [c for c in CHAPTERS if c.device == "GPU"]


def test_every_gpu_chapter_of_the_manifest_says_what_its_full_branch_leaves():
    assert GPU and all(c.full_branch for c in GPU)
    assert not [c.number for c in CHAPTERS if c.full_branch and c.device != "GPU"]


@pytest.mark.parametrize("chapter", GPU, ids=lambda c: c.slug)
def test_chapter_full_branch_runs_on_cpu(tmp_path, monkeypatch, chapter):
    """30 steps of the full branch on this CPU leave what the manifest says: the run directory
    it trains (``run:NAME``, with run.json, generator.pt and an evaluation), or printed lines."""
    monkeypatch.setenv("GANTOOLS_FULL_STEPS", "30")
    monkeypatch.setenv("GANTOOLS_DATA", str(tmp_path))  # the full run's directory lives under it
    monkeypatch.setenv("GANTOOLS_DEVICE", "cpu")
    nb = nbformat.read(BOOK / chapter.notebook, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(BOOK)}}).execute()
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    for expected in chapter.full_branch:
        if expected.startswith("run:"):
            run = tmp_path / "runs" / expected[4:]  # written by the FULL branch only (the CPU branch uses a temp dir)
            info = json.load(open(run / "run.json"))
            assert info["steps"] == 30 and info["hardware"]["device"] == "cpu"
            assert os.path.exists(run / "generator.pt") and (run / "eval.jsonl").read_text().strip()
        else:
            assert expected in printed, expected
