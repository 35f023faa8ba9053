"""Parallel autograding on Dask: the same scores as serial nbgrader, and nothing lost.

Real parts throughout: nbgrader, kernels, a Dask LocalCluster, a `dask scheduler` with two
`dask worker` processes on loopback, and a PostgreSQL server from Debian's packages.
"""

import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import dask
import distributed  # noqa: F401 - its defaults in dask.config before a test sets one
import nbformat
import pytest
from traitlets.config import Config

from autograder.course import Course
from autograder.execution.executor import execute_notebook
from autograder.grade import Submission, autograde, autograde_serial, build_report
from autograder.execution.limits import Limits
from autograder.execution.parallel import dask_processes
from autograder.scoring.scores import read_scores
from autograder.intake.submission_mix import place_submissions

ASSIGNMENT = "backprop_digits"
CELL_TIMEOUT = 20  # seconds: well above any cell of the assignment on a busy machine
# Graded by both serial nbgrader and the pipeline, and compared cell by cell.
COMPARABLE = {"ann": "correct", "bob": "devon", "cid": "blank"}
# Serial nbgrader gives no grade (crash, malformed) or no memory limit (hog), or would spend
# the loop's timeout once more: the pipeline only.
TROUBLED = {"dee": "crash", "eve": "loop", "fay": "hog", "gus": "malformed", "kim": "kill"}


