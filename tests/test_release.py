"""release/ is what nbgrader makes from source/, and it leaks nothing."""

import filecmp
import os
import subprocess
import sys

import nbformat
import pytest

from autograder.authoring import build_notebook, built_path, notebook_sources, notebook_text
from autograder.course import ASSIGNMENTS, KIT_ROOT
from autograder.release import release_assignment

SOURCE = KIT_ROOT / "source"
RELEASE = KIT_ROOT / "release"


def all_files(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebooks_are_built_from_their_text(assignment):
    for text_source in notebook_sources(SOURCE, assignment):
        committed = built_path(text_source).read_text()
        assert committed == notebook_text(build_notebook(text_source)), (
            f"{built_path(text_source)} is stale: run ./kit build")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_matches_a_fresh_generate_assignment(course_copy, assignment):
    fresh = release_assignment(course_copy, assignment)
    committed = RELEASE / assignment
    assert all_files(fresh) == all_files(committed), "run ./kit release"
    for relative in all_files(fresh):
        assert filecmp.cmp(fresh / relative, committed / relative, shallow=False), (
            f"release/{assignment}/{relative} differs from a fresh release: run ./kit release")


def secret_lines(notebook):
    """Non-trivial lines that appear only inside solution or hidden-test regions."""
    secret, public = set(), set()
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        whole_cell_secret = cell.cell_type == "markdown" and meta.get("solution")
        inside = False
        for line in cell.source.splitlines():
            marker = line.strip()
            if marker in ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"):
                inside = True
            elif marker in ("### END SOLUTION", "### END HIDDEN TESTS"):
                inside = False
            elif len(marker) > 12:
                (secret if inside or whole_cell_secret else public).add(marker)
    return secret - public


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solutions_hidden_tests_or_text_sources(assignment):
    for text_source in notebook_sources(SOURCE, assignment):
        source = nbformat.read(built_path(text_source), as_version=4)
        released_path = RELEASE / assignment / built_path(text_source).name
        released = released_path.read_text()
        released_lines = {line.strip() for cell in nbformat.reads(released, as_version=4).cells
                          for line in cell.source.splitlines()}
        secret = secret_lines(source)
        assert len(secret) >= 5, "the source should hold solutions to protect"
        leaked = sorted(secret & released_lines)
        assert not leaked, f"{released_path} leaks: {leaked[:3]}"
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "Rubric", "Model answer"):
            assert marker not in released
    assert not list((RELEASE / assignment).rglob("*.pct.py"))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_folder_alone_can_import_nn_utils(tmp_path, assignment):
    import shutil

    folder = tmp_path / assignment
    shutil.copytree(RELEASE / assignment, folder)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", "import nn_utils; print(nn_utils.__file__)"],
        cwd=folder, env=env, capture_output=True, text=True, check=True)
    assert str(folder) in result.stdout


def test_a_markdown_solution_cell_is_refused_with_a_clear_message(tmp_path):
    from autograder.authoring import NotebookSourceError

    source = tmp_path / "bad.pct.py"
    source.write_text('# %% [markdown] grade_id="essay" kind="solution"\n# Write here.\n')
    with pytest.raises(NotebookSourceError, match='use kind="answer" with points'):
        build_notebook(source)
