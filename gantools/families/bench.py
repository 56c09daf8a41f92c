"""Chapter 14's benchmark: a VAE and a diffusion model under chapter 6's protocol, next to
chapter 6's GANs, and the three families on the digits.

2D. The ring and the grid, 10 seeds each, 2,500 samples per run, modes / HQ / KL exactly as
chapter 6 (:func:`gantools.ringgrid.score`). Every model trains for chapter 6's 4,000
steps of batch 128 (a GAN step is one D and one G update; a VAE or diffusion step is one
update of its networks) with MLPs of the same kind. The GAN rows are chapter 6's committed
runs (same seeds, same scoring). Settings were fixed before the 10-seed run on pilot runs
with seeds 0 and 1: for the VAE, the KL warm-up (without it some runs collapse to the data
mean); for the diffusion model, 16 random Fourier features of x per coordinate and Adam at
3e-3 (without them the grid's HQ stays under 10%, see the chapter).

Sampler families, one folder each: ``vae-mean`` (decoder means), ``vae-noise`` (decoder
means plus the decoder's noise: the model's density) and ``diffusion-nfe<k>`` (DDIM with k
network evaluations per sample, k in :data:`NFES`).

Digits. The book's DCGAN (chapter 8's trainer, 800 steps of 64 images), a VAE and a diffusion
model (MLPs on the 64 pixels, each given at most the DCGAN's CPU time; the VAE's latent size,
4, was picked over 16 on a pilot of seeds 0 and 1), 3 seeds each; 800
samples scored by Fréchet distance, precision and recall in the digits classifier's features
against 800 real images (:func:`gantools.evaluation.evaluate_images`).

Images at 32x32. Not part of the benchmark: :func:`image_families` is the chapter's GPU run
(one seed) of a VAE and a diffusion model on the 1,024 pixels of Fashion-MNIST (or MNIST, or
the digits upsampled), with wider MLPs (:data:`VAE_IMAGES`, :data:`DDPM_IMAGES`) than the
digits' 64 pixels need, the noise predictor learning a residual (``skip``) and DDIM clipping
its estimate of the clean image into the pixel range (``clip``). These were chosen on CPU
pilots on Fashion-MNIST (2,000 steps, seed 0, not committed): without the residual and the
clipping the diffusion model's samples were saturated noise.
"""

from __future__ import annotations

import os
import re
import time

import numpy as np
import torch

from ..benchkit import DATA_DIR, read_reference, train_book_dcgan, write_reference
from ..distributions import grid, ring
from ..ringgrid import BASE, N_SAMPLES, STEPS, fmt, score
from ..stats import mean_halfwidth, welch_difference
from .diffusion import BatchedDDPM, DDPMConfig
from .vae import BatchedVAE, VAEConfig

NFES = (1, 2, 5, 10, 20, 50, 100, 1000)
VAE_2D = VAEConfig(latent=2, hidden=128, layers=2, lr=3e-3, kl_warmup=0.5)
DDPM_2D = DDPMConfig(hidden=128, layers=3, x_fourier=16, x_fourier_max=64.0, lr=3e-3)
VAE_DIGITS = VAEConfig(latent=4, hidden=256, layers=2, lr=1e-3, kl_warmup=0.5)
DDPM_DIGITS = DDPMConfig(hidden=512, layers=3, lr=1e-3)
DIGITS_STEPS = {"gan": 800, "vae": 16000, "diffusion": 4000}  # CPU s per run: ~80, ~70, ~55
DIGITS_SEEDS = 3
DIGITS_NFES = (10, 100, 1000)
DIGITS_N = 800  # generated and real images per digits score (2 x 800 <= 1,797)
IMAGE_SIDE = 32  # the full runs: 32x32 images flattened to 1,024 pixels in [0, 1]
VAE_IMAGES = VAEConfig(latent=16, hidden=512, layers=2, lr=1e-3, kl_warmup=0.5)
DDPM_IMAGES = DDPMConfig(hidden=1024, layers=3, lr=1e-3, skip=True)
IMAGE_FAMILIES = ("vae-mean", "vae-noise", "diffusion-nfe100")  # what image_families scores
SAMPLE_SEED = 12345  # the noise of the scored samples, as in chapter 6
GAN_ROWS = ("GAN (non-saturating)", "Ours: tanh G + DRS")  # chapter 6's vanilla GAN and its best row
REFERENCE = "families"  # gantools/data/families.json: the result
REFERENCE_SAMPLES = "families_seed0"  # ... and .npz: every family's seed-0 samples


