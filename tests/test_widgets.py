"""gantools.widgets.explorer builds with the installed ipywidgets (7 on Colab, 8 here)
and redraws when a control changes."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets as w  # noqa: E402

from gantools.widgets import explorer  # noqa: E402


def test_explorer_draws_and_redraws():
    calls = []
    box = explorer(lambda a, b: calls.append((a, b)), a=w.FloatSlider(value=1.0, min=0, max=2), b=w.IntSlider(value=3))
    assert isinstance(box, w.VBox)
    assert calls == [(1.0, 3)]  # drawn once on creation
    box.children[0].children[0].value = 1.5
    assert calls[-1] == (1.5, 3)
    assert box.children[0].children[0].continuous_update is False  # redraw on release only
