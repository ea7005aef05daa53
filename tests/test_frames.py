"""Every stored figure comes out again when its chapter runs here, on either numpy code path.

nbval compares the stored text of every cell but masks images (see nbval_sanitize.cfg). This test
covers them: it executes each notebook in memory (nbclient, nothing is written) in the current
environment and compares every figure of the stored outputs with the new one — each slider's
frames (the ``frames`` list of its text/html, in order, and the ``<img>`` it starts on) and each
static ``image/png``. ``make test`` runs it twice, on numpy's default code path and on its baseline
path (every dispatched SIMD feature off, ``scripts/cpu_features.py``); an extra cell in the kernel
checks that the kernel really runs on the path of this process.

**Decoded pixels within a tolerance, not bytes** — measured (numpy 2.4, x86-64 with AVX-512):

* PNG bytes are not reproducible. Executing the book on the default path (X86_V4), with only
  X86_V3 (an AVX2 machine's path) and on the baseline path (X86_V2) gives identical bytes for most
  figures, but not for chapter 3's slider (2 of 11 frames) and its gradient figure; and the frames
  stored in the repository, made on another machine, differ in chapters 2 (2 of 12 frames) and 3
  (10 of 11) on every path tried here. A curve that moves by a fraction of a pixel changes a few
  anti-aliased pixels, and ``fig_to_png``'s adaptive 256-colour palette, chosen from the whole
  image's colours, then shifts some palette entries, so pixels far from the curve (text edges,
  grid lines) change by a level or two and the compressed bytes change throughout.
* Decoded to RGB the differences are tiny: at most 0.21 % of a frame's pixels differ at all,
  at most 0.01 % by more than 16 levels (of 255) in some channel, the largest single difference
  is 56 levels (every figure of every chapter with a stable computation, all pairs of the paths
  above and the stored frames).
* Two neighbouring frames of the same slider (the smallest real change a reader can make) differ
  by more than 16 levels in at least 0.70 % of their pixels.

So a figure passes when it has the same size and at most ``MAX_FRACTION`` = 0.1 % of its pixels
differ by more than ``LEVELS`` = 16 in some channel: ten times the measured rounding noise, seven
times below the nearest wrong frame. A frame that is missing, out of order or drawn from other
numbers fails; so does a different number of figures or of frames.
"""
from __future__ import annotations

import base64
import io
import json
import os
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LEVELS = 16            # a channel differing by more than this many levels (of 255) counts as a changed pixel
MAX_FRACTION = 1e-3    # of the figure's pixels

DATA = re.compile(r'<script type="application/json" class="l2-data">(.*?)</script>', re.S)
START = re.compile(r'<div class="l2-frames" id="[^"]*" data-frame="(\d+)">')
IMG = re.compile(r'<img class="l2-frame" src="data:image/png;base64,([A-Za-z0-9+/=]+)"')

# Appended to the in-memory notebook: which numpy code path the kernel runs on, and which Python.
PROBE = """import json, sys
try:
    from numpy._core import _multiarray_umath as _um
except ImportError:
    from numpy.core import _multiarray_umath as _um
print(json.dumps({"prefix": sys.prefix, "on": {k: bool(_um.__cpu_features__.get(k)) for k in _um.__cpu_dispatch__}}))"""


def figures(nb) -> list[dict]:
    """Every figure of a notebook's outputs, in order: where it is, its kind, its PNG frames."""
    out = []
    for ci, cell in enumerate(nb.cells):
        for oi, o in enumerate(cell.get("outputs", [])):
            data = o.get("data", {})
            m = DATA.search(data.get("text/html", ""))
            if m:
                html = data["text/html"]
                d = json.loads(m.group(1))
                out.append({"where": f"cell {ci} output {oi} (slider)",
                            "frames": [base64.b64decode(s) for s in d["frames"]],
                            "controls": (d["shape"], d["names"], d["labels"], d["alts"]),
                            "start": (int(START.search(html).group(1)), base64.b64decode(IMG.search(html).group(1)))})
            if "image/png" in data:
                out.append({"where": f"cell {ci} output {oi} (image)", "frames": [base64.b64decode(data["image/png"])],
                            "controls": None, "start": None})
    return out


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def changed_fraction(a: bytes, b: bytes) -> float:
    """Fraction of pixels where some channel differs by more than LEVELS (1.0 if the sizes differ)."""
    pa, pb = pixels(a), pixels(b)
    if pa.shape != pb.shape:
        return 1.0
    return float((np.abs(pa - pb).max(axis=2) > LEVELS).mean())


