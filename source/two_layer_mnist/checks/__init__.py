"""Checkers for the two_layer_mnist assignment.

The network works on column-major data: X has shape (D, N), one sample per column, and
the parameters are the list ``[W1, b1, W2, b2]`` with W1 (H, D), b1 (H, 1), W2 (K, H),
b2 (K, 1). K is 1 with a sigmoid output (question 1) or the number of classes with a
softmax output (question 2). Backward passes are checked by finite differences through
the student's own ``forward`` and loss, as the homework computes them.
"""

from __future__ import annotations

import numbers

import numpy as np

from nn_utils.checking import checker
from nn_utils.diagnosis import likely_mistake, worst_entries
from nn_utils.errors import fail
from nn_utils.gradient_report import explain_gradient
from nn_utils.gradients import directional_check
from nn_utils.integrity import refuse_universal_equality
from nn_utils.layer_check import call_student
from nn_utils.samples import gaussian

__all__ = [
    "check_cross_entropy_loss",
    "check_evaluation",
    "check_extract_binary_classification_dataset",
    "check_gd",
    "check_loss_history",
    "check_multiclass_cross_entropy_loss",
    "check_sigmoid",
    "check_softmax",
    "check_stable_softmax",
    "check_two_layer_backward",
    "check_two_layer_forward",
    "check_two_layer_network",
]

PARAM_NAMES = ("W1", "b1", "W2", "b2")


def _expit(z):
    from scipy.special import expit

    return expit(z)


def _softmax_columns(z):
    from scipy.special import softmax

    return softmax(z, axis=0)


def _all_entries(shape):
    return [np.unravel_index(i, shape) for i in range(int(np.prod(shape)))]


def _compare(where, name, got, want, known=(), batch_size=None, rtol=1e-6):
    """Fail unless ``got`` matches ``want`` in type, shape and values."""
    if not isinstance(got, np.ndarray):
        fail(where, f"{name} is {type(got).__name__}, expected an array of shape {np.shape(want)}")
    if got.shape != np.shape(want):
        hint = None
        if got.shape == np.shape(want)[::-1]:
            hint = "it is transposed: the data is column-major, one sample per column."
        elif got.ndim == np.ndim(want) - 1:
            hint = "use keepdims=True when you sum, so the column shape is kept."
        fail(where, f"{name} has shape {got.shape}, expected {np.shape(want)}", hint)
    if not np.allclose(got, want, rtol=rtol, atol=1e-9):
        hint = likely_mistake(name, got, want, batch_size=batch_size, known_mistakes=known)
        fail(where, f"{name} has wrong values", hint,
             worst_entries(name, got, want, _all_entries(got.shape)))


def _as_number(where, name, value) -> float:
    if np.ndim(value) != 0:
        fail(where, f"returned {name} of shape {np.shape(value)}, expected a single number",
             "average the per-sample losses with np.mean.")
    return float(value)


# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------

