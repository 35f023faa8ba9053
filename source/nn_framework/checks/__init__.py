"""Checks of the nn_framework assignment: the layers, losses and network of the numpy
framework (framework.py) and the convolution and pooling layers (conv.py). The notebooks
call them as nn_utils.check_...: the student bundle puts them there."""

from .conv import check_conv2d, check_pool2d
from .framework import (
    check_cross_entropy_loss_layer,
    check_einsum,
    check_fully_connected,
    check_iris_search,
    check_network_gradients,
    check_neural_network,
    check_relu_activation,
    check_softmax_activation,
)

__all__ = [
    "check_conv2d",
    "check_cross_entropy_loss_layer",
    "check_einsum",
    "check_fully_connected",
    "check_iris_search",
    "check_network_gradients",
    "check_neural_network",
    "check_pool2d",
    "check_relu_activation",
    "check_softmax_activation",
]
