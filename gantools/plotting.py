"""The book's figure style, its colours, and animations that play without a kernel.

One colour per role, across the whole book: data (blue), generator (orange),
discriminator (purple), the optimal discriminator D* (black, dashed), divergences
(green for JSD, gold for W1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation

DATA = "#1f5f99"  # p_data, real samples
GEN = "#e8702a"  # p_g, generated samples
DISC = "#6a3d9a"  # a trained discriminator D(x)
OPTIMAL = "#222222"  # the optimal discriminator D*(x)
JSD = "#2a9d8f"  # Jensen-Shannon divergence
W1 = "#c9a227"  # Wasserstein-1 distance
LOSS_D = "#7f7f7f"  # discriminator loss
LOSS_G = "#d62728"  # generator loss

STYLE = {
    "figure.figsize": (7.0, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "savefig.bbox": "tight",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "font.size": 10,
    "lines.linewidth": 2.0,
    "animation.html": "jshtml",
    "animation.embed_limit": 30.0,  # MB
}


def use_book_style() -> None:
    """Apply the book's matplotlib style (called by the setup cell)."""
    mpl.rcParams.update(STYLE)


def plot_densities(ax, x: np.ndarray, p_data=None, p_g=None, D=None, D_star=None, fill: bool = True):
    """Draw p_data and p_g (objects with ``pdf`` or arrays on x) and, on a twin axis,
    D(x) and D*(x) (callables or arrays). Returns the twin axis (or None)."""

    def values(f):
        return f.pdf(x) if hasattr(f, "pdf") else (f(x) if callable(f) else np.asarray(f))

    for dist, color, label in ((p_data, DATA, "$p_{data}$"), (p_g, GEN, "$p_g$")):
        if dist is not None:
            y = values(dist)
            ax.plot(x, y, color=color, label=label)
            if fill:
                ax.fill_between(x, y, color=color, alpha=0.15, lw=0)
    ax.set_xlabel("$x$")
    ax.set_ylabel("density")
    twin = None
    if D is not None or D_star is not None:
        twin = ax.twinx()
        twin.set_ylim(-0.02, 1.02)
        twin.set_ylabel("discriminator output")
        twin.grid(False)
        twin.spines["right"].set_visible(True)
        if D is not None:
            twin.plot(x, values(D), color=DISC, label="$D(x)$")
        if D_star is not None:
            twin.plot(x, values(D_star), color=OPTIMAL, ls="--", lw=1.5, label="$D^*(x)$")
    handles, labels = ax.get_legend_handles_labels()
    if twin is not None:
        h2, l2 = twin.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    if handles:
        ax.legend(handles, labels, loc="upper left")
    return twin


def jshtml(fig, update: Callable[[int], Sequence], frames: int, interval: int = 150):
    """Animate ``update(i)`` over ``frames`` frames and return an HTML player (matplotlib's
    ``to_jshtml``) that plays in the rendered book without a kernel. Closes ``fig``."""
    from IPython.display import HTML

    anim = animation.FuncAnimation(fig, update, frames=frames, interval=interval, blit=False)
    html = anim.to_jshtml(default_mode="once")
    plt.close(fig)
    return HTML(html)
