r"""Update rules for the regularized cost, and a training loop that takes any of them.

The book's cost is :math:`J = J_{\text{data}} + \frac{\lambda}{2m}\sum_l\lVert W_l\rVert_F^2`
(:mod:`l2lib.penalty`). Its gradient step, rearranged, is the *weight-decay form*

.. math::

    W \leftarrow \Big(1 - \frac{\eta\lambda}{m}\Big) W - \eta\,\frac{\partial J_{\text{data}}}{\partial W},
    \qquad b \leftarrow b - \eta\,\frac{\partial J_{\text{data}}}{\partial b}.

The rules here, each a pure function that returns new arrays:

=================  ==============================================================  =========
rule               update of a weight ``W`` (data gradient ``g``)                  decay is
=================  ==============================================================  =========
``l2_step``        :math:`W \leftarrow (1-\eta\lambda/m)W - \eta g`                 coupled
``simplified_step``:math:`W \leftarrow W - \eta g - dW`                            decoupled
``momentum_step``  :math:`v \leftarrow \beta v + g + (\lambda/m)W`;
                   :math:`W \leftarrow W - \eta v - dW`                             both
``adam_step``      Adam on :math:`g + (\lambda/m)W`                                 coupled
``adamw_step``     Adam on :math:`g`, then :math:`W \leftarrow W - dW`              decoupled
=================  ==============================================================  =========

*Coupled* decay enters the gradient (and so passes through momentum or Adam's
per-weight scaling); *decoupled* decay removes the fraction ``d`` of each
weight per step, whatever the optimizer does. Under plain gradient descent the
two agree exactly when :math:`d = \eta\lambda/m`. ``d`` is a fraction per
step: PyTorch's ``AdamW(lr=lr, weight_decay=wd)`` uses :math:`d = \text{lr}\cdot\text{wd}`.

Biases are never decayed unless ``decay_biases=True`` (a demonstration of a
mistake, never the default).
"""
from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from ._validate import check_choice, check_int, check_lam, check_positive, check_real, check_rng, check_X
from .network import Params, _check_params, accuracy
from .penalty import cost, cost_and_grads, frobenius_sq

RULES = ("l2", "simplified", "momentum", "adam", "adamw")


class DecayFactorWarning(RuntimeWarning):
    """The per-step decay factor is ≤ 0: every weight flips sign at each step (and grows beyond 2)."""


class OptState(NamedTuple):
    """What momentum and Adam carry from step to step (same structure as ``params``)."""
    t: int          # steps taken so far
    first: Params   # momentum buffer v, or Adam's first moment
    second: Params  # Adam's second moment (zeros for momentum)


# ------------------------------------------------------------------ helpers
def _check_like(params: Params, grads: Params) -> None:
    _check_params(params)
    ok = (isinstance(grads, (list, tuple)) and len(grads) == len(params)
          and all(np.shape(dW) == W.shape and np.shape(db) == b.shape
                  for (W, b), (dW, db) in zip(params, grads)))
    if not ok:
        want = [(W.shape, b.shape) for W, b in params]
        try:
            got = [(np.shape(dW), np.shape(db)) for dW, db in grads]
        except (TypeError, ValueError):
            got = type(grads).__name__
        raise ValueError(f"The 'grads' parameter must hold one (dW, db) pair shaped like params {want}. "
                         f"Got {got} instead.")


def _check_state(state: OptState, params: Params) -> OptState:
    if not isinstance(state, OptState):
        raise TypeError(f"The 'state' parameter must be an OptState (from init_state(params)). "
                        f"Got {type(state).__name__} instead.")
    _check_like(params, state.first)
    _check_like(params, state.second)
    return state


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"The {name!r} parameter must be a bool. Got {value!r} instead.")
    return bool(value)


def _warn(what: str, factor: float, stacklevel: int) -> None:
    grow = " and grows in size" if factor < -1 else ""
    warnings.warn(f"The decay factor is {factor:.4g} ({what}), not in (0, 1]: "
                  f"every step flips the sign of each weight{grow}. Use a smaller learning rate or decay.",
                  DecayFactorWarning, stacklevel=stacklevel)