@checker
def check_extract_binary_classification_dataset(extract_binary_classification_dataset):
    """Check the two-class subset: label1 -> 0, label2 -> 1, at most num_samples each."""
    where = "extract_binary_classification_dataset"
    # Classes on both sides of 3 and of 1, so that selecting by y >= label or y <= label
    # instead of y == label picks up images of other classes.
    labels = np.array([3, 1, 3, 0, 5, 3, 2, 1, 3, 9, 3, 1, 3, 3, 0, 2], dtype=np.uint8)
    # Every image is distinct, so each returned row can be traced back to its source.
    x = (np.arange(len(labels) * 6).reshape(len(labels), 6) % 251).astype(np.uint8)
    result = call_student(where, extract_binary_classification_dataset,
                          x.copy(), labels.copy(), 3, 1, 4,
                          note="called with label1=3, label2=1, num_samples=4 on 16 images "
                               "(seven of class 3, three of class 1, six of others)")
    if not isinstance(result, tuple) or len(result) != 2:
        fail(where, f"returned {type(result).__name__}", "return the pair (x_, y_).")
    x_, y_ = (np.asarray(part) for part in result)
    if x_.shape != (7, 6):
        fail(where, f"x_ has shape {x_.shape}, expected (7, 6)",
             "take at most num_samples images of each class (4 of class 3, and all 3 of "
             "class 1, which has fewer), one image per row; transpose later.")
    if y_.shape != (7,):
        fail(where, f"y_ has shape {y_.shape}, expected (7,)")
    rows = {tuple(row): label for row, label in zip(x.tolist(), labels)}
    sources = [rows.get(tuple(row)) for row in x_.tolist()]
    if None in sources:
        fail(where, "x_ holds rows that are not images of the input",
             "select rows of x; do not modify them.")
    if sorted(set(y_.tolist())) != [0, 1]:
        fail(where, f"y_ holds the labels {sorted(set(y_.tolist()))}, expected 0 and 1",
             "relabel: label1 becomes 0 and label2 becomes 1.")
    for source, label in zip(sources, y_.tolist()):
        if (source, label) not in ((3, 0), (1, 1)):
            fail(where, f"an image of class {source} is labelled {label}",
                 "images of label1 get label 0, images of label2 get label 1; other "
                 "classes are left out.")
    if len(set(map(tuple, x_.tolist()))) != 7:
        fail(where, "x_ repeats an image", "take each image once.")


# ---------------------------------------------------------------------------------------
# Initialisation
# ---------------------------------------------------------------------------------------

@checker
def check_two_layer_network(TwoLayerNetwork, layer_dims=(784, 256, 1)):
    """Check the initial parameters: shapes from layer_dims, N(0, 0.01) weights, zero
    biases, and the same values on every call (the seed is fixed inside)."""
    where = "TwoLayerNetwork"
    dims = list(layer_dims)
    params = call_student(where, TwoLayerNetwork, dims, note=f"called with {dims}")
    again = call_student(where, TwoLayerNetwork, dims, note=f"called with {dims}")
    if not isinstance(params, (list, tuple)) or len(params) != 4:
        fail(where, f"returned {type(params).__name__}", "return the list [W1, b1, W2, b2].")
    d0, d1, d2 = dims
    expected = {"W1": (d1, d0), "b1": (d1, 1), "W2": (d2, d1), "b2": (d2, 1)}
    for name, value in zip(PARAM_NAMES, params):
        if np.shape(value) != expected[name]:
            fail(where, f"{name} has shape {np.shape(value)}, expected {expected[name]} "
                 f"for layer_dims={dims}",
                 "take every size from layer_dims instead of writing numbers in; "
                 "W has one row per unit of its layer.")
    for name in ("b1", "b2"):
        if np.any(params[PARAM_NAMES.index(name)]):
            fail(where, f"{name} is not all zeros", "biases start at zero.")
    for name in ("W1", "W2"):
        weights = np.asarray(params[PARAM_NAMES.index(name)], dtype=np.float64)
        if weights.size >= 50:
            # Five standard errors of the sample's mean and standard deviation: a draw
            # from N(0, 0.01) passes, a wrong mean or scale does not.
            std, mean = float(weights.std()), float(weights.mean())
            spread = 5 / np.sqrt(weights.size)
            if abs(std / 0.01 - 1) > spread / np.sqrt(2) or abs(mean) > 0.01 * spread:
                fail(where, f"{name} has mean {mean:.4f} and standard deviation {std:.4f}",
                     "draw the weights from a normal distribution with mean 0 and "
                     "standard deviation 0.01: np.random.normal(0, 0.01, size).")
    for name, first, second in zip(PARAM_NAMES, params, again):
        if not np.array_equal(first, second):
            fail(where, f"{name} differs between two calls",
                 "fix the seed inside the function (np.random.seed(3)) so results repeat.")


# ---------------------------------------------------------------------------------------
# Activations and losses
# ---------------------------------------------------------------------------------------

