"""Gradescope's autograder for backprop_digits, built, installed by its own setup.sh and
run on Gradescope's folder layout with right, wrong, blank, broken and hostile work; and
the parts of it that need no kernel (results.json, which uploaded notebook is which).

The students' kernels run as ``nobody``, the autograder as root, as on Gradescope.
"""

import json
import subprocess
import sys
import time

import nbformat
import pytest

from gradescope_layout import (HIDDEN_MARK, KERNEL_USER, check_results, gradescope_root,
                               installed_env, run_autograder)
from autograder.gradescope.results import cell_output, results_json
from autograder.gradescope.run import Settings, match_notebooks

ASSIGNMENT = "backprop_digits"


# --------------------------------------------------------------- no kernel needed

def test_results_json_has_the_fields_gradescope_reads():
    tests = [{"name": "affine-check (hw)", "score": 5.0, "max_score": 5.0, "output": "ok",
              "manual": False, "hidden": False},
             {"name": "affine-hidden (hw)", "score": 0.0, "max_score": 5.0, "output": "bad",
              "manual": False, "hidden": True},
             {"name": "proof (hw)", "score": 0.0, "max_score": 0.0, "output": "by hand",
              "manual": True, "hidden": False}]
    results = results_json(tests, 12.4, "Graded.", hidden_visibility="after_due_date")
    check_results(results)
    assert results["score"] == 5.0 and results["execution_time"] == 12
    assert [t["visibility"] for t in results["tests"]] == ["visible", "after_due_date",
                                                           "visible"]
    assert [t.get("status") for t in results["tests"]] == ["passed", "failed", None]
    assert "proof (hw)" in results["output"]  # named as left for the PDF


def test_a_visibility_gradescope_does_not_know_is_refused():
    with pytest.raises(ValueError, match="after_published"):
        results_json([], 1, "x", hidden_visibility="later")


def test_settings_name_what_they_do_not_know(tmp_path):
    (tmp_path / "gradescope.json").write_text(json.dumps({"assignment": "a", "timeout": 3}))
    with pytest.raises(ValueError, match="unknown setting.*timeout"):
        Settings.load(tmp_path)


def test_a_test_output_keeps_the_message_and_drops_the_traceback():
    cell = nbformat.v4.new_code_cell(outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="checking\n"),
        nbformat.v4.new_output("error", ename="CheckFailure", evalue="d_x is off by N",
                               traceback=[f"{HIDDEN_MARK}\ncheck_affine(seed=3)"])])
    assert cell_output(cell) == "checking\nCheckFailure: d_x is off by N"


@pytest.mark.parametrize("files,expected,matched,note", [
    (["hw1.ipynb"], ["hw1.ipynb"], {"hw1.ipynb": "hw1.ipynb"}, None),
    (["My HW1 (2).ipynb"], ["hw1.ipynb"], {"hw1.ipynb": "My HW1 (2).ipynb"}, "graded as"),
    (["hw1 (1).ipynb", "deep/hw1.ipynb"], ["hw1.ipynb"], {"hw1.ipynb": "hw1 (1).ipynb"},
     "not graded"),
    (["FC_nets.ipynb", "mine.ipynb"], ["FC_nets.ipynb", "two_layer_nn.ipynb"],
     {"FC_nets.ipynb": "FC_nets.ipynb"}, "two_layer_nn.ipynb was not uploaded"),
    (["answers.pdf"], ["hw1.ipynb"], {}, None),
])
def test_uploaded_notebooks_are_matched_to_the_assignment_s(tmp_path, files, expected,
                                                             matched, note):
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    found, notes = match_notebooks(tmp_path, tuple(expected))
    assert {k: str(v.relative_to(tmp_path)) for k, v in found.items()} == matched
    assert (note is None and not notes) or any(note in n for n in notes), notes


