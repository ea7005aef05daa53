"""Figures driven by λ sliders: live in a Jupyter kernel, still live on a static page.

The pattern every chapter uses:

1. compute what the figure needs for every slider value *once* (vectorized),
2. render one PNG frame per combination of control values *once*,
3. let moving a control only swap the frame.

:func:`interactive_figure` returns a :class:`FrameViewer`. Displayed in a
notebook it emits one output bundle with two representations of the same
frames:

* ``application/vnd.jupyter.widget-view+json`` — ipywidgets controls whose
  callback assigns the precomputed PNG to an ``Image`` widget (JupyterLab);
* ``text/html`` — the same frames in a ``<figure>`` with ``<input>`` controls
  and a few lines of inline JavaScript that swap them (the static website,
  which has no kernel; the book's config prefers this representation for html).
  Where that script cannot run (a stored notebook opened in JupyterLab before
  its cells ran), the output shows the first frame, disabled controls and a
  one-line note saying that running the cells makes them live.
"""
from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import time
from importlib import resources
from typing import Callable, Sequence

import numpy as np

__all__ = ["glue", "fmt_value", "fig_to_png", "FrameViewer", "in_kernel", "interactive_figure", "lambda_slider",
           "lambda_grid"]

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


def fig_to_png(fig, dpi: int = 80, colors: int = 256) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it.

    The image is reduced to an adaptive palette of ``colors`` colours (no
    dithering), which makes plot frames about 2.5 times smaller with no visible
    change, so a page can carry more slider frames. No timestamp is written, so
    the same figure gives the same bytes.
    """
    import matplotlib.pyplot as plt
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
    plt.close(fig)
    if not colors:
        return buf.getvalue()
    img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB").quantize(colors=colors, dither=Image.Dither.NONE)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


class FrameViewer:
    """Precomputed PNG frames indexed by the values of one or more controls.

    ``frames[k]`` belongs to the k-th combination of ``itertools.product`` over
    the controls' values, in the order the controls were given.
    """

    def __init__(self, frames: list[bytes], controls: dict[str, list], labels: dict[str, str],
                 alts: list[str], initial: dict[str, object]):
        self.frames = frames
        self.controls = controls
        self.labels = labels
        self.alts = alts
        self.shape = tuple(len(v) for v in controls.values())
        self.initial = initial
        self._widget = None
        self._image = None
        self._inputs: dict[str, object] = {}
        self.uid = "l2f-" + hashlib.sha1(b"".join(frames)).hexdigest()[:12]

    # ---- indexing
    def index(self, **values) -> int:
        """Flat frame index for the given control values (missing ones take their initial value)."""
        self._check_names(values)
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

    def frame(self, **values) -> bytes:
        """PNG bytes of the frame for these control values."""
        return self.frames[self.index(**values)]

    # ---- static html
    def html(self) -> str:
        """Self-contained HTML (frames as data URIs, inline JavaScript) for pages without a kernel.

        It also carries a one-line note for where the JavaScript does not run: a
        stored notebook opened in JupyterLab before its cells ran shows this output sanitized (no
        script, controls disabled), so the note tells the reader how to make the figure live.
        The JavaScript removes the note first thing, so a page where the frames swap (the
        website) never shows it.
        """
        k0 = self.index()
        pos0 = np.unravel_index(k0, self.shape)
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
        data = {"shape": list(self.shape), "names": [self.labels[n] for n in names],
                "labels": [[fmt_value(v) for v in self.controls[n]] for n in names],
                "alts": self.alts, "frames": [base64.b64encode(f).decode("ascii") for f in self.frames]}
        src = base64.b64encode(self.frames[k0]).decode("ascii")
        return (f'<div class="l2-frames" id="{self.uid}" data-frame="{k0}">'
                f'<div class="l2-controls">{"<br>".join(ctl)}</div>'
                f'<p class="l2-note"><em>{html.escape(self._note())}</em></p>'
                f'<img class="l2-frame" src="data:image/png;base64,{src}" alt="{html.escape(self.alts[k0])}" '
                f'style="max-width:100%;height:auto">'
                f'<script type="application/json" class="l2-data">{json.dumps(data)}</script>'
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
        """The ipywidgets version: controls whose callback only swaps the PNG in an Image widget."""
        if self._widget is not None:
            return self._widget
        import ipywidgets as w

        k0 = self.index()
        pos0 = np.unravel_index(k0, self.shape)
        self._image = w.Image(value=self.frames[k0], format="png", layout=w.Layout(max_width="100%"))
        for j, (name, opts) in enumerate(self.controls.items()):
            if _is_bool(opts):
                c = w.Checkbox(value=bool(opts[pos0[j]]), description=self.labels[name], indent=False)
            else:
                c = w.SelectionSlider(options=[(fmt_value(v), i) for i, v in enumerate(opts)], value=int(pos0[j]),
                                      description=self.labels[name], continuous_update=True,
                                      layout=w.Layout(width="420px"))
            c.observe(self._on_change, names="value")
            self._inputs[name] = c
        self._widget = w.VBox([w.HBox(list(self._inputs.values())), self._image])
        return self._widget

    def _current_index(self) -> int:
        pos = []
        for name, opts in self.controls.items():
            v = self._inputs[name].value
            pos.append(int(v) if not _is_bool(opts) else opts.index(bool(v)))
        return int(np.ravel_multi_index(pos, self.shape))

    def _on_change(self, change) -> None:
        self._image.value = self.frames[self._current_index()]

    def set(self, **values) -> float:
        """Move live controls to ``values`` (as a reader would) and return the seconds the update took."""
        self._check_names(values)
        pos = {name: self._position(name, v) for name, v in values.items()}   # all checked before any moves
        self.widget()
        t0 = time.perf_counter()
        for name, i in pos.items():
            opts = self.controls[name]
            self._inputs[name].value = bool(opts[i]) if _is_bool(opts) else i
        return time.perf_counter() - t0

    def _summary(self) -> str:
        parts = [f"{self.labels[n]} in {{{', '.join(fmt_value(v) for v in o)}}}" for n, o in self.controls.items()]
        return f"Interactive figure, {len(self.frames)} frames: " + "; ".join(parts)

    def __repr__(self) -> str:
        return self._summary()

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": self._summary(), "text/html": self.html()}
        if in_kernel():
            bundle.update(self.widget()._repr_mimebundle_())
            bundle["text/plain"] = self._summary()
        return bundle


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
    of one slider share their layout, so it is computed once. Returns the
    positions to reuse (``None`` when the figure has no layout engine or a
    frame's axes differ in number, in which case the frame keeps its own layout).
    """
    engine = fig.get_layout_engine()
    if engine is None:
        return layout
    if layout is None or len(layout) != len(fig.axes):
        engine.execute(fig)
        fig.set_layout_engine("none")
        return [ax.get_position() for ax in fig.axes]
    fig.set_layout_engine("none")
    for ax, pos in zip(fig.axes, layout):
        ax.set_position(pos)
    return layout


