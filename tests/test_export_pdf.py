"""The students' PDF export, for real: a notebook executed by a kernel, exported from a
release-style folder, and the PDF read back (text, math, the plot as pixels, bookmarks,
page breaks). Both engines: typst (pip packages only, tested with no Chromium on PATH)
and headless Chromium.
"""

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import nbformat
import numpy as np
import pytest
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.authoring import fill_solutions, reference_answers
from autograder.bundle import package_files, write_package
from autograder.course import Course
from nn_utils.export_pdf import ExportError, export_pdf, find_chromium, student_name
from nn_utils.pdf.name import name_field
from nn_utils.pdf.questions import is_written_answer, question_headings
from nn_utils.pdf.typeset import PACKAGES

ANSWER = "my answer: the gradient is the outer product of delta and x"
MATH = (r"The gradient is $\nabla_W L = W a x^T$, and summed over the batch"
        "\n\n"
        r"$$\frac{\partial L}{\partial W} = \sum_{i=1}^{N} \delta_i x_i^T.$$")
PLOT = ("import matplotlib.pyplot as plt\n"
        "plt.plot([0, 1, 2, 3], [3, 1, 2, 0], linewidth=3)\n"
        "plt.title('loss curve')\n"
        "plt.show()")


def pdf_text(path) -> list:
    """The text of each page of a PDF."""
    document = pdfium.PdfDocument(path)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A release-style folder (a notebook beside a copy of nn_utils) and the PDF that
    ``python -m nn_utils.export_pdf`` made there."""
    folder = tmp_path_factory.mktemp("release")
    write_package(package_files(Course(), "backprop_digits"), folder)
    notebook = new_notebook(cells=[new_markdown_cell("# Task 1\n\n" + MATH),
                                   new_code_cell(f"answer = {ANSWER!r}\nprint(answer)"),
                                   new_code_cell(PLOT)])
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MPLBACKEND", raising=False)  # the kernel must embed its plot
        NotebookClient(notebook, kernel_name="python3", timeout=60).execute()
    path = folder / "homework.ipynb"
    nbformat.write(notebook, path)
    result = subprocess.run(
        [sys.executable, "-m", "nn_utils.export_pdf", path.name, "-o", "out.pdf",
         "--name", "Ada Lovelace", "--engine", "chromium"],
        cwd=folder, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return folder, folder / "out.pdf"


def test_the_name_is_on_the_first_page_and_the_answer_is_in_the_pdf(exported):
    pages = pdf_text(exported[1])
    assert "Ada Lovelace" in pages[0]
    assert ANSWER in " ".join(pages)


def test_mathjax_typeset_the_formulas(exported):
    text = " ".join(pdf_text(exported[1]))
    # Typeset symbols are there, the TeX source is not.
    assert "∇" in text and "∑" in text and "∂" in text
    for source in ("$", "\\nabla", "\\frac", "\\sum", "\\partial"):
        assert source not in text


def test_the_plot_is_an_image_with_something_drawn_on_it(exported):
    assert_a_plot_is_drawn(exported[1], exported[0] / "plot_page.png")


def assert_a_plot_is_drawn(pdf, picture_path):
    """The PDF's widest image is plot-sized and has axes and a curve on it, as pixels."""
    document = pdfium.PdfDocument(pdf)
    found = []
    for index in range(len(document)):
        page = document[index]
        for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
            found.append((index, image.get_bounds()))
    assert found, "no image in the PDF"
    index, (left, bottom, right, top) = max(found, key=lambda f: (f[1][2] - f[1][0]))
    scale = 2
    page = document[index]
    picture = page.render(scale=scale).to_pil()
    picture.save(picture_path)  # for a person to look at
    height = page.get_height()
    region = np.asarray(picture.convert("L").crop(
        (int(left * scale), int((height - top) * scale),
         int(right * scale), int((height - bottom) * scale))))
    assert region.shape[0] > 100 and region.shape[1] > 100  # a plot, not an icon
    dark = (region < 128).mean()
    assert 0.005 < dark < 0.5, dark  # axes, ticks and the curve; neither blank nor a blot


