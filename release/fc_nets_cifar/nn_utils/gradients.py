"""Numerical gradients.

Two families live here:

* the cs231n-compatible helpers that homework code calls directly
  (``eval_numerical_gradient``, ``eval_numerical_gradient_array``, ``rel_error``);
  they visit every entry, so they cost two evaluations per entry;
* the directional check the kit's checkers use: central differences along a few random
  directions, whose cost does not grow with the number of parameters, plus an
  entrywise probe used only to localise a failure.

Every function works in float64; a gradient check in float32 cannot tell a bug from
rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

# Central differences with this step in float64 leave a truncation error near h**2 and a
# rounding error near eps / h: both far below the tolerances used here.
DEFAULT_STEP = 1e-5


def eval_numerical_gradient(f, x, verbose=True, h=DEFAULT_STEP):
    """Numerical gradient of a scalar function ``f`` at ``x``, one entry at a time.

    Args:
        f: function of one array argument returning a number.
        x: float array of any shape. It is perturbed *in place* and restored after each
            entry, so ``f`` may ignore its argument and read ``x`` from elsewhere (for
            example a model's parameter dictionary).
        verbose: print each index and its gradient as it is computed.
        h: finite-difference step.

    Returns:
        grad: array of the same shape as ``x``.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        original = x[ix]
        x[ix] = original + h
        f_plus = f(x)
        x[ix] = original - h
        f_minus = f(x)
        x[ix] = original
        grad[ix] = (f_plus - f_minus) / (2 * h)
        if verbose:
            print(ix, grad[ix])
        it.iternext()
    return grad


def eval_numerical_gradient_array(f, x, df, h=DEFAULT_STEP):
    """Numerical gradient of ``sum(f(x) * df)`` with respect to ``x``.

    This is the gradient a backward pass returns when it receives the upstream gradient
    ``df``.

    Args:
        f: function of one array argument returning an array (shape of ``df``).
        x: float array of any shape, perturbed in place and restored, as above.
        df: upstream gradient, same shape as ``f(x)``.
        h: finite-difference step.

    Returns:
        grad: array of the same shape as ``x``.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        original = x[ix]
        x[ix] = original + h
        pos = np.array(f(x), dtype=np.float64, copy=True)
        x[ix] = original - h
        neg = np.array(f(x), dtype=np.float64, copy=True)
        x[ix] = original
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
        it.iternext()
    return grad


def rel_error(x, y):
    """Largest relative difference between two arrays, floored to avoid 0 / 0."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


# ---------------------------------------------------------------------------------------
# The directional check
# ---------------------------------------------------------------------------------------

Evaluate = Callable[[Mapping[str, np.ndarray]], np.ndarray]


def weighted_output(evaluate: Evaluate, args: Mapping[str, np.ndarray], upstream) -> float:
    """The scalar ``sum(upstream * evaluate(args))`` whose gradient a backward returns."""
    out = np.asarray(evaluate(args), dtype=np.float64)
    return float(np.sum(np.asarray(upstream, dtype=np.float64) * out))


def _with_entry(args, name, value):
    changed = dict(args)
    changed[name] = value
    return changed


@dataclass(frozen=True)
class DirectionalResult:
    """Outcome of comparing one analytic gradient with central differences."""

    name: str
    numerical: tuple  # directional derivatives measured by finite differences
    analytic: tuple  # the same derivatives predicted by the analytic gradient
    passed: bool


def directional_check(
    evaluate: Evaluate,
    args: Mapping[str, np.ndarray],
    analytic: Mapping[str, np.ndarray],
    upstream,
    rng: np.random.Generator,
    directions: int = 3,
    h: float = DEFAULT_STEP,
    rtol: float = 1e-6,
) -> dict[str, DirectionalResult]:
    """Check analytic gradients along random directions.

    For each name in ``analytic`` and each random unit-variance direction ``v`` of that
    argument's shape, compare ``(L(x + h v) - L(x - h v)) / 2h`` with ``<grad, v>``,
    where ``L = sum(upstream * evaluate(args))``. A wrong gradient disagrees along a
    random direction with probability one, and the cost is ``2 * directions``
    evaluations per argument whatever its size.

    Args:
        evaluate: function of a dict of arrays returning the layer output.
        args: the point at which to check, name -> float64 array.
        analytic: name -> analytic gradient (same shape as ``args[name]``).
        upstream: the upstream gradient used to produce ``analytic``.
        rng: source of the directions (seeded by the caller, so verdicts repeat).

    Returns:
        name -> DirectionalResult.
    """
    results = {}
    for name, grad in analytic.items():
        x = args[name]
        numerical, predicted, passed = [], [], True
        for _ in range(directions):
            v = rng.standard_normal(x.shape)
            plus = weighted_output(evaluate, _with_entry(args, name, x + h * v), upstream)
            minus = weighted_output(evaluate, _with_entry(args, name, x - h * v), upstream)
            num = (plus - minus) / (2 * h)
            ana = float(np.sum(grad * v))
            # Rounding in L itself, amplified by the 1/2h of the difference quotient.
            noise = 64 * np.finfo(np.float64).eps * (abs(plus) + abs(minus) + 1.0) / h
            if not abs(num - ana) <= rtol * (abs(num) + abs(ana)) + noise:
                passed = False
            numerical.append(num)
            predicted.append(ana)
        results[name] = DirectionalResult(name, tuple(numerical), tuple(predicted), passed)
    return results


def sample_indices(shape, rng: np.random.Generator, limit: int = 400) -> list[tuple]:
    """All multi-indices of ``shape`` when there are at most ``limit``, else a sample."""
    size = int(np.prod(shape))
    flat = np.arange(size) if size <= limit else np.sort(rng.choice(size, limit, replace=False))
    return [tuple(int(i) for i in np.unravel_index(f, shape)) for f in flat]


def entrywise_derivatives(
    evaluate: Evaluate,
    args: Mapping[str, np.ndarray],
    name: str,
    indices: list[tuple],
    h: float = DEFAULT_STEP,
) -> list[np.ndarray]:
    """d output / d args[name][index] for each index, by central differences.

    Returns the whole derivative of the output for each entry, so the caller can form the
    gradient for any upstream gradient (the real one, or all ones to see whether a
    backward ignores it).
    """
    x = args[name]
    derivatives = []
    for index in indices:
        plus, minus = x.copy(), x.copy()
        plus[index] += h
        minus[index] -= h
        out_plus = np.asarray(evaluate(_with_entry(args, name, plus)), dtype=np.float64)
        out_minus = np.asarray(evaluate(_with_entry(args, name, minus)), dtype=np.float64)
        derivatives.append((out_plus - out_minus) / (2 * h))
    return derivatives
