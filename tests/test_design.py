"""The redesign's promises, checked: the penalty written once, one network value, one code path for K networks.

Known answers come from separate single-network computations or hand work, not from the batched code.
"""
import io
import re
import tokenize
from pathlib import Path

import numpy as np
import pytest

import l2lib as L
from l2lib import kernels as K

LIB = Path(L.__file__).parent


def code_without_strings(path: Path) -> str:
    """A module's source with every string literal and comment removed (docstrings and formula tables)."""
    toks = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return " ".join(t.string for t in toks if t.type not in (tokenize.STRING, tokenize.COMMENT))


PENALTY = re.compile(r"lam\w*\s*/\s*\(\s*2\s*\*\s*m\s*\)")             # λ/(2m) ...
PENALTY_GRAD = re.compile(r"/\s*m\s*\)\s*\*\s*[A-Za-z_]")                 # (λ/m) * W


def occurrences(pattern) -> dict:
    found = {}
    for path in sorted(LIB.glob("*.py")):
        n = len(pattern.findall(code_without_strings(path)))
        if n:
            found[path.name] = n
    return found


def test_the_penalty_and_its_gradient_are_written_once():
    assert occurrences(PENALTY) == {"kernels.py": 1}
    assert occurrences(PENALTY_GRAD) == {"kernels.py": 1}


def test_the_grep_would_see_a_second_copy(tmp_path):
    # the pattern finds a re-implementation written the usual ways (so the test above can fail)
    for src in ("pen = lam / (2 * m) * np.sum(W * W)", "g = (lam / m) * W", "dW = dW + (lams / m) * Ws[l]"):
        f = tmp_path / "copy.py"
        f.write_text(src + "\n")
        assert PENALTY.search(code_without_strings(f)) or PENALTY_GRAD.search(code_without_strings(f))


