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
key. :func:`check_conversion` shows, for each convention, that one step with
the converted value equals one step of the book, using the frameworks' update
rules re-implemented in :mod:`l2lib.frameworks`; :func:`conversion_table`
collects the values and the checks. The live converter is :mod:`l2lib.converter`.

Keys: ``book``, ``d2l``, ``torch_sgd``, ``torch_adam``, ``torch_adamw``,
``keras_l2``, ``sklearn_mlp_sgd``, ``sklearn_mlp_lbfgs``, ``sklearn_logreg``,
``decoupled``.
"""
from __future__ import annotations

import math
from html import escape
from typing import Callable, NamedTuple

import numpy as np

from ._validate import msg, check_choice, check_int, check_lam, check_positive, check_real, check_rng
from . import frameworks

__all__ = ["d2l_lambda", "torch_sgd_weight_decay", "torch_adam_weight_decay", "torch_adamw_weight_decay",
           "keras_l2", "sklearn_mlp_alpha", "sklearn_logreg_C", "decoupled_decay", "Convention",
           "CONVENTIONS", "from_book", "to_book", "check_conversion", "fmt4", "ConversionTable",
           "conversion_table"]



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
            raise ValueError(msg("lam", "positive for 'sklearn_logreg' (C = 1/λ must be finite)", lam))
        w, b = frameworks.logreg_C_minimizer(X, y, value)
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
        t1, buf = frameworks.torch_sgd_step(theta, g, lr, value, mask, momentum=0.9)
        t2, _ = frameworks.torch_sgd_step(t1, grads(t1, 0.0), lr, value, mask, momentum=0.9, buf=buf)
        v1 = grads(theta, lam)
        b1 = theta - lr * v1
        b2 = b1 - lr * (0.9 * v1 + grads(b1, lam))      # heavy ball on the book's cost
        return float(np.max(np.abs(t2 - b2)))
    if key in ("torch_adam", "torch_adamw"):
        if key == "torch_adamw":
            a_wd, _ = frameworks.torch_adam_step(theta, g, None, lr, value, True, mask)
            a_0, _ = frameworks.torch_adam_step(theta, g, None, lr, 0.0, True, mask)
            return float(np.max(np.abs((a_wd - a_0) - (book - (theta - lr * g)))))
        t1, s1 = frameworks.torch_adam_step(theta, g, None, lr, value, False, mask)
        t2, _ = frameworks.torch_adam_step(t1, grads(t1, 0.0), s1, lr, value, False, mask)
        b1, r1 = frameworks.torch_adam_step(theta, grads(theta, lam), None, lr)
        b2, _ = frameworks.torch_adam_step(b1, grads(b1, lam), r1, lr)
        return float(np.max(np.abs(t2 - b2)))
    step = {"book": lambda: frameworks.book_step(theta, g, value, m, lr, mask),
            "d2l": lambda: frameworks.d2l_sgd_step(theta, g, lr, value, mask),
            "keras_l2": lambda: frameworks.keras_sgd_step(theta, g, lr, value, mask),
            "sklearn_mlp_sgd": lambda: frameworks.sklearn_mlp_sgd_step(theta, g, lr, value, n, mask),
            "sklearn_mlp_lbfgs": lambda: frameworks.sklearn_mlp_sgd_step(theta, g, lr, value, n, mask),
            "decoupled": lambda: frameworks.decoupled_step(theta, g, lr, value, mask)}[key]()
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

    def text(self, checks: bool = True) -> str:
        """The table as fixed-width text, with or without the two columns of the check."""
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
        return self.text()

    def html(self) -> str:
        """The table as an HTML ``<table>`` with a caption; the check columns only when the rows have checks."""
        e = escape
        checks = any(r["checked_on"] for r in self.rows)
        extra = lambda r: f"<td>{e(r['checked_on'])}</td><td>{e(r['check'])}</td>" if checks else ""  # noqa: E731
        body = "".join(f"<tr><th scope='row'>{e(r['where'])}</th><td><code>{e(r['parameter'])}</code></td>"
                       f"<td>{e(r['formula'])}</td><td>{e(fmt4(r['value']))}</td>{extra(r)}</tr>" for r in self.rows)
        head = "".join(f"<th scope='col'>{c}</th>" for c in ["where", "parameter", "formula", "value"]
                       + (["checked on", "against the book"] if checks else []))
        return (f"<table class='l2-conv-table'><caption>The book's λ = {e(fmt4(self.lam))} with m = {self.m}, "
                f"η = {e(fmt4(self.lr))}, B = {self.batch_size}, in every convention</caption>"
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")

    def _repr_html_(self) -> str:
        return self.html()


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
