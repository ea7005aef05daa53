"""Figures driven by λ sliders: live in a Jupyter kernel, still live on a static page.

The pattern every chapter uses:

1. compute what the figure needs for every slider value *once* (vectorized: ``compute``),
2. draw one SVG frame per combination of control values *once*,
3. let moving a control only swap what changes between frames.

:func:`interactive_figure` returns a :class:`FrameViewer`. Its frames are vector (SVG with text as
text): sharp at any pixel density. What every frame shares is stored once; a frame is the content of
a few slots. Displayed in a notebook it emits one output bundle with two representations:

* ``application/vnd.jupyter.widget-view+json`` — ipywidgets controls whose
  callback assigns the precomputed SVG to an ``Image`` widget (JupyterLab); with ``compute``, a
  box that takes any λ ≥ 0 and computes its frame on demand (kept for the next time);
* ``text/html`` — the figure as inline SVG with ``<input>`` controls and a few lines of inline
  JavaScript that swap the slots' contents and, on a narrow screen, show the panels one under
  the other (the static website, which has no kernel; the book's config prefers this
  representation for html).
  Where that script cannot run (a stored notebook opened in JupyterLab before
  its cells ran), the output shows the first frame (as an image: the sanitizer
  drops inline SVG), disabled controls and a one-line note saying that running
  the cells makes them live.
"""
from __future__ import annotations

import base64
import contextlib
import functools
import gc
import hashlib
import html
import io
import itertools
import json
import re
import time
from importlib import resources
from typing import Callable, NamedTuple, Sequence

import numpy as np

__all__ = ["glue", "fmt_value", "FrameViewer", "in_kernel", "interactive_figure", "lambda_slider",
           "static_figure", "lambda_grid", "MIN_TEXT_PX"]

# The viewer's script, shipped as package data; %(id)s is replaced by the viewer's element id.
_JS = resources.files(__package__).joinpath("static/frames.js").read_text(encoding="utf-8")


def fmt_value(v) -> str:
    """Short label for a control value.

    >>> [fmt_value(v) for v in (0.0, 0.001, 0.00316, 3.0, 1000.0, 0.5, 2e-5, True)]
    ['0', '0.001', '0.00316', '3', '1000', '0.5', '2e-5', 'on']
    """
    if isinstance(v, (bool, np.bool_)):
        return "on" if v else "off"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if v == 0:
            return "0"
        if v.is_integer() and abs(v) < 1e6:
            return str(int(v))
        if 1e-4 <= abs(v) < 1e3:
            return f"{v:.3g}"
        return f"{v:.3g}".replace("e-0", "e-").replace("e+0", "e").replace("e+", "e")
    return str(v)


# ---------------------------------------------------------------- SVG frames
_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
#: Smallest text on the page, in CSS px, that a figure is laid out for (see :meth:`FrameViewer.html`).
MIN_TEXT_PX = 9.0
_GEOMETRY = re.compile(r'\s(d|x|y|x1|x2|y1|y2|cx|cy|r|width|height|transform|points)="([^"]*)"')
_DECIMAL = re.compile(r"-?\d+\.\d+")
_FONT_LIST = re.compile(r"font-family: 'DejaVu Sans'(, '[^']*')*, sans-serif")