@checker
def check_sigmoid(sigmoid, seed: int = 0):
    """Check sigmoid values and shape, including very large inputs (no nan)."""
    spread = 4.0 * gaussian(np.random.default_rng(seed), 17)
    z = np.concatenate([spread, [-1000.0, -50.0, 50.0, 1000.0]]).reshape(3, 7)
    got = call_student("sigmoid", sigmoid, z.copy())
    _compare("sigmoid", "the result", np.asarray(got, dtype=np.float64) if
             isinstance(got, np.ndarray) else got, _expit(z),
             known=[(_expit(-z), "that is sigmoid(-z): the sign of the exponent is "
                     "flipped.")])


@checker
def check_cross_entropy_loss(CrossEntropyLoss, seed: int = 0, n: int = 9):
    """Check the mean binary cross-entropy for labels (N,) and outputs (1, N)."""
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, n).astype(np.float64)
    y2 = rng.uniform(0.05, 0.95, (1, n))
    where = "CrossEntropyLoss"
    got = _as_number(where, "the loss", call_student(where, CrossEntropyLoss, y_true.copy(),
                                                     y2.copy(), note="Y_true (N,), Y2 (1, N)"))
    per_sample = -(y_true * np.log(y2[0]) + (1 - y_true) * np.log(1 - y2[0]))
    want = float(per_sample.mean())
    if not np.isclose(got, want, rtol=1e-6):
        hint = likely_mistake("the loss", np.array([got]), np.array([want]), batch_size=n,
                              known_mistakes=[(np.array([-want]), "the loss is negative: "
                                               "keep the minus sign in front of the logs.")])
        fail(where, f"returned {got:.8g}, expected {want:.8g} for {n} samples",
             hint or "loss_i = -y log(y2) - (1 - y) log(1 - y2), averaged over the samples.")


@checker
def check_softmax(softmax, seed: int = 0, shape=(4, 6)):
    """Check a column-wise softmax of a (K, N) array on ordinary logits."""
    z = 2.0 * gaussian(np.random.default_rng(seed), shape)
    got = call_student("softmax", softmax, z.copy())
    want = _softmax_columns(z)
    if isinstance(got, np.ndarray) and got.shape == want.shape and np.all(np.isfinite(got)) \
            and not np.allclose(got.sum(axis=0), 1.0):
        ratio = got / want
        if np.allclose(ratio, ratio[:1], rtol=1e-6):
            fail("softmax", "the columns do not sum to 1, though each is proportional to the "
                 "right one", "np.sum without an axis adds up the whole array: sum each "
                 "column with np.sum(..., axis=0, keepdims=True).")
        if np.allclose(got.sum(axis=1), 1.0):
            fail("softmax", "the rows sum to 1 instead of the columns",
                 "the sum runs along the rows: each column (one sample) must sum to 1, so "
                 "use axis=0.")
    _compare("softmax", "the result", got, want)


@checker
def check_stable_softmax(stable_softmax, seed: int = 0):
    """Check a softmax on ordinary logits, then on logits near 1000 (overflow on purpose)."""
    rng = np.random.default_rng(seed)
    # Last, columns at different heights: a shift by the largest logit of the whole array
    # (rather than of each column) underflows to 0 / 0 in the lower columns.
    heights = np.array([1000.0, 0.0, -1000.0, 500.0, -500.0, 0.0])
    for near, offset in (("0", 0.0), ("1000", 1000.0),
                         ("1000 in some columns and -1000 in others", heights)):
        z = offset + 2.0 * gaussian(rng, (4, 6))
        given = z.copy()
        with np.errstate(all="ignore"):  # the overflow is on purpose: no warning
            got = call_student("stable_softmax", stable_softmax, given)
        if not np.array_equal(given, z):
            fail("stable_softmax", "changed its argument Z in place",
                 "compute the shifted logits as a new array (shifted = Z - ...), not with "
                 "-=: the caller's Z is used again.")
        want = _softmax_columns(z)
        if isinstance(got, np.ndarray) and got.shape == want.shape and \
                not np.all(np.isfinite(got)):
            # Ordinary logits overflow nothing: the nan comes from an invalid operation. (Told
            # from the result, not from numpy's error state, which a grader calling this
            # function in another process does not see.)
            if near == "0":
                fail("stable_softmax", "returned nan for ordinary logits",
                     "an invalid operation produced nan, for example np.log of a negative "
                     "number: with C = -max(z), log(C) is undefined whenever max(z) > 0. "
                     "Subtract the maximum directly: np.exp(Z - Z.max(axis=0, keepdims=True)).")
            fail("stable_softmax", f"returned nan or inf for logits near {near}"
                 " (this part tests overflow on purpose)",
                 "np.exp(1000) overflows to inf and inf / inf is nan. Subtract each "
                 "column's own maximum (Z.max(axis=0, keepdims=True)) before "
                 "exponentiating; the result does not change. The largest entry of the "
                 "whole array is not enough: exp(-2000) is 0 in a lower column.")
        _compare("stable_softmax", f"the result for logits near {near}", got, want)


