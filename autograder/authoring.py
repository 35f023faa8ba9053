"""Build nbgrader notebooks from their reviewable text sources.

Each notebook is written as a jupytext percent file (``*.pct.py``) whose cell headers
carry a compact grading vocabulary, expanded here into nbgrader's cell metadata:

    # %% grade_id="affine-impl" kind="solution"           code the student writes
    # %% grade_id="affine-check" kind="test" points=5     an autograded test cell
    # %% [markdown] grade_id="proof" kind="answer" points=10   a manually graded answer
    # %% grade_id="setup" kind="readonly"                 given code, locked
    # %% grade_id="q2init-own" kind="open"                 the student's to change or
                                                           leave: not graded, not locked

Every notebook starts with one more locked cell, ``find-nn-utils``, that the build puts
before the first code cell (templates/find_nn_utils.py): it finds nn_utils when the
notebook is opened in Google Colab, in the uploaded assignment folder or in the student's
Drive, and otherwise says where nn_utils must be. Beside the notebook, as in Jupyter and
at grading, it does nothing.

Cells without ``kind`` are ordinary cells. An ``open`` cell is an ordinary cell too (no
nbgrader metadata, so nbgrader's release neither locks it nor replaces it with a stub
that raises); its grade_id becomes the cell id, so demos and tests can fill it. The text
of a grade_id before the first "-" names the task the cell belongs to (``affine``),
which the score table groups by.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat

SCHEMA_VERSION = 3

KINDS = {
    "solution": dict(solution=True, grade=False, locked=False),
    "test": dict(solution=False, grade=True, locked=True),
    "answer": dict(solution=True, grade=True, locked=False),
    "readonly": dict(solution=False, grade=False, locked=True),
}

# An unlocked code cell outside nbgrader's bookkeeping: the student may change or leave it.
OPEN = "open"

_GRADE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class NotebookSourceError(ValueError):
    """A text source's grading metadata is wrong; the message names the file and cell."""


def task_of(grade_id: str) -> str:
    """The task a grade cell belongs to: the grade_id up to its first '-'."""
    return grade_id.split("-", 1)[0]


def _nbgrader_metadata(cell, path: Path, index: int) -> dict | None:
    kind = cell.metadata.pop("kind", None)
    grade_id = cell.metadata.pop("grade_id", None)
    points = cell.metadata.pop("points", None)
    if kind is None:
        if grade_id is not None or points is not None:
            raise NotebookSourceError(f"{path}: cell {index} has grade_id/points but no kind")
        return None
    if kind not in KINDS and kind != OPEN:
        raise NotebookSourceError(f"{path}: cell {index} has unknown kind {kind!r}; "
                                  f"use one of {sorted([*KINDS, OPEN])}")
    if not grade_id or not _GRADE_ID.match(grade_id):
        raise NotebookSourceError(f"{path}: cell {index} needs a grade_id of lowercase "
                                  f"words joined by '-', got {grade_id!r}")
    if kind == OPEN:
        if points is not None or cell.cell_type != "code":
            raise NotebookSourceError(f"{path}: cell {index} ({grade_id}): an open cell is "
                                      "a code cell without points")
        return {"grade_id": grade_id, "open": True}
    flags = KINDS[kind]
    if kind == "solution" and cell.cell_type == "markdown":
        raise NotebookSourceError(f"{path}: cell {index} ({grade_id}): a Markdown answer is "
                                  "graded by a person: use kind=\"answer\" with points")
    if flags["grade"] != (points is not None):
        raise NotebookSourceError(f"{path}: cell {index} ({grade_id}): kind {kind!r} "
                                  + ("needs points" if flags["grade"] else "takes no points"))
    metadata = dict(flags, grade_id=grade_id, schema_version=SCHEMA_VERSION, task=False)
    if points is not None:
        metadata["points"] = points
    return metadata


FINDER_ID = "find-nn-utils"  # nn_utils.export_pdf leaves it out of PDFs (KIT_CELLS)
FINDER_TEMPLATE = Path(__file__).parent / "templates" / "find_nn_utils.py"
COLAB_FILES, COLAB_DRIVE = "/content", "/content/drive/MyDrive"  # where Colab puts them


def finder_source(assignment: str, files: str = COLAB_FILES, drive: str = COLAB_DRIVE) -> str:
    """The code of the find-nn-utils cell for ``assignment`` (Colab's folders by default):
    the template with its first line, the placeholders, filled in."""
    _, body = FINDER_TEMPLATE.read_text().split("\n", 1)
    return (f"_ASSIGNMENT, _COLAB_FILES, _COLAB_DRIVE = {assignment!r}, {files!r}, {drive!r}\n"
            + body.rstrip("\n"))


