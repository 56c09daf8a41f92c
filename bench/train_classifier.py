"""Train the committed digits classifier (gantools/data/classifier_digits.pt) and report
its held-out accuracy honestly: the model is trained on a seeded 80% split of the 1,797
digits (32×32) and scored on the other 20%, which it never sees. The checkpoint stores
the split seed and fraction, so tests recompute the same split with
``gantools.classifier.split_indices``. One CPU thread, to make the timing reproducible.

    python bench/train_classifier.py                       # writes gantools/data/classifier_digits.pt
    python bench/train_classifier.py --out /tmp/clf.pt     # anywhere else
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from gantools.classifier import (
    DIGITS_WEIGHTS,
    accuracy,
    load_classifier_file,
    save_classifier,
    split_indices,
    train_classifier,
)
from gantools.imagedata import load_dataset

DEFAULT_OUT = os.path.join(os.path.dirname(__file__), "..", "gantools", "data", DIGITS_WEIGHTS)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="where to write the checkpoint")
    ap.add_argument("--steps", type=int, default=2000, help="Adam steps (batch 64)")
    ap.add_argument("--seed", type=int, default=0, help="training seed")
    ap.add_argument("--split-seed", type=int, default=0, help="seed of the 80/20 split")
    args = ap.parse_args(argv)
    if args.steps < 1:
        ap.error(f"--steps must be positive, got {args.steps}")
    torch.set_num_threads(1)

    x, y = load_dataset("digits", image_size=32)
    test_fraction = 0.2
    tr, te = split_indices(len(x), test_fraction, args.split_seed)
    t = time.perf_counter()
    model = train_classifier(x[tr], y[tr], steps=args.steps, batch_size=64, seed=args.seed, n_classes=10)
    seconds = time.perf_counter() - t

    # score the model as it is stored (float16 weights), not the float32 one in memory
    info = dict(dataset="digits", image_size=32, split_seed=args.split_seed, test_fraction=test_fraction,
                train_seed=args.seed, steps=args.steps, train_seconds=round(seconds, 1))
    save_classifier(model, args.out, **info)
    stored = load_classifier_file(args.out)
    acc_test, acc_train = accuracy(stored, x[te], y[te]), accuracy(stored, x[tr], y[tr])
    save_classifier(model, args.out, **info, held_out_accuracy=acc_test)

    rows = [("train / held-out images", f"{len(tr)} / {len(te)}"),
            ("steps x batch", f"{args.steps} x 64"),
            ("training time (1 CPU thread)", f"{seconds:.1f} s"),
            ("train accuracy", f"{acc_train:.2%}"),
            ("held-out accuracy", f"{acc_test:.2%}"),
            ("checkpoint size", f"{os.path.getsize(args.out) / 1024:.0f} KB")]
    width = max(len(r[0]) for r in rows)
    print(f"SmallCNN on digits 32x32, split seed {args.split_seed}")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    print(f"wrote {os.path.normpath(args.out)}")


if __name__ == "__main__":
    main()
