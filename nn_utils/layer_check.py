"""The generic check of one layer object with ``forward(...)`` and ``backward(d_out)``.

A check runs in this order and stops at the first problem, so the message is about the
most basic thing that is wrong:

1. forward returns the right type, shape and dtype;
2. forward leaves its arguments untouched;
3. forward's values match the reference (with a diagnosis when they do not);
4. backward returns one gradient per argument with the argument's shape and dtype;
5. backward leaves d_out and the cached inputs untouched;
6. every gradient agrees with central differences along random directions, for a random
   upstream gradient; a failure is localised entry by entry and diagnosed;
7. backward is linear in d_out;
8. backward uses the cache of the latest forward, not an earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from .diagnosis import count_wrong, likely_mistake, worst_entries
from .errors import CheckFailure, fail
from .gradient_report import explain_gradient
from .gradients import directional_check
from .integrity import refuse_universal_equality
from .samples import upstream_gradient

Args = Mapping[str, np.ndarray]


@dataclass
class LayerSpec:
    """How to drive and judge one kind of layer.

    Attributes:
        name: the class name used in messages, e.g. "Affine".
        inputs: forward's positional argument names, in order.
        output: the name of forward's result, e.g. "out" or "loss".
        gradients: backward's results in order; each is the name of the gradient
            (e.g. "d_weight"). A single name means backward returns one array.
        differentiates: gradient name -> the input it is the gradient of. Gradients
            missing here (such as d_labels) are not checked.
        reference: the expected forward output for a dict of inputs.
        shapes: symbolic shapes for messages, e.g. {"inputs": "(N, D)"}.
        scalar_output: forward returns a Python float (a loss).
        known_mistakes: optional function (args, upstream) -> {gradient or output name:
            [(value, advice), ...]} of recognisable wrong answers.
        batch_axis_size: function args -> N, for the factor-of-N diagnosis.
        call_forward: for layers that own their parameters, a function (layer, args)
            that installs the parameters from ``args`` and returns forward's output.
            By default forward is called with the inputs as positional arguments.
        call_backward: likewise, a function (layer, d_out, args) returning
            {gradient name: value}, e.g. reading ``layer.gradients``. By default
            backward(d_out) returns the gradients in the order of ``gradients``.
        separator: between name and method in messages: "Affine.backward", or
            "relu_backward" for cs231n's function pairs.
    """

    name: str
    inputs: tuple
    output: str
    gradients: tuple
    differentiates: dict
    reference: Callable[[Args], Any]
    shapes: dict = field(default_factory=dict)
    scalar_output: bool = False
    known_mistakes: Callable[[Args, Any], dict] | None = None
    batch_axis_size: Callable[[Args], int] | None = None
    call_forward: Callable[[Any, Args], Any] | None = None
    call_backward: Callable[[Any, Any, Args], dict] | None = None
    separator: str = "."  # "_" for function pairs, so messages read "relu_backward"

    def where(self, method: str) -> str:
        return f"{self.name}{self.separator}{method}"

    def shape_note(self, args: Args) -> str:
        parts = [f"{k} {tuple(v.shape)}" for k, v in args.items()]
        return "Shapes in this check: " + ", ".join(parts)


def describe_upstream(upstream) -> str:
    if np.ndim(upstream) == 0:
        return f"d_out = {float(upstream):.4g} (a number)"
    return f"d_out {np.shape(upstream)}"


def copy_args(args: Args) -> dict:
    return {k: np.array(v, copy=True) for k, v in args.items()}


def arrays_in(value) -> list:
    """The numpy arrays in a cache: an array, or a tuple/list/dict of them."""
    if isinstance(value, np.ndarray):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (tuple, list)):
        return [v for v in value if isinstance(v, np.ndarray)]
    return []


def call_student(where: str, function, *args, note: str = ""):
    """Call student code, turning any exception into a CheckFailure that says where."""
    try:
        result = function(*args)
    except CheckFailure:
        raise
    except Exception as error:  # any bug in student code is reported, not propagated raw
        details = [f"  {line}" for line in note.splitlines()]
        raise CheckFailure(
            "\n".join([f"{where} raised {type(error).__name__}: {error}", *details])
        ) from error
    refuse_universal_equality(where, result)
    return result


class LayerCheck:
    """Runs the probes of the module docstring against one student layer object."""

    def __init__(self, spec: LayerSpec, layer, make_args: Callable[[np.random.Generator], dict],
                 rng: np.random.Generator):
        self.spec = spec
        self.layer = layer
        self.make_args = make_args
        self.rng = rng

    # -- calling the student's object -------------------------------------------------

    def _run_forward(self, passed: dict):
        """Call the student's forward on exactly these arrays (so mutations show)."""
        spec = self.spec
        note = spec.shape_note(passed)
        if spec.call_forward is not None:
            return call_student(spec.where("forward"), spec.call_forward, self.layer, passed,
                                note=note)
        return call_student(spec.where("forward"), self.layer.forward,
                            *[passed[name] for name in spec.inputs], note=note)

    def _run_backward(self, upstream, latest_args: Args) -> dict:
        spec = self.spec
        note = self._backward_note(upstream, latest_args)
        if spec.call_backward is not None:
            return call_student(spec.where("backward"), spec.call_backward, self.layer,
                                upstream, latest_args, note=note)
        return self._unpack_gradients(
            call_student(spec.where("backward"), self.layer.backward, upstream, note=note))

    def forward(self, args: Args):
        return self._run_forward(copy_args(args))

    def backward(self, upstream, latest_args: Args):
        return self._run_backward(upstream, latest_args)

    def _backward_note(self, upstream, latest_args: Args | None) -> str:
        """What to say when backward raises: a stale cache, or the shapes involved."""
        spec = self.spec
        lines = []
        if latest_args is not None:
            cached = {a.shape for a in arrays_in(getattr(self.layer, "cache", None))}
            latest = {np.shape(a) for a in latest_args.values()}
            if cached and not cached & latest:
                lines.append(
                    "Likely mistake: self.cache holds arrays of shapes "
                    f"{sorted(cached)}, none of which matches an input of the latest "
                    f"forward call (shapes {sorted(latest)}). If they come from an earlier "
                    "call, the cache is stale: store what backward needs in self.cache on "
                    "every forward call.")
            lines.append(spec.shape_note(latest_args) + ", " + describe_upstream(upstream))
        wanted = [f"{g} {spec.shapes.get(i, '')}".rstrip() for g, i in spec.differentiates.items()]
        lines.append("backward must return " + ", ".join(wanted) + ". A shape error inside "
                     "backward usually means a missing .T: write the shape of each operand "
                     "next to every product.")
        return "\n".join(lines)

    def _unpack_gradients(self, result) -> dict:
        spec = self.spec
        if len(spec.gradients) == 1:
            return {spec.gradients[0]: result}
        if not isinstance(result, (tuple, list)) or len(result) != len(spec.gradients):
            fail(spec.where("backward"),
                 f"returned {type(result).__name__}"
                 + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""),
                 f"return a tuple ({', '.join(spec.gradients)}).")
        return dict(zip(spec.gradients, result))

    def gradients_at(self, args: Args, upstream) -> dict:
        """Run forward then backward; return the checked gradients as float64 arrays."""
        self.forward(args)
        grads = self.backward(upstream, args)
        return {g: np.asarray(grads[g], dtype=np.float64) for g in self.spec.differentiates}

    def evaluate(self, args: Args):
        """The function whose gradient backward must return, for finite differences.

        It is the reference forward, not the student's: forward was already checked
        against it, and a forward that differs by a harmless epsilon (log(p + 1e-12))
        must not make a correct backward look wrong.
        """
        return np.asarray(self.spec.reference(args), dtype=np.float64)

    # -- the probes ----------------------------------------------------------------------

    def run(self) -> None:
        args = self.make_args(self.rng)
        upstream = self.upstream(args)
        self.check_forward(args)
        grads = self.check_backward_outputs(args, upstream)
        self._check_gradients(args, upstream, grads)
        self._check_linearity(args)
        self._check_stale_cache(args)

    def upstream(self, args: Args):
        """A random upstream gradient shaped like the layer's output for ``args``."""
        if self.spec.scalar_output:
            return upstream_gradient(self.rng)
        return upstream_gradient(self.rng, np.shape(self.spec.reference(args)))

    def check_forward(self, args: Args):
        """Fail unless forward on ``args`` returns the reference output (and leaves the
        inputs alone); return what it returned."""
        spec = self.spec
        where = spec.where("forward")
        before = copy_args(args)
        passed = copy_args(args)
        out = self._run_forward(passed)
        expected = spec.reference(args)

        if spec.scalar_output:
            if isinstance(out, np.ndarray) or not isinstance(out, (float, np.floating)):
                fail(where, f"returned {spec.output} of type {type(out).__name__}",
                     f"return a single Python float, e.g. float(np.mean(...)) "
                     f"or loss.item(). {spec.output} must not be an array.")
        else:
            if not isinstance(out, np.ndarray):
                fail(where, f"returned {type(out).__name__}, expected a numpy array "
                     f"{spec.output} of shape {np.shape(expected)}")
            if out.shape != np.shape(expected):
                fail(where, f"{spec.output} has shape {out.shape}, expected "
                     f"{np.shape(expected)} = {spec.shapes.get(spec.output, '')}".rstrip(" ="),
                     self._shape_hint(out.shape, np.shape(expected)),
                     [spec.shape_note(args)])
            if out.dtype != np.float64:
                fail(where, f"{spec.output} has dtype {out.dtype}, expected float64",
                     "keep float64 throughout: do not cast to float32 or int.")

        for name in spec.inputs:
            if not np.array_equal(passed[name], before[name], equal_nan=True):
                fail(where, f"changed its argument `{name}` in place",
                     "a layer must not modify its inputs: work on a copy or build a new "
                     "array (e.g. np.maximum(0, x) instead of x[x < 0] = 0).")

        got = np.asarray(out, dtype=np.float64)
        want = np.asarray(expected, dtype=np.float64)
        if not np.allclose(got, want, rtol=1e-6, atol=1e-9):
            known = self._known(args, None).get(spec.output, [])
            hint = likely_mistake(spec.output, got, want, batch_size=self._n(args),
                                  known_mistakes=known)
            details = [spec.shape_note(args)]
            if got.ndim:
                indices = [np.unravel_index(i, got.shape) for i in range(got.size)]
                details += [f"{count_wrong(got, want)} of {got.size} entries are wrong."]
                details += worst_entries(spec.output, got, want, indices)
            else:
                details += [f"yours {float(got):.8g}, expected {float(want):.8g}"]
            fail(where, f"{spec.output} has wrong values", hint, details)
        return out

    def check_backward_outputs(self, args: Args, upstream) -> dict:
        """Fail unless backward, given ``upstream`` after a forward on ``args``, returns
        one gradient per input and parameter, each shaped like what it is the gradient
        of; return them by name. Their values are judged by ``run``."""
        spec = self.spec
        where = spec.where("backward")
        passed = copy_args(args)
        self._run_forward(passed)
        upstream_before = np.array(upstream, copy=True)
        upstream_passed = np.array(upstream, copy=True) if np.ndim(upstream) else upstream
        raw = self._run_backward(upstream_passed, passed)
        if np.ndim(upstream) and not np.array_equal(upstream_passed, upstream_before):
            fail(where, "changed d_out in place",
                 "d_out belongs to the caller (the next layer up may reuse it): "
                 "compute d_inputs = d_out * mask instead of writing into d_out.")
        for name in spec.inputs:
            if not np.array_equal(passed[name], args[name], equal_nan=True):
                fail(where, f"changed `{name}` (cached by forward) in place",
                     "backward must not write into the arrays it cached: the caller "
                     "still owns them. Build new arrays instead.")
        grads = {}
        for grad_name, input_name in spec.differentiates.items():
            value = raw[grad_name]
            expected_shape = np.shape(args[input_name])
            if not isinstance(value, np.ndarray):
                fail(where, f"{grad_name} is {type(value).__name__}, expected an array of "
                     f"shape {expected_shape}")
            if value.shape != expected_shape:
                symbolic = spec.shapes.get(input_name, "")
                fail(where, f"{grad_name} has shape {value.shape}, expected {expected_shape}"
                     + (f" = {symbolic}, the shape of {input_name}" if symbolic else ""),
                     self._shape_hint(value.shape, expected_shape),
                     [spec.shape_note(args) + ", " + describe_upstream(upstream)])
            if not np.issubdtype(value.dtype, np.floating):
                fail(where, f"{grad_name} has dtype {value.dtype}, expected float64",
                     "a boolean or integer mask must be multiplied by d_out, "
                     "which gives floats.")
            grads[grad_name] = np.asarray(value, dtype=np.float64)
        return grads

    def _check_gradients(self, args: Args, upstream, grads: dict) -> None:
        spec = self.spec
        inputs_of = spec.differentiates
        analytic = {inputs_of[g]: grads[g] for g in grads}
        results = directional_check(self.evaluate, args, analytic, upstream, self.rng)
        failing = [g for g in grads if not results[inputs_of[g]].passed]
        if not failing:
            return
        grad_name = failing[0]
        input_name = inputs_of[grad_name]
        hint, details, _ = explain_gradient(
            self.evaluate, args, input_name, grad_name, grads[grad_name], upstream, self.rng,
            batch_size=self._n(args),
            known_mistakes=self._known(args, upstream).get(grad_name, []))
        details.append(spec.shape_note(args) + ", " + describe_upstream(upstream))
        if failing[1:]:
            details.append("Also wrong: " + ", ".join(failing[1:]) + ".")
        fail(spec.where("backward"), f"{grad_name} is wrong", hint, details)

    def _check_linearity(self, args: Args) -> None:
        spec = self.spec
        first, second = self.upstream(args), self.upstream(args)
        a, b = 0.7, -1.3
        g1 = self.gradients_at(args, first)
        g2 = self.gradients_at(args, second)
        mixed = a * np.asarray(first) + b * np.asarray(second)
        g12 = self.gradients_at(args, float(mixed) if spec.scalar_output else mixed)
        for name in g1:
            if not np.allclose(g12[name], a * g1[name] + b * g2[name], rtol=1e-6, atol=1e-9):
                fail(spec.where("backward"), f"{name} is not linear in d_out",
                     "backward(a*u + b*v) must equal a*backward(u) + b*backward(v). "
                     "Does backward keep state between calls (e.g. += into an "
                     "attribute) or use d_out in a nonlinear way?")

    def _check_stale_cache(self, args: Args) -> None:
        """forward(x1), forward(x2), backward: the gradients must be those at x2.

        They are judged against finite differences at x2, not against another run of
        the same object, because a cache stuck at the very first call would make every
        run agree with every other.
        """
        spec = self.spec
        other = self.make_args(self.rng)
        upstream = self.upstream(other)
        self.forward(args)
        self.forward(other)
        after_two = {g: np.asarray(v, dtype=np.float64)
                     for g, v in self.backward(upstream, other).items()
                     if g in spec.differentiates}
        analytic = {spec.differentiates[g]: v for g, v in after_two.items()}
        results = directional_check(self.evaluate, other, analytic, upstream, self.rng)
        for name, input_name in spec.differentiates.items():
            if not results[input_name].passed:
                fail(spec.where("backward"), f"{name} came from a stale cache",
                     "after forward(x1) and then forward(x2), backward must use x2. "
                     "Store what backward needs in self.cache on every forward call.")

    # -- helpers ----------------------------------------------------------------------

    def _known(self, args: Args, upstream) -> dict:
        if self.spec.known_mistakes is None:
            return {}
        return self.spec.known_mistakes(args, upstream)

    def _n(self, args: Args):
        return self.spec.batch_axis_size(args) if self.spec.batch_axis_size else None

    @staticmethod
    def _shape_hint(got_shape, want_shape) -> str | None:
        if tuple(got_shape) == tuple(want_shape)[::-1]:
            return "the result is transposed: check which operand needs .T."
        if len(got_shape) == len(want_shape) - 1 or len(got_shape) < len(want_shape):
            return "did you sum over the wrong axis, or drop a dimension?"
        if len(got_shape) == len(want_shape):
            return ("did you sum over the wrong axis, or multiply the operands in the "
                    "wrong order?")
        return None