def decay_factor(lr: float, lam: float, m: int) -> float:
    r"""The factor :math:`1 - \eta\lambda/m` that multiplies every weight in :func:`l2_step`.

    Warns with :class:`DecayFactorWarning` when :math:`\eta\lambda/m \ge 1`
    (factor ≤ 0: weights flip sign; below −1 they also grow).

    >>> decay_factor(0.5, 2.0, 10)
    0.9
    """
    lr, lam, m = check_positive("lr", lr), check_lam(lam), check_int("m", m)
    factor = 1.0 - lr * lam / m
    if factor <= 0:
        _warn(f"1 - lr*lam/m with lr={lr!r}, lam={lam!r}, m={m!r}", factor, stacklevel=2)
    return factor


def init_state(params: Params) -> OptState:
    """Zero moments shaped like ``params`` and ``t = 0``."""
    _check_params(params)
    zeros = [(np.zeros_like(W, dtype=float), np.zeros_like(b, dtype=float)) for W, b in params]
    return OptState(0, zeros, [(z.copy(), zb.copy()) for z, zb in zeros])


def _coupled(params: Params, grads: Params, lam: float, m: int, decay_biases: bool) -> Params:
    """``g + (λ/m)·W`` (and ``+ (λ/m)·b`` only if ``decay_biases``)."""
    c = lam / m
    return [(dW + c * W, db + c * b if decay_biases else np.array(db, dtype=float))
            for (W, b), (dW, db) in zip(params, grads)]


# -------------------------------------------------------------------- rules
def l2_step(params: Params, grads: Params, lr: float, lam: float, m: int,
            decay_biases: bool = False) -> Params:
    r"""One gradient step on the L2-regularized cost, written in weight-decay form.

    .. math:: W \leftarrow \Big(1-\frac{\eta\lambda}{m}\Big)W - \eta\,dW, \qquad b \leftarrow b - \eta\,db

    ``grads`` are the gradients of the *data term only* (``lam=0`` in
    :func:`l2lib.cost_and_grads`), shapes as ``params``: ``W`` (n_in, n_out),
    ``b`` (n_out,). ``m`` is the training-set size in the penalty's 1/m, also
    for minibatches. Warns (:class:`DecayFactorWarning`) when ηλ/m ≥ 1.

    >>> p = [(np.array([[2.0]]), np.array([1.0]))]
    >>> g = [(np.array([[0.5]]), np.array([0.5]))]
    >>> l2_step(p, g, lr=0.1, lam=1.0, m=1)        # W: 0.9*2 - 0.05; b: 1 - 0.05
    [(array([[1.75]]), array([0.95]))]
    """
    _check_like(params, grads)
    lr, lam, m = check_positive("lr", lr), check_lam(lam), check_int("m", m)
    decay_biases = _check_bool("decay_biases", decay_biases)
    factor = 1.0 - lr * lam / m
    if factor <= 0:
        _warn(f"1 - lr*lam/m with lr={lr!r}, lam={lam!r}, m={m!r}", factor, stacklevel=2)
    return [(factor * W - lr * dW, (factor * b if decay_biases else b) - lr * db)
            for (W, b), (dW, db) in zip(params, grads)]


def simplified_step(params: Params, grads: Params, lr: float, d: float,
                    decay_biases: bool = False) -> Params:
    r"""The 'simplified' implementation: an unregularized step, then remove a fraction ``d`` of each weight.

    .. math:: W \leftarrow W - \eta\,dW - d\,W, \qquad b \leftarrow b - \eta\,db

    Identical to :func:`l2_step` when :math:`d = \eta\lambda/m`; chosen on its
    own, ``d`` means :math:`\lambda = d\,m/\eta`. Warns when ``d ≥ 1``.

    >>> p = [(np.array([[2.0]]), np.array([1.0]))]
    >>> g = [(np.array([[0.5]]), np.array([0.5]))]
    >>> simplified_step(p, g, lr=0.1, d=0.1)        # W: 2 - 0.05 - 0.2
    [(array([[1.75]]), array([0.95]))]
    """
    _check_like(params, grads)
    lr, d = check_positive("lr", lr), check_real("d", d, 0.0)
    decay_biases = _check_bool("decay_biases", decay_biases)
    if d >= 1:
        _warn(f"1 - d with d={d!r}", 1.0 - d, stacklevel=2)
    return [(W - lr * dW - d * W, b - lr * db - (d * b if decay_biases else 0.0))
            for (W, b), (dW, db) in zip(params, grads)]


