r"""Choosing λ on held-out data: splits, a real data set, and validation curves.

λ is chosen by the error on examples the training never saw. With a
training set :math:`\mathcal T` (size :math:`m`) and a dev set :math:`\mathcal D`,

.. math::

    \hat\theta(\lambda) = \arg\min_\theta \; \frac1m\sum_{i\in\mathcal T} L^{(i)}(\theta)
        + \frac{\lambda}{2m}\sum_l \lVert W_l\rVert_F^2, \qquad
    E_{\text{dev}}(\lambda) = \frac{1}{|\mathcal D|}\sum_{i\in\mathcal D} L^{(i)}\big(\hat\theta(\lambda)\big),

and :math:`\hat\lambda = \arg\min_\lambda E_{\text{dev}}(\lambda)`. The dev error
has no penalty: it measures predictions only. k-fold cross-validation averages
:math:`E_{\text{dev}}` over k splits whose dev parts partition the data.

:func:`validation_curve` trains one network per (split, λ) pair; for each split
:func:`l2lib.train_many` trains the whole λ grid at once, with a leading axis
of length ``n_lams`` on every matrix, so a curve costs about as much as a few
single trainings.
"""
from __future__ import annotations

import csv
import io
from importlib import resources
from typing import NamedTuple, Sequence

import numpy as np

from ._validate import (_msg, check_choice, check_int, check_lam_grid, check_positive, check_real,
                        check_rng, check_X, divergence_error)
from .network import init_params

__all__ = ["Dataset", "load_breast_cancer", "standardize", "Split", "stratified_permutation",
           "holdout_indices", "kfold_indices", "DevelopmentSplit", "development_split",
           "ValidationCurve", "validation_curve", "cv_summary",
           "best_lambda", "lam_positions", "lam_axis", "plain_log_axis", "plot_validation_curve"]

_BREAST_CANCER = "breast_cancer_wisconsin.csv"


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
        raise ValueError(_msg("y", f"an array with one label per example (m = {m})", f"{y.shape[0]} labels"))
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
        raise ValueError(_msg("test_fraction", f"less than 1 - dev_fraction = {1 - f_dev:g}", test_fraction))
    y = _check_labels(y, m)
    rng = check_rng(rng)
    n_dev, n_test = int(round(f_dev * m)), int(round(f_test * m))
    if m - n_dev - n_test < 1:
        raise ValueError(_msg("dev_fraction", f"small enough to leave training examples (m = {m})", dev_fraction))
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
        raise ValueError(_msg("y", "a 1-D array of at least 2 labels", f"an array of shape {y.shape}"))
    rngs = []
    for name, r in (("rng_test", rng_test), ("rng_order", rng_order), ("rng_hold", rng_hold)):
        try:
            rngs.append(check_rng(r))
        except TypeError:
            raise TypeError(_msg(name, "a numpy Generator, a non-negative int seed or None", r)) from None
    rng_test, rng_order, rng_hold = rngs
    outer = holdout_indices(y.shape[0], dev_fraction=0.0, test_fraction=test_fraction, rng=rng_test, y=y)
    pool, test = outer.train, outer.test
    n_devel = check_int("n_devel", n_devel, 2, len(pool))
    order = pool[stratified_permutation(len(pool), rng=rng_order, y=y[pool])]
    devel = order[:n_devel]
    hold = holdout_indices(n_devel, dev_fraction=dev_fraction, rng=rng_hold, y=y[devel])
    return DevelopmentSplit(test, pool, order, devel, hold)


