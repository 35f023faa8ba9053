"""Intake reports every file it does not place."""

import nbformat
import pytest

from autograder.collect import collect_folder


def write_notebook(path):
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), path)


def test_places_notebooks_by_student_and_reports_the_rest(course_copy, tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    write_notebook(incoming / "kim.ipynb")
    write_notebook(incoming / "lee_2.ipynb")
    (incoming / "notes.txt").write_text("not a notebook")
    (incoming / "broken.ipynb").write_text("{ this is not json")
    write_notebook(incoming / "bad id!.ipynb")

    intake = collect_folder(course_copy, "backprop_digits", incoming, "backprop_digits")

    assert sorted(intake.placed) == ["kim", "lee_2"]
    placed = course_copy.submitted / "kim" / "backprop_digits" / "backprop_digits.ipynb"
    assert placed.is_file()
    reasons = {path.name: reason for path, reason in intake.skipped}
    assert reasons["notes.txt"] == "not a notebook"
    assert reasons["broken.ipynb"].startswith("not a readable notebook")
    assert "student id" in reasons["bad id!.ipynb"]
    summary = intake.summary()
    assert "collected 2 submission(s)" in summary and "broken.ipynb" in summary
    # count in = placed + reported: nothing disappears
    assert len(intake.placed) + len(intake.skipped) == len(list(incoming.iterdir()))


def test_missing_folder_is_a_clear_error(course_copy, tmp_path):
    with pytest.raises(FileNotFoundError, match="submissions folder not found"):
        collect_folder(course_copy, "backprop_digits", tmp_path / "nowhere", "backprop_digits")