def test_name_comes_from_the_option_then_the_metadata_then_the_file_name(tmp_path):
    notebook = new_notebook()
    path = tmp_path / "kim_lee.ipynb"
    assert student_name(notebook, path, None) == "kim_lee"
    notebook.metadata["authors"] = [{"name": "Kim Lee"}]
    assert student_name(notebook, path, "  ") == "Kim Lee"
    assert student_name(notebook, path, "Kim A. Lee") == "Kim A. Lee"


def test_without_chromium_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.delenv("NN_UTILS_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ExportError, match="apt-get install chromium"):
        find_chromium()
    notebook = tmp_path / "homework.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("hi")]), notebook)
    result = subprocess.run(
        [sys.executable, "-m", "nn_utils.export_pdf", str(notebook), "--engine", "chromium"],
        capture_output=True,
        text=True, env=dict(os.environ, NN_UTILS_CHROMIUM=str(tmp_path / "no-such-browser")))
    assert result.returncode == 1
    assert "NN_UTILS_CHROMIUM" in result.stderr and "apt-get install chromium" in result.stderr
    assert not notebook.with_suffix(".pdf").exists()


@pytest.mark.parametrize("content", ["{ not json", '{"cells": "none"}', "hello"])
def test_a_file_that_is_not_a_notebook_is_a_clear_error(tmp_path, content):
    broken = tmp_path / "broken.ipynb"
    broken.write_text(content)
    result = subprocess.run([sys.executable, "-m", "nn_utils.export_pdf", str(broken)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "not a readable notebook" in result.stderr and "Traceback" not in result.stderr


# --- the pip route (pandoc + typst), with no Chromium anywhere --------------------------

KIT = Path(__file__).resolve().parent.parent
WRITTEN_1 = "The loss is convex in its second argument, so the minimum is unique."
WRITTEN_2 = "Part b answered: the bottleneck keeps the principal subspace."
LONG_LINE = ("result = dict(" + ", ".join(f"argument_{i}={i}" for i in range(30))
             + ")  # TAILMARKER")
LONG_WORD = "x" * 150 + "WORDEND"


def graded(cell, grade_id, points, solution=False):
    """``cell`` with the nbgrader metadata of a graded cell."""
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "points": points,
                                 "solution": solution, "locked": not solution,
                                 "schema_version": 3, "task": False}
    return cell


def homework_cells():
    """A small homework: a title, a name field, an autograded task with math, an
    ungraded section with a plot, a question with two written answers, long code lines."""
    return [
        new_markdown_cell("# Homework 0\n\nRead everything."),
        new_markdown_cell("**Name:** Grace Hopper"),
        new_markdown_cell("## Task 1: the gradient [5 points]\n\n" + MATH),
        new_code_cell(f"answer = {ANSWER!r}\nprint(answer)"),
        graded(new_code_cell("assert answer\nprint('checked')"), "task1-test", 5),
        new_markdown_cell("## A picture (nothing graded)\n\nThe loss goes down."),
        new_code_cell(PLOT),
        new_markdown_cell("## Question 2: explain [3 points]\n\nWhy is $\\alpha > 0$?"),
        graded(new_markdown_cell(WRITTEN_1), "q2-answer", 3, solution=True),
        new_markdown_cell("### (b) The bottleneck [2 points]"),
        graded(new_markdown_cell(WRITTEN_2), "q2b-answer", 2, solution=True),
        new_code_cell(f"{LONG_LINE}\n{LONG_WORD} = 1"),
        new_markdown_cell("## Submitting\n\nExport the PDF."),
    ]


EXPECTED_BOOKMARKS = [
    (0, "Task 1: the gradient [5 points]"),
    (0, "Question 2: explain [3 points]"),
    (1, "Answer: q2-answer (3 points)"),
    (1, "(b) The bottleneck [2 points]"),
    (2, "Answer: q2b-answer (2 points)"),
]


@pytest.fixture
def no_chromium(tmp_path_factory, monkeypatch):
    """PATH without any Chromium (nor anything else), $NN_UTILS_CHROMIUM unset."""
    empty = tmp_path_factory.mktemp("empty_path")
    monkeypatch.delenv("NN_UTILS_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(ExportError):
        find_chromium()
    return dict(os.environ)


@pytest.fixture(scope="module")
def typst_exported(tmp_path_factory):
    """The small homework executed by a kernel in a release-style folder, then exported
    by ``python -m nn_utils.export_pdf`` (default engine, no --name) with no Chromium."""
    folder = tmp_path_factory.mktemp("release_typst")
    write_package(package_files(Course(), "backprop_digits"), folder)
    notebook = new_notebook(cells=homework_cells())
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MPLBACKEND", raising=False)  # the kernel must embed its plot
        NotebookClient(notebook, kernel_name="python3", timeout=60).execute()
    path = folder / "homework.ipynb"
    nbformat.write(notebook, path)
    empty = tmp_path_factory.mktemp("empty_path")
    env = {k: v for k, v in os.environ.items() if k != "NN_UTILS_CHROMIUM"}
    env["PATH"] = str(empty)
    result = subprocess.run([sys.executable, "-m", "nn_utils.export_pdf", path.name],
                            cwd=folder, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    # Nothing but the PDF is left beside the notebook (the work happens in a temp dir).
    assert sorted(p.name for p in folder.iterdir()) == ["homework.ipynb", "homework.pdf",
                                                       "nn_utils"]
    pdf = folder / "homework.pdf"
    document = pdfium.PdfDocument(pdf)
    for index in range(len(document)):  # for a person to look at
        document[index].render(scale=1.5).to_pil().save(folder / f"page-{index}.png")
    return folder, pdf


def bookmarks(pdf) -> list:
    """(level, title, page index) of each bookmark of the PDF, in order."""
    return [(item.level, item.get_title(), item.get_dest().get_index())
            for item in pdfium.PdfDocument(pdf).get_toc()]


def test_typst_the_name_field_is_on_the_first_page_and_the_text_is_there(typst_exported):
    pages = pdf_text(typst_exported[1])
    assert "Name: Grace Hopper" in pages[0]
    text = " ".join(pages)
    for expected in (ANSWER, "checked", WRITTEN_1, WRITTEN_2, "Export the PDF."):
        assert expected in text


def test_typst_typeset_the_formulas(typst_exported):
    # NFKC: Typst's math italic letters (𝜕, 𝛼) are the plain symbols' styled forms.
    text = unicodedata.normalize("NFKC", " ".join(pdf_text(typst_exported[1])))
    # Typeset symbols are there, the TeX source is not.
    assert "∇" in text and "∑" in text and "∂" in text and "α" in text
    for source in ("$", "\\nabla", "\\frac", "\\sum", "\\partial", "\\alpha"):
        assert source not in text


def test_typst_the_plot_is_an_image_with_something_drawn_on_it(typst_exported):
    assert_a_plot_is_drawn(typst_exported[1], typst_exported[0] / "plot_typst.png")


def test_typst_one_bookmark_per_question_and_per_written_answer(typst_exported):
    found = bookmarks(typst_exported[1])
    assert [(level, title) for level, title, _ in found] == EXPECTED_BOOKMARKS
    pages = pdf_text(typst_exported[1])
    for _, title, page in found:  # each leads to the page its heading is on
        assert title.split(" [")[0] in pages[page]


def test_typst_each_written_answer_begins_a_page(typst_exported):
    pages = pdf_text(typst_exported[1])
    bookmarked = {title: page for _, title, page in bookmarks(typst_exported[1])}
    for answer, title in ((WRITTEN_1, "Answer: q2-answer (3 points)"),
                          (WRITTEN_2, "Answer: q2b-answer (2 points)")):
        page = next(i for i, text in enumerate(pages) if answer in text)
        assert pages[page].lstrip().startswith(title), pages[page][:80]
        assert bookmarked[title] == page
        assert page > 0 and answer not in pages[page - 1]


def test_typst_long_code_lines_wrap_inside_the_page(typst_exported):
    document = pdfium.PdfDocument(typst_exported[1])
    for index in range(len(document)):  # no character sticks out into the right margin
        page = document[index]
        textpage = page.get_textpage()
        for char in range(textpage.count_chars()):
            assert textpage.get_charbox(char)[2] <= page.get_width() - 40, (index, char)
    text = " ".join(pdf_text(typst_exported[1]))
    assert "TAILMARKER" in text  # the end of the long line, wrapped onto the next
    assert LONG_WORD in text.replace("\u200b", "").replace("\r\n", "")  # broken, not cut


def test_name_field_markdown_or_code_cell_and_placeholders_are_no_name(tmp_path):
    notebook = new_notebook(cells=[new_markdown_cell("# Title"),
                                   new_code_cell('NAME = ""\nCOLLABORATORS = ""')])
    path = tmp_path / "s123.ipynb"
    assert name_field(notebook) is None and student_name(notebook, path, None) == "s123"
    notebook.cells[1].source = 'NAME = "Kim Lee"\nCOLLABORATORS = ""'
    assert student_name(notebook, path, None) == "Kim Lee"
    notebook.metadata["authors"] = [{"name": "Metadata Name"}]
    assert student_name(notebook, path, None) == "Kim Lee"  # the field comes first
    notebook.cells.insert(1, new_markdown_cell("*Name*: Ada L.\n\nmore text"))
    assert student_name(notebook, path, None) == "Ada L."
    assert student_name(notebook, path, "Given") == "Given"
    notebook.cells[1].source = "Name the three layers: affine, ReLU, softmax."
    assert student_name(notebook, path, None) == "Kim Lee"


def test_without_the_pip_packages_the_error_says_what_to_install(tmp_path, no_chromium):
    notebook = tmp_path / "homework.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("hi")]), notebook)
    hide_typst = ("import sys; sys.modules['typst'] = None; "  # as if never installed
                  "from nn_utils.export_pdf import main; sys.exit(main(sys.argv[1:]))")
    result = subprocess.run([sys.executable, "-c", hide_typst, str(notebook)],
                            cwd=KIT, capture_output=True, text=True, env=no_chromium)
    assert result.returncode == 1
    assert f"pip install {PACKAGES}" in result.stderr and "Traceback" not in result.stderr
    assert not notebook.with_suffix(".pdf").exists()


def solved_release_notebooks():
    """(path of each released notebook, the reference solutions filled in)."""
    for path in sorted((KIT / "release").glob("*/*.ipynb")):
        source = nbformat.read(KIT / "source" / path.parent.name / path.name, as_version=4)
        yield path, fill_solutions(nbformat.read(path, as_version=4), reference_answers(source))


def test_typst_exports_every_released_notebook_solved(tmp_path, no_chromium):
    """Each released notebook with the reference solutions (not executed: training takes
    minutes; the executed homework above has the outputs) exports with bookmarks for
    its questions and answers, each answer on a page of its own."""
    released = list(solved_release_notebooks())
    assert len(released) >= 7
    for path, notebook in released:
        solved = tmp_path / path.name
        nbformat.write(notebook, solved)
        pdf = export_pdf(solved, tmp_path / f"{path.stem}.pdf", name="Reference")
        pages = pdf_text(pdf)
        assert "Name: Reference" in pages[0]
        assert "google.colab" in notebook.cells[next(  # the kit's Colab cell: not printed
            i for i, c in enumerate(notebook.cells) if c.cell_type == "code")].source
        assert not any("google.colab" in page or "_ASSIGNMENT" in page for page in pages)
        answers = [c for c in notebook.cells if is_written_answer(c)]
        found = bookmarks(pdf)
        assert len(found) == len(question_headings(notebook)) + len(answers), path.name
        for _, title, page in found:
            if title.startswith("Answer: "):
                assert pages[page].lstrip().startswith(title), (path.name, title)
