"""FID, Inception Score, precision/recall and class coverage (gantools.metrics) against
closed forms, brute-force loops and torchmetrics."""

import math

import numpy as np
import pytest
import torch

from gantools.metrics import (
    class_coverage,
    fid_from_features,
    frechet_distance,
    inception_score,
    precision_recall,
)

torch.set_num_threads(1)


def random_spd(d, rng):
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


# --------------------------------------------------------------------------- frechet_distance

@pytest.mark.parametrize("d", [1, 2, 8, 64])
def test_frechet_distance_agrees_with_torchmetrics(d):
    fid_mod = pytest.importorskip("torchmetrics.image.fid")
    rng = np.random.default_rng(d)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    s1, s2 = random_spd(d, rng), random_spd(d, rng)
    ours = frechet_distance(mu1, s1, mu2, s2)
    theirs = fid_mod._compute_fid(*(torch.from_numpy(a) for a in (mu1, s1, mu2, s2))).item()
    assert abs(ours - theirs) < 1e-6 * abs(theirs)


def test_equal_covariances_give_the_squared_mean_difference():
    # pytorch-fid's test: Tr(S + S - 2 (S S)^(1/2)) = 0
    rng = np.random.default_rng(1)
    mu1, mu2, s = rng.normal(size=16), rng.normal(size=16), random_spd(16, rng)
    assert abs(frechet_distance(mu1, s, mu2, s) - np.sum((mu1 - mu2) ** 2)) < 1e-8


def test_diagonal_covariances_closed_form():
    rng = np.random.default_rng(2)
    a, b = rng.uniform(0.1, 3, 10), rng.uniform(0.1, 3, 10)
    mu1, mu2 = rng.normal(size=10), rng.normal(size=10)
    expected = np.sum((np.sqrt(a) - np.sqrt(b)) ** 2) + np.sum((mu1 - mu2) ** 2)
    assert abs(frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) - expected) < 1e-10


def test_frechet_distance_is_zero_on_itself_and_symmetric():
    rng = np.random.default_rng(3)
    mu1, mu2, s1, s2 = rng.normal(size=12), rng.normal(size=12), random_spd(12, rng), random_spd(12, rng)
    assert abs(frechet_distance(mu1, s1, mu1, s1)) < 1e-8
    d12, d21 = frechet_distance(mu1, s1, mu2, s2), frechet_distance(mu2, s2, mu1, s1)
    assert d12 > 1.0
    assert abs(d12 - d21) < 1e-9 * d12


