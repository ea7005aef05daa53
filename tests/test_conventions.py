"""Tests for l2lib.conventions and l2lib.frameworks: every conversion proved by computing both sides independently.

The framework side is written here from each framework's *documented* loss or
update rule, in numpy only: a loss as the framework writes it, differentiated by
central finite differences (no hand-derived penalty gradient), or the update
algorithm of the PyTorch documentation typed out again. The book side is
l2lib's regularized cost and gradient (:func:`l2lib.cost_and_grads`). Neither
side calls the ``*_step`` functions of l2lib.frameworks or the formulas of
l2lib.conventions, except the conversion being tested; the ``*_step``
functions are then tested against the algorithms typed out here.
"""
import math

import numpy as np
import pytest

import l2lib as L
from l2lib import conventions as C
from l2lib import frameworks as F

LAM, M, LR, B = 3.0, 40, 0.1, 8


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def problem():
    """A 3-4-1 network with non-zero biases, M examples, and the first B of them as a minibatch."""
    rng = np.random.default_rng(11)
    X = rng.normal(size=(M, 3))
    y = (X[:, 0] - X[:, 1] + 0.5 * rng.normal(size=M) > 0).astype(int)
    params = [(W, rng.normal(0.0, 0.5, b.shape)) for W, b in L.init_params([3, 4, 1], rng=rng)]
    return params, X, y


def flat(params):
    return L.flatten(params)


def mean_loss(theta, params, X, y):
    """The data term D on (X, y): mean binary cross-entropy of the network with parameters theta."""
    return L.cost(L.unflatten(theta, params), X, y, 0.0).data


def sum_sq_weights(theta, params):
    return float(np.sum(theta[L.weight_mask(params)] ** 2))


def fd_grad(f, theta):
    return L.numerical_gradient(f, theta, eps=1e-6)


def book_gradient(theta, params, X, y, lam, m):
    """Gradient of the book's cost, from l2lib (data term on X, penalty (λ/2m)Σ‖W‖²)."""
    return flat(L.cost_and_grads(L.unflatten(theta, params), X, y, lam, m=m)[1])


def book_step(theta, params, X, y, lam=LAM, m=M, lr=LR):
    return theta - lr * book_gradient(theta, params, X, y, lam, m)


# -------------------------------------------------------- conversions by hand
def test_hand_worked_values():
    assert C.d2l_lambda(3.0, 100) == pytest.approx(0.03)
    assert C.torch_sgd_weight_decay(3.0, 100) == pytest.approx(0.03)
    assert C.torch_adam_weight_decay(3.0, 100) == pytest.approx(0.03)
    assert C.torch_adamw_weight_decay(3.0, 100) == pytest.approx(0.03)
    assert C.keras_l2(3.0, 100) == pytest.approx(0.015)
    assert C.sklearn_mlp_alpha(3.0, 100, 20) == pytest.approx(0.6)
    assert C.sklearn_mlp_alpha(3.0, 100, 100) == pytest.approx(3.0)
    assert C.sklearn_logreg_C(4.0) == pytest.approx(0.25)
    assert C.sklearn_logreg_C(0.0) == math.inf
    assert C.decoupled_decay(3.0, 100, 0.5) == pytest.approx(0.015)
    assert C.keras_weight_decay(3.0, 100) == pytest.approx(0.03)
    assert C.optax_weight_decay(3.0, 100) == pytest.approx(0.03)
    assert C.playground_rate(3.0, 100) == pytest.approx(0.03)
    assert C.from_book(4.0, "sklearn_logreg_liblinear") == pytest.approx(0.25)


def test_every_convention_has_a_kind_and_the_decay_rows_say_what_they_are():
    assert set(C.KINDS) == {"l2", "decay"}
    kinds = {k: c.kind for k, c in C.CONVENTIONS.items()}
    assert {k for k, v in kinds.items() if v == "decay"} == {"torch_adamw", "keras_wd", "optax_adamw", "decoupled"}
    assert all(v in C.KINDS for v in kinds.values())
    order = list(kinds.values())
    assert order == sorted(order, key=list(C.KINDS).index)            # L2 rows first, decay rows apart
    assert all(c.vs_l2 for c in C.CONVENTIONS.values() if c.kind == "decay")
    assert not any(c.vs_l2 for c in C.CONVENTIONS.values() if c.kind == "l2")


@pytest.mark.parametrize("key", list(C.CONVENTIONS))
def test_to_book_inverts_from_book(key):
    for lam in (0.0, 0.37, 3.0, 250.0):
        if key == "sklearn_logreg" and lam == 0.0:
            assert C.to_book(C.from_book(0.0, key), key) == 0.0
            continue
        value = C.from_book(lam, key, m=120, lr=0.25, batch_size=30)
        assert C.to_book(value, key, m=120, lr=0.25, batch_size=30) == pytest.approx(lam, rel=1e-12)


