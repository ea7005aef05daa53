"""Tests for l2lib.sparsity: L1 against L2 on the quadratic model and on logistic regression.

Expected values come from hand work or from computations written here, independent of the
module: enumeration of the sign/zero patterns in 2-D, coordinate descent and brute-force grid
refinement, a plain FISTA loop and numpy's own logistic gradient.
"""
import itertools
import time

import matplotlib.pyplot as plt
import numpy as np
import pytest

import l2lib as L
from l2lib import quadratic as Q
from l2lib import sparsity as S


# ------------------------------------------------------------------ independent references
def enumerate_2d(H, w_star, alphas):
    """The L1 optimum in 2-D for each alpha, by trying all 9 sign/zero patterns.

    For each pattern s (each weight -, 0 or +) solve the optimality equations on the non-zero
    weights, H_AA w_A = (H w*)_A - alpha s_A, and keep the solution if its signs are s and the
    zero weights satisfy |g_j| <= alpha. Returns (len(alphas), 2) and how many distinct patterns
    qualified for each alpha (several only where patterns meet, with the same point).
    """
    alphas = np.asarray(alphas, float)
    c = H @ w_star
    best = np.full((alphas.size, 2), np.nan)
    count = np.zeros(alphas.size, int)
    for pattern in itertools.product((-1, 0, 1), repeat=2):
        s = np.array(pattern, float)
        A = s != 0
        w = np.zeros((alphas.size, 2))
        if A.all():
            w = (c[None, :] - alphas[:, None] * s) @ np.linalg.inv(H).T
        elif A.any():
            j = int(np.flatnonzero(A)[0])
            w[:, j] = (c[j] - alphas * s[j]) / H[j, j]
        g = w @ H.T - c                                            # gradient of the data term
        ok = np.all(np.sign(w[:, A]) == s[A], axis=1)
        ok &= np.all(np.abs(g[:, ~A]) <= alphas[:, None] * (1 + 1e-12) + 1e-14, axis=1)
        best[ok & (count == 0)] = w[ok & (count == 0)]
        count += ok
    return best, count


def coordinate_descent(H, w_star, alpha, sweeps=5000):
    """Cyclic coordinate descent on 1/2 (w-w*)'H(w-w*) + alpha |w|_1, each coordinate minimized exactly."""
    c = H @ w_star
    w = np.zeros(len(w_star))
    for _ in range(sweeps):
        old = w.copy()
        for j in range(len(w)):
            r = c[j] - H[j] @ w + H[j, j] * w[j]
            w[j] = np.sign(r) * max(abs(r) - alpha, 0.0) / H[j, j]
        if np.abs(w - old).max() < 1e-16:
            break
    return w


def objective(H, w_star, w, alpha):
    d = w - w_star
    return 0.5 * np.einsum("...i,ij,...j->...", d, H, d) + alpha * np.abs(w).sum(axis=-1)


def grid_refine(H, w_star, alpha, rounds=40):
    """Brute force: the best point of a 41 x 41 grid, re-centred and shrunk 4 times per round."""
    centre, half = np.zeros(2), 2.0 * np.abs(w_star).max() + 1.0
    for _ in range(rounds):
        t = np.linspace(-half, half, 41)
        pts = centre + np.stack(np.meshgrid(t, t, indexing="ij"), axis=-1).reshape(-1, 2)
        centre = pts[np.argmin(objective(H, w_star, pts, alpha))]
        half /= 4
    return centre


@pytest.fixture
def rotated():
    return Q.make_quadratic((3.0, 0.4), angle=0.6, w_star=(1.2, -0.5))


def random_quadratics(k, seed=0):
    rng = np.random.default_rng(seed)
    return [Q.make_quadratic(rng.uniform(0.05, 5.0, 2), angle=rng.uniform(0, np.pi), w_star=rng.normal(0, 2, 2))
            for _ in range(k)]


