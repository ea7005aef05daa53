r"""A small fully connected network in numpy: the network value, its kernels, losses and predictions.

Conventions used throughout the book:

* rows are examples: ``X`` has shape ``(m, n_features)``;
* layer ``l`` maps ``A_{l-1}`` (m, n_in) to ``Z_l = A_{l-1} W_l + b_l`` with
  ``W_l`` of shape ``(n_in, n_out)`` and ``b_l`` of shape ``(n_out,)``;
* ``params`` is a list of ``(W, b)`` pairs, one per layer; gradients come back
  in the same structure as ``(dW, db)`` pairs;
* a :class:`Net` is ``params`` together with the architecture that gives them
  meaning (hidden activation, output activation). Every public function that
  runs a network takes either a :class:`Net` or bare ``params`` with
  ``hidden=``/``output=`` keywords (defaults ``"relu"``/``"sigmoid"``).

The output activation fixes the loss, so that for every pair
:math:`\partial L / \partial Z_{\text{out}} = A_{\text{out}} - Y`:

==========  =========================  ======================================
output      loss                       task
==========  =========================  ======================================
sigmoid     binary cross-entropy       two classes, ``y`` in {0, 1}
softmax     categorical cross-entropy  K classes, ``y`` in {0, ..., K-1}
identity    half squared error         regression, ``y`` real
==========  =========================  ======================================

**Many networks at once.** The kernels (the functions whose names start with
an underscore: forward pass, back-propagation, per-example losses) also accept
*K networks of the same shape* stacked along a leading axis: ``W_l`` of shape
``(K, n_in, n_out)`` and ``b_l`` of shape ``(K, 1, n_out)``. One batched matrix
product then does the work of K. Training a whole λ grid
(:func:`l2lib.training.train` with an array ``lam``) and evaluating a particle
swarm (:mod:`l2lib.pso`) run through the same code as a single network.
Kernels do not check their arguments; the public functions check once.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import kernels as K
from ._validate import check_choice, check_params, check_real, check_rng, check_X, msg
from .kernels import (Cache, bce_from_logits, cce_from_logits, example_losses, half_squared_error, sigmoid,
                      softmax)

__all__ = ["Params", "HIDDEN", "OUTPUT", "Net", "as_net", "check_own_architecture", "init_params", "init_net",
           "Cache", "sigmoid", "softmax", "flatten", "unflatten", "weight_mask", "forward", "targets",
           "bce_from_logits", "cce_from_logits", "half_squared_error", "example_losses", "check_dev",
           "predict_proba", "predict", "accuracy"]

Params = list[tuple[np.ndarray, np.ndarray]]

HIDDEN = ("relu", "tanh")
OUTPUT = ("sigmoid", "softmax", "identity")


class Net(NamedTuple):
    """A network: its ``(W, b)`` pairs and the architecture that gives them meaning.

    >>> net = init_net([2, 3, 1], rng=0, hidden="tanh")
    >>> net.sizes, net.hidden, net.output
    ([2, 3, 1], 'tanh', 'sigmoid')
    """
    params: list
    hidden: str = "relu"
    output: str = "sigmoid"

    @property
    def sizes(self) -> list[int]:
        """The layer widths ``[n_0, n_1, ..., n_L]``, inputs first."""
        return [self.params[0][0].shape[-2]] + [W.shape[-1] for W, _ in self.params]

    # The two passes of the training loop (l2lib.training), unchecked; another kind of network
    # (l2lib.normalization.LNNet) brings its own.
    def _pass(self, params, X, ws=None) -> Cache:
        """The forward pass of ``params`` (K networks allowed) with this architecture: its cache."""
        return K.forward(params, X, self.hidden, self.output, ws=ws)[1]

    def _data_grads(self, params, cache: Cache, Y, ws=None):
        """The data term's gradients from that pass (:func:`l2lib.kernels.backward`)."""
        return K.backward(params, cache, Y, ws)


def as_net(net, hidden: str | None = None, output: str | None = None, name: str = "params") -> Net:
    """Check a :class:`Net`, or bare ``params`` with ``hidden``/``output``, and return a checked :class:`Net`.

    For a :class:`Net`, ``hidden`` and ``output`` may be omitted or repeat the
    network's own; a different value is an error (the network owns its
    architecture). For bare params they default to ``"relu"`` and ``"sigmoid"``.
    """
    if isinstance(net, Net):
        check_own_architecture(net, hidden, output)
        params, hidden, output = net.params, net.hidden, net.output
    else:
        params, hidden, output = net, hidden or "relu", output or "sigmoid"
    return Net(check_params(params, name), check_choice("hidden", hidden, HIDDEN),
               check_choice("output", output, OUTPUT))