@pytest.mark.parametrize("key", list(C.CONVENTIONS))
def test_javascript_formula_is_the_python_formula(key):
    """The widget's JS expressions use only + - * / and parentheses, so they are valid Python too."""
    js = C.CONVENTIONS[key].js
    assert set(js) <= set("lamrB0123456789 */+-().")
    for lam, m, lr, b in [(3.16, 100, 0.5, 20), (0.01, 7, 2.0, 1), (250.0, 60000, 1e-3, 256)]:
        assert eval(js, {}, {"lam": lam, "m": m, "lr": lr, "B": b}) == pytest.approx(
            C.from_book(lam, key, m=m, lr=lr, batch_size=b), rel=1e-12)


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="'lam'"):
        C.keras_l2(-1.0, 10)
    with pytest.raises(ValueError, match="'m'"):
        C.d2l_lambda(1.0, 0)
    with pytest.raises(TypeError, match="'m'"):
        C.torch_sgd_weight_decay(1.0, 10.0)
    with pytest.raises(ValueError, match="'batch_size'"):
        C.sklearn_mlp_alpha(1.0, 10, 11)
    with pytest.raises(TypeError, match="'lr'"):
        C.from_book(1.0, "decoupled", m=10)
    with pytest.raises(ValueError, match="'convention'"):
        C.from_book(1.0, "tensorflow", m=10)
    with pytest.raises(TypeError, match="'batch_size'"):
        C.from_book(1.0, "sklearn_mlp_sgd", m=10)
    with pytest.raises(ValueError, match="'value'"):
        C.to_book(-0.5, "keras_l2", m=10)
    with pytest.raises(ValueError, match="'value'"):
        C.to_book(0.0, "sklearn_logreg")
    with pytest.raises(ValueError, match="'convention'.*torch_adamw"):
        C.l2_gap("torch_sgd")                                      # an L2 convention has no gap to L2
    with pytest.raises(ValueError, match="'intercept_scaling'"):
        F.logreg_C_minimizer(np.zeros((3, 1)), np.array([0, 1, 1]), 1.0, intercept_scaling=0.0)


# ------------------------------------------- one step, framework side by hand
def test_d2l_step_from_its_loss(problem):
    """D2L: mean loss + (λ'/2)·‖w‖², differentiated numerically."""
    params, X, y = problem
    Xb, yb, theta = X[:B], y[:B], flat(params)
    lam_d2l = C.d2l_lambda(LAM, M)
    loss = lambda th: mean_loss(th, params, Xb, yb) + lam_d2l / 2 * sum_sq_weights(th, params)  # noqa: E731
    theirs = theta - LR * fd_grad(loss, theta)
    np.testing.assert_allclose(theirs, book_step(theta, params, Xb, yb), atol=1e-8)


def test_keras_step_from_its_loss(problem):
    """Keras: mean loss + l2·Σw² (no ½), differentiated numerically."""
    params, X, y = problem
    Xb, yb, theta = X[:B], y[:B], flat(params)
    l2 = C.keras_l2(LAM, M)
    loss = lambda th: mean_loss(th, params, Xb, yb) + l2 * sum_sq_weights(th, params)  # noqa: E731
    theirs = theta - LR * fd_grad(loss, theta)
    np.testing.assert_allclose(theirs, book_step(theta, params, Xb, yb), atol=1e-8)
    naive = theta - LR * fd_grad(lambda th: mean_loss(th, params, Xb, yb)
                                 + LAM / M * sum_sq_weights(th, params), theta)   # forgetting the ½
    assert np.max(np.abs(naive - book_step(theta, params, Xb, yb))) > 1e-4


@pytest.mark.parametrize("n", [B, M])
def test_sklearn_mlp_step_from_its_loss(problem, n):
    """scikit-learn: (Σ_batch L + ½·α·Σ‖W‖²) / n_samples, for a minibatch (sgd/adam) or all m rows (lbfgs)."""
    params, X, y = problem
    Xb, yb, theta = X[:n], y[:n], flat(params)
    alpha = C.from_book(LAM, "sklearn_mlp_sgd" if n < M else "sklearn_mlp_lbfgs", m=M, batch_size=n)

    def loss(th):
        total = n * mean_loss(th, params, Xb, yb)                 # sklearn sums then divides
        return (total + 0.5 * alpha * sum_sq_weights(th, params)) / n

    theirs = theta - LR * fd_grad(loss, theta)
    np.testing.assert_allclose(theirs, book_step(theta, params, Xb, yb), atol=1e-8)
    if n == M:   # lbfgs minimizes a cost that *equals* the book's at every θ
        for th in (theta, 0.5 * theta + 0.1):
            assert loss(th) == pytest.approx(L.cost(L.unflatten(th, params), X, y, LAM).total, rel=1e-12)


