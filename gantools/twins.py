"""Kernel-free twins: a drawing function of a few parameters, precomputed on a grid and shown
behind sliders and selectors that work on the rendered page, where there is no kernel.

``twin(draw, {"mean": [-2, -1, 0, 1, 2], "method": ["lerp", "slerp"]}, caption=...)`` calls
``draw(**values)`` once for every combination of the controls' values (each call draws a
matplotlib figure, exactly what a live explorer would draw), keeps each figure as a PNG, and
returns a self-contained HTML figure: a range slider for each numeric control, a selector for
each control of names, the frame for the current setting, and a caption that states the
finding. Moving a control swaps the frame; nothing is computed in the browser.

Why frames and not a plotting library: matplotlib's own player (``to_jshtml``) has one axis
(the frame number), and the book's twins need two; Plotly and Bokeh would need either a CDN
(the machines that test the book, and some readers, are offline) or a 3.5 MB script inlined
in every page, and composing two of their sliders still takes hand-written callbacks; Altair's
Vega comes from a CDN too. Frames drawn by the chapter's own matplotlib code look like every
other figure of the book, and one ten-line script here (the only JavaScript any chapter uses)
works in the rendered book and wherever an HTML output may run a script (Colab, Jupyter).

Each frame is drawn once (the figure and a margin around it), all are cropped to one box around
what any of them draws (so nothing jumps as a control moves), quantized to a small palette and
stored once however many settings show them. A twin is refused when it would weigh more
than ``MAX_BYTES`` or hold more than ``MAX_FRAMES`` frames, or when a control changes nothing
from the starting setting: a control must move something.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

MAX_FRAMES = 400
MAX_BYTES = 2_000_000  # a page must stay under 5 MB with its other figures
_count = itertools.count()


@dataclass(frozen=True)
class Control:
    """One control of a twin: its parameter's name, the label shown, its values, and whether
    it is a slider (numbers, in order) or a selector (names, or numbers picked from a list)."""

    name: str
    label: str
    values: tuple
    select: bool

    def text(self, value) -> str:
        return f"{value:.4g}" if isinstance(value, (float, np.floating)) else str(value)


class Twin:
    """A precomputed explorer; Jupyter and the book show it through ``_repr_html_``."""

    def __init__(self, controls: list[Control], frames: list[bytes], index: list[int], start: tuple[int, ...],
                 caption: str, alt: str):
        self.controls, self.frames, self.index, self.start = controls, frames, index, start
        self.caption, self.alt = caption, alt
        digest = hashlib.sha1(b"".join(frames) + caption.encode()).hexdigest()[:10]
        self.id = f"twin-{digest}-{next(_count)}"

    def frame(self, **values) -> bytes:
        """The PNG shown at a setting (every control named, each at one of its values)."""
        if set(values) != {c.name for c in self.controls}:
            raise ValueError(f"name every control ({', '.join(c.name for c in self.controls)}), got {sorted(values)}")
        flat = 0
        for c in self.controls:
            if values[c.name] not in c.values:
                raise ValueError(f"{c.name} must be one of {list(c.values)}, got {values[c.name]!r}")
            flat = flat * len(c.values) + c.values.index(values[c.name])
        return self.frames[self.index[flat]]

    def _repr_html_(self) -> str:
        return self.html()

    def html(self) -> str:
        rows = []
        for k, c in enumerate(self.controls):
            label = html.escape(c.label)
            here = c.text(c.values[self.start[k]])
            if c.select:
                options = "".join(
                    f'<option value="{i}"{" selected" if i == self.start[k] else ""}>{html.escape(c.text(v))}</option>'
                    for i, v in enumerate(c.values))
                field = (f'<select data-k="{k}" aria-label="{label}" autocomplete="off" style="max-width:100%">'
                         f'{options}</select>')
            else:
                field = (f'<input type="range" data-k="{k}" min="0" max="{len(c.values) - 1}" step="1" '
                         f'value="{self.start[k]}" aria-label="{label}" autocomplete="off" '
                         'style="flex:1 1 8em;min-width:6em;max-width:22em">'
                         f'<output style="min-width:3.5em">{html.escape(here)}</output>')
            rows.append(f'<label style="display:flex;align-items:center;gap:.5em;flex-wrap:wrap;margin:.15em 0">'
                        f'<span style="min-width:6em">{label}</span>{field}</label>')
        state = {
            "frames": [base64.b64encode(f).decode() for f in self.frames],
            "index": self.index,
            "shape": [len(c.values) for c in self.controls],
            "text": [[c.text(v) for v in c.values] for c in self.controls],
            "names": [c.label for c in self.controls],
            "alt": self.alt,
        }
        data = json.dumps(state).replace("<", "\\u003c")  # no "</script>" can end the script early
        first = state["frames"][self.index[self._flat(self.start)]]
        alt = html.escape(self._alt(self.start))
        return (
            f'<figure class="twin" id="{self.id}" style="margin:1em 0;max-width:100%">'
            f'<div class="twin-controls" style="font-size:.9em">{"".join(rows)}</div>'
            f'<img class="twin-frame" alt="{alt}" src="data:image/png;base64,{first}" '
            f'style="max-width:100%;height:auto;display:block">'
            f'<figcaption style="text-align:left">{html.escape(self.caption)}</figcaption></figure>'
            f"<script>(function(){{const S={data};"
            f"const root=document.getElementById({json.dumps(self.id)});{_SCRIPT}}})();</script>"
        )

    def _flat(self, state: Sequence[int]) -> int:
        flat = 0
        for c, i in zip(self.controls, state, strict=True):
            flat = flat * len(c.values) + i
        return flat

    def _alt(self, state: Sequence[int]) -> str:
        parts = (f"{c.label} = {c.text(c.values[i])}" for c, i in zip(self.controls, state, strict=True))
        return self.alt + ": " + ", ".join(parts)


# Reads every control, finds the frame for the setting (row-major, first control slowest, as
# Twin.frame), swaps the image and its alt text, and updates the sliders' read-outs; once on
# load too, in case the browser restored the controls of a page it reloads.
_SCRIPT = """
const img=root.querySelector('img.twin-frame');
const fields=[...root.querySelectorAll('[data-k]')];
function show(){let flat=0;const parts=[];
 fields.forEach(f=>{const k=+f.dataset.k,i=+f.value;flat=flat*S.shape[k]+i;parts.push(S.names[k]+' = '+S.text[k][i]);
  const out=f.parentElement.querySelector('output');if(out)out.textContent=S.text[k][i];});
 img.src='data:image/png;base64,'+S.frames[S.index[flat]];img.alt=S.alt+': '+parts.join(', ');}
