r"""L1 beside L2: the diamond against the circle, exact zeros against shrinkage.

**Convention.** The book's L2 cost is :math:`J + \frac{\lambda}{2m}\sum_l\lVert W_l\rVert_F^2`
(gradient :math:`(\lambda/m)W_l`). Its L1 sibling, in the same scaling, is

.. math::  J + \frac{\lambda}{m}\sum_l\sum_{ij}\lvert w^{(l)}_{ij}\rvert ,

biases never penalized (:func:`l1_penalty`). On the quadratic model of
:mod:`l2lib.quadratic`, :math:`J(w) = f^* + \tfrac12(w-w^*)^\top H(w-w^*)`, both
penalties are written with :math:`\alpha = \lambda/m`: L2 adds
:math:`\tfrac{\alpha}{2}\lVert w\rVert^2`, L1 adds :math:`\alpha\lVert w\rVert_1`.

**Why L1 gives exact zeros.** With a diagonal :math:`H = \mathrm{diag}(h_i)` both
problems separate into one-dimensional ones. Setting the derivative of
:math:`\tfrac{h}{2}(w-w^*)^2 + \tfrac{\alpha}{2}w^2` to zero gives the L2 answer
:math:`\tilde w = \frac{h}{h+\alpha}w^*`: a factor that is never 0, so every
weight shrinks and none vanishes. For :math:`\tfrac{h}{2}(w-w^*)^2 + \alpha\lvert w\rvert`
the optimality condition is :math:`0 \in h(w - w^*) + \alpha\,\partial\lvert w\rvert`
with :math:`\partial\lvert w\rvert = \{\mathrm{sign}\,w\}` for :math:`w\ne 0` and
:math:`[-1, 1]` at 0. If :math:`w \ne 0` it gives :math:`w = w^* - \frac{\alpha}{h}\mathrm{sign}\,w`,
which has the sign assumed only when :math:`\lvert w^*\rvert > \alpha/h`; otherwise
:math:`w = 0` satisfies it, since :math:`\lvert h w^*\rvert \le \alpha`. Together,
soft-thresholding (:func:`soft_threshold`):

.. math::  \tilde w_i = \mathrm{sign}(w^*_i)\,\max\!\big(\lvert w^*_i\rvert - \alpha/h_i,\ 0\big),

exactly zero as soon as :math:`\alpha \ge h_i\lvert w^*_i\rvert` (:func:`separable_optima`). In
the plane the corners of the diamond :math:`\lVert w\rVert_1 = r` sit on the axes, and
a data-loss ellipse usually touches the diamond first at a corner; a circle has no corners.

**The path.** For a general :math:`H` the L1 optimum is piecewise linear in α: on a
stretch where the set :math:`A` of non-zero weights and their signs :math:`s` stay
fixed, the optimality condition :math:`H_{AA}w_A - (Hw^*)_A + \alpha s_A = 0` gives
:math:`w_A = H_{AA}^{-1}\big((Hw^*)_A - \alpha s_A\big)`, linear in α.
:func:`l1_breakpoints` follows it from :math:`\alpha_{\max} = \lVert Hw^*\rVert_\infty`
(above which :math:`w = 0`) down to 0 (the homotopy of Osborne, Presnell & Turlach 2000;
Efron et al. 2004); :func:`l1_optimum` reads any α off it.

**Algorithms that produce exact zeros.** A (sub)gradient step :math:`w - \eta(g + \alpha\,\mathrm{sign}\,w)`
overshoots 0 and oscillates around it. The *proximal* step does not: it takes the
gradient step of the smooth part and then solves the one-dimensional problem above,

.. math::  w \leftarrow \mathrm{prox}_{\eta\alpha\lvert\cdot\rvert}\big(w - \eta\nabla J(w)\big)
           = \mathrm{soft}\big(w - \eta\nabla J(w),\ \eta\alpha\big),

which returns exact zeros (:func:`proximal_descend`). :func:`l1_logistic` fits L1-regularized
logistic regression with the same step taken in the metric of the Hessian (proximal Newton):
each coordinate update is a soft-threshold, so its zeros are exact too.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import kernels as K
from . import quadratic as Q
from ._validate import check_int, check_lam_grid, check_positive, check_real, check_X, msg
from .network import Net, as_net, targets
from .penalty import check_layers

__all__ = ["l1_penalty", "soft_threshold", "kkt_violation", "SeparableOptima", "separable_optima",
           "L1Breakpoints", "l1_breakpoints", "l1_optimum", "proximal_descend", "l1_lam_max", "L1Fit",
           "l1_logistic", "plot_diamond"]


# ------------------------------------------------------------------ checks
def _alpha(alpha, name: str = "alpha") -> np.ndarray:
    """α (or a grid of them) as a float array, every entry finite and >= 0."""
    what = "a float or an array of floats in the range [0, inf)"
    if isinstance(alpha, bool):
        raise TypeError(msg(name, what, alpha))
    try:
        a = np.asarray(alpha, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(msg(name, what, alpha)) from None
    bad = ~np.isfinite(a) | (a < 0)
    if bad.any():
        raise ValueError(msg(name, what, float(a[bad].flat[0])))
    return a


def _finite(name: str, value, what: str = "an array of finite floats") -> np.ndarray:
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(msg(name, what, value)) from None
    if not np.all(np.isfinite(a)):
        raise ValueError(msg(name, what, "an array containing NaN or inf"))
    return a


def _arrays(q) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(H, w_star, eigenvalues of H)`` of a checked :class:`~l2lib.quadratic.Quadratic`."""
    h = Q.eigen_shrinkage(q, 0.0).curvatures           # checks q: symmetric positive definite H, finite w*
    return np.asarray(q.H, dtype=float), np.asarray(q.w_star, dtype=float), h


