"""Turn a notebook into a PDF, offline: equations typeset, plots, code and outputs.

    python -m nn_utils.export_pdf NOTEBOOK.ipynb [-o OUT.pdf] [--name "Student Name"]
                                  [--engine typst|chromium]

Two engines:

- ``typst`` (the default) needs nothing but pip packages, no browser and no TeX:
  pandoc, from the ``pypandoc-binary`` wheel, writes the notebook as Typst, and the
  ``typst`` wheel compiles that to PDF (nn_utils/pdf/typeset.py). Linux, macOS, Windows
  and Colab alike; ``pip install pypandoc-binary==1.17 typst==0.14.9`` if they are missing.
- ``chromium`` prints nbconvert's HTML with headless Chromium, where Chromium is
  installed (nn_utils/pdf/chromium.py); Linux and macOS only.

Made for Gradescope, where a student matches pages to questions. The typst engine
gives each question a PDF bookmark and starts each written answer on a new page under a
bookmarked "Answer: <id>" heading. A question is a heading whose part of the notebook
holds graded cells (tests, written answers, tasks), up to the next heading of the same
or a higher level; a written answer is a Markdown cell nbgrader marks ``solution`` and
``grade``, or any ``task`` cell (nn_utils/pdf/questions.py has the details).

The name on the first page: ``--name`` if given, else the notebook's name field (a
Markdown cell starting ``Name:``, or a code cell ``NAME = "..."``), else the notebook's
metadata (``metadata.authors[0].name``), else the file name without ``.ipynb``
(nn_utils/pdf/name.py). The released notebooks carry no name field, and a submitted
notebook is renamed to the student's id by the instructor, so the file name is the
fallback that still says whose work it is.

Nothing is written but a temporary folder and the PDF.
``notebook_html`` and ``html_to_pdf`` are also what the instructor's feedback uses
(autograder/results/feedback.py).
"""

from __future__ import annotations

import argparse
import copy
import html
import sys
import tempfile
from pathlib import Path

import nbformat

from nn_utils.pdf import ExportError
from nn_utils.pdf.chromium import find_chromium, html_to_pdf, notebook_html
from nn_utils.pdf.name import student_name
from nn_utils.pdf.typeset import notebook_to_pdf

__all__ = ["ENGINES", "ExportError", "export_pdf", "find_chromium", "html_to_pdf", "main",
           "notebook_html", "student_name"]

ENGINES = ("typst", "chromium")


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path``, or an ExportError saying that it is not one."""
    if not path.is_file():
        raise ExportError(f"no such notebook: {path}")
    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:  # any parse error: the file is not a notebook we can read
        raise ExportError(f"{path} is not a readable notebook: {error}") from None


# The kit's first cell, which finds nn_utils on Colab (autograder/authoring.py puts it in
# every notebook): plumbing, not the student's work, so no PDF shows it.
KIT_CELLS = ("find-nn-utils",)


def without_kit_cells(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``notebook`` without the kit's own cells (KIT_CELLS)."""
    shown = copy.deepcopy(notebook)
    shown.cells = [cell for cell in shown.cells
                   if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") not in KIT_CELLS]
    return shown


def _chromium_pdf(notebook: nbformat.NotebookNode, path: Path, out: Path, name: str) -> Path:
    shown = without_kit_cells(notebook)
    shown.cells.insert(0, nbformat.v4.new_markdown_cell(f"**Name:** {html.escape(name)}"))
    with tempfile.TemporaryDirectory(prefix="nn_utils_export_") as work:
        page = Path(work) / f"{path.stem}.html"
        page.write_text(notebook_html(shown, path.stem, path.parent.resolve()), encoding="utf-8")
        return html_to_pdf(page, out)


def export_pdf(path: Path, out: Path | None = None, name: str | None = None,
               engine: str = "typst") -> Path:
    """Write ``path`` (a notebook) as a PDF with the student's name on top; return it."""
    if engine not in ENGINES:
        raise ExportError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    path = Path(path)
    notebook = read_notebook(path)
    out = Path(out).resolve() if out else path.with_suffix(".pdf").resolve()
    shown_name = student_name(notebook, path, name)
    if shown_name == path.stem:
        print(f'export_pdf: the first page says "{shown_name}"; add --name "Your Name" '
              "to put your name there", file=sys.stderr)
    if engine == "chromium":
        return _chromium_pdf(notebook, path, out, shown_name)
    return notebook_to_pdf(without_kit_cells(notebook), path, out, shown_name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nn_utils.export_pdf",
                                     description="Make a PDF of a notebook, offline.")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("-o", "--output", type=Path, help="the PDF (default: beside the notebook)")
    parser.add_argument("--name", help="your name, printed on the first page")
    parser.add_argument("--engine", choices=ENGINES, default="typst",
                        help="typst (default: pip packages only) or chromium (a browser "
                             "you have installed)")
    args = parser.parse_args(argv)
    try:
        pdf = export_pdf(args.notebook, args.output, args.name, args.engine)
    except ExportError as error:
        print(f"export_pdf: {error}", file=sys.stderr)
        return 1
    print(f"wrote {pdf}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
