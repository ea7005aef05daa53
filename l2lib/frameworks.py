r"""The frameworks' update rules, re-implemented in numpy from their documentation and source.

Each ``*_step`` function takes one step the way a library or text documents
it, on flat parameter vectors: ``theta`` (n,), ``grad`` (n,) = the gradient of
the *data* term (the mean over the minibatch), and ``mask`` (n,) ``True`` on
the entries the framework decays (the weights; :func:`l2lib.weight_mask` gives
it for a network; ``mask=None`` means every entry, which is what PyTorch's
``weight_decay``, Keras 3's optimizer ``weight_decay`` and Optax's
``add_decayed_weights`` do by default). :func:`book_step` is the book's own
step, the yardstick:

.. math::

    \theta \leftarrow \theta - \eta\Big(g + \frac{\lambda}{m}\,\mathbb 1_W\odot\theta\Big).

Two families. *Coupled* rules put the penalty's gradient into the gradient the
optimizer sees (PyTorch ``SGD``/``Adam`` ``weight_decay``, Keras
``regularizers.L2``, Optax ``add_decayed_weights`` placed before the optimizer,
scikit-learn's ``alpha``); *decoupled* rules shrink the weights beside the
optimizer's step (PyTorch ``AdamW``, Keras 3 optimizers' ``weight_decay``,
Optax ``adamw``, the "simplified" fraction ``d``). Under plain SGD the two
coincide (Chapter 4); with momentum or Adam they do not.

:func:`l2lib.conventions.check_conversion` uses these functions to show that
each conversion of :mod:`l2lib.conventions` gives the book's step (or, for a
decoupled rule, the book's decay per step), and
:func:`l2lib.conventions.l2_gap` that a decoupled rule is still not L2;
:func:`logreg_C_minimizer` solves scikit-learn's logistic regression for the
same purpose.

Sources read for each rule:

* PyTorch 2.x: documentation of ``torch.optim.SGD``, ``Adam`` and ``AdamW``.
* Keras 3 (3.8 source): ``keras/src/optimizers/base_optimizer.py`` (``BaseOptimizer._apply_weight_decay``,
  called before ``_backend_update_step``; ``exclude_from_weight_decay``), ``sgd.py``
  (``SGD.update_step``), ``adam.py`` (``Adam.update_step``), ``adamw.py``.
* Optax 0.2 (main branch source): ``optax/transforms/_adding.py`` (``add_decayed_weights``), ``optax/_src/alias.py``
  (``adamw`` = ``chain(scale_by_adam, add_decayed_weights, scale_by_learning_rate)``,
  ``sgd``), ``optax/_src/transform.py`` (``scale_by_adam``, ``trace``).
* TensorFlow Playground (master, the ``nn.ts`` with L1 "dead" links): ``src/nn.ts`` (``updateWeights``, ``RegularizationFunction.L2``),
  ``src/playground.ts`` (``oneStep``, ``getLoss``).
* scikit-learn 1.x: ``sklearn/neural_network/_multilayer_perceptron.py`` (``_backprop``,
  ``_compute_loss_grad``) and the ``LogisticRegression`` API documentation (``C``,
  ``intercept_scaling``).
"""
from __future__ import annotations

import numpy as np

from ._validate import check_int, check_lam, check_positive

__all__ = ["book_step", "torch_sgd_step", "torch_adam_step", "d2l_sgd_step", "keras_sgd_step",
           "keras_sgd_wd_step", "keras_adam_step", "optax_add_decayed_weights", "optax_scale_by_adam",
           "optax_sgd_step", "optax_adamw_step", "playground_step", "sklearn_mlp_sgd_step", "decoupled_step",
           "logreg_C_minimizer"]


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
    r"""Plain SGD on the mean loss plus ``keras.regularizers.L2(l2)``'s :math:`l_2\sum w^2`: :math:`\theta - \eta(g + 2 l_2\,\mathbb 1_W\theta)`.

    This is the *regularizer* (a term of the loss, coupled); the optimizers'
    ``weight_decay`` argument is :func:`keras_sgd_wd_step` / :func:`keras_adam_step`.
    """
    theta = np.asarray(theta, dtype=float)
    return theta - lr * (np.asarray(grad) + 2 * l2 * _mask(theta, mask) * theta)


def _keras_decay(theta: np.ndarray, lr: float, weight_decay, mask) -> np.ndarray:
    """Keras 3's ``BaseOptimizer._apply_weight_decay``: ``variable - variable * wd * lr`` on every variable not excluded."""
    if weight_decay is None:
        return theta
    return theta - theta * float(weight_decay) * lr * _mask(theta, mask)