# Inputs with exact zeros, and an upstream gradient whose entries are all nonzero.
KINK_INPUTS = np.array([[-1.5, 0.0, 2.0], [0.0, 0.5, -0.0]])
KINK_UPSTREAM = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def check_blocked_at_kink(where: str, gradient: str, inputs: str, gradient_at) -> None:
    """A ReLU's gradient must be 0 where its input is exactly 0, the convention the
    notebooks state; finite differences cannot judge that point, so the rule itself is
    checked. ``gradient_at(inputs, upstream)`` runs the student's forward and backward
    (through call_student) and returns the gradient with respect to the inputs."""
    got = gradient_at(KINK_INPUTS.copy(), KINK_UPSTREAM.copy())
    at_kink = np.asarray(got, dtype=np.float64)[KINK_INPUTS == 0]
    if np.any(at_kink != 0):
        fail(where, f"{gradient} is {at_kink.tolist()} where {inputs} == 0, expected 0 there",
             f"the derivative at exactly 0 is taken to be 0: use the mask ({inputs} > 0), "
             f"not ({inputs} >= 0).")


def check_layer(spec: LayerSpec, layer, make_args, seed: int) -> None:
    """Run every probe on ``layer``; raise CheckFailure at the first problem."""
    LayerCheck(spec, layer, make_args, np.random.default_rng(seed)).run()


class FunctionalLayer:
    """Adapts cs231n-style functions to the layer protocol the checks drive.

    ``forward(*inputs) -> (out, cache)`` and ``backward(dout, cache) -> gradients``
    become an object whose ``forward`` keeps the cache and whose ``backward(dout)``
    passes it back, so the same probes apply (a stale cache shows up as a function
    that reads something other than the cache it is given).
    """

    def __init__(self, forward, backward, name: str):
        self._forward, self._backward, self.name = forward, backward, name
        self.cache = None

    def forward(self, *inputs):
        result = self._forward(*inputs)
        if not isinstance(result, tuple) or len(result) != 2:
            fail(f"{self._forward.__name__}", f"returned {type(result).__name__}",
                 "return the pair (out, cache).")
        out, self.cache = result
        return out

    def backward(self, dout):
        return self._backward(dout, self.cache)
