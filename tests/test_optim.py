"""Tests of l2lib.optim: hand-worked steps, step-for-step equivalences, closed forms, bias exclusion, bad input."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import l2lib as L
from l2lib import optim as O
from l2lib.optim import DecayFactorWarning


def one_param(W, b):
    return [(np.array(W, dtype=float), np.array(b, dtype=float))]


def net_and_data(seed=0, m=24):
    X, y = L.make_moons(m, noise=0.3, rng=seed)
    return L.init_params([2, 5, 1], rng=seed + 1), X, y


def linear_data(seed=0, m=40):
    """Two centred features of different scales, a target with an offset."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, 2)) * np.array([1.0, 0.3])
    X -= X.mean(axis=0)
    y = X @ np.array([1.0, 3.0]) + 2.0 + 0.3 * rng.normal(size=m)
    return X, y


def ridge(X, y, lam):
    """Closed-form minimizer of (1/2m)||Xw + b - y||² + (λ/2m)||w||² (X centred, so b = mean(y))."""
    m = X.shape[0]
    return np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ (y - y.mean()))


RULES = ("l2", "simplified", "momentum", "adam", "adamw")


def fit(params, X, y, rule="l2", lr=0.5, lam=0.0, d=0.0, beta=0.9, decay_biases=False, **kw):
    """The book's loop, L.train, with the update rule named as Chapter 4 names it."""
    obj = {"l2": lambda: O.SGD(lr), "simplified": lambda: O.SGD(lr, d), "momentum": lambda: O.Momentum(lr, beta, d),
           "adam": lambda: O.Adam(lr), "adamw": lambda: O.AdamW(lr, d)}[rule]()
    return L.train(params, X, y, lam=lam, rule=obj, include_bias=decay_biases, **kw)


def zero_grads(params):
    return [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]


def assert_params_close(p, q, rtol=1e-12, atol=1e-14):
    for (W, b), (V, c) in zip(p, q):
        np.testing.assert_allclose(W, V, rtol=rtol, atol=atol)
        np.testing.assert_allclose(b, c, rtol=rtol, atol=atol)


# ------------------------------------------------------------ hand-worked steps
def test_l2_step_by_hand():
    p = one_param([[2.0, -1.0]], [0.5, -0.5])
    g = one_param([[0.4, 0.2]], [0.1, -0.3])
    # lr = 0.1, lam = 2, m = 4: factor 1 - 0.1*2/4 = 0.95
    (W, b), = O.l2_step(p, g, lr=0.1, lam=2.0, m=4)
    np.testing.assert_allclose(W, [[0.95 * 2.0 - 0.04, 0.95 * -1.0 - 0.02]])   # [[1.86, -0.97]]
    np.testing.assert_allclose(W, [[1.86, -0.97]])
    np.testing.assert_allclose(b, [0.5 - 0.01, -0.5 + 0.03])                    # bias: plain step


def test_simplified_step_by_hand():
    p = one_param([[2.0, -1.0]], [0.5, -0.5])
    g = one_param([[0.4, 0.2]], [0.1, -0.3])
    (W, b), = O.simplified_step(p, g, lr=0.1, d=0.2)
    np.testing.assert_allclose(W, [[2.0 - 0.04 - 0.4, -1.0 - 0.02 + 0.2]])      # [[1.56, -0.82]]
    np.testing.assert_allclose(b, [0.49, -0.47])


def test_momentum_two_steps_by_hand():
    p0 = one_param([[1.0]], [0.0])
    g1, g2 = one_param([[0.5]], [0.2]), one_param([[-0.3]], [0.1])
    lr, lam, m, beta = 0.1, 2.0, 4, 0.9                 # λ/m = 0.5
    p1, s1 = O.momentum_step(p0, g1, O.init_state(p0), lr, lam=lam, m=m, beta=beta)
    # v1 = 0.5 + 0.5*1.0 = 1.0 ; W1 = 1 - 0.1*1.0 = 0.9 ; bias: v = 0.2, b1 = -0.02
    assert p1[0][0][0, 0] == pytest.approx(0.9)
    assert p1[0][1][0] == pytest.approx(-0.02)
    p2, s2 = O.momentum_step(p1, g2, s1, lr, lam=lam, m=m, beta=beta)
    # v2 = 0.9*1.0 + (-0.3) + 0.5*0.9 = 1.05 ; W2 = 0.9 - 0.105 = 0.795
    # bias: v = 0.9*0.2 + 0.1 = 0.28 ; b2 = -0.02 - 0.028 = -0.048
    assert p2[0][0][0, 0] == pytest.approx(0.795)
    assert p2[0][1][0] == pytest.approx(-0.048)
    assert s2.first[0][0][0, 0] == pytest.approx(1.05) and s2.t == 2


