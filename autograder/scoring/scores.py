"""Read scores out of the gradebook: per student and task, as a table and as CSV files."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.api import MissingEntry

from autograder.authoring import task_of
from autograder.course import Course

@dataclass(frozen=True)
class Cell:
    score: float
    max_score: float
    needs_manual_grade: bool


@dataclass
class ScoreTable:
    """Scores of one assignment: cells[student][grade_id] -> Cell."""

    assignment: str
    grade_ids: list  # in notebook order
    autograded: set  # the grade_ids of test cells (the others are graded by a person)
    cells: dict

    @property
    def students(self) -> list:
        return sorted(self.cells)

    @property
    def tasks(self) -> list:
        return list(dict.fromkeys(task_of(g) for g in self.grade_ids))

    def _parts(self, student, task, autograded=None):
        return [self.cells[student][g] for g in self.grade_ids
                if task_of(g) == task and g in self.cells[student]
                and (autograded is None or (g in self.autograded) == autograded)]

    def task_score(self, student: str, task: str) -> tuple[float, float, bool]:
        """(score so far, max score, some part still waits for a person)."""
        parts = self._parts(student, task)
        return (sum(p.score for p in parts), sum(p.max_score for p in parts),
                any(p.needs_manual_grade for p in parts))

    def autograded_score(self, student: str, task: str) -> tuple[float, float]:
        parts = self._parts(student, task, autograded=True)
        return sum(p.score for p in parts), sum(p.max_score for p in parts)

    def waiting(self, student: str, task: str) -> float:
        """Points of this task that wait for a person."""
        return sum(p.max_score for p in self._parts(student, task) if p.needs_manual_grade)

    def graded_total(self, student: str) -> tuple[float, float]:
        done = [c for c in self.cells[student].values() if not c.needs_manual_grade]
        return sum(c.score for c in done), sum(c.max_score for c in done)


def grade_ids_in_order(course: Course, assignment: str) -> tuple[list, set]:
    """The grade cells of an assignment's notebooks in order, and which are test cells."""
    ids, autograded = [], set()
    for path in sorted((course.source / assignment).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                ids.append(meta["grade_id"])
                if not meta.get("solution"):
                    autograded.add(meta["grade_id"])
    return ids, autograded


def read_scores(course: Course, assignment: str) -> ScoreTable:
    cells = {}
    with course.gradebook() as gradebook:
        try:
            submissions = gradebook.assignment_submissions(assignment)
        except MissingEntry:
            submissions = []
        for submission in submissions:
            row = cells.setdefault(submission.student_id, {})
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    row[grade.name] = Cell(float(grade.score), float(grade.max_score),
                                           bool(grade.needs_manual_grade))
    ids, autograded = grade_ids_in_order(course, assignment)
    return ScoreTable(assignment, ids, autograded, cells)


def _task_text(table: ScoreTable, student: str, task: str) -> str:
    score, top, _ = table.task_score(student, task)
    waiting = table.waiting(student, task)
    if not waiting:
        return f"{score:g}/{top:g}"
    auto, auto_top = table.autograded_score(student, task)
    return f"{auto:g}/{auto_top:g} +{waiting:g}?" if auto_top else f"+{waiting:g}?"


def format_table(table: ScoreTable) -> str:
    """One row per student, one column per task, then the total graded so far.

    "8/8 +3?" means 8 of 8 autograded points, and 3 points that wait for a person.
    """
    tasks = table.tasks
    header = ["student", *tasks, "graded so far"]
    rows = []
    for student in table.students:
        got, top = table.graded_total(student)
        rows.append([student, *(_task_text(table, student, t) for t in tasks), f"{got:g}/{top:g}"])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [f"{table.assignment}", "  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    lines.append('"+N?": N points wait for a person (answers graded by hand)')
    return "\n".join(lines)


def write_task_csv(tables: list, path: Path) -> Path:
    """One row per assignment, student and task, with the autograded part apart.

    Rows of assignments not in ``tables`` are kept: grading one assignment must not lose
    the others' rows."""
    header = ["assignment", "student", "task", "score", "max_score",
              "autograded_score", "autograded_max", "needs_manual_grade"]
    graded = {table.assignment for table in tables}
    kept = []
    if path.is_file():
        with open(path, newline="") as handle:
            kept = [row for row in csv.reader(handle) if row and row != header
                    and row[0] not in graded]
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(kept)
        for table in tables:
            for student in table.students:
                for task in table.tasks:
                    score, top, manual = table.task_score(student, task)
                    auto, auto_top = table.autograded_score(student, task)
                    writer.writerow([table.assignment, student, task, score, top,
                                     auto, auto_top, manual])
    return path


def export_grades(course: Course, path: Path) -> Path:
    """nbgrader's own grade export (one row per student and assignment)."""
    course.nbgrader("export", "--to", str(path))
    return path
