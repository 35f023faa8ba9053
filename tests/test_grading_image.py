"""The grading image (``./kit image``, autograder/image/): the kit in a Linux container, for
graders on macOS or Windows.

Real parts: Podman from Debian's packages, an image built here on a Debian base made with
debootstrap (no image registry is reachable from this machine), the kit's own command run
in it, bubblewrap sandboxing each kernel inside the container, nbgrader, Chromium.
"""

import os
import re
import shutil
import sys
import tomllib

import pytest

from autograder.course import KIT_ROOT, Course
from autograder.execution.limits import Limits
from autograder.execution.sandbox import Sandbox, probe
from autograder.grade import autograde
from autograder.gradescope.build import requirement_name
from autograder.image import BOOTSTRAPPED, ImageError
from autograder.image.build import (bootstrap_base, build_image, image_exists,
                                    image_of_this_kit, write_context)
from autograder.image.run import image_command, image_engine, run_in_image
from autograder.intake.submission_mix import place_submissions
from autograder.results.report import grading_record
from autograder.scoring.scores import read_scores
from hostile_verdict import ASSIGNMENT, Listener, assert_contained, digests, hostile_course

BASE = f"{BOOTSTRAPPED}:bookworm"
CELL_TIMEOUT = 20  # seconds, as tests/test_sandbox.py grades the hostile suite
MEMORY = "2GiB"  # per kernel: the memory bomb's ceiling
GRADE = ["autograde", ASSIGNMENT, "--workers", "2", "--memory-limit", MEMORY]


def names(requirements) -> set:
    return {requirement_name(line).lower() for line in requirements}


def test_the_build_context_comes_from_pyproject_and_its_tag_from_what_goes_in(tmp_path):
    tag = write_context(tmp_path / "a", "localhost/some-base")
    assert tag == write_context(tmp_path / "b", "localhost/some-base")
    assert tag != write_context(tmp_path / "c", "localhost/another-base")
    assert re.fullmatch(r"localhost/nn-kit-grading:[0-9a-f]{12}", tag)

    context = tmp_path / "a"
    assert sorted(p.name for p in context.iterdir()) == ["Containerfile", "deps", "kit",
                                                         "setup.sh"]
    # Every dependency of pyproject.toml, pinned; none written into the Containerfile.
    pinned = (context / "deps" / "requirements.txt").read_text().splitlines()
    project = tomllib.loads((KIT_ROOT / "pyproject.toml").read_text())["project"]
    assert names(pinned) == names(project["dependencies"])
    assert all("==" in line for line in pinned)
    containerfile = (context / "Containerfile").read_text()
    assert containerfile.startswith("# Generated") and "FROM localhost/some-base\n" in containerfile
    assert "numpy" not in containerfile and "requirements.txt" in containerfile
    # The kit's code and the demo's samples; no assignment: homework is the course's.
    assert (context / "kit" / "autograder" / "grade.py").is_file()
    assert (context / "kit" / "autograder" / "demo_submissions" / ASSIGNMENT).is_dir()
    assert not (context / "kit" / "source").exists() and not list(context.rglob("*.ipynb"))
    assert "PIP_CERT" not in containerfile

    bundle = tmp_path / "proxy-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    trusting = write_context(tmp_path / "d", "localhost/some-base", certificates=bundle)
    assert trusting != tag
    assert (tmp_path / "d" / "deps" / "pip-certificates.pem").read_text() == bundle.read_text()
    assert "PIP_CERT=/opt/nn-kit-source/pip-certificates.pem" in \
        (tmp_path / "d" / "Containerfile").read_text()


def test_a_command_in_the_image_gets_the_course_writable_and_its_other_paths_read_only(
        tmp_path, monkeypatch):
    course = tmp_path / "course"
    inside = course / "incoming"
    inside.mkdir(parents=True)
    outside = tmp_path / "downloads" / "submissions.zip"
    outside.parent.mkdir()
    outside.write_bytes(b"PK")
    data = tmp_path / "mnist"
    data.mkdir()
    monkeypatch.setenv("NN_UTILS_MNIST_DIR", str(data))
    monkeypatch.chdir(outside.parent)

    command = image_command(["podman"], "localhost/nn-kit-grading:x", course,
                            ["grade", ASSIGNMENT, "submissions.zip", str(inside), "--roster",
                             "missing.csv"])
    volumes = [command[i + 1] for i, word in enumerate(command) if word == "-v"]
    assert volumes == [f"{course}:{course}:rw", f"{outside}:{outside}:ro", f"{data}:{data}:ro"]
    assert f"NN_UTILS_MNIST_DIR={data}" in command
    assert {"--privileged", "--rm"} <= set(command)
    assert command[command.index("--network") + 1] == "none"
    # From outside the course it starts in the course; paths given are made absolute.
    assert command[command.index("--workdir") + 1] == str(course)
    assert command[command.index("localhost/nn-kit-grading:x") + 1:] == [
        "--course", str(course), "grade", ASSIGNMENT, str(outside), str(inside), "--roster",
        "missing.csv"]

    # The command's name and assignment names stay names, even where a folder of that name
    # is at hand; a path given as --option=PATH is a path.
    (outside.parent / "feedback").mkdir()
    (outside.parent / ASSIGNMENT).mkdir()
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    roster = outside.parent / "roster.csv"
    roster.write_text("id\n")
    command = image_command(["podman"], "localhost/nn-kit-grading:x", course,
                            ["feedback", ASSIGNMENT, "--roster=roster.csv"])
    assert command[-3:] == ["feedback", ASSIGNMENT, f"--roster={roster}"]
    assert f"{roster}:{roster}:ro" in command

    odd = tmp_path / "a:b.zip"
    odd.write_bytes(b"PK")
    with pytest.raises(ImageError, match="a path with ':'"):
        image_command(["podman"], "localhost/nn-kit-grading:x", course, ["grade", str(odd)])


