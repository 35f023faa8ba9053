"""The whole nbgrader loop, for real: release, collect, autograde, export.

This runs the README's demo command against a copy of the course, so the sample
submissions are executed by a real kernel under nbgrader autograde.
"""

import csv
import subprocess
import sys

import nbformat
import pytest


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    import shutil

    from conftest import KIT
    from autograder.course import Course

    root = tmp_path_factory.mktemp("demo") / "course"
    root.mkdir()
    shutil.copytree(KIT / "source", root / "source")
    shutil.copy(KIT / "nbgrader_config.py", root / "nbgrader_config.py")
    result = subprocess.run([sys.executable, "-m", "autograder", "--course", str(root), "demo"],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return Course(root), result.stdout


def task_scores(course):
    with open(course.root / "task_scores.csv") as handle:
        return {(r["student"], r["task"]): (float(r["score"]), float(r["max_score"]),
                                            r["needs_manual_grade"] == "True")
                for r in csv.DictReader(handle)}


EXPECTED_ZERO = {  # student -> tasks that must score 0; all other autograded tasks full
    "avery": set(),
    "finley": set(),
    "casey": {"crossentropy"},
    "devon": {"affine", "relu", "feedforward"},
    "emery": {"crossentropy", "feedforward"},
}


def test_demo_prints_a_score_table_and_leaves_grades_csv(demo):
    course, stdout = demo
    assert "student" in stdout and "feedforward" in stdout
    for student in [*EXPECTED_ZERO, "blake"]:
        assert student in stdout
    with open(course.root / "grades.csv") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle)}
    assert set(rows) == {*EXPECTED_ZERO, "blake"}
    assert float(rows["avery"]["max_score"]) == 50.0


def test_reference_and_alternative_get_every_autograded_point(demo):
    scores = task_scores(demo[0])
    for student in ("avery", "finley"):
        for (who, task), (score, top, manual) in scores.items():
            if who == student and not manual:
                assert score == top, (student, task)


def test_untouched_release_scores_zero_without_crashing(demo):
    scores = task_scores(demo[0])
    blank = {task: score for (who, task), (score, _, _) in scores.items() if who == "blake"}
    assert blank and all(score == 0 for score in blank.values())


@pytest.mark.parametrize("student", ["casey", "devon", "emery"])
def test_wrong_submissions_lose_exactly_the_broken_tasks(demo, student):
    scores = task_scores(demo[0])
    for (who, task), (score, top, manual) in scores.items():
        if who != student or manual or task == "logsumexp":
            continue
        if task in EXPECTED_ZERO[student]:
            assert score == 0, (student, task)
        else:
            assert score == top, (student, task)


def test_autograded_notebook_shows_the_named_mistake(demo):
    course = demo[0]
    notebook = nbformat.read(
        course.autograded / "casey" / "backprop_digits" / "backprop_digits.ipynb", as_version=4)
    errors = [o.evalue for c in notebook.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.output_type == "error"]
    assert any("d_logits ignores d_out" in e for e in errors), errors