def momentum_step(params: Params, grads: Params, state: OptState, lr: float, lam: float = 0.0, m: int = 1,
                  d: float = 0.0, beta: float = 0.9, decay_biases: bool = False) -> tuple[Params, OptState]:
    r"""Heavy-ball momentum (PyTorch's form) with coupled L2 ``lam`` and/or decoupled decay ``d``.

    .. math:: v \leftarrow \beta v + dW + \frac{\lambda}{m}W, \qquad W \leftarrow W - \eta v - d\,W

    Returns ``(params, state)``. With ``d`` alone this is SGDW (Loshchilov &
    Hutter). Its fixed points equal those of coupled L2 with
    :math:`\lambda/m = d(1-\beta)/\eta`.

    >>> p = [(np.array([[2.0]]), np.array([1.0]))]
    >>> g = [(np.array([[0.5]]), np.array([0.5]))]
    >>> p1, s = momentum_step(p, g, init_state(p), lr=0.1, lam=1.0, m=1)   # v = 0.5 + 2
    >>> p1
    [(array([[1.75]]), array([0.95]))]
    """
    _check_like(params, grads)
    state = _check_state(state, params)
    lr, lam, m = check_positive("lr", lr), check_lam(lam), check_int("m", m)
    d, beta = check_real("d", d, 0.0), check_real("beta", beta, 0.0, 1.0, high_open=True)
    decay_biases = _check_bool("decay_biases", decay_biases)
    if d >= 1:
        _warn(f"1 - d with d={d!r}", 1.0 - d, stacklevel=2)
    g = _coupled(params, grads, lam, m, decay_biases)
    v = [(beta * vW + gW, beta * vb + gb) for (vW, vb), (gW, gb) in zip(state.first, g)]
    # decoupled decay acts on the weights before the step: W ← (1 − d)W − ηv
    new = [((1.0 - d) * W - lr * vW, ((1.0 - d) * b if decay_biases else b) - lr * vb)
           for (W, b), (vW, vb) in zip(params, v)]
    return new, OptState(state.t + 1, v, state.second)


def _adam(params: Params, grads: Params, state: OptState, lr: float, lam: float, m: int, d: float,
          beta1: float, beta2: float, eps: float, decay_biases: bool) -> tuple[Params, OptState]:
    g = _coupled(params, grads, lam, m, decay_biases)
    t = state.t + 1
    m1 = [(beta1 * a + (1 - beta1) * gW, beta1 * c + (1 - beta1) * gb)
          for (a, c), (gW, gb) in zip(state.first, g)]
    m2 = [(beta2 * a + (1 - beta2) * gW ** 2, beta2 * c + (1 - beta2) * gb ** 2)
          for (a, c), (gW, gb) in zip(state.second, g)]
    c1, c2 = 1 - beta1 ** t, 1 - beta2 ** t           # bias corrections of the moments
    new = []
    for (W, b), (aW, ab), (sW, sb) in zip(params, m1, m2):
        uW = (aW / c1) / (np.sqrt(sW / c2) + eps)     # m̂ / (√v̂ + ε), per weight
        ub = (ab / c1) / (np.sqrt(sb / c2) + eps)
        new.append(((1 - d) * W - lr * uW, ((1 - d) * b if decay_biases else b) - lr * ub))
    return new, OptState(t, m1, m2)


def _check_adam(lr, beta1, beta2, eps):
    return (check_positive("lr", lr), check_real("beta1", beta1, 0.0, 1.0, high_open=True),
            check_real("beta2", beta2, 0.0, 1.0, high_open=True), check_positive("eps", eps))