def test_momentum_decoupled_by_hand():
    p0 = one_param([[1.0]], [1.0])
    g = one_param([[0.5]], [0.0])
    p1, _ = O.momentum_step(p0, g, O.init_state(p0), lr=0.1, d=0.1, beta=0.9)
    assert p1[0][0][0, 0] == pytest.approx(0.9 * 1.0 - 0.1 * 0.5)            # 0.85
    assert p1[0][1][0] == 1.0                                               # bias not decayed


def test_adam_two_steps_by_hand():
    p0 = one_param([[1.0]], [0.0])
    g1, g2 = one_param([[0.5]], [0.0]), one_param([[-0.1]], [0.0])
    lr, lam, m, b1, b2, eps = 0.01, 1.0, 2, 0.9, 0.999, 1e-8           # λ/m = 0.5
    p1, s1 = O.adam_step(p0, g1, O.init_state(p0), lr, lam=lam, m=m, beta1=b1, beta2=b2, eps=eps)
    gt1 = 0.5 + 0.5 * 1.0                                               # 1.0
    m1, v1 = 0.1 * gt1, 0.001 * gt1 ** 2
    w1 = 1.0 - lr * (m1 / 0.1) / (math.sqrt(v1 / 0.001) + eps)          # ≈ 1 - 0.01
    assert p1[0][0][0, 0] == pytest.approx(w1, rel=1e-12)
    assert w1 == pytest.approx(0.99, rel=1e-7)
    p2, s2 = O.adam_step(p1, g2, s1, lr, lam=lam, m=m, beta1=b1, beta2=b2, eps=eps)
    gt2 = -0.1 + 0.5 * w1                                               # 0.395
    m2, v2 = 0.9 * m1 + 0.1 * gt2, 0.999 * v1 + 0.001 * gt2 ** 2
    w2 = w1 - lr * (m2 / (1 - 0.81)) / (math.sqrt(v2 / (1 - 0.998001)) + eps)
    assert p2[0][0][0, 0] == pytest.approx(w2, rel=1e-12)
    assert s2.second[0][0][0, 0] == pytest.approx(v2, rel=1e-12) and s2.t == 2
    assert p2[0][1][0] == 0.0                                           # zero bias gradient, no decay


def test_adamw_two_steps_by_hand():
    p0 = one_param([[1.0]], [2.0])
    g1, g2 = one_param([[0.5]], [0.0]), one_param([[-0.1]], [0.0])
    lr, d, b1, b2, eps = 0.01, 0.05, 0.9, 0.999, 1e-8
    p1, s1 = O.adamw_step(p0, g1, O.init_state(p0), lr, d=d, beta1=b1, beta2=b2, eps=eps)
    m1, v1 = 0.1 * 0.5, 0.001 * 0.25
    w1 = 0.95 * 1.0 - lr * (m1 / 0.1) / (math.sqrt(v1 / 0.001) + eps)  # ≈ 0.95 - 0.01
    assert p1[0][0][0, 0] == pytest.approx(w1, rel=1e-12)
    assert w1 == pytest.approx(0.94, rel=1e-7)
    p2, _ = O.adamw_step(p1, g2, s1, lr, d=d, beta1=b1, beta2=b2, eps=eps)
    m2, v2 = 0.9 * m1 + 0.1 * -0.1, 0.999 * v1 + 0.001 * 0.01          # the penalty is not in the moments
    w2 = 0.95 * w1 - lr * (m2 / 0.19) / (math.sqrt(v2 / 0.001999) + eps)
    assert p2[0][0][0, 0] == pytest.approx(w2, rel=1e-12)
    assert p2[0][1][0] == 2.0


