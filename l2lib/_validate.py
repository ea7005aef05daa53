"""Argument checks shared by every public function.

One message template (after scikit-learn): the parameter's name, the allowed
range, and the value received, e.g.
``The 'lam' parameter must be a float in the range [0, inf). Got -1.0 instead.``

Rules kept here, in one place:

* **dtype**: arrays (``X``, every ``W`` and ``b`` of ``params``) are promoted
  to float64 at the public boundary; float32 or int input never reaches a
  kernel, so every cost, gradient and step is computed in float64. Input that
  is not numeric (strings, objects) is rejected with a ``TypeError``.
* **λ grids** (``lams`` of :func:`l2lib.train_many` and
  :func:`l2lib.selection.validation_curve`) must be non-empty and strictly
  increasing: a grid is a curve's x-axis, so an unsorted or repeated value is
  a mistake, not an order to keep.
* **Divergence** (:func:`diverged`, :func:`divergence_error`): every training
  loop stops with ``FloatingPointError`` after an epoch whose weights are not
  all finite (checked every epoch) or whose recorded total cost is not finite
  or exceeds ``DIVERGENCE_FACTOR`` (10^6) times ``max(J_0, 1)``, ``J_0`` being
  the cost before the first step (checked at every recorded epoch; the last
  epoch is always recorded). The message names ``lr``, ``lam``, ``m`` and the
  decay factor 1 - lr*lam/m.
"""
from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

__all__ = ["msg", "check_bool", "check_real", "check_lam", "check_positive", "check_int", "check_choice", "check_X", "check_rng",
           "check_params", "check_like", "check_lam_grid", "DIVERGENCE_FACTOR", "all_finite", "diverged",
           "divergence_error", "check_diverged"]


def msg(name: str, what: str, got: object) -> str:
    """The one error-message template: ``The 'name' parameter must be <what>. Got <got!r> instead.``"""
    return f"The {name!r} parameter must be {what}. Got {got!r} instead."




def check_real(name: str, value: object, low: float = -math.inf, high: float = math.inf,
               low_open: bool = False, high_open: bool = False) -> float:
    """Return ``value`` as a float after checking it is a finite real in a range."""
    lo = "(" if low_open or low == -math.inf else "["
    hi = ")" if high_open or high == math.inf else "]"
    what = f"a float in the range {lo}{low:g}, {high:g}{hi}".replace("inf", "inf")
    if isinstance(value, bool) or not isinstance(value, (Real, np.floating, np.integer)):
        raise TypeError(msg(name, what, value))
    v = float(value)
    bad = (not math.isfinite(v) or v < low or v > high
           or (low_open and v == low) or (high_open and v == high))
    if bad:
        raise ValueError(msg(name, what, value))
    return v


def check_bool(name: str, value: object) -> bool:
    """A Python or numpy bool (not an int: ``1`` for ``True`` is usually a misplaced argument)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(msg(name, "a bool", value))
    return bool(value)


def check_lam(value: object, name: str = "lam") -> float:
    """λ must be a finite float ≥ 0."""
    return check_real(name, value, 0.0)


def check_positive(name: str, value: object) -> float:
    """A finite float > 0 (learning rates, ε of a finite difference, ...)."""
    return check_real(name, value, 0.0, low_open=True)


def check_int(name: str, value: object, low: int = 1, high: float = math.inf) -> int:
    """An integer in ``[low, high]``."""
    what = f"an int in the range [{low}, {high:g}]" if high != math.inf else f"an int in the range [{low}, inf)"
    if isinstance(value, bool) or not isinstance(value, (Integral, np.integer)):
        raise TypeError(msg(name, what, value))
    if value < low or value > high:
        raise ValueError(msg(name, what, value))
    return int(value)


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(msg(name, "one of " + ", ".join(repr(c) for c in choices), value))
    return value  # type: ignore[return-value]


def _as_float(name: str, value: object, what: str) -> np.ndarray:
    """``value`` as a float64 array; non-numeric input raises a TypeError naming ``name``."""
    try:
        a = np.asarray(value)
    except (TypeError, ValueError):     # ragged nested lists
        raise TypeError(msg(name, what, f"a {type(value).__name__} that is not a rectangular array")) from None
    if a.dtype.kind not in "biuf":
        raise TypeError(msg(name, what + " of numbers", f"an array of dtype {a.dtype}"))
    return a.astype(np.float64, copy=False)


def check_X(X: object, name: str = "X", n_features: int | None = None) -> np.ndarray:
    """A finite 2-D float64 array with at least one row: (m, n_features)."""
    X = _as_float(name, X, "a 2-D array")
    if X.ndim != 2:
        raise ValueError(msg(name, "a 2-D array of shape (m, n_features)", f"an array of shape {X.shape}"))
    if X.shape[0] == 0:
        raise ValueError(msg(name, "a non-empty array (m >= 1 examples)", f"an array of shape {X.shape}"))
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(msg(name, f"an array with {n_features} columns (the network's input size)",
                              f"an array of shape {X.shape}"))
    if not np.all(np.isfinite(X)):
        raise ValueError(msg(name, "an array of finite values", "an array containing NaN or inf"))
    return X


def check_rng(rng: object) -> np.random.Generator:
    """Accept a Generator, an int seed or None (fresh entropy) and return a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (Integral, np.integer)) and not isinstance(rng, bool) and rng >= 0):
        return np.random.default_rng(rng)
    raise TypeError(msg("rng", "a numpy Generator, a non-negative int seed or None", rng))


