"""Grade one student where the kernel runs: nbgrader's own autograde, in a private course.

In: the run's ``GradingKit`` (the same for every student, so a Dask worker receives it
once: the released notebooks, the files of the assignment's source folder that nbgrader
copies beside a submission, the files the checks come from, the seed gradebook, the
course's config with the limits) and a ``StudentJob`` (the student's submitted folder and
the rows the course's gradebook already holds for them). Out: the ``Submission``, carrying
the autograded folder and the student's gradebook rows as nbgrader wrote them, and how each
notebook went. The coordinator copies both into the course (grade.py); nothing here writes
to the course.

The steps, in a scratch folder laid out as an nbgrader course of one student:

1. stage: a notebook nbgrader cannot read (or no notebook of the assignment at all) is
   replaced by the released one, graded 0 with the reason; changes to the assignment's test
   and locked cells, points and nbgrader metadata are noted and undone (edited_cells.py);
2. nbgrader autograde, in this process, with its ``Execute`` step replaced by
   ``SubmissionExecute``: nbgrader sanitizes the notebook, the step runs it under the
   limits in a folder of its own (executor.py), and nbgrader scores it into the private
   gradebook (gradebook_rows.py) and writes the autograded folder;
3. a submission nbgrader itself fails on is graded as the released notebooks instead, with
   the reason.

``run=False`` executes nothing: every cell of every notebook is marked with the reason it
did not run. The coordinator grades a job its worker lost that way.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import tempfile
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from time import monotonic

import jsonschema
import nbformat
from nbgrader.converters import Autograde
from nbgrader.converters.base import NbGraderException
from nbgrader.coursedir import CourseDirectory
from nbgrader.nbgraderformat import common as nbgraderformat_common
from nbgrader.preprocessors import Execute
from sqlalchemy.exc import SAWarning
from traitlets.config import Config

from autograder import bundle
from autograder.execution.executor import NotebookOutcome, SubmissionExecute
from autograder.execution.sandbox import Sandbox, let_pass
from autograder.intake.collect import notebook_problem
from autograder.scoring import gradebook_rows
from autograder.scoring.edited_cells import describe as describe_edits, edited_cells, restore
from autograder.status import Status

# nbgrader works in its course folder (os.chdir): one student at a time per process, also
# on a Dask worker someone started with several threads.
_NBGRADER = threading.Lock()


@dataclass
class GradingKit:
    """What grading every student of one run needs, whoever the student."""

    assignment: str
    course_id: str
    notebooks: list  # the notebook files nbgrader grades, from the gradebook
    released: dict  # notebook file -> bytes of the released notebook (the stand-ins)
    source_files: dict  # relative path -> bytes: what nbgrader copies from source/<assignment>
    support: dict  # relative path -> bytes: nn_utils with the checks, as released
    seed: bytes  # the gradebook with the course's structure and no students
    config: Config  # the course's nbgrader config, limits applied
    memory: int | None = None  # bytes for each kernel; None: the worker's limit


@dataclass
class StudentJob:
    student: str
    files: dict  # relative path -> bytes: submitted/<student>/<assignment>, as it came in
    rows: dict = field(default_factory=dict)  # the student's rows already in the gradebook


@dataclass
class Submission:
    """One student's submission as staged, then graded."""

    student: str
    to_run: list = field(default_factory=list)  # notebook files the kernel executes
    stand_ins: list = field(default_factory=list)  # notebook files replaced by the release
    outcomes: dict = field(default_factory=dict)  # notebook file -> NotebookOutcome
    seconds: float = 0.0
    edits: dict = field(default_factory=dict)  # notebook file -> what it changed of ours
    autograded: dict = field(default_factory=dict)  # relative path -> (bytes, mode)
    rows: dict = field(default_factory=dict)  # table -> rows, as nbgrader wrote them
    log: str = ""  # nbgrader's log

    def record(self, name: str, status: str, reason: str) -> None:
        self.outcomes.setdefault(name, NotebookOutcome()).record(status, reason)

    def graded_notebooks(self) -> list:
        """The notebooks that must come out of grading as autograded notebooks."""
        return sorted(self.to_run + self.stand_ins)


