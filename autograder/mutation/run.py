"""Run mutants through their task's checks, in forks of one reference run.

The reference notebook runs once, in this process, cell after cell. Just before a solution
cell that has mutants, the process forks once per mutant (``jobs`` at a time): the child
replaces that cell's code with the mutant's, runs the cells up to the last test cell that
judges it (``_judges``), and reports which of those failed. A fork starts with the state the
notebook has at that point (data loaded, earlier answers defined) at no copying cost, and
whatever the mutant does, loops forever or crashes included, ends with the child.

A test cell fails as nbgrader scores it: an exception, or anything written to stderr.
Other test cells are skipped in the children; given cells all run.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import select
import signal
import sys
import time
import types
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..authoring import answer_id, reference_answers, task_of

if TYPE_CHECKING:  # run_cell is used where cosmic-ray, which mutants needs, may be absent
    from .mutants import Mutant

KILLED, SURVIVED, TIMED_OUT = "killed", "survived", "timed out"


@dataclass
class Outcome:
    mutant: Mutant
    verdict: str  # KILLED, SURVIVED or TIMED_OUT
    seconds: float
    failed: list[str] = field(default_factory=list)  # "grade_id: message" of failing tests


class BaselineFailed(RuntimeError):
    """The reference answer itself fails its task's tests in this runner."""


def run_cell(code: str, name: str, namespace: dict):
    """Execute a cell; return the value of its last line when that is an expression,
    as the kernel does (nbgrader reads a number there as partial credit)."""
    tree = ast.parse(code, name)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, name, "exec"), namespace)
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), name, "eval"), namespace)


@dataclass
class _Cell:
    index: int
    source: str
    grade_id: str
    answer: str | None  # the answer id of a solution or open cell
    test_of: str | None  # the task of an autograded test cell


def _cells(notebook) -> list[_Cell]:
    answers = reference_answers(notebook)
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id", cell.get("id", ""))
        key = answer_id(cell)
        is_test = bool(meta.get("grade")) and not meta.get("solution")
        found.append(_Cell(index, answers.get(key, cell.source) if key else cell.source,
                           grade_id, key, task_of(grade_id) if is_test else None))
    return found


def _judges(cells: list[_Cell], position: int) -> list[int]:
    """The positions of the test cells that judge the solution cell at ``position``: its
    task's, or, for a cell whose task has none (a class whose methods the next tasks
    test one by one), those between it and the next solution cell."""
    task = task_of(cells[position].answer)
    own = [i for i, c in enumerate(cells) if c.test_of == task and i > position]
    if own:
        return own
    following = []
    for i in range(position + 1, len(cells)):
        if cells[i].answer is not None and cells[i].test_of is None:
            break
        if cells[i].test_of is not None:
            following.append(i)
    return following


def tested_cells(notebook) -> dict[str, str]:
    """{grade_id: code with markers} of the solution cells that autograded tests judge.

    A solution cell that is itself graded (an answer a person grades against a rubric) is
    left out: the tests do not judge it, so its mutants say nothing of them.
    """
    cells = _cells(notebook)
    found = {}
    for position, cell in enumerate(cells):
        meta = notebook.cells[cell.index].metadata.get("nbgrader", {})
        if meta.get("solution") and not meta.get("grade") and _judges(cells, position):
            found[meta["grade_id"]] = notebook.cells[cell.index].source
    return found


def score_notebook(notebook, kit: types.ModuleType, mutants: list[Mutant], jobs: int = 2,
                   timeout: float = 30.0, progress=None) -> list[Outcome]:
    """Run every mutant of ``notebook``'s solution cells against the test cells that judge
    it (see ``_judges``).

    Args:
        notebook: a source notebook (it holds the hidden tests).
        kit: nn_utils as the assignment's notebooks import it (its checks included).
        mutants: from ``mutants_of``, for cells of this notebook.
        jobs: children run at once.
        timeout: seconds a mutant may take beyond five times the reference's own time.
        progress: called with each Outcome as it is known.

    Raises:
        BaselineFailed: the reference answer fails its task here; no score would mean much.
    """
    cells = _cells(notebook)
    by_cell: dict[str, list[Mutant]] = {}
    for mutant in mutants:
        by_cell.setdefault(mutant.cell, []).append(mutant)
    judges = {position: _judges(cells, position) for position, cell in enumerate(cells)
              if cell.answer in by_cell}
    namespace = {"__name__": "__main__"}
    outcomes: list[Outcome] = []
    kept = sys.modules.get("nn_utils")
    sys.modules["nn_utils"] = kit
    # The reference runs as far as the last judged cell needs, no further.
    last = max((max(found) for found in judges.values() if found), default=-1)
    try:
        for position, cell in enumerate(cells[:last + 1]):
            if judges.get(position):
                trial = _Trial(cells, position, set(judges[position]), namespace)
                outcomes += trial.all(by_cell[cell.answer], jobs, timeout, progress)
            with _quiet():
                try:
                    run_cell(cell.source, f"<cell {cell.grade_id}>", namespace)
                except Exception:  # noqa: BLE001 - a failing reference test shows in its baseline
                    pass
    finally:
        if kept is not None:
            sys.modules["nn_utils"] = kept
    return outcomes


