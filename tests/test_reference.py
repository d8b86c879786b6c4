"""The reference reproduces every value the original notebook prints, and its gradients are right
for every depth (checked by finite differences, independently of the backward formulas)."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import reference
from reference import dnn_utils


def close_to_printed(array, printed):
    """True when ``array`` prints as ``printed`` at the notebook's precision (8 significant digits)."""
    return np.allclose(array, np.array(printed), rtol=0, atol=5e-9)


def test_initialize_parameters_prints_the_seed_values():
    p = reference.initialize_parameters(3, 2, 1)
    assert close_to_printed(p["W1"], [[0.01624345, -0.00611756, -0.00528172], [-0.01072969, 0.00865408, -0.02301539]])
    assert close_to_printed(p["W2"], [[0.01744812, -0.00761207]])
    assert p["b1"].shape == (2, 1) and not p["b1"].any()
    assert p["b2"].shape == (1, 1) and not p["b2"].any()


def test_initialize_parameters_deep_prints_the_seed_values():
    p = reference.initialize_parameters_deep([5, 4, 3])
    assert close_to_printed(p["W1"], [
        [0.01788628, 0.0043651, 0.00096497, -0.01863493, -0.00277388],
        [-0.00354759, -0.00082741, -0.00627001, -0.00043818, -0.00477218],
        [-0.01313865, 0.00884622, 0.00881318, 0.01709573, 0.00050034],
        [-0.00404677, -0.0054536, -0.01546477, 0.00982367, -0.01101068]])
    assert close_to_printed(p["W2"], [
        [-0.01185047, -0.0020565, 0.01486148, 0.00236716],
        [-0.01023785, -0.00712993, 0.00625245, -0.00160513],
        [-0.00768836, -0.00230031, 0.00745056, 0.01976111]])
    assert p["b1"].shape == (4, 1) and p["b2"].shape == (3, 1)
    assert not p["b1"].any() and not p["b2"].any()


def test_activation_example_replays_the_notebook_random_flow():
    np.random.seed(1)
    reference.initialize_parameters(3, 2, 1)
    reference.initialize_parameters_deep([5, 4, 3])
    A, W, b = np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1)
    sig, _ = reference.linear_activation_forward(A, W, b, activation="sigmoid")
    rel, _ = reference.linear_activation_forward(A, W, b, activation="relu")
    assert close_to_printed(sig, [[0.70138767, 0.87255611]])
    assert close_to_printed(rel, [[0.85391458, 1.92375077]])


def test_axis_keepdims_demo():
    A = np.array([[1, 2], [3, 4]])
    assert np.sum(A, axis=1, keepdims=True).tolist() == [[3], [7]]
    assert np.sum(A, axis=1, keepdims=False).tolist() == [3, 7]
    assert np.sum(A, axis=0, keepdims=True).tolist() == [[4, 6]]
    assert np.sum(A, axis=0, keepdims=False).tolist() == [4, 6]


def test_linear_backward_prints_the_seed_values():
    np.random.seed(1)
    dZ = np.random.randn(3, 4)
    A, W, b = np.random.randn(5, 4), np.random.randn(3, 5), np.random.randn(3, 1)
    dA_prev, dW, db = reference.linear_backward(dZ, (A, W, b))
    assert close_to_printed(dA_prev, [
        [-1.15171336, 0.06718465, -0.3204696, 2.09812712],
        [0.60345879, -3.72508701, 5.81700741, -3.84326836],
        [-0.4319552, -1.30987417, 1.72354705, 0.05070578],
        [-0.38981415, 0.60811244, -1.25938424, 1.47191593],
        [-2.52214926, 2.67882552, -0.67947465, 1.48119548]])
    assert close_to_printed(dW, [
        [0.07313866, -0.0976715, -0.87585828, 0.73763362, 0.00785716],
        [0.85508818, 0.37530413, -0.59912655, 0.71278189, -0.58931808],
        [0.97913304, -0.24376494, -0.08839671, 0.55151192, -0.10290907]])
    assert close_to_printed(db, [[-0.14713786], [-0.11313155], [-0.13209101]])


def test_linear_forward_and_cache_layout():
    A, W, b = np.ones((3, 2)), np.full((1, 3), 2.0), np.array([[0.5]])
    Z, cache = reference.linear_forward(A, W, b)
    assert Z.tolist() == [[6.5, 6.5]]
    assert cache[0] is A and cache[1] is W and cache[2] is b


def test_unknown_activation_is_refused():
    with pytest.raises(ValueError, match="activation"):
        reference.linear_activation_forward(np.ones((1, 1)), np.ones((1, 1)), np.zeros((1, 1)), "tanh")
    cache = ((np.ones((1, 1)), np.ones((1, 1)), np.zeros((1, 1))), np.ones((1, 1)))
    with pytest.raises(ValueError, match="activation"):
        reference.linear_activation_backward(np.ones((1, 1)), cache, "tanh")


def test_helpers_match_their_definitions():
    Z = np.array([[-1.0, 0.0, 2.0]])
    A, cache = dnn_utils.relu(Z)
    assert A.tolist() == [[0.0, 0.0, 2.0]] and cache is Z
    assert dnn_utils.relu_backward(np.ones((1, 3)), Z).tolist() == [[0.0, 0.0, 1.0]]
    s, cache = dnn_utils.sigmoid(Z)
    assert np.allclose(s, 1 / (1 + np.exp(-Z))) and cache is Z
    assert np.allclose(dnn_utils.sigmoid_backward(np.ones((1, 3)), Z), s * (1 - s))


