"""Execute a student's sanitized notebook under the grading limits: nbgrader's Execute step.

``SubmissionExecute`` is the step nbgrader's own autograde runs in place of ``Execute`` on a
worker (scoring/on_worker.py): it gets the notebook nbgrader sanitized (outputs cleared,
the tests put back) and returns it executed as nbgrader's ``Execute`` would have, with an
outcome per notebook. The kernel runs in a folder of its own, where no notebook holds the
hidden tests.

Where a notebook cannot run to its end (the kernel dies, the notebook runs out of time, the
kernel stops answering), every code cell from there on gets an error output that names the
reason. nbgrader scores a test cell with an error 0, so those cells are recorded as 0 and the
student's feedback shows why. Nothing here knows about Dask or the gradebook.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import shutil
import signal
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic, sleep

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from nbgrader.utils import setenv
from traitlets import Bool, Integer, default
from traitlets.config import Config

from autograder import bundle
from autograder.status import STOPPING, Status
from autograder.scoring import given_data
from autograder.execution import judge
from autograder.scoring import shell_history
from autograder.hidden_tests import hide_tests
from autograder.execution.kernel_manager import GradingKernelManager
from autograder.execution.sandbox import (Sandbox, attempt, denial, let_pass,
                                          visible_roots)

MAX_FLAGS = 20  # problems kept per notebook: a loop of attempts must not flood the report

_QUIET = logging.getLogger("autograder.execution.executor")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False  # nbclient's own error lines would only clutter the workers' stderr


@dataclass
class NotebookOutcome:
    """How grading one notebook went: ``status`` is "ok" or the first thing that went wrong.

    The statuses are autograder.status.Status: the kernel's, recorded here, and those the
    coordinator sets (unreadable, not_submitted, worker_lost, cells_edited).
    ``flags`` keeps every problem recorded, ``status`` the one that matters most.
    """

    status: Status = Status.OK
    reason: str = ""
    seconds: float = 0.0
    flags: list = field(default_factory=list)  # [status, reason] of each problem, in order

    def record(self, status: Status, reason: str) -> None:
        """Flag a problem. Keep the first as the status, unless a later one stopped the
        notebook."""
        if [status, reason] not in self.flags and len(self.flags) < MAX_FLAGS:
            self.flags.append([status, reason])
        if self.status == Status.OK or (status in STOPPING and self.status not in STOPPING):
            self.status, self.reason = status, reason


def error_output(ename: str, reason: str) -> NotebookNode:
    """An error output that nbgrader scores 0 and the feedback shows as ``ename: reason``."""
    return nbformat.v4.new_output("error", ename=ename, evalue=reason,
                                  traceback=[f"{ename}: {reason}"])


def runs(cell: NotebookNode) -> bool:
    """Whether nbclient would execute this cell (a code cell with some code)."""
    return cell.cell_type == "code" and bool(cell.source.strip())


def mark_not_run(cells, ename: str, reason: str) -> None:
    """Replace the outputs of every cell in ``cells`` that would run with one error."""
    for cell in cells:
        if runs(cell):
            cell.outputs = [error_output(ename, reason)]
            cell.execution_count = None


def output_size(msg: dict) -> int:
    """About how many bytes an output message adds to the notebook."""
    content = msg.get("content", {})
    if msg.get("msg_type") == "stream":
        return len(content.get("text", ""))
    if msg.get("msg_type") == "error":
        return sum(map(len, content.get("traceback", []))) + len(str(content.get("evalue", "")))
    return sum(len(str(value)) for value in content.get("data", {}).values())


def cell_name(cell: NotebookNode, index: int) -> str:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"cell {index}" + (f" ({grade_id})" if grade_id else "")


def _exit_text(code) -> str:
    """How a process ended, in words, from its return code."""
    if code is None:
        return "its exit status is unknown"
    if code < 0:
        name = signal.Signals(-code).name
        hint = {signal.SIGKILL: " (the system ran out of memory?)",
                signal.SIGXCPU: " (it used up its CPU time limit)"}.get(-code, "")
        return f"it was killed by {name}{hint}"
    return f"it exited with code {code}"


class GuardedExecute(Execute):
    """nbgrader's Execute step, which never gives up on a notebook half way.

    On top of nbgrader's per-cell timeout it keeps a limit for the whole notebook, and it
    turns a dead or unresponsive kernel into error outputs on the cells that could not run
    instead of an exception (which would make nbgrader discard the student's results).
    It keeps at most ``c.Sandbox.output_bytes`` of each cell's output (errors always count:
    they decide the points) and records what the sandbox or a limit stopped (sandbox.py).
    ``outcome`` tells what happened.
    """

    notebook_timeout = Integer(0, help="Seconds for the whole notebook; 0: no limit.").tag(
        config=True)

    trusted_tests = Bool(True, help="Run the test cells here, with the kernel as an oracle "
                         "(judge.py); False runs them in the student's kernel, which its code "
                         "can subvert.").tag(config=True)

    @default("shutdown_kernel")
    def _shutdown_kernel_default(self) -> str:
        # Every output is in when the kernel is shut down: a graceful shutdown only waits,
        # polling, for a kernel no one will ask anything again (0.2 s of each notebook's
        # 2.6 s here: benchmarks/grading_speed.py). In a sandbox, its removal ends whatever
        # the kernel started (bubblewrap's process namespace, the container, the cgroup);
        # without one, only the kernel's own graceful shutdown ends a child it detached.
        return "immediate" if Sandbox(config=self.config).enabled else "graceful"

    def __init__(self, **kwargs):
        kwargs.setdefault("kernel_manager_class", GradingKernelManager)
        kwargs.setdefault("log", _QUIET)
        super().__init__(**kwargs)
        self.timeout_func = self._cell_limit
        self.outcome = NotebookOutcome()
        self._deadline = None
        self._stopped = None  # (ename, reason) once no further cell may run
        self._next = None  # the first cell not handled yet (or still running); None: none yet
        self.sandbox = Sandbox(config=self.config)
        self._visible = visible_roots(self.sandbox)
        self._output_left = 0  # bytes of output the running cell may still add
        self._oracle = None  # judge.KernelOracle of the running kernel, when trusted_tests
        self._imports = {}  # name -> import statement, from the notebook's locked cells
        self._judged = {}  # what test cells run here have bound
        self.kit = None  # nn_utils as the test cells run here see it (bundle.kit_module)

    def _cell_limit(self, cell) -> int | None:
        """The per-cell timeout, cut short when the notebook's own time runs out first."""
        limit = self.timeout if self.timeout and self.timeout > 0 else None
        if self._deadline is not None:
            remaining = max(1, math.ceil(self._deadline - monotonic()))
            limit = min(limit, remaining) if limit else remaining
        return limit

    def _stop(self, status: str, ename: str, reason: str) -> None:
        self.outcome.record(status, reason)
        self._stopped = (ename, f"not run: {reason}")

    def preprocess(self, nb, resources=None, km=None):
        started = monotonic()
        self.outcome, self._stopped, self._next = NotebookOutcome(), None, None
        self._deadline = started + self.notebook_timeout if self.notebook_timeout else None
        self._oracle, self._judged = None, {}
        self._imports = judge.trusted_imports(
            c.source for c in nb.cells if c.cell_type == "code" and is_locked_code(c))
        self._note_what_the_cells_say(nb)
        try:
            nb, resources = super().preprocess(nb, resources, km)
        except Exception as error:  # no kernel, or it failed in a way nbclient cannot handle
            first = self._next or 0
            where = ("while starting" if self._next is None
                     else f"at {cell_name(nb.cells[first], first)}" if first < len(nb.cells)
                     else "after the last cell")
            self._stop(Status.KERNEL_FAILED, "KernelFailed",
                       f"the kernel failed {where}: {type(error).__name__}: {error}")
            mark_not_run(nb.cells[first:], *self._stopped)
        finally:
            if self._oracle is not None:
                self._oracle.close()
                self._oracle.client.stop_channels()
        self.outcome.seconds = round(monotonic() - started, 3)
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        self._next = index
        if not self._stopped and self._deadline is not None and monotonic() >= self._deadline:
            self._stop(Status.NOTEBOOK_TIMEOUT, "NotebookTimeLimit",
                       f"the notebook used up its limit of {self.notebook_timeout} s "
                       f"before {cell_name(cell, index)}")
        if self._stopped:
            mark_not_run([cell], *self._stopped)
            self._next = index + 1
            return cell, resources
        self._output_left = self.sandbox.output_bytes or math.inf
        if self.trusted_tests and runs(cell):
            if self._oracle is None:
                self._start_oracle()  # before the first cell: no student code has run yet
            if is_test_cell(cell):
                self._judge(cell, index)
                self._next = index + 1
                return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            code = self._kernel_exit_code()
            reason = f"the kernel died while running {cell_name(cell, index)}: {_exit_text(code)}"
            cell.outputs.append(error_output("KernelDied", reason))
            self._stop(Status.KERNEL_DIED, "KernelDied", reason)
            self._next = index + 1
            return cell, self.resources
        except CellTimeoutError as error:  # timed out, then ignored the interrupt
            reason = (f"the kernel did not answer after {cell_name(cell, index)} "
                      f"timed out ({str(error).splitlines()[0]})")
            cell.outputs.append(error_output("KernelUnresponsive", reason))
            self._stop(Status.KERNEL_UNRESPONSIVE, "KernelUnresponsive", reason)
            self._next = index + 1
            return cell, self.resources
        self._note_problems(cell, index)
        self._note_sandbox(cell, index, resources)
        self._next = index + 1
        return cell, resources

    def _start_oracle(self) -> None:
        self._oracle = judge.KernelOracle(self.km.oracle_client(),
                                          timeout=self._cell_limit(None) or 600,
                                          owner=self.km.kernel_user)
        self._oracle.install()

    def _judge(self, cell, index: int) -> None:
        """Run a test cell here (judge.run_test_cell): its outputs are what the checks
        printed, raised and returned here, whatever the kernel says."""
        limit = self._cell_limit(cell)
        self._oracle.deadline = monotonic() + limit if limit else None
        try:
            with self._oracle.serving(Path(self.km.workdir)):
                run = judge.run_test_cell(self._oracle, cell.source, self._imports,
                                          self._judged, self.kit)
        except judge.OracleTimeout as error:  # the serve loop did not start
            run = judge.CellRun(error=("TimeoutError", str(error)), timed_out=True)
        outputs = []
        if run.stdout:
            outputs.append(nbformat.v4.new_output("stream", name="stdout", text=run.stdout))
        if run.stderr:
            outputs.append(nbformat.v4.new_output("stream", name="stderr", text=run.stderr))
        if run.result is not None:
            outputs.append(nbformat.v4.new_output("execute_result", execution_count=None,
                                                  data={"text/plain": run.result}))
        if run.error:
            outputs.append(error_output(*run.error))
        cell.outputs, cell.execution_count = outputs, None
        where = cell_name(cell, index)
        if (run.timed_out or run.broken_protocol) and not self._kernel_alive():
            reason = (f"the kernel died while the checks of {where} called the student's "
                      f"code: {_exit_text(self._kernel_exit_code())}")
            cell.outputs.append(error_output("KernelDied", reason))
            self._stop(Status.KERNEL_DIED, "KernelDied", reason)
            return
        if run.timed_out:
            self.outcome.record(Status.CELL_TIMEOUT, f"{where}: the student's code did not answer "
                                f"the checks within the limit of {limit} s")
            self._interrupt()
        if run.broken_protocol:
            self.outcome.record(Status.TAMPERING, f"{where}: the kernel's answers to the checks "
                                f"broke the grading protocol: {run.broken_protocol[:200]}")

    def _note_what_the_cells_say(self, nb) -> None:
        """Flag the student's cells that read the shell's history of the cells run, where
        test code would be if it ran in the kernel (shell_history.py), or change the given
        data the test cells score on (given_data.py). Read from the notebook's text."""
        theirs = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"
                  and not is_locked_code(c) and not is_test_cell(c)]
        own = shell_history.bound_names(c.source for _, c in theirs)
        locked = [c.source for c in nb.cells if c.cell_type == "code" and is_locked_code(c)]
        read = set()
        for cell in filter(is_test_cell, nb.cells):
            try:
                read |= judge.free_names(cell.source)
            except (SyntaxError, ValueError):
                pass
        given = given_data.given_names(locked, set(self._imports)) & read
        for index, cell in theirs:
            where = cell_name(cell, index)
            if reads := shell_history.history_reads(cell.source, own):
                self.outcome.record(Status.TAMPERING, f"{where} reads the shell's history of the "
                                    f"cells it ran ({', '.join(reads)}), where the test cells' "
                                    "code is looked for")
            if changed := given_data.changes(cell.source, given):
                self.outcome.record(Status.TAMPERING, f"{where} changes {', '.join(changed)}, data "
                                    "that the notebook's given cells loaded and the test "
                                    "cells score on")

    def _kernel_alive(self) -> bool:
        """Whether the kernel still runs, a second after it stopped answering (a kernel
        that was killed takes a moment to be reaped)."""
        for _ in range(10):
            try:
                if not run_sync(self.km.is_alive)():
                    return False
            except Exception:  # cannot tell: as good as dead for the cells after
                return False
            sleep(0.1)
        return True

    def _interrupt(self) -> None:
        """Stop what the kernel still runs for the judge, so the next cell can run."""
        try:
            run_sync(self.km.interrupt_kernel)()
        except Exception:  # a dead kernel: the next cell finds out
            pass

    def _note_problems(self, cell, index: int) -> None:
        """Record a timeout or a MemoryError in a cell that did run."""
        enames = {o.get("ename") for o in cell.get("outputs", []) if o.output_type == "error"}
        if self.error_on_timeout.get("ename") in enames:
            if self._deadline is not None and monotonic() >= self._deadline:
                reason = (f"the notebook used up its limit of {self.notebook_timeout} s "
                          f"while running {cell_name(cell, index)}")
                cell.outputs.append(error_output("NotebookTimeLimit", reason))
                self._stop(Status.NOTEBOOK_TIMEOUT, "NotebookTimeLimit", reason)
            else:
                self.outcome.record(Status.CELL_TIMEOUT, f"{cell_name(cell, index)} ran longer "
                                    f"than the limit of {self.timeout} s per cell")
        if "MemoryError" in enames:
            self.outcome.record(Status.OUT_OF_MEMORY, f"{cell_name(cell, index)} ran out of "
                                "memory (MemoryError under the kernel's memory limit)")

    def output(self, outs, msg, display_id, cell_index):
        """Add an output to the running cell while its output budget lasts; then one note,
        and nothing more (an error still counts: it decides the cell's points)."""
        size = output_size(msg)
        if size <= self._output_left:
            self._output_left -= size
            return super().output(outs, msg, display_id, cell_index)
        if self._output_left != -1:  # the first output over the limit
            self._output_left = -1
            limit = self.sandbox.output_bytes
            outs.append(nbformat.v4.new_output("stream", name="stderr", text=(
                f"\n[grading: output cut: this cell printed more than {limit} bytes; "
                f"the rest is left out]\n")))
            where = cell_name(self.nb.cells[cell_index], cell_index)
            self.outcome.record(Status.OUTPUT_TRUNCATED, f"{where} printed more than the limit of "
                                f"{limit} bytes of output; the rest was left out")
        if msg["msg_type"] == "error":
            content = msg["content"]
            outs.append(error_output(content.get("ename", "Error"),
                                     str(content.get("evalue", ""))[:1000]))
        return None

    def _note_sandbox(self, cell, index: int, resources) -> None:
        """Record what the sandbox or a limit stopped in a cell that ran: reading or
        writing outside its folder, the network, too many processes, input(), sys.exit;
        from its errors, the cgroup's counts and the kernel watch's lines (which see an
        attempt the code caught and hid)."""
        where = cell_name(cell, index)
        workdir = os.path.realpath(resources.get("metadata", {}).get("path") or ".")
        for output in cell.get("outputs", []):
            if output.output_type != "error":
                continue
            ename, evalue = output.get("ename", ""), str(output.get("evalue", ""))
            if reason := denial(ename, evalue, workdir):
                self.outcome.record(Status.SANDBOX_DENIED, f"{where} {reason}")
            elif "grading integrity:" in evalue or "part of the grading kit" in evalue:
                self.outcome.record(Status.TAMPERING, f"{where} changed what the checks rely on: "
                                    f"{evalue.splitlines()[0][:200]}")
            elif ename == "StdinNotImplementedError":
                self.outcome.record(Status.INPUT_REQUESTED, f"{where} asked for keyboard input "
                                    "(input()), which grading cannot give")
            elif ename == "SystemExit":
                self.outcome.record(Status.EXIT_CALLED, f"{where} called sys.exit() ({evalue}); "
                                    "the rest of that cell did not run")
            elif ename == "BlockingIOError" and "Errno 11" in evalue:
                self.outcome.record(Status.PROCESS_LIMIT, f"{where} could not start another "
                                    f"process: the limit of {self.sandbox.processes} processes "
                                    "was reached")
        events = self.km.limit_events() if self.km is not None else {}
        if events.get("pids"):
            self.outcome.record(Status.PROCESS_LIMIT, f"{where} tried to start more than "
                                f"{self.sandbox.processes} processes ({events['pids']} refused)")
        if events.get("memory"):
            self.outcome.record(Status.OUT_OF_MEMORY, f"{where} hit the sandbox's memory limit "
                                "(a process was killed)")
        for event in self.km.watched_attempts() if self.km is not None else []:
            if found := attempt(event, workdir, self._visible, self.sandbox.enabled):
                self.outcome.record(found[0], f"{where} {found[1]}")

    def _kernel_exit_code(self) -> int | None:
        """The dead kernel's return code, when the kernel manager still knows it."""
        return self.km.exit_status() if self.km is not None else None


