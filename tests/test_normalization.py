"""Tests for l2lib.normalization: scale invariance under layer normalization and the equilibrium norm.

References: central differences (l2lib.numerical_gradient) for every backward pass, layer
normalization written out here, the per-step norm identity and the equilibrium norm measured
on training runs started at very different norms.
"""
import numpy as np
import pytest

import l2lib as L
from l2lib import normalization as N


@pytest.fixture(scope="module")
def moons():
    return L.make_moons(200, 0.2, rng=0)


def ln_reference(Z, eps=0.0):
    Z = np.asarray(Z, float)
    mu = Z.mean(axis=1, keepdims=True)
    return (Z - mu) / np.sqrt(((Z - mu) ** 2).mean(axis=1, keepdims=True) + eps)


# ------------------------------------------------------------------ layer normalization
def test_layer_norm_hand_worked_and_scale_invariant():
    np.testing.assert_allclose(N.layer_norm([[1.0, 2.0, 3.0]]), [[-np.sqrt(1.5), 0.0, np.sqrt(1.5)]], rtol=1e-15)
    Z = np.random.default_rng(0).normal(size=(6, 5))
    np.testing.assert_allclose(N.layer_norm(Z), ln_reference(Z), rtol=1e-14)
    for c in (1e-6, 0.3, 7.0, 1e6):
        np.testing.assert_allclose(N.layer_norm(c * Z), N.layer_norm(Z), atol=1e-14, rtol=0)
    # a positive eps (1e-5, the frameworks' default) breaks the invariance at small scale
    assert np.abs(N.layer_norm(1e-3 * Z, eps=1e-5) - N.layer_norm(Z, eps=1e-5)).max() > 0.5


def test_output_does_not_depend_on_the_hidden_norms(moons):
    X, _ = moons
    for hidden, output, sizes in [("relu", "sigmoid", [2, 8, 1]), ("tanh", "softmax", [2, 6, 5, 3]),
                                  ("relu", "identity", [2, 4, 4, 2])]:
        net = N.init_ln_net(sizes, rng=1, hidden=hidden, output=output)
        base = N.ln_predict_proba(net, X)
        for c in (1e-4, 0.5, 3.0, 1e4):
            # rounding only: LN divides the scale back out, relative error ~1e-16 per operation
            np.testing.assert_allclose(N.ln_predict_proba(N.rescale(net, c), X), base, atol=1e-13, rtol=0)
        # the output layer is not normalized: rescaling it does change the function
        out = net._replace(params=net.params[:-1] + [(2.0 * net.params[-1][0], net.params[-1][1])])
        assert np.abs(N.ln_predict_proba(out, X) - base).max() > 1e-2


# ------------------------------------------------------------------ gradients
@pytest.mark.parametrize("hidden,output,sizes,lam", [("relu", "sigmoid", [2, 5, 1], 0.0),
                                                     ("tanh", "sigmoid", [2, 4, 3, 1], 3.0),
                                                     ("tanh", "softmax", [2, 4, 3], 1.0),
                                                     ("relu", "identity", [2, 3, 4, 2], 0.5)])
def test_backward_matches_central_differences(hidden, output, sizes, lam):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(13, 2))
    y = {"sigmoid": rng.integers(0, 2, 13), "softmax": rng.integers(0, 3, 13),
         "identity": rng.normal(size=(13, 2))}[output]
    net = N.init_ln_net(sizes, rng=2, hidden=hidden, output=output)
    net = net._replace(params=[(W, rng.normal(0, 0.3, b.shape)) for W, b in net.params])
    _, grads = N.ln_cost_and_grads(net, X, y, lam)
    f = lambda th: N.ln_cost_and_grads(net._replace(params=L.unflatten(th, net.params)), X, y, lam)[0].total  # noqa: E731
    num = L.numerical_gradient(f, L.flatten(net.params))
    # central differences with eps = 1e-6: truncation ~1e-12, rounding ~1e-10 relative
    assert L.relative_error(L.flatten(grads), num) < 1e-7


