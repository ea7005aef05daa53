r"""PSO throughput: cost evaluations per second, vectorized swarm against a per-particle Python loop.

Both optimizers come from :mod:`l2lib.pso` and run the same algorithm on the same swarm with the same
seed, minimizing the book's regularized cost of a small network on two moons:

* vectorized — :func:`l2lib.pso.pso_minimize` with :func:`l2lib.pso.network_objective`, which
  evaluates all P particles with one batched matrix product per layer;
* loop — :func:`l2lib.pso.pso_minimize_loop`, a Python loop over the particles, with the cost of one
  particle computed (i) by the same batched objective on a swarm of one, and (ii) the way one would
  write it without the batched cost, ``l2lib.cost(unflatten(theta), X, y, lam)``.

Both loop variants must find the same best position as the vectorized run, and its cost up to
rounding (a batched reduction over 40 particles may round the last bit differently from one over 1).
The runs are interleaved and repeated, with one BLAS thread, and timed by the process's CPU time
(``time.process_time``), which other processes competing for the cores barely change; wall-clock
times are recorded too. Evaluations per second = ``n_evals / CPU seconds``. Writes ``results/pso.json``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# One BLAS thread (set before numpy loads): the swarm's matrices are far too small for a second thread
# to help, and with one thread the process's CPU time measures the work alone, whatever else runs on
# the machine.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, summary, write_result  # noqa: E402


# (m, hidden units, activation): the first is chapter 5's setting (2-8-1 tanh network, m = 40 moons);
# the second the same with ReLU (an activation far cheaper per element than tanh); the others show how
# the gain changes when each particle's forward pass gets bigger (2-16-1 at m = 40, 200, 1000: the sizes
# at which the batched cost, evaluated whole, fell to 0.7x the loop before it was chunked, issue 12).
CONFIGS = [(40, 8, "tanh"), (40, 8, "relu"), (40, 16, "tanh"), (200, 16, "tanh"), (1000, 16, "tanh")]
SCALING_MS = (40, 200, 1000)


def run(rounds: int = 5, m: int = 40, hidden: int = 8, activation: str = "tanh", particles: int = 40,
        iters: int = 50, lam: float = 1.0) -> dict:
    import numpy as np

    import l2lib as L
    from l2lib import pso

    X, y = L.make_moons(m, noise=0.35, rng=3)
    like = L.init_params([2, hidden, 1], rng=0, hidden=activation)
    n = sum(W.size + b.size for W, b in like)
    f = pso.network_objective(like, X, y, lam, hidden=activation)

    def f_same(theta):                               # (i) the batched cost on a swarm of one
        return float(f(theta[None, :])[0])

    def f_plain(theta):                              # (ii) the plain cost of one network
        return L.cost(L.unflatten(theta, like), X, y, lam, hidden=activation).total

    kw = dict(dim=n, lo=-5.0, hi=5.0, n_particles=particles, n_iter=iters, rng=1)
    impls = {"vectorized": lambda: pso.pso_minimize(f, **kw),
             "loop_same_cost": lambda: pso.pso_minimize_loop(f_same, **kw),
             "loop_plain_cost": lambda: pso.pso_minimize_loop(f_plain, **kw)}
    results = {k: g() for k, g in impls.items()}      # also a warm-up
    v, a, b = results["vectorized"], results["loop_same_cost"], results["loop_plain_cost"]
    check = {"same_x": bool(np.array_equal(v.x, a.x)), "cost_abs_diff": float(abs(v.cost - a.cost)),
             "plain_cost_max_abs_diff_x": float(np.max(np.abs(v.x - b.x))),
             "plain_cost_abs_diff_cost": float(abs(v.cost - b.cost)),
             "best_cost": float(v.cost), "n_evals": int(v.n_evals)}
    secs: dict[str, list[float]] = {k: [] for k in impls}      # CPU seconds of this process
    wall: dict[str, list[float]] = {k: [] for k in impls}      # wall-clock seconds
    order = list(impls)
    for r in range(rounds):
        for name in (order if r % 2 == 0 else order[::-1]):
            t0, c0 = time.perf_counter(), time.process_time()
            res = impls[name]()
            secs[name].append(time.process_time() - c0)
            wall[name].append(time.perf_counter() - t0)
            assert res.n_evals == v.n_evals
    eps = {k: [v.n_evals / s for s in t] for k, t in secs.items()}
    speedup_same = [a / b for a, b in zip(secs["loop_same_cost"], secs["vectorized"])]
    speedup_plain = [a / b for a, b in zip(secs["loop_plain_cost"], secs["vectorized"])]
    wall_same = [a / b for a, b in zip(wall["loop_same_cost"], wall["vectorized"])]
    return {"setup": {"m": m, "network": [2, hidden, 1], "activation": activation, "n_params": n,
                      "particles": particles, "iterations": iters, "lam": lam, "rounds": rounds},
            "check": check, "seconds": {k: summary(t) for k, t in secs.items()},
            "wall_seconds": {k: summary(t) for k, t in wall.items()}, "wall_speedup_vs_loop_same_cost": summary(wall_same),
            "evals_per_second": {k: summary(e) for k, e in eps.items()},
            "speedup_vs_loop_same_cost": summary(speedup_same), "speedup_vs_loop_plain_cost": summary(speedup_plain)}


def breakdown(m: int = 40, hidden: int = 8, activation: str = "tanh", particles: int = 40, iters: int = 50,
              lam: float = 1.0) -> dict:
    """Microseconds per cost evaluation, split into the cost itself and everything else (the PSO update).

    All quantities are CPU times, the best of 7 timed blocks, measured back to back: a whole vectorized
    run and a whole loop run (per evaluation), one batched cost call for the swarm (per particle), one
    cost call for one particle, and the update alone: both runs again with an almost free cost (the sum
    of the coordinates), per evaluation. Also, on the swarm's and on one particle's arrays, the hidden
    layer's activation alone and the cross-entropy from the logits alone (exp and log1p per example).
    """
    import numpy as np

    import l2lib as L
    from l2lib import pso
    from l2lib.network import _act, bce_from_logits

    X, y = L.make_moons(m, noise=0.35, rng=3)
    like = L.init_params([2, hidden, 1], rng=0, hidden=activation)
    n = sum(W.size + b.size for W, b in like)
    f = pso.network_objective(like, X, y, lam, hidden=activation)
    T = np.random.default_rng(0).uniform(-1, 1, (particles, n))
    Zs = np.random.default_rng(1).normal(0, 2, (particles, m, hidden))
    Zo = np.random.default_rng(2).normal(0, 2, (particles, m, 1))          # output logits
    Y = np.asarray(y, dtype=float).reshape(-1, 1)
    kw = dict(dim=n, lo=-5.0, hi=5.0, n_particles=particles, n_iter=iters, rng=1)
    evals = particles * (iters + 1)

    def best(g, k):
        g()
        t = np.inf
        for _ in range(7):
            t0 = time.process_time()
            for _ in range(k):
                g()
            t = min(t, (time.process_time() - t0) / k)
        return t

    us = 1e6
    vec_run = best(lambda: pso.pso_minimize(f, **kw), 3) / evals
    loop_run = best(lambda: pso.pso_minimize_loop(lambda th: float(f(th[None, :])[0]), **kw), 1) / evals
    vec_cost = best(lambda: f(T), 50) / particles
    one_cost = best(lambda: f(T[:1]), 200)
    # the update alone: the same runs with a cost that is almost free (the sum of the coordinates)
    vec_rest = best(lambda: pso.pso_minimize(lambda Xs: Xs.sum(axis=1), **kw), 3) / evals
    loop_rest = best(lambda: pso.pso_minimize_loop(lambda x: float(x.sum()), **kw), 1) / evals
    return {"setting": {"m": m, "network": [2, hidden, 1], "activation": activation, "particles": particles,
                        "iterations": iters},
            "vec_total_us": us * vec_run, "vec_cost_us": us * vec_cost, "vec_rest_us": us * vec_rest,
            "loop_total_us": us * loop_run, "loop_cost_us": us * one_cost, "loop_rest_us": us * loop_rest,
            "vec_activation_us": us * best(lambda: _act(Zs, activation), 50) / particles,
            "one_activation_us": us * best(lambda: _act(Zs[:1], activation), 200),
            "vec_loss_us": us * best(lambda: bce_from_logits(Zo, Y), 50) / particles,
            "one_loss_us": us * best(lambda: bce_from_logits(Zo[:1], Y), 200),
            "speedup_best": loop_run / vec_run}


def scaling(ms=SCALING_MS, hidden: int = 16, activation: str = "tanh", particles: int = 40, lam: float = 1.0,
            repeats: int = 9) -> dict:
    """Microseconds per cost evaluation of the batched cost against the per-particle loop, as m grows.

    For each m: one call of the swarm's objective on ``particles`` positions (per particle) against a
    loop calling it on one particle at a time (per particle), interleaved, each the CPU time of a block
    of calls, median of ``repeats`` blocks. Also the chunk size the batched cost uses
    (:func:`l2lib.pso._chunk_size`) and the process's minor page faults per batched call.
    """
    import resource

    import numpy as np

    import l2lib as L
    from l2lib import pso

    out = []
    for m in ms:
        X, y = L.make_moons(m, noise=0.35, rng=3)
        like = L.init_params([2, hidden, 1], rng=0, hidden=activation)
        n = sum(W.size + b.size for W, b in like)
        f = pso.network_objective(like, X, y, lam, hidden=activation)
        T = np.random.default_rng(0).uniform(-1, 1, (particles, n))

        def batched():
            f(T)

        def loop():
            for p in range(particles):
                f(T[p:p + 1])

        k = max(1, 4000 // m)                           # calls per timed block
        ts: dict[str, list[float]] = {"batched": [], "loop": []}
        batched(), loop()
        flt0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for r in range(repeats):
            pair = (("batched", batched), ("loop", loop))
            for name, g in (pair if r % 2 == 0 else pair[::-1]):
                t0 = time.process_time()
                for _ in range(k):
                    g()
                ts[name].append(1e6 * (time.process_time() - t0) / (k * particles))
        flt = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - flt0
        ratio = [a / b for a, b in zip(ts["loop"], ts["batched"])]
        out.append({"m": m, "network": [2, hidden, 1], "activation": activation, "particles": particles,
                    "chunk": pso._chunk_size(like, m, particles), "batched_us": summary(ts["batched"]),
                    "loop_us": summary(ts["loop"]), "speedup": summary(ratio),
                    "minor_faults_per_block": flt / (2 * repeats)})
    return {"chunk_bytes": pso._CHUNK_BYTES, "rows": out}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)
    runs = []
    for i, (m, h, act) in enumerate(CONFIGS):
        res = run(rounds=args.rounds if i == 0 else max(3, args.rounds // 2), m=m, hidden=h, activation=act)
        runs.append(res)
        e = res["evals_per_second"]
        print(f"PSO m={m} 2-{h}-1 {act}: evals/s vectorized {e['vectorized']['median']:.0f}, loop (same cost) "
              f"{e['loop_same_cost']['median']:.0f}, loop (plain cost) {e['loop_plain_cost']['median']:.0f}; speed-up "
              f"{res['speedup_vs_loop_same_cost']['median']:.1f}x / {res['speedup_vs_loop_plain_cost']['median']:.1f}x",
              flush=True)
    sc = scaling()
    for row in sc["rows"]:
        print(f"cost per particle, m={row['m']} 2-{row['network'][1]}-1 {row['activation']}, {row['particles']} "
              f"particles in chunks of {row['chunk']}: batched {row['batched_us']['median']:.1f} us, loop "
              f"{row['loop_us']['median']:.1f} us, speed-up {row['speedup']['median']:.2f}x", flush=True)
    bds = [breakdown(activation=act) for act in ("tanh", "relu")]
    for b in bds:
        print(f"{b['setting']['activation']}, per evaluation (best of 7): vectorized {b['vec_total_us']:.1f} us = cost "
              f"{b['vec_cost_us']:.1f} + rest {b['vec_rest_us']:.1f}; loop {b['loop_total_us']:.1f} us = cost "
              f"{b['loop_cost_us']:.1f} + rest {b['loop_rest_us']:.1f}; speed-up {b['speedup_best']:.1f}x")
    write_result("pso", {"runs": runs, "breakdown": bds, "scaling": sc, "machine": machine()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
