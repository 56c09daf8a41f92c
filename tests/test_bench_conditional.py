"""bench/conditional.py is a script: bad input is one line and exit code 2; a tiny run
writes its results and prints both tables."""

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "conditional.py"


def run(*args, timeout=120):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout)


def test_bad_arguments_are_one_line_and_exit_2(tmp_path):
    afile = tmp_path / "a-file"
    afile.write_text("")
    for args, message in (([], "--out"),
                          (["--out", str(tmp_path), "--seeds", "0"], "expected a positive integer, got '0'"),
                          (["--out", str(tmp_path), "--steps", "ten"], "expected a positive integer, got 'ten'"),
                          (["--out", str(tmp_path), "--only", "images"], "invalid choice: 'images'"),
                          (["--out", str(tmp_path), "--quick", "--reference"], "drop --quick and --only"),
                          (["--out", str(afile)], "is not a directory")):
        r = run(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)


def test_a_tiny_toy_run_writes_results(tmp_path):
    r = run("--out", str(tmp_path), "--only", "toy", "--toy-seeds", "2", "--toy-steps", "20", "--jobs", "1",
            timeout=600)
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "results.json").read_text())
    assert set(res["toy"]["modes"]) == {"concat", "projection", "acgan", "shuffled"}
    assert all(len(m["runs"]) == 2 for m in res["toy"]["modes"].values())
    assert abs(res["toy"]["data"]["entropy_exact"] - 0.6136) < 1e-3
    assert "| acgan (2 seeds) |" in r.stdout and "Total:" in r.stdout