def test_penalty_is_the_books_and_goes_through_the_kernels(moons):
    X, y = moons
    net = N.init_ln_net([2, 6, 1], rng=0)
    parts0, g0 = N.ln_cost_and_grads(net, X, y, 0.0)
    parts, g = N.ln_cost_and_grads(net, X, y, 4.0, m=100)
    sq = sum(np.sum(W ** 2) for W, _ in net.params)
    assert parts.penalty == pytest.approx(4.0 / 200 * sq, rel=1e-14)                  # lam / (2m) sum ||W||^2
    for (W, _), (a, b), (c, d) in zip(net.params, g0, g):
        np.testing.assert_allclose(c - a, 4.0 / 100 * W, rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(d, b)                                           # biases not penalized


def test_gradient_is_orthogonal_to_hidden_weights_and_scales_inversely(moons):
    X, y = moons
    net = N.init_ln_net([2, 8, 6, 1], rng=3, hidden="tanh")
    _, g = N.ln_cost_and_grads(net, X, y)
    for (W, _), (dW, _) in zip(net.params[:2], g[:2]):
        assert abs(np.sum(W * dW)) <= 1e-13 * np.linalg.norm(W) * np.linalg.norm(dW)
    W, dW = net.params[2][0], g[2][0]                                  # output layer: not scale invariant
    assert abs(np.sum(W * dW)) > 1e-3 * np.linalg.norm(W) * np.linalg.norm(dW)
    _, g3 = N.ln_cost_and_grads(N.rescale(net, 3.0, layers=[0]), X, y)
    np.testing.assert_allclose(g3[0][0], g[0][0] / 3.0, rtol=1e-10, atol=1e-16)


def test_effective_learning_rate_is_lr_over_norm_squared(moons):
    # one SGD step at norm r with lr equals, as a function, a step from the unit-norm weights with lr / r^2
    X, y = moons
    net = N.init_ln_net([2, 8, 1], rng=4)
    r = float(np.linalg.norm(net.params[0][0]))
    unit = N.rescale(net, 1.0 / r, layers=[0])
    lr = 0.7
    eff = float(N.effective_lr(lr, r))
    assert eff == pytest.approx(lr / r ** 2)

    def step_first_layer(n, rate):
        _, g = N.ln_cost_and_grads(n, X, y)
        return n._replace(params=[(n.params[0][0] - rate * g[0][0], n.params[0][1])] + n.params[1:])

    a = N.ln_predict_proba(step_first_layer(net, lr), X)
    b = N.ln_predict_proba(step_first_layer(unit, eff), X)
    np.testing.assert_allclose(a, b, atol=1e-13, rtol=0)
    assert np.abs(a - N.ln_predict_proba(step_first_layer(unit, lr), X)).max() > 1e-3   # lr itself is another step


# ------------------------------------------------------------------ the equilibrium norm
def test_each_step_obeys_the_norm_identity(moons):
    X, y = moons
    lr, lam, m = 0.2, 10.0, 200
    _, h = N.ln_train(N.init_ln_net([2, 12, 1], rng=1), X, y, lam=lam, lr=lr, epochs=5, batch_size=25, rng=0)
    delta = lr * lam / m
    r = h["step_norms"][:, 0]
    # ||W_{t+1}||^2 = (1 - delta)^2 ||W_t||^2 + lr^2 ||g_t||^2 because g_t is orthogonal to W_t
    pred = (1 - delta) ** 2 * r[:-1] ** 2 + lr ** 2 * h["step_grad_sq"][:-1, 0]
    np.testing.assert_allclose(r[1:] ** 2, pred, rtol=1e-12)
    assert np.abs(h["step_cos"][:, 0]).max() < 1e-12
    np.testing.assert_allclose(h["step_unit_grad_sq"], h["step_grad_sq"] * h["step_norms"] ** 2, rtol=1e-14)


def test_equilibrium_norm_is_reached_from_any_start(moons):
    X, y = moons
    # delta = 0.02: from far above, decay alone divides ||W||^2 by e every 1 / (2 delta) = 25 steps (the
    # start at 100x needs ~9 of them); near the equilibrium the gap closes at ~4 delta per step
    lr, lam, m = 0.2, 20.0, 200
    measured, predicted, starts = [], [], []
    for scale in (0.1, 10.0):
        net = N.init_ln_net([2, 16, 1], rng=1, scale=scale)
        _, h = N.ln_train(net, X, y, lam=lam, lr=lr, epochs=40, batch_size=20, rng=3)
        r, G = h["step_norms"][:, 0], h["step_unit_grad_sq"][:, 0]
        window = slice(300, None)                  # steps 300..399
        starts.append(r[0])
        measured.append(r[window].mean())
        predicted.append(float(N.equilibrium_norm(lr, lam, m, G[window].mean())))
    assert starts[1] / starts[0] == pytest.approx(100.0)
    # the balance holds for the means; fluctuations of ||W|| and of the noise leave ~1-2 % (3 seeds): 3 %
    np.testing.assert_allclose(measured, predicted, rtol=0.03)
    assert measured[0] == pytest.approx(measured[1], rel=0.1)       # one equilibrium from norms 100x apart


def test_equilibrium_norm_formula_hand_worked():
    # lr = 0.5, lam = 2, m = 4: delta = 0.25, ||W||^4 = 0.25 G / (0.5 - 0.0625)
    assert float(N.equilibrium_norm(0.5, 2.0, 4, 1.0)) == pytest.approx((0.25 / 0.4375) ** 0.25)
    assert float(N.equilibrium_norm(0.5, 2.0, 4, 1.0, first_order=True)) == pytest.approx((0.5 / 1.0) ** 0.25)
    lams = np.array([1.0, 4.0, 16.0])                 # first order: ||W|| ~ lam^(-1/4)
    r = N.equilibrium_norm(0.01, lams, 100, 2.0, first_order=True)
    np.testing.assert_allclose(r[:-1] / r[1:], 4 ** 0.25)


def test_a_lambda_grid_trains_like_one_network_at_a_time(moons):
    X, y = moons
    net = N.init_ln_net([2, 6, 1], rng=2)
    lams = np.array([0.5, 5.0])
    nets, h = N.ln_train(net, X, y, lam=lams, lr=0.3, epochs=3, batch_size=50, rng=7)
    for k, lam in enumerate(lams):
        one, h1 = N.ln_train(net, X, y, lam=lam, lr=0.3, epochs=3, batch_size=50, rng=7)
        for (W, b), (V, c) in zip(nets[k].params, one.params):
            np.testing.assert_allclose(W, V, rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(b, c, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(h["step_norms"][:, k], h1["step_norms"], rtol=1e-12)


# ------------------------------------------------------------------ the book's one training loop
def test_train_steps_a_layer_normalized_net_with_its_own_gradient(moons):
    """l2lib.train takes an LNNet: one full-batch SGD step is W - lr * (the LN gradient, checked against
    central differences above); a plain network's gradient would be another step."""
    X, y = moons
    net = N.init_ln_net([2, 6, 1], rng=4, hidden="tanh")
    lam, lr = 3.0, 0.4
    stepped, h = L.train(net, X, y, lam, lr=lr, epochs=1)
    _, g = N.ln_cost_and_grads(net, X, y, lam)
    assert isinstance(stepped, N.LNNet) and stepped.hidden == "tanh" and stepped.eps == net.eps
    for (W, b), (dW, db), (V, c) in zip(net.params, g, stepped.params):
        np.testing.assert_allclose(V, W - lr * dW, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(c, b - lr * db, rtol=1e-13, atol=1e-15)
    _, g_plain = L.cost_and_grads(L.Net(net.params, "tanh"), X, y, lam)
    assert np.abs(g_plain[0][0] - g[0][0]).max() > 1e-3
    # the recorded cost is the LN network's: before the step and after it
    assert h["total"][0] == pytest.approx(N.ln_cost_and_grads(net, X, y, lam)[0].total, rel=1e-13)
    assert h["total"][1] == pytest.approx(N.ln_cost_and_grads(stepped, X, y, lam)[0].total, rel=1e-13)


def test_train_records_an_ln_nets_dev_accuracy_from_its_own_pass(moons):
    X, y = moons
    X_dev, y_dev = L.make_moons(80, 0.3, rng=9)
    net, h = L.train(N.init_ln_net([2, 8, 1], rng=0), X, y, 1.0, lr=0.3, epochs=4, X_dev=X_dev, y_dev=y_dev)
    by_hand = np.mean((N.ln_predict_proba(net, X_dev)[:, 0] >= 0.5) == y_dev)
    assert h["dev_acc"][-1] == by_hand


def test_on_step_sees_every_step_with_the_data_gradient(moons):
    X, y = moons
    net = N.init_ln_net([2, 5, 1], rng=1)
    seen = []
    L.train(net, X, y, 7.0, lr=0.1, epochs=3, batch_size=64, rng=0,
            on_step=lambda params, g: seen.append((params, g)))
    assert len(seen) == 3 * 4                                        # 200 rows in batches of 64: 4 per epoch
    params, g = seen[0]
    assert all(P is W for (P, _), (W, _) in zip(params, net.params))  # the start, before the first step
    # the first batch is the first 64 of the loop's shuffle with rng=0; its data gradient, penalty not added
    idx = np.random.default_rng(0).permutation(200)[:64]
    _, g_batch = N.ln_cost_and_grads(net, X[idx], y[idx], 0.0)
    for (dW, db), (eW, eb) in zip(g, g_batch):
        np.testing.assert_allclose(dW, eW, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(db, eb, rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------ bad input
def test_bad_input_and_divergence(moons):
    X, y = moons
    with pytest.raises(ValueError, match="'lam' parameter must be a float or array of floats in the range \\(0, m/lr"):
        N.equilibrium_norm(0.1, 0.0, 100, 1.0)
    with pytest.raises(ValueError, match="'net' parameter must be hidden layers of at least 2 units"):
        N.init_ln_net([2, 1, 1], rng=0)
    with pytest.raises(ValueError, match="'Z' parameter must be rows that are not constant"):
        N.layer_norm([[1.0, 1.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match="'c' parameter must be a float in the range \\(0, inf\\)"):
        N.rescale(N.init_ln_net([2, 3, 1], rng=0), -1.0)
    with pytest.raises(TypeError, match="'net' parameter must be an LNNet"):
        N.ln_predict_proba(L.init_net([2, 3, 1], rng=0), X)
    with pytest.raises(FloatingPointError, match="Training diverged"):
        N.ln_train(N.init_ln_net([2, 8, 1], rng=0), X, y, lam=0.0, lr=1e5, epochs=20)
    with pytest.raises(TypeError, match="'on_step' parameter must be None or a function"):
        L.train(N.init_ln_net([2, 3, 1], rng=0), X, y, on_step="record")
    with pytest.raises(ValueError, match="'hidden' parameter must be omitted or equal to the network's own"):
        L.train(N.init_ln_net([2, 3, 1], rng=0), X, y, hidden="tanh")
