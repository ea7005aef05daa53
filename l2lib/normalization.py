r"""Weight decay with layer normalization: L2 no longer limits the function, it sets a learning rate.

**The network.** Every hidden layer l normalizes its pre-activation over the units of each
example before the bias and the activation,

.. math::  Z_l = A_{l-1}W_l,\qquad \hat Z_l = \mathrm{LN}(Z_l) = \frac{Z_l - \mu(Z_l)}{\sigma(Z_l)},
           \qquad A_l = g(\hat Z_l + b_l),

with μ and σ the mean and standard deviation of a row (no learned gain; ``eps`` = 0 by
default, see :func:`layer_norm`). The output layer is the usual :math:`A_{L-1}W_L + b_L`.
The cost is the book's, :math:`J + \frac{\lambda}{2m}\sum_l\lVert W_l\rVert_F^2` through
:func:`l2lib.kernels.penalty`, biases not penalized.

**Scale invariance.** :math:`\mathrm{LN}(cZ) = \mathrm{LN}(Z)` for :math:`c > 0`, so the function
does not depend on :math:`\lVert W_l\rVert` for a hidden layer: :math:`J(cW) = J(W)`. Three
consequences (for the data term :math:`J` as a function of one hidden :math:`W`):

1. *The gradient is orthogonal to W*: :math:`\langle\nabla J(W), W\rangle = \frac{d}{dc}J(cW)\big|_{c=1} = 0`.
2. *It scales inversely*: differentiating :math:`J(cW) = J(W)` in W gives
   :math:`c\,\nabla J(cW) = \nabla J(W)`, so :math:`\nabla J(W) = \tilde g/\lVert W\rVert` with
   :math:`\tilde g = \nabla J(\hat W)` the gradient at the unit-norm :math:`\hat W = W/\lVert W\rVert`.
3. *The norm sets the learning rate*: a step :math:`W - \eta\nabla J(W)` divided by
   :math:`r = \lVert W\rVert` is :math:`\hat W - (\eta/r^2)\tilde g`, a step of size
   :math:`\eta/r^2` from the unit-norm weights, and only the direction matters. The effective
   learning rate is :math:`\eta/\lVert W\rVert^2` (:func:`effective_lr`); the coupled decay
   only rescales W, so it changes nothing but :math:`\lVert W\rVert`, and with it that rate.

**The equilibrium norm** (van Laarhoven 2017, "L2 regularization versus batch and weight
normalization", arXiv:1706.05350). SGD with coupled decay, :math:`\delta = \eta\lambda/m`:
:math:`W_{t+1} = (1-\delta)W_t - \eta g_t`. Since :math:`g_t \perp W_t` (1., for every
minibatch, each minibatch loss being scale invariant too),

.. math::  \lVert W_{t+1}\rVert^2 = (1-\delta)^2\lVert W_t\rVert^2 + \eta^2\lVert g_t\rVert^2
           = (1-\delta)^2\lVert W_t\rVert^2 + \frac{\eta^2\lVert\tilde g_t\rVert^2}{\lVert W_t\rVert^2}

by 2. Decay shrinks the norm by a fixed fraction; the gradient noise grows it by more the
smaller it is. They balance where :math:`N = \lVert W\rVert^2` satisfies
:math:`N = (1-\delta)^2 N + \eta^2 G/N`, :math:`G = \mathbb E\lVert\tilde g\rVert^2`:

.. math::  \lVert W\rVert^4 = \frac{\eta^2 G}{2\delta - \delta^2}
           \approx \frac{\eta\,G}{2\lambda/m}\quad\text{(first order in }\delta\text{)}

(:func:`equilibrium_norm`). There the effective learning rate is
:math:`\eta/\lVert W\rVert^2 = \sqrt{(2\delta-\delta^2)/G} \approx \sqrt{2\eta\lambda/(mG)}`:
a larger λ means faster, noisier learning of the direction, not a smaller function. From far
above, decay alone divides :math:`\lVert W\rVert^2` by :math:`(1-\delta)^2 \approx 1 - 2\delta` per
step; near the equilibrium the gap closes by about :math:`4\delta` per step (the slope of
:math:`N \mapsto (1-\delta)^2N + \eta^2G/N` at the fixed point is :math:`1 - 4\delta + 2\delta^2`).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import kernels as K
from ._validate import check_choice, check_int, check_lam, check_params, check_positive, check_real, check_X, msg
from .network import HIDDEN, OUTPUT, init_params, targets
from .optim import SGD
from .penalty import check_layers
from .training import train

__all__ = ["LNNet", "init_ln_net", "layer_norm", "ln_forward", "ln_predict_proba", "ln_cost_and_grads",
           "rescale", "effective_lr", "equilibrium_norm", "LN_HISTORY_KEYS", "ln_train",
           "check_ln_net"]


class LNNet(NamedTuple):
    """A network whose hidden layers are layer-normalized: its ``(W, b)`` pairs and architecture.

    ``params`` as for :class:`~l2lib.network.Net`; in a hidden layer ``b_l`` is added after the
    normalization. ``eps`` is the ε of :func:`layer_norm`.

    >>> init_ln_net([2, 4, 1], rng=0).sizes
    [2, 4, 1]
    """
    params: list
    hidden: str = "relu"
    output: str = "sigmoid"
    eps: float = 0.0

    @property
    def sizes(self) -> list[int]:
        """The layer widths ``[n_0, n_1, ..., n_L]``, inputs first."""
        return [self.params[0][0].shape[-2]] + [W.shape[-1] for W, _ in self.params]

    # The two passes of the training loop (l2lib.training.train), unchecked, as l2lib.network.Net has them.
    def _pass(self, params, X, ws=None) -> "_Cache":
        """The forward pass of ``params`` (K networks allowed) with this architecture: its cache."""
        return _forward(params, X, self.hidden, self.output, self.eps)[1]

    def _data_grads(self, params, cache: "_Cache", Y, ws=None):
        """The data term's gradients from that pass."""
        return _backward(params, cache, Y, self.hidden)