def adam_step(params: Params, grads: Params, state: OptState, lr: float, lam: float = 0.0, m: int = 1,
              beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
              decay_biases: bool = False) -> tuple[Params, OptState]:
    r"""Adam with *coupled* L2: the penalty's gradient joins the data gradient before Adam's scaling.

    .. math::

        g &= dW + \tfrac{\lambda}{m}W, \quad
        m_1 \leftarrow \beta_1 m_1 + (1-\beta_1)g, \quad m_2 \leftarrow \beta_2 m_2 + (1-\beta_2)g^2, \\
        W &\leftarrow W - \eta\,\frac{m_1/(1-\beta_1^t)}{\sqrt{m_2/(1-\beta_2^t)} + \varepsilon}

    (elementwise). The decay each weight feels is divided by its own
    :math:`\sqrt{\hat v}`. Returns ``(params, state)``.

    >>> p = [(np.array([[2.0]]), np.array([1.0]))]
    >>> g = [(np.array([[0.5]]), np.array([-0.5]))]
    >>> p1, s = adam_step(p, g, init_state(p), lr=0.1, lam=1.0, m=1)   # first step ≈ η·sign(g)
    >>> p1
    [(array([[1.9]]), array([1.1]))]
    """
    _check_like(params, grads)
    state = _check_state(state, params)
    lr, beta1, beta2, eps = _check_adam(lr, beta1, beta2, eps)
    lam, m = check_lam(lam), check_int("m", m)
    decay_biases = _check_bool("decay_biases", decay_biases)
    return _adam(params, grads, state, lr, lam, m, 0.0, beta1, beta2, eps, decay_biases)


def adamw_step(params: Params, grads: Params, state: OptState, lr: float, d: float = 0.0,
               beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
               decay_biases: bool = False) -> tuple[Params, OptState]:
    r"""AdamW: Adam on the data gradient, and a *decoupled* decay of the fraction ``d`` per step.

    .. math:: W \leftarrow (1-d)\,W - \eta\,\frac{\hat m}{\sqrt{\hat v}+\varepsilon}

    with :math:`\hat m, \hat v` from the data gradient alone. PyTorch's
    ``AdamW(lr, weight_decay=wd)`` is ``d = lr * wd``. Returns ``(params, state)``.

    >>> p = [(np.array([[2.0]]), np.array([1.0]))]
    >>> g = [(np.array([[0.5]]), np.array([-0.5]))]
    >>> p1, s = adamw_step(p, g, init_state(p), lr=0.1, d=0.1)   # W ≈ 0.9*2 - 0.1
    >>> p1
    [(array([[1.7]]), array([1.1]))]
    """
    _check_like(params, grads)
    state = _check_state(state, params)
    lr, beta1, beta2, eps = _check_adam(lr, beta1, beta2, eps)
    d = check_real("d", d, 0.0)
    decay_biases = _check_bool("decay_biases", decay_biases)
    if d >= 1:
        _warn(f"1 - d with d={d!r}", 1.0 - d, stacklevel=2)
    return _adam(params, grads, state, lr, 0.0, 1, d, beta1, beta2, eps, decay_biases)


