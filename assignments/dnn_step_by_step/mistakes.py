"""Known ways to get each graded function wrong, and right ways that differ from the reference.

Every entry is the source text of a complete function definition with the graded function's name
and signature, as a student would write it in the notebook. It may call the other graded functions,
``np`` and the ``dnn_utils`` helpers (``sigmoid``, ``relu``, ``sigmoid_backward``,
``relu_backward``) by name; wherever it runs, those names hold the reference solutions.

Two kinds of entry:

``wrong``
    A mistake students really make. Its ``diagnosis`` is the sentence the feedback shows when a
    submission behaves exactly like it: what is wrong, then what to do. A diagnosis never quotes
    a value, so it reveals nothing about hidden cases.
``correct``
    A right answer written differently from the reference (``@``, ``np.mean``, a dict
    comprehension, relying on the caller's seed, ...). It must earn full marks.

Two uses: :mod:`graders.diagnosis` compares a failing submission's outputs with each wrong
variant's outputs to name the mistake, and :mod:`graders.audit` (``dnngrade audit``) grades every
variant through the real grading path, so cases that stop catching a known bug fail the build.

This module is data: one ``_wrong``/``_correct`` call per variant, grouped by function in the
notebook's order. Add a variant by adding a call; the tests pick it up.
"""

from __future__ import annotations

from graders.mistakes import CORRECT, WRONG, MistakeLibrary, Variant

LIBRARY = MistakeLibrary()
VARIANTS: list[Variant] = LIBRARY.variants
_wrong, _correct = LIBRARY.wrong, LIBRARY.correct
variants_for, wrong_variants = LIBRARY.variants_for, LIBRARY.wrong_variants
correct_variants, variant = LIBRARY.correct_variants, LIBRARY.variant
__all__ = ["CORRECT", "WRONG", "VARIANTS", "Variant", "variants_for", "wrong_variants", "correct_variants", "variant"]


# =============================================================================================
# initialize_parameters
# =============================================================================================

_wrong("initialize_parameters", "one_output_unit_hard_coded",
       "W2 and b2 are built for a single output unit: their first dimension is n_y, "
       "W2 = np.random.randn(n_y, n_h) * 0.01 and b2 = np.zeros((n_y, 1)).", '''
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(1, n_h) * 0.01
    b2 = np.zeros((1, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
''')


_wrong("initialize_parameters", "weights_scale_0_1",
       "The weights are 10 times too large: multiply np.random.randn(...) by 0.01, not 0.1.", '''
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W1 = np.random.randn(n_h, n_x) * 0.1
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.1
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
''')

_wrong("initialize_parameters", "weights_not_scaled",
       "The weights are 100 times too large: the draws are not scaled. "
       "Multiply np.random.randn(...) by 0.01.", '''
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W1 = np.random.randn(n_h, n_x)
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h)
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
''')

_wrong("initialize_parameters", "wrong_seed",
       "The weights come from a different random sequence: the seed was changed. Keep "
       "np.random.seed(1) at the top of the function (the grader seeds with 1 as well).", '''
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(0)
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
''')

_wrong("initialize_parameters", "weights_transposed",
       "W1 and W2 are transposed: a weight matrix has one row per unit of its own layer, so W1 has "
       "shape (n_h, n_x) and W2 has shape (n_y, n_h).", '''
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W1 = np.random.randn(n_x, n_h) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_h, n_y) * 0.01
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
''')

_wrong("initialize_parameters", "biases_random",
       "The biases are drawn at random: start them at zero with np.zeros((n, 1)). Drawing them "
       "also uses up random numbers, which is why W2 differs too.", '''
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.random.randn(n_h, 1) * 0.01
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.random.randn(n_y, 1) * 0.01
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
''')

_wrong("initialize_parameters", "biases_1d",
       "b1 and b2 are 1-D arrays: give them a column shape, (n_h, 1) and (n_y, 1), "
       "with np.zeros((n_h, 1)).", '''
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros(n_h)
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros(n_y)
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
''')

_wrong("initialize_parameters", "biases_int",
       "b1 and b2 hold integers (dtype=int): create them with np.zeros((n, 1)), whose default "
       "dtype is float.", '''
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1), dtype=int)
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1), dtype=int)
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
''')

_wrong("initialize_parameters", "uniform_draws",
       "The weights come from np.random.rand, a uniform draw on [0, 1): use np.random.randn, "
       "the standard normal, times 0.01.", '''
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W1 = np.random.rand(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.rand(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
''')

_wrong("initialize_parameters", "weights_zero",
       "The weights are all zero, so every unit of a layer would learn the same thing: draw them "
       "with np.random.randn(...) * 0.01.", '''
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W1 = np.zeros((n_h, n_x))
    b1 = np.zeros((n_h, 1))
    W2 = np.zeros((n_y, n_h))
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
''')

_wrong("initialize_parameters", "W2_drawn_first",
       "W2 is drawn before W1, so each gets the other's random numbers: draw W1 first, then W2.", '''
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W2 = np.random.randn(n_y, n_h) * 0.01
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
''')

_wrong("initialize_parameters", "hard_coded_shapes",
       "The shapes are written for the printed example only: build them from n_x, n_h and n_y "
       "so that any layer sizes work.", '''
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W1 = np.random.randn(2, 3) * 0.01
    b1 = np.zeros((2, 1))
    W2 = np.random.randn(1, 2) * 0.01
    b2 = np.zeros((1, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
''')

_correct("initialize_parameters", "caller_seeded", '''
def initialize_parameters(n_x, n_h, n_y):
    # relies on the caller having seeded NumPy
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
''')

_correct("initialize_parameters", "normal_draws", '''
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W1 = np.random.normal(0.0, 0.01, size=(n_h, n_x))
    b1 = np.zeros([n_h, 1])
    W2 = np.random.normal(0.0, 0.01, size=(n_y, n_h))
    b2 = np.zeros([n_y, 1])
    return dict(W1=W1, b1=b1, W2=W2, b2=b2)
''')

_correct("initialize_parameters", "divide_by_100", '''
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    parameters = {}
    parameters["W1"] = np.random.randn(n_h, n_x) / 100
    parameters["b1"] = np.zeros((n_h, 1), dtype=np.float64)
    parameters["W2"] = np.random.randn(n_y, n_h) / 100
    parameters["b2"] = np.zeros((n_y, 1), dtype=np.float64)
    return parameters
''')

# =============================================================================================
# initialize_parameters_deep
# =============================================================================================

_wrong("initialize_parameters_deep", "loop_stops_early",
       "The last layer's W and b are missing: the loop stops one layer early. Loop over "
       "range(1, L) with L = len(layer_dims), which counts the input layer.", '''
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L - 1):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
''')

_wrong("initialize_parameters_deep", "loop_starts_at_zero",
       "The loop starts at layer 0, the input layer, which has no weights; its draws shift every "
       "later W. Start at 1: range(1, len(layer_dims)).", '''
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layer_dims)
    for l in range(0, L):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
''')

