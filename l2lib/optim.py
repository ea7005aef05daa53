r"""Update rules for the regularized cost: small objects with ``init`` and ``step``, and one-step functions.

The book's cost is :math:`J = J_{\text{data}} + \frac{\lambda}{2m}\sum_l\lVert W_l\rVert_F^2`
(:mod:`l2lib.penalty`). Its gradient step, rearranged, is the *weight-decay form*

.. math::

    W \leftarrow \Big(1 - \frac{\eta\lambda}{m}\Big) W - \eta\,\frac{\partial J_{\text{data}}}{\partial W},
    \qquad b \leftarrow b - \eta\,\frac{\partial J_{\text{data}}}{\partial b}.

The training loop (:func:`l2lib.training.train`) adds the *coupled* penalty's
gradient :math:`(\lambda/m)W` to the data gradient (``lam=`` of the loop); the
rule objects :class:`SGD`, :class:`Momentum`, :class:`Adam` and :class:`AdamW`
then turn that gradient into a step, applying their own *decoupled* decay
``d`` (a fraction per step). So the call itself says which is which::

    L.train(net, X, y, lam=1.0, rule=L.optim.SGD(lr=0.5))          # coupled: L2 in the cost
    L.train(net, X, y, rule=L.optim.SGD(lr=0.5, d=0.01))            # decoupled: weight decay
    L.train(net, X, y, rule=L.optim.AdamW(lr=1e-3, d=1e-4))         # AdamW

A rule's ``init(params)`` returns its state (momentum buffers, Adam's moments)
and ``step(params, grads, state, include_bias)`` returns ``(params, state)``;
both take K networks stacked along a leading axis as well as one.

The one-step functions below (what Chapter 4 steps through by hand) check
their arguments and call the same rules; ``g`` is the gradient of the data
term alone (``lam=0`` in :func:`l2lib.cost_and_grads`).

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

Biases are decayed only with ``include_bias=True``, a mistake the book
demonstrates; the default never decays them.

For single-layer models, the one-step functions also take ``lam`` and ``d``
as 1-D arrays with one value per output column: each column of ``W`` (with its
bias) is then an independent model with its own strength.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import kernels as K
from ._validate import check_bool, check_int, check_like, check_params, check_positive, check_real, msg

__all__ = ["Rule", "SGD", "Momentum", "Adam", "AdamW", "DecayFactorWarning", "OptState", "decay_factor",
           "init_state", "l2_step", "simplified_step", "momentum_step", "adam_step", "adamw_step",
           "warn_decay"]


class DecayFactorWarning(RuntimeWarning):
    """The per-step decay factor is ≤ 0: at 0 every step zeroes the weights, below 0 it flips their sign,
    and below −1 it also makes them grow."""


class OptState(NamedTuple):
    """What momentum and Adam carry from step to step; ``first`` and ``second`` are shaped like ``params``."""
    t: int          # steps taken so far
    first: list     # momentum buffer v, or Adam's first moment
    second: list    # Adam's second moment (zeros for momentum)


def _zeros_like(params) -> list:
    return [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]


def _decay(d, A: np.ndarray, on: bool) -> np.ndarray:
    """``(1 - d) A`` when ``on`` (d a fraction per step, scalar or one per network), else ``A``."""
    return (1.0 - K.per_network(d, A)) * A if on and np.any(d) else A


def _fraction(name: str, value) -> float | np.ndarray:
    """A decoupled fraction per step: a float in [0, inf), or a 1-D array of them (one per network)."""
    if isinstance(value, (np.ndarray, list, tuple)):
        a = np.asarray(value, dtype=float)
        if a.ndim != 1 or a.size == 0 or not np.all(np.isfinite(a)) or np.any(a < 0):
            raise ValueError(msg(name, "a float in the range [0, inf) or a 1-D array of them",
                                 f"an array of shape {a.shape} with values {a.tolist()!r}"))
        return a
    return check_real(name, value, 0.0)


# ---------------------------------------------------------------------------- the rules
class Rule:
    r"""Base of the update rules: ``init(params) -> state``, ``step(params, grads, state, include_bias)``.

    ``grads`` is the gradient the loop computed (data term, plus the coupled
    penalty's :math:`(\lambda/m)W` when ``lam > 0``). Every rule has a learning
    rate ``lr`` and a decoupled decay ``d`` (a fraction of each weight removed per
    step, 0 for none); :attr:`lam_equivalent` converts ``d`` to the λ that
    plain gradient descent would need for the same decay.
    """
    lr: float
    d: float

    def init(self, params) -> OptState:
        """The rule's state before the first step (zero moments, ``t = 0``)."""
        return OptState(0, _zeros_like(params), _zeros_like(params))

    def lam_equivalent(self, m: int):
        r"""The λ whose coupled decay :math:`\eta\lambda/m` equals ``d`` under plain gradient descent: ``d m / lr``."""
        return self.d * m / self.lr


@dataclass(frozen=True)
class SGD(Rule):
    r"""Gradient descent, :math:`W \leftarrow W - \eta g - d\,W` (``d = 0``: the plain step :math:`W - \eta g`).

    With ``d > 0`` and ``lam = 0`` this is the "simplified" weight decay; with
    :math:`d = \eta\lambda/m` it equals coupled L2 step for step.
    """
    lr: float = 0.5
    d: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "lr", check_positive("lr", self.lr))
        object.__setattr__(self, "d", _fraction("d", self.d))

    def init(self, params) -> OptState:
        return OptState(0, [], [])

    def step(self, params, grads, state: OptState, include_bias: bool = False):
        lr, d = self.lr, self.d
        if not np.any(d):
            return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)], state
        return [(W - lr * dW - K.per_network(d, W) * W,
                 b - lr * db - (K.per_network(d, b) * b if include_bias else 0.0))
                for (W, b), (dW, db) in zip(params, grads)], state