def keras_sgd_wd_step(theta, grad, lr: float = 0.01, weight_decay=None, mask=None, momentum: float = 0.0,
                      nesterov: bool = False, velocity=None):
    r"""One step of Keras 3's ``keras.optimizers.SGD(learning_rate=lr, momentum, nesterov, weight_decay)``.

    Keras 3 applies ``weight_decay`` in ``BaseOptimizer._apply_weight_decay``,
    *before* the optimizer's own update and outside the gradient:
    :math:`\theta \leftarrow \theta - \theta\cdot wd\cdot\eta` on every variable
    that was not excluded with ``optimizer.exclude_from_weight_decay(...)``
    (``mask``; ``None`` = every variable, biases included, Keras's default).
    Then ``SGD.update_step`` with the gradient computed before the decay:
    :math:`\theta \leftarrow \theta - \eta g` without momentum, otherwise
    :math:`v \leftarrow \mu v - \eta g`, :math:`\theta \leftarrow \theta + v`
    (Nesterov: :math:`\theta \leftarrow \theta + \mu v - \eta g`).
    ``velocity=None`` is the first step (zeros). Returns ``(theta, velocity)``.
    """
    theta = _keras_decay(np.asarray(theta, dtype=float), lr, weight_decay, mask)
    g = np.asarray(grad, dtype=float)
    if not momentum:
        return theta - lr * g, None
    v = momentum * (np.zeros_like(theta) if velocity is None else velocity) - lr * g
    return theta + (momentum * v - lr * g if nesterov else v), v


def keras_adam_step(theta, grad, state=None, lr: float = 0.001, weight_decay=None, mask=None,
                    beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7):
    r"""One step of Keras 3's ``keras.optimizers.Adam`` (``AdamW`` is the same with ``weight_decay=0.004`` by default).

    First the decoupled decay of :func:`keras_sgd_wd_step`, then
    ``Adam.update_step``: :math:`m \leftarrow m + (g - m)(1-\beta_1)`,
    :math:`v \leftarrow v + (g^2 - v)(1-\beta_2)`,
    :math:`\alpha = \eta\sqrt{1-\beta_2^t}/(1-\beta_1^t)`,
    :math:`\theta \leftarrow \theta - \alpha\,m/(\sqrt v + \epsilon)` — Keras's
    :math:`\epsilon` is the "epsilon hat" of Kingma and Ba, added to the
    *uncorrected* :math:`\sqrt v` (default 1e-7). ``state`` is ``(m, v, t)``
    (``None`` before the first step); returns ``(theta, state)``.
    """
    theta = _keras_decay(np.asarray(theta, dtype=float), lr, weight_decay, mask)
    g = np.asarray(grad, dtype=float)
    m1, v, t = state if state is not None else (np.zeros_like(theta), np.zeros_like(theta), 0)
    t += 1
    m1 = m1 + (g - m1) * (1 - beta_1)
    v = v + (g * g - v) * (1 - beta_2)
    alpha = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return theta - alpha * m1 / (np.sqrt(v) + epsilon), (m1, v, t)


def optax_add_decayed_weights(updates, params, weight_decay: float = 0.0, mask=None) -> np.ndarray:
    r"""Optax's ``add_decayed_weights(weight_decay, mask)``: ``updates + weight_decay * params`` where ``mask`` is True.

    A gradient *transformation*, not an optimizer: what it means depends on
    where it sits in the ``optax.chain``. Before the optimizer it adds the L2
    gradient (coupled, :func:`optax_sgd_step`); after ``scale_by_adam``, as in
    ``optax.adamw``, it is decoupled decay (:func:`optax_adamw_step`).
    ``mask=None`` decays every parameter.
    """
    params = np.asarray(params, dtype=float)
    return np.asarray(updates, dtype=float) + weight_decay * _mask(params, mask) * params


def optax_scale_by_adam(updates, state=None, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                        eps_root: float = 0.0):
    r"""Optax's ``scale_by_adam``: :math:`\hat m/(\sqrt{\hat v + \bar\epsilon} + \epsilon)` with bias-corrected moments.

    ``state`` is ``(mu, nu, count)`` (``None`` before the first step); returns ``(updates, state)``.
    """
    g = np.asarray(updates, dtype=float)
    mu, nu, count = state if state is not None else (np.zeros_like(g), np.zeros_like(g), 0)
    count += 1
    mu = (1 - b1) * g + b1 * mu
    nu = (1 - b2) * g * g + b2 * nu
    mu_hat, nu_hat = mu / (1 - b1 ** count), nu / (1 - b2 ** count)
    return mu_hat / (np.sqrt(nu_hat + eps_root) + eps), (mu, nu, count)


