"""Autograde the collected submissions of an assignment: in parallel, within limits.

``autograde`` runs the pipeline:

1. collect: each student's submitted folder is read, with the student's rows the gradebook
   already holds (submitted/ is never changed);
2. grade, one Dask task per student, where the kernel runs (scoring/on_worker.py): the
   submission is staged (stand-ins for unreadable notebooks, the assignment's metadata put
   back), then nbgrader's own autograde sanitizes it, runs it under the limits with the
   test cells judged here (execution/executor.py) and scores it into a private gradebook;
3. record, as each task finishes, while the others run: the autograded folder is written to
   autograded/ and the student's rows are copied into the course's gradebook in one
   transaction (scoring/gradebook_rows.py); a task whose worker was lost is graded here
   instead, every cell marked as not run;
4. report: ``reports/<assignment>/grading.json`` gives every submission's status and reason,
   and the run fails unless every submission that came in has a gradebook row and an
   autograded notebook (count in = count out).

So every score is nbgrader's own, as a serial ``nbgrader autograde`` would record it, and the
only serial work per submission is reading its folder and writing what came back.
Cells that could not run (dead kernel, time limit, unreadable file, lost worker) carry an
error output naming the reason: nbgrader scores them 0 and the feedback shows why.
``autograde_serial`` is plain ``nbgrader autograde``, the reference the pipeline matches.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import find_all_files
from sqlalchemy import create_engine

from autograder.bundle import package_files, stamp_of
from autograder.course import Course
from autograder.execution.limits import Limits
from autograder.execution.parallel import dask_client, run_jobs
from autograder.execution.sandbox import Sandbox, require, require_on_workers
from autograder.scoring import gradebook_rows
from autograder.scoring.on_worker import GradingKit, StudentJob, Submission, grade_student
from autograder.status import Status


class GradingIncomplete(RuntimeError):
    """Some submission that came in has no gradebook row or no autograded notebook."""


def autograde_serial(course: Course, assignment: str) -> str:
    """Plain ``nbgrader autograde`` of every collected submission, one after the other.

    ``--force`` regrades submissions graded before, so re-running after a test was fixed
    updates the scores; ``--create`` adds students who are not in the gradebook yet.
    """
    return course.nbgrader("autograde", assignment, "--force", "--create")


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
              progress: bool | None = None, sandbox: bool = True,
              unsandboxed_because: str = "") -> GradingReport:
    """Autograde every collected submission of ``assignment`` into the gradebook.

    Args:
        workers: local Dask workers (default: one per core); ignored with ``scheduler``.
            0: no Dask, the notebooks run one after another in this process.
        scheduler: address of an existing Dask scheduler to run the notebooks on.
        limits: per-cell and per-notebook time, memory per worker (limits.py).
        progress: show a progress bar (None: only on a terminal).
        sandbox: False runs the students' code WITHOUT a sandbox (--no-sandbox); so does
            ``c.Sandbox.enabled = False``. The report says so, with
            ``unsandboxed_because`` (default: the instructor's --no-sandbox).
    Raises SandboxUnavailable, before anything is graded, when the sandbox cannot run here
    (or on a worker of ``scheduler``) and nobody opted out of it.
    Raises GradingIncomplete, after writing the report, when count in != count out.
    """
    started = time.time()
    config = limits.applied_to(course.config())
    chosen = Sandbox(config=config)
    isolation = require(chosen, opted_out=not sandbox, how=unsandboxed_because)
    config.Sandbox.enabled = sandbox and chosen.enabled
    # The backend 'auto' picked, and the engine's options, once for every worker.
    config.Sandbox.backend, config.Sandbox.engine_arguments = (chosen.backend,
                                                               chosen.engine_arguments)
    reports = course.root / "reports" / assignment
    reports.mkdir(parents=True, exist_ok=True)
    steps = {}  # seconds per step, for the report
    kit = grading_kit(course, assignment, config, limits)
    serial = {"kit": time.time() - started}  # seconds of the work done here, not in parallel
    jobs = collect_jobs(course, assignment)
    steps["collect"] = time.time() - started
    serial["collect"] = steps["collect"] - serial["kit"]
    submissions, log = [], []
    cluster = "none: nothing to grade"
    here = workers == 0 and not scheduler
    if jobs:
        engine = create_engine(course.db_url)
        try:
            with nullcontext() if here else dask_client(workers, scheduler,
                                                        limits.memory) as client:
                if scheduler and config.Sandbox.enabled:
                    require_on_workers(client, config)
                steps["start workers"] = time.time() - started - sum(steps.values())
                lost, serial["record"] = {}, 0.0
                for student, result in run_jobs(client, kit, jobs, progress):
                    begun = time.time()
                    try:
                        if not isinstance(result, Submission):
                            raise result
                        record(course, assignment, kit, result, engine, submissions, log)
                    except Exception as error:  # lost, or a result that was refused
                        lost[student] = error
                    serial["record"] += time.time() - begun
                steps["grade and record"] = time.time() - started - sum(steps.values())
                cluster = ("none: one after another in the grader's process" if here else
                           f"{len(client.scheduler_info()['workers'])} Dask worker(s) "
                           f"at {client.scheduler.address}")
            for job in jobs:  # graded here, every cell marked with why it did not run
                if job.student not in lost:
                    continue
                try:
                    result = grade_student(kit, job, run=False, reason=_lost(lost[job.student]))
                except Exception as error:  # left out of the gradebook: the report names it
                    log.append(f"[Autograde] ERROR | {job.student} could not be graded even "
                               f"without running it: {type(error).__name__}: {error}\n")
                    submissions.append(Submission(job.student))
                    continue
                record(course, assignment, kit, result, engine, submissions, log)
        finally:
            engine.dispose()
    (reports / "score.log").write_text("".join(log))
    submissions.sort(key=lambda s: s.student)
    begun = time.time()
    report = build_report(course, assignment, submissions, reports / "grading.json")
    serial["report"] = time.time() - begun
    report.sandbox = isolation
    steps["stop workers, report"] = time.time() - started - sum(steps.values())
    report.write({"assignment": assignment, "started": time.ctime(started),
                  "seconds": round(time.time() - started, 1),
                  "steps": {name: round(t, 1) for name, t in steps.items()},
                  "serial_seconds": {name: round(t, 3) for name, t in serial.items()},
                  "cluster": cluster, "limits": limits.describe(config),
                  "sandbox": isolation,
                  "nn_utils": f"{assignment}-{stamp_of(kit.support)}"})
    if report.missing:
        raise GradingIncomplete(f"{report.count_in} submission(s) came in but only "
                                f"{report.count_out} were graded; missing: "
                                f"{', '.join(report.missing)} (see {report.path})")
    return report


def grading_kit(course: Course, assignment: str, config, limits: Limits) -> GradingKit:
    """What every student's grading needs: read from the course once per run."""
    notebooks = assignment_notebooks(course, assignment)
    released = {}
    for name in notebooks:
        path = course.release / assignment / name
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: release {assignment} first "
                                    f"(./kit release {assignment})")
        released[name] = path.read_bytes()
    source = course.source / assignment
    ignore = config.CourseDirectory.get("ignore", CourseDirectory.ignore.default_value)
    source_files = {os.path.relpath(path, source): Path(path).read_bytes()
                    for path in find_all_files(str(source), [*ignore, "*.ipynb"])}
    return GradingKit(assignment, course.course_id, notebooks, released, source_files,
                      package_files(course, assignment),
                      gradebook_rows.seed(course.db_url), config,
                      limits.memory)


