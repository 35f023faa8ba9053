"""run_autograder's body: grade /autograder/submission, write /autograder/results/results.json.

    python -m autograder.gradescope.run [--root /autograder]

Gradescope runs it as root in a fresh container, once per submission, with the zip that
``./kit gradescope`` built unpacked in ``ROOT/source``:

1. A results.json saying that grading did not finish is written first, so that even a
   container killed from outside leaves one; every way out below replaces it.
2. ``source/``, ``submission/`` and ``results/`` become root's alone (mode 700): the
   course's hidden tests and gradebook, and the grades, are out of the student's reach.
3. The course is copied to a private scratch folder; the submission, whatever its files
   are called, goes through the kit's intake as one student's folder (a renamed notebook
   is recognised, a broken one recorded).
4. The kit's own grading runs it: one kernel at a time, no Dask (the container has half a
   CPU and 768 MB), as the unprivileged user setup.sh made, inside bubblewrap where it can
   run and on its own otherwise, within the memory and time limits of gradescope.json.
5. results.json: one test per graded cell (results.py). A deadline below Gradescope's own
   timeout stops grading and still writes what happened.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

from dask.utils import parse_bytes

from autograder.course import Course
from autograder.execution.limits import Limits
from autograder.execution.sandbox import Sandbox, probe
from autograder.gradescope.results import graded_cells, results_json
from autograder.grade import GradingIncomplete, autograde
from autograder.intake.collect import collect, notebooks_named, released_notebooks

SETTINGS = "gradescope.json"
STUDENT = "student"  # the one student of a Gradescope run, as the course copy knows them


@dataclass
class Settings:
    """gradescope.json in the zip (``./kit gradescope`` writes it; edit it to change them)."""

    assignment: str
    hidden_visibility: str = "after_published"  # when students see hidden tests' results
    user: str = "student"  # the unprivileged user the students' kernels run as
    bubblewrap: bool = True  # also sandbox them with bubblewrap where it can run
    deadline_seconds: int = 540  # all grading; below Gradescope's default 10 minutes
    notebook_seconds: int = 480  # each notebook, kernel start included
    cell_seconds: int = 300
    kernel_memory: str = "512MiB"  # data segment of the kernel process (RLIMIT_DATA)
    measured: str = ""  # what grading one submission took, as ./kit bench gradescope_budget says

    @classmethod
    def load(cls, folder: Path) -> "Settings":
        known = set(cls.__dataclass_fields__)
        data = json.loads((folder / SETTINGS).read_text())
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"{SETTINGS}: unknown setting(s) {sorted(unknown)}; known: "
                             f"{sorted(known)}")
        return cls(**data)

    def write(self, folder: Path) -> Path:
        path = folder / SETTINGS
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")
        return path


class OutOfTime(BaseException):
    """The deadline passed (BaseException: no ``except Exception`` on the way may keep it)."""


def _out_of_time(signum, frame):
    raise OutOfTime()


def write_results(root: Path, results: dict) -> Path:
    """Write results.json atomically (a reader never sees half of it)."""
    path = root / "results" / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(results, indent=2))
    os.replace(partial, path)
    return path


def unfinished(why: str, seconds: float) -> dict:
    """results.json for a grading that could not say cell by cell what it scored."""
    return {"score": 0.0, "execution_time": round(seconds), "output": why,
            "stdout_visibility": "hidden", "tests": []}


def lock_down(root: Path) -> None:
    """Make the autograder's folders root's alone (the student's kernel is another user)."""
    for name in ("source", "submission", "results"):
        folder = root / name
        if folder.is_dir():
            os.chmod(folder, 0o700)


def course_copy(root: Path, settings: Settings, scratch: Path) -> Course:
    """A private copy of the zip's course, its kernels set to run as ``settings.user``."""
    course = Course(scratch / "course")
    shutil.copytree(root / "source" / "course", course.root)
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write(f"\n# run_autograder: the students' kernels run as this user, in\n"
                     f"# bubblewrap where it starts (Gradescope's image has no podman).\n"
                     f"c.Sandbox.user = {settings.user!r}\n"
                     f"c.Sandbox.backend = 'bubblewrap'\n")

    return course


def match_notebooks(upload: Path, expected: tuple) -> tuple[dict, list]:
    """Which uploaded notebook is which of the ``expected`` ones: name -> path, and notes.

    A name matches when it is the expected one, decorations of copies and downloads
    aside (intake's rule); the one notebook of a one-notebook assignment may have any name.
    """
    found = sorted((p for p in upload.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
                    and "__MACOSX" not in p.parts and p.is_file()),
                   key=lambda p: (len(p.parts), str(p)))
    matched, notes = {}, []
    for path in found:
        for name in notebooks_named(path.name, expected):
            if name in matched:
                notes.append(f"{path.relative_to(upload)} not graded: "
                             f"{matched[name].relative_to(upload)} is graded as {name}")
            else:
                matched[name] = path
            break
    others = [p for p in found if p not in matched.values()
              and not notebooks_named(p.name, expected)]
    missing = [name for name in expected if name not in matched]
    if len(expected) == 1 and missing and len(others) == 1:
        matched[missing[0]] = others[0]
        notes.append(f"{others[0].relative_to(upload)} graded as {missing[0]}")
    else:
        notes += [f"{p.relative_to(upload)} not graded: not one of {', '.join(expected)}"
                  for p in others]
        notes += [f"{name} was not uploaded (it scores 0)" for name in missing if matched]
    return matched, notes


def grade(root: Path, settings: Settings, started: float, scratch: Path) -> dict:
    """Grade the submission in ``root``/submission; return results.json's content."""
    course = course_copy(root, settings, scratch)
    expected = released_notebooks(course, settings.assignment)
    matched, notes = match_notebooks(root / "submission", expected)
    incoming = scratch / "incoming"
    (incoming / STUDENT).mkdir(parents=True)
    for name, path in matched.items():
        shutil.copyfile(path, incoming / STUDENT / name)
    intake = collect(course, settings.assignment, incoming, write_report=False)
    notes += [f"{e.destination.name if e.destination else e.origin}: {e.reason}"
              for e in intake.entries if e.outcome == "broken"]
    why_not = ""
    if STUDENT not in intake.students:
        why_not = (f"No notebook of this assignment was found in your submission (expected "
                   f"{', '.join(expected)}). Upload the notebook itself, not a zip of it "
                   f"or a PDF.")
        summary = why_not
    else:
        problem = (probe(Sandbox(config=course.config())) if settings.bubblewrap
                   else "gradescope.json turns it off")
        limits = Limits(cell_timeout=settings.cell_seconds,
                        notebook_timeout=settings.notebook_seconds,
                        memory=parse_bytes(settings.kernel_memory))
        try:
            report = autograde(course, settings.assignment, workers=0, limits=limits,
                               progress=False, sandbox=not problem)
            entry = report.submissions[0]
        except GradingIncomplete as error:
            entry = {"status": "lost", "reason": str(error), "flags": []}
        isolation = (f"in a bubblewrap sandbox as user {settings.user!r}" if not problem else
                     f"as the unprivileged user {settings.user!r}, without bubblewrap "
                     f"({problem})")
        summary = (f"Graded by the course's autograder: your code ran {isolation}.")
        if entry["status"] != "ok":
            why_not = f"{entry['status']}: {entry['reason']}"
            summary += f"\n\nWhat happened: {why_not}"
        for flag in entry["flags"]:
            summary += f"\n\nNote ({flag['notebook']}): {flag['status']}: {flag['reason']}"
    if notes:
        summary += "\n\nYour files: " + "; ".join(notes) + "."
    tests = graded_cells(course, settings.assignment, STUDENT, why_not)
    return results_json(tests, time.monotonic() - started, summary, settings.hidden_visibility)


def run(root: Path) -> dict:
    """Grade and write results.json, whatever happens; return what was written."""
    started = time.monotonic()
    write_results(root, unfinished("Grading started but did not finish: the autograder's "
                                   "container stopped. Ask your course staff.", 0))
    lock_down(root)
    scratch = Path(tempfile.mkdtemp(prefix="gradescope-run-"))
    settings = None
    try:
        settings = Settings.load(root / "source")
        signal.signal(signal.SIGALRM, _out_of_time)
        signal.alarm(settings.deadline_seconds)
        results = grade(root, settings, started, scratch)
    except OutOfTime:
        results = _stopped(settings, scratch, started,
                           f"Grading stopped after {settings.deadline_seconds} s, the "
                           f"autograder's limit for this assignment: your notebook took too "
                           f"long (an endless loop, or training far longer than asked?).")
    except Exception as error:  # the student still gets a result that says what happened
        traceback.print_exc()  # stdout: for the course staff (stdout_visibility: hidden)
        results = _stopped(settings, scratch, started,
                           f"The autograder failed: {type(error).__name__}: {error}. Ask "
                           f"your course staff.")
    finally:
        signal.alarm(0)
        shutil.rmtree(scratch, ignore_errors=True)
    write_results(root, results)
    return results


def _stopped(settings: Settings | None, scratch: Path, started: float, why: str) -> dict:
    """results.json when grading stopped: every test at 0 with the reason, if the course
    can still be read, else no tests."""
    course = Course(scratch / "course")
    try:
        tests = graded_cells(course, settings.assignment, STUDENT, why)
        return results_json(tests, time.monotonic() - started, why, settings.hidden_visibility)
    except Exception:
        return unfinished(why, time.monotonic() - started)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope.run",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default="/autograder",
                        help="Gradescope's folder, with source/, submission/, results/")
    args = parser.parse_args(argv)
    results = run(Path(args.root))
    print(f"score {results['score']:g}; {len(results['tests'])} test(s); "
          f"{results['execution_time']} s")
    return 0  # a submission's failure is in results.json, not an autograder failure


if __name__ == "__main__":
    sys.exit(main())
