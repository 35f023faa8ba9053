"""Checkers for the backprop_digits assignment.

The layer objects follow one protocol: ``forward(...)`` caches what it needs in
``self.cache`` and returns the output; ``backward(d_out)`` returns the gradients. The
reference values come from scipy's softmax functions and plain numpy, and every gradient
is judged by finite differences, so no check relies on a hand-written backward.
"""

from __future__ import annotations

import numpy as np

from nn_utils.checking import checker
from nn_utils.errors import fail
from nn_utils.diagnosis import likely_mistake, worst_entries
from nn_utils.gradient_report import explain_gradient
from nn_utils.gradients import directional_check
from nn_utils.layer_check import LayerSpec, call_student, check_blocked_at_kink, check_layer
from nn_utils.samples import away_from_zero, gaussian, one_hot, resample

__all__ = [
    "check_affine",
    "check_cross_entropy",
    "check_feedforward_net",
    "check_relu",
]


def _log_softmax(logits):
    from scipy.special import log_softmax  # scipy is part of every course environment

    return log_softmax(logits, axis=1)


def _batch_size(args) -> int:
    return next(iter(args.values())).shape[0]


# ---------------------------------------------------------------------------------------
# Affine
# ---------------------------------------------------------------------------------------

def _affine_mistakes(args, d_out):
    x, w = args["inputs"], args["weight"]
    mistakes = {"out": [(x @ w, "the bias is missing: out = inputs @ weight + bias.")]}
    if d_out is not None:
        if w.shape[0] == w.shape[1]:
            mistakes["d_inputs"] = [(d_out @ w, "d_inputs = d_out @ weight.T: the weight "
                                     "must be transposed.")]
            mistakes["d_weight"] = [(d_out.T @ x, "d_weight = inputs.T @ d_out: you "
                                     "computed its transpose.")]
        mistakes["d_bias"] = [(d_out.mean(axis=0), "d_bias is the sum of d_out over the "
                               "batch, not its mean: the loss already averages.")]
    return mistakes


AFFINE = LayerSpec(
    name="Affine",
    inputs=("inputs", "weight", "bias"),
    output="out",
    gradients=("d_inputs", "d_weight", "d_bias"),
    differentiates={"d_inputs": "inputs", "d_weight": "weight", "d_bias": "bias"},
    reference=lambda a: a["inputs"] @ a["weight"] + a["bias"],
    shapes={"inputs": "(N, D)", "weight": "(D, H)", "bias": "(H,)", "out": "(N, H)"},
    known_mistakes=_affine_mistakes,
    batch_axis_size=_batch_size,
)


@checker
def check_affine(affine, seed: int = 0, shapes=((6, 3, 3), (7, 5, 4))):
    """Check an Affine layer object: forward values, gradients and behaviour.

    Args:
        affine: an instance with ``forward(inputs, weight, bias)`` and ``backward(d_out)``.
        seed: the seed of the random inputs; the verdict repeats for a given seed.
        shapes: (N, D, H) triples to test. A square weight (D == H) is included because
            only then does a missing transpose give wrong numbers instead of an error.
    """
    for i, (n, d, h) in enumerate(shapes):
        def make(rng, n=n, d=d, h=h):
            return {"inputs": gaussian(rng, (n, d)), "weight": gaussian(rng, (d, h)),
                    "bias": gaussian(rng, (h,))}

        check_layer(AFFINE, affine, make, seed=seed * 1000 + i)


# ---------------------------------------------------------------------------------------
# ReLU
# ---------------------------------------------------------------------------------------

def _relu_mistakes(args, d_out):
    x = args["inputs"]
    mistakes = {"out": [(np.maximum(0, -x), "out keeps the negative part: use "
                         "np.maximum(0, inputs).")]}
    if d_out is not None:
        mistakes["d_inputs"] = [
            (d_out * (x < 0), "the mask is inverted: the gradient passes where inputs > 0."),
            (np.asarray(d_out, dtype=np.float64), "the gradient must be zero where "
             "inputs <= 0: multiply d_out by the mask (inputs > 0)."),
            (d_out * np.maximum(0, x), "multiply d_out by the mask (inputs > 0), not by "
             "the ReLU output."),
        ]
    return mistakes


RELU = LayerSpec(
    name="ReLU",
    inputs=("inputs",),
    output="out",
    gradients=("d_inputs",),
    differentiates={"d_inputs": "inputs"},
    reference=lambda a: np.maximum(0, a["inputs"]),
    shapes={"inputs": "any shape", "out": "the shape of inputs"},
    known_mistakes=_relu_mistakes,
)