@checker
def check_multiclass_cross_entropy_loss(MultiClassCrossEntropyLoss, seed: int = 0,
                                        k: int = 4, n: int = 7):
    """Check the mean multiclass cross-entropy for integer labels (N,) and probs (K, N),
    then for a batch whose labels lack the last class."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n).astype(np.float64)  # the notebook's labels are floats
    _check_multiclass_loss_at(MultiClassCrossEntropyLoss, labels,
                              _softmax_columns(gaussian(rng, (k, n))))
    labels = np.arange(n) % (k - 1) * 1.0
    _check_multiclass_loss_at(MultiClassCrossEntropyLoss, labels,
                              _softmax_columns(gaussian(rng, (k, n))), missing=k - 1)


def _check_multiclass_loss_at(MultiClassCrossEntropyLoss, labels, probs, missing=None):
    n = labels.size
    where = "MultiClassCrossEntropyLoss"
    batch = f"; Y_true {labels.tolist()} lacks class {missing}" if missing is not None else ""
    try:
        result = MultiClassCrossEntropyLoss(labels.copy(), probs.copy())
    except Exception as error:  # noqa: BLE001 - reported as the student's mistake
        fail(where, f"raised {type(error).__name__}: {error} (Y_true of shape "
             f"{labels.shape} holding class numbers, probs of shape {probs.shape}{batch})",
             "take the number of classes from probs (probs.shape[0]), not from the "
             "labels' largest value: a batch need not hold every class."
             if missing is not None else None)
    refuse_universal_equality(where, result)
    got = _as_number(where, "the loss", result)
    picked = probs[labels.astype(int), np.arange(n)]
    want = float(-np.mean(np.log(picked)))
    if not np.isclose(got, want, rtol=1e-6):
        hint = likely_mistake("the loss", np.array([got]), np.array([want]), batch_size=n)
        fail(where, f"returned {got:.8g}, expected {want:.8g}",
             hint or "for each sample (column) take -log of the probability of its true "
                     "class: probs[Y_true[i], i]; then average.")


# ---------------------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------------------

def _outputs(output):
    if output not in ("sigmoid", "softmax"):
        raise ValueError("output is 'sigmoid' (question 1) or 'softmax' (question 2)")
    return _expit if output == "sigmoid" else _softmax_columns


def _network_point(rng, dims, n, output):
    d0, d1, d2 = dims
    params = [gaussian(rng, (d1, d0)) / np.sqrt(d0), 0.5 * gaussian(rng, (d1, 1)),
              gaussian(rng, (d2, d1)) / np.sqrt(d1), 0.5 * gaussian(rng, (d2, 1))]
    X = gaussian(rng, (d0, n))
    classes = 2 if output == "sigmoid" else d2
    # Every class appears when the batch is large enough, as in the full-batch training
    # here; a batch that lacks classes is checked on its own (check_two_layer_backward).
    labels = rng.permutation(np.resize(np.arange(classes), n)).astype(np.float64)
    return X, labels, params


def _reference_forward(X, params, output):
    W1, b1, W2, b2 = params
    Z1 = W1 @ X + b1
    Y1 = _expit(Z1)
    Z2 = W2 @ Y1 + b2
    return _outputs(output)(Z2), [X, Z1, Y1, Z2]


@checker
def check_two_layer_forward(forward, output: str = "sigmoid", seed: int = 0,
                            dims=(6, 5, 1), n: int = 7):
    """Check forward(X, params) -> (Y2, [X, Z1, Y1, Z2]) for X (D, N)."""
    rng = np.random.default_rng(seed)
    X, _, params = _network_point(rng, dims, n, output)
    where = "forward"
    result = call_student(where, forward, X.copy(), [p.copy() for p in params],
                          note=f"X has shape {X.shape}; W1 {params[0].shape}, "
                               f"W2 {params[2].shape}")
    if not isinstance(result, tuple) or len(result) != 2:
        fail(where, f"returned {type(result).__name__}",
             "return the pair (Y2, [X, Z1, Y1, Z2]).")
    y2, intermediate = result
    want_y2, want_intermediate = _reference_forward(X, params, output)
    if not isinstance(intermediate, (list, tuple)) or len(intermediate) != 4:
        fail(where, "the intermediate results are not a list of four arrays",
             "return [X, Z1, Y1, Z2] as the second value.")
    W1, b1, W2, b2 = params
    for name, got, want in zip(("X", "Z1", "Y1", "Z2"), intermediate, want_intermediate):
        known = [(W1 @ X, "the bias b1 is missing from Z1.")] if name == "Z1" else []
        if name == "Y1":
            known.append((np.maximum(0, want_intermediate[1]),
                          "the hidden layer uses the sigmoid, not a ReLU."))
        _compare(where, name, np.asarray(got, dtype=np.float64)
                 if isinstance(got, np.ndarray) else got, want, known=known)
    _compare(where, "Y2", y2, want_y2, known=[
        (want_intermediate[3], "Y2 is the output activation of Z2, not Z2 itself."),
        (_expit(want_intermediate[3]) if output == "softmax" else
         _softmax_columns(want_intermediate[3]),
         "the output layer uses the wrong activation."),
    ])


@checker
def check_two_layer_backward(backward, forward, loss, output: str = "sigmoid",
                             seed: int = 0, dims=(6, 5, 1), n: int = 7):
    """Check backward(Y_true, Y2, intermediate, params) against finite differences.

    The gradients must be those of ``loss(Y_true, forward(X, params)[0])``: the mean
    loss over the N samples, with your own forward and loss. With the softmax output,
    a small batch that lacks the last classes is checked too: backward has to work for
    any labels in 0..K-1, not only for a batch that holds every class.
    """
    rng = np.random.default_rng(seed)
    X, labels, params = _network_point(rng, dims, n, output)
    _check_backward_at(backward, forward, loss, X, labels, params, rng)
    if output == "softmax" and dims[2] > 2:
        X, _, params = _network_point(rng, dims, 3, output)
        labels = np.array([0.0, 1.0, 0.0])
        _check_backward_at(backward, forward, loss, X, labels, params, rng,
                           missing=dims[2] - 1)


def _check_backward_at(backward, forward, loss, X, labels, params, rng, missing=None):
    """The gradients of backward at one point; ``missing`` is the largest class, which
    the labels then lack."""
    where = "backward"
    n = X.shape[1]

    def evaluate(named):
        y2, _ = forward(X, [named[k] for k in PARAM_NAMES])
        return float(loss(labels, y2))

    y2, intermediate = call_student("forward", forward, X.copy(), [p.copy() for p in params])
    kept = [np.array(a, copy=True) for a in intermediate]
    y2_kept = np.array(y2, copy=True)
    batch = (f"Y_true {labels.tolist()}: a batch without class {missing}; "
             if missing is not None else f"Y_true {labels.shape}; ")
    try:
        grads = backward(labels.copy(), y2, intermediate, [p.copy() for p in params])
    except Exception as error:  # noqa: BLE001 - reported as the student's mistake
        hint = ("size the one-hot matrix from the probabilities (K = probs.shape[0], or "
                "np.zeros_like(probs)), not from the labels' largest value: a batch "
                "need not hold every class." if missing is not None else "")
        fail(where, f"raised {type(error).__name__}: {error} (X has shape {X.shape}, "
             f"{batch}W1 {params[0].shape}, W2 {params[2].shape})", hint)
    refuse_universal_equality(where, grads)
    if not isinstance(grads, (list, tuple)) or len(grads) != 4:
        fail(where, f"returned {type(grads).__name__}",
             "return the list [grad_W1, grad_b1, grad_W2, grad_b2].")
    if not np.array_equal(np.asarray(y2), y2_kept):
        fail(where, "changed its argument Y2 in place",
             "compute delta2 as a new array (delta2 = Y2 - Y_true), not with -=: the "
             "caller's Y2 is used again.")
    for name, got in zip(("X", "Z1", "Y1", "Z2"), intermediate):
        if not np.array_equal(np.asarray(got), kept[("X", "Z1", "Y1", "Z2").index(name)]):
            fail(where, f"changed the intermediate result {name} in place",
                 "compute new arrays; forward's results may be used again.")
    analytic = {}
    for name, grad, param in zip(PARAM_NAMES, grads, params):
        label = f"grad_{name}"
        if not isinstance(grad, np.ndarray) or grad.shape != param.shape:
            hint = ("use keepdims=True when summing over the samples (axis=1)."
                    if np.ndim(grad) == 1 else
                    "each gradient has the shape of its parameter; average over the "
                    "samples (the columns).")
            fail(where, f"{label} has shape {np.shape(grad)}, expected {param.shape}", hint)
        analytic[name] = np.asarray(grad, dtype=np.float64)
    named = dict(zip(PARAM_NAMES, params))
    results = directional_check(evaluate, named, analytic, 1.0, rng)
    failing = [k for k in PARAM_NAMES if not results[k].passed]
    if failing:
        name = failing[0]
        hint, details, _ = explain_gradient(evaluate, named, name, f"grad_{name}",
                                         analytic[name], 1.0, rng, batch_size=n)
        if missing is not None:
            details.insert(0, f"With {batch.rstrip('; ')}.")
        if failing[1:]:
            details.append("Also wrong: " + ", ".join(f"grad_{k}" for k in failing[1:]) + ".")
        fail(where, f"grad_{name} does not match the numerical gradient of your loss "
             "through your forward", hint, details)


@checker
def check_gd(GD, seed: int = 0):
    """Check one gradient-descent update of the parameter list."""
    rng = np.random.default_rng(seed)
    params = [gaussian(rng, s) for s in ((3, 4), (3, 1), (2, 3), (2, 1))]
    grads = [gaussian(rng, p.shape) for p in params]
    result = call_student("GD", GD, [p.copy() for p in params], [g.copy() for g in grads], 0.3,
                          note="called with 4 parameters and learning_rate=0.3")
    if not isinstance(result, (list, tuple)) or len(result) != 4:
        fail("GD", f"returned {type(result).__name__}",
             "return the list of updated parameters.")
    for name, got, p, g in zip(PARAM_NAMES, result, params, grads):
        _compare("GD", f"the updated {name}", got, p - 0.3 * g, known=[
            (p + 0.3 * g, "the update goes uphill: subtract learning_rate * gradient."),
            (p - g, "the learning rate is not applied."),
            (g, "return the updated parameters, not the gradients."),
        ])


@checker
def check_loss_history(loss_history, epochs: int, max_final_loss: float):
    """Check a training run's recorded losses: one per epoch, finite, going down."""
    where = "loss_history"
    values = np.asarray(loss_history, dtype=np.float64).ravel()
    if values.size != epochs:
        fail(where, f"has {values.size} entries, expected one per epoch ({epochs})")
    if not np.all(np.isfinite(values)):
        fail(where, "contains nan or inf", "check the loss for log(0) and overflow.")
    if not values[-1] < values[0]:
        fail(where, f"the loss went from {values[0]:.4f} to {values[-1]:.4f}",
             "training should lower the loss: check the sign of the update.")
    # A large learning rate makes the loss oscillate from epoch to epoch, so the verdict
    # rests on the best of the last ten epochs rather than on the very last one.
    settled = float(values[-10:].min())
    if not settled <= max_final_loss:
        fail(where, f"the lowest loss of the last 10 epochs, {settled:.4f}, is above "
             f"{max_final_loss:.4f}",
             "train for the number of epochs and the learning rate given.")


