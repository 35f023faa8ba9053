"""The students' PDF export, for real: a notebook executed by a kernel, printed by headless
Chromium from a release-style folder, and the PDF read back (text, and the plot as pixels).
"""

import os
import subprocess
import sys

import nbformat
import numpy as np
import pytest
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.bundle import package_files, write_package
from autograder.course import Course
from nn_utils.export_pdf import ExportError, find_chromium, student_name

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
         "--name", "Ada Lovelace"], cwd=folder, capture_output=True, text=True, timeout=180)
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
    document = pdfium.PdfDocument(exported[1])
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
    picture.save(exported[0] / "plot_page.png")  # for a person to look at
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
        [sys.executable, "-m", "nn_utils.export_pdf", str(notebook)], capture_output=True,
        text=True, env=dict(os.environ, NN_UTILS_CHROMIUM=str(tmp_path / "no-such-browser")))
    assert result.returncode == 1
    assert "NN_UTILS_CHROMIUM" in result.stderr and "apt-get install chromium" in result.stderr
    assert not notebook.with_suffix(".pdf").exists()


def test_a_file_that_is_not_a_notebook_is_a_clear_error(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json")
    result = subprocess.run([sys.executable, "-m", "nn_utils.export_pdf", str(broken)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "not a readable notebook" in result.stderr and "Traceback" not in result.stderr
