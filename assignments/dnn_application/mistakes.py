"""Known ways to get the training loops of "Deep Neural Network: Application" wrong, and right
ways that differ from the reference (see :mod:`graders.mistakes` for the format).

Variants call the helpers of ``dnn_app_utils_v3`` by name, as students do.
"""

from __future__ import annotations

from graders.mistakes import CORRECT, WRONG, MistakeLibrary, Variant

LIBRARY = MistakeLibrary()
VARIANTS: list[Variant] = LIBRARY.variants
_wrong, _correct = LIBRARY.wrong, LIBRARY.correct
variants_for, wrong_variants = LIBRARY.variants_for, LIBRARY.wrong_variants
correct_variants, variant = LIBRARY.correct_variants, LIBRARY.variant
__all__ = ["CORRECT", "WRONG", "VARIANTS", "Variant", "variants_for", "wrong_variants", "correct_variants", "variant"]

_TWO = '''
def two_layer_model(X, Y, layers_dims, learning_rate=0.0075, num_iterations=3000, print_cost=False):
    np.random.seed(1)
    grads = {{}}
    costs = []
    (n_x, n_h, n_y) = layers_dims
    parameters = {init}
    W1, b1, W2, b2 = parameters["W1"], parameters["b1"], parameters["W2"], parameters["b2"]
    for i in {steps}:
{reinit}        A1, cache1 = linear_activation_forward(X, W1, b1, "relu")
        A2, cache2 = linear_activation_forward(A1, W2, b2, "{last}")
        cost = compute_cost(A2, Y)
        dA2 = {dA2}
        dA1, dW2, db2 = linear_activation_backward(dA2, cache2, "{last}")
        dA0, dW1, db1 = linear_activation_backward(dA1, cache1, "relu")
        grads["dW1"], grads["db1"], grads["dW2"], grads["db2"] = dW1, db1, dW2, db2
{update}        if {record}:
            costs.append(cost)
    return parameters, costs
'''
_TWO_RIGHT = dict(
    init="initialize_parameters(n_x, n_h, n_y)", steps="range(0, num_iterations)", reinit="", last="sigmoid",
    dA2="-(np.divide(Y, A2) - np.divide(1 - Y, 1 - A2))",
    update=("        parameters = update_parameters(parameters, grads, learning_rate)\n"
            "        W1, b1, W2, b2 = parameters['W1'], parameters['b1'], parameters['W2'], parameters['b2']\n"),
    record="i % 100 == 0")


def _two(**changes) -> str:
    return _TWO.format(**dict(_TWO_RIGHT, **changes))


_L = '''
def L_layer_model(X, Y, layers_dims, learning_rate=0.0075, num_iterations=3000, print_cost=False):
    np.random.seed(1)
    costs = []
    parameters = {init}
    for i in {steps}:
{reinit}        AL, caches = L_model_forward(X, parameters)
        cost = compute_cost(AL, Y)
        grads = L_model_backward(AL, Y, caches)
{update}        if {record}:
            costs.append(cost)
    return parameters, costs
'''
_L_RIGHT = dict(init="initialize_parameters_deep(layers_dims)", steps="range(0, num_iterations)", reinit="",
                update="        parameters = update_parameters(parameters, grads, learning_rate)\n",
                record="i % 100 == 0")


def _l(**changes) -> str:
    return _L.format(**dict(_L_RIGHT, **changes))


# =============================================================================================
# two_layer_model
# =============================================================================================

_wrong("two_layer_model", "cost_recorded_every_step",
       "costs holds the cost of every step: record it every 100 steps only, "
       "`if i % 100 == 0: costs.append(cost)`.", _two(record="True"))
_wrong("two_layer_model", "learning_rate_ignored",
       "The parameters move by a fixed step whatever learning_rate the caller gives: pass "
       "learning_rate itself to update_parameters, not a number.",
       _two(update=_TWO_RIGHT["update"].replace("grads, learning_rate", "grads, 0.0075")))
_wrong("two_layer_model", "parameters_initialised_in_the_loop",
       "The parameters start again from their initial values at every step: call "
       "initialize_parameters once, before the loop.",
       _two(reinit="        parameters = initialize_parameters(n_x, n_h, n_y)\n"
                   "        W1, b1, W2, b2 = parameters[\"W1\"], parameters[\"b1\"], parameters[\"W2\"], parameters[\"b2\"]\n"))
