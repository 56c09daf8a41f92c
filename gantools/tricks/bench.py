"""The ablation of chapter 12: which training tricks help, by how much, with intervals.

Protocol. *Add one*: each trick is added alone to chapter 6's vanilla non-saturating GAN
(:data:`gantools.ringgrid.BASE`) and trained on the ring and the grid with 10 seeds and
the same 4,000 generator steps; each run is scored by chapter 6's metrics (modes captured,
high-quality fraction) on 2,500 samples. *Remove one*: the best recipe of chapter 6 with one
ingredient taken out, from chapter 6's committed benchmark (same protocol, same seeds).
*Digits*: the book's DCGAN on the digits with a trick added (or its EMA removed), 3 seeds,
judged by the Fréchet distance in the digits classifier's features.

Every effect is the mean over seeds of the recipe with the trick minus the mean without
it, with a 95% interval from :func:`gantools.stats.compare`: Welch's t for independent runs,
paired t where the two arms are the same runs (the EMA rows, which score each run's averaged and
raw generator); the 3-seed digits rows are illustrations. When the interval contains 0 the
table says "no effect detected". Each row keeps its p-value, so a reader of the whole table can
adjust for reading many intervals at once (:func:`adjusted`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..batched import BatchedGAN, BatchedGANConfig
from ..benchkit import DATA_DIR, read_reference, train_book_dcgan, write_reference
from ..distributions import grid, ring
from ..ringgrid import BASE, N_SAMPLES, STEPS, score
from ..stats import Interval, benjamini_hochberg, compare, holm, illustration_prefix

REFERENCE_ROWS = "tricks"  # gantools/data/tricks.json: the effect rows (the schema)
REFERENCE_RUNS = "tricks_runs"  # ... tricks_runs.json: every run's numbers and the timings behind them
METRICS_2D = ("modes", "hq")
SAMPLE_SEED = 12345  # the noise of the 2,500 scored samples (as in chapter 6)


@dataclass(frozen=True)
class Trick:
    """One trick: the settings it changes and what that does to the game."""

    changes: dict = field(default_factory=dict)  # BatchedGANConfig fields (2D) or TrainConfig ones (digits)
    game: str = ""  # what it changes in the game, in a few words
    setting: str = ""  # the value(s) used, stated a priori (not tuned)
    model: str = "dcgan"  # digits only: the registry model it trains
    paired: bool = False  # its runs train exactly like the baseline's, seed for seed (compare paired)


# Added one at a time to the vanilla GAN of chapter 6 (2D). The settings are the papers'
# usual ones, chosen before any run; none was tuned on these benchmarks.
TRICKS: dict[str, Trick] = {
    "one-sided label smoothing": Trick({"real_label": 0.9}, "D's target for real samples is 0.9, not 1",
                                       "alpha = 0.9, beta = 0"),
    "two-sided label smoothing": Trick({"real_label": 0.9, "fake_label": 0.1},
                                       "and 0.1 for generated ones: D* = beta where p_data = 0", "alpha = 0.9, beta = 0.1"),
    "instance noise": Trick({"instance_noise": 0.1}, "D sees both distributions blurred by N(0, sigma^2)",
                            "sigma 0.1 annealed linearly to 0"),
    "feature matching": Trick({"feature_matching": True}, "G matches D's mean features instead of fooling D",
                              "D's last hidden layer (64 units)"),
    "minibatch discrimination": Trick({"minibatch_disc": 5}, "D sees each sample's closeness to its batch",
                                      "5 kernels of dimension 3"),
    "minibatch std": Trick({"minibatch_std": True}, "D sees the batch's feature spread", "one extra feature"),
    "TTUR": Trick({"lr_d": 4e-3}, "D learns 4x faster than G", "lr D 4e-3, G 1e-3"),
    # The average does not change training: seed k trains exactly as the vanilla seed k, so the two
    # arms are the same runs, compared seed by seed.
    "EMA of G": Trick({"ema": 0.999}, "samples come from an average of G's iterates", "decay 0.999", paired=True),
    "R1 penalty": Trick({"r1_weight": 1.0}, "D pays gamma/2 E‖grad D(x)‖² on real data", "gamma = 1"),
    "SN + hinge": Trick({"spectral_norm": True, "d_loss": "hinge", "g_loss": "hinge"},
                        "every D layer 1-Lipschitz; the hinge loss", "1 power iteration per step"),
}
# The best recipe of chapter 6 with one ingredient removed: {trick: the chapter-6 row without it}.
BEST_RECIPE = "Ours: tanh G + DRS"
REMOVED: dict[str, tuple[str, str]] = {
    "rejection sampling (DRS)": ("Ours without DRS", "samples kept by a learned density ratio"),
    "Fourier-feature ratio": ("Ours with an MLP ratio", "the ratio D sees 32 random Fourier features"),
    "tanh generator": ("Ours with ReLU G", "G's hidden units are tanh, not ReLU"),
    "noise std 3": ("Ours with noise std 1", "z ~ N(0, 9 I) instead of N(0, I)"),
    "learning rates 3e-3": ("Ours with lr 1e-3", "both Adam rates 3e-3 instead of 1e-3"),
}
# Digits: tricks added to the book's DCGAN (config_for("dcgan", "digits")); "EMA of G" is removed
# by scoring each run's raw generator next to its EMA one (EMA does not change training).
DIGITS_TRICKS: dict[str, Trick] = {
    "one-sided label smoothing": Trick({"real_label": 0.9}, "D's target for real images is 0.9", "alpha = 0.9"),
    "SN + hinge": Trick({}, "spectral norm on every D layer, hinge loss, no batch norm in D",
                        "SNGAN's D (Miyato et al. 2018)", model="sngan"),
}
DIGITS_STEPS = 800  # generator steps of 64 images per digits run
DIGITS_SEEDS = 3
DIGITS_EVAL = 1000  # generated images per Fréchet distance


def trick_config(name: str, base: BatchedGANConfig = BASE) -> BatchedGANConfig:
    """``base`` with the trick ``name`` added (a key of :data:`TRICKS`; ``"none"`` = base)."""
    if name == "none":
        return base
    if name not in TRICKS:
        raise ValueError(f"unknown trick {name!r}; choose one of: {', '.join(TRICKS)}")
    return base.replace(**TRICKS[name].changes)


# -- 2D: train and score ---------------------------------------------------------------------------
def train_2d(config: BatchedGANConfig, seeds, steps: int = STEPS, device: str = "cpu") -> dict:
    """Train len(seeds) ring runs and len(seeds) grid runs of ``config`` in one batch (as chapter 6
    does) and score 2,500 samples of each. Returns {"ring": [per-seed dict], "grid": [...],
    "cpu_s", "wall_s", "steps"}."""
    seeds = [int(s) for s in seeds]
    targets = [ring()] * len(seeds) + [grid()] * len(seeds)
    t0, c0 = time.perf_counter(), time.process_time()
    gan = BatchedGAN(config, seeds=seeds + seeds, device=device).train(targets, steps)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    x = gan.sample(N_SAMPLES, seed=SAMPLE_SEED)
    out: dict = {"cpu_s": cpu, "wall_s": wall, "steps": steps, "ring": [], "grid": []}
    for i, target in enumerate(targets):
        which = "ring" if i < len(seeds) else "grid"
        r = score(x[i], target, seeds[i % len(seeds)])
        out[which].append({k: r[k] for k in ("seed", "modes", "hq")})
    return out


def _row(iv: Interval) -> dict:
    """The fields of an effect row from a :class:`gantools.stats.Interval`."""
    return {"effect": iv.estimate, "ci_low": iv.low, "ci_high": iv.high, "n_seeds": iv.n, "method": iv.method,
            "p": iv.p}


def _interval(row: dict) -> Interval:
    """A row's effect as a :class:`gantools.stats.Interval` again."""
    return Interval(row["effect"], row["ci_low"], row["ci_high"], 0.95, row["n_seeds"], row.get("method", "t"),
                    row.get("p", math.nan))


