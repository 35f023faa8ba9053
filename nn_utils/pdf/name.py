"""Whose notebook it is: the name printed on the PDF's first page.

In order: ``--name`` if given; else the notebook's name field; else its metadata
(``metadata.authors[0].name``, nbformat's standard field, which JupyterLab's metadata
editor can set); else the file name without ``.ipynb`` (a submitted notebook is renamed
to the student's id by the instructor, so that still says whose work it is).

A name field is either of the two usual conventions, the first in the notebook wins:

- a Markdown cell whose text starts with ``Name:`` (also ``**Name:**``, ``*Name*:``);
  the rest of that line is the name;
- a code cell assigning a string to ``NAME`` (nbgrader's ``NAME = ""`` cell).

A field left empty or at a placeholder ("YOUR NAME", "YOUR ANSWER HERE") is no name.
The released notebooks have no name field; a course that adds one gets it printed.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

MARKDOWN_FIELD = re.compile(r"^\s*[*_]{0,2}name[*_]{0,2}\s*:\s*[*_]{0,2}\s*(?P<name>.*)$",
                            re.IGNORECASE)
PLACEHOLDERS = {"", "your name", "your name here", "your answer here", "name", "..."}


def _cleaned(text: str) -> str | None:
    """``text`` without Markdown emphasis around it, or None when it is a placeholder."""
    name = text.strip().strip("*_ ").strip()
    return None if name.lower() in PLACEHOLDERS else name


def _markdown_name(source: str) -> str | None:
    first_line = source.strip().splitlines()[0] if source.strip() else ""
    field = MARKDOWN_FIELD.match(first_line)
    return _cleaned(field.group("name")) if field else None


def _code_name(source: str) -> str | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics and half-written cells are not name fields
        return None
    for statement in tree.body:
        if (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
                and any(isinstance(t, ast.Name) and t.id == "NAME" for t in statement.targets)):
            return _cleaned(statement.value.value)
    return None


def name_field(notebook: nbformat.NotebookNode) -> str | None:
    """The name the student wrote into the notebook's name field, if any."""
    for cell in notebook.cells:
        read = _markdown_name if cell.cell_type == "markdown" else _code_name
        name = read(cell.source) if cell.cell_type in ("markdown", "code") else None
        if name:
            return name
    return None


def student_name(notebook: nbformat.NotebookNode, path: Path, given: str | None) -> str:
    """``given``, else the name field, else the metadata's first author, else the stem."""
    if given and given.strip():
        return given.strip()
    field = name_field(notebook)
    if field:
        return field
    authors = notebook.metadata.get("authors") or []
    if authors and isinstance(authors[0], dict) and str(authors[0].get("name", "")).strip():
        return str(authors[0]["name"]).strip()
    return Path(path).stem