@dataclass(frozen=True)
class Momentum(Rule):
    r"""Heavy-ball momentum (PyTorch's form), :math:`v \leftarrow \beta v + g`, :math:`W \leftarrow (1-d)W - \eta v`.

    With ``d`` alone (``lam = 0``) this is SGDW (Loshchilov & Hutter). Coupled
    decay is amplified by the momentum: the fixed points of the two agree when
    :math:`\lambda/m = d\,(1-\beta)/\eta`.
    """
    lr: float = 0.1
    beta: float = 0.9
    d: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "lr", check_positive("lr", self.lr))
        object.__setattr__(self, "beta", check_real("beta", self.beta, 0.0, 1.0, high_open=True))
        object.__setattr__(self, "d", _fraction("d", self.d))

    def step(self, params, grads, state: OptState, include_bias: bool = False):
        beta, lr, d = self.beta, self.lr, self.d
        v = [(beta * vW + gW, beta * vb + gb) for (vW, vb), (gW, gb) in zip(state.first, grads)]
        new = [(_decay(d, W, True) - lr * vW, _decay(d, b, include_bias) - lr * vb)
               for (W, b), (vW, vb) in zip(params, v)]
        return new, OptState(state.t + 1, v, state.second)


@dataclass(frozen=True)
class Adam(Rule):
    r"""Adam (Kingma & Ba) on the gradient the loop gives it, plus an optional decoupled decay ``d``.

    .. math::

        m_t = \beta_1 m_{t-1} + (1-\beta_1)g_t, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2)g_t^2, \quad
        W \leftarrow (1-d)\,W - \eta\,\frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \varepsilon}

    elementwise. With the loop's ``lam > 0`` the penalty's gradient is inside
    :math:`g_t` (coupled L2: each weight's decay is divided by its own
    :math:`\sqrt{\hat v}`); with ``d > 0`` it is AdamW (:class:`AdamW`).
    """
    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    d: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "lr", check_positive("lr", self.lr))
        object.__setattr__(self, "beta1", check_real("beta1", self.beta1, 0.0, 1.0, high_open=True))
        object.__setattr__(self, "beta2", check_real("beta2", self.beta2, 0.0, 1.0, high_open=True))
        object.__setattr__(self, "eps", check_positive("eps", self.eps))
        object.__setattr__(self, "d", _fraction("d", self.d))

    def step(self, params, grads, state: OptState, include_bias: bool = False):
        b1, b2, lr, eps, d = self.beta1, self.beta2, self.lr, self.eps, self.d
        t = state.t + 1
        m1 = [(b1 * a + (1 - b1) * gW, b1 * c + (1 - b1) * gb) for (a, c), (gW, gb) in zip(state.first, grads)]
        m2 = [(b2 * a + (1 - b2) * gW ** 2, b2 * c + (1 - b2) * gb ** 2) for (a, c), (gW, gb) in zip(state.second, grads)]
        c1, c2 = 1 - b1 ** t, 1 - b2 ** t               # bias corrections of the two moments
        new = []
        for (W, b), (aW, ab), (sW, sb) in zip(params, m1, m2):
            uW = (aW / c1) / (np.sqrt(sW / c2) + eps)   # m̂ / (√v̂ + ε), weight by weight
            ub = (ab / c1) / (np.sqrt(sb / c2) + eps)
            new.append((_decay(d, W, True) - lr * uW, _decay(d, b, include_bias) - lr * ub))
        return new, OptState(t, m1, m2)