# ---------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------

def _predicted_classes(outputs, rule: str):
    """Labels from outputs of shape (K, N): 1 where p(y=1|x) >= 0.5 ("threshold", K = 1),
    or the most probable class of each column ("argmax")."""
    if rule == "threshold":
        return (outputs >= 0.5).astype(int).ravel()
    return outputs.argmax(axis=0)


def _accuracy_slips(predicted, labels, rule):
    """(value, advice) for the wrong accuracies students usually compute."""
    n = labels.size
    right = float(np.mean(predicted == labels))
    slips = [
        (right * n, "this is the number of correct predictions: divide it by N."),
        (100 * right, "this is a percentage: give the fraction between 0 and 1."),
        (1 - right, "this is the share of mistakes: count where the prediction equals "
                    "the label."),
        # An (N, 1) column compared with an (N,) vector broadcasts to an (N, N) table.
        (float(np.mean(predicted.reshape(-1, 1) == labels.reshape(1, -1))),
         "an (N, 1) column was compared with an (N,) vector, which numpy broadcasts to an "
         "(N, N) table: flatten the predictions first (.ravel())."),
    ]
    if rule == "threshold":
        slips.append((float(np.mean(labels == 0)),
                      "this is what predicting 0 for every image scores: with a single "
                      "output unit argmax always returns 0; threshold p(y=1|x) at 0.5."))
    return slips