def values(result: dict, data: str, metric: str) -> np.ndarray:
    """Per-seed values of ``metric`` (modes | hq) on ``data`` (ring | grid) from a result."""
    return np.array([r[metric] for r in result[data]], dtype=float)


def rows_2d(results: dict[str, dict], baseline: str = "none") -> list[dict]:
    """The add-one effect rows: every trick of ``results`` against ``results[baseline]``."""
    rows = []
    for name, res in results.items():
        if name == baseline:
            continue
        for data in ("ring", "grid"):
            for metric in METRICS_2D:
                t, c = values(res, data, metric), values(results[baseline], data, metric)
                effect = compare(t, c, paired=TRICKS[name].paired)
                rows.append({"trick": name, "setting": f"added to the vanilla GAN: {TRICKS[name].setting}",
                             "data": data, "metric": metric, **_row(effect)})
    return rows


def rows_removed(chapter6: dict) -> list[dict]:
    """The remove-one rows, from chapter 6's benchmark (``gantools/data/mode_collapse.json``):
    effect = the best recipe minus the recipe without the ingredient (what the ingredient adds)."""
    methods = chapter6["methods"]
    best = methods[BEST_RECIPE]["runs"]
    rows = []
    for name, (without, _) in REMOVED.items():
        for data in ("ring", "grid"):
            for metric in METRICS_2D:
                t, c = values(best, data, metric), values(methods[without]["runs"], data, metric)
                rows.append({"trick": name, "setting": f"removed from chapter 6's best recipe ({without!r})",
                             "data": data, "metric": metric, **_row(compare(t, c))})
    return rows