def test_the_launcher_drops_to_the_kernel_s_user_for_good(tmp_path):
    log = tmp_path / "kernel.log"
    subprocess.run([sys.executable, "-m", "autograder.execution.kernel_launcher",
                    "--user", "65534:65534", "--nproc", "64", "--log", str(log), "--",
                    "/bin/bash", "-c", "id -u; id -G; ulimit -u; su root -c 'echo became root'"],
                   timeout=60, check=False, stdin=subprocess.DEVNULL)
    said = log.read_text().split("\n")
    assert said[:3] == ["65534", "65534", "64"], said  # no root group kept, processes capped
    assert "became root" not in said


def test_a_kernel_user_must_exist_be_unprivileged_and_reach_its_folder():
    import tempfile
    from pathlib import Path

    from traitlets.config import Config

    from autograder.execution.sandbox import (KernelSandbox, Sandbox, SandboxUnavailable,
                                              let_pass)

    def prepare(user, folder):
        config = Config()
        config.Sandbox.user = user
        return KernelSandbox.prepare(Sandbox(config=config), str(folder), 0, isolate=False)

    with pytest.raises(SandboxUnavailable, match="no such user"):
        prepare("no-such-user-here", "/tmp")
    with pytest.raises(SandboxUnavailable, match="root"):
        prepare("root", "/tmp")
    with tempfile.TemporaryDirectory() as scratch:
        let_pass(scratch)  # as the grader makes its scratch folders for such kernels
        check_folder_handed_over(prepare, Path(scratch))


def check_folder_handed_over(prepare, scratch):
    from autograder.execution.sandbox import SandboxUnavailable

    closed = scratch / "closed"
    (closed / "work").mkdir(parents=True)
    closed.chmod(0o700)
    with pytest.raises(SandboxUnavailable, match="does not let others pass"):
        prepare(KERNEL_USER, closed / "work")
    closed.chmod(0o711)
    kernel = prepare(KERNEL_USER, closed / "work")
    try:
        assert (closed / "work").stat().st_uid == 65534
        assert kernel.environment({"HOME": "/root", "SECRET": "x", "PATH": "/usr/bin"},
                                  isolated=False) | {"PATH": "/usr/bin"} == {
            **kernel.environment({"PATH": "/usr/bin"}, isolated=False)}
        assert kernel.environment({}, isolated=False)["HOME"] == kernel.home
    finally:
        kernel.remove()


# --------------------------------------------------------------- Gradescope, for real

@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    """The course the zip holds (released: source, release and gradebook), the zip
    ./kit gradescope builds, and the environment its setup.sh installs."""
    from gradescope_layout import build_zip, unpack
    from autograder.course import Course

    where = tmp_path_factory.mktemp("gradescope")
    archive = build_zip(where / "course", ASSIGNMENT)
    unpack(archive, where / "unpacked")
    return Course(where / "unpacked" / "course"), archive, installed_env(archive)


def submission(course, kind: str, answers: dict | None = None) -> str:
    """A notebook's text: a demo student's work, the reference ("correct"), the release
    ("blank"), or the reference with some cells' code replaced by ``answers``."""
    from autograder.authoring import fill_solutions, reference_answers
    from autograder.intake.submission_mix import submission_text

    if answers is None:
        return submission_text(course, ASSIGNMENT, kind)
    released = course.release / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    source = nbformat.read(course.source / ASSIGNMENT / released.name, as_version=4)
    filled = {**reference_answers(source), **answers}
    return nbformat.writes(fill_solutions(nbformat.read(released, as_version=4), filled))


def grade_on_gradescope(tmp_path, autograder_zip, files: dict, settings=None) -> dict:
    """results.json of one submission of ``files`` (name -> text or bytes)."""
    _, archive, env = autograder_zip
    root = gradescope_root(tmp_path, archive, settings)
    for name, data in files.items():
        path = root / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    results = run_autograder(root, env)
    check_results(results)
    assert HIDDEN_MARK not in json.dumps(results)
    return results


