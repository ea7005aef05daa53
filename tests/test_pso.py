"""Tests of l2lib.pso: the batched regularized cost and the particle swarm optimizer."""
import math
import warnings

import numpy as np
import pytest

import l2lib as L
from l2lib.pso import (PSOResult, batched_cost, batched_cost_parts, batched_logits, network_objective,
                       pso_minimize, pso_minimize_loop, pso_train)


def sphere(X):
    return np.sum(X * X, axis=1)


C = np.array([0.3, -0.7, 0.5, 0.1])
A = np.array([1.0, 4.0, 0.5, 2.0])


def shifted(X):
    """Σ a_k (x_k - c_k)^2 + 3: minimum 3 at x = c."""
    return np.sum(A * (X - C) ** 2, axis=1) + 3.0


def one(f):
    """The same cost for a single position, as pso_minimize_loop expects."""
    return lambda x: float(f(x[None, :])[0])


@pytest.fixture(scope="module")
def moons():
    X, y = L.make_moons(40, 0.3, rng=3)
    return X, y


# ---------------------------------------------------------------- the batched cost
@pytest.mark.parametrize("sizes,hidden,output", [([2, 5, 1], "tanh", "sigmoid"), ([2, 5, 1], "relu", "sigmoid"),
                                                 ([2, 4, 3, 3], "relu", "softmax"),
                                                 ([2, 3, 2], "tanh", "identity")])
def test_batched_cost_equals_penalty_cost_for_every_particle(sizes, hidden, output):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = {"sigmoid": rng.integers(0, 2, 30), "softmax": rng.integers(0, 3, 30),
         "identity": rng.normal(size=(30, 2))}[output]
    like = L.init_params(sizes, rng=1, hidden=hidden)
    T = rng.normal(size=(7, L.flatten(like).size))
    parts = batched_cost_parts(T, like, X, y, lam=0.8, hidden=hidden, output=output)
    for p in range(7):
        ref = L.cost(L.unflatten(T[p], like), X, y, 0.8, hidden=hidden, output=output)
        assert parts.data[p] == pytest.approx(ref.data, rel=1e-12, abs=1e-14)
        assert parts.penalty[p] == pytest.approx(ref.penalty, rel=1e-12)
        assert parts.total[p] == pytest.approx(ref.total, rel=1e-12)


def test_batched_cost_by_hand():
    # one weight w and one bias b, two examples x = 1 and x = -1, labels 1 and 0
    like = [(np.zeros((1, 1)), np.zeros(1))]
    w, b, lam = 1.0, 0.5, 3.0
    z1, z2 = w + b, -w + b
    data = 0.5 * (math.log1p(math.exp(-z1)) + (z2 + math.log1p(math.exp(-z2))))
    penalty = lam / (2 * 2) * w ** 2
    parts = batched_cost_parts([[w, b]], like, [[1.0], [-1.0]], [1, 0], lam=lam)
    assert parts.data[0] == pytest.approx(data, rel=1e-14)
    assert parts.penalty[0] == pytest.approx(0.75)
    assert parts.penalty[0] == pytest.approx(penalty)
    assert parts.total[0] == pytest.approx(data + penalty, rel=1e-14)


def test_batched_logits_match_forward():
    rng = np.random.default_rng(5)
    like = L.init_params([3, 4, 4, 2], rng=2)
    X = rng.normal(size=(6, 3))
    T = rng.normal(size=(3, L.flatten(like).size))
    Z = batched_logits(T, like, X, hidden="relu")
    assert Z.shape == (3, 6, 2)
    for p in range(3):
        _, cache = L.forward(L.unflatten(T[p], like), X, "relu", "softmax")
        np.testing.assert_allclose(Z[p], cache.Z[-1], rtol=1e-12, atol=1e-14)


