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
from .imagegan.sampling import generate, load_generator
from .metrics import class_coverage, fid_from_features, inception_score, precision_recall


class ImageScorer:
    """The dataset's classifier and the features of its real images, computed once.

    The one path behind both the trainer's evaluations over training (``eval.jsonl``) and
    :func:`evaluate_images`: the real features are cached (up to ``max_real`` images, the
    first ones), so scoring a batch of generated images costs only their own features.
    """

    def __init__(self, dataset: str = "digits", image_size: int = 32, real: torch.Tensor | None = None,
                 device: str = "cpu", max_real: int = 10_000):
        self.clf = load_classifier(dataset, device=device)
        if real is None:
            real, _ = load_dataset(dataset, image_size)
        self.real = real[:max_real]
        self._real_features: np.ndarray | None = None

    @property
    def real_features(self) -> np.ndarray:
        """Classifier features ``(n_real, 128)`` of the real images (computed on first use)."""
        if self._real_features is None:
            self._real_features = features(self.clf, self.real.float())
        return self._real_features

    def quality(self, fake: torch.Tensor, real_index: np.ndarray | None = None) -> dict:
        """``fd`` to the real images (all cached ones, or those in ``real_index``),
        ``classes_captured``, ``class_kl`` and ``class_counts`` of ``fake`` ``(n, C, H, W)``;
        also the raw ``features`` and ``probs`` of ``fake`` for further metrics."""
        f_fake, probs = features(self.clf, fake), predict_proba(self.clf, fake)
        real = self.real_features if real_index is None else self.real_features[real_index]
        cov = class_coverage(probs, self.clf.n_classes)
        return {"fd": fid_from_features(f_fake, real), "classes_captured": int(cov.classes_captured),
                "class_kl": float(cov.kl_to_uniform), "class_counts": [int(c) for c in np.asarray(cov.counts)],
                "features": f_fake, "probs": probs}


def evaluate_images(fake: torch.Tensor, dataset: str = "digits", image_size: int = 32, seed: int = 0,
                    scorer: ImageScorer | None = None) -> dict:
    """The metrics above for generated ``fake`` images ``(n, C, H, W)`` in [-1, 1]: against
    ``n`` real images drawn with ``seed``, and the floor between two such draws."""
    scorer = scorer or ImageScorer(dataset, image_size)
    n, n_real = len(fake), len(scorer.real)
    if 2 * n > n_real:
        raise ValueError(f"n = {n} is too large: the real-vs-real floor needs 2n <= {n_real} real images")
    perm = torch.randperm(n_real, generator=torch.Generator().manual_seed(seed)).numpy()
    a, b = perm[:n], perm[n:2 * n]
    q = scorer.quality(fake, real_index=a)
    f_a, f_b = scorer.real_features[a], scorer.real_features[b]
    precision, recall = precision_recall(f_a, q["features"], k=3)
    return {
        "n": n,
        "fd": q["fd"],
        "fd_real": fid_from_features(f_b, f_a),
        "precision": precision,
        "recall": recall,
        "inception_score": inception_score(q["probs"])[0],
        "inception_score_real": inception_score(predict_proba(scorer.clf, scorer.real[a]))[0],
        "classes_captured": q["classes_captured"],
        "class_kl": q["class_kl"],
        "class_counts": q["class_counts"],
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
