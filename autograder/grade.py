"""Autograde the collected submissions of an assignment: in parallel, within limits.

``autograde`` runs the pipeline:

1. stage: each student's submitted folder is copied to a private staging folder; there a
   notebook nbgrader cannot read (or a submission with none of the assignment's notebooks)
   is replaced by the released notebook and the reason kept (submitted/ is never changed),
   and changes to the assignment's test and locked cells, points and nbgrader metadata
   are noted and the metadata put back in the staged copy (edited_cells.py);
2. prepare: nbgrader sanitizes every staged submission, without a kernel (replay.py);
3. execute: one Dask task per student runs its sanitized notebooks under the limits
   (execution.py, parallel.py), behind a progress bar;
4. score: nbgrader autograde again, serially, with the executed copies handed to its Execute
   step, so nbgrader's own code writes the gradebook and autograded/ (replay.py);
5. report: ``reports/<assignment>/grading.json`` gives every submission's status and reason,
   and the run fails unless every submission that came in has a gradebook row and an
   autograded notebook (count in = count out).

Cells that could not run (dead kernel, time limit, unreadable file, lost worker) carry an
error output naming the reason: nbgrader scores them 0 and the feedback shows why.
``autograde_serial`` is plain ``nbgrader autograde``, the reference the pipeline matches.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from contextlib import nullcontext
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import MissingEntry

from autograder.status import Status
from autograder.intake.collect import notebook_problem
from autograder.course import Course, NbgraderError
from autograder.scoring.edited_cells import describe as describe_edits, edited_cells, restore
from autograder.execution.executor import (NotebookOutcome, SubmissionJob, SubmissionResult,
                                           mark_not_run)
from autograder.execution.limits import Limits
from autograder.execution.parallel import dask_client, run_jobs
from autograder.bundle import package_files, stamp_of
from autograder.scoring.replay import prepare_args, score_args
from autograder.execution.sandbox import Sandbox, require, require_on_workers

# The error name a cell gets when grading could not run it, by outcome status.
_NOT_RUN = {Status.UNREADABLE: "SubmissionUnreadable", Status.NOT_SUBMITTED: "NotSubmitted",
            Status.WORKER_LOST: "WorkerLost"}


class GradingIncomplete(RuntimeError):
    """Some submission that came in has no gradebook row or no autograded notebook."""


def autograde_serial(course: Course, assignment: str) -> str:
    """Plain ``nbgrader autograde`` of every collected submission, one after the other.

    ``--force`` regrades submissions graded before, so re-running after a test was fixed
    updates the scores; ``--create`` adds students who are not in the gradebook yet.
    """
    return course.nbgrader("autograde", assignment, "--force", "--create")


@dataclass
class Submission:
    """One student's submission as staged, then graded."""

    student: str
    to_run: list = field(default_factory=list)  # notebook files the workers execute
    stand_ins: list = field(default_factory=list)  # notebook files replaced by the release
    outcomes: dict = field(default_factory=dict)  # notebook file -> NotebookOutcome
    seconds: float = 0.0

    edits: dict = field(default_factory=dict)  # notebook file -> what it changed of ours

    def record(self, name: str, status: str, reason: str) -> None:
        self.outcomes.setdefault(name, NotebookOutcome()).record(status, reason)

    def graded_notebooks(self) -> list:
        """The notebooks that must come out of grading as autograded notebooks."""
        return sorted(self.to_run + self.stand_ins)


@dataclass
class GradingReport:
    """What one run did; ``path`` is where it was written as JSON."""

    assignment: str
    path: Path
    count_in: int
    count_out: int
    submissions: list  # dicts: student, status, reason, score, max_score, flags, notebooks
    missing: list  # students without a gradebook row or an autograded notebook
    sandbox: str = ""  # how the kernels ran: in a sandbox, or WITHOUT one (sandbox.require)

    def problems(self) -> list:
        return [s for s in self.submissions if s["status"] != Status.OK]

    def write(self, header: dict) -> None:
        """Write the report as JSON: ``header``, the counts, then every submission."""
        counts = {"count_in": self.count_in, "count_out": self.count_out,
                  "missing": self.missing}
        self.path.write_text(json.dumps({**header, **counts, "submissions": self.submissions},
                                        indent=1))

    def summary(self) -> str:
        lines = [f"graded {self.count_out} of {self.count_in} submission(s) of "
                 f"{self.assignment}; report: {self.path}"]
        if self.sandbox.startswith("WITHOUT"):
            lines.append(f"WARNING: graded {self.sandbox}")
        for entry in self.problems():
            more = len(entry["flags"]) - 1
            lines.append(f"  {entry['student']}: {entry['status']}: {entry['reason']}"
                         + (f" (and {more} more flag(s) in the report)" if more > 0 else ""))
        return "\n".join(lines)


