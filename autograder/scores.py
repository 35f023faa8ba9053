"""Read scores out of the gradebook: per student and task, as a table and as CSV files."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from .authoring import task_of
from .course import Course

COURSE_ID = "nn-from-scratch"


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
    cells: dict

    @property
    def students(self) -> list:
        return sorted(self.cells)

    @property
    def tasks(self) -> list:
        return list(dict.fromkeys(task_of(g) for g in self.grade_ids))

    def task_score(self, student: str, task: str) -> tuple[float, float, bool]:
        """(score, max score, waiting for a person) of one task for one student."""
        parts = [self.cells[student][g] for g in self.grade_ids
                 if task_of(g) == task and g in self.cells[student]]
        return (sum(p.score for p in parts), sum(p.max_score for p in parts),
                any(p.needs_manual_grade for p in parts))

    def autograded_total(self, student: str) -> tuple[float, float]:
        done = [c for c in self.cells[student].values() if not c.needs_manual_grade]
        return sum(c.score for c in done), sum(c.max_score for c in done)


def grade_ids_in_order(course: Course, assignment: str) -> list:
    ids = []
    for path in sorted((course.source / assignment).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                ids.append(meta["grade_id"])
    return ids


def read_scores(course: Course, assignment: str) -> ScoreTable:
    cells = {}
    with Gradebook(course.db_url, COURSE_ID) as gradebook:
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
    return ScoreTable(assignment, grade_ids_in_order(course, assignment), cells)


def format_table(table: ScoreTable) -> str:
    """A plain-text table: one row per student, one column per task, then the total."""
    tasks = table.tasks
    header = ["student", *tasks, "graded so far"]
    rows = []
    for student in table.students:
        row = [student]
        for task in tasks:
            score, top, manual = table.task_score(student, task)
            row.append(f"manual/{top:g}" if manual else f"{score:g}/{top:g}")
        got, top = table.autograded_total(student)
        row.append(f"{got:g}/{top:g}")
        rows.append(row)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [f"{table.assignment}", "  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def write_task_csv(tables: list, path: Path) -> Path:
    """One row per assignment, student and task: score, max_score, needs_manual_grade."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["assignment", "student", "task", "score", "max_score",
                         "needs_manual_grade"])
        for table in tables:
            for student in table.students:
                for task in table.tasks:
                    score, top, manual = table.task_score(student, task)
                    writer.writerow([table.assignment, student, task, score, top, manual])
    return path


def export_grades(course: Course, path: Path) -> Path:
    """nbgrader's own grade export (one row per student and assignment)."""
    course.nbgrader("export", "--to", str(path))
    return path