# ------------------------------------------------------------------ the penalty and its step
def _l1(alpha, W, axis=(-2, -1)) -> np.ndarray:
    r"""The one written L1 term, :math:`\alpha\sum\lvert w\rvert` over ``axis`` (a matrix, or K stacked rows)."""
    return alpha * np.abs(W).sum(axis=axis)


def l1_penalty(params, lam: float, m: int, layers=None) -> float:
    r"""The L1 penalty in the book's scaling, :math:`\frac{\lambda}{m}\sum_{l\in\text{layers}}\sum_{ij}\lvert w^{(l)}_{ij}\rvert`.

    ``params`` is a :class:`~l2lib.network.Net` or a list of ``(W, b)`` pairs; biases are never
    penalized. On the quadratic model this is :math:`\alpha\lVert w\rVert_1` with :math:`\alpha = \lambda/m`.

    >>> l1_penalty([(np.array([[3.0, -4.0]]), np.array([5.0, 5.0]))], lam=2.0, m=7)   # 2/7 * 7
    2.0
    """
    params = as_net(params).params
    lam = check_real("lam", lam, 0.0)
    m = check_int("m", m)
    alpha = lam / m
    return float(sum(_l1(alpha, params[l][0]) for l in check_layers(layers, len(params))))


def _soft(z, t):
    """Unchecked soft-threshold; a positive 0.0 wherever |z| <= t."""
    return np.maximum(z - t, 0.0) - np.maximum(-z - t, 0.0)


def soft_threshold(z, threshold):
    r"""Soft-thresholding, :math:`\mathrm{sign}(z)\max(\lvert z\rvert - t, 0)`: the proximal step of :math:`t\lvert\cdot\rvert`.

    It is the minimizer of :math:`\tfrac12(w - z)^2 + t\lvert w\rvert` (see the module): entries
    with :math:`\lvert z\rvert \le t` become exactly 0, the others move by ``t`` towards 0.
    ``z`` and ``threshold`` broadcast against each other.

    >>> soft_threshold([-3.0, -0.5, 0.2, 2.5], 1.0).tolist()
    [-2.0, 0.0, 0.0, 1.5]
    """
    z = _finite("z", z)
    t = _alpha(threshold, "threshold")
    return _soft(z, t)


