r"""The L2 penalty on a quadratic data loss: the picture behind Chapters 2 and 3.

Near a minimum ``w*`` every smooth data loss looks like

.. math::

    J_{\text{data}}(w) = f^* + \tfrac12 (w - w^*)^\top H (w - w^*),

with ``H`` (n, n) symmetric positive definite (the Hessian). Adding the L2
penalty :math:`\tfrac{\alpha}{2}\lVert w\rVert^2` gives the regularized loss

.. math::

    \tilde J(w) = J_{\text{data}}(w) + \tfrac{\alpha}{2}\lVert w\rVert^2, \qquad
    \nabla\tilde J(w) = H(w - w^*) + \alpha w,

whose minimum is

.. math::

    \tilde w = (H + \alpha I)^{-1} H w^* = Q\,\mathrm{diag}\Big(\frac{h_i}{h_i + \alpha}\Big) Q^\top w^*,

where :math:`H = Q\,\mathrm{diag}(h_i)\,Q^\top`. Along each eigenvector of
``H`` the optimum is shrunk by :math:`h_i/(h_i+\alpha)`: the flatter the data
loss in a direction (small :math:`h_i`), the more that direction shrinks.

In the book's convention the data term is a mean and the penalty
:math:`\frac{\lambda}{2m}\lVert W\rVert_F^2`, so :math:`\alpha = \lambda/m`.

Every function is vectorized: points ``w`` have shape ``(..., n)`` and
``alpha`` may be a float or an array, so a whole λ grid is one call.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validate import check_int, check_positive, check_real, check_X

__all__ = ["Quadratic", "Shrinkage", "GradientParts", "make_quadratic", "least_squares_quadratic",
           "contour_levels", "data_loss", "data_grad", "regularized_loss", "gradient_field", "eigen_shrinkage",
           "regularized_optimum", "descend", "plot_compromise"]


class Quadratic(NamedTuple):
    r"""A quadratic data loss :math:`f^* + \tfrac12 (w-w^*)^\top H (w-w^*)`."""
    H: np.ndarray        #: (n, n) symmetric positive definite Hessian.
    w_star: np.ndarray   #: (n,) unregularized optimum.
    f_star: float = 0.0  #: Data loss at ``w_star``.


class Shrinkage(NamedTuple):
    """Eigen-decomposition of ``H`` and the shrink factor of each eigen-direction."""
    curvatures: np.ndarray  #: (n,) eigenvalues :math:`h_i` of ``H``, ascending.
    directions: np.ndarray  #: (n, n) orthonormal eigenvectors of ``H``, one per column.
    factors: np.ndarray     #: ``alpha.shape + (n,)``: the shrink factors :math:`h_i/(h_i+\alpha)`.


class GradientParts(NamedTuple):
    r"""The regularized gradient split into its two terms, each of shape ``(..., n)``."""
    data: np.ndarray     #: The data term :math:`H(w - w^*)`.
    penalty: np.ndarray  #: The penalty term :math:`\alpha w`.
    total: np.ndarray    #: Their sum, the gradient of the regularized loss.


# ----------------------------------------------------------------- validation
def _check_q(q: Quadratic) -> tuple[np.ndarray, np.ndarray, float]:
    if not isinstance(q, Quadratic):
        raise TypeError(f"The 'q' parameter must be a Quadratic (H, w_star, f_star). "
                        f"Got {type(q).__name__} instead.")
    H = np.asarray(q.H, dtype=float)
    w_star = np.asarray(q.w_star, dtype=float)
    n = w_star.shape[0] if w_star.ndim == 1 else -1
    if w_star.ndim != 1 or n < 1 or H.shape != (n, n):
        raise ValueError(f"The 'q' parameter must hold H of shape (n, n) and w_star of shape (n,). "
                         f"Got H {H.shape} and w_star {w_star.shape} instead.")
    if not (np.all(np.isfinite(H)) and np.all(np.isfinite(w_star))):
        raise ValueError("The 'q' parameter must hold finite H and w_star. Got NaN or inf instead.")
    if not np.allclose(H, H.T, rtol=1e-10, atol=1e-12 * max(1.0, float(np.abs(H).max()))):
        raise ValueError("The 'q' parameter must hold a symmetric H. Got a non-symmetric matrix instead.")
    h_min = float(np.linalg.eigvalsh(H)[0])
    if not h_min > 0:
        raise ValueError(f"The 'q' parameter must hold a positive definite H (every eigenvalue > 0). "
                         f"Got a smallest eigenvalue of {h_min:.3g} instead.")
    return H, w_star, check_real("f_star", q.f_star)


def _check_alpha(alpha, name: str = "alpha") -> np.ndarray:
    """α as a float array of any shape, every entry finite and ≥ 0."""
    what = "a float or an array of floats in the range [0, inf)"
    if isinstance(alpha, bool):
        raise TypeError(f"The {name!r} parameter must be {what}. Got {alpha!r} instead.")
    try:
        a = np.asarray(alpha, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"The {name!r} parameter must be {what}. Got {alpha!r} instead.") from None
    bad = ~np.isfinite(a) | (a < 0)
    if bad.any():
        raise ValueError(f"The {name!r} parameter must be {what}. Got {float(a[bad].flat[0])!r} instead.")
    return a


def _check_w(w, n: int, name: str = "w") -> np.ndarray:
    w = np.asarray(w, dtype=float)
    if w.ndim == 0 or w.shape[-1] != n:
        raise ValueError(f"The {name!r} parameter must be an array of shape (..., {n}) (one point per row). "
                         f"Got an array of shape {w.shape} instead.")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"The {name!r} parameter must hold finite values. Got NaN or inf instead.")
    return w


# ------------------------------------------------------------------ problems
def make_quadratic(curvatures, angle: float = 0.0, w_star=(1.0, 1.0), f_star: float = 0.0) -> Quadratic:
    r"""A two-parameter quadratic whose Hessian has the given eigenvalues.

    :math:`H = R(\theta)\,\mathrm{diag}(h_1, h_2)\,R(\theta)^\top`, with
    :math:`R(\theta)` the rotation by ``angle`` θ (radians): the first
    eigenvector is :math:`(\cos\theta, \sin\theta)`.

    Parameters
    ----------
    curvatures : tuple of float
        The two eigenvalues ``(h_1, h_2)``, both positive.
    angle : float
        Rotation of the eigenvectors, in radians.
    w_star : tuple of float
        The unregularized optimum, shape (2,).
    f_star : float
        The loss at ``w_star``.

    Examples
    --------
    >>> q = make_quadratic((2.0, 0.5), w_star=(1.0, 1.0))
    >>> q.H.tolist()
    [[2.0, 0.0], [0.0, 0.5]]
    """
    h = np.asarray(curvatures, dtype=float)
    if h.shape != (2,) or not np.all(np.isfinite(h)) or not np.all(h > 0):
        raise ValueError(f"The 'curvatures' parameter must be two floats in the range (0, inf). "
                         f"Got {curvatures!r} instead.")
    theta = check_real("angle", angle)
    w = _check_w(w_star, 2, "w_star")
    if w.shape != (2,):
        raise ValueError(f"The 'w_star' parameter must be an array of shape (2,). Got shape {w.shape} instead.")
    c, s = np.cos(theta), np.sin(theta)
    R = np.array([[c, -s], [s, c]])
    H = R @ np.diag(h) @ R.T
    return Quadratic(0.5 * (H + H.T), w.copy(), check_real("f_star", f_star))


def least_squares_quadratic(X, y, center: bool = True) -> Quadratic:
    r"""The data term of linear regression, :math:`\frac1m\sum_i \tfrac12(x_i^\top w + b - y_i)^2`, as a quadratic in ``w``.

    With ``center=True`` the unpenalized bias is minimized out: for any ``w``
    the best bias is :math:`b = \bar y - \bar x^\top w`, which leaves a
    quadratic in ``w`` alone with

    .. math::  H = \tfrac1m X_c^\top X_c, \qquad w^* = H^{-1}\tfrac1m X_c^\top y_c,

    where :math:`X_c, y_c` are centered. ``center=False`` assumes no bias.
    Adding :math:`\frac{\lambda}{2m}\lVert w\rVert^2` (``alpha = lam / m``)
    gives ridge regression, :math:`\tilde w = (X_c^\top X_c + \lambda I)^{-1}X_c^\top y_c`.

    Parameters
    ----------
    X : array
        Inputs, shape (m, n), one example per row.
    y : array
        Real targets, shape (m,).
    center : bool
        Minimize out an unpenalized bias (``True``), or fit without a bias.

    Examples
    --------
    >>> q = least_squares_quadratic([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0])
    >>> round(float(q.w_star[0]), 12), round(q.f_star, 12)
    (2.0, 0.0)
    """
    X = check_X(X)
    y = np.asarray(y, dtype=float).reshape(-1)
    m = X.shape[0]
    if y.shape != (m,) or not np.all(np.isfinite(y)):
        raise ValueError(f"The 'y' parameter must hold one finite target per row of X (m = {m}). "
                         f"Got an array of shape {np.shape(y)} instead.")
    if center:
        X = X - X.mean(axis=0)
        y = y - y.mean()
    H = X.T @ X / m
    if np.linalg.matrix_rank(H) < H.shape[0]:
        raise ValueError("The 'X' parameter must have linearly independent columns (after centering), so "
                         "that the data loss has a unique minimum. Got a rank-deficient X instead.")
    w_star = np.linalg.solve(H, X.T @ y / m)
    r = X @ w_star - y
    return Quadratic(0.5 * (H + H.T), w_star, float(0.5 * np.mean(r * r)))


# -------------------------------------------------------- losses, gradients
def data_loss(q: Quadratic, w) -> np.ndarray:
    r""":math:`f^* + \tfrac12 (w-w^*)^\top H (w-w^*)` for points ``w`` of shape (..., n); returns shape (...)."""
    H, w_star, f_star = _check_q(q)
    d = _check_w(w, w_star.size) - w_star
    return f_star + 0.5 * np.einsum("...i,ij,...j->...", d, H, d)


def data_grad(q: Quadratic, w) -> np.ndarray:
    r""":math:`\nabla J_{\text{data}}(w) = H(w - w^*)`, shape (..., n)."""
    H, w_star, _ = _check_q(q)
    return (_check_w(w, w_star.size) - w_star) @ H   # H symmetric: (w-w*) H = (H (w-w*))^T


def regularized_loss(q: Quadratic, w, alpha) -> np.ndarray:
    r""":math:`J_{\text{data}}(w) + \tfrac{\alpha}{2}\lVert w\rVert^2`.

    ``w`` has shape (..., n); ``alpha`` a float or an array broadcastable
    against ``w.shape[:-1]``. Returns the broadcast shape.

    >>> q = make_quadratic((2.0, 0.5), w_star=(1.0, 1.0))
    >>> float(regularized_loss(q, [0.0, 0.0], 1.0))
    1.25
    """
    w = _check_w(w, _check_q(q)[1].size)
    return data_loss(q, w) + 0.5 * _check_alpha(alpha) * np.sum(w * w, axis=-1)


def gradient_field(q: Quadratic, w, alpha) -> GradientParts:
    r"""The gradient of the regularized loss, :math:`H(w-w^*) + \alpha w`, and its two parts.

    ``w`` has shape (..., n), ``alpha`` broadcasts against ``w.shape[:-1]``:
    e.g. a grid of shape (P, Q, n) and ``alphas[:, None, None]`` of shape
    (k, 1, 1) give fields of shape (k, P, Q, n), one per α.
    """
    H, w_star, _ = _check_q(q)
    w = _check_w(w, w_star.size)
    a = _check_alpha(alpha)
    g_data = data_grad(q, w)
    g_pen = a[..., None] * w
    g_data = np.broadcast_to(g_data, np.broadcast_shapes(g_data.shape, g_pen.shape))
    return GradientParts(g_data, g_pen, g_data + g_pen)


# ---------------------------------------------------------- the optimum
def eigen_shrinkage(q: Quadratic, alpha) -> Shrinkage:
    r"""Eigenvalues :math:`h_i` and eigenvectors of ``H`` and the factors :math:`h_i/(h_i+\alpha)`.

    ``factors`` has shape ``alpha.shape + (n,)``; column ``i`` belongs to
    ``directions[:, i]``. Every factor lies in (0, 1], equals 1 at α = 0 and
    is smallest for the smallest curvature.

    >>> s = eigen_shrinkage(make_quadratic((2.0, 0.5)), 0.5)
    >>> s.curvatures.tolist(), s.factors.tolist()
    ([0.5, 2.0], [0.5, 0.8])
    """
    H, _, _ = _check_q(q)
    a = _check_alpha(alpha)
    h, Q = np.linalg.eigh(H)
    return Shrinkage(h, Q, h / (h + a[..., None]))


def regularized_optimum(q: Quadratic, alpha) -> np.ndarray:
    r"""The minimizer :math:`\tilde w = (H + \alpha I)^{-1} H w^*` for every α at once.

    Solved as a batch of linear systems (not through the eigenvectors, so it
    can check :func:`eigen_shrinkage`). ``alpha`` a float gives shape (n,);
    an array of shape S gives S + (n,) — the path of the optimum over a λ grid.

    >>> q = make_quadratic((2.0, 0.5), w_star=(1.0, 1.0))
    >>> regularized_optimum(q, 0.5).round(12).tolist()
    [0.8, 0.5]
    """
    H, w_star, _ = _check_q(q)
    a = _check_alpha(alpha)
    n = w_star.size
    A = H + a[..., None, None] * np.eye(n)                       # shape S + (n, n)
    rhs = np.broadcast_to(H @ w_star, a.shape + (n,))[..., None]  # shape S + (n, 1)
    return np.linalg.solve(A, rhs)[..., 0]


def descend(q: Quadratic, alpha, w0, lr: float, steps: int) -> np.ndarray:
    r"""Gradient descent on the regularized loss, for every α at once.

    :math:`w_{t+1} = w_t - \eta\,\big(H(w_t - w^*) + \alpha w_t\big)`, from ``w0``
    (shape (n,) or broadcastable to ``alpha.shape + (n,)``).
    Returns the trajectory, shape ``(steps + 1,) + alpha.shape + (n,)``.
    The step size must satisfy :math:`\eta\,(h_{\max} + \alpha) < 2`, else
    the iteration diverges and a ValueError says so.
    """
    H, w_star, _ = _check_q(q)
    a = _check_alpha(alpha)
    lr = check_positive("lr", lr)
    steps = check_int("steps", steps, 0)
    bound = 2.0 / (float(np.linalg.eigvalsh(H)[-1]) + float(a.max(initial=0.0)))
    if lr >= bound:
        raise ValueError(f"The 'lr' parameter must be a float in the range (0, {bound:.4g}) for this H and "
                         f"alpha (lr * (h_max + alpha) < 2). Got {lr!r} instead.")
    w = np.broadcast_to(_check_w(w0, w_star.size, "w0"), a.shape + (w_star.size,)).copy()
    out = [w.copy()]
    for _ in range(steps):
        w = w - lr * ((w - w_star) @ H + a[..., None] * w)
        out.append(w)
    return np.stack(out)


# ------------------------------------------------------------------- figures
def contour_levels(F, f_star: float, levels: int) -> np.ndarray:
    """Data-loss levels for the ellipses of a figure: ``levels`` values from just above the minimum to
    the 60 % quantile of ``F``, spaced quadratically so the inner ellipses are not crowded out."""
    top = np.quantile(F, 0.6) - f_star
    return f_star + top * np.linspace(0.05, 1, levels) ** 2


def plot_compromise(q: Quadratic, w_tilde, grid, path=None, ax=None, levels: int = 7):
    r"""The compromise picture for one α, drawn from precomputed results.

    Draws the data-loss contours (ellipses around :math:`w^*`), the penalty
    circle :math:`\lVert w\rVert = \lVert\tilde w\rVert`, the data-loss contour
    through :math:`\tilde w` (it touches the circle there), the path of the
    optimum if given, and the two optima.

    Parameters
    ----------
    q : Quadratic
        The quadratic, with two parameters.
    w_tilde : array
        The regularized optimum to mark, shape (2,).
    grid : tuple
        ``(xx, yy, F)``: a meshgrid and the data loss on it (each of the shape of ``xx``).
    path : array, optional
        The optimum over a grid of α, shape (k, 2).
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

    H, w_star, f_star = _check_q(q)
    w_tilde = _check_w(w_tilde, 2, "w_tilde")
    ax = ax or plt.gca()
    xx, yy, F = grid
    ax.contour(xx, yy, F, levels=contour_levels(F, f_star, levels), colors="0.6", linewidths=0.8)
    if path is not None:
        path = np.asarray(path, float)
        ax.plot(path[:, 0], path[:, 1], color=OKABE_ITO[4], lw=1.6, label="path of w̃ as λ grows")
    r = float(np.hypot(*w_tilde))
    ax.add_patch(plt.Circle((0, 0), r, fill=False, ls="--", color=OKABE_ITO[5], lw=1.4,
                            label="penalty circle through w̃"))
    level = float(data_loss(q, w_tilde))
    if level > f_star + 1e-12 * max(1.0, abs(f_star)):
        ax.contour(xx, yy, F, levels=[level], colors=OKABE_ITO[2], linewidths=1.6)
    ax.plot(*w_star, marker="*", ms=13, color="black", ls="none", label="w* (data only)", zorder=4)
    ax.plot(*w_tilde, marker="o", ms=7, color=OKABE_ITO[5], mec="white", ls="none", label="w̃ (regularized)",
            zorder=5)
    ax.plot(0, 0, marker="+", ms=10, color="black", ls="none")
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    ax.set_aspect("equal")
    ax.set_xlabel("w₁")      # plain text, not mathtext: frames of a slider render faster
    ax.set_ylabel("w₂")
    return ax
