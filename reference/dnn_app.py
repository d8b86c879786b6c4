"""Reference solutions of "Deep Neural Network: Application": the two training loops.

Each function body sits between ``# BEGIN SOLUTION`` and ``# END SOLUTION``; the notebook builder
turns that region into the students' fill-in block and keeps the lines around it (the seed, the
cost list, the unpacking of ``layers_dims``) as the template gives them. Costs are recorded every
100 iterations, starting with the first.
"""

import numpy as np

from reference.dnn_app_utils import (
    L_model_backward,
    L_model_forward,
    compute_cost,
    initialize_parameters,
    initialize_parameters_deep,
    linear_activation_backward,
    linear_activation_forward,
    update_parameters,
)


def two_layer_model(X, Y, layers_dims, learning_rate=0.0075, num_iterations=3000, print_cost=False):
    """
    Train a 2-layer network LINEAR -> RELU -> LINEAR -> SIGMOID by gradient descent.

    Arguments:
    X -- input data, of shape (n_x, number of examples)
    Y -- true labels (1 for "patch", 0 for "no patch"), of shape (1, number of examples)
    layers_dims -- the sizes of the layers (n_x, n_h, n_y)
    learning_rate -- the step size of gradient descent
    num_iterations -- how many steps of gradient descent to take
    print_cost -- if True, print the cost every 100 steps

    Returns:
    parameters -- dictionary holding W1, b1, W2 and b2
    costs -- list of the costs, every 100 steps
    """
    np.random.seed(1)
    grads = {}
    costs = []
    (n_x, n_h, n_y) = layers_dims
    # BEGIN SOLUTION
    parameters = initialize_parameters(n_x, n_h, n_y)
    W1, b1, W2, b2 = parameters["W1"], parameters["b1"], parameters["W2"], parameters["b2"]
    for i in range(0, num_iterations):
        A1, cache1 = linear_activation_forward(X, W1, b1, "relu")
        A2, cache2 = linear_activation_forward(A1, W2, b2, "sigmoid")
        cost = compute_cost(A2, Y)
        dA2 = -(np.divide(Y, A2) - np.divide(1 - Y, 1 - A2))
        dA1, dW2, db2 = linear_activation_backward(dA2, cache2, "sigmoid")
        dA0, dW1, db1 = linear_activation_backward(dA1, cache1, "relu")
        grads["dW1"], grads["db1"], grads["dW2"], grads["db2"] = dW1, db1, dW2, db2
        parameters = update_parameters(parameters, grads, learning_rate)
        W1, b1, W2, b2 = parameters["W1"], parameters["b1"], parameters["W2"], parameters["b2"]
        if print_cost and (i % 100 == 0 or i == num_iterations - 1):
            print("Cost after iteration {}: {}".format(i, np.squeeze(cost)))
        if i % 100 == 0:
            costs.append(cost)
    # END SOLUTION
    return parameters, costs


def L_layer_model(X, Y, layers_dims, learning_rate=0.0075, num_iterations=3000, print_cost=False):
    """
    Train an L-layer network [LINEAR -> RELU] * (L-1) -> LINEAR -> SIGMOID by gradient descent.

    Arguments:
    X -- input data, of shape (n_x, number of examples)
    Y -- true labels (1 for "patch", 0 for "no patch"), of shape (1, number of examples)
    layers_dims -- list with the size of each layer, input first, of length L + 1
    learning_rate -- the step size of gradient descent
    num_iterations -- how many steps of gradient descent to take
    print_cost -- if True, print the cost every 100 steps

    Returns:
    parameters -- dictionary holding W1, b1, ..., WL, bL
    costs -- list of the costs, every 100 steps
    """
    np.random.seed(1)
    costs = []
    # BEGIN SOLUTION
    parameters = initialize_parameters_deep(layers_dims)
    for i in range(0, num_iterations):
        AL, caches = L_model_forward(X, parameters)
        cost = compute_cost(AL, Y)
        grads = L_model_backward(AL, Y, caches)
        parameters = update_parameters(parameters, grads, learning_rate)
        if print_cost and (i % 100 == 0 or i == num_iterations - 1):
            print("Cost after iteration {}: {}".format(i, np.squeeze(cost)))
        if i % 100 == 0:
            costs.append(cost)
    # END SOLUTION
    return parameters, costs


GRADED_FUNCTIONS = ("two_layer_model", "L_layer_model")