# ------------------------------------------------------------------ the step and the penalty
def test_soft_threshold_hand_worked_and_exact_zeros():
    out = S.soft_threshold([-3.0, -1.0, -0.25, 0.0, 0.5, 4.0], 1.0)
    np.testing.assert_array_equal(out, [-2.0, 0.0, 0.0, 0.0, 0.0, 3.0])
    assert not np.signbit(out[1:5]).any()            # zeros are +0.0, never printed as -0.0
    np.testing.assert_array_equal(S.soft_threshold([2.0, 2.0], [1.0, 3.0]), [1.0, 0.0])   # broadcasts


def test_soft_threshold_is_the_proximal_step():
    # the minimizer of 1/2 (w - z)^2 + t|w| on a fine grid (spacing 1e-5) is within one grid step
    w = np.linspace(-5, 5, 1_000_001)
    for z, t in [(2.3, 0.7), (-1.1, 0.4), (0.3, 0.5), (-0.2, 0.2)]:
        brute = w[np.argmin(0.5 * (w - z) ** 2 + t * np.abs(w))]
        assert abs(float(S.soft_threshold(z, t)) - brute) <= 1e-5


def test_l1_penalty_book_scaling_and_no_biases():
    p = [(np.array([[1.0, -2.0], [0.5, 0.0]]), np.array([9.0, 9.0])), (np.array([[-3.0], [1.0]]), np.array([9.0]))]
    # lam/m sum|W| = 4/8 * (3.5 + 4) = 3.75, biases ignored; layer 1 only: 4/8 * 4 = 2
    assert S.l1_penalty(p, lam=4.0, m=8) == pytest.approx(3.75)
    assert S.l1_penalty(p, lam=4.0, m=8, layers=[1]) == pytest.approx(2.0)
    assert S.l1_penalty(L.Net(p, "tanh", "sigmoid"), lam=4.0, m=8) == pytest.approx(3.75)


def test_kkt_violation_hand_worked():
    # w_1 = 2 > 0 needs g_1 = -alpha; w_2 = 0 needs |g_2| <= alpha
    assert float(S.kkt_violation([-1.0, 0.5], [2.0, 0.0], 1.0)) == 0.0
    assert float(S.kkt_violation([-0.75, 0.5], [2.0, 0.0], 1.0)) == pytest.approx(0.25)
    assert float(S.kkt_violation([-1.0, -1.5], [2.0, 0.0], 1.0)) == pytest.approx(0.5)
    assert S.kkt_violation(np.zeros((3, 2)), np.ones((3, 2)), [0.0, 1.0, 2.0]).tolist() == [0.0, 1.0, 2.0]


# ------------------------------------------------------------------ separable quadratic
def test_separable_hand_worked_soft_threshold_against_shrink_factor():
    s = S.separable_optima([2.0, 0.5, 4.0], [1.0, -1.0, 0.25], [0.0, 0.5, 1.0])
    # alpha = 0.5: |w*| - alpha/h = 0.75, 0 (1 - 1 = 0), 0.125;  L2: h/(h+alpha) w* = 0.8, -0.5, 2/9
    np.testing.assert_allclose(s.l1[1], [0.75, 0.0, 0.125], atol=1e-15)
    np.testing.assert_allclose(s.l2[1], [0.8, -0.5, 0.25 * 4 / 4.5], rtol=1e-14)
    np.testing.assert_allclose(s.l1[0], [1.0, -1.0, 0.25])           # alpha = 0: both are w*
    np.testing.assert_allclose(s.l2[0], [1.0, -1.0, 0.25])
    np.testing.assert_allclose(s.zero_at, [2.0, 0.5, 1.0])            # h |w*|
    assert s.l1[2, 2] == 0.0 and s.l2[2, 2] > 0                       # at alpha = h|w*|: L1 exactly 0, L2 not


