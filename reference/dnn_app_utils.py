"""Helpers of "Deep Neural Network: Application", imported by the notebook as ``dnn_app_utils_v3``.

The building blocks are the solutions of the previous notebook ("Building a Deep Neural Network:
Step by Step"), with one change: ``initialize_parameters_deep`` scales each weight matrix by
``1 / sqrt(n_prev)`` instead of 0.01, so that deep networks start with activations of a sensible
size and train in a few thousand steps.

The data set is generated here, deterministically, rather than downloaded: 8x8 colour pictures,
each showing either a bright square patch on a noisy background (label 1, "patch") or the noisy
background alone with a faint stripe (label 0, "no patch"). It is small enough to ship inside the
case files and to train on in seconds, and it is ours to redistribute. A few labels are flipped on
purpose, so no model gets every picture right and the mislabelled pictures are worth looking at.
"""

import numpy as np

# the previous notebook's helpers and solutions, which this notebook's students call
from reference.dnn_utils import relu, relu_backward, sigmoid, sigmoid_backward
from reference.dnn import initialize_parameters, linear_forward, linear_activation_forward
from reference.dnn import L_model_forward, compute_cost, linear_backward
from reference.dnn import linear_activation_backward, L_model_backward, update_parameters

__all__ = ["relu", "relu_backward", "sigmoid", "sigmoid_backward", "initialize_parameters", "linear_forward",
           "linear_activation_forward", "L_model_forward", "compute_cost", "linear_backward",
           "linear_activation_backward", "L_model_backward", "update_parameters", "initialize_parameters_deep",
           "load_data", "predict", "print_mislabeled_images"]

IMAGE_SIZE = 8
DATA_SEED = 20261204


def initialize_parameters_deep(layer_dims):
    """
    Initialise an L-layer network, each W scaled by 1 / sqrt(size of the layer before).

    Arguments:
    layer_dims -- list with the size of each layer, input layer first

    Returns:
    parameters -- dictionary with "W1", "b1", ..., "WL", "bL":
                    Wl -- weight matrix of shape (layer_dims[l], layer_dims[l-1])
                    bl -- bias vector of shape (layer_dims[l], 1)
    """
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) / np.sqrt(layer_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def _pictures(rng, m, size):
    """``m`` pictures (m, size, size, 3) as uint8 and their labels (1, m) as int64."""
    labels = (rng.random(m) < 0.35).astype(np.int64)
    base = rng.uniform(0.05, 0.4, (m, 1, 1, 3))
    pictures = base + rng.normal(0.0, 0.1, (m, size, size, 3))
    for i in range(m):
        if labels[i]:
            side = rng.integers(3, 6)
            top, left = rng.integers(0, size - side + 1, 2)
            colour = rng.uniform(0.6, 1.0, 3)
            pictures[i, top:top + side, left:left + side, :] = colour + rng.normal(0.0, 0.05, (side, side, 3))
        else:
            row = rng.integers(0, size)
            pictures[i, row, :, :] += rng.uniform(0.1, 0.3)
    flipped = rng.random(m) < 0.04
    labels = np.where(flipped, 1 - labels, labels)
    pixels = np.clip(np.round(pictures * 255), 0, 255).astype(np.uint8)
    return pixels, labels.reshape(1, m)


def load_data():
    """
    The data set: 209 training and 50 test pictures, 8x8 pixels in colour, labelled 1 ("patch")
    or 0 ("no patch").

    Returns:
    train_x_orig -- training pictures, shape (209, 8, 8, 3), dtype uint8
    train_y -- training labels, shape (1, 209), dtype int64
    test_x_orig -- test pictures, shape (50, 8, 8, 3), dtype uint8
    test_y -- test labels, shape (1, 50), dtype int64
    classes -- the class names, np.array([b"no patch", b"patch"])
    """
    rng = np.random.default_rng(DATA_SEED)
    train_x_orig, train_y = _pictures(rng, 209, IMAGE_SIZE)
    test_x_orig, test_y = _pictures(rng, 50, IMAGE_SIZE)
    classes = np.array([b"no patch", b"patch"])
    return train_x_orig, train_y, test_x_orig, test_y, classes


def predict(X, y, parameters):
    """
    Predict the labels of the examples X with a trained L-layer network, and print the accuracy.

    Arguments:
    X -- data, shape (number of features, number of examples)
    y -- true labels, shape (1, number of examples)
    parameters -- the trained network's parameters

    Returns:
    p -- predictions (0 or 1), shape (1, number of examples)
    """
    m = X.shape[1]
    probas, caches = L_model_forward(X, parameters)
    p = (probas > 0.5).astype(float).reshape(1, m)
    print("Accuracy: " + str(np.sum(p == y) / m))
    return p


def print_mislabeled_images(classes, X, y, p):
    """
    Show the pictures whose prediction differs from the label (with matplotlib, when installed).

    Arguments:
    classes -- the class names
    X -- the data, shape (number of features, number of examples)
    y -- the true labels
    p -- the predictions
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no pictures")
        return
    wrong = np.asarray(np.where((p + y) == 1))[1]
    count = len(wrong)
    if count == 0:
        print("no picture is mislabelled")
        return
    plt.rcParams["figure.figsize"] = (2.0 * min(count, 8), 2.4)
    for i, index in enumerate(wrong[:8]):
        plt.subplot(1, min(count, 8), i + 1)
        plt.imshow(X[:, index].reshape(IMAGE_SIZE, IMAGE_SIZE, 3), interpolation="nearest")
        plt.axis("off")
        plt.title("Prediction: " + classes[int(p[0, index])].decode("utf-8") + "\nLabel: "
                  + classes[int(y[0, index])].decode("utf-8"), fontsize=8)