# ------------------------------------------------------ many networks at once
class ValidationCurve(NamedTuple):
    r"""Results of :func:`validation_curve`; arrays indexed ``[split, λ]``.

    ``train_loss``/``dev_loss`` are the data terms :math:`\frac1{|S|}\sum_{i\in S}L^{(i)}`
    (no penalty), ``penalty`` is :math:`\frac{\lambda}{2m}\sum_l\lVert W_l\rVert_F^2`
    with m the split's training size, ``weight_norm`` is
    :math:`(\sum_l\lVert W_l\rVert_F^2)^{1/2}`. ``history`` holds the same
    losses every ``record_every`` epochs with shape (n_records, n_splits, n_lams)
    and the recorded ``epoch`` numbers (empty arrays when not recorded).
    ``params`` are the trained ``(W, b)`` pairs with two leading axes (split, λ).
    """
    lams: np.ndarray
    train_loss: np.ndarray
    dev_loss: np.ndarray
    train_acc: np.ndarray
    dev_acc: np.ndarray
    penalty: np.ndarray
    weight_norm: np.ndarray
    history: dict
    params: list


def validation_curve(X, y, lams, splits, hidden_sizes: Sequence[int] = (8,), lr: float = 0.5,
                     epochs: int = 500, rng=0, hidden: str = "relu", output: str = "sigmoid",
                     record_every: int = 0, standardize_each: bool = True) -> ValidationCurve:
    r"""Train one network per (split, λ) and measure training and dev error.

    Every network starts from the *same* random initialization (drawn with
    ``rng``), so differences along the curve come from λ alone. For each split,
    :func:`l2lib.train_many` trains the whole λ grid at once by full-batch
    gradient descent on the book's cost over the split's training rows,

    .. math:: W_l \leftarrow W_l - \eta\Big(rac{\partial D}{\partial W_l} + rac{\lambda}{m}W_l\Big),
              \qquad b_l \leftarrow b_l - \eta\,rac{\partial D}{\partial b_l},

    with m the split's training size (the same step as :func:`l2lib.train`). With ``standardize_each`` (the default)
    each split's inputs are standardized with the mean and standard deviation
    of *its own training rows* (:func:`standardize`), so no statistic of a dev
    row reaches the training.

    Parameters
    ----------
    X : (m, n_0) array of raw features; y : (m,) labels.
    lams : strictly increasing sequence of λ values (n_lams,); every one must satisfy
        ``lr * lam / m_train < 2``, or the decay factor :math:`1 - \eta\lambda/m`
        of the step above would be :math:`\le -1` and training could not converge
        (a ``ValueError`` before training). The condition is necessary, not
        sufficient: a run whose regularized cost ends higher than it started
        raises ``FloatingPointError``.
    splits : list of ``(train_idx, dev_idx)`` pairs, e.g. ``[holdout_indices(...)[:2]]``
        or :func:`kfold_indices`. Pairs need not partition the rows, but a pair's
        two parts must not overlap.
    hidden_sizes : widths of the hidden layers (``()`` gives logistic/softmax regression).
    record_every : record the history every this many epochs (0: not at all).

    Returns
    -------
    ValidationCurve with arrays of shape (n_splits, n_lams).
    """
    from .training import train_many

    X = check_X(X)
    y = np.asarray(y)
    lams = check_lam_grid(lams)             # non-empty, strictly increasing
    splits = _check_splits(splits, X.shape[0])
    lr = check_positive("lr", lr)
    epochs = check_int("epochs", epochs, 1)
    record_every = check_int("record_every", record_every, 0)
    for tr, _ in splits:
        if lr * lams.max() / tr.size >= 2:
            raise ValueError(_msg("lams", "such that lr*lam/m < 2 for every split (the decay factor "
                                  "1 - lr*lam/m must stay above -1)",
                                  f"lam={lams.max()!r} with m={tr.size} and lr={lr!r}"))
    n_out = int(np.max(y)) + 1 if output == "softmax" else 1
    sizes = [X.shape[1], *[check_int("hidden_sizes", h, 1) for h in hidden_sizes], n_out]
    p0 = init_params(sizes, rng=rng, hidden=hidden)
    runs = []
    for tr, dv in splits:
        X_tr, X_dv = standardize(X[tr], X[dv]) if standardize_each else (X[tr], X[dv])
        runs.append(train_many(p0, X_tr, y[tr], lams, lr=lr, epochs=epochs, X_dev=X_dv, y_dev=y[dv],
                               hidden=hidden, output=output, record_every=record_every or epochs))
        total = runs[-1][1]["total"]
        bad = ~np.isfinite(total[-1]) | (total[-1] > total[0])       # gradient descent that raised its cost
        if bad.any():
            lam_bad = float(lams[np.argmax(bad)])
            raise divergence_error(None, f"gradient descent raised the cost from {total[0][bad][0]:.3g} to "
                                         f"{total[-1][bad][0]:.3g}", lr, lam_bad, tr.size)
    last = lambda key: np.stack([hist[key][-1] for _, hist in runs])   # noqa: E731  (n_splits, n_lams)
    history = {k: np.empty(0) for k in ("epoch", "train", "dev", "penalty")}
    if record_every:
        history = {"epoch": runs[0][1]["epoch"]}
        for key, src in (("train", "data"), ("dev", "dev_data"), ("penalty", "penalty")):
            history[key] = np.stack([hist[src] for _, hist in runs], axis=1)
    params = [(np.stack([[run[k][l][0] for k in range(lams.size)] for run, _ in runs]),
               np.stack([[run[k][l][1] for k in range(lams.size)] for run, _ in runs])) for l in range(len(p0))]
    return ValidationCurve(lams=lams, train_loss=last("data"), dev_loss=last("dev_data"),
                           train_acc=last("train_acc"), dev_acc=last("dev_acc"), penalty=last("penalty"),
                           weight_norm=np.sqrt(np.sum(last("norms") ** 2, axis=-1)), history=history,
                           params=params)