def test_sklearn_mlp_same_alpha_means_a_batch_dependent_lambda(problem):
    params, X, y = problem
    theta = flat(params)
    alpha = C.sklearn_mlp_alpha(LAM, M, B)
    for n in (4, 20):                                              # other batch sizes, same α
        loss = lambda th: (n * mean_loss(th, params, X[:n], y[:n]) + 0.5 * alpha * sum_sq_weights(th, params)) / n  # noqa: E731,E501
        implied = C.to_book(alpha, "sklearn_mlp_sgd", m=M, batch_size=n)
        np.testing.assert_allclose(theta - LR * fd_grad(loss, theta),
                                   book_step(theta, params, X[:n], y[:n], lam=implied), atol=1e-8)
        assert implied == pytest.approx(LAM * B / n)


def torch_sgd(theta, grads, lr, groups, momentum=0.0, dampening=0.0, nesterov=False):
    """Three steps of PyTorch's documented SGD, typed out: g += wd·p (each entry's group wd), momentum, p -= lr·g."""
    bufs, out, p = None, [], theta.copy()
    for t in range(3):
        g = grads(p) + groups * p                     # groups: weight_decay of each entry's group
        if momentum != 0:
            bufs = g.copy() if t == 0 else momentum * bufs + (1 - dampening) * g
            g = g + momentum * bufs if nesterov else bufs
        p = p - lr * g
        out.append(p)
    return out


def test_torch_sgd_with_momentum_is_heavy_ball_on_the_book_cost(problem):
    params, X, y = problem
    Xb, yb, theta = X[:B], y[:B], flat(params)
    wd = C.torch_sgd_weight_decay(LAM, M)
    mask = L.weight_mask(params)
    data = lambda th: book_gradient(th, params, Xb, yb, 0.0, M)    # noqa: E731  plain loss.backward()
    theirs = torch_sgd(theta, data, LR, np.where(mask, wd, 0.0), momentum=0.9)
    p, v, ours = theta.copy(), np.zeros_like(theta), []
    for _ in range(3):                                             # heavy ball on the book's cost
        v = 0.9 * v + book_gradient(p, params, Xb, yb, LAM, M)
        p = p - LR * v
        ours.append(p)
    for a, b in zip(theirs, ours):
        np.testing.assert_allclose(a, b, atol=1e-12)
    # PyTorch's default decays every parameter it is given: with non-zero biases that is a different step
    all_decayed = torch_sgd(theta, data, LR, np.full(theta.shape, wd), momentum=0.9)
    assert np.max(np.abs(all_decayed[0] - ours[0])) > 1e-5


