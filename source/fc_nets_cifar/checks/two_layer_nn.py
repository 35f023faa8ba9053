"""Checkers for fc_nets_cifar's two_layer_nn notebook: ``TwoLayerNet`` with params W1 (H, D),
b1 (H,), W2 (C, H), b2 (C,), trained by its own ``train`` method.

The toy facts (scores, the loss 1.071696123862817 with reg 0.05, a final training loss
near 0.0145) are the notebook's own; every other verdict compares the student's numbers
with references computed here from the same parameters.
"""

from __future__ import annotations

import math

import numpy as np

from nn_utils.checking import checker
from nn_utils.diagnosis import likely_mistake
from nn_utils.errors import fail
from nn_utils.integrity import verify_intact
from nn_utils.layer_check import call_student
from nn_utils.model_check import (
    as_float_params,
    check_loss_value,
    check_param_gradients,
    loss_mistakes,
    softmax_cross_entropy,
    squared_norms,
)
from nn_utils.samples import gaussian, resample

PARAMS = ("W1", "b1", "W2", "b2")
TOY_SIZES = {"input_size": 4, "hidden_size": 10, "num_classes": 3, "num_inputs": 5}
TOY_SCORES = np.array([[-1.07260209, 0.05083871, -0.87253915],
                       [-2.02778743, -0.10832494, -1.52641362],
                       [-0.74225908, 0.15259725, -0.39578548],
                       [-0.38172726, 0.10835902, -0.17328274],
                       [-0.64417314, -0.18886813, -0.41106892]])
TOY_LOSS = 1.071696123862817  # with reg = 0.05
TOY_REG = 0.05
# The notebook's toy training run ends near 0.0145; a correct train method lands below
# this whatever order it draws its minibatches in.
TOY_TRAINING_MAX_FINAL_LOSS = 0.02

# Credit for the hyperparameter search: min(floor(X - floor_pct) / span_pct, 1) of the
# points, X the validation accuracy in percent. CIFAR-10 numbers are the notebook's (the
# default run reaches about 28%, 50% earns everything); the stand-in is easier, so it has
# its own levels, the ones the notebook's table states: 36% (the default run measured on
# it) and 66% for full credit, a few points below the 69% and 72% that the two settings
# of the notebook's own search reach on it, so that a search as good as the reference's
# earns everything.
SEARCH_HIDDEN_SIZE = 50
SEARCH_LEVELS = {"real": (25.0, 42.0), "standin": (23.0, 66.0)}


def scores_of(params: dict, X: np.ndarray) -> np.ndarray:
    """Reference scores (N, C): affine, ReLU, affine, with W1 (H, D) and W2 (C, H)."""
    hidden = np.maximum(0.0, X @ params["W1"].T + params["b1"])
    return hidden @ params["W2"].T + params["b2"]


def loss_of(params: dict, X: np.ndarray, y: np.ndarray, reg: float) -> float:
    """Reference loss: softmax cross-entropy plus 0.5 * reg * (||W1||^2 + ||W2||^2)."""
    return softmax_cross_entropy(scores_of(params, X), y) + 0.5 * reg * squared_norms(params, ("W1", "W2"))


def _toy_model(TwoLayerNet):
    np.random.seed(0)
    return call_student("TwoLayerNet", TwoLayerNet, TOY_SIZES["input_size"],
                        TOY_SIZES["hidden_size"], TOY_SIZES["num_classes"], 1e-1,
                        note="called as TwoLayerNet(4, 10, 3, std=1e-1)")


def _toy_data():
    np.random.seed(1)
    X = 10 * np.random.randn(TOY_SIZES["num_inputs"], TOY_SIZES["input_size"])
    return X, np.array([0, 1, 2, 2, 1])