def test_tanh_swarm_matches_forward_for_huge_preactivations():
    # pre-activations far beyond where exp(2z) overflows: still finite, no warning, equal to np.tanh's
    rng = np.random.default_rng(6)
    like = L.init_params([2, 4, 1], rng=0, hidden="tanh")
    X = rng.normal(size=(9, 2))
    T = rng.normal(size=(3, L.flatten(like).size)) * np.array([[1.0], [1e3], [1e6]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Z = batched_logits(T, like, X, hidden="tanh")
    for p in range(3):
        _, cache = L.forward(L.unflatten(T[p], like), X, "tanh", "sigmoid")
        np.testing.assert_allclose(Z[p], cache.Z[-1], rtol=1e-12, atol=1e-9 * (1 + np.abs(T[p]).max()))


def test_single_vector_counts_as_one_particle(moons):
    X, y = moons
    like = L.init_params([2, 3, 1], rng=0)
    theta = L.flatten(like)
    out = batched_cost(theta, like, X, y, 1.0)
    assert out.shape == (1,)
    assert out[0] == pytest.approx(L.cost(like, X, y, 1.0).total, rel=1e-12)


def test_biases_are_not_penalized_and_penalty_is_linear_in_lam(moons):
    X, y = moons
    like = L.init_params([2, 3, 1], rng=0)
    mask = L.weight_mask(like)
    T = np.random.default_rng(1).normal(size=(4, mask.size))
    T2 = T.copy()
    T2[:, ~mask] += 10.0                           # move only the biases
    p1 = batched_cost_parts(T, like, X, y, lam=2.0).penalty
    p2 = batched_cost_parts(T2, like, X, y, lam=2.0).penalty
    np.testing.assert_array_equal(p1, p2)
    p3 = batched_cost_parts(T, like, X, y, lam=6.0).penalty
    np.testing.assert_allclose(p3, 3 * p1, rtol=1e-14)
    assert np.all(batched_cost_parts(T, like, X, y, lam=0.0).penalty == 0)


def test_penalty_uses_given_m(moons):
    X, y = moons
    like = L.init_params([2, 3, 1], rng=0)
    T = np.random.default_rng(2).normal(size=(2, L.flatten(like).size))
    a = batched_cost_parts(T, like, X, y, lam=1.0).penalty           # m = 40
    b = batched_cost_parts(T, like, X, y, lam=1.0, m=10).penalty     # m = 10: four times larger
    np.testing.assert_allclose(b, 4 * a, rtol=1e-14)


def test_network_objective_is_batched_cost(moons):
    X, y = moons
    like = L.init_params([2, 4, 1], rng=0, hidden="tanh")
    T = np.random.default_rng(3).normal(size=(5, L.flatten(like).size))
    f = network_objective(like, X, y, 0.5, hidden="tanh")
    np.testing.assert_array_equal(f(T), batched_cost(T, like, X, y, 0.5, hidden="tanh"))


# ---------------------------------------------------------------- the optimizer on known minima
def test_sphere_minimum_found():
    res = pso_minimize(sphere, dim=5, lo=-5, hi=5, n_particles=30, n_iter=300, rng=0)
    assert isinstance(res, PSOResult)
    assert res.cost < 1e-8
    assert np.max(np.abs(res.x)) < 1e-4
    assert res.cost == pytest.approx(float(sphere(res.x[None])[0]))


def test_shifted_quadratic_minimum_found():
    res = pso_minimize(shifted, dim=4, lo=-2, hi=2, n_particles=30, n_iter=300, rng=1)
    np.testing.assert_allclose(res.x, C, atol=1e-4)
    assert res.cost == pytest.approx(3.0, abs=1e-7)
    assert res.cost >= 3.0


def test_minimum_outside_the_box_lands_on_the_bound():
    f = lambda X: np.sum((X - 2.0) ** 2, axis=1)          # noqa: E731  unconstrained minimum at 2
    res = pso_minimize(f, dim=3, lo=-1, hi=1, n_iter=100, rng=2)
    np.testing.assert_allclose(res.x, 1.0, atol=1e-9)
    assert res.cost == pytest.approx(3.0, abs=1e-8)


def test_per_coordinate_bounds():
    res = pso_minimize(sphere, dim=2, lo=[1.0, -3.0], hi=[2.0, 3.0], n_iter=100, rng=0)
    np.testing.assert_allclose(res.x, [1.0, 0.0], atol=1e-5)


def test_history_and_evaluation_count():
    res = pso_minimize(shifted, dim=4, n_particles=12, n_iter=25, rng=4)
    assert res.n_iter == 25
    assert res.history.shape == (26,) and res.evals.shape == (26,)
    assert np.all(np.diff(res.history) <= 0)               # the best cost never gets worse
    assert res.history[-1] == res.cost
    np.testing.assert_array_equal(res.evals, 12 * np.arange(1, 27))
    assert res.n_evals == 12 * 26


def test_cost_function_called_once_per_iteration():
    calls = []

    def f(X):
        calls.append(X.shape)
        return sphere(X)

    pso_minimize(f, dim=3, n_particles=9, n_iter=7, rng=0)
    assert calls == [(9, 3)] * 8


def test_zero_iterations_returns_best_initial_particle():
    x0 = np.array([[0.5, 0.5], [0.1, -0.2], [-0.9, 0.9]])
    res = pso_minimize(sphere, dim=2, n_particles=3, n_iter=0, x0=x0, rng=0)
    np.testing.assert_array_equal(res.x, x0[1])
    assert res.cost == pytest.approx(0.05)
    assert res.n_evals == 3 and res.n_iter == 0


def test_target_stops_early():
    res = pso_minimize(sphere, dim=3, n_iter=500, target=1e-3, rng=0)
    assert res.cost <= 1e-3
    assert res.n_iter < 500
    assert res.history[-2] > 1e-3                          # it stopped at the first iteration below
    assert res.n_evals == 40 * (res.n_iter + 1)


def test_velocity_clamp_limits_the_distance_travelled():
    f = lambda X: np.sum((X - 1.0) ** 2, axis=1)           # noqa: E731
    x0 = np.zeros((10, 3))
    res = pso_minimize(f, dim=3, lo=-5, hi=5, n_particles=10, n_iter=10, v_max=0.01, x0=x0, rng=0)
    assert np.all(np.abs(res.x) <= 10 * 0.01 + 1e-12)
    assert res.cost > 3 * 0.9 ** 2 - 1e-9                  # could not get closer than 0.9 per coordinate


def test_w_final_equal_to_w_is_constant_inertia_and_other_values_differ():
    a = pso_minimize(shifted, 4, n_iter=30, w=0.6, rng=3)
    b = pso_minimize(shifted, 4, n_iter=30, w=0.6, w_final=0.6, rng=3)
    c = pso_minimize(shifted, 4, n_iter=30, w=0.6, w_final=0.1, rng=3)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)


# ---------------------------------------------------------------- seeds and the reference loop
def test_same_seed_same_result_and_generator_equals_int_seed():
    a = pso_minimize(shifted, 4, n_iter=40, rng=7)
    b = pso_minimize(shifted, 4, n_iter=40, rng=7)
    c = pso_minimize(shifted, 4, n_iter=40, rng=np.random.default_rng(7))
    d = pso_minimize(shifted, 4, n_iter=40, rng=8)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.history, b.history)
    np.testing.assert_array_equal(a.x, c.x)
    assert not np.array_equal(a.history, d.history)


