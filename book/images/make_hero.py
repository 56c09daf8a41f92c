"""Regenerate book/images/hero.png (the README's and the landing page's picture):
python book/images/make_hero.py"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from gantools.distributions import GaussianMixture  # noqa: E402
from gantools.plotting import plot_densities, use_book_style  # noqa: E402
from gantools.theory import js_divergence, optimal_discriminator, value_function  # noqa: E402

use_book_style()
p_data = GaussianMixture([-2.0, 1.0, 3.0], [0.5, 0.4, 0.6], [0.3, 0.3, 0.4])
p_g = GaussianMixture([0.5], 1.5)
D = optimal_discriminator(p_data, p_g)
x = np.linspace(-5, 6, 800)
V, jsd = value_function(D, p_data, p_g), js_divergence(p_data, p_g)
assert abs(V - (2 * jsd - np.log(4))) < 1e-9
fig, ax = plt.subplots(figsize=(8, 3.4))
plot_densities(ax, x, p_data, p_g, D_star=D)
ax.set_title(
    f"$D^* = p_{{data}}/(p_{{data}}+p_g)$ and $V(D^*,G) = 2\\,JSD - \\log 4$ = {V:.4f}"
)
fig.savefig(Path(__file__).with_name("hero.png"))

# The favicon: the same picture reduced to its two densities and D*.
fig, ax = plt.subplots(figsize=(0.64, 0.64), dpi=100)
xs = np.linspace(-4, 5, 200)
ax.fill_between(
    xs, p_data.pdf(xs) / p_data.pdf(xs).max(), color="#1f5f99", lw=0, alpha=0.9
)
ax.fill_between(
    xs, p_g.pdf(xs) / p_g.pdf(xs).max() * 0.8, color="#e8702a", lw=0, alpha=0.8
)
ax.set_axis_off()
fig.subplots_adjust(0, 0, 1, 1)
fig.savefig(Path(__file__).with_name("favicon.png"), dpi=100, bbox_inches=None)

# /favicon.ico at the site's root, for pages without a <link rel="icon"> (the index
# redirect): browsers ask for it, and a 404 shows up as an error in the console.
from PIL import Image  # noqa: E402

Image.open(Path(__file__).with_name("favicon.png")).save(
    Path(__file__).with_name("root") / "favicon.ico", sizes=[(32, 32)]
)
