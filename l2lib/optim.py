r"""Update rules for the regularized cost, and a training loop that takes any of them.

The book's cost is :math:`J = J_{\text{data}} + \frac{\lambda}{2m}\sum_l\lVert W_l\rVert_F^2`
(:mod:`l2lib.penalty`). Its gradient step, rearranged, is the *weight-decay form*

.. math::

    W \leftarrow \Big(1 - \frac{\eta\lambda}{m}\Big) W - \eta\,\frac{\partial J_{\text{data}}}{\partial W},
    \qquad b \leftarrow b - \eta\,\frac{\partial J_{\text{data}}}{\partial b}.

Every rule below is a pure function of arrays that returns new arrays; ``g``
is the gradient of the data term alone (``lam=0`` in :func:`l2lib.cost_and_grads`).

* :func:`l2_step` — :math:`W \leftarrow (1-\eta\lambda/m)W - \eta g` (coupled decay);
* :func:`simplified_step` — :math:`W \leftarrow W - \eta g - dW` (decoupled);
* :func:`momentum_step` — :math:`v \leftarrow \beta v + g + (\lambda/m)W`, :math:`W \leftarrow (1-d)W - \eta v` (both);
* :func:`adam_step` — Adam on :math:`g + (\lambda/m)W` (coupled L2);
* :func:`adamw_step` — Adam on :math:`g`, and :math:`W \leftarrow (1-d)W` besides (decoupled, AdamW).

*Coupled* decay enters the gradient, so it passes through momentum and through
Adam's per-weight scaling; *decoupled* decay removes the fraction ``d`` of
each weight per step whatever the optimizer does. Under plain gradient descent
the two are identical when :math:`d = \eta\lambda/m`. ``d`` is a fraction per
step: PyTorch's ``AdamW(lr=lr, weight_decay=wd)`` uses :math:`d = \text{lr}\cdot\text{wd}`.

Biases are decayed only with ``decay_biases=True``, a mistake the book
demonstrates; the default never decays them.

For single-layer models, ``lam`` and ``d`` may also be 1-D arrays with one
value per output column: each column of ``W`` (with its bias) is then an
independent model with its own strength, so a whole grid of strengths trains
in one call.
"""
from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from ._validate import (_msg, all_finite, check_choice, check_diverged, check_int, check_lam, check_like,
                        check_params, check_positive, check_real, check_rng, check_X)
from .network import HIDDEN, OUTPUT, Params, _check_dev, accuracy, targets
from .penalty import cost, frobenius_sq
from .train import batches, data_gradient

__all__ = ["RULES", "DecayFactorWarning", "OptState", "decay_factor", "init_state", "l2_step",
           "simplified_step", "momentum_step", "adam_step", "adamw_step", "train"]

RULES = ("l2", "simplified", "momentum", "adam", "adamw")


class DecayFactorWarning(RuntimeWarning):
    """The per-step decay factor is ≤ 0: at 0 every step zeroes the weights, below 0 it flips their sign,
    and below −1 it also makes them grow."""


class OptState(NamedTuple):
    """What momentum and Adam carry from step to step; ``first`` and ``second`` are shaped like ``params``."""
    t: int          # steps taken so far
    first: Params   # momentum buffer v, or Adam's first moment
    second: Params  # Adam's second moment (zeros for momentum)


# ------------------------------------------------------------------ checks
def _check_like(params: Params, grads, name: str = "grads") -> Params:
    """Check ``params`` (returned as float64) and that ``grads`` is shaped like them."""
    params = check_params(params)
    check_like(params, grads, name)
    return params


def _check_state(state, params: Params) -> OptState:
    if not isinstance(state, OptState):
        raise TypeError(f"The 'state' parameter must be an OptState (see init_state). "
                        f"Got {type(state).__name__} instead.")
    _check_like(params, state.first, "state")
    _check_like(params, state.second, "state")
    return state


