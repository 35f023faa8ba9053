"""Checks of the fc_nets_cifar assignment, one module per notebook: FC_nets (fc_nets.py),
two_layer_nn (two_layer_nn.py) and matrix_calculus (matrix_calculus.py). The notebooks
call them as nn_utils.check_...: the student bundle puts them there."""

from .fc_nets import (
    check_affine_functions,
    check_affine_relu_functions,
    check_fc_two_layer_net,
    check_fully_connected_net,
    check_overfit,
    check_relu_functions,
    check_validation_accuracy,
    model_accuracy,
)
from .matrix_calculus import (
    check_grad_autoencoder,
    check_grad_gplvm,
    check_grad_gplvm_logdet,
    check_grad_gplvm_trace,
)
from .two_layer_nn import (
    check_test_accuracy,
    check_two_layer_net_gradients,
    check_two_layer_net_loss,
    check_two_layer_net_scores,
    check_two_layer_net_stability,
    check_two_layer_net_training,
    hyperparameter_search_points,
)

__all__ = [
    "check_affine_functions",
    "check_affine_relu_functions",
    "check_fc_two_layer_net",
    "check_fully_connected_net",
    "check_grad_autoencoder",
    "check_grad_gplvm",
    "check_grad_gplvm_logdet",
    "check_grad_gplvm_trace",
    "check_overfit",
    "check_relu_functions",
    "check_test_accuracy",
    "check_two_layer_net_gradients",
    "check_two_layer_net_loss",
    "check_two_layer_net_scores",
    "check_two_layer_net_stability",
    "check_two_layer_net_training",
    "check_validation_accuracy",
    "hyperparameter_search_points",
    "model_accuracy",
]
