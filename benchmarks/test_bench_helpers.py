"""Tests of the benchmark helpers (no timings: what is tested is the bookkeeping around them).

    .venv/bin/pytest benchmarks/test_bench_helpers.py -p no:cacheprovider -q
"""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_book  # noqa: E402
from common import summary  # noqa: E402
from slider_probe import move_all, snake  # noqa: E402


# ---------------------------------------------------------------- summary
def test_summary_hand_worked():
    s = summary([4.0, 1.0, 3.0, 2.0, 5.0])
    # sorted 1..5: median 3; p25 = 2 and p75 = 4 exactly (linear interpolation at ranks 1 and 3)
    assert (s["n"], s["median"], s["p25"], s["p75"], s["min"], s["max"], s["mean"]) == (5, 3.0, 2.0, 4.0, 1.0, 5.0, 3.0)
    # p95 sits at rank 0.95 * 4 = 3.8: 4 + 0.8 * (5 - 4)
    assert s["p95"] == pytest.approx(4.8)


def test_summary_empty():
    assert summary([]) == {"n": 0}


# ---------------------------------------------------------------- snake walk over a slider grid
@pytest.mark.parametrize("shape", [(1,), (7,), (2, 3), (3, 2), (13, 2), (2, 3, 4)])
def test_snake_visits_every_frame_once_with_single_steps(shape):
    path = snake(shape)
    assert sorted(path) == sorted(itertools.product(*(range(n) for n in shape)))
    for a, b in zip(path, path[1:]):
        diff = np.abs(np.subtract(a, b))
        assert diff.sum() == 1          # exactly one control moves, by one position


def test_snake_starts_at_the_first_frame():
    assert snake((3, 2))[:3] == [(0, 0), (0, 1), (1, 1)]


# ---------------------------------------------------------------- moving a real FrameViewer
def test_move_all_changes_every_control_and_shows_the_right_frame():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import l2lib as L

    def render(lam, decay_bias):
        fig, ax = plt.subplots(figsize=(2, 1.5))
        ax.plot([0, 1], [0, lam + decay_bias])
        return fig

    controls = {"lam": [0.0, 0.1, 1.0], "decay_bias": [False, True]}
    v = L.interactive_figure(render, controls, alt="x", labels={"lam": "λ", "decay_bias": "bias"})
    times = move_all(v, min_samples=10)
    # snake over (3, 2) has 6 frames and 5 single changes per sweep; 10 samples need 2 sweeps
    assert len(times) == 10
    assert all(t >= 0 for t in times)
    # back where the walk started (a forward then a backward sweep), showing that frame
    assert v._current_index() == 0 and bytes(v._image.value) == v.frames[0].encode()


def test_off_grid_sets_values_off_the_grid_each_computed_once():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import l2lib as L
    from slider_probe import off_grid

    seen = []

    def compute(lams):
        seen.extend(float(x) for x in lams)
        return list(lams)

    def render(r, lam):
        fig, ax = plt.subplots(figsize=(2, 1.5))
        ax.plot([0, 1], [0, r])
        return fig

    v = L.lambda_slider(render, [0.0, 0.1, 1.0, 10.0], alt="x", compute=compute)
    times = off_grid(v, n=5)
    extra = seen[4:]                      # after the grid's own call
    assert len(times) == 5 and len(extra) == 5 and len(set(extra)) == 5
    assert all(0.1 <= x <= 10.0 and x not in (0.1, 1.0, 10.0) for x in extra)


# ---------------------------------------------------------------- table of contents for the build
def test_filtered_toc_drops_missing_files_and_adds_unlisted_notebooks(tmp_path, monkeypatch):
    (tmp_path / "book").mkdir()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book" / "intro.md").write_text("# intro")
    (tmp_path / "notebooks" / "01_a.ipynb").write_text("{}")
    (tmp_path / "notebooks" / "03_c.ipynb").write_text("{}")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n"
        "  - caption: Chapters\n    chapters:\n      - file: notebooks/01_a\n      - file: notebooks/02_b\n"
        "  - caption: Appendix\n    chapters:\n      - file: notebooks/A_x\n")
    monkeypatch.setattr(bench_book, "ROOT", tmp_path)
    import yaml

    path, kept, missing, added = bench_book.filtered_toc(tmp_path / "out.yml")
    assert kept == ["notebooks/01_a"]
    assert missing == ["notebooks/02_b", "notebooks/A_x"]
    assert added == ["notebooks/03_c"]
    toc = yaml.safe_load(path.read_text())
    assert toc["root"] == "book/intro"
    assert [p["caption"] for p in toc["parts"]] == ["Chapters"]            # the emptied part is gone
    assert toc["parts"][0]["chapters"] == [{"file": "notebooks/01_a"}, {"file": "notebooks/03_c"}]


