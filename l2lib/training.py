r"""The training loop: gradient steps on the regularized cost with any update rule, recording what the book plots.

One step of plain gradient descent on
:math:`J = \frac1m\sum L + \frac{\lambda}{2m}\sum_l\lVert W_l\rVert_F^2`:

.. math::  W_l \leftarrow W_l - \eta\Big(\frac{\partial J_{\text{data}}}{\partial W_l} + \frac{\lambda}{m} W_l\Big),
           \qquad b_l \leftarrow b_l - \eta\,\frac{\partial J_{\text{data}}}{\partial b_l}.

:func:`train` is the book's one training loop. The *coupled* λ (``lam=``) is
added to the gradient here, in the loop, through
:func:`l2lib.kernels.penalty_grad`; the update rule (``rule=``, an object of
:mod:`l2lib.optim`) turns the gradient into a step and applies its own
*decoupled* decay ``d``. With minibatches the data gradient is the batch mean
and ``m`` in λ/m stays the training-set size, so every batch size minimizes
the same cost. Given a 1-D grid ``lam``, the loop trains one copy of the network
per λ at once, all from the same start (one batched matrix product per layer).
"""
from __future__ import annotations

import numpy as np

from . import kernels as K
from ._validate import (all_finite, check_bool, check_diverged, check_int, check_lam, check_lam_grid, check_like,
                        check_params, check_rng, check_X, msg)
from .network import as_net, check_dev, check_own_architecture, targets
from .optim import SGD, Rule, warn_decay
from .penalty import check_layers

__all__ = ["HISTORY_KEYS", "train", "train_many", "sgd_step", "batches"]

HISTORY_KEYS = ("epoch", "data", "penalty", "total", "train_acc", "dev_acc", "dev_data", "norms", "bias_norms")


def sgd_step(params, grads, lr: float):
    """Plain step ``θ ← θ − η g`` on every array; returns new arrays.

    ``grads`` must hold one ``(dW, db)`` pair shaped like each pair of ``params``.
    """
    params = check_params(params)
    check_like(params, grads)
    return SGD(lr).step(params, grads, None)[0]


def batches(m: int, batch_size: int | None, rng: np.random.Generator) -> list:
    """Index sets of one epoch: everything at once, or a fresh shuffle cut into minibatches."""
    if batch_size is None:
        return [slice(None)]
    perm = rng.permutation(m)
    return [perm[i:i + batch_size] for i in range(0, m, batch_size)]


class _History:
    """The one history recorder: cost terms, accuracies and norms of one network or of K at once."""

    def __init__(self, net, X, Y, dev, lam_rec, m, layers, include_bias):
        self.net, self.X, self.Y, self.dev = net, X, Y, dev
        self.lam_rec, self.m, self.layers, self.include_bias = lam_rec, m, layers, include_bias
        self.rows: dict[str, list] = {k: [] for k in HISTORY_KEYS}

    def record(self, epoch: int, params, cache) -> np.ndarray:
        """Append one row for ``params`` (``cache``: their forward pass on X); returns the total cost."""
        out, clf = self.net.output, self.net.output != "identity"
        parts, _ = K.cost_and_grads(params, cache, self.Y, self.lam_rec, self.m, self.layers, self.include_bias,
                                    grads=False)
        nan = np.full(np.shape(parts.data), np.nan)
        row = {"epoch": epoch, "data": parts.data, "penalty": parts.penalty, "total": parts.total,
               "train_acc": K.hits(cache.A[-1], self.Y, out) if clf else nan,
               "norms": np.sqrt(K.sq_norms(params)), "bias_norms": np.sqrt(K.sq_norms(params, biases_only=True))}
        if self.dev[0] is None:
            row["dev_acc"] = row["dev_data"] = nan
        else:
            X_dev, Y_dev = self.dev
            c = self.net._pass(params, X_dev)
            row["dev_acc"] = K.hits(c.A[-1], Y_dev, out) if clf else nan
            row["dev_data"] = K.example_losses(c.Z[-1], Y_dev, out).mean(axis=-1)
        for k, v in row.items():
            self.rows[k].append(v)
        return parts.total

    def arrays(self) -> dict:
        return {k: np.asarray(v, dtype=float) for k, v in self.rows.items()}


