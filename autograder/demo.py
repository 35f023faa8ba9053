"""The shipped demo: release the assignments, then grade a handful of sample submissions.

Sample submissions are stored as text: ``demo_submissions/<assignment>/<student>.cells``
lists, cell by cell (``# %% <grade_id>``), what that student wrote where it differs from
a correct solution. ``<student>.blank`` hands in the release untouched. Each is filled
into the released notebook, so the demo exercises exactly what students receive.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from .authoring import fill_solutions, parse_answers, reference_answers
from .collect import collect_folder
from .course import Course
from .grade import autograde
from .release import release_assignment
from .scores import export_grades, format_table, read_scores, write_task_csv

DEMO_SUBMISSIONS = Path(__file__).resolve().parent / "demo_submissions"
DEMO_ASSIGNMENTS = ("backprop_digits", "two_layer_mnist", "nn_framework")


def build_demo_submissions(course: Course, assignment: str, out_dir: Path) -> list[Path]:
    """Write one notebook per demo student into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.ipynb"):
        old.unlink()
    written = []
    # One notebook per student: the assignment's main notebook (an optional second
    # notebook, like nn_framework's PyTorch one, is left out of the demo).
    for released in [course.release / assignment / f"{assignment}.ipynb"]:
        source = nbformat.read(course.source / assignment / released.name, as_version=4)
        blank = nbformat.read(released, as_version=4)
        correct = reference_answers(source)
        for spec in sorted((DEMO_SUBMISSIONS / assignment).iterdir()):
            if spec.suffix == ".blank":
                notebook = blank
            else:
                notebook = fill_solutions(blank, {**correct, **parse_answers(spec.read_text())})
            target = out_dir / f"{spec.stem}.ipynb"
            nbformat.write(notebook, target)
            written.append(target)
    return written


def run_demo(course: Course = Course()) -> None:
    tables = []
    for assignment in DEMO_ASSIGNMENTS:
        print(f"== {assignment}: releasing")
        release_assignment(course, assignment)
        notebook = assignment
        submissions = course.root / "build" / "demo_submissions" / assignment
        build_demo_submissions(course, assignment, submissions)
        intake = collect_folder(course, assignment, submissions, notebook)
        print(intake.summary())
        print(f"== {assignment}: autograding (nbgrader autograde)")
        autograde(course, assignment)
        tables.append(read_scores(course, assignment))
    write_task_csv(tables, course.root / "task_scores.csv")
    export_grades(course, course.root / "grades.csv")
    print()
    for table in tables:
        print(format_table(table))
        print()
    print(f"grades: {course.root / 'grades.csv'}; per task: {course.root / 'task_scores.csv'}")
