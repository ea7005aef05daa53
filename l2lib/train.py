r"""Gradient descent on the regularized cost, recording what the book plots.

One step on :math:`J = \frac1m\sum L + \frac{\lambda}{2m}\sum_l\lVert W_l\rVert_F^2`:

.. math::  W_l \leftarrow W_l - \eta\Big(\frac{\partial J_{\text{data}}}{\partial W_l} + \frac{\lambda}{m} W_l\Big),
           \qquad b_l \leftarrow b_l - \eta\,\frac{\partial J_{\text{data}}}{\partial b_l}.

With minibatches the data gradient is the batch mean and ``m`` in λ/m stays the
training-set size, so every batch size minimizes the same cost.
"""
from __future__ import annotations

import numpy as np

from ._validate import (all_finite, check_choice, check_diverged, check_int, check_lam, check_lam_grid, check_like, check_params,
                        check_positive, check_rng, check_X)
from .network import HIDDEN, OUTPUT, Params, _check_dev, _forward, accuracy, targets
from .penalty import _cost_and_grads, _layers, cost, frobenius_sq

__all__ = ["sgd_step", "train", "batches", "data_gradient", "train_many"]


def sgd_step(params: Params, grads: Params, lr: float) -> Params:
    """Plain step ``θ ← θ − η g`` on every array; returns new arrays.

    ``grads`` must hold one ``(dW, db)`` pair shaped like each pair of ``params``.
    """
    params = check_params(params)
    check_like(params, grads)
    lr = check_positive("lr", lr)
    return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]


def train(params: Params, X, y, lam: float = 0.0, lr: float = 0.5, epochs: int = 1000,
          batch_size: int | None = None, rng=None, X_dev=None, y_dev=None,
          hidden: str = "relu", output: str = "sigmoid", layers=None, include_bias: bool = False,
          record_every: int = 1):
    """Full-batch (``batch_size=None``) or minibatch gradient descent.

    Returns ``(params, history)``. ``history`` is a dict of numpy arrays, one
    entry per recorded epoch: ``epoch``, ``data`` (data term on the training
    set), ``penalty``, ``total``, ``train_acc``, ``dev_acc`` (NaN without a dev
    set), ``dev_data`` and ``norms`` (shape (n_records, n_layers): ‖W_l‖_F).
    Classification outputs only record accuracies; identity records NaN.

    Divergence raises ``FloatingPointError`` (the rule is in :mod:`l2lib._validate`:
    non-finite weights after any epoch, or a recorded cost that is not finite
    or above 10^6 x max(J_0, 1)), naming ``lr``, ``lam``, ``m`` and 1 - lr*lam/m.
    """
    params = check_params(params)
    check_choice("hidden", hidden, HIDDEN)
    check_choice("output", output, OUTPUT)
    X = check_X(X, n_features=params[0][0].shape[0])
    lam = check_lam(lam)
    lr = check_positive("lr", lr)
    epochs = check_int("epochs", epochs, 0)
    record_every = check_int("record_every", record_every, 1)
    m = X.shape[0]
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, 1, m)
    rng = check_rng(rng)
    X_dev, _ = _check_dev(X_dev, y_dev, params, output)
    have_dev = X_dev is not None
    keys = ("epoch", "data", "penalty", "total", "train_acc", "dev_acc", "dev_data", "norms")
    hist: dict[str, list] = {k: [] for k in keys}
    kw = dict(hidden=hidden, output=output)

    def record(epoch: int, p: Params) -> float:
        parts = cost(p, X, y, lam, layers=layers, include_bias=include_bias, **kw)
        hist["epoch"].append(epoch)
        hist["data"].append(parts.data)
        hist["penalty"].append(parts.penalty)
        hist["total"].append(parts.total)
        clf = output != "identity"
        hist["train_acc"].append(accuracy(p, X, y, **kw) if clf else np.nan)
        hist["dev_acc"].append(accuracy(p, X_dev, y_dev, **kw) if clf and have_dev else np.nan)
        hist["dev_data"].append(cost(p, X_dev, y_dev, 0.0, **kw).data if have_dev else np.nan)
        hist["norms"].append([np.sqrt(frobenius_sq(W)) for W, _ in p])
        return parts.total

    Y = targets(y, output, params[-1][0].shape[1], m)
    chosen = _layers(params, layers)
    total0 = record(0, params)
    with np.errstate(over="ignore", invalid="ignore"):   # divergence is reported below, by name
        for epoch in range(1, epochs + 1):
            params = _epoch(params, X, Y, lam, lr, m, batch_size, rng, chosen, include_bias, kw)
            ok = all_finite(params)
            total = record(epoch, params) if ok and (epoch % record_every == 0 or epoch == epochs) else None
            check_diverged(epoch, total, total0, ok, lr, lam, m)
    return params, {k: np.asarray(v, dtype=float) for k, v in hist.items()}


