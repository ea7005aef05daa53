r"""λ across frameworks: the book's λ in every other convention, and the steps that prove it.

The book's cost and its gradient-descent step, with the data term
:math:`D = \frac1m\sum_i L^{(i)}` (or its mean over a minibatch) and ``m`` the
number of training examples:

.. math::

    J = D + \frac{\lambda}{2m}\sum_l \lVert W_l\rVert_F^2, \qquad
    W_l \leftarrow \Big(1 - \frac{\eta\lambda}{m}\Big) W_l - \eta\,\frac{\partial D}{\partial W_l},
    \qquad b_l \leftarrow b_l - \eta\,\frac{\partial D}{\partial b_l}.

Every other library or text writes the penalty differently. Each function
below converts the book's λ to one of them; :data:`CONVENTIONS` collects them
with their inverses, so :func:`from_book` and :func:`to_book` work for any
key. The update rules of the frameworks are re-implemented in numpy
(``*_step`` functions) from their documentation, so that
:func:`check_conversion` can show, for each convention, that one step with the
converted value equals one step of the book.

Keys: ``book``, ``d2l``, ``torch_sgd``, ``torch_adam``, ``torch_adamw``,
``keras_l2``, ``sklearn_mlp_sgd``, ``sklearn_mlp_lbfgs``, ``sklearn_logreg``,
``decoupled``.
"""
from __future__ import annotations

import html as _html
import json
import math
from importlib import resources
from typing import Callable, NamedTuple

import numpy as np

from ._validate import _msg, check_choice, check_int, check_lam, check_positive, check_real

__all__ = ["d2l_lambda", "torch_sgd_weight_decay", "torch_adam_weight_decay", "torch_adamw_weight_decay",
           "keras_l2", "sklearn_mlp_alpha", "sklearn_logreg_C", "decoupled_decay", "Convention",
           "CONVENTIONS", "from_book", "to_book", "book_step", "torch_sgd_step", "torch_adam_step",
           "d2l_sgd_step", "keras_sgd_step", "sklearn_mlp_sgd_step", "decoupled_step", "logreg_C_minimizer",
           "check_conversion", "fmt4", "ConversionTable", "conversion_table", "Converter", "converter"]


# ----------------------------------------------------------------- conversions
def d2l_lambda(lam: float, m: int) -> float:
    r"""The :math:`\lambda'` of *Dive into Deep Learning* ("Weight Decay"): :math:`\lambda' = \lambda/m`.

    D2L adds :math:`\frac{\lambda'}{2}\lVert w\rVert^2` to the *mean* loss, with
    no :math:`1/m`; its gradient term :math:`\lambda' w` equals the book's
    :math:`(\lambda/m) w` when :math:`\lambda' = \lambda/m`. Goodfellow et al.'s
    α (§7.1.1) has the same scaling. Biases are not decayed in either.

    >>> d2l_lambda(3.0, 100)
    0.03
    """
    return check_lam(lam) / check_int("m", m)


def torch_sgd_weight_decay(lam: float, m: int) -> float:
    r"""``torch.optim.SGD(weight_decay=wd)``: :math:`wd = \lambda/m`.

    PyTorch adds :math:`wd\,\theta` to the gradient of every parameter of the
    group *before* momentum, so SGD with or without momentum follows the book's
    cost with :math:`\lambda = m\,wd`. It decays every parameter it is given:
    to match the book, put the biases in a parameter group with
    ``weight_decay=0``. Source: PyTorch documentation of ``torch.optim.SGD``.

    >>> torch_sgd_weight_decay(3.0, 100)
    0.03
    """
    return check_lam(lam) / check_int("m", m)


def torch_adam_weight_decay(lam: float, m: int) -> float:
    r"""``torch.optim.Adam(weight_decay=wd)`` (coupled L2): :math:`wd = \lambda/m`.

    Adam's ``weight_decay`` adds :math:`wd\,\theta` to the gradient before the
    moment estimates, so Adam then minimizes the book's cost with
    :math:`\lambda = m\,wd` — and the decay, like the data gradient, is divided
    by :math:`\sqrt{\hat v}`. Source: PyTorch documentation of ``torch.optim.Adam``.

    >>> torch_adam_weight_decay(3.0, 100)
    0.03
    """
    return check_lam(lam) / check_int("m", m)