def kkt_violation(grad, w, alpha) -> np.ndarray:
    r"""How far ``w`` is from satisfying the optimality conditions of :math:`J(w) + \alpha\lVert w\rVert_1`.

    ``grad`` is :math:`\nabla J(w)` of the smooth part. ``w`` minimizes the sum exactly when
    :math:`0 \in \nabla J(w) + \alpha\,\partial\lVert w\rVert_1`, coordinate by coordinate:

    * :math:`w_i \ne 0`: :math:`g_i + \alpha\,\mathrm{sign}(w_i) = 0` (violation :math:`\lvert g_i + \alpha\,\mathrm{sign}\,w_i\rvert`);
    * :math:`w_i = 0`: :math:`\lvert g_i\rvert \le \alpha` (violation :math:`\max(\lvert g_i\rvert - \alpha, 0)`).

    Returns the largest violation over the last axis: shape ``w.shape[:-1]`` broadcast against
    ``alpha`` (α has one entry per point).

    >>> float(kkt_violation([-1.0, 0.3], [2.0, 0.0], 1.0))      # both conditions hold
    0.0
    """
    g = _finite("grad", grad)
    w = _finite("w", w)
    a = _alpha(alpha)[..., None]
    if g.shape[-1:] != w.shape[-1:]:
        raise ValueError(msg("grad", f"an array whose last axis matches w's ({w.shape[-1:]})",
                             f"an array of shape {g.shape}"))
    return _violation(g, w, a)


def _violation(g, w, a):
    return np.where(w != 0, np.abs(g + a * np.sign(w)), np.maximum(np.abs(g) - a, 0.0)).max(axis=-1)


# ------------------------------------------------------------------ the quadratic model
class SeparableOptima(NamedTuple):
    """L1 and L2 optima of a separable quadratic (diagonal H), for every α."""
    l1: np.ndarray       #: ``alpha.shape + (n,)``: soft-thresholded :math:`w^*`, exact zeros included.
    l2: np.ndarray       #: ``alpha.shape + (n,)``: :math:`\frac{h_i}{h_i+\alpha}w^*_i`, never zero unless :math:`w^*_i` is.
    zero_at: np.ndarray  #: The α from which L1 sets weight i to exactly 0, :math:`h_i\lvert w^*_i\rvert`, shape (n,).


def separable_optima(curvatures, w_star, alpha) -> SeparableOptima:
    r"""Both optima of :math:`f^* + \sum_i\tfrac{h_i}{2}(w_i - w^*_i)^2` plus an L1 or an L2 penalty.

    L1 (:math:`\alpha\lVert w\rVert_1`): :math:`\mathrm{soft}(w^*_i, \alpha/h_i)`; L2
    (:math:`\tfrac{\alpha}{2}\lVert w\rVert^2`): :math:`\frac{h_i}{h_i+\alpha}w^*_i`, computed by
    :func:`l2lib.quadratic.regularized_optimum`. Derivations in the module docstring.
    ``alpha`` may be a grid (any shape S); results have shape S + (n,).

    >>> s = separable_optima([2.0, 0.5], [1.0, 1.0], 0.75)
    >>> s.l1.tolist(), s.l2.round(12).tolist(), s.zero_at.tolist()
    ([0.625, 0.0], [0.727272727273, 0.4], [2.0, 0.5])
    """
    h = _finite("curvatures", curvatures, "a 1-D array of floats in the range (0, inf)")
    if h.ndim != 1 or h.size == 0 or not np.all(h > 0):
        raise ValueError(msg("curvatures", "a 1-D array of floats in the range (0, inf)", curvatures))
    w = _finite("w_star", w_star)
    if w.shape != h.shape:
        raise ValueError(msg("w_star", f"an array of shape {h.shape} (one entry per curvature)",
                             f"an array of shape {w.shape}"))
    a = _alpha(alpha)
    l1 = _soft(w, a[..., None] / h)
    l2 = Q.regularized_optimum(Q.Quadratic(np.diag(h), w), a)
    return SeparableOptima(l1, l2, h * np.abs(w))


class L1Breakpoints(NamedTuple):
    """The kinks of the L1 path: between two of them the optimum moves on a straight line."""
    alphas: np.ndarray   #: The α of each kink, decreasing from :math:`\alpha_{\max} = \lVert Hw^*\rVert_\infty` to 0, shape (k,).
    points: np.ndarray   #: The optimum at each kink (0 at the first, :math:`w^*` at the last), shape (k, n).


