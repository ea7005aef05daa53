"""Every stored figure comes out again when its chapter runs here, on either numpy code path.

nbval compares the stored text of every cell but masks figures (see nbval_sanitize.cfg). This test
covers them: it takes each notebook as run in the current environment — nbval's run of this session
when nbval ran it in full with the settings of ``make execute`` (tests/conftest.py keeps it, and
``make test`` runs notebooks/ first), else a run of its own in memory (nbclient, nothing is
written) — and compares every figure of the stored outputs with the new one — each slider's SVG
(its template, every frame's slot contents, panel boxes, controls and alt texts, and the frame it
starts on) and each remaining static ``image/png``. ``make test`` runs it twice, on numpy's default
code path and on its baseline path (every dispatched SIMD feature off, ``scripts/cpu_features.py``);
an extra cell in the kernel checks that the kernel really runs on the path of this process.

**SVG: same text, same structure, coordinates within two rounding units.** l2lib writes geometry
rounded to 0.01 pt. A computation that differs in its last bits between CPUs can move a rounded
coordinate by one unit (0.01 pt, 1/7200 of an inch) where it sits on a rounding boundary; nothing
else may change. So two SVGs agree when every piece of text (tick labels, titles, the values in
them) is identical, everything that is not a number is identical (elements, attributes, styles,
their order), and every number differs by at most ``TOL`` = 0.02. A frame that is missing, out of
order or drawn from other numbers fails: neighbouring λ frames of every slider differ by far more
(``test_neighbouring_frames_differ_beyond_the_tolerance`` checks it on the stored chapters).

**PNG (figures without controls not yet drawn as SVG): decoded pixels within a tolerance, not
bytes** — measured (numpy 2.4, x86-64 with AVX-512): PNG bytes are not reproducible across SIMD
paths and machines (a curve that moves by a fraction of a pixel changes a few anti-aliased pixels),
but decoded to RGB at most 0.21 % of a figure's pixels differ at all and at most 0.01 % by more
than 16 levels. So a PNG passes when it has the same size and at most ``MAX_FRACTION`` = 0.1 % of
its pixels differ by more than ``LEVELS`` = 16 in some channel.
"""
from __future__ import annotations

import base64
import importlib
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

from conftest import NBVAL_RUNS, PROBE

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LEVELS = 16            # a channel differing by more than this many levels (of 255) counts as a changed pixel
MAX_FRACTION = 1e-3    # of the figure's pixels
TOL = 0.02             # pt: two units of the 0.01-pt rounding of SVG geometry

DATA = re.compile(r'<script type="application/json" class="l2-data">(.*?)</script>', re.S)
START = re.compile(r'<div class="l2-frames" id="[^"]*" data-frame="(\d+)">')
SVG = re.compile(r'<svg [^>]*class="l2-svg l2-wide".*?</svg>', re.S)
UID = re.compile(r"l2f-[0-9a-f]{12}")
TEXT = re.compile(r"<text[^>]*>(.*?)</text>", re.S)
# a number stands alone: not part of a name such as a definition's id "m33955e788" (read as a float,
# that would overflow and compare as nan)
NUMBER = re.compile(r"((?<![\w.#])-?\d+(?:\.\d+)?(?![\w.]))")

def figures(nb) -> list[dict]:
    """Every figure of a notebook's outputs, in order: where it is, its kind, its frames (SVG text or PNG bytes)."""
    out = []
    for ci, cell in enumerate(nb.cells):
        for oi, o in enumerate(cell.get("outputs", [])):
            data = o.get("data", {})
            m = DATA.search(data.get("text/html", ""))
            if m:
                html = UID.sub("l2f-ID", data["text/html"])
                d = json.loads(UID.sub("l2f-ID", m.group(1)))
                out.append({"where": f"cell {ci} output {oi} (figure)", "kind": "svg",
                            "frames": ["".join(s) for s in d["slots"]],
                            "template": SVG.search(html).group(0),
                            "geometry": json.dumps([d["size"], d["panels"]]), "font": d["font"],
                            "controls": (d["shape"], d["names"], d["labels"], d["alts"]),
                            "start": int(START.search(html).group(1))})
            elif "image/png" in data:
                out.append({"where": f"cell {ci} output {oi} (image)", "kind": "png",
                            "frames": [base64.b64decode(data["image/png"])], "controls": None, "start": None})
    return out


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def changed_fraction(a: bytes, b: bytes) -> float:
    """Fraction of pixels where some channel differs by more than LEVELS (1.0 if the sizes differ)."""
    pa, pb = pixels(a), pixels(b)
    if pa.shape != pb.shape:
        return 1.0
    return float((np.abs(pa - pb).max(axis=2) > LEVELS).mean())


