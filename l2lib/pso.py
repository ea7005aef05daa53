r"""Particle swarm optimization (PSO) of the regularized cost, vectorized over the swarm.

PSO (Kennedy & Eberhart 1995; inertia weight from Shi & Eberhart 1998) looks
only at values of the cost, never at its gradient. A swarm of ``P`` particles
moves through parameter space; particle ``p`` has a position :math:`x_p`, a
velocity :math:`v_p`, the best position it has visited :math:`\hat x_p`, and
the swarm shares the best position any particle has visited :math:`g`. One
iteration, for every particle and coordinate, with fresh
:math:`r_1, r_2 \sim U(0, 1)`:

.. math::

    v &\leftarrow \mathrm{clip}\big(\omega\,v + c_1 r_1 (\hat x - x) + c_2 r_2 (g - x),\; -v_{\max},\; v_{\max}\big),\\
    x &\leftarrow \mathrm{clip}(x + v,\; \text{lo},\; \text{hi}),

with the inertia :math:`\omega` (argument ``w``). Then the cost of every new
position is evaluated and :math:`\hat x`, :math:`g` are updated (synchronously:
``g`` changes only after the whole swarm has moved). A coordinate that hits a
bound stops there and its velocity is set to 0.

To train a network the cost is the book's regularized cost (:mod:`l2lib.penalty`)

.. math::  J(\theta) = \frac1m\sum_{i=1}^m L^{(i)}(\theta) + \frac{\lambda}{2m}\sum_l \lVert W_l\rVert_F^2

of the flattened parameter vector :math:`\theta` (layout of :func:`l2lib.network.flatten`;
biases are not penalized). :func:`batched_cost` evaluates it for all ``P``
particles with one batched matrix product per layer, so an iteration of
:func:`pso_minimize` is one call of the cost, not ``P`` calls.
:func:`pso_minimize_loop` is the same algorithm with a Python loop over the
particles (a reference for tests and benchmarks): given the same seed and the
same cost it returns the same result.

A grid of λ values (``lam`` of shape (K,) in :func:`pso_train` and :func:`network_objective`)
runs K swarms together (``swarms=K`` in :func:`pso_minimize`): one swarm per λ, all drawing the
same random numbers, which is what K separate runs with the same seed draw. Every iteration then
evaluates the K·P particles in one call and updates them with one set of array operations; swarm
``k`` visits the same positions, to the bit, as a run with ``lams[k]`` alone (tests/test_pso.py
checks it).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from . import kernels as K
from ._validate import (check_int, check_lam, check_lam_grid, check_params, check_positive, check_real, check_rng,
                        check_X, msg)
from .network import Net, as_net, targets, unflatten

__all__ = ["PSOResult", "SwarmCost", "batched_logits", "batched_cost_parts", "batched_cost",
           "network_objective", "pso_minimize", "pso_minimize_loop", "pso_train"]


class PSOResult(NamedTuple):
    """What :func:`pso_minimize` returns."""
    x: np.ndarray        # (n,) best position found
    cost: float          # its cost
    history: np.ndarray  # (n_iter + 1,) best cost after initialization and after each iteration
    evals: np.ndarray    # (n_iter + 1,) cumulative number of cost evaluations at each history entry
    n_evals: int         # total number of cost evaluations (= evals[-1])
    n_iter: int          # iterations done (fewer than asked if ``target`` was reached)


class SwarmCost(NamedTuple):
    """The regularized cost of every particle, split into its terms; each of shape (P,)."""
    data: np.ndarray     # (1/m) Σ L
    penalty: np.ndarray  # (λ/2m) Σ ||W||²_F
    total: np.ndarray


# ------------------------------------------------------------------ batched cost of a swarm
def _check_thetas(thetas, n: int) -> np.ndarray:
    T = np.asarray(thetas, dtype=float)
    if T.ndim == 1:
        T = T[None, :]
    if T.ndim != 2 or T.shape[1] != n:
        raise ValueError(f"The 'thetas' parameter must be an array of shape (P, {n}) (one flattened "
                         f"parameter vector per row). Got an array of shape {np.shape(thetas)} instead.")
    if not np.all(np.isfinite(T)):
        raise ValueError("The 'thetas' parameter must hold finite values. Got NaN or inf instead.")
    return T


def _swarm_params(T: np.ndarray, like) -> list:
    """Rows of T (P, n) as P stacked networks: views ``W_l`` (P, n_in, n_out) and ``b_l`` (P, 1, n_out)."""
    P, out, i = T.shape[0], [], 0
    for W, b in like:
        Ws = T[:, i:i + W.size].reshape(P, *W.shape); i += W.size
        bs = T[:, i:i + b.size].reshape(P, 1, b.size); i += b.size
        out.append((Ws, bs))
    return out


def _act(hidden: str):
    """The swarm's hidden activation: :func:`l2lib.kernels.fast_tanh` for tanh (same values to 4e-16)."""
    return K.fast_tanh if hidden == "tanh" else None


