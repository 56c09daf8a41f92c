"""gantools.mode_collapse.bench and gantools.ringgrid: chapter 6's ring and grid benchmark."""

import math

import numpy as np
import pytest

from gantools.batched import BatchedGANConfig
from gantools.distributions import grid, ring
from gantools.mode_collapse.bench import (
    BASE,
    BEST,
    METHODS,
    PACGAN_GAN,
    PUBLISHED,
    STEPS,
    Method,
    load_pacgan_curve,
    load_reference,
    pacgan_curve,
    run_group,
    save_reference,
    score,
    slug,
    summary,
    table,
    training_groups,
)
from gantools.mode_collapse.bound import disc_gap, hq_bound_shares

TINY = BatchedGANConfig(g_hidden=8, d_hidden=8, g_layers=1, d_layers=1, batch_size=32, g_activation="tanh")


def test_the_data_itself_scores_the_ceiling_and_width_about_097():
    # E[r^2 | r <= 3] for r^2 ~ chi^2_2 is 2 (1 - 5.5 e^-4.5) / (1 - e^-4.5): width sqrt of half of it
    expected = math.sqrt((1 - 5.5 * math.exp(-4.5)) / (1 - math.exp(-4.5)))
    mix = grid()
    s = score(mix.sample(100_000, seed=0), mix, seed=0)
    assert s["modes"] == 25 and abs(s["hq"] - (1 - math.exp(-4.5))) < 0.002
    assert abs(s["width"] - expected) < 0.005, (s["width"], expected)
    # the data has no sample beyond 6 stds of its mode, and 1 - e^-4.5 within 3
    assert s["miss"][">10"] == 0 and s["miss"]["6-10"] == 0 and abs(s["miss"]["3-6"] - math.exp(-4.5)) < 0.002
    too_sharp = score(mix.means[np.arange(1000) % 25] + 0.01 * np.random.default_rng(0).normal(size=(1000, 2)),
                      mix, seed=0)
    assert too_sharp["hq"] == 1.0 and too_sharp["width"] < 0.3


def test_run_group_trains_once_and_samples_every_row(tmp_path):
    rows = {"Tiny": Method(TINY), "Tiny, DRS": Method(TINY, "drs", {"steps": 2, "changes": (("d_fourier", 4),)}),
            "Tiny, Jacobian": Method(TINY, "jacobian", keep=0.5)}
    res = run_group(TINY, 3, rows, [0, 1], out=str(tmp_path))
    assert list(res) == list(rows)
    assert res["Tiny"]["shares_training_with"] is None and res["Tiny, DRS"]["shares_training_with"] == "Tiny"
    assert [r["seed"] for r in res["Tiny"]["runs"]["ring"]] == [0, 1] == [r["seed"] for r in res["Tiny"]["runs"]["grid"]]
    x = np.load(tmp_path / "grid" / "tiny_drs" / "seed1.npy")
    assert x.shape == (2500, 2) and x.dtype == np.float32
    gen = res["Tiny"]["generator_runs"]
    for which, mix in (("ring", ring()), ("grid", grid())):
        for r in gen[which]:
            assert 0 < r["L_lower"] <= r["L_upper"]
            if r["hq"] > 0:
                assert abs(r["bound"] - hq_bound_shares(r["counts"], r["L_lower"], disc_gap(mix))) < 1e-12
                assert r["hq"] <= r["bound"] <= r["bound_certified"]
    s = summary(res["Tiny, DRS"])
    assert 0 <= s["ring"]["modes"][0] <= 8 and 0 <= s["grid"]["hq_pct"][0] <= 100
    md = table(res, n_seeds=2)
    assert "| Tiny | 3 |" in md and "with Tiny" in md
    assert all(row[0] in md for row in PUBLISHED)


def test_training_groups_share_one_generator_per_recipe():
    groups = training_groups(METHODS)
    names = [n for _, _, ns in groups for n in ns]
    assert sorted(names) == sorted(METHODS)
    ours = next(ns for cfg, _, ns in groups if BEST in ns)
    assert "Ours without DRS" in ours and "Ours, Jacobian rejection" in ours
    assert all(steps == STEPS for _, steps, _ in groups)  # one step budget for every trained row