# -- digits ----------------------------------------------------------------------------------------
def digits_settings() -> dict[str, Trick]:
    """The digits runs: the book's DCGAN ("none") and each trick of :data:`DIGITS_TRICKS`."""
    return {"none": Trick(), **DIGITS_TRICKS}


def digits_run(name: str, seed: int, steps: int, out: str) -> dict:
    """Train the digits setting ``name`` (a key of :func:`digits_settings`) for ``steps``
    generator steps with ``seed`` into ``out`` through the book's trainer, and score its EMA
    and raw generators (FD in the digits classifier's features, 1,000 images each)."""
    settings = digits_settings()
    if name not in settings:
        raise ValueError(f"unknown digits setting {name!r}; choose one of: {', '.join(settings)}")
    trick = settings[name]
    run = train_book_dcgan(out, seed, steps, model=trick.model, **trick.changes)
    cpu = run.cpu_s
    ev = run.trainer.evaluate(n=DIGITS_EVAL, timed=False)
    return {"setting": name, "seed": seed, "steps": steps, "fd": ev["fd"], "fd_raw": ev["fd_raw"],
            "classes": ev["classes"], "cpu_s": cpu, "per_step_s": cpu / steps}


def rows_digits(runs: list[dict]) -> list[dict]:
    """The digits effect rows: FD of each trick minus the DCGAN's (EMA generators; lower is
    better, so a negative effect helps), and the EMA's own effect, EMA FD minus raw FD of the
    same DCGAN runs (paired)."""
    by = {}
    for r in runs:
        by.setdefault(r["setting"], []).append(r)
    base = sorted(by["none"], key=lambda r: r["seed"])
    rows = []
    for name, trick in DIGITS_TRICKS.items():
        t = np.array([r["fd"] for r in sorted(by[name], key=lambda r: r["seed"])])
        rows.append({"trick": name, "setting": f"added to the book's DCGAN: {trick.setting}", "data": "digits",
                     "metric": "fd", **_row(compare(t, np.array([r["fd"] for r in base])))})
    ema = compare([r["fd"] for r in base], [r["fd_raw"] for r in base], paired=True)
    rows.append({"trick": "EMA of G", "setting": "removed from the book's DCGAN (decay 0.999): the same runs' raw G",
                 "data": "digits", "metric": "fd", **_row(ema)})
    return rows


def rows_from_runs(runs: dict, chapter6: dict) -> list[dict]:
    """Every effect row, rebuilt from the runs behind them (``tricks_runs.json``) and chapter 6's
    benchmark: what ``bench/tricks.py --rescore`` stores without training anything."""
    rows = []
    if runs.get("2d"):
        rows += rows_2d(runs["2d"]) + rows_removed(chapter6)
    if runs.get("digits"):
        rows += rows_digits(runs["digits"])
    return rows


