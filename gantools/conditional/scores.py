"""Does a conditional image generator make the class it is asked for? (chapter 11)

An independent classifier (:mod:`gantools.classifier`, never seen by the GAN's
discriminator) judges generated images:

- :func:`evaluate_conditional`: per-class accuracy and the confusion matrix of G(z, y), the
  Fréchet distance to the data, and *within each class* the Fréchet distance, precision and
  recall (Kynkäänniemi et al. 2019) in classifier features, each next to its real-vs-real
  floor at the same sample size;
- :func:`heldout_class_accuracy`: the classifier's accuracy on real digits it never saw,
  per class, the ceiling the generator is measured against;
- :func:`interpolate_classes`: images along the segment between two class embeddings, z fixed;
- :func:`style_statistics` and :func:`z_share`: what z keeps when y changes, as the share of
  a style statistic's within-class variance that z explains.
"""

from __future__ import annotations

import numpy as np
import torch

from ..classifier import features, predict_proba, split_indices
from ..imagedata import load_dataset
from ..imagegan.sampling import generate
from ..metrics import fid_from_features, precision_recall


def confusion_matrix(predicted, asked, n_classes: int) -> np.ndarray:
    """Counts (K, K): row = the class asked for, column = the class predicted."""
    predicted, asked = np.asarray(predicted), np.asarray(asked)
    if predicted.shape != asked.shape or predicted.ndim != 1:
        raise ValueError(f"predicted and asked must be label arrays of one shape, got {predicted.shape} and {asked.shape}")
    for name, a in (("predicted", predicted), ("asked", asked)):
        if a.size and (a.min() < 0 or a.max() >= n_classes):
            raise ValueError(f"{name} labels must lie in 0..{n_classes - 1}, got {a.min()}..{a.max()}")
    return np.bincount(asked * n_classes + predicted, minlength=n_classes**2).reshape(n_classes, n_classes)


def heldout_class_accuracy(clf, image_size: int = 32) -> tuple[float, np.ndarray]:
    """(accuracy, per-class accuracy (K,)) of a committed classifier on images it never saw:
    for digits its held-out split (the seeded 20% of ``bench/train_classifier.py``, stored
    in ``clf.info``), for Fashion-MNIST the 10,000 test images."""
    info = getattr(clf, "info", {})
    if info.get("dataset") == "digits" and "split_seed" in info:
        x, y = load_dataset("digits", image_size)
        _, test = split_indices(len(x), info["test_fraction"], info["split_seed"])
        x, y = x[test], y[test]
    elif info.get("dataset") == "fashion-mnist":
        x, y = load_dataset("fashion-mnist", image_size, train=False)
    else:
        raise ValueError("heldout_class_accuracy needs a committed classifier (digits or fashion-mnist)")
    pred = predict_proba(clf, x).argmax(1)
    yt = y.numpy()
    per_class = np.array([np.mean(pred[yt == k] == k) for k in range(clf.n_classes)])
    return float(np.mean(pred == yt)), per_class


