r"""Training step: one full-batch gradient step of l2lib against PyTorch and against its own matrix products.

Same network (2-64-64-1, ReLU, sigmoid output with binary cross-entropy from the logits), same data
(two moons, m = 1000), float64, same λ, same starting weights, one thread. One step minimizes

.. math::  J = \frac1m\sum_i L^{(i)} + \frac{\lambda}{2m}\sum_l \lVert W_l\rVert_F^2 .

What is timed (each a block of steps, in interleaved order that turns round every round, so that a
change in the machine's load hits all alike; CPU time of the process, one thread):

* ``l2lib step``: ``L.cost_and_grads`` then ``W - η dW`` on every array (the update written here, as
  plain numpy: the step is the library's cost and gradient plus six subtractions);
* ``l2lib L.train, per epoch``: ``L.train(..., epochs=2k)`` minus ``L.train(..., epochs=k)``, divided
  by k (both runs validate once and record twice, so the difference is k epochs and nothing else);
* PyTorch (a): ``BCEWithLogitsLoss`` + (λ/2m) Σ‖W‖² in the loss, ``backward``, ``SGD.step``;
* PyTorch (b): ``BCEWithLogitsLoss``, ``SGD(weight_decay=λ/m)`` on the weights and 0 on the biases;
* the matmul floor: the eight matrix products a step needs (3 forward, 5 backward: no gradient for
  the inputs), on arrays of the same shapes and layouts, and nothing else.

Ratios are taken per round (l2lib / faster PyTorch variant, l2lib / floor) and summarized, with
the process's minor page faults and system CPU time per step. Before timing, one step of each
implementation from the same weights is compared.

Two fresh processes: one that never imports PyTorch (as the book runs l2lib) times l2lib and the
floor; one with PyTorch times all of them. They differ in more than the import: PyTorch's own large
allocations change the C allocator's state (glibc raises its mmap threshold when a large mapped
block is freed), and with it how many of l2lib's (m, 64) temporaries are freshly mapped and
page-faulted. The PyTorch ratio of the first process is estimated through the floor, the same
computation in both: (l2lib / floor there) ÷ (PyTorch / floor in the second).
Writes ``results/training.json``. Without PyTorch the comparison with it is skipped (the floor is
still measured); with a CUDA build of PyTorch the script stops (it compares CPU builds).

Public l2lib API only: ``init_params``, ``cost_and_grads``, ``train``, ``make_moons``.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

THREADS = 1
if __name__ == "__main__":                   # run as a script: one thread, set before numpy loads
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PY, machine, summary, write_result  # noqa: E402

M, SIZES, LAM, LR = 1000, [2, 64, 64, 1], 1.0, 0.5
INSTALL_HINT = "`.venv/bin/python -m pip install -r benchmarks/requirements.txt` (PyTorch's CPU build)"


def torch_status() -> tuple[str | None, int]:
    """(why PyTorch cannot be compared, exit status), or (None, 0) if its CPU build is importable."""
    try:
        import torch
    except ImportError:
        return "PyTorch is not installed", 0
    if torch.version.cuda:
        return f"torch {torch.__version__} is a CUDA build; this benchmark compares CPU builds", 1
    return None, 0


def problem():
    import numpy as np

    import l2lib as L

    X, y = L.make_moons(M, noise=0.25, rng=0)
    return L, np, X, y, L.init_params(SIZES, rng=0)


def update(params, grads, lr=LR):
    """θ ← θ − η g on every (W, b) pair (plain numpy, new arrays)."""
    return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]


# ---------------------------------------------------------------- the matmul floor
def matmul_floor(np, X, params):
    """The eight products of one step, on arrays shaped and laid out as a step's: (label, shape, thunk)."""
    (W1, _), (W2, _), (W3, _) = params
    m = X.shape[0]
    A1 = np.maximum(X @ W1, 0.0)
    A2 = np.maximum(A1 @ W2, 0.0)
    dZ3 = A2 @ W3 / m
    dZ2 = A1.copy()
    dZ1 = A1.copy()
    return [("A0 W1", f"({m},2)@(2,64)", lambda: X @ W1),
            ("A1 W2", f"({m},64)@(64,64)", lambda: A1 @ W2),
            ("A2 W3", f"({m},64)@(64,1)", lambda: A2 @ W3),
            ("A2ᵀ dZ3", f"(64,{m})@({m},1)", lambda: A2.T @ dZ3),
            ("dZ3 W3ᵀ", f"({m},1)@(1,64)", lambda: dZ3 @ W3.T),
            ("A1ᵀ dZ2", f"(64,{m})@({m},64)", lambda: A1.T @ dZ2),
            ("dZ2 W2ᵀ", f"({m},64)@(64,64)", lambda: dZ2 @ W2.T),
            ("A0ᵀ dZ1", f"(2,{m})@({m},64)", lambda: X.T @ dZ1)]


