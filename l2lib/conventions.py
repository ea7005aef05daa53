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
key. The conventions come in two kinds (:data:`KINDS`):

* ``"l2"`` — the penalty is in the cost or in the gradient the optimizer sees
  (coupled): with the converted value the library minimizes the book's cost,
  whatever the optimizer;
* ``"decay"`` — the library shrinks the weights beside the optimizer's step
  (decoupled: PyTorch ``AdamW``, Keras 3 optimizers' ``weight_decay``, Optax
  ``adamw``, the "simplified" fraction ``d``): the converted value gives the
  book's decay *per step*, and the book's step under plain SGD, but it is not
  L2 regularization once the optimizer has momentum or adaptive steps
  (Chapter 4).

:func:`check_conversion` shows, for each convention, that one step with the
converted value equals one step of the book (for a ``"decay"`` convention: the
decay part of a step), using the frameworks' update rules re-implemented in
:mod:`l2lib.frameworks`; :func:`l2_gap` shows that a ``"decay"`` convention
still differs from L2 in its own optimizer. :func:`conversion_table` collects
the values and both checks. The live converter is :mod:`l2lib.converter`.

Keys, ``"l2"``: ``book``, ``d2l``, ``torch_sgd``, ``torch_adam``, ``keras_l2``,
``optax_l2``, ``playground``, ``sklearn_mlp_sgd``, ``sklearn_mlp_lbfgs``,
``sklearn_logreg``, ``sklearn_logreg_liblinear``; ``"decay"``: ``torch_adamw``,
``keras_wd``, ``optax_adamw``, ``decoupled``.
"""
from __future__ import annotations

import math
from html import escape
from typing import Callable, NamedTuple

import numpy as np

from ._validate import msg, check_choice, check_int, check_lam, check_positive, check_real, check_rng
from . import frameworks

__all__ = ["d2l_lambda", "torch_sgd_weight_decay", "torch_adam_weight_decay", "torch_adamw_weight_decay",
           "keras_l2", "keras_weight_decay", "optax_weight_decay", "playground_rate", "sklearn_mlp_alpha",
           "sklearn_logreg_C", "decoupled_decay", "KINDS", "Convention", "CONVENTIONS", "from_book", "to_book",
           "check_conversion", "l2_gap", "fmt4", "ConversionTable", "conversion_table"]



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
    r"""``torch.optim.AdamW(lr=η, weight_decay=wd)``: :math:`wd = \lambda/m` for the same decay per step — not L2.

    AdamW first shrinks :math:`\theta \leftarrow \theta - \eta\,wd\,\theta`, then
    takes the Adam step on the *data* gradient only. The shrink equals the
    book's :math:`\eta(\lambda/m)\theta` when :math:`wd = \lambda/m`. That is all
    the two share: the data part is Adam's, and no L2 coefficient makes Adam
    reproduce decoupled decay (Loshchilov & Hutter, 2019; Chapter 4), so AdamW
    does not minimize the book's cost for any λ. Default ``weight_decay=0.01``,
    applied to every parameter of the group. Source: PyTorch documentation of
    ``torch.optim.AdamW``.

    >>> torch_adamw_weight_decay(3.0, 100)
    0.03
    """
    return check_lam(lam) / check_int("m", m)


def keras_l2(lam: float, m: int) -> float:
    r"""``keras.regularizers.L2(l2)``: :math:`l_2 = \lambda/(2m)`.

    Keras adds :math:`l_2\sum w^2` (no ½, no :math:`1/m`) to the mean loss; its
    gradient :math:`2 l_2 w` equals :math:`(\lambda/m) w` when
    :math:`l_2 = \lambda/(2m)`. Attach it as ``kernel_regularizer`` only (the
    default ``bias_regularizer=None`` leaves biases alone). This is the
    *regularizer*, a term of the loss; the optimizers' ``weight_decay`` is a
    different, decoupled thing (:func:`keras_weight_decay`). Source: Keras
    documentation, "Layer weight regularizers".

    >>> keras_l2(3.0, 100)
    0.015
    """
    return check_lam(lam) / (2 * check_int("m", m))


def keras_weight_decay(lam: float, m: int) -> float:
    r"""Keras 3 optimizers' ``weight_decay=wd`` (``SGD``, ``Adam``, ``AdamW``, …): :math:`wd = \lambda/m` for the same decay per step.

    Keras 3 shrinks :math:`\theta \leftarrow \theta - \theta\cdot wd\cdot\eta` before
    the optimizer's update, outside the gradient (``BaseOptimizer._apply_weight_decay``),
    on *every* trainable variable — biases included — unless excluded with
    ``optimizer.exclude_from_weight_decay(var_names=["bias"])``. The shrink is the
    book's :math:`\eta(\lambda/m)\theta` for :math:`wd = \lambda/m`, and with plain
    ``SGD`` (no momentum) the whole step is the book's. With momentum or Adam it
    is decoupled decay, not L2 — the opposite of PyTorch, whose ``SGD`` and
    ``Adam`` ``weight_decay`` are coupled. Defaults: ``None`` (off), ``AdamW``
    0.004. Source: ``keras/src/optimizers/base_optimizer.py`` (Keras 3).

    >>> keras_weight_decay(3.0, 100)
    0.03
    """
    return check_lam(lam) / check_int("m", m)


def optax_weight_decay(lam: float, m: int) -> float:
    r"""Optax's ``weight_decay`` of ``add_decayed_weights`` and ``adamw``: :math:`wd = \lambda/m`.

    ``add_decayed_weights(wd)`` adds :math:`wd\,\theta` to the update it is given.
    Chained *before* the optimizer (``chain(add_decayed_weights(wd), sgd(η))``)
    that is the L2 gradient, coupled, as in PyTorch's ``SGD``; in ``adamw`` it
    comes *after* ``scale_by_adam`` and before the :math:`-\eta` scaling, so it is
    decoupled decay :math:`\eta\,wd\,\theta` per step, as in PyTorch's ``AdamW``
    (default ``weight_decay=1e-4``). Either way :math:`wd = \lambda/m`, and
    ``mask`` (default: every parameter) should leave out the biases. Source:
    ``optax/transforms/_adding.py``, ``optax/_src/alias.py`` (``adamw``).

    >>> optax_weight_decay(3.0, 100)
    0.03
    """
    return check_lam(lam) / check_int("m", m)


def playground_rate(lam: float, m: int) -> float:
    r"""TensorFlow Playground's "Regularization rate" :math:`r` (with Regularization: L2): :math:`r = \lambda/m`.

    After each minibatch the Playground takes the mean-gradient step and then
    :math:`w \leftarrow w - \eta\,r\,w_{\text{old}}` (``updateWeights`` in
    ``src/nn.ts``: not divided by the batch size, biases never decayed). With
    its plain SGD that is gradient descent on the mean loss plus
    :math:`\frac r2\sum w^2`, the book's cost for :math:`r = \lambda/m`. The
    loss it displays leaves the penalty out. Source: ``src/nn.ts``,
    ``src/playground.ts``.

    >>> playground_rate(3.0, 100)
    0.03
    """
    return check_lam(lam) / check_int("m", m)


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
    factor does not move the minimizer. That holds when the intercept is not
    penalized: with ``solver="lbfgs"`` (the default), ``newton-cg``,
    ``newton-cholesky``, ``sag`` and ``saga``. ``solver="liblinear"`` fits the
    intercept as the weight of a synthetic feature of value
    :math:`s` = ``intercept_scaling`` (default 1) and penalizes it like the
    others, adding :math:`\frac{\lambda}{2m}(b/s)^2` to the book's cost: the
    same λ for the weights, plus a penalty on :math:`b` that no choice of
    ``C`` removes (raise ``intercept_scaling`` to weaken it). Source:
    scikit-learn API documentation of ``LogisticRegression`` (``C``,
    ``intercept_scaling``) and User Guide, "Logistic regression".

    >>> sklearn_logreg_C(4.0), sklearn_logreg_C(0.0)
    (0.25, inf)
    """
    lam = check_lam(lam)
    return math.inf if lam == 0 else 1.0 / lam