def _read_tree(folder: Path) -> dict:
    """relative path -> (bytes, permission bits) of every file below ``folder``."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mode & 0o7777)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _stand_in(kit: GradingKit, submission: Submission, name: str, folder: Path,
              status: str, reason: str) -> None:
    """Put the released notebook where the student's ``name`` would be, to grade as 0."""
    (folder / name).write_bytes(kit.released[name])
    submission.stand_ins.append(name)
    submission.record(name, status, reason)


def stage(kit: GradingKit, submission: Submission, folder: Path) -> None:
    """Make ``folder`` (the student's submitted folder, copied) gradable: stand-ins for
    what cannot be read, the assignment's nbgrader metadata put back where it was changed."""
    present = [name for name in kit.notebooks if (folder / name).is_file()]
    if not present:  # nbgrader would skip this student altogether
        found = ", ".join(sorted(p.name for p in folder.glob("*.ipynb"))) or "none"
        reason = f"no {' or '.join(kit.notebooks)} was submitted (notebooks found: {found})"
        for name in kit.notebooks:
            _stand_in(kit, submission, name, folder, Status.NOT_SUBMITTED, reason)
        return
    for name in kit.notebooks:
        if name not in present:  # nbgrader itself records 0 for a missing notebook
            submission.record(name, Status.NOT_SUBMITTED, f"{name} was not submitted")
        elif problem := notebook_problem(folder / name, validate=False):
            _stand_in(kit, submission, name, folder, Status.UNREADABLE,
                      f"{name} could not be read as a notebook ({problem}); nothing in it "
                      f"was run")
        else:
            submission.to_run.append(name)
            staged = nbformat.read(folder / name, as_version=4)
            ours = nbformat.reads(kit.released[name].decode("utf-8"), as_version=4)
            if changes := edited_cells(staged, ours):
                submission.edits[name] = describe_edits(changes)
                restore(staged, ours)
                nbformat.write(staged, folder / name)


class _SchemaCheckedOnce:
    """What nbgrader's metadata validator uses of jsonschema, with nbgrader's schema checked
    once per process instead of before every cell (``jsonschema.validate`` checks the schema
    each call: 0.1 s a notebook, twice per notebook graded). The same instance checks and
    the same error as ``jsonschema.validate``."""

    def __init__(self):
        self._validators = {}  # the schema as JSON -> its validator, the schema checked

    def validate(self, instance, schema) -> None:
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            self._validators[key] = cls(schema)
        error = jsonschema.exceptions.best_match(self._validators[key].iter_errors(instance))
        if error is not None:
            raise error


nbgraderformat_common.jsonschema = _SchemaCheckedOnce()


def _nbgrader_log() -> tuple[logging.Logger, io.StringIO]:
    text = io.StringIO()
    handler = logging.StreamHandler(text)
    handler.setFormatter(logging.Formatter("[Autograde] %(levelname)s | %(message)s"))
    log = logging.Logger("autograder.on_worker.nbgrader", logging.INFO)
    log.addHandler(handler)
    return log, text


def _autograde(kit: GradingKit, root: Path, student: str, step: SubmissionExecute,
               log: logging.Logger) -> None:
    """nbgrader autograde --force --create of ``student``, in the course folder ``root``,
    with ``step`` as its Execute step."""
    config = copy.deepcopy(kit.config)
    config.merge(Config({
        "CourseDirectory": {"root": str(root), "db_url": f"sqlite:///{root / 'gradebook.db'}",
                            "course_id": kit.course_id, "assignment_id": kit.assignment,
                            "student_id": student, "notebook_id": "*",
                            "source_directory": "source", "submitted_directory": "submitted",
                            "autograded_directory": "autograded"},
        "BaseConverter": {"force": True}, "Autograde": {"create_student": True}}))
    converter = Autograde(coursedir=CourseDirectory(config=config), config=config, log=log)
    converter.autograde_preprocessors = [step if is_execute(p) else p
                                         for p in converter.autograde_preprocessors]
    if step not in converter.autograde_preprocessors:
        raise ValueError("the course's Autograde.autograde_preprocessors has no Execute step")
    with _NBGRADER, warnings.catch_warnings():
        # nbgrader's own use of its ORM warns on stderr as it autogrades; its run in a
        # process of its own does the same, unseen
        warnings.simplefilter("ignore", SAWarning)
        converter.start()


