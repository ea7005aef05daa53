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
    from l2lib.slider import FrameViewer

    frames = [bytes([i]) * 10 for i in range(6)]
    controls = {"lam": [0.0, 0.1, 1.0], "decay_bias": [False, True]}
    v = FrameViewer(frames, controls, {"lam": "λ", "decay_bias": "bias"}, [f"f{i}" for i in range(6)],
                    {"lam": 0.0, "decay_bias": False})
    times = move_all(v, min_samples=10)
    # snake over (3, 2) has 6 frames and 5 single changes per sweep; 10 samples need 2 sweeps
    assert len(times) == 10
    assert all(t >= 0 for t in times)
    # back where the walk started (a forward then a backward sweep), showing that frame
    assert v._current_index() == 0 and v._image.value == frames[0]


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
