r"""PSO: the batched swarm against the per-particle loop, and against its element-wise floor.

Both optimizers come from :mod:`l2lib.pso` and run the same algorithm with the same seed on the book's
regularized cost of a small network on two moons (one BLAS thread, CPU time of the process):

* batched — ``L.pso.pso_minimize(L.pso.network_objective(...))``: the whole swarm in one cost call
  per iteration;
* loop (i) — ``L.pso.pso_minimize_loop`` calling that same objective on a swarm of one particle;
* loop (ii) — ``L.pso.pso_minimize_loop`` calling ``L.pso.batched_cost(theta, like, X, y, lam)`` per
  particle (the public one-call cost, which checks its arguments every time).

Rows: chapter 5's setting (2-8-1 tanh, m = 40, 40 particles, 300 iterations) and a 2-16-1 tanh network
with 40 particles at m = 40, 200 and 1000. Each row runs the three interleaved, ``--rounds`` times;
the speed-ups are taken per round. The loops must find the same best position as the batched run.

The floor (chapter 5's setting): the element-wise work one PSO iteration cannot avoid, done with numpy
ufuncs into arrays allocated beforehand, so that nothing but the arithmetic is timed:

* the cost: the hidden layer's bias add and tanh on (P, m, h) (the cheaper of ``np.tanh`` and
  ``1 - 2 / (1 + exp(2z))``), the output's bias add and the cross-entropy from the logits
  ``max(z, 0) - z y + log1p(exp(-|z|))`` on (P, m), its mean, and the penalty's squares and sum on the
  weights (P, n_w);
* the update: the random numbers r1, r2 (P, n), ``v = w v + c1 r1 (p - x) + c2 r2 (g - x)``, the clip of
  v, ``x + v``, the wall test and clip of x, zeroing v at the wall, and the comparison with the personal
  bests.

The batched matrix products are timed alone too (not part of the floor). Everything per cost evaluation
(per particle per iteration), the best of ``--floor-blocks`` blocks. Writes ``results/pso.json``.

Public l2lib API only: ``init_params``, ``make_moons``, ``pso.pso_minimize``, ``pso.pso_minimize_loop``,
``pso.network_objective``, ``pso.batched_cost``.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

if __name__ == "__main__":                   # run as a script: one thread, set before numpy loads
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, summary, write_result  # noqa: E402

LAM, BOUND = 1.0, 5.0
# (label, m, hidden units, particles, iterations); the first is chapter 5's setting
ROWS = [("chapter 5", 40, 8, 40, 300), ("size", 40, 16, 40, 50), ("size", 200, 16, 40, 50),
        ("size", 1000, 16, 40, 50)]
PSO_COEF = dict(w=0.7298, c1=1.49618, c2=1.49618)          # pso_minimize's defaults


def problem(m: int, hidden: int):
    import l2lib as L

    X, y = L.make_moons(m, noise=0.35, rng=3)
    like = L.init_params([2, hidden, 1], rng=0, hidden="tanh")
    n = sum(W.size + b.size for W, b in like)
    return L, X, y, like, n


def compare(m: int, hidden: int, particles: int, iters: int, rounds: int) -> dict:
    import numpy as np

    L, X, y, like, n = problem(m, hidden)
    f = L.pso.network_objective(like, X, y, LAM, hidden="tanh")

    def f_one(theta):                                         # (i) the same objective, a swarm of one
        return float(f(theta[None, :])[0])

    def f_public(theta):                                      # (ii) the public one-call cost
        return float(L.pso.batched_cost(theta, like, X, y, LAM, hidden="tanh")[0])

    kw = dict(dim=n, lo=-BOUND, hi=BOUND, n_particles=particles, n_iter=iters, rng=1)
    impls = {"batched": lambda: L.pso.pso_minimize(f, **kw),
             "loop_same_objective": lambda: L.pso.pso_minimize_loop(f_one, **kw),
             "loop_batched_cost": lambda: L.pso.pso_minimize_loop(f_public, **kw)}
    res = {k: g() for k, g in impls.items()}                  # also the warm-up
    v = res["batched"]
    check = {"n_evals": int(v.n_evals), "best_cost": float(v.cost),
             "same_x_i": bool(np.array_equal(v.x, res["loop_same_objective"].x)),
             "same_x_ii": bool(np.array_equal(v.x, res["loop_batched_cost"].x)),
             "cost_abs_diff": max(abs(v.cost - r.cost) for r in res.values())}
    us: dict[str, list[float]] = {k: [] for k in impls}
    faults: dict[str, list[float]] = {k: [] for k in impls}    # minor page faults per evaluation
    order = list(impls)
    for r in range(rounds):
        k = r % len(order)
        for name in order[k:] + order[:k]:
            f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            c0 = time.process_time()
            out = impls[name]()
            us[name].append(1e6 * (time.process_time() - c0) / out.n_evals)
            faults[name].append((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / out.n_evals)
    a = {k: np.asarray(t) for k, t in us.items()}
    return {"m": m, "network": [2, hidden, 1], "activation": "tanh", "n_params": n, "particles": particles,
            "iterations": iters, "rounds": rounds, "check": check,
            "us_per_eval": {k: summary(t) for k, t in a.items()},
            "minor_faults_per_eval": {k: summary(t) for k, t in faults.items()},
            "speedup_i": summary(a["loop_same_objective"] / a["batched"]),
            "speedup_ii": summary(a["loop_batched_cost"] / a["batched"])}


def _best(np, g, k: int, blocks: int) -> float:
    """Smallest CPU seconds per call over ``blocks`` blocks of ``k`` calls."""
    g()
    t = np.inf
    for _ in range(blocks):
        c0 = time.process_time()
        for _ in range(k):
            g()
        t = min(t, (time.process_time() - c0) / k)
    return t


def floor(m: int = 40, hidden: int = 8, particles: int = 40, iters: int = 300, blocks: int = 15) -> dict:
    """Microseconds per evaluation: the batched run, its parts, and the element-wise floor (module docstring)."""
    import numpy as np

    L, X, y, like, n = problem(m, hidden)
    P, h = particles, hidden
    f = L.pso.network_objective(like, X, y, LAM, hidden="tanh")
    kw = dict(dim=n, lo=-BOUND, hi=BOUND, n_particles=P, n_iter=iters, rng=1)
    evals = P * (iters + 1)
    rng = np.random.default_rng(0)
    T = rng.uniform(-1, 1, (P, n))
    Y = np.asarray(y, dtype=float).reshape(1, m)
    n_w = sum(W.size for W, _ in like)
    W1 = rng.normal(size=(P, 2, h)); b1 = rng.normal(size=(P, 1, h))
    W2 = rng.normal(size=(P, h, 1)); b2 = rng.normal(size=(P, 1))
    Zh = np.empty((P, m, h)); Ah = np.empty((P, m, h)); Zo = np.empty((P, m, 1))
    z = np.empty((P, m)); t1 = np.empty((P, m)); t2 = np.empty((P, m)); data = np.empty(P)
    sq = np.empty((P, n_w)); Tw = T[:, :n_w].copy(); pen = np.empty(P)
    Z0 = X @ W1                                   # (P, m, h): the hidden layer's product, kept
    np.tanh(Z0, out=Ah)
    np.matmul(Ah, W2, out=Zo)

    def tanh_np():
        np.tanh(Zh, out=Ah)

    def tanh_exp():                               # 1 - 2 / (1 + exp(2z)), in place (no clip: |z| small here)
        np.multiply(Zh, 2.0, out=Ah); np.exp(Ah, out=Ah); np.add(Ah, 1.0, out=Ah)
        np.divide(2.0, Ah, out=Ah); np.subtract(1.0, Ah, out=Ah)

    def hidden_bias():
        np.add(Z0, b1, out=Zh)

    def out_bias_and_loss():
        np.add(Zo[:, :, 0], b2, out=z)
        np.abs(z, out=t1); np.negative(t1, out=t1); np.exp(t1, out=t1); np.log1p(t1, out=t1)
        np.maximum(z, 0.0, out=t2); np.add(t1, t2, out=t1)
        np.multiply(z, Y, out=t2); np.subtract(t1, t2, out=t1)
        np.mean(t1, axis=1, out=data)

    hidden_bias()

    def penalty():
        np.multiply(Tw, Tw, out=sq); np.sum(sq, axis=1, out=pen)

    x = rng.uniform(-BOUND, BOUND, (P, n)); vel = np.zeros((P, n)); pb = x.copy(); gb = x[0].copy()
    pc = rng.uniform(size=P); fx = rng.uniform(size=P)
    u1, u2 = np.empty((P, n)), np.empty((P, n)); hit = np.empty((P, n), bool); hit2 = np.empty((P, n), bool)
    better = np.empty(P, bool)
    lo, hi, vmax = -BOUND, BOUND, 0.2 * 2 * BOUND
    gen = np.random.default_rng(1)

    def swarm_update():
        r1, r2 = gen.random((P, n)), gen.random((P, n))
        np.subtract(pb, x, out=u1); np.multiply(u1, r1, out=u1); np.multiply(u1, PSO_COEF["c1"], out=u1)
        np.subtract(gb, x, out=u2); np.multiply(u2, r2, out=u2); np.multiply(u2, PSO_COEF["c2"], out=u2)
        np.multiply(vel, PSO_COEF["w"], out=vel); np.add(vel, u1, out=vel); np.add(vel, u2, out=vel)
        np.clip(vel, -vmax, vmax, out=vel)
        np.add(x, vel, out=x)
        np.less(x, lo, out=hit); np.greater(x, hi, out=hit2); np.logical_or(hit, hit2, out=hit)
        np.clip(x, lo, hi, out=x); vel[hit] = 0.0
        np.less(fx, pc, out=better)

    def matmuls():
        np.matmul(X, W1, out=Z0); np.matmul(Ah, W2, out=Zo)

    k = 200
    part = {"tanh_np": _best(np, tanh_np, k, blocks), "tanh_exp": _best(np, tanh_exp, k, blocks),
            "hidden_bias": _best(np, hidden_bias, k, blocks), "loss": _best(np, out_bias_and_loss, k, blocks),
            "penalty": _best(np, penalty, k, blocks), "update": _best(np, swarm_update, k, blocks),
            "matmuls": _best(np, matmuls, k, blocks)}
    us = {key: 1e6 * t / P for key, t in part.items()}
    us["tanh"] = min(us["tanh_np"], us["tanh_exp"])
    us["floor_cost"] = us["hidden_bias"] + us["tanh"] + us["loss"] + us["penalty"]
    us["floor"] = us["floor_cost"] + us["update"]
    # the batched run, and its parts: one objective call on the swarm, and a run with a nearly free cost
    us["run"] = 1e6 * _best(np, lambda: L.pso.pso_minimize(f, **kw), 1, max(3, blocks // 3)) / evals
    us["objective_call"] = 1e6 * _best(np, lambda: f(T), k, blocks) / P
    us["run_free_cost"] = 1e6 * _best(np, lambda: L.pso.pso_minimize(lambda Xs: Xs[:, 0].copy(), **kw), 1,
                                      max(3, blocks // 3)) / evals
    return {"m": m, "network": [2, h, 1], "particles": P, "iterations": iters, "n_params": n, "us": us,
            "ratio_run_to_floor": us["run"] / us["floor"]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--floor-blocks", type=int, default=15)
    args = ap.parse_args(argv)
    rows = []
    for label, m, h, P, it in ROWS:
        r = compare(m, h, P, it, args.rounds)
        r["label"] = label
        rows.append(r)
        u = r["us_per_eval"]
        print(f"{label}: m={m} 2-{h}-1, {P} x {it}: batched {u['batched']['median']:.2f} us/eval, loop (i) "
              f"{u['loop_same_objective']['median']:.2f}, loop (ii) {u['loop_batched_cost']['median']:.2f}; speed-up "
              f"{r['speedup_i']['median']:.2f}x / {r['speedup_ii']['median']:.2f}x", flush=True)
    fl = floor(blocks=args.floor_blocks)
    u = fl["us"]
    print(f"chapter 5 per evaluation: run {u['run']:.2f} us, element-wise floor {u['floor']:.2f} us "
          f"(cost {u['floor_cost']:.2f} + update {u['update']:.2f}), ratio {fl['ratio_run_to_floor']:.2f}; "
          f"matmuls {u['matmuls']:.2f} us", flush=True)
    write_result("pso", {"rows": rows, "floor": fl, "machine": machine()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
