"""Command line: python -m autograder (or ./kit) SUB-COMMAND."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .authoring import build_assignment
from .collect import collect_folder
from .course import ASSIGNMENTS, Course, NbgraderError
from .demo import run_demo
from .grade import autograde
from .release import release_assignment
from .scores import export_grades, format_table, read_scores, write_task_csv


def _course(args) -> Course:
    return Course(Path(args.course).resolve()) if args.course else Course()


def cmd_build(args) -> None:
    for assignment in args.assignments or ASSIGNMENTS:
        for path in build_assignment(_course(args).source, assignment):
            print(f"built {path}")


def cmd_release(args) -> None:
    for assignment in args.assignments or ASSIGNMENTS:
        print(f"released {release_assignment(_course(args), assignment)}")


def cmd_grade(args) -> None:
    course = _course(args)
    notebook = args.assignment  # the main notebook; multi-notebook intake comes with zip intake
    intake = collect_folder(course, args.assignment, Path(args.submissions), notebook)
    print(intake.summary())
    autograde(course, args.assignment)
    table = read_scores(course, args.assignment)
    print(format_table(table))
    write_task_csv([table], course.root / "task_scores.csv")
    print(f"wrote {export_grades(course, course.root / 'grades.csv')}")


def cmd_demo(args) -> None:
    run_demo(_course(args))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="kit", description=__doc__)
    parser.add_argument("--course", help="course directory (default: this repository)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="build source notebooks from their *.pct.py text")
    p.add_argument("assignments", nargs="*")
    p.set_defaults(run=cmd_build)

    p = sub.add_parser("release", help="build, nbgrader generate_assignment, bundle nn_utils")
    p.add_argument("assignments", nargs="*")
    p.set_defaults(run=cmd_release)

    p = sub.add_parser("grade", help="collect a folder of <student>.ipynb and autograde it")
    p.add_argument("assignment", choices=ASSIGNMENTS)
    p.add_argument("submissions", help="folder of notebooks named by student id")
    p.set_defaults(run=cmd_grade)

    p = sub.add_parser("demo", help="release and grade the shipped demo submissions")
    p.set_defaults(run=cmd_demo)

    args = parser.parse_args(argv)
    try:
        args.run(args)
    except (NbgraderError, FileNotFoundError, ValueError) as error:
        print(f"kit: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
