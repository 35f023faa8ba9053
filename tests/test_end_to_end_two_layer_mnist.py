"""The demo of two_layer_mnist, released and graded for real (tests/end_to_end.py)."""

import nbformat

from end_to_end import *  # noqa: F401,F403  the end-to-end tests every assignment runs

ASSIGNMENT = "two_layer_mnist"


def test_graded_notebooks_keep_their_plots(demo):
    course, _, assignment = demo
    notebook = nbformat.read(course.autograded / "avery" / assignment / f"{assignment}.ipynb",
                             as_version=4)
    images = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert len(images) >= 6  # the data preview, two loss curves, four example grids