# ---------------------------------------------------------------- PyTorch
def torch_steppers(params, X, y):
    """Two PyTorch versions of the step, each on its own copy of the weights: (step_a, net_a, step_b, net_b)."""
    import numpy as np
    import torch

    torch.set_num_threads(THREADS)
    torch.set_default_dtype(torch.float64)

    def make_net():
        layers = []
        for i, (W, b) in enumerate(params):
            lin = torch.nn.Linear(*W.shape)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(W.T.copy()))      # torch stores W as (n_out, n_in)
                lin.bias.copy_(torch.from_numpy(b.copy()))
            layers += [lin] + ([torch.nn.ReLU()] if i < len(params) - 1 else [])
        return torch.nn.Sequential(*layers)

    Xt = torch.from_numpy(X.copy())
    yt = torch.from_numpy(np.asarray(y, dtype=np.float64)).reshape(-1, 1)
    lossf = torch.nn.BCEWithLogitsLoss()

    net_a = make_net()
    W_a = [mod.weight for mod in net_a if isinstance(mod, torch.nn.Linear)]
    opt_a = torch.optim.SGD(net_a.parameters(), lr=LR)

    def step_a():
        opt_a.zero_grad(set_to_none=True)
        loss = lossf(net_a(Xt), yt) + LAM / (2 * M) * sum((W * W).sum() for W in W_a)
        loss.backward()
        opt_a.step()
        return loss

    net_b = make_net()
    lins = [mod for mod in net_b if isinstance(mod, torch.nn.Linear)]
    opt_b = torch.optim.SGD([{"params": [q.weight for q in lins], "weight_decay": LAM / M},
                             {"params": [q.bias for q in lins], "weight_decay": 0.0}], lr=LR)

    def step_b():
        opt_b.zero_grad(set_to_none=True)
        loss = lossf(net_b(Xt), yt)
        loss.backward()
        opt_b.step()
        return loss

    return step_a, net_a, step_b, net_b


def torch_params(net):
    import torch

    return [(q.weight.detach().numpy().T.copy(), q.bias.detach().numpy().copy())
            for q in net if isinstance(q, torch.nn.Linear)]


def max_param_diff(np, p, q) -> float:
    return max(max(float(np.max(np.abs(W - Wq))), float(np.max(np.abs(b - bq)))) for (W, b), (Wq, bq) in zip(p, q))


