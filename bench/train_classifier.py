"""Train a committed feature classifier (gantools/data/classifier_<dataset>.pt) and report
its held-out accuracy honestly, one CPU thread (a reproducible timing).

- digits: trained on a seeded 80% split of the 1,797 digits (32×32) and scored on the other
  20%, which it never sees. The checkpoint stores the split seed and fraction, so tests
  recompute the same split with ``gantools.classifier.split_indices``.
- fashion-mnist: trained on the 60,000 training images (padded to 32×32) and scored on the
  10,000 test images; the checkpoint also stores each class's test accuracy, the yardstick
  of a conditional generator's per-class accuracy.

    python bench/train_classifier.py                              # digits
    python bench/train_classifier.py --dataset fashion-mnist      # 60,000 images, 10,000 steps
    python bench/train_classifier.py --out /tmp/clf.pt            # anywhere else
"""

from __future__ import annotations

import os
import time

import numpy as np
import torch

from gantools.checks import OneLineParser
from gantools.classifier import (
    accuracy,
    committed_weights,
    load_classifier_file,
    predict_proba,
    save_classifier,
    split_indices,
    train_classifier,
)
from gantools.imagedata import load_dataset

STEPS = {"digits": (2000, 64), "fashion-mnist": (10000, 128)}  # (steps, batch) of the committed weights


def main(argv=None) -> None:
    ap = OneLineParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="digits", choices=sorted(STEPS), help="which classifier")
    ap.add_argument("--out", default=None, help="where to write the checkpoint (default: the committed one)")
    ap.add_argument("--steps", type=int, default=None, help="Adam steps (default: those of the committed weights)")
    ap.add_argument("--seed", type=int, default=0, help="training seed")
    ap.add_argument("--split-seed", type=int, default=0, help="seed of the 80/20 split (digits)")
    args = ap.parse_args(argv)
    steps, batch = STEPS[args.dataset]
    steps = steps if args.steps is None else args.steps
    if steps < 1:
        ap.error(f"--steps must be positive, got {steps}")
    out = args.out or os.path.join(os.path.dirname(__file__), "..", "gantools", "data",
                                   committed_weights(args.dataset))
    torch.set_num_threads(1)

    if args.dataset == "digits":
        x, y = load_dataset("digits", image_size=32)
        test_fraction = 0.2
        tr, te = split_indices(len(x), test_fraction, args.split_seed)
        (x_tr, y_tr), (x_te, y_te) = (x[tr], y[tr]), (x[te], y[te])
        split = dict(split_seed=args.split_seed, test_fraction=test_fraction)
    else:
        (x_tr, y_tr), (x_te, y_te) = load_dataset(args.dataset, 32), load_dataset(args.dataset, 32, train=False)
        split = dict(split="train/test")
    t = time.perf_counter()
    model = train_classifier(x_tr, y_tr, steps=steps, batch_size=batch, seed=args.seed, n_classes=10)
    seconds = time.perf_counter() - t

    # score the model as it is stored (float16 weights), not the float32 one in memory
    info = dict(dataset=args.dataset, image_size=32, **split, train_seed=args.seed, steps=steps,
                batch_size=batch, train_seconds=round(seconds, 1))
    save_classifier(model, out, **info)
    stored = load_classifier_file(out)
    acc_test, acc_train = accuracy(stored, x_te, y_te), accuracy(stored, x_tr, y_tr)
    pred = predict_proba(stored, x_te).argmax(1)
    per_class = [float(np.mean(pred[y_te.numpy() == k] == k)) for k in range(10)]
    save_classifier(model, out, **info, held_out_accuracy=acc_test, class_accuracy=per_class)

    rows = [("train / held-out images", f"{len(x_tr)} / {len(x_te)}"),
            ("steps x batch", f"{steps} x {batch}"),
            ("training time (1 CPU thread)", f"{seconds:.1f} s"),
            ("train accuracy", f"{acc_train:.2%}"),
            ("held-out accuracy", f"{acc_test:.2%}"),
            ("held-out accuracy by class", " ".join(f"{a:.0%}" for a in per_class)),
            ("checkpoint size", f"{os.path.getsize(out) / 1024:.0f} KB")]
    width = max(len(r[0]) for r in rows)
    print(f"SmallCNN on {args.dataset} 32x32")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    print(f"wrote {os.path.normpath(out)}")


if __name__ == "__main__":
    main()
