"""Tests for l2lib.early_stopping: gradient descent stopped early against the ridge optimum.

References are computed here: gradient descent iterated step by step (a plain loop and
l2lib.quadratic.descend), ridge by np.linalg.solve, the continuous-limit filters on a dense grid,
and training a linear network with l2lib.train.
"""
import time

import numpy as np
import pytest

import l2lib as L
from l2lib import early_stopping as E
from l2lib import quadratic as Q


@pytest.fixture
def rotated():
    return Q.make_quadratic((2.0, 0.05), angle=0.4, w_star=(1.0, -2.0))


def random_spd(n, seed):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n))
    H = A @ A.T / n + 0.05 * np.eye(n)
    return Q.Quadratic(0.5 * (H + H.T), rng.normal(size=n))


# ------------------------------------------------------------------ the closed form against iteration
def test_gd_weights_equal_descend_step_by_step(rotated):
    lr, T = 0.6, 300
    traj = Q.descend(rotated, 0.0, np.zeros(2), lr, T)          # iterated, with l2lib's own loop
    t = np.arange(T + 1)
    # (I - lr H)^t grows no error: |1 - lr h| < 1, so rounding stays at the size of w*
    np.testing.assert_allclose(E.gd_weights(rotated, lr, t), traj, atol=1e-13, rtol=0)


def test_gd_weights_equal_a_plain_loop_in_five_dimensions():
    q = random_spd(5, 1)
    lr = 1.5 / np.linalg.eigvalsh(q.H)[-1]
    w, ws = np.zeros(5), [np.zeros(5)]
    for _ in range(80):
        w = w - lr * q.H @ (w - q.w_star)
        ws.append(w)
    np.testing.assert_allclose(E.gd_weights(q, lr, np.arange(81)), ws, atol=1e-12, rtol=0)


def test_gd_shrinkage_hand_worked():
    q = Q.make_quadratic((1.0, 0.5), w_star=(1.0, 1.0))
    # lr = 1: h = 1 is recovered in one step (factor 1); h = 0.5 keeps 1 - 0.5^t
    s = E.gd_shrinkage(q, 1.0, np.array([0, 1, 2, 3]))
    np.testing.assert_allclose(s.factors, [[0, 0], [0.5, 1], [0.75, 1], [0.875, 1]])
    # lr = 1.5: h = 1 overshoots, 1 - (-0.5)^t = 1.5, 0.75, 1.125
    s = E.gd_shrinkage(q, 1.5, [1, 2, 3])
    np.testing.assert_allclose(s.factors[:, 1], [1.5, 0.75, 1.125])


def test_ridge_side_equals_linalg_solve(rotated):
    c = E.compare_filters(rotated, 0.5, [1, 3, 10, 100])
    for alpha, w in zip(c.alpha, c.w_ridge):
        np.testing.assert_allclose(w, np.linalg.solve(rotated.H + alpha * np.eye(2), rotated.H @ rotated.w_star),
                                   rtol=1e-12)
    np.testing.assert_allclose(c.alpha, 1 / (0.5 * np.array([1, 3, 10, 100])))
    np.testing.assert_allclose(c.ridge, c.curvatures / (c.curvatures + c.alpha[:, None]), rtol=1e-14)
    np.testing.assert_allclose(c.distance, np.linalg.norm(c.w_gd - c.w_ridge, axis=1), rtol=1e-14)


# ------------------------------------------------------------------ where the filters match and where not
def test_small_steps_match_within_the_continuous_gap():
    # continuous limit: 1 - e^-x against x / (1 + x), x = lr h t; its largest gap, on a dense grid
    x = np.linspace(0, 50, 500_001)
    gap = 1 - np.exp(-x) - x / (1 + x)
    peak, x_peak = gap.max(), x[np.argmax(gap)]
    assert 0.20 < peak < 0.21 and 2.4 < x_peak < 2.6
    assert np.exp(-x_peak) * (1 + x_peak) ** 2 == pytest.approx(1.0, abs=1e-4)   # where the derivative vanishes
    q = Q.Quadratic(np.diag(np.geomspace(1e-3, 1.0, 7)), np.ones(7))
    lr = 1e-3                                          # lr * h <= 1e-3: the discrete filter is the continuous one
    c = E.compare_filters(q, lr, np.unique(np.geomspace(1, 1e7, 60).astype(int)))
    assert np.abs(c.gap).max() <= peak + 1e-3
    assert np.abs(c.gap).max() >= peak - 0.01          # the mismatch is real and reaches the peak
    xs = lr * c.curvatures * c.steps[:, None]
    small, large = xs < 0.01, xs > 1000
    assert np.abs(c.gap[small]).max() < 1e-4 and np.abs(c.gap[large]).max() < 1e-3


def test_matched_alpha_reproduces_the_gd_factor_exactly(rotated):
    lr, t = 0.5, np.array([1, 2, 7, 40])
    a = E.matched_alpha(rotated, lr, t)
    s = E.gd_shrinkage(rotated, lr, t)
    np.testing.assert_allclose(s.curvatures / (s.curvatures + a), s.factors, rtol=1e-12)


def test_matched_alpha_falls_below_one_over_eta_t_for_stiff_directions():
    q = Q.Quadratic(np.diag([1e-3, 1e-2, 1e-1]), np.ones(3))
    lr, t = 1e-2, 1000
    a = E.matched_alpha(q, lr, t)
    x = lr * np.array([1e-3, 1e-2, 1e-1]) * t           # 0.01, 0.1, 1
    # continuous limit, written here: alpha_i lr t = x / (e^x - 1); discrete corrections are O(lr h)
    np.testing.assert_allclose(a * lr * t, x / np.expm1(x), rtol=2e-3)
    assert np.all(np.diff(a) < 0)