def test_loop_reference_gives_the_same_result():
    kw = dict(dim=4, lo=-2, hi=2, n_particles=15, n_iter=60, v_max=0.3, w_final=0.3, rng=11)
    vec = pso_minimize(shifted, **kw)
    loop = pso_minimize_loop(one(shifted), **kw)
    np.testing.assert_array_equal(vec.x, loop.x)
    np.testing.assert_array_equal(vec.history, loop.history)
    np.testing.assert_array_equal(vec.evals, loop.evals)
    assert vec.cost == loop.cost and vec.n_iter == loop.n_iter


def test_loop_reference_with_a_network_and_l2lib_cost(moons):
    X, y = moons
    like = L.init_params([2, 4, 1], rng=0, hidden="tanh")
    n = L.flatten(like).size
    f = network_objective(like, X, y, 1.0, hidden="tanh")
    kw = dict(dim=n, lo=-3, hi=3, n_particles=10, n_iter=40, rng=5)
    vec = pso_minimize(f, **kw)
    exact = pso_minimize_loop(one(f), **kw)               # the same cost: the same numbers
    np.testing.assert_array_equal(vec.x, exact.x)
    per_particle = pso_minimize_loop(lambda th: L.cost(L.unflatten(th, like), X, y, 1.0, "tanh").total, **kw)
    np.testing.assert_allclose(per_particle.x, vec.x, rtol=1e-10, atol=1e-12)
    assert per_particle.cost == pytest.approx(vec.cost, rel=1e-12)


