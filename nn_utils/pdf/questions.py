"""Which parts of a notebook are questions, and which cells are written answers.

Gradescope matches PDF pages to questions; the PDF helps by giving each question a
bookmark and each written answer its own first page.

- A **written answer** (manually graded) is a cell nbgrader marks ``solution`` and
  ``grade`` that is Markdown (what the students write prose and math into), or any cell
  marked ``task``.
- A **question** is a Markdown heading whose part of the notebook holds something graded
  (a cell with nbgrader ``grade`` or ``task``): the cells after the heading up to the next
  heading of the same or a higher level. "## Task 1 [6 points]" followed by its test
  cell is a question; "## The data" or "## Submitting" is not. Nested headings nest:
  "## Question 1" and its "### Backpropagation [10 points]" are both questions.
  Not questions: the notebook's title (its first heading, when that is level 1, which
  spans everything) and headings a student wrote inside an answer cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nbformat

ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Heading:
    """A Markdown heading: which cell, which line of it, its level and text."""

    cell: int
    line: int
    level: int
    text: str


def nbgrader(cell) -> dict:
    """The cell's nbgrader metadata ({} for none)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_written_answer(cell) -> bool:
    """A manually graded answer: a Markdown solution cell with points, or a task cell."""
    meta = nbgrader(cell)
    if meta.get("task"):
        return True
    return bool(meta.get("solution") and meta.get("grade") and cell.cell_type == "markdown")


def is_graded(cell) -> bool:
    """A cell that carries points: a test, a written answer, a task."""
    meta = nbgrader(cell)
    return bool(meta.get("grade") or meta.get("task"))


def heading_lines(source: str) -> dict[int, tuple[int, str]]:
    """{line number: (level, text)} of the ATX headings in Markdown, code fences skipped."""
    found, fence = {}, None
    for number, line in enumerate(source.splitlines()):
        opening = FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        heading = ATX_HEADING.match(line)
        if heading:
            found[number] = (len(heading.group(1)), heading.group(2))
    return found


def headings(notebook: nbformat.NotebookNode) -> list[Heading]:
    """Every heading of the notebook's Markdown cells, in order, answers' own left out."""
    return [Heading(index, line, level, text)
            for index, cell in enumerate(notebook.cells)
            if cell.cell_type == "markdown" and not is_written_answer(cell)
            for line, (level, text) in heading_lines(cell.source).items()]


def _section_end(all_headings: list[Heading], position: int, cell_count: int) -> int:
    """The index of the cell where the section of heading ``position`` ends."""
    level = all_headings[position].level
    for later in all_headings[position + 1:]:
        if later.level <= level:
            return later.cell
    return cell_count


def question_headings(notebook: nbformat.NotebookNode) -> list[Heading]:
    """The headings that are questions (see the module's docstring)."""
    found = headings(notebook)
    questions = []
    for position, heading in enumerate(found):
        if position == 0 and heading.level == 1:
            continue  # the title
        end = _section_end(found, position, len(notebook.cells))
        if any(is_graded(notebook.cells[i]) for i in range(heading.cell + 1, end)):
            questions.append(heading)
    return questions


def enclosing_level(questions: list[Heading], cell_index: int) -> int:
    """The level of the innermost question heading above ``cell_index`` (1 if none), so
    that an answer's bookmark nests under its question."""
    level = 1
    for heading in questions:
        if heading.cell < cell_index:
            level = heading.level
    return level