def _check_kink(relu) -> None:
    def gradient_at(inputs, d_out):
        call_student("ReLU.forward", relu.forward, inputs, note="inputs with exact zeros")
        return call_student("ReLU.backward", relu.backward, d_out,
                            note="after forward on inputs with exact zeros")

    check_blocked_at_kink("ReLU.backward", "d_inputs", "inputs", gradient_at)


@checker
def check_relu(relu, seed: int = 0, shapes=((6, 5), (2, 3, 4))):
    """Check a ReLU layer object on inputs kept away from the kink at 0, then at the kink.

    Args:
        relu: an instance with ``forward(inputs)`` and ``backward(d_out)``.
        seed: the seed of the random inputs.
        shapes: input shapes to test (a ReLU accepts any shape).
    """
    for i, shape in enumerate(shapes):
        def make(rng, shape=shape):
            return {"inputs": away_from_zero(rng, shape)}

        check_layer(RELU, relu, make, seed=seed * 1000 + i)
    _check_kink(relu)


# ---------------------------------------------------------------------------------------
# CategoricalCrossEntropy
# ---------------------------------------------------------------------------------------

def _cross_entropy(args) -> float:
    return float(-np.mean(np.sum(args["labels"] * _log_softmax(args["logits"]), axis=1)))


def _cross_entropy_mistakes(args, d_out):
    logits, labels = args["logits"], args["labels"]
    n = logits.shape[0]
    probs = np.exp(_log_softmax(logits))
    mistakes = {"loss": [(-np.sum(labels * _log_softmax(logits)),
                          f"the loss is summed over the batch: take the mean over the "
                          f"N = {n} samples.")]}
    if d_out is not None:
        mistakes["d_logits"] = [
            ((probs - labels) / n, "d_logits ignores d_out: multiply (probs - labels) / N "
             "by d_out, as the chain rule says."),
            ((labels - probs) / n * d_out, "d_logits has the wrong sign: it is "
             "(probs - labels) / N * d_out."),
            ((probs - labels) * d_out, f"the 1/N of the mean is missing: divide by "
             f"N = {n}."),
        ]
    return mistakes


CROSS_ENTROPY = LayerSpec(
    name="CategoricalCrossEntropy",
    inputs=("logits", "labels"),
    output="loss",
    gradients=("d_logits", "d_labels"),
    differentiates={"d_logits": "logits"},
    reference=_cross_entropy,
    shapes={"logits": "(N, K)", "labels": "(N, K)"},
    scalar_output=True,
    known_mistakes=_cross_entropy_mistakes,
    batch_axis_size=_batch_size,
)


def _check_stability(cross_entropy, rng) -> None:
    """Logits near 1000 overflow a naive softmax: exp(1000) is inf in float64. The rows
    sit at different heights, so that a shift by the largest logit of the whole batch
    (rather than of each row) underflows in the lower rows."""
    logits = np.array([[1000.0], [1000.0], [0.0], [-1000.0]]) + gaussian(rng, (4, 5))
    labels = one_hot(rng, 4, 5)
    where = "CategoricalCrossEntropy.forward"
    loss = call_student(where, cross_entropy.forward, logits.copy(), labels.copy(),
                        note="logits near 1000 (this part tests numerical stability)")
    expected = _cross_entropy({"logits": logits, "labels": labels})
    if not np.isfinite(loss) or not np.isclose(loss, expected, rtol=1e-6, atol=1e-9):
        fail(where, f"loss is {float(loss):.6g} for logits near 1000, expected "
             f"{expected:.6g} (this part tests overflow on purpose)",
             "np.exp(1000) overflows to inf. Subtract each row's own maximum "
             "(max over axis=1, keepdims=True) from the logits before exponentiating: by "
             "the log-sum-exp identity the loss is unchanged. A shift by the batch's "
             "largest logit is not enough: np.exp(-2000) underflows to 0 in a lower row.")
    d_logits = call_student("CategoricalCrossEntropy.backward", cross_entropy.backward, 1.0)
    d_logits = np.asarray(d_logits[0], dtype=np.float64)
    if not np.all(np.isfinite(d_logits)):
        fail("CategoricalCrossEntropy.backward", "d_logits contains nan or inf for logits "
             "near 1000", "cache the stable probabilities computed in forward.")


