"""fc_nets_cifar: its three notebooks' checkers and grading, on mutants and correct alternatives.

The CIFAR-10 parts (loading, training, the search, the Solver runs) are graded for real in
tests/test_end_to_end_*.py through the demo; here the notebooks run without them, so each
mutant costs a second or less.
"""

import contextlib
import io
import re

import nbformat
import numpy as np
import pytest

from autograder.authoring import reference_answers
from fc_nets_cifar_variants import (
    ALTERNATIVES,
    MUTANTS,
    NOTEBOOK_OF_TASK,
    SEED_FULLY_CONNECTED,
    SEED_STYLE,
    TASKS_OF_NET_MUTANT,
)
from notebook_runner import KIT, kit, run_notebook, source_notebook, student_code

nn_utils = kit("fc_nets_cifar")

NOTEBOOKS = {name: source_notebook("fc_nets_cifar", name)
             for name in ("matrix_calculus", "two_layer_nn", "FC_nets")}
REFERENCE = {name: reference_answers(nb) for name, nb in NOTEBOOKS.items()}
# Cells that load or train on CIFAR-10, and the tasks that need them.
CIFAR_CELLS = {"two_layer_nn": {"cifar-data", "cifar-first", "debug-code", "search-code",
                                "weights-show", "test-code"},
               "FC_nets": {"data", "solver-code", "solver-plot", "overfit-run"}}
NEEDS_CIFAR = {"search", "test", "debug", "weights", "solver", "overfit"}
# The overfitting task needs the data but not the Solver run before it.
CIFAR_CELLS_FOR = {"overfit": {"data", "overfit-run"}}


def run(notebook: str, answers: dict, tasks=None):
    skip = CIFAR_CELLS.get(notebook, set())
    if tasks is not None and tasks & NEEDS_CIFAR:
        needed = set().union(*(CIFAR_CELLS_FOR.get(t, skip) for t in tasks))
        skip = skip - needed
    own = {g: code for g, code in answers.items() if g in REFERENCE[notebook]}
    nb = NOTEBOOKS[notebook]
    return run_notebook(nb, student_code(nb, own), tasks=tasks, skip=skip)


def without_cifar(results, notebook):
    return {g: r for g, r in results.items()
            if notebook not in CIFAR_CELLS or g.split("-")[0] not in NEEDS_CIFAR}


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: f"{m.task}: {m.name}")
def test_mutant_loses_points_with_a_named_mistake(mutant):
    tasks = TASKS_OF_NET_MUTANT.get(mutant.name, {mutant.task})
    notebook = NOTEBOOK_OF_TASK[mutant.task]
    results = run(notebook, mutant.apply(REFERENCE[notebook]), tasks=tasks)
    cells = [r for r in results.values() if r.grade_id.split("-")[0] in tasks]
    assert cells
    failed = [r for r in cells if r.error]
    assert failed, f"every test cell of {tasks} passed for {mutant.name}"
    assert all(r.points == 0 for r in failed)
    assert any(re.search(mutant.message, r.error, flags=re.S) for r in failed), (
        "\n".join(r.error for r in failed))


@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS))
def test_reference_gets_full_marks_on_every_cell_it_runs(notebook):
    results = without_cifar(run(notebook, {}), notebook)
    assert results
    assert all(r.points == r.max_points for r in results.values()), {
        g: r.error for g, r in results.items() if r.error}


@pytest.mark.parametrize("name", sorted(ALTERNATIVES))
@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS))
def test_correct_alternative_keeps_full_marks(name, notebook):
    results = without_cifar(run(notebook, ALTERNATIVES[name]), notebook)
    failed = {g: r.error for g, r in results.items() if r.points != r.max_points}
    if name == "seed style" and notebook == "two_layer_nn":
        # The seed's softmax is correct, but it overflows: only the stability cell fails.
        assert set(failed) == {"loss-stability"}
        assert "np.exp overflows" in failed["loss-stability"]
    else:
        assert not failed, failed


