"""The command line: ``python -m gantools COMMAND ...``.

Commands:
    student BOOK_DIR --out DIR   write the student edition (solutions removed) of every notebook
    grade NOTEBOOK... [--csv F] [--jobs N] [--weights W]
                                 run submissions, isolated, and grade every exercise in this process
                                 (exit 0: all ran, none failed; 1: some exercise failed; 2: bad input)
    train --model M --dataset D --steps N --out DIR [--resume] ...
                                 train DCGAN or WGAN-GP on images (chapters 8 and 9)
    sample DIR --n 64 --out grid.png|images.npy [--label K] [--truncation PSI]
                                 a sample grid (or the raw images) from a trained run
    evaluate DIR [--json]        the run's FD, KID, precision/recall beside the yardsticks (ch. 10)

Bad arguments print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys

from .checks import OneLineParser as ArgumentParser
from .checks import nonnegative_int, positive_int


def cmd_student(args: argparse.Namespace) -> int:
    from gantools.student import make_student_edition

    written = make_student_edition(args.book_dir, args.out)
    print(f"wrote {len(written)} student notebooks to {args.out}")
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    """Grade every notebook; exit 0 when all ran and none failed, 1 when some exercise failed
    (fail, error, tampered, timeout, died), 2 on bad input (before anything runs)."""
    from pathlib import Path

    from gantools.grading import Limits, exit_status, grade_many, read_weights, write_csv

    if args.csv and not Path(args.csv).resolve().parent.is_dir():
        raise ValueError(f"cannot write {args.csv}: no such directory")
    missing = [n for n in args.notebooks if not Path(n).is_file()]
    if missing:  # a typo on the command line; a file that exists but cannot be graded is an invalid row
        raise ValueError(f"no such notebook: {missing[0]}" + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    weights = read_weights(args.weights) if args.weights else None
    limits = Limits(args.timeout, args.memory_mb, args.file_mb)
    graded = grade_many(args.notebooks, timeout=args.timeout, progress=not args.no_progress, jobs=args.jobs,
                        seed=args.seed, limits=limits, weights=weights)
    if args.csv:
        write_csv(graded, args.csv)
    return exit_status(graded)


def cmd_train(args: argparse.Namespace) -> int:
    from gantools.imagegan import TrainingDiverged, config_for, train

    overrides = {k: getattr(args, k) for k in ("seed", "subset", "augment", "augment_policy", "batch_size", "image_size", "log_every", "sample_every",
                                               "amp", "channels_last", "conditioning", "real_label", "ngf", "ndf")
                 if getattr(args, k) is not None}
    if args.shuffle_labels:
        overrides["shuffle_labels"] = True
    if args.compile:
        overrides["compile"] = True
    cfg = config_for(args.model, args.dataset, steps=args.steps, **overrides)
    try:
        t = train(cfg, args.out, device=args.device, resume=args.resume, ckpt_every=args.ckpt_every,
                  progress=not args.no_progress, eval_every=args.eval_every)
    except TrainingDiverged as e:
        print(f"python -m gantools train: {e}", file=sys.stderr)
        return 1
    finally:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    if t.rank == 0:
        print(f"trained {cfg.model} on {cfg.dataset} to step {t.step} in {t.elapsed:.1f} s; wrote {args.out}")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:

    import numpy as np

    from gantools.imagegan import generate, load_generator, save_grid

    ext = os.path.splitext(args.out)[1].lower()
    if ext not in (".png", ".npy"):
        raise ValueError(f"--out must end in .png (a grid) or .npy (the raw array), got {args.out!r}")
    g, _ = load_generator(args.run_dir)
    images = generate(g, args.n, seed=args.seed, labels=args.label, truncation=args.truncation)
    if ext == ".npy":  # (N, C, H, W) float32 in [-1, 1]
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        np.save(args.out, images.numpy())
    else:
        save_grid(images, args.out, nrow=args.nrow)
    print(f"wrote {args.n} samples to {args.out}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    from gantools.evaluation import yardstick_table
    from gantools.imagegan import evaluate_run

    result = evaluate_run(args.run_dir, n=args.n, seed=args.seed)
    print(json.dumps(result, indent=2) if args.json else yardstick_table(result))
    return 0


_positive, _nonnegative = positive_int, nonnegative_int


def _subset(text: str) -> int:
    """--subset N: 1..60,000 (the size of the largest training split); one line, exit 2 otherwise."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 60_000:
        raise argparse.ArgumentTypeError(f"expected 1..60,000 training images, got {text!r}")
    return n


def _psi(text: str) -> float:
    """--truncation PSI in [0, 1]; one line, exit 2 otherwise."""
    try:
        v = float(text)
    except ValueError:
        v = -1.0
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a truncation psi in [0, 1], got {text!r}")
    return v