_wrong("initialize_parameters_deep", "weights_not_scaled",
       "The weights are 100 times too large: the draws are not scaled. "
       "Multiply np.random.randn(...) by 0.01.", '''
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
''')

_wrong("initialize_parameters_deep", "sqrt_scaling",
       "The weights are scaled by 1 / sqrt(layer_dims[l-1]), a scaling used in later "
       "assignments; here multiply np.random.randn(...) by 0.01.", '''
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        scale = 1 / np.sqrt(layer_dims[l - 1])
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * scale
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
''')

_wrong("initialize_parameters_deep", "weights_transposed",
       "Each Wl is transposed: it has one row per unit of layer l, so its shape is "
       "(layer_dims[l], layer_dims[l-1]).", '''
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l - 1], layer_dims[l]) * 0.01
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
''')

_wrong("initialize_parameters_deep", "biases_random",
       "The biases are drawn at random: start them at zero with np.zeros((layer_dims[l], 1)). "
       "Drawing them also uses up random numbers, which is why the later weights differ too.", '''
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.random.randn(layer_dims[l], 1) * 0.01
    return parameters
''')

_wrong("initialize_parameters_deep", "biases_1d",
       "Each bl is a 1-D array: give it a column shape, (layer_dims[l], 1), "
       "with np.zeros((layer_dims[l], 1)).", '''
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros(layer_dims[l])
    return parameters
''')

_wrong("initialize_parameters_deep", "zeros_shape_not_a_tuple",
       "np.zeros takes the shape as one tuple; its second argument is the dtype. "
       "Write np.zeros((layer_dims[l], 1)), with two pairs of parentheses.", '''
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros(layer_dims[l], 1)
    return parameters
''')

_wrong("initialize_parameters_deep", "wrong_seed",
       "The weights come from a different random sequence: this function seeds with "
       "np.random.seed(3), not 1 (the grader seeds with 3 as well).", '''
def initialize_parameters_deep(layer_dims):
    np.random.seed(1)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
''')

_wrong("initialize_parameters_deep", "hard_coded_L",
       "The number of layers is written for the printed example only: compute it from the "
       "argument, L = len(layer_dims).", '''
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    L = 3
    for l in range(1, L):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
''')

_wrong("initialize_parameters_deep", "uniform_draws",
       "The weights come from np.random.rand, a uniform draw on [0, 1): use np.random.randn, "
       "the standard normal, times 0.01.", '''
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        parameters["W" + str(l)] = np.random.rand(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
''')

_wrong("initialize_parameters_deep", "extra_keys_break_the_layer_count",
       "The dict holds keys besides the W and b of each layer. The next functions count the layers "
       "as len(parameters) // 2, so two extra keys or more make them look for a layer that does not "
       "exist: keep only W1, b1, W2, b2, ... in parameters.", '''
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    parameters["L"] = L - 1
    parameters["layer_dims"] = list(layer_dims)
    return parameters
''')

# one extra key leaves len(parameters) // 2 as it was: the next functions still work, so it costs nothing
_correct("initialize_parameters_deep", "one_extra_key", '''
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {"L": len(layer_dims) - 1}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
''')

_correct("initialize_parameters_deep", "caller_seeded", '''
def initialize_parameters_deep(layer_dims):
    # relies on the caller having seeded NumPy
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters
''')

_correct("initialize_parameters_deep", "fstrings_and_normal", '''
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters[f"W{l}"] = np.random.normal(0.0, 0.01, size=(layer_dims[l], layer_dims[l - 1]))
        parameters[f"b{l}"] = np.zeros((layer_dims[l], 1))
    return parameters
''')

_correct("initialize_parameters_deep", "zip_of_sizes", '''
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    sizes = zip(layer_dims[:-1], layer_dims[1:])
    for l, (n_prev, n) in enumerate(sizes, start=1):
        parameters.update({"W%d" % l: np.random.randn(n, n_prev) * 0.01, "b%d" % l: np.zeros((n, 1))})
    return parameters
''')

# =============================================================================================
# linear_forward
# =============================================================================================

_wrong("linear_forward", "elementwise_product",
       "W * A multiplies entry by entry; a layer needs the matrix product. "
       "Use np.dot(W, A) (or W @ A), then add b.", '''
def linear_forward(A, W, b):
    Z = W * A + b
    cache = (A, W, b)
    return Z, cache
''')

_wrong("linear_forward", "missing_bias",
       "Z is missing the bias: add b, Z = np.dot(W, A) + b.", '''
def linear_forward(A, W, b):
    Z = np.dot(W, A)
    cache = (A, W, b)
    return Z, cache
''')

_wrong("linear_forward", "bias_subtracted",
       "The bias is subtracted: Z = np.dot(W, A) + b adds it.", '''
def linear_forward(A, W, b):
    Z = np.dot(W, A) - b
    cache = (A, W, b)
    return Z, cache
''')

_wrong("linear_forward", "first_bias_only",
       "Every row gets the first bias only (b[0] is one entry): add the whole column vector b, "
       "so that unit i gets b[i].", '''
def linear_forward(A, W, b):
    Z = np.dot(W, A) + b[0]
    cache = (A, W, b)
    return Z, cache
''')

_wrong("linear_forward", "Z_transposed",
       "Z is transposed: examples are columns here, so Z = np.dot(W, A) + b has one row per unit "
       "and one column per example.", '''
def linear_forward(A, W, b):
    Z = np.dot(A.T, W.T) + b.T
    cache = (A, W, b)
    return Z, cache
''')

_wrong("linear_forward", "cache_order",
       "The cache is in the wrong order: store cache = (A, W, b), the order linear_backward "
       "unpacks it in.", '''
def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    cache = (W, A, b)
    return Z, cache
''')

_wrong("linear_forward", "cache_missing_b",
       "The cache should hold three items, (A, W, b); b is missing.", '''
def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    cache = (A, W)
    return Z, cache
''')

_wrong("linear_forward", "cache_holds_Z",
       "The cache holds Z where A belongs: store the layer's input, cache = (A, W, b); the "
       "backward pass needs A to compute dW.", '''
def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    cache = (Z, W, b)
    return Z, cache
''')

_wrong("linear_forward", "cache_is_dict",
       "The cache is a dict, but the backward pass unpacks it as a tuple: "
       "cache = (A, W, b).", '''
def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    cache = {"A": A, "W": W, "b": b}
    return Z, cache
''')

_correct("linear_forward", "matmul_operator", '''
def linear_forward(A, W, b):
    Z = W @ A + b
    return Z, (A, W, b)
''')

_correct("linear_forward", "np_matmul", '''
def linear_forward(A, W, b):
    Z = np.add(np.matmul(W, A), b)
    cache = (A, W, b)
    return Z, cache
''')