def _check_confident_mistake(cross_entropy) -> None:
    """A sample the network gets badly wrong, as it does early in training: its true
    class sits 100 below the top logit, so its loss is 100. A small constant added
    inside the log (or probabilities clipped away from 0) caps that loss at -log(eps),
    27.6 for 1e-12, while everywhere else the loss looks right."""
    logits = np.array([[0.0, 100.0, 0.0], [0.5, -0.5, 0.0]])
    labels = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    where = "CategoricalCrossEntropy.forward"
    loss = call_student(where, cross_entropy.forward, logits.copy(), labels.copy(),
                        note="the true class of sample 0 is 100 below its top logit")
    expected = _cross_entropy({"logits": logits, "labels": labels})
    if not np.isfinite(loss) or not np.isclose(loss, expected, rtol=1e-6, atol=1e-9):
        capped = 2 * float(loss) - (expected * 2 - 100.0)
        fail(where, f"loss is {float(loss):.6g} where the true class of one sample is "
             f"100 below its top logit, expected {expected:.6g} (that sample's loss is "
             f"100; yours counts it as about {capped:.4g})",
             "a small constant added inside the log, log(probs + eps), or probabilities "
             "clipped away from 0 cap each sample's loss at -log(eps). Compute the log "
             "of the softmax directly: z - log(sum(exp(z))) with z = logits minus each "
             "row's maximum. It never takes the log of 0.")


@checker
def check_cross_entropy(cross_entropy, seed: int = 0, shapes=((6, 4), (3, 7))):
    """Check a CategoricalCrossEntropy object: the mean loss, its gradient, stability.

    Args:
        cross_entropy: an instance with ``forward(logits, labels)`` returning a float and
            ``backward(d_out=1.0)`` returning ``(d_logits, d_labels)``.
        seed: the seed of the random inputs.
        shapes: (N, K) pairs to test.
    """
    for i, (n, k) in enumerate(shapes):
        def make(rng, n=n, k=k):
            return {"logits": 2.0 * gaussian(rng, (n, k)), "labels": one_hot(rng, n, k)}

        check_layer(CROSS_ENTROPY, cross_entropy, make, seed=seed * 1000 + i)
    _check_stability(cross_entropy, np.random.default_rng(seed))
    _check_confident_mistake(cross_entropy)


# ---------------------------------------------------------------------------------------
# FeedforwardNeuralNet
# ---------------------------------------------------------------------------------------

PARAMETER_SHAPES = {"W1": "(D, H)", "b1": "(H,)", "W2": "(H, K)", "b2": "(K,)"}


def _network_logits(params, X):
    hidden = np.maximum(0, X @ params["W1"] + params["b1"])
    return hidden @ params["W2"] + params["b2"]


def _network_loss(params, X, Y) -> float:
    return float(-np.mean(np.sum(Y * _log_softmax(_network_logits(params, X)), axis=1)))


def _network_point(rng, n, d, h, k):
    """Data and parameters with every hidden pre-activation away from the ReLU kink."""
    def draw(rng):
        X = gaussian(rng, (n, d))
        # Weights scaled by 1/sqrt(fan-in) keep the logits, and so the loss, moderate.
        return X, {"W1": gaussian(rng, (d, h)) / np.sqrt(d), "b1": 0.5 * gaussian(rng, (h,)),
                   "W2": gaussian(rng, (h, k)) / np.sqrt(h), "b2": 0.5 * gaussian(rng, (k,))}

    X, params = resample(rng, draw, lambda case: np.min(np.abs(
        case[0] @ case[1]["W1"] + case[1]["b1"])) > 1e-2)
    return X, one_hot(rng, n, k), params


def _shared_layer_hint(model) -> str:
    layers = [v for v in vars(model).values() if hasattr(v, "forward") and hasattr(v, "backward")]
    counts = {}
    for layer in layers:
        counts.setdefault(type(layer).__name__, set()).add(id(layer))
    if counts.get("Affine") is not None and len(counts["Affine"]) == 1:
        return ("this model holds a single Affine instance for both layers. Its cache then "
                "holds the second layer's inputs when you back-propagate through the first: "
                "use two instances, or run the first layer's forward again before its "
                "backward.")
    return ""


def _check_parameters(model, d, h, k) -> None:
    params = getattr(model, "params", None)
    where = "FeedforwardNeuralNet.__init__"
    if not isinstance(params, dict):
        fail(where, "self.params is missing or not a dict",
             "keep the parameters in self.params with keys W1, b1, W2, b2.")
    expected = {"W1": (d, h), "b1": (h,), "W2": (h, k), "b2": (k,)}
    for key, shape in expected.items():
        if key not in params:
            fail(where, f"self.params has no key {key!r}", "use the keys W1, b1, W2, b2.")
        if np.shape(params[key]) != shape:
            fail(where, f"self.params[{key!r}] has shape {np.shape(params[key])}, expected "
                 f"{shape} = {PARAMETER_SHAPES[key]}",
                 f"with input_size D={d}, hidden_size H={h}, output_size K={k}.")


