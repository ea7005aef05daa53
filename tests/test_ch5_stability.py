"""Chapter 5's printed results do not hinge on rounding.

Every training run the chapter draws conclusions from must be stable: moving
each starting weight and bias by one unit in the last place (ulp) must leave
every printed line exactly as stored (the λ table has a row for each of the
slider's λ values, so every frame's numbers are covered). The test runs the
chapter itself (its own code, in a fresh kernel of this environment, working
directory notebooks/) with one extra cell right after the cell that creates
``net0``. That cell moves every entry of ``net0`` by one ulp with
``np.nextafter`` (toward +inf in one run, toward -inf in the other) and wraps
``L.init_net`` so that every network the chapter initializes later (the widths
of the last experiment) is moved the same way. Then the printed text (stdout)
of every executed cell, and every value it glues into the page's prose (myst-nb
``glue``), must equal the stored output character for character.

Not executed: cells tagged ``nbval-ignore-output`` (the wall-clock timing, which
prints nothing reproducible) and the cell that renders the slider's frames
(pictures only; nbval compares its text). If a later cell needed either, it
would fail with a NameError, so skipping them cannot hide a change.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "notebooks" / "05_pso_vs_backprop.ipynb"

PERTURB = """\
import numpy as _np

def _one_ulp(net, _to={to}):
    moved = [(_np.nextafter(W, _to), _np.nextafter(b, _to)) for W, b in net.params]
    assert all(_np.all(W1 != W) and _np.all(b1 != b) for (W1, b1), (W, b) in zip(moved, net.params))
    return net._replace(params=moved)

net0 = _one_ulp(net0)
_init_net = L.init_net
L.init_net = lambda *args, **kwargs: _one_ulp(_init_net(*args, **kwargs))
print("moved by one ulp toward", "{name}")
"""


pytestmark = pytest.mark.slow   # executes chapter 5 twice


def stdout(cell) -> str:
    return "".join(o["text"] for o in cell.get("outputs", [])
                   if o["output_type"] == "stream" and o["name"] == "stdout")


def printed(cell) -> str:
    """stdout, then one line per glued value: what the reader sees of the cell's results."""
    glued = [(o["metadata"]["scrapbook"], o["data"]) for o in cell.get("outputs", [])
             if o["output_type"] == "display_data" and "scrapbook" in o.get("metadata", {})]
    return stdout(cell) + "".join(f"glue {sb['name']} = {data[sb['mime_prefix'] + 'text/plain']}\n"
                                  for sb, data in glued)


def skipped(cell) -> bool:
    return "nbval-ignore-output" in cell.metadata.get("tags", []) or "lambda_slider(" in cell.source


@pytest.mark.parametrize("to, name", [("_np.inf", "+inf"), ("-_np.inf", "-inf")], ids=["up", "down"])
def test_one_ulp_leaves_printed_results_unchanged(to, name, monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", os.environ.get("OPENBLAS_NUM_THREADS", "1"))
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    stored = nbformat.read(CHAPTER, as_version=4)
    creators = [k for k, c in enumerate(stored.cells) if c.cell_type == "code" and "net0 = " in c.source]
    assert len(creators) == 1, f"expected one cell that creates net0, found {len(creators)}"
    checked = [c for c in stored.cells if c.cell_type == "code" and not skipped(c)]
    # the check must cover the chapter's results: the λ table and the width experiment
    assert any("dev acc" in stdout(c) for c in checked)
    table = next(stdout(c) for c in checked if "dev acc" in stdout(c))
    assert len(table.splitlines()) >= 2 + 25 + 1     # two header lines, a row per λ of the slider, the last line
    assert any("gradients;  PSO" in stdout(c) for c in checked)
    assert any("glue ch5-" in printed(c) for c in checked)     # and the numbers the prose quotes

    nb = copy.deepcopy(stored)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    extra = nbformat.v4.new_code_cell(PERTURB.format(to=to, name=name))
    nb.cells.insert(creators[0] + 1, extra)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(CHAPTER.parent)}})
    with client.setup_kernel():
        for k, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and not skipped(cell):
                client.execute_cell(cell, k)
    assert stdout(extra) == f"moved by one ulp toward {name}\n"
    now = {c.id: printed(c) for c in nb.cells}
    changed = {c.id: (printed(c), now[c.id]) for c in checked if now[c.id] != printed(c)}
    assert not changed, "printed output changed when the starting weights moved by one ulp:\n" + "\n".join(
        f"--- cell {cid}, stored:\n{old}--- now:\n{new}" for cid, (old, new) in changed.items())