def _check_bool(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(_msg(name, "a bool", value))
    return bool(value)


def _strength(name: str, value, params: Params, high: float = np.inf):
    """A float in [0, high), or for a single-layer model a 1-D array of them, one per output column."""
    if isinstance(value, (np.ndarray, list, tuple)):
        a = np.asarray(value, dtype=float)
        n_out = params[-1][0].shape[1]
        what = (f"a float in the range [0, {high:g}) or, for a single-layer model, a 1-D array of "
                f"{n_out} such floats (one per output column)")
        if (len(params) != 1 or a.shape != (n_out,) or not np.all(np.isfinite(a))
                or np.any(a < 0) or np.any(a >= high)):
            raise ValueError(_msg(name, what, f"an array of shape {a.shape} with values {a.tolist()!r}"
                                  + ("" if len(params) == 1 else f" for a {len(params)}-layer model")))
        return a
    return check_real(name, value, 0.0, high, high_open=np.isfinite(high))


def _warn(what: str, factor, stacklevel: int = 3) -> None:
    f = float(np.min(factor))
    if f > 0:
        return
    if f == 0:
        effect = "each step sets every weight to 0 before the data step"
    else:
        effect = "each step flips the sign of every weight" + (" and grows it" if f < -1 else "")
    warnings.warn(f"The decay factor {what} is {f:.4g}, not in (0, 1]: {effect}. "
                  f"Use a smaller learning rate or a weaker decay.", DecayFactorWarning, stacklevel=stacklevel)


def _warn_l2(lr: float, lam, m: int, stacklevel: int = 3) -> None:
    lam_txt = lam if np.ndim(lam) == 0 else f"max {float(np.max(lam))!r}"
    _warn(f"1 - lr*lam/m (lr={lr!r}, lam={lam_txt}, m={m!r})", 1.0 - lr * np.asarray(lam) / m, stacklevel + 1)


def _warn_d(d, stacklevel: int = 3) -> None:
    d_txt = d if np.ndim(d) == 0 else f"max {float(np.max(d))!r}"
    _warn(f"1 - d (d={d_txt})", 1.0 - np.asarray(d), stacklevel + 1)


def decay_factor(lr: float, lam: float, m: int) -> float:
    r"""The factor :math:`\rho = 1 - \eta\lambda/m` that multiplies every weight in :func:`l2_step`.

    With the data gradient switched off, :math:`W_t = \rho^t W_0`. Warns with
    :class:`DecayFactorWarning` when :math:`\eta\lambda/m \ge 1` (ρ ≤ 0: the
    weights flip sign every step; for ρ < −1 they also grow).

    >>> decay_factor(0.5, 2.0, 10)
    0.9
    """
    lr, lam, m = check_positive("lr", lr), check_lam(lam), check_int("m", m)
    _warn_l2(lr, lam, m)
    return 1.0 - lr * lam / m


def init_state(params: Params) -> OptState:
    """Zero moments shaped like ``params`` and ``t = 0``."""
    params = check_params(params)
    zeros = lambda: [(np.zeros(W.shape), np.zeros(b.shape)) for W, b in params]  # noqa: E731
    return OptState(0, zeros(), zeros())


# ------------------------------------------------- the rules, unchecked kernels
def _l2(params, grads, lr, lam, m, decay_biases):
    rho = 1.0 - lr * lam / m                          # the decay factor, float or (n_out,)
    return [(rho * W - lr * dW, (rho * b if decay_biases else b) - lr * db)
            for (W, b), (dW, db) in zip(params, grads)]


def _simplified(params, grads, lr, d, decay_biases):
    return [(W - lr * dW - d * W, b - lr * db - (d * b if decay_biases else 0.0))
            for (W, b), (dW, db) in zip(params, grads)]


def _coupled(params, grads, lam, m, decay_biases):
    """``g + (λ/m)·W`` (and ``+ (λ/m)·b`` only if ``decay_biases``)."""
    c = lam / m
    return [(dW + c * W, db + c * b if decay_biases else np.asarray(db, dtype=float))
            for (W, b), (dW, db) in zip(params, grads)]


def _momentum(params, grads, state, lr, lam, m, d, beta, decay_biases):
    g = _coupled(params, grads, lam, m, decay_biases)
    v = [(beta * vW + gW, beta * vb + gb) for (vW, vb), (gW, gb) in zip(state.first, g)]
    new = [((1.0 - d) * W - lr * vW, ((1.0 - d) * b if decay_biases else b) - lr * vb)
           for (W, b), (vW, vb) in zip(params, v)]
    return new, OptState(state.t + 1, v, state.second)


def _adam(params, grads, state, lr, lam, m, d, beta1, beta2, eps, decay_biases):
    g = _coupled(params, grads, lam, m, decay_biases)
    t = state.t + 1
    m1 = [(beta1 * a + (1 - beta1) * gW, beta1 * c + (1 - beta1) * gb) for (a, c), (gW, gb) in zip(state.first, g)]
    m2 = [(beta2 * a + (1 - beta2) * gW ** 2, beta2 * c + (1 - beta2) * gb ** 2)
          for (a, c), (gW, gb) in zip(state.second, g)]
    c1, c2 = 1 - beta1 ** t, 1 - beta2 ** t           # bias corrections of the two moments
    new = []
    for (W, b), (aW, ab), (sW, sb) in zip(params, m1, m2):
        uW = (aW / c1) / (np.sqrt(sW / c2) + eps)     # m̂ / (√v̂ + ε), weight by weight
        ub = (ab / c1) / (np.sqrt(sb / c2) + eps)
        new.append(((1 - d) * W - lr * uW, ((1 - d) * b if decay_biases else b) - lr * ub))
    return new, OptState(t, m1, m2)


# ---------------------------------------------------------- the public rules
def l2_step(params: Params, grads: Params, lr: float, lam, m: int, decay_biases: bool = False) -> Params:
    r"""One gradient step on the L2-regularized cost, written in weight-decay form.

    .. math:: W \leftarrow \Big(1-\frac{\eta\lambda}{m}\Big)W - \eta\,dW, \qquad b \leftarrow b - \eta\,db

    Parameters
    ----------
    params, grads : list of (W, b)
        Weights ``W`` (n_in, n_out), biases ``b`` (n_out,), and the gradients
        of the *data term only*, same shapes.
    lr, lam : float
        Learning rate η > 0 and λ ≥ 0 (or one λ per output column, see the module).
    m : int
        Training-set size in the penalty's 1/m — also when ``grads`` come from a minibatch.
    decay_biases : bool
        Multiply the biases by the factor too (a mistake; default False).

    Warns with :class:`DecayFactorWarning` when ηλ/m ≥ 1.

    >>> p = [(np.array([[2.0]]), np.array([1.0]))]
    >>> g = [(np.array([[0.5]]), np.array([0.5]))]
    >>> l2_step(p, g, lr=0.1, lam=1.0, m=1)        # W: 0.9*2 - 0.05 ; b: 1 - 0.05
    [(array([[1.75]]), array([0.95]))]
    """
    params = _check_like(params, grads)
    lr, m = check_positive("lr", lr), check_int("m", m)
    lam = _strength("lam", lam, params)
    decay_biases = _check_bool("decay_biases", decay_biases)
    _warn_l2(lr, lam, m)
    return _l2(params, grads, lr, lam, m, decay_biases)


def simplified_step(params: Params, grads: Params, lr: float, d, decay_biases: bool = False) -> Params:
    r"""The 'simplified' implementation: an unregularized step, then remove the fraction ``d`` of each weight.

    .. math:: W \leftarrow W - \eta\,dW - d\,W, \qquad b \leftarrow b - \eta\,db

    Identical to :func:`l2_step` when :math:`d = \eta\lambda/m`; chosen on its
    own, ``d`` stands for :math:`\lambda = d\,m/\eta`. Shapes as in
    :func:`l2_step`. Warns with :class:`DecayFactorWarning` when ``d ≥ 1``.

    >>> p = [(np.array([[2.0]]), np.array([1.0]))]
    >>> g = [(np.array([[0.5]]), np.array([0.5]))]
    >>> simplified_step(p, g, lr=0.1, d=0.1)        # W: 2 - 0.05 - 0.2
    [(array([[1.75]]), array([0.95]))]
    """
    params = _check_like(params, grads)
    lr = check_positive("lr", lr)
    d = _strength("d", d, params)
    decay_biases = _check_bool("decay_biases", decay_biases)
    _warn_d(d)
    return _simplified(params, grads, lr, d, decay_biases)


def momentum_step(params: Params, grads: Params, state: OptState, lr: float, lam=0.0, m: int = 1, d=0.0,
                  beta: float = 0.9, decay_biases: bool = False) -> tuple[Params, OptState]:
    r"""Heavy-ball momentum (PyTorch's form) with coupled L2 ``lam`` and/or decoupled decay ``d``.

    .. math:: v \leftarrow \beta v + dW + \frac{\lambda}{m}W, \qquad W \leftarrow (1-d)\,W - \eta v

    Returns ``(params, state)``. With ``d`` alone this is SGDW (Loshchilov &
    Hutter). Coupled decay is amplified by the momentum: the fixed points of
    the two agree when :math:`\lambda/m = d\,(1-\beta)/\eta`.

    >>> p = [(np.array([[2.0]]), np.array([1.0]))]
    >>> g = [(np.array([[0.5]]), np.array([0.5]))]
    >>> p1, s = momentum_step(p, g, init_state(p), lr=0.1, lam=1.0, m=1)   # v = 0.5 + 1*2
    >>> p1
    [(array([[1.75]]), array([0.95]))]
    """
    params = _check_like(params, grads)
    state = _check_state(state, params)
    lr, m = check_positive("lr", lr), check_int("m", m)
    lam, d = _strength("lam", lam, params), _strength("d", d, params)
    beta = check_real("beta", beta, 0.0, 1.0, high_open=True)
    decay_biases = _check_bool("decay_biases", decay_biases)
    _warn_d(d)
    return _momentum(params, grads, state, lr, lam, m, d, beta, decay_biases)


def _check_adam(lr, beta1, beta2, eps):
    return (check_positive("lr", lr), check_real("beta1", beta1, 0.0, 1.0, high_open=True),
            check_real("beta2", beta2, 0.0, 1.0, high_open=True), check_positive("eps", eps))


def adam_step(params: Params, grads: Params, state: OptState, lr: float, lam=0.0, m: int = 1,
              beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
              decay_biases: bool = False) -> tuple[Params, OptState]:
    r"""Adam with *coupled* L2: the penalty's gradient joins the data gradient before Adam's scaling.

    .. math::

        g_t = dW + \tfrac{\lambda}{m}W, \quad
        m_t = \beta_1 m_{t-1} + (1-\beta_1)g_t, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2)g_t^2, \quad
        W \leftarrow W - \eta\,\frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \varepsilon}

    elementwise, so the decay each weight feels is divided by its own
    :math:`\sqrt{\hat v}`. Returns ``(params, state)``.

    >>> p = [(np.array([[2.0]]), np.array([1.0]))]
    >>> g = [(np.array([[0.5]]), np.array([-0.5]))]
    >>> p1, s = adam_step(p, g, init_state(p), lr=0.1, lam=1.0, m=1)   # first step ≈ -η·sign(g)
    >>> p1
    [(array([[1.9]]), array([1.1]))]
    """
    params = _check_like(params, grads)
    state = _check_state(state, params)
    lr, beta1, beta2, eps = _check_adam(lr, beta1, beta2, eps)
    m = check_int("m", m)
    lam = _strength("lam", lam, params)
    decay_biases = _check_bool("decay_biases", decay_biases)
    return _adam(params, grads, state, lr, lam, m, 0.0, beta1, beta2, eps, decay_biases)


def adamw_step(params: Params, grads: Params, state: OptState, lr: float, d=0.0,
               beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
               decay_biases: bool = False) -> tuple[Params, OptState]:
    r"""AdamW: Adam on the data gradient alone, and a *decoupled* decay of the fraction ``d`` per step.

    .. math:: W \leftarrow (1-d)\,W - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t}+\varepsilon}

    with :math:`\hat m_t, \hat v_t` as in :func:`adam_step` but built from
    ``dW`` only. PyTorch's ``AdamW(lr, weight_decay=wd)`` is ``d = lr * wd``.
    Returns ``(params, state)``. Warns when ``d ≥ 1``.

    >>> p = [(np.array([[2.0]]), np.array([1.0]))]
    >>> g = [(np.array([[0.5]]), np.array([-0.5]))]
    >>> p1, s = adamw_step(p, g, init_state(p), lr=0.1, d=0.1)   # W ≈ 0.9*2 - 0.1
    >>> p1
    [(array([[1.7]]), array([1.1]))]
    """
    params = _check_like(params, grads)
    state = _check_state(state, params)
    lr, beta1, beta2, eps = _check_adam(lr, beta1, beta2, eps)
    d = _strength("d", d, params)
    decay_biases = _check_bool("decay_biases", decay_biases)
    _warn_d(d)
    return _adam(params, grads, state, lr, 0.0, 1, d, beta1, beta2, eps, decay_biases)


# ---------------------------------------------------------------- training
def train(params: Params, X, y, rule: str = "l2", lr: float = 0.5, lam: float = 0.0, d: float = 0.0,
          epochs: int = 1000, batch_size: int | None = None, m: int | None = None, rng=None,
          decay_biases: bool = False, beta: float = 0.9, beta1: float = 0.9, beta2: float = 0.999,
          eps: float = 1e-8, X_dev=None, y_dev=None, hidden: str = "relu", output: str = "sigmoid",
          record_every: int = 1):
    r"""Train with one update rule: ``"l2"``, ``"simplified"``, ``"momentum"``, ``"adam"`` or ``"adamw"``.

    ``lam`` is the coupled L2 strength (rules ``l2``, ``momentum``, ``adam``)
    and ``d`` the decoupled fraction per step (``simplified``, ``momentum``,
    ``adamw``); giving a rule the other one raises. The data gradient comes
    from :func:`l2lib.cost_and_grads` with ``lam=0``; the rule adds the decay.
    ``m`` is the m of λ/m (default: the training-set size, minibatches or not).
    Biases are decayed only if ``decay_biases``.

    Returns ``(params, history)`` with the keys of :func:`l2lib.train.train`
    (``epoch``, ``data``, ``penalty``, ``total``, ``train_acc``, ``dev_acc``,
    ``dev_data``, ``norms``) plus ``bias_norms`` (n_records, n_layers) = ‖b_l‖.
    ``penalty`` and ``total`` use :math:`\lambda_{\text{rec}} = \lambda + d\,m/\eta`
    (and include ‖b‖² if ``decay_biases``): the cost that ``l2`` and
    ``simplified`` minimize; for the other rules a bookkeeping figure only.

    Divergence raises ``FloatingPointError`` under the rule of :mod:`l2lib._validate`
    (non-finite weights, or a recorded cost not finite or above 10^6 x max(J_0, 1)).
    """
    params = check_params(params)
    check_choice("hidden", hidden, HIDDEN)
    check_choice("output", output, OUTPUT)
    X = check_X(X, n_features=params[0][0].shape[0])
    rule = check_choice("rule", rule, RULES)
    lr, lam, d = check_positive("lr", lr), check_lam(lam), check_real("d", d, 0.0)
    if rule in ("simplified", "adamw") and lam != 0:
        raise ValueError(f"The 'lam' parameter must be 0 for rule {rule!r}, whose decay is 'd'. Got {lam!r} instead.")
    if rule in ("l2", "adam") and d != 0:
        raise ValueError(f"The 'd' parameter must be 0 for rule {rule!r}, whose decay is 'lam'. Got {d!r} instead.")
    epochs = check_int("epochs", epochs, 0)
    record_every = check_int("record_every", record_every, 1)
    n = X.shape[0]
    m = n if m is None else check_int("m", m)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, 1, n)
    decay_biases = _check_bool("decay_biases", decay_biases)
    beta = check_real("beta", beta, 0.0, 1.0, high_open=True)
    _, beta1, beta2, eps = _check_adam(lr, beta1, beta2, eps)
    rng = check_rng(rng)
    y = np.asarray(y)
    if rule == "l2":
        _warn_l2(lr, lam, m)
    _warn_d(d)
    lam_rec = lam + d * m / lr
    kw = dict(hidden=hidden, output=output)
    X_dev, _ = _check_dev(X_dev, y_dev, params, output)
    have_dev = X_dev is not None
    keys = ("epoch", "data", "penalty", "total", "train_acc", "dev_acc", "dev_data", "norms", "bias_norms")
    hist: dict[str, list] = {k: [] for k in keys}

    def record(epoch: int, p: Params) -> float:
        parts = cost(p, X, y, lam_rec, m=m, include_bias=decay_biases, **kw)
        clf = output != "identity"
        for k, v in (("epoch", epoch), ("data", parts.data), ("penalty", parts.penalty), ("total", parts.total),
                     ("train_acc", accuracy(p, X, y, **kw) if clf else np.nan),
                     ("dev_acc", accuracy(p, X_dev, y_dev, **kw) if clf and have_dev else np.nan),
                     ("dev_data", cost(p, X_dev, y_dev, 0.0, **kw).data if have_dev else np.nan),
                     ("norms", [np.sqrt(frobenius_sq(W)) for W, _ in p]),
                     ("bias_norms", [np.sqrt(frobenius_sq(b)) for _, b in p])):
            hist[k].append(v)
        return parts.total

    state = init_state(params)
    Y = targets(y, output, params[-1][0].shape[1], n)       # checked once; the loop uses it as is
    total0 = record(0, params)
    with np.errstate(over="ignore", invalid="ignore"):   # divergence is reported below, by name
        for epoch in range(1, epochs + 1):
            for idx in batches(n, batch_size, rng):               # the same batches as l2lib.train.train
                g = data_gradient(params, X[idx], Y[idx], hidden, output)   # data gradient only
                if rule == "l2":
                    params = _l2(params, g, lr, lam, m, decay_biases)
                elif rule == "simplified":
                    params = _simplified(params, g, lr, d, decay_biases)
                elif rule == "momentum":
                    params, state = _momentum(params, g, state, lr, lam, m, d, beta, decay_biases)
                else:
                    params, state = _adam(params, g, state, lr, lam, m, d, beta1, beta2, eps, decay_biases)
            ok = all_finite(params)
            total = record(epoch, params) if ok and (epoch % record_every == 0 or epoch == epochs) else None
            check_diverged(epoch, total, total0, ok, lr, lam, m, d)
    return params, {k: np.asarray(v, dtype=float) for k, v in hist.items()}
