"""Intake: put submitted notebooks where nbgrader looks for them.

A folder of ``<student>.ipynb`` files becomes ``submitted/<student>/<assignment>/
<notebook>.ipynb``. Anything that cannot be placed is reported, never dropped silently.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .course import Course

_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass
class Intake:
    """What collect did with each file it saw."""

    placed: dict = field(default_factory=dict)  # student -> destination path
    skipped: list = field(default_factory=list)  # (path, reason)

    def summary(self) -> str:
        lines = [f"collected {len(self.placed)} submission(s)"]
        lines += [f"  not collected: {path} ({reason})" for path, reason in self.skipped]
        return "\n".join(lines)


def _notebook_problem(path: Path) -> str:
    """Why nbgrader could not read this file as a notebook, or "" when it can."""
    try:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # any parse or schema error makes the file unusable
        return f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
    return ""


def collect_folder(course: Course, assignment: str, folder: Path, notebook: str) -> Intake:
    """Copy ``folder/<student>.ipynb`` to ``submitted/<student>/<assignment>/<notebook>.ipynb``.

    Args:
        course: the course directory.
        assignment: the assignment id.
        folder: a folder of notebooks, one per student, named by student id.
        notebook: the notebook name the release uses (without .ipynb).
    """
    intake = Intake()
    if not folder.is_dir():
        raise FileNotFoundError(f"submissions folder not found: {folder}")
    for path in sorted(folder.iterdir()):
        if path.suffix != ".ipynb":
            intake.skipped.append((path, "not a notebook"))
            continue
        student = path.stem
        if not _STUDENT_ID.match(student):
            intake.skipped.append((path, "file name is not a usable student id"))
            continue
        problem = _notebook_problem(path)
        if problem:
            intake.skipped.append((path, f"not a readable notebook: {problem}"))
            continue
        destination = course.submitted / student / assignment / f"{notebook}.ipynb"
        if destination.parent.exists():
            shutil.rmtree(destination.parent)  # a new intake replaces the old copy whole
        destination.parent.mkdir(parents=True)
        shutil.copyfile(path, destination)
        intake.placed[student] = destination
    return intake