@contextlib.contextmanager
def _quiet():
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


class _Trial:
    """The mutants of one solution cell, each run in a fork from the current state."""

    def __init__(self, cells, start, judges: set[int], namespace):
        self.cells, self.start, self.judges = cells, start, judges
        self.end, self.namespace = max(judges), namespace

    def all(self, mutants, jobs, timeout, progress) -> list[Outcome]:
        """The reference runs first, beside the first mutants: until its time is known,
        a mutant may take as long as it may (600 s); then five times its time plus
        ``timeout``."""
        reference = self.cells[self.start].source

        def baseline_done(outcome: Outcome) -> float:
            if outcome.verdict == TIMED_OUT or outcome.failed:
                raise BaselineFailed(f"{self.cells[self.start].answer}: the reference fails "
                                     f"{outcome.failed or 'by timing out'}")
            return 5 * outcome.seconds + timeout

        pool = _Pool(jobs, 600.0, progress, first_done=baseline_done)
        outcomes = pool.run([None, *mutants],
                            lambda mutant: self._child(reference if mutant is None
                                                       else mutant.source))
        return outcomes[1:]

    def _child(self, code: str) -> list[str]:
        """In the fork: run the cells from the solution cell to its last judge."""
        failed = []
        for position in range(self.start, self.end + 1):
            cell = self.cells[position]
            if cell.test_of is not None and position not in self.judges:
                continue
            source = code if position == self.start else cell.source
            out, err = io.StringIO(), io.StringIO()
            error = ""
            # Warnings recorded, then written out: whoever started this process (pytest,
            # say) may have routed them elsewhere than stderr, where a kernel writes them.
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                    warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("default")
                try:
                    run_cell(source, f"<cell {cell.grade_id}>", self.namespace)
                except Exception as exc:  # noqa: BLE001 - a cell's error is its result
                    error = f"{type(exc).__name__}: {exc}"
            for warning in caught:
                err.write(warnings.formatwarning(warning.message, warning.category,
                                                 warning.filename, warning.lineno))
            if position in self.judges and (error or err.getvalue()):
                failed.append(f"{cell.grade_id}: {error or 'wrote to stderr: ' + err.getvalue()}")
        return failed


class _Pool:
    """Forks, at most ``jobs`` at once, each killed after ``allowed`` seconds. When the
    first item's run ends, ``first_done`` (if given) is called with its Outcome and
    returns the ``allowed`` of the rest, or raises to stop the pool."""

    def __init__(self, jobs, allowed, progress, first_done=None):
        self.jobs, self.allowed, self.progress = jobs, allowed, progress
        self.first_done = first_done

    def run(self, items, work) -> list[Outcome]:
        pending, running, done = list(enumerate(items)), {}, {}
        try:
            while pending or running:
                while pending and len(running) < self.jobs:
                    position, item = pending.pop(0)
                    running[_fork(lambda item=item: work(item))] = (
                        position, item, time.monotonic(), [])
                self._collect(running, done)
        finally:
            for pid, fd in running:  # stopped early: no child outlives the pool
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                os.close(fd)
        return [done[position] for position in range(len(items))]

    def _collect(self, running, done):
        now = time.monotonic()
        wait = max(0.0, min(start + self.allowed - now for _, _, start, _ in running.values()))
        ready, _, _ = select.select([fd for _, fd in running], [], [], wait)
        for pid, fd in list(running):
            position, item, start, chunks = running[(pid, fd)]
            timed_out = False
            if fd in ready:
                chunk = os.read(fd, 1 << 16)
                if chunk:
                    chunks.append(chunk)
                    continue
            elif time.monotonic() - start > self.allowed:
                os.kill(pid, signal.SIGKILL)
                timed_out = True
            else:
                continue
            os.waitpid(pid, 0)
            os.close(fd)
            del running[(pid, fd)]
            seconds = time.monotonic() - start
            if timed_out:
                outcome = Outcome(item, TIMED_OUT, seconds)
            else:
                failed = json.loads(b"".join(chunks) or b'["the run ended without a result"]')
                outcome = Outcome(item, KILLED if failed else SURVIVED, seconds, failed)
            done[position] = outcome
            if position == 0 and self.first_done is not None:
                self.allowed = self.first_done(outcome)
            elif self.progress:
                self.progress(outcome)


def _fork(work) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running the parent's cleanup
        os.close(read_end)
        try:
            failed = work()
        except BaseException as exc:  # noqa: BLE001 - SystemExit from a cell too
            failed = [f"the run stopped: {type(exc).__name__}: {exc}"]
        payload = json.dumps(failed).encode()
        view = memoryview(payload)
        while view:
            view = view[os.write(write_end, view):]
        os._exit(0)
    os.close(write_end)
    return pid, read_end
