"""Scoring a translator against the known truth (chapter 13).

On the held-out test images x with their true partners T(x) and classes y:

- ``class_kept``: the share of G(x) that a classifier trained on domain Y reads as y;
- ``pixel_error``: mean |G(x) - T(x)| per pixel (images in [-1, 1]);
- ``cycle_error``: mean |F(G(x)) - x| (unpaired methods);
- ``fd``: the Fréchet distance between the Y classifier's features of G(x) and of T(x).

The Y classifier is the book's :class:`~gantools.classifier.SmallCNN`, trained on T of the
1,300 training digits (both halves, with labels) and never on a translator's output; for
MNIST and Fashion-MNIST on T of the 40,000 training images of both domains, at 32x32.
"""

from __future__ import annotations

import os

import torch

from ..benchkit import DATA_DIR as PACKAGE_DATA
from ..classifier import (
    SmallCNN,
    accuracy,
    features,
    load_classifier_file,
    predict_proba,
    save_classifier,
    train_classifier,
)
from ..metrics import fid_from_features
from .domains import Domains, check_transform, image_size, make_domains
from .trainer import Trained

REFERENCE_DIR = os.path.join(PACKAGE_DATA, "translation")  # chapter 13's committed classifiers and results
CLASSIFIER_STEPS = 1500  # the digits' committed Y classifiers
LARGE_CLASSIFIER_STEPS = 3000  # MNIST / Fashion-MNIST (40,000 images): trained on first use


def classifier_path(transform: str, dest: str = REFERENCE_DIR) -> str:
    return os.path.join(dest, f"classifier_{check_transform(transform)}.pt")


def train_y_classifier(domains: Domains, steps: int = CLASSIFIER_STEPS, seed: int = 0) -> SmallCNN:
    """A SmallCNN on domain Y: T of every training image of both domains (1,300 digits), with
    their labels."""
    x = torch.cat([domains.pairs[1], domains.y_train])
    y = torch.cat([domains.x_labels, domains.y_train_labels])
    return train_classifier(x, y, steps=steps, seed=seed, max_shift=1, n_classes=10)


def y_classifier(transform: str, dest: str = REFERENCE_DIR, dataset: str = "digits") -> SmallCNN:
    """The Y classifier of ``transform``: committed for the digits; for MNIST or Fashion-MNIST
    trained on first use, on the CPU (:data:`LARGE_CLASSIFIER_STEPS` steps, about 50 CPU
    seconds), and cached under :func:`~gantools.imagedata.default_root` in
    ``translation-<dataset>-<size>/``. ``model.info["held_out_accuracy"]`` is its accuracy
    on the true partners T(x_test): the ceiling of ``class_kept``."""
    size, steps = image_size(dataset), CLASSIFIER_STEPS
    if dataset != "digits":
        from ..imagedata import default_root

        dest = os.path.join(default_root(), f"translation-{dataset}-{size}")
        os.makedirs(dest, exist_ok=True)
        steps = LARGE_CLASSIFIER_STEPS
    path = classifier_path(transform, dest)
    if not os.path.exists(path):
        domains = make_domains(transform, dataset)
        model = train_y_classifier(domains, steps=steps)
        save_classifier(model, path, transform=transform, dataset=dataset, image_size=size, steps=steps,
                        held_out_accuracy=accuracy(model, domains.t_test, domains.labels))
    return load_classifier_file(path)


def score_outputs(outputs: torch.Tensor, domains: Domains, clf: SmallCNN, back: torch.Tensor | None = None) -> dict:
    """The scores of translations ``outputs`` = G(x_test) (and ``back`` = F(G(x_test)))."""
    if outputs.shape != domains.t_test.shape:
        raise ValueError(f"outputs must have the test set's shape {tuple(domains.t_test.shape)}, "
                         f"got {tuple(outputs.shape)}")
    pred = torch.as_tensor(predict_proba(clf, outputs).argmax(1))
    kept = (pred == domains.labels).float().mean().item()
    result = {"class_kept": kept, "pixel_error": (outputs - domains.t_test).abs().mean().item(),
              "fd": fid_from_features(features(clf, outputs), features(clf, domains.t_test)), "cycle_error": None}
    if back is not None:
        per_image = (back - domains.x_test).abs().mean(dim=(1, 2, 3))
        result["cycle_error"] = (back - domains.x_test).abs().mean().item()
        result["cycle_consistent_changed"] = float(((per_image < 0.1) & (pred != domains.labels)).float().mean())
    return result


NOISE = 0.02  # the perturbation of G(x) that tests for hidden information (Chu et al. 2017)


def score(trained: Trained, domains: Domains, clf: SmallCNN) -> dict:
    """Translate the test images with ``trained`` and score them; for the unpaired methods
    also the cycle error when G(x) is perturbed by N(0, 0.02^2) noise before F sees it
    (``cycle_error_noisy``): a cycle that survives only on invisible detail breaks."""
    out = trained.translate(domains.x_test)
    result = score_outputs(out, domains, clf, trained.back(out))
    if trained.F is not None:
        noise = NOISE * torch.randn(out.shape, generator=torch.Generator().manual_seed(1))
        result["cycle_error_noisy"] = (trained.back(out + noise) - domains.x_test).abs().mean().item()
    return result
