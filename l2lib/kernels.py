r"""The numerical kernels of l2lib: forward pass, back-propagation, losses, and the L2 penalty.

Every public function of :mod:`l2lib.network`, :mod:`l2lib.penalty`,
:mod:`l2lib.training`, :mod:`l2lib.optim` and :mod:`l2lib.pso` checks its
arguments once and then calls these functions, which check nothing: they are
what training loops run thousands of times.

**One network or K at once.** Every kernel accepts ``params`` (a list of
``(W, b)`` pairs) for one network, ``W_l`` (n_in, n_out) and ``b_l`` (n_out,),
or for K networks of the same shape stacked along a leading axis, ``W_l``
(K, n_in, n_out) and ``b_l`` (K, 1, n_out); λ is then a scalar or has shape
(K,). One batched matrix product does the work of K. The λ grid trained at
once, the particle swarm and the single network share this one code path.

**The penalty is written here, once.** :func:`penalty` is the only place in
l2lib where :math:`\frac{\lambda}{2m}\sum_l\lVert W_l\rVert_F^2` is computed,
and :func:`penalty_grad` the only place where its gradient
:math:`\frac{\lambda}{m}W_l` is (``tests/test_core.py`` checks it).
"""
from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np

Params = list  # of (W, b) pairs

__all__ = ["sigmoid", "softmax", "relu", "fast_tanh", "ACTIVATIONS", "DERIVATIVES", "OUTPUTS", "bce_from_logits",
           "cce_from_logits", "half_squared_error", "LOSSES", "example_losses", "Cache", "forward", "backward",
           "Workspace", "thread_workspace", "labels", "accuracies", "hits", "per_network", "sq_norms", "penalty", "penalty_grad", "CostParts",
           "cost_and_grads", "gradients", "add_penalty_grad"]


# ---------------------------------------------------------------- activations
def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function, stable for any finite z (no overflow in exp)."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))                      # in (0, 1], never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(Z: np.ndarray) -> np.ndarray:
    """Softmax along the last axis (row-wise), shifted by the row maximum for stability."""
    Z = np.asarray(Z, dtype=float)
    E = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return E / E.sum(axis=-1, keepdims=True)