_correct("linear_forward", "dot_method", '''
def linear_forward(A, W, b):
    Z = W.dot(A) + b
    cache = A, W, b
    return Z, cache
''')

# =============================================================================================
# linear_activation_forward
# =============================================================================================

_wrong("linear_activation_forward", "activations_swapped",
       "The activations are swapped: activation=\"sigmoid\" should call sigmoid(Z) and "
       "activation=\"relu\" should call relu(Z).", '''
def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    if activation == "sigmoid":
        A, activation_cache = relu(Z)
    else:
        A, activation_cache = sigmoid(Z)
    return A, (linear_cache, activation_cache)
''')

_wrong("linear_activation_forward", "linear_cache_is_Z",
       "The linear cache holds Z; it is (A_prev, W, b), the cache linear_forward returns: "
       "Z, linear_cache = linear_forward(A_prev, W, b).", '''
def linear_activation_forward(A_prev, W, b, activation):
    Z = np.dot(W, A_prev) + b
    linear_cache = Z
    if activation == "sigmoid":
        A, activation_cache = sigmoid(Z)
    else:
        A, activation_cache = relu(Z)
    return A, (linear_cache, activation_cache)
''')

_wrong("linear_activation_forward", "always_sigmoid",
       "Every layer uses sigmoid, whatever the activation argument says: call relu(Z) when "
       "activation == \"relu\".", '''
def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    A, activation_cache = sigmoid(Z)
    return A, (linear_cache, activation_cache)
''')

_wrong("linear_activation_forward", "always_relu",
       "Every layer uses ReLU, whatever the activation argument says: call sigmoid(Z) when "
       "activation == \"sigmoid\".", '''
def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    A, activation_cache = relu(Z)
    return A, (linear_cache, activation_cache)
''')

_wrong("linear_activation_forward", "no_activation",
       "A equals Z: the activation is never applied. Pass Z through sigmoid(Z) or relu(Z), which "
       "return (A, activation_cache).", '''
def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    A, activation_cache = Z, Z
    return A, (linear_cache, activation_cache)
''')

_wrong("linear_activation_forward", "cache_order",
       "The two caches are in the wrong order: store cache = (linear_cache, activation_cache).", '''
def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    if activation == "sigmoid":
        A, activation_cache = sigmoid(Z)
    else:
        A, activation_cache = relu(Z)
    return A, (activation_cache, linear_cache)
''')

_wrong("linear_activation_forward", "activation_cache_holds_A",
       "The activation cache holds A; it should hold Z, the second value that sigmoid(Z) and "
       "relu(Z) return.", '''
def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    if activation == "sigmoid":
        A, _ = sigmoid(Z)
    else:
        A, _ = relu(Z)
    activation_cache = A
    return A, (linear_cache, activation_cache)
''')

_wrong("linear_activation_forward", "relu_in_place",
       "ReLU was applied to Z in place, so the cache lost the negative pre-activations: use "
       "A, activation_cache = relu(Z), which leaves Z as it was.", '''
def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    if activation == "sigmoid":
        A, activation_cache = sigmoid(Z)
    else:
        Z[Z < 0] = 0
        A, activation_cache = Z, Z
    return A, (linear_cache, activation_cache)
''')

_wrong("linear_activation_forward", "sigmoid_sign",
       "The sigmoid has the wrong sign in the exponent: sigmoid(Z) = 1 / (1 + exp(-Z)). "
       "The helper sigmoid(Z) from dnn_utils computes it for you.", '''
def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    if activation == "sigmoid":
        A, activation_cache = 1 / (1 + np.exp(Z)), Z
    else:
        A, activation_cache = relu(Z)
    return A, (linear_cache, activation_cache)
''')

_wrong("linear_activation_forward", "max_instead_of_maximum",
       "np.max(Z, 0) takes the largest entry of each column; ReLU works entry by entry: "
       "np.maximum(0, Z), or the helper relu(Z).", '''
def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    if activation == "sigmoid":
        A, activation_cache = sigmoid(Z)
    else:
        A, activation_cache = np.max(Z, 0), Z
    return A, (linear_cache, activation_cache)
''')

_wrong("linear_activation_forward", "linear_forward_arguments_swapped",
       "linear_forward is called with W and A_prev swapped: its arguments are "
       "linear_forward(A_prev, W, b).", '''
def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(W, A_prev, b)
    if activation == "sigmoid":
        A, activation_cache = sigmoid(Z)
    else:
        A, activation_cache = relu(Z)
    return A, (linear_cache, activation_cache)
''')

_correct("linear_activation_forward", "activations_by_hand", '''
def linear_activation_forward(A_prev, W, b, activation):
    Z = W @ A_prev + b
    linear_cache = (A_prev, W, b)
    if activation == "sigmoid":
        A = 1 / (1 + np.exp(-Z))
    elif activation == "relu":
        A = np.maximum(0, Z)
    activation_cache = Z
    return A, (linear_cache, activation_cache)
''')

_correct("linear_activation_forward", "dispatch_table", '''
def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    A, activation_cache = {"sigmoid": sigmoid, "relu": relu}[activation](Z)
    cache = (linear_cache, activation_cache)
    return A, cache
''')

# =============================================================================================
# L_model_forward
# =============================================================================================

_wrong("L_model_forward", "len_parameters",
       "L counts both the W and the b entries, so the loop asks for layers that do not exist: "
       "the number of layers is len(parameters) // 2.", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters)
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches
''')

_wrong("L_model_forward", "last_layer_relu",
       "The output layer uses ReLU: run layers 1 to L-1 with \"relu\" and only the last "
       "layer, L, with \"sigmoid\".", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L + 1):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
    return A, caches
''')

_wrong("L_model_forward", "all_sigmoid",
       "The hidden layers use sigmoid: layers 1 to L-1 use \"relu\"; only the last layer "
       "uses \"sigmoid\".", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L + 1):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "sigmoid")
        caches.append(cache)
    return A, caches
''')

_wrong("L_model_forward", "activations_swapped",
       "The activations are swapped: the hidden layers use \"relu\" and the output layer uses "
       "\"sigmoid\".", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "sigmoid")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "relu")
    caches.append(cache)
    return AL, caches
''')

_wrong("L_model_forward", "last_cache_missing",
       "caches is missing the output layer's cache: append the cache of layer L too, so that "
       "there are L caches.", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    return AL, caches
''')

_wrong("L_model_forward", "caches_reversed",
       "caches is in reverse order: append each layer's cache as you go, so that caches[l-1] "
       "belongs to layer l.", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.insert(0, cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    caches.insert(0, cache)
    return AL, caches
''')