def namespace_of(answers: dict, notebook: str, grade_ids) -> dict:
    namespace = {"np": np, "nn_utils": nn_utils, "rel_error": nn_utils.rel_error,
                 "eval_numerical_gradient": nn_utils.eval_numerical_gradient}
    given = {c.metadata["nbgrader"]["grade_id"]: c.source for c in NOTEBOOKS[notebook].cells
             if c.metadata.get("nbgrader", {}).get("grade_id") == "losses"}
    for grade_id in grade_ids:
        exec(answers.get(grade_id) or given[grade_id], namespace)
    return namespace


def layer_and_model_checks(ns, seed):
    nn_utils.check_affine_functions(ns["affine_forward"], ns["affine_backward"], seed=seed)
    nn_utils.check_relu_functions(ns["relu_forward"], ns["relu_backward"], seed=seed)
    nn_utils.check_affine_relu_functions(ns["affine_relu_forward"], ns["affine_relu_backward"],
                                         seed=seed)
    nn_utils.check_fc_two_layer_net(ns["TwoLayerNet"], seed=seed)
    nn_utils.check_fully_connected_net(ns["FullyConnectedNet"], seed=seed)


@pytest.mark.parametrize("name", ["reference", "seed style"])
def test_no_false_failure_over_many_seeds(name):
    answers = {**REFERENCE["FC_nets"], **REFERENCE["two_layer_nn"], **REFERENCE["matrix_calculus"]}
    if name == "seed style":
        answers.update(SEED_STYLE)
    fc = namespace_of(answers, "FC_nets", ["affine-impl", "relu-impl", "affinerelu-impl",
                                          "losses", "twolayer-impl", "fcnet-impl"])
    two = namespace_of(answers, "two_layer_nn", ["net-impl"])
    calc = namespace_of(answers, "matrix_calculus",
                        ["autoencoder-code", "logdet-code", "trace-code", "gplvm-code"])
    with contextlib.redirect_stdout(io.StringIO()):
        for seed in range(40):
            layer_and_model_checks(fc, seed)
            nn_utils.check_two_layer_net_scores(two["TwoLayerNet"], seed=seed)
            nn_utils.check_two_layer_net_loss(two["TwoLayerNet"], seed=seed)
            nn_utils.check_two_layer_net_gradients(two["TwoLayerNet"], seed=seed)
        for seed in range(200):
            nn_utils.check_grad_autoencoder(calc["grad_autoencoder"], seed=seed)
            nn_utils.check_grad_gplvm_logdet(calc["grad_gplvm_logdet"], seed=seed)
            nn_utils.check_grad_gplvm_trace(calc["grad_gplvm_trace"], seed=seed)
            nn_utils.check_grad_gplvm(calc["grad_gplvm"], seed=seed)


def test_checks_write_nothing_to_stderr_even_for_overflowing_code(capsys):
    two = namespace_of(SEED_STYLE, "two_layer_nn", ["net-impl"])
    with np.errstate(all="warn"):
        nn_utils.check_two_layer_net_loss(two["TwoLayerNet"])
        with pytest.raises(nn_utils.CheckFailure):
            nn_utils.check_two_layer_net_stability(two["TwoLayerNet"])
    assert capsys.readouterr().err == ""


def test_seed_fully_connected_net_fails_with_the_name_it_never_defined():
    answers = {**REFERENCE["FC_nets"], "fcnet-impl": SEED_FULLY_CONNECTED}
    results = run("FC_nets", answers, tasks={"fcnet"})
    assert all(r.points == 0 for r in results.values())
    assert any("FullyConnectedNet" in r.error for r in results.values()), results


