"""The first images of a data set, for callers that use only a part of it.

A loader asked for ``train_rows`` / ``test_rows`` keeps only those images, so a notebook
that trains on 10000 CIFAR-10 images never holds all 60000 (184 MB) at once.
"""

from __future__ import annotations

import numpy as np


def first(array, count):
    """``array[:count]`` as an array of its own, or ``array`` itself when ``count`` is None."""
    if count is None or count >= len(array):
        return array
    return np.array(array[:count])


def first_of_split(split, train_rows=None, test_rows=None):
    """``((x_train, y_train), (x_test, y_test))`` cut to the first ``train_rows`` and
    ``test_rows`` images (all when None)."""
    (x_train, y_train), (x_test, y_test) = split
    return ((first(x_train, train_rows), first(y_train, train_rows)),
            (first(x_test, test_rows), first(y_test, test_rows)))
