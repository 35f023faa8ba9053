"""One student's rows of nbgrader's gradebook, moved between gradebooks.

The workers score each student with nbgrader's own autograde, into a private SQLite
gradebook (on_worker.py), so that no gradebook is written by two processes at once and the
course's gradebook is not a serial step of nbgrader's. The private gradebook starts as the
``seed``: the course's assignments, notebooks and cells, and no student; then the student's
rows the course's gradebook already holds (a regrade: nbgrader keeps a TA's manual scores,
so it must see them) are put in. After grading, the student's rows are copied back into the
course's gradebook in one transaction (``merge``).

A student's rows are the ``student`` row and, for one assignment, its submission and
everything under it. nbgrader gives every row a uuid, so a row keeps its id from one
gradebook to the other and nothing needs renumbering.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from nbgrader import api
from sqlalchemy import create_engine, delete, insert, inspect, select, text, update

TABLES = api.Base.metadata.tables
# One submission of one assignment, parents first (the order rows are inserted in).
SUBMISSION = ("submitted_assignment", "submitted_notebook", "grade", "comment")
# What the course set up: assignments, notebooks, cells. Copied into the seed as it is.
STRUCTURE = tuple(t.name for t in api.Base.metadata.sorted_tables
                  if t.name not in SUBMISSION and t.name != "student")


def seed(db_url: str) -> bytes:
    """A SQLite gradebook (its file's bytes) with the course's structure and no students:
    nbgrader's schema, and the schema version nbgrader stamped in the course's gradebook."""
    with tempfile.TemporaryDirectory(prefix="gradebook-seed-") as folder:
        path = Path(folder) / "gradebook.db"
        source, target = create_engine(db_url), create_engine(f"sqlite:///{path}")
        try:
            api.Base.metadata.create_all(bind=target)
            with source.connect() as read, target.begin() as write:
                if "alembic_version" in inspect(source).get_table_names():
                    version = read.execute(text("SELECT version_num FROM alembic_version"))
                    write.execute(text("CREATE TABLE alembic_version "
                                       "(version_num VARCHAR(32) NOT NULL)"))
                    write.execute(text("INSERT INTO alembic_version VALUES (:v)"),
                                  [{"v": v} for (v,) in version])
                for name in STRUCTURE:
                    rows = [dict(row._mapping) for row in read.execute(select(TABLES[name]))]
                    if rows:
                        write.execute(insert(TABLES[name]), rows)
        finally:
            source.dispose()
            target.dispose()
        return path.read_bytes()


def _assignment_id(connection, course_id: str, assignment: str) -> str | None:
    table = TABLES["assignment"]
    return connection.execute(select(table.c.id).where(
        table.c.name == assignment, table.c.course_id == course_id)).scalar()


def rows_of(connection, course_id: str, assignment: str, students: list) -> dict:
    """student -> {table: [row as a dict]} for each of ``students`` with any row."""
    found: dict = {}

    def add(student, name, row):
        found.setdefault(student, {}).setdefault(name, []).append(dict(row))

    students = list(students)
    student = TABLES["student"]
    for row in connection.execute(select(student).where(student.c.id.in_(students))).mappings():
        add(row["id"], "student", row)
    assignment_id = _assignment_id(connection, course_id, assignment)
    if assignment_id is None:
        return found
    sa, sn = TABLES["submitted_assignment"], TABLES["submitted_notebook"]
    ours = (sa.c.assignment_id == assignment_id) & sa.c.student_id.in_(students)
    for row in connection.execute(select(sa).where(ours)).mappings():
        add(row["student_id"], "submitted_assignment", row)
    under_ours = sn.join(sa, sn.c.assignment_id == sa.c.id)
    for row in connection.execute(select(sn, sa.c.student_id.label("_student"))
                                  .select_from(under_ours).where(ours)).mappings():
        add(row["_student"], "submitted_notebook", {k: v for k, v in row.items() if k != "_student"})
    for name in ("grade", "comment"):
        table = TABLES[name]
        joined = table.join(under_ours, table.c.notebook_id == sn.c.id)
        for row in connection.execute(select(table, sa.c.student_id.label("_student"))
                                      .select_from(joined).where(ours)).mappings():
            add(row["_student"], name, {k: v for k, v in row.items() if k != "_student"})
    return found


def _not_theirs(rows: dict, assignment_id: str | None, student: str) -> str:
    """What in ``rows`` is not the student's own submission of the assignment ("" if
    nothing): one job's result may change no other student's rows."""
    if set(rows) - {"student", *SUBMISSION}:
        return f"hold other tables: {sorted(set(rows) - {'student', *SUBMISSION})}"
    if any(row["id"] != student for row in rows.get("student", [])):
        return "hold another student's row"
    submissions = {row["id"] for row in rows.get("submitted_assignment", [])
                   if row["student_id"] == student and row["assignment_id"] == assignment_id}
    if len(submissions) != len(rows.get("submitted_assignment", [])) or len(submissions) > 1:
        return "hold a submission that is not theirs, or more than one"
    notebooks = {row["id"] for row in rows.get("submitted_notebook", [])
                 if row["assignment_id"] in submissions}
    if len(notebooks) != len(rows.get("submitted_notebook", [])):
        return "hold a notebook of another submission"
    if any(row["notebook_id"] not in notebooks
           for name in ("grade", "comment") for row in rows.get(name, [])):
        return "hold a grade or comment of another submission"
    return ""


def put_rows(connection, course_id: str, assignment: str, student: str, rows: dict) -> None:
    """Make ``student``'s rows for ``assignment`` in this gradebook exactly ``rows``: the
    submission rows there before are deleted, the student's row updated or added."""
    assignment_id = _assignment_id(connection, course_id, assignment)
    if problem := _not_theirs(rows, assignment_id, student):
        raise ValueError(f"rows handed in for {student}'s {assignment} {problem}")
    sa, sn = TABLES["submitted_assignment"], TABLES["submitted_notebook"]
    theirs = select(sa.c.id).where(sa.c.assignment_id == assignment_id,
                                   sa.c.student_id == student)
    notebooks = select(sn.c.id).where(sn.c.assignment_id.in_(theirs))
    for name in ("grade", "comment"):
        connection.execute(delete(TABLES[name]).where(TABLES[name].c.notebook_id.in_(notebooks)))
    connection.execute(delete(sn).where(sn.c.assignment_id.in_(theirs)))
    connection.execute(delete(sa).where(sa.c.id.in_(theirs)))
    table = TABLES["student"]
    for row in rows.get("student", []):
        exists = connection.execute(select(table.c.id).where(table.c.id == row["id"])).first()
        connection.execute(update(table).where(table.c.id == row["id"]).values(row) if exists
                           else insert(table).values(row))
    for name in SUBMISSION:
        if rows.get(name):
            connection.execute(insert(TABLES[name]), rows[name])


def merge(engine, course_id: str, assignment: str, batch: dict) -> None:
    """Put each student's rows of ``batch`` (student -> rows) into the gradebook of the
    SQLAlchemy ``engine``, all in one transaction."""
    with engine.begin() as connection:
        for student, rows in batch.items():
            put_rows(connection, course_id, assignment, student, rows)


def write_private(path: Path, seed_bytes: bytes, course_id: str, assignment: str,
                  student: str, rows: dict) -> str:
    """Write the private gradebook for one student at ``path``: the seed with ``rows`` put
    in. Return its URL."""
    path.write_bytes(seed_bytes)
    os.chmod(path, 0o600)
    url = f"sqlite:///{path}"
    if rows:
        engine = create_engine(url)
        try:
            merge(engine, course_id, assignment, {student: rows})
        finally:
            engine.dispose()
    return url


def read_private(url: str, course_id: str, assignment: str, student: str) -> dict:
    """The student's rows in the private gradebook at ``url``."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return rows_of(connection, course_id, assignment, [student]).get(student, {})
    finally:
        engine.dispose()