def test_every_ablation_changes_one_ingredient_of_ours():
    ours = METHODS[BEST]
    for name, m in METHODS.items():
        if m.group != "ablation":
            continue
        changed = {f for f in ours.config.__dataclass_fields__ if getattr(m.config, f) != getattr(ours.config, f)}
        changed = {"lr"} if changed == {"lr_g", "lr_d"} else changed
        sampler_changed = (m.sampler, m.ratio) != (ours.sampler, ours.ratio)
        assert len(changed) + sampler_changed == 1, (name, changed, sampler_changed)


def test_baselines_say_how_many_settings_they_change():
    for name, m in METHODS.items():
        if m.group != "baseline" or name == "GAN (non-saturating)":
            continue
        changed = [f for f in BASE.__dataclass_fields__ if getattr(m.config, f) != getattr(BASE, f)]
        n = len(changed) - ("lr_d" in changed and "lr_g" in changed)
        assert m.note.startswith(f"{n} setting"), (name, changed, m.note)


def test_bad_rows_are_rejected_with_the_value():
    with pytest.raises(ValueError, match="unknown sampler 'magic'"):
        Method(TINY, "magic")
    with pytest.raises(ValueError, match="needs a ratio"):
        Method(TINY, "drs")


def test_reference_round_trip(tmp_path):
    res = run_group(TINY, 2, {"Tiny GAN": Method(TINY)}, [0], out=str(tmp_path))
    results = {"n_seeds": 1, "methods": {k: {**v, "summary": summary(v)} for k, v in res.items()}}
    save_reference(results, str(tmp_path), dest=str(tmp_path / "data"))
    back, samples = load_reference(dest=str(tmp_path / "data"))
    assert back["methods"]["Tiny GAN"]["steps"] == 2
    assert np.array_equal(samples["ring/tiny_gan"], np.load(tmp_path / "ring" / "tiny_gan" / "seed0.npy"))


def test_the_committed_reference_is_a_full_run_of_every_method():
    results, samples = load_reference()
    assert results["n_seeds"] == 10 and not results["quick"] and results["steps"] == STEPS
    assert list(results["methods"]) == list(METHODS)
    for name, m in results["methods"].items():
        assert m["steps"] == METHODS[name].steps and m["sampler"] == METHODS[name].sampler
        assert len(m["runs"]["ring"]) == len(m["runs"]["grid"]) == 10
        for which, mix in (("ring", ring()), ("grid", grid())):
            x = samples[f"{which}/{slug(name)}"]
            assert x.shape == (2500, 2)
            hq = np.mean(np.min(np.linalg.norm(x[:, None] - mix.means[None], axis=2), axis=1) <= 3 * mix.stds[0])
            assert abs(hq - m["runs"][which][0]["hq"]) < 1e-6  # the stored seed-0 samples are the scored ones


def test_the_committed_pacgan_curve_is_the_published_configuration():
    curve = load_pacgan_curve()
    assert np.all(np.diff(curve["steps"][:-1]) == curve["every"]) and len(curve["steps"]) >= 2
    assert np.array(curve["hq"]).shape == (len(curve["steps"]), curve["seeds"])
    assert all(0 <= h <= 1 for row in curve["hq"] for h in row)


def test_pacgan_configuration_matches_the_paper_code_and_runs():
    c = PACGAN_GAN
    assert (c.g_hidden, c.g_layers, c.d_hidden, c.d_layers, c.d_maxout) == (400, 4, 200, 3, 5)
    assert c.g_batchnorm and c.simultaneous and c.init_std == 0.02 and c.batch_size == 100
    assert (c.lr_g, c.lr_d, c.betas) == (1e-4, 1e-4, (0.8, 0.999))
    small = pacgan_curve(4, [0], every=2, config=c.replace(g_hidden=16, d_hidden=8))
    assert small["steps"] == [2, 4] and len(small["hq"][0]) == 1


def test_slug_is_a_safe_folder_name():
    assert slug("Ours: tanh G + DRS") == "ours_tanh_g_drs"
    assert slug("GAN (non-saturating)") == "gan_non_saturating"


@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_is_a_valid_recipe(name):
    m = METHODS[name]
    assert m.steps == STEPS and m.config.data_dim == 2 and m.note