def autograde(course: Course, assignment: str, *, workers: int | None = None,
              scheduler: str | None = None, limits: Limits = Limits(),
              progress: bool | None = None, sandbox: bool = True) -> GradingReport:
    """Autograde every collected submission of ``assignment`` into the gradebook.

    Args:
        workers: local Dask workers (default: one per core); ignored with ``scheduler``.
            0: no Dask, the notebooks run one after another in this process.
        scheduler: address of an existing Dask scheduler to run the notebooks on.
        limits: per-cell and per-notebook time, memory per worker (limits.py).
        progress: show a progress bar (None: only on a terminal).
        sandbox: False runs the students' code WITHOUT a sandbox (--no-sandbox); so does
            ``c.Sandbox.enabled = False``. The report says so.
    Raises SandboxUnavailable, before anything is graded, when the sandbox cannot run here
    (or on a worker of ``scheduler``) and nobody opted out of it.
    Raises GradingIncomplete, after writing the report, when count in != count out.
    """
    started = time.time()
    notebooks = assignment_notebooks(course, assignment)
    config = limits.applied_to(course.config())
    isolation = require(Sandbox(config=config), opted_out=not sandbox)
    config.Sandbox.enabled = sandbox and Sandbox(config=config).enabled
    reports = course.root / "reports" / assignment
    reports.mkdir(parents=True, exist_ok=True)
    (course.root / "build" / "grading").mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f"{assignment}-", dir=course.root / "build" / "grading"))
    steps = {}  # seconds per step, for the report
    shipped = package_files(course, assignment)  # nn_utils with the checks, as released
    try:
        submissions = [stage_submission(course, assignment, s, notebooks, stage)
                       for s in submitted_students(course, assignment)]
        with ThreadPoolExecutor(1) as pool:
            # nbgrader prepares the submissions while the Dask workers start.
            prepared = pool.submit(prepare, course, assignment, stage, submissions)
            results, cluster = {}, "none: nothing to execute"
            if any(s.to_run for s in submissions):
                here = workers == 0 and not scheduler
                with nullcontext() if here else dask_client(workers, scheduler,
                                                            limits.memory) as client:
                    if scheduler and config.Sandbox.enabled:
                        require_on_workers(client, config)
                    prepared.result()  # the jobs are the prepared (sanitized) folders
                    steps["stage, prepare, start workers"] = time.time() - started
                    jobs = [job_for(stage, assignment, s, config, limits, shipped)
                            for s in submissions if s.to_run]
                    results = run_jobs(client, jobs, progress, limits.memory)
                    steps["execute"] = time.time() - started - sum(steps.values())
                    cluster = ("none: one after another in the grader's process" if here else
                               f"{len(client.scheduler_info()['workers'])} Dask worker(s) "
                               f"at {client.scheduler.address}")
            (reports / "prepare.log").write_text(prepared.result())
        for submission in submissions:
            write_executed(stage, assignment, submission, results.get(submission.student))
        if submissions:
            (reports / "score.log").write_text(score(course, assignment, stage, config))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    report = build_report(course, assignment, submissions, reports / "grading.json")
    report.sandbox = isolation
    steps["stop workers, score"] = time.time() - started - sum(steps.values())
    report.write({"assignment": assignment, "started": time.ctime(started),
                  "seconds": round(time.time() - started, 1),
                  "steps": {name: round(t, 1) for name, t in steps.items()},
                  "cluster": cluster, "limits": limits.describe(config),
                  "sandbox": isolation,
                  "nn_utils": f"{assignment}-{stamp_of(shipped)}"})
    if report.missing:
        raise GradingIncomplete(f"{report.count_in} submission(s) came in but only "
                                f"{report.count_out} were graded; missing: "
                                f"{', '.join(report.missing)} (see {report.path})")
    return report