_wrong("L_model_forward", "X_fed_to_every_layer",
       "Every layer is fed X: feed each layer the output of the one before it (start with A = X "
       "and pass A along).", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(X, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(X, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches
''')

_wrong("L_model_forward", "hard_coded_L",
       "The number of layers is written for the printed example only: compute it from the "
       "parameters, L = len(parameters) // 2.", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = 3
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches
''')

_wrong("L_model_forward", "loop_stops_early",
       "The loop skips layer L-1, so the output layer gets the wrong input: the ReLU layers are "
       "range(1, L), which already stops before L.", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L - 1):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches
''')

_wrong("L_model_forward", "caches_overwritten",
       "A, caches = ... inside the loop replaces the list of caches with one layer's cache: keep the "
       "list, write A, cache = linear_activation_forward(...), then caches.append(cache).", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, caches = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches
''')

_wrong("L_model_forward", "caches_overwritten_in_every_layer",
       "A, caches = ... (and AL, caches = ... for the last layer) replaces the list of caches with "
       "one layer's cache, a (linear_cache, activation_cache) pair: keep the list, write "
       "A, cache = linear_activation_forward(...), then caches.append(cache), for every layer.", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, caches = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
    AL, caches = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    return AL, caches
''')

_wrong("L_model_forward", "output_layer_indexed_by_the_loop_variable",
       "The output layer's parameters are read with the loop's l (str(l + 1)), which is never set "
       "when the loop does not run, for a one-layer network (L = 1): read them with str(L).", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(l + 1)], parameters["b" + str(l + 1)], "sigmoid")
    caches.append(cache)
    return AL, caches
''', hidden_only="only a one-layer network shows it, and the public examples have two or three layers")

_wrong("L_model_forward", "activations_called_directly",
       "The caches hold only each layer's Z: relu(...) and sigmoid(...) return Z as their cache. "
       "Call linear_activation_forward(A_prev, W, b, activation) for each layer; its cache is "
       "(linear_cache, activation_cache).", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = relu(np.dot(parameters["W" + str(l)], A) + parameters["b" + str(l)])
        caches.append(cache)
    AL, cache = sigmoid(np.dot(parameters["W" + str(L)], A) + parameters["b" + str(L)])
    caches.append(cache)
    return AL, caches
''')

_wrong("L_model_forward", "first_layer_parameters_in_every_layer",
       "Every hidden layer uses W1 and b1: inside the loop, take parameters[\"W\" + str(l)] and "
       "parameters[\"b\" + str(l)], the parameters of layer l.", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters["W1"], parameters["b1"], "relu")
        caches.append(cache)
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches
''')

_wrong("L_model_forward", "AL_is_Z",
       "AL is the last layer's Z: the output layer also needs its sigmoid, "
       "AL, cache = linear_activation_forward(A, W, b, \"sigmoid\").", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
    W, b = parameters["W" + str(L)], parameters["b" + str(L)]
    AL = np.dot(W, A) + b
    caches.append(((A, W, b), AL))
    return AL, caches
''')


_correct("L_model_forward", "fstrings_and_concatenation", '''
def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"], activation="relu")
        caches = caches + [cache]
    AL, cache = linear_activation_forward(A, parameters[f"W{L}"], parameters[f"b{L}"], activation="sigmoid")
    caches += [cache]
    return AL, caches
''')

_correct("L_model_forward", "layers_counted_from_keys", '''
def L_model_forward(X, parameters):
    L = len([key for key in parameters if key.startswith("W")])
    caches = []
    A = X
    for l in range(1, L + 1):
        activation = "sigmoid" if l == L else "relu"
        A, cache = linear_activation_forward(A, parameters["W%d" % l], parameters["b%d" % l], activation)
        caches.append(cache)
    return A, caches
''')

# =============================================================================================
# compute_cost
# =============================================================================================

_wrong("compute_cost", "epsilon_inside_log",
       "A small number is added inside the log (log(AL + 1e-8)): it changes the cost of confident "
       "predictions, where AL is near 0 or 1. Compute log(AL) and log(1 - AL) as they are.", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -(np.dot(Y, np.log(AL + 1e-8).T) + np.dot(1 - Y, np.log(1 - AL + 1e-8).T)) / m
    return np.squeeze(cost)
''')

_wrong("compute_cost", "AL_clipped",
       "AL is clipped before the log (np.clip(AL, 1e-7, 1 - 1e-7)): that changes the cost of "
       "confident predictions, where AL is near 0 or 1. Use AL as it is.", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    AL = np.clip(AL, 1e-7, 1 - 1e-7)
    cost = -(np.dot(Y, np.log(AL).T) + np.dot(1 - Y, np.log(1 - AL).T)) / m
    return np.squeeze(cost)
''')

_wrong("compute_cost", "float32",
       "The cost is computed in float32, which keeps about 7 digits: 1 - AL becomes 0 once AL is "
       "within 6e-8 of 1, and the cost inf. Leave the arrays in float64, NumPy's default.", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    AL = AL.astype(np.float32)
    cost = -(np.dot(Y, np.log(AL).T) + np.dot(1 - Y, np.log(1 - AL).T)) / m
    return np.squeeze(cost)
''')


_wrong("compute_cost", "second_term_passed_as_axis",
       "np.sum(a, b) does not add a and b: its second argument is the axis to sum over, so the "
       "second term of the loss went in as an axis. Add the two terms inside one np.sum, "
       "np.sum(a + b), or sum each, np.sum(a) + np.sum(b).", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = (-1 / m) * np.sum(np.dot(Y, np.log(AL).T), np.dot(1 - Y, np.log(1 - AL).T))
    return np.squeeze(cost)
''')


_wrong("compute_cost", "one_minus_outside_the_log",
       "The second term takes 1 - log(AL); the loss has log(1 - AL) there: the 1 - goes inside "
       "the log, (1 - Y) * np.log(1 - AL).", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -np.mean(Y * np.log(AL) + (1 - Y) * (1 - np.log(AL)))
    return np.squeeze(cost)
''')


_wrong("compute_cost", "dot_of_two_rows_and_second_term_as_axis",
       "np.dot(Y, np.log(AL)) multiplies two rows of shape (1, m), which needs a transpose, and "
       "np.sum(a, b) takes b as an axis, not as a term to add: write "
       "np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)).", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -np.sum(np.dot(Y, np.log(AL)), np.dot(1 - Y, np.log(1 - AL))) / m
    return np.squeeze(cost)
''')


_wrong("compute_cost", "terms_multiplied",
       "The two terms of the loss are multiplied: it is their sum, "
       "Y * log(AL) + (1 - Y) * log(1 - AL), averaged over the examples and negated.", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -1 / m * np.sum(Y * np.log(AL) * (1 - Y) * np.log(1 - AL))
    return np.squeeze(cost)
''')


_wrong("compute_cost", "missing_minus",
       "The cost has the wrong sign: cross-entropy is minus the average of "
       "Y * log(AL) + (1 - Y) * log(1 - AL), so put a minus sign in front.", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = (np.dot(Y, np.log(AL).T) + np.dot(1 - Y, np.log(1 - AL).T)) / m
    return np.squeeze(cost)
''')

_wrong("compute_cost", "missing_1_over_m",
       "The cost is m times too large: it adds up the losses of the examples instead of averaging "
       "them. Divide by m = Y.shape[1], the number of examples (Y.shape[0] is 1).", '''
def compute_cost(AL, Y):
    cost = -(np.dot(Y, np.log(AL).T) + np.dot(1 - Y, np.log(1 - AL).T))
    return np.squeeze(cost)
''')

_wrong("compute_cost", "log_of_wrong_term",
       "The second term takes log(AL); it should be (1 - Y) * log(1 - AL).", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -(np.dot(Y, np.log(AL).T) + np.dot(1 - Y, np.log(AL).T)) / m
    return np.squeeze(cost)
''')

_wrong("compute_cost", "log_terms_swapped",
       "The two logs are swapped: Y goes with log(AL) and (1 - Y) with log(1 - AL).", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -(np.dot(Y, np.log(1 - AL).T) + np.dot(1 - Y, np.log(AL).T)) / m
    return np.squeeze(cost)
''')

_wrong("compute_cost", "first_term_only",
       "The cost has only the Y * log(AL) term: add (1 - Y) * log(1 - AL), which counts the "
       "examples whose label is 0.", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -np.sum(Y * np.log(AL)) / m
    return np.squeeze(cost)
''')

_wrong("compute_cost", "not_squeezed",
       "The cost is a (1, 1) array: turn it into a single number with np.squeeze(cost).", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -(np.dot(Y, np.log(AL).T) + np.dot(1 - Y, np.log(1 - AL).T)) / m
    return cost
''')

_wrong("compute_cost", "not_summed",
       "The cost has one value per example: sum the losses over the examples (np.sum) before "
       "dividing by m.", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
    return np.squeeze(cost)
''')

_wrong("compute_cost", "hard_coded_m",
       "The number of examples is written for the printed example only: use m = Y.shape[1].", '''
def compute_cost(AL, Y):
    m = 3
    cost = -(np.dot(Y, np.log(AL).T) + np.dot(1 - Y, np.log(1 - AL).T)) / m
    return np.squeeze(cost)
''')

_wrong("compute_cost", "missing_transpose",
       "np.dot(Y, np.log(AL)) needs a transpose: both have shape (1, m), so write "
       "np.dot(Y, np.log(AL).T), or use np.sum(Y * np.log(AL)).", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -(np.dot(Y, np.log(AL)) + np.dot(1 - Y, np.log(1 - AL))) / m
    return np.squeeze(cost)
''')

_wrong("compute_cost", "AL_and_Y_swapped",
       "AL and Y are swapped in the formula, so the log is taken of the labels (log(0) is -inf): "
       "the cost is -(Y * log(AL) + (1 - Y) * log(1 - AL)), averaged.", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -(np.dot(AL, np.log(Y).T) + np.dot(1 - AL, np.log(1 - Y).T)) / m
    return np.squeeze(cost)
''')

_correct("compute_cost", "np_mean", '''
def compute_cost(AL, Y):
    cost = -np.mean(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))
    return cost
''')

_correct("compute_cost", "python_float", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -1 / m * np.sum(np.multiply(Y, np.log(AL)) + np.multiply(1 - Y, np.log(1 - AL)))
    return float(cost)
''')

_correct("compute_cost", "matmul_and_item", '''
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -(Y @ np.log(AL).T + (1 - Y) @ np.log(1 - AL).T) / m
    return cost.item()
''')

# =============================================================================================
# linear_backward
# =============================================================================================

_wrong("linear_backward", "dW_missing_1_over_m",
       "dW is m times too large: the 1/m factor is missing. Divide by m = A_prev.shape[1].", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T)
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db
''')

_wrong("linear_backward", "db_missing_1_over_m",
       "db is m times too large: the 1/m factor is missing. Divide by m = A_prev.shape[1].", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T) / m
    db = np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db
''')

_wrong("linear_backward", "both_missing_1_over_m",
       "dW and db are both m times too large: the 1/m factor is missing from both. Divide them "
       "by m = A_prev.shape[1].", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    dW = np.dot(dZ, A_prev.T)
    db = np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db
''')

