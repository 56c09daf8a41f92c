"""bench/image_throughput.py runs and prints both loops and their ratio."""

import importlib.util
import re
from pathlib import Path

spec = importlib.util.spec_from_file_location("image_throughput",
                                              Path(__file__).resolve().parents[1] / "bench" / "image_throughput.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_prints_both_loops_and_the_ratio(capsys):
    assert bench.main(["--device", "cpu", "--steps", "2", "--warmup", "1", "--repeats", "1", "--ngf", "8",
                       "--batch-size", "8", "--image-size", "16"]) == 0
    out = capsys.readouterr().out
    rates = [float(m.replace(",", "")) for m in re.findall(r"\| ([\d,]+) \|", out)]
    ratio = float(re.search(r"ratio gantools / reference: ([\d.]+)x", out).group(1))
    assert len(rates) == 2 and all(r > 0 for r in rates)
    assert abs(ratio - rates[1] / rates[0]) < 0.02 * ratio + 0.01