def svg_difference(a: str, b: str) -> float:
    """The largest difference between corresponding numbers of two SVG texts; ``inf`` when their text
    content or anything that is not a number differs (or the numbers differ in count)."""
    if [re.sub(r"<[^>]+>", "", t) for t in TEXT.findall(a)] != [re.sub(r"<[^>]+>", "", t) for t in TEXT.findall(b)]:
        return float("inf")
    pa, pb = NUMBER.split(a), NUMBER.split(b)
    if len(pa) != len(pb) or pa[0::2] != pb[0::2]:
        return float("inf")
    if len(pa) == 1:
        return 0.0
    return float(np.max(np.abs(np.array(pa[1::2], float) - np.array(pb[1::2], float))))


# ---------------------------------------------------------------- the comparison itself
def _png(color: tuple[int, int, int], box=None, size=(40, 25)) -> bytes:
    img = Image.new("RGB", size, "white")
    if box:
        img.paste(color, box)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_svg_difference_by_hand():
    a = '<path d="M 1.25 3L 4 5.5"/><text x="2" y="3">0.6</text>'
    assert svg_difference(a, a) == 0.0
    assert svg_difference(a, a.replace("1.25", "1.26")) == pytest.approx(0.01)       # one rounding unit
    assert svg_difference(a, a.replace("5.5", "5.55")) == pytest.approx(0.05)         # a real move ...
    assert 0.05 > TOL                                                                # ... fails
    assert svg_difference(a, a.replace(">0.6<", ">0.61<")) == float("inf")          # text must be identical
    assert svg_difference(a, a.replace("L 4 5.5", "L 4 5.5L 6 7")) == float("inf")   # another element
    assert svg_difference(a, a.replace("<path", "<polyline")) == float("inf")
    assert svg_difference(a, a.replace('"/>', '" style="fill: red"/>', 1)) == float("inf")
    b = '<use href="#l2f-ID-m33955e788" x="1.25"/>'                               # an id is not a number
    assert svg_difference(b, b.replace("m33955e788", "m33955e789")) == float("inf")
    assert svg_difference(b, b.replace("1.25", "1.26")) == pytest.approx(0.01)


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
def _script(name: str):
    """A module of scripts/, imported by name with scripts/ on the path for the import only."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.pop(0)


def _cpu_features():
    return _script("cpu_features")


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
# The settings of `make execute` (scripts/execute_notebooks.py), which wrote the stored outputs.
EXECUTE_ENV = _script("execute_notebooks").settings()


def _run_here(path: Path, monkeypatch) -> tuple[nbformat.NotebookNode, dict, str]:
    """The notebook executed with the settings of `make execute`: nbval's run of this session where it
    ran every cell with those settings (tests/conftest.py keeps it), else a run here (nbclient, in
    memory). Returns the executed notebook, PROBE's report from its kernel, and which run it was."""
    nb = nbformat.read(path, as_version=4)
    run = NBVAL_RUNS.get(str(path))
    code = [c for c in nb.cells if c.cell_type == "code"]
    if run and run["complete"] and run["probe"] and sorted(run["outputs"]) == list(range(len(code))):
        probe = json.loads(run["probe"])
        if all(probe["env"].get(k) == v for k, v in EXECUTE_ENV.items()):
            for k, cell in enumerate(code):
                cell.outputs = [nbformat.from_dict(o) for o in run["outputs"][k]]
            return nb, probe, "nbval's run"
    for var, value in EXECUTE_ENV.items():       # the kernel inherits them
        monkeypatch.setenv(var, value)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False, store_widget_state=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb, json.loads(nb.cells.pop()["outputs"][0]["text"]), "a run here"