def torch_adam(theta, grads, lr, wd, decoupled, steps=3, b1=0.9, b2=0.999, eps=1e-8):
    """PyTorch's documented Adam / AdamW, typed out; wd is an array (0 on the no-decay group)."""
    p, m1, v = theta.copy(), np.zeros_like(theta), np.zeros_like(theta)
    for t in range(1, steps + 1):
        g = grads(p)
        if decoupled:
            p = p - lr * wd * p
        else:
            g = g + wd * p
        m1 = b1 * m1 + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        p = p - lr * (m1 / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return p


def test_torch_adam_weight_decay_is_adam_on_the_book_cost(problem):
    params, X, y = problem
    Xb, yb, theta = X[:B], y[:B], flat(params)
    wd = np.where(L.weight_mask(params), C.torch_adam_weight_decay(LAM, M), 0.0)
    theirs = torch_adam(theta, lambda th: book_gradient(th, params, Xb, yb, 0.0, M), 0.01, wd, False)
    ours = torch_adam(theta, lambda th: book_gradient(th, params, Xb, yb, LAM, M), 0.01, 0.0, False)
    np.testing.assert_allclose(theirs, ours, atol=1e-12)


def test_torch_adamw_matches_the_book_decay_but_not_the_book_cost(problem):
    params, X, y = problem
    Xb, yb, theta = X[:B], y[:B], flat(params)
    mask = L.weight_mask(params)
    wd = np.where(mask, C.torch_adamw_weight_decay(LAM, M), 0.0)
    data = lambda th: book_gradient(th, params, Xb, yb, 0.0, M)  # noqa: E731
    decay_adamw = torch_adam(theta, data, LR, wd, True, steps=1) - torch_adam(theta, data, LR, 0.0, True, steps=1)
    decay_book = book_step(theta, params, Xb, yb) - book_step(theta, params, Xb, yb, lam=0.0)
    np.testing.assert_allclose(decay_adamw, decay_book, atol=1e-12)
    # ... and yet AdamW is not Adam on the book's cost (Loshchilov & Hutter): the steps differ
    adam_book = torch_adam(theta, lambda th: book_gradient(th, params, Xb, yb, LAM, M), LR, 0.0, False, steps=1)
    assert np.max(np.abs(torch_adam(theta, data, LR, wd, True, steps=1) - adam_book)) > 1e-3


def test_decoupled_fraction_of_the_original_weight(problem):
    params, X, y = problem
    Xb, yb, theta = X[:B], y[:B], flat(params)
    mask = L.weight_mask(params)
    d = C.decoupled_decay(LAM, M, LR)
    g = book_gradient(theta, params, Xb, yb, 0.0, M)
    plain = theta - LR * g                                        # the normal update ...
    theirs = plain - d * np.where(mask, theta, 0.0)               # ... then subtract d times the old weight
    np.testing.assert_allclose(theirs, book_step(theta, params, Xb, yb), atol=1e-12)
    of_updated = plain - d * np.where(mask, plain, 0.0)           # a fraction of the *updated* weight
    np.testing.assert_allclose(of_updated - theirs, d * LR * np.where(mask, g, 0.0), atol=1e-12)
    assert np.max(np.abs(of_updated - theirs)) > 1e-6


def test_playground_update_typed_out_is_the_book_step(problem):
    """TensorFlow Playground, src/nn.ts updateWeights, typed out per weight: accumulated derivatives over
    the batch, w -= (lr / n) * acc, then w_new = w - lr * rate * regulDer with regulDer = der(w) of the
    weight *before* the data step; biases: b -= lr * acc / n, never regularized."""
    params, X, y = problem
    Xb, yb, theta = X[:B], y[:B], flat(params)
    mask = L.weight_mask(params)
    rate = C.playground_rate(LAM, M)
    acc = B * book_gradient(theta, params, Xb, yb, 0.0, M)        # summed per-example derivatives
    new = theta.copy()
    for i in range(len(theta)):
        if mask[i]:
            regul_der = theta[i]                                  # L2: der(w) = w, read before the update
            w = theta[i] - (LR / B) * acc[i]
            new[i] = w - (LR * rate) * regul_der
        else:
            new[i] = theta[i] - LR * acc[i] / B
    np.testing.assert_allclose(new, book_step(theta, params, Xb, yb), atol=1e-12)
    np.testing.assert_allclose(F.playground_step(theta, acc / B, LR, rate, mask), new, atol=1e-13)
    # dividing the shrink by the batch size too would be a B times weaker penalty
    weaker = theta - LR * acc / B - LR * rate / B * np.where(mask, theta, 0.0)
    assert np.max(np.abs(weaker - new)) > 1e-4


def keras3(theta, grads, lr, wd, decayed, optimizer, steps=2, momentum=0.0, b1=0.9, b2=0.999, eps=1e-7):
    """Keras 3, typed out from base_optimizer.py / sgd.py / adam.py: per step, variable -= variable*wd*lr on
    the variables not excluded (``decayed``), then update_step with the gradient taken before the decay."""
    p, vel, m1, v = theta.copy(), np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    for t in range(1, steps + 1):
        g = grads(p)
        if wd is not None:
            p = np.where(decayed, p - p * wd * lr, p)
        if optimizer == "sgd":
            if momentum:
                vel = momentum * vel - lr * g
                p = p + vel
            else:
                p = p - lr * g
        else:
            m1 = m1 + (g - m1) * (1 - b1)
            v = v + (g * g - v) * (1 - b2)
            p = p - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m1 / (np.sqrt(v) + eps)
    return p


def test_keras3_weight_decay_is_the_book_step_with_plain_sgd_and_decoupled_with_adam(problem):
    params, X, y = problem
    Xb, yb, theta = X[:B], y[:B], flat(params)
    mask = L.weight_mask(params)
    wd = C.keras_weight_decay(LAM, M)
    data = lambda th: book_gradient(th, params, Xb, yb, 0.0, M)    # noqa: E731
    ours = lambda th: book_gradient(th, params, Xb, yb, LAM, M)    # noqa: E731
    # plain SGD, biases excluded (exclude_from_weight_decay(var_names=["bias"])): the book's step
    np.testing.assert_allclose(keras3(theta, data, LR, wd, mask, "sgd", steps=1), book_step(theta, params, Xb, yb),
                               atol=1e-12)
    # Keras's default decays every variable: the biases move too
    every = keras3(theta, data, LR, wd, np.ones_like(mask), "sgd", steps=1)
    assert np.max(np.abs(every - book_step(theta, params, Xb, yb))) > 1e-4
    # with momentum it is not heavy ball on the book's cost: coupled and decoupled part ways at step 2
    heavy = keras3(theta, ours, LR, None, mask, "sgd", momentum=0.9)
    assert np.max(np.abs(keras3(theta, data, LR, wd, mask, "sgd", momentum=0.9) - heavy)) > 1e-5
    # Adam: the decay of one step is the book's decay, the step is not Adam on the book's cost
    one = keras3(theta, data, 0.01, wd, mask, "adam", steps=1) - keras3(theta, data, 0.01, None, mask, "adam", steps=1)
    np.testing.assert_allclose(one, -0.01 * LAM / M * np.where(mask, theta, 0.0), atol=1e-15)
    adam_on_cost = keras3(theta, ours, 0.01, None, mask, "adam")
    assert np.max(np.abs(keras3(theta, data, 0.01, wd, mask, "adam") - adam_on_cost)) > 1e-3


def optax_chain(theta, grads, lr, wd, decayed, where, steps=3, momentum=0.9, b1=0.9, b2=0.999, eps=1e-8):
    """Optax, typed out: ``where="before"`` is chain(add_decayed_weights(wd, mask), sgd(lr, momentum))
    (trace t = u + momentum t); ``where="adamw"`` is chain(scale_by_adam, add_decayed_weights, -lr)."""
    p, tr, mu, nu = theta.copy(), np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    for t in range(1, steps + 1):
        u = grads(p)
        if where == "before":
            u = u + np.where(decayed, wd * p, 0.0)
            tr = u + momentum * tr
            u = tr
        else:
            mu = (1 - b1) * u + b1 * mu
            nu = (1 - b2) * u ** 2 + b2 * nu
            u = (mu / (1 - b1 ** t)) / (np.sqrt(nu / (1 - b2 ** t)) + eps)
            u = u + np.where(decayed, wd * p, 0.0)
        p = p - lr * u
    return p


def test_optax_add_decayed_weights_is_coupled_before_sgd_and_decoupled_in_adamw(problem):
    params, X, y = problem
    Xb, yb, theta = X[:B], y[:B], flat(params)
    mask = L.weight_mask(params)
    wd = C.optax_weight_decay(LAM, M)
    data = lambda th: book_gradient(th, params, Xb, yb, 0.0, M)    # noqa: E731
    ours = lambda th: book_gradient(th, params, Xb, yb, LAM, M)    # noqa: E731
    p, v = theta.copy(), np.zeros_like(theta)
    for _ in range(3):                                             # heavy ball on the book's cost
        v = 0.9 * v + ours(p)
        p = p - LR * v
    np.testing.assert_allclose(optax_chain(theta, data, LR, wd, mask, "before"), p, atol=1e-12)
    one = optax_chain(theta, data, 0.01, wd, mask, "adamw", steps=1) - \
        optax_chain(theta, data, 0.01, 0.0, mask, "adamw", steps=1)
    np.testing.assert_allclose(one, -0.01 * LAM / M * np.where(mask, theta, 0.0), atol=1e-15)
    adam_on_cost = optax_chain(theta, ours, 0.01, 0.0, mask, "adamw")
    assert np.max(np.abs(optax_chain(theta, data, 0.01, wd, mask, "adamw") - adam_on_cost)) > 1e-3


def test_decoupled_rules_match_the_decay_per_step_but_not_l2():
    """The table's claim for the "decay" rows, with numbers that could fail either way."""
    for key in ("torch_adamw", "keras_wd", "optax_adamw", "decoupled"):
        assert C.check_conversion(key, lam=2.5, m=30, lr=0.05, batch_size=6) < 1e-12
        assert C.l2_gap(key, lam=2.5, m=30, lr=0.05, batch_size=6) > 1e-3
    assert C.l2_gap("torch_adamw", lam=0.0) == 0.0                 # no decay at all: nothing to tell apart


def test_hand_worked_single_steps():
    """One weight θ = 2 and one bias 1 (mask [True, False]), data gradient 0.5 for both, by hand."""
    theta, g, mask = np.array([2.0, 1.0]), np.array([0.5, 0.5]), np.array([True, False])
    # Playground, η = 0.1, rate 0.2: w = 2 - 0.05 - 0.1*0.2*2 = 1.91; b = 1 - 0.05 = 0.95
    np.testing.assert_allclose(F.playground_step(theta, g, 0.1, 0.2, mask), [1.91, 0.95])
    # Keras SGD, η = 0.1, wd = 0.2, every variable decayed: 2*(1 - 0.02) - 0.05 = 1.91, 1*(0.98) - 0.05 = 0.93
    np.testing.assert_allclose(F.keras_sgd_wd_step(theta, g, 0.1, 0.2)[0], [1.91, 0.93])
    # ... with momentum 0.9, two steps of the same gradient: v1 = -0.05, w1 = 1.91;
    # w1 decayed: 1.91*0.98 = 1.8718, v2 = 0.9*(-0.05) - 0.05 = -0.095, w2 = 1.7768
    p, v = F.keras_sgd_wd_step(theta, g, 0.1, 0.2, mask, momentum=0.9)
    p, v = F.keras_sgd_wd_step(p, g, 0.1, 0.2, mask, momentum=0.9, velocity=v)
    assert p[0] == pytest.approx(1.7768, abs=1e-12) and v[0] == pytest.approx(-0.095, abs=1e-12)
    # Keras Adam, η = 0.1, wd = 0.1, first step: decay 2 -> 1.98; then m = 0.05, v = 0.00025,
    # alpha = 0.1*sqrt(0.001)/0.1, step = alpha*m/(sqrt(v) + 1e-7) = 0.1 * 0.5/(0.5 + 1e-7/sqrt(0.001))
    expected = 1.98 - 0.1 * 0.5 / (0.5 + 1e-7 / math.sqrt(0.001))
    assert F.keras_adam_step(theta, g, None, 0.1, 0.1, mask)[0][0] == pytest.approx(expected, abs=1e-12)
    # Optax adamw, η = 0.1, wd = 0.1: u = 0.5/(0.5 + 1e-8) + 0.1*2, θ = 2 - 0.1*u ≈ 1.88 (= PyTorch AdamW)
    expected = 2 - 0.1 * (0.5 / (0.5 + 1e-8) + 0.2)
    assert F.optax_adamw_step(theta, g, None, 0.1, 0.1, mask)[0][0] == pytest.approx(expected, abs=1e-12)
    assert F.torch_adam_step(theta, g, None, 0.1, 0.1, True, mask)[0][0] == pytest.approx(expected, abs=1e-12)
    # Optax add_decayed_weights then sgd, η = 0.1, wd = 0.2: u = 0.5 + 0.4 = 0.9, θ = 1.91; bias 0.95
    np.testing.assert_allclose(F.optax_sgd_step(theta, g, 0.1, 0.2, mask)[0], [1.91, 0.95])


def liblinear_newton(X, y, C_, s, iters=40):
    """liblinear's problem written out: features [x, s], every weight penalized, ½‖(w, w_s)‖² + C·Σ BCE;
    the intercept is s * w_s."""
    A = np.c_[X, np.full(len(X), s)]
    th = np.zeros(A.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(A @ th)))
        H = np.eye(len(th)) + C_ * (A * (p * (1 - p))[:, None]).T @ A
        th = th - np.linalg.solve(H, th + C_ * A.T @ (p - y))
    return th[:-1], s * th[-1]