def torch_adamw_weight_decay(lam: float, m: int) -> float:
    r"""``torch.optim.AdamW(lr=η, weight_decay=wd)``: :math:`wd = \lambda/m` for the same decay per step.

    AdamW first shrinks :math:`\theta \leftarrow \theta - \eta\,wd\,\theta`, then
    takes the Adam step on the *data* gradient only. The shrink equals the
    book's :math:`\eta(\lambda/m)\theta` when :math:`wd = \lambda/m`. The two
    methods still differ: the data part is Adam's, and no L2 coefficient makes
    Adam reproduce decoupled decay (Loshchilov & Hutter, 2019). Default
    ``weight_decay=0.01``. Source: PyTorch documentation of ``torch.optim.AdamW``.

    >>> torch_adamw_weight_decay(3.0, 100)
    0.03
    """
    return check_lam(lam) / check_int("m", m)


def keras_l2(lam: float, m: int) -> float:
    r"""``keras.regularizers.L2(l2)``: :math:`l_2 = \lambda/(2m)`.

    Keras adds :math:`l_2\sum w^2` (no ½, no :math:`1/m`) to the mean loss; its
    gradient :math:`2 l_2 w` equals :math:`(\lambda/m) w` when
    :math:`l_2 = \lambda/(2m)`. Attach it as ``kernel_regularizer`` only (the
    default ``bias_regularizer=None`` leaves biases alone). Source: Keras
    documentation, "Layer weight regularizers".

    >>> keras_l2(3.0, 100)
    0.015
    """
    return check_lam(lam) / (2 * check_int("m", m))


def sklearn_mlp_alpha(lam: float, m: int, batch_size: int) -> float:
    r"""``sklearn.neural_network.MLPClassifier(alpha=α)``: :math:`\alpha = \lambda B/m`.

    scikit-learn adds :math:`\frac{\alpha}{2}\sum_l\lVert W_l\rVert_F^2` to the
    *summed* loss of whatever it is fitting and divides both by the number of
    samples :math:`n` in it: the gradient term is :math:`\alpha W / n`. With
    ``solver="lbfgs"`` :math:`n = m` and :math:`\alpha = \lambda`; with
    ``"sgd"``/``"adam"`` :math:`n` is the minibatch size :math:`B` (default
    ``min(200, m)``), so the same α is a penalty :math:`m/B` times stronger.
    Intercepts are never penalized. Source: ``sklearn/neural_network/_multilayer_perceptron.py``.

    >>> sklearn_mlp_alpha(3.0, 100, 20)
    0.6
    >>> sklearn_mlp_alpha(3.0, 100, 100)   # lbfgs: batch_size = m
    3.0
    """
    m = check_int("m", m)
    return check_lam(lam) * check_int("batch_size", batch_size, 1, m) / m


def sklearn_logreg_C(lam: float) -> float:
    r"""``sklearn.linear_model.LogisticRegression(C=c)``: :math:`c = 1/\lambda` (``inf`` for λ = 0).

    scikit-learn minimizes :math:`\frac12\lVert w\rVert^2 + c\sum_i L^{(i)}`,
    which is :math:`c\,m` times :math:`D + \frac{1}{2cm}\lVert w\rVert^2`: the
    book's cost with :math:`\lambda = 1/c`, whatever :math:`m`. A positive
    factor does not move the minimizer. The intercept is not penalized (with
    the default lbfgs solver). Source: scikit-learn User Guide, "Logistic regression".

    >>> sklearn_logreg_C(4.0), sklearn_logreg_C(0.0)
    (0.25, inf)
    """
    lam = check_lam(lam)
    return math.inf if lam == 0 else 1.0 / lam


