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

from gantools.chapters import CHAPTERS, by_number
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


# The run directory each image chapter's full branch writes; chapters 13 and 14 are checked by what they print.
RUN_NAMES = {8: "my-dcgan-fashion-mnist", 9: "wgan-gp-fashion-mnist-ch9", 11: "my-cdcgan-fashion-mnist"}
PRINTED = {13: ["cyclegan  30 steps: class kept", "full runs (30 steps)"],
           14: ["full runs (30 steps)", "fashion-mnist vae-noise 30 steps: FD",
                "fashion-mnist diffusion-nfe100 30 steps: FD"]}


def notebook(number: int) -> Path:
    return BOOK / by_number(number).notebook


def test_every_gpu_chapter_of_the_manifest_has_a_full_branch_test():
    assert sorted(RUN_NAMES.keys() | PRINTED.keys()) == [c.number for c in CHAPTERS if c.device == "GPU"]


@pytest.mark.parametrize("number,run_name", list(RUN_NAMES.items()))
def test_chapter_full_branch_runs_on_cpu(tmp_path, monkeypatch, number, run_name):
    monkeypatch.setenv("GANTOOLS_FULL_STEPS", "30")
    monkeypatch.setenv("GANTOOLS_DATA", str(tmp_path))  # the full run's directory lives under it
    monkeypatch.setenv("GANTOOLS_DEVICE", "cpu")
    nb = nbformat.read(notebook(number), as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(BOOK)}}).execute()
    run = tmp_path / "runs" / run_name  # written by the FULL branch only (the CPU branch uses a temp dir)
    info = json.load(open(run / "run.json"))
    assert info["steps"] == 30 and info["hardware"]["device"] == "cpu"
    assert os.path.exists(run / "generator.pt") and (run / "eval.jsonl").read_text().strip()


def printed_by_full_branch(monkeypatch, number: int) -> str:
    """Run a chapter's full branch for 30 steps on this CPU; return everything it printed."""
    monkeypatch.setenv("GANTOOLS_FULL_STEPS", "30")
    monkeypatch.setenv("GANTOOLS_DEVICE", "cpu")
    nb = nbformat.read(notebook(number), as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(BOOK)}}).execute()
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def test_translation_full_branch_runs_on_cpu(monkeypatch):
    """Chapter 13's full branch trains CycleGAN too (on DATASET, fashion-mnist here)."""
    printed = printed_by_full_branch(monkeypatch, 13)
    assert all(line in printed for line in PRINTED[13]), PRINTED[13]


def test_generative_families_full_branch_runs_on_cpu(monkeypatch):
    """Chapter 14's full branch trains the VAE and the diffusion model on DATASET at 32 x 32."""
    printed = printed_by_full_branch(monkeypatch, 14)
    assert all(line in printed for line in PRINTED[14]), PRINTED[14]
