"""The ring and grid mode-collapse benchmark of VEEGAN and PacGAN, every method, 10 seeds.

Protocol (Srivastava et al. 2017; Lin et al. 2018): 2,500 generated samples per run; a
sample is high quality when within 3 standard deviations of its nearest mode; a mode is
captured when it is the nearest mode of at least one high-quality sample. Ring: 8 modes
on a circle of radius 1, std 0.01. Grid: 25 modes on {-4,-2,0,2,4}^2, std 0.05.

Every trained row takes 4,000 generator steps with batch 128; rows that sample one trained
generator in different ways (rejection, Langevin, ...) share its training. All 10 ring runs
and 10 grid runs of a recipe train together in one batched computation
(:class:`gantools.batched.BatchedGAN`); recipes run in ``--jobs`` processes of one thread each.

    python bench/mode_collapse.py --out runs/mode_collapse          # the full table
    python bench/mode_collapse.py --out /tmp/mc --quick             # a 2-seed smoke run
    python bench/mode_collapse.py --out /tmp/mc --pacgan-steps 6000 # PacGAN's GAN, an HQ curve
    python bench/mode_collapse.py --out runs/pacgan --pacgan-steps 400000 --seeds 10 --device cuda

Writes DIR/<ring|grid>/<method>/seed<k>.npy (2,500 x 2 samples), DIR/<ring|grid>/mixture.npz
(arrays ``means``, ``std``) and DIR/results.json (every run's metrics, Lipschitz constants and
bounds, the configs, the wall and CPU times and the machine), and prints the table beside the
published rows. ``--pacgan-steps N`` instead trains PacGAN's published GAN configuration on the
grid for N steps and writes DIR/pacgan_curve.json (HQ and modes every 1,000 steps).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import torch

from gantools import benchkit
from gantools.distributions import grid, ring
from gantools.mode_collapse.bench import (
    METHODS,
    N_SAMPLES,
    REFERENCE_CURVE,
    STEPS,
    fmt,
    pacgan_curve,
    run_group,
    save_reference,
    summary,
    table,
    training_groups,
)

# relative cost of a recipe's training, for scheduling the longest first (measured on a CPU)
_COST = {"unroll_steps": 9.0, "d_steps": 4.5, "minibatch_std": 1.6}


def _cost(cfg) -> float:
    c = 1.0
    if cfg.unroll_steps:
        c *= _COST["unroll_steps"]
    if cfg.d_steps > 1:
        c *= _COST["d_steps"]
    if cfg.minibatch_std:
        c *= _COST["minibatch_std"]
    return c


def _work(args):
    cfg, steps, rows, seeds, out, quick = args
    torch.set_flush_denormal(True)  # Adam's second moments underflow; denormals are slow
    return run_group(cfg, steps, rows, seeds, out, quick)



def main(argv: list[str] | None = None) -> int:
    p = benchkit.parser("bench/mode_collapse.py", __doc__, out="folder for the samples, the mixtures and results.json",
                        quick="2 seeds and 1/10 of the steps: a smoke run", jobs=False, partial=None,
                        reference="also store the results and seed-0 samples in gantools/data (what chapter 6 shows)")
    p.add_argument("--seeds", type=int, default=10, help="seeds per method and target (default 10)")
    p.add_argument("--only", nargs="*", default=None, help="run only these methods (names as in the table)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2, one per core)")
    p.add_argument("--pacgan-steps", type=int, default=0,
                   help="instead: train PacGAN's published GAN on the grid for this many steps (an HQ curve)")
    p.add_argument("--device", default="cpu", help="device of the --pacgan-steps run (cpu or cuda)")
    args = p.parse_args(argv)
    n_seeds = 2 if args.quick else args.seeds
    if n_seeds < 1:
        p.error(f"--seeds must be at least 1, got {args.seeds}")
    if args.jobs < 1:
        p.error(f"--jobs must be at least 1, got {args.jobs}")
    if args.pacgan_steps < 0:
        p.error(f"--pacgan-steps must be >= 0, got {args.pacgan_steps}")
    if args.pacgan_steps:
        return pacgan(args, n_seeds)
    unknown = [m for m in args.only or [] if m not in METHODS]
    if unknown or args.only == []:
        p.error(f"no method called {unknown or args.only}; choose from {list(METHODS)}")
    methods = {k: v for k, v in METHODS.items() if args.only is None or k in args.only}
    for which, mix in (("ring", ring()), ("grid", grid())):
        os.makedirs(os.path.join(args.out, which), exist_ok=True)
        np.savez(os.path.join(args.out, which, "mixture.npz"), means=mix.means, std=float(mix.stds[0]))
    seeds = list(range(n_seeds))
    jobs = []
    for cfg, steps, names in training_groups(methods):
        steps = max(steps // 10, 10) if args.quick else steps
        jobs.append((cfg, steps, {n: methods[n] for n in names}, seeds, args.out, args.quick))
    jobs.sort(key=lambda j: -_cost(j[0]))  # longest first: the two workers finish together
    t0, results = time.perf_counter(), {}
    with benchkit.pool(args.jobs) as pool:
        for group in pool.map(_work, jobs):
            for name, res in group.items():
                results[name] = res
                s = summary(res)
                print(f"{name}: ring {fmt(s['ring']['modes'])} modes, {fmt(s['ring']['hq_pct'])}% HQ; grid "
                      f"{fmt(s['grid']['modes'])} modes, {fmt(s['grid']['hq_pct'])}% HQ "
                      f"(train {res['train_s']:.0f} s, sampling {res['sample_s']:.0f} s)", flush=True)
    total = time.perf_counter() - t0
    results = {k: results[k] for k in methods}  # the table's order
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    machine = benchkit.machine_info(args.jobs, load_average_at_end=list(load))
    everything = {"n_seeds": n_seeds, "n_samples": N_SAMPLES, "steps": STEPS, "total_wall_s": total,
                  "machine": machine, "quick": args.quick,
                  "methods": {k: {**v, "summary": summary(v)} for k, v in results.items()}}
    benchkit.write_reference("results", everything, dest=args.out)
    if args.reference:
        save_reference(everything, args.out)
    print()
    print(table(results, n_seeds))
    cpu = sum(r["sample_cpu_s"] + (0 if r["shares_training_with"] else r["train_cpu_s"]) for r in results.values())
    print(f"\nTotal wall time: {total:.0f} s ({total / 60:.1f} min), {cpu:.0f} CPU s, {args.jobs} processes x 1 thread "
          f"on {os.cpu_count()} CPUs ({machine['processor']}); load average at the end {load[0]:.1f}")
    return 0


def pacgan(args, n_seeds: int) -> int:
    """PacGAN's published GAN configuration on the grid: HQ and modes every 1,000 steps."""
    torch.set_flush_denormal(True)
    os.makedirs(args.out, exist_ok=True)
    every = 1000 if args.pacgan_steps >= 20_000 else max(100, args.pacgan_steps // 16)  # PacGAN: every epoch
    info = {"steps": args.pacgan_steps, "seeds": n_seeds, "every": every, "device": args.device,
            "threads": torch.get_num_threads(), "processor": benchkit.machine_info(1)["processor"]}
    last = {}

    def save(curve):
        last.update(info, **curve)
        benchkit.write_reference("pacgan_curve", last, dest=args.out)
        print(f"step {curve['steps'][-1]}: grid HQ {100 * np.mean(curve['hq'][-1]):.1f}%, "
              f"modes {np.mean(curve['modes'][-1]):.1f} ({curve['wall_s'][-1]:.0f} s)", flush=True)

    pacgan_curve(args.pacgan_steps, list(range(n_seeds)), every=every, device=args.device, callback=save)
    if args.reference:
        benchkit.write_reference(REFERENCE_CURVE, last)
    return 0


if __name__ == "__main__":
    sys.exit(main())