def _check_splits(splits, m: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Validate ``(train, dev)`` index pairs: non-empty, in ``range(m)``, not overlapping."""
    splits = list(splits)
    if len(splits) == 0:
        raise ValueError(_msg("splits", "a non-empty list of (train, dev) index arrays", splits))
    out = []
    for s, (tr, dv) in enumerate(splits):
        tr, dv = np.asarray(tr).reshape(-1), np.asarray(dv).reshape(-1)
        if not (np.issubdtype(tr.dtype, np.integer) and np.issubdtype(dv.dtype, np.integer)):
            raise TypeError(_msg("splits", "pairs of integer index arrays", f"split {s} of dtypes {tr.dtype}, {dv.dtype}"))
        if tr.size == 0 or dv.size == 0 or min(tr.min(), dv.min()) < 0 or max(tr.max(), dv.max()) >= m:
            raise ValueError(_msg("splits", f"non-empty index arrays in the range [0, {m - 1}]", f"split {s}"))
        if np.intersect1d(tr, dv).size:
            raise ValueError(_msg("splits", "train and dev parts without common rows", f"split {s} with overlap"))
        out.append((tr, dv))
    return out


def cv_summary(curve: ValidationCurve) -> tuple[np.ndarray, np.ndarray]:
    r"""Mean dev loss over splits and its standard error, each of shape (n_lams,).

    :math:`\bar E(\lambda) = \frac1k\sum_f E_f(\lambda)`,
    :math:`\mathrm{SE}(\lambda) = s_f(\lambda)/\sqrt k` with the sample standard
    deviation over folds (SE = 0 for a single split).
    """
    E = np.asarray(curve.dev_loss, dtype=float)
    k = E.shape[0]
    se = E.std(axis=0, ddof=1) / np.sqrt(k) if k > 1 else np.zeros(E.shape[1])
    return E.mean(axis=0), se


def best_lambda(curve: ValidationCurve, rule: str = "min") -> float:
    r"""λ chosen from a validation curve.

    ``rule="min"``: :math:`\hat\lambda = \arg\min_\lambda \bar E(\lambda)`.
    ``rule="one_se"``: the *largest* λ whose mean dev loss is within one
    standard error of the minimum, :math:`\bar E(\lambda) \le \bar E(\hat\lambda) + \mathrm{SE}(\hat\lambda)`
    — the simplest model the data cannot tell apart from the best (Hastie et al., §7.10).

    >>> c = ValidationCurve(np.array([0.0, 1.0, 10.0]), None, np.array([[0.5, 0.3, 0.45], [0.5, 0.5, 0.45]]),
    ...                     None, None, None, None, {}, [])
    >>> best_lambda(c), best_lambda(c, "one_se")
    (1.0, 10.0)
    """
    check_choice("rule", rule, ("min", "one_se"))
    mean, se = cv_summary(curve)
    i = int(np.argmin(mean))
    if rule == "min":
        return float(curve.lams[i])
    ok = np.flatnonzero(mean <= mean[i] + se[i])
    return float(np.max(np.asarray(curve.lams)[ok]))


# ------------------------------------------------------------------ figures
def lam_positions(lams) -> np.ndarray:
    """x positions for λ values on a log axis, with λ = 0 drawn one grid step left of the smallest λ > 0.

    >>> lam_positions([0.0, 0.1, 1.0]).tolist()
    [0.01, 0.1, 1.0]
    """
    lams = np.asarray(lams, dtype=float)
    pos = lams[lams > 0]
    if pos.size == 0:
        raise ValueError(_msg("lams", "a sequence with at least one positive λ", lams.tolist()))
    step = pos[1] / pos[0] if pos.size > 1 else 10.0
    return np.where(lams > 0, lams, pos.min() / step)


def lam_axis(ax, lams, label: str = "λ (log scale)"):
    """Log-scaled λ axis whose leftmost tick reads 0 when the grid starts at λ = 0; returns ``ax``."""
    x = lam_positions(lams)
    ax.set_xscale("log")
    ticks = [v for v in x if np.isclose(np.log10(v), np.round(np.log10(v)))]
    if np.asarray(lams)[0] == 0 and x[0] not in ticks:
        ticks = [x[0], *ticks]
    ax.set_xticks(ticks)
    ax.set_xticklabels(["0" if (np.asarray(lams)[0] == 0 and t == x[0]) else f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel(label)
    return ax


def plain_log_axis(ax, axis: str = "y"):
    """Log scale on ``axis`` ("x" or "y") with tick labels as plain numbers (0.01, 0.1, 1), no minor labels.

    Plain labels avoid LaTeX-style ``10^{-2}`` text, which is also slow to
    render in every frame of a slider. Returns ``ax``.
    """
    from matplotlib.ticker import FuncFormatter, NullFormatter

    check_choice("axis", axis, ("x", "y"))
    target = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    target.set_minor_formatter(NullFormatter())
    return ax


def plot_validation_curve(curve: ValidationCurve, ax=None, split: int | None = None, train: bool = True,
                          band: bool = True):
    """Training and dev loss against λ (log axis); mean over splits with a ±1 SE band, or one ``split``.

    Returns the axes.
    """
    import matplotlib.pyplot as plt

    from .plotting import OKABE_ITO

    ax = ax or plt.gca()
    x = lam_positions(curve.lams)
    rows = slice(None) if split is None else slice(split, split + 1)
    dev = curve.dev_loss[rows]
    mean = dev.mean(axis=0)
    if train:
        ax.plot(x, curve.train_loss[rows].mean(axis=0), "-s", color=OKABE_ITO[4], ms=4, label="training loss")
    ax.plot(x, mean, "-o", color=OKABE_ITO[5], ms=4, label="dev loss")
    if band and dev.shape[0] > 1:
        se = dev.std(axis=0, ddof=1) / np.sqrt(dev.shape[0])
        ax.fill_between(x, mean - se, mean + se, color=OKABE_ITO[5], alpha=0.2, lw=0, label="dev ± 1 SE")
    lam_axis(ax, curve.lams)
    ax.set_ylabel("data term (mean cross-entropy)")
    return ax
