"""Which of the assignment's own cells a submission changed (autograder/scoring/edited_cells.py)."""

import copy
from pathlib import Path

import nbformat
import pytest

from autograder.scoring.edited_cells import describe, edited_cells, restore

RELEASED = Path(__file__).parent.parent / "release" / "backprop_digits" / "backprop_digits.ipynb"


@pytest.fixture(scope="module")
def released():
    return nbformat.read(RELEASED, as_version=4)


def cell(notebook, grade_id):
    return next(c for c in notebook.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def changed(released, edit) -> list:
    submitted = copy.deepcopy(released)
    edit(submitted)
    return edited_cells(submitted, released)


def test_answers_written_and_cells_added_are_no_edit(released):
    def work(notebook):
        cell(notebook, "affine-impl").source = "class Affine:\n    pass\n"
        cell(notebook, "logsumexp-proof").source = "my proof"
        notebook.cells.insert(3, nbformat.v4.new_code_cell("print('scratch work')"))
        cell(notebook, "affine-check").outputs = [nbformat.v4.new_output(
            "stream", name="stdout", text="All checks passed successfully!\n")]

    assert changed(released, work) == []


@pytest.mark.parametrize("edit,expected", [
    (lambda nb: setattr(cell(nb, "affine-check"), "source", "pass"),
     ["edited the test cell affine-check"]),
    (lambda nb: setattr(cell(nb, "setup"), "source", "import numpy as np"),
     ["edited the locked cell setup"]),
    (lambda nb: cell(nb, "affine-hidden").metadata["nbgrader"].update(points=1000),
     ["changed the points of affine-hidden from 5 to 1000"]),
    (lambda nb: cell(nb, "affine-impl").metadata["nbgrader"].update(grade=True, points=50),
     ["changed the nbgrader metadata of the answer cell affine-impl (grade: False -> True)"]),
    (lambda nb: cell(nb, "relu-check").metadata["nbgrader"].update(solution=True,
                                                                  locked=False),
     ["changed the nbgrader metadata of the test cell relu-check (solution: False -> True, "
      "locked: True -> False)"]),
    (lambda nb: nb.cells.remove(cell(nb, "relu-hidden")), ["deleted the test cell relu-hidden"]),
    (lambda nb: cell(nb, "relu-hidden").metadata.pop("nbgrader"),
     ["removed the nbgrader metadata of the test cell relu-hidden (was the notebook saved "
      "by another program?)"]),
    (lambda nb: setattr(cell(nb, "affine-check"), "cell_type", "markdown"),
     ["turned the test cell affine-check from code into markdown"]),
    (lambda nb: nb.cells.append(nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {
        "grade": True, "grade_id": "bonus", "points": 99, "solution": False}})),
     ["added a graded cell bonus that is not in the assignment"]),
    (lambda nb: nb.cells.append(copy.deepcopy(cell(nb, "affine-check"))),
     ["has 2 cells with the grade_id affine-check"]),
], ids=["test-source", "locked-source", "points", "answer-made-graded", "test-made-answer",
        "deleted", "metadata-removed", "cell-type", "added-graded", "duplicated"])
def test_each_change_to_the_assignments_cells_is_named(released, edit, expected):
    assert changed(released, edit) == expected


def test_the_reason_lists_a_few_changes_and_counts_the_rest():
    reason = describe([f"edited the test cell t{i}" for i in range(6)])
    assert reason.startswith("edited the test cell t0; edited the test cell t1")
    assert "; and 2 more (grading used the assignment's own cells and points" in reason


def test_restore_puts_back_the_metadata_so_nbgrader_can_grade_the_rest(released):
    submitted = copy.deepcopy(released)
    cell(submitted, "affine-impl").source = "class Affine:\n    pass\n"
    cell(submitted, "affine-check").source = "pass"
    cell(submitted, "affine-check").metadata["nbgrader"]["points"] = 1000
    cell(submitted, "relu-check").metadata["nbgrader"].update(solution=True, locked=False)
    cell(submitted, "relu-hidden").metadata.pop("nbgrader")
    submitted.cells.append(nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {
        "grade": True, "grade_id": "bonus", "points": 99, "solution": False}}))
    restore(submitted, released)
    # What is left is what nbgrader handles itself: the edited test's source.
    assert edited_cells(submitted, released) == ["edited the test cell affine-check"]
    assert cell(submitted, "affine-impl").source == "class Affine:\n    pass\n"
