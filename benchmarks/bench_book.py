"""The book: time to execute every notebook, and to build the website from the stored notebooks.

* Execution: ``notebooks/`` is copied into a temporary folder and ``scripts/execute_notebooks.py``
  runs the copies (the repository's files are not touched); its per-notebook seconds, the total
  wall time and the CPU time of the executor and its kernels (less sensitive to other processes on
  a shared machine than wall time) are recorded. Repeated ``--exec-repeats`` times. With
  ``--threads-compare``, then every notebook alone, with the default thread count and with one
  BLAS/OpenMP thread per kernel (``OPENBLAS_NUM_THREADS=1``) back to back, for comparison.
* Build: ``jupyter-book build`` with the flags of ``make book`` (``-n -W --keep-going``) into
  ``benchmarks/results/build`` from the stored (executed) notebooks, with a table of contents made
  from ``_toc.yml`` less the entries whose files do not exist yet, plus the notebooks it does not
  list yet (so that every written chapter is built and weighed). A cold build: the output folder is
  removed first. The build's exit status and warning count are recorded, not enforced — ``make
  test`` checks those.

Writes ``results/book.json``; the built site is left in ``benchmarks/results/build/_build/html`` for
``bench_pages.py``.
"""
from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PY, RESULTS, ROOT, machine, summary, write_result  # noqa: E402

BUILD = RESULTS / "build"
SUFFIXES = (".ipynb", ".md", ".rst", ".myst")


def _exists(entry: str) -> bool:
    p = ROOT / entry
    return p.exists() or any((ROOT / (entry + s)).exists() for s in SUFFIXES)


def filtered_toc(dest: Path) -> tuple[Path, list[str], list[str], list[str]]:
    """Write ``_toc.yml`` less its missing files to ``dest``, plus the notebooks it does not list yet.

    Returns (path, kept files, missing files, added notebooks). Notebooks in ``notebooks/`` that
    the table of contents does not list are appended to the part that holds the other notebooks
    (or a new part), so that every written chapter is built and weighed.
    """
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    kept, missing = [], []

    def prune(entries):
        out = []
        for e in entries or []:
            if "file" in e and not _exists(e["file"]):
                missing.append(e["file"])
                continue
            if "file" in e:
                kept.append(e["file"])
            for key in ("sections", "chapters"):
                if key in e:
                    e[key] = prune(e[key])
                    if not e[key]:
                        del e[key]
            out.append(e)
        return out

    if "parts" in toc:
        for part in toc["parts"]:
            part["chapters"] = prune(part.get("chapters"))
        toc["parts"] = [p for p in toc["parts"] if p["chapters"]]
    for key in ("chapters", "sections"):
        if key in toc:
            toc[key] = prune(toc[key])
    added = [f"notebooks/{p.stem}" for p in sorted((ROOT / "notebooks").glob("*.ipynb"))
             if f"notebooks/{p.stem}" not in kept]
    if added:
        entries = [{"file": f} for f in added]
        if "parts" in toc:
            host = next((p for p in toc["parts"] if any(str(c.get("file", "")).startswith("notebooks/")
                                                          for c in p["chapters"])), None)
            if host is None:
                toc["parts"].append({"caption": "Chapters not yet in _toc.yml", "chapters": entries})
            else:
                host["chapters"] = sorted(host["chapters"] + entries, key=lambda c: str(c.get("file", "")))
        else:
            toc.setdefault("chapters", []).extend(entries)
    dest.write_text(yaml.safe_dump(toc, sort_keys=False, allow_unicode=True))
    return dest, kept, missing, added


