"""Helpers shared by the benchmark scripts: summary statistics, machine facts, result files.

Every benchmark script writes one JSON file into ``benchmarks/results/`` (ignored by git);
``benchmarks/run.py`` runs the scripts one after another, each in its own process, and turns the
JSON files into ``BENCHMARKS.md``. Timings are never asserted anywhere: they are reported.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PY = sys.executable


def summary(xs) -> dict:
    """Median, 5th/25th/75th/95th percentiles, min, max and count of a list of numbers.

    Percentiles use linear interpolation between order statistics (numpy's default),
    so p95 of 16 values lies between the 15th and 16th smallest.
    """
    import numpy as np

    a = np.asarray(list(xs), dtype=float)
    if a.size == 0:
        return {"n": 0}
    q = np.percentile(a, [5, 25, 50, 75, 95])
    return {"n": int(a.size), "median": float(q[2]), "p5": float(q[0]), "p25": float(q[1]),
            "p75": float(q[3]), "p95": float(q[4]), "min": float(a.min()), "max": float(a.max()),
            "mean": float(a.mean())}


def write_result(name: str, data: dict) -> Path:
    """Write ``benchmarks/results/<name>.json`` and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=1, sort_keys=True))
    return path


def read_result(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _version(mod: str) -> str:
    try:
        from importlib.metadata import version
        return version(mod)
    except Exception:  # noqa: BLE001 - a missing package is reported, not fatal
        return "not installed"


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty else "")
    except Exception:  # noqa: BLE001
        return "unknown"


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def machine() -> dict:
    """Facts about this machine and the versions that matter for the timings."""
    import numpy as np

    blas, simd = "unknown", "unknown"
    try:
        cfg = np.show_config(mode="dicts")
        b = cfg.get("Build Dependencies", {}).get("blas", {})
        blas = f"{b.get('name', '?')} {b.get('version', '')}".strip()
        s = cfg.get("SIMD Extensions", {})
        simd = f"baseline {', '.join(s.get('baseline', []))}; found {', '.join(s.get('found', [])) or '-'}"
    except Exception:  # noqa: BLE001
        pass
    return {
        "cpu": _cpu_model(), "cores": os.cpu_count(), "memory_gib": _mem_gib(),
        "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
        "numpy": np.__version__, "numpy_simd": simd, "blas": blas, "torch": _version("torch"), "matplotlib": _version("matplotlib"),
        "ipywidgets": _version("ipywidgets"), "jupyter-book": _version("jupyter-book"),
        "playwright": _version("playwright"), "commit": _git_commit(), "load_average": load_average(),
        "thread_env": ", ".join(f"{v}={os.environ.get(v, 'unset')}"
                                for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")),
    }
