"""Checkers for fc_nets_cifar's FC_nets notebook: layer functions (cs231n style), the modular
TwoLayerNet and FullyConnectedNet, and training them with the Solver.

Each layer is a pair of functions: ``*_forward(...) -> (out, cache)`` and
``*_backward(dout, cache) -> gradients``. Inputs to an affine layer may have any number
of feature axes, (N, d_1, ..., d_k), flattened to D = d_1 * ... * d_k.
"""

from __future__ import annotations

import numpy as np

from nn_utils.checking import checker
from nn_utils.diagnosis import likely_mistake
from nn_utils.errors import fail
from nn_utils.integrity import verify_intact
from nn_utils.layer_check import (FunctionalLayer, LayerSpec, call_student,
                                 check_blocked_at_kink, check_layer)
from nn_utils.model_check import (
    as_float_params,
    check_loss_value,
    check_param_gradients,
    loss_mistakes,
    softmax_cross_entropy,
)
from nn_utils.samples import away_from_zero, gaussian, resample


def _flat(x):
    return x.reshape(x.shape[0], -1)


def _affine_mistakes(args, dout):
    x, w = args["x"], args["w"]
    mistakes = {"out": [(_flat(x) @ w, "the bias b is missing: out = x @ w + b.")]}
    if dout is not None:
        mistakes["db"] = [(dout.mean(axis=0), "db is the sum of dout over the batch, "
                           "not its mean.")]
    return mistakes


AFFINE = LayerSpec(
    name="affine",
    inputs=("x", "w", "b"),
    output="out",
    gradients=("dx", "dw", "db"),
    differentiates={"dx": "x", "dw": "w", "db": "b"},
    reference=lambda a: _flat(a["x"]) @ a["w"] + a["b"],
    shapes={"x": "(N, d_1, ..., d_k)", "w": "(D, M)", "b": "(M,)", "out": "(N, M)"},
    known_mistakes=_affine_mistakes,
    batch_axis_size=lambda a: a["x"].shape[0],
    separator="_",
)

RELU = LayerSpec(
    name="relu",
    inputs=("x",),
    output="out",
    gradients=("dx",),
    differentiates={"dx": "x"},
    reference=lambda a: np.maximum(0.0, a["x"]),
    shapes={"x": "any shape", "out": "the shape of x"},
    known_mistakes=lambda args, dout: {} if dout is None else {"dx": [
        (dout * (dout > 0), "the mask comes from dout: the gradient passes where the "
         "input x was positive, dout * (x > 0) with x from the cache.")]},
    separator="_",
)

AFFINE_RELU = LayerSpec(
    name="affine_relu",
    inputs=("x", "w", "b"),
    output="out",
    gradients=("dx", "dw", "db"),
    differentiates={"dx": "x", "dw": "w", "db": "b"},
    reference=lambda a: np.maximum(0.0, _flat(a["x"]) @ a["w"] + a["b"]),
    shapes=AFFINE.shapes,
    known_mistakes=lambda args, dout: {} if dout is None else {"dx": [
        ((dout @ args["w"].T).reshape(args["x"].shape), "the ReLU's backward is skipped: "
         "pass dout through relu_backward before affine_backward.")]},
    batch_axis_size=lambda a: a["x"].shape[0],
    separator="_",
)

# The notebook's own test case: out must equal these numbers to about 1e-9.
LINSPACE_OUT = np.array([[1.49834967, 1.70660132, 1.91485297],
                         [3.25553199, 3.5141327, 3.77273342]])


def _linspace_case():
    num_inputs, input_shape, output_dim = 2, (4, 5, 6), 3
    input_size = num_inputs * int(np.prod(input_shape))
    weight_size = output_dim * int(np.prod(input_shape))
    x = np.linspace(-0.1, 0.5, num=input_size).reshape(num_inputs, *input_shape)
    w = np.linspace(-0.2, 0.3, num=weight_size).reshape(int(np.prod(input_shape)), output_dim)
    b = np.linspace(-0.3, 0.1, num=output_dim)
    return x, w, b


