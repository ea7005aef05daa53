"""Tests for S.development_split, the one home of Chapter 6's split (also used by the appendix).

Expected indices are built here by hand from numpy's default_rng, following the
documented recipe (shuffle each class separately, interleave the classes evenly,
cut the order), and expected sizes and class shares are the ones Chapter 6
prints; none comes from the function under test.
"""
import numpy as np
import pytest

from l2lib import selection as S


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
    y = S.load_breast_cancer().y
    # Chapter 6: 30 % of 569 -> 171 sealed; 150 of the pool; one third of them (50) as dev rows
    test, pool, order, devel, train, dev = _hand_split(y, 150, 171, 50)
    s = S.development_split(y)
    for got, want in [(s.test, test), (s.pool, pool), (s.order, order), (s.devel, devel),
                      (s.hold.train, train), (s.hold.dev, dev)]:
        np.testing.assert_array_equal(got, want)
    assert s.hold.test.size == 0


def test_sizes_and_class_shares_are_the_ones_chapter_6_prints():
    y = S.load_breast_cancer().y
    s = S.development_split(y)
    # Chapter 6 prints: test 171 (37.4 % malignant), pool 398 (37.2 %), development 150 (37.3 %); 100 + 50
    assert (len(s.test), len(s.pool), len(s.devel)) == (171, 398, 150)
    assert (int(y[s.test].sum()), int(y[s.pool].sum()), int(y[s.devel].sum())) == (64, 148, 56)
    assert (len(s.hold.train), len(s.hold.dev)) == (100, 50)


def test_parts_are_disjoint_and_nested():
    y = np.r_[np.zeros(30, int), np.ones(12, int)]
    s = S.development_split(y, n_devel=15, test_fraction=0.25, dev_fraction=0.2)
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
    a = S.development_split(y, n_devel=20)
    b = S.development_split(y, n_devel=20, rng_test=np.random.default_rng(0),
                            rng_order=np.random.default_rng(1), rng_hold=np.random.default_rng(2))
    c = S.development_split(y, n_devel=20, rng_order=5)
    np.testing.assert_array_equal(a.order, b.order)
    np.testing.assert_array_equal(a.hold.dev, b.hold.dev)
    np.testing.assert_array_equal(a.test, c.test)          # the sealed test set depends on rng_test only
    assert not np.array_equal(a.order, c.order)


def test_bad_input_names_the_parameter():
    y = np.r_[np.zeros(10, int), np.ones(10, int)]
    with pytest.raises(ValueError, match=r"The 'n_devel' parameter must be an int in the range \[2, 14\]. Got 15"):
        S.development_split(y, n_devel=15)
    with pytest.raises(ValueError, match=r"The 'y' parameter must be a 1-D array"):
        S.development_split(y.reshape(10, 2))
    with pytest.raises(TypeError, match=r"The 'rng_order' parameter must be a numpy Generator"):
        S.development_split(y, n_devel=5, rng_order="seed")
