"""Changes to the data the test cells score on, found in the notebook's text
(autograder/scoring/given_data.py), on the real notebooks and on cells of our own."""

import nbformat
import pytest

from autograder.execution.executor import GuardedExecute, NotebookOutcome, is_locked_code, is_test_cell
from autograder.scoring.given_data import changes, given_names
from autograder.execution.judge import free_names, trusted_imports
from notebook_runner import source_notebook

LOCKED = ["import numpy as np\nimport nn_utils",
          "DATA = nn_utils.load_iris()\nX_test, y_test = DATA['x'] / 2, DATA['y']\nN = 3",
          "def loader():\n    return DATA",
          "model = Network(N)"]  # built with the student's class: theirs


def test_given_data_is_what_locked_cells_make_from_the_kit():
    assert given_names(LOCKED, {"np", "nn_utils"}) == {"DATA", "X_test", "y_test", "N",
                                                       "loader"}


@pytest.mark.parametrize("cell, found", [
    ("y_test = model.predict(X_test)", ["y_test"]),
    ("X_test[:] = 0\ndel DATA['x']", ["DATA", "X_test"]),
    ("def cheat():\n    global y_test\n    y_test = 1", ["y_test"]),
    ("for y_test in range(3):\n    pass", ["y_test"]),
    ("%matplotlib inline\nX_test.shape = (1, -1)", ["X_test"]),
])
def test_changes_to_given_data_are_named(cell, found):
    assert changes(cell, {"DATA", "X_test", "y_test"}) == found


@pytest.mark.parametrize("cell", [
    "accuracy = (model.predict(X_test) == y_test).mean()",
    "def fit(X_test, y_test):\n    X_test = X_test * 2\n    return X_test",
    "copy = X_test.copy()\ncopy[:] = 0",
    "not python (",
])
def test_reading_or_a_copy_is_not_a_change(cell):
    assert changes(cell, {"DATA", "X_test", "y_test"}) == []


def test_the_real_notebooks_watch_the_data_their_tests_read():
    watched = {}
    for assignment, name in [("nn_framework", None), ("two_layer_mnist", None),
                             ("backprop_digits", None), ("fc_nets_cifar", "two_layer_nn")]:
        nb = source_notebook(assignment, name)
        locked = [c.source for c in nb.cells if c.cell_type == "code" and is_locked_code(c)]
        read = set().union(*(free_names(c.source) for c in nb.cells if is_test_cell(c)))
        watched[name or assignment] = given_names(locked, set(trusted_imports(locked))) & read
    assert watched == {"nn_framework": {"X_test", "y_test"},
                       "two_layer_mnist": {"DATA", "test_x", "test_y"},
                       "backprop_digits": set(),  # its hidden test trains on data of its own
                       "two_layer_nn": {"DATA", "X_test", "X_val", "y_test", "y_val"}}


def test_the_grader_flags_a_cell_that_rewrites_the_test_labels():
    nb = source_notebook("nn_framework")
    cheat = nbformat.v4.new_code_cell("y_test = np.zeros_like(y_test)")  # an added cell
    nb.cells.insert(len(nb.cells) - 1, cheat)
    step = GuardedExecute()  # its notes on the notebook's text, without a kernel
    step.outcome, step._imports = NotebookOutcome(), trusted_imports(
        c.source for c in nb.cells if c.cell_type == "code" and is_locked_code(c))
    step._note_what_the_cells_say(nb)
    assert [status for status, _ in step.outcome.flags] == ["tampering"]
    assert "changes y_test, data that the notebook's given cells loaded" in \
        step.outcome.flags[0][1]