def test_separable_l1_zero_exactly_from_h_times_w_star_and_l2_never():
    h, w = np.array([3.0, 0.2, 1.0]), np.array([0.5, 2.0, -1.5])
    alphas = np.linspace(0.0, 3.0, 301)
    s = S.separable_optima(h, w, alphas)
    for i in range(3):
        zero = s.l1[:, i] == 0.0
        np.testing.assert_array_equal(zero, alphas >= h[i] * abs(w[i]) * (1 - 1e-12))
    assert np.all(s.l2 != 0.0)
    np.testing.assert_allclose(s.l2, h / (h + alphas[:, None]) * w, rtol=1e-13)   # factor written here


def test_separable_matches_brute_force_per_coordinate():
    h, w = np.array([1.7, 0.3]), np.array([-0.8, 1.9])
    grid = np.linspace(-3, 3, 600_001)                  # spacing 1e-5
    for a in (0.1, 0.5, 1.4):
        s = S.separable_optima(h, w, a)
        for i in range(2):
            brute = grid[np.argmin(0.5 * h[i] * (grid - w[i]) ** 2 + a * np.abs(grid))]
            assert abs(s.l1[i] - brute) <= 1e-5
            brute2 = grid[np.argmin(0.5 * h[i] * (grid - w[i]) ** 2 + 0.5 * a * grid ** 2)]
            assert abs(s.l2[i] - brute2) <= 1e-5


# ------------------------------------------------------------------ the 2-D (and n-D) path
def test_l1_optimum_equals_enumeration_of_sign_patterns():
    worst, n_zero = 0.0, 0
    for q in random_quadratics(100):
        a_max = np.abs(q.H @ q.w_star).max()
        alphas = np.r_[np.linspace(0.0, 1.2 * a_max, 80), S.l1_breakpoints(q).alphas]
        got = S.l1_optimum(q, alphas)
        ref, count = enumerate_2d(q.H, q.w_star, alphas)
        assert np.all(count >= 1), "the enumeration always finds the optimum of a strictly convex problem"
        worst = max(worst, float(np.abs(got - ref).max()))
        n_zero += int(np.sum(got == 0.0))
    # both solve the same 2 x 2 (or 1 x 1) systems: agreement to rounding (condition numbers <= 100)
    assert worst <= 1e-12
    assert n_zero > 2000                              # exact zeros, not just small values


def test_l1_optimum_against_independent_minimizers(rotated):
    for a in (0.05, 0.3, 0.9, 1.6):
        w = S.l1_optimum(rotated, a)
        # coordinate descent converges linearly, to ~1e-16 here
        np.testing.assert_allclose(w, coordinate_descent(rotated.H, rotated.w_star, a), atol=1e-8, rtol=0)
        # the grid compares objective values: a step d off the optimum raises them by h_min d^2 / 2,
        # invisible under their rounding (~1e-16) for d < ~2e-8 with h_min = 0.4
        np.testing.assert_allclose(w, grid_refine(rotated.H, rotated.w_star, a), atol=5e-8, rtol=0)


def test_l1_optimum_in_five_dimensions_against_coordinate_descent():
    rng = np.random.default_rng(4)
    for _ in range(3):
        A = rng.normal(size=(5, 5))
        H = A @ A.T / 5 + 0.3 * np.eye(5)
        q = Q.Quadratic(0.5 * (H + H.T), rng.normal(0, 1, 5))
        a_max = np.abs(q.H @ q.w_star).max()
        for a in np.array([0.02, 0.2, 0.5, 0.9]) * a_max:
            np.testing.assert_allclose(S.l1_optimum(q, a), coordinate_descent(q.H, q.w_star, a), atol=1e-8, rtol=0)


def test_subgradient_conditions_hold_along_the_path():
    for q in random_quadratics(40, seed=1):
        a_max = np.abs(q.H @ q.w_star).max()
        alphas = np.linspace(0.0, 1.1 * a_max, 57)
        W = S.l1_optimum(q, alphas)
        G = (W - q.w_star) @ q.H                                   # gradient of the data term, written here
        nz = W != 0
        a = np.broadcast_to(alphas[:, None], W.shape)
        assert np.all(np.abs(G + a * np.sign(W))[nz] <= 1e-12 * (1 + a_max))
        assert np.all(np.abs(G)[~nz] <= a[~nz] + 1e-12 * (1 + a_max))


