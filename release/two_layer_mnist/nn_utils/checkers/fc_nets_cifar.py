"""Checkers for the fc_nets_cifar assignment's layer functions (cs231n style).

Each layer is a pair of functions: ``*_forward(...) -> (out, cache)`` and
``*_backward(dout, cache) -> gradients``. Inputs to an affine layer may have any number
of feature axes, (N, d_1, ..., d_k), flattened to D = d_1 * ... * d_k.
"""

from __future__ import annotations

import numpy as np

from ..checking import checker
from ..diagnosis import likely_mistake
from ..errors import fail
from ..layer_check import FunctionalLayer, LayerSpec, call_student, check_layer
from ..samples import away_from_zero, gaussian


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
)

RELU = LayerSpec(
    name="relu",
    inputs=("x",),
    output="out",
    gradients=("dx",),
    differentiates={"dx": "x"},
    reference=lambda a: np.maximum(0.0, a["x"]),
    shapes={"x": "any shape", "out": "the shape of x"},
)

AFFINE_RELU = LayerSpec(
    name="affine_relu",
    inputs=("x", "w", "b"),
    output="out",
    gradients=("dx", "dw", "db"),
    differentiates={"dx": "x", "dw": "w", "db": "b"},
    reference=lambda a: np.maximum(0.0, _flat(a["x"]) @ a["w"] + a["b"]),
    shapes=AFFINE.shapes,
    batch_axis_size=lambda a: a["x"].shape[0],
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


@checker
def check_relu_functions(relu_forward, relu_backward, seed: int = 0,
                         shapes=((5, 4), (2, 3, 4))):
    """Check relu_forward and relu_backward on inputs kept away from the kink at 0."""
    for i, shape in enumerate(shapes):
        layer = FunctionalLayer(relu_forward, relu_backward, "relu")
        check_layer(RELU, layer, lambda rng, shape=shape: {"x": away_from_zero(rng, shape)},
                    seed=seed * 1000 + i)


@checker
def check_affine_relu_functions(affine_relu_forward, affine_relu_backward, seed: int = 0,
                                shapes=((2, (3, 4), 10), (5, (6,), 3))):
    """Check the affine_relu sandwich layer: forward and backward through both parts."""
    for i, (n, dims, m) in enumerate(shapes):
        def make(rng, n=n, dims=dims, m=m):
            d = int(np.prod(dims))
            while True:  # keep every pre-activation away from the ReLU's kink
                args = {"x": gaussian(rng, (n, *dims)), "w": gaussian(rng, (d, m)),
                        "b": gaussian(rng, (m,))}
                if np.min(np.abs(_flat(args["x"]) @ args["w"] + args["b"])) > 1e-2:
                    return args

        layer = FunctionalLayer(affine_relu_forward, affine_relu_backward, "affine_relu")
        check_layer(AFFINE_RELU, layer, make, seed=seed * 1000 + i)
