"""release/ is what nbgrader makes from source/, and it leaks nothing."""

import filecmp
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.authoring import build_notebook, built_path, notebook_sources, notebook_text
from autograder.course import KIT_ROOT, Course

ASSIGNMENTS = Course().assignments()
from autograder.bundle import STUDENT_REQUIREMENTS, load_checks, package_files, stamp_of, student_zip
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
    notebooks = sorted(p.name for p in fresh.glob("*.ipynb"))
    assert notebooks == sorted(p.name for p in committed.glob("*.ipynb")), "run ./kit release"
    for name in notebooks:
        assert filecmp.cmp(fresh / name, committed / name, shallow=False), (
            f"release/{assignment}/{name} differs from a fresh release: run ./kit release")
    # Beside the notebooks only the built nn_utils, with the checks inside it.
    assert {p.name for p in fresh.iterdir()} == {*notebooks, "nn_utils"}
    assert (fresh / "nn_utils" / "assignment" / "__init__.py").read_bytes() == (
        SOURCE / assignment / "checks" / "__init__.py").read_bytes()
    tracked = subprocess.run(["git", "ls-files", f"release/{assignment}"], cwd=KIT_ROOT,
                             capture_output=True, text=True, check=True).stdout.split()
    assert sorted(Path(t).name for t in tracked) == notebooks, "git keeps the notebooks only"


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


def unzipped(zip_path: Path, folder: Path) -> Path:
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(folder)
    return folder


# Run first in a bundle's folder: the kit's own installed copy becomes unreachable, so
# whatever imports nn_utils (or anything else of the kit) gets the bundle or nothing.
WITHOUT_THE_KIT = ("import sys\n"
                   "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in "
                   "str(getattr(f, '__name__', type(f).__name__)).lower()]\n"
                   "sys.modules.pop('nn_utils', None)\n")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_student_bundle_holds_the_engine_and_its_own_checks_only(tmp_path, assignment):
    course = Course()
    bundle = sorted(student_zip(course, assignment, tmp_path / "zips").parent.glob("*.zip"))
    assert [b.name for b in bundle] == [f"{assignment}-{stamp_of(package_files(course, assignment))}.zip"]
    folder = unzipped(bundle[0], tmp_path / "student") / assignment
    names = "import nn_utils; print(nn_utils.__file__); print(*sorted(nn_utils.__all__))"
    result = subprocess.run([sys.executable, "-c", WITHOUT_THE_KIT + names], cwd=folder,
                            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
                            capture_output=True, text=True, check=True)
    where, exported = result.stdout.splitlines()
    assert where.startswith(str(folder))
    checks = set(load_checks(package_files(course, assignment)).__all__)
    others = set().union(*(load_checks(package_files(course, a)).__all__
                           for a in ASSIGNMENTS if a != assignment)) - checks
    assert checks <= set(exported.split()) and not others & set(exported.split())
    assert (folder / "nn_utils" / "BUNDLE").read_text().split() == [
        assignment, bundle[0].stem.rsplit("-", 1)[1]]
    wanted = [line for line in (folder / "requirements.txt").read_text().splitlines()
              if not line.startswith("#")]
    assert wanted == list(STUDENT_REQUIREMENTS)


@pytest.mark.slow  # runs the whole notebook in a kernel
def test_a_student_bundle_unzipped_alone_runs_its_notebook(tmp_path, monkeypatch):
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell

    from autograder.authoring import fill_solutions, reference_answers

    assignment = "backprop_digits"
    course = Course()
    folder = unzipped(student_zip(course, assignment, tmp_path / "zips"), tmp_path / "home")
    folder = folder / assignment
    notebook = nbformat.read(folder / f"{assignment}.ipynb", as_version=4)
    source = nbformat.read(SOURCE / assignment / f"{assignment}.ipynb", as_version=4)
    done = fill_solutions(notebook, reference_answers(source))
    done.cells.insert(0, new_code_cell(WITHOUT_THE_KIT))
    done.cells.append(new_code_cell("print(nn_utils.__file__)"))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    NotebookClient(done, kernel_name="python3", timeout=300,
                   resources={"metadata": {"path": str(folder)}}).execute()
    errors = [o for c in done.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, errors[0]
    printed = "".join(o.get("text", "") for c in done.cells for o in c.get("outputs", []))
    visible_checks = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")
                      and "nn_utils.check_" in c.source]
    assert printed.count("All checks passed successfully!") == len(visible_checks) >= 4
    assert done.cells[-1].outputs[0].text.startswith(str(folder / "nn_utils"))


def test_a_markdown_solution_cell_is_refused_with_a_clear_message(tmp_path):
    from autograder.authoring import NotebookSourceError

    source = tmp_path / "bad.pct.py"
    source.write_text('# %% [markdown] grade_id="essay" kind="solution"\n# Write here.\n')
    with pytest.raises(NotebookSourceError, match='use kind="answer" with points'):
        build_notebook(source)
