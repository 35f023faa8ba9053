"""Accuracy thresholds as checks."""

import numpy as np

from .errors import fail
from .integrity import verify_intact


def accuracy(predicted_labels, true_labels) -> float:
    """Share of equal entries of two 1-D label arrays."""
    predicted_labels = np.asarray(predicted_labels).ravel()
    true_labels = np.asarray(true_labels).ravel()
    if predicted_labels.shape != true_labels.shape:
        fail("accuracy", f"{predicted_labels.size} predictions for {true_labels.size} labels",
             "predict one label per sample.")
    return float(np.mean(predicted_labels == true_labels))


def check_accuracy(predicted_labels, true_labels, minimum: float, what: str) -> float:
    """Raise CheckFailure unless the accuracy reaches ``minimum``; return the accuracy."""
    verify_intact()
    value = accuracy(predicted_labels, true_labels)
    if not value >= minimum:
        fail(what, f"accuracy {value:.4f} is below the required {minimum:.4f}",
             "if the gradient checks pass, look at training: the learning rate, the "
             "number of epochs, and whether the parameters are really updated.")
    return value