def test_liblinear_C_penalizes_the_intercept():
    rng = np.random.default_rng(5)
    m, lam = 60, 2.0
    X = rng.normal(size=(m, 2))
    y = (X @ np.array([1.0, -1.0]) + 1.5 + rng.normal(size=m) > 0).astype(float)   # an offset: b matters
    c = C.from_book(lam, "sklearn_logreg_liblinear")
    w, b = liblinear_newton(X, y, c, 1.0)
    _, g = L.cost_and_grads([(w[:, None], np.array([b]))], X, y, lam)
    g = L.flatten(g)
    assert abs(g[-1]) > 1e-3                                       # the book's cost is not at its minimum in b
    np.testing.assert_allclose(g[-1], -lam / m * b, rtol=1e-8)     # ... by exactly the intercept's penalty (s = 1)
    np.testing.assert_allclose(g[:-1], 0.0, atol=1e-10)            # the weights' condition holds
    w_big, b_big = liblinear_newton(X, y, c, 1e3)                  # intercept_scaling raised: penalty (b/s)² fades
    _, g_big = L.cost_and_grads([(w_big[:, None], np.array([b_big]))], X, y, lam)
    assert np.max(np.abs(L.flatten(g_big))) < 1e-6
    wf, bf = F.logreg_C_minimizer(X, y, c, intercept_scaling=1.0)
    np.testing.assert_allclose(np.r_[wf, bf], np.r_[w, b], atol=1e-10)
    assert C.check_conversion("sklearn_logreg_liblinear", lam=2.5, m=30) > 1e-3