def decoupled_decay(lam: float, m: int, lr: float) -> float:
    r"""The fraction :math:`d` of the "simplified" update :math:`w \leftarrow w - \eta\,\partial D/\partial w - d\,w`: :math:`d = \eta\lambda/m`.

    Take the plain step, then subtract a fraction :math:`d` of the weight
    (McCaffrey's simplified implementation). It equals the book's step when
    :math:`d = \eta\lambda/m`, so :math:`d` silently depends on the learning
    rate and on :math:`m`: halve η and the same :math:`d` doubles the penalty.

    >>> decoupled_decay(3.0, 100, 0.5)
    0.015
    """
    return check_positive("lr", lr) * check_lam(lam) / check_int("m", m)


# ------------------------------------------------------------- the registry
class Convention(NamedTuple):
    """One way of writing the L2 strength: where it is used and how it maps to the book's λ.

    ``from_book(lam, m, lr, B)`` and ``to_book(value, m, lr, B)`` are inverse
    to each other; ``js`` is the same ``from_book`` formula as a JavaScript
    expression in ``lam, m, lr, B`` (used by the converter widget on the website).
    """
    key: str
    where: str
    parameter: str
    formula: str
    js: str
    from_book: Callable[[float, int, float, int], float]
    to_book: Callable[[float, int, float, int], float]
    needs: tuple[str, ...]
    note: str
    check: str = "one minibatch step"


def _inv_C(c: float, m: int, lr: float, B: int) -> float:
    c = check_real("value", c, 0.0, low_open=True) if not (isinstance(c, float) and math.isinf(c)) else c
    return 0.0 if math.isinf(c) else 1.0 / c


CONVENTIONS: dict[str, Convention] = {c.key: c for c in [
    Convention("book", "this book; Ng; Nielsen", "λ", "λ", "lam",
               lambda lam, m, lr, B: check_lam(lam), lambda v, m, lr, B: check_lam(v, "value"), (),
               "penalty (λ/2m)·Σ‖W‖² on the mean loss", "—"),
    Convention("d2l", "Dive into Deep Learning", "λ (wd)", "λ/m", "lam / m",
               lambda lam, m, lr, B: d2l_lambda(lam, m), lambda v, m, lr, B: check_lam(v, "value") * m, ("m",),
               "(λ/2)·‖w‖² on the mean loss"),
    Convention("torch_sgd", "PyTorch SGD", "weight_decay", "λ/m", "lam / m",
               lambda lam, m, lr, B: torch_sgd_weight_decay(lam, m), lambda v, m, lr, B: check_lam(v, "value") * m,
               ("m",), "g + wd·θ; biases in a group with weight_decay=0", "two steps, momentum 0.9"),
    Convention("torch_adam", "PyTorch Adam", "weight_decay", "λ/m", "lam / m",
               lambda lam, m, lr, B: torch_adam_weight_decay(lam, m), lambda v, m, lr, B: check_lam(v, "value") * m,
               ("m",), "coupled: g + wd·θ, then Adam — Adam on the book's cost", "two Adam steps"),
    Convention("torch_adamw", "PyTorch AdamW", "weight_decay", "λ/m", "lam / m",
               lambda lam, m, lr, B: torch_adamw_weight_decay(lam, m), lambda v, m, lr, B: check_lam(v, "value") * m,
               ("m",), "θ − η·wd·θ, then Adam on the data gradient: same decay per step, not the same cost",
               "decay term of a step"),
    Convention("keras_l2", "Keras regularizers.L2", "l2", "λ/(2m)", "lam / (2 * m)",
               lambda lam, m, lr, B: keras_l2(lam, m), lambda v, m, lr, B: 2 * check_lam(v, "value") * m, ("m",),
               "l2·Σw² on the mean loss (no ½)"),
    Convention("sklearn_mlp_sgd", "scikit-learn MLP, sgd/adam", "alpha", "λ·B/m", "lam * B / m",
               lambda lam, m, lr, B: sklearn_mlp_alpha(lam, m, B), lambda v, m, lr, B: check_lam(v, "value") * m / B,
               ("m", "batch_size"), "(α/2n)·Σ‖W‖² per batch of n = B samples"),
    Convention("sklearn_mlp_lbfgs", "scikit-learn MLP, lbfgs", "alpha", "λ", "lam",
               lambda lam, m, lr, B: sklearn_mlp_alpha(lam, m, m), lambda v, m, lr, B: check_lam(v, "value"), ("m",),
               "(α/2n)·Σ‖W‖² with n = m, the whole training set", "one full-batch step"),
    Convention("sklearn_logreg", "scikit-learn LogisticRegression", "C", "1/λ", "1 / lam",
               lambda lam, m, lr, B: sklearn_logreg_C(lam), _inv_C, (),
               "½‖w‖² + C·ΣL (linear model; minimizers coincide)", "minimizer"),
    Convention("decoupled", "decoupled decay after the step", "d", "η·λ/m", "lr * lam / m",
               lambda lam, m, lr, B: decoupled_decay(lam, m, lr), lambda v, m, lr, B: check_lam(v, "value") * m / lr,
               ("m", "lr"), "w − η·∂D/∂w − d·w"),
]}


