"""Tests for l2lib.selection: validation curves, cross-validation summaries, choosing λ, the λ axis.

Expected values are worked by hand, taken from the published data, or computed
independently (l2lib's one-network trainer, numpy by hand); never from the
function under test.
"""
import numpy as np
import pytest

import l2lib as L
from l2lib import data as D
from l2lib import selection as S


# ----------------------------------------------------------- validation curve
@pytest.fixture(scope="module")
def small_problem():
    d = D.load_breast_cancer()
    rows = D.stratified_permutation(569, rng=0, y=d.y)[:60]
    return d.X[rows], d.y[rows]


def test_validation_curve_equals_one_network_trainings(small_problem):
    """Every (split, λ) entry must be what L.train gives on that split, standardized by hand."""
    X, y = small_problem
    lams = [0.0, 0.3, 3.0]
    splits = D.kfold_indices(len(y), k=3, rng=0, y=y)
    c = S.validation_curve(X, y, lams, splits, hidden_sizes=(4,), lr=0.4, epochs=30, rng=7)
    for s, (tr, dv) in enumerate(splits):
        mu, sd = X[tr].mean(axis=0), X[tr].std(axis=0)
        Xtr, Xdv = (X[tr] - mu) / sd, (X[dv] - mu) / sd
        for k, lam in enumerate(lams):
            p, _ = L.train(L.init_params([30, 4, 1], rng=7), Xtr, y[tr], lam=lam, lr=0.4, epochs=30)
            np.testing.assert_allclose(c.train_loss[s, k], L.cost(p, Xtr, y[tr]).data, rtol=1e-10)
            np.testing.assert_allclose(c.dev_loss[s, k], L.cost(p, Xdv, y[dv]).data, rtol=1e-10)
            np.testing.assert_allclose(c.dev_acc[s, k], L.accuracy(p, Xdv, y[dv]))
            np.testing.assert_allclose(c.params[0][0][s, k], p[0][0], atol=1e-12)
            sq = sum(np.sum(W * W) for W, _ in p)
            np.testing.assert_allclose(c.penalty[s, k], lam / (2 * len(tr)) * sq, rtol=1e-10, atol=1e-15)
            np.testing.assert_allclose(c.weight_norm[s, k], np.sqrt(sq), rtol=1e-10)


def test_training_loss_rises_and_weights_shrink_with_lambda_for_a_convex_model(small_problem):
    """The monotonicity theorem of Chapter 6, on logistic regression trained close to its minimizer."""
    X, y = small_problem
    lams = [0.0, 0.1, 1.0, 10.0]
    split = D.holdout_indices(len(y), dev_fraction=0.25, rng=0, y=y)
    c = S.validation_curve(X, y, lams, [(split.train, split.dev)], hidden_sizes=(), lr=0.5, epochs=400, rng=0)
    assert np.all(np.diff(c.train_loss[0]) > 0)
    assert np.all(np.diff(c.weight_norm[0]) < 0)
    assert c.penalty[0, 0] == 0.0


def test_validation_curve_history_and_unstandardized_option(small_problem):
    X, y = small_problem
    Xs, = D.standardize(X)
    splits = [(np.arange(40), np.arange(40, 60))]
    c = S.validation_curve(Xs, y, [0.0, 1.0], splits, hidden_sizes=(3,), epochs=20, record_every=5,
                           standardize_each=False)
    np.testing.assert_array_equal(c.history["epoch"], [0, 5, 10, 15, 20])
    assert c.history["train"].shape == (5, 1, 2) and c.history["dev"].shape == (5, 1, 2)
    np.testing.assert_allclose(c.history["train"][-1], c.train_loss)
    p, _ = L.train(L.init_params([30, 3, 1], rng=0), Xs[:40], y[:40], lam=1.0, lr=0.5, epochs=20)
    np.testing.assert_allclose(c.dev_loss[0, 1], L.cost(p, Xs[40:], y[40:]).data, rtol=1e-10)
    assert c.history["train"][0, 0, 0] > c.history["train"][-1, 0, 0]          # training reduces the loss


