"""./kit mutate: the field's mutation operators, the mutants of a solution region, the
forked runs that kill them, and each assignment's list of equivalent mutants."""

import json

import nbformat
import pytest
from cosmic_ray.mutating import mutate_code

from autograder.course import Course
from autograder.mutation.mutants import mutants_of
from autograder.mutation.operators import FIELD_OPERATORS, operators
from autograder.mutation.run import KILLED, SURVIVED, TIMED_OUT, score_notebook
from autograder.mutation.score import EQUIVALENTS, equivalents, format_scores, score_assignment
from conftest import KIT
from notebook_runner import kit

# operator -> (code, every mutant it makes of the code)
EXAMPLES = {
    "SwapMatmulOperands": ("y = a @ b + np.dot(c, d) + e.dot(f)\n",
                           ["y = b @ a + np.dot(c, d) + e.dot(f)\n",
                            "y = a @ b + np.dot(d, c) + e.dot(f)\n",
                            "y = a @ b + np.dot(c, d) + (f).dot(e)\n"]),
    "DropTranspose": ("g = x.T.dot(d) + w.T\n", ["g = x.dot(d) + w.T\n", "g = x.T.dot(d) + w\n"]),
    "SwapAxis": ("s = z.sum(axis=0) + z.max(axis=-1)\n",
                 ["s = z.sum(axis=1) + z.max(axis=-1)\n", "s = z.sum(axis=0) + z.max(axis=0)\n"]),
    "DropKeyword": ("m = z.max(axis=1, keepdims=True)\n",
                    ["m = z.max(keepdims=True)\n", "m = z.max(axis=1)\n"]),
    "SumForMean": ("loss = np.sum(e) + e.mean()\n",
                   ["loss = np.mean(e) + e.mean()\n", "loss = np.sum(e) + e.sum()\n"]),
    "DropOperand": ("loss = data + 0.5 * reg\n",
                    ["loss = 0.5 * reg\n", "loss = data\n", "loss = data + reg\n",
                     "loss = data + 0.5\n"]),
    "DoubleDivisor": ("g = d / n\n", ["g = d / n / n\n"]),
    "SwapSubtraction": ("w = w - step\n", ["w = step - w\n"]),
    "InPlaceUfunc": ("out = np.maximum(0.0, x)\n", ["out = np.maximum(0.0, x, out=x)\n"]),
    "InPlaceUpdate": ("shifted = scores - top\n", ["scores -= top; shifted = scores\n"]),
    "DropCopy": ("d = d_out.copy()\n", ["d = d_out\n"]),
    "StaleAttribute": ("class L:\n    def forward(self, x):\n        self.cache = x\n",
                       ["class L:\n    def forward(self, x):\n        self.cache = (x) if "
                        "getattr(self, 'cache', None) is None else self.cache\n"]),
    "FlipBroadcast": ("b = v.reshape(-1, 1) + u[:, None]\n",
                      ["b = v.reshape(1, -1) + u[:, None]\n", "b = v.reshape(-1, 1) + u[None, :]\n"]),
    "ClassCountFromLabels": (
        "Y = np.eye(k)[y]\ndef f(p, y):\n    t = np.zeros_like(p)\n    t[y, np.arange(4)] = 1\n",
        ["Y = np.eye(int(np.max(y)) + 1)[y]\ndef f(p, y):\n    t = np.zeros_like(p)\n"
         "    t[y, np.arange(4)] = 1\n",
         "Y = np.eye(k)[y]\ndef f(p, y):\n    t = np.zeros(np.shape(p)[:0] + "
         "(int(np.max(y)) + 1,) + np.shape(p)[1:])\n    t[y, np.arange(4)] = 1\n"]),
}


def all_mutants(operator, code):
    found, occurrence = [], 0
    while (mutated := mutate_code(code, operator, occurrence)) is not None:
        found.append(mutated)
        occurrence += 1
    return found


