"""gantools.evaluation.memorisation: nearest-neighbour distances against brute force, and the check on
a copier (fails), a fresh sample of the data (passes) and a blurred generator (passes)."""

import numpy as np
import pytest

from gantools.evaluation.memorisation import memorisation_check, nearest_neighbour_distances


def test_nearest_neighbour_distances_agree_with_brute_force():
    rng = np.random.default_rng(0)
    q, t = rng.normal(size=(7, 2, 3)), rng.normal(size=(11, 2, 3))  # samples are flattened
    brute = [min(np.linalg.norm(a.ravel() - b.ravel()) for b in t) for a in q]
    assert np.max(np.abs(nearest_neighbour_distances(q, t) - brute)) < 1e-12
    loo = [min(np.linalg.norm(t[i].ravel() - t[j].ravel()) for j in range(len(t)) if j != i) for i in range(len(t))]
    assert np.max(np.abs(nearest_neighbour_distances(t, t, leave_one_out=True) - loo)) < 1e-12


def test_copier_fails_fresh_data_and_blurred_samples_pass():
    rng = np.random.default_rng(1)
    data = rng.normal(size=(3000, 10))
    train, held_out, fresh = data[:1000], data[1000:2000], data[2000:]
    copier = train[rng.integers(0, 1000, 1000)] + rng.normal(0, 0.01, (1000, 10))
    copy = memorisation_check(train, copier, held_out)
    assert copy.copies and copy.fraction_close > 0.99
    honest = memorisation_check(train, fresh, held_out)
    assert not honest.copies and abs(honest.fraction_close - 0.05) < 3 * np.sqrt(0.05 * 0.95 * 2 / 1000)
    blurred = memorisation_check(train, 1.5 * fresh, held_out)  # worse samples: further from the data
    assert not blurred.copies and blurred.fraction_close < 0.05
    # leave-one-out stands in for the held-out set: the same threshold up to sampling noise
    loo = memorisation_check(train, fresh)
    assert not loo.copies and abs(loo.threshold / honest.threshold - 1) < 0.1


def test_bad_input_raises_value_error_naming_it():
    x = np.zeros((5, 3))
    with pytest.raises(ValueError, match="quantile"):
        memorisation_check(x, x, quantile=0.9)
    with pytest.raises(ValueError, match="differ in size"):
        nearest_neighbour_distances(x, np.zeros((5, 4)))
    with pytest.raises(ValueError, match="shape"):
        nearest_neighbour_distances(np.zeros(3), x)
    with pytest.raises(ValueError, match="leave_one_out"):
        nearest_neighbour_distances(x + 1, x, leave_one_out=True)
    with pytest.raises(ValueError, match="NaN"):
        memorisation_check(x, np.full((2, 3), np.nan))