pytestmark = pytest.mark.usefixtures("one_blas_thread")


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A course with backprop_digits released (its gradebook knows the assignment)."""
    from conftest import released_course

    return released_course(tmp_path_factory.mktemp("released") / "course", ASSIGNMENT,
                           CELL_TIMEOUT)


def copy_course(released, where: Path, students: dict) -> Course:
    shutil.copytree(released.root, where)
    course = Course(where)
    place_submissions(course, ASSIGNMENT, students)
    return course


def autograded(course, student):
    return nbformat.read(course.autograded / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                         as_version=4)


def error_names(notebook):
    return {o.ename for c in notebook.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.output_type == "error"}


@pytest.mark.slow  # grades through nbgrader and Dask
def test_pipeline_matches_serial_nbgrader_and_records_every_failure(released, tmp_path):
    serial = copy_course(released, tmp_path / "serial", COMPARABLE)
    autograde_serial(serial, ASSIGNMENT)
    parallel = copy_course(released, tmp_path / "parallel", {**COMPARABLE, **TROUBLED})
    malformed = (parallel.submitted / "gus" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes()

    # A job whose worker dies is not retried on the other worker (Dask's default: 3 times).
    # Without the sandbox, so that kim's attack really kills its worker: inside the sandbox
    # it cannot reach the worker (tests/test_sandbox.py), and a lost worker is the path
    # this run checks.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        report = autograde(parallel, ASSIGNMENT, workers=2, limits=Limits(memory=2 << 30),
                           sandbox=False)

    # Every cell's score, max score and manual flag as serial nbgrader recorded them.
    expected, got = read_scores(serial, ASSIGNMENT), read_scores(parallel, ASSIGNMENT)
    for student in COMPARABLE:
        assert got.cells[student] == expected.cells[student], student
    assert expected.cells["ann"] != expected.cells["bob"]  # the set has different scores

    # Count in = count out, and each failure is a row of zeros with its reason.
    assert (report.count_in, report.count_out, report.missing) == (8, 8, [])
    with parallel.gradebook() as gradebook:  # one submission each, kim's lost job included
        assert sorted(s.student.id for s in gradebook.find_assignment(ASSIGNMENT).submissions) \
            == sorted({**COMPARABLE, **TROUBLED})
    status = {s["student"]: s["status"] for s in report.submissions}
    assert status == {"ann": "ok", "bob": "ok", "cid": "ok", "eve": "cell_timeout",
                      "dee": "kernel_died", "fay": "out_of_memory", "gus": "unreadable",
                      "kim": "worker_lost"}
    saved = json.loads(report.path.read_text())
    assert saved["count_in"] == saved["count_out"] == 8
    reasons = {s["student"]: s["reason"] for s in saved["submissions"]}
    assert "exited with code 1" in reasons["dee"] and "NotJSONError" in reasons["gus"]
    assert "KilledWorker" in reasons["kim"]
    tests = got.autograded
    for student in ("dee", "gus", "kim"):
        assert {g: got.cells[student][g].score for g in tests} == dict.fromkeys(tests, 0.0)
    for student in ("eve", "fay"):  # stopped before the Affine class was defined
        assert got.cells[student]["affine-check"].score == 0
        assert got.graded_total(student)[0] < got.graded_total("ann")[0]
    assert got.cells["eve"]["relu-check"].score == 3  # the loop was stopped, the rest ran
    assert "memory" in reasons["fay"] and "limit of 20 s" in reasons["eve"]

    # The autograded notebooks exist and say why (this is what the feedback shows).
    assert "KernelDied" in error_names(autograded(parallel, "dee"))
    assert error_names(autograded(parallel, "gus")) == {"SubmissionUnreadable"}
    assert "MemoryError" in error_names(autograded(parallel, "fay"))
    assert "CellTimeoutError" in error_names(autograded(parallel, "eve"))
    # nbgrader's feedback: one file per submission, the reason shown where it applies.
    parallel.nbgrader("generate_feedback", ASSIGNMENT, "--force")
    feedback = {p.parent.parent.name: p.read_text()
                for p in (parallel.root / "feedback").glob(f"*/{ASSIGNMENT}/*.html")}
    assert sorted(feedback) == sorted({**COMPARABLE, **TROUBLED})
    assert "KernelDied" in feedback["dee"] and "SubmissionUnreadable" in feedback["gus"]
    assert "WorkerLost" in feedback["kim"]
    # The student's file is kept as it came in.
    assert (parallel.submitted / "gus" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes() \
        == malformed

    # The count check can fail: an autograded notebook gone missing is reported.
    (parallel.autograded / "ann" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").unlink()
    again = build_report(parallel, ASSIGNMENT, [Submission("ann", [f"{ASSIGNMENT}.ipynb"])],
                         tmp_path / "check.json")
    assert (again.count_in, again.count_out, again.missing) == (1, 0, ["ann"])


def test_notebook_time_limit_stops_the_rest_with_a_reason(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import time\ntime.sleep(2)"),
        nbformat.v4.new_code_cell("time.sleep(2)"),
        nbformat.v4.new_code_cell("print('never')"),
    ])
    notebook.metadata.kernelspec = {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}
    config = Config()
    config.GuardedExecute.notebook_timeout = 3
    executed, outcome = execute_notebook(notebook, tmp_path, config, None, tmp_path / "log")
    assert outcome.status == "notebook_timeout"
    last = executed.cells[-1].outputs
    assert [o.ename for o in last] == ["NotebookTimeLimit"] and "3 s" in last[0].evalue


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dask_scheduler(tmp_path):
    """A `dask scheduler` and two `dask worker` processes on 127.0.0.1; yields the address."""
    with open(tmp_path / "dask.log", "w") as log, dask_processes(2, log=log) as address:
        yield address


def untimed(value):
    """A report's submissions without the run times, which differ from run to run."""
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


def hidden_test_cell(course, grade_id):
    path = course.source / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                == grade_id)
    return path, notebook, cell