def test_path_hand_worked_and_piecewise_linear(rotated):
    # diagonal H = diag(2, 0.5), w* = (1, 1): weight 2 leaves at alpha = 0.5, weight 1 at alpha = 2
    bp = S.l1_breakpoints(Q.make_quadratic((2.0, 0.5), w_star=(1.0, 1.0)))
    np.testing.assert_allclose(bp.alphas, [2.0, 0.5, 0.0])
    np.testing.assert_allclose(bp.points, [[0, 0], [0.75, 0], [1, 1]])
    bp = S.l1_breakpoints(rotated)
    c = rotated.H @ rotated.w_star
    assert bp.alphas[0] == pytest.approx(np.abs(c).max(), rel=1e-15)          # alpha_max = |H w*|_inf
    np.testing.assert_allclose(bp.points[-1], rotated.w_star, rtol=1e-12)
    assert np.all(S.l1_optimum(rotated, bp.alphas[0] * np.array([1.0, 1.5, 10.0])) == 0.0)
    for (a0, a1), (p0, p1) in zip(zip(bp.alphas[:-1], bp.alphas[1:]), zip(bp.points[:-1], bp.points[1:])):
        ref, _ = enumerate_2d(rotated.H, rotated.w_star, [0.5 * (a0 + a1)])
        np.testing.assert_allclose(0.5 * (p0 + p1), ref[0], atol=1e-12, rtol=0)


def test_l2_only_shrinks_where_l1_sets_zeros(rotated):
    alphas = np.geomspace(1e-3, 10.0, 60)
    w1, w2 = S.l1_optimum(rotated, alphas), Q.regularized_optimum(rotated, alphas)
    assert np.all(w2 != 0.0)
    assert np.sum(w1 == 0.0) >= 30
    # the diamond touches the contour at a corner: one coordinate exactly 0 for a range of alpha
    assert np.any((w1[:, 0] != 0) & (w1[:, 1] == 0))


def test_proximal_descent_reaches_exact_zeros_where_subgradient_descent_does_not(rotated):
    a, lr = 0.8, 0.3
    target = S.l1_optimum(rotated, a)
    assert np.sum(target == 0.0) == 1
    traj = S.proximal_descend(rotated, a, [0.5, 0.5], lr, 400)
    np.testing.assert_allclose(traj[-1], target, atol=1e-12, rtol=0)
    first = np.argmax(np.all((traj == 0.0) == (target == 0.0), axis=-1))
    assert 0 < first < 100 and np.all((traj[first:] == 0.0) == (target == 0.0))   # the zero is exact and stays
    w = np.array([0.5, 0.5])                 # subgradient descent, written here: never exactly 0
    for _ in range(400):
        w = w - lr * (rotated.H @ (w - rotated.w_star) + a * np.sign(w))
    assert np.all(w != 0.0) and np.abs(w - target).max() > 1e-3


def test_proximal_descend_vectorizes_over_alpha(rotated):
    alphas = np.array([0.0, 0.2, 1.0])
    traj = S.proximal_descend(rotated, alphas, np.zeros(2), 0.25, 3)
    assert traj.shape == (4, 3, 2)
    for k, a in enumerate(alphas):
        np.testing.assert_array_equal(traj[:, k], S.proximal_descend(rotated, a, np.zeros(2), 0.25, 3))


def test_l1_functions_are_fast_over_a_grid(rotated):
    alphas = np.linspace(0, 2, 60)
    t0 = time.thread_time()                 # CPU time of this thread: other processes do not count
    S.l1_optimum(rotated, alphas), S.separable_optima([3.0, 0.4], [1.2, -0.5], alphas)
    assert time.thread_time() - t0 < 0.1


