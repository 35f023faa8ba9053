"""The grading sandbox: hostile submissions graded for real, and refusal without bwrap.

Real parts: bubblewrap, nbgrader, kernels, a Dask LocalCluster, a TCP listener on the
grader's loopback. The hostile suite is tests/hostile_submissions.py.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from traitlets.config import Config

from autograder.course import Course
from autograder.execution.executor import execute_notebook
from autograder.grade import autograde
from autograder.execution.limits import Limits
from autograder.execution.sandbox import (Sandbox, SandboxUnavailable, data_roots, probe,
                                          python_roots)
from autograder.scoring.scores import read_scores
from autograder.intake.submission_mix import place_submissions
from hostile_submissions import ATTACKS
from hostile_verdict import (Listener, assert_contained, autograded, digests, hostile_course,
                             printed)

ASSIGNMENT = "backprop_digits"
NAMED = {"bubblewrap": "bubblewrap sandbox", "podman": "podman container sandbox"}
CELL_TIMEOUT = 20  # seconds: well above any cell of the assignment on a busy machine
MEMORY = 2 << 30  # bytes per kernel: the memory bomb's ceiling

PROBLEM = probe(Sandbox())
pytestmark = [pytest.mark.skipif(PROBLEM != "", reason=f"no working sandbox here: {PROBLEM} "
                                 "(./kit installs Debian's bubblewrap)"),
              pytest.mark.usefixtures("one_blas_thread")]


PODMAN = Sandbox(backend="podman")
PODMAN_PROBLEM = probe(PODMAN)  # and the engine's options that work here
BACKENDS = [pytest.param("bubblewrap"),
            pytest.param("podman", marks=pytest.mark.skipif(
                PODMAN_PROBLEM != "", reason=f"no podman sandbox here: {PODMAN_PROBLEM}"))]


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A course with backprop_digits released."""
    from conftest import released_course

    return released_course(tmp_path_factory.mktemp("released") / "course", ASSIGNMENT,
                           CELL_TIMEOUT)


