"""The student's self-check: a real kernel runs the notebook; the exit status tells."""

import subprocess
import sys

import nbformat
import pytest

from autograder.authoring import fill_solutions, reference_answers
from conftest import KIT

RELEASED = KIT / "release" / "fc_nets_cifar" / "matrix_calculus.ipynb"
SOURCE = KIT / "source" / "fc_nets_cifar" / "matrix_calculus.ipynb"


def self_check(notebook_path):
    return subprocess.run([sys.executable, "-m", "nn_utils.self_check", str(notebook_path)],
                          cwd=notebook_path.parent, capture_output=True, text=True, timeout=300)


@pytest.fixture
def student_folder(tmp_path):
    """A student's copy of the release folder with the assignment's nn_utils, as the
    student zip holds them (the notebook imports the bundled nn_utils)."""
    import shutil

    from autograder.bundle import package_files, write_package
    from autograder.course import Course

    folder = tmp_path / "matrix_calculus"
    shutil.copytree(RELEASED.parent, folder, ignore=shutil.ignore_patterns("nn_utils"))
    write_package(package_files(Course(), RELEASED.parent.name), folder)
    return folder


def write(folder, overrides):
    blank = nbformat.read(RELEASED, as_version=4)
    answers = {**reference_answers(nbformat.read(SOURCE, as_version=4)), **overrides}
    path = folder / RELEASED.name
    nbformat.write(fill_solutions(blank, answers), path)
    return path


def test_correct_work_exits_zero_and_lists_every_check(student_folder):
    result = self_check(write(student_folder, {}))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 of 4 checks pass" in result.stdout


def test_a_wrong_formula_exits_one_and_names_the_mistake(student_folder):
    wrong = "def grad_gplvm_logdet(x, Y, alpha, beta):\n    return 0 * x\n"
    path = write(student_folder, {"logdet-code": wrong})
    before = path.read_bytes()
    result = self_check(path)
    assert result.returncode == 1
    assert "FAIL logdet-check (3 points)" in result.stdout
    assert "the gradient is all zeros" in result.stdout or "all zeros" in result.stdout
    assert path.read_bytes() == before  # the student's file is not touched


def test_the_untouched_release_exits_one(student_folder):
    result = self_check(student_folder / RELEASED.name)  # the blank notebook as released
    assert result.returncode == 1
    assert "0 of 4 checks pass" in result.stdout


def test_an_unreadable_notebook_exits_two(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json")
    result = self_check(broken)
    assert result.returncode == 2 and "cannot run" in result.stderr