def _forward_swarm(T: np.ndarray, like, X: np.ndarray, hidden: str) -> np.ndarray:
    """Unchecked batched forward pass: T (P, n) -> Z_out (P, m, n_out), through :func:`l2lib.kernels.forward`."""
    return K.forward(_swarm_params(T, like), X, hidden, "identity", act=_act(hidden))[1].Z[-1]


# Bytes one chunk's widest (chunk, m, width) float64 intermediate may take. Evaluated whole, a large
# swarm's intermediates outgrow the cache, and allocations above glibc's default mmap threshold
# (128 KiB) are mapped afresh and page-faulted on every call (hundreds of minor faults per call,
# measured), so that at m = 1000 (2-16-1, 40 particles) the batched cost was slower than a loop over
# the particles. A swarm whose intermediates would be larger is evaluated a few particles at a time
# (_chunk_size), each intermediate at most 128 KiB: no page faults, and well inside a core's L2 cache.
# Chapter 5's swarm (2-8-1, m = 40, 40 particles: 100 KiB) is one chunk, as before.
_CHUNK_BYTES = 128 * 1024


def _chunk_size(like, m: int, P: int) -> int:
    """Particles per chunk so a (chunk, m, widest layer) float64 array fits in ``_CHUNK_BYTES`` (at least 1)."""
    width = max(max(W.shape) for W, _ in like)
    return max(1, min(P, _CHUNK_BYTES // (8 * m * width)))


def _forward_chunked(T: np.ndarray, like, X: np.ndarray, hidden: str) -> np.ndarray:
    """:func:`_forward_swarm` a chunk of :func:`_chunk_size` particles at a time: Z_out (P, m, n_out)."""
    P = T.shape[0]
    c = _chunk_size(like, X.shape[0], P)
    if c >= P:
        return _forward_swarm(T, like, X, hidden)
    Z = np.empty((P, X.shape[0], like[-1][0].shape[1]))
    for i in range(0, P, c):
        Z[i:i + c] = _forward_swarm(T[i:i + c], like, X, hidden)
    return Z


def _swarm_parts(T: np.ndarray, like, X: np.ndarray, Y: np.ndarray, lam, hidden: str,
                 output: str, m: int, layers: tuple[int, ...]) -> SwarmCost:
    """Unchecked batched cost: every argument already validated, Y the (m_b, K) target matrix;
    ``lam`` a float, or one λ per row of T (shape (P,)).

    The data term is computed a chunk of :func:`_chunk_size` particles at a time, the penalty
    (:func:`l2lib.kernels.penalty`) for the whole swarm at once. Each particle's data term comes out
    the same, to the bit, whatever the chunk: a batched matrix product multiplies each particle's
    matrices alone, the rest is element-wise, and each mean reduces one C-contiguous row
    (tests/test_pso.py checks it).
    """
    P = T.shape[0]
    c = _chunk_size(like, X.shape[0], P)
    if c >= P:
        data = _swarm_data(T, like, X, Y, hidden, output)
    else:
        data = np.concatenate([_swarm_data(T[i:i + c], like, X, Y, hidden, output) for i in range(0, P, c)])
    penalty = K.penalty(_swarm_params(T, like), lam, m, layers, False)   # weights only, never biases
    return SwarmCost(data, penalty, data + penalty)


def _swarm_data(T: np.ndarray, like, X: np.ndarray, Y: np.ndarray, hidden: str, output: str) -> np.ndarray:
    """The data term (1/m_b) Σ L of each row of T, shape (P,); unchecked."""
    return K.example_losses(_forward_swarm(T, like, X, hidden), Y, output).mean(axis=-1)


def _n_params(like) -> int:
    return sum(W.size + b.size for W, b in like)


def batched_logits(thetas, like, X, hidden: str | None = None) -> np.ndarray:
    r"""Output-layer pre-activations of ``P`` networks at once.

    Row ``p`` of ``thetas`` (P, n) is cut into ``(W_l, b_l)`` like ``like`` (a :class:`~l2lib.network.Net`
    or params; only its shapes and activation are used)
    (layout of :func:`l2lib.network.flatten`); layer ``l`` computes
    :math:`Z_l^{(p)} = A_{l-1}^{(p)} W_l^{(p)} + b_l^{(p)}` for every ``p`` with
    one batched matrix product of shape (P, m, n_l).

    Returns ``Z_out`` of shape (P, m, n_out).

    >>> like = [(np.zeros((2, 1)), np.zeros(1))]
    >>> batched_logits(np.array([[1.0, 2.0, 0.5]]), like, np.array([[1.0, 1.0]]))
    array([[[3.5]]])
    """
    net = as_net(like, hidden, None, "like")
    T = _check_thetas(thetas, _n_params(net.params))
    X = check_X(X, n_features=net.sizes[0])
    return _forward_chunked(T, net.params, X, net.hidden)


def batched_cost_parts(thetas, like, X, y, lam: float = 0.0, hidden: str | None = None,
                       output: str | None = None, m: int | None = None) -> SwarmCost:
    r"""Data term, penalty and total of :math:`J` for each of ``P`` flattened parameter vectors.

    .. math::  J(\theta_p) = \frac1m\sum_{i} L\big(\hat y^{(i)}(\theta_p), y^{(i)}\big)
               + \frac{\lambda}{2m}\sum_{k\,\in\,\text{weights}} \theta_{pk}^2 ,

    the same number :func:`l2lib.penalty.cost` gives for ``unflatten(thetas[p], like)``.
    ``thetas`` has shape (P, n) (a single vector (n,) counts as P = 1), ``X`` (m, n_0);
    ``m`` in the penalty defaults to ``len(X)``. Biases are never penalized
    (:func:`l2lib.network.weight_mask`). ``like`` is a :class:`~l2lib.network.Net` or params
    with ``hidden``/``output``. Each field of the result has shape (P,).

    >>> like = [(np.zeros((1, 1)), np.zeros(1))]
    >>> parts = batched_cost_parts([[2.0, 0.0], [0.0, 3.0]], like, [[0.0], [0.0]], [1, 1], lam=4.0)
    >>> parts.penalty.tolist()        # (4 / (2*2)) * w**2; the bias 3.0 is not penalized
    [4.0, 0.0]
    """
    net, problem = _checked_problem(like, X, y, lam, hidden, output, m)
    return _swarm_parts(_check_thetas(thetas, _n_params(net.params)), net.params, *problem)


def batched_cost(thetas, like, X, y, lam: float = 0.0, hidden: str | None = None,
                 output: str | None = None, m: int | None = None) -> np.ndarray:
    r"""The regularized cost :math:`J(\theta_p)` of each row of ``thetas`` (P, n); shape (P,).

    Shorthand for ``batched_cost_parts(...).total``.

    >>> like = [(np.zeros((1, 1)), np.zeros(1))]
    >>> batched_cost(np.zeros((3, 2)), like, [[1.0]], [1]).round(4).tolist()   # ln 2 each
    [0.6931, 0.6931, 0.6931]
    """
    return batched_cost_parts(thetas, like, X, y, lam, hidden, output, m).total


def network_objective(like, X, y, lam=0.0, hidden: str | None = None, output: str | None = None,
                      m: int | None = None) -> Callable[[np.ndarray], np.ndarray]:
    r"""The fitness PSO minimizes: ``f(thetas (P, n)) -> J (P,)``, :math:`J` as in :func:`batched_cost`.

    With a grid of K values of λ (``lam`` of shape (K,), non-empty and strictly increasing) it is the
    fitness of K swarms, one per λ: ``f(thetas (K, P, n)) -> J (K, P)``, swarm ``k`` scored with
    ``lam[k]`` (what :func:`pso_minimize` with ``swarms=K`` calls). The K·P particles are evaluated
    together, each one's cost the same number, to the bit, as in a swarm of its own λ alone.

    Checks the data and settings once, so that the returned function, called
    every iteration, only checks the shape of ``thetas``.
    """
    if np.ndim(lam) == 0:
        net, problem = _checked_problem(like, X, y, lam, hidden, output, m)
        n, shapes = _n_params(net.params), net.params
        return lambda thetas: _swarm_parts(_check_thetas(thetas, n), shapes, *problem).total
    lams = check_lam_grid(lam, "lam")
    net, (Xc, Y, _, hid, out, mm, layers) = _checked_problem(like, X, y, 0.0, hidden, output, m)
    n, shapes, K = _n_params(net.params), net.params, lams.size

    def f(thetas):
        T = np.asarray(thetas, dtype=float)
        if T.ndim != 3 or T.shape[0] != K or T.shape[2] != n:
            raise ValueError(f"The 'thetas' parameter must be an array of shape ({K}, P, {n}) (one swarm "
                             f"per λ of the grid). Got an array of shape {np.shape(thetas)} instead.")
        P = T.shape[1]
        rows = _check_thetas(T.reshape(K * P, n), n)
        return _swarm_parts(rows, shapes, Xc, Y, np.repeat(lams, P), hid, out, mm, layers).total.reshape(K, P)
    return f


def _checked_problem(like, X, y, lam, hidden, output, m):
    """Check the network and data once: ``(net, (X, Y, lam, hidden, output, m, layers))``."""
    net = as_net(like, hidden, output, "like")
    lam = check_lam(lam)
    X = check_X(X, n_features=net.sizes[0])
    Y = targets(y, net.output, net.sizes[-1], X.shape[0])
    m = X.shape[0] if m is None else check_int("m", m)
    return net, (X, Y, lam, net.hidden, net.output, m, tuple(range(len(net.params))))


# ------------------------------------------------------------------ the optimizer
class _Setup(NamedTuple):
    lo: np.ndarray
    hi: np.ndarray
    v_max: np.ndarray
    P: int
    n_iter: int
    w: float
    w_final: float
    c1: float
    c2: float
    target: float | None


def _bound(name: str, value, dim: int) -> np.ndarray:
    a = np.asarray(value, dtype=float)
    if a.ndim > 1 or (a.ndim == 1 and a.shape != (dim,)):
        raise ValueError(f"The {name!r} parameter must be a float or an array of shape ({dim},). "
                         f"Got an array of shape {a.shape} instead.")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"The {name!r} parameter must be finite. Got {value!r} instead.")
    return np.broadcast_to(a, (dim,)).copy()


def _setup(dim, lo, hi, n_particles, n_iter, w, c1, c2, v_max, w_final, target) -> _Setup:
    dim = check_int("dim", dim)
    lo, hi = _bound("lo", lo, dim), _bound("hi", hi, dim)
    if np.any(hi <= lo):
        k = int(np.argmax(hi <= lo))
        raise ValueError(f"The 'hi' parameter must be greater than lo in every coordinate. "
                         f"Got hi[{k}] = {hi[k]!r} <= lo[{k}] = {lo[k]!r} instead.")
    P = check_int("n_particles", n_particles, 1)
    n_iter = check_int("n_iter", n_iter, 0)
    w = check_real("w", w, 0.0, 2.0)
    w_final = w if w_final is None else check_real("w_final", w_final, 0.0, 2.0)
    c1, c2 = check_real("c1", c1, 0.0, 4.0), check_real("c2", c2, 0.0, 4.0)
    if v_max is None:
        vm = 0.2 * (hi - lo)
    else:
        vm = _bound("v_max", v_max, dim)
        if np.any(vm <= 0):
            raise ValueError(f"The 'v_max' parameter must be positive in every coordinate. Got {v_max!r} instead.")
    if target is not None:
        target = check_real("target", target)
    return _Setup(lo, hi, vm, P, n_iter, w, w_final, c1, c2, target)


def _initial_positions(s: _Setup, x0, rng: np.random.Generator) -> np.ndarray:
    if x0 is None:
        return rng.uniform(s.lo, s.hi, size=(s.P, s.lo.size))
    x = np.array(x0, dtype=float)
    if x.shape != (s.P, s.lo.size):
        raise ValueError(f"The 'x0' parameter must be an array of shape ({s.P}, {s.lo.size}) (one start "
                         f"per particle). Got an array of shape {x.shape} instead.")
    if not np.all(np.isfinite(x)) or np.any(x < s.lo) or np.any(x > s.hi):
        raise ValueError("The 'x0' parameter must hold finite positions inside [lo, hi]. "
                         "Got positions outside the bounds instead.")
    return x


def _checked_costs(fx, shape: tuple[int, ...]) -> np.ndarray:
    fx = np.asarray(fx, dtype=float)
    if fx.shape != shape:
        raise ValueError(f"The 'f' parameter must return one cost per particle, shape {shape}. "
                         f"Got an array of shape {fx.shape} instead.")
    if np.any(np.isnan(fx)):
        raise ValueError("The 'f' parameter must return costs that are not NaN. Got NaN instead.")
    return fx


def _inertia(s: _Setup, t: int) -> float:
    """Inertia at iteration t (0-based): linear from w to w_final over n_iter iterations (Shi & Eberhart)."""
    return s.w + (s.w_final - s.w) * (t / (s.n_iter - 1) if s.n_iter > 1 else 0.0)


def _result(gbest, gcost, hist, evals, t) -> PSOResult:
    return PSOResult(gbest.copy(), float(gcost), np.asarray(hist, float), np.asarray(evals, dtype=np.int64),
                     int(evals[-1]), t)


def pso_minimize(f: Callable[[np.ndarray], np.ndarray], dim: int, lo=-1.0, hi=1.0, n_particles: int = 40,
                 n_iter: int = 200, w: float = 0.7298, c1: float = 1.49618, c2: float = 1.49618,
                 v_max=None, w_final: float | None = None, x0=None, target: float | None = None,
                 rng=None, swarms: int | None = None):
    r"""Minimize ``f`` over the box ``[lo, hi]^dim`` with a particle swarm, one cost call per iteration.

    >>> res = pso_minimize(lambda X: np.sum((X - 0.5) ** 2, axis=1), dim=2, n_iter=100, rng=0)
    >>> np.round(res.x, 4).tolist(), res.n_evals
    ([0.5, 0.5], 4040)

    Parameters
    ----------
    f : callable
        Batched cost: ``f(X)`` with ``X`` of shape (P, dim) returns the P costs, shape (P,).
    dim : int
        Number of coordinates ``n``.
    lo, hi : float or array
        Bounds of the search box, scalars or arrays of shape (dim,); positions are clipped to it.
    n_particles, n_iter : int
        Swarm size ``P`` and number of iterations. The swarm is evaluated
        ``n_iter + 1`` times (once at the start), ``P`` costs each time.
    w, c1, c2 : float
        Inertia, cognitive and social coefficients. The defaults are Clerc and Kennedy's (2002)
        constriction written with an inertia weight: the factor χ = 0.7298 times the update with
        c1 = c2 = 2.05 gives w = 0.7298, c1 = c2 = 2.05 χ = 1.49618.
    v_max : float or array, optional
        Velocity clamp per coordinate (default ``0.2 * (hi - lo)``).
    w_final : float, optional
        If given, the inertia falls linearly from ``w`` to ``w_final``.
    x0 : array, optional
        Initial positions, shape (P, dim) (default: uniform in the box).
    target : float, optional
        Stop as soon as the best cost is ``<= target``.
    rng : Generator, int or None
        Source of every random number (initial positions and velocities, r1, r2).
    swarms : int, optional
        Run this many independent swarms together (K). Each draws the same random numbers (the
        numbers one run with this ``rng`` draws), so swarm ``k`` is the run one would get with the
        cost ``f(...)[k]`` alone. ``f`` then takes positions of shape (K, P, dim) and returns costs
        (K, P); ``x0``, if given, is shared, shape (P, dim); ``target`` must be None.

    Returns
    -------
    PSOResult
        ``x`` (dim,), ``cost``, ``history`` and ``evals`` (n_iter + 1,), ``n_evals``, ``n_iter``.
        With ``swarms=K``, a list of K of them, one per swarm.
    """
    s = _setup(dim, lo, hi, n_particles, n_iter, w, c1, c2, v_max, w_final, target)
    rng = check_rng(rng)
    x = _initial_positions(s, x0, rng)
    v = rng.uniform(-s.v_max, s.v_max, size=x.shape)
    if swarms is None:
        return _run(lambda xs: _checked_costs(f(xs[0]), (s.P,))[None], s, x[None], v[None], rng)[0]
    K = check_int("swarms", swarms)
    if s.target is not None:
        raise ValueError(f"The 'target' parameter must be None when 'swarms' is given (each swarm would "
                         f"stop at its own iteration). Got {target!r} instead.")
    return _run(lambda xs: _checked_costs(f(xs), (K, s.P)), s, np.repeat(x[None], K, axis=0),
                np.repeat(v[None], K, axis=0), rng)


def _run(cost: Callable[[np.ndarray], np.ndarray], s: _Setup, x: np.ndarray, v: np.ndarray,
         rng: np.random.Generator) -> list[PSOResult]:
    """The iterations of :func:`pso_minimize` for K swarms: ``x``, ``v`` of shape (K, P, n), ``cost``
    (K, P, n) -> (K, P) checked. One set of r1, r2 (P, n) per iteration serves every swarm. Element by
    element the arithmetic is that of one swarm alone, so a swarm's numbers do not depend on K.
    ``s.target`` is only used with K = 1."""
    K = x.shape[0]
    fx = cost(x)
    pbest, pcost = x.copy(), fx.copy()
    rows = np.arange(K)
    g = np.argmin(pcost, axis=1)
    gbest, gcost = pbest[rows, g], pcost[rows, g]          # (K, n), (K,): copies
    hist, evals, t = [gcost.copy()], [s.P], 0
    neg_v_max = -s.v_max
    while t < s.n_iter and (s.target is None or gcost[0] > s.target):
        r1, r2 = rng.random(x.shape[1:]), rng.random(x.shape[1:])
        # v <- w v + c1 r1 (pbest - x) + c2 r2 (gbest - x), in place, in that order (the loop's numbers)
        v *= _inertia(s, t)
        r1 *= s.c1
        pull = np.subtract(pbest, x)
        pull *= r1
        v += pull
        r2 *= s.c2
        np.subtract(gbest[:, None, :], x, out=pull)
        pull *= r2
        v += pull
        np.maximum(v, neg_v_max, out=v)                   # velocity clamping
        np.minimum(v, s.v_max, out=v)
        x = x + v                                         # a new array: f may keep the last one
        hit = (x < s.lo) | (x > s.hi)
        np.maximum(x, s.lo, out=x)                        # stop at the wall
        np.minimum(x, s.hi, out=x)
        v[hit] = 0.0
        fx = cost(x)                                      # every swarm in one call
        better = fx < pcost
        pbest[better], pcost[better] = x[better], fx[better]
        g = np.argmin(pcost, axis=1)
        best = pcost[rows, g]
        new = best < gcost                                # synchronous: after the whole sweep
        gbest[new], gcost[new] = pbest[rows[new], g[new]], best[new]
        t += 1
        hist.append(gcost.copy())
        evals.append(evals[-1] + s.P)
    H = np.array(hist)
    return [_result(gbest[k], gcost[k], H[:, k].copy(), evals, t) for k in range(K)]


def pso_minimize_loop(f: Callable[[np.ndarray], float], dim: int, lo=-1.0, hi=1.0, n_particles: int = 40,
                      n_iter: int = 200, w: float = 0.7298, c1: float = 1.49618, c2: float = 1.49618,
                      v_max=None, w_final: float | None = None, x0=None, target: float | None = None,
                      rng=None) -> PSOResult:
    r"""Reference implementation of :func:`pso_minimize` with a Python loop over the particles.

    Same arguments, except that ``f`` takes **one** position of shape (dim,)
    and returns a float. It draws the same random numbers in the same order
    (whole (P, dim) arrays per iteration), so for the same seed and the same
    cost it returns the same result; it exists to check and to time the
    vectorized version, not to be used.

    >>> f1 = lambda x: float(np.sum((x - 0.5) ** 2))
    >>> f = lambda X: np.sum((X - 0.5) ** 2, axis=1)
    >>> a = pso_minimize_loop(f1, 2, n_iter=30, rng=1); b = pso_minimize(f, 2, n_iter=30, rng=1)
    >>> bool(np.array_equal(a.x, b.x) and a.cost == b.cost)
    True
    """
    s = _setup(dim, lo, hi, n_particles, n_iter, w, c1, c2, v_max, w_final, target)
    rng = check_rng(rng)
    x = _initial_positions(s, x0, rng)
    v = rng.uniform(-s.v_max, s.v_max, size=x.shape)
    fx = _checked_costs([f(x[p]) for p in range(s.P)], (s.P,))
    pbest, pcost = x.copy(), fx.copy()
    g = int(np.argmin(pcost))
    gbest, gcost = pbest[g].copy(), pcost[g]
    hist, evals, t = [gcost], [s.P], 0
    while t < s.n_iter and (s.target is None or gcost > s.target):
        r1, r2 = rng.random(x.shape), rng.random(x.shape)
        wt = _inertia(s, t)
        for p in range(s.P):                              # one particle at a time
            vp = wt * v[p] + s.c1 * r1[p] * (pbest[p] - x[p]) + s.c2 * r2[p] * (gbest - x[p])
            vp = np.clip(vp, -s.v_max, s.v_max)
            xp = x[p] + vp
            hit = (xp < s.lo) | (xp > s.hi)
            x[p], v[p] = np.clip(xp, s.lo, s.hi), np.where(hit, 0.0, vp)
            fp = float(f(x[p]))
            if np.isnan(fp):
                raise ValueError("The 'f' parameter must return costs that are not NaN. Got NaN instead.")
            if fp < pcost[p]:
                pbest[p], pcost[p] = x[p], fp
        g = int(np.argmin(pcost))                         # synchronous: after the whole sweep
        if pcost[g] < gcost:
            gbest, gcost = pbest[g].copy(), pcost[g]
        t += 1
        hist.append(gcost)
        evals.append(evals[-1] + s.P)
    return _result(gbest, gcost, hist, evals, t)


# ------------------------------------------------------------------ training a network with PSO
def pso_train(like, X, y, lam=0.0, hidden: str | None = None, output: str | None = None,
              bound: float = 5.0, init: float = 1.0, n_particles: int = 40, n_iter: int = 300,
              m: int | None = None, target: float | None = None, rng=None, **pso_kw):
    r"""Train a network by PSO on :math:`J = \frac1m\sum L + \frac{\lambda}{2m}\sum_l\lVert W_l\rVert_F^2`.

    Every parameter (weights and biases) is searched in ``[-bound, bound]``;
    the swarm starts uniform in ``[-init, init]``. ``like`` (a :class:`~l2lib.network.Net`, or params
    with ``hidden``/``output``) only supplies the architecture. Extra keywords go to :func:`pso_minimize`.

    Returns ``(net, result)``: the best network, in the form ``like`` was given (a Net, or ``(W, b)``
    pairs), and the :class:`PSOResult` on the flattened vector.

    With a grid of K values of λ (``lam`` of shape (K,), non-empty and strictly increasing; ``target``
    None) it trains one swarm per λ, all together (``swarms=K`` of :func:`pso_minimize`), and returns
    ``(nets, results)``, two lists of K: ``nets[k]`` is, to the bit, the network this function returns
    for ``lam[k]`` alone with the same ``rng`` seed.
    """
    bound = check_positive("bound", bound)
    init = check_real("init", init, 0.0, bound, low_open=True)
    rng = check_rng(rng)
    P = check_int("n_particles", n_particles, 1)
    f = network_objective(like, X, y, lam, hidden, output, m)
    if np.ndim(lam) > 0 and target is not None:
        raise ValueError(f"The 'target' parameter must be None when 'lam' is a grid (each swarm would stop "
                         f"at its own iteration). Got {target!r} instead.")
    n = _n_params(as_net(like, hidden, output, "like").params)
    x0 = rng.uniform(-init, init, size=(P, n))
    if np.ndim(lam) == 0:
        res = pso_minimize(f, n, -bound, bound, n_particles=P, n_iter=n_iter, x0=x0, target=target, rng=rng,
                           **pso_kw)
        return unflatten(res.x, like), res
    res = pso_minimize(f, n, -bound, bound, n_particles=P, n_iter=n_iter, x0=x0, target=target, rng=rng,
                       swarms=np.size(lam), **pso_kw)
    return [unflatten(r.x, like) for r in res], res