def test_an_engine_that_is_not_there_is_a_clear_error():
    with pytest.raises(ImageError, match="'no-such-engine' was not found.*Podman"):
        image_engine(Course(), "no-such-engine")


# --- The image itself: built once per module (minutes the first time, then cached) -------

@pytest.fixture(scope="module")
def grading_image():
    try:
        engine = image_engine(Course(), "podman")
    except ImageError as error:
        pytest.skip(str(error))
    if not image_exists(engine, BASE):
        if os.geteuid() != 0 or shutil.which("debootstrap") is None:
            pytest.skip(f"no {BASE} image here, and making it needs root and debootstrap "
                        f"(./kit test installs it)")
        bootstrap_base(engine, log=sys.stderr)
    return engine, build_image(engine, BASE, log=sys.stderr)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    from conftest import released_course

    return released_course(tmp_path_factory.mktemp("released") / "course", ASSIGNMENT,
                           CELL_TIMEOUT)


HOST_PROBLEM = probe(Sandbox(backend="bubblewrap"))


@pytest.mark.slow  # builds the image, grades the demo twice, prints feedback in the image
@pytest.mark.skipif(HOST_PROBLEM != "", reason=f"no bubblewrap on the host: {HOST_PROBLEM}")
def test_the_demo_graded_in_the_image_scores_as_on_the_host_cell_by_cell(released,
                                                                         grading_image,
                                                                         tmp_path):
    from autograder.demo import build_demo_submissions
    from autograder.intake.collect import collect

    engine, tag = grading_image
    assert image_of_this_kit(engine) == tag  # what ./kit image run finds with no base named
    scores = {}
    for where in ("host", "image"):
        course = Course(tmp_path / where)
        shutil.copytree(released.root, course.root)
        collect(course, ASSIGNMENT, build_demo_submissions(course, ASSIGNMENT,
                                                           tmp_path / f"{where}-in")[0].parent)
        if where == "host":
            autograde(course, ASSIGNMENT, workers=2, limits=Limits.from_text(memory=MEMORY))
        else:
            assert run_in_image(engine, tag, course.root, GRADE) == 0
        record = grading_record(course, ASSIGNMENT)
        assert record["sandbox"].startswith("bubblewrap sandbox"), record["sandbox"]
        assert record["count_in"] == record["count_out"] == 6 and record["missing"] == []
        assert all(s["flags"] == [] for s in record["submissions"]), record["submissions"]
        scores[where] = read_scores(course, ASSIGNMENT)
    host, image = scores["host"], scores["image"]
    assert host.students == image.students and len(host.students) == 6
    assert host.cells == image.cells

    # Feedback in the image: Chromium there prints each student's PDF.
    assert run_in_image(engine, tag, course.root, ["feedback", ASSIGNMENT]) == 0
    pdfs = sorted(course.root.glob(f"feedback/*/{ASSIGNMENT}/*.pdf"))
    assert len(pdfs) == 6 and all(p.read_bytes().startswith(b"%PDF") for p in pdfs)


@pytest.mark.slow  # grades the hostile suite in the image
@pytest.mark.skipif(HOST_PROBLEM != "", reason=f"no bubblewrap on the host: {HOST_PROBLEM}")
def test_the_hostile_suite_is_contained_in_the_image(released, grading_image, tmp_path,
                                                      capsys):
    engine, tag = grading_image
    listener = Listener()
    try:
        course = hostile_course(released, tmp_path / "course", listener.port)
        honest = course.submitted / "ann" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        before = digests([honest])
        run_in_image(engine, tag, course.root, GRADE)
        solo = Course(tmp_path / "solo")  # graded alone, on the host
        shutil.copytree(released.root, solo.root)
        place_submissions(solo, ASSIGNMENT, {"ann": "correct"})
        autograde(solo, ASSIGNMENT, workers=1, limits=Limits.from_text(memory=MEMORY))
    finally:
        listener.close()
    assert_contained(course, grading_record(course, ASSIGNMENT), solo, listener,
                     untouched=digests([honest]) == before, sandbox="bubblewrap sandbox",
                     capsys=capsys)
