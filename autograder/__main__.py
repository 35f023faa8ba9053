"""Command line: python -m autograder (or ./kit) SUB-COMMAND."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nn_utils.export_pdf import ExportError

from autograder.authoring import build_assignment
from autograder.intake.collect import collect
from autograder.course import Course, NbgraderError
from autograder.demo import run_demo
from autograder.image import BOOTSTRAPPED, ImageError
from autograder.gradescope.results import VISIBILITIES
from autograder.results.feedback import write_feedback
from autograder.grade import GradingIncomplete, autograde
from autograder.execution.limits import Limits
from autograder.release import bundles_folder, release_assignment
from autograder.results.report import write_report
from autograder.execution.sandbox import SandboxUnavailable
from autograder.scaffold import new_assignment
from autograder.similarity.settings import THRESHOLD, Settings
from autograder.scoring.scores import export_grades, format_table, read_scores, write_task_csv


def _course(args) -> Course:
    return Course(Path(args.course).resolve()) if args.course else Course()


def _named(args) -> list[str]:
    """The assignments the command names, each checked against the course's."""
    named = getattr(args, "assignments", None) or ([args.assignment]
                                                    if getattr(args, "assignment", None) else [])
    course = _course(args)
    return [course.assignment(name) for name in named]


def _assignments(args) -> list[str]:
    """The assignments the command names, or all the course has."""
    return _named(args) or _course(args).assignments()


def cmd_build(args) -> None:
    course = _course(args)
    for assignment in _assignments(args):
        for path in build_assignment(course.source, assignment):
            print(f"built {path}")


def cmd_release(args) -> None:
    course = _course(args)
    for assignment in _assignments(args):
        folder = release_assignment(course, assignment)
        print(f"released {folder}; for students: "
              f"{next(bundles_folder(course).glob(f'{assignment}-*.zip'))}")


def cmd_new(args) -> None:
    course = _course(args)
    for path in new_assignment(course, args.name):
        print(f"wrote {path.relative_to(course.root)}")
    print(f"next: ./kit release {args.name}, then ./kit grade {args.name} SUBMISSIONS "
          "(README: Write your own assignment)")


def cmd_grade(args) -> None:
    course = _course(args)
    intake = collect(course, args.assignment, Path(args.submissions), roster=args.roster)
    print(intake.summary())
    _autograde_and_export(course, args)


def cmd_autograde(args) -> None:
    _autograde_and_export(_course(args), args)


def _autograde_and_export(course: Course, args) -> None:
    """Autograde what is in submitted/ with the command's options; print and export scores."""
    limits = Limits.from_text(args.cell_timeout, args.notebook_timeout, args.memory_limit)
    report = autograde(course, args.assignment, workers=args.workers,
                       scheduler=args.scheduler, limits=limits, sandbox=not args.no_sandbox)
    print(report.summary())
    table = read_scores(course, args.assignment)
    print(format_table(table))
    write_task_csv([table], course.root / "task_scores.csv")
    print(f"wrote {export_grades(course, course.root / 'grades.csv')}")
    print(f"wrote {write_report(course, args.assignment)}")


def cmd_report(args) -> None:
    print(f"wrote {write_report(_course(args), args.assignment)}")


def _grading_options(p) -> None:
    p.add_argument("--workers", type=int, help="local Dask workers (default: one per core; 0: no Dask, one "
                        "notebook after another in this process)")
    p.add_argument("--scheduler", help="address of an existing Dask scheduler to run on "
                                       "(tcp://HOST:8786) instead of local workers")
    p.add_argument("--cell-timeout", help="seconds per cell (default: nbgrader_config.py)")
    p.add_argument("--notebook-timeout", help="seconds per notebook (default: 1800)")
    p.add_argument("--memory-limit", help="memory per worker and its kernel, e.g. 2GiB "
                                          "(default: Dask's share of the RAM)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run the students' code WITHOUT the bubblewrap sandbox (where it "
                        "cannot run); the report says so. Limits: c.Sandbox in "
                        "nbgrader_config.py")


def cmd_collect(args) -> None:
    intake = collect(_course(args), args.assignment, Path(args.path), roster=args.roster,
                     named_regexp=args.regexp)
    print(intake.summary())
    print(f"report: {', '.join(str(p) for p in intake.report_files)}")


def cmd_feedback(args) -> None:
    for path in write_feedback(_course(args), args.assignment):
        print(f"wrote {path}")


def cmd_gradescope(args) -> None:
    from autograder.gradescope.build import build_autograder

    chosen = {name: value for name, value in (
        ("hidden_visibility", args.hidden_visibility), ("user", args.user),
        ("deadline_seconds", args.deadline), ("kernel_memory", args.kernel_memory))
        if value is not None}
    target = build_autograder(_course(args), args.assignment, **chosen)
    print(f"wrote {target}: upload it as the autograder of a Gradescope programming "
          f"assignment (its README.md says how)")