def train(net, X, y, lam=0.0, lr: float | None = None, epochs: int = 1000, batch_size: int | None = None,
          rng=None, X_dev=None, y_dev=None, hidden: str | None = None, output: str | None = None, layers=None,
          include_bias: bool = False, record_every: int = 1, rule: Rule | None = None, m: int | None = None,
          on_step=None):
    r"""Train a network on the regularized cost: the book's one training loop.

    Divergence raises ``FloatingPointError``, naming ``lr``, ``lam``, ``m`` and
    the factor 1 - lr*lam/m. The rule (module ``l2lib._validate``): the weights
    are no longer finite after an epoch, or a recorded cost is not finite or
    exceeds 10^6 times max(J_0, 1).

    Parameters
    ----------
    net
        The start: a :class:`~l2lib.network.Net`, or a list of ``(W, b)`` pairs with ``hidden`` and
        ``output`` (defaults ``"relu"`` and ``"sigmoid"``), or a layer-normalized
        :class:`~l2lib.normalization.LNNet`.
    X, y
        Training set, ``X`` of shape (m, n_features) and its labels.
    lam
        The coupled L2 strength λ of :math:`\frac{\lambda}{2m}\sum\lVert W\rVert_F^2`, a float. A strictly
        increasing 1-D grid of them trains one copy of the network per λ at once, all from ``net``.
    lr
        Learning rate of plain gradient descent, shorthand for ``rule=SGD(lr)`` (default 0.5).
    rule
        The update rule, an :class:`~l2lib.optim.SGD`, :class:`~l2lib.optim.Momentum` or
        :class:`~l2lib.optim.Adam` (:func:`~l2lib.optim.AdamW`), carrying its decoupled decay ``d``.
    epochs, batch_size, rng
        Passes over the data; the minibatch size (None: full batch); the minibatch shuffle's seed.
    X_dev, y_dev
        An optional dev set, recorded as ``dev_acc`` and ``dev_data``.
    layers, include_bias
        Which layers' weights the coupled penalty covers (None: all), and whether it and the rule's
        decoupled decay cover the biases too (a mistake the book shows; default False).
    record_every
        Record the history every this many epochs, and always at the last.
    m
        The m of λ/m (default: the training-set size, minibatches or not).
    on_step
        None, or a function called before every step as ``on_step(params, grads)``: the parameters
        about to be updated and the gradients of the batch's data term (penalty not added), for a
        caller that records per-step quantities (:func:`l2lib.normalization.ln_train`). It must not
        change them.

    Returns
    -------
    tuple
        ``(net, history)``. The trained network comes back in the form it was given (a Net, or
        params); for a λ grid, a list of them, one per λ. ``history`` maps each of
        :data:`HISTORY_KEYS` to an array with one row per recorded epoch: ``epoch``; ``data`` (the
        data term on the training set), ``penalty``, ``total``, ``train_acc``, ``dev_acc`` and
        ``dev_data`` (NaN without a dev set; accuracies NaN for identity outputs), each of shape
        (n_records,) or (n_records, K) for a grid; ``norms`` and ``bias_norms`` (‖W_l‖_F and ‖b_l‖
        per layer), of shape (n_records, n_layers) or (n_records, K, n_layers). With a decoupled
        ``d``, ``penalty`` and ``total`` use λ + d·m/η, the cost that plain gradient descent with
        that decay minimizes.
    """
    given = net
    net = _checked_net(net, hidden, output)
    X = check_X(X, n_features=net.sizes[0])
    n = X.shape[0]
    grid = np.ndim(lam) > 0
    lam = check_lam_grid(lam, "lam") if grid else check_lam(lam)
    if rule is None:
        rule = SGD(0.5 if lr is None else lr)
    elif lr is not None:
        raise ValueError(msg("lr", f"omitted when 'rule' is given (the rule's own lr is {rule.lr!r})", lr))
    elif not isinstance(rule, Rule):
        raise TypeError(msg("rule", "an update rule of l2lib.optim (SGD, Momentum, Adam, AdamW)", rule))
    if grid and np.ndim(rule.d) > 0:
        raise ValueError(msg("rule", "a rule with a scalar d when 'lam' is a grid", rule))
    epochs = check_int("epochs", epochs, 0)
    record_every = check_int("record_every", record_every, 1)
    m = n if m is None else check_int("m", m)
    if batch_size is not None:
        batch_size = check_int("batch_size", batch_size, 1, n)
    include_bias = check_bool("include_bias", include_bias)
    layers = check_layers(layers, len(net.params))
    rng = check_rng(rng)
    if on_step is not None and not callable(on_step):
        raise TypeError(msg("on_step", "None or a function on_step(params, grads)", on_step))
    Y = targets(y, net.output, net.sizes[-1], n)
    dev = check_dev(X_dev, y_dev, net)
    warn_decay(f"1 - d (d={rule.d!r})", 1.0 - np.max(rule.d), stacklevel=2)   # coupled λ: see the divergence rule

    params = net.params
    if grid:                                             # K copies along a leading axis; b as (K, 1, n_out)
        params = [(np.repeat(W[None], lam.size, axis=0), np.repeat(b[None, None], lam.size, axis=0))
                  for W, b in params]
    out = _loop(net, params, X, Y, lam, rule, epochs, batch_size, rng, dev, layers, include_bias, record_every, m,
                on_step)
    params, hist = out
    if grid:
        return [_as_given(given, net, [(W[k], b[k, 0]) for W, b in params]) for k in range(lam.size)], hist
    return _as_given(given, net, params), hist