def test_seed_facts_are_what_the_reference_computes():
    fc_nets, two_layer_nn = nn_utils.assignment.fc_nets, nn_utils.assignment.two_layer_nn

    params, X, y = fc_nets._linspace_two_layer_case()
    assert abs(fc_nets.network_loss(params, X, y, 0.0) - 3.4702243556) < 1e-10
    assert abs(fc_nets.network_loss(params, X, y, 1.0) - 26.5948426952) < 1e-10
    seed_scores = np.array([
        [11.53165108, 12.2917344, 13.05181771, 13.81190102, 14.57198434, 15.33206765, 16.09215096],
        [12.05769098, 12.74614105, 13.43459113, 14.1230412, 14.81149128, 15.49994135, 16.18839143],
        [12.58373087, 13.20054771, 13.81736455, 14.43418138, 15.05099822, 15.66781506, 16.2846319]])
    assert np.abs(fc_nets.network_scores(params, X) - seed_scores).sum() < 1e-6
    two = namespace_of(REFERENCE["two_layer_nn"], "two_layer_nn", ["net-impl"])
    net = two_layer_nn._toy_model(two["TwoLayerNet"])
    X, y = two_layer_nn._toy_data()
    assert np.abs(two_layer_nn.scores_of(net.params, X) - two_layer_nn.TOY_SCORES).sum() < 1e-7
    assert abs(two_layer_nn.loss_of(net.params, X, y, 0.05) - 1.071696123862817) < 1e-12


class _Net:
    """A network whose reference forward pass classifies ``correct`` of the examples right."""

    def __init__(self, hidden=50, classes=10, dims=50):
        self.params = {"W1": np.eye(hidden, dims), "b1": np.zeros(hidden),
                       "W2": np.eye(classes, hidden), "b2": np.zeros(classes)}


def _validation_set(accuracy_percent, n=1000, classes=10, dims=50):
    """X rows that light up hidden unit (label), y right for the first accuracy% of them."""
    labels = np.arange(n) % classes
    X = np.eye(dims)[labels] * 5.0
    y = labels.copy()
    wrong = n - int(round(n * accuracy_percent / 100))
    y[:wrong] = (labels[:wrong] + 1) % classes
    return X, y


@pytest.mark.parametrize("kind, percent, points", [
    ("standin", 23.0, 0.0), ("standin", 20.0, 0.0), ("standin", 34.5, 2.56),
    ("standin", 66.0, 10.0), ("standin", 80.0, 10.0),
    ("real", 25.0, 0.0), ("real", 34.0, 5.29), ("real", 42.0, 10.0), ("real", 50.0, 10.0),
])
def test_hyperparameter_credit_is_the_notebook_formula_as_a_plain_float(kind, percent, points, capsys):
    X, y = _validation_set(percent)
    credit = nn_utils.hyperparameter_search_points(_Net(), X, y, max_points=10, data_kind=kind)
    assert type(credit) is float  # nbgrader reads the text of the result; np.float64(...) is not a number
    assert credit == pytest.approx(points, abs=0.01)
    assert f"{percent:.1f}%" in capsys.readouterr().out


def test_hyperparameter_credit_requires_hidden_size_50_and_a_network():
    X, y = _validation_set(70)
    with pytest.raises(nn_utils.CheckFailure, match="keep hidden_size = 50"):
        nn_utils.hyperparameter_search_points(_Net(hidden=60, dims=60), np.eye(60)[y] * 5, y,
                                              max_points=10, data_kind="standin")
    with pytest.raises(nn_utils.CheckFailure, match="best_net is None"):
        nn_utils.hyperparameter_search_points(None, X, y, max_points=10, data_kind="standin")


def test_hyperparameter_credit_ignores_a_lying_predict_method():
    X, y = _validation_set(40)
    net = _Net()
    net.predict = lambda X: y  # claims 100%; the kit computes from the parameters
    credit = nn_utils.hyperparameter_search_points(net, X, y, max_points=10, data_kind="standin")
    assert credit == pytest.approx(10 * 17 / 43, abs=0.01)


def test_training_budget_stops_the_block_keeps_its_results_and_says_so(capsys):
    found = []
    with nn_utils.training_budget(0.3):
        for step in range(10**9):
            found.append(step)
    assert found  # what the block stored before the stop is kept
    out = capsys.readouterr()
    assert "Time budget of 0.3 s used up" in out.out and out.err == ""


def test_training_budget_reads_the_instructors_setting(monkeypatch):
    from nn_utils.time_limits import training_budget_seconds

    assert training_budget_seconds() == 100.0
    monkeypatch.setenv("NN_UTILS_TRAINING_BUDGET", "12.5")
    assert training_budget_seconds() == 12.5
    monkeypatch.setenv("NN_UTILS_TRAINING_BUDGET", "soon")
    with pytest.raises(ValueError, match="not a number of seconds"):
        training_budget_seconds()


