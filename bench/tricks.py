"""Chapter 12's table: which training tricks help, by how much, with 95% intervals.

2D: each trick of ``gantools.tricks.bench.TRICKS`` is added alone to chapter 6's vanilla
GAN and trained on the ring and the grid, 10 seeds in one batched computation, 4,000
generator steps like every row of chapter 6; the vanilla GAN itself trains again beside them
(it reproduces chapter 6's row run for run). The remove-one rows come from chapter 6's
committed benchmark (``gantools/data/mode_collapse.json``, same protocol and seeds). Digits:
the book's DCGAN with one-sided label smoothing, and SNGAN's discriminator with the hinge
loss, against the DCGAN, 3 seeds of 800 steps each, FD in the digits classifier's features;
the EMA's effect is each DCGAN run's EMA generator against its raw one. Every effect comes
with a 95% t interval over seeds (``gantools.stats.compare``: Welch's, or paired for the EMA rows).
Runs go to a pool of ``--jobs`` processes, one thread each.

    python bench/tricks.py --out /tmp/tricks                 # the full tables (~13 min, 2 cores)
    python bench/tricks.py --out /tmp/tricks --reference     # ... and store them in gantools/data
    python bench/tricks.py --out /tmp/tricks --quick         # a smoke run (under a minute)
    python bench/tricks.py --out /tmp/tricks --rescore --reference   # the rows again from the committed
                                                             # runs, with the current statistics (seconds)

Writes DIR/tricks.json (the effect rows), DIR/runs.json (every run) and DIR/digits/<setting>-seed<k>/,
and prints the tables with the total CPU and wall time.
"""

from __future__ import annotations

import os
import sys
import time

from gantools import benchkit


def parse(argv: list[str] | None):
    from gantools.tricks.bench import TRICKS

    p = benchkit.parser("bench/tricks.py", __doc__, out="folder for tricks.json, runs.json and the digits runs",
                        quick="2 seeds and few steps everywhere: a smoke run", chapter=12, partial=("--only", "--tricks"))
    p.add_argument("--tricks", help=f"comma-separated 2D tricks to run (default all: {', '.join(TRICKS)})")
    p.add_argument("--only", choices=("2d", "digits"), help="run one part only")
    p.add_argument("--rescore", action="store_true",
                   help="train nothing: rebuild the rows from the committed runs (gantools/data/tricks_runs.json)")
    args = p.parse_args(argv)
    if args.tricks is not None:
        args.tricks = [t.strip() for t in args.tricks.split(",") if t.strip()]
        unknown = [t for t in args.tricks if t not in TRICKS]
        if unknown or not args.tricks:
            p.error(f"unknown trick {unknown[0] if unknown else args.tricks!r}; choose from: {', '.join(TRICKS)}")
    return args


def _train_2d(name: str, seeds: int, steps: int) -> dict:
    from gantools.tricks.bench import train_2d, trick_config

    return train_2d(trick_config(name), range(seeds), steps)


def adjusted_line(rows: list[dict]) -> str:
    from gantools.tricks.bench import adjusted

    a = adjusted(rows)
    return (f"{a['intervals']} intervals: {a['exclude 0']} exclude 0 one at a time; {a['holm']} survive Holm's "
            f"adjustment, {a['bh']} Benjamini-Hochberg's (p < 0.05)")