_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _execute_once(notebooks: list[Path], threads: int | None) -> dict:
    """Run the executor on copies of ``notebooks/``.

    ``threads``: None keeps the environment as it is (what ``make execute`` does), 0 removes the
    thread variables (each library's own default: every core), k sets them to k.
    """
    env = _env()
    if threads == 0:
        for var in _THREAD_VARS:
            env.pop(var, None)
    elif threads is not None:
        for var in _THREAD_VARS:
            env[var] = str(threads)
    with tempfile.TemporaryDirectory(prefix="l2bench-exec-") as tmp:
        dst = Path(tmp) / "notebooks"
        shutil.copytree(ROOT / "notebooks", dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        copies = [str(dst / p.name) for p in notebooks]
        t0, c0 = time.perf_counter(), _children_cpu()
        out = subprocess.run([PY, str(ROOT / "scripts" / "execute_notebooks.py"), *copies],
                             capture_output=True, text=True, env=env, cwd=tmp)
        wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
    per = {}
    for line in out.stdout.splitlines():
        mt = re.match(r"\s*([\d.]+) s\s+(\S+\.ipynb)$", line)
        if mt:
            per[mt.group(2)] = float(mt.group(1))
    label = {None: "inherited", 0: "library-default"}.get(threads, str(threads))
    print(f"executed {len(per)} notebooks ({label} BLAS threads) in "
          f"{wall:.1f} s, {cpu:.1f} CPU s (exit {out.returncode})", flush=True)
    return {"threads": threads, "wall_s": wall, "cpu_s": cpu, "per_notebook_s": per, "returncode": out.returncode,
            "stderr_tail": out.stderr[-2000:] if out.returncode else ""}


def execute_all(repeats: int, one_thread: bool = False) -> dict:
    """``repeats`` runs of all notebooks as ``make execute`` does them (one executor process, with the
    thread variables the environment sets). With ``one_thread``, then each notebook
    alone, once with the libraries' default thread count (the variables removed: every core) and once
    with a single BLAS/OpenMP thread per kernel, the two back to back in alternating order, so that both
    settings meet the same load from other processes."""
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    runs = [_execute_once(notebooks, None) for _ in range(repeats)]
    paired = None
    if one_thread:
        paired = {"default": {"per_notebook_s": {}, "wall_s": 0.0, "cpu_s": 0.0, "returncode": 0},
                  "one": {"per_notebook_s": {}, "wall_s": 0.0, "cpu_s": 0.0, "returncode": 0}}
        for i, nb in enumerate(notebooks):
            order = [("default", 0), ("one", 1)]
            for key, threads in (order if i % 2 == 0 else order[::-1]):
                r = _execute_once([nb], threads)
                agg = paired[key]
                agg["per_notebook_s"].update(r["per_notebook_s"])
                agg["wall_s"] += r["wall_s"]
                agg["cpu_s"] += r["cpu_s"]
                agg["returncode"] = agg["returncode"] or r["returncode"]
    names = [p.name for p in notebooks]
    return {"notebooks": names, "runs": runs, "paired_threads": paired,
            "wall_s": summary([r["wall_s"] for r in runs]),
            "per_notebook_s": {n: summary([r["per_notebook_s"][n] for r in runs if n in r["per_notebook_s"]])
                               for n in names}}


def _children_cpu() -> float:
    """CPU seconds (user + system) of all finished child processes so far, their children included."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _env():
    import os

    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def build(repeats: int) -> dict:
    runs = []
    toc, kept, missing, added = filtered_toc(RESULTS / "_toc.bench.yml")
    for _ in range(repeats):
        shutil.rmtree(BUILD, ignore_errors=True)
        t0, c0 = time.perf_counter(), _children_cpu()
        out = subprocess.run([str(Path(PY).parent / "jupyter-book"), "build", str(ROOT), "--toc", str(toc),
                              "--path-output", str(BUILD), "-n", "-W", "--keep-going"],
                             capture_output=True, text=True, env=_env(), cwd=ROOT)
        wall, cpu = time.perf_counter() - t0, _children_cpu() - c0
        text = out.stdout + out.stderr
        warnings = [ln for ln in text.splitlines() if "WARNING" in ln]
        runs.append({"wall_s": wall, "cpu_s": cpu, "returncode": out.returncode, "n_warnings": len(warnings),
                     "warnings_head": warnings[:10]})
        print(f"built {len(kept) + len(added) + 1} pages in {wall:.1f} s (exit {out.returncode}, {len(warnings)} warnings)", flush=True)
    return {"toc_files": kept, "toc_missing": missing, "toc_added": added, "runs": runs, "wall_s": summary([r["wall_s"] for r in runs]),
            "html": str(BUILD / "_build" / "html")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exec-repeats", type=int, default=1,
                    help="default 1: bench_sliders.py executes every notebook too, an independent second run")
    ap.add_argument("--build-repeats", type=int, default=1)
    ap.add_argument("--threads-compare", action="store_true",
                    help="also run each notebook alone with the default and with one BLAS thread (adds about two "
                         "full executions; off by default to keep `make bench` to a few minutes)")
    args = ap.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    res = {"execute": execute_all(args.exec_repeats, args.threads_compare) if args.exec_repeats else None,
           "build": build(args.build_repeats) if args.build_repeats else None, "machine": machine()}
    write_result("book", res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
