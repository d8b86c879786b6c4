"""Case builders of "Building a Deep Neural Network: Step by Step" (named in assignment.toml).

A builder named in a function's ``public`` list takes no arguments and replays an example the
notebook prints; a generator named by ``generator =`` in a case table takes the case's own
``numpy.random.Generator`` and the table's other entries. Both return a
:class:`graders.kit.casegen.CaseInputs`.
"""

from __future__ import annotations

import numpy as np

import reference.dnn as dnn
from graders.kit.casegen import CaseInputs

# ---------------------------------------------------------------------------------------------
# Public cases: the examples the notebook prints.
# ---------------------------------------------------------------------------------------------


def _printed_activation_inputs():
    """A, W, b drawn as the notebook draws them: seed(1), both initialisations, then three draws."""
    np.random.seed(1)
    dnn.initialize_parameters(3, 2, 1)
    dnn.initialize_parameters_deep([5, 4, 3])
    A = np.random.randn(3, 2)
    W = np.random.randn(1, 3)
    b = np.random.randn(1, 1)
    return A, W, b


def _example_network(layer_dims, m, seed):
    rng = np.random.default_rng(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W%d" % l] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * 0.7
        parameters["b%d" % l] = rng.standard_normal((layer_dims[l], 1)) * 0.3
    X = rng.standard_normal((layer_dims[0], m))
    return rng, parameters, X


def _labels(rng, m, label=None):
    """A (1, m) label row; with m >= 2 both classes appear."""
    if label is not None:
        return np.full((1, m), float(label))
    Y = (rng.random((1, m)) < 0.5).astype(float)
    if m >= 2:
        Y[0, 0], Y[0, 1] = 1.0, 0.0
        Y = Y[:, rng.permutation(m)]
    return Y




def printed_initialize_parameters() -> CaseInputs:
    return CaseInputs([3, 2, 1], "the printed example: initialize_parameters(3, 2, 1)")


def printed_initialize_parameters_deep() -> CaseInputs:
    return CaseInputs([[5, 4, 3]], "the printed example: initialize_parameters_deep([5, 4, 3])")


def printed_linear_forward() -> CaseInputs:
    A, W, b = _printed_activation_inputs()
    return CaseInputs([A, W, b], "the A, W, b of the printed activation example")


def printed_sigmoid_forward() -> CaseInputs:
    A, W, b = _printed_activation_inputs()
    return CaseInputs([A, W, b, "sigmoid"], "the printed example, sigmoid")


def printed_relu_forward() -> CaseInputs:
    A, W, b = _printed_activation_inputs()
    return CaseInputs([A, W, b, "relu"], "the printed example, relu")


def example_L_model_forward() -> CaseInputs:
    _, parameters, X = _example_network([5, 4, 3, 1], 4, seed=6)
    return CaseInputs([X, parameters], "a 3-layer network [5, 4, 3, 1] on 4 examples")


def example_compute_cost() -> CaseInputs:
    Y = np.array([[1.0, 1.0, 0.0]])
    AL = np.array([[0.8, 0.9, 0.4]])
    return CaseInputs([AL, Y], "AL = [[0.8, 0.9, 0.4]], Y = [[1, 1, 0]]")


def printed_linear_backward() -> CaseInputs:
    np.random.seed(1)
    dZ = np.random.randn(3, 4)
    A = np.random.randn(5, 4)
    W = np.random.randn(3, 5)
    b = np.random.randn(3, 1)
    return CaseInputs([dZ, (A, W, b)], "the printed example (seed 1, dZ of shape (3, 4))")


def _activation_backward_example(activation):
    rng, parameters, X = _example_network([3, 1], 2, seed=2)
    _, cache = dnn.linear_activation_forward(X, parameters["W1"], parameters["b1"], activation)
    dA = rng.standard_normal((1, 2))
    return CaseInputs([dA, cache, activation], "a (1, 2) layer fed by 3 units, %s" % activation)


def example_sigmoid_backward() -> CaseInputs:
    return _activation_backward_example("sigmoid")


def example_relu_backward() -> CaseInputs:
    return _activation_backward_example("relu")


def example_L_model_backward() -> CaseInputs:
    # a seed where each hidden layer has ReLU units both on and off, so that every gradient is
    # informative (with every unit off, all but the last layer's gradients are exactly 0)
    rng, parameters, X = _example_network([4, 3, 2, 1], 3, seed=1)
    AL, caches = dnn.L_model_forward(X, parameters)
    Y = _labels(rng, 3)
    return CaseInputs([AL, Y, caches], "a 3-layer network [4, 3, 2, 1] on 3 examples")


def example_update_parameters() -> CaseInputs:
    rng, parameters, _ = _example_network([4, 3, 1], 1, seed=4)
    grads = _fake_grads(rng, parameters)
    return CaseInputs([parameters, grads, 0.1], "a 2-layer network [4, 3, 1], learning rate 0.1")


# ---------------------------------------------------------------------------------------------
# Hidden-case generators: each takes a seeded Generator and the parameters from the spec.
# ---------------------------------------------------------------------------------------------


def _fake_grads(rng, parameters):
    grads = {}
    L = len(parameters) // 2
    for l in range(1, L + 1):
        grads["dW%d" % l] = rng.standard_normal(parameters["W%d" % l].shape)
        grads["db%d" % l] = rng.standard_normal(parameters["b%d" % l].shape)
        grads["dA%d" % (l - 1)] = rng.standard_normal((parameters["W%d" % l].shape[1], 2))
    return grads


def _layer(rng, n_prev, n, m, zero_rows=0):
    A = rng.standard_normal((n_prev, m)) * 1.3
    W = rng.standard_normal((n, n_prev)) * 0.8
    b = rng.standard_normal((n, 1)) * 0.5
    if zero_rows:
        # rows of W and b set to zero give pre-activations that are exactly 0
        W[:zero_rows] = 0.0
        b[:zero_rows] = 0.0
    return A, W, b


def shallow_dims(rng, n_x, n_h, n_y):
    return CaseInputs([n_x, n_h, n_y], "n_x=%d, n_h=%d, n_y=%d" % (n_x, n_h, n_y))


def deep_dims(rng, layer_dims):
    return CaseInputs([list(layer_dims)], "layer_dims=%s (L=%d)" % (list(layer_dims), len(layer_dims) - 1))


def initialised_network(rng, layer_dims, m, learning_rate=0.1):
    """An initialiser's case whose result the student's own next functions take on: forward
    propagation on fresh inputs, then one update with fresh gradients. A dict with keys the course's
    functions do not expect (they count the layers as ``len(parameters) // 2``) fails here."""
    shapes = {}
    for l in range(1, len(layer_dims)):
        shapes["W%d" % l] = np.zeros((layer_dims[l], layer_dims[l - 1]))
        shapes["b%d" % l] = np.zeros((layer_dims[l], 1))
    X = rng.standard_normal((layer_dims[0], m))
    grads = _fake_grads(rng, shapes)
    then = [{"function": "L_model_forward", "args": [{"input": 0}, "result"]},
            {"function": "update_parameters", "args": ["result", {"input": 1}, {"input": 2}]}]
    return CaseInputs([list(layer_dims)], "layer_dims=%s (L=%d), its result then taken on by your L_model_forward "
                      "and update_parameters" % (list(layer_dims), len(layer_dims) - 1),
                      then=then, then_args=[X, grads, learning_rate])


def layer_inputs(rng, n_prev, n, m):
    A, W, b = _layer(rng, n_prev, n, m)
    return CaseInputs([A, W, b], "W of shape (%d, %d), m=%d" % (n, n_prev, m))


def activation_inputs(rng, n_prev, n, m, activation, zero_rows=0, scale=None):
    A, W, b = _layer(rng, n_prev, n, m, zero_rows)
    label = "%s, W of shape (%d, %d), m=%d" % (activation, n, n_prev, m)
    if zero_rows:
        label += ", some pre-activations exactly 0"
    if scale is not None:
        # large pre-activations (|Z| > 10): where a clipped or "stable" sigmoid differs
        W, b = W * scale, b * scale
        label += ", large pre-activations"
    return CaseInputs([A, W, b, activation], label)


def _network(rng, layer_dims, m, zero_unit=None, confident_z=None, keep_alive=False):
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W%d" % l] = rng.standard_normal((layer_dims[l], layer_dims[l - 1])) * 0.8
        parameters["b%d" % l] = rng.standard_normal((layer_dims[l], 1)) * 0.4
    X = rng.standard_normal((layer_dims[0], m))
    notes = ""
    if keep_alive:
        # positive biases keep the hidden ReLUs of a deep network active, so every layer's gradient is not 0
        for l in range(1, len(layer_dims) - 1):
            parameters["b%d" % l] = np.abs(parameters["b%d" % l]) + 0.3
    if zero_unit is not None:
        # the first unit of layer `zero_unit` gets pre-activations that are exactly 0
        parameters["W%d" % zero_unit][0] = 0.0
        parameters["b%d" % zero_unit][0] = 0.0
        notes += ", exact-zero pre-activations in layer %d" % zero_unit
    if confident_z is not None:
        # a confident network: the output layer is scaled so that its largest |Z| is confident_z
        # (25: AL within 1e-10 of 0 or 1 there, yet not rounded to 0 or 1)
        last = len(layer_dims) - 1
        Z = dnn.L_model_forward(X, parameters)[1][-1][1]
        factor = confident_z / float(np.max(np.abs(Z)))
        parameters["W%d" % last] = parameters["W%d" % last] * factor
        parameters["b%d" % last] = parameters["b%d" % last] * factor
        notes += ", a confident output layer"
    return X, parameters, notes


def network_inputs(rng, layer_dims, m, zero_unit=None, confident_z=None, keep_alive=False):
    X, parameters, notes = _network(rng, layer_dims, m, zero_unit, confident_z, keep_alive)
    return CaseInputs([X, parameters],
                      "layer_dims=%s (L=%d), m=%d%s" % (list(layer_dims), len(layer_dims) - 1, m, notes))


def cost_inputs(rng, m, label=None, confident=False, int_labels=False):
    AL = rng.uniform(0.05, 0.95, (1, m))
    Y = _labels(rng, m, label)
    text = "m=%d" % m + ("" if label is None else ", every label %d" % label)
    if confident:
        # AL within 1e-8 of 0 or of 1, on both labels: an epsilon or a clip in the log shows here
        near = rng.uniform(1e-10, 1e-8, (1, m))
        AL = np.where(rng.random((1, m)) < 0.5, near, 1.0 - near)
        text += ", AL within 1e-8 of 0 or 1"
    if int_labels:
        Y = Y.astype(np.int64)
        text += ", integer labels"
    return CaseInputs([AL, Y], text)


def linear_backward_inputs(rng, n_prev, n, m):
    A, W, b = _layer(rng, n_prev, n, m)
    dZ = rng.standard_normal((n, m))
    return CaseInputs([dZ, (A, W, b)], "W of shape (%d, %d), m=%d" % (n, n_prev, m))


def activation_backward_inputs(rng, n_prev, n, m, activation, zero_rows=0):
    A, W, b = _layer(rng, n_prev, n, m, zero_rows)
    Z = np.dot(W, A) + b
    dA = rng.standard_normal((n, m))
    label = "%s, W of shape (%d, %d), m=%d" % (activation, n, n_prev, m)
    if zero_rows:
        label += ", some pre-activations exactly 0"
    return CaseInputs([dA, ((A, W, b), Z), activation], label)


def network_backward_inputs(rng, layer_dims, m, zero_unit=None, confident_z=None, int_labels=False,
                            keep_alive=False):
    X, parameters, notes = _network(rng, layer_dims, m, zero_unit, confident_z, keep_alive)
    AL, caches = dnn.L_model_forward(X, parameters)
    Y = _labels(rng, m)
    if int_labels:
        Y = Y.astype(np.int64)
        notes += ", integer labels"
    return CaseInputs([AL, Y, caches],
                      "layer_dims=%s (L=%d), m=%d%s" % (list(layer_dims), len(layer_dims) - 1, m, notes))


def update_inputs(rng, layer_dims, learning_rate):
    X, parameters = network_inputs(rng, layer_dims, 1).args
    grads = _fake_grads(rng, parameters)
    return CaseInputs(
        [parameters, grads, learning_rate],
        "layer_dims=%s (L=%d), learning_rate=%s" % (list(layer_dims), len(layer_dims) - 1, learning_rate),
    )
