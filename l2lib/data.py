"""Seeded toy data sets that overfit visibly with few points, and splitting."""
from __future__ import annotations

import numpy as np

from ._validate import check_int, check_real, check_rng, check_X

__all__ = ["make_moons", "make_blobs", "train_dev_split"]


def make_moons(m: int = 60, noise: float = 0.25, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles in 2-D with Gaussian noise.

    Returns ``X`` (m, 2), standardized, and ``y`` (m,) in {0, 1}; half the
    points in each class (the extra one, for odd ``m``, in class 0).
    """
    m = check_int("m", m, 2)
    noise = check_real("noise", noise, 0.0)
    rng = check_rng(rng)
    m0 = (m + 1) // 2
    t0 = rng.uniform(0, np.pi, m0)
    t1 = rng.uniform(0, np.pi, m - m0)
    X = np.vstack([np.c_[np.cos(t0), np.sin(t0)],
                   np.c_[1 - np.cos(t1), 0.5 - np.sin(t1)]])
    X += rng.normal(0.0, noise, X.shape)
    y = np.r_[np.zeros(m0, int), np.ones(m - m0, int)]
    perm = rng.permutation(m)
    X, y = X[perm], y[perm]
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def make_blobs(m: int = 90, k: int = 3, spread: float = 1.0, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """``k`` Gaussian clusters on a circle of radius 2 (for softmax examples)."""
    m = check_int("m", m, k)
    k = check_int("k", k, 2)
    spread = check_real("spread", spread, 0.0, low_open=True)
    rng = check_rng(rng)
    y = np.arange(m) % k
    angles = 2 * np.pi * y / k
    X = np.c_[2 * np.cos(angles), 2 * np.sin(angles)] + rng.normal(0.0, spread, (m, 2))
    perm = rng.permutation(m)
    return X[perm], y[perm]


def train_dev_split(X, y, dev_fraction: float = 0.5, rng=None):
    """Shuffle and split into ``(X_train, y_train, X_dev, y_dev)``; both parts non-empty."""
    X = check_X(X)
    y = np.asarray(y)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"The 'y' parameter must have one label per row of X (m = {X.shape[0]}). "
                         f"Got {y.shape[0]} labels instead.")
    frac = check_real("dev_fraction", dev_fraction, 0.0, 1.0, low_open=True, high_open=True)
    m = X.shape[0]
    n_dev = int(round(frac * m))
    if not 1 <= n_dev <= m - 1:
        raise ValueError(f"The 'dev_fraction' parameter must leave at least one example on each side "
                         f"(m = {m}). Got {dev_fraction!r} instead.")
    perm = check_rng(rng).permutation(m)
    dev, tr = perm[:n_dev], perm[n_dev:]
    return X[tr], y[tr], X[dev], y[dev]
