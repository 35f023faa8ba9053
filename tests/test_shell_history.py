"""Reads of the shell's history in the student's cells are found in the notebook's text
(autograder/scoring/shell_history.py); the attack itself is graded in test_kernel_attacks.py."""

import pytest

from autograder.scoring.shell_history import bound_names, history_reads


@pytest.mark.parametrize("source, found", [
    ("for s in get_ipython().user_ns['In']:\n    print(s)", ["'In'"]),
    ("print(Out, In[-1])", ["Out", "In"]),
    ("%matplotlib inline\nprint(_i7, _ih)", ["_i7", "_ih"]),
    ("h = getattr(get_ipython(), 'history_manager')", ["'history_manager'"]),
    ("get_ipython().history_manager.get_range()", ["history_manager"]),
])
def test_reads_of_the_history_are_named(source, found):
    assert history_reads(source) == found


@pytest.mark.parametrize("source", [
    "%matplotlib inline\nimport numpy as np\nx = np.ones(3)",
    "plt.title('In')\nlabels = {'In': 1, 'Out': 2}",  # words, not the history
    "def f(In):\n    return In + 1",
    "not python (",
])
def test_honest_code_reads_no_history(source):
    assert history_reads(source) == []


def test_a_name_the_student_binds_is_theirs():
    cells = ["In = load_inputs()", "print(In.shape)"]
    assert history_reads(cells[1], bound_names(cells)) == []
    assert history_reads(cells[1]) == ["In"]
