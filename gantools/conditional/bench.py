"""The measurements behind chapter 11's tables, shared by ``bench/conditional.py`` and the chapter.

- :func:`toy_mode`: one conditioning mode on Gong et al.'s overlapping 1D toy, many seeds
  trained together; per seed the cross-entropy under the true posterior, the generator's
  own H(y|x), the agreement with the Bayes classifier, and each class's W1 and spread.
- :func:`toy_data_row`: the same numbers for the data (quadrature, and a sample of the
  same size as the generated ones: the floor that finite samples put under W1).
- :func:`digits_run`: one conditional DCGAN on the digits, trained through the book's
  trainer (:class:`~gantools.imagegan.ImageGANTrainer`) and judged by the digits
  classifier (:func:`~gantools.conditional.scores.evaluate_conditional`).
- :func:`summary`, :func:`toy_table`, :func:`digits_table`: means with 95% t-intervals
  over seeds, as Markdown.
- :func:`save_reference` / :func:`load_reference`: the committed full run in ``gantools/data``.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np

from ..benchkit import DATA_DIR, read_reference, train_book_dcgan, write_reference
from ..stats import mean_halfwidth
from .theory import bayes_accuracy, conditional_entropy, tac_mixture
from .toy import ToyConditionalConfig, generator_entropy, measure
from .toy import train as train_toy

REFERENCE = "conditional"  # gantools/data/conditional.json: the results
REFERENCE_SAMPLES = "conditional_samples"  # ... and .npz: seed-0 samples and grids
TOY_SAMPLES = 2000  # generated samples per class and seed
ENTROPY_SAMPLES = 1000  # of which the kernel estimate of the generator's own H(y|x) uses these
# the digits modes: TrainConfig overrides of cdcgan (the control is projection on shuffled labels)
DIGITS_MODES = {"concat": {"conditioning": "concat"}, "projection": {"conditioning": "projection"},
                "acgan": {"conditioning": "acgan"},
                "shuffled": {"conditioning": "projection", "shuffle_labels": True}}


def toy_mode(mode: str, seeds, steps: int) -> tuple[dict, np.ndarray]:
    """Train ``mode`` for every seed (one batched run) and measure each seed. Returns
    (result dict with per-seed rows and the CPU seconds, seed-0 samples (K, TOY_SAMPLES))."""
    data = tac_mixture()
    t, w = time.process_time(), time.perf_counter()
    gan = train_toy(ToyConditionalConfig(mode=mode, steps=steps), data, list(seeds))
    cpu, wall = time.process_time() - t, time.perf_counter() - w
    per_class = [gan.sample_class(k, TOY_SAMPLES, seed=1) for k in range(data.n_classes)]  # (S, n) each
    rows = []
    for s, seed in enumerate(gan.seeds):
        xs = [x[s] for x in per_class]
        rows.append({"seed": seed, **measure(xs, data),
                     "entropy": generator_entropy([x[:ENTROPY_SAMPLES] for x in xs], data.prior)})
    return ({"mode": mode, "steps": steps, "cpu_s": cpu, "wall_s": wall, "task_cpu_s": time.process_time() - t,
             "runs": rows}, np.stack([x[0] for x in per_class]))


def toy_data_row(seed: int = 3) -> tuple[dict, np.ndarray]:
    """The data's numbers: H(y|x) and the Bayes accuracy by quadrature, and the sampled
    metrics of TOY_SAMPLES real points per class (what a perfect generator would score)."""
    data = tac_mixture()
    rng = np.random.default_rng(seed)
    xs = [c.sample(TOY_SAMPLES, seed=rng) for c in data.classes]
    return ({"entropy_exact": conditional_entropy(data), "bayes_accuracy": bayes_accuracy(data),
             **measure(xs, data), "entropy": generator_entropy([x[:ENTROPY_SAMPLES] for x in xs], data.prior)},
            np.stack(xs))


def digits_run(mode: str, seed: int, steps: int, out: str, n_per_class: int = 200) -> tuple[dict, np.ndarray]:
    """Train the conditional DCGAN ``mode`` (a key of DIGITS_MODES) on the digits for
    ``steps`` generator steps with ``seed`` into ``out``, then judge it. Returns (metrics
    with the training's CPU and wall seconds, the fixed-noise grid as uint8 (100, 32, 32):
    row r = noise z_r, column = class)."""
    import torch

    from ..classifier import load_classifier
    from ..imagedata import load_dataset
    from ..imagegan import load_generator
    from ..imagegan.sampling import fixed_batch
    from .scores import evaluate_conditional

    if mode not in DIGITS_MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(DIGITS_MODES)}")
    t = time.process_time()
    run = train_book_dcgan(out, seed, steps, model="cdcgan", **DIGITS_MODES[mode])
    trainer, cfg = run.trainer, run.config
    info = json.load(open(os.path.join(out, "run.json")))
    g, _ = load_generator(out)
    x, y = load_dataset("digits", 32)
    result = evaluate_conditional(g, load_classifier("digits"), x, y, n_per_class=n_per_class, seed=0)
    z, labels = fixed_batch(cfg)
    with torch.no_grad():
        grid = ((g(z, labels)[:, 0].clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()
    if cfg.conditioning == "acgan":  # what AC-GAN's own class head says, next to the classifier's verdict
        result.update(aux_accuracy(trainer.D, g, x, y))
    result.update(mode=mode, seed=seed, steps=trainer.step, cpu_s=info["cpu_time_s"], wall_s=info["wall_time_s"],
                  task_cpu_s=time.process_time() - t)  # training + evaluation
    return result, grid


def aux_accuracy(d, g, real, real_labels, n_per_class: int = 64, seed: int = 0) -> dict:
    """AC-GAN's auxiliary classifier (the class head of ``d``) on generated images of every
    class (``aux_accuracy_fake``: does it call G(z, y) class y?) and on real images
    (``aux_accuracy_real``). D runs as in training: train mode, batches of 64, no gradients
    (its batch-norm statistics are restored afterwards)."""
    import copy

    import torch

    from ..imagegan.sampling import generate

    d = copy.deepcopy(d).cpu().train()
    k = g.n_classes
    with torch.no_grad():
        fake = generate(g, k * n_per_class, seed=seed + 500, labels=torch.arange(k).repeat_interleave(n_per_class))
        labels = torch.arange(k).repeat_interleave(n_per_class)
        perm = torch.randperm(len(fake), generator=torch.Generator().manual_seed(seed))
        hits_fake = sum(int((d(fake[perm[i:i + 64]])[1].argmax(1) == labels[perm[i:i + 64]]).sum())
                        for i in range(0, len(fake) - 63, 64))
        idx = torch.randperm(len(real), generator=torch.Generator().manual_seed(seed + 1))
        idx = idx[: len(idx) // 64 * 64]
        yr = torch.as_tensor(real_labels)
        hits_real = sum(int((d(real[idx[i:i + 64]])[1].argmax(1) == yr[idx[i:i + 64]]).sum())
                        for i in range(0, len(idx), 64))
    return {"aux_accuracy_fake": hits_fake / (len(fake) // 64 * 64), "aux_accuracy_real": hits_real / len(idx)}


def summary(values) -> dict:
    """{"mean", "ci"}: the mean over seeds and the half-width of its 95% t-interval."""
    m, h = mean_halfwidth(values)
    return {"mean": m, "ci": h}


def _fmt(s: dict, digits: int = 2, pct: bool = False) -> str:
    f = 100.0 if pct else 1.0
    ci = "" if not np.isfinite(s["ci"]) else f" ± {f * s['ci']:.{digits}f}"
    return f"{f * s['mean']:.{digits}f}{ci}"


def toy_summary(result: dict) -> dict:
    """Per mode: mean and 95% interval over seeds of each measurement (W1 and std per class)."""
    runs = result["runs"]
    out = {k: summary([r[k] for r in runs]) for k in ("cross_entropy", "entropy", "bayes_agreement")}
    for k in ("w1", "std"):
        out[k] = [summary([r[k][c] for r in runs]) for c in range(len(runs[0][k]))]
    return out


def toy_table(ref: dict) -> str:
    """The toy table (Markdown): each mode's measurements next to the data's."""
    d = ref["toy"]["data"]
    lines = ["| | H(y\\|x), own (nats) | cross-entropy under the true p(y\\|x) | Bayes agreement (%) "
             "| W1 per class (0, 1, 2) | spread per class (true 1, 2, 3) |", "|---|---|---|---|---|---|",
             f"| data (exact) | {d['entropy_exact']:.3f} | {d['entropy_exact']:.3f} | {100 * d['bayes_accuracy']:.1f} "
             "| 0 | 1, 2, 3 |",
             f"| data ({TOY_SAMPLES} per class) | {d['entropy']:.3f} | {d['cross_entropy']:.3f} "
             f"| {100 * d['bayes_agreement']:.1f} | {', '.join(f'{w:.2f}' for w in d['w1'])} "
             f"| {', '.join(f'{s:.2f}' for s in d['std'])} |"]
    for mode, res in ref["toy"]["modes"].items():
        s = toy_summary(res)
        lines.append(f"| {mode} ({len(res['runs'])} seeds) | {_fmt(s['entropy'], 3)} | {_fmt(s['cross_entropy'], 3)} "
                     f"| {_fmt(s['bayes_agreement'], 1, pct=True)} | {', '.join(_fmt(w) for w in s['w1'])} "
                     f"| {', '.join(_fmt(w) for w in s['std'])} |")
    return "\n".join(lines)


def digits_summary(runs: list[dict]) -> dict:
    """Per mode: mean and 95% interval over seeds of accuracy, worst class, FD, mean
    per-class FD, intra-class precision and recall, CPU seconds."""
    def per(fn):
        return summary([fn(r) for r in runs])

    return {"accuracy": per(lambda r: r["accuracy"]), "worst_class": per(lambda r: min(r["class_accuracy"])),
            "fd": per(lambda r: r["fd"]), "class_fd": per(lambda r: float(np.mean(r["class_fd"]))),
            "precision": per(lambda r: r["precision"]), "recall": per(lambda r: r["recall"]),
            "cpu_s": per(lambda r: r["cpu_s"])}


def digits_table(ref: dict) -> str:
    """The digits table (Markdown), the real-vs-real floors in the first row."""
    runs = ref["digits"]["runs"]
    first = runs[0]
    lines = ["| mode | seeds | accuracy (%) | worst class (%) | FD | per-class FD | intra-class precision "
             "| intra-class recall | CPU s per run |", "|---|---|---|---|---|---|---|---|---|",
             f"| real vs real (floor) | — | {100 * ref['digits']['classifier_heldout']:.1f} (held out) "
             f"| {100 * min(ref['digits']['classifier_heldout_per_class']):.1f} | {first['fd_floor']:.1f} "
             f"| {np.mean(first['class_fd_floor']):.1f} | {first['precision_floor']:.2f} | {first['recall_floor']:.2f} | — |"]
    for mode in DIGITS_MODES:
        rs = [r for r in runs if r["mode"] == mode]
        if not rs:
            continue
        s = digits_summary(rs)
        lines.append(f"| {mode} | {len(rs)} | {_fmt(s['accuracy'], 1, True)} | {_fmt(s['worst_class'], 1, True)} "
                     f"| {_fmt(s['fd'], 1)} | {_fmt(s['class_fd'], 0)} | {_fmt(s['precision'])} "
                     f"| {_fmt(s['recall'])} | {_fmt(s['cpu_s'], 0)} |")
    return "\n".join(lines)


def save_reference(results: dict, samples: dict[str, np.ndarray], dest: str = DATA_DIR) -> None:
    """Write the bench's results (JSON) and its seed-0 samples and grids (NPZ) atomically."""
    write_reference(REFERENCE, results, samples, dest, npz=REFERENCE_SAMPLES)


def load_reference(dest: str = DATA_DIR) -> tuple[dict, dict[str, np.ndarray]]:
    """The committed full bench: (results, arrays): ``toy/<mode>`` (K, n) seed-0 samples,
    ``toy/data``, and ``digits/<mode>`` (100, 32, 32) uint8 seed-0 grids."""
    return read_reference(REFERENCE, dest, npz=REFERENCE_SAMPLES)
