"""Score a notebook's test cells in this process, the way nbgrader would.

nbgrader gives a test cell its points when it runs without an error and writes nothing
to stderr. Running cells in-process keeps mutation tests fast; the real nbgrader loop
runs in tests/test_end_to_end_*.py.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import io
import os
import queue
import shutil
import sys
import tempfile
import threading
import types
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import nbformat
import numpy as np

from autograder.authoring import answer_id, reference_answers, task_of
from autograder.bundle import kit_for
from autograder.course import Course
from autograder.execution.oracle_kernel import NAME as ORACLE
from autograder.mutation.run import run_cell as _run_cell

matplotlib.use("Agg")

KIT = Path(__file__).resolve().parent.parent
# Where test cells run: "kernel", beside the student's code as at home, or "judge", as
# grading does (autograder/execution/judge.py). Given both, every run compares them cell by cell:
# NN_KIT_TEST_CELLS=kernel,judge ./kit test tests/test_backprop_digits.py
MODES = tuple(os.environ.get("NN_KIT_TEST_CELLS", "kernel").split(","))
BOTH = ("kernel", "judge")


@dataclass
class CellResult:
    grade_id: str
    points: float
    max_points: float
    error: str  # the exception message, "" when none
    stderr: str


def source_notebook(assignment: str, name: str | None = None) -> nbformat.NotebookNode:
    """A source notebook of the course, which remembers its assignment (for its checks)."""
    path = KIT / "source" / assignment / f"{name or assignment}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.metadata[ASSIGNMENT_KEY] = assignment
    return notebook


ASSIGNMENT_KEY = "nn_kit_assignment"  # in memory only: the runner's source notebooks


@functools.lru_cache(maxsize=None)
def kit(assignment: str) -> types.ModuleType:
    """nn_utils as the assignment's notebooks see it: the engine with its checks."""
    return kit_for(Course(KIT), assignment)


@contextlib.contextmanager
def importing_as_nn_utils(module: types.ModuleType):
    """While it lasts, ``import nn_utils`` gives ``module``, as in the assignment's bundle."""
    kept = sys.modules["nn_utils"]
    sys.modules["nn_utils"] = module
    try:
        yield
    finally:
        sys.modules["nn_utils"] = kept


def student_code(notebook, overrides: dict[str, str]) -> dict[str, str]:
    """The reference answers with some cells replaced: what one student handed in."""
    answers = reference_answers(notebook)
    unknown = set(overrides) - set(answers)
    assert not unknown, f"no solution cells named {unknown}"
    return {**answers, **overrides}


def run_notebook(notebook, answers: dict[str, str], tasks=None, skip=(),
                 modes: tuple[str, ...] = ()) -> dict[str, CellResult]:
    """Execute code cells in order; score the test cells of ``tasks`` (all when None).

    Args:
        notebook: a *source* notebook (it holds the hidden tests).
        answers: grade_id -> source for the solution cells.
        tasks: the tasks whose test cells to run; other test cells are skipped.
        skip: grade_ids of given cells not worth running (long training loops).
        modes: where test cells run (see MODES, the default); with more than one, the
            notebook runs once in each, and any cell whose verdict differs fails the run.
    """
    runs = {mode: _run_notebook(notebook, answers, tasks, skip, mode == "judge")
            for mode in modes or MODES}
    first, *others = runs
    for mode in others:
        differ = {g: (runs[first][g], runs[mode].get(g)) for g in runs[first]
                  if _verdict(runs[first][g]) != _verdict(runs[mode].get(g))}
        assert not differ and set(runs[mode]) == set(runs[first]), (
            f"test cells run by the {mode} and the {first} disagree: {differ}")
    if others and os.environ.get("NN_KIT_COMPARED_LOG"):  # benchmarks/judge_parity.py
        with open(os.environ["NN_KIT_COMPARED_LOG"], "a") as log:
            log.writelines(f"{g}\n" for g in runs[first])
    return runs[first]


def _verdict(result: CellResult | None) -> tuple | None:
    # What the warnings say is formatted differently by the two, not whether there are any.
    return result and (result.points, result.error, bool(result.stderr))


def _run_notebook(notebook, answers, tasks, skip, judged: bool) -> dict[str, CellResult]:
    assignment = notebook.metadata.get(ASSIGNMENT_KEY)  # None: a notebook made up by a test
    module = kit(assignment) if assignment else sys.modules["nn_utils"]
    with importing_as_nn_utils(module):
        return _run_cells(notebook, answers, tasks, skip, judged, module)


