"""A new instructor adds a fifth assignment without touching the kit.

``./kit new dropout`` scaffolds source/dropout/; the instructor rewrites its task as an
inverted-dropout layer with checks built on the engine's layer check, releases it, and
grades a correct, a wrong and a blank submission with ``./kit grade``. Only files under
source/dropout/ are written by hand; the kit's code and the course's config stay as they
were.
"""

import hashlib
import json
import subprocess
import sys

import nbformat
import pytest

from autograder.authoring import fill_solutions, reference_answers
from autograder.scaffold import new_assignment

NAME = "dropout"

NOTEBOOK = '''\
# %% [markdown]
# # Inverted dropout
#
# Dropout zeroes each activation with probability 1 - keep during training. Inverted
# dropout also divides the survivors by keep, so nothing changes at test time.

# %% grade_id="setup" kind="readonly"
import numpy as np

import nn_utils

# %% grade_id="dropout-impl" kind="solution"
class Dropout:
    def __init__(self, keep=0.8):
        self.keep = keep

    def forward(self, inputs, mask):
        """inputs: any shape; mask: 0/1 array of the same shape (1 keeps the entry)."""
        ### BEGIN SOLUTION
        out = inputs * mask / self.keep
        ### END SOLUTION
        self.cache = mask
        return out

    def backward(self, d_out):
        """d_out: the shape of out; returns d_inputs, the shape of inputs."""
        mask = self.cache
        ### BEGIN SOLUTION
        d_inputs = d_out * mask / self.keep
        ### END SOLUTION
        return d_inputs

# %% grade_id="dropout-check" kind="test" points=4
nn_utils.check_dropout(Dropout())

# %% grade_id="dropout-hidden" kind="test" points=6
### BEGIN HIDDEN TESTS
nn_utils.check_dropout(Dropout(keep=0.5), seed=11, shapes=((16, 9), (3, 4, 5)))
### END HIDDEN TESTS
'''

CHECKS = '''\
"""Checks of the dropout assignment."""

import numpy as np

from nn_utils.checking import checker
from nn_utils.layer_check import LayerSpec, check_layer
from nn_utils.samples import gaussian

__all__ = ["check_dropout"]


def _spec(keep):
    def mistakes(args, d_out):
        x, mask = args["inputs"], args["mask"]
        found = {"out": [(x * mask, "forward does not divide by keep: inverted dropout "
                          "scales the kept entries by 1 / keep.")]}
        if d_out is not None:
            found["d_inputs"] = [(d_out * mask, "d_inputs is not divided by keep: the "
                                  "backward pass scales by 1 / keep, as forward does.")]
        return found

    return LayerSpec(name="Dropout", inputs=("inputs", "mask"), output="out",
                     gradients=("d_inputs",), differentiates={"d_inputs": "inputs"},
                     reference=lambda a: a["inputs"] * a["mask"] / keep,
                     known_mistakes=mistakes)


@checker
def check_dropout(dropout, seed=0, shapes=((6, 5), (2, 3, 4))):
    """Check an inverted-dropout layer (its keep probability is dropout.keep)."""
    for i, shape in enumerate(shapes):
        def make(rng, shape=shape):
            return {"inputs": gaussian(rng, shape),
                    "mask": (rng.random(shape) < dropout.keep).astype(float)}

        check_layer(_spec(dropout.keep), dropout, make, seed=seed * 1000 + i)
'''


def kit(course, *args):
    return subprocess.run([sys.executable, "-m", "autograder", "--course", str(course.root),
                           *args], capture_output=True, text=True, timeout=900)


