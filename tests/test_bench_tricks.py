"""bench/tricks.py is a script: bad input is one line and exit code 2; a tiny run writes the
effect rows in the issue's schema and prints the table. The digits runs go through the
book's trainer."""

import json
import subprocess
import sys
from pathlib import Path

from gantools.tricks.bench import digits_run, rows_digits

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "tricks.py"
KEYS = {"trick", "setting", "data", "metric", "effect", "ci_low", "ci_high", "n_seeds", "method", "p"}  # method: welch | paired t


def run(*args, timeout=300):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout)


def test_bad_arguments_are_one_line_and_exit_2(tmp_path):
    afile = tmp_path / "a-file"
    afile.write_text("")
    for args, message in (([], "--out"),
                          (["--out", str(tmp_path), "--tricks", "dropout"], "unknown trick 'dropout'; choose from"),
                          (["--out", str(tmp_path), "--jobs", "0"], "expected a positive integer, got '0'"),
                          (["--out", str(tmp_path), "--only", "images"], "invalid choice: 'images'"),
                          (["--out", str(tmp_path), "--quick", "--reference"], "drop --quick"),
                          (["--out", str(afile)], "is not a directory")):
        r = run(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)


def test_a_tiny_2d_run_writes_rows_in_the_schema(tmp_path):
    r = run("--out", str(tmp_path), "--quick", "--only", "2d", "--tricks", "EMA of G,TTUR", "--jobs", "1")
    assert r.returncode == 0, r.stderr
    rows = json.loads((tmp_path / "tricks.json").read_text())
    added = [row for row in rows if row["trick"] in ("EMA of G", "TTUR")]
    assert len(added) == 2 * 2 * 2  # two tricks x (ring, grid) x (modes, hq)
    assert all(set(row) == KEYS and row["ci_low"] <= row["effect"] <= row["ci_high"] and row["n_seeds"] == 2
               for row in added)
    assert {row["data"] for row in rows} == {"ring", "grid"}
    assert "| EMA of G |" in r.stdout and "Total:" in r.stdout


def test_digits_runs_and_their_rows(tmp_path):
    runs = [digits_run(name, seed, 2, str(tmp_path / f"{name}-{seed}"))
            for name in ("none", "one-sided label smoothing", "SN + hinge") for seed in (0, 1)]
    assert all(r["fd"] > 0 and r["fd_raw"] > 0 and r["steps"] == 2 for r in runs)
    config = json.loads((tmp_path / "SN + hinge-0" / "config.json").read_text())
    assert config["model"] == "sngan"
    assert json.loads((tmp_path / "one-sided label smoothing-1" / "config.json").read_text())["real_label"] == 0.9
    rows = rows_digits(runs)
    assert [r["trick"] for r in rows] == ["one-sided label smoothing", "SN + hinge", "EMA of G"]
    assert all(set(r) == KEYS and r["data"] == "digits" and r["metric"] == "fd" for r in rows)