_wrong("two_layer_model", "parameters_never_updated",
       "The parameters never change: call update_parameters(parameters, grads, learning_rate) at every "
       "step and take W1, b1, W2, b2 out of what it returns.", _two(update=""))
_wrong("two_layer_model", "weights_not_taken_from_the_update",
       "Only the first step uses the updated parameters' values: after update_parameters, take W1, b1, W2 "
       "and b2 out of the new parameters, or the next forward pass uses the old ones.",
       _two(update="        parameters = update_parameters(parameters, grads, learning_rate)\n"))
_wrong("two_layer_model", "deep_initialiser",
       "The weights start at another scale: a two-layer model starts from "
       "initialize_parameters(n_x, n_h, n_y), not initialize_parameters_deep.",
       _two(init="initialize_parameters_deep([n_x, n_h, n_y])"))
_wrong("two_layer_model", "dA2_sign_flipped",
       "The parameters climb the cost instead of descending it: dA2 is "
       "-(np.divide(Y, A2) - np.divide(1 - Y, 1 - A2)), with the minus sign in front.",
       _two(dA2="np.divide(Y, A2) - np.divide(1 - Y, 1 - A2)"))
_wrong("two_layer_model", "relu_output_layer",
       "The output layer is a ReLU layer: the last layer of the model is the sigmoid one, "
       "linear_activation_forward(A1, W2, b2, \"sigmoid\") and its backward with \"sigmoid\".",
       _two(last="relu"))
_wrong("two_layer_model", "one_step_short",
       "The loop takes one step too few: range(0, num_iterations) takes num_iterations steps, "
       "starting at 0.", _two(steps="range(1, num_iterations)"))

_correct("two_layer_model", "costs_recorded_when_printing", _two(record="print_cost and i % 100 == 0"))
_correct("two_layer_model", "cost_kept_as_a_number", _two(record="i % 100 == 0").replace(
    "costs.append(cost)", "costs.append(float(np.squeeze(cost)))"))
_correct("two_layer_model", "last_step_recorded_too", _two(record="i % 100 == 0 or i == num_iterations"))

# =============================================================================================
# L_layer_model
# =============================================================================================

_wrong("L_layer_model", "cost_recorded_every_step",
       "costs holds the cost of every step: record it every 100 steps only, "
       "`if i % 100 == 0: costs.append(cost)`.", _l(record="True"))
_wrong("L_layer_model", "learning_rate_ignored",
       "The parameters move by a fixed step whatever learning_rate the caller gives: pass "
       "learning_rate itself to update_parameters, not a number.",
       _l(update="        parameters = update_parameters(parameters, grads, 0.0075)\n"))
_wrong("L_layer_model", "parameters_initialised_in_the_loop",
       "The parameters start again from their initial values at every step: call "
       "initialize_parameters_deep once, before the loop.",
       _l(reinit="        parameters = initialize_parameters_deep(layers_dims)\n"))
_wrong("L_layer_model", "parameters_never_updated",
       "The parameters never change: assign what update_parameters(parameters, grads, learning_rate) "
       "returns to parameters at every step.", _l(update="        update_parameters(parameters, grads, learning_rate)\n"))
_wrong("L_layer_model", "input_layer_dropped",
       "The network has one layer too few and the wrong input size: give initialize_parameters_deep the "
       "whole layers_dims, input size first.", _l(init="initialize_parameters_deep(layers_dims[1:])"))
_wrong("L_layer_model", "gradient_ascent",
       "The parameters climb the cost instead of descending it: update with learning_rate, not "
       "-learning_rate.", _l(update="        parameters = update_parameters(parameters, grads, -learning_rate)\n"))
_wrong("L_layer_model", "one_step_short",
       "The loop takes one step too few: range(0, num_iterations) takes num_iterations steps, "
       "starting at 0.", _l(steps="range(1, num_iterations)"))

_correct("L_layer_model", "costs_recorded_when_printing", _l(record="print_cost and i % 100 == 0"))
_correct("L_layer_model", "written_with_while", '''
def L_layer_model(X, Y, layers_dims, learning_rate=0.0075, num_iterations=3000, print_cost=False):
    np.random.seed(1)
    costs = []
    parameters = initialize_parameters_deep(layers_dims)
    i = 0
    while i < num_iterations:
        AL, caches = L_model_forward(X, parameters)
        cost = compute_cost(AL, Y)
        if i % 100 == 0:
            costs.append(cost)
        parameters = update_parameters(parameters, L_model_backward(AL, Y, caches), learning_rate)
        i += 1
    return parameters, costs
''')