# ---------------------------------------------------------------- report tables and goal bookkeeping (run.py)
import bench_training  # noqa: E402
import run  # noqa: E402


def test_table_writes_markdown_with_alignment():
    assert run.table(["a", "b"], [[1, "x"]], "lr") == ["| a | b |", "|---|---:|", "| 1 | x |", ""]


def _stats(median, lo=None, hi=None):
    lo = median if lo is None else lo
    hi = median if hi is None else hi
    return {"n": 3, "median": median, "p5": lo, "p25": lo, "p75": hi, "p95": hi, "min": lo, "max": hi, "mean": median}


def _pso_result(speedups, floor_ratio):
    rows = [{"label": "size", "m": m, "network": [2, 16, 1], "activation": "tanh", "n_params": 65, "particles": 40,
             "iterations": 50, "us_per_eval": {k: _stats(1.0) for k in ("batched", "loop_same_objective",
                                                                          "loop_batched_cost")},
             "speedup_i": _stats(s), "speedup_ii": _stats(2 * s),
             "check": {"same_x_i": True, "same_x_ii": True, "cost_abs_diff": 0.0}} for m, s in speedups]
    us = {k: _stats(1.0) for k in ("objective_call", "floor_cost", "run_free_cost", "floor_update", "run", "floor")}
    parts = {k: 1.0 for k in ("hidden_bias", "tanh_np", "tanh_exp", "loss", "penalty", "update", "matmuls")}
    return {"rows": rows, "floor": {"us": us, "parts_us": parts, "rounds": 3, "ratio_run_to_floor": _stats(floor_ratio),
                                    "ratio_cost_to_floor": _stats(1.0), "ratio_update_to_floor": _stats(1.0)}}


@pytest.mark.parametrize("speedups, floor_ratio, want", [
    ([(40, 9.0), (1000, 1.2)], 1.4, ("met", "met")),
    ([(40, 9.0), (1000, 0.9)], 1.4, ("**missed**", "met")),      # one size slower than the loop
    ([(40, 9.0), (1000, 1.2)], 1.6, ("met", "**missed**")),      # 1.6 > 1.5 x the floor
])
def test_pso_goals_judge_every_row_and_the_floor(speedups, floor_ratio, want):
    goals = []
    run.section_pso(_pso_result(speedups, floor_ratio), goals)
    assert [g[2] for g in goals] == list(want)
    # the smallest speed-up is the one reported
    assert f"{min(s for _, s in speedups):.2f}×" in goals[0][1]


def _training_process(step_floor, step_torch=None, torch_vs_floor=None):
    s = {"median": 1e-3, "p25": 1e-3, "p75": 1e-3}
    keys = ["l2lib_step", "l2lib_train_epoch", "matmul_floor"] + (["torch_loss_penalty", "torch_weight_decay"]
                                                                  if step_torch else [])
    step = {"floor": _stats(step_floor)}
    ratios = {"l2lib_step": step, "l2lib_train_epoch": {"floor": _stats(1.0)}}      # train: 1.0 x the floor
    if step_torch:
        step["torch"] = _stats(step_torch)
        ratios["l2lib_train_epoch"]["torch"] = _stats(0.5)
        ratios["torch_vs_floor"] = _stats(torch_vs_floor)
    return {"cpu_seconds": {k: s for k in keys}, "wall_seconds": {k: s for k in keys},
            "minor_faults": {k: s for k in keys}, "sys_seconds": {k: s for k in keys}, "ratios": ratios,
            "floor_products": [{"product": "A0 W1", "shapes": "", "us": 1.0}],
            "check": {"l2lib_train_vs_step_max_abs_diff": 0.0, "cost_l2lib": 0.5, "torch_a_max_abs_diff": 0.0,
                      "torch_b_max_abs_diff": 0.0, "cost_torch": 0.5}}


