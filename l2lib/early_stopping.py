r"""Early stopping as implicit L2: gradient descent stopped after t steps against the ridge optimum.

**On the quadratic model** :math:`J(w) = f^* + \tfrac12(w-w^*)^\top H(w-w^*)` of
:mod:`l2lib.quadratic`, plain gradient descent :math:`w_{t+1} = w_t - \eta H(w_t - w^*)`
gives :math:`w_{t+1} - w^* = (I - \eta H)(w_t - w^*)`, so from :math:`w_0 = 0`

.. math::  w_t = \big[I - (I - \eta H)^t\big]\,w^* = Q\,\mathrm{diag}\big(1 - (1 - \eta h_i)^t\big)\,Q^\top w^*.

Along eigenvector i, the fraction :math:`1 - (1-\eta h_i)^t` of :math:`w^*` has been
recovered after t steps (:func:`gd_shrinkage`); the ridge optimum recovers
:math:`h_i/(h_i+\alpha)` (:func:`l2lib.quadratic.eigen_shrinkage`).

**The match.** For :math:`\eta h \ll 1`, :math:`(1-\eta h)^t = e^{t\ln(1-\eta h)} \approx e^{-\eta h t}`.
With :math:`x = \eta h t` gradient descent keeps :math:`1 - e^{-x}`, and ridge with
:math:`\alpha = 1/(\eta t)` keeps :math:`\frac{h}{h + 1/(\eta t)} = \frac{x}{1+x}`. Both are
:math:`\approx x` for :math:`x \ll 1` (a flat direction, barely learned) and tend to 1 for
:math:`x \gg 1` (a steep direction, fully learned): stopping after t steps acts like
:math:`\alpha \approx 1/(\eta t)`, in the book's convention :math:`\lambda \approx m/(\eta t)`
(:func:`equivalent_alpha`, :func:`equivalent_lam`).

**Where the match fails.**

* In between: :math:`(1 - e^{-x}) - \frac{x}{1+x}` peaks at about 0.20 near :math:`x \approx 2.5`
  (where :math:`e^{-x}(1+x)^2 = 1`): early stopping learns the middle curvatures more than ridge does.
* No single α matches every direction: the α that matches direction i exactly is
  :math:`\alpha_i = h_i\frac{(1-\eta h_i)^t}{1-(1-\eta h_i)^t}` (:func:`matched_alpha`), in the limit
  :math:`\frac{1}{\eta t}\cdot\frac{x}{e^x - 1}`, which falls from :math:`1/(\eta t)` as x grows.
* Large steps: at :math:`\eta h = 1` gradient descent recovers the direction fully in one step
  (factor 1, :math:`\alpha_i = 0`) while ridge keeps :math:`t/(t+1)`; for :math:`1 < \eta h < 2`
  the factor exceeds 1 at odd t (the iterate overshoots), which no :math:`\alpha \ge 0` gives
  (:math:`\alpha_i < 0`).

**On a network** :func:`epoch_and_lambda_curves` trains with :func:`l2lib.training.train` and
puts the dev loss over epochs beside the dev loss over λ, with each epoch's equivalent
:math:`\lambda \approx m/(\eta\,t)`.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import quadratic as Q
from ._validate import check_int, check_lam_grid, check_positive, msg
from .training import train

__all__ = ["gd_shrinkage", "gd_weights", "equivalent_alpha", "equivalent_lam", "matched_alpha",
           "FilterComparison", "compare_filters", "EpochLambdaCurves", "epoch_and_lambda_curves"]


# ------------------------------------------------------------------ checks
def _steps(steps, low: int = 0) -> np.ndarray:
    """A step count or an array of them, as an int array, every entry >= ``low``."""
    what = f"an int or an array of ints in the range [{low}, inf)"
    if isinstance(steps, bool):
        raise TypeError(msg("steps", what, steps))
    a = np.asarray(steps)
    if a.dtype.kind not in "iu":
        if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
            a = a.astype(np.int64)
        else:
            raise TypeError(msg("steps", what, steps))
    if np.any(a < low):
        raise ValueError(msg("steps", what, int(a[a < low].flat[0])))
    return a.astype(np.int64)


def _lr(lr, h_max: float) -> float:
    """η, which must satisfy η h_max < 2 (else gradient descent diverges)."""
    lr = check_positive("lr", lr)
    bound = 2.0 / h_max
    if lr >= bound:
        raise ValueError(msg("lr", f"a float in the range (0, {bound:.4g}) for this H (lr * h_max < 2, "
                                   f"else gradient descent diverges)", lr))
    return lr


# ------------------------------------------------------------------ the quadratic model
def _filter(h: np.ndarray, lr: float, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""``(recovered, left)``: :math:`1 - (1-\eta h)^t` and :math:`(1-\eta h)^t`, shape ``t.shape + h.shape``.

    For :math:`\eta h < 1` through :math:`e^{t\log(1-\eta h)}` (``log1p``/``expm1``), accurate
    when :math:`\eta h` is tiny and the recovered fraction is small; the power itself otherwise.
    """
    x = lr * h
    tt = t[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):    # log1p(-x) at x >= 1: that branch is not used
        log_left = tt * np.log1p(-x)
        left = np.where(x < 1, np.exp(log_left), (1.0 - x) ** tt)
        recovered = np.where(x < 1, -np.expm1(log_left), 1.0 - (1.0 - x) ** tt)
    return recovered, left