def test_loop_reference_target_stop():
    a = pso_minimize(sphere, 3, n_iter=500, target=1e-3, rng=0)
    b = pso_minimize_loop(one(sphere), 3, n_iter=500, target=1e-3, rng=0)
    assert a.n_iter == b.n_iter and a.cost == b.cost


# ---------------------------------------------------------------- training a network
def test_pso_train_cost_is_l2lib_cost_and_close_to_gradient_descent(moons):
    X, y = moons
    like = L.init_params([2, 3, 1], rng=0, hidden="tanh")
    params, res = pso_train(like, X, y, lam=5.0, hidden="tanh", n_particles=30, n_iter=300, rng=0)
    assert [W.shape for W, _ in params] == [(2, 3), (3, 1)]
    assert res.cost == pytest.approx(L.cost(params, X, y, 5.0, hidden="tanh").total, rel=1e-12)
    _, hist = L.train(like, X, y, 5.0, lr=1.0, epochs=2000, hidden="tanh", record_every=2000)
    assert res.cost == pytest.approx(hist["total"][-1], abs=2e-3)   # same objective, same minimum


def test_pso_train_larger_lam_smaller_weights(moons):
    X, y = moons
    like = L.init_params([2, 3, 1], rng=0, hidden="tanh")
    norms = []
    for lam in (0.1, 3.0, 30.0):
        params, _ = pso_train(like, X, y, lam=lam, hidden="tanh", n_particles=30, n_iter=200, rng=1)
        norms.append(math.sqrt(sum(L.frobenius_sq(W) for W, _ in params)))
    assert norms[0] > norms[1] > norms[2]


