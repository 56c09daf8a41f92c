"""The ring and grid mode-collapse benchmark of VEEGAN and PacGAN, every method, 10 seeds.

Protocol (Srivastava et al. 2017; Lin et al. 2018): 2,500 generated samples per run; a
sample is high quality when within 3 standard deviations of its nearest mode; a mode is
captured when it is the nearest mode of at least one high-quality sample. Ring: 8 modes
on a circle of radius 1, std 0.01. Grid: 25 modes on {-4,-2,0,2,4}^2, std 0.05.

All 10 ring runs and 10 grid runs of a method train together in one batched computation
(:class:`gantools.batched.BatchedGAN`).

    python bench/mode_collapse.py --out runs/mode_collapse          # the full table
    python bench/mode_collapse.py --out /tmp/mc --quick             # a 2-seed smoke run

Writes DIR/<ring|grid>/<method>/seed<k>.npy (2,500 x 2 samples), DIR/<ring|grid>/mixture.npz
(arrays ``means``, ``std``) and DIR/results.json (every run's metrics, the configs, the
wall times and the machine), and prints the table beside the published rows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np
import torch

from gantools.distributions import grid, ring
from gantools.mode_collapse import METHODS, N_SAMPLES, fmt, print_table, run_method, save_reference, summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="folder for the samples, the mixtures and results.json")
    p.add_argument("--quick", action="store_true", help="2 seeds and 1/10 of the steps: a smoke run")
    p.add_argument("--seeds", type=int, default=10, help="seeds per method and target (default 10)")
    p.add_argument("--only", nargs="*", default=None, help="run only these methods (names as in the table)")
    p.add_argument("--reference", action="store_true",
                   help="also store the results and seed-0 samples in gantools/data (what chapter 6 shows)")
    args = p.parse_args(argv)
    torch.set_flush_denormal(True)  # Adam's second moments underflow; denormals are slow
    n_seeds = 2 if args.quick else args.seeds
    if n_seeds < 1:
        print("error: --seeds must be at least 1", file=sys.stderr)
        return 2
    methods = {k: v for k, v in METHODS.items() if args.only is None or k in args.only}
    if not methods:
        print(f"error: no method called {args.only}; choose from {list(METHODS)}", file=sys.stderr)
        return 2
    for which, mix in (("ring", ring()), ("grid", grid())):
        os.makedirs(os.path.join(args.out, which), exist_ok=True)
        np.savez(os.path.join(args.out, which, "mixture.npz"), means=mix.means, std=float(mix.stds[0]))
    results, t0 = {}, time.perf_counter()
    for name, m in methods.items():
        steps = max(m.steps // 10, 10) if args.quick else m.steps
        rejection = min(m.rejection_steps, 200) if args.quick else m.rejection_steps
        results[name], _ = run_method(name, m.config, steps, list(range(n_seeds)), args.out, rejection, m.ratio_changes)
        s = summary(results[name])
        print(f"{name}: ring {fmt(s['ring']['modes'])} modes, {fmt(s['ring']['hq_pct'])}% HQ; grid "
              f"{fmt(s['grid']['modes'])} modes, {fmt(s['grid']['hq_pct'])}% HQ ({results[name]['wall_s']:.0f} s)",
              flush=True)
    total = time.perf_counter() - t0
    machine = {"processor": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
               "torch": torch.__version__, "python": platform.python_version()}
    everything = {"n_seeds": n_seeds, "n_samples": N_SAMPLES, "total_wall_s": total, "machine": machine,
                  "quick": args.quick, "methods": {k: {**v, "summary": summary(v)} for k, v in results.items()}}
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(everything, f, indent=1)
    if args.reference:
        save_reference(everything, args.out)
    print()
    print_table(results, n_seeds, total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