def newton_logreg(X, y, C_, iters=40):
    """Minimize ½‖w‖² + C·Σ BCE by Newton's method, written out here (intercept unpenalized)."""
    A = np.c_[X, np.ones(len(X))]
    th = np.zeros(A.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(A @ th)))
        g = np.r_[th[:-1], 0.0] + C_ * A.T @ (p - y)
        H = np.diag(np.r_[np.ones(len(th) - 1), 0.0]) + C_ * (A * (p * (1 - p))[:, None]).T @ A
        th = th - np.linalg.solve(H, g)
    return th


@pytest.mark.parametrize("m", [30, 300])
def test_logistic_regression_C_has_the_book_minimizer(m):
    rng = np.random.default_rng(m)
    X = rng.normal(size=(m, 2))
    y = (X @ np.array([1.5, -1.0]) + rng.normal(size=m) > 0).astype(float)
    lam = 2.0
    th = newton_logreg(X, y, C.sklearn_logreg_C(lam))
    params = [(th[:-1, None], th[-1:])]
    _, g = L.cost_and_grads(params, X, y, lam)                    # the book's gradient at sklearn's minimizer
    assert np.max(np.abs(L.flatten(g))) < 1e-10
    _, g_wrong = L.cost_and_grads(params, X, y, lam * m)          # "C = 1/λ with a mean loss" misread as λ/m
    assert np.max(np.abs(L.flatten(g_wrong))) > 1e-3
    w, b = F.logreg_C_minimizer(X, y, C.sklearn_logreg_C(lam))
    np.testing.assert_allclose(np.r_[w, b], th, atol=1e-10)