def l1_breakpoints(q) -> L1Breakpoints:
    r"""The exact, piecewise-linear path of the minimizer of :math:`J(w) + \alpha\lVert w\rVert_1` over α.

    ``q`` is a :class:`~l2lib.quadratic.Quadratic` of any dimension. The path starts at
    :math:`\alpha_{\max} = \lVert Hw^*\rVert_\infty` with :math:`w = 0` (there the zero vector
    satisfies :math:`\lvert(Hw^*)_i\rvert \le \alpha` for all i) and follows, as α decreases,
    :math:`w_A(\alpha) = H_{AA}^{-1}\big((Hw^*)_A - \alpha s_A\big)` on the active set ``A``
    until the next event: an active weight reaches 0 (it leaves ``A``), or an inactive
    coordinate's :math:`\lvert(H(w^* - w))_j\rvert` reaches α (it joins ``A`` with that sign).
    Events less than :math:`10^{-9}\alpha_{\max}` apart are taken as one.

    >>> bp = l1_breakpoints(Q.make_quadratic((2.0, 0.5), w_star=(1.0, 1.0)))
    >>> bp.alphas.tolist(), bp.points.tolist()
    ([2.0, 0.5, 0.0], [[0.0, 0.0], [0.75, 0.0], [1.0, 1.0]])
    """
    H, w_star, _ = _arrays(q)
    n = w_star.size
    c = H @ w_star
    a_max = float(np.abs(c).max())
    if a_max == 0.0:
        return L1Breakpoints(np.array([0.0]), np.zeros((1, n)))
    tol = 1e-9 * a_max
    active = np.abs(c) >= a_max - tol
    s = np.where(active, np.sign(c), 0.0)
    alphas, points, a_k = [a_max], [np.zeros(n)], a_max
    for _ in range(20 * n + 20):
        A, I = np.flatnonzero(active), np.flatnonzero(~active)
        HAA = H[np.ix_(A, A)]
        u, v = np.linalg.solve(HAA, c[A]), np.linalg.solve(HAA, s[A])   # w_A(alpha) = u - alpha v
        with np.errstate(divide="ignore", invalid="ignore"):
            drop = np.where(v != 0, u / v, -np.inf)                       # w_i(alpha) = 0
            r0, r1 = c[I] - H[np.ix_(I, A)] @ u, H[np.ix_(I, A)] @ v      # r_j(alpha) = r0 + alpha r1
            up = np.where(1 - r1 > 0, r0 / (1 - r1), -np.inf)              # r_j = +alpha, reached going down
            down = np.where(1 + r1 > 0, -r0 / (1 + r1), -np.inf)           # r_j = -alpha
        cand = np.concatenate([drop, up, down])
        cand = np.where((cand > tol) & (cand < a_k - tol), cand, -np.inf)
        a_next = max(float(cand.max(initial=-np.inf)), 0.0)
        w = np.zeros(n)
        w[A] = u - a_next * v
        if a_next == 0.0:
            alphas.append(0.0)
            points.append(w)
            return L1Breakpoints(np.array(alphas), np.array(points))
        hit = cand >= a_next - tol
        leaving = A[hit[:A.size]]
        joining_up, joining_down = I[hit[A.size:A.size + I.size]], I[hit[A.size + I.size:]]
        w[leaving] = 0.0
        active[leaving], s[leaving] = False, 0.0
        active[joining_up], s[joining_up] = True, 1.0
        active[joining_down], s[joining_down] = True, -1.0
        alphas.append(a_next)
        points.append(w)
        a_k = a_next
    raise RuntimeError(f"The L1 path of this quadratic did not reach alpha = 0 after {20 * n + 20} events "
                       f"(n = {n}); H may be too ill-conditioned (condition number "
                       f"{float(np.linalg.cond(H)):.3g}).")


def l1_optimum(q, alpha) -> np.ndarray:
    r"""The minimizer of :math:`J(w) + \alpha\lVert w\rVert_1` on a quadratic, for every α at once.

    Read off the exact path of :func:`l1_breakpoints` by linear interpolation between its kinks
    (exact, as the path is linear there). ``alpha`` a float gives shape (n,); an array of shape S
    gives S + (n,). Weights are exactly 0 where the path has them at 0. Compare
    :func:`l2lib.quadratic.regularized_optimum`, the L2 optimum for the same α.

    >>> q = Q.make_quadratic((2.0, 0.5), w_star=(1.0, 1.0))
    >>> l1_optimum(q, [0.25, 1.0]).tolist()
    [[0.875, 0.5], [0.5, 0.0]]
    """
    _arrays(q)
    a = _alpha(alpha)
    bp = l1_breakpoints(q)
    xp, fp = bp.alphas[::-1], bp.points[::-1]
    flat = a.reshape(-1)
    out = np.stack([np.interp(flat, xp, fp[:, j]) for j in range(fp.shape[1])], axis=-1)
    return out.reshape(a.shape + (fp.shape[1],))


