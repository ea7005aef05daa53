r"""Gradient descent on the regularized cost, recording what the book plots.

One step on :math:`J = \frac1m\sum L + \frac{\lambda}{2m}\sum_l\lVert W_l\rVert_F^2`:

.. math::  W_l \leftarrow W_l - \eta\Big(\frac{\partial J_{\text{data}}}{\partial W_l} + \frac{\lambda}{m} W_l\Big),
           \qquad b_l \leftarrow b_l - \eta\,\frac{\partial J_{\text{data}}}{\partial b_l}.

With minibatches the data gradient is the batch mean and ``m`` in λ/m stays the
training-set size, so every batch size minimizes the same cost.
"""
from __future__ import annotations

import numpy as np

from ._validate import check_int, check_lam, check_positive, check_rng, check_X
from .network import Params, accuracy
from .penalty import cost, cost_and_grads, frobenius_sq


def sgd_step(params: Params, grads: Params, lr: float) -> Params:
    """Plain step ``θ ← θ − η g`` on every array; returns new arrays."""
    lr = check_positive("lr", lr)
    return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]


def _check_finite(params: Params, lam: float, lr: float, epoch: int) -> None:
    if not all(np.all(np.isfinite(W)) and np.all(np.isfinite(b)) for W, b in params):
        raise FloatingPointError(
            f"Training diverged at epoch {epoch}: the weights are no longer finite. "
            f"The learning rate (lr={lr!r}) is probably too large for this problem, "
            f"or lr*lam/m is at least 2 (lam={lam!r}).")


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
    """
    X = check_X(X, n_features=params[0][0].shape[0])
    lam = check_lam(lam)
    lr = check_positive("lr", lr)
    epochs = check_int("epochs", epochs, 0)
    record_every = check_int("record_every", record_every, 1)
    m = X.shape[0]
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, 1, m)
    rng = check_rng(rng)
    have_dev = X_dev is not None
    keys = ("epoch", "data", "penalty", "total", "train_acc", "dev_acc", "dev_data", "norms")
    hist: dict[str, list] = {k: [] for k in keys}
    kw = dict(hidden=hidden, output=output)

    def record(epoch: int, p: Params) -> None:
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

    record(0, params)
    for epoch in range(1, epochs + 1):
        if batch_size is None:
            batches = [slice(None)]
        else:
            perm = rng.permutation(m)
            batches = [perm[i:i + batch_size] for i in range(0, m, batch_size)]
        for idx in batches:
            _, g = cost_and_grads(params, X[idx], np.asarray(y)[idx], lam, m=m, layers=layers,
                                  include_bias=include_bias, **kw)
            params = sgd_step(params, g, lr)
        _check_finite(params, lam, lr, epoch)
        if epoch % record_every == 0 or epoch == epochs:
            record(epoch, params)
    return params, {k: np.asarray(v, dtype=float) for k, v in hist.items()}
