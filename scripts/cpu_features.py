"""Run a command on numpy's baseline code path: every dispatched SIMD feature switched off.

    python scripts/cpu_features.py                # print the dispatched features, comma-separated
    python scripts/cpu_features.py --run CMD ...  # run CMD with all of them disabled (what `make test` does)

numpy compiles many loops several times — for a baseline instruction set that every supported CPU
has (``__cpu_baseline__``, e.g. X86_V2 on x86-64, NEON/ASIMD on arm64) and for newer ones it picks
at import time when the CPU has them (``__cpu_dispatch__``, e.g. X86_V3, X86_V4, AVX512_ICL,
AVX512_SPR with numpy 2.4 on x86-64). Different loops can round differently, so a stored output
that depends on the last bits of a sum differs between machines. ``make test`` therefore runs the
notebooks a second time with ``NPY_DISABLE_CPU_FEATURES`` set to every dispatched feature of the
running numpy, read at run time (names differ between architectures and numpy versions).

numpy ignores names it does not know with only an ``ImportWarning`` (hidden by default), and
silently accepts a dispatched feature the CPU lacks. So before running the command this script
starts a child interpreter with the variable set and checks that numpy imports without any
warning and that every dispatched feature is off there (and, where numpy can tell, that no ufunc
loop still runs a dispatched target); otherwise it stops with exit status 2.
OpenBLAS picks its own kernels; its variables (OPENBLAS_CORETYPE, ...) are left as they are.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

VAR = "NPY_DISABLE_CPU_FEATURES"

# Runs in the child interpreter: imports numpy with every warning recorded and reports what it sees.
_PROBE = r"""
import json, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import numpy as np
    try:
        from numpy._core import _multiarray_umath as um
    except ImportError:                      # numpy 1.x
        from numpy.core import _multiarray_umath as um
current = None
try:
    from numpy.lib.introspect import opt_func_info   # numpy >= 2.0
    current = sorted({sig["current"] for f in opt_func_info().values() for sig in f.values()})
except ImportError:
    pass
print(json.dumps({"numpy": np.__version__, "dispatch": list(getattr(um, "__cpu_dispatch__", [])),
                  "on": {k: bool(um.__cpu_features__.get(k)) for k in getattr(um, "__cpu_dispatch__", [])},
                  "baseline": list(getattr(um, "__cpu_baseline__", [])), "current": current,
                  "warnings": [f"{w.category.__name__}: {w.message}" for w in caught]}))
"""


def probe(env: dict[str, str]) -> dict:
    """What numpy reports in a fresh interpreter started with ``env``."""
    proc = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"cpu_features: importing numpy with {VAR}={env.get(VAR)!r} failed:\n{proc.stderr.strip()}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def baseline_env(environ: dict[str, str] | None = None) -> tuple[dict[str, str], dict]:
    """A copy of ``environ`` with every dispatched feature disabled, checked in a child interpreter.

    Returns the environment and the child's report; exits with status 2 if numpy did not accept the
    list or any dispatched feature is still on.
    """
    env = {k: v for k, v in (environ if environ is not None else os.environ).items()
           if k not in (VAR, "NPY_ENABLE_CPU_FEATURES")}   # numpy refuses both variables at once
    default = probe(env)
    features = default["dispatch"]
    if not features:
        return env, default | {"disabled": [], "had": []}
    env[VAR] = ",".join(features)
    rep = probe(env)
    still_on = [k for k, on in rep["on"].items() if on]
    dispatched_loops = [c for c in (rep["current"] or []) if not c.startswith("baseline")]
    problems = []
    if rep["warnings"]:
        problems.append("numpy warned: " + " | ".join(rep["warnings"]))
    if still_on:
        problems.append(f"features still on: {', '.join(still_on)}")
    if dispatched_loops:
        problems.append(f"ufunc loops still on dispatched targets: {', '.join(dispatched_loops)}")
    if problems:
        print(f"cpu_features: {VAR}={env[VAR]} did not switch numpy {rep['numpy']} to its baseline path: "
              + "; ".join(problems), file=sys.stderr)
        sys.exit(2)
    return env, rep | {"disabled": features, "had": [k for k, on in default["on"].items() if on]}


def describe(rep: dict) -> str:
    if not rep["disabled"]:
        return (f"numpy {rep['numpy']} dispatches no CPU features here: its default path is the baseline "
                f"({' '.join(rep['baseline'])}); nothing to disable")
    lacks = [f for f in rep["disabled"] if f not in rep["had"]]
    return (f"numpy {rep['numpy']} baseline path ({' '.join(rep['baseline'])}): {VAR}={','.join(rep['disabled'])}"
            f" — this CPU had {', '.join(rep['had']) or 'none of them'}"
            + (f" and lacks {', '.join(lacks)}" if lacks else "")
            + "; checked off in a child interpreter"
            + (f", ufunc loops now on {', '.join(rep['current'])}" if rep["current"] else ""))


def main(argv: list[str]) -> int:
    if not argv:
        from importlib import import_module
        try:
            um = import_module("numpy._core._multiarray_umath")
        except ImportError:
            um = import_module("numpy.core._multiarray_umath")
        print(",".join(getattr(um, "__cpu_dispatch__", [])))
        return 0
    if argv[0] != "--run" or len(argv) < 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(f"cpu_features: the arguments must be nothing or --run CMD..., got {argv!r}")
    env, rep = baseline_env()
    print(describe(rep), flush=True)
    return subprocess.run(argv[1:], env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
