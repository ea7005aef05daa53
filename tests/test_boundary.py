"""Issue 12's bad inputs and silent divergence, each checked at l2lib's public boundary.

Divergence cases are worked by hand on a one-weight linear model (identity
output, half squared error) with X = [[1], [-1]], y = [0, 0], so m = 2, the
features have mean 0 and Σx²/m = 1. With W = [[w]], b = 0 the regularized cost
is J = ½w² + (λ/2m)w² and one gradient step multiplies w by
1 − η(1 + λ/m): it diverges exactly when η(1 + λ/m) > 2.
"""
from __future__ import annotations

import numpy as np
import pytest

import l2lib as L
from l2lib import optim as O
from l2lib import selection as S


def line():
    X = np.array([[1.0], [-1.0]])
    y = np.array([0.0, 0.0])
    p0 = [(np.array([[1.0]]), np.array([0.0]))]
    return p0, X, y


IDENT = dict(output="identity")


# ---------------------------------------------------------------- divergence
def test_train_without_penalty_stops_when_the_cost_explodes():
    # lr = 3, curvature 1: w_t = (-2)^t, J_t = 0.5 * 4^t. The threshold is 1e6 * max(J_0, 1) = 1e6:
    # J_10 = 524288 is below it, J_11 = 2097152 above, so training stops at epoch 11.
    p0, X, y = line()
    with pytest.raises(FloatingPointError) as e:
        L.train(p0, X, y, lam=0.0, lr=3.0, epochs=50, **IDENT)
    msg = str(e.value)
    assert "at epoch 11:" in msg
    assert "lr=3.0, lam=0.0, m=2" in msg and "1 - lr*lam/m = 1 " in msg and "lower 'lr'" in msg


def test_train_with_penalty_names_the_decay_factor():
    # lr = 1.5, lam = 2, m = 2: lr*lam/m = 1.5, factor 1 - 1.5 = -0.5; w is multiplied by
    # 1 - 1.5 * (1 + 1) = -2 per step and J_t = w_t^2 = 4^t: J_9 = 262144 < 1e6 < J_10 = 1048576.
    p0, X, y = line()
    with pytest.raises(FloatingPointError) as e:
        L.train(p0, X, y, lam=2.0, lr=1.5, epochs=50, **IDENT)
    msg = str(e.value)
    assert "at epoch 10:" in msg and "from 1 to 1.049e+06" in msg
    assert "lr=1.5, lam=2.0, m=2" in msg and "lr*lam/m = 1.5" in msg and "1 - lr*lam/m = -0.5" in msg


def test_stable_side_of_the_threshold_trains_without_error():
    # lr = 1.9 < 2 / curvature: w is multiplied by -0.9 per step and the run converges.
    p0, X, y = line()
    p, h = L.train(p0, X, y, lam=0.0, lr=1.9, epochs=50, **IDENT)
    assert p[0][0][0, 0] == pytest.approx((-0.9) ** 50, rel=1e-9)
    assert np.all(np.isfinite(h["total"]))


def test_train_many_names_the_diverging_lambda():
    # lam = 0: factor 1 - 1.5 = -0.5, converges; lam = 2 diverges as above, detected at epoch 10.
    p0, X, y = line()
    with pytest.raises(FloatingPointError) as e:
        L.train_many(p0, X, y, [0.0, 2.0], lr=1.5, epochs=50, record_every=1, **IDENT)
    msg = str(e.value)
    assert "at epoch 10:" in msg and "lam=2.0, m=2" in msg and "1 - lr*lam/m = -0.5" in msg


def test_decoupled_decay_stops_too():
    # SGD with d = lr*lam/m = 1.5 takes the same steps as the coupled run above: it diverges at epoch 10,
    # after a warning that the factor 1 - d is -0.5.
    p0, X, y = line()
    with pytest.warns(O.DecayFactorWarning, match="is -0.5"):
        with pytest.raises(FloatingPointError, match=r"at epoch 10:.*lr=1\.5, lam=0\.0, m=2.*d=1\.5"):
            L.train(p0, X, y, rule=O.SGD(lr=1.5, d=1.5), epochs=50, **IDENT)


def test_cost_checked_at_the_last_epoch_even_when_not_recorded_before():
    # record_every larger than epochs: only epoch 0 and the last are recorded; J_12 = 0.5 * 4^12 > 1e6.
    p0, X, y = line()
    with pytest.raises(FloatingPointError, match="at epoch 12:"):
        L.train(p0, X, y, lr=3.0, epochs=12, record_every=100, **IDENT)


def test_issue_examples_are_no_longer_silent():
    X, y = L.make_moons(40, 0.1, rng=0)
    p0 = L.init_params([2, 8, 1], rng=0)
    with pytest.raises(FloatingPointError, match=r"lr=1000\.0, lam=0\.1, m=40, so lr\*lam/m = 2\.5"):
        L.train(p0, X, y, lam=0.1, lr=1000, epochs=50)
    # 0.5 * 200 / 40 = 2.5: the factor is 1 - 2.5 = -1.5
    with pytest.raises(FloatingPointError, match=r"lr=0\.5, lam=200\.0, m=40.*1 - lr\*lam/m = -1\.5"):
        L.train(p0, X, y, lam=200, lr=0.5, epochs=1000)