# --------------------------------------------------------------- training
def train(params: Params, X, y, rule: str = "l2", lr: float = 0.5, lam: float = 0.0, d: float = 0.0,
          epochs: int = 1000, batch_size: int | None = None, m: int | None = None, rng=None,
          decay_biases: bool = False, beta: float = 0.9, beta1: float = 0.9, beta2: float = 0.999,
          eps: float = 1e-8, X_dev=None, y_dev=None, hidden: str = "relu", output: str = "sigmoid",
          record_every: int = 1):
    r"""Train with one of the update rules ``"l2"``, ``"simplified"``, ``"momentum"``, ``"adam"``, ``"adamw"``.

    ``lam`` is the coupled L2 strength (rules ``l2``, ``momentum``, ``adam``);
    ``d`` the decoupled fraction per step (``simplified``, ``momentum``,
    ``adamw``); giving a rule the other one raises. The data gradient comes
    from :func:`l2lib.cost_and_grads` with ``lam=0``; the rule adds the decay.
    ``m`` is the m of λ/m (default: the training-set size, also with
    minibatches). Biases are decayed only if ``decay_biases``.

    Returns ``(params, history)`` with the keys of :func:`l2lib.train.train`
    plus ``bias_norms`` (n_records, n_layers): ‖b_l‖. ``penalty`` and ``total``
    use :math:`\lambda_{\text{rec}} = \lambda + d\,m/\eta`, the λ whose plain
    gradient step decays as much per step (exactly the minimized cost for ``l2``
    and ``simplified``; a bookkeeping figure for the others).
    """
    _check_params(params)
    X = check_X(X, n_features=params[0][0].shape[0])
    rule = check_choice("rule", rule, RULES)
    lr, lam, d = check_positive("lr", lr), check_lam(lam), check_real("d", d, 0.0)
    if rule in ("simplified", "adamw") and lam != 0:
        raise ValueError(f"The 'lam' parameter must be 0 for rule {rule!r} (its decay is 'd'). Got {lam!r} instead.")
    if rule in ("l2", "adam") and d != 0:
        raise ValueError(f"The 'd' parameter must be 0 for rule {rule!r} (its decay is 'lam'). Got {d!r} instead.")
    epochs = check_int("epochs", epochs, 0)
    record_every = check_int("record_every", record_every, 1)
    n = X.shape[0]
    m = n if m is None else check_int("m", m)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, 1, n)
    decay_biases = _check_bool("decay_biases", decay_biases)
    rng = check_rng(rng)
    y = np.asarray(y)
    if rule == "l2" and lr * lam / m >= 1:
        _warn(f"1 - lr*lam/m with lr={lr!r}, lam={lam!r}, m={m!r}", 1.0 - lr * lam / m, stacklevel=2)
    if d >= 1:
        _warn(f"1 - d with d={d!r}", 1.0 - d, stacklevel=2)
    lam_rec = lam + d * m / lr
    kw = dict(hidden=hidden, output=output)
    have_dev = X_dev is not None
    keys = ("epoch", "data", "penalty", "total", "train_acc", "dev_acc", "dev_data", "norms", "bias_norms")
    hist: dict[str, list] = {k: [] for k in keys}

    def record(epoch: int, p: Params) -> None:
        parts = cost(p, X, y, lam_rec, m=m, include_bias=decay_biases, **kw)
        clf = output != "identity"
        for k, v in (("epoch", epoch), ("data", parts.data), ("penalty", parts.penalty), ("total", parts.total),
                     ("train_acc", accuracy(p, X, y, **kw) if clf else np.nan),
                     ("dev_acc", accuracy(p, X_dev, y_dev, **kw) if clf and have_dev else np.nan),
                     ("dev_data", cost(p, X_dev, y_dev, 0.0, **kw).data if have_dev else np.nan),
                     ("norms", [np.sqrt(frobenius_sq(W)) for W, _ in p]),
                     ("bias_norms", [np.sqrt(frobenius_sq(b)) for _, b in p])):
            hist[k].append(v)

    state = init_state(params)
    record(0, params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DecayFactorWarning)   # already warned once above
        for epoch in range(1, epochs + 1):
            if batch_size is None:
                batches = [slice(None)]
            else:
                perm = rng.permutation(n)
                batches = [perm[i:i + batch_size] for i in range(0, n, batch_size)]
            for idx in batches:
                _, g = cost_and_grads(params, X[idx], y[idx], 0.0, **kw)
                if rule == "l2":
                    params = l2_step(params, g, lr, lam, m, decay_biases)
                elif rule == "simplified":
                    params = simplified_step(params, g, lr, d, decay_biases)
                elif rule == "momentum":
                    params, state = momentum_step(params, g, state, lr, lam, m, d, beta, decay_biases)
                elif rule == "adam":
                    params, state = adam_step(params, g, state, lr, lam, m, beta1, beta2, eps, decay_biases)
                else:
                    params, state = adamw_step(params, g, state, lr, d, beta1, beta2, eps, decay_biases)
            if not np.isfinite(sum(float(np.abs(W).sum() + np.abs(b).sum()) for W, b in params)):
                raise FloatingPointError(
                    f"Training diverged at epoch {epoch}: the weights are no longer finite. The learning rate "
                    f"(lr={lr!r}) is probably too large, or the decay factor is below -1 "
                    f"(lr*lam/m = {lr * lam / m:.4g}, d = {d!r}).")
            if epoch % record_every == 0 or epoch == epochs:
                record(epoch, params)
    return params, {k: np.asarray(v, dtype=float) for k, v in hist.items()}
