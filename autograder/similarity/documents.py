"""What gets compared: the code each student wrote, by task, and the handout's code.

A ``Document`` is one submission (or one known solution given with ``--against``) as a
mapping from a part's label to its cells' code. A notebook's parts are its tasks (the grade_ids
of its solution and open cells, grouped by task as the score table groups them) plus
"added cells": code cells the student wrote outside them. Markdown answers are prose and
are left out; so are the handout's own cells, which every student has. Cells stay apart:
a fingerprint never spans two cells, so no two cells' meeting looks like shared code.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.authoring import answer_id, task_of
from autograder.course import Course
from autograder.intake.collect import IntakeError, collect, released_notebooks

ADDED = "added cells"  # the part holding code cells that are neither the handout's nor answers


@dataclass
class Document:
    """One side of a comparison: ``parts`` maps a task (or ADDED, or a file's name) to the
    code of its cells."""

    name: str
    parts: dict[str, list[str]]
    kind: str = "submission"  # or "reference": a known solution given with --against

    @property
    def cells(self) -> list[str]:
        """Every part's cells, in order: what the pair score is computed on."""
        return [cell for cells in self.parts.values() for cell in cells]


@dataclass
class Corpus:
    """The documents of one comparison, the handout's code, and what could not be read."""

    documents: list[Document]
    handout: list[str]  # the code cells of the release
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (where, why)


def _code_cells(notebook) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _released(course: Course, assignment: str) -> list:
    return [nbformat.read(course.release / assignment / name, as_version=4)
            for name in released_notebooks(course, assignment)]


def handout_code(course: Course, assignment: str) -> list[str]:
    """What no student wrote: the code of every code cell of the released notebooks."""
    return [cell.source for notebook in _released(course, assignment)
            for cell in _code_cells(notebook)]


def notebook_parts(notebook, handout_cells: set[str]) -> dict[str, list[str]]:
    """{task or ADDED: code} of one notebook: the answers, then the cells the student added."""
    parts: dict[str, list[str]] = {}
    for cell in _code_cells(notebook):
        key = answer_id(cell)
        if key is not None:
            parts.setdefault(task_of(key), []).append(cell.source)
        elif cell.source.strip() and cell.source not in handout_cells:
            parts.setdefault(ADDED, []).append(cell.source)
    return parts


def _read_notebooks(paths: list[Path], handout_cells: set[str], unreadable: list,
                    where: str) -> dict[str, list[str]] | None:
    """The parts of a student's notebooks together; None if none of them could be read."""
    parts: dict[str, list[str]] = {}
    read = False
    for path in paths:
        try:
            # nbgrader's metadata is not in nbformat's schema: a notebook that reads may
            # still hold a solution cell without a grade_id, or a grade_id that is a number
            found = notebook_parts(nbformat.read(path, as_version=4), handout_cells)
        except Exception as error:  # noqa: BLE001 -- a broken file is listed, never fatal
            unreadable.append((f"{where}/{path.name}", f"{type(error).__name__}: {error}"[:200]))
            continue
        read = True
        for label, cells in found.items():
            parts.setdefault(label, []).extend(cells)
    return parts if read else None


def submission_documents(course: Course, assignment: str) -> Corpus:
    """The course's submissions of ``assignment`` (submitted/<student>/<assignment>/)."""
    handout = handout_code(course, assignment)
    cells = set(handout)
    unreadable: list = []
    documents = []
    for folder in sorted(course.submitted.glob(f"*/{assignment}")):
        if not folder.is_dir():
            continue
        parts = _read_notebooks(sorted(folder.glob("*.ipynb")), cells, unreadable,
                                folder.parent.name)
        if parts is not None:
            documents.append(Document(folder.parent.name, parts))
    return Corpus(documents, handout, unreadable)


def _known_notebooks(course: Course, assignment: str, path: Path, cells: set[str],
                     unreadable: list) -> list[Document]:
    """The notebooks in ``path`` (a folder or a .zip), read by the intake into a scratch
    course, one document per student it finds."""
    documents = []
    with tempfile.TemporaryDirectory(prefix="similarity-") as scratch:
        known = Course(Path(scratch))
        (known.release / assignment).mkdir(parents=True)
        for name in released_notebooks(course, assignment):
            shutil.copy(course.release / assignment / name, known.release / assignment)
        try:
            collect(known, assignment, path, write_report=False)
        except (IntakeError, ValueError) as error:
            unreadable.append((str(path), str(error)))
        for student in sorted(known.submitted.glob(f"*/{assignment}")):
            parts = _read_notebooks(sorted(student.glob("*.ipynb")), cells, unreadable,
                                    student.parent.name)
            if parts:
                documents.append(Document(f"known: {student.parent.name}", parts, "reference"))
    return documents


def reference_documents(course: Course, assignment: str, path: Path,
                        handout: list[str]) -> Corpus:
    """Known solutions in ``path``: whatever the intake reads (student folders, notebooks
    named by student, an LMS download, a submitted/ tree, zips of those), and every plain
    ``.py`` file, each a document of its own; ``path`` may be one .py file. ``handout``:
    the release's code cells (handout_code)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"known solutions not found: {path}")
    unreadable: list = []
    documents = []
    if path.is_dir() or path.suffix == ".zip":
        documents = _known_notebooks(course, assignment, path, set(handout), unreadable)
    scripts = sorted(path.rglob("*.py")) if path.is_dir() else (
        [path] if path.suffix == ".py" else [])
    if not documents and not scripts:
        raise ValueError(f"no known solutions in {path}: give a folder or .zip of notebooks "
                         f"(any layout ./kit collect reads) or of .py files")
    for script in scripts:
        label = script.relative_to(path).as_posix() if path.is_dir() else script.name
        try:
            documents.append(Document(f"known: {label}", {label: [script.read_text("utf-8")]},
                                      "reference"))
        except (OSError, UnicodeDecodeError) as error:
            unreadable.append((label, f"{type(error).__name__}: {error}"[:200]))
    return Corpus(documents, [], unreadable)