def adjusted(rows: list[dict]) -> dict[str, int]:
    """How many of ``rows``' intervals exclude 0 as read one at a time, and how many p-values stay
    under 0.05 after Holm's (family-wise) and Benjamini-Hochberg's (false discovery rate)
    adjustments for reading them all together."""
    p = [r["p"] for r in rows]
    return {"intervals": len(rows), "exclude 0": sum(_interval(r).excludes_zero for r in rows),
            "holm": int((holm(p) < 0.05).sum()), "bh": int((benjamini_hochberg(p) < 0.05).sum())}


# -- the committed reference -------------------------------------------------------------------
def save_reference(rows: list[dict], runs: dict, dest: str = DATA_DIR) -> None:
    """Write the effect rows (``tricks.json``, a list) and the runs behind them, atomically."""
    write_reference(REFERENCE_RUNS, runs, dest=dest)
    write_reference(REFERENCE_ROWS, rows, dest=dest)


def load_reference(dest: str = DATA_DIR) -> tuple[list[dict], dict]:
    """(effect rows, runs) of the committed full benchmark."""
    return read_reference(REFERENCE_ROWS, dest)[0], read_reference(REFERENCE_RUNS, dest)[0]


# -- the table ---------------------------------------------------------------------------------
_UNITS = {"modes": ("modes", 1.0, 1), "hq": ("HQ points", 100.0, 1), "fd": ("FD", 1.0, 1)}


def fmt_effect(row: dict) -> str:
    """"+11.2 (+3.0 to +19.5)" in the metric's unit; "no effect detected: ..." when the interval
    contains 0, and with fewer than 5 seeds "illustration, 3 seeds: ..." (gantools.stats' rule)."""
    _, scale, digits = _UNITS[row["metric"]]
    e, lo, hi = (scale * row[k] for k in ("effect", "ci_low", "ci_high"))
    text = f"{e:+.{digits}f} ({lo:+.{digits}f} to {hi:+.{digits}f})".replace("-", "−")
    effect = _interval(row)
    text = text if effect.excludes_zero else f"no effect detected: {text}"
    return illustration_prefix(effect) + text


def cost_ratios(runs: dict, chapter6: dict | None = None) -> dict[str, float]:
    """CPU time per step with the trick over without it: the 2D trainings, the digits runs and
    (for the removed ingredients) chapter 6's training + sampling CPU seconds."""
    out = {}
    two_d = runs.get("2d", {})
    for name, res in two_d.items():
        if name != "none":
            out[name] = res["cpu_s"] / two_d["none"]["cpu_s"]
    if chapter6 is not None:
        m = chapter6["methods"]

        def cpu(row):
            return m[row]["train_cpu_s"] + m[row]["sample_cpu_s"]

        for name, (without, _) in REMOVED.items():
            out[name] = cpu(BEST_RECIPE) / cpu(without)
    digits = runs.get("digits", [])
    if digits:
        base = np.mean([r["per_step_s"] for r in digits if r["setting"] == "none"])
        for name in DIGITS_TRICKS:
            out[f"digits/{name}"] = np.mean([r["per_step_s"] for r in digits if r["setting"] == name]) / base
    return out


def table(rows: list[dict], costs: dict[str, float] | None = None, data: tuple[str, ...] = ("ring", "grid")) -> str:
    """Markdown: trick | what it changes | the effect on each (data, metric) | cost per step."""
    costs = costs or {}
    cols = [(d, m) for d in data for m in (METRICS_2D if d != "digits" else ("fd",))]
    names = list(dict.fromkeys(r["trick"] for r in rows if r["data"] in data))
    head = ["trick", "what it changes in the game"] + [f"{d} {_UNITS[m][0]}" for d, m in cols] + ["cost per step"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in names:
        mine = {(r["data"], r["metric"]): r for r in rows if r["trick"] == name and r["data"] in data}
        removed = any("removed" in r["setting"] for r in mine.values())
        tricks = DIGITS_TRICKS if data == ("digits",) else TRICKS
        game = REMOVED[name][1] if name in REMOVED else (tricks.get(name) or TRICKS[name]).game
        cells = [fmt_effect(mine[c]) if c in mine else "—" for c in cols]
        key = f"digits/{name}" if data == ("digits",) else name
        cost = f"{costs[key]:.2f}x" if key in costs else "—"
        label = f"{name} (removed)" if removed else name
        lines.append("| " + " | ".join([label, game, *cells, cost]) + " |")
    return "\n".join(lines)
