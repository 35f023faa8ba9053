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
from .data import load_CIFAR10, load_cifar10, load_fashion_mnist, load_mnist, source_of
from .errors import CheckFailure
from .gradients import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from .quiet import quiet_numpy

__all__ = [
    "CheckFailure",
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
