"""Tests of l2lib's core: losses, network, penalty, gradients, training, data, sliders.

Known answers are worked by hand in the test or come from an independent
computation (central differences, a closed form), never from the code under test.
"""
import math

import numpy as np
import pytest

import l2lib as L


# ---------------------------------------------------------------- losses
def test_bce_matches_hand_worked_values():
    # z = 0: sigma = 1/2, loss = log 2 for either label; z = ln 3, y = 0: loss = -log(1 - 3/4) = log 4
    assert L.bce_from_logits(0.0, 1.0) == pytest.approx(math.log(2))
    assert L.bce_from_logits(0.0, 0.0) == pytest.approx(math.log(2))
    assert L.bce_from_logits(math.log(3), 0.0) == pytest.approx(math.log(4))


def test_cce_matches_hand_worked_value():
    # softmax(2, 0, -2)[1] = 1 / (e^2 + 1 + e^-2)
    expected = -math.log(1 / (math.exp(2) + 1 + math.exp(-2)))
    got = L.cce_from_logits(np.array([[2.0, 0.0, -2.0]]), np.array([[0.0, 1.0, 0.0]]))
    assert got[0] == pytest.approx(expected)


@pytest.mark.parametrize("z", [-1e4, -800.0, 0.0, 800.0, 1e4])
def test_losses_and_activations_stay_finite_for_extreme_logits(z):
    zz = np.array([z])
    for y in (0.0, 1.0):
        v = L.bce_from_logits(zz, y)[0]
        assert np.isfinite(v)
        # for |z| large the loss of the wrong label is |z| (to machine precision)
        if abs(z) >= 800 and (z > 0) != (y == 1):
            assert v == pytest.approx(abs(z))
    assert np.all(np.isfinite(L.sigmoid(zz)))
    Z = np.array([[z, 0.0, -z]])
    assert np.all(np.isfinite(L.softmax(Z)))
    assert np.all(np.isfinite(L.cce_from_logits(Z, np.array([[0.0, 1.0, 0.0]]))))
    assert L.softmax(Z).sum() == pytest.approx(1.0)


def test_sigmoid_is_symmetric():
    z = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(L.sigmoid(z) + L.sigmoid(-z), 1.0, rtol=0, atol=1e-15)


# ---------------------------------------------------------------- network
def test_forward_by_hand_on_a_tiny_network():
    # 1 input -> 2 ReLU units -> 1 identity output
    W1, b1 = np.array([[1.0, -1.0]]), np.array([0.0, 0.5])
    W2, b2 = np.array([[2.0], [3.0]]), np.array([-1.0])
    X = np.array([[1.0], [-2.0]])
    # x=1: h = relu(1, -0.5) = (1, 0); out = 2 - 1 = 1
    # x=-2: h = relu(-2, 2.5) = (0, 2.5); out = 7.5 - 1 = 6.5
    A, _ = L.forward([(W1, b1), (W2, b2)], X, hidden="relu", output="identity")
    np.testing.assert_allclose(A[:, 0], [1.0, 6.5])


def test_flatten_unflatten_roundtrip_and_weight_mask():
    p = L.init_params([3, 4, 2], rng=1)
    th = L.flatten(p)
    assert th.shape == (3 * 4 + 4 + 4 * 2 + 2,)
    q = L.unflatten(th, p)
    for (W, b), (V, c) in zip(p, q):
        np.testing.assert_array_equal(W, V)
        np.testing.assert_array_equal(b, c)
    mask = L.weight_mask(p)
    assert mask.sum() == 3 * 4 + 4 * 2
    # biases are where init put zeros
    assert np.all(th[~mask] == 0)