def _random_case(TwoLayerNet, rng, sizes=(6, 7, 4), n=8, scale=1.0):
    """A net whose params are replaced by random ones the check knows, and data for it."""
    d, h, c = sizes
    net = call_student("TwoLayerNet", TwoLayerNet, d, h, c, 1e-1,
                       note=f"called as TwoLayerNet({d}, {h}, {c}, std=1e-1)")
    as_float_params("TwoLayerNet.__init__", getattr(net, "params", None), PARAMS)
    chosen = {"W1": gaussian(rng, (h, d)) / np.sqrt(d), "b1": 0.3 * gaussian(rng, (h,)),
              "W2": scale * gaussian(rng, (c, h)) / np.sqrt(h), "b2": 0.3 * gaussian(rng, (c,))}
    for name, value in chosen.items():
        net.params[name] = value.copy()
    X = resample(rng, lambda rng: gaussian(rng, (n, d)),
                 lambda X: np.min(np.abs(X @ chosen["W1"].T + chosen["b1"])) > 1e-2)
    return net, chosen, X, rng.integers(0, c, size=n)


def _as_scores(where, result, n, c):
    if isinstance(result, tuple):
        fail(where, "with y=None the method returned a tuple",
             "return the scores alone when y is None: `if y is None: return scores`.")
    scores = np.asarray(result, dtype=np.float64)
    if scores.shape != (n, c):
        fail(where, f"scores have shape {scores.shape}, expected (N, C) = {(n, c)}",
             "scores = relu(X @ W1.T + b1) @ W2.T + b2: W1 is (H, D), W2 is (C, H).")
    return scores


def _compare_scores(scores, params, X):
    want = scores_of(params, X)
    if not np.allclose(scores, want, rtol=1e-7, atol=1e-9):
        hidden = X @ params["W1"].T + params["b1"]
        known = [(np.maximum(0.0, want), "a ReLU after the second layer: the scores are the "
                  "output of the second affine layer as they are."),
                 (hidden @ params["W2"].T + params["b2"], "the ReLU between the layers is "
                  "missing."),
                 (np.maximum(0.0, X @ params["W1"].T) @ params["W2"].T, "the biases are missing.")]
        fail("TwoLayerNet.loss", "the scores (y=None) are wrong",
             likely_mistake("scores", scores, want, known_mistakes=known),
             [f"first row: got {np.round(scores[0], 6).tolist()}, "
              f"expected {np.round(want[0], 6).tolist()}"])


@checker
def check_two_layer_net_scores(TwoLayerNet, seed: int = 0):
    """The forward pass: ``net.loss(X)`` returns the (N, C) scores."""
    net = _toy_model(TwoLayerNet)
    X, _ = _toy_data()
    params = as_float_params("TwoLayerNet.__init__", getattr(net, "params", None), PARAMS)
    scores = _as_scores("TwoLayerNet.loss", call_student("TwoLayerNet.loss", net.loss, X), 5, 3)
    _compare_scores(scores, params, X)
    if not np.abs(scores - TOY_SCORES).sum() < 1e-7:
        fail("TwoLayerNet.__init__", "the toy model's scores differ from the notebook's "
             "correct_scores although the forward pass is right",
             "keep the given __init__: W1 = std * np.random.randn(H, D) first, then "
             "W2 = std * np.random.randn(C, H), biases zeros.")
    rng = np.random.default_rng(seed)
    for sizes, n in [((6, 7, 4), 8), ((3, 12, 5), 1)]:
        net, chosen, X, _ = _random_case(TwoLayerNet, rng, sizes, n)
        scores = call_student("TwoLayerNet.loss", net.loss, X)
        _compare_scores(_as_scores("TwoLayerNet.loss", scores, n, sizes[2]), chosen, X)


def _loss_and_grads(net, X, y, reg):
    result = call_student("TwoLayerNet.loss", net.loss, X, y, reg,
                          note="called as net.loss(X, y, reg)")
    if not (isinstance(result, tuple) and len(result) == 2):
        fail("TwoLayerNet.loss", f"with labels y it returned {type(result).__name__}, "
             "expected the pair (loss, grads)")
    return result