# ---------------------------------------------------------------- dtypes
def test_float32_and_int_params_are_promoted_to_float64():
    p32 = [(np.array([[1.5]], dtype=np.float32), np.array([0.0], dtype=np.float32))]
    (gW, gb), = L.l2_penalty_grad(p32, lam=2.0, m=4)          # (λ/m) W = 0.5 * 1.5
    assert gW.dtype == np.float64 and gW[0, 0] == 0.75 and gb.dtype == np.float64
    pint = [(np.array([[2]]), np.array([0]))]
    assert L.l2_penalty(pint, lam=1.0, m=1) == 2.0            # (1/2) * 4
    _, X, y = line()
    p, _ = L.train(p32, X, y, lr=0.1, epochs=1, **IDENT)
    assert p[0][0].dtype == np.float64


def test_params_as_nested_lists_are_converted():
    _, X, y = line()
    nested = [[[[1.0]], [0.5]]]
    assert L.cost(nested, X, y, **IDENT).data == pytest.approx(0.5 * (1.5 ** 2 + 0.5 ** 2) / 2)
    with pytest.raises(TypeError, match="'params' parameter"):
        L.cost([([[1.0, 2.0], [3.0]], [0.0])], X, y, **IDENT)                # ragged


def test_params_without_biases():
    X, y = L.make_moons(10, 0.1, rng=0)
    p = L.init_params([2, 8, 1], rng=0)
    with pytest.raises(TypeError, match=r"'params' parameter must be a non-empty list of \(W, b\) pairs"):
        L.cost([W for W, _ in p], X, y)
    with pytest.raises(TypeError, match="'params' parameter"):
        L.train([W for W, _ in p], X, y, epochs=1)


def test_nan_in_params():
    X, y = L.make_moons(10, 0.1, rng=0)
    p = L.init_params([2, 3, 1], rng=0)
    p[1][0][0, 0] = np.nan
    for f in (lambda: L.cost(p, X, y), lambda: L.forward(p, X), lambda: L.train(p, X, y, epochs=1),
              lambda: L.train_many(p, X, y, [0.0], epochs=1), lambda: L.train(p, X, y, epochs=1, rule=O.Momentum(0.1))):
        with pytest.raises(ValueError, match="'params' parameter must be finite.*layer 2"):
            f()


# ---------------------------------------------------------------- X and y
def test_scalar_y():
    p, X, _ = line()
    with pytest.raises(ValueError, match="'y' parameter must be an array of labels"):
        L.cost(p, X, 0.0, **IDENT)
    with pytest.raises(ValueError, match="'y' parameter"):
        L.train(p, X, 0.0, epochs=1, **IDENT)


def test_X_of_strings():
    p, X, y = line()
    with pytest.raises(TypeError, match="'X' parameter must be a 2-D array of numbers"):
        L.cost(p, np.array([["a"], ["b"]]), y, **IDENT)
    with pytest.raises(TypeError, match="'X' parameter"):
        L.train(p, [["1"], ["2"]], y, epochs=1, **IDENT)


# ---------------------------------------------------------------- steps
def test_sgd_step_with_too_few_gradients():
    p = L.init_params([2, 3, 1], rng=0)
    g = [(np.zeros((2, 3)), np.zeros(3))]                       # layer 2 missing
    with pytest.raises(ValueError, match="'grads' parameter must hold one"):
        L.sgd_step(p, g, 0.1)
    with pytest.raises(ValueError, match="'grads' parameter"):
        O.l2_step(p, g, 0.1, 0.0, 1)


# ---------------------------------------------------------------- λ grids
@pytest.mark.parametrize("lams", [[1.0, 0.0], [0.0, 0.1, 0.1], []])
def test_lambda_grids_must_be_strictly_increasing(lams):
    X, y = L.make_moons(20, 0.1, rng=0)
    p = L.init_params([2, 3, 1], rng=0)
    with pytest.raises(ValueError, match="'lams' parameter must be a non-empty, strictly increasing"):
        L.train_many(p, X, y, lams, epochs=1)
    with pytest.raises(ValueError, match="'lams' parameter must be a non-empty, strictly increasing"):
        S.validation_curve(X, y, lams, [(np.arange(15), np.arange(15, 20))], epochs=1)


# ---------------------------------------------------------------- dev sets
@pytest.mark.parametrize("fit", ["train", "train_many", "optim"])
def test_dev_set_problems_name_X_dev_and_y_dev(fit):
    X, y = L.make_moons(20, 0.1, rng=0)
    p = L.init_params([2, 3, 1], rng=0)
    run = {"train": lambda **kw: L.train(p, X, y, epochs=1, **kw),
           "train_many": lambda **kw: L.train_many(p, X, y, [0.0], epochs=1, **kw),
           "optim": lambda **kw: L.train(p, X, y, epochs=1, rule=O.Adam(0.01), **kw)}[fit]
    with pytest.raises(ValueError, match="'X_dev' parameter must be an array with 2 columns"):
        run(X_dev=X[:, :1], y_dev=y)
    with pytest.raises(ValueError, match=r"'y_dev' parameter must have one label per row of X_dev \(m = 20\)"):
        run(X_dev=X, y_dev=y[:5])
    with pytest.raises(ValueError, match="'y_dev' parameter must be given together with 'X_dev'"):
        run(X_dev=X)
    with pytest.raises(ValueError, match="'y_dev' parameter must hold binary labels"):
        run(X_dev=X, y_dev=y + 2)