def proximal_descend(q, alpha, w0, lr: float, steps: int) -> np.ndarray:
    r"""Proximal gradient descent (ISTA) on :math:`J(w) + \alpha\lVert w\rVert_1`, for every α at once.

    :math:`w_{t+1} = \mathrm{soft}\big(w_t - \eta H(w_t - w^*),\ \eta\alpha\big)` from ``w0``;
    returns the trajectory, shape ``(steps + 1,) + alpha.shape + (n,)``. Weights reach exact
    zeros in finitely many steps. Converges for :math:`0 < \eta < 2/h_{\max}` (forward-backward
    splitting with an averaged forward step); a larger ``lr`` raises a ValueError.
    """
    H, w_star, h = _arrays(q)
    a = _alpha(alpha)
    lr = check_positive("lr", lr)
    steps = check_int("steps", steps, 0)
    bound = 2.0 / float(h[-1])
    if lr >= bound:
        raise ValueError(msg("lr", f"a float in the range (0, {bound:.4g}) for this H (lr * h_max < 2)", lr))
    w0 = _finite("w0", w0)
    if w0.ndim == 0 or w0.shape[-1] != w_star.size:
        raise ValueError(msg("w0", f"an array of shape (..., {w_star.size})", f"an array of shape {w0.shape}"))
    w = np.broadcast_to(w0, a.shape + (w_star.size,)).copy()
    t = lr * a[..., None]
    out = [w.copy()]
    for _ in range(steps):
        w = _soft(w - lr * ((w - w_star) @ H), t)
        out.append(w)
    return np.stack(out)


# ------------------------------------------------------------------ logistic regression
def l1_lam_max(X, y) -> float:
    r"""The smallest λ at which L1-regularized logistic regression sets every weight to exactly 0.

    At :math:`w = 0` the best (unpenalized) bias is :math:`b_0 = \log\frac{\bar y}{1-\bar y}`,
    so :math:`\sigma(b_0) = \bar y`, and the data gradient is :math:`g = \frac1m X^\top(\bar y - y)`.
    By :func:`kkt_violation`, :math:`w = 0` is optimal iff :math:`\lvert g_j\rvert \le \alpha = \lambda/m`
    for every j: :math:`\lambda_{\max} = m\lVert g\rVert_\infty = \lVert X^\top(y - \bar y)\rVert_\infty`.

    >>> l1_lam_max([[1.0], [-1.0], [1.0], [-1.0]], [1, 0, 1, 1])
    1.0
    """
    X, Y = _logistic_data(X, y)
    return float(np.abs(X.T @ (Y[:, 0] - Y[:, 0].mean())).max())


def _logistic_data(X, y):
    X = check_X(X)
    Y = targets(y, "sigmoid", 1, X.shape[0])
    if Y.min() == Y.max():
        raise ValueError(msg("y", "labels of both classes, 0 and 1", f"only class {int(Y[0, 0])}"))
    return X, Y


class L1Fit(NamedTuple):
    """L1-regularized logistic regressions, one per λ of a grid."""
    lams: np.ndarray        #: The λ grid, shape (K,).
    nets: list              #: K one-layer :class:`~l2lib.network.Net` (sigmoid output), one per λ.
    W: np.ndarray           #: The weights, shape (K, n); exact zeros where L1 removed a feature.
    b: np.ndarray           #: The biases (not penalized), shape (K,).
    n_zero: np.ndarray      #: How many weights are exactly 0, shape (K,).
    data: np.ndarray        #: The data term (mean cross-entropy) on the training set, shape (K,).
    penalty: np.ndarray     #: The penalty :math:`\frac{\lambda}{m}\lVert w\rVert_1`, shape (K,).
    kkt: np.ndarray         #: :func:`kkt_violation` of the result (0 at the exact optimum), shape (K,).
    iterations: int         #: Newton steps taken.


