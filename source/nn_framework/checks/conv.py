"""Checkers for the convolutional layers of the nn_framework assignment.

Students write two classes of a small layer framework, images in NHWC layout:
``Conv2D(n_out, kernel_shape, activation, stride=1, pad="same", weight_init=...)`` and
``Pool2D(kernel_shape, mode="max", stride=1, pad=0)``. The checkers receive the class,
build the layers themselves and run the generic layer check (``nn_utils.layer_check``)
case by case:

* Conv2D gets an identity activation of this module, so that the check does not depend
  on the student's activations; the check installs its own W and b in
  ``layer.parameters`` and reads the gradients from ``layer.gradients``.
* The reference outputs come from ``scipy.signal.correlate`` (convolution) and from an
  explicit loop over the output positions (pooling), never from a vectorised solution;
  every gradient is judged by finite differences through these references.
* Pooling inputs hold distinct values with gaps far larger than the finite-difference
  step, so a window's maximum is never tied and never changes under the perturbation.
* Every call into student code runs under a wall-clock limit (SIGALRM, in the main
  thread only; elsewhere the time is judged after the call), the whole check under a
  budget, and a larger case checks that forward and backward are fast enough to train
  with. The default limits are generous: loops over the output positions pass easily,
  code orders of magnitude slower fails with advice instead of holding the grader.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from nn_utils.checking import checker
from nn_utils.errors import fail
from nn_utils.gradients import entrywise_derivatives
from nn_utils.layer_check import LayerCheck, LayerSpec, arrays_in, call_student, check_layer
from nn_utils.time_limits import Overtime, alarm

# ---------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------


def _out_size(size: int, kernel: int, pad: int, stride: int) -> int:
    return (size + 2 * pad - kernel) // stride + 1


def _resolve_pad(pad, kernel) -> tuple:
    """(pad_rows, pad_cols) for pad = "same", "valid" or an int, as the layers resolve it."""
    kh, kw = kernel
    if pad == "same":
        return ((kh - 1) // 2, (kw - 1) // 2)
    if pad == "valid":
        return (0, 0)
    return (int(pad), int(pad))


class ConvCase(NamedTuple):
    """One Conv2D setting: X is (batch, rows, cols, n_in) and the layer has n_out filters."""

    batch: int
    rows: int
    cols: int
    n_in: int
    n_out: int
    kernel: tuple
    stride: int = 1
    pad: object = "same"  # "same", "valid" or an int

    def resolved_pad(self) -> tuple:
        return _resolve_pad(self.pad, self.kernel)

    def x_shape(self) -> tuple:
        return (self.batch, self.rows, self.cols, self.n_in)

    def w_shape(self) -> tuple:
        return (*self.kernel, self.n_in, self.n_out)

    def out_channels(self) -> int:
        return self.n_out

    def setting(self) -> str:
        return (f"Conv2D(n_out={self.n_out}, kernel_shape={tuple(self.kernel)}, "
                f"stride={self.stride}, pad={self.pad!r})")


class PoolCase(NamedTuple):
    """One Pool2D setting: X is (batch, rows, cols, channels)."""

    mode: str  # "max" or "average"
    batch: int
    rows: int
    cols: int
    channels: int
    kernel: tuple
    stride: int = 1
    pad: object = 0  # an int, "same" or "valid"

    def resolved_pad(self) -> tuple:
        return _resolve_pad(self.pad, self.kernel)

    def x_shape(self) -> tuple:
        return (self.batch, self.rows, self.cols, self.channels)

    def out_channels(self) -> int:
        return self.channels

    def setting(self) -> str:
        return (f"Pool2D(kernel_shape={tuple(self.kernel)}, mode={self.mode!r}, "
                f"stride={self.stride}, pad={self.pad!r})")


def _out_shape(case) -> tuple:
    (kh, kw), (pr, pc) = case.kernel, case.resolved_pad()
    return (case.batch, _out_size(case.rows, kh, pr, case.stride),
            _out_size(case.cols, kw, pc, case.stride), case.out_channels())


CONV_CASES = (
    ConvCase(2, 5, 5, 2, 3, (3, 3), 1, "same"),  # padding matters: border outputs read zeros
    ConvCase(3, 6, 5, 3, 2, (2, 3), 1, "valid"),  # non-square kernel, no padding
    ConvCase(2, 7, 6, 2, 3, (3, 3), 2, 1),  # stride 2, an int pad
    ConvCase(2, 6, 7, 1, 2, (3, 5), 2, "same"),  # non-square, stride 2, pad (1, 2)
)
CONV_SPEED_CASE = ConvCase(8, 16, 16, 3, 4, (3, 3), 1, "same")

POOL_CASES = (
    PoolCase("max", 2, 4, 6, 3, (2, 2), 2, 0),  # the usual non-overlapping 2x2
    PoolCase("max", 2, 5, 5, 2, (3, 3), 1, 0),  # overlapping: gradients must add up
    PoolCase("max", 2, 5, 6, 2, (3, 2), 2, 1),  # non-square, padded, overlapping rows
    PoolCase("average", 2, 4, 6, 3, (2, 2), 2, 0),
    PoolCase("average", 2, 5, 5, 2, (3, 3), 1, 0),
    PoolCase("average", 2, 5, 6, 2, (2, 3), 1, 1),
    PoolCase("max", 2, 5, 4, 2, (3, 3), 1, "same"),  # pad="same": the size is kept
    # Rows and columns padded differently, (1, 2), with an odd number of columns: a crop
    # that mixes up the two paddings, or adds them wrongly, shows.
    PoolCase("average", 2, 5, 7, 2, (3, 5), 1, "same"),
)
# Non-overlapping windows whose maxima are often tied (see _check_max_ties).
POOL_TIE_CASE = PoolCase("max", 3, 4, 6, 2, (2, 2), 2, 0)
POOL_SPEED_CASE = PoolCase("max", 8, 16, 16, 4, (3, 3), 1, 0)

# ---------------------------------------------------------------------------------------
# Time limits
# ---------------------------------------------------------------------------------------


class _Budget:
    """The time the whole check may spend in student code, summed over the calls."""

    def __init__(self, total):
        self.total = total
        self.spent = 0.0

    def allowance(self, limit):
        """(seconds allowed for the next call or None, whether the budget decides)."""
        if self.total is None:
            return limit, False
        remaining = self.total - self.spent
        if limit is None or remaining < limit:
            return remaining, True
        return limit, False


CONV_SPEED_ADVICE = (
    "vectorise over the batch and the channels: loop only over the kernel positions "
    "(kh*kw iterations) or over the output positions (out_rows*out_cols), and let "
    "np.tensordot or np.einsum sum over the batch and the channels at once. Python loops "
    "over samples, channels or kernel entries as well make it hundreds of times slower.")
POOL_SPEED_ADVICE = (
    "vectorise over the batch and the channels: loop only over the output positions (or "
    "the kernel positions) and take window.max(axis=(1, 2)) or window.mean(axis=(1, 2)) of "
    "the slice X_pad[:, r0:r0 + kh, c0:c0 + kw, :] for the whole batch and every channel "
    "at once; in backward, build the arg-max mask of that slice the same way. Python "
    "loops over samples and channels as well make it hundreds of times slower.")


@dataclass
class _Timer:
    """Runs student calls of one case under the per-call limit and the check's budget."""

    budget: _Budget
    limit: float | None
    what: str  # the input, for messages: "X of shape (...) with Conv2D(...)"
    advice: str

    def run(self, where: str, function, *args, **kwargs):
        allowed, by_budget = self.budget.allowance(self.limit)
        if allowed is not None and allowed <= 0:
            self._too_slow(where, 0.0, 0.0, by_budget, stopped=True)
        start = time.monotonic()
        try:
            with alarm(allowed):
                result = function(*args, **kwargs)
        except Overtime:
            self._too_slow(where, time.monotonic() - start, allowed, by_budget, stopped=True)
        finally:
            self.budget.spent += time.monotonic() - start
        elapsed = time.monotonic() - start
        if allowed is not None and elapsed > allowed:  # no alarm outside the main thread
            self._too_slow(where, elapsed, allowed, by_budget, stopped=False)
        return result

    def _too_slow(self, where, elapsed, allowed, by_budget, stopped):
        if by_budget:
            problem = (f"was stopped: the check has used up the {self.budget.total:g} s it "
                       f"may spend in your code in total (last call: {self.what})")
        elif stopped:
            problem = (f"took more than {allowed:g} s on {self.what} and was stopped (the "
                       f"limit is {allowed:g} s per call)")
        else:
            problem = (f"took {elapsed:.2f} s on {self.what}; the limit is {allowed:g} s per "
                       "call")
        fail(where, problem, self.advice,
             ["Time it yourself with %time layer.forward(X) and %time layer.backward(dLdY)."])


