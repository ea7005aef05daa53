"""Tests for l2lib.quadratic: hand-worked answers, independent computations, properties, bad input."""
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

import l2lib as L
from l2lib import quadratic as Q


@pytest.fixture
def rotated():
    """Curvatures 3 and 0.2, eigenvectors at 30 degrees, optimum away from both axes."""
    return Q.make_quadratic((3.0, 0.2), angle=np.pi / 6, w_star=(1.5, -0.5), f_star=0.25)


@pytest.fixture
def regression():
    """Two correlated features, a bias, noisy targets: a real least-squares problem."""
    rng = np.random.default_rng(7)
    m = 30
    x1 = rng.normal(size=m)
    X = np.c_[x1, 0.8 * x1 + 0.6 * rng.normal(size=m)] + np.array([1.0, -2.0])
    y = 1.5 * X[:, 0] - 0.7 * X[:, 1] + 0.3 + 0.4 * rng.normal(size=m)
    return X, y


# ------------------------------------------------------------ construction
def test_make_quadratic_hand_worked():
    # angle 90 degrees swaps the axes: the curvature 2 now acts along w_2
    q = Q.make_quadratic((2.0, 0.5), angle=np.pi / 2, w_star=(1.0, -1.0))
    np.testing.assert_allclose(q.H, [[0.5, 0.0], [0.0, 2.0]], atol=1e-15)
    # at 45 degrees: H = 1.25 I + 0.75 [[0, 1], [1, 0]]
    q45 = Q.make_quadratic((2.0, 0.5), angle=np.pi / 4)
    np.testing.assert_allclose(q45.H, [[1.25, 0.75], [0.75, 1.25]], atol=1e-15)


def test_least_squares_quadratic_matches_lstsq(regression):
    X, y = regression
    q = Q.least_squares_quadratic(X, y)
    # independent: numpy's least squares on [X, 1]
    coef, *_ = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)
    np.testing.assert_allclose(q.w_star, coef[:2], rtol=1e-10)
    r = np.c_[X, np.ones(len(X))] @ coef - y
    assert q.f_star == pytest.approx(0.5 * np.mean(r ** 2), rel=1e-10)


def test_least_squares_data_loss_is_the_profiled_regression_loss(regression):
    # J_data(w) must equal min_b (1/m) sum 1/2 (x w + b - y)^2 for any w
    X, y = regression
    q = Q.least_squares_quadratic(X, y)
    rng = np.random.default_rng(0)
    for w in rng.normal(size=(5, 2)):
        b = y.mean() - X.mean(axis=0) @ w
        direct = 0.5 * np.mean((X @ w + b - y) ** 2)
        assert float(Q.data_loss(q, w)) == pytest.approx(direct, rel=1e-12)


def test_least_squares_without_centering_is_origin_regression():
    X = np.array([[1.0], [2.0], [3.0]])
    y = np.array([2.0, 4.0, 7.0])
    q = Q.least_squares_quadratic(X, y, center=False)
    # w* = sum(x y) / sum(x^2) = 31 / 14
    assert q.w_star[0] == pytest.approx(31 / 14)
    assert q.H[0, 0] == pytest.approx(14 / 3)


# ----------------------------------------------------- loss and gradients
def test_data_loss_hand_worked():
    q = Q.make_quadratic((2.0, 0.5), w_star=(1.0, 1.0), f_star=0.5)
    # 0.5 + 0.5 * (2 * 1^2 + 0.5 * 2^2) = 2.5
    assert float(Q.data_loss(q, [0.0, -1.0])) == pytest.approx(2.5)
    assert float(Q.data_loss(q, [1.0, 1.0])) == pytest.approx(0.5)


def test_gradients_match_finite_differences(rotated):
    rng = np.random.default_rng(1)
    for w in rng.normal(size=(4, 2)):
        for alpha in (0.0, 0.7):
            g_num = L.numerical_gradient(lambda v: float(Q.regularized_loss(rotated, v, alpha)), w)
            parts = Q.gradient_field(rotated, w, alpha)
            np.testing.assert_allclose(parts.total, g_num, rtol=1e-7, atol=1e-9)
            np.testing.assert_allclose(parts.penalty, alpha * w)
            np.testing.assert_allclose(parts.data + parts.penalty, parts.total)


def test_gradient_field_vectorizes_over_grid_and_alpha(rotated):
    xx, yy = np.meshgrid(np.linspace(-1, 2, 4), np.linspace(-1, 1, 3))
    pts = np.stack([xx, yy], axis=-1)                 # (3, 4, 2)
    alphas = np.array([0.0, 0.5, 2.0])
    G = Q.gradient_field(rotated, pts, alphas[:, None, None])
    assert G.total.shape == (3, 3, 4, 2)
    for k, a in enumerate(alphas):
        for i in range(3):
            for j in range(4):
                w = pts[i, j]
                expected = rotated.H @ (w - rotated.w_star) + a * w
                np.testing.assert_allclose(G.total[k, i, j], expected, atol=1e-14)