@pytest.mark.parametrize("numpy_floor, want, estimate", [
    (1.30, ["met", "met"], "0.76×"),                  # 1.30 / 1.7 = 0.765 through the floor; worst 0.80
    (1.60, ["**missed**", "**missed**"], "0.94×"),    # 1.60 / 1.7 = 0.941 > 0.85; 1.60 > 1.35
])
def test_training_goals_take_the_worst_row_of_both_processes(numpy_floor, want, estimate):
    res = {"sizes": [2, 64, 64, 1], "m": 1000, "lam": 1.0, "lr": 0.5, "threads": 1, "rounds": 3, "block": 2,
           "train_k": 4, "processes": {"numpy": _training_process(numpy_floor),
                                       "torch": _training_process(1.25, 0.80, 1.7)}}
    goals = []
    run.section_training(res, goals)
    assert [g[2] for g in goals] == want
    assert f"`cost_and_grads` + update without PyTorch: {estimate} (through the floor)" in goals[0][1]
    assert "`cost_and_grads` + update with PyTorch: 0.80×" in goals[0][1]
    # `train` epoch: 1.0 / 1.7 = 0.588 through the floor without PyTorch; 0.50 with it
    assert "`train` epoch without PyTorch: 0.59× (through the floor)" in goals[0][1]
    assert "`train` epoch with PyTorch: 0.50×" in goals[0][1]


def test_update_is_a_plain_gradient_step():
    p = [(np.array([[1.0, 2.0]]), np.array([3.0]))]
    g = [(np.array([[2.0, 4.0]]), np.array([-2.0]))]
    (W, b), = bench_training.update(p, g, lr=0.5)
    assert W.tolist() == [[0.0, 0.0]] and b.tolist() == [4.0]


def test_matmul_floor_has_the_products_of_one_step():
    import l2lib as L

    X = np.zeros((7, 2))
    params = L.init_params([2, 64, 64, 1], rng=0)
    shapes = [f().shape for _, _, f in bench_training.matmul_floor(np, X, params)]
    # forward Z1, Z2, Z3; backward dW3, dA2, dW2, dA1, dW1 (no gradient for the inputs) for m = 7
    assert shapes == [(7, 64), (7, 64), (7, 1), (64, 1), (7, 64), (64, 64), (7, 64), (2, 64)]


def test_report_renders_every_section_from_results(tmp_path, monkeypatch):
    """write_report on one small result of each benchmark: every goal row is there, judged, and nothing else."""
    import common

    s = _stats(0.01)
    results = {
        "sliders": {"notebooks": [{"notebook": "01.ipynb", "elapsed_s": 3.0, "cpu_s": 2.5, "unmeasured_controls": [],
                                   "slowest_cells": [{"cell": 4, "seconds": 1.5, "first_line": "x = 1"}],
                                   "viewers": [{"index": 0, "labels": {"lam": "λ"}, "controls": {"lam": ["0", "1"]},
                                                "frames": 2, "latency_s": _stats(0.001), "svg_bytes_mean": 5e3,
                                                "off_grid_s": _stats(0.1)}]}],
                    "errors": {}, "naive_render": {"description": "a figure", "seconds": s, "cpu_seconds": s}},
        "book": {"execute": {"notebooks": ["01.ipynb"], "paired_threads": None,
                             "runs": [{"per_notebook_s": {"01.ipynb": 95.0}, "wall_s": 97.0, "cpu_s": 90.0,
                                       "returncode": 0, "stderr_tail": ""}]},
                 "build": {"runs": [{"wall_s": 12.0, "returncode": 0, "n_warnings": 0}], "toc_missing": [],
                           "toc_added": []}},
        "pages": {"pages": [{"page": "01.html", "interactive_figures": 1, "html_bytes": 2e6, "own_bytes": 2.5e6,
                             "total_bytes": 4e6, "requests": 40, "by_category": {"js": 1e6}}]},
        "pso": _pso_result([(40, 9.0)], 1.2),
    }
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    for name, data in results.items():
        common.write_result(name, {**data, "machine": {"cpu": "test CPU", "commit": "abc1234"}})
    text = run.write_report(None, tmp_path / "B.md")
    lines = text.splitlines()
    first = lines.index("| goal | measured | status |") + 2
    goals = lines[first:lines.index("", first)]                  # the goals table, up to its blank line
    status = {ln.split(" | ")[0][2:]: ln.rstrip(" |").split(" | ")[-1] for ln in goals}
    assert len(status) == 7                # (a) x2, (b) x2, sliders, execution, page weight
    assert [v for k, v in status.items() if k.startswith("(a)")] == ["not run", "not run"]   # no training result
    assert status["Executing all notebooks ≤ 90 s"] == "**missed**"                         # 95 s
    assert status["Chapter page ≤ 3 MB (HTML + own images)"] == "met"                        # 2.5 MB
    assert status["Slider latency: median ≤ 50 ms, p95 ≤ 100 ms (worst slider)"] == "met"   # 1 ms
    assert "| cpu | test CPU |" in text and "| commit | abc1234 |" in text
