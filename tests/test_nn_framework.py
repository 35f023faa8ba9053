"""nn_framework: checkers and notebook grading on mutants and correct alternatives.

Every notebook runs twice, test cells in the kernel (as at home) and by the judge (as at
grading, where checkers lend the student's code objects of their own), and the two must
agree cell by cell (notebook_runner.py)."""

import contextlib
import io
import re

import numpy as np
import pytest

from autograder.authoring import reference_answers
from nn_framework_variants import (
    EINSUM_IMPORTED,
    EINSUM_SCRIPT_ONLY,
    EINSUM_WITH_SCRIPT,
    MUTANTS,
    SEARCH_ALTERNATIVES,
    SEARCH_MUTANTS,
    SEED_STYLE,
    TRAINING_MUTANTS,
)
from notebook_runner import BOTH, kit, run_notebook, source_notebook, student_code

nn_utils = kit("nn_framework")

NOTEBOOK = source_notebook("nn_framework")
REFERENCE = reference_answers(NOTEBOOK)
SLOW = {"iris-search", "iris-report"}


def run(answers, tasks=None, skip=SLOW):
    return run_notebook(NOTEBOOK, student_code(NOTEBOOK, answers), tasks=tasks, skip=skip,
                        modes=BOTH)


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
    assert results["iris-check"].points == 0 and results["iris-gradients"].points == 0
    assert re.search(mutant.message, results["iris-check"].error), results["iris-check"].error


@pytest.mark.parametrize("mutant", SEARCH_MUTANTS, ids=lambda m: m.name)
def test_a_wrong_search_loses_the_search_points_with_a_named_mistake(mutant):
    """The 4 points of iris-check grade the student's own search; the classes are right,
    so the gradient check keeps its points."""
    results = run(mutant.apply(REFERENCE), tasks={"iris"}, skip={"iris-report"})
    check = results["iris-check"]
    assert check.points == 0 and check.error.startswith("CheckFailure: "), check.error
    assert re.search(mutant.message, check.error, flags=re.S), check.error
    assert results["iris-gradients"].points == results["iris-gradients"].max_points


@pytest.mark.parametrize("variant", SEARCH_ALTERNATIVES, ids=lambda m: m.name)
def test_a_correct_search_in_another_style_keeps_the_points(variant):
    results = run(variant.apply(REFERENCE), tasks={"iris"}, skip={"iris-report"})
    assert results["iris-check"].points == 4, results["iris-check"].error


def test_the_search_check_reads_the_students_network_not_one_of_its_own():
    """Spoiling best_network's parameters after a correct search costs the points."""
    spoiled = REFERENCE["iris-search"] + "for layer in best_network.layers:\n" \
        "    layer.parameters['W'] = np.zeros_like(layer.parameters['W'])\n"
    results = run({"iris-search": spoiled}, tasks={"iris"}, skip={"iris-report"})
    assert results["iris-check"].points == 0
    assert "best_network's test accuracy is 0.3333" in results["iris-check"].error


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


@pytest.mark.parametrize("name,cell", [("with the homework's comparison script",
                                        EINSUM_WITH_SCRIPT),
                                       ("einsum imported from numpy", EINSUM_IMPORTED)])
def test_einsum_in_other_styles_keeps_the_points(name, cell):
    results = run({"einsum-impl": cell}, tasks={"einsum"})
    assert results["einsum-check"].points == 3, results["einsum-check"].error
    assert not results["einsum-check"].stderr


def test_einsum_as_a_script_alone_is_told_to_wrap_it():
    results = run({"einsum-impl": EINSUM_SCRIPT_ONLY}, tasks={"einsum"})
    assert results["einsum-check"].points == 0
    assert re.search(r"trace_einsum: is a float64, not a function.*wrap its einsum call",
                     results["einsum-check"].error, flags=re.S), results["einsum-check"].error


def test_einsum_check_restores_numpy():
    ns = classes(REFERENCE)
    original = np.einsum
    with contextlib.redirect_stdout(io.StringIO()):
        nn_utils.check_einsum(ns["trace_einsum"], ns["matmul_einsum"], ns["batched_matmul_einsum"])
    assert np.einsum is original


def test_network_gradient_check_names_a_wrong_layer_gradient():
    # FullyConnected without the activation's backward
    broken = next(m for m in MUTANTS if m.name == "activation backward skipped")
    ns = classes({**REFERENCE, **broken.apply(REFERENCE)})
    with pytest.raises(nn_utils.CheckFailure, match="does not match the network's loss"):
        nn_utils.check_network_gradients(ns["NeuralNetwork"], ns["FullyConnected"], ns["ReLU"],
                                         ns["SoftMax"], ns["CrossEntropy"])