def _check_linspace_case(affine_forward) -> None:
    x, w, b = _linspace_case()
    result = call_student("affine_forward", affine_forward, x, w, b,
                          note="the notebook's linspace test case: x (2, 4, 5, 6), w (120, 3)")
    out = result[0] if isinstance(result, tuple) else result
    if np.shape(out) != (2, 3) or not np.allclose(out, LINSPACE_OUT, rtol=1e-7, atol=1e-8):
        known = _affine_mistakes({"x": x, "w": w, "b": b}, None)["out"]
        hint = likely_mistake("out", out, LINSPACE_OUT, known_mistakes=known) \
            if np.shape(out) == (2, 3) else None
        fail("affine_forward", f"out for the linspace test case is {np.round(out, 8).tolist()}",
             hint or "flatten each example to a row, x.reshape(N, -1), then x @ w + b.",
             [f"expected {LINSPACE_OUT.tolist()}"])


@checker
def check_affine_functions(affine_forward, affine_backward, seed: int = 0,
                           shapes=((4, (2, 3), 5), (3, (6,), 6), (2, (2, 2, 3), 4))):
    """Check affine_forward and affine_backward on inputs of shape (N, d_1, ..., d_k).

    Args:
        shapes: (N, (d_1, ..., d_k), M) cases; one has a square weight so a missing
            transpose gives wrong numbers rather than an error.
    """
    _check_linspace_case(affine_forward)
    for i, (n, dims, m) in enumerate(shapes):
        def make(rng, n=n, dims=dims, m=m):
            d = int(np.prod(dims))
            return {"x": gaussian(rng, (n, *dims)), "w": gaussian(rng, (d, m)),
                    "b": gaussian(rng, (m,))}

        layer = FunctionalLayer(affine_forward, affine_backward, "affine")
        check_layer(AFFINE, layer, make, seed=seed * 1000 + i)


def _check_relu_kink(relu_forward, relu_backward) -> None:
    def gradient_at(x, dout):
        result = call_student("relu_forward", relu_forward, x.copy(), note="x with exact zeros")
        cache = result[1] if isinstance(result, tuple) and len(result) == 2 else x
        return call_student("relu_backward", relu_backward, dout, cache,
                            note="x with exact zeros")

    check_blocked_at_kink("relu_backward", "dx", "x", gradient_at)


@checker
def check_relu_functions(relu_forward, relu_backward, seed: int = 0,
                         shapes=((5, 4), (2, 3, 4))):
    """Check relu_forward and relu_backward on inputs kept away from the kink at 0, then
    at the kink."""
    for i, shape in enumerate(shapes):
        layer = FunctionalLayer(relu_forward, relu_backward, "relu")
        check_layer(RELU, layer, lambda rng, shape=shape: {"x": away_from_zero(rng, shape)},
                    seed=seed * 1000 + i)
    _check_relu_kink(relu_forward, relu_backward)


@checker
def check_affine_relu_functions(affine_relu_forward, affine_relu_backward, seed: int = 0,
                                shapes=((2, (3, 4), 10), (5, (6,), 3))):
    """Check the affine_relu sandwich layer: forward and backward through both parts."""
    for i, (n, dims, m) in enumerate(shapes):
        def make(rng, n=n, dims=dims, m=m):
            d = int(np.prod(dims))
            return resample(rng, lambda rng: {
                "x": gaussian(rng, (n, *dims)), "w": gaussian(rng, (d, m)),
                "b": gaussian(rng, (m,))}, lambda a: np.min(np.abs(
                    _flat(a["x"]) @ a["w"] + a["b"])) > 1e-2)

        layer = FunctionalLayer(affine_relu_forward, affine_relu_backward, "affine_relu")
        check_layer(AFFINE_RELU, layer, make, seed=seed * 1000 + i)


# ---------------------------------------------------------------------------------------
# The modular networks: params W1 (D, H1), b1 (H1,), ..., WL (H_{L-1}, C), bL (C,)
# ---------------------------------------------------------------------------------------