def test_init_is_seeded_and_scaled():
    a = L.init_params([50, 400, 1], rng=7)
    b = L.init_params([50, 400, 1], rng=7)
    np.testing.assert_array_equal(a[0][0], b[0][0])
    # He scaling: var = 2 / n_in
    assert np.var(a[0][0]) == pytest.approx(2 / 50, rel=0.1)
    t = L.init_params([50, 400, 1], rng=7, hidden="tanh")
    assert np.var(t[0][0]) == pytest.approx(1 / 50, rel=0.1)


# ---------------------------------------------------------------- penalty
def test_frobenius_and_penalty_by_hand():
    W1 = np.array([[1.0, 2.0], [3.0, 4.0]])          # sum of squares 30
    W2 = np.array([[2.0], [0.0]])                     # sum of squares 4
    p = [(W1, np.array([5.0, 5.0])), (W2, np.array([7.0]))]
    assert L.frobenius_sq(W1) == 30.0
    # lambda / (2m) * (30 + 4) with lambda = 3, m = 6  ->  3/12 * 34 = 8.5
    assert L.l2_penalty(p, 3.0, 6) == pytest.approx(8.5)
    # only the second layer: 3/12 * 4 = 1
    assert L.l2_penalty(p, 3.0, 6, layers=[1]) == pytest.approx(1.0)
    # including biases (the mistake): + 3/12 * (50 + 49)
    assert L.l2_penalty(p, 3.0, 6, include_bias=True) == pytest.approx(8.5 + 99 / 4)
    g = L.l2_penalty_grad(p, 3.0, 6)
    np.testing.assert_allclose(g[0][0], 0.5 * W1)
    assert np.all(g[0][1] == 0) and np.all(g[1][1] == 0)


def _problem(output="sigmoid", seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(7, 3))
    if output == "sigmoid":
        return X, (rng.random(7) > 0.5).astype(int), [3, 5, 4, 1]
    if output == "softmax":
        return X, rng.integers(0, 3, 7), [3, 5, 4, 3]
    return X, rng.normal(size=7), [3, 5, 4, 1]


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "identity"])
@pytest.mark.parametrize("hidden", ["relu", "tanh"])
@pytest.mark.parametrize("lam", [0.0, 0.1, 1.0, 10.0])
def test_gradient_matches_central_differences(output, hidden, lam):
    X, y, sizes = _problem(output)
    p = L.init_params(sizes, rng=3, hidden=hidden)
    p = [(W, b + 0.1) for W, b in p]  # move biases off zero so every term is exercised
    err = L.gradient_check(p, X, y, lam, hidden=hidden, output=output)
    assert err < 1e-7


def test_penalty_gradient_is_lambda_over_m_times_W():
    X, y, sizes = _problem()
    p = L.init_params(sizes, rng=0)
    _, g0 = L.cost_and_grads(p, X, y, 0.0)
    _, g1 = L.cost_and_grads(p, X, y, 2.0)
    m = X.shape[0]
    for (W, b), (dW0, db0), (dW1, db1) in zip(p, g0, g1):
        np.testing.assert_allclose(dW1 - dW0, 2.0 / m * W, atol=1e-14)
        np.testing.assert_array_equal(db1, db0)  # biases: unchanged by the penalty


def test_lambda_zero_gives_the_unregularized_cost():
    X, y, sizes = _problem()
    p = L.init_params(sizes, rng=0)
    parts = L.cost(p, X, y, 0.0)
    assert parts.penalty == 0.0 and parts.total == parts.data
    # and the data term is the plain mean BCE computed independently
    A, cache = L.forward(p, X)
    manual = -np.mean(y * np.log(A[:, 0]) + (1 - y) * np.log(1 - A[:, 0]))
    assert parts.data == pytest.approx(manual, rel=1e-12)