def gd_shrinkage(q, lr: float, steps) -> Q.Shrinkage:
    r"""The fraction of :math:`w^*` gradient descent from 0 has recovered along each eigenvector after t steps.

    Returns a :class:`~l2lib.quadratic.Shrinkage` like :func:`l2lib.quadratic.eigen_shrinkage`:
    curvatures :math:`h_i` (ascending), eigenvectors, and ``factors``
    :math:`1 - (1 - \eta h_i)^t` of shape ``steps.shape + (n,)``. ``steps`` may be an array (a
    t grid); ``lr`` must satisfy :math:`\eta h_{\max} < 2`.

    >>> s = gd_shrinkage(Q.make_quadratic((1.0, 0.5)), 1.0, 2)     # (1 - 0)^2 and (1/2)^2
    >>> s.curvatures.tolist(), s.factors.tolist()
    ([0.5, 1.0], [0.75, 1.0])
    """
    s = Q.eigen_shrinkage(q, 0.0)
    lr = _lr(lr, float(s.curvatures[-1]))
    return Q.Shrinkage(s.curvatures, s.directions, _filter(s.curvatures, lr, _steps(steps))[0])


def gd_weights(q, lr: float, steps) -> np.ndarray:
    r"""The gradient-descent iterate :math:`w_t = Q\,\mathrm{diag}\big(1-(1-\eta h_i)^t\big)Q^\top w^*` from :math:`w_0 = 0`.

    Closed form, for every t of ``steps`` at once: shape ``steps.shape + (n,)``. Equal to
    :func:`l2lib.quadratic.descend` with α = 0 from 0, without iterating.

    >>> gd_weights(Q.make_quadratic((1.0, 0.25), w_star=(2.0, 4.0)), 1.0, [0, 2]).tolist()
    [[0.0, 0.0], [2.0, 1.75]]
    """
    s = gd_shrinkage(q, lr, steps)
    coords = s.directions.T @ np.asarray(q.w_star, dtype=float)      # w* in the eigenbasis
    return (s.factors * coords) @ s.directions.T


def equivalent_alpha(lr: float, steps) -> np.ndarray:
    r"""The ridge strength that t steps of gradient descent act like: :math:`\alpha \approx 1/(\eta t)`.

    ``steps`` >= 1, a count or an array of them; returns an array of the same shape.

    >>> equivalent_alpha(0.5, [1, 4, 20]).tolist()
    [2.0, 0.5, 0.1]
    """
    lr = check_positive("lr", lr)
    return 1.0 / (lr * _steps(steps, 1))


def equivalent_lam(lr: float, steps, m: int) -> np.ndarray:
    r"""The book's λ for :func:`equivalent_alpha`: :math:`\lambda = m\,\alpha \approx m/(\eta t)`, since :math:`\alpha = \lambda/m`.

    >>> equivalent_lam(0.5, [10, 100], m=200).tolist()
    [40.0, 4.0]
    """
    return check_int("m", m) * equivalent_alpha(lr, steps)


def matched_alpha(q, lr: float, steps) -> np.ndarray:
    r"""For each eigen-direction, the α whose ridge factor equals gradient descent's after t steps.

    Solving :math:`\frac{h}{h+\alpha} = 1 - (1-\eta h)^t` for α:
    :math:`\alpha_i = h_i\frac{(1-\eta h_i)^t}{1 - (1-\eta h_i)^t}`. Shape ``steps.shape + (n,)``,
    directions in the order of :func:`gd_shrinkage` (curvature ascending). Where
    :math:`\eta h_i \ge 1` it can be 0 or negative: gradient descent has recovered the whole
    direction, or overshot it, which no ridge optimum does. ``steps`` >= 1.

    >>> matched_alpha(Q.make_quadratic((1.0, 0.5)), 1.0, [1, 2]).tolist()      # (1/2)/(1/2), (1/4)/(3/4) * 1/2
    [[0.5, 0.0], [0.16666666666666666, 0.0]]
    """
    h = Q.eigen_shrinkage(q, 0.0).curvatures
    recovered, left = _filter(h, _lr(lr, float(h[-1])), _steps(steps, 1))
    return h * left / recovered