def param_names(num_layers: int) -> tuple:
    return tuple(f"{kind}{i}" for i in range(1, num_layers + 1) for kind in ("W", "b"))


def network_scores(params: dict, X: np.ndarray) -> np.ndarray:
    """Reference scores of {affine - relu} x (L - 1) - affine, L = the number of W's."""
    num_layers = sum(1 for name in params if name.startswith("W"))
    out = _flat(X)
    for i in range(1, num_layers):
        out = np.maximum(0.0, out @ params[f"W{i}"] + params[f"b{i}"])
    return out @ params[f"W{num_layers}"] + params[f"b{num_layers}"]


def clear_of_kinks(params: dict, X: np.ndarray, margin: float = 1e-2) -> bool:
    """Whether every hidden pre-activation of the network is at least ``margin`` from 0."""
    num_layers = sum(1 for name in params if name.startswith("W"))
    out = _flat(X)
    for i in range(1, num_layers):
        pre = out @ params[f"W{i}"] + params[f"b{i}"]
        if np.min(np.abs(pre)) < margin:
            return False
        out = np.maximum(0.0, pre)
    return True


def network_loss(params: dict, X, y, reg: float) -> float:
    """Reference loss: softmax cross-entropy plus 0.5 * reg * the squared weights."""
    weights = [name for name in params if name.startswith("W")]
    return softmax_cross_entropy(network_scores(params, X), y) + \
        0.5 * reg * float(sum(np.sum(params[name] ** 2) for name in weights))


def _check_init(where, model, dims, weight_scale, dtype=None):
    """Parameters named W1, b1, ... with the right shapes, std and zero biases."""
    names = param_names(len(dims) - 1)
    params = getattr(model, "params", None)
    as_float_params(where, params, names)
    extra = sorted(set(params) - set(names))
    if extra:
        fail(where, f"params has unexpected entries {extra}",
             f"for {len(dims) - 1} layers the keys are {', '.join(names)}.")
    for i in range(1, len(dims)):
        for name, shape in ((f"W{i}", (dims[i - 1], dims[i])), (f"b{i}", (dims[i],))):
            if np.shape(params[name]) != shape:
                fail(where, f"params[{name!r}] has shape {np.shape(params[name])}, expected {shape}",
                     "layer i maps dims[i-1] inputs to dims[i] outputs: W is (inputs, outputs).")
        if np.any(np.asarray(params[f"b{i}"]) != 0):
            fail(where, f"params['b{i}'] is not all zeros", "biases start at zero.")
    weights = np.concatenate([np.ravel(params[f"W{i}"]) for i in range(1, len(dims))])
    # Six standard errors of the sample mean and std: a right init never fails, while
    # a missing weight_scale (std 1) or a uniform draw is far outside.
    error = 6 * weight_scale / np.sqrt(weights.size)
    if not abs(weights.std() - weight_scale) < max(error, 0.1 * weight_scale) \
            or abs(weights.mean()) > error:
        fail(where, f"the weights have mean {weights.mean():.3g} and standard deviation "
             f"{weights.std():.3g}; expected mean 0 and std weight_scale = {weight_scale:g}",
             "weight_scale * np.random.randn(inputs, outputs), or "
             "np.random.normal(0, weight_scale, (inputs, outputs)).")
    if dtype is not None:
        wrong = [name for name in names if np.asarray(params[name]).dtype != dtype]
        if wrong:
            fail(where, f"params[{wrong[0]!r}] has dtype {np.asarray(params[wrong[0]]).dtype} "
                 f"with dtype={np.dtype(dtype).name}", "cast every parameter: "
                 "self.params[k] = v.astype(dtype) (the given code at the end of __init__).")


def _install(model, params):
    for name, value in params.items():
        model.params[name] = value.copy()