def _round2(m) -> str:
    s = f"{float(m.group(0)):.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _svg_text(fig) -> str:
    """The figure as SVG text: text kept as text (``svg.fonttype`` none), deterministic ids, no metadata,
    geometry rounded to 0.01 pt (a 100th of a point: far below what a screen shows), whitespace removed."""
    import matplotlib as mpl

    buf = io.StringIO()
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "l2lib"}):
        fig.savefig(buf, format="svg", facecolor="white",
                    metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    s = buf.getvalue()
    s = s[s.index("<svg"):]
    s = re.sub(r"<metadata>.*?</metadata>", "", s, flags=re.S)
    s = _GEOMETRY.sub(lambda m: f' {m.group(1)}="{_DECIMAL.sub(_round2, m.group(2))}"', s)
    s = _FONT_LIST.sub("font-family: 'DejaVu Sans', sans-serif", s)
    return re.sub(r"\s*\n\s*", "", s)


class _Frame(NamedTuple):
    """One figure taken apart: its size in pt, its units of drawing in order, the definitions they use,
    the boxes of its panels and its smallest font size (pt)."""
    size: tuple[float, float]
    units: list[list[str]]          # per container (the figure, then each axes): its children, serialized
    defs: dict[str, str]            # id -> serialized definition (markers, clip paths)
    panels: list[list[float]]       # [x0, y0, x1, y1] in SVG user units (pt), one per panel
    min_font: float


def _strip(el, defs: dict) -> None:
    """Move every <defs> child of ``el`` into ``defs``; drop ids nothing refers to; xlink:href -> href."""
    for child in list(el):
        if child.tag == f"{{{_SVG_NS}}}defs":
            for d in child:
                if d.tag == f"{{{_SVG_NS}}}style":
                    continue
                _strip(d, {})
                defs[d.get("id")] = _serialize(d, keep_id=True)
            el.remove(child)
        else:
            _strip(child, defs)
    href = el.attrib.pop(f"{{{_XLINK_NS}}}href", None)
    if href is not None:
        el.set("href", href)


def _serialize(el, keep_id: bool = False) -> str:
    import xml.etree.ElementTree as ET

    if not keep_id:
        for e in el.iter():
            e.attrib.pop("id", None)
    s = ET.tostring(el, encoding="unicode", short_empty_elements=True)
    return re.sub(r'\sxmlns(:\w+)?="[^"]*"', "", s).replace("ns0:", "").replace(":ns0", "")


def _panels(fig) -> list[list[float]]:
    """Panel boxes in SVG units (pt, y down): each axes' tight box (a colorbar joins the panel before it),
    each figure-level text or legend joined to the panel it overlaps most horizontally. Every artist
    that belongs to a panel gets a gid, ``l2a<panel>`` for an axes and ``l2p<panel>`` for a figure-level
    text or legend, so its SVG group says which panel it is in."""
    if not hasattr(fig.canvas, "get_renderer"):     # a Figure() made outside pyplot, or closed already
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    k = 72.0 / fig.dpi
    height = fig.get_figheight() * 72.0

    def box(bb):
        return [bb.x0 * k, height - bb.y1 * k, bb.x1 * k, height - bb.y0 * k]

    def join(a, b):
        return [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]

    boxes: list[list[float]] = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        b = box(ax.get_tightbbox(renderer))
        if hasattr(ax, "_colorbar") and boxes:
            boxes[-1] = join(boxes[-1], b)
        else:
            boxes.append(b)
        ax.set_gid(f"l2a{len(boxes) - 1}")
    for art in list(fig.texts) + list(fig.legends):
        if not art.get_visible() or (hasattr(art, "get_text") and not art.get_text()):
            continue
        b = box(art.get_window_extent(renderer))
        if not boxes:
            boxes.append(b)
        overlap = [min(b[2], p[2]) - max(b[0], p[0]) for p in boxes]
        j = int(np.argmax(overlap))
        boxes[j] = join(boxes[j], b)
        art.set_gid(f"l2p{j}")
    w, h = fig.get_figwidth() * 72.0, height
    return [[round(max(0.0, b[0] - 2), 2), round(max(0.0, b[1] - 2), 2), round(min(w, b[2] + 2), 2),
             round(min(h, b[3] + 2), 2)] for b in boxes]


_FONT_SIZE = re.compile(r"font-size: ([0-9.]+)px")


def _min_font(svg: str) -> float:
    """The smallest text of an SVG, in its units (pt): for each ``<text>``, its base size (the largest
    size among its parts, so that mathtext's sub- and superscripts, drawn at 70 % of their text by
    typographic convention, count with their text), then the smallest of those."""
    sizes = [max(float(v) for v in _FONT_SIZE.findall(t)) for t in re.findall(r"<text[^>]*>.*?</text>", svg, re.S)
             if _FONT_SIZE.search(t)]
    return min(sizes) if sizes else 10.0


@contextlib.contextmanager
def _gc_paused():
    """Python's cyclic garbage collector off while a frame is drawn, back as it was afterwards.

    Drawing a figure allocates tens of thousands of objects, and the collections they trigger walk
    every object a chapter's kernel holds (about 250,000). Measured on chapter 2's off-grid frames
    (30 values, with and without, alternating): p50 0.163 s against 0.149 s, p95 0.361 s against
    0.202 s. A closed figure's garbage is collected at the first collection after the frame.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _draw(make: Callable[[], object], layout, panels=None, gids=None):
    """One frame: the figure ``make()`` returns, given the shared ``layout`` (:func:`_reuse_layout`),
    taken apart (:func:`_take_apart`; the first frame, ``panels=None``, measures the panels and
    names the artists) and closed, with the collector paused. Returns ``(frame, layout, gids)``."""
    import matplotlib.pyplot as plt

    with _gc_paused():                   # one frame at a time: its garbage goes before the next
        fig = _check_figure(make())
        layout = _reuse_layout(fig, layout)
        frame = _take_apart(fig, panels, gids)
        if panels is None:
            gids = _gids(fig)
        plt.close(fig)
    return frame, layout, gids


def _take_apart(fig, panels: list[list[float]] | None = None, gids: dict | None = None) -> _Frame:
    """``fig`` as a :class:`_Frame`. The first frame of a figure measures its panels (``panels=None``);
    later frames share that layout (:func:`_reuse_layout`), so they take the first frame's boxes and
    its artists' panel numbers, ``gids``: ``{"axes": [...], "texts": [...]}``."""
    import xml.etree.ElementTree as ET

    if panels is None:
        fig.draw_without_rendering()
        boxes = _panels(fig)
    else:
        boxes = panels
        for ax, g in zip(fig.axes, gids["axes"]):
            ax.set_gid(g)
        for art, g in zip(list(fig.texts) + list(fig.legends), gids["texts"]):
            art.set_gid(g)
    text = _svg_text(fig)
    min_font = _min_font(text)
    root = ET.fromstring(text)
    w, h = (float(v) for v in root.get("viewBox").split()[2:])
    defs: dict[str, str] = {}
    _strip(root, defs)
    figure = next(el for el in root if el.tag == f"{{{_SVG_NS}}}g")
    units: list[list] = [[]]
    for child in figure:
        gid = child.get("id") or ""
        panel = int(gid[3:]) if gid[:3] in ("l2a", "l2p") else -1
        if gid.startswith(("l2a", "axes_")):
            units.append([_serialize(c) for c in child])
            units[0].append((panel, None))      # where this axes sits among the figure's children
        else:
            units[0].append((panel, _serialize(child)))
    return _Frame((w, h), units, defs, boxes, min_font)


def _gids(fig) -> dict:
    return {"axes": [ax.get_gid() for ax in fig.axes],
            "texts": [a.get_gid() for a in list(fig.texts) + list(fig.legends)]}


_REF = re.compile(r'url\(#([^)]+)\)|href="#([^"]+)"')


def _renumber(template: list, slots: list[list[str]], defs: dict[str, str]):
    """Name the definitions d0, d1, ... in the order the drawing first refers to them.

    matplotlib names a clip path or a marker by a hash of its full-precision geometry, so the
    same figure computed on another CPU (a clip box that differs in its last bit) would carry other
    names; numbered by first use, the names depend only on the drawing's structure."""
    order: dict[str, str] = {}
    texts = [t for t in template if isinstance(t, str)] + [x for frame in slots for x in frame]
    for text in texts + [defs[k] for k in sorted(defs)]:
        for m in _REF.finditer(text):
            order.setdefault(m.group(1) or m.group(2), f"d{len(order)}")
    for k in sorted(defs):
        order.setdefault(k, f"d{len(order)}")

    def sub(text: str) -> str:
        text = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{order.get(m.group(1), m.group(1))})", text)
        text = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{order.get(m.group(1), m.group(1))}"', text)
        return re.sub(r'\sid="([^"]+)"', lambda m: f' id="{order.get(m.group(1), m.group(1))}"', text)

    new_template = [sub(t) if isinstance(t, str) else t for t in template]
    new_slots = [[sub(x) for x in frame] for frame in slots]
    by_name = sorted(defs, key=lambda k: int(order[k][1:]))
    return new_template, new_slots, "".join(sub(defs[k]) for k in by_name)


