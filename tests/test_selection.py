"""Tests for l2lib.selection: the shipped data set, splits, standardization, validation curves.

Expected values are worked by hand, taken from the published data, or computed
independently (l2lib's one-network trainer, numpy by hand); never from the
function under test.
"""
import hashlib
from importlib import resources

import numpy as np
import pytest

import l2lib as L
from l2lib import selection as S


# ------------------------------------------------------------------ data set
def test_breast_cancer_matches_the_published_data():
    d = S.load_breast_cancer()
    assert d.X.shape == (569, 30) and d.y.shape == (569,)
    assert int(d.y.sum()) == 212 and int((d.y == 0).sum()) == 357       # UCI: 212 malignant, 357 benign
    assert len(set(d.feature_names)) == 30 and d.feature_names[0] == "mean_radius"
    assert d.feature_names[20] == "worst_radius"
    # first record of the UCI file (ID 842302, diagnosis M): radius 17.99, texture 10.38, perimeter 122.8, area 1001
    np.testing.assert_array_equal(d.X[0, :4], [17.99, 10.38, 122.8, 1001.0])
    assert d.y[0] == 1
    assert "CC BY 4.0" in d.source
    assert np.all(np.isfinite(d.X)) and np.all(d.X >= 0)


def test_breast_cancer_file_is_the_one_described_in_its_readme():
    folder = resources.files("l2lib").joinpath("datasets")
    digest = hashlib.sha256(folder.joinpath("breast_cancer_wisconsin.csv").read_bytes()).hexdigest()
    readme = folder.joinpath("README.md").read_text(encoding="utf-8")
    assert digest in readme
    assert "CC BY 4.0" in readme and "10.24432/C5DW2B" in readme


# ----------------------------------------------------------- standardization
def test_standardize_hand_worked_and_uses_fit_rows_only():
    a, b = S.standardize(np.array([[0.0, 5.0], [2.0, 5.0]]), np.array([[4.0, 7.0]]))
    np.testing.assert_allclose(a, [[-1.0, 0.0], [1.0, 0.0]])     # constant column is only centred
    np.testing.assert_allclose(b, [[3.0, 2.0]])                   # (4 - 1)/1 and 7 - 5
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 2.0, (50, 4))
    Xs, = S.standardize(X)
    np.testing.assert_allclose(Xs.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Xs.std(axis=0), 1.0)


def test_standardize_bad_input():
    with pytest.raises(ValueError, match="'X_fit'"):
        S.standardize(np.ones(3))
    with pytest.raises(ValueError, match="2 columns"):
        S.standardize(np.ones((3, 2)), np.ones((2, 3)))


# -------------------------------------------------------------------- splits
def test_stratified_permutation_is_a_permutation_with_stratified_prefixes():
    y = np.r_[np.zeros(70, int), np.ones(30, int)]
    order = S.stratified_permutation(100, rng=0, y=y)
    assert sorted(order.tolist()) == list(range(100))
    for n in range(1, 101):
        assert abs(y[order[:n]].sum() - 0.3 * n) <= 1.0       # each prefix within one example of 30 %
    np.testing.assert_array_equal(order, S.stratified_permutation(100, rng=0, y=y))
    assert not np.array_equal(order, S.stratified_permutation(100, rng=1, y=y))
    assert sorted(S.stratified_permutation(5, rng=0).tolist()) == [0, 1, 2, 3, 4]


def test_holdout_sizes_disjoint_cover_and_stratified():
    y = np.r_[np.zeros(60, int), np.ones(40, int)]
    s = S.holdout_indices(100, dev_fraction=0.2, test_fraction=0.3, rng=3, y=y)
    assert (len(s.train), len(s.dev), len(s.test)) == (50, 20, 30)
    allidx = np.concatenate([s.train, s.dev, s.test])
    assert sorted(allidx.tolist()) == list(range(100))
    assert y[s.dev].sum() == 8 and y[s.test].sum() == 12        # 40 % of 20 and of 30
    s2 = S.holdout_indices(100, dev_fraction=0.2, rng=3)
    assert len(s2.test) == 0 and len(s2.dev) == 20


def test_holdout_bad_input():
    with pytest.raises(ValueError, match="'dev_fraction'"):
        S.holdout_indices(10, dev_fraction=1.0)
    with pytest.raises(ValueError, match="'test_fraction'"):
        S.holdout_indices(10, dev_fraction=0.5, test_fraction=0.5)
    with pytest.raises(TypeError, match="'m'"):
        S.holdout_indices(10.0)
    with pytest.raises(ValueError, match="'m'"):
        S.holdout_indices(1)
    with pytest.raises(ValueError, match="'y'"):
        S.holdout_indices(10, y=[0, 1])
    with pytest.raises(TypeError, match="'rng'"):
        S.holdout_indices(10, rng="seed")


def test_kfold_partitions_with_balanced_sizes_and_classes():
    y = np.r_[np.zeros(23, int), np.ones(14, int)]
    folds = S.kfold_indices(37, k=5, rng=1, y=y)
    devs = np.concatenate([dv for _, dv in folds])
    assert sorted(devs.tolist()) == list(range(37))                          # dev parts partition the rows
    for tr, dv in folds:
        assert sorted(np.r_[tr, dv].tolist()) == list(range(37))            # train is the complement
    sizes = [len(dv) for _, dv in folds]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == 37
    pos = [int(y[dv].sum()) for _, dv in folds]
    assert max(pos) - min(pos) <= 1 and sum(pos) == 14
    plain = S.kfold_indices(10, k=3, rng=0)
    assert sorted(len(dv) for _, dv in plain) == [3, 3, 4]


def test_kfold_bad_input():
    with pytest.raises(ValueError, match="'k'"):
        S.kfold_indices(4, k=5)
    with pytest.raises(ValueError, match="'k'"):
        S.kfold_indices(4, k=1)


# ----------------------------------------------------------- validation curve
@pytest.fixture(scope="module")
def small_problem():
    d = S.load_breast_cancer()
    rows = S.stratified_permutation(569, rng=0, y=d.y)[:60]
    return d.X[rows], d.y[rows]


def test_validation_curve_equals_one_network_trainings(small_problem):
    """Every (split, λ) entry must be what L.train gives on that split, standardized by hand."""
    X, y = small_problem
    lams = [0.0, 0.3, 3.0]
    splits = S.kfold_indices(len(y), k=3, rng=0, y=y)
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
    split = S.holdout_indices(len(y), dev_fraction=0.25, rng=0, y=y)
    c = S.validation_curve(X, y, lams, [(split.train, split.dev)], hidden_sizes=(), lr=0.5, epochs=400, rng=0)
    assert np.all(np.diff(c.train_loss[0]) > 0)
    assert np.all(np.diff(c.weight_norm[0]) < 0)
    assert c.penalty[0, 0] == 0.0


def test_validation_curve_history_and_unstandardized_option(small_problem):
    X, y = small_problem
    Xs, = S.standardize(X)
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
    c = S.validation_curve(X, y, [0.0, 1.0], S.kfold_indices(60, 3, rng=0), hidden_sizes=(2,), epochs=3)
    fig, ax = plt.subplots()
    assert S.plot_validation_curve(c, ax=ax) is ax
    lines = {l.get_label(): l for l in ax.get_lines()}
    np.testing.assert_allclose(lines["dev loss"].get_ydata(), c.dev_loss.mean(axis=0))
    np.testing.assert_allclose(lines["training loss"].get_ydata(), c.train_loss.mean(axis=0))
    assert len(ax.collections) == 1                                   # the ±1 SE band
    plt.close(fig)
