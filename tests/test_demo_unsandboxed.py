"""Where no sandbox can start (macOS, a Linux account without bubblewrap), the demo grades
its own sample submissions without one and says so; students' submissions are still
refused there."""

import json
import shutil
import subprocess
import sys

import pytest

from conftest import KIT
from end_to_end import LOSING, task_scores
from autograder.course import Course

pytestmark = pytest.mark.slow  # the demo grades backprop_digits for real (about a minute)
ASSIGNMENT = "backprop_digits"


@pytest.fixture(scope="module")
def course_without_sandbox(tmp_path_factory):
    """A copy of the course whose sandbox programs do not exist, as on a machine without
    bubblewrap or podman; and the output of ``kit demo`` there."""
    root = tmp_path_factory.mktemp("nosandbox") / "course"
    root.mkdir()
    shutil.copytree(KIT / "source" / ASSIGNMENT, root / "source" / ASSIGNMENT)
    config = (KIT / "nbgrader_config.py").read_text()
    (root / "nbgrader_config.py").write_text(
        config + "\nc.Sandbox.executable = 'bwrap-is-not-installed-here'\n"
        "c.Sandbox.engine = 'podman-is-not-installed-here'\n")
    result = subprocess.run([sys.executable, "-m", "autograder", "--course", str(root), "demo",
                             ASSIGNMENT], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return Course(root), result.stdout


def test_the_demo_completes_and_says_it_ran_without_a_sandbox(course_without_sandbox):
    course, stdout = course_without_sandbox
    assert "NOTICE: no sandbox can start here" in stdout
    assert "bwrap-is-not-installed-here" in stdout  # why, in the instructor's words
    assert "WARNING: graded WITHOUT a sandbox: the demo grades its own sample" in stdout
    folder = course.root / "reports" / ASSIGNMENT
    ran = json.loads((folder / "grading.json").read_text())["sandbox"]
    assert ran.startswith("WITHOUT a sandbox: the demo grades its own sample submissions")
    assert "Graded WITHOUT a sandbox" in (folder / "report.html").read_text()


def test_the_demo_scores_are_those_of_the_sandboxed_demo(course_without_sandbox):
    course, _ = course_without_sandbox
    scores = task_scores(course, ASSIGNMENT)
    for (student, task), (score, top) in scores.items():
        if student == "blake":
            assert score == 0
        elif top:
            assert (score < top) == (task in LOSING[ASSIGNMENT][student]), (student, task)


def test_students_submissions_are_still_refused(course_without_sandbox):
    course, _ = course_without_sandbox
    result = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course.root),
                             "autograde", ASSIGNMENT], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 1
    assert "refuses to run students' code without a sandbox" in result.stderr
    assert "bwrap-is-not-installed-here" in result.stderr