def _loss_mistakes(params, X, y, reg):
    data = softmax_cross_entropy(scores_of(params, X), y)
    return loss_mistakes(data, params, ("W1", "W2"), reg, len(y))


@checker
def check_two_layer_net_loss(TwoLayerNet, seed: int = 0):
    """The loss: softmax cross-entropy averaged over the batch plus 0.5 * reg * ||W||^2."""
    net = _toy_model(TwoLayerNet)
    X, y = _toy_data()
    params = as_float_params("TwoLayerNet.__init__", getattr(net, "params", None), PARAMS)
    loss, _ = _loss_and_grads(net, X, y, TOY_REG)
    check_loss_value("TwoLayerNet.loss", loss, loss_of(params, X, y, TOY_REG),
                     _loss_mistakes(params, X, y, TOY_REG))
    if abs(float(loss) - TOY_LOSS) > 1e-10:
        fail("TwoLayerNet.__init__", f"the toy loss is {float(loss)!r}, expected "
             f"{TOY_LOSS!r}, although the loss matches your parameters",
             "keep the given __init__, so the toy model gets the notebook's parameters.")
    rng = np.random.default_rng(seed)
    for reg in (0.0, 0.3):
        net, chosen, X, y = _random_case(TwoLayerNet, rng)
        loss, _ = _loss_and_grads(net, X, y, reg)
        check_loss_value("TwoLayerNet.loss", loss, loss_of(chosen, X, y, reg),
                         _loss_mistakes(chosen, X, y, reg))


@checker
def check_two_layer_net_stability(TwoLayerNet, seed: int = 0):
    """The loss stays finite when scores are large (hundreds), as they get at high learning rates."""
    rng = np.random.default_rng(seed)
    net, chosen, X, y = _random_case(TwoLayerNet, rng, scale=800.0)
    loss, grads = _loss_and_grads(net, X, y, 0.0)
    want = loss_of(chosen, X, y, 0.0)
    value = np.asarray(loss, dtype=np.float64)
    finite_grads = all(np.all(np.isfinite(np.asarray(g, dtype=np.float64)))
                       for g in (grads or {}).values()) if isinstance(grads, dict) else True
    if value.size != 1 or not np.isfinite(value).all() or not finite_grads:
        fail("TwoLayerNet.loss", f"with scores of size {np.abs(scores_of(chosen, X)).max():.0f} "
             f"the loss is {value.ravel()[:1].tolist()} (expected {want:.6f}) or a gradient "
             "holds nan/inf", "np.exp overflows for scores above about 709: subtract each "
             "row's maximum score before np.exp (the softmax does not change).")
    check_loss_value("TwoLayerNet.loss", loss, want)


@checker
def check_two_layer_net_gradients(TwoLayerNet, seed: int = 0):
    """The gradients of the loss for W1, b1, W2, b2 (with regularisation)."""
    rng = np.random.default_rng(seed)
    net = _toy_model(TwoLayerNet)
    X, y = _toy_data()
    cases = [(net, as_float_params("TwoLayerNet.__init__", getattr(net, "params", None), PARAMS),
              X, y, TOY_REG)]
    for reg, n in [(0.7, 8), (0.0, 3)]:
        net, chosen, X, y = _random_case(TwoLayerNet, rng, n=n)
        cases.append((net, chosen, X, y, reg))
    for net, params, X, y, reg in cases:
        _, grads = _loss_and_grads(net, X, y, reg)
        check_param_gradients("TwoLayerNet.loss", params, grads,
                              lambda p, X=X, y=y, reg=reg: loss_of(p, X, y, reg), rng,
                              batch_size=len(y), known_mistakes=_gradient_mistakes(params, X, y, reg))


