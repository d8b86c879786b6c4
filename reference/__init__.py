"""Reference NumPy implementation of the assignment: the one source of the solutions."""

from reference.dnn import (
    GRADED_FUNCTIONS,
    L_model_backward,
    L_model_forward,
    compute_cost,
    initialize_parameters,
    initialize_parameters_deep,
    linear_activation_backward,
    linear_activation_forward,
    linear_backward,
    linear_forward,
    update_parameters,
)
from reference.dnn_utils import relu, relu_backward, sigmoid, sigmoid_backward

__all__ = [
    "GRADED_FUNCTIONS",
    "L_model_backward",
    "L_model_forward",
    "compute_cost",
    "initialize_parameters",
    "initialize_parameters_deep",
    "linear_activation_backward",
    "linear_activation_forward",
    "linear_backward",
    "linear_forward",
    "relu",
    "relu_backward",
    "sigmoid",
    "sigmoid_backward",
    "update_parameters",
]