def test_solver_trains_decays_the_rate_and_keeps_the_best_parameters():
    fc = namespace_of(REFERENCE["FC_nets"], "FC_nets", ["affine-impl", "relu-impl",
                                                        "affinerelu-impl", "losses",
                                                        "twolayer-impl"])
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 8)) * 3
    labels = rng.integers(0, 3, size=300)
    X = centres[labels] + rng.standard_normal((300, 8))
    data = {"X_train": X[:200], "y_train": labels[:200], "X_val": X[200:], "y_val": labels[200:]}
    np.random.seed(0)
    model = fc["TwoLayerNet"](input_dim=8, hidden_dims=16, num_classes=3, weight_scale=0.1)
    solver = nn_utils.Solver(model, data, update_rule="sgd", optim_config={"learning_rate": 0.1},
                             lr_decay=0.5, num_epochs=4, batch_size=20, verbose=False)
    solver.train()
    assert len(solver.loss_history) == 4 * 10
    assert len(solver.val_acc_history) == 5  # after the first step and after each epoch
    assert solver.optim_configs["W1"]["learning_rate"] == pytest.approx(0.1 * 0.5 ** 4)
    assert solver.best_val_acc == max(solver.val_acc_history) > 0.9
    assert nn_utils.model_accuracy(model, data["X_val"], data["y_val"]) == solver.best_val_acc
    with pytest.raises(KeyError, match="X_val"):
        nn_utils.Solver(model, {"X_train": X, "y_train": labels})


def test_cifar_split_converts_only_the_images_asked_for(monkeypatch):
    from nn_utils.data import splits

    rng = np.random.default_rng(0)
    stored = ((rng.integers(0, 256, (50, 32, 32, 3), dtype=np.uint8), np.arange(50) % 10),
              (rng.integers(0, 256, (20, 32, 32, 3), dtype=np.uint8), np.arange(20) % 10))
    monkeypatch.setattr(splits, "cifar10_as_stored", lambda *rows: stored)
    data = nn_utils.get_CIFAR10_data(30, 5, 4, dtype=np.float32, channels_first=False)
    (x_train, y_train), (x_test, _) = stored
    assert data["X_train"].dtype == np.float32 and data["X_train"].shape == (30, 32, 32, 3)
    mean = x_train[:30].astype(np.float64).mean(axis=0)
    np.testing.assert_allclose(data["X_val"], x_train[30:35] - mean, atol=1e-4)
    np.testing.assert_allclose(data["X_test"], x_test[:4] - mean, atol=1e-4)
    assert data["y_val"].tolist() == y_train[30:35].tolist()
    first = nn_utils.get_CIFAR10_data(30, 5, 4)
    assert first["X_train"].dtype == np.float64 and first["X_train"].shape == (30, 3, 32, 32)
    assert first["X_train"].flags.c_contiguous
    np.testing.assert_allclose(first["X_train"], data["X_train"].transpose(0, 3, 1, 2), atol=1e-4)


def test_cifar_split_rejects_more_images_than_there_are():
    with pytest.raises(ValueError, match="50000 training"):
        nn_utils.get_CIFAR10_data(num_training=49500, num_validation=1000)


# --- matrix_calculus: the original homework's parts, lettered as it letters them --------

RELEASED_CALCULUS = nbformat.read(KIT / "release" / "fc_nets_cifar" / "matrix_calculus.ipynb",
                                  as_version=4)
# (problem, letter) -> the graded cells of that part, in order. The drawn parts (the
# computational graphs) are answers a person grades; the others as before.
CALCULUS_PARTS = {
    (1, "a"): ["meaning-answer"],
    (1, "b"): ["autoencodergraph-answer"],
    (1, "c"): ["autoencoder-answer", "autoencoder-check", "autoencoder-hidden"],
    (2, "a"): ["logdetgraph-answer"],
    (2, "b"): ["logdet-answer", "logdet-check"],
    (2, "c"): ["tracegraph-answer"],
    (2, "d"): ["trace-answer", "trace-check"],
    (2, "e"): ["gplvm-check"],
}
DRAWN_PARTS = {(1, "b"), (2, "a"), (2, "c")}
_PROBLEM = re.compile(r"^## Problem (\d)", re.MULTILINE)
_PART = re.compile(r"^### \(([a-z])\) .*\[(\d+) points?(, a drawing)?\]", re.MULTILINE)