def _checked_net(net, hidden, output):
    """The network ``train`` was given, checked: a layer-normalized LNNet as it is (it brings its own
    passes), anything else through :func:`l2lib.network.as_net`."""
    from .normalization import LNNet, check_ln_net     # normalization builds on this module, so not at the top
    if isinstance(net, LNNet):
        check_own_architecture(net, hidden, output)
        return check_ln_net(net)
    return as_net(net, hidden, output)


def _as_given(given, net, params):
    """``params`` in the form the network was given: a network of its kind, or bare params."""
    return net._replace(params=params) if type(given) is type(net) else params


def _loop(net, params, X, Y, lam, rule: Rule, epochs, batch_size, rng, dev, layers, include_bias,
          record_every, m, on_step):
    """The loop itself, on checked arguments (the same for one network and for a grid of K).

    ``net`` is a checked Net or LNNet: its ``_pass`` and ``_data_grads`` are the forward pass and the
    data term's gradient; the penalty's gradient is added here, once, for either."""
    def step(params, cache, Y, ws, state):
        g = net._data_grads(params, cache, Y, ws)
        if on_step is not None:
            on_step(params, g)
        return rule.step(params, K.add_penalty_grad(params, g, lam, m, layers, include_bias), state, include_bias)

    lam_rec = lam + rule.lam_equivalent(m) if np.any(rule.d) else lam
    hist = _History(net, X, Y, dev, lam_rec, m, layers, include_bias)
    full = batch_size is None
    state = rule.init(params)
    ws, ws_batch = K.Workspace(), K.Workspace()     # the large temporaries, allocated once
    cache = net._pass(params, X, ws)
    total0 = hist.record(0, params, cache)
    # divergence is reported below, by name (and a layer-normalized row with no spread divides by 0)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(1, epochs + 1):
            if full:
                params, state = step(params, cache, Y, ws, state)
            else:
                for idx in batches(X.shape[0], batch_size, rng):
                    params, state = step(params, net._pass(params, X[idx], ws_batch), Y[idx], ws_batch, state)
            ok = all_finite(params)
            due = ok and (epoch % record_every == 0 or epoch == epochs)
            if ok and (due or (full and epoch < epochs)):
                cache = net._pass(params, X, ws)
            total = hist.record(epoch, params, cache) if due else None
            if not ok:
                bad = _bad_networks(params) if np.ndim(lam) else None
                check_diverged(epoch, None, None, False, rule.lr, lam if bad is None else lam[bad][:1], m, rule.d)
            check_diverged(epoch, total, total0, True, rule.lr, lam, m, rule.d)
    return params, hist.arrays()


def _bad_networks(params) -> np.ndarray:
    """Which of K stacked networks hold a non-finite weight or bias: boolean (K,)."""
    return np.any([~(np.isfinite(W).all(axis=(1, 2)) & np.isfinite(b).all(axis=(1, 2))) for W, b in params], axis=0)


def train_many(net, X, y, lams, lr: float = 0.5, epochs: int = 1000, X_dev=None, y_dev=None,
               hidden: str | None = None, output: str | None = None, layers=None, record_every: int = 10,
               rule: Rule | None = None):
    r"""Shorthand for :func:`train` with a λ grid, full batch, recording every 10 epochs by default.

    Returns ``(nets, history)``: ``nets[k]`` trained with ``lams[k]`` (each exactly the network
    :func:`train` gives for that λ alone), history arrays of shape (n_records, K) and norms
    (n_records, K, n_layers). ``lams`` must be non-empty and strictly increasing.
    """
    lams = check_lam_grid(lams)
    return train(net, X, y, lams, None if rule is not None else lr, epochs, None, None, X_dev, y_dev, hidden,
                 output, layers, False, record_every, rule)