def _scores_and_loss(where, model, params, X, y, reg):
    """Check ``model.loss(X)`` (scores) and ``model.loss(X, y)`` (loss, grads) at ``params``."""
    _install(model, params)
    model.reg = reg
    scores = call_student(where, model.loss, X.copy())
    if isinstance(scores, tuple):
        fail(where, "with y=None the method returned a tuple", "return the scores alone in "
             "test mode: `if y is None: return scores`.")
    want = network_scores(params, X)
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != want.shape:
        fail(where, f"scores have shape {scores.shape}, expected (N, C) = {want.shape}")
    if not np.allclose(scores, want, rtol=1e-6, atol=1e-8):
        flat = _flat(X)
        known = [(np.maximum(0.0, want), "a ReLU after the last affine layer: the scores are "
                  "its output as it is.")]
        if len(params) == 4:
            known.append(((flat @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"],
                          "the ReLU after the first layer is missing."))
        fail(where, "the scores (y=None) are wrong",
             likely_mistake("scores", scores, want, known_mistakes=known),
             [f"first row: got {np.round(scores[0], 6).tolist()}, "
              f"expected {np.round(want[0], 6).tolist()}"])
    result = call_student(where, model.loss, X.copy(), y.copy())
    if not (isinstance(result, tuple) and len(result) == 2):
        fail(where, f"with labels y it returned {type(result).__name__}, expected (loss, grads)")
    weights = [name for name in params if name.startswith("W")]
    data_loss = softmax_cross_entropy(want, y)
    check_loss_value(where, result[0], network_loss(params, X, y, reg),
                     loss_mistakes(data_loss, params, weights, reg, len(y)))
    return result[1]


def _linspace_two_layer_case(n=3, d=5, h=50, c=7):
    """The notebook's test-time values for the modular TwoLayerNet."""
    params = {"W1": np.linspace(-0.7, 0.3, num=d * h).reshape(d, h),
              "b1": np.linspace(-0.1, 0.9, num=h),
              "W2": np.linspace(-0.3, 0.4, num=h * c).reshape(h, c),
              "b2": np.linspace(-0.9, 0.1, num=c)}
    X = np.linspace(-5.5, 4.5, num=n * d).reshape(d, n).T
    return params, X, np.array([0, 5, 1])


@checker
def check_fc_two_layer_net(TwoLayerNet, seed: int = 0):
    """The modular TwoLayerNet: initialisation, scores, loss (with reg), gradients."""
    n, d, h, c = 3, 5, 50, 7
    std = 1e-2
    np.random.seed(seed)
    model = call_student("TwoLayerNet", TwoLayerNet, d, h, c, 0, std,
                         note=f"called as TwoLayerNet(input_dim={d}, hidden_dims={h}, "
                              f"num_classes={c}, dropout=0, weight_scale={std})")
    _check_init("TwoLayerNet.__init__", model, (d, h, c), std)
    params, X, y = _linspace_two_layer_case(n, d, h, c)
    rng = np.random.default_rng(seed)
    for reg in (0.0, 1.0, 0.7):
        grads = _scores_and_loss("TwoLayerNet.loss", model, params, X, y, reg)
        check_param_gradients("TwoLayerNet.loss", params, grads,
                              lambda p, reg=reg: network_loss(p, X, y, reg), rng, batch_size=n)
    # Inputs with several feature axes, flattened by the affine layers.
    model = call_student("TwoLayerNet", TwoLayerNet, 12, 6, 4, 0, std)
    params, X = resample(rng, lambda rng: (
        {"W1": gaussian(rng, (12, 6)) / 3, "b1": 0.3 * gaussian(rng, (6,)),
         "W2": gaussian(rng, (6, 4)) / 2, "b2": 0.3 * gaussian(rng, (4,))},
        gaussian(rng, (5, 3, 2, 2))), lambda case: clear_of_kinks(*case))
    y = rng.integers(0, 4, size=5)
    grads = _scores_and_loss("TwoLayerNet.loss", model, params, X, y, 0.25)
    check_param_gradients("TwoLayerNet.loss", params, grads,
                          lambda p: network_loss(p, X, y, 0.25), rng, batch_size=5)


@checker
def check_fully_connected_net(FullyConnectedNet, seed: int = 0,
                              cases=(((20, 30), 0.0), ((20, 30), 3.14), ((7,), 0.5),
                                     ((6, 5, 4), 0.1), ((), 0.2))):
    """FullyConnectedNet with any number of hidden layers: init, dtype, scores, loss, gradients.

    Args:
        cases: (hidden_dims, reg) pairs; the notebook's own check is ([20, 30], 0 and 3.14).
    """
    n, d, c = 2, 15, 10
    rng = np.random.default_rng(seed)
    np.random.seed(seed)
    model = call_student("FullyConnectedNet", FullyConnectedNet, [40, 30], d, c, 0, False, 0.0,
                         5e-2, np.float32)
    _check_init("FullyConnectedNet.__init__", model, (d, 40, 30, c), 5e-2, np.float32)
    for i, (hidden_dims, reg) in enumerate(cases):
        dims = (d, *hidden_dims, c)
        model = call_student("FullyConnectedNet", FullyConnectedNet, list(hidden_dims), d, c,
                             0, False, reg, 5e-2, np.float64,
                             note=f"called as FullyConnectedNet({list(hidden_dims)}, input_dim={d}, "
                                  f"num_classes={c}, reg={reg}, weight_scale=5e-2, dtype=np.float64)")
        _check_init("FullyConnectedNet.__init__", model, dims, 5e-2, np.float64)
        # A net without hidden layers gets a batch of one; the Solver's minibatches can
        # lack classes, so every other case's labels leave out the last class.
        batch = n + len(hidden_dims) if hidden_dims else 1

        def draw(rng, dims=dims, batch=batch):
            params = {}
            for i in range(1, len(dims)):
                params[f"W{i}"] = gaussian(rng, (dims[i - 1], dims[i])) / np.sqrt(dims[i - 1])
                params[f"b{i}"] = 0.3 * gaussian(rng, (dims[i],))
            return params, gaussian(rng, (batch, dims[0]))

        params, X = resample(rng, draw, lambda case: clear_of_kinks(*case))
        y = rng.integers(0, c - i % 2, size=batch)
        grads = _scores_and_loss("FullyConnectedNet.loss", model, params, X, y, reg)
        check_param_gradients("FullyConnectedNet.loss", params, grads,
                              lambda p, X=X, y=y, reg=reg: network_loss(p, X, y, reg), rng,
                              batch_size=len(y))


def model_accuracy(model, X, y) -> float:
    """Accuracy of ``model.params`` through the reference forward pass."""
    params = getattr(model, "params", None)
    num_layers = sum(1 for name in (params or {}) if str(name).startswith("W"))
    checked = as_float_params("model", params, param_names(max(num_layers, 1)))
    with np.errstate(all="ignore"):
        predicted = np.argmax(network_scores(checked, np.asarray(X, dtype=np.float64)), axis=1)
    return float(np.mean(predicted == np.asarray(y)))


def check_validation_accuracy(model, data, minimum: float, what: str) -> float:
    """Fail unless ``model``'s parameters reach ``minimum`` on data["X_val"]; return it."""
    verify_intact()
    value = model_accuracy(model, data["X_val"], data["y_val"])
    if not value >= minimum:
        fail(what, f"validation accuracy {value:.4f} is below the required {minimum:.4f}",
             "if the gradient checks pass, tune training: a larger learning rate, more "
             "epochs, or a smaller weight_scale.")
    return value


@checker
def check_overfit(solver, num_train: int = 50) -> None:
    """The Solver's last epoch reached training accuracy 1.0 on ``num_train`` examples."""
    examples = np.shape(getattr(solver, "X_train", ()))[:1]
    if examples != (num_train,):
        fail("overfitting", f"the solver trained on {examples[0] if examples else 0} "
             f"examples, expected the {num_train} of small_data")
    history = list(getattr(solver, "train_acc_history", []))
    if not history or not history[-1] >= 1.0:
        fail("overfitting", f"the final training accuracy is "
             f"{history[-1] if history else 'missing'}, expected 1.0",
             "raise the learning rate or the weight_scale until the 50 examples are "
             "learned by heart; train for 20 epochs.")