def by_cell(results: dict) -> dict:
    """grade_id -> (score, max_score) of results.json's tests."""
    return {t["name"].split(" ")[0]: (t["score"], t["max_score"]) for t in results["tests"]}


@pytest.fixture(scope="module")
def kit_grades(autograder_zip):
    """./kit grade's scores of the demo students avery, blake and casey: student ->
    grade_id -> (score, max_score) of the autograded cells."""
    from autograder.grade import autograde
    from autograder.intake.submission_mix import place_submissions
    from autograder.scoring.scores import read_scores

    course = autograder_zip[0]
    place_submissions(course, ASSIGNMENT, {"avery": "avery", "blake": "blank", "casey": "casey"})
    autograde(course, ASSIGNMENT, progress=False)
    table = read_scores(course, ASSIGNMENT)
    return {student: {g: (c.score, c.max_score) for g, c in cells.items()
                      if g in table.autograded} for student, cells in table.cells.items()}


@pytest.mark.slow
@pytest.mark.parametrize("student", ["avery", "blake", "casey"])
def test_scores_equal_kit_grade_cell_by_cell(tmp_path, autograder_zip, kit_grades, student):
    # Uploaded under a name of the student's own: a one-notebook assignment takes any.
    kind = "blank" if student == "blake" else student  # blake hands in the release
    results = grade_on_gradescope(tmp_path, autograder_zip, {
        f"{student} homework.ipynb": submission(autograder_zip[0], kind)})
    scores = by_cell(results)
    assert {g: scores[g] for g in kit_grades[student]} == kit_grades[student]
    assert results["score"] == sum(s for s, _ in kit_grades[student].values())
    assert "graded as backprop_digits.ipynb" in results["output"]
    manual = [t for t in results["tests"] if t["max_score"] == 0]
    assert [t["name"] for t in manual] == ["logsumexp-proof (backprop_digits)"]
    assert "PDF" in manual[0]["output"]
    hidden = [t for t in results["tests"] if "-hidden" in t["name"]]
    assert hidden and all(t["visibility"] == "after_published" for t in hidden)
    if student == "casey":  # the checker's message, naming the mistake
        assert any("d_logits ignores d_out" in t["output"] for t in results["tests"])


@pytest.mark.slow
def test_a_broken_notebook_or_only_a_pdf_still_gets_a_result(tmp_path, autograder_zip):
    broken = grade_on_gradescope(tmp_path / "broken", autograder_zip, {
        f"{ASSIGNMENT}.ipynb": submission(autograder_zip[0], "correct")[:5000]})
    assert broken["score"] == 0 and broken["tests"]
    assert "could not be read" in broken["output"] or "not valid" in broken["output"], \
        broken["output"]
    pdf_only = grade_on_gradescope(tmp_path / "pdf", autograder_zip,
                                   {"answers.pdf": b"%PDF-1.4 not a notebook"})
    assert pdf_only["score"] == 0 and pdf_only["tests"]
    assert "No notebook of this assignment was found" in pdf_only["output"]


STEAL = """
import glob
_found = []
# Gradescope's folders, and the grader's private copy of the course
for _path in glob.glob({root!r} + "/**", recursive=True) + glob.glob("/tmp/gradescope-run-*/**"):
    try:
        with open(_path) as _file:
            _found.append(_path + ": " + _file.read(4000))
    except OSError as _error:
        pass
try:
    with open({root!r} + "/results/results.json", "w") as _file:
        _file.write('{{"score": 1000, "tests": []}}')
except OSError:
    pass
"""

KILL = """
import os, signal
for _pid in range(2, 4 * 10**4):  # every process of the machine, the grader's included
    if _pid != os.getpid():
        try:
            os.kill(_pid, signal.SIGKILL)
        except OSError:
            pass
"""