def _check_context(key: str, m, lr, batch_size) -> tuple[str, int, float, int]:
    key = check_choice("convention", key, tuple(CONVENTIONS))
    need = CONVENTIONS[key].needs
    m = check_int("m", m) if ("m" in need or m is not None) else 1
    lr = check_positive("lr", lr) if ("lr" in need or lr is not None) else 1.0
    if "batch_size" in need or batch_size is not None:
        batch_size = check_int("batch_size", batch_size, 1, m)
    else:
        batch_size = m
    return key, m, lr, batch_size


def from_book(lam: float, convention: str, m: int | None = None, lr: float | None = None,
              batch_size: int | None = None) -> float:
    """The value the ``convention`` needs for the book's ``lam`` (see :data:`CONVENTIONS` for the keys).

    ``m`` (training examples), ``lr`` (η) and ``batch_size`` (B, at most m) are
    required by the conventions whose formula uses them.

    >>> from_book(3.0, "keras_l2", m=100), from_book(3.0, "sklearn_mlp_sgd", m=100, batch_size=20)
    (0.015, 0.6)
    """
    key, m, lr, B = _check_context(convention, m, lr, batch_size)
    return float(CONVENTIONS[key].from_book(lam, m, lr, B))


def to_book(value: float, convention: str, m: int | None = None, lr: float | None = None,
            batch_size: int | None = None) -> float:
    """The book's λ for a ``value`` written in ``convention``: the inverse of :func:`from_book`.

    >>> to_book(0.015, "keras_l2", m=100), to_book(0.25, "sklearn_logreg")
    (3.0, 4.0)
    """
    key, m, lr, B = _check_context(convention, m, lr, batch_size)
    return float(CONVENTIONS[key].to_book(value, m, lr, B))


# ------------------------------------------------- the frameworks' updates in numpy
# Flat parameter vectors: theta (n,), grad (n,) = gradient of the *data* term (mean
# over the batch), mask (n,) True on the entries a framework decays (the weights;
# l2lib.weight_mask gives it for a network). mask=None means every entry.
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