def check_own_architecture(net, hidden: str | None, output: str | None) -> None:
    """A network owns its architecture: ``hidden`` and ``output`` passed with it must be omitted
    (None) or equal to its own, else a ValueError names the one that differs."""
    for key, given in (("hidden", hidden), ("output", output)):
        own = getattr(net, key)
        if given is not None and given != own:
            raise ValueError(msg(key, f"omitted or equal to the network's own {key} {own!r}", given))


def _like(net, params: Params):
    """``params`` in the form ``net`` came in: a :class:`Net` with the same architecture, or bare params."""
    return net._replace(params=params) if isinstance(net, Net) else params


# ---------------------------------------------------------------------- init
def init_params(layer_sizes: list[int] | tuple[int, ...], rng=None, hidden: str = "relu",
                scale: float = 1.0) -> Params:
    r"""Random weights, zero biases.

    ``W_l`` is drawn from :math:`\mathcal N(0, s^2)` with He scaling
    :math:`s^2 = 2/n_{in}` for ReLU and Glorot scaling :math:`s^2 = 1/n_{in}`
    for tanh, times ``scale``.

    >>> [W.shape for W, b in init_params([2, 8, 1], rng=0)]
    [(2, 8), (8, 1)]
    """
    check_choice("hidden", hidden, HIDDEN)
    rng = check_rng(rng)
    scale = check_real("scale", scale, 0.0)
    sizes = list(layer_sizes) if isinstance(layer_sizes, (list, tuple)) else None
    if sizes is None or len(sizes) < 2 or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1
                                              for n in sizes):
        raise ValueError(msg("layer_sizes", "a list of at least two positive ints (inputs, ..., outputs)",
                             layer_sizes))
    gain = 2.0 if hidden == "relu" else 1.0
    return [(rng.normal(0.0, scale * np.sqrt(gain / n_in), size=(n_in, n_out)), np.zeros(n_out))
            for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def init_net(layer_sizes: list[int] | tuple[int, ...], rng=None, hidden: str = "relu", output: str = "sigmoid",
             scale: float = 1.0) -> Net:
    """A :class:`Net` with :func:`init_params` weights (He or Glorot scaling by ``hidden``).

    >>> init_net([2, 8, 1], rng=0, hidden="tanh").hidden
    'tanh'
    """
    check_choice("output", output, OUTPUT)
    return Net(init_params(layer_sizes, rng, hidden, scale), hidden, output)


def flatten(params: Params) -> np.ndarray:
    """All weights and biases as one vector (W_1, b_1, W_2, b_2, ...). Accepts a :class:`Net`."""
    params = params.params if isinstance(params, Net) else check_params(params, finite=False)
    return np.concatenate([np.concatenate([W.ravel(), b.ravel()]) for W, b in params])


def unflatten(theta: np.ndarray, like: Params) -> Params:
    """Inverse of :func:`flatten`: cut ``theta`` into arrays shaped like ``like`` (a :class:`Net` gives a Net)."""
    shapes = (like.params if isinstance(like, Net) else check_params(like, "like", finite=False))
    theta = np.asarray(theta, dtype=float)
    n = sum(W.size + b.size for W, b in shapes)
    if theta.shape != (n,):
        raise ValueError(msg("theta", f"a vector of length {n} (the number of parameters)",
                             f"an array of shape {theta.shape}"))
    out, i = [], 0
    for W, b in shapes:
        Wn = theta[i:i + W.size].reshape(W.shape); i += W.size
        bn = theta[i:i + b.size].reshape(b.shape); i += b.size
        out.append((Wn, bn))
    return _like(like, out)


def weight_mask(params: Params) -> np.ndarray:
    """Boolean vector, aligned with :func:`flatten`, that is True on weights and False on biases."""
    params = params.params if isinstance(params, Net) else check_params(params, finite=False)
    return np.concatenate([np.concatenate([np.ones(W.size, bool), np.zeros(b.size, bool)])
                           for W, b in params])


def check_dev(X_dev, y_dev, net: Net):
    """Check a dev set once, at a training function's boundary: both or neither, named as such.

    Returns ``(X_dev, Y_dev)`` (the target matrix), or ``(None, None)``.
    """
    if (X_dev is None) != (y_dev is None):
        given, missing = ("X_dev", "y_dev") if y_dev is None else ("y_dev", "X_dev")
        raise ValueError(msg(missing, f"given together with {given!r} (a dev set needs both)", None))
    if X_dev is None:
        return None, None
    X_dev = check_X(X_dev, "X_dev", net.sizes[0])
    return X_dev, targets(y_dev, net.output, net.sizes[-1], X_dev.shape[0], name="y_dev")


# ------------------------------------------------------------------- forward
def forward(params, X, hidden: str | None = None, output: str | None = None):
    """Run the network (a :class:`Net`, or params with ``hidden``/``output``).

    Returns ``(A_out, cache)``; ``A_out`` has shape (m, n_out).
    """
    net = as_net(params, hidden, output)
    return K.forward(net.params, check_X(X, n_features=net.sizes[0]), net.hidden, net.output)


def targets(y, output: str, n_out: int, m: int | None = None, name: str = "y") -> np.ndarray:
    """Turn labels into the target matrix ``Y`` of shape (m, n_out), checking them.

    Binary labels must be 0 or 1; class labels integers in [0, n_out); regression
    targets any finite reals. ``name`` is the parameter named in errors (``y_dev`` for a dev set).
    """
    check_choice("output", output, OUTPUT)
    try:
        y = np.asarray(y)
    except (TypeError, ValueError):
        raise TypeError(msg(name, "an array of labels", f"a {type(y).__name__} that is not an array")) from None
    if y.ndim == 0:
        raise ValueError(msg(name, "an array of labels with one entry per row of X", y.item() if y.dtype.kind in "biufc" else y))
    if y.dtype.kind not in "biuf":
        raise TypeError(msg(name, "an array of numeric labels", f"an array of dtype {y.dtype}"))
    if y.size == 0:
        raise ValueError(f"The {name!r} parameter must be a non-empty array of labels. Got an empty array instead.")
    if m is not None and y.shape[0] != m:
        raise ValueError(f"The {name!r} parameter must have one label per row of {'X_dev' if name == 'y_dev' else 'X'} (m = {m}). "
                         f"Got {y.shape[0]} labels instead.")
    if output == "softmax":
        y = y.reshape(-1)
        if not np.issubdtype(y.dtype, np.integer) and not np.all(np.mod(y, 1) == 0):
            raise ValueError(f"The {name!r} parameter must hold integer class labels in [0, {n_out - 1}]. "
                             f"Got non-integer values instead.")
        bad = (y < 0) | (y >= n_out)
        if bad.any():
            raise ValueError(f"The {name!r} parameter must hold class labels in the range [0, {n_out - 1}]. "
                             f"Got {y[bad][0].item()!r} instead.")
        return np.eye(n_out)[y.astype(int)]
    Y = y.astype(float).reshape(y.shape[0], -1)
    if Y.shape[1] != n_out:
        raise ValueError(f"The {name!r} parameter must have {n_out} column(s) to match the output layer. "
                         f"Got shape {y.shape} instead.")
    if not np.all(np.isfinite(Y)):
        raise ValueError(f"The {name!r} parameter must hold finite values. Got NaN or inf instead.")
    if output == "sigmoid" and not np.all((Y == 0) | (Y == 1)):
        bad = Y[(Y != 0) & (Y != 1)][0].item()
        bad = int(bad) if float(bad).is_integer() else bad
        raise ValueError(f"The {name!r} parameter must hold binary labels in {{0, 1}}. Got {bad!r} instead.")
    return Y


# --------------------------------------------------------------- predictions
def predict_proba(params, X, hidden: str | None = None, output: str | None = None) -> np.ndarray:
    """Network output for ``X``: probabilities (sigmoid/softmax) or values (identity)."""
    return forward(params, X, hidden, output)[0]


def predict(params, X, hidden: str | None = None, output: str | None = None) -> np.ndarray:
    """Class labels (shape (m,)) for classification outputs, values for identity."""
    net = as_net(params, hidden, output)
    A = K.forward(net.params, check_X(X, n_features=net.sizes[0]), net.hidden, net.output)[0]
    return A if net.output == "identity" else K.labels(A, net.output)


def accuracy(params, X, y, hidden: str | None = None, output: str | None = None) -> float:
    """Fraction of examples classified correctly."""
    net = as_net(params, hidden, output)
    X = check_X(X, n_features=net.sizes[0])
    if net.output == "identity":
        raise ValueError(msg("output", "'sigmoid' or 'softmax' (accuracy needs classes)", net.output))
    Y = targets(y, net.output, net.sizes[-1], X.shape[0])
    return float(K.accuracies(net.params, X, Y, net.hidden, net.output))


