"""Watching a 1D toy GAN train: snapshots of p_g, D(x), the exact JSD and the losses.

A :class:`TrainingMonitor` is a callback for :meth:`gantools.toy.ToyGAN.train`. Every
``every`` steps it stores, on a fixed grid of x values, the generator's density estimate
(:meth:`~gantools.toy.ToyGAN.generator_density`) and the discriminator's output D(x),
together with the Jensen-Shannon divergence between that estimate and p_data, computed by
quadrature (:func:`gantools.theory.js_divergence`), and the two losses averaged over the
steps since the previous snapshot. :func:`animate` turns the snapshots into an HTML
player that runs without a kernel.

    mon = TrainingMonitor(p_data, x=np.linspace(-5, 5, 301), every=100)
    gan.train(p_data, steps=3000, callbacks=[mon])
    mon.steps, mon.jsd, mon.loss_D, mon.loss_G  # (F,) each, F snapshots
    mon.p_g, mon.D                             # (F, X) each, X grid points
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from .plotting import DATA, DISC, GEN, jshtml
from .theory import js_divergence


class TrainingMonitor:
    """Record snapshots of a 1D ToyGAN during training (a ``ToyGAN.train`` callback).

    Args:
        p_data: the data distribution (1D, with ``pdf`` and quadrature breakpoints, e.g.
            a :class:`gantools.distributions.GaussianMixture`).
        x: the grid on which p_g and D are stored, shape (X,).
        every: take a snapshot on every ``every``-th step and on step 1.
        n_kde: noise values behind the density estimate of p_g.
        bandwidth: kernel width of that estimate; None is Silverman's rule, which
            over-smooths multimodal densities (and so inflates the JSD of a good G).

    Attributes (arrays, one row per snapshot, F snapshots in all):
        steps: (F,) the generator step of each snapshot (0 for :meth:`record` before training).
        jsd: (F,) JSD(p_data, p_g) in nats, in [0, log 2].
        loss_D, loss_G: (F,) the mean losses over the steps since the previous snapshot
            (NaN for a snapshot taken outside training).
        p_g: (F, X) the density estimate of p_g on ``x``.
        D: (F, X) the discriminator's output D(x) = sigma(a(x)) on ``x``.
    """

    def __init__(self, p_data, x: np.ndarray, every: int = 100, n_kde: int = 500,
                 bandwidth: float | None = 0.1):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        x = np.asarray(x, dtype=float)
        if x.ndim != 1 or x.size < 2:
            raise ValueError(f"x must be a 1D grid of at least 2 points, got shape {x.shape}")
        self.p_data, self.x, self.every = p_data, x, every
        self.n_kde, self.bandwidth = n_kde, bandwidth
        self._rows: list[dict] = []
        self._pending: dict[str, list[float]] = {"loss_D": [], "loss_G": []}

    def record(self, gan, loss_D: float = math.nan, loss_G: float = math.nan) -> None:
        """Take one snapshot of ``gan`` now (e.g. before training, at step 0)."""
        p_g = gan.generator_density(self.n_kde, self.bandwidth)
        self._rows.append({
            "steps": gan.step,
            "jsd": js_divergence(self.p_data, p_g),
            "loss_D": loss_D,
            "loss_G": loss_G,
            "p_g": p_g.pdf(self.x),
            "D": gan.discriminator(self.x),
        })

    def __call__(self, gan, logs: dict) -> None:
        for k in self._pending:
            self._pending[k].append(logs[k])
        if logs["step"] % self.every == 0 or logs["step"] == 1:
            self.record(gan, **{k: float(np.mean(v)) for k, v in self._pending.items()})
            self._pending = {k: [] for k in self._pending}

    def _column(self, key: str) -> np.ndarray:
        return np.array([r[key] for r in self._rows])

    @property
    def steps(self) -> np.ndarray:
        return self._column("steps")

    @property
    def jsd(self) -> np.ndarray:
        return self._column("jsd")

    @property
    def loss_D(self) -> np.ndarray:
        return self._column("loss_D")

    @property
    def loss_G(self) -> np.ndarray:
        return self._column("loss_G")

    @property
    def p_g(self) -> np.ndarray:
        return self._column("p_g").reshape(len(self._rows), self.x.size)

    @property
    def D(self) -> np.ndarray:
        return self._column("D").reshape(len(self._rows), self.x.size)

    def __len__(self) -> int:
        return len(self._rows)


def animate(monitor: TrainingMonitor, frames: int = 30, figsize: tuple[float, float] = (6.0, 3.0),
            dpi: int = 80, interval: int = 200, ymax: float | None = None):
    """An HTML player of p_data, p_g and D(x) over training (``to_jshtml``, no kernel).

    Args:
        monitor: a monitor with at least one snapshot.
        frames: at most this many frames, snapshots chosen evenly (first and last kept).
        figsize, dpi: the frame size; each frame is a PNG inside the HTML, so these set
            its size (about 50 kB a frame at the defaults).
        interval: milliseconds between frames.
        ymax: top of the density axis; by default 3 times the peak of p_data, so that a
            collapsed generator's spike (clipped) does not flatten every other frame.

    Returns:
        An ``IPython.display.HTML`` object.
    """
    n = len(monitor)
    if n == 0:
        raise ValueError("the monitor has no snapshots yet; train with it as a callback first")
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
        raise ValueError(f"frames must be a positive integer, got {frames!r}")
    idx = np.unique(np.round(np.linspace(0, n - 1, min(frames, n))).astype(int))
    x, p_g, D, steps, jsd = monitor.x, monitor.p_g, monitor.D, monitor.steps, monitor.jsd
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    p_data = monitor.p_data.pdf(x)
    (line_data,) = ax.plot(x, p_data, color=DATA)
    (line_g,) = ax.plot(x, p_g[idx[0]], color=GEN)
    ax.set_ylim(0, ymax if ymax is not None else 3 * p_data.max())
    ax.set_xlabel("$x$")
    ax.set_ylabel("density")
    twin = ax.twinx()
    (line_d,) = twin.plot(x, D[idx[0]], color=DISC)
    twin.set_ylim(-0.02, 1.02)
    twin.set_ylabel("$D(x)$")
    twin.grid(False)
    twin.spines["right"].set_visible(True)
    ax.legend([line_data, line_g, line_d], ["$p_{data}$", "$p_g$", "$D(x)$"], loc="upper left")
    title = ax.set_title(" ")

    def update(i: int):
        j = idx[i]
        line_g.set_ydata(p_g[j])
        line_d.set_ydata(D[j])
        title.set_text(f"step {steps[j]}: JSD$(p_{{data}}, p_g)$ = {jsd[j]:.3f} nats")
        return line_g, line_d, title

    update(0)
    fig.tight_layout()  # after update(0): the layout must make room for the title
    return jshtml(fig, update, len(idx), interval=interval)
