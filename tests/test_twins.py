"""gantools.twins: a drawing function precomputed on a grid behind kernel-free controls. The frame
shown at a setting is the figure ``draw`` makes there, the page's script finds it by the same
row-major rule as ``Twin.frame`` (the browser test moves every control of the book's twins), and
a twin that is too big, too long, or has a control that moves nothing is refused."""

import base64
import io
import json
import re

import matplotlib

matplotlib.use("Agg")

import ipywidgets as w  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from gantools import twins  # noqa: E402
from gantools.twins import twin  # noqa: E402
from gantools.widgets import explorer  # noqa: E402


def draw_line(slope, colour="k", width=2.0):
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, min(slope, 1.5)], color=colour, lw=width)  # steeper is drawn as 1.5
    ax.set(xlim=(0, 1), ylim=(-2, 2))
    ax.axis("off")


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def ink(a: np.ndarray) -> np.ndarray:
    """The drawn part of an image: the box around its non-white pixels."""
    rows, cols = np.nonzero((a < 250).any(axis=2))
    return a[rows.min():rows.max() + 1, cols.min():cols.max() + 1].astype(int)


def test_each_setting_shows_the_figure_draw_makes_there():
    t = twin(draw_line, {"slope": [-1.0, 0.0, 1.0], "colour": ["k", "r"]}, caption="the line turns",
             alt="a line", dpi=40, colors=0)
    assert [c.select for c in t.controls] == [False, True]  # numbers slide, names are chosen
    settings = [(s, c) for s in (-1.0, 0.0, 1.0) for c in ("k", "r")]

    def padded(a):  # the drawn part, on a white 60 x 90 canvas
        out = np.full((60, 90, 3), 255)
        a = ink(a)
        out[:a.shape[0], :a.shape[1]] = a
        return out

    alone = []
    for slope, colour in settings:  # each figure saved by itself, as matplotlib would
        draw_line(slope, colour)
        buf = io.BytesIO()
        plt.gcf().savefig(buf, format="png", dpi=40, bbox_inches="tight", facecolor="white")
        plt.close("all")
        alone.append(padded(pixels(buf.getvalue())))
    for k, (slope, colour) in enumerate(settings):
        shown = padded(pixels(t.frame(slope=slope, colour=colour)))
        gaps = [np.abs(shown - a).mean() for a in alone]  # up to subpixel shifts of the crop
        others = min(g for j, g in enumerate(gaps) if j != k)
        assert gaps[k] < 8 and gaps[k] < others, (slope, colour, gaps)
    red = pixels(t.frame(slope=1.0, colour="r"))
    assert (red[..., 0].astype(int) - red[..., 2] > 100).any()  # the red line is red
    assert not (pixels(t.frame(slope=1.0, colour="k"))[..., 0].astype(int)
                - pixels(t.frame(slope=1.0, colour="k"))[..., 2] > 100).any()


def test_frames_are_stored_once_and_padded_to_one_size():
    # slopes 1.5 and 2 are drawn alike: six settings, four frames
    t = twin(draw_line, {"slope": [0.5, 1.5, 2.0], "width": [2.0, 6.0]}, caption="wider", alt="a line", dpi=40)
    assert len(t.index) == 6 and len(t.frames) == 4
    sizes = {Image.open(io.BytesIO(f)).size for f in t.frames}
    assert len(sizes) == 1


def draw_labelled(label):
    """A fixed black square in the figure, and a y label whose width changes with ``label``."""
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.set_yticks([0.5], [label])
    ax.set_xticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.add_artist(plt.Rectangle((0.5, 0.4), 0.2, 0.2, transform=fig.transFigure, color="k"))


def test_nothing_jumps_when_a_label_grows():
    t = twin(draw_labelled, {"label": ["x", "a much longer label"]}, caption="c", alt="a", dpi=50)
    corners = []
    for label in ("x", "a much longer label"):
        dark = pixels(t.frame(label=label)).sum(axis=2) < 60
        # the square: the rows and columns that are dark over a long run
        rows, cols = np.nonzero(dark.sum(axis=1) > 8)[0], np.nonzero(dark.sum(axis=0) > 8)[0]
        corners.append((rows.min(), cols.max()))
    (r0, c0), (r1, c1) = corners
    assert abs(r0 - r1) <= 1 and abs(c0 - c1) <= 1, corners  # centred frames would move it ~40 px