def _with_finder(notebook: nbformat.NotebookNode, assignment: str) -> None:
    first_code = next((i for i, c in enumerate(notebook.cells) if c.cell_type == "code"), 0)
    cell = nbformat.v4.new_code_cell(finder_source(assignment))
    cell.metadata["kind"], cell.metadata["grade_id"] = "readonly", FINDER_ID
    notebook.cells.insert(first_code, cell)


def build_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a ``*.pct.py`` source and return the nbgrader notebook it describes."""
    notebook = jupytext.read(path)
    _with_finder(notebook, path.parent.name)
    seen = set()
    for index, cell in enumerate(notebook.cells):
        metadata = _nbgrader_metadata(cell, path, index)
        if metadata:
            if metadata["grade_id"] in seen:
                raise NotebookSourceError(f"{path}: duplicate grade_id {metadata['grade_id']!r}")
            seen.add(metadata["grade_id"])
            if not metadata.get("open"):
                cell.metadata["nbgrader"] = metadata
        # Stable cell ids keep rebuilt notebooks byte-identical.
        cell.id = metadata["grade_id"] if metadata else f"cell-{index}"
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    return notebook


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    return nbformat.writes(notebook) + "\n"


def notebook_sources(source_dir: Path, assignment: str) -> list[Path]:
    """The text sources of one assignment, sorted."""
    return sorted((source_dir / assignment).glob("*.pct.py"))


def built_path(text_source: Path) -> Path:
    """``x.pct.py`` -> ``x.ipynb`` beside it."""
    return text_source.with_name(text_source.name[: -len(".pct.py")] + ".ipynb")


def build_assignment(source_dir: Path, assignment: str) -> list[Path]:
    """Write every notebook of an assignment next to its text source; return the paths."""
    written = []
    for text_source in notebook_sources(source_dir, assignment):
        target = built_path(text_source)
        target.write_text(notebook_text(build_notebook(text_source)))
        written.append(target)
    if not written:
        raise NotebookSourceError(f"no *.pct.py notebook sources in {source_dir / assignment}")
    return written


def fill_solutions(notebook: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of a (released) notebook with the given cells' sources replaced.

    This is what a student does: write code into the solution cells. Unknown grade_ids
    raise KeyError so a typo in a demo or a test cannot pass silently.
    """
    filled = nbformat.from_dict(nbformat.reads(nbformat.writes(notebook), as_version=4))
    by_id = {answer_id(c): c for c in filled.cells}
    for grade_id, source in answers.items():
        if grade_id not in by_id:
            raise KeyError(f"no cell with grade_id {grade_id!r}")
        by_id[grade_id].source = source.strip("\n")
    return filled


_SECTION = re.compile(r"^# %% (?P<grade_id>[a-z0-9-]+)\s*$", re.MULTILINE)


def parse_answers(text: str) -> dict[str, str]:
    """Split a submission script into {grade_id: cell source}.

    The script is a list of sections, each starting with a line ``# %% <grade_id>``;
    text before the first section is a comment describing the submission.
    """
    marks = list(_SECTION.finditer(text))
    answers = {}
    for mark, following in zip(marks, marks[1:] + [None]):
        end = following.start() if following else len(text)
        answers[mark.group("grade_id")] = text[mark.end():end].strip("\n") + "\n"
    return answers


_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def solution_lines(source: str) -> set[int]:
    """The 1-based numbers of the lines a student writes in a solution cell: those between
    BEGIN and END SOLUTION, or every line of a cell without the markers."""
    lines = source.splitlines()
    inside, written = False, set()
    for number, line in enumerate(lines, 1):
        marker = _MARKER.match(line)
        if marker:
            inside = marker.group(1) == "BEGIN"
        elif inside:
            written.add(number)
    if not any(_MARKER.match(line) for line in lines):
        return set(range(1, len(lines) + 1))
    return written


def without_markers(source: str) -> str:
    """A solution cell's code as a student who got it right writes it: the markers gone."""
    return "\n".join(line for line in source.splitlines() if not _MARKER.match(line)) + "\n"


def answer_id(cell) -> str | None:
    """The id under which a student's code for this cell is filled in: a solution cell's
    grade_id, or an open cell's id; None for every other cell."""
    meta = cell.metadata.get("nbgrader", {})
    if meta.get("solution"):
        return meta["grade_id"]
    cell_id = cell.get("id", "")
    if not meta and cell.cell_type == "code" and _GRADE_ID.match(cell_id) \
            and not re.fullmatch(r"cell-\d+", cell_id):  # build_notebook's plain cells
        return cell_id
    return None


def reference_answers(source_notebook: nbformat.NotebookNode) -> dict[str, str]:
    """{id: source} of every solution and open cell, as a student who got it right writes it."""
    answers = {}
    for cell in source_notebook.cells:
        key = answer_id(cell)
        if key is not None:
            answers[key] = without_markers(cell.source)
    return answers