_wrong("linear_backward", "db_without_keepdims",
       "db is 1-D: np.sum(dZ, axis=1) drops the summed axis. Add keepdims=True so that db has "
       "the shape of b, (n, 1).", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T) / m
    db = np.sum(dZ, axis=1) / m
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db
''')

_wrong("linear_backward", "db_squeezed",
       "db is squeezed (np.squeeze drops its column axis), as the first version's template did: "
       "this notebook's version keeps db in the shape of b, (n, 1). Drop the np.squeeze and keep "
       "np.sum(dZ, axis=1, keepdims=True) / m.", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T) / m
    db = np.squeeze(np.sum(dZ, axis=1, keepdims=True)) / m
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db
''')

_wrong("linear_backward", "db_sum_over_units",
       "db sums over the wrong axis (axis=0, the units): sum over the examples, "
       "np.sum(dZ, axis=1, keepdims=True) / m.", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T) / m
    db = np.sum(dZ, axis=0, keepdims=True) / m
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db
''')

_wrong("linear_backward", "db_sum_of_everything",
       "db is a single number: np.sum(dZ) adds up every entry. Sum each row, over the examples: "
       "np.sum(dZ, axis=1, keepdims=True) / m.", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T) / m
    db = np.sum(dZ) / m
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db
''')

_wrong("linear_backward", "db_sum_of_everything_reshaped",
       "db is one number for the whole layer: np.sum(dZ) adds up every entry, and reshape(1, 1) "
       "only wraps it. Sum each row, over the examples: np.sum(dZ, axis=1, keepdims=True) / m.", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T) / m
    db = (np.sum(dZ) / m).reshape(1, 1)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db
''')

_wrong("linear_backward", "dW_transposed",
       "dW is transposed: it has the shape of W, so compute np.dot(dZ, A_prev.T) / m.", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(A_prev, dZ.T) / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db
''')

_wrong("linear_backward", "dA_prev_missing_transpose",
       "dA_prev needs the transpose of W: dA_prev = np.dot(W.T, dZ).", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T) / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = np.dot(W, dZ)
    return dA_prev, dW, db
''')

_wrong("linear_backward", "dA_prev_divided_by_m",
       "dA_prev is m times too small: only dW and db are averaged over the examples. "
       "dA_prev = np.dot(W.T, dZ), with no 1/m.", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T) / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = np.dot(W.T, dZ) / m
    return dA_prev, dW, db
''')

_wrong("linear_backward", "m_from_rows",
       "m is taken from A_prev.shape[0], the number of units of the previous layer: the number "
       "of examples is A_prev.shape[1].", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[0]
    dW = np.dot(dZ, A_prev.T) / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db
''')

_wrong("linear_backward", "hard_coded_m",
       "m is written for the printed example only: use m = A_prev.shape[1], the number of "
       "examples.", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = 4
    dW = np.dot(dZ, A_prev.T) / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db
''')