def test_pso_train_respects_bound(moons):
    X, y = moons
    like = L.init_params([2, 3, 1], rng=0)
    params, res = pso_train(like, X, y, lam=0.0, bound=0.5, init=0.5, n_iter=50, rng=0)
    assert np.max(np.abs(res.x)) <= 0.5
    assert np.max(np.abs(L.flatten(params))) <= 0.5


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("kw,exc,match", [
    (dict(dim=0), ValueError, "'dim' parameter must be an int in the range \\[1, inf\\). Got 0"),
    (dict(dim=2.0), TypeError, "'dim' parameter"),
    (dict(lo=1.0, hi=1.0), ValueError, "'hi' parameter must be greater than lo"),
    (dict(lo=[0.0, 0.0, 0.0]), ValueError, "'lo' parameter must be a float or an array of shape \\(2,\\)"),
    (dict(hi=np.inf), ValueError, "'hi' parameter must be finite"),
    (dict(n_particles=0), ValueError, "'n_particles' parameter must be an int in the range \\[1, inf\\). Got 0"),
    (dict(n_iter=-1), ValueError, "'n_iter' parameter"),
    (dict(w=-0.1), ValueError, "'w' parameter must be a float in the range \\[0, 2\\]. Got -0.1"),
    (dict(w_final=3.0), ValueError, "'w_final' parameter"),
    (dict(c1=5.0), ValueError, "'c1' parameter must be a float in the range \\[0, 4\\]. Got 5.0"),
    (dict(c2="1"), TypeError, "'c2' parameter"),
    (dict(v_max=0.0), ValueError, "'v_max' parameter must be positive"),
    (dict(x0=np.zeros((3, 2))), ValueError, "'x0' parameter must be an array of shape \\(40, 2\\)"),
    (dict(x0=np.full((40, 2), 2.0)), ValueError, "'x0' parameter must hold finite positions inside"),
    (dict(target="low"), TypeError, "'target' parameter"),
    (dict(rng=-1), TypeError, "'rng' parameter"),
])
@pytest.mark.parametrize("minimize", [pso_minimize, pso_minimize_loop])
def test_bad_optimizer_arguments(minimize, kw, exc, match):
    args = dict(dim=2, n_iter=3)
    args.update(kw)
    f = sphere if minimize is pso_minimize else one(sphere)
    with pytest.raises(exc, match=match):
        minimize(f, **args)


def test_bad_cost_function_output():
    with pytest.raises(ValueError, match="'f' parameter must return one cost per particle, shape \\(40,\\)"):
        pso_minimize(lambda X: np.zeros(3), dim=2)
    with pytest.raises(ValueError, match="'f' parameter must return costs that are not NaN"):
        pso_minimize(lambda X: np.full(X.shape[0], np.nan), dim=2)
    with pytest.raises(ValueError, match="'f' parameter must return costs that are not NaN"):
        pso_minimize_loop(lambda x: float("nan"), dim=2, n_iter=2)


def test_bad_cost_arguments(moons):
    X, y = moons
    like = L.init_params([2, 3, 1], rng=0)
    n = L.flatten(like).size
    with pytest.raises(ValueError, match=f"'thetas' parameter must be an array of shape \\(P, {n}\\)"):
        batched_cost(np.zeros((2, n + 1)), like, X, y)
    with pytest.raises(ValueError, match="'thetas' parameter must hold finite values"):
        batched_cost(np.full((2, n), np.nan), like, X, y)
    with pytest.raises(ValueError, match="'lam' parameter must be a float in the range \\[0, inf\\). Got -1.0"):
        batched_cost(np.zeros((2, n)), like, X, y, lam=-1.0)
    with pytest.raises(ValueError, match="'hidden' parameter"):
        batched_cost(np.zeros((2, n)), like, X, y, hidden="sigmoid")
    with pytest.raises(ValueError, match="'X' parameter"):
        batched_cost(np.zeros((2, n)), like, X[:, :1], y)
    with pytest.raises(ValueError, match="'y' parameter"):
        batched_cost(np.zeros((2, n)), like, X, y[:-1])
    with pytest.raises(TypeError, match="'like' parameter"):
        batched_cost(np.zeros((2, n)), "like", X, y)
    with pytest.raises(ValueError, match="'lam' parameter"):
        network_objective(like, X, y, lam=-2.0)
    f = network_objective(like, X, y)
    with pytest.raises(ValueError, match="'thetas' parameter"):
        f(np.zeros((4, n - 1)))


def test_bad_pso_train_arguments(moons):
    X, y = moons
    like = L.init_params([2, 3, 1], rng=0)
    with pytest.raises(ValueError, match="'bound' parameter must be a float in the range \\(0, inf\\)"):
        pso_train(like, X, y, bound=0.0)
    with pytest.raises(ValueError, match="'init' parameter must be a float in the range \\(0, 2\\]. Got 3.0"):
        pso_train(like, X, y, bound=2.0, init=3.0)
    with pytest.raises(ValueError, match="'lam' parameter"):
        pso_train(like, X, y, lam=-0.5)