def test_compute_cost_returns_a_scalar():
    cost = reference.compute_cost(np.array([[0.8, 0.9, 0.4]]), np.array([[1, 1, 0]]))
    assert np.ndim(cost) == 0
    assert np.isclose(cost, -(np.log(0.8) + np.log(0.9) + np.log(0.6)) / 3)


# -- gradient check: L_model_backward against finite differences of the cost -------------------


def random_network(rng, layer_dims, m):
    params = {}
    for l in range(1, len(layer_dims)):
        params["W%d" % l] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * 0.9
        params["b%d" % l] = rng.standard_normal((layer_dims[l], 1)) * 0.3
    X = rng.standard_normal((layer_dims[0], m))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    return params, X, Y


def numeric_gradient(params, X, Y, key, eps=1e-6):
    grad = np.zeros_like(params[key])
    for index in np.ndindex(params[key].shape):
        plus = {k: v.copy() for k, v in params.items()}
        minus = {k: v.copy() for k, v in params.items()}
        plus[key][index] += eps
        minus[key][index] -= eps
        cost_plus = reference.compute_cost(reference.L_model_forward(X, plus)[0], Y)
        cost_minus = reference.compute_cost(reference.L_model_forward(X, minus)[0], Y)
        grad[index] = (cost_plus - cost_minus) / (2 * eps)
    return grad


def assert_gradients_match(params, X, Y):
    AL, caches = reference.L_model_forward(X, params)
    grads = reference.L_model_backward(AL, Y, caches)
    L = len(params) // 2
    assert sorted(grads) == sorted(["dW%d" % l for l in range(1, L + 1)] + ["db%d" % l for l in range(1, L + 1)]
                                   + ["dA%d" % l for l in range(L)])
    for l in range(1, L + 1):
        for name in ("W", "b"):
            numeric = numeric_gradient(params, X, Y, "%s%d" % (name, l))
            assert np.allclose(grads["d%s%d" % (name, l)], numeric, rtol=1e-4, atol=1e-7), (name, l)
    # dA0 is dJ/dX up to the 1/m folded into dZ: check against finite differences on X
    eps = 1e-6
    numeric_dX = np.zeros_like(X)
    for index in np.ndindex(X.shape):
        Xp, Xm = X.copy(), X.copy()
        Xp[index] += eps
        Xm[index] -= eps
        numeric_dX[index] = (reference.compute_cost(reference.L_model_forward(Xp, params)[0], Y)
                             - reference.compute_cost(reference.L_model_forward(Xm, params)[0], Y)) / (2 * eps)
    m = X.shape[1]
    assert np.allclose(grads["dA0"] / m, numeric_dX, rtol=1e-4, atol=1e-7)


def smooth_enough(params, X):
    """Finite differences are only exact where the cost is smooth: no pre-activation at a ReLU's
    kink and no output so saturated that log(1 - AL) curves faster than the step can follow."""
    AL, caches = reference.L_model_forward(X, params)
    kinks = min(float(np.min(np.abs(Z))) for _, Z in caches[:-1]) if len(caches) > 1 else 1.0
    return kinks > 1e-4 and bool(np.all((AL > 1e-3) & (AL < 1 - 1e-3)))


@pytest.mark.parametrize("L", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("m", [1, 3, 7])
def test_gradient_check_for_every_depth(L, m):
    rng = np.random.default_rng(100 * L + m)
    dims = [4] + [int(n) for n in rng.integers(1, 5, size=L - 1)] + [1]
    params, X, Y = random_network(rng, dims, m)
    while not smooth_enough(params, X):  # draw again (deterministically) until finite differences hold
        params, X, Y = random_network(rng, dims, m)
    assert_gradients_match(params, X, Y)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    dims=st.lists(st.integers(1, 5), min_size=1, max_size=4),
    n_x=st.integers(1, 5),
    m=st.integers(1, 6),
    seed=st.integers(0, 2**31),
)
def test_gradient_check_property(dims, n_x, m, seed):
    rng = np.random.default_rng(seed)
    params, X, Y = random_network(rng, [n_x] + dims + [1], m)
    assume(smooth_enough(params, X))
    assert_gradients_match(params, X, Y)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(dims=st.lists(st.integers(1, 6), min_size=2, max_size=6), lr=st.floats(0.001, 5.0), seed=st.integers(0, 2**31))
def test_update_parameters_leaves_its_inputs_alone(dims, lr, seed):
    rng = np.random.default_rng(seed)
    params, _, _ = random_network(rng, dims, 1)
    grads = {"d" + key: rng.standard_normal(value.shape) for key, value in params.items()}
    before = {key: value.copy() for key, value in params.items()}
    grads_before = {key: value.copy() for key, value in grads.items()}
    keys_before = list(params)
    updated = reference.update_parameters(params, grads, lr)
    assert list(params) == keys_before
    for key in params:
        assert np.array_equal(params[key], before[key])
        assert np.array_equal(grads["d" + key], grads_before["d" + key])
        assert np.allclose(updated[key], before[key] - lr * grads["d" + key])
        assert updated[key] is not params[key]
    assert updated is not params