def _add_train(sub) -> None:
    from gantools.augment import AUGMENTS, DEFAULT_POLICY
    from gantools.imagedata import DATASETS
    from gantools.imagegan import AMP_MODES, CONDITIONINGS, model_names

    p = sub.add_parser("train", help="train DCGAN or WGAN-GP on images (chapters 8 and 9)")
    p.add_argument("--model", required=True, choices=model_names(), help=" | ".join(model_names()))
    p.add_argument("--conditioning", choices=CONDITIONINGS,
                   help="conditional models (cdcgan): how D sees the label (default projection)")
    p.add_argument("--shuffle-labels", action="store_true",
                   help="conditional models: train on labels permuted across images (a negative control)")
    p.add_argument("--dataset", required=True, choices=DATASETS,
                   help="fashion-mnist (the IDX files on disk, else downloaded once), digits (bundled), "
                        "mnist or cifar10 (downloaded by torchvision)")
    p.add_argument("--steps", required=True, type=_positive, help="generator steps to train to")
    p.add_argument("--out", required=True, help="run directory (checkpoint.pt, metrics.jsonl, samples/)")
    p.add_argument("--ckpt-every", type=_positive, default=500, help="steps between checkpoints (default 500)")
    p.add_argument("--seed", type=_nonnegative, help="seed of weights, noise and data order (default 0)")
    p.add_argument("--subset", type=_subset, metavar="N",
                   help="train on N training images, the same share of every class (1..60,000)")
    p.add_argument("--augment", choices=AUGMENTS,
                   help="what D sees: none (default), diffaug (DiffAugment, always), ada (adaptive probability)")
    p.add_argument("--augment-policy", metavar="OPS", help=f"operations, comma-separated (default {DEFAULT_POLICY}; "
                   "also rot90)")
    p.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when available")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    p.add_argument("--batch-size", type=_positive, help="images per batch (default 64)")
    p.add_argument("--real-label", type=float, metavar="ALPHA",
                   help="one-sided label smoothing: D's target for real images, in (0, 1] (default 1)")
    p.add_argument("--image-size", type=_positive, help="image side in pixels (default 32)")
    p.add_argument("--ngf", type=_positive, help="generator width (default 64; 32 on digits)")
    p.add_argument("--ndf", type=_positive, help="discriminator width (default 64; 32 on digits)")
    p.add_argument("--log-every", type=_positive, help="steps between metrics.jsonl lines (default 10)")
    p.add_argument("--sample-every", type=_positive, help="steps between sample grids (default 100)")
    p.add_argument("--amp", choices=AMP_MODES,
                   help="mixed precision, on a GPU or a CPU: bf16, fp16 (with gradient scaling) or off; "
                        "default auto: bf16/fp16 on a GPU, off on a CPU")
    p.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None,
                   help="channels_last memory format (default: on with CUDA, off on a CPU)")
    p.add_argument("--compile", action="store_true", help="torch.compile the networks (needs a C++ compiler on a CPU)")
    p.add_argument("--eval-every", type=_nonnegative, default=0,
                   help="steps between Frechet-distance evaluations written to eval.jsonl (default 0: none)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("sample", help="write a sample grid of a trained run")
    p.add_argument("run_dir", help="the run directory (from train --out)")
    p.add_argument("--n", type=_positive, default=64, help="number of samples (default 64)")
    p.add_argument("--out", required=True,
                   help="the file to write: .png for a grid, .npy for the raw array (N, C, H, W) in [-1, 1]")
    p.add_argument("--seed", type=_nonnegative, default=0, help="noise seed (default 0)")
    p.add_argument("--nrow", type=_positive, default=8, help="images per row (default 8)")
    p.add_argument("--label", type=_nonnegative,
                   help="conditional runs: the class to generate (default: classes drawn uniformly)")
    p.add_argument("--truncation", type=_psi, metavar="PSI",
                   help="in [0, 1]: BigGAN's truncation of the latent (keep the central PSI of each "
                        "coordinate's mass; 1: none)")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("evaluate", help="print a trained run's metrics beside the real and blurred-real yardsticks")
    p.add_argument("run_dir", help="the run directory (from train --out)")
    p.add_argument("--n", type=_positive, default=800,
                   help="generated images to evaluate (default 800; at most the held-out images)")
    p.add_argument("--seed", type=_nonnegative, default=0, help="noise seed (default 0)")
    p.add_argument("--json", action="store_true", help="print every metric as JSON instead of the table")
    p.set_defaults(func=cmd_evaluate)


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="python -m gantools",
                            description="Tools for the book 'GANs from First Principles'.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    sub.required = True

    p = sub.add_parser("student", help="write the student edition (solutions removed) of the notebooks")
    p.add_argument("book_dir", help="directory with the chapter notebooks, e.g. book")
    p.add_argument("--out", required=True, help="directory to write the student notebooks to")
    p.set_defaults(func=cmd_student)

    p = sub.add_parser("grade", help="run submissions and grade every exercise with the book's checks")
    p.add_argument("notebooks", nargs="+", metavar="NOTEBOOK", help="the submissions (.ipynb), any file names")
    p.add_argument("--csv", help="write one row per submission and exercise, and a total per submission, to this file")
    p.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default 600)")
    p.add_argument("--jobs", type=positive_int, default=1, help="notebooks graded at once (default 1; one per core)")
    p.add_argument("--weights", help="a CSV with the columns exercise,points (default: easy 1, medium 2, hard 3)")
    p.add_argument("--memory-mb", type=positive_int, default=8192, help="address space per process (default 8192)")
    p.add_argument("--file-mb", type=positive_int, default=1024, help="largest file a kernel may write (default 1024)")
    p.add_argument("--seed", type=int, help="draw the cases from this seed (default: fresh for every run)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_grade)
    _add_train(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "timeout", 1) <= 0:
        parser.error("--timeout must be a positive number of seconds")
    try:
        return args.func(args)
    except ValueError as e:
        print(f"{parser.prog} {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
