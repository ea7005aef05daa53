r"""Gradient checking by central differences.

.. math:: \frac{\partial J}{\partial\theta_k} \approx \frac{J(\theta + \varepsilon e_k) - J(\theta - \varepsilon e_k)}{2\varepsilon},
          \qquad \text{rel. error} = \frac{\lVert g - \tilde g\rVert}{\lVert g\rVert + \lVert\tilde g\rVert}.

The truncation error is O(ε²); with float64 and ε = 1e-6 a correct gradient
typically agrees to a relative error of 1e-8 or better.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ._validate import check_positive
from .network import as_net, flatten, unflatten
from .penalty import cost, cost_and_grads

__all__ = ["numerical_gradient", "relative_error", "gradient_check"]


def numerical_gradient(f: Callable[[np.ndarray], float], theta, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of a scalar function of a vector."""
    eps = check_positive("eps", eps)
    theta = np.asarray(theta, dtype=float).copy()
    g = np.empty_like(theta)
    for k in range(theta.size):
        old = theta[k]
        theta[k] = old + eps
        fp = f(theta)
        theta[k] = old - eps
        fm = f(theta)
        theta[k] = old
        g[k] = (fp - fm) / (2 * eps)
    return g


def relative_error(g, g_ref) -> float:
    """``‖g − g_ref‖ / (‖g‖ + ‖g_ref‖)``, 0 when both are 0."""
    g, g_ref = np.ravel(g), np.ravel(g_ref)
    denom = np.linalg.norm(g) + np.linalg.norm(g_ref)
    return 0.0 if denom == 0 else float(np.linalg.norm(g - g_ref) / denom)


def gradient_check(params, X, y, lam: float = 0.0, eps: float = 1e-6, grads=None, hidden: str | None = None,
                   output: str | None = None, **cost_kw) -> float:
    """Relative error between ``grads`` (default: l2lib's analytic gradient of the
    regularized cost) and the central-difference gradient of :func:`l2lib.cost`.

    ``params`` is a :class:`~l2lib.network.Net` or params with ``hidden``/``output``; other
    keywords (``layers``, ``include_bias``, ``m``) go to :func:`l2lib.cost`. Pass your own ``grads``
    to check a hand-written (possibly wrong) gradient.
    """
    net = as_net(params, hidden, output)
    if grads is None:
        grads = cost_and_grads(net, X, y, lam, **cost_kw)[1]
    f = lambda th: cost(unflatten(th, net), X, y, lam, **cost_kw).total  # noqa: E731
    return relative_error(flatten(grads), numerical_gradient(f, flatten(net), eps))
