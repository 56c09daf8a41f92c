"""The GPU chapters' full branch (``FULL = True``), run on this CPU with GANTOOLS_FULL_STEPS.

On a CPU, nbval runs chapters 8, 9, 11, 13 and 14 in their short branch. A learner's Colab GPU takes
the other one; here it runs too, with 30 steps, so the first person to execute it is not
a learner.
"""

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

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


@pytest.mark.parametrize("chapter,run_name", [("08_dcgan", "my-dcgan-fashion-mnist"), ("09_wgan_gp", "wgan-gp-fashion-mnist-ch9"),
                                              ("11_conditional_gans", "my-cdcgan-fashion-mnist")])
def test_chapter_full_branch_runs_on_cpu(tmp_path, monkeypatch, chapter, run_name):
    monkeypatch.setenv("GANTOOLS_FULL_STEPS", "30")
    monkeypatch.setenv("GANTOOLS_DATA", str(tmp_path))  # the full run's directory lives under it
    monkeypatch.setenv("GANTOOLS_DEVICE", "cpu")
    nb = nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(BOOK)}}).execute()
    run = tmp_path / "runs" / run_name  # written by the FULL branch only (the CPU branch uses a temp dir)
    info = json.load(open(run / "run.json"))
    assert info["steps"] == 30 and info["hardware"]["device"] == "cpu"
    assert os.path.exists(run / "generator.pt") and (run / "eval.jsonl").read_text().strip()


def printed_by_full_branch(monkeypatch, chapter: str) -> str:
    """Run a chapter's full branch for 30 steps on this CPU; return everything it printed."""
    monkeypatch.setenv("GANTOOLS_FULL_STEPS", "30")
    monkeypatch.setenv("GANTOOLS_DEVICE", "cpu")
    nb = nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(BOOK)}}).execute()
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def test_translation_full_branch_runs_on_cpu(monkeypatch):
    """Chapter 13's full branch trains CycleGAN too (on DATASET, fashion-mnist here)."""
    printed = printed_by_full_branch(monkeypatch, "13_image_translation")
    assert "cyclegan  30 steps: class kept" in printed and "full runs (30 steps)" in printed


def test_generative_families_full_branch_runs_on_cpu(monkeypatch):
    """Chapter 14's full branch trains the VAE and the diffusion model on DATASET at 32 x 32."""
    printed = printed_by_full_branch(monkeypatch, "14_generative_families")
    assert "full runs (30 steps)" in printed
    assert "fashion-mnist vae-noise 30 steps: FD" in printed and "fashion-mnist diffusion-nfe100 30 steps: FD" in printed
