"""Chapter 14's tables: a VAE and a diffusion model next to chapter 6's GANs, measured.

2D: the ring and the grid, 10 seeds, 4,000 steps of batch 128 per run like every row of
chapter 6; the VAE is sampled from its decoder means and with its decoder noise, the diffusion
model by DDIM at 1, 2, 5, 10, 20, 50, 100 and 1,000 network evaluations (NFE) per sample.
Digits: the book's DCGAN, a VAE and a diffusion model, 3 seeds, FD / precision / recall in the
digits classifier's features. The GAN rows of the 2D table are chapter 6's committed runs.
``--families`` limits what trains (gan: the digits DCGAN; vae; diffusion). Runs go to a pool of
``--jobs`` processes, one thread each.

    python bench/generative_families.py --out /tmp/fam               # the full tables (~8 min, 2 cores)
    python bench/generative_families.py --out /tmp/fam --reference   # ... and store them in gantools/data
    python bench/generative_families.py --out /tmp/fam --quick       # a smoke run (under a minute)

Writes DIR/<ring|grid>/<family>/seed<k>.npy (2,500 x 2 samples; families vae-mean, vae-noise,
diffusion-nfe<k>), DIR/<ring|grid>/mixture.npz (arrays ``means``, ``std``), DIR/results.json
and DIR/digits/gan-seed<k>/ (the DCGAN runs), and prints the tables with the total time.
"""

from __future__ import annotations

import os
import sys
import time

from gantools import benchkit


def parse(argv: list[str] | None):
    from gantools.families.bench import NFES, parse_family

    p = benchkit.parser("bench/generative_families.py", __doc__, out="folder for the samples, results.json and the runs",
                        quick="2 seeds and few steps everywhere: a smoke run", chapter=14,
                        partial=("--nfe", "--kl-weight", "--only", "--families"))
    p.add_argument("--nfe", help=f"comma-separated DDIM network evaluations per sample (default {NFES})")
    p.add_argument("--kl-weight", type=float, help="the VAE's KL weight beta (default 1: the ELBO)")
    p.add_argument("--only", choices=("2d", "digits"), help="run one part only")
    p.add_argument("--families", help="comma-separated families to train: gan (digits only), vae, diffusion "
                                      "(default all)")
    args = p.parse_args(argv)
    try:
        from gantools.families.bench import KINDS, parse_kinds

        args.families = KINDS if args.families is None else parse_kinds(args.families)
        if args.nfe is not None:
            parts = [k.strip() for k in args.nfe.split(",") if k.strip()]
            if not parts or not all(k.lstrip("-").isdigit() for k in parts):
                raise ValueError(f"--nfe must be comma-separated integers, got {args.nfe!r}")
            args.nfe = tuple(int(k) for k in parts)
            for k in args.nfe:
                parse_family(f"diffusion-nfe{k}")
        if args.kl_weight is not None:
            from gantools.families.bench import VAE_2D

            VAE_2D.replace(kl_weight=args.kl_weight)
    except ValueError as e:
        p.error(str(e))
    return args


def _job(kind: str, *a):
    from gantools.families import bench

    if kind in ("vae", "diffusion"):
        return bench.run_2d(kind, *a)
    if kind.startswith("digits-"):
        return bench.digits_families(kind.split("-", 1)[1], *a)
    return bench.digits_gan(*a)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)  # before the heavy imports: bad input fails fast
    import numpy as np

    from gantools.distributions import grid, ring
    from gantools.families import bench
    from gantools.families.bench import digits_table, table_2d
    from gantools.ringgrid import load_reference as load_chapter6

    if args.kl_weight is not None:
        bench.VAE_2D = bench.VAE_2D.replace(kl_weight=args.kl_weight)
        bench.VAE_DIGITS = bench.VAE_DIGITS.replace(kl_weight=args.kl_weight)
    q = args.quick
    seeds, steps = (2, 200) if q else (10, bench.STEPS)
    d_seeds = 2 if q else bench.DIGITS_SEEDS
    d_steps = {k: 20 for k in bench.DIGITS_STEPS} if q else bench.DIGITS_STEPS
    nfes = args.nfe or ((1, 10, 50) if q else bench.NFES)
    d_nfes = (10,) if q else bench.DIGITS_NFES
    run_2d, run_digits = args.only in (None, "2d"), args.only in (None, "digits")
    for which, mix in (("ring", ring()), ("grid", grid())):
        os.makedirs(os.path.join(args.out, which), exist_ok=True)
        np.savez(os.path.join(args.out, which, "mixture.npz"), means=mix.means, std=float(mix.stds[0]))
    t0 = time.perf_counter()
    result: dict = {"machine": benchkit.machine_info(args.jobs),
                    "quick": q, "seeds": seeds, "steps": steps, "nfes": list(nfes),
                    "families": bench.families(nfes, args.families),
                    "digits_seeds": d_seeds, "digits_steps": d_steps, "digits_nfes": list(d_nfes),
                    "2d": {}, "digits": []}
    jobs = []  # longest first, so that the workers finish together
    if run_digits:
        jobs += [("digits-vae", range(d_seeds), d_steps["vae"], d_nfes),
                 ("digits-diffusion", range(d_seeds), d_steps["diffusion"], d_nfes)]
    if run_2d:
        jobs += [("diffusion", range(seeds), steps, nfes, args.out), ("vae", range(seeds), steps, nfes, args.out)]
    if run_digits:
        jobs += [("gan", s, d_steps["gan"], os.path.join(args.out, "digits", f"gan-seed{s}")) for s in range(d_seeds)]
    jobs = [j for j in jobs if j[0].removeprefix("digits-") in args.families]
    with benchkit.pool(args.jobs) as pool:
        futures = [(job[0], pool.submit(_job, *job)) for job in jobs]
        for kind, fut in futures:
            res = fut.result()
            if kind in ("vae", "diffusion"):
                result["2d"][kind] = res
                print(f"2d {kind}: trained in {res['train_s']:.0f} s", flush=True)
            else:
                result["digits"] += res if isinstance(res, list) else [res]
                print(f"digits {kind} done", flush=True)
    if run_2d:
        result["gan_samples_per_s"] = bench.gan_sampling_speed()
    wall = time.perf_counter() - t0
    result["total_wall_s"] = wall
    benchkit.write_reference("results", result, dest=args.out)
    if args.reference:
        bench.save_reference(result, args.out)
    chapter6 = load_chapter6()[0]
    if run_2d:
        print(f"\n2D: {seeds} seeds, {steps} steps of batch 128 per run; mean ± 95% t half-width over seeds")
        print(table_2d(result, chapter6))
    if run_digits:
        print(f"\nDigits: {d_seeds} seeds; {bench.DIGITS_N} samples against {bench.DIGITS_N} real images")
        print(digits_table(result))
    print(f"\nTotal: {wall:.0f} s wall ({wall / 60:.1f} min), {args.jobs} processes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