@pytest.mark.slow  # grades through nbgrader and Dask
def test_remote_dask_cluster_regrades_after_a_fix_and_reruns_idempotently(
        released, tmp_path, dask_scheduler, capsys):
    course = copy_course(released, tmp_path / "course", {"ann": "correct", "cid": "blank"})
    # An instructor's hidden test with a bug: it fails every submission.
    path, notebook, cell = hidden_test_cell(course, "affine-hidden")
    original = cell.source
    cell.source = original + "\nassert False, 'a bug in the test'"
    nbformat.write(notebook, path)
    course.nbgrader("generate_assignment", ASSIGNMENT, "--force", "--create")

    first = autograde(course, ASSIGNMENT, scheduler=dask_scheduler, progress=True)
    assert "2 Dask worker(s)" in json.loads(first.path.read_text())["cluster"]
    assert "grading: 100%" in capsys.readouterr().err  # the progress bar
    buggy = read_scores(course, ASSIGNMENT)
    assert buggy.cells["ann"]["affine-hidden"].score == 0

    again = autograde(course, ASSIGNMENT, scheduler=dask_scheduler)
    assert read_scores(course, ASSIGNMENT).cells == buggy.cells
    assert untimed(again.submissions) == untimed(first.submissions)

    cell.source = original  # the fix
    nbformat.write(notebook, path)
    course.nbgrader("generate_assignment", ASSIGNMENT, "--force", "--create")
    autograde(course, ASSIGNMENT, scheduler=dask_scheduler)
    fixed = read_scores(course, ASSIGNMENT)
    assert fixed.cells["ann"]["affine-hidden"].score == 5
    assert fixed.graded_total("ann")[0] == buggy.graded_total("ann")[0] + 5
    assert fixed.cells["cid"] == buggy.cells["cid"]


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return Path(found[-1]).parent if found else None


@pytest.fixture
def postgres():
    """A throw-away PostgreSQL server on 127.0.0.1 (as `nobody` when run as root, since
    postgres refuses root); yields its SQLAlchemy URL."""
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server not installed (./kit test installs Debian's postgresql)")
    data = Path(tempfile.mkdtemp(prefix="kit-pg-"))
    as_user = {}
    if os.geteuid() == 0:
        shutil.chown(data, "nobody")
        as_user = {"user": "nobody", "group": "nogroup", "extra_groups": []}
    subprocess.run([bindir / "initdb", "-D", data / "db", "-U", "grader", "--auth=trust",
                    "-E", "UTF8", "--no-sync"], check=True, capture_output=True, **as_user)
    port = free_port()
    server = subprocess.Popen(
        [bindir / "postgres", "-D", data / "db", "-h", "127.0.0.1", "-p", str(port),
         "-k", data, "-c", "fsync=off"],
        stdout=subprocess.DEVNULL, stderr=open(data / "server.log", "w"), **as_user)
    try:
        for _ in range(100):
            ready = subprocess.run([bindir / "pg_isready", "-h", "127.0.0.1", "-p", str(port)],
                                   capture_output=True)
            if ready.returncode == 0:
                break
            time.sleep(0.2)
        else:
            pytest.fail("PostgreSQL did not start: " + (data / "server.log").read_text())
        yield f"postgresql+psycopg://grader@127.0.0.1:{port}/postgres"
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


@pytest.mark.slow  # grades through nbgrader and Dask
def test_two_graders_share_a_postgresql_gradebook(released, tmp_path, postgres):
    teams = {"ta1": {"ann": "correct", "cid": "blank"}, "ta2": {"dee": "crash", "bob": "devon"}}
    courses = {}
    for ta, students in teams.items():
        course = copy_course(released, tmp_path / ta, students)
        (course.root / "gradebook.db").unlink()  # the SQLite gradebook is not used
        with open(course.root / "nbgrader_config.py", "a") as config:
            config.write(f"\nc.CourseDirectory.db_url = {postgres!r}\n")
        assert course.db_url == postgres
        courses[ta] = course
    courses["ta1"].nbgrader("generate_assignment", ASSIGNMENT, "--force", "--create")

    reports, errors = {}, []

    def grade(ta):
        try:
            reports[ta] = autograde(courses[ta], ASSIGNMENT, workers=1)
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=grade, args=(ta,)) for ta in courses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert all(r.count_in == r.count_out == 2 for r in reports.values())

    table = read_scores(courses["ta1"], ASSIGNMENT)  # one gradebook: all four students
    assert table.students == ["ann", "bob", "cid", "dee"]
    assert table.graded_total("ann")[0] > table.graded_total("bob")[0] > 0
    assert table.graded_total("cid")[0] == table.graded_total("dee")[0] == 0