def _gradient_mistakes(params, X, y, reg):
    """Wrong gradients for W1 and W2 that students often return, named for the diagnosis."""
    mistakes = {}
    for name in ("W1", "W2"):
        data_part = _data_gradient(params, X, y, name)
        mistakes[name] = [(len(y) * data_part + reg * params[name], "the data part of the "
                           "gradient is summed over the batch: divide it by N, as the loss is.")]
        if reg:
            mistakes[name] += [
                (data_part, f"the regularisation gradient reg * {name} is missing."),
                (data_part + 2 * reg * params[name], f"the regularisation gradient is "
                 f"reg * {name}: the 0.5 in the loss cancels the 2 of the square."),
            ]
    return mistakes


def _data_gradient(params, X, y, name):
    """The gradient of the data loss alone (no regularisation) for W1 or W2."""
    n = len(y)
    hidden_in = X @ params["W1"].T + params["b1"]
    hidden = np.maximum(0.0, hidden_in)
    scores = hidden @ params["W2"].T + params["b2"]
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    probs[np.arange(n), y] -= 1
    d_scores = probs / n
    if name == "W2":
        return d_scores.T @ hidden
    d_hidden = (d_scores @ params["W2"]) * (hidden_in > 0)
    return d_hidden.T @ X


def _check_predict(net, X):
    params = as_float_params("TwoLayerNet", net.params, PARAMS)
    predicted = np.asarray(call_student("TwoLayerNet.predict", net.predict, X))
    want = np.argmax(scores_of(params, X), axis=1)
    if predicted.shape != want.shape or not np.array_equal(predicted, want):
        fail("TwoLayerNet.predict", f"returned {predicted.tolist()}, expected {want.tolist()}",
             "predict the class with the highest score: np.argmax(scores, axis=1).")


@checker
def check_two_layer_net_training(TwoLayerNet):
    """``train`` on the toy data (lr 1e-1, reg 5e-6, 100 iterations) and ``predict``."""
    net = _toy_model(TwoLayerNet)
    X, y = _toy_data()
    _check_predict(net, X)  # train uses predict for its accuracies
    stats = call_student("TwoLayerNet.train", lambda: net.train(
        X, y, X, y, learning_rate=1e-1, reg=5e-6, num_iters=100, verbose=False),
        note="called as net.train(X, y, X, y, learning_rate=1e-1, reg=5e-6, num_iters=100)")
    if not isinstance(stats, dict) or "loss_history" not in stats:
        fail("TwoLayerNet.train", f"returned {type(stats).__name__}, expected a dict with "
             "loss_history, train_acc_history and val_acc_history")
    history = np.asarray(stats["loss_history"], dtype=np.float64).ravel()
    if len(history) != 100:
        fail("TwoLayerNet.train", f"loss_history has {len(history)} entries for num_iters=100",
             "append the minibatch loss once per iteration.")
    for key in ("train_acc_history", "val_acc_history"):
        if key not in stats or len(stats[key]) == 0:
            fail("TwoLayerNet.train", f"{key} is missing or empty",
                 "record the training and validation accuracy once per epoch.")
    if not history[-1] < TOY_TRAINING_MAX_FINAL_LOSS:
        fail("TwoLayerNet.train", f"the final training loss is {history[-1]:.4f}; the "
             f"notebook's run ends near 0.0145 (required below {TOY_TRAINING_MAX_FINAL_LOSS})",
             "update every parameter with -learning_rate * grad, on a fresh random minibatch "
             "each iteration, and decay the learning rate once per epoch.")
    _check_predict(net, X)
    _check_minibatches(TwoLayerNet)