# ---------------------------------------------------------------------------------------
# What the checks hand to the student's layers
# ---------------------------------------------------------------------------------------


class _Identity:
    """The activation the checks pass to Conv2D: f(Z) = Z. It counts its calls, because
    with an identity a forgotten activation would otherwise go unnoticed."""

    def __init__(self):
        self.forward_calls = 0
        self.backward_calls = 0

    def __call__(self, Z):
        return self.forward(Z)

    def forward(self, Z):
        self.forward_calls += 1
        return np.array(Z, copy=True)

    def backward(self, Z, dY):
        self.backward_calls += 1
        return np.array(dY, copy=True)

    def __repr__(self):
        return "identity activation (from the check)"


@dataclass
class _Spec(LayerSpec):
    """A LayerSpec whose messages also name the layer's setting."""

    setting: str = ""

    def shape_note(self, args) -> str:
        return f"{self.setting}. " + super().shape_note(args)


def _copy(value):
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value


def _batch_size(args) -> int:
    return args["X"].shape[0]


def _pad_images(X, pad):
    (pr, pc) = pad
    return np.pad(X, ((0, 0), (pr, pr), (pc, pc), (0, 0)))


def _gradient_of(evaluate, args, name, upstream) -> np.ndarray:
    """The gradient of sum(upstream * evaluate(args)) with respect to args[name].

    Entry by entry, by central differences (the engine's own), which are exact up to
    rounding for the convolution reference: it is linear in each argument.
    """
    shape = np.shape(args[name])
    indices = [np.unravel_index(i, shape) for i in range(int(np.prod(shape)))]
    derivatives = entrywise_derivatives(evaluate, args, name, indices)
    return np.array([np.sum(d * upstream) for d in derivatives]).reshape(shape)


class _ForwardInputs:
    """The inputs of the latest forward calls of one layer, to spot a cache that is set
    on the first call only.

    The generic stale-cache probe compares backward after forward(x2) with backward after
    forward(x1), forward(x2): a cache stuck at the very first input gives the same wrong
    answer both times. Here, before each backward, self.cache must not hold an earlier X
    (as is, or zero-padded) instead of the latest one.
    """

    def __init__(self, pad):
        self.pad = pad
        self.latest = None
        self.earlier = []

    def record(self, X) -> None:
        if self.latest is not None and not np.array_equal(self.latest, X):
            self.earlier = [*self.earlier, self.latest][-4:]
        self.latest = np.array(X, copy=True)

    def check(self, where, layer) -> None:
        cached = arrays_in(getattr(layer, "cache", None))

        def holds(X):
            return any(a.shape == form.shape and np.array_equal(a, form)
                       for form in (X, _pad_images(X, self.pad)) for a in cached)

        if self.latest is None or holds(self.latest):
            return
        if any(holds(X) for X in self.earlier):
            fail(where, "used a stale cache: self.cache holds the X of an earlier forward "
                 "call, not the latest one",
                 "store what backward needs in self.cache on every forward call "
                 "(self.cache['X'] = X), not only on the first one.")


