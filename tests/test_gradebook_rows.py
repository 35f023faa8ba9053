"""A student's gradebook rows, moved between the course's gradebook and a worker's private
one: nothing lost, nothing doubled, a TA's manual score kept, other students untouched."""

import os
import sys
from pathlib import Path

import pytest
from nbgrader import api
from sqlalchemy import create_engine

from autograder.scoring import gradebook_rows

# nbgrader's own use of its ORM warns as it adds submissions
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


@pytest.fixture
def course_gradebook(tmp_path, monkeypatch):
    """A course gradebook made by nbgrader's API: one assignment, one notebook with a test
    cell worth 2 points, and two students' submissions; ann's cell has a TA's manual score."""
    # nbgrader stamps a new gradebook with `alembic heads`, found beside this Python
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with api.Gradebook(url, "course") as gradebook:
        gradebook.add_assignment("hw1")
        gradebook.add_notebook("hw1", "hw1")
        gradebook.add_grade_cell("t1", "hw1", "hw1", max_score=2, cell_type="code")
        gradebook.add_solution_cell("s1", "hw1", "hw1")
        for student in ("ann", "bob"):
            gradebook.add_student(student, first_name=student.title())
            gradebook.add_submission("hw1", student)
        grade = gradebook.find_grade("t1", "hw1", "hw1", "ann")
        grade.auto_score, grade.manual_score = 1.0, 2.0
        gradebook.db.commit()
    return url


def rows(url, students=("ann", "bob")):
    engine = create_engine(url)
    with engine.connect() as connection:
        found = gradebook_rows.rows_of(connection, "course", "hw1", list(students))
    engine.dispose()
    return found


def test_rows_go_to_a_private_gradebook_and_come_back_changed_only_where_nbgrader_changed_them(
        course_gradebook, tmp_path):
    before = rows(course_gradebook)
    assert sorted(before["ann"]) == ["comment", "grade", "student", "submitted_assignment",
                                     "submitted_notebook"]

    # The worker's gradebook: the seed (no students) with ann's rows put in.
    seed = gradebook_rows.seed(course_gradebook)
    private = gradebook_rows.write_private(tmp_path / "private.db", seed, "course", "hw1",
                                           "bob", {})
    assert rows(private) == {}  # the seed holds the course's structure and no student
    private = gradebook_rows.write_private(tmp_path / "private.db", seed, "course", "hw1",
                                           "ann", before["ann"])
    assert rows(private) == {"ann": before["ann"]}

    # nbgrader regrades ann there: a new autograder score, the TA's manual score kept.
    with api.Gradebook(private, "course") as gradebook:
        grade = gradebook.find_grade("t1", "hw1", "hw1", "ann")
        grade.auto_score, grade.needs_manual_grade = 0.0, True
        gradebook.db.commit()
    regraded = gradebook_rows.read_private(private, "course", "hw1", "ann")

    # Back in the course's gradebook, twice (a job Dask ran twice): the same rows, once.
    for _ in range(2):
        engine = create_engine(course_gradebook)
        with engine.begin() as connection:
            gradebook_rows.put_rows(connection, "course", "hw1", "ann", regraded)
        engine.dispose()
    after = rows(course_gradebook)
    assert after["bob"] == before["bob"]
    [grade] = after["ann"]["grade"]
    [old] = before["ann"]["grade"]
    assert grade == {**old, "auto_score": 0.0, "needs_manual_grade": True}
    with api.Gradebook(course_gradebook, "course") as gradebook:
        assert gradebook.find_submission("hw1", "ann").score == 2.0  # the TA's score counts
        assert len(gradebook.find_assignment("hw1").submissions) == 2
        assert gradebook.find_student("ann").first_name == "Ann"


def test_a_new_student_is_added_with_their_submission(course_gradebook, tmp_path):
    seed = gradebook_rows.seed(course_gradebook)
    private = gradebook_rows.write_private(tmp_path / "private.db", seed, "course", "hw1",
                                           "cid", {})
    with api.Gradebook(private, "course") as gradebook:
        gradebook.update_or_create_student("cid")
        gradebook.update_or_create_submission("hw1", "cid")
    new = gradebook_rows.read_private(private, "course", "hw1", "cid")
    gradebook_rows.merge(create_engine(course_gradebook), "course", "hw1", {"cid": new})
    assert rows(course_gradebook, ["cid"]) == {"cid": new}
    with api.Gradebook(course_gradebook, "course") as gradebook:
        assert sorted(s.student.id for s in gradebook.find_assignment("hw1").submissions) \
            == ["ann", "bob", "cid"]


def test_a_result_cannot_touch_another_students_rows(course_gradebook):
    """A worker's result is the rows of one student's submission; rows of anyone else's
    are refused before anything is written."""
    ann = rows(course_gradebook)["ann"]
    bob = rows(course_gradebook)["bob"]
    engine = create_engine(course_gradebook)
    forged = [{**ann, "grade": ann["grade"] + bob["grade"]},
              {**ann, "student": bob["student"]},
              {**ann, "submitted_assignment": bob["submitted_assignment"]},
              {**ann, "assignment": [{"id": "x"}]}]
    for result in forged:
        with pytest.raises(ValueError, match="rows handed in for ann's hw1"):
            gradebook_rows.merge(engine, "course", "hw1", {"ann": result})
    engine.dispose()
    assert rows(course_gradebook) == {"ann": ann, "bob": bob}