class FilterComparison(NamedTuple):
    """Gradient descent stopped at each t beside ridge with α = 1/(ηt) (one row per t)."""
    steps: np.ndarray       #: The step counts t, shape (T,).
    alpha: np.ndarray       #: The ridge strengths :math:`1/(\eta t)`, shape (T,).
    curvatures: np.ndarray  #: The eigenvalues :math:`h_i`, ascending, shape (n,).
    gd: np.ndarray          #: Gradient descent's factors :math:`1 - (1-\eta h_i)^t`, shape (T, n).
    ridge: np.ndarray       #: Ridge's factors :math:`h_i/(h_i + \alpha)`, shape (T, n).
    gap: np.ndarray         #: ``gd - ridge``, shape (T, n).
    w_gd: np.ndarray        #: The iterates :math:`w_t`, shape (T, n).
    w_ridge: np.ndarray     #: The ridge optima at :math:`\alpha = 1/(\eta t)`, shape (T, n).
    distance: np.ndarray    #: :math:`\lVert w_t - \tilde w\rVert`, shape (T,).


def compare_filters(q, lr: float, steps) -> FilterComparison:
    r"""Early stopping against ridge on one quadratic, for a grid of t (one call per figure).

    For each t of ``steps`` (a 1-D array of counts >= 1): the gradient-descent factors
    (:func:`gd_shrinkage`), the ridge factors at :math:`\alpha = 1/(\eta t)`
    (:func:`l2lib.quadratic.eigen_shrinkage`), the two weight vectors
    (:func:`gd_weights`, :func:`l2lib.quadratic.regularized_optimum`) and their distance.
    """
    t = _steps(steps, 1)
    if t.ndim != 1 or t.size == 0:
        raise ValueError(msg("steps", "a non-empty 1-D array of ints in the range [1, inf)", steps))
    gd = gd_shrinkage(q, lr, t)
    alpha = equivalent_alpha(lr, t)
    ridge = Q.eigen_shrinkage(q, alpha).factors
    w_gd = gd_weights(q, lr, t)
    w_ridge = Q.regularized_optimum(q, alpha)
    return FilterComparison(t, alpha, gd.curvatures, gd.factors, ridge, gd.factors - ridge, w_gd, w_ridge,
                            np.linalg.norm(w_gd - w_ridge, axis=-1))


# ------------------------------------------------------------------ a network
class EpochLambdaCurves(NamedTuple):
    """The dev loss over epochs (λ = 0) beside the dev loss over λ (trained to the end)."""
    epochs: np.ndarray         #: The recorded epochs from the first, shape (E,).
    dev_by_epoch: np.ndarray   #: Dev data loss of the unregularized network after each epoch, shape (E,).
    train_by_epoch: np.ndarray  #: Its training data loss, shape (E,).
    lam_of_epoch: np.ndarray   #: Each epoch's equivalent :math:`\lambda \approx m/(\eta t)`, shape (E,).
    lams: np.ndarray           #: The λ grid, shape (K,).
    dev_by_lam: np.ndarray     #: Dev data loss after ``lam_epochs`` epochs with each λ, shape (K,).
    train_by_lam: np.ndarray   #: Training data loss for each λ, shape (K,).
    best_epoch: int            #: The recorded epoch of lowest dev loss.
    best_lam: float            #: The λ of lowest dev loss.


def epoch_and_lambda_curves(net, X, y, X_dev, y_dev, lams, epochs: int, lr: float = 0.5,
                            lam_epochs: int | None = None, record_every: int = 1) -> EpochLambdaCurves:
    r"""Train once without a penalty (recording every epoch) and once per λ, and line up the two dev curves.

    Both runs are full-batch gradient descent with learning rate ``lr`` through
    :func:`l2lib.training.train`, from the same start ``net``, so epoch t is step t and its
    equivalent strength is :math:`\lambda \approx m/(\eta t)` (:func:`equivalent_lam`, m the
    number of training rows). The λ grid trains for ``lam_epochs`` (default ``epochs``),
    long enough to be near each regularized optimum. Plotted on one λ axis, the early-stopping
    curve read right to left (more epochs, smaller equivalent λ) resembles the λ curve.
    """
    lams = check_lam_grid(lams)
    epochs = check_int("epochs", epochs)
    lam_epochs = epochs if lam_epochs is None else check_int("lam_epochs", lam_epochs)
    lr = check_positive("lr", lr)
    _, h0 = train(net, X, y, lam=0.0, lr=lr, epochs=epochs, X_dev=X_dev, y_dev=y_dev, record_every=record_every)
    _, hg = train(net, X, y, lam=lams, lr=lr, epochs=lam_epochs, X_dev=X_dev, y_dev=y_dev, record_every=lam_epochs)
    keep = h0["epoch"] >= 1
    ep = h0["epoch"][keep].astype(np.int64)
    dev, tr = h0["dev_data"][keep], h0["data"][keep]
    dev_lam = hg["dev_data"][-1]
    return EpochLambdaCurves(ep, dev, tr, equivalent_lam(lr, ep, int(np.shape(X)[0])), lams, dev_lam,
                             hg["data"][-1], int(ep[np.argmin(dev)]), float(lams[np.argmin(dev_lam)]))
