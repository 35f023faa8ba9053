"""nn_utils: checks and helpers for the neural-networks-from-scratch homework.

Checkers print "All checks passed successfully!" and return None, or raise CheckFailure
(an AssertionError) whose message names the function, the tensor and the likely mistake.
"""

from .accuracy import accuracy, check_accuracy
from .checkers.backprop_digits import (
    check_affine,
    check_cross_entropy,
    check_feedforward_net,
    check_relu,
)
from .checkers.fc_nets_cifar import (
    check_affine_functions,
    check_affine_relu_functions,
    check_relu_functions,
)
from .checkers.nn_framework_conv import check_conv2d, check_pool2d
from .checkers.nn_framework import (
    check_cross_entropy_loss_layer,
    check_einsum,
    check_fully_connected,
    check_network_gradients,
    check_neural_network,
    check_relu_activation,
    check_softmax_activation,
)
from .checkers.two_layer_mnist import (
    check_cross_entropy_loss,
    check_extract_binary_classification_dataset,
    check_gd,
    check_loss_history,
    check_multiclass_cross_entropy_loss,
    check_sigmoid,
    check_softmax,
    check_stable_softmax,
    check_two_layer_backward,
    check_two_layer_forward,
    check_two_layer_network,
)
from .data import load_CIFAR10, load_cifar10, load_fashion_mnist, load_mnist, source_of
from .errors import CheckFailure
from .gradients import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from .plotting import check_figure_produced, show_images, watch_figures
from .quiet import quiet_numpy

__all__ = [
    "CheckFailure",
    "check_affine_functions",
    "check_affine_relu_functions",
    "check_conv2d",
    "check_relu_functions",
    "check_cross_entropy_loss_layer",
    "check_pool2d",
    "check_einsum",
    "check_fully_connected",
    "check_network_gradients",
    "check_neural_network",
    "check_relu_activation",
    "check_softmax_activation",
    "check_cross_entropy_loss",
    "check_extract_binary_classification_dataset",
    "check_figure_produced",
    "check_gd",
    "check_loss_history",
    "check_multiclass_cross_entropy_loss",
    "check_sigmoid",
    "check_softmax",
    "check_stable_softmax",
    "check_two_layer_backward",
    "check_two_layer_forward",
    "check_two_layer_network",
    "show_images",
    "watch_figures",
    "accuracy",
    "check_accuracy",
    "check_affine",
    "check_cross_entropy",
    "check_feedforward_net",
    "check_relu",
    "eval_numerical_gradient",
    "eval_numerical_gradient_array",
    "load_CIFAR10",
    "load_cifar10",
    "load_fashion_mnist",
    "load_mnist",
    "quiet_numpy",
    "rel_error",
    "source_of",
]