def submitted_students(course: Course, assignment: str) -> list[str]:
    """Every student with a submitted/<student>/<assignment> folder."""
    return sorted(p.parent.name for p in course.submitted.glob(f"*/{assignment}") if p.is_dir())


def assignment_notebooks(course: Course, assignment: str) -> list[str]:
    """The notebook files nbgrader grades for ``assignment``, from the gradebook."""
    with course.gradebook() as gradebook:
        try:
            found = gradebook.find_assignment(assignment)
        except MissingEntry:
            raise ValueError(f"{assignment} is not in the gradebook {course.db_url}: release "
                             f"it first (./kit release {assignment})") from None
        return sorted(f"{notebook.name}.ipynb" for notebook in found.notebooks)


def _stand_in(course: Course, assignment: str, submission: Submission, name: str,
              folder: Path, status: str, reason: str) -> None:
    """Put the released notebook where the student's ``name`` would be, to grade as 0."""
    released = course.release / assignment / name
    if not released.is_file():
        raise FileNotFoundError(f"{released} is missing: release {assignment} first")
    shutil.copyfile(released, folder / name)
    submission.stand_ins.append(name)
    submission.record(name, status, reason)


def stage_submission(course: Course, assignment: str, student: str, notebooks: list,
                     stage: Path) -> Submission:
    """Copy one student's submitted folder into ``stage``/submitted, with stand-ins, and
    the assignment's nbgrader metadata put back where the student changed it."""
    folder = stage / "submitted" / student / assignment
    shutil.copytree(course.submitted / student / assignment, folder)
    submission = Submission(student)
    present = [name for name in notebooks if (folder / name).is_file()]
    if not present:  # nbgrader would skip this student altogether
        found = ", ".join(sorted(p.name for p in folder.glob("*.ipynb"))) or "none"
        reason = f"no {' or '.join(notebooks)} was submitted (notebooks found: {found})"
        for name in notebooks:
            _stand_in(course, assignment, submission, name, folder, Status.NOT_SUBMITTED, reason)
        return submission
    for name in notebooks:
        if name not in present:  # nbgrader itself records 0 for a missing notebook
            submission.record(name, Status.NOT_SUBMITTED, f"{name} was not submitted")
        elif problem := notebook_problem(folder / name, validate=False):
            _stand_in(course, assignment, submission, name, folder, Status.UNREADABLE,
                      f"{name} could not be read as a notebook ({problem}); nothing in it "
                      f"was run")
        else:
            submission.to_run.append(name)
            released = course.release / assignment / name
            if not released.is_file():  # nothing to compare with; nbgrader still restores
                continue
            staged = nbformat.read(folder / name, as_version=4)
            ours = nbformat.read(released, as_version=4)
            if changes := edited_cells(staged, ours):
                submission.edits[name] = describe_edits(changes)
                restore(staged, ours)
                nbformat.write(staged, folder / name)
    return submission


def _relative(course: Course, path: Path) -> str:
    return os.path.relpath(path, course.root)


def prepare(course: Course, assignment: str, stage: Path, submissions: list) -> str:
    """Sanitize every staged submission into ``stage``/sanitized; return nbgrader's log.

    A submission nbgrader fails on is graded as its stand-ins instead, with the reason.
    """
    args = prepare_args(assignment, _relative(course, stage / "submitted"),
                        _relative(course, stage / "sanitized"))
    log = _run_nbgrader(course, args)
    for submission in submissions:
        folder = stage / "sanitized" / submission.student / assignment
        if all((folder / name).is_file() for name in submission.graded_notebooks()):
            continue
        staged = stage / "submitted" / submission.student / assignment
        for name in submission.to_run:
            _stand_in(course, assignment, submission, name, staged, Status.UNREADABLE,
                      f"nbgrader could not prepare {name} for grading (see prepare.log)")
        submission.to_run = []
        log += _run_nbgrader(course, [*args, f"--student={submission.student}"])
    return log


def _run_nbgrader(course: Course, args: list) -> str:
    """nbgrader's log, also when it failed for some submission (checked by the caller)."""
    try:
        return course.nbgrader(*args)
    except NbgraderError as error:
        return error.log