def _logistic_parts(W, b, X, Y):
    """Data term, weight gradient and bias gradient of K stacked logistic regressions, via the kernels."""
    params = [(W[:, :, None], b[:, None, None])]
    cache = K.forward(params, X, "relu", "sigmoid")[1]        # one layer: no hidden activation is used
    data = K.example_losses(cache.Z[-1], Y, "sigmoid").mean(axis=-1)
    (dW, db), = K.backward(params, cache, Y)
    return data, dW[:, :, 0], db[:, 0, 0], cache.A[-1][:, :, 0]


def l1_logistic(X, y, lams, tol: float = 1e-10, max_iter: int = 100) -> L1Fit:
    r"""Logistic regression with the L1 penalty :math:`\frac{\lambda}{m}\lVert w\rVert_1`, one fit per λ, all at once.

    Minimizes :math:`F(w, b) = \frac1m\sum_i L(\sigma(x_i^\top w + b), y_i) + \alpha\lVert w\rVert_1`,
    :math:`\alpha = \lambda/m`, with ``m`` the number of rows of ``X`` (standardize ``X`` first:
    :func:`l2lib.data.standardize`). The data term and its gradient come from the kernels of
    :mod:`l2lib.kernels` (the one-layer network with a sigmoid output).

    The method is proximal Newton (Lee, Sun & Saunders 2014), the proximal step taken in the
    metric of the Hessian :math:`\nabla^2 = \frac1m\tilde X^\top\mathrm{diag}(p(1-p))\tilde X`
    (:math:`\tilde X = [X, 1]`): each step minimizes the quadratic model plus
    :math:`\alpha\lVert w\rVert_1` by coordinate descent, whose every update is a
    :func:`soft_threshold` (exact zeros), accelerated by a Newton solve on the current non-zero
    weights, and a backtracking line search on ``F``. Plain proximal gradient (ISTA/FISTA)
    reaches the same point but needs thousands of steps on nearly separable data such as
    :func:`l2lib.data.load_breast_cancer`.
    It stops when the proximal-gradient residual
    :math:`\max(\lVert w - \mathrm{soft}(w - \nabla_w J, \alpha)\rVert_\infty, \lvert\partial_b J\rvert)`
    is below ``tol`` for every λ, then takes one proximal gradient step of size :math:`1/L`
    (:math:`L` the Lipschitz bound :math:`\lambda_{\max}(\tilde X^\top\tilde X)/(4m)`), so that every
    zero of the result is the exact 0 of a soft-threshold.

    Parameters
    ----------
    X, y
        Training data, ``X`` of shape (m, n), ``y`` binary labels.
    lams
        A λ, or a strictly increasing grid of them (K values).
    tol
        The residual at which to stop.
    max_iter
        Newton steps allowed; not converging by then raises a RuntimeError.

    Returns
    -------
    L1Fit
        One entry per λ; ``n_zero`` counts the exactly-zero weights.
    """
    X, Y = _logistic_data(X, y)
    lams = check_lam_grid(lams)
    tol = check_positive("tol", tol)
    max_iter = check_int("max_iter", max_iter)
    m, n = X.shape
    k = lams.size
    alpha = lams / m
    a2 = alpha[:, None]
    ybar = float(Y.mean())
    W = np.zeros((k, n))
    b = np.full(k, np.log(ybar / (1.0 - ybar)))          # the best bias at w = 0
    X1 = np.c_[X, np.ones(m)]
    pen = np.c_[np.broadcast_to(a2, (k, n)), np.zeros(k)]   # the bias is not penalized
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for it in range(max_iter + 1):
            data, gW, gb, p = _logistic_parts(W, b, X, Y)
            res = np.maximum(np.abs(W - _soft(W - gW, a2)).max(axis=1), np.abs(gb))
            if not np.all(np.isfinite(res)):
                raise FloatingPointError(f"l1_logistic diverged at Newton step {it}: the gradient is no longer "
                                         f"finite (lams from {lams[0]!r} to {lams[-1]!r}).")
            if res.max() < tol:
                break
            if it == max_iter:
                worst = int(np.argmax(res))
                raise RuntimeError(f"l1_logistic did not converge in max_iter={max_iter} Newton steps: the residual "
                                   f"at lam={lams[worst]!r} is {res[worst]:.3g} > tol={tol!r}. Raise 'max_iter' or "
                                   f"'tol', or use larger lams (small lams on separable data have no finite optimum).")
            D = p * (1.0 - p) / m                                          # (K, m)
            H = (X1.T * D[:, None, :]) @ X1                                 # (K, n+1, n+1), one matmul
            H += (1e-12 * np.einsum("kii->k", H) / (n + 1))[:, None, None] * np.eye(n + 1)   # keeps H_jj > 0
            theta = np.c_[W, b]
            g = np.c_[gW, gb]
            v = _quadratic_l1(H, g, theta, pen, max(0.1 * tol, 1e-3 * float(res.max())))
            d = v - theta
            F0 = data + _l1(alpha, W, 1)
            # predicted decrease (< 0 but for rounding), and F's rounding as slack near the optimum
            decrease = np.minimum((g * d).sum(axis=1) + _l1(alpha, v[:, :n], 1) - _l1(alpha, W, 1), 0.0)
            slack = 1e-13 * np.abs(F0)
            t = np.ones(k)
            todo = np.ones(k, bool)
            for _ in range(60):                                            # backtracking on F
                Wt, bt = W + t[:, None] * d[:, :n], b + t * d[:, n]
                Ft = _logistic_parts(Wt, bt, X, Y)[0] + _l1(alpha, Wt, 1)
                ok = Ft <= F0 + 1e-4 * t * decrease + slack
                todo &= ~ok
                if not todo.any():
                    break
                t = np.where(todo, 0.5 * t, t)
            t = np.where(todo, 0.0, t)                                     # no decrease found: stay
            W, b = W + t[:, None] * d[:, :n], b + t * d[:, n]
        # one proximal gradient step of size 1/L: every zero is a soft-threshold's exact 0
        eta = 4.0 * m / float(np.linalg.eigvalsh(X1.T @ X1)[-1])
        W, b = _soft(W - eta * gW, eta * a2), b - eta * gb
        data, gW, gb, _ = _logistic_parts(W, b, X, Y)
    kkt = np.maximum(_violation(gW, W, a2), np.abs(gb))
    nets = [Net([(W[i][:, None].copy(), np.array([b[i]]))], "relu", "sigmoid") for i in range(k)]
    return L1Fit(lams, nets, W, b, (W == 0).sum(axis=1), data, _l1(alpha, W, 1), kkt, it)


