"""The command line: `python -m gantools student|grade`; bad arguments are one line on
stderr and exit status 2, never a traceback."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from gantools.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


def gantools(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "gantools", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_student_writes_every_chapter_without_solutions(tmp_path):
    out = tmp_path / "student"
    r = gantools("student", "book", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.glob("*.ipynb")) == [p.name for p in CHAPTERS]
    for chapter in CHAPTERS:
        orig = nbformat.read(chapter, as_version=4)
        text = (out / chapter.name).read_text()
        nb = nbformat.reads(text, as_version=4)
        assert not any("solution" in c.metadata.get("tags", []) for c in nb.cells), chapter.name
        solutions = [c.source for c in orig.cells if "solution" in c.metadata.get("tags", [])]
        assert solutions, chapter.name
        student_sources = "\n".join(c.source for c in nb.cells)
        assert not [s for s in solutions if s.strip() in student_sources], chapter.name


BAD = [
    ("frobnicate",),
    (),
    ("student", "book"),                       # --out missing
    ("student", "book", "--out", "book"),      # would overwrite the chapters
    ("student", "no_such_dir", "--out", "x"),
    ("grade",),
    ("grade", "missing.ipynb"),
    ("grade", "book/05_game_dynamics.ipynb", "--timeout", "soon"),
    ("grade", "book/05_game_dynamics.ipynb", "--timeout", "0"),
    ("train", "--model", "dcgan", "--dataset", "digits", "--out", "x"),                       # --steps missing
    ("train", "--model", "vae", "--dataset", "digits", "--steps", "5", "--out", "x"),
    ("train", "--model", "dcgan", "--dataset", "svhn", "--steps", "5", "--out", "x"),
    ("train", "--model", "dcgan", "--dataset", "digits", "--steps", "0", "--out", "x"),
    ("train", "--model", "dcgan", "--dataset", "digits", "--steps", "many", "--out", "x"),
    ("train", "--model", "dcgan", "--dataset", "digits", "--steps", "5", "--out", "x", "--ckpt-every", "-1"),
    ("train", "--model", "dcgan", "--dataset", "digits", "--steps", "5", "--out", "x", "--device", "tpu"),
    ("train", "--model", "dcgan", "--dataset", "digits", "--steps", "5", "--out", "README.md"),  # not a directory
    ("sample", "no_such_run", "--out", "g.png"),
    ("sample", "book", "--n", "0", "--out", "g.png"),
    ("evaluate", "no_such_run"),
    # chapter 15's options: a psi outside [0, 1], N outside 1..60,000, an unknown augmentation
    ("sample", "book/runs/dcgan-fashion", "--out", "g.png", "--truncation", "1.5"),
    ("sample", "book/runs/dcgan-fashion", "--out", "g.png", "--truncation", "-0.1"),
    ("sample", "book/runs/dcgan-fashion", "--out", "g.png", "--truncation", "half"),
    ("train", "--model", "dcgan", "--dataset", "digits", "--steps", "5", "--out", "x", "--subset", "0"),
    ("train", "--model", "dcgan", "--dataset", "digits", "--steps", "5", "--out", "x", "--subset", "60001"),
    ("train", "--model", "dcgan", "--dataset", "digits", "--steps", "5", "--out", "x", "--subset", "5000"),  # > 1,797
    ("train", "--model", "dcgan", "--dataset", "digits", "--steps", "5", "--out", "x", "--augment", "flip"),
    ("train", "--model", "dcgan", "--dataset", "digits", "--steps", "5", "--out", "x", "--augment", "ada",
     "--augment-policy", "color,flip"),
]


@pytest.mark.parametrize("args", BAD)
def test_bad_arguments_are_one_line_and_exit_2(args, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    try:
        code = main(list(args))
    except SystemExit as e:  # argparse's own errors
        code = e.code
    err = capsys.readouterr()
    assert code == 2, (code, err.err)
    assert len(err.err.strip().splitlines()) == 1 and "error" in err.err, err.err
    assert err.out == ""


@pytest.mark.parametrize("args", [("frobnicate",), ("grade", "missing.ipynb")])
def test_bad_arguments_from_the_shell_print_no_traceback(args):
    r = gantools(*args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("python -m gantools"), r.stderr
    assert r.stdout == ""


def test_train_sample_evaluate_end_to_end(tmp_path):
    run = tmp_path / "run"
    r = gantools("train", "--model", "wgan-gp", "--dataset", "digits", "--steps", "4", "--out", str(run),
                 "--ckpt-every", "2", "--sample-every", "2", "--no-progress", "--seed", "1")
    assert r.returncode == 0, r.stderr
    assert "trained wgan-gp on digits to step 4" in r.stdout
    assert sorted(p.name for p in run.glob("*")) == ["checkpoint.pt", "config.json", "generator.pt", "metrics.jsonl",
                                                    "run.json", "samples"]
    assert json.loads((run / "run.json").read_text())["command"].startswith("python -m gantools train --model wgan-gp")
    again = gantools("train", "--model", "wgan-gp", "--dataset", "digits", "--steps", "4", "--out", str(run))
    assert again.returncode == 2 and "--resume" in again.stderr  # never overwrites a run
    for name in ("a.png", "b.png"):
        r = gantools("sample", str(run), "--n", "16", "--out", str(tmp_path / name))
        assert r.returncode == 0, r.stderr
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()  # deterministic
    r = gantools("evaluate", str(run), "--n", "100", "--json")
    assert r.returncode == 0, r.stderr
    metrics = json.loads(r.stdout)
    assert metrics["model"] == "wgan-gp" and metrics["n"] == 100 and metrics["fd"] > metrics["fd_blur"] > metrics["fd_real"] > 0
    table = gantools("evaluate", str(run), "--n", "100").stdout.splitlines()
    assert [line.split()[0] for line in table[2:5]] == ["generated", "real,", "real,"]
    assert float(table[2].split()[1]) == round(metrics["fd"], 2)  # the table prints the JSON's numbers
    assert sum(metrics["class_counts"]) == 100 and 0 <= metrics["precision"] <= 1