def _prefix_ids(s: str, uid: str) -> str:
    """Make the definitions' ids (matplotlib's content hashes) unique on a page that shows many figures."""
    s = re.sub(r'id="([^"]+)"', lambda m: f'id="{uid}-{m.group(1)}"', s)
    s = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{uid}-{m.group(1)})", s)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{uid}-{m.group(1)}"', s)


class _Layers(NamedTuple):
    """The frames of one figure as one template and per-frame slot contents."""
    size: tuple[float, float]
    template: list[str | int]       # serialized static parts, and ints: slot numbers
    slots: list[list[str]]          # slots[k][j]: the content of slot j in frame k
    defs: str
    panels: list[list[float]]
    min_font: float


def _layers(frames: list[_Frame]) -> _Layers:
    """What all frames share is drawn once; what differs becomes a slot whose content each frame gives.

    Units are compared container by container (the figure's own children, each axes' children) with ids
    removed. A container whose number of units differs between frames becomes one slot as a whole.
    Consecutive differing units share a slot, so a frame is a short list of strings.
    """
    f0 = frames[0]
    if any(f.size != f0.size or len(f.units) != len(f0.units) or len(f.units[0]) != len(f0.units[0])
           for f in frames):
        raise ValueError("The 'render' parameter must draw figures of one size and one set of axes for "
                         "every control value. Got frames that differ in size or number of axes instead.")
    template: list[str | int] = []
    slots: list[list[str]] = [[] for _ in frames]
    pending: list[list[str]] | None = None   # per frame, the units of the slot being collected

    def flush():
        nonlocal pending
        if pending is not None:
            template.append(len(slots[0]))
            for k, p in enumerate(pending):
                slots[k].append("".join(p))
            pending = None

    def unit(parts):
        nonlocal pending
        if all(p == parts[0] for p in parts):
            flush()
            template.append(parts[0])
        else:
            if pending is None:
                pending = [[] for _ in frames]
            for k, p in enumerate(parts):
                pending[k].append(p)

    axes_j = 0
    for i, (panel, u) in enumerate(f0.units[0]):
        tag = f'<g data-l2-panel="{panel}">' if panel >= 0 else "<g>"
        if u is not None:
            if panel >= 0:
                flush()
                template.append(tag)
            unit([f.units[0][i][1] for f in frames])
            if panel >= 0:
                flush()
                template.append("</g>")
            continue
        axes_j += 1
        flush()
        template.append(tag)
        if all(len(f.units[axes_j]) == len(f0.units[axes_j]) for f in frames):
            for n in range(len(f0.units[axes_j])):
                unit([f.units[axes_j][n] for f in frames])
        else:
            unit(["".join(f.units[axes_j]) for f in frames])
        flush()
        template.append("</g>")
    flush()
    defs: dict[str, str] = {}
    for f in frames:
        defs.update(f.defs)
    template, slots, defs_text = _renumber(template, slots, defs)
    return _Layers(f0.size, template, slots, defs_text, f0.panels,
                   min(f.min_font for f in frames))


