"""Case builders of "Deep Neural Network: Application" (named in assignment.toml).

The public builders replay the notebook's own check: two steps of training on the whole training
set. The hidden generators train on small data drawn from the case's generator (tens of examples,
a few features) for up to a few hundred steps, so a case costs milliseconds; ``num_iterations``
is always one more than a multiple of 100, and ``print_cost`` is True, so every published way of
recording the costs (every 100 steps; every 100 steps when printing) gives the same list.
"""

from __future__ import annotations

import numpy as np

from graders.kit.casegen import CaseInputs
from reference.dnn_app_utils import load_data


def _training_set():
    train_x_orig, train_y, _, _, _ = load_data()
    return train_x_orig.reshape(train_x_orig.shape[0], -1).T / 255.0, train_y


def notebook_two_layer_model() -> CaseInputs:
    X, Y = _training_set()
    return CaseInputs([X, Y, (X.shape[0], 7, 1), 0.0075, 2, True],
                      "the notebook's check: two steps on the training set, layers_dims=(%d, 7, 1)" % X.shape[0])


def notebook_L_layer_model() -> CaseInputs:
    X, Y = _training_set()
    return CaseInputs([X, Y, [X.shape[0], 20, 7, 5, 1], 0.0075, 2, True],
                      "the notebook's check: two steps on the training set, layers_dims=[%d, 20, 7, 5, 1]" % X.shape[0])


def _data(rng, n_x, m, int_labels=False):
    """Two clusters of ``m`` examples with ``n_x`` features; both classes appear."""
    Y = (rng.random((1, m)) < 0.5).astype(np.int64 if int_labels else float)
    Y[0, 0], Y[0, 1] = 1, 0
    centres = rng.standard_normal((n_x, 1)) * 0.8
    X = rng.standard_normal((n_x, m)) * 0.7 + np.where(Y == 1, centres, -centres)
    return X, Y


def small_training(rng, layers_dims, m, num_iterations, learning_rate=0.0075, int_labels=False, tuple_dims=False):
    X, Y = _data(rng, layers_dims[0], m, int_labels)
    dims = tuple(layers_dims) if tuple_dims else list(layers_dims)
    label = "layers_dims=%s, m=%d, %d steps, learning_rate=%g" % (list(layers_dims), m, num_iterations, learning_rate)
    if int_labels:
        label += ", integer labels"
    return CaseInputs([X, Y, dims, learning_rate, num_iterations, True], label)