def test_regularized_loss_broadcasts(rotated):
    w = np.array([[0.0, 0.0], [1.0, 2.0]])
    out = Q.regularized_loss(rotated, w, np.array([[0.0], [1.0]]))
    assert out.shape == (2, 2)
    assert out[1, 1] == pytest.approx(float(Q.data_loss(rotated, w[1])) + 0.5 * 5.0)


# --------------------------------------------------------------- optimum
def test_regularized_optimum_diagonal_hand_worked():
    q = Q.make_quadratic((4.0, 1.0), w_star=(2.0, 3.0))
    # alpha = 1: component i scales by h_i / (h_i + 1): 4/5 and 1/2
    np.testing.assert_allclose(Q.regularized_optimum(q, 1.0), [1.6, 1.5])


def test_regularized_optimum_zeroes_the_regularized_gradient(rotated):
    for alpha in (0.0, 0.05, 1.0, 40.0):
        w = Q.regularized_optimum(rotated, alpha)
        # independent gradient, written out here
        g = rotated.H @ (w - rotated.w_star) + alpha * w
        assert np.linalg.norm(g) < 1e-12


def test_regularized_optimum_matches_gradient_descent_in_test(rotated):
    alpha, w, lr = 0.3, np.zeros(2), 0.25
    for _ in range(4000):   # plain loop, independent of Q.descend
        w = w - lr * (rotated.H @ (w - rotated.w_star) + alpha * w)
    np.testing.assert_allclose(Q.regularized_optimum(rotated, alpha), w, atol=1e-12)


def test_ridge_closed_form_matches_l2lib_network_training(regression):
    # a [2, 1] identity-output network trained by l2lib minimizes
    # (1/m) sum 1/2 (XW + b - y)^2 + lam/(2m) ||W||^2: alpha = lam / m
    X, y = regression
    X = X - X.mean(axis=0)          # decouple the bias so few epochs suffice
    m = len(X)
    q = Q.least_squares_quadratic(X, y)
    for lam in (0.0, 5.0, 60.0):
        p, _ = L.train(L.init_params([2, 1], rng=3), X, y, lam=lam, lr=0.5, epochs=500,
                       output="identity", record_every=500)
        np.testing.assert_allclose(p[0][0][:, 0], Q.regularized_optimum(q, lam / m), atol=1e-9)
        # and the ridge formula (X^T X + lam I)^{-1} X^T y
        ridge = np.linalg.solve(X.T @ X + lam * np.eye(2), X.T @ (y - y.mean()))
        np.testing.assert_allclose(Q.regularized_optimum(q, lam / m), ridge, rtol=1e-10)


def test_eigen_shrinkage_reconstructs_optimum(rotated):
    alphas = np.array([0.0, 0.1, 1.0, 10.0])
    s = Q.eigen_shrinkage(rotated, alphas)
    assert s.factors.shape == (4, 2)
    recon = np.einsum("ij,kj,lj,l->ki", s.directions, s.factors, s.directions, rotated.w_star)
    np.testing.assert_allclose(recon, Q.regularized_optimum(rotated, alphas), atol=1e-13)
    np.testing.assert_allclose(s.curvatures, [0.2, 3.0])
    # first eigenvector of make_quadratic is (cos 30, sin 30) for curvature 3
    assert abs(s.directions[:, 1] @ [np.cos(np.pi / 6), np.sin(np.pi / 6)]) == pytest.approx(1.0)


def test_shrinkage_properties(rotated):
    alphas = np.r_[0.0, np.logspace(-3, 3, 25)]
    f = Q.eigen_shrinkage(rotated, alphas).factors
    assert np.all(f[0] == 1.0)                       # alpha = 0: no shrinkage
    assert np.all((f > 0) & (f <= 1))
    assert np.all(np.diff(f, axis=0) < 0)            # more alpha, more shrinkage
    assert np.all(f[1:, 0] < f[1:, 1])               # the flat direction shrinks most


def test_optimum_path_properties(rotated):
    alphas = np.r_[0.0, np.logspace(-3, 4, 30)]
    path = Q.regularized_optimum(rotated, alphas)
    assert path.shape == (31, 2)
    np.testing.assert_allclose(path[0], rotated.w_star, atol=1e-14)
    norms = np.linalg.norm(path, axis=1)
    assert np.all(np.diff(norms) < 0)                # the norm falls monotonically
    assert norms[-1] < 1e-3 * norms[0]               # and tends to 0
    # data loss rises along the path (the price of the smaller norm)
    assert np.all(np.diff(Q.data_loss(rotated, path)) > 0)


def test_a_single_weight_can_grow_along_the_path():
    # w* near the stiff direction's orthogonal: the flat component is removed first,
    # which can *increase* one coordinate even though the norm falls
    q = Q.make_quadratic((2.0, 0.05), angle=np.pi / 4, w_star=(2.0, 0.5))
    path = Q.regularized_optimum(q, np.array([0.0, 0.05]))
    assert path[1, 1] > path[0, 1]
    assert np.linalg.norm(path[1]) < np.linalg.norm(path[0])


