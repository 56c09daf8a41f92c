import math

import numpy as np
import pytest

from gantools.batched import BatchedGANConfig
from gantools.distributions import grid, ring
from gantools.mode_collapse import (
    BEST,
    METHODS,
    PUBLISHED,
    _score,
    load_reference,
    mean_se,
    run_method,
    save_reference,
    slug,
    summary,
    table,
)

TINY = BatchedGANConfig(g_hidden=8, d_hidden=8, g_layers=1, d_layers=1, batch_size=32)


def test_mean_and_standard_error():
    m, se = mean_se([1.0, 2.0, 3.0, 6.0])
    assert abs(m - 3.0) < 1e-12
    assert abs(se - np.std([1, 2, 3, 6], ddof=1) / 2) < 1e-12
    assert mean_se([5.0]) == (5.0, 0.0)
    m, se = mean_se([1.0, math.inf])
    assert m == math.inf and math.isnan(se)


def test_the_data_itself_scores_the_ceiling_and_width_about_097():
    # E[r^2 | r <= 3] for r^2 ~ chi^2_2 is 2 (1 - 5.5 e^-4.5) / (1 - e^-4.5): width sqrt of half of it
    expected = math.sqrt((1 - 5.5 * math.exp(-4.5)) / (1 - math.exp(-4.5)))
    mix = grid()
    s = _score(mix.sample(100_000, seed=0), mix, seed=0)
    assert s["modes"] == 25 and abs(s["hq"] - (1 - math.exp(-4.5))) < 0.002
    assert abs(s["width"] - expected) < 0.005, (s["width"], expected)
    too_sharp = _score(mix.means[np.arange(1000) % 25] + 0.01 * np.random.default_rng(0).normal(size=(1000, 2)),
                       mix, seed=0)
    assert too_sharp["hq"] == 1.0 and too_sharp["width"] < 0.3


def test_run_method_saves_samples_and_scores_both_targets(tmp_path):
    res, gan = run_method("Tiny GAN", TINY, steps=3, seeds=[0, 1], out=str(tmp_path), rejection_steps=2)
    assert gan.runs == 4
    assert [r["seed"] for r in res["runs"]["ring"]] == [0, 1] == [r["seed"] for r in res["runs"]["grid"]]
    x = np.load(tmp_path / "grid" / "tiny_gan" / "seed1.npy")
    assert x.shape == (2500, 2) and x.dtype == np.float32
    assert set(res["runs_without_rejection"]) == {"ring", "grid"}
    s = summary(res)
    assert 0 <= s["ring"]["modes"][0] <= 8 and 0 <= s["grid"]["hq_pct"][0] <= 100
    md = table({"Tiny GAN": res}, n_seeds=2)
    assert "| Tiny GAN (ours, 2 seeds) | 3 |" in md and "Tiny GAN, generator alone" in md
    assert all(row[0] in md for row in PUBLISHED)


def test_reference_round_trip(tmp_path):
    res, _ = run_method("Tiny GAN", TINY, steps=2, seeds=[0], out=str(tmp_path))
    results = {"n_seeds": 1, "methods": {"Tiny GAN": {**res, "summary": summary(res)}}}
    save_reference(results, str(tmp_path), dest=str(tmp_path / "data"))
    back, samples = load_reference(dest=str(tmp_path / "data"))
    assert back["methods"]["Tiny GAN"]["steps"] == 2
    assert np.array_equal(samples["ring/tiny_gan"], np.load(tmp_path / "ring" / "tiny_gan" / "seed0.npy"))


def test_the_committed_reference_is_a_full_run_of_every_method():
    results, samples = load_reference()
    assert results["n_seeds"] == 10 and not results["quick"]
    assert list(results["methods"]) == list(METHODS)
    for name, m in results["methods"].items():
        assert m["steps"] == METHODS[name].steps
        assert len(m["runs"]["ring"]) == len(m["runs"]["grid"]) == 10
        for which, mix in (("ring", ring()), ("grid", grid())):
            x = samples[f"{which}/{slug(name)}"]
            assert x.shape == (2500, 2)
            hq = np.mean(np.min(np.linalg.norm(x[:, None] - mix.means[None], axis=2), axis=1) <= 3 * mix.stds[0])
            assert abs(hq - m["runs"][which][0]["hq"]) < 1e-6  # the stored seed-0 samples are the scored ones
    assert BEST in results["methods"]


def test_slug_is_a_safe_folder_name():
    assert slug("Ours: tanh G + DRS") == "ours_tanh_g_drs"
    assert slug("GAN (non-saturating)") == "gan_non_saturating"


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_is_a_valid_recipe(name):
    m = METHODS[name]
    assert m.steps > 0 and m.config.data_dim == 2
