r"""A small fully connected network in numpy: init, forward, losses, backward.

Conventions used throughout the book:

* rows are examples: ``X`` has shape ``(m, n_features)``;
* layer ``l`` maps ``A_{l-1}`` (m, n_in) to ``Z_l = A_{l-1} W_l + b_l`` with
  ``W_l`` of shape ``(n_in, n_out)`` and ``b_l`` of shape ``(n_out,)``;
* ``params`` is a list of ``(W, b)`` pairs, one per layer; gradients come back
  in the same structure as ``(dW, db)`` pairs.

The output activation fixes the loss, so that for every pair
:math:`\partial L / \partial Z_{\text{out}} = A_{\text{out}} - Y`:

==========  =========================  ======================================
output      loss                       task
==========  =========================  ======================================
sigmoid     binary cross-entropy       two classes, ``y`` in {0, 1}
softmax     categorical cross-entropy  K classes, ``y`` in {0, ..., K-1}
identity    half squared error         regression, ``y`` real
==========  =========================  ======================================
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validate import _msg, check_X, check_choice, check_params, check_rng, check_real

__all__ = ["Params", "HIDDEN", "OUTPUT", "Cache", "sigmoid", "softmax", "init_params", "flatten", "unflatten",
           "weight_mask", "forward", "targets", "bce_from_logits", "cce_from_logits", "half_squared_error",
           "example_losses", "backward", "predict_proba", "predict", "accuracy"]

Params = list[tuple[np.ndarray, np.ndarray]]

HIDDEN = ("relu", "tanh")
OUTPUT = ("sigmoid", "softmax", "identity")


class Cache(NamedTuple):
    """What the forward pass keeps for the backward pass."""
    A: list[np.ndarray]   # A[0] = X, A[l] = activation of layer l
    Z: list[np.ndarray]   # Z[l-1] = pre-activation of layer l
    hidden: str
    output: str


# ---------------------------------------------------------------- activations
def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function, stable for any finite z (no overflow in exp)."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))                      # in (0, 1], never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(Z: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by the row maximum for stability."""
    Z = np.asarray(Z, dtype=float)
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def _act(z: np.ndarray, kind: str) -> np.ndarray:
    return np.maximum(z, 0.0) if kind == "relu" else np.tanh(z)


def _act_grad(z: np.ndarray, a: np.ndarray, kind: str) -> np.ndarray:
    return (z > 0).astype(float) if kind == "relu" else 1.0 - a * a


def _out(z: np.ndarray, kind: str) -> np.ndarray:
    if kind == "sigmoid":
        return sigmoid(z)
    if kind == "softmax":
        return softmax(z)
    return z