def relu_grad(dA: np.ndarray, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """dJ/dZ = dJ/dA · 1[z > 0], written over ``dA`` (a temporary of back-prop)."""
    return np.multiply(dA, z > 0, out=dA)


def tanh_grad(dA: np.ndarray, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """dJ/dZ = dJ/dA · (1 − tanh(z)²), written over ``dA`` (a temporary of back-prop)."""
    dA *= 1.0 - a * a
    return dA


def fast_tanh(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    r""":math:`\tanh z = 1 - 2/(1 + e^{2z})`; for :math:`|z| > 20` the result is ±1 exactly, as for ``np.tanh``.

    The same function as ``np.tanh`` to within 4e-16, written with ``np.exp``, which numpy
    vectorizes with SIMD instructions; on a swarm's (P, m, h) pre-activations it is several
    times faster than ``np.tanh``, the largest single cost of a PSO iteration.
    """
    with np.errstate(over="ignore"):                   # e^{2z} = inf for z > 354 gives 1 - 2/inf = 1 exactly
        t = np.multiply(z, 2.0, out=out)                # a new array (or ``out``): the steps below reuse it
        np.exp(t, out=t)
    t += 1.0
    np.divide(2.0, t, out=t)
    return np.subtract(1.0, t, out=t)


def relu(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """max(z, 0), into ``out`` if given."""
    return np.maximum(z, 0.0, out=out)


# The hidden activations and their derivatives (after scikit-learn's ACTIVATIONS/DERIVATIVES): an
# activation maps Z to A; a derivative maps (dJ/dA, Z, A) to dJ/dZ, overwriting dJ/dA.
ACTIVATIONS = {"relu": relu, "tanh": np.tanh}
DERIVATIVES = {"relu": relu_grad, "tanh": tanh_grad}
OUTPUTS = {"sigmoid": sigmoid, "softmax": softmax, "identity": lambda z: z}


# -------------------------------------------------------------------- losses
def bce_from_logits(z, y) -> np.ndarray:
    r"""Binary cross-entropy per example from the logit ``z`` (not the probability).

    :math:`L = -y\log\sigma(z) - (1-y)\log(1-\sigma(z)) = \max(z,0) - zy + \log(1+e^{-|z|})`,
    finite for any finite ``z``.

    >>> float(bce_from_logits(0.0, 1.0)) == float(np.log(2))
    True
    """
    z = np.asarray(z, dtype=float)
    y = np.asarray(y, dtype=float)
    t = np.abs(z, out=np.empty_like(z))                 # log(1 + e^{-|z|}), built in one array
    np.negative(t, out=t)
    np.exp(t, out=t)
    np.log1p(t, out=t)
    loss = np.maximum(z, 0.0, out=np.empty(np.broadcast_shapes(z.shape, y.shape)))
    loss -= z * y
    loss += t
    return loss


def cce_from_logits(Z, Y) -> np.ndarray:
    r"""Categorical cross-entropy per example (row), :math:`-\sum_k Y_k \log \mathrm{softmax}(Z)_k`,
    computed with log-sum-exp so it stays finite. The classes are the last axis."""
    Z = np.asarray(Z, dtype=float)
    zmax = Z.max(axis=-1, keepdims=True)
    logsumexp = zmax[..., 0] + np.log(np.exp(Z - zmax).sum(axis=-1))
    return logsumexp - (np.asarray(Y, float) * Z).sum(axis=-1)


def half_squared_error(yhat, y) -> np.ndarray:
    r"""Per-example :math:`\tfrac12\lVert\hat y - y\rVert^2` (its derivative is :math:`\hat y - y`); the
    outputs are the last axis."""
    d = np.asarray(yhat, float) - np.asarray(y, float)
    return 0.5 * (d * d).sum(axis=-1)


def _bce_rows(Z, Y):
    L = bce_from_logits(Z, Y)
    return L[..., 0] if L.shape[-1] == 1 else L.sum(axis=-1)     # one output unit: nothing to add


LOSSES = {"sigmoid": _bce_rows, "softmax": cce_from_logits, "identity": half_squared_error}


def example_losses(Z_out: np.ndarray, Y: np.ndarray, output: str) -> np.ndarray:
    """Loss of each example from the output layer's pre-activation: shape (m,), or (K, m) for K networks."""
    return LOSSES[output](Z_out, Y)


# ------------------------------------------------------------------ forward and backward
class Cache(NamedTuple):
    """What the forward pass keeps for the backward pass."""
    A: list   # A[0] = X, A[l] = activation of layer l
    Z: list   # Z[l-1] = pre-activation of layer l
    hidden: str
    output: str


class Workspace:
    """Arrays kept from one pass to the next, for a loop that repeats passes of the same shapes.

    A training loop makes the same large temporaries every step ((m, n_l) pre-activations,
    activations and their gradients). Allocated afresh, arrays above the C allocator's threshold are
    mapped and page-faulted anew each time; kept here, each is allocated once and written over. The
    values are the same to the bit: the same operations run, into existing memory.
    """

    def __init__(self):
        self._arrays: dict = {}

    def get(self, key, shape: tuple) -> np.ndarray:
        """The array kept under ``key``, (re)allocated if it does not have ``shape``."""
        a = self._arrays.get(key)
        if a is None or a.shape != shape:
            a = self._arrays[key] = np.empty(shape)
        return a


_THREAD = threading.local()


def thread_workspace() -> Workspace:
    """This thread's :class:`Workspace`, for checked functions that run one pass and return fresh arrays.

    :func:`l2lib.penalty.cost_and_grads` keeps its temporaries here between calls; what it returns is
    never one of them. One per thread, so that threads never share temporaries.
    """
    ws = getattr(_THREAD, "ws", None)
    if ws is None:
        ws = _THREAD.ws = Workspace()
    return ws


def _out(ws: Workspace | None, key, a: np.ndarray, b: np.ndarray):
    """Where ``a @ b`` goes: a kept array of the product's shape, or None (a new one)."""
    if ws is None:
        return None
    return ws.get(key, np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1]))


def forward(params: Params, X: np.ndarray, hidden: str, output: str, act=None, ws: Workspace | None = None):
    """Forward pass on checked arguments; ``params`` may carry a leading axis of K networks.

    ``act`` replaces ``ACTIVATIONS[hidden]`` (the swarm passes :func:`fast_tanh`); ``ws`` keeps the
    hidden layers' arrays from call to call (:class:`Workspace`: valid until the next call with the
    same ``ws``). Returns ``(A_out, cache)``.
    """
    act, A, Z = act or ACTIVATIONS[hidden], [X], []
    last = len(params) - 1
    for l, (W, b) in enumerate(params):
        z = np.matmul(A[-1], W, out=_out(ws, ("Z", l), A[-1], W))   # (m, n_in) @ (n_in, n_out), or K
        z += b
        Z.append(z)
        if l == last:
            A.append(OUTPUTS[output](z))
        else:
            A.append(act(z, out=None if ws is None else ws.get(("A", l), z.shape)))
    return A[-1], Cache(A, Z, hidden, output)


def backward(params: Params, cache: Cache, Y: np.ndarray, ws: Workspace | None = None) -> Params:
    r"""Gradients of the data term :math:`\frac1m\sum_i L^{(i)}` for every ``(W, b)`` (unchecked).

    No penalty here: the penalty's gradient is :func:`penalty_grad`.
    ``params`` may carry a leading axis of K networks (see the module); ``ws`` as in :func:`forward`.
    """
    m = Y.shape[-2]
    dZ = cache.A[-1] - Y                             # dJ/dZ_out for all three output/loss pairs
    dZ /= m
    deriv = DERIVATIVES[cache.hidden]
    grads: Params = []
    for l in range(len(params) - 1, -1, -1):
        W, _ = params[l]
        dW = np.swapaxes(cache.A[l], -1, -2) @ dZ     # Z = A_prev W + b  =>  dW = A_prev^T dZ
        db = dZ.sum(axis=-2, keepdims=dZ.ndim == 3)   # each row adds b once
        grads.append((dW, db))
        if l > 0:
            Wt = np.swapaxes(W, -1, -2)               # upstream gradient dZ W^T to the layer below
            out = _out(ws, ("dA", l), dZ, Wt)
            if W.shape[-1] == 1:                      # one unit: an outer product
                dA = np.multiply(dZ, Wt, out=out)
            else:
                dA = np.matmul(dZ, Wt, out=out)
            dZ = deriv(dA, cache.Z[l - 1], cache.A[l])   # times the local derivative
    return grads[::-1]


# --------------------------------------------------------------- labels
def labels(A: np.ndarray, output: str) -> np.ndarray:
    """Predicted labels from outputs (last axis = units): shape (m,) or (K, m)."""
    if output == "sigmoid":
        return (A[..., 0] >= 0.5).astype(int)
    return A.argmax(axis=-1)


def accuracies(params: Params, X: np.ndarray, Y: np.ndarray, hidden: str, output: str):
    """Accuracy kernel on checked arguments; shape () or (K,)."""
    return hits(forward(params, X, hidden, output)[0], Y, output)


def hits(A: np.ndarray, Y: np.ndarray, output: str):
    """Fraction of rows whose predicted label matches the target matrix ``Y``: shape () or (K,)."""
    truth = Y.argmax(axis=-1) if output == "softmax" else Y[:, 0]
    return (labels(A, output) == truth).mean(axis=-1)
# ------------------------------------------------------------------ the penalty
def per_network(lam, A: np.ndarray):
    """λ shaped to multiply ``A``: a scalar as is; one λ per network (K,) as (K, 1, ..., 1)."""
    return lam if np.ndim(lam) == 0 else np.reshape(lam, (-1,) + (1,) * (A.ndim - 1))


def sq_norms(params: Params, include_bias: bool = False, biases_only: bool = False) -> np.ndarray:
    """‖W_l‖²_F (plus ‖b_l‖² if ``include_bias``; only ‖b_l‖² if ``biases_only``) of every layer.

    Shape (L,) for one network, (K, L) for K.
    """
    if biases_only:
        return np.stack([_sq(b) for _, b in params], axis=-1)
    return np.stack([_sq_layer(params[l], include_bias) for l in range(len(params))], axis=-1)


def _sq(A: np.ndarray):
    """Sum of squares over a matrix's (or a bias vector's) own axes: shape () or (K,)."""
    return np.sum(A * A, axis=(-2, -1)) if A.ndim >= 2 else np.sum(A * A, axis=-1)


def _sq_layer(pair, include_bias: bool):
    W, b = pair
    return _sq(W) + _sq(b) if include_bias else _sq(W)


def penalty(params: Params, lam, m: int, layers: tuple[int, ...], include_bias: bool):
    r"""The penalty :math:`\frac{\lambda}{2m}\sum_{l\in\text{layers}}\lVert W_l\rVert_F^2`: shape () or (K,)."""
    sq = 0.0
    for l in layers:                                   # layer by layer, in order: the sum of sq_norms
        sq = sq + _sq_layer(params[l], include_bias)
    return lam / (2 * m) * sq


def penalty_grad(params: Params, lam, m: int, layers: tuple[int, ...], include_bias: bool) -> Params:
    r"""Its gradient: :math:`(\lambda/m)\,W_l` on penalized layers (and ``b_l`` if
    ``include_bias``), 0 elsewhere."""
    def grad(A, on):
        return (per_network(lam, A) / m) * A if on else np.zeros_like(A)
    return [(grad(W, l in layers), grad(b, include_bias and l in layers))
            for l, (W, b) in enumerate(params)]


def cost_and_grads(params: Params, cache, Y: np.ndarray, lam, m: int, layers: tuple[int, ...],
                    include_bias: bool, grads: bool = True, ws: Workspace | None = None):
    """Data term + penalty (and their gradients) on checked arguments and a forward pass already made.

    Batch-aware: every field has shape () for one network or (K,) for K.
    """
    data = example_losses(cache.Z[-1], Y, cache.output).mean(axis=-1)
    pen = penalty(params, lam, m, layers, include_bias)
    parts = CostParts(data, pen, data + pen)
    if not grads:
        return parts, None
    return parts, gradients(params, cache, Y, lam, m, layers, include_bias, ws)


def gradients(params: Params, cache, Y: np.ndarray, lam, m: int, layers: tuple[int, ...],
              include_bias: bool, ws: Workspace | None = None) -> Params:
    r"""Gradient of the regularized cost: :func:`backward` (data term) plus :func:`penalty_grad`.

    :math:`\partial J/\partial W_l = \partial J_{\text{data}}/\partial W_l + (\lambda/m)W_l`.
    With λ = 0 (every λ of a grid) it is the data gradient alone.
    """
    return add_penalty_grad(params, backward(params, cache, Y, ws), lam, m, layers, include_bias)


def add_penalty_grad(params: Params, grads: Params, lam, m: int, layers: tuple[int, ...],
                     include_bias: bool) -> Params:
    """``grads`` (of the data term) plus :func:`penalty_grad`: the coupled L2 gradient; ``grads`` as is at λ = 0."""
    if not np.any(lam):
        return grads
    g_pen = penalty_grad(params, lam, m, layers, include_bias)
    return [(dW + pW, db + pb) for (dW, db), (pW, pb) in zip(grads, g_pen)]


class CostParts(NamedTuple):
    """The regularized cost split into its two terms."""
    data: float      # (1/m) Σ L
    penalty: float   # (λ/2m) Σ ||W||²_F
    total: float


