"""nn_framework: checkers and notebook grading on mutants and correct alternatives."""

import contextlib
import io
import re

import numpy as np
import pytest

import nn_utils
from autograder.authoring import reference_answers
from nn_framework_variants import MUTANTS, SEED_STYLE, TRAINING_MUTANTS
from notebook_runner import run_notebook, source_notebook, student_code

NOTEBOOK = source_notebook("nn_framework")
REFERENCE = reference_answers(NOTEBOOK)
SLOW = {"iris-search", "iris-report"}


def run(answers, tasks=None, skip=SLOW):
    return run_notebook(NOTEBOOK, student_code(NOTEBOOK, answers), tasks=tasks, skip=skip)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: f"{m.task}: {m.name}")
def test_mutant_loses_the_task_points_with_a_named_mistake(mutant):
    results = run(mutant.apply(REFERENCE), tasks={mutant.task})
    assert results
    for result in results.values():
        assert result.points == 0, f"{result.grade_id} kept its points for {mutant.name}"
        assert re.search(mutant.message, result.error, flags=re.S), result.error
        assert result.error.startswith("CheckFailure: "), result.error


@pytest.mark.parametrize("mutant", TRAINING_MUTANTS, ids=lambda m: m.name)
def test_broken_network_fails_the_iris_accuracy(mutant):
    results = run(mutant.apply(REFERENCE), tasks={"iris"}, skip=())
    assert results["iris-hidden"].points == 0 and results["iris-gradients"].points == 0
    assert re.search(mutant.message, results["iris-hidden"].error), results["iris-hidden"].error


@pytest.mark.parametrize("name,answers", [("reference", {}), ("homework style", SEED_STYLE)])
def test_correct_code_keeps_full_marks(name, answers):
    results = run(answers, skip=())
    failed = {g: r.error for g, r in results.items() if r.points != r.max_points}
    assert not failed, failed


def classes(answers):
    namespace = {}
    for cell in NOTEBOOK.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") in ("setup", "framework"):
            exec(cell.source, namespace)
    for grade_id in ("relu-impl", "fc-impl", "softmax-impl", "crossentropy-impl",
                     "network-impl", "einsum-impl"):
        exec(answers[grade_id], namespace)
    return namespace


@pytest.mark.parametrize("name,answers", [("reference", {}), ("homework style", SEED_STYLE)])
def test_no_false_failure_over_200_seeds(name, answers):
    ns = classes({**REFERENCE, **answers})
    with contextlib.redirect_stdout(io.StringIO()):
        for seed in range(200):
            nn_utils.check_relu_activation(ns["ReLU"](), seed=seed)
            nn_utils.check_softmax_activation(ns["SoftMax"](), seed=seed)
            nn_utils.check_fully_connected(ns["FullyConnected"], seed=seed)
            nn_utils.check_cross_entropy_loss_layer(ns["CrossEntropy"](), seed=seed)
            nn_utils.check_neural_network(ns["NeuralNetwork"], seed=seed)
            nn_utils.check_network_gradients(ns["NeuralNetwork"], ns["FullyConnected"],
                                             ns["ReLU"], ns["SoftMax"], ns["CrossEntropy"],
                                             seed=seed)
            nn_utils.check_einsum(ns["trace_einsum"], ns["matmul_einsum"],
                                  ns["batched_matmul_einsum"], seed=seed)


def test_checks_are_silent_on_stderr(capsys):
    ns = classes(REFERENCE)
    with np.errstate(all="warn"):
        nn_utils.check_softmax_activation(ns["SoftMax"]())
        nn_utils.check_cross_entropy_loss_layer(ns["CrossEntropy"]())
    assert capsys.readouterr().err == ""


def test_einsum_check_restores_numpy():
    ns = classes(REFERENCE)
    original = np.einsum
    with contextlib.redirect_stdout(io.StringIO()):
        nn_utils.check_einsum(ns["trace_einsum"], ns["matmul_einsum"], ns["batched_matmul_einsum"])
    assert np.einsum is original


def test_network_gradient_check_names_a_wrong_layer_gradient():
    broken = MUTANTS[4]  # FullyConnected without the activation's backward
    assert broken.name == "activation backward skipped"
    ns = classes({**REFERENCE, **broken.apply(REFERENCE)})
    with pytest.raises(nn_utils.CheckFailure, match="does not match the network's loss"):
        nn_utils.check_network_gradients(ns["NeuralNetwork"], ns["FullyConnected"], ns["ReLU"],
                                         ns["SoftMax"], ns["CrossEntropy"])