_correct("linear_backward", "matmul_and_mean", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = (1 / m) * dZ @ A_prev.T
    db = np.mean(dZ, axis=1, keepdims=True)
    dA_prev = W.T @ dZ
    return dA_prev, dW, db
''')

_correct("linear_backward", "reshape_db", '''
def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = dZ.shape[1]
    dW = np.matmul(dZ, A_prev.T) / m
    db = dZ.sum(axis=1).reshape(b.shape) / m
    dA_prev = np.matmul(W.T, dZ)
    return dA_prev, dW, db
''')

# =============================================================================================
# linear_activation_backward
# =============================================================================================

_wrong("linear_activation_backward", "linear_backward_on_whole_cache",
       "linear_backward gets the whole cache, (linear_cache, activation_cache): unpack it first, "
       "linear_cache, activation_cache = cache, and pass linear_cache.", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    else:
        dZ = sigmoid_backward(dA, activation_cache)
    return linear_backward(dZ, cache)
''')

_wrong("linear_activation_backward", "sigmoid_backward_of_A",
       "sigmoid_backward is given the activation A = sigmoid(Z): it takes Z (the activation_cache) "
       "and applies the sigmoid itself.", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    else:
        A = 1 / (1 + np.exp(-activation_cache))
        dZ = sigmoid_backward(dA, A)
    return linear_backward(dZ, linear_cache)
''')


_wrong("linear_activation_backward", "backward_helpers_swapped",
       "The backward helpers are swapped: a \"relu\" layer uses relu_backward and a "
       "\"sigmoid\" layer uses sigmoid_backward.", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = sigmoid_backward(dA, activation_cache)
    else:
        dZ = relu_backward(dA, activation_cache)
    return linear_backward(dZ, linear_cache)
''')

_wrong("linear_activation_backward", "always_relu_backward",
       "Every layer uses relu_backward, whatever the activation argument says: use "
       "sigmoid_backward when activation == \"sigmoid\".", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    dZ = relu_backward(dA, activation_cache)
    return linear_backward(dZ, linear_cache)
''')

_wrong("linear_activation_backward", "always_sigmoid_backward",
       "Every layer uses sigmoid_backward, whatever the activation argument says: use "
       "relu_backward when activation == \"relu\".", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    dZ = sigmoid_backward(dA, activation_cache)
    return linear_backward(dZ, linear_cache)
''')

_wrong("linear_activation_backward", "no_activation_gradient",
       "dZ equals dA: the gradient of the activation is missing. Compute "
       "dZ = relu_backward(dA, activation_cache) or sigmoid_backward(dA, activation_cache).", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    dZ = dA
    return linear_backward(dZ, linear_cache)
''')

_wrong("linear_activation_backward", "sigmoid_derivative_at_Z",
       "The sigmoid's derivative is taken at Z: it is s * (1 - s) with s = sigmoid(Z), not "
       "Z * (1 - Z). sigmoid_backward(dA, activation_cache) computes it.", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    Z = activation_cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    else:
        dZ = dA * Z * (1 - Z)
    return linear_backward(dZ, linear_cache)
''')

_wrong("linear_activation_backward", "sigmoid_derivative_missing_factor",
       "The sigmoid's derivative is missing the (1 - s) factor: dZ = dA * s * (1 - s) with "
       "s = sigmoid(Z).", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    else:
        s = 1 / (1 + np.exp(-activation_cache))
        dZ = dA * s
    return linear_backward(dZ, linear_cache)
''')

_wrong("linear_activation_backward", "relu_gradient_at_zero",
       "Where Z is exactly 0 the ReLU gradient must be 0: zero dZ where Z <= 0, not only where "
       "Z < 0 (relu_backward does this).", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    Z = activation_cache
    if activation == "relu":
        dZ = np.array(dA, copy=True)
        dZ[Z < 0] = 0
    else:
        dZ = sigmoid_backward(dA, activation_cache)
    return linear_backward(dZ, linear_cache)
''')

_wrong("linear_activation_backward", "relu_forward_used",
       "relu(dA) applies the forward ReLU to the gradient; the backward pass needs "
       "relu_backward(dA, activation_cache), which zeroes dA where Z <= 0.", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ, _ = relu(dA)
    else:
        dZ = sigmoid_backward(dA, activation_cache)
    return linear_backward(dZ, linear_cache)
''')

_wrong("linear_activation_backward", "dA_changed_in_place",
       "dA was changed in place, which alters the caller's array: copy it first, "
       "dZ = np.array(dA, copy=True), or use relu_backward(dA, activation_cache).", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    Z = activation_cache
    if activation == "relu":
        dA[Z <= 0] = 0
        dZ = dA
    else:
        dZ = sigmoid_backward(dA, activation_cache)
    return linear_backward(dZ, linear_cache)
''')

_wrong("linear_activation_backward", "caches_unpacked_in_wrong_order",
       "The cache is unpacked in the wrong order: it is (linear_cache, activation_cache), as "
       "linear_activation_forward stores it.", '''
def linear_activation_backward(dA, cache, activation):
    activation_cache, linear_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    else:
        dZ = sigmoid_backward(dA, activation_cache)
    return linear_backward(dZ, linear_cache)
''')

_correct("linear_activation_backward", "derivatives_by_hand", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, Z = cache
    if activation == "relu":
        dZ = dA * (Z > 0)
    else:
        s = 1 / (1 + np.exp(-Z))
        dZ = dA * s * (1 - s)
    dA_prev, dW, db = linear_backward(dZ, linear_cache)
    return dA_prev, dW, db
''')

_correct("linear_activation_backward", "where_and_dispatch", '''
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = np.where(activation_cache > 0, dA, 0.0)
    else:
        dZ = {"sigmoid": sigmoid_backward}[activation](dA, activation_cache)
    return linear_backward(dZ, linear_cache)
''')

# =============================================================================================
# L_model_backward
# =============================================================================================

_wrong("L_model_backward", "dAL_sign",
       "dAL has the wrong sign: dAL = -(Y / AL - (1 - Y) / (1 - AL)).", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \\
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)], caches[l], "relu")
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads
''')

_wrong("L_model_backward", "dAL_first_term_only",
       "dAL is missing its second term: dAL = -(Y / AL - (1 - Y) / (1 - AL)).", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -np.divide(Y, AL)
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \\
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)], caches[l], "relu")
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads
''')

_wrong("L_model_backward", "dAL_is_dZ",
       "AL - Y is the gradient with respect to Z of the last layer, not A: sigmoid_backward then "
       "applies the sigmoid's derivative a second time. Use dAL = -(Y / AL - (1 - Y) / (1 - AL)).", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = AL - Y
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \\
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)], caches[l], "relu")
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads
''')

