"""Which of the assignment's own cells a submission changed, for the grading report.

nbgrader grades a submission with the assignment's cells, not the student's: it puts the
source of every test and locked cell back and keeps the points it recorded at release
(its OverwriteCells step), and a deleted test cell scores 0. So an edited test cell earns
nothing, but nbgrader does not tell anyone it happened. ``edited_cells`` compares a
submitted notebook with the released one it came from and names every change to what
the student was given to keep: a test or locked cell's source, a cell deleted, points or
nbgrader metadata changed, a graded cell added. Answer cells are the student's to write;
only their metadata is compared. The grading report flags these as ``cells_edited``, and
``restore`` puts the metadata back in the copy that is graded.
"""

from __future__ import annotations

from collections import Counter

from nbformat import NotebookNode

# The nbgrader fields a student's notebook must keep as released.
_FIELDS = ("grade", "solution", "locked", "task", "points")


def _nbgrader(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _kind(meta: dict) -> str:
    if meta.get("task"):
        return "task cell"
    if meta.get("solution"):
        return "answer cell"
    if meta.get("grade"):
        return "test cell"
    return "locked cell"


def _source(cell: NotebookNode) -> str:
    source = cell.get("source", "")
    return ("".join(source) if isinstance(source, list) else source).rstrip()


def _by_grade_id(cells) -> dict:
    return {_nbgrader(c)["grade_id"]: c for c in cells if _nbgrader(c).get("grade_id")}


def _metadata_changes(grade_id: str, released: NotebookNode, submitted: NotebookNode) -> list:
    was, now = _nbgrader(released), _nbgrader(submitted)
    kind = _kind(was)
    changes = []
    if submitted.get("cell_type") != released.get("cell_type"):
        changes.append(f"turned the {kind} {grade_id} from {released.get('cell_type')} into "
                       f"{submitted.get('cell_type')}")
    if was.get("grade") and now.get("points") != was.get("points"):
        changes.append(f"changed the points of {grade_id} from {was.get('points')} to "
                       f"{now.get('points')}")
    flags = [f for f in _FIELDS if f != "points" and bool(was.get(f)) != bool(now.get(f))]
    if flags:
        listed = ", ".join(f"{f}: {bool(was.get(f))} -> {bool(now.get(f))}" for f in flags)
        changes.append(f"changed the nbgrader metadata of the {kind} {grade_id} ({listed})")
    return changes


def edited_cells(submitted: NotebookNode, released: NotebookNode) -> list[str]:
    """What ``submitted`` changed of the cells ``released`` gave it to keep, in words
    (empty: nothing). Cells are matched by their nbgrader grade_id."""
    ours = _by_grade_id(released.cells)
    theirs = _by_grade_id(submitted.cells)
    changes = []
    counts = Counter(_nbgrader(c).get("grade_id") for c in submitted.cells if _nbgrader(c))
    changes += [f"has {n} cells with the grade_id {grade_id}" for grade_id, n in counts.items()
                if grade_id and n > 1]
    unlabelled = {_source(c) for c in submitted.cells if not _nbgrader(c).get("grade_id")}
    for grade_id, cell in ours.items():
        meta = _nbgrader(cell)
        kind = _kind(meta)
        found = theirs.get(grade_id)
        if found is None:
            if _source(cell) and _source(cell) in unlabelled:
                changes.append(f"removed the nbgrader metadata of the {kind} {grade_id} (was "
                               "the notebook saved by another program?)")
            else:
                changes.append(f"deleted the {kind} {grade_id}")
            continue
        changes += _metadata_changes(grade_id, cell, found)
        if not meta.get("solution") and _source(found) != _source(cell):
            changes.append(f"edited the {kind} {grade_id}")
    changes += [f"added a graded cell {grade_id} that is not in the assignment"
                for grade_id, cell in theirs.items()
                if grade_id not in ours and _nbgrader(cell).get("grade")]
    return changes


def restore(submitted: NotebookNode, released: NotebookNode) -> None:
    """Put back, in ``submitted``, the nbgrader metadata and cell type of every cell of
    ``released`` (onto a cell that lost its metadata but kept its source, too), and strip
    it from duplicate and added graded cells. nbgrader restores a test's source and
    points itself but stops at a changed flag ("Inconsistent checksums"), which would
    leave the whole notebook ungraded; after this it grades the student's answers with
    the assignment's own cells."""
    ours = _by_grade_id(released.cells)
    placed = set()
    for cell in submitted.cells:
        grade_id = _nbgrader(cell).get("grade_id")
        if grade_id is None:
            original = next((c for g, c in ours.items() if g not in placed and _source(c)
                             and _source(c) == _source(cell)), None)
            if original is None:
                continue
            grade_id = _nbgrader(original)["grade_id"]
        if grade_id not in ours or grade_id in placed:
            cell.metadata.pop("nbgrader", None)
            continue
        original = ours[grade_id]
        cell.cell_type = original.cell_type
        cell.metadata["nbgrader"] = dict(_nbgrader(original))
        if original.cell_type == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
        placed.add(grade_id)


def describe(changes: list[str], limit: int = 4) -> str:
    """The changes as one reason for the report."""
    shown = "; ".join(changes[:limit])
    more = f"; and {len(changes) - limit} more" if len(changes) > limit else ""
    return (f"{shown}{more} (grading used the assignment's own cells and points; a deleted "
            "test cell scores 0)")