# ------------------------------------------------------------------ the swarm evaluated in chunks
def _tanh_formula(z):
    return 1.0 - 2.0 / (np.exp(2.0 * np.clip(z, -20.0, 20.0)) + 1.0)


def test_tanh_in_place_steps_equal_the_formula_and_leave_the_input_alone():
    from l2lib.kernels import fast_tanh
    z = np.random.default_rng(11).normal(0, 8, size=(5, 7, 3))
    z0 = z.copy()
    out = fast_tanh(z)
    assert np.array_equal(out, _tanh_formula(z0)) and np.array_equal(z, z0)


def test_chunk_size_by_hand():
    from l2lib.pso import _CHUNK_BYTES, _chunk_size
    assert _CHUNK_BYTES == 128 * 1024
    like16 = L.init_params([2, 16, 1], rng=0)
    assert _chunk_size(like16, 1000, 40) == 1          # 131072 // (8 * 1000 * 16) = 1.02
    assert _chunk_size(like16, 200, 40) == 5           # 131072 // 25600 = 5.12
    assert _chunk_size(like16, 40, 40) == 25           # 131072 // 5120 = 25.6
    assert _chunk_size(L.init_params([2, 8, 1], rng=0), 40, 40) == 40     # chapter 5: 51 fit, one chunk
    assert _chunk_size(like16, 10 ** 6, 40) == 1       # never fewer than one particle


@pytest.mark.parametrize("output,k", [("sigmoid", 1), ("softmax", 3), ("identity", 2)])
@pytest.mark.parametrize("hidden", ["tanh", "relu"])
@pytest.mark.parametrize("budget", [1, 8 * 30 * 5 * 3, 8 * 30 * 5 * 7])   # chunks of 1, 3 and 7 particles
def test_chunked_cost_equals_unchunked_to_the_bit(monkeypatch, output, k, hidden, budget):
    from l2lib import pso
    rng = np.random.default_rng(12)
    like = L.init_params([3, 5, 4, k], rng=0, hidden=hidden)
    X = rng.normal(size=(30, 3))
    y = rng.integers(0, 2, 30) if output == "sigmoid" else (
        rng.integers(0, k, 30) if output == "softmax" else rng.normal(size=(30, k)))
    T = rng.normal(size=(17, L.flatten(like).size))
    monkeypatch.setattr(pso, "_CHUNK_BYTES", 1 << 40)
    assert pso._chunk_size(like, 30, 17) == 17
    whole = batched_cost_parts(T, like, X, y, 0.7, hidden, output)
    alone = np.array([batched_cost(T[p], like, X, y, 0.7, hidden, output)[0] for p in range(17)])
    monkeypatch.setattr(pso, "_CHUNK_BYTES", budget)
    assert pso._chunk_size(like, 30, 17) == {1: 1, 8 * 30 * 5 * 3: 3, 8 * 30 * 5 * 7: 7}[budget]
    chunked = batched_cost_parts(T, like, X, y, 0.7, hidden, output)
    for a, b in zip(chunked, whole):
        assert np.array_equal(a, b)
    # a swarm of one: the same data term to the bit, but T[:, mask] of one row is laid out differently
    # from that of many, so the penalty's sum runs in another order: equal up to rounding only
    np.testing.assert_allclose(chunked.total, alone, rtol=1e-14)
    Z = batched_logits(T, like, X, hidden)                          # chunked too
    monkeypatch.setattr(pso, "_CHUNK_BYTES", 1 << 40)
    assert np.array_equal(Z, batched_logits(T, like, X, hidden))
    f = network_objective(like, X, y, 0.7, hidden, output)
    assert np.array_equal(f(T), whole.total)