# ------------------------------------------------------- one step, both ways
def check_conversion(convention: str, lam: float = 3.0, m: int = 40, lr: float = 0.1,
                     batch_size: int = 8, rng=0) -> float:
    r"""Largest absolute difference between one step in ``convention`` (with the converted value)
    and one step of the book, on a small random 3–4–1 network and ``batch_size`` of ``m`` examples.

    What is compared depends on the convention:

    * ``torch_sgd``, ``torch_adam``: two steps with momentum / Adam state, book side
      SGD-with-momentum resp. Adam on the book's gradient (:func:`l2lib.cost_and_grads`);
    * ``torch_adamw``: the decay part only, (AdamW(wd) − AdamW(0)) against
      (book(λ) − book(0));
    * ``sklearn_mlp_lbfgs``: a full-batch step (n = m);
    * ``sklearn_logreg``: the book's gradient (λ = 1/C) at scikit-learn's
      minimizer of a logistic regression — zero when the minimizers coincide;
    * every other key: one minibatch step.
    """
    from ._validate import check_rng
    from .network import flatten, init_params, unflatten, weight_mask
    from .penalty import cost_and_grads

    key, m, lr, B = _check_context(convention, m, lr, batch_size)
    B = check_int("batch_size", batch_size, 1, m)
    lam = check_lam(lam)
    rng = check_rng(rng)
    X = rng.normal(size=(m, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=m) > 0).astype(int)
    value = from_book(lam, key, m=m, lr=lr, batch_size=B)
    if key == "sklearn_logreg":
        if lam == 0:
            raise ValueError(_msg("lam", "positive for 'sklearn_logreg' (C = 1/λ must be finite)", lam))
        w, b = logreg_C_minimizer(X, y, value)
        _, g = cost_and_grads([(w[:, None], np.array([b]))], X, y, lam, output="sigmoid")
        return float(np.max(np.abs(flatten(g))))
    params = init_params([3, 4, 1], rng=rng)
    theta, mask = flatten(params), weight_mask(params)
    n = m if key == "sklearn_mlp_lbfgs" else B
    Xb, yb = X[:n], y[:n]

    def grads(th, lam_):                                # data (+ book penalty) gradient, flat
        return flatten(cost_and_grads(unflatten(th, params), Xb, yb, lam_, m=m)[1])

    g = grads(theta, 0.0)
    book = theta - lr * grads(theta, lam)               # l2lib's own regularized gradient
    if key == "torch_sgd":
        t1, buf = torch_sgd_step(theta, g, lr, value, mask, momentum=0.9)
        t2, _ = torch_sgd_step(t1, grads(t1, 0.0), lr, value, mask, momentum=0.9, buf=buf)
        v1 = grads(theta, lam)
        b1 = theta - lr * v1
        b2 = b1 - lr * (0.9 * v1 + grads(b1, lam))      # heavy ball on the book's cost
        return float(np.max(np.abs(t2 - b2)))
    if key in ("torch_adam", "torch_adamw"):
        if key == "torch_adamw":
            a_wd, _ = torch_adam_step(theta, g, None, lr, value, True, mask)
            a_0, _ = torch_adam_step(theta, g, None, lr, 0.0, True, mask)
            return float(np.max(np.abs((a_wd - a_0) - (book - (theta - lr * g)))))
        t1, s1 = torch_adam_step(theta, g, None, lr, value, False, mask)
        t2, _ = torch_adam_step(t1, grads(t1, 0.0), s1, lr, value, False, mask)
        b1, r1 = torch_adam_step(theta, grads(theta, lam), None, lr)
        b2, _ = torch_adam_step(b1, grads(b1, lam), r1, lr)
        return float(np.max(np.abs(t2 - b2)))
    step = {"book": lambda: book_step(theta, g, value, m, lr, mask),
            "d2l": lambda: d2l_sgd_step(theta, g, lr, value, mask),
            "keras_l2": lambda: keras_sgd_step(theta, g, lr, value, mask),
            "sklearn_mlp_sgd": lambda: sklearn_mlp_sgd_step(theta, g, lr, value, n, mask),
            "sklearn_mlp_lbfgs": lambda: sklearn_mlp_sgd_step(theta, g, lr, value, n, mask),
            "decoupled": lambda: decoupled_step(theta, g, lr, value, mask)}[key]()
    return float(np.max(np.abs(step - book)))


# ------------------------------------------------------------------- the table
def fmt4(v: float) -> str:
    """Four significant digits, ``∞`` for infinity; the JavaScript of the converter formats the same way.

    >>> [fmt4(v) for v in (0.03, 1234.5678, 3.16e-05, 0.0, float("inf"))]
    ['0.03', '1235', '3.16e-5', '0', '∞']
    """
    v = float(v)
    if math.isinf(v):
        return "∞"
    if v == 0:
        return "0"
    if 1e-4 <= abs(v) < 1e4:
        return repr(float(f"{v:.4g}")).removesuffix(".0")
    mant, exp = f"{v:.3e}".split("e")
    return f"{mant.rstrip('0').rstrip('.')}e{int(exp)}"