def given_and(*grade_ids, answers=REFERENCE):
    """The notebook's given cells (imports, framework) and these solution cells, run."""
    namespace = {}
    for cell in NOTEBOOK.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") in ("setup", "framework"):
            exec(cell.source, namespace)
    for grade_id in grade_ids:
        exec(answers[grade_id], namespace)
    return namespace


def test_pad2d_takes_every_form_of_pad_and_returns_the_padding_used():
    pad2d = given_and()["pad2d"]
    X = np.arange(2 * 4 * 5 * 3, dtype=float).reshape(2, 4, 5, 3)
    for pad, p in [(1, (1, 1, 1, 1)), ((2, 1), (2, 2, 1, 1)), ((0, 1, 2, 3), (0, 1, 2, 3)),
                   ("valid", (0, 0, 0, 0)), ("same", (1, 1, 2, 2))]:
        X_pad, used = pad2d(X, pad, (3, 5), 1)
        assert used == p
        assert X_pad.shape == (2, 4 + p[0] + p[1], 5 + p[2] + p[3], 3)
        np.testing.assert_array_equal(X_pad[:, p[0]:p[0] + 4, p[2]:p[2] + 5, :], X)
        assert X_pad.sum() == X.sum()
    with pytest.raises(ValueError, match="pad2d"):
        pad2d(X, "same")  # "same" needs the kernel shape


@pytest.mark.parametrize("kernel,stride,size", [((3, 3), 1, (7, 6)), ((5, 3), 1, (7, 6)),
                                                ((2, 2), 1, (6, 5)), ((4, 3), 1, (6, 6)),
                                                ((3, 3), 2, (4, 3))])
def test_pad_same_keeps_the_size_for_odd_kernels_only_as_the_text_says(kernel, stride, size):
    ns = given_and("relu-impl", "conv-impl", "pool-impl")
    X = np.random.default_rng(0).standard_normal((2, 7, 6, 3))
    conv = ns["Conv2D"](4, kernel, ns["Linear"](), stride=stride, pad="same")
    assert conv.forward(X).shape == (2, *size, 4)
    pool = ns["Pool2D"](kernel, "max", stride=stride, pad="same")
    assert pool.pad == ((kernel[0] - 1) // 2, (kernel[1] - 1) // 2)
    assert pool.forward(X).shape == (2, *size, 3)
    text = "".join(c.source for c in NOTEBOOK.cells if c.cell_type == "markdown")
    assert "for an **odd** $k$ at stride 1 the output keeps the input's" in text


def test_pool2d_init_has_the_homework_attributes_and_rejects_a_bad_pad():
    Pool2D = given_and("pool-impl")["Pool2D"]
    layer = Pool2D(2, "max", stride=2, pad="valid")
    assert layer.kernel_shape == (2, 2) and layer.pad == (0, 0)
    assert layer.pool_fn is np.max and layer.arg_pool_fn is np.argmax
    assert Pool2D((3, 2), "average", pad=1).pool_fn is np.mean
    with pytest.raises(ValueError, match="pad must be"):
        Pool2D((3, 3), pad="full")


def test_the_model_max_pool_gives_a_tied_window_gradient_to_its_first_maximum():
    Pool2D = given_and("pool-impl")["Pool2D"]
    layer = Pool2D((2, 2), "max", stride=2)
    X = np.array([[1.0, 3.0, 0.0, 0.0], [3.0, 2.0, 0.0, 0.0]])[None, :, :, None]
    assert layer.forward(X)[0, 0, :, 0].tolist() == [3.0, 0.0]
    dX = layer.backward(np.array([[[[5.0], [7.0]]]]))[0, :, :, 0]
    np.testing.assert_array_equal(dX, [[0, 5, 7, 0], [0, 0, 0, 0]])


def test_weight_initialisation_uses_the_fan_in_and_fan_out_its_docstring_names():
    ns = given_and()
    doc = ns["initialize_weights"].__doc__
    assert "fan_in is the second-to-last axis and fan_out the last" in doc
    np.random.seed(0)
    dense = ns["initialize_weights"]("he_normal")((400, 300))
    assert abs(dense.std() - np.sqrt(2 / 400)) < 0.02 * np.sqrt(2 / 400)
    kernel = ns["initialize_weights"]("he_normal")((3, 5, 40, 30))  # fan_in 3 * 5 * 40
    assert abs(kernel.std() - np.sqrt(2 / 600)) < 0.02 * np.sqrt(2 / 600)
    bound = ns["initialize_weights"]("xavier_uniform")((3, 5, 40, 30))
    assert np.sqrt(6 / (600 + 450)) * 0.99 < np.abs(bound).max() <= np.sqrt(6 / (600 + 450))
