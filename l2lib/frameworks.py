r"""The frameworks' update rules, re-implemented in numpy from their documentation.

Each ``*_step`` function takes one step the way a library or text documents
it, on flat parameter vectors: ``theta`` (n,), ``grad`` (n,) = the gradient of
the *data* term (the mean over the minibatch), and ``mask`` (n,) ``True`` on
the entries the framework decays (the weights; :func:`l2lib.weight_mask` gives
it for a network; ``mask=None`` means every entry). :func:`book_step` is the
book's own step, the yardstick:

.. math::

    \theta \leftarrow \theta - \eta\Big(g + \frac{\lambda}{m}\,\mathbb 1_W\odot\theta\Big).

:func:`l2lib.conventions.check_conversion` uses these functions to show that
each conversion of :mod:`l2lib.conventions` makes a framework's step equal the
book's; :func:`logreg_C_minimizer` solves scikit-learn's logistic regression
for the same purpose.
"""
from __future__ import annotations

import numpy as np

from ._validate import check_int, check_lam, check_positive

__all__ = ["book_step", "torch_sgd_step", "torch_adam_step", "d2l_sgd_step", "keras_sgd_step",
           "sklearn_mlp_sgd_step", "decoupled_step", "logreg_C_minimizer"]


def _mask(theta: np.ndarray, mask) -> np.ndarray:
    return np.ones(theta.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)


def book_step(theta, grad, lam: float, m: int, lr: float, mask=None) -> np.ndarray:
    r"""The book's step :math:`\theta \leftarrow \theta - \eta(g + \frac{\lambda}{m}\,\mathbb 1_W\theta)`."""
    theta = np.asarray(theta, dtype=float)
    return theta - lr * (np.asarray(grad) + (check_lam(lam) / check_int("m", m)) * _mask(theta, mask) * theta)


def torch_sgd_step(theta, grad, lr: float, weight_decay: float = 0.0, mask=None, momentum: float = 0.0,
                   dampening: float = 0.0, nesterov: bool = False, buf=None):
    r"""One step of ``torch.optim.SGD`` as documented; returns ``(theta, buf)``.

    .. math:: g \leftarrow g + wd\,\theta;\quad b \leftarrow \mu b + (1-\tau) g\ (b = g \text{ at the first step});
              \quad g \leftarrow g + \mu b \text{ (Nesterov) or } b;\quad \theta \leftarrow \theta - \eta g.

    ``mask`` marks the parameters of the group that has ``weight_decay``;
    ``buf=None`` is the first step.
    """
    theta = np.asarray(theta, dtype=float)
    g = np.asarray(grad, dtype=float) + weight_decay * _mask(theta, mask) * theta
    if momentum:
        buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
        g = g + momentum * buf if nesterov else buf
    return theta - lr * g, buf


def torch_adam_step(theta, grad, state=None, lr: float = 1e-3, weight_decay: float = 0.0,
                    decoupled: bool = False, mask=None, betas: tuple[float, float] = (0.9, 0.999),
                    eps: float = 1e-8):
    r"""One step of ``torch.optim.Adam`` (``decoupled=False``) or ``torch.optim.AdamW`` (``True``).

    Adam: :math:`g \leftarrow g + wd\,\theta`. AdamW: :math:`\theta \leftarrow \theta - \eta\,wd\,\theta`.
    Then :math:`m_t = \beta_1 m + (1-\beta_1)g`, :math:`v_t = \beta_2 v + (1-\beta_2)g^2`,
    :math:`\theta \leftarrow \theta - \eta\,\hat m_t/(\sqrt{\hat v_t} + \epsilon)` with the
    bias corrections :math:`\hat m_t = m_t/(1-\beta_1^t)`, :math:`\hat v_t = v_t/(1-\beta_2^t)`.
    ``state`` is ``(m, v, t)`` (``None`` before the first step); returns ``(theta, state)``.
    """
    theta = np.asarray(theta, dtype=float)
    g = np.asarray(grad, dtype=float)
    decay = weight_decay * _mask(theta, mask) * theta
    if decoupled:
        theta = theta - lr * decay
    else:
        g = g + decay
    m1, v, t = state if state is not None else (np.zeros_like(theta), np.zeros_like(theta), 0)
    t += 1
    m1 = betas[0] * m1 + (1 - betas[0]) * g
    v = betas[1] * v + (1 - betas[1]) * g * g
    step = (m1 / (1 - betas[0] ** t)) / (np.sqrt(v / (1 - betas[1] ** t)) + eps)
    return theta - lr * step, (m1, v, t)