class FrameViewer:
    """Precomputed SVG frames indexed by the values of one or more controls.

    Frames are stored as one template (what every frame shares, drawn once) and, per frame, the
    contents of a few slots (what changes). ``frames[k]`` — the k-th frame as a standalone SVG
    document — belongs to the k-th combination of ``itertools.product`` over the controls' values,
    in the order the controls were given.

    With ``compute`` and ``draw`` (see :func:`interactive_figure`), the live widget also takes λ
    values off the stored grid: it computes their figure on demand and keeps it.
    """

    def __init__(self, layers, controls: dict[str, list], labels: dict[str, str],
                 alts: list[str], initial: dict[str, object], live=None):
        digest = hashlib.sha1(json.dumps([layers.template, layers.slots, layers.defs]).encode()).hexdigest()
        self.uid = "l2f-" + digest[:12]
        pre = functools.partial(_prefix_ids, uid=self.uid)
        self._template = [t if isinstance(t, int) else pre(t) for t in layers.template]
        self._slots = [[pre(s) for s in frame] for frame in layers.slots]
        self._defs = pre(layers.defs)
        self.size = layers.size
        self.panels = layers.panels
        self.min_font = layers.min_font
        self.controls = controls
        self.labels = labels
        self.alts = alts
        self.shape = tuple(len(v) for v in controls.values())
        self.initial = initial
        self._live = live
        self._widget = None
        self._image = None
        self._status = None
        self._typed = None
        self._inputs: dict[str, object] = {}
        self._off_grid: float | None = None
        self._cache: dict[tuple, str] = {}

    # ---- indexing
    def index(self, **values) -> int:
        """Flat frame index for the given control values (missing ones take their initial value)."""
        self._check_names(values)
        if not self.controls:
            return 0
        pos = [self._position(name, values.get(name, self.initial[name])) for name in self.controls]
        return int(np.ravel_multi_index(pos, self.shape))

    def _position(self, name: str, v) -> int:
        """Where ``v`` stands among the values of control ``name``; a ValueError if it is not one of them."""
        opts = self.controls[name]
        matches = [i for i, o in enumerate(opts) if o == v]
        if not matches:
            raise ValueError(f"The {name!r} control must take one of {opts!r}. Got {v!r} instead.")
        return matches[0]

    def _check_names(self, values: dict) -> None:
        for name in values:
            if name not in self.controls:
                raise ValueError(f"The control names must be among {list(self.controls)!r}. Got {name!r} instead.")

    # ---- SVG
    def _body(self, slots: Sequence[str], wrap: bool) -> str:
        out = []
        for t in self._template:
            if isinstance(t, int):
                out.append(f'<g data-l2-slot="{t}">{slots[t]}</g>' if wrap else slots[t])
            else:
                out.append(t)
        return "".join(out)

    def _svg(self, slots: Sequence[str], standalone: bool = True, attrs: str = "") -> str:
        w, h = self.size
        ns = f' xmlns="{_SVG_NS}"' if standalone else ""
        return (f'<svg{ns} viewBox="0 0 {w:g} {h:g}" width="{w * 4 / 3:.0f}" height="{h * 4 / 3:.0f}"{attrs}>'
                f"<defs>{self._defs}</defs>"
                f'<g id="{self.uid}-g" stroke-linejoin="round" stroke-linecap="butt">'
                f"{self._body(slots, wrap=not standalone)}</g></svg>")

    @property
    def frames(self) -> list[str]:
        """Every frame as a standalone SVG document (str), in ``itertools.product`` order."""
        return [self._svg(s) for s in self._slots]

    def frame(self, **values) -> str:
        """The frame for these control values, as a standalone SVG document (str)."""
        return self._svg(self._slots[self.index(**values)])

    # ---- static html
    def html(self) -> str:
        """Self-contained HTML (inline SVG, inline JavaScript) for pages without a kernel.

        The figure is vector: sharp at any pixel density, its text real text. Each panel's groups
        carry its number (``data-l2-panel``) and the data its box; where the full width would draw
        text smaller than :data:`MIN_TEXT_PX` CSS px (a phone), the script moves the panels one under
        the other (a translation per group and a new viewBox; nothing is drawn twice). Moving a
        control replaces only the slots' contents.

        For where the JavaScript does not run, it carries two more things. A stored notebook opened in
        JupyterLab before its cells ran shows this output sanitized: no script, controls disabled, and
        no inline SVG (JupyterLab's sanitizer drops it from an output it does not trust). So the
        output holds the first frame once more as an ``<img class="l2-fallback">`` (an SVG data URI,
        which the sanitizer keeps) and a one-line note telling the reader how to make the figure
        live. The JavaScript removes both first thing, so a page where the frames swap never shows
        them; the website's build drops the image from its pages (``book/_ext/site_fixes.py``), so
        it costs the reader no bytes there.
        """
        k0 = self.index()
        pos0 = np.unravel_index(k0, self.shape) if self.controls else ()
        names = list(self.controls)
        ctl = []
        for j, name in enumerate(names):
            opts = self.controls[name]
            lab = html.escape(self.labels[name])
            cid = f"{self.uid}-c{j}"
            if _is_bool(opts):
                checked = " checked" if opts[pos0[j]] else ""
                ctl.append(f'<label for="{cid}"><input type="checkbox" id="{cid}" data-l2-dim="{j}"{checked}> '
                           f"{lab}</label>")
            else:
                text = html.escape(fmt_value(opts[pos0[j]]))
                ctl.append(f'<label for="{cid}">{lab}</label> <input type="range" id="{cid}" data-l2-dim="{j}" '
                           f'min="0" max="{len(opts) - 1}" step="1" value="{pos0[j]}" '
                           f'aria-valuetext="{lab} = {text}"> <output for="{cid}" data-l2-dim="{j}">{text}</output>')
        w, h = self.size
        data = {"shape": list(self.shape), "names": [self.labels[n] for n in names],
                "labels": [[fmt_value(v) for v in self.controls[n]] for n in names],
                "alts": self.alts, "size": [w, h], "panels": self.panels if len(self.panels) > 1 else [],
                "font": self.min_font, "minpx": MIN_TEXT_PX,
                "live": names.index(self._live.name) if self._live is not None else None,
                "slots": self._slots}
        alt = html.escape(self.alts[k0])
        wide = self._svg(self._slots[k0], standalone=False,
                         attrs=f' class="l2-svg l2-wide" role="img" aria-label="{alt}" '
                               f'style="max-width:100%;height:auto"')
        top = (f'<div class="l2-controls">{"<br>".join(ctl)}</div>'
               f'<p class="l2-note"><em>{html.escape(self._note())}</em></p>') if ctl else ""
        image = base64.b64encode(self._svg(self._slots[k0]).encode("utf-8")).decode("ascii")
        fallback = (f'<img class="l2-fallback" alt="{alt}" src="data:image/svg+xml;base64,{image}" '
                    f'style="max-width:100%;height:auto">')
        return (f'<div class="l2-frames" id="{self.uid}" data-frame="{k0}">{top}'
                f'<div class="l2-figure">{wide}{fallback}</div>'
                f'<script type="application/json" class="l2-data">{json.dumps(data, ensure_ascii=False)}</script>'
                f"<script>{_JS % {'id': self.uid}}</script></div>")

    def _note(self) -> str:
        """What the static output says where its JavaScript does not run (see :meth:`html`)."""
        if any(_is_bool(opts) for opts in self.controls.values()):
            what = "use these controls"
        else:
            what = "move this slider" if len(self.controls) == 1 else "move these sliders"
        return f"Run the notebook's cells to {what}."

    # ---- live widget
    def widget(self):
        """The ipywidgets version: controls whose callback only swaps the stored SVG frame, and, where the
        figure was made with ``compute``, a box that takes any λ ≥ 0 and computes its frame on demand."""
        if self._widget is not None:
            return self._widget
        import ipywidgets as w

        k0 = self.index()
        pos0 = np.unravel_index(k0, self.shape)
        self._image = w.Image(value=self.frames[k0].encode("utf-8"), format="svg+xml",
                              layout=w.Layout(max_width="100%"))
        for j, (name, opts) in enumerate(self.controls.items()):
            if _is_bool(opts):
                c = w.Checkbox(value=bool(opts[pos0[j]]), description=self.labels[name], indent=False)
            else:
                c = w.SelectionSlider(options=[(fmt_value(v), i) for i, v in enumerate(opts)], value=int(pos0[j]),
                                      description=self.labels[name], continuous_update=True,
                                      layout=w.Layout(width="420px"))
            c.observe(self._on_change, names="value")
            self._inputs[name] = c
        rows = [w.HBox(list(self._inputs.values()))]
        if self._live is not None:
            name = self._live.name
            self._typed = w.BoundedFloatText(value=float(self.initial[name]), min=0.0, max=1e12,
                                             description=f"or type {self.labels[name]}",
                                             continuous_update=False, layout=w.Layout(width="220px"))
            self._typed.observe(self._on_typed, names="value")
            self._status = w.Label(value="")
            rows.append(w.HBox([self._typed, self._status]))
        self._widget = w.VBox(rows + [self._image])
        return self._widget

    def _current_index(self) -> int:
        """The stored frame the live controls select."""
        return self.index(**self._current_values())

    def _current_values(self) -> dict:
        vals = {}
        for name, opts in self.controls.items():
            v = self._inputs[name].value
            vals[name] = opts[int(v)] if not _is_bool(opts) else bool(v)
        return vals

    def _on_change(self, change) -> None:
        if self._off_grid is not None and change.get("owner") is not self._inputs.get(self._live.name):
            self._show_off_grid(self._off_grid)          # another control moved: keep the typed λ
            return
        self._off_grid = None
        vals = self._current_values()
        self._image.value = self.frame(**vals).encode("utf-8")
        if self._status is not None:
            self._status.value = ""

    def _on_typed(self, change) -> None:
        self.set(**{self._live.name: float(change["new"])})

    def _show_off_grid(self, v: float) -> None:
        vals = self._current_values()
        vals[self._live.name] = v
        key = tuple(sorted((n, _hashable(x)) for n, x in vals.items()))
        if key not in self._cache:
            self._status.value = f"computing {self.labels[self._live.name]} = {fmt_value(v)} …"
            t0 = time.perf_counter()
            self._cache[key] = self._live.frame(self, vals)
            self._status.value = (f"{self.labels[self._live.name]} = {fmt_value(v)} "
                                  f"(computed in {time.perf_counter() - t0:.2g} s)")
        else:
            self._status.value = f"{self.labels[self._live.name]} = {fmt_value(v)}"
        self._off_grid = v
        self._image.value = self._cache[key].encode("utf-8")

    def set(self, **values) -> float:
        """Move live controls to ``values`` (as a reader would) and return the seconds the update took.

        A λ off the stored grid is accepted where the figure was made with ``compute`` (it is computed
        and kept); elsewhere every value must be one of its control's values.
        """
        self._check_names(values)
        live = self._live.name if self._live is not None else None
        off = None
        pos = {}
        for name, v in values.items():                      # all checked before any moves
            if name == live and not any(o == v for o in self.controls[name]):
                from ._validate import check_lam

                off = check_lam(v, name)
            else:
                pos[name] = self._position(name, v)
        self.widget()
        t0 = time.perf_counter()
        for name, i in pos.items():
            opts = self.controls[name]
            self._inputs[name].value = bool(opts[i]) if _is_bool(opts) else i
        if off is not None:
            self._show_off_grid(off)
        elif live in pos and self._off_grid is not None:
            self._off_grid = None
            self._image.value = self.frame(**self._current_values()).encode("utf-8")
        return time.perf_counter() - t0

    def _summary(self) -> str:
        if not self.controls:
            return f"Figure: {self.alts[0]}"
        parts = [f"{self.labels[n]} in {{{', '.join(fmt_value(v) for v in o)}}}" for n, o in self.controls.items()]
        return f"Interactive figure, {len(self._slots)} frames: " + "; ".join(parts)

    def __repr__(self) -> str:
        return self._summary()

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": self._summary(), "text/html": self.html()}
        if in_kernel() and self.controls:
            bundle.update(self.widget()._repr_mimebundle_())
            bundle["text/plain"] = self._summary()
        return bundle