# ---------------------------------------------------------------------- init
def init_params(layer_sizes: list[int] | tuple[int, ...], rng=None, hidden: str = "relu",
                scale: float = 1.0) -> Params:
    r"""Random weights, zero biases.

    ``W_l`` is drawn from :math:`\mathcal N(0, s^2)` with He scaling
    :math:`s^2 = 2/n_{in}` for ReLU and Glorot scaling :math:`s^2 = 1/n_{in}`
    for tanh, times ``scale``.

    >>> [W.shape for W, b in init_params([2, 8, 1], rng=0)]
    [(2, 8), (8, 1)]
    """
    check_choice("hidden", hidden, HIDDEN)
    rng = check_rng(rng)
    scale = check_real("scale", scale, 0.0)
    sizes = list(layer_sizes)
    if len(sizes) < 2 or any(not isinstance(n, (int, np.integer)) or n < 1 for n in sizes):
        raise ValueError("The 'layer_sizes' parameter must be a list of at least two positive ints "
                         f"(inputs, ..., outputs). Got {layer_sizes!r} instead.")
    gain = 2.0 if hidden == "relu" else 1.0
    return [(rng.normal(0.0, scale * np.sqrt(gain / n_in), size=(n_in, n_out)), np.zeros(n_out))
            for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def flatten(params: Params) -> np.ndarray:
    """All weights and biases as one vector (W_1, b_1, W_2, b_2, ...)."""
    return np.concatenate([np.concatenate([W.ravel(), b.ravel()]) for W, b in params])


def unflatten(theta: np.ndarray, like: Params) -> Params:
    """Inverse of :func:`flatten`: cut ``theta`` into arrays shaped like ``like``."""
    theta = np.asarray(theta, dtype=float)
    n = sum(W.size + b.size for W, b in like)
    if theta.shape != (n,):
        raise ValueError(f"The 'theta' parameter must be a vector of length {n} (the number of "
                         f"parameters). Got an array of shape {theta.shape} instead.")
    out, i = [], 0
    for W, b in like:
        Wn = theta[i:i + W.size].reshape(W.shape); i += W.size
        bn = theta[i:i + b.size].reshape(b.shape); i += b.size
        out.append((Wn, bn))
    return out


def weight_mask(params: Params) -> np.ndarray:
    """Boolean vector, aligned with :func:`flatten`, that is True on weights and False on biases."""
    return np.concatenate([np.concatenate([np.ones(W.size, bool), np.zeros(b.size, bool)])
                           for W, b in params])


def _check_dev(X_dev, y_dev, params: Params, output: str):
    """Check a dev set once, at a training function's boundary: both or neither, named as such."""
    if (X_dev is None) != (y_dev is None):
        given, missing = ("X_dev", "y_dev") if y_dev is None else ("y_dev", "X_dev")
        raise ValueError(_msg(missing, f"given together with {given!r} (a dev set needs both)", None))
    if X_dev is None:
        return None, None
    X_dev = check_X(X_dev, "X_dev", params[0][0].shape[0])
    return X_dev, targets(y_dev, output, params[-1][0].shape[1], X_dev.shape[0], name="y_dev")


# ------------------------------------------------------------------- forward
def forward(params: Params, X, hidden: str = "relu", output: str = "sigmoid"):
    """Run the network. Returns ``(A_out, cache)``; ``A_out`` has shape (m, n_out)."""
    params = check_params(params)
    check_choice("hidden", hidden, HIDDEN)
    check_choice("output", output, OUTPUT)
    return _forward(params, check_X(X, n_features=params[0][0].shape[0]), hidden, output)


def _forward(params: Params, X: np.ndarray, hidden: str, output: str):
    """:func:`forward` without the argument checks, for loops that checked once."""
    A, Z = [X], []
    for l, (W, b) in enumerate(params):
        z = A[-1] @ W + b
        Z.append(z)
        A.append(_out(z, output) if l == len(params) - 1 else _act(z, hidden))
    return A[-1], Cache(A, Z, hidden, output)


def targets(y, output: str, n_out: int, m: int | None = None, name: str = "y") -> np.ndarray:
    """Turn labels into the target matrix ``Y`` of shape (m, n_out), checking them.

    Binary labels must be 0 or 1; class labels integers in [0, n_out); regression
    targets any finite reals. ``name`` is the parameter named in errors (``y_dev`` for a dev set).
    """
    check_choice("output", output, OUTPUT)
    try:
        y = np.asarray(y)
    except (TypeError, ValueError):
        raise TypeError(_msg(name, "an array of labels", f"a {type(y).__name__} that is not an array")) from None
    if y.ndim == 0:
        raise ValueError(_msg(name, "an array of labels with one entry per row of X", y.item() if y.dtype.kind in "biufc" else y))
    if y.dtype.kind not in "biuf":
        raise TypeError(_msg(name, "an array of numeric labels", f"an array of dtype {y.dtype}"))
    if y.size == 0:
        raise ValueError(f"The {name!r} parameter must be a non-empty array of labels. Got an empty array instead.")
    if m is not None and y.shape[0] != m:
        raise ValueError(f"The {name!r} parameter must have one label per row of {'X_dev' if name == 'y_dev' else 'X'} (m = {m}). "
                         f"Got {y.shape[0]} labels instead.")
    if output == "softmax":
        y = y.reshape(-1)
        if not np.issubdtype(y.dtype, np.integer) and not np.all(np.mod(y, 1) == 0):
            raise ValueError(f"The {name!r} parameter must hold integer class labels in [0, {n_out - 1}]. "
                             f"Got non-integer values instead.")
        bad = (y < 0) | (y >= n_out)
        if bad.any():
            raise ValueError(f"The {name!r} parameter must hold class labels in the range [0, {n_out - 1}]. "
                             f"Got {y[bad][0].item()!r} instead.")
        return np.eye(n_out)[y.astype(int)]
    Y = y.astype(float).reshape(y.shape[0], -1)
    if Y.shape[1] != n_out:
        raise ValueError(f"The {name!r} parameter must have {n_out} column(s) to match the output layer. "
                         f"Got shape {y.shape} instead.")
    if not np.all(np.isfinite(Y)):
        raise ValueError(f"The {name!r} parameter must hold finite values. Got NaN or inf instead.")
    if output == "sigmoid" and not np.all((Y == 0) | (Y == 1)):
        bad = Y[(Y != 0) & (Y != 1)][0].item()
        bad = int(bad) if float(bad).is_integer() else bad
        raise ValueError(f"The {name!r} parameter must hold binary labels in {{0, 1}}. Got {bad!r} instead.")
    return Y


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
    return np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))


