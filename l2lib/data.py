"""Data: seeded toy sets that overfit visibly with few points, a real data set, and splits.

The toy sets (:func:`make_moons`, :func:`make_blobs`) serve Chapters 1-5; the
Breast Cancer Wisconsin data (:func:`load_breast_cancer`) and the stratified
splits (:func:`holdout_indices`, :func:`kfold_indices`,
:func:`development_split`) serve Chapter 6 and the appendix. Features are
standardized with training statistics only (:func:`standardize`).
"""
from __future__ import annotations

import csv
import io
from importlib import resources
from typing import NamedTuple

import numpy as np

from ._validate import msg, check_int, check_real, check_rng, check_X

__all__ = ["make_moons", "make_blobs", "train_dev_split", "Dataset", "load_breast_cancer", "standardize",
           "Split", "stratified_permutation", "holdout_indices", "kfold_indices", "DevelopmentSplit",
           "development_split"]

_BREAST_CANCER = "breast_cancer_wisconsin.csv"


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


# ------------------------------------------------------------------ data set
class Dataset(NamedTuple):
    """A tabular data set: ``X`` (m, n_features), ``y`` (m,), column names and a citation line."""
    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    source: str


def load_breast_cancer() -> Dataset:
    """The Breast Cancer Wisconsin (Diagnostic) data: 569 tumours, 30 features, ``y = 1`` for malignant.

    Shipped with l2lib as ``l2lib/datasets/breast_cancer_wisconsin.csv`` (see the
    README next to it). Source: W. H. Wolberg, W. N. Street, O. L. Mangasarian,
    UCI Machine Learning Repository, 1995, https://doi.org/10.24432/C5DW2B,
    licensed CC BY 4.0. 212 tumours are malignant, 357 benign. Features are
    raw (not standardized); see :func:`standardize`.

    >>> data = load_breast_cancer()
    >>> data.X.shape, int(data.y.sum()), data.feature_names[0]
    ((569, 30), 212, 'mean_radius')
    """
    text = resources.files("l2lib").joinpath("datasets", _BREAST_CANCER).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], np.array(rows[1:], dtype=float)
    return Dataset(X=body[:, :-1], y=body[:, -1].astype(int), feature_names=tuple(header[:-1]),
                   source="Wolberg, Street & Mangasarian (1995), UCI ML Repository, CC BY 4.0")


def standardize(X_fit, *X_other) -> tuple[np.ndarray, ...]:
    r"""Centre and scale every column by the mean and standard deviation of ``X_fit`` only.

    Returns ``(X_fit_std, *X_other_std)``. Statistics never come from dev or
    test rows, so nothing about them leaks into training:
    :math:`x' = (x - \mu_{\text{fit}})/\sigma_{\text{fit}}` (a column with
    :math:`\sigma = 0` is only centred).

    >>> a, b = standardize(np.array([[0.0], [2.0]]), np.array([[4.0]]))
    >>> a.ravel().tolist(), b.ravel().tolist()
    ([-1.0, 1.0], [3.0])
    """
    X_fit = check_X(X_fit, "X_fit")
    mu, sd = X_fit.mean(axis=0), X_fit.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    others = [check_X(X, "X_other", n_features=X_fit.shape[1]) for X in X_other]
    return tuple((X - mu) / sd for X in [X_fit, *others])


# ------------------------------------------------------------------- splits
class Split(NamedTuple):
    """Row indices of a three-way split; ``test`` is empty when no test set was asked for."""
    train: np.ndarray
    dev: np.ndarray
    test: np.ndarray


def _check_labels(y, m: int) -> np.ndarray | None:
    if y is None:
        return None
    y = np.asarray(y).reshape(-1)
    if y.shape[0] != m:
        raise ValueError(msg("y", f"an array with one label per example (m = {m})", f"{y.shape[0]} labels"))
    return y


def stratified_permutation(m: int, rng=None, y=None) -> np.ndarray:
    """A random order of ``range(m)`` whose every prefix keeps the class proportions of ``y``.

    The classes are shuffled separately and interleaved evenly, so
    ``order[:n]`` holds each class in proportion (to within one example).
    Prefixes of one order are nested: ``order[:50]`` is inside ``order[:100]``.
    Without ``y`` this is a plain random permutation.

    >>> order = stratified_permutation(6, rng=0, y=[0, 0, 0, 0, 1, 1])
    >>> sorted(order.tolist()), [int(v) for v in np.array([0, 0, 0, 0, 1, 1])[order[:3]]]
    ([0, 1, 2, 3, 4, 5], [0, 1, 0])
    """
    m = check_int("m", m, 1)
    y = _check_labels(y, m)
    rng = check_rng(rng)
    if y is None:
        return rng.permutation(m)
    strata = [rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)]
    keys = np.concatenate([(np.arange(len(s)) + 0.5) / len(s) for s in strata])   # position in [0, 1)
    return np.concatenate(strata)[np.argsort(keys, kind="stable")]