def _hashable(v):
    return float(v) if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) else v


class _Live(NamedTuple):
    """How a viewer computes a frame for a λ off its grid: ``compute`` (vectorized over λ) and ``draw``."""
    name: str
    compute: Callable
    draw: Callable
    layout: object
    panels: list
    gids: dict

    def frame(self, viewer: FrameViewer, values: dict) -> str:
        others = {n: v for n, v in values.items() if n != self.name}
        f = _draw(lambda: self.draw(self.compute(np.array([values[self.name]]), **others)[0], **values),
                  self.layout, self.panels, self.gids)[0]
        lay = _layers([f])
        pre = functools.partial(_prefix_ids, uid=viewer.uid)
        w, h = f.size
        body = "".join(pre(t) if isinstance(t, str) else pre(lay.slots[0][t]) for t in lay.template)
        return (f'<svg xmlns="{_SVG_NS}" viewBox="0 0 {w:g} {h:g}" width="{w * 4 / 3:.0f}" '
                f'height="{h * 4 / 3:.0f}"><defs>{pre(lay.defs)}</defs><g stroke-linejoin="round" '
                f'stroke-linecap="butt">{body}</g></svg>')


def _is_bool(opts: Sequence) -> bool:
    return all(isinstance(o, (bool, np.bool_)) for o in opts)