def d2l_sgd_step(theta, grad, lr: float, wd: float, mask=None) -> np.ndarray:
    r"""D2L's weight-decay step in its decay-factor form: :math:`w \leftarrow (1 - \eta\lambda')w - \eta g`, biases plain."""
    theta = np.asarray(theta, dtype=float)
    return (1 - lr * wd * _mask(theta, mask)) * theta - lr * np.asarray(grad)


def keras_sgd_step(theta, grad, lr: float, l2: float, mask=None) -> np.ndarray:
    r"""Plain SGD on the mean loss plus Keras's :math:`l_2\sum w^2`: :math:`\theta - \eta(g + 2 l_2\,\mathbb 1_W\theta)`."""
    theta = np.asarray(theta, dtype=float)
    return theta - lr * (np.asarray(grad) + 2 * l2 * _mask(theta, mask) * theta)


def sklearn_mlp_sgd_step(theta, grad, lr: float, alpha: float, n_batch: int, mask=None) -> np.ndarray:
    r"""scikit-learn's MLP gradient on a batch of :math:`n` samples, then a plain SGD step.

    scikit-learn computes :math:`(\sum_{\text{batch}}\nabla L + \alpha W)/n`, i.e.
    :math:`g + \alpha W/n` with :math:`g` the batch-mean data gradient; intercepts
    get :math:`g` only. (Its ``SGDOptimizer`` with ``momentum=0`` then moves
    :math:`\theta - \eta\,\cdot`.)
    """
    theta = np.asarray(theta, dtype=float)
    return theta - lr * (np.asarray(grad) + alpha * _mask(theta, mask) * theta / check_int("n_batch", n_batch))


def decoupled_step(theta, grad, lr: float, d: float, mask=None) -> np.ndarray:
    r"""The plain step, then subtract the fraction ``d`` of the weight: :math:`\theta - \eta g - d\,\mathbb 1_W\theta`."""
    theta = np.asarray(theta, dtype=float)
    return theta - lr * np.asarray(grad) - d * _mask(theta, mask) * theta


def logreg_C_minimizer(X, y, C: float, iters: int = 50) -> tuple[np.ndarray, float]:
    r"""Minimize scikit-learn's :math:`\frac12\lVert w\rVert^2 + C\sum_i L^{(i)}(w, b)` (binary cross-entropy) by Newton's method.

    Returns ``(w, b)`` with ``w`` of shape (n_features,); the intercept is not
    penalized. Used to show that this minimizer is the book's with λ = 1/C.
    """
    from .network import sigmoid

    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    C = check_positive("C", C)
    A = np.c_[X, np.ones(len(X))]                       # last column: the intercept
    reg = np.r_[np.ones(X.shape[1]), 0.0]               # ½‖w‖², not the intercept
    theta = np.zeros(A.shape[1])
    for _ in range(check_int("iters", iters)):
        p = sigmoid(A @ theta)
        grad = reg * theta + C * A.T @ (p - y)
        hess = np.diag(reg) + C * (A.T * (p * (1 - p))) @ A + 1e-12 * np.eye(len(theta))
        theta = theta - np.linalg.solve(hess, grad)
    return theta[:-1], float(theta[-1])
