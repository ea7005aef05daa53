"""Execute the book's notebooks in place so their stored outputs are current.

    python scripts/execute_notebooks.py                 # every notebooks/*.ipynb
    python scripts/execute_notebooks.py notebooks/01_*.ipynb

Each notebook runs top to bottom in a fresh kernel of this environment, with
its folder as working directory. What only a live kernel can use is not
stored: widget state and the widget-view part of each slider's output (its
model id is random and points at no model once the kernel is gone; the
text/html part holds the same frames and is what the website and a freshly
opened notebook show). Per-cell timing is not stored either, nor the version of
the Python that ran the kernel (language_info.version: another interpreter,
say 3.12 instead of 3.11, would change every file's metadata), so re-running an
unchanged notebook leaves the file unchanged. Prints the seconds each notebook
took.

``make lab`` never opens these files (see scripts/lab.py), so what JupyterLab
writes into a notebook it opens needs no matching here.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The settings the stored outputs are written with, each unless already set; the kernels inherit them
# (see the Makefile). tests/test_frames.py compares figures only from runs with these settings.
SETTINGS = {"PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def settings(environ=os.environ) -> dict[str, str]:
    """What a run in ``environ`` executes with: SETTINGS, where ``environ`` does not set them otherwise."""
    return {k: environ.get(k, v) for k, v in SETTINGS.items()}


def execute(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                   store_widget_state=False, record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - t0
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata.get("language_info", {}).pop("version", None)   # the executing Python's x.y.z
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for out in cell.get("outputs", []):
            out.get("data", {}).pop(WIDGET_VIEW, None)
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> int:
    os.environ.update(settings())
    paths = [Path(p) for p in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    total = 0.0
    for p in paths:
        s = execute(p.resolve())
        total += s
        print(f"{s:7.1f} s  {p.name}", flush=True)
    print(f"{total:7.1f} s  total ({len(paths)} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
