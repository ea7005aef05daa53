r"""Training throughput: one full-batch gradient step of l2lib against PyTorch on the CPU.

Same network (2-64-64-1, ReLU, sigmoid output with binary cross-entropy from the logits), same data
(two moons, m = 1000), float64, same λ, same starting weights. One step minimizes the book's

.. math::  J = \frac1m\sum_i L^{(i)} + \frac{\lambda}{2m}\sum_l \lVert W_l\rVert_F^2 ,

* l2lib: ``cost_and_grads`` then ``sgd_step``;
* PyTorch (a): ``BCEWithLogitsLoss`` (mean) + (λ/2m) Σ‖W‖² in the loss, ``backward``, ``SGD.step``;
* PyTorch (b): ``BCEWithLogitsLoss`` only, ``SGD(weight_decay=λ/m)`` on the weights, 0 on the biases.

First one step of each from the same weights is compared (the three must give the same parameters),
then short blocks of steps (2 by default) are timed in interleaved order (l2lib, a, b, then b, a, l2lib,
...), so that a change in the machine's load hits all three alike; the ratio is taken per round, and
also as the ratio of the medians and of the 5th percentiles (the least disturbed runs).

The thread count of both libraries is set before they load, so each setting runs in its own process:
``python benchmarks/bench_training.py`` runs the settings 1 and (all cores) and writes
``results/training.json``. Without PyTorch (``make bench`` does not install it; see requirements.txt
here) it writes a result that says so and how to install the CPU build, and exits 0.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PY, machine, summary, write_result  # noqa: E402

M, SIZES, LAM, LR = 1000, [2, 64, 64, 1], 1.0, 0.5
INSTALL_HINT = ("for PyTorch's CPU build run `.venv/bin/python -m pip install -r benchmarks/requirements.txt` "
                "(it installs from PyTorch's CPU wheel index, https://download.pytorch.org/whl/cpu; the plain PyPI "
                "wheel for Linux x86-64 is a multi-GB CUDA build)")


def torch_missing() -> tuple[str | None, int]:
    """(why the comparison cannot run, exit status), or (None, 0) if PyTorch's CPU build is importable.

    No PyTorch is not an error (the book does not need it: status 0); a CUDA build is (status 1), as this
    benchmark compares CPU builds and `make bench` never installs PyTorch itself.
    """
    try:
        import torch
    except ImportError:
        return "PyTorch is not installed", 0
    if torch.version.cuda:
        return (f"torch {torch.__version__} is a CUDA build (CUDA {torch.version.cuda}), and this benchmark "
                f"compares CPU builds", 1)
    return None, 0


def _setup():
    import numpy as np
    import torch

    import l2lib as L

    X, y = L.make_moons(M, noise=0.25, rng=0)
    params = L.init_params(SIZES, rng=0)
    torch.set_default_dtype(torch.float64)
    layers = []
    for i, (W, b) in enumerate(params):
        lin = torch.nn.Linear(*W.shape)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))   # torch stores W as (n_out, n_in)
            lin.bias.copy_(torch.from_numpy(b.copy()))
        layers += [lin] + ([torch.nn.ReLU()] if i < len(params) - 1 else [])
    Xt = torch.from_numpy(X.copy())
    yt = torch.from_numpy(y.astype(np.float64)).reshape(-1, 1)
    return L, np, torch, X, y, params, torch.nn.Sequential(*layers), Xt, yt


def _torch_steppers(torch, net, Xt, yt):
    """Two PyTorch versions of the same step; each returns a closure doing one step on its own copy."""
    import copy

    lossf = torch.nn.BCEWithLogitsLoss()            # mean over the m examples

    net_a = copy.deepcopy(net)
    W_a = [mod.weight for mod in net_a if isinstance(mod, torch.nn.Linear)]
    opt_a = torch.optim.SGD(net_a.parameters(), lr=LR)

    def step_a():
        opt_a.zero_grad(set_to_none=True)
        loss = lossf(net_a(Xt), yt) + LAM / (2 * M) * sum((W * W).sum() for W in W_a)
        loss.backward()
        opt_a.step()
        return loss

    net_b = copy.deepcopy(net)
    lins = [mod for mod in net_b if isinstance(mod, torch.nn.Linear)]
    opt_b = torch.optim.SGD([{"params": [m.weight for m in lins], "weight_decay": LAM / M},
                             {"params": [m.bias for m in lins], "weight_decay": 0.0}], lr=LR)

    def step_b():
        opt_b.zero_grad(set_to_none=True)
        loss = lossf(net_b(Xt), yt)
        loss.backward()
        opt_b.step()
        return loss

    return net_a, step_a, net_b, step_b


def _as_params(torch, net):
    return [(lin.weight.detach().numpy().T.copy(), lin.bias.detach().numpy().copy())
            for lin in net if isinstance(lin, torch.nn.Linear)]


def check_same_step() -> dict:
    """One step of each implementation from the same weights: the largest parameter difference."""
    L, np, torch, X, y, params, net, Xt, yt = _setup()
    parts, g = L.cost_and_grads(params, X, y, LAM)
    p1 = L.sgd_step(params, g, LR)
    net_a, step_a, net_b, step_b = _torch_steppers(torch, net, Xt, yt)
    loss_a = float(step_a().detach())
    step_b()
    out = {"cost_l2lib": parts.total, "cost_torch": loss_a}
    for name, n in (("a", net_a), ("b", net_b)):
        q = _as_params(torch, n)
        diffs = [max(float(np.max(np.abs(W - Wq))), float(np.max(np.abs(b - bq)))) for (W, b), (Wq, bq) in zip(p1, q)]
        close = all(np.allclose(W, Wq, rtol=1e-10, atol=1e-12) and np.allclose(b, bq, rtol=1e-10, atol=1e-12)
                    for (W, b), (Wq, bq) in zip(p1, q))
        out[f"max_abs_diff_{name}"] = max(diffs)
        out[f"allclose_{name}"] = bool(close)
    return out


def worker(threads: int, rounds: int, block: int) -> dict:
    L, np, torch, X, y, params, net, Xt, yt = _setup()
    torch.set_num_threads(threads)
    state = {"p": params}

    def step_l2lib():
        _, g = L.cost_and_grads(state["p"], X, y, LAM)
        state["p"] = L.sgd_step(state["p"], g, LR)

    _, step_a, _, step_b = _torch_steppers(torch, net, Xt, yt)
    impls = {"l2lib": step_l2lib, "torch_loss_penalty": step_a, "torch_weight_decay": step_b}
    for f in impls.values():                      # warm-up: allocators, BLAS buffers, autograd graph code
        for _ in range(5):
            f()
    times: dict[str, list[float]] = {k: [] for k in impls}
    cpu: dict[str, list[float]] = {k: [] for k in impls}
    order = list(impls)
    for r in range(rounds):
        for name in (order if r % 2 == 0 else order[::-1]):
            f = impls[name]
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(block):
                f()
            times[name].append((time.perf_counter() - t0) / block)
            cpu[name].append((time.process_time() - c0) / block)
    ratio_a = [a / b for a, b in zip(times["l2lib"], times["torch_loss_penalty"])]
    ratio_b = [a / b for a, b in zip(times["l2lib"], times["torch_weight_decay"])]
    best = [a / min(b, c) for a, b, c in zip(times["l2lib"], times["torch_loss_penalty"], times["torch_weight_decay"])]
    tl, ta, tb = (np.asarray(times[k]) for k in order)
    cl, ca, cb = (np.asarray(cpu[k]) for k in order)
    return {"threads": threads, "torch_threads": torch.get_num_threads(), "rounds": rounds, "block": block,
            "step_seconds": {k: summary(v) for k, v in times.items()},
            "ratio_of_medians": float(np.median(tl) / min(np.median(ta), np.median(tb))),
            "ratio_of_p5": float(np.percentile(tl, 5) / min(np.percentile(ta, 5), np.percentile(tb, 5))),
            # CPU time of the process (all its threads): with one thread, the work alone, whatever else runs
            "cpu_seconds": {k: summary(v) for k, v in cpu.items()},
            "cpu_ratio_vs_faster_torch": summary(cl / np.minimum(ca, cb)),
            "ratio_vs_torch_loss_penalty": summary(ratio_a), "ratio_vs_torch_weight_decay": summary(ratio_b),
            "ratio_vs_faster_torch": summary(best)}


def profile_l2lib(threads: int, steps: int = 200) -> dict:
    """cProfile of l2lib's step (exclusive time per function) and the share of the bare matrix products."""
    import cProfile
    import pstats

    L, np, torch, X, y, params, net, Xt, yt = _setup()
    p = params
    for _ in range(5):
        _, g = L.cost_and_grads(p, X, y, LAM)
        p = L.sgd_step(p, g, LR)
    pr = cProfile.Profile()
    t0 = time.perf_counter()
    pr.enable()
    for _ in range(steps):
        _, g = L.cost_and_grads(p, X, y, LAM)
        p = L.sgd_step(p, g, LR)
    pr.disable()
    wall = time.perf_counter() - t0
    st = pstats.Stats(pr)
    rows = []
    for (file, line, func), (cc, nc, tt, ct, callers) in st.stats.items():
        short = f"{Path(file).parent.name}/{Path(file).name}:{line}({func})" if file != "~" else func
        rows.append({"function": short, "calls_per_step": nc / steps, "tottime_ms_per_step": 1e3 * tt / steps,
                     "cumtime_ms_per_step": 1e3 * ct / steps})
    rows.sort(key=lambda r: -r["tottime_ms_per_step"])
    total = sum(r["tottime_ms_per_step"] for r in rows)
    # The irreducible work: the eight matrix products of one step (3 forward, 5 backward), timed alone
    # on arrays of the same shapes. Both this and the whole step are timed in CPU time (one thread), so
    # that load from other processes does not distort the share.
    A1 = np.maximum(X @ p[0][0] + p[0][1], 0)
    A2 = np.maximum(A1 @ p[1][0] + p[1][1], 0)
    dZ3 = A2 @ p[2][0]
    dZ2 = A2.copy()

    def matmuls():
        X @ p[0][0]; A1 @ p[1][0]; A2 @ p[2][0]             # forward
        A2.T @ dZ3; dZ3 @ p[2][0].T; A1.T @ dZ2; dZ2 @ p[1][0].T; X.T @ dZ2  # backward

    for _ in range(5):
        matmuls()
    t, t_step = [], []
    for _ in range(15):                            # interleaved blocks
        t0 = time.process_time()
        for _ in range(20):
            matmuls()
        t.append((time.process_time() - t0) / 20)
        t0 = time.process_time()
        for _ in range(20):
            _, g = L.cost_and_grads(p, X, y, LAM)
            p = L.sgd_step(p, g, LR)
        t_step.append((time.process_time() - t0) / 20)
    return {"threads": threads, "steps": steps, "wall_ms_per_step_profiled": 1e3 * wall / steps,
            "profiled_total_ms_per_step": total, "top": rows[:14],
            "matmul_only_ms": summary([1e3 * x for x in t]), "step_ms": summary([1e3 * x for x in t_step])}


