import shutil
import sys
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture
def course_copy(tmp_path):
    """A fresh nbgrader course directory holding this kit's sources and config."""
    from autograder.course import Course

    root = tmp_path / "course"
    root.mkdir()
    shutil.copytree(KIT / "source", root / "source")
    shutil.copy(KIT / "nbgrader_config.py", root / "nbgrader_config.py")
    return Course(root)