# ---------------------------------------------------------------- measurement
def measure(rounds: int, block: int, train_k: int, with_torch: bool) -> dict:
    L, np, X, y, params = problem()
    check = {}
    parts, g = L.cost_and_grads(params, X, y, LAM)
    p1 = update(params, g)
    p1_train, _ = L.train(params, X, y, LAM, lr=LR, epochs=1, record_every=1)
    check["l2lib_train_vs_step_max_abs_diff"] = max_param_diff(np, p1, p1_train)
    check["cost_l2lib"] = parts.total
    impls = {}
    state = {"p": params}

    def l2lib_step():
        _, gr = L.cost_and_grads(state["p"], X, y, LAM)
        state["p"] = update(state["p"], gr)

    impls["l2lib_step"] = l2lib_step
    if with_torch:
        step_a, net_a, step_b, net_b = torch_steppers(params, X, y)
        check["cost_torch"] = float(step_a().detach())
        step_b()
        check["torch_a_max_abs_diff"] = max_param_diff(np, p1, torch_params(net_a))
        check["torch_b_max_abs_diff"] = max_param_diff(np, p1, torch_params(net_b))
        step_a, _, step_b, _ = torch_steppers(params, X, y)      # fresh copies for the timing
        impls["torch_loss_penalty"] = step_a
        impls["torch_weight_decay"] = step_b
    mms = matmul_floor(np, X, params)

    def floor():
        for _, _, f in mms:
            f()

    impls["matmul_floor"] = floor
    # L.train: 2k epochs minus k epochs (the same validation and the same two records in both)
    impls["train_k"] = lambda: L.train(params, X, y, LAM, lr=LR, epochs=train_k, record_every=train_k)
    impls["train_2k"] = lambda: L.train(params, X, y, LAM, lr=LR, epochs=2 * train_k, record_every=2 * train_k)
    reps = {k: (1 if k.startswith("train") else block) for k in impls}
    for f in impls.values():                          # warm-up: allocators, BLAS buffers, autograd
        for _ in range(3):
            f()
    cpu: dict[str, list[float]] = {k: [] for k in impls}
    wall: dict[str, list[float]] = {k: [] for k in impls}
    faults: dict[str, list[float]] = {k: [] for k in impls}     # minor page faults of the process
    sys_t: dict[str, list[float]] = {k: [] for k in impls}      # system (kernel) CPU seconds
    order = list(impls)
    for r in range(rounds):
        k = r % len(order)
        for name in order[k:] + order[:k]:           # each round starts with the next implementation
            f = impls[name]
            u0 = resource.getrusage(resource.RUSAGE_SELF)
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(reps[name]):
                f()
            cpu[name].append((time.process_time() - c0) / reps[name])
            wall[name].append((time.perf_counter() - t0) / reps[name])
            u1 = resource.getrusage(resource.RUSAGE_SELF)
            faults[name].append((u1.ru_minflt - u0.ru_minflt) / reps[name])
            sys_t[name].append((u1.ru_stime - u0.ru_stime) / reps[name])
    per_step = {k: np.asarray(v) for k, v in cpu.items() if not k.startswith("train")}
    per_step["l2lib_train_epoch"] = (np.asarray(cpu["train_2k"]) - np.asarray(cpu["train_k"])) / train_k
    wall_step = {k: np.asarray(v) for k, v in wall.items() if not k.startswith("train")}
    wall_step["l2lib_train_epoch"] = (np.asarray(wall["train_2k"]) - np.asarray(wall["train_k"])) / train_k
    for d in (faults, sys_t):                        # per step; L.train's as the 2k - k difference
        d["l2lib_train_epoch"] = list((np.asarray(d.pop("train_2k")) - np.asarray(d.pop("train_k"))) / train_k)
    out = {"cpu_seconds": {k: summary(v) for k, v in per_step.items()},
           "minor_faults": {k: summary(v) for k, v in faults.items()},
           "sys_seconds": {k: summary(v) for k, v in sys_t.items()},
           "wall_seconds": {k: summary(v) for k, v in wall_step.items()},
           "ratios": {}, "check": check, "rounds": rounds, "block": block, "train_k": train_k}
    floor_t = per_step["matmul_floor"]
    for name in ("l2lib_step", "l2lib_train_epoch"):
        rat = {"floor": summary(per_step[name] / floor_t)}
        if with_torch:
            faster = np.minimum(per_step["torch_loss_penalty"], per_step["torch_weight_decay"])
            rat["torch"] = summary(per_step[name] / faster)
            wfaster = np.minimum(wall_step["torch_loss_penalty"], wall_step["torch_weight_decay"])
            rat["torch_wall"] = summary(wall_step[name] / wfaster)
        rat["floor_wall"] = summary(wall_step[name] / wall_step["matmul_floor"])
        out["ratios"][name] = rat
    if with_torch:
        out["ratios"]["torch_vs_floor"] = summary(np.minimum(per_step["torch_loss_penalty"],
                                                             per_step["torch_weight_decay"]) / floor_t)
    # each product of the floor alone (best of 7 blocks of 20, CPU time)
    each = []
    for label, shape, f in mms:
        best = np.inf
        for _ in range(7):
            c0 = time.process_time()
            for _ in range(20):
                f()
            best = min(best, (time.process_time() - c0) / 20)
        each.append({"product": label, "shapes": shape, "us": 1e6 * best})
    out["floor_products"] = each
    return out