def test_first_adam_step_is_lr_times_sign():
    """Property: after bias correction the first Adam step is η·g/(|g| + ε) ≈ η·sign(g), whatever |g|."""
    p = one_param([[0.0, 0.0, 0.0]], [0.0, 0.0, 0.0])
    g = one_param([[1e-3, -5.0, 200.0]], [0.0, 0.0, 0.0])
    (W, _), = O.adam_step(p, g, O.init_state(p), lr=0.01)[0]
    np.testing.assert_allclose(W, [[-0.01, 0.01, -0.01]], rtol=1e-4)


# -------------------------------------------------- decay form and equivalences
def test_decay_form_equals_gradient_step_on_J():
    params, X, y = net_and_data()
    m, lr, lam = X.shape[0], 0.3, 1.7
    g_data = L.cost_and_grads(params, X, y, 0.0)[1]
    g_full = L.cost_and_grads(params, X, y, lam)[1]          # data + (λ/m) W, from l2lib.penalty
    assert_params_close(O.l2_step(params, g_data, lr, lam, m), L.sgd_step(params, g_full, lr))


def test_simplified_equals_l2_step_for_step():
    """With d = ηλ/m the simplified update and the L2 gradient step follow the same trajectory."""
    params, X, y = net_and_data(seed=3)
    m, lr, lam = X.shape[0], 0.4, 2.5
    d = lr * lam / m
    p_simple, p_decay, p_grad = params, params, params
    for _ in range(25):
        p_simple = O.simplified_step(p_simple, L.cost_and_grads(p_simple, X, y, 0.0)[1], lr, d)
        p_decay = O.l2_step(p_decay, L.cost_and_grads(p_decay, X, y, 0.0)[1], lr, lam, m)
        p_grad = L.sgd_step(p_grad, L.cost_and_grads(p_grad, X, y, lam)[1], lr)
        assert_params_close(p_simple, p_grad, rtol=1e-10, atol=1e-13)
        assert_params_close(p_decay, p_grad, rtol=1e-10, atol=1e-13)
    assert not np.allclose(p_grad[0][0], params[0][0])      # the weights did move


def test_simplified_with_other_d_differs():
    params, X, y = net_and_data(seed=3)
    m, lr, lam = X.shape[0], 0.4, 2.5
    g = L.cost_and_grads(params, X, y, 0.0)[1]
    a = O.simplified_step(params, g, lr, 2 * lr * lam / m)
    b = O.l2_step(params, g, lr, lam, m)
    assert not np.allclose(a[0][0], b[0][0])


def test_train_rules_l2_and_simplified_match_core_train():
    params, X, y = net_and_data(seed=5)
    m, lr, lam = X.shape[0], 0.3, 3.0
    p_core, h_core = L.train(params, X, y, lam=lam, lr=lr, epochs=40, batch_size=8, rng=7)
    p_l2, h_l2 = fit(params, X, y, "l2", lr=lr, lam=lam, epochs=40, batch_size=8, rng=7)
    p_s, h_s = fit(params, X, y, "simplified", lr=lr, d=lr * lam / m, epochs=40, batch_size=8, rng=7)
    assert_params_close(p_l2, p_core, rtol=1e-9, atol=1e-12)
    assert_params_close(p_s, p_core, rtol=1e-9, atol=1e-12)
    for k in ("data", "penalty", "total", "train_acc", "norms"):
        np.testing.assert_allclose(h_l2[k], h_core[k], rtol=1e-9)
        np.testing.assert_allclose(h_s[k], h_core[k], rtol=1e-9)
    assert h_l2["bias_norms"].shape == (41, 2)


def test_pure_decay_is_geometric():
    """Data gradient switched off: W_t = (1 - ηλ/m)^t W_0."""
    p = one_param([[1.5, -2.0], [0.25, 3.0]], [0.7, -0.1])
    lr, lam, m = 0.5, 3.0, 10                              # ρ = 0.85
    q = p
    for t in range(1, 31):
        q = O.l2_step(q, zero_grads(q), lr, lam, m)
        np.testing.assert_allclose(q[0][0], 0.85 ** t * p[0][0], rtol=1e-12)
    np.testing.assert_array_equal(q[0][1], p[0][1])