def fingerprint(course, kit_root):
    """Hashes of the files an instructor must not need to edit: the kit's code and the
    course's config and other assignments."""
    files = [course.root / "nbgrader_config.py",
             *sorted(p for p in (course.source).rglob("*") if p.is_file()
                     and NAME not in p.relative_to(course.source).parts),
             *sorted(p for d in ("autograder", "nn_utils") for p in (kit_root / d).rglob("*.py"))]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_a_scaffolded_assignment_is_refused_a_bad_or_taken_name(course_copy):
    with pytest.raises(ValueError, match="lower-case"):
        new_assignment(course_copy, "Drop Out")
    with pytest.raises(ValueError, match="exists already"):
        new_assignment(course_copy, "backprop_digits")


@pytest.mark.slow
def test_scaffold_as_written_grades_its_reference_solution(course_copy, tmp_path):
    made = kit(course_copy, "new", "tanh_layer")
    assert made.returncode == 0, made.stderr
    released = kit(course_copy, "release", "tanh_layer")
    assert released.returncode == 0, released.stderr
    notebook = nbformat.read(course_copy.release / "tanh_layer" / "tanh_layer.ipynb", 4)
    source = nbformat.read(course_copy.source / "tanh_layer" / "tanh_layer.ipynb", 4)
    incoming = tmp_path / "in"
    incoming.mkdir()
    nbformat.write(fill_solutions(notebook, reference_answers(source)), incoming / "ana.ipynb")
    graded = kit(course_copy, "grade", "tanh_layer", str(incoming))
    assert graded.returncode == 0, graded.stdout + graded.stderr
    with course_copy.gradebook() as gradebook:
        assert gradebook.find_submission("tanh_layer", "ana").score == 10


@pytest.mark.slow
def test_a_new_instructor_adds_and_grades_a_fifth_assignment(course_copy, tmp_path):
    from conftest import KIT

    before = fingerprint(course_copy, KIT)
    made = kit(course_copy, "new", NAME)
    assert made.returncode == 0, made.stderr
    folder = course_copy.source / NAME
    # The instructor's own edits, all inside source/dropout/.
    (folder / f"{NAME}.pct.py").write_text(NOTEBOOK)
    (folder / "checks" / "__init__.py").write_text(CHECKS)

    released = kit(course_copy, "release", NAME)
    assert released.returncode == 0, released.stdout + released.stderr
    assert f"{NAME}-" in released.stdout and ".zip" in released.stdout

    notebook = nbformat.read(course_copy.release / NAME / f"{NAME}.ipynb", 4)
    correct = reference_answers(nbformat.read(folder / f"{NAME}.ipynb", 4))
    wrong = {**correct, "dropout-impl": correct["dropout-impl"].replace(
        "d_inputs = d_out * mask / self.keep", "d_inputs = d_out * mask")}
    assert wrong != correct
    incoming = tmp_path / "in"
    incoming.mkdir()
    nbformat.write(fill_solutions(notebook, correct), incoming / "ana.ipynb")
    nbformat.write(fill_solutions(notebook, wrong), incoming / "ben.ipynb")
    nbformat.write(notebook, incoming / "cleo.ipynb")  # handed in blank

    graded = kit(course_copy, "grade", NAME, str(incoming))
    assert graded.returncode == 0, graded.stdout + graded.stderr
    with course_copy.gradebook() as gradebook:
        scores = {s: gradebook.find_submission(NAME, s).score for s in ("ana", "ben", "cleo")}
    assert scores == {"ana": 10, "ben": 0, "cleo": 0}

    feedback = kit(course_copy, "feedback", NAME)
    assert feedback.returncode == 0, feedback.stderr
    page = (course_copy.root / "feedback" / "ben" / NAME / f"{NAME}.html").read_text()
    assert "d_inputs is not divided by keep" in page
    # Which checks graded: the bundle the students were given, named by its hash.
    bundle = next((course_copy.root / "build" / "bundles").glob(f"{NAME}-*.zip")).stem
    report = json.loads((course_copy.root / "reports" / NAME / "grading.json").read_text())
    assert report["nn_utils"] == bundle and f"`{bundle}`" in page.replace("<code>", "`").replace(
        "</code>", "`")
    assert "Dropout.backward" in page
    assert fingerprint(course_copy, KIT) == before
