r"""Slider latency: every λ slider of every notebook, moved through all its values in a live kernel.

For each ``notebooks/*.ipynb`` (or the paths given):

1. a cell is put in front of the notebook's own cells that (``slider_probe.install``) wraps
   ``l2lib.slider.FrameViewer._repr_mimebundle_`` so that every viewer the notebook *displays* is
   registered (whatever its variable name, and also when it is only the last expression of a cell);
2. the notebook runs top to bottom in a fresh ``python3`` kernel (nbclient), its files untouched;
3. a cell appended at the end (``slider_probe.report``) moves the live ipywidgets controls of every registered viewer with
   ``FrameViewer.set(name=value)`` — one control, one step at a time, along a path that visits every
   frame (for two controls: a snake through the grid), forwards and back, several times — and
   records the seconds each change took.

``set`` returns the time from the value change to the end of the widget callback, i.e. until the
``Image`` widget holds the new PNG and its update has been handed to the kernel's messaging layer.
That is the kernel side of a reader's drag. The browser's decoding and painting of the PNG come on
top and are not measured here.

Slider widgets the notebook creates outside a ``FrameViewer`` (an ``ipywidgets.interact`` that
re-renders, for instance) cannot be moved generically; they are listed so that they are not missed.

For comparison, the same script times what a callback that *re-renders* a figure would cost: a
representative two-panel figure (decision regions as filled contours + 0.5 contour + data, on a
150 x 150 grid, for two networks) drawn and encoded to PNG, without any training.

Writes ``results/sliders.json``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, summary, write_result  # noqa: E402
from slider_probe import MARK  # noqa: E402

HERE = Path(__file__).resolve().parent
PRE = ("# benchmark (injected by benchmarks/bench_sliders.py): register every FrameViewer displayed\n"
       f"import sys as _l2b_sys\n_l2b_sys.path.insert(0, {str(HERE)!r})\n"
       "import slider_probe as _l2b_probe\n_l2b_probe.install()\n")
POST = "# benchmark: move every control of every registered viewer through all its values\n_l2b_probe.report(%d)\n"


def measure_notebook(path: Path, min_samples: int = 60, timeout: int = 900) -> dict:
    """Run one notebook in a fresh kernel and move all its sliders; returns per-viewer timings."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.cells = ([nbformat.v4.new_code_cell(PRE)] + nb.cells
                + [nbformat.v4.new_code_cell(POST % min_samples)])
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False, store_widget_state=False,
                   record_timing=True, resources={"metadata": {"path": str(path.parent)}}).execute()
    wall = time.perf_counter() - t0
    cells = []                                  # the notebook's own code cells: seconds each, from nbclient's timing
    for i, c in enumerate(nb.cells[1:-1]):
        ex = c.metadata.get("execution", {})
        if c.cell_type == "code" and "shell.execute_reply" in ex and "iopub.execute_input" in ex:
            sec = (_ts(ex["shell.execute_reply"]) - _ts(ex["iopub.execute_input"]))
            first = next((ln for ln in c.source.splitlines() if ln.strip() and not ln.startswith("#")), "")
            cells.append({"cell": i, "seconds": sec, "first_line": first[:70]})
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    line = next(ln for ln in text.splitlines() if ln.startswith(MARK))
    data = json.loads(line[len(MARK):])
    for v in data["viewers"]:
        t = v.pop("times")
        v["latency_s"] = summary(t)
        g = v.pop("off_grid", None)
        v["off_grid_s"] = summary(g) if g else None
    data["wall_s"] = wall
    data["notebook"] = path.name
    data["slowest_cells"] = sorted(cells, key=lambda c: -c["seconds"])[:3]
    return data


def _ts(stamp: str) -> float:
    """Seconds since the epoch from nbclient's ISO timestamps ("2026-01-01T12:00:00.123456Z")."""
    import datetime as dt

    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def naive_render_cost(repeats: int = 7) -> dict:
    """Seconds to draw and encode (as l2lib stores frames: SVG taken apart) a representative two-panel
    decision-region figure (no training)."""
    import matplotlib

    matplotlib.use("Agg")
    import l2lib as L
    from l2lib.slider import _take_apart

    X, y = L.make_moons(200, noise=0.25, rng=0)
    nets = L.train_many(L.init_params([2, 16, 16, 1], rng=0), X, y, [0.0, 3.0], lr=0.5, epochs=200)[0]
    grid = L.grid_2d(X)

    def render():
        fig, axes = L.figure(ncols=2)
        for ax, p, lam in zip(axes, nets, (0.0, 3.0)):
            L.plot_boundary(p, X, y, ax=ax, grid=grid, title=f"λ = {lam}")
        f = _take_apart(fig)
        import matplotlib.pyplot as plt

        plt.close(fig)
        return "".join(u for c in f.units for u in c if isinstance(u, str))

    render()                                                   # warm-up: fonts, caches
    times, cpu, size = [], [], 0
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        size = len(render())
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"description": "2 panels x (contourf 11 levels + 0.5 contour + 200 points), 150 x 150 grid, "
                           "figure 8.4 x 3.6 in, drawn and encoded as SVG by l2lib.slider", "svg_bytes": size,
            "seconds": summary(times), "cpu_seconds": summary(cpu)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", help="default: notebooks/*.ipynb")
    ap.add_argument("--min-samples", type=int, default=60, help="value changes per viewer, at least")
    args = ap.parse_args(argv)
    paths = [Path(p).resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    res = {"notebooks": [], "errors": {}}
    for p in paths:
        try:
            r = measure_notebook(p, args.min_samples)
        except Exception as e:  # noqa: BLE001 - a notebook that fails is reported, the others still run
            res["errors"][p.name] = f"{type(e).__name__}: {str(e)[:300]}"
            print(f"{p.name}: FAILED {type(e).__name__}", flush=True)
            continue
        res["notebooks"].append(r)
        for v in r["viewers"]:
            s = v["latency_s"]
            print(f"{p.name} #{v['index']} ({v['frames']} frames): median {1e3 * s['median']:.2f} ms, "
                  f"p95 {1e3 * s['p95']:.2f} ms over {s['n']} changes", flush=True)
    res["naive_render"] = naive_render_cost()
    print(f"naive re-render of a two-panel figure: median {1e3 * res['naive_render']['seconds']['median']:.0f} ms")
    res["machine"] = machine()
    write_result("sliders", res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