def test_singular_covariances_from_too_few_samples_stay_finite():
    # n < d: both covariances have rank <= 4 in 32 dimensions
    rng = np.random.default_rng(4)
    f1, f2 = rng.normal(size=(5, 32)), rng.normal(1.0, 1.0, size=(5, 32))
    fd = fid_from_features(f1, f2)
    assert math.isfinite(fd)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    reference = np.sum((f1.mean(0) - f2.mean(0)) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.sum(
        np.sqrt(np.maximum(np.linalg.eigvals(s1 @ s2).real, 0)))
    assert abs(fd - reference) < 1e-4 * abs(reference)
    # an all-zero covariance: the product is singular and sqrtm must not break it
    z = np.zeros((3, 3))
    assert abs(frechet_distance(np.zeros(3), z, np.ones(3), z) - 3.0) < 1e-8


def test_frechet_distance_bad_input():
    s = np.eye(3)
    with pytest.raises(ValueError, match="mu1 and mu2 have different lengths: 3 and 2"):
        frechet_distance(np.zeros(3), s, np.zeros(2), s)
    with pytest.raises(ValueError, match=r"sigma2 must have shape \(3, 3\)"):
        frechet_distance(np.zeros(3), s, np.zeros(3), np.eye(2))
    with pytest.raises(ValueError, match="sigma1 contains NaN"):
        frechet_distance(np.zeros(3), np.full((3, 3), np.nan), np.zeros(3), s)
    with pytest.raises(ValueError, match=r"mu1 must have shape \(d,\)"):
        frechet_distance(np.zeros((3, 1)), s, np.zeros(3), s)
    with pytest.raises(ValueError, match="imaginary part"):  # a covariance that is not PSD
        frechet_distance(np.zeros(2), np.diag([1.0, -1.0]), np.zeros(2), np.eye(2))


# --------------------------------------------------------------------------- fid_from_features

class IdentityFeatures(torch.nn.Module):
    """A 'feature extractor' that returns its input, so torchmetrics' FID sees our features."""

    def __init__(self, d):
        super().__init__()
        self.num_features = d

    def forward(self, x):
        return x


def test_fid_from_features_agrees_with_torchmetrics_metric():
    fid_mod = pytest.importorskip("torchmetrics.image.fid")
    rng = np.random.default_rng(5)
    f1 = rng.normal(size=(300, 16))
    f2 = rng.normal(0.3, 1.2, size=(200, 16)) @ random_spd(16, rng)
    metric = fid_mod.FrechetInceptionDistance(feature=IdentityFeatures(16))
    metric.update(torch.from_numpy(f1), real=True)
    metric.update(torch.from_numpy(f2), real=False)
    theirs = metric.compute().item()
    ours = fid_from_features(f1, f2)
    assert ours > 1.0
    assert abs(ours - theirs) < 1e-6 * theirs


def test_fid_from_features_bad_input():
    with pytest.raises(ValueError, match="feature dimensions differ: f1 has d=4, f2 has d=5"):
        fid_from_features(np.zeros((10, 4)), np.zeros((10, 5)))
    with pytest.raises(ValueError, match="f2 needs at least 2 rows"):
        fid_from_features(np.random.default_rng(0).normal(size=(10, 4)), np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"f1 must have shape \(n, d\)"):
        fid_from_features(np.zeros(10), np.zeros((10, 1)))


# --------------------------------------------------------------------------- inception_score

def test_inception_score_extremes():
    k = 7
    one_hot = np.eye(k)[np.arange(70) % k]  # confident and evenly spread: IS = K
    mean, std = inception_score(one_hot)
    assert abs(mean - k) < 1e-10 and std == 0.0
    same = np.tile(np.random.default_rng(0).dirichlet(np.ones(k)), (50, 1))  # p(y|x) = p(y): IS = 1
    assert abs(inception_score(same)[0] - 1.0) < 1e-10


def test_inception_score_against_double_loop():
    rng = np.random.default_rng(6)
    p = rng.dirichlet(np.full(5, 0.3), size=60)
    p[0, :] = [1.0, 0, 0, 0, 0]  # exact zeros: 0 log 0 = 0
    for splits in (1, 4):
        scores = []
        for i in range(splits):
            part = p[i * 60 // splits:(i + 1) * 60 // splits]
            py = [sum(row[j] for row in part) / len(part) for j in range(5)]
            kls = [sum(row[j] * math.log(row[j] / py[j]) for j in range(5) if row[j] > 0) for row in part]
            scores.append(math.exp(sum(kls) / len(kls)))
        mean, std = inception_score(p, splits=splits)
        assert abs(mean - np.mean(scores)) < 1e-10
        assert abs(std - np.std(scores)) < 1e-10


def test_inception_score_bad_input():
    with pytest.raises(ValueError, match="row 1 sums to 2"):
        inception_score(np.array([[0.5, 0.5], [1.0, 1.0]]))
    with pytest.raises(ValueError, match="non-negative"):
        inception_score(np.array([[1.5, -0.5]]))
    with pytest.raises(ValueError, match=r"splits must be an integer in \[1, 2\]"):
        inception_score(np.eye(2), splits=3)


# --------------------------------------------------------------------------- precision_recall

def brute_force_pr(real, fake, k):
    def radii(x):
        return [sorted(math.dist(a, b) for j, b in enumerate(x) if j != i)[k - 1] for i, a in enumerate(x)]

    def covered(points, centres, r):
        return sum(any(math.dist(p, c) <= rc for c, rc in zip(centres, r, strict=True)) for p in points) / len(points)

    return covered(fake, real, radii(real)), covered(real, fake, radii(fake))


@pytest.mark.parametrize("k", [1, 3, 5])
def test_precision_recall_against_brute_force(k):
    rng = np.random.default_rng(k)
    real = rng.normal(size=(60, 3))
    fake = rng.normal(1.5, 0.6, size=(45, 3))  # partly off the real data
    p, r = precision_recall(real, fake, k=k)
    bp, br = brute_force_pr(real.tolist(), fake.tolist(), k)
    assert 0 < p < 1 and 0 < r < 1
    assert abs(p - bp) < 1e-12 and abs(r - br) < 1e-12


def test_precision_recall_identical_sets_and_half_coverage():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(100, 4))
    p, r = precision_recall(x, x.copy())
    assert abs(p - 1) < 1e-12 and abs(r - 1) < 1e-12
    # real data: two far-apart clusters; fake covers only the first one
    real = np.concatenate([rng.normal(size=(500, 2)), rng.normal(size=(500, 2)) + 100.0])
    p, r = precision_recall(real, real[:500])  # fake = exactly the first cluster's points
    assert abs(p - 1) < 1e-12 and abs(r - 0.5) < 1e-12
    p, r = precision_recall(real, rng.normal(size=(500, 2)))  # a fresh sample of the first cluster
    assert p > 0.95  # ~0.97: a few tail samples fall outside every k-NN ball
    assert abs(r - 0.5) < 0.03


def test_precision_recall_chunks_do_not_change_the_answer(monkeypatch):
    # many rows force several chunks (2**22 // 9000 = 466 rows each)
    rng = np.random.default_rng(8)
    real, fake = rng.normal(size=(9000, 2)), rng.normal(0.5, 1.0, size=(300, 2))
    p, r = precision_recall(real, fake, k=3)
    from scipy.spatial import cKDTree

    rr = cKDTree(real).query(real, k=4)[0][:, 3]
    fr = cKDTree(fake).query(fake, k=4)[0][:, 3]
    dfr = np.sqrt(((fake[:, None] - real[None]) ** 2).sum(-1))  # (300, 9000)
    assert abs(p - np.mean((dfr <= rr[None]).any(1))) < 1e-12
    assert abs(r - np.mean((dfr <= fr[:, None]).any(0))) < 1e-12


def test_precision_recall_bad_input():
    x = np.zeros((10, 3))
    with pytest.raises(ValueError, match="feature dimensions differ: real has d=3, fake has d=2"):
        precision_recall(x, np.zeros((10, 2)))
    with pytest.raises(ValueError, match="fake_features needs more than k=3 rows"):
        precision_recall(x, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="real_features contains NaN"):
        precision_recall(np.full((10, 3), np.inf), x)


# --------------------------------------------------------------------------- class_coverage

def test_class_coverage_counts_and_kl():
    cov = class_coverage(np.array([0, 0, 2, 2, 2, 5]), n_classes=6)
    assert cov.counts.tolist() == [2, 0, 3, 0, 0, 1]
    assert cov.classes_captured == 3
    q = np.array([2, 3, 1]) / 6
    assert abs(cov.kl_to_uniform - np.sum(q * np.log(q * 6))) < 1e-12
    assert abs(class_coverage(np.full(40, 3), 10).kl_to_uniform - math.log(10)) < 1e-12  # one class: log K
    uniform = class_coverage(np.arange(50) % 10, 10)
    assert uniform.classes_captured == 10 and abs(uniform.kl_to_uniform) < 1e-12


def test_class_coverage_from_probabilities_takes_the_argmax():
    probs = np.array([[0.1, 0.8, 0.1], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1]])
    cov = class_coverage(probs, 3)
    assert cov.counts.tolist() == [1, 2, 0] and cov.classes_captured == 2


def test_class_coverage_bad_input():
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\), got values from 0 to 3"):
        class_coverage(np.array([0, 1, 3]), 3)
    with pytest.raises(ValueError, match="probabilities have 4 columns but n_classes=3"):
        class_coverage(np.ones((2, 4)) / 4, 3)
    with pytest.raises(ValueError, match="labels must be integers"):
        class_coverage(np.array([0.5, 1.0]), 3)
    with pytest.raises(ValueError, match="at least one prediction"):
        class_coverage(np.array([], dtype=int), 3)


def test_precision_recall_with_duplicated_samples_is_exact():
    """A 'memorising' generator: 4 copies of each of 100 real points. Every fake point's
    k = 3 nearest others are its own copies (radius 0), so recall is exactly 100/800."""
    from gantools.metrics import precision_recall

    real = np.random.default_rng(5).normal(size=(800, 16)) * 7 + 3
    fake = np.repeat(real[:100], 4, axis=0)
    precision, recall = precision_recall(real, fake, k=3)
    assert precision == 1.0 and abs(recall - 0.125) < 1e-12, (precision, recall)