# ------------------------------------------------ the module's update functions
def test_module_steps_equal_the_documented_algorithms(problem):
    params, X, y = problem
    theta, mask = flat(params), L.weight_mask(params)
    grads = lambda th: book_gradient(th, params, X[:B], y[:B], 0.0, M)   # noqa: E731
    for nesterov, damp in [(False, 0.0), (True, 0.0), (False, 0.3)]:
        ref = torch_sgd(theta, grads, LR, np.where(mask, 0.05, 0.0), momentum=0.8, dampening=damp, nesterov=nesterov)
        p, buf = theta, None
        for t in range(3):
            p, buf = F.torch_sgd_step(p, grads(p), LR, 0.05, mask, momentum=0.8, dampening=damp,
                                      nesterov=nesterov, buf=buf)
            np.testing.assert_allclose(p, ref[t], atol=1e-13)
    for decoupled in (False, True):
        ref = torch_adam(theta, grads, 0.01, np.where(mask, 0.1, 0.0), decoupled)
        p, state = theta, None
        for _ in range(3):
            p, state = F.torch_adam_step(p, grads(p), state, 0.01, 0.1, decoupled, mask)
        np.testing.assert_allclose(p, ref, atol=1e-13)
    for optimizer, kw in (("sgd", {}), ("sgd", {"momentum": 0.8}), ("adam", {})):
        ref = keras3(theta, grads, 0.01, 0.1, mask, optimizer, steps=3, **kw)
        p, st = theta, None
        for _ in range(3):
            if optimizer == "sgd":
                p, st = F.keras_sgd_wd_step(p, grads(p), 0.01, 0.1, mask, velocity=st, **kw)
            else:
                p, st = F.keras_adam_step(p, grads(p), st, 0.01, 0.1, mask)
        np.testing.assert_allclose(p, ref, atol=1e-13)
    for where in ("before", "adamw"):
        ref = optax_chain(theta, grads, 0.01, 0.1, mask, where)
        p, st = theta, None
        for _ in range(3):
            if where == "before":
                p, st = F.optax_sgd_step(p, grads(p), 0.01, 0.1, mask, momentum=0.9, trace=st)
            else:
                p, st = F.optax_adamw_step(p, grads(p), st, 0.01, 0.1, mask)
        np.testing.assert_allclose(p, ref, atol=1e-13)
    g = grads(theta)
    np.testing.assert_allclose(F.keras_sgd_step(theta, g, LR, 0.2, mask), theta - LR * (g + 0.4 * mask * theta))
    np.testing.assert_allclose(F.sklearn_mlp_sgd_step(theta, g, LR, 0.6, 3, mask), theta - LR * (g + 0.2 * mask * theta))
    np.testing.assert_allclose(F.d2l_sgd_step(theta, g, LR, 0.2, mask), theta - LR * (g + 0.2 * mask * theta))
    np.testing.assert_allclose(F.decoupled_step(theta, g, LR, 0.2, mask), theta - LR * g - 0.2 * mask * theta)
    np.testing.assert_allclose(F.book_step(theta, g, LAM, M, LR, mask), book_step(theta, params, X[:B], y[:B]))


@pytest.mark.parametrize("key", [k for k in C.CONVENTIONS if k not in ("book", "sklearn_logreg_liblinear")])
def test_check_conversion_finds_every_conversion_exact(key):
    assert C.check_conversion(key, lam=2.5, m=30, lr=0.2, batch_size=6) < 1e-12