# ---------------------------------------------------------------- the comparison itself
def _png(color: tuple[int, int, int], box=None, size=(40, 25)) -> bytes:
    img = Image.new("RGB", size, "white")
    if box:
        img.paste(color, box)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_changed_fraction_counts_pixels_by_hand():
    white = _png((255, 255, 255))
    # 2 × 5 = 10 pixels of 40 × 25 = 1000 turned black: 1 %
    assert changed_fraction(white, _png((0, 0, 0), (0, 0, 2, 5))) == pytest.approx(0.01)
    # a change of 16 levels is at the limit and not counted, 17 is
    assert changed_fraction(white, _png((239, 255, 255), (0, 0, 40, 25))) == 0.0
    assert changed_fraction(white, _png((255, 238, 255), (0, 0, 40, 25))) == 1.0
    # different size: everything counts as changed
    assert changed_fraction(white, _png((255, 255, 255), size=(40, 24))) == 1.0


# ---------------------------------------------------------------- scripts/cpu_features.py, which sets up the second pass
def _cpu_features():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import cpu_features
    finally:
        sys.path.pop(0)
    return cpu_features


def test_cpu_features_catches_a_name_numpy_ignores():
    cf = _cpu_features()
    dispatch = cf.probe(dict(os.environ))["dispatch"]
    if not dispatch:
        pytest.skip("this numpy dispatches no CPU features, so it reads no NPY_DISABLE_CPU_FEATURES")
    # numpy only warns (an ImportWarning, hidden by default) about a name it does not know ...
    rep = cf.probe(dict(os.environ, NPY_DISABLE_CPU_FEATURES=dispatch[0] + ",NOT_A_FEATURE"))
    assert any("NOT_A_FEATURE" in w for w in rep["warnings"]), rep
    assert rep["on"][dispatch[0]] is False


def test_cpu_features_stops_when_a_feature_stays_on(monkeypatch, capsys):
    cf = _cpu_features()
    reports = iter([{"numpy": "x", "dispatch": ["A", "B"], "on": {"A": True, "B": True}, "baseline": ["Z"],
                     "current": None, "warnings": []},
                    {"numpy": "x", "dispatch": ["A", "B"], "on": {"A": False, "B": True}, "baseline": ["Z"],
                     "current": ["baseline(Z)", "B"], "warnings": []}])
    monkeypatch.setattr(cf, "probe", lambda env: next(reports))
    with pytest.raises(SystemExit) as exc:
        cf.baseline_env({"PATH": "/bin", "NPY_ENABLE_CPU_FEATURES": "A"})
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "NPY_DISABLE_CPU_FEATURES=A,B" in err and "features still on: B" in err and "targets: B" in err


# ---------------------------------------------------------------- every notebook
@pytest.mark.slow   # executes every notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_stored_figures_are_reproduced(path, monkeypatch):
    # the settings of `make execute` (scripts/execute_notebooks.py); the kernel inherits them
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, os.environ.get(var, "1"))
    nb = nbformat.read(path, as_version=4)
    stored = figures(nb)
    assert stored, f"{path.name} stores no figure: nothing to compare"
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False, store_widget_state=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()

    probe = json.loads(nb.cells.pop()["outputs"][0]["text"])
    try:
        from numpy._core import _multiarray_umath as um
    except ImportError:                                  # numpy 1.x
        from numpy.core import _multiarray_umath as um
    assert Path(probe["prefix"]).resolve() == Path(sys.prefix).resolve(), "the kernel is not this environment"
    here = {k: bool(um.__cpu_features__.get(k)) for k in um.__cpu_dispatch__}
    assert probe["on"] == here, f"the kernel's numpy runs on {probe['on']}, this process on {here}"
    for name in filter(None, re.split(r"[,\s]+", os.environ.get("NPY_DISABLE_CPU_FEATURES", ""))):
        assert probe["on"].get(name) is False, f"NPY_DISABLE_CPU_FEATURES names {name}, but the kernel has it on"

    new = figures(nb)
    assert [f["where"] for f in new] == [f["where"] for f in stored], "the figures are not the stored ones"
    bad = []
    for s, n in zip(stored, new):
        assert n["controls"] == s["controls"], f"{s['where']}: controls, labels or alt texts changed"
        assert len(n["frames"]) == len(s["frames"]), f"{s['where']}: {len(n['frames'])} frames, stored {len(s['frames'])}"
        if s["start"]:
            k, img = n["start"]
            assert k == s["start"][0] and img == n["frames"][k], f"{s['where']}: starts on the wrong frame"
        for k, (a, b) in enumerate(zip(s["frames"], n["frames"])):
            frac = changed_fraction(a, b)
            if frac > MAX_FRACTION:
                bad.append(f"{s['where']} frame {k}: {100 * frac:.3f} % of the pixels differ by more than "
                           f"{LEVELS} levels (allowed {100 * MAX_FRACTION:.1f} %)")
    assert not bad, f"{path.name}: figures differ from the stored ones:\n" + "\n".join(bad)