def test_validation_curve_bad_input(small_problem):
    X, y = small_problem
    ok = [(np.arange(40), np.arange(40, 60))]
    with pytest.raises(ValueError, match=r"lr\*lam/m < 2"):
        S.validation_curve(X, y, [0.0, 100.0], ok, lr=1.0, epochs=2)          # 1.0 * 100 / 40 >= 2
    with pytest.raises(FloatingPointError, match="lam=70.0"):
        S.validation_curve(X, y, [0.0, 70.0], ok, lr=1.0, epochs=40)          # 1.0 * 70 / 40 = 1.75: diverges
    with pytest.raises(ValueError, match="without common rows"):
        S.validation_curve(X, y, [0.0], [(np.arange(40), np.arange(30, 60))], epochs=2)
    with pytest.raises(ValueError, match="range"):
        S.validation_curve(X, y, [0.0], [(np.arange(40), np.arange(40, 61))], epochs=2)
    with pytest.raises(TypeError, match="integer index"):
        S.validation_curve(X, y, [0.0], [(np.arange(40.0), np.arange(40, 60))], epochs=2)
    with pytest.raises(ValueError, match="'lams'"):
        S.validation_curve(X, y, [], ok, epochs=2)
    with pytest.raises(ValueError, match="'lams'"):
        S.validation_curve(X, y, [-1.0], ok, epochs=2)
    with pytest.raises(ValueError, match="'splits'"):
        S.validation_curve(X, y, [0.0], [], epochs=2)


# ------------------------------------------------------------ choosing λ
def _curve(dev):
    dev = np.asarray(dev, float)
    return S.ValidationCurve(np.arange(dev.shape[1], dtype=float), None, dev, None, None, None, None, {}, [])


def test_cv_summary_hand_worked():
    mean, se = S.cv_summary(_curve([[1.0, 3.0], [3.0, 5.0]]))
    np.testing.assert_allclose(mean, [2.0, 4.0])
    np.testing.assert_allclose(se, [1.0, 1.0])          # sample sd sqrt(2), divided by sqrt(2 folds)
    mean, se = S.cv_summary(_curve([[0.2, 0.1]]))
    np.testing.assert_allclose(se, [0.0, 0.0])


def test_best_lambda_min_and_one_se_rule():
    c = _curve([[0.50, 0.30, 0.34, 0.60],
                [0.50, 0.50, 0.42, 0.60]])        # means 0.5, 0.4, 0.38, 0.6; SE at the minimum 0.04
    assert S.best_lambda(c) == 2.0
    assert S.best_lambda(c, "one_se") == 2.0     # λ = 3 has mean 0.6 > 0.38 + 0.04
    c2 = _curve([[0.30, 0.36, 0.9], [0.50, 0.46, 0.9]])   # means 0.40, 0.41; SE at λ=0 is 0.1
    assert S.best_lambda(c2) == 0.0 and S.best_lambda(c2, "one_se") == 1.0
    with pytest.raises(ValueError, match="'rule'"):
        S.best_lambda(c, "max")


# ------------------------------------------------------------------ figures
def test_lam_positions_and_axis():
    np.testing.assert_allclose(S.lam_positions([0.0, 0.1, 1.0, 10.0]), [0.01, 0.1, 1.0, 10.0])
    np.testing.assert_allclose(S.lam_positions([1.0, 10.0]), [1.0, 10.0])
    with pytest.raises(ValueError, match="'lams'"):
        S.lam_positions([0.0])
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert S.lam_axis(ax, [0.0, 0.1, 1.0]) is ax
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "0.1", "1"]
    assert S.plain_log_axis(ax, "y") is ax and ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="'axis'"):
        S.plain_log_axis(ax, "z")
    plt.close(fig)


def test_plot_validation_curve_draws_mean_and_band(small_problem):
    import matplotlib.pyplot as plt

    X, y = small_problem
    c = S.validation_curve(X, y, [0.0, 1.0], D.kfold_indices(60, 3, rng=0), hidden_sizes=(2,), epochs=3)
    fig, ax = plt.subplots()
    assert S.plot_validation_curve(c, ax=ax) is ax
    lines = {l.get_label(): l for l in ax.get_lines()}
    np.testing.assert_allclose(lines["dev loss"].get_ydata(), c.dev_loss.mean(axis=0))
    np.testing.assert_allclose(lines["training loss"].get_ydata(), c.train_loss.mean(axis=0))
    assert len(ax.collections) == 1                                   # the ±1 SE band
    plt.close(fig)