def test_plot_diamond_draws_both_shapes(rotated):
    a = 0.8
    w1, w2 = S.l1_optimum(rotated, a), Q.regularized_optimum(rotated, a)
    xx, yy = np.meshgrid(np.linspace(-1, 2, 40), np.linspace(-1.5, 1.5, 40))
    F = Q.data_loss(rotated, np.stack([xx, yy], axis=-1))
    fig, ax = plt.subplots()
    S.plot_diamond(rotated, w1, w2, (xx, yy, F), path_l1=S.l1_optimum(rotated, np.linspace(0, 3, 20)), ax=ax)
    r1 = np.abs(w1).sum()
    diamond = [p for p in ax.patches if p.get_label().startswith("L1 diamond")][0]
    np.testing.assert_allclose(np.abs(diamond.get_xy()).sum(axis=1)[:4], r1)      # vertices on the axes at r1
    circle = [p for p in ax.patches if p.get_label().startswith("L2 circle")][0]
    assert circle.get_radius() == pytest.approx(np.hypot(*w2))
    plt.close(fig)


# ------------------------------------------------------------------ logistic regression on real data
@pytest.fixture(scope="module")
def cancer():
    d = L.data.load_breast_cancer()
    X, = L.data.standardize(d.X)
    return X, d.y


def logistic_grad(X, y, w, b):
    """Mean cross-entropy gradient, written with numpy only."""
    p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    return X.T @ (p - y) / len(y), float(np.mean(p - y))


def fista(X, y, alpha, tol=1e-12, max_iter=200_000):
    """Plain FISTA with adaptive restart on the mean cross-entropy + alpha |w|_1 (an independent minimizer)."""
    m, n = X.shape
    X1 = np.c_[X, np.ones(m)]
    eta = 4 * m / np.linalg.eigvalsh(X1.T @ X1)[-1]
    x = np.zeros(n + 1)
    z, t = x.copy(), 1.0
    for _ in range(max_iter):
        gw, gb = logistic_grad(X, y, z[:n], z[n])
        step = z - eta * np.r_[gw, gb]
        new = np.r_[np.sign(step[:n]) * np.maximum(np.abs(step[:n]) - eta * alpha, 0.0), step[n]]
        if np.abs(z - new).max() / eta < tol:
            return new
        if (z - new) @ (new - x) > 0:
            t, z = 1.0, new.copy()
        else:
            t_new = (1 + np.sqrt(1 + 4 * t * t)) / 2
            z = new + (t - 1) / t_new * (new - x)
            t = t_new
        x = new
    raise AssertionError("FISTA did not converge")


def test_lam_max_is_where_the_first_weight_appears(cancer):
    X, y = cancer
    m = len(y)
    g0 = X.T @ (y.mean() - y) / m                      # data gradient at w = 0 and the best bias, by hand
    lam_max = m * np.abs(g0).max()
    assert S.l1_lam_max(X, y) == pytest.approx(lam_max, rel=1e-12)
    fit = S.l1_logistic(X, y, [lam_max * (1 - 1e-3), lam_max * (1 + 1e-6), 2 * lam_max])
    assert fit.n_zero.tolist() == [29, 30, 30]
    assert np.flatnonzero(fit.W[0]).tolist() == [int(np.argmax(np.abs(g0)))]
    assert fit.b[2] == pytest.approx(np.log(y.mean() / (1 - y.mean())), rel=1e-12)


def test_l1_logistic_optimality_and_exact_zeros_on_breast_cancer(cancer):
    X, y = cancer
    m = len(y)
    lams = np.geomspace(0.5, 250.0, 30)
    fit = S.l1_logistic(X, y, lams)
    for k, lam in enumerate(lams):
        w, b, alpha = fit.W[k], fit.b[k], lam / m
        gw, gb = logistic_grad(X, y, w, b)
        nz = w != 0
        # the subgradient conditions, with numpy's gradient: Newton's method ends at rounding level
        assert np.all(np.abs(gw[nz] + alpha * np.sign(w[nz])) <= 1e-9)
        assert np.all(np.abs(gw[~nz]) <= alpha + 1e-9)
        assert abs(gb) <= 1e-9
        assert fit.n_zero[k] == np.sum(w == 0.0)
    assert fit.n_zero[0] >= 5 and fit.n_zero[-1] == 30
    assert fit.kkt.max() <= 1e-9
    # one-layer nets that give the same probabilities
    p = L.predict_proba(fit.nets[3], X)[:, 0]
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-(X @ fit.W[3] + fit.b[3]))), rtol=1e-12)