def calculus_parts(notebook):
    """(problem, letter) -> (points in the heading, drawn?, [(grade_id, cell)]), in order."""
    parts, problem, current = {}, None, None
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            if _PROBLEM.search(cell.source):
                problem, current = int(_PROBLEM.search(cell.source).group(1)), None
            part = _PART.search(cell.source)
            if part:
                current = (problem, part.group(1))
                parts[current] = (int(part.group(2)), bool(part.group(3)), [])
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and current:
            parts[current][2].append((meta["grade_id"], cell))
    return parts


@pytest.mark.parametrize("notebook", ["source", "release"])
def test_matrix_calculus_keeps_the_seed_lettering_with_the_drawn_parts(notebook):
    nb = NOTEBOOKS["matrix_calculus"] if notebook == "source" else RELEASED_CALCULUS
    parts = calculus_parts(nb)
    assert list(parts) == list(CALCULUS_PARTS)
    for key, (heading_points, drawn, cells) in parts.items():
        assert [g for g, _ in cells] == CALCULUS_PARTS[key], key
        assert drawn == (key in DRAWN_PARTS), key
        # Each part's heading states the points its cells carry.
        assert heading_points == sum(c.metadata["nbgrader"]["points"] for _, c in cells), key
    for key in DRAWN_PARTS:
        (grade_id, cell), = parts[key][2]
        meta = cell.metadata["nbgrader"]
        assert cell.cell_type == "markdown" and meta["solution"] and meta["grade"], grade_id
        assert meta["points"] > 0 and not meta["locked"], grade_id


def test_matrix_calculus_total_is_unchanged_and_stated():
    for nb in (NOTEBOOKS["matrix_calculus"], RELEASED_CALCULUS):
        total = sum(c.metadata.get("nbgrader", {}).get("points", 0) for c in nb.cells)
        assert total == 29
        assert "**Points: 29.**" in nb.cells[0].source


def test_drawn_answers_are_released_blank_with_the_rubric_only_in_the_source():
    source = {c.metadata["nbgrader"]["grade_id"]: c for c in NOTEBOOKS["matrix_calculus"].cells
              if c.metadata.get("nbgrader", {}).get("grade")}
    released = {c.metadata["nbgrader"]["grade_id"]: c for c in RELEASED_CALCULUS.cells
                if c.metadata.get("nbgrader", {}).get("grade")}
    for grade_id in ("autoencodergraph-answer", "logdetgraph-answer", "tracegraph-answer"):
        assert "Model answer" in source[grade_id].source and "Rubric" in source[grade_id].source
        assert released[grade_id].source == "YOUR ANSWER HERE"
        assert not released[grade_id].get("attachments")


def test_the_notebook_says_how_to_embed_a_drawing_so_that_it_is_handed_in():
    intro = NOTEBOOKS["matrix_calculus"].cells[0].source
    assert "attachment:" in intro and "data:image" in intro
    assert "1 (b), 2 (a) and 2 (c)" in intro


def _png(seed):
    """A small, distinct PNG (the kit's PDF export deduplicates identical images)."""
    import base64
    import struct
    import zlib

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    pixels = bytes([seed % 256, 40, 200]) * 4
    raw = b"".join(b"\0" + pixels for _ in range(4))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return base64.b64encode(png).decode()


