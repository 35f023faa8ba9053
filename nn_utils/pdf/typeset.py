"""The pip route: pandoc writes the notebook as Typst, the ``typst`` wheel makes the PDF.

No browser, no TeX, no network: pandoc comes inside the ``pypandoc-binary`` wheel and the
Typst compiler, with its fonts (Libertinus Serif, New Computer Modern Math, DejaVu Sans
Mono), inside the ``typst`` wheel. The two are pinned together in pyproject.toml:
pandoc 3.9 (pypandoc-binary 1.17) writes math symbols by the names Typst 0.14 gave them
(``chevron.l``, which Typst 0.13 does not know) and some that Typst 0.15 removed
(``dot.circle``), so its output compiles with Typst 0.14 only (the typst wheel 0.14.9).

Everything is written into a temporary folder, which is also Typst's root: the Typst
source, and the notebook's images (document.py).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat

from . import ExportError
from .document import Media, notebook_markdown, typst_string

PACKAGES = "pypandoc-binary==1.17 typst==0.14.9"
INSTALL_HINT = f"pip install {PACKAGES}"
# Jupyter's Markdown is CommonMark with $-math; commonmark_x reads that, plus the raw
# Typst blocks and the {.unlisted} heading attributes that document.py adds.
PANDOC_FORMAT = "commonmark_x"

# The page: A4 with 50pt side margins (document.TEXT_WIDTH_PT is the width left), the
# Typst wheel's own fonts, so that the PDF looks the same on every machine, code on a
# grey ground, outputs indented beside a rule. Long code lines wrap: Typst breaks raw
# text at spaces, and a word too long for a line gets zero-width spaces to break at.
PREAMBLE = """\
#set document(title: {title}, author: {name})
#set page(paper: "a4", margin: (x: 50pt, top: 56pt, bottom: 56pt),
          numbering: "1 / 1", number-align: center)
#set text(font: ("Libertinus Serif", "New Computer Modern"), size: 10.5pt, lang: "en")
#show math.equation: set text(font: "New Computer Modern Math")
#show raw: set text(font: "DejaVu Sans Mono", size: 8pt)
#set par(justify: false)
#show raw.where(block: true): it => {{
  show regex("\\S{{60,}}"): word => word.text.clusters().join(sym.zws)
  it
}}
#show raw.where(block: true, lang: "python"): it => block(
  width: 100%, fill: luma(245), inset: 6pt, radius: 2pt, it)
#show raw.where(block: true, lang: "output"): it => block(
  width: 100%, inset: (left: 8pt, y: 3pt), stroke: (left: 1pt + luma(170)), it)
#show heading: set block(above: 1.4em, below: 0.8em)
#let horizontalrule = line(length: 100%, stroke: 0.5pt + luma(160))
#show terms.item: it => block(breakable: false)[
  #text(weight: "bold")[#it.term]
  #block(inset: (left: 1.5em, top: -0.4em))[#it.description]
]
#set table(inset: 5pt, stroke: 0.5pt + luma(200))

#block(width: 100%, below: 1.5em, stroke: (bottom: 0.5pt + luma(160)), inset: (bottom: 6pt))[
  #text(size: 13pt)[*Name:* #{name}] #h(1fr) #text(size: 9pt, fill: luma(90))[#{file}]
]

"""


def _modules():
    """pypandoc and typst, or an ExportError that says what to pip install."""
    try:
        import pypandoc
        import typst
    except ImportError as error:
        raise ExportError(f"the package {error.name} is missing: {INSTALL_HINT} "
                          "(or use --engine chromium where Chromium is installed)") from None
    return pypandoc, typst


def markdown_to_typst(markdown: str) -> str:
    """The body of a Typst document, written by pandoc from ``markdown``."""
    pypandoc, _ = _modules()
    try:
        return pypandoc.convert_text(markdown, "typst", format=PANDOC_FORMAT,
                                     extra_args=["--wrap=preserve"])
    except OSError as error:  # pypandoc without pandoc: the wheel without its binary
        raise ExportError(f"pandoc is missing ({error}): {INSTALL_HINT}") from None
    except RuntimeError as error:
        raise ExportError(f"pandoc could not convert the notebook: {error}") from None


def compile_typst(source: Path, pdf: Path) -> Path:
    """Compile ``source`` to ``pdf``, reading files only from ``source``'s folder."""
    _, typst = _modules()
    try:
        typst.compile(str(source), output=str(pdf), root=str(source.parent))
    except typst.TypstError as error:
        raise ExportError(
            f"Typst could not typeset the notebook: {error.message}\n"
            f"(pandoc and typst must be the versions this kit pins: {INSTALL_HINT})"
        ) from None
    return pdf


def typst_document(notebook: nbformat.NotebookNode, media: Media, notebook_folder: Path,
                   name: str, file_name: str) -> str:
    """The notebook as one Typst source: the preamble with the name, then the cells."""
    body = markdown_to_typst(notebook_markdown(notebook, media, notebook_folder))
    preamble = PREAMBLE.format(title=typst_string(Path(file_name).stem),
                               name=typst_string(name), file=typst_string(file_name))
    return preamble + body


def notebook_to_pdf(notebook: nbformat.NotebookNode, notebook_path: Path, pdf: Path,
                    name: str) -> Path:
    """Write ``notebook`` (read from ``notebook_path``) to ``pdf`` with ``name`` on top."""
    _modules()  # fail before any work when a package is missing
    with tempfile.TemporaryDirectory(prefix="nn_utils_typst_") as work:
        work = Path(work)
        source = work / "notebook.typ"
        source.write_text(typst_document(notebook, Media(work / "media"),
                                         notebook_path.parent.resolve(), name,
                                         notebook_path.name), encoding="utf-8")
        return compile_typst(source, pdf)