def optax_sgd_step(theta, grad, lr: float, weight_decay: float = 0.0, mask=None, momentum=None,
                   nesterov: bool = False, trace=None):
    r"""``optax.chain(optax.add_decayed_weights(weight_decay, mask), optax.sgd(lr, momentum, nesterov))``: coupled L2.

    The decay enters the update *before* ``sgd``'s ``trace``
    (:math:`t \leftarrow u + \mu t`, the update is :math:`t`, or
    :math:`u + \mu t` with Nesterov) and ``scale_by_learning_rate`` (:math:`-\eta`):
    the same algorithm as PyTorch's ``SGD(weight_decay)``. ``trace=None`` is the
    first step; returns ``(theta, trace)``.
    """
    theta = np.asarray(theta, dtype=float)
    u = optax_add_decayed_weights(grad, theta, weight_decay, mask)
    if momentum:
        trace = u + momentum * (np.zeros_like(u) if trace is None else trace)
        u = u + momentum * trace if nesterov else trace
    return theta - lr * u, trace


def optax_adamw_step(theta, grad, state=None, lr: float = 1e-3, weight_decay: float = 1e-4, mask=None,
                     b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8, eps_root: float = 0.0):
    r"""One step of ``optax.adamw``: ``chain(scale_by_adam, add_decayed_weights(weight_decay, mask), scale_by_learning_rate(lr))``.

    :math:`\theta \leftarrow \theta - \eta\big(\hat m/(\sqrt{\hat v}+\epsilon) + wd\,\mathbb 1_M\theta\big)`:
    the decay is added *after* Adam's scaling, so it is decoupled, and it is
    multiplied by the learning rate (as in PyTorch's ``AdamW``). Default
    ``weight_decay=1e-4``, ``mask=None`` (every parameter). With
    ``weight_decay=0`` this is ``optax.adam``. ``state`` as in
    :func:`optax_scale_by_adam`; returns ``(theta, state)``.
    """
    theta = np.asarray(theta, dtype=float)
    u, state = optax_scale_by_adam(grad, state, b1, b2, eps, eps_root)
    return theta - lr * optax_add_decayed_weights(u, theta, weight_decay, mask), state


def playground_step(theta, grad, lr: float, regularization_rate: float, mask=None) -> np.ndarray:
    r"""One minibatch update of the TensorFlow Playground with "Regularization: L2".

    ``updateWeights`` in ``src/nn.ts``: each bias moves by
    :math:`-\eta\cdot` (its accumulated derivative / the number accumulated),
    i.e. the batch-mean gradient, and is never regularized; each weight first
    takes the same data step, then
    :math:`w \leftarrow w - \eta\,r\,w_{\text{old}}` with ``regulDer`` = the
    L2 derivative :math:`w` of the weight *before* the data step, once per
    minibatch and not divided by the batch size:
    :math:`\theta - \eta g - \eta r\,\mathbb 1_W\theta`. The Playground has
    no momentum, so this is plain gradient descent on the mean loss plus
    :math:`\frac r2\sum w^2` (``RegularizationFunction.L2``: output
    :math:`\frac12 w^2`, derivative :math:`w`); the loss it displays
    (``getLoss``) leaves the penalty out.
    """
    theta = np.asarray(theta, dtype=float)
    after_data = theta - lr * np.asarray(grad, dtype=float)
    return after_data - lr * regularization_rate * _mask(theta, mask) * theta


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


def logreg_C_minimizer(X, y, C: float, iters: int = 50, intercept_scaling=None) -> tuple[np.ndarray, float]:
    r"""Minimize scikit-learn's :math:`\frac12\lVert w\rVert^2 + C\sum_i L^{(i)}(w, b)` (binary cross-entropy) by Newton's method.

    Returns ``(w, b)`` with ``w`` of shape (n_features,). ``intercept_scaling=None``:
    the intercept is not penalized (``solver="lbfgs"``, the default, and
    ``newton-cg``, ``newton-cholesky``, ``sag``, ``saga``). A number ``s``:
    ``solver="liblinear"``, which appends a synthetic feature of constant value
    ``s`` and penalizes its weight :math:`w_s` like every other, the intercept
    being :math:`b = s\,w_s` — so it adds :math:`\frac12(b/s)^2` to the cost
    (scikit-learn's ``intercept_scaling`` documentation). Used to show that the
    first minimizer is the book's with λ = 1/C and the second is not.
    """
    from .network import sigmoid

    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    C = check_positive("C", C)
    s = 1.0 if intercept_scaling is None else check_positive("intercept_scaling", intercept_scaling)
    A = np.c_[X, np.full(len(X), s)]                    # last column: the intercept's feature
    reg = np.r_[np.ones(X.shape[1]), 0.0 if intercept_scaling is None else 1.0]
    theta = np.zeros(A.shape[1])
    for _ in range(check_int("iters", iters)):
        p = sigmoid(A @ theta)
        grad = reg * theta + C * A.T @ (p - y)
        hess = np.diag(reg) + C * (A.T * (p * (1 - p))) @ A + 1e-12 * np.eye(len(theta))
        theta = theta - np.linalg.solve(hess, grad)
    return theta[:-1], float(s * theta[-1])