def check_params(params: object, name: str = "params", finite: bool = True) -> list:
    """A non-empty list of ``(W, b)`` pairs that chain, finite, returned as float64 arrays.

    ``W_l`` has shape (n_in, n_out) and ``b_l`` shape (n_out,); array-likes
    (nested lists, float32, ints) are converted to float64. Returns a new list
    (the arrays themselves are not copied when they already are float64).
    ``finite=False`` skips the NaN/inf check (for functions that training
    loops call, whose divergence check reports non-finite weights by name).
    """
    what = "a non-empty list of (W, b) pairs"
    if not isinstance(params, (list, tuple)) or len(params) == 0:
        raise TypeError(msg(name, what, type(params).__name__ if not isinstance(params, (list, tuple))
                             else params))
    out = []
    for l, pair in enumerate(params, start=1):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            got = (f"an array of shape {np.shape(pair)}" if isinstance(pair, np.ndarray)
                   else f"a {type(pair).__name__}" + (f" of length {len(pair)}" if isinstance(pair, (list, tuple)) else ""))
            raise TypeError(msg(name, what, f"layer {l} as {got} (a bias b_l is required for every layer)"))
        W = _as_float(name, pair[0], f"W_{l} as an array")
        b = _as_float(name, pair[1], f"b_{l} as an array")
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise ValueError(f"The {name!r} parameter must hold W_l of shape (n_in, n_out) and b_l of "
                             f"shape (n_out,). Got W_{l} {W.shape} and b_{l} {b.shape} instead.")
        if out and out[-1][0].shape[1] != W.shape[0]:
            raise ValueError(f"The {name!r} parameter must chain: W_{l-1} has {out[-1][0].shape[1]} "
                             f"outputs but W_{l} expects {W.shape[0]} inputs.")
        if finite and not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
            raise ValueError(msg(name, "finite weights and biases", f"NaN or inf in layer {l}"))
        out.append((W, b))
    return out


def check_like(params: list, grads: object, name: str = "grads") -> list:
    """``grads`` must hold one ``(dW, db)`` pair shaped like each pair of (checked) ``params``."""
    want = [(W.shape, b.shape) for W, b in params]
    try:
        got = [(np.shape(dW), np.shape(db)) for dW, db in grads]
    except (TypeError, ValueError):
        got = type(grads).__name__
    if got != want:
        raise ValueError(f"The {name!r} parameter must hold one (dW, db) pair shaped like params {want}. "
                         f"Got {got} instead.")
    return grads


def check_lam_grid(lams: object, name: str = "lams") -> np.ndarray:
    """A non-empty, strictly increasing 1-D grid of λ values, each a finite float >= 0."""
    what = "a non-empty, strictly increasing sequence of floats in [0, inf)"
    if isinstance(lams, (str, bytes)) or np.ndim(lams) > 1:
        raise ValueError(msg(name, what, lams))
    values = np.array([check_lam(v, name) for v in np.atleast_1d(lams)], dtype=float)
    if values.size == 0 or np.any(np.diff(values) <= 0):
        raise ValueError(msg(name, what, values.tolist()))
    return values


# ------------------------------------------------------------------ divergence
DIVERGENCE_FACTOR = 1e6


def all_finite(params) -> bool:
    """True when every weight and bias of ``params`` (a list of (W, b) pairs) is finite."""
    return all(np.all(np.isfinite(W)) and np.all(np.isfinite(b)) for W, b in params)


def diverged(total: object, total0: object) -> np.ndarray:
    """True where a cost is not finite or exceeds ``DIVERGENCE_FACTOR * max(total0, 1)`` (elementwise)."""
    total = np.asarray(total, dtype=float)
    with np.errstate(invalid="ignore"):
        return ~np.isfinite(total) | (total > DIVERGENCE_FACTOR * np.maximum(np.asarray(total0, float), 1.0))


def divergence_error(epoch: int | None, what: str, lr: float, lam: float, m: int,
                     d: float = 0.0) -> FloatingPointError:
    """The one divergence message: what happened, ``lr``, ``lam``, ``m`` and the factor 1 - lr*lam/m."""
    r = lr * lam / m
    when = "" if epoch is None else f" at epoch {epoch}"
    extra = "" if not d else f", and the decoupled decay by 1 - d = {1.0 - d:.4g} (d={d!r})"
    advice = ("lower 'lr' or 'lam' until lr*lam/m < 2" if r >= 2 else "lower 'lr'")
    return FloatingPointError(
        f"Training diverged{when}: {what}. lr={lr!r}, lam={lam!r}, m={m}, so lr*lam/m = {r:.4g} and each "
        f"step multiplies the weights by 1 - lr*lam/m = {1.0 - r:.4g} before the data gradient{extra}; {advice}.")


def check_diverged(epoch: int, total: object, total0: object, weights_ok: bool, lr: float, lams: object,
                   m: int, d: float = 0.0) -> None:
    """Raise :func:`divergence_error` if the weights are not finite or the cost :func:`diverged`.

    ``total``/``total0``/``lams`` may be arrays with one entry per network; the
    message names the first network that diverged.
    """
    lams = np.atleast_1d(np.asarray(lams, dtype=float))
    if not weights_ok:
        raise divergence_error(epoch, "the weights are no longer finite", lr, float(lams.max()), m, d)
    if total is None:
        return
    bad = np.atleast_1d(diverged(total, total0))
    if bad.any():
        k = int(np.argmax(bad))
        J = float(np.atleast_1d(total)[k])
        J0 = float(np.atleast_1d(total0)[k])
        what = (f"the cost is {J:.4g}" if not np.isfinite(J)
                else f"the cost rose from {J0:.4g} to {J:.4g}, more than {DIVERGENCE_FACTOR:g} x max(J_0, 1)")
        raise divergence_error(epoch, what, lr, float(lams[k if lams.size > 1 else 0]), m, d)