def batches(m: int, batch_size: int | None, rng: np.random.Generator) -> list:
    """Index sets of one epoch: everything at once, or a fresh shuffle cut into minibatches."""
    if batch_size is None:
        return [slice(None)]
    perm = rng.permutation(m)
    return [perm[i:i + batch_size] for i in range(0, m, batch_size)]


def data_gradient(params: Params, X: np.ndarray, Y: np.ndarray, hidden: str, output: str) -> Params:
    """Gradient of the data term alone on already checked ``X`` and target matrix ``Y`` (for training loops)."""
    return _cost_and_grads(params, _forward(params, X, hidden, output)[1], Y, 0.0, X.shape[0], [], False)[1]


def _epoch(params, X, y, lam, lr, m, batch_size, rng, layers, include_bias, kw):
    # y is the target matrix Y here, layers the checked list of penalized layers
    """One pass over the training set: one full-batch step, or one step per minibatch."""
    for idx in batches(m, batch_size, rng):   # arguments were checked once, in train()
        _, g = _cost_and_grads(params, _forward(params, X[idx], kw["hidden"], kw["output"])[1], y[idx],
                               lam, m, layers, include_bias)
        params = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, g)]   # sgd_step
    return params



def train_many(params: Params, X, y, lams, lr: float = 0.5, epochs: int = 1000, X_dev=None, y_dev=None,
               hidden: str = "relu", output: str = "sigmoid", layers=None, record_every: int = 10):
    r"""Full-batch gradient descent for a whole grid of λ values at once.

    Trains ``K = len(lams)`` copies of the same network, all starting from
    ``params``, one per λ, with every matrix carrying a leading axis of length
    K, so that one batched matrix product does the work of K forward or
    backward passes.
    Each copy follows exactly the trajectory :func:`train` would give it
    (full batch); this is what a λ slider needs, computed once.

    Returns ``(params_list, history)``: ``params_list[k]`` are the trained
    parameters for ``lams[k]``; ``history`` has ``epoch`` (n_records,) and
    ``data``, ``penalty``, ``total``, ``train_acc``, ``dev_acc``, ``dev_data``
    of shape (n_records, K) and ``norms`` of shape (n_records, K, n_layers).

    ``lams`` must be non-empty and strictly increasing. Divergence of any copy
    raises ``FloatingPointError`` naming its λ (rule in :mod:`l2lib._validate`;
    the cost is checked every ``record_every`` epochs and at the last).
    """
    from .network import _act, _act_grad, _out, example_losses

    params = check_params(params)
    check_choice("hidden", hidden, HIDDEN)
    check_choice("output", output, OUTPUT)
    X = check_X(X, n_features=params[0][0].shape[0])
    lams = check_lam_grid(lams)             # non-empty, strictly increasing
    lr = check_positive("lr", lr)
    epochs = check_int("epochs", epochs, 0)
    record_every = check_int("record_every", record_every, 1)
    m, K, n_out = X.shape[0], lams.size, params[-1][0].shape[1]
    Y = targets(y, output, n_out, m)
    X_dev, Y_dev = _check_dev(X_dev, y_dev, params, output)
    have_dev = X_dev is not None
    pen = np.zeros(len(params), bool)
    pen[_layers(params, layers)] = True
    Ws = [np.repeat(W[None], K, axis=0) for W, _ in params]
    bs = [np.repeat(b[None], K, axis=0) for _, b in params]

    def fwd(A):
        As, Zs = [A], []
        for l, (W, b) in enumerate(zip(Ws, bs)):
            z = A @ W + b[:, None, :]                      # (m, i) or (K, m, i) @ (K, i, o)
            A = _out(z.reshape(-1, z.shape[-1]), output).reshape(z.shape) if l == len(Ws) - 1 else _act(z, hidden)
            As.append(A)
            Zs.append(z)
        return As, Zs

    def labels(A):
        return (A[..., 0] >= 0.5).astype(int) if output == "sigmoid" else A.argmax(axis=-1)

    def losses(Z, T):
        return np.stack([example_losses(Z[k], T, output) for k in range(K)]).mean(axis=1)

    keys = ("epoch", "data", "penalty", "total", "train_acc", "dev_acc", "dev_data", "norms")
    hist: dict[str, list] = {k: [] for k in keys}

    def record(epoch, As, Zs):
        sq = np.stack([(W * W).sum(axis=(1, 2)) for W in Ws], axis=1)   # ||W_l||_F^2, (K, L)
        data = losses(Zs[-1], Y)
        penalty = lams / (2 * m) * (sq * pen).sum(axis=1)
        hist["epoch"].append(epoch)
        hist["data"].append(data)
        hist["penalty"].append(penalty)
        hist["total"].append(data + penalty)
        hist["norms"].append(np.sqrt(sq))
        clf = output != "identity"
        y_true = Y.argmax(1) if output == "softmax" else Y[:, 0]
        hist["train_acc"].append((labels(As[-1]) == y_true).mean(axis=1) if clf else np.full(K, np.nan))
        if have_dev:
            Ad, Zd = fwd(X_dev)
            yd = Y_dev.argmax(1) if output == "softmax" else Y_dev[:, 0]
            hist["dev_acc"].append((labels(Ad[-1]) == yd).mean(axis=1) if clf else np.full(K, np.nan))
            hist["dev_data"].append(losses(Zd[-1], Y_dev))
        else:
            hist["dev_acc"].append(np.full(K, np.nan))
            hist["dev_data"].append(np.full(K, np.nan))
        return hist["total"][-1]

    with np.errstate(over="ignore", invalid="ignore"):   # divergence is reported below, by name
        for epoch in range(epochs + 1):
            As, Zs = fwd(X)
            if epoch % record_every == 0 or epoch == epochs:
                total = record(epoch, As, Zs)
                if epoch == 0:
                    total0 = total
                else:
                    check_diverged(epoch, total, total0, True, lr, lams, m)
            if epoch == epochs:
                break
            dZ = (As[-1] - Y) / m                                   # (K, m, n_out)
            for l in range(len(Ws) - 1, -1, -1):
                A_prev = As[l]
                dW = np.swapaxes(A_prev, -1, -2) @ dZ               # A_prev^T dZ, per network
                if pen[l]:
                    dW = dW + (lams / m)[:, None, None] * Ws[l]      # the penalty's gradient, (λ/m) W
                db = dZ.sum(axis=1)
                if l > 0:
                    dZ = (dZ @ np.swapaxes(Ws[l], -1, -2)) * _act_grad(Zs[l - 1], As[l], hidden)
                Ws[l] = Ws[l] - lr * dW
                bs[l] = bs[l] - lr * db
            if not all(np.all(np.isfinite(W)) for W in Ws):
                bad = np.any([~np.isfinite(W).all(axis=(1, 2)) for W in Ws], axis=0)   # (K,)
                check_diverged(epoch + 1, None, None, False, lr, lams[bad].min(), m)
    out = [[(W[k], b[k]) for W, b in zip(Ws, bs)] for k in range(K)]
    return out, {k: np.asarray(v, dtype=float) for k, v in hist.items()}