_wrong("L_model_backward", "dAL_divided_by_m",
       "Every gradient is m times too small: dAL is divided by m, and linear_backward divides by "
       "m again. dAL = -(Y / AL - (1 - Y) / (1 - AL)), with no 1/m.", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    m = AL.shape[1]
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)) / m
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \\
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)], caches[l], "relu")
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads
''')

_wrong("L_model_backward", "last_layer_relu",
       "The output layer is differentiated as a ReLU: layer L is a sigmoid layer, so call "
       "linear_activation_backward(dAL, caches[L-1], \"sigmoid\").", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \\
        linear_activation_backward(dAL, caches[L - 1], "relu")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)], caches[l], "relu")
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads
''')

_wrong("L_model_backward", "hidden_layers_sigmoid",
       "The hidden layers are differentiated as sigmoid layers: layers 1 to L-1 are ReLU "
       "layers, so call linear_activation_backward(..., \"relu\") in the loop.", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \\
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)], caches[l], "sigmoid")
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads
''')

_wrong("L_model_backward", "loop_not_reversed",
       "The loop runs from the first layer up, but each layer needs the gradient of the layer "
       "after it: go backwards, for l in reversed(range(L - 1)).", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \\
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in range(L - 1):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)], caches[l], "relu")
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads
''')

_wrong("L_model_backward", "grads_keys_off_by_one",
       "In the loop, dW and db are stored one layer too low: caches[l] belongs to layer l + 1, "
       "so store grads[\"dW\" + str(l + 1)] and grads[\"db\" + str(l + 1)].", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \\
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)], caches[l], "relu")
        grads["dA" + str(l)], grads["dW" + str(l)], grads["db" + str(l)] = dA_prev, dW, db
    return grads
''')

_wrong("L_model_backward", "wrong_cache_in_loop",
       "The loop uses the cache of the layer after the current one: layer l + 1 uses caches[l].", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \\
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)], caches[l + 1], "relu")
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads
''')

_wrong("L_model_backward", "hard_coded_L",
       "The number of layers is written for the printed example only: it is L = len(caches).", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = 3
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \\
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)], caches[l], "relu")
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads
''')

_wrong("L_model_backward", "dAL_fed_to_every_layer",
       "Every layer gets dAL: each hidden layer needs the gradient the layer after it produced, "
       "the dA_prev the loop's step before stored (grads[\"dA\" + str(l + 1)] in W4A1's numbering, "
       "grads[\"dA\" + str(l + 2)] in the earlier versions').", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \\
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(dAL, caches[l], "relu")
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads
''')

_wrong("L_model_backward", "last_layers_gradient_fed_to_every_layer",
       "Every hidden layer gets the gradient the last layer produced (a dA_prev_temp, or a grads "
       "entry, that the loop never updates): each needs the one the layer after it produced "
       "(grads[\"dA\" + str(l + 1)] in W4A1's numbering, grads[\"dA\" + str(l + 2)] before).", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = dA_prev_temp, dW_temp, db_temp
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(dA_prev_temp, caches[l], "relu")
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads
''')

_wrong("L_model_backward", "previous_cache_in_loop",
       "The loop uses the cache of the layer before the current one: layer l + 1 uses caches[l], "
       "not caches[l - 1].", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \\
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)], caches[l - 1], "relu")
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads
''')


_wrong("L_model_backward", "dAL_and_sigmoid_in_every_layer",
       "Every layer is differentiated as the sigmoid layer, from dAL: only the last is. Each hidden "
       "layer is a ReLU layer fed the gradient the layer after it produced: linear_activation_backward("
       "grads[\"dA\" + str(l + 1)], caches[l], \"relu\") in W4A1's numbering, str(l + 2) before.", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \\
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_backward(sigmoid_backward(dAL, caches[l][1]), caches[l][0])
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads
''')

_wrong("L_model_backward", "whole_cache_to_sigmoid_backward",
       "sigmoid_backward gets a whole layer's cache, a (linear_cache, activation_cache) pair, where "
       "it takes only its activation cache Z: with current_cache = caches[l], pass current_cache[1] "
       "to sigmoid_backward and current_cache[0] to linear_backward.", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \\
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        current_cache = caches[l]
        dA_prev, dW, db = linear_backward(sigmoid_backward(dAL, caches[1]), caches[0])
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads
''')

_wrong("L_model_backward", "whole_cache_to_relu_backward",
       "relu_backward gets a whole layer's cache, a (linear_cache, activation_cache) pair, where "
       "it takes only its activation cache Z: with current_cache = caches[l], pass current_cache[1] "
       "to relu_backward and current_cache[0] to linear_backward.", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \\
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        current_cache = caches[l]
        dZ = relu_backward(grads["dA" + str(l + 1)], current_cache)
        dA_prev, dW, db = linear_backward(dZ, current_cache[0])
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads
''')

_wrong("L_model_backward", "loop_reads_a_gradient_not_stored_yet",
       "The loop reads grads[\"dA\" + str(l)], which no step has stored yet: each hidden layer needs "
       "the gradient the layer after it produced, grads[\"dA\" + str(l + 1)] in W4A1's numbering, "
       "grads[\"dA\" + str(l + 2)] in the earlier versions'.", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \\
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l)], caches[l], "relu")
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads
''')

_wrong("L_model_backward", "dAL_parentheses_missing",
       "dAL's second term has the wrong sign: the minus goes in front of both terms, "
       "dAL = -(Y / AL - (1 - Y) / (1 - AL)).", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \\
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)], caches[l], "relu")
        grads["dA" + str(l)], grads["dW" + str(l + 1)], grads["db" + str(l + 1)] = dA_prev, dW, db
    return grads
''')


_correct("L_model_backward", "negative_index_and_fstrings", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)
    dAL = -(Y / AL) + (1 - Y) / (1 - AL)
    grads[f"dA{L - 1}"], grads[f"dW{L}"], grads[f"db{L}"] = linear_activation_backward(
        dAL, caches[-1], "sigmoid")
    for l in range(L - 2, -1, -1):
        grads[f"dA{l}"], grads[f"dW{l + 1}"], grads[f"db{l + 1}"] = linear_activation_backward(
            grads[f"dA{l + 1}"], caches[l], "relu")
    return grads
''')

_correct("L_model_backward", "running_gradient", '''
def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    dA = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    for layer in range(L, 0, -1):
        activation = "sigmoid" if layer == L else "relu"
        dA, dW, db = linear_activation_backward(dA, caches[layer - 1], activation)
        grads["dA%d" % (layer - 1)] = dA
        grads["dW%d" % layer] = dW
        grads["db%d" % layer] = db
    return grads
''')

# =============================================================================================
# update_parameters
# =============================================================================================

_wrong("update_parameters", "gradients_read_without_d",
       "The gradients are read as grads[\"W\" + str(l)] and grads[\"b\" + str(l)], keys grads "
       "does not have: the gradient of W1 is grads[\"dW1\"], of b1 grads[\"db1\"].", '''
def update_parameters(params, grads, learning_rate):
    parameters = dict(params)
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] = params["W" + str(l)] - learning_rate * grads["W" + str(l)]
        parameters["b" + str(l)] = params["b" + str(l)] - learning_rate * grads["b" + str(l)]
    return parameters
''')

