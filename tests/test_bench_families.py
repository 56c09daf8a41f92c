"""bench/generative_families.py is a script: bad input is one line and exit code 2; a tiny run
writes the samples exactly like bench/mode_collapse.py (DIR/<ring|grid>/<family>/seed<k>.npy
and DIR/<ring|grid>/mixture.npz) and prints the tables."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from gantools.families.bench import load_reference

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "generative_families.py"


def run(*args, timeout=300):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout)


def test_bad_arguments_are_one_line_and_exit_2(tmp_path):
    afile = tmp_path / "a-file"
    afile.write_text("")
    out = ["--out", str(tmp_path)]
    for args, message in ((out + ["--nfe", "0"], "nfe must be in 1..1000, got 0"),
                          (out + ["--nfe", "10,1001"], "nfe must be in 1..1000, got 1001"),
                          (out + ["--nfe", "ten"], "--nfe must be comma-separated integers, got 'ten'"),
                          (out + ["--kl-weight", "-0.5"], "kl_weight must be a finite number >= 0, got -0.5"),
                          (out + ["--only", "images"], "invalid choice: 'images'"),
                          (out + ["--families", "vae,flow"], "unknown family 'flow'; choose from gan, vae, diffusion"),
                          (out + ["--reference", "--families", "vae"], "drop --quick"),
                          (out + ["--quick", "--reference"], "drop --quick"),
                          (out + ["--reference", "--nfe", "5"], "drop --quick"),
                          (["--out", str(afile)], "is not a directory"),
                          ([], "--out")):
        r = run(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)


def test_a_tiny_2d_run_writes_samples_like_mode_collapse(tmp_path):
    r = run("--out", str(tmp_path), "--quick", "--only", "2d", "--nfe", "1,5", "--jobs", "1")
    assert r.returncode == 0, r.stderr
    for which, k in (("ring", 8), ("grid", 25)):
        mix = np.load(tmp_path / which / "mixture.npz")
        assert mix["means"].shape == (k, 2) and float(mix["std"]) > 0
        for family in ("vae-mean", "vae-noise", "diffusion-nfe1", "diffusion-nfe5"):
            for seed in (0, 1):
                x = np.load(tmp_path / which / family / f"seed{seed}.npy")
                assert x.shape == (2500, 2) and x.dtype == np.float32 and np.isfinite(x).all()
    res = json.loads((tmp_path / "results.json").read_text())
    assert res["families"] == ["vae-mean", "vae-noise", "diffusion-nfe1", "diffusion-nfe5"]
    assert "| diffusion-nfe5 | 5 |" in r.stdout and "| GAN (non-saturating) |" in r.stdout and "Total:" in r.stdout


def test_families_restricts_what_trains(tmp_path):
    r = run("--out", str(tmp_path), "--quick", "--only", "2d", "--families", "vae", "--jobs", "1")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "grid").iterdir()) == ["mixture.npz", "vae-mean", "vae-noise"]
    assert json.loads((tmp_path / "results.json").read_text())["families"] == ["vae-mean", "vae-noise"]
    assert "| vae-noise |" in r.stdout and "diffusion-nfe" not in r.stdout


def test_the_committed_reference_is_complete():
    res, samples = load_reference()
    assert not res["quick"] and res["seeds"] == 10 and res["steps"] == 4000
    assert res["nfes"] == [1, 2, 5, 10, 20, 50, 100, 1000]
    for kind in ("vae", "diffusion"):
        for family in res["families"]:
            if family.startswith(kind):
                rows = res["2d"][kind][family]
                assert [r["seed"] for r in rows["ring"]] == list(range(10)) == [r["seed"] for r in rows["grid"]]
    assert set(samples) == {f"{w}/{f}" for w in ("ring", "grid") for f in res["families"]}
    assert all(x.shape == (2500, 2) for x in samples.values())
    fams = {r["family"] for r in res["digits"]}
    assert fams == {"gan", "vae-mean", "vae-noise", "diffusion-nfe10", "diffusion-nfe100", "diffusion-nfe1000"}
    assert all(len([r for r in res["digits"] if r["family"] == f]) == 3 for f in fams)
