r"""Choosing λ on held-out data: validation curves, cross-validation summaries and the λ axis.

λ is chosen by the error on examples the training never saw. With a
training set :math:`\mathcal T` (size :math:`m`) and a dev set :math:`\mathcal D`,

.. math::

    \hat\theta(\lambda) = \arg\min_\theta \; \frac1m\sum_{i\in\mathcal T} L^{(i)}(\theta)
        + \frac{\lambda}{2m}\sum_l \lVert W_l\rVert_F^2, \qquad
    E_{\text{dev}}(\lambda) = \frac{1}{|\mathcal D|}\sum_{i\in\mathcal D} L^{(i)}\big(\hat\theta(\lambda)\big),

and :math:`\hat\lambda = \arg\min_\lambda E_{\text{dev}}(\lambda)`. The dev error
has no penalty: it measures predictions only. k-fold cross-validation averages
:math:`E_{\text{dev}}` over k splits whose dev parts partition the data. The
data set and the splits (:func:`l2lib.data.development_split`,
:func:`l2lib.data.kfold_indices`, ...) are in :mod:`l2lib.data`.

:func:`validation_curve` trains one network per (split, λ) pair; for each split
:func:`l2lib.train_many` trains the whole λ grid at once, with a leading axis
of length ``n_lams`` on every matrix, so a curve costs about as much as a few
single trainings.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from . import data
from ._validate import msg, check_choice, check_int, check_lam_grid, check_positive, check_X, divergence_error
from .network import init_params

__all__ = ["ValidationCurve", "validation_curve", "cv_summary", "best_lambda", "lam_positions", "lam_axis",
           "plain_log_axis", "plot_validation_curve"]


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

    .. math:: W_l \leftarrow W_l - \eta\Big(\frac{\partial D}{\partial W_l} + \frac{\lambda}{m}W_l\Big),
              \qquad b_l \leftarrow b_l - \eta\,\frac{\partial D}{\partial b_l},

    with m the split's training size (the same step as :func:`l2lib.train`). With ``standardize_each`` (the default)
    each split's inputs are standardized with the mean and standard deviation
    of *its own training rows* (:func:`l2lib.data.standardize`), so no statistic of a dev
    row reaches the training.

    The arguments: ``X`` (m, n_0) holds the raw features and ``y`` (m,) the
    labels. ``lams`` is a strictly increasing sequence of λ values (n_lams,);
    every one must satisfy ``lr * lam / m_train < 2``, or the decay factor
    :math:`1 - \eta\lambda/m` of the step above would be :math:`\le -1` and
    training could not converge (a ``ValueError`` before training). The
    condition is necessary, not sufficient: a run whose regularized cost ends
    higher than it started raises ``FloatingPointError``. ``splits`` is a list
    of ``(train_idx, dev_idx)`` pairs, e.g. ``[l2lib.data.holdout_indices(...)[:2]]``
    or :func:`l2lib.data.kfold_indices`; pairs need not partition the rows, but
    a pair's two parts must not overlap. ``hidden_sizes`` are the widths of the
    hidden layers (``()`` gives logistic/softmax regression); ``record_every``
    records the history every this many epochs (0: not at all).

    Returns a :class:`ValidationCurve` with arrays of shape (n_splits, n_lams).
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
            raise ValueError(msg("lams", "such that lr*lam/m < 2 for every split (the decay factor "
                                  "1 - lr*lam/m must stay above -1)",
                                  f"lam={lams.max()!r} with m={tr.size} and lr={lr!r}"))
    n_out = int(np.max(y)) + 1 if output == "softmax" else 1
    sizes = [X.shape[1], *[check_int("hidden_sizes", h, 1) for h in hidden_sizes], n_out]
    p0 = init_params(sizes, rng=rng, hidden=hidden)
    runs = []
    for tr, dv in splits:
        X_tr, X_dv = data.standardize(X[tr], X[dv]) if standardize_each else (X[tr], X[dv])
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
        raise ValueError(msg("splits", "a non-empty list of (train, dev) index arrays", splits))
    out = []
    for s, (tr, dv) in enumerate(splits):
        tr, dv = np.asarray(tr).reshape(-1), np.asarray(dv).reshape(-1)
        if not (np.issubdtype(tr.dtype, np.integer) and np.issubdtype(dv.dtype, np.integer)):
            raise TypeError(msg("splits", "pairs of integer index arrays", f"split {s} of dtypes {tr.dtype}, {dv.dtype}"))
        if tr.size == 0 or dv.size == 0 or min(tr.min(), dv.min()) < 0 or max(tr.max(), dv.max()) >= m:
            raise ValueError(msg("splits", f"non-empty index arrays in the range [0, {m - 1}]", f"split {s}"))
        if np.intersect1d(tr, dv).size:
            raise ValueError(msg("splits", "train and dev parts without common rows", f"split {s} with overlap"))
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
        raise ValueError(msg("lams", "a sequence with at least one positive λ", lams.tolist()))
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