def test_online_m_equals_lam_times_m():
    """Putting m = 1 in the update (online learning) is the book's rule with λ·m."""
    params, X, y = net_and_data(seed=2, m=12)
    lam, n = 0.05, X.shape[0]
    p1, _ = fit(params, X, y, "l2", lr=0.2, lam=lam, m=1, epochs=5, batch_size=1, rng=4)
    p2, _ = fit(params, X, y, "l2", lr=0.2, lam=lam * n, epochs=5, batch_size=1, rng=4)
    p3, _ = fit(params, X, y, "l2", lr=0.2, lam=lam, epochs=5, batch_size=1, rng=4)
    assert_params_close(p1, p2, rtol=1e-9, atol=1e-12)
    assert np.linalg.norm(p1[0][0]) < np.linalg.norm(p3[0][0])


def test_per_column_strengths_match_separate_runs():
    X, y = linear_data()
    lams = np.array([0.0, 5.0, 20.0])
    P = [(np.zeros((2, 3)), np.zeros(3))]
    Y = np.repeat(y[:, None], 3, axis=1)
    state = O.init_state(P)
    for _ in range(30):
        P, state = O.adam_step(P, L.cost_and_grads(P, X, Y, 0.0, output="identity")[1], state, 0.05, lam=lams, m=40)
    for k, lam in enumerate(lams):
        p, s = [(np.zeros((2, 1)), np.zeros(1))], None
        s = O.init_state(p)
        for _ in range(30):
            p, s = O.adam_step(p, L.cost_and_grads(p, X, y, 0.0, output="identity")[1], s, 0.05, lam=lam, m=40)
        np.testing.assert_allclose(P[0][0][:, k], p[0][0][:, 0], rtol=1e-12)
        np.testing.assert_allclose(P[0][1][k], p[0][1][0], rtol=1e-12)


# ---------------------------------------------------------------- closed forms
@pytest.mark.parametrize("rule", ["l2", "adam", "momentum"])
def test_coupled_rules_reach_the_ridge_solution(rule):
    """Coupled L2 changes the path, not the minimizer: every coupled rule ends at the ridge closed form."""
    X, y = linear_data()
    lam = 8.0
    lr, epochs = {"l2": (0.5, 300), "adam": (0.05, 800), "momentum": (0.05, 500)}[rule]
    p, _ = fit([(np.zeros((2, 1)), np.zeros(1))], X, y, rule, lr=lr, lam=lam, epochs=epochs,
                   output="identity", record_every=epochs)
    np.testing.assert_allclose(p[0][0][:, 0], ridge(X, y, lam), atol=2e-4)
    assert p[0][1][0] == pytest.approx(y.mean(), abs=2e-4)        # the bias is not shrunk


def test_sgdw_matches_coupled_momentum_at_rescaled_d():
    X, y = linear_data(seed=1)
    lam, lr, beta, m = 8.0, 0.05, 0.9, 40
    p, _ = fit([(np.zeros((2, 1)), np.zeros(1))], X, y, "momentum", lr=lr, d=lr * lam / (m * (1 - beta)),
                   beta=beta, epochs=600, output="identity", record_every=600)
    np.testing.assert_allclose(p[0][0][:, 0], ridge(X, y, lam), atol=1e-6)


def test_adamw_is_not_l2():
    """AdamW with d = ηλ/m does not reach the minimizer of J (it shrinks far less here)."""
    X, y = linear_data()
    lam, lr = 8.0, 0.05
    p, _ = fit([(np.zeros((2, 1)), np.zeros(1))], X, y, "adamw", lr=lr, d=lr * lam / 40, epochs=800,
                   output="identity", record_every=800)
    w_ridge = ridge(X, y, lam)
    assert np.abs(p[0][0][:, 0] - w_ridge).max() > 0.3
    assert np.linalg.norm(p[0][0]) > np.linalg.norm(w_ridge)


def test_adamw_large_decay_caps_weights_at_lr_over_d():
    """Full batch, the AdamW balance η·m̂/√v̂ = d·w puts a weight with a persistent gradient at |w| = η/d."""
    X, y = linear_data()
    lr, d = 0.05, 0.05                                        # η/d = 1, while the unregularized w = (1, 3)
    p, _ = fit([(np.zeros((2, 1)), np.zeros(1))], X, y, "adamw", lr=lr, d=d, epochs=1500,
                   output="identity", record_every=1500)
    assert abs(p[0][0][1, 0]) == pytest.approx(1.0, abs=0.05)
    assert abs(p[0][0][1, 0]) <= 1.0 + 0.05 and abs(p[0][0][0, 0]) <= 1.0 + 0.05


