"""Test cells run by the judge (issue 13): what a cell prints, raises and returns is
computed here, with the notebook's names from the kernel (autograder/execution/judge.py).

The tests use tests/test_oracle.py's stand-in client. Graded for real: the attacks in
test_kernel_attacks.py, and the demo in test_end_to_end_*.py.
"""

from __future__ import annotations


import numpy as np
import pytest

from autograder.execution.judge import run_test_cell, trusted_imports
from notebook_runner import in_process_oracle

STUDENT = '''
import numpy as np

class Doubler:
    def forward(self, x):
        return 2 * x

class Wrong:
    def forward(self, x):
        return 3 * x

points = 0.75
'''

CHECK = '''
def check_doubler(layer):
    out = layer.forward(np.arange(3.0))
    if not np.allclose(out, [0.0, 2.0, 4.0]):
        raise AssertionError(f"forward returned {out.tolist()}, expected [0, 2, 4]")
    print("All checks passed successfully!")
'''


@pytest.fixture
def oracle():
    return in_process_oracle(STUDENT)[0]


def run(oracle, source, state=None, imports=None):
    state = {} if state is None else state
    return run_test_cell(oracle, CHECK + source, imports or {}, state)


def test_a_passing_check_prints_its_line_and_raises_nothing(oracle):
    result = run(oracle, "check_doubler(Doubler())\n")
    assert (result.stdout, result.stderr, result.error, result.result) == (
        "All checks passed successfully!\n", "", None, None)


def test_a_failing_check_raises_its_message(oracle):
    result = run(oracle, "check_doubler(Wrong())\n")
    assert result.error == ("AssertionError", "forward returned [0.0, 3.0, 6.0], expected "
                                              "[0, 2, 4]")


def test_the_last_value_is_shown_as_ipython_shows_it(oracle):
    # nbgrader reads a partial score from it, as text: what the kernel would have shown
    assert run(oracle, "points * 4\n").result == "3.0"
    assert run(oracle, "np.float64(points)\n").result == repr(np.float64(0.75))
    assert run(oracle, "x = 1\n").result is None


def test_warnings_go_to_stderr_as_they_would_in_the_kernel(oracle):
    result = run(oracle, "np.log(np.zeros(1))\nNone\n")
    assert "RuntimeWarning: divide by zero" in result.stderr and result.error is None


def test_names_bound_by_a_test_cell_stay_for_the_later_ones(oracle):
    state = {}
    run(oracle, "layer = Doubler()\n", state)
    assert run(oracle, "check_doubler(layer)\n", state).error is None


def test_a_missing_name_is_a_name_error_as_in_the_kernel(oracle):
    assert run(oracle, "check_doubler(Tripler())\n").error == (
        "NameError", "name 'Tripler' is not defined")


def test_the_locked_cells_imports_are_the_graders():
    imports = trusted_imports(["import numpy as np\nfrom math import sqrt as root\nx = 1",
                               "from . import here\nimport os.path", "not python ("])
    assert sorted(imports) == ["np", "os", "root"]


def test_an_imported_name_is_not_asked_of_the_kernel(oracle):
    kernel = oracle.client.namespace
    kernel["root"] = lambda x: "forged"
    imports = trusted_imports(["from math import sqrt as root"])
    assert run(oracle, "root(16.0)\n", imports=imports).result == "4.0"


def test_the_kernel_watch_knows_the_oracle_by_its_name():
    from autograder.execution import kernel_watch
    from autograder.execution import oracle_kernel

    assert kernel_watch._ORACLE == oracle_kernel.NAME
    assert set(kernel_watch._ORACLE_METHODS) <= set(vars(oracle_kernel.Oracle))


def test_checks_of_what_the_kernel_drew_are_asked_of_the_kernel(oracle):
    import nn_utils

    kernel = oracle.client.namespace
    kernel["nn_utils"] = type("KernelKit", (), {
        "check_figure_produced": staticmethod(lambda **kw: print("kernel drew", kw))})()
    imports = trusted_imports(["import nn_utils"])  # the locked setup cell's import
    result = run(oracle, "nn_utils.check_figure_produced(min_images=2)\n", imports=imports)
    assert result.stdout == "kernel drew {'min_images': 2}\n"
    assert nn_utils.check_figure_produced.runs_in_kernel is True
    result = run(oracle, "nn_utils.rel_error(np.ones(1), np.ones(1))\n", imports=imports)
    assert result.result == "0.0"  # everything else is the grader's own
