"""Execute and score the collected submissions with nbgrader autograde."""

from __future__ import annotations

from .course import Course


def autograde(course: Course, assignment: str) -> str:
    """Autograde every collected submission of ``assignment`` into the gradebook.

    ``--force`` regrades submissions graded before, so re-running after a test was fixed
    updates the scores; ``--create`` adds students who are not in the gradebook yet.
    """
    return course.nbgrader("autograde", assignment, "--force", "--create")