def test_a_pasted_or_inserted_drawing_is_embedded_in_the_pdf_page(tmp_path):
    """What the notebook recommends (a Jupyter attachment, a Colab data: link) reaches
    the HTML that nn_utils.export_pdf prints, with no file beside the notebook."""
    from nn_utils.export_pdf import notebook_html

    filled = nbformat.from_dict(nbformat.reads(nbformat.writes(RELEASED_CALCULUS), as_version=4))
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in filled.cells}
    pasted, inserted = _png(1), _png(2)
    cells["autoencodergraph-answer"].source = "My graph: ![part-1b.png](attachment:part-1b.png)"
    cells["autoencodergraph-answer"].attachments = {"part-1b.png": {"image/png": pasted}}
    cells["logdetgraph-answer"].source = f"![image.png](data:image/png;base64,{inserted})"
    nbformat.validate(filled)
    page = notebook_html(filled, "student", tmp_path)
    assert f'src="data:image/png;base64,{pasted}"' in page
    assert f'src="data:image/png;base64,{inserted}"' in page
    assert "attachment:part-1b.png" not in page


def test_the_gplvm_remark_every_eigenvector_is_stationary_only_the_leading_is_the_maximum():
    gplvm_logdet_term = nn_utils.assignment.matrix_calculus.gplvm_logdet_term
    gplvm_trace_term = nn_utils.assignment.matrix_calculus.gplvm_trace_term

    calc = namespace_of(REFERENCE["matrix_calculus"], "matrix_calculus",
                        ["autoencoder-code", "logdet-code", "trace-code", "gplvm-code"])
    grad = calc["grad_gplvm"]
    rng = np.random.default_rng(7)
    N, D, alpha, beta = 6, 4, 0.7, 3.0
    Y = 2 * rng.standard_normal((N, D))

    def likelihood(x):
        return gplvm_logdet_term(x, Y, alpha, beta) + gplvm_trace_term(x, Y, alpha, beta)

    eigenvalues, vectors = np.linalg.eigh(Y @ Y.T)
    stationary = []
    for lam, v in zip(eigenvalues, vectors.T):
        if lam > D / beta:
            x = v * np.sqrt((lam / D - 1 / beta) / alpha)  # the scale the notebook states
            assert np.abs(grad(x, Y, alpha, beta)).max() < 1e-9
            stationary.append((likelihood(x), lam, x))
    assert len(stationary) >= 3
    assert np.abs(grad(np.zeros(N), Y, alpha, beta)).max() < 1e-12
    best = max(stationary, key=lambda s: s[0])
    assert best[1] == eigenvalues.max()
    # The others are saddles: a small step towards the leading eigenvector goes uphill.
    for value, lam, x in stationary:
        if lam != best[1]:
            assert likelihood(x + 1e-3 * best[2]) > value
    text = "\n".join(c.source for c in NOTEBOOKS["matrix_calculus"].cells
                   if c.cell_type == "markdown")
    assert "**every** eigenvector" in text and "**leading** eigenvector" in text


# --- FC_nets: the affine-ReLU layer is the student's to write, and the notebook says so --

def test_affine_relu_is_a_graded_task_and_the_notebook_says_it_is_not_given():
    released = nbformat.read(KIT / "release" / "fc_nets_cifar" / "FC_nets.ipynb", as_version=4)
    cells = released.cells
    index = next(i for i, c in enumerate(cells)
                 if c.metadata.get("nbgrader", {}).get("grade_id") == "affinerelu-impl")
    assert "graded task" in cells[index - 1].source
    assert "affine_relu_forward" in cells[index - 1].source
    assert "NotImplementedError" in cells[index].source
    assert "affine_forward(" not in cells[index].source
    points = sum(c.metadata["nbgrader"].get("points", 0) for c in cells
                 if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("affinerelu-"))
    assert points == 3


# --- two_layer_nn: the search's credit levels agree between the code and the notebook ---

def test_search_levels_in_the_checker_are_the_notebooks_table():
    two_layer_nn = nn_utils.assignment.two_layer_nn

    text = "\n".join(c.source for c in NOTEBOOKS["two_layer_nn"].cells if c.cell_type == "markdown")
    rows = re.findall(r"^\| (real CIFAR-10|the offline stand-in) \| (\d+)% \| (\d+)% \|$",
                      text, flags=re.MULTILINE)
    table = {name: (float(low), float(high)) for name, low, high in rows}
    assert table == {"real CIFAR-10": two_layer_nn.SEARCH_LEVELS["real"],
                     "the offline stand-in": two_layer_nn.SEARCH_LEVELS["standin"]}
