"""Chapter 11's tables: three ways to condition a GAN, and a negative control, measured.

Toy: Gong et al.'s (2019) overlapping 1D classes, x|y ~ N(0, 1), N(3, 2^2), N(6, 3^2); each
mode (concat, projection, acgan, shuffled) trains 10 seeds in one batched computation for
5,000 steps, and every seed is scored against the truth (H(y|x), Bayes agreement, W1 and
spread per class). Digits: the conditional DCGAN of ``python -m gantools train --model
cdcgan`` in each mode, 3 seeds, an equal budget of 1,000 generator steps of 64 images,
judged by the book's digits classifier (accuracy, confusion, FD, per-class FD, intra-class
precision and recall). Runs go to a pool of ``--jobs`` processes, one thread each.

    python bench/conditional.py --out /tmp/cond                 # the full tables (~15 min, 2 cores)
    python bench/conditional.py --out /tmp/cond --reference     # ... and store them in gantools/data
    python bench/conditional.py --out /tmp/cond --quick         # a smoke run (about a minute)

Writes DIR/results.json, DIR/samples.npz and DIR/digits/<mode>-seed<k>/ (each run's files),
and prints both tables with the total CPU and wall time.
"""

from __future__ import annotations

import os
import sys
import time

from gantools import benchkit
from gantools.benchkit import positive_int as _positive


def parse(argv: list[str] | None):
    p = benchkit.parser("bench/conditional.py", __doc__, out="folder for results.json, samples.npz and the digits runs",
                        quick="2 toy seeds, 1 digits seed and few steps: a smoke run", chapter=11, partial=("--only",))
    p.add_argument("--only", choices=("toy", "digits"), help="run one part only")
    p.add_argument("--seeds", type=_positive, help="digits seeds per mode (default 3; quick 1)")
    p.add_argument("--steps", type=_positive, help="digits generator steps per run (default 1000; quick 30)")
    p.add_argument("--toy-seeds", type=_positive, help="toy seeds per mode (default 10; quick 2)")
    p.add_argument("--toy-steps", type=_positive, help="toy generator steps (default 5000; quick 300)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)  # before the heavy imports: bad input fails fast
    from gantools.conditional.bench import (
        DIGITS_MODES,
        digits_run,
        digits_table,
        save_reference,
        toy_data_row,
        toy_mode,
        toy_table,
    )
    from gantools.conditional.toy import MODES as TOY_MODES

    quick = args.quick
    seeds = args.seeds or (1 if quick else 3)
    steps = args.steps or (30 if quick else 1000)
    toy_seeds = args.toy_seeds or (2 if quick else 10)
    toy_steps = args.toy_steps or (300 if quick else 5000)
    run_toy, run_digits = args.only in (None, "toy"), args.only in (None, "digits")
    os.makedirs(args.out, exist_ok=True)
    t0, c0 = time.perf_counter(), time.process_time()
    results = {"machine": benchkit.machine_info(args.jobs), "quick": quick}
    samples = {}
    with benchkit.pool(args.jobs) as pool:
        digits_jobs = {(m, s): pool.submit(digits_run, m, s, steps, os.path.join(args.out, "digits", f"{m}-seed{s}"))
                       for m in (DIGITS_MODES if run_digits else ()) for s in range(seeds)}
        toy_jobs = {m: pool.submit(toy_mode, m, range(toy_seeds), toy_steps) for m in (TOY_MODES if run_toy else ())}
        if run_toy:
            data, samples["toy/data"] = toy_data_row()
            results["toy"] = {"data": data, "modes": {}}
            for m, job in toy_jobs.items():
                results["toy"]["modes"][m], samples[f"toy/{m}"] = job.result()
                print(f"toy {m}: done ({results['toy']['modes'][m]['cpu_s']:.0f} CPU s)", flush=True)
        if run_digits:
            from gantools.classifier import load_classifier
            from gantools.conditional.scores import heldout_class_accuracy

            acc, per_class = heldout_class_accuracy(load_classifier("digits"))
            results["digits"] = {"steps": steps, "batch_size": 64, "seeds": seeds, "classifier_heldout": acc,
                                 "classifier_heldout_per_class": per_class.tolist(), "runs": []}
            for (m, s), job in digits_jobs.items():
                row, grid = job.result()
                results["digits"]["runs"].append(row)
                if s == 0:
                    samples[f"digits/{m}"] = grid
                print(f"digits {m} seed {s}: accuracy {row['accuracy']:.3f}, FD {row['fd']:.1f}, "
                      f"recall {row['recall']:.2f} ({row['cpu_s']:.0f} CPU s)", flush=True)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0 + sum(r["task_cpu_s"] for r in results.get("digits", {}).get("runs", [])) \
        + sum(r["task_cpu_s"] for r in results.get("toy", {}).get("modes", {}).values())
    results["total_wall_s"], results["total_cpu_s"] = wall, cpu
    benchkit.write_reference("results", results, samples, args.out, npz="samples")
    if args.reference:
        save_reference(results, samples)
    print()
    if run_toy:
        print(toy_table(results), end="\n\n")
    if run_digits:
        print(f"Digits: {steps} generator steps x 64 images per run, {seeds} seed(s) per mode")
        print(digits_table(results), end="\n\n")
    print(f"Total: {wall:.0f} s wall ({wall / 60:.1f} min), {cpu:.0f} CPU s in all, {args.jobs} processes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
