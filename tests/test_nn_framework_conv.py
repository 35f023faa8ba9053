"""nn_framework convolution checkers: Conv2D and Pool2D written as students write them.

Correct versions (vectorised, and loops in the style of homework) must pass over many
seeds, quietly; mutants (one-line patches of a correct version, each a mistake students
make) must fail with a message naming the mistake; slow versions must fail with a time
message within a bounded time instead of holding the grader.
"""

import contextlib
import inspect
import io
import re
import signal
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from nn_utils.errors import CheckFailure
from notebook_runner import kit

_conv = kit("nn_framework").assignment.conv
POOL_CASES, POOL_TIE_CASE, ConvCase = _conv.POOL_CASES, _conv.POOL_TIE_CASE, _conv.ConvCase
_tied_values, check_conv2d, check_pool2d = _conv._tied_values, _conv.check_conv2d, _conv.check_pool2d

# ---------------------------------------------------------------------------------------
# The framework's tiny pieces
# ---------------------------------------------------------------------------------------


class Layer:
    def __init__(self):
        self.n_in = None
        self.parameters = OrderedDict()
        self.cache = OrderedDict()
        self.gradients = OrderedDict()


class Linear:
    """The identity activation of the framework."""

    def __call__(self, Z):
        return self.forward(Z)

    def forward(self, Z):
        return Z

    def backward(self, Z, dY):
        return dY


# ---------------------------------------------------------------------------------------
# Correct Conv2D: vectorised (sliding_window_view + einsum), and loops
# ---------------------------------------------------------------------------------------


