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

This module is the checked, public face of the penalty. The formula itself is
written once, in :func:`l2lib.kernels.penalty` and
:func:`l2lib.kernels.penalty_grad`, which the single network, the λ grid
trained at once, the particle swarm and every update rule all call.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validate import check_bool, check_int, check_lam, check_params, check_X, msg
from . import kernels as K
from .kernels import CostParts
from .network import Params, as_net, targets

__all__ = ["frobenius_sq", "check_layers", "l2_penalty", "l2_penalty_grad", "CostParts", "cost",
           "cost_and_grads"]


def check_layers(layers, n_layers: int) -> tuple[int, ...]:
    """Indices (0-based) of the layers whose weights are penalized; ``None`` means all of them."""
    if layers is None:
        return tuple(range(n_layers))
    what = f"a list of layer indices in the range [0, {n_layers - 1}] (or None for all)"
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise TypeError(msg("layers", what, layers))
    out = []
    for l in layers:
        if isinstance(l, bool) or not isinstance(l, (int, np.integer)) or not 0 <= l < n_layers:
            raise ValueError(msg("layers", what, list(layers)))
        out.append(int(l))
    return tuple(out)


def frobenius_sq(W) -> float:
    r"""Squared Frobenius norm :math:`\lVert W\rVert_F^2 = \sum_i\sum_j w_{ij}^2`.

    >>> frobenius_sq(np.array([[1.0, 2.0], [3.0, 4.0]]))
    30.0
    """
    W = np.asarray(W, dtype=float)
    return float(np.sum(W * W))


# ------------------------------------------------------------------ the public functions
def l2_penalty(params: Params, lam: float, m: int, layers=None, include_bias: bool = False) -> float:
    r"""The penalty :math:`\frac{\lambda}{2m}\sum_{l\in\text{layers}} \lVert W_l\rVert_F^2`.

    ``params`` may be a :class:`~l2lib.network.Net`. ``layers=None`` penalizes every weight matrix.
    ``include_bias=True`` also adds :math:`\lVert b_l\rVert^2` — a mistake the book demonstrates,
    never the default.

    >>> l2_penalty([(np.array([[3.0, 4.0]]), np.array([1.0, 1.0]))], lam=2.0, m=5)   # 2/10 * 25
    5.0
    """
    params = as_net(params).params
    return float(K.penalty(params, check_lam(lam), check_int("m", m), check_layers(layers, len(params)),
                          check_bool("include_bias", include_bias)))


def l2_penalty_grad(params: Params, lam: float, m: int, layers=None, include_bias: bool = False) -> Params:
    r"""Gradient of :func:`l2_penalty`: :math:`(\lambda/m) W_l` for penalized layers, zeros elsewhere."""
    params = as_net(params).params
    return K.penalty_grad(params, check_lam(lam), check_int("m", m), check_layers(layers, len(params)),
                         check_bool("include_bias", include_bias))


def cost(params, X, y, lam: float = 0.0, hidden: str | None = None, output: str | None = None,
         layers=None, include_bias: bool = False, m: int | None = None) -> CostParts:
    """Data term, penalty and total on ``(X, y)``; ``params`` is a :class:`~l2lib.network.Net` or bare params.

    ``m`` is the number of training examples in the penalty's 1/m; it defaults
    to ``len(X)``. Pass the training-set size when scoring a minibatch or a dev
    set with the training objective's penalty.
    """
    return cost_and_grads(params, X, y, lam, hidden, output, layers, include_bias, m, grads=False)[0]


def cost_and_grads(params, X, y, lam: float = 0.0, hidden: str | None = None, output: str | None = None,
                   layers=None, include_bias: bool = False, m: int | None = None, grads: bool = True):
    r"""``(CostParts, grads)`` where ``grads`` = data gradient + penalty gradient.

    :math:`\partial J/\partial W_l = \partial J_{\text{data}}/\partial W_l + (\lambda/m) W_l`;
    :math:`\partial J/\partial b_l = \partial J_{\text{data}}/\partial b_l` (unless ``include_bias``).
    """
    net = as_net(params, hidden, output)
    X = check_X(X, n_features=net.sizes[0])
    n = X.shape[0]
    m = n if m is None else check_int("m", m)
    Y = targets(y, net.output, net.sizes[-1], n)
    args = (check_lam(lam), m, check_layers(layers, len(net.params)), check_bool("include_bias", include_bias))
    ws = K.thread_workspace()                       # the pass's temporaries; nothing returned lives there
    parts, g = K.cost_and_grads(net.params, K.forward(net.params, X, net.hidden, net.output, ws=ws)[1], Y, *args,
                               grads=check_bool("grads", grads), ws=ws)
    return CostParts(*(float(v) for v in parts)), g
