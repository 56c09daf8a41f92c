"""Evaluate a trained image GAN: what ``python -m gantools evaluate DIR`` prints.

All metrics use the features / predictions of the dataset's small classifier
(:func:`gantools.classifier.load_classifier`; committed for ``digits``, so this works
offline), never the losses:

- ``fd``: Fréchet distance of ``n`` generated images to the data (FID's formula on
  classifier features; *not* comparable with Inception FIDs in papers);
- ``fd_real``: the same statistic between two disjoint halves of the real data of
  the same size — the floor that finite samples put under ``fd`` (Chong & Forsyth 2020);
- ``precision`` / ``recall``: Kynkäänniemi et al. (2019), k = 3, on the same features;
- ``inception_score``: exp E KL(p(y|x) || p(y)) with the classifier's p(y|x) (max = 10);
- ``classes_captured`` / ``class_kl``: the predicted-class histogram and its KL to uniform.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from .classifier import features, load_classifier, predict_proba
from .imagedata import load_dataset
from .imagegan import generate, load_generator
from .metrics import class_coverage, fid_from_features, inception_score, precision_recall


def evaluate_images(fake: torch.Tensor, dataset: str = "digits", image_size: int = 32, seed: int = 0) -> dict:
    """The metrics above for generated ``fake`` images ``(n, C, H, W)`` in [-1, 1]."""
    real, _ = load_dataset(dataset, image_size)
    clf = load_classifier(dataset)
    n = len(fake)
    perm = torch.randperm(len(real), generator=torch.Generator().manual_seed(seed))
    if 2 * n > len(real):
        raise ValueError(f"n = {n} is too large: the real-vs-real floor needs 2n <= {len(real)} real images")
    a, b = real[perm[:n]], real[perm[n:2 * n]]
    f_fake, f_a, f_b = features(clf, fake), features(clf, a), features(clf, b)
    probs = predict_proba(clf, fake)
    cov = class_coverage(probs, clf.n_classes)
    precision, recall = precision_recall(f_a, f_fake, k=3)
    return {
        "n": n,
        "fd": fid_from_features(f_fake, f_a),
        "fd_real": fid_from_features(f_b, f_a),
        "precision": precision,
        "recall": recall,
        "inception_score": inception_score(probs)[0],
        "inception_score_real": inception_score(predict_proba(clf, a))[0],
        "classes_captured": int(cov.classes_captured),
        "class_kl": float(cov.kl_to_uniform),
        "class_counts": [int(c) for c in np.asarray(cov.counts)],
    }


def evaluate_run(run_dir: str, n: int = 800, seed: int = 0) -> dict:
    """Load the run's (EMA) generator, draw ``n`` images from ``seed`` and evaluate them."""
    if not os.path.isdir(run_dir):
        raise ValueError(f"no run directory {run_dir}")
    g, cfg = load_generator(run_dir)
    result = {"run": run_dir, "model": cfg.model, "dataset": cfg.dataset, "steps": cfg.steps}
    metrics = evaluate_images(generate(g, n, seed=seed), cfg.dataset, cfg.image_size, seed)
    result.update({k: round(v, 5) if isinstance(v, float) else v for k, v in metrics.items()})
    return result