def in_kernel() -> bool:
    """True when running inside a Jupyter kernel (IPython with a kernel attached), where the
    viewers add their ipywidgets view to the static HTML; False in plain Python or a terminal IPython.

    >>> in_kernel()
    False
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython always comes with the book's requirements
        return False
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


class _AltValue:
    """A control value in an ``alt`` template: ``{lam}`` gives its label (:func:`fmt_value`), while a
    format spec, ``{lam:.2f}``, formats the value itself."""

    def __init__(self, value):
        self.value = value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec) if spec else fmt_value(self.value)

    def __str__(self) -> str:
        return fmt_value(self.value)

    def __repr__(self) -> str:
        return repr(fmt_value(self.value))


def _format_alt(alt: str, values: dict) -> str:
    try:
        return alt.format(**{n: _AltValue(v) for n, v in values.items()})
    except KeyError as e:
        raise ValueError(f"The 'alt' parameter must use only the control names {list(values)!r} as fields. "
                         f"Got {alt!r} (field {e.args[0]!r}) instead.") from None
    except (ValueError, TypeError, IndexError, AttributeError) as e:
        raise ValueError(f"The 'alt' parameter must be a str.format template whose fields format the "
                         f"control values {dict((n, v) for n, v in values.items())!r}. Got {alt!r} ({e}) "
                         f"instead.") from None


def _values_list(name: str, opts, what: str, got: str) -> list:
    """``opts`` as a list: any iterable of values except a str or bytes; else a TypeError naming ``name``."""
    try:
        if isinstance(opts, (str, bytes)):
            raise TypeError
        return list(opts)
    except TypeError:
        raise TypeError(f"The {name!r} parameter must be {what}. Got {got} instead.") from None


def _check_keys(name: str, d, valid: list, what: str) -> dict:
    """``d`` (a dict or None) whose keys are all control names; else a TypeError/ValueError naming ``name``."""
    if d is None:
        return {}
    if not isinstance(d, dict):
        raise TypeError(f"The {name!r} parameter must be a dict control name -> {what}, or None. "
                        f"Got {d!r} instead.")
    for k in d:
        if k not in valid:
            raise ValueError(f"The {name!r} parameter must have keys among the control names {valid!r}. "
                             f"Got the key {k!r} instead.")
    return d


def _check_figure(fig):
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise TypeError(f"The 'render' parameter must return a matplotlib Figure. Got {fig!r} instead.")
    return fig


def _reuse_layout(fig, layout):
    """Lay out the first frame once and give every later frame the same axes positions.

    Constrained layout costs about half of a frame's rendering time; the frames
    of one slider share their layout, so it is computed once. The engine is then removed
    (``None``): matplotlib's placeholder engine, what ``"none"`` leaves, makes saving the figure
    draw it a second time (0.18 s against 0.07 s for a two-panel frame, measured). Returns the
    positions to reuse (``None`` when the figure has no layout engine or a
    frame's axes differ in number, in which case the frame keeps its own layout).
    """
    engine = fig.get_layout_engine()
    if engine is None:
        return layout
    if layout is None or len(layout) != len(fig.axes):
        engine.execute(fig)
        fig.set_layout_engine(None)
        return [ax.get_position() for ax in fig.axes]
    fig.set_layout_engine(None)
    for ax, pos in zip(fig.axes, layout):
        ax.set_position(pos)
    return layout


def interactive_figure(render: Callable[..., object], controls: dict[str, Sequence], *, alt: str,
                       labels: dict[str, str] | None = None, initial: dict[str, object] | None = None,
                       compute: Callable[..., Sequence] | None = None, live: str = "lam") -> FrameViewer:
    """Render a figure for every combination of control values and wrap the frames.

    Parameters
    ----------
    render : callable
        Without ``compute``: ``render(**values) -> matplotlib.figure.Figure``; it should only *draw*
        (do the numerical work for all values beforehand and look results up). With ``compute``:
        ``render(result, **values)``, where ``result`` is what ``compute`` returned for these values.
    controls : dict
        ``name -> list of values``. A list of booleans becomes a checkbox, any
        other list a slider over its values in the order given.
    alt : str
        Alt text template for the frames; ``{name}`` is replaced by the value's
        label, e.g. ``"Decision boundary at λ = {lam}"``; with a format spec,
        ``{lam:.2f}``, by the value itself formatted with that spec.
    labels : dict, optional
        Display names of the controls (default: the names themselves).
    initial : dict, optional
        Starting values (default: the first value of each control).
    compute : callable, optional
        ``compute(lams, **others) -> sequence`` with one result per value of the array ``lams``
        (the control named ``live``), the other controls at fixed values: the numerical work,
        vectorized over λ. It is called once per combination of the other controls for the stored
        grid, and again, in a live kernel, for a λ typed off the grid (:meth:`FrameViewer.set`).
    live : str
        The control that accepts values off its grid when ``compute`` is given (default ``"lam"``).

    Returns
    -------
    FrameViewer
        The frames with their controls: live widgets in a kernel, HTML and JavaScript on a page.
    """
    if not callable(render):
        raise TypeError(f"The 'render' parameter must be a callable returning a matplotlib Figure. "
                        f"Got {render!r} instead.")
    if not isinstance(controls, dict) or not controls:
        raise ValueError(f"The 'controls' parameter must be a non-empty dict name -> list of values. "
                         f"Got {controls!r} instead.")
    if not isinstance(alt, str):
        raise TypeError(f"The 'alt' parameter must be a str. Got {alt!r} instead.")
    if compute is not None and not callable(compute):
        raise TypeError(f"The 'compute' parameter must be a callable compute(lams, **others) -> sequence of "
                        f"results, or None. Got {compute!r} instead.")
    ctl: dict[str, list] = {}
    for name, opts in controls.items():
        opts = _values_list("controls", opts, "a dict mapping each control name to a list of values",
                            f"{name!r}: {opts!r}")
        if not opts:
            raise ValueError(f"The {name!r} control must have at least one value. Got an empty list instead.")
        ctl[name] = [False, True] if _is_bool(opts) else opts
    if compute is not None and (live not in ctl or _is_bool(ctl[live])):
        raise ValueError(f"The 'live' parameter must name a slider among the controls "
                         f"{[n for n, o in ctl.items() if not _is_bool(o)]!r}. Got {live!r} instead.")
    labels = _check_keys("labels", labels, list(ctl), "display name")
    for n, lab in labels.items():
        if not isinstance(lab, str):
            raise TypeError(f"The 'labels' parameter must map control names to str. Got {n!r}: {lab!r} instead.")
    initial = _check_keys("initial", initial, list(ctl), "starting value")
    labels = {n: labels.get(n, n) for n in ctl}
    initial = {n: initial.get(n, opts[0]) for n, opts in ctl.items()}
    _check_initial(ctl, initial)
    alts = [_format_alt(alt, dict(zip(ctl, combo))) for combo in itertools.product(*ctl.values())]
    results: dict[tuple, list] = {}
    if compute is not None:
        others = [n for n in ctl if n != live]
        for combo in itertools.product(*(ctl[n] for n in others)):
            res = list(compute(np.asarray(ctl[live], dtype=float), **dict(zip(others, combo))))
            if len(res) != len(ctl[live]):
                raise ValueError(f"The 'compute' parameter must return one result per value of {live!r} "
                                 f"({len(ctl[live])}). Got {len(res)} results instead.")
            results[tuple(_hashable(v) for v in combo)] = res
    frames: list[_Frame] = []
    layout = gids = None
    for combo in itertools.product(*ctl.values()):
        values = dict(zip(ctl, combo))
        if compute is None:
            make = functools.partial(render, **values)
        else:
            key = tuple(_hashable(values[n]) for n in ctl if n != live)
            make = functools.partial(render, results[key][ctl[live].index(values[live])], **values)
        frame, layout, gids = _draw(make, layout, frames[0].panels if frames else None, gids)
        frames.append(frame)
    run = None if compute is None else _Live(live, compute, render, layout, frames[0].panels, gids)
    return FrameViewer(_layers(frames), ctl, labels, alts, initial, run)


def _check_initial(ctl: dict, initial: dict) -> None:
    for name, v in initial.items():
        if not any(o == v for o in ctl[name]):
            raise ValueError(f"The {name!r} control must take one of {ctl[name]!r}. Got {v!r} instead.")


def lambda_slider(render: Callable[..., object], lams: Sequence[float], *, alt: str,
                  label: str = "λ", initial: float | None = None,
                  compute: Callable[[np.ndarray], Sequence] | None = None) -> FrameViewer:
    """One λ slider: ``render(lam)`` — or ``render(result, lam=lam)`` with ``compute`` — once per value of ``lams``.

    ``alt`` may use ``{lam}``. Use a grid such as :func:`lambda_grid` (log spaced, with 0 first) so the
    slider spans orders of magnitude. With ``compute(lams) -> sequence of results`` (vectorized over
    λ), a live kernel also takes λ values off the grid; see :func:`interactive_figure`.
    """
    from ._validate import check_lam

    if not callable(render):
        raise TypeError(f"The 'render' parameter must be a callable returning a matplotlib Figure. "
                        f"Got {render!r} instead.")
    lams = _values_list("lams", lams, "a list of floats (the slider's λ values)", repr(lams))
    lams = [check_lam(v, "lams") for v in lams]
    return interactive_figure(render, {"lam": lams}, alt=alt, labels={"lam": label},
                              initial=None if initial is None else {"lam": initial}, compute=compute)


def static_figure(fig, *, alt: str) -> FrameViewer:
    """A figure without controls, shown the way the sliders' frames are: inline SVG (sharp at any pixel
    density, text as text) whose panels stack on a narrow screen. Closes ``fig``."""
    if not isinstance(alt, str):
        raise TypeError(f"The 'alt' parameter must be a str. Got {alt!r} instead.")
    frame = _draw(lambda: fig, None)[0]
    return FrameViewer(_layers([frame]), {}, {}, [alt], {})


def lambda_grid(lo: float = 1e-3, hi: float = 10.0, per_decade: int = 2, zero: bool = True) -> list[float]:
    """λ values log-spaced from ``lo`` to ``hi`` (``per_decade`` per factor 10), with 0 first.

    >>> lambda_grid(0.1, 10, 1)
    [0.0, 0.1, 1.0, 10.0]
    """
    from ._validate import check_int, check_positive

    lo, hi = check_positive("lo", lo), check_positive("hi", hi)
    per_decade = check_int("per_decade", per_decade)
    if hi < lo:
        raise ValueError(f"The 'hi' parameter must be at least lo = {lo!r}. Got {hi!r} instead.")
    n = int(round(np.log10(hi / lo) * per_decade)) + 1
    vals = [float(f"{v:.3g}") for v in np.logspace(np.log10(lo), np.log10(hi), n)]
    return ([0.0] if zero else []) + vals


def glue(key: str, value) -> None:
    """Hand a computed value to the book's prose: the page shows it wherever the text says ``{glue}`key```.

    This is myst-nb's ``glue(key, value, display=False)`` (the website inserts the stored value
    into the text when it is built). Where myst-nb is not installed (a chapter run with the l2lib
    wheel alone) there is no page to fill, and this does nothing. Returns None, so that a cell
    ending with it shows nothing.
    """
    if not isinstance(key, str) or not key:
        raise TypeError(f"The 'key' parameter must be a non-empty str. Got {key!r} instead.")
    try:
        from myst_nb import glue as _myst_glue
    except ModuleNotFoundError:
        return None
    _myst_glue(key, value, display=False)