def check_ln_net(net) -> LNNet:
    """Check an :class:`LNNet` (its params, architecture and ε) and return it checked."""
    if not isinstance(net, LNNet):
        raise TypeError(msg("net", "an LNNet (see init_ln_net)", type(net).__name__))
    params = check_params(net.params, "net")
    for l, (W, _) in enumerate(params[:-1], start=1):
        if W.shape[1] < 2:
            raise ValueError(msg("net", "hidden layers of at least 2 units (layer normalization divides by "
                                        "the spread over the units)", f"{W.shape[1]} unit in hidden layer {l}"))
    if len(params) < 2:
        raise ValueError(msg("net", "at least one hidden (normalized) layer", "a network without one"))
    return LNNet(params, check_choice("hidden", net.hidden, HIDDEN), check_choice("output", net.output, OUTPUT),
                 check_real("eps", net.eps, 0.0))


def init_ln_net(layer_sizes, rng=None, hidden: str = "relu", output: str = "sigmoid", eps: float = 0.0,
                scale: float = 1.0) -> LNNet:
    """An :class:`LNNet` with the weights of :func:`l2lib.network.init_params` (zero biases).

    ``layer_sizes`` is ``[n_in, n_1, ..., n_out]`` with at least one hidden layer of >= 2 units.

    >>> [W.shape for W, _ in init_ln_net([3, 5, 1], rng=0).params]
    [(3, 5), (5, 1)]
    """
    check_choice("output", output, OUTPUT)
    return check_ln_net(LNNet(init_params(layer_sizes, rng, hidden, scale), hidden, output, eps))


# ------------------------------------------------------------------ kernels (unchecked, K networks too)
def _ln(Z, eps: float):
    """Normalize each row of Z (over the last axis): ``(Zhat, sigma)``, sigma of shape (..., 1)."""
    d = Z - Z.mean(axis=-1, keepdims=True)
    sigma = np.sqrt((d * d).mean(axis=-1, keepdims=True) + eps)
    return d / sigma, sigma