def test_every_field_operator_has_an_example():
    assert {op.__name__ for op in FIELD_OPERATORS} == set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_a_field_operator_makes_the_mistake_it_names(name):
    code, expected = EXAMPLES[name]
    assert all_mutants(operators()[f"nn/{name}"], code) == expected
    for mutated in expected:
        compile(mutated, name, "exec")  # each is Python


def test_the_stale_cache_operator_leaves_the_constructor_alone():
    code = "class L:\n    def __init__(self):\n        self.cache = None\n"
    assert all_mutants(operators()["nn/StaleAttribute"], code) == []


SOLUTION = '''def scale(x, factor):
    """Given: not the student's to write."""
    factor = factor + 0
    ### BEGIN SOLUTION
    return x * factor
    ### END SOLUTION
'''


def test_mutants_change_only_the_solution_region_and_are_distinct():
    mutants = mutants_of("scale-impl", SOLUTION)
    assert mutants and all(m.before == "return x * factor" for m in mutants)
    assert len({m.source for m in mutants}) == len(mutants)
    assert all("BEGIN SOLUTION" not in m.source for m in mutants)
    assert any(m.after == "return x + factor" and m.operator.startswith("core/")
               for m in mutants)


def test_no_mutants_of_what_is_only_printed():
    code = ("for epoch in range(3):\n"
            "    loss = 2.0 * epoch\n"
            "    if epoch % 10 == 0:\n"
            "        print(f'{epoch}: {loss / 2}', 1 + 1)\n")
    changed = {m.before for m in mutants_of("train-impl", code)}
    assert changed == {"for epoch in range(3):", "loss = 2.0 * epoch"}


def notebook_of(*cells):
    """A notebook of (grade_id, kind, source) cells; kind is solution, test or given."""
    built = []
    for grade_id, kind, source in cells:
        cell = nbformat.v4.new_code_cell(source)
        if kind != "given":
            cell.metadata["nbgrader"] = {"grade_id": grade_id, "solution": kind == "solution",
                                         "grade": kind == "test", "locked": kind == "test",
                                         "points": 1 if kind == "test" else 0,
                                         "schema_version": 3}
        built.append(cell)
    return nbformat.v4.new_notebook(cells=built)


COUNTDOWN = '''def countdown(n):
    ### BEGIN SOLUTION
    while n > 0:
        n = n - 1
    return n
    ### END SOLUTION
'''


def test_forked_runs_tell_killed_survived_and_timed_out_apart():
    notebook = notebook_of(
        ("setup", "given", "import numpy as np\nSTART = 2"),
        ("scale-impl", "solution", SOLUTION),
        ("scale-check", "test", "assert scale(START, 2) == 4"),  # 2 + 2 == 2 ** 2 == 4
        ("countdown-impl", "solution", COUNTDOWN),
        ("countdown-check", "test", "assert countdown(3) == 0"),
    )
    mutants = [m for cell in ("scale-impl", "countdown-impl")
               for m in mutants_of(cell, notebook.cells[1 if cell == "scale-impl" else 3].source)]
    outcomes = {(o.mutant.cell, o.mutant.after): o
                for o in score_notebook(notebook, kit("backprop_digits"), mutants, timeout=1.0)}
    assert outcomes[("scale-impl", "return x - factor")].verdict == KILLED
    assert "scale-check: AssertionError" in outcomes[("scale-impl", "return x - factor")].failed[0]
    assert outcomes[("scale-impl", "return x + factor")].verdict == SURVIVED
    assert outcomes[("scale-impl", "return x ** factor")].verdict == SURVIVED
    assert outcomes[("countdown-impl", "n = n + 1")].verdict == TIMED_OUT
    assert outcomes[("countdown-impl", "while n > 1:")].verdict == KILLED