def interactive_figure(render: Callable[..., object], controls: dict[str, Sequence], *, alt: str,
                       labels: dict[str, str] | None = None, initial: dict[str, object] | None = None,
                       dpi: int = 80) -> FrameViewer:
    """Render ``render(**values)`` for every combination of control values and wrap the frames.

    Parameters
    ----------
    render : callable
        ``render(**values) -> matplotlib.figure.Figure``. It should only *draw*:
        do the numerical work for all values beforehand and look results up.
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
    dpi : int
        Resolution of the PNG frames, in dots per inch.

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
    ctl: dict[str, list] = {}
    for name, opts in controls.items():
        opts = _values_list("controls", opts, "a dict mapping each control name to a list of values",
                            f"{name!r}: {opts!r}")
        if not opts:
            raise ValueError(f"The {name!r} control must have at least one value. Got an empty list instead.")
        ctl[name] = [False, True] if _is_bool(opts) else opts
    labels = _check_keys("labels", labels, list(ctl), "display name")
    for n, lab in labels.items():
        if not isinstance(lab, str):
            raise TypeError(f"The 'labels' parameter must map control names to str. Got {n!r}: {lab!r} instead.")
    initial = _check_keys("initial", initial, list(ctl), "starting value")
    labels = {n: labels.get(n, n) for n in ctl}
    initial = {n: initial.get(n, opts[0]) for n, opts in ctl.items()}
    FrameViewer([], ctl, labels, [], initial).index()  # validates ``initial`` before any rendering
    alts = [_format_alt(alt, dict(zip(ctl, combo))) for combo in itertools.product(*ctl.values())]
    frames = []
    layout = None
    for combo in itertools.product(*ctl.values()):
        values = dict(zip(ctl, combo))
        fig = _check_figure(render(**values))
        layout = _reuse_layout(fig, layout)
        frames.append(fig_to_png(fig, dpi=dpi))
    return FrameViewer(frames, ctl, labels, alts, initial)


def lambda_slider(render: Callable[[float], object], lams: Sequence[float], *, alt: str,
                  label: str = "λ", initial: float | None = None, dpi: int = 80) -> FrameViewer:
    """One λ slider: ``render(lam) -> Figure`` rendered once per value of ``lams``.

    ``alt`` may use ``{lam}``. Use a grid such as :func:`lambda_grid` (log
    spaced, with 0 first) so the slider spans orders of magnitude.
    """
    from ._validate import check_lam

    if not callable(render):
        raise TypeError(f"The 'render' parameter must be a callable returning a matplotlib Figure. "
                        f"Got {render!r} instead.")
    lams = _values_list("lams", lams, "a list of floats (the slider's λ values)", repr(lams))
    lams = [check_lam(v, "lams") for v in lams]
    return interactive_figure(lambda lam: render(lam), {"lam": lams}, alt=alt, labels={"lam": label},
                              initial=None if initial is None else {"lam": initial}, dpi=dpi)


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