def _run_worker(threads: int | None, args) -> dict:
    env = dict(os.environ)
    n = threads or os.cpu_count() or 1
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(n)          # explicit, whatever the caller's environment (the Makefile may set 1)
    cmd = [PY, __file__, "--worker", str(n), "--rounds", str(args.rounds), "--block", str(args.block)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=150)
    ap.add_argument("--block", type=int, default=2, help="steps per timed block")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--profile", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.rounds, args.block)))
        return 0
    if args.profile is not None:
        print(json.dumps(profile_l2lib(args.profile)))
        return 0
    reason, status = torch_missing()
    if reason:
        # A result that says why, so that BENCHMARKS.md reports "not run" instead of an older run's numbers.
        write_result("training", {"skipped": reason, "how": INSTALL_HINT, "machine": machine()})
        print(f"training benchmark not run: {reason}; {INSTALL_HINT}.", flush=True)
        return status

    check = check_same_step()
    runs = [_run_worker(1, args), _run_worker(None, args)]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    prof = subprocess.run([PY, __file__, "--profile", "1"], env=env, capture_output=True, text=True, check=True)
    res = {"m": M, "sizes": SIZES, "lam": LAM, "lr": LR, "check": check, "runs": runs,
           "profile": json.loads(prof.stdout.strip().splitlines()[-1]), "machine": machine()}
    write_result("training", res)
    for r in runs:
        s = r["step_seconds"]
        print(f"threads={r['threads']}: l2lib {1e3 * s['l2lib']['median']:.2f} ms, torch(a) "
              f"{1e3 * s['torch_loss_penalty']['median']:.2f} ms, torch(b) {1e3 * s['torch_weight_decay']['median']:.2f} ms,"
              f" ratio vs faster torch {r['ratio_vs_faster_torch']['median']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
