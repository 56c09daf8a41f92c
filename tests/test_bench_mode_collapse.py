"""bench/mode_collapse.py is a script: its bad input must be one line and exit code 2."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "mode_collapse.py"


def run(*args, tmp):
    return subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp), *args],
                          capture_output=True, text=True, timeout=120)


def test_bad_arguments_are_one_line_and_exit_2(tmp_path):
    for args, message in ((["--seeds", "0"], "--seeds must be at least 1"),
                          (["--only", "No such method"], "no method called")):
        r = run(*args, tmp=tmp_path)
        assert r.returncode == 2, r.stderr
        assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
