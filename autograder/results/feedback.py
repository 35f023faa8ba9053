"""Feedback for students: each graded notebook as HTML and PDF, hidden tests kept hidden.

For every ``autograded/<student>/<assignment>/<notebook>.ipynb`` (made by ``nbgrader
autograde``) this writes ``feedback/<student>/<assignment>/<notebook>.html`` and ``.pdf``,
nbgrader's own feedback layout. Each shows the student's code, outputs and check
messages, the points of every graded cell (and a grader's comment, if any) and the
notebook's total from the gradebook.

Why not ``nbgrader generate_feedback``: its template loads MathJax from a CDN whatever
``mathjax_url`` says, so its formulas stay raw TeX offline, and it prints the hidden tests
(and tracebacks that quote them). Here the autograded notebook is copied, every region
between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` becomes a one-line
placeholder, a failed hidden test keeps its error message but not its traceback, the
points come from nbgrader's Gradebook API, and the page is made by the same code as the
students' own PDF export (nn_utils.export_pdf), with MathJax from the installed package.
So the HTML typesets its math on a machine with the kit installed; the PDF anywhere.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell
from nbgrader.api import MissingEntry

from nn_utils.export_pdf import find_chromium, html_to_pdf, notebook_html

from autograder.course import Course
from autograder.hidden_tests import BEGIN_HIDDEN, hide_tests

FEEDBACK_DIR = "feedback"  # nbgrader's CourseDirectory.feedback_directory
def _strip_hidden_cell(cell) -> None:
    """Hide the tests of one cell in place; its errors keep the message, not the traceback
    (IPython's traceback quotes the lines around the failing hidden test)."""
    cell.source = hide_tests(cell.source)
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            output.traceback = [f"{output.ename}: {output.evalue}"]


def _points_text(grade, comment: str | None) -> str:
    """The Markdown line shown above a graded cell."""
    if grade.needs_manual_grade:
        text = f"**{grade.name}: waits for a grader** ({grade.max_score:g} points)"
    else:
        text = f"**{grade.name}: {grade.score:g} / {grade.max_score:g} points**"
    if comment:
        text += f"\n\n*Grader's comment:* {comment}"
    return text


def graded_by(course: Course, assignment: str) -> str:
    """The nn_utils bundle (assignment-hash) the last grading of ``assignment`` ran, as
    reports/<assignment>/grading.json records it ("" when it does not)."""
    report = course.root / "reports" / assignment / "grading.json"
    try:
        return str(json.loads(report.read_text()).get("nn_utils", ""))
    except (OSError, ValueError, AttributeError):
        return ""


def feedback_notebook(notebook, submission, student: str, assignment: str, name: str,
                      bundle: str = ""):
    """A copy of the autograded ``notebook`` called ``name``, ready to show: a header with
    the total, the points above each graded cell, hidden tests stripped. ``submission`` is
    nbgrader's SubmittedNotebook (grades, comments, totals) for it; ``bundle`` names the
    nn_utils whose checks graded it."""
    grades = {grade.name: grade for grade in submission.grades}
    comments = {c.name: c.comment for c in submission.comments}
    waiting = sum(g.max_score for g in grades.values() if g.needs_manual_grade)
    header = (f"# Feedback on {name}.ipynb\n\n"
              f"**Student:** {student}  \n**Assignment:** {assignment}  \n"
              f"**Score:** {submission.score:g} / {submission.max_score:g} points"
              + (f" ({waiting:g} of them wait for a grader)" if waiting else "")
              + "\n\nHidden tests ran on your code; their messages are shown below, "
                "their code is not."
              + (f" Checked with nn_utils bundle `{bundle}`." if bundle else ""))
    shown = copy.deepcopy(notebook)
    cells = [new_markdown_cell(header)]
    for cell in shown.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in grades:
            cells.append(new_markdown_cell(_points_text(grades[grade_id], comments.get(grade_id))))
        if BEGIN_HIDDEN in cell.source:
            _strip_hidden_cell(cell)
        cells.append(cell)
    shown.cells = cells
    return shown


def write_feedback(course: Course, assignment: str) -> list[Path]:
    """Write the HTML and PDF feedback of every autograded notebook of ``assignment``.

    Returns the paths written (HTML, PDF, HTML, ...). Raises FileNotFoundError when
    nothing of ``assignment`` was autograded, and ExportError (before writing anything)
    when Chromium is missing.
    """
    notebooks = sorted(course.autograded.glob(f"*/{assignment}/*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no autograded notebooks of {assignment} in "
                                f"{course.autograded}; grade the submissions first")
    find_chromium()
    written, bundle = [], graded_by(course, assignment)
    with course.gradebook() as gradebook:
        for path in notebooks:
            student = path.parent.parent.name
            try:
                submission = gradebook.find_submission_notebook(path.stem, assignment, student)
            except MissingEntry as error:
                raise FileNotFoundError(f"{path} has no grades in the gradebook") from error
            shown = feedback_notebook(nbformat.read(path, as_version=4), submission,
                                      student, assignment, path.stem, bundle)
            html = course.root / FEEDBACK_DIR / student / assignment / f"{path.stem}.html"
            html.parent.mkdir(parents=True, exist_ok=True)
            html.write_text(notebook_html(shown, f"{student}: {path.stem}", path.parent),
                            encoding="utf-8")
            written += [html, html_to_pdf(html, html.with_suffix(".pdf"))]
    return written
