"""two_layer_mnist: checkers and notebook grading on mutants and correct alternatives."""

import contextlib
import io
import re

import numpy as np
import pytest

from conftest import slow_if
from autograder.authoring import reference_answers, task_of
from notebook_runner import kit, run_notebook, source_notebook, student_code

nn_utils = kit("two_layer_mnist")
from two_layer_mnist_variants import (
    ALTERNATIVES,
    MUTANTS,
    SEED_PLAIN_AS_STABLE,
    SEED_STABLE,
    SEED_STABLE_SOFTMAX,
    STABLE_BY_THE_ARRAY_MAXIMUM,
    STABLE_IN_PLACE,
)

NOTEBOOK = source_notebook("two_layer_mnist")
REFERENCE = reference_answers(NOTEBOOK)
TRAINING = {"q1train-impl", "q1eval-impl", "q1vis-answer", "q2train-impl", "q2eval-impl"}
NEEDS_TRAINING = {"q1train", "q1eval", "q1vis", "q2train", "q2eval"}
ONLY_HIDDEN_TESTS_SEE = {"sizes written in (as in the seed)"}


def run(answers, tasks=None):
    skip = set() if tasks is None or tasks & NEEDS_TRAINING else TRAINING
    return run_notebook(NOTEBOOK, student_code(NOTEBOOK, answers), tasks=tasks, skip=skip)


@pytest.mark.parametrize("mutant", [slow_if(m.task in NEEDS_TRAINING, m)
                                    for m in [*MUTANTS, SEED_STABLE, SEED_PLAIN_AS_STABLE,
                                              STABLE_BY_THE_ARRAY_MAXIMUM, STABLE_IN_PLACE]],
                         ids=lambda m: f"{m.task}: {m.name}")
def test_mutant_fails_its_task_with_a_named_mistake(mutant):
    tasks = {mutant.task}
    results = run(mutant.apply(REFERENCE), tasks=tasks)
    task_cells = [r for r in results.values() if r.grade_id.split("-")[0] in tasks]
    assert task_cells
    if mutant.name in ONLY_HIDDEN_TESTS_SEE:
        # Right for the notebook's own sizes: the visible check passes, the hidden fails.
        task_cells = [r for r in task_cells if r.grade_id.endswith("-hidden")]
        assert all(not r.error for r in results.values() if r not in task_cells)
    for result in task_cells:
        assert result.error, f"{result.grade_id} passed for {mutant.name}"
        assert result.points == 0
    assert any(re.search(mutant.message, r.error, flags=re.S) for r in task_cells), (
        "\n".join(r.error for r in task_cells))


# The reference's full marks, training included, are graded for real as the demo
# student avery (tests/test_end_to_end_two_layer_mnist.py) and on Gradescope's layout
# (tests/test_gradescope_assignments.py).


# The seed style is a demo submission (finley's): test_end_to_end_two_layer_mnist.py grades
# its training for real, so here its tasks that train are left out.
TRAINED_IN_THE_DEMO = {"seed style"}


@pytest.mark.parametrize("name", [slow_if(n not in TRAINED_IN_THE_DEMO, n)
                                  for n in sorted(ALTERNATIVES)])
def test_correct_alternative_keeps_full_marks(name):
    tasks = None
    if name in TRAINED_IN_THE_DEMO:
        tasks = {task_of(c.metadata["nbgrader"]["grade_id"]) for c in NOTEBOOK.cells
                 if c.metadata.get("nbgrader", {}).get("grade")} - NEEDS_TRAINING
    results = run(ALTERNATIVES[name], tasks=tasks)
    failed = {g: r.error for g, r in results.items() if r.points != r.max_points}
    # The seed's plain softmax is correct for the graded work; only the optional,
    # zero-point stability check may fail, and only because of overflow.
    failed.pop("stable-check", None)
    assert not failed, failed


def test_seed_softmax_passes_the_plain_check_and_fails_the_stability_check():
    namespace = {"np": np}
    exec(ALTERNATIVES["seed style"]["q2softmax-impl"], namespace)
    with contextlib.redirect_stdout(io.StringIO()):
        nn_utils.check_softmax(namespace["softmax"])
    with pytest.raises(nn_utils.CheckFailure, match="near 1000"):
        nn_utils.check_stable_softmax(namespace["softmax"])


def test_seed_stable_softmax_fails_and_the_message_says_why():
    namespace = {"np": np}
    exec(SEED_STABLE_SOFTMAX, namespace)
    with pytest.raises(nn_utils.CheckFailure, match="log of a negative"):
        nn_utils.check_stable_softmax(namespace["stable_softmax"])


def functions_from(answers):
    namespace = {"np": np}
    for grade_id in ("q1loss-sigmoid-impl", "q1loss-impl", "q1forward-impl", "q1backward-impl",
                     "q1gd-impl", "q1init-impl", "q1data-impl"):
        exec(answers[grade_id], namespace)
    binary = dict(namespace)
    for grade_id in ("q2softmax-impl", "stable-impl", "q2loss-impl", "q2forward-impl",
                     "q2backward-impl"):
        exec(answers[grade_id], namespace)
    return binary, namespace


def run_checks(binary, multi, seed):
    nn_utils.check_sigmoid(binary["sigmoid"])
    nn_utils.check_cross_entropy_loss(binary["CrossEntropyLoss"], seed=seed)
    nn_utils.check_two_layer_forward(binary["forward"], seed=seed)
    nn_utils.check_two_layer_backward(binary["backward"], binary["forward"],
                                      binary["CrossEntropyLoss"], seed=seed)
    nn_utils.check_gd(binary["GD"], seed=seed)
    nn_utils.check_softmax(multi["softmax"], seed=seed)
    nn_utils.check_multiclass_cross_entropy_loss(multi["MultiClassCrossEntropyLoss"], seed=seed)
    nn_utils.check_two_layer_forward(multi["forward"], output="softmax", seed=seed, dims=(6, 5, 4))
    nn_utils.check_two_layer_backward(multi["backward"], multi["forward"],
                                      multi["MultiClassCrossEntropyLoss"], output="softmax",
                                      seed=seed, dims=(6, 5, 4))


