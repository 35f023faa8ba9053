"""Score a notebook's test cells in this process, the way nbgrader would.

nbgrader gives a test cell its points when it runs without an error and writes nothing
to stderr. Running cells in-process keeps mutation tests fast; the real nbgrader loop
runs in tests/test_end_to_end.py.
"""

from __future__ import annotations

import ast
import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import nbformat

from autograder.authoring import answer_id, reference_answers, task_of

matplotlib.use("Agg")

KIT = Path(__file__).resolve().parent.parent


@dataclass
class CellResult:
    grade_id: str
    points: float
    max_points: float
    error: str  # the exception message, "" when none
    stderr: str


def source_notebook(assignment: str, name: str | None = None) -> nbformat.NotebookNode:
    path = KIT / "source" / assignment / f"{name or assignment}.ipynb"
    return nbformat.read(path, as_version=4)


def student_code(notebook, overrides: dict[str, str]) -> dict[str, str]:
    """The reference answers with some cells replaced: what one student handed in."""
    answers = reference_answers(notebook)
    unknown = set(overrides) - set(answers)
    assert not unknown, f"no solution cells named {unknown}"
    return {**answers, **overrides}


def run_notebook(notebook, answers: dict[str, str], tasks=None, skip=()) -> dict[str, CellResult]:
    """Execute code cells in order; score the test cells of ``tasks`` (all when None).

    Args:
        notebook: a *source* notebook (it holds the hidden tests).
        answers: grade_id -> source for the solution cells.
        tasks: the tasks whose test cells to run; other test cells are skipped.
        skip: grade_ids of given cells not worth running (long training loops).
    """
    namespace = {"__name__": "__main__"}
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
    return results


def _run_cell(code: str, name: str, namespace: dict):
    """Execute a cell; return the value of its last line when that is an expression,
    as the kernel does (nbgrader reads a number there as partial credit)."""
    tree = ast.parse(code, name)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, name, "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), name, "eval"), namespace)


def task_points(results: dict[str, CellResult], task: str) -> tuple[float, float]:
    cells = [r for r in results.values() if task_of(r.grade_id) == task]
    return sum(r.points for r in cells), sum(r.max_points for r in cells)