# ------------------------------------------------------------- descend
def test_descend_one_step_hand_worked():
    q = Q.make_quadratic((2.0, 0.5), w_star=(1.0, 1.0))
    traj = Q.descend(q, 1.0, [1.0, 1.0], lr=0.1, steps=1)
    # gradient at w* is alpha * w* = (1, 1): one step to (0.9, 0.9)
    np.testing.assert_allclose(traj, [[1.0, 1.0], [0.9, 0.9]])


def test_descend_converges_for_every_alpha(rotated):
    alphas = np.array([0.0, 0.5, 5.0])
    traj = Q.descend(rotated, alphas, np.zeros(2), lr=0.2, steps=1500)
    assert traj.shape == (1501, 3, 2)
    np.testing.assert_allclose(traj[-1], Q.regularized_optimum(rotated, alphas), atol=1e-10)


def test_descend_rejects_unstable_step(rotated):
    with pytest.raises(ValueError, match=r"The 'lr' parameter must be a float in the range \(0, 0\.5\)"):
        Q.descend(rotated, 1.0, np.zeros(2), lr=0.5, steps=3)   # 2 / (3 + 1) = 0.5


# ------------------------------------------------------------- figure
def test_plot_compromise_draws_and_returns_axes(rotated):
    xx, yy = np.meshgrid(np.linspace(-1, 2, 30), np.linspace(-1.5, 1.5, 30))
    F = Q.data_loss(rotated, np.stack([xx, yy], -1))
    path = Q.regularized_optimum(rotated, np.logspace(-2, 2, 9))
    fig, ax = plt.subplots()
    out = Q.plot_compromise(rotated, path[3], (xx, yy, F), path=path, ax=ax)
    assert out is ax
    circle = [p for p in ax.patches if isinstance(p, matplotlib.patches.Circle)][0]
    assert circle.get_radius() == pytest.approx(np.linalg.norm(path[3]))
    labels = [h.get_label() for h in ax.get_legend_handles_labels()[0]]
    assert any(s.startswith("w*") for s in labels) and any(s.startswith("w̃") for s in labels)
    assert ax.get_xlabel() == "w₁" and ax.get_ylabel() == "w₂"
    plt.close(fig)


# ------------------------------------------------------------- bad input
def test_bad_inputs(rotated):
    with pytest.raises(ValueError, match=r"The 'alpha' parameter must be a float or an array of floats in the "
                                         r"range \[0, inf\)\. Got -1\.0 instead\."):
        Q.regularized_optimum(rotated, -1.0)
    with pytest.raises(ValueError, match="'alpha'.*nan"):
        Q.eigen_shrinkage(rotated, [0.1, np.nan])
    with pytest.raises(TypeError, match="'alpha'"):
        Q.regularized_optimum(rotated, True)
    with pytest.raises(TypeError, match="'alpha'"):
        Q.regularized_optimum(rotated, "big")
    with pytest.raises(ValueError, match=r"'w' parameter must be an array of shape \(\.\.\., 2\)"):
        Q.data_loss(rotated, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="'w' parameter must hold finite"):
        Q.data_grad(rotated, [1.0, np.inf])
    with pytest.raises(TypeError, match="'q' parameter must be a Quadratic"):
        Q.data_loss((rotated.H, rotated.w_star), [0.0, 0.0])
    with pytest.raises(ValueError, match="positive definite"):
        Q.regularized_optimum(Q.Quadratic(np.diag([1.0, 0.0]), np.zeros(2)), 0.0)
    with pytest.raises(ValueError, match="symmetric"):
        Q.data_loss(Q.Quadratic(np.array([[1.0, 0.5], [0.0, 1.0]]), np.zeros(2)), [0.0, 0.0])
    with pytest.raises(ValueError, match="shape"):
        Q.data_loss(Q.Quadratic(np.eye(3), np.zeros(2)), [0.0, 0.0])
    with pytest.raises(ValueError, match=r"The 'curvatures' parameter must be two floats in the range \(0, inf\)"):
        Q.make_quadratic((1.0, -2.0))
    with pytest.raises(ValueError, match="'curvatures'"):
        Q.make_quadratic((1.0, 2.0, 3.0))
    with pytest.raises(TypeError, match="'angle'"):
        Q.make_quadratic((1.0, 2.0), angle="north")
    with pytest.raises(ValueError, match="'w_star'"):
        Q.make_quadratic((1.0, 2.0), w_star=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="linearly independent"):
        Q.least_squares_quadratic([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="'y' parameter must hold one finite target per row"):
        Q.least_squares_quadratic([[1.0], [2.0]], [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="'steps'"):
        Q.descend(rotated, 0.1, [0.0, 0.0], lr=0.1, steps=2.5)
    with pytest.raises(ValueError, match="'lr'"):
        Q.descend(rotated, 0.1, [0.0, 0.0], lr=-0.1, steps=2)
    with pytest.raises(ValueError, match="'w0'"):
        Q.descend(rotated, 0.1, [0.0], lr=0.1, steps=2)


def test_lazy_import_through_package():
    assert L.quadratic.regularized_optimum is Q.regularized_optimum
