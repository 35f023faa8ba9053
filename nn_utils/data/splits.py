"""CIFAR-10 split into training, validation and test sets, as cs231n's data_utils does."""

from __future__ import annotations

import numpy as np

from .loaders import cifar10_as_stored


def get_CIFAR10_data(num_training=49000, num_validation=1000, num_test=1000,
                     subtract_mean=True, dtype=np.float64, channels_first=True):
    """CIFAR-10 (or its offline stand-in) ready for a classifier.

    The validation set is the ``num_validation`` training images that follow the first
    ``num_training``; the mean training image is subtracted from all three sets.

    Only the images asked for are read and converted to ``dtype``, so memory grows with the
    split, not with the data set: 10000 training images in float32 take 123 MB, all 49000
    in float64 1.2 GB.

    Returns:
        dict with X_train (num_training, 3, 32, 32), y_train (num_training,), X_val,
        y_val, X_test and y_test likewise; X of ``dtype`` (float64 unless asked), y int64.
        With ``channels_first=False`` the images are (N, 32, 32, 3), as stored.
    """
    if num_training + num_validation > 50000 or num_test > 10000:
        raise ValueError("CIFAR-10 has 50000 training and 10000 test images: "
                         f"cannot take {num_training} + {num_validation} and {num_test}")
    (x_train, y_train), (x_test, y_test) = cifar10_as_stored(num_training + num_validation, num_test)
    layout = (0, 3, 1, 2) if channels_first else (0, 1, 2, 3)

    def images(stored):  # one C-ordered conversion of just these images
        return np.array(stored.transpose(layout), dtype=dtype, order="C")

    split = {
        "X_train": images(x_train[:num_training]), "y_train": y_train[:num_training].copy(),
        "X_val": images(x_train[num_training:num_training + num_validation]),
        "y_val": y_train[num_training:num_training + num_validation].copy(),
        "X_test": images(x_test[:num_test]), "y_test": y_test[:num_test].copy(),
    }
    if subtract_mean:
        mean_image = split["X_train"].mean(axis=0, dtype=np.float64).astype(dtype)
        for name in ("X_train", "X_val", "X_test"):
            split[name] -= mean_image
    return split
