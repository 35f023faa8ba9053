"""CIFAR-10 split into training, validation and test sets, as cs231n's data_utils does."""

from __future__ import annotations

import numpy as np

from .loaders import load_cifar10


def get_CIFAR10_data(num_training=49000, num_validation=1000, num_test=1000,
                     subtract_mean=True):
    """CIFAR-10 (or its offline stand-in) ready for a classifier.

    The validation set is the ``num_validation`` training images that follow the first
    ``num_training``; the mean training image is subtracted from all three sets; images
    are channels-first.

    Returns:
        dict with X_train (num_training, 3, 32, 32), y_train (num_training,), X_val,
        y_val, X_test and y_test likewise; X float64, y int64.
    """
    if num_training + num_validation > 50000 or num_test > 10000:
        raise ValueError("CIFAR-10 has 50000 training and 10000 test images: "
                         f"cannot take {num_training} + {num_validation} and {num_test}")
    X_train, y_train, X_test, y_test = load_cifar10()
    X_val = X_train[num_training:num_training + num_validation]
    y_val = y_train[num_training:num_training + num_validation]
    X_train, y_train = X_train[:num_training], y_train[:num_training]
    X_test, y_test = X_test[:num_test], y_test[:num_test]
    if subtract_mean:
        mean_image = X_train.mean(axis=0)
        X_train, X_val, X_test = X_train - mean_image, X_val - mean_image, X_test - mean_image
    channels_first = (0, 3, 1, 2)
    return {
        "X_train": np.ascontiguousarray(X_train.transpose(channels_first)), "y_train": y_train,
        "X_val": np.ascontiguousarray(X_val.transpose(channels_first)), "y_val": y_val,
        "X_test": np.ascontiguousarray(X_test.transpose(channels_first)), "y_test": y_test,
    }
