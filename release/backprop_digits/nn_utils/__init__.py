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
from .checkers.fc_nets import (
    check_affine_functions,
    check_affine_relu_functions,
    check_fc_two_layer_net,
    check_fully_connected_net,
    check_overfit,
    check_relu_functions,
    check_validation_accuracy,
    model_accuracy,
)
from .checkers.matrix_calculus import (
    check_grad_autoencoder,
    check_grad_gplvm,
    check_grad_gplvm_logdet,
    check_grad_gplvm_trace,
)
from .checkers.two_layer_nn import (
    check_test_accuracy,
    check_two_layer_net_gradients,
    check_two_layer_net_loss,
    check_two_layer_net_scores,
    check_two_layer_net_stability,
    check_two_layer_net_training,
    hyperparameter_search_points,
)
from .checkers.nn_framework_conv import check_conv2d, check_pool2d
from .checkers.nn_framework import (
    check_cross_entropy_loss_layer,
    check_einsum,
    check_fully_connected,
    check_iris_search,
    check_network_gradients,
    check_neural_network,
    check_relu_activation,
    check_softmax_activation,
)
from .checkers.two_layer_mnist import (
    check_cross_entropy_loss,
    check_evaluation,
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
from .data import get_CIFAR10_data, load_CIFAR10, load_cifar10, load_fashion_mnist, load_mnist, source_of
from .errors import CheckFailure
from .gradients import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from .plotting import check_figure_produced, show_images, visualize_grid, watch_figures
from .quiet import quiet_numpy
from .solver import Solver
from .time_limits import training_budget

__all__ = [
    "check_test_accuracy",
    "check_fc_two_layer_net",
    "check_fully_connected_net",
    "check_overfit",
    "check_validation_accuracy",
    "model_accuracy",
    "check_grad_autoencoder",
    "check_grad_gplvm",
    "check_grad_gplvm_logdet",
    "check_grad_gplvm_trace",
    "check_two_layer_net_gradients",
    "check_two_layer_net_loss",
    "check_two_layer_net_scores",
    "check_two_layer_net_stability",
    "check_two_layer_net_training",
    "hyperparameter_search_points",
    "get_CIFAR10_data",
    "visualize_grid",
    "Solver",
    "training_budget",
    "CheckFailure",
    "check_affine_functions",
    "check_affine_relu_functions",
    "check_conv2d",
    "check_relu_functions",
    "check_cross_entropy_loss_layer",
    "check_pool2d",
    "check_einsum",
    "check_fully_connected",
    "check_iris_search",
    "check_network_gradients",
    "check_neural_network",
    "check_relu_activation",
    "check_softmax_activation",
    "check_cross_entropy_loss",
    "check_evaluation",
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

# Last: what the checks rely on is recorded now, before any student code runs.
from . import integrity as _integrity  # noqa: E402

_integrity.record_checkers(globals())
_integrity.protect(__name__)