_wrong("update_parameters", "learning_rate_applied_twice",
       "Each parameter takes the step twice (it is updated, then updated again): take one step, "
       "W = W - learning_rate * dW.", '''
def update_parameters(params, grads, learning_rate):
    parameters = dict(params)
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] = params["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = params["b" + str(l)] - learning_rate * grads["db" + str(l)]
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters
''')

_wrong("update_parameters", "last_b_not_updated",
       "The last layer's b is not updated: update every W and every b, layers 1 to L.", '''
def update_parameters(params, grads, learning_rate):
    parameters = dict(params)
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] = params["W" + str(l)] - learning_rate * grads["dW" + str(l)]
    for l in range(1, L):
        parameters["b" + str(l)] = params["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters
''')


_wrong("update_parameters", "plus_instead_of_minus",
       "The parameters move up the gradient: gradient descent subtracts, "
       "W = W - learning_rate * dW (and the same for b).", '''
def update_parameters(params, grads, learning_rate):
    parameters = dict(params)
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] = params["W" + str(l)] + learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = params["b" + str(l)] + learning_rate * grads["db" + str(l)]
    return parameters
''')

_wrong("update_parameters", "skips_last_layer",
       "The last layer is not updated: the layers are 1 to L, so loop over range(1, L + 1).", '''
def update_parameters(params, grads, learning_rate):
    parameters = dict(params)
    L = len(parameters) // 2
    for l in range(1, L):
        parameters["W" + str(l)] = params["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = params["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters
''')

_wrong("update_parameters", "skips_last_layer_pre_w4a1",
       "The last layer is not updated: the loop stops at layer L - 1, but the layers are 1 to L, "
       "so loop over range(1, L + 1).", '''
def update_parameters(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(1, L):
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters
''')

_wrong("update_parameters", "returns_parameters_unchanged",
       "update_parameters returns the parameters as they came in: no step is taken. For each layer l "
       "from 1 to L, W = W - learning_rate * dW and b = b - learning_rate * db.", '''
def update_parameters(params, grads, learning_rate):
    parameters = params.copy()
    return parameters
''')


_wrong("update_parameters", "b_updated_with_dW",
       "b is updated with dW: each parameter moves along its own gradient, "
       "b = b - learning_rate * db.", '''
def update_parameters(params, grads, learning_rate):
    parameters = dict(params)
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] = params["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = params["b" + str(l)] - learning_rate * grads["dW" + str(l)]
    return parameters
''')

_wrong("update_parameters", "modifies_callers_arrays",
       "The caller's arrays are changed: -= on the arrays of params (even after params.copy(), "
       "which copies only the dict) updates them in place. Build new arrays, "
       "W = W - learning_rate * dW, or start from copy.deepcopy(params).", '''
def update_parameters(params, grads, learning_rate):
    parameters = params.copy()
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] -= learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] -= learning_rate * grads["db" + str(l)]
    return parameters
''')

_wrong("update_parameters", "rebinds_callers_dict",
       "The caller's params is changed: params[\"W1\"] = ... stores the new arrays in the caller's "
       "dictionary itself. Start from a copy, parameters = params.copy(), and update only the copy.", '''
def update_parameters(params, grads, learning_rate):
    L = len(params) // 2
    for l in range(1, L + 1):
        params["W" + str(l)] = params["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        params["b" + str(l)] = params["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return params
''')

# The signature and template of the versions before W4A1: the first argument is `parameters`, and
# the template updates the caller's dictionary; assignment.toml allows it under that name.
_correct("update_parameters", "pre_w4a1_template_updates_callers_dict", '''
def update_parameters(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(L):
        parameters["W" + str(l+1)] = parameters["W" + str(l+1)] - learning_rate * grads["dW" + str(l+1)]
        parameters["b" + str(l+1)] = parameters["b" + str(l+1)] - learning_rate * grads["db" + str(l+1)]
    return parameters
''')

_correct("update_parameters", "pre_w4a1_in_place", '''
def update_parameters(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W%d" % l] -= learning_rate * grads["dW%d" % l]
        parameters["b%d" % l] -= learning_rate * grads["db%d" % l]
    return parameters
''')

_wrong("update_parameters", "learning_rate_missing",
       "The step ignores the learning rate: W = W - learning_rate * dW.", '''
def update_parameters(params, grads, learning_rate):
    parameters = dict(params)
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] = params["W" + str(l)] - grads["dW" + str(l)]
        parameters["b" + str(l)] = params["b" + str(l)] - grads["db" + str(l)]
    return parameters
''')

_wrong("update_parameters", "b_not_updated",
       "The biases are not updated: b = b - learning_rate * db, in every layer.", '''
def update_parameters(params, grads, learning_rate):
    parameters = dict(params)
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] = params["W" + str(l)] - learning_rate * grads["dW" + str(l)]
    return parameters
''')

_wrong("update_parameters", "len_parameters",
       "L counts both the W and the b entries, so the loop asks for layers that do not exist: "
       "the number of layers is len(parameters) // 2.", '''
def update_parameters(params, grads, learning_rate):
    parameters = dict(params)
    L = len(parameters)
    for l in range(1, L + 1):
        parameters["W" + str(l)] = params["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = params["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters
''')

_wrong("update_parameters", "loop_starts_at_zero",
       "The loop starts at layer 0, which has no parameters: the layers are numbered from 1, "
       "so loop over range(1, L + 1).", '''
def update_parameters(params, grads, learning_rate):
    parameters = dict(params)
    L = len(parameters) // 2
    for l in range(L):
        parameters["W" + str(l)] = params["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = params["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters
''')

_wrong("update_parameters", "hard_coded_L",
       "The number of layers is written for the printed example only: compute it, "
       "L = len(params) // 2.", '''
def update_parameters(params, grads, learning_rate):
    parameters = dict(params)
    L = 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] = params["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = params["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters
''')

_correct("update_parameters", "deepcopy_then_in_place", '''
def update_parameters(params, grads, learning_rate):
    import copy
    parameters = copy.deepcopy(params)
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] -= learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] -= learning_rate * grads["db" + str(l)]
    return parameters
''')

_correct("update_parameters", "dict_comprehension", '''
def update_parameters(params, grads, learning_rate):
    return {key: value - learning_rate * grads["d" + key] for key, value in params.items()}
''')

_correct("update_parameters", "shallow_copy_new_arrays", '''
def update_parameters(params, grads, learning_rate):
    parameters = params.copy()
    for l in range(1, len(parameters) // 2 + 1):
        parameters[f"W{l}"] = parameters[f"W{l}"] - learning_rate * grads[f"dW{l}"]
        parameters[f"b{l}"] = parameters[f"b{l}"] - learning_rate * grads[f"db{l}"]
    return parameters
''')