def test_no_module_imports_a_private_name_from_another():
    bad = []
    for path in sorted(LIB.glob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            m = re.match(r"\s*from \.(\w*) import (.*)", line)
            if m and re.search(r"(^|[\s,(])_\w+", m.group(2)):
                bad.append(f"{path.name}: {line.strip()}")
    assert bad == []


def test_the_module_training_is_not_shadowed():
    import l2lib.training as T
    assert callable(L.train) and T.train is L.train and L.training is T


# ---------------------------------------------------------------- Net
def test_net_is_accepted_everywhere_and_keeps_its_architecture():
    X, y = L.make_moons(30, 0.2, rng=0)
    net = L.init_net([2, 5, 1], rng=1, hidden="tanh")
    p = net.params
    kw = dict(hidden="tanh", output="sigmoid")
    np.testing.assert_array_equal(L.predict_proba(net, X), L.predict_proba(p, X, **kw))
    assert L.cost(net, X, y, lam=0.3) == L.cost(p, X, y, lam=0.3, **kw)
    assert L.accuracy(net, X, y) == L.accuracy(p, X, y, **kw)
    trained, _ = L.train(net, X, y, lam=0.3, epochs=5)
    ref, _ = L.train(p, X, y, lam=0.3, epochs=5, **kw)
    assert isinstance(trained, L.Net) and trained.hidden == "tanh"
    for (W, b), (V, c) in zip(trained.params, ref):
        np.testing.assert_array_equal(W, V)
        np.testing.assert_array_equal(b, c)
    theta = L.flatten(net)
    assert L.pso.batched_cost(theta[None], net, X, y)[0] == pytest.approx(L.cost(net, X, y).total, rel=1e-12)
    best, _ = L.pso.pso_train(net, X, y, n_iter=2, n_particles=4, rng=0)
    assert isinstance(best, L.Net) and best.hidden == "tanh"


def test_a_net_refuses_a_different_architecture():
    X, y = L.make_moons(10, 0.2, rng=0)
    net = L.init_net([2, 3, 1], rng=0, hidden="tanh")
    with pytest.raises(ValueError, match="'hidden' parameter must be omitted or equal to the network's own hidden 'tanh'. Got 'relu'"):
        L.cost(net, X, y, hidden="relu")
    assert L.cost(net, X, y, hidden="tanh") == L.cost(net, X, y)       # repeating it is fine


# ---------------------------------------------------------------- K networks, one code path
@pytest.mark.parametrize("hidden,output,k", [("relu", "sigmoid", 1), ("tanh", "softmax", 3), ("tanh", "identity", 2)])
def test_stacked_kernels_equal_one_network_at_a_time(hidden, output, k):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(17, 2))
    y = rng.integers(0, 2, 17) if output == "sigmoid" else (rng.integers(0, 3, 17) if output == "softmax"
                                                             else rng.normal(size=(17, 2)))
    nets = [L.init_params([2, 4, 3, k], rng=s, hidden=hidden) for s in range(4)]
    lams = np.array([0.0, 0.5, 2.0, 7.0])
    Y = L.targets(y, output, k, 17)
    stacked = [(np.stack([n[l][0] for n in nets]), np.stack([n[l][1] for n in nets])[:, None, :]) for l in range(3)]
    cache = K.forward(stacked, X, hidden, output)[1]
    parts, grads = K.cost_and_grads(stacked, cache, Y, lams, 17, (0, 1, 2), False)
    for i, (n, lam) in enumerate(zip(nets, lams)):
        one, g = L.cost_and_grads(n, X, y, lam, hidden, output)
        assert parts.total[i] == pytest.approx(one.total, rel=1e-13)
        assert parts.penalty[i] == pytest.approx(lam / (2 * 17) * sum(np.sum(W ** 2) for W, _ in n), rel=1e-13)
        for (dW, db), (gW, gb) in zip(g, grads):
            np.testing.assert_allclose(gW[i], dW, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(gb[i, 0], db, rtol=1e-12, atol=1e-15)


def test_rules_take_stacked_networks_with_one_decay_each():
    # SGD with a per-network d on K = 2 stacked one-weight networks, by hand: w - lr*g - d*w
    p = [(np.array([[[2.0]], [[2.0]]]), np.zeros((2, 1, 1)))]
    g = [(np.array([[[0.5]], [[0.5]]]), np.zeros((2, 1, 1)))]
    (W, _), = L.optim.SGD(0.1, d=np.array([0.0, 0.25])).step(p, g, None)[0]
    np.testing.assert_allclose(W[:, 0, 0], [2.0 - 0.05, 2.0 - 0.05 - 0.5])


# ---------------------------------------------------------------- kept temporaries
def test_results_never_alias_the_kept_temporaries():
    # a second call with other weights of the same shapes must not change what the first returned
    X, y = L.make_moons(300, 0.2, rng=0)
    p, q = L.init_params([2, 64, 64, 1], rng=1), L.init_params([2, 64, 64, 1], rng=2)
    parts, g = L.cost_and_grads(p, X, y, lam=0.5)
    saved = [(dW.copy(), db.copy()) for dW, db in g]
    L.cost_and_grads(q, X, y, lam=0.5)
    for (dW, db), (sW, sb) in zip(g, saved):
        np.testing.assert_array_equal(dW, sW)
        np.testing.assert_array_equal(db, sb)
    assert L.cost_and_grads(p, X, y, lam=0.5)[0] == parts


def test_threads_do_not_share_temporaries():
    import concurrent.futures as cf
    X, y = L.make_moons(400, 0.2, rng=0)
    nets = [L.init_params([2, 64, 64, 1], rng=s) for s in range(8)]
    serial = [L.cost_and_grads(p, X, y, lam=0.3) for p in nets]
    with cf.ThreadPoolExecutor(4) as ex:
        threaded = list(ex.map(lambda p: L.cost_and_grads(p, X, y, lam=0.3), nets * 3))
    for (a, ga), (b, gb) in zip(serial * 3, threaded):
        assert a == b
        for (u, _), (v, _) in zip(ga, gb):
            np.testing.assert_array_equal(u, v)
