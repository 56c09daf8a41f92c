"""Reading runs, and the committed reference runs: each reloads and regenerates its
final sample grid deterministically."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gantools import runs
from gantools.imagegan import config_for, train
from gantools.imagegan.config import complete_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", runs.REFERENCE_RUNS)
def test_reference_run_is_complete_and_regenerates_its_grid(name, monkeypatch):
    monkeypatch.chdir(ROOT / "book")
    run = runs.reference_run(name)
    cfg = run.config
    assert run.info["steps"] == cfg["steps"] and run.info["wall_time_s"] > 0 and "hardware" in run.info
    command = run.info["command"].split()
    assert command[:3] == ["python", "-m", "gantools"] and command[3] == "train"
    flags = dict(zip(command[4::2], command[5::2], strict=False))  # every option of train takes a value
    assert flags["--model"] == cfg["model"] and flags["--dataset"] == cfg["dataset"] == name.split("-")[-1].replace(
        "fashion", "fashion-mnist") and int(flags["--steps"]) == cfg["steps"] and flags["--out"] == name
    assert flags.get("--conditioning") == cfg.get("conditioning")
    assert run.metrics["step"][-1] == cfg["steps"] and run.evals["step"][-1] == cfg["steps"]
    assert [s for s, _ in run.samples] == list(range(0, cfg["steps"], cfg["sample_every"])) + [cfg["steps"]]
    assert not (Path(run.path) / "checkpoint.pt").exists()  # only the small generator is committed
    assert (Path(run.path) / "generator.pt").stat().st_size < 4_000_000
    png = np.asarray(Image.open(run.samples[-1][1]))
    again = runs.regenerate_final_grid(run)
    assert png.shape == again.shape
    diff = np.abs(png.astype(int) - again.astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01, (diff.max(), (diff > 0).mean())  # rounding at most


def test_load_run_reads_the_logs(tmp_path):
    train(config_for("dcgan", "digits", image_size=16, ngf=8, ndf=8, nz=8, batch_size=16, steps=4, log_every=2,
                     sample_every=2), str(tmp_path), progress=False, eval_every=2)
    run = runs.load_run(str(tmp_path))
    assert run.metrics["step"].tolist() == [2, 4] and run.evals["step"].tolist() == [2, 4]
    assert [s for s, _ in run.samples] == [0, 2, 4] and run.config["steps"] == 4
    assert np.all(run.evals["fd"] > 0) and run.info["steps"] == 4
    fig, update, frames = runs.animate_samples(run)
    assert frames == 3 and update(2)[1].get_text().endswith("step 4")


def test_unknown_and_missing_runs(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="unknown reference run"):
        runs.reference_run("stylegan-ffhq")
    with pytest.raises(ValueError, match="holds no gantools run"):
        runs.load_run(str(tmp_path))


def test_reference_run_download_failure_is_one_line(tmp_path, monkeypatch):
    import urllib.request

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GANTOOLS_DATA", str(tmp_path / "cache"))

    def offline(*a, **k):
        raise OSError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(ValueError, match="could not be downloaded .*network is unreachable") as info:
        runs.reference_run("dcgan-digits")
    assert "\n" not in str(info.value)


def test_reference_run_downloads_into_the_cache(tmp_path, monkeypatch):
    """The Colab path: no local copy, files fetched from the repository (served here from disk)."""
    import urllib.request

    src = ROOT / "book" / "runs" / "dcgan-digits"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GANTOOLS_DATA", str(tmp_path / "cache"))
    fetched = []

    class Resp:
        def __init__(self, data):
            self.data = data

        def read(self):
            return self.data

        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

    def fake_urlopen(url, timeout):
        rel = url.split("/dcgan-digits/", 1)[1]
        fetched.append(rel)
        return Resp((src / rel).read_bytes())

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    run = runs.reference_run("dcgan-digits")
    assert run.path == str(tmp_path / "cache" / "runs" / "dcgan-digits")
    # the config as written, completed with the fields added since (real_label 1.0: how it trained)
    assert "generator.pt" in fetched and complete_config(json.loads((src / "config.json").read_text())) == run.config
    assert len(run.samples) == len(list((src / "samples").glob("*.png")))
