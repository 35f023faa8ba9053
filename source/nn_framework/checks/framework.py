"""Checkers for the nn_framework assignment: activations, FullyConnected, CrossEntropy and
NeuralNetwork (Conv2D and Pool2D are in nn_framework_conv).

The framework's layers own their parameters: ``layer.parameters`` and ``layer.gradients``
are OrderedDicts with the keys "W" and "b"; activations are objects with ``forward(Z)``
and ``backward(Z, dY)``. Reference values come from scipy and plain numpy; gradients are
judged by finite differences.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from nn_utils.checking import checker
from nn_utils.errors import fail
from nn_utils.layer_check import LayerSpec, call_student, check_blocked_at_kink, check_layer
from nn_utils.samples import away_from_zero, gaussian, one_hot, resample


def _softmax_rows(z):
    from scipy.special import softmax

    return softmax(z, axis=1)


def _batch_size(args) -> int:
    return next(iter(args.values())).shape[0]


class _Tanh:
    """A smooth activation owned by the checker, so FullyConnected is tested on its own."""

    def __call__(self, Z):
        return self.forward(Z)

    def forward(self, Z):
        return np.tanh(Z)

    def backward(self, Z, dY):
        return dY * (1.0 - np.tanh(Z) ** 2)


# ---------------------------------------------------------------------------------------
# Activations: forward(Z), backward(Z, dY)
# ---------------------------------------------------------------------------------------

def _activation_spec(name, reference, known=None):
    return LayerSpec(
        name=name,
        inputs=("Z",),
        output="Y",
        gradients=("dZ",),
        differentiates={"dZ": "Z"},
        reference=lambda a: reference(a["Z"]),
        shapes={"Z": "(batch_size, n)", "Y": "the shape of Z"},
        known_mistakes=known,
        call_forward=lambda layer, a: layer.forward(a["Z"]),
        call_backward=lambda layer, dY, a: {"dZ": layer.backward(a["Z"], dY)},
    )


def _relu_mistakes(args, dY):
    Z = args["Z"]
    if dY is None:
        return {}
    return {"dZ": [(dY * (Z < 0), "the mask is inverted: the gradient passes where Z > 0."),
                   ((Z > 0).astype(float), "dZ ignores dY: multiply dY by the mask (Z > 0)."),
                   (np.asarray(dY, dtype=np.float64), "the gradient must be zero where Z < 0.")]}


RELU = _activation_spec("ReLU", lambda Z: np.maximum(0.0, Z), _relu_mistakes)


def _softmax_mistakes(args, dY):
    if dY is None:
        return {"Y": [(np.exp(args["Z"]) / np.exp(args["Z"]).sum(axis=0, keepdims=True),
                       "the softmax runs over axis 0 (the batch): normalise each row "
                       "(axis=1).")]}
    s = _softmax_rows(args["Z"])
    return {"dZ": [(dY * s * (1 - s), "dZ uses only the diagonal of the Jacobian, "
                    "s_i (1 - s_i): the off-diagonal terms -s_i s_j matter too. "
                    "dZ = s * (dY - sum(dY * s, axis=1, keepdims=True)).")]}


SOFTMAX = _activation_spec("SoftMax", _softmax_rows, _softmax_mistakes)


def _check_relu_kink(relu) -> None:
    def gradient_at(Z, dY):
        call_student("ReLU.forward", relu.forward, Z.copy(), note="Z with exact zeros")
        return call_student("ReLU.backward", relu.backward, Z, dY, note="Z with exact zeros")

    check_blocked_at_kink("ReLU.backward", "the gradient", "Z", gradient_at)


@checker
def check_relu_activation(relu, seed: int = 0, shapes=((6, 5), (3, 4, 2))):
    """Check a ReLU activation object: forward(Z) and backward(Z, dY), then at the kink."""
    for i, shape in enumerate(shapes):
        check_layer(RELU, relu, lambda rng, shape=shape: {"Z": away_from_zero(rng, shape)},
                    seed=seed * 1000 + i)
    _check_relu_kink(relu)


@checker
def check_softmax_activation(softmax, seed: int = 0, shapes=((5, 4), (2, 7))):
    """Check a SoftMax activation: rows sum to 1, stable near 1000, and backward is the
    Jacobian-vector product for a random dY."""
    for i, shape in enumerate(shapes):
        check_layer(SOFTMAX, softmax, lambda rng, shape=shape: {"Z": 2.0 * gaussian(rng, shape)},
                    seed=seed * 1000 + i)
    # Rows at different heights: a shift by the largest entry of the whole batch (rather
    # than of each row) leaves exp(-2000) = 0 in the lowest row.
    Z = np.array([[1000.0], [0.0], [-1000.0]]) + gaussian(np.random.default_rng(seed), (3, 4))
    Y = call_student("SoftMax.forward", softmax.forward, Z.copy(),
                     note="Z near 1000, 0 and -1000 in its three rows (this part tests "
                          "overflow on purpose)")
    if not np.all(np.isfinite(Y)) or not np.allclose(Y, _softmax_rows(Z), rtol=1e-6):
        fail("SoftMax.forward", "Y is wrong for inputs near 1000 (this part tests overflow "
             "on purpose)", "np.exp(1000) is inf: subtract each row's own maximum first "
             "(Z.max(axis=1, keepdims=True)); the batch's largest entry is not enough.")


# ---------------------------------------------------------------------------------------
# FullyConnected(n_out, activation, weight_init)
# ---------------------------------------------------------------------------------------

def _install(layer, args):
    """Let the student's initialisation run once, then install the checker's W and b."""
    if getattr(layer, "n_in", None) is None:
        layer._init_parameters(args["X"].shape)
    if not isinstance(getattr(layer, "parameters", None), dict):
        fail("FullyConnected._init_parameters", "self.parameters is not a dictionary",
             "self.parameters = OrderedDict({'W': W, 'b': b}).")
    layer.parameters["W"] = args["W"]
    layer.parameters["b"] = args["b"]
    return layer.forward(args["X"])


def _gradients_of(layer, dY, args):
    dX = layer.backward(dY)
    gradients = getattr(layer, "gradients", None)
    if not isinstance(gradients, dict) or not {"W", "b"} <= set(gradients):
        fail("FullyConnected.backward", "self.gradients lacks the keys 'W' and 'b'",
             "store the parameter gradients in self.gradients with the same keys as "
             "self.parameters.")
    return {"dX": dX, "dW": gradients["W"], "db": gradients["b"]}


def _fc_mistakes(args, dY):
    X, W, b = args["X"], args["W"], args["b"]
    Z = X @ W + b
    mistakes = {"Y": [(X @ W + b, "the activation is not applied: return "
                       "self.activation(Z)."),
                      (np.tanh(X @ W), "the bias is missing: Z = X @ W + b.")]}
    if dY is not None:
        dZ = dY * (1 - np.tanh(Z) ** 2)
        mistakes["dW"] = [(X.T @ dY, "the activation's backward is skipped: first "
                           "dLdZ = self.activation.backward(Z, dLdY).")]
        mistakes["dX"] = [(dY @ W.T, "the activation's backward is skipped: first "
                           "dLdZ = self.activation.backward(Z, dLdY).")]
        mistakes["db"] = [(dZ.mean(axis=0, keepdims=True), "db is the sum of dLdZ over "
                           "the batch, not its mean.")]
    return mistakes


FULLY_CONNECTED = LayerSpec(
    name="FullyConnected",
    inputs=("X", "W", "b"),
    output="Y",
    gradients=("dX", "dW", "db"),
    differentiates={"dX": "X", "dW": "W", "db": "b"},
    reference=lambda a: np.tanh(a["X"] @ a["W"] + a["b"]),
    shapes={"X": "(batch_size, n_in)", "W": "(n_in, n_out)", "b": "(1, n_out)",
            "Y": "(batch_size, n_out)"},
    known_mistakes=_fc_mistakes,
    batch_axis_size=_batch_size,
    call_forward=_install,
    call_backward=_gradients_of,
)


def _check_fc_initialisation(FullyConnected, n_in, n_out):
    where = "FullyConnected._init_parameters"
    layer = call_student("FullyConnected", FullyConnected, n_out, _Tanh(),
                         note=f"called as FullyConnected({n_out}, activation)")
    call_student(where, layer._init_parameters, (7, n_in), note=f"X_shape = (7, {n_in})")
    if getattr(layer, "n_in", None) != n_in:
        fail(where, f"self.n_in is {getattr(layer, 'n_in', None)!r}, expected {n_in}",
             "n_in is the number of input features, X_shape[1].")
    for attribute in ("parameters", "cache", "gradients"):
        if not isinstance(getattr(layer, attribute, None), OrderedDict):
            fail(where, f"self.{attribute} is not an OrderedDict")
    parameters, gradients = layer.parameters, layer.gradients
    if list(parameters) != ["W", "b"]:
        fail(where, f"self.parameters has keys {list(parameters)}, expected ['W', 'b']")
    if list(gradients) != list(parameters):
        fail(where, f"self.gradients has keys {list(gradients)}, expected "
             f"{list(parameters)}", "the gradients must have the same keys as the "
             "parameters, so the optimiser can pair them.")
    if np.shape(parameters["W"]) != (n_in, n_out):
        fail(where, f"W has shape {np.shape(parameters['W'])}, expected ({n_in}, {n_out})")
    if np.shape(parameters["b"]) != (1, n_out) or np.any(parameters["b"]):
        fail(where, f"b has shape {np.shape(parameters['b'])}, expected zeros of shape "
             f"(1, {n_out})")
    if not np.any(parameters["W"]):
        fail(where, "W is all zeros", "initialise W with self.init_weights: zero weights "
             "give every unit the same gradient, so they never differ.")


@checker
def check_fully_connected(FullyConnected, seed: int = 0, sizes=((6, 4, 3), (3, 2, 5))):
    """Check the FullyConnected class: initialisation, forward, and backward through
    its activation, with the gradients stored in self.gradients.

    Args:
        FullyConnected: the class, called as ``FullyConnected(n_out, activation)``.
        sizes: (batch_size, n_in, n_out) triples.
    """
    for i, (n, n_in, n_out) in enumerate(sizes):
        _check_fc_initialisation(FullyConnected, n_in, n_out)
        layer = FullyConnected(n_out, _Tanh())

        def make(rng, n=n, n_in=n_in, n_out=n_out):
            return {"X": gaussian(rng, (n, n_in)), "W": gaussian(rng, (n_in, n_out)) / 2,
                    "b": gaussian(rng, (1, n_out)) / 2}

        check_layer(FULLY_CONNECTED, layer, make, seed=seed * 1000 + i)


# ---------------------------------------------------------------------------------------
# CrossEntropy: forward(Y, Y_hat) -> float, backward(Y, Y_hat) -> dL/dY_hat
# ---------------------------------------------------------------------------------------

def _cross_entropy(args) -> float:
    return float(-np.sum(args["Y"] * np.log(args["Y_hat"])) / args["Y"].shape[0])


def _cross_entropy_mistakes(args, upstream):
    Y, Y_hat = args["Y"], args["Y_hat"]
    n = Y.shape[0]
    mistakes = {"loss": [(-np.sum(Y * np.log(Y_hat)), f"the loss is summed over the batch: "
                          f"divide by the batch size N = {n}.")]}
    if upstream is not None:
        mistakes["dY_hat"] = [(upstream * Y / Y_hat / n, "the minus sign is missing: "
                               "dL/dY_hat = -Y / (N * Y_hat).")]
    return mistakes


CROSS_ENTROPY = LayerSpec(
    name="CrossEntropy",
    inputs=("Y", "Y_hat"),
    output="loss",
    gradients=("dY_hat",),
    differentiates={"dY_hat": "Y_hat"},
    reference=_cross_entropy,
    shapes={"Y": "(batch_size, num_classes)", "Y_hat": "(batch_size, num_classes)"},
    scalar_output=True,
    known_mistakes=_cross_entropy_mistakes,
    batch_axis_size=_batch_size,
    call_forward=lambda loss, a: loss.forward(a["Y"], a["Y_hat"]),
    # backward has no upstream argument: it is the gradient for an upstream of 1.
    call_backward=lambda loss, up, a: {"dY_hat": up * np.asarray(loss.backward(a["Y"], a["Y_hat"]),
                                                                 dtype=np.float64)},
)


@checker
def check_cross_entropy_loss_layer(cross_entropy, seed: int = 0, shapes=((6, 4), (3, 5))):
    """Check CrossEntropy.forward (mean over the batch) and backward (dL/dY_hat)."""
    for i, (n, k) in enumerate(shapes):
        def make(rng, n=n, k=k):
            # The true class keeps a probability well above 0: -log(p) curves so sharply
            # near 0 that finite differences would stop being accurate.
            Y = one_hot(rng, n, k)
            return {"Y": Y, "Y_hat": _softmax_rows(0.5 * gaussian(rng, (n, k)) + Y)}

        check_layer(CROSS_ENTROPY, cross_entropy, make, seed=seed * 1000 + i)


# ---------------------------------------------------------------------------------------
# NeuralNetwork: forward(X), backward(target, out) -> loss, predict(X, Y)
# ---------------------------------------------------------------------------------------

class _RecordingLayer:
    """A dense layer owned by the checker that records what the network passes to it."""

    def __init__(self, W, b, name, first):
        self.parameters = OrderedDict(W=W, b=b)
        self.gradients = OrderedDict(W=np.zeros_like(W), b=np.zeros_like(b))
        self.name, self.cache, self.n_in, self.n_out = name, {}, W.shape[0], W.shape[1]
        self.first = first
        self.network_input = None  # the X the check gives the network
        self.forward_inputs, self.backward_inputs = [], []

    def __call__(self, X):
        return self.forward(X)

    def forward(self, X):
        X = np.asarray(X, dtype=np.float64)
        self.forward_inputs.append(X)
        if not self.first and self.network_input is not None \
                and X.shape == self.network_input.shape and np.array_equal(X, self.network_input):
            fail("NeuralNetwork.forward", f"gave the network's input X to {self.name}",
                 "chain the layers: each layer's input is the previous layer's output "
                 "(X = layer.forward(X) in the loop).")
        if X.ndim != 2 or X.shape[1] != self.n_in:
            raise ValueError(f"{self.name} expects inputs of shape (batch_size, {self.n_in}), "
                             f"got {X.shape}")
        self.cache["X"] = X
        return np.tanh(X @ self.parameters["W"] + self.parameters["b"])

    def backward(self, dLdY):
        self.backward_inputs.append(dLdY)
        X = self.cache["X"]
        dZ = np.asarray(dLdY) * (1 - np.tanh(X @ self.parameters["W"] + self.parameters["b"]) ** 2)
        self.gradients["W"] = X.T @ dZ
        self.gradients["b"] = dZ.sum(axis=0, keepdims=True)
        return dZ @ self.parameters["W"].T


class _SquaredError:
    """A loss owned by the checker: mean over the batch of half the squared error."""

    def __call__(self, Y, Y_hat):
        return self.forward(Y, Y_hat)

    def forward(self, Y, Y_hat):
        return float(0.5 * np.sum((Y_hat - Y) ** 2) / Y.shape[0])

    def backward(self, Y, Y_hat):
        return (Y_hat - Y) / Y.shape[0]


def _network_with(NeuralNetwork, layers, loss):
    return call_student("NeuralNetwork", NeuralNetwork, layers, loss,
                        note="called as NeuralNetwork(layers, loss)")


def _reference_output(layers, X):
    for layer in layers:
        X = np.tanh(X @ layer.parameters["W"] + layer.parameters["b"])
    return X


@checker
def check_neural_network(NeuralNetwork, seed: int = 0, sizes=(5, 4, 3, 2), batch: int = 6):
    """Check NeuralNetwork.forward, backward and predict with layers owned by the checker.

    The layers record what they receive, so the check can tell whether forward chains
    the layers and whether backward sends the loss's gradient (not its value) down
    through the layers in reverse order.
    """
    rng = np.random.default_rng(seed)
    dims = list(sizes)
    layers = [_RecordingLayer(gaussian(rng, (a, b)) / np.sqrt(a), 0.3 * gaussian(rng, (1, b)),
                              f"layer {i}", first=i == 0)
              for i, (a, b) in enumerate(zip(dims, dims[1:]))]
    network = _network_with(NeuralNetwork, layers, _SquaredError())
    X = gaussian(rng, (batch, dims[0]))
    Y = gaussian(rng, (batch, dims[-1]))
    for layer in layers:
        layer.network_input = X

    out = call_student("NeuralNetwork.forward", network.forward, X.copy(),
                       note=f"{len(layers)} layers of sizes {dims}; X {X.shape}")
    want = _reference_output(layers, X)
    if not isinstance(out, np.ndarray) or out.shape != want.shape or \
            not np.allclose(out, want, rtol=1e-6):
        fail("NeuralNetwork.forward", f"returned {np.shape(out)} values that are not the "
             f"last layer's output (expected shape {want.shape})",
             "return the output of the last layer after passing X through every layer "
             "in order.")

    for layer in layers:
        layer.backward_inputs.clear()
    loss = call_student("NeuralNetwork.backward", network.backward, Y.copy(), out.copy())
    expected_loss = _SquaredError().forward(Y, want)
    received = layers[-1].backward_inputs
    if not received:
        fail("NeuralNetwork.backward", "never called the last layer's backward",
             "loop over self.layers in reverse, passing each layer's result to the next.")
    if np.ndim(received[0]) == 0:
        fail("NeuralNetwork.backward", "passed the loss value to the layers instead of "
             "its gradient", "dLdY = self.loss.backward(target, out) is what goes into "
             "the last layer's backward; the loss value is only returned.")
    if not np.allclose(received[0], _SquaredError().backward(Y, want), rtol=1e-6):
        fail("NeuralNetwork.backward", "the last layer received something other than "
             "the loss's gradient", "start from self.loss.backward(target, out).")
    for upper, lower in zip(layers[1:], layers[:-1]):
        if not lower.backward_inputs:
            fail("NeuralNetwork.backward", f"never reached {lower.name}",
                 "back-propagate through every layer, last to first.")
        dX = upper.backward(np.asarray(upper.backward_inputs[0]))
        if not np.allclose(lower.backward_inputs[-1], dX, rtol=1e-6):
            fail("NeuralNetwork.backward", f"{lower.name} did not receive the gradient "
                 f"returned by {upper.name}", "pass each layer's backward result to the "
                 "layer below it (dLdY = layer.backward(dLdY), in reverse order).")
    if np.ndim(loss) != 0 or not np.isclose(float(loss), expected_loss, rtol=1e-6):
        fail("NeuralNetwork.backward", f"returned {loss!r}, expected the loss "
             f"{expected_loss:.8g}", "compute the loss with self.loss(target, out) and "
             "return it.")

    result = call_student("NeuralNetwork.predict", network.predict, X.copy(), Y.copy())
    if not isinstance(result, tuple) or len(result) != 2:
        fail("NeuralNetwork.predict", f"returned {type(result).__name__}",
             "return the pair (Y_hat, loss).")
    Y_hat, predicted_loss = result
    if np.shape(Y_hat) != want.shape or np.ndim(predicted_loss) != 0 or \
            not np.allclose(Y_hat, want, rtol=1e-6) or \
            not np.isclose(float(predicted_loss), expected_loss, rtol=1e-6):
        fail("NeuralNetwork.predict", "returned a prediction or loss that differs from "
             "forward and backward", "Y_hat = self.forward(X); loss = self.backward(Y, Y_hat).")


# ---------------------------------------------------------------------------------------
# einsum
# ---------------------------------------------------------------------------------------

def _einsum_calls(function, *args):
    """Call ``function`` while counting its calls of np.einsum; return (result, count).

    Calls through ``np.einsum`` and through a name bound to it in the function's module
    (``from numpy import einsum``) both count. A function that lives in another process
    (the student's kernel, at grading time) counts them there: ``count_calls``.
    """
    count_calls = getattr(type(function), "count_calls", None)
    if count_calls is not None:
        return call_student(function.__name__, count_calls, function, "einsum", *args)
    original = np.einsum
    calls = []

    def counting(*a, **k):
        calls.append(a[0] if a else None)
        return original(*a, **k)

    namespace = getattr(function, "__globals__", {})
    aliases = [name for name, value in list(namespace.items()) if value is original]
    np.einsum = counting
    for name in aliases:
        namespace[name] = counting
    try:
        result = call_student(function.__name__, function, *args)
    finally:
        np.einsum = original
        for name in aliases:
            namespace[name] = original
    return result, len(calls)


@checker
def check_einsum(trace_einsum, matmul_einsum, batched_matmul_einsum, seed: int = 0):
    """Check the three einsum exercises against numpy, and that each uses np.einsum.

    Each is a function of its arrays (a script's einsum calls wrapped one per function);
    other code in the student's cell is not looked at.
    """
    for name, function in (("trace_einsum", trace_einsum), ("matmul_einsum", matmul_einsum),
                           ("batched_matmul_einsum", batched_matmul_einsum)):
        if not callable(function):
            fail(name, f"is a {type(function).__name__}, not a function",
                 f"define def {name}(...): return np.einsum(...). A script's result "
                 "(an array) cannot be checked with other inputs: wrap its einsum call in "
                 "the function.")
    rng = np.random.default_rng(seed)
    A, B = gaussian(rng, (5, 5)), gaussian(rng, (5, 3))
    first, second = gaussian(rng, (3, 4, 5)), gaussian(rng, (3, 5, 6))
    cases = [(trace_einsum, (A,), np.trace(A), "np.trace(A)"),
             (matmul_einsum, (A, B), A @ B, "A @ B"),
             (batched_matmul_einsum, (first, second), np.matmul(first, second),
              "np.matmul(A, B)")]
    for function, args, want, numpy_name in cases:
        got, calls = _einsum_calls(function, *[a.copy() for a in args])
        if calls == 0:
            fail(function.__name__, "did not call np.einsum",
                 f"write it with one np.einsum call instead of {numpy_name}.")
        if np.shape(got) != np.shape(want) or not np.allclose(got, want, rtol=1e-8):
            fail(function.__name__, f"returned a result of shape {np.shape(got)} that "
                 f"differs from {numpy_name} (shape {np.shape(want)})",
                 "letters that do not appear after '->' are summed over; check which "
                 "axes must survive.")


# ---------------------------------------------------------------------------------------
# The whole network, built from the student's classes
# ---------------------------------------------------------------------------------------

def _network_loss(named, X, Y):
    hidden = np.maximum(0.0, X @ named["W0"] + named["b0"])
    probs = _softmax_rows(hidden @ named["W1"] + named["b1"])
    return float(-np.sum(Y * np.log(probs)) / Y.shape[0])


@checker
def check_network_gradients(NeuralNetwork, FullyConnected, ReLU, SoftMax, CrossEntropy,
                            seed: int = 0, sizes=(5, 6, 3), batch: int = 8):
    """Check end to end that a network of your classes back-propagates the right gradients.

    Builds FullyConnected(ReLU) -> FullyConnected(SoftMax) with CrossEntropy, runs your
    NeuralNetwork's forward and backward, and compares every layer's gradients with
    finite differences of the cross-entropy of the same network.
    """
    from nn_utils.gradient_report import explain_gradient
    from nn_utils.gradients import directional_check

    rng = np.random.default_rng(seed)
    d, h, k = sizes
    layers = [call_student("FullyConnected", FullyConnected, h, ReLU()),
              call_student("FullyConnected", FullyConnected, k, SoftMax())]
    network = call_student("NeuralNetwork", NeuralNetwork, layers, CrossEntropy(),
                           note="called as NeuralNetwork(layers, CrossEntropy())")
    X, named = resample(rng, lambda rng: (gaussian(rng, (batch, d)), {
        "W0": gaussian(rng, (d, h)) / np.sqrt(d), "b0": 0.5 * gaussian(rng, (1, h)),
        "W1": gaussian(rng, (h, k)) / np.sqrt(h), "b1": 0.5 * gaussian(rng, (1, k))}),
        lambda case: np.min(np.abs(case[0] @ case[1]["W0"] + case[1]["b0"])) > 1e-2)
    Y = one_hot(rng, batch, k)
    # The first forward creates the parameters. It gets a larger batch than the checked
    # one, as training's batch precedes a smaller test set: nothing may keep its size.
    call_student("NeuralNetwork.forward", network.forward, gaussian(rng, (batch + 3, d)))
    for i, layer in enumerate(layers):
        layer.parameters["W"], layer.parameters["b"] = named[f"W{i}"].copy(), named[f"b{i}"].copy()
    out = call_student("NeuralNetwork.forward", network.forward, X.copy())
    call_student("NeuralNetwork.backward", network.backward, Y.copy(), out)
    analytic = {f"{p}{i}": np.asarray(layer.gradients[p], dtype=np.float64)
                for i, layer in enumerate(layers) for p in ("W", "b")}
    for name, grad in analytic.items():
        if grad.shape != named[name].shape:
            fail("NeuralNetwork.backward", f"layer {name[1]}'s gradient of {name[0]} has shape "
                 f"{grad.shape}, expected {named[name].shape}")
    evaluate = lambda params: _network_loss(params, X, Y)  # noqa: E731 - loss of the parameters
    results = directional_check(evaluate, named, analytic, 1.0, rng)
    failing = [name for name in analytic if not results[name].passed]
    if failing:
        name = failing[0]
        hint, details, _ = explain_gradient(evaluate, named, name, f"layer {name[1]} d{name[0]}",
                                         analytic[name], 1.0, rng, batch_size=batch)
        fail("NeuralNetwork.backward", f"the gradient of layer {name[1]}'s {name[0]} does not "
             "match the network's loss", hint or "check each class's own checker first; "
             "then that backward visits the layers in reverse order.", details)


# ---------------------------------------------------------------------------------------
# The iris search: results, best, best_network
# ---------------------------------------------------------------------------------------

def _final_loss(setting, value) -> float:
    """The final training loss recorded for a setting: a number, or the last of a list."""
    where = "iris search"
    losses = np.asarray(value, dtype=object)
    if losses.ndim == 1 and losses.size:
        losses = losses[-1]
    try:
        return float(losses)
    except (TypeError, ValueError):
        fail(where, f"results[{setting!r}] is a {type(value).__name__}, expected the "
             "setting's training losses (the list train returns) or its final training "
             "loss (a number)",
             "store results[(learning_rate, hidden_size)] = train(network, X_train, "
             "Y_train, epochs=300); keep the networks in a dictionary of their own.")


def _layer_parameters(network, n_in: int, n_classes: int) -> list:
    """[(W, b), ...] of best_network's layers, as float arrays whose shapes chain."""
    where = "iris search"
    layers = getattr(network, "layers", None)
    if network is None:
        fail(where, "best_network is None", "store the network trained with the setting "
             "best in best_network.")
    if not isinstance(layers, (list, tuple)) or not layers:
        fail(where, f"best_network is a {type(network).__name__} without a list of layers",
             "best_network must be the NeuralNetwork trained with the best setting "
             "(make_network builds one).")
    found, width = [], n_in
    for i, layer in enumerate(layers):
        parameters = getattr(layer, "parameters", None)
        if not isinstance(parameters, dict) or not {"W", "b"} <= set(parameters):
            fail(where, f"layer {i} of best_network has no parameters 'W' and 'b'",
                 "was best_network trained? Its layers create W and b on the first forward.")
        W = np.array(parameters["W"], dtype=np.float64)
        b = np.array(parameters["b"], dtype=np.float64).reshape(1, -1)
        if W.ndim != 2 or W.shape[0] != width or b.shape[1] != W.shape[1]:
            fail(where, f"layer {i} of best_network has W of shape {W.shape} and b of shape "
                 f"{b.shape}, which do not take {width} inputs",
                 "best_network must be a stack of FullyConnected layers for the 4 iris "
                 "features (make_network builds one).")
        found.append((W, b))
        width = W.shape[1]
    if width != n_classes:
        fail(where, f"best_network has {width} outputs, expected one per class ({n_classes})")
    return found


@checker
def check_iris_search(results, best, best_network, X_test, y_test, minimum: float = 0.9):
    """Check the hyperparameter search on iris through what it left behind.

    Args:
        results: {(learning_rate, hidden_size): training losses (a list) or the final
            training loss (a number)}, one entry per setting tried; at least three
            learning rates and two hidden sizes.
        best: the key of ``results`` with the lowest final training loss.
        best_network: the NeuralNetwork trained with ``best``. Its test accuracy is
            computed here from the W and b of its layers (ReLU between them), not by its
            own forward.
        X_test, y_test: the test features (N, 4) and integer labels (N,).
        minimum: the test accuracy ``best_network`` must reach.
    """
    where = "iris search"
    if not isinstance(results, dict) or not results:
        found = "empty" if isinstance(results, dict) else f"a {type(results).__name__}"
        fail(where, f"results is {found}, expected a dict {{(learning_rate, hidden_size): "
             "training losses}", "fill results in the loop over the settings, one entry "
             "per setting.")
    for setting in results:
        if not (isinstance(setting, tuple) and len(setting) == 2):
            fail(where, f"results has the key {setting!r}, expected a pair "
                 "(learning_rate, hidden_size)")
    try:
        rates = sorted({float(rate) for rate, _ in results})
        sizes = sorted({int(size) for _, size in results})
    except (TypeError, ValueError):
        fail(where, f"results has keys {list(results)[:3]}, expected pairs of numbers "
             "(learning_rate, hidden_size)")
    if len(rates) < 3 or len(sizes) < 2:
        fail(where, f"results holds {len(results)} settings with the learning rates {rates} "
             f"and the hidden sizes {sizes}",
             "try at least three learning rates and two hidden sizes, every combination, "
             "one entry of results per setting.")
    final = {setting: _final_loss(setting, value) for setting, value in results.items()}
    if not isinstance(best, tuple) or best not in results:
        fail(where, f"best is {best!r}, which is not a key of results",
             "best = min(results, key=...) over the final training losses.")
    finite = {k: v for k, v in final.items() if np.isfinite(v)}
    lowest = min(finite, key=finite.get) if finite else best
    if finite and not final[best] <= finite[lowest] + 1e-12 * max(1.0, abs(finite[lowest])):
        fail(where, f"best is {best!r}, whose final training loss is {final[best]:.6g}, but "
             f"{lowest!r} reached {finite[lowest]:.6g}",
             "choose the setting with the lowest final training loss (not the test "
             "accuracy: the test set only judges the choice).")
    X = np.asarray(X_test, dtype=np.float64)
    labels = np.asarray(y_test).ravel()
    layers = _layer_parameters(best_network, X.shape[1], int(labels.max()) + 1)
    rate, size = best
    hidden = [W.shape[1] for W, _ in layers[:-1]]
    if len(hidden) == 1 and hidden[0] != int(size):
        fail(where, f"best_network has {hidden[0]} hidden units, but best = {best!r} names "
             f"hidden size {size}",
             "store the network trained with the best setting, not the last one trained.")
    network_rate = getattr(best_network, "learning_rate", None)
    if isinstance(network_rate, (int, float)) and not np.isclose(network_rate, float(rate)):
        fail(where, f"best_network has learning rate {network_rate}, but best = {best!r} "
             f"names {rate}",
             "store the network trained with the best setting, not the last one trained.")
    with np.errstate(all="ignore"):
        for W, b in layers[:-1]:
            X = np.maximum(0.0, X @ W + b)
        W, b = layers[-1]
        predicted = np.argmax(X @ W + b, axis=1)
    accuracy = float(np.mean(predicted == labels))
    print(f"best = {best!r}: test accuracy of best_network {accuracy:.4f} "
          f"(required {minimum:g})")
    if not accuracy >= minimum:
        hint = ("every final training loss is nan or infinite: training diverged. Make the "
                "gradient checks above pass first; then try smaller learning rates."
                if not finite else
                "if the gradient checks pass, the network is not learning: is update called "
                "after each backward, and does best_network hold the trained layers? A "
                "training loss that stays near log(3) = 1.10 means nothing is learned.")
        fail(where, f"best_network's test accuracy is {accuracy:.4f}, below the required "
             f"{minimum:g} (computed from the W and b of its layers)", hint,
             ["final training losses: " + ", ".join(f"{k!r}: {v:.4f}"
                                                    for k, v in final.items())])