def job_for(stage: Path, assignment: str, submission: Submission, config,
            limits: Limits, support: dict | None = None) -> SubmissionJob:
    """The Dask job for one student: the sanitized folder's files and what to execute,
    with the release's ``support`` files in place of anything the student put at the same
    top-level names (a student's own nn_utils must not replace the checkers)."""
    folder = stage / "sanitized" / submission.student / assignment
    files = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    shipped = {Path(name).parts[0] for name in support or {}}
    files = {name: data for name, data in files.items() if Path(name).parts[0] not in shipped}
    files.update(support or {})
    return SubmissionJob(submission.student, files, sorted(submission.to_run), config,
                         limits.memory)


def write_executed(stage: Path, assignment: str, submission: Submission, result) -> None:
    """Write ``stage``/executed/<student>/<notebook> for every notebook to be scored:
    the worker's executed copy, or the sanitized one with each cell marked as not run."""
    target = stage / "executed" / submission.student
    target.mkdir(parents=True, exist_ok=True)
    if isinstance(result, SubmissionResult):
        submission.seconds = result.seconds
    for name in submission.graded_notebooks():
        if name in submission.to_run and isinstance(result, SubmissionResult):
            (target / name).write_text(result.executed[name])
            submission.outcomes[name] = result.outcomes[name]
        else:
            if name in submission.to_run:
                submission.record(name, Status.WORKER_LOST, _lost(result))
            outcome = submission.outcomes[name]
            nb = nbformat.read(stage / "sanitized" / submission.student / assignment / name,
                               as_version=4)
            mark_not_run(nb.cells, _NOT_RUN[outcome.status], f"not run: {outcome.reason}")
            nbformat.write(nb, target / name)
        if name in submission.edits:
            submission.record(name, Status.CELLS_EDITED, submission.edits[name])


def _lost(error) -> str:
    """Why a job came back without a result, in words."""
    if type(error).__name__ == "KilledWorker":  # by name: no Dask in the process without it
        return ("every Dask worker that ran this submission died (KilledWorker); its code may "
                "kill the process that runs it")
    return f"the grading job was lost: {type(error).__name__}: {str(error)[:200]}"


def score(course: Course, assignment: str, stage: Path, config) -> str:
    """nbgrader autograde with the executed copies: writes the gradebook and autograded/."""
    args = score_args(assignment, _relative(course, stage / "submitted"),
                      str(stage / "executed"), config)
    return _run_nbgrader(course, args)


def _gradebook_scores(course: Course, assignment: str, students: list) -> dict:
    """student -> notebook file -> (score, max_score), for students with a gradebook row."""
    rows = {}
    with course.gradebook() as gradebook:
        for student in students:
            try:
                found = gradebook.find_submission(assignment, student)
            except MissingEntry:
                continue
            rows[student] = {f"{nb.name}.ipynb": (float(nb.score), float(nb.max_score))
                             for nb in found.notebooks}
    return rows


def build_report(course: Course, assignment: str, submissions: list, path: Path) -> GradingReport:
    """Read back the gradebook and autograded/ for every submission that came in."""
    rows = _gradebook_scores(course, assignment, [s.student for s in submissions])
    entries, missing = [], []
    for submission in submissions:
        folder = course.autograded / submission.student / assignment
        scores = rows.get(submission.student)
        if scores is None or not all((folder / n).is_file()
                                     for n in submission.graded_notebooks()):
            missing.append(submission.student)
        notebooks = {}
        for name, outcome in sorted(submission.outcomes.items()):
            got, top = (scores or {}).get(name, (None, None))
            notebooks[name] = {**asdict(outcome), "score": got, "max_score": top}
        first = next((o for o in notebooks.values() if o["status"] != Status.OK), None)
        entries.append({
            "student": submission.student,
            "status": first["status"] if first else Status.OK,
            "reason": first["reason"] if first else "",
            "score": sum(s for s, _ in scores.values()) if scores else None,
            "max_score": sum(m for _, m in scores.values()) if scores else None,
            "seconds": submission.seconds,
            "flags": [{"notebook": name, "status": status, "reason": reason}
                      for name, entry in notebooks.items() for status, reason in entry["flags"]],
            "notebooks": notebooks,
        })
    return GradingReport(assignment, path, len(submissions),
                         len(submissions) - len(missing), entries, missing)
