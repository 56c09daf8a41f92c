"""Chapter 13's tables: image-to-image translation scored against a known ground truth.

Domains: X = the digits, Y = T(digits) for a disjoint half (T = a quarter turn, ``rot90``,
or stroke thickening, ``dilate``), 16x16. Every method (identity, l1-only, pix2pix,
gan-only, cyclegan, cyclegan-identity) trains on each transform with the same networks and
budget (800 generator steps of 32 images), with 10 seeds (the identity map, untrained: 1). Each run is scored on the 497 held-out test digits: the share whose class a
classifier trained on Y still reads, the pixel error to the true T(x), the cycle error, and
the Fréchet distance in the Y classifier's features. Runs go to a pool of ``--jobs``
processes, one thread each.

    python bench/translation.py --out /tmp/tr                 # the full tables (~15 min, 2 cores)
    python bench/translation.py --out /tmp/tr --reference     # ... and store them in gantools/data
    python bench/translation.py --out /tmp/tr --quick         # a smoke run

Writes DIR/results.json and DIR/<transform>/<method>.npz (seed 0's translations of the
test set: inputs, outputs, targets, labels) and prints one table per transform.
"""

from __future__ import annotations

import os
import sys
import time

from gantools import benchkit


def parse(argv: list[str] | None):
    from gantools.translation import METHODS, TRANSFORMS

    p = benchkit.parser("bench/translation.py", __doc__, out="folder for results.json and the translations",
                        quick="at most 2 seeds and 30 steps per method: a smoke run", chapter=13,
                        partial=("--transforms", "--methods"))
    p.add_argument("--transforms", help=f"comma-separated (default all: {', '.join(TRANSFORMS)})")
    p.add_argument("--methods", help=f"comma-separated (default all: {', '.join(METHODS)})")
    args = p.parse_args(argv)
    for name, known in (("transforms", TRANSFORMS), ("methods", METHODS)):
        value = getattr(args, name)
        if value is not None:
            items = [v.strip() for v in value.split(",") if v.strip()]
            bad = [v for v in items if v not in known] or ([] if items else [value])
            if bad:
                p.error(f"unknown {name[:-1]} {bad[0]!r}; choose from: {', '.join(known)}")
            setattr(args, name, items)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)  # before the heavy imports: bad input fails fast
    from gantools.translation.bench import BUDGET, jobs, run_one, save_reference, table
    from gantools.translation.scores import y_classifier

    todo = [(t, m, s) for t, m, s in jobs(args.quick)
            if (args.transforms is None or t in args.transforms) and (args.methods is None or m in args.methods)]
    os.makedirs(args.out, exist_ok=True)
    t0 = time.perf_counter()
    for transform in dict.fromkeys(t for t, _, _ in todo):
        y_classifier(transform)  # trained once (and committed), before the workers need it
    steps = 30 if args.quick else None
    runs, outputs = [], {}
    with benchkit.pool(args.jobs) as pool:
        futures = {job: pool.submit(run_one, *job, steps) for job in todo}
        for (transform, method, seed), future in futures.items():
            result, out = future.result()
            runs.append(result)
            if out is not None:
                outputs[(transform, method)] = out
            print(f"{transform} {method} seed {seed}: class kept {100 * result['class_kept']:.1f}%, "
                  f"pixel error {result['pixel_error']:.3f} ({result['cpu_s']:.0f} CPU s)", flush=True)
    wall = time.perf_counter() - t0
    results = {"machine": benchkit.machine_info(args.jobs),
               "quick": args.quick, "budget": {**BUDGET, **({"steps": steps} if steps else {})},
               "runs": runs, "total_wall_s": wall, "total_cpu_s": sum(r["cpu_s"] for r in runs)}
    save_reference(results, outputs, args.out)
    if args.reference:
        save_reference(results, outputs)
    print()
    for transform in dict.fromkeys(t for t, _, _ in todo):
        print(f"{transform}: {results['budget']['steps']} generator steps of {BUDGET['batch_size']} images per run")
        print(table(runs, transform), end="\n\n")
    print(f"Total: {wall:.0f} s wall ({wall / 60:.1f} min), {results['total_cpu_s']:.0f} CPU s of training, "
          f"{args.jobs} processes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