def test_layer_selection_changes_only_chosen_gradients():
    X, y, sizes = _problem()
    p = [(W, b + 0.1) for W, b in L.init_params(sizes, rng=0)]  # off the ReLU kink
    _, g0 = L.cost_and_grads(p, X, y, 0.0)
    _, g = L.cost_and_grads(p, X, y, 1.0, layers=[2])
    np.testing.assert_array_equal(g[0][0], g0[0][0])
    np.testing.assert_array_equal(g[1][0], g0[1][0])
    assert not np.allclose(g[2][0], g0[2][0])
    assert L.gradient_check(p, X, y, 1.0, layers=[2]) < 1e-7


# ---------------------------------------------------------------- training
def test_larger_lambda_gives_smaller_trained_weights():
    X, y = L.make_moons(40, 0.3, rng=0)
    p0 = L.init_params([2, 16, 1], rng=0)
    norms = []
    for lam in [0.0, 0.3, 3.0]:
        p, _ = L.train(p0, X, y, lam=lam, lr=0.5, epochs=300, record_every=300)
        norms.append(sum(L.frobenius_sq(W) for W, _ in p))
    assert norms[0] > norms[1] > norms[2]


def test_training_lowers_the_regularized_cost_and_records_history():
    X, y = L.make_moons(30, 0.2, rng=1)
    p0 = L.init_params([2, 8, 1], rng=1)
    _, h = L.train(p0, X, y, lam=0.5, lr=0.5, epochs=200, record_every=50, X_dev=X, y_dev=y)
    assert list(h["epoch"]) == [0, 50, 100, 150, 200]
    assert h["total"][-1] < h["total"][0]
    np.testing.assert_allclose(h["total"], h["data"] + h["penalty"])
    assert h["norms"].shape == (5, 2)
    # dev = train here, so the dev accuracy equals the train accuracy
    np.testing.assert_array_equal(h["dev_acc"], h["train_acc"])


