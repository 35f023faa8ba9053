"""A student who does exactly what a notebook's text says keeps full marks.

The text tells students which cells to write and which they may leave: an optional task,
or "the cell below may simply be left as it is". This test reads those instructions from
the markdown students see (the release), builds the submission of a student who obeys
them (every other solution cell written as the reference writes it, every cell the text
lets them leave exactly as released), runs it, and requires full marks on every test cell
that carries points.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from autograder.authoring import answer_id, reference_answers
from autograder.course import KIT_ROOT, Course

ASSIGNMENTS = Course().assignments()
from notebook_runner import run_notebook, source_notebook

# What the notebooks say when a student may leave the code cells after the text alone.
LEAVE = re.compile(r"\boptional\b|\b(may|can) (simply )?be left\b|\bleave (it|this|them|the cell)"
                   r"|\bleft as it is\b|\bnothing to write\b", re.IGNORECASE)

NOTEBOOKS = sorted((a, p.name) for a in ASSIGNMENTS
                   for p in (KIT_ROOT / "release" / a).glob("*.ipynb"))


def cells_the_text_lets_go(released: nbformat.NotebookNode) -> set[str]:
    """Answer ids of the code cells that follow a markdown cell allowing them to be left."""
    leavable, allowed = set(), False
    for cell in released.cells:
        if cell.cell_type == "markdown":
            allowed = bool(LEAVE.search(cell.source))
        elif allowed and answer_id(cell) is not None:
            leavable.add(answer_id(cell))
    return leavable


def follow_the_text(source, released) -> tuple[dict[str, str], set[str]]:
    """The obedient student's cells: the reference everywhere the text asks for code, the
    release wherever it says the cell may be left."""
    leavable = cells_the_text_lets_go(released)
    as_released = {answer_id(c): c.source for c in released.cells if answer_id(c) in leavable}
    return {**reference_answers(source), **as_released}, leavable


def lost_points(source, released) -> dict[str, str]:
    """{grade_id: error} of every test cell with points that the obedient student loses."""
    answers, _ = follow_the_text(source, released)
    results = run_notebook(source, answers)
    return {g: r.error or r.stderr or f"{r.points} of {r.max_points}"
            for g, r in results.items() if r.max_points > 0 and r.points != r.max_points}


@pytest.mark.slow
@pytest.mark.parametrize("assignment,name", NOTEBOOKS)
def test_a_student_who_follows_the_text_keeps_full_marks(assignment, name):
    source = source_notebook(assignment, name.removesuffix(".ipynb"))
    released = nbformat.read(KIT_ROOT / "release" / assignment / name, as_version=4)
    assert not lost_points(source, released)


def test_the_cells_students_may_leave_are_found():
    """The scan is not vacuous: the notebooks' optional and "leave it" cells are seen."""
    found = {}
    for assignment, name in NOTEBOOKS:
        released = nbformat.read(KIT_ROOT / "release" / assignment / name, as_version=4)
        found.update(dict.fromkeys(cells_the_text_lets_go(released), name))
    assert {"q2init-own", "stable-impl", "q2vis-own"} <= set(found), found


def _notebook(*cells):
    made = []
    for kind, text, meta in cells:
        cell = (nbformat.v4.new_markdown_cell(text) if kind == "markdown"
                else nbformat.v4.new_code_cell(text))
        if meta:
            cell.metadata["nbgrader"] = dict(meta, schema_version=3, task=False,
                                             locked=not meta.get("solution"))
        made.append(cell)
    return nbformat.v4.new_notebook(cells=made)


def test_text_that_says_leave_it_over_a_cell_that_breaks_is_caught():
    """The mistake this test exists for: the text says the cell may be left as it is, but
    the released cell redefines a function to raise, and a later check loses its points."""
    solution = dict(grade_id="init-impl", solution=True, grade=False)
    check = dict(grade_id="init-check", solution=False, grade=True, points=5)
    first = ("code", "def size():\n    return 3\n", None)
    text = ("markdown", "If yours already works, the cell below may simply be left as it is.",
            None)
    source = _notebook(first, text,
                       ("code", "def size():\n    ### BEGIN SOLUTION\n    return 3\n"
                                "    ### END SOLUTION\n", solution),
                       ("code", "assert size() == 3", check))
    released = _notebook(first, text,
                         ("code", "def size():\n    # YOUR CODE HERE\n"
                                  "    raise NotImplementedError()\n", solution),
                         ("code", "assert size() == 3", check))
    assert cells_the_text_lets_go(released) == {"init-impl"}
    assert set(lost_points(source, released)) == {"init-check"}
    # Where the released cell is harmless, leaving it costs nothing.
    released.cells[2].source = "# optional: define size() again here"
    assert not lost_points(source, released)
