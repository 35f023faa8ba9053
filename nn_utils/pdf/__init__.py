"""The pieces of ``python -m nn_utils.export_pdf`` (nn_utils/export_pdf.py says how to use it).

Two routes from a notebook to a PDF:

- ``typeset``: pandoc (from the ``pypandoc-binary`` wheel) writes the notebook as Typst,
  and the ``typst`` wheel compiles that to PDF. Only wheels, so it works wherever pip
  does; this is the students' default.
- ``chromium``: nbconvert's HTML printed by headless Chromium, for machines that have
  it; the instructor's feedback uses this one.

``questions`` says which cells are questions and written answers, ``document`` turns a
notebook into the Markdown that pandoc reads, ``name`` finds the student's name.
"""


class ExportError(RuntimeError):
    """The PDF could not be made; the message says why and what to do."""