@pytest.mark.slow   # executes every notebook (or reads nbval's run of it)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_stored_figures_are_reproduced(path, monkeypatch):
    stored = figures(nbformat.read(path, as_version=4))
    assert stored, f"{path.name} stores no figure: nothing to compare"
    nb, probe, which = _run_here(path, monkeypatch)
    print(f"{path.name}: figures of {which}")
    try:
        from numpy._core import _multiarray_umath as um
    except ImportError:                                  # numpy 1.x
        from numpy.core import _multiarray_umath as um
    assert Path(probe["prefix"]).resolve() == Path(sys.prefix).resolve(), "the kernel is not this environment"
    here = {k: bool(um.__cpu_features__.get(k)) for k in um.__cpu_dispatch__}
    assert probe["on"] == here, f"the kernel's numpy runs on {probe['on']}, this process on {here}"
    for name in filter(None, re.split(r"[,\s]+", os.environ.get("NPY_DISABLE_CPU_FEATURES", ""))):
        assert probe["on"].get(name) is False, f"NPY_DISABLE_CPU_FEATURES names {name}, but the kernel has it on"
    assert {k: probe["env"][k] for k in EXECUTE_ENV} == EXECUTE_ENV, f"not the settings of make execute: {probe['env']}"

    new = figures(nb)
    assert [f["where"] for f in new] == [f["where"] for f in stored], "the figures are not the stored ones"
    bad = []
    for s, n in zip(stored, new):
        assert n["controls"] == s["controls"], f"{s['where']}: controls, labels or alt texts changed"
        assert len(n["frames"]) == len(s["frames"]), f"{s['where']}: {len(n['frames'])} frames, stored {len(s['frames'])}"
        if s["kind"] == "svg":
            assert n["start"] == s["start"], f"{s['where']}: starts on frame {n['start']}, stored {s['start']}"
            assert n["font"] == s["font"], f"{s['where']}: smallest font {n['font']} pt, stored {s['font']}"
            pairs = [("template", s["template"], n["template"]), ("size and panels", s["geometry"], n["geometry"])]
            pairs += [(f"frame {k}", a, b) for k, (a, b) in enumerate(zip(s["frames"], n["frames"]))]
            for what, a, b in pairs:
                diff = svg_difference(a, b)
                if diff > TOL:
                    bad.append(f"{s['where']} {what}: " + ("text or structure differs" if diff == float("inf")
                               else f"a coordinate moved by {diff:.3f} pt (allowed {TOL})"))
            continue
        for k, (a, b) in enumerate(zip(s["frames"], n["frames"])):
            frac = changed_fraction(a, b)
            if frac > MAX_FRACTION:
                bad.append(f"{s['where']} frame {k}: {100 * frac:.3f} % of the pixels differ by more than "
                           f"{LEVELS} levels (allowed {100 * MAX_FRACTION:.1f} %)")
    assert not bad, f"{path.name}: figures differ from the stored ones:\n" + "\n".join(bad)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_neighbouring_frames_differ_beyond_the_tolerance(path):
    """The comparison above can tell a frame from its neighbour: the smallest change a reader can make."""
    nb = nbformat.read(path, as_version=4)
    for f in figures(nb):
        if f["kind"] != "svg" or len(f["frames"]) < 2:
            continue
        shape = f["controls"][0]
        for k in range(len(f["frames"]) - 1):
            if (k + 1) % shape[-1] == 0:           # the next frame changes another control: not neighbours
                continue
            d = svg_difference(f["frames"][k], f["frames"][k + 1])
            assert d > 5 * TOL, f"{path.name} {f['where']}: frames {k} and {k + 1} differ by only {d} pt"