def test_the_match_fails_for_large_steps():
    q = Q.make_quadratic((1.0, 0.5), w_star=(1.0, 1.0))
    a = E.matched_alpha(q, 1.0, [1, 5])        # lr h = 1: recovered exactly, no ridge alpha > 0 does that
    assert np.all(a[:, 1] == 0.0)
    a = E.matched_alpha(q, 1.5, [1, 3])        # lr h = 1.5: overshoot, alpha < 0
    assert np.all(a[:, 1] < 0)


def test_filters_vectorize_and_are_fast(rotated):
    t = np.arange(1, 61)
    t0 = time.thread_time()
    c = E.compare_filters(rotated, 0.5, t)
    assert time.thread_time() - t0 < 0.05
    assert c.gd.shape == c.ridge.shape == c.w_gd.shape == (60, 2) and c.distance.shape == (60,)
    np.testing.assert_allclose(c.w_gd[9], E.gd_weights(rotated, 0.5, 10), rtol=1e-14)


def test_equivalent_lambda_in_the_book_convention():
    np.testing.assert_allclose(E.equivalent_alpha(0.25, [1, 2, 8]), [4.0, 2.0, 0.5])
    np.testing.assert_allclose(E.equivalent_lam(0.25, [1, 2, 8], m=50), [200.0, 100.0, 25.0])   # lambda = m alpha


# ------------------------------------------------------------------ on a network: l2lib.train
def test_training_a_linear_network_is_the_quadratic_filter():
    # identity output, no hidden layer, centred inputs: full-batch train from 0 is gradient descent on the
    # least-squares quadratic (the bias decouples), so its weights after t epochs are gd_weights(t)
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3)) @ np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.3], [0.0, 0.0, 0.2]])
    X -= X.mean(axis=0)
    y = X @ np.array([1.0, -2.0, 3.0]) + 0.3 * rng.normal(size=40) + 0.7
    q = Q.least_squares_quadratic(X, y)
    net = L.Net([(np.zeros((3, 1)), np.zeros(1))], "relu", "identity")
    lr = 0.3
    for t in (1, 5, 40):
        trained, _ = L.train(net, X, y, lr=lr, epochs=t)
        np.testing.assert_allclose(trained.params[0][0][:, 0], E.gd_weights(q, lr, t), atol=1e-12, rtol=0)
    # and with lambda, long training reaches the ridge optimum at alpha = lambda / m
    lam = 40 / (lr * 5)                                   # the equivalent lambda of 5 epochs, m / (lr t)
    trained, _ = L.train(net, X, y, lam=lam, lr=lr, epochs=300)   # contraction <= 1 - lr alpha = 0.8 per epoch
    np.testing.assert_allclose(trained.params[0][0][:, 0], Q.regularized_optimum(q, lam / 40), atol=1e-10)


def test_epoch_and_lambda_curves_line_up_two_training_runs():
    X, y = L.make_moons(80, 0.3, rng=0)
    Xd, yd = L.make_moons(80, 0.3, rng=1)
    net = L.init_net([2, 12, 1], rng=2)
    lams = np.geomspace(0.1, 10, 5)
    c = E.epoch_and_lambda_curves(net, X, y, Xd, yd, lams, epochs=60, lr=0.5)
    _, h0 = L.train(net, X, y, lr=0.5, epochs=60, X_dev=Xd, y_dev=yd)
    _, hg = L.train(net, X, y, lam=lams, lr=0.5, epochs=60, X_dev=Xd, y_dev=yd, record_every=60)
    np.testing.assert_array_equal(c.epochs, np.arange(1, 61))
    np.testing.assert_array_equal(c.dev_by_epoch, h0["dev_data"][1:])
    np.testing.assert_array_equal(c.dev_by_lam, hg["dev_data"][-1])
    np.testing.assert_allclose(c.lam_of_epoch, 80 / (0.5 * np.arange(1, 61)))          # m / (lr t)
    assert c.best_epoch == 1 + int(np.argmin(h0["dev_data"][1:]))
    assert c.best_lam == lams[int(np.argmin(hg["dev_data"][-1]))]


# ------------------------------------------------------------------ bad input
def test_bad_input_names_the_parameter(rotated):
    with pytest.raises(ValueError, match="'lr' parameter must be a float in the range \\(0, 1\\) for this H"):
        E.gd_shrinkage(rotated, 1.0, 3)
    with pytest.raises(ValueError, match="'steps' parameter must be an int or an array of ints in the range \\[0, inf\\). Got -1"):
        E.gd_weights(rotated, 0.1, [3, -1])
    with pytest.raises(ValueError, match="'steps' parameter must be an int or an array of ints in the range \\[1, inf\\). Got 0"):
        E.equivalent_alpha(0.1, 0)
    with pytest.raises(TypeError, match="'steps' parameter"):
        E.gd_weights(rotated, 0.1, 2.5)
    with pytest.raises(ValueError, match="'lams' parameter must be a non-empty, strictly increasing"):
        E.epoch_and_lambda_curves(L.init_net([2, 3, 1], rng=0), *L.make_moons(10, rng=0), *L.make_moons(10, rng=1),
                                  [1.0, 1.0], epochs=2)