# ------------------------------------------------------------------- the bias
@pytest.mark.parametrize("rule", RULES)
def test_default_never_decays_the_bias(rule):
    """With zero data gradient, no rule's default moves b, however strong the decay; decay_biases=True does."""
    p = one_param([[1.0, -2.0]], [3.0, -4.0])
    g = zero_grads(p)
    s = O.init_state(p)
    calls = {"l2": lambda db: O.l2_step(p, g, 0.5, 1.0, 2, include_bias=db),
             "simplified": lambda db: O.simplified_step(p, g, 0.5, 0.25, include_bias=db),
             "momentum": lambda db: O.momentum_step(p, g, s, 0.5, lam=1.0, m=2, d=0.1, include_bias=db)[0],
             "adam": lambda db: O.adam_step(p, g, s, 0.5, lam=1.0, m=2, include_bias=db)[0],
             "adamw": lambda db: O.adamw_step(p, g, s, 0.5, d=0.25, include_bias=db)[0]}
    (W, b), = calls[rule](False)
    np.testing.assert_array_equal(b, [3.0, -4.0])
    assert np.all(np.abs(W) < np.abs(p[0][0]))                 # the weights did decay
    (_, b_dec), = calls[rule](True)
    assert np.all(np.abs(b_dec) < np.abs(p[0][1]))


def test_bias_update_is_the_unregularized_step():
    params, X, y = net_and_data()
    g = L.cost_and_grads(params, X, y, 0.0)[1]
    new = O.l2_step(params, g, 0.3, 5.0, X.shape[0])
    for (_, b), (_, db), (_, b_new) in zip(params, g, new):
        np.testing.assert_array_equal(b_new, b - 0.3 * db)


def test_train_default_keeps_mean_residual_zero():
    """Unpenalized output bias: at the optimum the mean residual is 0; decaying it leaves -(λ/m)·b."""
    X, y = linear_data()
    kw = dict(lr=0.5, lam=10.0, epochs=300, output="identity", record_every=300)
    p, _ = fit([(np.zeros((2, 1)), np.zeros(1))], X, y, "l2", **kw)
    q, h = fit([(np.zeros((2, 1)), np.zeros(1))], X, y, "l2", decay_biases=True, **kw)
    res_p = (L.predict(p, X, output="identity")[:, 0] - y).mean()
    res_q = (L.predict(q, X, output="identity")[:, 0] - y).mean()
    assert abs(res_p) < 1e-10
    assert res_q == pytest.approx(-(10.0 / 40) * q[0][1][0], rel=1e-6)
    assert q[0][1][0] == pytest.approx(y.mean() / 1.25, rel=1e-6)    # centred X: b = ȳ/(1 + λ/m)
    assert h["bias_norms"][-1, 0] == pytest.approx(abs(q[0][1][0]))


# ---------------------------------------------------------------- warnings
def test_decay_factor_warning_at_and_above_one():
    p = one_param([[1.0]], [0.0])
    g = zero_grads(p)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert O.decay_factor(0.5, 19.9, 10) == pytest.approx(0.005)  # ηλ/m < 1: silent
        O.l2_step(p, g, 0.5, 19.9, 10)
    with pytest.warns(DecayFactorWarning, match=r"lr=0\.5, lam=20\.0, m=10\) is 0") as rec:
        assert O.decay_factor(0.5, 20.0, 10) == 0.0
    assert issubclass(rec[0].category, RuntimeWarning)
    with pytest.warns(DecayFactorWarning, match=r"is -2\b.*grows"):
        (W, _), = O.l2_step(p, g, 1.0, 30.0, 10)
    assert W[0, 0] == -2.0                                       # flipped and grown, as warned
    with pytest.warns(DecayFactorWarning, match=r"d=1\.5"):
        O.simplified_step(p, g, 0.1, 1.5)
    with pytest.warns(DecayFactorWarning, match=r"d=1\.0"):
        O.adamw_step(p, g, O.init_state(p), 0.1, d=1.0)


def test_train_reports_divergence_of_coupled_decay():
    params, X, y = net_and_data()
    with pytest.raises(FloatingPointError, match=r"lr=1.0, lam=240.0, m=24, so lr\*lam/m = 10"):
        fit(params, X, y, "l2", lr=1.0, lam=240.0, epochs=2000)