def _check_predict(model, X, params) -> None:
    where = "FeedforwardNeuralNet.predict"
    probs = call_student(where, model.predict, X.copy(), note=f"X has shape {X.shape}")
    logits = _network_logits(params, X)
    expected = np.exp(_log_softmax(logits))
    if not isinstance(probs, np.ndarray) or probs.shape != expected.shape:
        fail(where, f"returned shape {np.shape(probs)}, expected {expected.shape} = (N, K)")
    if not np.allclose(probs, expected, rtol=1e-6, atol=1e-9):
        hint = likely_mistake("Y_pred", probs, expected, known_mistakes=[
            (logits, "predict returns the logits: apply a softmax over axis 1."),
            (np.exp(logits - logits.max(axis=0)) / np.exp(logits - logits.max(axis=0)).sum(0),
             "the softmax runs over axis 0 (the batch): it must run over axis 1."),
        ])
        fail(where, "Y_pred has wrong values", hint,
             worst_entries("Y_pred", probs, expected,
                           [np.unravel_index(i, probs.shape) for i in range(probs.size)]))


def _check_step(model, X, Y, params, rng, lr) -> None:
    where = "FeedforwardNeuralNet.step"
    for key, value in params.items():
        model.params[key] = value.copy()
    X_passed, Y_passed = X.copy(), Y.copy()
    shared = _shared_layer_hint(model)
    loss = call_student(where, model.step, X_passed, Y_passed,
                        note=(f"Likely mistake: {shared}" if shared else
                              f"X has shape {X.shape}, Y {Y.shape}"))
    if not (np.array_equal(X_passed, X) and np.array_equal(Y_passed, Y)):
        fail(where, "changed X or Y in place", "the data belongs to the caller.")
    expected_loss = _network_loss(params, X, Y)
    if isinstance(loss, np.ndarray) or not isinstance(loss, (float, np.floating)):
        fail(where, f"returned {type(loss).__name__}, expected the loss as a float",
             "return the loss computed in the forward pass.")
    if not np.isclose(loss, expected_loss, rtol=1e-6, atol=1e-9):
        fail(where, f"returned loss {float(loss):.8g}, expected {expected_loss:.8g}",
             "step must return the loss of the forward pass before the update.")

    updated = {key: np.asarray(model.params[key], dtype=np.float64) for key in params}
    implied = {key: (params[key] - updated[key]) / lr for key in params}
    evaluate = lambda p: _network_loss(p, X, Y)  # noqa: E731 - a loss of the parameters
    results = directional_check(evaluate, params, implied, 1.0, rng)
    failing = [key for key in params if not results[key].passed]
    if not failing:
        return
    key = failing[0]
    hint, details, _ = explain_gradient(evaluate, params, key, f"grad {key}", implied[key], 1.0,
                                     rng, batch_size=X.shape[0])
    if not np.any(implied[key]):
        hint = (f"{key} did not change: is the update assigned back into self.params, "
                "and is the gradient of this layer computed at all?")
    elif "wrong sign" in (hint or ""):
        hint = f"{key} moved uphill: gradient descent subtracts learning_rate * gradient."
    if failing[1:]:
        details.append(f"Also wrong: {', '.join(failing[1:])}.")
    fail(where, f"the update of {key} does not follow the gradient of the loss "
         f"(implied gradient = (old - new) / learning_rate)", shared or hint, details)


@checker
def check_feedforward_net(model_class, seed: int = 0, sizes=((9, 6, 5, 4), (4, 3, 7, 2))):
    """Check a FeedforwardNeuralNet class: parameters, predict, and the SGD step.

    The update made by ``step`` must equal ``-learning_rate`` times the numerical gradient
    of the cross-entropy of ``affine -> relu -> affine -> softmax``; a second step on a
    batch of another size catches caches left over from the first.

    Args:
        model_class: the class, called as
            ``model_class(input_size=D, hidden_size=H, output_size=K, learning_rate=lr)``.
        seed: the seed of the random data and parameters.
        sizes: (N, D, H, K) tuples to test.
    """
    rng = np.random.default_rng(seed)
    lr = 0.1
    for n, d, h, k in sizes:
        np.random.seed(seed)  # xavier_init draws from numpy's global generator
        model = call_student(
            "FeedforwardNeuralNet.__init__",
            lambda: model_class(input_size=d, hidden_size=h, output_size=k, learning_rate=lr),
            note=f"called with input_size={d}, hidden_size={h}, output_size={k}, "
                 f"learning_rate={lr}")
        _check_parameters(model, d, h, k)
        X, Y, params = _network_point(rng, n, d, h, k)
        for key, value in params.items():
            model.params[key] = value.copy()
        _check_predict(model, X, params)
        _check_step(model, X, Y, params, rng, lr)
        X2, Y2, params2 = _network_point(rng, n + 3, d, h, k)
        _check_step(model, X2, Y2, params2, rng, lr)
