"""Make the student version of an assignment.

1. build the source notebooks from their text sources;
2. build the assignment's nn_utils (the engine and its checks, bundle.py) into
   source/<assignment>/, where nbgrader looks for an assignment's other files: it copies
   them into the release and, under plain ``nbgrader autograde``, beside each submission;
3. ``nbgrader generate_assignment`` strips solutions and hidden tests into release/;
4. zip the release as build/bundles/<assignment>-<hash>.zip, what a student downloads:
   it runs with nothing of the kit installed.

Only the notebooks of release/ are kept in git; the nn_utils copies are built.
"""

from __future__ import annotations

from pathlib import Path

from autograder.authoring import build_assignment
from autograder.bundle import package_files, student_zip, write_package
from autograder.course import Course


def bundles_folder(course: Course) -> Path:
    return course.root / "build" / "bundles"


def release_assignment(course: Course, assignment: str) -> Path:
    """Build, generate and bundle one assignment; return its release folder."""
    build_assignment(course.source, assignment)
    write_package(package_files(course, assignment), course.source / assignment)
    course.nbgrader("generate_assignment", assignment, "--force", "--create")
    student_zip(course, assignment, bundles_folder(course))
    return course.release / assignment