def cmd_mutate(args) -> None:
    from autograder.mutation.score import format_scores, score_assignment, survivor_entries

    results = []
    for assignment in _assignments(args):
        results.append(score_assignment(_course(args), assignment,
                                        set(args.task) if args.task else None, args.jobs,
                                        recheck=args.recheck_equivalents))
        print(format_scores(results[-1:], survivors=args.survivors), flush=True)
    if args.write_survivors:
        entries = [entry for result in results for entry in survivor_entries(result)]
        Path(args.write_survivors).write_text(json.dumps({"equivalent": entries}, indent=1) + "\n")
        print(f"wrote {len(entries)} survivors to {args.write_survivors}: give each a reason "
              f"and move the equivalent ones into source/<assignment>/equivalent_mutants.json")


def cmd_similarity(args) -> None:
    from autograder.similarity.run import find_similar

    course = _course(args)
    page = find_similar(course, args.assignment, Path(args.against) if args.against else None,
                        Settings(threshold=args.threshold))
    print(f"wrote {page} and {page.with_suffix('.csv').name} (it changes no grade)")
    if (page.parent / "report.html").is_file():  # graded: link the new page from the report
        print(f"wrote {write_report(course, args.assignment)}")


def cmd_demo(args) -> None:
    run_demo(_course(args), _named(args) or None)


