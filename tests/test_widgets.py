"""gantools.widgets.explorer: live, it builds with the installed ipywidgets (7 on Colab, 8 here)
and redraws when a control changes; headless (the book build, nbval, nbconvert), it draws its
static view once and creates no widget, so that no executor waits on an Output widget."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets as w  # noqa: E402
import pytest  # noqa: E402

from gantools.widgets import explorer  # noqa: E402


def test_live_explorer_draws_and_redraws(monkeypatch):
    monkeypatch.setenv("GANTOOLS_HEADLESS", "0")
    calls = []
    box = explorer(lambda a, b: calls.append((a, b)), a=w.FloatSlider(value=1.0, min=0, max=2), b=w.IntSlider(value=3))
    assert isinstance(box, w.VBox)
    assert isinstance(box.children[1], w.Output)  # the live plot
    assert calls == [(1.0, 3)]  # drawn once on creation
    box.children[0].children[0].value = 1.5
    assert calls[-1] == (1.5, 3)
    assert box.children[0].children[0].continuous_update is False  # redraw on release only


def test_headless_explorer_draws_the_static_view_and_makes_no_output_widget(monkeypatch):
    monkeypatch.setenv("GANTOOLS_HEADLESS", "1")
    created = []
    monkeypatch.setattr(w.Output, "__init__", lambda self, *a, **k: created.append(self))
    calls = []
    assert explorer(lambda a, b: calls.append((a, b)), a=w.FloatSlider(value=0.5), b=w.IntSlider(value=2)) is None
    assert calls == [(0.5, 2)]
    assert created == []


@pytest.mark.parametrize("value", ["2", "maybe"])
def test_headless_rejects_an_unknown_setting(monkeypatch, value):
    monkeypatch.setenv("GANTOOLS_HEADLESS", value)
    with pytest.raises(ValueError, match="GANTOOLS_HEADLESS must be 1 or 0, got"):
        explorer(lambda a: None, a=w.FloatSlider())
