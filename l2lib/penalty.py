r"""The L2 penalty: its one written definition, its gradient, and the regularized cost.

The book's convention (Ng; Nielsen with n = m):

.. math::

    J(\{W_l, b_l\}) = \underbrace{\frac1m \sum_{i=1}^m L(\hat y^{(i)}, y^{(i)})}_{\text{data term}}
      \;+\; \underbrace{\frac{\lambda}{2m} \sum_{l} \lVert W_l \rVert_F^2}_{\text{penalty}},
    \qquad \lVert W \rVert_F^2 = \sum_i\sum_j w_{ij}^2 ,

with the sum over every layer's weights by default and never over biases.
Its gradient is :math:`\partial(\text{penalty})/\partial W_l = (\lambda/m)\,W_l`
and zero for every :math:`b_l`. Every other scaling of λ in the book is a
conversion to or from this one (:mod:`l2lib.conventions`).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validate import check_choice, check_int, check_lam, check_params, check_X
from .network import HIDDEN, OUTPUT, Params, _forward, backward, example_losses, targets

__all__ = ["frobenius_sq", "l2_penalty", "l2_penalty_grad", "CostParts", "cost", "cost_and_grads"]


def _layers(params: Params, layers) -> list[int]:
    """Indices (0-based) of the layers whose weights are penalized; ``None`` = all."""
    L = len(params)
    if layers is None:
        return list(range(L))
    out = []
    for l in layers:
        if isinstance(l, bool) or not isinstance(l, (int, np.integer)) or not 0 <= l < L:
            raise ValueError(f"The 'layers' parameter must list layer indices in the range [0, {L - 1}]. "
                             f"Got {list(layers)!r} instead.")
        out.append(int(l))
    return out


def frobenius_sq(W) -> float:
    r"""Squared Frobenius norm :math:`\lVert W\rVert_F^2 = \sum_i\sum_j w_{ij}^2`.

    >>> frobenius_sq(np.array([[1.0, 2.0], [3.0, 4.0]]))
    30.0
    """
    W = np.asarray(W, dtype=float)
    return float(np.sum(W * W))


def l2_penalty(params: Params, lam: float, m: int, layers=None, include_bias: bool = False) -> float:
    r"""The penalty :math:`\frac{\lambda}{2m}\sum_{l\in\text{layers}} \lVert W_l\rVert_F^2`.

    ``layers=None`` penalizes every weight matrix. ``include_bias=True`` also
    adds :math:`\lVert b_l\rVert^2` — a mistake the book demonstrates, never
    the default.
    """
    params = check_params(params, finite=False)   # float64 (W, b) pairs
    lam = check_lam(lam)
    m = check_int("m", m)
    total = 0.0
    for l in _layers(params, layers):
        W, b = params[l]
        total += frobenius_sq(W) + (frobenius_sq(b) if include_bias else 0.0)
    return lam / (2 * m) * total


def l2_penalty_grad(params: Params, lam: float, m: int, layers=None, include_bias: bool = False) -> Params:
    r"""Gradient of :func:`l2_penalty`: :math:`(\lambda/m) W_l` for penalized layers, zeros elsewhere."""
    params = check_params(params, finite=False)   # float64 (W, b) pairs
    lam = check_lam(lam)
    m = check_int("m", m)
    chosen = set(_layers(params, layers))
    return [((lam / m) * W if l in chosen else np.zeros_like(W),
             (lam / m) * b if (l in chosen and include_bias) else np.zeros_like(b))
            for l, (W, b) in enumerate(params)]


class CostParts(NamedTuple):
    """The regularized cost split into its two terms."""
    data: float      # (1/m) Σ L
    penalty: float   # (λ/2m) Σ ||W||²_F
    total: float


def cost(params: Params, X, y, lam: float = 0.0, hidden: str = "relu", output: str = "sigmoid",
         layers=None, include_bias: bool = False, m: int | None = None) -> CostParts:
    """Data term, penalty and total on ``(X, y)``.

    ``m`` is the number of training examples in the penalty's 1/m; it defaults
    to ``len(X)``. Pass the training-set size when scoring a minibatch or a dev
    set with the training objective's penalty.
    """
    return cost_and_grads(params, X, y, lam, hidden, output, layers, include_bias, m, grads=False)[0]


def cost_and_grads(params: Params, X, y, lam: float = 0.0, hidden: str = "relu", output: str = "sigmoid",
                   layers=None, include_bias: bool = False, m: int | None = None, grads: bool = True):
    r"""``(CostParts, grads)`` where ``grads`` = data gradient + penalty gradient.

    :math:`\partial J/\partial W_l = \partial J_{\text{data}}/\partial W_l + (\lambda/m) W_l`;
    :math:`\partial J/\partial b_l = \partial J_{\text{data}}/\partial b_l` (unless ``include_bias``).
    """
    params = check_params(params)
    check_choice("hidden", hidden, HIDDEN)
    check_choice("output", output, OUTPUT)
    A, cache = _forward(params, check_X(X, n_features=params[0][0].shape[0]), hidden, output)
    n = A.shape[0]
    m = n if m is None else check_int("m", m)
    Y = targets(y, output, A.shape[1], n)
    return _cost_and_grads(params, cache, Y, check_lam(lam), m, _layers(params, layers), include_bias, grads)


def _cost_and_grads(params: Params, cache, Y: np.ndarray, lam: float, m: int, layers: list[int],
                    include_bias: bool, grads: bool = True):
    """The computation of :func:`cost_and_grads` on checked arguments and a forward pass already made."""
    data = float(np.mean(example_losses(cache.Z[-1], Y, cache.output)))
    pen = l2_penalty(params, lam, m, layers, include_bias)
    parts = CostParts(data, pen, data + pen)
    if not grads:
        return parts, None
    g_data = backward(params, cache, Y)
    g_pen = l2_penalty_grad(params, lam, m, layers, include_bias)
    return parts, [(dW + pW, db + pb) for (dW, db), (pW, pb) in zip(g_data, g_pen)]
