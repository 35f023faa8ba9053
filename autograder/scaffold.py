"""``./kit new NAME``: start an assignment as a folder, source/NAME/.

It writes a notebook's text source with one task (a Tanh layer: a solution cell, its
visible check and a hidden test) and the assignment's checks, written against the
nn_utils engine's public API. As written it builds, releases and grades; an instructor
then replaces the task with their own, keeping the shape.
"""

from __future__ import annotations

import re
from pathlib import Path

from autograder.bundle import CHECKS
from autograder.course import Course

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

NOTEBOOK = '''\
# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # {title}
#
# Replace this introduction with your own. The one task below shows each kind of cell:
# given code, the student's solution, a visible check and a hidden test.
#
# | Task | What | Points |
# |---|---|---|
# | 1 | a `Tanh` layer: forward and backward | 10 |
#
# **How you are graded.** After the task a cell calls a checker from `nn_utils`. It prints
# `All checks passed successfully!` or stops with a message that names the method, the
# tensor and the most likely mistake. Hidden tests repeat the check with other shapes and
# seeds when your notebook is graded.

# %% grade_id="setup" kind="readonly"
import numpy as np

import nn_utils  # the checks used below

# %% [markdown]
# ## Task 1: the Tanh layer
#
# $\\tanh$ applies to every entry of its input, and its derivative is
# $1 - \\tanh(x)^2$. `forward(inputs)` keeps what `backward` needs in `self.cache` and
# returns the output; `backward(d_out)` returns the gradient of the loss with respect to
# the inputs, which has the shape of the inputs.

# %% grade_id="tanh-impl" kind="solution"
class Tanh:
    def forward(self, inputs):
        """Tanh layer, forward pass.

        Args:
            inputs: input array, any shape

        Returns:
            out: tanh of every entry, the shape of inputs
        """
        ### BEGIN SOLUTION
        out = np.tanh(inputs)
        ### END SOLUTION
        self.cache = out
        return out

    def backward(self, d_out):
        """Tanh layer, backward pass.

        Args:
            d_out: gradient of the loss with respect to the output, the shape of out

        Returns:
            d_inputs: gradient of the loss with respect to the inputs, the shape of inputs
        """
        out = self.cache
        ### BEGIN SOLUTION
        d_inputs = d_out * (1 - out ** 2)
        ### END SOLUTION
        return d_inputs

# %% grade_id="tanh-check" kind="test" points=5
nn_utils.check_tanh(Tanh())

# %% grade_id="tanh-hidden" kind="test" points=5
# Hidden tests for Task 1 run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_tanh(Tanh(), seed=7, shapes=((32, 10), (2, 3, 4, 5)))
### END HIDDEN TESTS
'''

CHECKS_MODULE = '''\
"""Checks of the {name} assignment, written against the nn_utils engine.

Students get them inside nn_utils (./kit release bundles this package as nn_utils/assignment),
so a test cell calls ``nn_utils.check_tanh(Tanh())``. Every name in ``__all__`` is
exported that way. A checker is wrapped by ``@checker``: it returns None after printing
the success line, or raises CheckFailure with a message naming what is wrong.
"""

import numpy as np

from nn_utils.checking import checker
from nn_utils.layer_check import LayerSpec, check_layer
from nn_utils.samples import gaussian

__all__ = ["check_tanh"]


def _tanh_mistakes(args, d_out):
    """Wrong answers worth recognising: value -> the advice shown when a result matches."""
    x = args["inputs"]
    out = np.tanh(x)
    mistakes = {{"out": [(np.maximum(0, x), "forward computes a ReLU: use np.tanh.")]}}
    if d_out is not None:
        mistakes["d_inputs"] = [
            (1 - out ** 2, "d_inputs ignores d_out: multiply 1 - tanh(x)**2 by d_out, as "
             "the chain rule says."),
            (d_out * (1 - x ** 2), "the derivative is 1 - tanh(x)**2, of the output, not "
             "1 - x**2 of the inputs."),
            (d_out * (1 - out), "the derivative of tanh is 1 - tanh(x)**2, not 1 - tanh(x)."),
        ]
    return mistakes


TANH = LayerSpec(
    name="Tanh",
    inputs=("inputs",),
    output="out",
    gradients=("d_inputs",),
    differentiates={{"d_inputs": "inputs"}},
    reference=lambda args: np.tanh(args["inputs"]),
    shapes={{"inputs": "any shape", "out": "the shape of inputs"}},
    known_mistakes=_tanh_mistakes,
)


@checker
def check_tanh(tanh, seed: int = 0, shapes=((6, 5), (2, 3, 4))):
    """Check a Tanh layer object: forward's values, backward's gradients by finite
    differences, the cache, and the likely mistakes.

    Args:
        tanh: an instance with ``forward(inputs)`` and ``backward(d_out)``.
        seed: the seed of the random inputs.
        shapes: input shapes to test.
    """
    for i, shape in enumerate(shapes):
        def make(rng, shape=shape):
            return {{"inputs": gaussian(rng, shape)}}

        check_layer(TANH, tanh, make, seed=seed * 1000 + i)
'''


def new_assignment(course: Course, name: str) -> list[Path]:
    """Write source/``name``/ (the notebook's text source and its checks); return the
    files written. Refuses a name that is not a lower-case identifier or that exists."""
    if not _NAME.match(name):
        raise ValueError(f"{name!r} cannot name an assignment: use lower-case letters, "
                         "digits and underscores, starting with a letter")
    folder = course.source / name
    if folder.exists():
        raise ValueError(f"{folder} exists already; choose another name")
    title = name.replace("_", " ").capitalize()
    files = {folder / f"{name}.pct.py": NOTEBOOK.format(title=title),
             folder / CHECKS / "__init__.py": CHECKS_MODULE.format(name=name)}
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return list(files)
