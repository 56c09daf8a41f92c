"""Fashion-MNIST from its IDX files: the real files, the search order, the download, bad files.

Every test reads the real files (CI installs Debian's ``dataset-fashion-mnist``; elsewhere
the first call downloads them once into the cache). Tests that move files around work on
copies in their own temporary directories, with HOME, ``$GANTOOLS_DATA`` and the system
directory pointed there, so the real cache is never touched.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from gantools import idx
from gantools.imagedata import load_dataset

NAMES = [name for name, _, _ in idx.FILES.values()]


@pytest.fixture(scope="module")
def source():
    """The directory the real files come from on this machine, found before any test
    redirects the search."""
    idx.fashion_mnist("train")
    directory = idx.find()
    assert directory is not None
    return directory


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No Fashion-MNIST anywhere: HOME, $GANTOOLS_DATA and the system directory are empty
    folders under tmp_path, and no mirror answers."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GANTOOLS_DATA", raising=False)
    monkeypatch.setattr(idx, "SYSTEM_DIR", str(tmp_path / "system"))
    monkeypatch.setattr(idx, "MIRRORS", ((tmp_path / "no-mirror").as_uri() + "/",))
    idx._cached.cache_clear()
    yield tmp_path
    idx._cached.cache_clear()


def _copy(source: str, dest, gz: bool = True, skip: str | None = None) -> None:
    os.makedirs(dest, exist_ok=True)
    for name in NAMES:
        if name == skip:
            continue
        src = idx._present(source, name)
        if gz == src.endswith(".gz"):
            shutil.copy(src, os.path.join(dest, os.path.basename(src)))
        elif gz:
            with open(src, "rb") as f, gzip.open(os.path.join(dest, name + ".gz"), "wb") as g:
                g.write(f.read())
        else:
            with gzip.open(src, "rb") as f, open(os.path.join(dest, name), "wb") as g:
                g.write(f.read())


def _tree(path) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), path) for d, _, fs in os.walk(path) for f in fs)


def test_the_real_files_are_fashion_mnist(source):
    for split, n in (("train", 60000), ("test", 10000)):
        images, labels = idx.fashion_mnist(split)
        assert images.shape == (n, 28, 28) and images.dtype == np.uint8 and labels.dtype == np.uint8
        assert tuple(labels[:10]) == idx.FIRST_LABELS[split]
        assert np.bincount(labels).tolist() == [n // 10] * 10
        assert 70 < images.mean() < 80 and images.max() == 255 and images.min() == 0  # mean pixel 72.9 (train)


def test_load_dataset_pads_28_to_32_exactly(source):
    raw, labels = idx.fashion_mnist("test")
    x, y = load_dataset("fashion-mnist", 32, train=False)
    assert x.shape == (10000, 1, 32, 32) and torch.equal(y, torch.from_numpy(labels.astype(np.int64)))
    inner = torch.from_numpy(raw.astype(np.float32)) / 255 * 2 - 1
    assert torch.allclose(x[:, 0, 2:30, 2:30], inner, atol=1e-6)  # every original pixel kept
    border = torch.ones(32, 32, dtype=torch.bool)
    border[2:30, 2:30] = False
    assert (x[:, 0][:, border] == -1).all()  # two background pixels a side
    assert load_dataset("fashion-mnist", 28, train=False)[0].shape == (10000, 1, 28, 28)


def test_subset_is_stratified_and_a_prefix_of_each_class(source):
    x, y = load_dataset("fashion-mnist", 32, subset=1003)
    assert len(x) == 1003 and np.bincount(y.numpy()).tolist() == [101, 101, 101] + [100] * 7
    full_x, full_y = load_dataset("fashion-mnist", 32)
    first_sandal = torch.nonzero(full_y == 5).flatten()[0]
    assert torch.equal(x[torch.nonzero(y == 5).flatten()[0]], full_x[first_sandal])
    for bad in (0, 60001, 2.5):
        with pytest.raises(ValueError, match="subset must be an integer in 1..60000"):
            load_dataset("fashion-mnist", 32, subset=bad)


@pytest.mark.parametrize("where", ["gantools_data", "home_cache"])
@pytest.mark.parametrize("gz", [True, False])
def test_the_same_check_holds_wherever_the_files_are(source, isolated, monkeypatch, where, gz):
    if where == "gantools_data":
        monkeypatch.setenv("GANTOOLS_DATA", str(isolated / "data"))
        dest = isolated / "data" / "fashion-mnist"
    else:
        dest = isolated / "home" / ".cache" / "gantools" / "fashion-mnist"
    _copy(source, dest, gz=gz)
    assert idx.find() == str(dest)
    images, labels = idx.fashion_mnist("test")
    assert tuple(labels[:10]) == idx.FIRST_LABELS["test"] and images.shape == (10000, 28, 28)


def test_gantools_data_comes_first_then_the_cache_then_the_system(source, isolated, monkeypatch):
    monkeypatch.setenv("GANTOOLS_DATA", str(isolated / "data"))
    dirs = [isolated / "data" / "fashion-mnist", isolated / "home" / ".cache" / "gantools" / "fashion-mnist",
            isolated / "system"]
    assert idx.search_dirs() == [str(d) for d in dirs]
    for d in reversed(dirs):  # each new copy takes precedence over the ones after it
        _copy(source, d)
        assert idx.find() == str(d)


def _corrupt(path: str, how: str) -> None:
    with gzip.open(path, "rb") as f:
        raw = bytearray(f.read())
    if how == "magic":
        raw[3] = 0x02
    elif how == "count":
        raw[4:8] = (59999).to_bytes(4, "big")
    elif how == "truncated":
        raw = raw[: len(raw) // 2]
    elif how == "checksum":
        raw[-1] ^= 0xFF
    with gzip.open(path, "wb") as f:
        f.write(bytes(raw))


@pytest.mark.parametrize("how, words", [("magic", "bad magic number 0x802"), ("count", "wrong count"),
                                        ("truncated", "truncated"), ("checksum", "wrong checksum"),
                                        ("missing", "missing")])
def test_a_bad_file_is_one_line_naming_it_and_exit_2(source, isolated, monkeypatch, how, words):
    monkeypatch.setenv("GANTOOLS_DATA", str(isolated / "data"))
    dest = isolated / "data" / "fashion-mnist"
    _copy(source, dest, skip="train-labels-idx1-ubyte" if how == "missing" else None)
    if how != "missing":
        _corrupt(str(dest / "train-labels-idx1-ubyte.gz"), how)
    before = _tree(isolated)
    with pytest.raises(ValueError, match=words) as e:
        idx.fashion_mnist("train")
    assert "train-labels-idx1-ubyte" in str(e.value) and "\n" not in str(e.value)
    env = {**os.environ, "HOME": str(isolated / "home"), "GANTOOLS_DATA": str(isolated / "data")}
    r = subprocess.run([sys.executable, "-m", "gantools", "train", "--model", "dcgan", "--dataset", "fashion-mnist",
                        "--steps", "1", "--out", str(isolated / "run")], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2 and words in r.stderr and "train-labels-idx1-ubyte" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert _tree(isolated) == before  # nothing written: no cache, no run


def test_with_no_files_and_no_network_one_line_names_both_ways(isolated):
    with pytest.raises(ValueError) as e:
        idx.fashion_mnist("train")
    msg = str(e.value)
    assert "apt-get install dataset-fashion-mnist" in msg and "github.com/zalandoresearch/fashion-mnist" in msg
    assert "\n" not in msg and not os.path.exists(isolated / "home" / ".cache" / "gantools" / "fashion-mnist" /
                                                   "train-images-idx3-ubyte.gz")
    with pytest.raises(ValueError, match="not found in"):
        idx.fashion_mnist("train", download_missing=False)


def test_download_checks_each_file_and_lands_in_the_cache(source, isolated, monkeypatch):
    mirror = isolated / "mirror"
    _copy(source, mirror)
    monkeypatch.setattr(idx, "MIRRORS", ((isolated / "dead").as_uri() + "/", mirror.as_uri() + "/"))
    images, labels = idx.fashion_mnist("test")
    cache = isolated / "home" / ".cache" / "gantools" / "fashion-mnist"
    assert sorted(os.listdir(cache)) == sorted(n + ".gz" for n in NAMES)  # no partial file left
    assert tuple(labels[:10]) == idx.FIRST_LABELS["test"]


def test_a_bad_or_interrupted_download_leaves_nothing(source, isolated, monkeypatch):
    mirror = isolated / "mirror"
    _copy(source, mirror)
    _corrupt(str(mirror / "t10k-images-idx3-ubyte.gz"), "checksum")
    monkeypatch.setattr(idx, "MIRRORS", (mirror.as_uri() + "/",))
    with pytest.raises(ValueError, match="wrong checksum"):
        idx.fashion_mnist("test")
    cache = isolated / "home" / ".cache" / "gantools" / "fashion-mnist"
    assert not any(f.startswith(".part-") or f.startswith("t10k-images") for f in os.listdir(cache))

    calls = []

    def interrupted(src, dst, *args):
        dst.write(src.read(1000))  # half a file, then the reader presses Ctrl-C
        calls.append(1)
        raise KeyboardInterrupt

    shutil.rmtree(mirror)
    _copy(source, mirror)
    original = shutil.copyfileobj
    monkeypatch.setattr(idx.shutil, "copyfileobj", interrupted)
    with pytest.raises(KeyboardInterrupt):
        idx.fashion_mnist("test")
    assert calls and not any(f.startswith(".part-") or f.startswith("t10k-images") for f in os.listdir(cache))
    monkeypatch.setattr(idx.shutil, "copyfileobj", original)  # the next call resumes: the rest come
    assert tuple(idx.fashion_mnist("test")[1][:10]) == idx.FIRST_LABELS["test"]
    assert sorted(os.listdir(cache)) == sorted(n + ".gz" for n in NAMES)


def test_the_setup_cell_fetches_the_data_first(source, isolated, monkeypatch, capsys):
    """On Colab the image chapters' setup cell downloads the files before anything else."""
    from gantools.notebook import setup

    mirror = isolated / "mirror"
    _copy(source, mirror)
    monkeypatch.setattr(idx, "MIRRORS", (mirror.as_uri() + "/",))
    setup(seed=0, data="fashion-mnist")
    cache = isolated / "home" / ".cache" / "gantools" / "fashion-mnist"
    assert f"Fashion-MNIST from {cache}" in capsys.readouterr().out
    assert sorted(os.listdir(cache)) == sorted(n + ".gz" for n in NAMES)
    with pytest.raises(ValueError, match="setup\\(data=...\\) knows 'fashion-mnist', got 'cifar10'"):
        setup(data="cifar10")
