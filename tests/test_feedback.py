"""Instructor feedback, for real: a demo submission of backprop_digits released, collected
and autograded by the kit, then feedback written as HTML and PDF and read back."""

import re
from html.parser import HTMLParser

import nbformat
import pypdfium2 as pdfium
import pytest

from autograder.__main__ import main
from autograder.intake.collect import collect_folder
from autograder.demo import build_demo_submissions
from autograder.results.feedback import write_feedback
from autograder.hidden_tests import BEGIN_HIDDEN, END_HIDDEN, PLACEHOLDER, hide_tests
from autograder.grade import autograde
from autograder.release import release_assignment
from autograder.scoring.scores import read_scores
from conftest import make_course_copy

ASSIGNMENT = "backprop_digits"
STUDENT = "casey"  # right layers, but the loss's backward ignores d_out: loses crossentropy


class _Text(HTMLParser):
    """The text a browser shows, minus scripts and styles."""

    def __init__(self):
        super().__init__()
        self.parts, self.skipping = [], 0

    def handle_starttag(self, tag, attrs):
        self.skipping += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.skipping -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_text(path) -> str:
    parser = _Text()
    parser.feed(path.read_text())
    return "".join(parser.parts)


def pdf_text(path) -> str:
    document = pdfium.PdfDocument(path)
    return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def squashed(text: str) -> str:
    """Without whitespace, so that line wrapping in the PDF does not matter."""
    return re.sub(r"\s+", "", text)


def hidden_lines(notebook) -> list:
    """The code lines between the hidden-test markers of a source notebook."""
    lines, inside = [], False
    for cell in notebook.cells:
        for line in cell.source.splitlines():
            if BEGIN_HIDDEN in line or END_HIDDEN in line:
                inside = BEGIN_HIDDEN in line
            elif inside and line.strip():
                lines.append(line.strip())
    return lines


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course in which one demo student's submission was autograded and given feedback."""
    base = tmp_path_factory.mktemp("feedback")
    course = make_course_copy(base / "course")
    release_assignment(course, ASSIGNMENT)
    for path in build_demo_submissions(course, ASSIGNMENT, base / "incoming"):
        if path.stem != STUDENT:
            path.unlink()  # one student keeps the test quick
    collect_folder(course, ASSIGNMENT, base / "incoming", ASSIGNMENT)
    autograde(course, ASSIGNMENT, workers=1, progress=False)
    return course, write_feedback(course, ASSIGNMENT)


@pytest.mark.slow  # grades a course through nbgrader
def test_feedback_is_written_in_nbgraders_layout(graded):
    course, written = graded
    folder = course.root / "feedback" / STUDENT / ASSIGNMENT
    assert written == [folder / f"{ASSIGNMENT}.html", folder / f"{ASSIGNMENT}.pdf"]
    assert all(path.stat().st_size > 0 for path in written)


@pytest.mark.slow  # grades a course through nbgrader
def test_hidden_tests_are_graded_but_not_shown(graded):
    course, written = graded
    html, pdf = html_text(written[0]), pdf_text(written[1])
    source = nbformat.read(course.source / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    released = nbformat.read(course.release / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    visible_code = squashed("\n".join(cell.source for cell in released.cells))
    # Hidden lines the student never saw (a line like "lr=1e-2)" is in visible code too).
    hidden = [line for line in hidden_lines(source) if squashed(line) not in visible_code]
    autograded = nbformat.read(course.autograded / STUDENT / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                               as_version=4)
    graded_code = "\n".join(cell.source for cell in autograded.cells)
    assert len(hidden) >= 5
    assert "nn_utils.check_cross_entropy(CategoricalCrossEntropy(), seed=59," in hidden
    for line in hidden:
        assert line in graded_code  # nbgrader ran it...
        assert squashed(line) not in squashed(html)  # ...and the student does not see it
        assert squashed(line) not in squashed(pdf)
    assert html.count(PLACEHOLDER) == graded_code.count(BEGIN_HIDDEN)
    # A visible check is code like the hidden ones: the same reading finds it.
    visible = "nn_utils.check_cross_entropy(cross_entropy)"
    assert visible in graded_code
    assert squashed(visible) in squashed(html) and squashed(visible) in squashed(pdf)


@pytest.mark.slow  # grades a course through nbgrader
def test_a_failed_hidden_test_keeps_its_message(graded):
    html = html_text(graded[1][0])
    after = html[html.index("crossentropy-hidden: 0 / 5 points"):][:2000]
    assert PLACEHOLDER in after
    assert "CheckFailure: CategoricalCrossEntropy.backward" in after
    assert "d_logits ignores d_out" in after


@pytest.mark.slow  # grades a course through nbgrader
def test_points_per_cell_and_the_total_are_shown(graded):
    course, written = graded
    pdf = squashed(pdf_text(written[1]))
    table = read_scores(course, ASSIGNMENT)
    cells = table.cells[STUDENT]
    lost = [g for g, c in cells.items() if c.score < c.max_score and not c.needs_manual_grade]
    assert "crossentropy-hidden" in lost
    for grade_id, cell in cells.items():
        if not cell.needs_manual_grade:
            assert squashed(f"{grade_id}: {cell.score:g} / {cell.max_score:g} points") in pdf
    total = sum(c.score for c in cells.values())
    top = sum(c.max_score for c in cells.values())
    assert squashed(f"Score: {total:g} / {top:g} points") in pdf


@pytest.mark.slow  # grades a course through nbgrader
def test_the_students_math_is_typeset(graded):
    pdf = pdf_text(graded[1][1])
    # casey's proof writes $\sum_i e^{x_i} = e^a \sum_i e^{x_i - a}$.
    assert "∑" in pdf and "\\sum" not in pdf and "e^{x_i" not in pdf


def test_hide_tests_keeps_indentation_and_hides_an_unclosed_region():
    source = ("check(1)\nif True:\n    ### BEGIN HIDDEN TESTS\n    check(2)\n"
              "    ### END HIDDEN TESTS\n    check(3)\n### BEGIN HIDDEN TESTS\ncheck(4)")
    assert hide_tests(source) == f"check(1)\nif True:\n    {PLACEHOLDER}\n    check(3)\n{PLACEHOLDER}"


def test_feedback_before_grading_is_a_clear_error(course_copy, capsys):
    assert main(["--course", str(course_copy.root), "feedback", ASSIGNMENT]) == 1
    assert "no autograded notebooks of backprop_digits" in capsys.readouterr().err