KINDS = ("gan", "vae", "diffusion")  # what the bench trains (the 2D GAN rows come from chapter 6)


def families(nfes=NFES, kinds=KINDS) -> list[str]:
    """The sampler families of the 2D benchmark, in table order."""
    return (["vae-mean", "vae-noise"] if "vae" in kinds else []) + (
        [f"diffusion-nfe{k}" for k in nfes] if "diffusion" in kinds else [])


def parse_kinds(text: str) -> tuple[str, ...]:
    """"vae,diffusion" -> ("vae", "diffusion"), in :data:`KINDS` order; ValueError naming an
    unknown family."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in names if t not in KINDS]
    if unknown or not names:
        raise ValueError(f"unknown family {unknown[0] if unknown else text!r}; choose from {', '.join(KINDS)}")
    return tuple(k for k in KINDS if k in names)


def parse_family(name: str) -> tuple[str, int | None]:
    """("vae", None) for vae-mean / vae-noise, ("diffusion", k) for diffusion-nfe<k>."""
    if name in ("vae-mean", "vae-noise"):
        return "vae", None
    m = re.fullmatch(r"diffusion-nfe(\d+)", name)
    if m is None:
        raise ValueError(f"unknown family {name!r}; choose vae-mean, vae-noise or diffusion-nfe<k> (k in 1..1000)")
    k = int(m.group(1))
    if not 1 <= k <= DDPM_2D.T:
        raise ValueError(f"nfe must be in 1..{DDPM_2D.T}, got {k} (family {name!r})")
    return "diffusion", k


def _timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def _save(out: str | None, which: str, family: str, seed: int, x: np.ndarray) -> None:
    if out is not None:
        folder = os.path.join(out, which, family)
        os.makedirs(folder, exist_ok=True)
        np.save(os.path.join(folder, f"seed{seed}.npy"), x.astype(np.float32))


def run_2d(kind: str, seeds, steps: int = STEPS, nfes=NFES, out: str | None = None) -> dict:
    """Train ``kind`` (vae | diffusion) on len(seeds) ring and len(seeds) grid runs in one batch,
    draw 2,500 samples per run with each sampler, save and score them. Returns {family: {"ring":
    [per seed], "grid": [...], "sample_s", "samples_per_s"}, "train_s", "train_cpu_s", "steps"}."""
    seeds = [int(s) for s in seeds]
    targets = [ring()] * len(seeds) + [grid()] * len(seeds)
    if kind == "vae":
        model, wall, cpu = _timed(lambda: BatchedVAE(VAE_2D, seeds + seeds).train(targets, steps))
        samplers = {"vae-mean": lambda: model.sample(N_SAMPLES, SAMPLE_SEED, noise=False),
                    "vae-noise": lambda: model.sample(N_SAMPLES, SAMPLE_SEED, noise=True)}
    elif kind == "diffusion":
        for k in nfes:
            parse_family(f"diffusion-nfe{k}")
        model, wall, cpu = _timed(lambda: BatchedDDPM(DDPM_2D, seeds + seeds).train(targets, steps))
        samplers = {f"diffusion-nfe{k}": (lambda k=k: model.sample(N_SAMPLES, k, SAMPLE_SEED)) for k in nfes}
    else:
        raise ValueError(f"unknown family {kind!r}; choose vae or diffusion")
    res: dict = {"train_s": wall, "train_cpu_s": cpu, "steps": steps, "n_seeds": len(seeds)}
    for family, draw in samplers.items():
        x, s_wall, _ = _timed(draw)
        row: dict = {"sample_s": s_wall, "samples_per_s": x.shape[0] * x.shape[1] / s_wall, "ring": [], "grid": []}
        for i, target in enumerate(targets):
            which, seed = ("ring" if i < len(seeds) else "grid"), seeds[i % len(seeds)]
            _save(out, which, family, seed, x[i])
            r = score(x[i], target, seed)
            row[which].append({k: r[k] for k in ("seed", "modes", "hq", "kl", "width")})
        res[family] = row
    return res


def gan_sampling_speed(runs: int = 20, reps: int = 5) -> float:
    """Samples per second of chapter 6's generator (the vanilla GAN's shape, 2,500 samples for
    each of ``runs`` runs at once); the speed does not depend on the trained weights."""
    from ..batched import BatchedGAN

    gan = BatchedGAN(BASE, seeds=range(runs))
    gan.sample(N_SAMPLES, seed=0)  # warm-up
    _, wall, _ = _timed(lambda: [gan.sample(N_SAMPLES, seed=i) for i in range(reps)])
    return runs * N_SAMPLES * reps / wall


# -- digits -------------------------------------------------------------------------------------
def digits_pixels() -> np.ndarray:
    """The 1,797 digits as (N, 64) pixels in [0, 1] (8 x 8, the data before any resizing)."""
    from ..imagedata import digits_8x8

    return digits_8x8()[0].reshape(-1, 64).numpy()


def to_images(x: np.ndarray, side: int = 8, image_size: int = 32) -> torch.Tensor:
    """Generated images flattened to side^2 pixels in [0, 1] -> (n, 1, image_size, image_size)
    in [-1, 1], through the same clamp-and-resize as :func:`gantools.imagedata.load_dataset`."""
    from ..imagedata import resize

    t = torch.as_tensor(x, dtype=torch.float32).clamp(0, 1).reshape(-1, 1, side, side)
    return resize(t, image_size).clamp(0, 1) * 2 - 1


def _score_digits(images: torch.Tensor, scorer) -> dict:
    from ..evaluation import evaluate_images

    ev = evaluate_images(images, "digits", 32, seed=0, scorer=scorer)
    return {k: float(ev[k]) for k in ("fd", "fd_real", "precision", "recall")} | {
        "classes_captured": int(ev["classes_captured"])}


def digits_families(kind: str, seeds, steps: int, nfes=DIGITS_NFES) -> list[dict]:
    """The VAE or diffusion rows on the digits: ``kind`` (vae | diffusion) trained on the 64
    pixels with len(seeds) runs in one batch; per (sampler family, seed) FD, precision, recall,
    training CPU time per run and sampling speed."""
    from ..evaluation import ImageScorer

    torch.set_num_threads(1)
    seeds = [int(s) for s in seeds]
    pixels, scorer = digits_pixels(), ImageScorer("digits", 32)
    if kind == "vae":
        model, _, cpu = _timed(lambda: BatchedVAE(VAE_DIGITS, seeds).train(pixels, steps))
        samplers = {"vae-mean": lambda: model.sample(DIGITS_N, SAMPLE_SEED, noise=False),
                    "vae-noise": lambda: model.sample(DIGITS_N, SAMPLE_SEED, noise=True)}
    elif kind == "diffusion":
        model, _, cpu = _timed(lambda: BatchedDDPM(DDPM_DIGITS, seeds).train(pixels, steps))
        samplers = {f"diffusion-nfe{k}": (lambda k=k: model.sample(DIGITS_N, k, SAMPLE_SEED)) for k in nfes}
    else:
        raise ValueError(f"unknown family {kind!r}; choose vae or diffusion")
    out = []
    for family, draw in samplers.items():
        x, wall, _ = _timed(draw)
        for i, seed in enumerate(seeds):
            row = {"family": family, "seed": seed, "steps": steps, "train_cpu_s": cpu / len(seeds),
                   "samples_per_s": x.shape[0] * x.shape[1] / wall}
            out.append(row | _score_digits(to_images(x[i]), scorer))
    return out


def digits_gan(seed: int, steps: int, out: str) -> dict:
    """The book's DCGAN on the digits (chapter 8's trainer), scored like the other families."""
    from ..evaluation import ImageScorer
    from ..imagegan.sampling import generate, load_generator

    cpu = train_book_dcgan(out, seed, steps).cpu_s
    g, _ = load_generator(out)
    with torch.no_grad():
        images, wall, _ = _timed(lambda: generate(g, DIGITS_N, seed=SAMPLE_SEED))
    return {"family": "gan", "seed": seed, "steps": steps, "train_cpu_s": cpu, "samples_per_s": DIGITS_N / wall,
            **_score_digits(images, ImageScorer("digits", 32))}


def image_families(dataset: str, steps: int, device: str | torch.device = "cpu", n: int = DIGITS_N,
                   seed: int = 0) -> tuple[BatchedVAE, dict[str, dict]]:
    """Chapter 14's full branch: a VAE (:data:`VAE_IMAGES`) and a diffusion model
    (:data:`DDPM_IMAGES`), one run each (``seed``), trained for ``steps`` on ``dataset``'s
    training images at 32x32 (one channel: digits, mnist or fashion-mnist), flattened to 1,024
    pixels in [0, 1]; DDIM clips its x0 estimate into the pixel range. ``n`` samples of each
    family in :data:`IMAGE_FAMILIES` are judged by
    :func:`gantools.evaluation.evaluate_images` (FD, precision and recall in the dataset
    classifier's features, beside the held-out and blurred yardsticks). Returns (the VAE, {family:
    evaluation})."""
    from ..evaluation import ImageScorer, evaluate_images
    from ..imagedata import CHANNELS, check_dataset, load_dataset

    if CHANNELS[check_dataset(dataset)] != 1:
        raise ValueError(f"the full runs model one-channel images (digits, mnist, fashion-mnist), got {dataset!r}")
    images, _ = load_dataset(dataset, IMAGE_SIDE)
    flat = ((images + 1) / 2).reshape(len(images), -1).numpy()
    vae = BatchedVAE(VAE_IMAGES, [seed], device).train(flat, steps)
    ddpm = BatchedDDPM(DDPM_IMAGES, [seed], device).train(flat, steps)
    draws = {"vae-mean": vae.sample(n, SAMPLE_SEED)[0], "vae-noise": vae.sample(n, SAMPLE_SEED, noise=True)[0],
             "diffusion-nfe100": ddpm.sample(n, 100, SAMPLE_SEED, clip=True)[0]}
    scorer = ImageScorer(dataset, IMAGE_SIDE)
    return vae, {name: evaluate_images(to_images(x, IMAGE_SIDE, IMAGE_SIDE), dataset, IMAGE_SIDE, seed=0,
                                       scorer=scorer) for name, x in draws.items()}


# -- tables -----------------------------------------------------------------------------------------
def chapter6_rows(chapter6: dict) -> dict:
    """Chapter 6's GAN rows in this benchmark's shape (per-seed modes / HQ / KL, times)."""
    rows = {}
    for name in GAN_ROWS:
        m = chapter6["methods"][name]
        sample_s = m["sample_s"]
        rows[name] = {"ring": m["runs"]["ring"], "grid": m["runs"]["grid"], "train_s": m["train_s"],
                      "train_cpu_s": m["train_cpu_s"], "sample_s": sample_s, "steps": m["steps"],
                      "sampler": m["sampler"]}
    return rows


def summarise(row: dict) -> dict:
    """Mean and 95% t half-width over seeds of modes, HQ % and KL, per target."""
    return {w: {"modes": mean_halfwidth([r["modes"] for r in row[w]]), "hq_pct": mean_halfwidth([100 * r["hq"] for r in row[w]]),
                "kl": mean_halfwidth([r["kl"] for r in row[w]])} for w in ("ring", "grid")}


def digits_summary(rows: list[dict]) -> dict:
    """{family: {metric: (mean, 95% t half-width)}} over seeds, for fd, precision, recall,
    train_cpu_s and samples_per_s."""
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r["family"], []).append(r)
    return {f: {k: mean_halfwidth([r[k] for r in rs]) for k in ("fd", "precision", "recall", "train_cpu_s",
                                                            "samples_per_s")} | {"steps": rs[0]["steps"]}
            for f, rs in by.items()}


def contrast(rows: list[dict], a: str, b: str, metric: str):
    """mean metric of family ``a`` minus family ``b`` over seeds, with Welch's 95% t-interval
    (a :class:`gantools.stats.Interval`; its ``verdict`` calls 3 seeds an illustration)."""
    va = [r[metric] for r in rows if r["family"] == a]
    vb = [r[metric] for r in rows if r["family"] == b]
    if not va or not vb:
        raise ValueError(f"no digits runs of family {a if not va else b!r}")
    return welch_difference(va, vb)


def save_reference(result: dict, out: str, dest: str = DATA_DIR) -> None:
    """Write the benchmark's result and every family's seed-0 samples (from ``out``) into the
    package, atomically."""
    arrays = {f"{w}/{fam}": np.load(os.path.join(out, w, fam, "seed0.npy")).astype(np.float16)
              for w in ("ring", "grid") for fam in result["families"]}
    write_reference(REFERENCE, result, arrays, dest, npz=REFERENCE_SAMPLES)


def load_reference(dest: str = DATA_DIR) -> tuple[dict, dict[str, np.ndarray]]:
    """The committed benchmark: (result, {"<ring|grid>/<family>": (2500, 2) seed-0 samples})."""
    result, samples = read_reference(REFERENCE, dest, npz=REFERENCE_SAMPLES)
    return result, {k: v.astype(np.float32) for k, v in samples.items()}


# -- the chapter's tables -----------------------------------------------------------------------
def rows_2d(result: dict, chapter6: dict) -> dict[str, dict]:
    """{row name: {"ring", "grid", "train_s", "samples_per_s", "steps", "nfe"}}: chapter 6's GAN
    rows, then every VAE and diffusion family of ``result``."""
    rows = {}
    for name, r in chapter6_rows(chapter6).items():
        runs = len(r["ring"]) + len(r["grid"])
        speed = result.get("gan_samples_per_s") if r["sampler"] == "generator" else runs * N_SAMPLES / r["sample_s"]
        rows[name] = r | {"samples_per_s": speed, "nfe": 1}
    for kind in ("vae", "diffusion"):
        res = result["2d"].get(kind)
        if res is None:
            continue
        for family in result["families"]:
            if family in res:
                nfe = int(family.split("nfe")[1]) if kind == "diffusion" else 1
                rows[family] = res[family] | {"train_s": res["train_s"], "steps": res["steps"], "nfe": nfe}
    return rows


def table_2d(result: dict, chapter6: dict) -> str:
    """Markdown: one row per family, mean ± 95% t half-width over seeds."""
    lines = ["| family | NFE per sample | ring modes /8 | ring HQ % | ring KL | grid modes /25 | grid HQ % | grid KL "
             "| samples / s | train s (20 runs) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in rows_2d(result, chapter6).items():
        s = summarise(r)
        speed = r.get("samples_per_s")
        lines.append(f"| {name} | {r['nfe']} | {fmt(s['ring']['modes'])} | {fmt(s['ring']['hq_pct'])} "
                     f"| {fmt(s['ring']['kl'], 2)} | {fmt(s['grid']['modes'])} | {fmt(s['grid']['hq_pct'])} "
                     f"| {fmt(s['grid']['kl'], 2)} | {speed:,.0f} | {r['train_s']:.0f} |")
    return "\n".join(lines)


def digits_table(result: dict) -> str:
    """Markdown: FD, precision, recall (mean ± 95% t half-width over seeds) per digits family."""
    lines = ["| family | steps | FD | precision | recall | train CPU s per run | samples / s |",
             "|---|---|---|---|---|---|---|"]
    for family, s in digits_summary(result["digits"]).items():
        lines.append(f"| {family} | {s['steps']} | {fmt(s['fd'])} | {fmt(s['precision'], 2)} "
                     f"| {fmt(s['recall'], 2)} | {s['train_cpu_s'][0]:.0f} | {s['samples_per_s'][0]:,.0f} |")
    return "\n".join(lines)

