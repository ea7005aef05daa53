r"""PSO throughput: cost evaluations per second, vectorized swarm against a per-particle Python loop.

Both optimizers come from :mod:`l2lib.pso` and run the same algorithm on the same swarm with the same
seed, minimizing the book's regularized cost of a small network on two moons:

* vectorized — :func:`l2lib.pso.pso_minimize` with :func:`l2lib.pso.network_objective`, which
  evaluates all P particles with one batched matrix product per layer;
* loop — :func:`l2lib.pso.pso_minimize_loop`, a Python loop over the particles, with the cost of one
  particle computed (i) by the same batched objective on a swarm of one, and (ii) the way one would
  write it without the batched cost, ``l2lib.cost(unflatten(theta), X, y, lam)``.

Both loop variants must find the same best position as the vectorized run, and its cost up to
rounding (a batched reduction over 40 particles may round the last bit differently from one over 1). The runs are interleaved and repeated; evaluations per second =
``n_evals / seconds``. Writes ``results/pso.json``.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, summary, write_result  # noqa: E402


# (m, hidden units, activation): the first is chapter 5's setting (2-8-1 tanh network, m = 40 moons);
# the others show how the gain changes when each particle's forward pass gets bigger.
CONFIGS = [(40, 8, "tanh"), (200, 16, "tanh"), (1000, 16, "tanh")]


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
    secs: dict[str, list[float]] = {k: [] for k in impls}
    order = list(impls)
    for r in range(rounds):
        for name in (order if r % 2 == 0 else order[::-1]):
            t0 = time.perf_counter()
            res = impls[name]()
            secs[name].append(time.perf_counter() - t0)
            assert res.n_evals == v.n_evals
    eps = {k: [v.n_evals / s for s in t] for k, t in secs.items()}
    speedup_same = [a / b for a, b in zip(secs["loop_same_cost"], secs["vectorized"])]
    speedup_plain = [a / b for a, b in zip(secs["loop_plain_cost"], secs["vectorized"])]
    return {"setup": {"m": m, "network": [2, hidden, 1], "activation": activation, "n_params": n, "particles": particles, "iterations": iters,
                      "lam": lam, "rounds": rounds},
            "check": check, "seconds": {k: summary(t) for k, t in secs.items()},
            "evals_per_second": {k: summary(e) for k, e in eps.items()},
            "speedup_vs_loop_same_cost": summary(speedup_same), "speedup_vs_loop_plain_cost": summary(speedup_plain)}


def breakdown(m: int = 40, hidden: int = 8, activation: str = "tanh", particles: int = 40, lam: float = 1.0,
              reps: int = 200) -> dict:
    """Microseconds per cost evaluation, split: the swarm's batched cost per particle, the hidden layer's
    activation alone on the swarm's pre-activations, one particle's cost (loop), and its activation alone."""
    import numpy as np

    import l2lib as L
    from l2lib import pso
    from l2lib.network import _act

    X, y = L.make_moons(m, noise=0.35, rng=3)
    like = L.init_params([2, hidden, 1], rng=0, hidden=activation)
    n = sum(W.size + b.size for W, b in like)
    f = pso.network_objective(like, X, y, lam, hidden=activation)
    T = np.random.default_rng(0).uniform(-1, 1, (particles, n))
    Zs = np.random.default_rng(1).normal(0, 2, (particles, m, hidden))
    Z1 = Zs[:1]

    def per_call(g, k=reps):
        g()
        best = np.inf
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(k):
                g()
            best = min(best, (time.perf_counter() - t0) / k)
        return best

    swarm = per_call(lambda: f(T)) / particles
    swarm_act = per_call(lambda: _act(Zs, activation)) / particles
    one = per_call(lambda: f(T[:1]))
    one_act = per_call(lambda: _act(Z1, activation))
    return {"us_per_eval_swarm": 1e6 * swarm, "us_per_eval_swarm_activation": 1e6 * swarm_act,
            "us_per_eval_one": 1e6 * one, "us_per_eval_one_activation": 1e6 * one_act,
            "note": "best of 5 blocks; the PSO update itself (velocities, positions, bests) is not included"}


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
    b = breakdown()
    print(f"per evaluation: swarm {b['us_per_eval_swarm']:.1f} us (activation {b['us_per_eval_swarm_activation']:.1f} us), "
          f"one particle {b['us_per_eval_one']:.1f} us (activation {b['us_per_eval_one_activation']:.1f} us)")
    write_result("pso", {"runs": runs, "breakdown": b, "machine": machine()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
