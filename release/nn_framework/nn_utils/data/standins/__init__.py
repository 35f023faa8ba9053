"""Locally built stand-ins for the real data sets, used when the real files are missing.

Each stand-in has the real data set's array shapes, dtypes and ten classes so that a
notebook runs end to end, but it is NOT the real data: accuracies on it are not
comparable with published results.  Builds are deterministic (fixed seeds) and cached in
memory per process, as compact uint8 arrays.

=============  ===========================  ============  =================================
data set       stand-in                     train / test  needs
=============  ===========================  ============  =================================
mnist          scikit-learn's 8x8 digits    60000 / 10000 numpy, scikit-learn
               redrawn at 28x28
fashion_mnist  drawn clothing silhouettes   60000 / 10000 numpy
cifar10        drawn colour scenes          50000 / 10000 numpy
=============  ===========================  ============  =================================
"""

from __future__ import annotations

import functools

from . import cifar, digits, fashion

DESCRIPTIONS = {
    "mnist": (
        "MNIST-style digits redrawn from scikit-learn's bundled 8x8 handwritten digits "
        f"(load_digits), randomly scaled, rotated, sheared and shifted; "
        f"{digits.N_TRAIN} train / {digits.N_TEST} test images"
    ),
    "fashion_mnist": (
        "procedurally drawn clothing silhouettes in the ten Fashion-MNIST classes "
        f"with random sizes and textures; {fashion.N_TRAIN} train / {fashion.N_TEST} test images"
    ),
    "cifar10": (
        "procedurally drawn 32x32 colour scenes with one crude object of the ten CIFAR-10 "
        f"classes each; {cifar.N_TRAIN} train / {cifar.N_TEST} test images"
    ),
}

_BUILDERS = {"mnist": digits.build, "fashion_mnist": fashion.build, "cifar10": cifar.build}


@functools.cache
def standin(name: str):
    """``(x_train, y_train), (x_test, y_test)`` of the stand-in for ``name``, built once.

    The arrays are shared by every caller in the process: callers must copy before
    handing them out.
    """
    (x_train, y_train), (x_test, y_test) = _BUILDERS[name]()
    for array in (x_train, y_train, x_test, y_test):
        array.flags.writeable = False  # a caller that forgets to copy fails loudly
    return (x_train, y_train), (x_test, y_test)
