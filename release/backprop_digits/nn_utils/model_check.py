"""Checks for whole models that keep their parameters in a dict (cs231n style).

Such a model has ``params`` (name -> array) and a ``loss`` method that returns
``(loss, grads)`` with ``grads`` keyed like ``params``. The checks here judge what the
model returned against references the kit computes itself from the same parameters:
the loss against a reference loss, the gradients against finite differences of that
reference loss, accuracies from a reference forward pass. None of them trusts the
model's own methods for the verdict.
"""

from __future__ import annotations

import numpy as np

from .diagnosis import likely_mistake
from .errors import fail
from .gradient_report import explain_gradient
from .gradients import directional_check


def as_float_params(where: str, params, names) -> dict:
    """Copies of ``params[name]`` as float64 arrays; fail if a name is missing."""
    if not isinstance(params, dict):
        fail(where, f"params is a {type(params).__name__}, expected a dict of arrays")
    missing = [name for name in names if name not in params]
    if missing:
        fail(where, f"params has no {', '.join(missing)}",
             f"store the parameters as self.params[{missing[0]!r}] and so on.")
    return {name: np.array(params[name], dtype=np.float64) for name in names}


def check_loss_value(where: str, got, want: float, known_mistakes=(), rtol: float = 1e-7) -> None:
    """Fail unless ``got`` is a finite number within ``rtol`` of ``want``."""
    try:
        value = float(np.asarray(got, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        fail(where, f"the loss should be one number; got {type(got).__name__} of shape "
             f"{np.shape(got)}", "average over the batch: the loss is a scalar, not one "
             "value per example.")
    if not abs(value - want) <= rtol * max(abs(want), 1.0):
        hint = likely_mistake("the loss", np.array([value]), np.array([want]),
                              known_mistakes=[(np.array([v]), advice) for v, advice in known_mistakes])
        fail(where, f"the loss is {value!r}, expected {want!r}", hint)


def check_param_gradients(where: str, params: dict, grads, loss_of, rng: np.random.Generator,
                          batch_size: int | None = None, known_mistakes=None) -> None:
    """Fail unless ``grads`` is the gradient of ``loss_of`` at ``params``.

    Args:
        where: e.g. "TwoLayerNet.loss".
        params: name -> float64 array, the point at which ``grads`` were computed.
        grads: what the student's loss returned as gradients.
        loss_of: function of a dict like ``params`` returning the reference loss.
        known_mistakes: name -> [(wrong gradient, advice)] for named diagnoses.
    """
    if not isinstance(grads, dict):
        fail(where, f"grads is a {type(grads).__name__}, expected a dict keyed like params")
    missing = [name for name in params if name not in grads]
    if missing:
        fail(where, f"grads has no {', '.join(missing)}",
             "grads needs one entry per parameter, with the same keys as self.params.")
    analytic = {}
    for name, value in params.items():
        grad = np.asarray(grads[name], dtype=np.float64)
        if grad.shape != value.shape:
            fail(where, f"grads[{name!r}] has shape {grad.shape}, expected {value.shape} "
                 f"(the shape of params[{name!r}])",
                 "a gradient has the shape of its parameter: check a transpose or a sum "
                 "over the wrong axis.")
        analytic[name] = grad
    results = directional_check(loss_of, params, analytic, 1.0, rng)
    for name in params:
        if not results[name].passed:
            hint, details, wrong = explain_gradient(
                loss_of, params, name, f"grads[{name!r}]", analytic[name], 1.0, rng,
                batch_size=batch_size, known_mistakes=(known_mistakes or {}).get(name, ()))
            if wrong == 0:
                # A random direction can cross a ReLU kink that no single entry's step
                # reaches; entry by entry the gradient is right.
                continue
            fail(where, f"grads[{name!r}] does not match the gradient of the loss", hint
                 or "derive this gradient again, layer by layer from the loss back.", details)


def softmax_cross_entropy(scores: np.ndarray, y: np.ndarray) -> float:
    """Mean softmax cross-entropy of integer labels ``y`` (N,) for ``scores`` (N, C)."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(y)), y].mean())


def squared_norms(params: dict, names) -> float:
    """Sum of the squared entries of ``params[name]`` over ``names``."""
    return float(sum(np.sum(params[name] ** 2) for name in names))


def loss_mistakes(data_loss: float, params: dict, weight_names, reg: float, n: int) -> list:
    """(wrong loss, advice) pairs for the usual slips in an L2-regularised mean loss."""
    weights = squared_norms(params, weight_names)
    return [(data_loss + reg * weights, "the regularisation lacks its factor 0.5: "
             "0.5 * reg * (sum of the squared weights)."),
            (data_loss + 0.5 * reg * squared_norms(params, params), "the biases are "
             "regularised too: only the weights W are."),
            (data_loss, "the regularisation term is missing."),
            (data_loss * n + 0.5 * reg * weights, "the data loss is summed over the batch; "
             "average it (divide by N).")]
