"""How long ``python -m gantools grade`` takes for a class: N submissions of one chapter, graded
with ``--jobs J``, timed end to end (reading, the isolated kernels, judging, the CSV).

Each submission is the book's chapter with the student edition's metadata: a student who
answered every exercise, so that every cell and every check runs (the slowest case; a
notebook that stops at its first unanswered exercise is faster).

    python bench/grading.py --out /tmp/grading              # 100 submissions of chapter 5, 2 jobs
    python bench/grading.py --out /tmp/grading --n 10       # a smoke run
    python bench/grading.py --out /tmp/grading --reference  # also write gantools/data/grading.json
"""

from __future__ import annotations

import csv
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from gantools import benchkit

ROOT = Path(__file__).resolve().parents[1]


def submissions(chapter: int, n: int, folder: Path) -> list[Path]:
    import gantools
    from gantools.exercises.registry import CHAPTERS
    from gantools.grading import exercise_set

    c = CHAPTERS[chapter]
    nb = nbformat.read(ROOT / "book" / c.notebook, as_version=4)
    nb.metadata["gantools"] = {"chapter": chapter, "edition": "student", "version": gantools.__version__,
                               "exercises": exercise_set(c)}
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"student_{i:03d}.ipynb"
        nbformat.write(nb, path)
        paths.append(path)
    return paths


GPU_STEPS = {8: 6000, 9: 3000, 11: 6000, 13: 5000, 14: 20000}  # the chapters' full runs (FULL_STEPS)


def course_rows(data: dict) -> str:
    """The fourteen-week table of book/for_instructors.md, from the measured chapter times."""
    import re

    from gantools.exercises.registry import CHAPTERS

    rows = []
    for week, (number, c) in enumerate(sorted(CHAPTERS.items()), 1):
        title = re.search(r"^#\s+\d+\.\s+(.+)$", nbformat.read(ROOT / "book" / c.notebook, as_version=4).cells[0].source,
                          re.MULTILINE).group(1).strip()
        sets = ", ".join(f"{e.number} ({e.level})" for e in c.exercises)
        gpu = f"optional: a full run of {GPU_STEPS[number]:,} steps" if number in GPU_STEPS else "no"
        rows.append(f"| {week} | {number}. {title} | {sets} | {gpu} |")
    return "\n".join(rows)


def grading_sentence(data: dict) -> str:
    """The page's sentence on grading time, from the measurement."""
    return (f"{data['submissions']} submissions of chapter {data['chapter']}, each answering every exercise, "
            f"took {data['wall_s'] / 60:.1f} minutes with `--jobs {data['jobs']}` on a {data['cores']}-core CPU "
            f"({data['per_submission_s']:.1f} s per notebook).")


def main(argv: list[str] | None = None) -> int:
    p = benchkit.parser("bench/grading.py", __doc__, out="folder for the submissions and grades.csv", quick=False,
                        reference="write gantools/data/grading.json (full runs only)", partial=None)
    p.add_argument("--chapter", type=benchkit.positive_int, default=5)
    p.add_argument("--n", type=benchkit.positive_int, default=100)
    args = p.parse_args(argv)
    if args.reference and args.n < 100:
        p.error("--reference records a class of at least 100")
    folder = Path(args.out)
    paths = submissions(args.chapter, args.n, folder)
    start = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "gantools", "grade", *map(str, paths), "--csv",
                        str(folder / "grades.csv"), "--jobs", str(args.jobs), "--no-progress", "--timeout", "300"],
                       capture_output=True, text=True)
    wall = time.perf_counter() - start
    rows = [row for row in csv.DictReader((folder / "grades.csv").open(encoding="utf-8")) if row["exercise"] != "total"]
    statuses = {s: sum(row["status"] == s for row in rows) for s in sorted({row["status"] for row in rows})}
    result = {"chapter": args.chapter, "submissions": args.n, "jobs": args.jobs, "wall_s": round(wall, 1),
              "per_submission_s": round(wall / args.n, 2), "statuses": statuses, "exit_status": r.returncode,
              "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
              "python": platform.python_version(), "date": time.strftime("%Y-%m-%d")}
    print(f"{'chapter':>8} {'notebooks':>10} {'jobs':>5} {'wall (min)':>11} {'per notebook (s)':>17}  statuses")
    print(f"{args.chapter:>8} {args.n:>10} {args.jobs:>5} {wall / 60:>11.1f} {wall / args.n:>17.2f}  {statuses}")
    if args.reference:
        benchkit.write_reference("grading", result)
    return 0 if set(statuses) == {"pass"} else 1


if __name__ == "__main__":
    sys.exit(main())