def test_l1_logistic_against_fista(cancer):
    X, y = cancer
    m = len(y)
    lams = np.array([10.0, 40.0, 120.0])
    fit = S.l1_logistic(X, y, lams)
    for k, lam in enumerate(lams):
        ref = fista(X, y, lam / m)
        # FISTA stops at a gradient-mapping norm of 1e-12; the smallest curvature on the support is
        # ~1e-3, so its weights are within ~1e-9 of the optimum: 1e-8 leaves a margin of ten
        np.testing.assert_allclose(fit.W[k], ref[:-1], atol=1e-8, rtol=0)
        assert fit.b[k] == pytest.approx(ref[-1], abs=1e-8)
        np.testing.assert_array_equal(fit.W[k] == 0, ref[:-1] == 0)


def test_l2_logistic_has_no_exact_zeros(cancer):
    X, y = cancer
    lams = np.geomspace(1.0, 250.0, 6)
    nets, _ = L.train(L.Net([(np.zeros((30, 1)), np.zeros(1))], "relu", "sigmoid"), X, y, lam=lams, lr=0.5,
                      epochs=300, record_every=300)
    Ws = np.array([n.params[0][0][:, 0] for n in nets])
    assert np.all(Ws != 0.0)
    norms = np.linalg.norm(Ws, axis=1)
    assert np.all(np.diff(norms) < 0)                  # it shrinks as lambda grows, and that is all
    fit = S.l1_logistic(X, y, lams)
    assert np.all(fit.n_zero >= 1)


def test_l1_logistic_grid_is_fast(cancer):
    X, y = cancer
    lams = np.geomspace(S.l1_lam_max(X, y) / 100, S.l1_lam_max(X, y), 40)
    S.l1_logistic(X, y, lams[:2])
    t0 = time.thread_time()                 # CPU time of this thread (OPENBLAS_NUM_THREADS=1)
    S.l1_logistic(X, y, lams)
    assert time.thread_time() - t0 < 1.0    # ~0.3 s on an idle core


# ------------------------------------------------------------------ bad input
def test_bad_input_names_the_parameter(rotated, cancer):
    X, y = cancer
    with pytest.raises(ValueError, match="'alpha' parameter must be a float or an array of floats in the range \\[0, inf\\). Got -1.0"):
        S.l1_optimum(rotated, -1.0)
    with pytest.raises(ValueError, match="'threshold' parameter"):
        S.soft_threshold(1.0, -0.5)
    with pytest.raises(ValueError, match="'lr' parameter must be a float in the range \\(0, 0.66"):
        S.proximal_descend(rotated, 0.1, [0, 0], 0.7, 5)
    with pytest.raises(ValueError, match="'lams' parameter must be a non-empty, strictly increasing"):
        S.l1_logistic(X, y, [3.0, 1.0])
    with pytest.raises(ValueError, match="'y' parameter must be labels of both classes"):
        S.l1_logistic(X, np.zeros(len(y), int), 1.0)
    with pytest.raises(ValueError, match="'curvatures' parameter"):
        S.separable_optima([1.0, 0.0], [1.0, 1.0], 0.1)
    with pytest.raises(ValueError, match="'w_star' parameter must be an array of shape \\(2,\\)"):
        S.separable_optima([1.0, 2.0], [1.0, 1.0, 1.0], 0.1)
    with pytest.raises(TypeError, match="'q' parameter must be a Quadratic"):
        S.l1_breakpoints((np.eye(2), np.ones(2)))
    with pytest.raises(RuntimeError, match="did not converge in max_iter=1 Newton steps"):
        S.l1_logistic(X, y, 1.0, max_iter=1)
