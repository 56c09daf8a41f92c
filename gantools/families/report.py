"""Chapter 14's tables, from a benchmark result (``bench/generative_families.py``) and chapter
6's committed GAN rows: the 2D table (modes / HQ / KL per family), the digits table (FD,
precision, recall) and the seeds' comparison table rebuilt from measurements."""

from __future__ import annotations

from ..ringgrid import N_SAMPLES, fmt
from .bench import chapter6_rows, digits_summary, summarise


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