def _quadratic_l1(H, g, theta, pen, tol: float, max_rounds: int = 200) -> np.ndarray:
    r"""Minimize :math:`g^\top(v-\theta) + \tfrac12(v-\theta)^\top H(v-\theta) + \sum_j p_j\lvert v_j\rvert` for K problems.

    ``H`` (K, n, n) positive definite, ``g``/``theta``/``pen`` (K, n); ``pen_j = 0`` leaves
    coordinate j unpenalized. Each round: one sweep of coordinate descent
    (:math:`v_j \leftarrow \mathrm{soft}(v_j - q_j/H_{jj}, p_j/H_{jj})`, q the model's gradient),
    then Newton solves on the non-zero coordinates with their signs fixed, stepping back to the
    first weight that would change sign (it becomes 0). Stops when :func:`kkt_violation` of the
    model is below ``tol``.
    """
    k, n = g.shape
    Hd = np.einsum("kii->ki", H)
    v, q = theta.copy(), g.copy()
    Htheta = np.einsum("kij,kj->ki", H, theta)
    free = pen == 0
    eye = np.eye(n)
    for _ in range(max_rounds):
        for j in range(n):
            old = v[:, j]
            new = _soft(old - q[:, j] / Hd[:, j], pen[:, j] / Hd[:, j])
            dj = new - old
            if dj.any():
                q += dj[:, None] * H[:, :, j]
                v[:, j] = new
        for _ in range(n):
            S = (v != 0) | free
            s = np.where(free, 0.0, np.sign(v))
            M = np.where(S[:, :, None] & S[:, None, :], H, 0.0) + np.where(S, 0.0, 1.0)[:, :, None] * eye
            vs = np.linalg.solve(M, np.where(S, Htheta - g - pen * s, 0.0)[..., None])[..., 0]
            flip = S & ~free & (np.sign(vs) != s)
            ratio = np.where(flip, v / np.where(flip, v - vs, 1.0), np.inf)
            tau = np.minimum(ratio.min(axis=1), 1.0)
            hit = tau < 1.0
            v = v + tau[:, None] * (vs - v)
            v[hit, ratio[hit].argmin(axis=1)] = 0.0
            if not hit.any():
                break
        q = g + np.einsum("kij,kj->ki", H, v - theta)
        if _violation(q, v, pen).max() < tol:
            break
    return v