LEAK = """
def _leak(self, *args, **kwargs):
    raise RuntimeError("found: " + repr(_found)[:3000])
ReLU.forward = _leak
"""


@pytest.mark.slow
def test_a_hostile_submission_reads_writes_and_kills_nothing_of_the_grader(tmp_path,
                                                                          autograder_zip):
    """Its code runs as the kernels' user: the autograder's folders are closed to it (what
    it found would reach results.json through a checker's message: ReLU.forward raises
    it), its results.json is replaced, and killing every process it can reach ends only
    its own kernel (the feedforward cells then score 0), never the grader."""
    from autograder.authoring import reference_answers

    course = autograder_zip[0]
    source = nbformat.read(course.source / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    answers = reference_answers(source)
    root = tmp_path / "autograder"
    notebook = submission(course, "", {
        "relu-impl": STEAL.format(root=str(root)) + answers["relu-impl"] + LEAK,
        "feedforward-impl": KILL + answers["feedforward-impl"]})
    # As on Gradescope, where bubblewrap cannot run: the kernels' own user is all there is.
    # A user of its own, though: as the kernels' user of the other tests (which may be
    # grading beside it, on the other pytest worker) it would kill their kernels too.
    user = own_user("nnkit-hostile")
    results = grade_on_gradescope(tmp_path, autograder_zip, {"hw.ipynb": notebook},
                                  {"bubblewrap": False, "user": user})
    scores = by_cell(results)
    assert scores["relu-check"][0] == 0 and "found: []" in json.dumps(results)
    assert scores["affine-check"] == scores["crossentropy-hidden"] == (5.0, 5.0)
    assert scores["feedforward-check"][0] == 0 and "kernel died" in results["output"]
    assert results["score"] == 20
    assert f"as the unprivileged user '{user}', without bubblewrap" in results["output"]


def own_user(name: str) -> str:
    """A system user no other test runs processes as (made here, as setup.sh would)."""
    if subprocess.run(["id", "-u", name], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                       check=True, capture_output=True)
    return name


def kernels_under(root, found: set, done):
    """Until ``done`` is set, add to ``found`` the kernel processes started by the
    run_autograder of ``root`` (known by their ancestors' command lines)."""
    import psutil

    while not done.is_set():
        for process in psutil.process_iter(["cmdline"]):
            try:
                if "kernel_watch" in " ".join(process.info["cmdline"] or []) and any(
                        str(root) in " ".join(parent.cmdline()) for parent in process.parents()):
                    found.add(process)
            except psutil.Error:
                pass
        done.wait(0.5)


@pytest.mark.slow
def test_a_notebook_that_never_ends_stops_at_the_deadline_with_a_result(tmp_path,
                                                                         autograder_zip):
    """The deadline (gradescope.json's deadline_seconds, below Gradescope's own timeout)
    ends the grading, kernel included, and results.json says why: every test scores 0
    with the reason, rather than Gradescope's timeout ending the run with no result."""
    import threading

    course = autograder_zip[0]
    notebook = submission(course, "", {"affine-impl": "while True:\n    pass\n"})
    kernels, done = set(), threading.Event()
    watcher = threading.Thread(target=kernels_under, args=(tmp_path / "autograder", kernels, done))
    watcher.start()
    started = time.monotonic()
    try:
        results = grade_on_gradescope(tmp_path, autograder_zip, {"hw.ipynb": notebook},
                                      {"bubblewrap": False, "deadline_seconds": 25})
    finally:
        done.set()
        watcher.join()
    assert time.monotonic() - started < 25 + 60
    assert results["score"] == 0 and results["tests"]
    assert "Grading stopped after 25 s" in results["output"]
    autograded = [t for t in results["tests"] if t["max_score"] > 0]
    assert autograded and all(t["score"] == 0 and "Grading stopped after 25 s" in t["output"]
                              for t in autograded)
    assert kernels and not [k for k in kernels if k.is_running()]  # it ran, and it ended