def _ln_backward(dZhat, Zhat, sigma):
    r"""dJ/dZ from dJ/dẐ: :math:`\frac1\sigma\big(d\hat z - \overline{d\hat z} - \hat z\,\overline{d\hat z\,\hat z}\big)` per row.

    From :math:`\hat z = (z - \mu)/\sigma`, :math:`\partial\mu/\partial z_j = 1/n` and
    :math:`\partial\sigma/\partial z_j = \hat z_j/n` (bars are means over the row's n units).
    """
    return (dZhat - dZhat.mean(axis=-1, keepdims=True)
            - Zhat * (dZhat * Zhat).mean(axis=-1, keepdims=True)) / sigma


class _Cache(NamedTuple):
    """What the forward pass keeps; ``A``, ``Z`` and ``output`` as in :class:`l2lib.kernels.Cache`, which
    is what the training loop's cost (:func:`l2lib.kernels.cost_and_grads`) reads."""
    A: list       # A[0] = X, A[l] = activation of layer l
    Z: list       # Z[l-1]: what layer l's activation is applied to (Ẑ_l + b_l for hidden layers)
    Zhat: list    # normalized pre-activations of the hidden layers
    sigma: list   # their row spreads
    output: str


def _forward(params, X, hidden: str, output: str, eps: float):
    act, A, U, Zhat, sig = K.ACTIVATIONS[hidden], [X], [], [], []
    last = len(params) - 1
    for l, (W, b) in enumerate(params):
        Z = A[-1] @ W
        if l < last:
            zh, s = _ln(Z, eps)
            Zhat.append(zh)
            sig.append(s)
            U.append(zh + b)
            A.append(act(U[-1]))
        else:
            U.append(Z + b)
            A.append(K.OUTPUTS[output](U[-1]))
    return A[-1], _Cache(A, U, Zhat, sig, output)


def _backward(params, cache: _Cache, Y, hidden: str):
    """Gradients of the data term (the mean loss) for every (W, b); a leading axis of K networks allowed."""
    m = Y.shape[-2]
    dU = (cache.A[-1] - Y) / m                  # dJ/dU_out for the three output/loss pairs
    deriv = K.DERIVATIVES[hidden]
    grads = []
    for l in range(len(params) - 1, -1, -1):
        W = params[l][0]
        db = dU.sum(axis=-2, keepdims=dU.ndim == 3)
        dZ = dU if l == len(params) - 1 else _ln_backward(dU, cache.Zhat[l], cache.sigma[l])
        grads.append((np.swapaxes(cache.A[l], -1, -2) @ dZ, db))
        if l > 0:
            dU = deriv(dZ @ np.swapaxes(W, -1, -2), cache.Z[l - 1], cache.A[l])
    return grads[::-1]


def _data_loss(cache: _Cache, Y, output: str):
    return K.example_losses(cache.Z[-1], Y, output).mean(axis=-1)


# ------------------------------------------------------------------ checked functions
def layer_norm(Z, eps: float = 0.0) -> np.ndarray:
    r"""Each row of ``Z`` centred and divided by its standard deviation: :math:`(z - \mu)/\sqrt{\sigma^2 + \varepsilon}`.

    With ``eps = 0`` (the default here) :math:`\mathrm{LN}(cZ) = \mathrm{LN}(Z)` for every
    :math:`c > 0`, to rounding; a positive ε (1e-5 in most frameworks) breaks this for rows
    whose spread is comparable to :math:`\sqrt\varepsilon`. A constant row has no spread and,
    with ``eps = 0``, raises a ValueError.

    >>> layer_norm([[1.0, 3.0], [10.0, 30.0]]).tolist()
    [[-1.0, 1.0], [-1.0, 1.0]]
    """
    Z = check_X(Z, "Z")
    eps = check_real("eps", eps, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):       # a constant row is reported below, by name
        zh, s = _ln(Z, eps)
    if not np.all(s > 0):
        raise ValueError(msg("Z", "rows that are not constant (their spread divides), or eps > 0",
                             f"a constant row {int(np.argmin(s[:, 0]))}"))
    return zh


