"""Score generated images: the metrics that ``python -m gantools evaluate DIR`` prints.

This module scores images and knows nothing of runs: :func:`gantools.imagegan.evaluate_run` loads a
run's generator, draws its images and passes them to :func:`evaluate_images`.

All metrics use the features / predictions of the dataset's small classifier
(:func:`gantools.classifier.load_classifier`; committed for ``digits``, so this works
offline), never the losses:

- ``fd``: Fréchet distance of ``n`` generated images to the data (FID's formula on
  classifier features; *not* comparable with Inception FIDs in papers);
- ``kid``: the kernel (MMD²) distance of :mod:`gantools.evaluation.kid` on the same features, with
  its jackknife standard error ``kid_se``; unbiased, so ~0 for two samples of one law;
- two yardsticks in the same features and with the same ``n``, each measured against the
  same ``n`` real training images as the generated ones:
  ``fd_real`` / ``kid_real``: ``n`` *held-out* real images (the test split; for digits, a
  disjoint part of the data) — the floor that finite samples put under ``fd``
  (Chong & Forsyth 2020);
  ``fd_blur`` / ``kid_blur``: those same held-out images blurred by a Gaussian of
  σ = 1 pixel (:func:`gaussian_blur`) — a generator that beats this makes images closer to
  the data than slightly blurred real ones, a bar anyone can recompute;
- ``precision`` / ``recall``: Kynkäänniemi et al. (2019), k = 3, on the same features
  (also for both yardsticks: ``precision_real``, ``recall_blur``, ...);
- ``inception_score``: exp E KL(p(y|x) || p(y)) with the classifier's p(y|x) (max = 10);
- ``classes_captured`` / ``class_kl`` / ``class_tv``: the predicted-class histogram
  (``class_counts``), its KL and its total variation to uniform.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..classifier import features, load_classifier, predict_proba
from ..imagedata import load_dataset
from ..metrics import class_coverage, fid_from_features, inception_score, precision_recall
from .kid import kernel_distance

BLUR_SIGMA = 1.0  # pixels: the blurred-real yardstick


def gaussian_blur(images: torch.Tensor, sigma: float = BLUR_SIGMA) -> torch.Tensor:
    """``(N, C, H, W)`` images blurred by an isotropic Gaussian of standard deviation
    ``sigma`` pixels: a separable kernel truncated at 3σ and normalised to sum 1, borders
    replicated (as ``scipy.ndimage.gaussian_filter(mode="nearest", truncate=3)``)."""
    if not (isinstance(sigma, (int, float)) and sigma > 0):
        raise ValueError(f"sigma must be a positive number of pixels, got {sigma!r}")
    x = torch.as_tensor(images).float()
    if x.ndim != 4:
        raise ValueError(f"images must have shape (N, C, H, W), got {tuple(x.shape)}")
    r = int(3 * sigma + 0.5)
    t = torch.arange(-r, r + 1, dtype=torch.float64)
    k = torch.exp(-t ** 2 / (2 * sigma ** 2))
    k = (k / k.sum()).float()
    c = x.shape[1]
    x = F.pad(x, (r, r, r, r), mode="replicate")
    x = F.conv2d(x, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)  # along rows
    return F.conv2d(x, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)  # along columns


class ImageScorer:
    """The dataset's classifier and the features of its real images, computed once.

    The one path behind both the trainer's evaluations over training (``eval.jsonl``) and
    :func:`evaluate_images`: the real features are cached (up to ``max_real`` images, the
    first ones), so scoring a batch of generated images costs only their own features.
    """

    def __init__(self, dataset: str = "digits", image_size: int = 32, real: torch.Tensor | None = None,
                 device: str = "cpu", max_real: int = 10_000):
        self.clf = load_classifier(dataset, device=device)
        self.dataset, self.image_size = dataset, image_size
        if real is None:
            real, _ = load_dataset(dataset, image_size)
        self.real = real[:max_real]
        self._real_features: np.ndarray | None = None
        self._held_out: torch.Tensor | None = None

    @property
    def held_out(self) -> torch.Tensor | None:
        """The dataset's test images (never trained on), or ``None`` for ``digits``."""
        if self._held_out is None and self.dataset != "digits":
            self._held_out, _ = load_dataset(self.dataset, self.image_size, train=False)
        return self._held_out

    @property
    def real_features(self) -> np.ndarray:
        """Classifier features ``(n_real, 128)`` of the real images (computed on first use)."""
        if self._real_features is None:
            self._real_features = features(self.clf, self.real.float())
        return self._real_features

    def quality(self, fake: torch.Tensor, real_index: np.ndarray | None = None) -> dict:
        """``fd`` to the real images (all cached ones, or those in ``real_index``),
        ``classes_captured``, ``class_kl``, ``class_tv`` and ``class_counts`` of ``fake`` ``(n, C, H, W)``;
        also the raw ``features`` and ``probs`` of ``fake`` for further metrics."""
        f_fake, probs = features(self.clf, fake), predict_proba(self.clf, fake)
        real = self.real_features if real_index is None else self.real_features[real_index]
        cov = class_coverage(probs, self.clf.n_classes)
        return {"fd": fid_from_features(f_fake, real), "classes_captured": int(cov.classes_captured),
                "class_kl": float(cov.kl_to_uniform), "class_tv": float(cov.tv_to_uniform), "class_counts": [int(c) for c in np.asarray(cov.counts)],
                "features": f_fake, "probs": probs}


