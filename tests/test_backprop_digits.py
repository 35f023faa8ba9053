"""backprop_digits: the checkers and the notebook's grading, on many student variants.

Each mutant must lose all of its task's points, with a message naming the mistake;
each correct alternative must keep full marks. Cells run in-process (see
notebook_runner.py); the mutants and alternatives run twice, test cells in the kernel (as
at home) and by the judge (as at grading), and must agree cell by cell. The real nbgrader
loop is exercised in test_end_to_end_*.py.
"""

import contextlib
import io
import re

import numpy as np
import pytest

from autograder.authoring import reference_answers
from backprop_digits_variants import ALTERNATIVES, MUTANTS
from notebook_runner import BOTH, kit, run_notebook, source_notebook, student_code, task_points

nn_utils = kit("backprop_digits")

NOTEBOOK = source_notebook("backprop_digits")
REFERENCE = reference_answers(NOTEBOOK)
TASKS = ["affine", "relu", "crossentropy", "feedforward"]
# The given training loops are long and graded nowhere; the hidden test trains its own net.
SKIP = {"logreg-train", "feedforward-train"}


def classes_from(answers: dict) -> dict:
    """Define the student's classes as the notebook would, and return the namespace."""
    from scipy.special import softmax

    namespace = {"np": np, "softmax": softmax}
    exec(
        "def xavier_init(shape):\n"
        "    a = np.sqrt(6.0 / float(np.sum(shape)))\n"
        "    return np.random.uniform(low=-a, high=a, size=shape)\n",
        namespace,
    )
    for grade_id in ["affine-impl", "relu-impl", "crossentropy-impl", "feedforward-impl"]:
        exec(answers[grade_id], namespace)
    return namespace


def run_all_checks(namespace, seed=0):
    nn_utils.check_affine(namespace["Affine"](), seed=seed)
    nn_utils.check_relu(namespace["ReLU"](), seed=seed)
    nn_utils.check_cross_entropy(namespace["CategoricalCrossEntropy"](), seed=seed)
    nn_utils.check_feedforward_net(namespace["FeedforwardNeuralNet"], seed=seed)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: f"{m.task}: {m.name}")
def test_mutant_loses_the_task_points_with_a_named_mistake(mutant):
    answers = student_code(NOTEBOOK, mutant.apply(REFERENCE))
    results = run_notebook(NOTEBOOK, answers, tasks={mutant.task}, skip=SKIP, modes=BOTH)
    score, top = task_points(results, mutant.task)
    assert top > 0
    assert score == 0, f"{mutant.name} kept {score}/{top}: {results}"
    for result in results.values():
        assert re.search(mutant.message, result.error, flags=re.S), (
            f"{result.grade_id} message does not name the mistake:\n{result.error}")
        assert result.error.startswith("CheckFailure: "), result.error


@pytest.mark.slow  # trains the network, in the kernel and by the judge
@pytest.mark.parametrize("name", sorted(ALTERNATIVES))
def test_correct_alternative_keeps_full_marks(name):
    answers = student_code(NOTEBOOK, ALTERNATIVES[name])
    results = run_notebook(NOTEBOOK, answers, skip=SKIP, modes=BOTH)
    for task in TASKS:
        score, top = task_points(results, task)
        assert score == top > 0, f"{name}, {task}: {results}"


def test_reference_passes_everything_and_blank_cells_score_zero():
    reference = run_notebook(NOTEBOOK, student_code(NOTEBOOK, {}), skip=SKIP)
    assert all(r.points == r.max_points for r in reference.values()), reference
    stub = "# YOUR CODE HERE\nraise NotImplementedError()"
    blank = {g: stub for g in REFERENCE if g.endswith("-impl")}
    # A blank release still defines the classes (the stub sits inside the methods).
    for grade_id in blank:
        blank[grade_id] = re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION",
                                 "raise NotImplementedError()",
                                 NOTEBOOK_SOLUTIONS[grade_id], flags=re.S)
    results = run_notebook(NOTEBOOK, student_code(NOTEBOOK, blank), skip=SKIP)
    assert all(r.points == 0 for r in results.values()), results
    assert all("NotImplementedError" in r.error for r in results.values())


NOTEBOOK_SOLUTIONS = {c.metadata["nbgrader"]["grade_id"]: c.source for c in NOTEBOOK.cells
                      if c.metadata.get("nbgrader", {}).get("solution")}


@pytest.mark.parametrize("name", ["reference", *sorted(ALTERNATIVES)])
def test_no_false_failure_over_200_seeds(name):
    namespace = classes_from({**REFERENCE, **ALTERNATIVES.get(name, {})})
    with contextlib.redirect_stdout(io.StringIO()):
        for seed in range(200):
            run_all_checks(namespace, seed=seed)


def test_checks_are_silent_on_stderr_and_leave_numpy_random_state_alone(capsys):
    namespace = classes_from(REFERENCE)
    np.random.seed(5)
    expected_next = np.random.rand()
    np.random.seed(5)
    with np.errstate(all="warn"):
        run_all_checks(namespace)
    assert np.random.rand() == expected_next
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.count("All checks passed successfully!") == 4


def test_checkers_return_none_and_raise_assertion_errors():
    namespace = classes_from(REFERENCE)
    with contextlib.redirect_stdout(io.StringIO()):
        assert nn_utils.check_relu(namespace["ReLU"]()) is None
    bad = classes_from({**REFERENCE, **MUTANTS[0].apply(REFERENCE)})
    with pytest.raises(AssertionError):
        nn_utils.check_affine(bad["Affine"]())


def test_warnings_from_a_correct_solution_do_not_reach_stderr(capsys):
    """A correct loss that takes log(0) for a certain class still passes quietly."""
    namespace = classes_from(REFERENCE)

    class NoisyButRight(namespace["CategoricalCrossEntropy"]):
        def forward(self, logits, labels):
            np.log(np.zeros(1))  # emits a RuntimeWarning under default numpy settings
            return super().forward(logits, labels)

    with np.errstate(all="warn"):
        nn_utils.check_cross_entropy(NoisyButRight())
    assert capsys.readouterr().err == ""


def test_seed_style_loss_that_ignores_d_out_is_caught_by_name():
    """The failure seen in real homework: d_logits = (probs - labels) / N, no d_out."""
    answers = {**REFERENCE, **DOT_STYLE_WITHOUT_D_OUT}
    namespace = classes_from(answers)
    with pytest.raises(nn_utils.CheckFailure, match="d_logits ignores d_out"):
        nn_utils.check_cross_entropy(namespace["CategoricalCrossEntropy"]())


DOT_STYLE_WITHOUT_D_OUT = {
    "crossentropy-impl": ALTERNATIVES["np.dot style, one shared Affine re-run"]
    ["crossentropy-impl"].replace("d_out * (probs - labels)", "(probs - labels)"),
}


def test_shared_affine_without_refresh_is_caught_by_name():
    shared = ALTERNATIVES["np.dot style, one shared Affine re-run"]["feedforward-impl"]
    broken = shared.replace(
        '        self.affine.forward(X, self.params["W1"], self.params["b1"])  # refresh the cache\n',
        "")
    assert broken != shared
    namespace = classes_from({**REFERENCE, "feedforward-impl": broken})
    with pytest.raises(nn_utils.CheckFailure, match="single Affine instance"):
        nn_utils.check_feedforward_net(namespace["FeedforwardNeuralNet"])