def cmd_image(args) -> int:
    from autograder.image.build import (GradingImage, bootstrap_base, build_image,
                                        image_of_this_kit)
    from autograder.image.run import image_engine, run_in_image

    course = _course(args)
    settings = GradingImage(config=course.config())
    engine = image_engine(course, args.engine or settings.engine)
    if args.action == "base":
        print(f"made {bootstrap_base(engine, args.suite, args.mirror)}: build on it with "
              f"./kit image build --base {BOOTSTRAPPED}:{args.suite}, or set "
              f"c.GradingImage.base = '{BOOTSTRAPPED}:{args.suite}' in nbgrader_config.py")
        return 0
    base = args.base or settings.base or None
    # Run with no base named: any image of this very kit will do (built on the bootstrapped
    # base, say); build on the default base only when there is none.
    tag = (args.action == "run" and not base and image_of_this_kit(engine)) or \
        build_image(engine, base)
    if args.action == "build":
        print(f"built {tag}; grade in it: ./kit image run -- grade ASSIGNMENT SUBMISSIONS")
        return 0
    arguments = args.arguments[1:] if args.arguments[:1] == ["--"] else args.arguments
    return run_in_image(engine, tag, course.root, arguments)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="kit", description=__doc__)
    parser.add_argument("--course", help="course directory (default: this repository)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("new", help="start an assignment: source/NAME/ with a notebook's text "
                                   "source and its checks, ready to release and grade")
    p.add_argument("name", help="the assignment's name (lower case, e.g. dropout)")
    p.set_defaults(run=cmd_new)

    p = sub.add_parser("build", help="build source notebooks from their *.pct.py text")
    p.add_argument("assignments", nargs="*")
    p.set_defaults(run=cmd_build)

    p = sub.add_parser("release", help="build, nbgrader generate_assignment, bundle nn_utils")
    p.add_argument("assignments", nargs="*")
    p.set_defaults(run=cmd_release)

    p = sub.add_parser("grade", help="collect submissions (as collect) and autograde them")
    p.add_argument("assignment", help="a folder of source/")
    p.add_argument("submissions", help="submissions: folder or .zip (see ./kit collect)")
    p.add_argument("--roster", help="CSV with an id column (default: the gradebook)")
    _grading_options(p)
    p.set_defaults(run=cmd_grade)

    p = sub.add_parser("autograde", help="autograde what is in submitted/ again (after a "
                                         "test was fixed, say); reports/<assignment>/")
    p.add_argument("assignment", help="a folder of source/")
    _grading_options(p)
    p.set_defaults(run=cmd_autograde)

    p = sub.add_parser("collect", help="put submissions (folder, LMS .zip, nbgrader tree) "
                                       "into submitted/ and report every file")
    p.add_argument("assignment", help="a folder of source/")
    p.add_argument("path", help="<student>.ipynb files, <student>/ folders, an LMS download "
                                "or a submitted/ tree; a folder or a .zip")
    p.add_argument("--roster", help="CSV with an id column (default: the gradebook)")
    p.add_argument("--regexp", action="append",
                   help="LMS file-name pattern with (?P<student_id>) and (?P<file_id>) "
                        "groups, optional (?P<timestamp>), as nbgrader's named_regexp; "
                        "repeat to try several")
    p.set_defaults(run=cmd_collect)

    p = sub.add_parser("feedback", help="write per-student feedback (HTML and PDF) of an "
                       "autograded assignment into feedback/, hidden tests left out")
    p.add_argument("assignment", help="a folder of source/")
    p.set_defaults(run=cmd_feedback)

    p = sub.add_parser("report", help="write reports/<assignment>/report.html: per question "
                                      "the mean, the share of full marks, the most common "
                                      "failure; a score-distribution plot")
    p.add_argument("assignment", help="a folder of source/")
    p.set_defaults(run=cmd_report)

    p = sub.add_parser("gradescope", help="build Gradescope's autograder zip for an assignment "
                                          "(build/gradescope/<assignment>-autograder.zip)")
    p.add_argument("assignment", help="a folder of source/")
    p.add_argument("--hidden-visibility", choices=VISIBILITIES,
                   help="when students see the results of hidden tests (default: "
                        "after_published)")
    p.add_argument("--user", help="the unprivileged user kernels run as (default: student)")
    p.add_argument("--deadline", type=int, help="seconds for all grading of one submission "
                                                "(default: 540)")
    p.add_argument("--kernel-memory", help="data segment per kernel process (default: 512MiB)")
    p.set_defaults(run=cmd_gradescope)

    p = sub.add_parser("mutate", help="mutation score: run every mutant of the reference "
                                      "solutions through its task's checks and hidden tests")
    p.add_argument("assignments", nargs="*", help="(default: all)")
    p.add_argument("--task", action="append", help="only this task (repeat for several)")
    p.add_argument("--survivors", action="store_true", help="list each surviving mutant")
    p.add_argument("--write-survivors", metavar="FILE",
                   help="write the survivors to FILE as equivalent_mutants.json entries")
    p.add_argument("--jobs", type=int, help="mutants run at once (default: the CPU count)")
    p.add_argument("--recheck-equivalents", action="store_true",
                   help="run the mutants listed as equivalent too, and report the listed "
                        "ones a check now kills (they are skipped otherwise)")
    p.set_defaults(run=cmd_mutate)

    p = sub.add_parser("similarity", help="rank every pair of submissions by the code they "
                                          "share beyond the handout: reports/<assignment>/"
                                          "similarity.html and .csv; grades are untouched")
    p.add_argument("assignment", help="a folder of source/")
    p.add_argument("--against", metavar="FOLDER",
                   help="known solutions to compare each submission with too (past years, "
                        "code found online): any layout ./kit collect reads, and .py files")
    p.add_argument("--threshold", type=float, default=THRESHOLD,
                   help=f"score (0 to 1) from which a pair is listed for review and gets its "
                        f"side-by-side page (default: {THRESHOLD})")
    p.set_defaults(run=cmd_similarity)

    p = sub.add_parser("demo", help="release and grade the shipped demo submissions")
    p.add_argument("assignments", nargs="*",
                   help="only these (default: every assignment with demo submissions)")
    p.set_defaults(run=cmd_demo)

    p = sub.add_parser("image", help="the kit in a Linux container image, for graders on "
                                     "macOS or Windows: build it, or run a kit command in it")
    actions = p.add_subparsers(dest="action", required=True)
    build = actions.add_parser("build", help="build the grading image (once per course and "
                                             "kit version)")
    run = actions.add_parser("run", help="build the image if needed, then run a kit command "
                                         "in it: ./kit image run -- grade A SUBMISSIONS")
    run.add_argument("arguments", nargs=argparse.REMAINDER, help="the kit command, after --")
    base = actions.add_parser("base", help="make a Debian base image with debootstrap (as "
                                           "root), where no image registry is reachable")
    base.add_argument("--suite", default="bookworm", help="the Debian release")
    base.add_argument("--mirror", default="http://deb.debian.org/debian",
                      help="the Debian mirror")
    for action in (build, run, base):
        action.add_argument("--engine", help="podman (default) or docker "
                                              "(c.GradingImage.engine)")
    for action in (build, run):
        action.add_argument("--base", help="the image to build on (c.GradingImage.base; "
                                           "default: python:3.X-slim-bookworm of this "
                                           "Python's version)")
    p.set_defaults(run=cmd_image)

    args = parser.parse_args(argv)
    try:
        _named(args)  # an unknown name is an error before anything runs
        return args.run(args) or 0
    except (NbgraderError, GradingIncomplete, ExportError, FileNotFoundError,
            ValueError, SandboxUnavailable, ImageError) as error:
        print(f"kit: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