def _versus(f_real: np.ndarray, f: np.ndarray, key: str) -> dict:
    kid = kernel_distance(f_real, f)
    precision, recall = precision_recall(f_real, f, k=3)
    return {f"fd{key}": fid_from_features(f, f_real), f"kid{key}": kid.value, f"kid{key}_se": kid.se,
            f"precision{key}": precision, f"recall{key}": recall}


def evaluate_images(fake: torch.Tensor, dataset: str = "digits", image_size: int = 32, seed: int = 0,
                    scorer: ImageScorer | None = None) -> dict:
    """The metrics above for generated ``fake`` images ``(n, C, H, W)`` in [-1, 1]: against
    ``n`` real training images drawn with ``seed``, next to the two yardsticks (``n``
    held-out real images, plain and blurred, drawn with the same seed)."""
    scorer = scorer or ImageScorer(dataset, image_size)
    n, n_real = len(fake), len(scorer.real)
    perm = torch.randperm(n_real, generator=torch.Generator().manual_seed(seed)).numpy()
    held = scorer.held_out
    if held is None:  # no test split: a disjoint part of the data
        if 2 * n > n_real:
            raise ValueError(f"n = {n} is too large: the real-vs-real floor needs 2n <= {n_real} real images")
        held = scorer.real[perm[n:2 * n]]
    else:
        if n > min(n_real, len(held)):
            raise ValueError(f"n = {n} is too large: at most {min(n_real, len(held))} (the real and held-out images)")
        held = held[torch.randperm(len(held), generator=torch.Generator().manual_seed(seed + 1))[:n]]
    a = perm[:n]
    q = scorer.quality(fake, real_index=a)
    f_a = scorer.real_features[a]
    f_held, f_blur = features(scorer.clf, held), features(scorer.clf, gaussian_blur(held).clamp(-1, 1))
    out = {"n": n, **_versus(f_a, q["features"], ""), **_versus(f_a, f_held, "_real"),
           **_versus(f_a, f_blur, "_blur")}
    out.update({
        "inception_score": inception_score(q["probs"])[0],
        "inception_score_real": inception_score(predict_proba(scorer.clf, held))[0],
        "classes_captured": q["classes_captured"],
        "class_kl": q["class_kl"],
        "class_tv": q["class_tv"],
        "class_counts": q["class_counts"],
    })
    return out


def yardstick_table(result: dict) -> str:
    """What ``python -m gantools evaluate`` prints: the run's FD, KID and precision/recall
    beside the two yardsticks, then the judged class histogram."""
    n = result["n"]
    head = (f"{result['run']}: {result['model']} on {result['dataset']}, {result['steps']} steps; "
            f"each row is {n} images against the same {n} real training images")
    rows = [("generated", ""), ("real, held out (floor)", "_real"), ("real, blurred sigma=1", "_blur")]
    lines = [head, f"{'':24}{'FD':>9}{'KID ± se':>20}{'precision':>11}{'recall':>8}"]
    for name, key in rows:
        kid = f"{result['kid' + key]:.3g} ± {result['kid' + key + '_se']:.2g}"
        lines.append(f"{name:24}{result['fd' + key]:9.2f}{kid:>20}{result['precision' + key]:11.3f}"
                     f"{result['recall' + key]:8.3f}")
    lines.append(f"judged classes: {result['classes_captured']}/{len(result['class_counts'])} present, "
                 f"total variation to uniform {result['class_tv']:.3f}, counts {result['class_counts']}")
    return "\n".join(lines)