class ConversionTable(NamedTuple):
    """Rows of :func:`conversion_table`; shows as an HTML table in a notebook and as text elsewhere."""
    lam: float
    m: int
    lr: float
    batch_size: int
    rows: list

    def _text(self, checks: bool = True) -> str:
        head = f"book λ = {fmt4(self.lam)}, m = {self.m}, η = {fmt4(self.lr)}, B = {self.batch_size}"
        cols = ["where", "parameter", "formula", "value"] + (["checked on", "result"] if checks else [])
        width = [32, 13, 7, 8, 24, 12]
        lines = [head, "  ".join(c.ljust(w) for c, w in zip(cols, width)).rstrip()]
        for r in self.rows:
            cells = [r["where"], r["parameter"], r["formula"], fmt4(r["value"])]
            cells += [r["checked_on"], r["check"]] if checks else []
            lines.append("  ".join(str(c).ljust(w) for c, w in zip(cells, width)).rstrip())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self._text()

    def _repr_html_(self) -> str:
        e = _html.escape
        checks = any(r["checked_on"] for r in self.rows)
        extra = lambda r: f"<td>{e(r['checked_on'])}</td><td>{e(r['check'])}</td>" if checks else ""  # noqa: E731
        body = "".join(f"<tr><th scope='row'>{e(r['where'])}</th><td><code>{e(r['parameter'])}</code></td>"
                       f"<td>{e(r['formula'])}</td><td>{e(fmt4(r['value']))}</td>{extra(r)}</tr>" for r in self.rows)
        head = "".join(f"<th scope='col'>{c}</th>" for c in ["where", "parameter", "formula", "value"]
                       + (["checked on", "against the book"] if checks else []))
        return (f"<table class='l2-conv-table'><caption>The book's λ = {e(fmt4(self.lam))} with m = {self.m}, "
                f"η = {e(fmt4(self.lr))}, B = {self.batch_size}, in every convention</caption>"
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def conversion_table(lam: float, m: int, lr: float, batch_size: int, check: bool = True) -> ConversionTable:
    r"""The book's λ in every convention of :data:`CONVENTIONS`, with the proof column.

    Each row holds ``key``, ``where``, ``parameter``, ``formula``, ``value`` (from
    :func:`from_book`), ``checked_on`` (what :func:`check_conversion` compares)
    and ``check``: ``"equal"`` when the converted computation equals the book's
    to within 1e-12, otherwise ``"differs: <size>"`` (``"—"`` for the book's own
    row or with ``check=False``). The comparison runs on the small test problem of
    :func:`check_conversion` with this λ, η and B (and m = max(m_small, B)).
    """
    lam = check_lam(lam)
    m = check_int("m", m)
    lr = check_positive("lr", lr)
    batch_size = check_int("batch_size", batch_size, 1, m)
    rows = []
    for key, c in CONVENTIONS.items():
        value = from_book(lam, key, m=m, lr=lr, batch_size=batch_size)
        mark = "—"
        if check and key != "book" and not (key == "sklearn_logreg" and lam == 0):
            diff = check_conversion(key, lam=lam, m=max(40, batch_size), lr=lr, batch_size=batch_size)
            mark = "equal" if diff < 1e-12 else f"differs: {diff:.1e}"
        rows.append({"key": key, "where": c.where, "parameter": c.parameter, "formula": c.formula,
                     "value": value, "checked_on": c.check if check else "", "check": mark, "note": c.note})
    return ConversionTable(lam, m, lr, batch_size, rows)


# ------------------------------------------------------------ the live converter
_INPUTS = (("lam", "λ (this book)", "0", "any"), ("m", "m (training examples)", "1", "1"),
           ("lr", "η (learning rate)", "0", "any"), ("B", "B (minibatch size)", "1", "1"))

# The converter's script, shipped as package data; %(formulas)s is replaced by the JS formulas.
_CONV_JS = resources.files(__package__).joinpath("static/converter.js").read_text(encoding="utf-8")


class Converter:
    """Enter λ, m, η and B; read every framework's value. See :func:`converter`."""

    def __init__(self, lam: float, m: int, lr: float, batch_size: int):
        self.lam = check_lam(lam)
        self.m = check_int("m", m)
        self.lr = check_positive("lr", lr)
        self.batch_size = check_int("batch_size", batch_size, 1, self.m)
        self._widget = None

    def values(self) -> dict[str, float]:
        """Every convention's value for the current inputs, by key."""
        return {k: from_book(self.lam, k, m=self.m, lr=self.lr, batch_size=self.batch_size) for k in CONVENTIONS}

    def __repr__(self) -> str:
        return conversion_table(self.lam, self.m, self.lr, self.batch_size, check=False)._text(checks=False)

    def html(self) -> str:
        """Self-contained HTML: labelled inputs, a table of outputs and inline JavaScript, no outside requests.

        The root element has class ``l2-converter``; inputs carry ``data-l2-input``
        (``lam``, ``m``, ``lr``, ``B``) and output cells ``data-l2-output`` (the
        convention keys). The script recomputes every :attr:`Convention.js` formula
        in the browser on each input.
        """
        e = _html.escape
        start = {"lam": self.lam, "m": self.m, "lr": self.lr, "B": self.batch_size}
        fields = "".join(
            f'<label style="margin-right:1em">{e(text)} <input type="number" data-l2-input="{k}" '
            f'value="{e(fmt4(start[k]))}" min="{lo}" step="{step}" style="width:7em"></label>'
            for k, text, lo, step in _INPUTS)
        vals = self.values()
        rows = "".join(f"<tr><th scope='row'>{e(c.where)}</th><td><code>{e(c.parameter)}</code></td>"
                       f"<td>{e(c.formula)}</td><td data-l2-output='{k}'>{e(fmt4(vals[k]))}</td></tr>"
                       for k, c in CONVENTIONS.items())
        formulas = "{" + ",".join(f"{json.dumps(k)}:function(lam,m,lr,B){{return {c.js};}}"
                                  for k, c in CONVENTIONS.items()) + "}"
        return (f'<div class="l2-converter"><div class="l2-conv-inputs">{fields}</div>'
                f'<table class="l2-conv-table"><caption>The same L2 strength in every convention</caption>'
                f"<thead><tr><th scope='col'>where</th><th scope='col'>parameter</th><th scope='col'>formula</th>"
                f"<th scope='col'>value</th></tr></thead><tbody>{rows}</tbody></table>"
                f'<p class="l2-conv-status" role="status" aria-live="polite"></p>'
                f"<script>{_CONV_JS % {'formulas': formulas}}</script></div>")

    def widget(self):
        """The ipywidgets version: four number boxes and an HTML table recomputed in Python on every change."""
        if self._widget is not None:
            return self._widget
        import ipywidgets as w

        boxes = {"lam": w.BoundedFloatText(value=self.lam, min=0.0, max=1e12, description="λ"),
                 "m": w.BoundedIntText(value=self.m, min=1, max=10**9, description="m"),
                 "lr": w.BoundedFloatText(value=self.lr, min=1e-12, max=1e6, description="η"),
                 "B": w.BoundedIntText(value=self.batch_size, min=1, max=10**9, description="B")}
        out = w.HTML(conversion_table(self.lam, self.m, self.lr, self.batch_size, check=False)._repr_html_())

        def update(_change=None) -> None:
            try:
                t = conversion_table(boxes["lam"].value, boxes["m"].value, boxes["lr"].value, boxes["B"].value,
                                     check=False)
                out.value = t._repr_html_()
            except (TypeError, ValueError) as err:
                out.value = f"<p role='status'>{_html.escape(str(err))}</p>"

        for b in boxes.values():
            b.observe(update, names="value")
        self._widget = w.VBox([w.HBox(list(boxes.values())), out])
        return self._widget

    def _repr_mimebundle_(self, include=None, exclude=None):
        from .slider import in_kernel

        bundle = {"text/plain": repr(self), "text/html": self.html()}
        if in_kernel():
            bundle.update(self.widget()._repr_mimebundle_())
            bundle["text/plain"] = repr(self)
        return bundle


def converter(lam: float = 1.0, m: int = 100, lr: float = 0.1, batch_size: int = 32) -> Converter:
    """A live converter: number boxes for λ, m, η and B and a table of every framework's value.

    In a Jupyter kernel it is an ipywidgets form computed by :func:`from_book`; on
    a static page (and in the stored notebook) it is self-contained HTML whose
    inline JavaScript evaluates the same formulas (:attr:`Convention.js`).
    """
    return Converter(lam, m, lr, batch_size)
