"""ipywidgets explorers that work with ipywidgets 7 (Colab) and 8.

Only APIs common to both versions are used: ``FloatSlider``/``IntSlider``/``Dropdown``,
``interactive_output`` and ``VBox``/``HBox``. The rendered book shows a static or
``to_jshtml`` fallback; these need a live kernel.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt


def explorer(draw: Callable[..., None], **controls):
    """A box of controls above a plot: ``draw(**values)`` is called with the controls'
    values and should draw with matplotlib (the figure is shown and closed).

    Each control is a widget (e.g. ``FloatSlider(...)``); returns the ``VBox``.
    """
    import ipywidgets as w

    for c in controls.values():
        if hasattr(c, "continuous_update"):
            c.continuous_update = False

    def _draw(**values):
        draw(**values)
        plt.show()

    out = w.interactive_output(_draw, controls)
    return w.VBox([w.HBox(list(controls.values())), out])
