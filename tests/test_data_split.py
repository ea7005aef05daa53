"""Tests for l2lib.data's real data set, standardization and splits.

The shipped Breast Cancer Wisconsin file, ``standardize``, the stratified
splits, and ``development_split``, the one home of Chapter 6's split (also used
by the appendix). Expected values are worked by hand or taken from the
published data. For ``development_split`` the expected indices are built here
by hand from numpy's default_rng, following the documented recipe (shuffle each
class separately, interleave the classes evenly, cut the order), and expected
sizes and class shares are the ones Chapter 6 prints; none comes from the
function under test.
"""
import hashlib
from importlib import resources

import numpy as np
import pytest

from l2lib import data as D


# ------------------------------------------------------------------ data set
def test_breast_cancer_matches_the_published_data():
    d = D.load_breast_cancer()
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
    a, b = D.standardize(np.array([[0.0, 5.0], [2.0, 5.0]]), np.array([[4.0, 7.0]]))
    np.testing.assert_allclose(a, [[-1.0, 0.0], [1.0, 0.0]])     # constant column is only centred
    np.testing.assert_allclose(b, [[3.0, 2.0]])                   # (4 - 1)/1 and 7 - 5
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 2.0, (50, 4))
    Xs, = D.standardize(X)
    np.testing.assert_allclose(Xs.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Xs.std(axis=0), 1.0)


def test_standardize_bad_input():
    with pytest.raises(ValueError, match="'X_fit'"):
        D.standardize(np.ones(3))
    with pytest.raises(ValueError, match="2 columns"):
        D.standardize(np.ones((3, 2)), np.ones((2, 3)))


# -------------------------------------------------------------------- splits
def test_stratified_permutation_is_a_permutation_with_stratified_prefixes():
    y = np.r_[np.zeros(70, int), np.ones(30, int)]
    order = D.stratified_permutation(100, rng=0, y=y)
    assert sorted(order.tolist()) == list(range(100))
    for n in range(1, 101):
        assert abs(y[order[:n]].sum() - 0.3 * n) <= 1.0       # each prefix within one example of 30 %
    np.testing.assert_array_equal(order, D.stratified_permutation(100, rng=0, y=y))
    assert not np.array_equal(order, D.stratified_permutation(100, rng=1, y=y))
    assert sorted(D.stratified_permutation(5, rng=0).tolist()) == [0, 1, 2, 3, 4]


def test_holdout_sizes_disjoint_cover_and_stratified():
    y = np.r_[np.zeros(60, int), np.ones(40, int)]
    s = D.holdout_indices(100, dev_fraction=0.2, test_fraction=0.3, rng=3, y=y)
    assert (len(s.train), len(s.dev), len(s.test)) == (50, 20, 30)
    allidx = np.concatenate([s.train, s.dev, s.test])
    assert sorted(allidx.tolist()) == list(range(100))
    assert y[s.dev].sum() == 8 and y[s.test].sum() == 12        # 40 % of 20 and of 30
    s2 = D.holdout_indices(100, dev_fraction=0.2, rng=3)
    assert len(s2.test) == 0 and len(s2.dev) == 20


def test_holdout_bad_input():
    with pytest.raises(ValueError, match="'dev_fraction'"):
        D.holdout_indices(10, dev_fraction=1.0)
    with pytest.raises(ValueError, match="'test_fraction'"):
        D.holdout_indices(10, dev_fraction=0.5, test_fraction=0.5)
    with pytest.raises(TypeError, match="'m'"):
        D.holdout_indices(10.0)
    with pytest.raises(ValueError, match="'m'"):
        D.holdout_indices(1)
    with pytest.raises(ValueError, match="'y'"):
        D.holdout_indices(10, y=[0, 1])
    with pytest.raises(TypeError, match="'rng'"):
        D.holdout_indices(10, rng="seed")


def test_kfold_partitions_with_balanced_sizes_and_classes():
    y = np.r_[np.zeros(23, int), np.ones(14, int)]
    folds = D.kfold_indices(37, k=5, rng=1, y=y)
    devs = np.concatenate([dv for _, dv in folds])
    assert sorted(devs.tolist()) == list(range(37))                          # dev parts partition the rows
    for tr, dv in folds:
        assert sorted(np.r_[tr, dv].tolist()) == list(range(37))            # train is the complement
    sizes = [len(dv) for _, dv in folds]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == 37
    pos = [int(y[dv].sum()) for _, dv in folds]
    assert max(pos) - min(pos) <= 1 and sum(pos) == 14
    plain = D.kfold_indices(10, k=3, rng=0)
    assert sorted(len(dv) for _, dv in plain) == [3, 3, 4]


