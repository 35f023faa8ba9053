"""Make the student version of an assignment.

1. build the source notebooks from their text sources;
2. ``nbgrader generate_assignment`` strips solutions and hidden tests into release/;
3. bundle nn_utils beside the notebooks, so a student who downloads only the release
   folder can ``import nn_utils`` without installing the kit.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nn_utils

from .authoring import build_assignment
from .course import Course

NN_UTILS_DIR = Path(nn_utils.__file__).resolve().parent
_NOT_SHIPPED = shutil.ignore_patterns("__pycache__", "*.pyc")


def bundle_nn_utils(destination: Path) -> Path:
    """Copy the nn_utils package into ``destination``/nn_utils, replacing any old copy."""
    target = destination / "nn_utils"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(NN_UTILS_DIR, target, ignore=_NOT_SHIPPED)
    return target


def release_assignment(course: Course, assignment: str) -> Path:
    """Build, generate and bundle one assignment; return its release folder."""
    build_assignment(course.source, assignment)
    course.nbgrader("generate_assignment", assignment, "--force", "--create")
    folder = course.release / assignment
    bundle_nn_utils(folder)
    return folder