@pytest.mark.parametrize("m", [200, 1000])
def test_large_swarm_cost_in_chunks_matches_the_plain_cost(monkeypatch, m):
    # 2-16-1: the default budget splits 40 particles into chunks of 5 (m = 200) or 1 (m = 1000): the
    # same bits as the whole swarm at once, and each particle's cost is l2lib.cost of its network up
    # to rounding (an independent computation)
    from l2lib import pso
    X, y = L.make_moons(m, noise=0.35, rng=3)
    like = L.init_params([2, 16, 1], rng=0, hidden="tanh")
    T = np.random.default_rng(13).uniform(-1, 1, (40, L.flatten(like).size))
    assert pso._chunk_size(like, m, 40) < 40
    got = batched_cost(T, like, X, y, 1.0, hidden="tanh")
    monkeypatch.setattr(pso, "_CHUNK_BYTES", 1 << 40)
    assert np.array_equal(got, batched_cost(T, like, X, y, 1.0, hidden="tanh"))
    want = [L.cost(L.unflatten(T[p], like), X, y, 1.0, hidden="tanh").total for p in range(40)]
    np.testing.assert_allclose(got, want, rtol=1e-13)


def test_fast_tanh_needs_no_clip():
    # 1 - 2/(1 + e^{2z}) is +-1 exactly beyond |z| = 20, where exp overflows to inf for z > 354 and
    # underflows for z < -354: without a clip it gives the bits of the clipped formula, with no warning.
    from l2lib.kernels import fast_tanh
    z = np.concatenate([np.linspace(-400.0, 400.0, 20001), [np.inf, -np.inf, 20.0000001, -20.0000001]])
    clipped = 1.0 - 2.0 / (1.0 + np.exp(2.0 * np.clip(z, -20.0, 20.0)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = fast_tanh(z)
    assert np.array_equal(got, clipped)
    assert np.max(np.abs(got - np.tanh(z))) < 5e-16


# ------------------------------------------------------------------ K swarms at once (a λ grid)
def test_swarms_are_the_runs_of_each_cost_alone_and_the_loop_reference():
    # three shifted quadratics with their own centres: swarm k must be the run on cost k alone, to the
    # bit, and the particle-by-particle reference on cost k (an independent implementation) agrees
    centres = np.array([[0.3, -0.7, 0.5, 0.1], [-1.0, 0.2, 0.0, 0.9], [0.5, 0.5, -0.5, -0.5]])
    costs = [lambda X, c=c: np.sum(A * (X - c) ** 2, axis=1) + 3.0 for c in centres]
    kw = dict(dim=4, lo=-2, hi=2, n_particles=12, n_iter=50, v_max=0.4, w_final=0.4, rng=7)
    many = pso_minimize(lambda Xs: np.stack([f(Xk) for f, Xk in zip(costs, Xs)]), swarms=3, **kw)
    assert isinstance(many, list) and len(many) == 3
    for f, c, got in zip(costs, centres, many):
        alone = pso_minimize(f, **kw)
        loop = pso_minimize_loop(one(f), **kw)
        for ref in (alone, loop):
            np.testing.assert_array_equal(got.x, ref.x)
            np.testing.assert_array_equal(got.history, ref.history)
            np.testing.assert_array_equal(got.evals, ref.evals)
            assert got.cost == ref.cost and got.n_iter == ref.n_iter == 50
        assert np.linalg.norm(got.x - c) < 0.05                  # and each found its own minimum
    assert len({tuple(r.x) for r in many}) == 3


def test_swarms_share_x0_and_a_swarm_of_one_is_the_plain_run():
    x0 = np.random.default_rng(3).uniform(-1, 1, (8, 2))
    kw = dict(dim=2, n_particles=8, n_iter=20, x0=x0, rng=4)
    plain = pso_minimize(sphere, **kw)
    (single,) = pso_minimize(lambda Xs: sphere(Xs[0])[None], swarms=1, **kw)
    np.testing.assert_array_equal(single.history, plain.history)
    np.testing.assert_array_equal(single.x, plain.x)
    seen = []
    pso_minimize(lambda Xs: seen.append(Xs.copy()) or np.zeros(Xs.shape[:2]), swarms=2, n_iter=0, **{
        k: v for k, v in kw.items() if k != "n_iter"})
    assert seen[0].shape == (2, 8, 2)
    np.testing.assert_array_equal(seen[0][0], x0)
    np.testing.assert_array_equal(seen[0][1], x0)


def test_network_objective_on_a_grid_is_batched_cost_per_lam_to_the_bit(moons):
    X, y = moons
    like = L.init_params([2, 3, 1], rng=0, hidden="tanh")
    lams = np.array([0.0, 0.5, 4.0])
    T = np.random.default_rng(8).normal(size=(3, 6, L.flatten(like).size))
    got = network_objective(like, X, y, lams, hidden="tanh")(T)
    assert got.shape == (3, 6)
    for k, lam in enumerate(lams):
        np.testing.assert_array_equal(got[k], batched_cost(T[k], like, X, y, lam, hidden="tanh"))
        want = [L.cost(L.unflatten(t, like), X, y, lam, hidden="tanh").total for t in T[k]]
        np.testing.assert_allclose(got[k], want, rtol=1e-13)   # l2lib.cost, network by network


def test_pso_train_on_a_grid_is_pso_train_per_lam_to_the_bit(moons):
    X, y = moons
    like = L.init_net([2, 3, 1], rng=0, hidden="tanh")
    lams = [0.0, 0.3, 3.0, 30.0]
    nets, results = pso_train(like, X, y, lams, n_particles=15, n_iter=60, rng=2)
    assert len(nets) == len(results) == 4
    for lam, net, res in zip(lams, nets, results):
        net1, res1 = pso_train(like, X, y, lam, n_particles=15, n_iter=60, rng=2)
        np.testing.assert_array_equal(res.x, res1.x)
        np.testing.assert_array_equal(res.history, res1.history)
        assert res.cost == res1.cost == pytest.approx(L.cost(net, X, y, lam).total, rel=1e-12)
        assert all(np.array_equal(W, W1) and np.array_equal(b, b1)
                   for (W, b), (W1, b1) in zip(net.params, net1.params))
    norms = [math.sqrt(sum(L.frobenius_sq(W) for W, _ in n.params)) for n in nets[1:]]
    assert norms[0] > norms[1] > norms[2]                        # a larger λ, smaller weights


def test_bad_grid_arguments(moons):
    X, y = moons
    like = L.init_params([2, 3, 1], rng=0)
    n = L.flatten(like).size
    with pytest.raises(ValueError, match="'swarms' parameter must be an int in the range \\[1, inf\\). Got 0"):
        pso_minimize(sphere, 2, swarms=0)
    with pytest.raises(ValueError, match="'target' parameter must be None when 'swarms' is given"):
        pso_minimize(lambda Xs: np.zeros(Xs.shape[:2]), 2, swarms=2, target=0.1)
    with pytest.raises(ValueError, match="'f' parameter must return one cost per particle, shape \\(2, 40\\)"):
        pso_minimize(lambda Xs: np.zeros(40), 2, swarms=2)
    with pytest.raises(ValueError, match="'lam' parameter must be a non-empty, strictly increasing"):
        pso_train(like, X, y, [1.0, 0.5])
    with pytest.raises(ValueError, match="'lam' parameter"):
        network_objective(like, X, y, [0.0, -1.0])
    with pytest.raises(ValueError, match="'target' parameter must be None when 'lam' is a grid"):
        pso_train(like, X, y, [0.0, 1.0], target=0.2)
    f = network_objective(like, X, y, [0.0, 1.0])
    with pytest.raises(ValueError, match=f"'thetas' parameter must be an array of shape \\(2, P, {n}\\)"):
        f(np.zeros((3, 4, n)))
    with pytest.raises(ValueError, match="'thetas' parameter must hold finite values"):
        f(np.full((2, 4, n), np.inf))