def test_check_conversion_bad_input():
    with pytest.raises(ValueError, match="'lam'"):
        C.check_conversion("sklearn_logreg", lam=0.0)
    with pytest.raises(ValueError, match="'batch_size'"):
        C.check_conversion("keras_l2", m=10, batch_size=20)


# ------------------------------------------------------------- the table
def test_conversion_table_rows_values_and_checks():
    t = C.conversion_table(3.16, 100, 0.5, 20)
    assert [r["key"] for r in t.rows] == list(C.CONVENTIONS)
    for r in t.rows:
        assert r["value"] == pytest.approx(C.from_book(3.16, r["key"], m=100, lr=0.5, batch_size=20))
        expected = {"book": "—", "sklearn_logreg_liblinear": "differs"}.get(r["key"], "equal")
        assert r["check"] == expected, r["key"]
        if r["kind"] == "decay":                                   # same decay per step, and yet not L2
            assert r["vs_l2"] == "differs" and r["gap"] > 1e-3
        else:
            assert r["vs_l2"] == "—" and r["gap"] is None
    assert [h for h, _ in t.groups()] == list(C.KINDS.values())
    text = repr(t)
    lines = text.splitlines()
    assert lines[0] == "book λ = 3.16, m = 100, η = 0.5, B = 20"
    assert len(lines) == 2 + len(C.KINDS) + len(C.CONVENTIONS)
    adamw = next(i for i, line in enumerate(lines) if line.startswith("PyTorch AdamW"))
    heading = next(i for i, line in enumerate(lines) if line.startswith("-- Same decay per step"))
    assert heading < adamw and "differs" in lines[adamw]            # AdamW below its own heading, not "equal" as L2
    assert "0.0158" in text and "0.632" in text and "0.3165" in text
    html = t.html()
    assert html.count("<tr>") == len(C.CONVENTIONS) + len(C.KINDS) + 1 and "scope='col'" in html
    assert html.count("<tbody>") == len(C.KINDS) and html.count("scope='colgroup'") == len(C.KINDS)
    assert t._repr_html_() == html and "checked on" in html
    short = t.text(checks=False)
    assert "equal" not in short and "checked on" not in short and "0.632" in short
    assert all(r["check"] == "—" for r in C.conversion_table(0.0, 10, 0.1, 5, check=False).rows)


def test_fmt4_examples():
    assert [C.fmt4(v) for v in (3.16, 0.031600000000000003, 1e-5, 123456.0, -0.5, math.inf)] == \
        ["3.16", "0.0316", "1e-5", "1.235e5", "-0.5", "∞"]


def test_every_public_name_has_one_home():
    """conventions, frameworks and converter share no public name, and each defines what it lists."""
    import l2lib.converter
    import l2lib.frameworks

    modules = [C, F, l2lib.converter]
    for mod in modules:
        for name in mod.__all__:
            obj = getattr(mod, name)
            assert getattr(obj, "__module__", mod.__name__) == mod.__name__, f"{mod.__name__}.{name}"
    names = [n for mod in modules for n in mod.__all__]
    assert len(names) == len(set(names))
    assert not hasattr(C, "torch_sgd_step") and not hasattr(C, "converter") and not hasattr(F, "from_book")


def test_torch_steps_match_the_installed_pytorch():
    """Where PyTorch itself is installed (the benchmarks use it), its optimizers are the referee:
    three steps of SGD with momentum, Adam and AdamW, weights in a group with weight_decay, biases without."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    theta, mask = rng.normal(size=7), np.array([True, True, False, True, False, True, True])
    grads = [rng.normal(size=7) for _ in range(3)]
    for name, kw, ours in [
            ("SGD", {"momentum": 0.9}, lambda p, g, s: F.torch_sgd_step(p, g, 0.1, 0.05, mask, momentum=0.9, buf=s)),
            ("Adam", {}, lambda p, g, s: F.torch_adam_step(p, g, s, 0.1, 0.05, False, mask)),
            ("AdamW", {}, lambda p, g, s: F.torch_adam_step(p, g, s, 0.1, 0.05, True, mask))]:
        w = torch.tensor(theta[mask], requires_grad=True)
        b = torch.tensor(theta[~mask], requires_grad=True)
        opt = getattr(torch.optim, name)([{"params": [w], "weight_decay": 0.05},
                                          {"params": [b], "weight_decay": 0.0}], lr=0.1, **kw)
        p, state = theta, None
        for g in grads:
            w.grad, b.grad = torch.tensor(g[mask]), torch.tensor(g[~mask])
            opt.step()
            p, state = ours(p, g, state)
        np.testing.assert_allclose(p[mask], w.detach().numpy(), atol=1e-13, err_msg=name)
        np.testing.assert_allclose(p[~mask], b.detach().numpy(), atol=1e-13, err_msg=name)
