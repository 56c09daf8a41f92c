"""The ring and grid mode-collapse benchmark of VEEGAN and PacGAN: the methods, the
protocol and the published numbers, shared by ``bench/mode_collapse.py`` and chapter 6.

Protocol (Srivastava et al. 2017; Lin et al. 2018): 2,500 generated samples per run; a
sample is high quality when within 3 standard deviations of its nearest mode; a mode is
captured when it is the nearest mode of at least one high-quality sample. Ring: 8 modes
on a circle of radius 1, std 0.01. Grid: 25 modes on {-4,-2,0,2,4}^2, std 0.05.

Budgets: every trained row takes the same number of generator steps (:data:`STEPS`) with the
same batch; a row's sampler (rejection, Langevin, ...) runs after training on the frozen
generator and its cost is reported separately. Each row is scored with the connected-latent
bound of :mod:`gantools.mode_collapse.bound` (the measured Lipschitz constant of every run).
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..batched import BatchedGAN, BatchedGANConfig
from ..benchkit import DATA_DIR, read_reference, write_reference
from ..distributions import grid, ring
from ..metrics import mode_coverage
from ..ringgrid import BASE, N_SAMPLES, REFERENCE, REFERENCE_SAMPLES, STEPS, fmt, load_reference, score, slug  # noqa: F401  (chapter 6 reads them here)
from ..stats import mean_halfwidth
from . import samplers
from .bound import disc_gap, hq_bound_shares, lipschitz_lower, lipschitz_upper

# Our recipe's generator: a tanh G of noise with std 3, learning rates 3e-3 (decayed to 5%).
OURS = BASE.replace(g_activation="tanh", noise_std=3.0, lr_g=3e-3, lr_d=3e-3)
# The density-ratio discriminator of rejection sampling, trained on the frozen generator: its
# input gets 32 random Fourier features (frequencies log-uniform in 1/4..32 cycles per unit,
# Tancik et al. 2020), so a small MLP can follow a log ratio that changes within a mode's std.
RATIO = {"steps": 3000, "changes": (("d_hidden", 64), ("d_layers", 2), ("d_fourier", 32), ("lr_final", 0.01))}
# The ratio of our previous recipe: a plain 3 x 128 MLP on x, constant learning rate.
RATIO_MLP = {"steps": 3000, "changes": (("d_hidden", 128), ("d_layers", 3))}
# PacGAN's "GAN" row, exactly as its code configures it (fjxmlzn/PacGAN, synthetic_data_experiments):
# G 4 x 400 ReLU with batch norm, D 3 x 200 maxout (5 pieces), N(0, 0.02^2) weights, Adam 1e-4
# with beta1 0.8, batch 100, simultaneous updates, 400 epochs of 1,000 steps = 400,000 steps.
PACGAN_GAN = BatchedGANConfig(g_hidden=400, g_layers=4, d_hidden=200, d_layers=3, g_batchnorm=True, d_maxout=5,
                              init_std=0.02, lr_g=1e-4, lr_d=1e-4, betas=(0.8, 0.999), batch_size=100,
                              simultaneous=True, lr_final=1.0)

SAMPLERS = ("generator", "drs", "jacobian", "langevin")


@dataclass(frozen=True)
class Method:
    """One row of the benchmark: a trained recipe and how its samples are drawn."""

    config: BatchedGANConfig  # the recipe (rows with the same config share one training)
    sampler: str = "generator"  # generator | drs (rejection) | jacobian (rejection) | langevin
    ratio: dict | None = None  # drs / langevin: {"steps": n, "changes": ((field, value), ...)}
    keep: float = 0.8  # jacobian: the fraction of latent points (lowest ||dG/du||) kept
    group: str = "baseline"  # baseline | ours | ablation | extra | escape
    note: str = ""  # every setting that differs from the vanilla GAN (or from ours, for ablations)
    steps: int = STEPS

    def __post_init__(self):
        if self.sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.sampler!r}; choose one of {SAMPLERS}")
        if self.sampler in ("drs", "langevin") and not self.ratio:
            raise ValueError(f"the {self.sampler!r} sampler needs a ratio discriminator (ratio=...)")


_WGAN = dict(g_loss="wasserstein", d_loss="wasserstein", gp_weight=10.0, d_steps=5, betas=(0.5, 0.9))
METHODS: dict[str, Method] = {
    # Baselines: the vanilla GAN and the published fixes, each at the same 4,000 generator steps.
    "GAN (non-saturating)": Method(BASE, note="the vanilla GAN of chapter 4"),
    "GAN (minimax)": Method(BASE.replace(g_loss="minimax"), note="1 setting: the saturating generator loss"),
    "Minibatch std": Method(BASE.replace(minibatch_std=True), note="1 setting: D sees the batch's feature spread"),
    "PacGAN4": Method(BASE.replace(pack=4), note="1 setting: D judges 4 samples at once"),
    "Unrolled GAN (k=5)": Method(BASE.replace(unroll_steps=5), note="1 setting: G's loss against D 5 Adam steps ahead"),
    "WGAN-GP": Method(BASE.replace(**_WGAN), note="5 settings: both losses, penalty 10, 5 critic steps, Adam beta2 0.9"),
    # Our recipe and one single-factor ablation per ingredient (each keeps all the others).
    "Ours: tanh G + DRS": Method(OURS, "drs", RATIO, group="ours",
                                note="4 settings (tanh G, noise std 3, both lr 3e-3) + rejection with a Fourier-feature ratio"),
    "Ours without DRS": Method(OURS, group="ablation", note="ours, samples straight from the generator"),
    "Ours with an MLP ratio": Method(OURS, "drs", RATIO_MLP, group="ablation",
                                     note="ours, the ratio D a plain 3 x 128 MLP (our previous recipe's)"),
    "Ours with ReLU G": Method(OURS.replace(g_activation="relu"), "drs", RATIO, group="ablation",
                               note="ours with the vanilla ReLU generator"),
    "Ours with noise std 1": Method(OURS.replace(noise_std=1.0), "drs", RATIO, group="ablation",
                                    note="ours with the vanilla noise N(0, I)"),
    "Ours with lr 1e-3": Method(OURS.replace(lr_g=1e-3, lr_d=1e-3), "drs", RATIO, group="ablation",
                                note="ours with the vanilla learning rates"),
    # The vanilla GAN with our sampler: does the rest of the recipe matter once the ratio is good?
    "GAN (non-saturating) + DRS": Method(BASE, "drs", RATIO, group="extra",
                                         note="the vanilla GAN, rejection with our Fourier-feature ratio"),
    # Other ways around the connected-latent bound: a different latent measure, same budget.
    "Ours, Jacobian rejection": Method(OURS, "jacobian", keep=0.8, group="escape",
                                       note="keep the 80% of latent points with the smallest ||dG/du||"),
    "Ours, latent Langevin": Method(OURS, "langevin", RATIO, group="escape",
                                    note="Metropolis-adjusted Langevin on N(u) exp(r(G(u))), 100 steps of 0.01"),
    "Ours, mixture latent": Method(OURS.replace(latent_components=100, latent_component_std=0.05), group="escape",
                                   note="noise from 100 Gaussians (random means, std 0.05), no rejection"),
}
BEST = "Ours: tanh G + DRS"
LANGEVIN = {"steps": 100, "step_size": 0.01}

# Published rows (PacGAN Table 1, Lin et al. 2018; VEEGAN Table 1, Srivastava et al. 2017;
# Azadi et al. 2019 for DRS, under their own protocol): (name, ring modes, ring HQ %, grid modes,
# grid HQ %, budget), mean (± standard error) as printed.
PUBLISHED = [
    ("GAN (VEEGAN Table 1)", "1", "99.3", "3.3", "0.5", "—"),
    ("Unrolled GAN (VEEGAN)", "7.6", "35.6", "23.6", "16", "—"),
    ("VEEGAN", "8", "52.9", "24.6", "40", "—"),
    ("GAN (PacGAN Table 1)", "6.3±0.5", "98.2±0.2", "17.3±0.8", "94.8±0.7", "400k steps, 4×400 BN G, 3×200 maxout D"),
    ("ALI (PacGAN Table 1)", "—", "—", "24.1±0.4", "95.7±0.6", "400k steps"),
    ("PacGAN4", "7.8±0.1", "95.9±1.4", "24.8±0.2", "93.6±0.6", "400k steps, 4×400 BN G, 3×200 maxout D"),
    ("DRS (Azadi et al. 2019)", "—", "—", "24.8", "90", "their protocol"),
]
# Rejection sampling bounds the ratio by its 99.9% quantile rather than its maximum: on the
# grid a few spikes of the learned ratio cut the acceptance rate 5-10x (chapter 6).
REJECTION_QUANTILE = 0.999


def training_groups(methods: dict[str, Method]) -> list[tuple[BatchedGANConfig, int, list[str]]]:
    """Rows that share a trained generator (same config and steps), in first-seen order."""
    groups: dict[tuple, list[str]] = {}
    for name, m in methods.items():
        groups.setdefault((m.config, m.steps), []).append(name)
    return [(cfg, steps, names) for (cfg, steps), names in groups.items()]


def draw(gan: BatchedGAN, m: Method, n: int = N_SAMPLES, seed: int = 12345, quick: bool = False,
         ratios: dict | None = None) -> np.ndarray:
    """Samples (S, n, 2) of every run of a trained ``gan`` by the row's sampler; ``ratios``
    caches the trained ratio discriminators, so rows with the same ratio share it."""
    if m.sampler == "generator":
        return gan.sample(n, seed=seed)
    if m.sampler == "jacobian":
        return samplers.jacobian_rejection(gan, n, keep=m.keep, seed=seed)
    steps = min(m.ratio["steps"], 200) if quick else m.ratio["steps"]
    ratios = {} if ratios is None else ratios
    key = (steps, tuple(m.ratio["changes"]))
    if key not in ratios:
        ratios[key] = gan.density_ratio(steps, **dict(m.ratio["changes"]))
    ratio = ratios[key]
    if m.sampler == "drs":
        return gan.rejection_sample(ratio, n, seed=seed, quantile=REJECTION_QUANTILE)
    return samplers.latent_langevin(gan, ratio, n, seed=seed, steps=10 if quick else LANGEVIN["steps"],
                                   step_size=LANGEVIN["step_size"])


def run_group(config: BatchedGANConfig, steps: int, rows: dict[str, Method], seeds: list[int],
              out: str | None = None, quick: bool = False) -> dict[str, dict]:
    """Train len(seeds) ring runs and len(seeds) grid runs of ``config`` in one batch, then
    draw 2,500 samples per run for every row in ``rows`` (which share this generator), score
    them and save them under ``out``. The first row's result also holds ``generator_runs``:
    every run's generator alone, with its measured Lipschitz constants (lower: the largest
    ||dG/du|| seen; upper: the certified product of norms) and its connected-latent bound
    for each. Returns {row name: result dict}."""
    targets = [ring()] * len(seeds) + [grid()] * len(seeds)
    t0, c0 = time.perf_counter(), time.process_time()
    gan = BatchedGAN(config, seeds=seeds + seeds).train(targets, steps)
    train_s, train_cpu = time.perf_counter() - t0, time.process_time() - c0
    gaussian = not config.latent_components
    L_lo = lipschitz_lower(gan, targets, n=5000, pairs=200) if gaussian else np.full(gan.runs, np.nan)
    L_hi = lipschitz_upper(gan) if gaussian else np.full(gan.runs, np.nan)
    # the generator alone, scored against its connected-latent bound (every trained recipe)
    plain = gan.sample(N_SAMPLES, seed=12345)
    generator_runs: dict[str, list] = {}
    for i, target in enumerate(targets):
        which, seed = ("ring", seeds[i]) if i < len(seeds) else ("grid", seeds[i - len(seeds)])
        r = score(plain[i], target, seed)
        r.update(L_lower=float(L_lo[i]), L_upper=float(L_hi[i]))
        if gaussian and r["hq"] > 0:
            r["bound"] = hq_bound_shares(r["counts"], L_lo[i], disc_gap(target))
            r["bound_certified"] = hq_bound_shares(r["counts"], L_hi[i], disc_gap(target))
        generator_runs.setdefault(which, []).append(r)
    results, ratios = {}, {}
    for name, m in rows.items():
        t1, c1 = time.perf_counter(), time.process_time()
        x = plain if m.sampler == "generator" else draw(gan, m, quick=quick, ratios=ratios)
        res = {"config": asdict(config), "steps": steps, "sampler": m.sampler, "ratio": m.ratio, "keep": m.keep,
               "group": m.group, "note": m.note, "train_s": train_s, "train_cpu_s": train_cpu,
               "shares_training_with": next(iter(rows)) if results else None,
               "sample_s": time.perf_counter() - t1, "sample_cpu_s": time.process_time() - c1, "runs": {}}
        for i, target in enumerate(targets):
            which, seed = ("ring", seeds[i]) if i < len(seeds) else ("grid", seeds[i - len(seeds)])
            if out is not None:
                folder = os.path.join(out, which, slug(name))
                os.makedirs(folder, exist_ok=True)
                np.save(os.path.join(folder, f"seed{seed}.npy"), x[i].astype(np.float32))
            r = generator_runs[which][i % len(seeds)] if m.sampler == "generator" else score(x[i], target, seed)
            res["runs"].setdefault(which, []).append(r)
        if not results:
            res["generator_runs"] = generator_runs
        results[name] = res
    return results


def summary(result: dict) -> dict:
    """Mean and 95% confidence half-width over seeds of modes, HQ %, KL and width, per target."""
    out = {}
    for which, runs in result["runs"].items():
        out[which] = {
            "modes": mean_halfwidth([r["modes"] for r in runs]),
            "hq_pct": mean_halfwidth([100 * r["hq"] for r in runs]),
            "kl": mean_halfwidth([r["kl"] for r in runs]),
            # runs without a single high-quality sample have no width: average the others
            "width": mean_halfwidth([r["width"] for r in runs if np.isfinite(r["width"])] or [float("nan")]),
        }
    return out


def table(results: dict[str, dict], n_seeds: int, published: bool = True) -> str:
    """Our rows (mean ± 95% confidence half-width over seeds) and the published rows, as
    Markdown. "train s" is the wall time of the row's training (shared by the rows that
    sample one generator), "sample s" that of its sampler; both on the bench's machine."""
    lines = ["| method | G steps | ring modes /8 | ring HQ % | ring KL | grid modes /25 | grid HQ % | grid KL "
             "| train s | sample s |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name, res in results.items():
        s = summary(res)
        d_steps = res["config"]["d_steps"]
        train = f"with {res['shares_training_with']}" if res.get("shares_training_with") else f"{res['train_s']:.0f}"
        lines.append(f"| {name} | {res['steps']}" + (f" (×{d_steps} D)" if d_steps > 1 else "")
                     + f" | {fmt(s['ring']['modes'])} | {fmt(s['ring']['hq_pct'])} | {fmt(s['ring']['kl'], 2)} "
                     f"| {fmt(s['grid']['modes'])} | {fmt(s['grid']['hq_pct'])} | {fmt(s['grid']['kl'], 2)} "
                     f"| {train} | {res['sample_s']:.0f} |")
    if published:
        lines += [f"| {p[0]} | {p[5]} | {p[1]} | {p[2]} | — | {p[3]} | {p[4]} | — | — | — |" for p in PUBLISHED]
    return "\n".join(lines)


REFERENCE_CURVE = "mode_collapse_pacgan_curve"  # ... and .json: ``--pacgan-steps``'s learning curve


def save_reference(results: dict, out: str, dest: str | None = None) -> None:
    """Copy a benchmark's results and every method's seed-0 samples from ``out`` into the
    package (what chapter 6 displays without retraining, on CPU and on Colab), atomically."""
    arrays = {f"{which}/{slug(name)}": np.load(os.path.join(out, which, slug(name), "seed0.npy"))
              for name in results["methods"] for which in ("ring", "grid")}
    write_reference(REFERENCE, results, arrays, dest or DATA_DIR, npz=REFERENCE_SAMPLES)


def load_pacgan_curve(dest: str | None = None) -> dict:
    """The committed CPU learning curve of PacGAN's published GAN (``--pacgan-steps``)."""
    return read_reference(REFERENCE_CURVE, dest or DATA_DIR)[0]



def pacgan_curve(steps: int, seeds: list[int], every: int = 1000, device: str = "cpu",
                 callback=None, config: BatchedGANConfig = PACGAN_GAN) -> dict[str, Any]:
    """PacGAN's published GAN configuration (:data:`PACGAN_GAN`) on the grid: the HQ fraction
    and modes of 2,500 samples from fixed noise (sampling-mode batch norm, as PacGAN's
    MetricLogger) every ``every`` steps and at the last. Returns {"steps", "hq" (T, S), "modes" (T, S),
    "wall_s"}; ``callback(curve)`` after each evaluation (e.g. to save it)."""
    target = grid()
    gan = BatchedGAN(config, seeds=seeds, device=device)
    curve: dict[str, Any] = {"steps": [], "hq": [], "modes": [], "wall_s": []}
    t0 = time.perf_counter()

    def record(g: BatchedGAN) -> None:
        if g.step % every == 0 or g.step == steps:
            x = g.sample(N_SAMPLES, seed=2333)
            cov = [mode_coverage(xi, target) for xi in x]
            curve["steps"].append(g.step)
            curve["hq"].append([c.hq_fraction for c in cov])
            curve["modes"].append([c.modes_captured for c in cov])
            curve["wall_s"].append(time.perf_counter() - t0)
            if callback is not None:
                callback(curve)

    gan.train(target, steps, callbacks=[record])
    return curve

