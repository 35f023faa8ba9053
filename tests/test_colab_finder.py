"""The find-nn-utils cell every notebook starts with: Jupyter, Colab (Files pane or Drive),
or a message that says where nn_utils must be. Its code runs in a plain Python (-S: no
site-packages, so the kit's installed nn_utils cannot be found), with Colab's folders moved
into tmp_path and a stand-in for google.colab.drive that records the mount."""

import os
import subprocess
import sys

import nbformat
import pytest

from autograder.authoring import FINDER_ID, finder_source
from conftest import KIT

ASSIGNMENT = "backprop_digits"
AFTER = "\nimport nn_utils\nprint('imported', nn_utils.WHERE)\n"


def fake_nn_utils(folder):
    (folder / "nn_utils").mkdir(parents=True)
    (folder / "nn_utils" / "__init__.py").write_text(f"WHERE = {str(folder)!r}\n")


def run_cell(tmp_path, cwd, colab: bool):
    fake = tmp_path / "fake"
    (fake / "google" / "colab").mkdir(parents=True, exist_ok=True)
    (fake / "google" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "drive.py").write_text(
        "def mount(where):\n    print('mounted', where)\n")
    code = finder_source(ASSIGNMENT, str(tmp_path / "content"),
                         str(tmp_path / "content" / "drive" / "MyDrive")) + AFTER
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(fake)}
    if colab:
        env["COLAB_RELEASE_TAG"] = "test"
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run([sys.executable, "-S", "-c", code], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_beside_the_notebook_it_does_nothing(tmp_path):
    fake_nn_utils(tmp_path / "work")
    done = run_cell(tmp_path, tmp_path / "work", colab=False)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout == f"imported {tmp_path / 'work'}\n"  # nothing printed by the cell


def test_missing_outside_colab_says_where_nn_utils_must_be(tmp_path):
    done = run_cell(tmp_path, tmp_path / "work", colab=False)
    assert done.returncode != 0 and "ModuleNotFoundError: nn_utils was not found" in done.stderr
    assert f"open the notebook inside the {ASSIGNMENT} folder" in done.stderr
    assert "mounted" not in done.stdout


def test_colab_uses_the_folder_uploaded_to_the_files_pane_without_asking_for_drive(tmp_path):
    fake_nn_utils(tmp_path / "content" / ASSIGNMENT)
    done = run_cell(tmp_path, tmp_path / "content", colab=True)
    assert done.returncode == 0, done.stderr
    assert "mounted" not in done.stdout
    assert f"imported {tmp_path / 'content' / ASSIGNMENT}" in done.stdout


def test_colab_mounts_drive_and_finds_the_folder_a_few_levels_down(tmp_path):
    drive = tmp_path / "content" / "drive" / "MyDrive"
    fake_nn_utils(drive / "courses" / "nn" / ASSIGNMENT)
    done = run_cell(tmp_path, tmp_path / "content", colab=True)
    assert done.returncode == 0, done.stderr
    assert f"mounted {tmp_path / 'content' / 'drive'}" in done.stdout
    assert f"Working in {drive / 'courses' / 'nn' / ASSIGNMENT}" in done.stdout
    assert f"imported {drive / 'courses' / 'nn' / ASSIGNMENT}" in done.stdout


def test_colab_with_the_folder_nowhere_says_to_upload_it(tmp_path):
    fake_nn_utils(tmp_path / "content" / "drive" / "MyDrive" / "other_assignment")
    done = run_cell(tmp_path, tmp_path / "content", colab=True)
    assert done.returncode != 0 and "mounted" in done.stdout
    assert f"upload the whole {ASSIGNMENT} folder to your Google Drive" in done.stderr


@pytest.mark.parametrize("assignment", sorted(p.name for p in (KIT / "release").iterdir()))
def test_every_released_notebook_starts_with_the_locked_finder(assignment):
    for path in sorted((KIT / "release" / assignment).glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        first = next(c for c in notebook.cells if c.cell_type == "code")
        assert first.metadata["nbgrader"]["grade_id"] == FINDER_ID, path
        assert first.metadata["nbgrader"]["locked"], path
        assert first.source == finder_source(assignment), path