def test_the_html_carries_the_state_the_script_reads():
    t = twin(draw_line, {"slope": [-1.0, 1.0], "colour": ["k", "r", "b"]}, caption="a <finding>",
             alt="a line", labels={"slope": "slope a"}, start={"colour": "r"}, dpi=30)
    page = t.html()
    state = json.loads(re.search(r"const S=(\{.*?\});const root", page).group(1))
    assert state["shape"] == [2, 3] and state["names"] == ["slope a", "colour"]
    # the script's rule: flat = i_slope * 3 + i_colour
    assert base64.b64decode(state["frames"][state["index"][1 * 3 + 2]]) == t.frame(slope=1.0, colour="b")
    first = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(first) == t.frame(slope=-1.0, colour="r")  # start: first slope, red
    assert '<option value="1" selected>r</option>' in page
    assert page.count('autocomplete="off"') == 2 and page.rstrip().endswith("show();\n})();</script>")
    assert "a &lt;finding&gt;" in page and "<finding>" not in page  # the caption is escaped
    assert page.count('type="range"') == 1 and page.count("<select") == 1
    assert t._repr_html_() == page


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(controls={"slope": [1.0]}), "at least two distinct values"),
    (dict(controls={"slope": [1.0, 1.0]}), "at least two distinct values"),
    (dict(controls={}), "one to three controls"),
    (dict(controls={"slope": [0.0, 1.0]}, caption=" "), "caption that states its finding"),
    (dict(controls={"slope": [0.0, 1.0]}, alt=""), "alt text that describes the picture"),
    (dict(controls={"slope": [0.0, 1.0]}, caption="same", alt="same"), r"alt text .* \(not the caption\)"),
    (dict(controls={"slope": [0.0, 1.0]}, start={"slope": 3.0}), r"start: slope = 3.0 is not one of"),
    (dict(controls={"slope": [0.0, 1.0]}, labels={"tilt": "t"}), r"labels: \['tilt'\] is not a control"),
    (dict(controls={"slope": [0.0, 1.0]}, fixed={"slope": 1.0}), r"fixed: \['slope'\] is also a control"),
    (dict(controls={"slope": [1.5, 2.0]}), "'slope' changes nothing"),
    (dict(controls={"slope": list(np.linspace(-1, 1, 21)), "width": list(np.linspace(1, 3, 20))}),
     "420 settings is more than 400"),
])
def test_refuses_what_would_not_work_on_the_page(kwargs, message):
    kwargs = {"caption": "x", "alt": "a line", "dpi": 20} | kwargs
    controls = kwargs.pop("controls")
    with pytest.raises(ValueError, match=message):
        twin(draw_line, controls, **kwargs)


def draw_badly(how):
    fig, ax = plt.subplots(figsize=(2 + (how == "grows"), 1.5))
    ax.plot([0, 1], [0, 1])
    if how == "spills":
        fig.text(-1.0, 0.5, "far to the left of the figure")


@pytest.mark.parametrize(("how", "message"), [
    ("grows", "figures of different sizes"),
    ("spills", "more than 0.6 inches outside its figure"),
])
def test_refuses_frames_it_cannot_line_up(how, message):
    with pytest.raises(ValueError, match=message):
        twin(draw_badly, {"how": ["fine", how]}, caption="x", alt="a line", dpi=20)


def test_refuses_a_twin_too_heavy_for_a_page(monkeypatch):
    monkeypatch.setattr(twins, "MAX_BYTES", 500)
    with pytest.raises(ValueError, match=r"this twin weighs .* MB, more than"):
        twin(draw_line, {"slope": [-1.0, 0.0, 1.0]}, caption="x", alt="a line", dpi=60)


def test_a_headless_explorer_with_a_page_returns_its_twin(monkeypatch):
    monkeypatch.setenv("GANTOOLS_HEADLESS", "1")
    created = []
    monkeypatch.setattr(w.Output, "__init__", lambda self, *a, **k: created.append(self))
    t = explorer(
        draw_line, page={"slope": [-1.0, 0.0, 1.0], "colour": ["k", "r"]}, caption="the line turns", alt="a line",
        slope=w.FloatSlider(value=0.4, min=-1, max=1, description="slope a"),
        colour=w.Dropdown(options=["k", "r", "g"], value="r", description="colour"),
        width=w.FloatSlider(value=4.0, min=1, max=6, description="width"),
    )
    assert isinstance(t, twins.Twin) and created == []
    assert [c.label for c in t.controls] == ["slope a", "colour"]
    assert t.start == (1, 1)  # the nearest page value to 0.4, and the dropdown's own value
    assert [c.select for c in t.controls] == [False, True]
    wide = pixels(t.frame(slope=1.0, colour="k"))
    thin = pixels(twin(draw_line, {"slope": [0.0, 1.0]}, caption="c", alt="a").frame(slope=1.0))  # width 2
    assert (wide < 128).sum() > 1.5 * (thin < 128).sum()  # the unpaged width is held at 4, not 2
    with pytest.raises(ValueError, match=r"page names \['tilt'\], which are not controls"):
        explorer(draw_line, page={"tilt": [0, 1]}, caption="x", alt="a", slope=w.FloatSlider())


def test_a_dropdown_of_numbers_is_a_selector(monkeypatch):
    monkeypatch.setenv("GANTOOLS_HEADLESS", "1")
    t = explorer(draw_line, page={"width": [1.0, 3.0, 6.0]}, caption="x", alt="a line",
                 slope=w.FloatSlider(value=1.0), width=w.Dropdown(options=[1.0, 3.0, 6.0], value=3.0))
    assert t.controls[0].select and t.start == (1,)
