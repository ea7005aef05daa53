"""Imported *inside* a notebook's kernel by ``bench_sliders.py``: find the sliders, move them, time them.

``install()`` runs before the notebook's first cell: it wraps
``l2lib.slider.FrameViewer._repr_mimebundle_`` so that every viewer the notebook displays is
registered. ``report()`` runs after the last cell: it moves every control of every registered viewer
through all its values with ``FrameViewer.set``, then, where the viewer was made with ``compute``, sets
20 λ values off its grid (log-uniform over its positive range, a fixed seed: each computed on demand,
the first time), and prints one JSON line.
"""
from __future__ import annotations

import gc
import json
import math
import time

MARK = "L2BENCH-JSON:"
_viewers: list = []
_t0 = [0.0, 0.0]


def install() -> None:
    """Register every FrameViewer that gets displayed (patches the class, in this kernel only)."""
    import l2lib.slider as sl

    orig = sl.FrameViewer._repr_mimebundle_
    if getattr(orig, "_l2bench", False):
        return

    def _repr(self, include=None, exclude=None):
        if not any(v is self for v in _viewers):
            _viewers.append(self)
        return orig(self, include=include, exclude=exclude)

    _repr._l2bench = True
    sl.FrameViewer._repr_mimebundle_ = _repr
    _t0[0], _t0[1] = time.perf_counter(), time.process_time()


def snake(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Every index tuple of ``shape`` once; consecutive tuples differ by one step in one coordinate.

    >>> snake((2, 3))
    [(0, 0), (0, 1), (0, 2), (1, 2), (1, 1), (1, 0)]
    """
    if len(shape) == 1:
        return [(i,) for i in range(shape[0])]
    rest = snake(shape[1:])
    path: list[tuple[int, ...]] = []
    for i in range(shape[0]):
        path += [(i,) + r for r in (rest if i % 2 == 0 else rest[::-1])]
    return path


def move_all(viewer, min_samples: int = 60) -> list[float]:
    """Walk ``viewer`` through all its frames, one control one step at a time, forwards and back,
    until at least ``min_samples`` value changes; return the seconds each ``set`` took."""
    import numpy as np

    viewer.widget()
    names = list(viewer.controls)
    path = snake(viewer.shape)
    sweeps = max(2, math.ceil(min_samples / max(1, len(path) - 1)))
    times = []
    for s in range(sweeps):
        for pos in (path if s % 2 == 0 else path[::-1]):
            for j, name in enumerate(names):
                if np.unravel_index(viewer._current_index(), viewer.shape)[j] == pos[j]:
                    continue
                times.append(viewer.set(**{name: viewer.controls[name][pos[j]]}))
                if bytes(viewer._image.value) != viewer.frame(**viewer._current_values()).encode("utf-8"):
                    raise AssertionError("the Image widget does not show the frame of the controls' values")
    return times


def off_grid(viewer, n: int = 20, seed: int = 0) -> list[float]:
    """Seconds each of ``n`` off-grid λ values took in ``viewer.set`` (computed on demand: none is cached)."""
    import numpy as np

    name = viewer._live.name
    grid = np.array([float(v) for v in viewer.controls[name]])
    lo, hi = grid[grid > 0].min(), grid.max()
    rng = np.random.default_rng(seed)
    values = [float(f"{v:.4g}") for v in np.exp(rng.uniform(np.log(lo), np.log(hi), 4 * n))]
    values = [v for v in dict.fromkeys(values) if v not in set(grid)][:n]
    viewer.widget()
    return [viewer.set(**{name: v}) for v in values]


def report(min_samples: int = 60) -> None:
    """Measure every registered viewer and print one line ``MARK + json``."""
    import ipywidgets as w
    import numpy as np

    out = {"elapsed_s": time.perf_counter() - _t0[0], "cpu_s": time.process_time() - _t0[1], "viewers": []}
    for k, v in enumerate(x for x in _viewers if x.controls):      # figures with controls
        times = move_all(v, min_samples)
        sizes = [len(f.encode("utf-8")) for f in v.frames]
        out["viewers"].append({"index": k, "controls": {n: [str(x) for x in o] for n, o in v.controls.items()},
                               "labels": dict(v.labels), "frames": len(v.frames),
                               "svg_bytes_mean": float(np.mean(sizes)), "svg_bytes_max": int(max(sizes)),
                               "alt0": v.alts[0], "times": times,
                               "off_grid": off_grid(v) if v._live is not None else None})
    owned = {id(c) for v in _viewers for c in v._inputs.values()}
    kinds = (w.IntSlider, w.FloatSlider, w.FloatLogSlider, w.SelectionSlider, w.SelectionRangeSlider, w.Dropdown,
             w.Checkbox, w.IntRangeSlider, w.FloatRangeSlider, w.ToggleButtons, w.RadioButtons, w.ToggleButton)
    out["unmeasured_controls"] = [f"{type(o).__name__}: {getattr(o, 'description', '')}" for o in gc.get_objects()
                                  if isinstance(o, kinds) and id(o) not in owned]
    print(MARK + json.dumps(out), flush=True)