def _check_minibatches(TwoLayerNet, n: int = 60, batch_size: int = 10, num_iters: int = 12):
    """Whether ``train`` draws its minibatches from all of X. The toy run has fewer rows
    than a batch, so code that always takes the first batch_size rows passes it; CIFAR-10
    does not. Here the first rows are zeros: W1's gradient vanishes on them, so W1 moves
    only if other rows are drawn. (Only the net's results are read: at grading time the
    net lives in the student's kernel.)"""
    net = _toy_model(TwoLayerNet)
    rng = np.random.default_rng(7)
    X = rng.normal(size=(n, TOY_SIZES["input_size"]))
    X[:batch_size] = 0.0
    y = np.arange(n) % TOY_SIZES["num_classes"]
    before = np.array(net.params["W1"], dtype=np.float64, copy=True)
    where = "TwoLayerNet.train"
    call_student(where, lambda: net.train(X, y, X, y, learning_rate=1e-1, reg=0.0,
                                          num_iters=num_iters, batch_size=batch_size),
                 note=f"called with {n} training rows, batch_size={batch_size}, "
                      f"num_iters={num_iters}")
    if np.array_equal(np.asarray(net.params["W1"], dtype=np.float64), before):
        fail(where, f"W1 did not change in {num_iters} iterations on {n} rows whose first "
             f"{batch_size} are zeros: every minibatch held only those first rows",
             "draw a fresh random minibatch inside the loop, each iteration, e.g. "
             "batch = np.random.choice(num_train, batch_size); X[batch], y[batch].")


def validation_accuracy(net, X_val, y_val) -> float:
    """Accuracy of ``net``'s parameters through the reference forward pass."""
    params = as_float_params("best_net", getattr(net, "params", None), PARAMS)
    return float(np.mean(np.argmax(scores_of(params, np.asarray(X_val, dtype=np.float64)), axis=1)
                         == np.asarray(y_val)))


def hyperparameter_search_points(best_net, X_val, y_val, max_points: float, data_kind: str) -> float:
    """The points the hyperparameter search earns: a plain float for nbgrader's partial credit.

    Credit is min(floor(X - low) / (high - low), 1) of ``max_points`` (never below 0), X the
    validation accuracy of ``best_net`` in percent, ``(low, high)`` = SEARCH_LEVELS[data_kind].
    The accuracy is computed here from ``best_net.params``; the network must keep
    SEARCH_HIDDEN_SIZE hidden units.
    """
    verify_intact()
    if best_net is None:
        fail("hyperparameter search", "best_net is None", "store your best network in best_net.")
    low, high = SEARCH_LEVELS[data_kind]
    params = as_float_params("best_net", getattr(best_net, "params", None), PARAMS)
    if params["W1"].shape[0] != SEARCH_HIDDEN_SIZE:
        fail("hyperparameter search", f"best_net has {params['W1'].shape[0]} hidden units",
             f"keep hidden_size = {SEARCH_HIDDEN_SIZE}: the search is about training, not size.")
    with np.errstate(all="ignore"):
        percent = 100.0 * validation_accuracy(best_net, X_val, y_val)
    if not math.isfinite(percent):
        percent = 0.0
    share = min(max(math.floor(percent - low), 0) / (high - low), 1.0)
    points = round(share * max_points, 2)
    print(f"validation accuracy {percent:.1f}% on {data_kind} data; credit "
          f"min(floor(X - {low:g}) / {high - low:g}, 1) = {share:.3f} of {max_points:g} points")
    return float(points)


@checker
def check_test_accuracy(test_acc, best_net, X_test, y_test):
    """``test_acc`` is best_net's accuracy on the test set."""
    if test_acc is None:
        fail("test accuracy", "test_acc is None", "store best_net's test accuracy in test_acc.")
    want = validation_accuracy(best_net, X_test, y_test)
    try:
        got = float(test_acc)
    except (TypeError, ValueError):
        fail("test accuracy", f"test_acc is a {type(test_acc).__name__}, expected a number")
    if abs(got - want) > 1e-9:
        fail("test accuracy", f"test_acc is {got:.4f}, but best_net classifies {want:.4f} of "
             "X_test correctly", "evaluate best_net (not the last network trained) on X_test "
             "and y_test: (best_net.predict(X_test) == y_test).mean().")
