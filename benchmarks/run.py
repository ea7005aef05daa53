"""Run every benchmark, each in its own process, and write BENCHMARKS.md from their results.

    python benchmarks/run.py                  # everything (what `make bench` runs)
    python benchmarks/run.py --only training pso
    python benchmarks/run.py --report-only    # rewrite BENCHMARKS.md from benchmarks/results/*.json

BENCHMARKS.md holds tables only, every cell computed from ``benchmarks/results/*.json``; what the
benchmarks measure and how to read them is in ``benchmarks/README.md``. Timings are reported, never
asserted: the exit status is non-zero only if a benchmark script itself failed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PY, ROOT, load_average, machine, read_result, write_result  # noqa: E402

HERE = Path(__file__).resolve().parent
# name -> (script, extra arguments); pages needs the site that book builds.
BENCHES = {"training": ("bench_training.py", []), "pso": ("bench_pso.py", []), "sliders": ("bench_sliders.py", []),
           "book": ("bench_book.py", []), "pages": ("bench_pages.py", [])}

GOALS = {"slider_median_ms": 50.0, "slider_p95_ms": 100.0, "train_vs_torch": 0.85, "train_vs_floor": 1.35,
         "pso_vs_loop": 1.0, "pso_vs_floor": 1.5, "exec_total_s": 90.0, "page_mb": 3.0}


def run(names: list[str]) -> dict:
    log = {}
    for name in names:
        script, extra = BENCHES[name]
        print(f"== {name} ({script})", flush=True)
        la = load_average()
        t0 = time.perf_counter()
        proc = subprocess.run([PY, str(HERE / script), *extra], cwd=ROOT)
        log[name] = {"returncode": proc.returncode, "wall_s": time.perf_counter() - t0, "load_before": la,
                     "load_after": load_average()}
    return log


# ---------------------------------------------------------------- formatting helpers
def ms(x: float) -> str:
    return f"{1e3 * x:.2f}" if x < 0.1 else f"{1e3 * x:.0f}"


def spread(s: dict, f=lambda v: f"{v:.2f}") -> str:
    """median (p25–p75) of a summary, each formatted by f."""
    return f"{f(s['median'])} ({f(s['p25'])}–{f(s['p75'])})"


def spread_ms(s: dict) -> str:
    return spread(s, ms)


def mb(b: float) -> str:
    return f"{b / 1e6:.2f}"


def status(ok: bool | None) -> str:
    return "not run" if ok is None else ("met" if ok else "**missed**")


def table(head: list[str], rows: list[list], align: str | None = None) -> list[str]:
    """A markdown table; ``align`` one character per column, 'l' or 'r' (default: first left, rest right)."""
    align = align or "l" + "r" * (len(head) - 1)
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" if a == "l" else "---:" for a in align) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out + [""]


# ---------------------------------------------------------------- sections
def section_sliders(r: dict | None, goals: list) -> list[str]:
    out = ["## Slider latency", ""]
    name = f"Slider latency: median ≤ {GOALS['slider_median_ms']:g} ms, p95 ≤ {GOALS['slider_p95_ms']:g} ms (worst slider)"
    if not r:
        goals.append((name, "not run", status(None)))
        return out + ["Not run.", ""]
    rows, worst_med, worst_p95, n = [], 0.0, 0.0, 0
    for nb in r["notebooks"]:
        if not nb["viewers"]:
            rows.append([nb["notebook"], "(none)", "", "", "", "", "", "", ""])
        for v in nb["viewers"]:
            s = v["latency_s"]
            ctl = "; ".join(f"{v['labels'].get(c, c)}: {len(o)} values" for c, o in v["controls"].items())
            g = v.get("off_grid_s")
            rows.append([nb["notebook"], f"#{v['index'] + 1} {ctl}", v["frames"], s["n"], spread_ms(s), ms(s["p95"]),
                         ms(s["max"]), f"{v['svg_bytes_mean'] / 1e3:.0f}",
                         f"{ms(g['median'])} / {ms(g['p95'])} (n={g['n']})" if g else "no compute="])
            worst_med, worst_p95, n = max(worst_med, s["median"]), max(worst_p95, s["p95"]), n + 1
    for nbname, err in r.get("errors", {}).items():
        rows.append([nbname, f"notebook failed: {err}", "", "", "", "", "", "", ""])
    out += table(["notebook", "slider", "frames", "changes", "ms: median (p25–p75)", "ms: p95", "ms: max",
                  "mean SVG frame kB", "off-grid λ ms: median / p95 (computed on demand)"], rows, "llrrrrrrl")
    unmeasured = [[nb["notebook"], f"`{c}`"] for nb in r["notebooks"] for c in nb.get("unmeasured_controls", [])]
    out += table(["notebook", "control created outside a FrameViewer (not measured)"],
                 unmeasured or [["(none)", ""]], "ll")
    nv = r.get("naive_render")
    if nv:
        out += table(["re-rendering one figure instead of swapping frames", "ms: median (p25–p75)", "CPU ms: median", "n"],
                     [[nv["description"], spread_ms(nv["seconds"]),
                       ms(nv["cpu_seconds"]["median"]) if "cpu_seconds" in nv else "–", nv["seconds"]["n"]]])
    ok = n > 0 and worst_med <= GOALS["slider_median_ms"] / 1e3 and worst_p95 <= GOALS["slider_p95_ms"] / 1e3
    goals.append((name, f"{n} sliders; worst median {ms(worst_med)} ms, worst p95 {ms(worst_p95)} ms",
                  status(ok if n else None)))
    return out


TRAIN_ROWS = [("l2lib_step", "l2lib: `cost_and_grads` + update"), ("l2lib_train_epoch", "l2lib: `train`, per epoch"),
              ("torch_loss_penalty", "PyTorch (a): penalty in the loss"),
              ("torch_weight_decay", "PyTorch (b): `weight_decay` on the weights"),
              ("matmul_floor", "matmul floor: the step's 8 products alone")]
PROCESS = {"numpy": "without PyTorch", "torch": "with PyTorch"}


L2LIB_ROWS = {"l2lib_train_epoch": "`train` epoch", "l2lib_step": "`cost_and_grads` + update"}


def training_ratios(r: dict) -> dict:
    """Median ratios to PyTorch and to the floor of each l2lib row in each process: {(process, row): {...}}.

    Where a process has no PyTorch its PyTorch ratio goes through the floor:
    (l2lib / floor there) ÷ (faster PyTorch / floor in the PyTorch process).
    """
    procs = r["processes"]
    t_floor = procs["torch"]["ratios"]["torch_vs_floor"]["median"] if "torch" in procs else None
    out = {}
    for kind, pr in procs.items():
        for row in L2LIB_ROWS:
            q = pr["ratios"][row]
            torch = q["torch"]["median"] if "torch" in q else (q["floor"]["median"] / t_floor if t_floor else None)
            out[kind, row] = {"floor": q["floor"]["median"], "torch": torch, "torch_direct": "torch" in q}
    return out


def section_training(r: dict | None, goals: list) -> list[str]:
    out = ["## Training step (goal a)", ""]
    g_torch = f"(a) Training step ≤ {GOALS['train_vs_torch']:g} × PyTorch's time, 1 thread"
    g_floor = f"(a) Training step ≤ {GOALS['train_vs_floor']:g} × its matmul floor, 1 thread"
    if not r or "processes" not in r:
        goals += [(g_torch, "not run", status(None)), (g_floor, "not run", status(None))]
        return out + ["Not run.", ""]
    procs = r["processes"]
    out += table(["setting", "value"],
                 [["network", "-".join(map(str, r["sizes"])) + " (ReLU, sigmoid output)"], ["m", r["m"]],
                  ["λ, η", f"{r['lam']:g}, {r['lr']:g}"], ["dtype", "float64"], ["threads (BLAS, torch)", r["threads"]],
                  ["rounds × steps per block", f"{r['rounds']} × {r['block']}"],
                  ["`train` epochs k (timed: 2k − k)", r["train_k"]]], "ll")
    rows = []
    for kind, pr in procs.items():
        rat = pr["ratios"]
        for key, label in TRAIN_ROWS:
            if key not in pr["cpu_seconds"]:
                continue
            q = rat.get(key, {})
            fl = "1" if key == "matmul_floor" else (spread(q["floor"]) if "floor" in q else "–")
            flt, st = pr["minor_faults"][key], pr["sys_seconds"][key]
            rows.append([PROCESS[kind], label, spread_ms(pr["cpu_seconds"][key]), spread_ms(pr["wall_seconds"][key]),
                         spread(q["torch"]) if "torch" in q else "–", fl, f"{flt['median']:.0f}", ms(st["median"])])
        if "torch_vs_floor" in rat:
            rows.append([PROCESS[kind], "PyTorch: the faster of (a) and (b), per round", "–", "–", "1",
                         spread(rat["torch_vs_floor"]), "–", "–"])
    out += table(["process", "implementation", "CPU ms per step: median (p25–p75)", "wall ms per step",
                  "÷ faster PyTorch, per round", "÷ matmul floor, per round", "minor page faults per step",
                  "system CPU ms per step"], rows, "llrrrrrr")
    pr = procs["numpy"]
    out += table(["product of the floor", "shapes", "µs (best of 7 blocks)"],
                 [[f"`{p['product']}`", p["shapes"], f"{p['us']:.1f}"] for p in pr["floor_products"]]
                 + [["**sum**", "", f"**{sum(p['us'] for p in pr['floor_products']):.1f}**"]], "llr")
    chk = [["l2lib `train` (1 epoch) − `cost_and_grads` + update", f"{pr['check']['l2lib_train_vs_step_max_abs_diff']:.1e}"],
           ["cost J before the step, l2lib", f"{pr['check']['cost_l2lib']:.10f}"]]
    if "torch" in procs:
        c = procs["torch"]["check"]
        chk += [["PyTorch (a) − l2lib", f"{c['torch_a_max_abs_diff']:.1e}"],
                ["PyTorch (b) − l2lib", f"{c['torch_b_max_abs_diff']:.1e}"],
                ["cost J before the step, PyTorch (a)", f"{c['cost_torch']:.10f}"]]
    else:
        chk += [["PyTorch", f"not run: {r.get('torch_skipped')}; {r.get('torch_how')}"]]
    out += table(["one step from the same weights", "largest parameter difference, or J"], chk, "lr")
    p = pr.get("profile")
    if p:
        out += table([f"cProfile of {p['steps']} l2lib steps (process without PyTorch): function", "calls per step",
                      "ms per step, exclusive", "ms per step, inclusive"],
                     [[f"`{x['function']}`", f"{x['calls_per_step']:.0f}", f"{x['tottime_ms_per_step']:.3f}",
                       f"{x['cumtime_ms_per_step']:.3f}"] for x in p["top"][:12]])
    tr = training_ratios(r)

    def measured(key):
        return "; ".join(f"{L2LIB_ROWS[row]} {PROCESS[kind]}: {v[key]:.2f}×"
                         + (" (through the floor)" if key == "torch" and not v["torch_direct"] else "")
                         for (kind, row), v in tr.items())
    if "torch" in procs:
        goals.append((g_torch, measured("torch"), status(max(v["torch"] for v in tr.values()) <= GOALS["train_vs_torch"])))
    else:
        goals.append((g_torch, f"not run: {r.get('torch_skipped')}", status(None)))
    goals.append((g_floor, measured("floor"), status(max(v["floor"] for v in tr.values()) <= GOALS["train_vs_floor"])))
    return out


def section_pso(r: dict | None, goals: list) -> list[str]:
    out = ["## PSO: batched swarm, per-particle loop, element-wise floor (goal b)", ""]
    g_loop = "(b) PSO: batched never slower than the per-particle loop (every row)"
    g_floor = f"(b) PSO, chapter 5's setting: time per evaluation ≤ {GOALS['pso_vs_floor']:g} × its element-wise floor"
    if not r or "rows" not in r:
        goals += [(g_loop, "not run", status(None)), (g_floor, "not run", status(None))]
        return out + ["Not run.", ""]
    rows = []
    for x in r["rows"]:
        u, c = x["us_per_eval"], x["check"]
        rows.append([x["label"], x["m"], "-".join(map(str, x["network"])) + " " + x["activation"], x["n_params"],
                     f"{x['particles']} × {x['iterations']}", spread(u["batched"]), spread(u["loop_same_objective"]),
                     spread(u["loop_batched_cost"]),
                     f"{x['speedup_i']['median']:.2f} ({x['speedup_i']['min']:.2f}–{x['speedup_i']['max']:.2f})",
                     f"{x['speedup_ii']['median']:.2f} ({x['speedup_ii']['min']:.2f}–{x['speedup_ii']['max']:.2f})",
                     " / ".join(f"{x['minor_faults_per_eval'][k]['median']:.2f}" for k in
                                ("batched", "loop_same_objective", "loop_batched_cost"))
                     if "minor_faults_per_eval" in x else "–",
                     f"{c['same_x_i'] and c['same_x_ii']}; {c['cost_abs_diff']:.0e}"])
    out += table(["row", "m", "network", "params", "particles × iterations", "batched µs/eval",
                  "loop (i) µs/eval", "loop (ii) µs/eval", "speed-up vs (i): median (min–max)",
                  "speed-up vs (ii)", "page faults/eval: batched / (i) / (ii)", "same best x; cost Δ"], rows,
                 "lrlrlrrrrrrl")
    fl = r["floor"]
    u, pu = fl["us"], fl["parts_us"]
    out += table([f"chapter 5's setting, µs per evaluation, median (p25–p75) of {fl['rounds']} interleaved rounds",
                  "batched l2lib", "element-wise floor", "ratio, per round"],
                 [["cost: one objective call on the swarm per iteration", spread(u["objective_call"]),
                   spread(u["floor_cost"]), spread(fl["ratio_cost_to_floor"])],
                  ["update: a run with a nearly free cost", spread(u["run_free_cost"]), spread(u["floor_update"]),
                   spread(fl["ratio_update_to_floor"])],
                  ["**whole run**", spread(u["run"]), spread(u["floor"]), f"**{spread(fl['ratio_run_to_floor'])}**"]],
                 "lrrr")
    out += table(["element-wise floor, its parts alone (µs per evaluation, best of blocks)", "µs"],
                 [["hidden bias add (P, m, h)", f"{pu['hidden_bias']:.2f}"],
                  ["tanh (P, m, h): `np.tanh` / 1 − 2/(1 + e^2z) (the floor uses the cheaper)",
                   f"{pu['tanh_np']:.2f} / {pu['tanh_exp']:.2f}"],
                  ["output bias add, cross-entropy from the logits (P, m), mean", f"{pu['loss']:.2f}"],
                  ["penalty: squares and sum of the weights (P, n_w)", f"{pu['penalty']:.2f}"],
                  ["swarm update, random numbers included (P, n)", f"{pu['update']:.2f}"],
                  ["(not in the floor) the two batched matrix products", f"{pu['matmuls']:.2f}"]], "lr")
    worst = min(r["rows"], key=lambda x: x["speedup_i"]["median"])
    goals.append((g_loop, f"smallest median speed-up {worst['speedup_i']['median']:.2f}× vs loop (i) (m = {worst['m']}, "
                          f"2-{worst['network'][1]}-1)",
                  status(all(x["speedup_i"]["median"] >= GOALS["pso_vs_loop"]
                             and x["speedup_ii"]["median"] >= GOALS["pso_vs_loop"] for x in r["rows"]))))
    q = fl["ratio_run_to_floor"]["median"]
    goals.append((g_floor, f"{q:.2f}× (median per round)", status(q <= GOALS["pso_vs_floor"])))
    return out


def section_book(r: dict | None, sliders: dict | None, goals: list) -> list[str]:
    out = ["## The book: execution and build time", ""]
    if not r:
        goals.append((f"Executing all notebooks ≤ {GOALS['exec_total_s']:g} s", "not run", status(None)))
        return out + ["Not run.", ""]
    ex = r.get("execute")
    if ex:
        side = {nb["notebook"]: nb for nb in (sliders or {}).get("notebooks", [])}
        pt = ex.get("paired_threads")
        nrun = len(ex["runs"])
        head = ["notebook"] + [f"`make execute` run {i + 1}, s" for i in range(nrun)] + ["slider run: wall / CPU s"]
        head += ["alone: default / one thread, s"] if pt else []
        rows = []
        for name in ex["notebooks"]:
            row = [name] + [f"{run['per_notebook_s'][name]:.1f}" if name in run["per_notebook_s"] else "failed"
                            for run in ex["runs"]]
            s = side.get(name)
            row.append(f"{s['elapsed_s']:.1f} / {s.get('cpu_s', float('nan')):.1f}" if s else "–")
            if pt:
                d, o = (pt[k]["per_notebook_s"].get(name) for k in ("default", "one"))
                row.append(f"{d:.1f} / {o:.1f}" if d is not None and o is not None else "failed")
            rows.append(row)
        totals = [sum(run["per_notebook_s"].values()) for run in ex["runs"]]
        row = ["**total**"] + [f"**{t:.1f}**" for t in totals]
        row.append(f"{sum(s['elapsed_s'] for s in side.values()):.1f} / "
                   f"{sum(s.get('cpu_s', 0.0) for s in side.values()):.1f}" if side else "–")
        if pt:
            row.append(f"{sum(pt['default']['per_notebook_s'].values()):.1f} / {sum(pt['one']['per_notebook_s'].values()):.1f}")
        out += table(head, rows + [row])
        out += table(["executor process, whole run", "wall s", "CPU s (executor and kernels)", "exit status"],
                     [[f"run {i + 1}", f"{run['wall_s']:.1f}", f"{run['cpu_s']:.1f}" if "cpu_s" in run else "–",
                       run["returncode"]] for i, run in enumerate(ex["runs"])])
        slow = sorted(((nb["notebook"], c) for nb in side.values() for c in nb.get("slowest_cells", [])),
                      key=lambda t: -t[1]["seconds"])[:8]
        if slow:
            out += table(["slowest cells (slider run)", "cell (from 0)", "s", "first line"],
                         [[n, c["cell"], f"{c['seconds']:.1f}", f"`{c['first_line'].replace('|', '/')}`"] for n, c in slow],
                         "lrrl")
        failed = [run for run in ex["runs"] if run["returncode"]]
        if failed:
            out += ["```", failed[0]["stderr_tail"][-1500:], "```", ""]
        med = float(np.median(totals))
        goals.append((f"Executing all notebooks ≤ {GOALS['exec_total_s']:g} s",
                      f"{med:.1f} s (`make execute`, {'median of ' + str(nrun) + ' runs' if nrun > 1 else 'one run'})",
                      status(med <= GOALS["exec_total_s"] and not failed)))
    b = r.get("build")
    if b:
        out += table(["site build (`jupyter-book build -n -W --keep-going`, cold)", "wall s", "exit status",
                      "warning lines", "pages left out (file missing)", "notebooks added (not in `_toc.yml`)"],
                     [[f"run {i + 1}", f"{x['wall_s']:.1f}", x["returncode"], x["n_warnings"],
                       ", ".join(b["toc_missing"]) or "–", ", ".join(b.get("toc_added") or []) or "–"]
                      for i, x in enumerate(b["runs"])], "lrrrll")
    return out


def section_pages(r: dict | None, goals: list) -> list[str]:
    out = ["## Page weight", ""]
    name = f"Chapter page ≤ {GOALS['page_mb']:g} MB (HTML + own images)"
    if not r:
        goals.append((name, "not run", status(None)))
        return out + ["Not run.", ""]
    rows, worst = [], 0.0
    for p in r["pages"]:
        c = p["by_category"]
        shared = " / ".join(mb(c.get(k, 0)) for k in ("js", "css", "fonts", "mathjax")) if c else "–"
        total = mb(p["total_bytes"]) if p["total_bytes"] is not None else "– (no browser)"
        rows.append([p["page"], p["interactive_figures"], mb(p["html_bytes"]), mb(p["own_bytes"]), total,
                     p["requests"] if p["requests"] is not None else "–", shared])
        worst = max(worst, p["own_bytes"])
    out += table(["page", "interactive figures", "HTML MB", "HTML + own images MB", "total MB (cold cache)", "requests",
                  "theme JS / CSS / fonts / MathJax MB"], rows, "lrrrrrl")
    heaviest = max(r["pages"], key=lambda p: p["own_bytes"])["page"] if r["pages"] else "–"
    goals.append((name, f"heaviest {mb(worst)} MB ({heaviest})",
                  status(worst <= GOALS["page_mb"] * 1e6 if r["pages"] else None)))
    return out


def write_report(log: dict | None, path: Path = ROOT / "BENCHMARKS.md") -> str:
    res = {k: read_result(k) for k in BENCHES}
    recorded = {k: v["machine"] for k, v in res.items() if v and "machine" in v}
    mach = dict(next(iter(recorded.values()))) if recorded else machine()
    commits = {k: m.get("commit") for k, m in recorded.items()}
    if len(set(commits.values())) > 1:
        mach["commit"] = "; ".join(f"{k}: {c}" for k, c in commits.items())
    meta = read_result("meta") or {}
    if log:
        meta = {"log": log, "finished": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
        write_result("meta", meta)
    goals: list = []
    body = []
    body += section_training(res["training"], goals)
    body += section_pso(res["pso"], goals)
    body += section_sliders(res["sliders"], goals)
    body += section_book(res["book"], res["sliders"], goals)
    body += section_pages(res["pages"], goals)
    lines = ["# Benchmarks", "",
             f"Generated by `make bench` (`benchmarks/run.py`), {meta.get('finished', 'date unknown')}; do not edit. "
             "What is measured and how: `benchmarks/README.md`.", ""]
    lines += table(["goal", "measured", "status"], [list(g) for g in goals], "lll")
    thr = {k: v for k, v in (("training", (res["training"] or {}).get("threads")), ("PSO", 1 if res["pso"] else None))
           if v is not None}
    mrows = [[k, mach.get(k)] for k in ("cpu", "cores", "memory_gib", "os", "python", "numpy", "numpy_simd", "blas", "torch",
                                        "matplotlib", "ipywidgets", "jupyter-book", "playwright", "commit") if k in mach]
    mrows.append(["threads of the training and PSO benchmarks", ", ".join(f"{k}: {v}" for k, v in thr.items()) or "–"])
    if "thread_env" in mach:
        mrows.append(["thread variables of the run", mach["thread_env"]])
    lg = meta.get("log") or {}
    if lg:
        mrows.append(["load average (1, 5, 15 min) before each benchmark",
                      "; ".join(f"{k}: {', '.join(map(str, v['load_before'] or []))}" for k, v in lg.items())])
        mrows.append(["wall time of each benchmark",
                      "; ".join(f"{k}: {v['wall_s']:.0f} s" + (" (FAILED)" if v["returncode"] else "") for k, v in lg.items())])
    lines += ["## Machine and versions", ""] + table(["", ""], mrows, "ll")
    text = "\n".join(lines + body)
    path.write_text(text)
    return text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", choices=list(BENCHES), help="run only these benchmarks")
    ap.add_argument("--report-only", action="store_true", help="only rewrite BENCHMARKS.md from the results")
    ap.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md", help="where to write the report")
    args = ap.parse_args(argv)
    log = None
    if not args.report_only:
        names = args.only or list(BENCHES)
        if "pages" in names and "book" not in names and read_result("book") is None:
            names.insert(names.index("pages"), "book")
        log = run(names)
        old = (read_result("meta") or {}).get("log", {})
        log = {**old, **log} if args.only else log
    write_report(log, args.output)
    print(f"wrote {args.output}")
    failed = [k for k, v in (log or {}).items() if v["returncode"]]
    if failed:
        print(f"benchmark scripts that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