def collect_jobs(course: Course, assignment: str) -> list[StudentJob]:
    """One job per student with a submitted folder: its files, and its rows the gradebook
    already holds (nbgrader keeps a TA's manual scores when it regrades)."""
    students = submitted_students(course, assignment)
    engine = create_engine(course.db_url)
    try:
        with engine.connect() as connection:
            rows = gradebook_rows.rows_of(connection, course.course_id, assignment, students)
    finally:
        engine.dispose()
    jobs = []
    for student in students:
        folder = course.submitted / student / assignment
        # a link is not followed: it could point at anything the grader may read
        files = {p.relative_to(folder).as_posix(): p.read_bytes()
                 for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}
        jobs.append(StudentJob(student, files, rows.get(student, {})))
    return jobs


def record(course: Course, assignment: str, kit: GradingKit, submission: Submission,
           engine, submissions: list, log: list) -> None:
    """Write one graded submission into the course: its autograded folder (replacing the
    one before, as nbgrader --force does) and its rows in the gradebook."""
    gradebook_rows.merge(engine, kit.course_id, assignment,
                         {submission.student: submission.rows})
    folder = course.autograded / submission.student / assignment
    shutil.rmtree(folder, ignore_errors=True)
    for relative, (data, mode) in submission.autograded.items():
        target = folder / relative
        if ".." in Path(relative).parts or Path(relative).is_absolute():
            raise ValueError(f"{submission.student}'s result names a file outside its "
                             f"folder: {relative}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        os.chmod(target, mode)
    log.append(submission.log)
    submission.autograded, submission.rows, submission.log = {}, {}, ""
    submissions.append(submission)


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


def _lost(error) -> str:
    """Why a job came back without a result, in words."""
    if type(error).__name__ == "KilledWorker":  # by name: no Dask in the process without it
        return ("every Dask worker that ran this submission died (KilledWorker); its code may "
                "kill the process that runs it")
    return f"the grading job was lost: {type(error).__name__}: {str(error)[:200]}"


def _gradebook_scores(course: Course, assignment: str, students: list) -> dict:
    """student -> notebook file -> (score, max_score), for students with a gradebook row
    (one query per notebook of the assignment, not one per student)."""
    wanted, rows = set(students), {}
    with course.gradebook() as gradebook:
        for notebook in gradebook.find_assignment(assignment).notebooks:
            for entry in gradebook.notebook_submission_dicts(notebook.name, assignment):
                if entry["student"] in wanted:
                    rows.setdefault(entry["student"], {})[f"{notebook.name}.ipynb"] = (
                        float(entry["score"]), float(entry["max_score"]))
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