def _run_cells(notebook, answers, tasks, skip, judged: bool,
               module: types.ModuleType) -> dict[str, CellResult]:
    namespace = {"__name__": "__main__"}
    judge = _Judge(notebook, namespace, module) if judged else None
    results = {}
    wanted = {c.metadata["nbgrader"]["grade_id"] for c in notebook.cells
              if c.metadata.get("nbgrader", {}).get("grade")
              and not c.metadata["nbgrader"].get("solution")
              and (tasks is None or task_of(c.metadata["nbgrader"]["grade_id"]) in tasks)}
    for cell in notebook.cells:
        if wanted <= set(results):
            break  # every requested test cell has run: the rest cannot change them
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id", "")
        if grade_id in skip:
            continue
        is_test = bool(meta.get("grade")) and not meta.get("solution")
        if is_test and tasks is not None and task_of(grade_id) not in tasks:
            continue
        key = answer_id(cell)
        code = cell.source if key is None else answers.get(key, cell.source)
        out, err = io.StringIO(), io.StringIO()
        error = ""
        value = None
        if is_test and judge is not None:
            error, value = judge.run(code, err)
        else:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    value = _run_cell(code, f"<cell {grade_id or cell.id}>", namespace)
                except Exception as exc:  # noqa: BLE001 - a cell's error is its result
                    error = f"{type(exc).__name__}: {exc}"
        if is_test:
            passed = not error and not err.getvalue()
            points = meta["points"] if passed else 0.0
            if passed and isinstance(value, (int, float)) and not isinstance(value, bool):
                points = float(value)  # nbgrader's partial credit: the cell's result
            results[grade_id] = CellResult(grade_id, points, meta["points"], error,
                                           err.getvalue())
    import matplotlib.pyplot as plt

    plt.close("all")  # figures of one run must not leak into the next
    if judge is not None:
        judge.close()
    return results


class _Judge:
    """Test cells run by the judge, with the notebook's names from ``kernel`` and ``kit``
    as nn_utils."""

    def __init__(self, notebook, kernel: dict, kit: types.ModuleType):
        from autograder.execution.executor import is_locked_code
        from autograder.execution.judge import trusted_imports

        self.oracle = in_process_oracle("", kernel)[0]
        self.imports = trusted_imports(c.source for c in notebook.cells
                                       if c.cell_type == "code" and is_locked_code(c))
        self.state = {}
        self.kit = kit
        self.folder = Path(tempfile.mkdtemp(prefix="judged-"))  # for the oracle's pipes

    def close(self) -> None:
        """End the kernel's serve loop and remove its pipes."""
        self.oracle.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def run(self, code: str, err: io.StringIO) -> tuple[str, object]:
        """(the error as the runner reports it, the last value) of one test cell; what it
        wrote to stderr goes to ``err``."""
        from autograder.execution.judge import run_test_cell

        with self.oracle.serving(self.folder):
            run = run_test_cell(self.oracle, code, self.imports, self.state, self.kit)
        err.write(run.stderr)
        error = f"{run.error[0]}: {run.error[1]}" if run.error else ""
        value = None
        if run.result is not None:
            try:
                value = ast.literal_eval(run.result)  # nbgrader reads the shown text
            except (ValueError, SyntaxError):
                value = run.result
        return error, value


class InProcessClient:
    """Stands in for a BlockingKernelClient: runs code and evaluates user_expressions in
    a dict, formatting results with repr as IPython does for a str."""

    def __init__(self, namespace: dict):
        self.namespace = namespace
        self.replies = queue.Queue()
        self.sent = 0

    def execute(self, code, silent, store_history, user_expressions=None, allow_stdin=False):
        """Run ``code`` in the kernel's thread: the serve loop in the background until the
        judge ends it, anything else to the end before returning."""
        assert silent and not store_history and not allow_stdin
        self.sent += 1
        header, failed = {"msg_id": self.sent}, []

        def run():
            try:
                exec(code, self.namespace)
            except BaseException as error:  # raised to the caller, as before the thread
                failed.append(error)
                return
            results = {key: {"status": "ok",
                             "data": {"text/plain": repr(eval(expr, self.namespace))}}
                       for key, expr in (user_expressions or {}).items()}
            self.replies.put({"parent_header": header,
                              "content": {"status": "ok", "user_expressions": results}})

        kernel = threading.Thread(target=run, name=KERNEL_THREAD, daemon=True)
        kernel.start()
        if not code.startswith(f"{ORACLE}.serve("):
            kernel.join()
            if failed:
                raise failed[0]
        return self.sent

    def get_shell_msg(self, timeout):
        return self.replies.get(timeout=timeout)


def in_process_oracle(student_code: str, kernel: dict | None = None) -> tuple:
    """(oracle, the namespace it serves) with ``student_code`` run in that namespace."""
    from autograder.execution.judge import KernelOracle

    kernel = {} if kernel is None else kernel
    oracle = KernelOracle(InProcessClient(kernel), timeout=5)
    oracle.install()
    exec(student_code, kernel)
    return oracle, kernel


_NUMPY_SEED = np.random.seed
KERNEL_THREAD = "in-process kernel"


class _SeedOfTheCaller(types.ModuleType):
    """numpy.random, where the student's code running in the in-process kernel's thread
    always finds numpy's own seed. While a check runs, the judge replaces np.random.seed
    to mirror its seeds into the kernel; a real kernel is another process, where the
    student's own calls never meet that replacement."""

    @property
    def seed(self):
        if threading.current_thread().name == KERNEL_THREAD:
            return _NUMPY_SEED
        return self.__dict__.get("_seed_here", _NUMPY_SEED)

    @seed.setter
    def seed(self, value):
        self.__dict__["_seed_here"] = value


np.random.__class__ = _SeedOfTheCaller


def task_points(results: dict[str, CellResult], task: str) -> tuple[float, float]:
    cells = [r for r in results.values() if task_of(r.grade_id) == task]
    return sum(r.points for r in cells), sum(r.max_points for r in cells)