def test_kfold_bad_input():
    with pytest.raises(ValueError, match="'k'"):
        D.kfold_indices(4, k=5)
    with pytest.raises(ValueError, match="'k'"):
        D.kfold_indices(4, k=1)



# ------------------------------------------------- Chapter 6's development split
def _hand_order(idx, seed, y):
    """Stratified random order of the rows ``idx``: each class shuffled with its own draw, then interleaved."""
    rng = np.random.default_rng(seed)
    pos = np.arange(len(idx))
    strata = [rng.permutation(pos[y[idx] == c]) for c in np.unique(y[idx])]
    keys = np.concatenate([(np.arange(len(s)) + 0.5) / len(s) for s in strata])
    return idx[np.concatenate(strata)[np.argsort(keys, kind="stable")]]


def _hand_split(y, n_devel, n_test, n_dev, seeds=(0, 1, 2)):
    every = np.arange(len(y))
    first = _hand_order(every, seeds[0], y)
    test, pool = np.sort(first[:n_test]), np.sort(first[n_test:])
    order = _hand_order(pool, seeds[1], y)
    devel = order[:n_devel]
    inner = _hand_order(np.arange(n_devel), seeds[2], y[devel])
    return test, pool, order, devel, np.sort(inner[n_dev:]), np.sort(inner[:n_dev])


def test_equals_chapter_6_split_built_by_hand():
    y = D.load_breast_cancer().y
    # Chapter 6: 30 % of 569 -> 171 sealed; 150 of the pool; one third of them (50) as dev rows
    test, pool, order, devel, train, dev = _hand_split(y, 150, 171, 50)
    s = D.development_split(y)
    for got, want in [(s.test, test), (s.pool, pool), (s.order, order), (s.devel, devel),
                      (s.hold.train, train), (s.hold.dev, dev)]:
        np.testing.assert_array_equal(got, want)
    assert s.hold.test.size == 0


def test_sizes_and_class_shares_are_the_ones_chapter_6_prints():
    y = D.load_breast_cancer().y
    s = D.development_split(y)
    # Chapter 6 prints: test 171 (37.4 % malignant), pool 398 (37.2 %), development 150 (37.3 %); 100 + 50
    assert (len(s.test), len(s.pool), len(s.devel)) == (171, 398, 150)
    assert (int(y[s.test].sum()), int(y[s.pool].sum()), int(y[s.devel].sum())) == (64, 148, 56)
    assert (len(s.hold.train), len(s.hold.dev)) == (100, 50)


def test_parts_are_disjoint_and_nested():
    y = np.r_[np.zeros(30, int), np.ones(12, int)]
    s = D.development_split(y, n_devel=15, test_fraction=0.25, dev_fraction=0.2)
    assert (len(s.test), len(s.pool), len(s.order), len(s.devel)) == (10, 32, 32, 15)   # round(0.25*42) = 10
    assert np.intersect1d(s.test, s.pool).size == 0
    np.testing.assert_array_equal(np.sort(np.r_[s.test, s.pool]), np.arange(42))
    np.testing.assert_array_equal(np.sort(s.order), s.pool)
    np.testing.assert_array_equal(s.devel, s.order[:15])
    assert (len(s.hold.train), len(s.hold.dev)) == (12, 3)                              # round(0.2*15) = 3
    assert np.intersect1d(s.hold.train, s.hold.dev).size == 0
    np.testing.assert_array_equal(np.sort(np.r_[s.hold.train, s.hold.dev]), np.arange(15))


def test_deterministic_given_rng():
    y = np.r_[np.zeros(40, int), np.ones(20, int)]
    a = D.development_split(y, n_devel=20)
    b = D.development_split(y, n_devel=20, rng_test=np.random.default_rng(0),
                            rng_order=np.random.default_rng(1), rng_hold=np.random.default_rng(2))
    c = D.development_split(y, n_devel=20, rng_order=5)
    np.testing.assert_array_equal(a.order, b.order)
    np.testing.assert_array_equal(a.hold.dev, b.hold.dev)
    np.testing.assert_array_equal(a.test, c.test)          # the sealed test set depends on rng_test only
    assert not np.array_equal(a.order, c.order)


def test_bad_input_names_the_parameter():
    y = np.r_[np.zeros(10, int), np.ones(10, int)]
    with pytest.raises(ValueError, match=r"The 'n_devel' parameter must be an int in the range \[2, 14\]. Got 15"):
        D.development_split(y, n_devel=15)
    with pytest.raises(ValueError, match=r"The 'y' parameter must be a 1-D array"):
        D.development_split(y.reshape(10, 2))
    with pytest.raises(TypeError, match=r"The 'rng_order' parameter must be a numpy Generator"):
        D.development_split(y, n_devel=5, rng_order="seed")
