"""Does a generator copy its training set? Nearest-neighbour distances against a held-out baseline.

A generator that reproduces its training images scores as well as the data on sample-quality
metrics: the Fréchet distance, the Inception Score and precision/recall all compare the
generated *distribution* with the data, and a copy of the training set has the data's
distribution. The check here compares distances instead (the test of Webster et al. 2019 and
Meehan et al. 2020, in its simplest form):

- for every generated sample, the distance to its nearest neighbour in the training set;
- for every held-out real sample (never trained on), the same distance.

A generator that has learned the distribution, not the samples, produces images that are as
far from the training set as new real images are. A copier produces images much closer. The
summary statistic is the fraction of generated samples closer to the training set than the
``quantile`` (5%) of the held-out distances: about ``quantile`` for a generator that does not
copy (less for one whose samples are worse than the data), and near 1 for one that copies.

Without a held-out set (a generator trained on all the data), the leave-one-out distance of
each training sample to the *other* training samples plays its role: it is distributed as
the distance of a new sample to a training set one smaller.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import finite_array
from ..metrics import squared_distances


@dataclass(frozen=True)
class MemorisationCheck:
    """The result of :func:`memorisation_check`."""

    generated: np.ndarray  # (m,) distance of each generated sample to its nearest training sample
    reference: np.ndarray  # (n,) the same for held-out real samples (or leave-one-out training samples)
    quantile: float  # q, the reference quantile that defines "close"
    threshold: float  # the q-quantile of the reference distances
    fraction_close: float  # fraction of generated samples closer than the threshold (about q without copying)
    limit: float  # q + 3 standard errors of fraction_close under "no copying"
    copies: bool  # fraction_close > limit: more generated samples sit on training samples than chance explains

    def __repr__(self) -> str:
        return (f"MemorisationCheck(fraction_close={self.fraction_close:.3f} (limit {self.limit:.3f}), "
                f"copies={self.copies}, median distance generated {np.median(self.generated):.3g} "
                f"vs held-out {np.median(self.reference):.3g})")


def _flat(x, name: str) -> np.ndarray:
    a = np.asarray(x)
    if a.ndim < 2:
        raise ValueError(f"{name} must have shape (n, ...) with one sample per row, got shape {a.shape}")
    return finite_array(a.reshape(a.shape[0], -1), name, 2)


def nearest_neighbour_distances(queries, train, leave_one_out: bool = False) -> np.ndarray:
    """Euclidean distance from each row of ``queries`` (m, ...) to its nearest row of ``train`` (n, ...).

    Samples are flattened (images (N, C, H, W) compare pixel by pixel). With
    ``leave_one_out``, ``queries`` must be ``train`` itself and each row's own distance 0
    is skipped.
    """
    q, t = _flat(queries, "queries"), _flat(train, "train")
    if q.shape[1] != t.shape[1]:
        raise ValueError(f"queries and train differ in size per sample: {q.shape[1]} and {t.shape[1]}")
    if leave_one_out and (q.shape != t.shape or not np.array_equal(q, t)):
        raise ValueError("leave_one_out needs queries to be the training set itself")
    if t.shape[0] < 1 + leave_one_out:
        raise ValueError(f"train needs at least {1 + leave_one_out} rows, got {t.shape[0]}")
    q2, t2 = (q**2).sum(1), (t**2).sum(1)
    chunk = max(1, 2**22 // t.shape[0])
    out = np.empty(q.shape[0])
    for s in range(0, q.shape[0], chunk):
        d2 = squared_distances(q[s:s + chunk], q2[s:s + chunk], t, t2)  # (chunk, n)
        if leave_one_out:
            d2[np.arange(d2.shape[0]), np.arange(s, s + d2.shape[0])] = np.inf
        out[s:s + chunk] = np.sqrt(np.maximum(d2.min(1), 0.0))
    return out


def memorisation_check(train, generated, held_out=None, quantile: float = 0.05) -> MemorisationCheck:
    """Compare generated samples' nearest-neighbour distances to ``train`` with held-out ones'.

    Args:
        train: (n_train, ...) the generator's training samples (pixels or features).
        generated: (m, ...) generated samples, in the same representation.
        held_out: (n, ...) real samples the generator never saw; None uses each training
            sample's distance to the other training samples (leave-one-out).
        quantile: q in (0, 0.5]: a generated sample is "close" when nearer to the training
            set than the q-quantile of the held-out distances.

    Returns:
        :class:`MemorisationCheck`. ``copies`` is True when the fraction of close samples
        exceeds q by more than 3 standard errors (binomial, for both the m generated
        distances and the n reference distances that set the threshold).
    """
    if not (0 < quantile <= 0.5):
        raise ValueError(f"quantile must lie in (0, 0.5], got {quantile!r}")
    gen = nearest_neighbour_distances(generated, train)
    if held_out is None:
        ref = nearest_neighbour_distances(train, train, leave_one_out=True)
    else:
        ref = nearest_neighbour_distances(held_out, train)
    threshold = float(np.quantile(ref, quantile))
    fraction = float(np.mean(gen < threshold))
    limit = quantile + 3 * np.sqrt(quantile * (1 - quantile) * (1 / len(gen) + 1 / len(ref)))
    return MemorisationCheck(generated=gen, reference=ref, quantile=float(quantile), threshold=threshold,
                             fraction_close=fraction, limit=float(limit), copies=bool(fraction > limit))
