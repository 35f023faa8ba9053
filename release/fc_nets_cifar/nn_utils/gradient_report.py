"""Explain a gradient that failed the directional check: where it is wrong, and why."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .diagnosis import count_wrong, likely_mistake, worst_entries
from .gradients import entrywise_derivatives, sample_indices


class Explanation(NamedTuple):
    hint: str | None  # the likely mistake
    details: list  # lines for the failure message
    wrong: int  # compared entries that differ


def explain_gradient(evaluate, args, name, label, analytic, upstream, rng,
                     batch_size=None, known_mistakes=()) -> Explanation:
    """Compare ``analytic`` with central differences entry by entry (sampled when large).

    Args:
        evaluate: function of a dict of arrays whose gradient ``analytic`` should be.
        args: the point, name -> array.
        name: which argument ``analytic`` is the gradient of.
        label: the tensor's name in messages, e.g. "d_weight" or "grad_W1".
        analytic: the gradient under test, shape of ``args[name]``.
        upstream: the upstream gradient the analytic one was computed with.
        known_mistakes: (value, advice) pairs of whole-tensor wrong answers.

    Returns:
        the likely mistake or None, detail lines for the failure message, and how many of
        the compared entries differ (0 means the entrywise comparison finds no fault).
    """
    shape = np.shape(args[name])
    indices = sample_indices(shape, rng)
    derivatives = entrywise_derivatives(evaluate, args, name, indices)
    want = np.array([np.sum(d * upstream) for d in derivatives])
    if_ignored = np.array([np.sum(d) for d in derivatives])
    got = np.array([analytic[i] for i in indices])
    whole = len(indices) == int(np.prod(shape))

    def as_tensor(values):
        return values.reshape(shape) if whole else values

    hint = likely_mistake(
        label, as_tensor(got), as_tensor(want),
        batch_size=batch_size,
        if_upstream_ignored=None if np.allclose(upstream, 1.0) else as_tensor(if_ignored),
        known_mistakes=[(as_tensor(np.array([v[i] for i in indices])), advice)
                        for v, advice in known_mistakes],
    )
    wrong = count_wrong(got, want)
    details = [f"Compared with central differences on {len(indices)} of "
               f"{int(np.prod(shape))} entries: {wrong} differ.",
               *worst_entries(label, got, want, indices)]
    return Explanation(hint, details, wrong)
