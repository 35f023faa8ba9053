"""The shipped demo: release the assignments, then grade a handful of sample submissions.

Sample submissions are stored as text: ``demo_submissions/<assignment>/<student>.cells``
lists, cell by cell (``# %% <grade_id>``), what that student wrote where it differs from
a correct solution. ``<student>.blank`` hands in the release untouched. Each is filled
into every released notebook of the assignment (nn_framework's optional PyTorch notebook
too, which grades 0 of 0 points without PyTorch), so the demo exercises exactly what
students receive.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from autograder.authoring import fill_solutions, parse_answers, reference_answers
from autograder.intake import collect as intake_step
from autograder.course import Course
from autograder.execution.sandbox import Sandbox, probe
from autograder.grade import autograde
from autograder.release import release_assignment
from autograder.results.report import write_report
from autograder.scoring.scores import export_grades, format_table, read_scores, write_task_csv

DEMO_SUBMISSIONS = Path(__file__).resolve().parent / "demo_submissions"


def demo_assignments(course: Course) -> list[str]:
    """The course's assignments that have demo submissions (demo_submissions/<assignment>/)."""
    return [a for a in course.assignments() if (DEMO_SUBMISSIONS / a).is_dir()]


def build_demo_submissions(course: Course, assignment: str, out_dir: Path) -> list[Path]:
    """Write each demo student's notebooks into ``out_dir``; return their paths.

    ``out_dir/<student>.ipynb`` for a one-notebook assignment, else
    ``out_dir/<student>/<notebook>.ipynb``.

    Every notebook of the release is filled from the student's one ``.cells`` file (its
    sections are matched by grade_id, which is unique across an assignment's notebooks).
    """
    if out_dir.exists():
        shutil.rmtree(out_dir)
    written = []
    releases = sorted((course.release / assignment).glob("*.ipynb"))
    correct = {path.name: reference_answers(nbformat.read(course.source / assignment / path.name,
                                                          as_version=4)) for path in releases}
    for spec in sorted((DEMO_SUBMISSIONS / assignment).iterdir()):
        answers = parse_answers(spec.read_text()) if spec.suffix == ".cells" else {}
        unknown = set(answers) - set().union(*correct.values())
        if unknown:
            raise KeyError(f"{spec}: no solution cell named {sorted(unknown)} in {assignment}")
        for released in releases:
            notebook = nbformat.read(released, as_version=4)
            if spec.suffix != ".blank":
                mine = {g: code for g, code in answers.items() if g in correct[released.name]}
                notebook = fill_solutions(notebook, {**correct[released.name], **mine})
            # One notebook: <student>.ipynb, as LMS downloads name them; several: a folder.
            target = (out_dir / f"{spec.stem}.ipynb" if len(releases) == 1
                      else out_dir / spec.stem / released.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, target)
            written.append(target)
    return written


# The demo's submissions are the kit's own code (demo_submissions/), not students': where
# no sandbox can start (macOS, a Linux account without bubblewrap) the demo grades them
# without one, and says so; `./kit grade` still refuses students' code there.
UNSANDBOXED_DEMO = ("the demo grades its own sample submissions, which are the kit's code, "
                    "where no sandbox can start; students' submissions are still refused "
                    "there unless the instructor passes --no-sandbox")


def demo_sandbox(course: Course) -> bool:
    """Whether the demo's kernels run in the sandbox: yes wherever it can start, else no,
    with a notice printed."""
    settings = Sandbox(config=course.config())
    problem = probe(settings)
    if problem and settings.enabled:
        print(f"NOTICE: no sandbox can start here ({problem}).\nNOTICE: the demo grades its "
              f"own sample submissions (the kit's code) WITHOUT a sandbox; ./kit grade "
              f"refuses students' code here unless you pass --no-sandbox.", flush=True)
        return False
    return True


def run_demo(course: Course = Course(), assignments: list[str] | None = None) -> None:
    """Release and grade the demo submissions of ``assignments`` (default: all that have some)."""
    available = demo_assignments(course)
    missing = [a for a in assignments or [] if a not in available]
    if missing:
        raise ValueError(f"no demo submissions for {', '.join(missing)} (there are some for "
                         f"{', '.join(available)}: {DEMO_SUBMISSIONS}/<assignment>/)")
    sandboxed = demo_sandbox(course)
    tables = []
    for assignment in assignments or available:
        print(f"== {assignment}: releasing")
        release_assignment(course, assignment)
        submissions = course.root / "build" / "demo_submissions" / assignment
        build_demo_submissions(course, assignment, submissions)
        intake = intake_step.collect(course, assignment, submissions)
        print(intake.summary())
        print(f"== {assignment}: autograding (nbgrader autograde)")
        report = autograde(course, assignment, sandbox=sandboxed,
                           unsandboxed_because=UNSANDBOXED_DEMO)
        print(f"WARNING: graded {report.sandbox}" if not sandboxed else
              f"kernels ran in a {report.sandbox.split(':')[0]}")
        tables.append(read_scores(course, assignment))
        print(f"report: {write_report(course, assignment)}")
    write_task_csv(tables, course.root / "task_scores.csv")
    export_grades(course, course.root / "grades.csv")
    print()
    for table in tables:
        print(format_table(table))
        print()
    print(f"grades: {course.root / 'grades.csv'}; per task: {course.root / 'task_scores.csv'}")