fields.forEach(f=>{f.addEventListener('input',show);f.addEventListener('change',show);});
show();
"""


MARGIN = 0.6  # inches around the figure that a frame may draw into (labels that overflow it)


def _render(draw: Callable[..., object], values: dict, dpi: int):
    """The figure ``draw(**values)`` makes, drawn once, as a PIL image of the figure and a
    margin of ``MARGIN`` inches around it (so every frame of a twin shares one frame of
    reference); the figures ``draw`` opened are closed."""
    from matplotlib.transforms import Bbox
    from PIL import Image

    before = set(plt.get_fignums())
    result = draw(**values)
    fig = result if isinstance(result, plt.Figure) else plt.gcf()
    width, height = fig.get_size_inches()
    box = Bbox([[-MARGIN, -MARGIN], [width + MARGIN, height + MARGIN]])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches=box, facecolor="white")
    for num in set(plt.get_fignums()) - before:
        plt.close(num)
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def _crop(images: list) -> tuple[int, int, int, int]:
    """One box around what any frame draws (plus a few pixels), the same for every frame: the
    axes stay put as a control moves, however a tick label or a title changes."""
    from PIL import ImageOps

    union = None
    for im in images:
        if im.size != images[0].size:
            raise ValueError(f"draw made figures of different sizes ({images[0].size} and {im.size} pixels): "
                             "give every setting the same figsize")
        box = ImageOps.invert(im).point(lambda v: 255 if v > 5 else 0).getbbox()
        if box:
            union = box if union is None else (min(union[0], box[0]), min(union[1], box[1]),
                                               max(union[2], box[2]), max(union[3], box[3]))
    if union is None:
        raise ValueError("draw drew nothing")
    pad = 6
    w, h = images[0].size
    edge = (union[0] <= 0, union[1] <= 0, union[2] >= w, union[3] >= h)
    if any(edge):
        raise ValueError(f"a frame draws more than {MARGIN} inches outside its figure: move legends or "
                         "labels inside (or use a layout engine)")
    return (max(union[0] - pad, 0), max(union[1] - pad, 0), min(union[2] + pad, w), min(union[3] + pad, h))


def _png(image, colors: int) -> bytes:
    from PIL import Image

    canvas = image
    if colors:
        canvas = canvas.quantize(colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        palette = canvas.getpalette()
        _, most = max(canvas.getcolors())
        if min(palette[3 * most:3 * most + 3]) > 230:  # the background stays the page's white
            palette[3 * most:3 * most + 3] = [255, 255, 255]
            canvas.putpalette(palette)
    buf = io.BytesIO()
    canvas.save(buf, format="png", optimize=True)
    return buf.getvalue()


def twin(draw: Callable[..., object], controls: Mapping[str, Sequence], *, caption: str, alt: str,
         fixed: Mapping | None = None, labels: Mapping[str, str] | None = None, start: Mapping | None = None,
         selects: Sequence[str] = (), dpi: int = 100, colors: int = 64) -> Twin:
    """Precompute ``draw(**setting, **fixed)`` for every setting of ``controls`` ({name: values},
    one or two of them, each with at least two values; the first varies slowest).

    A control whose values are all numbers is a slider, unless it is named in ``selects``; any
    other is a selector. ``labels`` names the controls on the page (default: the parameter's
    name), ``start`` is the setting shown first (default: each control's first value),
    ``caption`` states what the reader should see, ``alt`` describes the picture for a screen
    reader (the current setting is appended; it should not repeat the caption). ``colors`` is
    the palette size (0 keeps full colour, for photographs).
    """
    fixed = dict(fixed or {})
    labels = dict(labels or {})
    start = dict(start or {})
    if not isinstance(caption, str) or not caption.strip():
        raise ValueError(f"a twin needs a caption that states its finding, got {caption!r}")
    if not isinstance(alt, str) or not alt.strip() or alt.strip() == caption.strip():
        raise ValueError(f"a twin needs alt text that describes the picture (not the caption), got {alt!r}")
    if not controls or len(controls) > 3:
        raise ValueError(f"a twin has one to three controls, got {len(controls)}: {list(controls)}")
    for where, names in (("fixed", fixed), ("labels", labels), ("start", start), ("selects", selects)):
        extra = set(names) - set(controls) if where != "fixed" else set(names) & set(controls)
        if extra:
            what = "is also a control" if where == "fixed" else "is not a control"
            raise ValueError(f"{where}: {sorted(extra)} {what} (controls: {list(controls)})")
    ctl = []
    for name, values in controls.items():
        values = tuple(v.item() if isinstance(v, np.generic) else v for v in values)
        if len(values) < 2 or len(set(values)) != len(values):
            raise ValueError(f"control {name!r} needs at least two distinct values, got {list(values)}")
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        ctl.append(Control(name, labels.get(name, name), values, select=name in selects or not numeric))
    shape = [len(c.values) for c in ctl]
    if int(np.prod(shape)) > MAX_FRAMES:
        raise ValueError(f"{' x '.join(map(str, shape))} = {int(np.prod(shape))} settings is more than {MAX_FRAMES}: "
                         "use fewer values")
    first = []
    for c in ctl:
        if c.name in start and start[c.name] not in c.values:
            raise ValueError(f"start: {c.name} = {start[c.name]!r} is not one of its values {list(c.values)}")
        first.append(c.values.index(start[c.name]) if c.name in start else 0)

    rendered = [_render(draw, {c.name: c.values[i] for c, i in zip(ctl, idx, strict=True)} | fixed, dpi)
                for idx in itertools.product(*(range(n) for n in shape))]
    box = _crop(rendered)
    frames, index, seen = [], [], {}
    for im in rendered:
        im = im.crop(box)
        key = hashlib.sha1(im.tobytes()).digest()
        if key not in seen:
            seen[key] = len(frames)
            frames.append(_png(im, colors))
        index.append(seen[key])
    out = Twin(ctl, frames, index, tuple(first), caption.strip(), alt.strip())
    home = out._flat(first)
    for k, c in enumerate(ctl):
        moved = [index[out._flat(first[:k] + [i] + first[k + 1:])] for i in range(len(c.values))]
        if all(m == index[home] for m in moved):
            raise ValueError(f"control {c.name!r} changes nothing from the starting setting: "
                             "choose values that show the idea")
    weight = (sum(len(f) for f in frames) + len(frames[index[home]])) * 4 // 3  # the first is shown twice
    if weight > MAX_BYTES:
        raise ValueError(f"this twin weighs {weight / 1e6:.1f} MB, more than {MAX_BYTES / 1e6:.1f} MB: "
                         "use fewer values, a smaller figure or a lower dpi")
    return out
