"""Activation helpers that the notebook imports from ``dnn_utils``.

Each forward helper returns ``(A, cache)`` where ``cache`` is ``Z``; each backward helper takes
``dA`` and that cache and returns ``dZ``. This file is also shipped to students as ``dnn_utils.py``,
so it depends on NumPy alone.
"""

import numpy as np


def sigmoid(Z):
    """Sigmoid activation.

    Parameters
    ----------
    Z : numpy.ndarray
        Pre-activation of any shape.

    Returns
    -------
    A : numpy.ndarray
        ``1 / (1 + exp(-Z))``, same shape as ``Z``.
    cache : numpy.ndarray
        ``Z``, kept for the backward pass.
    """
    A = 1 / (1 + np.exp(-Z))
    cache = Z
    return A, cache


def relu(Z):
    """ReLU activation: ``max(0, Z)`` elementwise; returns ``(A, cache)`` with ``cache = Z``."""
    A = np.maximum(0, Z)
    cache = Z
    return A, cache


def relu_backward(dA, cache):
    """Gradient through a ReLU: ``dZ = dA`` where ``Z > 0`` and 0 elsewhere (also at ``Z == 0``)."""
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def sigmoid_backward(dA, cache):
    """Gradient through a sigmoid: ``dZ = dA * s * (1 - s)`` with ``s = sigmoid(Z)``."""
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    dZ = dA * s * (1 - s)
    return dZ
