"""The demo of fc_nets_cifar, released and graded for real (tests/end_to_end.py)."""

import nbformat

from end_to_end import *  # noqa: F401,F403  the end-to-end tests every assignment runs

ASSIGNMENT = "fc_nets_cifar"


def test_the_search_earns_partial_credit_with_the_data_set_named(demo):
    course, _, assignment = demo
    with course.gradebook() as gradebook:
        devon = gradebook.find_grade("search-credit", "two_layer_nn", assignment, "devon").score
        avery = gradebook.find_grade("search-credit", "two_layer_nn", assignment, "avery").score
    assert 0 < devon < 10 and avery == 10
    notebook = nbformat.read(course.autograded / "devon" / assignment / "two_layer_nn.ipynb",
                             as_version=4)
    cell = next(c for c in notebook.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "search-credit")
    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    assert "on standin data" in text and "min(floor(X - 23) / 43, 1)" in text
