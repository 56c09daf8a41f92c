"""bench/mode_collapse.py is a script: its bad input must be one line and exit code 2."""

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "mode_collapse.py"


def run(*args, tmp):
    return subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp), *args],
                          capture_output=True, text=True, timeout=300)


def test_bad_arguments_are_one_line_and_exit_2(tmp_path):
    for args, message in ((["--seeds", "0"], "--seeds must be at least 1, got 0"),
                          (["--jobs", "0"], "--jobs must be at least 1, got 0"),
                          (["--pacgan-steps", "-5"], "--pacgan-steps must be >= 0, got -5"),
                          (["--only", "No such method"], "no method called ['No such method']")):
        r = run(*args, tmp=tmp_path)
        assert r.returncode == 2, r.stderr
        assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_the_pacgan_curve_command_writes_its_json(tmp_path):
    r = run("--pacgan-steps", "2", "--seeds", "1", tmp=tmp_path)
    assert r.returncode == 0, r.stderr
    curve = json.loads((tmp_path / "pacgan_curve.json").read_text())
    assert curve["steps"] == [2] and len(curve["hq"][0]) == 1 and curve["device"] == "cpu"