def test_minibatch_step_uses_full_m_in_the_penalty():
    # one epoch with batch_size = m must equal one full-batch step
    X, y = L.make_moons(12, 0.2, rng=2)
    p0 = L.init_params([2, 4, 1], rng=2)
    a, _ = L.train(p0, X, y, lam=1.0, lr=0.1, epochs=1, rng=0)
    b, _ = L.train(p0, X, y, lam=1.0, lr=0.1, epochs=1, batch_size=12, rng=0)
    for (W, _), (V, _) in zip(a, b):
        np.testing.assert_allclose(W, V, atol=1e-14)
    # batches of 4 out of m = 12: each of the three steps is W <- W - lr*(dW_batch + (lam/m) W) with
    # m = 12, the training-set size, not the batch size 4 (that would decay W three times as fast).
    # Reference: the same index sets (l2lib.training.batches with the same seed), the data gradient alone
    # (lam = 0: the batch mean, checked by finite differences in this file) and the penalty by hand.
    from l2lib.training import batches

    lam, lr, m = 10.0, 0.1, 12
    c, _ = L.train(p0, X, y, lam=lam, lr=lr, epochs=1, batch_size=4, rng=0)
    ref = [(W.copy(), bb.copy()) for W, bb in p0]
    steps = batches(m, 4, np.random.default_rng(0))
    assert [len(idx) for idx in steps] == [4, 4, 4]
    for idx in steps:
        _, g = L.cost_and_grads(ref, X[idx], y[idx], 0.0)
        ref = [(W - lr * (dW + lam / m * W), bb - lr * db) for (W, bb), (dW, db) in zip(ref, g)]
    for (W, bb), (V, cc) in zip(c, ref):
        np.testing.assert_allclose(W, V, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(bb, cc, rtol=1e-12, atol=1e-14)


def test_train_many_matches_train_for_each_lambda():
    X, y = L.make_moons(20, 0.3, rng=0)
    Xd, yd = L.make_moons(50, 0.3, rng=1)
    p0 = L.init_params([2, 6, 5, 1], rng=0)
    lams = [0.0, 0.5, 2.0]
    many, hm = L.train_many(p0, X, y, lams, lr=0.3, epochs=40, X_dev=Xd, y_dev=yd, record_every=20)
    for k, lam in enumerate(lams):
        one, h1 = L.train(p0, X, y, lam=lam, lr=0.3, epochs=40, X_dev=Xd, y_dev=yd, record_every=20)
        for (W, b), (V, c) in zip(one, many[k]):
            np.testing.assert_allclose(W, V, rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(b, c, rtol=1e-12, atol=1e-14)
        for key in ("data", "penalty", "train_acc", "dev_acc", "dev_data"):
            np.testing.assert_allclose(hm[key][:, k], h1[key], rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(hm["norms"][:, k], h1["norms"], rtol=1e-10)


def test_train_many_softmax_matches_train():
    X, y = L.make_blobs(30, 3, rng=0)
    p0 = L.init_params([2, 5, 3], rng=0, hidden="tanh")
    many, _ = L.train_many(p0, X, y, [0.0, 1.0], lr=0.2, epochs=25, hidden="tanh", output="softmax")
    one, _ = L.train(p0, X, y, lam=1.0, lr=0.2, epochs=25, hidden="tanh", output="softmax")
    np.testing.assert_allclose(many[1][0][0], one[0][0], rtol=1e-12)


def test_divergence_is_reported_with_the_likely_cause():
    X, y = L.make_moons(10, 0.1, rng=0)
    p0 = L.init_params([2, 3, 1], rng=0)
    with pytest.raises(FloatingPointError, match="lr"):
        L.train(p0, X, y, lam=1e6, lr=10.0, epochs=400)
    with pytest.raises(FloatingPointError, match="lr"):
        L.train_many(p0, X, y, [0.0, 1e6], lr=10.0, epochs=400)


# ---------------------------------------------------------------- data
def test_make_moons_is_seeded_balanced_and_standardized():
    X1, y1 = L.make_moons(41, 0.2, rng=5)
    X2, y2 = L.make_moons(41, 0.2, rng=5)
    np.testing.assert_array_equal(X1, X2)
    assert X1.shape == (41, 2) and set(np.unique(y1)) == {0, 1}
    assert np.bincount(y1).tolist() == [21, 20]
    np.testing.assert_allclose(X1.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X1.std(axis=0), 1)


def test_train_dev_split_partitions_the_data():
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10) % 2
    Xt, yt, Xd, yd = L.train_dev_split(X, y, 0.3, rng=0)
    assert len(Xd) == 3 and len(Xt) == 7
    assert sorted(np.r_[Xt[:, 0], Xd[:, 0]].tolist()) == X[:, 0].tolist()


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("lam", [-1.0, float("nan"), float("inf")])
def test_bad_lambda_is_rejected_with_a_clear_message(lam):
    X, y, sizes = _problem()
    p = L.init_params(sizes, rng=0)
    with pytest.raises(ValueError, match=r"The 'lam' parameter must be a float in the range \[0, inf\)\. Got"):
        L.cost(p, X, y, lam)


def test_lambda_of_wrong_type_is_a_type_error():
    X, y, sizes = _problem()
    with pytest.raises(TypeError, match="'lam'"):
        L.cost(L.init_params(sizes, rng=0), X, y, "0.1")


@pytest.mark.parametrize("lr", [0.0, -0.1, float("nan")])
def test_bad_learning_rate_is_rejected(lr):
    X, y, sizes = _problem()
    with pytest.raises(ValueError, match=r"The 'lr' parameter must be a float in the range \(0, inf\)\. Got"):
        L.train(L.init_params(sizes, rng=0), X, y, lr=lr, epochs=1)


def test_shape_mismatch_empty_data_and_labels_out_of_range():
    p = L.init_params([3, 2, 1], rng=0)
    with pytest.raises(ValueError, match="'X' parameter must be an array with 3 columns.*shape \\(4, 2\\)"):
        L.forward(p, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="non-empty"):
        L.cost(p, np.zeros((0, 3)), np.zeros(0))
    with pytest.raises(ValueError, match="one label per row of X"):
        L.cost(p, np.zeros((4, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"binary labels in \{0, 1\}\. Got 2"):
        L.cost(p, np.zeros((2, 3)), np.array([0, 2]))
    q = L.init_params([3, 2, 3], rng=0)
    with pytest.raises(ValueError, match=r"class labels in the range \[0, 2\]\. Got 3"):
        L.cost(q, np.zeros((2, 3)), np.array([0, 3]), output="softmax")
    with pytest.raises(ValueError, match="'layers' parameter must be a list of layer indices in the range \\[0, 1\\]"):
        L.l2_penalty(p, 1.0, 4, layers=[2])
    with pytest.raises(ValueError, match="'hidden' parameter must be one of 'relu', 'tanh'. Got 'sigmoid'"):
        L.forward(p, np.zeros((1, 3)), hidden="sigmoid")
    with pytest.raises(ValueError, match="finite"):
        L.forward(p, np.array([[0.0, np.nan, 1.0]]))


def test_bad_rng_and_params_structure():
    with pytest.raises(TypeError, match="'rng'"):
        L.make_moons(10, rng="seed")
    W = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"Got W_1 \(3, 2\) and b_1 \(3,\)"):
        L.forward([(W, np.zeros(3))], np.zeros((1, 3)))


# ---------------------------------------------------------------- sliders
def _render(lam, flag=False):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, lam + (1 if flag else 0)])
    ax.set_ylim(0, 5)
    return fig


def test_lambda_slider_renders_one_distinct_frame_per_value():
    v = L.lambda_slider(_render, [0.0, 1.0, 2.0], alt="line at λ = {lam}")
    assert len(v.frames) == 3 and len(set(v.frames)) == 3
    assert all(f.startswith('<svg xmlns="http://www.w3.org/2000/svg"') for f in v.frames)
    assert v.alts == ["line at λ = 0", "line at λ = 1", "line at λ = 2"]
    assert v.frame(lam=2.0) == v.frames[2]
    html = v.html()
    assert 'type="range"' in html and 'max="2"' in html and "line at λ = 0" in html


def test_interactive_figure_indexes_combinations_in_product_order():
    v = L.interactive_figure(_render, {"lam": [0.0, 1.0], "flag": [False, True]}, alt="{lam} {flag}")
    assert v.shape == (2, 2)
    assert v.alts == ["0 off", "0 on", "1 off", "1 on"]
    assert v.index(lam=1.0, flag=False) == 2
    assert 'type="checkbox"' in v.html()


def test_live_widget_callback_swaps_precomputed_frames():
    v = L.interactive_figure(_render, {"lam": [0.0, 1.0, 2.0], "flag": [False, True]}, alt="x")
    w = v.widget()
    assert v._image.value == v.frames[0].encode()
    v.set(lam=2.0)
    assert v._image.value == v.frame(lam=2.0, flag=False).encode()
    v.set(flag=True)
    assert v._image.value == v.frame(lam=2.0, flag=True).encode()
    assert w is v.widget()


def test_slider_rejects_bad_values():
    with pytest.raises(ValueError, match="'lams' parameter must be a float in the range \\[0, inf\\)"):
        L.lambda_slider(_render, [0.0, -1.0], alt="x")
    with pytest.raises(ValueError, match="'controls' parameter"):
        L.interactive_figure(_render, {}, alt="x")
    v = L.lambda_slider(_render, [0.0, 1.0], alt="x")
    with pytest.raises(ValueError, match="'lam' control must take one of"):
        v.index(lam=0.5)


def test_lambda_grid():
    g = L.lambda_grid(1e-3, 10, 1)
    assert g == [0.0, 0.001, 0.01, 0.1, 1.0, 10.0]
    with pytest.raises(ValueError, match="'hi' parameter"):
        L.lambda_grid(1.0, 0.1)