def cce_from_logits(Z, Y) -> np.ndarray:
    r"""Categorical cross-entropy per example, :math:`-\sum_k Y_k \log \mathrm{softmax}(Z)_k`,
    computed with log-sum-exp so it stays finite."""
    Z = np.asarray(Z, dtype=float)
    zmax = Z.max(axis=1, keepdims=True)
    logsumexp = zmax[:, 0] + np.log(np.exp(Z - zmax).sum(axis=1))
    return logsumexp - (np.asarray(Y, float) * Z).sum(axis=1)


def half_squared_error(yhat, y) -> np.ndarray:
    r"""Per-example :math:`\tfrac12\lVert\hat y - y\rVert^2` (its derivative is :math:`\hat y - y`)."""
    d = np.asarray(yhat, float) - np.asarray(y, float)
    return 0.5 * (d * d).reshape(d.shape[0], -1).sum(axis=1)


def example_losses(Z_out: np.ndarray, Y: np.ndarray, output: str) -> np.ndarray:
    """Loss of each example, shape (m,), from the output layer's pre-activation."""
    if output == "sigmoid":
        return bce_from_logits(Z_out, Y).sum(axis=1)
    if output == "softmax":
        return cce_from_logits(Z_out, Y)
    return half_squared_error(Z_out, Y)


# ------------------------------------------------------------------ backward
def backward(params: Params, cache: Cache, Y: np.ndarray) -> Params:
    r"""Gradients of the data term :math:`\frac1m\sum_i L^{(i)}` for every ``(W, b)``.

    No penalty here: the penalty's gradient lives in :mod:`l2lib.penalty`.
    """
    m = Y.shape[0]
    dZ = (cache.A[-1] - Y) / m                       # dJ/dZ_out for all three output/loss pairs
    grads: Params = []
    for l in range(len(params) - 1, -1, -1):
        W, _ = params[l]
        dW = cache.A[l].T @ dZ                        # Z = A_prev W + b  =>  dW = A_prev^T dZ
        db = dZ.sum(axis=0)                           # each row adds b once
        grads.append((dW, db))
        if l > 0:
            dA = dZ @ W.T                             # upstream gradient to the previous layer
            dZ = dA * _act_grad(cache.Z[l - 1], cache.A[l], cache.hidden)  # times local derivative
    return grads[::-1]


# --------------------------------------------------------------- predictions
def predict_proba(params: Params, X, hidden: str = "relu", output: str = "sigmoid") -> np.ndarray:
    """Network output for ``X``: probabilities (sigmoid/softmax) or values (identity)."""
    return forward(params, X, hidden, output)[0]


def predict(params: Params, X, hidden: str = "relu", output: str = "sigmoid") -> np.ndarray:
    """Class labels (shape (m,)) for classification outputs, values for identity."""
    A = predict_proba(params, X, hidden, output)
    if output == "sigmoid":
        return (A[:, 0] >= 0.5).astype(int)
    if output == "softmax":
        return A.argmax(axis=1)
    return A


def accuracy(params: Params, X, y, hidden: str = "relu", output: str = "sigmoid") -> float:
    """Fraction of examples classified correctly."""
    return float(np.mean(predict(params, X, hidden, output) == np.asarray(y).reshape(-1)))