def _checked_pass(net, X):
    net = check_ln_net(net)
    X = check_X(X, n_features=net.sizes[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        A, cache = _forward(net.params, X, net.hidden, net.output, net.eps)
    if not all(np.all(s > 0) for s in cache.sigma):
        raise ValueError(msg("X", "inputs whose hidden pre-activations are not constant across units "
                                  "(layer normalization divides by their spread), or an LNNet with eps > 0",
                             "a row with no spread"))
    return net, X, A, cache


def ln_forward(net: LNNet, X):
    """Run an :class:`LNNet` on ``X``: returns ``(A_out, cache)``, ``A_out`` of shape (m, n_out)."""
    _, _, A, cache = _checked_pass(net, X)
    return A, cache


def ln_predict_proba(net: LNNet, X) -> np.ndarray:
    """The network's output for ``X``: probabilities (sigmoid/softmax) or values (identity)."""
    return ln_forward(net, X)[0]


def ln_cost_and_grads(net: LNNet, X, y, lam: float = 0.0, layers=None, m: int | None = None):
    r"""``(CostParts, grads)`` of an :class:`LNNet`: the data term plus :math:`\frac{\lambda}{2m}\sum\lVert W_l\rVert_F^2`.

    The penalty and its gradient come from :func:`l2lib.kernels.penalty` and
    :func:`l2lib.kernels.add_penalty_grad` (``layers``: which weights, default all; biases
    never). ``m`` defaults to the number of rows of ``X``.
    """
    net, X, _, cache = _checked_pass(net, X)
    n = X.shape[0]
    m = n if m is None else check_int("m", m)
    lam = check_lam(lam)
    layers = check_layers(layers, len(net.params))
    Y = targets(y, net.output, net.sizes[-1], n)
    data = float(_data_loss(cache, Y, net.output))
    pen = float(K.penalty(net.params, lam, m, layers, False))
    grads = K.add_penalty_grad(net.params, _backward(net.params, cache, Y, net.hidden), lam, m, layers, False)
    return K.CostParts(data, pen, data + pen), grads


def rescale(net: LNNet, c: float, layers=None) -> LNNet:
    """The same network with the weights of hidden ``layers`` (default: all hidden layers) multiplied by ``c`` > 0.

    Its function is unchanged (:func:`layer_norm`), to rounding; its penalty is not.
    """
    net = check_ln_net(net)
    c = check_positive("c", c)
    hidden = len(net.params) - 1
    layers = tuple(range(hidden)) if layers is None else check_layers(layers, hidden)
    return net._replace(params=[(W * c if l in layers else W, b) for l, (W, b) in enumerate(net.params)])


def effective_lr(lr: float, norm) -> np.ndarray:
    r"""The learning rate a scale-invariant weight feels: :math:`\eta/\lVert W\rVert^2` (derivation in the module).

    >>> float(effective_lr(0.1, 0.5))
    0.4
    """
    lr = check_positive("lr", lr)
    r = np.asarray(norm, dtype=float)
    if not np.all(np.isfinite(r)) or np.any(r <= 0):
        raise ValueError(msg("norm", "a float or an array of floats in the range (0, inf)", norm))
    return lr / (r * r)


def equilibrium_norm(lr: float, lam, m: int, grad_sq, first_order: bool = False) -> np.ndarray:
    r"""The norm where coupled decay and gradient noise balance on a scale-invariant weight.

    :math:`\lVert W\rVert = \big(\eta^2 G/(2\delta - \delta^2)\big)^{1/4}` with
    :math:`\delta = \eta\lambda/m` and ``grad_sq`` :math:`G = \mathbb E\lVert\tilde g\rVert^2`, the
    mean squared gradient at unit norm; ``first_order=True`` gives
    :math:`\big(\eta G/(2\lambda/m)\big)^{1/4}`. Derivation in the module. ``lam`` (> 0, with
    :math:`\delta < 1`) and ``grad_sq`` broadcast: a λ grid is one call.

    >>> float(equilibrium_norm(0.5, 2.0, 4, 0.75))       # delta = 1/4: (0.25 * 0.75 / (7/16))**0.25
    0.8091067115702212
    """
    lr = check_positive("lr", lr)
    m = check_int("m", m)
    lam = np.asarray(lam, dtype=float)
    G = np.asarray(grad_sq, dtype=float)
    delta = lr * lam / m
    if not np.all(np.isfinite(lam)) or np.any(lam <= 0) or np.any(delta >= 1):
        raise ValueError(msg("lam", f"a float or array of floats in the range (0, m/lr = {m / lr:.4g}) "
                                    f"(without decay there is no equilibrium; with lr*lam/m >= 1 the decay "
                                    f"reverses the weights)", lam.tolist()))
    if not np.all(np.isfinite(G)) or np.any(G < 0):
        raise ValueError(msg("grad_sq", "a float or array of floats in the range [0, inf)", grad_sq))
    denom = 2.0 * delta if first_order else 2.0 * delta - delta * delta
    return (lr * lr * G / denom) ** 0.25


# ------------------------------------------------------------------ training
#: Keys of the history of :func:`ln_train`. Per step (rows = steps): ``step_norms`` (‖W_l‖ before
#: the step), ``step_grad_sq`` (‖∂J_batch/∂W_l‖² of the data term), ``step_unit_grad_sq``
#: (the same at unit norm, ‖g̃‖² = ‖g‖²‖W‖²) and ``step_cos`` (cosine between that gradient and
#: W_l). Per epoch (rows = epochs 0..E): ``epoch``, ``data``, ``penalty``, ``total`` on the whole
#: training set and ``norms`` (‖W_l‖).
LN_HISTORY_KEYS = ("step_norms", "step_grad_sq", "step_unit_grad_sq", "step_cos", "epoch", "data", "penalty",
                   "total", "norms")


def ln_train(net: LNNet, X, y, lam=0.0, lr: float = 0.1, epochs: int = 100, batch_size: int | None = None,
             rng=None, layers=None):
    r"""Minibatch SGD with coupled L2 on an :class:`LNNet`, recording what the equilibrium needs.

    The book's training loop, :func:`l2lib.training.train` with ``rule=SGD(lr)``: each step
    :math:`W \leftarrow W - \eta\big(\partial J_{\text{batch}}/\partial W + (\lambda/m)W\big)`, m the
    training-set size; ``batch_size=None``: full batch. ``lam`` may be a strictly increasing grid:
    one copy of the network per λ, trained at once from ``net`` on the same minibatches.
    Divergence raises ``FloatingPointError``, by the loop's rule. What this adds is the record of
    every step, taken through the loop's ``on_step``.

    Returns ``(net, history)``: the trained :class:`LNNet` (a list of them for a grid) and a dict
    of :data:`LN_HISTORY_KEYS` arrays, each row with a (K,) axis after the first for a grid and
    a last axis over layers for the norms and gradients.
    """
    net = check_ln_net(net)
    steps = {k: [] for k in LN_HISTORY_KEYS[:4]}

    def record_step(params, g):
        sq, gsq = K.sq_norms(params), K.sq_norms(g)
        dots = np.stack([np.sum(dW * W, axis=(-2, -1)) for (W, _), (dW, _) in zip(params, g)], axis=-1)
        for key, v in (("step_norms", np.sqrt(sq)), ("step_grad_sq", gsq), ("step_unit_grad_sq", gsq * sq),
                       ("step_cos", dots / np.sqrt(np.maximum(gsq * sq, 1e-300)))):
            steps[key].append(v)

    trained, hist = train(net, X, y, lam, epochs=epochs, batch_size=batch_size, rng=rng, layers=layers,
                          rule=SGD(lr), on_step=record_step)
    out = {k: np.asarray(v, dtype=float) for k, v in steps.items()}
    out.update((k, hist[k]) for k in LN_HISTORY_KEYS[4:])
    return trained, out