def is_execute(preprocessor) -> bool:
    """Whether an entry of Autograde.autograde_preprocessors (a class or its import name)
    is nbgrader's Execute step."""
    if isinstance(preprocessor, str):
        return preprocessor.rsplit(".", 1)[-1] in {"Execute", "ExecutePreprocessor"}
    return isinstance(preprocessor, type) and issubclass(preprocessor, Execute)


def grade_student(kit: GradingKit, job: StudentJob, *, run: bool = True, reason: str = "",
                  default_memory: int | None = None) -> Submission:
    """Grade ``job`` with nbgrader's autograde; with ``run`` False, execute nothing and mark
    every cell as not run for ``reason`` (Status.WORKER_LOST)."""
    started = monotonic()
    submission = Submission(job.student)
    with tempfile.TemporaryDirectory(prefix=f"grade-{job.student}-") as scratch:
        scratch = Path(scratch)
        root = scratch / "course"
        root.mkdir(mode=0o700)  # the sanitized notebooks hold the hidden tests
        folder = root / "submitted" / job.student / kit.assignment
        folder.mkdir(parents=True)  # also for a submitted folder with no file in it
        bundle.write_files(job.files, folder)
        bundle.write_files(kit.source_files, root / "source" / kit.assignment)
        gradebook_rows.write_private(root / "gradebook.db", kit.seed, kit.course_id,
                                     kit.assignment, job.student, job.rows)
        stage(kit, submission, folder)
        if not run:
            for name in submission.to_run:
                submission.record(name, Status.WORKER_LOST, reason)
        if Sandbox(config=kit.config).user:  # its kernels' folders are made in scratch
            let_pass(str(scratch))
        log, text = _nbgrader_log()
        step = _execute_step(kit, submission, scratch, run, default_memory)
        try:
            _autograde(kit, root, job.student, step, log)
        except NbGraderException:  # graded as the released notebooks instead
            for name in submission.to_run:
                _stand_in(kit, submission, name, folder, Status.UNREADABLE,
                          f"nbgrader could not grade {name} (its log is in score.log)")
            submission.to_run = []
            step = _execute_step(kit, submission, scratch, False, default_memory)
            _autograde(kit, root, job.student, step, log)
        submission.outcomes.update(step.outcomes)
        for name in submission.edits:
            submission.record(name, Status.CELLS_EDITED, submission.edits[name])
        submission.autograded = _read_tree(root / "autograded" / job.student / kit.assignment)
        submission.rows = gradebook_rows.read_private(
            f"sqlite:///{root / 'gradebook.db'}", kit.course_id, kit.assignment, job.student)
        submission.log = text.getvalue()
    submission.seconds = round(monotonic() - started, 3)
    return submission


_NOT_RUN = {Status.UNREADABLE: "SubmissionUnreadable", Status.NOT_SUBMITTED: "NotSubmitted",
            Status.WORKER_LOST: "WorkerLost"}


def _execute_step(kit: GradingKit, submission: Submission, scratch: Path, run: bool,
                  default_memory: int | None) -> SubmissionExecute:
    """The Execute step for this submission: runs what is to run, marks the rest."""
    config = copy.deepcopy(kit.config)
    config.GradingKernelManager.memory_limit = kit.memory or default_memory or 0
    config.GradingKernelManager.log_file = str(scratch / "kernel.log")
    step = SubmissionExecute(config=config)
    step.support = kit.support
    step.scratch = scratch
    for name in submission.graded_notebooks():
        if not run or name not in submission.to_run:
            outcome = submission.outcomes[name]
            step.not_run[name] = (_NOT_RUN[outcome.status], f"not run: {outcome.reason}")
    if run and submission.to_run:
        # From the files the grader shipped, before any kernel could change their copies.
        step.kit = bundle.kit_module(bundle.load_checks(kit.support))
    return step
