"""Name the likely mistake behind a wrong tensor.

Given what the student's code returned and what it should have returned (on the same
entries), recognise the usual patterns of a wrong backward or forward pass: a flipped
sign, a missing or doubled 1/N, a transposed matrix, all zeros, an ignored upstream
gradient, overflow, or a mistake the caller knows by name.
"""

from __future__ import annotations

import numpy as np


def _close(a, b, rtol=1e-5) -> bool:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return False
    scale = max(float(np.max(np.abs(b), initial=0.0)), 1e-12)
    return bool(np.all(np.abs(a - b) <= rtol * np.abs(b) + 1e-7 * scale))


def likely_mistake(
    name: str,
    got,
    want,
    *,
    batch_size: int | None = None,
    if_upstream_ignored=None,
    known_mistakes=(),
) -> str | None:
    """The most likely mistake that turns ``want`` into ``got``, or None.

    Args:
        name: the tensor's name for the message, e.g. "d_weight".
        got, want: arrays of the same shape (whole tensors, or the same sampled entries).
        batch_size: N, to recognise a missing or doubled 1/N.
        if_upstream_ignored: what the tensor would be if the code ignored its upstream
            gradient (the numerical gradient for an all-ones upstream).
        known_mistakes: pairs (value, advice): if ``got`` equals ``value`` the advice is
            the diagnosis. Checked first, since they are the most specific.
    """
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    for value, advice in known_mistakes:
        if _close(got, value):
            return advice
    if not np.all(np.isfinite(got)):
        return (f"{name} contains nan or inf: an exponential overflowed or you divided by "
                "zero. Subtract the maximum before np.exp and avoid log(0).")
    if not np.any(got) and np.any(want):
        return (f"{name} is all zeros: is it computed at all, or multiplied by a mask that "
                "is never true?")
    if if_upstream_ignored is not None and _close(got, if_upstream_ignored) \
            and not _close(want, if_upstream_ignored):
        return (f"{name} ignores d_out, the upstream gradient: it is what you would get "
                "for d_out = 1. By the chain rule, multiply by d_out.")
    if _close(got, -want):
        return f"{name} has the wrong sign: check the order of a subtraction."
    denominator = float(np.sum(want * want))
    if denominator > 0:
        factor = float(np.sum(got * want)) / denominator
        if _close(got, factor * want, rtol=1e-4) and not np.isclose(factor, 1.0, rtol=1e-4):
            if batch_size and batch_size > 1 and np.isclose(factor, batch_size, rtol=1e-3):
                return (f"{name} is N = {batch_size} times too large (N is the batch size): "
                        "a 1/N is missing. Did you sum where the mean is needed?")
            if batch_size and batch_size > 1 and np.isclose(factor, 1.0 / batch_size, rtol=1e-3):
                return (f"{name} is off by a factor of N = {batch_size} (N times too small): "
                        "did you average twice? Divide by N in one place only.")
            return f"{name} is scaled by {factor:.4g} compared with the right answer."
    if got.ndim == 2 and got.shape[0] == got.shape[1] and got.shape[0] > 1 \
            and _close(got, want.T):
        return f"{name} is transposed: check which operand of the product needs .T."
    return None


def worst_entries(name: str, got, want, indices, count: int = 3) -> list[str]:
    """Lines listing the entries where ``got`` is furthest from ``want``."""
    got = np.asarray(got, dtype=np.float64).ravel()
    want = np.asarray(want, dtype=np.float64).ravel()
    error = np.abs(got - want)
    error[~np.isfinite(error)] = np.inf
    order = np.argsort(-error, kind="stable")[:count]
    lines = []
    for i in order:
        index = ", ".join(str(j) for j in indices[i]) if indices is not None else str(i)
        lines.append(f"{name}[{index}]: yours {got[i]:.6g}, expected {want[i]:.6g}")
    return lines


def count_wrong(got, want, rtol=1e-5) -> int:
    """How many entries of ``got`` differ from ``want`` beyond rounding."""
    got = np.asarray(got, dtype=np.float64).ravel()
    want = np.asarray(want, dtype=np.float64).ravel()
    scale = max(float(np.max(np.abs(want), initial=0.0)), 1e-12)
    bad = ~(np.abs(got - want) <= rtol * np.abs(want) + 1e-7 * scale)
    return int(np.sum(bad))