def test_a_warning_in_a_test_cell_kills_as_nbgrader_scores_it():
    notebook = notebook_of(
        ("setup", "given", "import warnings"),
        ("half-impl", "solution", "def half(x):\n    return x / 2\n"),
        ("half-check", "test", "if half(4) != 2: warnings.warn('not half')"),
    )
    outcomes = score_notebook(notebook, kit("backprop_digits"),
                              mutants_of("half-impl", notebook.cells[1].source))
    wrong = [o for o in outcomes if o.mutant.after == "return x * 2"]
    assert wrong[0].verdict == KILLED and "wrote to stderr" in wrong[0].failed[0]


def test_the_reference_must_pass_its_own_tests():
    from autograder.mutation.run import BaselineFailed

    notebook = notebook_of(("one-impl", "solution", "def one():\n    return 2\n"),
                           ("one-check", "test", "assert one() == 1"))
    with pytest.raises(BaselineFailed, match="one-impl: the reference fails"):
        score_notebook(notebook, kit("backprop_digits"),
                       mutants_of("one-impl", notebook.cells[0].source))


def test_equivalents_need_a_reason(tmp_path):
    (tmp_path / "source" / "hw").mkdir(parents=True)
    (tmp_path / "source" / "hw" / EQUIVALENTS).write_text(json.dumps({"equivalent": [
        {"notebook": "hw", "cell": "a-impl", "before": "x", "after": "y", "reason": " "}]}))
    with pytest.raises(ValueError, match="lacks a reason"):
        equivalents(Course(tmp_path), "hw")


def test_listed_mutants_are_skipped_unless_rechecked(tmp_path):
    folder = tmp_path / "source" / "hw"
    folder.mkdir(parents=True)
    nbformat.write(notebook_of(("setup", "given", "START = 2"),
                               ("scale-impl", "solution", SOLUTION),
                               ("scale-check", "test", "assert scale(START, 2) == 4")),
                   folder / "hw.ipynb")
    listed = [{"notebook": "hw", "cell": "scale-impl", "before": "return x * factor",
               "after": after, "reason": "listed for this test"}
              for after in ("return x + factor", "return x - factor", "return x % factor")]
    (folder / EQUIVALENTS).write_text(json.dumps({"equivalent": listed}))
    ran = []
    result = score_assignment(Course(tmp_path), "hw", jobs=1, progress=ran.append)
    assert not {o.mutant.after for o in ran} & {e["after"] for e in listed}
    assert result.tasks[0].counts["equivalent"] == 3
    assert result.stale == []
    result = score_assignment(Course(tmp_path), "hw", jobs=1, recheck=True)
    # x + 2 == x * 2 for x = 2: still equivalent; x - 2 and x % 2 are caught, so stale.
    assert result.tasks[0].counts["equivalent"] == 1
    assert sorted(e["after"] for e in result.stale) == ["return x % factor", "return x - factor"]


# Every assignment's survivors have been reviewed: killed by a check, or listed in
# equivalent_mutants.json with the reason.
REVIEWED = ["backprop_digits", "nn_framework", "two_layer_mnist", "fc_nets_cifar"]
# Tasks whose every mutant trains a network for seconds to a minute, and fc_nets_cifar's
# test (which follows the search: the reference's own run would train it): only
# `./kit bench mutation_score` runs them, which takes minutes per assignment.
BENCHMARK_ONLY = {"two_layer_mnist": frozenset({"q1train", "q1eval", "q2train", "q2eval"}),
                  "fc_nets_cifar": frozenset({"search", "solver", "test"})}


@pytest.mark.slow
@pytest.mark.parametrize("assignment", REVIEWED)
def test_every_surviving_mutant_is_listed_as_equivalent(assignment):
    """A mutant that newly survives (a check weakened, a hidden test lost) fails here; so
    does an entry of equivalent_mutants.json that names no mutant the operators make.
    (Listed mutants are skipped; ``./kit mutate --recheck-equivalents`` runs them.)"""
    result = score_assignment(Course(KIT), assignment,
                              leave_out=BENCHMARK_ONLY.get(assignment, frozenset()))
    report = format_scores([result], survivors=True)
    assert not any(task.survivors for task in result.tasks), report
    assert not result.stale, report
