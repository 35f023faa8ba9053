"""The whole nbgrader loop, for real: release, collect, autograde, export.

This runs the README's demo command for one assignment against a copy of the course, so
the sample submissions are executed by a real kernel under nbgrader autograde, their test
cells run by the judge (the default). The same demo graded with the test cells in the
kernel scores the same cell by cell: ./kit bench judge_parity.

The tests here run once per assignment: each tests/test_end_to_end_<assignment>.py sets
ASSIGNMENT and imports them, so the two test workers share the four demo runs.
"""

import csv
import subprocess
import sys

import nbformat
import pytest

from autograder.scoring.scores import read_scores

pytestmark = pytest.mark.slow  # the demo grades an assignment for real (1 to 6 minutes)


@pytest.fixture(scope="module")
def demo(request, tmp_path_factory):
    """(course, stdout, assignment) after ``kit demo ASSIGNMENT`` on a copy of the course."""
    import shutil

    from conftest import KIT
    from autograder.course import Course

    root = tmp_path_factory.mktemp("demo") / "course"
    root.mkdir()
    shutil.copytree(KIT / "source", root / "source")
    shutil.copy(KIT / "nbgrader_config.py", root / "nbgrader_config.py")
    result = subprocess.run([sys.executable, "-m", "autograder", "--course", str(root), "demo",
                             request.module.ASSIGNMENT],
                            capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout + result.stderr
    return Course(root), result.stdout, request.module.ASSIGNMENT


def task_scores(course, assignment):
    """(student, task) -> (autograded score, autograded max) from task_scores.csv."""
    with open(course.root / "task_scores.csv") as handle:
        return {(r["student"], r["task"]): (float(r["autograded_score"]),
                                            float(r["autograded_max"]))
                for r in csv.DictReader(handle) if r["assignment"] == assignment}


LOSING = {  # assignment -> student -> the autograded tasks that must lose points
    "backprop_digits": {
        "avery": set(), "finley": set(),
        "casey": {"crossentropy"},
        "devon": {"affine", "relu", "feedforward"},
        "emery": {"crossentropy", "feedforward"},
    },
    "two_layer_mnist": {
        "avery": set(), "finley": set(),
        "casey": {"q1init"},
        # A wrong backward spoils training, but devon's evaluation measures the network it
        # got correctly: the evaluation cells keep their points.
        "devon": {"q1backward", "q1train", "q2softmax", "q2forward", "q2backward", "q2train"},
        "emery": {"q2loss", "q2backward", "q2train"},
    },
    "nn_framework": {
        "avery": set(), "finley": set(),
        "casey": {"network", "iris"},
        "devon": {"softmax", "crossentropy", "iris"},
        "emery": {"fc", "einsum", "iris"},  # the whole-network gradient check sees the FC bug
    },
    "fc_nets_cifar": {
        "avery": set(),
        "finley": {"loss"},  # the seed's plain softmax: only the stability cell fails
        # A wrong layer also breaks the networks built from it, and a broken network the
        # training that uses it.
        "casey": {"affine", "affinerelu", "twolayer", "fcnet", "overfit", "logdet", "gplvm",
                  "test"},
        "devon": {"fcnet", "overfit", "trace", "gplvm", "search"},
        "emery": {"relu", "affinerelu", "twolayer", "solver", "fcnet", "overfit",
                  "autoencoder", "search"},
    },
}
ALL_STUDENTS = {"avery", "blake", "casey", "devon", "emery", "finley"}
MAXIMUM = {"backprop_digits": 50.0, "two_layer_mnist": 80.0, "nn_framework": 81.0,
           "fc_nets_cifar": 123.0}
NAMED_MISTAKES = [  # assignment, student, what a failing check says, notebook (None: the one)
    ("backprop_digits", "casey", "d_logits ignores d_out", None),
    ("two_layer_mnist", "devon", "adds up the whole array", None),
    ("two_layer_mnist", "casey", "take every size from layer_dims", None),
    ("nn_framework", "casey", "gave the network's input X to layer 1", None),
    ("nn_framework", "devon", "only the diagonal of the Jacobian", None),
    ("fc_nets_cifar", "finley", "np.exp overflows", "two_layer_nn"),
    ("fc_nets_cifar", "casey", "db is the sum of dout over the batch", "FC_nets"),
    ("fc_nets_cifar", "emery", "keep hidden_size = 50", "two_layer_nn"),
    ("fc_nets_cifar", "emery", "only the encoder's W", "matrix_calculus"),
]


def pytest_generate_tests(metafunc):
    """Parametrize by the students and mistakes of the importing module's ASSIGNMENT."""
    assignment = metafunc.module.ASSIGNMENT
    if "student" in metafunc.fixturenames and "message" not in metafunc.fixturenames:
        metafunc.parametrize("student", sorted(LOSING[assignment]))
    if "message" in metafunc.fixturenames:
        metafunc.parametrize("student,message,notebook",
                             [m[1:] for m in NAMED_MISTAKES if m[0] == assignment])


def test_demo_prints_a_score_table_and_leaves_grades_csv(demo):
    course, stdout, assignment = demo
    assert f"== {assignment}: autograding" in stdout
    for student in ALL_STUDENTS:
        assert student in stdout
    with open(course.root / "grades.csv") as handle:
        rows = [r for r in csv.DictReader(handle)]
    assert {(r["assignment"], r["student_id"]) for r in rows} == {
        (assignment, s) for s in ALL_STUDENTS}
    assert {float(r["max_score"]) for r in rows} == {MAXIMUM[assignment]}


def test_untouched_release_scores_zero_without_crashing(demo):
    course, _, assignment = demo
    scores = task_scores(course, assignment)
    blank = [score for (who, _), (score, _) in scores.items() if who == "blake"]
    assert blank and all(score == 0 for score in blank)


def test_each_submission_loses_exactly_the_broken_tasks(demo, student):
    course, _, assignment = demo
    scores = task_scores(course, assignment)
    assert any(who == student for who, _ in scores)
    for (who, task), (score, top) in scores.items():
        if who != student or top == 0:
            continue  # another student, or a task graded only by a person
        if task in LOSING[assignment][student]:
            assert score < top, (student, task)
        else:
            assert score == top, (student, task, score, top)


def test_autograded_notebook_shows_the_named_mistake(demo, student, message, notebook):
    course, _, assignment = demo
    notebook = nbformat.read(
        course.autograded / student / assignment / f"{notebook or assignment}.ipynb", as_version=4)
    errors = [o.evalue for c in notebook.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.output_type == "error"]
    assert any(message in e for e in errors), errors


def test_report_summarises_each_question_with_its_commonest_failure(demo):
    import re

    course, _, assignment = demo
    folder = course.root / "reports" / assignment
    page = (folder / "report.html").read_text()
    assert (folder / "score_distribution.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = re.findall(r"<tr><td>([a-z0-9-]+)</td><td>([0-9.]+)</td><td>([0-9.]+)</td>"
                      r"<td>(\d+)%</td><td>(.*?)</td></tr>", page)
    table = read_scores(course, assignment)
    expected = [g for g in table.grade_ids if g in table.autograded
                and table.cells["avery"][g].max_score > 0]
    assert [r[0] for r in rows] == expected
    for grade_id, top, mean, full, failure in rows:
        # blake hands in the release untouched: no question has full marks from everyone,
        # and every question shows a failure.
        assert float(mean) < float(top) and int(full) < 100 and failure, grade_id


def test_honest_work_is_never_flagged(demo):
    """Right, wrong and blank work alike: the kernel watch, the sandbox and the comparison
    with the release find nothing to flag in any demo submission."""
    import json

    course, _, assignment = demo
    saved = json.loads((course.root / "reports" / assignment / "grading.json").read_text())
    assert {s["student"]: s["flags"] for s in saved["submissions"]} == {
        s["student"]: [] for s in saved["submissions"]}
    assert "Grading flagged nothing." in (course.root / "reports" / assignment /
                                           "report.html").read_text()


def test_the_similarity_report_is_linked_from_the_report_and_changes_no_grade(demo):
    """The demo students all start from the reference solution, so every pair shares most
    of its code: the page ranks them; the grades stay as they were."""
    course, _, assignment = demo
    before = read_scores(course, assignment)
    grades = (course.root / "grades.csv").read_text()
    result = subprocess.run([sys.executable, "-m", "autograder", "--course", str(course.root),
                             "similarity", assignment], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    folder = course.root / "reports" / assignment
    assert 'href="similarity.html"' in (folder / "report.html").read_text()
    assert 'href="report.html"' in (folder / "similarity.html").read_text()
    after = read_scores(course, assignment)
    assert {s: {g: c.score for g, c in cells.items()} for s, cells in after.cells.items()} == \
        {s: {g: c.score for g, c in cells.items()} for s, cells in before.cells.items()}
    assert (course.root / "grades.csv").read_text() == grades
    with open(folder / "similarity.csv", newline="") as handle:
        pairs = {frozenset({r["first"], r["second"]}) for r in csv.DictReader(handle)}
    students = {p.parent.name for p in course.submitted.glob(f"*/{assignment}")}
    assert len(pairs) == len(students) * (len(students) - 1) // 2