@pytest.mark.slow  # grades a course through nbgrader
@pytest.mark.parametrize("backend", BACKENDS)
def test_hostile_submissions_are_contained_flagged_and_harm_no_one(released, tmp_path, capsys,
                                                                    backend):
    listener = Listener()
    try:
        course = hostile_course(released, tmp_path / "course", listener.port)
        with open(course.root / "nbgrader_config.py", "a") as config:
            config.write(f"\nc.Sandbox.backend = {backend!r}\n")
        protected = [course.root / "gradebook.db",
                     course.submitted / "ann" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"]
        before = digests(protected[1:])
        report = autograde(course, ASSIGNMENT, workers=2, limits=Limits(memory=MEMORY))
        solo = Course(tmp_path / "solo")
        shutil.copytree(released.root, solo.root)
        place_submissions(solo, ASSIGNMENT, {"ann": "correct"})
        autograde(solo, ASSIGNMENT, workers=1, limits=Limits(memory=MEMORY))
    finally:
        listener.close()

    saved = json.loads(report.path.read_text())
    assert (report.count_in, report.count_out) == (saved["count_in"], saved["count_out"])
    assert_contained(course, saved, solo, listener, untouched=digests(protected[1:]) == before,
                     sandbox=NAMED[backend], capsys=capsys)


@pytest.mark.slow  # grades a course through nbgrader
def test_grading_refuses_without_bwrap_unless_told_and_then_says_so(released, tmp_path):
    course = Course(tmp_path / "course")
    shutil.copytree(released.root, course.root)
    attack = next(a for a in ATTACKS if a.name == "read_secrets")
    place_submissions(course, ASSIGNMENT, {"ann": "correct", "rita": "read_secrets"}, trouble={
        "read_secrets": attack.code.format(course=course.root, other="ann", port=0,
                                           assignment=ASSIGNMENT)})
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write("\nc.Sandbox.executable = '/nonexistent/bwrap'\n"
                     "c.Sandbox.engine = '/nonexistent/podman'\n")

    # A bwrap that cannot start a sandbox (as without user namespaces) fails the probe too.
    assert "could not start a sandbox" in probe(Sandbox(executable="/bin/false",
                                                        backend="bubblewrap"))
    with pytest.raises(SandboxUnavailable, match="refuses.*/nonexistent/bwrap.*--no-sandbox"):
        autograde(course, ASSIGNMENT, workers=1)
    assert not (course.root / "reports" / ASSIGNMENT / "grading.json").exists()
    assert not course.autograded.exists()

    # The command line refuses too, then grades with --no-sandbox and says so.
    kit = [sys.executable, "-m", "autograder", "--course", str(course.root), "autograde",
           ASSIGNMENT, "--workers", "1"]
    refused = subprocess.run(kit, capture_output=True, text=True)
    assert refused.returncode == 1 and "refuses" in refused.stderr
    graded = subprocess.run(kit + ["--no-sandbox"], capture_output=True, text=True)
    assert graded.returncode == 0, graded.stderr
    assert "WARNING: graded WITHOUT a sandbox" in graded.stdout
    saved = json.loads((course.root / "reports" / ASSIGNMENT / "grading.json").read_text())
    assert saved["sandbox"].startswith("WITHOUT a sandbox: the instructor opted out")
    assert "/nonexistent/bwrap" in saved["sandbox"]
    # Without the sandbox the same attack reads every file: the sandbox is what stops it.
    assert "leaked 4 of 4 files" in printed(autograded(course, "rita")[1])


def run_cells(tmp_path, cells, **sandbox):
    """Execute ``cells`` in one sandboxed kernel with the given c.Sandbox settings."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata.kernelspec = {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}
    config = Config()
    config.Execute.timeout = CELL_TIMEOUT
    config.Execute.allow_errors = True
    for name, value in sandbox.items():
        setattr(config.Sandbox, name, value)
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "mine.txt").write_text("the student's own file")
    return execute_notebook(notebook, tmp_path / "work", config, MEMORY, tmp_path / "log")


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_kernel_sees_only_its_folder_and_stops_at_its_limits(tmp_path, monkeypatch, backend):
    monkeypatch.setenv("GRADER_SECRET_TOKEN", "s3cret")
    (tmp_path / "beside.txt").write_text("next to the student's folder")
    # A file in the container's root folder, where its /tmp is mounted: never copied in.
    (tmp_path / "root" / "tmp").mkdir(parents=True, mode=0o700)
    (tmp_path / "root").chmod(0o700)
    (tmp_path / "root" / "tmp" / "planted.pth").write_text("import os")
    executed, outcome = run_cells(tmp_path, [
        "import json, os, subprocess\nprint(open('mine.txt').read()); "
        "open('new.txt', 'w').write('ok')",
        "def writable(path):\n    try:\n        open(path, 'w').close()\n        return True\n"
        "    except OSError:\n        return False\n"
        f"print(json.dumps([os.path.exists({str(tmp_path / 'beside.txt')!r}), "
        f"os.listdir({os.path.expanduser('~')!r}), 'GRADER_SECRET_TOKEN' in os.environ, "
        "[p for p in ('/var/tmp/x', '/run/x', '/usr/x', '/etc/x', '/x') if writable(p)], "
        "sorted(os.listdir('/tmp')), "
        "subprocess.run(['unshare', '--user', 'true'], capture_output=True, "
        "text=True).stderr]))",
        "open('big.bin', 'wb').write(b'x' * (2 << 20))",
        "while True:\n    pass",
        "print('never')",
    ], file_bytes=1 << 20, cpu_seconds=3, backend=backend,
        engine_arguments=PODMAN.engine_arguments if backend == "podman" else [],
        container_root=str(tmp_path / "root"))
    outputs = [c.outputs for c in executed.cells]
    assert outputs[0][0].text == "the student's own file\n"
    assert (tmp_path / "work" / "new.txt").read_text() == "ok"  # its folder is writable
    # Beside its folder: nothing; of the grader's home only the Python installation and the
    # data cache it runs with, if they live there; none of the grader's environment.
    beside, home, secret, system, tmp, new_user_namespace = json.loads(outputs[1][0].text)
    assert beside is False and secret is False
    # No user namespace of its own, with every capability in it: bubblewrap allows no more
    # (--disable-userns), the container's seccomp profile refuses the call.
    refused = {"bubblewrap": "No space left on device", "podman": "Operation not permitted"}
    assert f"unshare failed: {refused[backend]}" in new_user_namespace, new_user_namespace
    assert system == []  # nothing writable beyond its folder and its private /tmp
    # /tmp starts empty: what is there the kernel made, or holds the mount points of its
    # folders, of the Python environment and of the data (a clone under /tmp has them there)
    mounts = {Path(p).parts[2] for p in [str(tmp_path), *python_roots(), *data_roots(Sandbox())]
              if p.startswith("/tmp/")}
    assert {n for n in tmp if not n.startswith("kernel-")} - mounts <= {
        ".cache", ".config", ".ipython", ".local", ".jupyter"}, tmp
    home_folder = os.path.expanduser("~").rstrip("/") + "/"
    shown = {root[len(home_folder):].split("/")[0] for root in python_roots() + data_roots(
        Sandbox()) if root.startswith(home_folder)}  # e.g. .pyenv, .cache, a clone's .venv
    assert set(home) <= shown
    assert outputs[2][0].ename == "OSError" and "File too large" in outputs[2][0].evalue
    assert outcome.status == "kernel_died" and "SIGXCPU" in outcome.reason
    assert outputs[4][0].ename == "KernelDied"


@pytest.mark.slow  # grades a course through nbgrader
def test_edited_or_deleted_test_cells_earn_nothing(released, tmp_path):
    """A test cell turned into `pass` and given 1000 points, and a hidden-test cell deleted:
    nbgrader puts the test back and keeps its points, a deleted cell scores 0 (and waits
    for a person), so the forger gets exactly what the same code earns untouched; the
    report names each change."""
    course = Course(tmp_path / "course")
    shutil.copytree(released.root, course.root)
    place_submissions(course, ASSIGNMENT, {"casey": "casey", "forger": "casey"})
    path = course.submitted / "forger" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    kept = []
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "crossentropy-check":  # casey's cross-entropy is wrong
            cell.source = "pass"
            cell.metadata["nbgrader"]["points"] = 1000
        if grade_id != "crossentropy-hidden":
            kept.append(cell)
    notebook.cells = kept
    nbformat.write(notebook, path)

    report = autograde(course, ASSIGNMENT, workers=2, limits=Limits(memory=MEMORY))
    entries = {s["student"]: s for s in report.submissions}
    assert entries["casey"]["flags"] == []
    assert entries["forger"]["status"] == "cells_edited"
    reason = entries["forger"]["reason"]
    for change in ("edited the test cell crossentropy-check",
                   "changed the points of crossentropy-check from 5 to 1000",
                   "deleted the test cell crossentropy-hidden"):
        assert change in reason, reason
    scores = read_scores(course, ASSIGNMENT)
    honest, forged = scores.cells["casey"], scores.cells["forger"]
    assert forged["crossentropy-check"] == honest["crossentropy-check"]  # 0 of 5, not 1000
    assert forged["crossentropy-hidden"].score == 0
    assert scores.graded_total("forger")[0] == scores.graded_total("casey")[0] > 0
    assert all(forged[g].score <= honest[g].score for g in scores.autograded)


WATCHED_CELLS = [
    # Attempts caught by try/except, so that no error output shows them ...
    "try:\n    open({outside!r}).read()\nexcept OSError:\n    pass",
    "import socket\ntry:\n    socket.create_connection(('127.0.0.1', 9), timeout=2)\n"
    "except OSError:\n    pass",
    # (a process id above any Linux's pid_max: the test also runs without the sandbox)
    "import os, signal\ntry:\n    os.kill(4194305, signal.SIGKILL)\nexcept OSError:\n    pass",
    "import subprocess\ntry:\n    subprocess.run(['true'])\nexcept OSError:\n    pass",
    "try:\n    open('/usr/lib/os-release', 'a')\nexcept OSError:\n    pass",
    # ... and what honest code does: temporary files, its own files, a plot.
    "import tempfile, numpy as np\nname = tempfile.mktemp(suffix='.npy')\n"
    "np.save(name, np.ones(3)); np.load(name)\nopen('mine.txt', 'a').write('x')\n"
    "import matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show()",
    # What a cell does to the machinery the later (test) cells run with: seen when the
    # kernel compiles the next cell.
    "def tidy(result):\n    pass\nget_ipython().events.register('post_run_cell', tidy)\n"
    "import numpy\nnumpy.allclose = lambda *a, **k: True",
    "pass",
]


@pytest.mark.parametrize("sandboxed", [True, False], ids=["sandbox", "no-sandbox"])
def test_the_kernel_watch_flags_attempts_hidden_in_try_except(tmp_path, sandboxed):
    outside = tmp_path / "beside.txt"
    outside.write_text("the grader's")
    cells = [c.format(outside=str(outside)) for c in WATCHED_CELLS]
    executed, outcome = run_cells(tmp_path, cells, enabled=sandboxed)
    assert not any(o.output_type == "error" for c in executed.cells for o in c.outputs)
    flagged = {}
    for status, reason in outcome.flags:
        flagged.setdefault(int(reason.split()[1]), []).append((status, reason))
    hidden = " (hidden by the sandbox)" if sandboxed else ""
    assert ("sandbox_denied", f"cell 0 opened {outside}, outside its own folder{hidden}") \
        in flagged[0]
    assert any("opened a network connection to ('127.0.0.1', 9)" in r for _, r in flagged[1])
    assert any("sent signal 9 to process 4194305" in r for _, r in flagged[2])
    assert flagged[3] == [("program_started",
                           "cell 3 started a program (subprocess.Popen: ['true'])")]
    assert any("wrote to /usr/lib/os-release, outside its own folder" in r
               for _, r in flagged[4])
    assert 5 not in flagged, flagged[5]  # no false alarm for honest code
    # (IPython compiles a cell statement by statement: the callback is seen in cell 6, the
    # numpy function replaced by its last statement only when cell 7 is compiled)
    assert flagged[6] == [("tampering", "cell 6 changed the kernel the test cells run in "
                           "(seen as this cell ran): registered an IPython post_run_cell "
                           "callback (tidy)")]
    assert flagged[7] == [("tampering", "cell 7 changed the kernel the test cells run in "
                           "(seen as this cell ran): replaced numpy.allclose")]
    assert outcome.status == "sandbox_denied"


def test_the_kernel_watch_flags_a_notebook_opened_in_its_own_folder(tmp_path):
    """Its folder is its own to read, but the notebook there is the one being graded."""
    executed, outcome = run_cells(tmp_path, [
        "print(open('mine.txt').read())",
        "with open('copy.ipynb', 'w') as f:\n    f.write('{}')\nopen('copy.ipynb').read()",
    ], enabled=False)
    assert not any(o.output_type == "error" for c in executed.cells for o in c.outputs)
    assert outcome.flags == [["tampering", "cell 1 opened the notebook file copy.ipynb in "
                              "its folder, where the notebook being graded is kept"]]


@pytest.mark.slow  # grades a course through nbgrader
def test_honest_work_is_not_flagged_under_a_fresh_home(released, tmp_path, monkeypatch):
    """On a fresh machine nothing is cached: matplotlib has no font list yet. Building it
    runs fc-list, which must not happen inside a graded kernel, where the watch would
    report every honest notebook as having started a program."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "MPLCONFIGDIR", "IPYTHONDIR"):
        monkeypatch.delenv(name, raising=False)
    course = Course(tmp_path / "course")
    shutil.copytree(released.root, course.root)
    place_submissions(course, ASSIGNMENT, {"ann": "correct", "casey": "casey"})

    report = autograde(course, ASSIGNMENT, workers=1, limits=Limits(memory=MEMORY))
    assert {s["student"]: s["flags"] for s in report.submissions} == {"ann": [], "casey": []}
    assert {s["student"]: s["status"] for s in report.submissions} == {"ann": "ok",
                                                                       "casey": "ok"}
    # The font list was built once, by the grader, where the kernels read it.
    assert list((home / ".cache" / "matplotlib").glob("fontlist-*.json"))


def test_the_notebook_in_the_kernels_folder_holds_no_hidden_tests(tmp_path):
    """nbgrader puts the hidden tests back before grading; the copy a cell can open from
    its working folder must not have them (they still run as the test cell)."""
    from autograder.execution.executor import kernel_folder

    reader = nbformat.v4.new_code_cell(
        "text = open('graded.ipynb').read()\n"
        # (the names are split so that this cell's own source does not contain them)
        "print('hidden visible:', 'secret_' + 'threshold' in text, 'check visible:', "
        "'visible_' + 'check' in text)")
    test = nbformat.v4.new_code_cell(
        "visible_check = 1\n### BEGIN HIDDEN TESTS\nsecret_threshold = 0.93\n"
        "print('hidden test ran')\n### END HIDDEN TESTS")
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                 "grade_id": "t-hidden", "points": 1, "schema_version": 3}
    notebook = nbformat.v4.new_notebook(cells=[reader, test])
    notebook.metadata.kernelspec = {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}
    config = Config()
    config.Execute.timeout = CELL_TIMEOUT
    config.Execute.allow_errors = True
    built = tmp_path / "built"  # nbgrader's folder for the notebook, hidden tests put back
    built.mkdir()
    nbformat.write(notebook, built / "graded.ipynb")
    kernel_folder(built, {}, tmp_path / "work")
    executed, _ = execute_notebook(notebook, tmp_path / "work", config, MEMORY, tmp_path / "log")
    text = ["".join(o.get("text", "") for o in cell.outputs) for cell in executed.cells]
    assert text == ["hidden visible: False check visible: True\n", "hidden test ran\n"]


@pytest.mark.slow  # grades the demo twice through nbgrader
@pytest.mark.skipif(PODMAN_PROBLEM != "", reason=f"no podman sandbox here: {PODMAN_PROBLEM}")
def test_the_demo_scores_the_same_cell_by_cell_under_both_backends(released, tmp_path):
    from autograder.demo import build_demo_submissions
    from autograder.intake.collect import collect

    scores = {}
    for backend in ("bubblewrap", "podman"):
        course = Course(tmp_path / backend)
        shutil.copytree(released.root, course.root)
        with open(course.root / "nbgrader_config.py", "a") as config:
            config.write(f"\nc.Sandbox.backend = {backend!r}\n")
        collect(course, ASSIGNMENT, build_demo_submissions(course, ASSIGNMENT,
                                                           tmp_path / f"{backend}-in")[0].parent)
        report = autograde(course, ASSIGNMENT, workers=2, limits=Limits(memory=MEMORY))
        assert report.sandbox.startswith(NAMED[backend])
        assert not report.problems(), report.summary()
        scores[backend] = read_scores(course, ASSIGNMENT)
    both = scores["bubblewrap"], scores["podman"]
    assert both[0].students == both[1].students and len(both[0].students) == 6
    assert both[0].cells == both[1].cells
