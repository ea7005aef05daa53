"""Argument checks shared by every public function.

One message template (after scikit-learn): the parameter's name, the allowed
range, and the value received, e.g.
``The 'lam' parameter must be a float in the range [0, inf). Got -1.0 instead.``
"""
from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np


def _msg(name: str, what: str, got: object) -> str:
    return f"The {name!r} parameter must be {what}. Got {got!r} instead."


def check_real(name: str, value: object, low: float = -math.inf, high: float = math.inf,
               low_open: bool = False, high_open: bool = False) -> float:
    """Return ``value`` as a float after checking it is a finite real in a range."""
    lo = "(" if low_open or low == -math.inf else "["
    hi = ")" if high_open or high == math.inf else "]"
    what = f"a float in the range {lo}{low:g}, {high:g}{hi}".replace("inf", "inf")
    if isinstance(value, bool) or not isinstance(value, (Real, np.floating, np.integer)):
        raise TypeError(_msg(name, what, value))
    v = float(value)
    bad = (not math.isfinite(v) or v < low or v > high
           or (low_open and v == low) or (high_open and v == high))
    if bad:
        raise ValueError(_msg(name, what, value))
    return v


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
        raise TypeError(_msg(name, what, value))
    if value < low or value > high:
        raise ValueError(_msg(name, what, value))
    return int(value)


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(_msg(name, "one of " + ", ".join(repr(c) for c in choices), value))
    return value  # type: ignore[return-value]


def check_X(X: object, name: str = "X", n_features: int | None = None) -> np.ndarray:
    """A finite 2-D float array with at least one row: (m, n_features)."""
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(_msg(name, "a 2-D array of shape (m, n_features)", f"an array of shape {X.shape}"))
    if X.shape[0] == 0:
        raise ValueError(_msg(name, "a non-empty array (m >= 1 examples)", f"an array of shape {X.shape}"))
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(_msg(name, f"an array with {n_features} columns (the network's input size)",
                              f"an array of shape {X.shape}"))
    if not np.all(np.isfinite(X)):
        raise ValueError(_msg(name, "an array of finite values", "an array containing NaN or inf"))
    return X


def check_rng(rng: object) -> np.random.Generator:
    """Accept a Generator, an int seed or None (fresh entropy) and return a Generator."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (Integral, np.integer)) and not isinstance(rng, bool) and rng >= 0):
        return np.random.default_rng(rng)
    raise TypeError(_msg("rng", "a numpy Generator, a non-negative int seed or None", rng))