def rescore(args) -> int:
    """The rows again from the committed runs and chapter 6's benchmark, with the current statistics."""
    from gantools.ringgrid import load_reference as load_chapter6
    from gantools.tricks.bench import cost_ratios, load_reference, rows_from_runs, save_reference, table

    if args.quick or args.only or args.tricks:
        raise SystemExit("bench/tricks.py: --rescore rebuilds every row: drop --quick, --only and --tricks")
    _, runs = load_reference()
    chapter6 = load_chapter6()[0]
    rows = rows_from_runs(runs, chapter6)
    benchkit.write_reference("tricks", rows, dest=args.out)
    if args.reference:
        save_reference(rows, runs)
    costs = cost_ratios(runs, chapter6)
    print(table(rows, costs), end="\n\n")
    print(table(rows, costs, data=("digits",)), end="\n\n")
    print(adjusted_line([r for r in rows if r["data"] != "digits"]))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)  # before the heavy imports: bad input fails fast
    from gantools.ringgrid import load_reference as load_chapter6
    from gantools.tricks.bench import (
        DIGITS_SEEDS,
        DIGITS_STEPS,
        TRICKS,
        cost_ratios,
        digits_run,
        digits_settings,
        rows_2d,
        rows_digits,
        rows_removed,
        save_reference,
        table,
    )

    if args.rescore:
        return rescore(args)
    quick = args.quick
    seeds, steps = (2, 200) if quick else (10, 4000)
    d_seeds, d_steps = (2, 20) if quick else (DIGITS_SEEDS, DIGITS_STEPS)
    tricks = args.tricks or list(TRICKS)
    run_2d, run_digits = args.only in (None, "2d"), args.only in (None, "digits")
    os.makedirs(args.out, exist_ok=True)
    t0 = time.perf_counter()
    runs: dict = {"machine": benchkit.machine_info(args.jobs),
                  "quick": quick, "seeds": seeds, "steps": steps, "digits_seeds": d_seeds, "digits_steps": d_steps,
                  "2d": {}, "digits": []}
    with benchkit.pool(args.jobs) as pool:
        jobs_2d = {name: pool.submit(_train_2d, name, seeds, steps) for name in (["none", *tricks] if run_2d else ())}
        jobs_digits = [pool.submit(digits_run, name, s, d_steps, os.path.join(args.out, "digits", f"{name}-seed{s}"))
                       for name in (digits_settings() if run_digits else ()) for s in range(d_seeds)]
        for name, job in jobs_2d.items():
            runs["2d"][name] = res = job.result()
            hq = {w: 100 * sum(r["hq"] for r in res[w]) / len(res[w]) for w in ("ring", "grid")}
            print(f"2d {name}: ring HQ {hq['ring']:.1f}%, grid HQ {hq['grid']:.1f}% ({res['cpu_s']:.0f} CPU s)",
                  flush=True)
        for job in jobs_digits:
            r = job.result()
            runs["digits"].append(r)
            print(f"digits {r['setting']} seed {r['seed']}: FD {r['fd']:.1f} (raw G {r['fd_raw']:.1f}), "
                  f"{r['cpu_s']:.0f} CPU s", flush=True)
    chapter6 = load_chapter6()[0]
    rows = []
    if run_2d:
        rows += rows_2d(runs["2d"]) + rows_removed(chapter6)
    if run_digits:
        rows += rows_digits(runs["digits"])
    wall = time.perf_counter() - t0
    runs["total_wall_s"] = wall
    runs["total_cpu_s"] = (sum(r["cpu_s"] for r in runs["2d"].values())
                           + sum(r["cpu_s"] for r in runs["digits"]))
    benchkit.write_reference("tricks", rows, dest=args.out)
    benchkit.write_reference("runs", runs, dest=args.out)
    if args.reference:
        save_reference(rows, runs)
    costs = cost_ratios(runs, chapter6)
    print()
    if run_2d:
        print(f"2D: {seeds} seeds, {steps} generator steps per run; effect = with the trick - without it, "
              "95% t interval")
        print(table(rows, costs), end="\n\n")
    if run_digits:
        print(f"Digits: {d_seeds} seeds, {d_steps} generator steps of 64 images; FD (lower is better)")
        print(table(rows, costs, data=("digits",)), end="\n\n")
    print(adjusted_line(rows))
    print(f"Total: {wall:.0f} s wall ({wall / 60:.1f} min), {runs['total_cpu_s']:.0f} CPU s of training, "
          f"{args.jobs} processes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