# ---------------------------------------------------------------- bad input
def test_bad_scalars():
    p = one_param([[1.0]], [0.0])
    g = zero_grads(p)
    s = O.init_state(p)
    with pytest.raises(ValueError, match=r"The 'lr' parameter must be a float in the range \(0, inf\)\. Got 0"):
        O.l2_step(p, g, 0.0, 1.0, 1)
    with pytest.raises(ValueError, match=r"The 'lam' parameter must be a float in the range \[0, inf\)"):
        O.l2_step(p, g, 0.1, -1.0, 1)
    with pytest.raises(ValueError, match=r"The 'm' parameter must be an int in the range \[1, inf\)"):
        O.l2_step(p, g, 0.1, 1.0, 0)
    with pytest.raises(TypeError, match="'m' parameter"):
        O.l2_step(p, g, 0.1, 1.0, 2.5)
    with pytest.raises(ValueError, match="'d' parameter"):
        O.simplified_step(p, g, 0.1, -0.1)
    with pytest.raises(ValueError, match=r"'beta' parameter must be a float in the range \[0, 1\)"):
        O.momentum_step(p, g, s, 0.1, beta=1.0)
    with pytest.raises(ValueError, match="'beta2' parameter"):
        O.adam_step(p, g, s, 0.1, beta2=1.5)
    with pytest.raises(ValueError, match="'eps' parameter"):
        O.adamw_step(p, g, s, 0.1, eps=0.0)
    with pytest.raises(TypeError, match="'include_bias' parameter must be a bool. Got 1 instead"):
        O.l2_step(p, g, 0.1, 1.0, 1, include_bias=1)
    with pytest.raises(TypeError, match="'lr' parameter"):
        O.decay_factor("0.1", 1.0, 1)


def test_bad_structures():
    p = one_param([[1.0, 2.0]], [0.0, 0.0])
    with pytest.raises(ValueError, match=r"The 'grads' parameter must hold one \(dW, db\) pair shaped like params"):
        O.l2_step(p, one_param([[1.0]], [0.0]), 0.1, 1.0, 1)
    with pytest.raises(ValueError, match="'grads' parameter"):
        O.simplified_step(p, [], 0.1, 0.1)
    with pytest.raises(TypeError, match="'state' parameter must be an OptState"):
        O.adam_step(p, zero_grads(p), {"t": 0}, 0.1)
    with pytest.raises(ValueError, match="'state' parameter"):
        O.momentum_step(p, zero_grads(p), O.init_state(one_param([[1.0]], [0.0])), 0.1)
    with pytest.raises(TypeError, match="'params' parameter"):
        O.init_state([])


def test_bad_array_strengths():
    p = one_param([[1.0, 2.0]], [0.0, 0.0])
    g = zero_grads(p)
    with pytest.raises(ValueError, match=r"'lam' parameter must be .* 1-D array of 2 such floats .* shape \(3,\)"):
        O.l2_step(p, g, 0.1, np.array([1.0, 2.0, 3.0]), 1)
    with pytest.raises(ValueError, match="'d' parameter"):
        O.simplified_step(p, g, 0.1, np.array([0.1, -0.1]))
    two_layers = L.init_params([2, 2, 2], rng=0)
    with pytest.raises(ValueError, match="for a 2-layer model"):
        O.l2_step(two_layers, zero_grads(two_layers), 0.1, np.array([1.0, 2.0]), 1)


def test_train_bad_input():
    params, X, y = net_and_data()
    with pytest.raises(TypeError, match="'rule' parameter must be an update rule of l2lib.optim"):
        L.train(params, X, y, rule="sgd")
    with pytest.raises(ValueError, match="'lr' parameter must be omitted when 'rule' is given"):
        L.train(params, X, y, lr=0.1, rule=O.SGD(0.2))
    with pytest.raises(ValueError, match="'d' parameter must be a float in the range"):
        O.AdamW(0.1, d=-1.0)
    with pytest.raises(ValueError, match="'beta' parameter"):
        O.Momentum(0.1, beta=1.0)
    with pytest.raises(ValueError, match=r"'batch_size' parameter must be an int in the range \[1, 24\]"):
        fit(params, X, y, batch_size=25)
    with pytest.raises(ValueError, match="'X' parameter"):
        fit(params, X[:, :1], y)
    with pytest.raises(TypeError, match="'include_bias' parameter"):
        fit(params, X, y, decay_biases="yes")