def holdout_indices(m: int, dev_fraction: float = 0.2, test_fraction: float = 0.0, rng=None,
                    y=None) -> Split:
    """Shuffle ``range(m)`` and cut it into train, dev and test indices.

    Each part gets ``round(fraction * m)`` rows (the training set the rest).
    With labels ``y`` the cut is *stratified*: every class is split in the same
    proportions, so a small dev set keeps the class balance of the whole.

    >>> s = holdout_indices(10, 0.2, 0.3, rng=0)
    >>> len(s.train), len(s.dev), len(s.test)
    (5, 2, 3)
    """
    m = check_int("m", m, 2)
    f_dev = check_real("dev_fraction", dev_fraction, 0.0, 1.0, high_open=True)
    f_test = check_real("test_fraction", test_fraction, 0.0, 1.0, high_open=True)
    if f_dev + f_test >= 1.0:
        raise ValueError(msg("test_fraction", f"less than 1 - dev_fraction = {1 - f_dev:g}", test_fraction))
    y = _check_labels(y, m)
    rng = check_rng(rng)
    n_dev, n_test = int(round(f_dev * m)), int(round(f_test * m))
    if m - n_dev - n_test < 1:
        raise ValueError(msg("dev_fraction", f"small enough to leave training examples (m = {m})", dev_fraction))
    order = stratified_permutation(m, rng, y)
    test, dev, train = order[:n_test], order[n_test:n_test + n_dev], order[n_test + n_dev:]
    return Split(np.sort(train), np.sort(dev), np.sort(test))


def kfold_indices(m: int, k: int = 5, rng=None, y=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """k ``(train, dev)`` index pairs whose dev parts partition ``range(m)``.

    Fold sizes differ by at most one. With labels ``y`` the folds are
    stratified: each class is dealt round-robin over the folds, so every class
    count per fold differs by at most one.

    >>> [(len(tr), len(dv)) for tr, dv in kfold_indices(7, 3, rng=0)]
    [(4, 3), (5, 2), (5, 2)]
    """
    m = check_int("m", m, 2)
    k = check_int("k", k, 2, m)
    y = _check_labels(y, m)
    rng = check_rng(rng)
    fold = np.empty(m, dtype=int)
    start = 0
    strata = [rng.permutation(m)] if y is None else [rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)]
    for idx in strata:
        fold[idx] = (start + np.arange(len(idx))) % k   # continue the round-robin where the last class stopped
        start = (start + len(idx)) % k
    return [(np.flatnonzero(fold != f), np.flatnonzero(fold == f)) for f in range(k)]


class DevelopmentSplit(NamedTuple):
    """Chapter 6's split of a labelled data set; all fields are row indices.

    ``test`` and ``pool`` (sorted) partition the rows; ``order`` is ``pool`` in a
    stratified random order; ``devel = order[:n_devel]`` is the development
    sample; ``hold`` cuts the development sample into training and dev rows,
    as positions *within* ``devel`` (so ``devel[hold.train]`` are data rows).
    """
    test: np.ndarray
    pool: np.ndarray
    order: np.ndarray
    devel: np.ndarray
    hold: Split


def development_split(y, n_devel: int = 150, test_fraction: float = 0.3, dev_fraction: float = 1 / 3,
                      rng_test=0, rng_order=1, rng_hold=2) -> DevelopmentSplit:
    """The book's split for choosing λ (Chapter 6 and the appendix use this one call).

    Three steps, each stratified by the labels ``y``:

    1. seal a test set: ``holdout_indices(len(y), 0.0, test_fraction, rng_test, y)``,
       the rest is the ``pool``;
    2. put the pool in a random order, ``pool[stratified_permutation(len(pool), rng_order, y[pool])]``,
       and take its first ``n_devel`` rows as the development sample ``devel``;
    3. cut ``devel`` once into training and dev rows:
       ``holdout_indices(n_devel, dev_fraction, 0.0, rng_hold, y[devel])``.

    The defaults are the book's seeds. Each ``rng_*`` is a Generator, an int
    seed or None, as everywhere in l2lib.

    >>> s = development_split(np.r_[np.zeros(14, int), np.ones(6, int)], n_devel=6)
    >>> len(s.test), len(s.pool), len(s.devel), len(s.hold.train), len(s.hold.dev)
    (6, 14, 6, 4, 2)
    """
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] < 2:
        raise ValueError(msg("y", "a 1-D array of at least 2 labels", f"an array of shape {y.shape}"))
    rngs = []
    for name, r in (("rng_test", rng_test), ("rng_order", rng_order), ("rng_hold", rng_hold)):
        try:
            rngs.append(check_rng(r))
        except TypeError:
            raise TypeError(msg(name, "a numpy Generator, a non-negative int seed or None", r)) from None
    rng_test, rng_order, rng_hold = rngs
    outer = holdout_indices(y.shape[0], dev_fraction=0.0, test_fraction=test_fraction, rng=rng_test, y=y)
    pool, test = outer.train, outer.test
    n_devel = check_int("n_devel", n_devel, 2, len(pool))
    order = pool[stratified_permutation(len(pool), rng=rng_order, y=y[pool])]
    devel = order[:n_devel]
    hold = holdout_indices(n_devel, dev_fraction=dev_fraction, rng=rng_hold, y=y[devel])
    return DevelopmentSplit(test, pool, order, devel, hold)
