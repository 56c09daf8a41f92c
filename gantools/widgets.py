"""ipywidgets explorers that work with ipywidgets 7 (Colab) and 8.

Only APIs common to both versions are used: ``FloatSlider``/``IntSlider``/``Dropdown``,
``interactive_output`` and ``VBox``/``HBox``. The rendered book shows a static or
``to_jshtml`` fallback; these need a live kernel.

In a headless execution (the book build, nbval, nbconvert: :func:`gantools.notebook.headless`)
an explorer draws its static view and creates no widget: an ``Output`` widget there can stall
the executor until the cell's timeout (see ``headless``'s docstring).
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt

from .notebook import headless


def explorer(draw: Callable[..., None], **controls):
    """A box of controls above a plot: ``draw(**values)`` is called with the controls'
    values and should draw with matplotlib (the figure is shown and closed).

    Each control is a widget (e.g. ``FloatSlider(...)``); returns the ``VBox``. Headless
    (:func:`gantools.notebook.headless`), it draws once with the controls' initial values and
    returns None: nobody can move the controls, and no ``Output`` widget is created.
    """
    if headless():
        draw(**{name: c.value for name, c in controls.items()})
        plt.show()
        return None

    import ipywidgets as w

    for c in controls.values():
        if hasattr(c, "continuous_update"):
            c.continuous_update = False

    def _draw(**values):
        draw(**values)
        plt.show()

    out = w.interactive_output(_draw, controls)
    return w.VBox([w.HBox(list(controls.values())), out])