@pytest.mark.parametrize("name", ["reference", *sorted(ALTERNATIVES)])
def test_no_false_failure_over_200_seeds(name):
    binary, multi = functions_from({**REFERENCE, **ALTERNATIVES.get(name, {})})
    with contextlib.redirect_stdout(io.StringIO()):
        for seed in range(200):
            run_checks(binary, multi, seed)


def test_checks_write_nothing_to_stderr(capsys):
    binary, multi = functions_from({**REFERENCE, **ALTERNATIVES["seed style"]})
    with np.errstate(all="warn"):
        run_checks(binary, multi, 0)
    assert capsys.readouterr().err == ""


def test_figure_check_counts_only_figures_since_it_was_reset():
    import matplotlib.pyplot as plt

    nn_utils.watch_figures()
    nn_utils.show_images(np.zeros((3, 28, 28)))
    with contextlib.redirect_stdout(io.StringIO()):
        nn_utils.check_figure_produced(min_images=3)
    with pytest.raises(nn_utils.CheckFailure, match="drew no figure"):
        nn_utils.check_figure_produced(min_images=1)
    plt.close("all")  # as the inline backend does at the end of every cell
    nn_utils.watch_figures()
    plt.figure()
    plt.plot([1, 2])
    plt.show()
    with pytest.raises(nn_utils.CheckFailure, match="drew 0 image"):
        nn_utils.check_figure_produced(min_images=1)
    plt.close("all")


def _tiny_network(rule):
    """A fixed 'network' whose forward returns given outputs, and data it classifies."""
    rng = np.random.default_rng(5)
    if rule == "threshold":
        outputs = {20: rng.uniform(size=(1, 20)), 30: rng.uniform(size=(1, 30))}
        labels = {n: (rng.uniform(size=n) < 0.5).astype(float) for n in outputs}
    else:
        outputs = {20: rng.uniform(size=(4, 20)), 30: rng.uniform(size=(4, 30))}
        labels = {n: rng.integers(0, 4, size=n).astype(float) for n in outputs}
    data = {n: (np.zeros((3, n)), labels[n]) for n in outputs}

    def forward(X, params):
        return outputs[X.shape[1]], []

    def predicted(n):
        out = outputs[n]
        return (out >= 0.5).astype(int).ravel() if rule == "threshold" else out.argmax(axis=0)

    return forward, data[20], data[30], predicted


@pytest.mark.parametrize("rule", ["threshold", "argmax"])
def test_evaluation_check_accepts_the_true_accuracies_however_computed(rule):
    forward, train, test, predicted = _tiny_network(rule)
    right = [np.mean(predicted(20) == train[1]), np.mean(predicted(30) == test[1])]
    with contextlib.redirect_stdout(io.StringIO()):
        nn_utils.check_evaluation(right[0], right[1], forward, [], train, test, rule=rule)
        nn_utils.check_evaluation(float(right[0]), round(float(right[1]), 3), forward, [],
                                  train, test, rule=rule)
        nn_utils.check_evaluation(np.float32(right[0]), np.array(right[1]), forward, [],
                                  train, test, rule=rule)


@pytest.mark.parametrize("rule,wrong,message", [
    ("threshold", lambda train, test, n: (train, test * n), r"number of correct predictions"),
    ("threshold", lambda train, test, n: (train, 100 * test), r"percentage"),
    ("argmax", lambda train, test, n: (train, 1 - test), r"share of mistakes"),
    ("threshold", lambda train, test, n: (train, train), r"accuracy on the other set"),
    ("threshold", lambda train, test, n: (train, np.array([test, test])), r"expected one number"),
    ("threshold", lambda train, test, n: (train, None), r"expected one number"),
    ("argmax", lambda train, test, n: (train, 0.123456), r"are right for"),
])
def test_evaluation_check_names_the_wrong_accuracy(rule, wrong, message):
    forward, train, test, predicted = _tiny_network(rule)
    right = [np.mean(predicted(20) == train[1]), np.mean(predicted(30) == test[1])]
    assert abs(right[0] - right[1]) > 1e-3  # so that "the other set" is recognisable
    reported = wrong(right[0], right[1], 30)
    with pytest.raises(nn_utils.CheckFailure, match=message) as failure:
        nn_utils.check_evaluation(*reported, forward, [], train, test, rule=rule)
    assert "test_accuracy" in str(failure.value)


def test_evaluation_check_recognises_a_broadcast_column_and_an_argmax_over_one_unit():
    labels = np.array([1, 0, 0, 1, 0, 0, 0, 1, 0, 0], dtype=float)
    train = test = (np.zeros((3, 10)), labels)

    def forward(X, params):  # right on every image
        return (0.1 + 0.8 * labels).reshape(1, -1), []

    column = np.mean(labels.reshape(-1, 1) == labels.reshape(1, -1))  # 0.58, not 1.0
    with pytest.raises(nn_utils.CheckFailure, match=r"\(N, N\) table"):
        nn_utils.check_evaluation(1.0, column, forward, [], train, test, rule="threshold")
    with pytest.raises(nn_utils.CheckFailure, match=r"argmax always returns 0"):
        nn_utils.check_evaluation(1.0, 0.7, forward, [], train, test, rule="threshold")
