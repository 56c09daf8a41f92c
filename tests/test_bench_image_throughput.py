"""bench/image_throughput.py runs and prints both loops and their ratio."""

import importlib.util
import re
from pathlib import Path

spec = importlib.util.spec_from_file_location("image_throughput",
                                              Path(__file__).resolve().parents[1] / "bench" / "image_throughput.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_prints_every_setting_and_its_ratio(capsys):
    assert bench.main(["--device", "cpu", "--steps", "2", "--warmup", "1", "--repeats", "1", "--ngf", "8",
                       "--batch-size", "8", "--image-size", "16", "--settings", "fp32", "bf16", "fp16",
                       "channels_last"]) == 0
    out = capsys.readouterr().out
    rows = re.findall(r"^\| (reference|gantools \S+)[^|]*\| (\w+) \| (\w+) \| \w+ \| ([\d,]+) \| ([\d.]+)x \|", out, re.M)
    assert [r[0] for r in rows] == ["reference", "gantools fp32", "gantools bf16", "gantools fp16",
                                    "gantools channels_last"]
    assert [(r[1], r[2]) for r in rows] == [("off", "False"), ("off", "False"), ("bf16", "False"),
                                            ("fp16", "False"), ("off", "True")]  # what was in effect
    ref = float(rows[0][3].replace(",", ""))
    for r in rows[1:]:
        rate, ratio = float(r[3].replace(",", "")), float(r[4])
        rounding = 0.006 + ratio * (0.5 / rate + 0.5 / ref)  # rates print as integers, ratios to 0.01
        assert rate > 0 and abs(ratio - rate / ref) < rounding, r


def test_bad_arguments_are_one_line(capsys):
    for argv, msg in ((["--settings", "fp8"], "unknown setting 'fp8'"), (["--steps", "0"], "--steps must be positive")):
        try:
            bench.main(argv)
            raise AssertionError("must exit")
        except SystemExit as e:
            assert e.code == 2
        err = capsys.readouterr().err
        assert msg in err and err.count("\n") == 1, err