def evaluate_conditional(g, clf, real: torch.Tensor, real_labels, n_per_class: int = 200, seed: int = 0,
                         k: int = 3) -> dict:
    """Judge a conditional generator ``g`` (``g(z, y)``, with ``g.n_classes``) by ``clf``.

    Accuracy: ``n_per_class`` images of every class (noise from ``seed + class``). Within
    each class c, the real images of c are split in two halves A and B (seeded); the
    first |A| generated images of c are compared with A (Fréchet distance; precision and
    recall with ``k`` neighbours), and B with A gives the floor at the same size. The
    overall ``fd`` pools the classes (all generated vs all A; floor all B vs all A).

    Returns a dict of floats and per-class lists (``*_floor`` for the real-vs-real values).
    """
    n_classes = int(getattr(g, "n_classes", 0))
    if not n_classes:
        raise ValueError("evaluate_conditional needs a conditional generator (one with n_classes)")
    if not (isinstance(n_per_class, int) and n_per_class > k):
        raise ValueError(f"n_per_class must be an integer > k = {k}, got {n_per_class!r}")
    real_labels = np.asarray(real_labels)
    f_real = features(clf, real)
    rng = np.random.default_rng(seed)
    out = {key: [] for key in ("class_accuracy", "class_fd", "class_fd_floor", "class_precision", "class_recall",
                               "class_precision_floor", "class_recall_floor")}
    asked, predicted, fake_a, real_a, real_b = [], [], [], [], []
    for c in range(n_classes):
        idx = rng.permutation(np.flatnonzero(real_labels == c))
        a, b = idx[: len(idx) // 2], idx[len(idx) // 2:]
        if len(a) <= k or len(b) <= k:
            raise ValueError(f"class {c} has {len(idx)} real images: too few for halves of more than k = {k}")
        images = generate(g, max(n_per_class, len(a)), seed=seed + c, labels=c)
        probs = predict_proba(clf, images)
        f_fake = features(clf, images[: len(a)])
        asked.append(np.full(n_per_class, c))
        predicted.append(probs[:n_per_class].argmax(1))
        out["class_accuracy"].append(float(np.mean(predicted[-1] == c)))
        out["class_fd"].append(fid_from_features(f_real[a], f_fake))
        out["class_fd_floor"].append(fid_from_features(f_real[a], f_real[b]))
        for key, pr in (("", precision_recall(f_real[a], f_fake, k=k)),
                        ("_floor", precision_recall(f_real[a], f_real[b], k=k))):
            out[f"class_precision{key}"].append(pr[0])
            out[f"class_recall{key}"].append(pr[1])
        fake_a.append(f_fake)
        real_a.append(f_real[a])
        real_b.append(f_real[b])
    asked, predicted = np.concatenate(asked), np.concatenate(predicted)
    out["confusion"] = confusion_matrix(predicted, asked, n_classes).tolist()
    out["accuracy"] = float(np.mean(predicted == asked))
    out["fd"] = fid_from_features(np.concatenate(real_a), np.concatenate(fake_a))
    out["fd_floor"] = fid_from_features(np.concatenate(real_a), np.concatenate(real_b))
    for key in ("recall", "precision"):
        out[key] = float(np.mean(out[f"class_{key}"]))
        out[f"{key}_floor"] = float(np.mean(out[f"class_{key}_floor"]))
    out["n_per_class"] = n_per_class
    return out


@torch.no_grad()
def interpolate_classes(g, z: torch.Tensor, a: int, b: int, steps: int = 8) -> torch.Tensor:
    """Images ``(steps, C, H, W)`` of G(z, e) for the embeddings e = (1 - t) e(a) + t e(b),
    t = 0 .. 1: one z (shape (nz,)) walked from class a to class b."""
    k = int(getattr(g, "n_classes", 0))
    if not hasattr(g, "embed") or not k:
        raise ValueError("interpolate_classes needs a ConditionalGenerator (an embedding of the labels)")
    for name, c in (("a", a), ("b", b)):
        if not (isinstance(c, int) and 0 <= c < k):
            raise ValueError(f"{name} must be a class 0..{k - 1}, got {c!r}")
    if not (isinstance(steps, int) and steps >= 2):
        raise ValueError(f"steps must be an integer >= 2, got {steps!r}")
    dev = next(g.parameters()).device
    t = torch.linspace(0, 1, steps, device=dev)[:, None]
    e = g.embed(torch.tensor([a, b], device=dev))  # (2, embed)
    emb = (1 - t) * e[0] + t * e[1]  # (steps, embed)
    zs = z.reshape(1, -1).to(dev).expand(steps, -1)
    return g.body(torch.cat([zs, emb], dim=1)).float().cpu()  # (steps, C, H, W)


def style_statistics(images: torch.Tensor) -> dict[str, np.ndarray]:
    """Per-image style of ``(N, 1, H, W)`` images in [-1, 1]: ``ink`` (mean intensity in
    [0, 1], stroke thickness) and ``slant`` (the intensity-weighted covariance of column and
    row over the row variance: how far the strokes lean, in pixels per pixel)."""
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"images must be (N, 1, H, W), got {tuple(images.shape)}")
    w = ((images[:, 0].double() + 1) / 2).clamp(0, 1)  # (N, H, W) ink
    h, wd = w.shape[1:]
    rows = torch.arange(h, dtype=torch.float64)[:, None].expand(h, wd)
    cols = torch.arange(wd, dtype=torch.float64)[None, :].expand(h, wd)
    mass = w.sum((1, 2)).clamp_min(1e-9)
    mr, mc = (w * rows).sum((1, 2)) / mass, (w * cols).sum((1, 2)) / mass
    var_r = (w * (rows - mr[:, None, None]) ** 2).sum((1, 2)) / mass
    cov = (w * (rows - mr[:, None, None]) * (cols - mc[:, None, None])).sum((1, 2)) / mass
    return {"ink": w.mean((1, 2)).numpy(), "slant": (-cov / var_r.clamp_min(1e-9)).numpy()}


def z_share(stat) -> float:
    """The share of a statistic's within-class variance that z explains, for ``stat`` (N, K):
    N noise vectors z, each rendered as all K classes. With the class means removed, it is
    SS(z) / SS(within) of the two-way analysis of variance, SS(z) = K sum_i (row mean_i)^2:
    1 when z shifts the statistic by the same amount in every class, and about 1/K (chance:
    (N - 1)/(N K - K)) when what z does in one class says nothing about another."""
    s = np.asarray(stat, dtype=float)
    if s.ndim != 2 or s.shape[0] < 2 or s.shape[1] < 2:
        raise ValueError(f"stat must be (N >= 2 noise vectors, K >= 2 classes), got shape {s.shape}")
    if not np.all(np.isfinite(s)):
        raise ValueError("stat contains NaN or infinite values")
    centred = s - s.mean(0, keepdims=True)  # remove the class means b_c
    ss_z = s.shape[1] * np.sum(centred.mean(1) ** 2)  # K * sum_i a_i^2
    ss_within = np.sum(centred**2)
    return float(ss_z / ss_within) if ss_within > 0 else float("nan")