def AdamW(lr: float = 1e-3, d: float = 0.0, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> Adam:
    r"""AdamW (Loshchilov & Hutter): :class:`Adam` with a decoupled decay of the fraction ``d`` per step.

    Use it with the loop's ``lam = 0``. PyTorch's ``AdamW(lr, weight_decay=wd)`` is ``d = lr * wd``.
    """
    return Adam(lr=lr, beta1=beta1, beta2=beta2, eps=eps, d=d)


# ------------------------------------------------------------------ warnings and checks
def warn_decay(what: str, factor, stacklevel: int = 3) -> None:
    """Warn with :class:`DecayFactorWarning` when a per-step decay factor (scalar or array) is ≤ 0."""
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
    warn_decay(f"1 - lr*lam/m (lr={lr!r}, lam={lam_txt}, m={m!r})", 1.0 - lr * np.asarray(lam) / m, stacklevel + 1)


def _warn_d(d, stacklevel: int = 3) -> None:
    d_txt = d if np.ndim(d) == 0 else f"max {float(np.max(d))!r}"
    warn_decay(f"1 - d (d={d_txt})", 1.0 - np.asarray(d), stacklevel + 1)


def _strength(name: str, value, params, high: float = np.inf):
    """A float in [0, high), or for a single-layer model a 1-D array of them, one per output column."""
    if isinstance(value, (np.ndarray, list, tuple)):
        a = np.asarray(value, dtype=float)
        n_out = params[-1][0].shape[1]
        what = (f"a float in the range [0, {high:g}) or, for a single-layer model, a 1-D array of "
                f"{n_out} such floats (one per output column)")
        if (len(params) != 1 or a.shape != (n_out,) or not np.all(np.isfinite(a))
                or np.any(a < 0) or np.any(a >= high)):
            raise ValueError(msg(name, what, f"an array of shape {a.shape} with values {a.tolist()!r}"
                                 + ("" if len(params) == 1 else f" for a {len(params)}-layer model")))
        return a
    return check_real(name, value, 0.0, high, high_open=np.isfinite(high))


def _check_step(params, grads, state=None):
    params = check_params(params)
    check_like(params, grads)
    if state is not None:
        if not isinstance(state, OptState):
            raise TypeError(msg("state", "an OptState (see init_state)", type(state).__name__))
        check_like(params, state.first, "state")
        check_like(params, state.second, "state")
    return params


# Per-column strengths: a single-layer model whose columns are independent models is K = n_out networks.
def _columns(pairs):
    """One layer's (W (n_in, n_out), b (n_out,)) as n_out networks: (n_out, n_in, 1), (n_out, 1, 1)."""
    return [(np.asarray(W, float).T[:, :, None], np.asarray(b, float)[:, None, None]) for W, b in pairs]


def _uncolumns(pairs):
    return [(W[:, :, 0].T, b[:, 0, 0]) for W, b in pairs]


def _apply(rule: Rule, params, grads, state, lam, m, include_bias):
    """The loop's step on checked arguments: coupled penalty gradient, then the rule."""
    per_column = np.ndim(lam) > 0 or np.ndim(rule.d) > 0
    if per_column:
        params, grads = _columns(params), _columns(grads)
        if state is not None:
            state = OptState(state.t, _columns(state.first), _columns(state.second))
    grads = K.add_penalty_grad(params, grads, lam, m, tuple(range(len(params))), include_bias)
    new, state2 = rule.step(params, grads, state if state is not None else rule.init(params), include_bias)
    if per_column:
        new = _uncolumns(new)
        state2 = OptState(state2.t, _uncolumns(state2.first), _uncolumns(state2.second)) if state2.first else state2
    return new, state2


def decay_factor(lr: float, lam: float, m: int) -> float:
    r"""The factor :math:`\rho = 1 - \eta\lambda/m` that multiplies every weight in :func:`l2_step`.

    With the data gradient switched off, :math:`W_t = \rho^t W_0`. Warns with
    :class:`DecayFactorWarning` when :math:`\eta\lambda/m \ge 1` (ρ ≤ 0: the
    weights flip sign every step; for ρ < −1 they also grow).

    >>> decay_factor(0.5, 2.0, 10)
    0.9
    """
    lr, lam, m = check_positive("lr", lr), check_real("lam", lam, 0.0), check_int("m", m)
    _warn_l2(lr, lam, m)
    return 1.0 - lr * lam / m


def init_state(params) -> OptState:
    """Zero moments shaped like ``params`` and ``t = 0``."""
    return OptState(0, _zeros_like(check_params(params)), _zeros_like(check_params(params)))


# ---------------------------------------------------------- the one-step functions
def l2_step(params: list, grads: list, lr: float, lam, m: int, include_bias: bool = False) -> list:
    r"""One gradient step on the L2-regularized cost, written in weight-decay form.

    .. math:: W \leftarrow \Big(1-\frac{\eta\lambda}{m}\Big)W - \eta\,dW, \qquad b \leftarrow b - \eta\,db

    Warns with :class:`DecayFactorWarning` when ηλ/m ≥ 1.

    >>> p = [(np.array([[2.0]]), np.array([1.0]))]
    >>> g = [(np.array([[0.5]]), np.array([0.5]))]
    >>> l2_step(p, g, lr=0.1, lam=1.0, m=1)        # W = 0.9*2 - 0.05, b = 1 - 0.05
    [(array([[1.75]]), array([0.95]))]

    Parameters
    ----------
    params, grads : list
        Lists of ``(W, b)`` pairs.
        Weights ``W`` (n_in, n_out), biases ``b`` (n_out,), and the gradients
        of the *data term only*, same shapes.
    lr, lam : float
        Learning rate η > 0 and λ ≥ 0 (or one λ per output column, see the module).
    m : int
        Training-set size in the penalty's 1/m — also when ``grads`` come from a minibatch.
    include_bias : bool
        Decay the biases too (a mistake; default False).
    """
    params = _check_step(params, grads)
    lr, m = check_positive("lr", lr), check_int("m", m)
    lam = _strength("lam", lam, params)
    include_bias = check_bool("include_bias", include_bias)
    _warn_l2(lr, lam, m)
    return _apply(SGD(lr), params, grads, None, lam, m, include_bias)[0]


def simplified_step(params: list, grads: list, lr: float, d, include_bias: bool = False) -> list:
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
    params = _check_step(params, grads)
    lr = check_positive("lr", lr)
    d = _strength("d", d, params)
    include_bias = check_bool("include_bias", include_bias)
    _warn_d(d)
    return _apply(SGD(lr, d), params, grads, None, 0.0, 1, include_bias)[0]


def momentum_step(params: list, grads: list, state: OptState, lr: float, lam=0.0, m: int = 1, d=0.0,
                  beta: float = 0.9, include_bias: bool = False) -> tuple[list, OptState]:
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
    params = _check_step(params, grads, state)
    m = check_int("m", m)
    lam, d = _strength("lam", lam, params), _strength("d", d, params)
    rule = Momentum(lr, beta, d)
    include_bias = check_bool("include_bias", include_bias)
    _warn_d(d)
    return _apply(rule, params, grads, state, lam, m, include_bias)


def adam_step(params: list, grads: list, state: OptState, lr: float, lam=0.0, m: int = 1,
              beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
              include_bias: bool = False) -> tuple[list, OptState]:
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
    params = _check_step(params, grads, state)
    rule = Adam(lr, beta1, beta2, eps)
    m = check_int("m", m)
    lam = _strength("lam", lam, params)
    include_bias = check_bool("include_bias", include_bias)
    return _apply(rule, params, grads, state, lam, m, include_bias)


def adamw_step(params: list, grads: list, state: OptState, lr: float, d=0.0,
               beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
               include_bias: bool = False) -> tuple[list, OptState]:
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
    params = _check_step(params, grads, state)
    d = _strength("d", d, params)
    rule = AdamW(lr, d, beta1, beta2, eps)
    include_bias = check_bool("include_bias", include_bias)
    _warn_d(d)
    return _apply(rule, params, grads, state, 0.0, 1, include_bias)