def is_test_cell(cell: NotebookNode) -> bool:
    """An autograded test cell: nbgrader's grade cell that is not a solution."""
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_locked_code(cell: NotebookNode) -> bool:
    """A locked cell that is neither a solution nor a test: nbgrader restores its source
    from the course's copy, so what it says is the course's."""
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("locked")) and not meta.get("solution") and not meta.get("grade")


def execute_notebook(nb: NotebookNode, workdir: Path, config: Config, memory: int | None,
                     log_file: Path, kit=None) -> tuple[NotebookNode, NotebookOutcome]:
    """Run ``nb`` with ``workdir`` as the kernel's working directory, as nbgrader would;
    the test cells run here see ``kit`` as nn_utils (the kit's own when None)."""
    config = copy.deepcopy(config)
    config.GradingKernelManager.memory_limit = memory or 0
    config.GradingKernelManager.log_file = str(log_file)
    executor = GuardedExecute(config=config)
    executor.kit = kit
    with setenv(NBGRADER_EXECUTION="autograde"):  # what nbgrader sets for its kernels
        nb, _ = executor.preprocess(nb, {"metadata": {"path": str(workdir)}})
    return nb, executor.outcome


def without_hidden_tests(nb: NotebookNode) -> bytes:
    """The notebook as the kernel's folder holds it: the hidden tests nbgrader put back
    are taken out again, so that no cell can read them from the file."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            cell.source = hide_tests(cell.source)
    return nbformat.writes(nb).encode("utf-8")


class SubmissionExecute(GuardedExecute):
    """The Execute step of nbgrader's autograde on a worker (scoring/on_worker.py).

    A notebook in ``not_run`` is not executed: its cells are marked with the reason. The
    others run in a kernel folder of their own inside ``scratch``: the files nbgrader put
    beside the notebook, with ``support`` (nn_utils and the checks, as released) in place of
    anything the student put at the same top-level names, and every notebook with its hidden
    tests taken out. ``outcomes`` keeps each notebook's outcome.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.not_run: dict = {}  # notebook file -> (error name, reason)
        self.outcomes: dict = {}  # notebook file -> NotebookOutcome
        self.support: dict = {}
        self.scratch: Path | None = None

    def preprocess(self, nb, resources=None, km=None):
        name = f"{resources['nbgrader']['notebook']}.ipynb"
        if name in self.not_run:
            mark_not_run(nb.cells, *self.not_run[name])
            return nb, resources
        with tempfile.TemporaryDirectory(prefix="kernel-", dir=self.scratch) as folder:
            if self.scratch is not None:
                let_pass(folder)
            workdir = Path(folder) / "work"
            kernel_folder(Path(resources["metadata"]["path"]), self.support, workdir)
            nb, _ = super().preprocess(nb, {"metadata": {"path": str(workdir)}}, km)
        self.outcomes[name] = self.outcome
        return nb, resources


def kernel_folder(built: Path, support: dict, workdir: Path) -> None:
    """Fill ``workdir`` with the files of ``built`` (nbgrader's folder for the notebook),
    ``support`` in place of the same top-level names, and no hidden test in any notebook."""
    shipped = {Path(name).parts[0] for name in support}
    for path in sorted(built.rglob("*")):
        relative = path.relative_to(built)
        if not path.is_file() or relative.parts[0] in shipped:
            continue
        target = workdir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".ipynb":
            target.write_bytes(without_hidden_tests(nbformat.read(path, as_version=4)))
        else:
            shutil.copyfile(path, target)
    bundle.write_files(support, workdir)
