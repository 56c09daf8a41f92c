"""The book's Fashion-MNIST reference runs (chapters 8–11): trained, then measured against
yardsticks anyone can recompute.

Each run is written by the command chapter 8 documents, ``python -m gantools train``, one CPU
thread per run (``--jobs`` runs at a time). Each is then measured with ``n`` = 1,000 images
in the features of the book's Fashion-MNIST classifier: FD, KID and precision/recall of its
samples against 1,000 real training images, next to the same statistics of 1,000 real
*test* images (the floor) and of those test images blurred by a Gaussian of σ = 1 pixel;
the judged class histogram and its total variation to uniform; for the conditional run,
each class's accuracy by the classifier next to the classifier's accuracy on real test
images of that class (200 images a class).

    python bench/reference_runs.py --out book/runs --reference   # train all three, store the table
    python bench/reference_runs.py --out book/runs --measure-only --reference   # measure existing runs
    python bench/reference_runs.py --out /tmp/ref --quick        # 20 steps each: a smoke run

Writes OUT/<run>/ (the runs) and OUT/reference_runs.json; with ``--reference`` also
gantools/data/reference_runs.json (what the chapters show).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from gantools import benchkit

# name -> the arguments of `python -m gantools train` after --out (the full runs).
RUNS = {
    "wgan-gp-fashion": ["--model", "wgan-gp", "--dataset", "fashion-mnist", "--steps", "3000", "--ngf", "32",
                        "--ndf", "32", "--sample-every", "250", "--ckpt-every", "250", "--eval-every", "250"],
    "dcgan-fashion": ["--model", "dcgan", "--dataset", "fashion-mnist", "--steps", "6000", "--ngf", "48",
                      "--ndf", "48", "--sample-every", "500", "--ckpt-every", "500", "--eval-every", "500"],
    "cdcgan-fashion": ["--model", "cdcgan", "--conditioning", "projection", "--dataset", "fashion-mnist",
                       "--steps", "6000", "--ngf", "48", "--ndf", "48", "--sample-every", "500",
                       "--ckpt-every", "500", "--eval-every", "500"],
}
REFERENCE = "reference_runs"  # gantools/data/reference_runs.json
N_EVAL, N_PER_CLASS = 1000, 200


def train_args(name: str, quick: bool) -> list[str]:
    args = list(RUNS[name])
    if quick:
        i = args.index("--steps")
        args[i + 1] = "20"
        args = [a if not prev.endswith("-every") else "10" for prev, a in zip([""] + args[:-1], args, strict=True)]
    return ["--out", name, *args, "--no-progress"]


def train_all(out: str, names: list[str], jobs: int, quick: bool) -> None:
    """Run the training commands, ``jobs`` at a time, each on one thread; stop on a failure."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    pending, running = list(names), []
    while pending or running:
        while pending and len(running) < jobs:
            name = pending.pop(0)
            log = open(os.path.join(out, f".{name}.log"), "w")  # hidden: not part of the run
            cmd = [sys.executable, "-m", "gantools", "train", *train_args(name, quick)]
            running.append((name, subprocess.Popen(cmd, cwd=out, env=env, stdout=log, stderr=subprocess.STDOUT)))
            print(f"started {name}: python -m gantools train {' '.join(cmd[4:])}", flush=True)
        time.sleep(2)
        for name, proc in list(running):
            if proc.poll() is not None:
                running.remove((name, proc))
                if proc.returncode:
                    sys.exit(f"{name} failed (exit {proc.returncode}); see {os.path.join(out, '.' + name + '.log')}")
                ckpt = os.path.join(out, name, "checkpoint.pt")
                if os.path.exists(ckpt):  # the book commits the small generator.pt, not the 15 MB checkpoint
                    os.remove(ckpt)
                print(f"finished {name}", flush=True)


def measure(path: str) -> dict:
    """The yardstick table's row of one run (and the class accuracies of a conditional one)."""
    from gantools.classifier import load_classifier
    from gantools.conditional.scores import evaluate_conditional, heldout_class_accuracy
    from gantools.imagedata import load_dataset
    from gantools.imagegan import evaluate_run
    from gantools.imagegan.sampling import load_generator
    from gantools.runs import load_run

    run = load_run(path)
    row = {"steps": int(run.info["steps"]), "cpu_time_s": run.info["cpu_time_s"],
           "wall_time_s": run.info["wall_time_s"], "ngf": run.config["ngf"], "ndf": run.config["ndf"],
           "hardware": run.info["hardware"]}
    ev = evaluate_run(path, n=N_EVAL, seed=0)
    row.update({k: v for k, v in ev.items() if k not in ("run", "model", "dataset", "steps")})
    g, cfg = load_generator(path)
    if getattr(g, "n_classes", 0):
        clf = load_classifier(cfg.dataset)
        real_acc, real_class = heldout_class_accuracy(clf, cfg.image_size)
        x_test, y_test = load_dataset(cfg.dataset, cfg.image_size, train=False)
        cond = evaluate_conditional(g, clf, x_test, y_test, n_per_class=N_PER_CLASS, seed=0)
        row.update({"accuracy": cond["accuracy"], "class_accuracy": cond["class_accuracy"],
                    "real_accuracy": real_acc, "real_class_accuracy": real_class.tolist(),
                    "confusion": cond["confusion"]})
    return row


def table(results: dict) -> str:
    lines = [f"{'run':16}{'steps':>6}{'CPU min':>8}{'FD':>8}{'floor':>7}{'blur':>7}{'KID':>9}"
             f"{'floor':>9}{'blur':>9}{'prec':>6}{'rec':>6}{'TV':>6}"]
    for name, r in results.items():
        lines.append(f"{name:16}{r['steps']:6d}{r['cpu_time_s'] / 60:8.1f}{r['fd']:8.2f}{r['fd_real']:7.2f}"
                     f"{r['fd_blur']:7.2f}{r['kid']:9.3g}{r['kid_real']:9.3g}{r['kid_blur']:9.3g}"
                     f"{r['precision']:6.2f}{r['recall']:6.2f}{r['class_tv']:6.3f}")
        if "class_accuracy" in r:
            lines.append(f"  accuracy on its samples {r['accuracy']:.3f} vs on real test images {r['real_accuracy']:.3f}; "
                         "by class (samples/real): " + " ".join(
                             f"{a:.2f}/{b:.2f}" for a, b in zip(r["class_accuracy"], r["real_class_accuracy"], strict=True)))
    return "\n".join(lines)


def main(argv=None) -> None:
    p = benchkit.parser("bench/reference_runs.py", __doc__, out="folder of the runs (book/runs for the book's)",
                        quick="20 steps a run: a smoke run", chapter=8, partial=("--only",))
    p.add_argument("--only", choices=sorted(RUNS), help="one run only")
    p.add_argument("--measure-only", action="store_true", help="measure runs already in --out, train nothing")
    args = p.parse_args(argv)
    names = [args.only] if args.only else list(RUNS)
    os.makedirs(args.out, exist_ok=True)
    if not args.measure_only:
        train_all(args.out, names, args.jobs, args.quick)
    results = {name: measure(os.path.join(args.out, name)) for name in names}
    print(table(results))
    for dest in [args.out] + ([benchkit.DATA_DIR] if args.reference else []):
        benchkit.write_reference(REFERENCE, results, dest=dest)
        print(f"wrote {os.path.normpath(os.path.join(dest, REFERENCE + '.json'))}")


if __name__ == "__main__":
    main()
