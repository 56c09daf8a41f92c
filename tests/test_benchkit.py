"""gantools.benchkit, the benchmarks' shared floor: references round-trip in one shape and are
written atomically, the shared flags parse and refuse alike, and the machine is recorded."""

import json
import os

import numpy as np
import pytest

from gantools import benchkit


def test_data_dir_is_the_package_data_folder():
    assert os.path.isfile(os.path.join(benchkit.DATA_DIR, "mode_collapse.json"))
    assert os.path.isdir(os.path.join(benchkit.DATA_DIR, "translation"))


def test_a_reference_without_arrays_round_trips(tmp_path):
    results = {"a": 1, "b": [1.5, None, "x"], "nested": {"nan": float("nan")}}
    benchkit.write_reference("plain", results, dest=str(tmp_path))
    back, arrays = benchkit.read_reference("plain", dest=str(tmp_path))
    assert arrays == {}
    assert back["a"] == 1 and back["b"] == [1.5, None, "x"] and np.isnan(back["nested"]["nan"])
    assert (tmp_path / "plain.json").read_text() == json.dumps(results, indent=1)  # the committed files' format
    assert sorted(os.listdir(tmp_path)) == ["plain.json"]  # no temporary file left


def test_a_list_reference_round_trips(tmp_path):
    benchkit.write_reference("rows", [{"trick": "x"}], dest=str(tmp_path))
    assert benchkit.read_reference("rows", dest=str(tmp_path)) == ([{"trick": "x"}], {})


def test_a_reference_with_arrays_round_trips(tmp_path):
    arrays = {"ring/gan": np.arange(10, dtype=np.float16).reshape(5, 2), "digits/x": np.ones((2, 3), np.uint8)}
    benchkit.write_reference("bench", {"n": 2}, arrays, dest=str(tmp_path / "new"), npz="bench_seed0")
    back, got = benchkit.read_reference("bench", dest=str(tmp_path / "new"), npz="bench_seed0")
    assert back == {"n": 2} and list(got) == list(arrays)
    for k, v in arrays.items():
        assert got[k].dtype == v.dtype and np.array_equal(got[k], v)
    # the default .npz is NAME.npz, read when present
    benchkit.write_reference("other", {}, {"x": np.zeros(3)}, dest=str(tmp_path))
    assert list(benchkit.read_reference("other", dest=str(tmp_path))[1]) == ["x"]
    with pytest.raises(FileNotFoundError):  # a named .npz must exist
        benchkit.read_reference("other", dest=str(tmp_path), npz="missing")


def test_a_failed_write_leaves_the_previous_reference_intact(tmp_path, monkeypatch):
    dest = str(tmp_path)
    benchkit.write_reference("ref", {"v": 1}, {"x": np.arange(3)}, dest=dest)
    before = {f: (tmp_path / f).read_bytes() for f in os.listdir(tmp_path)}
    with pytest.raises(TypeError):  # not JSON: nothing is written at all
        benchkit.write_reference("ref", {"v": object()}, {"x": np.arange(4)}, dest=dest)
    assert {f: (tmp_path / f).read_bytes() for f in os.listdir(tmp_path)} == before

    def broken(file, **arrays):  # the arrays' write dies half way
        file.write(b"PK partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", broken)
    with pytest.raises(OSError, match="disk full"):
        benchkit.write_reference("ref", {"v": 2}, {"x": np.arange(5)}, dest=dest)
    assert {f: (tmp_path / f).read_bytes() for f in os.listdir(tmp_path)} == before  # and no temporary file
    monkeypatch.undo()
    assert benchkit.read_reference("ref", dest=dest)[0] == {"v": 1}


def _parse(p, argv, capsys):
    with pytest.raises(SystemExit) as e:
        p.parse_args(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and len(err.strip().splitlines()) == 1, err
    return err


def test_the_parser_has_the_shared_flags(tmp_path, capsys):
    p = benchkit.parser("bench/x.py", "Title.\n\nMore.", chapter=6, partial=("--only",))
    p.add_argument("--only")
    args = p.parse_args(["--out", str(tmp_path)])
    assert (args.out, args.quick, args.reference, args.jobs, args.only) == (str(tmp_path), False, False, 2, None)
    assert p.parse_args(["--out", str(tmp_path), "--jobs", "3", "--reference"]).jobs == 3
    assert p.description == "Title."
    assert "--out" in _parse(p, [], capsys)
    assert "expected a positive integer, got '0'" in _parse(p, ["--out", str(tmp_path), "--jobs", "0"], capsys)
    assert "drop --quick and --only" in _parse(p, ["--out", str(tmp_path), "--quick", "--reference"], capsys)
    assert "drop --quick and --only" in _parse(p, ["--out", str(tmp_path), "--only", "a", "--reference"], capsys)
    afile = tmp_path / "a-file"
    afile.write_text("")
    assert "is not a directory" in _parse(p, ["--out", str(afile)], capsys)


def test_the_parser_leaves_out_what_a_script_does_not_share(tmp_path):
    p = benchkit.parser("bench/y.py", "Y.", quick=False, jobs=False, partial=None)
    args = p.parse_args(["--out", str(tmp_path), "--reference"])
    assert vars(args) == {"out": str(tmp_path), "reference": True}
    q = benchkit.parser("bench/z.py", "Z.", partial=None)  # --reference refuses nothing
    assert q.parse_args(["--out", str(tmp_path), "--quick", "--reference"]).reference


def test_machine_info_records_the_machine():
    import torch

    info = benchkit.machine_info(3, load_average_at_end=[0.5])
    assert {"processor", "cpus", "jobs", "threads_per_job", "python", "torch"} <= set(info)
    assert info["jobs"] == 3 and info["torch"] == torch.__version__ and info["load_average_at_end"] == [0.5]
    json.dumps(info)


def _square(x):
    import torch

    return x * x, torch.get_num_threads()


def test_the_pool_runs_one_thread_per_worker():
    with benchkit.pool(1) as pool:
        assert pool.submit(_square, 3).result() == (9, 1)