class VectorConv2D(Layer):
    def __init__(self, n_out, kernel_shape, activation, stride=1, pad="same",
                 weight_init="xavier_uniform"):
        super().__init__()
        self.n_out = n_out
        self.kernel_shape = kernel_shape
        self.activation = activation
        self.stride = stride
        self.pad = pad
        self.weight_init = weight_init

    def _init_parameters(self, X_shape):
        self.n_in = X_shape[3]
        kh, kw = self.kernel_shape
        limit = np.sqrt(6.0 / (kh * kw * (self.n_in + self.n_out)))
        W = np.random.uniform(-limit, limit, size=(kh, kw, self.n_in, self.n_out))
        b = np.zeros((1, self.n_out))
        self.parameters = OrderedDict(W=W, b=b)
        self.cache = OrderedDict(X=None, Z=None)
        self.gradients = OrderedDict(W=np.zeros_like(W), b=np.zeros_like(b))
        if self.pad == "same":
            self.pad = ((kh - 1) // 2, (kw - 1) // 2)
        elif self.pad == "valid":
            self.pad = (0, 0)
        elif isinstance(self.pad, int):
            self.pad = (self.pad, self.pad)

    def _windows(self, X_pad):
        kh, kw = self.kernel_shape
        s = self.stride
        # (batch, out_rows, out_cols, n_in, kh, kw)
        return sliding_window_view(X_pad, (kh, kw), axis=(1, 2))[:, ::s, ::s]

    def forward(self, X):
        if self.n_in is None:
            self._init_parameters(X.shape)
        W, b = self.parameters["W"], self.parameters["b"]
        pr, pc = self.pad
        X_pad = np.pad(X, ((0, 0), (pr, pr), (pc, pc), (0, 0)))
        Z = np.einsum("nijcpq,pqco->nijo", self._windows(X_pad), W) + b
        self.cache["X"] = X
        self.cache["Z"] = Z
        return self.activation(Z)

    def backward(self, dLdY):
        X, Z = self.cache["X"], self.cache["Z"]
        W = self.parameters["W"]
        kh, kw = self.kernel_shape
        s = self.stride
        pr, pc = self.pad
        dZ = self.activation.backward(Z, dLdY)
        X_pad = np.pad(X, ((0, 0), (pr, pr), (pc, pc), (0, 0)))
        dW = np.einsum("nijcpq,nijo->pqco", self._windows(X_pad), dZ)
        db = dZ.sum(axis=(0, 1, 2)).reshape(1, -1)
        dX_pad = np.zeros_like(X_pad)
        out_rows, out_cols = dZ.shape[1], dZ.shape[2]
        for p in range(kh):
            for q in range(kw):
                dX_pad[:, p:p + s * out_rows:s, q:q + s * out_cols:s, :] += np.einsum(
                    "nijo,co->nijc", dZ, W[p, q])
        self.gradients["W"] = dW
        self.gradients["b"] = db
        return dX_pad[:, pr:pr + X.shape[1], pc:pc + X.shape[2], :]


class LoopConv2D(VectorConv2D):
    """Loops over output positions (forward) and over samples and positions (backward)."""

    def forward(self, X):
        if self.n_in is None:
            self._init_parameters(X.shape)
        W, b = self.parameters["W"], self.parameters["b"]
        kh, kw = self.kernel_shape
        s = self.stride
        pr, pc = self.pad
        N, in_rows, in_cols, _ = X.shape
        out_rows = (in_rows + 2 * pr - kh) // s + 1
        out_cols = (in_cols + 2 * pc - kw) // s + 1
        X_pad = np.pad(X, ((0, 0), (pr, pr), (pc, pc), (0, 0)))
        Z = np.zeros((N, out_rows, out_cols, self.n_out))
        for i in range(out_rows):
            for j in range(out_cols):
                patch = X_pad[:, i * s:i * s + kh, j * s:j * s + kw, :]
                Z[:, i, j, :] = np.tensordot(patch, W, axes=([1, 2, 3], [0, 1, 2])) + b
        self.cache["X"] = X
        self.cache["Z"] = Z
        return self.activation(Z)

    def backward(self, dLdY):
        X, Z = self.cache["X"], self.cache["Z"]
        W = self.parameters["W"]
        kh, kw = self.kernel_shape
        s = self.stride
        pr, pc = self.pad
        dZ = self.activation.backward(Z, dLdY)
        N, out_rows, out_cols, _ = dZ.shape
        X_pad = np.pad(X, ((0, 0), (pr, pr), (pc, pc), (0, 0)))
        dX_pad = np.zeros_like(X_pad)
        dW = np.zeros_like(W)
        for n in range(N):
            for i in range(out_rows):
                for j in range(out_cols):
                    rows = slice(i * s, i * s + kh)
                    cols = slice(j * s, j * s + kw)
                    dW += X_pad[n, rows, cols, :, None] * dZ[n, i, j]
                    dX_pad[n, rows, cols, :] += np.tensordot(W, dZ[n, i, j], axes=([3], [0]))
        db = dZ.sum(axis=(0, 1, 2)).reshape(1, -1)
        self.gradients["W"] = dW
        self.gradients["b"] = db
        return dX_pad[:, pr:pr + X.shape[1], pc:pc + X.shape[2], :]


# ---------------------------------------------------------------------------------------
# Correct Pool2D: vectorised over everything but the kernel positions, and a 4-deep loop
# ---------------------------------------------------------------------------------------


class VectorPool2D(Layer):
    """Max pooling sends d_out to every tied maximum (the mask window == max)."""

    def __init__(self, kernel_shape, mode="max", stride=1, pad=0):
        super().__init__()
        self.kernel_shape = kernel_shape
        self.mode = mode
        self.stride = stride
        if pad == "same":
            self.pad = ((kernel_shape[0] - 1) // 2, (kernel_shape[1] - 1) // 2)
        elif pad == "valid":
            self.pad = (0, 0)
        else:
            self.pad = (pad, pad) if isinstance(pad, int) else pad

    def _windows(self, X_pad):
        kh, kw = self.kernel_shape
        s = self.stride
        # (batch, out_rows, out_cols, channels, kh, kw)
        return sliding_window_view(X_pad, (kh, kw), axis=(1, 2))[:, ::s, ::s]

    def forward(self, X):
        pr, pc = self.pad
        X_pad = np.pad(X, ((0, 0), (pr, pr), (pc, pc), (0, 0)))
        windows = self._windows(X_pad)
        if self.mode == "max":
            Y = windows.max(axis=(4, 5))
        else:
            Y = windows.mean(axis=(4, 5))
        self.cache["X"] = X
        return Y

    def backward(self, dLdY):
        X = self.cache["X"]
        kh, kw = self.kernel_shape
        s = self.stride
        pr, pc = self.pad
        X_pad = np.pad(X, ((0, 0), (pr, pr), (pc, pc), (0, 0)))
        windows = self._windows(X_pad)
        if self.mode == "max":
            weights = windows == windows.max(axis=(4, 5), keepdims=True)
        else:
            weights = np.full(windows.shape, 1.0 / (kh * kw))
        contributions = weights * dLdY[..., None, None]
        dX_pad = np.zeros_like(X_pad)
        out_rows, out_cols = dLdY.shape[1], dLdY.shape[2]
        for p in range(kh):
            for q in range(kw):
                dX_pad[:, p:p + s * out_rows:s, q:q + s * out_cols:s, :] += \
                    contributions[..., p, q]
        return dX_pad[:, pr:pr + X.shape[1], pc:pc + X.shape[2], :]


class LoopPool2D(VectorPool2D):
    """Max pooling sends d_out to one maximum, the first np.argmax finds."""

    def forward(self, X):
        kh, kw = self.kernel_shape
        s = self.stride
        pr, pc = self.pad
        N, in_rows, in_cols, C = X.shape
        out_rows = (in_rows + 2 * pr - kh) // s + 1
        out_cols = (in_cols + 2 * pc - kw) // s + 1
        X_pad = np.pad(X, ((0, 0), (pr, pr), (pc, pc), (0, 0)))
        Y = np.zeros((N, out_rows, out_cols, C))
        for n in range(N):
            for i in range(out_rows):
                for j in range(out_cols):
                    for c in range(C):
                        window = X_pad[n, i * s:i * s + kh, j * s:j * s + kw, c]
                        if self.mode == "max":
                            Y[n, i, j, c] = window.max()
                        else:
                            Y[n, i, j, c] = window.mean()
        self.cache["X"] = X
        return Y

    def backward(self, dLdY):
        X = self.cache["X"]
        kh, kw = self.kernel_shape
        s = self.stride
        pr, pc = self.pad
        N, out_rows, out_cols, C = dLdY.shape
        X_pad = np.pad(X, ((0, 0), (pr, pr), (pc, pc), (0, 0)))
        dX_pad = np.zeros_like(X_pad)
        for n in range(N):
            for i in range(out_rows):
                for j in range(out_cols):
                    for c in range(C):
                        window = X_pad[n, i * s:i * s + kh, j * s:j * s + kw, c]
                        if self.mode == "max":
                            r, q = np.unravel_index(np.argmax(window), window.shape)
                            dX_pad[n, i * s + r, j * s + q, c] += dLdY[n, i, j, c]
                        else:
                            dX_pad[n, i * s:i * s + kh, j * s:j * s + kw, c] += \
                                dLdY[n, i, j, c] / (kh * kw)
        return dX_pad[:, pr:pr + X.shape[1], pc:pc + X.shape[2], :]


CORRECT = {
    "vector conv": (check_conv2d, VectorConv2D),
    "loop conv": (check_conv2d, LoopConv2D),
    "vector pool": (check_pool2d, VectorPool2D),
    "loop pool": (check_pool2d, LoopPool2D),
}

# ---------------------------------------------------------------------------------------
# Variants: one-line patches of a correct class, built by exec of its patched source
# ---------------------------------------------------------------------------------------


def patched(cls, *replacements):
    """``cls`` with each (old, new) pair replaced in its source (``old`` must be unique)."""
    source = inspect.getsource(cls)
    for old, new in replacements:
        assert source.count(old) == 1, f"{cls.__name__}: patch target not unique: {old!r}"
        source = source.replace(old, new)
    namespace = dict(globals())
    exec(compile(source, f"<{cls.__name__} patched>", "exec"), namespace)
    return namespace[cls.__name__]


@dataclass(frozen=True)
class Mutant:
    name: str
    base: type
    old: str
    new: str
    message: str  # regular expression the failure message must match

    def build(self):
        return patched(self.base, (self.old, self.new))

    @property
    def check(self):
        return check_conv2d if issubclass(self.base, VectorConv2D) else check_pool2d


CONV_MUTANTS = [
    Mutant("padding left out", VectorConv2D,
           "X_pad = np.pad(X, ((0, 0), (pr, pr), (pc, pc), (0, 0)))\n        Z =",
           "X_pad = X\n        Z =",
           r"Conv2D.forward: Y has shape .*padding is left out.*out_rows = \(in_rows \+ "
           r"2\*pad_rows - kh\) // stride \+ 1 = \(5 \+ 2\*1 - 3\) // 1 \+ 1 = 5"),
    Mutant("stride left out", VectorConv2D,
           "axis=(1, 2))[:, ::s, ::s]", "axis=(1, 2))",
           r"Conv2D.forward: Y has shape .*stride is left out"),
    Mutant("padding counted once in the size formula", LoopConv2D,
           "out_rows = (in_rows + 2 * pr - kh) // s + 1",
           "out_rows = (in_rows + pr - kh) // s + 1",
           r"Conv2D.forward: Y has shape \(2, 4, 5, 3\).*padding is counted once"),
    Mutant("kernel flipped (a true convolution)", VectorConv2D,
           'np.einsum("nijcpq,pqco->nijo", self._windows(X_pad), W)',
           'np.einsum("nijcpq,pqco->nijo", self._windows(X_pad), W[::-1, ::-1])',
           r"Conv2D.forward: Y has wrong values\n.*true convolution.*flipped"),
    Mutant("bias missing", LoopConv2D,
           "axes=([1, 2, 3], [0, 1, 2])) + b", "axes=([1, 2, 3], [0, 1, 2]))",
           r"Conv2D.forward: Y has wrong values\n.*the bias is missing"),
    Mutant("activation not applied", VectorConv2D,
           "return self.activation(Z)", "return Z",
           r"Conv2D.forward: did not apply self.activation"),
    Mutant("db summed without keeping (1, n_out)", VectorConv2D,
           "db = dZ.sum(axis=(0, 1, 2)).reshape(1, -1)", "db = dZ.sum(axis=(0, 1, 2))",
           r"db \(self.gradients\['b'\]\) has shape \(3,\), expected \(1, 3\).*leading axis"),
    Mutant("db summed over the positions only", LoopConv2D,
           "db = dZ.sum(axis=(0, 1, 2)).reshape(1, -1)", "db = dZ.sum(axis=(1, 2))",
           r"db \(self.gradients\['b'\]\) has shape \(2, 3\), expected \(1, 3\).*axes 0, 1 "
           r"and 2"),
    Mutant("db averaged over the batch", VectorConv2D,
           "db = dZ.sum(axis=(0, 1, 2)).reshape(1, -1)",
           "db = dZ.sum(axis=(0, 1, 2)).reshape(1, -1) / dZ.shape[0]",
           r"db is wrong\n.*db is averaged over the batch"),
    Mutant("dW keeps the batch axis", VectorConv2D,
           'dW = np.einsum("nijcpq,nijo->pqco"', 'dW = np.einsum("nijcpq,nijo->npqco"',
           r"dW \(self.gradients\['W'\]\) has shape \(2, 3, 3, 2, 3\).*keeps the batch axis"),
    Mutant("dW reset inside the loop over samples", LoopConv2D,
           "        dW = np.zeros_like(W)\n        for n in range(N):\n",
           "        for n in range(N):\n            dW = np.zeros_like(W)\n",
           r"dW is wrong\n.*dW is the gradient of sample 1 alone"),
    Mutant("dW averaged over the batch", VectorConv2D,
           "self.gradients[\"W\"] = dW", "self.gradients[\"W\"] = dW / X.shape[0]",
           r"dW is wrong\n.*dW is averaged over the batch"),
    Mutant("gradients kept in attributes, not in self.gradients", VectorConv2D,
           'self.gradients["W"] = dW', "self.dW = dW",
           r"self.gradients\['W'\] was not set by backward.*self.dW"),
    Mutant("gradients added into self.gradients", LoopConv2D,
           'self.gradients["W"] = dW', 'self.gradients["W"] += dW',
           r"self.gradients\['W'\] was not set by backward"),
    Mutant("activation backward skipped", LoopConv2D,
           "dZ = self.activation.backward(Z, dLdY)", "dZ = dLdY",
           r"Conv2D.backward: did not call self.activation.backward"),
    Mutant("dX not cropped", VectorConv2D,
           "return dX_pad[:, pr:pr + X.shape[1], pc:pc + X.shape[2], :]", "return dX_pad",
           r"dX has shape \(2, 7, 7, 2\), expected \(2, 5, 5, 2\).*padded input"),
    Mutant("dX cropped with p:-p", LoopConv2D,
           "return dX_pad[:, pr:pr + X.shape[1], pc:pc + X.shape[2], :]",
           "return dX_pad[:, pr:-pr, pc:-pc, :]",
           r"dX has shape \(3, 0, 0, 3\).*p:-p is empty"),
    Mutant("dX through the flipped kernel", LoopConv2D,
           "np.tensordot(W, dZ[n, i, j], axes=([3], [0]))",
           "np.tensordot(W[::-1, ::-1], dZ[n, i, j], axes=([3], [0]))",
           r"dX is wrong\n.*kernel flipped"),
    Mutant("stale cache", VectorConv2D,
           'self.cache["X"] = X\n', 'self.cache["X"] = X if self.cache["X"] is None '
           'else self.cache["X"]\n',
           r"stale"),
    Mutant("parameters re-initialised on every forward", VectorConv2D,
           "        if self.n_in is None:\n            self._init_parameters(X.shape)\n"
           "        W, b = self.parameters",
           "        self._init_parameters(X.shape)\n        W, b = self.parameters",
           r"Conv2D.forward: replaced self.parameters\['W'\].*only while self.n_in is None"),
]

POOL_MUTANTS = [
    Mutant("dX cropped with the column padding for the rows", VectorPool2D,
           "return dX_pad[:, pr:pr + X.shape[1], pc:pc + X.shape[2], :]",
           "return dX_pad[:, pc:pc + X.shape[1], pc:pc + X.shape[2], :]",
           r"dX"),
    Mutant("average used for max", VectorPool2D,
           "Y = windows.max(axis=(4, 5))", "Y = windows.mean(axis=(4, 5))",
           r"Pool2D.forward: Y has wrong values\n.*average of each window.*mode='max'"),
    Mutant("max used for average", LoopPool2D,
           "Y[n, i, j, c] = window.mean()", "Y[n, i, j, c] = window.max()",
           r"Pool2D.forward: Y has wrong values\n.*maximum of each window.*mode='average'"),
    Mutant("max gradient sent to the whole window", VectorPool2D,
           "weights = windows == windows.max(axis=(4, 5), keepdims=True)",
           "weights = np.ones(windows.shape)",
           r"dX is wrong\n.*every entry of the window.*arg-max"),
    Mutant("max gradient spread like the average's", LoopPool2D,
           "dX_pad[n, i * s + r, j * s + q, c] += dLdY[n, i, j, c]",
           "dX_pad[n, i * s:i * s + kh, j * s:j * s + kw, c] += dLdY[n, i, j, c] / (kh * kw)",
           r"dX is wrong\n.*spreads d_out evenly"),
    Mutant("average gradient not divided by the window size", VectorPool2D,
           "weights = np.full(windows.shape, 1.0 / (kh * kw))",
           "weights = np.ones(windows.shape)",
           r"dX is wrong\n.*not divided by the window size: each of the kh\*kw = 4"),
    Mutant("average gradient not divided (loops)", LoopPool2D,
           "dLdY[n, i, j, c] / (kh * kw)", "dLdY[n, i, j, c]",
           r"dX is wrong\n.*not divided by the window size"),
    Mutant("max gradient overwritten (= instead of +=)", LoopPool2D,
           "dX_pad[n, i * s + r, j * s + q, c] += dLdY[n, i, j, c]",
           "dX_pad[n, i * s + r, j * s + q, c] = dLdY[n, i, j, c]",
           r"dX is wrong\n.*windows overlap.*\+= \.\.\. instead of dX\[\.\.\.\] ="),
    Mutant("average gradient overwritten (= instead of +=)", LoopPool2D,
           "dX_pad[n, i * s:i * s + kh, j * s:j * s + kw, c] += \\",
           "dX_pad[n, i * s:i * s + kh, j * s:j * s + kw, c] = \\",
           r"dX is wrong\n.*windows overlap.*instead of dX\[\.\.\.\] ="),
    Mutant("padding left out", VectorPool2D,
           "X_pad = np.pad(X, ((0, 0), (pr, pr), (pc, pc), (0, 0)))\n        windows = "
           "self._windows(X_pad)\n        if self.mode == \"max\":\n            Y",
           "X_pad = X\n        windows = self._windows(X_pad)\n        if self.mode == "
           "\"max\":\n            Y",
           r"Pool2D.forward: Y has shape .*padding is left out"),
    Mutant("dX not cropped", LoopPool2D,
           "return dX_pad[:, pr:pr + X.shape[1], pc:pc + X.shape[2], :]", "return dX_pad",
           r"Pool2D.backward: dX has shape .*padded input"),
    Mutant("average over the real entries only", LoopPool2D,
           "Y[n, i, j, c] = window.mean()",
           "Y[n, i, j, c] = window.sum() / np.count_nonzero(window)",
           r"Pool2D.forward: Y has wrong values\n.*number of real \(unpadded\) entries"),
    Mutant("d_out divided in place", VectorPool2D,
           "weights = np.full(windows.shape, 1.0 / (kh * kw))",
           "dLdY /= kh * kw\n            weights = np.ones(windows.shape)",
           r"Pool2D.backward: changed d_out in place"),
    Mutant("dX accumulated in a buffer kept between calls", VectorPool2D,
           "dX_pad = np.zeros_like(X_pad)",
           'dX_pad = self.cache.setdefault("dX_pad", np.zeros_like(X_pad))',
           r"Pool2D.backward: dX is not linear in d_out.*keep state between calls"),
    Mutant("stale cache", LoopPool2D,
           'self.cache["X"] = X', 'self.cache.setdefault("X", X)',
           r"stale"),
    Mutant("pad='same' split into letters by tuple(pad)", VectorPool2D,
           """        if pad == "same":
            self.pad = ((kernel_shape[0] - 1) // 2, (kernel_shape[1] - 1) // 2)
        elif pad == "valid":
            self.pad = (0, 0)
        else:
            self.pad = (pad, pad) if isinstance(pad, int) else pad
""", "        self.pad = (pad, pad) if isinstance(pad, int) else tuple(pad)\n",
           r"Pool2D.__init__: self.pad is \('s', 'a', 'm', 'e'\) for pad='same'.*letters"),
    # Ties: a window whose maximum is shared by several entries.
    Mutant("tied maxima get no gradient", VectorPool2D,
           "weights = windows == windows.max(axis=(4, 5), keepdims=True)",
           "weights = windows == windows.max(axis=(4, 5), keepdims=True)\n"
           "            weights = weights & (weights.sum(axis=(4, 5), keepdims=True) == 1)",
           r"Pool2D.backward: dX is wrong where [234] entries tie for the maximum of a "
           r"window: together they receive 0 times d_out.*split it evenly"),
    Mutant("a tied window spread like an average", VectorPool2D,
           "weights = windows == windows.max(axis=(4, 5), keepdims=True)",
           "weights = windows == windows.max(axis=(4, 5), keepdims=True)\n"
           "            weights = np.where(weights.sum(axis=(4, 5), keepdims=True) > 1, "
           "1.0 / (kh * kw), weights)",
           r"Pool2D.backward: dX gives gradient to an entry that is not the maximum of its "
           r"window.*window \(\d, \d\) of sample \d, channel \d: X ="),
    Mutant("ties split by the window size", LoopPool2D,
           "r, q = np.unravel_index(np.argmax(window), window.shape)\n"
           "                            dX_pad[n, i * s + r, j * s + q, c] += dLdY[n, i, j, c]",
           "tied = window == window.max()\n"
           "                            dX_pad[n, i * s:i * s + kh, j * s:j * s + kw, c] += "
           "tied * dLdY[n, i, j, c] / (1 if tied.sum() == 1 else kh * kw)",
           r"dX is wrong where [234] entries tie.*together they receive 0\.[0-9]+ times d_out"),
]


MUTANTS = {f"{m.base.__name__}: {m.name}": m for m in CONV_MUTANTS + POOL_MUTANTS}
assert len(MUTANTS) == len(CONV_MUTANTS + POOL_MUTANTS)


def run_quietly(check, cls, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()):
        return check(cls, **kwargs)


@pytest.mark.parametrize("name", list(MUTANTS))
def test_mutant_fails_with_a_named_mistake(name):
    mutant = MUTANTS[name]
    cls = mutant.build()
    with pytest.raises(CheckFailure) as failure:
        run_quietly(mutant.check, cls, speed_case=None)
    message = str(failure.value)
    assert re.search(mutant.message, message, flags=re.S), message
    assert "Likely mistake" in message, message


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_no_false_failure_over_50_seeds(name):
    check, cls = CORRECT[name]
    for seed in range(50):
        # The speed case judges time, not values: once is enough.
        run_quietly(check, cls, seed=seed, **({} if seed == 0 else {"speed_case": None}))


ALTERNATIVES = {
    "gradients written into the arrays in place": (VectorConv2D, [
        ('self.gradients["W"] = dW', 'self.gradients["W"][...] = dW')]),
    "pad resolved in __init__": (VectorConv2D, [
        ("        self.pad = pad\n",
         "        kh, kw = kernel_shape\n        self.pad = {\"same\": ((kh - 1) // 2, "
         "(kw - 1) // 2), \"valid\": (0, 0)}.get(pad, (pad, pad))\n")]),
    "padded input cached instead of X": (VectorConv2D, [
        ('self.cache["X"] = X\n', 'self.cache["X_pad"] = X_pad\n'),
        ('X, Z = self.cache["X"], self.cache["Z"]', 'X_pad, Z = self.cache["X_pad"], '
         'self.cache["Z"]'),
        ("X_pad = np.pad(X, ((0, 0), (pr, pr), (pc, pc), (0, 0)))\n        dW", "dW"),
        ("return dX_pad[:, pr:pr + X.shape[1], pc:pc + X.shape[2], :]",
         "return dX_pad[:, pr:X_pad.shape[1] - pr, pc:X_pad.shape[2] - pc, :]")]),
    "max gradient split evenly among tied maxima": (VectorPool2D, [
        ("weights = windows == windows.max(axis=(4, 5), keepdims=True)",
         "weights = windows == windows.max(axis=(4, 5), keepdims=True)\n"
         "            weights = weights / weights.sum(axis=(4, 5), keepdims=True)")]),
    "max gradient to the last tied maximum": (LoopPool2D, [
        ("r, q = np.unravel_index(np.argmax(window), window.shape)",
         "last = window.size - 1 - np.argmax(window.ravel()[::-1])\n"
         "                            r, q = np.unravel_index(last, window.shape)")]),
    "max pooling with -inf padding": (LoopPool2D, [
        ("X_pad = np.pad(X, ((0, 0), (pr, pr), (pc, pc), (0, 0)))\n        Y =",
         "X_pad = np.pad(X, ((0, 0), (pr, pr), (pc, pc), (0, 0)), constant_values=-np.inf "
         "if self.mode == 'max' else 0)\n        Y =")]),
}


@pytest.mark.parametrize("name", sorted(ALTERNATIVES))
def test_correct_alternative_passes(name):
    base, replacements = ALTERNATIVES[name]
    cls = patched(base, *replacements)
    check = check_conv2d if issubclass(base, VectorConv2D) else check_pool2d
    for seed in range(3):
        run_quietly(check, cls, seed=seed)


def test_vector_and_loop_versions_agree():
    """The test's own implementations agree with each other (with the framework's Linear)."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((2, 7, 6, 3))
    for pad, stride in [("same", 1), ("valid", 2), (1, 2)]:
        vector = VectorConv2D(4, (3, 2), Linear(), stride=stride, pad=pad)
        loop = LoopConv2D(4, (3, 2), Linear(), stride=stride, pad=pad)
        vector._init_parameters(X.shape)
        loop._init_parameters(X.shape)
        for key in ("W", "b"):
            loop.parameters[key] = vector.parameters[key] = rng.standard_normal(
                vector.parameters[key].shape)
        Y = vector.forward(X)
        np.testing.assert_allclose(loop.forward(X), Y)
        dY = rng.standard_normal(Y.shape)
        np.testing.assert_allclose(loop.backward(dY), vector.backward(dY))
        for key in ("W", "b"):
            np.testing.assert_allclose(loop.gradients[key], vector.gradients[key])
    X = rng.permutation(2 * 5 * 6 * 2).reshape(2, 5, 6, 2) / 10.0
    for mode in ("max", "average"):
        vector, loop = VectorPool2D((3, 2), mode, 2, 1), LoopPool2D((3, 2), mode, 2, 1)
        Y = vector.forward(X)
        np.testing.assert_allclose(loop.forward(X), Y)
        dY = rng.standard_normal(Y.shape)
        np.testing.assert_allclose(loop.backward(dY), vector.backward(dY))


def test_checks_print_success_return_none_and_stay_off_stderr(capsys):
    np.random.seed(5)
    expected_next = np.random.rand()
    np.random.seed(5)
    with np.errstate(all="warn"):
        for check, cls in CORRECT.values():
            assert check(cls) is None
    assert np.random.rand() == expected_next
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.count("All checks passed successfully!") == len(CORRECT)


def test_failures_stay_off_stderr(capsys):
    with np.errstate(all="warn"):
        for mutant in (MUTANTS["VectorConv2D: kernel flipped (a true convolution)"],
                       MUTANTS["LoopPool2D: max gradient overwritten (= instead of +=)"]):
            with pytest.raises(CheckFailure):
                mutant.check(mutant.build(), speed_case=None)
    assert capsys.readouterr().err == ""


def test_an_instance_instead_of_the_class_is_explained():
    with pytest.raises(CheckFailure, match="expected the class Conv2D"):
        check_conv2d(VectorConv2D(3, (3, 3), Linear()))


# ---------------------------------------------------------------------------------------
# Time limits
# ---------------------------------------------------------------------------------------


class SleepyConv2D(VectorConv2D):
    """Sleeps in every forward: the first call must be stopped at the per-call limit."""

    def forward(self, X):
        time.sleep(30)
        return super().forward(X)


def slow_on_big_batches(base, seconds):
    class Slow(base):
        def forward(self, X):
            if X.shape[0] >= 8:
                time.sleep(seconds)
            return super().forward(X)

    return Slow


def test_a_hanging_forward_is_stopped_at_the_call_limit():
    start = time.monotonic()
    with pytest.raises(CheckFailure) as failure:
        run_quietly(check_conv2d, SleepyConv2D, time_limit=0.5)
    assert time.monotonic() - start < 5
    message = str(failure.value)
    assert re.search(r"Conv2D.forward: took more than 0.5 s on X of shape \(2, 5, 5, 2\) "
                     r"with Conv2D\(.*and was stopped.*vectorise over the batch", message,
                     flags=re.S), message


def test_default_limits_bound_a_hanging_check():
    start = time.monotonic()
    with pytest.raises(CheckFailure, match="took more than 2 s"):
        run_quietly(check_conv2d, SleepyConv2D)
    assert time.monotonic() - start < 6


@pytest.mark.parametrize("base, check", [(VectorConv2D, check_conv2d),
                                         (VectorPool2D, check_pool2d)])
def test_slow_on_the_speed_case_fails_with_advice(base, check):
    start = time.monotonic()
    with pytest.raises(CheckFailure) as failure:
        run_quietly(check, slow_on_big_batches(base, 3.0), speed_limit=0.3)
    assert time.monotonic() - start < 5
    message = str(failure.value)
    assert re.search(r"forward: took more than 0.3 s on X of shape \(8, 16, 16, \d\).*"
                     r"vectorise over the batch and the channels: loop only over", message,
                     flags=re.S), message


def test_the_total_budget_bounds_the_whole_check():
    class Dawdling(VectorConv2D):
        def forward(self, X):
            time.sleep(0.05)
            return super().forward(X)

    start = time.monotonic()
    with pytest.raises(CheckFailure, match=r"used up the 0.3 s it may spend in your code"):
        run_quietly(check_conv2d, Dawdling, total_limit=0.3)
    assert time.monotonic() - start < 3


def test_alarm_handler_and_an_outer_timer_are_restored():
    def outer(signum, frame):
        raise AssertionError("the outer timer rang during the check")

    previous = signal.signal(signal.SIGALRM, outer)
    try:
        signal.setitimer(signal.ITIMER_REAL, 100.0)
        run_quietly(check_pool2d, VectorPool2D)
        with pytest.raises(CheckFailure):
            run_quietly(check_conv2d, SleepyConv2D, time_limit=0.2)
        assert signal.getsignal(signal.SIGALRM) is outer
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 90 < left < 100
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_outside_the_main_thread_checks_run_and_judge_time_afterwards():
    results = {}

    def run():
        try:
            run_quietly(check_conv2d, LoopConv2D, speed_case=None)
            results["correct"] = "passed"
            run_quietly(check_conv2d, slow_on_big_batches(VectorConv2D, 0.4),
                        speed_limit=0.2)
            results["slow"] = "passed"
        except CheckFailure as failure:
            results["slow"] = str(failure)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert results.get("correct") == "passed"
    assert re.search(r"Conv2D.forward: took \d+\.\d\d s on X of shape \(8, 16, 16, 3\).*"
                     r"the limit is 0.2 s per call", results.get("slow", ""), flags=re.S), \
        results


def test_custom_cases_are_accepted():
    run_quietly(check_conv2d, LoopConv2D, cases=[ConvCase(1, 4, 4, 1, 1, (1, 1), 1, 0)],
                speed_case=None)
    run_quietly(check_pool2d, LoopPool2D, cases=[("average", 1, 3, 3, 1, (3, 3), 1, 0)],
                speed_case=None)


# ---------------------------------------------------------------------------------------
# Ties in max pooling, and pad="same"
# ---------------------------------------------------------------------------------------


def test_the_tie_input_has_unique_tied_and_all_zero_windows():
    case = POOL_TIE_CASE
    X = _tied_values(np.random.default_rng(0), case.x_shape())
    windows = sliding_window_view(X, case.kernel, axis=(1, 2))[:, ::2, ::2]
    counts = (windows == windows.max(axis=(4, 5), keepdims=True)).sum(axis=(4, 5))
    assert {1, 2, 4} <= set(counts.ravel().tolist())
    assert np.all(windows[0, 0, 0] == 0)  # a window of zeros, as after a ReLU


def tie_gradient(cls, d_seed=1):
    case = POOL_TIE_CASE
    X = _tied_values(np.random.default_rng(0), case.x_shape())
    layer = cls(case.kernel, "max", case.stride, case.pad)
    Y = layer.forward(X)
    return layer.backward(np.random.default_rng(d_seed).standard_normal(Y.shape))


def test_every_tie_convention_passes_and_they_really_differ():
    """One maximum (LoopPool2D), every tied maximum (VectorPool2D) and an even split give
    different dX on tied windows; the check accepts all three."""
    split, _ = ALTERNATIVES["max gradient split evenly among tied maxima"]
    split = patched(split, *ALTERNATIVES["max gradient split evenly among tied maxima"][1])
    gradients = [tie_gradient(cls) for cls in (LoopPool2D, VectorPool2D, split)]
    for a in range(3):
        for b in range(a + 1, 3):
            assert not np.allclose(gradients[a], gradients[b])
    for cls in (LoopPool2D, VectorPool2D, split):
        run_quietly(check_pool2d, cls, speed_case=None)


def test_pool_same_padding_keeps_the_size_for_odd_kernels():
    X = np.random.default_rng(0).permutation(2 * 5 * 4 * 2).reshape(2, 5, 4, 2) / 10.0
    assert VectorPool2D((3, 3), "max", 1, "same").forward(X).shape == X.shape
    assert VectorPool2D((2, 2), "max", 1, "same").forward(X).shape == (2, 4, 3, 2)
    assert any(case.pad == "same" for case in POOL_CASES)
