"""ipywidgets explorers that work with ipywidgets 7 (Colab) and 8.

Only APIs common to both versions are used: ``FloatSlider``/``IntSlider``/``Dropdown``,
``interactive_output`` and ``VBox``/``HBox``. These need a live kernel.

In a headless execution (the book build, nbval, nbconvert: :func:`gantools.notebook.headless`)
an explorer creates no widget (an ``Output`` widget there can stall the executor until the
cell's timeout; see ``headless``'s docstring). It returns its kernel-free twin instead
(:func:`gantools.twins.twin`): the same drawing, precomputed on the grid ``page`` names, behind
controls that work on the rendered page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt

from .notebook import headless
from .twins import twin


def explorer(draw: Callable[..., None], *, page: Mapping[str, Sequence] | None = None, caption: str = "",
             alt: str = "", **controls):
    """A box of controls above a plot: ``draw(**values)`` is called with the controls'
    values and should draw with matplotlib (the figure is shown and closed).

    Each control is a widget (e.g. ``FloatSlider(...)``); returns the ``VBox``. Headless
    (:func:`gantools.notebook.headless`) nobody can move a widget and none is created: with
    ``page`` ({control: the values the page offers}, one or two controls), it returns the
    kernel-free twin (the other controls held at their initial values, each control labelled
    by its description, ``caption`` under the figure, ``alt`` describing the picture); without,
    it draws once with the controls' initial values and returns None.
    """
    if headless():
        values = {name: c.value for name, c in controls.items()}
        if page is None:
            draw(**values)
            plt.show()
            return None
        unknown = set(page) - set(controls)
        if unknown:
            raise ValueError(f"page names {sorted(unknown)}, which are not controls ({list(controls)})")
        start = {}
        for name, grid in page.items():
            grid = list(grid)
            here = values[name]
            numeric = isinstance(here, (int, float)) and not isinstance(here, bool)
            start[name] = min(grid, key=lambda v: abs(v - here)) if numeric else (here if here in grid else grid[0])
        return twin(
            draw, page, caption=caption, alt=alt, start=start,
            fixed={n: v for n, v in values.items() if n not in page},
            labels={n: controls[n].description or n for n in page},
            selects=[n for n in page if hasattr(controls[n], "options")],
        )

    import ipywidgets as w

    for c in controls.values():
        if hasattr(c, "continuous_update"):
            c.continuous_update = False

    def _draw(**values):
        draw(**values)
        plt.show()

    out = w.interactive_output(_draw, controls)
    return w.VBox([w.HBox(list(controls.values())), out])
