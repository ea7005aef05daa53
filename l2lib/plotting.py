"""Plot helpers: each takes ``ax=None`` and returns the axes; no global style changes.

Colours are the Okabe–Ito palette (colour-blind safe).
"""
from __future__ import annotations

import numpy as np

from .network import predict_proba

__all__ = ["OKABE_ITO", "CLASS_COLORS", "CLASS_MARKERS", "figure", "grid_2d", "plot_data", "plot_boundary"]

#: The eight Okabe–Ito colours (orange, sky blue, bluish green, yellow, blue, vermillion, reddish
#: purple, black), distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")
#: Colour of class 0, 1 and 2 in :func:`plot_data` (Okabe–Ito blue, vermillion, bluish green).
CLASS_COLORS = ("#0072B2", "#D55E00", "#009E73")
#: Marker of class 0, 1 and 2 in :func:`plot_data`, so classes differ without colour too.
CLASS_MARKERS = ("o", "s", "^")


def figure(ncols: int = 1, nrows: int = 1, width: float = 4.2, height: float = 3.6):
    """A white, constrained-layout figure of ``nrows × ncols`` panels: ``(fig, axes)``."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), layout="constrained",
                             facecolor="white", squeeze=False)
    return fig, (axes[0, 0] if axes.size == 1 else axes.ravel())


def grid_2d(X, pad: float = 0.5, n: int = 80):
    """A regular grid covering the 2-D points ``X``: ``(xx, yy, points)`` with points of shape (n*n, 2).

    80 × 80 points draw a smooth boundary (contours interpolate between points) while keeping a
    figure's SVG small: its contours have about half the vertices of a 150 × 150 grid's."""
    X = np.asarray(X, float)
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))
    return xx, yy, np.c_[xx.ravel(), yy.ravel()]


def plot_data(X, y, ax=None, edge: bool = True):
    """Scatter 2-D points by class, with colour *and* marker so classes differ without colour."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    y = np.asarray(y).reshape(-1)
    for k in np.unique(y):
        sel = y == k
        ax.scatter(X[sel, 0], X[sel, 1], s=28, c=CLASS_COLORS[int(k) % 3], marker=CLASS_MARKERS[int(k) % 3],
                   edgecolors="white" if edge else "none", linewidths=0.6, label=f"class {int(k)}", zorder=3)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def plot_boundary(params, X, y, ax=None, hidden: str | None = None, output: str | None = None,
                  grid=None, title: str | None = None):
    """Decision regions of a 2-D binary classifier (a :class:`~l2lib.network.Net` or params), the 0.5
    contour, and the data. The regions are five bands of the predicted probability (0–0.2, …,
    0.8–1), which keeps a slider's SVG frames small."""
    import matplotlib.pyplot as plt

    ax = ax or plt.gca()
    xx, yy, pts = grid if grid is not None else grid_2d(X)
    p = predict_proba(params, pts, hidden, output)[:, 0].reshape(xx.shape)
    ax.contourf(xx, yy, p, levels=np.linspace(0, 1, 6), cmap="RdBu_r", alpha=0.35, vmin=0, vmax=1)
    ax.contour(xx, yy, p, levels=[0.5], colors="black", linewidths=1.6)
    plot_data(X, y, ax)
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    if title:
        ax.set_title(title)
    return ax