def profile(steps: int = 100) -> dict:
    """cProfile of ``steps`` l2lib steps: exclusive and inclusive time per step of the top functions."""
    import cProfile
    import pstats

    L, np, X, y, p = problem()
    for _ in range(3):
        _, g = L.cost_and_grads(p, X, y, LAM)
        p = update(p, g)
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(steps):
        _, g = L.cost_and_grads(p, X, y, LAM)
        p = update(p, g)
    pr.disable()
    rows = []
    for (file, line, func), (cc, nc, tt, ct, callers) in pstats.Stats(pr).stats.items():
        short = f"{Path(file).parent.name}/{Path(file).name}:{line}({func})" if file != "~" else func
        rows.append({"function": short, "calls_per_step": nc / steps, "tottime_ms_per_step": 1e3 * tt / steps,
                     "cumtime_ms_per_step": 1e3 * ct / steps})
    rows.sort(key=lambda r: -r["tottime_ms_per_step"])
    return {"steps": steps, "top": rows[:15]}


def _worker(kind: str, args) -> dict:
    """Run :func:`measure` in a fresh process: ``numpy`` never imports PyTorch (as the book runs), ``torch`` does."""
    env = dict(os.environ, **{v: str(THREADS) for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")})
    cmd = [PY, __file__, "--worker", kind, "--rounds", str(args.rounds), "--block", str(args.block),
           "--train-k", str(args.train_k)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"the {kind} worker of the training benchmark failed (exit status {out.returncode})")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=60)
    ap.add_argument("--block", type=int, default=4, help="steps per timed block")
    ap.add_argument("--train-k", type=int, default=8, help="epochs k of the L.train difference 2k - k")
    ap.add_argument("--worker", choices=["numpy", "torch"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        res = measure(args.rounds, args.block, args.train_k, with_torch=args.worker == "torch")
        if args.worker == "numpy":
            res["profile"] = profile()
        print(json.dumps(res))
        return 0
    reason, status = torch_status()
    if status:
        print(f"training benchmark stopped: {reason}", file=sys.stderr)
        return status
    procs = {"numpy": _worker("numpy", args)}
    if reason is None:
        procs["torch"] = _worker("torch", args)
    res = {"processes": procs, "m": M, "sizes": SIZES, "lam": LAM, "lr": LR, "threads": THREADS,
           "rounds": args.rounds, "block": args.block, "train_k": args.train_k,
           "torch_skipped": reason, "torch_how": INSTALL_HINT if reason else None, "machine": machine()}
    write_result("training", res)
    for kind, r in procs.items():
        for name, s in r["cpu_seconds"].items():
            print(f"[{kind} process] {name:20s} {1e3 * s['median']:.3f} ms per step (CPU, median), "
                  f"{r['minor_faults'][name]['median']:.0f} page faults")
        for name in ("l2lib_step", "l2lib_train_epoch"):
            rat = r["ratios"][name]
            print(f"[{kind} process] {name}: / matmul floor {rat['floor']['median']:.2f}"
                  + (f", / faster PyTorch {rat['torch']['median']:.2f}" if "torch" in rat else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