# ------------------------------------------------------------------ figure
def plot_diamond(q, w_l1, w_l2, grid, path_l1=None, path_l2=None, ax=None, levels: int = 7):
    r"""The L1 diamond beside the L2 circle for one α, drawn from precomputed optima.

    Draws the data-loss contours around :math:`w^*`, the diamond
    :math:`\lVert w\rVert_1 = \lVert\tilde w_{L1}\rVert_1` and the circle
    :math:`\lVert w\rVert_2 = \lVert\tilde w_{L2}\rVert_2`, the data-loss contour through each
    optimum (it touches its own penalty shape there: at a corner of the diamond when a weight is
    0), the two paths over α if given, and the optima.

    Parameters
    ----------
    q : l2lib.quadratic.Quadratic
        A two-parameter quadratic.
    w_l1, w_l2 : array
        The L1 optimum (:func:`l1_optimum`) and the L2 optimum
        (:func:`l2lib.quadratic.regularized_optimum`), shape (2,) each.
    grid : tuple
        ``(xx, yy, F)``: a meshgrid and the data loss on it.
    path_l1, path_l2 : array, optional
        The optima over a grid of α, shape (k, 2) each.
    ax : matplotlib.axes.Axes, optional
        The axes to draw on (default: the current axes).
    levels : int
        Number of data-loss contours drawn.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    import matplotlib.pyplot as plt

    from .plotting import OKABE_ITO

    _, w_star, _ = _arrays(q)
    if w_star.size != 2:
        raise ValueError(msg("q", "a Quadratic with two parameters", f"one with {w_star.size}"))
    w1, w2 = (_finite(name, w) for name, w in (("w_l1", w_l1), ("w_l2", w_l2)))
    for name, w in (("w_l1", w1), ("w_l2", w2)):
        if w.shape != (2,):
            raise ValueError(msg(name, "an array of shape (2,)", f"an array of shape {w.shape}"))
    f_star = float(q.f_star)
    ax = ax or plt.gca()
    xx, yy, F = grid
    ax.contour(xx, yy, F, levels=Q.contour_levels(F, f_star, levels), colors="0.7", linewidths=0.8)
    for path, colour, label in ((path_l2, OKABE_ITO[4], "L2 path"), (path_l1, OKABE_ITO[5], "L1 path")):
        if path is not None:
            path = np.asarray(path, float)
            ax.plot(path[:, 0], path[:, 1], color=colour, lw=1.4, alpha=0.7, label=label)
    r1 = float(np.abs(w1).sum())
    ax.fill([r1, 0, -r1, 0], [0, r1, 0, -r1], fill=False, ls="--", ec=OKABE_ITO[5], lw=1.4,
            label="L1 diamond through w̃ (L1)")
    ax.add_patch(plt.Circle((0, 0), float(np.hypot(*w2)), fill=False, ls=":", color=OKABE_ITO[4], lw=1.6,
                            label="L2 circle through w̃ (L2)"))
    for w, colour in ((w1, OKABE_ITO[5]), (w2, OKABE_ITO[4])):
        level = float(Q.data_loss(q, w))
        if level > f_star + 1e-12 * max(1.0, abs(f_star)):
            ax.contour(xx, yy, F, levels=[level], colors=colour, linewidths=1.2)
    ax.plot(*w_star, marker="*", ms=13, color="black", ls="none", label="w* (data only)", zorder=4)
    ax.plot(*w1, marker="D", ms=7, color=OKABE_ITO[5], mec="white", ls="none", label="w̃ (L1)", zorder=5)
    ax.plot(*w2, marker="o", ms=7, color=OKABE_ITO[4], mec="white", ls="none", label="w̃ (L2)", zorder=5)
    ax.axhline(0, color="0.5", lw=0.6)
    ax.axvline(0, color="0.5", lw=0.6)
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_aspect("equal")
    ax.set_xlabel("w₁")
    ax.set_ylabel("w₂")
    return ax