@checker
def check_evaluation(train_accuracy, test_accuracy, forward, params, train_data, test_data,
                     rule: str):
    """Check the accuracies an evaluation cell computed against the network's predictions.

    Args:
        train_accuracy, test_accuracy: the numbers the student's evaluation computed
        forward: the student's forward(X, params) -> (outputs of shape (K, N), cache)
        params: the trained [W1, b1, W2, b2]
        train_data, test_data: (X of shape (D, N), labels of shape (N,))
        rule: "threshold" (question 1: 1 where p(y=1|x) >= 0.5) or "argmax" (question 2)
    """
    data_names = {"train_accuracy": "train_x and train_y", "test_accuracy": "test_x and test_y"}
    sets = {}
    for name, (x, labels) in [("train_accuracy", train_data), ("test_accuracy", test_data)]:
        outputs = np.asarray(call_student("forward", forward, x, params)[0], dtype=np.float64)
        labels = np.asarray(labels).astype(int).ravel()
        predicted = _predicted_classes(outputs, rule)
        sets[name] = (labels, predicted, float(np.mean(predicted == labels)))
    how = ("1 where forward's output is at least 0.5" if rule == "threshold"
           else "the most probable class of each column")
    for name, reported in [("train_accuracy", train_accuracy), ("test_accuracy", test_accuracy)]:
        where = f"the evaluation's {name}"
        is_number = isinstance(reported, numbers.Real) or (
            isinstance(reported, np.ndarray) and reported.shape == ()
            and reported.dtype.kind in "iuf")
        if not is_number or isinstance(reported, (bool, np.bool_)):
            fail(where, f"is {type(reported).__name__} of shape {np.shape(reported)}, "
                 "expected one number",
                 "average the matches of predictions and labels into a single fraction, "
                 "for example np.mean(predictions == labels).")
        reported = float(reported)
        labels, predicted, right = sets[name]
        # Printing to three decimals is fine; one image of the test set is 1e-4.
        if abs(reported - right) <= 5e-4:
            continue
        other = "test_accuracy" if name == "train_accuracy" else "train_accuracy"
        slips = _accuracy_slips(predicted, labels, rule) + [
            (sets[other][2], f"this is the accuracy on the other set: compute {name} from "
                             f"{data_names[name]}.")]
        advice = next((a for value, a in slips if abs(reported - value) <= 5e-4), None)
        fail(where, f"is {reported:.4f}, but the network's predictions ({how}) are right for "
             f"{right:.4f} of the {labels.size} images", advice)