def decoupled_decay(lam: float, m: int, lr: float) -> float:
    r"""The fraction :math:`d` of the "simplified" update :math:`w \leftarrow w - \eta\,\partial D/\partial w - d\,w`: :math:`d = \eta\lambda/m`.

    Take the plain step, then subtract a fraction :math:`d` of the weight
    (McCaffrey's simplified implementation). Chapter 4 proves that it equals
    the book's step exactly when :math:`d = \eta\lambda/m` (plain gradient
    descent), so :math:`d` silently depends on the learning rate and on
    :math:`m`: halve η and the same :math:`d` doubles the penalty. With
    momentum the same fraction is decoupled decay (SGDW), not L2.

    >>> decoupled_decay(3.0, 100, 0.5)
    0.015
    """
    return check_positive("lr", lr) * check_lam(lam) / check_int("m", m)


# ------------------------------------------------------------- the registry
KINDS: dict[str, str] = {
    "l2": "Same cost: the book's L2 penalty, in the loss or in the gradient the optimizer sees",
    "decay": "Same decay per step, not L2: a shrink beside the optimizer's step (decoupled)",
}


class Convention(NamedTuple):
    """One way of writing the L2 strength: where it is used and how it maps to the book's λ.

    ``from_book(lam, m, lr, B)`` and ``to_book(value, m, lr, B)`` are inverse
    to each other; ``js`` is the same ``from_book`` formula as a JavaScript
    expression in ``lam, m, lr, B`` (used by the converter widget on the website).
    ``kind`` is a key of :data:`KINDS`; ``check`` says what :func:`check_conversion`
    compares, ``vs_l2`` what :func:`l2_gap` compares (``"decay"`` conventions only).
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
    kind: str = "l2"
    vs_l2: str = ""


def _inv_C(c: float, m: int, lr: float, B: int) -> float:
    c = check_real("value", c, 0.0, low_open=True) if not (isinstance(c, float) and math.isinf(c)) else c
    return 0.0 if math.isinf(c) else 1.0 / c


def _times_m(v, m, lr, B):
    return check_lam(v, "value") * m


CONVENTIONS: dict[str, Convention] = {c.key: c for c in [
    Convention("book", "this book; Ng; Nielsen", "λ", "λ", "lam",
               lambda lam, m, lr, B: check_lam(lam), lambda v, m, lr, B: check_lam(v, "value"), (),
               "penalty (λ/2m)·Σ‖W‖² on the mean loss", "—"),
    Convention("d2l", "Dive into Deep Learning", "λ (wd)", "λ/m", "lam / m",
               lambda lam, m, lr, B: d2l_lambda(lam, m), _times_m, ("m",), "(λ/2)·‖w‖² on the mean loss"),
    Convention("torch_sgd", "PyTorch SGD", "weight_decay", "λ/m", "lam / m",
               lambda lam, m, lr, B: torch_sgd_weight_decay(lam, m), _times_m,
               ("m",), "g + wd·θ; biases in a group with weight_decay=0", "two steps, momentum 0.9"),
    Convention("torch_adam", "PyTorch Adam", "weight_decay", "λ/m", "lam / m",
               lambda lam, m, lr, B: torch_adam_weight_decay(lam, m), _times_m,
               ("m",), "coupled: g + wd·θ, then Adam — Adam on the book's cost", "two Adam steps"),
    Convention("keras_l2", "Keras regularizers.L2", "l2", "λ/(2m)", "lam / (2 * m)",
               lambda lam, m, lr, B: keras_l2(lam, m), lambda v, m, lr, B: 2 * check_lam(v, "value") * m, ("m",),
               "l2·Σw² on the mean loss (no ½); kernel_regularizer only"),
    Convention("optax_l2", "Optax add_decayed_weights, then sgd", "weight_decay", "λ/m", "lam / m",
               lambda lam, m, lr, B: optax_weight_decay(lam, m), _times_m, ("m",),
               "chain(add_decayed_weights(wd, mask), sgd(η, momentum)): g + wd·θ before the optimizer",
               "two steps, momentum 0.9"),
    Convention("playground", "TensorFlow Playground (L2)", "regularization rate", "λ/m", "lam / m",
               lambda lam, m, lr, B: playground_rate(lam, m), _times_m, ("m",),
               "w − η·g − η·r·w per minibatch, plain SGD; biases never; shown loss has no penalty"),
    Convention("sklearn_mlp_sgd", "scikit-learn MLP, sgd/adam", "alpha", "λ·B/m", "lam * B / m",
               lambda lam, m, lr, B: sklearn_mlp_alpha(lam, m, B), lambda v, m, lr, B: check_lam(v, "value") * m / B,
               ("m", "batch_size"), "(α/2n)·Σ‖W‖² per batch of n = B samples; default B = min(200, m)"),
    Convention("sklearn_mlp_lbfgs", "scikit-learn MLP, lbfgs", "alpha", "λ", "lam",
               lambda lam, m, lr, B: sklearn_mlp_alpha(lam, m, m), lambda v, m, lr, B: check_lam(v, "value"), ("m",),
               "(α/2n)·Σ‖W‖² with n = m, the whole training set", "one full-batch step"),
    Convention("sklearn_logreg", "scikit-learn LogisticRegression", "C", "1/λ", "1 / lam",
               lambda lam, m, lr, B: sklearn_logreg_C(lam), _inv_C, (),
               "½‖w‖² + C·ΣL, intercept free (lbfgs, newton-cg, newton-cholesky, sag, saga)", "minimizer"),
    Convention("sklearn_logreg_liblinear", "LogisticRegression liblinear, b penalized", "C", "1/λ", "1 / lam",
               lambda lam, m, lr, B: sklearn_logreg_C(lam), _inv_C, (),
               "also penalizes the intercept: + (λ/2m)(b/s)², s = intercept_scaling", "minimizer"),
    Convention("torch_adamw", "PyTorch AdamW", "weight_decay", "λ/m", "lam / m",
               lambda lam, m, lr, B: torch_adamw_weight_decay(lam, m), _times_m,
               ("m",), "θ − η·wd·θ, then Adam on the data gradient: same decay per step, not the same cost",
               "decay term of a step", "decay", "two Adam steps"),
    Convention("keras_wd", "Keras 3 optimizers (SGD, Adam, AdamW)", "weight_decay", "λ/m", "lam / m",
               lambda lam, m, lr, B: keras_weight_decay(lam, m), _times_m, ("m",),
               "θ − η·wd·θ before the step, every variable unless exclude_from_weight_decay",
               "one plain SGD step", "decay", "two Adam steps"),
    Convention("optax_adamw", "Optax adamw", "weight_decay", "λ/m", "lam / m",
               lambda lam, m, lr, B: optax_weight_decay(lam, m), _times_m, ("m",),
               "Adam's update + wd·θ, times −η: decoupled; mask=None decays every parameter",
               "decay term of a step", "decay", "two Adam steps"),
    Convention("decoupled", "decoupled decay after the step", "d", "η·λ/m", "lr * lam / m",
               lambda lam, m, lr, B: decoupled_decay(lam, m, lr), lambda v, m, lr, B: check_lam(v, "value") * m / lr,
               ("m", "lr"), "w − η·∂D/∂w − d·w (Chapter 4); with momentum: SGDW", "one minibatch step", "decay",
               "two steps, momentum 0.9"),
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


# ------------------------------------------------------- one step, both ways
def _problem(key: str, m: int, batch_size: int, rng):
    """The small test problem of :func:`check_conversion` and :func:`l2_gap`: data, a 3–4–1 network, its minibatch."""
    from .network import init_params

    X = rng.normal(size=(m, 3))
    offset = 1.0 if key.startswith("sklearn_logreg") else 0.0     # an intercept that matters
    y = (X[:, 0] + 0.5 * rng.normal(size=m) + offset > 0).astype(int)
    return X, y, init_params([3, 4, 1], rng=rng)


def check_conversion(convention: str, lam: float = 3.0, m: int = 40, lr: float = 0.1,
                     batch_size: int = 8, rng=0) -> float:
    r"""Largest absolute difference between one step in ``convention`` (with the converted value)
    and one step of the book, on a small random 3–4–1 network and ``batch_size`` of ``m`` examples.

    What is compared depends on the convention (:attr:`Convention.check`):

    * ``torch_sgd``, ``optax_l2``, ``torch_adam``: two steps with momentum 0.9 /
      Adam state, book side heavy-ball momentum resp. Adam on the book's gradient
      (:func:`l2lib.cost_and_grads`);
    * ``torch_adamw``, ``optax_adamw``: the decay part only, (step(wd) − step(0))
      against (book(λ) − book(0));
    * ``keras_wd``: one step of Keras 3's plain ``SGD(weight_decay=wd)``;
    * ``sklearn_mlp_lbfgs``: a full-batch step (n = m);
    * ``sklearn_logreg``, ``sklearn_logreg_liblinear``: the book's gradient (λ = 1/C)
      at scikit-learn's minimizer of a logistic regression — zero when the
      minimizers coincide, not zero for liblinear (its intercept is penalized);
    * every other key: one minibatch step.
    """
    from .network import flatten, unflatten, weight_mask
    from .penalty import cost_and_grads

    key, m, lr, B = _check_context(convention, m, lr, batch_size)
    B = check_int("batch_size", batch_size, 1, m)
    lam = check_lam(lam)
    X, y, params = _problem(key, m, B, check_rng(rng))
    value = from_book(lam, key, m=m, lr=lr, batch_size=B)
    if key.startswith("sklearn_logreg"):
        if lam == 0:
            raise ValueError(msg("lam", f"positive for {key!r} (C = 1/λ must be finite)", lam))
        scaling = 1.0 if key == "sklearn_logreg_liblinear" else None     # liblinear's default intercept_scaling
        w, b = frameworks.logreg_C_minimizer(X, y, value, intercept_scaling=scaling)
        _, g = cost_and_grads([(w[:, None], np.array([b]))], X, y, lam, output="sigmoid")
        return float(np.max(np.abs(flatten(g))))
    theta, mask = flatten(params), weight_mask(params)
    n = m if key == "sklearn_mlp_lbfgs" else B
    Xb, yb = X[:n], y[:n]

    def grads(th, lam_):                                # data (+ book penalty) gradient, flat
        return flatten(cost_and_grads(unflatten(th, params), Xb, yb, lam_, m=m)[1])

    g = grads(theta, 0.0)
    book = theta - lr * grads(theta, lam)               # l2lib's own regularized gradient
    if key in ("torch_sgd", "optax_l2"):
        step = {"torch_sgd": lambda th, gr, b: frameworks.torch_sgd_step(th, gr, lr, value, mask, momentum=0.9, buf=b),
                "optax_l2": lambda th, gr, b: frameworks.optax_sgd_step(th, gr, lr, value, mask, momentum=0.9,
                                                                       trace=b)}[key]
        t1, buf = step(theta, g, None)
        t2, _ = step(t1, grads(t1, 0.0), buf)
        v1 = grads(theta, lam)
        b1 = theta - lr * v1
        b2 = b1 - lr * (0.9 * v1 + grads(b1, lam))      # heavy ball on the book's cost
        return float(np.max(np.abs(t2 - b2)))
    if key in ("torch_adamw", "optax_adamw"):
        step = {"torch_adamw": lambda wd: frameworks.torch_adam_step(theta, g, None, lr, wd, True, mask)[0],
                "optax_adamw": lambda wd: frameworks.optax_adamw_step(theta, g, None, lr, wd, mask)[0]}[key]
        return float(np.max(np.abs((step(value) - step(0.0)) - (book - (theta - lr * g)))))
    if key == "torch_adam":
        t1, s1 = frameworks.torch_adam_step(theta, g, None, lr, value, False, mask)
        t2, _ = frameworks.torch_adam_step(t1, grads(t1, 0.0), s1, lr, value, False, mask)
        b1, r1 = frameworks.torch_adam_step(theta, grads(theta, lam), None, lr)
        b2, _ = frameworks.torch_adam_step(b1, grads(b1, lam), r1, lr)
        return float(np.max(np.abs(t2 - b2)))
    step = {"book": lambda: frameworks.book_step(theta, g, value, m, lr, mask),
            "d2l": lambda: frameworks.d2l_sgd_step(theta, g, lr, value, mask),
            "keras_l2": lambda: frameworks.keras_sgd_step(theta, g, lr, value, mask),
            "playground": lambda: frameworks.playground_step(theta, g, lr, value, mask),
            "sklearn_mlp_sgd": lambda: frameworks.sklearn_mlp_sgd_step(theta, g, lr, value, n, mask),
            "sklearn_mlp_lbfgs": lambda: frameworks.sklearn_mlp_sgd_step(theta, g, lr, value, n, mask),
            "keras_wd": lambda: frameworks.keras_sgd_wd_step(theta, g, lr, value, mask)[0],
            "decoupled": lambda: frameworks.decoupled_step(theta, g, lr, value, mask)}[key]()
    return float(np.max(np.abs(step - book)))


def l2_gap(convention: str, lam: float = 3.0, m: int = 40, lr: float = 0.1, batch_size: int = 8,
           rng=0) -> float:
    r"""How far a decoupled (``"decay"``) convention is from L2 in its own optimizer: the largest
    difference after two steps between the library's rule with the converted value and the
    same optimizer run on the book's cost with λ (coupled L2), on the problem of
    :func:`check_conversion`.

    ``torch_adamw``, ``keras_wd``, ``optax_adamw``: two Adam steps of the library
    (PyTorch's, Keras's, Optax's Adam) against that Adam on the book's gradient;
    ``decoupled``: two steps of heavy-ball momentum 0.9 with the fraction ``d``
    (SGDW, :func:`l2lib.optim.momentum_step` with ``d``) against the same
    momentum on the book's cost (``lam``). A few times ``1e-2`` is typical;
    the decay *per step* agrees all the same (:func:`check_conversion`).
    """
    from .network import flatten, unflatten, weight_mask
    from .optim import init_state, momentum_step
    from .penalty import cost_and_grads

    key, m, lr, B = _check_context(convention, m, lr, batch_size)
    decay_keys = tuple(k for k, c in CONVENTIONS.items() if c.kind == "decay")
    key = check_choice("convention", key, decay_keys)
    B = check_int("batch_size", batch_size, 1, m)
    lam = check_lam(lam)
    X, y, params = _problem(key, m, B, check_rng(rng))
    value = from_book(lam, key, m=m, lr=lr, batch_size=B)
    theta, mask = flatten(params), weight_mask(params)

    def data_grads(p):                                  # the data gradient as l2lib's parameter list
        return cost_and_grads(p, X[:B], y[:B], 0.0, m=m)[1]

    def grads(th, lam_):
        return flatten(cost_and_grads(unflatten(th, params), X[:B], y[:B], lam_, m=m)[1])

    if key == "decoupled":
        runs = []
        for lam_, d in ((0.0, value), (lam, 0.0)):      # SGDW with d, then momentum on the book's cost
            p, state = params, init_state(params)
            for _ in range(2):
                p, state = momentum_step(p, data_grads(p), state, lr, lam=lam_, m=m, d=d, beta=0.9)
            runs.append(flatten(p))
        return float(np.max(np.abs(runs[0] - runs[1])))
    adam = {"torch_adamw": lambda th, gr, st, wd: frameworks.torch_adam_step(th, gr, st, lr, wd, True, mask),
            "keras_wd": lambda th, gr, st, wd: frameworks.keras_adam_step(th, gr, st, lr, wd, mask),
            "optax_adamw": lambda th, gr, st, wd: frameworks.optax_adamw_step(th, gr, st, lr, wd, mask)}[key]
    runs = []
    for lam_, wd in ((0.0, value), (lam, 0.0)):         # the library's decay, then its Adam on the book's cost
        th, st = theta, None
        for _ in range(2):
            th, st = adam(th, grads(th, lam_), st, wd)
        runs.append(th)
    return float(np.max(np.abs(runs[0] - runs[1])))


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


def _mark(diff: float) -> str:
    """``"equal"`` within 1e-12 (rounding), otherwise ``"differs"``: a verdict, not digits that vary by CPU."""
    return "equal" if diff < 1e-12 else "differs"


class ConversionTable(NamedTuple):
    """Rows of :func:`conversion_table`; shows as an HTML table in a notebook and as text elsewhere.

    The rows come in the order of :data:`CONVENTIONS`, grouped by ``kind``: first
    the conventions with the book's cost, then, under their own heading, the
    decoupled ones that share only the decay per step.
    """
    lam: float
    m: int
    lr: float
    batch_size: int
    rows: list

    def groups(self) -> list[tuple[str, list]]:
        """``[(heading, rows), ...]`` in the order of :data:`KINDS`, empty groups left out."""
        return [(KINDS[k], [r for r in self.rows if r["kind"] == k]) for k in KINDS
                if any(r["kind"] == k for r in self.rows)]

    def text(self, checks: bool = True) -> str:
        """The table as fixed-width text, one block per kind, with or without the columns of the checks."""
        head = f"book λ = {fmt4(self.lam)}, m = {self.m}, η = {fmt4(self.lr)}, B = {self.batch_size}"
        cols = ["where", "parameter", "formula", "value"]
        width = [41, 19, 7, 8, 24, 8, 24, 8]
        if checks:
            cols += ["checked on", "result", "as L2 (decay rows)", "result"]
        lines = [head, "  ".join(c.ljust(w) for c, w in zip(cols, width)).rstrip()]
        for heading, rows in self.groups():
            lines.append(f"-- {heading}")
            for r in rows:
                cells = [r["where"], r["parameter"], r["formula"], fmt4(r["value"])]
                if checks:
                    cells += [r["checked_on"], r["check"], r["vs_l2_on"] or "", r["vs_l2"] if r["vs_l2_on"] else ""]
                lines.append("  ".join(str(c).ljust(w) for c, w in zip(cells, width)).rstrip())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def html(self) -> str:
        """The table as an HTML ``<table>`` with a caption, one ``<tbody>`` per kind under a heading row;
        the check columns only when the rows have checks."""
        e = escape
        checks = any(r["checked_on"] for r in self.rows)
        cols = ["where", "parameter", "formula", "value"] + (
            ["checked on", "against the book", "as L2 in its own optimizer"] if checks else [])

        def extra(r):
            if not checks:
                return ""
            vs = f"{e(r['vs_l2_on'])}: {e(r['vs_l2'])}" if r["vs_l2_on"] else "—"
            return f"<td>{e(r['checked_on'])}</td><td>{e(r['check'])}</td><td>{vs}</td>"

        body = "".join(
            f"<tbody><tr><th scope='colgroup' colspan='{len(cols)}' style='text-align:left'>{e(heading)}</th></tr>"
            + "".join(f"<tr><th scope='row'>{e(r['where'])}</th><td><code>{e(r['parameter'])}</code></td>"
                      f"<td>{e(r['formula'])}</td><td>{e(fmt4(r['value']))}</td>{extra(r)}</tr>" for r in rows)
            + "</tbody>" for heading, rows in self.groups())
        head = "".join(f"<th scope='col'>{c}</th>" for c in cols)
        return (f"<table class='l2-conv-table'><caption>The book's λ = {e(fmt4(self.lam))} with m = {self.m}, "
                f"η = {e(fmt4(self.lr))}, B = {self.batch_size}, in every convention</caption>"
                f"<thead><tr>{head}</tr></thead>{body}</table>")

    def _repr_html_(self) -> str:
        return self.html()


def conversion_table(lam: float, m: int, lr: float, batch_size: int, check: bool = True) -> ConversionTable:
    r"""The book's λ in every convention of :data:`CONVENTIONS`, with the proof columns.

    Each row holds ``key``, ``kind``, ``where``, ``parameter``, ``formula``, ``value``
    (from :func:`from_book`), ``note``, ``checked_on`` (what :func:`check_conversion`
    compares) and ``check``: ``"equal"`` when the converted computation equals
    the book's to within 1e-12, otherwise ``"differs"``, with the size in
    ``diff``; for the ``"decay"`` rows also ``vs_l2_on`` (what :func:`l2_gap`
    compares), ``vs_l2`` (``"equal"``/``"differs"``) and ``gap``. ``"—"`` and
    ``None`` for the book's own row, for C at λ = 0 and with ``check=False``.
    The comparisons run on the small test problem of :func:`check_conversion`
    with this λ, η and B (and m = max(40, B)).
    """
    lam = check_lam(lam)
    m = check_int("m", m)
    lr = check_positive("lr", lr)
    batch_size = check_int("batch_size", batch_size, 1, m)
    rows = []
    for key, c in CONVENTIONS.items():
        value = from_book(lam, key, m=m, lr=lr, batch_size=batch_size)
        mark, diff, vs, gap = "—", None, "—", None
        testable = check and key != "book" and not (key.startswith("sklearn_logreg") and lam == 0)
        if testable:
            diff = check_conversion(key, lam=lam, m=max(40, batch_size), lr=lr, batch_size=batch_size)
            mark = _mark(diff)
            if c.kind == "decay":
                gap = l2_gap(key, lam=lam, m=max(40, batch_size), lr=lr, batch_size=batch_size)
                vs = _mark(gap)
        rows.append({"key": key, "kind": c.kind, "where": c.where, "parameter": c.parameter, "formula": c.formula,
                     "value": value, "note": c.note, "checked_on": c.check if check else "", "check": mark,
                     "diff": diff, "vs_l2_on": c.vs_l2 if check else "", "vs_l2": vs, "gap": gap})
    return ConversionTable(lam, m, lr, batch_size, rows)