# ---------------------------------------------------------------------------------------
# Shapes: the output size formula, and gradients with the shape of the padded input
# ---------------------------------------------------------------------------------------


def _check_output_shape(where, case, got_shape, layer, kind: str) -> None:
    want = _out_shape(case)
    got = tuple(got_shape)
    if got == want:
        return
    rows, cols, s = case.rows, case.cols, case.stride
    (kh, kw), (pr, pc) = case.kernel, case.resolved_pad()
    formula = (f"out_rows = (in_rows + 2*pad_rows - kh) // stride + 1 = ({rows} + 2*{pr} - "
               f"{kh}) // {s} + 1 = {want[1]}; out_cols = (in_cols + 2*pad_cols - kw) // "
               f"stride + 1 = ({cols} + 2*{pc} - {kw}) // {s} + 1 = {want[2]}")
    channels = "n_out" if kind == "Conv2D" else "channels"
    if len(got) != 4:
        hint = f"Y must be 4-D: (batch, out_rows, out_cols, {channels})."
    elif got[0] != want[0]:
        hint = "keep the batch on axis 0: every sample gives one output image."
    elif got[3] != want[3]:
        hint = (f"the last axis has one entry per filter, n_out = {want[3]}."
                if kind == "Conv2D" else
                f"each channel is pooled on its own: Y keeps the {want[3]} channels of X.")
    else:
        causes = [
            ("the padding is left out: pad X with zeros on both sides (np.pad) before "
             "sliding the window", lambda n, k, p: _out_size(n, k, 0, s)),
            ("the stride is left out: the window moves `stride` entries at a time",
             lambda n, k, p: _out_size(n, k, p, 1)),
            ("the padding and the stride are left out", lambda n, k, p: _out_size(n, k, 0, 1)),
            ("the padding is counted once: it is added on both sides, so in_rows + "
             "2*pad_rows (in_cols + 2*pad_cols)", lambda n, k, p: (n + p - k) // s + 1),
            ("the + 1 is missing: a window also fits at position 0",
             lambda n, k, p: (n + 2 * p - k) // s),
        ]
        axes = [(rows, kh, pr, got[1], want[1]), (cols, kw, pc, got[2], want[2])]
        wrong = [(n, k, p, g) for n, k, p, g, w in axes if g != w]
        found = [text for text, size in causes
                 if all(size(n, k, p) == g for n, k, p, g in wrong)]
        hint = ("your out_rows and out_cols are what you get when " + found[0] + "."
                if found else "out_rows and out_cols do not follow the formula below.")
    details = [formula]
    attribute = getattr(layer, "pad", None)
    if isinstance(attribute, tuple) and tuple(attribute) != (pr, pc):
        rule = {"same": f"((kh-1)//2, (kw-1)//2) = {(pr, pc)}", "valid": "(0, 0)"}
        details.append(f"self.pad is {attribute}, but pad={case.pad!r} with kernel_shape "
                       f"{tuple(case.kernel)} resolves to {rule.get(case.pad, (pr, pc))}.")
    details.append(f"{case.setting()}, X of shape {case.x_shape()}.")
    fail(where, f"Y has shape {got}, expected {want} = (batch, out_rows, out_cols, "
         f"{channels})", hint, details)


def _check_dx_shape(where, case, dX) -> None:
    """dX with the padded shape, or empty after a p:-p crop: say how to crop."""
    if not isinstance(dX, np.ndarray) or dX.shape == case.x_shape():
        return  # any other problem is the generic check's business
    (pr, pc) = case.resolved_pad()
    padded = (case.batch, case.rows + 2 * pr, case.cols + 2 * pc, case.x_shape()[3])
    hint = None
    if dX.shape == padded and padded != case.x_shape():
        hint = ("dX has the shape of the padded input: drop the padding, "
                "dX_pad[:, pr:pr + in_rows, pc:pc + in_cols, :].")
    elif dX.ndim == 4 and 0 in dX.shape[1:3]:
        hint = ("dX is empty: with a padding of 0 the slice p:-p is empty. Crop with "
                "dX_pad[:, pr:pr + in_rows, pc:pc + in_cols, :] instead.")
    if hint:
        fail(where, f"dX has shape {dX.shape}, expected {case.x_shape()} = (batch, in_rows, "
             f"in_cols, in_channels), the shape of X", hint, [f"{case.setting()}."])


# ---------------------------------------------------------------------------------------
# Conv2D
# ---------------------------------------------------------------------------------------

CONV_SHAPES = {"X": "(batch, in_rows, in_cols, n_in)", "W": "(kh, kw, n_in, n_out)",
               "b": "(1, n_out)", "Y": "(batch, out_rows, out_cols, n_out)"}


def _conv_reference(X, W, b, stride, pad):
    """Cross-correlation of the zero-padded X with W, plus b: scipy, one sample and one
    filter at a time (a 3-D 'valid' correlation also sums over the input channels)."""
    from scipy.signal import correlate  # scipy is part of every course environment

    Xp = _pad_images(X, pad)
    n_out = W.shape[3]
    rows = _out_size(X.shape[1], W.shape[0], pad[0], stride)
    cols = _out_size(X.shape[2], W.shape[1], pad[1], stride)
    out = np.empty((X.shape[0], rows, cols, n_out))
    for n in range(X.shape[0]):
        for o in range(n_out):
            plane = correlate(Xp[n], W[:, :, :, o], mode="valid", method="direct")
            out[n, :, :, o] = plane[::stride, ::stride, 0] + b.reshape(-1)[o]
    return out


def _conv_mistakes(reference, args, d_out):
    X, W, b = args["X"], args["W"], args["b"]
    flipped = dict(args, W=W[::-1, ::-1])
    mistakes = {"Y": [
        (reference(flipped),
         "Y is a true convolution, with the kernel flipped (W[::-1, ::-1]). Conv2D computes "
         "a cross-correlation: Z[n, i, j, o] = sum over p, q, c of X_pad[n, i*stride + p, "
         "j*stride + q, c] * W[p, q, c, o], plus b[0, o], with W as it is."),
        (reference(dict(args, b=np.zeros_like(b))),
         "the bias is missing: add b, of shape (1, n_out), at every output position."),
    ]}
    if d_out is None:
        return mistakes
    n = X.shape[0]
    per_sample = [_gradient_of(reference, {"X": X[k:k + 1], "W": W, "b": b}, "W",
                               d_out[k:k + 1]) for k in range(n)]
    dW = np.sum(per_sample, axis=0)
    db = _gradient_of(reference, args, "b", d_out)
    mistakes["dW"] = [
        (dW[::-1, ::-1], "dW is flipped (W[::-1, ::-1]): dW[p, q, c, o] sums X_pad[n, "
         "i*stride + p, j*stride + q, c] * dLdZ[n, i, j, o], kernel position (p, q) as is."),
    ]
    mistakes["db"] = []
    if n > 1:
        mistakes["dW"].append(
            (dW / n, f"dW is averaged over the batch: sum it over the N = {n} samples "
             "(the loss already divides by N)."))
        mistakes["dW"] += [
            (g, f"dW is the gradient of sample {k} alone. The weights are shared by the "
             f"whole batch, so dW sums the gradients of all N = {n} samples: is dW reset "
             "inside the loop over samples, or assigned (=) instead of added (+=)?")
            for k, g in enumerate(per_sample)]
        mistakes["db"].append(
            (db / n, f"db is averaged over the batch: sum dLdZ over the batch, the rows and "
             f"the columns (axes 0, 1, 2) without dividing by N = {n}."))
    out_positions = d_out.shape[1] * d_out.shape[2]
    if out_positions > 1:
        mistakes["db"].append(
            (db / (n * out_positions), "db is the mean of dLdZ: it is the sum over the "
             "batch, the rows and the columns (axes 0, 1, 2)."))
    mistakes["dX"] = [
        (_gradient_of(reference, flipped, "X", d_out),
         "dX is the gradient of a forward pass with the kernel flipped. dLdZ[n, i, j, :] "
         "goes back to the window X_pad[n, i*stride:i*stride + kh, j*stride:j*stride + kw, :] "
         "through W as it is (np.tensordot(dLdZ[:, i, j, :], W, axes=([1], [3]))); if you "
         "write it as a full convolution, rotate W by 180 degrees exactly once."),
    ]
    return mistakes


def _check_initialised(layer, case, X_shape) -> None:
    where = "Conv2D._init_parameters"
    n_in = getattr(layer, "n_in", None)
    if n_in != X_shape[3]:
        fail(where, f"self.n_in is {n_in!r} after _init_parameters(X_shape) with X_shape = "
             f"{X_shape}", "set self.n_in = X_shape[3], the number of input channels: "
             "forward initialises the layer only while self.n_in is None.")
    parameters = getattr(layer, "parameters", None)
    if not isinstance(parameters, dict):
        fail(where, f"self.parameters is {type(parameters).__name__}, expected a dict",
             "self.parameters = OrderedDict(W=..., b=...).")
    expected = {"W": (case.w_shape(), "(kh, kw, n_in, n_out)",
                      "one (kh, kw, n_in) kernel per filter, the filters on the last axis."),
                "b": ((1, case.n_out), "(1, n_out)", "one bias per filter, as a row: "
                      "np.zeros((1, n_out)).")}
    for key, (shape, symbolic, advice) in expected.items():
        if key not in parameters:
            fail(where, f"self.parameters has no key {key!r} (its keys: {list(parameters)})",
                 "use the keys 'W' and 'b'.")
        if np.shape(parameters[key]) != shape:
            fail(where, f"self.parameters[{key!r}] has shape {np.shape(parameters[key])}, "
                 f"expected {shape} = {symbolic}", advice, [f"{case.setting()}, X_shape = "
                                                             f"{X_shape}."])


def _conv_forward(layer, args, case, activation, timer, inputs) -> np.ndarray:
    """Install W and b from ``args`` and call forward (initialising the layer once)."""
    X, W, b = args["X"], args["W"], args["b"]
    inputs.record(X)
    if getattr(layer, "n_in", None) is None:
        where = "Conv2D._init_parameters"
        call_student(where, lambda: timer.run(where, layer._init_parameters, X.shape),
                     note=f"called with X_shape = {X.shape} for {case.setting()}")
        _check_initialised(layer, case, X.shape)
    layer.parameters["W"], layer.parameters["b"] = W, b
    calls = activation.forward_calls
    out = timer.run("Conv2D.forward", layer.forward, X)
    parameters = getattr(layer, "parameters", None)
    for key, value in (("W", W), ("b", b)):
        current = parameters.get(key) if isinstance(parameters, dict) else None
        if current is not value and not (np.shape(current) == value.shape
                                         and np.array_equal(current, value)):
            fail("Conv2D.forward", f"replaced self.parameters[{key!r}], which the check had "
                 "set just before calling forward",
                 "call self._init_parameters(X.shape) only while self.n_in is None, so that "
                 "forward keeps the trained parameters, and read W and b from "
                 "self.parameters.")
    if isinstance(out, np.ndarray):
        _check_output_shape("Conv2D.forward", case, out.shape, layer, "Conv2D")
    if activation.forward_calls == calls:
        fail("Conv2D.forward", "did not apply self.activation",
             "return self.activation(Z): the activation is part of the layer. (The check "
             "passes an identity activation, so the values alone cannot show this.)")
    return out


def _stray_arrays(layer, shape) -> list[str]:
    """Attributes of ``layer`` holding an array of this shape, outside the usual dicts."""
    found = []
    for name, value in vars(layer).items():
        if isinstance(value, np.ndarray) and value.shape == shape:
            found.append(f"self.{name}")
    return found


def _conv_backward(layer, d_out, args, case, activation, timer, inputs) -> dict:
    """Call backward and collect dX (returned) with dW, db (from layer.gradients)."""
    where = "Conv2D.backward"
    X, W, b = args["X"], args["W"], args["b"]
    inputs.check(where, layer)
    gradients = getattr(layer, "gradients", None)
    # nan placeholders show whether backward really assigns the gradients on this call.
    placeholders = {}
    if isinstance(gradients, dict):
        for key, value in (("W", W), ("b", b)):
            gradients[key] = placeholders[key] = np.full(value.shape, np.nan)
    calls = activation.backward_calls
    dX = timer.run(where, layer.backward, d_out)
    if activation.backward_calls == calls:
        fail(where, "did not call self.activation.backward",
             "start with dLdZ = self.activation.backward(Z, dLdY): the gradient goes through "
             "the activation before the convolution. (The check passes an identity "
             "activation, so the values alone cannot show this.)")
    gradients = getattr(layer, "gradients", None)
    if not isinstance(gradients, dict):
        fail(where, f"self.gradients is {type(gradients).__name__}, expected a dict",
             "store the gradients as self.gradients['W'] and self.gradients['b'].")
    found = {}
    for key, value in (("W", W), ("b", b)):
        if key not in gradients:
            fail(where, f"self.gradients has no key {key!r} (its keys: {list(gradients)})",
                 f"store the gradient of self.parameters[{key!r}] under the same key: "
                 f"self.gradients[{key!r}] = dLd{key}.")
        got = gradients[key]
        if key in placeholders and isinstance(got, np.ndarray) \
                and np.issubdtype(got.dtype, np.floating) and np.isnan(got).any():
            stray = _stray_arrays(layer, value.shape)
            fail(where, f"self.gradients[{key!r}] was not set by backward",
                 f"assign self.gradients[{key!r}] = dLd{key}, a new array on every call. (The "
                 f"check filled self.gradients[{key!r}] with nan before calling backward: "
                 "it is still there, so backward neither assigned it nor overwrote it; "
                 "adding into the old value with += would also keep it.)",
                 [f"An array of that shape is in {', '.join(stray)}: the optimizer reads "
                  "self.gradients."] if stray else [])
        found[key] = got
    dW, db = found["W"], found["b"]
    if isinstance(db, np.ndarray) and db.shape != b.shape:
        hint = ("db lost its leading axis: reshape the sum to (1, n_out), the shape of b, "
                "e.g. dLdZ.sum(axis=(0, 1, 2)).reshape(1, -1)."
                if db.shape == (case.n_out,) else
                "db is the sum of dLdZ over the batch, the rows and the columns (axes 0, 1 "
                "and 2), one entry per filter, in the shape of b.")
        fail(where, f"db (self.gradients['b']) has shape {db.shape}, expected {b.shape} = "
             "(1, n_out), the shape of b", hint, [f"{case.setting()}."])
    if isinstance(dW, np.ndarray) and dW.shape != W.shape:
        hint = ("dW keeps the batch axis. The weights are shared by all samples, so sum the "
                "per-sample gradients over the batch (axis 0)."
                if dW.shape == (X.shape[0], *W.shape) else
                "write the shape next to each operand: np.tensordot(X_window, dLdZ[:, i, j, "
                ":], axes=([0], [0])) has shape (kh, kw, n_in, n_out), summed over the batch.")
        fail(where, f"dW (self.gradients['W']) has shape {dW.shape}, expected {W.shape} = "
             "(kh, kw, n_in, n_out), the shape of W", hint, [f"{case.setting()}."])
    _check_dx_shape(where, case, dX)
    return {"dX": _copy(dX), "dW": _copy(dW), "db": _copy(db)}


def _conv_setup(Conv2D, case, budget, limit):
    """Build the layer (with the check's identity activation) and the spec for a case."""
    activation = _Identity()
    timer = _Timer(budget, limit, f"X of shape {case.x_shape()} with {case.setting()}",
                   CONV_SPEED_ADVICE)
    where = "Conv2D.__init__"
    layer = call_student(
        where, lambda: timer.run(where, Conv2D, n_out=case.n_out, kernel_shape=case.kernel,
                                 activation=activation, stride=case.stride, pad=case.pad),
        note=f"called as {case.setting()[:-1]}, activation=<identity>)")
    pad = case.resolved_pad()
    inputs = _ForwardInputs(pad)

    def reference(args):
        return _conv_reference(args["X"], args["W"], args["b"], case.stride, pad)

    spec = _Spec(
        name="Conv2D",
        inputs=("X", "W", "b"),
        output="Y",
        gradients=("dX", "dW", "db"),
        differentiates={"dX": "X", "dW": "W", "db": "b"},
        reference=reference,
        shapes=CONV_SHAPES,
        known_mistakes=lambda args, d_out: _conv_mistakes(reference, args, d_out),
        batch_axis_size=_batch_size,
        call_forward=lambda lay, args: _conv_forward(lay, args, case, activation, timer,
                                                     inputs),
        call_backward=lambda lay, d_out, args: _conv_backward(lay, d_out, args, case,
                                                              activation, timer, inputs),
        setting=f"{case.setting()}, with W and b set in self.parameters",
    )

    def make_args(rng):
        return {"X": rng.standard_normal(case.x_shape()),
                "W": rng.standard_normal(case.w_shape()),
                "b": rng.standard_normal((1, case.n_out))}

    return layer, spec, make_args


def _time_case(spec, layer, make_args, seed) -> None:
    """Forward (values checked) and backward (shapes checked) once, each call timed."""
    check = LayerCheck(spec, layer, make_args, np.random.default_rng(seed))
    args = make_args(check.rng)
    check.check_forward(args)
    check.check_backward_outputs(args, check.upstream(args))


def _require_class(where, value, name) -> None:
    if not isinstance(value, type):
        fail(where, f"received an instance of {type(value).__name__}, expected the class "
             f"{name}", f"pass the class itself, check_{name.lower()}({name}): the check "
             "builds its own layers.")


@checker
def check_conv2d(Conv2D, seed: int = 0, cases=CONV_CASES, speed_case=CONV_SPEED_CASE,
                 time_limit: float | None = 2.0, speed_limit: float | None = 10.0,
                 total_limit: float | None = 60.0):
    """Check a Conv2D class: output shape and values, dX, dW and db, and speed.

    Each case builds ``Conv2D(n_out, kernel_shape, activation, stride, pad)`` with an
    identity activation, installs its own W and b in ``layer.parameters`` after the
    layer's own initialisation, and runs the generic layer check: forward against
    ``scipy.signal.correlate``, the gradients (backward's return value and
    ``layer.gradients['W']``, ``['b']``) against finite differences, untouched inputs,
    linearity in dLdY, and a fresh cache on every forward.

    Args:
        Conv2D: the class (not an instance).
        seed: the seed of the random inputs; the verdict repeats for a given seed.
        cases: ConvCase tuples (batch, rows, cols, n_in, n_out, kernel, stride, pad).
        speed_case: a larger ConvCase whose forward and backward must each finish within
            ``speed_limit`` seconds; None to skip.
        time_limit: seconds allowed for each call into the class on the small cases.
        speed_limit: seconds allowed for each call on the speed case.
        total_limit: seconds the whole check may spend in the class's code.
    """
    _require_class("check_conv2d", Conv2D, "Conv2D")
    _run_cases(_conv_setup, Conv2D, [ConvCase(*c) for c in cases],
               ConvCase(*speed_case) if speed_case is not None else None,
               seed, time_limit, speed_limit, total_limit)


def _run_cases(setup, layer_class, cases, speed_case, seed, time_limit, speed_limit,
               total_limit) -> None:
    """The generic layer check on every case, then the timed speed case, on one budget."""
    budget = _Budget(total_limit)
    for i, case in enumerate(cases):
        layer, spec, make_args = setup(layer_class, case, budget, time_limit)
        check_layer(spec, layer, make_args, seed=seed * 1000 + i)
    if speed_case is not None:
        layer, spec, make_args = setup(layer_class, speed_case, budget, speed_limit)
        _time_case(spec, layer, make_args, seed * 1000 + len(cases))
    return budget


# ---------------------------------------------------------------------------------------
# Pool2D
# ---------------------------------------------------------------------------------------

POOL_SHAPES = {"X": "(batch, in_rows, in_cols, channels)",
               "Y": "(batch, out_rows, out_cols, channels)"}


def _windows(case, out_rows, out_cols):
    """The slices of the padded input that output position (i, j) reads."""
    (kh, kw), s = case.kernel, case.stride
    for i in range(out_rows):
        for j in range(out_cols):
            yield i, j, slice(i * s, i * s + kh), slice(j * s, j * s + kw)


def _pool_reference(X, case, mode):
    """Max or average of every window of the zero-padded X: an explicit loop over the
    output positions."""
    Xp = _pad_images(X, case.resolved_pad())
    _, out_rows, out_cols, _ = _out_shape(case._replace(batch=X.shape[0]))
    out = np.empty((X.shape[0], out_rows, out_cols, X.shape[3]))
    for i, j, rows, cols in _windows(case, out_rows, out_cols):
        window = Xp[:, rows, cols, :]
        out[:, i, j, :] = window.max(axis=(1, 2)) if mode == "max" else window.mean(axis=(1, 2))
    return out


def _argmax_mask(window):
    return (window == window.max(axis=(1, 2), keepdims=True)).astype(np.float64)


def _pool_scatter(X, d_out, case, weights, combine="add", order="rows", crop=None):
    """dX from sending d_out[:, i, j, :] back over window (i, j) with ``weights(window)``.

    combine "add" is right; "assign" overwrites the whole window slice (dX[...] = ...),
    "assign_nonzero" overwrites only where the weight is nonzero (the arg-max), in the
    order of a loop over rows then columns ("rows") or columns then rows ("cols"). These
    wrong versions give the values of the known mistakes; the checks themselves judge
    gradients by finite differences. ``crop`` is where the padding is cut off, (rows,
    cols): the padding itself when None, as is right.
    """
    Xp = _pad_images(X, case.resolved_pad())
    dXp = np.zeros_like(Xp)
    windows = list(_windows(case, d_out.shape[1], d_out.shape[2]))
    if order == "cols":
        windows.sort(key=lambda w: (w[1], w[0]))
    for i, j, rows, cols in windows:
        weight = weights(Xp[:, rows, cols, :])
        contribution = weight * d_out[:, i:i + 1, j:j + 1, :]
        if combine == "add":
            dXp[:, rows, cols, :] += contribution
        elif combine == "assign":
            dXp[:, rows, cols, :] = contribution
        else:
            dXp[:, rows, cols, :] = np.where(weight != 0, contribution, dXp[:, rows, cols, :])
    (pr, pc) = crop or case.resolved_pad()
    return dXp[:, pr:pr + X.shape[1], pc:pc + X.shape[2], :]


def _crop_mistakes(X, d_out, case, weights):
    """dX cut out of the padded gradient at the wrong place, when rows and columns are
    padded differently: the one padding used for both, or the two swapped."""
    (pr, pc) = case.resolved_pad()
    if pr == pc:
        return []
    return [(_pool_scatter(X, d_out, case, weights, crop=crop),
             f"dX is cut out of the padded gradient at row {crop[0]} and column {crop[1]}, "
             f"but the rows are padded by {pr} and the columns by {pc}: crop "
             "dX_pad[:, pr:pr + in_rows, pc:pc + in_cols, :].")
            for crop in ((pc, pc), (pr, pr), (pc, pr))]


def _pool_mistakes(case, args, d_out):
    X = args["X"]
    (kh, kw), s = case.kernel, case.stride
    size = kh * kw
    if case.mode == "max":
        mistakes = {"Y": [(_pool_reference(X, case, "average"),
                           "Y is the average of each window, but mode='max' takes each "
                           "window's maximum.")]}
    else:
        mistakes = {"Y": [(_pool_reference(X, case, "max"),
                           "Y is the maximum of each window, but mode='average' takes each "
                           "window's mean (the padding zeros count, divide by kh*kw).")]}
        if any(case.resolved_pad()):
            real = _pool_reference(np.ones_like(X), case, "average")  # share of real entries
            mistakes["Y"].append(
                (_pool_reference(X, case, "average") / real,
                 "Y divides each window's sum by the number of real (unpadded) entries; the "
                 f"padding is zeros that count like any entry: divide by kh*kw = {size}."))
    if d_out is None:
        return mistakes

    def uniform(window):
        return np.full(window.shape, 1.0 / size)

    def ones(window):
        return np.ones(window.shape)

    overwrite = (f"the windows overlap here (stride {s} < kernel_shape {tuple(case.kernel)}), "
                 "so an entry can receive gradient from several windows, and a later window "
                 "overwrote what an earlier one had put there: accumulate with "
                 "dX[...] += ... instead of dX[...] = ....")
    overlapping = s < kh or s < kw
    if case.mode == "max":
        mistakes["dX"] = [
            (_pool_scatter(X, d_out, case, ones),
             "dX sends d_out to every entry of the window, but only the window's maximum "
             "affected Y: only the arg-max entry gets d_out (a mask window == window.max())."),
            (_pool_scatter(X, d_out, case, uniform),
             "dX spreads d_out evenly over the window, the gradient of mode='average'; for "
             "mode='max' only the arg-max entry of each window gets d_out."),
        ]
        if overlapping:
            mistakes["dX"] += [(_pool_scatter(X, d_out, case, _argmax_mask, combine, order),
                                overwrite) for combine in ("assign", "assign_nonzero")
                               for order in ("rows", "cols")]
    else:
        mistakes["dX"] = [
            (_pool_scatter(X, d_out, case, ones),
             f"dX is not divided by the window size: each of the kh*kw = {size} entries of a "
             f"window gets d_out / {size}."),
            (_pool_scatter(X, d_out, case, _argmax_mask),
             "dX sends d_out only to the maximum of each window, the gradient of "
             f"mode='max'; for mode='average' every entry gets d_out / (kh*kw) = d_out / "
             f"{size}."),
        ]
        if overlapping:
            mistakes["dX"] += [(_pool_scatter(X, d_out, case, uniform, "assign", order),
                                overwrite) for order in ("rows", "cols")]
    mistakes["dX"] += _crop_mistakes(X, d_out, case,
                                     _argmax_mask if case.mode == "max" else uniform)
    return mistakes


def _distinct_values(rng, shape) -> np.ndarray:
    """Distinct positive values in random places, 0.01 apart (0.5, 0.51, 0.52, ...).

    The gaps dwarf the finite-difference step (1e-5 times a standard normal direction),
    so a window's maximum is never tied and never changes under the perturbation; being
    positive, the padding zeros are never the maximum either.
    """
    size = int(np.prod(shape))
    return (0.5 + 0.01 * rng.permutation(size)).reshape(shape)


def _pool_forward(layer, args, case, timer, inputs):
    inputs.record(args["X"])
    out = timer.run("Pool2D.forward", layer.forward, args["X"])
    if isinstance(out, np.ndarray):
        _check_output_shape("Pool2D.forward", case, out.shape, layer, "Pool2D")
    return out


def _pool_backward(layer, d_out, args, case, timer, inputs):
    inputs.check("Pool2D.backward", layer)
    dX = timer.run("Pool2D.backward", layer.backward, d_out)
    _check_dx_shape("Pool2D.backward", case, dX)
    return {"dX": _copy(dX)}


def _check_pad_attribute(layer, case) -> None:
    """A pad kept as the letters of "same" or "valid" (tuple("same")) is named here, before
    forward fails on it with an unpacking error."""
    attribute = getattr(layer, "pad", None)
    if isinstance(attribute, (tuple, list)) and any(isinstance(v, str) for v in attribute):
        fail("Pool2D.__init__", f"self.pad is {tuple(attribute)!r} for pad={case.pad!r}",
             f"tuple(pad) splits the string {case.pad!r} into its letters: turn 'same' into "
             f"((kh - 1) // 2, (kw - 1) // 2) and 'valid' into (0, 0) first; here that is "
             f"{case.resolved_pad()}.", [f"{case.setting()}."])


def _pool_setup(Pool2D, case, budget, limit):
    timer = _Timer(budget, limit, f"X of shape {case.x_shape()} with {case.setting()}",
                   POOL_SPEED_ADVICE)
    where = "Pool2D.__init__"
    layer = call_student(
        where, lambda: timer.run(where, Pool2D, kernel_shape=case.kernel, mode=case.mode,
                                 stride=case.stride, pad=case.pad),
        note=f"called as {case.setting()}")
    _check_pad_attribute(layer, case)
    inputs = _ForwardInputs(case.resolved_pad())
    spec = _Spec(
        name="Pool2D",
        inputs=("X",),
        output="Y",
        gradients=("dX",),
        differentiates={"dX": "X"},
        reference=lambda args: _pool_reference(args["X"], case, case.mode),
        shapes=POOL_SHAPES,
        known_mistakes=lambda args, d_out: _pool_mistakes(case, args, d_out),
        batch_axis_size=_batch_size,
        call_forward=lambda lay, args: _pool_forward(lay, args, case, timer, inputs),
        call_backward=lambda lay, d_out, args: _pool_backward(lay, d_out, args, case, timer,
                                                              inputs),
        setting=case.setting(),
    )

    def make_args(rng):
        return {"X": _distinct_values(rng, case.x_shape())}

    return layer, spec, make_args


def _tied_values(rng, shape) -> np.ndarray:
    """Values from {0, 0.5, 1}, so that many windows have tied maxima; the first window
    of every channel of the first sample is all zeros (a window after a ReLU)."""
    X = 0.5 * rng.integers(0, 3, size=shape)
    X[0, :2, :2, :] = 0.0
    return X


def _check_max_ties(Pool2D, case, seed, budget, limit) -> None:
    """Max pooling on windows with tied maxima: every reasonable convention passes.

    The windows do not overlap (stride = kernel, no padding), so each window's share of
    dX can be read off. Accepted per window: the tied maxima receive d_out in total,
    each between none and all of it (one maximum takes it, or an even split), or each
    tied maximum receives all of d_out (the mask window == window.max()). Entries that
    are not a maximum must receive nothing.
    """
    (kh, kw), s = case.kernel, case.stride
    if (s, s) != (kh, kw) or any(case.resolved_pad()) or case.mode != "max":
        raise ValueError(f"the tie case must be max pooling with stride = kernel and no "
                         f"padding, got {case}")
    timer = _Timer(budget, limit, f"X of shape {case.x_shape()} with tied maxima, "
                   f"{case.setting()}", POOL_SPEED_ADVICE)
    layer = call_student("Pool2D.__init__", lambda: timer.run(
        "Pool2D.__init__", Pool2D, kernel_shape=case.kernel, mode="max", stride=s,
        pad=case.pad), note=f"called as {case.setting()}")
    rng = np.random.default_rng(seed)
    X = _tied_values(rng, case.x_shape())
    Y = call_student("Pool2D.forward", lambda: timer.run("Pool2D.forward", layer.forward,
                                                         X.copy()))
    want = _pool_reference(X, case, "max")
    if not isinstance(Y, np.ndarray) or Y.shape != want.shape or not np.allclose(Y, want):
        fail("Pool2D.forward", "Y is wrong on an input whose windows have tied maxima",
             "the maximum of a window is its largest value, however many entries share it.",
             [f"{case.setting()}, X of shape {case.x_shape()} with values 0, 0.5 and 1."])
    d_out = rng.choice([-1.0, 1.0], size=want.shape) * rng.uniform(0.5, 1.5, size=want.shape)
    dX = call_student("Pool2D.backward", lambda: timer.run("Pool2D.backward", layer.backward,
                                                           d_out.copy()))
    if not isinstance(dX, np.ndarray) or dX.shape != X.shape:
        fail("Pool2D.backward", f"dX has shape {np.shape(dX)}, expected {X.shape}, the shape "
             "of X")
    for i, j, rows, cols in _windows(case, want.shape[1], want.shape[2]):
        for n in range(X.shape[0]):
            for c in range(X.shape[3]):
                window, grad, d = X[n, rows, cols, c], dX[n, rows, cols, c], d_out[n, i, j, c]
                tied = window == window.max()
                place = (f"window ({i}, {j}) of sample {n}, channel {c}: X = "
                         f"{window.tolist()}, d_out = {d:.4g}, your dX there = "
                         f"{np.round(grad, 4).tolist()}")
                if not np.allclose(grad[~tied], 0.0, atol=1e-9):
                    fail("Pool2D.backward", "dX gives gradient to an entry that is not the "
                         "maximum of its window",
                         "only a window's maximum affects Y: every other entry of the window "
                         "gets nothing from this output.", [place, f"{case.setting()}."])
                share = grad[tied] / d
                split = (np.isclose(share.sum(), 1.0) and np.all(share > -1e-9)
                         and np.all(share < 1 + 1e-9))
                if not split and not np.allclose(share, 1.0):
                    fail("Pool2D.backward", f"dX is wrong where {int(tied.sum())} entries "
                         f"tie for the maximum of a window: together they receive "
                         f"{share.sum():.4g} times d_out",
                         "on a tie, give d_out to one of the tied entries (np.argmax picks "
                         "the first), split it evenly among them, or give each of them "
                         "d_out (the mask window == window.max()); the checks accept each. "
                         "Dropping it, or a split that does not add up to d_out, is wrong.",
                         [place, f"{case.setting()}."])


@checker
def check_pool2d(Pool2D, seed: int = 0, cases=POOL_CASES, speed_case=POOL_SPEED_CASE,
                 time_limit: float | None = 2.0, speed_limit: float | None = 10.0,
                 total_limit: float | None = 60.0, tie_case=POOL_TIE_CASE):
    """Check a Pool2D class: max and average pooling, forward, backward and speed.

    The cases include overlapping windows (stride < kernel), where an entry can be the
    maximum of several windows and its gradient must add up, zero padding and
    pad="same". Their inputs hold distinct values, so the arg-max of a window is unique
    and finite differences never cross a tie. Ties are checked on their own
    (``tie_case``): one maximum taking the whole gradient, an even split, and every tied
    maximum taking it all are accepted.

    Args:
        Pool2D: the class (not an instance), called as
            ``Pool2D(kernel_shape=..., mode=..., stride=..., pad=...)``.
        seed: the seed of the random inputs.
        cases: PoolCase tuples (mode, batch, rows, cols, channels, kernel, stride, pad).
        speed_case: a larger PoolCase whose forward and backward must each finish within
            ``speed_limit`` seconds; None to skip.
        time_limit: seconds allowed for each call into the class on the small cases.
        speed_limit: seconds allowed for each call on the speed case.
        total_limit: seconds the whole check may spend in the class's code.
        tie_case: a max-pooling PoolCase with stride equal to the kernel and no padding,
            run on inputs with tied maxima; None to skip.
    """
    _require_class("check_pool2d", Pool2D, "Pool2D")
    budget = _run_cases(_pool_setup, Pool2D, [PoolCase(*c) for c in cases],
                        PoolCase(*speed_case) if speed_case is not None else None,
                        seed, time_limit, speed_limit, total_limit)
    if tie_case is not None:
        _check_max_ties(Pool2D, PoolCase(*tie_case), seed, budget, time_limit)
